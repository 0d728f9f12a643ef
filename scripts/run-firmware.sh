#!/usr/bin/env bash
# Runs the card firmware (make firmware) on a QEMU board: the MPS2 AN385
# (--board mps2, the default) or the EK-LM3S6965 (--board lm3s6965,
# docs/board-lm3s6965.md), its UARTs on Unix sockets: the contact slot's
# (UART0) speaks common/frame.h exactly as sigcard-card's --contact socket;
# the contactless one (MPS2 UART2, LM3S UART1) is the front end: a PN532 on
# a serial port (--pn532, the card side of tests/pn532sim), or, without a
# radio, frames as sigcard-card's --contactless socket; the UI one (MPS2
# UART1, LM3S UART2) carries the screen model and keys (README "Firmware").
# The LM3S board's own OLED and buttons are reached through QEMU's QMP
# socket (--qmp: screendump, send-key). The flash lives in a host file; a missing one is
# manufactured first: erased, with the transport key and a 32-byte entropy
# seed from /dev/urandom in the board's manufacture page.
set -euo pipefail

usage() {
	cat <<USAGE
usage: scripts/run-firmware.sh --flash FILE --contact SOCKET [options]

  --board NAME            mps2 (default) or lm3s6965
  --flash FILE            the card's flash image (created if missing)
  --contact SOCKET        Unix socket of the contact slot (UART0)
  --pn532 TTY             the contactless UART (MPS2 UART2, LM3S UART1)
                          drives the NXP PN532 on this serial port
                          (HSU): the card side of tests/pn532sim, whose
                          reader side libnfc opens (PN532SIM_CARD)
  --contactless SOCKET    instead, that UART carries frames to this socket
                          (a contactless field without a radio)
  --contact-raw SOCKET    UART0 straight on a QEMU socket, without the bridge
                          (tests of the board's own frame handling only:
                          a reader leaving is not seen)
  --qmp SOCKET            QEMU's QMP on this Unix socket (the LM3S board's
                          OLED by screendump, its buttons by send-key)
  --ui SOCKET             Unix socket of the screen model and keys;
                          default: this terminal (JSON lines out, keys in)
  --ui-wait               start the board only once a client is on --ui,
                          so it sees every line from the boot on
  --transport-key-file F  32 hex digits, mode 0600, for a new image;
                          default: the well-known test key SIGCARD-TEST-TK1
  --seed HEX              entropy seed (64 hex digits) of a new image, for
                          reproducible tests only; default: /dev/urandom
  --create-only           make the flash image (if missing) and stop: for the
                          LM3S6965 board image, whose flash image is written
                          to the chip at 0x3A000 (docs/board-lm3s6965.md)
  --cut-at-boot N         tests: power is lost at the Nth flash write from
                          power-up (manufacture, the boot's entropy commit)
  --icount                QEMU counts instructions (-icount shift=0): the
                          board's clock then runs at one instruction per ns,
                          so its SysTick times work in instructions
                          (scripts/firmware-bench.sh)
  --elf FILE              the image to run (default: the board's
                          build/firmware*/sigcard-card.elf)
  -h, --help              this text

The board runs in the foreground until SIGTERM (or Ctrl-A X without --ui),
or until an injected power cut stops it.
USAGE
}

top=$(cd "$(dirname "$0")/.." && pwd)
flash= contact= contact_raw= contactless= pn532= ui= ui_wait=off icount=() cut_arg= tkfile= seed= elf=
board=mps2 qmp= create_only=
die() { echo "run-firmware: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--board) board=${2:?}; shift 2 ;;
	--qmp) qmp=${2:?}; shift 2 ;;
	--create-only) create_only=yes; shift ;;
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
[ -n "$flash" ] && [ -n "$contact$contact_raw$create_only" ] || { usage >&2; exit 2; }
[ -z "$contact" ] || [ -z "$contact_raw" ] || die "--contact and --contact-raw: one of them"
[ -z "$contactless" ] || [ -z "$pn532" ] || die "--contactless and --pn532: one of them (UART2)"
[ -z "$pn532" ] || [ -c "$pn532" ] || die "--pn532 $pn532: not a serial port"
case $board in
mps2) machine=mps2-an385; elf=${elf:-$top/build/firmware/sigcard-card.elf} ;;
lm3s6965) machine=lm3s6965evb; elf=${elf:-$top/build/firmware-lm3s6965/sigcard-card.elf} ;;
*) die "--board $board: mps2 or lm3s6965" ;;
esac
if [ -z "$create_only" ]; then
	[ -f "$elf" ] || die "$elf: no firmware image (run make firmware)"
	command -v qemu-system-arm >/dev/null || die "qemu-system-arm is not installed"
fi
# QEMU's option syntax gives ',' a meaning, semihosting splits at spaces.
for p in "$flash" "$contact" "$contact_raw" "$contactless" "$pn532" "$ui" "$qmp"; do
	case $p in *[,\ ]*) die "$p: paths with commas or spaces are not supported" ;; esac
done

# The boards' image layout (card/board/common/board.h): 8 store pages, then
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
[ -z "$create_only" ] || exit 0

# QEMU puts each UART on a private socket; scripts/firmware-bridge.py
# serves the slot sockets in front of the carriers' UARTs with the host
# emulator's semantics (a reader leaving is the field going off; whole
# frames only), which a bare UART on a socket cannot give.
rundir=$(mktemp -d "${TMPDIR:-/tmp}/sigcard-fw.XXXXXX")
# The board drives a PN532 on its contactless UART unless told it carries
# frames (the word names the MPS2's UART2, for both boards).
uart2_arg=
[ -n "$pn532" ] || uart2_arg=",arg=uart2=frames"
sock() { printf 'socket,id=%s,path=%s,server=on,wait=%s' "$1" "$2" "${3:-off}"; }
args=(-M "$machine" -nographic -monitor none -no-reboot "${icount[@]}"
	-semihosting-config "enable=on,target=native,arg=sigcard-card,arg=$flash$cut_arg$uart2_arg"
	-kernel "$elf"
	-chardev "$(sock contact "${contact_raw:-$rundir/contact}")")
[ -z "$qmp" ] || args+=(-qmp "unix:$qmp,server=on,wait=off")
# The UARTs in QEMU's -serial order (UART0 first): the contact slot, then
# the UI and contactless ones in the board's order (port.h).
ui_serial=(-serial stdio)
if [ -n "$ui" ]; then
	args+=(-chardev "$(sock ui "$ui" $ui_wait)")
	ui_serial=(-serial chardev:ui)
fi
cl_serial=(-serial null)
if [ -n "$contactless" ]; then
	args+=(-chardev "$(sock contactless "$rundir/contactless")")
	cl_serial=(-serial chardev:contactless)
elif [ -n "$pn532" ]; then
	args+=(-chardev "serial,id=pn532,path=$pn532")
	cl_serial=(-serial chardev:pn532)
fi
args+=(-serial chardev:contact)
if [ "$board" = mps2 ]; then
	args+=("${ui_serial[@]}" "${cl_serial[@]}")
else
	args+=("${cl_serial[@]}" "${ui_serial[@]}")
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
