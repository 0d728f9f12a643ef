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

/* How a faulty card fails an APDU (given through the peer's user pointer);
 * it powers on and gives its ATR like good_card. */
enum fault {
	FAULT_LEAVES,  /* leaves in the middle of the APDU */
	FAULT_MUTE,    /* never answers */
	FAULT_GARBAGE, /* answers a frame with a zero length */
	FAULT_SHORT,   /* answers one byte: not an R-APDU */
	FAULT_CHATTY,  /* keeps saying 61 01 forever */
};

static enum peer_action faulty_card(struct frame_peer *p, const uint8_t *b, size_t len,
				    uint8_t *out, size_t *out_len)
{
	if (len == 1)
		return good_card(p, b, len, out, out_len);
	switch (*(const enum fault *)p->user) {
	case FAULT_LEAVES:
		return PEER_HANG_UP;
	case FAULT_MUTE:
		return PEER_SILENT;
	case FAULT_GARBAGE:
		out[0] = 0;
		out[1] = 0;
		*out_len = 2;
		return PEER_RAW;
	case FAULT_SHORT:
		out[0] = 0x90;
		*out_len = 1;
		return PEER_REPLY;
	case FAULT_CHATTY:
		memcpy(out, "\x00\x61\x01", 3);
		*out_len = 3;
		return PEER_REPLY;
	}
	return PEER_HANG_UP;
}

/* A unix: carrier to a frame peer, and what its last APDU answered. */
struct slot {
	struct frame_peer p;
	struct term_carrier c;
	uint8_t atr[TERM_ATR_MAX];
	size_t atr_len;
	uint8_t data[300];
	size_t n;
	uint16_t sw;
};

/* Starts a peer answering through card (user for it), opens the carrier
 * to it with timeout_ms and powers the card on. */
static void slot_power_on(struct slot *s, peer_answer_fn card, void *user, int timeout_ms)
{
	char spec[200];

	memset(s, 0, sizeof *s);
	assert_int_equal(frame_peer_start(&s->p, card, user), 0);
	snprintf(spec, sizeof spec, "unix:%s", s->p.path);
	assert_int_equal(term_carrier_open(&s->c, spec, timeout_ms), 0);
	assert_int_equal(term_carrier_power_on(&s->c, s->atr, sizeof s->atr, &s->atr_len), 0);
}

/* Sends cmd; the answer goes to s->data, s->n, s->sw. */
static int slot_apdu(struct slot *s, const uint8_t *cmd, size_t len)
{
	return term_carrier_apdu(&s->c, cmd, len, s->data, sizeof s->data, &s->n, &s->sw);
}

static void slot_close(struct slot *s)
{
	term_carrier_close(&s->c);
	frame_peer_stop(&s->p);
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
	struct slot s;
	uint8_t seen[8];
	slot_power_on(&s, good_card, NULL, 2000);
	assert_int_equal(s.atr_len, sizeof ATR);
	assert_memory_equal(s.atr, ATR, sizeof ATR);
	/* power on (01), then get ATR (04), each as a 1-byte body */
	assert_int_equal(frame_peer_logged(&s.p, 0, seen, sizeof seen), 1);
	assert_int_equal(seen[0], 0x01);
	assert_int_equal(frame_peer_logged(&s.p, 1, seen, sizeof seen), 1);
	assert_int_equal(seen[0], 0x04);
	assert_int_equal(term_carrier_present(&s.c), 1);
	assert_int_equal(term_carrier_power_off(&s.c), 0);
	slot_close(&s);
	/* the power off went out before the slot was let go */
	assert_int_equal(frame_peer_logged(&s.p, 2, seen, sizeof seen), 1);
	assert_int_equal(seen[0], 0x00);
}

static void apdu_round_trip(void **state)
{
	(void)state;
	struct slot s;
	uint8_t seen[300];
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00, 0x03, 0xDE, 0xAD, 0x01};
	slot_power_on(&s, good_card, NULL, 2000);
	assert_int_equal(slot_apdu(&s, cmd, sizeof cmd), 0);
	assert_int_equal(s.sw, 0x9000);
	assert_int_equal(s.n, 3);
	assert_memory_equal(s.data, "\xDE\xAD\x01", 3);
	assert_int_equal(frame_peer_logged(&s.p, 2, seen, sizeof seen), (int)sizeof cmd);
	assert_memory_equal(seen, cmd, sizeof cmd);
	/* a status word other than 9000 is handed up, not turned into a failure */
	const uint8_t unknown[] = {0x80, 0x77, 0x00, 0x00};
	assert_int_equal(slot_apdu(&s, unknown, sizeof unknown), 0);
	assert_int_equal(s.sw, 0x6D00);
	assert_int_equal(s.n, 0);
	slot_close(&s);
}

/* Sends the 5-byte cmd to a good card that answers it only through a
 * second command of the carrier's: that must be follow_up (5 bytes), and
 * the answer 9000 with n bytes of data, left in s. */
static void assert_followed_up(struct slot *s, const uint8_t *cmd, const char *follow_up,
			       size_t n)
{
	uint8_t seen[16];
	slot_power_on(s, good_card, NULL, 2000);
	assert_int_equal(slot_apdu(s, cmd, 5), 0);
	assert_int_equal(s->sw, 0x9000);
	assert_int_equal(s->n, n);
	assert_int_equal(frame_peer_logged(&s->p, 3, seen, sizeof seen), 5);
	assert_memory_equal(seen, follow_up, 5);
}

static void get_response_follows_61xx(void **state)
{
	(void)state;
	struct slot s;
	const uint8_t cmd[] = {0x80, 0x20, 0x00, 0x00, 0x00};
	/* GET RESPONSE asks for exactly the 2 bytes the card announced */
	assert_followed_up(&s, cmd, "\x00\xC0\x00\x00\x02", 4);
	assert_memory_equal(s.data, "\xAA\xBB\xCC\xDD", 4);
	slot_close(&s);
}

static void wrong_le_is_resent(void **state)
{
	(void)state;
	struct slot s;
	const uint8_t cmd[] = {0x80, 0x30, 0x00, 0x00, 0x00};
	assert_followed_up(&s, cmd, "\x80\x30\x00\x00\x05", 5);
	slot_close(&s);
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
	struct slot s;
	enum fault fault = FAULT_LEAVES;
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00, 0x01, 0x42};
	slot_power_on(&s, faulty_card, &fault, 2000);
	assert_int_equal(slot_apdu(&s, cmd, sizeof cmd), -TERM_EXIT_CARD_REMOVED);
	assert_non_null(strstr(s.c.err, "left the reader"));
	/* after that the slot is empty until a new power on */
	assert_int_equal(slot_apdu(&s, cmd, sizeof cmd), -TERM_EXIT_CARD_ABSENT);
	slot_close(&s);
}

static void silent_card_times_out(void **state)
{
	(void)state;
	struct slot s;
	enum fault fault = FAULT_MUTE;
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00};
	slot_power_on(&s, faulty_card, &fault, 200);
	int64_t t0 = term_now_ms();
	assert_int_equal(slot_apdu(&s, cmd, sizeof cmd), -TERM_EXIT_CARD_ERROR);
	assert_true(term_now_ms() - t0 >= 190);
	assert_non_null(strstr(s.c.err, "no answer"));
	slot_close(&s);
}

static void bad_answers_are_card_errors(void **state)
{
	(void)state;
	enum fault bad[] = {FAULT_GARBAGE, FAULT_SHORT, FAULT_CHATTY};
	const char *why[] = {"bad frame", "not an R-APDU", "kept answering 61xx"};
	for (size_t i = 0; i < 3; i++) {
		struct slot s;
		const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00};
		slot_power_on(&s, faulty_card, &bad[i], 1000);
		assert_int_equal(slot_apdu(&s, cmd, sizeof cmd), -TERM_EXIT_CARD_ERROR);
		assert_non_null(strstr(s.c.err, why[i]));
		slot_close(&s);
	}
}

static void answer_longer_than_buffer_is_card_error(void **state)
{
	(void)state;
	struct slot s;
	uint8_t data[2];
	size_t n;
	uint16_t sw;
	const uint8_t cmd[] = {0x80, 0x10, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03};
	slot_power_on(&s, good_card, NULL, 1000);
	assert_int_equal(term_carrier_apdu(&s.c, cmd, sizeof cmd, data, sizeof data, &n, &sw),
			 -TERM_EXIT_CARD_ERROR);
	slot_close(&s);
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
