/* Failure classes and their messages: the one place that turns a failure
 * into text for a person and a class for the exit status. */
#include <stdio.h>
#include <time.h>

#include "terminal/terminal.h"

int term_verrf(char *err, size_t cap, enum term_exit class, const char *fmt, va_list ap)
{
	if (err != NULL && cap > 0)
		vsnprintf(err, cap, fmt, ap);
	return -(int)class;
}

int term_errf(char *err, size_t cap, enum term_exit class, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = term_verrf(err, cap, class, fmt, ap);
	va_end(ap);
	return rc;
}

const char *term_exit_name(int class_or_negative)
{
	int c = class_or_negative < 0 ? -class_or_negative : class_or_negative;
	switch (c) {
	case TERM_EXIT_OK: return "ok";
	case TERM_EXIT_FAILURE: return "failure";
	case TERM_EXIT_USAGE: return "usage";
	case TERM_EXIT_CARD_ABSENT: return "card-absent";
	case TERM_EXIT_CARD_REMOVED: return "card-removed";
	case TERM_EXIT_CARD_ERROR: return "card-error";
	case TERM_EXIT_CANCELLED: return "cancelled";
	case TERM_EXIT_SERVER_UNREACHABLE: return "server-unreachable";
	case TERM_EXIT_SERVER_REFUSED: return "server-refused";
	case TERM_EXIT_BAD_RECEIPT: return "bad-receipt";
	case TERM_EXIT_TLS: return "tls-refused";
	default: return "unknown";
	}
}

int64_t term_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
