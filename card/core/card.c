/* The core's entry points (card/card.h): set-up, boot, manufacture, fields,
 * ATR, APDUs, keys and time, each on the caller's struct card_core. */
#include <string.h>

#include "core.h"

void card_core_init(struct card_core *c, struct card_hal *hal)
{
	memset(c, 0, sizeof *c);
	c->hal = hal;
	/* Power-up until boot succeeds, and after any failed flash write, the
	 * card is "dead": as if power had been lost at that instant. */
	c->dead = true;
	c->confirm_timeout_ms = CARD_CONFIRM_TIMEOUT_DEFAULT_MS;
}

bool core_dead(const struct card_core *c)
{
	return c->dead;
}

void core_set_dead(struct card_core *c)
{
	c->dead = true;
	confirm_reset(c);
}

int core_commit(struct card_core *c)
{
	if (store_commit(c) == 0)
		return 0;
	core_set_dead(c);
	return -1;
}

int card_boot(struct card_core *c)
{
	c->dead = true;
	runtime_reset_all(c);
	confirm_reset(c);
	if (store_mount(c) != 0 || core_rng_init(c) != 0)
		return -1;
	c->dead = false;
	screen_simple(c, CARD_SCREEN_IDLE, "sigcard", NULL);
	return 0;
}

int card_factory_init(struct card_core *c, const uint8_t transport_key[CARD_TRANSPORT_KEY_LEN])
{
	struct core_persist p;
	int rc;

	c->dead = true;
	runtime_reset_all(c);
	confirm_reset(c);
	memset(&p, 0, sizeof p);
	p.lifecycle = CORE_LC_PERSONALISING;
	p.pin_tries = CORE_PIN_TRIES;
	memcpy(p.transport_key, transport_key, CARD_TRANSPORT_KEY_LEN);
	rc = store_format(c, &p);
	sc_wipe(&p, sizeof p);
	return rc == 0 ? 0 : -1;
}

void card_field(struct card_core *c, enum card_iface iface, int on)
{
	if ((unsigned)iface >= CORE_IFACES)
		return;
	runtime_reset_iface(c, iface);
	if (c->dead)
		return;
	confirm_field(c, iface, on);
}

/* ATR: direct convention, T=1 offered (TD1 = 80, TD2 = 01), eight
 * historical bytes "SIGCARD" + 'C' (contact) or 'L' (contactless), TCK.
 * The same for every card: c is there for the uniform call. */
size_t card_atr(const struct card_core *c, enum card_iface iface, uint8_t *out, size_t cap)
{
	uint8_t atr[13] = {0x3B, 0x88, 0x80, 0x01, 'S', 'I', 'G', 'C', 'A', 'R', 'D', 'C', 0};
	uint8_t tck = 0;

	(void)c;
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

size_t card_historical_bytes(const struct card_core *c, enum card_iface iface, uint8_t *out,
			     size_t cap)
{
	uint8_t atr[CARD_ATR_MAX];
	size_t n = card_atr(c, iface, atr, sizeof atr), k;

	/* T0's low nibble counts them; only TCK follows them. */
	if (n < 3)
		return 0;
	k = atr[1] & 0x0Fu;
	if (k == 0 || k + 2u > n || out == NULL || cap < k)
		return 0;
	memcpy(out, atr + n - 1u - k, k);
	return k;
}

size_t card_apdu(struct card_core *c, enum card_iface iface, const uint8_t *capdu, size_t len,
		 uint8_t *rapdu, size_t cap)
{
	return runtime_apdu(c, iface, capdu, len, rapdu, cap);
}

uint8_t *card_apdu_window(struct card_core *c, enum card_iface iface, size_t *cap)
{
	return runtime_apdu_window(c, iface, cap);
}

void card_key(struct card_core *c, int key)
{
	if (!c->dead)
		confirm_key(c, key);
}

void card_poll(struct card_core *c)
{
	if (!c->dead)
		confirm_poll(c);
}

uint8_t card_screen_id(const struct card_core *c)
{
	return screen_id(c);
}
