#!/usr/bin/env bash
# sigcard-card ctl, the control socket's client, against a real card: it
# waits for a card just started, reads the screen as text and as JSON,
# presses the PIN and OK through a whole on-card confirmation, and exits 1
# on an error answer (a wait that times out, an unknown key) or when no
# card answers. The terminal window's rule: a card started with & from an
# interactive shell does not take the terminal and is never stopped;
# --tty there is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

SELECT=00A4040009F05349474341524401
ID=1122334455667788
PIN=2580
CT=$T_DIR/contact.sock CTL=$T_DIR/control.sock

card_personalise "$T_DIR/card.flash" $ID HANS-1 "$(printf '55%.0s' $(seq 32))" $PIN "$T_DIR/enrol.json" ||
	{ t_fail personalise "$(cat "$T_DIR"/perso-*.log)"; t_done; exit 1; }
TX=$("$MKTX" enc 1999 978 HANS-1 IDA-2 "Ida's" T4 000102030405060708090a0b0c0d0e0f 1700000004)
LC=$(printf %02X $(( ${#TX} / 2 )))

# wait for a card that is not there yet: ctl waits for its socket
"$CARD" ctl --control "$CTL" wait idle --timeout 30 >"$T_DIR/wait-start.out" 2>&1 &
WAITER=$!
sc_bg card "$CARD" -d --no-tty --flash "$T_DIR/card.flash" --contact "$CT" --control "$CTL"
CARD_PID=$SC_LAST_PID
wait "$WAITER"
t_eq "wait for a card just started: exit 0" 0 "$?"
t_eq "... and prints the screen as text" "idle: sigcard" "$(head -1 "$T_DIR/wait-start.out")"

out=$("$CARD" ctl --control "$CTL" --json screen); rc=$?
t_eq "screen --json: exit 0" 0 "$rc"
t_eq "screen --json: the reply as the socket sent it" "true idle 6" \
	"$(jq -r '"\(.ok) \(.screen.name) \(.screen.lines | length)"' <<<"$out")"

# The holder's part of a payment: SIGN, the card leaves the reader, PIN + OK.
"$FC" "$CT" on $SELECT 802A0000${LC}${TX}00 off >/dev/null
out=$("$CARD" ctl --control "$CTL" wait review --timeout 10); rc=$?
t_eq "wait review: exit 0" 0 "$rc"
grep -q "^review: " <<<"$out" && grep -q "19.99 EUR" <<<"$out" && grep -q "Ida's" <<<"$out" &&
	t_ok "wait review: the transaction as text" || t_fail "wait review: the transaction as text" "$out"
out=$("$CARD" ctl --control "$CTL" press 12X 2>&1); rc=$?
t_eq "press an unknown key: exit 1" 1 "$rc"
grep -q "unknown key" <<<"$out" && t_ok "press an unknown key: the card's error on stderr" ||
	t_fail "press an unknown key: the card's error on stderr" "$out"
t_eq "a refused press pressed nothing" review "$("$CARD" ctl --control "$CTL" --json screen | jq -r .screen.name)"
out=$("$CARD" ctl --control "$CTL" press "${PIN}K"); rc=$?
t_eq "press PIN and OK: exit 0" 0 "$rc"
t_eq "press prints the screen after the keys" "password: Joint password" "$(head -1 <<<"$out")"
grep -q "  qr: SIGCARD1:$ID:" <<<"$out" && t_ok "the password screen's QR payload is printed" ||
	t_fail "the password screen's QR payload is printed" "$out"
out=$("$CARD" ctl --control "$CTL" wait password --timeout 0); rc=$?
t_eq "wait for the screen shown now, --timeout 0: exit 0" 0 "$rc"

out=$("$CARD" ctl --control "$CTL" wait cancelled --timeout 1 2>&1); rc=$?
t_eq "a wait that times out: exit 1" 1 "$rc"
grep -q "wait: timeout (the screen is password)" <<<"$out" && t_ok "... saying so, and what is shown" ||
	t_fail "... saying so, and what is shown" "$out"
out=$("$CARD" ctl --control "$CTL" --json status); rc=$?
t_eq "status --json: exit 0, contact slot free, no contactless slot, no reader" "0 false false" \
	"$rc $(jq -r '"\(.contact) \(.contactless)"' <<<"$out")"

out=$("$CARD" ctl --control "$T_DIR/nobody.sock" screen 2>&1); rc=$?
t_eq "no card at the path: exit 1" 1 "$rc"
grep -q "nobody.sock: No such file or directory" <<<"$out" && t_ok "... naming the path" ||
	t_fail "... naming the path" "$out"
kill -TERM "$CARD_PID"; wait "$CARD_PID" 2>/dev/null
out=$("$CARD" ctl --control "$CTL" wait idle --timeout 1 2>&1); rc=$?
t_eq "wait for a card that never comes: exit 1 at the timeout" 1 "$rc"

# A card started with & from an interactive shell on a terminal: no window
# by default, and --tty refused, in both cases without being stopped.
cat >"$T_DIR/bg.py" <<'PY'
import os, pty, select, sys, time
d, script = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.chdir(d)
    os.environ["HISTFILE"] = ""     # a null HISTFILE: the shell saves no history
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i", "-c", script])
out = b""
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            out += os.read(fd, 65536)
        except OSError:
            pass
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
else:
    os.kill(pid, 9)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
out=$(python3 "$T_DIR/bg.py" "$T_DIR" "
\"$CARD\" -d --flash card.flash --control bg.sock 2>bg.log &
\"$CARD\" ctl --control bg.sock wait idle --timeout 20 >/dev/null
echo STATE=\$(cut -d' ' -f3 /proc/\$!/stat)
kill %1; wait %1; echo CARD-EXIT=\$?
\"$CARD\" --tty -d --flash card.flash --control bg2.sock 2>tty.log &
wait \$!; echo TTY-EXIT=\$?")
state=$(grep -o 'STATE=.' <<<"$out")
case "$state" in STATE=[SR]) t_ok "a card started with & runs (not stopped by the terminal)" ;;
*) t_fail "a card started with & runs (not stopped by the terminal)" "$state" "$out" ;; esac
t_eq "... and stops cleanly" "CARD-EXIT=0" "$(grep -o 'CARD-EXIT=[0-9]*' <<<"$out")"
grep -q "keys: 0-9" <<<"$out" && t_fail "... without drawing its window on the terminal" "$out" ||
	t_ok "... without drawing its window on the terminal"
t_eq "--tty in the background: refused, exit 1" "TTY-EXIT=1" "$(grep -o 'TTY-EXIT=[0-9]*' <<<"$out")"
grep -q "not this terminal's foreground job" "$T_DIR/tty.log" && t_ok "... saying why" ||
	t_fail "... saying why" "$(cat "$T_DIR/tty.log")"
t_done
