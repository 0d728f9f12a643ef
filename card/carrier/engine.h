/* The card side of the carrier frame (common/frame.h, docs/PROTOCOL.md §1),
 * as one I/O-free engine: whatever carries the frames (the emulator's Unix
 * sockets and vpcd connection, a board's UARTs, a front end such as an NFC
 * controller) feeds it the bytes it received and sends the reply frame it
 * hands back. The engine decodes frames, acts on control codes, hands
 * C-APDUs to the card core and encodes the answers; it never allocates,
 * reads, writes or sleeps, and keeps only what one connection needs.
 *
 * Bad input has one rule, the same on every carrier: a frame the card
 * cannot take is consumed whole and answered with the status word 6700
 * (wrong length), the card's state untouched, and the stream stays in step
 * for the next frame. That is an empty frame (length 0), a frame longer
 * than the engine's body buffer (its body is read and discarded), and a
 * 1-byte body that is no control code.
 *
 * Where a frame's body goes: into the carrier's own buffer, or, for a
 * carrier with little RAM (the board), straight into the card's command
 * buffer for the interface (card_apdu_window), so that a command is held
 * once; the window shrinks by the data of a command chain in progress, and
 * a frame too long for it is refused by the rule above, the chain kept. */
#ifndef SC_CARD_CARRIER_ENGINE_H
#define SC_CARD_CARRIER_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "common/frame.h"

/* The smallest reply buffer an engine takes: a frame header and the
 * longest ATR ISO/IEC 7816-3 allows. An R-APDU longer than the buffer is
 * cut by the core to fit (61xx then says how much GET RESPONSE has left). */
#define CARD_CARRIER_OUT_MIN (SC_FRAME_HDR + 33u)

struct card_carrier {
	struct card_core *core;    /* the card this stream feeds (the caller's) */
	enum card_iface iface;     /* the interface of that card it feeds */
	bool powered;              /* this stream powered the interface */
	bool into_core;            /* bodies go to card_apdu_window, no buffer here */
	uint32_t skip;             /* body bytes of an over-long frame still to drop */
	struct sc_frame_dec dec;   /* over the caller's body buffer */
	uint8_t *out;              /* caller's buffer: the reply frame */
	size_t out_cap;
	size_t out_len;            /* bytes of the pending reply frame, 0: none */
	int refused;               /* why the last frame was refused (sc_err), 0 */
	unsigned long frames;      /* frames completed since the last reset */
};

/* Sets c up for the interface iface of core over the caller's buffers:
 * body (one incoming frame body; a longer frame is refused), or NULL with
 * body_cap 0 to decode each frame into the card's own command buffer
 * (card_apdu_window), and out (the reply frame, at least
 * CARD_CARRIER_OUT_MIN bytes). core and the buffers stay the caller's and
 * must outlive c. 0, or -1 if out is missing or too small, or body is given
 * without room or room without body. */
int card_carrier_init(struct card_carrier *c, struct card_core *core, enum card_iface iface,
		      uint8_t *body, size_t body_cap, uint8_t *out, size_t out_cap);

/* A new connection on the same carrier: a half-received frame is dropped,
 * no reply is pending, the interface counts as not powered by this stream.
 * The card is not told (card_carrier_leave tells it). */
void card_carrier_reset(struct card_carrier *c);

/* The peer went away: if it had powered the interface, the field goes off
 * (for the core, the card left the reader: claim 7 starts); then as
 * card_carrier_reset. */
void card_carrier_leave(struct card_carrier *c);

/* Consumes in[0..n) up to the end of the first frame that completes, and
 * acts on that frame (served, or refused by the rule above). Returns the
 * number of bytes consumed (n if no frame completed). The caller then
 * sends card_carrier_reply's bytes, if any, and feeds the rest of its
 * input; a reply not yet taken is dropped by the next feed. */
size_t card_carrier_feed(struct card_carrier *c, const uint8_t *in, size_t n);

/* Acts on one whole frame body, for a front end that receives bodies
 * rather than a byte stream (an NFC controller hands over whole APDUs).
 * The same rules as a frame fed in; the reply as after card_carrier_feed. */
void card_carrier_serve(struct card_carrier *c, const uint8_t *body, size_t len);

/* A whole frame body that a front end received but could not hold (longer
 * than card_apdu_window's room): refused by the rule above, as a frame fed
 * in that is too long; the reply as after card_carrier_feed. */
void card_carrier_refuse_too_long(struct card_carrier *c);

/* The reply frame to the last frame (header included: its body starts
 * SC_FRAME_HDR bytes in) and its length, or NULL and 0 if it has none
 * (power on, power off, reset). */
const uint8_t *card_carrier_reply(const struct card_carrier *c, size_t *len);

/* 0 if the frame the last feed or serve completed was served (or none
 * completed), else why it was refused: SC_ERR_LENGTH
 * (empty frame), SC_ERR_FRAME_SIZE (longer than the body buffer) or
 * SC_ERR_BAD_VALUE (a 1-byte body that is no control code). For logs. */
int card_carrier_refused(const struct card_carrier *c);

#endif
