/* sigcard-card ctl: a client of the card's control socket
 * (docs/control-socket.md) for people and scripts: one request, its answer
 * printed, the exit status saying whether the card said ok. It is what the
 * README's walk-through presses the holder's keys with, so no netcat is
 * needed. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "hostlib/frameio.h"
#include "hostlib/sock.h"
#include "host.h"

#define CTL_REPLY_MAX 65536        /* a screen reply is a few hundred bytes */
#define CTL_DEFAULT_TIMEOUT_S 30
#define CTL_MAX_TIMEOUT_S 600      /* the socket's own limit on a wait */
#define CTL_REPLY_GRACE_MS 5000    /* beyond the wait, for the card to answer */
#define CTL_RETRY_MS 50

struct ctl_args {
	const char *control;       /* the socket path */
	int json;                  /* print the reply as it came */
	int timeout_s;             /* wait: how long for the screen (and the socket) */
	const char *cmd;           /* "screen", "press", "wait", "status" */
	const char *arg;           /* press: the keys; wait: the screen name */
};

static void ctl_usage(FILE *f)
{
	fprintf(f,
"usage: sigcard-card ctl --control PATH [--json] screen\n"
"       sigcard-card ctl --control PATH [--json] press KEYS\n"
"       sigcard-card ctl --control PATH [--json] wait SCREEN [--timeout S]\n"
"       sigcard-card ctl --control PATH [--json] status\n"
"\n"
"Sends one request to a running card's control socket (sigcard-card\n"
"--control PATH) and prints the answer: the screen as text, or the reply's\n"
"JSON line with --json.\n"
"\n"
"  screen        the card's screen now\n"
"  press KEYS    press keys on the card's keypad: 0-9, K = OK, C = Cancel,\n"
"                B = Backspace (\"4711K\": the PIN, then OK); prints the\n"
"                screen after them\n"
"  wait SCREEN   wait until the card shows SCREEN (idle, on_reader, review,\n"
"                pin_wrong, password, cancelled, timeout, pin_blocked,\n"
"                released); also waits for the socket to appear, so it can\n"
"                wait for a card just started\n"
"  status        the card's counters (boots, flash writes, readers)\n"
"  -C, --control PATH  the card's control socket\n"
"  -t, --timeout S     wait: give up after S seconds (0-600, default 30)\n"
"  -j, --json          print the reply as JSON\n"
"\n"
"Exit status: 0 the card answered ok; 1 it answered with an error (the\n"
"wait timed out, an unknown key) or could not be reached; 2 usage.\n");
}

static int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("sigcard-card: ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'sigcard-card ctl --help')\n", stderr);
	return 2;
}

static int ctl_parse(int argc, char **argv, struct ctl_args *a)
{
	static const struct option longopts[] = {
		{"control", required_argument, NULL, 'C'},
		{"timeout", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, timeout_set = 0, want;
	static char prog[] = "sigcard-card ctl";   /* getopt's messages name it */
	memset(a, 0, sizeof *a);
	a->timeout_s = CTL_DEFAULT_TIMEOUT_S;
	argv[0] = prog;
	optind = 1;
	while ((c = getopt_long(argc, argv, "C:t:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': a->control = optarg; break;
		case 'j': a->json = 1; break;
		case 't': {
			char *end;
			long s;
			errno = 0;
			s = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || s < 0 ||
			    s > CTL_MAX_TIMEOUT_S)
				return ctl_usage_error("--timeout: whole seconds from 0 to 600, not '%s'",
						       optarg);
			a->timeout_s = (int)s;
			timeout_set = 1;
			break;
		}
		case 'h': ctl_usage(stdout); return 0;
		default:
			fputs("Try 'sigcard-card ctl --help'.\n", stderr);
			return 2;
		}
	}
	if (a->control == NULL)
		return ctl_usage_error("--control PATH is required");
	if (optind >= argc)
		return ctl_usage_error("a command is needed: screen, press, wait or status");
	a->cmd = argv[optind++];
	if (strcmp(a->cmd, "press") == 0 || strcmp(a->cmd, "wait") == 0)
		want = 1;
	else if (strcmp(a->cmd, "screen") == 0 || strcmp(a->cmd, "status") == 0)
		want = 0;
	else
		return ctl_usage_error("unknown command '%s'", a->cmd);
	if (argc - optind < want)
		return ctl_usage_error("%s needs %s", a->cmd,
				       strcmp(a->cmd, "press") == 0 ? "the KEYS to press" : "a SCREEN name");
	if (argc - optind > want)
		return ctl_usage_error("unexpected argument '%s'", argv[optind + want]);
	a->arg = want ? argv[optind] : NULL;
	if (strcmp(a->cmd, "wait") == 0 && display_screen_id(a->arg) < 0)
		return ctl_usage_error("wait: no screen is called '%s'", a->arg);
	if (timeout_set && strcmp(a->cmd, "wait") != 0)
		return ctl_usage_error("--timeout applies to wait only, not to %s", a->cmd);
	return -1;
}

/* Connects; with a deadline (wait), keeps trying while the socket is not
 * there yet or nobody listens on it, so a card just started can be awaited. */
static int ctl_connect(const char *path, long long deadline)
{
	for (;;) {
		int fd = sock_unix_connect(path, -1);
		if (fd >= 0)
			return fd;
		if (fd != SOCK_ERR_SYSTEM || (errno != ENOENT && errno != ECONNREFUSED) ||
		    fio_now_ms() >= deadline)
			return -1;
		poll(NULL, 0, CTL_RETRY_MS);
	}
}

/* Reads the one reply line into buf (NUL-terminated, newline dropped)
 * before the deadline. 0, or -1 with *why. */
static int ctl_read_line(int fd, char *buf, size_t cap, long long deadline, const char **why)
{
	size_t len = 0;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		long long left = deadline - fio_now_ms();
		char *nl;
		ssize_t n;
		if (left <= 0) {
			*why = "no answer in time";
			return -1;
		}
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			return -1;
		}
		if (p.revents == 0)
			continue;
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = strerror(errno);
			return -1;
		}
		if (n == 0) {
			*why = "the card closed the connection without an answer";
			return -1;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			return 0;
		}
		if (len == cap - 1) {
			*why = "answer too long";
			return -1;
		}
	}
}

static json_t *ctl_request_json(const struct ctl_args *a)
{
	if (strcmp(a->cmd, "press") == 0)
		return json_pack("{s:s, s:s}", "cmd", "press", "keys", a->arg);
	if (strcmp(a->cmd, "wait") == 0)
		return json_pack("{s:s, s:s, s:i}", "cmd", "wait", "screen", a->arg, "timeout_ms",
				 a->timeout_s * 1000);
	return json_pack("{s:s}", "cmd", a->cmd);
}

static void ctl_print_screen(json_t *screen)
{
	json_t *line, *qr = json_object_get(screen, "qr");
	size_t i;
	printf("%s: %s\n", json_string_value(json_object_get(screen, "name")),
	       json_string_value(json_object_get(screen, "title")));
	json_array_foreach(json_object_get(screen, "lines"), i, line)
		if (json_is_string(line) && json_string_value(line)[0] != '\0')
			printf("  %s\n", json_string_value(line));
	if (json_is_string(qr))
		printf("  qr: %s\n", json_string_value(qr));
}

/* The reply as text: the screen, or the status counters key by key. */
static void ctl_print_reply(json_t *reply)
{
	json_t *screen = json_object_get(reply, "screen");
	const char *key;
	json_t *v;
	if (json_is_object(screen)) {
		ctl_print_screen(screen);
		return;
	}
	json_object_foreach(reply, key, v) {
		char *text;
		if (strcmp(key, "ok") == 0)
			continue;
		text = json_dumps(v, JSON_ENCODE_ANY);
		if (text != NULL)
			printf("%s: %s\n", key, json_is_string(v) ? json_string_value(v) : text);
		free(text);
	}
}

static int ctl_fail(const char *what, const char *why)
{
	fprintf(stderr, "sigcard-card: ctl: %s: %s\n", what, why);
	return 1;
}

int ctl_main(int argc, char **argv)
{
	struct ctl_args a;
	char reply_text[CTL_REPLY_MAX];
	const char *why = NULL;
	json_t *req, *reply;
	json_error_t jerr;
	char *line;
	long long start = fio_now_ms(), deadline;
	int rc = ctl_parse(argc, argv, &a), fd;
	if (rc >= 0)
		return rc;
	/* A wait may take its whole timeout to find the socket, then to see the
	 * screen; the card itself is asked to give up by the end. */
	deadline = start + (strcmp(a.cmd, "wait") == 0 ? (long long)a.timeout_s * 1000 : 0);
	fd = ctl_connect(a.control, deadline);
	if (fd < 0)
		return ctl_fail(a.control, strerror(errno));
	if (strcmp(a.cmd, "wait") == 0) {
		long long left = deadline - fio_now_ms();
		a.timeout_s = left > 0 ? (int)((left + 999) / 1000) : 0;
	}
	req = ctl_request_json(&a);
	line = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (line == NULL) {
		close(fd);
		return ctl_fail(a.cmd, "out of memory");
	}
	rc = fio_write_all(fd, line, strlen(line), CTL_REPLY_GRACE_MS) != 0 ||
	     fio_write_all(fd, "\n", 1, CTL_REPLY_GRACE_MS) != 0;
	free(line);
	if (rc != 0) {
		close(fd);
		return ctl_fail(a.control, "cannot send the request");
	}
	rc = ctl_read_line(fd, reply_text, sizeof reply_text,
			   fio_now_ms() + (long long)a.timeout_s * 1000 + CTL_REPLY_GRACE_MS, &why);
	close(fd);
	if (rc != 0)
		return ctl_fail(a.control, why);
	reply = json_loads(reply_text, 0, &jerr);
	if (!json_is_object(reply) || !json_is_boolean(json_object_get(reply, "ok"))) {
		json_decref(reply);
		return ctl_fail(a.control, "the answer is not a control-socket reply");
	}
	if (a.json)
		printf("%s\n", reply_text);
	if (json_is_true(json_object_get(reply, "ok"))) {
		if (!a.json)
			ctl_print_reply(reply);
		json_decref(reply);
		return 0;
	}
	{
		const char *err = json_string_value(json_object_get(reply, "error"));
		const char *now = json_string_value(
			json_object_get(json_object_get(reply, "screen"), "name"));
		if (now != NULL)
			fprintf(stderr, "sigcard-card: ctl: %s: %s (the screen is %s)\n", a.cmd,
				err != NULL ? err : "failed", now);
		else
			fprintf(stderr, "sigcard-card: ctl: %s: %s\n", a.cmd,
				err != NULL ? err : "failed");
	}
	json_decref(reply);
	return 1;
}
