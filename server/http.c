/* The read-only HTTP/JSON API and /metrics, on its own thread, event loop
 * and database connection, so a slow HTTP client never delays a payment.
 * Each request's headers have --request-timeout seconds however slowly
 * they come (evhttp's own timeout restarts on every byte, so it serves as
 * --idle-timeout); connections are capped (--http-max-conns), a full
 * server dropping the one that has gone longest without completing a
 * request, so that slow peers cannot keep a monitor out; and the listener
 * rests after EMFILE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <jansson.h>
#include "hostlib/frameio.h"
#include "server.h"

struct srv_http {
	struct srv *s;
	struct srv_http_spec spec;
	char host[128];
	int port;
	struct event_base *base;
	struct evhttp *http;
	struct srv_db db;
	pthread_t thread;
	struct evconnlistener *listener; /* evhttp's own */
	struct event *accept_ev;         /* turns it back on after EMFILE */
	int accept_paused;
	struct srv_ratelog accept_log;
	long nconns;                     /* open connections, not yet dropped by us */
	struct http_conn *conns;         /* every one not yet swept */
	struct event *sweep_ev;          /* http_sweep, every 200 ms */
};

/* One HTTP connection as this file sees it. evhttp owns it; we hold a
 * reference on its bufferevent, so that the memory and the socket stay ours
 * to look at until we let go: evhttp freeing it clears its callbacks, which
 * is how http_reap knows it is gone. Where its requests stand
 * is read off its buffers (http_input, http_output): evhttp writes to the
 * output only once a request's headers are complete. */
struct http_conn {
	struct srv_http *h;
	struct bufferevent *bev;
	int64_t since;                   /* opened, or its last request answered (fio_now_ms) */
	int64_t request_start;           /* the current request's deadline runs from here */
	int in_request;                  /* opened and not answered yet, or bytes of a
					    next request came since the last answer */
	int dropped;                     /* shut down by us: evhttp frees it on the EOF */
	struct evbuffer_cb_entry *in_cb, *out_cb;
	struct event *json_errors_ev;    /* http_json_errors, once an answer is written */
	struct http_conn *next;
};

/* The listener's error callback gets the argument evhttp gave the
 * listener (its own struct evhttp), not ours: the process's HTTP servers
 * (the API's and the back office's) are found here by their listener
 * instead. Set before each listener is enabled. */
#define HTTP_SERVERS 2
static struct srv_http *http_servers[HTTP_SERVERS];

static void http_accept_resume(struct srv_http *h)
{
	h->accept_paused = 0;
	evtimer_del(h->accept_ev);
	evconnlistener_enable(h->listener);
}

static void on_http_accept_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_accept_resume(arg);
}

/* As for submissions (net.c): out of descriptors, the listener rests
 * rather than being woken for the queued connection at once, for ever. */
static void on_http_accept_error(struct evconnlistener *l, void *arg)
{
	struct srv_http *h = NULL;
	struct timeval tv = {0, SRV_ACCEPT_BACKOFF_MS * 1000};

	(void)arg;
	for (int i = 0; i < HTTP_SERVERS && !h; i++)
		if (http_servers[i] && http_servers[i]->listener == l)
			h = http_servers[i];
	if (h && srv_fd_accept_failed(&h->accept_log, h->spec.what)) {
		h->accept_paused = 1;
		evconnlistener_disable(l);
		evtimer_add(h->accept_ev, &tv);
	}
}

/* Bytes came in: if none were pending since the last answer, a request
 * begins and its deadline with it. */
static void http_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *hc = arg;

	(void)buf;
	if (info->n_added > 0 && !hc->in_request) {
		hc->in_request = 1;
		hc->request_start = fio_now_ms();
	}
}

/* evhttp wrote an answer (or an error): the request's headers were
 * complete. Until another begins the connection is idle, under evhttp's
 * timeout; bytes already waiting are the next request, whose deadline runs
 * from now. */
static void http_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *hc = arg;

	(void)buf;
	if (info->n_added == 0)
		return;
	event_active(hc->json_errors_ev, EV_TIMEOUT, 0);
	hc->since = hc->request_start = fio_now_ms();
	hc->in_request = evbuffer_get_length(bufferevent_get_input(hc->bev)) > 0;
}

/* Runs after the callback that wrote an answer, before the loop polls
 * the socket again: libevent's own HTML error becomes the API's JSON one
 * (http_errors.c). */
static void http_json_errors(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *hc = arg;

	(void)fd;
	(void)what;
	srv_http_json_errors(bufferevent_get_output(hc->bev));
}

/* Shutting the socket down makes evhttp see the end of the stream and free
 * the connection itself. */
static void http_shutdown(struct http_conn *hc)
{
	evutil_socket_t sock = bufferevent_getfd(hc->bev);

	if (sock >= 0)
		shutdown(sock, SHUT_RDWR);
}

/* No longer counted against --http-max-conns; before evhttp has set the
 * socket, the next sweep shuts it down. */
static void http_drop(struct http_conn *hc, const char *why)
{
	hc->dropped = 1;
	hc->h->nconns--;
	atomic_fetch_add(&srv_metrics.peers_dropped, 1);
	log_debug("%s peer dropped: %s", hc->h->spec.what, why);
	http_shutdown(hc);
}

/* Lets go of the connections evhttp has freed (and the listener, resting
 * after EMFILE, resumes). */
static void http_reap(struct srv_http *h)
{
	struct http_conn **pp = &h->conns, *hc;

	while ((hc = *pp) != NULL) {
		bufferevent_event_cb eventcb = NULL;

		bufferevent_getcb(hc->bev, NULL, NULL, &eventcb, NULL);
		if (eventcb) {
			pp = &hc->next;
			continue;
		}
		*pp = hc->next;
		evbuffer_remove_cb_entry(bufferevent_get_input(hc->bev), hc->in_cb);
		evbuffer_remove_cb_entry(bufferevent_get_output(hc->bev), hc->out_cb);
		event_free(hc->json_errors_ev);
		bufferevent_decref(hc->bev);
		if (!hc->dropped)
			h->nconns--;
		free(hc);
		if (h->accept_paused)
			http_accept_resume(h);
	}
}

/* Every 200 ms: freed connections let go; a request whose headers are not
 * complete --request-timeout after it began is dropped, and one we dropped
 * whose socket was not set yet is shut down now. */
static void http_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct srv_http *h = arg;
	int64_t now = fio_now_ms(), limit = (int64_t)h->s->cfg.request_timeout * 1000;
	struct http_conn *hc;

	(void)fd;
	(void)what;
	http_reap(h);
	for (hc = h->conns; hc; hc = hc->next) {
		if (hc->dropped)
			http_shutdown(hc);
		else if (hc->in_request && now - hc->request_start >= limit)
			http_drop(hc, "a request not complete within --request-timeout");
	}
}

/* Full: the connection that has gone longest without completing a request
 * (a slowloris peer, an idle keep-alive one) makes room, so that slow peers
 * cannot keep a monitor's /healthz out. */
static void http_make_room(struct srv_http *h)
{
	struct http_conn *hc, *oldest = NULL;

	for (hc = h->conns; hc; hc = hc->next)
		if (!hc->dropped && (!oldest || hc->since < oldest->since))
			oldest = hc;
	if (oldest)
		http_drop(oldest, "room for a new peer (--http-max-conns)");
}

/* evhttp asks for each accepted connection's bufferevent (it sets the
 * socket afterwards). NULL lets evhttp make its own (out of memory). */
static struct bufferevent *http_conn_new(struct event_base *base, void *arg)
{
	struct srv_http *h = arg;
	struct http_conn *hc = calloc(1, sizeof(*hc));

	if (!hc)
		return NULL;
	hc->json_errors_ev = event_new(base, -1, 0, http_json_errors, hc);
	hc->bev = hc->json_errors_ev ? bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)
				     : NULL;
	hc->in_cb = hc->bev ? evbuffer_add_cb(bufferevent_get_input(hc->bev), http_input, hc)
			    : NULL;
	hc->out_cb = hc->in_cb ? evbuffer_add_cb(bufferevent_get_output(hc->bev), http_output, hc)
			       : NULL;
	if (!hc->out_cb) {
		if (hc->bev)
			bufferevent_free(hc->bev);
		if (hc->json_errors_ev)
			event_free(hc->json_errors_ev);
		free(hc);
		return NULL;
	}
	bufferevent_incref(hc->bev);
	hc->h = h;
	hc->since = hc->request_start = fio_now_ms();
	hc->in_request = 1; /* its first request's deadline runs from now */
	http_reap(h);
	if (h->nconns >= h->spec.max_conns)
		http_make_room(h);
	h->nconns++;
	hc->next = h->conns;
	h->conns = hc;
	return hc->bev;
}

static void get_metrics(struct evhttp_request *req)
{
	struct evbuffer *out = evbuffer_new();
	char *buf = malloc(32768);
	size_t n;

	if (!out || !buf) {
		free(buf);
		if (out)
			evbuffer_free(out);
		return srv_http_send_error(req, 503, "out of memory");
	}
	n = srv_metrics_render(buf, 32768);
	evbuffer_add(out, buf, n);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
	free(buf);
}

static void get_health(struct srv_http *h, struct evhttp_request *req)
{
	int v = srv_db_version(&h->db);
	char reason[160];

	if (srv_health_failing(reason, sizeof(reason)))
		return srv_http_send_json(req, 503, json_pack("{s:s,s:s}", "status", "failing",
							      "reason", reason));
	/* unreadable: the connection's own error says why (on PostgreSQL,
	 * no primary reachable), never its password (libpq prints none) */
	if (v < 0) {
		snprintf(reason, sizeof(reason), "the ledger cannot be read: %s", srv_db_errmsg(&h->db));
		reason[strcspn(reason, "\n")] = '\0';
		return srv_http_send_json(req, 503, json_pack("{s:s,s:s}", "status",
							      "ledger unreadable", "reason",
							      reason[0] ? reason : "unknown"));
	}
	if (v != SRV_SCHEMA_VERSION || atomic_load(&h->s->stopping))
		return srv_http_send_json(req, 503, json_pack("{s:s}", "status", "stopping"));
	srv_http_send_json(req, 200, json_pack("{s:s,s:i}", "status", "ok", "schema_version", v));
}

int srv_http_split(const char *path, char seg[][SRV_HTTP_SEG_MAX], int max)
{
	int nseg = 0;
	const char *p;

	if (!path)
		path = "/";
	for (p = path; *p && nseg < max;) {
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n >= SRV_HTTP_SEG_MAX)
			return -1;
		memcpy(seg[nseg], p, n);
		seg[nseg++][n] = '\0';
		p += n;
	}
	return *p && strspn(p, "/") != strlen(p) ? -1 : nseg;
}

/* The API's routes; the segments are matched literally, ids checked by
 * the handlers. */
static void api_request(struct srv_http *h, struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	char seg[4][SRV_HTTP_SEG_MAX];
	int nseg;

	(void)arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		return srv_http_send_error(req, 405, "this API is read-only");
	}
	nseg = srv_http_split(evhttp_uri_get_path(uri), seg, 4);
	if (nseg < 0)
		return srv_http_send_error(req, 404, "no such resource");
	if (nseg == 1 && !strcmp(seg[0], "healthz"))
		return get_health(h, req);
	if (nseg == 1 && !strcmp(seg[0], "metrics"))
		return get_metrics(req);
	if (srv_http_api(&h->db, req, nseg, seg, evhttp_uri_get_query(uri)))
		return;
	srv_http_send_error(req, 404, "no such resource");
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct srv_http *h = arg;

	h->spec.route(h, req, h->spec.arg);
}

struct srv_db *srv_http_db(struct srv_http *h)
{
	return &h->db;
}

struct event_base *srv_http_base(struct srv_http *h)
{
	return h->base;
}

static void *http_main(void *arg)
{
	struct srv_http *h = arg;

	event_base_dispatch(h->base);
	return NULL;
}

static void http_free(struct srv_http *h)
{
	for (int i = 0; i < HTTP_SERVERS; i++)
		if (http_servers[i] == h)
			http_servers[i] = NULL;
	if (h->http)
		evhttp_free(h->http);
	if (h->accept_ev)
		event_free(h->accept_ev);
	if (h->sweep_ev)
		event_free(h->sweep_ev);
	if (h->base)
		event_base_free(h->base);
	srv_db_close(&h->db);
	free(h);
}

struct srv_http *srv_http_new(struct srv *s, const struct srv_http_spec *spec, char *err,
			      size_t errlen)
{
	struct srv_http *h = calloc(1, sizeof(*h));
	struct evhttp_bound_socket *bound;
	int slot = -1;

	for (int i = 0; i < HTTP_SERVERS && slot < 0; i++)
		if (!http_servers[i])
			slot = i;
	if (!h || slot < 0) {
		snprintf(err, errlen, "%s on %s: out of memory", spec->what, spec->addr);
		free(h);
		return NULL;
	}
	h->s = s;
	h->spec = *spec;
	if (spec->parse_addr(spec->addr, h->host, sizeof(h->host), &h->port) != 0) {
		snprintf(err, errlen, "%s: '%s' is not %s", spec->opt, spec->addr, spec->addr_form);
		free(h);
		return NULL;
	}
	if (srv_db_open(&h->db, s->cfg.db_path, !spec->writable, SRV_SCHEMA_VERSION, err,
			errlen) != 0) {
		free(h);
		return NULL;
	}
	h->base = event_base_new();
	h->http = h->base ? evhttp_new(h->base) : NULL;
	h->accept_ev = h->base ? evtimer_new(h->base, on_http_accept_timer, h) : NULL;
	h->sweep_ev = h->base ? event_new(h->base, -1, EV_PERSIST, http_sweep, h) : NULL;
	if (!h->http || !h->accept_ev || !h->sweep_ev) {
		snprintf(err, errlen, "cannot serve %s on %s: out of memory", spec->what, spec->addr);
		http_free(h);
		return NULL;
	}
	/* libevent keeps bind()'s errno; the reason ("Address already in
	 * use") is what an operator, and a script that picks another port,
	 * acts on. */
	bound = evhttp_bind_socket_with_handle(h->http, h->host, (uint16_t)h->port);
	if (!bound) {
		snprintf(err, errlen, "cannot serve %s on %s: %s", spec->what, spec->addr,
			 strerror(errno));
		http_free(h);
		return NULL;
	}
	http_servers[slot] = h;
	h->listener = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(h->listener, on_http_accept_error);
	evhttp_set_bevcb(h->http, http_conn_new, h);
	event_add(h->sweep_ev, &(struct timeval){0, 200000});
	evhttp_set_gencb(h->http, on_request, h);
	evhttp_set_timeout(h->http, s->cfg.idle_timeout);
	evhttp_set_max_headers_size(h->http, 8192);
	/* A body over the limit gets libevent's 413. Every method libevent
	 * knows reaches the routes for their 405 with Allow; one it does not
	 * know is its own 501 (JSON both: http_errors.c). */
	evhttp_set_max_body_size(h->http, (ev_ssize_t)spec->max_body);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
					    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
					    EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	return h;
}

void srv_http_discard(struct srv_http *h)
{
	if (h->spec.stopping)
		h->spec.stopping(h->spec.arg);
	http_free(h);
}

int srv_http_run(struct srv_http *h, char *err, size_t errlen)
{
	if (pthread_create(&h->thread, NULL, http_main, h) != 0) {
		snprintf(err, errlen, "cannot start the %s thread", h->spec.what);
		srv_http_discard(h);
		return -1;
	}
	pthread_setname_np(h->thread, h->spec.thread_name);
	return 0;
}

static int api_addr(const char *addr, char *host, size_t cap, int *port)
{
	return srv_split_addr(addr, host, cap, port);
}

struct srv_http *srv_http_start(struct srv *s, char *err, size_t errlen)
{
	/* The API reads no bodies: a small one still gets its 405. */
	const struct srv_http_spec spec = {
		.what = "HTTP", .opt = "--http", .addr = s->cfg.http_addr, .addr_form = "HOST:PORT",
		.parse_addr = api_addr, .thread_name = "sc-http", .max_conns = s->cfg.http_max_conns,
		.max_body = SRV_HTTP_MAX_BODY, .route = api_request,
	};
	struct srv_http *h = srv_http_new(s, &spec, err, errlen);

	return h && srv_http_run(h, err, errlen) == 0 ? h : NULL;
}

void srv_http_stop(struct srv_http *h)
{
	event_base_loopbreak(h->base);
	pthread_join(h->thread, NULL);
	if (h->spec.stopping)
		h->spec.stopping(h->spec.arg);
	evhttp_free(h->http);
	while (h->conns) {
		struct http_conn *hc = h->conns;

		h->conns = hc->next;
		evbuffer_remove_cb_entry(bufferevent_get_input(hc->bev), hc->in_cb);
		evbuffer_remove_cb_entry(bufferevent_get_output(hc->bev), hc->out_cb);
		event_free(hc->json_errors_ev);
		bufferevent_decref(hc->bev);
		free(hc);
	}
	h->http = NULL;
	http_free(h);
}
