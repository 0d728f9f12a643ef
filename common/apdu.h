/* ISO 7816-4 command and response APDUs: parse and build, cases 1-4, short
 * and extended length. A parsed APDU points into the caller's buffer. */
#ifndef SC_APDU_H
#define SC_APDU_H

#include <stddef.h>
#include <stdint.h>
#include "sw.h"

#define SC_APDU_SHORT_MAX_LC 255u
#define SC_APDU_EXT_MAX_LC 65535u
/* Le as a number of bytes: 256 for a short Le byte of 00, 65536 for an
 * extended Le of 0000. */
#define SC_APDU_SHORT_MAX_LE 256u
#define SC_APDU_EXT_MAX_LE 65536u
/* Largest C-APDU: header, 0x00 + 2-byte Lc, 65535 data, 2-byte Le. */
#define SC_APDU_MAX_CMD (4u + 3u + 65535u + 2u)

enum sc_apdu_case {
	SC_APDU_CASE1 = 1, /* no data, no Le */
	SC_APDU_CASE2 = 2, /* Le only */
	SC_APDU_CASE3 = 3, /* data only */
	SC_APDU_CASE4 = 4, /* data and Le */
};

struct sc_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;   /* Lc bytes inside the parsed buffer, NULL if Lc = 0 */
	size_t lc;             /* 0..65535 */
	size_t le;             /* bytes expected back: 0 (none) .. 65536 */
	enum sc_apdu_case kase;
	int extended;          /* 1 if extended length encoding was used */
};

/* Parses buf[0..len) as exactly one C-APDU. Rejects with SC_ERR_BAD_APDU:
 * fewer than 4 bytes, Lc/data mismatch, short Lc = 0, an extended Lc with a
 * short Le (or the reverse), trailing bytes; SC_ERR_TRUNCATED where the
 * length fields promise more than is there. On error *a keeps only the
 * header (when 4 bytes were there), so a card can still answer by INS. */
int sc_apdu_parse(struct sc_apdu *a, const uint8_t *buf, size_t len);

/* Builds a C-APDU in the smallest form that fits (short unless lc > 255 or
 * le > 256). Returns the length written or a negative sc_err. */
int sc_apdu_build(uint8_t *out, size_t cap, uint8_t cla, uint8_t ins, uint8_t p1,
		  uint8_t p2, const uint8_t *data, size_t lc, size_t le);

/* Splits an R-APDU into data and status word; SC_ERR_TRUNCATED if < 2 bytes. */
int sc_rapdu_parse(const uint8_t *buf, size_t len, const uint8_t **data, size_t *data_len,
		   uint16_t *sw);

#endif
