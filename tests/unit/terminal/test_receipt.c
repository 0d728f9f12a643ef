/* The server's receipt key (PEM or hex point, P-256 only, never a private
 * key) and the receipt seal check, against keys and seals made here with
 * OpenSSL and common/seal.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/keylist.h"
#include "terminal/terminal.h"
#include "seal_maker.h"
#include "tests/support/doc_vector.h"

struct fixture {
	char dir[64];
	char pem[128];
	EVP_PKEY *key;
	uint8_t batch[5][SC_RECEIPT_MAX]; /* sealed together; the fixture's is batch[3] */
	uint8_t receipt[SC_RECEIPT_V2_LEN];
	uint8_t sig[SC_SEAL_MAX];         /* its seal */
	size_t sig_len;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/sc-term-rcpt.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->pem, sizeof fx->pem, "%s/receipt.pub", fx->dir);
	fx->key = EVP_EC_gen("P-256");
	FILE *f = fopen(fx->pem, "w");
	if (fx->key == NULL || f == NULL || !PEM_write_PUBKEY(f, fx->key))
		return -1;
	fclose(f);
	for (size_t k = 0; k < 5; k++)
		for (size_t i = 0; i < SC_RECEIPT_V2_LEN; i++)
			fx->batch[k][i] = (uint8_t)(i * 7u + k);
	memcpy(fx->receipt, fx->batch[3], sizeof fx->receipt);
	int n = seal_make(fx->key, (const uint8_t(*)[SC_RECEIPT_MAX])fx->batch, SC_RECEIPT_V2_LEN, 5, 3,
			  fx->sig);
	if (n < 0)
		return -1;
	fx->sig_len = (size_t)n;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];
	EVP_PKEY_free(fx->key);
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void good_receipt_verifies(void **state)
{
	struct fixture *fx = *state;
	EVP_PKEY *k;
	char err[TERM_ERR_MAX];
	assert_int_equal(term_receipt_key_load(&k, fx->pem, err, sizeof err), 0);
	assert_int_equal(term_receipt_verify(k, fx->receipt, sizeof fx->receipt, fx->sig,
					     fx->sig_len, err, sizeof err), 0);
	EVP_PKEY_free(k);
}

static void any_changed_byte_fails(void **state)
{
	struct fixture *fx = *state;
	EVP_PKEY *k;
	char err[TERM_ERR_MAX];
	assert_int_equal(term_receipt_key_load(&k, fx->pem, err, sizeof err), 0);
	for (size_t i = 0; i < sizeof fx->receipt; i++) {
		uint8_t r[76];
		memcpy(r, fx->receipt, sizeof r);
		r[i] ^= 0x01;
		assert_int_equal(term_receipt_verify(k, r, sizeof r, fx->sig, fx->sig_len, err,
						     sizeof err), -TERM_EXIT_BAD_RECEIPT);
	}
	/* every byte of the seal matters too: a path byte, a side, the signature */
	for (size_t i = 0; i < fx->sig_len; i++) {
		uint8_t seal[SC_SEAL_MAX];
		memcpy(seal, fx->sig, fx->sig_len);
		seal[i] ^= i == 0 ? 0x40 : 0x01;
		assert_int_equal(term_receipt_verify(k, fx->receipt, sizeof fx->receipt, seal,
						     fx->sig_len, err, sizeof err),
				 -TERM_EXIT_BAD_RECEIPT);
	}
	uint8_t seal[SC_SEAL_MAX];
	memcpy(seal, fx->sig, fx->sig_len);
	seal[fx->sig_len - 1] ^= 0x80;
	assert_int_equal(term_receipt_verify(k, fx->receipt, sizeof fx->receipt, seal, fx->sig_len,
					     err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	assert_non_null(strstr(err, "does not verify"));
	/* another receipt of the same batch with this one's seal */
	assert_int_equal(term_receipt_verify(k, fx->batch[2], SC_RECEIPT_V2_LEN, fx->sig, fx->sig_len,
					     err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	EVP_PKEY_free(k);
}

static void another_servers_key_fails(void **state)
{
	struct fixture *fx = *state;
	EVP_PKEY *other = EVP_EC_gen("P-256");
	char err[TERM_ERR_MAX];
	assert_int_equal(term_receipt_verify(other, fx->receipt, sizeof fx->receipt, fx->sig,
					     fx->sig_len, err, sizeof err), -TERM_EXIT_BAD_RECEIPT);
	EVP_PKEY_free(other);
}

static void hex_point_file_works(void **state)
{
	struct fixture *fx = *state;
	uint8_t point[65];
	size_t n = 0;
	char hex[200], path[160], err[TERM_ERR_MAX];
	EVP_PKEY *k;
	assert_int_equal(EVP_PKEY_get_octet_string_param(fx->key, OSSL_PKEY_PARAM_PUB_KEY, point,
							 sizeof point, &n), 1);
	assert_int_equal(n, 65);
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", point[i]);
	strcat(hex, "\n");
	snprintf(path, sizeof path, "%s/receipt.hex", fx->dir);
	write_file(path, hex);
	assert_int_equal(term_receipt_key_load(&k, path, err, sizeof err), 0);
	assert_int_equal(term_receipt_verify(k, fx->receipt, sizeof fx->receipt, fx->sig,
					     fx->sig_len, err, sizeof err), 0);
	EVP_PKEY_free(k);
	/* the point must be on the curve */
	point[64] ^= 1;
	assert_int_equal(term_receipt_key_from_point(&k, point, 65, err, sizeof err),
			 -TERM_EXIT_FAILURE);
	assert_null(k);
}

static void unusable_key_files(void **state)
{
	struct fixture *fx = *state;
	char path[160], err[TERM_ERR_MAX];
	EVP_PKEY *k;
	assert_int_equal(term_receipt_key_load(&k, "/nonexistent/receipt.pem", err, sizeof err),
			 -TERM_EXIT_FAILURE);
	assert_non_null(strstr(err, "No such file"));

	snprintf(path, sizeof path, "%s/private.pem", fx->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, fx->key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	assert_int_equal(term_receipt_key_load(&k, path, err, sizeof err), -TERM_EXIT_FAILURE);
	assert_non_null(strstr(err, "private key"));

	snprintf(path, sizeof path, "%s/p384.pem", fx->dir);
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, p384), 1);
	fclose(f);
	EVP_PKEY_free(p384);
	assert_int_equal(term_receipt_key_load(&k, path, err, sizeof err), -TERM_EXIT_FAILURE);
	assert_non_null(strstr(err, "not a P-256"));

	snprintf(path, sizeof path, "%s/junk", fx->dir);
	write_file(path, "hello\n");
	assert_int_equal(term_receipt_key_load(&k, path, err, sizeof err), -TERM_EXIT_FAILURE);
	assert_null(k);
}


/* --- receipt keys that change (docs/PROTOCOL.md §6 "Receipt keys") ----- */

struct vbuf {
	uint8_t b[SC_RECEIPT_KEYS_MSG_MAX];
	size_t len;
};

static void vec(struct vbuf *v, const char *name)
{
	int n = doc_vector(name, v->b, sizeof v->b);
	if (n < 0)
		fail_msg("vector %s is not in docs/PROTOCOL.md", name);
	v->len = (size_t)n;
}

static EVP_PKEY *pin(const char *point_vector)
{
	struct vbuf p;
	EVP_PKEY *k = NULL;
	char err[TERM_ERR_MAX];
	vec(&p, point_vector);
	assert_int_equal(term_receipt_key_from_point(&k, p.b, p.len, err, sizeof err), 0);
	return k;
}

/* The vectors' list a -> b -> c: a receipt sealed by c verifies at a
 * terminal that pinned a or b, through the list; a key before the pin, a
 * pin outside the list and a tampered link are refused. */
static void later_key_through_the_list(void **state)
{
	struct vbuf lv, r, sl, idc, ida;
	struct sc_keylist l;
	uint8_t id[SC_KEY_ID_LEN];
	char err[TERM_ERR_MAX];
	EVP_PKEY *key = NULL;
	(void)state;
	vec(&lv, "keys.list");
	vec(&r, "submit.receipt.v4");
	vec(&sl, "submit.seal.v4");
	vec(&idc, "keys.id-c");
	vec(&ida, "keys.id-a");
	assert_int_equal(sc_keylist_decode(&l, lv.b, lv.len), 0);
	assert_int_equal(term_receipt_names_key(r.b, r.len, id), 1);
	assert_memory_equal(id, idc.b, SC_KEY_ID_LEN);

	const char *pins[] = {"keys.point-a", "keys.point-b", "keys.point-c"};
	for (size_t i = 0; i < 3; i++) {
		EVP_PKEY *p = pin(pins[i]);
		assert_int_equal(term_receipt_key_from_list(&key, p, &l, id, err, sizeof err), 0);
		assert_int_equal(term_receipt_verify(key, r.b, r.len, sl.b, sl.len, err, sizeof err), 0);
		/* the pinned key itself does not verify c's seal */
		assert_int_equal(term_receipt_verify(p, r.b, r.len, sl.b, sl.len, err, sizeof err),
				 i == 2 ? 0 : -TERM_EXIT_BAD_RECEIPT);
		EVP_PKEY_free(key);
		EVP_PKEY_free(p);
	}

	EVP_PKEY *pb = pin("keys.point-b");
	assert_int_equal(term_receipt_key_from_list(&key, pb, &l, ida.b, err, sizeof err),
			 -TERM_EXIT_BAD_RECEIPT);
	assert_null(key);
	assert_non_null(strstr(err, "neither the pinned key nor a later one"));

	struct fixture *fx = *state;
	assert_int_equal(term_receipt_key_from_list(&key, fx->key, &l, id, err, sizeof err),
			 -TERM_EXIT_BAD_RECEIPT);
	assert_non_null(strstr(err, "does not chain to the pinned key"));

	l.e[2].sig[5] ^= 0x01;
	assert_int_equal(term_receipt_key_from_list(&key, pb, &l, id, err, sizeof err),
			 -TERM_EXIT_BAD_RECEIPT);
	assert_non_null(strstr(err, "does not chain to the pinned key"));
	assert_null(key);
	EVP_PKEY_free(pb);
}

/* A version-3 receipt (before keys could change) names no key: the
 * terminal checks it with the key it pinned, as before. */
static void v3_receipt_with_the_pinned_key(void **state)
{
	struct fixture *fx = *state;
	struct vbuf v3;
	uint8_t batch[1][SC_RECEIPT_MAX], seal[SC_SEAL_MAX], id[SC_KEY_ID_LEN];
	char err[TERM_ERR_MAX];
	vec(&v3, "submit.receipt.v3");
	memcpy(batch[0], v3.b, v3.len);
	int n = seal_make(fx->key, (const uint8_t(*)[SC_RECEIPT_MAX])batch, v3.len, 1, 0, seal);
	assert_true(n > 0);
	assert_int_equal(term_receipt_names_key(v3.b, v3.len, id), 0);
	assert_int_equal(term_receipt_verify(fx->key, v3.b, v3.len, seal, (size_t)n, err, sizeof err),
			 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(good_receipt_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(any_changed_byte_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(another_servers_key_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(hex_point_file_works, setup, teardown),
		cmocka_unit_test_setup_teardown(unusable_key_files, setup, teardown),
		cmocka_unit_test_setup_teardown(later_key_through_the_list, setup, teardown),
		cmocka_unit_test_setup_teardown(v3_receipt_with_the_pinned_key, setup, teardown),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("terminal receipt", tests, NULL, NULL);
}
