#!/usr/bin/env bash
# Prints the firmware's footprint in issue 16's terms and checks it against
# the card's targets: everything the linker places in RAM — initialised
# data, the other zeroed statics (bss, with the card core's state,
# sizeof(struct card_core): the board's one instance, board_core), the
# mbedTLS heap (a bss object of its own, counted apart: its measured peak
# and margin, card/board/common/mbedtls_config.h) and the stack reservation
# (the linker script's .stack: scripts/firmware-stack.py's bound and the
# margin) — their sum, and flash (text + rodata + the data image).
# Fails (exit 1, and so `make firmware`) if RAM is over 8 KiB, flash over
# 64 KiB, or the stack reservation under the bound plus the margin.
# usage: scripts/firmware-footprint.sh BUILD_DIR STACK_MARGIN [BOARD_DIR]
set -euo pipefail
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: firmware-footprint.sh BUILD_DIR STACK_MARGIN [BOARD_DIR]" >&2; exit 2; }
fw=$1 margin=$2 board=${3:-card/board/common}
RAM_MAX=8192
FLASH_MAX=65536
elf=$fw/sigcard-card.elf
sect() { arm-none-eabi-size -A "$elf" | awk -v s="$1" '$1 == s { print $2 }'; }
# The size of a data object by name (0 if there is none).
sym() { local s; s=$(arm-none-eabi-nm -S "$elf" | awk -v n="$1" '$4 == n { print $2 }' | sort | tail -n 1); echo $((16#${s:-0})); }
# The address of a symbol (0 if there is none).
addr() { local a; a=$(arm-none-eabi-nm "$elf" | awk -v n="$1" '$3 == n { print $1 }' | head -n 1); echo $((16#${a:-0})); }
# A number #defined in the board's mbedTLS configuration.
conf() { awk -v n="$1" '$1 == "#define" && $2 == n { sub(/u$/, "", $3); print $3 }' "$board/mbedtls_config.h"; }
text=$(sect .text); rodata=$(sect .rodata); data=$(sect .data); bss=$(sect .bss)
stack=$(sect .stack); stack=${stack:-0}
exidx=$(sect .ARM.exidx); exidx=${exidx:-0}
heap=$(sym core_mbedtls_heap)
core=$(sym board_core)
# The reservation itself; the .stack section may add the 8-byte alignment.
reserved=$(( $(addr __stack_top) - $(addr __stack_bottom) ))
heap_peak=$(conf CORE_MBEDTLS_HEAP_PEAK); heap_margin=$(conf CORE_MBEDTLS_HEAP_MARGIN)
flash=$((text + rodata + exidx + data))
ram=$((data + bss + stack))
stackinfo=$(python3 "$(dirname "$0")/firmware-stack.py" "$fw/obj")
bound=$(awk '$1 == "stack" && $2 == "bound" { print $3; exit }' <<<"$stackinfo")
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
echo "firmware: $elf"
printf '  RAM         %7d B  (%s)  target <= 8 KiB (%d B): %s\n' "$ram" "$(kib "$ram")" $RAM_MAX \
	"$([ "$ram" -le $RAM_MAX ] && echo "$((RAM_MAX - ram)) B to spare" || echo "$((ram - RAM_MAX)) B OVER")"
printf '    data      %7d B\n' "$data"
printf '    bss       %7d B  (zeroed statics, the mbedTLS heap apart; of them the card core'"'"'s state,\n' "$((bss - heap))"
printf '                         sizeof(struct card_core), %d B)\n' "$core"
printf '    heap      %7d B  (mbedTLS, memory_buffer_alloc: measured peak %s B + margin %s B,\n' \
	"$heap" "${heap_peak:-?}" "${heap_margin:-?}"
printf '                         %s/mbedtls_config.h; make firmware-bench prints the peak)\n' "$board"
printf '    stack     %7d B  (the linker script'"'"'s reservation, %d B: bound %s B + margin %d B, rounded up to 8)\n' \
	"$stack" "$reserved" "${bound:-?}" "$margin"
printf '  flash       %7d B  (%s; text %d, rodata %d, data image %d)  target <= 64 KiB\n' \
	"$flash" "$(kib "$flash")" "$text" "$rodata" "$data"
echo "$stackinfo"
fail=0
if [ -z "$bound" ] || [ "$reserved" -lt $((bound + margin)) ]; then
	echo "firmware-footprint: the stack reservation ($reserved B) is under the bound (${bound:-unknown} B) + margin ($margin B)" >&2
	fail=1
fi
if [ "$ram" -gt $RAM_MAX ]; then
	echo "firmware-footprint: RAM $ram B is over the card's $RAM_MAX B" >&2
	fail=1
fi
if [ "$flash" -gt $FLASH_MAX ]; then
	echo "firmware-footprint: flash $flash B is over the card's $FLASH_MAX B" >&2
	fail=1
fi
exit $fail
