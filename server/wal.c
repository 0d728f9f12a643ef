/* The WAL's bound under sustained load. Passive checkpoints (the
 * checkpoint thread's) copy pages into the database but never reset the
 * WAL while commits keep coming, so it grew until the volume was full and
 * every request became RETRY_LATER, also after a restart. The writer
 * itself, between batches (no commit of its own can be in the way), runs a
 * RESTART checkpoint once the WAL holds more than --wal-max (16 MiB):
 * most pages are already in the database by then, so it costs little more
 * than waiting for the readers' short transactions and an fsync, and the
 * next commits write the WAL again from its start. journal_size_limit
 * trims the file to the bound when it is reset, so that its size on disk
 * is the bound plus one batch.
 *
 * RESTART rather than TRUNCATE: a WAL truncated to nothing grows again
 * with every commit after it, and a growing file makes each commit's
 * fsync write the file system's metadata too; an existing file
 * overwritten in place does not. TRUNCATE measured 24 ms a reset and
 * RESTART 5 to 8 ms, on the same load (bench/server_load).
 *
 * 16 MiB rather than 4: a page the load keeps changing (an index's, a
 * balance's) is copied into the database once per reset, so a larger bound
 * writes it less often; the sustained bench's ratio went from 0.55 at
 * 4 MiB to 0.62 at 16 MiB on a quiet machine. */
#include <stdio.h>
#include "server.h"

/* Frames in the WAL after the last commit, from SQLite's WAL hook (which
 * also replaces the automatic checkpoint: this file is the policy). */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct srv_wal *w = arg;

	(void)db;
	(void)name;
	w->frames = frames;
	return SQLITE_OK;
}

int srv_wal_bound_init(struct srv_wal *w, struct srv_db *d, int64_t limit)
{
	sqlite3_stmt *st;
	char sql[64];

	w->limit = limit;
	w->frames = 0;
	w->page_size = 4096;
	if (sqlite3_prepare_v2(d->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			w->page_size = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_wal_hook(d->db, wal_hook, w);
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit=%lld",
		 (long long)limit);
	return srv_db_exec(d, sql) == SQLITE_OK ? 0 : -1;
}

void srv_wal_bound_check(struct srv_wal *w, struct srv_db *d)
{
	int log = 0, done = 0, rc;

	if ((int64_t)w->frames * (w->page_size + 24) <= w->limit)
		return;
	rc = sqlite3_wal_checkpoint_v2(d->db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done);
	if (rc == SQLITE_OK) {
		w->frames = 0;
		atomic_fetch_add(&srv_metrics.wal_resets, 1);
	} else if (srv_ratelog_due(&w->busy_log, &(unsigned long){0})) {
		/* A reader held an old snapshot past the busy timeout: the
		 * next batch tries again. */
		log_warnx("WAL checkpoint: %s (%d of %d frames copied); retried after the next"
			  " commit", sqlite3_errmsg(d->db), done, log);
	}
}
