/* The receipt key list and its messages (common/keylist.h). */
#include <string.h>
#include "buf.h"
#include "errors.h"
#include "keylist.h"
#include "submit.h"

static const uint8_t list_magic[4] = {'S', 'C', 'K', 'L'};
static const uint8_t link_magic[4] = {'S', 'C', 'K', 'R'};

int sc_keylist_link(uint8_t out[SC_KEYLIST_LINK_LEN], const uint8_t prev[SC_PUBKEY_LEN],
		    const struct sc_keylist_entry *e)
{
	struct sc_writer w;
	uint8_t id[SC_KEY_ID_LEN];
	int rc;

	if (!out || !prev || !e)
		return SC_ERR_ARG;
	if ((rc = sc_seal_key_id(prev, id)) != 0)
		return rc;
	sc_writer_init(&w, out, SC_KEYLIST_LINK_LEN);
	sc_put_bytes(&w, link_magic, sizeof(link_magic));
	sc_put_u8(&w, SC_KEYLIST_VERSION);
	sc_put_bytes(&w, id, SC_KEY_ID_LEN);
	sc_put_bytes(&w, e->pub, SC_PUBKEY_LEN);
	sc_put_u64(&w, e->created);
	return w.err ? w.err : 0;
}

/* The shape every list must have, on both sides of the codec. */
static int entries_ok(const struct sc_keylist *l)
{
	if (l->n < 1 || l->n > SC_KEYLIST_MAX)
		return SC_ERR_LENGTH;
	for (size_t i = 0; i < l->n; i++) {
		const struct sc_keylist_entry *e = &l->e[i];

		if (e->pub[0] != 0x04)
			return SC_ERR_BAD_VALUE;
		if (i == 0 ? e->sig_len != 0
			   : e->sig_len < SC_SIG_MIN_LEN || e->sig_len > SC_ECDSA_DER_MAX)
			return SC_ERR_LENGTH;
		for (size_t k = 0; k < i; k++)
			if (memcmp(l->e[k].pub, e->pub, SC_PUBKEY_LEN) == 0)
				return SC_ERR_BAD_VALUE;
	}
	return 0;
}

static void put_list(struct sc_writer *w, const struct sc_keylist *l)
{
	sc_put_bytes(w, list_magic, sizeof(list_magic));
	sc_put_u8(w, SC_KEYLIST_VERSION);
	sc_put_u8(w, (uint8_t)l->n);
	for (size_t i = 0; i < l->n; i++) {
		sc_put_bytes(w, l->e[i].pub, SC_PUBKEY_LEN);
		sc_put_u64(w, l->e[i].created);
		sc_put_u8(w, (uint8_t)l->e[i].sig_len);
		sc_put_bytes(w, l->e[i].sig, l->e[i].sig_len);
	}
}

/* Reads a list to the end of r; 0 or a negative sc_err. */
static int get_list(struct sc_keylist *l, struct sc_reader *r)
{
	uint8_t magic[4], version;
	int err;

	memset(l, 0, sizeof(*l));
	sc_get_bytes(r, magic, sizeof(magic));
	version = sc_get_u8(r);
	l->n = sc_get_u8(r);
	if (r->err)
		return r->err;
	if (memcmp(magic, list_magic, sizeof(magic)) != 0)
		return SC_ERR_BAD_TAG;
	if (version != SC_KEYLIST_VERSION)
		return SC_ERR_BAD_VERSION;
	if (l->n < 1 || l->n > SC_KEYLIST_MAX)
		return SC_ERR_LENGTH;
	for (size_t i = 0; i < l->n && !r->err; i++) {
		struct sc_keylist_entry *e = &l->e[i];

		sc_get_bytes(r, e->pub, SC_PUBKEY_LEN);
		e->created = sc_get_u64(r);
		e->sig_len = sc_get_u8(r);
		if (!r->err && e->sig_len > SC_ECDSA_DER_MAX)
			return SC_ERR_LENGTH;
		sc_get_bytes(r, e->sig, e->sig_len);
	}
	if ((err = sc_reader_finish(r)) != 0)
		return err;
	return entries_ok(l);
}

/* A list alone (type < 0) or as the body of message type. */
static int encode(uint8_t *out, size_t cap, int type, const struct sc_keylist *l)
{
	struct sc_writer w;
	int rc;

	if (!out || !l)
		return SC_ERR_ARG;
	if ((rc = entries_ok(l)) != 0)
		return rc;
	sc_writer_init(&w, out, cap);
	if (type >= 0)
		sc_put_u8(&w, (uint8_t)type);
	put_list(&w, l);
	return w.err ? w.err : (int)w.len;
}

static int decode(struct sc_keylist *l, const uint8_t *buf, size_t len, int type)
{
	struct sc_reader r;

	if (!l || !buf)
		return SC_ERR_ARG;
	sc_reader_init(&r, buf, len);
	if (type >= 0 && sc_get_u8(&r) != type)
		return r.err ? r.err : SC_ERR_BAD_TAG;
	return get_list(l, &r);
}

int sc_keylist_encode(uint8_t *out, size_t cap, const struct sc_keylist *l)
{
	return encode(out, cap, -1, l);
}

int sc_keylist_decode(struct sc_keylist *l, const uint8_t *buf, size_t len)
{
	return decode(l, buf, len, -1);
}

int sc_keylist_chain(const struct sc_keylist *l, const uint8_t pinned[SC_PUBKEY_LEN],
		     sc_keylist_verify_fn verify, void *ctx)
{
	uint8_t link[SC_KEYLIST_LINK_LEN];
	size_t from = 0;

	if (!l || !pinned || !verify || l->n < 1 || l->n > SC_KEYLIST_MAX)
		return SC_ERR_ARG;
	while (from < l->n && memcmp(l->e[from].pub, pinned, SC_PUBKEY_LEN) != 0)
		from++;
	if (from == l->n)
		return SC_ERR_AUTH;
	for (size_t i = from + 1; i < l->n; i++) {
		const struct sc_keylist_entry *e = &l->e[i];

		if (sc_keylist_link(link, l->e[i - 1].pub, e) != 0 ||
		    verify(ctx, l->e[i - 1].pub, link, sizeof(link), e->sig, e->sig_len) != 1)
			return SC_ERR_AUTH;
	}
	return (int)from;
}

int sc_keylist_find(const struct sc_keylist *l, size_t from, const uint8_t id[SC_KEY_ID_LEN])
{
	uint8_t k[SC_KEY_ID_LEN];

	if (!l || !id || l->n > SC_KEYLIST_MAX)
		return SC_ERR_ARG;
	for (size_t i = from; i < l->n; i++)
		if (sc_seal_key_id(l->e[i].pub, k) == 0 && memcmp(k, id, SC_KEY_ID_LEN) == 0)
			return (int)i;
	return SC_ERR_BAD_VALUE;
}

int sc_get_receipt_keys_encode(uint8_t *out, size_t cap)
{
	if (!out)
		return SC_ERR_ARG;
	if (cap < 1)
		return SC_ERR_OVERFLOW;
	out[0] = SC_MSG_GET_RECEIPT_KEYS;
	return 1;
}

int sc_get_receipt_keys_decode(const uint8_t *body, size_t len)
{
	if (!body)
		return SC_ERR_ARG;
	if (len < 1)
		return SC_ERR_TRUNCATED;
	if (body[0] != SC_MSG_GET_RECEIPT_KEYS)
		return SC_ERR_BAD_TAG;
	return len == 1 ? 0 : SC_ERR_TRAILING;
}

int sc_receipt_keys_encode(uint8_t *out, size_t cap, const struct sc_keylist *l)
{
	return encode(out, cap, SC_MSG_RECEIPT_KEYS, l);
}

int sc_receipt_keys_decode(struct sc_keylist *l, const uint8_t *body, size_t len)
{
	return decode(l, body, len, SC_MSG_RECEIPT_KEYS);
}
