#!/usr/bin/env bash
# README.md's "A payment by hand", run as a newcomer runs it: the shell
# blocks between <!-- walkthrough --> and <!-- /walkthrough -->, exactly as
# written, in an interactive bash on a pseudo-terminal (so standard input
# is a terminal and `&` makes background jobs, as in a terminal window), in
# an empty folder, with only PATH and the free HTTP port PORT given. Then
# the outcomes the README claims, payment by payment: the receipts, the
# balances it shows, the decline's words and exit status, the card's void
# screens after Cancel and three wrong PINs and the terminal stopping on
# them, the PIN unblock; and that no process of the session was ever
# stopped by the terminal (SIGTTOU/SIGTTIN: a card started with & that
# took the terminal).
. "$(dirname "$0")/lib.sh"

README=$SC_TOP/README.md

# The fenced blocks between the markers, and nothing else.
awk '/^<!-- walkthrough -->$/ { on = 1; next }
     /^<!-- \/walkthrough -->$/ { on = 0 }
     on && /^```/ { fence = !fence; next }
     on && fence { print }' "$README" >"$T_DIR/walkthrough.sh"
if [ -s "$T_DIR/walkthrough.sh" ] && grep -q "sigcard-terminal pay" "$T_DIR/walkthrough.sh"; then
	t_ok "the walk-through is in README.md between its markers ($(wc -l <"$T_DIR/walkthrough.sh") lines)"
else
	t_fail "the walk-through is in README.md between its markers"; t_done; exit 1
fi
grep -Eq '(^|[^a-z])sleep ' "$T_DIR/walkthrough.sh" &&
	t_fail "the walk-through waits for events, never with sleep" "$(grep -n sleep "$T_DIR/walkthrough.sh")" ||
	t_ok "the walk-through waits for events, never with sleep"

# The driver holds the pty: bash -i runs the walk-through with set -e (the
# first failing line ends it) in a new folder under its second argument
# (it prints "folder PATH"), everything the shell and its jobs write goes
# to the transcript, and while it runs the session's processes are watched
# for one stopped by job control (state T). The logs the walk-through's
# daemons write in their folder (*.log) go to the driver's standard output
# line by line as "NAME.log: LINE", so that sc_listen sees the server's
# "serving" or "Address already in use". At the end (or at the time limit,
# or on SIGTERM: sc_listen stopping a run whose port was taken) every
# process left in the session is stopped; the result goes to a file.
cat >"$T_DIR/drive.py" <<'PY'
import glob, os, pty, select, signal, sys, tempfile, time
walk, parent, log_path, result_path = sys.argv[1:5]
limit = float(sys.argv[5])
d = tempfile.mkdtemp(prefix="walk.", dir=parent)
print("folder " + d, flush=True)
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
pid, fd = pty.fork()
if pid == 0:
    os.chdir(d)
    os.environ["HISTFILE"] = ""     # a null HISTFILE: the shell saves no history
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i", "-c",
                       "set -e; . " + walk + "; echo WALKTHROUGH-DONE"])

def session():
    """(pid, state, command) of every process in the child's session."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            stat = open("/proc/%s/stat" % p).read()
            cmd = open("/proc/%s/cmdline" % p, "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == pid:          # field 6: session id
            out.append((int(p), fields[0], cmd.strip()))
    return out

offsets = {}
def forward_logs():
    """The new complete lines of the folder's *.log files, to stdout."""
    for path in sorted(glob.glob(os.path.join(d, "*.log"))):
        try:
            with open(path, "rb") as f:
                f.seek(offsets.get(path, 0))
                data = f.read()
        except OSError:
            continue
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            print("%s: %s" % (os.path.basename(path), line.decode(errors="replace")))
        offsets[path] = offsets.get(path, 0) + end
    sys.stdout.flush()

log = open(log_path, "wb")
stopped = {}
status = None
deadline = time.monotonic() + limit
while time.monotonic() < deadline and not stop:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        log.write(data); log.flush()
    forward_logs()
    for p, state, cmd in session():
        if state == "T" and p not in stopped:
            stopped[p] = cmd
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        while select.select([fd], [], [], 0.2)[0]:   # what it wrote last
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            log.write(data)
        log.flush()
        break
for p, _, _ in session():
    try:
        os.kill(p, signal.SIGCONT)
        os.kill(p, signal.SIGTERM)
    except OSError:
        pass
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
# The session's daemons are not the driver's children: their end is seen
# in /proc, and the driver ends after them.
gone = time.monotonic() + 10
while session() and time.monotonic() < gone:
    time.sleep(0.05)
for p, _, _ in session():
    try:
        os.kill(p, signal.SIGKILL)
    except OSError:
        pass
forward_logs()
with open(result_path, "w") as out:
    out.write("exit %d\n" % status if status is not None else
              "stopped by SIGTERM\n" if stop else "timeout\n")
    for p, cmd in stopped.items():
        out.write("stopped %d %s\n" % (p, cmd))
PY

# The walk-through's server takes its HTTP port from PORT: sc_listen gives
# the driver a free one, and runs the whole walk-through again, in a new
# folder, on another if the server finds it taken ("Address already in
# use"). Ready: the server serves. Whether the walk-through then ran is
# what the checks below look at (a start slower than sc_listen's wait only
# means no retry), so sc_listen's answer is not a check of its own.
sc_listen drive '^server\.log: .*serving: submissions on' env PATH="$SC_BIN:$PATH" PORT=@PORT \
	python3 "$T_DIR/drive.py" "$T_DIR/walkthrough.sh" "$T_DIR" "$T_DIR/walk.log" "$T_DIR/drive.out" 180 ||
	true
wait "$SC_LAST_PID"
W=$(sed -n 's/^folder //p' "$T_DIR/drive.log" | tail -1)
# The transcript as text: no carriage returns, no terminal escapes.
sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$T_DIR/walk.log" >"$T_DIR/walk.txt"

result=$(head -1 "$T_DIR/drive.out" 2>/dev/null)
t_eq "the walk-through runs to its end in an interactive shell" "exit 0" "$result" ||
	printf '%s\n' "$(tail -25 "$T_DIR/walk.txt")" "$(tail -5 "$W"/card.log "$W"/server.log 2>/dev/null)" | sed 's/^/# /'
if grep -q '^stopped [0-9]' "$T_DIR/drive.out" 2>/dev/null; then
	t_fail "no background job is stopped by the terminal (SIGTTOU/SIGTTIN)" \
		"$(grep '^stopped [0-9]' "$T_DIR/drive.out")"
else
	t_ok "no background job is stopped by the terminal (SIGTTOU/SIGTTIN)"
fi
grep -q '^WALKTHROUGH-DONE' "$T_DIR/walk.txt" && t_ok "every line ran (set -e)" ||
	t_fail "every line ran (set -e)"
CARD=$(jq -r .card_id "$W/perso.json" 2>/dev/null)

# What each payment printed, told apart by the card's counter: from the
# terminal's "card signed (..., ATC N)" up to the next payment's.
atc_part() {
	awk -v n="$1" '/^sigcard-terminal: card signed \(.*, ATC [0-9]+\)/ {
		match($0, /ATC [0-9]+/); at = substr($0, RSTART + 4, RLENGTH - 4) + 0 }
		at == n' "$T_DIR/walk.txt"
}
# shows NAME ATC LINE...: the part of payment ATC holds every LINE (fixed
# strings).
shows() {
	local name=$1 part l missing=()
	part=$(atc_part "$2"); shift 2
	for l in "$@"; do grep -qF -- "$l" <<<"$part" || missing+=("missing: $l"); done
	if [ ${#missing[@]} -eq 0 ]; then t_ok "$name"; else t_fail "$name" "${missing[@]}" "$part"; fi
}
# balances ATC: the balances the part of payment ATC shows, as "ID AMOUNT"
# joined by "|", from the HTTP API's JSON and from `account show`.
balances() {
	atc_part "$1" | python3 -c '
import json, re, sys
acct, out = None, []
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("{\"balance\""):
        j = json.loads(line)
        out.append("%s %s" % (j["id"], j["balance"]["text"]))
    m = re.match(r"account +(\S+)$", line)
    if m:
        acct = m.group(1)
    m = re.match(r"balance +(.+)$", line)
    if m and acct:
        out.append("%s %s" % (acct, m.group(1)))
        acct = None
print("|".join(out))'
}
# receipt FILE FIELD...: the fields of a receipt the walk-through saved, joined by "|".
receipt() {
	local file=$W/$1 f out=(); shift
	for f in "$@"; do out+=("$(sed -n "s/^$f: //p" "$file" 2>/dev/null)"); done
	(IFS='|'; echo "${out[*]}")
}

# The payment.
t_eq "the receipt: paid 12.34 EUR from ALICE to SHOP, verified" "OK|12.34 EUR|ALICE|SHOP|1|verified" \
	"$(receipt receipt.txt result amount payer payee atc | sed 's/$/|/')$(receipt receipt.txt receipt | cut -d' ' -f1)"
t_eq "then the HTTP API shows ALICE 87.66 EUR, SHOP 12.34 EUR" "ALICE 87.66 EUR|SHOP 12.34 EUR" "$(balances 1)"

# The decline: confirmed on the card, declined by the server with a sealed
# receipt, in words, exit 8; nothing moved.
shows "the decline: INSUFFICIENT_FUNDS in words, its sealed receipt verified, exit status 8" 2 \
	"sigcard-terminal: declined; the decline's receipt verified" \
	"server-refused: INSUFFICIENT_FUNDS: the payer's balance does not cover the amount (amount 100.00 EUR is above the balance)" \
	"declined: exit status 8"
t_eq "after the decline account show says ALICE 87.66 EUR, SHOP 12.34 EUR: nothing moved" \
	"ALICE 87.66 EUR|SHOP 12.34 EUR" "$(balances 2)"

# Cancel: the card's void screen and QR code, and the terminal stops on it.
shows "Cancel: the card shows the payment void, with its void QR code" 3 \
	"cancelled: Cancelled" "  Payment void" "  qr: SIGVOID1:$CARD:3:cancelled"
shows "Cancel: the terminal reads the void QR code and stops, exit status 6" 3 \
	"sigcard-terminal: cancelled: the card voided ATC 3 (cancelled): the holder cancelled on the card" \
	"cancelled: exit status 6"

# Three wrong PINs, the issuer's unblock, and a payment with the PIN.
shows "wrong PINs: the card counts the tries down, then blocks the PIN, with its void QR code" 4 \
	"  2 tries left" "  1 try left" "pin_blocked: PIN blocked" "  qr: SIGVOID1:$CARD:4:pin-blocked"
shows "PIN blocked: the terminal stops, exit status 6" 4 \
	"sigcard-terminal: cancelled: the card voided ATC 4 (pin-blocked)" "PIN blocked: exit status 6"
shows "the issuer approves the unblock, the terminal delivers it, the card answers 9000 with 3 tries" 4 \
	"card $CARD: PIN unblock approved" "card: $CARD" "pin tries before: 0" "card answer: 9000" "pin tries: 3"
t_eq "after the unblock the PIN pays again: 5.00 EUR, counter 5, verified" "OK|5.00 EUR|ALICE|SHOP|5|verified" \
	"$(receipt receipt2.txt result amount payer payee atc | sed 's/$/|/')$(receipt receipt2.txt receipt | cut -d' ' -f1)"
t_eq "at the end the HTTP API shows ALICE 82.66 EUR, SHOP 17.34 EUR" "ALICE 82.66 EUR|SHOP 17.34 EUR" "$(balances 5)"
grep -q "stopping" "$W/card.log" 2>/dev/null && grep -q "stopped cleanly" "$W/server.log" 2>/dev/null &&
	t_ok "the last line stops the card and the server cleanly" ||
	t_fail "the last line stops the card and the server cleanly"
t_done
