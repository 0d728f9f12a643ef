/* One log for the three programs (hostlib/log.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hostlib/log.h"

static const char *log_ident = "sigcard";
static int log_foreground = 1; /* before log_init: stderr, as for option errors */
static int log_verbose;

void log_init(const char *ident, int foreground, int verbose)
{
	log_ident = ident;
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
	if (log_foreground)
		fprintf(stderr, "%s: %s%s%s\n", log_ident, msg, suffix ? ": " : "",
			suffix ? suffix : "");
	else
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
