# Helpers for the PC/SC scripts (card_pcsc.sh, terminal_pcsc.sh), sourced
# after lib.sh: a private pcscd with vsmartcard's vpcd driver, so the
# system's pcscd, if any, is never touched. Not a test itself.
VPCD_SO=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

# pcsc_require NAME: unless a private pcscd can run here, the script ends
# with NAME skipped, the reason named.
pcsc_require() {
	local tool why=
	for tool in pcscd opensc-tool; do
		sc_tool $tool >/dev/null || why="$tool not installed (looked on PATH, /usr/local/sbin, /usr/sbin, /sbin)"
	done
	[ -n "$why" ] || [ -e "$VPCD_SO" ] || why="vsmartcard-vpcd not installed ($VPCD_SO)"
	[ -n "$why" ] || sc_private_mounts || why="$SC_UNSHARE_WHY"
	[ -z "$why" ] || { t_skip "$1" "$why"; t_done; exit 0; }
	PCSCD=$(sc_tool pcscd)
}

# pcsc_start NAME READER PORT: starts pcscd (log $T_DIR/NAME.log) with one
# vpcd reader, READER, listening on PORT and PORT+1 (its two slots); PORT
# "@PORT" picks a free one (see sc_listen). Sets PCSCD_PID and VPCD_PORT,
# and PCSCLITE_CSOCK_NAME for every PC/SC client the script runs.
# pcscd 1.9 binds the socket path compiled into it, /run/pcscd/pcscd.comm
# (only the client library reads PCSCLITE_CSOCK_NAME), and /run/pcscd is
# there only once a system pcscd has run: so pcscd runs in a private mount
# namespace whose /run is $T_DIR/run, a folder of ours, which needs no mount
# point from the system.
pcsc_start() {
	local name=$1 reader=$2 port=$3
	mkdir -p "$T_DIR/conf" "$T_DIR/run/pcscd"
	export PCSCLITE_CSOCK_NAME=$T_DIR/run/pcscd/pcscd.comm
	rm -f "$PCSCLITE_CSOCK_NAME"
	sc_listen "$name" 'daemon ready' "${SC_UNSHARE[@]}" sh -c '
		printf "FRIENDLYNAME \"%s\"\nDEVICENAME /dev/null:%s\nLIBPATH %s\nCHANNELID %s\n" \
			"$1" "$2" "$3" "$2" >"$4/conf/vpcd" &&
		mount --bind "$4/run" /run && exec "$5" -f -d -c "$4/conf"' \
		pcscd "$reader" "$port" "$VPCD_SO" "$T_DIR" "$PCSCD" || return 1
	PCSCD_PID=$SC_LAST_PID VPCD_PORT=${SC_PORTS[0]:-$port}
	sc_wait_sock "$PCSCLITE_CSOCK_NAME" 10
}
