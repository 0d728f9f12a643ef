/* ISO 7816-4 APDU parse and build (common/apdu.h) and status-word names
 * (common/sw.h). */
#include <string.h>
#include "common_test.h"
#include "common/apdu.h"
#include "common/errors.h"

static int parse(struct sc_apdu *a, const uint8_t *b, size_t n)
{
	return sc_apdu_parse(a, b, n);
}

static void parses_case1(void **state)
{
	static const uint8_t in[] = { 0x80, 0x10, 0x01, 0x02 };
	struct sc_apdu a;

	(void)state;
	assert_int_equal(parse(&a, in, sizeof(in)), SC_OK);
	assert_int_equal(a.cla, 0x80);
	assert_int_equal(a.ins, 0x10);
	assert_int_equal(a.p1, 0x01);
	assert_int_equal(a.p2, 0x02);
	assert_int_equal(a.kase, SC_APDU_CASE1);
	assert_int_equal(a.lc, 0);
	assert_int_equal(a.le, 0);
	assert_null(a.data);
	assert_int_equal(a.extended, 0);
}

static void parses_case2_short(void **state)
{
	static const uint8_t le10[] = { 0, 0xc0, 0, 0, 0x10 }, le00[] = { 0, 0xc0, 0, 0, 0x00 };
	struct sc_apdu a;

	(void)state;
	assert_int_equal(parse(&a, le10, 5), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE2);
	assert_int_equal(a.le, 0x10);
	assert_int_equal(a.extended, 0);
	/* A 5-byte APDU is case 2 short even with Le byte 00: it means 256. */
	assert_int_equal(parse(&a, le00, 5), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE2);
	assert_int_equal(a.le, 256);
}

static void parses_case2_extended(void **state)
{
	static const uint8_t le[] = { 0, 0xb0, 0, 0, 0x00, 0x01, 0x2c };
	static const uint8_t le0[] = { 0, 0xb0, 0, 0, 0x00, 0x00, 0x00 };
	struct sc_apdu a;

	(void)state;
	assert_int_equal(parse(&a, le, sizeof(le)), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE2);
	assert_int_equal(a.extended, 1);
	assert_int_equal(a.le, 300);
	assert_int_equal(parse(&a, le0, sizeof(le0)), SC_OK);
	assert_int_equal(a.le, 65536);
}

static void parses_case3_and_4_short(void **state)
{
	static const uint8_t c3[] = { 0, 0xa4, 4, 0, 2, 0x3f, 0x00 };
	static const uint8_t c4[] = { 0, 0xa4, 4, 0, 2, 0x3f, 0x00, 0x00 };
	struct sc_apdu a;

	(void)state;
	assert_int_equal(parse(&a, c3, sizeof(c3)), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE3);
	assert_int_equal(a.lc, 2);
	assert_ptr_equal(a.data, c3 + 5);
	assert_int_equal(a.le, 0);
	assert_int_equal(parse(&a, c4, sizeof(c4)), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE4);
	assert_int_equal(a.lc, 2);
	assert_int_equal(a.le, 256);
	assert_int_equal(a.extended, 0);
}

static void parses_case3_and_4_extended(void **state)
{
	static uint8_t c3[4 + 3 + 300], c4[4 + 3 + 300 + 2];
	struct sc_apdu a;

	(void)state;
	memset(c3, 0x11, sizeof(c3));
	c3[4] = 0;
	c3[5] = 0x01;
	c3[6] = 0x2c;
	assert_int_equal(parse(&a, c3, sizeof(c3)), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE3);
	assert_int_equal(a.extended, 1);
	assert_int_equal(a.lc, 300);
	assert_ptr_equal(a.data, c3 + 7);
	memcpy(c4, c3, sizeof(c3));
	c4[sizeof(c3)] = 0x00;
	c4[sizeof(c3) + 1] = 0x00;
	assert_int_equal(parse(&a, c4, sizeof(c4)), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE4);
	assert_int_equal(a.lc, 300);
	assert_int_equal(a.le, 65536);
}

static void rejects_malformed(void **state)
{
	/* Each: an APDU and the error it must get. */
	static const struct {
		uint8_t b[12];
		size_t n;
		int err;
	} bad[] = {
		{ { 0 }, 0, SC_ERR_BAD_APDU },                                /* empty */
		{ { 0, 0xa4, 4 }, 3, SC_ERR_BAD_APDU },                       /* short header */
		{ { 0, 0xa4, 4, 0, 0x00, 0x05 }, 6, SC_ERR_BAD_APDU },        /* short Lc = 0 */
		{ { 0, 0xa4, 4, 0, 3, 1, 2 }, 7, SC_ERR_TRUNCATED },          /* Lc 3, 2 data */
		{ { 0, 0xa4, 4, 0, 1, 1, 0, 5 }, 8, SC_ERR_BAD_APDU },        /* trailing byte */
		{ { 0, 0xa4, 4, 0, 1, 1, 0, 0 }, 8, SC_ERR_BAD_APDU },        /* short Lc, ext Le */
		{ { 0, 0xa4, 4, 0, 0, 0, 1, 9, 0 }, 9, SC_ERR_BAD_APDU },     /* ext Lc, short Le */
		{ { 0, 0xa4, 4, 0, 0, 0, 1, 9, 0, 0, 0 }, 11, SC_ERR_BAD_APDU }, /* trailing */
		{ { 0, 0xa4, 4, 0, 0, 0, 0, 9 }, 8, SC_ERR_BAD_APDU },        /* ext Lc = 0 */
		{ { 0, 0xa4, 4, 0, 0, 0, 3, 9 }, 8, SC_ERR_TRUNCATED },       /* ext Lc 3, 1 data */
		{ { 0, 0xa4, 4, 0, 0, 1, 0, 9 }, 8, SC_ERR_TRUNCATED },       /* ext Lc 256 */
	};
	struct sc_apdu a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0x55, sizeof(a));
		int rc = parse(&a, bad[i].b, bad[i].n);

		if (rc != bad[i].err)
			fail_msg("case %zu: got %d, want %d", i, rc, bad[i].err);
		assert_null(a.data);
		assert_int_equal(a.lc, 0);
		assert_int_equal(a.le, 0);
		/* The header survives, so the card can still answer by INS. */
		if (bad[i].n >= 4) {
			assert_int_equal(a.cla, bad[i].b[0]);
			assert_int_equal(a.ins, bad[i].b[1]);
			assert_int_equal(a.p1, bad[i].b[2]);
		}
	}
	assert_int_equal(sc_apdu_parse(NULL, bad[0].b, 4), SC_ERR_ARG);
	assert_int_equal(sc_apdu_parse(&a, NULL, 4), SC_ERR_BAD_APDU);
}

static void builds_smallest_form(void **state)
{
	static const uint8_t data[3] = { 0xd1, 0xd2, 0xd3 };
	static const uint8_t c1[] = { 0x80, 0x20, 1, 2 };
	static const uint8_t c2[] = { 0x80, 0x20, 1, 2, 0x00 };
	static const uint8_t c2e[] = { 0x80, 0x20, 1, 2, 0, 0x01, 0x01 };
	static const uint8_t c3[] = { 0x80, 0x20, 1, 2, 3, 0xd1, 0xd2, 0xd3 };
	static const uint8_t c4[] = { 0x80, 0x20, 1, 2, 3, 0xd1, 0xd2, 0xd3, 0x20 };
	static const uint8_t c4e[] = { 0x80, 0x20, 1, 2, 0, 0, 3, 0xd1, 0xd2, 0xd3, 0, 0 };
	uint8_t out[16];

	(void)state;
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0x80, 0x20, 1, 2, NULL, 0, 0), 4);
	assert_memory_equal(out, c1, sizeof(c1));
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0x80, 0x20, 1, 2, NULL, 0, 256), 5);
	assert_memory_equal(out, c2, sizeof(c2));
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0x80, 0x20, 1, 2, NULL, 0, 257), 7);
	assert_memory_equal(out, c2e, sizeof(c2e));
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0x80, 0x20, 1, 2, data, 3, 0), 8);
	assert_memory_equal(out, c3, sizeof(c3));
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0x80, 0x20, 1, 2, data, 3, 32), 9);
	assert_memory_equal(out, c4, sizeof(c4));
	/* A Le of 65536 forces the extended form for Lc too. */
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0x80, 0x20, 1, 2, data, 3, 65536), 12);
	assert_memory_equal(out, c4e, sizeof(c4e));
}

static void build_errors(void **state)
{
	static uint8_t data[SC_APDU_EXT_MAX_LC + 1];
	uint8_t out[16];

	(void)state;
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0, 0, 0, 0, data, 65536, 0), SC_ERR_LENGTH);
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0, 0, 0, 0, NULL, 0, 65537), SC_ERR_LENGTH);
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0, 0, 0, 0, NULL, 3, 0), SC_ERR_ARG);
	assert_int_equal(sc_apdu_build(NULL, 16, 0, 0, 0, 0, NULL, 0, 0), SC_ERR_ARG);
	assert_int_equal(sc_apdu_build(out, 3, 0, 0, 0, 0, NULL, 0, 0), SC_ERR_OVERFLOW);
	assert_int_equal(sc_apdu_build(out, 4, 0, 0, 0, 0, NULL, 0, 1), SC_ERR_OVERFLOW);
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0, 0, 0, 0, data, 12, 1), SC_ERR_OVERFLOW);
}

static void build_largest(void **state)
{
	static uint8_t data[SC_APDU_EXT_MAX_LC], out[SC_APDU_MAX_CMD];
	struct sc_apdu a;

	(void)state;
	memset(data, 0x77, sizeof(data));
	assert_int_equal(sc_apdu_build(out, sizeof(out), 0, 0x2a, 0, 0, data, sizeof(data),
				       SC_APDU_EXT_MAX_LE), SC_APDU_MAX_CMD);
	assert_int_equal(sc_apdu_parse(&a, out, sizeof(out)), SC_OK);
	assert_int_equal(a.kase, SC_APDU_CASE4);
	assert_int_equal(a.lc, SC_APDU_EXT_MAX_LC);
	assert_int_equal(a.le, SC_APDU_EXT_MAX_LE);
}

/* Property: parse(build(x)) = x over random headers, Lc and Le, both forms. */
static void build_parse_roundtrip(void **state)
{
	static uint8_t data[1000], out[1100];
	struct prng p;

	(void)state;
	prng_seed(&p, 11);
	prng_fill(&p, data, sizeof(data));
	for (int i = 0; i < 20000; i++) {
		uint8_t h[4];
		size_t lc = prng_below(&p, 3) == 0 ? 0 : prng_below(&p, prng_below(&p, 2) ? 256 : 1000);
		size_t le = prng_below(&p, 3) == 0 ? 0 : 1 + prng_below(&p, prng_below(&p, 2) ? 256 : 65536);
		struct sc_apdu a;
		int n;

		if (i == 0)
			le = 65536;
		prng_fill(&p, h, 4);
		n = sc_apdu_build(out, sizeof(out), h[0], h[1], h[2], h[3], data, lc, le);
		assert_true(n >= 4);
		assert_int_equal(sc_apdu_parse(&a, out, (size_t)n), SC_OK);
		assert_int_equal(a.cla, h[0]);
		assert_int_equal(a.ins, h[1]);
		assert_int_equal(a.p1, h[2]);
		assert_int_equal(a.p2, h[3]);
		assert_int_equal(a.lc, lc);
		assert_int_equal(a.le, le);
		assert_int_equal(a.kase, (lc ? 3 : 1) + (le ? 1 : 0));
		assert_int_equal(a.extended, lc > 255 || le > 256);
		if (lc)
			assert_memory_equal(a.data, data, lc);
		/* A strict prefix never reads as the same command. */
		size_t cut = prng_below(&p, (size_t)n);
		struct sc_apdu b;
		int rc = sc_apdu_parse(&b, out, cut);

		if (rc == SC_OK)
			assert_true(b.kase != a.kase || b.lc != a.lc || b.le != a.le);
	}
}

/* Property: random byte strings (biased towards the interesting lengths)
 * either are rejected with a named error and nothing set, or parse into
 * fields that rebuild to the same command. */
static void random_bytes_parse_consistently(void **state)
{
	static uint8_t in[600], out[700];
	struct prng p;
	size_t ok = 0;

	(void)state;
	prng_seed(&p, 13);
	for (int i = 0; i < 200000; i++) {
		size_t n = prng_below(&p, 4) ? prng_below(&p, 12) : prng_below(&p, sizeof(in));
		struct sc_apdu a, b;
		int rc;

		prng_fill(&p, in, n);
		if (n > 4 && prng_below(&p, 2))
			in[4] = (uint8_t)prng_below(&p, 3);  /* 00, 01, 02: extended or tiny Lc */
		if (n > 6 && prng_below(&p, 2))
			in[5] = 0;
		if (n > 6 && in[4] == 0 && in[5] == 0 && prng_below(&p, 2))
			in[6] = (uint8_t)(n - 7 - prng_below(&p, 3));  /* near-consistent Lc */
		rc = sc_apdu_parse(&a, in, n);
		if (rc != SC_OK) {
			assert_true(rc == SC_ERR_BAD_APDU || rc == SC_ERR_TRUNCATED);
			assert_null(a.data);
			continue;
		}
		ok++;
		rc = sc_apdu_build(out, sizeof(out), a.cla, a.ins, a.p1, a.p2, a.data, a.lc, a.le);
		assert_true(rc >= 4 && (size_t)rc <= n);
		if (!a.extended || a.lc > 255 || a.le > 256) {
			assert_int_equal(rc, n);
			assert_memory_equal(out, in, n);
		}
		assert_int_equal(sc_apdu_parse(&b, out, (size_t)rc), SC_OK);
		assert_int_equal(b.lc, a.lc);
		assert_int_equal(b.le, a.le);
		assert_int_equal(b.kase, a.kase);
	}
	assert_true(ok > 1000);
}

static void rapdu_split(void **state)
{
	static const uint8_t r[] = { 0xde, 0xad, 0x90, 0x00 };
	const uint8_t *data;
	size_t n;
	uint16_t sw;

	(void)state;
	assert_int_equal(sc_rapdu_parse(r, sizeof(r), &data, &n, &sw), SC_OK);
	assert_ptr_equal(data, r);
	assert_int_equal(n, 2);
	assert_int_equal(sw, SW_NO_ERROR);
	assert_int_equal(sc_rapdu_parse(r + 2, 2, &data, &n, &sw), SC_OK);
	assert_int_equal(n, 0);
	assert_int_equal(sc_rapdu_parse(r, 1, &data, &n, &sw), SC_ERR_TRUNCATED);
	assert_int_equal(sc_rapdu_parse(r, 0, &data, &n, &sw), SC_ERR_TRUNCATED);
}

static void sw_names(void **state)
{
	(void)state;
	assert_string_equal(sc_sw_name(0x9000), "SW_NO_ERROR");
	assert_string_equal(sc_sw_name(0x6700), "SW_WRONG_LENGTH");
	assert_string_equal(sc_sw_name(0x6982), "SW_SECURITY_STATUS_NOT_SATISFIED");
	assert_string_equal(sc_sw_name(0x6985), "SW_CONDITIONS_NOT_SATISFIED");
	assert_string_equal(sc_sw_name(0x6a80), "SW_WRONG_DATA");
	assert_string_equal(sc_sw_name(0x6a86), "SW_INCORRECT_P1P2");
	assert_string_equal(sc_sw_name(0x6d00), "SW_INS_NOT_SUPPORTED");
	assert_string_equal(sc_sw_name(0x6e00), "SW_CLA_NOT_SUPPORTED");
	assert_string_equal(sc_sw_name(0x6581), "SW_MEMORY_FAILURE");
	assert_string_equal(sc_sw_name(0x6f00), "SW_UNKNOWN");
	assert_string_equal(sc_sw_name(0x6110), "SW_BYTES_REMAINING");
	assert_string_equal(sc_sw_name(0x6100), "SW_BYTES_REMAINING");
	assert_string_equal(sc_sw_name(0x63c2), "SW_COUNTER_WARNING");
	assert_string_equal(sc_sw_name(0x6c20), "SW_CORRECT_LENGTH");
	assert_string_equal(sc_sw_name(0x1234), "SW_UNKNOWN_STATUS");
	assert_string_equal(sc_sw_name(0x63d0), "SW_UNKNOWN_STATUS");
	/* Every status word gets a name. */
	for (unsigned sw = 0; sw <= 0xffff; sw++)
		assert_non_null(sc_sw_name((uint16_t)sw));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_case1),
		cmocka_unit_test(parses_case2_short),
		cmocka_unit_test(parses_case2_extended),
		cmocka_unit_test(parses_case3_and_4_short),
		cmocka_unit_test(parses_case3_and_4_extended),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(builds_smallest_form),
		cmocka_unit_test(build_errors),
		cmocka_unit_test(build_largest),
		cmocka_unit_test(build_parse_roundtrip),
		cmocka_unit_test(random_bytes_parse_consistently),
		cmocka_unit_test(rapdu_split),
		cmocka_unit_test(sw_names),
	};

	return RUN_TESTS("common/apdu", tests, argc, argv);
}
