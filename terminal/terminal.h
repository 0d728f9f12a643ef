/* sigcard-terminal's private header: every terminal/ file's prototypes,
 * grouped by file. The terminal is not freestanding: it does I/O through the
 * carriers (Unix socket, PC/SC), the camera (zbar), and the server client. */
#ifndef SC_TERMINAL_H
#define SC_TERMINAL_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <PCSC/winscard.h>
#include <nfc/nfc.h>
#include <openssl/evp.h>

#include "common/applet.h"
#include "common/keylist.h"
#include "common/scheme.h"
#include "common/tx.h"

/* --- errors.c: failure classes, one exit code each -------------------------
 *
 * Every terminal function returns 0 or the negative of one of these classes,
 * and leaves a message for a person in the error buffer of the object it
 * worked on. The program exits with the class number, so a script can tell
 * "the card was taken away" from "the server said no" without parsing text.
 * README.md and docs/man/sigcard-terminal.1 list them; keep all three equal. */
enum term_exit {
	TERM_EXIT_OK = 0,
	TERM_EXIT_FAILURE = 1,       /* a local failure outside the classes below */
	TERM_EXIT_USAGE = 2,         /* bad command line or option value */
	TERM_EXIT_CARD_ABSENT = 3,   /* no card in the reader (or no reader) */
	TERM_EXIT_CARD_REMOVED = 4,  /* the card left in the middle of a command */
	TERM_EXIT_CARD_ERROR = 5,    /* the card answered with an error or garbage */
	TERM_EXIT_CANCELLED = 6,     /* cancel, wrong PIN or timeout on the card: no password */
	TERM_EXIT_SERVER_UNREACHABLE = 7,
	TERM_EXIT_SERVER_REFUSED = 8, /* the server's code name is in the message */
	TERM_EXIT_BAD_RECEIPT = 9,   /* the server's receipt does not verify */
	TERM_EXIT_TLS = 10,          /* TLS with the server failed: its certificate, or ours */
};

#define TERM_ERR_MAX 1024

/* Formats a message into err (when err is not NULL) and returns -class. */
int term_errf(char *err, size_t cap, enum term_exit class, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int term_verrf(char *err, size_t cap, enum term_exit class, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* The name of a class ("card-absent", ...), for messages and the man page. */
const char *term_exit_name(int class_or_negative);
/* Milliseconds on a monotonic clock, for deadlines. */
int64_t term_now_ms(void);

/* --- carrier.c, carrier_unix.c, carrier_pcsc.c: ways to reach a card -------
 *
 * A carrier is one reader slot. Its spec names the kind:
 *   unix:PATH          the emulated card's contact (or contactless) socket,
 *                      framed as in common/frame.h
 *   pcsc:READER NAME   a PC/SC reader through pcscd (libpcsclite)
 *   nfc:CONNSTRING     a libnfc reader (e.g. nfc:pn532_uart:/dev/ttyUSB0); the
 *                      card is selected as an ISO 14443-4A target
 */
#define TERM_RAPDU_MAX (65536u + 2u)
#define TERM_ATR_MAX 33u
#define TERM_SPEC_MAX 512u

struct term_carrier;

struct term_carrier_ops {
	const char *kind;
	/* Powers the card up (a fresh session, nothing selected) and reads its
	 * ATR. */
	int (*power_on)(struct term_carrier *c, uint8_t *atr, size_t cap, size_t *atr_len);
	/* One C-APDU, one raw R-APDU (data + SW), no 61xx handling. */
	int (*transmit)(struct term_carrier *c, const uint8_t *capdu, size_t len,
			uint8_t *rapdu, size_t cap, size_t *rlen);
	/* The card leaves the reader: power down, let go of the slot. */
	int (*power_off)(struct term_carrier *c);
	/* 1 if a card is in the slot, 0 if not, or a negative class. */
	int (*present)(struct term_carrier *c);
	void (*close)(struct term_carrier *c);
};

struct term_carrier {
	const struct term_carrier_ops *ops;  /* NULL until opened */
	char spec[TERM_SPEC_MAX];            /* as given, for messages */
	int timeout_ms;                      /* per exchange */
	char err[TERM_ERR_MAX];              /* the last failure, for a person */
	/* unix: */
	char path[108];                      /* sun_path */
	int fd;                              /* -1 when not connected */
	/* pcsc: */
	char reader[256];
	SCARDCONTEXT pcsc_ctx;
	SCARDHANDLE pcsc_card;
	DWORD pcsc_proto;
	int pcsc_has_ctx, pcsc_connected;
	/* nfc: */
	char connstring[NFC_BUFSIZE_CONNSTRING];
	nfc_context *nfc_ctx;
	nfc_device *nfc_dev;
	nfc_target nfc_target;               /* the selected card */
	int nfc_selected;
};

/* Parses spec and readies the carrier; touches no device yet. A bad spec is
 * TERM_EXIT_USAGE. */
int term_carrier_open(struct term_carrier *c, const char *spec, int timeout_ms);
void term_carrier_close(struct term_carrier *c);
int term_carrier_power_on(struct term_carrier *c, uint8_t *atr, size_t cap, size_t *atr_len);
int term_carrier_power_off(struct term_carrier *c);
int term_carrier_present(struct term_carrier *c);
/* One command with the ISO 7816-4 follow-ups done here: 61xx is answered with
 * GET RESPONSE until the data is complete, 6Cxx by resending with Le = xx.
 * data/len receive the response data, sw the final status word. */
int term_carrier_apdu(struct term_carrier *c, const uint8_t *capdu, size_t len,
		      uint8_t *data, size_t cap, size_t *data_len, uint16_t *sw);

/* carrier_unix.c, carrier_pcsc.c, carrier_nfc.c */
extern const struct term_carrier_ops term_carrier_unix_ops;
extern const struct term_carrier_ops term_carrier_pcsc_ops;
extern const struct term_carrier_ops term_carrier_nfc_ops;
int term_unix_connect(const char *path, char *err, size_t cap);

/* --- camera.c, camera_file.c, camera_v4l2.c: frames decoded by zbar --------
 *   file:PATH        a PNG re-read on every frame (the emulated card's screen)
 *   v4l2:/dev/videoN a real camera through zbar's video support
 */
enum term_camera_kind { TERM_CAMERA_FILE = 1, TERM_CAMERA_V4L2 = 2 };

struct term_camera {
	enum term_camera_kind kind;
	char path[TERM_SPEC_MAX];
	int poll_ms;                 /* file: delay between two reads */
	void *scanner;               /* zbar_image_scanner_t */
	void *video;                 /* zbar_video_t (v4l2) */
	unsigned frames;             /* frames looked at so far */
	char err[TERM_ERR_MAX];
};

/* Parses spec and prepares the decoder (a v4l2 device is opened here, so a
 * missing camera is reported before the card is touched). */
int term_camera_open(struct term_camera *cam, const char *spec);
void term_camera_close(struct term_camera *cam);
/* Looks at frames until one holds the QR code of this card and ATC, and
 * copies its password into jp (NUL-terminated). QR codes of other cards or
 * other ATCs (a stale screen) are ignored. TERM_EXIT_CANCELLED at once when
 * the card shows its void QR for this ATC (cancel, confirmation timeout,
 * PIN blocked), or when timeout_ms passes first. */
int term_camera_wait_jp(struct term_camera *cam, const uint8_t card_id[SC_CARD_ID_LEN],
			uint32_t atc, int timeout_ms, char jp[SC_JP_DIGITS + 1]);
/* Decodes the QR codes in one grey (Y800) frame and returns 1 with jp set if
 * one matches, -TERM_EXIT_CANCELLED (cam->err says why) if the card's void
 * QR for this ATC is there, 0 if neither. Shared by both sources. */
int term_camera_scan_grey(struct term_camera *cam, const uint8_t *grey, unsigned width,
			  unsigned height, const uint8_t card_id[SC_CARD_ID_LEN], uint32_t atc,
			  char jp[SC_JP_DIGITS + 1]);
/* camera_file.c: reads a PNG as 8-bit grey into a malloc'd buffer. */
int term_png_read_grey(const char *path, uint8_t **grey, unsigned *width, unsigned *height,
		       char *err, size_t cap);
int term_camera_file_wait(struct term_camera *cam, const uint8_t card_id[SC_CARD_ID_LEN],
			  uint32_t atc, int timeout_ms, char jp[SC_JP_DIGITS + 1]);
/* camera_v4l2.c */
int term_camera_v4l2_open(struct term_camera *cam);
void term_camera_v4l2_close(struct term_camera *cam);
int term_camera_v4l2_wait(struct term_camera *cam, const uint8_t card_id[SC_CARD_ID_LEN],
			  uint32_t atc, int timeout_ms, char jp[SC_JP_DIGITS + 1]);

/* --- options.c: the command line of "pay" ---------------------------------- */
enum term_jp_source { TERM_JP_SCAN = 1, TERM_JP_CONTACTLESS = 2 };

#define TERM_DEFAULT_TIMEOUT_S 120

/* How the terminal speaks TLS to a HOST:PORT server: a folder from
 * `sigcard-server terminal enrol` (ca.pem, terminal.pem, terminal.key), or
 * the files one by one (they win over the folder's); or, loudly, not. */
struct term_tls_opts {
	const char *dir, *server_ca, *cert, *key;
	const char *server_name;   /* what the server's certificate must name */
	int insecure_plain_tcp;
};

struct term_pay_opts {
	uint64_t amount;                          /* minor units */
	uint16_t currency;                        /* ISO 4217 numeric */
	char currency_alpha[4];
	char payee[SC_ACCOUNT_MAX + 1];
	char payee_name[SC_PAYEE_NAME_MAX + 1];
	char terminal_id[SC_TERMINAL_ID_MAX + 1];
	uint8_t scheme;                           /* enum sc_scheme */
	enum term_jp_source jp_source;
	const char *card;                         /* carrier spec (contact) */
	const char *contactless;                  /* carrier spec, --jp contactless */
	const char *camera;                       /* camera spec, --jp scan */
	const char *server;                       /* unix:PATH or HOST:PORT */
	const char *receipt_key;                  /* PEM file, or NULL: ask the server */
	struct term_tls_opts tls;                 /* for a HOST:PORT server */
	int timeout_s;                            /* for the holder to confirm */
	int card_timeout_ms;                      /* per APDU */
	int retries;                              /* submission resends */
	int help;                                 /* --help was asked: nothing else parsed */
};

/* Parses the arguments after "pay" (argv[0] is "pay"). 0, or
 * -TERM_EXIT_USAGE with a message naming the option in err. */
int term_pay_opts_parse(struct term_pay_opts *o, int argc, char **argv, char *err, size_t cap);
void term_pay_usage(FILE *f);
/* unix:PATH or HOST:PORT (port 1..65535): 1 if s has that form. */
int term_server_spec_valid(const char *s);

/* --- card_session.c: the signature applet's commands (docs/PROTOCOL.md §5) -- */
#define TERM_GET_DATA_MAX 256u


/* Powers the card up and selects the signature applet. */
int term_card_start(struct term_carrier *c);
/* GET DATA of one tag (P1-P2) into out. */
int term_card_get_data(struct term_carrier *c, uint16_t tag, uint8_t *out, size_t cap,
		       size_t *len);
/* The card id and payer account, read before the transaction is built. */
int term_card_identity(struct term_carrier *c, uint8_t card_id[SC_CARD_ID_LEN],
		       char account[SC_ACCOUNT_MAX + 1]);
/* SIGN TRANSACTION over the canonical tx; checks the answer's shape
 * (X as long as the scheme says, a DER signature of plausible length). */
int term_card_sign(struct term_carrier *c, const uint8_t *tx, size_t tx_len, uint8_t scheme,
		   struct sc_sign_resp *out);
/* GET JOINT PASSWORD (contactless): 1 with jp set, 0 if the holder has not
 * confirmed yet (6985: ask again), -TERM_EXIT_CANCELLED if the card will
 * never release this password (6984: cancelled, wrong PIN too often, timed
 * out on the card, already read). */
int term_card_get_jp(struct term_carrier *c, char jp[SC_JP_DIGITS + 1]);

/* --- server_client.c: frames to and from sigcard-server ------------------- */
struct ssl_ctx_st;
struct ssl_st;
struct term_server {
	char spec[TERM_SPEC_MAX];  /* unix:PATH or HOST:PORT */
	int fd;                    /* -1 when not connected */
	int timeout_ms;            /* connect, and each exchange */
	char err[TERM_ERR_MAX];
	struct ssl_ctx_st *tls_ctx; /* TLS to a HOST:PORT server (tls.c), or NULL */
	struct ssl_st *ssl;        /* the connection's, while connected */
	char tls_name[256];        /* --server-name, or "": the spec's host */
};

/* Readies (does not connect) a server client; a bad spec is usage. */
int term_server_init(struct term_server *s, const char *spec, int timeout_ms);
/* Sends one message body and reads one back, connecting first if need be.
 * Any failure to connect, a lost connection, a timeout, or a malformed
 * frame drops the connection and is TERM_EXIT_SERVER_UNREACHABLE. */
int term_server_exchange(struct term_server *s, const uint8_t *req, size_t req_len,
			 uint8_t *resp, size_t cap, size_t *resp_len);
void term_server_close(struct term_server *s);
/* The TLS options against the server spec: HOST:PORT needs TLS files or
 * insecure_plain_tcp, unix:PATH takes neither. 0 or -TERM_EXIT_USAGE with
 * err. Reads no file: the option parsers call it. */
int term_tls_opts_valid(const char *spec, const struct term_tls_opts *o, char *err, size_t cap);
/* term_tls_opts_valid, then loads the files (tls.c). 0 or -TERM_EXIT_USAGE
 * with s->err. */
int term_server_tls_opts(struct term_server *s, const struct term_tls_opts *o);
/* Releases what term_server_init and term_server_tls_opts hold. */
void term_server_free(struct term_server *s);

/* --- tls.c: TLS on the server connection ----------------------------------- */
/* Loads the CA to pin, the terminal's certificate and key. 0 or -TERM_EXIT_USAGE. */
int term_tls_setup(struct term_server *s, const struct term_tls_opts *o);
/* The handshake on s->fd (connected), pinning the server's name (tls_name,
 * else host). 0, or a negative class with s->err (TERM_EXIT_TLS named). */
int term_tls_handshake(struct term_server *s, const char *host);
/* One frame out, one back over the TLS connection, within s->timeout_ms. */
int term_tls_exchange(struct term_server *s, const uint8_t *req, size_t req_len, uint8_t *resp,
		      size_t cap, size_t *resp_len);
void term_tls_close(struct term_server *s);
void term_tls_free(struct term_server *s);

/* --- receipt.c: the server's signed receipt -------------------------------- */
/* Reads the server's receipt public key: a PEM public key (SubjectPublicKeyInfo)
 * or the SEC1 uncompressed point as 130 hex digits. Must be P-256. */
int term_receipt_key_load(EVP_PKEY **key, const char *path, char *err, size_t cap);
int term_receipt_key_from_point(EVP_PKEY **key, const uint8_t *point, size_t len, char *err,
				size_t cap);
/* The receipt's seal (common/seal.h): the receipt folded up its path gives
 * the batch statement, and the seal's DER signature (ECDSA P-256, SHA-256)
 * must verify over it with key: 0 or -TERM_EXIT_BAD_RECEIPT. */
int term_receipt_verify(EVP_PKEY *key, const uint8_t *receipt, size_t len, const uint8_t *seal,
			size_t seal_len, char *err, size_t cap);
/* Whether a receipt names the key that sealed it (version 4): 1 with the
 * key id in id; 0 for versions 2 and 3, made with the issuer's first
 * receipt key before keys could change (check them with the pinned key). */
int term_receipt_names_key(const uint8_t *receipt, size_t len, uint8_t id[SC_KEY_ID_LEN]);
/* The id of a receipt public key (sc_seal_key_id). 0 or -TERM_EXIT_FAILURE. */
int term_receipt_key_id(EVP_PKEY *key, uint8_t id[SC_KEY_ID_LEN]);
/* The key with this id among the pinned key and its successors in the
 * issuer's key list (docs/PROTOCOL.md §6 "Receipt keys"): the list must
 * hold the pinned key, and every key after it must be signed by the one
 * before, else the list is refused; a key before the pinned one is never
 * taken. 0 with *key (the caller's), or -TERM_EXIT_BAD_RECEIPT. */
int term_receipt_key_from_list(EVP_PKEY **key, EVP_PKEY *pinned, const struct sc_keylist *list,
			       const uint8_t id[SC_KEY_ID_LEN], char *err, size_t cap);

/* --- pay.c: one payment, start to end -------------------------------------- */
/* What a finished payment hands back, for the front end to print. */
struct term_paid {
	struct sc_tx tx;
	uint8_t card_id[SC_CARD_ID_LEN];
	uint32_t atc;
	uint64_t transfer_id;
	uint64_t counter;              /* server receipt counter (of a decline's too) */
	int attempts;                  /* SUBMITs sent (all identical) */
};

/* The named steps of a payment, in order, as its progress lines carry
 * them (the daemon passes them on; the terminal's page follows them). A
 * line without a step is a note within the step under way. The password
 * comes by TERM_STEP_SCAN or TERM_STEP_READ, as the terminal is set. */
#define TERM_STEP_CHALLENGE "challenge"   /* the server's challenge */
#define TERM_STEP_SIGN "sign"             /* the card on the reader: pre-check, SIGN */
#define TERM_STEP_CARD_OFF "card-off"     /* signed; the card left the reader */
#define TERM_STEP_HOLDER "holder"         /* waiting for the holder's PIN and OK */
#define TERM_STEP_SCAN "scan"             /* the password scanned from the screen */
#define TERM_STEP_READ "read"             /* ... or read contactlessly */
#define TERM_STEP_SUBMIT "submit"         /* SUBMIT and the receipt's check */

/* Where progress lines go: stderr for the one-shot command, the client's
 * connection (and the page's watchers) for the daemon. line() gets one
 * line, without newline, and its step (TERM_STEP_*, or NULL). It may be
 * called from a worker thread. */
struct term_log {
	void (*line)(void *ctx, const char *step, const char *text);
	void *ctx;
};

/* Runs the whole flow of DESIGN.md §1 for o; progress goes to log (may be
 * NULL). 0 with *paid filled, or a negative class with a message in err. */
int term_pay_run(const struct term_pay_opts *o, struct term_paid *paid,
		 const struct term_log *log, char *err, size_t cap);
/* Prints the receipt as "key: value" lines. */
void term_paid_print(const struct term_paid *p, FILE *out);

/* --- daemon.c: the terminal as a daemon (libevent) ---------------------------
 * "sigcard-terminal daemon --socket PATH [-d] FIXED..." holds this terminal's
 * own options (card, server, terminal id, password source, receipt key) and
 * serves one payment at a time to front ends on a Unix socket (mode 0600).
 * Protocol, one JSON object per line:
 *   front end -> daemon  {"op":"pay","args":["--amount","12.34",...]}
 *   daemon -> front end  {"progress":"..."} lines, then one of
 *                        {"result":"ok","exit":0,"receipt":"key: value\n..."}
 *                        {"result":"error","exit":N,"class":"card-absent",
 *                         "message":"..."}
 * The args are the per-payment options of pay, parsed by the same code as the
 * one-shot command, so both accept and refuse exactly the same input. */
#define TERM_REQUEST_MAX 65536u

int term_daemon_main(int argc, char **argv);

/* --- daemon_web.c: the merchant's page (daemon --http) -----------------------
 * evhttp on the daemon's loop: the page (web/terminal, web/common compiled
 * in), POST /payments (a JSON object: amount, currency, payee, payee_name,
 * scheme; "Authorization: Bearer TOKEN") which starts a payment through
 * the daemon's own way in, and GET /events, Server-Sent Events:
 *   terminal  {"terminal_id":..., "jp":"scan"|"contactless", "busy":bool}
 *             (first, to every watcher)
 *   start     {"amount":"12.34 EUR", "payee":..., "payee_name":...,
 *              "scheme":..., "from":"page"|"socket"}
 *   step      a progress line as the Unix socket has it:
 *             {"progress":"...", "step":"challenge"}
 *   result    the result line as the Unix socket has it
 * A browser that connects mid-payment gets that payment's events so far.
 * Every error answer is JSON: {"result":"error", "class":..., "message":...}
 * (and "exit" for a payment's class); a busy terminal is 409. */
#define TERM_DAEMON_BUSY 1     /* job_start's answer while a payment runs */
struct term_web;
struct event_base;
struct json_t;
/* Starts a payment (the daemon's job_start for the page): 0,
 * TERM_DAEMON_BUSY or a negative class with err. */
typedef int (*term_web_start_fn)(void *ctx, struct json_t *args, char *err, size_t cap);
/* Listens on addr ([HOST:]PORT) and prints the page's address on stderr
 * (with the token when it was made here: token NULL). settings: the
 * daemon's own (terminal id, password source). NULL with *why. */
struct term_web *term_web_open(struct event_base *base, const char *addr, const char *token,
			       const struct term_pay_opts *settings, term_web_start_fn start,
			       void *ctx, const char **why);
/* A payment started (on the loop): its "start" event, the history reset. */
void term_web_started(struct term_web *w, const struct term_pay_opts *o, const char *from);
/* Posts one event (takes the reference to data) to every watcher; callable
 * from the worker thread: it is handed to the loop. */
void term_web_post(struct term_web *w, const char *event, struct json_t *data);
void term_web_close(struct term_web *w);
/* 1 if name is one of the options only the daemon sets (--card, ...). */
int term_option_is_fixed(const char *name);

/* daemon_client.c: the front end's side ("pay --daemon unix:PATH ..."). Returns
 * the exit status: the daemon's class, or TERM_EXIT_FAILURE if it cannot be
 * reached. */
int term_daemon_pay(const char *spec, int argc, char **argv);

/* --- unblock.c: deliver the issuer's PIN unblock (docs/PROTOCOL.md §6 "Issuer scripts") ---
 * "sigcard-terminal unblock --card CARRIER --server SPEC"; argv[0] is
 * "unblock". Returns the exit status. */
int term_unblock_main(int argc, char **argv);
void term_unblock_usage(FILE *f);
/* The exchange on a card already started (applet selected) and a ready
 * server client: 0 if the card took the issuer's script (9000, reported),
 * else a negative class with a message in err (-TERM_EXIT_SERVER_REFUSED
 * with NO_ISSUER_SCRIPT when nothing is approved). */
int term_unblock_deliver(struct term_carrier *card, struct term_server *server, char *err,
			 size_t cap);
/* 1 if the started card's PIN is blocked (GET DATA DF24 = 0), 0 if not,
 * or a negative class. */
int term_card_pin_blocked(struct term_carrier *card);
/* The receipt as text (term_paid_print into a malloc'd string), or NULL. */
char *term_paid_text(const struct term_paid *p);

#endif
