/* ISO 4217 currencies the card knows how to show: numeric code, letters,
 * and the number of minor-unit digits. */
#ifndef SC_CURRENCY_H
#define SC_CURRENCY_H

#include <stddef.h>
#include <stdint.h>

struct sc_currency {
	uint16_t numeric;   /* 978 */
	char alpha[4];      /* "EUR" */
	uint8_t exponent;   /* 2: amounts are in cents */
};

/* NULL if the code is not in the table. */
const struct sc_currency *sc_currency_by_numeric(uint16_t numeric);
const struct sc_currency *sc_currency_by_alpha(const char *alpha);
/* "12.34 EUR" into out; returns length or a negative sc_err. */
int sc_amount_format(char *out, size_t cap, uint64_t amount, uint16_t currency);
/* Parses "12.34" for currency (exact: no more decimals than its exponent,
 * no sign, no overflow) into minor units. */
int sc_amount_parse(const char *text, uint16_t currency, uint64_t *amount);

#endif
