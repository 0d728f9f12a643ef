/* The carrier frame, the same on every carrier (Unix sockets, vpcd, the
 * firmware's UART) and exactly vsmartcard's vpcd protocol: a 2-byte
 * big-endian length, then that many bytes. A 1-byte body is a control code;
 * a longer body is a C-APDU (towards the card) or an R-APDU/ATR (back). */
#ifndef SC_FRAME_H
#define SC_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum sc_frame_ctrl {
	SC_CTRL_POWER_OFF = 0x00,
	SC_CTRL_POWER_ON = 0x01,
	SC_CTRL_RESET = 0x02,
	SC_CTRL_GET_ATR = 0x04,
};

/* Largest body: the 16-bit length field caps everything at 65535 (so an
 * extended APDU with 65535 data bytes, 4 + 3 + 65535 + 2, cannot be
 * carried whole). A carrier may impose a smaller limit. */
#define SC_FRAME_MAX_BODY 65535u
#define SC_FRAME_HDR 2u

/* Incremental decoder. Feed it bytes as they arrive, split anywhere; each
 * complete frame is handed back in the caller's body buffer. */
struct sc_frame_dec {
	uint8_t *body;     /* caller's buffer for one body */
	size_t cap;        /* its size: frames longer than this are an error */
	size_t want;       /* body length from the header, once known */
	size_t have;       /* header bytes (0..2) then body bytes received */
	uint8_t hdr[2];
	int in_body;       /* header complete */
	int err;           /* sticky: SC_ERR_FRAME_SIZE, SC_ERR_LENGTH, SC_ERR_ARG */
};

void sc_frame_dec_init(struct sc_frame_dec *d, uint8_t *body, size_t cap);
/* Consumes bytes from in[0..n) up to the end of the first complete frame.
 * Returns the number of bytes consumed (<= n), or a negative sc_err (the
 * decoder is then dead until re-initialised). *body_len is set to the body
 * length when a frame completed during this call, else to 0; since a
 * zero-length body is not a valid frame (SC_ERR_LENGTH), 0 means "no frame
 * yet". Call again with the rest of the input after a frame completes; the
 * body buffer is reused by the next frame. */
int sc_frame_dec_feed(struct sc_frame_dec *d, const uint8_t *in, size_t n, size_t *body_len);

/* Writes the header for a body of body_len bytes; 0, or SC_ERR_LENGTH (an
 * empty body) or SC_ERR_FRAME_SIZE. For writers that send the body from
 * where it lies. */
int sc_frame_header(uint8_t out[SC_FRAME_HDR], size_t body_len);

/* Writes header + body into out; returns the total length or a negative
 * sc_err (SC_ERR_LENGTH for an empty body, SC_ERR_FRAME_SIZE, SC_ERR_OVERFLOW). */
int sc_frame_encode(uint8_t *out, size_t cap, const uint8_t *body, size_t body_len);

#endif
