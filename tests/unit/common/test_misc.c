/* Hex text (common/hex.h), currencies and amounts (common/currency.h),
 * UTF-8 decoding (common/utf8.h), and error messages (common/errors.h). */
#include <string.h>
#include "common_test.h"
#include "common/currency.h"
#include "common/errors.h"
#include "common/hex.h"
#include "common/utf8.h"

static void hex_roundtrip(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	char text[2 * sizeof(in) + 1];
	uint8_t out[sizeof(in)];

	(void)state;
	sc_hex_encode(text, in, sizeof(in));
	assert_string_equal(text, "0001abcdefff");
	assert_int_equal(sc_hex_decode(out, sizeof(out), text), 6);
	assert_memory_equal(out, in, sizeof(in));
	assert_int_equal(sc_hex_decode(out, sizeof(out), "0001ABCDEFFF"), 6);
	assert_memory_equal(out, in, sizeof(in));
	sc_hex_encode(text, in, 0);
	assert_string_equal(text, "");
	assert_int_equal(sc_hex_decode(out, sizeof(out), ""), 0);
}

static void hex_errors(void **state)
{
	uint8_t out[4] = { 7, 7, 7, 7 };

	(void)state;
	assert_int_equal(sc_hex_decode(out, sizeof(out), "abc"), SC_ERR_LENGTH);
	assert_int_equal(sc_hex_decode(out, sizeof(out), "0011223344"), SC_ERR_LENGTH);
	assert_int_equal(sc_hex_decode(out, sizeof(out), "00112233"), 4);
	assert_int_equal(sc_hex_decode(out, sizeof(out), "0g"), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_hex_decode(out, sizeof(out), "0 "), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_hex_decode(out, sizeof(out), "+1"), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_hex_decode(out, sizeof(out), NULL), SC_ERR_ARG);
	/* A rejected string writes nothing. */
	out[0] = 7;
	assert_int_equal(sc_hex_decode(out, sizeof(out), "77zz"), SC_ERR_BAD_VALUE);
	assert_int_equal(out[0], 7);
}

static void currency_table(void **state)
{
	static const struct {
		uint16_t num;
		const char *alpha;
		uint8_t exp;
	} want[] = {
		{ 978, "EUR", 2 }, { 840, "USD", 2 }, { 826, "GBP", 2 }, { 756, "CHF", 2 },
		{ 392, "JPY", 0 }, { 752, "SEK", 2 }, { 156, "CNY", 2 }, { 414, "KWD", 3 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct sc_currency *c = sc_currency_by_numeric(want[i].num);

		assert_non_null(c);
		assert_string_equal(c->alpha, want[i].alpha);
		assert_int_equal(c->exponent, want[i].exp);
		assert_ptr_equal(sc_currency_by_alpha(want[i].alpha), c);
	}
	assert_null(sc_currency_by_numeric(0));
	assert_null(sc_currency_by_numeric(999));
	assert_null(sc_currency_by_alpha("eur"));
	assert_null(sc_currency_by_alpha("EURO"));
	assert_null(sc_currency_by_alpha(""));
	assert_null(sc_currency_by_alpha(NULL));
}

static void amount_format(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(sc_amount_format(out, sizeof(out), 1234, 978), 9);
	assert_string_equal(out, "12.34 EUR");
	assert_int_equal(sc_amount_format(out, sizeof(out), 5, 978), 8);
	assert_string_equal(out, "0.05 EUR");
	assert_int_equal(sc_amount_format(out, sizeof(out), 0, 840), 8);
	assert_string_equal(out, "0.00 USD");
	assert_int_equal(sc_amount_format(out, sizeof(out), 1234, 392), 8);
	assert_string_equal(out, "1234 JPY");
	assert_int_equal(sc_amount_format(out, sizeof(out), 1, 414), 9);
	assert_string_equal(out, "0.001 KWD");
	assert_int_equal(sc_amount_format(out, sizeof(out), 0x7fffffffffffffffull, 978), 24);
	assert_string_equal(out, "92233720368547758.07 EUR");
	assert_int_equal(sc_amount_format(out, sizeof(out), UINT64_MAX, 392), 24);
	assert_string_equal(out, "18446744073709551615 JPY");
	assert_int_equal(sc_amount_format(out, 10, 1234, 978), 9);
	assert_int_equal(sc_amount_format(out, 9, 1234, 978), SC_ERR_OVERFLOW);
	assert_int_equal(sc_amount_format(out, sizeof(out), 1, 999), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_amount_format(NULL, 4, 1, 978), SC_ERR_ARG);
}

static void amount_parse(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(sc_amount_parse("12.34", 978, &v), SC_OK);
	assert_true(v == 1234);
	assert_int_equal(sc_amount_parse("12.3", 978, &v), SC_OK);
	assert_true(v == 1230);
	assert_int_equal(sc_amount_parse("12", 978, &v), SC_OK);
	assert_true(v == 1200);
	assert_int_equal(sc_amount_parse("0.05", 978, &v), SC_OK);
	assert_true(v == 5);
	assert_int_equal(sc_amount_parse("1234", 392, &v), SC_OK);
	assert_true(v == 1234);
	assert_int_equal(sc_amount_parse("1.234", 414, &v), SC_OK);
	assert_true(v == 1234);
	assert_int_equal(sc_amount_parse("92233720368547758.07", 978, &v), SC_OK);
	assert_true(v == 0x7fffffffffffffffull);
	v = 42;
	static const char *bad[] = { "", ".5", "5.", "12.345", "1.0.0", "-1", "+1", " 1", "1 ",
				     "1,00", "1e3", "0x10", "92233720368547758.08",
				     "99999999999999999999", "92233720368547759" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sc_amount_parse(bad[i], 978, &v) != SC_ERR_BAD_VALUE)
			fail_msg("'%s' was accepted", bad[i]);
	assert_true(v == 42);
	assert_int_equal(sc_amount_parse("1.5", 392, &v), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_amount_parse("1", 999, &v), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_amount_parse(NULL, 978, &v), SC_ERR_ARG);
	assert_int_equal(sc_amount_parse("1", 978, NULL), SC_ERR_ARG);
}

/* Property: parse(format(x)) = x for every currency. */
static void amount_roundtrip(void **state)
{
	static const uint16_t codes[] = { 978, 392, 414 };
	struct prng p;

	(void)state;
	prng_seed(&p, 17);
	for (int i = 0; i < 5000; i++) {
		uint64_t a = prng_next(&p) >> (1 + prng_below(&p, 63)), back;
		uint16_t cur = codes[prng_below(&p, 3)];
		char text[40];
		int n = sc_amount_format(text, sizeof(text), a, cur);

		assert_true(n > 4);
		text[n - 4] = '\0';  /* drop " EUR" */
		assert_int_equal(sc_amount_parse(text, cur, &back), SC_OK);
		assert_true(back == a);
	}
}

static void every_error_has_a_message(void **state)
{
	(void)state;
	for (int e = SC_ERR_AUTH; e <= SC_OK; e++) {
		const char *m = sc_strerror(e);

		assert_non_null(m);
		assert_string_not_equal(m, "unknown error");
		/* Each message is distinct. */
		for (int f = SC_ERR_AUTH; f < e; f++)
			assert_string_not_equal(m, sc_strerror(f));
	}
	assert_string_equal(sc_strerror(-99), "unknown error");
	assert_string_equal(sc_strerror(5), "unknown error");
}

/* The textbook encoder (RFC 3629, section 3), to check the decoder with. */
static size_t utf8_encode(uint8_t out[4], uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* Every scalar value decodes from its encoding, and from no shorter input;
 * surrogates, overlong forms and stray bytes do not decode at all. */
static void utf8_every_code_point(void **state)
{
	static const char *const bad[] = {
		"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xff", "\xc3\x28", "\xe2\x82\x28",
	};
	uint8_t enc[4];
	uint32_t cp, got;

	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		size_t n = utf8_encode(enc, cp);
		int rc = sc_utf8_next(&got, enc, n);

		if (cp >= 0xD800 && cp <= 0xDFFF) {
			assert_int_equal(rc, SC_ERR_BAD_UTF8);
			continue;
		}
		if (rc != (int)n || got != cp)
			fail_msg("U+%04X: %d", (unsigned)cp, rc);
		if (n > 1 && sc_utf8_next(&got, enc, n - 1) != SC_ERR_BAD_UTF8)
			fail_msg("U+%04X cut short still decodes", (unsigned)cp);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sc_utf8_next(&got, (const uint8_t *)bad[i], strlen(bad[i])) != SC_ERR_BAD_UTF8)
			fail_msg("bad[%zu] decodes", i);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_roundtrip),
		cmocka_unit_test(hex_errors),
		cmocka_unit_test(currency_table),
		cmocka_unit_test(amount_format),
		cmocka_unit_test(amount_parse),
		cmocka_unit_test(amount_roundtrip),
		cmocka_unit_test(utf8_every_code_point),
		cmocka_unit_test(every_error_has_a_message),
	};

	return RUN_TESTS("common/misc", tests, argc, argv);
}
