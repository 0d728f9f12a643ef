#!/usr/bin/env bash
# make bench's server_load, three times in one run: the load with the
# issuer's keys in files over the Unix socket (server_tps=... ratio=...);
# the same with the keys in a SoftHSM2 token made for the run (--pkcs11:
# every JP checked inside the token; token_server_tps=...); and over TLS 1.3
# on the TCP listener with long-lived connections, as terminals keep them
# (--tls; tls_server_tps=...). Each ratio is against the raw P-256 verify
# rate of one core measured in the same run; the last line compares the
# token and TLS throughput with the plain one: token_vs_files=...
# tls_vs_plain=... Then the same load on a PostgreSQL ledger: a private
# PostgreSQL 15 cluster made for the run (tests/integration/pg_helpers.bash,
# run as the `postgres` user when root; synchronous_commit on, fsync on, no
# standby, so the figure compares with SQLite's synchronous=FULL), two
# servers on it sharing the load: pg_tps=... instances=2 sqlite_tps=...
# pg_vs_sqlite=..., sqlite_tps being this run's plain figure. Figures only,
# on a quiet machine.
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

# --- the same load on PostgreSQL, two servers on one local primary. The
# test helpers make the cluster; their t_* reporting is reduced to words
# on stderr here.
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sc-bench-pg.XXXXXX")
t_fail() { printf 'server_load: %s\n' "$@" >&2; status=1; }
t_skip() { echo "server_load: no PostgreSQL run: $2" >&2; }
t_done() { exit "$status"; }
t_cleanup() { rm -rf "$T_DIR"; }
. "$(dirname "$0")/../tests/integration/pg_helpers.bash"
echo "-- on PostgreSQL 15 (synchronous_commit on, no standby), two servers"
pg_require "the PostgreSQL run" # exits 0 when it cannot run here, saying why
pg_start
pgout=$("$build/bench/server_load" --pg "$PG_URL" --instances 2) || status=1
printf '%s\n' "$pgout"
g=$(sed -n 's/^pg_server_tps=\([0-9]*\) instances=2 .*/\1/p' <<<"$pgout")
if [ -n "$g" ] && [ -n "$p" ] && [ "$p" -gt 0 ]; then
	echo "pg_tps=$g instances=2 sqlite_tps=$p" \
		"pg_vs_sqlite=$(awk -v g="$g" -v p="$p" 'BEGIN { printf "%.2f", g / p }')"
else
	echo "server_load: no PostgreSQL figure to compare (PostgreSQL '$g', SQLite '$p')" >&2
	status=1
fi
exit $status
