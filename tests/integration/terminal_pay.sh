#!/usr/bin/env bash
# sigcard-terminal end to end: a real server, a real emulated card, the
# holder's PIN typed on the card's keypad through its control socket. One
# payment for each scheme and each way of getting the joint password
# (scanning the card's PNG with zbar, or the contactless read), checked
# against the balances of the server's HTTP API; then the same through the
# terminal daemon.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"

if ! world_up; then
	t_fail "world up (server, accounts, card)" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"
	t_done; exit
fi
t_ok "world up: server, ALICE-1 100.00 EUR, card $CARD_ID enrolled"
# The card was personalised from a perso file that holds K_card only
# wrapped under its transport KEK (PROTOCOL.md §5.3), and pays below.
t_eq "the perso file holds K_card wrapped (40 bytes), not in the clear" "card_id,account,k_card_wrapped 80" \
	"$(jq -r '[keys_unsorted[]] | join(",")' "$T_DIR/perso.json") $(jq -r '.k_card_wrapped | length' "$T_DIR/perso.json")"

alice=$(balance ALICE-1) shop=$(balance SHOP-1)
t_eq "opening balances" "10000 0" "$alice $shop"
n=0
for scheme in enc enc-rand enc-digest; do
	for jp in scan contactless; do
		n=$((n + 1))
		amount="1.0$n"
		holder "${PIN}K"
		if [ "$jp" = scan ]; then
			pay --amount "$amount" --currency EUR --to SHOP-1 --payee-name "Café Nº$n" \
				--scheme "$scheme" --camera "file:$PNG" --timeout 30
		else
			pay --amount "$amount" --currency EUR --to SHOP-1 --payee-name "Café Nº$n" \
				--scheme "$scheme" --jp contactless --contactless "unix:$CL" --timeout 30
		fi
		wait "$HOLDER_PID"
		if [ "$PAY_RC" -ne 0 ]; then
			t_fail "$scheme by $jp: paid" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
			continue
		fi
		t_ok "$scheme by $jp: paid (transfer $(field transfer-id))"
		t_eq "$scheme by $jp: receipt amount and payee" "$amount EUR|SHOP-1|Café Nº$n|$scheme" \
			"$(field amount)|$(field payee)|$(field payee-name)|$(field scheme)"
		alice=$((alice - 100 - n)) shop=$((shop + 100 + n))
		t_eq "$scheme by $jp: balances moved by the amount, once" "$alice $shop" \
			"$(balance ALICE-1) $(balance SHOP-1)"
		t_eq "$scheme by $jp: the merchant is not told the payer's balance" "" \
			"$(grep -i balance "$T_DIR/pay.out")"
		grep -q "receipt: verified" "$T_DIR/pay.out" && t_ok "$scheme by $jp: receipt verified" ||
			t_fail "$scheme by $jp: receipt verified" "$(cat "$T_DIR/pay.out")"
	done
done
t_eq "the card's counter: one per signature" 6 "$(card_atc)"
if grep -rq "$PIN" "$T_DIR/pay.out" "$T_DIR/pay.err"; then t_fail "the PIN appears in no terminal output"; else t_ok "the PIN appears in no terminal output"; fi

# --- what the holder sees is what is signed (docs/PROTOCOL.md §5.4) ---
# An accented payee is paid by scanning the PNG, and the card drew the name
# as itself: its review screen differs from the one for the name with '?'
# where the accents are (a cancelled payment, nothing moves).
name="Bäckerei Müller"
holder "${PIN}K" review "$T_DIR/review-accented.png"
pay --amount 3.00 --currency EUR --to SHOP-1 --payee-name "$name" --camera "file:$PNG" --timeout 30
wait "$HOLDER_PID"
[ "$PAY_RC" -eq 0 ] && t_ok "$name by scan: paid" ||
	t_fail "$name by scan: paid" "exit $PAY_RC" "$(cat "$T_DIR/pay.err")"
t_eq "$name: the card's review screen" "$name" "$(jq -r .screen.lines[1] "$T_DIR/holder-wait.out")"
t_eq "$name: the receipt" "3.00 EUR|$name" "$(field amount)|$(field payee-name)"
alice=$((alice - 300)) shop=$((shop + 300))
t_eq "$name: balances" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
holder C review "$T_DIR/review-question.png"
pay --amount 3.00 --currency EUR --to SHOP-1 --payee-name "B?ckerei M?ller" --camera "file:$PNG" \
	--timeout 30
wait "$HOLDER_PID"
t_eq "B?ckerei M?ller: cancelled on the card (exit 6)" 6 "$PAY_RC"
if cmp -s "$T_DIR/review-accented.png" "$T_DIR/review-question.png"; then
	t_fail "the PNG shows $name unlike B?ckerei M?ller"
else
	t_ok "the PNG shows $name unlike B?ckerei M?ller"
fi
# A name the card cannot show is refused at SIGN: nothing spent, nothing paid.
atc=$(card_atc)
for bad in "中文 GmbH" "Café 😀"; do
	pay --amount 3.00 --currency EUR --to SHOP-1 --payee-name "$bad" --camera "file:$PNG" --timeout 30
	t_eq "$bad: refused by the card (exit 5)" 5 "$PAY_RC"
	grep -q "6A81.*cannot show the payee name" "$T_DIR/pay.err" &&
		t_ok "$bad: the terminal says the card cannot show the name" ||
		t_fail "$bad: the terminal says the card cannot show the name" "$(cat "$T_DIR/pay.err")"
done
t_eq "refused names: the card's counter did not move" "$atc" "$(card_atc)"
t_eq "refused names: balances" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"

# --- no pinned key: the receipt key is asked from the server, and said so ---
holder "${PIN}K"
"$TERMINAL" pay --card "unix:$CT" --server "unix:$SUBMIT" --terminal-id T-1 --amount 0.99 \
	--currency EUR --to SHOP-1 --payee-name Shop --camera "file:$PNG" --timeout 30 \
	>"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
rc=$?
wait "$HOLDER_PID"
t_eq "receipt key from the server: paid" 0 "$rc"
grep -q "receipt key taken from the server (pin it" "$T_DIR/pay.err" &&
	t_ok "receipt key from the server: the terminal says it was not pinned" ||
	t_fail "receipt key from the server: the terminal says it was not pinned" "$(cat "$T_DIR/pay.err")"
alice=$((alice - 99)) shop=$((shop + 99))
t_eq "receipt key from the server: balances" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"

# --- the daemon form ---
DSOCK=$T_DIR/terminal.sock
sc_bg tdaemon "$TERMINAL" daemon --socket "$DSOCK" -d --card "unix:$CT" --server "unix:$SUBMIT" \
	--terminal-id T-2 --receipt-key "$T_DIR/receipt.key" --camera "file:$PNG"
TD_PID=$SC_LAST_PID
if sc_wait_sock "$DSOCK" 10; then t_ok "terminal daemon listening"; else t_fail "terminal daemon listening" "$(cat "$T_DIR/tdaemon.log")"; fi
t_eq "daemon socket is 0600" 600 "$(stat -c %a "$DSOCK")"
holder "${PIN}K"
"$TERMINAL" pay --daemon "unix:$DSOCK" --amount 2.00 --currency EUR --to SHOP-1 \
	--payee-name Kiosk --scheme enc-rand --timeout 30 >"$T_DIR/pay.out" 2>"$T_DIR/pay.err"
rc=$?
wait "$HOLDER_PID"
t_eq "daemon: paid" 0 "$rc"
t_eq "daemon: receipt printed by the front end" "2.00 EUR" "$(field amount)"
grep -q "card signed" "$T_DIR/pay.err" && t_ok "daemon: progress relayed to the front end" ||
	t_fail "daemon: progress relayed to the front end" "$(cat "$T_DIR/pay.err")"
alice=$((alice - 200)) shop=$((shop + 200))
t_eq "daemon: balances" "$alice $shop" "$(balance ALICE-1) $(balance SHOP-1)"
"$TERMINAL" pay --daemon="unix:$DSOCK" --amount 2.00 --currency EUR --to SHOP-1 \
	--payee-name Kiosk --card "unix:/tmp/elsewhere" >/dev/null 2>"$T_DIR/pay.err"
t_eq "daemon: a front end cannot change the terminal's card" 2 "$?"
kill -TERM "$TD_PID"; wait "$TD_PID"
t_eq "daemon: SIGTERM stops it cleanly" 0 "$?"
t_check "daemon: socket removed" test ! -e "$DSOCK"
t_done
