/* sim_card.h over ram_hal and card_client: each card owns its core, its
 * RAM HAL and its flash image, so switching cards is just using another. */
#include <string.h>

#include "card_client.h"
#include "ram_hal.h"
#include "sim_card.h"

const uint8_t SIM_CARD_TRANSPORT_KEY[16] = {'s', 'i', 'm', '-', 't', 'r', 'a', 'n',
					   's', 'p', 'o', 'r', 't', '-', 'k', '1'};

static struct {
	struct card_hal hal;   /* its flash (the HAL's own image), entropy, screen */
	struct card_core core;
} cards[SIM_CARD_MAX];
static int count;

int sim_card_new(const uint8_t card_id[8], const uint8_t kcard[32], const char *pin,
		 const char *account, struct sim_card_identity *out)
{
	struct cc_perso p;
	struct card_core *c;
	uint64_t seed = 0;
	int i = count;

	if (count >= SIM_CARD_MAX || strlen(account) >= sizeof out->account)
		return -1;
	for (int k = 0; k < 8; k++)
		seed = seed << 8 | card_id[k];
	ram_hal_attach(&cards[i].hal, NULL, seed);
	ram_hal_erase_all(&cards[i].hal);
	c = &cards[i].core;
	card_core_init(c, &cards[i].hal);
	if (card_factory_init(c, SIM_CARD_TRANSPORT_KEY) != 0 || card_boot(c) != 0)
		return -1;
	memcpy(p.card_id, card_id, sizeof p.card_id);
	memcpy(p.kcard, kcard, sizeof p.kcard);
	p.pin = pin;
	p.account = account;
	card_field(c, CARD_IFACE_CONTACT, 1);
	if (cc_personalise(c, SIM_CARD_TRANSPORT_KEY, &p, 1, out->pubkey) != 0x9000)
		return -1;
	card_field(c, CARD_IFACE_CONTACT, 0);
	memcpy(out->card_id, card_id, sizeof out->card_id);
	strcpy(out->account, account);
	count++;
	return i;
}

static struct card_core *card_at(int index)
{
	return index >= 0 && index < count ? &cards[index].core : NULL;
}

int sim_card_sign(int index, const uint8_t *tx, size_t tx_len, uint32_t *atc, uint8_t x[32],
		  size_t *x_len, uint8_t sig[72], size_t *sig_len)
{
	struct card_core *c = card_at(index);
	struct sc_sign_resp s;
	int sw;

	if (c == NULL)
		return -1;
	card_field(c, CARD_IFACE_CONTACT, 1);
	sw = cc_select(c, CARD_IFACE_CONTACT);
	if (sw == 0x9000)
		sw = cc_sign(c, CARD_IFACE_CONTACT, tx, tx_len, &s);
	if (sw != 0x9000)
		return sw;
	*atc = s.atc;
	memcpy(x, s.x, s.x_len);
	*x_len = s.x_len;
	memcpy(sig, s.sig, s.sig_len);
	*sig_len = s.sig_len;
	return 0;
}

int sim_card_confirm(int index, const char *pin, char jp[9])
{
	struct card_core *c = card_at(index);
	const struct card_screen *s;

	if (c == NULL)
		return -1;
	card_field(c, CARD_IFACE_CONTACT, 0);
	cc_keys(c, pin);
	card_key(c, CARD_KEY_OK);
	s = ram_hal_screen(&cards[index].hal);   /* the screen the core last showed */
	if (s->id != CARD_SCREEN_PASSWORD || strlen(s->lines[0]) != 8)
		return -1;
	memcpy(jp, s->lines[0], 8);
	jp[8] = '\0';
	return 0;
}
