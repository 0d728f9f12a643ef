#!/usr/bin/env bash
# The card's terminal window under job control, as a person at an
# interactive shell does it: the card runs in the foreground with its
# window, is suspended with ^Z and continued with bg, a key is typed while
# another job has the terminal (the card must not read it: a background
# read would stop it with SIGTTIN), then fg brings the window back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

CTL=$T_DIR/control.sock
card_personalise "$T_DIR/card.flash" 9988776655443322 JOBS-1 "$(printf '66%.0s' $(seq 32))" 1357 \
	"$T_DIR/enrol.json" || { t_fail personalise; t_done; exit 1; }

# The driver types into an interactive bash on a pty and waits for what
# the shell and the card write; each step is reported on stdout.
cat >"$T_DIR/jobs.py" <<'PY'
import os, pty, select, signal, subprocess, sys, time
card, d = sys.argv[1], sys.argv[2]
ctl = d + "/control.sock"
pid, fd = pty.fork()
if pid == 0:
    os.chdir(d)
    os.environ["HISTFILE"] = ""     # a null HISTFILE: the shell saves no history
    os.environ["PS1"] = "jobs-prompt$ "  # a prompt the driver waits for
    # A person's shell starts with ^C and ^\ at their defaults; a test run
    # in the background of a script inherits them ignored, and the shell
    # passes an ignored SIGINT on to its jobs: ^C would not end the sleep.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
out = b""
def expect(what, after, limit=60):
    global out
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if out.find(what, after) >= 0:
            return True
        if select.select([fd], [], [], 0.05)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                return False
    return False
def say(step, ok):
    print("%s %s" % (step, "yes" if ok else "no"), flush=True)
def card_state():
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                cmd = open("/proc/%s/cmdline" % p, "rb").read()
                stat = open("/proc/%s/stat" % p).read()
            except OSError:
                continue
            if cmd.startswith(card.encode()) and b"--tty" in cmd:
                return int(p), stat[stat.rindex(")") + 2:].split()[0]
    return None, "gone"
def sleeping():
    """The sleep is the terminal's foreground job."""
    fg = os.tcgetpgrp(fd)
    try:
        return open("/proc/%d/cmdline" % fg, "rb").read() == b"sleep\0" + b"600\0"
    except OSError:
        return False
def ctl_ok():
    return subprocess.run([card, "ctl", "--control", ctl, "status"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=30).returncode == 0
os.write(fd, (card + " --tty -d --flash card.flash --control control.sock 2>card.log\n").encode())
say("window", expect(b"keys: 0-9", 0))
mark = len(out)
os.write(fd, b"\x1a")                                   # ^Z
say("suspended", expect(b"Stopped", mark))
mark = len(out)
os.write(fd, b"bg\n")
say("running in the background", ctl_ok())
os.write(fd, b"sleep 600\n")                            # a foreground job that reads nothing
deadline = time.monotonic() + 20
while not sleeping() and time.monotonic() < deadline:
    select.select([fd], [], [], 0.05)
os.write(fd, b"5\n")                                    # a line the card must leave alone
ok = ctl_ok() and ctl_ok()                              # two turns of its loop since the key
p, state = card_state()
say("not stopped by the typed key (state %s)" % state, ok and state in ("S", "R"))
mark = len(out)
os.write(fd, b"\x03")                                   # ^C: the sleep ends
# fg only once the shell prompts again: the ^C flushes the terminal's
# input when the line discipline gets to it, and the shell reads a line
# only once it has reaped the sleep; under load a "fg" typed as soon as the
# sleep was gone (not yet reaped) never reached the shell.
expect(b"jobs-prompt$ ", mark, 60)
os.write(fd, b"fg\n")
say("redrawn in the foreground", expect(b"keys: 0-9", mark))
p, state = card_state()
if p:
    os.kill(p, signal.SIGCONT)
    os.kill(p, signal.SIGTERM)
deadline = time.monotonic() + 20
while card_state()[0] and time.monotonic() < deadline:
    if select.select([fd], [], [], 0.05)[0]:
        try:
            out += os.read(fd, 65536)
        except OSError:
            break
os.write(fd, b"exit\n")
deadline = time.monotonic() + 5
while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG)[0] == 0:
    if select.select([fd], [], [], 0.05)[0]:
        try:
            out += os.read(fd, 65536)
        except OSError:
            break
try:
    os.kill(pid, signal.SIGKILL)
except OSError:
    pass
open(d + "/pty.txt", "wb").write(out)
PY
# The card's pid is found by its command line (--tty); it is stopped by the driver.
python3 "$T_DIR/jobs.py" "$CARD" "$T_DIR" >"$T_DIR/steps" 2>"$T_DIR/jobs.err"
step() {
	if grep -q "^$1.* yes$" "$T_DIR/steps"; then t_ok "$2"
	else t_fail "$2" "$(cat "$T_DIR/steps" "$T_DIR/jobs.err")" "$(tail -c 600 "$T_DIR/pty.txt" 2>/dev/null | tr -d '\033')"; fi
}
step window "the card in the foreground draws its window"
step suspended "^Z suspends it"
step "running in the background" "bg: it serves again, in the background"
step "not stopped" "a key typed while another job has the terminal does not stop it"
step "redrawn" "fg: the window is drawn again"
t_done
