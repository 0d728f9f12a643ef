/* Hex text for ids and test vectors. */
#ifndef SC_HEX_H
#define SC_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2n lowercase digits and a NUL; out needs 2n+1 bytes. */
void sc_hex_encode(char *out, const uint8_t *in, size_t n);
/* Decodes the whole string in (an even number of digits, either case, at
 * most 2*cap) into out; returns the number of bytes, or SC_ERR_BAD_VALUE
 * (not hex) / SC_ERR_LENGTH (odd or too long). */
int sc_hex_decode(uint8_t *out, size_t cap, const char *in);

#endif
