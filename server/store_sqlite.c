/* The storage interface (store_ops.h) over the SQLite ledger: the writer's
 * prepared statements, a connection per thread (store.c). In process, a
 * round trip is a function call: the writer loads each snapshot just
 * before its decision, reading the batch's earlier writes from the open
 * transaction (loads_see_writes), and apply runs each write as it comes. */
#include <string.h>
#include "server.h"

static struct srv_db *db_of(struct srv_store *st)
{
	return st->impl;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int run_bound(struct srv_db *db, enum srv_stmt id, const uint8_t *blob, size_t len)
{
	sqlite3_stmt *st = srv_stmt(db, id);

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_STATIC);
	return step_done(st);
}

static int same_hash(const void *stored, int stored_len, const uint8_t h[SC_HASH_LEN])
{
	return stored && stored_len == SC_HASH_LEN && memcmp(stored, h, SC_HASH_LEN) == 0;
}

/* The stored outcome of (card, ATC), stepped once: SQLITE_ROW with *stp
 * to read and reset, SQLITE_DONE if none, else an error. */
static int outcome_get(struct srv_db *db, const uint8_t *card_id, uint32_t atc,
		       sqlite3_stmt **stp)
{
	sqlite3_stmt *st = srv_stmt(db, ST_OUTCOME_GET);
	int rc;

	*stp = st;
	if (!st)
		return SQLITE_ERROR;
	sqlite3_bind_blob(st, 1, card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, atc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		sqlite3_reset(st);
	return rc;
}

static int load_prior(struct srv_db *db, struct srv_snapshot *sn)
{
	sqlite3_stmt *st;
	int rc = outcome_get(db, sn->card_id, sn->atc, &st);

	sn->prior = PRIOR_NONE;
	sn->prior_same_bytes = 0;
	sn->prior_in_batch = 0;
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	/* A row of schema 3 has no signed hash: only its own bytes are it. */
	sn->prior_same_bytes = same_hash(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1),
					 sn->sub_hash);
	sn->prior = sn->prior_same_bytes || same_hash(sqlite3_column_blob(st, 0),
						      sqlite3_column_bytes(st, 0), sn->signed_hash)
			    ? PRIOR_SAME : PRIOR_OTHER;
	sn->prior_code = sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	return 0;
}

static int load_challenge(struct srv_db *db, struct srv_snapshot *sn)
{
	sqlite3_stmt *st = srv_stmt(db, ST_CHALLENGE_GET);
	struct srv_challenge_row *c = &sn->challenge;
	const unsigned char *tid;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, sn->tx->challenge, SC_CHALLENGE_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->found = 1;
		tid = sqlite3_column_text(st, 0);
		/* One longer than a terminal id can be is no terminal's. */
		if (tid && (size_t)sqlite3_column_bytes(st, 0) < sizeof(c->terminal_id))
			memcpy(c->terminal_id, tid, (size_t)sqlite3_column_bytes(st, 0) + 1);
		c->expires_ms = sqlite3_column_int64(st, 1);
		c->used = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int message_failures(struct srv_db *db, struct srv_snapshot *sn)
{
	sqlite3_stmt *st = srv_stmt(db, ST_MSGFAIL_GET);
	int rc;

	sn->message_failures = 0;
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, sn->signed_hash, SC_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sn->message_failures = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int load_one(struct srv_db *db, struct srv_snapshot *sn)
{
	if (sn->signed_hash && (load_prior(db, sn) != 0 || message_failures(db, sn) != 0))
		return -1;
	if (load_challenge(db, sn) != 0 ||
	    (sn->card_found = srv_card_get(db, sn->card_id, &sn->card)) < 0 ||
	    (sn->payer_found = srv_account_get(db, sn->tx->payer, &sn->payer)) < 0 ||
	    (sn->payee_found = srv_account_get(db, sn->tx->payee, &sn->payee)) < 0)
		return -1;
	return 0;
}

static int sq_load(struct srv_store *st, struct srv_snapshot *const *snaps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (load_one(db_of(st), snaps[i]) != 0)
			return -1;
	return 0;
}

static int card_failure(struct srv_db *db, const struct srv_job *j, const struct srv_write *w)
{
	sqlite3_stmt *st = srv_stmt(db, ST_CARD_JP_FAIL);

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->value);
	sqlite3_bind_int(st, 3, w->blocked);
	return step_done(st);
}

static int message_failure(struct srv_db *db, const struct srv_job *j)
{
	sqlite3_stmt *st = srv_stmt(db, ST_MSGFAIL_ADD);

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, j->signed_hash, SC_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	return step_done(st);
}

static int card_accept(struct srv_db *db, const struct srv_job *j)
{
	sqlite3_stmt *st = srv_stmt(db, ST_CARD_ACCEPT);

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->sub.atc);
	return step_done(st);
}

static int transfer(struct srv_db *db, struct srv_job *j, int64_t amount)
{
	struct srv_card_ref ref = {j->sub.card_id, j->sub.atc, j->tx_hash, j->sub_hash,
				   j->signed_hash};

	j->transfer_id = srv_transfer_insert(db, j->tx.payer, j->tx.payee, (uint64_t)amount,
					     j->tx.currency, &ref, srv_now_ms());
	return j->transfer_id < 0 ? -1 : 0;
}

static int write_one(struct srv_db *db, struct srv_job *j, const struct srv_write *w)
{
	switch (w->kind) {
	case SRV_W_MESSAGE_FAILURE: return message_failure(db, j);
	case SRV_W_CARD_FAILURE: return card_failure(db, j, w);
	case SRV_W_CHALLENGE_USE:
		return run_bound(db, ST_CHALLENGE_USE, j->tx.challenge, SC_CHALLENGE_LEN);
	case SRV_W_DEBIT: return srv_account_add(db, j->tx.payer, -w->value);
	case SRV_W_CREDIT: return srv_account_add(db, j->tx.payee, w->value);
	case SRV_W_TRANSFER: return transfer(db, j, w->value);
	case SRV_W_CARD_ACCEPT: return card_accept(db, j);
	case SRV_W_OUTCOME:
	case SRV_W_AUDIT:
		return 0; /* record_outcome and audit */
	}
	return -1;
}

static int sq_apply(struct srv_store *st, struct srv_job *j)
{
	for (size_t i = 0; i < j->dec.n_writes; i++)
		if (write_one(db_of(st), j, &j->dec.writes[i]) != 0)
			return -1;
	return 0;
}

/* The stored receipt of transfer id, as the reply. */
static int replay_receipt(struct srv_db *db, struct srv_job *j, int64_t id)
{
	sqlite3_stmt *st = srv_stmt(db, ST_RECEIPT_GET);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	rc = srv_job_reply_sealed(j, SC_RES_OK, sqlite3_column_blob(st, 0),
				  (size_t)sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 1),
				  (size_t)sqlite3_column_bytes(st, 1));
	sqlite3_reset(st);
	return rc;
}

static int sq_replay(struct srv_store *st, struct srv_job *j)
{
	struct srv_db *db = db_of(st);
	sqlite3_stmt *q;
	int64_t id;
	size_t n;
	int code, rc = -1;

	if (outcome_get(db, j->sub.card_id, j->sub.atc, &q) != SQLITE_ROW)
		return -1;
	code = sqlite3_column_int(q, 2);
	id = sqlite3_column_int64(q, 3);
	if (code != SC_RES_OK) {
		n = (size_t)sqlite3_column_bytes(q, 4);
		if (n > 0 && n <= sizeof(j->reply)) {
			memcpy(j->reply, sqlite3_column_blob(q, 4), n);
			j->reply_len = n;
			j->code = code;
			rc = 0;
		}
	}
	sqlite3_reset(q);
	return code == SC_RES_OK ? replay_receipt(db, j, id) : rc;
}

static int sq_record_outcome(struct srv_store *st, const struct srv_job *j, const uint8_t *seal,
			     size_t seal_len)
{
	sqlite3_stmt *q;

	if (j->code != SC_RES_OK) {
		if (!(q = srv_stmt(db_of(st), ST_DECLINE_INSERT)))
			return -1;
		sqlite3_bind_blob(q, 1, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, j->sub.atc);
		sqlite3_bind_blob(q, 3, j->signed_hash, SC_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(q, 4, j->sub_hash, SC_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int(q, 5, j->code);
		sqlite3_bind_blob(q, 6, j->reply, (int)j->reply_len, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, j->counter);
		return step_done(q);
	}
	if (!(q = srv_stmt(db_of(st), ST_RECEIPT_INSERT)))
		return -1;
	sqlite3_bind_int64(q, 1, j->transfer_id);
	sqlite3_bind_int64(q, 2, j->counter);
	sqlite3_bind_blob(q, 3, j->receipt, (int)j->receipt_len, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, seal, (int)seal_len, SQLITE_STATIC);
	return step_done(q);
}

static int sq_audit(struct srv_store *st, const struct srv_job *j, int64_t at_ms, size_t raw_len)
{
	sqlite3_stmt *q = srv_stmt(db_of(st), ST_AUDIT_INSERT);

	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, at_ms);
	sqlite3_bind_text(q, 2, j->peer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, j->body, (int)raw_len, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, j->code);
	sqlite3_bind_text(q, 5, j->detail, -1, SQLITE_STATIC);
	return step_done(q);
}

static int sq_challenge_issue(struct srv_store *st, const uint8_t *challenge, const char *tid,
			      int64_t expires_ms)
{
	sqlite3_stmt *q = srv_stmt(db_of(st), ST_CHALLENGE_INSERT);

	if (!q)
		return -1;
	sqlite3_bind_blob(q, 1, challenge, SC_CHALLENGE_LEN, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, tid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, expires_ms);
	return step_done(q);
}

static int sq_script(struct srv_store *st, struct srv *s, struct srv_job *j)
{
	return srv_script_apply(s, db_of(st), j);
}

static int sq_begin(struct srv_store *st)
{
	return srv_db_run(db_of(st), ST_BEGIN) == SQLITE_OK ? 0 : -1;
}

static int sq_commit(struct srv_store *st, int64_t receipt_counter)
{
	sqlite3_stmt *q = srv_stmt(db_of(st), ST_COUNTER_SET);

	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, receipt_counter);
	if (step_done(q) != 0)
		return -1;
	return srv_db_run(db_of(st), ST_COMMIT) == SQLITE_OK ? 0 : -1;
}

static void sq_rollback(struct srv_store *st)
{
	srv_db_run(db_of(st), ST_ROLLBACK);
}

static const char *sq_error(struct srv_store *st)
{
	return sqlite3_errmsg(db_of(st)->db);
}

static const struct srv_store_ops sqlite_ops = {
	.loads_see_writes = 1,
	.begin = sq_begin,
	.load = sq_load,
	.apply = sq_apply,
	.replay = sq_replay,
	.record_outcome = sq_record_outcome,
	.audit = sq_audit,
	.challenge_issue = sq_challenge_issue,
	.script = sq_script,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.error = sq_error,
};

void srv_store_sqlite(struct srv_store *st, struct srv_db *db)
{
	st->ops = &sqlite_ops;
	st->impl = db;
}
