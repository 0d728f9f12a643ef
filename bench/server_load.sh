#!/usr/bin/env bash
# make bench's server_load: the load with the issuer's keys in files (the
# default), then the same load with them in a SoftHSM2 token made for the
# run (--pkcs11: every JP checked inside the token), and the token's
# throughput beside the plain one: token_server_tps=... server_tps=...
# token_vs_files=... Figures only, on a quiet machine.
# Usage: bench/server_load.sh BUILD_DIR
set -u
build=${1:?usage: server_load.sh BUILD_DIR}
module=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
status=0
plain=$("$build/bench/server_load") || status=1
printf '%s\n' "$plain"
echo "-- with the issuer's keys in a token ($module)"
token=$("$build/bench/server_load" --pkcs11 "$module") || status=1
printf '%s\n' "$token"
p=$(sed -n 's/^server_tps=\([0-9]*\) .*/\1/p' <<<"$plain")
t=$(sed -n 's/^token_server_tps=\([0-9]*\) .*/\1/p' <<<"$token")
if [ -n "$p" ] && [ -n "$t" ] && [ "$p" -gt 0 ]; then
	echo "token_server_tps=$t server_tps=$p token_vs_files=$(awk -v t="$t" -v p="$p" \
		'BEGIN { printf "%.2f", t / p }')"
else
	echo "server_load: no figure to compare (plain '$p', token '$t')" >&2
	status=1
fi
exit $status
