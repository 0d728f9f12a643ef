# Helpers for the NFC integration scripts (nfc_*.sh), sourced after lib.sh.
# Not a test itself (the runner only runs *.sh). Everything goes through the
# real libnfc against tests/pn532sim, never real hardware.
PN532SIM=$SC_BUILD/tests/pn532sim/pn532sim
RAWHOST=$SC_TOP/tests/pn532sim/rawhost.py
NFC_APDU=$SC_BUILD/tests/tools/nfc_apdu
NFC_ECHO=$SC_BUILD/tests/tools/nfc_echo_target
# libnfc opens devices by connstring only: no scan of serial ports or USB.
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false
unset LIBNFC_DEFAULT_DEVICE LIBNFC_DEVICE

# nfc_sim_start NAME [ARGS...]: starts pn532sim (log $T_DIR/NAME.log); sets
# PN532SIM_PID, PN532SIM_READER, PN532SIM_CARD and the connstrings
# READER_CS and CARD_CS.
nfc_sim_start() {
	local name=$1; shift
	rm -f "$T_DIR/$name.paths"
	sc_bg "$name" "$PN532SIM" --paths-file "$T_DIR/$name.paths" "$@"
	PN532SIM_PID=$SC_LAST_PID
	PN532SIM_LOG=$T_DIR/$name.log
	sc_wait_for 10 test -s "$T_DIR/$name.paths" || return 1
	. "$T_DIR/$name.paths"
	READER_CS=pn532_uart:$PN532SIM_READER
	CARD_CS=pn532_uart:$PN532SIM_CARD
	export PN532SIM_PID PN532SIM_LOG
}

# nfc_wait_log COUNT PATTERN [SECONDS]: waits until the sim's log holds
# COUNT lines matching PATTERN (grep -E).
nfc_wait_log() {
	sc_wait_for "${3:-10}" bash -c "[ \$(grep -cE '$2' '$PN532SIM_LOG') -ge $1 ]"
}

# nfc_wait_after MARK PATTERN [SECONDS]: waits until a line of the sim's
# log matching PATTERN follows the last one matching MARK (awk regexps).
nfc_wait_after() {
	sc_wait_for "${3:-10}" awk -v m="$1" -v p="$2" \
		'$0 ~ m { seen = 1; hit = 0 } seen && $0 ~ p { hit = 1 } END { exit !hit }' "$PN532SIM_LOG"
}

# nfc_stop PID: SIGTERM and wait, so libnfc closes its port cleanly (it
# marks a port it holds as claimed until then).
nfc_stop() {
	kill -TERM "$1" 2>/dev/null
	local i
	for i in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}

# nfc_pattern N [reverse]: the hex of nfc_apdu's @N bytes (reversed).
nfc_pattern() {
	python3 -c 'import sys
n = int(sys.argv[1]); b = bytes((7 * i + 1) & 0xFF for i in range(n))
print((b[::-1] if len(sys.argv) > 2 else b).hex().upper())' "$@"
}
