#!/usr/bin/env bash
# How long sigcard-server's start-up check takes (PRAGMA quick_check and the
# books' invariants, server/preflight.c) on a ledger of N card transfers,
# each with its receipt and audit row, filled through SQL directly.
# Run by hand (it writes a few hundred MB under TMPDIR):
#   bash bench/ledger_check.sh BUILD_DIR [N]     (N defaults to 1000000)
# Prints the figures; asserts only that the server starts.
set -u
build=$(cd "${1:?usage: ledger_check.sh BUILD_DIR [N]}" && pwd)
n=${2:-1000000}
srv=$build/bin/sigcard-server
dir=$(mktemp -d "${TMPDIR:-/tmp}/sigcard-ledger-check.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

"$srv" -D "$dir" init >/dev/null 2>&1
"$srv" -D "$dir" account create ALICE --currency EUR --balance 100000000.00 >/dev/null 2>&1
"$srv" -D "$dir" account create BOB --currency EUR >/dev/null 2>&1
t=$(now)
# Sizes as the server writes them: a 76-byte receipt body, a seal with a
# path of 8 nodes (a batch of 256), an audit row holding the raw SUBMIT.
sqlite3 "$dir/ledger.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $n)
INSERT INTO transfers (payer, payee, amount, currency, card_id, atc, tx_hash, submission_hash,
		       created_ms)
SELECT 'ALICE', 'BOB', 1, 978, x'00c0ffee00000001', k, randomblob(32), randomblob(32),
       1700000000000 + k FROM i;
INSERT INTO receipts (transfer_id, counter, body, seal)
SELECT id, atc, randomblob(76), randomblob(1 + 8 * 33 + 1 + 71) FROM transfers
 WHERE card_id IS NOT NULL;
INSERT INTO audit (at_ms, peer, raw, result, detail)
SELECT created_ms, 'unix', randomblob(330), 0, '' FROM transfers WHERE card_id IS NOT NULL;
UPDATE accounts SET balance = balance - $n WHERE id = 'ALICE';
UPDATE accounts SET balance = balance + $n WHERE id = 'BOB';
UPDATE meta SET value = $n WHERE key = 'receipt_counter';
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "filled $n transfers in $(since "$t") s; ledger $(du -m "$dir/ledger.db" | cut -f1) MB"

sync
t=$(now)
sqlite3 "$dir/ledger.db" 'PRAGMA quick_check' >/dev/null
echo "PRAGMA quick_check:             $(since "$t") s"
t=$(now)
"$srv" -D "$dir" check >/dev/null
echo "sigcard-server check:           $(since "$t") s"
t=$(now)
"$srv" -D "$dir" -d --listen none --http none --unix "$dir/s.sock" 2>"$dir/server.log" &
pid=$!
until [ -S "$dir/s.sock" ]; do
	kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log"; exit 1; }
	sleep 0.01
done
echo "server start until it serves:   $(since "$t") s"
echo "the server's own figure:        $(grep -o 'ledger checked in .*' "$dir/server.log")"
