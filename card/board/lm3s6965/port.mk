# card/board/firmware.mk for BOARD=lm3s6965 (docs/board-lm3s6965.md): the
# image QEMU's lm3s6965evb runs (scripts/run-firmware.sh --board lm3s6965),
# its flash a host file through semihosting as on the MPS2; and
# sigcard-card-hw.elf for the real board (hw/: its flash controller, no
# semihosting).
FW := build/firmware-lm3s6965
FW_LDSCRIPT := $(PORT)/lm3s6965.ld
