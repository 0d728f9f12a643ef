/* The issuer's keys in a PKCS#11 token (server/keys_pkcs11.c) against the
 * vectors of docs/PROTOCOL.md §4 "K_card, derivation v2", which
 * tests/vectors/gen_kcard_v2_vectors.py computed apart from the C code and
 * the token: the vectors' master key is imported into a SoftHSM2 token of
 * this test's own (SOFTHSM2_CONF in a temporary folder), and the token's
 * JP checks, its wrap of K_card and its unblock MAC must give the vectors'
 * bytes. The master key made by init cannot be read out, and a wrong PIN
 * is refused by name. */
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
#include "common/issuer_script.h"
#include "server/p11.h"
#include "server/server.h"
#include "tests/support/doc_vector.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define LABEL "sigcard-vectors"     /* the vectors' master key, imported */
#define LABEL_INIT "sigcard-init"   /* what init makes */
#define PIN "161803"

struct tok {
	char dir[64];
	struct srv_config cfg;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int tok_setup(void **state)
{
	struct tok *t = calloc(1, sizeof(*t));
	char path[128], conf[256], cmd[512];

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/sigcard-token.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/tokens", t->dir);
	if (mkdir(path, 0700) != 0)
		return -1;
	snprintf(conf, sizeof(conf), "directories.tokendir = %s\nobjectstore.backend = file\n"
		 "log.level = ERROR\n", path);
	snprintf(path, sizeof(path), "%s/softhsm2.conf", t->dir);
	write_file(path, conf);
	setenv("SOFTHSM2_CONF", path, 1);
	/* Both tokens before the module is first loaded: SoftHSM2 reads its
	 * configuration once a process. */
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free --label %s --pin %s "
			 "--so-pin 27182818 >/dev/null", i ? LABEL_INIT : LABEL, PIN);
		if (system(cmd) != 0)
			return -1;
	}
	srv_config_defaults(&t->cfg);
	snprintf(t->cfg.data_dir, sizeof(t->cfg.data_dir), "%s", t->dir);
	srv_config_paths(&t->cfg);
	snprintf(t->cfg.pkcs11_module, sizeof(t->cfg.pkcs11_module), "%s", MODULE);
	snprintf(t->cfg.token_label, sizeof(t->cfg.token_label), "%s", LABEL);
	snprintf(t->cfg.token_pin_file, sizeof(t->cfg.token_pin_file), "%s/pin", t->dir);
	umask(077);
	write_file(t->cfg.token_pin_file, PIN "\n");
	*state = t;
	return 0;
}

static int tok_teardown(void **state)
{
	struct tok *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

/* The vectors' master key into the token, as init's would be but for
 * its value, which init never knows. */
static void import_master(const struct tok *t)
{
	struct srv_p11 p;
	uint8_t master[SC_MASTER_KEY_LEN];
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &aes, sizeof(aes)},
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_DERIVE, &yes, sizeof(yes)},
		{CKA_LABEL, (void *)SRV_P11_MASTER_LABEL, sizeof(SRV_P11_MASTER_LABEL) - 1},
		{CKA_VALUE, master, sizeof(master)},
	};
	CK_OBJECT_HANDLE o;
	CK_SESSION_HANDLE h;
	char err[256];

	assert_int_equal(doc_vector("kcard2.master", master, sizeof(master)), (int)sizeof(master));
	assert_int_equal(srv_p11_open(&p, MODULE, LABEL, t->cfg.token_pin_file, err, sizeof(err)),
			 0);
	h = srv_p11_session(&p);
	assert_true(h != CK_INVALID_HANDLE);
	assert_int_equal(p.f->C_CreateObject(h, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &o), CKR_OK);
	srv_p11_release(&p, h);
	srv_p11_close(&p);
}

static void jp_checks_wrap_and_mac_match_the_vectors(void **state)
{
	struct tok *t = *state;
	static const struct {
		const char *name;
		uint8_t scheme;
		size_t len;
	} x[] = {
		{"kcard2.x.enc", SC_SCHEME_ENC, 16},
		{"kcard2.x.enc-rand", SC_SCHEME_ENC_RAND, 16},
		{"kcard2.x.enc-digest", SC_SCHEME_ENC_DIGEST, 32},
	};
	uint8_t id[SC_CARD_ID_LEN], tk[SC_TRANSPORT_KEY_LEN], want[SC_KCARD_WRAPPED_LEN];
	uint8_t got[SC_KCARD_WRAPPED_LEN], mac[32], want_mac[32], xb[32];
	struct sc_script_ref r;
	struct srv_keys *k;
	char err[256];

	import_master(t);
	assert_int_equal(doc_vector("kcard2.card_id", id, sizeof(id)), (int)sizeof(id));
	k = srv_keys_open(&t->cfg, NULL, SRV_KEYS_MASTER, err, sizeof(err));
	assert_non_null(k);
	assert_int_equal(k->derivation, SRV_KDF_V2);
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		assert_int_equal(doc_vector(x[i].name, xb, sizeof(xb)), (int)x[i].len);
		assert_int_equal(k->ops->jp_check(k, id, x[i].scheme, "12345678", xb, x[i].len), 1);
		/* another JP, another card, an altered X: each refused */
		assert_int_equal(k->ops->jp_check(k, id, x[i].scheme, "12345679", xb, x[i].len), 0);
		id[7] ^= 1;
		assert_int_equal(k->ops->jp_check(k, id, x[i].scheme, "12345678", xb, x[i].len), 0);
		id[7] ^= 1;
		xb[x[i].len - 1] ^= 0x80;
		assert_int_equal(k->ops->jp_check(k, id, x[i].scheme, "12345678", xb, x[i].len), 0);
	}
	memcpy(tk, "SIGCARD-TEST-TK1", sizeof(tk));
	assert_int_equal(doc_vector("kcard2.wrapped", want, sizeof(want)), (int)sizeof(want));
	assert_int_equal(k->ops->kcard_wrap(k, id, tk, got), 0);
	assert_memory_equal(got, want, sizeof(want));
	memcpy(r.card_id, id, SC_CARD_ID_LEN);
	for (uint8_t i = 0; i < SC_CARD_CHALLENGE_LEN; i++)
		r.challenge[i] = i;
	assert_int_equal(doc_vector("kcard2.unblock.mac", want_mac, sizeof(want_mac)), 32);
	assert_int_equal(k->ops->unblock_mac(k, &r, mac), 0);
	assert_memory_equal(mac, want_mac, sizeof(mac));
	srv_keys_close(k);
}

/* init's master key: its value is refused to anyone who asks for it. */
static void init_master_key_cannot_be_read(void **state)
{
	struct tok *t = *state;
	struct srv_p11 p;
	CK_OBJECT_HANDLE o;
	CK_SESSION_HANDLE h;
	CK_BBOOL never = CK_FALSE;
	uint8_t value[64];
	CK_ATTRIBUTE a[] = {{CKA_VALUE, value, sizeof(value)}};
	CK_ATTRIBUTE b[] = {{CKA_NEVER_EXTRACTABLE, &never, sizeof(never)}};
	char err[256];

	snprintf(t->cfg.token_label, sizeof(t->cfg.token_label), "%s", LABEL_INIT);
	assert_int_equal(srv_keys_create(&t->cfg, err, sizeof(err)), 0);
	/* a second init would make a second master key: refused */
	assert_int_equal(srv_keys_create(&t->cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already holds a sigcard master key"));
	assert_int_equal(srv_p11_open(&p, MODULE, LABEL_INIT, t->cfg.token_pin_file, err,
				      sizeof(err)), 0);
	h = srv_p11_session(&p);
	assert_int_equal(srv_p11_find(&p, h, CKO_SECRET_KEY, SRV_P11_MASTER_LABEL, NULL, 0, &o), 1);
	assert_int_equal(p.f->C_GetAttributeValue(h, o, a, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(p.f->C_GetAttributeValue(h, o, b, 1), CKR_OK);
	assert_int_equal(never, CK_TRUE);
	srv_p11_release(&p, h);
	srv_p11_close(&p);
	snprintf(t->cfg.token_label, sizeof(t->cfg.token_label), "%s", LABEL);
}

static void wrong_pin_is_named(void **state)
{
	struct tok *t = *state;
	char err[1024], want[1024];

	write_file(t->cfg.token_pin_file, "000000\n");
	assert_null(srv_keys_open(&t->cfg, NULL, SRV_KEYS_MASTER, err, sizeof(err)));
	snprintf(want, sizeof(want), "token '%s': cannot log in with the PIN in %s: "
		 "CKR_PIN_INCORRECT", LABEL, t->cfg.token_pin_file);
	assert_string_equal(err, want);
	write_file(t->cfg.token_pin_file, PIN "\n");
	snprintf(t->cfg.token_label, sizeof(t->cfg.token_label), "no-such-token");
	assert_null(srv_keys_open(&t->cfg, NULL, SRV_KEYS_MASTER, err, sizeof(err)));
	assert_non_null(strstr(err, "no token labelled 'no-such-token'"));
	snprintf(t->cfg.token_label, sizeof(t->cfg.token_label), "%s", LABEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jp_checks_wrap_and_mac_match_the_vectors),
		cmocka_unit_test(init_master_key_cannot_be_read),
		cmocka_unit_test(wrong_pin_is_named),
	};

	return cmocka_run_group_tests(tests, tok_setup, tok_teardown);
}
