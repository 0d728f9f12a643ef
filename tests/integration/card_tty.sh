#!/usr/bin/env bash
# The card's own terminal window: sigcard-card on a pseudo-terminal draws
# the screen (text and the QR in half blocks) and takes the keypad from it:
# digits and Enter confirm a payment, Esc cancels one, arrow keys do
# nothing; on SIGTERM the terminal's settings come back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

SELECT=00A4040009F05349474341524401
ID=7777666655554444
PIN=8642
CT=$T_DIR/contact.sock CTL=$T_DIR/control.sock

card_personalise "$T_DIR/card.flash" $ID FRANK-1 "$(printf '44%.0s' $(seq 32))" $PIN "$T_DIR/enrol.json" || { t_fail personalise; t_done; exit 1; }
TX=$("$MKTX" enc 2500 978 FRANK-1 GINA-2 "Gina" T3 000102030405060708090a0b0c0d0e0f 1700000003)
LC=$(printf %02X $(( ${#TX} / 2 )))

# A python driver holds the pty: it starts the card, then obeys commands on
# a FIFO ("keys TEXT", "stop") and keeps everything the card draws in a file.
mkfifo "$T_DIR/cmd"
cat >"$T_DIR/drive_tty.py" <<'PY'
import os, pty, select, signal, sys, termios
card, d = sys.argv[1], sys.argv[2]
# The settings a new pseudo-terminal starts with, read from one of our own:
# read from the card's after the fork, they were the card's raw mode
# whenever the card ran first (under load), and "restored" compared raw
# with the cooked mode it had rightly restored.
m, s = pty.openpty()
before = termios.tcgetattr(s)
os.close(m); os.close(s)
pid, fd = pty.fork()
if pid == 0:
    os.execv(card, [card, "-d", "--tty", "--flash", d + "/card.flash",
                    "--contact", d + "/contact.sock", "--control", d + "/control.sock"])
out = open(d + "/screen.txt", "wb")
cmd = os.open(d + "/cmd", os.O_RDONLY | os.O_NONBLOCK)
while True:
    r, _, _ = select.select([fd, cmd], [], [], 0.05)
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:        # EIO: the card closed the terminal (it exited)
            data = b""
        if not data:
            _, status = os.waitpid(pid, 0)
            after = termios.tcgetattr(fd)
            open(d + "/restored", "w").write("yes\n" if after[3] == before[3] else "no\n")
            open(d + "/status", "w").write("%d\n" % os.waitstatus_to_exitcode(status))
            break
        out.write(data); out.flush()
    if cmd in r:
        line = os.read(cmd, 4096).decode()
        for c in line.splitlines():
            if c.startswith("keys "):
                os.write(fd, bytes(c[5:], "utf-8").decode("unicode_escape").encode("latin-1"))
            elif c == "raw?":
                raw = not (termios.tcgetattr(fd)[3] & termios.ICANON)
                open(d + "/raw", "w").write("raw\n" if raw else "cooked\n")
            elif c == "stop":
                os.kill(pid, signal.SIGTERM)
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        break
    if done:
        try:
            out.write(os.read(fd, 65536))
        except OSError:
            pass
        after = termios.tcgetattr(fd)
        open(d + "/restored", "w").write("yes\n" if after[3] == before[3] else "no\n")
        open(d + "/status", "w").write("%d\n" % os.waitstatus_to_exitcode(status))
        break
PY
sc_bg pty python3 "$T_DIR/drive_tty.py" "$CARD" "$T_DIR"
exec 9<>"$T_DIR/cmd"   # read-write: never blocks, even if the driver died
drive() { printf '%s\n' "$1" >&9; }

sc_wait_sock "$CTL" 10 || { t_fail "card starts on a pty" "$(cat "$T_DIR/pty.log")"; t_done; exit 1; }
sc_wait_for 5 grep -q "keys: 0-9" "$T_DIR/screen.txt" && t_ok "the window shows the screen and the keys" || t_fail "the window shows the screen"
drive "raw?"; sc_wait_for 5 test -s "$T_DIR/raw"
t_eq "the terminal is in raw mode" raw "$(cat "$T_DIR/raw")"

"$FC" "$CT" on $SELECT 802A0000${LC}${TX}00 off >/dev/null
ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}' >/dev/null
sc_wait_for 5 grep -q "Gina" "$T_DIR/screen.txt" && t_ok "the review is drawn in the window" || t_fail "the review is drawn in the window"
# The arrow key, then a digit: keys are taken in order, so once the digit
# shows, the arrow key has been read; had it been Cancel, the review (and
# the digit with it) would be gone.
drive 'keys \x1b[A'
drive 'keys 1'
pin_typed() { [ "$(screen_pin)" = "review PIN: *" ]; }
screen_pin() { ctl "$CTL" '{"cmd":"screen"}' | jq -r '"\(.screen.name) \(.screen.lines[4])"'; }
sc_wait_for 10 pin_typed
t_eq "an arrow key is not Cancel" "review PIN: *" "$(screen_pin)"
drive "keys \\x7f${PIN}\\r"
r=$(ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":3000}')
t_eq "digits + Enter typed in the window confirm" true "$(jq .ok <<<"$r")"
JP=$(jq -r '.screen.lines[0]' <<<"$r")
sc_wait_for 5 grep -q "$JP" "$T_DIR/screen.txt" && t_ok "the password is drawn in the window" || t_fail "the password is drawn in the window"
grep -q $'\xe2\x96\x80' "$T_DIR/screen.txt" && t_ok "the QR code is drawn in half blocks" || t_fail "the QR code is drawn in half blocks"
drive 'keys \r'

"$FC" "$CT" on $SELECT 802A0000${LC}${TX}00 off >/dev/null
ctl "$CTL" '{"cmd":"wait","screen":"review","timeout_ms":3000}' >/dev/null
drive 'keys 12\x7f\x1b'
r=$(ctl "$CTL" '{"cmd":"wait","screen":"cancelled","timeout_ms":3000}')
t_eq "Esc typed in the window cancels" true "$(jq .ok <<<"$r")"

drive stop
sc_wait_for 10 test -s "$T_DIR/status"
t_eq "SIGTERM: exit status 0" 0 "$(cat "$T_DIR/status" 2>/dev/null)"
t_eq "SIGTERM: the terminal's settings are restored" yes "$(cat "$T_DIR/restored" 2>/dev/null)"
exec 9>&-
t_done
