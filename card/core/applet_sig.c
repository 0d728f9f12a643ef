/* The signature applet (AID F0 53 49 47 43 41 52 44 01): its command table,
 * GET DATA, SIGN TRANSACTION and GET JOINT PASSWORD. Personalisation is in
 * perso.c, the issuer's unblock and block in admin.c. docs/PROTOCOL.md §5
 * documents every command; common/applet.h names their bytes. */
#include <string.h>

#include "common/applet.h"
#include "common/currency.h"
#include "common/errors.h"
#include "core.h"
#include "mbedtls/asn1write.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/sha256.h"

/* The ISO 7816-4 case of a command: whether it takes data (Lc) and
 * whether it answers data (Le). */
#define CASE_DATA_IN 0x01u
#define CASE_DATA_OUT 0x02u

struct sig_cmd {
	uint8_t cla;
	uint8_t ins;
	uint8_t kase;   /* CASE_* bits */
	uint16_t (*fn)(const struct core_cmd *cmd, struct sc_writer *out);
};

static const struct sig_cmd sig_cmds[] = {
	{SC_CLA_ISO, SC_INS_GET_CHALLENGE, CASE_DATA_OUT, perso_get_challenge},
	{SC_CLA_ISO, SC_INS_GET_DATA, CASE_DATA_OUT, sig_get_data},
	{SC_CLA_PROPRIETARY, SC_INS_EXTERNAL_AUTHENTICATE, CASE_DATA_IN, perso_external_auth},
	{SC_CLA_PROPRIETARY, SC_INS_PUT_DATA, CASE_DATA_IN, perso_put_data},
	{SC_CLA_PROPRIETARY, SC_INS_GENERATE_KEY_PAIR, CASE_DATA_OUT, perso_generate_key},
	{SC_CLA_PROPRIETARY, SC_INS_ISSUE, 0, perso_issue},
	{SC_CLA_PROPRIETARY, SC_INS_SIGN_TRANSACTION, CASE_DATA_IN | CASE_DATA_OUT, sig_sign},
	{SC_CLA_PROPRIETARY, SC_INS_GET_JOINT_PASSWORD, CASE_DATA_OUT, sig_get_jp},
	{SC_CLA_PROPRIETARY, SC_INS_RESET_RETRY_COUNTER, CASE_DATA_IN, admin_reset_retry},
	{SC_CLA_PROPRIETARY, SC_INS_BLOCK_CARD, CASE_DATA_IN, admin_block},
};

/* The lengths a command's case allows, checked before the command runs, so
 * that a refused command has no effect (docs/PROTOCOL.md §5.2): data where
 * none is taken, none where some is needed, and a command that answers
 * data but takes none (case 2) without Le are 6700. A case-4 command
 * without Le (SIGN sent as case 3, as a T=0 reader sends it) runs and
 * announces its answer with 61xx for GET RESPONSE; an Le on a command that
 * answers nothing is allowed (T=0 sends P3 = 00 for case 1). */
static uint16_t check_case(uint8_t kase, const struct core_cmd *cmd)
{
	if ((kase & CASE_DATA_IN) ? cmd->lc == 0 : cmd->lc != 0)
		return SW_WRONG_LENGTH;
	if (kase == CASE_DATA_OUT && cmd->le == 0)
		return SW_WRONG_LENGTH;
	return 0;
}

static uint16_t sig_process(const struct core_cmd *cmd, struct sc_writer *out)
{
	uint16_t sw;

	for (size_t i = 0; i < sizeof sig_cmds / sizeof sig_cmds[0]; i++) {
		if (sig_cmds[i].ins != cmd->ins)
			continue;
		if (sig_cmds[i].cla != cmd->cla)
			return SW_CLA_NOT_SUPPORTED;
		sw = check_case(sig_cmds[i].kase, cmd);
		return sw != 0 ? sw : sig_cmds[i].fn(cmd, out);
	}
	return SW_INS_NOT_SUPPORTED;
}

const struct core_applet core_sig_applet = {
	.aid = sc_applet_aid,
	.aid_len = SC_AID_LEN,
	.process = sig_process,
};

uint16_t sig_get_data(const struct core_cmd *cmd, struct sc_writer *out)
{
	const struct core_persist *p = store_committed(cmd->core);
	uint16_t tag = (uint16_t)(cmd->p1 << 8 | cmd->p2);
	size_t alen = strlen(p->account);

	switch (tag) {
	case SC_TAG_CARD_ID:
		if (!(p->have & CORE_HAVE_CARD_ID))
			return SW_REFERENCED_DATA_NOT_FOUND;
		sc_put_bytes(out, p->card_id, sizeof p->card_id);
		break;
	case SC_TAG_PUBKEY:
		if (!(p->have & CORE_HAVE_KEY))
			return SW_REFERENCED_DATA_NOT_FOUND;
		sc_put_bytes(out, p->pubkey, sizeof p->pubkey);
		break;
	case SC_TAG_ATC:
		sc_put_u32(out, p->atc);
		break;
	case SC_TAG_LIFECYCLE:
		sc_put_u8(out, p->lifecycle);
		break;
	case SC_TAG_PIN_TRIES:
		sc_put_u8(out, p->pin_tries);
		break;
	case SC_TAG_ACCOUNT:
		if (!(p->have & CORE_HAVE_ACCOUNT))
			return SW_REFERENCED_DATA_NOT_FOUND;
		sc_put_bytes(out, (const uint8_t *)p->account, alen);
		break;
	case SC_TAG_ENROLMENT:
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

/* ECDSA P-256 (r, s) over a SHA-256 hash with the card's private key:
 * deterministic (RFC 6979) with the DRBG for blinding where mbedTLS is built
 * with MBEDTLS_ECDSA_DETERMINISTIC, as mbedtls_ecdsa_write_signature does,
 * else with k from the DRBG. */
static int sign_rs(struct card_core *c, mbedtls_ecdsa_context *ec, mbedtls_mpi *r,
		   mbedtls_mpi *s, const uint8_t hash[SC_HASH_LEN])
{
#if defined(MBEDTLS_ECDSA_DETERMINISTIC)
	return mbedtls_ecdsa_sign_det_ext(&ec->grp, r, s, &ec->d, hash, SC_HASH_LEN,
					  MBEDTLS_MD_SHA256, core_rng, c);
#else
	return mbedtls_ecdsa_sign(&ec->grp, r, s, &ec->d, hash, SC_HASH_LEN, core_rng, c);
#endif
}

/* Replaces s by n - s when s > n/2: (r, s) and (r, n - s) both verify, and
 * the card emits only the low one, so that a signed payment has one
 * signature and no one can make a second from the first (§4). */
static int low_s(const mbedtls_ecp_group *grp, mbedtls_mpi *s)
{
	mbedtls_mpi half;
	int rc;

	mbedtls_mpi_init(&half);
	rc = mbedtls_mpi_copy(&half, &grp->N);
	if (rc == 0)
		rc = mbedtls_mpi_shift_r(&half, 1); /* n is odd: floor(n/2) */
	if (rc == 0 && mbedtls_mpi_cmp_mpi(s, &half) > 0)
		rc = mbedtls_mpi_sub_mpi(s, &grp->N, s);
	mbedtls_mpi_free(&half);
	return rc;
}

/* DER SEQUENCE { r INTEGER, s INTEGER }, written backwards from the end of
 * der as mbedTLS's ASN.1 writer does; moves it to sig. Not inlined: der is
 * on the stack only after the ECDSA (the deepest path, a SIGN) returned. */
static __attribute__((noinline)) int der_signature(const mbedtls_mpi *r, const mbedtls_mpi *s,
			 uint8_t sig[SC_ECDSA_DER_MAX], size_t *sig_len)
{
	unsigned char der[MBEDTLS_ECDSA_MAX_LEN];
	unsigned char *p = der + sizeof der;
	int n, len = 0;

	if ((n = mbedtls_asn1_write_mpi(&p, der, s)) < 0)
		return -1;
	len += n;
	if ((n = mbedtls_asn1_write_mpi(&p, der, r)) < 0)
		return -1;
	len += n;
	if ((n = mbedtls_asn1_write_len(&p, der, (size_t)len)) < 0)
		return -1;
	len += n;
	if ((n = mbedtls_asn1_write_tag(&p, der,
					MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return -1;
	len += n;
	if ((size_t)len > SC_ECDSA_DER_MAX)
		return -1;
	memcpy(sig, p, (size_t)len);
	*sig_len = (size_t)len;
	return 0;
}

/* The card's signature of hash: ECDSA P-256, low s, DER. */
static int sign_hash(struct card_core *c, const uint8_t hash[SC_HASH_LEN],
		     uint8_t sig[SC_ECDSA_DER_MAX], size_t *sig_len)
{
	const struct core_persist *p = store_committed(c);
	mbedtls_ecdsa_context ec;
	mbedtls_mpi r, s;
	int rc = -1;

	mbedtls_ecdsa_init(&ec);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	if (mbedtls_ecp_group_load(&ec.grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
	    mbedtls_mpi_read_binary(&ec.d, p->privkey, sizeof p->privkey) == 0 &&
	    sign_rs(c, &ec, &r, &s, hash) == 0 && low_s(&ec.grp, &s) == 0 &&
	    der_signature(&r, &s, sig, sig_len) == 0)
		rc = 0;
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecdsa_free(&ec);
	return rc;
}

/* Checks that the card may sign tx: 0 or the refusing SW. */
static uint16_t sign_allowed(const struct card_core *c, const struct sc_tx *tx)
{
	const struct core_persist *p = store_committed(c);

	if (strcmp(tx->payer, p->account) != 0)
		return SW_WRONG_DATA;
	if (sc_currency_by_numeric(tx->currency) == NULL || sc_scheme_x_len(tx->scheme) < 0)
		return SW_WRONG_DATA;
	if (!core_tx_showable(tx))
		return CORE_SW_CANNOT_SHOW;
	return 0;
}

/* The hash the card signs: SHA-256 of the signed data (§4) over the
 * transaction as received. Not inlined: the signed data is on the stack
 * only before the ECDSA, not under it (the deepest path, a SIGN). */
static __attribute__((noinline)) int signed_data_hash(const struct core_cmd *cmd,
						       const struct sc_tx *tx,
						       const struct sc_sign_resp *resp,
						       uint8_t sd_hash[SC_HASH_LEN])
{
	const struct core_persist *p = store_committed(cmd->core);
	uint8_t hash[SC_HASH_LEN], sd[SC_SIGNED_DATA_MAX];
	int sd_len;

	if (sc_tx_hash(cmd->data, cmd->lc, hash) != 0)
		return -1;
	sd_len = sc_signed_data_build(sd, sizeof sd, tx->scheme, p->card_id, resp->atc,
				      tx->challenge, hash, resp->x, resp->x_len);
	if (sd_len < 0 || mbedtls_sha256_ret(sd, (size_t)sd_len, sd_hash, 0) != 0)
		return -1;
	return 0;
}

/* SIGN up to the ECDSA: checks the transaction, spends the ATC, draws and
 * seals the JP into resp, stages what the holder will confirm (the
 * transaction and JP, not yet armed) and leaves the hash to sign in
 * sd_hash. 0, or the refusing SW. Not inlined: the transaction and the JP
 * are on the stack only before the ECDSA, not under it (the deepest path,
 * a SIGN); the staged copy is the one claim 7 keeps anyway. */
static __attribute__((noinline)) uint16_t sign_prepare(const struct core_cmd *cmd,
							struct sc_sign_resp *resp,
							uint8_t sd_hash[SC_HASH_LEN])
{
	struct card_core *c = cmd->core;
	const struct core_persist *p = store_committed(c);
	struct core_persist *w;
	struct sc_tx tx;
	char jp[SC_JP_DIGITS];
	uint8_t rand8[8];
	int rc;
	uint16_t sw;

	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	if (p->lifecycle == CORE_LC_BLOCKED || p->pin_tries == 0)
		return SW_FILE_INVALID;
	if (p->lifecycle != CORE_LC_ISSUED)
		return SW_CONDITIONS_NOT_SATISFIED;
	rc = sc_tx_decode(&tx, cmd->data, cmd->lc);
	if (rc != 0) /* a payee name that is not display UTF-8 cannot be shown either */
		return rc == SC_ERR_BAD_UTF8 ? CORE_SW_CANNOT_SHOW : SW_WRONG_DATA;
	sw = sign_allowed(c, &tx);
	if (sw != 0)
		return sw;
	if (p->atc == UINT32_MAX)
		return SW_FILE_FULL; /* the counter is spent: the card must be replaced */

	/* A new SIGN voids any pending one; then the ATC is spent, on flash,
	 * before anything that depends on it exists. */
	confirm_void(c);
	w = store_begin(c);
	w->atc = p->atc + 1u;
	if (core_commit(c) != 0)
		return SW_MEMORY_FAILURE;
	memset(resp, 0, sizeof *resp);
	resp->atc = store_committed(c)->atc;

	sw = SW_UNKNOWN;
	resp->x_len = (size_t)sc_scheme_x_len(tx.scheme);
	if (core_rng_digits(c, jp, sizeof jp) != 0 || core_rng(c, rand8, sizeof rand8) != 0)
		goto out;
	if (sc_jp_seal(tx.scheme, p->kcard, jp, tx.scheme == SC_SCHEME_ENC_RAND ? rand8 : NULL,
		       resp->x) != 0)
		goto out;
	if (signed_data_hash(cmd, &tx, resp, sd_hash) != 0)
		goto out;
	confirm_stage(c, &tx, jp, resp->atc);
	sw = 0;
out:
	sc_wipe(jp, sizeof jp);
	sc_wipe(rand8, sizeof rand8);
	sc_wipe(&tx, sizeof tx);
	return sw;
}

uint16_t sig_sign(const struct core_cmd *cmd, struct sc_writer *out)
{
	struct card_core *c = cmd->core;
	uint8_t sd_hash[SC_HASH_LEN];
	struct sc_sign_resp resp;
	uint16_t sw = sign_prepare(cmd, &resp, sd_hash);

	if (sw != 0)
		return sw;
	if (sign_hash(c, sd_hash, resp.sig, &resp.sig_len) == 0) {
		sc_sign_resp_put(out, &resp);
		if (out->err == 0) {
			confirm_arm(c, cmd->iface);
			return SW_NO_ERROR;
		}
	}
	confirm_void(c); /* the staged password is wiped: it was never signed for */
	return SW_UNKNOWN;
}

uint16_t sig_get_jp(const struct core_cmd *cmd, struct sc_writer *out)
{
	char jp[SC_JP_DIGITS];
	int rc;

	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	rc = confirm_release(cmd->core, cmd->iface, jp);
	/* 6985: ask again later; 6984: this password is gone, stop asking. */
	if (rc == CONFIRM_VOID)
		return SW_DATA_INVALID;
	if (rc != 0)
		return SW_CONDITIONS_NOT_SATISFIED;
	sc_put_bytes(out, (const uint8_t *)jp, sizeof jp);
	sc_wipe(jp, sizeof jp);
	return SW_NO_ERROR;
}
