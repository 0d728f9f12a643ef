/* The card's two carriers on the board: UART0 is the contact slot, UART2
 * the contactless front end, either a PN532 (pn532.c, the board's own) or,
 * for tests that reach the board without a radio, frames bridged to a
 * socket (scripts/firmware-bridge.py). All feed the card's carrier engine
 * (card/carrier/engine.h), exactly as the host emulator's sockets do, and
 * send back what it answers; a malformed frame is answered as the engine's
 * one rule says, and reported as a "bad_frame" event on UART1. */
#include <string.h>

#include "board.h"
#include "card/carrier/engine.h"
#include "common/errors.h"
#include "common/frame.h"

/* A carrier has no frame buffer: its engine decodes each frame into the
 * card's command buffer for its interface (card_apdu_window), which holds
 * the command once for the carrier and the core's chaining. */
struct carrier {
	enum board_uart uart;
	struct card_carrier eng;
};

static struct carrier carriers[2];
#define CONTACTLESS (&carriers[1])
static bool contactless_pn532;
/* One reply at a time, shared by both carriers: header + the longest
 * R-APDU the core gives (its held response and the SW). */
static uint8_t reply[SC_FRAME_HDR + CORE_RESP_MAX + 2u];
/* What the status line reports as slowest_frame_sysclk (ui.c). */
static uint32_t slowest_frame;

static void carrier_init(struct carrier *c, struct card_core *card, enum board_uart uart,
			 enum card_iface iface)
{
	c->uart = uart;
	(void)card_carrier_init(&c->eng, card, iface, NULL, 0, reply, sizeof reply);
}

void carrier_start(struct card_core *card, bool pn532)
{
	carrier_init(&carriers[0], card, BOARD_UART_CONTACT, CARD_IFACE_CONTACT);
	carrier_init(CONTACTLESS, card, BOARD_UART_CONTACTLESS, CARD_IFACE_CONTACTLESS);
	contactless_pn532 = pn532;
	uart_start(BOARD_UART_CONTACT);
	uart_start(BOARD_UART_CONTACTLESS);
}

static void carrier_report(int refused)
{
	if (refused == SC_ERR_LENGTH)
		ui_event("\"event\":\"bad_frame\",\"why\":\"empty frame\"");
	else if (refused == SC_ERR_FRAME_SIZE)
		ui_event("\"event\":\"bad_frame\",\"why\":\"frame too long\"");
	else if (refused != 0)
		ui_event("\"event\":\"bad_frame\",\"why\":\"unknown control code\"");
}

/* After the engine took a frame that started at start: the time it took,
 * a refusal's report, and the reply frame (NULL: none, or power died
 * inside the command, when a card gives no answer). */
static const uint8_t *carrier_done(struct carrier *c, uint32_t start, size_t *len)
{
	uint32_t took;

	if (flash_power_lost())
		return NULL;
	took = board_sysclk_ticks() - start;
	if (took > slowest_frame)
		slowest_frame = took;
	carrier_report(card_carrier_refused(&c->eng));
	return card_carrier_reply(&c->eng, len);
}

static void carrier_feed(struct carrier *c, uint8_t b)
{
	const uint8_t *out;
	size_t len;
	unsigned long before = c->eng.frames;
	uint32_t start = board_sysclk_ticks();

	(void)card_carrier_feed(&c->eng, &b, 1);
	if (c->eng.frames == before)
		return;   /* no frame yet */
	out = carrier_done(c, start, &len);
	if (out != NULL)
		uart_write(c->uart, out, len);
}

void carrier_poll(void)
{
	for (unsigned i = 0; i < 2u; i++) {
		int b;
		if (&carriers[i] == CONTACTLESS && contactless_pn532) {
			pn532_poll();
			continue;
		}
		while (!flash_power_lost() && (b = uart_getc(carriers[i].uart)) >= 0)
			carrier_feed(&carriers[i], (uint8_t)b);
	}
}

uint8_t *carrier_nfc_window(size_t *cap)
{
	return card_apdu_window(CONTACTLESS->eng.core, CARD_IFACE_CONTACTLESS, cap);
}

const uint8_t *carrier_nfc_serve(const uint8_t *body, size_t len, bool too_long, size_t *rlen)
{
	uint32_t start = board_sysclk_ticks();
	const uint8_t *out;

	if (too_long)
		card_carrier_refuse_too_long(&CONTACTLESS->eng);
	else
		card_carrier_serve(&CONTACTLESS->eng, body, len);
	out = carrier_done(CONTACTLESS, start, rlen);
	if (out == NULL || *rlen < SC_FRAME_HDR) {
		*rlen = 0;
		return NULL;
	}
	*rlen -= SC_FRAME_HDR;
	return out + SC_FRAME_HDR;
}

void carrier_nfc_leave(void)
{
	card_carrier_leave(&CONTACTLESS->eng);
}

uint32_t carrier_take_slowest_frame(void)
{
	uint32_t took = slowest_frame;

	slowest_frame = 0;
	return took;
}
