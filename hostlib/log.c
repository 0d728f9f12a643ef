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

/* Writes one line; suffix (the errno text) may be NULL. Keeps errno. */
static void log_vwrite(int prio, const char *suffix, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024];

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
		fprintf(stderr, "%s%s: %s%s%s\n", when, log_ident, msg, suffix ? ": " : "",
			suffix ? suffix : "");
	} else
		syslog(prio, "%s%s%s", msg, suffix ? ": " : "", suffix ? suffix : "");
	errno = saved;
}

/* A line with the text of errno (as it is on entry) appended. */
static void log_verrno(int prio, const char *fmt, va_list ap)
{
	char e[128];
	int saved = errno;
	/* strerror_r (GNU) may return a static string instead of filling e. */
	const char *s = strerror_r(saved, e, sizeof e);

	log_vwrite(prio, s, fmt, ap);
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
