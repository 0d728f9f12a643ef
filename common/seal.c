/* Receipt seals: the batch hash tree, a receipt's path in it, and the
 * seal's encoding (common/seal.h). */
#include <string.h>
#include <mbedtls/sha256.h>
#include "buf.h"
#include "errors.h"
#include "seal.h"
#include "submit.h"

static const uint8_t statement_magic[4] = {'S', 'C', 'R', 'B'};
#define SEAL_VERSION 2u
#define LEAF_PREFIX 0x00u
#define NODE_PREFIX 0x01u

/* SubjectPublicKeyInfo of a P-256 key up to its point: SEQUENCE { SEQUENCE
 * { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) }. */
static const uint8_t p256_spki_prefix[26] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

int sc_seal_key_id(const uint8_t pub[SC_PUBKEY_LEN], uint8_t id[SC_KEY_ID_LEN])
{
	uint8_t spki[sizeof(p256_spki_prefix) + SC_PUBKEY_LEN], h[SC_HASH_LEN];
	int rc;

	if (!pub || !id || pub[0] != 0x04)
		return SC_ERR_ARG;
	memcpy(spki, p256_spki_prefix, sizeof(p256_spki_prefix));
	memcpy(spki + sizeof(p256_spki_prefix), pub, SC_PUBKEY_LEN);
	rc = mbedtls_sha256_ret(spki, sizeof(spki), h, 0) ? SC_ERR_CRYPTO : 0;
	memcpy(id, h, SC_KEY_ID_LEN);
	return rc;
}

int sc_seal_leaf(const uint8_t *receipt, size_t len, uint8_t out[SC_HASH_LEN])
{
	mbedtls_sha256_context c;
	const uint8_t prefix = LEAF_PREFIX;
	int rc;

	if (!receipt || !out)
		return SC_ERR_ARG;
	mbedtls_sha256_init(&c);
	rc = mbedtls_sha256_starts_ret(&c, 0) || mbedtls_sha256_update_ret(&c, &prefix, 1) ||
	     mbedtls_sha256_update_ret(&c, receipt, len) || mbedtls_sha256_finish_ret(&c, out);
	mbedtls_sha256_free(&c);
	return rc ? SC_ERR_CRYPTO : 0;
}

static int node(const uint8_t left[SC_HASH_LEN], const uint8_t right[SC_HASH_LEN],
		uint8_t out[SC_HASH_LEN])
{
	uint8_t in[1 + 2 * SC_HASH_LEN];

	in[0] = NODE_PREFIX;
	memcpy(in + 1, left, SC_HASH_LEN);
	memcpy(in + 1 + SC_HASH_LEN, right, SC_HASH_LEN);
	return mbedtls_sha256_ret(in, sizeof(in), out, 0) ? SC_ERR_CRYPTO : 0;
}

/* Level after level: level 0 is the n leaves from slot 0, each next level
 * follows the previous one in the array, ceil(len / 2) long. */
int sc_seal_tree(uint8_t (*nodes)[SC_HASH_LEN], size_t n, size_t cap,
		 uint8_t root[SC_HASH_LEN])
{
	size_t base = 0, len = n;

	if (!nodes || !root || n < 1 || n > SC_SEAL_BATCH_MAX || cap < SC_SEAL_NODES(n))
		return SC_ERR_ARG;
	while (len > 1) {
		size_t up = base + len;

		for (size_t k = 0; k + 1 < len; k += 2)
			if (node(nodes[base + k], nodes[base + k + 1], nodes[up + k / 2]) != 0)
				return SC_ERR_CRYPTO;
		if (len & 1)
			memcpy(nodes[up + len / 2], nodes[base + len - 1], SC_HASH_LEN);
		base = up;
		len = (len + 1) / 2;
	}
	memcpy(root, nodes[base], SC_HASH_LEN);
	return 0;
}

int sc_seal_path(const uint8_t (*nodes)[SC_HASH_LEN], size_t n, size_t i, struct sc_seal *s)
{
	size_t base = 0, len = n;

	if (!nodes || !s || n < 1 || n > SC_SEAL_BATCH_MAX || i >= n)
		return SC_ERR_ARG;
	s->depth = 0;
	while (len > 1) {
		size_t sib = i ^ 1u;

		/* A lifted last node has no sibling on this level. */
		if (sib < len) {
			if (s->depth >= SC_SEAL_DEPTH_MAX)
				return SC_ERR_ARG;
			s->path[s->depth].sibling_left = (uint8_t)(i & 1u);
			memcpy(s->path[s->depth].sibling, nodes[base + sib], SC_HASH_LEN);
			s->depth++;
		}
		base += len;
		i /= 2;
		len = (len + 1) / 2;
	}
	return 0;
}

int sc_seal_statement(const uint8_t root[SC_HASH_LEN], uint8_t out[SC_SEAL_STATEMENT_LEN])
{
	if (!root || !out)
		return SC_ERR_ARG;
	memcpy(out, statement_magic, sizeof(statement_magic));
	out[4] = SEAL_VERSION;
	memcpy(out + 5, root, SC_HASH_LEN);
	return 0;
}

int sc_seal_open(const uint8_t *receipt, size_t len, const struct sc_seal *s,
		 uint8_t statement[SC_SEAL_STATEMENT_LEN])
{
	uint8_t h[SC_HASH_LEN];
	int rc;

	if (!s || s->depth > SC_SEAL_DEPTH_MAX)
		return SC_ERR_ARG;
	if ((rc = sc_seal_leaf(receipt, len, h)) != 0)
		return rc;
	for (size_t k = 0; k < s->depth; k++) {
		const struct sc_seal_step *st = &s->path[k];

		rc = st->sibling_left ? node(st->sibling, h, h) : node(h, st->sibling, h);
		if (rc != 0)
			return rc;
	}
	return sc_seal_statement(h, statement);
}

int sc_seal_encode(uint8_t *out, size_t cap, const struct sc_seal *s)
{
	struct sc_writer w;

	if (!out || !s || s->depth > SC_SEAL_DEPTH_MAX || !s->sig ||
	    s->sig_len < SC_SIG_MIN_LEN || s->sig_len > SC_ECDSA_DER_MAX)
		return SC_ERR_ARG;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, (uint8_t)s->depth);
	for (size_t k = 0; k < s->depth; k++) {
		sc_put_u8(&w, s->path[k].sibling_left ? 0x00 : 0x01);
		sc_put_bytes(&w, s->path[k].sibling, SC_HASH_LEN);
	}
	sc_put_u8(&w, (uint8_t)s->sig_len);
	sc_put_bytes(&w, s->sig, s->sig_len);
	if (w.err)
		return w.err;
	return (int)w.len;
}

int sc_seal_decode(struct sc_seal *s, const uint8_t *buf, size_t len)
{
	struct sc_reader r;

	if (!s || !buf)
		return SC_ERR_ARG;
	memset(s, 0, sizeof(*s));
	sc_reader_init(&r, buf, len);
	s->depth = sc_get_u8(&r);
	if (!r.err && s->depth > SC_SEAL_DEPTH_MAX)
		return SC_ERR_LENGTH;
	for (size_t k = 0; k < s->depth && !r.err; k++) {
		uint8_t side = sc_get_u8(&r);

		if (!r.err && side > 0x01)
			return SC_ERR_BAD_VALUE;
		s->path[k].sibling_left = side == 0x00;
		sc_get_bytes(&r, s->path[k].sibling, SC_HASH_LEN);
	}
	s->sig_len = sc_get_u8(&r);
	if (!r.err && (s->sig_len < SC_SIG_MIN_LEN || s->sig_len > SC_ECDSA_DER_MAX))
		return SC_ERR_LENGTH;
	s->sig = sc_get_span(&r, s->sig_len);
	return sc_reader_finish(&r);
}
