/* The storage interface (store_ops.h) over the PostgreSQL ledger, in
 * libpq's pipeline mode: a batch is two round trips. The first carries
 * BEGIN and the loads of every snapshot of the batch (loads_see_writes is
 * 0: the writer carries each decision's writes into the later snapshots,
 * srv_snapshot_follow); the second the writes, outcomes, audit rows, the
 * receipt counter and COMMIT. apply, record_outcome, audit and
 * challenge_issue only collect rows (pg_rows.c), sent at commit as one
 * statement per kind of write for the whole batch (or before an issuer
 * script, which runs after them): a failure among them shows at commit,
 * which fails the whole batch (RETRY_LATER to each of its terminals,
 * nothing of it happened).
 *
 * Several servers may write one ledger (docs/SCALING.md). What keeps
 * exactly-once and no overdraft between them is row locks, not a
 * conditional UPDATE: a decision reads more than a balance (the card's
 * counter and failures, the challenge, the outcome of (card, ATC)), and
 * every write it makes assumes what it read. So the load locks, in one
 * order for every writer (cards, payers' accounts and challenges each
 * sorted), the rows the batch's decisions read and write, and reads the
 * outcomes and failures after taking them: under
 * READ COMMITTED each statement sees what committed before it, so a
 * writer that waited for another's lock reads that one's outcome of the
 * same (card, ATC), and replays it, and its balances. The unique keys of
 * transfers and declines (card, ATC) remain the last word: a transaction
 * that loses on them fails, the writer retries the batch (conflict), and
 * the retry replays the winner's RESULT. Nothing every batch touches is
 * held through its COMMIT: the receipt counters are a block reserved in a
 * transaction of their own (SQL_RESERVE_COUNTERS), and a payee's credit,
 * which needs no lock to decide, takes the payee's row only at the end
 * (send_credits), so the servers of a ledger commit side by side even
 * when every payment goes to one shop (SCALING.md). Statements are
 * prepared once per connection. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/hex.h"
#include "pg_query.h"
#include "pg_rows.h"

struct pg_sent {
	PGresult **keep;                  /* where its rows go; NULL: a command, checked */
	int prepares;                     /* 1 + the statement it prepares; 0: none */
};

/* The statements prepared on the connection, by their text: each is
 * parsed and planned once per connection, not at each of a batch's
 * hundreds of uses (the ledger's CPU per submission is most of what a
 * batch waits for). Its name is "sc_store_", the store's serial and its
 * index: a connection may outlive a store and be given the next one
 * (a pre-check's store per read), whose table starts empty. */
#define PG_PREPARED_MAX 64
struct pg_prepared {
	char *sql;
	enum { PREP_NONE, PREP_SENT, PREP_DONE } state; /* SENT: its result not read yet */
};

struct pg_store {
	PGconn *c;
	int in_tx;                        /* the batch's transaction is open */
	int begin_due;                    /* its BEGIN is not queued yet: it follows
					     the receipt counters' own transaction */
	int broken;                       /* the connection failed: reset before the next */
	struct pg_sent *sent;             /* queued since the last sync, in order */
	size_t n_sent, cap_sent;
	/* the open batch's */
	int reserved;                     /* counters reserved from counter_base */
	int64_t counter_base;
	int64_t *ids;                     /* transfer ids reserved for it */
	size_t n_ids, next_id;
	struct pg_credit {                /* its credits, summed per payee, queued last */
		char account[SC_ACCOUNT_MAX + 1];
		int64_t amount;
	} *credits;
	size_t n_credits, cap_credits;
	PGresult *priors;                 /* SQL_PRIORS's rows for the batch */
	struct pg_loaded {                /* each snapshot's row of priors, for replay */
		const struct srv_snapshot *sn;
		int row;                  /* -1: none (no signed message to look for) */
		int outcomes;             /* its stored outcomes of (card, ATC): 0 or 1 */
	} *loaded;
	size_t n_loaded, cap_loaded;
	int conflict;                     /* the last failure was a race with another writer */
	struct srv_pg_rows rows;          /* its writes, sent a statement per kind */
	struct pg_prepared prepared[PG_PREPARED_MAX];
	size_t n_prepared;
	unsigned serial;                  /* this store's, among the process's */
	char err[256];
};

/* A reserved transfer id per submission: the receipt names its transfer
 * before the COMMIT that inserts it. Identity values are never reused,
 * so a batch rolled back leaves a gap in transfers.id, as on SQLite
 * nothing else does. The sequence is looked up once per statement (the
 * CTE), not once per id: pg_get_serial_sequence is only stable, so in a
 * prepared plan it ran for every row, a catalog search each (1.2 ms for
 * 256 ids against 0.2 ms). */
#define SQL_RESERVE_IDS \
	"WITH q AS MATERIALIZED" \
	" (SELECT pg_get_serial_sequence('transfers', 'id')::regclass AS seq)" \
	" SELECT nextval(q.seq) FROM q, generate_series(1, $1)"
/* The receipt counters, a block per batch, in a transaction of their
 * own ahead of the batch's: the counter's row is locked only while its
 * UPDATE runs, not through the batch's COMMIT. Its commit is not waited
 * for (synchronous_commit off): a batch that uses the block commits
 * after it, and the flush of that COMMIT takes all WAL before it, the
 * block's too; a block no durable batch used may be lost in a crash and
 * given again, to no stored receipt. */
#define SQL_COUNTERS_BEGIN "BEGIN"
#define SQL_COUNTERS_ASYNC "SET LOCAL synchronous_commit = off"
#define SQL_RESERVE_COUNTERS \
	"UPDATE meta SET value = value + $1 WHERE key = 'receipt_counter' RETURNING value - $1"
#define SQL_COUNTERS_COMMIT "COMMIT"
#define SQL_CARDS \
	"SELECT account, pubkey, status, last_atc, jp_failures, card_id FROM cards" \
	" WHERE card_id IN (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h) ORDER BY card_id"
/* IN (SELECT unnest(…)), not = ANY(…): a prepared statement's generic
 * plan cannot hash a parameter's array, so "= ANY" over a scan compared
 * each row with every element (seen: a seq scan of accounts under a
 * batch's 256 payees, a fifth of the cluster's CPU in texteq); a
 * semi-join over the array's distinct values is a hash or an index
 * lookup per value, whichever the plan chose. */
#define SQL_ACCOUNTS \
	"SELECT currency, balance, flags, id FROM accounts" \
	" WHERE id IN (SELECT unnest($1::text[])) ORDER BY id"
/* A payee's credit, the batch's sum for it, queued just before COMMIT. */
#define SQL_CREDIT "UPDATE accounts SET balance = balance + $2 WHERE id = $1"
#define SQL_CHALLENGES \
	"SELECT terminal_id, expires_ms, used, challenge FROM challenges" \
	" WHERE challenge IN (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)" \
	" ORDER BY challenge"
/* What each submission's decision reads after the locks, for the whole
 * batch in one statement (one per submission was most of the load's
 * statements): its stored outcome of (card, ATC), with the receipt to
 * replay, and its signed message's wrong passwords. A row per
 * submission and outcome, by its place in the arrays (u.i, from 1); an
 * outcome's columns are NULL when (card, ATC) has none, failures when
 * the message has none. Both are looked up per submission through their
 * keys' indexes: OFFSET 0 keeps the planner from flattening the LATERAL
 * into a join, which it hashed over a scan of all of transfers (seen:
 * 8 ms a batch of 200 on 13,000 transfers, growing with the table). */
#define SQL_PRIORS \
	"SELECT u.i, o.signed_hash, o.submission_hash, o.code, o.transfer_id, o.result," \
	" o.body, o.seal," \
	" (SELECT m.failures FROM message_failures m WHERE m.signed_hash = u.h)" \
	" FROM unnest($1::bytea[], $2::bigint[], $3::bytea[]) WITH ORDINALITY AS u(card, atc, h, i)" \
	" LEFT JOIN LATERAL (SELECT d.signed_hash, d.submission_hash, d.code, d.transfer_id," \
	" d.result, r.body, r.seal FROM outcomes d" \
	" LEFT JOIN receipts r ON r.transfer_id = d.transfer_id" \
	" WHERE d.card_id = u.card AND d.atc = u.atc OFFSET 0) o ON true"
/* SQL_PRIORS's columns */
enum { PRIOR_COL_I, PRIOR_COL_SIGNED, PRIOR_COL_SUB, PRIOR_COL_CODE, PRIOR_COL_TRANSFER,
       PRIOR_COL_RESULT, PRIOR_COL_BODY, PRIOR_COL_SEAL, PRIOR_COL_FAILURES };

static struct pg_store *ps_of(struct srv_store *st)
{
	return st->impl;
}

static void note(struct pg_store *ps, const char *what, const char *msg)
{
	snprintf(ps->err, sizeof(ps->err), "%s: %s", what, msg);
	ps->err[strcspn(ps->err, "\n")] = '\0';
}

/* The result failed: its message, and whether another writer won a race
 * (a unique key, a serialization failure, a deadlock). */
static void note_result(struct pg_store *ps, const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (ps->err[0])
		return; /* the first failure is the one; the rest were aborted by it */
	note(ps, "postgresql", PQresultErrorMessage(r));
	srv_pg_timeout_note(state);
	ps->conflict = state && (!strcmp(state, "23505") || !strcmp(state, "40001") ||
				 !strcmp(state, "40P01"));
}

/* The connection is new: nothing is prepared on it. */
static void prepared_forget(struct pg_store *ps)
{
	for (size_t i = 0; i < ps->n_prepared; i++)
		ps->prepared[i].state = PREP_NONE;
}

/* sql's place among the prepared statements, added if new; -1 when the
 * table is full (the statement then goes unprepared). */
static int prepared_find(struct pg_store *ps, const char *sql)
{
	for (size_t i = 0; i < ps->n_prepared; i++)
		if (!strcmp(ps->prepared[i].sql, sql))
			return (int)i;
	if (ps->n_prepared == PG_PREPARED_MAX || !(ps->prepared[ps->n_prepared].sql = strdup(sql)))
		return -1;
	ps->prepared[ps->n_prepared].state = PREP_NONE;
	return (int)ps->n_prepared++;
}

static int sent_add(struct pg_store *ps, PGresult **keep, int prepares)
{
	if (srv_pg_grow((void **)&ps->sent, &ps->cap_sent, ps->n_sent + 1, sizeof(*ps->sent)) != 0) {
		note(ps, "postgresql", "out of memory");
		return -1;
	}
	if (keep)
		*keep = NULL;
	ps->sent[ps->n_sent].keep = keep;
	ps->sent[ps->n_sent++].prepares = prepares;
	return 0;
}

/* Queues sql (PostgreSQL's dialect) with p, prepared once per
 * connection; its rows to *keep. */
static int send_sql(struct pg_store *ps, const char *sql, const struct srv_pg_params *p,
		    PGresult **keep)
{
	char name[32];
	int k, ok;

	if (PQpipelineStatus(ps->c) == PQ_PIPELINE_OFF && PQenterPipelineMode(ps->c) != 1) {
		note(ps, "cannot enter pipeline mode", PQerrorMessage(ps->c));
		return -1;
	}
	if (ps->begin_due) {
		ps->begin_due = 0;
		if (send_sql(ps, "BEGIN", NULL, NULL) != 0)
			return -1;
	}
	if ((k = prepared_find(ps, sql)) >= 0) {
		snprintf(name, sizeof(name), "sc_store_%u_%d", ps->serial, k);
		if (ps->prepared[k].state == PREP_NONE) {
			if (sent_add(ps, NULL, k + 1) != 0)
				return -1;
			if (PQsendPrepare(ps->c, name, sql, p ? p->n : 0, NULL) != 1) {
				note(ps, "postgresql", PQerrorMessage(ps->c));
				ps->broken = 1;
				return -1;
			}
			ps->prepared[k].state = PREP_SENT;
		}
	}
	if (sent_add(ps, keep, 0) != 0)
		return -1;
	ok = k >= 0 ? PQsendQueryPrepared(ps->c, name, p ? p->n : 0, p ? p->val : NULL,
					  p ? p->len : NULL, p ? p->fmt : NULL, 0)
		    : PQsendQueryParams(ps->c, sql, p ? p->n : 0, NULL, p ? p->val : NULL,
					p ? p->len : NULL, p ? p->fmt : NULL, 0);
	if (ok != 1) {
		note(ps, "postgresql", PQerrorMessage(ps->c));
		ps->broken = 1;
		return -1;
	}
	return 0;
}

/* Sends the sync and reads every queued statement's result, in order:
 * rows where they were wanted, commands checked. 0, or -1 if any failed
 * (those after it were aborted by the server) or the connection did. */
static int sync_read(struct pg_store *ps)
{
	size_t n = ps->n_sent;
	int ok = 1;

	ps->n_sent = 0;
	if (PQpipelineSync(ps->c) != 1) {
		note(ps, "postgresql", PQerrorMessage(ps->c));
		ps->broken = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		PGresult *r = PQgetResult(ps->c);
		ExecStatusType rs;

		if (!r) {
			note(ps, "the PostgreSQL connection failed", PQerrorMessage(ps->c));
			ps->broken = 1;
			return -1;
		}
		rs = PQresultStatus(r);
		if (ps->sent[i].prepares) /* aborted or failed: prepared again next time */
			ps->prepared[ps->sent[i].prepares - 1].state =
				rs == PGRES_COMMAND_OK ? PREP_DONE : PREP_NONE;
		if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
			if (ps->sent[i].keep)
				*ps->sent[i].keep = r;
			else
				PQclear(r);
		} else {
			note_result(ps, r);
			PQclear(r);
			ok = 0;
		}
		PQclear(PQgetResult(ps->c)); /* the NULL that ends each statement's results */
	}
	{
		PGresult *r = PQgetResult(ps->c);

		if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			note(ps, "the PostgreSQL connection failed", PQerrorMessage(ps->c));
			ps->broken = 1;
			ok = 0;
		}
		PQclear(r);
	}
	return ok ? 0 : -1;
}

static void leave_pipeline(struct pg_store *ps)
{
	if (PQpipelineStatus(ps->c) != PQ_PIPELINE_OFF)
		PQexitPipelineMode(ps->c);
}

static void batch_clear(struct pg_store *ps)
{
	PQclear(ps->priors);
	ps->priors = NULL;
	ps->n_loaded = 0;
	free(ps->ids);
	ps->ids = NULL;
	ps->n_ids = ps->next_id = 0;
	ps->reserved = 0;
	ps->n_credits = 0;
}

static int pg_begin(struct srv_store *st)
{
	struct pg_store *ps = ps_of(st);

	batch_clear(ps);
	srv_pg_rows_clear(&ps->rows);
	ps->err[0] = '\0';
	ps->conflict = 0;
	if (ps->broken || srv_pg_idle_lost(ps->c) || PQstatus(ps->c) != CONNECTION_OK) {
		/* The same conninfo again: with several hosts and
		 * target_session_attrs=read-write, whichever is the primary now. */
		PQreset(ps->c);
		prepared_forget(ps);
		if (PQstatus(ps->c) != CONNECTION_OK) {
			note(ps, "cannot reconnect to the PostgreSQL ledger", PQerrorMessage(ps->c));
			return -1;
		}
		ps->n_sent = 0;
		leave_pipeline(ps); /* whatever the old connection left */
		ps->broken = 0;
		log_info("reconnected to the PostgreSQL ledger");
	}
	/* BEGIN goes with the first statement of the batch: after the
	 * receipt counters' transaction when the batch has submissions. */
	ps->begin_due = 1;
	ps->in_tx = 1;
	return 0;
}

/* A PostgreSQL array literal of the hex of each snapshot's bytes (at
 * offset off in the snapshot's field get), or of quoted text. */
struct array_text {
	char *s;
	size_t len, cap;
};

static int array_add(struct array_text *a, const char *item, int quote)
{
	size_t need = a->len + 2 * strlen(item) + 4;

	if (srv_pg_grow((void **)&a->s, &a->cap, need + 2, 1) != 0)
		return -1;
	a->s[a->len] = a->len ? ',' : '{';
	a->len++;
	if (quote)
		a->s[a->len++] = '"';
	for (const char *c = item; *c; c++) {
		if (*c == '"' || *c == '\\')
			a->s[a->len++] = '\\';
		a->s[a->len++] = *c;
	}
	if (quote)
		a->s[a->len++] = '"';
	a->s[a->len] = '\0';
	return 0;
}

static int array_add_hex(struct array_text *a, const uint8_t *b, size_t n)
{
	char hex[2 * SC_CHALLENGE_LEN + 1];

	if (n > SC_CHALLENGE_LEN)
		return -1;
	sc_hex_encode(hex, b, n);
	return array_add(a, hex, 0);
}

static const char *array_done(struct array_text *a)
{
	if (srv_pg_grow((void **)&a->s, &a->cap, a->len + 3, 1) != 0)
		return NULL;
	if (!a->len)
		a->s[a->len++] = '{';
	a->s[a->len++] = '}';
	a->s[a->len] = '\0';
	return a->s;
}

static int same_bytes(const PGresult *r, int row, int col, const uint8_t *b, size_t n)
{
	uint8_t v[SC_HASH_LEN];

	return n <= sizeof(v) && srv_pg_bytes(r, row, col, v, sizeof(v)) == (int)n &&
	       memcmp(v, b, n) == 0;
}

/* The batch's block of n receipt counters, its first counter to *row,
 * in the counters' own transaction (SQL_RESERVE_COUNTERS says why). */
static int send_counters(struct pg_store *ps, size_t n, PGresult **row)
{
	struct srv_pg_params c = {0};
	int due = ps->begin_due, rc;

	srv_pg_int(&c, (int64_t)n);
	ps->begin_due = 0;
	rc = send_sql(ps, SQL_COUNTERS_BEGIN, NULL, NULL) != 0 ||
	     send_sql(ps, SQL_COUNTERS_ASYNC, NULL, NULL) != 0 ||
	     send_sql(ps, SQL_RESERVE_COUNTERS, &c, row) != 0 ||
	     send_sql(ps, SQL_COUNTERS_COMMIT, NULL, NULL) != 0 ? -1 : 0;
	ps->begin_due = due;
	return rc;
}

/* Queues SQL_PRIORS for the snapshots with a signed message, after the
 * load's locks: read as the writers before this one left them. Each
 * such snapshot's place among them is its loaded row until the rows
 * come (fill_priors). */
static int send_priors(struct pg_store *ps, struct srv_snapshot *const *snaps, size_t n,
		       struct srv_pg_array arr[3])
{
	static const uint32_t oid[3] = {SRV_PG_OID_BYTEA, SRV_PG_OID_INT8, SRV_PG_OID_BYTEA};
	struct srv_pg_params p;
	int k = 0;

	for (size_t i = 0; i < n; i++) {
		ps->loaded[i].row = -1;
		if (!snaps[i]->signed_hash)
			continue;
		srv_pg_array_put(&arr[0], snaps[i]->card_id, SC_CARD_ID_LEN);
		srv_pg_array_int(&arr[1], snaps[i]->atc);
		srv_pg_array_put(&arr[2], snaps[i]->signed_hash, SC_HASH_LEN);
		ps->loaded[i].row = ++k; /* SQL_PRIORS's u.i */
	}
	if (!k)
		return 0;
	if (srv_pg_array_params(&p, arr, oid, 3) != 0) {
		note(ps, "postgresql", "out of memory");
		return -1;
	}
	return send_sql(ps, SQL_PRIORS, &p, &ps->priors);
}

/* Sends the queries of the load: the whole batch's rows at once, each
 * kind in one statement. In the writer's transaction the cards, the
 * payers and the challenges are locked; a payee only is not: a credit
 * never fails on what another writer does to the row (its currency and
 * flags do not change, and only the overflow check reads its balance),
 * so its lock is left to the credit itself, queued last (pg_commit), and
 * the servers of a ledger do not commit one at a time behind a shop's
 * row. */
static int send_loads(struct pg_store *ps, struct srv_snapshot *const *snaps, size_t n,
		      PGresult **rows, struct array_text arr[4], struct srv_pg_array prior_arr[3])
{
	const char *lock = ps->in_tx ? " FOR UPDATE" : "";
	struct srv_pg_params p[4];
	char sql[SRV_PG_SQL_MAX];
	static const char *const q[4] = {SQL_CARDS, SQL_ACCOUNTS, SQL_CHALLENGES, SQL_ACCOUNTS};

	for (size_t i = 0; i < n; i++) {
		const struct srv_snapshot *sn = snaps[i];

		if (array_add_hex(&arr[0], sn->card_id, SC_CARD_ID_LEN) != 0 ||
		    array_add(&arr[1], sn->tx->payer, 1) != 0 ||
		    array_add_hex(&arr[2], sn->tx->challenge, SC_CHALLENGE_LEN) != 0 ||
		    array_add(&arr[3], sn->tx->payee, 1) != 0)
			return -1;
	}
	if (ps->in_tx) {
		struct srv_pg_params c = {0};

		srv_pg_int(&c, (int64_t)n);
		if (send_counters(ps, n, &rows[4]) != 0 ||
		    send_sql(ps, SQL_RESERVE_IDS, &c, &rows[5]) != 0)
			return -1;
	}
	for (int k = 0; k < 4; k++) {
		memset(&p[k], 0, sizeof(p[k]));
		if (!array_done(&arr[k]))
			return -1;
		srv_pg_text(&p[k], arr[k].s);
		snprintf(sql, sizeof(sql), "%s%s", q[k], k == 3 ? "" : lock);
		if (send_sql(ps, sql, &p[k], &rows[k]) != 0)
			return -1;
	}
	return send_priors(ps, snaps, n, prior_arr);
}

/* rows: the load's cards, payers, challenges and payees. */
static void fill_rows(struct srv_snapshot *sn, PGresult *const rows[4])
{
	struct srv_challenge_row *ch = &sn->challenge;
	uint8_t id[SC_CARD_ID_LEN];

	sn->card_found = sn->payer_found = sn->payee_found = 0;
	memset(ch, 0, sizeof(*ch));
	for (int i = 0; i < PQntuples(rows[0]); i++)
		if (srv_pg_bytes(rows[0], i, 5, id, sizeof(id)) == SC_CARD_ID_LEN &&
		    memcmp(id, sn->card_id, SC_CARD_ID_LEN) == 0) {
			srv_pg_card_row(rows[0], i, 0, sn->card_id, &sn->card);
			sn->card_found = 1;
		}
	for (int i = 0; i < PQntuples(rows[1]); i++) {
		const char *a = PQgetvalue(rows[1], i, 3);

		if (!strcmp(a, sn->tx->payer)) {
			srv_pg_account_row(rows[1], i, 0, a, &sn->payer);
			sn->payer_found = 1;
		}
	}
	for (int i = 0; i < PQntuples(rows[3]); i++) {
		const char *a = PQgetvalue(rows[3], i, 3);

		if (!strcmp(a, sn->tx->payee)) {
			srv_pg_account_row(rows[3], i, 0, a, &sn->payee);
			sn->payee_found = 1;
		}
	}
	for (int i = 0; i < PQntuples(rows[2]); i++)
		if (same_bytes(rows[2], i, 3, sn->tx->challenge, SC_CHALLENGE_LEN)) {
			const char *tid = PQgetvalue(rows[2], i, 0);

			ch->found = 1;
			/* One longer than a terminal id can be is no terminal's. */
			if (strlen(tid) < sizeof(ch->terminal_id))
				memcpy(ch->terminal_id, tid, strlen(tid) + 1);
			ch->expires_ms = srv_pg_int64(rows[2], i, 1);
			ch->used = (int)srv_pg_int64(rows[2], i, 2);
		}
}

/* Row r of SQL_PRIORS into sn, the first for its submission: its
 * message's wrong passwords and its stored outcome, if any. */
static void fill_prior(struct srv_snapshot *sn, const PGresult *pr, int r)
{
	sn->prior = PRIOR_NONE;
	sn->prior_same_bytes = sn->prior_in_batch = 0;
	sn->message_failures = PQgetisnull(pr, r, PRIOR_COL_FAILURES)
				       ? 0 : (int)srv_pg_int64(pr, r, PRIOR_COL_FAILURES);
	if (PQgetisnull(pr, r, PRIOR_COL_CODE))
		return;
	/* A row of schema 3 has no signed hash: only its own bytes are it. */
	sn->prior_same_bytes = same_bytes(pr, r, PRIOR_COL_SUB, sn->sub_hash, SC_HASH_LEN);
	sn->prior = sn->prior_same_bytes ||
				    same_bytes(pr, r, PRIOR_COL_SIGNED, sn->signed_hash, SC_HASH_LEN)
			    ? PRIOR_SAME : PRIOR_OTHER;
	sn->prior_code = (int)srv_pg_int64(pr, r, PRIOR_COL_CODE);
}

/* SQL_PRIORS's rows to the snapshots that asked: each loaded row from
 * its place in the arrays to its first row in priors, with the count of
 * its stored outcomes (replay wants exactly one). 0, or -1 if a
 * submission has no row or out of memory. */
static int fill_priors(struct pg_store *ps, struct srv_snapshot *const *snaps, size_t n)
{
	int rows = ps->priors ? PQntuples(ps->priors) : 0, k = 0, rc = 0;
	int *first, *count;

	for (size_t i = 0; i < n; i++)
		k += ps->loaded[i].row > 0;
	if (!k)
		return 0;
	first = malloc((size_t)(k + 1) * sizeof(*first));
	count = calloc((size_t)(k + 1), sizeof(*count));
	if (!first || !count) {
		free(first);
		free(count);
		return -1;
	}
	for (int i = 0; i <= k; i++)
		first[i] = -1;
	for (int r = 0; r < rows; r++) {
		int64_t i = srv_pg_int64(ps->priors, r, PRIOR_COL_I);

		if (i < 1 || i > k)
			continue;
		if (first[i] < 0)
			first[i] = r;
		count[i] += !PQgetisnull(ps->priors, r, PRIOR_COL_CODE);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct pg_loaded *l = &ps->loaded[i];
		int place = l->row;

		if (place <= 0)
			continue;
		l->outcomes = count[place];
		if ((l->row = first[place]) < 0)
			rc = -1;
		else
			fill_prior(snaps[i], ps->priors, l->row);
	}
	free(first);
	free(count);
	return rc;
}

static int load_once(struct pg_store *ps, struct srv_snapshot *const *snaps, size_t n)
{
	struct array_text arr[4] = {{0}};
	struct srv_pg_array prior_arr[3] = {{0}};
	PGresult *rows[6] = {0};
	int rc = -1;

	if (n == 0)
		return 0; /* a batch of challenges: its BEGIN goes with the commit */
	if (!ps->in_tx && (ps->broken || PQstatus(ps->c) != CONNECTION_OK)) {
		PQreset(ps->c);
		prepared_forget(ps);
		ps->n_sent = 0;
		leave_pipeline(ps);
		ps->broken = 0;
	}
	batch_clear(ps);
	if (srv_pg_grow((void **)&ps->loaded, &ps->cap_loaded, n, sizeof(*ps->loaded)) != 0)
		goto out;
	memset(ps->loaded, 0, n * sizeof(*ps->loaded));
	for (size_t i = 0; i < n; i++)
		ps->loaded[i].sn = snaps[i];
	ps->n_loaded = n;
	if (send_loads(ps, snaps, n, rows, arr, prior_arr) != 0 || sync_read(ps) != 0)
		goto out;
	if (ps->in_tx) {
		if (PQntuples(rows[4]) != 1 || PQntuples(rows[5]) != (int)n) {
			note(ps, "postgresql", "the receipt counter or transfer ids are missing");
			goto out;
		}
		ps->reserved = 1;
		ps->counter_base = srv_pg_int64(rows[4], 0, 0);
		if (!(ps->ids = calloc(n, sizeof(*ps->ids))))
			goto out;
		for (size_t i = 0; i < n; i++)
			ps->ids[i] = srv_pg_int64(rows[5], (int)i, 0);
		ps->n_ids = n;
	}
	for (size_t i = 0; i < n; i++)
		fill_rows(snaps[i], rows);
	if (fill_priors(ps, snaps, n) != 0) {
		note(ps, "postgresql", "a submission's stored outcome is missing");
		goto out;
	}
	rc = 0;
out:
	for (int k = 0; k < 3; k++)
		free(prior_arr[k].b);
	for (int k = 0; k < 6; k++)
		PQclear(rows[k]);
	for (int k = 0; k < 4; k++)
		free(arr[k].s);
	if (!ps->in_tx) {
		/* Whatever a failed send left queued is read first: the
		 * connection goes back to the key reads out of pipeline mode. */
		if (ps->n_sent && !ps->broken)
			sync_read(ps);
		ps->n_sent = 0;
		batch_clear(ps);
		leave_pipeline(ps);
	}
	return rc;
}

static int pg_load(struct srv_store *st, struct srv_snapshot *const *snaps, size_t n)
{
	struct pg_store *ps = ps_of(st);

	if (load_once(ps, snaps, n) == 0)
		return 0;
	/* The pre-check's read, outside a transaction, on a connection the
	 * server dropped (a restart, a failover): once more on a new one. The
	 * writer's load fails its batch instead (begin connects again). */
	if (ps->in_tx || !ps->broken)
		return -1;
	ps->err[0] = '\0';
	return load_once(ps, snaps, n);
}

/* Adds amount to the batch's credit of account, queued at commit. */
static int credit_add(struct pg_store *ps, const char *account, int64_t amount)
{
	struct pg_credit *c;

	for (size_t i = 0; i < ps->n_credits; i++)
		if (!strcmp(ps->credits[i].account, account)) {
			if (amount > INT64_MAX - ps->credits[i].amount)
				return -1; /* no balance can take it either */
			ps->credits[i].amount += amount;
			return 0;
		}
	if (strlen(account) >= sizeof(c->account) ||
	    srv_pg_grow((void **)&ps->credits, &ps->cap_credits, ps->n_credits + 1,
		 sizeof(*ps->credits)) != 0)
		return -1;
	c = &ps->credits[ps->n_credits++];
	memcpy(c->account, account, strlen(account) + 1);
	c->amount = amount;
	return 0;
}

static int credit_order(const void *a, const void *b)
{
	return strcmp(((const struct pg_credit *)a)->account,
		      ((const struct pg_credit *)b)->account);
}

/* The batch's credits, one UPDATE per payee in the order of their ids
 * (as every writer takes them, so two writers' credits alone never
 * deadlock), the last statements before COMMIT: a payee's row is then
 * locked only for the COMMIT, a hot one (a shop every payment credits)
 * for one flush per batch. */
static int send_credits(struct pg_store *ps)
{
	if (ps->n_credits > 1) /* none: credits is still NULL */
		qsort(ps->credits, ps->n_credits, sizeof(*ps->credits), credit_order);
	for (size_t i = 0; i < ps->n_credits; i++) {
		struct srv_pg_params p = {0};

		srv_pg_text(&p, ps->credits[i].account);
		srv_pg_int(&p, ps->credits[i].amount);
		if (send_sql(ps, SQL_CREDIT, &p, NULL) != 0)
			return -1;
	}
	return 0;
}

static int pg_apply(struct srv_store *st, struct srv_job *j)
{
	struct pg_store *ps = ps_of(st);
	struct srv_pg_rows *r = &ps->rows;

	for (size_t i = 0; i < j->dec.n_writes; i++) {
		const struct srv_write *w = &j->dec.writes[i];
		struct srv_card_ref ref = {j->sub.card_id, j->sub.atc, j->tx_hash, j->sub_hash,
					   j->signed_hash};
		int rc = 0;

		switch (w->kind) {
		case SRV_W_MESSAGE_FAILURE:
			rc = srv_pg_rows_message_failure(r, j->signed_hash, j->sub.card_id);
			break;
		case SRV_W_CARD_FAILURE:
			rc = srv_pg_rows_card_failure(r, j->sub.card_id, w->value, w->blocked);
			break;
		case SRV_W_CHALLENGE_USE:
			rc = srv_pg_rows_challenge_use(r, j->tx.challenge);
			break;
		case SRV_W_DEBIT:
			rc = srv_pg_rows_debit(r, j->tx.payer, w->value);
			break;
		case SRV_W_CREDIT:
			rc = credit_add(ps, j->tx.payee, w->value);
			break;
		case SRV_W_TRANSFER:
			if (ps->next_id >= ps->n_ids || w->value <= 0)
				return -1;
			j->transfer_id = ps->ids[ps->next_id++];
			rc = srv_pg_rows_transfer(r, j->tx.payer, j->tx.payee, w->value,
						  j->tx.currency, &ref, srv_now_ms(),
						  j->transfer_id);
			break;
		case SRV_W_CARD_ACCEPT:
			rc = srv_pg_rows_card_accept(r, j->sub.card_id, j->sub.atc);
			break;
		case SRV_W_OUTCOME:
		case SRV_W_AUDIT:
			break; /* record_outcome and audit */
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The stored outcome the load read for j's snapshot, as its reply. */
static int pg_replay(struct srv_store *st, struct srv_job *j)
{
	struct pg_store *ps = ps_of(st);
	uint8_t body[SC_RECEIPT_MAX], seal[SC_SEAL_MAX];
	const PGresult *r = NULL;
	int code, n, m;

	int row = -1;

	for (size_t i = 0; i < ps->n_loaded && !r; i++)
		if (ps->loaded[i].sn == &j->snap && ps->loaded[i].row >= 0 &&
		    ps->loaded[i].outcomes == 1) {
			r = ps->priors;
			row = ps->loaded[i].row;
		}
	if (!r)
		return -1;
	code = (int)srv_pg_int64(r, row, PRIOR_COL_CODE);
	if (code != SC_RES_OK) {
		if ((n = srv_pg_bytes(r, row, PRIOR_COL_RESULT, j->reply, sizeof(j->reply))) <= 0)
			return -1;
		j->reply_len = (size_t)n;
		j->code = code;
		return 0;
	}
	if ((n = srv_pg_bytes(r, row, PRIOR_COL_BODY, body, sizeof(body))) < 0 ||
	    (m = srv_pg_bytes(r, row, PRIOR_COL_SEAL, seal, sizeof(seal))) < 0)
		return -1;
	return srv_job_reply_sealed(j, SC_RES_OK, body, (size_t)n, seal, (size_t)m);
}

static int pg_record_outcome(struct srv_store *st, const struct srv_job *j, const uint8_t *seal,
			     size_t seal_len)
{
	struct srv_card_ref ref = {j->sub.card_id, j->sub.atc, j->tx_hash, j->sub_hash,
				   j->signed_hash};

	if (j->code != SC_RES_OK)
		return srv_pg_rows_decline(&ps_of(st)->rows, &ref, j->code, j->reply, j->reply_len,
					   j->counter);
	return srv_pg_rows_receipt(&ps_of(st)->rows, j->transfer_id, j->counter, j->receipt,
				   j->receipt_len, seal, seal_len);
}

static int pg_audit(struct srv_store *st, const struct srv_job *j, int64_t at_ms, size_t raw_len)
{
	return srv_pg_rows_audit(&ps_of(st)->rows, at_ms, j->peer, j->body, raw_len, j->code,
				 j->detail);
}

static int pg_challenge_issue(struct srv_store *st, const uint8_t *challenge, const char *tid,
			      int64_t expires_ms)
{
	return srv_pg_rows_challenge_issue(&ps_of(st)->rows, challenge, tid, expires_ms);
}

/* srv_pg_rows_flush's sender: a statement queued in the batch's pipeline. */
static int send_rows(void *ctx, const char *sql, const struct srv_pg_params *p)
{
	return send_sql(ctx, sql, p, NULL);
}

/* An issuer-script job (unblock.c) inside the batch's transaction: what
 * is queued is sent and read first, so its statements run in order after
 * them, one at a time on the same connection, out of pipeline mode. */
static int pg_script(struct srv_store *st, struct srv *s, struct srv_job *j)
{
	struct pg_store *ps = ps_of(st);
	struct srv_db db = {.pg = ps->c};

	if (srv_pg_rows_flush(&ps->rows, send_rows, ps) != 0)
		return -1;
	/* The script's statements go in the batch's transaction: its BEGIN
	 * first, if nothing queued before it sent it. */
	if (ps->begin_due) {
		ps->begin_due = 0;
		if (send_sql(ps, "BEGIN", NULL, NULL) != 0)
			return -1;
	}
	if (ps->n_sent && sync_read(ps) != 0)
		return -1;
	leave_pipeline(ps);
	if (srv_script_apply(s, &db, j) != 0) {
		note(ps, "issuer script", PQerrorMessage(ps->c));
		return -1;
	}
	return 0;
}

static int pg_receipt_counter(struct srv_store *st, int64_t *counter)
{
	struct pg_store *ps = ps_of(st);

	if (ps->reserved)
		*counter = ps->counter_base;
	return 0;
}

static int pg_commit(struct srv_store *st, int64_t receipt_counter)
{
	struct pg_store *ps = ps_of(st);
	int rc;

	/* The counter row already says the end of the batch's block: its
	 * own transaction moved it (SQL_RESERVE_COUNTERS). */
	(void)receipt_counter;
	if (srv_pg_rows_flush(&ps->rows, send_rows, ps) != 0 || send_credits(ps) != 0 ||
	    send_sql(ps, "COMMIT", NULL, NULL) != 0)
		return -1;
	rc = sync_read(ps);
	if (rc == 0) {
		ps->in_tx = 0;
		leave_pipeline(ps);
		batch_clear(ps);
	}
	return rc;
}

static void pg_rollback(struct srv_store *st)
{
	struct pg_store *ps = ps_of(st);

	if (!ps->broken && ps->n_sent)
		sync_read(ps); /* what is queued, aborted with the rest */
	ps->n_sent = 0;
	ps->in_tx = ps->begin_due = 0;
	batch_clear(ps);
	srv_pg_rows_clear(&ps->rows);
	if (ps->broken || PQstatus(ps->c) != CONNECTION_OK) {
		ps->broken = 1; /* the server rolls back what the connection left */
		return;
	}
	leave_pipeline(ps);
	PQclear(PQexec(ps->c, "ROLLBACK"));
}

static int pg_conflict(struct srv_store *st)
{
	return ps_of(st)->conflict;
}

static const char *pg_error(struct srv_store *st)
{
	struct pg_store *ps = ps_of(st);

	return ps->err[0] ? ps->err : "postgresql: no error";
}

static const struct srv_store_ops pg_ops = {
	.loads_see_writes = 0,
	.begin = pg_begin,
	.load = pg_load,
	.apply = pg_apply,
	.replay = pg_replay,
	.record_outcome = pg_record_outcome,
	.audit = pg_audit,
	.challenge_issue = pg_challenge_issue,
	.script = pg_script,
	.receipt_counter = pg_receipt_counter,
	.conflict = pg_conflict,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.error = pg_error,
};

static atomic_uint store_serial;

int srv_store_pg(struct srv_store *st, struct srv_db *db)
{
	struct pg_store *ps = calloc(1, sizeof(*ps));

	st->ops = &pg_ops;
	st->impl = ps;
	if (!ps)
		return -1;
	ps->c = db->pg;
	ps->serial = atomic_fetch_add(&store_serial, 1);
	return 0;
}

void srv_store_pg_free(struct srv_store *st)
{
	struct pg_store *ps = ps_of(st);

	if (!ps)
		return;
	batch_clear(ps);
	srv_pg_rows_free(&ps->rows);
	for (size_t i = 0; i < ps->n_prepared; i++)
		free(ps->prepared[i].sql);
	free(ps->credits);
	free(ps->loaded);
	free(ps->sent);
	free(ps);
	st->impl = NULL;
}
