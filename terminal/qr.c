/* The card's password QR code, "SIGCARD1:<card id>:<ATC>:<JP>", parsed
 * strictly: the terminal acts on a QR only if it is exactly this form, so a
 * picture of something else in the frame is never mistaken for a password. */
#include <string.h>

#include "common/hex.h"
#include "terminal/terminal.h"

#define QR_PREFIX "SIGCARD1:"

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

int term_qr_parse(struct term_qr *q, const char *payload, size_t len)
{
	const size_t pre = sizeof QR_PREFIX - 1;
	char id_hex[2 * SC_CARD_ID_LEN + 1];
	memset(q, 0, sizeof *q);
	if (len < pre || memcmp(payload, QR_PREFIX, pre) != 0)
		return -TERM_EXIT_FAILURE;
	size_t at = pre;
	if (len - at < 2 * SC_CARD_ID_LEN + 1 || payload[at + 2 * SC_CARD_ID_LEN] != ':')
		return -TERM_EXIT_FAILURE;
	memcpy(id_hex, payload + at, 2 * SC_CARD_ID_LEN);
	id_hex[2 * SC_CARD_ID_LEN] = '\0';
	if (sc_hex_decode(q->card_id, sizeof q->card_id, id_hex) != (int)SC_CARD_ID_LEN)
		return -TERM_EXIT_FAILURE;
	at += 2 * SC_CARD_ID_LEN + 1;

	/* ATC: 1..10 decimal digits, no leading zero, at most 2^32 - 1. */
	uint64_t atc = 0;
	size_t digits = 0;
	while (at < len && is_digit(payload[at])) {
		if (digits == 10)
			return -TERM_EXIT_FAILURE;
		if (digits == 1 && atc == 0)
			return -TERM_EXIT_FAILURE;
		atc = atc * 10u + (uint64_t)(payload[at] - '0');
		digits++;
		at++;
	}
	if (digits == 0 || atc > UINT32_MAX || at >= len || payload[at] != ':')
		return -TERM_EXIT_FAILURE;
	at++;

	if (len - at != SC_JP_DIGITS)
		return -TERM_EXIT_FAILURE;
	for (size_t i = 0; i < SC_JP_DIGITS; i++)
		if (!is_digit(payload[at + i]))
			return -TERM_EXIT_FAILURE;
	memcpy(q->jp, payload + at, SC_JP_DIGITS);
	q->jp[SC_JP_DIGITS] = '\0';
	q->atc = (uint32_t)atc;
	return 0;
}
