/* One log for the three host programs, in the OpenBSD daemon manner:
 * stderr in the foreground, syslog (facility daemon) otherwise. Every line
 * on stderr reads "IDENT: message", the form the tests grep for. */
#ifndef HOSTLIB_LOG_H
#define HOSTLIB_LOG_H

#include <stdarg.h>

/* Sets the program's name (kept by pointer: pass a string literal), where
 * lines go (foreground: stderr; else syslog, opened here) and whether
 * log_debug writes. Before any call, lines go to stderr under "sigcard". */
void log_init(const char *ident, int foreground, int verbose);

/* Turns log_debug on or off after log_init. */
void log_setverbose(int verbose);

/* Moves the log between stderr (foreground) and syslog, keeping the ident
 * and verbosity: a daemon logs to its operator's stderr until it detaches. */
void log_setforeground(int foreground);

/* Puts an ISO 8601 UTC time (milliseconds) before each stderr line, for
 * daemons run in the foreground: syslog stamps its own lines; a command's
 * one-shot messages are read by a person and stay "IDENT: message". */
void log_setstamp(int stamp);

/* Lines gathered on one thread between log_batch_begin and
 * log_batch_end, for a loop that logs a line per item of a batch: on
 * stderr they leave in one write(2) per full buffer rather than one per
 * line. The caller owns the buffer; one batch per thread at a time. Only
 * log_info and log_debug lines wait in it: a warning or a fatal line
 * writes what waits first, then itself, so the order is kept and nothing
 * waits behind an exit. Lines to syslog go as they come. */
struct log_batch {
	char buf[8192];
	size_t len;             /* bytes of buf waiting */
};
void log_batch_begin(struct log_batch *b);
/* Writes what waits and ends the thread's batch. */
void log_batch_end(struct log_batch *b);

/* A warning with ": " and strerror(errno) appended; errno is kept. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning without errno; errno is kept. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress a reader of the log needs; errno is kept. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Detail, only when verbose; errno is kept. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For start-up errors and broken invariants only: logs as log_warn
 * (fatal) or log_warnx (fatalx), at LOG_CRIT, and exits with status 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
