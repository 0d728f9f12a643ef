/* Claim 7: after SIGN the card waits to leave the reader; off the reader it
 * shows the transaction it signed and takes the PIN on its own keypad; the
 * right PIN and OK show the joint password as digits and QR (and allow one
 * contactless GET JOINT PASSWORD). Cancel, a blocked PIN or a timeout void
 * the signature: the JP, which only ever lives here in RAM, is wiped. */
#include <string.h>

#include "common/currency.h"
#include "core.h"

enum confirm_state {
	CONFIRM_NONE = 0,   /* nothing pending */
	CONFIRM_SIGNED,     /* signed; waiting for the card to leave the reader */
	CONFIRM_REVIEW,     /* showing the transaction, taking the PIN */
	CONFIRM_SHOWN,      /* confirmed: JP on screen, one contactless read left */
};

static struct {
	enum confirm_state state;
	enum card_iface iface;        /* the interface that carried the SIGN */
	char jp[SC_JP_DIGITS];        /* the pending joint password */
	uint32_t atc;
	struct sc_tx tx;              /* what was signed, as shown */
	uint8_t pin[CORE_PIN_MAX];    /* digits typed so far */
	size_t pin_len;
	bool wrong;                   /* a wrong PIN was entered in this review */
	uint32_t since;               /* hal_tick_ms of the last event */
} cf;

/* Outside cf: confirm_reset wipes cf, and this is the board's setting. */
static uint32_t confirm_timeout_ms = CARD_CONFIRM_TIMEOUT_DEFAULT_MS;

int card_set_confirm_timeout(uint32_t ms)
{
	if (ms < CARD_CONFIRM_TIMEOUT_MIN_MS || ms > CARD_CONFIRM_TIMEOUT_MAX_MS)
		return -1;
	confirm_timeout_ms = ms;
	return 0;
}

void confirm_reset(void)
{
	sc_wipe(&cf, sizeof cf);
	cf.state = CONFIRM_NONE;
}

void confirm_void(void)
{
	confirm_reset();
	/* The screen model holds the digits too: take them off. */
	if (screen_current()->id == CARD_SCREEN_PASSWORD)
		screen_simple(CARD_SCREEN_IDLE, "sigcard", NULL);
}

void confirm_arm(const struct sc_tx *tx, const char jp[SC_JP_DIGITS], uint32_t atc,
		 enum card_iface iface)
{
	confirm_reset();
	cf.state = CONFIRM_SIGNED;
	cf.iface = iface;
	memcpy(cf.jp, jp, sizeof cf.jp);
	cf.atc = atc;
	cf.tx = *tx;
	screen_simple(CARD_SCREEN_ON_READER, "Signed", "Remove the card to confirm");
}

/* Writes the decimal digits of v and a NUL; returns their number. */
static size_t u32_decimal(char *out, uint32_t v)
{
	char tmp[10];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1u - i];
	out[n] = '\0';
	return n;
}

static void amount_line(char *out, size_t cap)
{
	if (sc_amount_format(out, cap, cf.tx.amount, cf.tx.currency) < 0)
		screen_text(out, cap, "?");
}

static void prefixed(char *out, size_t cap, const char *prefix, const char *text)
{
	char tmp[CARD_SCREEN_LINE_MAX + SC_ACCOUNT_MAX];
	size_t n = strlen(prefix);

	memcpy(tmp, prefix, n);
	screen_text(tmp + n, sizeof tmp - n, text);
	screen_text(out, cap, tmp);
}

static void show_review(uint8_t id)
{
	struct card_screen s;
	char *pin;
	const struct core_persist *p = store_committed();

	memset(&s, 0, sizeof s);
	s.id = id;
	screen_text(s.title, sizeof s.title, id == CARD_SCREEN_PIN_WRONG ? "Wrong PIN" : "Confirm payment");
	amount_line(s.lines[0], sizeof s.lines[0]);
	screen_text(s.lines[1], sizeof s.lines[1], cf.tx.payee_name);
	prefixed(s.lines[2], sizeof s.lines[2], "To: ", cf.tx.payee);
	prefixed(s.lines[3], sizeof s.lines[3], "From: ", cf.tx.payer);
	pin = s.lines[4];
	memcpy(pin, "PIN: ", 5);
	for (size_t i = 0; i < cf.pin_len; i++)
		pin[5 + i] = '*';
	pin[5 + cf.pin_len] = '\0';
	if (cf.wrong) {
		char n[11];
		u32_decimal(n, p->pin_tries);
		prefixed(s.lines[5], sizeof s.lines[5], n,
			 p->pin_tries == 1 ? " try left" : " tries left");
	}
	screen_show(&s);
}

static void show_password(void)
{
	struct card_screen s;
	struct sc_qr qr;

	memset(&s, 0, sizeof s);
	s.id = CARD_SCREEN_PASSWORD;
	screen_text(s.title, sizeof s.title, "Joint password");
	memcpy(s.lines[0], cf.jp, sizeof cf.jp);
	s.lines[0][sizeof cf.jp] = '\0';
	amount_line(s.lines[1], sizeof s.lines[1]);
	screen_text(s.lines[2], sizeof s.lines[2], cf.tx.payee_name);
	memcpy(qr.card_id, store_committed()->card_id, SC_CARD_ID_LEN);
	qr.atc = cf.atc;
	memcpy(qr.jp, cf.jp, sizeof cf.jp);
	qr.jp[SC_JP_DIGITS] = '\0';
	_Static_assert(SC_QR_MAX < sizeof s.qr, "the QR payload fits the screen model");
	(void)sc_qr_encode(s.qr, &qr); /* cf.jp is digits: core_rng_digits drew it */
	screen_show(&s);
	sc_wipe(&qr, sizeof qr);
	sc_wipe(&s, sizeof s);
}

/* Voids the pending signature and says why on the screen, with a QR code
 * that says so (common/applet.h), so a scanning terminal stops at once. */
static void void_with(uint8_t id, const char *title, const char *line1,
		      enum sc_void_reason reason)
{
	struct card_screen s;
	struct sc_void_qr q;

	memset(&q, 0, sizeof q);
	memcpy(q.card_id, store_committed()->card_id, SC_CARD_ID_LEN);
	q.atc = cf.atc;
	q.reason = reason;
	confirm_void();
	memset(&s, 0, sizeof s);
	s.id = id;
	screen_text(s.title, sizeof s.title, title);
	screen_text(s.lines[0], sizeof s.lines[0], "Payment void");
	if (line1 != NULL)
		screen_text(s.lines[1], sizeof s.lines[1], line1);
	_Static_assert(SC_VOID_QR_MAX < sizeof s.qr, "the void QR payload fits the screen model");
	(void)sc_void_qr_encode(s.qr, &q); /* reason is one of the enum's */
	screen_show(&s);
}

void confirm_field(enum card_iface iface, int on)
{
	uint8_t shown = screen_current()->id;

	if (on) {
		if (cf.state == CONFIRM_NONE)
			screen_simple(CARD_SCREEN_ON_READER, "On reader", NULL);
		return;
	}
	if (cf.state == CONFIRM_SIGNED && iface == cf.iface) {
		cf.state = CONFIRM_REVIEW;
		cf.pin_len = 0;
		cf.wrong = false;
		cf.since = hal_tick_ms();
		show_review(CARD_SCREEN_REVIEW);
	} else if (cf.state == CONFIRM_NONE && shown == CARD_SCREEN_ON_READER) {
		screen_simple(CARD_SCREEN_IDLE, "sigcard", NULL);
	}
}

static void review_key(int key)
{
	int r;

	if (key >= '0' && key <= '9') {
		if (cf.pin_len < CORE_PIN_MAX)
			cf.pin[cf.pin_len++] = (uint8_t)key;
		show_review(CARD_SCREEN_REVIEW);
	} else if (key == CARD_KEY_BACKSPACE) {
		if (cf.pin_len > 0)
			cf.pin[--cf.pin_len] = 0;
		show_review(CARD_SCREEN_REVIEW);
	} else if (key == CARD_KEY_CANCEL) {
		void_with(CARD_SCREEN_CANCELLED, "Cancelled", NULL, SC_VOID_CANCELLED);
	} else if (key == CARD_KEY_OK && cf.pin_len >= CORE_PIN_MIN) {
		r = pin_verify(cf.pin, cf.pin_len);
		if (r == CORE_PIN_FAILURE)
			return; /* power lost: the core is dead and cf wiped */
		sc_wipe(cf.pin, sizeof cf.pin);
		cf.pin_len = 0;
		if (r == CORE_PIN_OK) {
			cf.state = CONFIRM_SHOWN;
			show_password();
		} else if (r == CORE_PIN_WRONG) {
			cf.wrong = true;
			show_review(CARD_SCREEN_PIN_WRONG);
		} else {
			void_with(CARD_SCREEN_PIN_BLOCKED, "PIN blocked", "Ask your bank to unblock it",
				  SC_VOID_PIN_BLOCKED);
		}
	}
}

void confirm_key(int key)
{
	uint8_t shown = screen_current()->id;

	switch (cf.state) {
	case CONFIRM_REVIEW:
		cf.since = hal_tick_ms();
		review_key(key);
		break;
	case CONFIRM_SHOWN:
		if (key == CARD_KEY_OK || key == CARD_KEY_CANCEL) {
			confirm_void();
			screen_simple(CARD_SCREEN_IDLE, "sigcard", NULL);
		}
		break;
	case CONFIRM_NONE:
		if ((key == CARD_KEY_OK || key == CARD_KEY_CANCEL) &&
		    (shown == CARD_SCREEN_CANCELLED || shown == CARD_SCREEN_TIMEOUT ||
		     shown == CARD_SCREEN_PIN_BLOCKED || shown == CARD_SCREEN_RELEASED))
			screen_simple(CARD_SCREEN_IDLE, "sigcard", NULL);
		break;
	default: /* still on the reader: the keypad is not for the terminal */
		break;
	}
}

void confirm_poll(void)
{
	uint32_t idle = hal_tick_ms() - cf.since; /* wraps correctly */

	if (cf.state == CONFIRM_REVIEW && idle >= confirm_timeout_ms) {
		void_with(CARD_SCREEN_TIMEOUT, "Timed out", NULL, SC_VOID_TIMEOUT);
	} else if (cf.state == CONFIRM_SHOWN && idle >= confirm_timeout_ms) {
		/* The password does not stay on display for whoever finds the card. */
		confirm_void();
		screen_simple(CARD_SCREEN_IDLE, "sigcard", NULL);
	}
}

int confirm_release(enum card_iface iface, char jp[SC_JP_DIGITS])
{
	if (iface != CARD_IFACE_CONTACTLESS)
		return CONFIRM_NOT_YET;
	/* Every way out of a pending signature (Cancel, timeout, blocked PIN,
	 * release, dismissal, a new SIGN's void, BLOCK CARD, power loss) ends in
	 * CONFIRM_NONE with the JP wiped; the ATC, on flash, tells a card that
	 * has signed before from one that never did, so telling "void" from
	 * "pending" costs no flash write. */
	if (cf.state == CONFIRM_NONE)
		return store_committed()->atc != 0 ? CONFIRM_VOID : CONFIRM_NOT_YET;
	if (cf.state != CONFIRM_SHOWN)
		return CONFIRM_NOT_YET;
	memcpy(jp, cf.jp, SC_JP_DIGITS);
	confirm_void();
	screen_simple(CARD_SCREEN_RELEASED, "Password sent", "Read once by the terminal");
	return 0;
}
