/* libFuzzer target for the frame decoder (common/frame.h). The first input
 * byte picks how the rest is cut into pieces; the invariants: the decoder
 * never reads or writes out of bounds (ASan), the frames found do not depend
 * on the cuts, and re-encoding them gives back exactly the bytes they were
 * decoded from. */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "common/errors.h"
#include "common/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small on purpose, so that SC_ERR_FRAME_SIZE is reached too. */
#define CAP 1024

struct run {
	uint8_t out[CAP + 64 * 1024];  /* re-encoded frames */
	size_t out_len;
	size_t frames;
	size_t consumed;                /* input bytes up to the last frame */
	int err;
};

static void decode(const uint8_t *in, size_t n, size_t piece, struct run *r)
{
	static uint8_t body[CAP];
	struct sc_frame_dec d;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	sc_frame_dec_init(&d, body, sizeof(body));
	while (pos < n) {
		size_t len = piece && piece < n - pos ? piece : n - pos, blen;
		int used = sc_frame_dec_feed(&d, in + pos, len, &blen);

		if (used < 0) {
			assert(used == SC_ERR_LENGTH || used == SC_ERR_FRAME_SIZE);
			r->err = used;
			return;
		}
		assert((size_t)used <= len);
		assert(used > 0);
		pos += (size_t)used;
		if (blen) {
			int w;

			assert(blen <= CAP);
			w = sc_frame_encode(r->out + r->out_len, sizeof(r->out) - r->out_len, body,
					    blen);
			assert(w == (int)blen + 2);
			r->out_len += (size_t)w;
			r->frames++;
			r->consumed = pos;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, cut;
	size_t piece;

	if (size < 1)
		return 0;
	piece = 1 + data[0] % 16;
	data++;
	size--;
	if (size > CAP * 8)
		return 0;
	decode(data, size, 0, &whole);
	decode(data, size, piece, &cut);
	assert(whole.err == cut.err);
	assert(whole.frames == cut.frames);
	assert(whole.out_len == cut.out_len);
	assert(memcmp(whole.out, cut.out, whole.out_len) == 0);
	/* Frames are the input's own bytes, re-encoded identically. */
	assert(whole.out_len == whole.consumed);
	assert(memcmp(whole.out, data, whole.consumed) == 0);
	return 0;
}
