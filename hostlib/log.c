/* One log for the three programs (hostlib/log.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "hostlib/log.h"

static const char *log_ident = "sigcard";
static int log_foreground = 1; /* before log_init: stderr, as for option errors */
static int log_verbose;
static int log_stamp;      /* ISO 8601 time before stderr lines */
static int log_syslog_open;
static _Thread_local struct log_batch *log_held; /* this thread's batch, or NULL */

void log_init(const char *ident, int foreground, int verbose)
{
	log_ident = ident;
	log_foreground = foreground;
	log_verbose = verbose;
	log_setforeground(foreground);
}

void log_setforeground(int foreground)
{
	log_foreground = foreground;
	if (!foreground && !log_syslog_open) {
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog_open = 1;
	}
}

void log_setstamp(int stamp)
{
	log_stamp = stamp;
}

void log_setverbose(int verbose)
{
	log_verbose = verbose;
}

void log_batch_begin(struct log_batch *b)
{
	b->len = 0;
	log_held = b;
}

static void log_batch_flush(struct log_batch *b)
{
	if (b->len > 0)
		fwrite(b->buf, 1, b->len, stderr); /* unbuffered: one write(2) */
	b->len = 0;
}

/* Appends the stderr line of msg to b, making room by writing what waits;
 * 0, or -1 if it does not fit even then (it is written as it comes). */
static int log_batch_put(struct log_batch *b, const char *when, const char *msg)
{
	for (int tries = 0; tries < 2; tries++) {
		size_t room = sizeof(b->buf) - b->len;
		int n = snprintf(b->buf + b->len, room, "%s%s: %s\n", when, log_ident, msg);

		if (n < 0)
			return -1;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		log_batch_flush(b); /* the cut line is not counted, and written next try */
	}
	return -1;
}

void log_batch_end(struct log_batch *b)
{
	log_batch_flush(b);
	if (log_held == b)
		log_held = NULL;
}

/* Writes one line, with ": " and the text of errno (as it is on entry)
 * appended when with_errno is set. Keeps errno. Every log function and
 * fatal are this one path. */
static void log_vline(int prio, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024], e[128];
	/* strerror_r (GNU) may return a static string instead of filling e. */
	const char *suffix = with_errno ? strerror_r(saved, e, sizeof e) : NULL;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_foreground) {
		char when[40] = "";

		if (log_stamp) {
			struct timespec ts;
			struct tm tm;
			size_t n;

			clock_gettime(CLOCK_REALTIME, &ts);
			gmtime_r(&ts.tv_sec, &tm);
			n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(when + n, sizeof when - n, ".%03ldZ ", ts.tv_nsec / 1000000);
		}
		if (log_held && prio >= LOG_INFO && log_batch_put(log_held, when, msg) == 0) {
			errno = saved;
			return;
		}
		if (log_held)
			log_batch_flush(log_held); /* what waits goes before this line */
		fprintf(stderr, "%s%s: %s%s%s\n", when, log_ident, msg, suffix ? ": " : "",
			suffix ? suffix : "");
	} else
		syslog(prio, "%s%s%s", msg, suffix ? ": " : "", suffix ? suffix : "");
	errno = saved;
}

/* The body of each variadic function below: its arguments through
 * log_vline. fmt is the function's last named parameter. */
#define LOG_LINE(prio, with_errno, fmt)                          \
	do {                                                     \
		va_list ap;                                      \
		va_start(ap, fmt);                               \
		log_vline((prio), (with_errno), (fmt), ap);      \
		va_end(ap);                                      \
	} while (0)

void log_warn(const char *fmt, ...)
{
	LOG_LINE(LOG_WARNING, 1, fmt);
}

void log_warnx(const char *fmt, ...)
{
	LOG_LINE(LOG_WARNING, 0, fmt);
}

void log_info(const char *fmt, ...)
{
	LOG_LINE(LOG_INFO, 0, fmt);
}

void log_debug(const char *fmt, ...)
{
	if (log_verbose)
		LOG_LINE(LOG_DEBUG, 0, fmt);
}

void fatal(const char *fmt, ...)
{
	LOG_LINE(LOG_CRIT, 1, fmt);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_LINE(LOG_CRIT, 0, fmt);
	exit(1);
}
