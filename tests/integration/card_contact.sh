#!/usr/bin/env bash
# sigcard-card on its contact and contactless sockets: options and bad
# paths, ATR, SELECT, unknown AID, personalise + GET DATA, a malformed frame
# dropping only its peer, one reader per slot, two emulators on one flash,
# and a clean SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

AID=F05349474341524401
SELECT=00A4040009${AID}

# --- options and paths ---
out=$("$CARD" --help); rc=$?
t_eq "--help exits 0" 0 "$rc"
case "$out" in *"--seed"*"TESTS ONLY"*) t_ok "--help says --seed is for tests only" ;;
	*) t_fail "--help says --seed is for tests only" "$out" ;; esac
t_check "--version" bash -c "'$CARD' --version | grep -q '^sigcard-card '"
"$CARD" --bogus >/dev/null 2>&1; t_eq "bad option exits 2" 2 $?
"$CARD" --contact "$T_DIR/x.sock" >/dev/null 2>&1; t_eq "no --flash exits 2" 2 $?
err=$("$CARD" -d --flash "$T_DIR/no/such/dir/card.flash" --contact "$T_DIR/x.sock" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"no/such/dir"* ]]; then t_ok "unusable flash path: clear error"; else t_fail "unusable flash path: clear error" "rc=$rc" "$err"; fi
head -c 100 /dev/zero >"$T_DIR/bad.flash"
err=$("$CARD" -d --flash "$T_DIR/bad.flash" --contact "$T_DIR/x.sock" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"wrong size"* ]]; then t_ok "wrong-size image refused"; else t_fail "wrong-size image refused" "rc=$rc" "$err"; fi
printf '00112233445566778899aabbccddeeff\n' >"$T_DIR/tk"; chmod 644 "$T_DIR/tk"
err=$("$CARD" -d --flash "$T_DIR/tk.flash" --transport-key-file "$T_DIR/tk" --contact "$T_DIR/x.sock" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"group or others"* ]] && [ ! -e "$T_DIR/tk.flash" ]; then t_ok "group-readable transport key refused, no image made"; else t_fail "group-readable transport key refused" "rc=$rc" "$err"; fi
mkdir "$T_DIR/notsock"
err=$("$CARD" -d --flash "$T_DIR/ns.flash" --contact "$T_DIR/notsock" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"not a socket"* ]]; then t_ok "contact path that is not a socket refused"; else t_fail "contact path that is not a socket refused" "rc=$rc" "$err"; fi
"$CARD" -d --flash "$T_DIR/v.flash" --vpcd=nohost:99999 >/dev/null 2>&1; t_eq "bad --vpcd address is a usage error: exit 2" 2 $?
t_check "... found before a card is made" test ! -e "$T_DIR/v.flash"

# --- a personalised card on its sockets ---
KC=$(printf '5a%.0s' $(seq 32))
card_personalise "$T_DIR/card.flash" 0011223344556677 ALICE-1 "$KC" 73914862 "$T_DIR/enrol.json"
t_eq "personalise exits 0" 0 $?
t_eq "enrolment record card id" 0011223344556677 "$(jq -r .card_id "$T_DIR/enrol.json")"
PUB=$(jq -r .public_key "$T_DIR/enrol.json")
t_eq "enrolment record: a SEC1 uncompressed key" "130 04" "${#PUB} ${PUB:0:2}"
if grep -q 73914862 "$T_DIR/perso-0011223344556677.log" "$T_DIR/enrol.json"; then t_fail "the PIN appears in no output"; else t_ok "the PIN appears in no output"; fi
card_personalise "$T_DIR/card.flash" 0011223344556677 ALICE-1 "$KC" 73914862 "$T_DIR/enrol2.json"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "already issued" "$T_DIR/perso-0011223344556677.log"; then t_ok "second personalise refused"; else t_fail "second personalise refused" "rc=$rc"; fi

CT=$T_DIR/contact.sock CL=$T_DIR/contactless.sock CTL=$T_DIR/control.sock
card_start card --flash "$T_DIR/card.flash" --contact "$CT" --contactless "$CL" --control "$CTL" --png "$T_DIR/screen.png"
t_eq "sockets are 0600" "600 600 600" "$(stat -c %a "$CT" "$CL" "$CTL" | tr '\n' ' ' | sed 's/ $//')"
t_check "a PNG of the screen exists at start" test -s "$T_DIR/screen.png"

atr=$("$FC" "$CT" on atr)
t_eq "ATR starts with 3B" 3B "${atr:0:2}"
r=($("$FC" "$CT" on $SELECT 00A4040005A000000001 00CADF2000 00CADF2100))
t_eq "SELECT the applet" 9000 "$(sw "${r[0]}")"
t_eq "unknown AID gets 6A82" 6A82 "${r[1]}"
t_eq "GET DATA card id" 00112233445566779000 "${r[2]}"
t_eq "GET DATA public key = enrolment record" "${PUB^^}9000" "${r[3]}"
r=$("$FC" "$CL" on $SELECT)
t_eq "contactless slot answers SELECT" 9000 "$(sw "$r")"
r=$("$FC" "$CT" 00A40400)
t_eq "APDU before power on powers the card (documented)" 6700 "$(sw "$r")"

# --- bad peers ---
# A malformed frame is answered 6700 and the stream goes on (PROTOCOL.md §1).
t_eq "unknown control code: answered 6700, the next frame served" "6700 9000" "$(echo $("$FC" "$CT" on body:03 $SELECT))"
t_eq "zero-length frame: answered 6700, the next frame served" "6700 9000" "$(echo $("$FC" "$CT" on empty $SELECT))"
r=$("$FC" "$CT" on $SELECT)
t_eq "the card still serves after bad peers" 9000 "$(sw "$r")"
one_reader_at_a_time "$CT" $SELECT
grep -q "already connected" "$T_DIR/card.log" && t_ok "refusal is logged" || t_fail "refusal is logged"

# --- one flash, one emulator ---
err=$("$CARD" -d --no-tty --flash "$T_DIR/card.flash" --contact "$T_DIR/other.sock" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"in use"* ]]; then t_ok "second emulator on the same flash refused"; else t_fail "second emulator on the same flash refused" "rc=$rc" "$err"; fi
err=$("$CARD" -d --no-tty --flash "$T_DIR/x.flash" --contact "$CT" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"listening"* ]]; then t_ok "a live socket path is not stolen"; else t_fail "a live socket path is not stolen" "rc=$rc" "$err"; fi

# --- control socket basics ---
r=$(ctl "$CTL" '{"cmd":"screen","id":7}')
t_eq "control: screen" "true idle 7" "$(jq -r '"\(.ok) \(.screen.name) \(.id)"' <<<"$r")"
r=$(ctl "$CTL" '{"cmd":"nope"}')
t_eq "control: unknown cmd is an error" "false" "$(jq -r .ok <<<"$r")"
r=$(ctl "$CTL" 'not json')
t_eq "control: bad JSON answered with an error" "false" "$(jq -r .ok <<<"$r")"
r=$(ctl "$CTL" '{"cmd":"press","keys":"12X"}')
t_eq "control: unknown key refused" "false" "$(jq -r .ok <<<"$r")"
r=$(ctl "$CTL" '{"cmd":"wait","screen":"password","timeout_ms":200}')
t_eq "control: wait times out" "false timeout" "$(jq -r '"\(.ok) \(.error)"' <<<"$r")"
r=$(ctl "$CTL" '{"cmd":"status"}')
t_eq "control: status" "true" "$(jq -r .ok <<<"$r")"
# A bad client is dropped while another, mid-wait, is still served.
r=$(python3 - "$CTL" <<'PY'
import json, socket, sys, time
good = socket.socket(socket.AF_UNIX); good.connect(sys.argv[1]); good.settimeout(5)
bad = socket.socket(socket.AF_UNIX); bad.connect(sys.argv[1]); bad.settimeout(5)
good.sendall(b'{"cmd":"wait","screen":"password","timeout_ms":1500,"id":"g1"}\n')
bad.sendall(b'{"cmd":\n')
err = bad.recv(4096)
closed = bad.recv(4096) == b""
first = json.loads(good.recv(4096))
good.sendall(b'{"cmd":"screen","id":"g2"}\n')
second = json.loads(good.recv(4096))
print(json.loads(err)["ok"], closed, first["id"], first["error"], second["id"], second["ok"])
PY
)
t_eq "control: bad client dropped, the waiting one still served" "False True g1 timeout g2 True" "$r"

# --- clean stop ---
kill -TERM "$CARD_PID"
for _ in $(seq 40); do kill -0 "$CARD_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$CARD_PID" 2>/dev/null; then t_fail "SIGTERM stops the card"; else
	wait "$CARD_PID"; t_eq "SIGTERM stops the card with status 0" 0 $?; fi
t_check "sockets removed at stop" bash -c "! test -e '$CT' && ! test -e '$CTL'"
# Without -d (and no terminal window) the card detaches once its sockets
# are open: the command returns 0 and the card serves on.
"$CARD" --no-tty --flash "$T_DIR/card.flash" --contact "$CT" >"$T_DIR/bg.out" 2>&1 </dev/null
rc=$?
t_eq "without -d: the command returns 0" 0 "$rc"
bgpid=$(python3 - "$T_DIR/card.flash" <<'PY'
import os, sys
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            args = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
        except OSError:
            continue
        if sys.argv[1].encode() in args and b"--no-tty" in args:
            print(p)
PY
)
if [ -n "$bgpid" ]; then T_PIDS+=("$bgpid"); fi
r=$("$FC" "$CT" on $SELECT)
t_eq "the detached card serves its socket" 9000 "$(sw "$r")"
t_eq "the detached card logs nothing to the terminal" "" "$(grep -v WARNING "$T_DIR/bg.out")"
kill -TERM $bgpid 2>/dev/null
sc_wait_for 5 bash -c "! test -e '$CT'" && t_ok "the detached card stops on SIGTERM" || t_fail "the detached card stops on SIGTERM"
card_start card2 --flash "$T_DIR/card.flash" --contact "$CT"
r=$("$FC" "$CT" on $SELECT 00CADF2000)
t_eq "restarted card keeps its data" 00112233445566779000 "$(echo "$r" | tail -1)"
t_done
