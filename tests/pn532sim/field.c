/* The virtual RF field: an initiator chip selects the target its peer
 * emulates (ISO/IEC 14443-3A anticollision and, with automatic RATS, the
 * -4 activation), then whole messages cross it in both directions. The
 * card side can be taken out of the field and put back. */
#include <string.h>

#include "tests/pn532sim/pn532sim.h"

enum {
	CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
	CMD_IN_AUTO_POLL = 0x60,
	CMD_TG_INIT_AS_TARGET = 0x8C,
};
#define PARAM_AUTO_RATS 0x10u
/* SetParameters bit of the target's host: the chip answers RATS and runs
 * ISO/IEC 14443-4 itself; without it no RATS is answered. */
#define PARAM_14443_4_PICC 0x20u
#define TG_MODE_PICC 0x04u
#define SAK_ISO14443_4 0x20u
/* ATS the chip builds around the host's historical bytes: T0 = TA, TB, TC
 * present, FSCI 8 (256 bytes); TA: 106 kbit/s only; TB: FWI 7, SFGI 0;
 * TC: CID supported. */
static const uint8_t ats_prefix[4] = {0x78, 0x80, 0x70, 0x02};
/* The RATS a PN532 initiator sends (FSDI 8, CID 0): what the target's host
 * finds after TgInitAsTarget. */
static const uint8_t rats[2] = {0xE0, 0x80};

static struct pn_chip *chips[2];
static int card_present = 1;
static unsigned long remove_at;
static unsigned long exchanges;

void field_init(struct pn_chip *a, struct pn_chip *b)
{
	chips[0] = a;
	chips[1] = b;
	a->peer = b;
	b->peer = a;
}

int field_card_present(void)
{
	return card_present;
}

void field_remove_at_exchange(unsigned long n)
{
	remove_at = n;
}

int field_target_reachable(const struct pn_chip *ini)
{
	return ini->selected && ini->field_on && card_present && ini->peer->tg == PN_TG_ACTIVE;
}

int field_card_unarmed(const struct pn_chip *ini)
{
	return card_present && ini->field_on && ini->peer->tg == PN_TG_IDLE;
}

static int target_is_iso14443_4(const struct pn_chip *ini)
{
	const struct pn_chip *t = ini->peer;
	return (ini->params & PARAM_AUTO_RATS) && (t->tg_mifare[5] & SAK_ISO14443_4) &&
	       (t->tg_mode & TG_MODE_PICC) && (t->params & PARAM_14443_4_PICC);
}

size_t field_target_data(const struct pn_chip *ini, uint8_t *out, size_t cap)
{
	const struct pn_chip *t = ini->peer;
	size_t need = 9 + (target_is_iso14443_4(ini) ? 1 + sizeof ats_prefix + t->tg_hist_len : 0);
	if (cap < need)
		return 0;
	size_t k = 0;
	out[k++] = 1;                  /* Tg */
	out[k++] = t->tg_mifare[1];    /* SENS_RES, as the chip reports it */
	out[k++] = t->tg_mifare[0];
	out[k++] = t->tg_mifare[5];    /* SEL_RES */
	out[k++] = 4;                  /* NFCID1 length: single size */
	out[k++] = 0x08;               /* first byte fixed by the PN53x */
	out[k++] = t->tg_mifare[2];
	out[k++] = t->tg_mifare[3];
	out[k++] = t->tg_mifare[4];
	if (target_is_iso14443_4(ini)) {
		out[k++] = (uint8_t)(1 + sizeof ats_prefix + t->tg_hist_len);   /* TL */
		memcpy(out + k, ats_prefix, sizeof ats_prefix);
		k += sizeof ats_prefix;
		memcpy(out + k, t->tg_hist, t->tg_hist_len);
		k += t->tg_hist_len;
	}
	return k;
}

void field_try_select(struct pn_chip *ini)
{
	struct pn_chip *t = ini->peer;
	if (ini->wait != PN_WAIT_INLIST || !card_present || !ini->field_on || t->tg != PN_TG_ARMED)
		return;
	if (ini->inlist_uid_len) {
		const uint8_t uid[4] = {0x08, t->tg_mifare[2], t->tg_mifare[3], t->tg_mifare[4]};
		if (ini->inlist_uid_len != 4 || memcmp(ini->inlist_uid, uid, 4) != 0)
			return;
	}
	int iso4 = target_is_iso14443_4(ini);
	uint8_t out[4 + 9 + 1 + sizeof ats_prefix + sizeof t->tg_hist];
	size_t k = 0;
	out[k++] = 1;                  /* NbTg */
	if (ini->autopoll) {
		out[k++] = iso4 ? 0x20 : 0x10;   /* type: 14443-4A or MIFARE */
		k++;                       /* length, set below */
	}
	size_t td = field_target_data(ini, out + k, sizeof out - k);
	if (ini->autopoll)
		out[k - 1] = (uint8_t)td;
	k += td;

	t->tg = PN_TG_ACTIVE;
	t->wait = PN_WAIT_NONE;
	memset(&t->rx, 0, sizeof t->rx);
	memset(&t->tx, 0, sizeof t->tx);
	ini->selected = 1;
	ini->wait = PN_WAIT_NONE;
	ini->wait_deadline = 0;
	memset(&ini->rx, 0, sizeof ini->rx);
	memset(&ini->tx, 0, sizeof ini->tx);
	sim_log("%s: selected the target of %s (%s)", ini->name, t->name,
		iso4 ? "ISO 14443-4A" : "ISO 14443-3A");

	sim_reply(ini, ini->autopoll ? CMD_IN_AUTO_POLL : CMD_IN_LIST_PASSIVE_TARGET, out, k);
	/* Mode byte: 106 kbit/s, ISO 14443-4 PICC when activated with RATS,
	 * then the command that activated it. */
	uint8_t act[1 + sizeof rats];
	act[0] = iso4 ? 0x08 : 0x00;
	memcpy(act + 1, rats, sizeof rats);
	sim_reply(t, CMD_TG_INIT_AS_TARGET, act, sizeof act);
}

/* The target t loses its initiator: its host's TgGetData reports release. */
static void target_released(struct pn_chip *t, const char *why)
{
	if (t->tg != PN_TG_ACTIVE)
		return;
	sim_log("%s: target released (%s)", t->name, why);
	t->tg = PN_TG_IDLE;
	memset(&t->rx, 0, sizeof t->rx);
	memset(&t->tx, 0, sizeof t->tx);
	if (t->wait == PN_WAIT_TGGET)
		chip_fail_wait(t, PN_ST_RELEASED);
}

void field_release(struct pn_chip *ini, const char *why)
{
	memset(&ini->rx, 0, sizeof ini->rx);
	memset(&ini->tx, 0, sizeof ini->tx);
	if (!ini->selected)
		return;
	ini->selected = 0;
	target_released(ini->peer, why);
}

void field_target_stop(struct pn_chip *t, const char *why)
{
	if (t->tg == PN_TG_IDLE)
		return;
	sim_log("%s: target emulation stopped (%s)", t->name, why);
	t->tg = PN_TG_IDLE;
	memset(&t->rx, 0, sizeof t->rx);
	memset(&t->tx, 0, sizeof t->tx);
	/* The initiator keeps its selection but nothing answers any more. */
	if (t->peer->wait == PN_WAIT_INDATA)
		chip_fail_wait(t->peer, PN_ST_TIMEOUT);
}

void field_remove_card(const char *why)
{
	if (!card_present)
		return;
	card_present = 0;
	sim_log("card taken out of the field (%s)", why);
	for (int i = 0; i < 2; i++) {
		struct pn_chip *c = chips[i];
		if (c->tg == PN_TG_ACTIVE)
			target_released(c, "the field is gone");
		if (c->wait == PN_WAIT_INDATA)
			chip_fail_wait(c, PN_ST_TIMEOUT);
		else if (c->wait == PN_WAIT_INLIST && c->wait_deadline != 0)
			chip_fail_wait(c, PN_ST_OK);   /* a held poll: no card now */
	}
}

void field_return_card(void)
{
	if (card_present)
		return;
	card_present = 1;
	sim_log("card back in the field");
	for (int i = 0; i < 2; i++)
		field_try_select(chips[i]);
}

void field_initiator_send(struct pn_chip *ini)
{
	exchanges++;
	if (remove_at && exchanges == remove_at)
		field_remove_card("removal requested at this exchange");
	if (!field_target_reachable(ini)) {
		chip_fail_wait(ini, PN_ST_TIMEOUT);
		return;
	}
	chip_receive_over_field(ini->peer, ini->tx.buf, ini->tx.len);
	memset(&ini->tx, 0, sizeof ini->tx);
}

uint8_t field_target_send(struct pn_chip *t)
{
	struct pn_chip *ini = t->peer;
	uint8_t st = PN_ST_OK;
	if (!field_target_reachable(ini))
		st = PN_ST_RELEASED;
	else if (ini->wait == PN_WAIT_INDATA)
		chip_receive_over_field(ini, t->tx.buf, t->tx.len);
	/* else: the reader's host stopped listening; the answer is lost. */
	memset(&t->tx, 0, sizeof t->tx);
	return st;
}
