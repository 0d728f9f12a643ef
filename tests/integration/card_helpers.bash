# Helpers for the card's integration scripts (card_*.sh), sourced after
# lib.sh. Not a test itself (the runner only runs *.sh).
CARD=$SC_BIN/sigcard-card
FC=$SC_BUILD/tests/tools/frameclient
MKTX=$SC_BUILD/tests/tools/mktx

# card_personalise FLASH CARD_ID ACCOUNT KCARD_HEX PIN EXPORT: a new card,
# personalised and issued under the test transport key.
card_personalise() {
	local flash=$1 id=$2 acct=$3 k=$4 pin=$5 out=$6
	( umask 077
	  printf '{"card_id":"%s","account":"%s","k_card":"%s"}\n' "$id" "$acct" "$k" >"$T_DIR/perso-$id.json"
	  printf '%s\n' "$pin" >"$T_DIR/pin-$id" )
	"$CARD" --flash "$flash" personalise --perso "$T_DIR/perso-$id.json" \
		--pin-file "$T_DIR/pin-$id" --export "$out" 2>"$T_DIR/perso-$id.log"
}

# card_start NAME ARGS...: sigcard-card -d in the background; waits for
# every socket given with --contact/--contactless/--control.
card_start() {
	local name=$1 a; shift
	sc_bg "$name" "$CARD" -d --no-tty "$@"
	CARD_PID=$SC_LAST_PID
	for a in "$@"; do
		case "$a" in *.sock) sc_wait_sock "$a" 10 || return 1 ;; esac
	done
}

# ctl SOCKET JSON [TIMEOUT_S]: one request on the control socket; prints the
# reply line.
ctl() {
	python3 - "$1" "$2" "${3:-10}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(float(sys.argv[3]))
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(65536)
    if not d:
        break
    buf += d
sys.stdout.write(buf.decode())
PY
}

# one_reader_at_a_time SLOT SELECT: a first reader holds the slot (its
# SELECT answered) until its cue on a FIFO; meanwhile a second reader is
# closed at once; then the first is served again. Two checks.
one_reader_at_a_time() {
	local first
	rm -f "$T_DIR/cue"; mkfifo "$T_DIR/cue"
	"$FC" "$1" on "$2" wait "$2" <"$T_DIR/cue" >"$T_DIR/first.out" 2>&1 &
	first=$!
	exec 8>"$T_DIR/cue"
	sc_wait_for 10 test -s "$T_DIR/first.out"
	t_check "a second reader on the slot is refused (closed)" "$FC" -t 10000 "$1" eof
	echo >&8; exec 8>&-
	wait $first
	t_eq "the first reader keeps its slot" "9000 9000" "$(echo $(cat "$T_DIR/first.out"))"
}

# sw RAPDU_HEX: the last four digits.
sw() { printf '%s' "${1: -4}"; }

# tlv_field RAPDU_HEX TAG: value (hex) of a 1-byte-tag, 1-byte-length item in
# the data of a SIGN TRANSACTION answer.
tlv_field() {
	python3 - "$1" "$2" <<'PY'
import sys
d = bytes.fromhex(sys.argv[1])[:-2]
tag = int(sys.argv[2], 16)
i = 0
while i + 2 <= len(d):
    t, n = d[i], d[i + 1]
    if t == tag:
        print(d[i + 2:i + 2 + n].hex()); break
    i += 2 + n
PY
}
