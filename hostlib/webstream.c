/* Server-Sent Events streams (hostlib/webstream.h). */
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
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

void web_stream_drop(struct web_stream *w, const char *why)
{
	struct evhttp_connection *conn = w->conn;

	if (w->req == NULL)
		return;
	log_info("web: a browser's event stream dropped: %s", why);
	w->req = NULL;
	w->conn = NULL;
	evhttp_connection_set_closecb(conn, NULL, NULL);
	evhttp_connection_free(conn);
}

void web_stream_send(struct web_stream *w, const char *text, size_t high_water)
{
	struct bufferevent *bev;
	struct evbuffer *b;

	if (w->req == NULL)
		return;
	bev = evhttp_connection_get_bufferevent(w->conn);
	if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) > high_water) {
		web_stream_drop(w, "it reads too slowly");
		return;
	}
	b = evbuffer_new();
	if (b == NULL || evbuffer_add(b, text, strlen(text)) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		web_stream_drop(w, "out of memory");
		return;
	}
	evhttp_send_reply_chunk(w->req, b);
	evbuffer_free(b);
}

struct web_stream *web_stream_open(struct web_stream *set, size_t n, struct evhttp_request *req,
				   const char *first)
{
	struct web_stream *w = NULL;

	for (size_t i = 0; i < n && w == NULL; i++)
		if (set[i].req == NULL)
			w = &set[i];
	if (w == NULL)
		return NULL;
	web_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/event-stream");
	evhttp_send_reply_start(req, 200, "OK");
	w->req = req;
	w->conn = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(w->conn, stream_closed, w);
	if (first != NULL)
		web_stream_send(w, first, (size_t)-1);
	return w;
}
