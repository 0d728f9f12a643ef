#!/usr/bin/env bash
# The authorisation pre-check (PROTOCOL §6): a payment the server cannot
# execute is refused before SIGN. An unknown payee, a payee in another
# currency and payer = payee each end with the decline's exit status 8 and
# the server's reason as a person reads it, while the card's counter (GET
# DATA DF22) stays where it was and the card never showed its review screen
# (so no PIN was asked); the server counts each pre-check in /metrics. The
# happy path still pays. Real server, real emulated card; the test waits
# for the terminal's exit and the card's screens, never for a fixed time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"

# The world, plus a merchant in dollars (admin commands run beside the
# serving daemon).
if ! world_up || ! "$SRV" -D "$T_DIR/srv" account create SHOP-USD --currency USD \
	>>"$T_DIR/admin.log" 2>&1; then
	t_fail "world up" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"; t_done; exit
fi
t_ok "world up: ALICE-1 100.00 EUR, SHOP-1 EUR, SHOP-USD USD, card $CARD_ID"
A0=$(balance ALICE-1) S0=$(balance SHOP-1)
screen() { ctl "$CTL" '{"cmd":"screen"}' | jq -r .screen.name; }
# refused NAME CODE REASON ARGS...: pay with ARGS; exit 8 naming CODE and
# REASON before the card signed; the ATC and the balances as they were, the
# card still on its idle screen.
refused() {
	local name=$1 code=$2 reason=$3 atc
	shift 3
	atc=$(card_atc)
	# A short --timeout: refused, the terminal never waits for a password.
	pay "$@" --camera "file:$PNG" --timeout 10
	if [ "$PAY_RC" -eq 8 ] && grep -q "declined before the card signed" "$T_DIR/pay.err" &&
		grep -q "$code" "$T_DIR/pay.err" && grep -qF "($reason)" "$T_DIR/pay.err"; then
		t_ok "$name: exit 8 before the card signed, $code ($reason)"
	else
		t_fail "$name: exit 8 before the card signed, $code ($reason)" "exit $PAY_RC" \
			"$(cat "$T_DIR/pay.err")"
	fi
	t_eq "$name: the card's ATC unchanged (nothing signed)" "$atc" "$(card_atc)"
	# The review screen takes the PIN; a card that showed it stays off idle.
	t_eq "$name: the card never showed the transaction (no PIN asked)" idle "$(screen)"
	t_eq "$name: balances unchanged" "$A0 $S0" "$(balance ALICE-1) $(balance SHOP-1)"
}

t_eq "the card waits on its idle screen" idle "$(screen)"
refused "unknown payee" UNKNOWN_ACCOUNT "no account SHOP-9" \
	--amount 5.00 --currency EUR --to SHOP-9 --payee-name Nobody
refused "currency mismatch" CURRENCY_MISMATCH \
	"transaction in EUR, payer account in EUR, payee account in USD" \
	--amount 5.00 --currency EUR --to SHOP-USD --payee-name Diner
refused "payer = payee" SAME_ACCOUNT "payer and payee are both ALICE-1" \
	--amount 5.00 --currency EUR --to ALICE-1 --payee-name Myself

# The happy path: the pre-check passes and the holder's PIN pays.
atc=$(card_atc)
holder "${PIN}K"
pay --amount 5.00 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 120
wait "$HOLDER_PID"
if [ "$PAY_RC" -eq 0 ] && grep -q "pre-check: the server would take this payment" "$T_DIR/pay.err"; then
	t_ok "happy path: pre-checked, then paid (transfer $(field transfer-id))"
else t_fail "happy path: pre-checked, then paid" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"; fi
t_eq "happy path: one ATC spent" "$((atc + 1))" "$(card_atc)"
t_eq "happy path: balances moved once" "$((A0 - 500)) $((S0 + 500))" \
	"$(balance ALICE-1) $(balance SHOP-1)"

# /metrics: each pre-check by its verdict; the refused ones reached no SUBMIT.
M=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics")
for want in 'result="UNKNOWN_ACCOUNT"} 1' 'result="CURRENCY_MISMATCH"} 1' \
	'result="SAME_ACCOUNT"} 1' 'result="OK"} 1'; do
	t_check "metrics: sigcard_prechecks_total{$want" grep -qF "sigcard_prechecks_total{$want" <<<"$M"
done
t_check "metrics: one submission, the paid one" grep -qF 'sigcard_submissions_total{result="OK"} 1' <<<"$M"
t_check "metrics: no declined submission" grep -qF 'sigcard_submissions_total{result="UNKNOWN_ACCOUNT"} 0' <<<"$M"
t_check "the ledger's invariants hold" "$SRV" -D "$T_DIR/srv" check
t_done
