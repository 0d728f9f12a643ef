/* Logging: stderr in the foreground (-d), syslog as a daemon. Debug lines
 * only when SIGCARD_SERVER_DEBUG is set in the environment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "server.h"

static int log_stderr = 1;
static int log_debug_on;

void log_init(const char *ident, int to_stderr)
{
	log_stderr = to_stderr;
	log_debug_on = getenv("SIGCARD_SERVER_DEBUG") != NULL;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(int prio, const char *suffix, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_stderr) {
		/* syslog stamps its lines; stderr (a terminal, a file, the
		 * journal) gets an ISO 8601 UTC time of its own. */
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ sigcard-server: %s%s%s\n", when, ts.tv_nsec / 1000000,
			line, suffix ? ": " : "", suffix ? suffix : "");
	} else {
		syslog(prio, "%s%s%s", line, suffix ? ": " : "", suffix ? suffix : "");
	}
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	char e[128];
	va_list ap;

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_WARNING, e, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}
