/* The card↔terminal protocol of the signature applet (docs/PROTOCOL.md §5),
 * in one place for the card core, the card host, the terminal and the
 * tests: the AID, class and instruction bytes, the data object tags, the
 * issuer MAC labels, and the three formats the card produces for the
 * terminal (the SIGN TRANSACTION response, the password QR payload and the
 * void QR payload), each with its encoder and its strict decoder. Freestanding: no allocation, no I/O. */
#ifndef SC_APPLET_H
#define SC_APPLET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scheme.h"

/* The applet's AID: F0 (proprietary RID) "SIG" "CARD" 01. */
#define SC_AID_LEN 9u
extern const uint8_t sc_applet_aid[SC_AID_LEN];

/* Classes: interindustry, proprietary, and the command-chaining bit. */
#define SC_CLA_ISO 0x00u
#define SC_CLA_PROPRIETARY 0x80u
#define SC_CLA_CHAINING 0x10u

/* Instructions. The runtime's own two: */
#define SC_INS_SELECT 0xA4u
#define SC_INS_GET_RESPONSE 0xC0u
/* The applet's, with the class each is sent under: */
#define SC_INS_GET_CHALLENGE 0x84u          /* 00 */
#define SC_INS_GET_DATA 0xCAu               /* 00 */
#define SC_INS_EXTERNAL_AUTHENTICATE 0x82u  /* 80 */
#define SC_INS_PUT_DATA 0xDAu               /* 80 */
#define SC_INS_GENERATE_KEY_PAIR 0x47u      /* 80 */
#define SC_INS_ISSUE 0x44u                  /* 80 */
#define SC_INS_SIGN_TRANSACTION 0x2Au       /* 80 */
#define SC_INS_GET_JOINT_PASSWORD 0x4Au     /* 80 */
#define SC_INS_RESET_RETRY_COUNTER 0x2Cu    /* 80 */
#define SC_INS_BLOCK_CARD 0x16u             /* 80 */

/* SELECT by DF name (P1), first or only occurrence with FCI (P2 00) or
 * without (P2 0C). */
#define SC_P1_SELECT_BY_NAME 0x04u
#define SC_P2_SELECT_FCI 0x00u
#define SC_P2_SELECT_NO_FCI 0x0Cu
/* EXTERNAL AUTHENTICATE's P2: the transport key. */
#define SC_P2_TRANSPORT_KEY 0x01u

/* GET DATA (DF20-DF26) and PUT DATA (DF20, DF25, DF28, DF29) tags, as P1-P2. */
#define SC_TAG_CARD_ID 0xDF20u
#define SC_TAG_PUBKEY 0xDF21u
#define SC_TAG_ATC 0xDF22u
#define SC_TAG_LIFECYCLE 0xDF23u
#define SC_TAG_PIN_TRIES 0xDF24u
#define SC_TAG_ACCOUNT 0xDF25u
#define SC_TAG_ENROLMENT 0xDF26u
#define SC_TAG_KCARD 0xDF27u     /* K_card in the clear: refused since perso v2 */
#define SC_TAG_PIN 0xDF28u       /* write-only */
#define SC_TAG_KCARD_WRAPPED 0xDF29u /* write-only: wrap(KEK, K_card), common/keywrap.h */

/* The lifecycle byte of GET DATA DF23. */
#define SC_LIFECYCLE_PERSONALISING 0x01u
#define SC_LIFECYCLE_ISSUED 0x02u
#define SC_LIFECYCLE_BLOCKED 0x03u

/* GET CHALLENGE's answer, and the issuer MACs over it:
 * HMAC-SHA256(key, label [|| card id] || challenge). */
#define SC_CARD_CHALLENGE_LEN 16u
#define SC_ISSUER_MAC_LEN 32u
#define SC_LABEL_TRANSPORT "sigcard/transport/v1"
#define SC_LABEL_UNBLOCK "sigcard/unblock/v1"
#define SC_LABEL_BLOCK "sigcard/block/v1"

/* --- The SIGN TRANSACTION response: C1 04 ATC | C2 len X | C3 len DER --- */

#define SC_SIGN_TAG_ATC 0xC1u
#define SC_SIGN_TAG_X 0xC2u
#define SC_SIGN_TAG_SIG 0xC3u
#define SC_SIGN_SIG_MIN 8u  /* a DER SEQUENCE of two INTEGERs is at least this */
#define SC_SIGN_RESP_MAX (2u + 4u + 2u + SC_X_MAX + 2u + SC_ECDSA_DER_MAX)

struct sc_sign_resp {
	uint32_t atc;                    /* the ATC the card spent on this signature */
	uint8_t x[SC_X_MAX];             /* C or D (claims 4 and 6) */
	size_t x_len;                    /* 16 or 32 */
	uint8_t sig[SC_ECDSA_DER_MAX];   /* DER ECDSA signature of the signed data */
	size_t sig_len;                  /* SC_SIGN_SIG_MIN..SC_ECDSA_DER_MAX */
};

/* Appends the response to w; a field outside its range sets w->err to
 * SC_ERR_LENGTH (and the sticky writer then writes nothing more). */
void sc_sign_resp_put(struct sc_writer *w, const struct sc_sign_resp *r);
/* Decodes exactly one response: the three items in that order, X of 16 or
 * 32 bytes, a signature of SC_SIGN_SIG_MIN..SC_ECDSA_DER_MAX bytes that
 * starts a DER SEQUENCE (30), nothing after. 0, or SC_ERR_TRUNCATED /
 * SC_ERR_BAD_TAG / SC_ERR_LENGTH / SC_ERR_BAD_VALUE / SC_ERR_TRAILING with
 * *r zeroed. Whether X fits the transaction's scheme is the caller's check. */
int sc_sign_resp_decode(struct sc_sign_resp *r, const uint8_t *in, size_t len);

/* --- The password QR payload: "SIGCARD1:<card id>:<ATC>:<JP>" ---
 * card id: 16 hex digits (the card writes lowercase; either case is read);
 * ATC: decimal, 1-10 digits, no leading zero, at most 2^32 - 1; JP: 8 digits. */

#define SC_QR_PREFIX "SIGCARD1:"
#define SC_QR_MAX (sizeof SC_QR_PREFIX - 1u + 2u * SC_CARD_ID_LEN + 1u + 10u + 1u + SC_JP_DIGITS)

struct sc_qr {
	uint8_t card_id[SC_CARD_ID_LEN];
	uint32_t atc;
	char jp[SC_JP_DIGITS + 1];       /* NUL-terminated; a secret: wipe after use */
};

/* Writes the payload and a NUL into out; returns its length (without the
 * NUL), or SC_ERR_BAD_VALUE if q->jp is not 8 digits. */
int sc_qr_encode(char out[SC_QR_MAX + 1], const struct sc_qr *q);
/* Decodes payload[0..len) (no NUL needed), which must be exactly the form
 * above. 0, or SC_ERR_BAD_VALUE with *q zeroed. */
int sc_qr_decode(struct sc_qr *q, const char *payload, size_t len);

/* --- The void QR payload: "SIGVOID1:<card id>:<ATC>:<reason>" ---
 * What the card's CANCELLED, TIMEOUT and PIN_BLOCKED screens show, so that
 * a scanning terminal stops at once instead of waiting out its timeout.
 * card id and ATC as in the password QR; reason: one of the words below.
 * Its own prefix: a decoder of the password QR (sc_qr_decode) refuses it. */

#define SC_VOID_QR_PREFIX "SIGVOID1:"
#define SC_VOID_QR_MAX (sizeof SC_VOID_QR_PREFIX - 1u + 2u * SC_CARD_ID_LEN + 1u + 10u + 1u + 11u)

enum sc_void_reason {
	SC_VOID_CANCELLED = 1,    /* "cancelled": the holder pressed Cancel */
	SC_VOID_TIMEOUT = 2,      /* "timeout": no key within the confirmation timeout */
	SC_VOID_PIN_BLOCKED = 3,  /* "pin-blocked": the last PIN try was wrong */
};

struct sc_void_qr {
	uint8_t card_id[SC_CARD_ID_LEN];
	uint32_t atc;                    /* the ATC of the signature now void */
	enum sc_void_reason reason;
};

/* The reason's word in the payload ("cancelled", "timeout", "pin-blocked"),
 * or NULL for a value outside the enum. */
const char *sc_void_reason_word(enum sc_void_reason reason);
/* Writes the payload and a NUL into out; returns its length (without the
 * NUL), or SC_ERR_BAD_VALUE for a reason outside the enum. */
int sc_void_qr_encode(char out[SC_VOID_QR_MAX + 1], const struct sc_void_qr *q);
/* Decodes payload[0..len), which must be exactly the form above (the card
 * id in either case). 0, or SC_ERR_BAD_VALUE with *q zeroed. */
int sc_void_qr_decode(struct sc_void_qr *q, const char *payload, size_t len);

#endif
