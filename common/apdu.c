/* ISO 7816-4 command APDUs, cases 1-4, short and extended (common/apdu.h).
 * After the 4-byte header the body is one of:
 *   case 1: (nothing)         case 2s: Le          case 2e: 00 Le1 Le2
 *   case 3s: Lc data          case 4s: Lc data Le
 *   case 3e: 00 Lc1 Lc2 data  case 4e: 00 Lc1 Lc2 data Le1 Le2
 * with short Lc 01..FF, extended Lc 0001..FFFF, and a Le of 00 / 0000
 * meaning 256 / 65536. */
#include <string.h>
#include "apdu.h"
#include "errors.h"

static size_t short_le(uint8_t b)
{
	return b ? b : SC_APDU_SHORT_MAX_LE;
}

static size_t ext_len(const uint8_t *b)
{
	return (size_t)b[0] << 8 | b[1];
}

static size_t ext_le(const uint8_t *b)
{
	size_t le = ext_len(b);

	return le ? le : SC_APDU_EXT_MAX_LE;
}

/* The body after Lc = b[0] in short form. */
static int parse_short_lc(struct sc_apdu *a, const uint8_t *b, size_t rest)
{
	size_t lc = b[0];

	if (rest - 1 < lc)
		return SC_ERR_TRUNCATED;
	a->lc = lc;
	a->data = b + 1;
	if (rest - 1 == lc) {
		a->kase = SC_APDU_CASE3;
		return SC_OK;
	}
	if (rest - 1 == lc + 1) {
		a->kase = SC_APDU_CASE4;
		a->le = short_le(b[1 + lc]);
		return SC_OK;
	}
	return SC_ERR_BAD_APDU;  /* trailing bytes, or a short Lc with a long Le */
}

/* The body after 00 Lc1 Lc2 (rest >= 4). */
static int parse_ext_lc(struct sc_apdu *a, const uint8_t *b, size_t rest)
{
	size_t lc = ext_len(b + 1);
	size_t after = rest - 3;

	if (lc == 0)
		return SC_ERR_BAD_APDU;
	if (after < lc)
		return SC_ERR_TRUNCATED;
	a->extended = 1;
	a->lc = lc;
	a->data = b + 3;
	if (after == lc) {
		a->kase = SC_APDU_CASE3;
		return SC_OK;
	}
	if (after == lc + 2) {
		a->kase = SC_APDU_CASE4;
		a->le = ext_le(b + 3 + lc);
		return SC_OK;
	}
	return SC_ERR_BAD_APDU;  /* an extended Lc with a short Le, or trailing bytes */
}

int sc_apdu_parse(struct sc_apdu *a, const uint8_t *buf, size_t len)
{
	const uint8_t *b;
	size_t rest;
	int rc;

	if (!a)
		return SC_ERR_ARG;
	memset(a, 0, sizeof(*a));
	if (!buf || len < 4)
		return SC_ERR_BAD_APDU;
	a->cla = buf[0];
	a->ins = buf[1];
	a->p1 = buf[2];
	a->p2 = buf[3];
	b = buf + 4;
	rest = len - 4;
	if (rest == 0) {
		a->kase = SC_APDU_CASE1;
		return SC_OK;
	}
	if (rest == 1) {
		a->kase = SC_APDU_CASE2;
		a->le = short_le(b[0]);
		return SC_OK;
	}
	if (b[0] != 0)
		rc = parse_short_lc(a, b, rest);
	else if (rest == 3) {
		a->kase = SC_APDU_CASE2;
		a->extended = 1;
		a->le = ext_le(b + 1);
		rc = SC_OK;
	} else if (rest == 2)
		rc = SC_ERR_BAD_APDU;  /* short Lc = 0 with one more byte */
	else
		rc = parse_ext_lc(a, b, rest);
	if (rc != SC_OK) {
		uint8_t cla = a->cla, ins = a->ins, p1 = a->p1, p2 = a->p2;

		/* Nothing half-parsed survives an error, but the header
		 * stays so a card can still answer by INS. */
		memset(a, 0, sizeof(*a));
		a->cla = cla;
		a->ins = ins;
		a->p1 = p1;
		a->p2 = p2;
	}
	return rc;
}

int sc_apdu_build(uint8_t *out, size_t cap, uint8_t cla, uint8_t ins, uint8_t p1,
		  uint8_t p2, const uint8_t *data, size_t lc, size_t le)
{
	size_t need;
	size_t n = 0;
	int ext;

	if (lc > SC_APDU_EXT_MAX_LC || le > SC_APDU_EXT_MAX_LE)
		return SC_ERR_LENGTH;
	if (!out || (lc && !data))
		return SC_ERR_ARG;
	ext = lc > SC_APDU_SHORT_MAX_LC || le > SC_APDU_SHORT_MAX_LE;
	need = 4;
	if (lc)
		need += (ext ? 3u : 1u) + lc;
	if (le)
		need += ext ? (lc ? 2u : 3u) : 1u;
	if (need > cap)
		return SC_ERR_OVERFLOW;
	out[n++] = cla;
	out[n++] = ins;
	out[n++] = p1;
	out[n++] = p2;
	if (lc) {
		if (ext) {
			out[n++] = 0;
			out[n++] = (uint8_t)(lc >> 8);
		}
		out[n++] = (uint8_t)lc;
		memmove(out + n, data, lc);
		n += lc;
	}
	if (le) {
		/* 256 and 65536 wrap to 00 and 0000, as ISO encodes them. */
		if (ext) {
			if (!lc)
				out[n++] = 0;
			out[n++] = (uint8_t)(le >> 8);
		}
		out[n++] = (uint8_t)le;
	}
	return (int)n;
}

int sc_rapdu_parse(const uint8_t *buf, size_t len, const uint8_t **data, size_t *data_len,
		   uint16_t *sw)
{
	if (!buf || len < 2)
		return SC_ERR_TRUNCATED;
	if (data)
		*data = buf;
	if (data_len)
		*data_len = len - 2;
	if (sw)
		*sw = (uint16_t)((unsigned)buf[len - 2] << 8 | buf[len - 1]);
	return SC_OK;
}
