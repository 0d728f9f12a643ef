#!/usr/bin/env bash
# Receipt keys that change (docs/PROTOCOL.md §6 "Receipt keys"): a terminal
# that pinned the issuer's first receipt key pays, the issuer rotates the
# key, the server is restarted, the terminal pays again and verifies the
# new key's receipt through the key list the server hands out, chained to
# its pin; `sigcard-server check` verifies every stored receipt with the
# key it names. A list that does not chain to the pin, or a tampered one,
# is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"

if ! world_up; then
	t_fail "world up (server, accounts, card)" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"
	t_done; exit
fi
t_ok "world up: the terminal pinned the first receipt key"
D=$T_DIR/srv
first_id=$("$SRV" -D "$D" key list | awk '{print $1}')
t_eq "one receipt key, current" "current" "$("$SRV" -D "$D" key list | awk '{print $3}')"

# pay_ok NAME AMOUNT [ARGS...]: one payment the holder confirms; its outcome
# checked as a test line.
pay_ok() {
	local name=$1 amount=$2
	shift 2
	holder "${PIN}K"
	pay --amount "$amount" --currency EUR --to SHOP-1 --payee-name Shop \
		--camera "file:$PNG" --timeout 30 "$@"
	wait "$HOLDER_PID"
	if [ "$PAY_RC" -eq 0 ] && grep -q "receipt: verified" "$T_DIR/pay.out"; then
		t_ok "$name: paid, receipt verified"
	else
		t_fail "$name: paid, receipt verified" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
	fi
}

pay_ok "before the rotation" 1.00

out=$("$SRV" -D "$D" key rotate 2>&1)
t_check "key rotate names the new key and asks for a restart" \
	grep -q "is current; restart sigcard-server" <<<"$out"
new_id=$(awk '{print $3}' <<<"$out")
t_eq "key list: the first key retired, the new one current" \
	"$first_id retired|$new_id current" \
	"$("$SRV" -D "$D" key list | awk '{print $1 " " $3}' | paste -sd'|')"
t_eq "key files are the owner's alone" "600" "$(stat -c %a "$D/receipt-keys/$new_id.key")"

# A running server goes on sealing with the key it started with; its
# receipts keep verifying with the pinned key.
pay_ok "rotated, not yet restarted" 1.01
grep -q "successor of the pinned key" "$T_DIR/pay.err" &&
	t_fail "not yet restarted: the old key still seals" "$(cat "$T_DIR/pay.err")" ||
	t_ok "not yet restarted: the old key still seals"

server_down
server_up || t_fail "the server starts again with the new ring"
sc_wait_for 10 grep -q "receipt key $new_id seals (2 keys in the ring)" "$T_DIR/server.log" &&
	t_ok "the restarted server seals with $new_id" ||
	t_fail "the restarted server seals with $new_id" "$(tail -5 "$T_DIR/server.log")"

pay_ok "after the restart (pin unchanged)" 1.02
t_check "the terminal took the new key from the list, chained to its pin" \
	grep -q "successor of the pinned key" "$T_DIR/pay.err"

# A final decline is sealed like a payment, by the new key; the terminal
# verifies its receipt through the list too, and check verifies it stored.
holder "${PIN}K"
pay --amount 1000.00 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
t_eq "a decline after the restart: refused (exit 8)" 8 "$PAY_RC"
t_check "a decline after the restart: its receipt verified through the list" \
	grep -q "decline's receipt verified" "$T_DIR/pay.err"

# The new key pinned directly: its own receipts need no list.
"$SRV" -D "$D" key show >"$T_DIR/receipt-new.key"
pay_ok "pinned to the new key" 1.03 --receipt-key "$T_DIR/receipt-new.key"

t_eq "balances: four payments, once each" "9594 406" "$(balance ALICE-1) $(balance SHOP-1)"
t_eq "check: every stored receipt verifies with the key it names" \
	"ledger ok (5 receipt seals verified)" "$("$SRV" -D "$D" check 2>&1)"

# A terminal pinned to a key of another issuer: the list does not chain to
# it, so the new key's receipt is not believed (exit 9), though paid.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
	openssl pkey -pubout -out "$T_DIR/other.pub" 2>/dev/null
holder "${PIN}K"
pay --amount 1.04 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30 \
	--receipt-key "$T_DIR/other.pub"
wait "$HOLDER_PID"
t_eq "pinned to another key: the receipt does not verify (exit 9)" 9 "$PAY_RC"
t_check "pinned to another key: says the list does not chain to the pin" \
	grep -q "does not chain to the pinned key" "$T_DIR/pay.err"

# A list whose link to the new key was changed is refused by check and by
# the server at start; put back, all is well again.
cp "$D/receipt-keys/list" "$T_DIR/list.good"
python3 - "$D/receipt-keys/list" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-3] ^= 0x01  # inside the last key's link signature
open(p, "wb").write(bytes(b))
PY
out=$("$SRV" -D "$D" check 2>&1)
rc=$?
t_eq "a tampered key list: check fails" 1 "$rc"
t_check "a tampered key list: check says which link" grep -q "not signed by the key before it" <<<"$out"
cp "$T_DIR/list.good" "$D/receipt-keys/list"
t_eq "the list put back: check passes" "ledger ok (6 receipt seals verified)" \
	"$("$SRV" -D "$D" check 2>&1)"
server_down
t_done
