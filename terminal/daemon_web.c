/* The merchant's page (daemon --http, terminal.h): evhttp on the daemon's
 * one event loop. The page's files are compiled in (web/common,
 * web/terminal; hostlib/webpage.h); a payment typed there starts through
 * the daemon's own way in (the same job, worker, checks and error classes
 * as a front end on the Unix socket), and its steps and result are pushed
 * to every watching browser as Server-Sent Events (hostlib/webstream.h: a
 * browser that does not keep up is dropped, the loop never waits for one).
 * Starting a payment is the merchant's act: it needs the token printed at
 * start, and comes from the page's own origin only. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/currency.h"
#include "common/scheme.h"
#include "hostlib/log.h"
#include "hostlib/webpage.h"
#include "hostlib/webstream.h"
#include "terminal/terminal.h"

/* A request's head; a payment's body is a few short fields. */
#define WEB_HEADERS_MAX 8192
#define WEB_BODY_MAX 4096
/* Seconds a connection may sit without reading or writing a request. */
#define WEB_IDLE_S 30
/* The events of the payment under way (or the last one) kept for a
 * browser that comes in the middle: a payment has a dozen lines. */
#define WEB_HISTORY_MAX (32u * 1024u)

extern const struct web_asset terminal_web_assets[];

/* An event on its way from the worker to the loop. */
struct web_pending {
	struct web_pending *next;
	int is_start, is_result;
	char text[];                  /* "event: ...\ndata: ...\n\n" */
};

struct term_web {
	struct evhttp *http;
	struct web_site site;
	char token[WEB_TOKEN_MAX + 1];
	struct web_streams streams;
	term_web_start_fn start;
	void *ctx;
	char terminal_id[SC_TERMINAL_ID_MAX + 1];
	const char *jp;               /* "scan" or "contactless" */
	int busy;                     /* as the events so far say */
	char history[WEB_HISTORY_MAX];
	size_t history_len;
	pthread_mutex_t lock;         /* guards pending */
	struct web_pending *pending, **pending_tail;
	struct event *wake;           /* the loop takes pending */
};

/* A JSON answer with web_headers; takes the reference to body. */
static void web_send_json(struct evhttp_request *req, int code, const char *reason, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	struct evbuffer *b = evbuffer_new();
	json_decref(body);
	if (text == NULL || b == NULL) {
		free(text);
		evbuffer_free(b);
		evhttp_send_error(req, 503, "Out of memory");
		return;
	}
	evbuffer_add_printf(b, "%s\n", text);
	free(text);
	web_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* Every error the page's server gives: {"result":"error","class":..,
 * "message":..}. */
static void web_error(struct evhttp_request *req, int code, const char *reason,
		      const char *class, const char *message)
{
	web_send_json(req, code, reason, json_pack("{s:s, s:s, s:s}", "result", "error", "class",
						   class, "message", message));
}

static void web_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct term_web *w = arg;
	struct web_pending *p, *next;
	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->lock);
	p = w->pending;
	w->pending = NULL;
	w->pending_tail = &w->pending;
	pthread_mutex_unlock(&w->lock);
	for (; p != NULL; p = next) {
		size_t n = strlen(p->text);
		next = p->next;
		if (p->is_start) {
			w->history_len = 0;
			w->busy = 1;
		}
		if (p->is_result)
			w->busy = 0;
		if (w->history_len + n < sizeof w->history) {
			memcpy(w->history + w->history_len, p->text, n + 1);
			w->history_len += n;
		}
		web_streams_send(&w->streams, p->text);
		free(p);
	}
}

void term_web_post(struct term_web *w, const char *event, json_t *data)
{
	char *text = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
	struct web_pending *p;
	size_t n;
	json_decref(data);
	if (text == NULL)
		return;
	/* JSON_COMPACT has no newline: the event is one data line. */
	n = strlen(event) + strlen(text) + 32;
	p = malloc(sizeof *p + n);
	if (p != NULL) {
		p->next = NULL;
		p->is_start = strcmp(event, "start") == 0;
		p->is_result = strcmp(event, "result") == 0;
		snprintf(p->text, n, "event: %s\ndata: %s\n\n", event, text);
		pthread_mutex_lock(&w->lock);
		*w->pending_tail = p;
		w->pending_tail = &p->next;
		pthread_mutex_unlock(&w->lock);
		event_active(w->wake, EV_READ, 0);
	}
	free(text);
}

void term_web_started(struct term_web *w, const struct term_pay_opts *o, const char *from)
{
	char amount[64];
	if (sc_amount_format(amount, sizeof amount, o->amount, o->currency) < 0)
		snprintf(amount, sizeof amount, "%llu", (unsigned long long)o->amount);
	term_web_post(w, "start", json_pack("{s:s, s:s, s:s, s:s, s:s}", "amount", amount, "payee",
					    o->payee, "payee_name", o->payee_name, "scheme",
					    sc_scheme_name(o->scheme), "from", from));
}

/* GET /events: who this terminal is, then the payment so far. */
static void web_events(struct term_web *w, struct evhttp_request *req)
{
	json_t *hello = json_pack("{s:s, s:s, s:b}", "terminal_id", w->terminal_id, "jp", w->jp,
				  "busy", w->busy);
	char *text = hello != NULL ? json_dumps(hello, JSON_COMPACT) : NULL;
	size_t n = (text != NULL ? strlen(text) : 0) + w->history_len + 64;
	char *first = text != NULL ? malloc(n) : NULL;
	json_decref(hello);
	if (first != NULL)
		snprintf(first, n, "retry: 1000\nevent: terminal\ndata: %s\n\n%s", text, w->history);
	if (web_streams_open(&w->streams, req, first) == WEB_STREAMS_FULL)
		web_error(req, 503, "Service Unavailable", "too-many-browsers",
			  "too many browsers watching this terminal");
	free(first);
	free(text);
}

/* The page's fields and the options of pay they are. */
static const struct {
	const char *field, *option;
	int required;
} payment_fields[] = {
	{"amount", "--amount", 1},
	{"currency", "--currency", 1},
	{"payee", "--to", 1},
	{"payee_name", "--payee-name", 1},
	{"scheme", "--scheme", 0},
};
#define N_FIELDS (sizeof payment_fields / sizeof payment_fields[0])

/* The body as pay's args, or NULL with a message in err. */
static json_t *payment_args(struct evhttp_request *req, char *err, size_t cap)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *body, *args;
	const char *key;
	json_t *v;
	if (len == 0 || len > WEB_BODY_MAX) {
		snprintf(err, cap, "the body is one JSON object of at most %u bytes",
			 (unsigned)WEB_BODY_MAX);
		return NULL;
	}
	body = json_loadb((const char *)evbuffer_pullup(in, -1), len, JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!json_is_object(body)) {
		snprintf(err, cap, "the body is not a JSON object (amount, currency, payee,"
			 " payee_name, scheme)");
		json_decref(body);
		return NULL;
	}
	json_object_foreach(body, key, v) {
		size_t i;
		for (i = 0; i < N_FIELDS && strcmp(key, payment_fields[i].field) != 0; i++)
			;
		if (i == N_FIELDS) {
			snprintf(err, cap, "unknown field '%.64s' (amount, currency, payee,"
				 " payee_name, scheme)", key);
			json_decref(body);
			return NULL;
		}
	}
	args = json_array();
	for (size_t i = 0; args != NULL && i < N_FIELDS; i++) {
		v = json_object_get(body, payment_fields[i].field);
		if (v == NULL && !payment_fields[i].required)
			continue;
		if (!json_is_string(v)) {
			snprintf(err, cap, "%s: %s", payment_fields[i].field,
				 v == NULL ? "required" : "a string is expected");
			json_decref(args);
			args = NULL;
			break;
		}
		json_array_append_new(args, json_string(payment_fields[i].option));
		json_array_append(args, v);
	}
	json_decref(body);
	if (args == NULL && err[0] == '\0')
		snprintf(err, cap, "out of memory");
	return args;
}

/* POST /payments: the merchant's token, then the daemon's way in. */
static void web_payments(struct term_web *w, struct evhttp_request *req)
{
	char err[TERM_ERR_MAX] = "";
	json_t *args;
	int rc;
	if (!web_bearer_ok(req, w->token)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  "Bearer realm=\"sigcard terminal\"");
		web_error(req, 401, "Unauthorized", "unauthorized",
			  "starting a payment needs the terminal's token (Authorization: Bearer)");
		return;
	}
	args = payment_args(req, err, sizeof err);
	if (args == NULL) {
		web_send_json(req, 400, "Bad Request",
			      json_pack("{s:s, s:i, s:s, s:s}", "result", "error", "exit",
					TERM_EXIT_USAGE, "class", term_exit_name(TERM_EXIT_USAGE),
					"message", err));
		return;
	}
	rc = w->start(w->ctx, args, err, sizeof err);
	json_decref(args);
	if (rc == 0)
		web_send_json(req, 202, "Accepted", json_pack("{s:s}", "result", "started"));
	else if (rc == TERM_DAEMON_BUSY)
		web_error(req, 409, "Conflict", "busy", err);
	else
		web_send_json(req, rc == -TERM_EXIT_USAGE ? 400 : 500,
			      rc == -TERM_EXIT_USAGE ? "Bad Request" : "Internal Server Error",
			      json_pack("{s:s, s:i, s:s, s:s}", "result", "error", "exit", -rc,
					"class", term_exit_name(rc), "message", err));
}

static void web_on_request(struct evhttp_request *req, void *arg)
{
	struct term_web *w = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct web_asset *a;
	const char *why;
	if (!web_request_ours(req, &w->site, &why)) {
		log_warnx("web: refused %s: %s", path != NULL ? path : "?", why);
		web_error(req, 403, "Forbidden", "forbidden", why);
		return;
	}
	if (path == NULL) {
		web_error(req, 400, "Bad Request", "bad-request", "no path");
		return;
	}
	if (strcmp(path, "/payments") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
			web_error(req, 405, "Method Not Allowed", "method-not-allowed",
				  "POST a payment");
			return;
		}
		web_payments(w, req);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		web_error(req, 405, "Method Not Allowed", "method-not-allowed", "only GET here");
		return;
	}
	if (strcmp(path, "/events") == 0)
		web_events(w, req);
	else if ((a = web_asset_find(terminal_web_assets, path)) != NULL)
		web_send_asset(req, a);
	else
		web_error(req, 404, "Not Found", "not-found", "no such page");
}

struct term_web *term_web_open(struct event_base *base, const char *addr, const char *token,
			       const struct term_pay_opts *settings, term_web_start_fn start,
			       void *ctx, const char **why)
{
	struct term_web *w;
	char host[256];
	uint16_t port;
	if (web_parse_addr(addr, host, sizeof host, &port) != 0) {
		*why = "not [HOST:]PORT";
		return NULL;
	}
	w = calloc(1, sizeof *w);
	if (w == NULL) {
		*why = "out of memory";
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->pending_tail = &w->pending;
	w->start = start;
	w->ctx = ctx;
	w->jp = settings->jp_source == TERM_JP_CONTACTLESS ? "contactless" : "scan";
	memcpy(w->terminal_id, settings->terminal_id, sizeof w->terminal_id);
	if (token != NULL) {
		memcpy(w->token, token, strlen(token) + 1);
	} else if (web_token_make(w->token) != 0) {
		*why = "no random bytes for the token";
		term_web_close(w);
		return NULL;
	}
	if (web_site_init(&w->site, host, port) != 0) {
		*why = "the host name is too long";
		term_web_close(w);
		return NULL;
	}
	w->wake = event_new(base, -1, 0, web_on_wake, w);
	w->http = evhttp_new(base);
	if (w->wake == NULL || w->http == NULL ||
	    web_streams_init(&w->streams, base) != 0) {
		*why = "out of memory";
		term_web_close(w);
		return NULL;
	}
	evhttp_set_max_headers_size(w->http, WEB_HEADERS_MAX);
	/* Larger than a payment, so that libevent's own 413 (HTML) is only
	 * for the absurd; payment_args answers the rest in JSON. */
	evhttp_set_max_body_size(w->http, 16 * WEB_BODY_MAX);
	evhttp_set_timeout(w->http, WEB_IDLE_S);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_gencb(w->http, web_on_request, w);
	errno = 0;
	if (evhttp_bind_socket_with_handle(w->http, host, port) == NULL) {
		*why = errno != 0 ? strerror(errno) : "cannot listen there";
		term_web_close(w);
		return NULL;
	}
	/* The address to open, once, where whoever started the daemon sees it
	 * (never the log): a made-up token is in the fragment, which a
	 * browser never sends, so it stays out of requests and logs. */
	if (token == NULL)
		fprintf(stderr, "sigcard-terminal: the terminal's page: %s/#token=%s\n",
			w->site.origin, w->token);
	else
		fprintf(stderr, "sigcard-terminal: the terminal's page: %s/ (the token is in the"
				" --http-token-file)\n", w->site.origin);
	return w;
}

void term_web_close(struct term_web *w)
{
	struct web_pending *p, *next;
	if (w == NULL)
		return;
	web_streams_close(&w->streams, "the terminal stops");
	if (w->http != NULL)
		evhttp_free(w->http);
	if (w->wake != NULL)
		event_free(w->wake);
	for (p = w->pending; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	pthread_mutex_destroy(&w->lock);
	sc_wipe(w->token, sizeof w->token);
	free(w);
}
