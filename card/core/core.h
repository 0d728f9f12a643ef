/* card/core/: the card firmware's private header. Prototypes are grouped by
 * file; each file opens with its concern. Freestanding: this header and the
 * .c files include nothing beyond <stdint.h> <stddef.h> <stdbool.h>
 * <string.h>, card/, common/ and mbedTLS. */
#ifndef SC_CARD_CORE_H
#define SC_CARD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "card/hal.h"
#include "common/applet.h"
#include "common/buf.h"
#include "common/scheme.h"
#include "common/sw.h"
#include "common/tx.h"

/* --- Persistent state (what the store keeps, struct core_persist in
 * card/core_state.h with the rest of the card's RAM) --- */

/* The values of GET DATA DF23. */
enum core_lifecycle {
	CORE_LC_PERSONALISING = SC_LIFECYCLE_PERSONALISING,
	CORE_LC_ISSUED = SC_LIFECYCLE_ISSUED,
	CORE_LC_BLOCKED = SC_LIFECYCLE_BLOCKED,
};

#define CORE_PIN_MIN 4u
#define CORE_PIN_TRIES 3u

/* Which personalisation items are present (core_persist.have). */
#define CORE_HAVE_CARD_ID 0x01u
#define CORE_HAVE_KCARD 0x02u
#define CORE_HAVE_PIN 0x04u
#define CORE_HAVE_ACCOUNT 0x08u
#define CORE_HAVE_KEY 0x10u
#define CORE_HAVE_ALL 0x1Fu

/* --- store.c: a journal of whole-state records over the HAL's flash --- */

/* Erases every page and writes initial as the first record. 0 or -1. */
int store_format(struct card_core *c, const struct core_persist *initial);
/* Finds the newest valid record; 0, or -1 if none or the flash failed. */
int store_mount(struct card_core *c);
/* The last committed state (valid after store_mount or store_format).
 * RAM holds the state once: inside a transaction it already shows the
 * caller's changes, so a caller reads what it needs from it first. */
const struct core_persist *store_committed(const struct card_core *c);
/* Opens a transaction: returns the state, as committed, for the caller to
 * change in place once every check has passed (a transaction left open is
 * dropped by the next store_begin). */
struct core_persist *store_begin(struct card_core *c);
/* Commits the changed state with one flash record. On failure (power lost)
 * returns -1: the state on flash is the old or the new one, and the store
 * refuses further commits until store_mount. */
int store_commit(struct card_core *c);
/* Drops the changes: the committed record is read back from flash. */
void store_abort(struct card_core *c);
/* Leaves the committed state as the only record on flash (copied to a
 * fresh page, then every other page erased), so that no older record keeps
 * a secret the state has dropped: ISSUE calls it for the transport key, and
 * store_mount finishes it if a power cut interrupted it. A cut at any write
 * leaves the committed state intact. 0, or -1 (power lost). */
int store_scrub(struct card_core *c);
/* Sequence number of the committed record (for tests). */
uint32_t store_seq(const struct card_core *c);

/* --- rng.c: CTR_DRBG seeded from hal_entropy, and mbedTLS's heap --- */

int core_rng_init(struct card_core *c);
/* mbedTLS f_rng signature, ctx the struct card_core: 0 or an mbedTLS error. */
int core_rng(void *ctx, unsigned char *out, size_t len);
/* n ASCII decimal digits, uniformly distributed. 0 or -1. */
int core_rng_digits(struct card_core *c, char *out, size_t n);

/* --- heap.c: mbedTLS's heap, where mbedTLS allocates from a buffer --- */

/* Hands mbedTLS its buffer, once per process (every card_boot calls it). */
void core_heap_init(void);

/* --- runtime.c: the APDU layer and the applet table --- */

/* One command as an applet sees it: chaining resolved, class bits split. */
struct core_cmd {
	uint8_t cla;            /* with the chaining bit cleared: 0x00 or 0x80 */
	uint8_t ins, p1, p2;
	const uint8_t *data;    /* lc bytes, NULL when lc = 0 */
	size_t lc;
	size_t le;              /* 0 when the command had no Le */
	enum card_iface iface;
	struct core_session *session;
	struct card_core *core;   /* the card the command is for */
};

struct core_applet {
	const uint8_t *aid;
	size_t aid_len;
	/* Handles one command; writes response data to out; returns the SW. */
	uint16_t (*process)(const struct core_cmd *cmd, struct sc_writer *out);
};

extern const struct core_applet core_sig_applet;
void runtime_reset_all(struct card_core *c);
void runtime_reset_iface(struct card_core *c, enum card_iface iface);
size_t runtime_apdu(struct card_core *c, enum card_iface iface, const uint8_t *capdu, size_t len,
		    uint8_t *rapdu, size_t cap);
uint8_t *runtime_apdu_window(struct card_core *c, enum card_iface iface, size_t *cap);

/* --- card.c: the core's global condition --- */

/* True once a flash write failed (power lost) or boot failed: the card
 * answers SW_MEMORY_FAILURE and ignores keys until card_boot. */
bool core_dead(const struct card_core *c);
void core_set_dead(struct card_core *c);
/* store_commit, and on failure the card goes dead (power lost). 0 or -1. */
int core_commit(struct card_core *c);

/* --- applet_sig.c, perso.c, admin.c: the signature applet's commands --- */

uint16_t sig_get_data(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t sig_sign(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t sig_get_jp(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t perso_get_challenge(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t perso_external_auth(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t perso_put_data(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t perso_generate_key(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t perso_issue(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t admin_reset_retry(const struct core_cmd *cmd, struct sc_writer *out);
uint16_t admin_block(const struct core_cmd *cmd, struct sc_writer *out);
/* HMAC-SHA256(key, label || card id (when set) || challenge), the issuer's
 * proof for EXTERNAL AUTHENTICATE, RESET RETRY COUNTER and BLOCK. */
int core_auth_mac(const struct card_core *c, const uint8_t *key, size_t key_len, const char *label,
		  const uint8_t challenge[CORE_CHALLENGE_LEN], bool with_card_id,
		  uint8_t mac[32]);
/* Checks a MAC over the session's challenge, which is consumed first. */
uint16_t core_check_mac(const struct card_core *c, struct core_session *s, const uint8_t *key,
			size_t key_len,
			const char *label, bool with_card_id, const uint8_t *mac, size_t mac_len);

/* --- pin.c --- */

enum core_pin_result {
	CORE_PIN_OK = 0,
	CORE_PIN_WRONG = 1,
	CORE_PIN_BLOCKED = 2,
	CORE_PIN_FAILURE = -1,  /* the store failed: power lost */
};
/* Decrements and commits the try counter, then compares in constant time;
 * a match restores the counter. */
int pin_verify(struct card_core *c, const uint8_t *digits, size_t len);

/* --- confirm.c: claim 7, the on-card confirmation --- */

void confirm_reset(struct card_core *c);
/* Voids any pending signature and wipes its JP. */
void confirm_void(struct card_core *c);
/* Claim 7 for a new signature, in two steps so that SIGN holds the
 * transaction once: confirm_stage copies what the holder will confirm (tx,
 * the JP, wiped later by the core) with nothing pending yet; confirm_arm,
 * once the signature exists, makes it pending. confirm_void drops a staged
 * one. */
void confirm_stage(struct card_core *c, const struct sc_tx *tx, const char jp[SC_JP_DIGITS],
		   uint32_t atc);
void confirm_arm(struct card_core *c, enum card_iface iface);
void confirm_field(struct card_core *c, enum card_iface iface, int on);
void confirm_key(struct card_core *c, int key);
void confirm_poll(struct card_core *c);
/* Why GET JOINT PASSWORD gets no password (confirm_release). */
enum confirm_refusal {
	/* The contact interface, or a signature the holder may still confirm
	 * (on the reader, or under review), or nothing ever signed. */
	CONFIRM_NOT_YET = -1,
	/* The last signature's password will never be released: cancelled,
	 * timed out, PIN blocked, already released or dismissed, voided by a
	 * later SIGN or BLOCK CARD, or lost with power. */
	CONFIRM_VOID = -2,
};
/* GET JOINT PASSWORD: copies the JP and releases it (0), or returns a
 * negative enum confirm_refusal. */
int confirm_release(struct card_core *c, enum card_iface iface, char jp[SC_JP_DIGITS]);

/* --- screen.c: the screen model --- */

void screen_show(struct card_core *c, const struct card_screen *s);
/* Which screen is up: the enum card_screen_id of the last one shown. */
uint8_t screen_id(const struct card_core *c);
void screen_simple(struct card_core *c, uint8_t id, const char *title, const char *line0);
/* Copies src into dst[cap], cut at a UTF-8 character boundary. */
void screen_text(char *dst, size_t cap, const char *src);

/* --- repertoire.c: the characters the screen can show --- */

/* SIGN's answer to a transaction whose displayed text the card cannot show
 * faithfully (docs/PROTOCOL.md §5.4): ISO 7816-4 "function not supported". */
#define CORE_SW_CANNOT_SHOW SW_FUNC_NOT_SUPPORTED
/* True if cp is in the screen's repertoire (ASCII, Latin-1 Supplement and
 * Latin Extended-A, less the few that look like another). */
bool core_can_show(uint32_t cp);
/* True if s (NUL-terminated) is valid UTF-8 of repertoire characters only. */
bool core_text_showable(const char *s);
/* True if every text field of tx that the review screen shows is showable. */
bool core_tx_showable(const struct sc_tx *tx);

#endif
