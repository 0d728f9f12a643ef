/* A page's listening address (hostlib/webpage.h, web_addr_parse):
 * [HOST:]PORT, a port alone on the default host, an IPv6 host in brackets
 * as in a URL; anything else refused. */
#include <string.h>
#include "hostlib_test.h"
#include "hostlib/webpage.h"

static void addr_ok(const char *s, const char *host, unsigned port)
{
	char h[64];
	unsigned p = 0;

	assert_int_equal(web_addr_parse(s, "127.0.0.1", h, sizeof h, &p), 0);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void forms_taken(void **state)
{
	(void)state;
	addr_ok("7462", "127.0.0.1", 7462);
	addr_ok("0.0.0.0:80", "0.0.0.0", 80);
	addr_ok("localhost:65535", "localhost", 65535);
	addr_ok("[::1]:7462", "::1", 7462);
	addr_ok("[fe80::1%eth0]:1", "fe80::1%eth0", 1);
}

static void others_refused(void **state)
{
	static const char *const bad[] = {
		"", "0", "65536", "host", "host:", ":7462", "[::1]", "::1:7462", "[::1]7462",
		"[]:7462", "h:74x", "h:-1", "h:+1", "1234567", "[::1:80",
	};
	char h[64];
	unsigned p;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (web_addr_parse(bad[i], "127.0.0.1", h, sizeof h, &p) != -1)
			fail_msg("'%s' taken", bad[i]);
	assert_int_equal(web_addr_parse("averyveryverylonghostname:1", "x", h, 8, &p), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forms_taken),
		cmocka_unit_test(others_refused),
	};
	return RUN_TESTS("hostlib_webaddr", tests, argc, argv);
}
