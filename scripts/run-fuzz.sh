#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS on its seed corpus and fails if any
# of them finds a crash, a leak, a timeout or a failed invariant. Usage:
#   scripts/run-fuzz.sh SECONDS build/fuzz/fuzz_NAME...
# (make fuzz FUZZ_SECONDS=N passes every built tests/fuzz/fuzz_*.c.)
# The seed corpus of fuzz_NAME is tests/fuzz/corpus/fuzz_NAME/ (a target
# without one starts from nothing). The corpus is copied to a scratch folder
# so new inputs never dirty the tree; the inputs that make a target fail are
# kept under build/fuzz/artifacts/fuzz_NAME/ with the log.
set -u
seconds=${1:?usage: run-fuzz.sh SECONDS TARGET...}
shift
[ $# -gt 0 ] || { echo "run-fuzz.sh: no fuzz target given" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sigcard-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

failed=()
printf '%-28s %8s %12s %8s  %s\n' target seconds executions corpus result
for target in "$@"; do
	name=$(basename "$target")
	seeds=$top/tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=$top/tests/fuzz/corpus/${name#fuzz_}
	corpus=$scratch/$name/corpus
	artifacts=$top/build/fuzz/artifacts/$name
	log=$scratch/$name/log
	mkdir -p "$corpus" "$artifacts"
	[ -d "$seeds" ] && cp -R "$seeds/." "$corpus/"
	"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	size=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc; log: $artifacts/log)"
		cp "$log" "$artifacts/log"
		failed+=("$name")
	fi
	printf '%-28s %8s %12s %8s  %s\n' "$name" "$seconds" "${execs:-?}" "$size" "$result"
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|Assertion|runtime error' "$log" | head -5 | sed 's/^/    /'
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzzing found problems in: ${failed[*]}" >&2
	exit 1
fi
echo "fuzzing: ${#@} targets, no failure"
