/* Personalisation, under the transport key that manufacture stored: GET
 * CHALLENGE, EXTERNAL AUTHENTICATE, PUT DATA (card id, K_card, PIN, account),
 * GENERATE KEY PAIR and ISSUE; K_card comes wrapped under a key derived
 * from the transport key and is unwrapped here (never in the clear on the
 * wire). Every one of them is refused for good once
 * the card is issued. Also the issuer MAC shared with admin.c. */
#include <string.h>

#include "common/applet.h"
#include "common/errors.h"
#include "common/keywrap.h"
#include "core.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/md.h"

#define MAC_LEN SC_ISSUER_MAC_LEN

_Static_assert(CARD_TRANSPORT_KEY_LEN == SC_TRANSPORT_KEY_LEN, "one transport key length");

int core_auth_mac(const struct card_core *c, const uint8_t *key, size_t key_len, const char *label,
		  const uint8_t challenge[CORE_CHALLENGE_LEN], bool with_card_id,
		  uint8_t mac[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	uint8_t msg[64];
	size_t n = strlen(label);

	if (md == NULL || n > sizeof msg - SC_CARD_ID_LEN - CORE_CHALLENGE_LEN)
		return -1;
	memcpy(msg, label, n);
	if (with_card_id) {
		memcpy(msg + n, store_committed(c)->card_id, SC_CARD_ID_LEN);
		n += SC_CARD_ID_LEN;
	}
	memcpy(msg + n, challenge, CORE_CHALLENGE_LEN);
	n += CORE_CHALLENGE_LEN;
	return mbedtls_md_hmac(md, key, key_len, msg, n, mac) == 0 ? 0 : -1;
}

uint16_t core_check_mac(const struct card_core *c, struct core_session *s, const uint8_t *key,
			size_t key_len,
			const char *label, bool with_card_id, const uint8_t *mac, size_t mac_len)
{
	uint8_t want[MAC_LEN];
	uint8_t challenge[CORE_CHALLENGE_LEN];
	int ok;

	if (mac_len != MAC_LEN)
		return SW_WRONG_LENGTH;
	if (!s->challenge_valid)
		return SW_CONDITIONS_NOT_SATISFIED;
	/* One attempt per challenge: it is gone before the comparison. */
	memcpy(challenge, s->challenge, sizeof challenge);
	sc_wipe(s->challenge, sizeof s->challenge);
	s->challenge_valid = false;
	ok = core_auth_mac(c, key, key_len, label, challenge, with_card_id, want) == 0 &&
	     sc_ct_equal(want, mac, MAC_LEN);
	sc_wipe(want, sizeof want);
	return ok ? SW_NO_ERROR : SW_SECURITY_STATUS_NOT_SATISFIED;
}

uint16_t perso_get_challenge(const struct core_cmd *cmd, struct sc_writer *out)
{
	struct core_session *s = cmd->session;

	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	if (cmd->le < CORE_CHALLENGE_LEN)
		return SW_WRONG_LENGTH;
	if (core_rng(cmd->core, s->challenge, sizeof s->challenge) != 0) {
		s->challenge_valid = false;
		return SW_UNKNOWN;
	}
	s->challenge_valid = true;
	sc_put_bytes(out, s->challenge, sizeof s->challenge);
	return SW_NO_ERROR;
}

/* Common gate of the personalisation commands. */
static uint16_t perso_gate(const struct core_cmd *cmd)
{
	if (store_committed(cmd->core)->lifecycle != CORE_LC_PERSONALISING)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (!cmd->session->transport_ok)
		return SW_SECURITY_STATUS_NOT_SATISFIED;
	return 0;
}

/* The gate of a personalisation command with no parameters (GENERATE KEY
 * PAIR, ISSUE; that they carry no data the command table checks). */
static uint16_t perso_gate_bare(const struct core_cmd *cmd)
{
	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	return perso_gate(cmd);
}

uint16_t perso_external_auth(const struct core_cmd *cmd, struct sc_writer *out)
{
	const struct core_persist *p = store_committed(cmd->core);
	uint16_t sw;

	(void)out;
	if (cmd->p1 != 0x00 || cmd->p2 != SC_P2_TRANSPORT_KEY)
		return SW_INCORRECT_P1P2;
	if (p->lifecycle != CORE_LC_PERSONALISING)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (cmd->lc != MAC_LEN)
		return SW_WRONG_LENGTH; /* refused for its form: nothing changes */
	cmd->session->transport_ok = false;
	sw = core_check_mac(cmd->core, cmd->session, p->transport_key, sizeof p->transport_key,
			    SC_LABEL_TRANSPORT, false, cmd->data, cmd->lc);
	if (sw == SW_NO_ERROR)
		cmd->session->transport_ok = true;
	return sw;
}

static bool all_digits(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A value of exactly the field's size, kept as it comes (the card id):
 * into field of the working copy, marked in *have by bit. */
static uint16_t put_fixed(const struct core_cmd *cmd, uint8_t *field, size_t len, uint8_t *have,
			  uint8_t bit)
{
	if (cmd->lc != len)
		return SW_WRONG_LENGTH;
	memcpy(field, cmd->data, len);
	*have |= bit;
	return 0;
}

/* wrap(KEK(transport key), K_card) into the working copy's K_card. A
 * value that fails the unwrap's integrity check (another card's transport
 * key, altered bytes) is refused with SW_SM_DATA_INCORRECT before anything
 * is written. */
static uint16_t put_wrapped_kcard(const struct core_cmd *cmd, struct core_persist *w)
{
	const struct core_persist *p = store_committed(cmd->core);
	uint8_t k[SC_KCARD_LEN];
	int rc;

	if (cmd->lc != SC_KCARD_WRAPPED_LEN)
		return SW_WRONG_LENGTH;
	rc = sc_kcard_unwrap(p->transport_key, sizeof p->transport_key, cmd->data, k);
	if (rc != SC_OK) {
		sc_wipe(k, sizeof k);
		return rc == SC_ERR_AUTH ? SW_SM_DATA_INCORRECT : SW_UNKNOWN;
	}
	memcpy(w->kcard, k, sizeof w->kcard);
	sc_wipe(k, sizeof k);
	w->have |= CORE_HAVE_KCARD;
	return 0;
}

uint16_t perso_put_data(const struct core_cmd *cmd, struct sc_writer *out)
{
	uint16_t tag = (uint16_t)(cmd->p1 << 8 | cmd->p2);
	struct core_persist *w;
	char account[SC_ACCOUNT_MAX + 1];
	uint16_t sw;

	(void)out;
	/* K_card in the clear (DF27, perso v1) is no tag any more: only the
	 * wrapped form reaches the card (docs/PROTOCOL.md §5.3). */
	if (tag != SC_TAG_CARD_ID && tag != SC_TAG_ACCOUNT && tag != SC_TAG_KCARD_WRAPPED &&
	    tag != SC_TAG_PIN)
		return SW_INCORRECT_P1P2;
	sw = perso_gate(cmd);
	if (sw != 0)
		return sw;
	/* Only a commit makes the working copy count: a value refused below
	 * leaves the store as it was. */
	w = store_begin(cmd->core);
	switch (tag) {
	case SC_TAG_CARD_ID:
		sw = put_fixed(cmd, w->card_id, sizeof w->card_id, &w->have, CORE_HAVE_CARD_ID);
		break;
	case SC_TAG_KCARD_WRAPPED:
		sw = put_wrapped_kcard(cmd, w);
		break;
	case SC_TAG_PIN:
		if (cmd->lc < CORE_PIN_MIN || cmd->lc > CORE_PIN_MAX)
			return SW_WRONG_LENGTH;
		if (!all_digits(cmd->data, cmd->lc))
			return SW_WRONG_DATA;
		memset(w->pin, 0, sizeof w->pin);
		memcpy(w->pin, cmd->data, cmd->lc);
		w->pin_len = (uint8_t)cmd->lc;
		w->pin_tries = CORE_PIN_TRIES;
		w->have |= CORE_HAVE_PIN;
		break;
	default: /* SC_TAG_ACCOUNT */
		if (cmd->lc < 1 || cmd->lc > SC_ACCOUNT_MAX)
			return SW_WRONG_LENGTH;
		memcpy(account, cmd->data, cmd->lc);
		account[cmd->lc] = '\0';
		if (strlen(account) != cmd->lc || sc_account_id_valid(account) != 0)
			return SW_WRONG_DATA;
		memcpy(w->account, account, cmd->lc + 1u);
		w->have |= CORE_HAVE_ACCOUNT;
		break;
	}
	if (sw != 0)
		return sw;
	return core_commit(cmd->core) == 0 ? SW_NO_ERROR : SW_MEMORY_FAILURE;
}

uint16_t perso_generate_key(const struct core_cmd *cmd, struct sc_writer *out)
{
	struct core_persist *w;
	mbedtls_ecdsa_context ec;
	uint8_t priv[CORE_PRIVKEY_LEN], pub[SC_PUBKEY_LEN];
	size_t olen = 0;
	int ok;
	uint16_t sw;

	sw = perso_gate_bare(cmd);
	if (sw != 0)
		return sw;
	mbedtls_ecdsa_init(&ec);
	ok = mbedtls_ecdsa_genkey(&ec, MBEDTLS_ECP_DP_SECP256R1, core_rng, cmd->core) == 0 &&
	     mbedtls_mpi_write_binary(&ec.d, priv, sizeof priv) == 0 &&
	     mbedtls_ecp_point_write_binary(&ec.grp, &ec.Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pub,
					    sizeof pub) == 0 &&
	     olen == sizeof pub;
	mbedtls_ecdsa_free(&ec);
	if (!ok) {
		sc_wipe(priv, sizeof priv);
		return SW_UNKNOWN;
	}
	w = store_begin(cmd->core);
	memcpy(w->privkey, priv, sizeof priv);
	memcpy(w->pubkey, pub, sizeof pub);
	w->have |= CORE_HAVE_KEY;
	sc_wipe(priv, sizeof priv);
	if (core_commit(cmd->core) != 0)
		return SW_MEMORY_FAILURE;
	sc_put_bytes(out, pub, sizeof pub);
	return SW_NO_ERROR;
}

uint16_t perso_issue(const struct core_cmd *cmd, struct sc_writer *out)
{
	struct core_persist *w;
	uint16_t sw;

	(void)out;
	sw = perso_gate_bare(cmd);
	if (sw != 0)
		return sw;
	if (store_committed(cmd->core)->have != CORE_HAVE_ALL)
		return SW_CONDITIONS_NOT_SATISFIED;
	w = store_begin(cmd->core);
	w->lifecycle = CORE_LC_ISSUED;
	w->pin_tries = CORE_PIN_TRIES;
	/* The transport key has done its job; nothing may use it again. */
	sc_wipe(w->transport_key, sizeof w->transport_key);
	cmd->session->transport_ok = false;
	if (core_commit(cmd->core) != 0)
		return SW_MEMORY_FAILURE;
	/* Older records still hold the transport key, which is often shared
	 * by a batch of cards: take them off the flash. */
	if (store_scrub(cmd->core) != 0) {
		core_set_dead(cmd->core);
		return SW_MEMORY_FAILURE;
	}
	return SW_NO_ERROR;
}
