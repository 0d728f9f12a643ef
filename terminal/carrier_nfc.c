/* The nfc: carrier: a libnfc reader (nfc:CONNSTRING, for example
 * nfc:pn532_uart:/dev/ttyUSB0) as initiator: the card is selected as an ISO
 * 14443-4A target and APDUs go through nfc_initiator_transceive_bytes. A
 * PN532 frame carries at most 262 bytes of C-APDU, so a longer command is
 * sent as ISO 7816-4 command chaining (CLA bit 0x10) of short APDUs; a long
 * answer comes back through 61xx and GET RESPONSE (carrier.c). The card
 * leaving the field mid-command is TERM_EXIT_CARD_REMOVED. */
#include <string.h>
#include <time.h>

#include <nfc/nfc.h>

#include "common/apdu.h"
#include "terminal/terminal.h"

/* InDataExchange: the command code and the target number leave 262 bytes
 * of the 264 libnfc puts in one frame. */
#define NFC_CAPDU_MAX 262u
#define NFC_CHAIN_CLA 0x10u
#define NFC_POLL_MS 50

static const nfc_modulation nfc_iso14443a = {.nmt = NMT_ISO14443A, .nbr = NBR_106};

static void nfc_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int nfc_ensure_open(struct term_carrier *c)
{
	if (c->nfc_dev != NULL)
		return 0;
	nfc_context *ctx = NULL;
	nfc_init(&ctx);
	if (ctx == NULL)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: libnfc could not start", c->spec);
	nfc_device *dev = nfc_open(ctx, c->connstring);
	if (dev == NULL) {
		nfc_exit(ctx);
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT,
				 "%s: no NFC reader there (libnfc cannot open '%s')", c->spec,
				 c->connstring);
	}
	if (nfc_initiator_init(dev) < 0 ||
	    nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false) < 0) {
		int rc = term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				   "%s: the reader refused initiator mode: %s", c->spec,
				   nfc_strerror(dev));
		nfc_close(dev);
		nfc_exit(ctx);
		return rc;
	}
	c->nfc_ctx = ctx;
	c->nfc_dev = dev;
	return 0;
}

/* One attempt to select an ISO 14443-A card: 1 found, 0 none, or a class. */
static int nfc_select_once(struct term_carrier *c)
{
	nfc_device *dev = c->nfc_dev;
	nfc_target nt;
	int r = nfc_initiator_select_passive_target(dev, nfc_iso14443a, NULL, 0, &nt);
	if (r < 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: selecting a card failed: %s", c->spec, nfc_strerror(dev));
	if (r == 0)
		return 0;
	if (!(nt.nti.nai.btSak & 0x20)) {
		nfc_initiator_deselect_target(dev);
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: the card in the field is not an ISO 14443-4 card (SAK %02X)",
				 c->spec, nt.nti.nai.btSak);
	}
	c->nfc_target = nt;
	c->nfc_selected = 1;
	return 1;
}

/* The ATR PC/SC builds for a contactless card (PC/SC part 3): 3B 8n 80 01,
 * the ATS's historical bytes, TCK. */
static size_t nfc_atr(const nfc_target *nt, uint8_t *atr, size_t cap)
{
	const uint8_t *ats = nt->nti.nai.abtAts;
	size_t ats_len = nt->nti.nai.szAtsLen, p = 1, k;
	if (ats_len == 0) {
		k = 0;
	} else {
		p += (size_t)((ats[0] >> 4 & 1) + (ats[0] >> 5 & 1) + (ats[0] >> 6 & 1));
		k = p < ats_len ? ats_len - p : 0;
	}
	if (k > 15)
		k = 15;
	if (cap < 5 + k)
		return 0;
	size_t n = 0;
	atr[n++] = 0x3B;
	atr[n++] = (uint8_t)(0x80u | k);
	atr[n++] = 0x80;
	atr[n++] = 0x01;
	if (k)
		memcpy(atr + n, ats + p, k);
	n += k;
	uint8_t tck = 0;
	for (size_t i = 1; i < n; i++)
		tck ^= atr[i];
	atr[n++] = tck;
	return n;
}

static int nfc_power_on(struct term_carrier *c, uint8_t *atr, size_t cap, size_t *atr_len)
{
	int rc = nfc_ensure_open(c);
	if (rc != 0)
		return rc;
	if (!c->nfc_selected) {
		/* The field is on: wait up to the exchange timeout for a card. */
		if (nfc_device_set_property_bool(c->nfc_dev, NP_ACTIVATE_FIELD, true) < 0)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
					 "%s: cannot switch the RF field on: %s", c->spec,
					 nfc_strerror(c->nfc_dev));
		int64_t deadline = term_now_ms() + c->timeout_ms;
		while ((rc = nfc_select_once(c)) == 0 && term_now_ms() < deadline)
			nfc_sleep_ms(NFC_POLL_MS);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT,
					 "no card in the field of %s within %d ms", c->spec,
					 c->timeout_ms);
	}
	*atr_len = nfc_atr(&c->nfc_target, atr, cap);
	return 0;
}

static int nfc_exchange(struct term_carrier *c, const uint8_t *capdu, size_t len, uint8_t *rapdu,
			size_t cap, size_t *rlen)
{
	int r = nfc_initiator_transceive_bytes(c->nfc_dev, capdu, len, rapdu, cap, c->timeout_ms);
	if (r < 0) {
		int code = r;
		c->nfc_selected = 0;
		if (code == NFC_ERFTRANS || code == NFC_ETGRELEASED || code == NFC_ETIMEOUT)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_REMOVED,
					 "%s: the card left the field during a command (%s)",
					 c->spec, nfc_strerror(c->nfc_dev));
		if (code == NFC_EOVFLOW)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
					 "%s: the card's answer is longer than %zu bytes", c->spec,
					 cap);
		/* NFC_EIO, NFC_ENOTSUCHDEV, NFC_ECHIP...: the reader, not the card. */
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: the reader failed during a command (%s)", c->spec,
				 nfc_strerror(c->nfc_dev));
	}
	*rlen = (size_t)r;
	return 0;
}

/* A command longer than one PN532 frame, as short APDUs chained with CLA
 * bit 0x10; every part but the last must be answered 9000. */
static int nfc_transmit_chained(struct term_carrier *c, const uint8_t *capdu, size_t len,
				uint8_t *rapdu, size_t cap, size_t *rlen)
{
	struct sc_apdu a;
	if (sc_apdu_parse(&a, capdu, len) != 0 || a.lc == 0 || (a.cla & NFC_CHAIN_CLA))
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: a command of %zu bytes does not fit one NFC frame and cannot"
				 " be chained", c->spec, len);
	size_t off = 0;
	for (;;) {
		uint8_t part[5 + SC_APDU_SHORT_MAX_LC + 1];
		size_t n = a.lc - off > SC_APDU_SHORT_MAX_LC ? SC_APDU_SHORT_MAX_LC : a.lc - off;
		int last = off + n == a.lc;
		size_t le = last ? (a.le > SC_APDU_SHORT_MAX_LE ? SC_APDU_SHORT_MAX_LE : a.le) : 0;
		int plen = sc_apdu_build(part, sizeof part,
					 (uint8_t)(last ? a.cla : a.cla | NFC_CHAIN_CLA), a.ins,
					 a.p1, a.p2, a.data + off, n, le);
		if (plen < 0)
			return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
					 "%s: cannot build a chained part", c->spec);
		int rc = nfc_exchange(c, part, (size_t)plen, rapdu, cap, rlen);
		if (rc != 0 || last)
			return rc;
		if (*rlen != 2 || rapdu[0] != 0x90 || rapdu[1] != 0x00)
			return 0;   /* the card refused the chain: its answer stands */
		off += n;
	}
}

static int nfc_transmit(struct term_carrier *c, const uint8_t *capdu, size_t len, uint8_t *rapdu,
			size_t cap, size_t *rlen)
{
	if (c->nfc_dev == NULL || !c->nfc_selected)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ABSENT,
				 "%s: no card selected (no power on)", c->spec);
	if (len > NFC_CAPDU_MAX)
		return nfc_transmit_chained(c, capdu, len, rapdu, cap, rlen);
	return nfc_exchange(c, capdu, len, rapdu, cap, rlen);
}

/* The card leaves the reader: deselect it and switch the field off, so the
 * card sees its reader go (for sigcard, the start of the confirmation). */
static int nfc_power_off(struct term_carrier *c)
{
	if (c->nfc_dev == NULL)
		return 0;
	if (c->nfc_selected)
		nfc_initiator_deselect_target(c->nfc_dev);
	c->nfc_selected = 0;
	nfc_device_set_property_bool(c->nfc_dev, NP_ACTIVATE_FIELD, false);
	return 0;
}

static int nfc_present(struct term_carrier *c)
{
	int rc = nfc_ensure_open(c);
	if (rc != 0)
		return rc == -TERM_EXIT_CARD_ABSENT ? 0 : rc;
	if (c->nfc_selected) {
		if (nfc_initiator_target_is_present(c->nfc_dev, &c->nfc_target) == 0)
			return 1;
		c->nfc_selected = 0;
		return 0;
	}
	if (nfc_device_set_property_bool(c->nfc_dev, NP_ACTIVATE_FIELD, true) < 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "%s: cannot switch the RF field on", c->spec);
	return nfc_select_once(c);
}

static void nfc_close_carrier(struct term_carrier *c)
{
	if (c->nfc_dev != NULL) {
		nfc_power_off(c);
		nfc_close(c->nfc_dev);
	}
	if (c->nfc_ctx != NULL)
		nfc_exit(c->nfc_ctx);
	c->nfc_dev = NULL;
	c->nfc_ctx = NULL;
	c->nfc_selected = 0;
}

const struct term_carrier_ops term_carrier_nfc_ops = {
	.kind = "nfc",
	.power_on = nfc_power_on,
	.transmit = nfc_transmit,
	.power_off = nfc_power_off,
	.present = nfc_present,
	.close = nfc_close_carrier,
};
