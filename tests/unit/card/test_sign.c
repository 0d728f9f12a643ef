/* SIGN TRANSACTION: every scheme, checked independently (OpenSSL verifies
 * the signature over the signed data; sc_jp_check opens X with the JP the
 * card shows), the ATC rules, and the refusals. Also sim_card, the
 * in-process card the server's tests drive. */
#include <string.h>

#include "card/core/core.h"
#include "card_test.h"
#include "common/apdu.h"
#include "common/errors.h"
#include "common/scheme.h"
#include "tests/support/sim_card.h"

/* Signs with scheme, confirms with the PIN, and checks everything a
 * server would check. */
static void sign_and_check(uint8_t scheme)
{
	uint8_t pub[SC_PUBKEY_LEN], enc[SC_TX_MAX_LEN], hash[SC_HASH_LEN], sd[SC_SIGNED_DATA_MAX];
	struct sc_tx tx;
	struct sc_sign_resp s;
	const struct card_screen *scr;
	size_t n;
	int sd_len;

	fx_issued(100 + scheme, pub);
	fx_sign(scheme, &tx, &s);
	assert_int_equal(s.atc, 1);
	assert_int_equal(s.x_len, (size_t)sc_scheme_x_len(scheme));

	n = fx_tx_encode(&tx, enc, sizeof enc);
	assert_int_equal(sc_tx_hash(enc, n, hash), 0);
	sd_len = sc_signed_data_build(sd, sizeof sd, scheme, TEST_CARD_ID, s.atc, tx.challenge, hash,
				      s.x, s.x_len);
	assert_true(sd_len > 0);
	assert_true(fx_openssl_verify(pub, sd, (size_t)sd_len, s.sig, s.sig_len));
	/* A changed byte of the signed data (here: the ATC) must not verify. */
	sd[11] ^= 1;
	assert_false(fx_openssl_verify(pub, sd, (size_t)sd_len, s.sig, s.sig_len));

	card_field(&fx_core, CARD_IFACE_CONTACT, 0);
	cc_keys(&fx_core, TEST_PIN "K");
	scr = ram_hal_screen(&fx_hal);
	assert_int_equal(scr->id, CARD_SCREEN_PASSWORD);
	assert_int_equal(strlen(scr->lines[0]), SC_JP_DIGITS);
	assert_int_equal(sc_jp_check(scheme, TEST_KCARD, scr->lines[0], s.x, s.x_len), 0);
	/* Any other password fails the server's check. */
	{
		char other[SC_JP_DIGITS + 1];
		memcpy(other, scr->lines[0], sizeof other);
		other[0] = other[0] == '9' ? '0' : (char)(other[0] + 1);
		assert_int_equal(sc_jp_check(scheme, TEST_KCARD, other, s.x, s.x_len), SC_ERR_AUTH);
	}
}

/* §4: the card emits only low-s signatures, (r, n - s) being the other
 * valid signature of the same payment. 200 signatures over four cards (own
 * keys, own DRBG seeds) and ATCs 1-50, each checked by OpenSSL: it
 * verifies, and its s is at most n/2. */
static void signatures_are_low_s(void **state)
{
	uint8_t pub[SC_PUBKEY_LEN], enc[SC_TX_MAX_LEN], hash[SC_HASH_LEN], sd[SC_SIGNED_DATA_MAX];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;
	int sd_len, checked = 0;

	(void)state;
	for (uint64_t card = 0; card < 4; card++) {
		fx_issued(300 + card, pub);
		for (uint32_t atc = 1; atc <= 50; atc++) {
			fx_tx(&tx, (uint8_t)(SC_SCHEME_ENC + atc % 3u));
			tx.amount = 100u * atc + card;
			n = fx_tx_encode(&tx, enc, sizeof enc);
			card_field(&fx_core, CARD_IFACE_CONTACT, 1);
			assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
			assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, &s), 0x9000);
			assert_int_equal(s.atc, atc);
			assert_int_equal(sc_tx_hash(enc, n, hash), 0);
			sd_len = sc_signed_data_build(sd, sizeof sd, tx.scheme, TEST_CARD_ID, s.atc,
						      tx.challenge, hash, s.x, s.x_len);
			assert_true(sd_len > 0);
			assert_true(fx_openssl_verify(pub, sd, (size_t)sd_len, s.sig, s.sig_len));
			if (!fx_openssl_low_s(s.sig, s.sig_len))
				fail_msg("card %u ATC %u: a high-s signature",
					 (unsigned)card, (unsigned)atc);
			checked++;
		}
	}
	assert_int_equal(checked, 200);
}

static void scheme_enc(void **state)
{
	(void)state;
	sign_and_check(SC_SCHEME_ENC);
}

static void scheme_enc_rand(void **state)
{
	(void)state;
	sign_and_check(SC_SCHEME_ENC_RAND);
}

static void scheme_enc_digest(void **state)
{
	(void)state;
	sign_and_check(SC_SCHEME_ENC_DIGEST);
}

static void atc_strictly_increases_and_persists(void **state)
{
	struct sc_tx tx;
	struct sc_sign_resp s;
	uint32_t last = 0;

	(void)state;
	fx_issued(7, NULL);
	assert_int_equal(fx_atc(), 0);
	for (int i = 0; i < 5; i++) {
		fx_sign(SC_SCHEME_ENC, &tx, &s);
		assert_true(s.atc > last);
		last = s.atc;
		if (i % 2 == 1)
			fx_reboot();
	}
	fx_reboot();
	assert_int_equal(fx_atc(), last);
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	assert_int_equal(s.atc, last + 1);
}

static void atc_committed_before_signature(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;

	(void)state;
	fx_issued(8, NULL);
	fx_tx(&tx, SC_SCHEME_ENC);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	/* The very next flash write is the ATC's: cut it, and no signature
	 * may come out. */
	ram_hal_cut_at(&fx_hal, 1, 0);
	assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, &s), 0x6581);
	assert_true(ram_hal_cut_happened(&fx_hal));
	fx_reboot();
	assert_int_equal(fx_atc(), 0);
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	assert_int_equal(s.atc, 1);
}

static void refuses_other_payer(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;

	(void)state;
	fx_issued(9, NULL);
	fx_tx(&tx, SC_SCHEME_ENC);
	strcpy(tx.payer, "GB33BUKB20201555555555");
	n = fx_tx_encode(&tx, enc, sizeof enc);
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, &s), 0x6A80);
	assert_int_equal(fx_atc(), 0);
}

static void refuses_malformed_tx(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;

	(void)state;
	fx_issued(10, NULL);
	fx_tx(&tx, SC_SCHEME_ENC_DIGEST);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n - 1, &s),
			 0x6A80); /* truncated */
	enc[n] = 0;
	assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n + 1, &s),
			 0x6A80); /* trailing */
	assert_int_equal(fx_sw(CARD_IFACE_CONTACT, "802A0000"), 0x6700);        /* no data */
	assert_int_equal(fx_sw(CARD_IFACE_CONTACT, "802A0100 01 00"), 0x6A86);
	assert_int_equal(fx_atc(), 0);
}

/* Signs a copy of tx with payee_name as its name: returns the SW. The
 * name goes in as bytes, so that it may be anything, valid UTF-8 or not:
 * tx is encoded with a placeholder of the same length, then patched. */
static int sign_named(const struct sc_tx *tx, const char *payee_name)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx t = *tx;
	struct sc_sign_resp s;
	size_t n, len = strlen(payee_name), i;
	uint8_t *at;

	assert_true(len >= 1 && len <= SC_PAYEE_NAME_MAX);
	memset(t.payee_name, 0, sizeof t.payee_name);
	memset(t.payee_name, 'Q', len);
	n = fx_tx_encode(&t, enc, sizeof enc);
	at = NULL;
	for (i = 0; i + len <= n && at == NULL; i++)
		if (memcmp(enc + i, t.payee_name, len) == 0)
			at = enc + i;
	assert_non_null(at);
	memcpy(at, payee_name, len);
	return cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, &s);
}

/* What the holder sees is what is signed: a payee name with a character
 * the card's screen does not show (card/core/repertoire.c), or that is not
 * display UTF-8, is refused with 6A81 before anything is spent: the ATC,
 * the flash and the pending signature stay as they were, and that one can
 * still be confirmed. Every name in the repertoire signs. */
static void refuses_what_the_screen_cannot_show(void **state)
{
	static const char *const unshowable[] = {
		"\xe4\xb8\xad\xe6\x96\x87 GmbH",         /* U+4E2D U+6587 */
		"Caf\xc3\xa9 \xf0\x9f\x98\x80",          /* an emoji */
		"B\xc3\xa4" "ckerei\xc2\xa0M\xc3\xbcller",  /* U+00A0: looks like a space */
		"Soft\xc2\xad" "ware",                   /* U+00AD soft hyphen */
		"\xc3\x90" "or",                         /* U+00D0: looks like U+0110 */
		"\xc6\x80" "ar",                         /* U+0180: past Extended-A */
		"Caf\xc3\x28",                           /* a lead byte without its tail */
		"Caf\xed\xa0\x80",                       /* a surrogate */
		"Caf\xc0\xaf",                           /* overlong '/' */
		"Caf\xc2\x85",                           /* C1 control NEL */
		"Caf\xe2\x80\xae" "e",                   /* bidi override */
	};
	static const char *const showable[] = {
		"B\xc3\xa4" "ckerei M\xc3\xbcller",
		"\xc5\x81\xc3\xb3" "d\xc5\xba \xc4\x90" "akovi\xc4\x87",   /* Łódź Đaković */
		"\xc3\xa6\xc3\xb8\xc3\xa5 \xc3\x9f \xc5\xbf \xc2\xa1\xc2\xbf \xc3\xb7",
	};
	struct sc_tx tx, other;
	struct sc_sign_resp s, s2;
	struct card_screen before;
	unsigned long writes;
	size_t i;

	(void)state;
	fx_issued(12, NULL);
	fx_sign(SC_SCHEME_ENC, &tx, &s);    /* pending: on the reader */
	writes = ram_hal_writes(&fx_hal);
	before = *ram_hal_screen(&fx_hal);
	fx_tx(&other, SC_SCHEME_ENC);
	for (i = 0; i < sizeof unshowable / sizeof unshowable[0]; i++)
		if (sign_named(&other, unshowable[i]) != 0x6A81)
			fail_msg("name %zu: SIGN did not answer 6A81", i);
	assert_int_equal(ram_hal_writes(&fx_hal), writes);
	assert_memory_equal(ram_hal_screen(&fx_hal), &before, sizeof before);
	assert_int_equal(fx_atc(), 1);
	/* The first signature is still the pending one. */
	card_field(&fx_core, CARD_IFACE_CONTACT, 0);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_REVIEW);
	assert_string_equal(ram_hal_screen(&fx_hal)->lines[1], tx.payee_name);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_PASSWORD);
	assert_non_null(strstr(ram_hal_screen(&fx_hal)->qr, ":1:"));
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC, TEST_KCARD,
				     ram_hal_screen(&fx_hal)->lines[0], s.x, s.x_len),
			 0);
	cc_keys(&fx_core, "K");
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	for (i = 0; i < sizeof showable / sizeof showable[0]; i++) {
		uint8_t enc[SC_TX_MAX_LEN];
		size_t n;

		strcpy(other.payee_name, showable[i]);
		n = fx_tx_encode(&other, enc, sizeof enc);
		assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, &s2), 0x9000);
		assert_int_equal(s2.atc, 2 + i);
	}
}

static void refuses_before_issue(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;

	(void)state;
	fx_manufacture(11);
	fx_tx(&tx, SC_SCHEME_ENC);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, &s), 0x6985);
}

static void sign_without_le_uses_get_response(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN], cmd[SC_TX_MAX_LEN + 8], r[300];
	struct sc_tx tx;
	size_t n, rn;
	int len, sw;

	(void)state;
	fx_issued(12, NULL);
	fx_tx(&tx, SC_SCHEME_ENC);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	len = sc_apdu_build(cmd, sizeof cmd, 0x80, 0x2A, 0, 0, enc, n, 0); /* case 3 */
	sw = cc_raw(&fx_core, CARD_IFACE_CONTACT, cmd, (size_t)len, r, sizeof r, &rn);
	assert_int_equal(sw & 0xFF00, 0x6100);
	assert_int_equal(rn, 0);
	rn = (size_t)(sw & 0xFF);
	assert_true(rn > 6 + 18 + 2 + 8);
	/* GET RESPONSE in two parts: 10 bytes, then the rest. */
	assert_int_equal(fx_hex(CARD_IFACE_CONTACT, "00C000000A", r, sizeof r, &n),
			 (int)(0x6100 | (rn - 10)));
	assert_int_equal(n, 10);
	assert_int_equal(r[0], 0xC1);
	assert_int_equal(fx_hex(CARD_IFACE_CONTACT, "00C0000000", r, sizeof r, &n), 0x9000);
	assert_int_equal(n, rn - 10);
	/* Nothing left. */
	assert_int_equal(fx_sw(CARD_IFACE_CONTACT, "00C0000000"), 0x6985);
}

static void atc_exhaustion_refuses(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;

	(void)state;
	fx_issued(13, NULL);
	/* Jump the counter to its last value (store internals, for speed). */
	store_begin(&fx_core)->atc = UINT32_MAX - 1u;
	assert_int_equal(store_commit(&fx_core), 0);
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	assert_int_equal(s.atc, UINT32_MAX);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	assert_int_equal(cc_sign(&fx_core, CARD_IFACE_CONTACT, enc, n, &s), 0x6A84);
	fx_reboot();
	assert_int_equal(fx_atc(), UINT32_MAX);
}

static void small_reader_buffer_gets_the_rest_later(void **state)
{
	uint8_t r[8], cmd[5] = {0x00, 0xCA, 0xDF, 0x21, 0x00};
	size_t n;

	(void)state;
	fx_issued(14, NULL);
	card_field(&fx_core, CARD_IFACE_CONTACT, 1);
	assert_int_equal(cc_select(&fx_core, CARD_IFACE_CONTACT), 0x9000);
	/* Le 256, but the carrier only has room for 6 data bytes. */
	n = card_apdu(&fx_core, CARD_IFACE_CONTACT, cmd, sizeof cmd, r, sizeof r);
	assert_int_equal(n, 8);
	assert_int_equal(r[0], 0x04);
	assert_int_equal(r[6] << 8 | r[7], 0x6100 | (65 - 6));
}

static void sim_card_round_trip(void **state)
{
	struct sim_card_identity a, b;
	uint8_t enc[SC_TX_MAX_LEN], x[32], sig[72], hash[SC_HASH_LEN], sd[SC_SIGNED_DATA_MAX];
	uint8_t kb[32], encb[SC_TX_MAX_LEN], xb[32], sigb[72];
	struct sc_tx tx, txb;
	uint32_t atc;
	size_t n, x_len, sig_len, nb, xb_len, sigb_len;
	char jp[9];
	int ia, ib, sd_len;

	(void)state;
	memset(kb, 0x5a, sizeof kb);
	ia = sim_card_new(TEST_CARD_ID, TEST_KCARD, "2468", TEST_ACCOUNT, &a);
	assert_true(ia >= 0);
	ib = sim_card_new((const uint8_t *)"CARD-B!!", kb, "13579", "GB33BUKB20201555555555", &b);
	assert_true(ib > ia);
	assert_memory_not_equal(a.pubkey, b.pubkey, SC_PUBKEY_LEN);
	assert_string_equal(b.account, "GB33BUKB20201555555555");

	fx_tx(&tx, SC_SCHEME_ENC_RAND);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	assert_int_equal(sim_card_sign(ia, enc, n, &atc, x, &x_len, sig, &sig_len), 0);
	assert_int_equal(atc, 1);
	/* While a waits, signed, for its holder, card b refuses a payment from
	 * a's account, then signs and confirms one of its own: each card is its
	 * own core, nothing is rebooted, so a's pending signature is still
	 * there to confirm. */
	assert_int_equal(sim_card_sign(ib, enc, n, &atc, xb, &xb_len, sigb, &sigb_len), 0x6A80);
	fx_tx(&txb, SC_SCHEME_ENC);
	strcpy(txb.payer, b.account);
	nb = fx_tx_encode(&txb, encb, sizeof encb);
	assert_int_equal(sim_card_sign(ib, encb, nb, &atc, xb, &xb_len, sigb, &sigb_len), 0);
	assert_int_equal(atc, 1);
	assert_int_equal(sim_card_confirm(ib, "13579", jp), 0);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC, kb, jp, xb, xb_len), 0);
	assert_int_equal(sim_card_confirm(ia, "2468", jp), 0);
	assert_int_equal(strlen(jp), 8);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC_RAND, TEST_KCARD, jp, x, x_len), 0);
	assert_int_equal(sc_tx_hash(enc, n, hash), 0);
	sd_len = sc_signed_data_build(sd, sizeof sd, SC_SCHEME_ENC_RAND, a.card_id, 1,
				      tx.challenge, hash, x, x_len);
	assert_true(fx_openssl_verify(a.pubkey, sd, (size_t)sd_len, sig, sig_len));

	/* a's ATC goes on; a wrong PIN shows no password. */
	assert_int_equal(sim_card_sign(ia, enc, n, &atc, x, &x_len, sig, &sig_len), 0);
	assert_int_equal(atc, 2);
	assert_int_equal(sim_card_confirm(ia, "0000", jp), -1);
	assert_int_equal(sim_card_sign(99, enc, n, &atc, x, &x_len, sig, &sig_len), -1);
	assert_int_equal(sim_card_confirm(-1, "2468", jp), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scheme_enc),
		cmocka_unit_test(scheme_enc_rand),
		cmocka_unit_test(scheme_enc_digest),
		cmocka_unit_test(atc_strictly_increases_and_persists),
		cmocka_unit_test(atc_committed_before_signature),
		cmocka_unit_test(refuses_other_payer),
		cmocka_unit_test(refuses_malformed_tx),
		cmocka_unit_test(refuses_what_the_screen_cannot_show),
		cmocka_unit_test(refuses_before_issue),
		cmocka_unit_test(sign_without_le_uses_get_response),
		cmocka_unit_test(atc_exhaustion_refuses),
		cmocka_unit_test(small_reader_buffer_gets_the_rest_later),
		cmocka_unit_test(sim_card_round_trip),
		cmocka_unit_test(signatures_are_low_s),
	};
	return RUN_TESTS("card sign", tests, argc, argv);
}
