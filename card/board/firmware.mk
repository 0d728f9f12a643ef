# The card firmware for one board port, BOARD=mps2 (ARM's MPS2 AN385,
# Cortex-M3, as QEMU emulates it) or BOARD=lm3s6965 (TI's EK-LM3S6965,
# docs/board-lm3s6965.md): card/core/, card/carrier/, the common/ code they
# use, card/board/common/, the port's own folder and mbedTLS 2.28 (Debian's
# source, fetched by scripts/fetch-mbedtls.sh), cross-built with picolibc.
# Run by `make firmware` (once per board) with MBEDTLS_DIR set. Each port's
# card/board/NAME/port.mk names its linker script and its output folder.
# Every port's sigcard-card.elf runs in QEMU, its flash a host file through
# semihosting; a port with a hw/ folder also gets sigcard-card-hw.elf, the
# image for the real board: hw/ replaces the hosted pieces (FW_HOSTED: the
# semihosting calls and the file-backed flash) with the chip's own.
FW_CC := arm-none-eabi-gcc
FW_AR := arm-none-eabi-ar
FW_OBJCOPY := arm-none-eabi-objcopy
MBEDTLS_DIR ?= $(error MBEDTLS_DIR: run make firmware)
BOARD ?= mps2
PORT := card/board/$(BOARD)
COMMON := card/board/common
include $(PORT)/port.mk

FW_ARCH := -mcpu=cortex-m3 -mthumb
# -fstack-usage and -fcallgraph-info=su feed scripts/firmware-stack.py.
FW_CFLAGS := -std=c11 -D_GNU_SOURCE $(FW_ARCH) --specs=picolibc.specs -Os -g -ffunction-sections \
	-fdata-sections -fstack-usage -fcallgraph-info=su -I. -I$(PORT) -I$(COMMON) -I$(MBEDTLS_DIR)/include \
	-DMBEDTLS_CONFIG_FILE='"$(COMMON)/mbedtls_config.h"' -MMD -MP
# The project's warning set for our code; mbedTLS is built as it ships.
FW_WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion \
	-Wformat=2 -Wvla -Werror

FW_MBEDTLS := aes asn1parse asn1write bignum constant_time ctr_drbg ecdsa ecp ecp_curves \
	hkdf md memory_buffer_alloc platform platform_util sha256
# The board's objects: the common folder's and the port's.
FW_BOARD_SRCS := $(wildcard $(COMMON)/*.c) $(wildcard $(PORT)/*.c)
FW_HOSTED := $(COMMON)/semihost.c $(COMMON)/flash_file.c
FW_HW_SRCS := $(wildcard $(PORT)/hw/*.c)
FW_HW_IMAGES := $(if $(FW_HW_SRCS),$(FW)/sigcard-card-hw.elf $(FW)/sigcard-card-hw.bin)
FW_LIB_SRCS := $(wildcard card/core/*.c) $(wildcard card/carrier/*.c) $(wildcard common/*.c)

fw_obj = $(patsubst %.c,$(FW)/obj/%.o,$(1))
FW_BOARD_OBJS := $(call fw_obj,$(FW_BOARD_SRCS))
FW_MBEDTLS_OBJS := $(patsubst %,$(FW)/obj/mbedtls/%.o,$(FW_MBEDTLS))

.PHONY: all
all: $(FW)/sigcard-card.elf $(FW)/sigcard-card.bin $(FW_HW_IMAGES)
	@scripts/firmware-footprint.sh $(FW) $(FW_STACK_MARGIN)
	@for e in $(filter %.elf,$(FW_HW_IMAGES)); do arm-none-eabi-size $$e | \
		awk 'NR == 2 { printf "  board image %s: flash %d B, RAM %d B (data, bss, stack)\n", \
			$$6, $$1 + $$2, $$2 + $$3 }'; done

$(FW)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC [arm $(BOARD)] $<"
	@$(FW_CC) $(FW_CFLAGS) $(FW_WARN) -c -o $@ $<

$(FW)/obj/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c
	@mkdir -p $(@D)
	@echo "  CC [arm $(BOARD)] mbedtls/$*.c"
	@$(FW_CC) $(FW_CFLAGS) -c -o $@ $<

# The library code goes in an archive, so only what the card calls is linked.
$(FW)/libfw.a: $(call fw_obj,$(FW_LIB_SRCS)) $(FW_MBEDTLS_OBJS)
	@rm -f $@
	@$(FW_AR) rcs $@ $^

# The stack reservation: scripts/firmware-stack.py's bound over every
# object's call graph plus FW_STACK_MARGIN, for what the bound does not
# count: the frames of the libc and libgcc leaves (the largest,
# __aeabi_uldivmod with __udivmoddi4, 48 B; picolibc's memcpy and memset
# none) and GCC's split parts (mbedtls_mpi_shift_l_mod.part.0, under the
# point doubling, far above the deepest path). 128 B holds twice the largest
# leaf and rounds to the stack's 8-byte alignment; the run-time high-water
# mark (firmware_claim7) stays some hundreds of bytes under the bound. The
# port's linker script includes the line this writes;
# scripts/firmware-footprint.sh fails the build if the reservation is less
# than the bound and the margin.
FW_STACK_MARGIN := 128
# Every object under $(FW)/obj is in the bound, the real board's hw/ ones
# too (one reservation serves both images), so all are built first.
$(FW)/stack-size.ld: $(FW_BOARD_OBJS) $(call fw_obj,$(FW_HW_SRCS)) $(call fw_obj,$(FW_LIB_SRCS)) \
		$(FW_MBEDTLS_OBJS) scripts/firmware-stack.py
	@python3 scripts/firmware-stack.py $(FW)/obj --margin $(FW_STACK_MARGIN) --ld $@ >/dev/null

# fw_link OUT, OBJS: links an image of the board's objects and the library.
fw_link = $(FW_CC) $(FW_ARCH) --specs=picolibc.specs -nostartfiles -T $(FW_LDSCRIPT) -L$(FW) \
	-Wl,--gc-sections -Wl,-Map=$(basename $(1)).map -o $(1) $(2) $(FW)/libfw.a

$(FW)/sigcard-card.elf: $(FW_BOARD_OBJS) $(FW)/libfw.a $(FW_LDSCRIPT) $(FW)/stack-size.ld
	@echo "  LD [arm $(BOARD)] $@"
	@$(call fw_link,$@,$(filter %.o,$^))

$(FW)/sigcard-card-hw.elf: $(call fw_obj,$(filter-out $(FW_HOSTED),$(FW_BOARD_SRCS)) $(FW_HW_SRCS)) \
		$(FW)/libfw.a $(FW_LDSCRIPT) $(FW)/stack-size.ld
	@echo "  LD [arm $(BOARD)] $@"
	@$(call fw_link,$@,$(filter %.o,$^))

$(FW)/%.bin: $(FW)/%.elf
	@$(FW_OBJCOPY) -O binary $< $@

-include $(shell find $(FW)/obj -name '*.d' 2>/dev/null)
