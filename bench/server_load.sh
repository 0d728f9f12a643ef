#!/usr/bin/env bash
# make bench's server_load, three times in one run: the load with the
# issuer's keys in files over the Unix socket (server_tps=... ratio=...);
# the same with the keys in a SoftHSM2 token made for the run (--pkcs11:
# every JP checked inside the token; token_server_tps=...); and over TLS 1.3
# on the TCP listener with long-lived connections, as terminals keep them
# (--tls; tls_server_tps=...). Each ratio is against the raw P-256 verify
# rate of one core measured in the same run; the last line compares the
# token and TLS throughput with the plain one: token_vs_files=...
# tls_vs_plain=... Figures only, on a quiet machine.
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
echo "-- over TLS 1.3 (terminal certificates, connections kept)"
tls=$("$build/bench/server_load" --tls) || status=1
printf '%s\n' "$tls"
p=$(sed -n 's/^server_tps=\([0-9]*\) .*/\1/p' <<<"$plain")
t=$(sed -n 's/^token_server_tps=\([0-9]*\) .*/\1/p' <<<"$token")
l=$(sed -n 's/^tls_server_tps=\([0-9]*\) .*/\1/p' <<<"$tls")
if [ -n "$p" ] && [ -n "$t" ] && [ -n "$l" ] && [ "$p" -gt 0 ]; then
	echo "server_tps=$p token_server_tps=$t tls_server_tps=$l" \
		"token_vs_files=$(awk -v t="$t" -v p="$p" 'BEGIN { printf "%.2f", t / p }')" \
		"tls_vs_plain=$(awk -v t="$l" -v p="$p" 'BEGIN { printf "%.2f", t / p }')"
else
	echo "server_load: no figure to compare (plain '$p', token '$t', TLS '$l')" >&2
	status=1
fi
exit $status
