/* The PN532 UART frame format (user manual UM0701-02 §6.2.1): preamble 00,
 * start code 00 FF, then LEN LCS (or FF FF LENm LENl LCS for an extended
 * frame), TFI, PD0..PDn, DCS, postamble 00. ACK is 00 00 FF 00 FF 00, NACK
 * 00 00 FF FF 00 00. All of it is required: a frame without its preamble is
 * never seen, one without its postamble is dropped. */
#include <string.h>

#include "tests/pn532sim/pn532sim.h"

const uint8_t pn_uart_ack[6] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
const uint8_t pn_uart_nack[6] = {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};
/* The application-level error frame the chip sends for a syntax error. */
const uint8_t pn_uart_error_frame[8] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};

static void consume(struct pn_uart_in *in, size_t n)
{
	if (n > in->len)
		n = in->len;
	memmove(in->buf, in->buf + n, in->len - n);
	in->len -= n;
}

enum pn_uart_event pn_uart_next(struct pn_uart_in *in, uint8_t out[PN_FRAME_DATA_MAX],
				size_t *out_len)
{
	for (;;) {
		/* Skip to the preamble and start code 00 00 FF. */
		size_t i = 0;
		while (i + 2 < in->len &&
		       !(in->buf[i] == 0x00 && in->buf[i + 1] == 0x00 && in->buf[i + 2] == 0xFF))
			i++;
		consume(in, i);
		if (in->len < 6)
			return PN_UART_NONE;
		const uint8_t *b = in->buf + 3;
		if ((b[0] == 0x00 && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0x00)) {
			enum pn_uart_event ev = b[0] == 0x00 ? PN_UART_ACK : PN_UART_NACK;
			if (b[2] != 0x00) {
				consume(in, 3);
				return PN_UART_BAD_POSTAMBLE;
			}
			consume(in, 6);
			return ev;
		}
		size_t hdr, len;
		if (b[0] == 0xFF && b[1] == 0xFF) {
			if (in->len < 8)
				return PN_UART_NONE;
			if ((uint8_t)(b[2] + b[3] + b[4]) != 0) {
				consume(in, 3);
				return PN_UART_BAD_LCS;
			}
			len = ((size_t)b[2] << 8) | b[3];
			hdr = 8;
		} else {
			if ((uint8_t)(b[0] + b[1]) != 0 || b[0] == 0) {
				consume(in, 3);
				return PN_UART_BAD_LCS;
			}
			len = b[0];
			hdr = 5;
		}
		if (len > PN_FRAME_DATA_MAX) {
			consume(in, 3);
			return PN_UART_TOO_LONG;
		}
		/* The frame, its DCS and its postamble. */
		if (in->len < hdr + len + 2)
			return PN_UART_NONE;
		const uint8_t *d = in->buf + hdr;
		uint8_t sum = 0;
		for (size_t k = 0; k <= len; k++)
			sum = (uint8_t)(sum + d[k]);
		if (sum != 0) {
			consume(in, 3);
			return PN_UART_BAD_DCS;
		}
		if (d[len + 1] != 0x00) {
			consume(in, hdr + len + 1);
			return PN_UART_BAD_POSTAMBLE;
		}
		if (d[0] != PN_TFI_HOST) {
			consume(in, hdr + len + 2);
			return PN_UART_BAD_TFI;
		}
		memcpy(out, d, len);
		*out_len = len;
		consume(in, hdr + len + 2);
		return PN_UART_FRAME;
	}
}

size_t pn_uart_build(uint8_t frame[PN_FRAME_MAX], uint8_t cmd, const uint8_t *payload,
		     size_t payload_len)
{
	size_t len = payload_len + 2;   /* TFI + command code */
	size_t p = 0;
	frame[p++] = 0x00;
	frame[p++] = 0x00;
	frame[p++] = 0xFF;
	if (len <= 0xFF) {
		frame[p++] = (uint8_t)len;
		frame[p++] = (uint8_t)(0x100 - len);
	} else {
		frame[p++] = 0xFF;
		frame[p++] = 0xFF;
		uint8_t hi = (uint8_t)(len >> 8), lo = (uint8_t)len;
		frame[p++] = hi;
		frame[p++] = lo;
		frame[p++] = (uint8_t)(0x100 - ((hi + lo) & 0xFF));
	}
	uint8_t sum = (uint8_t)(PN_TFI_CHIP + cmd + 1);
	frame[p++] = PN_TFI_CHIP;
	frame[p++] = (uint8_t)(cmd + 1);
	for (size_t i = 0; i < payload_len; i++) {
		frame[p++] = payload[i];
		sum = (uint8_t)(sum + payload[i]);
	}
	frame[p++] = (uint8_t)(0x100 - sum);
	frame[p++] = 0x00;
	return p;
}

const char *pn_uart_event_name(enum pn_uart_event ev)
{
	switch (ev) {
	case PN_UART_NONE: return "none";
	case PN_UART_FRAME: return "frame";
	case PN_UART_ACK: return "ACK";
	case PN_UART_NACK: return "NACK";
	case PN_UART_BAD_LCS: return "length checksum mismatch";
	case PN_UART_BAD_DCS: return "data checksum mismatch";
	case PN_UART_TOO_LONG: return "frame longer than the chip's buffer";
	case PN_UART_BAD_TFI: return "frame identifier is not host-to-chip (D4)";
	case PN_UART_BAD_POSTAMBLE: return "no postamble (00) after the checksum";
	}
	return "?";
}
