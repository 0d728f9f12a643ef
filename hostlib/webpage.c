/* The programs' web pages: compiled-in files and the rules of every
 * answer (hostlib/webpage.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hostlib/webpage.h"

const struct web_asset *web_asset_find(const struct web_asset *table, const char *path)
{
	for (; table->path != NULL; table++)
		if (strcmp(table->path, path) == 0)
			return table;
	return NULL;
}

int web_site_init(struct web_site *s, const char *host, unsigned port)
{
	int n;
	/* An IPv6 literal is written in brackets in Host and in an origin. */
	if (strchr(host, ':') != NULL)
		n = snprintf(s->host, sizeof s->host, "[%s]:%u", host, port);
	else
		n = snprintf(s->host, sizeof s->host, "%s:%u", host, port);
	if (n < 0 || (size_t)n >= sizeof s->host)
		return -1;
	n = snprintf(s->origin, sizeof s->origin, "http://%s", s->host);
	return n < 0 || (size_t)n >= sizeof s->origin ? -1 : 0;
}

int web_request_ours(struct evhttp_request *req, const struct web_site *s, const char **why)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *host = evhttp_find_header(h, "Host");
	const char *origin = evhttp_find_header(h, "Origin");
	if (host == NULL || strcmp(host, s->host) != 0) {
		*why = "not this page's host";
		return 0;
	}
	if (origin != NULL && strcmp(origin, s->origin) != 0) {
		*why = "another origin";
		return 0;
	}
	return 1;
}

void web_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'none'; script-src 'self'; style-src 'self'; "
			  "img-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
			  "base-uri 'none'; form-action 'none'");
}

void web_send_asset(struct evhttp_request *req, const struct web_asset *a)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, 503, "Out of memory");
		return;
	}
	web_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", a->type);
	evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

void web_send_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, 503, "Out of memory");
		return;
	}
	web_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* A port of 1 to 65535 in decimal, all of s. */
static int web_parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	if (*s == '\0' || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return -1;
	for (; *s != '\0'; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int web_parse_addr(const char *s, char *host, size_t host_cap, uint16_t *port)
{
	const char *colon, *hend;
	int bracketed = s[0] == '[';
	size_t n;
	if (bracketed) {
		hend = strchr(s, ']');
		if (hend == NULL || hend[1] != ':')
			return -1;
		colon = hend + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		hend = colon;
	}
	if (colon == NULL) {   /* a port alone */
		if (web_parse_port(s, port) != 0)
			return -1;
		n = (size_t)snprintf(host, host_cap, "127.0.0.1");
		return n < host_cap ? 0 : -1;
	}
	if (web_parse_port(colon + 1, port) != 0)
		return -1;
	n = (size_t)(hend - s);
	if (n >= host_cap)
		return -1;
	if (n == 0) {
		if (bracketed)   /* "[]:PORT" */
			return -1;
		n = (size_t)snprintf(host, host_cap, "127.0.0.1");
		return n < host_cap ? 0 : -1;
	}
	/* An IPv6 host without its brackets ("::1:7462"): which colon ends
	 * the host is a guess, so it is refused. */
	if (!bracketed && memchr(s, ':', n) != NULL)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}
