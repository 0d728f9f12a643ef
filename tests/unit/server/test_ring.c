/* The receipt key ring (server/keys.c): rotation keeps every key, each new
 * one signed by the one before; a stored receipt's seal is checked with
 * the key it names (version 4) or the first key (versions 2 and 3); a
 * ring whose list was changed is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "common/seal.h"
#include "server/server.h"

struct ring_fx {
	char dir[64];
	struct srv_config cfg;
};

static int setup(void **state)
{
	struct ring_fx *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/sc-ring.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	srv_config_defaults(&f->cfg);
	snprintf(f->cfg.data_dir, sizeof(f->cfg.data_dir), "%s", f->dir);
	srv_config_paths(&f->cfg);
	if (srv_receipt_key_create(f->cfg.receipt_key_path, err, sizeof(err)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct ring_fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A receipt of version (3 or 4) naming key_id, sealed alone by key. */
static size_t sealed(EVP_PKEY *key, int version, const uint8_t key_id[SC_KEY_ID_LEN],
		     uint8_t receipt[SC_RECEIPT_MAX], uint8_t seal[SC_SEAL_MAX], size_t *seal_len)
{
	struct sc_receipt r;
	struct sc_seal s;
	uint8_t nodes[SC_SEAL_NODES(1)][SC_HASH_LEN], root[SC_HASH_LEN];
	uint8_t statement[SC_SEAL_STATEMENT_LEN], sig[SC_ECDSA_DER_MAX];
	int n, sn;

	memset(&r, 0, sizeof(r));
	r.version = (uint8_t)version;
	r.transfer_id = 7;
	r.counter = 9;
	r.currency = 978;
	memcpy(r.key_id, key_id, SC_KEY_ID_LEN);
	n = sc_receipt_encode(receipt, SC_RECEIPT_MAX, &r);
	assert_true(n > 0);
	assert_int_equal(sc_seal_leaf(receipt, (size_t)n, nodes[0]), 0);
	assert_int_equal(sc_seal_tree(nodes, 1, SC_SEAL_NODES(1), root), 0);
	assert_int_equal(sc_seal_statement(root, statement), 0);
	assert_int_equal(sc_seal_path((const uint8_t(*)[SC_HASH_LEN])nodes, 1, 0, &s), 0);
	sn = srv_ecdsa_sign(key, statement, sizeof(statement), sig);
	assert_true(sn > 0);
	s.sig = sig;
	s.sig_len = (size_t)sn;
	sn = sc_seal_encode(seal, SC_SEAL_MAX, &s);
	assert_true(sn > 0);
	*seal_len = (size_t)sn;
	return (size_t)n;
}

static void rotation_keeps_every_key(void **state)
{
	struct ring_fx *f = *state;
	struct srv_ring r;
	char err[512];
	uint8_t rec[SC_RECEIPT_MAX], seal[SC_SEAL_MAX], first_id[SC_KEY_ID_LEN];
	size_t idx, len, slen;
	EVP_PKEY *k0, *k1;

	assert_int_equal(srv_ring_load(&r, &f->cfg, err, sizeof(err)), 0);
	assert_int_equal(r.list.n, 1);
	memcpy(first_id, r.id[0], SC_KEY_ID_LEN);
	assert_non_null(k0 = srv_ring_private(&r, &f->cfg, 0, err, sizeof(err)));
	srv_ring_free(&r);

	assert_int_equal(srv_ring_rotate(&f->cfg, 1769904000, &idx, err, sizeof(err)), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(srv_ring_load(&r, &f->cfg, err, sizeof(err)), 0);
	assert_int_equal(r.list.n, 2);
	assert_memory_equal(r.id[0], first_id, SC_KEY_ID_LEN);
	assert_int_equal(r.list.e[1].created, 1769904000);
	assert_non_null(k1 = srv_ring_private(&r, &f->cfg, 1, err, sizeof(err)));

	/* sealed before (v3 by the first key; v4 naming it) and after (v4 by
	 * the new key): all verify */
	len = sealed(k0, 3, first_id, rec, seal, &slen);
	assert_int_equal(srv_ring_seal_verify(&r, rec, len, seal, slen, err, sizeof(err)), 0);
	len = sealed(k0, 4, first_id, rec, seal, &slen);
	assert_int_equal(srv_ring_seal_verify(&r, rec, len, seal, slen, err, sizeof(err)), 0);
	len = sealed(k1, 4, r.id[1], rec, seal, &slen);
	assert_int_equal(srv_ring_seal_verify(&r, rec, len, seal, slen, err, sizeof(err)), 0);
	/* the new key's seal under the old key's name, or a v3 (first key) */
	len = sealed(k1, 4, first_id, rec, seal, &slen);
	assert_int_equal(srv_ring_seal_verify(&r, rec, len, seal, slen, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not verify with receipt key"));
	len = sealed(k1, 3, first_id, rec, seal, &slen);
	assert_int_equal(srv_ring_seal_verify(&r, rec, len, seal, slen, err, sizeof(err)), -1);
	/* a key id the ring does not hold */
	{
		uint8_t stranger[SC_KEY_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};

		len = sealed(k1, 4, stranger, rec, seal, &slen);
	}
	assert_int_equal(srv_ring_seal_verify(&r, rec, len, seal, slen, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not in the ring"));
	EVP_PKEY_free(k0);
	EVP_PKEY_free(k1);
	srv_ring_free(&r);
}

static void changed_list_is_refused(void **state)
{
	struct ring_fx *f = *state;
	struct srv_ring r;
	char err[512], list[600];
	uint8_t b[SC_KEYLIST_ENC_MAX];
	size_t idx, n;
	FILE *fp;

	assert_int_equal(srv_ring_rotate(&f->cfg, 1, &idx, err, sizeof(err)), 0);
	assert_int_equal(srv_ring_rotate(&f->cfg, 2, &idx, err, sizeof(err)), 0);
	assert_int_equal(idx, 2);
	snprintf(list, sizeof(list), "%s/%s", f->cfg.receipt_ring_dir, SRV_RING_LIST);
	assert_non_null(fp = fopen(list, "r+b"));
	n = fread(b, 1, sizeof(b), fp);
	/* the last byte of the last link's signature */
	b[n - 1] ^= 1;
	rewind(fp);
	assert_int_equal(fwrite(b, 1, n, fp), n);
	fclose(fp);
	assert_int_equal(srv_ring_load(&r, &f->cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not signed by the key before it"));
	/* nor does a rotation go on from a ring that does not load */
	assert_int_equal(srv_ring_rotate(&f->cfg, 3, &idx, err, sizeof(err)), -1);
	/* another first key: the list no longer starts with receipt.key */
	assert_int_equal(unlink(f->cfg.receipt_key_path), 0);
	assert_int_equal(srv_receipt_key_create(f->cfg.receipt_key_path, err, sizeof(err)), 0);
	assert_int_equal(srv_ring_load(&r, &f->cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not start with the key of"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rotation_keeps_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_list_is_refused, setup, teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("receipt key ring", tests, NULL, NULL);
}
