/* The decision on a SUBMIT, and the rules the pre-check shares with it,
 * over a snapshot (decide.h): one home for each check, pure. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/errors.h"
#include "common/hex.h"
#include "decide.h"

__attribute__((format(printf, 4, 5)))
static int refuse(char *why, size_t cap, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return code;
}

int srv_challenge_verdict(const struct srv_snapshot *sn, char *why, size_t cap)
{
	const struct srv_challenge_row *row = &sn->challenge;
	const struct sc_tx *tx = sn->tx;
	int64_t now_ms = sn->now_ms;

	/* The certificate says who is asking; the transaction only what the
	 * terminal told the card. A challenge is issued to the certificate's
	 * id (pipeline.c), so this also refuses one used under another's. */
	if (sn->peer_terminal && sn->peer_terminal[0] &&
	    strcmp(sn->peer_terminal, tx->terminal_id) != 0)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID,
			      "the transaction names terminal %s, the peer's certificate %s",
			      tx->terminal_id, sn->peer_terminal);
	if (!row->found)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID,
			      "this server never issued the challenge");
	if (strcmp(row->terminal_id, tx->terminal_id) != 0)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID,
			      "the challenge was issued to another terminal");
	if (row->used)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID, "the challenge was used already");
	if (now_ms >= row->expires_ms)
		return refuse(why, cap, SC_RES_CHALLENGE_INVALID, "the challenge has expired");
	return SC_RES_OK;
}

int srv_payment_rules(const struct srv_snapshot *sn, char *why, size_t cap)
{
	const struct sc_tx *tx = sn->tx;
	const struct srv_account *payer = &sn->payer, *payee = &sn->payee;

	if (sn->card.status == CARD_BLOCKED)
		return refuse(why, cap, SC_RES_CARD_BLOCKED, "the card is blocked");
	if (strcmp(tx->payer, sn->card.account) != 0)
		return refuse(why, cap, SC_RES_UNKNOWN_ACCOUNT, "payer %s is not the card's account",
			      tx->payer);
	if (strcmp(tx->payer, tx->payee) == 0)
		return refuse(why, cap, SC_RES_SAME_ACCOUNT, "payer and payee are both %s",
			      tx->payer);
	if (!sn->payer_found)
		return refuse(why, cap, SC_RES_UNKNOWN_ACCOUNT, "no account %s", tx->payer);
	/* The issuer's equity is an account but takes no payments. */
	if (!sn->payee_found || (payee->flags & SRV_ACCOUNT_ISSUER))
		return refuse(why, cap, SC_RES_UNKNOWN_ACCOUNT, "no account %s", tx->payee);
	if (tx->currency != payer->currency || tx->currency != payee->currency) {
		char in_tx[SRV_CURRENCY_TEXT_MAX], in_payer[SRV_CURRENCY_TEXT_MAX],
			in_payee[SRV_CURRENCY_TEXT_MAX];

		srv_currency_text(in_tx, tx->currency);
		srv_currency_text(in_payer, payer->currency);
		srv_currency_text(in_payee, payee->currency);
		return refuse(why, cap, SC_RES_CURRENCY_MISMATCH,
			      "transaction in %s, payer account in %s, payee account in %s", in_tx,
			      in_payer, in_payee);
	}
	if (tx->amount > sn->limits.max_amount ||
	    tx->amount > (uint64_t)(INT64_MAX - payee->balance)) {
		char amount[SRV_MONEY_TEXT_MAX], limit[SRV_MONEY_TEXT_MAX];

		srv_money_text(amount, (int64_t)tx->amount, tx->currency);
		srv_money_text(limit, (int64_t)sn->limits.max_amount, tx->currency);
		return refuse(why, cap, SC_RES_BAD_AMOUNT, "amount %s is above the limit of %s",
			      amount, limit);
	}
	return SC_RES_OK;
}

/* The card may be used at all: enrolled, with a key. */
static int card_enrolled(const struct srv_snapshot *sn)
{
	return sn->card_found && sn->card.status != CARD_PREPARED && sn->card.has_pubkey;
}

static int not_enrolled(const struct srv_snapshot *sn, char *why, size_t cap)
{
	char hex[2 * SC_CARD_ID_LEN + 1];

	sc_hex_encode(hex, sn->card_id, SC_CARD_ID_LEN);
	return refuse(why, cap, SC_RES_UNKNOWN_CARD, "card %s is not enrolled", hex);
}

int srv_precheck_decide(const struct srv_snapshot *sn, char *why, size_t cap)
{
	int rc = srv_challenge_verdict(sn, why, cap);

	if (rc != SC_RES_OK)
		return rc;
	if (!card_enrolled(sn))
		return not_enrolled(sn, why, cap);
	return srv_payment_rules(sn, why, cap);
}

static void add(struct srv_decision *d, enum srv_write_kind kind, int64_t value, int blocked)
{
	/* SRV_WRITES_MAX is the longest path's count (a payment: 7). */
	if (d->n_writes < SRV_WRITES_MAX)
		d->writes[d->n_writes++] = (struct srv_write){kind, value, blocked};
}

__attribute__((format(printf, 4, 5)))
static void verdict(struct srv_decision *d, enum srv_verdict v, int code, const char *fmt, ...)
{
	va_list ap;

	d->verdict = v;
	d->code = code;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

/* The original outcome of (card, ATC): sealed already (its stored bytes),
 * or earlier in this batch (its twin, answered once the batch is). */
static void replay(const struct srv_snapshot *sn, struct srv_decision *d)
{
	if (sn->prior_in_batch)
		verdict(d, SRV_TWIN, sn->prior_code, "the same payment as one of this batch");
	else
		verdict(d, SRV_REPLAY, sn->prior_code, "the original result, replayed");
}

/* A final decline of an authenticated submission: like a payment, it
 * consumes its challenge and its (card, ATC) and is sealed, so every resend
 * gets the same answer, also once the refusal's cause is gone. Its reason
 * goes into the receipt, so it fits SC_RECEIPT_REASON_MAX and names no
 * balance. */
static void decline(struct srv_decision *d, int code)
{
	d->verdict = SRV_SEAL;
	d->code = code;
	add(d, SRV_W_CHALLENGE_USE, 0, 0);
	add(d, SRV_W_OUTCOME, 0, 0);
}

/* Debit, credit, transfer, counter, challenge, outcome; or a final
 * decline on the rules the pre-check asks too, then on the funds, which
 * only an authenticated SUBMIT may learn. */
static void execute(const struct srv_snapshot *sn, struct srv_decision *d)
{
	const struct sc_tx *tx = sn->tx;
	char amount[SRV_MONEY_TEXT_MAX];
	int rc;

	rc = srv_payment_rules(sn, d->reason, SC_RECEIPT_REASON_MAX + 1);
	if (rc != SC_RES_OK) {
		decline(d, rc);
		return;
	}
	/* The amount, never the balance: the text goes into the receipt the
	 * merchant's terminal gets. */
	if ((uint64_t)sn->payer.balance < tx->amount) {
		srv_money_text(amount, (int64_t)tx->amount, tx->currency);
		refuse(d->reason, SC_RECEIPT_REASON_MAX + 1, 0, "amount %s is above the balance",
		       amount);
		decline(d, SC_RES_INSUFFICIENT_FUNDS);
		return;
	}
	d->verdict = SRV_SEAL;
	d->code = SC_RES_OK;
	d->reason[0] = '\0';
	add(d, SRV_W_DEBIT, (int64_t)tx->amount, 0);
	add(d, SRV_W_CREDIT, (int64_t)tx->amount, 0);
	add(d, SRV_W_TRANSFER, (int64_t)tx->amount, 0);
	add(d, SRV_W_CARD_ACCEPT, 0, 0);
	add(d, SRV_W_CHALLENGE_USE, 0, 0);
	add(d, SRV_W_OUTCOME, 0, 0);
}

/* A wrong password on an authentic message: counted against the message
 * and the card, which is blocked at the limit. */
static void jp_failure(const struct srv_snapshot *sn, struct srv_decision *d)
{
	int card_failures = sn->card.jp_failures + 1;
	int blocked = card_failures >= sn->limits.card_jp_limit || sn->card.status == CARD_BLOCKED;

	add(d, SRV_W_MESSAGE_FAILURE, sn->message_failures + 1, 0);
	add(d, SRV_W_CARD_FAILURE, card_failures, blocked);
	if (blocked)
		verdict(d, SRV_ANSWER, SC_RES_AUTH_FAILED,
			"wrong joint password; the card is now blocked");
	else
		verdict(d, SRV_ANSWER, SC_RES_AUTH_FAILED,
			"wrong joint password (%d of %d for this message)",
			sn->message_failures + 1, SRV_MESSAGE_JP_LIMIT);
}

/* The checks in the issue's order, exactly-once first: an identical
 * resubmission gets its original RESULT even though its challenge is used
 * by now. Any other submission for a used (card, ATC) goes on to the card
 * and the signature: another copy of the same payment and
 * IDEMPOTENCY_CONFLICT are both answered only once it is authentic. */
static void checks(const struct srv_snapshot *sn, struct srv_decision *d)
{
	const struct srv_verify_result *v = &sn->verify;
	char hex[2 * SC_CARD_ID_LEN + 1];

	if (sn->prior != PRIOR_NONE && sn->prior_same_bytes) {
		replay(sn, d);
		return;
	}
	/* A used (card, ATC) consumed its challenge with its outcome, so the
	 * challenge check cannot apply; the card's checks still do. */
	if (sn->prior == PRIOR_NONE &&
	    srv_challenge_verdict(sn, d->reason,
				  sizeof(d->reason)) != SC_RES_OK) {
		d->code = SC_RES_CHALLENGE_INVALID;
		return;
	}
	/* A blocked card is a final decline, made once the message is
	 * authentic (execute); here only an unknown one is refused. */
	if (!card_enrolled(sn)) {
		d->code = not_enrolled(sn, d->reason, sizeof(d->reason));
		return;
	}
	/* The verify stage checked with the key it had; a card enrolled or
	 * re-keyed since is checked again, by the resubmission. */
	if (!v->key_known || memcmp(v->key, sn->card.pubkey, SC_PUBKEY_LEN) != 0) {
		verdict(d, SRV_KEY_STALE, SC_RES_RETRY_LATER,
			"the card's key changed while this was checked; resubmit");
		return;
	}
	if (!v->sig_ok) {
		verdict(d, SRV_ANSWER, SC_RES_AUTH_FAILED,
			"the signature does not verify for this card");
		return;
	}
	/* Authentic, for a (card, ATC) that holds another signed message. */
	if (sn->prior == PRIOR_OTHER) {
		sc_hex_encode(hex, sn->card_id, SC_CARD_ID_LEN);
		verdict(d, SRV_ANSWER, SC_RES_IDEMPOTENCY_CONFLICT,
			"card %s counter %u was already used for another transaction", hex,
			(unsigned)sn->atc);
		return;
	}
	/* Another valid signature over the same signed data (s and n - s, or
	 * the card signing the same data twice) is the same payment: it gets
	 * the original answer. Its password is checked but not counted, since
	 * the message can never execute again. */
	if (sn->prior == PRIOR_SAME) {
		if (!v->jp_ok)
			verdict(d, SRV_ANSWER, SC_RES_AUTH_FAILED,
				"wrong joint password for a payment already answered");
		else
			replay(sn, d);
		return;
	}
	if (sn->message_failures >= SRV_MESSAGE_JP_LIMIT) {
		verdict(d, SRV_ANSWER, SC_RES_AUTH_FAILED,
			"this signed message is void after %d wrong passwords",
			SRV_MESSAGE_JP_LIMIT);
		return;
	}
	if (!v->jp_ok) {
		jp_failure(sn, d);
		return;
	}
	/* Only now, authenticated, may the counter matter: an unauthenticated
	 * 2^32-1 never reaches this line, so it cannot burn the counter. */
	if ((int64_t)sn->atc <= sn->card.last_atc) {
		verdict(d, SRV_ANSWER, SC_RES_STALE_COUNTER, "counter %u is not above %lld",
			(unsigned)sn->atc, (long long)sn->card.last_atc);
		return;
	}
	execute(sn, d);
}

void srv_decide(const struct srv_snapshot *sn, struct srv_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = SRV_ANSWER;
	checks(sn, d);
	/* Unauthenticated input reaches the ledger only as a sampled audit row. */
	add(d, SRV_W_AUDIT, sn->verify.sig_ok ? 1 : 0, 0);
}

const struct srv_write *srv_decision_write(const struct srv_decision *d,
					   enum srv_write_kind kind)
{
	for (size_t i = 0; i < d->n_writes; i++)
		if (d->writes[i].kind == kind)
			return &d->writes[i];
	return NULL;
}

void srv_snapshot_prior_in_batch(struct srv_snapshot *later, const struct srv_snapshot *earlier,
				 int code)
{
	later->prior = memcmp(later->signed_hash, earlier->signed_hash, SC_HASH_LEN) == 0
			       ? PRIOR_SAME : PRIOR_OTHER;
	later->prior_same_bytes = memcmp(later->sub_hash, earlier->sub_hash, SC_HASH_LEN) == 0;
	later->prior_in_batch = 1;
	later->prior_code = code;
}

static void account_follow(int found, struct srv_account *a, const char *id, int64_t delta)
{
	if (found && strcmp(a->id, id) == 0)
		a->balance += delta;
}

void srv_snapshot_follow(struct srv_snapshot *later, const struct srv_snapshot *earlier,
			 const struct srv_decision *d)
{
	int same_card = memcmp(later->card_id, earlier->card_id, SC_CARD_ID_LEN) == 0;

	for (size_t i = 0; i < d->n_writes; i++) {
		const struct srv_write *w = &d->writes[i];

		switch (w->kind) {
		case SRV_W_MESSAGE_FAILURE:
			if (memcmp(later->signed_hash, earlier->signed_hash, SC_HASH_LEN) == 0)
				later->message_failures = (int)w->value;
			break;
		case SRV_W_CARD_FAILURE:
			if (same_card) {
				later->card.jp_failures = (int)w->value;
				if (w->blocked)
					later->card.status = CARD_BLOCKED;
			}
			break;
		case SRV_W_CHALLENGE_USE:
			if (memcmp(later->tx->challenge, earlier->tx->challenge,
				   SC_CHALLENGE_LEN) == 0)
				later->challenge.used = 1;
			break;
		case SRV_W_DEBIT:
			account_follow(later->payer_found, &later->payer, earlier->tx->payer, -w->value);
			account_follow(later->payee_found, &later->payee, earlier->tx->payer, -w->value);
			break;
		case SRV_W_CREDIT:
			account_follow(later->payer_found, &later->payer, earlier->tx->payee, w->value);
			account_follow(later->payee_found, &later->payee, earlier->tx->payee, w->value);
			break;
		case SRV_W_CARD_ACCEPT:
			if (same_card) {
				later->card.last_atc = earlier->atc;
				later->card.jp_failures = 0;
			}
			break;
		case SRV_W_OUTCOME:
			if (same_card && later->atc == earlier->atc)
				srv_snapshot_prior_in_batch(later, earlier, d->code);
			break;
		case SRV_W_TRANSFER:
		case SRV_W_AUDIT:
			break; /* rows no decision reads */
		}
	}
}
