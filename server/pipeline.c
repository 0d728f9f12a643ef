/* One submission from bytes to reply. On a verify thread: parse, hashes,
 * the card's key (cached), signature, joint password, deciding nothing but
 * MALFORMED. On the writer thread, inside its transaction: the snapshot
 * the store loaded -> the decision (decide.c: exactly-once, challenge,
 * card, signature, password, counter, rules, funds) -> its writes -> the
 * reply, or the receipt sealed with its batch. Unauthenticated input
 * reaches the ledger only as an audit row. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "common/errors.h"
#include "common/hex.h"
#include "server.h"

void srv_job_reply_error(struct srv_job *j, int code, const char *detail)
{
	int n;

	j->code = code;
	if (detail && detail != j->detail)
		snprintf(j->detail, sizeof(j->detail), "%s", detail);
	n = sc_result_encode(j->reply, sizeof(j->reply), (uint8_t)code, NULL, 0, NULL, 0,
			     j->detail[0] ? j->detail : sc_result_message(code));
	j->reply_len = n > 0 ? (size_t)n : 0;
}

/* The verify stage's own answers: MALFORMED, or RETRY_LATER when it
 * could not check. */
__attribute__((format(printf, 3, 4)))
static void refuse(struct srv_job *j, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->detail, sizeof(j->detail), fmt, ap);
	va_end(ap);
	srv_job_reply_error(j, code, j->detail);
}

int srv_job_reply_sealed(struct srv_job *j, int code, const uint8_t *body, size_t body_len,
			 const uint8_t *seal, size_t seal_len)
{
	int n;

	if (code == SC_RES_OK)
		j->detail[0] = '\0';
	n = sc_result_encode(j->reply, sizeof(j->reply), (uint8_t)code, body, body_len, seal,
			     seal_len, j->detail);
	if (n < 0)
		return -1;
	j->reply_len = (size_t)n;
	j->code = code;
	return 0;
}

static uint64_t elapsed_ns(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)((t1.tv_sec - t0->tv_sec) * 1000000000L + (t1.tv_nsec - t0->tv_nsec));
}

/* The verify stage reads no ledger state but the card's key (cached per
 * thread) and decides nothing but MALFORMED: it leaves its findings in
 * key_known, sig_ok and jp_ok, and the writer decides in the issue's order
 * (challenge, card, signature, password, counter) under the write lock. */
void srv_job_check(struct srv *s, struct srv_db *db, struct srv_keycache *kc,
		   struct srv_job *j)
{
	uint8_t signed_data[SC_SIGNED_DATA_MAX];
	struct timespec t0;
	EVP_PKEY_CTX *vctx = NULL;
	int n, rc, xl;

	j->code = -1;
	j->key_known = 0;
	j->sig_ok = 0;
	j->jp_ok = 0;
	if ((rc = sc_submit_decode(&j->sub, j->body, j->body_len)) != 0) {
		refuse(j, SC_RES_MALFORMED, "SUBMIT: %s", sc_strerror(rc));
		return;
	}
	if ((rc = sc_tx_decode(&j->tx, j->sub.tx, j->sub.tx_len)) != 0) {
		refuse(j, SC_RES_MALFORMED, "transaction: %s", sc_strerror(rc));
		return;
	}
	xl = sc_scheme_x_len(j->tx.scheme);
	if (xl < 0 || (size_t)xl != j->sub.x_len) {
		refuse(j, SC_RES_MALFORMED, "scheme %s takes a %d-byte X, not %zu",
		       sc_scheme_name(j->tx.scheme), xl, j->sub.x_len);
		return;
	}
	n = 0;
	if (sc_tx_hash(j->sub.tx, j->sub.tx_len, j->tx_hash) != 0 ||
	    srv_sha256(j->body, j->body_len, j->sub_hash) != 0 ||
	    (n = sc_signed_data_build(signed_data, sizeof(signed_data), j->tx.scheme,
				      j->sub.card_id, j->sub.atc, j->tx.challenge, j->tx_hash,
				      j->sub.x, j->sub.x_len)) < 0 ||
	    srv_sha256(signed_data, (size_t)n, j->signed_hash) != 0) {
		refuse(j, SC_RES_RETRY_LATER, "hashing failed");
		return;
	}
	rc = srv_keycache_get(kc, db, j->sub.card_id, j->key, &vctx);
	if (rc < 0) {
		refuse(j, SC_RES_RETRY_LATER, "the ledger could not be read");
		return;
	}
	if (rc == 0)
		return; /* no enrolled key: the writer says which error comes first */
	j->key_known = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->sig_ok = srv_ecdsa_verify_ctx(vctx, j->signed_hash, j->sub.sig, j->sub.sig_len);
	/* The password is checked only behind an authentic signature. */
	if (j->sig_ok) {
		rc = s->keys->ops->jp_check(s->keys, j->sub.card_id, j->tx.scheme, j->sub.jp,
					    j->sub.x, j->sub.x_len);
		if (rc < 0) {
			refuse(j, SC_RES_RETRY_LATER, "key derivation failed");
			return;
		}
		j->jp_ok = rc;
	}
	srv_metrics_verify(elapsed_ns(&t0));
}

/* What unauthenticated input may store: anyone can send frames that
 * fail (1,300 to 2,400 a second of them filled the append-only audit
 * table), so a request whose signature did not verify against an enrolled
 * key is kept only as a sample, SRV_AUDIT_SAMPLE_PER_MIN a minute with its
 * first SRV_AUDIT_SAMPLE_BYTES bytes; the rest are counted
 * (sigcard_audit_unrecorded_total, and by result in
 * sigcard_submissions_total). Authenticated requests are kept whole. The
 * writer thread alone calls this. */
static int audit_sample_due(int64_t now_ms)
{
	static int64_t window_ms;
	static unsigned taken;

	if (now_ms - window_ms >= 60000) {
		window_ms = now_ms;
		taken = 0;
	}
	if (taken >= SRV_AUDIT_SAMPLE_PER_MIN) {
		atomic_fetch_add(&srv_metrics.audit_unrecorded, 1);
		return 0;
	}
	taken++;
	return 1;
}

/* j's audit row: whole if its signature verified, else a sample. */
static int audit(struct srv_store *st, const struct srv_job *j)
{
	const struct srv_write *w = j->snap.tx ? srv_decision_write(&j->dec, SRV_W_AUDIT) : NULL;
	int64_t now = srv_now_ms();
	size_t len = j->body_len;

	if (!(w ? w->value : j->sig_ok)) {
		if (!audit_sample_due(now))
			return 0;
		if (len > SRV_AUDIT_SAMPLE_BYTES)
			len = SRV_AUDIT_SAMPLE_BYTES;
	}
	return st->ops->audit(st, j, now, len);
}

/* The outcome's receipt, to be sealed with the batch before COMMIT: it
 * names the (card, ATC) and transaction and says OK with the transfer, or
 * the decline's code and reason (j->detail). No balance: the receipt goes
 * to the merchant's terminal. 0 or -1. */
static int seal_later(struct srv *s, struct srv_batch *b, struct srv_job *j, int code,
		      int64_t transfer_id)
{
	struct sc_receipt r;
	int n;

	memset(&r, 0, sizeof(r));
	r.result = (uint8_t)code;
	r.transfer_id = (uint64_t)transfer_id;
	/* The writer alone gives counters; the batch stores the last at COMMIT. */
	r.counter = (uint64_t)++s->receipt_counter;
	memcpy(r.card_id, j->sub.card_id, SC_CARD_ID_LEN);
	r.atc = j->sub.atc;
	memcpy(r.tx_hash, j->tx_hash, SC_HASH_LEN);
	r.currency = j->tx.currency;
	r.version = SC_RECEIPT_VERSION;
	memcpy(r.key_id, s->receipt_key_id, SC_KEY_ID_LEN);
	if (code != SC_RES_OK) /* the decision kept its reason this short */
		memcpy(r.reason, j->detail, SC_RECEIPT_REASON_MAX);
	n = sc_receipt_encode(j->receipt, sizeof(j->receipt), &r);
	if (n < 0)
		return -1;
	j->receipt_len = (size_t)n;
	j->transfer_id = transfer_id;
	j->counter = (int64_t)r.counter;
	if (srv_batch_add(b, j) != 0)
		return -1;
	j->code = code;
	return 0;
}

int64_t srv_challenge_now(const struct srv *s)
{
	return s->cfg.challenge_clock ? s->cfg.challenge_clock() : srv_now_ms();
}

void srv_job_snapshot(const struct srv *s, struct srv_job *j)
{
	struct srv_snapshot *sn = &j->snap;

	memset(sn, 0, sizeof(*sn));
	sn->tx = &j->tx;
	sn->card_id = j->sub.card_id;
	sn->atc = j->sub.atc;
	sn->signed_hash = j->signed_hash;
	sn->sub_hash = j->sub_hash;
	sn->peer_terminal = j->peer_terminal;
	sn->verify.key_known = j->key_known;
	sn->verify.key = j->key;
	sn->verify.sig_ok = j->sig_ok;
	sn->verify.jp_ok = j->jp_ok;
	sn->now_ms = srv_challenge_now(s);
	sn->limits.max_amount = s->cfg.max_amount;
	sn->limits.card_jp_limit = s->cfg.card_jp_limit;
}

/* The decision's reply: a RESULT now, the stored one, the twin's once
 * sealed, or the receipt sealed with the batch (after the writes, which
 * give a transfer its id). */
static int reply(struct srv *s, struct srv_store *st, struct srv_batch *b, struct srv_job *j)
{
	const struct srv_decision *d = &j->dec;

	switch (d->verdict) {
	case SRV_KEY_STALE:
		atomic_fetch_add(&s->key_generation, 1);
		srv_job_reply_error(j, d->code, d->reason);
		return 0;
	case SRV_ANSWER:
		srv_job_reply_error(j, d->code, d->reason);
		return 0;
	case SRV_REPLAY:
		if (st->ops->replay(st, j) != 0)
			return -1;
		snprintf(j->detail, sizeof(j->detail), "%s", d->reason);
		return 0;
	case SRV_TWIN:
		/* Decided earlier in the open batch, not sealed yet: the job
		 * gets that one's reply once the batch is. */
		if (!(j->twin = srv_batch_find(b, j->sub.card_id, j->sub.atc)))
			return -1;
		j->code = j->twin->code;
		snprintf(j->detail, sizeof(j->detail), "%s", d->reason);
		return 0;
	case SRV_SEAL:
		snprintf(j->detail, sizeof(j->detail), "%s", d->reason);
		return seal_later(s, b, j, d->code, d->code == SC_RES_OK ? j->transfer_id : 0);
	}
	return -1;
}

/* Writer stage of a SUBMIT the verify stage parsed: the decision over its
 * snapshot, its writes, its reply. The snapshot holds the batch's earlier
 * writes: read now, from the open transaction, or carried into it from the
 * decisions before it when the batch's snapshots were loaded at once. */
static int settle(struct srv *s, struct srv_store *st, struct srv_batch *b, struct srv_job *j)
{
	struct srv_snapshot *one = &j->snap;
	const struct srv_write *w;
	struct srv_job *prior;

	if (st->ops->loads_see_writes) {
		if (st->ops->load(st, &one, 1) != 0)
			return -1;
		/* An outcome of the batch is stored only with its seal. */
		if ((prior = srv_batch_find(b, j->sub.card_id, j->sub.atc)))
			srv_snapshot_prior_in_batch(&j->snap, &prior->snap, prior->code);
	}
	srv_decide(&j->snap, &j->dec);
	if (st->ops->apply(st, j) != 0)
		return -1;
	w = srv_decision_write(&j->dec, SRV_W_CARD_FAILURE);
	if (w && w->blocked) {
		char hex[2 * SC_CARD_ID_LEN + 1];

		sc_hex_encode(hex, j->sub.card_id, SC_CARD_ID_LEN);
		log_warnx("card %s blocked after %lld wrong joint passwords", hex,
			  (long long)w->value);
	}
	if (reply(s, st, b, j) != 0)
		return -1;
	if (!st->ops->loads_see_writes && j->dec.n_writes > 1) /* more than its audit row */
		for (struct srv_job *l = j->next; l; l = l->next)
			if (l->snap.tx)
				srv_snapshot_follow(&l->snap, &j->snap, &j->dec);
	return 0;
}

static int issue_challenge(struct srv *s, struct srv_store *st, struct srv_job *j)
{
	char tid[SC_TERMINAL_ID_MAX + 1];
	uint8_t ch[SC_CHALLENGE_LEN];
	int n;

	if (sc_get_challenge_decode(j->body, j->body_len, tid) != 0) {
		srv_job_reply_error(j, SC_RES_MALFORMED, "GET CHALLENGE: bad terminal id");
		return 0;
	}
	if (j->peer_terminal[0] && strcmp(tid, j->peer_terminal) != 0) {
		/* Over TLS the challenge is bound to the certificate's id. */
		srv_job_reply_error(j, SC_RES_CHALLENGE_INVALID,
				    "GET CHALLENGE names another terminal than the certificate");
		return 0;
	}
	if (srv_random(ch, sizeof(ch)) != 0 ||
	    st->ops->challenge_issue(st, ch, tid,
				     srv_challenge_now(s) + (int64_t)s->cfg.challenge_ttl * 1000) != 0)
		return -1;
	n = sc_challenge_encode(j->reply, sizeof(j->reply), ch, s->cfg.challenge_ttl);
	if (n < 0)
		return -1;
	j->reply_len = (size_t)n;
	j->code = SC_RES_OK;
	atomic_fetch_add(&srv_metrics.challenges, 1);
	return 0;
}

int srv_job_apply(struct srv *s, struct srv_store *st, struct srv_batch *b, struct srv_job *j)
{
	if (j->kind == JOB_CHALLENGE)
		return issue_challenge(s, st, j);
	if ((j->kind == JOB_SCRIPT_GET || j->kind == JOB_SCRIPT_REPORT) &&
	    st->ops->script(st, s, j) != 0)
		return -1;
	if (j->kind == JOB_SUBMIT && j->snap.tx && settle(s, st, b, j) != 0)
		return -1;
	return audit(st, j);
}
