/* One payment, start to end (DESIGN.md §1): challenge, SELECT and the
 * card's id, the server's authorisation pre-check, SIGN, the
 * card leaves the reader, the joint password by scan or contactless read,
 * SUBMIT (resent identically on a lost connection: the server is idempotent
 * per card and ATC, so a retry can never make a second transfer), and the
 * check of the server's signed receipt. The front end and the daemon both
 * call term_pay_run. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/currency.h"
#include "common/errors.h"
#include "common/hex.h"
#include "common/precheck.h"
#include "common/submit.h"
#include "terminal/terminal.h"

#define SERVER_TIMEOUT_MS 10000
#define CONTACTLESS_POLL_MS 200
#define RETRY_BACKOFF_MS 250

struct pay {
	const struct term_pay_opts *o;
	const struct term_log *log;
	char *err;
	size_t cap;
	struct term_server server;
	struct term_carrier card;
	struct term_carrier cl;
	struct term_camera camera;
	EVP_PKEY *receipt_key;
	uint8_t tx_bytes[SC_TX_MAX_LEN];
	size_t tx_len;
	uint8_t tx_hash[SC_HASH_LEN];
	struct sc_sign_resp sig;
	char jp[SC_JP_DIGITS + 1];
};

/* One progress line; step names the step it begins (TERM_STEP_*), or is
 * NULL for a note within the step under way. */
static void say(struct pay *p, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct pay *p, const char *step, const char *fmt, ...)
{
	char line[TERM_ERR_MAX + 128];
	if (p->log == NULL || p->log->line == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	p->log->line(p->log->ctx, step, line);
}

/* Copies an object's message into the caller's buffer, keeping the class. */
static int pass(struct pay *p, int rc, const char *msg)
{
	if (rc != 0)
		(void)term_errf(p->err, p->cap, (enum term_exit)-rc, "%s", msg);
	return rc;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A refusal by the server, for a person: the code's name, what it means,
 * and the server's own detail (amounts and currencies as a person reads
 * them, docs/PROTOCOL.md §6). */
static int refusal(struct pay *p, const char *before, uint8_t code, const char *detail,
		   size_t detail_len)
{
	char text[SC_RESULT_TEXT_MAX + 1] = "";
	if (detail != NULL && detail_len > 0 && detail_len <= SC_RESULT_TEXT_MAX) {
		memcpy(text, detail, detail_len);
		text[detail_len] = '\0';
	}
	return term_errf(p->err, p->cap, TERM_EXIT_SERVER_REFUSED, "%s%s: %s%s%s%s", before,
			 sc_result_name(code), sc_result_message(code), text[0] ? " (" : "", text,
			 text[0] ? ")" : "");
}

/* Error answers (RESULT with a code) to any request are refusals. */
static int refused(struct pay *p, const uint8_t *body, size_t len, const char *what)
{
	struct sc_result_msg m;
	if (sc_result_decode(&m, body, len) != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: an answer to %s that is not a result message",
				 p->o->server, what);
	return refusal(p, "", m.code, m.text, m.text_len);
}

static int get_challenge(struct pay *p, uint8_t challenge[SC_CHALLENGE_LEN])
{
	uint8_t req[64], resp[SC_RESULT_MSG_MAX];
	size_t n;
	int len = sc_get_challenge_encode(req, sizeof req, p->o->terminal_id);
	if (len < 0)
		return term_errf(p->err, p->cap, TERM_EXIT_FAILURE, "cannot encode GET CHALLENGE: %s",
				 sc_strerror(len));
	int rc = term_server_exchange(&p->server, req, (size_t)len, resp, sizeof resp, &n);
	if (rc != 0)
		return pass(p, rc, p->server.err);
	if (sc_msg_type(resp, n) == SC_MSG_RESULT)
		return refused(p, resp, n, "GET CHALLENGE");
	uint32_t valid_for = 0;
	if (sc_challenge_decode(resp, n, challenge, &valid_for) != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: a malformed answer to GET CHALLENGE", p->o->server);
	say(p, TERM_STEP_CHALLENGE, "challenge from the server, valid %u s", valid_for);
	return 0;
}

/* Without --receipt-key the key comes from the server itself: that proves
 * only that the receipt came from whoever answers on this connection, so
 * the terminal says so; a pinned key (sigcard-server key show) is better. */
static int fetch_receipt_key(struct pay *p)
{
	uint8_t req[8], resp[SC_RESULT_MSG_MAX], pub[SC_PUBKEY_LEN];
	size_t n;
	int len = sc_get_receipt_key_encode(req, sizeof req);
	if (len < 0)
		return term_errf(p->err, p->cap, TERM_EXIT_FAILURE,
				 "cannot encode GET RECEIPT KEY: %s", sc_strerror(len));
	int rc = term_server_exchange(&p->server, req, (size_t)len, resp, sizeof resp, &n);
	if (rc != 0)
		return pass(p, rc, p->server.err);
	if (sc_msg_type(resp, n) == SC_MSG_RESULT)
		return refused(p, resp, n, "GET RECEIPT KEY");
	if (sc_receipt_key_decode(resp, n, pub) != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: a malformed answer to GET RECEIPT KEY", p->o->server);
	rc = term_receipt_key_from_point(&p->receipt_key, pub, sizeof pub, p->err, p->cap);
	if (rc != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt key is not a P-256 point");
	say(p, NULL, "receipt key taken from the server (pin it with --receipt-key FILE)");
	return 0;
}

/* A card whose PIN is blocked gets the unblock the issuer approved, if any
 * (docs/PROTOCOL.md §6 "Issuer scripts"); without one the payment goes on
 * and the card refuses to sign, saying why. */
static void unblock_if_blocked(struct pay *p)
{
	char why[TERM_ERR_MAX];

	if (term_card_pin_blocked(&p->card) != 1)
		return;
	if (term_unblock_deliver(&p->card, &p->server, why, sizeof why) == 0)
		say(p, NULL, "the card's PIN was blocked; the issuer's unblock was delivered");
	else
		say(p, NULL, "the card's PIN is blocked (%s)", why);
}

/* The authorisation pre-check (docs/PROTOCOL.md §6): would the server
 * take this transaction from this card? Asked before SIGN, so that a
 * payment it cannot execute (unknown payee, currencies that differ, payer
 * = payee, ...) costs the holder no PIN and the card no ATC. The server's
 * verdict is advice; the SUBMIT decides. A server older than the message
 * answers RESULT (MALFORMED, "unknown message type"): the payment goes on
 * without the pre-check, as it did before. */
static int precheck(struct pay *p, const uint8_t card_id[SC_CARD_ID_LEN])
{
	struct sc_precheck q;
	uint8_t req[SC_PRECHECK_MSG_MAX], resp[SC_RESULT_MSG_MAX];
	size_t n;
	memcpy(q.card_id, card_id, SC_CARD_ID_LEN);
	q.tx = p->tx_bytes;
	q.tx_len = p->tx_len;
	int len = sc_precheck_encode(req, sizeof req, &q);
	if (len < 0)
		return term_errf(p->err, p->cap, TERM_EXIT_FAILURE, "cannot encode PRECHECK: %s",
				 sc_strerror(len));
	int rc = term_server_exchange(&p->server, req, (size_t)len, resp, sizeof resp, &n);
	if (rc != 0)
		return pass(p, rc, p->server.err);
	if (sc_msg_type(resp, n) == SC_MSG_RESULT) {
		struct sc_result_msg r;
		if (sc_result_decode(&r, resp, n) != 0)
			return term_errf(p->err, p->cap, TERM_EXIT_SERVER_UNREACHABLE,
					 "server %s: an answer to PRECHECK that is not a result"
					 " message", p->o->server);
		say(p, NULL, "the server made no pre-check (%s); going on without it",
		    sc_result_name(r.code));
		return 0;
	}
	struct sc_prechecked m;
	if (sc_prechecked_decode(&m, resp, n) != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_SERVER_UNREACHABLE,
				 "server %s: a malformed answer to PRECHECK", p->o->server);
	if (m.code != SC_RES_OK)
		return refusal(p, "declined before the card signed (no PIN asked, nothing spent): ",
			       m.code, m.text, m.text_len);
	say(p, NULL, "pre-check: the server would take this payment");
	return 0;
}

/* SELECT, GET DATA, the pre-check, SIGN; then the card leaves the reader
 * (claim 7). */
static int sign_on_card(struct pay *p, struct sc_tx *tx, uint8_t card_id[SC_CARD_ID_LEN])
{
	int rc = term_carrier_open(&p->card, p->o->card, p->o->card_timeout_ms);
	if (rc == 0)
		rc = term_card_start(&p->card);
	if (rc == 0)
		rc = term_card_identity(&p->card, card_id, tx->payer);
	if (rc != 0) {
		term_carrier_close(&p->card);
		return pass(p, rc, p->card.err);
	}
	char id_hex[2 * SC_CARD_ID_LEN + 1];
	sc_hex_encode(id_hex, card_id, SC_CARD_ID_LEN);
	say(p, TERM_STEP_SIGN, "card %s, account %s", id_hex, tx->payer);
	unblock_if_blocked(p);

	int n = sc_tx_encode(tx, p->tx_bytes, sizeof p->tx_bytes);
	if (n < 0) {
		term_carrier_close(&p->card);
		return term_errf(p->err, p->cap, TERM_EXIT_FAILURE,
				 "cannot encode the transaction: %s", sc_strerror(n));
	}
	p->tx_len = (size_t)n;
	if (sc_tx_hash(p->tx_bytes, p->tx_len, p->tx_hash) != 0) {
		term_carrier_close(&p->card);
		return term_errf(p->err, p->cap, TERM_EXIT_FAILURE, "cannot hash the transaction");
	}
	rc = precheck(p, card_id);
	if (rc != 0) {
		term_carrier_close(&p->card);
		return rc;
	}
	rc = term_card_sign(&p->card, p->tx_bytes, p->tx_len, tx->scheme, &p->sig);
	if (rc != 0) {
		term_carrier_close(&p->card);
		return pass(p, rc, p->card.err);
	}
	/* The card leaves the reader: only now does it show the transaction and
	 * take the PIN, on its own screen and keypad. */
	term_carrier_power_off(&p->card);
	term_carrier_close(&p->card);
	say(p, TERM_STEP_CARD_OFF, "card signed (%s, ATC %u); the card left the reader",
	    sc_scheme_name(tx->scheme), p->sig.atc);
	return 0;
}

static int jp_by_scan(struct pay *p, const uint8_t card_id[SC_CARD_ID_LEN])
{
	say(p, TERM_STEP_HOLDER, "waiting up to %d s for the holder to confirm; scanning %s",
	    p->o->timeout_s, p->o->camera);
	int rc = term_camera_wait_jp(&p->camera, card_id, p->sig.atc, p->o->timeout_s * 1000,
				     p->jp);
	if (rc != 0)
		return pass(p, rc, p->camera.err);
	say(p, TERM_STEP_SCAN, "the holder confirmed: the password scanned from the card's screen");
	return 0;
}

/* 1 if the card in the contactless field is the one that signed, 0 if it
 * is another (or not a personalised sigcard), or a negative class. */
static int is_signing_card(struct pay *p, const uint8_t card_id[SC_CARD_ID_LEN])
{
	uint8_t id[TERM_GET_DATA_MAX];
	size_t n;
	int rc = term_card_get_data(&p->cl, SC_TAG_CARD_ID, id, sizeof id, &n);
	if (rc == -TERM_EXIT_CARD_ERROR)
		return 0;
	if (rc != 0)
		return rc;
	return n == SC_CARD_ID_LEN && memcmp(id, card_id, SC_CARD_ID_LEN) == 0;
}

static int jp_by_contactless(struct pay *p, const uint8_t card_id[SC_CARD_ID_LEN])
{
	say(p, TERM_STEP_HOLDER, "waiting up to %d s for the holder to confirm; reading %s",
	    p->o->timeout_s, p->o->contactless);
	int64_t deadline = term_now_ms() + (int64_t)p->o->timeout_s * 1000;
	int rc = term_carrier_open(&p->cl, p->o->contactless, p->o->card_timeout_ms);
	if (rc != 0)
		return pass(p, rc, p->cl.err);
	int started = 0, ever_started = 0, foreign = 0;
	for (;;) {
		if (!started) {
			rc = term_card_start(&p->cl);
			if (rc == 0)
				rc = is_signing_card(p, card_id);
			/* Only the card that signed can say its password is void
			 * (6984): another card in the field is passed over. */
			if (rc == 0) {
				if (!foreign)
					say(p, NULL, "another card is in the contactless field; waiting"
					       " for the one that signed");
				foreign = 1;
				term_carrier_power_off(&p->cl);
			} else if (rc == 1) {
				rc = 0;
				started = ever_started = 1;
			}
			/* Not in the field yet, or taken out again: keep looking. */
			if (rc == -TERM_EXIT_CARD_ABSENT || rc == -TERM_EXIT_CARD_REMOVED)
				rc = 0;
		}
		if (rc == 0 && started) {
			rc = term_card_get_jp(&p->cl, p->jp);
			if (rc == 1) {
				rc = 0;
				break;
			}
			if (rc == -TERM_EXIT_CARD_REMOVED) {
				started = 0;
				rc = 0;
			}
		}
		if (rc != 0)
			break;
		if (term_now_ms() >= deadline && !ever_started) {
			rc = term_errf(p->cl.err, sizeof p->cl.err, TERM_EXIT_CARD_ABSENT,
				       "%s in the contactless field %s within %d s",
				       foreign ? "the card that signed did not come"
					       : "no card answered",
				       p->o->contactless, p->o->timeout_s);
			break;
		}
		if (term_now_ms() >= deadline) {
			rc = term_errf(p->cl.err, sizeof p->cl.err, TERM_EXIT_CANCELLED,
				       "the card released no password over %s within %d s:"
				       " the holder did not confirm on the card in time",
				       p->o->contactless, p->o->timeout_s);
			break;
		}
		sleep_ms(CONTACTLESS_POLL_MS);
	}
	term_carrier_power_off(&p->cl);
	term_carrier_close(&p->cl);
	if (rc != 0)
		return pass(p, rc, p->cl.err);
	say(p, TERM_STEP_READ, "the holder confirmed: the password read over the contactless field");
	return 0;
}

/* The key a receipt's seal is checked with: the pinned one (also for
 * receipts of versions 2 and 3, which name none), or, once the issuer has
 * rotated its key, the later key the receipt names, taken from the key
 * list the server hands out only if that list chains to the pinned key.
 * *key is NULL for the pinned one, else the caller's. */
static int sealing_key(struct pay *p, const struct sc_result_msg *m, EVP_PKEY **key)
{
	uint8_t id[SC_KEY_ID_LEN], pinned[SC_KEY_ID_LEN], req[8];
	uint8_t resp[SC_RECEIPT_KEYS_MSG_MAX];
	struct sc_keylist list;
	size_t n;
	*key = NULL;
	if (!term_receipt_names_key(m->receipt, m->receipt_len, id) ||
	    (term_receipt_key_id(p->receipt_key, pinned) == 0 &&
	     memcmp(id, pinned, SC_KEY_ID_LEN) == 0))
		return 0;
	int len = sc_get_receipt_keys_encode(req, sizeof req);
	int rc = len < 0 ? -1 : term_server_exchange(&p->server, req, (size_t)len, resp, sizeof resp, &n);
	if (rc != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt does not verify yet: it names another key"
				 " than the pinned one, and the issuer's key list cannot be asked:"
				 " %s", p->server.err);
	if (sc_receipt_keys_decode(&list, resp, n) != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt does not verify: server %s gave a malformed"
				 " answer to GET RECEIPT KEYS", p->o->server);
	rc = term_receipt_key_from_list(key, p->receipt_key, &list, id, p->err, p->cap);
	if (rc == 0)
		say(p, NULL, "the receipt's key is a successor of the pinned key (issuer's key list)");
	return rc;
}

/* Checks the receipt of an OK or a final decline against what this
 * terminal asked for and the RESULT's code, then its seal: a receipt for
 * another card, counter, transaction or outcome is as bad as a forged one.
 * Version 2 receipts (from a server before issue 12) still verify; their
 * payer balance is not kept: it is not the merchant's to print. */
static int check_receipt(struct pay *p, const struct sc_result_msg *m, struct term_paid *paid)
{
	struct sc_receipt r;
	if (m->receipt == NULL || m->seal == NULL ||
	    sc_receipt_decode(&r, m->receipt, m->receipt_len) != 0)
		return term_errf(p->err, p->cap, TERM_EXIT_BAD_RECEIPT,
				 "the server said %s without a well-formed signed receipt",
				 sc_result_name(m->code));
	if (r.result != m->code || !sc_ct_equal(r.card_id, paid->card_id, SC_CARD_ID_LEN) ||
	    r.atc != p->sig.atc || !sc_ct_equal(r.tx_hash, p->tx_hash, SC_HASH_LEN) ||
	    r.currency != paid->tx.currency)
		return term_errf(p->err, p->cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt is for another transaction (card, ATC,"
				 " transaction hash or currency differ)");
	EVP_PKEY *later = NULL;
	int rc = sealing_key(p, m, &later);
	if (rc == 0)
		rc = term_receipt_verify(later ? later : p->receipt_key, m->receipt, m->receipt_len,
					 m->seal, m->seal_len, p->err, p->cap);
	EVP_PKEY_free(later);
	if (rc != 0)
		return rc;
	paid->transfer_id = r.transfer_id;
	paid->counter = r.counter;
	return 0;
}

/* SUBMIT, resent byte for byte while the server cannot be reached or asks
 * to retry later. */
static int submit(struct pay *p, struct term_paid *paid)
{
	struct sc_submit s;
	uint8_t req[SC_SUBMIT_MSG_MAX], resp[SC_RESULT_MSG_MAX];
	size_t n = 0;
	memset(&s, 0, sizeof s);
	memcpy(s.card_id, paid->card_id, SC_CARD_ID_LEN);
	s.atc = p->sig.atc;
	s.tx = p->tx_bytes;
	s.tx_len = p->tx_len;
	memcpy(s.x, p->sig.x, p->sig.x_len);
	s.x_len = p->sig.x_len;
	memcpy(s.sig, p->sig.sig, p->sig.sig_len);
	s.sig_len = p->sig.sig_len;
	memcpy(s.jp, p->jp, SC_JP_DIGITS);
	int len = sc_submit_encode(req, sizeof req, &s);
	sc_wipe(&s, sizeof s);
	if (len < 0)
		return term_errf(p->err, p->cap, TERM_EXIT_FAILURE, "cannot encode SUBMIT: %s",
				 sc_strerror(len));
	int rc = 0;
	struct sc_result_msg m;
	for (int attempt = 0;; attempt++) {
		paid->attempts = attempt + 1;
		rc = term_server_exchange(&p->server, req, (size_t)len, resp, sizeof resp, &n);
		if (rc == 0) {
			if (sc_result_decode(&m, resp, n) != 0) {
				rc = term_errf(p->server.err, sizeof p->server.err,
					       TERM_EXIT_SERVER_UNREACHABLE,
					       "server %s: a malformed answer to SUBMIT",
					       p->o->server);
				term_server_close(&p->server);
			} else if (m.code == SC_RES_RETRY_LATER) {
				rc = term_errf(p->server.err, sizeof p->server.err,
					       TERM_EXIT_SERVER_UNREACHABLE,
					       "server %s: busy (RETRY_LATER)", p->o->server);
			} else {
				break;
			}
		}
		if (rc != -TERM_EXIT_SERVER_UNREACHABLE || attempt >= p->o->retries)
			break;
		int wait = RETRY_BACKOFF_MS << (attempt < 3 ? attempt : 3);
		say(p, NULL, "%s; sending the same submission again in %d ms (attempt %d of %d)",
		    p->server.err, wait, attempt + 2, p->o->retries + 1);
		sleep_ms(wait);
	}
	sc_wipe(req, sizeof req);
	if (rc != 0)
		return pass(p, rc, p->server.err);
	if (sc_result_is_sealed(m.code) && (rc = check_receipt(p, &m, paid)) != 0)
		return rc;
	if (m.code != SC_RES_OK) {
		if (sc_result_is_sealed(m.code))
			say(p, NULL, "declined; the decline's receipt verified (server counter %llu)",
			    (unsigned long long)paid->counter);
		return refused(p, resp, n, "SUBMIT");
	}
	return 0;
}

int term_pay_run(const struct term_pay_opts *o, struct term_paid *paid,
		 const struct term_log *log, char *err, size_t cap)
{
	struct pay *p = calloc(1, sizeof *p);
	if (p == NULL)
		return term_errf(err, cap, TERM_EXIT_FAILURE, "out of memory");
	memset(paid, 0, sizeof *paid);
	p->o = o;
	p->log = log;
	p->err = err;
	p->cap = cap;
	p->card.fd = p->cl.fd = p->server.fd = -1;

	/* Everything local is checked before the card is touched: a payment
	 * must not be signed that this terminal could never complete. */
	/* The carrier specs first (a malformed one is refused here), then the key. */
	int rc = term_carrier_open(&p->card, o->card, o->card_timeout_ms);
	if (rc != 0)
		pass(p, rc, p->card.err);
	if (rc == 0 && o->contactless != NULL) {
		rc = term_carrier_open(&p->cl, o->contactless, o->card_timeout_ms);
		if (rc != 0)
			pass(p, rc, p->cl.err);
	}
	term_carrier_close(&p->card);
	term_carrier_close(&p->cl);
	if (rc == 0 && o->receipt_key != NULL)
		rc = term_receipt_key_load(&p->receipt_key, o->receipt_key, err, cap);
	if (rc == 0 && o->jp_source == TERM_JP_SCAN) {
		rc = term_camera_open(&p->camera, o->camera);
		if (rc != 0)
			pass(p, rc, p->camera.err);
	}
	if (rc == 0) {
		rc = term_server_init(&p->server, o->server, SERVER_TIMEOUT_MS);
		if (rc == 0)
			rc = term_server_tls_opts(&p->server, &o->tls);
		if (rc != 0)
			pass(p, rc, p->server.err);
	}

	struct sc_tx *tx = &paid->tx;
	tx->version = SC_TX_VERSION;
	tx->scheme = o->scheme;
	tx->amount = o->amount;
	tx->currency = o->currency;
	memcpy(tx->payee, o->payee, sizeof tx->payee);
	memcpy(tx->payee_name, o->payee_name, sizeof tx->payee_name);
	memcpy(tx->terminal_id, o->terminal_id, sizeof tx->terminal_id);
	tx->time = (uint64_t)time(NULL);
	if (rc == 0 && p->receipt_key == NULL)
		rc = fetch_receipt_key(p);
	if (rc == 0)
		rc = get_challenge(p, tx->challenge);
	if (rc == 0)
		rc = sign_on_card(p, tx, paid->card_id);
	if (rc == 0) {
		paid->atc = p->sig.atc;
		rc = o->jp_source == TERM_JP_SCAN ? jp_by_scan(p, paid->card_id)
						  : jp_by_contactless(p, paid->card_id);
	}
	if (rc == 0) {
		say(p, TERM_STEP_SUBMIT, "password obtained; submitting");
		rc = submit(p, paid);
	}
	if (rc == 0)
		say(p, NULL, "paid: transfer %llu, receipt verified",
		    (unsigned long long)paid->transfer_id);

	term_server_free(&p->server);
	term_camera_close(&p->camera);
	EVP_PKEY_free(p->receipt_key);
	sc_wipe(p, sizeof *p);
	free(p);
	return rc;
}

void term_paid_print(const struct term_paid *p, FILE *out)
{
	char amount[64], when[32], id_hex[2 * SC_CARD_ID_LEN + 1];
	if (sc_amount_format(amount, sizeof amount, p->tx.amount, p->tx.currency) < 0)
		snprintf(amount, sizeof amount, "%llu (minor units)",
			 (unsigned long long)p->tx.amount);
	time_t t = (time_t)p->tx.time;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sc_hex_encode(id_hex, p->card_id, SC_CARD_ID_LEN);
	fprintf(out,
		"result: OK\n"
		"amount: %s\n"
		"payee: %s\n"
		"payee-name: %s\n"
		"payer: %s\n"
		"card: %s\n"
		"atc: %u\n"
		"scheme: %s\n"
		"transfer-id: %llu\n"
		"time: %s\n"
		"terminal: %s\n"
		"receipt: verified (server counter %llu)\n",
		amount, p->tx.payee, p->tx.payee_name, p->tx.payer, id_hex, p->atc,
		sc_scheme_name(p->tx.scheme), (unsigned long long)p->transfer_id, when,
		p->tx.terminal_id, (unsigned long long)p->counter);
}
