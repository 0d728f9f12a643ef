/* What must hold before the daemon serves a ledger: it is the only server
 * on it (a lock file beside it), init made it (nothing here creates one),
 * its pages are whole and its books balance. Each refusal says what is
 * wrong and what the operator does about it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "server.h"

/* flock, not fcntl: the lock belongs to the open file, so it stays with
 * the daemon across fork, and SQLite's own fcntl locks on the ledger
 * cannot release it. The kernel drops it when the holder dies. */
int srv_lock_take(const char *db_path, char *err, size_t errlen)
{
	char path[SRV_PATH_MAX + 8], holder[32] = "";
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s.lock", db_path) >= (int)sizeof(path)) {
		snprintf(err, errlen, "the ledger's path is too long for its lock file");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the lock file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = pread(fd, holder, sizeof(holder) - 1, 0);
	holder[n > 0 ? n : 0] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
	snprintf(err, errlen,
		 "the ledger %s is in use by another sigcard-server (pid %s, lock file %s):"
		 " one server per ledger; stop that one first", db_path,
		 holder[0] ? holder : "not yet written", path);
	close(fd);
	return -1;
}

int srv_lock_note_pid(int fd)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
		return -1;
	return 0;
}

int srv_ledger_present(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, version = -1, has_table = 0;

	/* No SQLITE_OPEN_CREATE: a missing file stays missing. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		if (access(path, F_OK) != 0)
			snprintf(err, errlen, "no ledger at %s: only 'sigcard-server init' creates"
				 " one; if this issuer has one, restore it from a backup", path);
		else
			snprintf(err, errlen, "cannot open the ledger %s: %s", path,
				 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master"
				" WHERE type = 'table' AND name = 'schema_version'", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		has_table = sqlite3_column_int(st, 0);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK && has_table &&
	    sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "the ledger %s cannot be read (%s): it is damaged or not a"
			 " ledger; restore it from a backup", path, sqlite3_errmsg(db));
	else if (version < 1)
		snprintf(err, errlen, "%s is empty or not a sigcard ledger (no schema version):"
			 " only 'sigcard-server init' creates one; restore this issuer's ledger"
			 " from a backup", path);
	sqlite3_close(db);
	return rc == SQLITE_OK && version >= 1 ? 0 : -1;
}

struct deadline {
	struct timespec at;
	int passed;
};

/* SQLite's progress handler: interrupts the statement once past the
 * deadline, so a ledger too large to check in time is not checked whole. */
static int past_deadline(void *arg)
{
	struct deadline *dl = arg;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > dl->at.tv_sec ||
	    (now.tv_sec == dl->at.tv_sec && now.tv_nsec >= dl->at.tv_nsec))
		dl->passed = 1;
	return dl->passed;
}

static int quick_check(struct srv_db *d, char *why, size_t cap)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(d->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(why, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	else
		snprintf(why, cap, "%s", sqlite3_errmsg(d->db));
	sqlite3_finalize(st);
	for (char *c = why; *c; c++)
		if (*c == '\n')
			*c = ' '; /* one log line */
	return strcmp(why, "ok") == 0 ? 0 : -1;
}

int srv_ledger_verify(struct srv_db *d, const char *path, int seconds, char *err,
		      size_t errlen)
{
	struct deadline dl = {{0, 0}, 0};
	char why[256] = "";
	int rc = 0;

	/* What reads only the accounts is checked whatever the time allowed. */
	if (srv_ledger_check_totals(d, why, sizeof(why)) != 0)
		goto broken;
	if (seconds <= 0)
		goto late;
	clock_gettime(CLOCK_MONOTONIC, &dl.at);
	dl.at.tv_sec += seconds;
	sqlite3_progress_handler(d->db, 10000, past_deadline, &dl);
	/* quick_check reads every page once (integrity_check also matches
	 * each index against its table, which costs far more). */
	if (quick_check(d, why, sizeof(why)) != 0) {
		if (!dl.passed) {
			snprintf(err, errlen, "the ledger %s is damaged (quick_check: %s): do not"
				 " serve it; restore it from a backup", path, why);
			rc = -1;
		}
	} else if (srv_ledger_check(d, why, sizeof(why)) != 0 && !dl.passed) {
		sqlite3_progress_handler(d->db, 0, NULL, NULL);
		goto broken;
	}
	sqlite3_progress_handler(d->db, 0, NULL, NULL);
	if (rc != 0 || !dl.passed)
		return rc;
late:
	snprintf(err, errlen, "the ledger %s was checked only in its totals: quick_check and"
		 " the per-transfer invariants did not finish within --check-time %d s; run"
		 " 'sigcard-server check' and 'sqlite3 %s \"PRAGMA quick_check\"' beside the"
		 " server, or allow more time", path, seconds, path);
	return 1;
broken:
	snprintf(err, errlen, "the ledger %s breaks an invariant: %s; it was changed outside"
		 " the server or is damaged: do not serve it; see 'sigcard-server check' and"
		 " restore it from a backup", path, why);
	return -1;
}
