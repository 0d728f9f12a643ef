/* The command side of card_client.h: builds APDUs with common/apdu.h and
 * computes the issuer's MACs with mbedTLS. */
#include <string.h>

#include "card_client.h"
#include "common/apdu.h"
#include "common/errors.h"
#include "common/keywrap.h"
#include "mbedtls/md.h"

int cc_raw(struct card_core *c, enum card_iface iface, const uint8_t *capdu, size_t len,
	   uint8_t *resp, size_t cap, size_t *resp_len)
{
	uint8_t r[CC_RESP_MAX + 2];
	size_t n = card_apdu(c, iface, capdu, len, r, sizeof r);

	*resp_len = 0;
	if (n < 2 || n - 2 > cap)
		return -1;
	memcpy(resp, r, n - 2);
	*resp_len = n - 2;
	return r[n - 2] << 8 | r[n - 1];
}

int cc_transmit(struct card_core *c, enum card_iface iface, uint8_t cla, uint8_t ins, uint8_t p1,
		uint8_t p2, const uint8_t *data, size_t lc, size_t le, uint8_t *resp, size_t cap,
		size_t *resp_len)
{
	static uint8_t cmd[SC_APDU_MAX_CMD];
	uint8_t part[CC_RESP_MAX];
	size_t got = 0, n;
	int len, sw;

	len = sc_apdu_build(cmd, sizeof cmd, cla, ins, p1, p2, data, lc, le);
	if (len < 0)
		return -1;
	sw = cc_raw(c, iface, cmd, (size_t)len, part, sizeof part, &n);
	for (;;) {
		if (sw < 0 || n > cap - got)
			return -1;
		memcpy(resp + got, part, n);
		got += n;
		if ((sw & 0xFF00) != 0x6100)
			break;
		len = sc_apdu_build(cmd, sizeof cmd, SC_CLA_ISO, SC_INS_GET_RESPONSE, 0, 0, NULL, 0,
				    (sw & 0xFF) == 0 ? 256 : (size_t)(sw & 0xFF));
		sw = cc_raw(c, iface, cmd, (size_t)len, part, sizeof part, &n);
	}
	*resp_len = got;
	return sw;
}

int cc_select(struct card_core *c, enum card_iface iface)
{
	uint8_t r[8];
	size_t n;

	return cc_transmit(c, iface, SC_CLA_ISO, SC_INS_SELECT, SC_P1_SELECT_BY_NAME,
			   SC_P2_SELECT_FCI, sc_applet_aid, SC_AID_LEN, 0, r, sizeof r, &n);
}

int cc_get_data(struct card_core *c, enum card_iface iface, uint16_t tag, uint8_t *out, size_t cap,
		size_t *len)
{
	return cc_transmit(c, iface, SC_CLA_ISO, SC_INS_GET_DATA, (uint8_t)(tag >> 8), (uint8_t)tag,
			   NULL, 0, 256, out, cap, len);
}

int cc_authenticated(struct card_core *c, enum card_iface iface, uint8_t ins, uint8_t p2,
		     const uint8_t *key, size_t key_len, const char *label, const uint8_t *card_id)
{
	uint8_t challenge[SC_CARD_CHALLENGE_LEN], msg[64], mac[SC_ISSUER_MAC_LEN], r[8];
	size_t n, m = strlen(label);
	int sw;

	sw = cc_transmit(c, iface, SC_CLA_ISO, SC_INS_GET_CHALLENGE, 0, 0, NULL, 0,
			 sizeof challenge, challenge, sizeof challenge, &n);
	if (sw != 0x9000)
		return sw;
	if (n != sizeof challenge)
		return -1;
	memcpy(msg, label, m);
	if (card_id != NULL) {
		memcpy(msg + m, card_id, SC_CARD_ID_LEN);
		m += SC_CARD_ID_LEN;
	}
	memcpy(msg + m, challenge, sizeof challenge);
	m += sizeof challenge;
	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len, msg, m,
			    mac) != 0)
		return -1;
	return cc_transmit(c, iface, SC_CLA_PROPRIETARY, ins, 0, p2, mac, sizeof mac, 0, r,
			   sizeof r, &n);
}

static int put_data(struct card_core *c, uint16_t tag, const void *v, size_t n)
{
	uint8_t r[8];
	size_t rn;

	return cc_transmit(c, CARD_IFACE_CONTACT, SC_CLA_PROPRIETARY, SC_INS_PUT_DATA,
			   (uint8_t)(tag >> 8), (uint8_t)tag, v, n, 0, r, sizeof r, &rn);
}

/* K_card as the issuer sends it: wrapped under the transport KEK. */
static int put_kcard(struct card_core *c, const uint8_t tk[CARD_TRANSPORT_KEY_LEN],
		     const uint8_t k[SC_KCARD_LEN])
{
	uint8_t wrapped[SC_KCARD_WRAPPED_LEN];
	int sw;

	if (sc_kcard_wrap(tk, CARD_TRANSPORT_KEY_LEN, k, wrapped) != SC_OK)
		return -1;
	sw = put_data(c, SC_TAG_KCARD_WRAPPED, wrapped, sizeof wrapped);
	sc_wipe(wrapped, sizeof wrapped);
	return sw;
}

int cc_personalise(struct card_core *c, const uint8_t tk[CARD_TRANSPORT_KEY_LEN],
		   const struct cc_perso *p, int issue, uint8_t pubkey[SC_PUBKEY_LEN])
{
	uint8_t r[128];
	size_t n;
	int sw;

	if ((sw = cc_select(c, CARD_IFACE_CONTACT)) != 0x9000 ||
	    (sw = cc_authenticated(c, CARD_IFACE_CONTACT, SC_INS_EXTERNAL_AUTHENTICATE,
				   SC_P2_TRANSPORT_KEY, tk, CARD_TRANSPORT_KEY_LEN,
				   SC_LABEL_TRANSPORT, NULL)) != 0x9000 ||
	    (sw = put_data(c, SC_TAG_CARD_ID, p->card_id, SC_CARD_ID_LEN)) != 0x9000 ||
	    (sw = put_kcard(c, tk, p->kcard)) != 0x9000 ||
	    (sw = put_data(c, SC_TAG_PIN, p->pin, strlen(p->pin))) != 0x9000 ||
	    (sw = put_data(c, SC_TAG_ACCOUNT, p->account, strlen(p->account))) != 0x9000)
		return sw;
	sw = cc_transmit(c, CARD_IFACE_CONTACT, SC_CLA_PROPRIETARY, SC_INS_GENERATE_KEY_PAIR, 0, 0,
			 NULL, 0, 256, r, sizeof r, &n);
	if (sw != 0x9000)
		return sw;
	if (n != SC_PUBKEY_LEN)
		return -1;
	if (pubkey != NULL)
		memcpy(pubkey, r, SC_PUBKEY_LEN);
	if (!issue)
		return sw;
	return cc_transmit(c, CARD_IFACE_CONTACT, SC_CLA_PROPRIETARY, SC_INS_ISSUE, 0, 0, NULL, 0,
			   0, r, sizeof r, &n);
}

int cc_sign(struct card_core *c, enum card_iface iface, const uint8_t *tx, size_t tx_len,
	    struct sc_sign_resp *out)
{
	uint8_t r[256];
	size_t n;
	int sw;

	memset(out, 0, sizeof *out);
	sw = cc_transmit(c, iface, SC_CLA_PROPRIETARY, SC_INS_SIGN_TRANSACTION, 0, 0, tx, tx_len,
			 256, r, sizeof r, &n);
	if (sw != 0x9000)
		return sw;
	return sc_sign_resp_decode(out, r, n) == 0 ? sw : -1;
}

void cc_keys(struct card_core *c, const char *keys)
{
	for (; *keys != '\0'; keys++)
		card_key(c, *keys);
}
