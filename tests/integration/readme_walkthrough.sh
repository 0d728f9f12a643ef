#!/usr/bin/env bash
# README.md's "A payment by hand", run as a newcomer runs it: the shell
# blocks between <!-- walkthrough --> and <!-- /walkthrough -->, exactly as
# written, in an interactive bash on a pseudo-terminal (so standard input
# is a terminal and `&` makes background jobs, as in a terminal window), in
# an empty folder, with only PATH and the free HTTP port PORT given. Then
# the outcome: the payment's receipt, the balances the walk-through shows,
# and that no process of the session was ever stopped by the terminal
# (SIGTTOU/SIGTTIN: a card started with & that took the terminal).
. "$(dirname "$0")/lib.sh"

README=$SC_TOP/README.md
W=$T_DIR/walk
mkdir -p "$W"

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
# first failing line ends it), everything the shell and its jobs write
# goes to a file, and while it runs the session's processes are watched
# for one stopped by job control (state T). At the end (or at the time
# limit) every process left in the session is stopped.
cat >"$T_DIR/drive.py" <<'PY'
import os, pty, select, signal, sys, time
walk, d, log_path, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
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

log = open(log_path, "wb")
stopped = {}
status = None
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        log.write(data); log.flush()
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
    print("timeout")
else:
    print("exit %d" % status)
for p, cmd in stopped.items():
    print("stopped %d %s" % (p, cmd))
PY

PORT=$(sc_free_port)
PATH="$SC_BIN:$PATH" PORT=$PORT python3 "$T_DIR/drive.py" "$T_DIR/walkthrough.sh" "$W" \
	"$T_DIR/walk.log" 180 >"$T_DIR/drive.out"
# The log as text: no carriage returns, no terminal escapes.
sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$T_DIR/walk.log" >"$T_DIR/walk.txt"

t_eq "the walk-through runs to its end in an interactive shell" "exit 0" \
	"$(head -1 "$T_DIR/drive.out")" || true
[ "$(head -1 "$T_DIR/drive.out")" = "exit 0" ] ||
	printf '%s\n' "$(tail -25 "$T_DIR/walk.txt")" "$(tail -5 "$W"/card.log "$W"/server.log 2>/dev/null)" | sed 's/^/# /'
if grep -q '^stopped' "$T_DIR/drive.out"; then
	t_fail "no background job is stopped by the terminal (SIGTTOU/SIGTTIN)" \
		"$(grep '^stopped' "$T_DIR/drive.out")"
else
	t_ok "no background job is stopped by the terminal (SIGTTOU/SIGTTIN)"
fi
grep -q '^WALKTHROUGH-DONE' "$T_DIR/walk.txt" && t_ok "every line ran (set -e)" ||
	t_fail "every line ran (set -e)"
receipt() { sed -n "s/^$1: //p" "$W/receipt.txt" 2>/dev/null; }
t_eq "the receipt: paid 12.34 EUR from ALICE to SHOP, verified" "OK|12.34 EUR|ALICE|SHOP|verified" \
	"$(receipt result)|$(receipt amount)|$(receipt payer)|$(receipt payee)|$(receipt receipt | cut -d' ' -f1)"
grep -q '"id":"ALICE"' "$T_DIR/walk.txt" && grep -q '"text":"87.66 EUR"' "$T_DIR/walk.txt" &&
	t_ok "the walk-through shows ALICE's balance: 87.66 EUR" ||
	t_fail "the walk-through shows ALICE's balance: 87.66 EUR" "$(grep ALICE "$T_DIR/walk.txt")"
grep -q '"id":"SHOP"' "$T_DIR/walk.txt" && grep -q '"text":"12.34 EUR"' "$T_DIR/walk.txt" &&
	t_ok "the walk-through shows SHOP's balance: 12.34 EUR" ||
	t_fail "the walk-through shows SHOP's balance: 12.34 EUR" "$(grep SHOP "$T_DIR/walk.txt")"
grep -q "stopping" "$W/card.log" 2>/dev/null && grep -q "stopped cleanly" "$W/server.log" 2>/dev/null &&
	t_ok "the last line stops the card and the server cleanly" ||
	t_fail "the last line stops the card and the server cleanly"
t_done
