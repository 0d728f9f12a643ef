/* The ledger and the issuer's books: schema migration, key files,
 * accounts with opening balances, card preparation and enrolment, the
 * invariants and the history the database itself keeps immutable; on
 * SQLite and on PostgreSQL (fx_run), but what is SQLite's by nature. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "server_fixture.h"

struct env {
	char dir[128];
	char db[SRV_PATH_MAX], key[192], rkey[192];
};

static int setup(void **state)
{
	static struct env e;
	const char *tmp = getenv("TMPDIR");

	snprintf(e.dir, sizeof(e.dir), "%s/sc-store-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(e.dir))
		return -1;
	if (fx_ledger_path(e.db, sizeof(e.db), e.dir) != 0)
		return -1;
	snprintf(e.key, sizeof(e.key), "%s/master.key", e.dir);
	snprintf(e.rkey, sizeof(e.rkey), "%s/receipt.key", e.dir);
	log_init("test", 1, 0);
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void schema_migrates_step_by_step(void **state)
{
	struct env *e = *state;
	struct srv_db d;
	char err[256];

	assert_int_equal(fx_db_open(&d, e->db, 1, err, sizeof(err)), 0);
	assert_int_equal(srv_db_version(&d), 1);
	/* version 1 has no triggers yet: history could still be rewritten */
	assert_int_equal(fx_exec(&d, "INSERT INTO accounts VALUES ('X', 978, 0, 0, 0);"
					  "INSERT INTO transfers (payer, payee, amount, currency,"
					  " created_ms) VALUES ('X', 'X', 1, 978, 0);"
					  "UPDATE transfers SET amount = 2"), SQLITE_OK);
	srv_db_close(&d);
	assert_int_equal(fx_db_open(&d, e->db, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(srv_db_version(&d), SRV_SCHEMA_VERSION);
	/* 3: the receipts' signature column holds seals now */
	assert_int_equal(fx_exec(&d, "SELECT seal FROM receipts"), SQLITE_OK);
	assert_int_not_equal(fx_exec(&d, "SELECT sig FROM receipts"), SQLITE_OK);
	assert_int_not_equal(fx_exec(&d, "UPDATE transfers SET amount = 3"), SQLITE_OK);
	assert_int_not_equal(fx_exec(&d, "DELETE FROM transfers"), SQLITE_OK);
	assert_int_equal(fx_exec(&d, "INSERT INTO audit (at_ms, peer, raw, result, detail)"
					  " VALUES (0, 'p', x'02', 1, 'd')"), SQLITE_OK);
	assert_int_not_equal(fx_exec(&d, "DELETE FROM audit"), SQLITE_OK);
	assert_int_not_equal(fx_exec(&d, "UPDATE audit SET result = 0"), SQLITE_OK);
	/* a file from a newer build is refused, not damaged */
	assert_int_equal(fx_exec(&d, "UPDATE schema_version SET version = 99"), SQLITE_OK);
	srv_db_close(&d);
	assert_int_equal(fx_db_open(&d, e->db, SRV_SCHEMA_VERSION, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "99"));
}

static int count_of(struct srv_db *d, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* 5 -> 6: the payer index keeps only the transfers no card made, the
 * cards are indexed by account, and a ledger of version 5 with card
 * payments in it still checks out; a card transfer whose payer is not
 * its card's account is still found by the check. */
static void schema_6_card_payments_leave_the_payer_index(void **state)
{
	struct env *e = *state;
	struct srv_db d;
	char err[256];

	assert_int_equal(srv_db_open(&d, e->db, 0, 5, err, sizeof(err)), 0);
	assert_int_equal(srv_db_exec(&d, "INSERT INTO accounts VALUES ('EQUITY-EUR', 978, -300, 1, 0);"
					  "INSERT INTO accounts VALUES ('A', 978, 290, 0, 0);"
					  "INSERT INTO accounts VALUES ('B', 978, 10, 0, 0);"
					  "INSERT INTO cards (card_id, account, status, created_ms)"
					  " VALUES (x'0102030405060708', 'A', 1, 0);"
					  "INSERT INTO transfers (payer, payee, amount, currency,"
					  " created_ms) VALUES ('EQUITY-EUR', 'A', 300, 978, 0);"
					  "INSERT INTO transfers (payer, payee, amount, currency, card_id,"
					  " atc, created_ms) VALUES ('A', 'B', 10, 978,"
					  " x'0102030405060708', 1, 0);"
					  "INSERT INTO receipts VALUES (2, 1, zeroblob(76), zeroblob(80));"
					  "UPDATE meta SET value = 1 WHERE key = 'receipt_counter'"),
			 SQLITE_OK);
	srv_db_close(&d);
	assert_int_equal(srv_db_open(&d, e->db, 0, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(srv_db_version(&d), 6);
	assert_int_equal(count_of(&d, "SELECT count(*) FROM sqlite_schema WHERE name ="
				      " 'transfers_payer' AND sql LIKE '%WHERE card_id IS NULL'"), 1);
	assert_int_equal(count_of(&d, "SELECT count(*) FROM sqlite_schema WHERE name ="
				      " 'cards_account'"), 1);
	/* the index holds the opening balance's transfer, not the card's */
	assert_int_equal(count_of(&d, "SELECT count(*) FROM transfers INDEXED BY transfers_payer"
				      " WHERE payer = 'EQUITY-EUR' AND card_id IS NULL"), 1);
	assert_int_equal(count_of(&d, "SELECT count(*) FROM transfers INDEXED BY transfers_payer"
				      " WHERE payer = 'A' AND card_id IS NULL"), 0);
	if (srv_ledger_check(&d, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* a card payment booked against another payer than its card's
	 * account: that payer's balance is named */
	assert_int_equal(srv_db_exec(&d, "INSERT INTO transfers (payer, payee, amount, currency,"
				      " card_id, atc, created_ms) VALUES ('B', 'A', 5, 978,"
				      " x'0102030405060708', 2, 0);"
				      "UPDATE accounts SET balance = balance - 5 WHERE id = 'B';"
				      "UPDATE accounts SET balance = balance + 5 WHERE id = 'A';"
				      "INSERT INTO receipts VALUES (3, 2, zeroblob(76), zeroblob(80));"
				      "UPDATE meta SET value = 2 WHERE key = 'receipt_counter'"),
			 SQLITE_OK);
	assert_int_equal(srv_ledger_check(&d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "credits minus its debits"));
	assert_non_null(strstr(err, "B: 5"));
	srv_db_close(&d);
}

static void wal_and_full_sync(void **state)
{
	struct env *e = *state;
	struct srv_db d;
	sqlite3_stmt *st;
	char err[256];

	assert_int_equal(fx_db_open(&d, e->db, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_prepare_v2(d.db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(d.db, "PRAGMA synchronous", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2); /* FULL */
	sqlite3_finalize(st);
	srv_db_close(&d);
}

static void key_files_are_private(void **state)
{
	struct env *e = *state;
	uint8_t k[SC_MASTER_KEY_LEN];
	char err[256];
	struct srv_config cfg;
	EVP_PKEY *rk;

	assert_int_equal(srv_master_key_create(e->key, err, sizeof(err)), 0);
	assert_int_equal(srv_master_key_create(e->key, err, sizeof(err)), -1); /* never overwrite */
	assert_int_equal(srv_receipt_key_create(e->rkey, err, sizeof(err)), 0);
	assert_int_equal(srv_master_key_load(e->key, k, err, sizeof(err)), 0);
	rk = srv_receipt_key_load(e->rkey, err, sizeof(err));
	assert_non_null(rk);
	EVP_PKEY_free(rk);
	assert_int_equal(chmod(e->key, 0640), 0);
	assert_int_equal(srv_master_key_load(e->key, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	/* and the daemon refuses to start on it */
	srv_config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", e->dir);
	srv_config_paths(&cfg);
	cfg.foreground = 1;
	cfg.tcp_addr[0] = cfg.http_addr[0] = '\0';
	assert_int_equal(srv_run(&cfg), 1);
	assert_int_equal(chmod(e->key, 0600), 0);
	assert_int_equal(chmod(e->rkey, 0604), 0);
	assert_null(srv_receipt_key_load(e->rkey, err, sizeof(err)));
	sc_wipe(k, sizeof(k));
}

static void accounts_and_the_books(void **state)
{
	struct env *e = *state;
	struct srv_account a;
	struct srv_db d;
	char err[256];

	assert_int_equal(fx_db_open(&d, e->db, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(srv_account_create(&d, "ALICE", 978, 12345, err, sizeof(err)), 0);
	assert_int_equal(srv_account_create(&d, "BOB", 978, 0, err, sizeof(err)), 0);
	assert_int_equal(srv_account_create(&d, "CAROL", 840, 500, err, sizeof(err)), 0);
	assert_int_equal(srv_account_create(&d, "ALICE", 978, 1, err, sizeof(err)), -1);
	assert_int_equal(srv_account_create(&d, "alice", 978, 1, err, sizeof(err)), -1);
	assert_int_equal(srv_account_create(&d, "-X", 978, 1, err, sizeof(err)), -1);
	assert_int_equal(srv_account_create(&d, "EQUITY-GBP", 826, 1, err, sizeof(err)), -1);
	assert_int_equal(srv_account_create(&d, "Y", 1000, 1, err, sizeof(err)), -1);
	assert_int_equal(srv_account_get(&d, "ALICE", &a), 1);
	assert_int_equal(a.balance, 12345);
	assert_int_equal(srv_account_get(&d, "EQUITY-EUR", &a), 1);
	assert_int_equal(a.balance, -12345);
	assert_true(a.flags & SRV_ACCOUNT_ISSUER);
	assert_int_equal(srv_account_get(&d, "EQUITY-USD", &a), 1);
	assert_int_equal(a.balance, -500);
	assert_int_equal(srv_ledger_check(&d, err, sizeof(err)), 0);
	/* a customer balance below zero is refused by the schema itself */
	assert_int_not_equal(fx_exec(&d, "UPDATE accounts SET balance = -1 WHERE id = 'BOB'"),
			     SQLITE_OK);
	/* a balance changed behind the books' back is found by the check */
	assert_int_equal(fx_exec(&d, "UPDATE accounts SET balance = 1 WHERE id = 'BOB'"), SQLITE_OK);
	assert_int_equal(srv_ledger_check(&d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sum to zero"));
	srv_db_close(&d);
}

static void card_prepare_then_enrol(void **state)
{
	struct env *e = *state;
	uint8_t id[SC_CARD_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8}, k[SC_KCARD_LEN] = {0};
	struct soft_card c;
	struct srv_card card;
	struct srv_db d;
	char err[256];

	assert_int_equal(soft_card_new(&c, id, k, "ALICE"), 0);
	assert_int_equal(fx_db_open(&d, e->db, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(srv_account_create(&d, "ALICE", 978, 0, err, sizeof(err)), 0);
	assert_int_equal(srv_account_create(&d, "BOB", 978, 0, err, sizeof(err)), 0);
	/* never prepared */
	assert_int_equal(srv_card_enrol(&d, id, "ALICE", c.pubkey, err, sizeof(err)), -1);
	assert_int_equal(srv_card_prepare(&d, id, "NOBODY", err, sizeof(err)), -1);
	assert_int_equal(srv_card_prepare(&d, id, "EQUITY-EUR", err, sizeof(err)), -1);
	assert_int_equal(srv_card_prepare(&d, id, "ALICE", err, sizeof(err)), 0);
	assert_int_equal(srv_card_prepare(&d, id, "ALICE", err, sizeof(err)), -1);
	assert_int_equal(srv_card_get(&d, id, &card), 1);
	assert_int_equal(card.status, CARD_PREPARED);
	assert_int_equal(srv_card_set_status(&d, id, CARD_BLOCKED, err, sizeof(err)), -1);
	/* the record names another account */
	assert_int_equal(srv_card_enrol(&d, id, "BOB", c.pubkey, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "prepared for ALICE"));
	assert_int_equal(srv_card_enrol(&d, id, "ALICE", c.pubkey, err, sizeof(err)), 0);
	assert_int_equal(srv_card_enrol(&d, id, "ALICE", c.pubkey, err, sizeof(err)), -1);
	assert_int_equal(srv_card_get(&d, id, &card), 1);
	assert_int_equal(card.status, CARD_ACTIVE);
	assert_int_equal(card.last_atc, -1);
	assert_memory_equal(card.pubkey, c.pubkey, SC_PUBKEY_LEN);
	assert_int_equal(srv_card_set_status(&d, id, CARD_BLOCKED, err, sizeof(err)), 0);
	assert_int_equal(srv_card_get(&d, id, &card), 1);
	assert_int_equal(card.status, CARD_BLOCKED);
	srv_db_close(&d);
	soft_card_free(&c);
	/* a point off the curve is not a public key */
	{
		uint8_t bad[SC_PUBKEY_LEN] = {0x04, 1, 2, 3};

		assert_null(srv_pubkey_import(bad, 0));
		assert_null(srv_pubkey_import(bad, 1));
	}
}

/* Schema 3 -> 4 keeps every record: each card transfer is the outcome of
 * its (card, ATC), matched by its submission's hash (its signed data was
 * never stored); declines are immutable like transfers, and a (card, ATC)
 * holds one outcome across both. */
static void schema_3_card_transfers_become_outcomes(void **state)
{
	struct env *e = *state;
	struct srv_db d;
	char err[256];

	assert_int_equal(fx_db_open(&d, e->db, 3, err, sizeof(err)), 0);
	assert_int_equal(fx_exec(&d,
		"INSERT INTO accounts VALUES ('EQUITY-EUR', 978, -500, 1, 0);"
		"INSERT INTO accounts VALUES ('A', 978, 400, 0, 0);"
		"INSERT INTO accounts VALUES ('B', 978, 100, 0, 0);"
		"INSERT INTO cards (card_id, account, status, created_ms)"
		" VALUES (x'0102030405060708', 'A', 1, 0);"
		"INSERT INTO transfers (payer, payee, amount, currency, created_ms)"
		" VALUES ('EQUITY-EUR', 'A', 500, 978, 0);"
		"INSERT INTO transfers (payer, payee, amount, currency, card_id, atc, tx_hash,"
		" submission_hash, created_ms) VALUES ('A', 'B', 100, 978,"
		" x'0102030405060708', 7, zeroblob(32), x'1111111111111111111111111111111111111111111111111111111111111111', 0);"
		"INSERT INTO receipts VALUES (2, 1, zeroblob(76), zeroblob(80));"), SQLITE_OK);
	srv_db_close(&d);
	assert_int_equal(fx_db_open(&d, e->db, SRV_SCHEMA_VERSION, err, sizeof(err)), 0);
	assert_int_equal(fx_db_count(&d, "SELECT count(*) FROM outcomes"
				     " WHERE card_id = x'0102030405060708' AND atc = 7"), 1);
	/* that one outcome is the transfer, matched by its submission */
	assert_int_equal(fx_db_count(&d, "SELECT count(*) FROM outcomes o"
				     " JOIN transfers t ON t.id = o.transfer_id"
				     " WHERE o.card_id = x'0102030405060708' AND o.atc = 7"
				     " AND o.code = 0 AND o.transfer_id = 2 AND o.signed_hash IS NULL"
				     " AND o.result IS NULL"
				     " AND o.submission_hash = t.submission_hash"), 1);
	/* a decline for a counter that executed is refused by the database */
	assert_int_not_equal(fx_exec(&d, "INSERT INTO declines VALUES (x'0102030405060708', 7,"
					  " zeroblob(32), zeroblob(32), 8, x'820800', 2)"), SQLITE_OK);
	assert_int_equal(fx_exec(&d, "INSERT INTO declines VALUES (x'0102030405060708', 8,"
				      " zeroblob(32), zeroblob(32), 8, x'820800', 2)"), SQLITE_OK);
	assert_int_not_equal(fx_exec(&d, "UPDATE declines SET code = 9"), SQLITE_OK);
	assert_int_not_equal(fx_exec(&d, "DELETE FROM declines"), SQLITE_OK);
	/* and a transfer for a counter that was declined */
	assert_int_not_equal(fx_exec(&d, "INSERT INTO transfers (payer, payee, amount, currency,"
					  " card_id, atc, created_ms) VALUES ('A', 'B', 1, 978,"
					  " x'0102030405060708', 8, 0)"), SQLITE_OK);
	assert_int_equal(fx_db_count(&d, "SELECT count(*) FROM outcomes"), 2);
	/* the decline's receipt took counter 2: the ledger's counter is behind */
	assert_int_not_equal(srv_ledger_check(&d, err, sizeof(err)), 0);
	assert_int_equal(fx_exec(&d, "UPDATE meta SET value = 2 WHERE key = 'receipt_counter'"),
			 SQLITE_OK);
	assert_int_equal(srv_ledger_check(&d, err, sizeof(err)), 0);
	srv_db_close(&d);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest both[] = {
		cmocka_unit_test_setup_teardown(schema_migrates_step_by_step, setup, teardown),
		cmocka_unit_test_setup_teardown(schema_3_card_transfers_become_outcomes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(accounts_and_the_books, setup, teardown),
		cmocka_unit_test_setup_teardown(card_prepare_then_enrol, setup, teardown),
	};
	/* SQLite's by nature: its journal and sync pragmas; the key files,
	 * which no ledger holds (the daemon refuses them before it opens one) */
	const struct CMUnitTest sqlite_only[] = {
		/* SQLite's own schema table, zeroblob and INDEXED BY */
		cmocka_unit_test_setup_teardown(schema_6_card_payments_leave_the_payer_index, setup,
						teardown),
		cmocka_unit_test_setup_teardown(wal_and_full_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(key_files_are_private, setup, teardown),
	};

	if (argc > 1)
		fx_filter(argv[1]);
	return FX_RUN("server store", both, sqlite_only);
}
