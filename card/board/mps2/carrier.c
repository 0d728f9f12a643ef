/* The card's two carriers on the board: UART0 is the contact slot, UART2
 * the contactless front end. Both speak common/frame.h, exactly as the host
 * emulator's Unix sockets do: 1-byte bodies are control codes, longer ones
 * C-APDUs; ATRs and R-APDUs go back as frames. A UART cannot drop its peer
 * the way a socket can, so a malformed frame is skipped instead: an empty
 * one is ignored, an over-long one is read whole and answered 6700. (Under
 * QEMU, scripts/firmware-bridge.py already drops such readers.) */
#include <string.h>

#include "board.h"
#include "common/errors.h"
#include "common/frame.h"
#include "common/sw.h"

struct carrier {
	enum board_uart uart;
	enum card_iface iface;
	bool powered;              /* the reader powered this interface */
	uint32_t skip;             /* body bytes of an over-long frame left to drop */
	struct sc_frame_dec dec;
	uint8_t body[CARRIER_BODY_MAX];
};

static struct carrier carriers[2];
/* One reply at a time: header + body, the body built in place. */
static uint8_t reply[SC_FRAME_HDR + CARRIER_BODY_MAX];

static void carrier_init(struct carrier *c, enum board_uart uart, enum card_iface iface)
{
	c->uart = uart;
	c->iface = iface;
	c->powered = false;
	c->skip = 0;
	sc_frame_dec_init(&c->dec, c->body, sizeof c->body);
}

void carrier_start(void)
{
	carrier_init(&carriers[0], BOARD_UART_CONTACT, CARD_IFACE_CONTACT);
	carrier_init(&carriers[1], BOARD_UART_CONTACTLESS, CARD_IFACE_CONTACTLESS);
	uart_start(BOARD_UART_CONTACT);
	uart_start(BOARD_UART_CONTACTLESS);
}

/* Sends reply[2 .. 2 + len) as one frame. */
static void carrier_send(struct carrier *c, size_t len)
{
	int n = sc_frame_encode(reply, sizeof reply, reply + SC_FRAME_HDR, len);

	if (n > 0)
		uart_write(c->uart, reply, (size_t)n);
}

static void carrier_send_sw(struct carrier *c, uint16_t sw)
{
	reply[SC_FRAME_HDR] = (uint8_t)(sw >> 8);
	reply[SC_FRAME_HDR + 1u] = (uint8_t)sw;
	carrier_send(c, 2);
}

static void carrier_power(struct carrier *c, bool on)
{
	if (!on && !c->powered)
		return;
	c->powered = on;
	card_field(c->iface, on ? 1 : 0);
}

static void carrier_serve(struct carrier *c, const uint8_t *body, size_t len)
{
	size_t n;

	if (len == 1) {
		switch (body[0]) {
		case SC_CTRL_POWER_OFF:
			carrier_power(c, false);
			return;
		case SC_CTRL_POWER_ON:
		case SC_CTRL_RESET:
			carrier_power(c, true);
			return;
		case SC_CTRL_GET_ATR:
			n = card_atr(c->iface, reply + SC_FRAME_HDR, CARRIER_BODY_MAX);
			if (n > 0)
				carrier_send(c, n);
			return;
		default:
			ui_event("\"event\":\"bad_frame\",\"why\":\"unknown control code\"");
			return;
		}
	}
	if (!c->powered)
		carrier_power(c, true);   /* as the host's sockets: an APDU powers the card */
	n = card_apdu(c->iface, body, len, reply + SC_FRAME_HDR, CARRIER_BODY_MAX);
	if (flash_power_lost())
		return;   /* power died inside the command: no answer */
	if (n >= 2)
		carrier_send(c, n);
}

static void carrier_feed(struct carrier *c, uint8_t b)
{
	size_t body_len = 0;
	int rc;

	if (c->skip > 0) {
		if (--c->skip == 0)
			carrier_send_sw(c, SW_WRONG_LENGTH);
		return;
	}
	rc = sc_frame_dec_feed(&c->dec, &b, 1, &body_len);
	if (rc == SC_ERR_FRAME_SIZE) {
		c->skip = (uint32_t)c->dec.want;
		ui_event("\"event\":\"bad_frame\",\"why\":\"frame too long: skipped\"");
	} else if (rc < 0) {
		ui_event("\"event\":\"bad_frame\",\"why\":\"empty frame: ignored\"");
	}
	if (rc < 0) {
		sc_frame_dec_init(&c->dec, c->body, sizeof c->body);
		return;
	}
	if (body_len > 0)
		carrier_serve(c, c->body, body_len);
}

void carrier_poll(void)
{
	for (unsigned i = 0; i < 2u; i++) {
		int b;
		while (!flash_power_lost() && (b = uart_getc(carriers[i].uart)) >= 0)
			carrier_feed(&carriers[i], (uint8_t)b);
	}
}
