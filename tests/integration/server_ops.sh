#!/usr/bin/env bash
# sigcard-server as an operator runs it: one server per ledger, no ledger
# invented, a damaged or unbalanced ledger refused before serving, a daemon
# that reports a failed start on stderr with a non-zero exit, SIGHUP that
# does not stop it, and one log line per submission without secrets.
. "$(dirname "$0")/lib.sh"
SRV=$SC_BIN/sigcard-server
CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/issuer
SOCK=$T_DIR/submit.sock
S() { "$SRV" -D "$D" "$@"; }
pay() { "$CLI" pay --perso "$T_DIR/perso.json" --key "$T_DIR/key.pem" --payee BOB --currency 978 "$@"; }

S init >/dev/null 2>&1
S account create ALICE --currency EUR --balance 100.00 >/dev/null
S account create BOB --currency EUR >/dev/null
CARD=$(S card prepare --account ALICE --out "$T_DIR/perso.json")
"$CLI" card --perso "$T_DIR/perso.json" --key "$T_DIR/key.pem" --export "$T_DIR/record.json"
S card enrol --record "$T_DIR/record.json" >/dev/null || t_fail "card enrolled"

# card prepare --transport-key-file: K_card leaves the server only wrapped
# (PROTOCOL.md §5.3); a transport key file that is not one, or that others
# may read, is refused by name before any card is recorded.
( umask 077; printf '534947434152442D544553542D544B31\n' >"$T_DIR/tk"; printf 'not a key\n' >"$T_DIR/tk.bad" )
cp "$T_DIR/tk" "$T_DIR/tk.open"; chmod 644 "$T_DIR/tk.open"
for f in tk.bad tk.open; do
	err=$(S card prepare --account ALICE --card-id 00000000000000f1 --transport-key-file "$T_DIR/$f" \
		--out "$T_DIR/perso-$f.json" 2>&1); rc=$?
	[ "$f" = tk.bad ] && want="does not hold a transport key" || want="chmod 600"
	if [ "$rc" -eq 1 ] && [[ $err == *"$want"* ]] && [ ! -e "$T_DIR/perso-$f.json" ] &&
	   [[ $(S card show 00000000000000f1 2>&1) == *"no card"* ]]; then
		t_ok "card prepare refuses transport key file $f, no card recorded"
	else t_fail "card prepare refuses transport key file $f, no card recorded" "rc=$rc" "$err"; fi
done
S card prepare --account ALICE --card-id 00000000000000f2 --transport-key-file "$T_DIR/tk" \
	--out "$T_DIR/perso-wrapped.json" >/dev/null
t_eq "with the transport key the perso file holds K_card wrapped, not clear" "card_id,account,k_card_wrapped" \
	"$(jq -r '[keys_unsorted[]] | join(",")' "$T_DIR/perso-wrapped.json")"
t_eq "--transport-key-file belongs to card prepare alone" 2 \
	"$(S card enrol --record "$T_DIR/record.json" --transport-key-file "$T_DIR/tk" >/dev/null 2>&1; echo $?)"

# start_fg NAME DIR: a foreground server on DIR's ledger, its socket in
# $T_DIR/NAME.sock. Returns once it serves or has exited.
start_fg() {
	rm -f "$T_DIR/$1.sock"
	sc_bg "$1" "$SRV" -D "$2" -d --listen none --http none --unix "$T_DIR/$1.sock"
	sc_wait_for 20 bash -c "test -S '$T_DIR/$1.sock' || ! kill -0 $SC_LAST_PID"
}
# start_beside NAME DIR SOCK: the same on a socket path a server already
# serves; returns once it has exited (or after 20 s if it stays).
start_beside() {
	sc_bg "$1" "$SRV" -D "$2" -d --listen none --http none --unix "$3"
	sc_wait_for 20 bash -c "! kill -0 $SC_LAST_PID"
}
# refused NAME TEST PATTERN: the server started by start_fg NAME exited
# non-zero without serving, and its stderr matches PATTERN.
refused() {
	local pid=$SC_LAST_PID rc
	if kill -0 "$pid" 2>/dev/null; then
		t_fail "$2" "it serves instead of refusing" "$(cat "$T_DIR/$1.log")"
		return
	fi
	wait "$pid"; rc=$?
	if [ "$rc" -ne 0 ] && grep -Eq -- "$3" "$T_DIR/$1.log"; then
		t_ok "$2"
	else
		t_fail "$2" "exit status $rc, expected a message matching: $3" "$(cat "$T_DIR/$1.log")"
	fi
}
# stop PID: SIGTERM, then wait until it has gone.
stop() { kill -TERM "$1"; sc_wait_for 20 bash -c "! kill -0 $1 2>/dev/null"; }

# ---- 1. One server per ledger.
start_fg first "$D" || t_fail "first server started" "$(cat "$T_DIR/first.log")"
FIRST=$SC_LAST_PID
t_check "first server pays" pay --server "$T_DIR/first.sock" --atc 1 --amount 100 --save "$T_DIR/sub1"
start_beside second "$D" "$T_DIR/first.sock"
refused second "a second server on the same ledger is refused, naming the first's pid" \
	"(in use|locked).*(pid|process) $FIRST"
t_check "the first still pays, on the socket the second was given" \
	pay --server "$T_DIR/first.sock" --atc 2 --amount 100

# ---- 7. SIGHUP does not stop it; one line per submission, no secrets.
kill -HUP "$FIRST"
sc_wait_for 20 grep -q "SIGHUP" "$T_DIR/first.log"
t_check "SIGHUP: still running and logged why" bash -c "kill -0 $FIRST && grep -q SIGHUP '$T_DIR/first.log'"
t_check "SIGHUP: still pays" pay --server "$T_DIR/first.sock" --atc 3 --amount 100
t_check "a log line per submission: result, card, ATC, amount, latency" \
	grep -Eq "submission OK card $CARD atc 3 amount 100 978 .*[0-9.]+ ms" "$T_DIR/first.log"
pay --server "$T_DIR/first.sock" --atc 3 --amount 1 >/dev/null
t_check "a refused submission is logged too" \
	grep -Eq "submission IDEMPOTENCY_CONFLICT card $CARD atc 3 amount 1 .*already used" "$T_DIR/first.log"
KCARD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["k_card"])' "$T_DIR/perso.json")
SUBHEX=$(od -An -tx1 -v "$T_DIR/sub1" | tr -d ' \n')
t_check "the log holds no card key" bash -c "! grep -qi '$KCARD' '$T_DIR/first.log'"
t_check "the log holds no submission bytes" bash -c "! grep -qi '${SUBHEX:40:32}' '$T_DIR/first.log'"
t_check "foreground log lines carry a timestamp" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z? .*submission OK' "$T_DIR/first.log"
stop "$FIRST"
t_check "the ledger checks out" S check

# ---- 1. check compares the receipt counter with the largest receipt.
cp -a "$D" "$T_DIR/counter"
sqlite3 "$T_DIR/counter/ledger.db" "UPDATE meta SET value = 1 WHERE key = 'receipt_counter'"
t_check "check: a receipt counter behind the receipts is named" \
	bash -c "! '$SRV' -D '$T_DIR/counter' check 2>&1 | grep -q 'ledger ok' &&
		'$SRV' -D '$T_DIR/counter' check 2>&1 | grep -q 'receipt counter'"
start_fg counter "$T_DIR/counter"
refused counter "a receipt counter behind the receipts is refused at start" "receipt counter"

# ---- 2. Never invent a ledger.
cp -a "$D" "$T_DIR/deleted"; rm "$T_DIR/deleted/ledger.db"
start_fg deleted "$T_DIR/deleted"
refused deleted "a missing ledger is refused" "no ledger.*init"
t_check "and none was created" test ! -e "$T_DIR/deleted/ledger.db"
cp -a "$D" "$T_DIR/empty"; : >"$T_DIR/empty/ledger.db"
start_fg empty "$T_DIR/empty"
refused empty "an empty ledger is refused" "empty|no sigcard ledger"
t_eq "and it stays empty" "0" "$(stat -c %s "$T_DIR/empty/ledger.db")"
t_check "admin commands do not invent one either" \
	bash -c "! '$SRV' -D '$T_DIR/empty' account show ALICE 2>/dev/null && test ! -s '$T_DIR/empty/ledger.db'"

# ---- 3. Check before serving.
cp -a "$D" "$T_DIR/garbage"
G=$T_DIR/garbage/ledger.db
sqlite3 "$G" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
PAGE=$(sqlite3 "$G" 'PRAGMA page_size')
ROOT=$(sqlite3 "$G" "SELECT rootpage FROM sqlite_master WHERE name = 'transfers'")
head -c "$PAGE" /dev/zero | tr '\0' '\377' |
	dd of="$G" bs="$PAGE" seek=$((ROOT - 1)) conv=notrunc status=none
start_fg garbage "$T_DIR/garbage"
refused garbage "a ledger with a garbage page is refused" "damaged.*backup"

sc_bg unchecked "$SRV" -D "$T_DIR/garbage" -d --listen none --http none \
	--unix "$T_DIR/unchecked.sock" --check-time 0
sc_wait_for 20 test -S "$T_DIR/unchecked.sock"
t_check "--check-time 0 bounds the check to the totals, and says so" \
	grep -q "checked only in its totals.*--check-time 0" "$T_DIR/unchecked.log"
stop "$SC_LAST_PID"

cp -a "$D" "$T_DIR/unbalanced"
sqlite3 "$T_DIR/unbalanced/ledger.db" "UPDATE accounts SET balance = balance + 1 WHERE id = 'BOB'"
start_fg unbalanced "$T_DIR/unbalanced"
refused unbalanced "a ledger whose balances do not sum to zero is refused" "do not sum to zero"

# ---- 7. Daemon mode: a failed start is reported; a good one is ready.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(600)' >"$T_DIR/holder.port" &
T_PIDS+=("$!")
sc_wait_for 20 test -s "$T_DIR/holder.port"
BUSY=$(cat "$T_DIR/holder.port")
"$SRV" -D "$D" --listen "127.0.0.1:$BUSY" --http none --unix none \
	--pidfile "$T_DIR/busy.pid" >"$T_DIR/busy.out" 2>"$T_DIR/busy.err"
t_check "daemon mode, port busy: non-zero exit" test $? -ne 0
t_check "daemon mode, port busy: the reason on stderr" grep -q "$BUSY" "$T_DIR/busy.err"
t_check "daemon mode, port busy: no pid file left" test ! -e "$T_DIR/busy.pid"

"$SRV" -D "$D" --listen none --http none --unix "$SOCK" --pidfile "$T_DIR/d.pid" 2>"$T_DIR/d.err"
t_eq "daemon mode: exits 0 once started" "0" "$?"
t_check "daemon mode: socket and pid file there when the command returns" \
	bash -c "test -S '$SOCK' && test -s '$T_DIR/d.pid'"
if [ -s "$T_DIR/d.pid" ]; then
	DPID=$(cat "$T_DIR/d.pid")
	T_PIDS+=("$DPID")
	t_check "daemon mode: pays" pay --server "$SOCK" --atc 4 --amount 1
	kill -HUP "$DPID"
	t_check "daemon mode: pays after SIGHUP" pay --server "$SOCK" --atc 5 --amount 1
	t_check "daemon mode: alive after SIGHUP" kill -0 "$DPID"
	start_beside third "$D" "$SOCK"
	refused third "a second server beside the daemon is refused, naming its pid" \
		"(in use|locked).*(pid|process) $DPID"
	stop "$DPID"
	t_check "daemon mode: SIGTERM stops it, the pid file goes" \
		bash -c "! kill -0 $DPID 2>/dev/null && test ! -e '$T_DIR/d.pid'"
fi
t_check "the ledger still checks out" S check

# ---- 5. Faults visible to monitoring: a ledger that cannot commit (a
# trigger stands in for a full disk) turns /healthz to 503 with the reason.
sc_listen health "serving: submissions on" \
	"$SRV" -D "$D" -d --listen none --http "127.0.0.1:@PORT" --unix "$SOCK" ||
	t_fail "server with HTTP started" "$(cat "$T_DIR/health.log")"
HPID=$SC_LAST_PID HPORT=${SC_PORTS[0]}
H=http://127.0.0.1:$HPORT
t_eq "healthz: 200 while commits go through" "200" "$(curl -s -o /dev/null -w '%{http_code}' $H/healthz)"
sqlite3 "$D/ledger.db" "CREATE TRIGGER fault BEFORE UPDATE ON meta
	BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END"
pay --server "$SOCK" --atc 6 --amount 1 >"$T_DIR/fault.out" 2>&1
t_check "a payment while commits fail is refused" test $? -ne 0
pay --server "$SOCK" --atc 6 --amount 1 >/dev/null 2>&1
t_eq "healthz: 503 while commits fail" "503" "$(curl -s -o "$T_DIR/health.json" -w '%{http_code}' $H/healthz)"
t_check "healthz: the reason" grep -q '"reason": *"the ledger cannot commit: simulated I/O error"' "$T_DIR/health.json"
t_eq "repeated commit failures are logged once" "1" "$(grep -c 'the ledger cannot commit' "$T_DIR/health.log")"
M=$(curl -s $H/metrics)
t_check "metrics: refused challenges by result" \
	grep -q 'sigcard_challenges_refused_total{result="RETRY_LATER"} 2' <<<"$M"
sqlite3 "$D/ledger.db" "DROP TRIGGER fault"
t_check "pays once commits go through again" pay --server "$SOCK" --atc 6 --amount 1
t_eq "healthz: 200 again" "200" "$(curl -s -o /dev/null -w '%{http_code}' $H/healthz)"
t_check "the recovery is logged" grep -q "the ledger commits again, after 2 failed commits" "$T_DIR/health.log"
M=$(curl -s $H/metrics)
t_check "metrics: build info" grep -q '^sigcard_build_info{version="[^"]*"} 1$' <<<"$M"
for m in process_cpu_seconds_total process_resident_memory_bytes process_open_fds \
	process_max_fds process_start_time_seconds; do
	t_check "metrics: $m" grep -Eq "^$m [0-9.e+]+\$" <<<"$M"
done
t_check "metrics: open fds and memory are real" bash -c "
	[ \$(grep '^process_open_fds ' <<<'$M' | cut -d' ' -f2) -ge 5 ] &&
	[ \$(grep '^process_resident_memory_bytes ' <<<'$M' | cut -d' ' -f2) -gt 1000000 ]"
stop "$HPID"
t_check "the ledger checks out after the fault" S check

# ---- 7. The terminal daemon survives SIGHUP too (it reaches nothing at start).
TSOCK=$T_DIR/terminal.sock
sc_bg tdaemon "$SC_BIN/sigcard-terminal" daemon --socket "$TSOCK" -d --card "unix:$T_DIR/no-card" \
	--server "unix:$SOCK" --terminal-id T-1 --camera "file:$T_DIR/none.png"
TD=$SC_LAST_PID
if sc_wait_sock "$TSOCK"; then
	kill -HUP "$TD"
	sc_wait_for 20 grep -q SIGHUP "$T_DIR/tdaemon.log"
	t_check "terminal daemon: SIGHUP logged, still running, socket still there" \
		bash -c "grep -q SIGHUP '$T_DIR/tdaemon.log' && kill -0 $TD && test -S '$TSOCK'"
else
	t_fail "terminal daemon started" "$(cat "$T_DIR/tdaemon.log")"
fi
t_done
