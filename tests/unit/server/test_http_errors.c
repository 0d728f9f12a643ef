/* The API's one error format for libevent's own answers (server/
 * http_errors.c): libevent's HTML error page, as it writes it into a
 * connection's output, becomes {"error": {"status", "message"}} with its
 * status line and other headers kept; an answer of our own, the back
 * office's HTML page included, is left as it is. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include "server/server.h"

static char *rewritten(const char *answer, int *changed)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *out;

	assert_non_null(b);
	evbuffer_add(b, answer, strlen(answer));
	*changed = srv_http_json_errors(b);
	n = evbuffer_get_length(b);
	out = calloc(1, n + 1);
	assert_non_null(out);
	evbuffer_remove(b, out, n);
	evbuffer_free(b);
	return out;
}

static void test_libevent_page_becomes_json(void **state)
{
	int changed;
	char *out = rewritten("HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/html\r\n"
			      "Connection: close\r\nContent-Length: 20\r\n\r\n"
			      "<HTML>too big</HTML>", &changed);

	(void)state;
	assert_int_equal(changed, 1);
	assert_string_equal(out, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n"
			    "Content-Type: application/json\r\nContent-Length: 55\r\n\r\n"
			    "{\"error\":{\"message\":\"Payload Too Large\",\"status\":413}}\n");
	free(out);
}

static void test_own_html_page_kept(void **state)
{
	const char *page = "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n"
			   "Content-Type: text/html; charset=utf-8\r\nContent-Length: 15\r\n\r\n"
			   "<!doctype html>";
	int changed;
	char *out = rewritten(page, &changed);

	(void)state;
	assert_int_equal(changed, 0);
	assert_string_equal(out, page);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libevent_page_becomes_json),
		cmocka_unit_test(test_own_html_page_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
