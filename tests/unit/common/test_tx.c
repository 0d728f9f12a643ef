/* The canonical transaction (common/tx.h). */
#include <string.h>
#include "common_test.h"
#include "common/errors.h"
#include "common/tx.h"

static void tx_equal(const struct sc_tx *a, const struct sc_tx *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->scheme, b->scheme);
	assert_true(a->amount == b->amount);
	assert_int_equal(a->currency, b->currency);
	assert_string_equal(a->payer, b->payer);
	assert_string_equal(a->payee, b->payee);
	assert_string_equal(a->payee_name, b->payee_name);
	assert_string_equal(a->terminal_id, b->terminal_id);
	assert_memory_equal(a->challenge, b->challenge, SC_CHALLENGE_LEN);
	assert_true(a->time == b->time);
}

static int encode(const struct sc_tx *tx, uint8_t *out)
{
	return sc_tx_encode(tx, out, SC_TX_MAX_LEN);
}

static void encodes_in_tag_order(void **state)
{
	struct sc_tx tx, back;
	uint8_t out[SC_TX_MAX_LEN];
	int n;

	(void)state;
	sample_tx(&tx);
	n = encode(&tx, out);
	assert_true(n > 0);
	/* Walk the items: tags 01..0A in order, nothing else. */
	for (size_t pos = 0, tag = 1; pos < (size_t)n; tag++) {
		assert_int_equal(out[pos], tag);
		pos += 2u + out[pos + 1];
		if (tag == 10)
			assert_int_equal(pos, n);
	}
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0x01);
	assert_int_equal(out[2], 0x01);
	assert_int_equal(sc_tx_decode(&back, out, (size_t)n), SC_OK);
	tx_equal(&tx, &back);
}

static void encode_overflow(void **state)
{
	struct sc_tx tx;
	uint8_t out[SC_TX_MAX_LEN];
	int n;

	(void)state;
	sample_tx(&tx);
	n = encode(&tx, out);
	assert_int_equal(sc_tx_encode(&tx, out, (size_t)n), n);
	assert_int_equal(sc_tx_encode(&tx, out, (size_t)n - 1), SC_ERR_OVERFLOW);
	assert_int_equal(sc_tx_encode(&tx, NULL, 0), SC_ERR_ARG);
	assert_int_equal(sc_tx_encode(NULL, out, sizeof(out)), SC_ERR_ARG);
}

static void largest_fits_max_len(void **state)
{
	struct sc_tx tx, back;
	uint8_t out[SC_TX_MAX_LEN];
	int n;

	(void)state;
	sample_tx(&tx);
	memset(tx.payer, 'A', SC_ACCOUNT_MAX);
	tx.payer[SC_ACCOUNT_MAX] = '\0';
	memset(tx.payee, '9', SC_ACCOUNT_MAX);
	tx.payee[SC_ACCOUNT_MAX] = '\0';
	memset(tx.payee_name, 'n', SC_PAYEE_NAME_MAX);
	tx.payee_name[SC_PAYEE_NAME_MAX] = '\0';
	memset(tx.terminal_id, '~', SC_TERMINAL_ID_MAX);
	tx.terminal_id[SC_TERMINAL_ID_MAX] = '\0';
	n = encode(&tx, out);
	assert_int_equal(n, 3 + 3 + 10 + 4 + 36 + 36 + 50 + 18 + 18 + 10);
	assert_true(n <= (int)SC_TX_MAX_LEN);
	assert_int_equal(sc_tx_decode(&back, out, (size_t)n), SC_OK);
	tx_equal(&tx, &back);
}

/* Each: how to break a valid struct, and what validate/encode must say. */
static void validate_rejects_each_field(void **state)
{
	struct sc_tx tx;

	(void)state;
#define BAD(mutation, err)                                            \
	do {                                                          \
		sample_tx(&tx);                                       \
		mutation;                                             \
		assert_int_equal(sc_tx_validate(&tx), err);           \
		uint8_t o_[SC_TX_MAX_LEN];                            \
		assert_int_equal(sc_tx_encode(&tx, o_, sizeof(o_)), err); \
	} while (0)
	BAD(tx.version = 2, SC_ERR_BAD_VERSION);
	BAD(tx.version = 0, SC_ERR_BAD_VERSION);
	BAD(tx.scheme = 0, SC_ERR_BAD_VALUE);
	BAD(tx.scheme = 4, SC_ERR_BAD_VALUE);
	BAD(tx.amount = 0, SC_ERR_BAD_VALUE);
	BAD(tx.amount = 0x8000000000000000ull, SC_ERR_BAD_VALUE);
	BAD(tx.currency = 0, SC_ERR_BAD_VALUE);
	BAD(tx.currency = 1000, SC_ERR_BAD_VALUE);
	BAD(tx.payer[0] = '\0', SC_ERR_LENGTH);
	BAD(strcpy(tx.payer, "de89"), SC_ERR_BAD_VALUE);
	BAD(strcpy(tx.payee, "-DE89"), SC_ERR_BAD_VALUE);
	BAD(strcpy(tx.payee, "DE 89"), SC_ERR_BAD_VALUE);
	BAD(memset(tx.payee, 'A', sizeof(tx.payee)), SC_ERR_LENGTH);
	BAD(tx.payee_name[0] = '\0', SC_ERR_LENGTH);
	BAD(strcpy(tx.payee_name, " Shop"), SC_ERR_BAD_UTF8);
	BAD(strcpy(tx.payee_name, "Shop\n"), SC_ERR_BAD_UTF8);
	BAD(strcpy(tx.payee_name, "Sh\xc3"), SC_ERR_BAD_UTF8);
	BAD(memset(tx.payee_name, 'x', sizeof(tx.payee_name)), SC_ERR_LENGTH);
	BAD(tx.terminal_id[0] = '\0', SC_ERR_LENGTH);
	BAD(strcpy(tx.terminal_id, "T 1"), SC_ERR_BAD_VALUE);
	BAD(strcpy(tx.terminal_id, "T\x7f"), SC_ERR_BAD_VALUE);
	BAD(memset(tx.terminal_id, 'T', sizeof(tx.terminal_id)), SC_ERR_LENGTH);
	BAD(tx.time = 0x8000000000000000ull, SC_ERR_BAD_VALUE);
#undef BAD
	assert_int_equal(sc_tx_validate(NULL), SC_ERR_ARG);
	/* The edges of each domain are valid. */
	sample_tx(&tx);
	tx.amount = 0x7fffffffffffffffull;
	tx.currency = 999;
	tx.time = 0;
	strcpy(tx.payer, "0");
	strcpy(tx.payee, "A-");
	strcpy(tx.payee_name, "\xf4\x8f\xbf\xbd");  /* U+10FFFD */
	strcpy(tx.terminal_id, "!");
	assert_int_equal(sc_tx_validate(&tx), SC_OK);
}

/* Decodes hex-free byte lists built by editing a valid encoding. */
static int decode_edit(size_t at, size_t del, const uint8_t *ins, size_t nins)
{
	struct sc_tx tx, back;
	uint8_t enc[SC_TX_MAX_LEN], buf[SC_TX_MAX_LEN + 64];
	int n;

	sample_tx(&tx);
	n = encode(&tx, enc);
	assert_true(n > 0);
	memcpy(buf, enc, at);
	if (nins)
		memcpy(buf + at, ins, nins);
	memcpy(buf + at + nins, enc + at + del, (size_t)n - at - del);
	return sc_tx_decode(&back, buf, (size_t)n - del + nins);
}

/* Offset of the item with tag t in the sample encoding. */
static size_t item_at(uint8_t t)
{
	struct sc_tx tx;
	uint8_t enc[SC_TX_MAX_LEN];
	size_t pos = 0;

	sample_tx(&tx);
	assert_true(encode(&tx, enc) > 0);
	while (enc[pos] != t)
		pos += 2u + enc[pos + 1];
	return pos;
}

static void decode_rejects_noncanonical(void **state)
{
	static const uint8_t v2[] = { 0x01, 0x01, 0x02 };
	static const uint8_t scheme0[] = { 0x02, 0x01, 0x00 };
	static const uint8_t scheme_wide[] = { 0x02, 0x02, 0x00, 0x01 };
	static const uint8_t amount0[] = { 0x03, 0x08, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t amount_neg[] = { 0x03, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t amount_short[] = { 0x03, 0x07, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t cur1000[] = { 0x04, 0x02, 0x03, 0xe8 };
	static const uint8_t cur_wide[] = { 0x04, 0x03, 0x00, 0x03, 0xd2 };
	static const uint8_t payer_lower[] = { 0x05, 0x02, 'a', 'B' };
	static const uint8_t payer_empty[] = { 0x05, 0x00 };
	static const uint8_t payer_nul[] = { 0x05, 0x02, 'A', 0 };
	static const uint8_t name_ctl[] = { 0x07, 0x02, 'A', 0x07 };
	static const uint8_t name_overlong[] = { 0x07, 0x03, 'A', 0xc0, 0xaf };
	static const uint8_t name_nul[] = { 0x07, 0x02, 'A', 0x00 };
	static const uint8_t term_space[] = { 0x08, 0x02, 'T', ' ' };
	static const uint8_t unknown[] = { 0x0b, 0x00 };
	static const uint8_t trailing[] = { 0x00 };
	static const uint8_t ver_tlv[] = { 0x01, 0x01, 0x01 };
	size_t scheme = item_at(2), amount = item_at(3), cur = item_at(4), payer = item_at(5);
	size_t name = item_at(7), term = item_at(8), chal = item_at(9), time = item_at(10);

	(void)state;
	assert_int_equal(decode_edit(0, 3, v2, 3), SC_ERR_BAD_VERSION);
	assert_int_equal(decode_edit(scheme, 3, scheme0, 3), SC_ERR_BAD_VALUE);
	assert_int_equal(decode_edit(scheme, 3, scheme_wide, 4), SC_ERR_LENGTH);
	assert_int_equal(decode_edit(amount, 10, amount0, 10), SC_ERR_BAD_VALUE);
	assert_int_equal(decode_edit(amount, 10, amount_neg, 10), SC_ERR_BAD_VALUE);
	assert_int_equal(decode_edit(amount, 10, amount_short, 9), SC_ERR_LENGTH);
	assert_int_equal(decode_edit(cur, 4, cur1000, 4), SC_ERR_BAD_VALUE);
	assert_int_equal(decode_edit(cur, 4, cur_wide, 5), SC_ERR_LENGTH);
	assert_int_equal(decode_edit(payer, item_at(6) - payer, payer_lower, 4), SC_ERR_BAD_VALUE);
	assert_int_equal(decode_edit(payer, item_at(6) - payer, payer_empty, 2), SC_ERR_LENGTH);
	assert_int_equal(decode_edit(payer, item_at(6) - payer, payer_nul, 4), SC_ERR_BAD_VALUE);
	assert_int_equal(decode_edit(name, term - name, name_ctl, 4), SC_ERR_BAD_UTF8);
	assert_int_equal(decode_edit(name, term - name, name_overlong, 5), SC_ERR_BAD_UTF8);
	assert_int_equal(decode_edit(name, term - name, name_nul, 4), SC_ERR_BAD_UTF8);
	assert_int_equal(decode_edit(term, chal - term, term_space, 4), SC_ERR_BAD_VALUE);
	/* Tags: missing, repeated, swapped, unknown. */
	assert_int_equal(decode_edit(scheme, 3, NULL, 0), SC_ERR_BAD_TAG);
	assert_int_equal(decode_edit(scheme, 0, ver_tlv, 3), SC_ERR_BAD_TAG);
	assert_int_equal(decode_edit(cur, 0, unknown, 2), SC_ERR_BAD_TAG);
	/* Swap amount and currency items. */
	{
		uint8_t swapped[14];

		memcpy(swapped, cur1000, 4);
		swapped[3] = 0xd2;
		swapped[2] = 0x03;
		memcpy(swapped + 4, amount_short, 9);
		swapped[5] = 8;
		swapped[13] = 1;
		assert_int_equal(decode_edit(amount, 14, swapped, 14), SC_ERR_BAD_TAG);
	}
	/* Cut anywhere: truncated. Extra byte at the end: trailing. */
	assert_int_equal(decode_edit(time, 10, NULL, 0), SC_ERR_TRUNCATED);
	assert_int_equal(decode_edit(time + 9, 1, NULL, 0), SC_ERR_TRUNCATED);
	assert_int_equal(decode_edit(time + 10, 0, trailing, 1), SC_ERR_TRAILING);
	assert_int_equal(decode_edit(time + 10, 0, ver_tlv, 3), SC_ERR_TRAILING);
}

static void decode_arguments_and_wipe(void **state)
{
	struct sc_tx tx;
	uint8_t enc[SC_TX_MAX_LEN];
	int n;

	(void)state;
	sample_tx(&tx);
	n = encode(&tx, enc);
	assert_int_equal(sc_tx_decode(NULL, enc, (size_t)n), SC_ERR_ARG);
	assert_int_equal(sc_tx_decode(&tx, NULL, 5), SC_ERR_ARG);
	assert_int_equal(sc_tx_decode(&tx, enc, 0), SC_ERR_TRUNCATED);
	/* A failed decode leaves nothing half-filled behind. */
	assert_int_equal(sc_tx_decode(&tx, enc, (size_t)n - 1), SC_ERR_TRUNCATED);
	assert_int_equal(tx.amount, 0);
	assert_int_equal(tx.payer[0], 0);
}

static void hash_is_sha256_of_encoding(void **state)
{
	/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
	static const uint8_t abc[] = { 'a', 'b', 'c' };
	static const uint8_t want[] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
					0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
					0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
					0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	uint8_t h[SC_HASH_LEN];

	(void)state;
	assert_int_equal(sc_tx_hash(abc, 3, h), SC_OK);
	assert_memory_equal(h, want, sizeof(want));
	assert_int_equal(sc_tx_hash(NULL, 3, h), SC_ERR_ARG);
	assert_int_equal(sc_tx_hash(abc, 3, NULL), SC_ERR_ARG);
}

/* A random transaction from p (round i of a property test) and its
 * encoding into enc, which must succeed; the encoding's length. */
static size_t random_encoded(struct prng *p, int i, struct sc_tx *tx, uint8_t *enc)
{
	int n;

	random_tx(p, tx);
	n = encode(tx, enc);
	if (n <= 0)
		fail_msg("round %d: encode %s (name '%s')", i, sc_strerror(n), tx->payee_name);
	return (size_t)n;
}

/* The canonical form: what decoded to tx re-encodes to exactly those n
 * bytes. */
static void assert_reencodes_to(const struct sc_tx *tx, const uint8_t *bytes, size_t n)
{
	uint8_t again[SC_TX_MAX_LEN];

	assert_int_equal(encode(tx, again), n);
	assert_memory_equal(again, bytes, n);
}

/* The n bytes hash to something other than h0. */
static void assert_hash_differs(const uint8_t *h0, const uint8_t *bytes, size_t n)
{
	uint8_t h1[SC_HASH_LEN];

	assert_int_equal(sc_tx_hash(bytes, n, h1), SC_OK);
	assert_memory_not_equal(h0, h1, SC_HASH_LEN);
}

/* Property: decode(encode(x)) = x and encode(decode(b)) = b. */
static void roundtrip_random(void **state)
{
	struct prng p;

	(void)state;
	prng_seed(&p, 3);
	for (int i = 0; i < 20000; i++) {
		struct sc_tx tx, back;
		uint8_t enc[SC_TX_MAX_LEN];
		size_t n = random_encoded(&p, i, &tx, enc);

		assert_int_equal(sc_tx_decode(&back, enc, n), SC_OK);
		tx_equal(&tx, &back);
		assert_reencodes_to(&back, enc, n);
	}
}

/* Property: any single-byte change to a canonical encoding either fails to
 * decode or changes the hash (and then decodes to a different struct). */
static void single_byte_change_detected(void **state)
{
	struct prng p;

	(void)state;
	prng_seed(&p, 5);
	for (int i = 0; i < 300; i++) {
		struct sc_tx tx, back;
		uint8_t enc[SC_TX_MAX_LEN], h0[SC_HASH_LEN];
		size_t n = random_encoded(&p, i, &tx, enc);

		assert_int_equal(sc_tx_hash(enc, n, h0), SC_OK);
		for (size_t at = 0; at < n; at++) {
			for (int k = 0; k < 8; k++) {
				uint8_t mod[SC_TX_MAX_LEN];
				uint8_t delta = (uint8_t)(1 + prng_below(&p, 255));

				memcpy(mod, enc, n);
				mod[at] ^= delta;
				if (sc_tx_decode(&back, mod, n) != SC_OK)
					continue;
				assert_hash_differs(h0, mod, n);
				assert_reencodes_to(&back, mod, n);
			}
		}
	}
}

/* Property: whatever is done to a canonical encoding (byte changed,
 * inserted, deleted, or the input cut short), the result either fails to
 * decode or is itself canonical (re-encodes to exactly those bytes) with
 * another hash. A cut never decodes. */
static void mutations_fail_or_stay_canonical(void **state)
{
	struct prng p;
	size_t accepted = 0, rejected = 0;

	(void)state;
	prng_seed(&p, 23);
	for (int i = 0; i < 20000; i++) {
		struct sc_tx tx, back;
		uint8_t enc[SC_TX_MAX_LEN], mod[SC_TX_MAX_LEN + 1], h0[SC_HASH_LEN];
		size_t n = random_encoded(&p, i, &tx, enc), m, at;

		assert_int_equal(sc_tx_hash(enc, n, h0), SC_OK);
		at = prng_below(&p, n);
		switch (prng_below(&p, 4)) {
		case 0:  /* change */
			memcpy(mod, enc, n);
			mod[at] = (uint8_t)(mod[at] ^ (1 + prng_below(&p, 255)));
			m = n;
			break;
		case 1:  /* insert */
			memcpy(mod, enc, at);
			mod[at] = (uint8_t)prng_next(&p);
			memcpy(mod + at + 1, enc + at, n - at);
			m = n + 1;
			break;
		case 2:  /* delete */
			memcpy(mod, enc, at);
			memcpy(mod + at, enc + at + 1, n - at - 1);
			m = n - 1;
			break;
		default: /* cut */
			memcpy(mod, enc, at);
			assert_int_equal(sc_tx_decode(&back, mod, at), SC_ERR_TRUNCATED);
			rejected++;
			continue;
		}
		if (sc_tx_decode(&back, mod, m) != SC_OK) {
			rejected++;
			continue;
		}
		accepted++;
		assert_reencodes_to(&back, mod, m);
		assert_hash_differs(h0, mod, m);
	}
	/* Both outcomes happen, so both branches were exercised. */
	assert_true(accepted > 100);
	assert_true(rejected > 100);
}

static void text_checks(void **state)
{
	(void)state;
	assert_int_equal(sc_account_id_valid("DE89-3704"), SC_OK);
	assert_int_equal(sc_account_id_valid(""), SC_ERR_LENGTH);
	assert_int_equal(sc_account_id_valid("0123456789012345678901234567890123"), SC_OK);
	assert_int_equal(sc_account_id_valid("01234567890123456789012345678901234"), SC_ERR_LENGTH);
	assert_int_equal(sc_account_id_valid("-A"), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_account_id_valid("A_B"), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_account_id_valid(NULL), SC_ERR_ARG);
	assert_int_equal(sc_terminal_id_valid("POS#12"), SC_OK);
	assert_int_equal(sc_terminal_id_valid("0123456789abcdef"), SC_OK);
	assert_int_equal(sc_terminal_id_valid("0123456789abcdefg"), SC_ERR_LENGTH);
	assert_int_equal(sc_terminal_id_valid(""), SC_ERR_LENGTH);
	assert_int_equal(sc_terminal_id_valid("\xc3\xa9"), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_terminal_id_valid(NULL), SC_ERR_ARG);
}

static int text(const char *s)
{
	return sc_display_text_valid((const uint8_t *)s, strlen(s));
}

static void display_text(void **state)
{
	(void)state;
	assert_int_equal(text("Café Müller"), SC_OK);
	assert_int_equal(text("北京烤鸭店"), SC_OK);
	assert_int_equal(text("A\xf0\x9f\x98\x80"), SC_OK);       /* U+1F600 */
	assert_int_equal(text("~"), SC_OK);
	assert_int_equal(text(""), SC_ERR_LENGTH);
	assert_int_equal(text("0123456789012345678901234567890123456789012345678"), SC_ERR_LENGTH);
	assert_int_equal(text(" A"), SC_ERR_BAD_UTF8);
	assert_int_equal(text("A "), SC_ERR_BAD_UTF8);
	assert_int_equal(text("A\tB"), SC_ERR_BAD_UTF8);
	assert_int_equal(text("A\x7f"), SC_ERR_BAD_UTF8);         /* DEL */
	assert_int_equal(text("A\xc2\x85"), SC_ERR_BAD_UTF8);     /* C1 NEL */
	assert_int_equal(text("A\xc2\xa0" "B"), SC_OK);           /* NBSP inside */
	assert_int_equal(text("A\xc0\x80"), SC_ERR_BAD_UTF8);     /* overlong NUL */
	assert_int_equal(text("A\xe0\x80\xaf"), SC_ERR_BAD_UTF8); /* overlong '/' */
	assert_int_equal(text("A\xf0\x80\x80\xaf"), SC_ERR_BAD_UTF8);
	assert_int_equal(text("A\xed\xa0\x80"), SC_ERR_BAD_UTF8); /* surrogate */
	assert_int_equal(text("A\xf4\x90\x80\x80"), SC_ERR_BAD_UTF8); /* > U+10FFFF */
	assert_int_equal(text("A\xf5\x80\x80\x80"), SC_ERR_BAD_UTF8);
	assert_int_equal(text("A\x80"), SC_ERR_BAD_UTF8);         /* lone continuation */
	assert_int_equal(text("A\xe2\x82"), SC_ERR_BAD_UTF8);     /* cut sequence */
	assert_int_equal(text("A\xe2\x28\xac"), SC_ERR_BAD_UTF8); /* bad continuation */
	assert_int_equal(text("A\xe2\x80\xae" "B"), SC_ERR_BAD_UTF8); /* RLO override */
	assert_int_equal(text("A\xe2\x81\xa6" "B"), SC_ERR_BAD_UTF8); /* LRI isolate */
	assert_int_equal(text("A\xe2\x80\xa8" "B"), SC_ERR_BAD_UTF8); /* line separator */
	assert_int_equal(text("A\xef\xbb\xbf"), SC_ERR_BAD_UTF8); /* BOM */
	assert_int_equal(sc_display_text_valid(NULL, 3), SC_ERR_ARG);
	assert_int_equal(sc_display_text_valid((const uint8_t *)"A\0B", 3), SC_ERR_BAD_UTF8);
}

static void scheme_names(void **state)
{
	(void)state;
	assert_string_equal(sc_scheme_name(SC_SCHEME_ENC), "enc");
	assert_string_equal(sc_scheme_name(SC_SCHEME_ENC_RAND), "enc-rand");
	assert_string_equal(sc_scheme_name(SC_SCHEME_ENC_DIGEST), "enc-digest");
	assert_null(sc_scheme_name(0));
	assert_null(sc_scheme_name(4));
	assert_int_equal(sc_scheme_parse("enc"), SC_SCHEME_ENC);
	assert_int_equal(sc_scheme_parse("enc-rand"), SC_SCHEME_ENC_RAND);
	assert_int_equal(sc_scheme_parse("enc-digest"), SC_SCHEME_ENC_DIGEST);
	assert_int_equal(sc_scheme_parse("ENC"), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_scheme_parse("enc-"), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_scheme_parse(""), SC_ERR_BAD_VALUE);
	assert_int_equal(sc_scheme_parse(NULL), SC_ERR_BAD_VALUE);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodes_in_tag_order),
		cmocka_unit_test(encode_overflow),
		cmocka_unit_test(largest_fits_max_len),
		cmocka_unit_test(validate_rejects_each_field),
		cmocka_unit_test(decode_rejects_noncanonical),
		cmocka_unit_test(decode_arguments_and_wipe),
		cmocka_unit_test(hash_is_sha256_of_encoding),
		cmocka_unit_test(roundtrip_random),
		cmocka_unit_test(single_byte_change_detected),
		cmocka_unit_test(mutations_fail_or_stay_canonical),
		cmocka_unit_test(text_checks),
		cmocka_unit_test(display_text),
		cmocka_unit_test(scheme_names),
	};

	return RUN_TESTS("common/tx", tests, argc, argv);
}
