/* The writer's batch (server/batch.c) driven directly, with jobs checked by
 * the verify stage: the receipts of one batch share one signature, each
 * seal opens to it, and an identical SUBMIT later in the same batch as its
 * original gets the original's bytes (its receipt is not stored yet when
 * it is looked up). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "common/hex.h"
#include "common/seal.h"
#include "server_fixture.h"

struct world {
	struct fx f;
	struct srv s;
	struct srv_db wdb, rdb;
	struct srv_store ws;              /* the writer's store over wdb */
	struct srv_keycache *kc;
	struct srv_batch b;
};

/* Bodies are built while the fixture's server runs (it hands out the
 * challenges); then it stops, and this test is the only writer. */
static void writer_world(struct world *w)
{
	char err[256];

	fx_stop(&w->f);
	memset(&w->s, 0, sizeof(w->s));
	w->s.cfg = w->f.cfg;
	assert_int_equal(srv_ring_load(&w->s.ring, &w->s.cfg, err, sizeof(err)), 0);
	assert_non_null(w->s.keys = srv_keys_open(&w->s.cfg, &w->s.ring,
						  SRV_KEYS_MASTER | SRV_KEYS_RECEIPT, err,
						  sizeof(err)));
	/* the writer names its key in every receipt, as the daemon's does */
	memcpy(w->s.receipt_pub, w->s.ring.list.e[0].pub, SC_PUBKEY_LEN);
	assert_int_equal(sc_seal_key_id(w->s.receipt_pub, w->s.receipt_key_id), 0);
	assert_int_equal(srv_db_open(&w->wdb, w->s.cfg.db_path, 0, SRV_SCHEMA_VERSION, err,
				     sizeof(err)), 0);
	assert_int_equal(srv_db_open(&w->rdb, w->s.cfg.db_path, 1, SRV_SCHEMA_VERSION, err,
				     sizeof(err)), 0);
	assert_int_equal(srv_store_open(&w->ws, &w->wdb), 0);
	if (!w->wdb.pg) {
		/* as the daemon's writer: on PostgreSQL each batch reserves its
		 * counters (store_pg.c) */
		sqlite3_stmt *st = srv_stmt(&w->wdb, ST_COUNTER_GET);

		assert_non_null(st);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		w->s.receipt_counter = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	assert_non_null(w->kc = malloc(sizeof(*w->kc)));
	srv_keycache_init(w->kc, &w->s.key_generation);
	assert_int_equal(srv_batch_init(&w->b, 16), 0);
}

/* The fixture's server hands out the challenges for the first n of three
 * submissions (A: card a1, counter 1, 1.00 to BOB; B: a2, 1, 2.50 to DAVE;
 * C: a1, 2, 0.07 to DAVE, one per scheme), then stops: from here on the
 * test is the only writer. */
static void world_start(struct world *w, uint8_t (*bodies)[SC_SUBMIT_MSG_MAX], size_t *lens,
			int n)
{
	struct soft_card *card[3] = {&w->f.a1, &w->f.a2, &w->f.a1};
	const uint32_t atc[3] = {1, 1, 2};
	const char *payee[3] = {"BOB", "DAVE", "DAVE"};
	const uint64_t amount[3] = {100, 250, 7};
	const uint8_t scheme[3] = {SC_SCHEME_ENC, SC_SCHEME_ENC_RAND, SC_SCHEME_ENC_DIGEST};
	int fd;

	assert_int_equal(fx_setup(&w->f, NULL), 0);
	fd = fx_connect(&w->f);
	assert_true(fd >= 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(fx_build(&w->f, fd, card[i], atc[i], payee[i], amount[i],
					  scheme[i], NULL, bodies[i], &lens[i]), 0);
	close(fd);
	writer_world(w);
}

static void world_free(struct world *w)
{
	srv_batch_free(&w->b);
	srv_keycache_free(w->kc);
	free(w->kc);
	srv_store_close(&w->ws, &w->wdb);
	srv_db_close(&w->rdb);
	srv_db_close(&w->wdb);
	srv_keys_close(w->s.keys);
	srv_ring_free(&w->s.ring);
	fx_teardown(&w->f);
}

/* Jobs for the bodies, checked by the verify stage, linked in order. */
static struct srv_job *jobs_for(struct world *w, uint8_t (*bodies)[SC_SUBMIT_MSG_MAX],
				const size_t *lens, const int *which, int n)
{
	struct srv_job *first = NULL, **link = &first;

	for (int i = 0; i < n; i++) {
		struct srv_job *j = calloc(1, sizeof(*j));

		assert_non_null(j);
		j->kind = JOB_SUBMIT;
		snprintf(j->peer, sizeof(j->peer), "test");
		memcpy(j->body, bodies[which[i]], lens[which[i]]);
		j->body_len = lens[which[i]];
		srv_job_check(&w->s, &w->rdb, w->kc, j);
		*link = j;
		link = &j->next;
	}
	return first;
}

static void jobs_free(struct srv_job *j)
{
	while (j) {
		struct srv_job *next = j->next;

		free(j);
		j = next;
	}
}

static void reply_of(const struct srv_job *j, struct fx_reply *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->buf, j->reply, j->reply_len);
	r->len = j->reply_len;
	assert_int_equal(sc_result_decode(&r->m, r->buf, r->len), 0);
	r->code = r->m.code;
}

static void one_signature_seals_the_batch_and_twins_get_the_original(void **state)
{
	static struct world w;
	static uint8_t bodies[3][SC_SUBMIT_MSG_MAX];
	size_t lens[3];
	/* A, A again, B, C, A a third time */
	const int order[] = {0, 0, 1, 2, 0};
	struct srv_job *jobs, *j[5];
	struct fx_reply r[5];
	struct sc_receipt rc[5];
	struct sc_seal seal[5];
	int k = 0;

	(void)state;
	world_start(&w, bodies, lens, 3);

	jobs = jobs_for(&w, bodies, lens, order, 5);
	for (struct srv_job *p = jobs; p; p = p->next)
		j[k++] = p;
	for (k = 0; k < 5; k++)
		assert_int_equal(j[k]->code, -1); /* all verified, none decided */
	srv_batch_commit(&w.s, &w.ws, &w.b, jobs);

	for (k = 0; k < 5; k++) {
		reply_of(j[k], &r[k]);
		assert_int_equal(r[k].code, SC_RES_OK);
		assert_int_equal(fx_receipt_ok(&w.f, &r[k], &rc[k]), 0);
		assert_int_equal(sc_seal_decode(&seal[k], r[k].m.seal, r[k].m.seal_len), 0);
	}
	/* the twins answer with their original's bytes */
	assert_int_equal(r[1].len, r[0].len);
	assert_memory_equal(r[1].buf, r[0].buf, r[0].len);
	assert_int_equal(r[4].len, r[0].len);
	assert_memory_equal(r[4].buf, r[0].buf, r[0].len);
	/* three transfers, three receipts under one root: one signature, real paths */
	assert_true(rc[0].transfer_id != rc[2].transfer_id);
	assert_true(rc[2].transfer_id != rc[3].transfer_id);
	assert_true(rc[0].counter < rc[2].counter && rc[2].counter < rc[3].counter);
	for (k = 2; k <= 3; k++) {
		assert_int_equal(seal[k].sig_len, seal[0].sig_len);
		assert_memory_equal(seal[k].sig, seal[0].sig, seal[0].sig_len);
	}
	assert_int_equal(seal[0].depth, 2);
	assert_int_equal(seal[3].depth, 1); /* the third of three is lifted once */
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM receipts"), 3);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM transfers WHERE card_id IS NOT NULL"),
			 3);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM audit"), 5);
	assert_int_equal(fx_balance(&w.f, "ALICE"), 100000 - 100 - 250 - 7);
	assert_true(fx_ledger_ok(&w.f));

	/* in a later batch the replay reads the stored receipt: the same bytes */
	{
		const int again[] = {0};
		struct srv_job *next = jobs_for(&w, bodies, lens, again, 1);
		struct fx_reply rr;

		srv_batch_commit(&w.s, &w.ws, &w.b, next);
		reply_of(next, &rr);
		assert_int_equal(rr.len, r[0].len);
		assert_memory_equal(rr.buf, r[0].buf, r[0].len);
		jobs_free(next);
	}
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM receipts"), 3);
	jobs_free(jobs);
	world_free(&w);
}

/* A batch whose COMMIT cannot happen promises nothing: every job RETRY_LATER,
 * no receipt, no transfer, and the same bodies execute in the next batch.
 * The lock is held by another session past the writer's wait: on SQLite
 * the database's write lock past the busy timeout; on PostgreSQL the
 * payer's row, FOR UPDATE as a stuck psql would, past lock_timeout
 * (pg_timeouts.c's 5 s, 50 ms here), which is named in the health reason
 * and counted for /metrics. */
static void a_failed_commit_answers_retry_later(void **state)
{
	static struct world w;
	static uint8_t bodies[2][SC_SUBMIT_MSG_MAX];
	size_t lens[2];
	const int order[] = {0, 1, 0};
	struct srv_job *jobs;
	struct srv_db lock;
	char err[256], reason[160];
	unsigned long timeouts;

	(void)state;
	world_start(&w, bodies, lens, 2);

	/* another writer holds the lock past the busy timeout */
	assert_int_equal(srv_db_open(&lock, w.s.cfg.db_path, 0, SRV_SCHEMA_VERSION, err,
				     sizeof(err)), 0);
	if (lock.pg) {
		/* every connection of the server's waits 5 s for a lock, 60 s
		 * for a statement, unless its conninfo says otherwise */
		assert_int_equal(fx_count(&w.f, "SELECT extract(epoch FROM"
				 " current_setting('lock_timeout')::interval)"), 5);
		assert_int_equal(fx_count(&w.f, "SELECT extract(epoch FROM"
				 " current_setting('statement_timeout')::interval)"), 60);
		assert_int_equal(srv_db_exec(&lock, "BEGIN"), SQLITE_OK);
		assert_int_equal(srv_db_exec(&lock, "SELECT 1 FROM accounts WHERE id = 'ALICE'"
					     " FOR UPDATE"), SQLITE_OK);
		assert_int_equal(srv_db_exec(&w.wdb, "SET lock_timeout = 50"), SQLITE_OK);
	} else {
		assert_int_equal(srv_db_exec(&lock, "BEGIN IMMEDIATE"), SQLITE_OK);
		sqlite3_busy_timeout(w.wdb.db, 50);
	}
	timeouts = atomic_load(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_LOCK]);
	jobs = jobs_for(&w, bodies, lens, order, 3);
	srv_batch_commit(&w.s, &w.ws, &w.b, jobs);
	for (struct srv_job *p = jobs; p; p = p->next) {
		struct fx_reply r;

		reply_of(p, &r);
		assert_int_equal(r.code, SC_RES_RETRY_LATER);
	}
	jobs_free(jobs);
	/* named where the operator looks: the log and /healthz */
	assert_int_equal(srv_health_failing(reason, sizeof(reason)), 1);
	assert_non_null(strstr(reason, lock.pg ? "lock timeout" : "database is locked"));
	if (lock.pg) {
		assert_true(atomic_load(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_LOCK]) >
			    timeouts);
	}
	assert_int_equal(srv_db_exec(&lock, "ROLLBACK"), SQLITE_OK);
	srv_db_close(&lock);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM receipts"), 0);

	jobs = jobs_for(&w, bodies, lens, order, 3);
	srv_batch_commit(&w.s, &w.ws, &w.b, jobs);
	for (struct srv_job *p = jobs; p; p = p->next) {
		struct fx_reply r;
		struct sc_receipt rc;

		reply_of(p, &r);
		assert_int_equal(r.code, SC_RES_OK);
		assert_int_equal(fx_receipt_ok(&w.f, &r, &rc), 0);
	}
	jobs_free(jobs);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM receipts"), 2);
	assert_int_equal(srv_health_failing(reason, sizeof(reason)), 0); /* it commits again */
	assert_true(fx_ledger_ok(&w.f));
	world_free(&w);
}

/* A job whose writing fails (here a trigger refuses its audit row) takes
 * only itself out: the batch is tried again without it, the others commit,
 * it answers RETRY_LATER with nothing of it done, and it executes once the
 * ledger takes it. */
static void a_job_whose_writing_fails_is_left_out(void **state)
{
	static struct world w;
	static uint8_t bodies[3][SC_SUBMIT_MSG_MAX];
	const int order[] = {0, 1, 2};
	struct srv_job *jobs, *j[3];
	size_t lens[3];
	int k = 0;

	(void)state;
	world_start(&w, bodies, lens, 3);
	assert_int_equal(srv_db_exec(&w.wdb, "CREATE TEMP TRIGGER poison BEFORE INSERT ON audit"
					     " WHEN NEW.peer = 'poison'"
					     " BEGIN SELECT RAISE(ABORT, 'poisoned'); END;"),
			 SQLITE_OK);
	jobs = jobs_for(&w, bodies, lens, order, 3);
	for (struct srv_job *p = jobs; p; p = p->next)
		j[k++] = p;
	snprintf(j[1]->peer, sizeof(j[1]->peer), "poison");
	srv_batch_commit(&w.s, &w.ws, &w.b, jobs);
	assert_int_equal(j[0]->code, SC_RES_OK);
	assert_int_equal(j[1]->code, SC_RES_RETRY_LATER);
	assert_int_equal(j[2]->code, SC_RES_OK);
	for (k = 0; k < 3; k += 2) {
		struct fx_reply r;
		struct sc_receipt rc;

		reply_of(j[k], &r);
		assert_int_equal(fx_receipt_ok(&w.f, &r, &rc), 0);
	}
	assert_int_equal(fx_balance(&w.f, "DAVE"), 7);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM receipts"), 2);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM audit"), 2);
	/* the counter has no gap where the failed attempt was */
	assert_int_equal(fx_count(&w.f, "SELECT max(counter) - min(counter) FROM receipts"), 1);
	jobs_free(jobs);
	assert_int_equal(srv_db_exec(&w.wdb, "DROP TRIGGER poison"), SQLITE_OK);
	{
		const int again[] = {1};
		struct srv_job *one = jobs_for(&w, bodies, lens, again, 1);

		srv_batch_commit(&w.s, &w.ws, &w.b, one);
		assert_int_equal(one->code, SC_RES_OK);
		jobs_free(one);
	}
	assert_int_equal(fx_balance(&w.f, "DAVE"), 257);
	assert_true(fx_ledger_ok(&w.f));
	world_free(&w);
}

static int commit_one(struct world *w, uint8_t (*bodies)[SC_SUBMIT_MSG_MAX], const size_t *lens)
{
	const int order[] = {0};
	struct srv_job *j = jobs_for(w, bodies, lens, order, 1);
	struct fx_reply r;

	srv_batch_commit(&w->s, &w->ws, &w->b, j);
	reply_of(j, &r);
	jobs_free(j);
	return r.code;
}

/* A card re-keyed between the verify stage and the writer: the verdict of
 * the old key is not used (RETRY_LATER), every verify thread's cache is
 * emptied, and the resubmission is judged with the key enrolled now. */
static void a_key_changed_in_flight_is_checked_again(void **state)
{
	static struct world w;
	static uint8_t bodies[1][SC_SUBMIT_MSG_MAX];
	const int order[] = {0};
	size_t lens[1];
	struct srv_job *j;
	struct fx_reply r;
	unsigned long gen;
	char sql[300], hex[2 * SC_PUBKEY_LEN + 1], id[2 * SC_CARD_ID_LEN + 1];

	(void)state;
	world_start(&w, bodies, lens, 1);

	j = jobs_for(&w, bodies, lens, order, 1); /* checked with a1's key */
	assert_true(j->key_known && j->sig_ok && j->jp_ok);
	sc_hex_encode(hex, w.f.a2.pubkey, SC_PUBKEY_LEN);
	sc_hex_encode(id, w.f.a1.id, SC_CARD_ID_LEN);
	snprintf(sql, sizeof(sql), "UPDATE cards SET pubkey = x'%s' WHERE card_id = x'%s'", hex,
		 id);
	assert_int_equal(fx_exec(&w.wdb, sql), SQLITE_OK);
	gen = atomic_load(&w.s.key_generation);
	srv_batch_commit(&w.s, &w.ws, &w.b, j);
	reply_of(j, &r);
	jobs_free(j);
	assert_int_equal(r.code, SC_RES_RETRY_LATER);
	assert_true(atomic_load(&w.s.key_generation) != gen);
	/* resubmitted: checked with the key enrolled now, which did not sign it */
	assert_int_equal(commit_one(&w, bodies, lens), SC_RES_AUTH_FAILED);
	sc_hex_encode(hex, w.f.a1.pubkey, SC_PUBKEY_LEN);
	snprintf(sql, sizeof(sql), "UPDATE cards SET pubkey = x'%s' WHERE card_id = x'%s'", hex,
		 id);
	assert_int_equal(fx_exec(&w.wdb, sql), SQLITE_OK);
	assert_int_equal(commit_one(&w, bodies, lens), SC_RES_RETRY_LATER);
	assert_int_equal(commit_one(&w, bodies, lens), SC_RES_OK);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM receipts"), 1);
	assert_true(fx_ledger_ok(&w.f));
	world_free(&w);
}

/* A final decline is sealed in the same batch as the payments, under the
 * same signature; later copies of either in that batch (the same bytes, or
 * another valid signature over the same data) are twins of the original. */
static void a_decline_shares_the_batch_seal(void **state)
{
	static struct world w;
	static uint8_t bodies[4][SC_SUBMIT_MSG_MAX];
	size_t lens[4];
	/* A pays, D declines, D again, A and D with (r, n - s) */
	const int order[] = {0, 1, 1, 2, 3};
	struct srv_job *jobs, *j[5];
	struct fx_reply r[5];
	struct sc_receipt rc[2];
	struct sc_seal seal[2];
	int fd, k = 0;

	(void)state;
	assert_int_equal(fx_setup(&w.f, NULL), 0);
	fd = fx_connect(&w.f);
	assert_true(fd >= 0);
	assert_int_equal(fx_build(&w.f, fd, &w.f.a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, bodies[0],
				  &lens[0]), 0);
	assert_int_equal(fx_build(&w.f, fd, &w.f.a2, 1, "DAVE", 500000, SC_SCHEME_ENC_RAND, NULL,
				  bodies[1], &lens[1]), 0);
	close(fd);
	for (k = 0; k < 2; k++) {
		memcpy(bodies[2 + k], bodies[k], lens[k]);
		lens[2 + k] = fx_resign(bodies[2 + k], lens[k], fx_negate_s);
		assert_true(lens[2 + k] > 0);
	}
	writer_world(&w);

	jobs = jobs_for(&w, bodies, lens, order, 5);
	k = 0;
	for (struct srv_job *p = jobs; p; p = p->next)
		j[k++] = p;
	srv_batch_commit(&w.s, &w.ws, &w.b, jobs);
	for (k = 0; k < 5; k++)
		reply_of(j[k], &r[k]);
	assert_int_equal(r[0].code, SC_RES_OK);
	assert_int_equal(r[1].code, SC_RES_INSUFFICIENT_FUNDS);
	for (k = 0; k < 2; k++) {
		assert_int_equal(fx_receipt_ok(&w.f, &r[k], &rc[k]), 0);
		assert_int_equal(sc_seal_decode(&seal[k], r[k].m.seal, r[k].m.seal_len), 0);
	}
	assert_int_equal(rc[1].result, SC_RES_INSUFFICIENT_FUNDS);
	assert_int_equal(rc[1].counter, rc[0].counter + 1);
	assert_int_equal(seal[1].sig_len, seal[0].sig_len);
	assert_memory_equal(seal[1].sig, seal[0].sig, seal[0].sig_len);
	/* the twins: D again, A' and D' */
	assert_int_equal(r[2].len, r[1].len);
	assert_memory_equal(r[2].buf, r[1].buf, r[1].len);
	assert_int_equal(r[3].len, r[0].len);
	assert_memory_equal(r[3].buf, r[0].buf, r[0].len);
	assert_int_equal(r[4].len, r[1].len);
	assert_memory_equal(r[4].buf, r[1].buf, r[1].len);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM outcomes"), 2);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM receipts"), 1);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM challenges WHERE used = 1"), 2);
	assert_int_equal(fx_balance(&w.f, "ALICE"), 100000 - 100);
	assert_true(fx_ledger_ok(&w.f));
	jobs_free(jobs);
	/* in a later batch the stored decline answers D' with the same bytes */
	{
		const int again[] = {3};
		struct srv_job *one = jobs_for(&w, bodies, lens, again, 1);
		struct fx_reply rr;

		srv_batch_commit(&w.s, &w.ws, &w.b, one);
		reply_of(one, &rr);
		assert_int_equal(rr.len, r[1].len);
		assert_memory_equal(rr.buf, r[1].buf, r[1].len);
		jobs_free(one);
	}
	world_free(&w);
}

/* A fresh world whose ALICE (cards a1 and a2, 1000.00 EUR) built n
 * payments, each (card 1 or 2, ATC, payee, amount, scheme), into bodies;
 * its writer ready. */
struct payment_spec {
	int card;
	uint32_t atc;
	const char *payee;
	uint64_t amount;
	uint8_t scheme;
};

static void world_with_payments(struct world *w, const struct payment_spec *p, size_t n,
				uint8_t (*bodies)[SC_SUBMIT_MSG_MAX], size_t *lens)
{
	int fd;

	memset(w, 0, sizeof(*w));
	assert_int_equal(fx_setup(&w->f, NULL), 0);
	fd = fx_connect(&w->f);
	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fx_build(&w->f, fd, p[i].card == 1 ? &w->f.a1 : &w->f.a2, p[i].atc,
					  p[i].payee, p[i].amount, p[i].scheme, NULL, bodies[i],
					  &lens[i]), 0);
	close(fd);
	writer_world(w);
}

/* The payer's funds spent twice in one batch, and a copy of the first
 * payment after them: the second sees the first's debit as it would in a
 * batch of its own, a sealed INSUFFICIENT_FUNDS, not a balance below zero
 * (which the ledger's CHECK would refuse, the job then answered
 * RETRY_LATER); the copy is the first's twin. at_once: the same over the
 * SQLite store with the snapshots loaded at once and carried forward
 * (srv_snapshot_follow), as a store over a network loads them. */
static void funds_spent_twice(int at_once)
{
	static struct world w;
	static uint8_t bodies[2][SC_SUBMIT_MSG_MAX];
	struct srv_store_ops ops;
	size_t lens[2];
	const int order[] = {0, 1, 0};
	struct srv_job *jobs;
	struct fx_reply r[3];
	struct sc_receipt rc;
	static const struct payment_spec spent[] = {
		{1, 1, "BOB", 60000, SC_SCHEME_ENC}, {2, 1, "DAVE", 60000, SC_SCHEME_ENC_RAND}};

	/* ALICE holds 1000.00 EUR: 600.00 from each of her two cards */
	world_with_payments(&w, spent, 2, bodies, lens);
	/* PostgreSQL's store loads at once by its nature: its own ops */
	if (!w.wdb.pg) {
		ops = *w.ws.ops;
		ops.loads_see_writes = !at_once;
		w.ws.ops = &ops;
	}

	jobs = jobs_for(&w, bodies, lens, order, 3);
	srv_batch_commit(&w.s, &w.ws, &w.b, jobs);
	reply_of(jobs, &r[0]);
	reply_of(jobs->next, &r[1]);
	reply_of(jobs->next->next, &r[2]);
	assert_int_equal(r[0].code, SC_RES_OK);
	assert_int_equal(r[1].code, SC_RES_INSUFFICIENT_FUNDS);
	assert_int_equal(fx_receipt_ok(&w.f, &r[1], &rc), 0);
	assert_int_equal(rc.result, SC_RES_INSUFFICIENT_FUNDS);
	assert_string_equal(rc.reason, "amount 600.00 EUR is above the balance");
	assert_int_equal(r[2].len, r[0].len);
	assert_memory_equal(r[2].buf, r[0].buf, r[0].len);
	assert_int_equal(fx_balance(&w.f, "ALICE"), 100000 - 60000);
	assert_int_equal(fx_balance(&w.f, "BOB"), 60000);
	assert_int_equal(fx_balance(&w.f, "DAVE"), 0);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM outcomes"), 2);
	assert_true(fx_ledger_ok(&w.f));
	jobs_free(jobs);
	world_free(&w);
}

static void funds_spent_twice_in_one_batch(void **state)
{
	(void)state;
	funds_spent_twice(0);
}

static void funds_spent_twice_loaded_at_once(void **state)
{
	(void)state;
	funds_spent_twice(1);
}

/* One payer's payments from both her cards and one card twice, in one
 * batch: every one paid, the payer debited their sum, the card's counter
 * at its last ATC (on PostgreSQL the batch's debits and card writes are
 * one statement each, per payer and card: pg_rows.c). */
static void one_payer_pays_thrice_in_one_batch(void **state)
{
	static struct world w;
	static uint8_t bodies[3][SC_SUBMIT_MSG_MAX];
	size_t lens[3];
	const int order[] = {0, 1, 2};
	struct srv_job *jobs;
	struct fx_reply r;
	static const struct payment_spec thrice[] = {
		{1, 1, "BOB", 100, SC_SCHEME_ENC}, {2, 1, "DAVE", 200, SC_SCHEME_ENC_RAND},
		{1, 2, "DAVE", 400, SC_SCHEME_ENC}};

	(void)state;
	world_with_payments(&w, thrice, 3, bodies, lens);
	jobs = jobs_for(&w, bodies, lens, order, 3);
	srv_batch_commit(&w.s, &w.ws, &w.b, jobs);
	for (struct srv_job *j = jobs; j; j = j->next) {
		reply_of(j, &r);
		assert_int_equal(r.code, SC_RES_OK);
	}
	assert_int_equal(fx_balance(&w.f, "ALICE"), 100000 - 700);
	assert_int_equal(fx_balance(&w.f, "BOB"), 100);
	assert_int_equal(fx_balance(&w.f, "DAVE"), 600);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM transfers WHERE payer = 'ALICE'"
				  " AND atc IS NOT NULL"), 3);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM cards WHERE last_atc = 2"), 1);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM cards WHERE last_atc = 1"), 1);
	assert_int_equal(fx_count(&w.f, "SELECT count(*) FROM challenges WHERE used = 1"), 3);
	assert_true(fx_ledger_ok(&w.f));
	jobs_free(jobs);
	world_free(&w);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest both[] = {
		cmocka_unit_test(one_signature_seals_the_batch_and_twins_get_the_original),
		cmocka_unit_test(a_failed_commit_answers_retry_later),
		cmocka_unit_test(a_key_changed_in_flight_is_checked_again),
		cmocka_unit_test(a_decline_shares_the_batch_seal),
		cmocka_unit_test(funds_spent_twice_loaded_at_once),
		cmocka_unit_test(one_payer_pays_thrice_in_one_batch),
	};
	/* SQLite's by nature: a store whose loads see its writes (PostgreSQL's
	 * loads the batch at once); a TEMP trigger that refuses one job's
	 * audit row in the writer's own connection (SQLite's syntax; the
	 * PostgreSQL store sends its writes with the commit, where no one
	 * job is to blame) */
	const struct CMUnitTest sqlite_only[] = {
		cmocka_unit_test(a_job_whose_writing_fails_is_left_out),
		cmocka_unit_test(funds_spent_twice_in_one_batch),
	};

	if (argc > 1)
		fx_filter(argv[1]);
	return FX_RUN("server commit batch", both, sqlite_only);
}
