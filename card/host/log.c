/* Logging in the OpenBSD daemon manner: stderr when run in the foreground
 * with -d, syslog otherwise; log_warn appends the errno text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "host.h"

static int log_foreground = 1;  /* before log_init: stderr, as for option errors */
static int log_verbose;

void log_init(int foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog("sigcard-card", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void log_vwrite(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_foreground) {
		if (suffix != NULL)
			fprintf(stderr, "sigcard-card: %s: %s\n", msg, suffix);
		else
			fprintf(stderr, "sigcard-card: %s\n", msg);
	} else if (suffix != NULL) {
		syslog(prio, "%s: %s", msg, suffix);
	} else {
		syslog(prio, "%s", msg);
	}
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}
