/* Each verify thread's cache of card public keys, ready to verify: parsing
 * a point and setting up an OpenSSL context cost a good part of a verify,
 * and reading the card from the ledger costs a read transaction; a card
 * signs many times. The writer compares the key a signature was checked
 * with against the enrolled one under its write lock, and moves the
 * generation when they differ, which empties every thread's cache: a
 * changed enrolment is never served stale twice. */
#include <string.h>
#include "server.h"

static size_t slot(const uint8_t id[SC_CARD_ID_LEN])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < SC_CARD_ID_LEN; i++)
		h = (h ^ id[i]) * 16777619u;
	return h % SRV_KEYCACHE_SLOTS;
}

/* The entry for id: its own, else an empty one, else one to evict, among
 * SRV_KEYCACHE_WAYS neighbours, so that cards whose ids share a slot do
 * not evict each other on every submission. */
static struct srv_keycache_entry *lookup(struct srv_keycache *kc,
					 const uint8_t id[SC_CARD_ID_LEN])
{
	size_t base = slot(id), empty = SRV_KEYCACHE_SLOTS;

	for (size_t w = 0; w < SRV_KEYCACHE_WAYS; w++) {
		size_t i = (base + w) % SRV_KEYCACHE_SLOTS;

		if (kc->e[i].ctx && memcmp(kc->e[i].id, id, SC_CARD_ID_LEN) == 0)
			return &kc->e[i];
		if (!kc->e[i].ctx && empty == SRV_KEYCACHE_SLOTS)
			empty = i;
	}
	if (empty != SRV_KEYCACHE_SLOTS)
		return &kc->e[empty];
	return &kc->e[(base + kc->evict++ % SRV_KEYCACHE_WAYS) % SRV_KEYCACHE_SLOTS];
}

static void flush(struct srv_keycache *kc)
{
	for (size_t i = 0; i < SRV_KEYCACHE_SLOTS; i++) {
		EVP_PKEY_CTX_free(kc->e[i].ctx);
		kc->e[i].ctx = NULL;
	}
}

void srv_keycache_init(struct srv_keycache *kc, const atomic_ulong *generation)
{
	memset(kc, 0, sizeof(*kc));
	kc->generation = generation;
	kc->seen = generation ? atomic_load(generation) : 0;
}

void srv_keycache_free(struct srv_keycache *kc)
{
	flush(kc);
	memset(kc, 0, sizeof(*kc));
}

int srv_keycache_get(struct srv_keycache *kc, struct srv_db *db,
		     const uint8_t id[SC_CARD_ID_LEN], uint8_t pub[SC_PUBKEY_LEN],
		     EVP_PKEY_CTX **ctx)
{
	struct srv_keycache_entry *e;
	struct srv_card card;
	EVP_PKEY *k;
	int rc;

	if (kc->generation && atomic_load(kc->generation) != kc->seen) {
		kc->seen = atomic_load(kc->generation);
		flush(kc);
	}
	e = lookup(kc, id);
	if (e->ctx && memcmp(e->id, id, SC_CARD_ID_LEN) == 0) {
		memcpy(pub, e->pub, SC_PUBKEY_LEN);
		*ctx = e->ctx;
		return 1;
	}
	rc = srv_card_get(db, id, &card);
	if (rc < 0)
		return -1;
	if (rc == 0 || !card.has_pubkey)
		return 0;
	EVP_PKEY_CTX_free(e->ctx);
	e->ctx = NULL;
	/* Decoding the point proves it is on the curve, and P-256 has
	 * cofactor 1: the full key check was done at enrolment. */
	k = srv_pubkey_import(card.pubkey, 0);
	if (!k)
		return 0;
	e->ctx = EVP_PKEY_CTX_new(k, NULL);
	EVP_PKEY_free(k); /* the context holds its own reference */
	if (!e->ctx || EVP_PKEY_verify_init(e->ctx) != 1) {
		EVP_PKEY_CTX_free(e->ctx);
		e->ctx = NULL;
		return 0;
	}
	memcpy(e->id, id, SC_CARD_ID_LEN);
	memcpy(e->pub, card.pubkey, SC_PUBKEY_LEN);
	memcpy(pub, card.pubkey, SC_PUBKEY_LEN);
	*ctx = e->ctx;
	return 1;
}
