#!/usr/bin/env bash
# server_load twice: over the Unix socket (server_tps=... ratio=...) and
# over TLS 1.3 on the TCP listener with long-lived connections, as
# terminals keep them (tls_server_tps=... ratio=...), each ratio against
# the raw P-256 verify rate of one core measured in the same run.
# Usage: bench/server_load.sh BUILD_DIR
set -u
build=${1:?usage: server_load.sh BUILD_DIR}
status=0
"$build/bench/server_load" || status=1
echo "-- the same over TLS"
"$build/bench/server_load" --tls || status=1
exit $status
