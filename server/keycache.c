/* Each verify thread's cache of card public keys, ready to verify: parsing
 * a point and setting up an OpenSSL context cost a good part of a verify,
 * and a card signs many times. Keyed by card id and checked against the
 * enrolled key bytes, so a changed enrolment is never served stale. */
#include <string.h>
#include "server.h"

static size_t slot(const uint8_t id[SC_CARD_ID_LEN])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < SC_CARD_ID_LEN; i++)
		h = (h ^ id[i]) * 16777619u;
	return h % SRV_KEYCACHE_SLOTS;
}

void srv_keycache_init(struct srv_keycache *kc)
{
	memset(kc, 0, sizeof(*kc));
}

void srv_keycache_free(struct srv_keycache *kc)
{
	for (size_t i = 0; i < SRV_KEYCACHE_SLOTS; i++)
		EVP_PKEY_CTX_free(kc->e[i].ctx);
	memset(kc, 0, sizeof(*kc));
}

EVP_PKEY_CTX *srv_keycache_get(struct srv_keycache *kc, const uint8_t id[SC_CARD_ID_LEN],
			       const uint8_t pub[SC_PUBKEY_LEN])
{
	struct srv_keycache_entry *e = &kc->e[slot(id)];
	EVP_PKEY *k;

	if (e->ctx && memcmp(e->id, id, SC_CARD_ID_LEN) == 0 &&
	    memcmp(e->pub, pub, SC_PUBKEY_LEN) == 0)
		return e->ctx;
	EVP_PKEY_CTX_free(e->ctx);
	e->ctx = NULL;
	/* Decoding the point proves it is on the curve, and P-256 has
	 * cofactor 1: the full key check was done at enrolment. */
	k = srv_pubkey_import(pub, 0);
	if (!k)
		return NULL;
	e->ctx = EVP_PKEY_CTX_new(k, NULL);
	EVP_PKEY_free(k); /* the context holds its own reference */
	if (!e->ctx || EVP_PKEY_verify_init(e->ctx) != 1) {
		EVP_PKEY_CTX_free(e->ctx);
		e->ctx = NULL;
		return NULL;
	}
	memcpy(e->id, id, SC_CARD_ID_LEN);
	memcpy(e->pub, pub, SC_PUBKEY_LEN);
	return e->ctx;
}
