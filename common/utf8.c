/* UTF-8 decoding, strict (common/utf8.h): exactly one byte form per code
 * point, so that two texts that decode alike are the same bytes. */
#include "errors.h"
#include "utf8.h"

int sc_utf8_next(uint32_t *cp, const uint8_t *s, size_t len)
{
	uint8_t c = s[0];
	uint32_t v, min;
	size_t more;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		more = 1, v = c & 0x1fu, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		more = 2, v = c & 0x0fu, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		more = 3, v = c & 0x07u, min = 0x10000;
	} else {
		return SC_ERR_BAD_UTF8;  /* continuation byte, C0/C1 lead, or > U+10FFFF */
	}
	if (more > len - 1u)
		return SC_ERR_BAD_UTF8;
	for (size_t k = 1; k <= more; k++) {
		if ((s[k] & 0xc0u) != 0x80u)
			return SC_ERR_BAD_UTF8;
		v = v << 6 | (s[k] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return SC_ERR_BAD_UTF8;
	*cp = v;
	return (int)(more + 1u);
}
