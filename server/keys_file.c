/* The issuer's keys as files (the default, and `make demo`'s): master.key,
 * from which K_card is derived by v1 (HKDF) in this process's memory, and
 * the ring's receipt keys as PEM files. */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "server.h"

struct keys_file {
	struct srv_keys base;
	uint8_t master[SC_MASTER_KEY_LEN];
	EVP_PKEY_CTX *sign;               /* the current receipt key, sign_init done */
};

static int file_jp_check(struct srv_keys *k, const uint8_t card_id[SC_CARD_ID_LEN],
			 uint8_t scheme, const char jp[SC_JP_DIGITS], const uint8_t *x,
			 size_t x_len)
{
	struct keys_file *f = (struct keys_file *)k;
	uint8_t kcard[SC_KCARD_LEN];
	int ok;

	if (sc_kcard_derive(f->master, card_id, kcard) != 0)
		return -1;
	ok = sc_jp_check(scheme, kcard, jp, x, x_len) == 0;
	sc_wipe(kcard, sizeof(kcard));
	return ok;
}

static int file_kcard_wrap(struct srv_keys *k, const uint8_t card_id[SC_CARD_ID_LEN],
			   const uint8_t tk[SC_TRANSPORT_KEY_LEN],
			   uint8_t wrapped[SC_KCARD_WRAPPED_LEN])
{
	struct keys_file *f = (struct keys_file *)k;
	uint8_t kcard[SC_KCARD_LEN];
	int rc;

	rc = sc_kcard_derive(f->master, card_id, kcard) == 0 &&
	     sc_kcard_wrap(tk, SC_TRANSPORT_KEY_LEN, kcard, wrapped) == 0 ? 0 : -1;
	sc_wipe(kcard, sizeof(kcard));
	return rc;
}

static int file_unblock_mac(struct srv_keys *k, const struct sc_script_ref *r, uint8_t mac[32])
{
	return srv_unblock_mac(((struct keys_file *)k)->master, r, mac);
}

static int file_seal_sign(struct srv_keys *k, const uint8_t *msg, size_t len, uint8_t *sig)
{
	struct keys_file *f = (struct keys_file *)k;

	return f->sign ? srv_ecdsa_sign_ctx(f->sign, msg, len, sig) : -1;
}

static int file_receipt_new(struct srv_keys *k, uint8_t pub[SC_PUBKEY_LEN], char *err,
			    size_t errlen)
{
	return srv_ring_key_create(k->cfg, pub, err, errlen);
}

static void file_close(struct srv_keys *k)
{
	struct keys_file *f = (struct keys_file *)k;

	EVP_PKEY_CTX_free(f->sign);
	sc_wipe(f->master, sizeof(f->master));
	free(f);
}

static const struct srv_keys_ops file_ops = {
	file_jp_check, file_kcard_wrap, file_unblock_mac, file_seal_sign, file_receipt_new,
	file_close,
};

struct srv_keys *srv_keys_file_open(const struct srv_config *cfg, const struct srv_ring *ring,
				    int want, char *err, size_t errlen)
{
	struct keys_file *f = calloc(1, sizeof(*f));
	EVP_PKEY *pk;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->base.ops = &file_ops;
	f->base.cfg = cfg;
	f->base.derivation = SRV_KDF_V1;
	if ((want & SRV_KEYS_MASTER) &&
	    srv_master_key_load(cfg->master_key_path, f->master, err, errlen) != 0)
		goto fail;
	if (want & SRV_KEYS_RECEIPT) {
		if (!(pk = srv_ring_private(ring, cfg, ring->list.n - 1, err, errlen)))
			goto fail;
		f->sign = EVP_PKEY_CTX_new(pk, NULL);
		EVP_PKEY_free(pk); /* the context holds its own reference */
		if (!f->sign || EVP_PKEY_sign_init(f->sign) != 1) {
			snprintf(err, errlen, "cannot set up signing with the receipt key");
			goto fail;
		}
	}
	return &f->base;
fail:
	file_close(&f->base);
	return NULL;
}
