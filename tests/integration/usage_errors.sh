#!/usr/bin/env bash
# Usage errors of the three programs: every bad command line (an unknown
# option or command, a missing required option or argument, a bad value)
# exits 2 with a message on stderr naming the problem, and leaves every
# stored state as it was: the server's data folder, a card's flash image,
# and no file made where none was (a card image, a perso file).
. "$(dirname "$0")/lib.sh"
CARD=$SC_BIN/sigcard-card SRV=$SC_BIN/sigcard-server TERMINAL=$SC_BIN/sigcard-terminal

W=$T_DIR/work
mkdir -p "$W"
cd "$W" || exit 1
if ! { "$SRV" -D issuer init && "$SRV" -D issuer account create ALICE --currency EUR --balance 10.00 &&
       "$SRV" -D issuer card prepare --account ALICE --out perso.json; } >"$T_DIR/setup.log" 2>&1; then
	t_fail "set-up: a server data folder" "$(cat "$T_DIR/setup.log")"; t_done; exit 1
fi
( umask 077; echo 4711 >pin )
"$CARD" --flash card.flash personalise --perso perso.json --pin-file pin --export record.json \
	>>"$T_DIR/setup.log" 2>&1 || { t_fail "set-up: a card" "$(cat "$T_DIR/setup.log")"; t_done; exit 1; }

# Every file under the work folder, with its mode and contents' hash.
state() { find . -type f -o -type s | sort | while read -r f; do printf '%s %s %s\n' "$f" \
	"$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -c1-16)"; done; }

# usage NAME PATTERN PROGRAM ARGS...: exit 2, stderr matches PATTERN (an
# extended regex), nothing on stdout, no state changed.
usage() {
	local name=$1 pattern=$2 rc before after; shift 2
	before=$(state)
	"$@" </dev/null >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	after=$(state)
	if [ "$rc" -eq 2 ] && grep -Eq -- "$pattern" "$T_DIR/err" && [ ! -s "$T_DIR/out" ] &&
	   [ "$after" = "$before" ]; then
		t_ok "$name: exit 2, '$(head -1 "$T_DIR/err" | cut -c1-90)'"
	else
		t_fail "$name" "command: ${*#"$SC_BIN/"}" "exit $rc (want 2)" "stderr: $(cat "$T_DIR/err")" \
			"stdout: $(head -3 "$T_DIR/out")" "$(diff <(echo "$before") <(echo "$after"))"
	fi
}

# --- the three named in issue 11 ---
usage "server: account create without --currency" "needs --currency" \
	"$SRV" -D issuer account create BOB
usage "server: --listen without a port" "--listen wants HOST:PORT.*localhost" \
	"$SRV" -D issuer -d --listen localhost --unix none --http none
usage "card: nothing to serve" "nothing to serve: give --contact" \
	"$CARD" --flash new.flash
usage "card: nothing to serve, existing image" "nothing to serve" \
	"$CARD" --flash card.flash

# --- sigcard-server ---
usage "server: unknown option" "unrecognized option '--nope'" "$SRV" -D issuer --nope
usage "server: option without its value" "requires an argument" "$SRV" -D issuer --workers
usage "server: unknown command" "unknown command 'bogus'" "$SRV" -D issuer bogus
usage "server: unknown account verb" "unknown command 'account delete'" "$SRV" -D issuer account delete ALICE
usage "server: init with an argument" "init: unexpected argument 'now'" "$SRV" -D issuer init now
usage "server: init with an account option" "init does not take --currency" "$SRV" -D issuer init --currency EUR
usage "server: account create, bad id" "'bob' is not an account id" "$SRV" -D issuer account create bob --currency EUR
usage "server: account create, unknown currency" "unknown currency 'XXX'" "$SRV" -D issuer account create BOB --currency XXX
usage "server: account create, bad balance" "--balance: '1.234'" "$SRV" -D issuer account create BOB --currency EUR --balance 1.234
usage "server: account create, no id" "account create needs ID" "$SRV" -D issuer account create --currency EUR
usage "server: account create, --out" "account create does not take --out" "$SRV" -D issuer account create BOB --currency EUR --out x.json
usage "server: account show, no id" "account show needs ID" "$SRV" -D issuer account show
usage "server: card prepare without --out" "needs --account ID and --out FILE" "$SRV" -D issuer card prepare --account ALICE
usage "server: card prepare, bad --card-id" "16 hex digits, not 'zz'" "$SRV" -D issuer card prepare --account ALICE --out p2.json --card-id zz
usage "server: card prepare, bad --account" "--account: 'alice' is not an account id" "$SRV" -D issuer card prepare --account alice --out p2.json
usage "server: card enrol without --record" "needs --record FILE" "$SRV" -D issuer card enrol
usage "server: card block, bad id" "16 hex digits, not '12'" "$SRV" -D issuer card block 12
usage "server: card show, two ids" "unexpected argument" "$SRV" -D issuer card show 0011223344556677 8899aabbccddeeff
usage "server: key without show" "unknown command 'key'" "$SRV" -D issuer key
usage "server: --http without a port" "--http wants HOST:PORT" "$SRV" -D issuer -d --http 127.0.0.1 --unix none --listen none
usage "server: bad --workers" "--workers wants a number from 1 to 64" "$SRV" -D issuer -d --workers 0
usage "server: bad --wal-max" "--wal-max wants a number from 1 to 1024" "$SRV" -D issuer -d --wal-max 0
usage "server: bad --writer-cache" "--writer-cache wants a number from 2 to 65536" "$SRV" -D issuer -d --writer-cache 1
usage "server: serve with an argument" "serve takes no arguments" "$SRV" -D issuer serve now
usage "server: serve with an admin option" "do not apply to serve" "$SRV" -D issuer -d --currency EUR
usage "server: admin command with a daemon option" "daemon options apply to serve only" "$SRV" -D issuer --workers 2 check
usage "server: nothing to listen on" "nothing to serve" "$SRV" -D issuer -d --listen none --unix none
usage "server: serve with --server-name" "do not apply to serve" "$SRV" -D issuer -d --server-name x
usage "server: --server-name on another command" "applies to init and terminal-ca only" \
	"$SRV" -D issuer --server-name x check
usage "server: terminal enrol without --out" "needs --out DIR" "$SRV" -D issuer terminal enrol T-1
usage "server: terminal enrol, not a terminal id" "is not a terminal id" \
	"$SRV" -D issuer terminal enrol "T 1" --out t1
usage "server: terminal revoke with --days" "apply to terminal enrol only" \
	"$SRV" -D issuer terminal revoke T-1 --days 3
usage "server: terminal without a verb" "usage: terminal enrol" "$SRV" -D issuer terminal
usage "server: --csr on an admin command" "apply to terminal enrol only" "$SRV" -D issuer --csr x check

# --- sigcard-card ---
usage "card: no --flash" "--flash PATH is required" "$CARD" --contact ct.sock
usage "card: unknown option" "unrecognized option '--nope'" "$CARD" --flash new.flash --nope
usage "card: option without its value" "requires an argument" "$CARD" --flash new.flash --contact
usage "card: unexpected argument" "unexpected argument 'serve'" "$CARD" --flash new.flash --contact ct.sock serve
usage "card: bad --vpcd-iface" "--vpcd-iface: contact or contactless" "$CARD" --flash new.flash --vpcd --vpcd-iface both
usage "card: bad --vpcd address" "--vpcd: not \[HOST:\]PORT" "$CARD" --flash new.flash --vpcd=localhost:http
usage "card: bad --confirm-timeout" "--confirm-timeout: whole seconds from 1 to 600" "$CARD" --flash new.flash --contact ct.sock --confirm-timeout 601
usage "card: bad --seed" "--seed: 1 to 64 bytes" "$CARD" --flash new.flash --contact ct.sock --seed xyz
usage "card: personalise without --pin-file" "--pin-file FILE is required" "$CARD" --flash new.flash personalise --perso perso.json
usage "card: personalise, unknown option" "unrecognized option '--pincode'" "$CARD" --flash new.flash personalise --perso perso.json --pincode 4711
usage "card: personalise, extra argument" "unexpected argument now" "$CARD" --flash new.flash personalise --perso perso.json --pin-file pin now
usage "card: ctl without --control" "--control PATH is required" "$CARD" ctl screen
usage "card: ctl without a command" "a command is needed" "$CARD" ctl --control card.ctl
usage "card: ctl, unknown command" "unknown command 'type'" "$CARD" ctl --control card.ctl type 1234
usage "card: ctl press without keys" "press needs the KEYS" "$CARD" ctl --control card.ctl press
usage "card: ctl wait, unknown screen" "no screen is called 'paid'" "$CARD" ctl --control card.ctl wait paid
usage "card: ctl wait, bad --timeout" "--timeout: whole seconds from 0 to 600" "$CARD" ctl --control card.ctl wait idle --timeout 601
usage "card: ctl screen, extra argument" "unexpected argument 'now'" "$CARD" ctl --control card.ctl screen now
usage "card: ctl --timeout on press" "--timeout applies to wait only" "$CARD" ctl --control card.ctl press 1 --timeout 3

# --- sigcard-terminal ---
PAY=(pay --amount 1.00 --currency EUR --to SHOP --payee-name Shop --card unix:card.sock
     --server unix:submit.sock --terminal-id T-1 --camera file:screen.png --receipt-key receipt.pub)
usage "terminal: no command" "usage: sigcard-terminal" "$TERMINAL"
usage "terminal: unknown command" "'refund': unknown command" "$TERMINAL" refund
usage "terminal: pay to HOST:PORT without TLS files" "TCP needs --tls DIR" \
	"$TERMINAL" "${PAY[@]/unix:submit.sock/127.0.0.1:7460}"
usage "terminal: pay, TLS options for a unix: server" "TLS options are for a HOST:PORT server" \
	"$TERMINAL" "${PAY[@]}" --tls t1
usage "terminal: pay, --insecure-plain-tcp with --tls" "exclude each other" \
	"$TERMINAL" "${PAY[@]/unix:submit.sock/127.0.0.1:7460}" --tls t1 --insecure-plain-tcp
usage "terminal: pay, unknown option" "--nope: unknown option" "$TERMINAL" "${PAY[@]}" --nope
usage "terminal: pay, no --amount" "--amount is required" "$TERMINAL" pay --currency EUR
usage "terminal: pay, bad amount" "--amount 'ten'" "$TERMINAL" "${PAY[@]}" --amount ten
usage "terminal: pay, bad currency" "--currency 'XXX'" "$TERMINAL" "${PAY[@]}" --currency XXX
usage "terminal: pay, bad scheme" "--scheme 'rsa'" "$TERMINAL" "${PAY[@]}" --scheme rsa
usage "terminal: pay, bad --server" "--server 'nohost'" "$TERMINAL" "${PAY[@]}" --server nohost
usage "terminal: pay, bad --card" "--card 'tcp:x'" "$TERMINAL" "${PAY[@]}" --card tcp:x
usage "terminal: pay, contactless without a reader" "--jp contactless needs --contactless" "$TERMINAL" "${PAY[@]}" --jp contactless
usage "terminal: pay, extra argument" "unexpected argument 'now'" "$TERMINAL" "${PAY[@]}" now
usage "terminal: pay --daemon without a value" "--daemon: a value is needed" "$TERMINAL" pay --daemon
usage "terminal: daemon without --socket" "--socket PATH is required" "$TERMINAL" daemon --card unix:card.sock
usage "terminal: daemon --socket without a value" "--socket: a value is needed" "$TERMINAL" daemon --socket
usage "terminal: daemon with a payment option" "--amount: not a daemon setting" "$TERMINAL" daemon --socket t.sock --amount 1.00
DAEMON=(daemon --socket t.sock --card unix:c.sock --server unix:s.sock --terminal-id T1 --camera file:s.png)
usage "terminal: daemon --http without a port" "daemon: --http: not \[HOST:\]PORT: 'nohost'" "$TERMINAL" "${DAEMON[@]}" --http nohost
usage "terminal: daemon --http, IPv6 without a port" "daemon: --http: not \[HOST:\]PORT: '\[::1\]'" "$TERMINAL" "${DAEMON[@]}" --http '[::1]'
usage "terminal: daemon --http without a value" "daemon: --http: a value is needed" "$TERMINAL" "${DAEMON[@]}" --http
usage "terminal: daemon --http-token-file without --http" "--http-token-file: only with --http" "$TERMINAL" "${DAEMON[@]}" --http-token-file tok
t_done
