# card/board/firmware.mk for BOARD=mps2: its image is the one the
# firmware_* tests and scripts/run-firmware.sh run by default.
FW := build/firmware
FW_LDSCRIPT := $(PORT)/mps2-an385.ld
