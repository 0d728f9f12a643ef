# Helpers for the terminal's integration scripts (terminal_*.sh), sourced
# after lib.sh: a whole world (server with two accounts, a personalised and
# enrolled card on its sockets) in $T_DIR, and the holder's hands on the
# card's keypad through its control socket. Not a test itself.
. "$(dirname "${BASH_SOURCE[0]}")/card_helpers.bash"
SRV=$SC_BIN/sigcard-server
TERMINAL=$SC_BIN/sigcard-terminal
PIN=4711

# The card's transport key, which the issuer set at manufacture and keeps:
# card prepare wraps K_card under it (PROTOCOL.md §5.3), so the perso file
# and the personalisation APDUs never hold K_card in the clear.
TK_HEX=534947434152442D544553542D544B31

# SRV_KEYS: extra sigcard-server options naming where the issuer's keys
# are (--pkcs11 MODULE --token LABEL --pin-file FILE); none: key files.
[ -n "${SRV_KEYS+x}" ] || SRV_KEYS=()

# world_up: server data in $T_DIR/srv (ALICE-1 with 100.00 EUR, SHOP-1 empty),
# the server on a Unix socket and HTTP, a card for ALICE-1 on its contact,
# contactless and control sockets, its screen in $T_DIR/screen.png;
# personalised through the issuer's path with K_card wrapped.
world_up() {
	local d=$T_DIR/srv
	mkdir -p "$d"
	"$SRV" -D "$d" "${SRV_KEYS[@]}" init >"$T_DIR/admin.log" 2>&1 &&
	"$SRV" -D "$d" account create ALICE-1 --currency EUR --balance 100.00 >>"$T_DIR/admin.log" 2>&1 &&
	"$SRV" -D "$d" account create SHOP-1 --currency EUR >>"$T_DIR/admin.log" 2>&1 &&
	( umask 077; printf '%s\n' "$PIN" >"$T_DIR/pin"; printf '%s\n' "$TK_HEX" >"$T_DIR/tk" )
	"$SRV" -D "$d" "${SRV_KEYS[@]}" card prepare --account ALICE-1 \
		--transport-key-file "$T_DIR/tk" --out "$T_DIR/perso.json" >>"$T_DIR/admin.log" 2>&1 ||
		return 1
	"$CARD" --flash "$T_DIR/card.flash" --transport-key-file "$T_DIR/tk" personalise \
		--perso "$T_DIR/perso.json" --pin-file "$T_DIR/pin" --export "$T_DIR/record.json" \
		>"$T_DIR/perso.log" 2>&1 || return 1
	"$SRV" -D "$d" card enrol --record "$T_DIR/record.json" >>"$T_DIR/admin.log" 2>&1 &&
	"$SRV" -D "$d" key show >"$T_DIR/receipt.key" 2>>"$T_DIR/admin.log" || return 1
	CARD_ID=$(jq -r .card_id "$T_DIR/record.json")
	SUBMIT=$T_DIR/submit.sock
	server_up || return 1
	CT=$T_DIR/contact.sock CL=$T_DIR/contactless.sock CTL=$T_DIR/control.sock
	PNG=$T_DIR/screen.png
	card_start card --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" \
		--control "$CTL" --png "$PNG"
}

# server_up: the server on $SUBMIT, its HTTP API on HTTP_PORT (chosen
# here); SRV_SERVE: more serve options, whose first @PORT becomes
# SERVE_PORT (the back office's, say).
[ -n "${SRV_SERVE+x}" ] || SRV_SERVE=()
server_up() {
	sc_listen server 'serving: submissions on' "$SRV" -D "$T_DIR/srv" "${SRV_KEYS[@]}" -d \
		--listen none --unix "$SUBMIT" --http "127.0.0.1:@PORT" "${SRV_SERVE[@]}" serve
	SERVER_PID=$SC_LAST_PID HTTP_PORT=${SC_PORTS[0]} SERVE_PORT=${SC_PORTS[1]:-}
	kill -0 "$SERVER_PID" 2>/dev/null
}

server_down() {
	kill -TERM "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
}

# balance ACCOUNT: minor units, from the server's HTTP API.
balance() {
	curl -sf "http://127.0.0.1:$HTTP_PORT/v1/accounts/$1" | jq -r .balance.minor
}

# holder_locks_pin: in the background, waits for the card's review screen and
# enters a wrong PIN three times; the card's answer to the last one (its
# screen) goes to $T_DIR/locked.out.
holder_locks_pin() {
	( ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":30000}' 30 >/dev/null &&
	  ctl "$CTL" '{"cmd":"press","keys":"0000K"}' >/dev/null &&
	  ctl "$CTL" '{"cmd":"press","keys":"0000K"}' >/dev/null &&
	  ctl "$CTL" '{"cmd":"press","keys":"0000K"}' >"$T_DIR/locked.out" ) &
	HOLDER_PID=$!
}

# holder KEYS [SCREEN [COPY]]: in the background, waits for the card's review
# screen (or SCREEN), then presses KEYS ("4711K" = PIN and OK, "C" = Cancel).
# With COPY, first copies the PNG the card drew for that screen there (the
# card writes the PNG before it answers the wait, and the screen stays until
# a key).
holder() {
	( ctl "$CTL" "{\"cmd\":\"wait\",\"screen\":\"${2:-review}\",\"timeout_ms\":30000}" 30 \
		>"$T_DIR/holder-wait.out" 2>&1 &&
	  { [ -z "${3:-}" ] || cp "$PNG" "$3"; } &&
	  ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"$1\"}" >"$T_DIR/holder-press.out" 2>&1 ) &
	HOLDER_PID=$!
}

# card_atc: the card's counter, read over the contact slot.
card_atc() {
	local r
	r=$("$FC" "$CT" on 00A4040009F05349474341524401 00CADF2200 off | tail -n +2 | head -1)
	printf '%d' "0x${r:0:8}"
}

# pay ARGS...: sigcard-terminal pay with this world's settings; stdout in
# $T_DIR/pay.out, stderr in $T_DIR/pay.err, exit status in PAY_RC.
pay() {
	"$TERMINAL" pay --card "unix:$CT" --server "unix:$SUBMIT" --terminal-id T-1 \
		--receipt-key "$T_DIR/receipt.key" "$@" >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
	PAY_RC=$?
}

# pin_tries: the card's PIN tries left and status word (GET DATA DF24 over
# the contact slot), as hex: 039000 is three tries.
pin_tries() { "$FC" "$CT" on 00A4040009F05349474341524401 00CADF2400 off | sed -n 2p; }

# unblock: sigcard-terminal unblock with the card in the contact slot;
# exit status in UNBLOCK_RC, output in unblock.out and unblock.err.
unblock() {
	"$TERMINAL" unblock --card "unix:$CT" --server "unix:$SUBMIT" >"$T_DIR/unblock.out" 2>"$T_DIR/unblock.err"
	UNBLOCK_RC=$?
}

# field NAME: a field of the last receipt.
field() { sed -n "s/^$1: //p" "$T_DIR/pay.out"; }

# holder_n N: confirms N payments in turn, each read contactlessly.
holder_n() {
	( for _ in $(seq "$1"); do
		ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":30000}' 30 >/dev/null &&
		ctl "$CTL" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >/dev/null || break
		# the press answers once the password is up, so the next wait can
		# only be satisfied by the next payment's review screen
	  done ) &
	HOLDER_PID=$!
}
