/* One submission from bytes to reply. On a verify thread: parse, hashes,
 * the card's key (cached), signature, joint password, deciding nothing but
 * MALFORMED. On the writer thread, inside its transaction: exactly-once
 * lookup -> challenge -> card -> signature verdict -> password verdict ->
 * counter -> execute, the receipt sealed with its batch. Unauthenticated
 * input reaches the database only as an audit row. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "common/errors.h"
#include "common/hex.h"
#include "server.h"

/* A db_checks outcome besides a result code. */
#define GO_ON (-1)
#define DB_FAILED (-2)

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

__attribute__((format(printf, 3, 4)))
static int decide(struct srv_job *j, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->detail, sizeof(j->detail), fmt, ap);
	va_end(ap);
	srv_job_reply_error(j, code, j->detail);
	return code;
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

int srv_decline_insert(struct srv_db *db, const struct srv_job *j)
{
	sqlite3_stmt *st = srv_stmt(db, ST_DECLINE_INSERT);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->sub.atc);
	sqlite3_bind_blob(st, 3, j->signed_hash, SC_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, j->sub_hash, SC_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, j->code);
	sqlite3_bind_blob(st, 6, j->reply, (int)j->reply_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, j->counter);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The stored receipt of transfer id, as the reply. */
static int replay_receipt(struct srv_db *db, struct srv_job *j, int64_t id)
{
	sqlite3_stmt *st = srv_stmt(db, ST_RECEIPT_GET);
	int rc;

	if (!st)
		return DB_FAILED;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return DB_FAILED;
	}
	rc = srv_job_reply_sealed(j, SC_RES_OK, sqlite3_column_blob(st, 0),
				  (size_t)sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 1),
				  (size_t)sqlite3_column_bytes(st, 1));
	sqlite3_reset(st);
	return rc == 0 ? SC_RES_OK : DB_FAILED;
}

/* The stored outcome of j's (card, ATC), stepped once: SQLITE_ROW with
 * *stp to read and reset, SQLITE_DONE if none, else an error. */
static int outcome_get(struct srv_db *db, const struct srv_job *j, sqlite3_stmt **stp)
{
	sqlite3_stmt *st = srv_stmt(db, ST_OUTCOME_GET);
	int rc;

	*stp = st;
	if (!st)
		return SQLITE_ERROR;
	sqlite3_bind_blob(st, 1, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->sub.atc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		sqlite3_reset(st);
	return rc;
}

/* The original RESULT of this submission's (card, ATC), byte for byte. An
 * outcome decided earlier in the writer's open batch is not sealed yet:
 * the job becomes that one's twin and gets its reply once the batch is. */
static int replay(struct srv_db *db, struct srv_job *j)
{
	sqlite3_stmt *st;
	int64_t id;
	int code, rc;

	if (j->prior_job) {
		j->twin = j->prior_job;
		j->code = j->twin->code;
		snprintf(j->detail, sizeof(j->detail), "the same payment as one of this batch");
		return j->code;
	}
	if (outcome_get(db, j, &st) != SQLITE_ROW)
		return DB_FAILED;
	code = sqlite3_column_int(st, 2);
	id = sqlite3_column_int64(st, 3);
	if (code != SC_RES_OK) {
		size_t n = (size_t)sqlite3_column_bytes(st, 4);

		rc = n > 0 && n <= sizeof(j->reply) ? SC_RES_OK : DB_FAILED;
		if (rc == SC_RES_OK) {
			memcpy(j->reply, sqlite3_column_blob(st, 4), n);
			j->reply_len = n;
			j->code = code;
		}
	}
	sqlite3_reset(st);
	if (code == SC_RES_OK)
		rc = replay_receipt(db, j, id);
	else if (rc == SC_RES_OK)
		rc = code;
	if (rc != DB_FAILED)
		snprintf(j->detail, sizeof(j->detail), "the original result, replayed");
	return rc;
}

static int same_hash(const void *stored, int stored_len, const uint8_t h[SC_HASH_LEN])
{
	return stored && stored_len == SC_HASH_LEN && memcmp(stored, h, SC_HASH_LEN) == 0;
}

/* What (card, ATC) already holds, in the open batch or the ledger: sets
 * j->prior (and j->prior_job). An identical resend is answered at once
 * (REPLAYED); anything else is answered only behind the signature. */
#define REPLAYED (-3)
static int find_prior(struct srv_db *db, struct srv_batch *b, struct srv_job *j)
{
	sqlite3_stmt *st;
	int rc, same_bytes;

	j->prior = PRIOR_NONE;
	j->prior_job = srv_batch_find(b, j->sub.card_id, j->sub.atc);
	if (j->prior_job) {
		same_bytes = memcmp(j->prior_job->sub_hash, j->sub_hash, SC_HASH_LEN) == 0;
		j->prior = memcmp(j->prior_job->signed_hash, j->signed_hash, SC_HASH_LEN) == 0
				   ? PRIOR_SAME : PRIOR_OTHER;
		return same_bytes ? REPLAYED : GO_ON;
	}
	rc = outcome_get(db, j, &st);
	if (rc == SQLITE_ROW) {
		/* A row of schema 3 has no signed hash: only its own bytes are it. */
		same_bytes = same_hash(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1),
				       j->sub_hash);
		j->prior = same_bytes || same_hash(sqlite3_column_blob(st, 0),
						   sqlite3_column_bytes(st, 0), j->signed_hash)
				   ? PRIOR_SAME : PRIOR_OTHER;
		sqlite3_reset(st);
		return same_bytes ? REPLAYED : GO_ON;
	}
	return rc == SQLITE_DONE ? GO_ON : DB_FAILED;
}

/* The checks that need the database but no crypto, in the issue's order,
 * with exactly-once first: an identical resubmission gets its original
 * RESULT even though its challenge is used by now. Any other submission
 * for a used (card, ATC) goes on to the card and, in the caller, the
 * signature: another copy of the same payment and IDEMPOTENCY_CONFLICT
 * are both answered only once it is authentic. */
static int db_checks(const struct srv *s, struct srv_db *db, struct srv_batch *b,
		     struct srv_job *j, struct srv_card *card)
{
	char hex[2 * SC_CARD_ID_LEN + 1];
	int rc;

	sc_hex_encode(hex, j->sub.card_id, SC_CARD_ID_LEN);
	rc = find_prior(db, b, j);
	if (rc == REPLAYED)
		return replay(db, j);
	if (rc != GO_ON)
		return rc;
	/* A used (card, ATC) consumed its challenge with its outcome, so the
	 * challenge check cannot apply; the card's checks still do. */
	if (j->prior != PRIOR_NONE)
		goto card;

	rc = srv_challenge_check(db, srv_challenge_now(s), &j->tx, j->peer_terminal, j->detail,
				 sizeof(j->detail));
	if (rc < 0)
		return DB_FAILED;
	if (rc != SC_RES_OK) {
		srv_job_reply_error(j, rc, j->detail);
		return rc;
	}

card:
	/* A blocked card is a final decline, made once the message is
	 * authentic (settle); here only an unknown one is refused. */
	rc = srv_card_get(db, j->sub.card_id, card);
	if (rc < 0)
		return DB_FAILED;
	if (rc == 0 || card->status == CARD_PREPARED || !card->has_pubkey)
		return decide(j, SC_RES_UNKNOWN_CARD, "card %s is not enrolled", hex);
	return GO_ON;
}

static int conflict(struct srv_job *j)
{
	char hex[2 * SC_CARD_ID_LEN + 1];

	sc_hex_encode(hex, j->sub.card_id, SC_CARD_ID_LEN);
	return decide(j, SC_RES_IDEMPOTENCY_CONFLICT,
		      "card %s counter %u was already used for another transaction", hex,
		      (unsigned)j->sub.atc);
}

/* Wrong passwords recorded against this signed message so far. */
static int message_failures(struct srv_db *db, const struct srv_job *j)
{
	sqlite3_stmt *st = srv_stmt(db, ST_MSGFAIL_GET);
	int n = 0, rc;

	if (!st)
		return DB_FAILED;
	sqlite3_bind_blob(st, 1, j->signed_hash, SC_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : DB_FAILED;
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
	uint8_t kcard[SC_KCARD_LEN];
	struct timespec t0;
	EVP_PKEY_CTX *vctx = NULL;
	int n, rc, xl;

	j->code = -1;
	j->key_known = 0;
	j->sig_ok = 0;
	j->jp_ok = 0;
	if ((rc = sc_submit_decode(&j->sub, j->body, j->body_len)) != 0) {
		decide(j, SC_RES_MALFORMED, "SUBMIT: %s", sc_strerror(rc));
		return;
	}
	if ((rc = sc_tx_decode(&j->tx, j->sub.tx, j->sub.tx_len)) != 0) {
		decide(j, SC_RES_MALFORMED, "transaction: %s", sc_strerror(rc));
		return;
	}
	xl = sc_scheme_x_len(j->tx.scheme);
	if (xl < 0 || (size_t)xl != j->sub.x_len) {
		decide(j, SC_RES_MALFORMED, "scheme %s takes a %d-byte X, not %zu",
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
		decide(j, SC_RES_RETRY_LATER, "hashing failed");
		return;
	}
	rc = srv_keycache_get(kc, db, j->sub.card_id, j->key, &vctx);
	if (rc < 0) {
		decide(j, SC_RES_RETRY_LATER, "the ledger could not be read");
		return;
	}
	if (rc == 0)
		return; /* no enrolled key: the writer says which error comes first */
	j->key_known = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->sig_ok = srv_ecdsa_verify_ctx(vctx, j->signed_hash, j->sub.sig, j->sub.sig_len);
	/* The password is checked only behind an authentic signature. */
	if (j->sig_ok) {
		if (sc_kcard_derive(s->master_key, j->sub.card_id, kcard) != 0) {
			decide(j, SC_RES_RETRY_LATER, "key derivation failed");
			return;
		}
		j->jp_ok = sc_jp_check(j->tx.scheme, kcard, j->sub.jp, j->sub.x, j->sub.x_len) == 0;
		sc_wipe(kcard, sizeof(kcard));
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

static int audit(struct srv_db *db, const struct srv_job *j)
{
	sqlite3_stmt *st;
	int64_t now = srv_now_ms();
	size_t len = j->body_len;
	int rc;

	if (!j->sig_ok) {
		if (!audit_sample_due(now))
			return 0;
		if (len > SRV_AUDIT_SAMPLE_BYTES)
			len = SRV_AUDIT_SAMPLE_BYTES;
	}
	st = srv_stmt(db, ST_AUDIT_INSERT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, j->peer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, j->body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, j->code);
	sqlite3_bind_text(st, 5, j->detail, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A wrong password on an authentic message: counted against the message
 * and the card, which is blocked at the limit. */
static int record_jp_failure(struct srv *s, struct srv_db *db, struct srv_job *j, int failures)
{
	sqlite3_stmt *st = srv_stmt(db, ST_MSGFAIL_ADD);
	int card_failures, status, rc;

	if (!st)
		return DB_FAILED;
	sqlite3_bind_blob(st, 1, j->signed_hash, SC_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return DB_FAILED;
	st = srv_stmt(db, ST_CARD_JP_FAIL);
	if (!st)
		return DB_FAILED;
	sqlite3_bind_blob(st, 1, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, s->cfg.card_jp_limit);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return DB_FAILED;
	}
	card_failures = sqlite3_column_int(st, 0);
	status = sqlite3_column_int(st, 1);
	while (sqlite3_step(st) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (status == CARD_BLOCKED) {
		char hex[2 * SC_CARD_ID_LEN + 1];

		sc_hex_encode(hex, j->sub.card_id, SC_CARD_ID_LEN);
		log_warnx("card %s blocked after %d wrong joint passwords", hex, card_failures);
		return decide(j, SC_RES_AUTH_FAILED,
			      "wrong joint password; the card is now blocked");
	}
	return decide(j, SC_RES_AUTH_FAILED, "wrong joint password (%d of %d for this message)",
		      failures + 1, SRV_MESSAGE_JP_LIMIT);
}

/* The outcome's receipt, to be sealed with the batch before COMMIT: it
 * names the (card, ATC) and transaction and says OK with the transfer, or
 * the decline's code and reason (j->detail). No balance: the receipt goes
 * to the merchant's terminal. */
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
	if (code != SC_RES_OK) /* decline() kept the detail this short */
		memcpy(r.reason, j->detail, SC_RECEIPT_REASON_MAX);
	n = sc_receipt_encode(j->receipt, sizeof(j->receipt), &r);
	if (n < 0)
		return DB_FAILED;
	j->receipt_len = (size_t)n;
	j->transfer_id = transfer_id;
	j->counter = (int64_t)r.counter;
	if (srv_batch_add(b, j) != 0)
		return DB_FAILED;
	j->code = code;
	return code;
}

static int use_challenge(struct srv_db *db, const struct srv_job *j)
{
	sqlite3_stmt *st = srv_stmt(db, ST_CHALLENGE_USE);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, j->tx.challenge, SC_CHALLENGE_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A final decline's reason, as short as the receipt keeps it. */
__attribute__((format(printf, 2, 3)))
static void set_reason(struct srv_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->detail, SC_RECEIPT_REASON_MAX + 1, fmt, ap);
	va_end(ap);
}

/* A final decline of an authenticated submission: like a payment, it
 * consumes its challenge and its (card, ATC) and is sealed with the batch,
 * so every resend gets the same answer, also once the refusal's cause is
 * gone. Its reason, already in j->detail, goes into the sealed receipt and
 * the RESULT's text, so it is at most SC_RECEIPT_REASON_MAX long and names
 * no balance. */
static int decline(struct srv *s, struct srv_batch *b, struct srv_db *db, struct srv_job *j,
		   int code)
{
	j->code = code;
	if (use_challenge(db, j) != 0)
		return DB_FAILED;
	return seal_later(s, b, j, code, 0);
}

/* Debit, credit, counter, challenge: all or nothing, in the writer's
 * transaction; the receipt joins the batch, to be sealed before COMMIT.
 * Each business refusal is a final decline: the rules the pre-check asks
 * too (rules.c), then the funds, which only an authenticated SUBMIT may
 * learn. */
static int execute(struct srv *s, struct srv_db *db, struct srv_batch *b, struct srv_job *j,
		   const struct srv_card *card)
{
	const struct sc_tx *tx = &j->tx;
	struct srv_account payer;
	struct srv_card_ref ref;
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	rc = srv_payment_rules(db, s->cfg.max_amount, card, tx, &payer, j->detail,
			       SC_RECEIPT_REASON_MAX + 1);
	if (rc < 0)
		return DB_FAILED;
	if (rc != SC_RES_OK)
		return decline(s, b, db, j, rc);
	/* The amount, never the balance: the text goes into the receipt the
	 * merchant's terminal gets. */
	if ((uint64_t)payer.balance < tx->amount) {
		char amount[SRV_MONEY_TEXT_MAX];

		srv_money_text(amount, (int64_t)tx->amount, tx->currency);
		set_reason(j, "amount %s is above the balance", amount);
		return decline(s, b, db, j, SC_RES_INSUFFICIENT_FUNDS);
	}

	ref.card_id = j->sub.card_id;
	ref.atc = j->sub.atc;
	ref.tx_hash = j->tx_hash;
	ref.sub_hash = j->sub_hash;
	ref.signed_hash = j->signed_hash;
	id = srv_transfer_book(db, tx->payer, tx->payee, tx->amount, tx->currency, &ref,
			       srv_now_ms());
	if (id < 0)
		return DB_FAILED;
	if (!(st = srv_stmt(db, ST_CARD_ACCEPT)))
		return DB_FAILED;
	sqlite3_bind_blob(st, 1, j->sub.card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->sub.atc);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || use_challenge(db, j) != 0)
		return DB_FAILED;
	j->detail[0] = '\0';
	return seal_later(s, b, j, SC_RES_OK, id);
}

/* Writer stage of a SUBMIT the verify stage parsed: every check that reads
 * state is made here, under the write lock, in the issue's order; the
 * signature and password are the verify stage's verdicts. */
static int settle(struct srv *s, struct srv_db *db, struct srv_batch *b, struct srv_job *j)
{
	struct srv_card card;
	int rc, failures;

	if ((rc = db_checks(s, db, b, j, &card)) != GO_ON)
		return rc;
	/* The verify stage checked with the key it had; a card enrolled or
	 * re-keyed since is checked again, by the resubmission. */
	if (!j->key_known || memcmp(j->key, card.pubkey, SC_PUBKEY_LEN) != 0) {
		atomic_fetch_add(&s->key_generation, 1);
		return decide(j, SC_RES_RETRY_LATER,
			      "the card's key changed while this was checked; resubmit");
	}
	if (!j->sig_ok)
		return decide(j, SC_RES_AUTH_FAILED, "the signature does not verify for this card");
	/* Authentic, for a (card, ATC) that holds another signed message. */
	if (j->prior == PRIOR_OTHER)
		return conflict(j);
	/* Another valid signature over the same signed data (s and n - s, or
	 * the card signing the same data twice) is the same payment: it gets
	 * the original answer. Its password is checked but not counted, since
	 * the message can never execute again. */
	if (j->prior == PRIOR_SAME) {
		if (!j->jp_ok)
			return decide(j, SC_RES_AUTH_FAILED,
				      "wrong joint password for a payment already answered");
		return replay(db, j);
	}
	if ((failures = message_failures(db, j)) == DB_FAILED)
		return DB_FAILED;
	if (failures >= SRV_MESSAGE_JP_LIMIT)
		return decide(j, SC_RES_AUTH_FAILED,
			      "this signed message is void after %d wrong passwords",
			      SRV_MESSAGE_JP_LIMIT);
	if (!j->jp_ok)
		return record_jp_failure(s, db, j, failures);
	/* Only now, authenticated, may the counter matter: an unauthenticated
	 * 2^32-1 never reaches this line, so it cannot burn the counter. */
	if ((int64_t)j->sub.atc <= card.last_atc)
		return decide(j, SC_RES_STALE_COUNTER, "counter %u is not above %lld",
			      (unsigned)j->sub.atc, (long long)card.last_atc);
	return execute(s, db, b, j, &card);
}

static int issue_challenge(struct srv *s, struct srv_db *db, struct srv_job *j)
{
	char tid[SC_TERMINAL_ID_MAX + 1];
	uint8_t ch[SC_CHALLENGE_LEN];
	sqlite3_stmt *st;
	int n, rc;

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
	if (srv_random(ch, sizeof(ch)) != 0 || !(st = srv_stmt(db, ST_CHALLENGE_INSERT)))
		return -1;
	sqlite3_bind_blob(st, 1, ch, sizeof(ch), SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, srv_challenge_now(s) + (int64_t)s->cfg.challenge_ttl * 1000);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	n = sc_challenge_encode(j->reply, sizeof(j->reply), ch, s->cfg.challenge_ttl);
	if (n < 0)
		return -1;
	j->reply_len = (size_t)n;
	j->code = SC_RES_OK;
	atomic_fetch_add(&srv_metrics.challenges, 1);
	return 0;
}

int srv_job_apply(struct srv *s, struct srv_db *db, struct srv_batch *b, struct srv_job *j)
{
	int rc;

	if (j->kind == JOB_CHALLENGE)
		return issue_challenge(s, db, j);
	if ((j->kind == JOB_SCRIPT_GET || j->kind == JOB_SCRIPT_REPORT) &&
	    srv_script_apply(s, db, j) != 0)
		return -1;
	if (j->kind == JOB_SUBMIT && j->code < 0) {
		rc = settle(s, db, b, j);
		if (rc == DB_FAILED || rc < 0)
			return -1;
	}
	if (audit(db, j) != 0)
		return -1;
	return 0;
}
