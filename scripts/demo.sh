#!/usr/bin/env bash
# make demo: one payment end to end, told step by step. Starts the server on
# a fresh SQLite ledger in a temporary folder, creates two accounts, makes,
# personalises and enrols a card, starts the card and the terminal daemon,
# pays, shows the card's screens as the holder sees them, prints the receipt
# and both balances from the server's HTTP API, and stops everything it
# started. INTERACTIVE=1: you type the PIN and OK on the card's own window.
# WEB=1: the same world with the programs' pages (the terminal's, the
# card's, the back office's when the server has one): it prints their
# addresses and waits, while a person pays by typing on the terminal's page
# and the card's, until Ctrl-C stops everything it started.
# Usage: scripts/demo.sh BUILD_DIR   (make demo passes it)
set -u
BUILD=$(cd "${1:-build}" && pwd) || exit 1
BIN=$BUILD/bin
SRV=$BIN/sigcard-server CARD=$BIN/sigcard-card TERM=$BIN/sigcard-terminal
for p in "$SRV" "$CARD" "$TERM"; do
	[ -x "$p" ] || { echo "demo: $p is missing: run make first" >&2; exit 1; }
done
for t in curl jq python3; do
	command -v $t >/dev/null || { echo "demo: needs $t (scripts/packages.txt)" >&2; exit 1; }
done
INTERACTIVE=${INTERACTIVE:-}
WEB=${WEB:-}
PIN=2468
DIR=$(mktemp -d "${TMPDIR:-/tmp}/sigcard-demo.XXXXXX")
PIDS=()

stop_all() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	rm -rf "$DIR"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then B=$'\e[1m' D=$'\e[2m' N=$'\e[0m'; else B= D= N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; for f in "$DIR"/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done; exit 1; }
wait_sock() { local i; for i in $(seq 600); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }
# page_url LOG PATTERN: the address a program printed in LOG after PATTERN.
# (wait_sock and page_url give a loaded machine a minute.)
page_url() {
	local i u
	for i in $(seq 600); do
		u=$(sed -n "s|^.*$2\(http://[^ ]*\).*|\1|p" "$1" 2>/dev/null | head -1)
		[ -n "$u" ] && { printf '%s\n' "$u"; return 0; }
		sleep 0.1
	done
	return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# ctl JSON: one request to the card's automation socket, the reply on stdout.
ctl() {
	python3 - "$DIR/card-control.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(90); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(65536)
    if not d: break
    buf += d
sys.stdout.write(buf.decode())
PY
}
# show_screen JSON: the card's screen as the holder sees it.
show_screen() {
	jq -r '.screen | "   +--------------------------------------+",
		("   | " + (.title | .[0:36]) + (" " * (36 - (.title | length))) + " |"),
		"   |--------------------------------------|",
		(.lines[] | select(. != "") | "   | " + .[0:36] + (" " * ([36 - length, 0] | max)) + " |"),
		"   +--------------------------------------+",
		(if .qr then "     QR code: " + .qr else empty end)' <<<"$1"
}
money() { curl -sf "http://127.0.0.1:$HTTP/v1/accounts/$1" | jq -r .balance.text; }

step "1. The issuer's server: a fresh ledger in $DIR"
D_SRV=$DIR/server
"$SRV" -D "$D_SRV" init >"$DIR/admin.log" 2>&1 || die "server init failed"
say "master key, receipt key, SQLite ledger and terminal CA made (sigcard-server init)"
"$SRV" -D "$D_SRV" account create ALICE-1 --currency EUR --balance 250.00 >>"$DIR/admin.log" 2>&1 &&
"$SRV" -D "$D_SRV" account create BAKERY-7 --currency EUR --balance 40.00 >>"$DIR/admin.log" 2>&1 ||
	die "account create failed"
say "accounts: ALICE-1 (the card holder) 250.00 EUR, BAKERY-7 (the shop) 40.00 EUR"
HTTP=$(free_port) TLS=$(free_port)
"$SRV" -D "$D_SRV" terminal enrol BAKERY-T1 --out "$DIR/terminal-tls" >>"$DIR/admin.log" 2>&1 ||
	die "terminal enrol failed"
say "terminal BAKERY-T1 enrolled: its key and certificate from the issuer's terminal CA"
# The back office (sigcard-server --admin-http) with WEB=1: its login
# token in a 0600 file, as the server requires.
ADMIN_ARGS=()
if [ -n "$WEB" ]; then
	ADMIN=$(free_port)
	( umask 077; od -An -N18 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/admin.token" ) ||
		die "cannot make the back office's token"
	ADMIN_ARGS=(--admin-http "127.0.0.1:$ADMIN" --admin-token-file "$DIR/admin.token")
fi
"$SRV" -D "$D_SRV" -d --listen "127.0.0.1:$TLS" --unix "$DIR/submit.sock" --http "127.0.0.1:$HTTP" \
	"${ADMIN_ARGS[@]}" serve >"$DIR/server.log" 2>&1 &
PIDS+=($!)
wait_sock "$DIR/submit.sock" || die "the server did not start"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done
say "sigcard-server running: submissions over TLS on 127.0.0.1:$TLS, HTTP API on 127.0.0.1:$HTTP"

step "2. A card for ALICE-1: personalised, issued, enrolled"
"$SRV" -D "$D_SRV" card prepare --account ALICE-1 --out "$DIR/perso.json" >>"$DIR/admin.log" 2>&1 ||
	die "card prepare failed"
( umask 077; printf '%s\n' "$PIN" >"$DIR/pin" )
"$CARD" --flash "$DIR/card.flash" personalise --perso "$DIR/perso.json" --pin-file "$DIR/pin" \
	--export "$DIR/record.json" >"$DIR/perso.log" 2>&1 || die "personalisation failed"
"$SRV" -D "$D_SRV" card enrol --record "$DIR/record.json" >>"$DIR/admin.log" 2>&1 || die "enrolment failed"
"$SRV" -D "$D_SRV" key show >"$DIR/receipt.key" 2>>"$DIR/admin.log" || die "key show failed"
CARD_ID=$(jq -r .card_id "$DIR/record.json")
say "card $CARD_ID: key pair made on the card, PIN $PIN set, K_card loaded, issued"
say "the server enrolled its public key; the terminal pins the server's receipt key"

step "3. The card and the terminal"
CARD_ARGS=(--flash "$DIR/card.flash" --contact "$DIR/card-contact.sock"
	--contactless "$DIR/card-contactless.sock" --control "$DIR/card-control.sock"
	--png "$DIR/card-screen.png")
TERM_WEB=()
if [ -n "$WEB" ]; then
	CARD_WEB=$(free_port) TERM_WEB=(--http "127.0.0.1:$(free_port)")
	CARD_ARGS+=(--http "127.0.0.1:$CARD_WEB")
fi
if [ -z "$INTERACTIVE" ]; then
	"$CARD" -d --no-tty "${CARD_ARGS[@]}" >"$DIR/card.log" 2>&1 &
	PIDS+=($!)
	wait_sock "$DIR/card-control.sock" || die "the card did not start"
	say "sigcard-card running; its screen is drawn to $DIR/card-screen.png (the camera's view)"
fi
"$TERM" daemon --socket "$DIR/terminal.sock" -d --card "unix:$DIR/card-contact.sock" \
	--server "127.0.0.1:$TLS" --tls "$DIR/terminal-tls" --terminal-id BAKERY-T1 \
	--receipt-key "$DIR/receipt.key" \
	--camera "file:$DIR/card-screen.png" "${TERM_WEB[@]}" >"$DIR/terminal.log" 2>&1 &
PIDS+=($!)
wait_sock "$DIR/terminal.sock" || die "the terminal daemon did not start"
say "sigcard-terminal daemon running: it reads the card's password by scanning its screen"

if [ -n "$WEB" ]; then
	TERM_URL=$(page_url "$DIR/terminal.log" "the terminal's page: ") ||
		die "the terminal printed no page address"
	CARD_URL=$(page_url "$DIR/card.log" "the card's page: ") || die "the card printed no page address"
	ADMIN_URL=$(grep -o "http://127.0.0.1:$ADMIN/[^ ]*" "$DIR/server.log" | head -1)
	ADMIN_URL=${ADMIN_URL:-http://127.0.0.1:$ADMIN/}
	ADMIN_SAY="the back office (log in with the token $(cat "$DIR/admin.token")): both balances and the transfer"
	step "4. Pay in a browser"
	say "The merchant's terminal (type amount, payee and scheme, then Pay):"
	say "  $B$TERM_URL$N"
	say "The card (check the payment, type the PIN $PIN on its keypad, OK):"
	say "  $B$CARD_URL$N"
	say "$ADMIN_SAY:"
	say "  $B$ADMIN_URL$N"
	say "Payee: BAKERY-7 (40.00 EUR); the card pays from ALICE-1 (250.00 EUR)."
	say "Ctrl-C stops every program this demo started and removes $DIR."
	while :; do sleep 3600 & PIDS+=($!); wait $!; done
fi

step "4. The payment: 12.34 EUR from ALICE-1 to BAKERY-7"
say "ALICE-1 has $(money ALICE-1), BAKERY-7 has $(money BAKERY-7)"
PAY=("$TERM" pay --daemon "unix:$DIR/terminal.sock" --amount 12.34 --currency EUR
	--to BAKERY-7 --payee-name "Bäckerei Sonnenschein" --scheme enc-rand --timeout 90)
say "${D}\$ sigcard-terminal pay --daemon ... --amount 12.34 --currency EUR --to BAKERY-7 \\$N"
say "${D}      --payee-name 'Bäckerei Sonnenschein' --scheme enc-rand$N"
if [ -n "$INTERACTIVE" ]; then
	say "The card's window opens next: when it shows the payment, type the PIN $PIN"
	say "and press Enter (OK); Esc cancels. It closes by itself once the payment is done."
	sleep 3
	# The card runs in the foreground, on this terminal (its keypad needs
	# it); the payment runs beside it and closes the card's window when done.
	( wait_sock "$DIR/card-contact.sock"
	  "${PAY[@]}" >"$DIR/receipt.txt" 2>"$DIR/pay.log"
	  echo $? >"$DIR/pay.rc"
	  sleep 2
	  kill -TERM "$(cat "$DIR/card.pid")" 2>/dev/null ) &
	PIDS+=($!)
	bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$DIR/card.pid" \
		"$CARD" -d --tty "${CARD_ARGS[@]}" 2>"$DIR/card.log" </dev/tty
	wait "${PIDS[-1]}"
	rc=$(cat "$DIR/pay.rc" 2>/dev/null || echo 1)
	sed 's/^sigcard-terminal: /   terminal: /' "$DIR/pay.log"
else
	"${PAY[@]}" >"$DIR/receipt.txt" 2>"$DIR/pay.log" &
	PAY_PID=$!
	say "the terminal gets a challenge from the server and has the card SIGN the transaction;"
	say "then it powers the card off: the card has left the reader, and only now shows,"
	say "on its own screen, what it signed:"
	r=$(ctl '{"cmd":"wait","screen":"review","timeout_ms":20000}')
	show_screen "$r"
	say "the holder checks amount and payee, and types the PIN on the card's keypad:"
	for ((i = 0; i < ${#PIN}; i++)); do ctl "{\"cmd\":\"press\",\"keys\":\"${PIN:i:1}\"}" >/dev/null; sleep 0.3; done
	r=$(ctl '{"cmd":"screen"}')
	show_screen "$r"
	say "... and presses OK. The card shows the joint password, as digits and as a QR code:"
	r=$(ctl '{"cmd":"press","keys":"K"}')
	show_screen "$r"
	wait "$PAY_PID"
	rc=$?
	say "the terminal scanned the QR code from the card's screen (zbar on the PNG) and submitted:"
	sed 's/^sigcard-terminal: /   terminal: /' "$DIR/pay.log"
fi
[ "$rc" -eq 0 ] || die "the payment failed (exit $rc)"

step "5. The receipt (signed by the server, checked by the terminal)"
sed 's/^/   /' "$DIR/receipt.txt"

step "6. Balances, read from the server's HTTP API"
say "ALICE-1:  $(money ALICE-1)   (was 250.00 EUR)"
say "BAKERY-7: $(money BAKERY-7)   (was 40.00 EUR)"
say "${D}curl http://127.0.0.1:$HTTP/v1/accounts/ALICE-1$N"
curl -sf "http://127.0.0.1:$HTTP/v1/accounts/ALICE-1" | jq -c . | sed 's/^/   /'

step "Done: every daemon is stopped and $DIR removed."
