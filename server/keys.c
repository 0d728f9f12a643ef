/* The issuer's keys (master key for K_card, ECDSA P-256 receipt key) and the
 * strict ECDSA checks of card signatures, with OpenSSL libcrypto. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "common/hex.h"
#include "hostlib/atomicfile.h"
#include "server.h"

int srv_random(uint8_t *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

int srv_sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
	return SHA256(in, len, out) ? 0 : -1;
}

/* Creates path with mode 0600 and n bytes, whole or not at all, never over
 * an existing file (hostlib/atomicfile.h). */
static int write_secret(const char *path, const void *p, size_t n, char *err, size_t errlen)
{
	int rc = af_write_file(path, 0600, AF_NOREPLACE, p, n);

	if (rc != 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, af_strerror(rc));
		return -1;
	}
	return 0;
}

int srv_master_key_create(const char *path, char *err, size_t errlen)
{
	uint8_t key[SC_MASTER_KEY_LEN];
	int rc;

	if (srv_random(key, sizeof(key)) != 0) {
		snprintf(err, errlen, "no randomness for the master key");
		return -1;
	}
	rc = write_secret(path, key, sizeof(key), err, errlen);
	sc_wipe(key, sizeof(key));
	return rc;
}

/* Opens a secret file read-only and refuses it unless only its owner can
 * read it: a key the world can read is a key to rotate, not to use. */
int srv_secret_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s may be read by group or others (mode %04o); "
			 "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
}

int srv_transport_key_load(const char *path, uint8_t key[SC_TRANSPORT_KEY_LEN], char *err,
			   size_t errlen)
{
	char text[128], *hex = text;
	ssize_t n;
	size_t len;
	int fd = srv_secret_open(path, err, errlen), rc = 0;

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	hex += strspn(hex, " \t\r\n");
	len = strcspn(hex, " \t\r\n");
	if (hex[len + strspn(hex + len, " \t\r\n")] != '\0' || len != 2 * SC_TRANSPORT_KEY_LEN)
		rc = -1;
	hex[len] = '\0';
	if (rc == 0 && sc_hex_decode(key, SC_TRANSPORT_KEY_LEN, hex) != (int)SC_TRANSPORT_KEY_LEN)
		rc = -1;
	sc_wipe(text, sizeof(text));
	if (rc != 0) {
		sc_wipe(key, SC_TRANSPORT_KEY_LEN);
		snprintf(err, errlen, "%s does not hold a transport key (32 hex digits)", path);
	}
	return rc;
}

int srv_master_key_load(const char *path, uint8_t key[SC_MASTER_KEY_LEN], char *err,
			size_t errlen)
{
	uint8_t buf[SC_MASTER_KEY_LEN + 1];
	ssize_t n;
	int fd = srv_secret_open(path, err, errlen);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != SC_MASTER_KEY_LEN) {
		snprintf(err, errlen, "%s does not hold a %u-byte master key", path,
			 SC_MASTER_KEY_LEN);
		sc_wipe(buf, sizeof(buf));
		return -1;
	}
	memcpy(key, buf, SC_MASTER_KEY_LEN);
	sc_wipe(buf, sizeof(buf));
	return 0;
}

/* Writes private key k to path (PEM, 0600, never over a file). */
static int write_pem(const char *path, EVP_PKEY *k, char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem;
	long n;
	int rc = -1;

	if (!mem || !PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL))
		snprintf(err, errlen, "cannot encode the receipt key");
	else if ((n = BIO_get_mem_data(mem, &pem)) > 0)
		rc = write_secret(path, pem, (size_t)n, err, errlen);
	BIO_free_all(mem); /* BIO_s_mem cleanses its buffer on free */
	return rc;
}

int srv_receipt_key_create(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	int rc;

	if (!k) {
		snprintf(err, errlen, "cannot generate the receipt key");
		return -1;
	}
	rc = write_pem(path, k, err, errlen);
	EVP_PKEY_free(k);
	return rc;
}

EVP_PKEY *srv_receipt_key_load(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *k = NULL;
	FILE *f;
	int fd = srv_secret_open(path, err, errlen);

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		snprintf(err, errlen, "cannot read %s", path);
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC || EVP_PKEY_get_bits(k) != 256) {
		snprintf(err, errlen, "%s does not hold a P-256 private key", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int srv_pubkey_export(EVP_PKEY *k, uint8_t out[SC_PUBKEY_LEN])
{
	size_t n = 0;

	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
					    SC_PUBKEY_LEN, &n) != 1 || n != SC_PUBKEY_LEN)
		return -1;
	/* The encoded form follows the key's point format: make sure it is the
	 * uncompressed one the cards use. */
	return out[0] == 0x04 ? 0 : -1;
}

EVP_PKEY *srv_pubkey_import(const uint8_t pub[SC_PUBKEY_LEN], int full_check)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;
	char group[] = SN_X9_62_prime256v1;

	if (pub[0] != 0x04)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
						      SC_PUBKEY_LEN);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (k && full_check) {
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
		if (!ctx || EVP_PKEY_public_check(ctx) != 1) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		EVP_PKEY_CTX_free(ctx);
	}
	return k;
}

/* The P-256 group order n, big-endian. */
static const uint8_t p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* One DER INTEGER at *p (within end) that must be a minimal, positive
 * encoding of a value in [1, n-1]. Advances *p. */
static int der_scalar(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *v;
	size_t len;
	uint8_t be[32];

	if (end - *p < 2 || (*p)[0] != 0x02)
		return -1;
	len = (*p)[1];
	*p += 2;
	if (len == 0 || len > 33 || (size_t)(end - *p) < len)
		return -1;
	v = *p;
	*p += len;
	if (v[0] & 0x80)
		return -1; /* negative */
	if (len > 1 && v[0] == 0x00 && !(v[1] & 0x80))
		return -1; /* a leading zero that is not needed */
	if (len == 33) {
		if (v[0] != 0x00)
			return -1; /* above 2^256 */
		v++; /* the sign byte, checked above to be needed */
		len--;
	}
	memset(be, 0, sizeof(be));
	memcpy(be + 32 - len, v, len);
	{
		int zero = 1;

		for (size_t i = 0; i < 32; i++)
			zero &= be[i] == 0;
		if (zero)
			return -1; /* 0 */
	}
	return memcmp(be, p256_order, 32) < 0 ? 0 : -1;
}

/* Strict DER of ECDSA-Sig-Value: SEQUENCE (short-form length, the whole
 * input) of two minimal INTEGERs. OpenSSL's own verify tolerates some
 * non-canonical forms; this runs first so that a signature has exactly one
 * accepted encoding. */
int srv_ecdsa_der_strict(const uint8_t *sig, size_t sig_len)
{
	const uint8_t *p = sig, *end = sig + sig_len;

	if (sig_len < 8 || sig_len > SC_ECDSA_DER_MAX || sig[0] != 0x30 || sig[1] & 0x80 ||
	    (size_t)sig[1] != sig_len - 2)
		return -1;
	p += 2;
	if (der_scalar(&p, end) != 0 || der_scalar(&p, end) != 0)
		return -1;
	return p == end ? 0 : -1;
}

int srv_ecdsa_verify_ctx(EVP_PKEY_CTX *ctx, const uint8_t digest[32], const uint8_t *sig,
			 size_t sig_len)
{
	if (srv_ecdsa_der_strict(sig, sig_len) != 0)
		return 0;
	return EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1;
}

int srv_ecdsa_verify(EVP_PKEY *pub, const uint8_t digest[32], const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if (srv_ecdsa_der_strict(sig, sig_len) != 0)
		return 0;
	ctx = EVP_PKEY_CTX_new(pub, NULL);
	ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
	     EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

int srv_ecdsa_sign_ctx(EVP_PKEY_CTX *ctx, const uint8_t *msg, size_t len, uint8_t *sig)
{
	uint8_t digest[32];
	size_t n = SC_ECDSA_DER_MAX;

	if (srv_sha256(msg, len, digest) != 0 ||
	    EVP_PKEY_sign(ctx, sig, &n, digest, sizeof(digest)) != 1)
		return -1;
	return (int)n;
}

int srv_ecdsa_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig)
{
	uint8_t digest[32];
	size_t n = SC_ECDSA_DER_MAX;
	EVP_PKEY_CTX *ctx;
	int ok;

	if (srv_sha256(msg, len, digest) != 0)
		return -1;
	ctx = EVP_PKEY_CTX_new(key, NULL);
	ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	     EVP_PKEY_sign(ctx, sig, &n, digest, sizeof(digest)) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? (int)n : -1;
}

/* ---- the receipt key ring (server.h) */

/* sc_keylist_verify_fn over OpenSSL: a link of the list is checked like
 * every signature the server checks. */
static int link_verify(void *ctx, const uint8_t pub[SC_PUBKEY_LEN], const uint8_t *msg,
		       size_t len, const uint8_t *sig, size_t sig_len)
{
	uint8_t digest[32];
	EVP_PKEY *k = srv_pubkey_import(pub, 1);
	int ok;

	(void)ctx;
	ok = k && srv_sha256(msg, len, digest) == 0 && srv_ecdsa_verify(k, digest, sig, sig_len);
	EVP_PKEY_free(k);
	return ok;
}

static int ring_path(char *out, size_t cap, const struct srv_config *cfg, const char *name)
{
	return snprintf(out, cap, "%s/%s", cfg->receipt_ring_dir, name) < (int)cap ? 0 : -1;
}

/* Where the private key of an entry lives: the first is receipt.key. */
static int key_path(char *out, size_t cap, const struct srv_config *cfg,
		    const uint8_t id[SC_KEY_ID_LEN], int first)
{
	char hex[2 * SC_KEY_ID_LEN + 1], name[sizeof(hex) + 4];

	if (first)
		return snprintf(out, cap, "%s", cfg->receipt_key_path) < (int)cap ? 0 : -1;
	sc_hex_encode(hex, id, SC_KEY_ID_LEN);
	snprintf(name, sizeof(name), "%s.key", hex);
	return ring_path(out, cap, cfg, name);
}

/* The list file, or a list of the first key alone when there is none yet
 * (created: receipt.key's modification time). */
static int read_list(struct sc_keylist *l, const struct srv_config *cfg,
		     const uint8_t first[SC_PUBKEY_LEN], char *err, size_t errlen)
{
	uint8_t buf[SC_KEYLIST_ENC_MAX + 1];
	char path[SRV_PATH_MAX + 16];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (ring_path(path, sizeof(path), cfg, SRV_RING_LIST) != 0) {
		snprintf(err, errlen, "the receipt key list's path is too long");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		memset(l, 0, sizeof(*l));
		l->n = 1;
		memcpy(l->e[0].pub, first, SC_PUBKEY_LEN);
		if (stat(cfg->receipt_key_path, &st) == 0 && st.st_mtime > 0)
			l->e[0].created = (uint64_t)st.st_mtime;
		return 0;
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || (size_t)n > SC_KEYLIST_ENC_MAX ||
	    (rc = sc_keylist_decode(l, buf, (size_t)n)) != 0) {
		snprintf(err, errlen, "%s is not a receipt key list (%s)", path,
			 n < 0 ? strerror(errno) : (size_t)n > SC_KEYLIST_ENC_MAX
			 ? "too long" : sc_strerror(rc));
		return -1;
	}
	if (memcmp(l->e[0].pub, first, SC_PUBKEY_LEN) != 0) {
		snprintf(err, errlen, "%s does not start with the key of %s", path,
			 cfg->receipt_key_path);
		return -1;
	}
	if (sc_keylist_chain(l, first, link_verify, NULL) != 0) {
		snprintf(err, errlen, "%s: a key is not signed by the key before it", path);
		return -1;
	}
	return 0;
}

/* The first receipt key's public half: receipt.pub when init put the
 * private half in a token, else receipt.key's. 0, or -1 with err. */
static int first_pub(const struct srv_config *cfg, uint8_t first[SC_PUBKEY_LEN], char *err,
		     size_t errlen)
{
	char text[2 * SC_PUBKEY_LEN + 8];
	EVP_PKEY *k;
	ssize_t n;
	int fd = open(cfg->receipt_pub_path, O_RDONLY | O_CLOEXEC), rc;

	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		text[n > 0 ? n : 0] = '\0';
		text[strcspn(text, "\r\n")] = '\0';
		if (strlen(text) != 2 * SC_PUBKEY_LEN ||
		    sc_hex_decode(first, SC_PUBKEY_LEN, text) != (int)SC_PUBKEY_LEN) {
			snprintf(err, errlen, "%s does not hold a receipt public key (130 hex digits)",
				 cfg->receipt_pub_path);
			return -1;
		}
		return 0;
	}
	if (!(k = srv_receipt_key_load(cfg->receipt_key_path, err, errlen)))
		return -1;
	rc = srv_pubkey_export(k, first);
	EVP_PKEY_free(k);
	if (rc != 0)
		snprintf(err, errlen, "cannot export the receipt public key");
	return rc;
}

int srv_ring_load(struct srv_ring *r, const struct srv_config *cfg, char *err, size_t errlen)
{
	uint8_t first[SC_PUBKEY_LEN];
	int rc;

	memset(r, 0, sizeof(*r));
	if (first_pub(cfg, first, err, errlen) != 0)
		return -1;
	if (read_list(&r->list, cfg, first, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < r->list.n; i++) {
		if (sc_seal_key_id(r->list.e[i].pub, r->id[i]) != 0 ||
		    !(r->pub[i] = srv_pubkey_import(r->list.e[i].pub, 1))) {
			snprintf(err, errlen, "receipt key %zu of the list is not a P-256 key", i);
			srv_ring_free(r);
			return -1;
		}
	}
	rc = sc_receipt_keys_encode(r->msg, sizeof(r->msg), &r->list);
	if (rc < 0) {
		snprintf(err, errlen, "cannot encode the receipt key list: %s", sc_strerror(rc));
		srv_ring_free(r);
		return -1;
	}
	r->msg_len = (size_t)rc;
	return 0;
}

void srv_ring_free(struct srv_ring *r)
{
	for (size_t i = 0; i < SC_KEYLIST_MAX; i++)
		EVP_PKEY_free(r->pub[i]);
	memset(r, 0, sizeof(*r));
}

EVP_PKEY *srv_ring_private(const struct srv_ring *r, const struct srv_config *cfg, size_t i,
			   char *err, size_t errlen)
{
	char path[SRV_PATH_MAX + 32];
	uint8_t pub[SC_PUBKEY_LEN];
	EVP_PKEY *k;

	if (i >= r->list.n || key_path(path, sizeof(path), cfg, r->id[i], i == 0) != 0) {
		snprintf(err, errlen, "no receipt key %zu", i);
		return NULL;
	}
	if (!(k = srv_receipt_key_load(path, err, errlen)))
		return NULL;
	if (srv_pubkey_export(k, pub) != 0 || memcmp(pub, r->list.e[i].pub, SC_PUBKEY_LEN) != 0) {
		snprintf(err, errlen, "%s is not the key the receipt key list names", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int srv_ring_key_create(const struct srv_config *cfg, uint8_t pub[SC_PUBKEY_LEN], char *err,
			size_t errlen)
{
	uint8_t id[SC_KEY_ID_LEN];
	char path[SRV_PATH_MAX + 32];
	EVP_PKEY *k;
	int rc = -1;

	if (mkdir(cfg->receipt_ring_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", cfg->receipt_ring_dir,
			 strerror(errno));
		return -1;
	}
	/* A name that is the key's id, known only once the key exists: made
	 * under a temporary name first would leave two files to clean up, so
	 * the key is generated into memory and then written where it goes. */
	k = EVP_EC_gen("P-256");
	if (!k || srv_pubkey_export(k, pub) != 0 || sc_seal_key_id(pub, id) != 0)
		snprintf(err, errlen, "cannot generate the receipt key");
	else if (key_path(path, sizeof(path), cfg, id, 0) == 0)
		rc = write_pem(path, k, err, errlen);
	EVP_PKEY_free(k);
	return rc;
}

int srv_ring_rotate(const struct srv_config *cfg, uint64_t now, size_t *index, char *err,
		    size_t errlen)
{
	struct srv_ring r;
	struct sc_keylist *l = &r.list;
	struct sc_keylist_entry *e;
	uint8_t link[SC_KEYLIST_LINK_LEN], enc[SC_KEYLIST_ENC_MAX];
	char path[SRV_PATH_MAX + 32];
	struct srv_keys *keys = NULL;
	int n, rc = -1;

	if (srv_ring_load(&r, cfg, err, errlen) != 0)
		return -1;
	if (l->n == SC_KEYLIST_MAX) {
		snprintf(err, errlen, "the ring holds %u receipt keys, the most a key list carries",
			 SC_KEYLIST_MAX);
		goto out;
	}
	/* The current key signs its successor, wherever the keys are. */
	if (!(keys = srv_keys_open(cfg, &r, SRV_KEYS_RECEIPT, err, errlen)))
		goto out;
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	if (keys->ops->receipt_new(keys, e->pub, err, errlen) != 0)
		goto out;
	e->created = now;
	if (sc_keylist_link(link, l->e[l->n - 1].pub, e) != 0 ||
	    (n = keys->ops->seal_sign(keys, link, sizeof(link), e->sig)) < 0) {
		snprintf(err, errlen, "cannot sign the new receipt key with the current one");
		goto out;
	}
	e->sig_len = (size_t)n;
	l->n++;
	/* The list is the commit: until it is written the new key is unused. */
	n = sc_keylist_encode(enc, sizeof(enc), l);
	if (n < 0 || ring_path(path, sizeof(path), cfg, SRV_RING_LIST) != 0) {
		snprintf(err, errlen, "cannot encode the receipt key list");
		goto out;
	}
	if (mkdir(cfg->receipt_ring_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", cfg->receipt_ring_dir,
			 strerror(errno));
		goto out;
	}
	if ((n = af_write_file(path, 0644, 0, enc, (size_t)n)) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, af_strerror(n));
		goto out;
	}
	*index = l->n - 1;
	rc = 0;
out:
	srv_keys_close(keys);
	srv_ring_free(&r);
	return rc;
}

int srv_ring_seal_verify(const struct srv_ring *r, const uint8_t *receipt, size_t len,
			 const uint8_t *seal, size_t seal_len, char *err, size_t errlen)
{
	uint8_t statement[SC_SEAL_STATEMENT_LEN], digest[32];
	char hex[2 * SC_KEY_ID_LEN + 1];
	struct sc_receipt rc;
	struct sc_seal s;
	int i = 0;

	if (sc_receipt_decode(&rc, receipt, len) != 0 || sc_seal_decode(&s, seal, seal_len) != 0 ||
	    sc_seal_open(receipt, len, &s, statement) != 0) {
		snprintf(err, errlen, "a malformed receipt or seal");
		return -1;
	}
	if (rc.version == SC_RECEIPT_VERSION &&
	    (i = sc_keylist_find(&r->list, 0, rc.key_id)) < 0) {
		sc_hex_encode(hex, rc.key_id, SC_KEY_ID_LEN);
		snprintf(err, errlen, "sealed by receipt key %s, which is not in the ring", hex);
		return -1;
	}
	if (srv_sha256(statement, sizeof(statement), digest) != 0 ||
	    !srv_ecdsa_verify(r->pub[i], digest, s.sig, s.sig_len)) {
		sc_hex_encode(hex, r->id[i], SC_KEY_ID_LEN);
		snprintf(err, errlen, "the seal does not verify with receipt key %s", hex);
		return -1;
	}
	return 0;
}
