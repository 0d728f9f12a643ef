/* Server-Sent Events for the programs' pages (hostlib/webpage.h): a fixed
 * set of open streams, each dropped once its browser leaves more than a
 * high-water mark unread, so that a page that stops reading never makes
 * the program hold more. The card's screen (card/host/web.c) and the back
 * office's charts (server/admin_http.c) are pushed through it. */
#ifndef HOSTLIB_WEBSTREAM_H
#define HOSTLIB_WEBSTREAM_H

#include <stddef.h>

struct evhttp_request;
struct evhttp_connection;

struct web_stream {
	struct evhttp_request *req;      /* the open stream; NULL: a free place */
	struct evhttp_connection *conn;
};

/* Answers req as an event stream (200, text/event-stream, web_headers)
 * in a free place of set[0..n-1], first queueing first (an event's text,
 * or NULL). The place, or NULL if none is free: the caller answers 503. */
struct web_stream *web_stream_open(struct web_stream *set, size_t n, struct evhttp_request *req,
				   const char *first);
/* Queues text on w (nothing if w is free), or drops w if more than
 * high_water bytes wait unread already. */
void web_stream_send(struct web_stream *w, const char *text, size_t high_water);
/* Closes w's connection (nothing if w is free); why goes to the log. */
void web_stream_drop(struct web_stream *w, const char *why);

#endif
