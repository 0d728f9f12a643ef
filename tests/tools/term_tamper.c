/* term_tamper: a dishonest terminal, for the integration tests. It runs the
 * real terminal's steps (terminal/ library: carriers, card commands, server
 * client) but tampers with what it submits, to show the server refuses:
 *
 *   term_tamper MODE CONTACT_SOCK CONTACTLESS_SOCK SERVER_SOCK TERMINAL_ID PAYEE MINOR
 *   MODE  amount    sign MINOR, submit MINOR+1 (the signature no longer holds)
 *         other-jp  pay once honestly; sign a second payment and submit it with
 *                   the first one's password, then with its own
 *         replay    submit the same honest bytes twice
 *
 * The joint password is read over the contactless socket (the holder confirms
 * on the card meanwhile). Each SUBMIT's outcome is printed as one line:
 * "<step> <RESULT_NAME> [transfer <id>]". Exit 0 if every step ran (whatever
 * the server answered), 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/submit.h"
#include "common/tx.h"
#include "terminal/terminal.h"

struct signed_tx {
	struct sc_tx tx;
	uint8_t bytes[SC_TX_MAX_LEN];
	size_t len;
	uint8_t card_id[SC_CARD_ID_LEN];
	struct sc_sign_resp sig;
	char jp[SC_JP_DIGITS + 1];
};

static const char *contact, *contactless, *payee, *terminal_id;
static uint64_t minor;
static struct term_server server;

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "term_tamper: %s: %s\n", what, why);
	return -1;
}

/* Challenge, SIGN on the card, the card off the reader, the JP read once
 * the holder confirmed. */
static int sign_one(struct signed_tx *s, uint64_t amount)
{
	uint8_t req[64], resp[SC_RESULT_MSG_MAX];
	size_t n;
	uint32_t valid;
	memset(s, 0, sizeof *s);
	int len = sc_get_challenge_encode(req, sizeof req, terminal_id);
	if (len < 0 || term_server_exchange(&server, req, (size_t)len, resp, sizeof resp, &n) != 0 ||
	    sc_challenge_decode(resp, n, s->tx.challenge, &valid) != 0)
		return fail("challenge", server.err);
	struct term_carrier c;
	if (term_carrier_open(&c, contact, 5000) != 0 || term_card_start(&c) != 0 ||
	    term_card_identity(&c, s->card_id, s->tx.payer) != 0)
		return fail("card", c.err);
	s->tx.version = SC_TX_VERSION;
	s->tx.scheme = SC_SCHEME_ENC_RAND;
	s->tx.amount = amount;
	s->tx.currency = 978;
	snprintf(s->tx.payee, sizeof s->tx.payee, "%s", payee);
	snprintf(s->tx.payee_name, sizeof s->tx.payee_name, "Tamper Shop");
	snprintf(s->tx.terminal_id, sizeof s->tx.terminal_id, "%s", terminal_id);
	s->tx.time = (uint64_t)time(NULL);
	int m = sc_tx_encode(&s->tx, s->bytes, sizeof s->bytes);
	if (m < 0)
		return fail("tx", sc_strerror(m));
	s->len = (size_t)m;
	if (term_card_sign(&c, s->bytes, s->len, s->tx.scheme, &s->sig) != 0)
		return fail("sign", c.err);
	term_carrier_power_off(&c);
	term_carrier_close(&c);

	struct term_carrier cl;
	if (term_carrier_open(&cl, contactless, 5000) != 0 || term_card_start(&cl) != 0)
		return fail("contactless", cl.err);
	int rc = 0;
	for (int i = 0; i < 600 && rc == 0; i++) {
		rc = term_card_get_jp(&cl, s->jp);
		if (rc == 0)
			usleep(50000);
	}
	term_carrier_power_off(&cl);
	term_carrier_close(&cl);
	return rc == 1 ? 0 : fail("joint password", rc == 0 ? "not released in 30 s" : cl.err);
}

/* SUBMIT of s's signature over tx bytes, with jp; prints the outcome. */
static int submit(const char *step, const struct signed_tx *s, const uint8_t *tx, size_t tx_len,
		  const char *jp)
{
	struct sc_submit sub;
	uint8_t req[SC_SUBMIT_MSG_MAX], resp[SC_RESULT_MSG_MAX];
	size_t n;
	struct sc_result_msg m;
	memset(&sub, 0, sizeof sub);
	memcpy(sub.card_id, s->card_id, SC_CARD_ID_LEN);
	sub.atc = s->sig.atc;
	sub.tx = tx;
	sub.tx_len = tx_len;
	memcpy(sub.x, s->sig.x, s->sig.x_len);
	sub.x_len = s->sig.x_len;
	memcpy(sub.sig, s->sig.sig, s->sig.sig_len);
	sub.sig_len = s->sig.sig_len;
	memcpy(sub.jp, jp, SC_JP_DIGITS);
	int len = sc_submit_encode(req, sizeof req, &sub);
	if (len < 0 || term_server_exchange(&server, req, (size_t)len, resp, sizeof resp, &n) != 0 ||
	    sc_result_decode(&m, resp, n) != 0)
		return fail(step, server.err);
	printf("%s %s", step, sc_result_name(m.code));
	struct sc_receipt r;
	if (m.code == SC_RES_OK && sc_receipt_decode(&r, m.receipt, m.receipt_len) == 0)
		printf(" transfer %llu", (unsigned long long)r.transfer_id);
	printf("\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: term_tamper amount|other-jp|replay CONTACT CONTACTLESS"
				" SERVER TERMINAL_ID PAYEE MINOR\n");
		return 2;
	}
	const char *mode = argv[1];
	contact = argv[2];
	contactless = argv[3];
	terminal_id = argv[5];
	payee = argv[6];
	minor = strtoull(argv[7], NULL, 10);
	if (term_server_init(&server, argv[4], 10000) != 0)
		return fail("server", server.err) ? 1 : 1;
	struct signed_tx a, b;
	if (strcmp(mode, "amount") == 0) {
		if (sign_one(&a, minor) != 0)
			return 1;
		struct sc_tx changed = a.tx;
		uint8_t bytes[SC_TX_MAX_LEN];
		changed.amount = minor + 1;
		int n = sc_tx_encode(&changed, bytes, sizeof bytes);
		if (n < 0 || submit("changed-amount", &a, bytes, (size_t)n, a.jp) != 0)
			return 1;
	} else if (strcmp(mode, "other-jp") == 0) {
		if (sign_one(&a, minor) != 0 || submit("first", &a, a.bytes, a.len, a.jp) != 0 ||
		    sign_one(&b, minor) != 0 ||
		    submit("second-with-first-jp", &b, b.bytes, b.len, a.jp) != 0 ||
		    submit("second-with-own-jp", &b, b.bytes, b.len, b.jp) != 0)
			return 1;
	} else if (strcmp(mode, "replay") == 0) {
		if (sign_one(&a, minor) != 0 || submit("first", &a, a.bytes, a.len, a.jp) != 0 ||
		    submit("replay", &a, a.bytes, a.len, a.jp) != 0)
			return 1;
	} else {
		return fail("mode", "amount, other-jp or replay") ? 2 : 2;
	}
	term_server_close(&server);
	return 0;
}
