/* Claim 7: after SIGN the card waits to leave the reader; off the reader it
 * shows the transaction it signed and takes the PIN on its own keypad; the
 * right PIN and OK show the joint password as digits and QR (and allow one
 * contactless GET JOINT PASSWORD). Cancel, a blocked PIN or a timeout void
 * the signature: the JP, which only ever lives here in RAM, is wiped. */
#include <string.h>

#include "common/currency.h"
#include "core.h"

/* struct core_confirm.state */
enum confirm_state {
	CONFIRM_NONE = 0,   /* nothing pending */
	CONFIRM_SIGNED,     /* signed; waiting for the card to leave the reader */
	CONFIRM_REVIEW,     /* showing the transaction, taking the PIN */
	CONFIRM_SHOWN,      /* confirmed: JP on screen, one contactless read left */
};


/* Outside cf, which confirm_reset wipes: the board's setting. */
int card_set_confirm_timeout(struct card_core *c, uint32_t ms)
{
	if (ms < CARD_CONFIRM_TIMEOUT_MIN_MS || ms > CARD_CONFIRM_TIMEOUT_MAX_MS)
		return -1;
	c->confirm_timeout_ms = ms;
	return 0;
}

void confirm_reset(struct card_core *c)
{
	sc_wipe(&c->cf, sizeof c->cf);
	c->cf.state = (uint8_t)CONFIRM_NONE;
}

void confirm_void(struct card_core *c)
{
	confirm_reset(c);
	/* The screen model holds the digits too: take them off. */
	if (screen_id(c) == CARD_SCREEN_PASSWORD)
		screen_simple(c, CARD_SCREEN_IDLE, "sigcard", NULL);
}

void confirm_stage(struct card_core *c, const struct sc_tx *tx, const char jp[SC_JP_DIGITS],
		   uint32_t atc)
{
	confirm_reset(c);
	memcpy(c->cf.jp, jp, sizeof c->cf.jp);
	c->cf.atc = atc;
	c->cf.tx = *tx;
}

void confirm_arm(struct card_core *c, enum card_iface iface)
{
	c->cf.state = (uint8_t)CONFIRM_SIGNED;
	c->cf.iface = (uint8_t)iface;
	screen_simple(c, CARD_SCREEN_ON_READER, "Signed", "Remove the card to confirm");
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

static void amount_line(const struct card_core *c, char *out, size_t cap)
{
	if (sc_amount_format(out, cap, c->cf.tx.amount, c->cf.tx.currency) < 0)
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

static void show_review(struct card_core *c, uint8_t id)
{
	struct card_screen s;
	char *pin;
	const struct core_persist *p = store_committed(c);

	memset(&s, 0, sizeof s);
	s.id = id;
	screen_text(s.title, sizeof s.title, id == CARD_SCREEN_PIN_WRONG ? "Wrong PIN" : "Confirm payment");
	amount_line(c, s.lines[0], sizeof s.lines[0]);
	screen_text(s.lines[1], sizeof s.lines[1], c->cf.tx.payee_name);
	prefixed(s.lines[2], sizeof s.lines[2], "To: ", c->cf.tx.payee);
	prefixed(s.lines[3], sizeof s.lines[3], "From: ", c->cf.tx.payer);
	pin = s.lines[4];
	memcpy(pin, "PIN: ", 5);
	for (size_t i = 0; i < c->cf.pin_len; i++)
		pin[5 + i] = '*';
	pin[5 + c->cf.pin_len] = '\0';
	if (c->cf.wrong) {
		char n[11];
		u32_decimal(n, p->pin_tries);
		prefixed(s.lines[5], sizeof s.lines[5], n,
			 p->pin_tries == 1 ? " try left" : " tries left");
	}
	screen_show(c, &s);
}

static void show_password(struct card_core *c)
{
	struct card_screen s;
	struct sc_qr qr;

	memset(&s, 0, sizeof s);
	s.id = CARD_SCREEN_PASSWORD;
	screen_text(s.title, sizeof s.title, "Joint password");
	memcpy(s.lines[0], c->cf.jp, sizeof c->cf.jp);
	s.lines[0][sizeof c->cf.jp] = '\0';
	amount_line(c, s.lines[1], sizeof s.lines[1]);
	screen_text(s.lines[2], sizeof s.lines[2], c->cf.tx.payee_name);
	memcpy(qr.card_id, store_committed(c)->card_id, SC_CARD_ID_LEN);
	qr.atc = c->cf.atc;
	memcpy(qr.jp, c->cf.jp, sizeof c->cf.jp);
	qr.jp[SC_JP_DIGITS] = '\0';
	_Static_assert(SC_QR_MAX < sizeof s.qr, "the QR payload fits the screen model");
	(void)sc_qr_encode(s.qr, &qr); /* c->cf.jp is digits: core_rng_digits drew it */
	screen_show(c, &s);
	sc_wipe(&qr, sizeof qr);
	sc_wipe(&s, sizeof s);
}

/* Voids the pending signature and says why on the screen, with a QR code
 * that says so (common/applet.h), so a scanning terminal stops at once. */
static void void_with(struct card_core *c, uint8_t id, const char *title, const char *line1,
		      enum sc_void_reason reason)
{
	struct card_screen s;
	struct sc_void_qr q;

	memset(&q, 0, sizeof q);
	memcpy(q.card_id, store_committed(c)->card_id, SC_CARD_ID_LEN);
	q.atc = c->cf.atc;
	q.reason = reason;
	confirm_void(c);
	memset(&s, 0, sizeof s);
	s.id = id;
	screen_text(s.title, sizeof s.title, title);
	screen_text(s.lines[0], sizeof s.lines[0], "Payment void");
	if (line1 != NULL)
		screen_text(s.lines[1], sizeof s.lines[1], line1);
	_Static_assert(SC_VOID_QR_MAX < sizeof s.qr, "the void QR payload fits the screen model");
	(void)sc_void_qr_encode(s.qr, &q); /* reason is one of the enum's */
	screen_show(c, &s);
}

void confirm_field(struct card_core *c, enum card_iface iface, int on)
{
	uint8_t shown = screen_id(c);

	if (on) {
		if (c->cf.state == CONFIRM_NONE)
			screen_simple(c, CARD_SCREEN_ON_READER, "On reader", NULL);
		return;
	}
	if (c->cf.state == CONFIRM_SIGNED && (uint8_t)iface == c->cf.iface) {
		c->cf.state = (uint8_t)CONFIRM_REVIEW;
		c->cf.pin_len = 0;
		c->cf.wrong = false;
		c->cf.since = hal_tick_ms(c->hal);
		show_review(c, CARD_SCREEN_REVIEW);
	} else if (c->cf.state == CONFIRM_NONE && shown == CARD_SCREEN_ON_READER) {
		screen_simple(c, CARD_SCREEN_IDLE, "sigcard", NULL);
	}
}

static void review_key(struct card_core *c, int key)
{
	int r;

	if (key >= '0' && key <= '9') {
		if (c->cf.pin_len < CORE_PIN_MAX)
			c->cf.pin[c->cf.pin_len++] = (uint8_t)key;
		show_review(c, CARD_SCREEN_REVIEW);
	} else if (key == CARD_KEY_BACKSPACE) {
		if (c->cf.pin_len > 0)
			c->cf.pin[--c->cf.pin_len] = 0;
		show_review(c, CARD_SCREEN_REVIEW);
	} else if (key == CARD_KEY_CANCEL) {
		void_with(c, CARD_SCREEN_CANCELLED, "Cancelled", NULL, SC_VOID_CANCELLED);
	} else if (key == CARD_KEY_OK && c->cf.pin_len >= CORE_PIN_MIN) {
		r = pin_verify(c, c->cf.pin, c->cf.pin_len);
		if (r == CORE_PIN_FAILURE)
			return; /* power lost: the core is dead and cf wiped */
		sc_wipe(c->cf.pin, sizeof c->cf.pin);
		c->cf.pin_len = 0;
		if (r == CORE_PIN_OK) {
			c->cf.state = (uint8_t)CONFIRM_SHOWN;
			show_password(c);
		} else if (r == CORE_PIN_WRONG) {
			c->cf.wrong = true;
			show_review(c, CARD_SCREEN_PIN_WRONG);
		} else {
			void_with(c, CARD_SCREEN_PIN_BLOCKED, "PIN blocked",
				  "Ask your bank to unblock it", SC_VOID_PIN_BLOCKED);
		}
	}
}

void confirm_key(struct card_core *c, int key)
{
	uint8_t shown = screen_id(c);

	switch (c->cf.state) {
	case CONFIRM_REVIEW:
		c->cf.since = hal_tick_ms(c->hal);
		review_key(c, key);
		break;
	case CONFIRM_SHOWN:
		if (key == CARD_KEY_OK || key == CARD_KEY_CANCEL) {
			confirm_void(c);
			screen_simple(c, CARD_SCREEN_IDLE, "sigcard", NULL);
		}
		break;
	case CONFIRM_NONE:
		if ((key == CARD_KEY_OK || key == CARD_KEY_CANCEL) &&
		    (shown == CARD_SCREEN_CANCELLED || shown == CARD_SCREEN_TIMEOUT ||
		     shown == CARD_SCREEN_PIN_BLOCKED || shown == CARD_SCREEN_RELEASED))
			screen_simple(c, CARD_SCREEN_IDLE, "sigcard", NULL);
		break;
	default: /* still on the reader: the keypad is not for the terminal */
		break;
	}
}

void confirm_poll(struct card_core *c)
{
	uint32_t idle = hal_tick_ms(c->hal) - c->cf.since; /* wraps correctly */

	if (c->cf.state == CONFIRM_REVIEW && idle >= c->confirm_timeout_ms) {
		void_with(c, CARD_SCREEN_TIMEOUT, "Timed out", NULL, SC_VOID_TIMEOUT);
	} else if (c->cf.state == CONFIRM_SHOWN && idle >= c->confirm_timeout_ms) {
		/* The password does not stay on display for whoever finds the card. */
		confirm_void(c);
		screen_simple(c, CARD_SCREEN_IDLE, "sigcard", NULL);
	}
}

int confirm_release(struct card_core *c, enum card_iface iface, char jp[SC_JP_DIGITS])
{
	if (iface != CARD_IFACE_CONTACTLESS)
		return CONFIRM_NOT_YET;
	/* Every way out of a pending signature (Cancel, timeout, blocked PIN,
	 * release, dismissal, a new SIGN's void, BLOCK CARD, power loss) ends in
	 * CONFIRM_NONE with the JP wiped; the ATC, on flash, tells a card that
	 * has signed before from one that never did, so telling "void" from
	 * "pending" costs no flash write. */
	if (c->cf.state == CONFIRM_NONE)
		return store_committed(c)->atc != 0 ? CONFIRM_VOID : CONFIRM_NOT_YET;
	if (c->cf.state != CONFIRM_SHOWN)
		return CONFIRM_NOT_YET;
	memcpy(jp, c->cf.jp, SC_JP_DIGITS);
	confirm_void(c);
	screen_simple(c, CARD_SCREEN_RELEASED, "Password sent", "Read once by the terminal");
	return 0;
}
