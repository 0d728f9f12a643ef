/* The PIN object: entered only on the card's keypad (confirm.c calls this),
 * never through an APDU. The try counter is decremented and committed
 * before the comparison, so cutting power during a check costs a try. */
#include <string.h>

#include "core.h"

int pin_verify(struct card_core *c, const uint8_t *digits, size_t len)
{
	const struct core_persist *p = store_committed(c);
	struct core_persist *w;
	uint8_t entered[CORE_PIN_MAX];
	int match;

	if (!(p->have & CORE_HAVE_PIN) || p->pin_tries == 0)
		return CORE_PIN_BLOCKED;
	if (len > CORE_PIN_MAX)
		len = CORE_PIN_MAX;
	w = store_begin(c);
	w->pin_tries = (uint8_t)(p->pin_tries - 1u);
	if (core_commit(c) != 0)
		return CORE_PIN_FAILURE;

	memset(entered, 0, sizeof entered);
	memcpy(entered, digits, len);
	match = sc_ct_equal(entered, p->pin, CORE_PIN_MAX) & (len == p->pin_len);
	sc_wipe(entered, sizeof entered);
	if (!match)
		return p->pin_tries == 0 ? CORE_PIN_BLOCKED : CORE_PIN_WRONG;

	w = store_begin(c);
	w->pin_tries = CORE_PIN_TRIES;
	if (core_commit(c) != 0)
		return CORE_PIN_FAILURE;
	return CORE_PIN_OK;
}
