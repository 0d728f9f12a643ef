/* sim_card.h over ram_hal and card_client: each card keeps its flash image
 * here; switching cards reboots the one core on another image, as if the
 * holder swapped cards in the reader. */
#include <string.h>

#include "card_client.h"
#include "ram_hal.h"
#include "sim_card.h"

const uint8_t SIM_CARD_TRANSPORT_KEY[16] = {'s', 'i', 'm', '-', 't', 'r', 'a', 'n',
					   's', 'p', 'o', 'r', 't', '-', 'k', '1'};

static struct {
	struct ram_flash flash;
	uint64_t seed;       /* from the card id */
	uint32_t boots;      /* so each boot draws fresh (but reproducible) entropy */
} cards[SIM_CARD_MAX];
static int count;
static int current = -1;

static void attach(int i)
{
	cards[i].boots++;
	ram_hal_attach(&cards[i].flash,
		       cards[i].seed ^ ((uint64_t)cards[i].boots * 0x9E3779B97F4A7C15ull));
}

int sim_card_new(const uint8_t card_id[8], const uint8_t kcard[32], const char *pin,
		 const char *account, struct sim_card_identity *out)
{
	struct cc_perso p;
	int i = count;

	if (count >= SIM_CARD_MAX || strlen(account) >= sizeof out->account)
		return -1;
	cards[i].seed = 0;
	for (int k = 0; k < 8; k++)
		cards[i].seed = cards[i].seed << 8 | card_id[k];
	cards[i].boots = 0;
	attach(i);
	ram_hal_erase_all();
	if (card_factory_init(SIM_CARD_TRANSPORT_KEY) != 0 || card_boot() != 0)
		return -1;
	memcpy(p.card_id, card_id, sizeof p.card_id);
	memcpy(p.kcard, kcard, sizeof p.kcard);
	p.pin = pin;
	p.account = account;
	card_field(CARD_IFACE_CONTACT, 1);
	if (cc_personalise(SIM_CARD_TRANSPORT_KEY, &p, 1, out->pubkey) != 0x9000)
		return -1;
	card_field(CARD_IFACE_CONTACT, 0);
	memcpy(out->card_id, card_id, sizeof out->card_id);
	strcpy(out->account, account);
	count++;
	current = i;
	return i;
}

int sim_card_use(int index)
{
	if (index < 0 || index >= count)
		return -1;
	attach(index);
	if (card_boot() != 0)
		return -1;
	current = index;
	return 0;
}

int sim_card_sign(const uint8_t *tx, size_t tx_len, uint32_t *atc, uint8_t x[32], size_t *x_len,
		  uint8_t sig[72], size_t *sig_len)
{
	struct sc_sign_resp s;
	int sw;

	if (current < 0)
		return -1;
	card_field(CARD_IFACE_CONTACT, 1);
	sw = cc_select(CARD_IFACE_CONTACT);
	if (sw == 0x9000)
		sw = cc_sign(CARD_IFACE_CONTACT, tx, tx_len, &s);
	if (sw != 0x9000)
		return sw;
	*atc = s.atc;
	memcpy(x, s.x, s.x_len);
	*x_len = s.x_len;
	memcpy(sig, s.sig, s.sig_len);
	*sig_len = s.sig_len;
	return 0;
}

int sim_card_confirm(const char *pin, char jp[9])
{
	const struct card_screen *s;

	if (current < 0)
		return -1;
	card_field(CARD_IFACE_CONTACT, 0);
	cc_keys(pin);
	card_key(CARD_KEY_OK);
	s = card_current_screen();
	if (s->id != CARD_SCREEN_PASSWORD || strlen(s->lines[0]) != 8)
		return -1;
	memcpy(jp, s->lines[0], 8);
	jp[8] = '\0';
	return 0;
}
