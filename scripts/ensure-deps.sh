#!/usr/bin/env bash
# Makes sure every Debian package in scripts/packages.txt is installed
# (`make deps`; `make demo`, `check`, `fuzz`, `bench` and `firmware` run it
# first, never `make` or `make install`).
# As root it installs what is missing with apt-get; otherwise it prints the
# exact command to run and fails, so a build never half-works.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="$here/packages.txt"
[ -r "$list" ] || { echo "ensure-deps: cannot read $list" >&2; exit 2; }

missing=()
while read -r name _; do
	case "$name" in ''|'#'*) continue ;; esac
	status=$(dpkg-query -W -f='${Status}' "$name" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$name")
done < "$list"

[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure-deps: missing packages (${missing[*]}) and no apt-get: this needs Debian 12" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "ensure-deps: these Debian packages are missing: ${missing[*]}" >&2
	echo "ensure-deps: run as root:  apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "ensure-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=${TMPDIR:-/tmp}/sigcard-apt.log
# A fresh machine may have empty package lists: update once, then install.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
	apt-get update -q >>"$log" 2>&1 || true
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "ensure-deps: apt-get install failed (log: $log)" >&2
		exit 1
	fi
fi
echo "ensure-deps: done" >&2
