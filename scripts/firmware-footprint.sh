#!/usr/bin/env bash
# Prints the firmware's footprint: flash (text + rodata + initial data),
# static RAM (data + bss, the mbedTLS heap included) and the worst-case
# stack (scripts/firmware-stack.py). Reported against the card's targets,
# never asserted. usage: scripts/firmware-footprint.sh BUILD_DIR
set -euo pipefail
fw=${1:-build/firmware}
elf=$fw/sigcard-card.elf
sect() { arm-none-eabi-size -A "$elf" | awk -v s="$1" '$1 == s { print $2 }'; }
text=$(sect .text); rodata=$(sect .rodata); data=$(sect .data); bss=$(sect .bss)
exidx=$(sect .ARM.exidx); exidx=${exidx:-0}
heap=$(arm-none-eabi-nm -S "$elf" | awk '$4 == "heap" { print $2 }' | sort | tail -n 1); heap=$((16#${heap:-0}))
flash=$((text + rodata + exidx + data))
ram=$((data + bss))
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
echo "firmware: $elf"
printf '  flash       %7d B  (%s; text %d, rodata %d, data image %d)  target <= 160 KiB\n' \
	"$flash" "$(kib "$flash")" "$text" "$rodata" "$data"
printf '  static RAM  %7d B  (%s; data %d, bss %d, of which mbedTLS heap %d)  target <= 32 KiB\n' \
	"$ram" "$(kib "$ram")" "$data" "$bss" "${heap:-0}"
python3 "$(dirname "$0")/firmware-stack.py" "$fw/obj"
