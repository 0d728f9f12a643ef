/* Bounded reader and writer over caller-owned buffers. Both carry a sticky
 * error: after the first failure every further call is a no-op, so a whole
 * sequence of gets or puts is checked once, at the end. No allocation. */
#ifndef SC_BUF_H
#define SC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct sc_reader {
	const uint8_t *p;  /* input, not owned */
	size_t len;        /* bytes in p */
	size_t pos;        /* next byte to read */
	int err;           /* 0, or the first sc_err met */
};

struct sc_writer {
	uint8_t *p;        /* output, not owned */
	size_t cap;        /* bytes available in p */
	size_t len;        /* bytes written so far */
	int err;           /* 0, or the first sc_err met */
};

void sc_reader_init(struct sc_reader *r, const uint8_t *p, size_t len);
size_t sc_reader_left(const struct sc_reader *r);
/* Each get leaves *out untouched (or zeroed) on error and sets r->err. */
uint8_t sc_get_u8(struct sc_reader *r);
uint16_t sc_get_u16(struct sc_reader *r);   /* big-endian */
uint32_t sc_get_u32(struct sc_reader *r);
uint64_t sc_get_u64(struct sc_reader *r);
void sc_get_bytes(struct sc_reader *r, uint8_t *out, size_t n);
/* Returns a pointer to the next n bytes inside the input and skips them, or
 * NULL (with r->err set) if fewer than n remain. */
const uint8_t *sc_get_span(struct sc_reader *r, size_t n);
/* One TLV item with a 1-byte tag and a 1-byte length (0..255); sets *tag,
 * *len and returns the value in place, or NULL on error. */
const uint8_t *sc_get_tlv(struct sc_reader *r, uint8_t *tag, size_t *len);
/* SC_ERR_TRAILING if bytes remain, else r->err. */
int sc_reader_finish(const struct sc_reader *r);

void sc_writer_init(struct sc_writer *w, uint8_t *p, size_t cap);
void sc_put_u8(struct sc_writer *w, uint8_t v);
void sc_put_u16(struct sc_writer *w, uint16_t v);
void sc_put_u32(struct sc_writer *w, uint32_t v);
void sc_put_u64(struct sc_writer *w, uint64_t v);
void sc_put_bytes(struct sc_writer *w, const uint8_t *v, size_t n);
/* A TLV item as sc_get_tlv reads it; n > 255 is SC_ERR_LENGTH. */
void sc_put_tlv(struct sc_writer *w, uint8_t tag, const uint8_t *v, size_t n);

#endif
