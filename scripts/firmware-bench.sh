#!/usr/bin/env bash
# What one SIGN TRANSACTION costs the card on the chip, per scheme: the
# firmware image boots in QEMU with -icount shift=0 (one instruction per ns
# of the board's clock), is personalised (fw_perso) and signs the claim-7
# transaction once per scheme over the contact slot; the board times every
# frame with SysTick, and its status line gives the slowest frame of each
# session, the SIGN. A SysTick period is 1/25 MHz = 40 ns, so 40
# instructions (the figure's resolution). The times at a real board's
# clock assume one instruction per cycle: a lower bound (loads, taken
# branches, multi-cycle multiplies and flash wait states cost more), and
# without the flash programming time (semihosting writes take no
# instructions). Prints figures and asserts nothing (make firmware-bench).
# Usage: scripts/firmware-bench.sh BUILD_DIR
set -u
SC_BUILD=$(cd "${1:?usage: firmware-bench.sh BUILD_DIR}" && pwd)
SC_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$SC_TOP/tests/integration/lib.sh"
. "$SC_TOP/tests/integration/card_helpers.bash"
. "$SC_TOP/tests/integration/claim7_helpers.bash"
. "$SC_TOP/tests/integration/firmware_helpers.bash"

die() { echo "firmware-bench: $*" >&2; exit 1; }
command -v qemu-system-arm >/dev/null || die "qemu-system-arm is not installed"
[ -f "$FW_ELF" ] || die "$FW_ELF: no firmware image (make firmware)"

ID=b0b1b2b3b4b5b6b7
KC=202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
PIN=4711
CH=00112233445566778899aabbccddeeff
SELECT=00A4040009F05349474341524401
# The board's system clock (BOARD_SYSCLK_HZ, card/board/mps2/port.h) and
# QEMU's instructions per ns at shift=0: instructions per SysTick period.
NS_PER_PERIOD=40
# Real boards' clocks: the AN385's Cortex-M3 FPGA image, and an STM32F4
# (Cortex-M4) board of the class issue 16 targets.
CLOCKS_MHZ="25 168"

fw_start fw "$T_DIR/card.flash" --icount || die "the board does not boot: $(cat "$T_DIR/fw.log")"
fw_perso "$FW_CT" "$FW_TK" $ID $KC $PIN ALICE-1 >/dev/null || die "personalisation failed"
# The slowest frame of personalisation is GENERATE KEY PAIR: one P-256
# scalar multiplication k*G, as in the SIGN, with nothing else of the SIGN
# around it (what the multiplication's share of a SIGN is).
st=$(fw_status) || die "no status line from the board"   # also starts the first span
echo "# one SIGN TRANSACTION per scheme, timed by the board's SysTick under QEMU -icount shift=0"
echo "# (resolution $NS_PER_PERIOD instructions; times assume 1 instruction per cycle: lower bounds)"
echo "keygen_instructions=$(( $(jq .slowest_frame_sysclk <<<"$st") * NS_PER_PERIOD ))"
# What the speed costs in RAM: the mbedTLS heap's high-water mark, since
# boot, after the key generation and after each scheme's SIGN (a larger
# MBEDTLS_ECP_WINDOW_SIZE is faster and takes more of it): the measured
# peak that sizes the heap (CORE_MBEDTLS_HEAP_PEAK, mbedtls_config.h).
echo "mbedtls_heap_peak_bytes_keygen=$(jq .heap_used <<<"$st")"
for scheme in enc enc-rand enc-digest; do
	fw_mark
	claim7_sign "$FW_CT" $scheme -t 60000
	[ "$(sw "$RAPDU")" = 9000 ] || die "$scheme: SIGN answered $(sw "$RAPDU")"
	fw_wait_screen review 30 >/dev/null || die "$scheme: no review screen"
	periods=$(fw_status | jq -e .slowest_frame_sysclk) || die "$scheme: no status line"
	insns=$((periods * NS_PER_PERIOD))
	echo "sign_instructions_$scheme=$insns"
	for mhz in $CLOCKS_MHZ; do
		echo "sign_ms_at_${mhz}MHz_$scheme=$(awk -v n="$insns" -v f="$mhz" 'BEGIN { printf "%.1f", n / (f * 1000) }')"
	done
	# Cancel: the next scheme starts from the idle card.
	fw_mark
	fw_keys C
	fw_wait_screen cancelled 10 >/dev/null || die "$scheme: Cancel not taken"
	st=$(fw_status)   # also starts the next span
	echo "mbedtls_heap_peak_bytes_$scheme=$(jq .heap_used <<<"$st")"
done
echo "mbedtls_heap_peak_bytes=$(jq .heap_used <<<"$st") of $(jq .heap_size <<<"$st")"
fw_stop
