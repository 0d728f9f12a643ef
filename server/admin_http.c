/* The bank's back office in a browser (--admin-http): its own listener,
 * thread and database connection (http.c), apart from the public /v1 API,
 * since this one writes. The page (web/admin, web/common: compiled in)
 * asks for the token of --admin-token-file once and gets a session
 * (admin_session.c). Then:
 *   GET  /v1/...                     the API's resources (http_api.c), as on --http
 *   GET  /api/session                {"csrf"}: the page's CSRF token after a reload
 *                                    (null: no session)
 *   GET  /api/events                 the charts' figures, Server-Sent Events, 1 a second
 *   POST /api/login                  {"token"} -> the cookie and {"csrf"}
 *   POST /api/logout
 *   POST /api/cards/ID/block|unblock through srv_card_set_status, as `card block` does
 * A POST needs the page's own Origin (403), a session (401) and the
 * session's CSRF token in X-CSRF-Token (403); a GET never changes state.
 * Every answer but the page's files is JSON, errors too (http_errors.c).
 * What an unauthenticated peer can make it hold is bounded: the
 * listener's connections, a request's head and body, the fixed session
 * table; the event streams are a fixed set, for sessions only. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include "common/hex.h"
#include "hostlib/webpage.h"
#include "hostlib/webstream.h"
#include "server.h"

#define ADMIN_MAX_CONNS 32
#define ADMIN_MAX_BODY 1024

extern const struct web_asset admin_web_assets[];

struct srv_admin_http {
	struct srv_http *h;
	struct web_site site;
	struct srv_admin_auth auth;
	struct srv_admin_samples samples;
	struct web_streams watchers;         /* the charts: WEB_STREAMS_MAX; one more: 503 */
	struct event *tick;                  /* every second: a sample, to every stream */
	struct srv_ratelog refusals;         /* a flood of refused requests logs little */
};

/* A refused request, logged at most every few seconds. */
__attribute__((format(printf, 2, 3)))
static void refused(struct srv_admin_http *a, const char *fmt, ...)
{
	unsigned long missed;
	char what[256];
	va_list ap;

	if (!srv_ratelog_due(&a->refusals, &missed))
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (missed)
		log_warnx("back office: refused: %s (and %lu more refusals since the last line)",
			  what, missed);
	else
		log_warnx("back office: refused: %s", what);
}

static int admin_addr(const char *addr, char *host, size_t cap, int *port)
{
	uint16_t p;

	if (web_parse_addr(addr, host, cap, &p) != 0)
		return -1;
	*port = (int)p;
	return 0;
}

/* Sends a JSON answer with the page's headers (no caching, no framing). */
static void send_json(struct evhttp_request *req, int code, json_t *body)
{
	web_headers(req);
	srv_http_send_json(req, code, body);
}

static void send_error(struct evhttp_request *req, int code, const char *message)
{
	web_headers(req);
	srv_http_send_error(req, code, message);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct srv_admin_http *a = arg;
	char *sample, *event;
	size_t n;

	(void)fd;
	(void)what;
	if (!srv_admin_sample(&a->samples) || !(sample = srv_admin_samples_json(&a->samples, 1)))
		return;
	n = strlen(sample) + 32;
	event = malloc(n);
	if (event) {
		snprintf(event, n, "event: sample\ndata: %s\n\n", sample);
		web_streams_send(&a->watchers, event);
	}
	free(event);
	free(sample);
}

/* The stream starts with the history, then a sample a second. */
static void get_events(struct srv_admin_http *a, struct evhttp_request *req)
{
	char *history = srv_admin_samples_json(&a->samples, 0), *first;
	size_t n;

	if (!history)
		return send_error(req, 503, "out of memory");
	n = strlen(history) + 48;
	first = malloc(n);
	if (!first) {
		free(history);
		return send_error(req, 503, "out of memory");
	}
	snprintf(first, n, "retry: 2000\nevent: history\ndata: %s\n\n", history);
	free(history);
	if (web_streams_open(&a->watchers, req, first) == WEB_STREAMS_FULL)
		send_error(req, 503, "too many charts open at once");
	free(first);
}

/* The request body as JSON, or NULL. */
static json_t *body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char text[ADMIN_MAX_BODY + 1];

	if (n == 0 || n > ADMIN_MAX_BODY)
		return NULL;
	evbuffer_copyout(in, text, n);
	text[n] = '\0';
	return json_loads(text, 0, NULL);
}

static void post_login(struct srv_admin_http *a, struct evhttp_request *req)
{
	json_t *body = body_json(req);
	const char *token = body ? json_string_value(json_object_get(body, "token")) : NULL;
	struct srv_admin_session *s = NULL;
	char cookie[160];
	int rc;

	if (!token) {
		json_decref(body);
		return send_error(req, 400, "the body is {\"token\": \"...\"}");
	}
	rc = srv_admin_login(&a->auth, token, strlen(token), &s);
	/* The guess leaves no copy behind in jansson's memory. */
	sc_wipe((char *)token, strlen(token));
	json_decref(body);
	if (rc == -1) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "60");
		refused(a, "a login, after too many wrong tokens this minute");
		return send_error(req, 429, "too many wrong tokens: wait a minute");
	}
	if (rc == 0) {
		refused(a, "a wrong token at login");
		return send_error(req, 401, "wrong token");
	}
	if (rc < 0)
		return send_error(req, 503, "no random bytes for a session");
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict",
		 SRV_ADMIN_COOKIE, s->id);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	sc_wipe(cookie, sizeof(cookie));
	log_info("back office: a session opened");
	send_json(req, 200, json_pack("{s:s}", "csrf", s->csrf));
}

/* POST /api/cards/ID/block or unblock: the admin command's own path. */
static void post_card_status(struct srv_admin_http *a, struct evhttp_request *req,
			     const char *hex, const char *verb)
{
	uint8_t id[SC_CARD_ID_LEN];
	struct srv_card c;
	int status = !strcmp(verb, "block") ? CARD_BLOCKED : CARD_ACTIVE, rc;
	char err[256];
	struct srv_db *db = srv_http_db(a->h);

	if (strlen(hex) != 2 * SC_CARD_ID_LEN || sc_hex_decode(id, sizeof(id), hex) != SC_CARD_ID_LEN)
		return send_error(req, 404, "no such card");
	rc = srv_card_get(db, id, &c);
	if (rc < 0)
		return send_error(req, 503, "the ledger cannot be read");
	if (rc == 0)
		return send_error(req, 404, "no such card");
	if (c.status == CARD_PREPARED)
		return send_error(req, 409, "the card is not enrolled yet");
	if (srv_card_set_status(db, id, status, err, sizeof(err)) != 0)
		return send_error(req, 503, err);
	log_info("back office: card %s %s", hex, status == CARD_BLOCKED ? "blocked" : "unblocked");
	send_json(req, 200, json_pack("{s:s,s:s}", "card_id", hex, "status",
				      srv_card_status_name(status)));
}

/* The API's paths under /api: 1 answered, 0 none such. */
static int api(struct srv_admin_http *a, struct evhttp_request *req, int nseg,
	       char seg[][SRV_HTTP_SEG_MAX])
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int post = cmd == EVHTTP_REQ_POST, get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
	const char *origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
	struct srv_admin_session *s;
	int login = nseg == 2 && !strcmp(seg[1], "login");
	int known = login || (nseg == 2 && (!strcmp(seg[1], "logout") || !strcmp(seg[1], "session") ||
					    !strcmp(seg[1], "events"))) ||
		    (nseg == 4 && !strcmp(seg[1], "cards") &&
		     (!strcmp(seg[3], "block") || !strcmp(seg[3], "unblock")));
	int wants_post = login || (nseg == 2 && !strcmp(seg[1], "logout")) || nseg == 4;

	if (!known)
		return 0;
	if (wants_post ? !post : !get) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  wants_post ? "POST" : "GET, HEAD");
		send_error(req, 405, wants_post ? "POST only" : "GET only");
		return 1;
	}
	/* A browser sends Origin with every POST: none is not a page's. */
	if (post && !origin) {
		refused(a, "a POST with no Origin");
		send_error(req, 403, "a POST needs the back office's own Origin");
		return 1;
	}
	if (login) {
		post_login(a, req);
		return 1;
	}
	s = srv_admin_session_of(&a->auth, req);
	/* The page asks at load whether it has a session: "no" is an answer,
	 * not an error a browser would log. */
	if (!s && !strcmp(seg[1], "session")) {
		send_json(req, 200, json_pack("{s:n}", "csrf"));
		return 1;
	}
	if (!s) {
		send_error(req, 401, "log in first");
		return 1;
	}
	if (post && !srv_admin_csrf_ok(s, req)) {
		refused(a, "a POST without the session's CSRF token");
		send_error(req, 403, "the CSRF token is missing or wrong");
		return 1;
	}
	if (!strcmp(seg[1], "session")) {
		send_json(req, 200, json_pack("{s:s}", "csrf", s->csrf));
	} else if (!strcmp(seg[1], "events")) {
		get_events(a, req);
	} else if (!strcmp(seg[1], "logout")) {
		srv_admin_logout(s);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie",
				  SRV_ADMIN_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
		send_json(req, 200, json_pack("{s:b}", "logged_out", 1));
	} else {
		post_card_status(a, req, seg[2], seg[3]);
	}
	return 1;
}

static void admin_request(struct srv_http *h, struct evhttp_request *req, void *arg)
{
	struct srv_admin_http *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri), *why;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char seg[4][SRV_HTTP_SEG_MAX];
	const struct web_asset *asset;
	int nseg;

	(void)h;
	if (!web_request_ours(req, &a->site, &why)) {
		refused(a, "%s: %s", path ? path : "?", why);
		return send_error(req, 403, why);
	}
	nseg = srv_http_split(path, seg, 4);
	if (nseg < 0)
		return send_error(req, 404, "no such resource");
	if (nseg >= 1 && !strcmp(seg[0], "api")) {
		if (!api(a, req, nseg, seg))
			send_error(req, 404, "no such resource");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		return send_error(req, 405, "GET only here");
	}
	if (nseg >= 1 && !strcmp(seg[0], "v1")) {
		if (!srv_admin_session_of(&a->auth, req))
			return send_error(req, 401, "log in first");
		web_headers(req);
		if (!srv_http_api(srv_http_db(a->h), req, nseg, seg, evhttp_uri_get_query(uri)))
			srv_http_send_error(req, 404, "no such resource");
		return;
	}
	if (path && (asset = web_asset_find(admin_web_assets, path)))
		return web_send_asset(req, asset);
	send_error(req, 404, "no such page");
}

/* The loop has stopped (or never ran): what lives on its base goes first. */
static void admin_stopping(void *arg)
{
	struct srv_admin_http *a = arg;

	web_streams_close(&a->watchers, "the server stops");
	if (a->tick)
		event_free(a->tick);
	a->tick = NULL;
}

struct srv_admin_http *srv_admin_http_start(struct srv *s, char *err, size_t errlen)
{
	struct srv_admin_http *a = calloc(1, sizeof(*a));
	struct srv_http_spec spec = {
		.what = "the back office", .opt = "--admin-http", .addr = s->cfg.admin_http_addr,
		.addr_form = "[HOST:]PORT", .parse_addr = admin_addr, .thread_name = "sc-admin",
		.max_conns = ADMIN_MAX_CONNS, .max_body = ADMIN_MAX_BODY, .writable = 1,
		.route = admin_request, .stopping = admin_stopping,
	};
	char host[128];
	uint16_t port = 0;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	spec.arg = a;
	if (srv_admin_token_load(&a->auth, s->cfg.admin_token_file, err, errlen) != 0) {
		char why[512];

		snprintf(why, sizeof(why), "--admin-token-file: %s", err);
		snprintf(err, errlen, "%s", why);
		free(a);
		return NULL;
	}
	if (web_parse_addr(s->cfg.admin_http_addr, host, sizeof(host), &port) ||
	    web_site_init(&a->site, host, port) != 0) {
		snprintf(err, errlen, "--admin-http: '%s' is not [HOST:]PORT", s->cfg.admin_http_addr);
		srv_admin_auth_wipe(&a->auth);
		free(a);
		return NULL;
	}
	a->h = srv_http_new(s, &spec, err, errlen);
	a->tick = a->h && web_streams_init(&a->watchers, srv_http_base(a->h)) == 0 ?
		  event_new(srv_http_base(a->h), -1, EV_PERSIST, on_tick, a) : NULL;
	if (a->h && !a->tick) {
		snprintf(err, errlen, "the back office: out of memory");
		srv_http_discard(a->h);
	}
	if (a->tick) {
		srv_admin_sample(&a->samples);
		event_add(a->tick, &(struct timeval){1, 0});
	}
	if (!a->tick || srv_http_run(a->h, err, errlen) != 0) {
		srv_admin_auth_wipe(&a->auth);
		free(a);
		return NULL;
	}
	log_info("the back office: http://%s/", a->site.host);
	return a;
}

void srv_admin_http_stop(struct srv_admin_http *a)
{
	srv_http_stop(a->h);
	srv_admin_auth_wipe(&a->auth);
	free(a);
}
