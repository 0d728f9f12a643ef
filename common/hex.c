/* Hex text (common/hex.h). */
#include <string.h>
#include "errors.h"
#include "hex.h"

void sc_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* The value of one hex digit, or -1. */
static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sc_hex_decode(uint8_t *out, size_t cap, const char *in)
{
	size_t len;

	if (!in)
		return SC_ERR_ARG;
	len = strlen(in);
	if (len % 2 != 0 || len / 2 > cap || len / 2 > 0x7fffffffu)
		return SC_ERR_LENGTH;
	for (size_t i = 0; i < len; i++)
		if (nibble(in[i]) < 0)
			return SC_ERR_BAD_VALUE;
	for (size_t i = 0; i < len / 2; i++)
		out[i] = (uint8_t)(nibble(in[2 * i]) << 4 | nibble(in[2 * i + 1]));
	return (int)(len / 2);
}
