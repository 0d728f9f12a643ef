/* The APDU runtime, JavaCard-style: class checks, SELECT by full or partial
 * AID over the applet table, command chaining (CLA bit 0x10) into a bounded
 * buffer, and response chaining (61xx + GET RESPONSE). Applets see whole
 * commands and write whole responses; everything ISO 7816-4 says about
 * splitting them is done here, once, for every applet. */
#include <string.h>

#include "common/apdu.h"
#include "common/applet.h"
#include "core.h"

#define AID_MIN 5u  /* a partial AID must at least name the RID */
#define AID_MAX 16u


static const struct core_applet *const applets[] = {
	&core_sig_applet,
};

static void chain_clear(struct core_iface *x)
{
	sc_wipe(x->apdu, x->chain_len);
	x->chain_len = 0;
	x->chaining = false;
}

static void resp_clear(struct core_iface *x)
{
	sc_wipe(x->resp, x->resp_len);
	x->resp_len = 0;
	x->resp_pos = 0;
	x->resp_sw = 0;
}

void runtime_reset_iface(struct card_core *c, enum card_iface iface)
{
	struct core_iface *x;

	if ((unsigned)iface >= CORE_IFACES)
		return;
	x = &c->ifs[iface];
	chain_clear(x);
	sc_wipe(x->resp, sizeof x->resp);
	x->resp_len = x->resp_pos = 0;
	x->resp_sw = 0;
	sc_wipe(&x->session, sizeof x->session);
	x->selected = NULL;
	x->chain_cla = x->chain_ins = x->chain_p1 = x->chain_p2 = 0;
	/* The command buffer past the chain is kept: it holds at most the
	 * C-APDU a carrier is decoding there (a served one is wiped), and the
	 * reset may be that carrier's own, powering the card for it. */
}

void runtime_reset_all(struct card_core *c)
{
	runtime_reset_iface(c, CARD_IFACE_CONTACT);
	runtime_reset_iface(c, CARD_IFACE_CONTACTLESS);
}

static size_t put_sw(uint8_t *out, size_t at, uint16_t sw)
{
	out[at] = (uint8_t)(sw >> 8);
	out[at + 1u] = (uint8_t)sw;
	return at + 2u;
}

/* Hands out up to le bytes of the pending response (no more than the
 * caller's buffer holds); 61xx tells how many remain. */
static size_t deliver(struct core_iface *x, size_t le, uint8_t *rapdu, size_t cap)
{
	size_t left = x->resp_len - x->resp_pos;
	size_t n = left < le ? left : le;
	uint16_t sw;

	if (n > cap - 2u)
		n = cap - 2u;
	memcpy(rapdu, x->resp + x->resp_pos, n);
	x->resp_pos += n;
	left -= n;
	if (left == 0) {
		sw = x->resp_sw;
		resp_clear(x);
	} else {
		sw = (uint16_t)(SW_BYTES_REMAINING_00 | (left > 255u ? 0u : left));
	}
	return put_sw(rapdu, n, sw);
}

/* SELECT by DF name: the first applet whose AID starts with the given
 * bytes. A failed SELECT leaves the current applet selected. */
static uint16_t do_select(struct core_iface *x, const struct sc_apdu *a)
{
	if (a->p1 != SC_P1_SELECT_BY_NAME ||
	    (a->p2 != SC_P2_SELECT_FCI && a->p2 != SC_P2_SELECT_NO_FCI))
		return SW_INCORRECT_P1P2;
	if (a->lc == 0 || a->lc > AID_MAX)
		return SW_WRONG_LENGTH;
	for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++) {
		const struct core_applet *ap = applets[i];
		if (a->lc >= AID_MIN && a->lc <= ap->aid_len &&
		    memcmp(ap->aid, a->data, a->lc) == 0) {
			/* Deselect (even of the same applet) clears its transient. */
			sc_wipe(&x->session, sizeof x->session);
			x->selected = ap;
			return SW_NO_ERROR;
		}
	}
	return SW_FILE_NOT_FOUND;
}

static uint16_t do_get_response(struct core_iface *x, const struct sc_apdu *a)
{
	if (a->p1 != 0 || a->p2 != 0)
		return SW_INCORRECT_P1P2;
	if (x->resp_pos >= x->resp_len)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (a->lc != 0 || a->le == 0)
		return SW_WRONG_LENGTH;
	return SW_NO_ERROR;
}

/* Splits the class byte. 0 if usable (base 0x00 or 0x80, chaining flag),
 * else the status word refusing it. */
static uint16_t check_class(uint8_t cla, uint8_t *base, bool *chain)
{
	if (cla == 0xFFu)
		return SW_CLA_NOT_SUPPORTED;
	if ((cla & 0xC0u) == 0x40u)
		return SW_LOGICAL_CHANNEL_NOT_SUPPORTED; /* channels 4-19 */
	if ((cla & 0x60u) != 0)
		return SW_CLA_NOT_SUPPORTED; /* RFU, or proprietary codings we do not use */
	if ((cla & 0x03u) != 0)
		return SW_LOGICAL_CHANNEL_NOT_SUPPORTED;
	if ((cla & 0x0Cu) != 0)
		return SW_SECURE_MESSAGING_NOT_SUPPORTED;
	*base = (uint8_t)(cla & 0x80u);
	*chain = (cla & SC_CLA_CHAINING) != 0;
	return 0;
}

static size_t sw_only(uint8_t *rapdu, uint16_t sw)
{
	return put_sw(rapdu, 0, sw);
}

uint8_t *runtime_apdu_window(struct card_core *c, enum card_iface iface, size_t *cap)
{
	struct core_iface *x;

	if ((unsigned)iface >= CORE_IFACES) {
		*cap = 0;
		return NULL;
	}
	x = &c->ifs[iface];
	*cap = sizeof x->apdu - x->chain_len;
	return x->apdu + x->chain_len;
}

static size_t serve_apdu(struct card_core *c, enum card_iface iface, const uint8_t *capdu,
			 size_t len, uint8_t *rapdu, size_t cap)
{
	struct core_iface *x;
	struct sc_apdu a;
	struct core_cmd cmd;
	struct sc_writer w;
	uint8_t base = 0;
	bool chain = false;
	uint16_t sw;

	if (rapdu == NULL || cap < 2u)
		return 0;
	if ((unsigned)iface >= CORE_IFACES)
		return sw_only(rapdu, SW_UNKNOWN);
	if (core_dead(c))
		return sw_only(rapdu, SW_MEMORY_FAILURE);
	x = &c->ifs[iface];
	if (capdu == NULL || sc_apdu_parse(&a, capdu, len) != 0) {
		chain_clear(x);
		resp_clear(x);
		return sw_only(rapdu, SW_WRONG_LENGTH);
	}
	sw = check_class(a.cla, &base, &chain);
	if (sw == 0 && base == 0 && a.ins == SC_INS_GET_RESPONSE && !chain && !x->chaining) {
		sw = do_get_response(x, &a);
		if (sw == SW_NO_ERROR)
			return deliver(x, a.le, rapdu, cap);
		return sw_only(rapdu, sw);
	}
	/* Any other command drops the response it did not collect. */
	resp_clear(x);
	if (sw != 0) {
		chain_clear(x);
		return sw_only(rapdu, sw);
	}
	if (x->chaining && (base != x->chain_cla || a.ins != x->chain_ins ||
			    a.p1 != x->chain_p1 || a.p2 != x->chain_p2)) {
		chain_clear(x);
		return sw_only(rapdu, SW_LAST_COMMAND_EXPECTED);
	}
	if (a.ins == SC_INS_SELECT || a.ins == SC_INS_GET_RESPONSE) {
		if (base != 0)
			return sw_only(rapdu, SW_CLA_NOT_SUPPORTED);
		if (chain)
			return sw_only(rapdu, SW_COMMAND_CHAINING_NOT_SUPPORTED);
		if (a.ins == SC_INS_GET_RESPONSE) /* inside a chain */
			return sw_only(rapdu, SW_LAST_COMMAND_EXPECTED);
		return sw_only(rapdu, do_select(x, &a));
	}
	if (x->selected == NULL) {
		chain_clear(x);
		return sw_only(rapdu, SW_INS_NOT_SUPPORTED);
	}
	if (chain || x->chaining) {
		if (a.lc > CORE_CHAIN_MAX - x->chain_len) {
			chain_clear(x);
			return sw_only(rapdu, SW_WRONG_LENGTH);
		}
		if (!x->chaining) {
			x->chaining = true;
			x->chain_cla = base;
			x->chain_ins = a.ins;
			x->chain_p1 = a.p1;
			x->chain_p2 = a.p2;
		}
		if (a.lc > 0)
			memmove(x->apdu + x->chain_len, a.data, a.lc); /* may be in place */
		x->chain_len += a.lc;
		if (chain)
			return sw_only(rapdu, SW_NO_ERROR);
		a.data = x->chain_len > 0 ? x->apdu : NULL;
		a.lc = x->chain_len;
	}

	cmd.cla = base;
	cmd.ins = a.ins;
	cmd.p1 = a.p1;
	cmd.p2 = a.p2;
	cmd.data = a.data;
	cmd.lc = a.lc;
	cmd.le = a.le;
	cmd.iface = iface;
	cmd.session = &x->session;
	cmd.core = c;
	sc_writer_init(&w, x->resp, sizeof x->resp);
	sw = x->selected->process(&cmd, &w);
	chain_clear(x);
	if (sw == SW_NO_ERROR && w.err != 0)
		sw = SW_UNKNOWN;
	if (sw != SW_NO_ERROR || core_dead(c)) {
		sc_wipe(x->resp, sizeof x->resp);
		return sw_only(rapdu, core_dead(c) ? SW_MEMORY_FAILURE : sw);
	}
	x->resp_len = w.len;
	x->resp_pos = 0;
	x->resp_sw = sw;
	return deliver(x, a.le, rapdu, cap);
}

size_t runtime_apdu(struct card_core *c, enum card_iface iface, const uint8_t *capdu, size_t len,
		    uint8_t *rapdu, size_t cap)
{
	size_t n = serve_apdu(c, iface, capdu, len, rapdu, cap);
	struct core_iface *x;
	uintptr_t base, at;
	size_t from, to;

	if ((unsigned)iface >= CORE_IFACES || capdu == NULL)
		return n;
	/* A C-APDU decoded into the window (card_apdu_window) is wiped once
	 * served, as it may carry a PIN or a key; what of it the chain now
	 * holds, in apdu[0..chain_len), stays. */
	x = &c->ifs[iface];
	base = (uintptr_t)x->apdu;
	at = (uintptr_t)capdu;
	if (at < base || at - base >= sizeof x->apdu || len > sizeof x->apdu - (at - base))
		return n;
	from = (size_t)(at - base);
	to = from + len;
	if (from < x->chain_len)
		from = x->chain_len;
	if (to > from)
		sc_wipe(x->apdu + from, to - from);
	return n;
}
