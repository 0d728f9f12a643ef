/* The carriers: spec parsing, and the unix: carrier against a frame peer
 * (power, ATR, APDUs, 61xx and 6Cxx follow-ups, and each failure class). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame_peer.h"
#include "terminal/terminal.h"

static const uint8_t ATR[] = {0x3B, 0x8A, 0x80, 0x01, 0x53, 0x49, 0x47, 0x43, 0x41, 0x52,
			      0x44, 0x01, 0x00, 0x00};

/* A well-behaved card: ATR on 04, nothing on other controls; a C-APDU with
 * INS 0x10 is echoed back (its data) with 9000; INS 0x20 answers 4 bytes in
 * two parts (61 02, then GET RESPONSE); INS 0x30 wants Le = 5 (6C 05). */
static enum peer_action good_card(struct frame_peer *p, const uint8_t *b, size_t len,
				  uint8_t *out, size_t *out_len)
{
	(void)p;
	if (len == 1) {
		if (b[0] != 0x04)
			return PEER_SILENT;
		memcpy(out, ATR, sizeof ATR);
		*out_len = sizeof ATR;
		return PEER_REPLY;
	}
	switch (b[1]) {
	case 0x10:
		if (len > 5) {
			memcpy(out, b + 5, b[4]);
			*out_len = b[4];
		}
		out[(*out_len)++] = 0x90;
		out[(*out_len)++] = 0x00;
		return PEER_REPLY;
	case 0x20:
		memcpy(out, "\xAA\xBB\x61\x02", 4);
		*out_len = 4;
		return PEER_REPLY;
	case 0xC0:
		memcpy(out, "\xCC\xDD\x90\x00", 4);
		*out_len = 4;
		return PEER_REPLY;
	case 0x30:
		if (len == 5 && b[4] == 5) {
			memcpy(out, "\x01\x02\x03\x04\x05\x90\x00", 7);
			*out_len = 7;
		} else {
			memcpy(out, "\x6C\x05", 2);
			*out_len = 2;
		}
		return PEER_REPLY;
	default:
		memcpy(out, "\x6D\x00", 2);
		*out_len = 2;
		return PEER_REPLY;
	}
}

/* A card that leaves in the middle of any APDU. */
static enum peer_action leaving_card(struct frame_peer *p, const uint8_t *b, size_t len,
				     uint8_t *out, size_t *out_len)
{
	if (len == 1)
		return good_card(p, b, len, out, out_len);
	return PEER_HANG_UP;
}

/* A card that never answers an APDU. */
static enum peer_action mute_card(struct frame_peer *p, const uint8_t *b, size_t len,
				  uint8_t *out, size_t *out_len)
{
	if (len == 1)
		return good_card(p, b, len, out, out_len);
	return PEER_SILENT;
}

/* A card whose answer is a frame with a zero length. */
static enum peer_action garbage_card(struct frame_peer *p, const uint8_t *b, size_t len,
				     uint8_t *out, size_t *out_len)
{
	if (len == 1)
		return good_card(p, b, len, out, out_len);
	out[0] = 0;
	out[1] = 0;
	*out_len = 2;
	return PEER_RAW;
}

/* A card that answers one byte: not an R-APDU. */
static enum peer_action short_card(struct frame_peer *p, const uint8_t *b, size_t len,
				   uint8_t *out, size_t *out_len)
{
	if (len == 1)
		return good_card(p, b, len, out, out_len);
	out[0] = 0x90;
	*out_len = 1;
	return PEER_REPLY;
}

/* A card that keeps saying 61 01 forever. */
static enum peer_action chatty_card(struct frame_peer *p, const uint8_t *b, size_t len,
				    uint8_t *out, size_t *out_len)
{
	if (len == 1)
		return good_card(p, b, len, out, out_len);
	memcpy(out, "\x00\x61\x01", 3);
	*out_len = 3;
	return PEER_REPLY;
}

static void open_unix(struct term_carrier *c, struct frame_peer *p, int timeout_ms)
{
	char spec[200];
	snprintf(spec, sizeof spec, "unix:%s", p->path);
	assert_int_equal(term_carrier_open(c, spec, timeout_ms), 0);
}

static void spec_parsing(void **state)
{
	(void)state;
	struct term_carrier c;
	assert_int_equal(term_carrier_open(&c, "unix:/tmp/x", 100), 0);
	assert_string_equal(c.ops->kind, "unix");
	assert_string_equal(c.path, "/tmp/x");
	term_carrier_close(&c);
	assert_int_equal(term_carrier_open(&c, "pcsc:Virtual PCD 00 00", 100), 0);
	assert_string_equal(c.ops->kind, "pcsc");
	assert_string_equal(c.reader, "Virtual PCD 00 00");
	term_carrier_close(&c);

	assert_int_equal(term_carrier_open(&c, "nfc:pn532_uart:/dev/ttyUSB0", 100), 0);
	assert_string_equal(c.ops->kind, "nfc");
	assert_string_equal(c.connstring, "pn532_uart:/dev/ttyUSB0");
	term_carrier_close(&c);
	assert_int_equal(term_carrier_open(&c, "nfc:pn532", 100), -TERM_EXIT_USAGE);
	assert_non_null(strstr(c.err, "libnfc connstring"));
	assert_int_equal(term_carrier_open(&c, "nfc:", 100), -TERM_EXIT_USAGE);
	assert_int_equal(term_carrier_open(&c, "unix:", 100), -TERM_EXIT_USAGE);
	assert_int_equal(term_carrier_open(&c, "pcsc:", 100), -TERM_EXIT_USAGE);
	assert_int_equal(term_carrier_open(&c, "serial:/dev/ttyS0", 100), -TERM_EXIT_USAGE);
	assert_non_null(strstr(c.err, "unknown carrier"));
	assert_int_equal(term_carrier_open(&c, "", 100), -TERM_EXIT_USAGE);
	char longpath[300];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	memcpy(longpath, "unix:", 5);
	assert_int_equal(term_carrier_open(&c, longpath, 100), -TERM_EXIT_USAGE);
}

static void power_on_reads_atr(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX], seen[8];
	size_t atr_len = 0;
	assert_int_equal(frame_peer_start(&p, good_card, NULL), 0);
	open_unix(&c, &p, 2000);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
	assert_int_equal(atr_len, sizeof ATR);
	assert_memory_equal(atr, ATR, sizeof ATR);
	/* power on (01), then get ATR (04), each as a 1-byte body */
	assert_int_equal(frame_peer_logged(&p, 0, seen, sizeof seen), 1);
	assert_int_equal(seen[0], 0x01);
	assert_int_equal(frame_peer_logged(&p, 1, seen, sizeof seen), 1);
	assert_int_equal(seen[0], 0x04);
	assert_int_equal(term_carrier_present(&c), 1);
	assert_int_equal(term_carrier_power_off(&c), 0);
	term_carrier_close(&c);
	frame_peer_stop(&p);
	/* the power off went out before the slot was let go */
	assert_int_equal(frame_peer_logged(&p, 2, seen, sizeof seen), 1);
	assert_int_equal(seen[0], 0x00);
}

static void apdu_round_trip(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX], data[300], seen[300];
	size_t atr_len, n;
	uint16_t sw;
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00, 0x03, 0xDE, 0xAD, 0x01};
	assert_int_equal(frame_peer_start(&p, good_card, NULL), 0);
	open_unix(&c, &p, 2000);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
	assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n, &sw), 0);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(n, 3);
	assert_memory_equal(data, "\xDE\xAD\x01", 3);
	assert_int_equal(frame_peer_logged(&p, 2, seen, sizeof seen), (int)sizeof cmd);
	assert_memory_equal(seen, cmd, sizeof cmd);
	/* a status word other than 9000 is handed up, not turned into a failure */
	const uint8_t unknown[] = {0x80, 0x77, 0x00, 0x00};
	assert_int_equal(term_carrier_apdu(&c, unknown, sizeof unknown, data, sizeof data, &n,
					   &sw), 0);
	assert_int_equal(sw, 0x6D00);
	assert_int_equal(n, 0);
	term_carrier_close(&c);
	frame_peer_stop(&p);
}

static void get_response_follows_61xx(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX], data[300], seen[16];
	size_t atr_len, n;
	uint16_t sw;
	const uint8_t cmd[] = {0x80, 0x20, 0x00, 0x00, 0x00};
	assert_int_equal(frame_peer_start(&p, good_card, NULL), 0);
	open_unix(&c, &p, 2000);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
	assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n, &sw), 0);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(n, 4);
	assert_memory_equal(data, "\xAA\xBB\xCC\xDD", 4);
	/* GET RESPONSE asked for exactly the 2 bytes the card announced */
	assert_int_equal(frame_peer_logged(&p, 3, seen, sizeof seen), 5);
	assert_memory_equal(seen, "\x00\xC0\x00\x00\x02", 5);
	term_carrier_close(&c);
	frame_peer_stop(&p);
}

static void wrong_le_is_resent(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX], data[300], seen[16];
	size_t atr_len, n;
	uint16_t sw;
	const uint8_t cmd[] = {0x80, 0x30, 0x00, 0x00, 0x00};
	assert_int_equal(frame_peer_start(&p, good_card, NULL), 0);
	open_unix(&c, &p, 2000);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
	assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n, &sw), 0);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(n, 5);
	assert_int_equal(frame_peer_logged(&p, 3, seen, sizeof seen), 5);
	assert_memory_equal(seen, "\x80\x30\x00\x00\x05", 5);
	term_carrier_close(&c);
	frame_peer_stop(&p);
}

static void no_card_is_absent(void **state)
{
	(void)state;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX];
	size_t atr_len;
	assert_int_equal(term_carrier_open(&c, "unix:/nonexistent/sigcard/slot", 500), 0);
	assert_int_equal(term_carrier_present(&c), 0);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len),
			 -TERM_EXIT_CARD_ABSENT);
	assert_non_null(strstr(c.err, "no card in unix:/nonexistent/sigcard/slot"));
	term_carrier_close(&c);
}

static void card_leaving_mid_command_is_removed(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX], data[300];
	size_t atr_len, n;
	uint16_t sw;
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00, 0x01, 0x42};
	assert_int_equal(frame_peer_start(&p, leaving_card, NULL), 0);
	open_unix(&c, &p, 2000);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
	assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n, &sw),
			 -TERM_EXIT_CARD_REMOVED);
	assert_non_null(strstr(c.err, "left the reader"));
	/* after that the slot is empty until a new power on */
	assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n, &sw),
			 -TERM_EXIT_CARD_ABSENT);
	term_carrier_close(&c);
	frame_peer_stop(&p);
}

static void silent_card_times_out(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX], data[300];
	size_t atr_len, n;
	uint16_t sw;
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00};
	assert_int_equal(frame_peer_start(&p, mute_card, NULL), 0);
	open_unix(&c, &p, 200);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
	int64_t t0 = term_now_ms();
	assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n, &sw),
			 -TERM_EXIT_CARD_ERROR);
	assert_true(term_now_ms() - t0 >= 190);
	assert_non_null(strstr(c.err, "no answer"));
	term_carrier_close(&c);
	frame_peer_stop(&p);
}

static void bad_answers_are_card_errors(void **state)
{
	(void)state;
	peer_answer_fn bad[] = {garbage_card, short_card, chatty_card};
	const char *why[] = {"bad frame", "not an R-APDU", "kept answering 61xx"};
	for (size_t i = 0; i < 3; i++) {
		struct frame_peer p;
		struct term_carrier c;
		uint8_t atr[TERM_ATR_MAX], data[300];
		size_t atr_len, n;
		uint16_t sw;
		const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00};
		assert_int_equal(frame_peer_start(&p, bad[i], NULL), 0);
		open_unix(&c, &p, 1000);
		assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
		assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n,
						   &sw), -TERM_EXIT_CARD_ERROR);
		assert_non_null(strstr(c.err, why[i]));
		term_carrier_close(&c);
		frame_peer_stop(&p);
	}
}

static void answer_longer_than_buffer_is_card_error(void **state)
{
	(void)state;
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX], data[2];
	size_t atr_len, n;
	uint16_t sw;
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03};
	assert_int_equal(frame_peer_start(&p, good_card, NULL), 0);
	open_unix(&c, &p, 1000);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len), 0);
	assert_int_equal(term_carrier_apdu(&c, cmd, sizeof cmd, data, sizeof data, &n, &sw),
			 -TERM_EXIT_CARD_ERROR);
	term_carrier_close(&c);
	frame_peer_stop(&p);
}

static void pcsc_without_reader_is_absent(void **state)
{
	(void)state;
	/* Whether or not pcscd runs here, a reader that does not exist means
	 * no card: either "no reader named" or "is pcscd running?". */
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX];
	size_t atr_len;
	assert_int_equal(term_carrier_open(&c, "pcsc:sigcard test reader that is not there", 500),
			 0);
	assert_int_equal(term_carrier_power_on(&c, atr, sizeof atr, &atr_len),
			 -TERM_EXIT_CARD_ABSENT);
	assert_true(strstr(c.err, "no reader named") != NULL ||
		    strstr(c.err, "SCARD_E_NO_SERVICE") != NULL);
	assert_int_equal(term_carrier_present(&c) <= 0, 1);
	term_carrier_close(&c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_parsing),
		cmocka_unit_test(power_on_reads_atr),
		cmocka_unit_test(apdu_round_trip),
		cmocka_unit_test(get_response_follows_61xx),
		cmocka_unit_test(wrong_le_is_resent),
		cmocka_unit_test(no_card_is_absent),
		cmocka_unit_test(card_leaving_mid_command_is_removed),
		cmocka_unit_test(silent_card_times_out),
		cmocka_unit_test(bad_answers_are_card_errors),
		cmocka_unit_test(answer_longer_than_buffer_is_card_error),
		cmocka_unit_test(pcsc_without_reader_is_absent),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("terminal carriers", tests, NULL, NULL);
}
