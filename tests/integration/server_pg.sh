#!/usr/bin/env bash
# The ledger on PostgreSQL (issue 14 item 2), against a real PostgreSQL 15
# cluster of the test's own (pg_helpers.bash): init creates the schema
# through the migration list, version for version the SQLite one; a second
# init is refused with every stored state intact; the database itself
# keeps transfers, receipts, declines and the audit log immutable; a
# password in the connection string is never printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_helpers.bash"
SRV=$SC_BIN/sigcard-server

pg_require "the PostgreSQL ledger"
pg_start

# init on PostgreSQL: the keys in -D, the ledger in the database, named
# without its password.
out=$("$SRV" -D "$T_DIR/issuer" --db "$PG_URL" init 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [[ $out == *"database     host=$PG_SOCK port=$PG_PORT dbname=sigcard user=postgres"* ]] &&
   [ -s "$T_DIR/issuer/master.key" ] && [ ! -e "$T_DIR/issuer/ledger.db" ]; then
	t_ok "init --db postgresql://: the keys in -D, no SQLite file, the database named"
else t_fail "init --db postgresql://: the keys in -D, no SQLite file, the database named" "rc=$rc" "$out"; fi

# The same schema version, tables and columns as an SQLite ledger init made.
"$SRV" -D "$T_DIR/lite" init >/dev/null 2>&1
t_eq "the schema version read back is SQLite's" \
	"$(sqlite3 "$T_DIR/lite/ledger.db" 'SELECT version FROM schema_version')" \
	"$(pg_sql 'SELECT version FROM schema_version')"
t_eq "the same tables and columns as the SQLite ledger" \
	"$(sqlite3 "$T_DIR/lite/ledger.db" "SELECT m.name || '.' || p.name FROM sqlite_master m,
		pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') ORDER BY 1")" \
	"$(pg_sql "SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = 'public' ORDER BY 1")"
t_eq "the receipt counter starts at 0" 0 "$(pg_sql "SELECT value FROM meta WHERE key = 'receipt_counter'")"

# A second init: refused by name, from a fresh data folder too (its
# database is the one that holds a ledger), and nothing made or changed.
before=$(pg_sql 'SELECT version FROM schema_version')
out=$("$SRV" -D "$T_DIR/second" --db "$PG_URL" init 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $out == *"already holds a ledger (schema version $before)"* ]] &&
   [ ! -e "$T_DIR/second/master.key" ] && [ ! -e "$T_DIR/second/receipt.key" ]; then
	t_ok "init again on the same database: refused, no key made"
else t_fail "init again on the same database: refused, no key made" "rc=$rc" "$out"; fi
t_eq "the refused init left one schema version row, unchanged" "$before" \
	"$(pg_sql 'SELECT string_agg(version::text, $$,$$) FROM schema_version')"
out=$("$SRV" -D "$T_DIR/issuer" --db "$PG_URL" init 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $out == *"already holds an issuer"* ]]; then
	t_ok "init again in the same data folder: refused"
else t_fail "init again in the same data folder: refused" "rc=$rc" "$out"; fi

# key=value conninfo selects PostgreSQL too; a password given is never
# printed, on success or failure (trust authentication ignores it).
pg_as "$PG_BIN/createdb" -h "$PG_SOCK" -p "$PG_PORT" -U postgres sigcard_kv
out=$("$SRV" -D "$T_DIR/kv" --db "host=$PG_SOCK port=$PG_PORT dbname=sigcard_kv user=postgres password=Hush-4711" init 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [[ $out == *"dbname=sigcard_kv"* ]] && [[ $out != *Hush-4711* ]] &&
   [ "$(PGDATABASE=sigcard_kv "$PG_BIN/psql" -X -A -t -h "$PG_SOCK" -p "$PG_PORT" -U postgres \
	-c 'SELECT version FROM schema_version')" = "$before" ]; then
	t_ok "init with key=value conninfo, its password not printed"
else t_fail "init with key=value conninfo, its password not printed" "rc=$rc" "$out"; fi
out=$("$SRV" -D "$T_DIR/nodb" --db "postgresql://postgres:Hush-4711@/no_such_db?host=$PG_SOCK&port=$PG_PORT" init 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $out == *"cannot connect to the PostgreSQL ledger (host=$PG_SOCK"* ]] &&
   [[ $out != *Hush-4711* ]] && [ ! -e "$T_DIR/nodb/master.key" ]; then
	t_ok "init on a database that is not there: named, no password, no key made"
else t_fail "init on a database that is not there: named, no password, no key made" "rc=$rc" "$out"; fi

# What the issue calls immutable, PostgreSQL itself refuses to change.
pg_sql "INSERT INTO accounts VALUES ('ALICE', 978, 100, 0, 0), ('BOB', 978, 0, 0, 0);
	INSERT INTO transfers (payer, payee, amount, currency, card_id, atc, created_ms)
	VALUES ('ALICE', 'BOB', 5, 978, '\\x0102030405060708', 1, 0);
	INSERT INTO audit (at_ms, peer, raw, result, detail) VALUES (0, 'p', '\\x00', 0, '')" >/dev/null
for sql in "UPDATE transfers SET amount = 6|transfers are immutable" \
	   "DELETE FROM transfers|transfers are immutable" \
	   "TRUNCATE transfers CASCADE|transfers are immutable" \
	   "UPDATE audit SET result = 1|the audit log is append-only" \
	   "TRUNCATE audit|the audit log is append-only" \
	   "INSERT INTO declines VALUES ('\\x0102030405060708', 1, '\\x$(printf '%064d' 0)', '\\x00', 3, '\\x00', 1)|this card counter has an outcome"; do
	out=$(pg_sql "${sql%%|*}" 2>&1)
	if [[ $out == *"${sql#*|}"* ]] && [ "$(pg_sql 'SELECT count(*) || $$/$$ || sum(amount) FROM transfers')" = 1/5 ] &&
	   [ "$(pg_sql 'SELECT count(*) FROM audit WHERE result = 0')" = 1 ]; then
		t_ok "refused: ${sql%%|*}"
	else t_fail "refused: ${sql%%|*}" "$out"; fi
done

# An older ledger is migrated when opened: version 4 (no pin_unblocks) is
# brought to 5 by the same list init ran; a database with no ledger is
# named so, and gets none.
pg_sql "DROP TABLE pin_unblocks; UPDATE schema_version SET version = 4" >/dev/null
out=$("$SRV" -D "$T_DIR/issuer" --db "$PG_URL" card show 0102030405060708 2>&1)
if [[ $out == *"database schema migrated to version 5"* ]] &&
   [ "$(pg_sql 'SELECT version FROM schema_version')" = "$before" ] &&
   [ "$(pg_sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'pin_unblocks'")" = 7 ]; then
	t_ok "a ledger at schema version 4 is migrated to $before when opened"
else t_fail "a ledger at schema version 4 is migrated to $before when opened" "$out"; fi
pg_as "$PG_BIN/createdb" -h "$PG_SOCK" -p "$PG_PORT" -U postgres sigcard_empty
out=$("$SRV" -D "$T_DIR/issuer" --db "postgresql:///sigcard_empty?host=$PG_SOCK&port=$PG_PORT&user=postgres" account show ALICE 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $out == *"no ledger in that PostgreSQL database: only 'sigcard-server --db URL init' creates one"* ]] &&
   [ "$(PGDATABASE=sigcard_empty "$PG_BIN/psql" -X -A -t -h "$PG_SOCK" -p "$PG_PORT" -U postgres \
	-c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ]; then
	t_ok "a database with no ledger: named, none created"
else t_fail "a database with no ledger: named, none created" "rc=$rc" "$out"; fi

# The commands read the PostgreSQL ledger, never an SQLite file; an
# unblock for a card it does not hold is refused by name; serve refuses books that do not
# balance (the rows inserted by hand above hold 100 minor units that
# nothing booked), before any socket is bound.
out=$("$SRV" -D "$T_DIR/issuer" --db "$PG_URL" account show ALICE 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [[ $out == *"balance      1.00 EUR"* ]] && [ ! -e "$T_DIR/issuer/ledger.db" ]; then
	t_ok "account show on PostgreSQL: read from the database, no SQLite file made"
else t_fail "account show on PostgreSQL: read from the database, no SQLite file made" "rc=$rc" "$out"; fi
out=$("$SRV" -D "$T_DIR/issuer" --db "$PG_URL" card unblock-pin 0102030405060708 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $out == *"no such card"* ]] &&
   [ "$(pg_sql 'SELECT count(*) FROM pin_unblocks')" = 0 ]; then
	t_ok "card unblock-pin of a card not in the PostgreSQL ledger: refused by name, nothing stored"
else t_fail "card unblock-pin of a card not in the PostgreSQL ledger: refused by name, nothing stored" "rc=$rc" "$out"; fi
out=$("$SRV" -D "$T_DIR/issuer" --db "$PG_URL" --listen none --unix "$T_DIR/s.sock" -d serve 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [[ $out == *"the ledger's books do not balance: balances of a currency do not sum to zero (978: 100)"* ]] &&
   [ ! -e "$T_DIR/s.sock" ]; then
	t_ok "serve on PostgreSQL books that do not balance: refused by name"
else t_fail "serve on PostgreSQL books that do not balance: refused by name" "rc=$rc" "$out"; fi

t_done
