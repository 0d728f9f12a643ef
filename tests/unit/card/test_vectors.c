/* Runs the card vectors of docs/PROTOCOL.md against the core, so the
 * document and the firmware cannot drift apart: the carrier engine's answers
 * to bad frames (section 1), ATRs, issuer MACs and APDU exchanges
 * (section 5). The file is $SC_TOP/docs/PROTOCOL.md (scripts/run-tests.sh
 * sets SC_TOP), else found from this source file's path. Vector syntax,
 * inside ``` fences: "vector NAME [key=value ...]", then hex lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/carrier/engine.h"
#include "card/core/core.h"
#include "card_test.h"
#include "common/hex.h"

#define MAX_VECTORS 64
#define MAX_BYTES 512

struct vector {
	char name[64];
	char attrs[200];
	uint8_t bytes[MAX_BYTES];
	size_t len;
};

static struct vector vectors[MAX_VECTORS];
static size_t n_vectors;

static FILE *open_doc(void)
{
	const char *top = getenv("SC_TOP");
	const char *self = __FILE__, *tail = strstr(self, "tests/unit/card/");
	char path[1024];

	if (top != NULL && *top != '\0')
		snprintf(path, sizeof path, "%s/docs/PROTOCOL.md", top);
	else
		snprintf(path, sizeof path, "%.*sdocs/PROTOCOL.md", tail ? (int)(tail - self) : 0, self);
	return fopen(path, "r");
}

static void load(void)
{
	char line[512];
	int section = 0, fence = 0;
	struct vector *cur = NULL;
	FILE *f = open_doc();

	assert_non_null(f);
	n_vectors = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!fence && strncmp(line, "## ", 3) == 0) {
			section = atoi(line + 3);
		} else if (strncmp(line, "```", 3) == 0) {
			fence = !fence;
			cur = NULL;
		} else if (fence && ((section == 5 && strncmp(line, "vector card.", 12) == 0) ||
				     (section == 1 && strncmp(line, "vector frame.card.", 18) == 0))) {
			char *sp = strchr(line + 7, ' ');
			assert_true(n_vectors < MAX_VECTORS);
			cur = &vectors[n_vectors++];
			memset(cur, 0, sizeof *cur);
			if (sp != NULL)
				*sp++ = '\0';
			snprintf(cur->name, sizeof cur->name, "%.63s", line + 7);
			snprintf(cur->attrs, sizeof cur->attrs, " %.196s ", sp != NULL ? sp : "");
		} else if (fence && cur != NULL && *line != '\0') {
			char digits[2 * MAX_BYTES + 1];
			size_t n = 0;
			int got;
			for (const char *p = line; *p != '\0'; p++)
				if (*p != ' ')
					digits[n++] = *p;
			digits[n] = '\0';
			got = sc_hex_decode(cur->bytes + cur->len, MAX_BYTES - cur->len, digits);
			assert_true(got >= 0);
			cur->len += (size_t)got;
		}
	}
	fclose(f);
}

/* The value of key= in v's attributes, or NULL. */
static const char *attr(const struct vector *v, const char *key, char *out, size_t cap)
{
	char pat[32];
	const char *p;
	size_t n;

	snprintf(pat, sizeof pat, " %s=", key);
	p = strstr(v->attrs, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	n = strcspn(p, " ");
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static size_t attr_hex(const struct vector *v, const char *key, uint8_t *out, size_t cap)
{
	char text[160];
	int n;

	assert_non_null(attr(v, key, text, sizeof text));
	n = sc_hex_decode(out, cap, text);
	assert_true(n >= 0);
	return (size_t)n;
}

static size_t count(const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < n_vectors; i++)
		n += strcmp(vectors[i].name, name) == 0;
	return n;
}

static void atr_vectors(void **state)
{
	uint8_t atr[32];
	char iface[16];

	(void)state;
	load();
	assert_int_equal(count("card.atr"), 2);
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		if (strcmp(v->name, "card.atr") != 0)
			continue;
		assert_non_null(attr(v, "iface", iface, sizeof iface));
		size_t n = card_atr(&fx_core, strcmp(iface, "contact") == 0 ? CARD_IFACE_CONTACT
								  : CARD_IFACE_CONTACTLESS,
				    atr, sizeof atr);
		assert_int_equal(n, v->len);
		assert_memory_equal(atr, v->bytes, n);
	}
}

static void mac_vectors(void **state)
{
	uint8_t key[32], challenge[16], id[8], mac[32];
	char label[64];

	(void)state;
	load();
	assert_int_equal(count("card.mac"), 3);
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		if (strcmp(v->name, "card.mac") != 0)
			continue;
		assert_non_null(attr(v, "label", label, sizeof label));
		assert_int_equal(attr_hex(v, "challenge", challenge, sizeof challenge), 16);
		if (strstr(v->attrs, " card_id=") != NULL) {
			/* K_card MACs: an issued card with that id and K_card 00..1f. */
			assert_int_equal(attr_hex(v, "card_id", id, sizeof id), 8);
			assert_memory_equal(id, TEST_CARD_ID, 8);
			fx_issued(1, NULL);
			assert_int_equal(core_auth_mac(&fx_core, TEST_KCARD, 32, label, challenge,
						       true, mac),
					 0);
		} else {
			assert_int_equal(attr_hex(v, "key", key, sizeof key), 16);
			assert_int_equal(
				core_auth_mac(&fx_core, key, 16, label, challenge, false, mac), 0);
		}
		assert_int_equal(v->len, 32);
		assert_memory_equal(mac, v->bytes, 32);
	}
}

static void apdu_vectors(void **state)
{
	uint8_t resp[CC_RESP_MAX], want[128];
	char text[32];
	size_t n, wn, ran = 0;
	int sw;

	(void)state;
	load();
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		if (strcmp(v->name, "card.apdu") != 0)
			continue;
		if (attr(v, "card", text, sizeof text) != NULL) {
			assert_string_equal(text, "new");
			fx_manufacture(1);
			card_field(&fx_core, CARD_IFACE_CONTACT, 1);
		}
		sw = cc_raw(&fx_core, CARD_IFACE_CONTACT, v->bytes, v->len, resp, sizeof resp, &n);
		assert_non_null(attr(v, "sw", text, sizeof text));
		assert_int_equal(sw, (int)strtol(text, NULL, 16));
		wn = attr(v, "resp", text, sizeof text) != NULL ? attr_hex(v, "resp", want, sizeof want) : 0;
		assert_int_equal(n, wn);
		assert_memory_equal(resp, want, n);
		ran++;
	}
	assert_true(ran >= 10);
}

/* The stream of frame.card.in fed to the carrier engine of an issued card
 * gives exactly the answers of frame.card.out. */
static void carrier_vectors(void **state)
{
	static uint8_t body[64], out[SC_FRAME_HDR + 300], got[MAX_BYTES];
	const struct vector *in = NULL, *want = NULL;
	struct card_carrier eng;
	size_t pos = 0, len = 0;

	(void)state;
	load();
	for (size_t i = 0; i < n_vectors; i++) {
		if (strcmp(vectors[i].name, "frame.card.in") == 0)
			in = &vectors[i];
		if (strcmp(vectors[i].name, "frame.card.out") == 0)
			want = &vectors[i];
	}
	assert_non_null(in);
	assert_non_null(want);
	fx_issued(1, NULL);
	assert_int_equal(card_carrier_init(&eng, &fx_core, CARD_IFACE_CONTACT, body, sizeof body, out,
					   sizeof out),
			 0);
	while (pos < in->len) {
		size_t n;
		const uint8_t *r;

		pos += card_carrier_feed(&eng, in->bytes + pos, in->len - pos);
		r = card_carrier_reply(&eng, &n);
		if (r == NULL)
			continue;
		assert_true(n <= sizeof got - len);
		memcpy(got + len, r, n);
		len += n;
	}
	assert_int_equal(len, want->len);
	assert_memory_equal(got, want->bytes, len);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(carrier_vectors),
		cmocka_unit_test(atr_vectors),
		cmocka_unit_test(mac_vectors),
		cmocka_unit_test(apdu_vectors),
	};
	return RUN_TESTS("card protocol vectors", tests, argc, argv);
}
