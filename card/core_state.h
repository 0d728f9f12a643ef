/* The card core's state: everything one card keeps in RAM, in one struct
 * its caller owns (card.h): the board keeps one static instance, the host
 * emulator one for its card, a test or a benchmark one per card. Its size
 * is what a card costs in RAM beyond the stack and mbedTLS's heap; `make
 * firmware` prints it. The fields are the core's own: a caller reads none
 * of them and only ever passes the struct to card.h's functions. */
#ifndef SC_CARD_CORE_STATE_H
#define SC_CARD_CORE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/hal.h"
#include "common/applet.h"
#include "common/scheme.h"
#include "common/tx.h"
#include "mbedtls/ctr_drbg.h"

#define CARD_TRANSPORT_KEY_LEN 16
#define CORE_PIN_MAX 8u
#define CORE_PRIVKEY_LEN 32u
#define CORE_CHAIN_MAX 512u   /* command data assembled from a chain */
/* An interface's command buffer (struct core_iface): an extended APDU with
 * CORE_CHAIN_MAX of data (4 + 3 + 512 + 2 bytes), rounded up. */
#define CORE_APDU_MAX 528u
/* Response data held for GET RESPONSE: the longest answer, SIGN's
 * (SC_SIGN_RESP_MAX, 114 bytes; GET DATA's enrolment record is 108), and
 * 14 bytes over it. Each byte counts three times on the board (each
 * interface's held response and the carriers' reply frame); an answer that
 * outgrows it is refused 6F00, never cut, and the asserts below fail the
 * build first for the two known ones. */
#define CORE_RESP_MAX 128u
_Static_assert(SC_SIGN_RESP_MAX <= CORE_RESP_MAX, "SIGN's answer must fit CORE_RESP_MAX");
_Static_assert(SC_CARD_ID_LEN + SC_PUBKEY_LEN + 1u + SC_ACCOUNT_MAX <= CORE_RESP_MAX,
	       "GET DATA's enrolment record must fit CORE_RESP_MAX");
#define CORE_CHALLENGE_LEN SC_CARD_CHALLENGE_LEN
#define CORE_IFACES 2u        /* contact, contactless */

/* Every persistent object of the card, committed together (store.c). */
struct core_persist {
	uint8_t lifecycle;                            /* enum core_lifecycle */
	uint8_t have;                                 /* CORE_HAVE_* */
	uint8_t transport_key[CARD_TRANSPORT_KEY_LEN]; /* zeroed at ISSUE */
	uint8_t card_id[SC_CARD_ID_LEN];
	uint8_t kcard[SC_KCARD_LEN];
	uint8_t pin_len;                              /* 4..8 */
	uint8_t pin[CORE_PIN_MAX];                    /* ASCII digits, zero-padded */
	uint8_t pin_tries;                            /* tries left, 0 = blocked */
	char account[SC_ACCOUNT_MAX + 1];             /* NUL-terminated */
	uint8_t privkey[CORE_PRIVKEY_LEN];            /* P-256 scalar, never leaves */
	uint8_t pubkey[SC_PUBKEY_LEN];                /* SEC1 uncompressed */
	uint32_t atc;                                 /* last ATC used; 0 = none yet */
};

/* store.c: the journal's RAM side. A flash slot holds a record (store.c's
 * layout: a 12-byte header, the payload, a CRC-32) rounded up to 16 bytes;
 * store.c builds and reads it on the stack. */
#define CORE_STORE_HDR 12u
#define CORE_STORE_PAYLOAD                                                              \
	(1u + 1u + CARD_TRANSPORT_KEY_LEN + SC_CARD_ID_LEN + SC_KCARD_LEN + 1u + CORE_PIN_MAX + \
	 1u + 1u + SC_ACCOUNT_MAX + CORE_PRIVKEY_LEN + SC_PUBKEY_LEN + 4u)
#define CORE_STORE_RECORD (CORE_STORE_HDR + CORE_STORE_PAYLOAD + 4u)
#define CORE_STORE_SLOT ((CORE_STORE_RECORD + 15u) / 16u * 16u)
/* One copy of the state in RAM: a transaction changes it in place, and an
 * abort reads the committed record back from flash (issue 16: a second,
 * working copy cost sizeof(struct core_persist) of the card's RAM). */
struct core_store {
	struct core_persist state;     /* committed, or being changed (store_begin) */
	bool open;                     /* store_begin called, no commit or abort yet */
	uint32_t seq;         /* of the committed record */
	uint32_t page_size, page_count, slots_per_page;
	uint32_t page, slot;           /* where the committed record lies */
	uint32_t next_page, next_slot; /* where the next record goes */
	bool mounted;         /* false: commits are refused */
};

/* An applet's transient memory for one interface, cleared on field reset
 * and on deselect (JavaCard's CLEAR_ON_DESELECT). */
struct core_session {
	uint8_t challenge[CORE_CHALLENGE_LEN]; /* from GET CHALLENGE, single use */
	bool challenge_valid;
	bool transport_ok;                     /* EXTERNAL AUTHENTICATE passed */
};

struct core_applet;

/* runtime.c: the APDU layer's state of one interface; all of it transient. */
struct core_iface {
	const struct core_applet *selected;   /* NULL: no applet selected */
	struct core_session session;          /* the selected applet's transient */
	bool chaining;                        /* a chain is being assembled */
	uint8_t chain_cla, chain_ins, chain_p1, chain_p2;
	size_t chain_len;
	/* The command buffer: the data of a chain so far in apdu[0..chain_len),
	 * and after it the window where a carrier that has no buffer of its own
	 * decodes the next C-APDU (card_apdu_window), so that a command is held
	 * once, not in a carrier's frame buffer and again here. */
	uint8_t apdu[CORE_APDU_MAX];
	size_t resp_len, resp_pos;            /* response data not yet delivered */
	uint16_t resp_sw;                     /* the SW to end it with */
	uint8_t resp[CORE_RESP_MAX];
};

/* confirm.c: claim 7's pending signature. */
struct core_confirm {
	uint8_t state;                /* enum confirm_state */
	uint8_t iface;                /* the interface that carried the SIGN */
	char jp[SC_JP_DIGITS];        /* the pending joint password */
	uint32_t atc;
	struct sc_tx tx;              /* what was signed, as shown */
	uint8_t pin[CORE_PIN_MAX];    /* digits typed so far */
	size_t pin_len;
	bool wrong;                   /* a wrong PIN was entered in this review */
	uint32_t since;               /* hal_tick_ms of the last event */
};

struct card_core {
	struct card_hal *hal;          /* the caller's, passed to every hal_* call */
	bool dead;                     /* power lost or boot failed (card.c) */
	uint32_t confirm_timeout_ms;   /* the board's setting: kept over card_boot */
	struct core_store store;       /* store.c */
	struct core_confirm cf;        /* confirm.c */
	struct core_iface ifs[CORE_IFACES]; /* runtime.c */
	uint8_t screen_id;             /* screen.c: which screen is up (the HAL keeps
					* the screen itself: what it draws) */
	mbedtls_ctr_drbg_context drbg; /* rng.c */
	bool drbg_ready;
};

#endif
