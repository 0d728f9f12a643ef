#!/usr/bin/env bash
# Runs the card firmware (make firmware) on QEMU's MPS2 AN385 board, its
# UARTs on Unix sockets: UART0 is the contact slot, speaking common/frame.h
# exactly as sigcard-card's --contact socket; UART2 is the contactless front
# end: a PN532 on a serial port (--pn532, the card side of tests/pn532sim),
# or, without a radio, frames as sigcard-card's --contactless socket;
# UART1 carries the screen and keypad (README "Firmware"). The flash lives in a host file; a missing one is
# manufactured first: erased, with the transport key and a 32-byte entropy
# seed from /dev/urandom in the board's manufacture page.
set -euo pipefail

usage() {
	cat <<USAGE
usage: scripts/run-firmware.sh --flash FILE --contact SOCKET [options]

  --flash FILE            the card's flash image (created if missing)
  --contact SOCKET        Unix socket of the contact slot (UART0)
  --pn532 TTY             UART2 drives the NXP PN532 on this serial port
                          (HSU): the card side of tests/pn532sim, whose
                          reader side libnfc opens (PN532SIM_CARD)
  --contactless SOCKET    instead, UART2 carries frames to this Unix socket
                          (a contactless field without a radio)
  --contact-raw SOCKET    UART0 straight on a QEMU socket, without the bridge
                          (tests of the board's own frame handling only:
                          a reader leaving is not seen)
  --ui SOCKET             Unix socket of the screen and keypad (UART1);
                          default: this terminal (JSON lines out, keys in)
  --ui-wait               start the board only once a client is on --ui,
                          so it sees every line from the boot on
  --transport-key-file F  32 hex digits, mode 0600, for a new image;
                          default: the well-known test key SIGCARD-TEST-TK1
  --seed HEX              entropy seed (64 hex digits) of a new image, for
                          reproducible tests only; default: /dev/urandom
  --cut-at-boot N         tests: power is lost at the Nth flash write from
                          power-up (manufacture, the boot's entropy commit)
  --icount                QEMU counts instructions (-icount shift=0): the
                          board's clock then runs at one instruction per ns,
                          so its SysTick times work in instructions
                          (scripts/firmware-bench.sh)
  --elf FILE              the image to run (default build/firmware/sigcard-card.elf)
  -h, --help              this text

The board runs in the foreground until SIGTERM (or Ctrl-A X without --ui),
or until an injected power cut stops it.
USAGE
}

top=$(cd "$(dirname "$0")/.." && pwd)
flash= contact= contact_raw= contactless= pn532= ui= ui_wait=off icount=() cut_arg= tkfile= seed= elf=$top/build/firmware/sigcard-card.elf
die() { echo "run-firmware: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--flash) flash=${2:?}; shift 2 ;;
	--contact) contact=${2:?}; shift 2 ;;
	--contactless) contactless=${2:?}; shift 2 ;;
	--pn532) pn532=${2:?}; shift 2 ;;
	--contact-raw) contact_raw=${2:?}; shift 2 ;;
	--ui) ui=${2:?}; shift 2 ;;
	--ui-wait) ui_wait=on; shift ;;
	--cut-at-boot) [[ ${2:-} =~ ^[1-9][0-9]{0,4}$ ]] || die "--cut-at-boot: a write count from 1"
		cut_arg=",arg=cut=$2"; shift 2 ;;
	--transport-key-file) tkfile=${2:?}; shift 2 ;;
	--seed) seed=${2:?}; shift 2 ;;
	--elf) elf=${2:?}; shift 2 ;;
	--icount) icount=(-icount shift=0); shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ -n "$flash" ] && [ -n "$contact$contact_raw" ] || { usage >&2; exit 2; }
[ -z "$contact" ] || [ -z "$contact_raw" ] || die "--contact and --contact-raw: one of them"
[ -z "$contactless" ] || [ -z "$pn532" ] || die "--contactless and --pn532: one of them (UART2)"
[ -z "$pn532" ] || [ -c "$pn532" ] || die "--pn532 $pn532: not a serial port"
[ -f "$elf" ] || die "$elf: no firmware image (run make firmware)"
command -v qemu-system-arm >/dev/null || die "qemu-system-arm is not installed"
# QEMU's option syntax gives ',' a meaning, semihosting splits at spaces.
for p in "$flash" "$contact" "$contact_raw" "$contactless" "$pn532" "$ui"; do
	case $p in *[,\ ]*) die "$p: paths with commas or spaces are not supported" ;; esac
done

# The board's image layout (card/board/common/board.h): 8 store pages, then
# the manufacture page and two entropy pages, 2048 bytes each.
page=2048 pages=11 mfg_page=8
if [ ! -e "$flash" ]; then
	if [ -n "$tkfile" ]; then
		[ -f "$tkfile" ] || die "$tkfile: no such file"
		case $(stat -c %a "$tkfile") in ?00) ;; *) die "$tkfile: readable or writable by group or others" ;; esac
		tk=$(tr -d ' \t\n' <"$tkfile")
	else
		echo "run-firmware: new card under the well-known TEST transport key" >&2
		tk=$(printf 'SIGCARD-TEST-TK1' | od -An -tx1 | tr -d ' \n')
	fi
	[[ $tk =~ ^[0-9a-fA-F]{32}$ ]] || die "transport key: 32 hex digits expected"
	if [ -n "$seed" ]; then
		[[ $seed =~ ^[0-9a-fA-F]{64}$ ]] || die "--seed: 64 hex digits expected"
	else
		seed=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	fi
	python3 - "$flash" "$tk" "$seed" "$page" "$pages" "$mfg_page" <<'PY' || die "$flash: cannot create the image"
import hashlib, os, sys
path, tk, seed = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
page, pages, mfg = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
image = bytearray(b"\xff" * (page * pages))
rec = b"SCMFG001" + tk + seed
rec += hashlib.sha256(rec).digest()
image[mfg * page:mfg * page + len(rec)] = rec
tmp = path + ".new"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "wb") as f:
    f.write(image)
    f.flush()
    os.fsync(f.fileno())
os.rename(tmp, path)
PY
fi
[ "$(stat -c %s "$flash")" -eq $((page * pages)) ] || die "$flash: wrong size (not a board image)"

# QEMU puts each UART on a private socket; scripts/firmware-bridge.py
# serves the slot sockets in front of the carriers' UARTs with the host
# emulator's semantics (a reader leaving is the field going off; whole
# frames only), which a bare UART on a socket cannot give.
rundir=$(mktemp -d "${TMPDIR:-/tmp}/sigcard-fw.XXXXXX")
# The board drives a PN532 on UART2 unless told it carries frames.
uart2_arg=
[ -n "$pn532" ] || uart2_arg=",arg=uart2=frames"
sock() { printf 'socket,id=%s,path=%s,server=on,wait=%s' "$1" "$2" "${3:-off}"; }
args=(-M mps2-an385 -nographic -monitor none -no-reboot "${icount[@]}"
	-semihosting-config "enable=on,target=native,arg=sigcard-card,arg=$flash$cut_arg$uart2_arg"
	-kernel "$elf"
	-chardev "$(sock contact "${contact_raw:-$rundir/contact}")" -serial chardev:contact)
if [ -n "$ui" ]; then
	args+=(-chardev "$(sock ui "$ui" $ui_wait)" -serial chardev:ui)
else
	args+=(-serial stdio)
fi
if [ -n "$contactless" ]; then
	args+=(-chardev "$(sock contactless "$rundir/contactless")" -serial chardev:contactless)
elif [ -n "$pn532" ]; then
	args+=(-chardev "serial,id=pn532,path=$pn532" -serial chardev:pn532)
else
	args+=(-serial null)
fi

pids=()
stop() {
	kill -TERM "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$rundir"
}
trap 'stop; exit 143' TERM INT
# <&0: a background job would otherwise read /dev/null, and the keypad
# (-serial stdio without --ui) is this terminal.
qemu-system-arm "${args[@]}" <&0 &
qemu=$!
pids+=("$qemu")
if [ -n "$contact" ]; then
	python3 "$top/scripts/firmware-bridge.py" --name contact --listen "$contact" \
		--uart "$rundir/contact" &
	pids+=("$!")
fi
if [ -n "$contactless" ]; then
	python3 "$top/scripts/firmware-bridge.py" --name contactless --listen "$contactless" \
		--uart "$rundir/contactless" &
	pids+=("$!")
fi
status=0
wait "$qemu" || status=$?
stop
exit "$status"
