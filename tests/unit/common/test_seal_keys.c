/* Receipt keys (docs/PROTOCOL.md §6 "Receipt keys"): the key id, receipt
 * version 4 and its seal, the key list's codec and its chain, against the
 * vectors Python computed; the chain's signatures are checked with mbed
 * TLS, a second ECDSA besides the programs' OpenSSL. */
#include <string.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>
#include "common_test.h"
#include "common/errors.h"
#include "common/keylist.h"
#include "common/seal.h"
#include "common/submit.h"
#include "tests/support/doc_vector.h"

#define VEC_MAX 2400

struct vbuf {
	uint8_t b[VEC_MAX];
	size_t len;
};

static void vec(struct vbuf *v, const char *name)
{
	int n = doc_vector(name, v->b, sizeof(v->b));

	if (n < 0)
		fail_msg("vector %s is not in docs/PROTOCOL.md", name);
	v->len = (size_t)n;
}

/* sc_keylist_verify_fn with mbed TLS. */
static int mbed_verify(void *ctx, const uint8_t pub[SC_PUBKEY_LEN], const uint8_t *msg,
		       size_t len, const uint8_t *sig, size_t sig_len)
{
	mbedtls_ecdsa_context k;
	uint8_t h[32];
	int ok;

	(void)ctx;
	mbedtls_ecdsa_init(&k);
	ok = mbedtls_ecp_group_load(&k.grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
	     mbedtls_ecp_point_read_binary(&k.grp, &k.Q, pub, SC_PUBKEY_LEN) == 0 &&
	     mbedtls_sha256_ret(msg, len, h, 0) == 0 &&
	     mbedtls_ecdsa_read_signature(&k, h, sizeof(h), sig, sig_len) == 0;
	mbedtls_ecdsa_free(&k);
	return ok;
}

static void key_ids(void **state)
{
	static const char *const names[] = {"a", "b", "c"};
	struct vbuf p, id;
	uint8_t got[SC_KEY_ID_LEN];
	char name[32];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "keys.point-%s", names[i]);
		vec(&p, name);
		snprintf(name, sizeof(name), "keys.id-%s", names[i]);
		vec(&id, name);
		assert_int_equal(p.len, SC_PUBKEY_LEN);
		assert_int_equal(id.len, SC_KEY_ID_LEN);
		assert_int_equal(sc_seal_key_id(p.b, got), 0);
		assert_memory_equal(got, id.b, SC_KEY_ID_LEN);
	}
	p.b[0] = 0x02; /* compressed: not a key this protocol names */
	assert_int_equal(sc_seal_key_id(p.b, got), SC_ERR_ARG);
}

/* Version 4 carries the key id; its seal opens to a statement key c signed. */
static void receipt_v4(void **state)
{
	struct vbuf r, sl, id, pc;
	uint8_t out[SC_RECEIPT_MAX], statement[SC_SEAL_STATEMENT_LEN];
	struct sc_receipt rc;
	struct sc_seal s;

	(void)state;
	vec(&r, "submit.receipt.v4");
	vec(&sl, "submit.seal.v4");
	vec(&id, "keys.id-c");
	vec(&pc, "keys.point-c");
	assert_int_equal(r.len, SC_RECEIPT_V4_MIN);
	assert_int_equal(sc_receipt_decode(&rc, r.b, r.len), 0);
	assert_int_equal(rc.version, SC_RECEIPT_VERSION);
	assert_int_equal(rc.transfer_id, 42);
	assert_int_equal(rc.counter, 14);
	assert_int_equal(rc.currency, 978);
	assert_memory_equal(rc.key_id, id.b, SC_KEY_ID_LEN);
	assert_int_equal(sc_receipt_encode(out, sizeof(out), &rc), (int)r.len);
	assert_memory_equal(out, r.b, r.len);

	assert_int_equal(sc_seal_decode(&s, sl.b, sl.len), 0);
	assert_int_equal(s.depth, 0);
	assert_int_equal(sc_seal_open(r.b, r.len, &s, statement), 0);
	assert_int_equal(mbed_verify(NULL, pc.b, statement, sizeof(statement), s.sig, s.sig_len), 1);
	/* another key id in the receipt: another leaf, the signature fails */
	r.b[68] ^= 1;
	assert_int_equal(sc_seal_open(r.b, r.len, &s, statement), 0);
	assert_int_equal(mbed_verify(NULL, pc.b, statement, sizeof(statement), s.sig, s.sig_len), 0);
	/* a version-4 receipt cut to version 3's length is malformed */
	assert_int_not_equal(sc_receipt_decode(&rc, r.b, SC_RECEIPT_V3_MIN), 0);
}

static void keylist_codec(void **state)
{
	struct vbuf lv, link, msg, get, pb;
	uint8_t out[SC_RECEIPT_KEYS_MSG_MAX], l_link[SC_KEYLIST_LINK_LEN];
	struct sc_keylist l, m;

	(void)state;
	vec(&lv, "keys.list");
	vec(&link, "keys.link-b");
	vec(&msg, "keys.receipt-keys");
	vec(&get, "keys.get-receipt-keys");
	vec(&pb, "keys.point-b");
	assert_int_equal(sc_keylist_decode(&l, lv.b, lv.len), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.e[0].sig_len, 0);
	assert_int_equal(l.e[1].created, 1767225600);
	assert_memory_equal(l.e[1].pub, pb.b, SC_PUBKEY_LEN);
	assert_int_equal(sc_keylist_encode(out, sizeof(out), &l), (int)lv.len);
	assert_memory_equal(out, lv.b, lv.len);
	assert_int_equal(sc_keylist_link(l_link, l.e[0].pub, &l.e[1]), 0);
	assert_int_equal(link.len, SC_KEYLIST_LINK_LEN);
	assert_memory_equal(l_link, link.b, link.len);

	assert_int_equal(sc_receipt_keys_encode(out, sizeof(out), &l), (int)msg.len);
	assert_memory_equal(out, msg.b, msg.len);
	assert_int_equal(sc_receipt_keys_decode(&m, msg.b, msg.len), 0);
	assert_memory_equal(&m, &l, sizeof(l));
	assert_int_equal(sc_get_receipt_keys_encode(out, sizeof(out)), 1);
	assert_memory_equal(out, get.b, get.len);
	assert_int_equal(sc_get_receipt_keys_decode(get.b, get.len), 0);
	assert_int_equal(sc_receipt_keys_encode(out, msg.len - 1, &l), SC_ERR_OVERFLOW);

	/* shapes refused: trailing byte, cut short, another type, the first
	 * key signed, a later one unsigned, a key twice, no key, too many */
	memcpy(out, lv.b, lv.len);
	out[lv.len] = 0;
	assert_int_equal(sc_keylist_decode(&m, out, lv.len + 1), SC_ERR_TRAILING);
	assert_int_equal(sc_keylist_decode(&m, lv.b, lv.len - 1), SC_ERR_TRUNCATED);
	assert_int_equal(sc_receipt_keys_decode(&m, lv.b, lv.len), SC_ERR_BAD_TAG);
	m = l;
	m.e[0].sig_len = 8;
	assert_int_equal(sc_keylist_encode(out, sizeof(out), &m), SC_ERR_LENGTH);
	m = l;
	m.e[2].sig_len = 0;
	assert_int_equal(sc_keylist_encode(out, sizeof(out), &m), SC_ERR_LENGTH);
	m = l;
	memcpy(m.e[2].pub, m.e[0].pub, SC_PUBKEY_LEN);
	assert_int_equal(sc_keylist_encode(out, sizeof(out), &m), SC_ERR_BAD_VALUE);
	m = l;
	m.n = 0;
	assert_int_equal(sc_keylist_encode(out, sizeof(out), &m), SC_ERR_LENGTH);
	memcpy(out, lv.b, lv.len);
	out[5] = SC_KEYLIST_MAX + 1;
	assert_int_equal(sc_keylist_decode(&m, out, lv.len), SC_ERR_LENGTH);
	out[5] = 3;
	out[4] = 2;
	assert_int_equal(sc_keylist_decode(&m, out, lv.len), SC_ERR_BAD_VERSION);
}

/* The chain: from any pinned key on, each link verifies; a tampered link
 * or a pin outside the list is refused; a key before the pin is not found. */
static void keylist_chain(void **state)
{
	struct vbuf lv, pa, pb, pc, ida, idc;
	struct sc_keylist l;
	uint8_t stranger[SC_PUBKEY_LEN];

	(void)state;
	vec(&lv, "keys.list");
	vec(&pa, "keys.point-a");
	vec(&pb, "keys.point-b");
	vec(&pc, "keys.point-c");
	vec(&ida, "keys.id-a");
	vec(&idc, "keys.id-c");
	assert_int_equal(sc_keylist_decode(&l, lv.b, lv.len), 0);
	assert_int_equal(sc_keylist_chain(&l, pa.b, mbed_verify, NULL), 0);
	assert_int_equal(sc_keylist_chain(&l, pb.b, mbed_verify, NULL), 1);
	assert_int_equal(sc_keylist_chain(&l, pc.b, mbed_verify, NULL), 2);
	assert_int_equal(sc_keylist_find(&l, 0, idc.b), 2);
	assert_int_equal(sc_keylist_find(&l, 1, ida.b), SC_ERR_BAD_VALUE);

	/* a pin the list does not hold */
	memcpy(stranger, pa.b, SC_PUBKEY_LEN);
	stranger[10] ^= 1;
	assert_int_equal(sc_keylist_chain(&l, stranger, mbed_verify, NULL), SC_ERR_AUTH);
	/* a link's signature changed: refused from any pin before it */
	l.e[2].sig[l.e[2].sig_len - 1] ^= 1;
	assert_int_equal(sc_keylist_chain(&l, pa.b, mbed_verify, NULL), SC_ERR_AUTH);
	assert_int_equal(sc_keylist_chain(&l, pb.b, mbed_verify, NULL), SC_ERR_AUTH);
	assert_int_equal(sc_keylist_chain(&l, pc.b, mbed_verify, NULL), 2);
	/* a key swapped in under a genuine link: its link no longer matches */
	assert_int_equal(sc_keylist_decode(&l, lv.b, lv.len), 0);
	l.e[2].created++;
	assert_int_equal(sc_keylist_chain(&l, pa.b, mbed_verify, NULL), SC_ERR_AUTH);
	/* links swapped in order: b's link names a as its predecessor */
	assert_int_equal(sc_keylist_decode(&l, lv.b, lv.len), 0);
	{
		struct sc_keylist_entry t = l.e[1];

		l.e[1] = l.e[2];
		l.e[2] = t;
	}
	assert_int_equal(sc_keylist_chain(&l, pa.b, mbed_verify, NULL), SC_ERR_AUTH);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_ids),
		cmocka_unit_test(receipt_v4),
		cmocka_unit_test(keylist_codec),
		cmocka_unit_test(keylist_chain),
	};
	return RUN_TESTS("receipt seal keys", tests, argc, argv);
}
