#!/usr/bin/env bash
# A dishonest terminal against the real server and card (tests/tools/
# term_tamper): it changes the amount after the card signed, sends another
# transaction's password, and replays a submission. The server refuses the
# first two with AUTH_FAILED and answers the replay with the original
# receipt; the balances move only for the honest payments, once each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/terminal_helpers.bash"
TAMPER=$SC_BUILD/tests/tools/term_tamper

if ! world_up; then
	t_fail "world up" "$(cat "$T_DIR"/*.log 2>/dev/null | tail -20)"; t_done; exit
fi
t_ok "world up"
A0=$(balance ALICE-1) S0=$(balance SHOP-1)

tamper() { "$TAMPER" "$1" "unix:$CT" "unix:$CL" "unix:$SUBMIT" T-EVIL SHOP-1 "$2" 2>"$T_DIR/tamper.err"; }

holder_n 1
out=$(tamper amount 500); rc=$?
wait "$HOLDER_PID"
t_eq "amount changed after signing: AUTH_FAILED" "0 changed-amount AUTH_FAILED" "$rc $out"
t_eq "amount changed: balances unchanged" "$A0 $S0" "$(balance ALICE-1) $(balance SHOP-1)"

holder_n 2
out=$(tamper other-jp 100); rc=$?
wait "$HOLDER_PID"
mapfile -t lines <<<"$out"
t_eq "other-jp: the honest first payment" "first OK" "$(cut -d' ' -f1-2 <<<"${lines[0]:-}")"
t_eq "another transaction's password: AUTH_FAILED" "second-with-first-jp AUTH_FAILED" "${lines[1]:-}"
t_eq "the second's own password still pays" "second-with-own-jp OK" "$(cut -d' ' -f1-2 <<<"${lines[2]:-}")"
A0=$((A0 - 200)) S0=$((S0 + 200))
t_eq "other-jp: two honest payments moved, once each" "$A0 $S0" "$(balance ALICE-1) $(balance SHOP-1)"

holder_n 1
out=$(tamper replay 300); rc=$?
wait "$HOLDER_PID"
mapfile -t lines <<<"$out"
first=${lines[0]:-} again=${lines[1]:-}
if [[ $first == "first OK transfer "* ]] && [ "${again#replay }" = "${first#first }" ]; then
	t_ok "replay: answered with the original receipt ($again)"
else
	t_fail "replay: answered with the original receipt" "$out" "$(cat "$T_DIR/tamper.err")"
fi
A0=$((A0 - 300)) S0=$((S0 + 300))
t_eq "replay: paid once" "$A0 $S0" "$(balance ALICE-1) $(balance SHOP-1)"
t_done
