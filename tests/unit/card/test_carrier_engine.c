/* The card-side carrier engine (card/carrier/engine.h) over the real core
 * on the RAM HAL: frames fed a byte at a time, split anywhere or batched;
 * control codes; and the one rule for bad input: an empty frame, an
 * over-long one and an unknown control code are each consumed whole and
 * answered 6700, the card's state untouched, the next frame served. */
#include <string.h>

#include "card/carrier/engine.h"
#include "card_test.h"
#include "common/errors.h"
#include "common/frame.h"

#define C CARD_IFACE_CONTACT

static const uint8_t select_aid[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0xF0, 0x53, 0x49,
				     0x47, 0x43, 0x41, 0x52, 0x44, 0x01};
static const uint8_t get_lifecycle[] = {0x00, 0xCA, 0xDF, 0x23, 0x00};

static struct card_carrier eng;
static uint8_t body[64];
static uint8_t out[SC_FRAME_HDR + 300];

static void fresh(uint64_t seed, size_t body_cap)
{
	fx_issued(seed, NULL);
	assert_int_equal(card_carrier_init(&eng, &fx_core, C, body, body_cap, out, sizeof out), 0);
}

static size_t frame(uint8_t *f, size_t cap, const uint8_t *b, size_t n)
{
	int len = sc_frame_encode(f, cap, b, n);

	assert_true(len > 0);
	return (size_t)len;
}

/* The SW of the reply waiting in the engine (asserts a 2+ byte R-APDU). */
static int reply_sw(void)
{
	size_t len;
	const uint8_t *r = card_carrier_reply(&eng, &len);

	assert_non_null(r);
	assert_true(len >= SC_FRAME_HDR + 2u);
	assert_int_equal((size_t)(r[0] << 8 | r[1]), len - SC_FRAME_HDR);
	return r[len - 2] << 8 | r[len - 1];
}

static void no_reply(void)
{
	size_t len;

	assert_null(card_carrier_reply(&eng, &len));
	assert_int_equal(len, 0);
}

/* Feeds a whole frame of body b in one call; asserts it is all consumed. */
static void feed_frame(const uint8_t *b, size_t n)
{
	uint8_t f[128];
	size_t len = frame(f, sizeof f, b, n);

	assert_int_equal(card_carrier_feed(&eng, f, len), len);
}

static void byte_at_a_time(void **state)
{
	uint8_t f[32];
	size_t len;
	(void)state;
	fresh(1, sizeof body);
	len = frame(f, sizeof f, select_aid, sizeof select_aid);
	for (size_t i = 0; i + 1 < len; i++) {
		assert_int_equal(card_carrier_feed(&eng, f + i, 1), 1);
		no_reply();
	}
	assert_int_equal(card_carrier_feed(&eng, f + len - 1, 1), 1);
	assert_int_equal(reply_sw(), 0x9000);
	assert_int_equal(eng.frames, 1);
}

static void split_and_batched(void **state)
{
	uint8_t f[64];
	size_t a, b, used;
	(void)state;
	fresh(2, sizeof body);
	a = frame(f, sizeof f, select_aid, sizeof select_aid);
	b = frame(f + a, sizeof f - a, get_lifecycle, sizeof get_lifecycle);
	/* A cut inside the first header, then the rest in one go: each feed
	 * stops at the end of the frame it completes. */
	assert_int_equal(card_carrier_feed(&eng, f, 1), 1);
	no_reply();
	used = card_carrier_feed(&eng, f + 1, a + b - 1);
	assert_int_equal(used, a - 1);
	assert_int_equal(reply_sw(), 0x9000);
	assert_int_equal(card_carrier_feed(&eng, f + a, b), b);
	assert_int_equal(reply_sw(), 0x9000);
	assert_int_equal(out[SC_FRAME_HDR], 0x02); /* issued */
	/* A feed that completes no frame drops the reply nobody took. */
	assert_int_equal(card_carrier_feed(&eng, f, 3), 3);
	no_reply();
}

static void control_codes(void **state)
{
	uint8_t code;
	size_t len;
	const uint8_t *r;
	(void)state;
	fresh(3, sizeof body);
	code = SC_CTRL_POWER_ON;
	feed_frame(&code, 1);
	no_reply();
	assert_true(eng.powered);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_ON_READER);
	code = SC_CTRL_GET_ATR;
	feed_frame(&code, 1);
	r = card_carrier_reply(&eng, &len);
	assert_non_null(r);
	assert_int_equal(len, SC_FRAME_HDR + 13u);
	assert_int_equal(r[SC_FRAME_HDR], 0x3B);
	feed_frame(select_aid, sizeof select_aid);
	assert_int_equal(reply_sw(), 0x9000);
	/* Reset: the interface starts afresh, nothing selected. */
	code = SC_CTRL_RESET;
	feed_frame(&code, 1);
	no_reply();
	feed_frame(get_lifecycle, sizeof get_lifecycle);
	assert_int_equal(reply_sw(), 0x6D00);
	code = SC_CTRL_POWER_OFF;
	feed_frame(&code, 1);
	no_reply();
	assert_false(eng.powered);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_IDLE);
}

static void apdu_powers_the_card(void **state)
{
	(void)state;
	fresh(4, sizeof body);
	assert_false(eng.powered);
	feed_frame(select_aid, sizeof select_aid);
	assert_int_equal(reply_sw(), 0x9000);
	assert_true(eng.powered);
}

static void unknown_control_code_refused_state_kept(void **state)
{
	uint8_t code = 0x03;
	(void)state;
	fresh(5, sizeof body);
	feed_frame(select_aid, sizeof select_aid);
	assert_int_equal(reply_sw(), 0x9000);
	feed_frame(&code, 1);
	assert_int_equal(reply_sw(), 0x6700);
	assert_int_equal(card_carrier_refused(&eng), SC_ERR_BAD_VALUE);
	/* The applet is still selected: the card never saw the frame. */
	feed_frame(get_lifecycle, sizeof get_lifecycle);
	assert_int_equal(reply_sw(), 0x9000);
	assert_int_equal(card_carrier_refused(&eng), 0);
}

static void empty_frame_refused(void **state)
{
	uint8_t zero[2] = {0, 0};
	(void)state;
	fresh(6, sizeof body);
	assert_int_equal(card_carrier_feed(&eng, zero, 1), 1);
	no_reply();
	assert_int_equal(card_carrier_feed(&eng, zero + 1, 1), 1);
	assert_int_equal(reply_sw(), 0x6700);
	assert_int_equal(card_carrier_refused(&eng), SC_ERR_LENGTH);
	feed_frame(select_aid, sizeof select_aid);
	assert_int_equal(reply_sw(), 0x9000);
}

static void oversize_frame_skipped_whole(void **state)
{
	uint8_t f[128], big[40];
	size_t len, at = 0;
	(void)state;
	fresh(7, 16); /* the body buffer takes 16 bytes: SELECT fits, 40 does not */
	memset(big, 0xA4, sizeof big);
	len = frame(f, sizeof f, big, sizeof big);
	len += frame(f + len, sizeof f - len, select_aid, sizeof select_aid);
	/* Pieces of 7 bytes: the refusal comes with the over-long frame's
	 * last byte, not before, and not a byte of it is taken for a frame. */
	while (at < SC_FRAME_HDR + sizeof big) {
		size_t n = len - at < 7 ? len - at : 7, used;

		used = card_carrier_feed(&eng, f + at, n);
		at += used;
		if (at < SC_FRAME_HDR + sizeof big) {
			assert_int_equal(used, n);
			no_reply();
		}
	}
	assert_int_equal(at, SC_FRAME_HDR + sizeof big);
	assert_int_equal(reply_sw(), 0x6700);
	assert_int_equal(card_carrier_refused(&eng), SC_ERR_FRAME_SIZE);
	assert_false(eng.powered); /* the card was never given it */
	assert_int_equal(card_carrier_feed(&eng, f + at, len - at), len - at);
	assert_int_equal(reply_sw(), 0x9000);
	assert_int_equal(eng.frames, 2);
}

static void short_apdu_answered_by_the_card(void **state)
{
	uint8_t bad[] = {0x00, 0xA4, 0x04};
	(void)state;
	fresh(8, sizeof body);
	feed_frame(bad, sizeof bad);
	assert_int_equal(reply_sw(), 0x6700);
	assert_int_equal(card_carrier_refused(&eng), 0); /* the core's answer */
}

static void reset_between_sessions(void **state)
{
	uint8_t f[32], on = SC_CTRL_POWER_ON;
	size_t len;
	(void)state;
	fresh(9, sizeof body);
	len = frame(f, sizeof f, select_aid, sizeof select_aid);
	/* A reader leaves halfway through a frame: the next one starts clean. */
	assert_int_equal(card_carrier_feed(&eng, f, 5), 5);
	card_carrier_reset(&eng);
	assert_int_equal(card_carrier_feed(&eng, f, len), len);
	assert_int_equal(reply_sw(), 0x9000);
	/* Leaving powered takes the field away (the screen goes idle);
	 * a reset alone tells the card nothing. */
	feed_frame(&on, 1);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_ON_READER);
	card_carrier_reset(&eng);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_ON_READER);
	feed_frame(&on, 1);
	card_carrier_leave(&eng);
	assert_false(eng.powered);
	assert_int_equal(eng.frames, 0);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_IDLE);
}

static void whole_bodies_served(void **state)
{
	uint8_t atr = SC_CTRL_GET_ATR;
	(void)state;
	fresh(10, sizeof body);
	card_carrier_serve(&eng, select_aid, sizeof select_aid);
	assert_int_equal(reply_sw(), 0x9000);
	card_carrier_serve(&eng, &atr, 1);
	assert_int_equal(out[SC_FRAME_HDR], 0x3B);
	card_carrier_serve(&eng, NULL, 0);
	assert_int_equal(reply_sw(), 0x6700);
	/* A body the front end could not hold (the PN532's chained parts past
	 * the card's buffer): refused as a frame too long, and counted. */
	unsigned long frames = eng.frames;
	card_carrier_refuse_too_long(&eng);
	assert_int_equal(reply_sw(), 0x6700);
	assert_int_equal(card_carrier_refused(&eng), SC_ERR_FRAME_SIZE);
	assert_int_equal(eng.frames, frames + 1u);
	card_carrier_serve(&eng, select_aid, sizeof select_aid);
	assert_int_equal(reply_sw(), 0x9000);
	assert_int_equal(card_carrier_refused(&eng), 0);
}

/* Feeds f[0..len) a byte at a time; asserts a frame completes with the last. */
static void feed_bytes(const uint8_t *f, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(card_carrier_feed(&eng, f + i, 1), 1);
		if (i + 1u < len)
			no_reply();
	}
}

/* A carrier without a buffer of its own (the board's): frames are decoded
 * into the card's command buffer, a chain is joined there in place, and a
 * frame too long for what the chain leaves is refused by the one rule, the
 * chain kept. */
static void decoded_into_the_card(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN], cmd[300], f[SC_FRAME_HDR + 300];
	struct sc_tx tx;
	size_t n, half, len, cap;
	const uint8_t *r;
	uint8_t *w;
	(void)state;
	fx_issued(11, NULL);
	assert_int_equal(card_carrier_init(&eng, &fx_core, C, NULL, 0, out, sizeof out), 0);
	feed_bytes(f, frame(f, sizeof f, select_aid, sizeof select_aid));
	assert_int_equal(reply_sw(), 0x9000);
	/* SIGN in two links, each decoded where the core keeps the chain. */
	fx_tx(&tx, SC_SCHEME_ENC);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	half = n / 2;
	cmd[0] = 0x90; cmd[1] = 0x2A; cmd[2] = 0; cmd[3] = 0; cmd[4] = (uint8_t)half;
	memcpy(cmd + 5, enc, half);
	feed_bytes(f, frame(f, sizeof f, cmd, 5 + half));
	assert_int_equal(reply_sw(), 0x9000);
	w = card_apdu_window(&fx_core, C, &cap);
	assert_int_equal(cap, CORE_APDU_MAX - half); /* the first link's data lies before */
	cmd[0] = 0x80; cmd[4] = (uint8_t)(n - half);
	memcpy(cmd + 5, enc + half, n - half);
	cmd[5 + n - half] = 0;
	len = frame(f, sizeof f, cmd, 6 + n - half);
	feed_bytes(f, len);
	assert_int_equal(reply_sw(), 0x9000);
	r = card_carrier_reply(&eng, &len) + SC_FRAME_HDR;
	assert_int_equal(r[0], 0xC1);
	assert_int_equal(r[5], 1); /* ATC 1: the card signed the whole transaction */
	/* The command is wiped from the card's buffer once served. */
	for (size_t i = 0; i < 6 + n - half; i++)
		assert_int_equal(w[i], 0);
	assert_int_equal(card_apdu_window(&fx_core, C, &cap), w - half);

	/* Two links of 255 bytes leave 18 of the buffer: a third of 260 is
	 * refused whole (6700), and the chain is still there (6883). */
	memset(cmd, 0x11, sizeof cmd);
	cmd[0] = 0x90; cmd[1] = 0x2A; cmd[2] = 0; cmd[3] = 0; cmd[4] = 255;
	len = frame(f, sizeof f, cmd, 260);
	feed_bytes(f, len);
	assert_int_equal(reply_sw(), 0x9000);
	feed_bytes(f, len);
	assert_int_equal(reply_sw(), 0x9000);
	feed_bytes(f, len);
	assert_int_equal(reply_sw(), 0x6700);
	assert_int_equal(card_carrier_refused(&eng), SC_ERR_FRAME_SIZE);
	feed_bytes(f, frame(f, sizeof f, get_lifecycle, sizeof get_lifecycle));
	assert_int_equal(reply_sw(), 0x6883);
	feed_bytes(f, frame(f, sizeof f, get_lifecycle, sizeof get_lifecycle));
	assert_int_equal(reply_sw(), 0x9000);
	assert_int_equal(fx_atc(), 1);
}

static void buffers_checked(void **state)
{
	(void)state;
	assert_int_equal(card_carrier_init(&eng, &fx_core, C, body, sizeof body, out,
					   CARD_CARRIER_OUT_MIN - 1u),
			 -1);
	assert_int_equal(card_carrier_init(&eng, &fx_core, C, NULL, 16, out, sizeof out), -1);
	assert_int_equal(card_carrier_init(&eng, &fx_core, C, body, 0, out, sizeof out), -1);
	assert_int_equal(card_carrier_init(&eng, &fx_core, C, NULL, 0, NULL, sizeof out), -1);
	assert_int_equal(card_carrier_init(&eng, NULL, C, body, sizeof body, out, sizeof out), -1);
	assert_int_equal(card_carrier_init(&eng, &fx_core, C, body, 1, out, CARD_CARRIER_OUT_MIN),
			 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(byte_at_a_time),
		cmocka_unit_test(split_and_batched),
		cmocka_unit_test(control_codes),
		cmocka_unit_test(apdu_powers_the_card),
		cmocka_unit_test(unknown_control_code_refused_state_kept),
		cmocka_unit_test(empty_frame_refused),
		cmocka_unit_test(oversize_frame_skipped_whole),
		cmocka_unit_test(short_apdu_answered_by_the_card),
		cmocka_unit_test(reset_between_sessions),
		cmocka_unit_test(whole_bodies_served),
		cmocka_unit_test(decoded_into_the_card),
		cmocka_unit_test(buffers_checked),
	};
	return RUN_TESTS("card carrier engine", tests, argc, argv);
}
