/* The server submission protocol codec (common/submit.h) against the hex
 * vectors of docs/PROTOCOL.md section 6, read at run time, plus round trips
 * and rejections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common_test.h"
#include "common/errors.h"
#include "common/hex.h"
#include "common/issuer_script.h"
#include "common/precheck.h"
#include "common/seal.h"
#include "common/submit.h"
#include "mbedtls/md.h"

#define MAX_VEC 64
#define MAX_BYTES 1024

struct vec {
	char name[64];
	char attrs[160];
	uint8_t b[MAX_BYTES];
	size_t len;
};

static struct vec vecs[MAX_VEC];
static size_t n_vecs;

static FILE *open_doc(void)
{
	const char *top = getenv("SC_TOP");
	char path[4096];
	FILE *f;

	if (top && *top) {
		snprintf(path, sizeof(path), "%s/docs/PROTOCOL.md", top);
		return fopen(path, "r");
	}
	f = fopen("docs/PROTOCOL.md", "r");
	return f;
}

/* Collects the vectors inside the fences of section 6 only. */
static int load(void **state)
{
	char line[512];
	int section = 0, fence = 0;
	struct vec *cur = NULL;
	FILE *f = open_doc();

	(void)state;
	if (!f)
		return -1;
	n_vecs = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!fence && strncmp(line, "## ", 3) == 0)
			section = atoi(line + 3);
		else if (strncmp(line, "```", 3) == 0)
			fence = !fence, cur = NULL;
		else if (fence && section == 6 && strncmp(line, "vector ", 7) == 0) {
			char *sp = strchr(line + 7, ' ');

			if (n_vecs == MAX_VEC)
				return -1;
			cur = &vecs[n_vecs++];
			memset(cur, 0, sizeof(*cur));
			if (sp)
				*sp++ = '\0';
			snprintf(cur->name, sizeof(cur->name), "%.63s", line + 7);
			snprintf(cur->attrs, sizeof(cur->attrs), " %.150s ", sp ? sp : "");
		} else if (fence && section == 6 && cur && *line) {
			int n = sc_hex_decode(cur->b + cur->len, MAX_BYTES - cur->len, line);

			if (n < 0)
				return -1;
			cur->len += (size_t)n;
		}
	}
	fclose(f);
	return n_vecs > 0 ? 0 : -1;
}

static const struct vec *get(const char *name)
{
	for (size_t i = 0; i < n_vecs; i++)
		if (strcmp(vecs[i].name, name) == 0)
			return &vecs[i];
	fail_msg("no vector %s in docs/PROTOCOL.md section 6", name);
	return NULL;
}

static int err_of(const struct vec *v)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = {{"LENGTH", SC_ERR_LENGTH}, {"BAD_VALUE", SC_ERR_BAD_VALUE},
		    {"TRAILING", SC_ERR_TRAILING}, {"TRUNCATED", SC_ERR_TRUNCATED},
		    {"BAD_TAG", SC_ERR_BAD_TAG}};
	const char *e = strstr(v->attrs, " err=");

	assert_non_null(e);
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (strncmp(e + 5, errs[i].name, strlen(errs[i].name)) == 0 &&
		    e[5 + strlen(errs[i].name)] == ' ')
			return errs[i].err;
	fail_msg("unknown err in %s", v->name);
	return 0;
}

static void challenge_messages(void **state)
{
	const struct vec *g = get("submit.get-challenge"), *c = get("submit.challenge");
	uint8_t out[64], ch[SC_CHALLENGE_LEN], want[SC_CHALLENGE_LEN];
	char tid[SC_TERMINAL_ID_MAX + 1];
	uint32_t ttl;

	(void)state;
	assert_int_equal(sc_get_challenge_encode(out, sizeof(out), "TERM-0001"), (int)g->len);
	assert_memory_equal(out, g->b, g->len);
	assert_int_equal(sc_get_challenge_decode(g->b, g->len, tid), 0);
	assert_string_equal(tid, "TERM-0001");
	for (int i = 0; i < 16; i++)
		want[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(sc_challenge_encode(out, sizeof(out), want, 300), (int)c->len);
	assert_memory_equal(out, c->b, c->len);
	assert_int_equal(sc_challenge_decode(c->b, c->len, ch, &ttl), 0);
	assert_memory_equal(ch, want, 16);
	assert_int_equal(ttl, 300);
	/* a terminal id with a space is refused both ways */
	assert_int_equal(sc_get_challenge_encode(out, sizeof(out), "T 1"), SC_ERR_BAD_VALUE);
	memcpy(out, "\x01\x03T 1", 5);
	assert_int_equal(sc_get_challenge_decode(out, 5, tid), SC_ERR_BAD_VALUE);
}

static void submit_message(void **state)
{
	const struct vec *v = get("submit.submit");
	uint8_t out[SC_SUBMIT_MSG_MAX];
	struct sc_submit s;

	(void)state;
	assert_int_equal(sc_submit_decode(&s, v->b, v->len), 0);
	assert_int_equal(s.atc, 7);
	assert_int_equal(s.tx_len, 127);
	assert_int_equal(s.x_len, 16);
	assert_int_equal(s.sig_len, 70);
	assert_memory_equal(s.jp, "12345678", 8);
	assert_memory_equal(s.card_id, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(sc_submit_encode(out, sizeof(out), &s), (int)v->len);
	assert_memory_equal(out, v->b, v->len);
	/* every truncation is refused */
	for (size_t n = 0; n < v->len; n++)
		assert_true(sc_submit_decode(&s, v->b, n) < 0);
}

static void result_and_receipt(void **state)
{
	const struct vec *ok = get("submit.result.ok"), *rv = get("submit.receipt");
	const struct vec *af = get("submit.result.auth-failed");
	uint8_t out[SC_RESULT_MSG_MAX];
	struct sc_result_msg m;
	struct sc_receipt r;

	(void)state;
	assert_int_equal(sc_receipt_decode(&r, rv->b, rv->len), 0);
	assert_int_equal(r.transfer_id, 42);
	assert_int_equal(r.counter, 9);
	assert_int_equal(r.atc, 7);
	assert_int_equal(r.version, SC_RECEIPT_V2);
	assert_int_equal(r.balance_after, 97500);
	assert_int_equal(r.currency, 978);
	assert_int_equal(r.result, SC_RES_OK);
	/* version 2 is read, never written: the encoder writes version 4 */
	assert_int_equal(sc_receipt_encode(out, sizeof(out), &r), SC_RECEIPT_V4_MIN);
	assert_int_equal(out[4], SC_RECEIPT_VERSION);

	assert_int_equal(sc_result_decode(&m, ok->b, ok->len), 0);
	assert_int_equal(m.code, SC_RES_OK);
	assert_int_equal(m.receipt_len, SC_RECEIPT_V2_LEN);
	assert_memory_equal(m.receipt, rv->b, rv->len);
	assert_int_equal(m.text_len, 0);
	assert_int_equal(sc_result_encode(out, sizeof(out), SC_RES_OK, m.receipt, m.receipt_len,
					  m.seal, m.seal_len, ""), (int)ok->len);
	assert_memory_equal(out, ok->b, ok->len);

	assert_int_equal(sc_result_decode(&m, af->b, af->len), 0);
	assert_int_equal(m.code, SC_RES_AUTH_FAILED);
	assert_null(m.receipt);
	assert_int_equal(sc_result_encode(out, sizeof(out), SC_RES_AUTH_FAILED, NULL, 0, NULL, 0,
					  "wrong joint password (1 of 3 for this message)"),
			 (int)af->len);
	assert_memory_equal(out, af->b, af->len);
	/* an error carries no receipt, OK always does */
	assert_int_equal(sc_result_encode(out, sizeof(out), SC_RES_AUTH_FAILED, rv->b, rv->len,
					  ok->b, SC_SEAL_MIN, NULL), SC_ERR_ARG);
	assert_int_equal(sc_result_encode(out, sizeof(out), SC_RES_OK, NULL, 0, NULL, 0, NULL),
			 SC_ERR_ARG);
}

/* Receipt version 3 and the sealed decline (issue 12): the C codec gives
 * the bytes Python computed, and the decline's seal opens to its batch's
 * statement. */
static void declined_receipt_vectors(void **state)
{
	const struct vec *v3 = get("submit.receipt.v3"), *dv = get("submit.receipt.declined");
	const struct vec *stv = get("submit.seal.v3.statement"), *sv = get("submit.seal.v3.1");
	const struct vec *res = get("submit.result.declined");
	uint8_t out[SC_RESULT_MSG_MAX], nodes[SC_SEAL_NODES(2)][SC_HASH_LEN], root[SC_HASH_LEN];
	uint8_t statement[SC_SEAL_STATEMENT_LEN];
	struct sc_result_msg m;
	struct sc_receipt r;
	struct sc_seal d;

	(void)state;
	assert_int_equal(sc_receipt_decode(&r, v3->b, v3->len), 0);
	assert_int_equal(r.version, 3);
	assert_int_equal(r.result, SC_RES_OK);
	assert_int_equal(r.transfer_id, 42);
	assert_int_equal(r.counter, 12);
	assert_int_equal(r.balance_after, 0);
	assert_string_equal(r.reason, "");
	assert_int_equal(sc_receipt_encode(out, sizeof(out), &r), (int)v3->len);
	assert_memory_equal(out, v3->b, v3->len);

	assert_int_equal(sc_receipt_decode(&r, dv->b, dv->len), 0);
	assert_int_equal(r.result, SC_RES_INSUFFICIENT_FUNDS);
	assert_int_equal(r.transfer_id, 0);
	assert_int_equal(r.counter, 13);
	assert_int_equal(r.atc, 7);
	assert_int_equal(r.currency, 978);
	assert_string_equal(r.reason, "amount 1234 is above the balance");
	assert_int_equal(sc_receipt_encode(out, sizeof(out), &r), (int)dv->len);
	assert_memory_equal(out, dv->b, dv->len);
	/* a receipt is for OK or a final decline; only a decline has a reason */
	r.result = SC_RES_AUTH_FAILED;
	assert_int_equal(sc_receipt_encode(out, sizeof(out), &r), SC_ERR_BAD_VALUE);
	r.result = SC_RES_OK;
	assert_int_equal(sc_receipt_encode(out, sizeof(out), &r), SC_ERR_BAD_VALUE);

	assert_int_equal(sc_seal_leaf(v3->b, v3->len, nodes[0]), 0);
	assert_int_equal(sc_seal_leaf(dv->b, dv->len, nodes[1]), 0);
	assert_int_equal(sc_seal_tree(nodes, 2, SC_SEAL_NODES(2), root), 0);
	assert_int_equal(sc_seal_statement(root, statement), 0);
	assert_memory_equal(statement, stv->b, stv->len);
	assert_int_equal(sc_seal_decode(&d, sv->b, sv->len), 0);
	assert_int_equal(sc_seal_open(dv->b, dv->len, &d, statement), 0);
	assert_memory_equal(statement, stv->b, stv->len);

	assert_int_equal(sc_result_decode(&m, res->b, res->len), 0);
	assert_int_equal(m.code, SC_RES_INSUFFICIENT_FUNDS);
	assert_int_equal(m.receipt_len, dv->len);
	assert_memory_equal(m.receipt, dv->b, dv->len);
	assert_memory_equal(m.seal, sv->b, sv->len);
	assert_int_equal(sc_result_encode(out, sizeof(out), SC_RES_INSUFFICIENT_FUNDS, m.receipt,
					  m.receipt_len, m.seal, m.seal_len,
					  "amount 1234 is above the balance"), (int)res->len);
	assert_memory_equal(out, res->b, res->len);
	/* a final decline always comes sealed */
	assert_int_equal(sc_result_encode(out, sizeof(out), SC_RES_INSUFFICIENT_FUNDS, NULL, 0,
					  NULL, 0, "x"), SC_ERR_ARG);
	for (int c = 0; c < (int)SC_RES_COUNT; c++)
		assert_int_equal(sc_result_is_final_decline(c),
				 c == SC_RES_CARD_BLOCKED || (c >= SC_RES_INSUFFICIENT_FUNDS &&
							       c <= SC_RES_BAD_AMOUNT));
}

static void receipt_key_messages(void **state)
{
	const struct vec *g = get("submit.get-receipt-key"), *k = get("submit.receipt-key");
	uint8_t out[80], pub[SC_PUBKEY_LEN];

	(void)state;
	assert_int_equal(sc_get_receipt_key_encode(out, sizeof(out)), 1);
	assert_memory_equal(out, g->b, 1);
	assert_int_equal(sc_get_receipt_key_decode(g->b, g->len), 0);
	assert_int_equal(sc_receipt_key_decode(k->b, k->len, pub), 0);
	assert_int_equal(sc_receipt_key_encode(out, sizeof(out), pub), (int)k->len);
	assert_memory_equal(out, k->b, k->len);
}

static void bad_vectors_are_refused(void **state)
{
	struct sc_submit s;
	struct sc_result_msg m;
	struct sc_precheck p;
	struct sc_prechecked pm;
	char tid[SC_TERMINAL_ID_MAX + 1];
	int seen = 0;

	(void)state;
	for (size_t i = 0; i < n_vecs; i++) {
		const struct vec *v = &vecs[i];
		int rc;

		if (strncmp(v->name, "submit.bad.", 11) != 0)
			continue;
		seen++;
		switch (sc_msg_type(v->b, v->len)) {
		case SC_MSG_SUBMIT: rc = sc_submit_decode(&s, v->b, v->len); break;
		case SC_MSG_GET_CHALLENGE: rc = sc_get_challenge_decode(v->b, v->len, tid); break;
		case SC_MSG_RESULT: rc = sc_result_decode(&m, v->b, v->len); break;
		case SC_MSG_PRECHECK: rc = sc_precheck_decode(&p, v->b, v->len); break;
		case SC_MSG_PRECHECKED: rc = sc_prechecked_decode(&pm, v->b, v->len); break;
		default: fail_msg("%s: unexpected type", v->name); return;
		}
		if (rc != err_of(v))
			fail_msg("%s: got %s", v->name, sc_strerror(rc));
	}
	assert_int_equal(seen, 13);
	/* a refused body leaves nothing pointing into it */
	assert_int_not_equal(sc_precheck_decode(&p, get("submit.bad.precheck-trailing")->b,
						get("submit.bad.precheck-trailing")->len), 0);
	assert_null(p.tx);
	assert_int_equal(p.tx_len, 0);
}

/* The authorisation pre-check against Python's bytes: PRECHECK of the
 * section 3 transaction, both ways; PRECHECKED OK and a decline's verdict;
 * every verdict code and no other encodes; short buffers overflow. */
static void precheck_vectors(void **state)
{
	const struct vec *v = get("submit.precheck"), *tx = get("submit.submit");
	static const uint8_t card[SC_CARD_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct sc_precheck p, got;
	struct sc_prechecked m;
	uint8_t out[SC_PRECHECK_MSG_MAX];
	const char *mismatch = "transaction in EUR, payer account in EUR, payee account in USD";

	(void)state;
	/* the transaction as SUBMIT carries it: after type, card id, ATC, n */
	memcpy(p.card_id, card, sizeof(card));
	p.tx = tx->b + 1 + 8 + 4 + 2;
	p.tx_len = (size_t)tx->b[13] << 8 | tx->b[14];
	assert_int_equal(sc_precheck_encode(out, sizeof(out), &p), (int)v->len);
	assert_memory_equal(out, v->b, v->len);
	assert_int_equal(sc_precheck_encode(out, v->len - 1, &p), SC_ERR_OVERFLOW);
	assert_int_equal(sc_precheck_decode(&got, v->b, v->len), 0);
	assert_memory_equal(got.card_id, card, sizeof(card));
	assert_int_equal(got.tx_len, p.tx_len);
	assert_memory_equal(got.tx, p.tx, p.tx_len);
	assert_ptr_equal(got.tx, v->b + 11); /* points into the body */
	p.tx_len = 0;
	assert_int_equal(sc_precheck_encode(out, sizeof(out), &p), SC_ERR_LENGTH);
	p.tx_len = SC_TX_MAX_LEN + 1;
	assert_int_equal(sc_precheck_encode(out, sizeof(out), &p), SC_ERR_LENGTH);

	v = get("submit.prechecked.ok");
	assert_int_equal(sc_prechecked_encode(out, sizeof(out), SC_RES_OK, NULL), (int)v->len);
	assert_memory_equal(out, v->b, v->len);
	assert_int_equal(sc_prechecked_decode(&m, v->b, v->len), 0);
	assert_int_equal(m.code, SC_RES_OK);
	assert_int_equal(m.text_len, 0);
	v = get("submit.prechecked.currency");
	assert_int_equal(sc_prechecked_encode(out, sizeof(out), SC_RES_CURRENCY_MISMATCH, mismatch),
			 (int)v->len);
	assert_memory_equal(out, v->b, v->len);
	assert_int_equal(sc_prechecked_decode(&m, v->b, v->len), 0);
	assert_int_equal(m.code, SC_RES_CURRENCY_MISMATCH);
	assert_int_equal(m.text_len, strlen(mismatch));
	assert_memory_equal(m.text, mismatch, m.text_len);
	assert_int_equal(sc_prechecked_encode(out, v->len - 1, SC_RES_CURRENCY_MISMATCH, mismatch),
			 SC_ERR_OVERFLOW);
	/* the verdicts: what a SUBMIT could be refused for without its
	 * signature, never the funds, never what only a SUBMIT can be */
	for (int code = 0; code < 256; code++) {
		int verdict = code == SC_RES_OK || code == SC_RES_UNKNOWN_CARD ||
			      code == SC_RES_CARD_BLOCKED || code == SC_RES_CHALLENGE_INVALID ||
			      code == SC_RES_UNKNOWN_ACCOUNT || code == SC_RES_CURRENCY_MISMATCH ||
			      code == SC_RES_SAME_ACCOUNT || code == SC_RES_BAD_AMOUNT;

		assert_int_equal(sc_precheck_verdict(code), verdict);
		assert_int_equal(sc_prechecked_encode(out, sizeof(out), (uint8_t)code, "x") > 0,
				 verdict);
	}
	assert_int_equal(sc_prechecked_encode(out, sizeof(out), SC_RES_OK, "tab\there"),
			 SC_ERR_BAD_VALUE);
}

/* attr=HEX from v's attributes into out, exactly n bytes. */
static void attr_hex(const struct vec *v, const char *attr, uint8_t *out, size_t n)
{
	char key[32], hex[2 * 64 + 1];
	const char *at;
	size_t len;

	snprintf(key, sizeof(key), " %s=", attr);
	at = strstr(v->attrs, key);
	if (!at)
		fail_msg("%s: no %s", v->name, attr);
	at += strlen(key);
	len = strcspn(at, " ");
	if (len >= sizeof(hex))
		fail_msg("%s: %s too long", v->name, attr);
	memcpy(hex, at, len);
	hex[len] = '\0';
	assert_int_equal(sc_hex_decode(out, n, hex), (int)n);
}

/* The issuer-script messages and the unblock MAC against Python's bytes:
 * K_card from the master key, the MAC over sc_unblock_mac_input, the
 * RESET RETRY COUNTER command, each message both ways. */
static void issuer_script_vectors(void **state)
{
	const struct vec *vk = get("script.kcard"), *vm = get("script.mac"), *v;
	uint8_t master[SC_MASTER_KEY_LEN], k[SC_KCARD_LEN], msg[SC_UNBLOCK_MSG_LEN];
	uint8_t mac[SC_ISSUER_MAC_LEN], out[SC_SCRIPT_MSG_MAX];
	struct sc_script_ref ref, got;
	struct sc_issuer_script s;
	uint16_t sw = 0;

	(void)state;
	attr_hex(vk, "master", master, sizeof(master));
	attr_hex(vk, "card_id", ref.card_id, sizeof(ref.card_id));
	attr_hex(vm, "challenge", ref.challenge, sizeof(ref.challenge));
	assert_int_equal(sc_kcard_derive(master, ref.card_id, k), 0);
	assert_int_equal(vk->len, sizeof(k));
	assert_memory_equal(k, vk->b, sizeof(k));
	assert_int_equal(sc_unblock_mac_input(msg, &ref), SC_UNBLOCK_MSG_LEN);
	assert_int_equal(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), k, sizeof(k),
					 msg, sizeof(msg), mac), 0);
	assert_int_equal(vm->len, sizeof(mac));
	assert_memory_equal(mac, vm->b, sizeof(mac));

	v = get("script.get-issuer-script");
	assert_int_equal(sc_get_issuer_script_encode(out, sizeof(out), &ref), (int)v->len);
	assert_memory_equal(out, v->b, v->len);
	assert_int_equal(sc_get_issuer_script_decode(&got, out, v->len), 0);
	assert_memory_equal(&got, &ref, sizeof(ref));
	/* a buffer one byte short is refused, never overrun */
	assert_int_equal(sc_get_issuer_script_encode(out, v->len - 1, &ref), SC_ERR_OVERFLOW);

	memset(&s, 0, sizeof(s));
	s.ref = ref;
	sc_unblock_apdu(s.apdu, mac);
	s.apdu_len = SC_UNBLOCK_APDU_LEN;
	v = get("script.issuer-script");
	assert_int_equal(sc_issuer_script_encode(out, sizeof(out), &s), (int)v->len);
	assert_memory_equal(out, v->b, v->len);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sc_issuer_script_decode(&s, out, v->len), 0);
	assert_memory_equal(&s.ref, &ref, sizeof(ref));
	assert_int_equal(s.apdu_len, SC_UNBLOCK_APDU_LEN);

	v = get("script.report");
	assert_int_equal(sc_script_report_encode(out, sizeof(out), &ref, 0x9000), (int)v->len);
	assert_memory_equal(out, v->b, v->len);
	assert_int_equal(sc_script_report_decode(&got, &sw, out, v->len), 0);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(sc_script_recorded_encode(out, sizeof(out)), 1);
	assert_memory_equal(out, get("script.recorded")->b, 1);
	assert_int_equal(sc_script_recorded_decode(out, 1), 0);
	sc_wipe(k, sizeof(k));
}

static void issuer_script_bad_vectors(void **state)
{
	struct sc_script_ref ref;
	struct sc_issuer_script s;
	uint16_t sw;
	int seen = 0;

	(void)state;
	for (size_t i = 0; i < n_vecs; i++) {
		const struct vec *v = &vecs[i];
		int rc;

		if (strncmp(v->name, "script.bad.", 11) != 0)
			continue;
		seen++;
		switch (sc_msg_type(v->b, v->len)) {
		case SC_MSG_GET_ISSUER_SCRIPT:
			rc = sc_get_issuer_script_decode(&ref, v->b, v->len);
			break;
		case SC_MSG_ISSUER_SCRIPT:
			rc = sc_issuer_script_decode(&s, v->b, v->len);
			break;
		case SC_MSG_SCRIPT_REPORT:
			rc = sc_script_report_decode(&ref, &sw, v->b, v->len);
			break;
		default: fail_msg("%s: unexpected type", v->name); return;
		}
		if (rc != err_of(v))
			fail_msg("%s: got %s", v->name, sc_strerror(rc));
	}
	assert_int_equal(seen, 4);
	/* a type byte of another message */
	assert_int_equal(sc_get_issuer_script_decode(&ref, get("script.report")->b,
						     get("script.get-issuer-script")->len),
			 SC_ERR_BAD_TAG);
	assert_int_equal(sc_script_recorded_decode(get("script.recorded")->b, 0), SC_ERR_TRUNCATED);
}

/* "Receipt keys" vectors: checked by test_seal_keys.c. */
static int is_receipt_key_vector(const char *name)
{
	return strncmp(name, "keys.", 5) == 0 || strcmp(name, "submit.receipt.v4") == 0 ||
	       strcmp(name, "submit.seal.v4") == 0;
}

static void every_vector_is_used(void **state)
{
	static const char *const known[] = {
		"submit.get-challenge", "submit.challenge", "submit.submit", "submit.receipt",
		"submit.result.ok", "submit.result.auth-failed", "submit.get-receipt-key",
		"submit.receipt-key", "submit.receipt.2", "submit.receipt.3", "submit.seal.statement",
		"submit.seal.0", "submit.seal.2", "submit.receipt.v3", "submit.receipt.declined",
		"submit.seal.v3.statement", "submit.seal.v3.1", "submit.result.declined",
		"submit.precheck", "submit.prechecked.ok", "submit.prechecked.currency",
		"script.kcard", "script.mac",
		"script.get-issuer-script", "script.issuer-script", "script.report", "script.recorded",
	};

	(void)state;
	for (size_t i = 0; i < n_vecs; i++) {
		int ok = strncmp(vecs[i].name, "submit.bad.", 11) == 0 ||
			 strncmp(vecs[i].name, "script.bad.", 11) == 0 ||
			 is_receipt_key_vector(vecs[i].name);

		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= strcmp(vecs[i].name, known[k]) == 0;
		if (!ok)
			fail_msg("vector %s is checked by no test", vecs[i].name);
	}
}

/* The batch of three of the vectors: the C tree, paths and seals give the
 * bytes Python computed from the document's rules. */
static void seal_vectors(void **state)
{
	const struct vec *r[3] = {get("submit.receipt"), get("submit.receipt.2"),
				  get("submit.receipt.3")};
	const struct vec *stv = get("submit.seal.statement"), *s0 = get("submit.seal.0"),
			 *s2 = get("submit.seal.2"), *ok = get("submit.result.ok");
	uint8_t nodes[SC_SEAL_NODES(3)][SC_HASH_LEN], root[SC_HASH_LEN];
	uint8_t statement[SC_SEAL_STATEMENT_LEN], out[SC_SEAL_MAX];
	struct sc_seal s, d;
	struct sc_result_msg m;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(sc_seal_leaf(r[i]->b, r[i]->len, nodes[i]), 0);
	assert_int_equal(sc_seal_tree(nodes, 3, SC_SEAL_NODES(3), root), 0);
	assert_int_equal(sc_seal_statement(root, statement), 0);
	assert_int_equal(stv->len, SC_SEAL_STATEMENT_LEN);
	assert_memory_equal(statement, stv->b, stv->len);

	assert_int_equal(sc_seal_decode(&d, s0->b, s0->len), 0);
	assert_int_equal(d.depth, 2);
	assert_int_equal(sc_seal_path((const uint8_t(*)[SC_HASH_LEN])nodes, 3, 0, &s), 0);
	s.sig = d.sig;
	s.sig_len = d.sig_len;
	assert_int_equal(sc_seal_encode(out, sizeof(out), &s), (int)s0->len);
	assert_memory_equal(out, s0->b, s0->len);
	assert_int_equal(sc_seal_open(r[0]->b, r[0]->len, &d, statement), 0);
	assert_memory_equal(statement, stv->b, stv->len);

	assert_int_equal(sc_seal_decode(&d, s2->b, s2->len), 0);
	assert_int_equal(d.depth, 1);
	assert_int_equal(sc_seal_path((const uint8_t(*)[SC_HASH_LEN])nodes, 3, 2, &s), 0);
	s.sig = d.sig;
	s.sig_len = d.sig_len;
	assert_int_equal(sc_seal_encode(out, sizeof(out), &s), (int)s2->len);
	assert_memory_equal(out, s2->b, s2->len);
	assert_int_equal(sc_seal_open(r[2]->b, r[2]->len, &d, statement), 0);
	assert_memory_equal(statement, stv->b, stv->len);
	/* the wrong receipt for a seal leads elsewhere */
	assert_int_equal(sc_seal_open(r[1]->b, r[1]->len, &d, statement), 0);
	assert_memory_not_equal(statement, stv->b, stv->len);

	/* RESULT OK carries the first receipt with its seal */
	assert_int_equal(sc_result_decode(&m, ok->b, ok->len), 0);
	assert_int_equal(m.seal_len, s0->len);
	assert_memory_equal(m.seal, s0->b, s0->len);
}

/* Every leaf of trees of every size up to 70, and of the largest batch,
 * opens to its root; a changed receipt byte or a flipped side does not. */
static void seal_trees(void **state)
{
	static uint8_t nodes[SC_SEAL_NODES(SC_SEAL_BATCH_MAX)][SC_HASH_LEN];
	static uint8_t receipts[SC_SEAL_BATCH_MAX][SC_RECEIPT_V2_LEN];
	const uint8_t sig[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
	size_t sizes[72];

	(void)state;
	for (size_t k = 0; k < 70; k++)
		sizes[k] = k + 1;
	sizes[70] = SC_SEAL_BATCH_MAX - 1;
	sizes[71] = SC_SEAL_BATCH_MAX;
	for (size_t i = 0; i < SC_SEAL_BATCH_MAX; i++) {
		memset(receipts[i], 0x5a, SC_RECEIPT_V2_LEN);
		receipts[i][6] = (uint8_t)(i >> 8);
		receipts[i][7] = (uint8_t)i;
	}
	for (size_t k = 0; k < 72; k++) {
		size_t n = sizes[k];
		uint8_t root[SC_HASH_LEN], want[SC_SEAL_STATEMENT_LEN], got[SC_SEAL_STATEMENT_LEN];
		uint8_t enc[SC_SEAL_MAX];

		for (size_t i = 0; i < n; i++)
			assert_int_equal(sc_seal_leaf(receipts[i], SC_RECEIPT_V2_LEN, nodes[i]), 0);
		assert_int_equal(sc_seal_tree(nodes, n, SC_SEAL_NODES(n), root), 0);
		assert_int_equal(sc_seal_statement(root, want), 0);
		for (size_t i = 0; i < n; i += n > 70 ? 97 : 1) {
			struct sc_seal s, d;
			int len;

			assert_int_equal(sc_seal_path((const uint8_t(*)[SC_HASH_LEN])nodes, n, i, &s),
					 0);
			assert_true(s.depth <= SC_SEAL_DEPTH_MAX);
			s.sig = sig;
			s.sig_len = sizeof(sig);
			len = sc_seal_encode(enc, sizeof(enc), &s);
			assert_true(len >= (int)SC_SEAL_MIN);
			assert_int_equal(sc_seal_decode(&d, enc, (size_t)len), 0);
			assert_int_equal(sc_seal_open(receipts[i], SC_RECEIPT_V2_LEN, &d, got), 0);
			assert_memory_equal(got, want, sizeof(want));
			receipts[i][40] ^= 1;
			assert_int_equal(sc_seal_open(receipts[i], SC_RECEIPT_V2_LEN, &d, got), 0);
			assert_memory_not_equal(got, want, sizeof(want));
			receipts[i][40] ^= 1;
			if (d.depth > 0) {
				d.path[0].sibling_left ^= 1;
				assert_int_equal(sc_seal_open(receipts[i], SC_RECEIPT_V2_LEN, &d, got), 0);
				assert_memory_not_equal(got, want, sizeof(want));
			}
		}
	}
	/* a tree never exceeds the batch the seal can carry */
	assert_int_equal(sc_seal_tree(nodes, SC_SEAL_BATCH_MAX + 1,
				      SC_SEAL_NODES(SC_SEAL_BATCH_MAX + 1), nodes[0]),
			 SC_ERR_ARG);
	assert_int_equal(sc_seal_tree(nodes, 0, 10, nodes[0]), SC_ERR_ARG);
	assert_int_equal(sc_seal_tree(nodes, 5, SC_SEAL_NODES(5) - 1, nodes[0]), SC_ERR_ARG);
}

static void seal_bad_encodings(void **state)
{
	const struct vec *s0 = get("submit.seal.0");
	uint8_t b[SC_SEAL_MAX + 1];
	struct sc_seal d;

	(void)state;
	memcpy(b, s0->b, s0->len);
	for (size_t n = 0; n < s0->len; n++)
		assert_true(sc_seal_decode(&d, b, n) < 0);
	b[s0->len] = 0;
	assert_int_equal(sc_seal_decode(&d, b, s0->len + 1), SC_ERR_TRAILING);
	b[1] = 0x02; /* a side that is neither left nor right */
	assert_int_equal(sc_seal_decode(&d, b, s0->len), SC_ERR_BAD_VALUE);
	memcpy(b, s0->b, s0->len);
	b[0] = SC_SEAL_DEPTH_MAX + 1;
	assert_int_equal(sc_seal_decode(&d, b, s0->len), SC_ERR_LENGTH);
	memcpy(b, s0->b, s0->len);
	b[1 + 2 * 33] = 7; /* a signature shorter than any DER one */
	assert_int_equal(sc_seal_decode(&d, b, s0->len), SC_ERR_LENGTH);
}

static void result_names_and_messages(void **state)
{
	(void)state;
	for (int i = 0; i < (int)SC_RES_COUNT; i++) {
		assert_true(strlen(sc_result_message(i)) > 10);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(sc_result_name(i), sc_result_name(k));
	}
	assert_string_equal(sc_result_name(SC_RES_IDEMPOTENCY_CONFLICT), "IDEMPOTENCY_CONFLICT");
	assert_string_equal(sc_result_name(SC_RES_RETRY_LATER), "RETRY_LATER");
	assert_string_equal(sc_result_name(SC_RES_COUNT), "UNKNOWN_RESULT");
	assert_string_equal(sc_result_name(-1), "UNKNOWN_RESULT");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(challenge_messages),
		cmocka_unit_test(submit_message),
		cmocka_unit_test(result_and_receipt),
		cmocka_unit_test(declined_receipt_vectors),
		cmocka_unit_test(receipt_key_messages),
		cmocka_unit_test(seal_vectors),
		cmocka_unit_test(seal_trees),
		cmocka_unit_test(seal_bad_encodings),
		cmocka_unit_test(bad_vectors_are_refused),
		cmocka_unit_test(precheck_vectors),
		cmocka_unit_test(issuer_script_vectors),
		cmocka_unit_test(issuer_script_bad_vectors),
		cmocka_unit_test(every_vector_is_used),
		cmocka_unit_test(result_names_and_messages),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("common submission protocol", tests, load, NULL);
}
