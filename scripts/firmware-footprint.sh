#!/usr/bin/env bash
# Prints the firmware's footprint in issue 16's terms: everything the linker
# places in RAM — initialised data, the other zeroed statics (bss), the
# mbedTLS heap (a bss object of its own, counted apart) and the stack
# reservation (the linker script's .stack) — their sum, and flash (text +
# rodata + the data image); then the stack bound the reservation must cover
# (scripts/firmware-stack.py), and what the card core's state costs
# (sizeof(struct card_core): the board's one instance, board_core).
# Reported against the card's targets, never asserted.
# usage: scripts/firmware-footprint.sh BUILD_DIR
set -euo pipefail
fw=${1:-build/firmware}
elf=$fw/sigcard-card.elf
sect() { arm-none-eabi-size -A "$elf" | awk -v s="$1" '$1 == s { print $2 }'; }
# The size of a data object by name (0 if there is none).
sym() { local s; s=$(arm-none-eabi-nm -S "$elf" | awk -v n="$1" '$4 == n { print $2 }' | sort | tail -n 1); echo $((16#${s:-0})); }
text=$(sect .text); rodata=$(sect .rodata); data=$(sect .data); bss=$(sect .bss)
stack=$(sect .stack); stack=${stack:-0}
exidx=$(sect .ARM.exidx); exidx=${exidx:-0}
heap=$(sym core_mbedtls_heap)
core=$(sym board_core)
flash=$((text + rodata + exidx + data))
ram=$((data + bss + stack))
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
echo "firmware: $elf"
printf '  RAM         %7d B  (%s)  target <= 8 KiB\n' "$ram" "$(kib "$ram")"
printf '    data      %7d B\n' "$data"
printf '    bss       %7d B  (zeroed statics, the mbedTLS heap apart; of them the card core'"'"'s state,\n' "$((bss - heap))"
printf '                         sizeof(struct card_core), %d B)\n' "$core"
printf '    heap      %7d B  (mbedTLS, memory_buffer_alloc)\n' "$heap"
printf '    stack     %7d B  (reserved by the linker script)\n' "$stack"
printf '  flash       %7d B  (%s; text %d, rodata %d, data image %d)  target <= 64 KiB\n' \
	"$flash" "$(kib "$flash")" "$text" "$rodata" "$data"
stackinfo=$(python3 "$(dirname "$0")/firmware-stack.py" "$fw/obj")
echo "$stackinfo"
bound=$(awk '$1 == "stack" && $2 == "bound" { print $3; exit }' <<<"$stackinfo")
if [ -n "$bound" ] && [ "$bound" -gt "$stack" ]; then
	echo "  WARNING: the stack bound ($bound B) is larger than the stack reservation ($stack B)"
elif [ -n "$bound" ]; then
	echo "  the stack reservation leaves $((stack - bound)) B over the bound"
fi
