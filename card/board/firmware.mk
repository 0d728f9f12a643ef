# The card firmware for the MPS2 AN385 board (Cortex-M3): card/core/,
# card/carrier/, the common/ code they use, this board port and mbedTLS
# 2.28 (Debian's source, fetched by scripts/fetch-mbedtls.sh), cross-built
# with picolibc. Run by
# `make firmware` with MBEDTLS_DIR set; output in build/firmware/.
FW := build/firmware
FW_CC := arm-none-eabi-gcc
FW_AR := arm-none-eabi-ar
FW_OBJCOPY := arm-none-eabi-objcopy
MBEDTLS_DIR ?= $(error MBEDTLS_DIR: run make firmware)
BOARD := card/board/mps2

FW_ARCH := -mcpu=cortex-m3 -mthumb
# -fstack-usage and -fcallgraph-info=su feed scripts/firmware-stack.py.
FW_CFLAGS := -std=c11 -D_GNU_SOURCE $(FW_ARCH) --specs=picolibc.specs -Os -g -ffunction-sections \
	-fdata-sections -fstack-usage -fcallgraph-info=su -I. -I$(MBEDTLS_DIR)/include \
	-DMBEDTLS_CONFIG_FILE='"$(BOARD)/mbedtls_config.h"' -MMD -MP
# The project's warning set for our code; mbedTLS is built as it ships.
FW_WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion \
	-Wformat=2 -Wvla -Werror

FW_MBEDTLS := aes asn1parse asn1write bignum constant_time ctr_drbg ecdsa ecp ecp_curves \
	hkdf md memory_buffer_alloc platform platform_util sha256
FW_OURS := $(wildcard card/core/*.c) $(wildcard card/carrier/*.c) $(wildcard common/*.c) $(wildcard $(BOARD)/*.c)

fw_obj = $(patsubst %.c,$(FW)/obj/%.o,$(1))
FW_OUR_OBJS := $(call fw_obj,$(FW_OURS))
FW_MBEDTLS_OBJS := $(patsubst %,$(FW)/obj/mbedtls/%.o,$(FW_MBEDTLS))

.PHONY: all
all: $(FW)/sigcard-card.elf $(FW)/sigcard-card.bin
	@scripts/firmware-footprint.sh $(FW)

$(FW)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC [arm] $<"
	@$(FW_CC) $(FW_CFLAGS) $(FW_WARN) -c -o $@ $<

$(FW)/obj/mbedtls/%.o: $(MBEDTLS_DIR)/library/%.c
	@mkdir -p $(@D)
	@echo "  CC [arm] mbedtls/$*.c"
	@$(FW_CC) $(FW_CFLAGS) -c -o $@ $<

# The library code goes in an archive, so only what the card calls is linked.
$(FW)/libfw.a: $(filter-out $(FW)/obj/$(BOARD)/%,$(FW_OUR_OBJS)) $(FW_MBEDTLS_OBJS)
	@rm -f $@
	@$(FW_AR) rcs $@ $^

$(FW)/sigcard-card.elf: $(filter $(FW)/obj/$(BOARD)/%,$(FW_OUR_OBJS)) $(FW)/libfw.a $(BOARD)/mps2-an385.ld
	@echo "  LD [arm] $@"
	@$(FW_CC) $(FW_ARCH) --specs=picolibc.specs -nostartfiles -T $(BOARD)/mps2-an385.ld \
		-Wl,--gc-sections -Wl,-Map=$(FW)/sigcard-card.map -o $@ \
		$(filter %.o,$^) $(FW)/libfw.a

$(FW)/sigcard-card.bin: $(FW)/sigcard-card.elf
	@$(FW_OBJCOPY) -O binary $< $@

-include $(shell find $(FW)/obj -name '*.d' 2>/dev/null)
