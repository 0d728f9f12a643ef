/* card/board/common/: the card core on a Cortex-M board, the part every
 * port shares (the main loop, the carriers, the PN532 driver, manufacture,
 * the entropy log, the UI events). A port (card/board/mps2/: ARM's MPS2
 * AN385 as QEMU emulates it; card/board/lm3s6965/: TI's EK-LM3S6965,
 * docs/board-lm3s6965.md) brings its own port.h (which UART is which, the
 * clock), startup, UARTs and panel; together they implement card/hal.h.
 * README.md "Firmware" describes the firmware. Prototypes are grouped by
 * file. */
#ifndef SC_BOARD_H
#define SC_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"

/* The board's card/hal.h instance. The flash, entropy log and display
 * behind it are the board's own (flash.c, entropy.c, ui.c): one card, as a
 * chip has. */
struct card_hal {
	struct card_core *card;   /* the card it serves */
};

/* --- the port's startup.c: the vector table and the clock. --- */

/* Sets the system clock to BOARD_SYSCLK_HZ (first thing at reset). */
void board_clock_start(void);
typedef void (*vector_fn)(void);
/* The linker script's top of the stack: the vector table's first word. */
extern uint32_t __stack_top[];

/* --- cortexm.c: reset, faults, SysTick. --- */

void Reset_Handler(void);
void board_fault_handler(void);
/* mbedTLS's exit (MBEDTLS_PLATFORM_EXIT_MACRO, mbedtls_config.h). */
void board_mbedtls_exit(int status) __attribute__((noreturn));
void SysTick_Handler(void);
/* Starts SysTick at 1 kHz from the system clock (BOARD_SYSCLK_HZ). */
void systick_start(void);
/* Milliseconds since SysTick started, wrapping at 2^32 (also the card's
 * hal_tick_ms). */
uint32_t board_tick_ms(void);
/* System clock periods (1/BOARD_SYSCLK_HZ) since SysTick started, wrapping
 * at 2^32 (172 s at 25 MHz): what a span of the card's work takes. Under
 * QEMU's -icount shift=0 one MPS2 period is 40 instructions
 * (scripts/firmware-bench.sh).
 * Call with interrupts enabled (it masks and unmasks them). */
uint32_t board_sysclk_ticks(void);
/* Sleeps until the next interrupt unless one of the UART rings holds data
 * (checked with interrupts masked, so no wake-up is lost). */
void board_idle(void);
/* Bytes of the stack never written since reset (the stack is painted at
 * reset): what was left at the deepest point reached so far. */
uint32_t board_stack_unused(void);
/* Bytes the linker script reserves for the stack. */
uint32_t board_stack_size(void);

/* The port's own: enum board_uart (which UART number is BOARD_UART_CONTACT,
 * the contact slot's frames; BOARD_UART_UI, the display model out and keys
 * in; BOARD_UART_CONTACTLESS, the PN532 (HSU) or bridged frames), and
 * BOARD_UARTS. */
#include "port.h"

/* --- the port's panel: the board's own display and keys, if it has them. --- */

/* Sets up the display and keys (after the UI UART is started). */
void board_panel_start(void);
/* Draws a screen the card shows (hal_display_show also sends it on the UI
 * UART). */
void board_panel_show(const struct card_screen *screen);
/* Takes the keys pressed since the last call and hands them to card. */
void board_panel_poll(struct card_core *card);

/* --- the port's uart.c: receive by interrupt into uart_ring.c's rings. --- */

void uart_start(enum board_uart u);
/* Moves what the UART holds into its ring while the ring has room (a full
 * ring leaves the bytes in the UART, so the sender waits or, on a line
 * without flow control, the UART overruns: uart_ring_lost). */
void uart_drain(enum board_uart u);
void uart_write(enum board_uart u, const void *buf, size_t n);

/* --- uart_ring.c: the receive rings, one per UART. --- */

/* Next received byte, or -1 if none is waiting. */
int uart_getc(enum board_uart u);
/* True if a ring holds bytes; call with interrupts masked (it also moves
 * what the UARTs hold into the rings). */
bool uart_rx_pending(void);
/* Receive overruns since reset, a byte lost each (ui.c's status reports
 * them; with the rings holding back, only a sender that cannot wait loses). */
uint32_t uart_rx_dropped(void);
void uart_puts(enum board_uart u, const char *s);
/* For uart_drain, in the interrupt: room for a byte? put one; count a lost one. */
bool uart_ring_room(enum board_uart u);
void uart_ring_put(enum board_uart u, uint8_t b);
void uart_ring_lost(enum board_uart u);
void UART0RX_Handler(void);
void UART1RX_Handler(void);
void UART2RX_Handler(void);

/* --- semihost.c: Arm semihosting calls, served by QEMU on the host. --- */

/* A host file opened for reading and writing ("r+b"): handle or -1. */
int semihost_open_rw(const char *path);
/* Reads or writes exactly n bytes at pos; 0 or -1. */
int semihost_pread(int fd, uint32_t pos, void *buf, uint32_t n);
int semihost_pwrite(int fd, uint32_t pos, const void *buf, uint32_t n);
/* Length of the open file, or -1. */
long semihost_flen(int fd);
/* The command line QEMU was given (-semihosting-config arg=...), NUL-
 * terminated in buf; 0 or -1. */
int semihost_cmdline(char *buf, size_t cap);
/* Writes a line to the debug console (QEMU's stderr). */
void semihost_log(const char *s);
/* Ends the emulation: status 0 or 1. */
void semihost_exit(int failed) __attribute__((noreturn));

/* --- flash.c: the board's flash (hal_flash_*) on a medium below. --- */

/* The image: BOARD_STORE_PAGES pages for the card's store (hal.h), then the
 * board's own pages: one manufacture page and two for the entropy log. */
#define BOARD_PAGE_SIZE 2048u
#define BOARD_STORE_PAGES 8u
#define BOARD_PAGE_MFG (BOARD_STORE_PAGES)
#define BOARD_PAGE_ENT0 (BOARD_STORE_PAGES + 1u)
#define BOARD_PAGE_ENT1 (BOARD_STORE_PAGES + 2u)
#define BOARD_PAGES (BOARD_STORE_PAGES + 3u)
#define BOARD_IMAGE_SIZE (BOARD_PAGES * BOARD_PAGE_SIZE)

/* Opens the medium (path: the image file, for flash_file.c); 0, or -1 with
 * *why set. */
int flash_open(const char *path, const char **why);
/* Raw access to any page of the image, for the board's own pages. Program
 * clears bits only (NOR semantics: new = old AND data). 0 or -1. */
int flash_read_abs(uint32_t page, uint32_t off, void *buf, uint32_t len);
int flash_program_abs(uint32_t page, uint32_t off, const void *buf, uint32_t len);
int flash_erase_abs(uint32_t page);
/* True if every byte of the card's store pages is erased. */
bool flash_store_blank(void);
/* Programs and erases so far, and power-cut injection (ui.c's "cut"): the
 * Nth write from now fails half done and every later one fails, as when
 * power is lost; the board then stops (QEMU exits) like a card losing power. */
unsigned long flash_writes(void);
void flash_cut_at(unsigned long n);
bool flash_power_lost(void);

/* --- the medium: flash_file.c (a host file through semihosting, in QEMU)
 * or the port's flash controller (its hw/ image). Positions are bytes from
 * the image's start; a program ANDs data into what is there (NOR); an erase
 * sets the page's first len bytes to 0xFF (len < BOARD_PAGE_SIZE: torn by
 * an injected cut; a controller erases whole pages or nothing). 0 or -1. */
int flash_medium_open(const char *path, const char **why);
int flash_medium_read(uint32_t pos, void *buf, uint32_t len);
int flash_medium_program(uint32_t pos, const void *buf, uint32_t len);
int flash_medium_erase(uint32_t page, uint32_t len);

/* --- mfg.c: the manufacture page, written by the host before first boot. --- */

/* Layout: "SCMFG001" (8) | transport key (16) | entropy seed (32) |
 * SHA-256 of the 56 bytes before it (32). */
#define MFG_MAGIC "SCMFG001"
#define MFG_SEED_LEN 32u
#define MFG_LEN (8u + CARD_TRANSPORT_KEY_LEN + MFG_SEED_LEN + 32u)
/* First boot: seeds the entropy log and formats the card under the
 * transport key, then erases the page (the key and seed then live only in
 * the card's store and the entropy log). 0 if the card is ready to boot. */
int mfg_first_boot(struct card_core *card);

/* --- entropy.c: hal_entropy as a forward-secure seed log. --- */

/* Finds the newest entropy state on flash; 0, or -1 if there is none. */
int entropy_mount(void);
/* Writes the first state, derived from the manufacture seed. 0 or -1. */
int entropy_install(const uint8_t seed[MFG_SEED_LEN]);

/* --- carrier.c: frames on UART0 (contact); UART2 (contactless) is a PN532
 * (pn532.c) or, for tests without a radio, frames bridged to a socket. --- */

/* The largest frame body a carrier takes is the card's command buffer,
 * CORE_APDU_MAX (an extended APDU with CORE_CHAIN_MAX of data), less a
 * chain in progress: a longer frame is read and discarded whole, and
 * answered 6700 (card/carrier/engine.h). */
/* Starts both UARTs' carriers, feeding card; pn532: UART2 drives a PN532
 * (pn532_start arms it once the card has booted). */
void carrier_start(struct card_core *card, bool pn532);
/* Serves every complete frame waiting on either carrier. */
void carrier_poll(void);
/* The longest any one frame took the card to act on (decode, the core's
 * command, encode the reply; not the UART's bytes), in system clock
 * periods, since the last call, which starts the next span: after a SIGN
 * session (SELECT, SIGN, GET RESPONSE, off) it is the SIGN's. */
uint32_t carrier_take_slowest_frame(void);
/* For the PN532 front end, the contactless engine: where a C-APDU is to
 * be received (the card's command buffer past a chain in progress, cap
 * bytes); serving a whole body there (a control code or a C-APDU; too_long:
 * it did not fit, refused 6700), the R-APDU's body and length back (NULL:
 * none, or power died in the command); the reader gone. */
uint8_t *carrier_nfc_window(size_t *cap);
const uint8_t *carrier_nfc_serve(const uint8_t *body, size_t len, bool too_long, size_t *rlen);
void carrier_nfc_leave(void);

/* --- pn532.c: an NXP PN532 on UART2 as the contactless front end. --- */

/* Wakes the chip and arms it as an ISO/IEC 14443-4A card (hal: for the
 * random UID). */
void pn532_start(struct card_core *card, struct card_hal *hal);
/* Takes the chip's bytes waiting on UART2, serves complete exchanges, and
 * resends or re-arms on a timeout. */
void pn532_poll(void);

/* --- ui.c: the display model and keypad on UART1. --- */

/* Serves the keys and commands waiting on UART1 (keys go to card). */
void ui_poll(struct card_core *card);
void ui_event(const char *json_fields);

#endif
