#!/usr/bin/env bash
# Runs the unit tests (cmocka, in TAP form) and the integration tests (bash
# scripts that print TAP) and counts every test case. Usage:
#   scripts/run-tests.sh BUILD_DIR [PATTERN]
# PATTERN picks test programs and scripts whose name contains it. The last
# line is "N passed, N failed" (", N skipped" when any were skipped); the
# exit status is non-zero if anything failed or nothing ran. The line before
# it says where each test's output is (BUILD_DIR/test-logs).
set -u
build=${1:?usage: run-tests.sh BUILD_DIR [PATTERN]}
pattern=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
export SC_BUILD="$build" SC_TOP="$top"
export CMOCKA_MESSAGE_OUTPUT=TAP
logdir="$build/test-logs"
mkdir -p "$logdir"

passed=0 failed=0 skipped=0
failures=()

# Counts the TAP lines in $2 for the test program named $1 that exited $3.
tally() {
	local name=$1 log=$2 rc=$3 p=0 f=0 s=0 plan=0 line
	while IFS= read -r line; do
		case "$line" in
		"1.."*) plan=${line#1..}; plan=${plan%% *} ;;
		"ok "*"# SKIP"*|"not ok "*"# SKIP"*) s=$((s + 1)); echo "  skip: $name: ${line#*# SKIP}" ;;
		"ok "*) p=$((p + 1)) ;;
		"not ok "*) f=$((f + 1)); failures+=("$name: $line") ;;
		esac
	done < "$log"
	# A program that died, or stopped before its plan, failed as a whole.
	if [ "$f" -eq 0 ] && { [ "$rc" -ne 0 ] || [ $((p + s)) -lt "$plan" ] || [ $((p + s)) -eq 0 ]; }; then
		f=1; failures+=("$name: exited $rc after $((p + s)) of $plan tests (log: $log)")
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	printf '%-48s %3d passed %3d failed %3d skipped\n' "$name" "$p" "$f" "$s"
}

run_one() {
	local name=$1; shift
	local log="$logdir/${name//\//_}.log" rc
	"$@" > "$log" 2>&1 </dev/null
	rc=$?
	tally "$name" "$log" "$rc"
}

for t in $(find "$build/tests/unit" -type f -perm -u+x 2>/dev/null | sort); do
	name=${t#"$build/tests/"}
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	run_one "$name" "$t"
done
for t in $(find "$top/tests/integration" -maxdepth 1 -name '*.sh' -type f 2>/dev/null | sort); do
	[ "$(basename "$t")" = lib.sh ] && continue
	name=integration/$(basename "$t" .sh)
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	run_one "$name" bash "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failures[@]}"
fi
if [ $((passed + failed + skipped)) -eq 0 ]; then
	echo "no test matched '${pattern}'" >&2
	failed=1
fi
echo "logs: $logdir (one per test program or script)"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
