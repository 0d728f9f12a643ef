/* One outcome per (card, ATC), ever (issue 12): a final decline is sealed
 * and answered the same forever, also once its cause is gone and after a
 * restart; any valid signature over the same signed data is the same
 * payment; and a seeded random interleaving of all of it keeps the books. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "server_fixture.h"

static void assert_same_reply(const struct fx_reply *got, const struct fx_reply *want)
{
	assert_int_equal(got->code, want->code);
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got->buf, want->buf, want->len);
}

static int restart(struct fx *f, int fd)
{
	fd = fx_restart(f, fd);
	assert_true(fd >= 0);
	return fd;
}

static void a_decline_stays_a_decline_after_a_credit(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX], copy[SC_SUBMIT_MSG_MAX];
	struct fx_reply first, r;
	struct sc_receipt rc;
	size_t len, clen;
	int fd = fx_connect(f);

	/* 1500.00 from ALICE's 1000.00 */
	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 150000, SC_SCHEME_ENC, NULL, body, &len),
			 0);
	assert_int_equal(fx_send(fd, body, len, &first), SC_RES_INSUFFICIENT_FUNDS);
	/* sealed like a payment, and naming no balance */
	assert_int_equal(fx_receipt_ok(f, &first, &rc), 0);
	assert_int_equal(rc.result, SC_RES_INSUFFICIENT_FUNDS);
	assert_int_equal(rc.transfer_id, 0);
	assert_int_equal(rc.atc, 1);
	assert_memory_equal(rc.card_id, f->a1.id, SC_CARD_ID_LEN);
	assert_true(strlen(rc.reason) > 0);
	assert_null(strstr(rc.reason, "100000"));
	assert_int_equal(fx_count(f, "SELECT count(*) FROM challenges WHERE used = 1"), 1);

	/* the operator credits the account: the resend must not pay now */
	assert_int_equal(fx_credit(f, "ALICE", "1000.00"), 0);
	assert_int_equal(fx_balance(f, "ALICE"), 200000);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_INSUFFICIENT_FUNDS);
	assert_same_reply(&r, &first);
	/* nor a malleated copy of it */
	memcpy(copy, body, len);
	clen = fx_resign(copy, len, fx_negate_s);
	assert_true(clen > 0);
	assert_int_equal(fx_send(fd, copy, clen, &r), SC_RES_INSUFFICIENT_FUNDS);
	assert_same_reply(&r, &first);
	/* nor after a restart */
	fd = restart(f, fd);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_INSUFFICIENT_FUNDS);
	assert_same_reply(&r, &first);
	assert_int_equal(fx_balance(f, "ALICE"), 200000);
	assert_int_equal(fx_balance(f, "BOB"), 0);
	/* the card's next counter pays */
	assert_int_equal(fx_pay(f, fd, &f->a1, 2, "BOB", 150000, SC_SCHEME_ENC, &r), SC_RES_OK);
	assert_int_equal(fx_balance(f, "BOB"), 150000);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM outcomes"), 2);
	assert_true(fx_ledger_ok(f));
	close(fd);
}

static void admin(struct fx *f, int (*fn)(struct srv_db *, char *, size_t))
{
	struct srv_db db;
	char err[256];

	assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)),
			 0);
	if (fn(&db, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	srv_db_close(&db);
}

static struct fx *admin_fx; /* the test's fixture, for the admin steps below */

static int open_zed(struct srv_db *db, char *err, size_t n)
{
	return srv_account_create(db, "ZED", 978, 0, err, n);
}

static int block_a2(struct srv_db *db, char *err, size_t n)
{
	return srv_card_set_status(db, admin_fx->a2.id, CARD_BLOCKED, err, n);
}

static int unblock_a2(struct srv_db *db, char *err, size_t n)
{
	return srv_card_set_status(db, admin_fx->a2.id, CARD_ACTIVE, err, n);
}

/* Each final decline, sealed, is answered with its first bytes once its
 * cause is gone; the unauthenticated get nothing sealed and consume
 * nothing. */
static void every_final_decline_is_kept(void **state)
{
	struct fx *f = *state;
	struct {
		struct soft_card *card;
		const char *payee;
		uint64_t amount;
		int code;
	} cases[] = {
		{&f->a1, "ZED", 100, SC_RES_UNKNOWN_ACCOUNT},
		{&f->a1, "ALICE", 100, SC_RES_SAME_ACCOUNT},
		{&f->a1, "CAROL", 100, SC_RES_CURRENCY_MISMATCH},
		{&f->a1, "BOB", 100000000001ull, SC_RES_BAD_AMOUNT},
		{&f->a2, "BOB", 100, SC_RES_CARD_BLOCKED},
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	uint8_t body[N][SC_SUBMIT_MSG_MAX], bad[SC_SUBMIT_MSG_MAX];
	struct fx_reply first[N], r;
	struct sc_receipt rc;
	size_t len[N];
	int fd = fx_connect(f);

	admin_fx = f;
	admin(f, block_a2);
	for (int i = 0; i < N; i++) {
		assert_int_equal(fx_build(f, fd, cases[i].card, 1 + (uint32_t)i, cases[i].payee,
					  cases[i].amount, SC_SCHEME_ENC, NULL, body[i], &len[i]), 0);
		if (cases[i].code == SC_RES_CARD_BLOCKED) {
			/* a broken signature on a blocked card: not authentic, nothing sealed */
			memcpy(bad, body[i], len[i]);
			bad[len[i] - SC_JP_DIGITS - 5] ^= 0x01;
			assert_int_equal(fx_send(fd, bad, len[i], &r), SC_RES_AUTH_FAILED);
			assert_null(r.m.receipt);
		}
		assert_int_equal(fx_send(fd, body[i], len[i], &first[i]), cases[i].code);
		assert_int_equal(fx_receipt_ok(f, &first[i], &rc), 0);
		assert_int_equal(rc.result, cases[i].code);
		assert_int_equal(rc.atc, 1 + (uint32_t)i);
	}
	/* the causes go where they can: ZED opens, a2 is unblocked */
	admin(f, open_zed);
	admin(f, unblock_a2);
	fd = restart(f, fd);
	for (int i = 0; i < N; i++) {
		assert_int_equal(fx_send(fd, body[i], len[i], &r), cases[i].code);
		assert_same_reply(&r, &first[i]);
	}
	assert_int_equal(fx_balance(f, "ALICE"), 100000);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM transfers WHERE card_id IS NOT NULL"), 0);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM outcomes"), N);
	/* a decline moves no counter: a lower one of the card still pays */
	assert_int_equal(fx_pay(f, fd, &f->a2, 0, "ZED", 100, SC_SCHEME_ENC, &r), SC_RES_OK);
	assert_int_equal(fx_balance(f, "ZED"), 100);
	assert_true(fx_ledger_ok(f));
	close(fd);
}

/* An outcome migrated from schema 3 has no signed hash: its own bytes still
 * get its receipt, and another signature over the same data is, as before
 * issue 12, IDEMPOTENCY_CONFLICT (it never executes twice either way). */
static void a_schema_3_outcome_answers_its_own_bytes(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX], copy[SC_SUBMIT_MSG_MAX];
	struct fx_reply first, r;
	struct srv_db db;
	char err[256];
	size_t len, clen;
	int fd = fx_connect(f);

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &first), SC_RES_OK);
	close(fd);
	fx_stop(f);
	/* what the migration leaves for a schema-3 transfer */
	assert_int_equal(srv_db_open(&db, f->cfg.db_path, 0, SRV_SCHEMA_VERSION, err, sizeof(err)),
			 0);
	assert_int_equal(fx_exec(&db, db.pg ? "DROP TRIGGER transfers_immutable ON transfers;"
						"UPDATE transfers SET signed_hash = NULL"
					     : "DROP TRIGGER transfers_immutable;"
					       "UPDATE transfers SET signed_hash = NULL"), SQLITE_OK);
	srv_db_close(&db);
	assert_int_equal(fx_start(f), 0);
	fd = fx_connect(f);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	assert_same_reply(&r, &first);
	memcpy(copy, body, len);
	clen = fx_resign(copy, len, fx_negate_s);
	assert_int_equal(fx_send(fd, copy, clen, &r), SC_RES_IDEMPOTENCY_CONFLICT);
	assert_int_equal(fx_balance(f, "ALICE"), 99900);
	close(fd);
}

/* ---- the property: random interleavings ---------------------------------- */

struct msg {
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply first;            /* the one answer it may ever get */
};

struct model {
	uint64_t rng;
	int64_t alice, bob, dave, carol;  /* what the books must say */
	uint32_t next_atc[2];             /* a1, c */
	struct msg *m;
	int n;
};

static uint64_t next(struct model *md)
{
	md->rng ^= md->rng << 13;
	md->rng ^= md->rng >> 7;
	md->rng ^= md->rng << 17;
	return md->rng;
}

static int64_t *account_of(struct model *md, const char *id)
{
	if (!strcmp(id, "ALICE"))
		return &md->alice;
	if (!strcmp(id, "BOB"))
		return &md->bob;
	if (!strcmp(id, "DAVE"))
		return &md->dave;
	if (!strcmp(id, "CAROL"))
		return &md->carol;
	return NULL;
}

/* The result the server must give a fresh authentic submission, in its
 * order of checks; an OK is booked in the model. */
static int expected(struct model *md, const char *payer, const char *payee, uint64_t amount,
		    uint16_t currency)
{
	int64_t *from = account_of(md, payer), *to = account_of(md, payee);
	uint16_t to_currency = !strcmp(payee, "CAROL") ? 840 : 978;

	if (!strcmp(payer, payee))
		return SC_RES_SAME_ACCOUNT;
	if (!to)
		return SC_RES_UNKNOWN_ACCOUNT;
	if (currency != to_currency)
		return SC_RES_CURRENCY_MISMATCH;
	if ((int64_t)amount > *from)
		return SC_RES_INSUFFICIENT_FUNDS;
	*from -= (int64_t)amount;
	*to += (int64_t)amount;
	return SC_RES_OK;
}

static void random_interleavings_keep_one_outcome_per_counter(void **state)
{
	static const char *const payees[] = {"ALICE", "BOB", "DAVE", "CAROL", "NOBODY"};
	static const char *const credited[] = {"ALICE", "BOB", "CAROL"};
	struct fx *f = *state;
	struct model md;
	const char *env = getenv("SC_SEED");
	uint64_t seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	int steps = 160, fd = fx_connect(f);
	struct fx_reply r;

	fprintf(stderr, "random_interleavings: SC_SEED=%llu (set it to replay this run)\n",
		(unsigned long long)seed);
	memset(&md, 0, sizeof(md));
	md.rng = seed * 2654435761u + 1;
	md.alice = 100000;
	md.carol = 5000;
	md.m = calloc((size_t)steps, sizeof(*md.m));
	assert_non_null(md.m);
	for (int step = 0; step < steps; step++) {
		unsigned op = (unsigned)(next(&md) % 100);
		struct msg *old = md.n ? &md.m[next(&md) % (uint64_t)md.n] : NULL;
		uint8_t copy[SC_SUBMIT_MSG_MAX];
		size_t clen;

		if (op < 35 || !old) { /* a new submission of a1 (ALICE, EUR) or c (CAROL, USD) */
			int which = (int)(next(&md) % 2);
			struct soft_card *card = which ? &f->c : &f->a1;
			const char *payee = payees[next(&md) % 5];
			uint64_t amount = 1 + next(&md) % (which ? 4000 : 80000);
			struct msg *m = &md.m[md.n];
			int want;

			assert_int_equal(fx_build(f, fd, card, md.next_atc[which]++, payee, amount,
						  SC_SCHEME_ENC, NULL, m->body, &m->len), 0);
			want = expected(&md, card->account, payee, amount, which ? 840 : 978);
			if (fx_send(fd, m->body, m->len, &m->first) != want)
				fail_msg("seed %llu step %d: %s pays %llu to %s: %s, not %s",
					 (unsigned long long)seed, step, card->account,
					 (unsigned long long)amount, payee,
					 sc_result_name(m->first.code), sc_result_name(want));
			md.n++;
		} else if (op < 55) { /* the same bytes again */
			assert_int_equal(fx_send(fd, old->body, old->len, &r), old->first.code);
			assert_same_reply(&r, &old->first);
		} else if (op < 70) { /* a relay's copy: (r, n - s) */
			memcpy(copy, old->body, old->len);
			clen = fx_resign(copy, old->len, fx_negate_s);
			assert_true(clen > 0);
			assert_int_equal(fx_send(fd, copy, clen, &r), old->first.code);
			assert_same_reply(&r, &old->first);
		} else if (op < 78) { /* the signature re-encoded, not DER: refused */
			memcpy(copy, old->body, old->len);
			/* 0: a 72-byte signature has no room left in a SUBMIT */
			clen = fx_der_long_form(copy, old->len);
			if (clen > 0)
				assert_int_equal(fx_send(fd, copy, clen, &r), SC_RES_AUTH_FAILED);
		} else if (op < 93) { /* the operator credits an account */
			const char *id = credited[next(&md) % 3];
			uint64_t cents = 1 + next(&md) % 50000;
			char text[32];

			snprintf(text, sizeof(text), "%llu.%02llu", (unsigned long long)(cents / 100),
				 (unsigned long long)(cents % 100));
			assert_int_equal(fx_credit(f, id, text), 0);
			*account_of(&md, id) += (int64_t)cents;
		} else {
			fd = restart(f, fd);
		}
		if (fx_balance(f, "ALICE") != md.alice || fx_balance(f, "BOB") != md.bob ||
		    fx_balance(f, "DAVE") != md.dave || fx_balance(f, "CAROL") != md.carol ||
		    !fx_ledger_ok(f))
			fail_msg("seed %llu step %d: the books differ from the model",
				 (unsigned long long)seed, step);
	}
	/* every submission made has exactly one outcome, and nothing else has */
	assert_int_equal(fx_count(f, "SELECT count(*) FROM outcomes"), md.n);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM (SELECT 1 FROM transfers"
				     " WHERE card_id IS NOT NULL GROUP BY card_id, atc"
				     " HAVING count(*) > 1) AS twice"), 0);
	/* and each is asked once more, after a last restart */
	fd = restart(f, fd);
	for (int i = 0; i < md.n; i++) {
		assert_int_equal(fx_send(fd, md.m[i].body, md.m[i].len, &r), md.m[i].first.code);
		assert_same_reply(&r, &md.m[i].first);
	}
	free(md.m);
	close(fd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest both[] = {
		fx_unit_test(a_decline_stays_a_decline_after_a_credit),
		fx_unit_test(every_final_decline_is_kept),
		fx_unit_test(a_schema_3_outcome_answers_its_own_bytes),
		fx_unit_test(random_interleavings_keep_one_outcome_per_counter),
	};

	if (argc > 1)
		fx_filter(argv[1]);
	return FX_RUN_ALL("server outcomes", both);
}
