/* The submission pipeline end to end over the Unix socket of a real server
 * thread: every result code, exactly-once, counters, passwords, challenges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "server_fixture.h"

static void each_scheme_pays_with_a_signed_receipt(void **state)
{
	struct fx *f = *state;
	int fd = fx_connect(f);
	struct fx_reply r;
	struct sc_receipt rc;
	uint8_t scheme;

	assert_true(fd >= 0);
	for (scheme = SC_SCHEME_ENC; scheme <= SC_SCHEME_ENC_DIGEST; scheme++) {
		assert_int_equal(fx_pay(f, fd, &f->a1, scheme, "BOB", 1000, scheme, &r), SC_RES_OK);
		assert_int_equal(fx_receipt_ok(f, &r, &rc), 0);
		assert_int_equal(rc.result, SC_RES_OK);
		assert_int_equal(rc.atc, scheme);
		assert_memory_equal(rc.card_id, f->a1.id, SC_CARD_ID_LEN);
		assert_int_equal(rc.version, SC_RECEIPT_VERSION);
		assert_true(rc.transfer_id > 0);
		assert_string_equal(rc.reason, "");
		assert_int_equal(rc.currency, 978);
		assert_int_equal(rc.counter, scheme);
	}
	assert_int_equal(fx_balance(f, "ALICE"), 97000);
	assert_int_equal(fx_balance(f, "BOB"), 3000);
	assert_int_equal(fx_card(f, &f->a1).last_atc, 3);
	assert_true(fx_ledger_ok(f));
	close(fd);
}

static void exact_replay_returns_the_same_receipt(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	struct fx_reply first, again;
	size_t len;
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a1, 7, "BOB", 2500, SC_SCHEME_ENC_RAND, NULL, body,
				  &len), 0);
	assert_int_equal(fx_send(fd, body, len, &first), SC_RES_OK);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(fx_send(fd, body, len, &again), SC_RES_OK);
		assert_int_equal(again.len, first.len);
		assert_memory_equal(again.buf, first.buf, first.len);
	}
	assert_int_equal(fx_balance(f, "ALICE"), 97500);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM transfers WHERE card_id IS NOT NULL"), 1);
	/* and after a restart, from the ledger file */
	fd = fx_restart(f, fd);
	assert_true(fd >= 0);
	assert_int_equal(fx_send(fd, body, len, &again), SC_RES_OK);
	assert_memory_equal(again.buf, first.buf, first.len);
	assert_int_equal(fx_balance(f, "ALICE"), 97500);
	close(fd);
}

struct racer {
	struct fx *f;
	const uint8_t *body;
	size_t len;
	struct fx_reply r;
};

static void *race(void *arg)
{
	struct racer *x = arg;
	int fd = fx_connect(x->f);

	if (fd >= 0) {
		fx_send(fd, x->body, x->len, &x->r);
		close(fd);
	}
	return NULL;
}

static void fifty_identical_at_once_execute_once(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	static struct racer x[50];
	pthread_t t[50];
	size_t len;
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	for (int i = 0; i < 50; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].f = f;
		x[i].body = body;
		x[i].len = len;
		pthread_create(&t[i], NULL, race, &x[i]);
	}
	for (int i = 0; i < 50; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(x[i].r.code, SC_RES_OK);
		assert_int_equal(x[i].r.len, x[0].r.len);
		assert_memory_equal(x[i].r.buf, x[0].r.buf, x[0].r.len);
	}
	assert_int_equal(fx_balance(f, "ALICE"), 99900);
	assert_int_equal(fx_balance(f, "BOB"), 100);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM receipts"), 1);
	assert_true(fx_ledger_ok(f));
	close(fd);
}

static void same_counter_other_content_conflicts(void **state)
{
	struct fx *f = *state;
	struct fx_reply r;
	int fd = fx_connect(f);

	assert_int_equal(fx_pay(f, fd, &f->a1, 5, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_OK);
	/* ATC equal to the last accepted, different transaction */
	assert_int_equal(fx_pay(f, fd, &f->a1, 5, "BOB", 200, SC_SCHEME_ENC, &r),
			 SC_RES_IDEMPOTENCY_CONFLICT);
	/* ATC lower than the last accepted, never used */
	assert_int_equal(fx_pay(f, fd, &f->a1, 4, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_STALE_COUNTER);
	assert_int_equal(fx_pay(f, fd, &f->a1, 0, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_STALE_COUNTER);
	assert_int_equal(fx_card(f, &f->a1).last_atc, 5);
	assert_int_equal(fx_balance(f, "ALICE"), 99900);
	/* far higher, but unauthenticated: the counter does not move */
	{
		uint8_t body[SC_SUBMIT_MSG_MAX];
		size_t len;

		assert_int_equal(fx_build(f, fd, &f->a1, 0xffffffffu, "BOB", 100, SC_SCHEME_ENC, NULL,
					  body, &len), 0);
		body[len - SC_JP_DIGITS - 5] ^= 0x01; /* inside the signature */
		assert_int_equal(fx_send(fd, body, len, &r), SC_RES_AUTH_FAILED);
		assert_int_equal(fx_card(f, &f->a1).last_atc, 5);
		assert_int_equal(fx_card(f, &f->a1).jp_failures, 0);
	}
	assert_int_equal(fx_pay(f, fd, &f->a1, 6, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_OK);
	/* far higher and authenticated: accepted, and the card's own counter
	 * cannot go past it either */
	assert_int_equal(fx_pay(f, fd, &f->a1, 0xffffffffu, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_OK);
	assert_int_equal(fx_card(f, &f->a1).last_atc, 0xffffffffu);
	assert_int_equal(fx_pay(f, fd, &f->a1, 9, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_STALE_COUNTER);
	close(fd);
}

/* IDEMPOTENCY_CONFLICT says a (card, ATC) was used: only an authentic
 * message learns it; anything else is AUTH_FAILED like any bad signature. */
static void used_counter_is_told_only_to_an_authentic_message(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX], other[SC_SUBMIT_MSG_MAX];
	struct fx_reply r, first;
	size_t len, olen;
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a2, 3, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len),
			 0);
	assert_int_equal(fx_send(fd, body, len, &first), SC_RES_OK);
	/* the same bytes but a broken signature: not authentic */
	memcpy(other, body, len);
	other[len - SC_JP_DIGITS - 5] ^= 0x01;
	assert_int_equal(fx_send(fd, other, len, &r), SC_RES_AUTH_FAILED);
	/* another transaction at that counter, signed by someone else's card */
	assert_int_equal(fx_build(f, fd, &f->b, 3, "DAVE", 100, SC_SCHEME_ENC, NULL, other, &olen),
			 0);
	memcpy(other + 1, f->a2.id, SC_CARD_ID_LEN);
	assert_int_equal(fx_send(fd, other, olen, &r), SC_RES_AUTH_FAILED);
	/* the same signed message with a wrong password: refused, and no
	 * failure is counted for a message that can never execute again */
	memcpy(other, body, len);
	other[len - 1] = other[len - 1] == '0' ? '1' : '0';
	assert_int_equal(fx_send(fd, other, len, &r), SC_RES_AUTH_FAILED);
	/* an authentic different transaction at that counter */
	assert_int_equal(fx_build(f, fd, &f->a2, 3, "BOB", 300, SC_SCHEME_ENC, NULL, other, &olen),
			 0);
	assert_int_equal(fx_send(fd, other, olen, &r), SC_RES_IDEMPOTENCY_CONFLICT);
	/* and the original still gets its receipt, nothing moved */
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	assert_memory_equal(r.buf, first.buf, first.len);
	assert_int_equal(fx_card(f, &f->a2).jp_failures, 0);
	assert_int_equal(fx_card(f, &f->a2).last_atc, 3);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM message_failures"), 0);
	assert_int_equal(fx_balance(f, "ALICE"), 99900);
	close(fd);
}

static void wrong_passwords_void_the_message_then_block_the_card(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX], other[SC_SUBMIT_MSG_MAX];
	char jp[SC_JP_DIGITS + 1], other_jp[SC_JP_DIGITS + 1];
	size_t len, olen;
	struct fx_reply r;
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC_DIGEST, jp, body, &len), 0);
	assert_int_equal(fx_build(f, fd, &f->a1, 2, "BOB", 100, SC_SCHEME_ENC_DIGEST, other_jp, other,
				  &olen), 0);
	/* the password of another transaction */
	memcpy(body + len - SC_JP_DIGITS, other_jp, SC_JP_DIGITS);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_AUTH_FAILED);
	/* the counts live in the ledger: a restart does not reset them */
	close(fd);
	fx_stop(f);
	assert_int_equal(fx_start(f), 0);
	fd = fx_connect(f);
	assert_int_equal(fx_card(f, &f->a1).jp_failures, 1);
	/* two guesses more: the message has had its three */
	for (int i = 0; i < 2; i++) {
		body[len - 1] = (char)('0' + (body[len - 1] - '0' + 1) % 10);
		if (memcmp(body + len - SC_JP_DIGITS, jp, SC_JP_DIGITS) == 0)
			body[len - 1] = (char)('0' + (body[len - 1] - '0' + 1) % 10);
		assert_int_equal(fx_send(fd, body, len, &r), SC_RES_AUTH_FAILED);
	}
	assert_int_equal(fx_card(f, &f->a1).jp_failures, 3);
	/* now even the right password is refused: the message is void */
	memcpy(body + len - SC_JP_DIGITS, jp, SC_JP_DIGITS);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_AUTH_FAILED);
	assert_non_null(strstr(r.m.text, "void"));
	assert_int_equal(fx_balance(f, "ALICE"), 100000);
	assert_int_equal(fx_card(f, &f->a1).last_atc, -1);
	/* the other message still works, and resets the card's count */
	assert_int_equal(fx_send(fd, other, olen, &r), SC_RES_OK);
	assert_int_equal(fx_card(f, &f->a1).jp_failures, 0);
	close(fd);
}

static void card_blocked_past_its_limit(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	int fd = fx_connect(f);

	/* 10 wrong passwords over 4 messages (3 + 3 + 3 + 1) */
	for (uint32_t atc = 1, n = 0; n < 10; atc++) {
		char jp[SC_JP_DIGITS + 1];

		assert_int_equal(fx_build(f, fd, &f->b, atc, "DAVE", 1, SC_SCHEME_ENC, jp, body, &len), 0);
		for (int i = 0; i < 3 && n < 10; i++, n++) {
			body[len - 1] = (char)('0' + (jp[7] - '0' + 1 + i) % 10);
			assert_int_equal(fx_send(fd, body, len, &r), SC_RES_AUTH_FAILED);
		}
	}
	assert_int_equal(fx_card(f, &f->b).status, CARD_BLOCKED);
	assert_int_equal(fx_pay(f, fd, &f->b, 50, "DAVE", 1, SC_SCHEME_ENC, &r), SC_RES_CARD_BLOCKED);
	close(fd);
}

static void challenge_rules(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	struct sc_tx tx, tx2;
	int fd = fx_connect(f);

	/* reused: a second transaction on the challenge of an executed one */
	assert_int_equal(fx_tx(fd, &tx, "T-1", "ALICE", "BOB", 100, 978, SC_SCHEME_ENC), 0);
	assert_int_equal(fx_build_tx(f, &f->a1, &tx, 1, "12345678", body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	tx.amount = 200;
	assert_int_equal(fx_build_tx(f, &f->a1, &tx, 2, "12345678", body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_CHALLENGE_INVALID);
	/* issued to another terminal */
	assert_int_equal(fx_tx(fd, &tx2, "T-2", "ALICE", "BOB", 100, 978, SC_SCHEME_ENC), 0);
	snprintf(tx2.terminal_id, sizeof(tx2.terminal_id), "T-1");
	assert_int_equal(fx_build_tx(f, &f->a1, &tx2, 3, "12345678", body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_CHALLENGE_INVALID);
	/* never issued */
	memset(tx2.challenge, 0x42, sizeof(tx2.challenge));
	assert_int_equal(fx_build_tx(f, &f->a1, &tx2, 4, "12345678", body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_CHALLENGE_INVALID);
	assert_int_equal(fx_card(f, &f->a1).last_atc, 1);
	close(fd);
}

/* The server's clock for challenges: the wall clock plus what the test has
 * moved it on by. */
static int64_t clock_skew_ms;
static int64_t skewed_clock(void)
{
	return srv_now_ms() + __atomic_load_n(&clock_skew_ms, __ATOMIC_SEQ_CST);
}

static void short_ttl(struct srv_config *c)
{
	c->challenge_ttl = 1;
	c->challenge_clock = skewed_clock;
}

static void challenge_expires(void **state)
{
	struct fx f2;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	int fd;

	(void)state;
	assert_int_equal(fx_setup(&f2, short_ttl), 0);
	fd = fx_connect(&f2);
	__atomic_store_n(&clock_skew_ms, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(fx_build(&f2, fd, &f2.a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	/* the challenge's second (its TTL) goes by on the server's clock */
	__atomic_store_n(&clock_skew_ms, 1000, __ATOMIC_SEQ_CST);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_CHALLENGE_INVALID);
	assert_non_null(strstr(r.m.text, "expired"));
	assert_int_equal(fx_card(&f2, &f2.a1).last_atc, -1);
	close(fd);
	fx_teardown(&f2);
}

static void card_a_message_as_card_b(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	memcpy(body + 1, f->a2.id, SC_CARD_ID_LEN); /* same account, other card */
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_AUTH_FAILED);
	memcpy(body + 1, f->b.id, SC_CARD_ID_LEN);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_AUTH_FAILED);
	assert_int_equal(fx_card(f, &f->a2).jp_failures, 0);
	assert_int_equal(fx_card(f, &f->a2).last_atc, -1);
	assert_int_equal(fx_balance(f, "ALICE"), 100000);
	close(fd);
}

/* The reply's text as a string (it is not NUL-terminated on the wire). */
static const char *fx_text(const struct fx_reply *r)
{
	static char text[SC_RESULT_TEXT_MAX + 1];
	size_t n = r->m.text_len <= SC_RESULT_TEXT_MAX ? r->m.text_len : 0;

	if (r->m.text != NULL)
		memcpy(text, r->m.text, n);
	text[r->m.text != NULL ? n : 0] = '\0';
	return text;
}

static void business_errors(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	struct sc_tx tx;
	uint32_t atc = 1;
	int fd = fx_connect(f);

	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "ALICE", 100, SC_SCHEME_ENC, &r), SC_RES_SAME_ACCOUNT);
	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "NOBODY", 100, SC_SCHEME_ENC, &r),
			 SC_RES_UNKNOWN_ACCOUNT);
	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "EQUITY-EUR", 100, SC_SCHEME_ENC, &r),
			 SC_RES_UNKNOWN_ACCOUNT);
	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "CAROL", 100, SC_SCHEME_ENC, &r),
			 SC_RES_CURRENCY_MISMATCH);
	/* Declines a person reads: currencies by code, amounts in major units. */
	assert_non_null(strstr(fx_text(&r),
			       "transaction in EUR, payer account in EUR, payee account in USD"));
	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "BOB", 100001, SC_SCHEME_ENC, &r),
			 SC_RES_INSUFFICIENT_FUNDS);
	/* the amount, but not the payer's balance: the merchant reads this */
	assert_non_null(strstr(fx_text(&r), "amount 1000.01 EUR is above the balance"));
	assert_null(strstr(fx_text(&r), "1000.00"));
	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "BOB", 100000000001ull, SC_SCHEME_ENC, &r),
			 SC_RES_BAD_AMOUNT);
	assert_non_null(strstr(fx_text(&r), "amount 1000000000.01 EUR is above the limit of"));
	/* a payer that is not the card's account */
	assert_int_equal(fx_tx(fd, &tx, "T-1", "DAVE", "BOB", 1, 978, SC_SCHEME_ENC), 0);
	assert_int_equal(fx_build_tx(f, &f->a1, &tx, atc++, "12345678", body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_UNKNOWN_ACCOUNT);
	/* a currency the accounts do not hold */
	assert_int_equal(fx_tx(fd, &tx, "T-1", "ALICE", "BOB", 1, 840, SC_SCHEME_ENC), 0);
	assert_int_equal(fx_build_tx(f, &f->a1, &tx, atc++, "12345678", body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_CURRENCY_MISMATCH);
	assert_int_equal(fx_balance(f, "ALICE"), 100000);
	/* declines moved nothing; the whole balance can still go */
	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "BOB", 100000, SC_SCHEME_ENC, &r), SC_RES_OK);
	assert_int_equal(fx_balance(f, "ALICE"), 0);
	assert_int_equal(fx_pay(f, fd, &f->a1, atc++, "BOB", 1, SC_SCHEME_ENC, &r),
			 SC_RES_INSUFFICIENT_FUNDS);
	assert_true(fx_ledger_ok(f));
	close(fd);
}

static void unknown_and_unenrolled_cards(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	uint8_t id[SC_CARD_ID_LEN] = {9, 9, 9, 9, 9, 9, 9, 9};
	struct srv_db db;
	char err[256];
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	memcpy(body + 1, id, SC_CARD_ID_LEN);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_UNKNOWN_CARD);
	/* prepared but never enrolled */
	assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(srv_card_prepare(&db, id, "ALICE", err, sizeof(err)), 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_UNKNOWN_CARD);
	/* blocked by the issuer */
	assert_int_equal(srv_card_set_status(&db, f->a2.id, CARD_BLOCKED, err, sizeof(err)), 0);
	srv_db_close(&db);
	assert_int_equal(fx_pay(f, fd, &f->a2, 1, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_CARD_BLOCKED);
	close(fd);
}

static void malformed_requests_are_answered_and_logged(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	int fd = fx_connect(f);
	long audit0 = fx_count(f, "SELECT count(*) FROM audit");
	const uint8_t junk[] = {0x02, 0x01, 0x02};
	const uint8_t unknown_type[] = {0x7f, 0x00};

	assert_int_equal(fx_send(fd, junk, sizeof(junk), &r), SC_RES_MALFORMED);
	assert_int_equal(fx_send(fd, unknown_type, sizeof(unknown_type), &r), SC_RES_MALFORMED);
	/* a transaction that does not decode */
	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	body[1 + 8 + 4 + 2] ^= 0xff;
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_MALFORMED);
	/* the same connection still serves */
	assert_int_equal(fx_pay(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, &r), SC_RES_OK);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM audit"), audit0 + 4);
	close(fd);
	/* a frame above the limit: answered MALFORMED, then the peer is dropped */
	fd = fx_connect(f);
	{
		uint8_t hdr[2] = {0x10, 0x00}, buf[SC_RESULT_MSG_MAX];
		struct sc_result_msg m;
		int n;

		assert_int_equal(write(fd, hdr, 2), 2);
		n = sclient_recv(fd, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(sc_result_decode(&m, buf, (size_t)n), 0);
		assert_int_equal(m.code, SC_RES_MALFORMED);
		assert_int_equal(sclient_recv(fd, buf, sizeof(buf)), 0);
	}
	close(fd);
}

static void locked_ledger_answers_retry_later(void **state)
{
	/* RETRY_LATER is what a batch gets when its COMMIT fails: make the
	 * ledger refuse writes by holding its write lock from outside past
	 * the busy timeout. */
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	struct srv_db db;
	char err[256], why[160];
	static char metrics[32768];
	unsigned long timeouts;
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	timeouts = atomic_load(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_LOCK]);
	if (db.pg) {
		/* PostgreSQL locks rows: the payer's, FOR UPDATE, as a psql
		 * session left open would; the writer gives up after the
		 * lock_timeout its connections have (5 s, pg_timeouts.c) */
		assert_int_equal(srv_db_exec(&db, "BEGIN"), SQLITE_OK);
		assert_int_equal(srv_db_exec(&db, "SELECT 1 FROM accounts WHERE id = 'ALICE' FOR UPDATE"),
				 SQLITE_OK);
	} else {
		assert_int_equal(srv_db_exec(&db, "BEGIN EXCLUSIVE"), SQLITE_OK);
	}
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_RETRY_LATER);
	if (db.pg) {
		/* named in the health reason (and so the log) and in /metrics */
		assert_int_equal(srv_health_failing(why, sizeof(why)), 1);
		assert_non_null(strstr(why, "lock timeout"));
		assert_true(atomic_load(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_LOCK]) > timeouts);
		srv_metrics_render(metrics, sizeof(metrics));
		assert_non_null(strstr(metrics, "sigcard_ledger_timeouts_total{timeout=\"lock\"} "));
	}
	srv_db_exec(&db, "ROLLBACK");
	srv_db_close(&db);
	assert_int_equal(fx_balance(f, "ALICE"), 100000);
	/* the same message, resubmitted, goes through */
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	assert_int_equal(fx_balance(f, "ALICE"), 99900);
	close(fd);
}

struct drainer {
	struct fx *f;
	struct soft_card card;
	int ok, declined, other;
};

static void *drain_account(void *arg)
{
	struct drainer *d = arg;
	int fd = fx_connect(d->f);

	for (uint32_t atc = 1; atc <= 30 && fd >= 0; atc++) {
		uint8_t body[SC_SUBMIT_MSG_MAX];
		size_t len;
		struct fx_reply r;
		int code = -1;

		if (fx_build(d->f, fd, &d->card, atc, "DAVE", 500, SC_SCHEME_ENC_RAND, NULL, body,
			     &len) == 0)
			code = fx_send(fd, body, len, &r);
		if (code == SC_RES_OK)
			d->ok++;
		else if (code == SC_RES_INSUFFICIENT_FUNDS)
			d->declined++;
		else
			d->other++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void parallel_transfers_drain_one_account(void **state)
{
	struct fx *f = *state;
	static struct drainer d[8];
	pthread_t t[8];
	struct srv_db db;
	char err[256];
	int ok = 0, declined = 0;

	/* 8 cards of ALICE, 30 transfers of 5.00 each: 1200.00 asked of 1000.00 */
	assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	for (int i = 0; i < 8; i++) {
		uint8_t id[SC_CARD_ID_LEN] = {0xd0, 0, 0, 0, 0, 0, 0, (uint8_t)i};
		uint8_t k[SC_KCARD_LEN];

		memset(&d[i], 0, sizeof(d[i]));
		d[i].f = f;
		assert_int_equal(sc_kcard_derive(f->master, id, k), 0);
		assert_int_equal(soft_card_new(&d[i].card, id, k, "ALICE"), 0);
		assert_int_equal(srv_card_prepare(&db, id, "ALICE", err, sizeof(err)), 0);
		assert_int_equal(srv_card_enrol(&db, id, "ALICE", d[i].card.pubkey, err, sizeof(err)), 0);
	}
	srv_db_close(&db);
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, drain_account, &d[i]);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += d[i].ok;
		declined += d[i].declined;
		assert_int_equal(d[i].other, 0);
		soft_card_free(&d[i].card);
	}
	assert_int_equal(ok, 200);
	assert_int_equal(declined, 40);
	assert_int_equal(fx_balance(f, "ALICE"), 0);
	assert_int_equal(fx_balance(f, "DAVE"), 100000);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM receipts"), 200);
	assert_int_equal(fx_count(f, "SELECT count(DISTINCT counter) FROM receipts"), 200);
	assert_true(fx_ledger_ok(f));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest both[] = {
		fx_unit_test(each_scheme_pays_with_a_signed_receipt),
		fx_unit_test(exact_replay_returns_the_same_receipt),
		fx_unit_test(fifty_identical_at_once_execute_once),
		fx_unit_test(same_counter_other_content_conflicts),
		fx_unit_test(used_counter_is_told_only_to_an_authentic_message),
		fx_unit_test(wrong_passwords_void_the_message_then_block_the_card),
		fx_unit_test(card_blocked_past_its_limit),
		fx_unit_test(challenge_rules),
		cmocka_unit_test(challenge_expires),
		fx_unit_test(card_a_message_as_card_b),
		fx_unit_test(business_errors),
		fx_unit_test(unknown_and_unenrolled_cards),
		fx_unit_test(malformed_requests_are_answered_and_logged),
		fx_unit_test(locked_ledger_answers_retry_later),
		fx_unit_test(parallel_transfers_drain_one_account),
	};

	if (argc > 1)
		fx_filter(argv[1]);
	return FX_RUN_ALL("server pipeline", both);
}
