/* The core's entry points (card/card.h): boot, manufacture, fields, ATR,
 * APDUs, keys and time. The core is one static instance, as on a chip. */
#include <string.h>

#include "core.h"

/* Power-up until boot succeeds, and after any failed flash write, the card
 * is "dead": as if power had been lost at that instant. */
static bool dead = true;

bool core_dead(void)
{
	return dead;
}

void core_set_dead(void)
{
	dead = true;
	confirm_reset();
}

int core_commit(void)
{
	if (store_commit() == 0)
		return 0;
	core_set_dead();
	return -1;
}

int card_boot(void)
{
	dead = true;
	runtime_reset_all();
	confirm_reset();
	if (store_mount() != 0 || core_rng_init() != 0)
		return -1;
	dead = false;
	screen_simple(CARD_SCREEN_IDLE, "sigcard", NULL);
	return 0;
}

int card_factory_init(const uint8_t transport_key[CARD_TRANSPORT_KEY_LEN])
{
	struct core_persist p;
	int rc;

	dead = true;
	runtime_reset_all();
	confirm_reset();
	memset(&p, 0, sizeof p);
	p.lifecycle = CORE_LC_PERSONALISING;
	p.pin_tries = CORE_PIN_TRIES;
	memcpy(p.transport_key, transport_key, CARD_TRANSPORT_KEY_LEN);
	rc = store_format(&p);
	sc_wipe(&p, sizeof p);
	return rc == 0 ? 0 : -1;
}

void card_field(enum card_iface iface, int on)
{
	if ((unsigned)iface > 1u)
		return;
	runtime_reset_iface(iface);
	if (dead)
		return;
	confirm_field(iface, on);
}

/* ATR: direct convention, T=1 offered (TD1 = 80, TD2 = 01), eight
 * historical bytes "SIGCARD" + 'C' (contact) or 'L' (contactless), TCK. */
size_t card_atr(enum card_iface iface, uint8_t *out, size_t cap)
{
	uint8_t atr[13] = {0x3B, 0x88, 0x80, 0x01, 'S', 'I', 'G', 'C', 'A', 'R', 'D', 'C', 0};
	uint8_t tck = 0;

	if (iface == CARD_IFACE_CONTACTLESS)
		atr[11] = 'L';
	for (size_t i = 1; i < sizeof atr - 1u; i++)
		tck ^= atr[i];
	atr[sizeof atr - 1u] = tck;
	if (out == NULL || cap < sizeof atr)
		return 0;
	memcpy(out, atr, sizeof atr);
	return sizeof atr;
}

size_t card_apdu(enum card_iface iface, const uint8_t *capdu, size_t len, uint8_t *rapdu,
		 size_t cap)
{
	return runtime_apdu(iface, capdu, len, rapdu, cap);
}

void card_key(int key)
{
	if (!dead)
		confirm_key(key);
}

void card_poll(void)
{
	if (!dead)
		confirm_poll();
}

const struct card_screen *card_current_screen(void)
{
	return screen_current();
}
