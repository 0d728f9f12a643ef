/* sigcard-card's private header: the emulator around the card core. Each
 * section is one file of card/host/; the core is reached only through
 * card/card.h, and this folder implements card/hal.h for it. */
#ifndef SC_CARD_HOST_H
#define SC_CARD_HOST_H

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "card/card.h"
#include "card/carrier/engine.h"
#include "common/frame.h"
#include "hostlib/frameio.h"  /* fio_*: frames and whole writes before a deadline */
#include "hostlib/webpage.h"  /* web_*: the card's page, its token and address */
#include "hostlib/log.h"      /* log_*, fatal: stderr with -d, syslog otherwise */
#include "hostlib/sock.h"     /* sock_*: the Unix listen policy */

/* --- flashfile.c: the card's flash as a file, with power-cut injection. --- */

/* Geometry of the image: FLASHFILE_PAGES pages of FLASHFILE_PAGE_SIZE bytes,
 * stored in page order, nothing else in the file (an erased byte is 0xFF). */
#define FLASHFILE_PAGE_SIZE 2048u
#define FLASHFILE_PAGES 64u
#define FLASHFILE_SIZE ((off_t)FLASHFILE_PAGE_SIZE * FLASHFILE_PAGES)

/* Opens an existing image read-write; 0, or -1 with *why set to a message
 * (missing, wrong size, not a regular file, I/O error). */
int flashfile_open(const char *path, const char **why);
/* Creates a new image at path: a fully erased image in a temporary file of
 * the same folder, which then becomes the open flash so card_factory_init()
 * can run on it; flashfile_commit_new() then moves it into place. Refuses
 * if path already exists. 0 or -1 with *why. */
int flashfile_create(const char *path, const char **why);
int flashfile_commit_new(const char **why);
/* Drops the temporary image after a failed creation. */
void flashfile_abort_new(void);
void flashfile_close(void);

/* Power-cut injection. flashfile_cut_at(0): power is lost now; N >= 1: at
 * the Nth program or erase from now. The write that meets the cut is torn
 * (only the first half of its bytes reach the image) and fails; from then
 * on every flash call fails until flashfile_power_restore(). */
void flashfile_cut_at(unsigned long n);
void flashfile_cut_cancel(void);
int flashfile_power_lost(void);
void flashfile_power_restore(void);
/* Programs and erases applied since the image was opened. */
unsigned long flashfile_writes(void);
/* 0 when no cut is armed, else writes left until it (1 = the next one). */
unsigned long flashfile_cut_pending(void);

/* --- entropy.c: hal_entropy from getrandom, or from a test seed; the
 * clock. --- */

#define ENTROPY_SEED_MAX 64u
/* From now on hal_entropy returns SHA-256(seed || counter) blocks: the same
 * seed gives the same card (keys, JPs). For tests only. 0 or -1 (length). */
int entropy_set_seed(const uint8_t *seed, size_t len);
/* Milliseconds of the monotonic clock, wrapping at 2^32: the card's
 * hal_tick_ms, and the daemon's own timers. */
uint32_t host_tick_ms(void);

/* --- font.c: GNU Unifont's 8x16 glyphs (generated into build/). --- */

#define FONT_W 8
#define FONT_H 16
struct font_glyph {
	uint32_t cp;              /* Unicode code point */
	uint8_t rows[FONT_H];     /* top row first; bit 7 = leftmost pixel */
};
/* The generated table (scripts/unifont-to-c.py), sorted by cp. */
extern const struct font_glyph font_glyphs[];
extern const size_t font_glyph_count;
/* The rows of cp's glyph, or NULL if the font has none. */
const uint8_t *font_glyph(uint32_t cp);

/* --- raster.c: the screen model drawn into a grey image. --- */

struct raster {
	uint32_t w, h;       /* pixels */
	uint8_t *px;         /* w*h bytes, 0 = black, 255 = white; owned */
};
/* Draws title, lines and QR (libqrencode) of s into r (which it allocates;
 * raster_free releases it). Each character is its font glyph; one the font
 * lacks, or a byte that is not UTF-8, is a hollow box that no character
 * looks like (SIGN lets no such text reach the screen: card/core's
 * repertoire). 0, or -1 if memory or the QR encoder failed. */
int raster_screen(struct raster *r, const struct card_screen *s);
void raster_free(struct raster *r);
/* Text cells a UTF-8 string takes (one per character, or per bad byte). */
size_t raster_text_cells(const char *s);
/* The glyph rows drawn for the first character of s (s not empty). */
const uint8_t *raster_glyph_of(const char *s);

/* --- qr.c: a QR code as a module matrix, quiet zone included. --- */

struct qr_modules {
	uint32_t size;       /* modules per side, quiet zone included */
	uint8_t *dark;       /* size*size bytes, 1 = dark; owned */
};
int qr_modules_make(struct qr_modules *q, const char *payload);
void qr_modules_free(struct qr_modules *q);
#define QR_QUIET_ZONE 4u   /* modules of white around the code, as ISO 18004 asks */

/* --- pngfile.c: an image written as PNG, atomically. --- */

/* Writes r to path as an 8-bit greyscale PNG with af_write's rules
 * (hostlib/atomicfile.h): a reader never sees half a file, and a path that
 * is not a regular file is refused. 0 or a negative af_err. */
int pngfile_write(const char *path, const struct raster *r);

/* --- display.c: hal_display_show and who watches the screen. --- */

/* Where the screen goes besides the core's model: a PNG path (or NULL) and
 * the terminal window (tty.c) when on. */
void display_init(const char *png_path, int tty);
/* The last screen the core showed, and a counter bumped on every change. */
const struct card_screen *display_current(void);
/* Shows the last screen again, where display_init has just sent it (the
 * core keeps no copy to show again: card.h). */
void display_redraw(void);
unsigned long display_serial(void);
/* The outcome of the last PNG write: 0 or a negative af_err. */
int display_png_status(void);
/* "idle", "on_reader", "review", "pin_wrong", "password", "cancelled",
 * "timeout", "pin_blocked", "released"; "unknown" otherwise. */
const char *display_screen_name(unsigned id);
/* The id for a name, or -1. */
int display_screen_id(const char *name);
/* The screen model as JSON, the control socket's form
 * (docs/control-socket.md): {id, name, title, lines, qr}; a new reference,
 * or NULL if out of memory. */
typedef struct json_t json_t;
json_t *display_screen_json(const struct card_screen *s);

/* --- tty.c: the card's own terminal window: screen and keypad. --- */

/* Puts the terminal on fd in raw mode (restored by tty_close, also at exit);
 * 0 or -1. */
int tty_open(int fd);
void tty_close(void);
int tty_active(void);
/* 1 if fd is a terminal and this process is its foreground job (not a job
 * started with & or put in the background): only then may the card use
 * the terminal without being stopped by SIGTTIN/SIGTTOU. */
int tty_is_foreground(int fd);
/* Draws s, unless the card is in the background (it is drawn again by
 * tty_poll once the card is back in the foreground). */
void tty_draw(const struct card_screen *s);
/* Called from the main loop: takes the window up again when the card
 * comes back to the terminal's foreground. */
void tty_poll(void);
/* Reads what is waiting on the terminal and turns it into card keys; -1 on
 * end of input (the window closed). */
int tty_on_readable(void);
/* Keypad bytes to a card key: digits, Enter = OK, Esc = Cancel, Backspace
 * (DEL or ^H); 0 for bytes that are no key. Exposed for tests. */
int tty_key_for_byte(unsigned char b);

/* --- evloop.c: the event loop, calling back per file descriptor. --- */

typedef void (*evloop_cb)(int fd, short revents, void *arg);
/* events and revents are POLLIN/POLLOUT; a hang-up or error comes as
 * whatever was asked for, and the read or write then says what it is.
 * evloop_add: 0, or -1 if the table (EVLOOP_MAX) is full. */
#define EVLOOP_MAX 32
int evloop_add(int fd, short events, evloop_cb cb, void *arg);
/* events 0 parks fd (kept in the table, not watched). */
void evloop_set_events(int fd, short events);
void evloop_del(int fd);
/* One wait of at most timeout_ms, then the callbacks of what became
 * ready; -1 if the loop failed. */
int evloop_once(int timeout_ms);
/* The libevent base under the loop, for evhttp (web.c); NULL if it could
 * not be made. */
struct event_base *evloop_base(void);
/* After daemon()'s fork: the child's base set up again. */
void evloop_after_fork(void);

/* --- keypad.c: the one way a key reaches the card (terminal window,
 * control socket, web page). --- */

/* The card key for a name: "0"-"9"; "K"/"OK"/"ENTER", "C"/"CANCEL"/"ESC",
 * "B"/"BACKSPACE" (any case); 0 for anything else. */
int keypad_key_for_name(const char *name);
/* Presses key on the card, then handles a power cut it caused. */
void keypad_press(int key);

/* --- carrier.c: one frame stream to the card (a slot client or vpcd),
 * the socket around the card's carrier engine (card/carrier/engine.h). --- */

struct carrier {
	const char *name;          /* for logs: "contact", "vpcd", ... */
	int fd;                    /* -1 when no peer */
	int quickack;              /* set TCP_QUICKACK before each read (vpcd) */
	struct card_carrier eng;   /* frames, control codes, the rule for bad ones */
	uint8_t body[SC_FRAME_MAX_BODY];                  /* one incoming frame */
	uint8_t reply[SC_FRAME_HDR + SC_FRAME_MAX_BODY];  /* the card's answer */
};
void carrier_init(struct carrier *c, const char *name, enum card_iface iface);
/* Takes over a connected fd (made non-blocking): a new session. */
void carrier_attach(struct carrier *c, int fd);
/* Closes the peer; if it had powered the card, that is the field going off. */
void carrier_detach(struct carrier *c, const char *why);
/* Reads what is there, serves every complete frame and sends the answers
 * (a malformed frame is answered as engine.h says, and logged). 0, or -1
 * when the peer must be dropped (closed, write failure, power cut): the
 * caller then calls carrier_detach. */
int carrier_on_readable(struct carrier *c, const char **why);

/* --- slot.c: the contact and contactless Unix sockets. --- */

/* Listens at path for iface; one client at a time. 0 or -1 with *why. */
int slot_open(enum card_iface iface, const char *path, const char **why);
void slot_close_all(void);
/* Drops every slot client (power loss). */
void slot_drop_clients(const char *why);
/* 1 if a client holds the slot of iface (never for a slot not opened). */
int slot_busy(enum card_iface iface);
#define SLOT_IDLE_DEFAULT_S 300u
#define SLOT_IDLE_MAX_S 86400u
/* Readers silent for this long are dropped (--reader-idle-timeout). */
void slot_set_idle_timeout(uint32_t seconds);
/* Drops the readers idle past the limit; ms until the next may be, or -1. */
int slot_tick(void);

/* --- vpcd.c: the card as a client of pcscd's vpcd reader driver. --- */

/* Connects (and keeps reconnecting, with backoff) to host:port. */
int vpcd_start(const char *host, uint16_t port, enum card_iface iface, const char **why);
/* Called from the main loop: retries a due reconnect; returns the ms until
 * the next retry, or -1 if none is due. */
int vpcd_tick(void);
void vpcd_drop(const char *why);
void vpcd_stop(void);
/* "HOST:PORT", "PORT" or "HOST" into its parts (default 127.0.0.1:35963). */
#define VPCD_DEFAULT_HOST "127.0.0.1"
#define VPCD_DEFAULT_PORT 35963u
int vpcd_parse_addr(const char *s, char *host, size_t host_cap, uint16_t *port);

/* --- nfc_target.c: the contactless interface on a PN532 through libnfc. --- */

/* Opens the libnfc device at connstring (for example pn532_uart:/dev/ttyUSB0)
 * for ISO 14443-4A card emulation; 0 or -1 with *why. */
int nfc_target_open(const char *connstring, const char **why);
/* Starts serving readers (after any fork); 0 or -1 with *why. */
int nfc_target_run(const char **why);
/* Drops the current reader (power loss). */
void nfc_target_drop(const char *why);
void nfc_target_close(void);

/* --- control.c: the automation socket (docs/control-socket.md). --- */

int control_open(const char *path, const char **why);
void control_close(void);
/* Answers pending waits whose screen appeared or whose time ran out;
 * returns ms until the nearest deadline, or -1. */
int control_tick(void);
/* Called on every screen change: a waiter for that screen is answered at
 * the next control_tick() even if the screen changes again before it. */
void control_on_screen(const struct card_screen *s);
/* Handles one request line and writes the JSON reply (NUL-terminated) into
 * out. Returns 1 if the reply is final, 0 if the request waits for a screen
 * (then *wait_id and *wait_ms are set), -1 if the client must be dropped
 * after the reply. Exposed for tests. */
int control_handle_line(const char *line, char *out, size_t cap, int *wait_id, int *wait_ms);

/* --- web.c: the card in a browser (--http): its screen live and its
 * keypad, one page compiled in from web/card/ (README "The card in a
 * browser"). --- */

/* Listens on addr ("[HOST:]PORT", 127.0.0.1 by default) on the loop's
 * libevent base. token: the keypad's token (NULL: a random one is made).
 * Prints the page's address on stderr (with the random token in it).
 * 0 or -1 with *why. */
int web_open(const char *addr, const char *token, const char **why);
void web_close(void);
/* The screen changed: pushed to every browser watching. */
void web_on_screen(void);
/* Called from the main loop: pushes a change of the readers present. */
void web_tick(void);

/* --- ctl_client.c: `sigcard-card ctl`, a client of the control socket. --- */

/* The ctl command (argv from the word "ctl" on): one request to the socket
 * of --control, the answer printed. Returns the exit status: 0 the card
 * answered ok, 1 an error answer or no card, 2 usage. */
int ctl_main(int argc, char **argv);

/* --- screen_png.c: `sigcard-card screen-png`, the firmware's screen
 * (its UART1 lines on stdin) drawn into the emulator's PNG. --- */

/* argv from the word "screen-png" on. Returns the exit status: 0 at the
 * end of the input, 1 if a screen event could not be drawn, 2 usage. */
int screen_png_main(int argc, char **argv);

/* --- power.c: the emulated card, and what a power loss or reset does to
 * it. --- */

/* The emulator's card/hal.h instance. The flash file, entropy source and
 * screen behind it are this process's (flashfile.c, entropy.c,
 * display.c): one card per emulator. */
struct card_hal {
	struct card_core *card;   /* the card it serves */
};
/* The emulator's one card, its state owned here (set up before first use). */
struct card_core *host_card(void);

/* The card loses power (all peers dropped: the readers see the card go) and
 * boots again from flash, which recovers the store. */
void power_cycle(const char *why);
/* Called after every call into the core: if the flash saw a power cut,
 * power_cycle() now. Returns 1 if it did. */
int power_check(void);
unsigned long power_boots(void);
/* 1 while power_cycle() runs or the daemon stops: peers dropped then are
 * not a field-off for the core. */
int power_cycling(void);
void power_stopping(void);

/* --- perso.c: the issuer's personalisation run (the personalise command). --- */

struct perso_job;   /* opaque: what the perso and PIN files said */
/* Parses `personalise` and its options (argv from the word on) and reads
 * and checks the perso and PIN files, before any flash is touched. Returns
 * a job, or NULL after printing why (*status: the exit status). */
struct perso_job *perso_load(int argc, char **argv, int *status);
/* Runs the job on the open flash and writes the enrolment record; wipes
 * and frees the job. Returns the exit status. */
int perso_apply(struct perso_job *job, const uint8_t transport_key[CARD_TRANSPORT_KEY_LEN]);
/* export-record: parses its options (argv from the word on); 0, or 2 after
 * printing the usage. */
int perso_export_load(int argc, char **argv);
/* Writes the enrolment record of the issued card on the open flash again,
 * in personalise's format, from its public data (GET DATA card id, public
 * key, account), to --export or stdout: for a card whose record was lost
 * (a cut between ISSUE and the export). Returns the exit status. */
int perso_export_apply(void);

/* --- keys.c: secrets read from files (hostlib/privfile.h's policy). --- */

/* The transport key from a 0600 file holding 32 hex digits (whitespace
 * around them allowed). 0 or -1 with *why. */
int keys_transport_from_file(const char *path, uint8_t key[CARD_TRANSPORT_KEY_LEN],
			     const char **why);
/* The well-known test transport key (docs: README "sigcard-card"). */
extern const uint8_t keys_test_transport[CARD_TRANSPORT_KEY_LEN];

/* --- run.c: the daemon's main loop. --- */

/* Set from signal handlers: stop at the next turn of the loop. */
extern volatile sig_atomic_t run_stop_requested;
int run_loop(void);

#endif
