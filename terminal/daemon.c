/* The terminal daemon: a libevent loop on a Unix socket that takes payment
 * requests from front ends (terminal.h has the protocol) and runs each on a
 * worker thread, one at a time, since there is one card slot. The loop
 * itself never blocks on the card, the camera or the server. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <jansson.h>

#include "hostlib/frameio.h"
#include "hostlib/log.h"
#include "hostlib/sock.h"
#include "hostlib/webpage.h"
#include "terminal/terminal.h"

#define MAX_FIXED 32

struct job {
	struct daemon *d;
	int fd;                       /* the front end's connection, owned here;
				       * -1 for a payment started on the page */
	int argc;
	char *argv[128];              /* "pay", the request's args, the fixed ones */
	struct term_pay_opts opts;
	json_t *result;               /* the last line, sent once the job is over */
};

struct daemon {
	char path[108];
	int foreground;
	int nfixed;
	char *fixed[MAX_FIXED];       /* this terminal's own pay options */
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *job_done;       /* activated by the worker when it ends */
	struct event *sig_term, *sig_int, *sig_hup;
	int busy, stopping;
	pthread_t worker;
	struct job *job;
	const char *http;             /* --http [HOST:]PORT, or NULL */
	const char *http_token_file;
	struct term_web *web;         /* the page, with --http */
};

/* One JSON object and a newline to fd; a front end that went away is not
 * the payment's problem, so errors are ignored. */
static void send_json(int fd, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (text == NULL)
		return;
	if (fio_write_all(fd, text, strlen(text), -1) == 0)
		(void)fio_write_all(fd, "\n", 1, -1);
	free(text);
}

static void send_error(int fd, int rc, const char *message)
{
	send_json(fd, json_pack("{s:s, s:i, s:s, s:s}", "result", "error", "exit", -rc, "class",
				term_exit_name(rc), "message", message));
}

/* From the worker: to the front end that asked, and to the page's
 * watchers, whoever started the payment. */
static void progress(void *ctx, const char *step, const char *text)
{
	struct job *j = ctx;
	json_t *line = json_pack("{s:s, s:s?}", "progress", text, "step", step);
	if (line != NULL && j->d->web != NULL)
		term_web_post(j->d->web, "step", json_incref(line));
	if (j->fd >= 0)
		send_json(j->fd, line);
	else
		json_decref(line);
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct term_paid paid;
	char err[TERM_ERR_MAX] = "";
	struct term_log log = {progress, j};
	int rc = term_pay_run(&j->opts, &paid, &log, err, sizeof err);
	if (rc == 0) {
		char *receipt = term_paid_text(&paid);
		j->result = json_pack("{s:s, s:i, s:s, s:I}", "result", "ok", "exit", 0, "receipt",
				      receipt ? receipt : "", "transfer_id",
				      (json_int_t)paid.transfer_id);
		log_info("paid: transfer %llu, card ATC %u",
		     (unsigned long long)paid.transfer_id, paid.atc);
		free(receipt);
	} else {
		j->result = json_pack("{s:s, s:i, s:s, s:s}", "result", "error", "exit", -rc,
				      "class", term_exit_name(rc), "message", err);
		log_warnx("payment failed: %s: %s", term_exit_name(rc), err);
	}
	/* The result goes out from the loop, after the daemon is free again, so
	 * a front end that pays right after this one is not told "busy". */
	event_active(j->d->job_done, EV_READ, 0);
	return NULL;
}

static void free_job(struct job *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	json_decref(j->result);
	for (int i = 0; i < j->argc; i++)
		free(j->argv[i]);
	free(j);
}

static void on_job_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct daemon *d = arg;
	pthread_join(d->worker, NULL);
	struct job *j = d->job;
	d->job = NULL;
	d->busy = 0;
	if (j->result != NULL && d->web != NULL)
		term_web_post(d->web, "result", json_incref(j->result));
	if (j->result != NULL && j->fd >= 0)
		send_json(j->fd, j->result);
	else
		json_decref(j->result);
	j->result = NULL;
	free_job(j);
	if (d->stopping)
		event_base_loopexit(d->base, NULL);
}

/* Starts a payment with the per-payment args (a JSON array of strings,
 * the options of pay) and this terminal's own settings, for a front end
 * on fd (-1 for the page): the one way in for both. 0 once the worker
 * runs (the job owns fd then); TERM_DAEMON_BUSY while a payment is under
 * way; else a negative class with a message in err (fd left to the
 * caller, to answer). */
static int job_start(struct daemon *d, json_t *args, int fd, char *err, size_t cap)
{
	int rc = 0;
	if (d->busy) {
		(void)term_errf(err, cap, TERM_EXIT_FAILURE,
				"busy: a payment is in progress on this terminal");
		return TERM_DAEMON_BUSY;
	}
	if (!json_is_array(args) || json_array_size(args) > 64)
		rc = term_errf(err, cap, TERM_EXIT_USAGE, "the args are not an array of options");
	struct job *j = rc == 0 ? calloc(1, sizeof *j) : NULL;
	if (rc == 0 && j == NULL)
		rc = term_errf(err, cap, TERM_EXIT_FAILURE, "out of memory");
	if (j != NULL) {
		j->d = d;
		j->fd = fd;
		j->argv[j->argc++] = strdup("pay");
	}
	for (size_t i = 0; rc == 0 && i < json_array_size(args); i++) {
		const char *a = json_string_value(json_array_get(args, i));
		if (a == NULL)
			rc = term_errf(err, cap, TERM_EXIT_USAGE, "args must be strings");
		else if (a[0] == '-' && term_option_is_fixed(a))
			rc = term_errf(err, cap, TERM_EXIT_USAGE,
				       "%s is this terminal's own setting, given when the daemon"
				       " started", a);
		else
			j->argv[j->argc++] = strdup(a);
	}
	for (int i = 0; rc == 0 && i < d->nfixed; i++)
		j->argv[j->argc++] = strdup(d->fixed[i]);
	for (int i = 0; rc == 0 && i < j->argc; i++)
		if (j->argv[i] == NULL)
			rc = term_errf(err, cap, TERM_EXIT_FAILURE, "out of memory");
	if (rc == 0)
		rc = term_pay_opts_parse(&j->opts, j->argc, j->argv, err, cap);
	if (rc == 0 && j->opts.help)
		rc = term_errf(err, cap, TERM_EXIT_USAGE,
			       "--help is for the front end: sigcard-terminal pay --help");
	if (rc == 0) {
		d->busy = 1;
		d->job = j;
		if (d->web != NULL)
			term_web_started(d->web, &j->opts, fd >= 0 ? "socket" : "page");
		if (pthread_create(&d->worker, NULL, run_job, j) != 0) {
			rc = term_errf(err, cap, TERM_EXIT_FAILURE, "cannot start the payment");
			d->job = NULL;
			d->busy = 0;
		}
	}
	if (rc != 0) {
		if (j != NULL)
			j->fd = -1;
		free_job(j);
	}
	return rc;
}

/* Turns one request line into a job, or answers it with an error. */
static void take_request(struct daemon *d, int fd, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr);
	const char *op = req ? json_string_value(json_object_get(req, "op")) : NULL;
	char err[TERM_ERR_MAX];
	int rc;
	if (req == NULL || op == NULL || strcmp(op, "pay") != 0 ||
	    !json_is_array(json_object_get(req, "args"))) {
		send_error(fd, -TERM_EXIT_USAGE, "the request is not {\"op\":\"pay\",\"args\":[...]}");
		json_decref(req);
		close(fd);
		return;
	}
	rc = job_start(d, json_object_get(req, "args"), fd, err, sizeof err);
	json_decref(req);
	if (rc != 0) {
		send_error(fd, rc == TERM_DAEMON_BUSY ? -TERM_EXIT_FAILURE : rc, err);
		close(fd);
	}
}

/* The page's POST /payments (daemon_web.c), through job_start. */
static int web_start(void *ctx, json_t *args, char *err, size_t cap)
{
	return job_start(ctx, args, -1, err, cap);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct daemon *d = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > TERM_REQUEST_MAX) {
			int fd = (int)bufferevent_getfd(bev);
			send_error(fd, -TERM_EXIT_USAGE, "request too long");
			bufferevent_free(bev);
		}
		return;
	}
	/* The connection leaves libevent here: the job (or the error answer)
	 * owns it from now on. */
	int fd = dup((int)bufferevent_getfd(bev));
	bufferevent_free(bev);
	if (fd >= 0)
		take_request(d, fd, line);
	free(line);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what, (void)arg;
	bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	(void)l, (void)sa, (void)socklen;
	struct daemon *d = arg;
	struct bufferevent *bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	struct timeval idle = {30, 0};
	bufferevent_set_timeouts(bev, &idle, NULL);
	bufferevent_setcb(bev, on_read, NULL, on_event, d);
	bufferevent_enable(bev, EV_READ);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	log_info("signal %d: stopping%s", (int)sig,
	     d->busy ? " after the payment in progress" : "");
	d->stopping = 1;
	if (d->listener != NULL) {
		evconnlistener_free(d->listener);
		d->listener = NULL;
		unlink(d->path);
	}
	if (!d->busy)
		event_base_loopexit(d->base, NULL);
}

/* A hang-up (the terminal it started from closed, or an operator's HUP)
 * does not stop a payment terminal: it has nothing to reload. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	log_info("SIGHUP ignored: nothing to reload (restart to change settings)");
}

static void daemon_usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-terminal daemon --socket PATH [-d] --card CARRIER --server SERVER\n"
"           --terminal-id ID [--jp scan --camera CAMERA | --jp contactless\n"
"           --contactless CARRIER] [--receipt-key FILE] [--retries N]\n"
"           [--tls DIR | --server-ca FILE --cert FILE --key FILE]\n"
"           [--server-name NAME] [--insecure-plain-tcp]\n"
"           [--http [HOST:]PORT [--http-token-file FILE]]\n"
"\n"
"Runs the terminal as a daemon: it keeps this terminal's settings and pays,\n"
"one payment at a time, for front ends that connect to PATH (mode 0600):\n"
"  sigcard-terminal pay --daemon unix:PATH --amount ... --currency ... --to ...\n"
"      --payee-name ... [--scheme S] [--timeout S]\n"
"The settings are those of pay (see pay --help). -d stays in the foreground\n"
"and logs to stderr; otherwise the daemon detaches and logs to syslog.\n"
"SIGTERM or SIGINT stops it after the payment in progress; SIGHUP is ignored.\n"
"\n"
"  --http [HOST:]PORT       serve the merchant's page (127.0.0.1 by default,\n"
"                           [::1]:PORT for IPv6): amount, payee and scheme\n"
"                           typed there start a payment, whose steps and\n"
"                           receipt the page follows; the page's address,\n"
"                           with the token that starting a payment needs,\n"
"                           is printed at start\n"
"  --http-token-file FILE   that token from FILE (mode 0600; 16-128 of\n"
"                           A-Z a-z 0-9 . _ ~ -) instead of a random one\n");
}

static int open_web(struct daemon *d, const struct term_pay_opts *settings)
{
	char token[WEB_TOKEN_MAX + 1];
	const char *why = NULL;
	if (d->http_token_file != NULL &&
	    web_token_from_file(d->http_token_file, token, &why) != 0) {
		fprintf(stderr, "sigcard-terminal: daemon: --http-token-file %s: %s\n",
			d->http_token_file, why);
		return -1;
	}
	d->web = term_web_open(d->base, d->http, d->http_token_file != NULL ? token : NULL,
			       settings, web_start, d, &why);
	sc_wipe(token, sizeof token);
	if (d->web == NULL) {
		fprintf(stderr, "sigcard-terminal: daemon: --http %s: %s\n", d->http, why);
		return -1;
	}
	return 0;
}

static int listen_unix(struct daemon *d)
{
	int fd = sock_unix_listen(d->path, 0600, 8);
	if (fd < 0) {
		log_warnx("daemon: %s: %s", d->path, sock_strerror(fd));
		return -1;
	}
	d->listener = evconnlistener_new(d->base, on_accept, d, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (d->listener == NULL) {
		log_warnx("daemon: %s: cannot listen", d->path);
		close(fd);
		unlink(d->path);
		return -1;
	}
	return 0;
}

int term_daemon_main(int argc, char **argv)
{
	struct daemon d;
	memset(&d, 0, sizeof d);
	const char *path = NULL;
	/* Our own options first; everything else is a fixed pay option. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			daemon_usage(stdout);
			return 0;
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "--foreground") == 0) {
			d.foreground = 1;
		} else if (strcmp(a, "--socket") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(a, "--http") == 0 && i + 1 < argc) {
			d.http = argv[++i];
		} else if (strcmp(a, "--http-token-file") == 0 && i + 1 < argc) {
			d.http_token_file = argv[++i];
		} else if (strcmp(a, "--socket") == 0 || strcmp(a, "--http") == 0 ||
			   strcmp(a, "--http-token-file") == 0) {
			fprintf(stderr, "sigcard-terminal: daemon: %s: a value is needed\n", a);
			return TERM_EXIT_USAGE;
		} else if (a[0] == '-' && !term_option_is_fixed(a)) {
			fprintf(stderr, "sigcard-terminal: daemon: %s: not a daemon setting"
					" (payment options come from each request)\n", a);
			return TERM_EXIT_USAGE;
		} else if (d.nfixed + 1 >= MAX_FIXED) {
			fprintf(stderr, "sigcard-terminal: daemon: too many arguments\n");
			return TERM_EXIT_USAGE;
		} else {
			d.fixed[d.nfixed++] = argv[i];
			if (a[0] == '-' && strchr(a, '=') == NULL && i + 1 < argc &&
			    strcmp(a, "--insecure-plain-tcp") != 0) /* the one without a value */
				d.fixed[d.nfixed++] = argv[++i];
		}
	}
	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof d.path) {
		fprintf(stderr, "sigcard-terminal: daemon: --socket PATH is required (see"
				" daemon --help)\n");
		return TERM_EXIT_USAGE;
	}
	memcpy(d.path, path, strlen(path) + 1);
	char host[256];
	uint16_t port;
	if (d.http != NULL && web_parse_addr(d.http, host, sizeof host, &port) != 0) {
		fprintf(stderr, "sigcard-terminal: daemon: --http: not [HOST:]PORT: '%s'\n", d.http);
		return TERM_EXIT_USAGE;
	}
	if (d.http_token_file != NULL && d.http == NULL) {
		fprintf(stderr, "sigcard-terminal: daemon: --http-token-file: only with --http\n");
		return TERM_EXIT_USAGE;
	}

	/* Check the settings now, with a stand-in payment, so that a daemon with
	 * a bad setting never starts: the same parser will see them again. */
	char *check[MAX_FIXED + 16];
	int n = 0;
	static char *const sample[] = {"pay", "--amount", "1", "--currency", "EUR", "--to",
				       "CHECK", "--payee-name", "check"};
	for (size_t i = 0; i < sizeof sample / sizeof sample[0]; i++)
		check[n++] = sample[i];
	for (int i = 0; i < d.nfixed; i++)
		check[n++] = d.fixed[i];
	struct term_pay_opts o;
	char err[TERM_ERR_MAX];
	int rc = term_pay_opts_parse(&o, n, check, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "sigcard-terminal: daemon: %s\n", err);
		return -rc;
	}

	log_init("sigcard-terminal", 1, 0); /* stderr until it detaches */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN); /* until the event loop handles it */
	if (evthread_use_pthreads() != 0 || (d.base = event_base_new()) == NULL) {
		fprintf(stderr, "sigcard-terminal: daemon: cannot start libevent\n");
		return TERM_EXIT_FAILURE;
	}
	if (listen_unix(&d) != 0) {
		event_base_free(d.base);
		return TERM_EXIT_FAILURE;
	}
	/* The page's address (and token) is printed here, where whoever
	 * started the daemon sees it, before it detaches. */
	if (d.http != NULL && open_web(&d, &o) != 0) {
		evconnlistener_free(d.listener);
		unlink(d.path);
		event_base_free(d.base);
		return TERM_EXIT_FAILURE;
	}
	if (!d.foreground) {
		if (daemon(0, 0) != 0) {
			fprintf(stderr, "sigcard-terminal: daemon: %s\n", strerror(errno));
			return TERM_EXIT_FAILURE;
		}
		event_reinit(d.base);
		log_init("sigcard-terminal", 0, 0);
	}
	d.job_done = event_new(d.base, -1, 0, on_job_done, &d);
	d.sig_term = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.sig_int = evsignal_new(d.base, SIGINT, on_signal, &d);
	d.sig_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	event_add(d.sig_term, NULL);
	event_add(d.sig_int, NULL);
	event_add(d.sig_hup, NULL);
	log_info("daemon ready on %s", d.path);
	event_base_dispatch(d.base);

	if (d.listener != NULL) {
		evconnlistener_free(d.listener);
		unlink(d.path);
	}
	term_web_close(d.web);
	event_free(d.job_done);
	event_free(d.sig_term);
	event_free(d.sig_int);
	event_free(d.sig_hup);
	event_base_free(d.base);
	log_info("daemon stopped");
	return 0;
}
