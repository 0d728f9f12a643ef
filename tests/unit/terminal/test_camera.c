/* The camera: the QR payload parser, and the file: source decoding PNGs
 * drawn here with libqrencode + libpng (not with the card's code): the
 * password of this card and ATC is found; stale and foreign codes are not. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "qr_png.h"
#include "terminal/terminal.h"

static const uint8_t CARD[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
static const char *const GOOD = "SIGCARD1:0123456789abcdef:42:31415926";
static const char *const STALE = "SIGCARD1:0123456789abcdef:41:27182818";
static const char *const OTHER_CARD = "SIGCARD1:fedcba9876543210:42:11112222";

struct scratch {
	char dir[64];
	char png[128];
};

static int setup(void **state)
{
	struct scratch *s = calloc(1, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "/tmp/sc-term-cam.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->png, sizeof s->png, "%s/screen.png", s->dir);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct scratch *s = *state;
	char tmp[160];
	unlink(s->png);
	snprintf(tmp, sizeof tmp, "%s.tmp", s->png);
	unlink(tmp);
	rmdir(s->dir);
	free(s);
	return 0;
}

static void open_file_camera(struct term_camera *cam, const char *png)
{
	char spec[200];
	snprintf(spec, sizeof spec, "file:%s", png);
	assert_int_equal(term_camera_open(cam, spec), 0);
	cam->poll_ms = 20;
}

static void qr_parse_accepts_the_card_form(void **state)
{
	(void)state;
	struct sc_qr q;
	assert_int_equal(sc_qr_decode(&q, GOOD, strlen(GOOD)), 0);
	assert_memory_equal(q.card_id, CARD, 8);
	assert_int_equal(q.atc, 42);
	assert_string_equal(q.jp, "31415926");
	const char *big = "SIGCARD1:0123456789ABCDEF:4294967295:00000000";
	assert_int_equal(sc_qr_decode(&q, big, strlen(big)), 0);
	assert_int_equal(q.atc, 4294967295u);
	assert_string_equal(q.jp, "00000000");
	const char *zero = "SIGCARD1:0123456789abcdef:0:12345678";
	assert_int_equal(sc_qr_decode(&q, zero, strlen(zero)), 0);
	assert_int_equal(q.atc, 0);
}

static void qr_parse_rejects_everything_else(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"SIGCARD1:",
		"SIGCARD2:0123456789abcdef:42:31415926",
		"sigcard1:0123456789abcdef:42:31415926",
		"SIGCARD1:0123456789abcde:42:31415926",     /* 15 hex digits */
		"SIGCARD1:0123456789abcdeg:42:31415926",    /* not hex */
		"SIGCARD1:0123456789abcdef0:42:31415926",   /* 17 */
		"SIGCARD1:0123456789abcdef::31415926",      /* no ATC */
		"SIGCARD1:0123456789abcdef:042:31415926",   /* leading zero */
		"SIGCARD1:0123456789abcdef:4294967296:31415926", /* > 2^32-1 */
		"SIGCARD1:0123456789abcdef:12345678901:31415926",
		"SIGCARD1:0123456789abcdef:-1:31415926",
		"SIGCARD1:0123456789abcdef:42:3141592",     /* 7 digits */
		"SIGCARD1:0123456789abcdef:42:314159265",   /* 9 digits */
		"SIGCARD1:0123456789abcdef:42:3141592a",
		"SIGCARD1:0123456789abcdef:42",
		"SIGCARD1:0123456789abcdef:42:31415926\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sc_qr q;
		if (sc_qr_decode(&q, bad[i], strlen(bad[i])) == 0)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_string_equal(q.jp, "");
	}
	/* an embedded NUL is not a shorter payload */
	struct sc_qr q;
	const char nul[] = "SIGCARD1:0123456789abcdef:42:3141\0926";
	assert_int_not_equal(sc_qr_decode(&q, nul, sizeof nul - 1), 0);
}

static void finds_this_transactions_password(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	assert_int_equal(qr_png_write(s->png, &GOOD, 1), 0);
	open_file_camera(&cam, s->png);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 2000, jp), 0);
	assert_string_equal(jp, "31415926");
	term_camera_close(&cam);
}

static void ignores_a_stale_screen(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	assert_int_equal(qr_png_write(s->png, &STALE, 1), 0);
	open_file_camera(&cam, s->png);
	int64_t t0 = term_now_ms();
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 300, jp), -TERM_EXIT_CANCELLED);
	assert_true(term_now_ms() - t0 >= 290);
	assert_string_equal(jp, "");
	assert_non_null(strstr(cam.err, "no password QR code for card 0123456789abcdef, ATC 42"));
	/* the stale code was read and decoded, just not used */
	assert_true(cam.frames >= 1);
	term_camera_close(&cam);
}

static void ignores_another_cards_code(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	assert_int_equal(qr_png_write(s->png, &OTHER_CARD, 1), 0);
	open_file_camera(&cam, s->png);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 200, jp), -TERM_EXIT_CANCELLED);
	assert_string_equal(jp, "");
	term_camera_close(&cam);
}

/* The card's void QR for this ATC ends the wait at the first frame that
 * holds it, long before the timeout; another ATC's void QR is passed over. */
static void void_code_stops_at_once(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	const char *const voids[] = {"SIGVOID1:0123456789abcdef:42:cancelled",
				     "SIGVOID1:0123456789abcdef:42:timeout",
				     "SIGVOID1:0123456789abcdef:42:pin-blocked"};
	const char *const why[] = {"(cancelled)", "(timeout)", "(pin-blocked)"};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(qr_png_write(s->png, &voids[i], 1), 0);
		open_file_camera(&cam, s->png);
		assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 5000, jp),
				 -TERM_EXIT_CANCELLED);
		assert_int_equal(cam.frames, 1);
		assert_non_null(strstr(cam.err, why[i]));
		assert_non_null(strstr(cam.err, "start a new payment"));
		assert_string_equal(jp, "");
		term_camera_close(&cam);
	}
	const char *const old_void = "SIGVOID1:0123456789abcdef:41:cancelled";
	assert_int_equal(qr_png_write(s->png, &old_void, 1), 0);
	open_file_camera(&cam, s->png);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 200, jp), -TERM_EXIT_CANCELLED);
	assert_non_null(strstr(cam.err, "no password QR code for card 0123456789abcdef, ATC 42"));
	term_camera_close(&cam);
}

static void picks_the_right_code_of_several(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	const char *const both[] = {STALE, OTHER_CARD, GOOD};
	assert_int_equal(qr_png_write(s->png, both, 3), 0);
	open_file_camera(&cam, s->png);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 2000, jp), 0);
	assert_string_equal(jp, "31415926");
	term_camera_close(&cam);
}

struct later {
	const char *png;
	const struct term_camera *cam;
};

/* Once the camera has looked at the screen without the password, the
 * holder confirms: the screen now shows it. */
static void *confirm_later(void *arg)
{
	const struct later *l = arg;
	for (int i = 0; i < 5000 && __atomic_load_n(&l->cam->frames, __ATOMIC_SEQ_CST) == 0; i++) {
		struct timespec ts = {0, 1000000L};
		nanosleep(&ts, NULL);
	}
	if (qr_png_write(l->png, &GOOD, 1) != 0)
		abort();
	return NULL;
}

static void rereads_until_the_password_appears(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	pthread_t t;
	/* first the previous payment's screen, then a blank review screen */
	assert_int_equal(qr_png_write(s->png, &STALE, 1), 0);
	open_file_camera(&cam, s->png);
	struct later l = {s->png, &cam};
	assert_int_equal(pthread_create(&t, NULL, confirm_later, &l), 0);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 10000, jp), 0);
	pthread_join(t, NULL);
	assert_string_equal(jp, "31415926");
	assert_true(cam.frames >= 2);
	term_camera_close(&cam);
}

static void missing_or_broken_file_times_out_with_reason(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	open_file_camera(&cam, s->png);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 150, jp), -TERM_EXIT_CANCELLED);
	assert_non_null(strstr(cam.err, "No such file"));
	FILE *f = fopen(s->png, "w");
	assert_non_null(f);
	fputs("this is not a PNG", f);
	fclose(f);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 150, jp), -TERM_EXIT_CANCELLED);
	assert_non_null(strstr(cam.err, "last read"));
	assert_string_equal(jp, "");
	term_camera_close(&cam);
}

static void blank_screen_has_no_password(void **state)
{
	struct scratch *s = *state;
	struct term_camera cam;
	char jp[SC_JP_DIGITS + 1] = "";
	assert_int_equal(qr_png_write(s->png, NULL, 0), 0);
	open_file_camera(&cam, s->png);
	assert_int_equal(term_camera_wait_jp(&cam, CARD, 42, 150, jp), -TERM_EXIT_CANCELLED);
	assert_true(cam.frames >= 1);
	term_camera_close(&cam);
}

static void camera_specs(void **state)
{
	(void)state;
	struct term_camera cam;
	assert_int_equal(term_camera_open(&cam, "webcam:0"), -TERM_EXIT_USAGE);
	assert_non_null(strstr(cam.err, "unknown camera"));
	assert_int_equal(term_camera_open(&cam, "file:"), -TERM_EXIT_USAGE);
	assert_int_equal(term_camera_open(&cam, "v4l2:"), -TERM_EXIT_USAGE);
	/* no such device on any machine: opening fails before any card is touched */
	assert_int_equal(term_camera_open(&cam, "v4l2:/dev/sigcard-no-such-video"),
			 -TERM_EXIT_FAILURE);
	assert_non_null(strstr(cam.err, "cannot open the camera"));
	/* A file in a folder that is not there is refused at open, which the
	 * terminal does before it talks to the card. */
	assert_int_equal(term_camera_open(&cam, "file:/tmp/sigcard-no-such-folder/screen.png"),
			 -TERM_EXIT_FAILURE);
	assert_non_null(strstr(cam.err, "its folder /tmp/sigcard-no-such-folder"));
	assert_int_equal(term_camera_open(&cam, "file:/dev/null/screen.png"), -TERM_EXIT_FAILURE);
	assert_non_null(strstr(cam.err, "is not a folder"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qr_parse_accepts_the_card_form),
		cmocka_unit_test(qr_parse_rejects_everything_else),
		cmocka_unit_test_setup_teardown(finds_this_transactions_password, setup, teardown),
		cmocka_unit_test_setup_teardown(void_code_stops_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(ignores_a_stale_screen, setup, teardown),
		cmocka_unit_test_setup_teardown(ignores_another_cards_code, setup, teardown),
		cmocka_unit_test_setup_teardown(picks_the_right_code_of_several, setup, teardown),
		cmocka_unit_test_setup_teardown(rereads_until_the_password_appears, setup,
						teardown),
		cmocka_unit_test_setup_teardown(missing_or_broken_file_times_out_with_reason,
						setup, teardown),
		cmocka_unit_test_setup_teardown(blank_screen_has_no_password, setup, teardown),
		cmocka_unit_test(camera_specs),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("terminal camera", tests, NULL, NULL);
}
