/* Server-Sent Event streams of a page (hostlib/webpage.h), a bounded set
 * of them on the program's one event loop: one more browser than the set
 * holds is refused (the caller answers 503), never queued; a browser that leaves more than
 * WEB_STREAM_HIGH_WATER bytes unread is dropped, so the program never
 * waits for one; a comment line every WEB_STREAM_HEARTBEAT_S finds a
 * browser that went away without a word. The card's page and the
 * terminal's use it. */
#ifndef HOSTLIB_WEBSTREAM_H
#define HOSTLIB_WEBSTREAM_H

#include <stddef.h>

struct evhttp_request;
struct evhttp_connection;
struct event_base;
struct event;

#define WEB_STREAMS_MAX 8
#define WEB_STREAM_HIGH_WATER (64u * 1024u)
#define WEB_STREAM_HEARTBEAT_S 15

struct web_stream {
	struct evhttp_request *req;    /* the open event stream; NULL: free */
	struct evhttp_connection *conn;
};

struct web_streams {
	struct web_stream s[WEB_STREAMS_MAX];
	struct event *heartbeat;
};

/* Readies the set on base (the heartbeat); 0 or -1. */
int web_streams_init(struct web_streams *ws, struct event_base *base);
/* Answers req with an event stream whose first bytes are first (the
 * state so far, "retry: ..." included): 0, or -1 if it was dropped at
 * once; WEB_STREAMS_FULL, req not answered, when the set is full (the
 * caller answers 503 in its page's form). */
#define WEB_STREAMS_FULL (-2)
int web_streams_open(struct web_streams *ws, struct evhttp_request *req, const char *first);
/* Queues text (whole events) on every stream; a stream that has fallen
 * behind is dropped instead. */
void web_streams_send(struct web_streams *ws, const char *text);
/* Ends every stream and the heartbeat. */
void web_streams_close(struct web_streams *ws, const char *why);

#endif
