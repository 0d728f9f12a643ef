/* The storage the writer and the pre-check decide over: one interface, an
 * implementation per database (store_sqlite.c: SQLite, store_pg.c:
 * PostgreSQL). Shaped for a batch
 * in a few round trips: begin, load the snapshots of every submission of
 * the batch at once, then per job the writes its decision made (which an
 * implementation may queue and send with the outcomes and the commit),
 * the sealed outcomes, commit. The decisions themselves are decide.h's;
 * nothing here decides. Every call returns 0 or -1 (the storage failed)
 * unless it says otherwise. Included by server.h. */
#ifndef SC_SERVER_STORE_OPS_H
#define SC_SERVER_STORE_OPS_H

#include <stddef.h>
#include <stdint.h>

struct srv;
struct srv_job;
struct srv_snapshot;
struct srv_store;

struct srv_store_ops {
	/* 1 if a load after an apply in the same transaction reads the rows
	 * applied, at no more cost than a load of the whole batch (in
	 * process): the writer then loads each snapshot just before its
	 * decision. 0: it loads the batch's at once and carries each
	 * decision's writes into the later snapshots (srv_snapshot_follow). */
	int loads_see_writes;
	/* The writer's transaction: nothing of it is seen before commit. */
	int (*begin)(struct srv_store *st);
	/* Fills the rows of snaps[0..n-1], whose submission half is set
	 * (srv_job_snapshot): the earlier outcome of (card, ATC), the
	 * challenge, the card, the message's failures, the payer and payee,
	 * as the open transaction has them. A snapshot with no signed_hash
	 * (the pre-check's) gets no outcome and no failures. */
	int (*load)(struct srv_store *st, struct srv_snapshot *const *snaps, size_t n);
	/* The rows j->dec's writes change, in their order, but the outcome
	 * (record_outcome, once sealed) and the audit row (audit);
	 * SRV_W_TRANSFER sets j->transfer_id. */
	int (*apply)(struct srv_store *st, struct srv_job *j);
	/* j->reply = the stored RESULT of j's (card, ATC), byte for byte. */
	int (*replay)(struct srv_store *st, struct srv_job *j);
	/* The sealed outcome of job j: its receipt and seal for an executed
	 * transfer, its RESULT (j->reply, built already) for a final decline. */
	int (*record_outcome)(struct srv_store *st, const struct srv_job *j, const uint8_t *seal,
			      size_t seal_len);
	/* j's audit row at at_ms, with the first raw_len bytes of its request. */
	int (*audit)(struct srv_store *st, const struct srv_job *j, int64_t at_ms, size_t raw_len);
	/* A new challenge for terminal tid. */
	int (*challenge_issue)(struct srv_store *st, const uint8_t *challenge, const char *tid,
			       int64_t expires_ms);
	/* A JOB_SCRIPT_* job's writer stage (unblock.c), j->reply set. */
	int (*script)(struct srv_store *st, struct srv *s, struct srv_job *j);
	/* Several writers on one ledger (NULL: one, whose own counter
	 * holds): the receipt counter the batch continues from, which its
	 * load reserved, into *counter (left alone if it reserved none). */
	int (*receipt_counter)(struct srv_store *st, int64_t *counter);
	/* NULL, or 1 if the last failure was a race another writer won (a
	 * unique key, a deadlock): the batch is worth trying again, and the
	 * retry sees the winner's rows. */
	int (*conflict)(struct srv_store *st);
	/* Stores the receipt counter and commits. */
	int (*commit)(struct srv_store *st, int64_t receipt_counter);
	void (*rollback)(struct srv_store *st);
	/* The last failure, for the health endpoint's reason. */
	const char *(*error)(struct srv_store *st);
};

struct srv_store {
	const struct srv_store_ops *ops;
	void *impl;                       /* the implementation's connection */
};

/* ---- store_sqlite.c: the SQLite ledger's implementation */
struct srv_db;
/* A store over connection db (read-only for the pre-check's: load alone). */
void srv_store_sqlite(struct srv_store *st, struct srv_db *db);
/* ---- store_pg.c: the PostgreSQL ledger's (store_pg.c's comment says how
 * several servers share it). Over db's connection, which it may reset
 * after a failure; 0, or -1 out of memory. Freed by srv_store_pg_free. */
int srv_store_pg(struct srv_store *st, struct srv_db *db);
void srv_store_pg_free(struct srv_store *st);
/* ---- daemon.c: the store over db, the SQLite ledger's or the
 * PostgreSQL one's as db is (0 or -1), and its release. */
int srv_store_open(struct srv_store *st, struct srv_db *db);
void srv_store_close(struct srv_store *st, const struct srv_db *db);

#endif
