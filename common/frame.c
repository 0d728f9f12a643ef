/* The carrier frame (common/frame.h): 2-byte big-endian length, then the
 * body. The decoder is a state machine fed any slice of the byte stream. */
#include <string.h>
#include "errors.h"
#include "frame.h"

void sc_frame_dec_init(struct sc_frame_dec *d, uint8_t *body, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->body = body;
	d->cap = body ? cap : 0;
}

int sc_frame_dec_feed(struct sc_frame_dec *d, const uint8_t *in, size_t n, size_t *body_len)
{
	size_t used = 0;

	if (body_len)
		*body_len = 0;
	if (d->err)
		return d->err;
	if (!body_len || (!in && n)) {
		d->err = SC_ERR_ARG;
		return d->err;
	}
	/* At most one frame (2 + 65535 bytes) is consumed per call, so the
	 * count always fits the int return. */
	while (used < n) {
		if (!d->in_body) {
			d->hdr[d->have++] = in[used++];
			if (d->have < SC_FRAME_HDR)
				continue;
			d->want = (size_t)d->hdr[0] << 8 | d->hdr[1];
			d->have = 0;
			if (d->want == 0)
				d->err = SC_ERR_LENGTH;
			else if (d->want > d->cap)
				d->err = SC_ERR_FRAME_SIZE;
			if (d->err)
				return d->err;
			d->in_body = 1;
		} else {
			size_t chunk = d->want - d->have;

			if (chunk > n - used)
				chunk = n - used;
			memcpy(d->body + d->have, in + used, chunk);
			d->have += chunk;
			used += chunk;
			if (d->have == d->want) {
				*body_len = d->want;
				d->in_body = 0;
				d->have = 0;
				return (int)used;
			}
		}
	}
	return (int)used;
}

int sc_frame_header(uint8_t out[SC_FRAME_HDR], size_t body_len)
{
	if (body_len == 0)
		return SC_ERR_LENGTH;
	if (body_len > SC_FRAME_MAX_BODY)
		return SC_ERR_FRAME_SIZE;
	out[0] = (uint8_t)(body_len >> 8);
	out[1] = (uint8_t)body_len;
	return 0;
}

int sc_frame_encode(uint8_t *out, size_t cap, const uint8_t *body, size_t body_len)
{
	uint8_t hdr[SC_FRAME_HDR];
	int rc = sc_frame_header(hdr, body_len);

	if (rc != 0)
		return rc;
	if (!out || !body)
		return SC_ERR_ARG;
	if (cap < SC_FRAME_HDR || body_len > cap - SC_FRAME_HDR)
		return SC_ERR_OVERFLOW;
	/* memmove: a caller may build the body in place at out + 2. */
	memmove(out + SC_FRAME_HDR, body, body_len);
	memcpy(out, hdr, sizeof hdr);
	return (int)(body_len + SC_FRAME_HDR);
}
