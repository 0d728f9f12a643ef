/* The API's one error format, {"error": {"status": N, "message": "..."}},
 * for the errors libevent 2.1 answers itself too. Before our callback sees
 * a request, evhttp may refuse it with an HTML page of its own (a body over
 * the limit: 413; a method it does not know: 501; a malformed request line
 * or headers over the limit: 400), and 2.1 has no hook for that page. It
 * writes the page into the connection's output buffer in one go, and the
 * socket sends it only once the event loop polls again: the connection
 * rewrites it there first (http.c, http_output). libevent's pages, and
 * they alone, say "Content-Type: text/html" with no charset (the back
 * office's own page says its charset: admin_http.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/buffer.h>
#include <jansson.h>
#include "server.h"

#define LIBEVENT_PAGE_TYPE "\r\nContent-Type: text/html\r\n"

json_t *srv_http_error_body(int status, const char *message)
{
	return json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", message);
}

/* The header lines kept from libevent's answer: all but its body's. */
static int header_kept(const char *line, size_t n)
{
	static const char *const dropped[] = {"Content-Type:", "Content-Length:"};
	size_t i;

	for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (n >= strlen(dropped[i]) && !strncasecmp(line, dropped[i], strlen(dropped[i])))
			return 0;
	return 1;
}

int srv_http_json_errors(struct evbuffer *out)
{
	struct evbuffer_ptr end = evbuffer_search(out, "\r\n\r\n", 4, NULL);
	size_t hlen, rlen, total = evbuffer_get_length(out);
	struct evbuffer *head;
	char *h, *line, *next, *text, reason[64];
	json_t *body;

	if (end.pos < 0 || (size_t)end.pos + 4 > 8192)
		return 0;
	hlen = (size_t)end.pos + 2; /* through the last header line's CRLF */
	h = (char *)evbuffer_pullup(out, (ev_ssize_t)hlen);
	/* "HTTP/1.1 413 Reason\r\n" */
	if (!h || hlen < 15 || strncmp(h, "HTTP/1.", 7) != 0 || h[12] != ' ' ||
	    !memmem(h, hlen, LIBEVENT_PAGE_TYPE, strlen(LIBEVENT_PAGE_TYPE)))
		return 0;
	rlen = strcspn(h + 13, "\r");
	snprintf(reason, sizeof(reason), "%.*s", (int)(rlen < sizeof(reason) ? rlen : 63), h + 13);
	body = srv_http_error_body(atoi(h + 9), reason);
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	head = evbuffer_new();
	if (!text || !head) {
		free(text);
		if (head)
			evbuffer_free(head);
		return 0;
	}
	/* The status line and the headers but the body's, then ours. */
	for (line = h; line < h + hlen; line = next) {
		next = (char *)memchr(line, '\n', (size_t)(h + hlen - line)) + 1;
		if (line == h || header_kept(line, (size_t)(next - line)))
			evbuffer_add(head, line, (size_t)(next - line));
	}
	evbuffer_add_printf(head, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			    strlen(text) + 1);
	if (total > hlen + 2) { /* an answer to HEAD has no body */
		evbuffer_add(head, text, strlen(text));
		evbuffer_add(head, "\n", 1);
	}
	free(text);
	evbuffer_drain(out, total);
	evbuffer_add_buffer(out, head);
	evbuffer_free(head);
	return 1;
}
