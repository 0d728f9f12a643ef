/* common/applet.h: the SIGN response and the QR payload round-trip over
 * random values (decode(encode(x)) = x), and each decoder refuses every
 * form but the exact one, leaving nothing half-decoded. The fixed vectors
 * are in test_vectors.c (docs/PROTOCOL.md §5.7). */
#include <stdio.h>
#include <string.h>
#include "common_test.h"
#include "common/applet.h"
#include "common/errors.h"

static void random_resp(struct prng *p, struct sc_sign_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->atc = (uint32_t)prng_next(p);
	r->x_len = prng_below(p, 2) ? 16 : 32;
	prng_fill(p, r->x, r->x_len);
	r->sig_len = SC_SIGN_SIG_MIN + prng_below(p, SC_ECDSA_DER_MAX - SC_SIGN_SIG_MIN + 1);
	prng_fill(p, r->sig, r->sig_len);
	r->sig[0] = 0x30;
}

static size_t put_resp(const struct sc_sign_resp *r, uint8_t *out, size_t cap)
{
	struct sc_writer w;

	sc_writer_init(&w, out, cap);
	sc_sign_resp_put(&w, r);
	assert_int_equal(w.err, 0);
	return w.len;
}

static void sign_resp_round_trip(void **state)
{
	struct prng p;
	struct sc_sign_resp r, back;
	uint8_t buf[SC_SIGN_RESP_MAX];

	(void)state;
	prng_seed(&p, 12);
	for (int i = 0; i < 2000; i++) {
		size_t n;

		random_resp(&p, &r);
		n = put_resp(&r, buf, sizeof(buf));
		assert_int_equal(n, 2 + 4 + 2 + r.x_len + 2 + r.sig_len);
		assert_int_equal(sc_sign_resp_decode(&back, buf, n), SC_OK);
		assert_memory_equal(&back, &r, sizeof(r));
	}
}

static void sign_resp_refuses_every_other_form(void **state)
{
	static const struct sc_sign_resp zero;
	struct prng p;
	struct sc_sign_resp r, back;
	uint8_t buf[SC_SIGN_RESP_MAX + 1], bad[SC_SIGN_RESP_MAX + 1];
	struct sc_writer w;
	size_t n, sig_at;

	(void)state;
	prng_seed(&p, 13);
	random_resp(&p, &r);
	n = put_resp(&r, buf, sizeof(buf));
	sig_at = 2 + 4 + 2 + r.x_len;
	/* Every truncation. */
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_not_equal(sc_sign_resp_decode(&back, buf, cut), SC_OK);
		assert_memory_equal(&back, &zero, sizeof(back));
	}
	/* A byte after the end. */
	buf[n] = 0;
	assert_int_equal(sc_sign_resp_decode(&back, buf, n + 1), SC_ERR_TRAILING);
	/* Each tag changed, and the items out of order. */
	for (size_t at = 0; at < n; at = at == 0 ? 6 : at == 6 ? sig_at : n) {
		memcpy(bad, buf, n);
		bad[at] ^= 0x08;
		assert_int_equal(sc_sign_resp_decode(&back, bad, n), SC_ERR_BAD_TAG);
		assert_memory_equal(&back, &zero, sizeof(back));
	}
	/* An ATC of 3 bytes; an X of 17; a signature that is not a SEQUENCE. */
	{
		const uint8_t atc3[] = {0xC1, 3, 0, 0, 7};
		assert_int_equal(sc_sign_resp_decode(&back, atc3, sizeof(atc3)), SC_ERR_LENGTH);
	}
	memcpy(bad, buf, 6);
	bad[6] = SC_SIGN_TAG_X;
	bad[7] = 17;
	assert_int_equal(sc_sign_resp_decode(&back, bad, 8 + 17), SC_ERR_LENGTH);
	memcpy(bad, buf, n);
	bad[sig_at + 2] = 0x31;
	assert_int_equal(sc_sign_resp_decode(&back, bad, n), SC_ERR_BAD_VALUE);
	/* The encoder refuses what the decoder would. */
	r.x_len = 20;
	sc_writer_init(&w, bad, sizeof(bad));
	sc_sign_resp_put(&w, &r);
	assert_int_equal(w.err, SC_ERR_LENGTH);
	r.x_len = 16;
	r.sig_len = SC_ECDSA_DER_MAX + 1;
	sc_writer_init(&w, bad, sizeof(bad));
	sc_sign_resp_put(&w, &r);
	assert_int_equal(w.err, SC_ERR_LENGTH);
}

static void qr_round_trip(void **state)
{
	struct prng p;
	struct sc_qr q, back;
	char text[SC_QR_MAX + 1];

	(void)state;
	prng_seed(&p, 14);
	for (int i = 0; i < 2000; i++) {
		int n;

		memset(&q, 0, sizeof(q));
		prng_fill(&p, q.card_id, sizeof(q.card_id));
		/* Every width of ATC, the extremes included. */
		q.atc = i == 0 ? 0 : i == 1 ? UINT32_MAX : (uint32_t)(prng_next(&p) >> (prng_below(&p, 32) + 32));
		for (size_t k = 0; k < SC_JP_DIGITS; k++)
			q.jp[k] = (char)('0' + prng_below(&p, 10));
		n = sc_qr_encode(text, &q);
		assert_true(n > 0 && (size_t)n <= SC_QR_MAX);
		assert_int_equal(strlen(text), (size_t)n);
		assert_int_equal(sc_qr_decode(&back, text, (size_t)n), SC_OK);
		assert_memory_equal(&back, &q, sizeof(q));
	}
}

static void qr_refuses_every_other_form(void **state)
{
	static const struct sc_qr zero;
	static const char *const bad[] = {
		"",
		"SIGCARD1:",
		"sigcard1:0123456789abcdef:42:31415926",
		"SIGCARD2:0123456789abcdef:42:31415926",
		"SIGCARD1:0123456789abcde:42:31415926",
		"SIGCARD1:0123456789abcdeg:42:31415926",
		"SIGCARD1:0123456789abcdef0:42:31415926",
		"SIGCARD1:0123456789abcdef::31415926",
		"SIGCARD1:0123456789abcdef:042:31415926",
		"SIGCARD1:0123456789abcdef:00:31415926",
		"SIGCARD1:0123456789abcdef:4294967296:31415926",
		"SIGCARD1:0123456789abcdef:12345678901:31415926",
		"SIGCARD1:0123456789abcdef:-1:31415926",
		"SIGCARD1:0123456789abcdef:+1:31415926",
		"SIGCARD1:0123456789abcdef:42:3141592",
		"SIGCARD1:0123456789abcdef:42:314159265",
		"SIGCARD1:0123456789abcdef:42:3141592a",
		"SIGCARD1:0123456789abcdef:42",
		"SIGCARD1:0123456789abcdef:42:",
		"SIGCARD1:0123456789abcdef:42:31415926\n",
		" SIGCARD1:0123456789abcdef:42:31415926",
	};
	const char nul[] = "SIGCARD1:0123456789abcdef:42:3141\0926";
	struct sc_qr q;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sc_qr_decode(&q, bad[i], strlen(bad[i])) != SC_ERR_BAD_VALUE)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_memory_equal(&q, &zero, sizeof(q));
	}
	assert_int_equal(sc_qr_decode(&q, nul, sizeof(nul) - 1), SC_ERR_BAD_VALUE);
	/* Uppercase hex is read (a camera app may have re-typed it). */
	assert_int_equal(sc_qr_decode(&q, "SIGCARD1:0123456789ABCDEF:0:00000000", 36), SC_OK);
	assert_int_equal(q.card_id[7], 0xEF);
	/* The encoder will not write a JP that is not digits. */
	{
		char text[SC_QR_MAX + 1];
		memcpy(q.jp, "1234567x", 9);
		assert_int_equal(sc_qr_encode(text, &q), SC_ERR_BAD_VALUE);
	}
}

/* Each reason round-trips; anything but the exact form is refused, *q
 * zeroed; and the two payloads never decode as each other. */
static void void_qr_round_trip_and_refusals(void **state)
{
	static const struct sc_void_qr zero;
	static const char *const bad[] = {
		"",
		"SIGVOID1:",
		"SIGVOID1:0123456789abcdef:42:",
		"SIGVOID1:0123456789abcdef:42:Cancelled",
		"SIGVOID1:0123456789abcdef:42:cancelled\n",
		"SIGVOID1:0123456789abcdef:42:cancel",
		"SIGVOID1:0123456789abcdef:42:pin_blocked",
		"SIGVOID1:0123456789abcdef:042:timeout",
		"SIGVOID1:0123456789abcde:42:timeout",
		"SIGVOID2:0123456789abcdef:42:timeout",
		"SIGCARD1:0123456789abcdef:42:31415926",
	};
	struct sc_void_qr q, back;
	struct sc_qr pw;
	char text[SC_VOID_QR_MAX + 1];
	int n;

	(void)state;
	for (unsigned r = SC_VOID_CANCELLED; r <= SC_VOID_PIN_BLOCKED; r++) {
		memset(&q, 0, sizeof(q));
		memset(q.card_id, 0xA5, sizeof(q.card_id));
		q.atc = UINT32_MAX - r;
		q.reason = (enum sc_void_reason)r;
		n = sc_void_qr_encode(text, &q);
		assert_true(n > 0 && (size_t)n <= SC_VOID_QR_MAX);
		assert_int_equal((size_t)n, strlen(text));
		assert_int_equal(sc_void_qr_decode(&back, text, (size_t)n), SC_OK);
		assert_memory_equal(&back, &q, sizeof(q));
		assert_int_equal(sc_qr_decode(&pw, text, (size_t)n), SC_ERR_BAD_VALUE);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sc_void_qr_decode(&q, bad[i], strlen(bad[i])) != SC_ERR_BAD_VALUE)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_memory_equal(&q, &zero, sizeof(q));
	}
	q.reason = (enum sc_void_reason)0;
	assert_int_equal(sc_void_qr_encode(text, &q), SC_ERR_BAD_VALUE);
	assert_null(sc_void_reason_word((enum sc_void_reason)4));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_resp_round_trip),
		cmocka_unit_test(sign_resp_refuses_every_other_form),
		cmocka_unit_test(qr_round_trip),
		cmocka_unit_test(qr_refuses_every_other_form),
		cmocka_unit_test(void_qr_round_trip_and_refusals),
	};
	return RUN_TESTS("common/applet", tests, argc, argv);
}
