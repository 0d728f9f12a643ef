/* PRNG and sample transactions for the common/ tests (common_test.h). */
#include <string.h>
#include "common_test.h"

void prng_seed(struct prng *p, uint64_t seed)
{
	p->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t prng_next(struct prng *p)
{
	p->s ^= p->s >> 12;
	p->s ^= p->s << 25;
	p->s ^= p->s >> 27;
	return p->s * 0x2545f4914f6cdd1dull;
}

size_t prng_below(struct prng *p, size_t n)
{
	return (size_t)(prng_next(p) % n);
}

void prng_fill(struct prng *p, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(prng_next(p) >> 56);
}

void sample_tx(struct sc_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->version = SC_TX_VERSION;
	tx->scheme = SC_SCHEME_ENC_RAND;
	tx->amount = 1234;
	tx->currency = 978;
	strcpy(tx->payer, "DE89370400440532013000");
	strcpy(tx->payee, "FR1420041010050500013M02606");
	strcpy(tx->payee_name, "Café Müller");
	strcpy(tx->terminal_id, "TERM-0001");
	for (size_t i = 0; i < SC_CHALLENGE_LEN; i++)
		tx->challenge[i] = (uint8_t)(0xa0 + i);
	tx->time = 1767225600;  /* 2026-01-01T00:00:00Z */
}

static void random_account(struct prng *p, char *out)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
	size_t n = 1 + prng_below(p, SC_ACCOUNT_MAX);

	for (size_t i = 0; i < n; i++)
		out[i] = set[prng_below(p, i == 0 ? sizeof(set) - 2 : sizeof(set) - 1)];
	out[n] = '\0';
}

/* Appends one random allowed code point in UTF-8 if it fits in max bytes. */
static size_t put_char(struct prng *p, char *out, size_t at, size_t max)
{
	static const uint32_t picks[] = { 'A', 'z', '0', ' ', '~', 0xe9, 0xfc, 0x3b1, 0x4e2d,
					  0x20ac, 0x1f600, 0x10fffd, 0xa0 };
	uint32_t cp = picks[prng_below(p, sizeof(picks) / sizeof(picks[0]))];
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	if (at + n > max)
		return at;
	if (n == 1) {
		out[at] = (char)cp;
	} else {
		for (size_t i = n - 1; i > 0; i--, cp >>= 6)
			out[at + i] = (char)(0x80 | (cp & 0x3f));
		out[at] = (char)((n == 2 ? 0xc0 : n == 3 ? 0xe0 : 0xf0) | cp);
	}
	return at + n;
}

static void random_name(struct prng *p, char *out)
{
	size_t want = 1 + prng_below(p, SC_PAYEE_NAME_MAX), n = 0;

	do {
		n = 0;
		for (size_t tries = 0; tries < want && n < want; tries++)
			n = put_char(p, out, n, want);
		out[n] = '\0';
	} while (n == 0 || out[0] == ' ' || out[n - 1] == ' ');
}

void random_tx(struct prng *p, struct sc_tx *tx)
{
	size_t n;

	memset(tx, 0, sizeof(*tx));
	tx->version = SC_TX_VERSION;
	tx->scheme = (uint8_t)(1 + prng_below(p, 3));
	tx->amount = 1 + (prng_next(p) >> (1 + prng_below(p, 63))) % 0x7fffffffffffffffull;
	tx->currency = (uint16_t)(1 + prng_below(p, 999));
	random_account(p, tx->payer);
	random_account(p, tx->payee);
	random_name(p, tx->payee_name);
	n = 1 + prng_below(p, SC_TERMINAL_ID_MAX);
	for (size_t i = 0; i < n; i++)
		tx->terminal_id[i] = (char)(0x21 + prng_below(p, 0x7e - 0x21 + 1));
	tx->terminal_id[n] = '\0';
	prng_fill(p, tx->challenge, SC_CHALLENGE_LEN);
	tx->time = prng_next(p) >> (1 + prng_below(p, 63));
}
