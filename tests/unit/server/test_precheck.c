/* The authorisation pre-check: the payment rules (decide.c) over a table of
 * cases on a real ledger's rows, and PRECHECK over the Unix socket of a real
 * server thread: its verdict is the code and text the SUBMIT of the same
 * transaction gets, the funds are never told, and it writes nothing (the
 * challenge stays usable, no row moves) but its count in /metrics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "common/precheck.h"
#include "server_fixture.h"

static const uint8_t NOT_ENROLLED[SC_CARD_ID_LEN] = {9, 9, 9, 9, 9, 9, 9, 9};

/* One case of the rules: which card pays what to whom, and the verdict. */
struct rule_case {
	const char *name;
	int card;                 /* 0: a1 (ALICE), 1: c (CAROL), 2: a1 blocked, 3: a card of GHOST */
	const char *payer, *payee;
	uint64_t amount;
	uint16_t currency;
	int code;
	const char *why;          /* the reason, exactly; NULL for OK */
};

static const struct rule_case CASES[] = {
	{"pays", 0, "ALICE", "BOB", 100, 978, SC_RES_OK, NULL},
	{"more than the balance: not the pre-check's to say", 0, "ALICE", "BOB", 100001, 978,
	 SC_RES_OK, NULL},
	{"the whole limit", 0, "ALICE", "BOB", 100000000000ull, 978, SC_RES_OK, NULL},
	{"card blocked", 2, "ALICE", "BOB", 100, 978, SC_RES_CARD_BLOCKED, "the card is blocked"},
	{"blocked comes first", 2, "ALICE", "ALICE", 100, 840, SC_RES_CARD_BLOCKED,
	 "the card is blocked"},
	{"payer not the card's", 0, "DAVE", "BOB", 100, 978, SC_RES_UNKNOWN_ACCOUNT,
	 "payer DAVE is not the card's account"},
	{"payer = payee", 0, "ALICE", "ALICE", 100, 978, SC_RES_SAME_ACCOUNT,
	 "payer and payee are both ALICE"},
	{"payer's account gone", 3, "GHOST", "BOB", 100, 978, SC_RES_UNKNOWN_ACCOUNT,
	 "no account GHOST"},
	{"unknown payee", 0, "ALICE", "NOBODY", 100, 978, SC_RES_UNKNOWN_ACCOUNT,
	 "no account NOBODY"},
	{"the issuer's equity takes no payment", 0, "ALICE", "EQUITY-EUR", 100, 978,
	 SC_RES_UNKNOWN_ACCOUNT, "no account EQUITY-EUR"},
	{"payee in another currency", 0, "ALICE", "CAROL", 100, 978, SC_RES_CURRENCY_MISMATCH,
	 "transaction in EUR, payer account in EUR, payee account in USD"},
	{"transaction in another currency", 0, "ALICE", "BOB", 100, 840, SC_RES_CURRENCY_MISMATCH,
	 "transaction in USD, payer account in EUR, payee account in EUR"},
	{"payer in another currency", 1, "CAROL", "BOB", 100, 840, SC_RES_CURRENCY_MISMATCH,
	 "transaction in USD, payer account in USD, payee account in EUR"},
	{"above the limit", 0, "ALICE", "BOB", 100000000001ull, 978, SC_RES_BAD_AMOUNT,
	 "amount 1000000000.01 EUR is above the limit of 1000000000.00 EUR"},
};

static void tx_of(struct sc_tx *tx, const struct rule_case *c)
{
	memset(tx, 0, sizeof(*tx));
	tx->version = SC_TX_VERSION;
	tx->scheme = SC_SCHEME_ENC_RAND;
	tx->amount = c->amount;
	tx->currency = c->currency;
	snprintf(tx->payer, sizeof(tx->payer), "%s", c->payer);
	snprintf(tx->payee, sizeof(tx->payee), "%s", c->payee);
	snprintf(tx->payee_name, sizeof(tx->payee_name), "Shop");
	snprintf(tx->terminal_id, sizeof(tx->terminal_id), "T-1");
}

static struct soft_card *card_of(struct fx *f, const struct rule_case *c)
{
	return c->card == 1 ? &f->c : &f->a1;
}

static void rules_over_a_table(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		const struct rule_case *c = &CASES[i];
		struct srv_card card = fx_card(f, card_of(f, c));
		struct srv_snapshot sn, *one = &sn;
		struct srv_store st;
		struct sc_tx tx;
		char why[SC_RECEIPT_REASON_MAX + 1] = "";
		int rc;

		if (c->card == 2)
			card.status = CARD_BLOCKED;
		if (c->card == 3)
			snprintf(card.account, sizeof(card.account), "GHOST");
		tx_of(&tx, c);
		/* the rows as the store reads them from f->db (read-only), the
		 * card as the case has it */
		memset(&sn, 0, sizeof(sn));
		sn.tx = &tx;
		sn.card_id = card.id;
		sn.limits.max_amount = f->cfg.max_amount;
		assert_int_equal(srv_store_open(&st, &f->db), 0);
		assert_int_equal(st.ops->load(&st, &one, 1), 0);
		srv_store_close(&st, &f->db);
		sn.card_found = 1;
		sn.card = card;
		rc = srv_payment_rules(&sn, why, sizeof(why));
		if (rc != c->code || strcmp(why, c->why ? c->why : "") != 0)
			fail_msg("%s: got %s '%s', want %s '%s'", c->name, sc_result_name(rc), why,
				 sc_result_name(c->code), c->why ? c->why : "");
		if (rc == SC_RES_OK)
			assert_int_equal(sn.payer.balance, 100000); /* for the caller's funds check */
	}
}

/* PRECHECK of (card id, tx) over fd: the message type of the answer, the
 * PRECHECKED decoded into m (text copied into text) or the RESULT into r. */
static int precheck(int fd, const uint8_t card_id[SC_CARD_ID_LEN], const struct sc_tx *tx,
		    struct sc_prechecked *m, char text[SC_PRECHECK_TEXT_MAX + 1],
		    struct sc_result_msg *r)
{
	static uint8_t reply[SC_RESULT_MSG_MAX];
	uint8_t txb[SC_TX_MAX_LEN], body[SC_PRECHECK_MSG_MAX];
	struct sc_precheck p;
	int n, len;

	n = sc_tx_encode(tx, txb, sizeof(txb));
	assert_true(n > 0);
	memcpy(p.card_id, card_id, SC_CARD_ID_LEN);
	p.tx = txb;
	p.tx_len = (size_t)n;
	len = sc_precheck_encode(body, sizeof(body), &p);
	assert_true(len > 0);
	assert_int_equal(sclient_send(fd, body, (size_t)len), 0);
	n = sclient_recv(fd, reply, sizeof(reply));
	assert_true(n > 0);
	if (reply[0] == SC_MSG_RESULT) {
		assert_int_equal(sc_result_decode(r, reply, (size_t)n), 0);
		return SC_MSG_RESULT;
	}
	assert_int_equal(sc_prechecked_decode(m, reply, (size_t)n), 0);
	memcpy(text, m->text ? m->text : "", m->text_len);
	text[m->text_len] = '\0';
	return SC_MSG_PRECHECKED;
}

/* Each case of the table as the server answers it: PRECHECK first, then the
 * SUBMIT of the very same transaction (same challenge) by the card. The
 * verdict is what the SUBMIT got, with the same text; where the pre-check
 * said OK, the challenge it saw is still good and the payment executes
 * (or, past the balance, is declined for the funds, which the pre-check
 * does not tell). */
static void precheck_says_what_submit_does(void **state)
{
	struct fx *f = *state;
	int fd = fx_connect(f);
	uint32_t atc = 1;
	struct srv_db db;
	char err[256];

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		const struct rule_case *c = &CASES[i];
		struct soft_card *card = card_of(f, c);
		struct sc_prechecked m;
		struct sc_result_msg r;
		struct fx_reply sub;
		struct sc_tx tx;
		char text[SC_PRECHECK_TEXT_MAX + 1];
		uint8_t body[SC_SUBMIT_MSG_MAX];
		size_t len;
		int want;

		if (c->card >= 2)
			continue; /* the ledger's own cards only; blocked: below */
		tx_of(&tx, c);
		assert_int_equal(fx_tx(fd, &tx, "T-1", c->payer, c->payee, c->amount, c->currency,
				       SC_SCHEME_ENC_RAND), 0);
		assert_int_equal(precheck(fd, card->id, &tx, &m, text, &r), SC_MSG_PRECHECKED);
		if (m.code != c->code || strcmp(text, c->why ? c->why : "") != 0)
			fail_msg("%s: pre-check %s '%s'", c->name, sc_result_name(m.code), text);
		assert_int_equal(fx_build_tx(f, card, &tx, atc++, "12345678", body, &len), 0);
		want = c->amount > 100000 && c->code == SC_RES_OK ? SC_RES_INSUFFICIENT_FUNDS : c->code;
		if (fx_send(fd, body, len, &sub) != want)
			fail_msg("%s: SUBMIT after the pre-check got %s", c->name,
				 sc_result_name(sub.code));
		if (want == c->code && c->why &&
		    (sub.m.text_len != strlen(c->why) || memcmp(sub.m.text, c->why, sub.m.text_len)))
			fail_msg("%s: the SUBMIT's reason differs from the pre-check's", c->name);
	}
	/* blocked by the issuer: told before the card signs */
	{
		struct sc_prechecked m;
		struct sc_result_msg r;
		struct sc_tx tx;
		char text[SC_PRECHECK_TEXT_MAX + 1];

		assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err,
					     sizeof(err)), 0);
		assert_int_equal(srv_card_set_status(&db, f->a2.id, CARD_BLOCKED, err, sizeof(err)), 0);
		srv_db_close(&db);
		assert_int_equal(fx_tx(fd, &tx, "T-1", "ALICE", "BOB", 100, 978, SC_SCHEME_ENC), 0);
		assert_int_equal(precheck(fd, f->a2.id, &tx, &m, text, &r), SC_MSG_PRECHECKED);
		assert_int_equal(m.code, SC_RES_CARD_BLOCKED);
		assert_string_equal(text, "the card is blocked");
	}
	assert_true(fx_ledger_ok(f));
	close(fd);
}

/* Before the rules: the challenge as the SUBMIT will check it, then the
 * card. */
static void challenge_and_card_first(void **state)
{
	struct fx *f = *state;
	int fd = fx_connect(f);
	struct sc_prechecked m;
	struct sc_result_msg r;
	struct sc_tx tx;
	char text[SC_PRECHECK_TEXT_MAX + 1];

	assert_true(fd >= 0);
	assert_int_equal(fx_tx(fd, &tx, "T-1", "ALICE", "NOBODY", 100, 978, SC_SCHEME_ENC), 0);
	assert_int_equal(precheck(fd, NOT_ENROLLED, &tx, &m, text, &r), SC_MSG_PRECHECKED);
	assert_int_equal(m.code, SC_RES_UNKNOWN_CARD);
	assert_string_equal(text, "card 0909090909090909 is not enrolled");
	snprintf(tx.terminal_id, sizeof(tx.terminal_id), "T-2");
	assert_int_equal(precheck(fd, f->a1.id, &tx, &m, text, &r), SC_MSG_PRECHECKED);
	assert_int_equal(m.code, SC_RES_CHALLENGE_INVALID);
	assert_string_equal(text, "the challenge was issued to another terminal");
	memset(tx.challenge, 0x77, sizeof(tx.challenge));
	assert_int_equal(precheck(fd, f->a1.id, &tx, &m, text, &r), SC_MSG_PRECHECKED);
	assert_int_equal(m.code, SC_RES_CHALLENGE_INVALID);
	assert_string_equal(text, "this server never issued the challenge");
	close(fd);
}

static unsigned long prechecked(int code)
{
	return atomic_load(&srv_metrics.prechecks[code]);
}

/* A pre-check moves nothing in the ledger, not even the challenge or the
 * audit log (anyone may send it); a malformed one is answered RESULT
 * MALFORMED on a connection that stays usable; each is counted. */
static void writes_nothing_and_is_counted(void **state)
{
	static const char *const tables[] = {
		"SELECT count(*) FROM challenges WHERE used != 0", "SELECT count(*) FROM audit",
		"SELECT count(*) FROM transfers", "SELECT count(*) FROM declines",
		"SELECT total(balance) + count(*) FROM accounts",
		"SELECT total(last_atc) + total(jp_failures) + total(status) FROM cards",
		"SELECT count(*) FROM message_failures",
	};
	struct fx *f = *state;
	int fd = fx_connect(f);
	long before[sizeof(tables) / sizeof(tables[0])];
	unsigned long ok0 = prechecked(SC_RES_OK), unknown0 = prechecked(SC_RES_UNKNOWN_ACCOUNT),
		      bad0 = prechecked(SC_RES_MALFORMED);
	struct sc_prechecked m;
	struct sc_result_msg r;
	struct sc_tx tx;
	char text[SC_PRECHECK_TEXT_MAX + 1], metrics[16384];
	uint8_t body[SC_SUBMIT_MSG_MAX], junk[] = {SC_MSG_PRECHECK, 1, 2, 3};
	uint8_t reply[SC_RESULT_MSG_MAX];
	struct fx_reply sub;
	size_t len;
	int n;

	assert_true(fd >= 0);
	assert_int_equal(fx_tx(fd, &tx, "T-1", "ALICE", "BOB", 100, 978, SC_SCHEME_ENC), 0);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		before[i] = fx_count(f, tables[i]);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(precheck(fd, f->a1.id, &tx, &m, text, &r), SC_MSG_PRECHECKED);
		assert_int_equal(m.code, SC_RES_OK);
	}
	snprintf(tx.payee, sizeof(tx.payee), "NOBODY");
	assert_int_equal(precheck(fd, f->a1.id, &tx, &m, text, &r), SC_MSG_PRECHECKED);
	assert_int_equal(m.code, SC_RES_UNKNOWN_ACCOUNT);
	assert_int_equal(sclient_send(fd, junk, sizeof(junk)), 0);
	n = sclient_recv(fd, reply, sizeof(reply));
	assert_true(n > 0);
	assert_int_equal(sc_result_decode(&r, reply, (size_t)n), 0);
	assert_int_equal(r.code, SC_RES_MALFORMED);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (fx_count(f, tables[i]) != before[i])
			fail_msg("a pre-check changed: %s", tables[i]);
	assert_int_equal(prechecked(SC_RES_OK) - ok0, 3);
	assert_int_equal(prechecked(SC_RES_UNKNOWN_ACCOUNT) - unknown0, 1);
	assert_int_equal(prechecked(SC_RES_MALFORMED) - bad0, 1);
	metrics[srv_metrics_render(metrics, sizeof(metrics) - 1)] = '\0';
	snprintf(text, sizeof(text), "sigcard_prechecks_total{result=\"OK\"} %lu\n",
		 prechecked(SC_RES_OK));
	assert_non_null(strstr(metrics, text));
	/* the same connection, the same challenge: the payment still goes */
	snprintf(tx.payee, sizeof(tx.payee), "BOB");
	assert_int_equal(fx_build_tx(f, &f->a1, &tx, 1, "12345678", body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &sub), SC_RES_OK);
	assert_int_equal(fx_balance(f, "BOB"), 100);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest both[] = {
		fx_unit_test(rules_over_a_table),
		fx_unit_test(precheck_says_what_submit_does),
		fx_unit_test(challenge_and_card_first),
		fx_unit_test(writes_nothing_and_is_counted),
	};

	return FX_RUN_ALL("server pre-check", both);
}
