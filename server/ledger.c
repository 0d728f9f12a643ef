/* Accounts, cards and double-entry bookings over a struct srv_db, shared by
 * the admin commands, the writer thread and the HTTP API. On PostgreSQL
 * each statement is store.c's own SQL, its placeholders rewritten
 * (pg_query.c); the logic around them is the same for both. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "common/currency.h"
#include "common/hex.h"
#include "pg_query.h"

int64_t srv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *srv_card_status_name(int status)
{
	switch (status) {
	case CARD_PREPARED: return "prepared";
	case CARD_ACTIVE: return "active";
	case CARD_BLOCKED: return "blocked";
	default: return "unknown";
	}
}

static void copy_text(char *out, size_t cap, const unsigned char *s)
{
	snprintf(out, cap, "%s", s ? (const char *)s : "");
}

int srv_account_get(struct srv_db *d, const char *id, struct srv_account *a)
{
	sqlite3_stmt *st;
	int rc;

	if (d->pg) {
		struct srv_pg_params p = {0};
		PGresult *r;

		srv_pg_text(&p, id);
		if ((rc = srv_pg_row(d->pg, ST_ACCOUNT_GET, NULL, &p, &r)) == 1)
			srv_pg_account_row(r, 0, 0, id, a);
		PQclear(r);
		return rc;
	}
	if (!(st = srv_stmt(d, ST_ACCOUNT_GET)))
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	a->currency = (uint16_t)sqlite3_column_int(st, 0);
	a->balance = sqlite3_column_int64(st, 1);
	a->flags = sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	return 1;
}

int srv_card_get(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], struct srv_card *c)
{
	sqlite3_stmt *st;
	int rc;

	if (d->pg) {
		struct srv_pg_params p = {0};
		PGresult *r;

		srv_pg_blob(&p, id, SC_CARD_ID_LEN);
		if ((rc = srv_pg_row(d->pg, ST_CARD_GET, NULL, &p, &r)) == 1)
			srv_pg_card_row(r, 0, 0, id, c);
		PQclear(r);
		return rc;
	}
	if (!(st = srv_stmt(d, ST_CARD_GET)))
		return -1;
	sqlite3_bind_blob(st, 1, id, SC_CARD_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, SC_CARD_ID_LEN);
	copy_text(c->account, sizeof(c->account), sqlite3_column_text(st, 0));
	if (sqlite3_column_bytes(st, 1) == SC_PUBKEY_LEN) {
		memcpy(c->pubkey, sqlite3_column_blob(st, 1), SC_PUBKEY_LEN);
		c->has_pubkey = 1;
	}
	c->status = sqlite3_column_int(st, 2);
	c->last_atc = sqlite3_column_int64(st, 3);
	c->jp_failures = sqlite3_column_int(st, 4);
	sqlite3_reset(st);
	return 1;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int account_insert(struct srv_db *d, const char *id, uint16_t currency, int flags)
{
	sqlite3_stmt *st;

	if (d->pg) {
		struct srv_pg_params p = {0};

		srv_pg_text(&p, id);
		srv_pg_int(&p, currency);
		srv_pg_int(&p, flags);
		srv_pg_int(&p, srv_now_ms());
		return srv_pg_change(d->pg, ST_ACCOUNT_INSERT, &p) == 1 ? 0 : -1;
	}
	if (!(st = srv_stmt(d, ST_ACCOUNT_INSERT)))
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, currency);
	sqlite3_bind_int(st, 3, flags);
	sqlite3_bind_int64(st, 4, srv_now_ms());
	return step_done(st);
}

int srv_account_add(struct srv_db *d, const char *id, int64_t delta)
{
	sqlite3_stmt *st;

	if (d->pg) {
		struct srv_pg_params p = {0};

		srv_pg_text(&p, id);
		srv_pg_int(&p, delta);
		return srv_pg_change(d->pg, ST_ACCOUNT_ADD, &p) == 1 ? 0 : -1;
	}
	if (!(st = srv_stmt(d, ST_ACCOUNT_ADD)))
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	if (step_done(st) != 0 || sqlite3_changes(d->db) != 1)
		return -1;
	return 0;
}

int64_t srv_transfer_book(struct srv_db *d, const char *payer, const char *payee,
			  uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			  int64_t now_ms)
{
	if (amount == 0 || amount > INT64_MAX)
		return -1;
	if (srv_account_add(d, payer, -(int64_t)amount) != 0 ||
	    srv_account_add(d, payee, (int64_t)amount) != 0)
		return -1;
	return srv_transfer_insert(d, payer, payee, amount, currency, card, now_ms);
}

int64_t srv_transfer_insert(struct srv_db *d, const char *payer, const char *payee,
			    uint64_t amount, uint16_t currency, const struct srv_card_ref *card,
			    int64_t now_ms)
{
	sqlite3_stmt *st;

	if (amount == 0 || amount > INT64_MAX)
		return -1;
	if (d->pg)
		return srv_pg_transfer_insert(d->pg, payer, payee, amount, currency, card, now_ms);
	if (!(st = srv_stmt(d, ST_TRANSFER_INSERT)))
		return -1;
	sqlite3_bind_text(st, 1, payer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, payee, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)amount);
	sqlite3_bind_int(st, 4, currency);
	if (card) {
		sqlite3_bind_blob(st, 5, card->card_id, SC_CARD_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, card->atc);
		sqlite3_bind_blob(st, 7, card->tx_hash, SC_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 8, card->sub_hash, SC_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 10, card->signed_hash, SC_HASH_LEN, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 9, now_ms);
	if (step_done(st) != 0)
		return -1;
	return sqlite3_last_insert_rowid(d->db);
}

/* The issuer's equity account of a currency: EQUITY-<alpha>. 0 or -1. */
static int equity_of(uint16_t currency, char out[SC_ACCOUNT_MAX + 1])
{
	const struct sc_currency *cur = sc_currency_by_numeric(currency);

	if (!cur)
		return -1;
	snprintf(out, SC_ACCOUNT_MAX + 1, "%s%s", SRV_EQUITY_PREFIX, cur->alpha);
	return 0;
}

/* An operator's booking runs in its own BEGIN IMMEDIATE (beside a serving
 * writer, which waits for it): all of it or nothing. 0, or -1 with err. */
static int begin(struct srv_db *d, char *err, size_t errlen)
{
	if (srv_db_exec(d, "BEGIN IMMEDIATE") == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "cannot lock the database: %s", srv_db_errmsg(d));
	return -1;
}

/* Books amount from the issuer's equity to id, then COMMIT; on any failure
 * (err says which) everything since begin() is rolled back. 0 or -1. */
static int book_from_equity_and_commit(struct srv_db *d, const char *equity, const char *id,
				       uint64_t amount, uint16_t currency, char *err,
				       size_t errlen)
{
	if (amount > 0 && srv_transfer_book(d, equity, id, amount, currency, NULL, srv_now_ms()) < 0)
		snprintf(err, errlen, "cannot book %s's credit: %s", id, srv_db_errmsg(d));
	else if (srv_db_exec(d, "COMMIT") != SQLITE_OK)
		snprintf(err, errlen, "commit failed: %s", srv_db_errmsg(d));
	else
		return 0;
	srv_db_exec(d, "ROLLBACK");
	return -1;
}

int srv_account_create(struct srv_db *d, const char *id, uint16_t currency, uint64_t opening,
		       char *err, size_t errlen)
{
	char equity[SC_ACCOUNT_MAX + 1];
	struct srv_account a;
	int rc;

	if (sc_account_id_valid(id) != SC_OK) {
		snprintf(err, errlen, "'%s' is not a valid account id (1..%u of A-Z 0-9 -,"
			 " not starting with -)", id, SC_ACCOUNT_MAX);
		return -1;
	}
	if (equity_of(currency, equity) != 0) {
		snprintf(err, errlen, "currency %u is not known", currency);
		return -1;
	}
	if (strncmp(id, SRV_EQUITY_PREFIX, strlen(SRV_EQUITY_PREFIX)) == 0) {
		snprintf(err, errlen, "account ids starting with %s are the issuer's",
			 SRV_EQUITY_PREFIX);
		return -1;
	}
	if (opening > INT64_MAX) {
		snprintf(err, errlen, "opening balance too large");
		return -1;
	}
	if (begin(d, err, errlen) != 0)
		return -1;
	rc = srv_account_get(d, id, &a);
	if (rc != 0) {
		snprintf(err, errlen, rc > 0 ? "account %s exists already" : "database error: %s",
			 rc > 0 ? id : srv_db_errmsg(d));
		goto fail;
	}
	rc = srv_account_get(d, equity, &a);
	if (rc < 0 || (rc == 0 && account_insert(d, equity, currency, SRV_ACCOUNT_ISSUER) != 0) ||
	    account_insert(d, id, currency, 0) != 0) {
		snprintf(err, errlen, "cannot create account %s: %s", id, srv_db_errmsg(d));
		goto fail;
	}
	return book_from_equity_and_commit(d, equity, id, opening, currency, err, errlen);
fail:
	srv_db_exec(d, "ROLLBACK");
	return -1;
}

int srv_account_credit(struct srv_db *d, const char *id, uint64_t amount, char *err,
		       size_t errlen)
{
	char equity[SC_ACCOUNT_MAX + 1];
	struct srv_account a;
	int rc;

	if (amount == 0 || amount > INT64_MAX) {
		snprintf(err, errlen, "a credit must be above zero and below 2^63 minor units");
		return -1;
	}
	if (begin(d, err, errlen) != 0)
		return -1;
	rc = srv_account_get(d, id, &a);
	if (rc != 1 || (a.flags & SRV_ACCOUNT_ISSUER) || equity_of(a.currency, equity) != 0) {
		snprintf(err, errlen, rc < 0 ? "database error" : "no customer account %s", id);
		srv_db_exec(d, "ROLLBACK");
		return -1;
	}
	return book_from_equity_and_commit(d, equity, id, amount, a.currency, err, errlen);
}

int srv_card_prepare(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], const char *account,
		     char *err, size_t errlen)
{
	struct srv_account a;
	struct srv_card c;
	sqlite3_stmt *st;
	char hex[2 * SC_CARD_ID_LEN + 1];
	int rc;

	sc_hex_encode(hex, id, SC_CARD_ID_LEN);
	if ((rc = srv_account_get(d, account, &a)) != 1 || (a.flags & SRV_ACCOUNT_ISSUER)) {
		snprintf(err, errlen, rc < 0 ? "database error" : "no customer account %s", account);
		return -1;
	}
	if ((rc = srv_card_get(d, id, &c)) != 0) {
		snprintf(err, errlen, rc < 0 ? "database error" : "card %s exists already", hex);
		return -1;
	}
	if (d->pg) {
		struct srv_pg_params p = {0};

		srv_pg_blob(&p, id, SC_CARD_ID_LEN);
		srv_pg_text(&p, account);
		srv_pg_int(&p, srv_now_ms());
		rc = srv_pg_change(d->pg, ST_CARD_INSERT, &p) == 1 ? 0 : -1;
	} else if ((st = srv_stmt(d, ST_CARD_INSERT))) {
		sqlite3_bind_blob(st, 1, id, SC_CARD_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, srv_now_ms());
		rc = step_done(st);
	} else {
		rc = -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot record card %s: %s", hex, srv_db_errmsg(d));
		return -1;
	}
	return 0;
}

int srv_card_enrol(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], const char *account,
		   const uint8_t pubkey[SC_PUBKEY_LEN], char *err, size_t errlen)
{
	struct srv_card c;
	sqlite3_stmt *st;
	char hex[2 * SC_CARD_ID_LEN + 1];
	int rc;

	sc_hex_encode(hex, id, SC_CARD_ID_LEN);
	if ((rc = srv_card_get(d, id, &c)) != 1) {
		snprintf(err, errlen, rc < 0 ? "database error" :
			 "card %s was not prepared by this issuer (run 'card prepare' first)", hex);
		return -1;
	}
	if (strcmp(c.account, account) != 0) {
		snprintf(err, errlen, "the record names account %s but card %s was prepared for %s",
			 account, hex, c.account);
		return -1;
	}
	if (c.status != CARD_PREPARED) {
		snprintf(err, errlen, "card %s is already enrolled (%s)", hex,
			 srv_card_status_name(c.status));
		return -1;
	}
	if (d->pg) {
		struct srv_pg_params p = {0};

		srv_pg_blob(&p, id, SC_CARD_ID_LEN);
		srv_pg_blob(&p, pubkey, SC_PUBKEY_LEN);
		rc = srv_pg_change(d->pg, ST_CARD_ENROL, &p) == 1 ? 0 : -1;
	} else if ((st = srv_stmt(d, ST_CARD_ENROL))) {
		sqlite3_bind_blob(st, 1, id, SC_CARD_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, pubkey, SC_PUBKEY_LEN, SQLITE_STATIC);
		rc = step_done(st);
	} else {
		rc = -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot enrol card %s: %s", hex, srv_db_errmsg(d));
		return -1;
	}
	return 0;
}

int srv_card_set_status(struct srv_db *d, const uint8_t id[SC_CARD_ID_LEN], int status,
			char *err, size_t errlen)
{
	struct srv_card c;
	sqlite3_stmt *st;
	char hex[2 * SC_CARD_ID_LEN + 1];
	int rc;

	sc_hex_encode(hex, id, SC_CARD_ID_LEN);
	if ((rc = srv_card_get(d, id, &c)) != 1) {
		snprintf(err, errlen, rc < 0 ? "database error" : "no card %s", hex);
		return -1;
	}
	if (c.status == CARD_PREPARED) {
		snprintf(err, errlen, "card %s is not enrolled yet", hex);
		return -1;
	}
	if (d->pg) {
		struct srv_pg_params p = {0};

		srv_pg_blob(&p, id, SC_CARD_ID_LEN);
		srv_pg_int(&p, status);
		rc = srv_pg_change(d->pg, ST_CARD_STATUS, &p) == 1 ? 0 : -1;
	} else if ((st = srv_stmt(d, ST_CARD_STATUS))) {
		sqlite3_bind_blob(st, 1, id, SC_CARD_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, status);
		rc = step_done(st);
	} else {
		rc = -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot change card %s: %s", hex, srv_db_errmsg(d));
		return -1;
	}
	return 0;
}

int srv_challenges_purge(struct srv_db *d, int64_t now_ms)
{
	sqlite3_stmt *st;

	if (d->pg) {
		struct srv_pg_params p = {0};

		srv_pg_int(&p, now_ms);
		return srv_pg_change(d->pg, ST_CHALLENGE_PURGE, &p) < 0 ? -1 : 0;
	}
	if (!(st = srv_stmt(d, ST_CHALLENGE_PURGE)))
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	return step_done(st);
}

/* Each query returns one row naming a broken invariant, or none. The
 * first CHECKS_TOTALS read the accounts and a few rows only; the others
 * read every transfer. */
#define CHECKS_TOTALS 4
/* The stored receipt counter against the largest receipt's, the
 * comparison to follow. */
#define COUNTER_VS_RECEIPTS \
	"WITH c(n) AS (SELECT COALESCE(MAX(counter), 0) FROM (SELECT counter FROM receipts" \
	" UNION ALL SELECT counter FROM declines) AS u)" \
	" SELECT 'counter ' || value || ', largest receipt ' || (SELECT n FROM c)" \
	" FROM meta WHERE key = 'receipt_counter' AND value "
static const struct {
	const char *what;
	const char *sql;
	const char *pg_sql;               /* PostgreSQL's own, where it differs */
} checks[] = {
	{"balances of a currency do not sum to zero",
	 "SELECT currency || ': ' || SUM(balance) FROM accounts GROUP BY currency"
	 " HAVING SUM(balance) != 0 LIMIT 1", NULL},
	{"a customer balance is negative",
	 "SELECT id || ': ' || balance FROM accounts WHERE balance < 0 AND (flags & 1) = 0 LIMIT 1", NULL},
	/* The writer continues from the stored counter: one behind the
	 * receipts would give a used counter again (and fail every commit). */
	{"the receipt counter is missing",
	 "SELECT 'meta' WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'receipt_counter')", NULL},
	/* Payments' receipts and final declines' share the one counter. On
	 * PostgreSQL each batch reserves a block ahead of its COMMIT (store_pg.c),
	 * so the counter is at or past the largest receipt, never behind. */
	{"the receipt counter differs from the largest stored receipt",
	 COUNTER_VS_RECEIPTS "!= (SELECT n FROM c)", COUNTER_VS_RECEIPTS "< (SELECT n FROM c)"},
	/* Debits by the indexes schema 6 has: those no card made by payer,
	 * a card's through the account's cards. A card transfer whose payer
	 * is not its card's account is in neither sum, so its payer's
	 * balance differs and is named. */
	{"a balance differs from its credits minus its debits",
	 "SELECT a.id || ': ' || a.balance FROM accounts a WHERE a.balance !="
	 " (SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE payee = a.id) -"
	 " (SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE payer = a.id"
	 "  AND card_id IS NULL) -"
	 " (SELECT COALESCE(SUM(t.amount), 0) FROM cards c JOIN transfers t"
	 "  ON t.card_id = c.card_id WHERE c.account = a.id AND t.payer = a.id) LIMIT 1", NULL},
	{"a transfer crosses currencies",
	 "SELECT t.id FROM transfers t JOIN accounts p ON p.id = t.payer"
	 " JOIN accounts q ON q.id = t.payee"
	 " WHERE p.currency != t.currency OR q.currency != t.currency LIMIT 1", NULL},
	{"a card transfer has no receipt",
	 "SELECT t.id FROM transfers t LEFT JOIN receipts r ON r.transfer_id = t.id"
	 " WHERE t.card_id IS NOT NULL AND r.transfer_id IS NULL LIMIT 1", NULL},
};

static int run_checks(struct srv_db *d, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st;
		int rc;

		if (d->pg) {
			PGresult *r = srv_pg_query(d->pg, checks[i].pg_sql ? checks[i].pg_sql
									  : checks[i].sql, NULL);

			if (!r)
				snprintf(err, errlen, "cannot check: %s", srv_db_errmsg(d));
			else if (PQntuples(r) > 0)
				snprintf(err, errlen, "%s (%s)", checks[i].what, PQgetvalue(r, 0, 0));
			rc = r && PQntuples(r) == 0;
			PQclear(r);
			if (!rc)
				return -1;
			continue;
		}
		if (sqlite3_prepare_v2(d->db, checks[i].sql, -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot check: %s", srv_db_errmsg(d));
			return -1;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			snprintf(err, errlen, "%s (%s)", checks[i].what,
				 (const char *)sqlite3_column_text(st, 0));
		else if (rc != SQLITE_DONE)
			snprintf(err, errlen, "cannot check: %s", srv_db_errmsg(d));
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int srv_ledger_check(struct srv_db *d, char *err, size_t errlen)
{
	return run_checks(d, sizeof(checks) / sizeof(checks[0]), err, errlen);
}

int srv_ledger_check_totals(struct srv_db *d, char *err, size_t errlen)
{
	return run_checks(d, CHECKS_TOTALS, err, errlen);
}
