/* A software card for the server's tests (tests/support/soft_card.h). */
#include <string.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/core_names.h>
#include "common/scheme.h"
#include "soft_card.h"

int soft_card_new(struct soft_card *c, const uint8_t id[SC_CARD_ID_LEN],
		  const uint8_t kcard[SC_KCARD_LEN], const char *account)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	if (!k)
		return -1;
	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, c->pubkey,
					    sizeof(c->pubkey), &n) != 1 || n != SC_PUBKEY_LEN) {
		EVP_PKEY_free(k);
		return -1;
	}
	memcpy(c->id, id, SC_CARD_ID_LEN);
	memcpy(c->kcard, kcard, SC_KCARD_LEN);
	strncpy(c->account, account, SC_ACCOUNT_MAX);
	c->key = k;
	return 0;
}

void soft_card_free(struct soft_card *c)
{
	EVP_PKEY_free(c->key);
	memset(c, 0, sizeof(*c));
}

void soft_card_jp(char jp[SC_JP_DIGITS + 1])
{
	uint8_t r[SC_JP_DIGITS];

	RAND_bytes(r, sizeof(r));
	for (size_t i = 0; i < SC_JP_DIGITS; i++)
		jp[i] = (char)('0' + r[i] % 10);
	jp[SC_JP_DIGITS] = '\0';
}

int soft_card_sign_raw(struct soft_card *c, const uint8_t *msg, size_t len,
		       uint8_t sig[SC_ECDSA_DER_MAX])
{
	uint8_t digest[32];
	size_t n = SC_ECDSA_DER_MAX;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(c->key, NULL);
	int ok;

	SHA256(msg, len, digest);
	ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	     EVP_PKEY_sign(ctx, sig, &n, digest, sizeof(digest)) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? (int)n : -1;
}

int soft_card_sign(struct soft_card *c, const struct sc_tx *tx, uint32_t atc, const char *jp,
		   uint8_t txbuf[SC_TX_MAX_LEN], struct sc_submit *s)
{
	uint8_t hash[SC_HASH_LEN], rand8[8], signed_data[SC_SIGNED_DATA_MAX];
	int txlen, xl, n, sl;

	memset(s, 0, sizeof(*s));
	txlen = sc_tx_encode(tx, txbuf, SC_TX_MAX_LEN);
	xl = sc_scheme_x_len(tx->scheme);
	if (txlen <= 0 || xl <= 0 || sc_tx_hash(txbuf, (size_t)txlen, hash) != 0)
		return -1;
	RAND_bytes(rand8, sizeof(rand8));
	if (sc_jp_seal(tx->scheme, c->kcard, jp, rand8, s->x) != 0)
		return -1;
	s->x_len = (size_t)xl;
	n = sc_signed_data_build(signed_data, sizeof(signed_data), tx->scheme, c->id, atc,
				 tx->challenge, hash, s->x, s->x_len);
	if (n <= 0)
		return -1;
	sl = soft_card_sign_raw(c, signed_data, (size_t)n, s->sig);
	if (sl <= 0)
		return -1;
	s->sig_len = (size_t)sl;
	memcpy(s->card_id, c->id, SC_CARD_ID_LEN);
	s->atc = atc;
	s->tx = txbuf;
	s->tx_len = (size_t)txlen;
	memcpy(s->jp, jp, SC_JP_DIGITS);
	return 0;
}
