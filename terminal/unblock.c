/* "sigcard-terminal unblock": the terminal as courier of the issuer's PIN
 * unblock (docs/PROTOCOL.md §6 "Issuer scripts"). It asks the card for a challenge, asks
 * the server for the script bound to it (there is one only if the issuer
 * approved with `sigcard-server card unblock-pin`), hands the script to the
 * card, and reports the card's status word back. The terminal holds no key:
 * the MAC is the issuer's, checked by the card. */
#include <stdio.h>
#include <string.h>

#include "common/apdu.h"
#include "common/errors.h"
#include "common/hex.h"
#include "common/issuer_script.h"
#include "common/submit.h"
#include "common/sw.h"
#include "terminal/terminal.h"

#define UNBLOCK_CARD_TIMEOUT_MS 15000
#define UNBLOCK_SERVER_TIMEOUT_MS 15000

struct unblock {
	struct term_carrier *card;
	struct term_server *server;
	struct sc_script_ref ref;
	char id_hex[2 * SC_CARD_ID_LEN + 1];
	char err[TERM_ERR_MAX];
};

void term_unblock_usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-terminal unblock --card CARRIER --server unix:PATH|HOST:PORT\n"
"           [--tls DIR | --server-ca FILE --cert FILE --key FILE]\n"
"           [--server-name NAME] [--insecure-plain-tcp]   (as for pay)\n"
"\n"
"Delivers the PIN unblock the issuer approved for the card in the reader\n"
"(sigcard-server card unblock-pin CARD_ID): the card gives a challenge, the\n"
"server the RESET RETRY COUNTER command MAC'd for it, the card checks and\n"
"runs it, and the terminal reports the card's answer to the server.\n"
"Prints card, script, card answer and PIN tries as \"key: value\" lines.\n"
"Exit status as for pay: 5 the card refused the script, 8 the server has\n"
"none for this card (NO_ISSUER_SCRIPT), 7 the server cannot be reached,\n"
"10 TLS with the server failed.\n");
}

/* GET DATA of one byte-sized or fixed-size tag, exactly want bytes. */
static int get_fixed(struct unblock *u, uint16_t tag, uint8_t *out, size_t want)
{
	uint8_t buf[TERM_GET_DATA_MAX];
	size_t n = 0;
	int rc = term_card_get_data(u->card, tag, buf, sizeof buf, &n);

	if (rc != 0)
		return term_errf(u->err, sizeof u->err, (enum term_exit)-rc, "%s", u->card->err);
	if (n != want)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_CARD_ERROR,
				 "GET DATA %04X: %zu bytes, expected %zu", tag, n, want);
	memcpy(out, buf, want);
	return 0;
}

/* The card's answer to cmd: its status word only (no data expected). */
static int card_command(struct unblock *u, const char *what, const uint8_t *cmd, size_t len,
			uint8_t *data, size_t cap, size_t *n, uint16_t *sw)
{
	int rc = term_carrier_apdu(u->card, cmd, len, data, cap, n, sw);

	if (rc != 0)
		return term_errf(u->err, sizeof u->err, (enum term_exit)-rc, "%s: %s", what,
				 u->card->err);
	return 0;
}

static int get_card_challenge(struct unblock *u)
{
	uint8_t cmd[8], data[64];
	size_t n = 0;
	uint16_t sw = 0;
	int len = sc_apdu_build(cmd, sizeof cmd, SC_CLA_ISO, SC_INS_GET_CHALLENGE, 0, 0, NULL, 0,
				SC_CARD_CHALLENGE_LEN);
	int rc;

	if (len < 0)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_FAILURE,
				 "cannot build GET CHALLENGE");
	rc = card_command(u, "GET CHALLENGE", cmd, (size_t)len, data, sizeof data, &n, &sw);
	if (rc != 0)
		return rc;
	if (sw != SW_NO_ERROR || n != SC_CARD_CHALLENGE_LEN)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_CARD_ERROR,
				 "GET CHALLENGE refused: %04X %s", sw, sc_sw_name(sw));
	memcpy(u->ref.challenge, data, SC_CARD_CHALLENGE_LEN);
	return 0;
}

/* A RESULT where another message was expected: the server's refusal. */
static int server_refused(struct unblock *u, const uint8_t *body, size_t len, const char *what)
{
	struct sc_result_msg m;
	char text[SC_RESULT_TEXT_MAX + 1] = "";

	if (sc_result_decode(&m, body, len) != 0)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: a malformed answer to %s", u->server->spec, what);
	if (m.text && m.text_len <= SC_RESULT_TEXT_MAX) {
		memcpy(text, m.text, m.text_len);
		text[m.text_len] = '\0';
	}
	return term_errf(u->err, sizeof u->err, TERM_EXIT_SERVER_REFUSED, "%s: %s: %s",
			 what, sc_result_name(m.code), text[0] ? text : sc_result_message(m.code));
}

static int exchange(struct unblock *u, const uint8_t *req, int req_len, uint8_t *resp,
		    size_t cap, size_t *n)
{
	int rc;

	if (req_len < 0)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_FAILURE, "cannot encode: %s",
				 sc_strerror(req_len));
	rc = term_server_exchange(u->server, req, (size_t)req_len, resp, cap, n);
	if (rc != 0)
		return term_errf(u->err, sizeof u->err, (enum term_exit)-rc, "%s", u->server->err);
	return 0;
}

static int get_script(struct unblock *u, struct sc_issuer_script *s)
{
	uint8_t req[SC_SCRIPT_MSG_MAX], resp[SC_RESULT_MSG_MAX];
	size_t n = 0;
	int rc = exchange(u, req, sc_get_issuer_script_encode(req, sizeof req, &u->ref), resp,
			  sizeof resp, &n);

	if (rc != 0)
		return rc;
	if (sc_msg_type(resp, n) == SC_MSG_RESULT)
		return server_refused(u, resp, n, "GET ISSUER SCRIPT");
	if (sc_issuer_script_decode(s, resp, n) != 0)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: a malformed ISSUER SCRIPT", u->server->spec);
	/* The card checks the MAC; the terminal checks it carries the right
	 * card's script for this very challenge before spending the card's. */
	if (memcmp(&s->ref, &u->ref, sizeof u->ref) != 0)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_SERVER_REFUSED,
				 "server %s: the script is for another card or challenge",
				 u->server->spec);
	return 0;
}

static int report(struct unblock *u, uint16_t sw)
{
	uint8_t req[SC_SCRIPT_MSG_MAX], resp[SC_RESULT_MSG_MAX];
	size_t n = 0;
	int rc = exchange(u, req, sc_script_report_encode(req, sizeof req, &u->ref, sw), resp,
			  sizeof resp, &n);

	if (rc != 0)
		return rc;
	if (sc_script_recorded_decode(resp, n) == 0)
		return 0;
	return server_refused(u, resp, n, "SCRIPT REPORT");
}

/* The whole exchange with the selected card; prints the outcome to out
 * (when not NULL). */
static int deliver(struct unblock *u, FILE *out)
{
	struct sc_issuer_script s;
	char script_hex[2 * SC_SCRIPT_APDU_MAX + 1];
	uint8_t tries = 0, data[64];
	size_t n = 0;
	uint16_t sw = 0;
	int rc;

	if ((rc = get_fixed(u, SC_TAG_CARD_ID, u->ref.card_id, SC_CARD_ID_LEN)) != 0 ||
	    (rc = get_fixed(u, SC_TAG_PIN_TRIES, &tries, 1)) != 0)
		return rc;
	sc_hex_encode(u->id_hex, u->ref.card_id, SC_CARD_ID_LEN);
	if (out)
		fprintf(out, "card: %s\npin tries before: %u\n", u->id_hex, tries);
	if ((rc = get_card_challenge(u)) != 0 || (rc = get_script(u, &s)) != 0)
		return rc;
	sc_hex_encode(script_hex, s.apdu, s.apdu_len);
	rc = card_command(u, "the issuer script", s.apdu, s.apdu_len, data, sizeof data, &n, &sw);
	if (rc != 0)
		return rc; /* nothing to report: the server shows it delivered, unanswered */
	if (out)
		fprintf(out, "script: %s\ncard answer: %04X\n", script_hex, sw);
	rc = report(u, sw);
	if (sw != SW_NO_ERROR)
		return term_errf(u->err, sizeof u->err, TERM_EXIT_CARD_ERROR,
				 "the card refused the issuer script: %04X %s%s", sw, sc_sw_name(sw),
				 rc != 0 ? " (and the report did not reach the server)" : "");
	if (rc != 0) {
		char why[TERM_ERR_MAX];

		memcpy(why, u->err, sizeof why);
		return term_errf(u->err, sizeof u->err, (enum term_exit)-rc,
				 "the card's PIN is unblocked, but the report failed: %.900s", why);
	}
	if ((rc = get_fixed(u, SC_TAG_PIN_TRIES, &tries, 1)) != 0)
		return rc;
	if (out)
		fprintf(out, "pin tries: %u\n", tries);
	return 0;
}

int term_unblock_deliver(struct term_carrier *card, struct term_server *server, char *err,
			 size_t cap)
{
	struct unblock u;
	int rc;

	memset(&u, 0, sizeof u);
	u.card = card;
	u.server = server;
	rc = deliver(&u, NULL);
	if (rc != 0)
		(void)term_errf(err, cap, (enum term_exit)-rc, "%s", u.err);
	return rc;
}

int term_card_pin_blocked(struct term_carrier *card)
{
	struct unblock u;
	uint8_t tries = 0;
	int rc;

	memset(&u, 0, sizeof u);
	u.card = card;
	rc = get_fixed(&u, SC_TAG_PIN_TRIES, &tries, 1);
	return rc != 0 ? rc : tries == 0;
}

int term_unblock_main(int argc, char **argv)
{
	const char *card = NULL, *server = NULL;
	struct term_tls_opts tls = {0};
	struct term_carrier carrier;
	struct term_server srv;
	struct unblock u;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char **dst = !strcmp(argv[i], "--card") ? &card :
				   !strcmp(argv[i], "--server") ? &server :
				   !strcmp(argv[i], "--tls") ? &tls.dir :
				   !strcmp(argv[i], "--server-ca") ? &tls.server_ca :
				   !strcmp(argv[i], "--cert") ? &tls.cert :
				   !strcmp(argv[i], "--key") ? &tls.key :
				   !strcmp(argv[i], "--server-name") ? &tls.server_name : NULL;
		if (!strcmp(argv[i], "--insecure-plain-tcp")) {
			tls.insecure_plain_tcp = 1;
			continue;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			term_unblock_usage(stdout);
			return 0;
		}
		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "sigcard-terminal: unblock: %s: %s\n", argv[i],
				dst ? "a value is needed" : "unknown option or argument");
			return TERM_EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!card || !server) {
		fprintf(stderr, "sigcard-terminal: unblock: --card and --server are required\n");
		return TERM_EXIT_USAGE;
	}
	memset(&u, 0, sizeof u);
	memset(&carrier, 0, sizeof carrier);
	memset(&srv, 0, sizeof srv);
	carrier.fd = srv.fd = -1;
	u.card = &carrier;
	u.server = &srv;
	rc = term_carrier_open(&carrier, card, UNBLOCK_CARD_TIMEOUT_MS);
	if (rc != 0) {
		fprintf(stderr, "sigcard-terminal: unblock: %s\n", carrier.err);
		return -rc;
	}
	rc = term_server_init(&srv, server, UNBLOCK_SERVER_TIMEOUT_MS);
	if (rc == 0)
		rc = term_server_tls_opts(&srv, &tls);
	if (rc != 0) {
		fprintf(stderr, "sigcard-terminal: unblock: %s\n", srv.err);
		term_carrier_close(&carrier);
		return -rc;
	}
	rc = term_card_start(&carrier);
	if (rc != 0)
		(void)term_errf(u.err, sizeof u.err, (enum term_exit)-rc, "%s", carrier.err);
	else
		rc = deliver(&u, stdout);
	term_carrier_power_off(&carrier);
	term_carrier_close(&carrier);
	term_server_free(&srv);
	if (rc != 0) {
		fprintf(stderr, "sigcard-terminal: %s: %s\n", term_exit_name(rc), u.err);
		return -rc;
	}
	return 0;
}
