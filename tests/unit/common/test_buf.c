/* The bounded reader and writer (common/buf.h). */
#include <string.h>
#include "common_test.h"
#include "common/buf.h"
#include "common/errors.h"

static void reader_reads_big_endian(void **state)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
				      0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0xaa, 0xbb };
	struct sc_reader r;
	uint8_t two[2];

	(void)state;
	sc_reader_init(&r, in, sizeof(in));
	assert_int_equal(sc_reader_left(&r), sizeof(in));
	assert_int_equal(sc_get_u8(&r), 0x01);
	assert_int_equal(sc_get_u16(&r), 0x0203);
	assert_int_equal(sc_get_u32(&r), 0x04050607);
	assert_true(sc_get_u64(&r) == 0x08090a0b0c0d0e0full);
	assert_int_equal(sc_get_u16(&r), 0x1011);
	assert_int_equal(sc_reader_left(&r), 2);
	sc_get_bytes(&r, two, 2);
	assert_int_equal(two[0], 0xaa);
	assert_int_equal(two[1], 0xbb);
	assert_int_equal(sc_reader_finish(&r), SC_OK);
}

static void reader_error_is_sticky(void **state)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03 };
	struct sc_reader r;
	uint8_t out[4] = { 9, 9, 9, 9 };

	(void)state;
	sc_reader_init(&r, in, sizeof(in));
	assert_int_equal(sc_get_u32(&r), 0);
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
	assert_int_equal(r.pos, 0);
	/* Now even a read that would fit fails. */
	assert_int_equal(sc_get_u8(&r), 0);
	assert_null(sc_get_span(&r, 1));
	sc_get_bytes(&r, out, 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 9);
	assert_int_equal(sc_reader_finish(&r), SC_ERR_TRUNCATED);
}

static void reader_each_width_truncates(void **state)
{
	static const uint8_t in[8] = { 0 };
	struct sc_reader r;

	(void)state;
	sc_reader_init(&r, in, 0);
	sc_get_u8(&r);
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
	sc_reader_init(&r, in, 1);
	sc_get_u16(&r);
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
	sc_reader_init(&r, in, 3);
	sc_get_u32(&r);
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
	sc_reader_init(&r, in, 7);
	sc_get_u64(&r);
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
}

static void reader_span_and_huge_lengths(void **state)
{
	static const uint8_t in[] = { 1, 2, 3, 4 };
	struct sc_reader r;
	const uint8_t *s;

	(void)state;
	sc_reader_init(&r, in, sizeof(in));
	s = sc_get_span(&r, 3);
	assert_ptr_equal(s, in);
	assert_int_equal(sc_reader_left(&r), 1);
	/* A length near SIZE_MAX must not wrap the bound check. */
	assert_null(sc_get_span(&r, SIZE_MAX));
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
	sc_reader_init(&r, in, sizeof(in));
	assert_non_null(sc_get_span(&r, 0));
	assert_int_equal(r.err, 0);
	sc_reader_init(&r, NULL, 0);
	assert_non_null(sc_get_span(&r, 0));
	assert_int_equal(sc_reader_finish(&r), SC_OK);
}

static void reader_finish_reports_trailing(void **state)
{
	static const uint8_t in[] = { 1, 2 };
	struct sc_reader r;

	(void)state;
	sc_reader_init(&r, in, sizeof(in));
	sc_get_u8(&r);
	assert_int_equal(sc_reader_finish(&r), SC_ERR_TRAILING);
}

static void tlv_reads_items(void **state)
{
	static const uint8_t in[] = { 0x07, 0x02, 0xaa, 0xbb, 0x08, 0x00, 0x09, 0x03, 1, 2 };
	struct sc_reader r;
	const uint8_t *v;
	uint8_t tag;
	size_t len;

	(void)state;
	sc_reader_init(&r, in, sizeof(in));
	v = sc_get_tlv(&r, &tag, &len);
	assert_non_null(v);
	assert_int_equal(tag, 0x07);
	assert_int_equal(len, 2);
	assert_int_equal(v[1], 0xbb);
	v = sc_get_tlv(&r, &tag, &len);
	assert_non_null(v);
	assert_int_equal(tag, 0x08);
	assert_int_equal(len, 0);
	/* Third item promises 3 bytes, 2 are there. */
	assert_null(sc_get_tlv(&r, &tag, &len));
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
	assert_int_equal(tag, 0);
	assert_int_equal(len, 0);
}

static void tlv_truncated_header(void **state)
{
	static const uint8_t in[] = { 0x07 };
	struct sc_reader r;
	uint8_t tag;
	size_t len;

	(void)state;
	sc_reader_init(&r, in, sizeof(in));
	assert_null(sc_get_tlv(&r, &tag, &len));
	assert_int_equal(r.err, SC_ERR_TRUNCATED);
}

static void writer_writes_big_endian(void **state)
{
	static const uint8_t want[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
					0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xaa, 0xbb,
					0x05, 0x01, 0xcc };
	static const uint8_t ab[] = { 0xaa, 0xbb }, c = 0xcc;
	uint8_t out[sizeof(want)];
	struct sc_writer w;

	(void)state;
	sc_writer_init(&w, out, sizeof(out));
	sc_put_u8(&w, 0x01);
	sc_put_u16(&w, 0x0203);
	sc_put_u32(&w, 0x04050607);
	sc_put_u64(&w, 0x08090a0b0c0d0e0full);
	sc_put_bytes(&w, ab, 2);
	sc_put_tlv(&w, 0x05, &c, 1);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	/* Full: one more byte overflows, and the error sticks. */
	sc_put_u8(&w, 0);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	assert_int_equal(w.len, sizeof(want));
}

static void writer_overflow_each_width(void **state)
{
	uint8_t out[8];
	struct sc_writer w;

	(void)state;
	sc_writer_init(&w, out, 1);
	sc_put_u16(&w, 1);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	sc_writer_init(&w, out, 3);
	sc_put_u32(&w, 1);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	sc_writer_init(&w, out, 7);
	sc_put_u64(&w, 1);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	sc_writer_init(&w, out, 8);
	sc_put_bytes(&w, out, SIZE_MAX);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	sc_writer_init(&w, NULL, 0);
	sc_put_u8(&w, 1);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
}

static void writer_error_is_sticky(void **state)
{
	static const uint8_t v[1] = { 0xee };
	uint8_t out[16];
	struct sc_writer w;

	(void)state;
	memset(out, 0x55, sizeof(out));
	sc_writer_init(&w, out, 3);
	sc_put_u32(&w, 1);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	/* Later puts that would fit write nothing, and the first error stays. */
	w.cap = sizeof(out);
	sc_put_u8(&w, 1);
	sc_put_u16(&w, 1);
	sc_put_u64(&w, 1);
	sc_put_bytes(&w, v, 1);
	sc_put_tlv(&w, 1, v, 1);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
	assert_int_equal(out[0], 0x55);
	sc_writer_init(&w, out, sizeof(out));
	sc_put_tlv(&w, 1, v, 300);
	sc_put_u8(&w, 1);
	assert_int_equal(w.err, SC_ERR_LENGTH);
	assert_int_equal(w.len, 0);
}

static void writer_tlv_limits(void **state)
{
	uint8_t big[256] = { 0 }, out[300];
	struct sc_writer w;

	(void)state;
	sc_writer_init(&w, out, sizeof(out));
	sc_put_tlv(&w, 1, big, 256);
	assert_int_equal(w.err, SC_ERR_LENGTH);
	assert_int_equal(w.len, 0);
	sc_writer_init(&w, out, sizeof(out));
	sc_put_tlv(&w, 1, big, 255);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 257);
	assert_int_equal(out[1], 0xff);
	/* A TLV that does not fit writes nothing at all. */
	sc_writer_init(&w, out, 4);
	sc_put_tlv(&w, 1, big, 3);
	assert_int_equal(w.err, SC_ERR_OVERFLOW);
	assert_int_equal(w.len, 0);
}

static void writer_reader_roundtrip(void **state)
{
	struct prng p;
	uint8_t out[64];

	(void)state;
	prng_seed(&p, 42);
	for (int i = 0; i < 2000; i++) {
		uint64_t a = prng_next(&p);
		uint32_t b = (uint32_t)prng_next(&p);
		uint16_t c = (uint16_t)prng_next(&p);
		uint8_t d = (uint8_t)prng_next(&p), tag, val[20];
		size_t n = prng_below(&p, sizeof(val)), len;
		struct sc_writer w;
		struct sc_reader r;
		const uint8_t *v;

		prng_fill(&p, val, n);
		sc_writer_init(&w, out, sizeof(out));
		sc_put_u64(&w, a);
		sc_put_u32(&w, b);
		sc_put_u16(&w, c);
		sc_put_u8(&w, d);
		sc_put_tlv(&w, d, val, n);
		assert_int_equal(w.err, 0);
		sc_reader_init(&r, out, w.len);
		assert_true(sc_get_u64(&r) == a);
		assert_true(sc_get_u32(&r) == b);
		assert_true(sc_get_u16(&r) == c);
		assert_true(sc_get_u8(&r) == d);
		v = sc_get_tlv(&r, &tag, &len);
		assert_non_null(v);
		assert_int_equal(tag, d);
		assert_int_equal(len, n);
		if (n)
			assert_memory_equal(v, val, n);
		assert_int_equal(sc_reader_finish(&r), SC_OK);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reader_reads_big_endian),
		cmocka_unit_test(reader_error_is_sticky),
		cmocka_unit_test(reader_each_width_truncates),
		cmocka_unit_test(reader_span_and_huge_lengths),
		cmocka_unit_test(reader_finish_reports_trailing),
		cmocka_unit_test(tlv_reads_items),
		cmocka_unit_test(tlv_truncated_header),
		cmocka_unit_test(writer_writes_big_endian),
		cmocka_unit_test(writer_overflow_each_width),
		cmocka_unit_test(writer_error_is_sticky),
		cmocka_unit_test(writer_tlv_limits),
		cmocka_unit_test(writer_reader_roundtrip),
	};

	return RUN_TESTS("common/buf", tests, argc, argv);
}
