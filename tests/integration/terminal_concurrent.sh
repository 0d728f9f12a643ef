#!/usr/bin/env bash
# Twenty terminals paying at once, each with its own card (its own emulator,
# its holder typing the PIN), against one server: all succeed, each pays
# exactly once, and the balances add up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
N=20

d=$T_DIR/srv; mkdir -p "$d"
"$SRV" -D "$d" init >"$T_DIR/admin.log" 2>&1 &&
"$SRV" -D "$d" account create SHOP-1 --currency EUR >>"$T_DIR/admin.log" 2>&1 ||
	{ t_fail "server init" "$(cat "$T_DIR/admin.log")"; t_done; exit 1; }
"$SRV" -D "$d" key show >"$T_DIR/receipt.key" 2>>"$T_DIR/admin.log"
( umask 077; printf '%s\n' "$PIN" >"$T_DIR/pin" )
ok=1
for i in $(seq $N); do
	"$SRV" -D "$d" account create "PAYER-$i" --currency EUR --balance 10.00 >>"$T_DIR/admin.log" 2>&1 &&
	"$SRV" -D "$d" card prepare --account "PAYER-$i" --out "$T_DIR/perso$i.json" >>"$T_DIR/admin.log" 2>&1 &&
	"$CARD" --flash "$T_DIR/card$i.flash" personalise --perso "$T_DIR/perso$i.json" \
		--pin-file "$T_DIR/pin" --export "$T_DIR/record$i.json" >>"$T_DIR/perso.log" 2>&1 &&
	"$SRV" -D "$d" card enrol --record "$T_DIR/record$i.json" >>"$T_DIR/admin.log" 2>&1 || ok=0
done
[ $ok -eq 1 ] && t_ok "$N accounts with 10.00 EUR, $N cards enrolled" ||
	{ t_fail "$N cards enrolled" "$(tail "$T_DIR/admin.log" "$T_DIR/perso.log")"; t_done; exit 1; }
SUBMIT=$T_DIR/submit.sock
server_up || { t_fail "server up" "$(cat "$T_DIR/server.log")"; t_done; exit 1; }
for i in $(seq $N); do
	sc_bg "card$i" "$CARD" -d --no-tty --flash "$T_DIR/card$i.flash" --contact "$T_DIR/ct$i.sock" \
		--control "$T_DIR/ctl$i.sock" --png "$T_DIR/screen$i.png"
done
for i in $(seq $N); do sc_wait_sock "$T_DIR/ctl$i.sock" 10 || ok=0; done
[ $ok -eq 1 ] && t_ok "$N cards on their sockets" || { t_fail "$N cards on their sockets"; t_done; exit 1; }

pids=() holders=()
for i in $(seq $N); do
	( ctl "$T_DIR/ctl$i.sock" '{"cmd":"wait","screen":"review","timeout_ms":60000}' 60 >/dev/null &&
	  ctl "$T_DIR/ctl$i.sock" "{\"cmd\":\"press\",\"keys\":\"${PIN}K\"}" >/dev/null ) &
	holders+=($!)
	"$TERMINAL" pay --card "unix:$T_DIR/ct$i.sock" --server "unix:$SUBMIT" --terminal-id "T-$i" \
		--receipt-key "$T_DIR/receipt.key" --amount "1.$(printf %02d "$i")" --currency EUR \
		--to SHOP-1 --payee-name Shop --scheme enc-rand --camera "file:$T_DIR/screen$i.png" \
		--timeout 60 >"$T_DIR/pay$i.out" 2>"$T_DIR/pay$i.err" &
	pids+=($!)
done
failed=0
for i in $(seq $N); do
	wait "${pids[$((i - 1))]}" || { failed=$((failed + 1)); echo "# terminal $i: $(tail -1 "$T_DIR/pay$i.err")"; }
done
wait "${holders[@]}"
t_eq "all $N terminals paid" 0 "$failed"
want=0
for i in $(seq $N); do want=$((want + 100 + i)); done
t_eq "SHOP-1 received every amount, once" "$want" "$(balance SHOP-1)"
bad=0
for i in $(seq $N); do [ "$(balance "PAYER-$i")" -eq $((1000 - 100 - i)) ] || bad=$((bad + 1)); done
t_eq "each payer paid exactly its amount" 0 "$bad"
ids=$(for i in $(seq $N); do sed -n 's/^transfer-id: //p' "$T_DIR/pay$i.out"; done | sort -u | wc -l)
t_eq "$N distinct transfers in the receipts" "$N" "$ids"
t_check "the ledger's invariants hold" "$SRV" -D "$d" check
t_done
