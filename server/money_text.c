/* Amounts and currencies as a person reads them, for the text of a decline:
 * "5.00 EUR" rather than 500, "USD" rather than 840 (common/currency.c has
 * the table; a code outside it is still shown, as its number). */
#include <stdio.h>

#include "common/currency.h"
#include "server.h"

void srv_currency_text(char out[SRV_CURRENCY_TEXT_MAX], uint16_t numeric)
{
	const struct sc_currency *c = sc_currency_by_numeric(numeric);

	if (c != NULL)
		snprintf(out, SRV_CURRENCY_TEXT_MAX, "%s", c->alpha);
	else
		snprintf(out, SRV_CURRENCY_TEXT_MAX, "currency %u", numeric);
}

void srv_money_text(char out[SRV_MONEY_TEXT_MAX], int64_t minor, uint16_t currency)
{
	/* A balance may be below zero (an issuer's account); an amount never is. */
	uint64_t magnitude = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	const char *sign = minor < 0 ? "-" : "";
	char text[SRV_MONEY_TEXT_MAX - 1]; /* room for the sign */

	if (sc_amount_format(text, sizeof text, magnitude, currency) >= 0)
		snprintf(out, SRV_MONEY_TEXT_MAX, "%s%s", sign, text);
	else
		snprintf(out, SRV_MONEY_TEXT_MAX, "%s%llu (minor units, currency %u)", sign,
			 (unsigned long long)magnitude, currency);
}
