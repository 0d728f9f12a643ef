/* The issuer's keys as objects in a PKCS#11 token: the master key (AES-256,
 * sensitive, never extractable, for derivation only) and the receipt keys
 * (P-256, sensitive, never extractable, for signing only), made in the
 * token by init and `key rotate`. No key of them is ever in this process's
 * memory: K_card is derived inside the token (derivation v2, which plain
 * PKCS#11 can do: CKM_AES_ECB_ENCRYPT_DATA) as a session object that
 * checks the JP and is destroyed, and K_card for a card leaves the token
 * only wrapped (CKM_AES_KEY_WRAP, RFC 3394) under the card's KEK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include "common/hex.h"
#include "common/issuer_script.h"
#include "hostlib/atomicfile.h"
#include "p11.h"
#include "server.h"

#define MASTER_LABEL SRV_P11_MASTER_LABEL
#define RECEIPT_LABEL SRV_P11_RECEIPT_LABEL

struct keys_p11 {
	struct srv_keys base;
	struct srv_p11 p;
	CK_OBJECT_HANDLE master, receipt;
};

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

/* K_card of card_id by derivation v2, a session object of key_type
 * (CKK_AES to check a JP, CKK_GENERIC_SECRET to MAC) with usage usage
 * (CKA_ENCRYPT and the like, or 0), sensitive; extractable only when it is
 * to be wrapped. CK_INVALID_HANDLE if the token refused. */
static CK_OBJECT_HANDLE derive_kcard(struct keys_p11 *t, CK_SESSION_HANDLE h,
				     const uint8_t card_id[SC_CARD_ID_LEN], CK_KEY_TYPE key_type,
				     CK_ATTRIBUTE_TYPE usage, CK_ATTRIBUTE_TYPE usage2,
				     int extractable)
{
	uint8_t data[SC_KCARD_V2_DATA_LEN];
	CK_KEY_DERIVATION_STRING_DATA param = {data, sizeof(data)};
	CK_MECHANISM mech = {CKM_AES_ECB_ENCRYPT_DATA, &param, sizeof(param)};
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ULONG len = SC_KCARD_LEN;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &key_type, sizeof(key_type)},
		{CKA_VALUE_LEN, &len, sizeof(len)},
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, extractable ? &yes : &no, sizeof(CK_BBOOL)},
		{usage, &yes, sizeof(yes)},
		{usage2, &yes, sizeof(yes)},
	};
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;

	sc_kcard_v2_data(card_id, data);
	if (t->p.f->C_DeriveKey(h, &mech, t->master, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &k) !=
	    CKR_OK)
		k = CK_INVALID_HANDLE;
	return k;
}

/* sc_block_fn over a K_card object in a session. */
struct token_block {
	struct keys_p11 *t;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE k;
	int failed;                       /* the token refused: not a wrong JP */
};

static int token_block(void *ctx, int encrypt, const uint8_t in[16], uint8_t out[16])
{
	struct token_block *b = ctx;
	CK_MECHANISM mech = {CKM_AES_ECB, NULL, 0};
	CK_FUNCTION_LIST *f = b->t->p.f;
	CK_ULONG n = 16;
	CK_RV rv;

	if (encrypt) {
		rv = f->C_EncryptInit(b->h, &mech, b->k);
		if (rv == CKR_OK)
			rv = f->C_Encrypt(b->h, (CK_BYTE *)in, 16, out, &n);
	} else {
		rv = f->C_DecryptInit(b->h, &mech, b->k);
		if (rv == CKR_OK)
			rv = f->C_Decrypt(b->h, (CK_BYTE *)in, 16, out, &n);
	}
	if (rv != CKR_OK || n != 16) {
		b->failed = 1;
		return -1;
	}
	return 0;
}

static int p11_jp_check(struct srv_keys *k, const uint8_t card_id[SC_CARD_ID_LEN],
			uint8_t scheme, const char jp[SC_JP_DIGITS], const uint8_t *x,
			size_t x_len)
{
	struct keys_p11 *t = (struct keys_p11 *)k;
	struct token_block b = {t, srv_p11_session(&t->p), CK_INVALID_HANDLE, 0};
	int rc;

	if (b.h == CK_INVALID_HANDLE)
		return -1;
	b.k = derive_kcard(t, b.h, card_id, CKK_AES, CKA_ENCRYPT, CKA_DECRYPT, 0);
	if (b.k == CK_INVALID_HANDLE) {
		srv_p11_release(&t->p, b.h);
		return -1;
	}
	rc = sc_jp_check_with(scheme, token_block, &b, jp, x, x_len);
	t->p.f->C_DestroyObject(b.h, b.k);
	srv_p11_release(&t->p, b.h);
	if (b.failed)
		return -1;
	return rc == 0;
}

/* The card's KEK (from its transport key, which the issuer holds in a file)
 * goes into the token as a session object that can only wrap; K_card is
 * derived extractable but sensitive, so its value never leaves the token
 * but wrapped. */
static int p11_kcard_wrap(struct srv_keys *k, const uint8_t card_id[SC_CARD_ID_LEN],
			  const uint8_t tk[SC_TRANSPORT_KEY_LEN],
			  uint8_t wrapped[SC_KCARD_WRAPPED_LEN])
{
	struct keys_p11 *t = (struct keys_p11 *)k;
	CK_FUNCTION_LIST *f = t->p.f;
	uint8_t kek[SC_KEK_LEN];
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &aes, sizeof(aes)},
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_WRAP, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_VALUE, kek, sizeof(kek)},
	};
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP, NULL, 0};
	CK_OBJECT_HANDLE kek_obj = CK_INVALID_HANDLE, kcard = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE h = srv_p11_session(&t->p);
	CK_ULONG n = SC_KCARD_WRAPPED_LEN;
	int rc = -1;

	if (h == CK_INVALID_HANDLE)
		return -1;
	if (sc_kek_derive(tk, SC_TRANSPORT_KEY_LEN, kek) == 0 &&
	    f->C_CreateObject(h, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &kek_obj) == CKR_OK &&
	    (kcard = derive_kcard(t, h, card_id, CKK_AES, CKA_ENCRYPT, CKA_DECRYPT, 1)) !=
		    CK_INVALID_HANDLE &&
	    f->C_WrapKey(h, &mech, kek_obj, kcard, wrapped, &n) == CKR_OK &&
	    n == SC_KCARD_WRAPPED_LEN)
		rc = 0;
	sc_wipe(kek, sizeof(kek));
	if (kcard != CK_INVALID_HANDLE)
		f->C_DestroyObject(h, kcard);
	if (kek_obj != CK_INVALID_HANDLE)
		f->C_DestroyObject(h, kek_obj);
	srv_p11_release(&t->p, h);
	return rc;
}

/* K_card's bytes as an HMAC key (CKK_GENERIC_SECRET): the same MAC the
 * card computes with its AES key's bytes. */
static int p11_unblock_mac(struct srv_keys *k, const struct sc_script_ref *r, uint8_t mac[32])
{
	struct keys_p11 *t = (struct keys_p11 *)k;
	CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};
	uint8_t msg[SC_UNBLOCK_MSG_LEN];
	CK_SESSION_HANDLE h = srv_p11_session(&t->p);
	CK_OBJECT_HANDLE kc;
	CK_ULONG n = 32;
	int rc = -1;

	if (h == CK_INVALID_HANDLE)
		return -1;
	kc = derive_kcard(t, h, r->card_id, CKK_GENERIC_SECRET, CKA_SIGN, CKA_VERIFY, 0);
	if (kc != CK_INVALID_HANDLE) {
		size_t len = sc_unblock_mac_input(msg, r);

		if (t->p.f->C_SignInit(h, &mech, kc) == CKR_OK &&
		    t->p.f->C_Sign(h, msg, (CK_ULONG)len, mac, &n) == CKR_OK && n == 32)
			rc = 0;
		t->p.f->C_DestroyObject(h, kc);
	}
	srv_p11_release(&t->p, h);
	return rc;
}

/* ECDSA in the token gives r || s; seals carry DER. */
static int der_from_raw(const uint8_t raw[64], uint8_t *sig)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	unsigned char *p = sig;
	int n = -1;

	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL; /* owned by es now */
		if (i2d_ECDSA_SIG(es, NULL) <= (int)SC_ECDSA_DER_MAX)
			n = i2d_ECDSA_SIG(es, &p);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return n;
}

static int sign_with(struct keys_p11 *t, CK_OBJECT_HANDLE key, const uint8_t *msg, size_t len,
		     uint8_t *sig)
{
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	uint8_t digest[32], raw[64];
	CK_SESSION_HANDLE h;
	CK_ULONG n = sizeof(raw);
	int rc = -1;

	if (key == CK_INVALID_HANDLE || srv_sha256(msg, len, digest) != 0)
		return -1;
	if ((h = srv_p11_session(&t->p)) == CK_INVALID_HANDLE)
		return -1;
	if (t->p.f->C_SignInit(h, &mech, key) == CKR_OK &&
	    t->p.f->C_Sign(h, digest, sizeof(digest), raw, &n) == CKR_OK && n == sizeof(raw))
		rc = der_from_raw(raw, sig);
	srv_p11_release(&t->p, h);
	return rc;
}

static int p11_seal_sign(struct srv_keys *k, const uint8_t *msg, size_t len, uint8_t *sig)
{
	struct keys_p11 *t = (struct keys_p11 *)k;

	return sign_with(t, t->receipt, msg, len, sig);
}

/* A P-256 key pair made in the token: the private half a token object
 * that only signs, named by its key id (CKA_ID, sc_seal_key_id of the
 * public half); the public half read and dropped, the ring keeps it. */
static int p11_receipt_new(struct srv_keys *k, uint8_t pub[SC_PUBKEY_LEN], char *err,
			   size_t errlen)
{
	static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	struct keys_p11 *t = (struct keys_p11 *)k;
	CK_FUNCTION_LIST *f = t->p.f;
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pub_tmpl[] = {
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid)},
	};
	CK_ATTRIBUTE priv_tmpl[] = {
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)},
		{CKA_DECRYPT, &no, sizeof(no)},
		{CKA_UNWRAP, &no, sizeof(no)},
		{CKA_DERIVE, &no, sizeof(no)},
		{CKA_LABEL, (void *)RECEIPT_LABEL, sizeof(RECEIPT_LABEL) - 1},
	};
	uint8_t point[SC_PUBKEY_LEN + 2], id[SC_KEY_ID_LEN];
	CK_ATTRIBUTE get = {CKA_EC_POINT, point, sizeof(point)};
	CK_ATTRIBUTE set = {CKA_ID, id, sizeof(id)};
	CK_OBJECT_HANDLE pubk = CK_INVALID_HANDLE, privk = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE h = srv_p11_session(&t->p);
	char rvb[24];
	CK_RV rv = CKR_GENERAL_ERROR;
	int rc = -1;

	if (h != CK_INVALID_HANDLE)
		rv = f->C_GenerateKeyPair(h, &mech, pub_tmpl, sizeof(pub_tmpl) / sizeof(pub_tmpl[0]),
					  priv_tmpl, sizeof(priv_tmpl) / sizeof(priv_tmpl[0]),
					  &pubk, &privk);
	if (rv == CKR_OK)
		rv = f->C_GetAttributeValue(h, pubk, &get, 1);
	/* CKA_EC_POINT is the DER OCTET STRING of the point (some modules
	 * give the bare point). */
	if (rv == CKR_OK && get.ulValueLen == SC_PUBKEY_LEN + 2 && point[0] == 0x04 &&
	    point[1] == SC_PUBKEY_LEN)
		memmove(point, point + 2, SC_PUBKEY_LEN);
	else if (rv == CKR_OK && get.ulValueLen != SC_PUBKEY_LEN)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (rv == CKR_OK && (point[0] != 0x04 || sc_seal_key_id(point, id) != 0))
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (rv == CKR_OK)
		rv = f->C_SetAttributeValue(h, privk, &set, 1);
	if (rv == CKR_OK) {
		memcpy(pub, point, SC_PUBKEY_LEN);
		rc = 0;
	} else {
		snprintf(err, errlen, "token '%s': cannot make a receipt key: %s", t->p.label,
			 srv_p11_rv_name(rv, rvb));
		if (privk != CK_INVALID_HANDLE)
			f->C_DestroyObject(h, privk);
	}
	if (pubk != CK_INVALID_HANDLE)
		f->C_DestroyObject(h, pubk);
	srv_p11_release(&t->p, h);
	return rc;
}

static void p11_close(struct srv_keys *k)
{
	struct keys_p11 *t = (struct keys_p11 *)k;

	srv_p11_close(&t->p);
	free(t);
}

static const struct srv_keys_ops p11_ops = {
	p11_jp_check, p11_kcard_wrap, p11_unblock_mac, p11_seal_sign, p11_receipt_new, p11_close,
};

/* The token, logged in, with nothing found yet. */
static struct keys_p11 *token_open(const struct srv_config *cfg, char *err, size_t errlen)
{
	struct keys_p11 *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->base.ops = &p11_ops;
	t->base.cfg = cfg;
	t->base.derivation = SRV_KDF_V2;
	t->master = t->receipt = CK_INVALID_HANDLE;
	if (srv_p11_open(&t->p, cfg->pkcs11_module, cfg->token_label, cfg->token_pin_file, err,
			 errlen) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* The token's master key (1 found, 0 none, -1 error): object handles of
 * token objects serve every session of the process. */
static int find_master(struct keys_p11 *t)
{
	CK_SESSION_HANDLE h = srv_p11_session(&t->p);
	int rc;

	if (h == CK_INVALID_HANDLE)
		return -1;
	rc = srv_p11_find(&t->p, h, CKO_SECRET_KEY, MASTER_LABEL, NULL, 0, &t->master);
	srv_p11_release(&t->p, h);
	return rc;
}

struct srv_keys *srv_keys_pkcs11_open(const struct srv_config *cfg,
				      const struct srv_ring *ring, int want, char *err,
				      size_t errlen)
{
	struct keys_p11 *t = token_open(cfg, err, errlen);
	char hex[2 * SC_KEY_ID_LEN + 1];
	CK_SESSION_HANDLE h;
	int rc;

	if (!t)
		return NULL;
	if ((want & SRV_KEYS_MASTER) && (rc = find_master(t)) != 1) {
		snprintf(err, errlen, "token '%s' %s", cfg->token_label,
			 rc == 0 ? "holds no sigcard master key (init --pkcs11 makes one)"
				 : "cannot be searched for the master key");
		goto fail;
	}
	if (want & SRV_KEYS_RECEIPT) {
		const uint8_t *id = ring->id[ring->list.n - 1];

		h = srv_p11_session(&t->p);
		rc = h == CK_INVALID_HANDLE
			     ? -1
			     : srv_p11_find(&t->p, h, CKO_PRIVATE_KEY, NULL, id, SC_KEY_ID_LEN,
					    &t->receipt);
		srv_p11_release(&t->p, h);
		if (rc != 1) {
			sc_hex_encode(hex, id, SC_KEY_ID_LEN);
			snprintf(err, errlen, "token '%s' holds no private key for receipt key %s",
				 cfg->token_label, hex);
			goto fail;
		}
	}
	return &t->base;
fail:
	p11_close(&t->base);
	return NULL;
}

/* init: the master key and the first receipt key made in the token, the
 * receipt key's public half written to receipt.pub (the ring's first key
 * and what terminals pin). A master key already there is refused: it may
 * be another issuer's. On a failure the master key made is destroyed. */
int srv_keys_pkcs11_create(const struct srv_config *cfg, char *err, size_t errlen)
{
	struct keys_p11 *t = token_open(cfg, err, errlen);
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ULONG len = SC_MASTER_KEY_LEN;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &aes, sizeof(aes)},
		{CKA_VALUE_LEN, &len, sizeof(len)},
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_DERIVE, &yes, sizeof(yes)},
		{CKA_ENCRYPT, &no, sizeof(no)},
		{CKA_DECRYPT, &no, sizeof(no)},
		{CKA_WRAP, &no, sizeof(no)},
		{CKA_UNWRAP, &no, sizeof(no)},
		{CKA_SIGN, &no, sizeof(no)},
		{CKA_VERIFY, &no, sizeof(no)},
		{CKA_LABEL, (void *)MASTER_LABEL, sizeof(MASTER_LABEL) - 1},
	};
	CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
	uint8_t pub[SC_PUBKEY_LEN];
	char text[2 * SC_PUBKEY_LEN + 2], rvb[24];
	CK_SESSION_HANDLE h;
	CK_RV rv;
	int rc;

	if (!t)
		return -1;
	if ((rc = find_master(t)) != 0) {
		snprintf(err, errlen, "token '%s' %s", cfg->token_label,
			 rc > 0 ? "already holds a sigcard master key; refusing to make another"
				: "cannot be searched for a master key");
		p11_close(&t->base);
		return -1;
	}
	h = srv_p11_session(&t->p);
	rv = h == CK_INVALID_HANDLE ? CKR_SESSION_HANDLE_INVALID
				    : t->p.f->C_GenerateKey(h, &mech, tmpl,
							    sizeof(tmpl) / sizeof(tmpl[0]), &t->master);
	srv_p11_release(&t->p, h);
	if (rv != CKR_OK) {
		snprintf(err, errlen, "token '%s': cannot make the master key: %s", cfg->token_label,
			 srv_p11_rv_name(rv, rvb));
		p11_close(&t->base);
		return -1;
	}
	rc = p11_receipt_new(&t->base, pub, err, errlen);
	if (rc == 0) {
		sc_hex_encode(text, pub, SC_PUBKEY_LEN);
		text[2 * SC_PUBKEY_LEN] = '\n';
		rc = af_write_file(cfg->receipt_pub_path, 0644, AF_NOREPLACE, text,
				   2 * SC_PUBKEY_LEN + 1);
		if (rc != 0) {
			snprintf(err, errlen, "cannot create %s: %s", cfg->receipt_pub_path,
				 af_strerror(rc));
			rc = -1;
		}
	}
	if (rc != 0 && (h = srv_p11_session(&t->p)) != CK_INVALID_HANDLE) {
		t->p.f->C_DestroyObject(h, t->master);
		srv_p11_release(&t->p, h);
	}
	p11_close(&t->base);
	return rc;
}
