#!/usr/bin/env bash
# The issuer's keys in a PKCS#11 token (SoftHSM2, a token of the test's
# own in its temporary folder): init makes the master key and the receipt
# key in the token and no key file; card prepare wraps K_card inside it;
# the server checks every scheme's joint password with K_card derived
# inside the token (derivation v2) and refuses another payment's password;
# the master key's value cannot be read out; key rotate makes the new
# receipt key in the token; a wrong token PIN stops the server at start,
# by name, before it detaches.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
TAMPER=$SC_BUILD/tests/tools/term_tamper
MODULE=/usr/lib/softhsm/libsofthsm2.so
LABEL=sigcard-test
TOKEN_PIN=271828

mkdir -p "$T_DIR/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$T_DIR/tokens" >"$T_DIR/softhsm2.conf"
export SOFTHSM2_CONF=$T_DIR/softhsm2.conf
( umask 077; printf '%s\n' "$TOKEN_PIN" >"$T_DIR/token.pin"; printf '1234\n' >"$T_DIR/wrong.pin" )
if ! softhsm2-util --init-token --free --label "$LABEL" --pin "$TOKEN_PIN" --so-pin 31415926 \
	>"$T_DIR/softhsm.log" 2>&1; then
	t_fail "a SoftHSM2 token of the test's own" "$(cat "$T_DIR/softhsm.log")"
	t_done; exit
fi
SRV_KEYS=(--pkcs11 "$MODULE" --token "$LABEL" --pin-file "$T_DIR/token.pin")
p11() { pkcs11-tool --module "$MODULE" --token-label "$LABEL" --login --pin "$TOKEN_PIN" "$@"; }

if ! world_up; then
	t_fail "world up with the keys in the token" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"
	t_done; exit
fi
t_ok "world up: init in the token, K_card wrapped in it, the card personalised"
D=$T_DIR/srv
t_check "init named the token" grep -q "master key   token '$LABEL'" "$T_DIR/admin.log"
t_eq "no key file in the data folder, the receipt key's public half only" \
	"receipt.pub" "$(cd "$D" && ls master.key receipt.key receipt.pub 2>/dev/null | paste -sd' ')"
t_check "the server says the keys are in the token" \
	grep -q "the issuer's keys are in token '$LABEL' (K_card derivation v2)" "$T_DIR/server.log"

p11 --list-objects >"$T_DIR/objects" 2>&1
grep -A3 "label: *sigcard master key" "$T_DIR/objects" | grep -q "never extractable" &&
grep -A3 "label: *sigcard master key" "$T_DIR/objects" | grep -q "Usage: *derive$" &&
	t_ok "master key attributes: never extractable, usage derive" ||
	t_fail "master key attributes: never extractable, usage derive" "$(cat "$T_DIR/objects")"
# The attempt to read the key's value: pkcs11-tool asks for CKA_VALUE.
if p11 --read-object --type secrkey --label "sigcard master key" -o "$T_DIR/master.out" \
	>"$T_DIR/read.log" 2>&1; then
	t_fail "reading the master key's value out of the token fails" \
		"read $(stat -c %s "$T_DIR/master.out" 2>/dev/null) bytes" "$(cat "$T_DIR/read.log")"
elif grep -q "CKR_ATTRIBUTE_SENSITIVE" "$T_DIR/read.log"; then
	t_ok "reading the master key's value out of the token fails: CKR_ATTRIBUTE_SENSITIVE"
else
	t_fail "reading the master key's value fails for its sensitivity" "$(cat "$T_DIR/read.log")"
fi
t_eq "nothing of the master key was written" "" "$(cat "$T_DIR/master.out" 2>/dev/null)"

A0=$(balance ALICE-1)
n=0
for scheme in enc enc-rand enc-digest; do
	n=$((n + 1))
	holder "${PIN}K"
	pay --amount "0.0$n" --currency EUR --to SHOP-1 --payee-name Shop --scheme "$scheme" \
		--camera "file:$PNG" --timeout 30
	wait "$HOLDER_PID"
	if [ "$PAY_RC" -eq 0 ] && grep -q "receipt: verified" "$T_DIR/pay.out"; then
		t_ok "$scheme: paid, the JP checked in the token, the receipt sealed by it"
	else
		t_fail "$scheme: paid, the JP checked in the token" "exit $PAY_RC" \
			"$(cat "$T_DIR/pay.err")" "$(tail -5 "$T_DIR/server.log")"
	fi
done
t_eq "balances: the three payments, once each" "$((A0 - 6))" "$(balance ALICE-1)"

holder_n 2
out=$("$TAMPER" other-jp "unix:$CT" "unix:$CL" "unix:$SUBMIT" T-EVIL SHOP-1 100 \
	2>"$T_DIR/tamper.err"); rc=$?
wait "$HOLDER_PID"
mapfile -t lines <<<"$out"
t_eq "another transaction's password: the honest one paid, the other AUTH_FAILED" \
	"0|first OK|second-with-first-jp AUTH_FAILED" \
	"$rc|$(cut -d' ' -f1-2 <<<"${lines[0]:-}")|${lines[1]:-}"

# key rotate: the new receipt key is made in the token, signed by the old.
out=$("$SRV" -D "$D" "${SRV_KEYS[@]}" key rotate 2>&1)
t_check "key rotate with the token" grep -q "is current; restart sigcard-server" <<<"$out"
new_id=$(awk '{print $3}' <<<"$out")
p11 --list-objects >"$T_DIR/objects" 2>&1
t_check "the new receipt key is a private key in the token, named by its id" \
	grep -qi "ID: *$new_id" "$T_DIR/objects"
t_eq "and no key file for it" "" "$(ls "$D/receipt-keys" | grep -v '^list$')"
server_down
server_up || t_fail "the server starts again with the new ring"
sc_wait_for 10 grep -q "receipt key $new_id seals (2 keys in the ring)" "$T_DIR/server.log" &&
	t_ok "the restarted server seals with $new_id from the token" ||
	t_fail "the restarted server seals with $new_id" "$(tail -5 "$T_DIR/server.log")"
holder "${PIN}K"
pay --amount 0.10 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
[ "$PAY_RC" -eq 0 ] && grep -q "successor of the pinned key" "$T_DIR/pay.err" &&
	t_ok "paid after the rotation: the receipt verified through the list" ||
	t_fail "paid after the rotation" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
server_down
t_check "check: every stored receipt verifies with the key it names" \
	grep -q "^ledger ok" <<<"$("$SRV" -D "$D" check 2>&1)"

# A wrong PIN: refused at start, naming the token and the PKCS#11 error,
# before it detaches (no -d: the parent reports the child's failure).
"$SRV" -D "$D" --pkcs11 "$MODULE" --token "$LABEL" --pin-file "$T_DIR/wrong.pin" \
	--listen none --unix "$T_DIR/wrong.sock" --http none --pidfile "$T_DIR/wrong.pid" \
	>"$T_DIR/wrong.out" 2>&1
rc=$?
[ -s "$T_DIR/wrong.pid" ] && kill -TERM "$(cat "$T_DIR/wrong.pid")" 2>/dev/null
t_eq "a wrong token PIN: exit 1" 1 "$rc"
t_check "a wrong token PIN: the token and CKR_PIN_INCORRECT named" \
	grep -q "token '$LABEL': cannot log in with the PIN in $T_DIR/wrong.pin: CKR_PIN_INCORRECT" \
	"$T_DIR/wrong.out"
t_eq "a wrong token PIN: never served" "" "$(ls "$T_DIR/wrong.sock" 2>/dev/null)"
out=$("$SRV" -D "$D" "${SRV_KEYS[@]}" card prepare --account ALICE-1 --out "$T_DIR/clear.json" 2>&1)
rc=$?
t_eq "card prepare with the token but no transport key: a usage error, no perso file" \
	"2 sigcard-server: card prepare with --pkcs11 needs --transport-key-file: K_card leaves the token only wrapped|" \
	"$rc $out|$(ls "$T_DIR/clear.json" 2>/dev/null)"
out=$("$SRV" -D "$D" --pkcs11 "$MODULE" --token "$LABEL" init 2>&1); rc=$?
t_eq "--pkcs11 without --pin-file: a usage error" \
	"2 sigcard-server: --pkcs11, --token and --pin-file go together" "$rc $out"
t_done
