/* The carrier frame codec (common/frame.h). */
#include <string.h>
#include "common_test.h"
#include "common/errors.h"
#include "common/frame.h"

static void encode_writes_length_then_body(void **state)
{
	static const uint8_t body[] = { 0x00, 0xa4, 0x04, 0x00 };
	uint8_t out[8];

	(void)state;
	assert_int_equal(sc_frame_encode(out, sizeof(out), body, sizeof(body)), 6);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0x04);
	assert_memory_equal(out + 2, body, sizeof(body));
}

static void encode_errors(void **state)
{
	static uint8_t big[SC_FRAME_MAX_BODY + 1];
	uint8_t out[8], one = SC_CTRL_POWER_ON;

	(void)state;
	assert_int_equal(sc_frame_encode(out, sizeof(out), &one, 0), SC_ERR_LENGTH);
	assert_int_equal(sc_frame_encode(out, sizeof(out), big, sizeof(big)), SC_ERR_FRAME_SIZE);
	assert_int_equal(sc_frame_encode(out, 2, &one, 1), SC_ERR_OVERFLOW);
	assert_int_equal(sc_frame_encode(out, 1, &one, 1), SC_ERR_OVERFLOW);
	assert_int_equal(sc_frame_encode(out, 3, &one, 1), 3);
	assert_int_equal(sc_frame_encode(NULL, 3, &one, 1), SC_ERR_ARG);
}

static void encode_largest_body(void **state)
{
	static uint8_t body[SC_FRAME_MAX_BODY], out[SC_FRAME_MAX_BODY + 2], got[SC_FRAME_MAX_BODY];
	struct sc_frame_dec d;
	size_t blen;

	(void)state;
	memset(body, 0x5a, sizeof(body));
	assert_int_equal(sc_frame_encode(out, sizeof(out), body, sizeof(body)), sizeof(out));
	assert_int_equal(out[0], 0xff);
	assert_int_equal(out[1], 0xff);
	sc_frame_dec_init(&d, got, sizeof(got));
	assert_int_equal(sc_frame_dec_feed(&d, out, sizeof(out), &blen), sizeof(out));
	assert_int_equal(blen, SC_FRAME_MAX_BODY);
	assert_memory_equal(got, body, sizeof(body));
}

static void decode_one_frame_at_a_time(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x01, 0x00, 0x03, 0xaa, 0xbb, 0xcc };
	uint8_t body[16];
	struct sc_frame_dec d;
	size_t blen;

	(void)state;
	sc_frame_dec_init(&d, body, sizeof(body));
	/* Stops at the end of the first frame. */
	assert_int_equal(sc_frame_dec_feed(&d, in, sizeof(in), &blen), 3);
	assert_int_equal(blen, 1);
	assert_int_equal(body[0], SC_CTRL_POWER_ON);
	assert_int_equal(sc_frame_dec_feed(&d, in + 3, sizeof(in) - 3, &blen), 5);
	assert_int_equal(blen, 3);
	assert_int_equal(body[2], 0xcc);
	assert_int_equal(sc_frame_dec_feed(&d, in, 0, &blen), 0);
	assert_int_equal(blen, 0);
}

static void decode_byte_by_byte(void **state)
{
	static const uint8_t in[] = { 0x00, 0x03, 0x11, 0x22, 0x33 };
	uint8_t body[4];
	struct sc_frame_dec d;
	size_t blen;

	(void)state;
	sc_frame_dec_init(&d, body, sizeof(body));
	for (size_t i = 0; i < sizeof(in) - 1; i++) {
		assert_int_equal(sc_frame_dec_feed(&d, in + i, 1, &blen), 1);
		assert_int_equal(blen, 0);
	}
	assert_int_equal(sc_frame_dec_feed(&d, in + 4, 1, &blen), 1);
	assert_int_equal(blen, 3);
	assert_memory_equal(body, in + 2, 3);
}

static void decode_zero_length_is_error(void **state)
{
	static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x01, 0x01 };
	uint8_t body[4];
	struct sc_frame_dec d;
	size_t blen = 99;

	(void)state;
	sc_frame_dec_init(&d, body, sizeof(body));
	assert_int_equal(sc_frame_dec_feed(&d, in, sizeof(in), &blen), SC_ERR_LENGTH);
	assert_int_equal(blen, 0);
	/* Dead until re-initialised. */
	assert_int_equal(sc_frame_dec_feed(&d, in + 2, 3, &blen), SC_ERR_LENGTH);
	sc_frame_dec_init(&d, body, sizeof(body));
	assert_int_equal(sc_frame_dec_feed(&d, in + 2, 3, &blen), 3);
	assert_int_equal(blen, 1);
}

static void decode_too_long_for_buffer(void **state)
{
	static const uint8_t in[] = { 0x00, 0x05, 1, 2, 3, 4, 5 };
	uint8_t body[5];
	struct sc_frame_dec d;
	size_t blen;

	(void)state;
	sc_frame_dec_init(&d, body, 4);
	/* The length is checked before any body byte is stored. */
	assert_int_equal(sc_frame_dec_feed(&d, in, 2, &blen), SC_ERR_FRAME_SIZE);
	assert_int_equal(d.err, SC_ERR_FRAME_SIZE);
	sc_frame_dec_init(&d, body, 5);
	assert_int_equal(sc_frame_dec_feed(&d, in, sizeof(in), &blen), 7);
	assert_int_equal(blen, 5);
}

static void decode_bad_arguments(void **state)
{
	uint8_t body[4], in[2] = { 0, 1 };
	struct sc_frame_dec d;
	size_t blen;

	(void)state;
	sc_frame_dec_init(&d, body, sizeof(body));
	assert_int_equal(sc_frame_dec_feed(&d, in, sizeof(in), NULL), SC_ERR_ARG);
	sc_frame_dec_init(&d, body, sizeof(body));
	assert_int_equal(sc_frame_dec_feed(&d, NULL, 1, &blen), SC_ERR_ARG);
}

/* Property: a stream of random frames, cut into random pieces, decodes to
 * the same frames whatever the cuts. */
static void split_stream_anywhere(void **state)
{
	enum { FRAMES = 12, MAXB = 300 };
	static uint8_t stream[FRAMES * (MAXB + 2)], bodies[FRAMES][MAXB];
	struct prng p;

	(void)state;
	prng_seed(&p, 7);
	for (int round = 0; round < 3000; round++) {
		size_t lens[FRAMES], total = 0, pos = 0, got = 0;
		uint8_t body[MAXB];
		struct sc_frame_dec d;

		for (int i = 0; i < FRAMES; i++) {
			/* Short bodies are the interesting ones: 1-byte controls. */
			lens[i] = 1 + prng_below(&p, prng_below(&p, 4) ? 8 : MAXB);
			prng_fill(&p, bodies[i], lens[i]);
			int n = sc_frame_encode(stream + total, sizeof(stream) - total, bodies[i],
						lens[i]);
			assert_int_equal(n, (int)lens[i] + 2);
			total += (size_t)n;
		}
		sc_frame_dec_init(&d, body, sizeof(body));
		while (pos < total) {
			size_t piece = 1 + prng_below(&p, prng_below(&p, 2) ? 4 : 2 * MAXB);
			size_t blen;

			if (piece > total - pos)
				piece = total - pos;
			/* Feed the piece, one frame per call, as a carrier would. */
			while (piece > 0) {
				int used = sc_frame_dec_feed(&d, stream + pos, piece, &blen);

				assert_true(used > 0);
				pos += (size_t)used;
				piece -= (size_t)used;
				if (blen) {
					assert_true(got < FRAMES);
					assert_int_equal(blen, lens[got]);
					assert_memory_equal(body, bodies[got], blen);
					got++;
				}
			}
		}
		assert_int_equal(got, FRAMES);
		assert_int_equal(d.in_body, 0);
		assert_int_equal(d.have, 0);
	}
}

/* Property: on random bytes the decoder either stops with a named error or
 * hands back frames that re-encode to exactly the bytes they came from. */
static void random_bytes_decode_soundly(void **state)
{
	static uint8_t in[2048], again[4096];
	struct prng p;

	(void)state;
	prng_seed(&p, 31);
	for (int i = 0; i < 20000; i++) {
		size_t n = prng_below(&p, sizeof(in)), pos = 0, len = 0, done = 0;
		uint8_t body[64];
		struct sc_frame_dec d;

		prng_fill(&p, in, n);
		/* Mostly small lengths, so frames complete. */
		for (size_t k = 0; k + 1 < n; k += 1 + prng_below(&p, 40))
			if (prng_below(&p, 2))
				in[k] = 0;
		sc_frame_dec_init(&d, body, sizeof(body));
		while (pos < n) {
			size_t blen;
			int used = sc_frame_dec_feed(&d, in + pos, 1 + prng_below(&p, n - pos), &blen);

			if (used < 0) {
				assert_true(used == SC_ERR_LENGTH || used == SC_ERR_FRAME_SIZE);
				break;
			}
			pos += (size_t)used;
			if (blen) {
				int w = sc_frame_encode(again + len, sizeof(again) - len, body, blen);

				assert_int_equal(w, blen + 2);
				len += (size_t)w;
				done = pos;
			}
		}
		assert_int_equal(len, done);
		assert_memory_equal(again, in, len);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_writes_length_then_body),
		cmocka_unit_test(encode_errors),
		cmocka_unit_test(encode_largest_body),
		cmocka_unit_test(decode_one_frame_at_a_time),
		cmocka_unit_test(decode_byte_by_byte),
		cmocka_unit_test(decode_zero_length_is_error),
		cmocka_unit_test(decode_too_long_for_buffer),
		cmocka_unit_test(decode_bad_arguments),
		cmocka_unit_test(split_stream_anywhere),
		cmocka_unit_test(random_bytes_decode_soundly),
	};

	return RUN_TESTS("common/frame", tests, argc, argv);
}
