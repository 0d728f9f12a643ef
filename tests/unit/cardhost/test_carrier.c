/* The frame carrier over a socket pair, with the real card core behind it:
 * control codes, APDUs split anywhere or batched, malformed frames answered
 * 6700 on a connection that goes on, power cuts dropping the peer, and the
 * card intact afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "card/card.h"
#include "card/host/host.h"
#include "hostcard.h"

static struct carrier car;
static int peer = -1;

static const uint8_t select_aid[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0xF0, 0x53, 0x49,
				     0x47, 0x43, 0x41, 0x52, 0x44, 0x01};

static int setup(void **state)
{
	int sv[2];
	(void)state;
	if (hostcard_new() != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	carrier_init(&car, "test", CARD_IFACE_CONTACT);
	carrier_attach(&car, sv[0]);
	peer = sv[1];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	carrier_detach(&car, "test over");
	close(peer);
	hostcard_free();
	return 0;
}

static void send_bytes(const uint8_t *p, size_t n)
{
	assert_int_equal(write(peer, p, n), (ssize_t)n);
}

static void send_frame(const uint8_t *body, size_t n)
{
	uint8_t f[300];
	int len = sc_frame_encode(f, sizeof f, body, n);
	assert_true(len > 0);
	send_bytes(f, (size_t)len);
}

/* Serves what is waiting; returns carrier_on_readable's result. */
static int serve(const char **why)
{
	*why = NULL;
	return carrier_on_readable(&car, why);
}

/* Reads one reply frame (non-blocking: there must be one). */
static size_t recv_frame(uint8_t *body, size_t cap)
{
	uint8_t hdr[2];
	size_t n;
	assert_int_equal(recv(peer, hdr, 2, MSG_DONTWAIT), 2);
	n = (size_t)hdr[0] << 8 | hdr[1];
	assert_true(n > 0 && n <= cap);
	assert_int_equal(recv(peer, body, n, MSG_DONTWAIT), (ssize_t)n);
	return n;
}

static void nothing_to_read(void)
{
	uint8_t b;
	assert_int_equal(recv(peer, &b, 1, MSG_DONTWAIT), -1);
}

static void atr_and_power_codes(void **state)
{
	const char *why;
	uint8_t on = SC_CTRL_POWER_ON, atr = SC_CTRL_GET_ATR, body[64];
	size_t n;
	(void)state;
	send_frame(&on, 1);
	assert_int_equal(serve(&why), 0);
	nothing_to_read();                      /* power on has no reply */
	assert_true(car.eng.powered);
	send_frame(&atr, 1);
	assert_int_equal(serve(&why), 0);
	n = recv_frame(body, sizeof body);
	assert_true(n >= 2);
	assert_int_equal(body[0], 0x3B);
}

static void apdu_split_byte_by_byte(void **state)
{
	const char *why;
	uint8_t f[32], body[64];
	size_t i;
	int len = sc_frame_encode(f, sizeof f, select_aid, sizeof select_aid);
	(void)state;
	for (i = 0; i < (size_t)len; i++) {
		send_bytes(f + i, 1);
		assert_int_equal(serve(&why), 0);
		if (i + 1 < (size_t)len)
			nothing_to_read();
	}
	assert_int_equal(recv_frame(body, sizeof body), 2);
	assert_int_equal(body[0], 0x90);
	assert_int_equal(body[1], 0x00);
}

static void batched_frames_each_answered(void **state)
{
	const char *why;
	uint8_t f[64], body[64], unknown[] = {0x00, 0xA4, 0x04, 0x00, 0x03, 0xA0, 0x00, 0x01};
	int a = sc_frame_encode(f, sizeof f, select_aid, sizeof select_aid);
	int b = sc_frame_encode(f + a, sizeof f - (size_t)a, unknown, sizeof unknown);
	(void)state;
	send_bytes(f, (size_t)(a + b));
	assert_int_equal(serve(&why), 0);
	assert_int_equal(recv_frame(body, sizeof body), 2);
	assert_int_equal(body[0] << 8 | body[1], 0x9000);
	assert_int_equal(recv_frame(body, sizeof body), 2);
	assert_int_equal(body[0] << 8 | body[1], 0x6A82);
	assert_int_equal(car.eng.frames, 2);
}

/* Answered 6700 (docs/PROTOCOL.md §1), and the next frame is served on
 * the same connection. */
static void refused_then_served(void)
{
	const char *why;
	uint8_t body[16];
	assert_int_equal(serve(&why), 0);
	assert_int_equal(recv_frame(body, sizeof body), 2);
	assert_int_equal(body[0] << 8 | body[1], 0x6700);
	nothing_to_read();
	send_frame(select_aid, sizeof select_aid);
	assert_int_equal(serve(&why), 0);
	assert_int_equal(recv_frame(body, sizeof body), 2);
	assert_int_equal(body[0] << 8 | body[1], 0x9000);
}

static void unknown_control_code_answered_6700(void **state)
{
	uint8_t code = 0x03;
	(void)state;
	send_frame(&code, 1);
	refused_then_served();
}

static void zero_length_frame_answered_6700(void **state)
{
	uint8_t zero[2] = {0, 0};
	(void)state;
	send_bytes(zero, 2);
	refused_then_served();
}

static void peer_close_is_reported(void **state)
{
	const char *why;
	(void)state;
	shutdown(peer, SHUT_WR);
	assert_int_equal(serve(&why), -1);
	assert_string_equal(why, "closed by peer");
}

static void malformed_apdu_gets_a_status_word(void **state)
{
	const char *why;
	uint8_t bad[] = {0x00, 0xA4, 0x04}, body[16];
	(void)state;
	send_frame(bad, sizeof bad);
	assert_int_equal(serve(&why), 0);
	assert_int_equal(recv_frame(body, sizeof body), 2);
	assert_int_not_equal(body[0] << 8 | body[1], 0x9000);
}

static void power_cut_in_a_command_gives_no_answer_and_reboots(void **state)
{
	const char *why;
	unsigned long boots = power_boots();
	uint8_t body[16];
	(void)state;
	flashfile_cut_at(0);
	send_frame(select_aid, sizeof select_aid);
	assert_int_equal(serve(&why), -1);
	assert_string_equal(why, "power cut");
	assert_int_equal(power_boots(), boots + 1);
	assert_false(flashfile_power_lost());
	/* The card is back: a new reader gets answers. */
	{
		int sv[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		carrier_detach(&car, "reconnect");
		close(peer);
		carrier_attach(&car, sv[0]);
		peer = sv[1];
	}
	send_frame(select_aid, sizeof select_aid);
	assert_int_equal(serve(&why), 0);
	assert_int_equal(recv_frame(body, sizeof body), 2);
	assert_int_equal(body[0] << 8 | body[1], 0x9000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(atr_and_power_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(apdu_split_byte_by_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(batched_frames_each_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_control_code_answered_6700, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_length_frame_answered_6700, setup, teardown),
		cmocka_unit_test_setup_teardown(peer_close_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_apdu_gets_a_status_word, setup, teardown),
		cmocka_unit_test_setup_teardown(power_cut_in_a_command_gives_no_answer_and_reboots, setup, teardown),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("cardhost carrier", tests, NULL, NULL);
}
