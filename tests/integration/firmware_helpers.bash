# Helpers for the firmware's integration scripts (firmware_*.sh), sourced
# after lib.sh and card_helpers.bash: the card image runs in QEMU
# (scripts/run-firmware.sh) and is reached through the same frameclient as
# the host emulator; its screen and keypad are on the UI socket (UART1).
# Not a test itself (the runner only runs *.sh).
FW_ELF=$SC_TOP/build/firmware/sigcard-card.elf
FW_RUN=$SC_TOP/scripts/run-firmware.sh
# The well-known test transport key, "SIGCARD-TEST-TK1".
FW_TK=534947434152442D544553542D544B31

# fw_require: skips the whole script (one t_skip) where the machine cannot
# run the firmware.
fw_require() {
	local why=
	command -v qemu-system-arm >/dev/null || why="qemu-system-arm is not installed"
	[ -f "$FW_ELF" ] || why="no firmware image (make firmware needs gcc-arm-none-eabi)"
	if [ -n "$why" ]; then
		t_skip "firmware in QEMU" "$why"
		t_done
		exit 0
	fi
}

# fw_issuer: an issuer in $T_DIR/srv (d) with ALICE-1 (100.00 EUR) and
# SHOP-1, one card prepared for ALICE-1 (perso.json, CARD_ID) and the
# receipt key in receipt.key; the admin commands' output in admin.log.
fw_issuer() {
	d=$T_DIR/srv
	mkdir -p "$d"
	{ "$SRV" -D "$d" init &&
	  "$SRV" -D "$d" account create ALICE-1 --currency EUR --balance 100.00 &&
	  "$SRV" -D "$d" account create SHOP-1 --currency EUR &&
	  "$SRV" -D "$d" card prepare --account ALICE-1 --out "$T_DIR/perso.json" &&
	  "$SRV" -D "$d" key show >"$T_DIR/receipt.key"; } >"$T_DIR/admin.log" 2>&1 &&
	CARD_ID=$(jq -r .card_id "$T_DIR/perso.json")
}

# fw_start NAME FLASH [run-firmware options]: the board in QEMU with its
# contact socket at $T_DIR/NAME.ct, contactless at NAME.cl and the UI at
# NAME.ui, which a reader process passes through `sigcard-card screen-png`
# into $T_DIR/NAME.ui.log (keys go in through fw_keys): the board's screen
# is drawn into $T_DIR/NAME.png, the emulator's PNG, before its screen
# event reaches the log. Sets FW_PID, FW_CT, FW_CL, FW_UI_LOG, FW_PNG.
# With FW_PN532 set to a serial port (pn532sim's card side), UART2 drives
# the PN532 there instead, and there is no NAME.cl.
fw_start() {
	local name=$1 flash=$2 uart2; shift 2
	FW_CT=$T_DIR/$name.ct FW_CL=$T_DIR/$name.cl
	FW_UI=$T_DIR/$name.ui FW_UI_LOG=$T_DIR/$name.ui.log FW_UI_IN=$T_DIR/$name.ui.in
	FW_PNG=$T_DIR/$name.png
	rm -f "$FW_UI_LOG" "$FW_UI_IN" "$FW_PNG"; : >"$FW_UI_LOG"; mkfifo "$FW_UI_IN"
	FW_MARK=0 FW_UI_PID=
	# This shell holds the key FIFO open too, so writing to it never blocks
	# even once the board (and its UI reader) has stopped.
	[ -n "${FW_UI_FD:-}" ] && exec {FW_UI_FD}>&-
	exec {FW_UI_FD}<>"$FW_UI_IN"
	uart2=(--contactless "$FW_CL")
	[ -z "${FW_PN532:-}" ] || uart2=(--pn532 "$FW_PN532")
	sc_bg "$name" "$FW_RUN" --flash "$flash" --contact "$FW_CT" "${uart2[@]}" \
		--ui "$FW_UI" --ui-wait "$@"
	FW_PID=$SC_LAST_PID
	sc_wait_sock "$FW_UI" 10 || return 1
	# (A background job's stdin is /dev/null: the script goes in a file.)
	cat >"$T_DIR/ui-reader.py" <<'PY'
import os, select, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
log = open(sys.argv[2], "ab", buffering=0)
keys = os.open(sys.argv[3], os.O_RDWR | os.O_NONBLOCK)
# The C renderer draws; this only relays bytes.
png = subprocess.Popen([sys.argv[4], "screen-png", "--png", sys.argv[5]],
                       stdin=subprocess.PIPE, stdout=log)
while True:
    r, _, _ = select.select([s, keys], [], [])
    if s in r:
        d = s.recv(4096)
        if not d:
            break
        png.stdin.write(d)
        png.stdin.flush()
    if keys in r:
        s.sendall(os.read(keys, 4096))
png.stdin.close()
sys.exit(png.wait())
PY
	sc_bg "$name-ui" python3 "$T_DIR/ui-reader.py" "$FW_UI" "$FW_UI_LOG" "$FW_UI_IN" \
		"$SC_BIN/sigcard-card" "$FW_PNG"
	FW_UI_PID=$SC_LAST_PID
	# The board boots, or an injected cut (--cut-at-boot) stops it first.
	FW_BOOT=$(fw_wait_json '.event == "boot" or .event == "power_lost"' 20) || return 1
	[ "$(jq -r .event <<<"$FW_BOOT")" = power_lost ] && return 0
	sc_wait_sock "$FW_CT" 10 && { [ -n "${FW_PN532:-}" ] || sc_wait_sock "$FW_CL" 10; }
}

# fw_entropy_log FLASH: "N SEQ": the valid records of the board's entropy
# log (card/board/common/entropy.c) and the newest one's sequence number.
fw_entropy_log() {
	python3 - "$1" <<'PY'
import hashlib, sys
img = open(sys.argv[1], "rb").read()
seqs = []
for page in (9, 10):
    for slot in range(32):
        r = img[page * 2048 + slot * 64:page * 2048 + slot * 64 + 48]
        if r[:4] == b"SCE1" and hashlib.sha256(r[:40]).digest()[:8] == r[40:48]:
            seqs.append(int.from_bytes(r[4:8], "big"))
print(len(seqs), max(seqs) if seqs else 0)
PY
}

# fw_stop: stops QEMU; the UI reader ends with the socket, once it has
# logged the board's last lines.
fw_stop() {
	kill -TERM "$FW_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$FW_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$FW_PID" 2>/dev/null
	FW_STATUS=$?
	[ -z "$FW_UI_PID" ] || sc_wait_for 10 bash -c "! kill -0 $FW_UI_PID 2>/dev/null"
}

# fw_keys TEXT: presses keys on the card's keypad.
fw_keys() { printf '%s' "$1" >&"$FW_UI_FD"; }
# fw_cmd LINE: a board command on the UI ("cut 3").
fw_cmd() { printf '!%s\n' "$1" >&"$FW_UI_FD"; }
# fw_status: asks the board for a status line and prints it.
fw_status() { fw_mark; printf '?' >&"$FW_UI_FD"; fw_wait_event status 5; }

# fw_mark: from now on, fw_wait_* only look at newer UI lines.
fw_mark() { FW_MARK=$(wc -l <"$FW_UI_LOG"); }
FW_MARK=0
# fw_wait_event EVENT [SECONDS]: prints the first UI line after the mark
# with that "event"; fails on timeout.
fw_wait_event() { fw_wait_json ".event == \"$1\"" "${2:-10}"; }
# fw_wait_screen NAME [SECONDS]: prints the first screen event after the
# mark showing NAME.
fw_wait_screen() { fw_wait_json ".event == \"screen\" and .screen.name == \"$1\"" "${2:-10}"; }
fw_wait_json() {
	local deadline=$(( $(date +%s) + $2 )) line
	while :; do
		line=$(tail -n +$((FW_MARK + 1)) "$FW_UI_LOG" | grep '^{' | jq -c "select($1)" 2>/dev/null | head -n 1)
		[ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# fw_perso SOCKET TK CARD_ID KCARD PIN ACCOUNT: the issuer's personalisation
# over one reader session (the MAC answers the card's challenge): SELECT,
# EXTERNAL AUTHENTICATE, PUT DATA x4, GENERATE KEY PAIR, ISSUE. K_card goes
# wrapped under the transport KEK (PROTOCOL.md §5.3; python's cryptography
# wraps, apart from the C code); first the card must refuse K_card in the
# clear (6A86) and a wrap altered on the way (6988). Prints the public key
# (hex); fails with the first unexpected status word.
fw_perso() {
	python3 - "$@" <<'PY'
import hashlib, hmac, socket, sys
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
path, tk, card_id, kcard, pin, account = sys.argv[1:7]
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(path)
def recv_exact(n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            sys.exit("card closed the connection")
        b += d
    return b
def frame(body, reply=True):
    s.sendall(len(body).to_bytes(2, "big") + body)
    if reply:
        return recv_exact(int.from_bytes(recv_exact(2), "big"))
def apdu(hexstr, what):
    r = frame(bytes.fromhex(hexstr))
    while r[-2] == 0x61:
        r = r[:-2] + frame(bytes([0, 0xC0, 0, 0, r[-1]]))
    if r[-2:] != b"\x90\x00":
        sys.exit("%s: SW %s" % (what, r[-2:].hex()))
    return r[:-2]
def put(tag, value, want=b"\x90\x00"):
    r = frame(bytes.fromhex("80DA%04X%02X" % (tag, len(value))) + value)
    if r[-2:] != want:
        sys.exit("PUT DATA %04X: SW %s, not %s" % (tag, r[-2:].hex(), want.hex()))
frame(b"\x01", reply=False)
apdu("00A4040009F05349474341524401", "SELECT")
ch = apdu("0084000010", "GET CHALLENGE")
mac = hmac.new(bytes.fromhex(tk), b"sigcard/transport/v1" + ch, hashlib.sha256).digest()
apdu("80820001" + "20" + mac.hex(), "EXTERNAL AUTHENTICATE")
put(0xDF20, bytes.fromhex(card_id))
kek = hmac.new(bytes.fromhex(tk), b"sigcard/transport-kek/v1", hashlib.sha256).digest()
wrapped = aes_key_wrap(kek, bytes.fromhex(kcard))
put(0xDF27, bytes.fromhex(kcard), b"\x6a\x86")
put(0xDF29, wrapped[:20] + bytes([wrapped[20] ^ 1]) + wrapped[21:], b"\x69\x88")
put(0xDF29, wrapped)
put(0xDF28, pin.encode())
put(0xDF25, account.encode())
pub = apdu("8047000000", "GENERATE KEY PAIR")
apdu("80440000", "ISSUE")
frame(b"\x00", reply=False)
print(pub.hex())
PY
}
