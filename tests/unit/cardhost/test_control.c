/* The control socket's request handling (control_handle_line) with the real
 * core behind it, and the small parsers of the host: keypad bytes and the
 * --vpcd address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "card/card.h"
#include "card/host/host.h"
#include "hostcard.h"

static int setup(void **state)
{
	(void)state;
	if (hostcard_new() != 0)
		return -1;
	display_redraw();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hostcard_free();
	return 0;
}

/* Runs one request; returns the parsed reply (caller frees) and the status. */
static json_t *request(const char *line, int *status)
{
	static char out[16384];
	json_error_t e;
	int wait_id = -1, wait_ms = -1;
	json_t *j;
	*status = control_handle_line(line, out, sizeof out, &wait_id, &wait_ms);
	if (*status == 0)
		return json_pack("{s:i, s:i}", "wait_id", wait_id, "wait_ms", wait_ms);
	assert_non_null(strchr(out, '\n'));
	j = json_loads(out, 0, &e);
	assert_non_null(j);
	return j;
}

static void screen_is_structured(void **state)
{
	int st;
	json_t *r = request("{\"cmd\":\"screen\",\"id\":\"abc\"}", &st), *s;
	(void)state;
	assert_int_equal(st, 1);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
	s = json_object_get(r, "screen");
	assert_string_equal(json_string_value(json_object_get(s, "name")), "idle");
	assert_int_equal(json_array_size(json_object_get(s, "lines")), CARD_SCREEN_LINES);
	assert_true(json_is_null(json_object_get(s, "qr")));
	json_decref(r);
}

static void errors_are_named_and_bad_json_drops(void **state)
{
	int st;
	json_t *r;
	(void)state;
	r = request("{\"cmd\":\"fly\"}", &st);
	assert_int_equal(st, 1);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "error")), "unknown cmd");
	json_decref(r);
	r = request("[1,2]", &st);
	assert_int_equal(st, -1);
	json_decref(r);
	r = request("{\"cmd\":", &st);
	assert_int_equal(st, -1);
	json_decref(r);
	r = request("{\"cmd\":\"press\",\"keys\":42}", &st);
	assert_int_equal(st, 1);
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = request("{\"cmd\":\"press\",\"keys\":[\"1\",\"LAUNCH\"]}", &st);
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = request("{\"cmd\":\"wait\",\"screen\":\"nirvana\"}", &st);
	assert_int_equal(st, 1);
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = request("{\"cmd\":\"field\",\"iface\":\"usb\",\"on\":true}", &st);
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = request("{\"cmd\":\"power_cut\",\"at_write\":-3}", &st);
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

static void wait_parks_unless_the_screen_is_there(void **state)
{
	int st;
	json_t *r;
	(void)state;
	r = request("{\"cmd\":\"wait\",\"screen\":\"idle\",\"timeout_ms\":10}", &st);
	assert_int_equal(st, 1);   /* already there: answered at once */
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = request("{\"cmd\":\"wait\",\"screen\":\"password\",\"timeout_ms\":1234}", &st);
	assert_int_equal(st, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "wait_id")), CARD_SCREEN_PASSWORD);
	assert_int_equal(json_integer_value(json_object_get(r, "wait_ms")), 1234);
	json_decref(r);
}

static void power_cut_arms_and_reset_reboots(void **state)
{
	int st;
	unsigned long boots = power_boots();
	json_t *r;
	(void)state;
	r = request("{\"cmd\":\"power_cut\",\"at_write\":3}", &st);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(flashfile_cut_pending(), 3);
	json_decref(r);
	r = request("{\"cmd\":\"power_cut\",\"cancel\":true}", &st);
	assert_int_equal(flashfile_cut_pending(), 0);
	json_decref(r);
	r = request("{\"cmd\":\"reset\"}", &st);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(power_boots(), boots + 1);
	json_decref(r);
	r = request("{\"cmd\":\"power_cut\"}", &st);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(power_boots(), boots + 2);
	assert_false(flashfile_power_lost());
	json_decref(r);
}

/* Regression: with no control socket, the zeroed client table looked like
 * a client on fd 0 waiting for the idle screen; control_tick then "replied"
 * to fd 0 and closed it, and later whatever descriptor reused 0 (a reader's
 * socket, the flash file). */
static void no_control_socket_touches_no_descriptor(void **state)
{
	int p[2], saved = dup(0);
	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], 0), 0);
	display_redraw();   /* idle: id 0 */
	control_tick();
	control_close();
	assert_int_not_equal(fcntl(0, F_GETFD), -1);
	dup2(saved, 0);
	close(saved);
	close(p[0]);
	close(p[1]);
}

static void keypad_bytes(void **state)
{
	(void)state;
	assert_int_equal(tty_key_for_byte('7'), '7');
	assert_int_equal(tty_key_for_byte('\r'), CARD_KEY_OK);
	assert_int_equal(tty_key_for_byte('\n'), CARD_KEY_OK);
	assert_int_equal(tty_key_for_byte(0x1B), CARD_KEY_CANCEL);
	assert_int_equal(tty_key_for_byte(0x7F), CARD_KEY_BACKSPACE);
	assert_int_equal(tty_key_for_byte(0x08), CARD_KEY_BACKSPACE);
	assert_int_equal(tty_key_for_byte('a'), 0);
	assert_int_equal(tty_key_for_byte('K'), 0);   /* only the control socket spells keys */
}

static void vpcd_addresses(void **state)
{
	char host[64];
	uint16_t port;
	(void)state;
	assert_int_equal(vpcd_parse_addr("", host, sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 35963);
	assert_int_equal(vpcd_parse_addr("4000", host, sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 4000);
	assert_int_equal(vpcd_parse_addr("pcsc.example:4001", host, sizeof host, &port), 0);
	assert_string_equal(host, "pcsc.example");
	assert_int_equal(port, 4001);
	assert_int_equal(vpcd_parse_addr("localhost", host, sizeof host, &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 35963);
	assert_int_equal(vpcd_parse_addr("h:0", host, sizeof host, &port), -1);
	assert_int_equal(vpcd_parse_addr("h:65536", host, sizeof host, &port), -1);
	assert_int_equal(vpcd_parse_addr("h:12x", host, sizeof host, &port), -1);
	assert_int_equal(vpcd_parse_addr("h:", host, sizeof host, &port), -1);
	assert_int_equal(vpcd_parse_addr("h:-5", host, sizeof host, &port), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(screen_is_structured, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_are_named_and_bad_json_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_parks_unless_the_screen_is_there, setup, teardown),
		cmocka_unit_test_setup_teardown(power_cut_arms_and_reset_reboots, setup, teardown),
		cmocka_unit_test_setup_teardown(no_control_socket_touches_no_descriptor, setup, teardown),
		cmocka_unit_test(keypad_bytes),
		cmocka_unit_test(vpcd_addresses),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("cardhost control", tests, NULL, NULL);
}
