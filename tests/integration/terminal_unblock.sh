#!/usr/bin/env bash
# The issuer's PIN unblock, end to end (docs/PROTOCOL.md §6 "Issuer scripts"): three wrong
# PINs block the emulated card's PIN; `sigcard-server card unblock-pin`
# approves one unblock; `sigcard-terminal unblock` gets the card's
# challenge, the server's script for it, delivers it and reports the
# answer; the right PIN then pays. The approval is single-use, and the
# delivered script replayed to the card is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"

if ! world_up; then
	t_fail "world up" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"; t_done; exit
fi
t_ok "world up"
SELECT=00A4040009F05349474341524401

# Nothing approved: the server has no script, the card is untouched.
unblock
t_eq "no approval: NO_ISSUER_SCRIPT, exit 8" 8 "$UNBLOCK_RC"
grep -q NO_ISSUER_SCRIPT "$T_DIR/unblock.err" && t_ok "no approval: the message names it" ||
	t_fail "no approval: the message names it" "$(cat "$T_DIR/unblock.err")"

# block_pin: three wrong PINs on the card's keypad during a payment.
block_pin() {
	holder_locks_pin
	pay --amount 0.50 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 5
	wait "$HOLDER_PID"
	t_eq "three wrong PINs: the card shows it is locked" pin_blocked "$(jq -r .screen.name "$T_DIR/locked.out")"
}
block_pin
t_eq "the card reports no tries left" 009000 "$(pin_tries)"
pay --amount 0.50 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 5
t_eq "PIN blocked, nothing approved: the card refuses to sign" 5 "$PAY_RC"
t_check "pay says the PIN is blocked and no unblock waits" grep -q "PIN is blocked.*NO_ISSUER_SCRIPT" "$T_DIR/pay.err"

# The issuer approves; the terminal delivers.
"$SRV" -D "$T_DIR/srv" card unblock-pin "$CARD_ID" >"$T_DIR/approve.out" 2>&1
t_eq "card unblock-pin: exit 0" 0 $?
t_check "card show: approved" grep -q "pin unblock.*approved" <("$SRV" -D "$T_DIR/srv" card show "$CARD_ID")
"$SRV" -D "$T_DIR/srv" card unblock-pin 0000000000000000 >/dev/null 2>"$T_DIR/approve.err"
t_eq "card unblock-pin of an unknown card: exit 1" 1 $?
unblock
[ "$UNBLOCK_RC" = 0 ] && t_ok "unblock: exit 0" || t_fail "unblock: exit 0" "exit $UNBLOCK_RC" "$(cat "$T_DIR/unblock.err")"
t_eq "unblock: the card answered 9000" 9000 "$(sed -n 's/^card answer: //p' "$T_DIR/unblock.out")"
t_eq "unblock: the card has its three tries again" 3 "$(sed -n 's/^pin tries: //p' "$T_DIR/unblock.out")"
t_eq "the card itself reports three tries" 039000 "$(pin_tries)"
t_check "card show: done, the card answered 9000" grep -q "pin unblock.*done: the card answered 9000" \
	<("$SRV" -D "$T_DIR/srv" card show "$CARD_ID")
SCRIPT=$(sed -n 's/^script: //p' "$T_DIR/unblock.out")

# Single use: a second delivery finds nothing.
unblock
t_eq "the approval is spent: a second unblock gets NO_ISSUER_SCRIPT" 8 "$UNBLOCK_RC"

# The captured script replayed: without a challenge, and against a fresh one.
r=$("$FC" "$CT" on $SELECT "$SCRIPT" off | sed -n 2p)
t_eq "replayed script without a challenge: refused (6985)" 6985 "$r"
r=$("$FC" "$CT" on $SELECT 0084000010 "$SCRIPT" off | sed -n 3p)
t_eq "replayed script against a fresh challenge: refused (6982)" 6982 "$r"

# The right PIN pays again.
A0=$(balance ALICE-1)
holder "${PIN}K"
pay --amount 1.00 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 20
wait "$HOLDER_PID"
t_eq "after the unblock the right PIN pays" 0 "$PAY_RC"
t_eq "the payer paid 1.00" $((A0 - 100)) "$(balance ALICE-1)"

# Blocked again: pay itself delivers an approved unblock before it signs.
block_pin
"$SRV" -D "$T_DIR/srv" card unblock-pin "$CARD_ID" >/dev/null 2>&1
holder "${PIN}K"
pay --amount 2.00 --currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 20
wait "$HOLDER_PID"
[ "$PAY_RC" = 0 ] && t_ok "pay on a blocked card with an approval waiting: paid" ||
	t_fail "pay on a blocked card with an approval waiting: paid" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
t_check "pay says it delivered the unblock" grep -q "the issuer's unblock was delivered" "$T_DIR/pay.err"
t_eq "the payer paid 2.00 more" $((A0 - 300)) "$(balance ALICE-1)"
t_done
