#!/usr/bin/env bash
# Runs every benchmark program of BUILD_DIR/bench and prints its table.
# A benchmark that needs daemons has a wrapper bench/NAME.sh, run instead
# with the build folder as its argument; the others run as they are.
# Benchmarks print figures and assert nothing.
# Usage: scripts/run-bench.sh BUILD_DIR
set -u
build=$(cd "${1:?usage: run-bench.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
status=0
for prog in "$build"/bench/*; do
	[ -f "$prog" ] && [ -x "$prog" ] || continue
	name=$(basename "$prog")
	echo "== $name"
	if [ -f "$top/bench/$name.sh" ]; then
		bash "$top/bench/$name.sh" "$build" || status=1
	else
		"$prog" || status=1
	fi
	echo
done
exit $status
