# Shared helpers for the integration tests: TAP output, a temporary folder
# per script, daemons started in the background and always stopped.
# Source it first:  . "$(dirname "$0")/lib.sh"
# SC_BUILD (the build folder, e.g. build or build/san) and SC_TOP come from
# scripts/run-tests.sh; run by hand they default to this checkout's build/.
set -u
SC_TOP=${SC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SC_BUILD=${SC_BUILD:-$SC_TOP/build}
SC_BIN=$SC_BUILD/bin
# python3 started directly: a version manager's wrapper that a PATH may put
# first (pyenv's shim runs a dozen shell processes for every start, seconds
# each on a loaded machine) made holders miss a terminal's timeout. The
# same interpreter, its own folder first on PATH.
SC_PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) &&
	[ -x "$SC_PYTHON" ] && PATH=${SC_PYTHON%/*}:$PATH
T_N=0
T_FAILED=0
T_PIDS=()
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sigcard-test.XXXXXX")

t_cleanup() {
	local pid
	for pid in "${T_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${T_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	[ "${T_KEEP:-}" = 1 ] && echo "# kept $T_DIR" || rm -rf "$T_DIR"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# T_SUFFIX, if set, follows every test's name: a script that runs its
# checks once per backend names the backend with it.
t_ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1${T_SUFFIX:-}"; }
# t_fail NAME [DETAIL...]: DETAIL goes out as TAP comments.
t_fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $1${T_SUFFIX:-}"
	shift; local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
t_skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1${T_SUFFIX:-} # SKIP $2"; }
# t_check NAME CMD...: ok if CMD exits 0; its output is shown on failure.
t_check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then t_ok "$name"; else t_fail "$name" "command: $*" "$out"; fi
}
# t_eq NAME EXPECTED ACTUAL
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1" "expected: $2" "actual:   $3"; fi
}
t_done() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }
# sc_soft_card DIR K ACCOUNT: a soft card of ACCOUNT (tests/tools/srvclient)
# prepared and enrolled through the script's own S (sigcard-server with its
# -D and --db), kept as DIR/cardK.{perso.json,key.pem,record.json}, as
# srvclient pay and load expect; a failure is the script's.
sc_soft_card() {
	S card prepare --account "$3" --out "$1/card$2.perso.json" >/dev/null &&
		"$SC_BUILD/tests/tools/srvclient" card --perso "$1/card$2.perso.json" \
			--key "$1/card$2.key.pem" --export "$1/card$2.record.json" &&
		S card enrol --record "$1/card$2.record.json" >/dev/null ||
		t_fail "soft card $1/card$2 of $3 enrolled"
}
# t_driver OUT RC: a test driver's "PASS name" / "FAIL name: detail" lines
# (tests/support/webcheck.py) in file OUT as TAP, other lines as comments;
# a driver that reported nothing, or exited RC != 0 without a FAIL line, is
# one failure.
t_driver() {
	local line
	while IFS= read -r line; do
		case "$line" in
			"PASS "*) t_ok "${line#PASS }" ;;
			"FAIL "*) t_fail "${line#FAIL }" ;;
			*) echo "# $line" ;;
		esac
	done <"$1"
	grep -Eq '^(PASS|FAIL) ' "$1" || t_fail "the driver reported no check" "$(tail -5 "$1")"
	[ "$2" -eq 0 ] || grep -q '^FAIL ' "$1" || t_fail "the driver exited $2"
}

# A TCP port free on 127.0.0.1 right now, and perhaps not a moment later:
# only sc_listen uses it, and it copes with losing the port.
sc_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# sc_bg NAME CMD...: starts CMD in the background, output to $T_DIR/NAME.log;
# it is stopped when the script ends. Sets SC_LAST_PID.
sc_bg() {
	local name=$1; shift
	"$@" >"$T_DIR/$name.log" 2>&1 &
	SC_LAST_PID=$!
	T_PIDS+=("$SC_LAST_PID")
}
# sc_wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds.
sc_wait_for() {
	local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	until "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
sc_wait_sock() { sc_wait_for "${2:-10}" test -S "$1"; }
sc_wait_port() { sc_wait_for "${2:-10}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1"; }

# sc_listen NAME READY CMD...: starts the daemon CMD like sc_bg and waits
# until its log matches READY (grep -E). Each "@PORT" in an argument becomes
# a TCP port free a moment ago; another process may take it before the
# daemon binds it, and then the daemon says "Address already in use" (and
# exits, or logs it and serves on without that port): the daemon is stopped
# and started again with new ports. Ports are not bound and reported by the
# daemons themselves because not every daemon can (pcscd's vpcd driver
# takes its port from a file); the daemon's own bind is the only check that
# cannot race. Sets SC_LAST_PID and SC_PORTS (the ports given, in order).
sc_listen() {
	local name=$1 ready=$2 attempt a log args pid
	shift 2
	log=$T_DIR/$name.log
	for attempt in 1 2 3 4 5; do
		args=() SC_PORTS=()
		for a in "$@"; do
			while [[ $a == *@PORT* ]]; do
				SC_PORTS+=("$(sc_free_port)")
				a=${a/@PORT/${SC_PORTS[-1]}}
			done
			args+=("$a")
		done
		sc_bg "$name" "${args[@]}"
		pid=$SC_LAST_PID
		sc_wait_for 20 sc_listen_settled "$pid" "$log" "$ready"
		if grep -q "Address already in use" "$log"; then
			cp "$log" "$log.$attempt"
			kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
			continue
		fi
		grep -qE "$ready" "$log" && kill -0 "$pid" 2>/dev/null
		return
	done
	return 1
}
# The daemon PID (log LOG) either died or reached READY.
sc_listen_settled() { ! kill -0 "$1" 2>/dev/null || grep -qE "$3" "$2"; }

# sc_tool NAME: prints the path of the program NAME, looked for on PATH and
# then in the sbin folders an ordinary user's PATH often lacks (pcscd lives
# in /usr/sbin).
sc_tool() {
	local d
	command -v "$1" 2>/dev/null && return 0
	for d in /usr/local/sbin /usr/sbin /sbin; do
		[ -x "$d/$1" ] && { printf '%s\n' "$d/$1"; return 0; }
	done
	return 1
}

# sc_private_mounts: sets SC_UNSHARE to the command that runs a program in
# a mount namespace of its own, where its mounts are seen by nobody else:
# as root, unshare --mount; as any other user, a user namespace too, in
# which that user is root (the kernel may allow that to everyone). Fails
# with the reason in SC_UNSHARE_WHY.
sc_private_mounts() {
	local unshare err
	unshare=$(sc_tool unshare) || { SC_UNSHARE_WHY="unshare (util-linux) not installed"; return 1; }
	if [ "$(id -u)" -eq 0 ]; then
		SC_UNSHARE=("$unshare" --mount --propagation private)
		err=$("${SC_UNSHARE[@]}" true 2>&1) && return 0
		SC_UNSHARE_WHY="root, but no private mount namespace: ${err:-unshare --mount failed}"
	fi
	SC_UNSHARE=("$unshare" --user --map-root-user --mount --propagation private)
	err=$("${SC_UNSHARE[@]}" true 2>&1) && return 0
	[ "$(id -u)" -eq 0 ] ||
		SC_UNSHARE_WHY="not root, and no user namespace for a private mount namespace: ${err:-unshare --user failed}"
	return 1
}
