/* The server's receipt key and the check of a receipt's seal (OpenSSL): a
 * receipt the terminal prints lies under a batch root the server signed
 * (common/seal.h), with the pinned key or a later one the issuer's key
 * list chains to it (common/keylist.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "common/hex.h"
#include "common/keylist.h"
#include "common/scheme.h"
#include "common/seal.h"
#include "common/submit.h"
#include "terminal/terminal.h"

static int is_p256(EVP_PKEY *k)
{
	char group[64];
	size_t n = 0;
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					      &n) == 1 &&
	       (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0);
}

int term_receipt_key_from_point(EVP_PKEY **key, const uint8_t *point, size_t len, char *err,
				size_t cap)
{
	*key = NULL;
	if (len != SC_PUBKEY_LEN || point[0] != 0x04)
		return term_errf(err, cap, TERM_EXIT_FAILURE,
				 "a receipt key must be a 65-byte uncompressed P-256 point");
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	int ok = b != NULL && ctx != NULL &&
		 OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
		 OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, len) &&
		 (params = OSSL_PARAM_BLD_to_param(b)) != NULL &&
		 EVP_PKEY_fromdata_init(ctx) == 1 &&
		 EVP_PKEY_fromdata(ctx, key, EVP_PKEY_PUBLIC_KEY, params) == 1;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (!ok) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return term_errf(err, cap, TERM_EXIT_FAILURE,
				 "the receipt key is not a point on P-256");
	}
	return 0;
}

int term_receipt_key_load(EVP_PKEY **key, const char *path, char *err, size_t cap)
{
	char text[8192];
	*key = NULL;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return term_errf(err, cap, TERM_EXIT_FAILURE, "receipt key %s: %s", path,
				 strerror(errno));
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	if (strstr(text, "PRIVATE KEY") != NULL)
		return term_errf(err, cap, TERM_EXIT_FAILURE,
				 "receipt key %s holds a private key: a terminal needs only the"
				 " public one", path);
	if (strstr(text, "-----BEGIN PUBLIC KEY-----") != NULL) {
		BIO *bio = BIO_new_mem_buf(text, (int)n);
		*key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		ERR_clear_error();
		if (*key == NULL || !is_p256(*key)) {
			EVP_PKEY_free(*key);
			*key = NULL;
			return term_errf(err, cap, TERM_EXIT_FAILURE,
					 "receipt key %s: not a P-256 public key", path);
		}
		return 0;
	}
	/* Else: the point as hex, surrounding white space allowed. */
	char *s = text;
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	size_t len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\t' ||
			   s[len - 1] == '\r'))
		s[--len] = '\0';
	uint8_t point[SC_PUBKEY_LEN];
	if (sc_hex_decode(point, sizeof point, s) != (int)SC_PUBKEY_LEN)
		return term_errf(err, cap, TERM_EXIT_FAILURE,
				 "receipt key %s: expected a PEM public key or 130 hex digits",
				 path);
	int rc = term_receipt_key_from_point(key, point, sizeof point, err, cap);
	if (rc != 0)
		return term_errf(err, cap, TERM_EXIT_FAILURE,
				 "receipt key %s: not a point on P-256", path);
	return 0;
}

int term_receipt_verify(EVP_PKEY *key, const uint8_t *receipt, size_t len, const uint8_t *seal,
			size_t seal_len, char *err, size_t cap)
{
	uint8_t statement[SC_SEAL_STATEMENT_LEN];
	struct sc_seal s;

	if (sc_seal_decode(&s, seal, seal_len) != 0 ||
	    sc_seal_open(receipt, len, &s, statement) != 0)
		return term_errf(err, cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt seal is malformed");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestVerify(md, s.sig, s.sig_len, statement, sizeof statement) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!ok)
		return term_errf(err, cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt signature does not verify with the receipt"
				 " key");
	return 0;
}

int term_receipt_names_key(const uint8_t *receipt, size_t len, uint8_t id[SC_KEY_ID_LEN])
{
	struct sc_receipt r;

	if (sc_receipt_decode(&r, receipt, len) != 0 || r.version != SC_RECEIPT_VERSION)
		return 0;
	memcpy(id, r.key_id, SC_KEY_ID_LEN);
	return 1;
}

static int key_point(EVP_PKEY *key, uint8_t point[SC_PUBKEY_LEN])
{
	size_t n = 0;
	int ok = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
						 SC_PUBKEY_LEN, &n) == 1 &&
		 n == SC_PUBKEY_LEN && point[0] == 0x04;
	ERR_clear_error();
	return ok ? 0 : -1;
}

int term_receipt_key_id(EVP_PKEY *key, uint8_t id[SC_KEY_ID_LEN])
{
	uint8_t point[SC_PUBKEY_LEN];

	return key_point(key, point) == 0 && sc_seal_key_id(point, id) == 0 ? 0
									  : -TERM_EXIT_FAILURE;
}

/* sc_keylist_verify_fn with OpenSSL: a link signed by the key before it. */
static int link_verify(void *ctx, const uint8_t pub[SC_PUBKEY_LEN], const uint8_t *msg,
		       size_t len, const uint8_t *sig, size_t sig_len)
{
	char err[TERM_ERR_MAX];
	EVP_PKEY *k = NULL;
	(void)ctx;
	if (term_receipt_key_from_point(&k, pub, SC_PUBKEY_LEN, err, sizeof err) != 0)
		return 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
		 EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

int term_receipt_key_from_list(EVP_PKEY **key, EVP_PKEY *pinned, const struct sc_keylist *list,
			       const uint8_t id[SC_KEY_ID_LEN], char *err, size_t cap)
{
	uint8_t point[SC_PUBKEY_LEN];
	char hex[2 * SC_KEY_ID_LEN + 1];
	*key = NULL;
	if (key_point(pinned, point) != 0)
		return term_errf(err, cap, TERM_EXIT_BAD_RECEIPT,
				 "the pinned receipt key is not a P-256 point");
	int from = sc_keylist_chain(list, point, link_verify, NULL);
	if (from < 0)
		return term_errf(err, cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt does not verify: it names another key than"
				 " the pinned one, and the issuer's key list does not chain to the"
				 " pinned key (a key missing, or not signed by the key before it)");
	int i = sc_keylist_find(list, (size_t)from, id);
	sc_hex_encode(hex, id, SC_KEY_ID_LEN);
	if (i < 0)
		return term_errf(err, cap, TERM_EXIT_BAD_RECEIPT,
				 "the server's receipt does not verify: it names key %s, which is"
				 " neither the pinned key nor a later one of the issuer's key list",
				 hex);
	if (term_receipt_key_from_point(key, list->e[i].pub, SC_PUBKEY_LEN, err, cap) != 0)
		return term_errf(err, cap, TERM_EXIT_BAD_RECEIPT,
				 "receipt key %s of the list is not a P-256 point", hex);
	return 0;
}
