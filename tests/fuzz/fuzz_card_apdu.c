/* libFuzzer target for the card core: a personalised card fed a sequence of
 * events decoded from the input — APDUs on either interface, keypad keys,
 * field changes, time passing, power cuts (armed at the nth flash write,
 * torn or not) and restarts, and valid SIGNs to reach the confirmation.
 * Invariants: no crash; every R-APDU is at least a status word; the ATC
 * never goes back, not even over restarts; a password screen appears only
 * after OK on the right PIN typed in the review; GET JOINT PASSWORD answers
 * only the password shown, once, on the contactless interface.
 *
 * Input: a list of ops, each one byte (op % 9) and its argument bytes:
 *   0 L bytes[L]  APDU on contact      1 L bytes[L]  APDU on contactless
 *   2 k           key "0123456789KCB"[k % 13]
 *   3 b           field: interface b & 1, on (b >> 1) & 1
 *   4 t           t * 500 ms pass, then card_poll
 *   5             power off and on (card_boot)
 *   6 b           cut at the (b % 16 + 1)th write, tear (b >> 4) % 3
 *   7 b           SELECT + a valid SIGN on interface b & 1, scheme (b >> 1) % 3 + 1
 *   8 b           SELECT on interface b & 1 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/core/core.h"
#include "tests/support/card_client.h"
#include "tests/support/ram_hal.h"

#define PIN "1234"
#define ACCOUNT "DE89370400440532013000"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ram_flash personalised, work;
static struct card_hal hal;
static struct card_core core;
static int ready;

/* The model of what the holder typed, as the card's entry buffer holds it
 * during a review; and what may be read contactlessly. */
static struct {
	char typed[9];
	size_t len;
	uint32_t max_atc;
	char shown[9];       /* the password last shown */
	int readable;        /* shown and not yet read or voided */
} m;

#define CHECK(c) \
	do { \
		if (!(c)) \
			abort(); \
	} while (0)

static void setup(void)
{
	static const uint8_t tk[CARD_TRANSPORT_KEY_LEN] = "fuzz-transport!";
	struct cc_perso p;

	ram_hal_attach(&hal, &work, 1);
	ram_hal_erase_all(&hal);
	card_core_init(&core, &hal);
	CHECK(card_factory_init(&core, tk) == 0 && card_boot(&core) == 0);
	memcpy(p.card_id, "FUZZCARD", 8);
	memset(p.kcard, 0x4b, sizeof p.kcard);
	p.pin = PIN;
	p.account = ACCOUNT;
	card_field(&core, CARD_IFACE_CONTACT, 1);
	CHECK(cc_personalise(&core, tk, &p, 1, NULL) == 0x9000);
	card_field(&core, CARD_IFACE_CONTACT, 0);
	personalised = work;
	ready = 1;
}

static void forget_typed(void)
{
	m.len = 0;
	m.typed[0] = '\0';
}

static void void_pending(void)
{
	forget_typed();
	m.readable = 0;
}

static void after_apdu(const uint8_t *capdu, size_t len, const uint8_t *r, size_t rn,
		       enum card_iface iface)
{
	uint16_t sw;

	CHECK(rn >= 2);
	sw = (uint16_t)(r[rn - 2] << 8 | r[rn - 1]);
	if (len < 4)
		return;
	/* SIGN (plain, or the end of a chain): a new ATC, pending voided. */
	if (capdu[0] == 0x80 && capdu[1] == 0x2A && (sw == 0x9000 || (sw >> 8) == 0x61)) {
		void_pending();
		if (rn >= 8 && r[0] == 0xC1 && r[1] == 4) {
			uint32_t atc = (uint32_t)r[2] << 24 | (uint32_t)r[3] << 16 |
				       (uint32_t)r[4] << 8 | r[5];
			CHECK(atc > m.max_atc);
			m.max_atc = atc;
		}
	}
	/* Any data that could be the JP must be the one shown, read once. */
	if (capdu[0] == 0x80 && capdu[1] == 0x4A && (sw == 0x9000 || (sw >> 8) == 0x61)) {
		CHECK(iface == CARD_IFACE_CONTACTLESS && m.readable);
		if (rn == 10)
			CHECK(memcmp(r, m.shown, 8) == 0);
		m.readable = 0;
	}
	if (sw == 0x9000 && rn == 10 && capdu[1] == 0xC0 && m.readable && memcmp(r, m.shown, 8) == 0)
		m.readable = 0; /* the rest of a GET JP fetched by GET RESPONSE */
}

static void key(int k)
{
	uint8_t before = card_screen_id(&core);
	int reviewing = before == CARD_SCREEN_REVIEW || before == CARD_SCREEN_PIN_WRONG;

	card_key(&core, k);
	if (card_screen_id(&core) == CARD_SCREEN_PASSWORD &&
	    before != CARD_SCREEN_PASSWORD) {
		/* Only OK on the right PIN shows a password. */
		CHECK(k == CARD_KEY_OK && reviewing && strcmp(m.typed, PIN) == 0);
		memcpy(m.shown, ram_hal_screen(&hal)->lines[0], 8);
		m.shown[8] = '\0';
		m.readable = 1;
	} else if (before == CARD_SCREEN_PASSWORD &&
		   card_screen_id(&core) != CARD_SCREEN_PASSWORD) {
		m.readable = 0;
	}
	if (!reviewing)
		return;
	if (k >= '0' && k <= '9' && m.len < 8) {
		m.typed[m.len++] = (char)k;
		m.typed[m.len] = '\0';
	} else if (k == CARD_KEY_BACKSPACE && m.len > 0) {
		m.typed[--m.len] = '\0';
	} else if ((k == CARD_KEY_OK && m.len >= 4) || k == CARD_KEY_CANCEL) {
		forget_typed();
	}
}

static void sign_valid(enum card_iface iface, uint8_t scheme)
{
	struct sc_tx tx;
	struct sc_sign_resp s;
	uint8_t enc[SC_TX_MAX_LEN];
	int n;

	memset(&tx, 0, sizeof tx);
	tx.version = SC_TX_VERSION;
	tx.scheme = scheme;
	tx.amount = 500;
	tx.currency = 978;
	strcpy(tx.payer, ACCOUNT);
	strcpy(tx.payee, "FR1420041010050500013M02606");
	strcpy(tx.payee_name, "Fuzz Shop");
	strcpy(tx.terminal_id, "T1");
	tx.time = 1767225600;
	n = sc_tx_encode(&tx, enc, sizeof enc);
	CHECK(n > 0);
	if (cc_select(&core, iface) != 0x9000)
		return;
	if (cc_sign(&core, iface, enc, (size_t)n, &s) == 0x9000) {
		CHECK(s.atc > m.max_atc);
		m.max_atc = s.atc;
		void_pending();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t r[CC_RESP_MAX + 2];
	static const char keys[] = "0123456789KCB";
	size_t i = 0;

	if (!ready)
		setup();
	work = personalised;
	ram_hal_attach(&hal, &work, size);
	CHECK(card_boot(&core) == 0);
	memset(&m, 0, sizeof m);

	while (i < size) {
		uint8_t op = data[i++] % 9, b = i < size ? data[i] : 0;
		size_t len, rn;

		switch (op) {
		case 0:
		case 1:
			len = i < size ? data[i++] : 0;
			if (len > size - i)
				len = size - i;
			rn = card_apdu(&core, op == 0 ? CARD_IFACE_CONTACT : CARD_IFACE_CONTACTLESS,
				       data + i, len, r, sizeof r);
			after_apdu(data + i, len, r, rn,
				   op == 0 ? CARD_IFACE_CONTACT : CARD_IFACE_CONTACTLESS);
			i += len;
			break;
		case 2:
			i++;
			key(keys[b % 13]);
			break;
		case 3: {
			uint8_t was = card_screen_id(&core);
			i++;
			card_field(&core, (enum card_iface)(b & 1), (b >> 1) & 1);
			/* A review that starts starts with an empty PIN. */
			if (was != CARD_SCREEN_REVIEW && was != CARD_SCREEN_PIN_WRONG &&
			    card_screen_id(&core) == CARD_SCREEN_REVIEW)
				forget_typed();
			break;
		}
		case 4:
			i++;
			ram_hal_advance(&hal, (uint32_t)b * 500u);
			card_poll(&core);
			if (card_screen_id(&core) == CARD_SCREEN_TIMEOUT ||
			    card_screen_id(&core) == CARD_SCREEN_IDLE)
				void_pending();
			break;
		case 5:
			ram_hal_power_restore(&hal);
			CHECK(card_boot(&core) == 0);
			void_pending();
			break;
		case 6:
			i++;
			ram_hal_cut_at(&hal, (unsigned long)(b % 16) + 1u, (b >> 4) % 3);
			break;
		case 7:
			i++;
			sign_valid((enum card_iface)(b & 1), (uint8_t)((b >> 1) % 3 + 1));
			break;
		default:
			i++;
			(void)cc_select(&core, (enum card_iface)(b & 1));
			break;
		}
		if (core_dead(&core))
			void_pending();
		/* The ATC on flash never falls behind one that left the card. */
		CHECK(store_committed(&core)->atc >= m.max_atc || core_dead(&core));
	}
	ram_hal_power_restore(&hal);
	CHECK(card_boot(&core) == 0);
	CHECK(store_committed(&core)->atc >= m.max_atc);
	return 0;
}
