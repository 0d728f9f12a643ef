/* The pages' shared rules (hostlib/webpage.h): the --http address as the
 * card and the terminal both take it, and the token from a 0600 file. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hostlib_test.h"
#include "hostlib/webpage.h"

static void addr_forms(void **state)
{
	char host[64];
	uint16_t port = 0;
	(void)state;
	assert_int_equal(web_parse_addr("7400", host, sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7400);
	assert_int_equal(web_parse_addr("0.0.0.0:80", host, sizeof host, &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 80);
	assert_int_equal(web_parse_addr("[::1]:65535", host, sizeof host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(web_parse_addr(":7401", host, sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7401);
	assert_int_equal(web_parse_addr("localhost:1", host, sizeof host, &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(web_parse_addr("[fe80::1%eth0]:1", host, sizeof host, &port), 0);
	assert_string_equal(host, "fe80::1%eth0");
	assert_int_equal(port, 1);
}

static void addr_refused(void **state)
{
	static const char *const bad[] = {
		"", "nohost", "[::1]", "[::1]7400", "[]:80", "[::1:80", "host:", "host:0",
		"host:65536", "host:+80", "host:-1", "host:80x", "0", "99999", ":", "::1:7462", "1234567",
	};
	char host[64];
	uint16_t port;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (web_parse_addr(bad[i], host, sizeof host, &port) != -1)
			fail_msg("'%s' taken as an address", bad[i]);
	}
	/* A host longer than the caller's buffer. */
	assert_int_equal(web_parse_addr("a-rather-long-host-name:80", host, 8, &port), -1);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void token_file(void **state)
{
	char dir[256], path[300], tok[WEB_TOKEN_MAX + 1], big[WEB_TOKEN_MAX + 8];
	const char *why = NULL;
	(void)state;
	tmp_dir_path(dir, "token", path);
	write_file(path, "  merchant-token.0123_~\n", 0600);
	assert_int_equal(web_token_from_file(path, tok, &why), 0);
	assert_string_equal(tok, "merchant-token.0123_~");
	write_file(path, "short-token\n", 0600);
	assert_int_equal(web_token_from_file(path, tok, &why), -1);
	assert_non_null(strstr(why, "not a token"));
	write_file(path, "a token with spaces in it\n", 0600);
	assert_int_equal(web_token_from_file(path, tok, &why), -1);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	write_file(path, big, 0600);
	assert_int_equal(web_token_from_file(path, tok, &why), -1);
	write_file(path, "merchant-token-0123456789\n", 0640);
	assert_int_equal(web_token_from_file(path, tok, &why), -1);
	assert_non_null(strstr(why, "readable or writable by group or others"));
	tmp_dir_remove(dir);
}

static void tokens_made_differ(void **state)
{
	char a[WEB_TOKEN_MAX + 1], b[WEB_TOKEN_MAX + 1];
	(void)state;
	assert_int_equal(web_token_make(a), 0);
	assert_int_equal(web_token_make(b), 0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_forms),
		cmocka_unit_test(addr_refused),
		cmocka_unit_test(token_file),
		cmocka_unit_test(tokens_made_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
