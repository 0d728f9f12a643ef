/* ISO 4217 currencies and exact amount text (common/currency.h). Amounts are
 * integers in minor units; no floating point is ever involved. */
#include <string.h>
#include "currency.h"
#include "errors.h"

/* Sorted by numeric code. */
static const struct sc_currency currencies[] = {
	{ 36, "AUD", 2 },  { 48, "BHD", 3 },  { 124, "CAD", 2 }, { 156, "CNY", 2 },
	{ 203, "CZK", 2 }, { 208, "DKK", 2 }, { 344, "HKD", 2 }, { 356, "INR", 2 },
	{ 392, "JPY", 0 }, { 410, "KRW", 0 }, { 414, "KWD", 3 }, { 578, "NOK", 2 },
	{ 752, "SEK", 2 }, { 756, "CHF", 2 }, { 826, "GBP", 2 }, { 840, "USD", 2 },
	{ 978, "EUR", 2 }, { 985, "PLN", 2 },
};
#define N_CURRENCIES (sizeof(currencies) / sizeof(currencies[0]))

/* Amounts are bounded as the transaction bounds them (2^63 - 1), so every
 * parsed amount can be sent. */
#define AMOUNT_MAX 0x7fffffffffffffffull
/* Decimal digits of the largest uint64_t. */
#define U64_DIGITS 20

const struct sc_currency *sc_currency_by_numeric(uint16_t numeric)
{
	for (size_t i = 0; i < N_CURRENCIES; i++)
		if (currencies[i].numeric == numeric)
			return &currencies[i];
	return NULL;
}

const struct sc_currency *sc_currency_by_alpha(const char *alpha)
{
	if (!alpha)
		return NULL;
	for (size_t i = 0; i < N_CURRENCIES; i++)
		if (strcmp(currencies[i].alpha, alpha) == 0)
			return &currencies[i];
	return NULL;
}

int sc_amount_format(char *out, size_t cap, uint64_t amount, uint16_t currency)
{
	const struct sc_currency *c = sc_currency_by_numeric(currency);
	char digits[U64_DIGITS];
	size_t nd = 0, need, n = 0;

	if (!c)
		return SC_ERR_BAD_VALUE;
	if (!out)
		return SC_ERR_ARG;
	/* Digits, least significant first, at least exponent + 1 of them so
	 * that 5 cents reads 0.05. */
	do {
		digits[nd++] = (char)('0' + amount % 10);
		amount /= 10;
	} while (amount || nd <= c->exponent);
	need = nd + (c->exponent ? 1u : 0u) + 1u + 3u;  /* digits [.] space alpha */
	if (need + 1 > cap)
		return SC_ERR_OVERFLOW;
	while (nd > 0) {
		if (nd == c->exponent)
			out[n++] = '.';
		out[n++] = digits[--nd];
	}
	out[n++] = ' ';
	memcpy(out + n, c->alpha, 3);
	n += 3;
	out[n] = '\0';
	return (int)n;
}

int sc_amount_parse(const char *text, uint16_t currency, uint64_t *amount)
{
	const struct sc_currency *c = sc_currency_by_numeric(currency);
	uint64_t v = 0;
	size_t i = 0, int_digits = 0, decimals = 0;

	if (!c)
		return SC_ERR_BAD_VALUE;
	if (!text || !amount)
		return SC_ERR_ARG;
	for (; text[i] >= '0' && text[i] <= '9'; i++, int_digits++) {
		unsigned d = (unsigned)(text[i] - '0');

		if (v > (AMOUNT_MAX - d) / 10)
			return SC_ERR_BAD_VALUE;
		v = v * 10 + d;
	}
	if (int_digits == 0)
		return SC_ERR_BAD_VALUE;
	if (text[i] == '.') {
		i++;
		for (; text[i] >= '0' && text[i] <= '9'; i++, decimals++) {
			unsigned d = (unsigned)(text[i] - '0');

			if (decimals == c->exponent)
				return SC_ERR_BAD_VALUE;  /* finer than the minor unit */
			if (v > (AMOUNT_MAX - d) / 10)
				return SC_ERR_BAD_VALUE;
			v = v * 10 + d;
		}
		if (decimals == 0)
			return SC_ERR_BAD_VALUE;  /* "12." */
	}
	if (text[i] != '\0')
		return SC_ERR_BAD_VALUE;
	for (; decimals < c->exponent; decimals++) {
		if (v > AMOUNT_MAX / 10)
			return SC_ERR_BAD_VALUE;
		v *= 10;
	}
	*amount = v;
	return SC_OK;
}
