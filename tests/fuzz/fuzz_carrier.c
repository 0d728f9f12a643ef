/* libFuzzer target for the card-side carrier engine (card/carrier/engine.h)
 * over the real core on the RAM HAL, a freshly manufactured card each run.
 * The first input byte picks how the rest is cut into pieces. Invariants:
 * the answers do not depend on the cuts; every answer is one well-formed
 * frame; every frame but power off/on/reset gets exactly one; and the
 * frames refused are exactly those an independent reading of the input
 * calls malformed (empty, longer than the body buffer, a 1-byte body that
 * is no control code), each answered 6700. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/carrier/engine.h"
#include "common/frame.h"
#include "tests/support/ram_hal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small on purpose, so that over-long frames are common. */
#define BODY_CAP 64u
#define OUT_MAX (64u * 1024u)

#define CHECK(c) \
	do { \
		if (!(c)) \
			abort(); \
	} while (0)

struct run {
	uint8_t out[OUT_MAX];   /* every answer, as sent */
	size_t out_len;
	size_t answers, refused;
};

static struct ram_flash flash;
static struct card_hal hal;
static struct card_core core;

static void run(const uint8_t *in, size_t n, size_t piece, struct run *r)
{
	static const uint8_t tk[CARD_TRANSPORT_KEY_LEN] = "fuzz-transport!";
	static uint8_t body[BODY_CAP], out[SC_FRAME_HDR + 600];
	struct card_carrier c;
	size_t pos = 0;

	memset(r, 0, sizeof *r);
	ram_hal_attach(&hal, &flash, 1);
	ram_hal_erase_all(&hal);
	card_core_init(&core, &hal);
	CHECK(card_factory_init(&core, tk) == 0 && card_boot(&core) == 0);
	CHECK(card_carrier_init(&c, &core, CARD_IFACE_CONTACT, body, sizeof body, out,
				sizeof out) == 0);
	while (pos < n) {
		size_t len = piece && piece < n - pos ? piece : n - pos, used, rlen;
		const uint8_t *reply;

		used = card_carrier_feed(&c, in + pos, len);
		CHECK(used > 0 && used <= len);
		pos += used;
		reply = card_carrier_reply(&c, &rlen);
		if (reply == NULL)
			continue;
		CHECK(rlen > SC_FRAME_HDR && (size_t)(reply[0] << 8 | reply[1]) == rlen - SC_FRAME_HDR);
		if (card_carrier_refused(&c) != 0) {
			CHECK(rlen == SC_FRAME_HDR + 2u && reply[2] == 0x67 && reply[3] == 0x00);
			r->refused++;
		}
		r->answers++;
		if (r->out_len + rlen <= sizeof r->out) {
			memcpy(r->out + r->out_len, reply, rlen);
			r->out_len += rlen;
		}
	}
}

/* The input read by hand: how many complete frames want an answer and how
 * many of them are malformed. */
static void expect(const uint8_t *in, size_t n, size_t *answers, size_t *malformed)
{
	size_t pos = 0;

	*answers = *malformed = 0;
	while (n - pos >= SC_FRAME_HDR) {
		size_t len = (size_t)in[pos] << 8 | in[pos + 1];

		if (len > n - pos - SC_FRAME_HDR)
			return; /* incomplete: no answer yet */
		if (len == 1 && in[pos + 2] <= 0x02) {
			/* power off, on, reset: no answer */
		} else {
			(*answers)++;
			if (len == 0 || len > BODY_CAP || (len == 1 && in[pos + 2] != 0x04))
				(*malformed)++;
		}
		pos += SC_FRAME_HDR + len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, cut;
	size_t piece, answers, malformed;

	if (size < 1 || size > 4096)
		return 0;
	piece = 1 + data[0] % 16;
	data++;
	size--;
	run(data, size, 0, &whole);
	run(data, size, piece, &cut);
	CHECK(whole.answers == cut.answers && whole.refused == cut.refused);
	CHECK(whole.out_len == cut.out_len && memcmp(whole.out, cut.out, whole.out_len) == 0);
	expect(data, size, &answers, &malformed);
	CHECK(whole.answers == answers && whole.refused == malformed);
	return 0;
}
