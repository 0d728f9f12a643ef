/* Server-Sent Event streams of a page (hostlib/webstream.h). */
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hostlib/log.h"
#include "hostlib/webpage.h"
#include "hostlib/webstream.h"

static void stream_closed(struct evhttp_connection *conn, void *arg)
{
	struct web_stream *w = arg;
	(void)conn;
	/* A browser that went away mid-stream leaves its request detached
	 * from the connection (libevent frees only requests still on it):
	 * ending the reply is what frees it then. */
	if (w->req != NULL && evhttp_request_get_connection(w->req) == NULL)
		evhttp_send_reply_end(w->req);
	w->req = NULL;
	w->conn = NULL;
}

static void stream_drop(struct web_stream *w, const char *why)
{
	struct evhttp_connection *conn = w->conn;
	if (w->req == NULL)
		return;
	log_info("web: a browser dropped: %s", why);
	w->req = NULL;
	w->conn = NULL;
	evhttp_connection_set_closecb(conn, NULL, NULL);
	evhttp_connection_free(conn);
}

/* Queues text on w's stream, or drops w if it has fallen behind. */
static void stream_send(struct web_stream *w, const char *text)
{
	struct bufferevent *bev;
	struct evbuffer *b;
	if (w->req == NULL)
		return;
	bev = evhttp_connection_get_bufferevent(w->conn);
	if (bev != NULL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > WEB_STREAM_HIGH_WATER) {
		stream_drop(w, "it reads too slowly");
		return;
	}
	b = evbuffer_new();
	if (b == NULL || evbuffer_add(b, text, strlen(text)) != 0) {
		evbuffer_free(b);
		stream_drop(w, "out of memory");
		return;
	}
	evhttp_send_reply_chunk(w->req, b);
	evbuffer_free(b);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	web_streams_send(arg, ": still here\n\n");
}

int web_streams_init(struct web_streams *ws, struct event_base *base)
{
	struct timeval tv = {WEB_STREAM_HEARTBEAT_S, 0};
	memset(ws, 0, sizeof *ws);
	ws->heartbeat = event_new(base, -1, EV_PERSIST, on_heartbeat, ws);
	if (ws->heartbeat == NULL || event_add(ws->heartbeat, &tv) != 0)
		return -1;
	return 0;
}

int web_streams_open(struct web_streams *ws, struct evhttp_request *req, const char *first)
{
	struct web_stream *w = NULL;
	for (size_t i = 0; i < WEB_STREAMS_MAX && w == NULL; i++)
		if (ws->s[i].req == NULL)
			w = &ws->s[i];
	if (w == NULL)
		return WEB_STREAMS_FULL;
	web_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/event-stream");
	evhttp_send_reply_start(req, 200, "OK");
	w->req = req;
	w->conn = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(w->conn, stream_closed, w);
	if (first == NULL) {
		stream_drop(w, "out of memory");
		return -1;
	}
	stream_send(w, first);
	return w->req != NULL ? 0 : -1;
}

void web_streams_send(struct web_streams *ws, const char *text)
{
	for (size_t i = 0; i < WEB_STREAMS_MAX; i++)
		stream_send(&ws->s[i], text);
}

void web_streams_close(struct web_streams *ws, const char *why)
{
	for (size_t i = 0; i < WEB_STREAMS_MAX; i++)
		stream_drop(&ws->s[i], why);
	if (ws->heartbeat != NULL)
		event_free(ws->heartbeat);
	ws->heartbeat = NULL;
}
