/* The payment flow (pay.c) against a frame peer playing the card's applet
 * and another playing sigcard-server with common/submit.h's codec and a
 * receipt key made here: the happy path, the identical resubmission after a
 * lost connection, refusals, bad receipts, the authorisation pre-check
 * (a refusal before SIGN; a server that does not know it), and failures
 * that must stop the flow before the card signs or before anything is
 * submitted. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/precheck.h"
#include "common/submit.h"
#include "common/tx.h"
#include "frame_peer.h"
#include "qr_png.h"
#include "terminal/terminal.h"
#include "seal_maker.h"

static const uint8_t CARD_ID[8] = {0xC0, 0xFF, 0xEE, 0x00, 0x11, 0x22, 0x33, 0x44};
#define CARD_HEX "c0ffee0011223344"
#define ATC 258u
#define JP "86420135"

/* How the fake server behaves in one test. */
struct server {
	int hang_up_submits;      /* drop this many SUBMITs without an answer */
	uint8_t refuse;           /* answer SUBMIT with this code (0: OK) */
	int wrong_receipt;        /* receipt for another ATC */
	int bad_signature;        /* flip a bit of the receipt's signature */
	int receipt_v2;           /* answer OK with a version-2 receipt, as before issue 12 */
	int submits;              /* SUBMITs seen */
	int key_asked;            /* GET RECEIPT KEYs seen */
	uint8_t precheck_verdict; /* PRECHECKED with this code (0: OK) */
	int precheck_unknown;     /* answer PRECHECK as a server before it: RESULT MALFORMED */
	int prechecks;            /* PRECHECKs seen */
	uint8_t prechecked_tx[SC_TX_MAX_LEN]; /* the last one's card id and transaction */
	size_t prechecked_tx_len;
	uint8_t prechecked_card[8];
	int submit_as_prechecked; /* each SUBMIT's card id and transaction were the last PRECHECK's */
	EVP_PKEY *key;
	/* after a rotation: key is the first receipt key, the one the terminal pins */
	EVP_PKEY *later;          /* rotated: this key seals, signed by key in the list */
	int broken_link;          /* the list's link to the later key does not verify */
	int keys_asked;           /* GET RECEIPT KEYS (the key list) seen */
	uint8_t challenge[SC_CHALLENGE_LEN];
};

struct card {
	int jp_after;             /* contactless: GET JP answers 6985 this many times */
	int jp_void;              /* ... and then 6984 (the holder cancelled) */
	int foreign;              /* the contactless card is another one (its id differs) */
	int foreign_jp;           /* GET JPs sent to that other card */
	int get_jp;               /* GET JPs seen */
	int signs;                /* SIGNs seen */
};

struct world {
	char dir[64];
	char png[128], key_pem[128];
	struct frame_peer card_peer, cl_peer, server_peer;
	struct card card;
	struct server server;
	char card_spec[160], cl_spec[160], server_spec[160], camera_spec[160];
	struct term_pay_opts o;
};

static void put_sw(uint8_t *out, size_t *n, uint16_t sw)
{
	out[(*n)++] = (uint8_t)(sw >> 8);
	out[(*n)++] = (uint8_t)sw;
}

static enum peer_action card_answer(struct frame_peer *p, const uint8_t *b, size_t len,
				    uint8_t *out, size_t *n)
{
	struct card *c = p->user;
	*n = 0;
	if (len == 1) {
		if (b[0] != 0x04)
			return PEER_SILENT;
		memcpy(out, "\x3B\x80\x80\x01\x01", 5);
		*n = 5;
		return PEER_REPLY;
	}
	if (b[1] == 0xA4) {
		put_sw(out, n, 0x9000);
	} else if (b[1] == 0xCA && b[3] == 0x20) {
		memcpy(out, CARD_ID, 8);
		*n = 8;
		put_sw(out, n, 0x9000);
	} else if (b[1] == 0xCA && b[3] == 0x25) {
		memcpy(out, "PAYER-1", 7);
		*n = 7;
		put_sw(out, n, 0x9000);
	} else if (b[1] == 0x2A) {
		struct sc_tx tx;
		size_t lc = b[4];
		__atomic_add_fetch(&c->signs, 1, __ATOMIC_SEQ_CST);
		if (sc_tx_decode(&tx, b + 5, lc) != 0) {
			put_sw(out, n, 0x6A80);
			return PEER_REPLY;
		}
		size_t xl = (size_t)sc_scheme_x_len(tx.scheme);
		const uint8_t head[] = {0xC1, 4, 0, 0, ATC >> 8, ATC & 0xFF, 0xC2, (uint8_t)xl};
		memcpy(out, head, sizeof head);
		*n = sizeof head;
		memset(out + *n, 0x5C, xl);
		*n += xl;
		out[(*n)++] = 0xC3;
		out[(*n)++] = 8;
		memcpy(out + *n, "\x30\x06\x02\x01\x01\x02\x01\x01", 8);
		*n += 8;
		put_sw(out, n, 0x9000);
	} else if (b[1] == 0x4A) {
		c->get_jp++;
		if (c->get_jp > c->jp_after && c->jp_void) {
			put_sw(out, n, 0x6984);
		} else if (c->get_jp > c->jp_after) {
			memcpy(out, JP, 8);
			*n = 8;
			put_sw(out, n, 0x9000);
		} else {
			put_sw(out, n, 0x6985);
		}
	} else {
		put_sw(out, n, 0x6D00);
	}
	return PEER_REPLY;
}

/* The contactless slot: the same card, or (foreign) another card whose
 * password the terminal must not ask for. */
static enum peer_action cl_answer(struct frame_peer *p, const uint8_t *b, size_t len,
				  uint8_t *out, size_t *n)
{
	struct card *c = p->user;
	enum peer_action a = card_answer(p, b, len, out, n);
	if (c->foreign && len > 4 && b[1] == 0xCA && b[3] == 0x20)
		out[7] ^= 0xFF;
	if (c->foreign && len > 4 && b[1] == 0x4A)
		c->foreign_jp++;
	return a;
}

/* RECEIPT KEYS after one rotation: key, then later signed by key. */
static int key_list(struct server *s, uint8_t *out, size_t cap)
{
	struct sc_keylist l;
	uint8_t link[SC_KEYLIST_LINK_LEN];
	size_t pn = 0, sn = sizeof l.e[1].sig;
	memset(&l, 0, sizeof l);
	l.n = 2;
	if (EVP_PKEY_get_octet_string_param(s->key, "pub", l.e[0].pub, SC_PUBKEY_LEN, &pn) != 1 ||
	    EVP_PKEY_get_octet_string_param(s->later, "pub", l.e[1].pub, SC_PUBKEY_LEN, &pn) != 1)
		return -1;
	l.e[1].created = 1769904000;
	if (sc_keylist_link(link, l.e[0].pub, &l.e[1]) != 0)
		return -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) == 1 &&
		 EVP_DigestSign(md, l.e[1].sig, &sn, link, sizeof link) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -1;
	l.e[1].sig_len = sn;
	if (s->broken_link)
		l.e[1].created++; /* after signing: the link no longer matches */
	return sc_receipt_keys_encode(out, cap, &l);
}

static enum peer_action server_answer(struct frame_peer *p, const uint8_t *b, size_t len,
				      uint8_t *out, size_t *n)
{
	struct server *s = p->user;
	int rc;
	if (sc_msg_type(b, len) == SC_MSG_GET_RECEIPT_KEYS) {
		s->keys_asked++;
		rc = s->later ? key_list(s, out, 70000) : -1;
		*n = rc < 0 ? 0 : (size_t)rc;
		return rc < 0 ? PEER_HANG_UP : PEER_REPLY;
	}
	if (sc_msg_type(b, len) == SC_MSG_GET_CHALLENGE) {
		char tid[SC_TERMINAL_ID_MAX + 1];
		if (sc_get_challenge_decode(b, len, tid) != 0 || strcmp(tid, "T-7") != 0)
			return PEER_HANG_UP;
		memset(s->challenge, 0xA5, sizeof s->challenge);
		rc = sc_challenge_encode(out, 70000, s->challenge, 300);
		*n = rc < 0 ? 0 : (size_t)rc;
		return rc < 0 ? PEER_HANG_UP : PEER_REPLY;
	}
	if (sc_msg_type(b, len) == SC_MSG_GET_RECEIPT_KEY) {
		uint8_t pub[SC_PUBKEY_LEN];
		size_t pn = 0;
		s->key_asked++;
		if (EVP_PKEY_get_octet_string_param(s->key, "pub", pub, sizeof pub, &pn) != 1)
			return PEER_HANG_UP;
		rc = sc_receipt_key_encode(out, 70000, pub);
		*n = rc < 0 ? 0 : (size_t)rc;
		return rc < 0 ? PEER_HANG_UP : PEER_REPLY;
	}
	if (sc_msg_type(b, len) == SC_MSG_PRECHECK) {
		struct sc_precheck q;
		if (sc_precheck_decode(&q, b, len) != 0)
			return PEER_HANG_UP;
		s->prechecks++;
		memcpy(s->prechecked_card, q.card_id, 8);
		memcpy(s->prechecked_tx, q.tx, q.tx_len);
		s->prechecked_tx_len = q.tx_len;
		if (s->precheck_unknown) /* the bytes a server before issue 12 sends */
			rc = sc_result_encode(out, 70000, SC_RES_MALFORMED, NULL, 0, NULL, 0,
					      "unknown message type");
		else
			rc = sc_prechecked_encode(out, 70000, s->precheck_verdict,
						  s->precheck_verdict ? "payee account in USD" : NULL);
		*n = rc < 0 ? 0 : (size_t)rc;
		return rc < 0 ? PEER_HANG_UP : PEER_REPLY;
	}
	struct sc_submit sub;
	if (sc_submit_decode(&sub, b, len) != 0)
		return PEER_HANG_UP;
	s->submits++;
	s->submit_as_prechecked = s->prechecks > 0 && sub.tx_len == s->prechecked_tx_len &&
				  memcmp(sub.tx, s->prechecked_tx, sub.tx_len) == 0 &&
				  memcmp(sub.card_id, s->prechecked_card, 8) == 0;
	if (s->hang_up_submits-- > 0)
		return PEER_HANG_UP;
	if (s->refuse != 0 && !sc_result_is_sealed(s->refuse)) {
		rc = sc_result_encode(out, 70000, s->refuse, NULL, 0, NULL, 0, "from the test");
		*n = (size_t)rc;
		return PEER_REPLY;
	}
	struct sc_tx tx;
	struct sc_receipt r;
	memset(&r, 0, sizeof r);
	if (sc_tx_decode(&tx, sub.tx, sub.tx_len) != 0 || memcmp(sub.jp, JP, 8) != 0)
		return PEER_HANG_UP;
	/* OK, or a final decline: both sealed */
	r.result = s->refuse;
	r.transfer_id = s->refuse ? 0 : 4242;
	r.counter = 9;
	memcpy(r.card_id, sub.card_id, 8);
	r.atc = sub.atc + (s->wrong_receipt ? 1u : 0u);
	sc_tx_hash(sub.tx, sub.tx_len, r.tx_hash);
	r.currency = tx.currency;
	if (s->refuse)
		snprintf(r.reason, sizeof r.reason, "from the test");
	/* the receipt names the key that seals it */
	if (term_receipt_key_id(s->later ? s->later : s->key, r.key_id) != 0)
		return PEER_HANG_UP;
	/* sealed in a batch of three, as the middle one: a real path */
	uint8_t batch[3][SC_RECEIPT_MAX], seal[SC_SEAL_MAX];
	int len_r = sc_receipt_encode(batch[1], sizeof batch[1], &r);
	if (len_r < 0)
		return PEER_HANG_UP;
	if (s->receipt_v2) { /* the 76 bytes of a server before issue 12 */
		uint8_t *v = batch[1];
		memmove(v + 66 + 8, v + 66, 2);
		memcpy(v + 66, "\0\0\0\0\0\x01\x81\xce", 8); /* 987.66 */
		v[4] = SC_RECEIPT_V2;
		len_r = SC_RECEIPT_V2_LEN;
	}
	memset(batch[0], 0x11, sizeof batch[0]);
	memset(batch[2], 0x22, sizeof batch[2]);
	int seal_len = seal_make(s->later ? s->later : s->key, (const uint8_t(*)[SC_RECEIPT_MAX])batch, (size_t)len_r, 3,
				 1, seal);
	if (seal_len < 0)
		return PEER_HANG_UP;
	if (s->bad_signature)
		seal[seal_len - 1] ^= 1;
	rc = sc_result_encode(out, 70000, s->refuse, batch[1], (size_t)len_r, seal,
			      (size_t)seal_len, s->refuse ? "from the test" : NULL);
	*n = rc < 0 ? 0 : (size_t)rc;
	return rc < 0 ? PEER_HANG_UP : PEER_REPLY;
}

static const char *ARGS_BASE[] = {"pay", "--amount", "12.34", "--currency", "EUR", "--to",
				  "SHOP-9", "--payee-name", "Bäckerei", "--terminal-id", "T-7"};

/* Builds the options as the command line would, pointing at this world. */
static void parse_opts(struct world *w, int contactless, const char *scheme)
{
	const char *argv[40];
	int n = 0;
	for (size_t i = 0; i < sizeof ARGS_BASE / sizeof ARGS_BASE[0]; i++)
		argv[n++] = ARGS_BASE[i];
	argv[n++] = "--card";
	argv[n++] = w->card_spec;
	argv[n++] = "--server";
	argv[n++] = w->server_spec;
	argv[n++] = "--receipt-key";
	argv[n++] = w->key_pem;
	argv[n++] = "--scheme";
	argv[n++] = scheme;
	/* Deadlines long enough for a loaded machine (CI runs two busy loops
	 * per core beside the tests): they end at the event, not at the
	 * deadline; a test that wants one to expire sets it itself. */
	argv[n++] = "--timeout";
	argv[n++] = "60";
	argv[n++] = "--retries";
	argv[n++] = "2";
	if (contactless) {
		argv[n++] = "--jp";
		argv[n++] = "contactless";
		argv[n++] = "--contactless";
		argv[n++] = w->cl_spec;
	} else {
		argv[n++] = "--camera";
		argv[n++] = w->camera_spec;
	}
	char err[TERM_ERR_MAX];
	assert_int_equal(term_pay_opts_parse(&w->o, n, (char **)argv, err, sizeof err), 0);
	w->o.card_timeout_ms = 60000;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	snprintf(w->dir, sizeof w->dir, "/tmp/sc-term-pay.XXXXXX");
	if (mkdtemp(w->dir) == NULL)
		return -1;
	snprintf(w->png, sizeof w->png, "%s/screen.png", w->dir);
	snprintf(w->key_pem, sizeof w->key_pem, "%s/receipt.pub", w->dir);
	w->server.key = EVP_EC_gen("P-256");
	FILE *f = fopen(w->key_pem, "w");
	if (w->server.key == NULL || f == NULL || !PEM_write_PUBKEY(f, w->server.key))
		return -1;
	fclose(f);
	if (frame_peer_start(&w->card_peer, card_answer, &w->card) != 0 ||
	    frame_peer_start(&w->cl_peer, cl_answer, &w->card) != 0 ||
	    frame_peer_start(&w->server_peer, server_answer, &w->server) != 0)
		return -1;
	snprintf(w->card_spec, sizeof w->card_spec, "unix:%s", w->card_peer.path);
	snprintf(w->cl_spec, sizeof w->cl_spec, "unix:%s", w->cl_peer.path);
	snprintf(w->server_spec, sizeof w->server_spec, "unix:%s", w->server_peer.path);
	snprintf(w->camera_spec, sizeof w->camera_spec, "file:%s", w->png);
	/* the card's screen after confirmation: this card, this ATC */
	const char *qr = "SIGCARD1:" CARD_HEX ":258:" JP;
	if (qr_png_write(w->png, &qr, 1) != 0)
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[128];
	frame_peer_stop(&w->card_peer);
	frame_peer_stop(&w->cl_peer);
	frame_peer_stop(&w->server_peer);
	EVP_PKEY_free(w->server.key);
	EVP_PKEY_free(w->server.later);
	snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
	if (system(cmd) != 0)
		return -1;
	free(w);
	return 0;
}

static int pay(struct world *w, struct term_paid *paid, char *err, size_t cap)
{
	return term_pay_run(&w->o, paid, NULL, err, cap);
}

static void pays_by_scan_for_each_scheme(void **state)
{
	struct world *w = *state;
	static const char *const schemes[] = {"enc", "enc-rand", "enc-digest"};
	for (int i = 0; i < 3; i++) {
		struct term_paid paid;
		char err[TERM_ERR_MAX] = "";
		parse_opts(w, 0, schemes[i]);
		int rc = pay(w, &paid, err, sizeof err);
		if (rc != 0)
			fail_msg("%s: %d %s", schemes[i], rc, err);
		assert_int_equal(paid.transfer_id, 4242);
		assert_int_equal(paid.atc, ATC);
		assert_int_equal(paid.attempts, 1);
		assert_string_equal(paid.tx.payer, "PAYER-1");
		assert_int_equal(paid.tx.amount, 1234);
		assert_int_equal(paid.tx.scheme, sc_scheme_parse(schemes[i]));
		/* the transaction signed carries the server's challenge */
		assert_memory_equal(paid.tx.challenge, w->server.challenge, SC_CHALLENGE_LEN);
	}
	/* the card left the reader after each SIGN: power off was sent. The
	 * terminal does not wait for the card to read it, so the fake card's
	 * thread may log the last one a little after the payment returned
	 * (polled until it has, for at most a minute). */
	int offs = 0;
	for (int tries = 0; tries < 6000 && offs < 3; tries++) {
		uint8_t body[8];
		int n = frame_peer_count(&w->card_peer);
		if (tries > 0)
			usleep(10000);
		offs = 0;
		for (int i = 0; i < n; i++)
			if (frame_peer_logged(&w->card_peer, i, body, sizeof body) == 1 &&
			    body[0] == 0)
				offs++;
	}
	assert_int_equal(offs, 3);
	assert_int_equal(w->card.signs, 3);
}

static void receipt_text_has_the_fields(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), 0);
	char *text = term_paid_text(&paid);
	assert_non_null(text);
	assert_non_null(strstr(text, "result: OK\n"));
	assert_non_null(strstr(text, "amount: 12.34 EUR\n"));
	assert_non_null(strstr(text, "payee: SHOP-9\n"));
	assert_non_null(strstr(text, "payee-name: Bäckerei\n"));
	assert_non_null(strstr(text, "transfer-id: 4242\n"));
	/* the merchant is not told the payer's balance (issue 12) */
	assert_null(strstr(text, "balance"));
	assert_non_null(strstr(text, "time: 20"));
	/* never the password */
	assert_null(strstr(text, JP));
	free(text);
}

static void pays_by_contactless_read(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->card.jp_after = 2; /* the holder confirms while the terminal polls */
	parse_opts(w, 1, "enc-digest");
	assert_int_equal(pay(w, &paid, err, sizeof err), 0);
	assert_int_equal(w->card.get_jp, 3);
	assert_int_equal(paid.transfer_id, 4242);
}

/* 6984 (cancelled on the card, PIN blocked, timed out there) stops the poll
 * at once: exit 6 with a message to start again, long before --timeout. */
static void void_password_stops_the_poll_at_once(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->card.jp_after = 2; /* two polls pending, then the holder cancels */
	w->card.jp_void = 1;
	parse_opts(w, 1, "enc");
	w->o.timeout_s = 30;
	int64_t t0 = term_now_ms();
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_CANCELLED);
	int64_t took = term_now_ms() - t0;
	assert_true(took < 5000);
	assert_int_equal(w->card.get_jp, 3); /* no poll after the 6984 */
	assert_non_null(strstr(err, "will not release the password"));
	assert_non_null(strstr(err, "start a new payment"));
	assert_int_equal(w->server.submits, 0);
}

/* Another card in the contactless field is not asked for a password (its
 * 6984 would not be about this payment): the terminal waits for its own. */
static void another_card_in_the_field_is_passed_over(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->card.foreign = 1;
	w->card.jp_void = 1;
	parse_opts(w, 1, "enc");
	w->o.timeout_s = 2;   /* the signing card is awaited until --timeout */
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_CARD_ABSENT);
	assert_non_null(strstr(err, "the card that signed did not come"));
	assert_int_equal(w->card.foreign_jp, 0);
	assert_int_equal(w->card.get_jp, 0);
	assert_int_equal(w->server.submits, 0);
}

static void lost_connection_resends_the_identical_submission(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.hang_up_submits = 1;
	parse_opts(w, 0, "enc-rand");
	assert_int_equal(pay(w, &paid, err, sizeof err), 0);
	assert_int_equal(paid.attempts, 2);
	assert_int_equal(w->server.submits, 2);
	assert_int_equal(w->card.signs, 1);
	/* the two SUBMIT bodies are byte for byte the same */
	uint8_t a[600], b[600];
	int n = frame_peer_count(&w->server_peer), la = -1, lb = -1;
	for (int i = 0; i < n; i++) {
		uint8_t body[600];
		int len = frame_peer_logged(&w->server_peer, i, body, sizeof body);
		if (len > 0 && body[0] == SC_MSG_SUBMIT) {
			if (la < 0) {
				la = len;
				memcpy(a, body, (size_t)len);
			} else {
				lb = len;
				memcpy(b, body, (size_t)len);
			}
		}
	}
	assert_true(la > 0);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, (size_t)la);
}

static void retries_run_out(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.hang_up_submits = 10;
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_SERVER_UNREACHABLE);
	assert_int_equal(w->server.submits, 3); /* the first and --retries 2 */
}

static void refusal_names_the_servers_code(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.refuse = SC_RES_INSUFFICIENT_FUNDS;
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_SERVER_REFUSED);
	assert_non_null(strstr(err, "INSUFFICIENT_FUNDS"));
	if (strstr(err, "from the test") == NULL)
		fail_msg("%s", err);
	assert_int_equal(w->server.submits, 1); /* a refusal is final: no resend */
}

/* A final decline comes sealed: a forged or mismatched one is a bad
 * receipt, not a refusal the terminal could be talked into reporting. */
/* The pre-check comes before SIGN, on what the card is about to sign: the
 * same card id and transaction bytes the SUBMIT then carries. */
static void the_precheck_is_of_what_is_signed(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	parse_opts(w, 0, "enc-rand");
	if (pay(w, &paid, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(w->server.prechecks, 1);
	assert_int_equal(w->card.signs, 1);
	assert_true(w->server.submit_as_prechecked);
}

/* A refusal of the pre-check stops the payment before SIGN: the card is
 * never asked to sign (so it spends no ATC and asks no PIN), nothing is
 * submitted, and the terminal says why with the decline's exit status. */
static void a_precheck_refusal_stops_before_sign(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.precheck_verdict = SC_RES_CURRENCY_MISMATCH;
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_SERVER_REFUSED);
	if (strstr(err, "declined before the card signed") == NULL ||
	    strstr(err, "CURRENCY_MISMATCH") == NULL || strstr(err, "(payee account in USD)") == NULL)
		fail_msg("%s", err);
	assert_int_equal(w->server.prechecks, 1);
	assert_int_equal(w->card.signs, 0);
	assert_int_equal(w->server.submits, 0);
}

/* A server before the pre-check answers it RESULT MALFORMED: the terminal
 * goes on without it and pays as before. */
static void an_older_server_is_paid_without_a_precheck(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.precheck_unknown = 1;
	parse_opts(w, 0, "enc");
	if (pay(w, &paid, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(paid.transfer_id, 4242);
	assert_int_equal(w->server.prechecks, 1);
	assert_int_equal(w->card.signs, 1);
	assert_int_equal(w->server.submits, 1);
}

static void a_decline_is_checked_like_a_receipt(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.refuse = SC_RES_INSUFFICIENT_FUNDS;
	w->server.bad_signature = 1;
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	assert_non_null(strstr(err, "does not verify"));
	w->server.bad_signature = 0;
	w->server.wrong_receipt = 1;
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	assert_non_null(strstr(err, "another transaction"));
}

/* A server before issue 12 seals version-2 receipts with the payer's
 * balance: they still verify, and the balance is not printed. */
static void version_2_receipts_still_verify(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.receipt_v2 = 1;
	parse_opts(w, 0, "enc");
	if (pay(w, &paid, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(paid.transfer_id, 4242);
	char *text = term_paid_text(&paid);
	assert_non_null(text);
	assert_null(strstr(text, "balance"));
	assert_null(strstr(text, "987.66"));
	free(text);
	w->server.bad_signature = 1;
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
}

static void receipts_that_do_not_match_are_rejected(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	w->server.wrong_receipt = 1;
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	assert_non_null(strstr(err, "another transaction"));
	w->server.wrong_receipt = 0;
	w->server.bad_signature = 1;
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	assert_non_null(strstr(err, "does not verify"));
}

static void no_server_means_the_card_never_signs(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	parse_opts(w, 0, "enc");
	strcpy(w->server_spec, "unix:/nonexistent/sigcard-server.sock");
	w->o.server = w->server_spec;
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_SERVER_UNREACHABLE);
	assert_int_equal(frame_peer_count(&w->card_peer), 0);
}

static void no_card_and_no_password(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	parse_opts(w, 0, "enc");
	w->o.card = "unix:/nonexistent/card.sock";
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_CARD_ABSENT);
	assert_int_equal(w->server.submits, 0);

	/* the screen shows a stale password only: nothing is submitted */
	const char *stale = "SIGCARD1:" CARD_HEX ":257:11111111";
	assert_int_equal(qr_png_write(w->png, &stale, 1), 0);
	parse_opts(w, 0, "enc");
	w->o.timeout_s = 2;   /* the fresh password is awaited until --timeout */
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_CANCELLED);
	assert_int_equal(w->server.submits, 0);
	assert_int_equal(w->card.signs, 1);

	/* contactless: nothing in the field at all is no card, not a cancel */
	parse_opts(w, 1, "enc");
	w->o.contactless = "unix:/nonexistent/contactless.sock";
	w->o.timeout_s = 2;   /* the field is watched until --timeout */
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_CARD_ABSENT);
	assert_non_null(strstr(err, "contactless field"));
	assert_int_equal(w->server.submits, 0);

	/* contactless: the card never releases a password (the wait for it
	 * runs out after --timeout) */
	w->card.jp_after = 1000;
	parse_opts(w, 1, "enc");
	w->o.timeout_s = 2;
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_CANCELLED);
	assert_int_equal(w->server.submits, 0);
}

static void receipt_key_from_the_server(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	parse_opts(w, 0, "enc");
	w->o.receipt_key = NULL;
	assert_int_equal(pay(w, &paid, err, sizeof err), 0);
	assert_int_equal(w->server.key_asked, 1);
	assert_int_equal(paid.transfer_id, 4242);
	/* and a pinned key is never replaced by the server's word */
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), 0);
	assert_int_equal(w->server.key_asked, 1);
}

/* After the issuer's rotation the receipt names a later key: the terminal
 * pinned to the first asks for the key list once and pays; a list whose
 * link does not verify leaves the receipt unverified (exit 9). A receipt
 * naming the pinned key never makes it ask. */
static void later_key_through_the_issuers_list(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), 0);
	assert_int_equal(w->server.keys_asked, 0);

	assert_non_null(w->server.later = EVP_EC_gen("P-256"));
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), 0);
	assert_int_equal(w->server.keys_asked, 1);
	assert_int_equal(paid.transfer_id, 4242);

	w->server.broken_link = 1;
	parse_opts(w, 0, "enc");
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	assert_int_equal(w->server.keys_asked, 2);
	assert_non_null(strstr(err, "does not chain to the pinned key"));
}

static void missing_receipt_key_stops_before_anything(void **state)
{
	struct world *w = *state;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	parse_opts(w, 0, "enc");
	w->o.receipt_key = "/nonexistent/receipt.pub";
	assert_int_equal(pay(w, &paid, err, sizeof err), -TERM_EXIT_FAILURE);
	assert_int_equal(frame_peer_count(&w->card_peer), 0);
	assert_int_equal(frame_peer_count(&w->server_peer), 0);
}

struct daemon_call {
	const char *spec;
	int argc;
	char **argv;
	int rc;
};

static void *call_daemon(void *arg)
{
	struct daemon_call *c = arg;
	c->rc = term_daemon_pay(c->spec, c->argc, c->argv);
	return NULL;
}

/* The daemon form: a child process runs "daemon" with this world's settings;
 * front ends pay through it, and get its refusals with the right status. */
static void daemon_serves_front_ends(void **state)
{
	struct world *w = *state;
	char sock[128];
	snprintf(sock, sizeof sock, "%s/terminal.sock", w->dir);
	const char *dargv[] = {"daemon", "--socket", sock, "-d", "--card", w->card_spec,
			       "--server", w->server_spec, "--terminal-id", "T-7",
			       "--receipt-key", w->key_pem, "--camera", w->camera_spec};
	/* A fresh process (this program again, see main), not a bare fork of
	 * this one: the peers' threads may hold locks at the instant of fork. */
	char *xargv[32];
	int xn = 0;
	xargv[xn++] = "test_pay";
	xargv[xn++] = "--run-daemon";
	for (size_t i = 0; i < sizeof dargv / sizeof dargv[0]; i++)
		xargv[xn++] = (char *)dargv[i];
	xargv[xn] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(99);
		execv("/proc/self/exe", xargv);
		_exit(98);
	}
	struct stat st;
	for (int i = 0; i < 100 && stat(sock, &st) != 0; i++)
		usleep(20000);
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 077, 0); /* only its owner may ask it to pay */

	char spec[160];
	snprintf(spec, sizeof spec, "unix:%s", sock);
	const char *args[] = {"--amount", "0.50", "--currency", "EUR", "--to", "SHOP-9",
			      "--payee-name", "Kiosk", "--scheme", "enc-digest", "--timeout", "2"};
	int n = (int)(sizeof args / sizeof args[0]);
	assert_int_equal(term_daemon_pay(spec, n, (char **)args), 0);
	assert_int_equal(w->server.submits, 1);

	/* the terminal's own settings are not the front end's to change */
	const char *steal[] = {"--amount", "1", "--currency", "EUR", "--to", "SHOP-9",
			       "--payee-name", "Kiosk", "--card", "unix:/tmp/other"};
	assert_int_equal(term_daemon_pay(spec, 10, (char **)steal), TERM_EXIT_USAGE);
	/* bad input gets the same answer as the one-shot command */
	args[1] = "0.505";
	assert_int_equal(term_daemon_pay(spec, n, (char **)args), TERM_EXIT_USAGE);
	/* a refusal comes back as a refusal */
	args[1] = "0.50";
	w->server.refuse = SC_RES_UNKNOWN_ACCOUNT;
	assert_int_equal(term_daemon_pay(spec, n, (char **)args), TERM_EXIT_SERVER_REFUSED);
	/* and so does the pre-check's, before the card signs */
	w->server.refuse = 0;
	w->server.precheck_verdict = SC_RES_SAME_ACCOUNT;
	int signed_before = __atomic_load_n(&w->card.signs, __ATOMIC_SEQ_CST);
	assert_int_equal(term_daemon_pay(spec, n, (char **)args), TERM_EXIT_SERVER_REFUSED);
	assert_int_equal(__atomic_load_n(&w->card.signs, __ATOMIC_SEQ_CST), signed_before);
	w->server.precheck_verdict = SC_RES_OK;

	/* one payment at a time: a second front end, while the card has signed
	 * for the first and the screen shows no password for it yet, is told
	 * "busy"; then the password shows and the first is paid */
	const char *stale = "SIGCARD1:" CARD_HEX ":1:11111111";
	const char *good = "SIGCARD1:" CARD_HEX ":258:" JP;
	assert_int_equal(qr_png_write(w->png, &stale, 1), 0);
	w->server.refuse = 0;
	int signs = __atomic_load_n(&w->card.signs, __ATOMIC_SEQ_CST);
	int submits = w->server.submits;
	const char *first_args[] = {"--amount", "0.50", "--currency", "EUR", "--to", "SHOP-9",
				    "--payee-name", "Kiosk", "--scheme", "enc-digest", "--timeout", "60"};
	pthread_t first;
	struct daemon_call call = {spec, n, (char **)first_args, -1};
	assert_int_equal(pthread_create(&first, NULL, call_daemon, &call), 0);
	for (int i = 0; i < 3000 && __atomic_load_n(&w->card.signs, __ATOMIC_SEQ_CST) == signs; i++)
		usleep(10000);
	assert_int_equal(__atomic_load_n(&w->card.signs, __ATOMIC_SEQ_CST), signs + 1);
	assert_int_equal(term_daemon_pay(spec, n, (char **)args), TERM_EXIT_FAILURE);
	assert_int_equal(qr_png_write(w->png, &good, 1), 0);
	pthread_join(first, NULL);
	assert_int_equal(call.rc, 0);
	assert_int_equal(w->server.submits, submits + 1);

	int status;
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_not_equal(stat(sock, &st), 0); /* it removed its socket */
	assert_int_equal(term_daemon_pay(spec, n, (char **)args), TERM_EXIT_FAILURE);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(pays_by_scan_for_each_scheme),
		T(receipt_text_has_the_fields),
		T(pays_by_contactless_read),
		T(void_password_stops_the_poll_at_once),
		T(another_card_in_the_field_is_passed_over),
		T(lost_connection_resends_the_identical_submission),
		T(retries_run_out),
		T(refusal_names_the_servers_code),
		T(the_precheck_is_of_what_is_signed),
		T(a_precheck_refusal_stops_before_sign),
		T(an_older_server_is_paid_without_a_precheck),
		T(a_decline_is_checked_like_a_receipt),
		T(version_2_receipts_still_verify),
		T(receipts_that_do_not_match_are_rejected),
		T(no_server_means_the_card_never_signs),
		T(no_card_and_no_password),
		T(receipt_key_from_the_server),
		T(missing_receipt_key_stops_before_anything),
		T(later_key_through_the_issuers_list),
		T(daemon_serves_front_ends),
	};
	if (argc > 2 && strcmp(argv[1], "--run-daemon") == 0)
		return term_daemon_main(argc - 2, argv + 2);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("terminal payment flow", tests, NULL, NULL);
}
