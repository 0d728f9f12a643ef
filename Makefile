# sigcard — build, test, demo. `make` builds build/bin/sigcard-{card,terminal,server};
# `make check` runs every test; `make demo` runs one payment end to end;
# `make install` / `make uninstall` (README "Building and testing").
# Only `make deps`, `demo`, `check`, `fuzz`, `bench`, `firmware` and
# `firmware-bench` run scripts/ensure-deps.sh (which apt-get installs
# scripts/packages.txt as root): they need tools beyond the libraries.
# `make`, `make install` and the rest never install anything: a missing
# library stops them with the pkg-config modules it lacks and the `make
# deps` hint.

VERSION := 0.1.0
# Install layout (make install / uninstall). SYSCONFDIR is where the units
# look for their environment files; UNITDIR, TMPFILESDIR and SYSUSERSDIR are
# systemd's search paths under PREFIX.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/sigcard
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DESTDIR ?=
SANITIZE ?=
FUZZ_SECONDS ?= 30
T ?=
# Warnings are errors in a development build (a git checkout) and only
# warnings in a release build (an unpacked tarball); WERROR=0 or 1 decides.
WERROR ?= $(if $(wildcard .git),1,0)

TOP_TARGETS := all check demo fuzz bench firmware-bench install uninstall card-freestanding firmware tests programs
# The goals that need more than the libraries (test tools, clang, the cross
# toolchain, curl and jq): for these the packages are checked, and installed
# as root, first.
DEPS_GOALS := demo check fuzz bench firmware-bench firmware

ifndef SC_DEPS_OK
# Outer make: check packages once where a goal needs them, then run the real
# build, once, with every goal given (so `make -j2 all tests` is one inner
# make, not two racing over the same archives), and with pkg-config flags
# that can now be computed.
INNER_GOALS := $(filter-out clean deps,$(or $(MAKECMDGOALS),all))
.PHONY: $(TOP_TARGETS) clean deps sc-inner
$(INNER_GOALS): sc-inner ; @:
sc-inner:
	@$(if $(filter $(DEPS_GOALS),$(INNER_GOALS)),scripts/ensure-deps.sh,:)
	@$(MAKE) --no-print-directory SC_DEPS_OK=1 $(INNER_GOALS)
deps:
	@scripts/ensure-deps.sh
clean:
	rm -rf build
Makefile: ;
else

ifeq ($(SANITIZE),)
BUILD := build
SAN_FLAGS :=
else
BUILD := build/san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

CC ?= cc
# The project's own flags stay apart from the builder's CPPFLAGS, CFLAGS and
# LDFLAGS, so that a packager's CFLAGS="-O2 -g -fstack-protector-strong"
# replaces only the default optimisation.
CFLAGS ?= -O2 -g
WERROR_FLAG := $(if $(filter 1,$(WERROR)),-Werror)
# The STYLE.md set, all of it: the tree builds with no warning.
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion \
	-Wformat=2 -Wvla $(WERROR_FLAG)
# cmocka's macros trip -Wconversion and tests define no prototypes: tests use
# the rest of the set.
TEST_WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 $(WERROR_FLAG)
SC_CFLAGS := -std=c11 -D_GNU_SOURCE -I. -MMD -MP -DSC_VERSION=\"$(VERSION)\"
BASE_CFLAGS := $(SC_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS)
LDFLAGS_ALL := $(LDFLAGS) $(SAN_FLAGS)

pc = $(shell pkg-config --$(1) $(2) 2>/dev/null)
# mbedTLS 2.28 ships no .pc on Debian 12; its headers are in /usr/include.
MBEDTLS_LIBS := -lmbedcrypto
CARD_PKGS := libpng libqrencode jansson libnfc libevent
SERVER_PKGS := libcrypto libssl libevent_openssl libevent libevent_pthreads sqlite3 libpq jansson
TERMINAL_PKGS := libcrypto libssl libevent libevent_pthreads zbar libpng libpcsclite libnfc jansson
# The server's PKCS#11 declarations (p11-kit's pkcs11.h): headers only, the
# token's module is loaded with dlopen at run time (server/p11.c).
SERVER_HEADER_PKGS := p11-kit-1
PROGRAM_PKGS := $(sort $(CARD_PKGS) $(SERVER_PKGS) $(TERMINAL_PKGS) $(SERVER_HEADER_PKGS))
ALL_PKGS := $(sort $(PROGRAM_PKGS) cmocka)
PKG_CFLAGS := $(call pc,cflags,$(PROGRAM_PKGS)) $(call pc,cflags,cmocka)

# A missing library stops the build here, by name, rather than as a missing
# header later; nothing is installed (that is `make deps`). The programs
# need PROGRAM_PKGS and mbedTLS's headers; the test programs cmocka too.
BUILD_GOALS := $(or $(MAKECMDGOALS),all)
NEEDED_PKGS := $(if $(filter all programs install tests check demo bench firmware-bench,$(BUILD_GOALS)),$(PROGRAM_PKGS)) \
	$(if $(filter tests check demo bench firmware-bench,$(BUILD_GOALS)),cmocka)
MISSING_PKGS := $(foreach m,$(NEEDED_PKGS),$(if $(shell pkg-config --exists $(m) && echo y),,$(m)))
ifneq ($(strip $(NEEDED_PKGS)),)
MISSING_PKGS += $(if $(shell echo '\#include <mbedtls/version.h>' | $(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 && echo y),,mbedtls(headers))
endif
# The screen's font file (the unifont package), converted at build time.
UNIFONT_HEX ?= /usr/share/unifont/unifont.hex
ifneq ($(filter $(CARD_PKGS),$(NEEDED_PKGS)),)
MISSING_PKGS += $(if $(wildcard $(UNIFONT_HEX)),,unifont($(UNIFONT_HEX)))
endif
ifneq ($(strip $(MISSING_PKGS)),)
$(error missing libraries (pkg-config modules): $(strip $(MISSING_PKGS)). On Debian 12, `make deps` (as root) installs scripts/packages.txt)
endif
CARD_LIBS := $(call pc,libs,$(CARD_PKGS)) $(MBEDTLS_LIBS) -lpthread
SERVER_LIBS := $(call pc,libs,$(SERVER_PKGS)) $(MBEDTLS_LIBS) -lpthread
TERMINAL_LIBS := $(call pc,libs,$(TERMINAL_PKGS)) $(MBEDTLS_LIBS) -lpthread
CMOCKA_LIBS := $(call pc,libs,cmocka)

# Sources. Each program folder: main.c is the program, the rest an archive
# that its tests link too.
COMMON_SRCS := $(wildcard common/*.c)
HOSTLIB_SRCS := $(wildcard hostlib/*.c)
# The card core and its carrier engine: the freestanding card code.
CORE_SRCS := $(wildcard card/core/*.c) $(wildcard card/carrier/*.c)
CARDHOST_SRCS := $(filter-out card/host/main.c,$(wildcard card/host/*.c))
SERVER_SRCS := $(filter-out server/main.c,$(wildcard server/*.c))
TERMINAL_SRCS := $(filter-out terminal/main.c,$(wildcard terminal/*.c))
SUPPORT_SRCS := $(wildcard tests/support/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBCOMMON := $(BUILD)/lib/libsccommon.a
LIBHOST := $(BUILD)/lib/libschost.a
LIBCORE := $(BUILD)/lib/libsccore.a
LIBCARDHOST := $(BUILD)/lib/libsccardhost.a
LIBSERVER := $(BUILD)/lib/libscserver.a
LIBTERMINAL := $(BUILD)/lib/libscterminal.a
LIBSUPPORT := $(BUILD)/lib/libscsupport.a

PROGRAMS := $(BUILD)/bin/sigcard-card $(BUILD)/bin/sigcard-terminal $(BUILD)/bin/sigcard-server

.PHONY: all programs tests check demo fuzz bench firmware-bench install uninstall card-freestanding firmware
.DEFAULT_GOAL := all
# Keep objects that pattern chains would otherwise delete as intermediate.
.SECONDARY:
all: programs
programs: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(WARN) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(TEST_WARN) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/obj/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(TEST_WARN) $(PKG_CFLAGS) -c -o $@ $<

define archive
$(1): $(call obj,$(2))
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(eval $(call archive,$(LIBCOMMON),$(COMMON_SRCS)))
$(eval $(call archive,$(LIBHOST),$(HOSTLIB_SRCS)))
$(eval $(call archive,$(LIBCORE),$(CORE_SRCS)))
$(eval $(call archive,$(LIBCARDHOST),$(CARDHOST_SRCS)))

# The emulator's screen font (card/host/font.c): GNU Unifont's 8x16 glyphs
# for ASCII, Latin-1 Supplement and Latin Extended-A, a C table generated
# under build/ (never committed). The card core's repertoire
# (card/core/repertoire.c) says which characters SIGN lets reach the
# screen; test_screen_png checks this font has a glyph for each.
FONT_RANGES := 0020-007E 00A0-017F
FONT_GEN := $(BUILD)/gen/font_glyphs.c
FONT_OBJ := $(BUILD)/obj/gen/font_glyphs.o
$(FONT_GEN): scripts/unifont-to-c.py $(UNIFONT_HEX)
	@mkdir -p $(@D)
	python3 scripts/unifont-to-c.py $(UNIFONT_HEX) $(FONT_RANGES) >$@.tmp
	mv $@.tmp $@
$(FONT_OBJ): $(FONT_GEN)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(WARN) -c -o $@ $<
$(LIBCARDHOST): $(FONT_OBJ)
# The programs' web pages (README "The card in a browser", "The terminal in
# a browser"): each page's
# files, and web/common's shared by every page, compiled in as a table of
# path, content type and bytes (hostlib/webpage.h) generated under build/.
# web_page NAME, DIRS, ARCHIVE: defines NAME[] and puts it in ARCHIVE.
define web_page
$(BUILD)/gen/$(1).c: scripts/file-to-c.py $$(wildcard $(addsuffix /*,$(2)))
	@mkdir -p $$(@D)
	python3 scripts/file-to-c.py --table $(1) $(2) >$$@.tmp
	mv $$@.tmp $$@
$(BUILD)/obj/gen/$(1).o: $(BUILD)/gen/$(1).c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$(WARN) -c -o $$@ $$<
$(3): $(BUILD)/obj/gen/$(1).o
endef
$(eval $(call web_page,card_web_assets,web/common web/card,$(LIBCARDHOST)))
$(eval $(call archive,$(LIBSERVER),$(SERVER_SRCS)))
$(eval $(call web_page,admin_web_assets,web/common web/admin,$(LIBSERVER)))
# The server's OpenAPI document (docs/openapi.json), served as is at
# /v1/openapi.json (server/http_api.c): a C array generated under build/.
OPENAPI_GEN := $(BUILD)/gen/openapi_json.c
OPENAPI_OBJ := $(BUILD)/obj/gen/openapi_json.o
$(OPENAPI_GEN): scripts/file-to-c.py docs/openapi.json
	@mkdir -p $(@D)
	python3 scripts/file-to-c.py docs/openapi.json srv_openapi_json >$@.tmp
	mv $@.tmp $@
$(OPENAPI_OBJ): $(OPENAPI_GEN)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(WARN) -c -o $@ $<
$(LIBSERVER): $(OPENAPI_OBJ)
$(eval $(call archive,$(LIBTERMINAL),$(TERMINAL_SRCS)))
$(eval $(call web_page,terminal_web_assets,web/common web/terminal,$(LIBTERMINAL)))
$(eval $(call archive,$(LIBSUPPORT),$(SUPPORT_SRCS)))

$(BUILD)/bin/sigcard-card: $(call obj,card/host/main.c) $(LIBCARDHOST) $(LIBCORE) $(LIBHOST) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CARD_LIBS)
$(BUILD)/bin/sigcard-server: $(call obj,server/main.c) $(LIBSERVER) $(LIBHOST) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SERVER_LIBS)
$(BUILD)/bin/sigcard-terminal: $(call obj,terminal/main.c) $(LIBTERMINAL) $(LIBHOST) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(TERMINAL_LIBS)

# Unit tests: tests/unit/GROUP/test_*.c, one program each; the other .c
# files in GROUP's folder are its support code. GROUP decides what it links.
define unit_group
$(1)_TESTS := $$(patsubst tests/unit/$(1)/%.c,$(BUILD)/tests/unit/$(1)/%,$$(wildcard tests/unit/$(1)/test_*.c))
$(1)_SUPPORT := $$(call obj,$$(filter-out tests/unit/$(1)/test_%,$$(wildcard tests/unit/$(1)/*.c)))
UNIT_TESTS += $$($(1)_TESTS)
$(BUILD)/tests/unit/$(1)/%: $(BUILD)/obj/tests/unit/$(1)/%.o $$($(1)_SUPPORT) $(2)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $(3) $$(CMOCKA_LIBS)
endef
UNIT_TESTS :=
$(eval $(call unit_group,common,$(LIBSUPPORT) $(LIBCOMMON),$(MBEDTLS_LIBS)))
$(eval $(call unit_group,hostlib,$(LIBHOST) $(LIBCOMMON),$(call pc,libs,libevent) $(MBEDTLS_LIBS)))
$(eval $(call unit_group,card,$(LIBSUPPORT) $(LIBCORE) $(LIBHOST) $(LIBCOMMON),$(CARD_LIBS) $(call pc,libs,libcrypto)))
# The core calls back into the host HAL, so the host archive comes again
# after it, and the core's carrier engine again after that.
$(eval $(call unit_group,cardhost,$(LIBCARDHOST) $(LIBCORE) $(LIBHOST) $(LIBCOMMON),$(LIBCARDHOST) $(LIBCORE) $(LIBHOST) $(LIBCOMMON) $(CARD_LIBS) $(call pc,libs,libcrypto zbar)))
$(eval $(call unit_group,server,$(LIBSERVER) $(LIBSUPPORT) $(LIBCORE) $(LIBHOST) $(LIBCOMMON),$(SERVER_LIBS)))
# terminal tests draw QR codes with libqrencode, independently of the card.
$(eval $(call unit_group,terminal,$(LIBTERMINAL) $(LIBSUPPORT) $(LIBHOST) $(LIBCOMMON),$(TERMINAL_LIBS) $(call pc,libs,libqrencode)))

# Helper programs the integration tests and benchmarks run (tests/tools/*.c,
# bench/*.c): each links everything, since each drives several parts.
TOOL_PROGS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
BENCH_PROGS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
ALL_LINK := $(LIBSERVER) $(LIBTERMINAL) $(LIBSUPPORT) $(LIBCORE) $(LIBHOST) $(LIBCOMMON)
ALL_LIBS := $(sort $(CARD_LIBS) $(SERVER_LIBS) $(TERMINAL_LIBS))
$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(ALL_LINK)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(ALL_LIBS)
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(ALL_LINK)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(ALL_LIBS)

# The emulated PN532 pair the NFC tests run libnfc against (tests/pn532sim/,
# part of the test tree, never installed).
PN532SIM := $(BUILD)/tests/pn532sim/pn532sim
$(PN532SIM): $(call obj,$(wildcard tests/pn532sim/*.c))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^

# server_load too: server_limits drives a bounded load with it.
tests: programs $(UNIT_TESTS) $(TOOL_PROGS) $(PN532SIM) $(BENCH_PROGS)

# Runs every unit and integration test (T=pattern picks by name, as
# scripts/run-tests.sh does: unit/GROUP/test_X, integration/NAME) and ends
# with "N passed, N failed". It builds only what the picked tests run: the
# unit programs picked; for any integration script, the programs, the
# test tools and the benchmarks (server_limits drives server_load); the
# firmware for the firmware_* scripts.
picked = $(if $(T),$(strip $(foreach n,$(1),$(if $(findstring $(T),$(n)),$(n)))),$(1))
CHECK_UNITS := $(call picked,$(patsubst $(BUILD)/tests/%,%,$(UNIT_TESTS)))
CHECK_SCRIPTS := $(call picked,$(patsubst tests/%.sh,%,$(filter-out tests/integration/lib.sh,$(wildcard tests/integration/*.sh))))
check: $(patsubst %,$(BUILD)/tests/%,$(CHECK_UNITS)) $(if $(CHECK_SCRIPTS),programs $(TOOL_PROGS) $(BENCH_PROGS) $(PN532SIM))
	@scripts/run-tests.sh $(BUILD) '$(T)'
# The firmware's tests (tests/integration/firmware_*.sh) need its image,
# built wherever the cross toolchain and QEMU are installed.
FW_TOOLS := $(shell command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null && echo yes)
ifneq ($(filter integration/firmware_%,$(CHECK_SCRIPTS)),)
ifneq ($(FW_TOOLS),)
check: firmware
endif
endif

# Fuzzing: tests/fuzz/fuzz_*.c, built with clang's libFuzzer, ASan and UBSan
# over the freestanding code; each runs FUZZ_SECONDS on its corpus.
# (tests/support also holds OpenSSL-based helpers: hence libcrypto.)
FUZZ_CC := clang
FUZZ_SRCS := $(COMMON_SRCS) $(CORE_SRCS) $(HOSTLIB_SRCS) $(SUPPORT_SRCS)
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -DSC_VERSION=\"$(VERSION)\"
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) $(wildcard common/*.h card/*.h card/core/*.h card/carrier/*.h tests/support/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRCS) $(MBEDTLS_LIBS) $(call pc,libs,libcrypto)
fuzz: $(FUZZ_TARGETS)
	@scripts/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# With the cross toolchain and QEMU, bench ends with firmware-bench: what
# one SIGN costs the firmware card per scheme, in instructions under QEMU's
# -icount and in ms at real boards' clocks (README "Firmware").
bench: programs $(BENCH_PROGS) $(if $(FW_TOOLS),firmware $(TOOL_PROGS))
	@scripts/run-bench.sh $(BUILD)
	$(if $(FW_TOOLS),@echo "== firmware_sign"; scripts/firmware-bench.sh $(BUILD))
firmware-bench: firmware programs $(TOOL_PROGS)
	@scripts/firmware-bench.sh $(BUILD)

demo: programs $(TOOL_PROGS)
	@scripts/demo.sh $(BUILD)

# The card core as Cortex-M3 images, one per board port (FW_BOARDS: the
# MPS2 AN385 as QEMU emulates it, and TI's EK-LM3S6965,
# docs/board-lm3s6965.md), with mbedTLS from Debian's source package
# (card/board/firmware.mk; README "Firmware"). Prints each footprint.
FW_BOARDS := mps2 lm3s6965
firmware:
	@scripts/fetch-mbedtls.sh >/dev/null
	@set -e; for b in $(FW_BOARDS); do \
		$(MAKE) --no-print-directory -f card/board/firmware.mk BOARD=$$b \
			MBEDTLS_DIR="$$(cat build/mbedtls/.fetched)"; \
	done

# The card core and the common code it uses, built as for a microcontroller:
# any symbol they need beyond hal_*, mbedtls_* and the mem*/str* builtins is
# an error.
card-freestanding:
	@scripts/check-freestanding.sh

# What `make install` lays out, and `make uninstall` takes away again: the
# programs, man pages by section, the docs, and the systemd units (made from
# dist/systemd/*.in with the install paths), tmpfiles.d and sysusers.d
# entries and the units' example environment files (dist/, README
# "Installing").
MAN_PAGES := $(wildcard docs/man/*.[1-8])
DOC_FILES := README.md docs/PROTOCOL.md docs/control-socket.md
UNIT_INS := $(wildcard dist/systemd/*.in)
UNIT_FILES := $(notdir $(UNIT_INS:.in=))
ENV_EXAMPLES := $(wildcard dist/env/*.env)
define man_dir
$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(1)))
endef
install: programs
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	$(foreach m,$(MAN_PAGES),install -d $(call man_dir,$(m)) && install -m 0644 $(m) $(call man_dir,$(m))/;)
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(ENV_EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -d $(DESTDIR)$(UNITDIR)
	$(foreach u,$(UNIT_INS),sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		$(u) >$(DESTDIR)$(UNITDIR)/$(notdir $(u:.in=)) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$(notdir $(u:.in=));)
	install -d $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0644 dist/tmpfiles.d/sigcard.conf $(DESTDIR)$(TMPFILESDIR)/sigcard.conf
	install -m 0644 dist/sysusers.d/sigcard.conf $(DESTDIR)$(SYSUSERSDIR)/sigcard.conf

# Folders are left where they may hold others' files; sigcard's own go.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(foreach m,$(MAN_PAGES),$(call man_dir,$(m))/$(notdir $(m)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(ENV_EXAMPLES)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNIT_FILES))
	rm -f $(DESTDIR)$(TMPFILESDIR)/sigcard.conf $(DESTDIR)$(SYSUSERSDIR)/sigcard.conf
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

endif
