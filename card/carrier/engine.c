/* The card-side carrier engine (engine.h): frames in, control codes and
 * C-APDUs to the core, ATRs, R-APDUs and refusals out, all in the caller's
 * buffers. The rule for bad input is written once, in engine.h, and
 * docs/PROTOCOL.md §1 states it for peers. */
#include <string.h>

#include "card/carrier/engine.h"
#include "common/errors.h"
#include "common/sw.h"

int card_carrier_init(struct card_carrier *c, struct card_core *core, enum card_iface iface,
		      uint8_t *body, size_t body_cap, uint8_t *out, size_t out_cap)
{
	memset(c, 0, sizeof *c);
	if (core == NULL || (body == NULL) != (body_cap == 0) || out == NULL ||
	    out_cap < CARD_CARRIER_OUT_MIN)
		return -1;
	c->core = core;
	c->iface = iface;
	c->into_core = body == NULL;
	c->out = out;
	c->out_cap = out_cap;
	sc_frame_dec_init(&c->dec, body, body_cap);
	return 0;
}

void card_carrier_reset(struct card_carrier *c)
{
	c->powered = false;
	c->skip = 0;
	c->out_len = 0;
	c->refused = 0;
	c->frames = 0;
	sc_frame_dec_init(&c->dec, c->dec.body, c->dec.cap);
}

void card_carrier_leave(struct card_carrier *c)
{
	if (c->powered)
		card_field(c->core, c->iface, 0);
	card_carrier_reset(c);
}

/* The body of len bytes now at out + SC_FRAME_HDR becomes the reply. */
static void reply(struct card_carrier *c, size_t len)
{
	if (len == 0 || sc_frame_header(c->out, len) != 0)
		return; /* the core always answers: no reply rather than a bad frame */
	c->out_len = SC_FRAME_HDR + len;
}

static void refuse(struct card_carrier *c, int why)
{
	uint8_t *sw = c->out + SC_FRAME_HDR;

	c->refused = why;
	sw[0] = (uint8_t)(SW_WRONG_LENGTH >> 8);
	sw[1] = (uint8_t)SW_WRONG_LENGTH;
	reply(c, 2);
}

static void power(struct card_carrier *c, bool on)
{
	if (!on && !c->powered)
		return;
	c->powered = on;
	card_field(c->core, c->iface, on ? 1 : 0);
}

void card_carrier_serve(struct card_carrier *c, const uint8_t *body, size_t len)
{
	uint8_t *rbody = c->out + SC_FRAME_HDR;
	size_t rcap = c->out_cap - SC_FRAME_HDR;

	c->out_len = 0;
	c->refused = 0;
	c->frames++;
	if (len == 0 || body == NULL) {
		refuse(c, SC_ERR_LENGTH);
		return;
	}
	if (len == 1) {
		switch (body[0]) {
		case SC_CTRL_POWER_OFF:
			power(c, false);
			return;
		case SC_CTRL_POWER_ON:
		case SC_CTRL_RESET:
			/* Either way the interface starts afresh, nothing selected. */
			power(c, true);
			return;
		case SC_CTRL_GET_ATR:
			reply(c, card_atr(c->core, c->iface, rbody, rcap));
			return;
		default:
			refuse(c, SC_ERR_BAD_VALUE);
			return;
		}
	}
	/* A reader that sends an APDU without powering the card first gets
	 * the card powered (docs/PROTOCOL.md §1). */
	if (!c->powered)
		power(c, true);
	reply(c, card_apdu(c->core, c->iface, body, len, rbody, rcap));
}

void card_carrier_refuse_too_long(struct card_carrier *c)
{
	c->out_len = 0;
	c->frames++;
	refuse(c, SC_ERR_FRAME_SIZE);
}

size_t card_carrier_feed(struct card_carrier *c, const uint8_t *in, size_t n)
{
	size_t used = 0;

	c->out_len = 0;
	c->refused = 0;
	while (used < n) {
		size_t chunk = n - used, body_len = 0;
		int rc;

		if (c->skip > 0) {
			/* The rest of an over-long frame: dropped, then refused. */
			if (chunk > c->skip)
				chunk = c->skip;
			used += chunk;
			c->skip -= (uint32_t)chunk;
			if (c->skip == 0) {
				card_carrier_refuse_too_long(c);
				return used;
			}
			continue;
		}
		/* A new frame into the card's buffer: its window now, past the
		 * chain the last command left (it changes only as a frame is
		 * served). */
		if (c->into_core && !c->dec.in_body && c->dec.have == 0) {
			size_t cap;
			uint8_t *w = card_apdu_window(c->core, c->iface, &cap);

			sc_frame_dec_init(&c->dec, w, cap);
		}
		/* The header alone first, so a refused one has used exactly the
		 * bytes given: the decoder decides on a length as its second
		 * byte arrives. */
		if (!c->dec.in_body && chunk > SC_FRAME_HDR - c->dec.have)
			chunk = SC_FRAME_HDR - c->dec.have;
		rc = sc_frame_dec_feed(&c->dec, in + used, chunk, &body_len);
		if (rc < 0) {
			size_t want = c->dec.want;

			used += chunk;
			sc_frame_dec_init(&c->dec, c->dec.body, c->dec.cap);
			if (rc == SC_ERR_FRAME_SIZE && want > 0) {
				c->skip = (uint32_t)want;
				continue;
			}
			c->frames++;
			refuse(c, rc == SC_ERR_LENGTH ? SC_ERR_LENGTH : SC_ERR_ARG);
			return used;
		}
		used += (size_t)rc;
		if (body_len > 0) {
			card_carrier_serve(c, c->dec.body, body_len);
			return used;
		}
		if (rc == 0)
			break; /* no progress: cannot happen with the decoder's contract */
	}
	return used;
}

const uint8_t *card_carrier_reply(const struct card_carrier *c, size_t *len)
{
	*len = c->out_len;
	return c->out_len > 0 ? c->out : NULL;
}

int card_carrier_refused(const struct card_carrier *c)
{
	return c->refused;
}
