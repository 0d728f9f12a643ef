/* The "pay" command line: a full line parses to the right values, defaults
 * hold, and each kind of bad input is a usage error naming the option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "terminal/terminal.h"

#define BASE_NO_TLS "pay", "--amount", "12.34", "--currency", "EUR", "--to", "SHOP-1", \
	"--payee-name", "Café Müller", "--card", "unix:/tmp/card.sock", "--server", \
	"127.0.0.1:7000", "--terminal-id", "T-01"
/* A HOST:PORT server is TLS: the files are named, not read, while parsing. */
#define BASE BASE_NO_TLS, "--tls", "/tmp/t1"

static int parse(struct term_pay_opts *o, char *err, size_t cap, int argc, const char **argv)
{
	return term_pay_opts_parse(o, argc, (char **)argv, err, cap);
}

#define PARSE(o, err, ...) \
	parse(o, err, sizeof err, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
	      (const char *[]){__VA_ARGS__})

static void full_line(void **state)
{
	(void)state;
	struct term_pay_opts o;
	char err[TERM_ERR_MAX] = "";
	assert_int_equal(PARSE(&o, err, BASE, "--scheme", "enc-digest", "--jp", "scan", "--camera",
			       "file:/tmp/screen.png", "--receipt-key", "/tmp/k.pem", "--timeout",
			       "30", "--retries", "5"), 0);
	assert_int_equal(o.amount, 1234);
	assert_int_equal(o.currency, 978);
	assert_string_equal(o.currency_alpha, "EUR");
	assert_string_equal(o.payee, "SHOP-1");
	assert_string_equal(o.payee_name, "Café Müller");
	assert_string_equal(o.terminal_id, "T-01");
	assert_int_equal(o.scheme, SC_SCHEME_ENC_DIGEST);
	assert_int_equal(o.jp_source, TERM_JP_SCAN);
	assert_string_equal(o.card, "unix:/tmp/card.sock");
	assert_string_equal(o.camera, "file:/tmp/screen.png");
	assert_string_equal(o.server, "127.0.0.1:7000");
	assert_string_equal(o.tls.dir, "/tmp/t1");
	assert_null(o.tls.server_name);
	assert_int_equal(o.tls.insecure_plain_tcp, 0);
	assert_string_equal(o.receipt_key, "/tmp/k.pem");
	assert_int_equal(o.timeout_s, 30);
	assert_int_equal(o.retries, 5);
	assert_int_equal(o.help, 0);
}

static void defaults_and_contactless(void **state)
{
	(void)state;
	struct term_pay_opts o;
	char err[TERM_ERR_MAX] = "";
	assert_int_equal(PARSE(&o, err, BASE, "--jp", "contactless", "--contactless",
			       "unix:/tmp/cl.sock"), 0);
	assert_int_equal(o.scheme, SC_SCHEME_ENC_RAND);
	assert_int_equal(o.jp_source, TERM_JP_CONTACTLESS);
	assert_string_equal(o.contactless, "unix:/tmp/cl.sock");
	assert_null(o.camera);
	assert_null(o.receipt_key);
	assert_int_equal(o.timeout_s, TERM_DEFAULT_TIMEOUT_S);
	assert_int_equal(o.retries, 3);
	/* a server on a Unix socket, a PC/SC reader with spaces in its name */
	assert_int_equal(PARSE(&o, err, "pay", "--amount", "5", "--currency", "JPY", "--to", "B",
			       "--payee-name", "Ba", "--card", "pcsc:Virtual PCD 00 00", "--server",
			       "unix:/run/sigcard.sock", "--terminal-id", "X", "--camera",
			       "v4l2:/dev/video0"), 0);
	assert_int_equal(o.amount, 5);
	assert_int_equal(o.currency, 392);
}

static void help_is_not_an_error(void **state)
{
	(void)state;
	struct term_pay_opts o;
	char err[TERM_ERR_MAX] = "";
	assert_int_equal(PARSE(&o, err, "pay", "--help"), 0);
	assert_int_equal(o.help, 1);
}

struct bad_case {
	const char *opt;
	const char *val;
	const char *expect;   /* in the message */
};

static void each_bad_value_names_its_option(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{"--amount", "12.345", "--amount '12.345'"},
		{"--amount", "-1", "--amount '-1'"},
		{"--amount", "0", "--amount '0'"},
		{"--amount", "1e3", "--amount '1e3'"},
		{"--amount", "", "--amount ''"},
		{"--currency", "XYZ", "--currency 'XYZ'"},
		{"--currency", "eur", "--currency 'eur'"},
		{"--to", "shop-1", "--to 'shop-1'"},
		{"--to", "-SHOP", "--to '-SHOP'"},
		{"--to", "A123456789012345678901234567890123X", "--to"},
		{"--payee-name", " Leading", "--payee-name"},
		{"--payee-name", "Tab\there", "--payee-name"},
		{"--payee-name", "", "--payee-name"},
		{"--terminal-id", "T 01", "--terminal-id 'T 01'"},
		{"--terminal-id", "T123456789ABCDEFG", "--terminal-id"},
		{"--scheme", "rsa", "--scheme 'rsa'"},
		{"--jp", "telepathy", "--jp 'telepathy'"},
		{"--card", "serial:/dev/ttyS0", "--card 'serial:/dev/ttyS0'"},
		{"--server", "localhost", "--server 'localhost'"},
		{"--server", "localhost:0", "--server"},
		{"--server", "localhost:65536", "--server"},
		{"--server", "unix:", "--server"},
		{"--timeout", "0", "--timeout '0'"},
		{"--timeout", "ten", "--timeout 'ten'"},
		{"--retries", "-1", "--retries '-1'"},
		{"--camera", "webcam", "--camera 'webcam'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct term_pay_opts o;
		char err[TERM_ERR_MAX] = "";
		/* the bad value comes last, so it overrides BASE's good one */
		int rc = PARSE(&o, err, BASE, "--camera", "file:/tmp/s.png", cases[i].opt,
			       cases[i].val);
		if (rc != -TERM_EXIT_USAGE || strstr(err, cases[i].expect) == NULL)
			fail_msg("%s '%s': rc %d, message \"%s\"", cases[i].opt, cases[i].val, rc,
				 err);
	}
}

static void missing_and_conflicting_options(void **state)
{
	(void)state;
	struct term_pay_opts o;
	char err[TERM_ERR_MAX] = "";
	assert_int_equal(PARSE(&o, err, "pay", "--currency", "EUR"), -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--amount is required"));
	assert_int_equal(PARSE(&o, err, "pay", "--amount", "1", "--currency", "EUR", "--to", "A",
			       "--payee-name", "A", "--card", "unix:/x", "--server", "h:1"),
			 -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--terminal-id is required"));
	assert_int_equal(PARSE(&o, err, BASE), -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--jp scan needs --camera"));
	assert_int_equal(PARSE(&o, err, BASE, "--jp", "contactless"), -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--jp contactless needs --contactless"));
	assert_int_equal(PARSE(&o, err, BASE, "--jp", "contactless", "--contactless", "unix:/c",
			       "--camera", "file:/s"), -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--camera goes with --jp scan"));
	assert_int_equal(PARSE(&o, err, BASE, "--camera", "file:/s", "--contactless", "unix:/c"),
			 -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--contactless goes with --jp contactless"));
	assert_int_equal(PARSE(&o, err, BASE, "--camera", "file:/s", "--frobnicate"),
			 -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--frobnicate: unknown option"));
	assert_int_equal(PARSE(&o, err, BASE, "--camera", "file:/s", "extra"), -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "unexpected argument 'extra'"));
	assert_int_equal(PARSE(&o, err, BASE, "--camera"), -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "--camera: a value is needed"));
}

/* TLS to a HOST:PORT server, or loudly none; never TLS options for unix:. */
static void tls_options(void **state)
{
	(void)state;
	struct term_pay_opts o;
	char err[TERM_ERR_MAX] = "";
	assert_int_equal(PARSE(&o, err, BASE_NO_TLS, "--camera", "file:/s"), -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "TCP needs --tls DIR"));
	assert_int_equal(PARSE(&o, err, BASE_NO_TLS, "--camera", "file:/s", "--insecure-plain-tcp"),
			 0);
	assert_int_equal(o.tls.insecure_plain_tcp, 1);
	assert_int_equal(PARSE(&o, err, BASE_NO_TLS, "--camera", "file:/s", "--server-ca", "/c",
			       "--cert", "/t", "--key", "/k", "--server-name", "pay.example"), 0);
	assert_string_equal(o.tls.server_ca, "/c");
	assert_string_equal(o.tls.cert, "/t");
	assert_string_equal(o.tls.key, "/k");
	assert_string_equal(o.tls.server_name, "pay.example");
	assert_int_equal(PARSE(&o, err, BASE, "--camera", "file:/s", "--insecure-plain-tcp"),
			 -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "exclude each other"));
	assert_int_equal(PARSE(&o, err, BASE, "--camera", "file:/s", "--server", "unix:/s"),
			 -TERM_EXIT_USAGE);
	assert_non_null(strstr(err, "TLS options are for a HOST:PORT server"));
}

static void exit_classes_have_names(void **state)
{
	(void)state;
	assert_string_equal(term_exit_name(-TERM_EXIT_CARD_ABSENT), "card-absent");
	assert_string_equal(term_exit_name(TERM_EXIT_SERVER_REFUSED), "server-refused");
	assert_string_equal(term_exit_name(-TERM_EXIT_BAD_RECEIPT), "bad-receipt");
	assert_string_equal(term_exit_name(99), "unknown");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_line),
		cmocka_unit_test(defaults_and_contactless),
		cmocka_unit_test(help_is_not_an_error),
		cmocka_unit_test(each_bad_value_names_its_option),
		cmocka_unit_test(missing_and_conflicting_options),
		cmocka_unit_test(tls_options),
		cmocka_unit_test(exit_classes_have_names),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("terminal options", tests, NULL, NULL);
}
