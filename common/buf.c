/* Bounded reader and writer with a sticky error (common/buf.h). Every bound
 * is checked as "n > len - pos", which cannot wrap since pos <= len. */
#include <string.h>
#include "buf.h"
#include "errors.h"

/* A valid address for an empty span when the input pointer is NULL, so that
 * a successful zero-length get never looks like a failure. */
static const uint8_t empty_span[1];

void sc_reader_init(struct sc_reader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->pos = 0;
	r->err = 0;
}

size_t sc_reader_left(const struct sc_reader *r)
{
	return r->len - r->pos;
}

/* The next n bytes, or NULL with r->err set. */
static const uint8_t *take(struct sc_reader *r, size_t n)
{
	const uint8_t *s;

	if (r->err)
		return NULL;
	if (n > r->len - r->pos) {
		r->err = SC_ERR_TRUNCATED;
		return NULL;
	}
	if (r->p == NULL)
		return empty_span;  /* n == 0 here */
	s = r->p + r->pos;
	r->pos += n;
	return s;
}

uint8_t sc_get_u8(struct sc_reader *r)
{
	const uint8_t *s = take(r, 1);

	return s ? s[0] : 0;
}

uint16_t sc_get_u16(struct sc_reader *r)
{
	const uint8_t *s = take(r, 2);

	return s ? (uint16_t)((unsigned)s[0] << 8 | s[1]) : 0;
}

uint32_t sc_get_u32(struct sc_reader *r)
{
	const uint8_t *s = take(r, 4);

	if (!s)
		return 0;
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

uint64_t sc_get_u64(struct sc_reader *r)
{
	const uint8_t *s = take(r, 8);
	uint64_t v = 0;

	if (!s)
		return 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | s[i];
	return v;
}

void sc_get_bytes(struct sc_reader *r, uint8_t *out, size_t n)
{
	const uint8_t *s = take(r, n);

	if (n == 0)
		return;
	if (s)
		memcpy(out, s, n);
	else
		memset(out, 0, n);
}

const uint8_t *sc_get_span(struct sc_reader *r, size_t n)
{
	return take(r, n);
}

const uint8_t *sc_get_tlv(struct sc_reader *r, uint8_t *tag, size_t *len)
{
	uint8_t t = sc_get_u8(r);
	size_t n = sc_get_u8(r);
	const uint8_t *v = take(r, n);

	if (!v) {
		*tag = 0;
		*len = 0;
		return NULL;
	}
	*tag = t;
	*len = n;
	return v;
}

int sc_reader_finish(const struct sc_reader *r)
{
	if (r->err)
		return r->err;
	return r->pos == r->len ? SC_OK : SC_ERR_TRAILING;
}

void sc_writer_init(struct sc_writer *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : 0;
	w->len = 0;
	w->err = 0;
}

/* Room for n more bytes? Sets the sticky error if not. */
static int room(struct sc_writer *w, size_t n)
{
	if (w->err)
		return 0;
	if (n > w->cap - w->len) {
		w->err = SC_ERR_OVERFLOW;
		return 0;
	}
	return 1;
}

void sc_put_u8(struct sc_writer *w, uint8_t v)
{
	if (room(w, 1))
		w->p[w->len++] = v;
}

void sc_put_u16(struct sc_writer *w, uint16_t v)
{
	if (!room(w, 2))
		return;
	w->p[w->len++] = (uint8_t)(v >> 8);
	w->p[w->len++] = (uint8_t)v;
}

void sc_put_u32(struct sc_writer *w, uint32_t v)
{
	if (!room(w, 4))
		return;
	for (int shift = 24; shift >= 0; shift -= 8)
		w->p[w->len++] = (uint8_t)(v >> shift);
}

void sc_put_u64(struct sc_writer *w, uint64_t v)
{
	if (!room(w, 8))
		return;
	for (int shift = 56; shift >= 0; shift -= 8)
		w->p[w->len++] = (uint8_t)(v >> shift);
}

void sc_put_bytes(struct sc_writer *w, const uint8_t *v, size_t n)
{
	if (!room(w, n) || n == 0)
		return;
	memmove(w->p + w->len, v, n);
	w->len += n;
}

void sc_put_tlv(struct sc_writer *w, uint8_t tag, const uint8_t *v, size_t n)
{
	if (w->err)
		return;
	if (n > 255) {
		w->err = SC_ERR_LENGTH;
		return;
	}
	/* The whole item or nothing: a reader never sees half a TLV. */
	if (!room(w, 2 + n))
		return;
	sc_put_u8(w, tag);
	sc_put_u8(w, (uint8_t)n);
	sc_put_bytes(w, v, n);
}
