#!/usr/bin/env bash
# Sets up what bench/card_roundtrip needs and runs it: a personalised
# sigcard-card with a contact socket, dialling a private pcscd (its own
# reader.conf.d with vpcd on free ports, its socket folder bind-mounted over
# /run/pcscd in a private mount namespace, as in tests/integration/card_pcsc.sh).
# Without the rights for a private pcscd, the PC/SC row is left out.
# Usage: bench/card_roundtrip.sh BUILD_DIR [RUNS]
set -u
build=$(cd "${1:?usage: card_roundtrip.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-1000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/sigcard-bench.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {  # wait_for SECONDS CMD...
	local end=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.05; done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

( umask 077
  printf '{"card_id":"0b0e0c0d00000001","account":"ALICE-1","k_card":"%s"}\n' "$(printf '33%.0s' $(seq 32))" >"$dir/perso.json"
  echo 1234 >"$dir/pin" )
"$build/bin/sigcard-card" --flash "$dir/card.flash" personalise --perso "$dir/perso.json" \
	--pin-file "$dir/pin" --export "$dir/enrol.json" 2>"$dir/perso.log" ||
	{ echo "card_roundtrip: personalise failed: $(cat "$dir/perso.log")" >&2; exit 1; }

vpcd_args=() reader_args=()
so=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
if command -v pcscd >/dev/null && [ -e $so ] && unshare --mount --propagation private true 2>/dev/null; then
	for _ in $(seq 20); do
		port=$(free_port)
		python3 -c 'import socket,sys; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])+1))' "$port" 2>/dev/null && break
	done
	mkdir -p "$dir/conf" "$dir/run"
	printf 'FRIENDLYNAME "sigcard bench vpcd"\nDEVICENAME /dev/null:%d\nLIBPATH %s\nCHANNELID %d\n' \
		"$port" "$so" "$port" >"$dir/conf/vpcd"
	export PCSCLITE_CSOCK_NAME=$dir/run/pcscd.comm
	unshare --mount --propagation private sh -c \
		"mount --bind '$dir/run' /run/pcscd && exec pcscd -f -c '$dir/conf'" >"$dir/pcscd.log" 2>&1 &
	pids+=($!)
	wait_for 10 test -S "$PCSCLITE_CSOCK_NAME" && { vpcd_args=(--vpcd=127.0.0.1:$port); reader_args=(--reader "sigcard bench vpcd 00 00"); }
else
	echo "card_roundtrip: no private pcscd possible here (needs root, pcscd, vsmartcard-vpcd): no PC/SC row"
fi

# Two cards: pcscd powers its card up and down on its own schedule, which
# would reset the contact interface under the socket reader of a shared card.
"$build/bin/sigcard-card" -d --no-tty --flash "$dir/card.flash" --contact "$dir/contact.sock" \
	>"$dir/card.log" 2>&1 &
pids+=($!)
wait_for 10 test -S "$dir/contact.sock" || { echo "card_roundtrip: the card did not start: $(cat "$dir/card.log")" >&2; exit 1; }
if [ ${#vpcd_args[@]} -gt 0 ]; then
	cp "$dir/card.flash" "$dir/pcsc.flash.tmp" && mv "$dir/pcsc.flash.tmp" "$dir/pcsc.flash"
	"$build/bin/sigcard-card" -d --no-tty --flash "$dir/pcsc.flash" "${vpcd_args[@]}" >"$dir/pcsc-card.log" 2>&1 &
	pids+=($!)
	wait_for 10 grep -q "vpcd: connected" "$dir/pcsc-card.log" || echo "card_roundtrip: the card did not reach vpcd"
	sleep 0.5   # let pcscd see the card before the first SCardConnect
fi
${BENCH_WRAP:-} "$build/bench/card_roundtrip" --contact "$dir/contact.sock" "${reader_args[@]}" -n "$runs"
