/* The card in a browser (--http): a page showing the card's screen live
 * (its text and its QR code, the screen model the PNG is drawn from),
 * whether a reader holds the card, and a keypad. The page's files are
 * compiled in (web/common, web/card; hostlib/webpage.h). Updates are
 * pushed as Server-Sent Events on the daemon's one event loop
 * (hostlib/webstream.h: a browser that does not keep up is dropped, so the
 * card never waits for one).
 * Pressing keys is holding the card: POST /keys needs the token printed at
 * start (or read from --http-token-file) and comes from the page's own
 * origin only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/hex.h"
#include "common/scheme.h"
#include "hostlib/webpage.h"
#include "hostlib/webstream.h"
#include "host.h"

/* A request's head and body: keys are short. */
#define WEB_HEADERS_MAX 8192
#define WEB_BODY_MAX 256
/* Seconds a connection may sit without reading or writing a request. */
#define WEB_IDLE_S 30

extern const struct web_asset card_web_assets[];

static struct evhttp *web_http;
static struct web_site web_site;
static char web_token[WEB_TOKEN_MAX + 1];
static struct web_streams web_streams;
static int web_readers = -1;   /* the reader bits last pushed */

static int web_reader_bits(void)
{
	return (slot_busy(CARD_IFACE_CONTACT) ? 1 : 0) |
	       (slot_busy(CARD_IFACE_CONTACTLESS) ? 2 : 0);
}

/* The page's state as one JSON text (caller frees), or NULL: the screen
 * model, its serial (the QR's URL carries it, so a new code is fetched
 * anew) and which readers hold the card. */
static char *web_state_json(void)
{
	int r = web_reader_bits();
	json_t *o = json_pack("{s:o, s:I, s:{s:b, s:b}}", "screen",
			      display_screen_json(display_current()), "serial",
			      (json_int_t)display_serial(), "reader", "contact", (r & 1) != 0,
			      "contactless", (r & 2) != 0);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static void web_push_state(void)
{
	char *state;
	char *event;
	size_t n;
	if (web_http == NULL)
		return;
	state = web_state_json();
	if (state == NULL) {
		log_warnx("web: out of memory for the page's state");
		return;
	}
	n = strlen(state) + 32;
	event = malloc(n);
	if (event != NULL) {
		/* JSON_COMPACT has no newline, so the state is one data line. */
		snprintf(event, n, "event: state\ndata: %s\n\n", state);
		web_streams_send(&web_streams, event);
	}
	free(event);
	free(state);
}

void web_on_screen(void)
{
	web_push_state();
}

void web_tick(void)
{
	int r;
	if (web_http == NULL)
		return;
	r = web_reader_bits();
	if (r != web_readers) {
		web_readers = r;
		web_push_state();
	}
}

static void web_events(struct evhttp_request *req)
{
	static const char head[] = "retry: 1000\nevent: state\ndata: ";
	char *state = web_state_json();
	char *first = NULL;
	size_t n;
	if (state != NULL) {
		n = sizeof head + strlen(state) + 2;
		first = malloc(n);
		if (first != NULL)
			snprintf(first, n, "%s%s\n\n", head, state);
	}
	if (web_streams_open(&web_streams, req, first) == WEB_STREAMS_FULL)
		web_send_text(req, 503, "Service Unavailable", "too many browsers watching this card");
	free(first);
	free(state);
}

/* The current screen's QR code as SVG: the same module matrix the PNG
 * draws (qr.c), quiet zone included; 404 when the screen has none. */
static void web_qr_svg(struct evhttp_request *req)
{
	const struct card_screen *s = display_current();
	struct qr_modules q;
	struct evbuffer *b;
	uint32_t x, y;
	if (s->qr[0] == '\0') {
		web_send_text(req, 404, "Not Found", "the screen shows no QR code");
		return;
	}
	if (qr_modules_make(&q, s->qr) != 0) {
		web_send_text(req, 500, "Internal Server Error", "cannot encode the QR code");
		return;
	}
	b = evbuffer_new();
	if (b == NULL) {
		qr_modules_free(&q);
		evhttp_send_error(req, 503, "Out of memory");
		return;
	}
	evbuffer_add_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %u %u\" "
			    "shape-rendering=\"crispEdges\"><rect width=\"%u\" height=\"%u\" "
			    "fill=\"#fff\"/><path fill=\"#000\" d=\"", q.size, q.size, q.size, q.size);
	for (y = 0; y < q.size; y++)
		for (x = 0; x < q.size; x++)
			if (q.dark[y * q.size + x])
				evbuffer_add_printf(b, "M%u %uh1v1h-1z", x, y);
	evbuffer_add_printf(b, "\"/></svg>\n");
	qr_modules_free(&q);
	web_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "image/svg+xml");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* POST /keys: the body is one key name (keypad_key_for_name's); pressed
 * through the keypad as any other key. */
static void web_keys(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char name[16];
	size_t n = evbuffer_get_length(in);
	int key;
	if (!web_bearer_ok(req, web_token)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  "Bearer realm=\"sigcard card keypad\"");
		web_send_text(req, 401, "Unauthorized",
			      "the keypad needs the card's token (Authorization: Bearer)");
		return;
	}
	if (n == 0 || n >= sizeof name) {
		web_send_text(req, 400, "Bad Request", "the body is one key name");
		return;
	}
	evbuffer_copyout(in, name, n);
	name[n] = '\0';
	while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r' || name[n - 1] == ' '))
		name[--n] = '\0';
	key = keypad_key_for_name(name);
	if (key == 0) {
		web_send_text(req, 400, "Bad Request",
			      "unknown key (0-9, OK, CANCEL, BACKSPACE)");
		return;
	}
	keypad_press(key);
	web_headers(req);
	evhttp_send_reply(req, 204, "No Content", NULL);
}

static void web_on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct web_asset *a;
	const char *why;
	(void)arg;
	if (!web_request_ours(req, &web_site, &why)) {
		log_warnx("web: refused %s: %s", path != NULL ? path : "?", why);
		web_send_text(req, 403, "Forbidden", why);
		return;
	}
	if (path == NULL) {
		web_send_text(req, 400, "Bad Request", "no path");
		return;
	}
	if (strcmp(path, "/keys") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
			web_send_text(req, 405, "Method Not Allowed", "POST a key name");
			return;
		}
		web_keys(req);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		web_send_text(req, 405, "Method Not Allowed", "only GET here");
		return;
	}
	if (strcmp(path, "/events") == 0)
		web_events(req);
	else if (strcmp(path, "/qr.svg") == 0)
		web_qr_svg(req);
	else if ((a = web_asset_find(card_web_assets, path)) != NULL)
		web_send_asset(req, a);
	else
		web_send_text(req, 404, "Not Found", "no such page");
}

int web_open(const char *addr, const char *token, const char **why)
{
	struct event_base *base = evloop_base();
	struct evhttp_bound_socket *bound;
	char host[256];
	uint16_t port;
	if (web_parse_addr(addr, host, sizeof host, &port) != 0) {
		*why = "not [HOST:]PORT";
		return -1;
	}
	if (token != NULL) {
		memcpy(web_token, token, strlen(token) + 1);
	} else if (web_token_make(web_token) != 0) {
		*why = "no random bytes for the token";
		return -1;
	}
	if (web_site_init(&web_site, host, port) != 0) {
		*why = "the host name is too long";
		return -1;
	}
	if (base == NULL || (web_http = evhttp_new(base)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	evhttp_set_max_headers_size(web_http, WEB_HEADERS_MAX);
	evhttp_set_max_body_size(web_http, WEB_BODY_MAX);
	evhttp_set_timeout(web_http, WEB_IDLE_S);
	evhttp_set_allowed_methods(web_http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_gencb(web_http, web_on_request, NULL);
	errno = 0;
	bound = evhttp_bind_socket_with_handle(web_http, host, port);
	if (bound == NULL) {
		*why = errno != 0 ? strerror(errno) : "cannot listen there";
		evhttp_free(web_http);
		web_http = NULL;
		return -1;
	}
	if (web_streams_init(&web_streams, base) != 0)
		log_warnx("web: no heartbeat: a browser gone without a word is found late");
	web_readers = web_reader_bits();
	/* The address to open, once, where whoever started the card sees it
	 * (never the log): a made-up token is in the fragment, which a
	 * browser never sends, so it stays out of requests and logs. */
	if (token == NULL)
		fprintf(stderr, "sigcard-card: the card's page: %s/#token=%s\n", web_site.origin,
			web_token);
	else
		fprintf(stderr, "sigcard-card: the card's page: %s/ (the keypad's token is in the "
				"--http-token-file)\n", web_site.origin);
	return 0;
}

void web_close(void)
{
	if (web_http == NULL)
		return;
	web_streams_close(&web_streams, "the card stops");
	evhttp_free(web_http);
	web_http = NULL;
	sc_wipe(web_token, sizeof web_token);
}
