/* The signature applet (AID F0 53 49 47 43 41 52 44 01): its command table,
 * GET DATA, SIGN TRANSACTION and GET JOINT PASSWORD. Personalisation is in
 * perso.c, the issuer's unblock and block in admin.c. docs/PROTOCOL.md §5
 * documents every command. */
#include <string.h>

#include "common/currency.h"
#include "common/errors.h"
#include "core.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/sha256.h"

/* GET DATA / PUT DATA tags (P1-P2). */
#define TAG_CARD_ID 0xDF20u
#define TAG_PUBKEY 0xDF21u
#define TAG_ATC 0xDF22u
#define TAG_LIFECYCLE 0xDF23u
#define TAG_PIN_TRIES 0xDF24u
#define TAG_ACCOUNT 0xDF25u
#define TAG_ENROLMENT 0xDF26u

/* SIGN TRANSACTION response tags (1-byte tag, 1-byte length). */
#define TAG_RESP_ATC 0xC1u
#define TAG_RESP_X 0xC2u
#define TAG_RESP_SIG 0xC3u

struct sig_cmd {
	uint8_t cla;
	uint8_t ins;
	uint16_t (*fn)(const struct core_cmd *cmd, struct sc_writer *out);
};

static const struct sig_cmd sig_cmds[] = {
	{0x00, 0x84, perso_get_challenge},  /* GET CHALLENGE */
	{0x00, 0xCA, sig_get_data},         /* GET DATA */
	{0x80, 0x82, perso_external_auth},  /* EXTERNAL AUTHENTICATE (transport key) */
	{0x80, 0xDA, perso_put_data},       /* PUT DATA (personalisation) */
	{0x80, 0x47, perso_generate_key},   /* GENERATE KEY PAIR */
	{0x80, 0x44, perso_issue},          /* ISSUE */
	{0x80, 0x2A, sig_sign},             /* SIGN TRANSACTION */
	{0x80, 0x4A, sig_get_jp},           /* GET JOINT PASSWORD */
	{0x80, 0x2C, admin_reset_retry},    /* RESET RETRY COUNTER (issuer) */
	{0x80, 0x16, admin_block},          /* BLOCK CARD (issuer) */
};

static uint16_t sig_process(const struct core_cmd *cmd, struct sc_writer *out)
{
	for (size_t i = 0; i < sizeof sig_cmds / sizeof sig_cmds[0]; i++) {
		if (sig_cmds[i].ins != cmd->ins)
			continue;
		if (sig_cmds[i].cla != cmd->cla)
			return SW_CLA_NOT_SUPPORTED;
		return sig_cmds[i].fn(cmd, out);
	}
	return SW_INS_NOT_SUPPORTED;
}

const struct core_applet core_sig_applet = {
	.aid = card_applet_aid,
	.aid_len = CARD_AID_LEN,
	.process = sig_process,
};

uint16_t sig_get_data(const struct core_cmd *cmd, struct sc_writer *out)
{
	const struct core_persist *p = store_committed();
	uint16_t tag = (uint16_t)(cmd->p1 << 8 | cmd->p2);
	size_t alen = strlen(p->account);

	if (cmd->lc != 0)
		return SW_WRONG_LENGTH;
	switch (tag) {
	case TAG_CARD_ID:
		if (!(p->have & CORE_HAVE_CARD_ID))
			return SW_REFERENCED_DATA_NOT_FOUND;
		sc_put_bytes(out, p->card_id, sizeof p->card_id);
		break;
	case TAG_PUBKEY:
		if (!(p->have & CORE_HAVE_KEY))
			return SW_REFERENCED_DATA_NOT_FOUND;
		sc_put_bytes(out, p->pubkey, sizeof p->pubkey);
		break;
	case TAG_ATC:
		sc_put_u32(out, p->atc);
		break;
	case TAG_LIFECYCLE:
		sc_put_u8(out, p->lifecycle);
		break;
	case TAG_PIN_TRIES:
		sc_put_u8(out, p->pin_tries);
		break;
	case TAG_ACCOUNT:
		if (!(p->have & CORE_HAVE_ACCOUNT))
			return SW_REFERENCED_DATA_NOT_FOUND;
		sc_put_bytes(out, (const uint8_t *)p->account, alen);
		break;
	case TAG_ENROLMENT:
		if ((p->have & (CORE_HAVE_CARD_ID | CORE_HAVE_KEY | CORE_HAVE_ACCOUNT)) !=
		    (CORE_HAVE_CARD_ID | CORE_HAVE_KEY | CORE_HAVE_ACCOUNT))
			return SW_REFERENCED_DATA_NOT_FOUND;
		sc_put_bytes(out, p->card_id, sizeof p->card_id);
		sc_put_bytes(out, p->pubkey, sizeof p->pubkey);
		sc_put_u8(out, (uint8_t)alen);
		sc_put_bytes(out, (const uint8_t *)p->account, alen);
		break;
	default:
		return SW_INCORRECT_P1P2;
	}
	return SW_NO_ERROR;
}

/* ECDSA P-256 over a SHA-256 hash with the card's private key; DER out.
 * mbedTLS signs deterministically (RFC 6979) with the DRBG for blinding. */
static int sign_hash(const uint8_t hash[SC_HASH_LEN], uint8_t sig[SC_ECDSA_DER_MAX],
		     size_t *sig_len)
{
	const struct core_persist *p = store_committed();
	mbedtls_ecdsa_context ec;
	unsigned char der[MBEDTLS_ECDSA_MAX_LEN];
	size_t n = 0;
	int rc = -1;

	mbedtls_ecdsa_init(&ec);
	if (mbedtls_ecp_group_load(&ec.grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
	    mbedtls_mpi_read_binary(&ec.d, p->privkey, sizeof p->privkey) == 0 &&
	    mbedtls_ecdsa_write_signature(&ec, MBEDTLS_MD_SHA256, hash, SC_HASH_LEN, der, &n,
					  core_rng, NULL) == 0 &&
	    n <= SC_ECDSA_DER_MAX) {
		memcpy(sig, der, n);
		*sig_len = n;
		rc = 0;
	}
	mbedtls_ecdsa_free(&ec);
	sc_wipe(der, sizeof der);
	return rc;
}

/* Checks that the card may sign tx: 0 or the refusing SW. */
static uint16_t sign_allowed(const struct sc_tx *tx)
{
	const struct core_persist *p = store_committed();

	if (strcmp(tx->payer, p->account) != 0)
		return SW_WRONG_DATA;
	if (sc_currency_by_numeric(tx->currency) == NULL || sc_scheme_x_len(tx->scheme) < 0)
		return SW_WRONG_DATA;
	if (!core_tx_showable(tx))
		return CORE_SW_CANNOT_SHOW;
	return 0;
}

uint16_t sig_sign(const struct core_cmd *cmd, struct sc_writer *out)
{
	const struct core_persist *p = store_committed();
	struct core_persist *w;
	struct sc_tx tx;
	char jp[SC_JP_DIGITS];
	uint8_t rand8[8], x[SC_X_MAX], hash[SC_HASH_LEN], sd_hash[SC_HASH_LEN];
	uint8_t sd[SC_SIGNED_DATA_MAX], sig[SC_ECDSA_DER_MAX];
	size_t sig_len = 0;
	int x_len, sd_len, rc;
	uint32_t atc;
	uint16_t sw = SW_UNKNOWN;

	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	if (cmd->lc == 0)
		return SW_WRONG_LENGTH;
	if (p->lifecycle == CORE_LC_BLOCKED || p->pin_tries == 0)
		return SW_FILE_INVALID;
	if (p->lifecycle != CORE_LC_ISSUED)
		return SW_CONDITIONS_NOT_SATISFIED;
	rc = sc_tx_decode(&tx, cmd->data, cmd->lc);
	if (rc != 0) /* a payee name that is not display UTF-8 cannot be shown either */
		return rc == SC_ERR_BAD_UTF8 ? CORE_SW_CANNOT_SHOW : SW_WRONG_DATA;
	sw = sign_allowed(&tx);
	if (sw != 0)
		return sw;
	if (p->atc == UINT32_MAX)
		return SW_FILE_FULL; /* the counter is spent: the card must be replaced */

	/* A new SIGN voids any pending one; then the ATC is spent, on flash,
	 * before anything that depends on it exists. */
	confirm_void();
	w = store_begin();
	w->atc = p->atc + 1u;
	if (core_commit() != 0)
		return SW_MEMORY_FAILURE;
	atc = store_committed()->atc;

	sw = SW_UNKNOWN;
	x_len = sc_scheme_x_len(tx.scheme);
	if (core_rng_digits(jp, sizeof jp) != 0 || core_rng(NULL, rand8, sizeof rand8) != 0)
		goto out;
	if (sc_jp_seal(tx.scheme, p->kcard, jp, tx.scheme == SC_SCHEME_ENC_RAND ? rand8 : NULL,
		       x) != 0)
		goto out;
	if (sc_tx_hash(cmd->data, cmd->lc, hash) != 0)
		goto out;
	sd_len = sc_signed_data_build(sd, sizeof sd, tx.scheme, p->card_id, atc, tx.challenge, hash,
				      x, (size_t)x_len);
	if (sd_len < 0 || mbedtls_sha256_ret(sd, (size_t)sd_len, sd_hash, 0) != 0)
		goto out;
	if (sign_hash(sd_hash, sig, &sig_len) != 0)
		goto out;

	sc_put_u8(out, TAG_RESP_ATC);
	sc_put_u8(out, 4);
	sc_put_u32(out, atc);
	sc_put_tlv(out, TAG_RESP_X, x, (size_t)x_len);
	sc_put_tlv(out, TAG_RESP_SIG, sig, sig_len);
	if (out->err != 0)
		goto out;
	confirm_arm(&tx, jp, atc, cmd->iface);
	sw = SW_NO_ERROR;
out:
	sc_wipe(jp, sizeof jp);
	sc_wipe(rand8, sizeof rand8);
	sc_wipe(&tx, sizeof tx);
	return sw;
}

uint16_t sig_get_jp(const struct core_cmd *cmd, struct sc_writer *out)
{
	char jp[SC_JP_DIGITS];
	int rc;

	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	if (cmd->lc != 0 || cmd->le == 0)
		return SW_WRONG_LENGTH;
	rc = confirm_release(cmd->iface, jp);
	/* 6985: ask again later; 6984: this password is gone, stop asking. */
	if (rc == CONFIRM_VOID)
		return SW_DATA_INVALID;
	if (rc != 0)
		return SW_CONDITIONS_NOT_SATISFIED;
	sc_put_bytes(out, (const uint8_t *)jp, sizeof jp);
	sc_wipe(jp, sizeof jp);
	return SW_NO_ERROR;
}
