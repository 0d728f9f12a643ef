/* The writer's transaction over one batch of jobs: apply each, seal the
 * receipts of the outcomes it decided (transfers executed and final
 * declines) with one signature (common/seal.h),
 * store the receipt counter, COMMIT. The signature is per batch for the
 * reason the COMMIT is: at load a batch holds many transfers, and an ECDSA
 * signature per transfer would cost a third of a verify each. */
#include <stdlib.h>
#include <string.h>
#include "common/seal.h"
#include "server.h"

#define SRV_BATCH_RACES 3 /* tries again of a batch that lost a race to another writer */

int srv_batch_init(struct srv_batch *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if (cap < 1 || cap > SC_SEAL_BATCH_MAX)
		return -1;
	b->sealing = calloc(cap, sizeof(*b->sealing));
	b->nodes = calloc(SC_SEAL_NODES(cap), sizeof(*b->nodes));
	b->snaps = calloc(cap, sizeof(*b->snaps));
	if (!b->sealing || !b->nodes || !b->snaps) {
		srv_batch_free(b);
		return -1;
	}
	b->cap = cap;
	return 0;
}

void srv_batch_free(struct srv_batch *b)
{
	free(b->sealing);
	free(b->nodes);
	free(b->snaps);
	memset(b, 0, sizeof(*b));
}

int srv_batch_add(struct srv_batch *b, struct srv_job *j)
{
	/* The writer pops at most cap jobs, so this never refuses; if it did,
	 * the job's writing fails rather than its receipt going unsealed. */
	if (b->n >= b->cap)
		return -1;
	b->sealing[b->n++] = j;
	return 0;
}

struct srv_job *srv_batch_find(const struct srv_batch *b, const uint8_t card_id[SC_CARD_ID_LEN],
			       uint32_t atc)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->sealing[i]->sub.atc == atc &&
		    memcmp(b->sealing[i]->sub.card_id, card_id, SC_CARD_ID_LEN) == 0)
			return b->sealing[i];
	return NULL;
}

/* After a failed commit nothing of the batch happened: every reply becomes
 * RETRY_LATER, which is true, and the terminal resubmits the same message. */
void srv_batch_fail(struct srv_job *jobs)
{
	for (struct srv_job *j = jobs; j; j = j->next)
		if (j->kind != JOB_REJECT)
			srv_job_reply_error(j, SC_RES_RETRY_LATER, "the ledger could not commit");
}

/* One signature over the root of the batch's receipts; each receipt
 * becomes its job's reply with its seal and is stored: an executed one in
 * receipts (its transfer is its outcome), a decline with its RESULT as
 * its (card, ATC)'s outcome. 0 or -1. */
static int seal(struct srv *s, struct srv_store *st, struct srv_batch *b)
{
	uint8_t root[SC_HASH_LEN], statement[SC_SEAL_STATEMENT_LEN], sig[SC_ECDSA_DER_MAX];
	uint8_t enc[SC_SEAL_MAX];
	struct sc_seal sl;
	int siglen, n;

	if (b->n == 0)
		return 0;
	for (size_t i = 0; i < b->n; i++)
		if (sc_seal_leaf(b->sealing[i]->receipt, b->sealing[i]->receipt_len,
				 b->nodes[i]) != 0)
			return -1;
	if (sc_seal_tree(b->nodes, b->n, SC_SEAL_NODES(b->cap), root) != 0 ||
	    sc_seal_statement(root, statement) != 0 ||
	    (siglen = s->keys->ops->seal_sign(s->keys, statement, sizeof(statement), sig)) < 0)
		return -1;
	sl.sig = sig;
	sl.sig_len = (size_t)siglen;
	for (size_t i = 0; i < b->n; i++) {
		struct srv_job *j = b->sealing[i];

		if (sc_seal_path((const uint8_t(*)[SC_HASH_LEN])b->nodes, b->n, i, &sl) != 0 ||
		    (n = sc_seal_encode(enc, sizeof(enc), &sl)) < 0 ||
		    srv_job_reply_sealed(j, j->code, j->receipt, j->receipt_len, enc,
					 (size_t)n) != 0 ||
		    st->ops->record_outcome(st, j, enc, (size_t)n) != 0)
			return -1;
	}
	return 0;
}

/* One attempt at the batch: every job not yet failed applied, the receipts
 * sealed, the counter stored, COMMIT. The snapshots of the submissions to
 * decide are loaded after BEGIN, at once unless the store's loads see its
 * writes (srv_job_apply then loads each), so each job sees the batch's
 * earlier effects. No savepoint per job (each costs statement-journal
 * copies): a job whose writing fails undoes the attempt, is named in
 * *culprit, and the caller tries again without it. 0, or -1 with
 * everything rolled back (*culprit NULL if no job is to blame). */
static int attempt(struct srv *s, struct srv_store *st, struct srv_batch *b,
		   struct srv_job *jobs, struct srv_job **culprit)
{
	int64_t counter = s->receipt_counter;
	size_t n = 0;

	*culprit = NULL;
	b->n = 0;
	if (st->ops->begin(st) != 0) {
		/* nothing began, nothing to undo; but the batch is refused, and
		 * the log and /healthz say why (a lock another writer holds) */
		srv_health_fault(st->ops->error(st));
		return -1;
	}
	for (struct srv_job *j = jobs; j; j = j->next) {
		j->snap.tx = NULL;
		if (j->failed)
			continue;
		j->code = j->checked_code; /* what the verify stage left */
		j->twin = NULL;
		if (j->kind == JOB_SUBMIT && j->code < 0) {
			if (n == b->cap) { /* more than the writer pops: this one waits */
				*culprit = j;
				goto undo;
			}
			srv_job_snapshot(s, j);
			b->snaps[n++] = &j->snap;
		}
	}
	if (!st->ops->loads_see_writes && st->ops->load(st, b->snaps, n) != 0)
		goto undo;
	if (st->ops->receipt_counter && st->ops->receipt_counter(st, &s->receipt_counter) != 0)
		goto undo;
	for (struct srv_job *j = jobs; j; j = j->next) {
		if (j->failed)
			continue;
		if (srv_job_apply(s, st, b, j) != 0) {
			*culprit = j;
			goto undo;
		}
	}
	if (seal(s, st, b) != 0 || st->ops->commit(st, s->receipt_counter) != 0)
		goto undo;
	srv_health_fault(NULL);
	return 0;
undo:
	srv_health_fault(st->ops->error(st)); /* logged once per run of failures */
	st->ops->rollback(st);
	s->receipt_counter = counter;
	b->n = 0;
	return -1;
}

void srv_batch_commit(struct srv *s, struct srv_store *st, struct srv_batch *b,
		      struct srv_job *jobs)
{
	struct srv_job *culprit;
	unsigned n = 0;
	int races = 0;

	for (struct srv_job *j = jobs; j; j = j->next) {
		j->checked_code = j->code;
		j->failed = 0;
		n++;
	}
	while (attempt(s, st, b, jobs, &culprit) != 0) {
		if (!culprit) {
			/* Another writer on the ledger won a race (store_pg.c):
			 * again, and the retry sees what it wrote. */
			if (st->ops->conflict && st->ops->conflict(st) && races++ < SRV_BATCH_RACES)
				continue;
			/* BEGIN, the seal or COMMIT: nothing of the batch happened. */
			srv_batch_fail(jobs);
			return;
		}
		culprit->failed = 1;
		culprit->twin = NULL;
		srv_job_reply_error(culprit, SC_RES_RETRY_LATER, "the ledger could not record this");
	}
	/* An identical SUBMIT later in the batch answers with its original's
	 * bytes, as it would after the COMMIT. */
	for (struct srv_job *j = jobs; j; j = j->next)
		if (j->twin) {
			memcpy(j->reply, j->twin->reply, j->twin->reply_len);
			j->reply_len = j->twin->reply_len;
			j->code = j->twin->code;
		}
	b->n = 0;
	srv_metrics_batch(n);
}
