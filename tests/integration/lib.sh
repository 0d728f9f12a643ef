# Shared helpers for the integration tests: TAP output, a temporary folder
# per script, daemons started in the background and always stopped.
# Source it first:  . "$(dirname "$0")/lib.sh"
# SC_BUILD (the build folder, e.g. build or build/san) and SC_TOP come from
# scripts/run-tests.sh; run by hand they default to this checkout's build/.
set -u
SC_TOP=${SC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SC_BUILD=${SC_BUILD:-$SC_TOP/build}
SC_BIN=$SC_BUILD/bin
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

t_ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
# t_fail NAME [DETAIL...]: DETAIL goes out as TAP comments.
t_fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $1"
	shift; local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
t_skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
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

# A TCP port free on 127.0.0.1 right now.
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
