#!/usr/bin/env bash
# Fetches Debian's mbedTLS 2.28 source package into build/ for the firmware
# (make firmware), without touching the system's apt configuration: a
# private deb-src list, lists dir and cache under build/apt are passed to
# apt-get with -o. Idempotent: does nothing once the tree is there.
# usage: scripts/fetch-mbedtls.sh [DEST]   (default build/mbedtls)
# Prints the unpacked source directory on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=${1:-build/mbedtls}
stamp=$dest/.fetched

if [ -f "$stamp" ]; then
	cat "$stamp"
	exit 0
fi

apt_dir=$PWD/build/apt
# No stamp: nothing, or what an interrupted run left; start afresh.
rm -rf "$dest"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	"$apt_dir/sources.list.d" "$dest"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt_dir/sources.list" <<LIST
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
LIST

apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Dir::Cache::pkgcache="
	-o "Dir::Cache::srcpkgcache="
	-o "APT::Sandbox::User=root"
	-o "Debug::NoLocking=true"
	-q
)

echo "fetch-mbedtls: apt-get update (private lists in $apt_dir)" >&2
apt-get "${apt_opts[@]}" update >&2
# Debian 12's mbedtls source is 2.28.x; refuse anything else, since the
# board's mbedtls_config.h is written for that API.
version=$(apt-cache "${apt_opts[@]}" showsrc mbedtls 2>/dev/null |
	sed -n 's/^Version: //p' | sort -V | tail -n 1)
case $version in
2.28.*) ;;
*) echo "fetch-mbedtls: expected mbedtls 2.28.x source, found '${version:-none}'" >&2
   exit 1 ;;
esac
echo "fetch-mbedtls: apt-get source mbedtls=$version" >&2
(cd "$dest" && apt-get "${apt_opts[@]}" source "mbedtls=$version" >&2)
src=$(find "$dest" -mindepth 1 -maxdepth 1 -type d -name 'mbedtls-2.28*' | head -n 1)
if [ -z "$src" ] || [ ! -f "$src/library/bignum.c" ]; then
	echo "fetch-mbedtls: no unpacked source tree in $dest" >&2
	exit 1
fi
echo "$src" >"$stamp"
echo "$src"
