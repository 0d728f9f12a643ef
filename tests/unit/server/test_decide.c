/* The writer's decision (server/decide.c) as the pure function it is: the
 * issue's order of checks from a table, one row per case, each asserting
 * the verdict, the code, the reason and the exact list of writes, with the
 * clock injected (a challenge's expiry at the boundary, a ms either side);
 * then a batch decided in order over snapshots loaded at once
 * (srv_snapshot_follow): each decision sees the earlier ones' writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "common/errors.h"
#include "server/decide.h"

#define NOW 1700000000000LL
#define TTL 60000LL

static const uint8_t CARD[SC_CARD_ID_LEN] = {0x5c, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t OTHER_CARD[SC_CARD_ID_LEN] = {0x5c, 0, 0, 0, 0, 0, 0, 2};

/* One submission and the rows it reads; the snapshot points into it. */
struct sub {
	struct sc_tx tx;
	uint8_t card_id[SC_CARD_ID_LEN];
	uint8_t signed_hash[SC_HASH_LEN], sub_hash[SC_HASH_LEN];
	uint8_t key[SC_PUBKEY_LEN];
	struct srv_snapshot sn;
};

/* A payment that passes every check: card CARD of ALICE (1000.00 EUR) at
 * ATC 5 pays 5.00 EUR to BOB on a live challenge of terminal T-1. */
static void good(struct sub *u)
{
	struct srv_snapshot *sn = &u->sn;

	memset(u, 0, sizeof(*u));
	u->tx.version = SC_TX_VERSION;
	u->tx.amount = 500;
	u->tx.currency = 978;
	snprintf(u->tx.payer, sizeof(u->tx.payer), "ALICE");
	snprintf(u->tx.payee, sizeof(u->tx.payee), "BOB");
	snprintf(u->tx.terminal_id, sizeof(u->tx.terminal_id), "T-1");
	memset(u->tx.challenge, 0xC1, SC_CHALLENGE_LEN);
	memcpy(u->card_id, CARD, SC_CARD_ID_LEN);
	memset(u->signed_hash, 0xAA, SC_HASH_LEN);
	memset(u->sub_hash, 0xBB, SC_HASH_LEN);
	memset(u->key, 0x04, SC_PUBKEY_LEN);

	sn->tx = &u->tx;
	sn->card_id = u->card_id;
	sn->atc = 5;
	sn->signed_hash = u->signed_hash;
	sn->sub_hash = u->sub_hash;
	sn->verify = (struct srv_verify_result){1, u->key, 1, 1};
	sn->prior = PRIOR_NONE;
	sn->challenge.found = 1;
	snprintf(sn->challenge.terminal_id, sizeof(sn->challenge.terminal_id), "T-1");
	sn->challenge.expires_ms = NOW + TTL;
	sn->card_found = 1;
	memcpy(sn->card.id, CARD, SC_CARD_ID_LEN);
	snprintf(sn->card.account, sizeof(sn->card.account), "ALICE");
	memcpy(sn->card.pubkey, u->key, SC_PUBKEY_LEN);
	sn->card.has_pubkey = 1;
	sn->card.status = CARD_ACTIVE;
	sn->card.last_atc = 4;
	sn->payer_found = sn->payee_found = 1;
	sn->payer = (struct srv_account){"ALICE", 978, 100000, 0};
	sn->payee = (struct srv_account){"BOB", 978, 0, 0};
	sn->now_ms = NOW;
	sn->limits.max_amount = 100000;
	sn->limits.card_jp_limit = 5;
}

/* ---- the changes from good() that make each case */
static void no_change(struct sub *u) { (void)u; }
static void sealed_resend(struct sub *u)
{
	u->sn.prior = PRIOR_SAME;
	u->sn.prior_same_bytes = 1;
	u->sn.prior_code = SC_RES_OK;
	u->sn.challenge.used = 1;    /* spent by the original: replay comes first */
	u->sn.verify.sig_ok = 0;     /* identical bytes are answered before the signature */
	u->sn.verify.jp_ok = 0;
}
static void sealed_decline_resend(struct sub *u)
{
	sealed_resend(u);
	u->sn.prior_code = SC_RES_INSUFFICIENT_FUNDS;
}
static void resend_in_batch(struct sub *u)
{
	sealed_resend(u);
	u->sn.prior_in_batch = 1;
}
static void challenge_unknown(struct sub *u) { u->sn.challenge.found = 0; }
static void challenge_used(struct sub *u) { u->sn.challenge.used = 1; }
static void challenge_other_terminal(struct sub *u)
{
	snprintf(u->sn.challenge.terminal_id, sizeof(u->sn.challenge.terminal_id), "T-2");
}
/* Over TLS: the certificate is T-2's, the transaction (and challenge) T-1's. */
static void certificate_of_another_terminal(struct sub *u) { u->sn.peer_terminal = "T-2"; }
static void certificate_of_this_terminal(struct sub *u) { u->sn.peer_terminal = "T-1"; }
static void expires_in_1ms(struct sub *u) { u->sn.now_ms = NOW + TTL - 1; }
static void expires_now(struct sub *u) { u->sn.now_ms = NOW + TTL; }
static void expired_1ms_ago(struct sub *u) { u->sn.now_ms = NOW + TTL + 1; }
static void card_unknown(struct sub *u) { u->sn.card_found = 0; }
static void card_prepared(struct sub *u) { u->sn.card.status = CARD_PREPARED; }
static void card_without_key(struct sub *u) { u->sn.card.has_pubkey = 0; }
static void challenge_before_card(struct sub *u)
{
	u->sn.challenge.found = 0;
	u->sn.card_found = 0;
}
static void key_changed(struct sub *u) { u->sn.card.pubkey[10] ^= 1; }
static void key_unknown_to_verify(struct sub *u)
{
	u->sn.verify.key_known = 0; /* no key, so nothing was verified */
	u->sn.verify.sig_ok = 0;
	u->sn.verify.jp_ok = 0;
}
static void bad_signature(struct sub *u)
{
	u->sn.verify.sig_ok = 0;
	u->sn.verify.jp_ok = 0;
}
static void blocked_card(struct sub *u) { u->sn.card.status = CARD_BLOCKED; }
static void blocked_card_bad_signature(struct sub *u)
{
	blocked_card(u);
	bad_signature(u);
}
static void wrong_jp(struct sub *u) { u->sn.verify.jp_ok = 0; }
static void wrong_jp_second(struct sub *u)
{
	wrong_jp(u);
	u->sn.message_failures = 1;
	u->sn.card.jp_failures = 1;
}
static void wrong_jp_blocks(struct sub *u)
{
	wrong_jp(u);
	u->sn.message_failures = 2;
	u->sn.card.jp_failures = 4;
}
static void wrong_jp_blocked_card(struct sub *u)
{
	wrong_jp(u);
	blocked_card(u);
}
static void message_void(struct sub *u) { u->sn.message_failures = 3; }
static void used_counter_other_message(struct sub *u)
{
	u->sn.prior = PRIOR_OTHER;
	u->sn.challenge.found = 0; /* consumed with the outcome: not asked */
}
static void used_counter_bad_signature(struct sub *u)
{
	used_counter_other_message(u);
	bad_signature(u);
}
static void same_payment_other_bytes(struct sub *u)
{
	u->sn.prior = PRIOR_SAME;
	u->sn.prior_code = SC_RES_OK;
	u->sn.challenge.used = 1;
}
static void same_payment_wrong_jp(struct sub *u)
{
	same_payment_other_bytes(u);
	wrong_jp(u);
}
static void stale_counter(struct sub *u) { u->sn.card.last_atc = 5; }
static void first_payment(struct sub *u) { u->sn.card.last_atc = -1; }
static void blocked_card_stale_counter(struct sub *u)
{
	blocked_card(u);
	stale_counter(u);
}
static void whole_balance(struct sub *u) { u->sn.payer.balance = 500; }
static void one_short(struct sub *u) { u->sn.payer.balance = 499; }
static void payer_not_the_cards(struct sub *u)
{
	snprintf(u->tx.payer, sizeof(u->tx.payer), "DAVE");
	u->sn.payer = (struct srv_account){"DAVE", 978, 100000, 0};
}
static void pays_itself(struct sub *u)
{
	snprintf(u->tx.payee, sizeof(u->tx.payee), "ALICE");
	u->sn.payee = u->sn.payer;
}
static void payee_unknown(struct sub *u) { u->sn.payee_found = 0; }
static void payee_is_equity(struct sub *u) { u->sn.payee.flags = SRV_ACCOUNT_ISSUER; }
static void payee_in_usd(struct sub *u) { u->sn.payee.currency = 840; }
static void above_limit(struct sub *u)
{
	u->tx.amount = 100001;
	u->sn.payer.balance = 200000;
}
static void at_limit(struct sub *u)
{
	u->tx.amount = 100000;
	u->sn.payer.balance = 100000;
}
static void limit_before_funds(struct sub *u)
{
	u->tx.amount = 100001;
	u->sn.payer.balance = 0;
}
static void payee_would_overflow(struct sub *u) { u->sn.payee.balance = INT64_MAX - 499; }

#define W(k, v, b) {SRV_W_##k, v, b}
#define END {-1, 0, 0}
#define PAID                                                                                    \
	{W(DEBIT, 500, 0), W(CREDIT, 500, 0), W(TRANSFER, 500, 0), W(CARD_ACCEPT, 0, 0),        \
	 W(CHALLENGE_USE, 0, 0), W(OUTCOME, 0, 0), W(AUDIT, 1, 0), END}
#define DECLINED {W(CHALLENGE_USE, 0, 0), W(OUTCOME, 0, 0), W(AUDIT, 1, 0), END}
#define NOTHING {W(AUDIT, 1, 0), END}
#define NOTHING_UNAUTH {W(AUDIT, 0, 0), END}

struct want_write {
	int kind;                 /* enum srv_write_kind, -1 ends the list */
	int64_t value;
	int blocked;
};

struct decide_case {
	const char *name;
	void (*change)(struct sub *u);
	enum srv_verdict verdict;
	int code;
	const char *reason;
	struct want_write writes[SRV_WRITES_MAX + 1];
};

static const struct decide_case CASES[] = {
	{"pays", no_change, SRV_SEAL, SC_RES_OK, "", PAID},
	/* exactly once, before everything */
	{"resend of a sealed payment", sealed_resend, SRV_REPLAY, SC_RES_OK,
	 "the original result, replayed", NOTHING_UNAUTH},
	{"resend of a sealed decline", sealed_decline_resend, SRV_REPLAY,
	 SC_RES_INSUFFICIENT_FUNDS, "the original result, replayed", NOTHING_UNAUTH},
	{"resend of one earlier in the batch", resend_in_batch, SRV_TWIN, SC_RES_OK,
	 "the same payment as one of this batch", NOTHING_UNAUTH},
	/* the challenge */
	{"challenge never issued", challenge_unknown, SRV_ANSWER, SC_RES_CHALLENGE_INVALID,
	 "this server never issued the challenge", NOTHING},
	{"challenge used", challenge_used, SRV_ANSWER, SC_RES_CHALLENGE_INVALID,
	 "the challenge was used already", NOTHING},
	{"challenge of another terminal", challenge_other_terminal, SRV_ANSWER,
	 SC_RES_CHALLENGE_INVALID, "the challenge was issued to another terminal", NOTHING},
	{"transaction under another terminal's certificate", certificate_of_another_terminal,
	 SRV_ANSWER, SC_RES_CHALLENGE_INVALID,
	 "the transaction names terminal T-1, the peer's certificate T-2", NOTHING},
	{"transaction under its terminal's certificate", certificate_of_this_terminal, SRV_SEAL,
	 SC_RES_OK, "", PAID},
	{"challenge 1 ms before its expiry", expires_in_1ms, SRV_SEAL, SC_RES_OK, "", PAID},
	{"challenge at its expiry", expires_now, SRV_ANSWER, SC_RES_CHALLENGE_INVALID,
	 "the challenge has expired", NOTHING},
	{"challenge 1 ms after its expiry", expired_1ms_ago, SRV_ANSWER,
	 SC_RES_CHALLENGE_INVALID, "the challenge has expired", NOTHING},
	/* the card */
	{"card unknown", card_unknown, SRV_ANSWER, SC_RES_UNKNOWN_CARD,
	 "card 5c00000000000001 is not enrolled", NOTHING},
	{"card prepared, not enrolled", card_prepared, SRV_ANSWER, SC_RES_UNKNOWN_CARD,
	 "card 5c00000000000001 is not enrolled", NOTHING},
	{"card without a key", card_without_key, SRV_ANSWER, SC_RES_UNKNOWN_CARD,
	 "card 5c00000000000001 is not enrolled", NOTHING},
	{"challenge before card", challenge_before_card, SRV_ANSWER, SC_RES_CHALLENGE_INVALID,
	 "this server never issued the challenge", NOTHING},
	{"card re-keyed since the verify stage", key_changed, SRV_KEY_STALE,
	 SC_RES_RETRY_LATER, "the card's key changed while this was checked; resubmit",
	 NOTHING},
	{"card enrolled since the verify stage", key_unknown_to_verify, SRV_KEY_STALE,
	 SC_RES_RETRY_LATER, "the card's key changed while this was checked; resubmit",
	 NOTHING_UNAUTH},
	/* the signature */
	{"bad signature", bad_signature, SRV_ANSWER, SC_RES_AUTH_FAILED,
	 "the signature does not verify for this card", NOTHING_UNAUTH},
	{"blocked card, bad signature: the signature first", blocked_card_bad_signature,
	 SRV_ANSWER, SC_RES_AUTH_FAILED, "the signature does not verify for this card",
	 NOTHING_UNAUTH},
	{"used counter, another message", used_counter_other_message, SRV_ANSWER,
	 SC_RES_IDEMPOTENCY_CONFLICT,
	 "card 5c00000000000001 counter 5 was already used for another transaction", NOTHING},
	{"used counter, told only to an authentic message", used_counter_bad_signature,
	 SRV_ANSWER, SC_RES_AUTH_FAILED, "the signature does not verify for this card",
	 NOTHING_UNAUTH},
	{"the same payment, other bytes", same_payment_other_bytes, SRV_REPLAY, SC_RES_OK,
	 "the original result, replayed", NOTHING},
	{"the same payment, wrong password: not counted", same_payment_wrong_jp, SRV_ANSWER,
	 SC_RES_AUTH_FAILED, "wrong joint password for a payment already answered", NOTHING},
	/* the password, counted up to the block */
	{"wrong password", wrong_jp, SRV_ANSWER, SC_RES_AUTH_FAILED,
	 "wrong joint password (1 of 3 for this message)",
	 {W(MESSAGE_FAILURE, 1, 0), W(CARD_FAILURE, 1, 0), W(AUDIT, 1, 0), END}},
	{"wrong password again", wrong_jp_second, SRV_ANSWER, SC_RES_AUTH_FAILED,
	 "wrong joint password (2 of 3 for this message)",
	 {W(MESSAGE_FAILURE, 2, 0), W(CARD_FAILURE, 2, 0), W(AUDIT, 1, 0), END}},
	{"wrong password at the card's limit", wrong_jp_blocks, SRV_ANSWER, SC_RES_AUTH_FAILED,
	 "wrong joint password; the card is now blocked",
	 {W(MESSAGE_FAILURE, 3, 0), W(CARD_FAILURE, 5, 1), W(AUDIT, 1, 0), END}},
	{"wrong password on a blocked card: counted first", wrong_jp_blocked_card, SRV_ANSWER,
	 SC_RES_AUTH_FAILED, "wrong joint password; the card is now blocked",
	 {W(MESSAGE_FAILURE, 1, 0), W(CARD_FAILURE, 1, 1), W(AUDIT, 1, 0), END}},
	{"message void after its wrong passwords", message_void, SRV_ANSWER, SC_RES_AUTH_FAILED,
	 "this signed message is void after 3 wrong passwords", NOTHING},
	/* the counter */
	{"counter not above the last", stale_counter, SRV_ANSWER, SC_RES_STALE_COUNTER,
	 "counter 5 is not above 5", NOTHING},
	{"first payment of the card", first_payment, SRV_SEAL, SC_RES_OK, "", PAID},
	{"blocked card, stale counter: the counter first", blocked_card_stale_counter,
	 SRV_ANSWER, SC_RES_STALE_COUNTER, "counter 5 is not above 5", NOTHING},
	/* the rules and the funds: final declines, sealed */
	{"blocked card", blocked_card, SRV_SEAL, SC_RES_CARD_BLOCKED, "the card is blocked",
	 DECLINED},
	{"payer not the card's account", payer_not_the_cards, SRV_SEAL, SC_RES_UNKNOWN_ACCOUNT,
	 "payer DAVE is not the card's account", DECLINED},
	{"payer = payee", pays_itself, SRV_SEAL, SC_RES_SAME_ACCOUNT,
	 "payer and payee are both ALICE", DECLINED},
	{"payee unknown", payee_unknown, SRV_SEAL, SC_RES_UNKNOWN_ACCOUNT, "no account BOB",
	 DECLINED},
	{"payee is the issuer's equity", payee_is_equity, SRV_SEAL, SC_RES_UNKNOWN_ACCOUNT,
	 "no account BOB", DECLINED},
	{"currency mismatch", payee_in_usd, SRV_SEAL, SC_RES_CURRENCY_MISMATCH,
	 "transaction in EUR, payer account in EUR, payee account in USD", DECLINED},
	{"above the limit", above_limit, SRV_SEAL, SC_RES_BAD_AMOUNT,
	 "amount 1000.01 EUR is above the limit of 1000.00 EUR", DECLINED},
	{"the limit itself", at_limit, SRV_SEAL, SC_RES_OK, "",
	 {W(DEBIT, 100000, 0), W(CREDIT, 100000, 0), W(TRANSFER, 100000, 0),
	  W(CARD_ACCEPT, 0, 0), W(CHALLENGE_USE, 0, 0), W(OUTCOME, 0, 0), W(AUDIT, 1, 0), END}},
	{"limit before funds", limit_before_funds, SRV_SEAL, SC_RES_BAD_AMOUNT,
	 "amount 1000.01 EUR is above the limit of 1000.00 EUR", DECLINED},
	{"payee's balance would overflow", payee_would_overflow, SRV_SEAL, SC_RES_BAD_AMOUNT,
	 "amount 5.00 EUR is above the limit of 1000.00 EUR", DECLINED},
	{"the whole balance", whole_balance, SRV_SEAL, SC_RES_OK, "", PAID},
	{"one minor unit short", one_short, SRV_SEAL, SC_RES_INSUFFICIENT_FUNDS,
	 "amount 5.00 EUR is above the balance", DECLINED},
};

static void check_writes(const char *name, const struct srv_decision *d,
			 const struct want_write *want)
{
	size_t n = 0;

	while (want[n].kind >= 0)
		n++;
	if (d->n_writes != n)
		fail_msg("%s: %zu writes, want %zu", name, d->n_writes, n);
	for (size_t i = 0; i < n; i++)
		if ((int)d->writes[i].kind != want[i].kind || d->writes[i].value != want[i].value ||
		    d->writes[i].blocked != want[i].blocked)
			fail_msg("%s: write %zu is (%d, %lld, %d), want (%d, %lld, %d)", name, i,
				 (int)d->writes[i].kind, (long long)d->writes[i].value,
				 d->writes[i].blocked, want[i].kind, (long long)want[i].value,
				 want[i].blocked);
}

static void the_order_of_checks(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		const struct decide_case *c = &CASES[i];
		struct srv_decision d;
		struct sub u;

		good(&u);
		c->change(&u);
		srv_decide(&u.sn, &d);
		if (d.verdict != c->verdict || d.code != c->code || strcmp(d.reason, c->reason) != 0)
			fail_msg("%s: got verdict %d %s '%s', want %d %s '%s'", c->name,
				 (int)d.verdict, sc_result_name(d.code), d.reason, (int)c->verdict,
				 sc_result_name(c->code), c->reason);
		/* a sealed reason travels in the receipt */
		if (d.verdict == SRV_SEAL)
			assert_true(strlen(d.reason) <= SC_RECEIPT_REASON_MAX);
		check_writes(c->name, &d, c->writes);
	}
}

/* The same snapshot, the same decision: nothing but the snapshot counts. */
static void a_decision_depends_on_its_snapshot_alone(void **state)
{
	struct srv_decision d1, d2;
	struct sub u;

	(void)state;
	good(&u);
	wrong_jp_second(&u);
	srv_decide(&u.sn, &d1);
	srv_decide(&u.sn, &d2);
	assert_int_equal(d1.verdict, d2.verdict);
	assert_int_equal(d1.code, d2.code);
	assert_string_equal(d1.reason, d2.reason);
	assert_int_equal(d1.n_writes, d2.n_writes);
	for (size_t i = 0; i < d1.n_writes; i++) {
		assert_int_equal(d1.writes[i].kind, d2.writes[i].kind);
		assert_int_equal(d1.writes[i].value, d2.writes[i].value);
		assert_int_equal(d1.writes[i].blocked, d2.writes[i].blocked);
	}
}

/* ---- a batch: snapshots loaded before any of its writes, decided in
 * order, each followed by the decisions before it */
static void decide_batch(struct sub *u, size_t n, struct srv_decision *d)
{
	for (size_t i = 0; i < n; i++) {
		srv_decide(&u[i].sn, &d[i]);
		for (size_t k = i + 1; k < n; k++)
			srv_snapshot_follow(&u[k].sn, &u[i].sn, &d[i]);
	}
}

/* The second of two payments of ALICE's card sees the first's debit: the
 * payer's funds cannot be spent twice in one batch. BOB, credited by the
 * first, has it when he pays in the same batch. */
static void funds_spent_earlier_in_the_batch(void **state)
{
	struct srv_decision d[3];
	struct sub u[3];

	(void)state;
	good(&u[0]);
	u[0].tx.amount = 60000;
	good(&u[1]);
	u[1].sn.atc = 6;
	u[1].tx.amount = 60000;
	u[1].tx.challenge[0] = 2;
	u[1].signed_hash[0] = 2;
	u[1].sub_hash[0] = 2;
	/* BOB's card pays on from what the first payment credited */
	good(&u[2]);
	memcpy(u[2].card_id, OTHER_CARD, SC_CARD_ID_LEN);
	snprintf(u[2].sn.card.account, sizeof(u[2].sn.card.account), "BOB");
	snprintf(u[2].tx.payer, sizeof(u[2].tx.payer), "BOB");
	snprintf(u[2].tx.payee, sizeof(u[2].tx.payee), "DAVE");
	u[2].sn.payer = (struct srv_account){"BOB", 978, 0, 0};
	u[2].sn.payee = (struct srv_account){"DAVE", 978, 0, 0};
	u[2].tx.amount = 50000;
	u[2].tx.challenge[0] = 3;
	u[2].signed_hash[0] = 3;
	u[2].sub_hash[0] = 3;
	decide_batch(u, 3, d);
	assert_int_equal(d[0].code, SC_RES_OK);
	assert_int_equal(u[1].sn.payer.balance, 40000);
	assert_int_equal(d[1].code, SC_RES_INSUFFICIENT_FUNDS);
	assert_string_equal(d[1].reason, "amount 600.00 EUR is above the balance");
	assert_int_equal(u[2].sn.payer.balance, 60000);
	assert_int_equal(d[2].code, SC_RES_OK);
}

/* The same (card, ATC) twice in a batch: the identical bytes are the
 * first's twin, another message conflicts once authentic, another
 * signature over the same data is the same payment. */
static void one_card_counter_twice_in_the_batch(void **state)
{
	struct srv_decision d[4];
	struct sub u[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		good(&u[i]);
	u[2].signed_hash[0] = 2; /* another message at the same counter */
	u[2].sub_hash[0] = 2;
	u[3].sub_hash[0] = 3;    /* the same signed data, other bytes (s, n - s) */
	decide_batch(u, 4, d);
	assert_int_equal(d[0].verdict, SRV_SEAL);
	assert_int_equal(d[1].verdict, SRV_TWIN);
	assert_int_equal(d[1].code, SC_RES_OK);
	assert_int_equal(d[2].verdict, SRV_ANSWER);
	assert_int_equal(d[2].code, SC_RES_IDEMPOTENCY_CONFLICT);
	assert_int_equal(d[3].verdict, SRV_TWIN);
	assert_int_equal(d[3].code, SC_RES_OK);
	/* none of them writes again */
	for (int i = 1; i < 4; i++)
		assert_int_equal(d[i].n_writes, 1);
}

/* Wrong passwords within one batch count up as they would one batch
 * each: the message's and the card's, up to the block, which the card's
 * next authentic payment in the batch then meets. Its challenge, used by
 * none of them, is still live; a challenge the batch used is not. */
static void password_failures_and_challenges_within_the_batch(void **state)
{
	struct srv_decision d[6];
	struct sub u[6];

	(void)state;
	for (int i = 0; i < 6; i++) {
		good(&u[i]);
		u[i].sn.limits.card_jp_limit = 4;
	}
	for (int i = 0; i < 3; i++)
		wrong_jp(&u[i]);              /* one message, three times */
	wrong_jp(&u[3]);                      /* another message of the card */
	u[3].signed_hash[0] = 3;
	u[3].sub_hash[0] = 3;
	u[4].signed_hash[0] = 4;              /* an authentic payment, after the block */
	u[4].sub_hash[0] = 4;
	u[4].sn.atc = 7;
	memcpy(u[5].card_id, OTHER_CARD, SC_CARD_ID_LEN); /* another card, same challenge */
	u[5].signed_hash[0] = 5;
	u[5].sub_hash[0] = 5;
	decide_batch(u, 6, d);
	assert_string_equal(d[0].reason, "wrong joint password (1 of 3 for this message)");
	assert_string_equal(d[1].reason, "wrong joint password (2 of 3 for this message)");
	assert_string_equal(d[2].reason, "wrong joint password (3 of 3 for this message)");
	assert_string_equal(d[3].reason, "wrong joint password; the card is now blocked");
	assert_int_equal(d[4].verdict, SRV_SEAL);
	assert_int_equal(d[4].code, SC_RES_CARD_BLOCKED);
	assert_int_equal(d[5].code, SC_RES_CHALLENGE_INVALID);
	assert_string_equal(d[5].reason, "the challenge was used already");
}

/* A payment at ATC 5 moves the card's counter: a later one at 4 in the
 * same batch is stale, one of another card is untouched. */
static void the_counter_moves_within_the_batch(void **state)
{
	struct srv_decision d[3];
	struct sub u[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		good(&u[i]);
		u[i].sn.card.last_atc = 3;
		u[i].tx.challenge[0] = (uint8_t)i;
		u[i].signed_hash[0] = (uint8_t)i;
		u[i].sub_hash[0] = (uint8_t)i;
	}
	u[1].sn.atc = 4;
	memcpy(u[2].card_id, OTHER_CARD, SC_CARD_ID_LEN);
	u[2].sn.atc = 4;
	decide_batch(u, 3, d);
	assert_int_equal(d[0].code, SC_RES_OK);
	assert_int_equal(d[1].code, SC_RES_STALE_COUNTER);
	assert_string_equal(d[1].reason, "counter 4 is not above 5");
	assert_int_equal(u[2].sn.card.last_atc, 3);
	assert_int_equal(d[2].code, SC_RES_OK);
}

/* The pre-check's verdict: the challenge, the card, the rules; never the
 * funds. */
static void the_precheck_asks_all_but_signature_and_funds(void **state)
{
	char why[SC_RECEIPT_REASON_MAX + 1];
	struct sub u;

	(void)state;
	good(&u);
	one_short(&u);
	assert_int_equal(srv_precheck_decide(&u.sn, why, sizeof(why)), SC_RES_OK);
	expires_now(&u);
	assert_int_equal(srv_precheck_decide(&u.sn, why, sizeof(why)), SC_RES_CHALLENGE_INVALID);
	assert_string_equal(why, "the challenge has expired");
	good(&u);
	card_prepared(&u);
	assert_int_equal(srv_precheck_decide(&u.sn, why, sizeof(why)), SC_RES_UNKNOWN_CARD);
	assert_string_equal(why, "card 5c00000000000001 is not enrolled");
	good(&u);
	payee_in_usd(&u);
	assert_int_equal(srv_precheck_decide(&u.sn, why, sizeof(why)), SC_RES_CURRENCY_MISMATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_order_of_checks),
		cmocka_unit_test(a_decision_depends_on_its_snapshot_alone),
		cmocka_unit_test(funds_spent_earlier_in_the_batch),
		cmocka_unit_test(one_card_counter_twice_in_the_batch),
		cmocka_unit_test(password_failures_and_challenges_within_the_batch),
		cmocka_unit_test(the_counter_moves_within_the_batch),
		cmocka_unit_test(the_precheck_asks_all_but_signature_and_funds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
