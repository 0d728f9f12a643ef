/* Checks the common/ code against the hex vectors of docs/PROTOCOL.md
 * sections 1-4, read from the file at run time so that the document and the
 * code cannot drift apart. The file is $SC_TOP/docs/PROTOCOL.md
 * (scripts/run-tests.sh sets SC_TOP), else docs/PROTOCOL.md from the
 * current directory. Also the applet vectors of §5.7 (common/applet.h).
 * Vector syntax, inside ``` fences:
 *     vector NAME [key=value ...]
 *     hex digits, on as many lines as needed */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common_test.h"
#include "common/apdu.h"
#include "common/applet.h"
#include "common/errors.h"
#include "common/frame.h"
#include "common/hex.h"
#include "common/keywrap.h"
#include "common/scheme.h"
#include "common/tx.h"
#include "mbedtls/aes.h"

#define MAX_VECTORS 512
#define MAX_BYTES 2048
#define MAX_ATTRS 160

struct vector {
	int section;           /* the "## N." section of the doc it is in */
	char name[64];
	char attrs[MAX_ATTRS];
	uint8_t bytes[MAX_BYTES];
	size_t len;
};

static struct vector vectors[MAX_VECTORS];
static size_t n_vectors;

static int is_hex_line(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("0123456789abcdefABCDEF \t", *s))
			return 0;
	return 1;
}

/* Appends the hex digits of line to v. */
static void append_hex(struct vector *v, const char *line)
{
	char digits[2 * MAX_BYTES + 1];
	size_t n = 0;
	int got;

	for (; *line; line++)
		if (*line != ' ' && *line != '\t') {
			if (n + 1 >= sizeof(digits))
				fail_msg("vector %s too long", v->name);
			digits[n++] = *line;
		}
	digits[n] = '\0';
	got = sc_hex_decode(v->bytes + v->len, MAX_BYTES - v->len, digits);
	if (got < 0)
		fail_msg("vector %s: bad hex line (%s)", v->name, sc_strerror(got));
	v->len += (size_t)got;
}

/* $SC_TOP/docs/PROTOCOL.md, else the source tree's, found from this
 * file's path as the compiler saw it (relative to the top when built by
 * the Makefile). */
static FILE *open_doc(char *path, size_t cap)
{
	const char *top = getenv("SC_TOP");
	const char *self = __FILE__, *tail = strstr(self, "tests/unit/common/");
	FILE *f;

	if (top && *top) {
		snprintf(path, cap, "%s/docs/PROTOCOL.md", top);
		return fopen(path, "r");
	}
	snprintf(path, cap, "%.*sdocs/PROTOCOL.md", tail ? (int)(tail - self) : 0, self);
	f = fopen(path, "r");
	if (!f) {
		snprintf(path, cap, "docs/PROTOCOL.md");
		f = fopen(path, "r");
	}
	return f;
}

static void load_vectors(void)
{
	static char text[1 << 20];
	char path[4096];
	struct vector *cur = NULL;
	int in_fence = 0, section = 0;
	size_t n;
	FILE *f = open_doc(path, sizeof(path));

	if (!f)
		fail_msg("cannot open %s (set SC_TOP to the source tree)", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	n_vectors = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!in_fence && strncmp(line, "## ", 3) == 0) {
			section = atoi(line + 3);
		} else if (strncmp(line, "```", 3) == 0) {
			in_fence = !in_fence;
			cur = NULL;
		} else if (in_fence && strncmp(line, "vector ", 7) == 0) {
			char *name = line + 7, *sp = strchr(name, ' ');

			if (n_vectors == MAX_VECTORS)
				fail_msg("more than %d vectors", MAX_VECTORS);
			cur = &vectors[n_vectors++];
			memset(cur, 0, sizeof(*cur));
			cur->section = section;
			if (sp)
				*sp++ = '\0';
			snprintf(cur->name, sizeof(cur->name), "%s", name);
			snprintf(cur->attrs, sizeof(cur->attrs), " %s ", sp ? sp : "");
		} else if (in_fence && cur && is_hex_line(line)) {
			append_hex(cur, line);
		} else if (in_fence && *line) {
			fail_msg("%s: unexpected line in a vector block: %s", path, line);
		}
	}
}

static int setup(void **state)
{
	(void)state;
	load_vectors();
	return n_vectors > 0 ? 0 : -1;
}

static const struct vector *find(const char *name)
{
	for (size_t i = 0; i < n_vectors; i++)
		if (strcmp(vectors[i].name, name) == 0)
			return &vectors[i];
	fail_msg("docs/PROTOCOL.md has no vector %s", name);
	return NULL;
}

static int has_prefix(const struct vector *v, const char *prefix)
{
	return strncmp(v->name, prefix, strlen(prefix)) == 0;
}

/* The value of attribute key as text, or NULL. */
static const char *attr(const struct vector *v, const char *key, char *out, size_t cap)
{
	char pat[32];
	const char *at, *end;

	snprintf(pat, sizeof(pat), " %s=", key);
	at = strstr(v->attrs, pat);
	if (!at)
		return NULL;
	at += strlen(pat);
	end = strchr(at, ' ');
	if ((size_t)(end - at) >= cap)
		return NULL;
	memcpy(out, at, (size_t)(end - at));
	out[end - at] = '\0';
	return out;
}

static unsigned long num_attr(const struct vector *v, const char *key, int base)
{
	char text[32], *end;
	unsigned long n;

	if (!attr(v, key, text, sizeof(text)))
		fail_msg("vector %s lacks %s=", v->name, key);
	n = strtoul(text, &end, base);
	if (*end)
		fail_msg("vector %s: bad %s=%s", v->name, key, text);
	return n;
}

/* The SC_ERR_ code named by err= (without its prefix). */
static int err_attr(const struct vector *v)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = {
		{ "TRUNCATED", SC_ERR_TRUNCATED },     { "OVERFLOW", SC_ERR_OVERFLOW },
		{ "TRAILING", SC_ERR_TRAILING },       { "LENGTH", SC_ERR_LENGTH },
		{ "NONCANONICAL", SC_ERR_NONCANONICAL }, { "BAD_VALUE", SC_ERR_BAD_VALUE },
		{ "BAD_TAG", SC_ERR_BAD_TAG },         { "BAD_UTF8", SC_ERR_BAD_UTF8 },
		{ "BAD_APDU", SC_ERR_BAD_APDU },       { "FRAME_SIZE", SC_ERR_FRAME_SIZE },
		{ "BAD_VERSION", SC_ERR_BAD_VERSION }, { "CRYPTO", SC_ERR_CRYPTO },
		{ "ARG", SC_ERR_ARG },                 { "AUTH", SC_ERR_AUTH },
	};
	char text[32];

	if (!attr(v, "err", text, sizeof(text)))
		fail_msg("vector %s lacks err=", v->name);
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (strcmp(errs[i].name, text) == 0)
			return errs[i].err;
	fail_msg("vector %s: unknown error %s", v->name, text);
	return 0;
}

static void every_vector_is_checked(void **state)
{
	static const char *prefixes[] = { "frame.", "apdu.", "tx.", "kcard.", "scheme.", "x.",
					  "signed.", "kcard2." };

	(void)state;
	/* Sections 1-4 hold vectors of each kind... */
	assert_true(n_vectors >= 40);
	/* ...and every one of theirs belongs to a test below (later sections'
	 * vectors are checked by their parts' tests). */
	for (size_t i = 0; i < n_vectors; i++) {
		int known = 0;

		for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++)
			known |= has_prefix(&vectors[i], prefixes[k]);
		if (vectors[i].section >= 1 && vectors[i].section <= 4 && !known)
			fail_msg("vector %s has no checker", vectors[i].name);
		if (vectors[i].len == 0)
			fail_msg("vector %s is empty", vectors[i].name);
	}
}

/* Decodes the stream fed in pieces of `piece` bytes (0 = all at once) and
 * checks each body against frame.body.N. Returns the number of frames. */
static size_t decode_stream(const struct vector *s, size_t piece)
{
	uint8_t body[SC_FRAME_MAX_BODY];
	struct sc_frame_dec d;
	size_t pos = 0, frames = 0;

	sc_frame_dec_init(&d, body, sizeof(body));
	while (pos < s->len) {
		size_t n = piece && piece < s->len - pos ? piece : s->len - pos, blen;
		int used = sc_frame_dec_feed(&d, s->bytes + pos, n, &blen);

		assert_true(used > 0);
		pos += (size_t)used;
		if (blen) {
			char name[32];
			const struct vector *want;

			snprintf(name, sizeof(name), "frame.body.%zu", ++frames);
			want = find(name);
			assert_int_equal(blen, want->len);
			assert_memory_equal(body, want->bytes, blen);
		}
	}
	assert_int_equal(d.in_body, 0);
	return frames;
}

static void frame_vectors(void **state)
{
	const struct vector *s = find("frame.stream");
	uint8_t again[MAX_BYTES];
	size_t bodies = 0, len = 0;

	(void)state;
	for (size_t i = 0; i < n_vectors; i++)
		bodies += has_prefix(&vectors[i], "frame.body.");
	assert_true(bodies >= 2);
	for (size_t piece = 0; piece <= s->len; piece++)
		assert_int_equal(decode_stream(s, piece), bodies);
	/* Encoding the bodies gives back the stream. */
	for (size_t i = 1; i <= bodies; i++) {
		char name[32];
		const struct vector *b;
		int n;

		snprintf(name, sizeof(name), "frame.body.%zu", i);
		b = find(name);
		n = sc_frame_encode(again + len, sizeof(again) - len, b->bytes, b->len);
		assert_true(n > 0);
		len += (size_t)n;
	}
	assert_int_equal(len, s->len);
	assert_memory_equal(again, s->bytes, len);
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		uint8_t body[64];
		struct sc_frame_dec d;
		size_t blen;

		if (!has_prefix(v, "frame.bad."))
			continue;
		sc_frame_dec_init(&d, body, sizeof(body));
		assert_int_equal(sc_frame_dec_feed(&d, v->bytes, v->len, &blen), err_attr(v));
	}
}

static void apdu_vectors(void **state)
{
	size_t good = 0, bad = 0;

	(void)state;
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		struct sc_apdu a;
		uint8_t built[MAX_BYTES];
		int rc, n;

		if (!has_prefix(v, "apdu."))
			continue;
		rc = sc_apdu_parse(&a, v->bytes, v->len);
		if (has_prefix(v, "apdu.bad.")) {
			if (rc != err_attr(v))
				fail_msg("%s: got %s", v->name, sc_strerror(rc));
			bad++;
			continue;
		}
		if (rc != SC_OK)
			fail_msg("%s: %s", v->name, sc_strerror(rc));
		assert_int_equal(a.kase, num_attr(v, "case", 10));
		assert_int_equal(a.extended, num_attr(v, "ext", 10));
		assert_int_equal(a.cla, num_attr(v, "cla", 16));
		assert_int_equal(a.ins, num_attr(v, "ins", 16));
		assert_int_equal(a.p1, num_attr(v, "p1", 16));
		assert_int_equal(a.p2, num_attr(v, "p2", 16));
		assert_int_equal(a.lc, num_attr(v, "lc", 10));
		assert_int_equal(a.le, num_attr(v, "le", 10));
		n = sc_apdu_build(built, sizeof(built), a.cla, a.ins, a.p1, a.p2, a.data, a.lc,
				  a.le);
		assert_int_equal(n, v->len);
		assert_memory_equal(built, v->bytes, v->len);
		good++;
	}
	/* Each case in each form it has, and the malformed ones. */
	assert_true(good >= 7);
	assert_true(bad >= 5);
}

static void tx_vectors(void **state)
{
	const struct vector *enc = find("tx.sample"), *hash = find("tx.sample.sha256");
	struct sc_tx want, got;
	uint8_t out[SC_TX_MAX_LEN], h[SC_HASH_LEN];
	size_t bad = 0;

	(void)state;
	sample_tx(&want);
	assert_int_equal(sc_tx_encode(&want, out, sizeof(out)), enc->len);
	assert_memory_equal(out, enc->bytes, enc->len);
	assert_int_equal(sc_tx_decode(&got, enc->bytes, enc->len), SC_OK);
	assert_memory_equal(&got, &want, sizeof(got));
	assert_int_equal(sc_tx_hash(enc->bytes, enc->len, h), SC_OK);
	assert_int_equal(hash->len, SC_HASH_LEN);
	assert_memory_equal(h, hash->bytes, SC_HASH_LEN);
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		int rc;

		if (!has_prefix(v, "tx.bad."))
			continue;
		rc = sc_tx_decode(&got, v->bytes, v->len);
		if (rc != err_attr(v))
			fail_msg("%s: got %s", v->name, sc_strerror(rc));
		bad++;
	}
	assert_true(bad >= 10);
}

static void kcard_vector(void **state)
{
	const struct vector *m = find("kcard.master"), *id = find("kcard.card_id");
	const struct vector *k = find("kcard.k");
	uint8_t got[SC_KCARD_LEN];

	(void)state;
	assert_int_equal(m->len, SC_MASTER_KEY_LEN);
	assert_int_equal(id->len, SC_CARD_ID_LEN);
	assert_int_equal(k->len, SC_KCARD_LEN);
	assert_int_equal(sc_kcard_derive(m->bytes, id->bytes, got), SC_OK);
	assert_memory_equal(got, k->bytes, SC_KCARD_LEN);
}

/* Derivation v2's card data and, with AES-256-ECB computed here by
 * mbedTLS (the token does it in the server: tests/unit/server/test_token.c
 * checks kcard2.x.*, kcard2.wrapped and kcard2.unblock.mac there), K_card
 * and what the card seals with it. */
static void kcard2_vectors(void **state)
{
	const struct vector *m = find("kcard2.master"), *id = find("kcard2.card_id");
	const struct vector *d = find("kcard2.data"), *k = find("kcard2.k");
	const struct vector *xe = find("kcard2.x.enc"), *xd = find("kcard2.x.enc-digest");
	uint8_t data[SC_KCARD_V2_DATA_LEN], got[SC_KCARD_LEN], x[SC_X_MAX];
	mbedtls_aes_context aes;

	(void)state;
	assert_int_equal(id->len, SC_CARD_ID_LEN);
	assert_int_equal(d->len, SC_KCARD_V2_DATA_LEN);
	sc_kcard_v2_data(id->bytes, data);
	assert_memory_equal(data, d->bytes, sizeof(data));
	assert_int_equal(m->len, SC_MASTER_KEY_LEN);
	assert_int_equal(k->len, SC_KCARD_LEN);
	mbedtls_aes_init(&aes);
	assert_int_equal(mbedtls_aes_setkey_enc(&aes, m->bytes, 256), 0);
	assert_int_equal(mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, data, got), 0);
	assert_int_equal(mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, data + 16, got + 16), 0);
	mbedtls_aes_free(&aes);
	assert_memory_equal(got, k->bytes, SC_KCARD_LEN);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC, got, "12345678", NULL, x), SC_OK);
	assert_memory_equal(x, xe->bytes, 16);
	assert_int_equal(sc_jp_seal(SC_SCHEME_ENC_DIGEST, got, "12345678", NULL, x), SC_OK);
	assert_memory_equal(x, xd->bytes, 32);
}

static void scheme_vectors(void **state)
{
	const struct vector *k = find("scheme.k"), *r = find("scheme.r");
	const struct vector *id = find("kcard.card_id"), *enc = find("tx.sample");
	const struct vector *hash = find("tx.sample.sha256");
	size_t checked = 0;
	struct sc_tx tx;

	(void)state;
	assert_int_equal(k->len, SC_KCARD_LEN);
	assert_int_equal(r->len, 8);
	assert_int_equal(sc_tx_decode(&tx, enc->bytes, enc->len), SC_OK);
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *x = &vectors[i], *sd;
		char jp[16], sd_name[64];
		uint8_t got[SC_X_MAX], data[SC_SIGNED_DATA_MAX];
		int scheme, n;

		if (!has_prefix(x, "x."))
			continue;
		scheme = sc_scheme_parse(x->name + 2);
		assert_true(scheme > 0);
		assert_int_equal(x->len, sc_scheme_x_len((uint8_t)scheme));
		assert_non_null(attr(x, "jp", jp, sizeof(jp)));
		assert_int_equal(strlen(jp), SC_JP_DIGITS);
		assert_int_equal(sc_jp_seal((uint8_t)scheme, k->bytes, jp, r->bytes, got), SC_OK);
		assert_memory_equal(got, x->bytes, x->len);
		assert_int_equal(sc_jp_check((uint8_t)scheme, k->bytes, jp, x->bytes, x->len),
				 SC_OK);
		snprintf(sd_name, sizeof(sd_name), "signed.%s", x->name + 2);
		sd = find(sd_name);
		n = sc_signed_data_build(data, sizeof(data), (uint8_t)scheme, id->bytes,
					 (uint32_t)num_attr(sd, "atc", 10), tx.challenge,
					 hash->bytes, x->bytes, x->len);
		assert_int_equal(n, sd->len);
		assert_memory_equal(data, sd->bytes, sd->len);
		checked++;
	}
	assert_int_equal(checked, 3);
}

/* §5.7: the applet's bytes as common/applet.h names them, the SIGN
 * response and the QR payload, both ways. */
static void applet_vectors(void **state)
{
	const struct vector *aid = find("applet.aid"), *v;
	uint8_t built[MAX_BYTES];
	struct sc_sign_resp r;
	struct sc_writer w;
	struct sc_qr q;
	char text[SC_QR_MAX + 1], attr_text[32];
	size_t qrs = 0;
	int n;

	(void)state;
	assert_int_equal(aid->len, SC_AID_LEN);
	assert_memory_equal(aid->bytes, sc_applet_aid, SC_AID_LEN);
	v = find("applet.apdu.select");
	n = sc_apdu_build(built, sizeof(built), SC_CLA_ISO, SC_INS_SELECT, SC_P1_SELECT_BY_NAME,
			  SC_P2_SELECT_FCI, sc_applet_aid, SC_AID_LEN, 0);
	assert_int_equal(n, v->len);
	assert_memory_equal(built, v->bytes, v->len);
	v = find("applet.apdu.get_data.atc");
	n = sc_apdu_build(built, sizeof(built), SC_CLA_ISO, SC_INS_GET_DATA, SC_TAG_ATC >> 8,
			  SC_TAG_ATC & 0xFF, NULL, 0, 256);
	assert_int_equal(n, v->len);
	assert_memory_equal(built, v->bytes, v->len);
	v = find("applet.apdu.get_jp");
	n = sc_apdu_build(built, sizeof(built), SC_CLA_PROPRIETARY, SC_INS_GET_JOINT_PASSWORD, 0,
			  0, NULL, 0, SC_JP_DIGITS);
	assert_int_equal(n, v->len);
	assert_memory_equal(built, v->bytes, v->len);
	v = find("applet.apdu.sign.header");
	assert_int_equal(v->len, 4);
	assert_int_equal(v->bytes[0], SC_CLA_PROPRIETARY);
	assert_int_equal(v->bytes[1], SC_INS_SIGN_TRANSACTION);

	v = find("applet.sign");
	assert_int_equal(sc_sign_resp_decode(&r, v->bytes, v->len), SC_OK);
	assert_int_equal(r.atc, num_attr(v, "atc", 10));
	assert_int_equal(r.x_len, find("applet.sign.x")->len);
	assert_memory_equal(r.x, find("applet.sign.x")->bytes, r.x_len);
	assert_int_equal(r.sig_len, find("applet.sign.sig")->len);
	assert_memory_equal(r.sig, find("applet.sign.sig")->bytes, r.sig_len);
	sc_writer_init(&w, built, sizeof(built));
	sc_sign_resp_put(&w, &r);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, v->len);
	assert_memory_equal(built, v->bytes, v->len);

	for (size_t i = 0; i < n_vectors; i++) {
		v = &vectors[i];
		if (strcmp(v->name, "applet.qr") != 0)
			continue;
		assert_int_equal(sc_qr_decode(&q, (const char *)v->bytes, v->len), SC_OK);
		assert_int_equal(q.atc, num_attr(v, "atc", 10));
		assert_non_null(attr(v, "jp", attr_text, sizeof(attr_text)));
		assert_string_equal(q.jp, attr_text);
		assert_non_null(attr(v, "card_id", attr_text, sizeof(attr_text)));
		sc_hex_encode(text, q.card_id, SC_CARD_ID_LEN);
		assert_string_equal(text, attr_text);
		n = sc_qr_encode(text, &q);
		assert_int_equal(n, v->len);
		assert_memory_equal(text, v->bytes, v->len);
		qrs++;
	}
	assert_int_equal(qrs, 3);
}

/* The void QR payloads of §5.7: decoded, re-encoded byte for byte, and
 * refused by the password QR's decoder (an older terminal's). */
/* §5.3: the transport KEK and K_card's wrap, and RFC 3394's own 4.6. */
static void keywrap_vectors(void **state)
{
	const struct vector *rk = find("kw.rfc3394.kek"), *rd = find("kw.rfc3394.data");
	const struct vector *rw = find("kw.rfc3394.wrapped"), *tk = find("kw.tk");
	const struct vector *kek = find("kw.kek"), *k = find("kw.kcard"), *w = find("kw.wrapped");
	const struct vector *apdu = find("kw.apdu.put_kcard"), *other = find("kw.wrapped.other_tk");
	uint8_t got[96], other_tk[16];
	char hex[2 * sizeof other_tk + 1];
	int len;

	(void)state;
	assert_int_equal(sc_aes_kw_wrap(rk->bytes, rk->len, rd->bytes, rd->len, got), SC_OK);
	assert_int_equal(rw->len, rd->len + SC_KW_BLOCK);
	assert_memory_equal(got, rw->bytes, rw->len);
	assert_int_equal(sc_aes_kw_unwrap(rk->bytes, rk->len, rw->bytes, rw->len, got), SC_OK);
	assert_memory_equal(got, rd->bytes, rd->len);

	assert_int_equal(sc_kek_derive(tk->bytes, tk->len, got), SC_OK);
	assert_int_equal(kek->len, SC_KEK_LEN);
	assert_memory_equal(got, kek->bytes, SC_KEK_LEN);
	assert_int_equal(w->len, SC_KCARD_WRAPPED_LEN);
	assert_int_equal(sc_kcard_wrap(tk->bytes, tk->len, k->bytes, got), SC_OK);
	assert_memory_equal(got, w->bytes, SC_KCARD_WRAPPED_LEN);
	assert_int_equal(sc_kcard_unwrap(tk->bytes, tk->len, w->bytes, got), SC_OK);
	assert_memory_equal(got, k->bytes, SC_KCARD_LEN);

	/* The APDU of step 5, as common/apdu.c builds it. */
	len = sc_apdu_build(got, sizeof(got), SC_CLA_PROPRIETARY, SC_INS_PUT_DATA,
			    SC_TAG_KCARD_WRAPPED >> 8, SC_TAG_KCARD_WRAPPED & 0xFF, w->bytes, w->len, 0);
	assert_int_equal(len, (int)apdu->len);
	assert_memory_equal(got, apdu->bytes, apdu->len);

	/* Another card's wrap, and one bit changed: the check refuses both. */
	assert_non_null(attr(other, "tk", hex, sizeof(hex)));
	assert_int_equal(sc_hex_decode(other_tk, sizeof(other_tk), hex), (int)sizeof(other_tk));
	assert_int_equal(sc_kcard_wrap(other_tk, sizeof(other_tk), k->bytes, got), SC_OK);
	assert_memory_equal(got, other->bytes, SC_KCARD_WRAPPED_LEN);
	assert_int_equal(sc_kcard_unwrap(tk->bytes, tk->len, other->bytes, got), SC_ERR_AUTH);
	for (size_t i = 0; i < SC_KCARD_LEN; i++)
		assert_int_equal(got[i], 0);
	memcpy(got + 32, w->bytes, SC_KCARD_WRAPPED_LEN);
	got[32 + 17] ^= 0x01;
	assert_int_equal(sc_kcard_unwrap(tk->bytes, tk->len, got + 32, got), SC_ERR_AUTH);
}

static void void_qr_vectors(void **state)
{
	const struct vector *v;
	struct sc_void_qr q;
	struct sc_qr old;
	char text[SC_VOID_QR_MAX + 1], attr_text[64];
	size_t voids = 0;
	int n;

	(void)state;
	for (size_t i = 0; i < n_vectors; i++) {
		v = &vectors[i];
		if (strcmp(v->name, "applet.void_qr") != 0)
			continue;
		assert_int_equal(sc_void_qr_decode(&q, (const char *)v->bytes, v->len), SC_OK);
		assert_int_equal(q.atc, num_attr(v, "atc", 10));
		assert_non_null(attr(v, "reason", attr_text, sizeof(attr_text)));
		assert_string_equal(sc_void_reason_word(q.reason), attr_text);
		assert_non_null(attr(v, "card_id", attr_text, sizeof(attr_text)));
		sc_hex_encode(text, q.card_id, SC_CARD_ID_LEN);
		assert_string_equal(text, attr_text);
		n = sc_void_qr_encode(text, &q);
		assert_int_equal(n, v->len);
		assert_memory_equal(text, v->bytes, v->len);
		assert_int_equal(sc_qr_decode(&old, (const char *)v->bytes, v->len),
				 SC_ERR_BAD_VALUE);
		voids++;
	}
	assert_int_equal(voids, 3);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_vector_is_checked),
		cmocka_unit_test(frame_vectors),
		cmocka_unit_test(apdu_vectors),
		cmocka_unit_test(tx_vectors),
		cmocka_unit_test(kcard_vector),
		cmocka_unit_test(kcard2_vectors),
		cmocka_unit_test(scheme_vectors),
		cmocka_unit_test(applet_vectors),
		cmocka_unit_test(void_qr_vectors),
		cmocka_unit_test(keywrap_vectors),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("common/vectors (docs/PROTOCOL.md)", tests, setup,
					   NULL);
}
