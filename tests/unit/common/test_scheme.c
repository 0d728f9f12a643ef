/* The joint-password schemes, signed data, K_card, constant-time helpers
 * (common/scheme.h). Expected values computed with openssl enc -aes-256-ecb,
 * openssl dgst -sha256 and openssl kdf HKDF (see docs/PROTOCOL.md §4). */
#include <string.h>
#include "common_test.h"
#include "common/errors.h"
#include "common/hex.h"
#include "common/scheme.h"

static const char jp[] = "12345678";
static const uint8_t rand8[8] = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87 };

static void key(uint8_t k[SC_KCARD_LEN])
{
	for (size_t i = 0; i < SC_KCARD_LEN; i++)
		k[i] = (uint8_t)i;
}

static void expect_hex(const uint8_t *got, size_t n, const char *want)
{
	char hex[2 * 64 + 1];

	assert_true(n <= 64);
	sc_hex_encode(hex, got, n);
	assert_string_equal(hex, want);
}

static void x_lengths(void **state)
{
	(void)state;
	assert_int_equal(sc_scheme_x_len(SC_SCHEME_ENC), 16);
	assert_int_equal(sc_scheme_x_len(SC_SCHEME_ENC_RAND), 16);
	assert_int_equal(sc_scheme_x_len(SC_SCHEME_ENC_DIGEST), 32);
	assert_int_equal(sc_scheme_x_len(0), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_scheme_x_len(4), SC_ERR_BAD_VALUE);
}

static void seal_known_answers(void **state)
{
	uint8_t k[SC_KCARD_LEN], x[SC_X_MAX];

	(void)state;
	key(k);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, k, jp, NULL, x), SC_OK);
	expect_hex(x, 16, "4a388f5c3abc09add2d06b215742863d");
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC_RAND, k, jp, rand8, x), SC_OK);
	expect_hex(x, 16, "3651e1e7fe5875e6fd36dbccf9e94181");
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC_DIGEST, k, jp, NULL, x), SC_OK);
	expect_hex(x, 32, "83ffb7c2d4d0578295cb5532f905cf6323c0590d37a7d5289d0fd85b66dce4c2");
}

static void seal_errors(void **state)
{
	uint8_t k[SC_KCARD_LEN], x[SC_X_MAX];

	(void)state;
	key(k);
	assert_int_equal(sc_jp_seal(0, k, jp, NULL, x), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC_RAND, k, jp, NULL, x), SC_ERR_ARG);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, NULL, jp, NULL, x), SC_ERR_ARG);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, k, "1234567a", NULL, x), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, k, "1234567/", NULL, x), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, k, "1234567:", NULL, x), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, k, "\xb1" "2345678", NULL, x), SC_ERR_BAD_VALUE);
}

static void check_accepts_what_seal_made(void **state)
{
	uint8_t k[SC_KCARD_LEN], x[SC_X_MAX];
	struct prng p;

	(void)state;
	prng_seed(&p, 99);
	for (int i = 0; i < 500; i++) {
		uint8_t scheme = (uint8_t)(1 + prng_below(&p, 3)), r[8];
		char pw[SC_JP_DIGITS];
		size_t n;

		prng_fill(&p, k, sizeof(k));
		prng_fill(&p, r, sizeof(r));
		for (size_t j = 0; j < SC_JP_DIGITS; j++)
			pw[j] = (char)('0' + prng_below(&p, 10));
		n = (size_t)sc_scheme_x_len(scheme);
		assert_int_equal(sc_jp_seal(scheme, k, pw, r, x), SC_OK);
		assert_int_equal(sc_jp_check(scheme, k, pw, x, n), SC_OK);
		/* Another key fails; so does another password (xor 1 maps
		 * a digit to a different digit). */
		size_t at = prng_below(&p, sizeof(k));

		k[at] ^= 0x01;
		assert_int_equal(sc_jp_check(scheme, k, pw, x, n), SC_ERR_AUTH);
		k[at] ^= 0x01;
		pw[prng_below(&p, SC_JP_DIGITS)] ^= 1;
		assert_int_equal(sc_jp_check(scheme, k, pw, x, n), SC_ERR_AUTH);
	}
}

static void check_rejects(void **state)
{
	uint8_t k[SC_KCARD_LEN], k2[SC_KCARD_LEN], x[SC_X_MAX];

	(void)state;
	key(k);
	memcpy(k2, k, sizeof(k2));
	k2[31] ^= 0x80;
	for (uint8_t s = 1; s <= 3; s++) {
		size_t n = (size_t)sc_scheme_x_len(s);

		assert_int_equal(sc_jp_seal(s, k, jp, rand8, x), SC_OK);
		assert_int_equal(sc_jp_check(s, k, jp, x, n), SC_OK);
		assert_int_equal(sc_jp_check(s, k, "12345679", x, n), SC_ERR_AUTH);
		assert_int_equal(sc_jp_check(s, k2, jp, x, n), SC_ERR_AUTH);
		for (size_t bit = 0; bit < n * 8; bit++) {
			x[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(sc_jp_check(s, k, jp, x, n), SC_ERR_AUTH);
			x[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		assert_int_equal(sc_jp_check(s, k, jp, x, n - 1), SC_ERR_LENGTH);
		assert_int_equal(sc_jp_check(s, k, "1234567x", x, n), SC_ERR_BAD_VALUE);
		assert_int_equal(sc_jp_check(s, k, " 2345678", x, n), SC_ERR_BAD_VALUE);
		assert_int_equal(sc_jp_check(s, NULL, jp, x, n), SC_ERR_ARG);
		assert_int_equal(sc_jp_check(s, k, jp, NULL, n), SC_ERR_ARG);
	}
	assert_int_equal(sc_jp_check(9, k, jp, x, 16), SC_ERR_BAD_VALUE);
	/* enc: JP || 00*8 exactly: a C made with a non-zero tail fails, while
	 * enc-rand accepts any tail. */
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC_RAND, k, jp, rand8, x), SC_OK);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC, k, jp, x, 16), SC_ERR_AUTH);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, k, jp, NULL, x), SC_OK);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC_RAND, k, jp, x, 16), SC_OK);
}

static void signed_data_layout(void **state)
{
	static const uint8_t card_id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t chal[SC_CHALLENGE_LEN], hash[SC_HASH_LEN], x[SC_X_MAX], out[SC_SIGNED_DATA_MAX];

	(void)state;
	memset(chal, 0xcc, sizeof(chal));
	memset(hash, 0x33, sizeof(hash));
	memset(x, 0x58, sizeof(x));
	assert_int_equal(sc_signed_data_build(out, sizeof(out), SC_SCHEME_ENC_DIGEST, card_id,
					      0x01020304, chal, hash, x, 32), 94);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 3);
	assert_memory_equal(out + 2, card_id, 8);
	assert_int_equal(out[10], 1);
	assert_int_equal(out[13], 4);
	assert_memory_equal(out + 14, chal, 16);
	assert_memory_equal(out + 30, hash, 32);
	assert_memory_equal(out + 62, x, 32);
	assert_int_equal(sc_signed_data_build(out, sizeof(out), SC_SCHEME_ENC, card_id, 7, chal,
					      hash, x, 16), 78);
	assert_int_equal(sc_signed_data_build(out, 77, SC_SCHEME_ENC, card_id, 7, chal, hash, x,
					      16), SC_ERR_OVERFLOW);
	assert_int_equal(sc_signed_data_build(out, sizeof(out), SC_SCHEME_ENC, card_id, 7, chal,
					      hash, x, 32), SC_ERR_LENGTH);
	assert_int_equal(sc_signed_data_build(out, sizeof(out), 0, card_id, 7, chal, hash, x, 16),
			 SC_ERR_BAD_VALUE);
	assert_int_equal(sc_signed_data_build(out, sizeof(out), 1, NULL, 7, chal, hash, x, 16),
			 SC_ERR_ARG);
}

static void kcard_known_answer(void **state)
{
	static const uint8_t card_id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t master[SC_MASTER_KEY_LEN], k[SC_KCARD_LEN], k2[SC_KCARD_LEN];
	uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 9 };

	(void)state;
	for (size_t i = 0; i < sizeof(master); i++)
		master[i] = (uint8_t)(31 - i);
	assert_int_equal(sc_kcard_derive(master, card_id, k), SC_OK);
	expect_hex(k, 32, "90662793a61a6f492ffb2415e6db2317d1e64b04e54b8b09f352beee9394a2f6");
	assert_int_equal(sc_kcard_derive(master, other, k2), SC_OK);
	assert_memory_not_equal(k, k2, sizeof(k));
	assert_int_equal(sc_kcard_derive(NULL, card_id, k), SC_ERR_ARG);
	assert_int_equal(sc_kcard_derive(master, card_id, NULL), SC_ERR_ARG);
}

static void ct_equal_and_wipe(void **state)
{
	uint8_t a[33], b[33];

	(void)state;
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 7);
	assert_int_equal(sc_ct_equal(a, b, sizeof(a)), 1);
	assert_int_equal(sc_ct_equal(a, b, 0), 1);
	for (size_t i = 0; i < sizeof(a); i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(sc_ct_equal(a, b, sizeof(a)), 0);
			b[i] ^= (uint8_t)(1u << bit);
		}
	b[0] = (uint8_t)(a[0] ^ 0xff);
	assert_int_equal(sc_ct_equal(a, b, sizeof(a)), 0);
	assert_int_equal(sc_ct_equal(a + 1, b + 1, sizeof(a) - 1), 1);
	sc_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		assert_int_equal(a[i], 0);
	sc_wipe(NULL, 5);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x_lengths),
		cmocka_unit_test(seal_known_answers),
		cmocka_unit_test(seal_errors),
		cmocka_unit_test(check_accepts_what_seal_made),
		cmocka_unit_test(check_rejects),
		cmocka_unit_test(signed_data_layout),
		cmocka_unit_test(kcard_known_answer),
		cmocka_unit_test(ct_equal_and_wipe),
	};

	return RUN_TESTS("common/scheme", tests, argc, argv);
}
