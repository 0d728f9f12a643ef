/* The SQLite ledger file: opening with the durability settings, the schema
 * and its migrations, and each connection's cache of prepared statements. */
#include <stdio.h>
#include <string.h>
#include "server.h"

/* Migration i takes the schema from version i to i + 1. Append only: a
 * database in the field has run the earlier ones. */
static const char *const migrations[] = {
	/* 0 -> 1: the books */
	"CREATE TABLE accounts ("
	"  id TEXT PRIMARY KEY,"
	"  currency INTEGER NOT NULL CHECK (currency BETWEEN 1 AND 999),"
	"  balance INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL,"
	"  CHECK (balance >= 0 OR (flags & 1) = 1));"
	"CREATE TABLE cards ("
	"  card_id BLOB PRIMARY KEY CHECK (length(card_id) = 8),"
	"  account TEXT NOT NULL REFERENCES accounts(id),"
	"  pubkey BLOB CHECK (pubkey IS NULL OR length(pubkey) = 65),"
	"  status INTEGER NOT NULL,"
	"  last_atc INTEGER NOT NULL DEFAULT -1,"
	"  jp_failures INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE challenges ("
	"  challenge BLOB PRIMARY KEY,"
	"  terminal_id TEXT NOT NULL,"
	"  expires_ms INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE transfers ("
	"  id INTEGER PRIMARY KEY,"
	"  payer TEXT NOT NULL REFERENCES accounts(id),"
	"  payee TEXT NOT NULL REFERENCES accounts(id),"
	"  amount INTEGER NOT NULL CHECK (amount > 0),"
	"  currency INTEGER NOT NULL,"
	"  card_id BLOB,"
	"  atc INTEGER,"
	"  tx_hash BLOB,"
	"  submission_hash BLOB,"
	"  created_ms INTEGER NOT NULL,"
	"  UNIQUE (card_id, atc));"
	"CREATE INDEX transfers_payer ON transfers(payer);"
	"CREATE INDEX transfers_payee ON transfers(payee);"
	"CREATE TABLE receipts ("
	"  transfer_id INTEGER PRIMARY KEY REFERENCES transfers(id),"
	"  counter INTEGER NOT NULL UNIQUE,"
	"  body BLOB NOT NULL,"
	"  sig BLOB NOT NULL);"
	"CREATE TABLE message_failures ("
	"  signed_hash BLOB PRIMARY KEY,"
	"  card_id BLOB NOT NULL,"
	"  failures INTEGER NOT NULL);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at_ms INTEGER NOT NULL,"
	"  peer TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  result INTEGER NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO meta VALUES ('receipt_counter', 0);",
	/* 1 -> 2: what the issue calls immutable is made so by the database
	 * itself, so that no later code path can rewrite history. */
	"CREATE TRIGGER transfers_immutable BEFORE UPDATE ON transfers"
	"  BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;"
	"CREATE TRIGGER transfers_kept BEFORE DELETE ON transfers"
	"  BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;"
	"CREATE TRIGGER receipts_immutable BEFORE UPDATE ON receipts"
	"  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;"
	"CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_kept BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
	/* 2 -> 3: receipts are sealed per commit batch (common/seal.h): the
	 * column holds the seal, a path and the batch root's signature. */
	"ALTER TABLE receipts RENAME COLUMN sig TO seal;",
	/* 3 -> 4: one outcome per (card, ATC), executed or finally declined,
	 * kept forever. signed_hash is what was signed: any valid signature
	 * over it is the same payment. An executed one is its transfer (the
	 * writer's path for a payment gains a column, not a write); a decline
	 * is a row of declines with its exact RESULT. Transfers of version 3
	 * have no signed hash (their signed data cannot be recomputed here)
	 * and are matched by the submission's hash, as before. The view is
	 * the one place that reads them together; the triggers keep one
	 * outcome per (card, ATC) across the two tables. */
	"ALTER TABLE transfers ADD COLUMN signed_hash BLOB;"
	"CREATE TABLE declines ("
	"  card_id BLOB NOT NULL CHECK (length(card_id) = 8),"
	"  atc INTEGER NOT NULL,"
	"  signed_hash BLOB NOT NULL CHECK (length(signed_hash) = 32),"
	"  submission_hash BLOB NOT NULL,"
	"  code INTEGER NOT NULL CHECK (code != 0),"
	"  result BLOB NOT NULL,"
	"  counter INTEGER NOT NULL UNIQUE,"   /* its receipt's, as receipts.counter */
	"  PRIMARY KEY (card_id, atc)) WITHOUT ROWID;"
	"CREATE TRIGGER declines_immutable BEFORE UPDATE ON declines"
	"  BEGIN SELECT RAISE(ABORT, 'declines are immutable'); END;"
	"CREATE TRIGGER declines_kept BEFORE DELETE ON declines"
	"  BEGIN SELECT RAISE(ABORT, 'declines are immutable'); END;"
	"CREATE TRIGGER declines_one_outcome BEFORE INSERT ON declines"
	"  WHEN EXISTS (SELECT 1 FROM transfers WHERE card_id = NEW.card_id AND atc = NEW.atc)"
	"  BEGIN SELECT RAISE(ABORT, 'this card counter has an outcome'); END;"
	"CREATE TRIGGER transfers_one_outcome BEFORE INSERT ON transfers"
	"  WHEN NEW.card_id IS NOT NULL AND EXISTS (SELECT 1 FROM declines"
	"  WHERE card_id = NEW.card_id AND atc = NEW.atc)"
	"  BEGIN SELECT RAISE(ABORT, 'this card counter has an outcome'); END;"
	"CREATE VIEW outcomes (card_id, atc, signed_hash, submission_hash, code, transfer_id,"
	"  result) AS"
	"  SELECT card_id, atc, signed_hash, submission_hash, 0, id, NULL FROM transfers"
	"  WHERE card_id IS NOT NULL"
	"  UNION ALL SELECT card_id, atc, signed_hash, submission_hash, code, NULL, result"
	"  FROM declines;",
	/* 4 -> 5: the issuer's PIN unblock approvals (server/unblock.c), one
	 * per card: 0 approved, 1 its script delivered for challenge, 2 the
	 * card answered 9000, 3 the card refused it (sw). */
	"CREATE TABLE pin_unblocks ("
	"  card_id BLOB PRIMARY KEY REFERENCES cards(card_id),"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),"
	"  approved_ms INTEGER NOT NULL,"
	"  challenge BLOB CHECK (challenge IS NULL OR length(challenge) = 16),"
	"  delivered_ms INTEGER,"
	"  sw INTEGER,"
	"  reported_ms INTEGER);",
	/* 5 -> 6: a card payment's payer is its card's account (decide.c),
	 * and its transfers are found by (card_id, atc); indexed by payer as
	 * well, every payment inserted into the payer index where its card's
	 * account has its entries, a page of its own for each of the cards
	 * paying at once, written to the WAL at each commit and copied into
	 * the database at each checkpoint. The payer index keeps the
	 * transfers no card made (opening balances, credits); the account's
	 * cards lead to the rest (ledger.c's check, the /v1 account
	 * history). */
	"DROP INDEX transfers_payer;"
	"CREATE INDEX transfers_payer ON transfers(payer) WHERE card_id IS NULL;"
	"CREATE INDEX IF NOT EXISTS cards_account ON cards(account);",
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_ACCOUNT_GET] = "SELECT currency, balance, flags FROM accounts WHERE id = ?1",
	[ST_ACCOUNT_INSERT] = "INSERT INTO accounts (id, currency, balance, flags, created_ms)"
			      " VALUES (?1, ?2, 0, ?3, ?4)",
	[ST_ACCOUNT_ADD] = "UPDATE accounts SET balance = balance + ?2 WHERE id = ?1",
	[ST_CARD_GET] = "SELECT account, pubkey, status, last_atc, jp_failures FROM cards"
			" WHERE card_id = ?1",
	[ST_CARD_INSERT] = "INSERT INTO cards (card_id, account, status, created_ms)"
			   " VALUES (?1, ?2, 0, ?3)",
	[ST_CARD_ENROL] = "UPDATE cards SET pubkey = ?2, status = 1 WHERE card_id = ?1",
	[ST_CARD_STATUS] = "UPDATE cards SET status = ?2,"
			   " jp_failures = CASE WHEN ?2 = 1 THEN 0 ELSE jp_failures END"
			   " WHERE card_id = ?1",
	[ST_CARD_ACCEPT] = "UPDATE cards SET last_atc = ?2, jp_failures = 0 WHERE card_id = ?1",
	[ST_CARD_JP_FAIL] = "UPDATE cards SET jp_failures = ?2,"
			    " status = CASE WHEN ?3 = 1 THEN 2 ELSE status END WHERE card_id = ?1",
	[ST_CHALLENGE_INSERT] = "INSERT INTO challenges (challenge, terminal_id, expires_ms)"
				" VALUES (?1, ?2, ?3)",
	[ST_CHALLENGE_GET] = "SELECT terminal_id, expires_ms, used FROM challenges"
			     " WHERE challenge = ?1",
	[ST_CHALLENGE_USE] = "UPDATE challenges SET used = 1 WHERE challenge = ?1",
	[ST_CHALLENGE_PURGE] = "DELETE FROM challenges WHERE expires_ms < ?1 AND used = 0",
	[ST_OUTCOME_GET] = "SELECT signed_hash, submission_hash, code, transfer_id, result"
			   " FROM outcomes WHERE card_id = ?1 AND atc = ?2",
	[ST_DECLINE_INSERT] = "INSERT INTO declines (card_id, atc, signed_hash, submission_hash,"
			      " code, result, counter) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_TRANSFER_INSERT] = "INSERT INTO transfers (payer, payee, amount, currency, card_id,"
			       " atc, tx_hash, submission_hash, created_ms, signed_hash)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_RECEIPT_GET] = "SELECT body, seal FROM receipts WHERE transfer_id = ?1",
	[ST_RECEIPT_INSERT] = "INSERT INTO receipts (transfer_id, counter, body, seal)"
			      " VALUES (?1, ?2, ?3, ?4)",
	[ST_MSGFAIL_GET] = "SELECT failures FROM message_failures WHERE signed_hash = ?1",
	[ST_MSGFAIL_ADD] = "INSERT INTO message_failures (signed_hash, card_id, failures)"
			   " VALUES (?1, ?2, 1) ON CONFLICT (signed_hash)"
			   " DO UPDATE SET failures = message_failures.failures + 1",
	[ST_AUDIT_INSERT] = "INSERT INTO audit (at_ms, peer, raw, result, detail)"
			    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_COUNTER_GET] = "SELECT value FROM meta WHERE key = 'receipt_counter'",
	[ST_COUNTER_SET] = "UPDATE meta SET value = ?1 WHERE key = 'receipt_counter'",
};

const char *srv_stmt_text(enum srv_stmt id)
{
	return stmt_sql[id];
}

const char *srv_db_errmsg(struct srv_db *d)
{
	return d->pg ? srv_pg_errmsg(d->pg) : sqlite3_errmsg(d->db);
}

int srv_db_exec(struct srv_db *d, const char *sql)
{
	char *msg = NULL;
	int rc;

	if (d->pg)
		return srv_pg_exec(d->pg, sql) == 0 ? SQLITE_OK : SQLITE_ERROR;
	rc = sqlite3_exec(d->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		log_warnx("sqlite: %s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

int srv_db_run(struct srv_db *d, enum srv_stmt id)
{
	sqlite3_stmt *st;
	int rc;

	if (d->pg)
		return srv_pg_exec(d->pg, stmt_sql[id]) == 0 ? SQLITE_OK : SQLITE_ERROR;
	if (!(st = srv_stmt(d, id)))
		return SQLITE_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		log_warnx("sqlite: %s", sqlite3_errmsg(d->db));
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int srv_db_version(struct srv_db *d)
{
	sqlite3_stmt *st;
	int v = -1;

	if (d->pg)
		return srv_pg_version(d->pg);
	if (sqlite3_prepare_v2(d->db, "SELECT version FROM schema_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Brings the schema to target, each step in its own transaction with the
 * version bump, so a crash leaves some whole version. */
static int migrate(struct srv_db *d, int target, char *err, size_t errlen)
{
	int v;

	if (srv_db_exec(d, "BEGIN IMMEDIATE") != SQLITE_OK) {
		snprintf(err, errlen, "cannot lock the database: %s", sqlite3_errmsg(d->db));
		return -1;
	}
	if (srv_db_exec(d, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
			   "INSERT INTO schema_version SELECT 0"
			   " WHERE NOT EXISTS (SELECT 1 FROM schema_version)") != SQLITE_OK ||
	    srv_db_exec(d, "COMMIT") != SQLITE_OK) {
		snprintf(err, errlen, "cannot create the schema table: %s", sqlite3_errmsg(d->db));
		srv_db_exec(d, "ROLLBACK");
		return -1;
	}
	for (;;) {
		char bump[64];

		if (srv_db_exec(d, "BEGIN IMMEDIATE") != SQLITE_OK) {
			snprintf(err, errlen, "cannot lock the database: %s", sqlite3_errmsg(d->db));
			return -1;
		}
		v = srv_db_version(d);
		if (v < 0 || v > SRV_SCHEMA_VERSION) {
			srv_db_exec(d, "ROLLBACK");
			snprintf(err, errlen, "database schema version %d is not one this build knows"
				 " (it knows up to %d)", v, SRV_SCHEMA_VERSION);
			return -1;
		}
		if (v >= target) {
			srv_db_exec(d, "COMMIT");
			return 0;
		}
		snprintf(bump, sizeof(bump), "UPDATE schema_version SET version = %d", v + 1);
		if (srv_db_exec(d, migrations[v]) != SQLITE_OK || srv_db_exec(d, bump) != SQLITE_OK ||
		    srv_db_exec(d, "COMMIT") != SQLITE_OK) {
			snprintf(err, errlen, "migration to schema version %d failed: %s", v + 1,
				 sqlite3_errmsg(d->db));
			srv_db_exec(d, "ROLLBACK");
			return -1;
		}
		log_info("database schema migrated to version %d", v + 1);
	}
}

int srv_db_open(struct srv_db *d, const char *path, int readonly, int target_version,
		char *err, size_t errlen)
{
	/* Readers open read-write with query_only set: a WAL database opened
	 * SQLITE_OPEN_READONLY cannot create its -shm file. */
	int flags = readonly ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc;

	memset(d, 0, sizeof(*d));
	if (srv_db_is_pg(path))
		return (d->pg = srv_pg_open(path, target_version, err, errlen)) ? 0 : -1;
	flags |= SQLITE_OPEN_NOMUTEX; /* one connection per thread */
	rc = sqlite3_open_v2(path, &d->db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the database %s: %s", path,
			 d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
		srv_db_close(d);
		return -1;
	}
	sqlite3_busy_timeout(d->db, 5000);
	sqlite3_extended_result_codes(d->db, 1);
	/* WAL lets readers (verify threads, HTTP, admin) run beside the one
	 * writer; synchronous=FULL syncs the WAL at every commit, so an
	 * acknowledged transfer survives a power cut. */
	if ((!readonly && srv_db_exec(d, "PRAGMA journal_mode=WAL") != SQLITE_OK) ||
	    srv_db_exec(d, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON") != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up the database %s: %s", path,
			 sqlite3_errmsg(d->db));
		srv_db_close(d);
		return -1;
	}
	if (readonly && srv_db_exec(d, "PRAGMA query_only=1") != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up the database %s", path);
		srv_db_close(d);
		return -1;
	}
	if (!readonly && migrate(d, target_version, err, errlen) != 0) {
		srv_db_close(d);
		return -1;
	}
	if (readonly && srv_db_version(d) != SRV_SCHEMA_VERSION) {
		snprintf(err, errlen, "the database %s is not at schema version %d", path,
			 SRV_SCHEMA_VERSION);
		srv_db_close(d);
		return -1;
	}
	return 0;
}

/* SQLite's own default cache is 2 MB a connection. The writer's working
 * set is the pages each payment touches: the index of transfers by (card,
 * ATC), the challenges' primary key (random keys, so any of its leaves),
 * the cards' and accounts' rows. Once the ledger grows past the cache,
 * each of those is read again through the OS (the WAL's index looked up,
 * a pread, a copy) in every batch; a cache the size of the working set
 * keeps them (bench/server_load, round 5 of a sustained run: the server's
 * read calls per submission 3.1 with 2 MB, 1.7 with 64 MiB, about 1.5 of
 * them the sockets'). A negative cache_size is in KiB. */
int64_t srv_db_cache(struct srv_db *d, int mib)
{
	sqlite3_stmt *st;
	int64_t kib = -1;
	char sql[48];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%ld", (long)mib * 1024);
	if (d->pg || srv_db_exec(d, sql) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, "PRAGMA cache_size", -1, &st, NULL) != SQLITE_OK)
		return -1;
	/* What the connection has now, read back: the log says what is so. */
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) < 0)
		kib = -sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return kib;
}

void srv_db_close(struct srv_db *d)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(d->st[i]);
	if (d->db)
		sqlite3_close(d->db);
	srv_pg_close(d->pg);
	memset(d, 0, sizeof(*d));
}

sqlite3_stmt *srv_stmt(struct srv_db *d, enum srv_stmt id)
{
	if (d->pg) { /* a caller that has no PostgreSQL path fails as on an error */
		log_warnx("statement %d has no PostgreSQL path here", (int)id);
		return NULL;
	}
	if (!d->st[id]) {
		if (sqlite3_prepare_v3(d->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &d->st[id], NULL) != SQLITE_OK) {
			log_warnx("sqlite: cannot prepare statement %d: %s", (int)id,
				  sqlite3_errmsg(d->db));
			return NULL;
		}
	}
	sqlite3_reset(d->st[id]);
	sqlite3_clear_bindings(d->st[id]);
	return d->st[id];
}
