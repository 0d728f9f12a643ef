/* The card tests' fixture (card_test.h). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "card_test.h"
#include "common/apdu.h"
#include "common/hex.h"

const uint8_t TEST_TK[CARD_TRANSPORT_KEY_LEN] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
						 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
const uint8_t TEST_CARD_ID[SC_CARD_ID_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
const uint8_t TEST_KCARD[SC_KCARD_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

struct card_hal fx_hal;
struct card_core fx_core;

void fx_manufacture(uint64_t seed)
{
	ram_hal_attach(&fx_hal, NULL, seed);
	ram_hal_erase_all(&fx_hal);
	card_core_init(&fx_core, &fx_hal);
	assert_int_equal(card_factory_init(&fx_core, TEST_TK), 0);
	assert_int_equal(card_boot(&fx_core), 0);
}

void fx_personalised(uint64_t seed, int issue, uint8_t pubkey[SC_PUBKEY_LEN])
{
	struct cc_perso p;

	fx_manufacture(seed);
	memcpy(p.card_id, TEST_CARD_ID, sizeof p.card_id);
	memcpy(p.kcard, TEST_KCARD, sizeof p.kcard);
	p.pin = TEST_PIN;
	p.account = TEST_ACCOUNT;
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_personalise(&fx_core, TEST_TK, &p, issue, pubkey), 0x9000);
}

void fx_issued(uint64_t seed, uint8_t pubkey[SC_PUBKEY_LEN])
{
	fx_personalised(seed, 1, pubkey);
	card_field(&fx_core, CARD_IFACE_CONTACT, 0);
}

void fx_reboot(void)
{
	ram_hal_power_restore(&fx_hal);
	assert_int_equal(card_boot(&fx_core), 0);
}

void fx_tx(struct sc_tx *tx, uint8_t scheme)
{
	memset(tx, 0, sizeof *tx);
	tx->version = SC_TX_VERSION;
	tx->scheme = scheme;
	tx->amount = 1234;
	tx->currency = 978;
	strcpy(tx->payer, TEST_ACCOUNT);
	strcpy(tx->payee, "FR1420041010050500013M02606");
	strcpy(tx->payee_name, "Café Müller");
	strcpy(tx->terminal_id, "TERM-0001");
	for (size_t i = 0; i < SC_CHALLENGE_LEN; i++)
		tx->challenge[i] = (uint8_t)(0xa0 + i);
	tx->time = 1767225600;
}

size_t fx_tx_encode(const struct sc_tx *tx, uint8_t *out, size_t cap)
{
	int n = sc_tx_encode(tx, out, cap);

	assert_true(n > 0);
	return (size_t)n;
}

int fx_hex(enum card_iface iface, const char *hex, uint8_t *resp, size_t cap, size_t *len)
{
	static uint8_t cmd[SC_APDU_MAX_CMD];
	static char clean[2 * SC_APDU_MAX_CMD + 1];
	uint8_t r[CC_RESP_MAX];
	size_t n = 0, rn;
	int got, sw;

	for (; *hex != '\0'; hex++)
		if (*hex != ' ')
			clean[n++] = *hex;
	clean[n] = '\0';
	got = sc_hex_decode(cmd, sizeof cmd, clean);
	assert_true(got >= 0);
	sw = cc_raw(&fx_core, iface, cmd, (size_t)got, r, sizeof r, &rn);
	if (resp != NULL) {
		assert_true(rn <= cap);
		memcpy(resp, r, rn);
	}
	if (len != NULL)
		*len = rn;
	return sw;
}

void fx_sign(uint8_t scheme, struct sc_tx *tx, struct sc_sign_resp *sig)
{
	uint8_t enc[SC_TX_MAX_LEN];
	size_t n;

	fx_tx(tx, scheme);
	n = fx_tx_encode(tx, enc, sizeof enc);
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, sig), 0x9000);
}

int fx_openssl_verify(const uint8_t pub[SC_PUBKEY_LEN], const uint8_t *msg, size_t len,
		      const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	OSSL_PARAM params[3];
	int ok = 0;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
						      SC_PUBKEY_LEN);
	params[2] = OSSL_PARAM_construct_end();
	if (pctx != NULL && EVP_PKEY_fromdata_init(pctx) == 1 &&
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
	    (md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1)
		ok = EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	return ok;
}

int fx_openssl_low_s(const uint8_t *sig, size_t sig_len)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *half = BN_new();
	int low = 0;

	if (es != NULL && g != NULL && half != NULL && p == sig + sig_len &&
	    BN_rshift1(half, EC_GROUP_get0_order(g)) == 1)
		low = BN_cmp(ECDSA_SIG_get0_s(es), half) <= 0;
	BN_free(half);
	EC_GROUP_free(g);
	ECDSA_SIG_free(es);
	return low;
}

static uint32_t get_u(uint16_t tag, size_t want)
{
	uint8_t r[16];
	size_t n;
	uint32_t v = 0;

	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	assert_int_equal(cc_get_data(&fx_core, CARD_IFACE_CONTACT, tag, r, sizeof r, &n), 0x9000);
	assert_int_equal(n, want);
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r[i];
	return v;
}

uint32_t fx_atc(void)
{
	return get_u(SC_TAG_ATC, 4);
}

uint8_t fx_tries(void)
{
	return (uint8_t)get_u(SC_TAG_PIN_TRIES, 1);
}

uint8_t fx_lifecycle(void)
{
	return (uint8_t)get_u(SC_TAG_LIFECYCLE, 1);
}
