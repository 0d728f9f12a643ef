/* Personalisation and lifecycle: the transport key gate, each PUT DATA
 * item and its checks, K_card wrapped under the transport KEK (§5.3's
 * vectors), on-card key generation, ISSUE, refusal for good
 * afterwards, GET DATA, the enrolment record, and BLOCK CARD. */
#include <string.h>

#include "card/core/core.h"
#include "card_test.h"
#include "common/errors.h"
#include "common/keywrap.h"
#include "tests/support/doc_vector.h"

#define C CARD_IFACE_CONTACT
#define SELECT "00A4040009F05349474341524401"

static void authed(uint64_t seed)
{
	fx_manufacture(seed);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, TEST_TK, sizeof TEST_TK,
					  SC_LABEL_TRANSPORT, NULL), 0x9000);
}

/* PUT DATA of wrapped (n bytes) as K_card; the SW. */
static int put_kcard_bytes(const uint8_t *wrapped, size_t n)
{
	uint8_t r[8];
	size_t rn;

	return cc_transmit(&fx_core, C, 0x80, 0xDA, 0xDF, 0x29, wrapped, n, 0, r, sizeof r, &rn);
}

/* PUT DATA of TEST_KCARD wrapped under TEST_TK's KEK, as the issuer sends it. */
static int put_wrapped_kcard(void)
{
	uint8_t wrapped[SC_KCARD_WRAPPED_LEN];

	assert_int_equal(sc_kcard_wrap(TEST_TK, sizeof TEST_TK, TEST_KCARD, wrapped), SC_OK);
	return put_kcard_bytes(wrapped, sizeof wrapped);
}

static void perso_needs_transport_key(void **state)
{
	uint8_t wrong[CARD_TRANSPORT_KEY_LEN];

	(void)state;
	fx_manufacture(1);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x6982);
	assert_int_equal(fx_sw(C, "8047000000"), 0x6982);
	assert_int_equal(fx_sw(C, "80440000"), 0x6982);
	/* A wrong key fails, and its challenge is spent. */
	memcpy(wrong, TEST_TK, sizeof wrong);
	wrong[15] ^= 1;
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, wrong, sizeof wrong,
					  SC_LABEL_TRANSPORT, NULL),
			 0x6982);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x6982);
	/* No challenge: conditions not satisfied; wrong P2 or length. */
	assert_int_equal(fx_sw(C, "8082000120" "0000000000000000000000000000000000000000000000000000000000000000"), 0x6985);
	assert_int_equal(fx_sw(C, "8082000220" "0000000000000000000000000000000000000000000000000000000000000000"), 0x6A86);
	assert_int_equal(fx_sw(C, "0084000010"), 0x9000);
	assert_int_equal(fx_sw(C, "808200010400000000"), 0x6700);
	/* The right key opens personalisation. */
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, TEST_TK, sizeof TEST_TK,
					  SC_LABEL_TRANSPORT, NULL), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x9000);
}

static void put_data_checks(void **state)
{
	(void)state;
	authed(2);
	assert_int_equal(fx_sw(C, "80DADF2007" "01020304050607"), 0x6700);  /* card id: 8 */
	assert_int_equal(fx_sw(C, "80DADF2920" "000102030405060708090A0B0C0D0E0F"
				  "101112131415161718191A1B1C1D1E1F"), 0x6700); /* wrapped: 40 */
	assert_int_equal(fx_sw(C, "80DADF2803" "313233"), 0x6700);          /* PIN too short */
	assert_int_equal(fx_sw(C, "80DADF2809" "313233343536373839"), 0x6700); /* too long */
	assert_int_equal(fx_sw(C, "80DADF2804" "3132333A"), 0x6A80);        /* not digits */
	assert_int_equal(fx_sw(C, "80DADF2503" "616263"), 0x6A80);          /* lowercase */
	assert_int_equal(fx_sw(C, "80DADF2503" "2D4142"), 0x6A80);          /* leading '-' */
	assert_int_equal(fx_sw(C, "80DADF2503" "410042"), 0x6A80);          /* embedded NUL */
	assert_int_equal(fx_sw(C, "80DADF9901" "00"), 0x6A86);              /* unknown tag */
	assert_int_equal(fx_sw(C, "80DADF2404" "31323334"), 0x6A86);        /* tries: read-only */
	/* Nothing was stored by the refused commands. */
	assert_int_equal(fx_sw(C, "00CADF2000"), 0x6A88);
	assert_int_equal(fx_sw(C, "00CADF2500"), 0x6A88);
	/* Secrets are write-only: no GET DATA tag for K_card or the PIN. */
	assert_int_equal(put_wrapped_kcard(), 0x9000);
	assert_int_equal(fx_sw(C, "00CADF2700"), 0x6A86);
	assert_int_equal(fx_sw(C, "00CADF2900"), 0x6A86);
	assert_int_equal(fx_sw(C, "00CADF2800"), 0x6A86);
}

static void issue_needs_everything(void **state)
{
	(void)state;
	authed(3);
	assert_int_equal(fx_sw(C, "80440000"), 0x6985);
	assert_int_equal(fx_sw(C, "80DADF2008" "0123456789ABCDEF"), 0x9000);
	assert_int_equal(put_wrapped_kcard(), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2804" "31323334"), 0x9000);
	assert_int_equal(fx_sw(C, "80440000"), 0x6985); /* no account, no key */
	assert_int_equal(fx_sw(C, "80DADF2505" "414C494345"), 0x9000);
	assert_int_equal(fx_sw(C, "80440000"), 0x6985); /* no key */
	assert_int_equal(fx_sw(C, "8047000100"), 0x6A86);
	assert_int_equal(fx_sw(C, "804700000100"), 0x6700);
	assert_int_equal(fx_sw(C, "8047000000"), 0x9000);
	assert_int_equal(fx_sw(C, "80440000"), 0x9000);
	assert_int_equal(fx_lifecycle(), 0x02);
}

/* A refused K_card: SW_SM_DATA_INCORRECT (or 6A86 for the clear form), no
 * byte of the flash written, the K_card held before still held. */
static void kcard_refused(const uint8_t tk[CARD_TRANSPORT_KEY_LEN], const uint8_t *apdu_data,
			  size_t n, uint16_t tag, int want_sw, const uint8_t held[SC_KCARD_LEN],
			  uint8_t have)
{
	static struct ram_flash before;
	uint8_t r[8];
	size_t rn;

	memcpy(&before, ram_hal_flash(&fx_hal), sizeof before);
	assert_int_equal(cc_transmit(&fx_core, C, 0x80, 0xDA, (uint8_t)(tag >> 8), (uint8_t)tag,
				     apdu_data, n, 0, r, sizeof r, &rn),
			 want_sw);
	assert_memory_equal(ram_hal_flash(&fx_hal), &before, sizeof before);
	assert_memory_equal(store_committed(&fx_core)->kcard, held, SC_KCARD_LEN);
	assert_int_equal(store_committed(&fx_core)->have & CORE_HAVE_KCARD, have);
	fx_reboot();
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_memory_equal(store_committed(&fx_core)->kcard, held, SC_KCARD_LEN);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, tk, CARD_TRANSPORT_KEY_LEN,
					  SC_LABEL_TRANSPORT, NULL), 0x9000);
}

/* §5.3's vectors on a card made with their transport key: the wrapped
 * K_card unwraps to K_card; another card's wrap, an altered wrap and the
 * clear form of version 1 are refused with nothing written. */
static void kcard_arrives_wrapped(void **state)
{
	uint8_t tk[CARD_TRANSPORT_KEY_LEN], k[SC_KCARD_LEN], apdu[5 + SC_KCARD_WRAPPED_LEN];
	uint8_t other[SC_KCARD_WRAPPED_LEN], bad[SC_KCARD_WRAPPED_LEN], none[SC_KCARD_LEN] = {0};
	uint8_t r[8];
	size_t rn;

	(void)state;
	assert_int_equal(doc_vector("kw.tk", tk, sizeof tk), (int)sizeof tk);
	assert_int_equal(doc_vector("kw.kcard", k, sizeof k), (int)sizeof k);
	assert_int_equal(doc_vector("kw.apdu.put_kcard", apdu, sizeof apdu), (int)sizeof apdu);
	assert_int_equal(doc_vector("kw.wrapped.other_tk", other, sizeof other),
			 (int)sizeof other);
	/* A card manufactured with the vectors' transport key. */
	ram_hal_attach(&fx_hal, NULL, 30);
	ram_hal_erase_all(&fx_hal);
	card_core_init(&fx_core, &fx_hal);
	assert_int_equal(card_factory_init(&fx_core, tk), 0);
	assert_int_equal(card_boot(&fx_core), 0);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, tk, sizeof tk,
					  SC_LABEL_TRANSPORT, NULL), 0x9000);

	/* Wrong KEK (wrapped for another card), before any K_card. */
	kcard_refused(tk, other, sizeof other, SC_TAG_KCARD_WRAPPED, 0x6988, none, 0);
	/* The clear form of version 1 is no tag any more. */
	kcard_refused(tk, k, sizeof k, SC_TAG_KCARD, 0x6A86, none, 0);

	/* The vector's APDU, byte for byte: K_card arrives. */
	assert_int_equal(cc_raw(&fx_core, C, apdu, sizeof apdu, r, sizeof r, &rn), 0x9000);
	assert_memory_equal(store_committed(&fx_core)->kcard, k, SC_KCARD_LEN);
	assert_int_equal(store_committed(&fx_core)->have & CORE_HAVE_KCARD, CORE_HAVE_KCARD);

	/* Tampered: each byte of the wrap altered in turn leaves it. */
	for (size_t i = 0; i < sizeof bad; i += 7) {
		memcpy(bad, apdu + 5, sizeof bad);
		bad[i] ^= 0x80;
		kcard_refused(tk, bad, sizeof bad, SC_TAG_KCARD_WRAPPED, 0x6988, k, CORE_HAVE_KCARD);
	}
	kcard_refused(tk, other, sizeof other, SC_TAG_KCARD_WRAPPED, 0x6988, k, CORE_HAVE_KCARD);
	kcard_refused(tk, apdu + 5, sizeof bad - 8, SC_TAG_KCARD_WRAPPED, 0x6700, k, CORE_HAVE_KCARD);
	/* The same wrap again is accepted: still the same K_card. */
	assert_int_equal(put_kcard_bytes(apdu + 5, SC_KCARD_WRAPPED_LEN), 0x9000);
	assert_memory_equal(store_committed(&fx_core)->kcard, k, SC_KCARD_LEN);
}

static void perso_refused_after_issue(void **state)
{
	uint8_t pub[SC_PUBKEY_LEN], r[128];
	size_t n;

	(void)state;
	fx_issued(4, pub);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	/* The transport key is gone: even its MAC no longer opens anything. */
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, TEST_TK, sizeof TEST_TK,
					  SC_LABEL_TRANSPORT, NULL), 0x6985);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x6985);
	assert_int_equal(fx_sw(C, "80DADF2804" "39393939"), 0x6985);
	assert_int_equal(fx_sw(C, "8047000000"), 0x6985);
	assert_int_equal(fx_sw(C, "80440000"), 0x6985);
	/* The key pair is unchanged, also after a reboot. */
	fx_reboot();
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(cc_get_data(&fx_core, C, SC_TAG_PUBKEY, r, sizeof r, &n), 0x9000);
	assert_int_equal(n, SC_PUBKEY_LEN);
	assert_memory_equal(r, pub, SC_PUBKEY_LEN);
}

/* 1 if the transport key's bytes stand anywhere in the card's flash. */
static int flash_holds_tk(void)
{
	const struct ram_flash *f = ram_hal_flash(&fx_hal);

	for (size_t i = 0; i + sizeof TEST_TK <= sizeof f->bytes; i++)
		if (memcmp(f->bytes + i, TEST_TK, sizeof TEST_TK) == 0)
			return 1;
	return 0;
}

/* Everything ISSUE needs, short of ISSUE itself. */
static void ready_to_issue(uint64_t seed)
{
	authed(seed);
	assert_int_equal(fx_sw(C, "80DADF2008" "0123456789ABCDEF"), 0x9000);
	assert_int_equal(put_wrapped_kcard(), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2804" "31323334"), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2505" "414C494345"), 0x9000);
	assert_int_equal(fx_sw(C, "8047000000"), 0x9000);
}

/* Older store records held the transport key (often shared by a batch of
 * cards) after ISSUE; now no byte of it is left on the flash, also when
 * power is cut at any write of ISSUE and the scrub after it. */
static void issue_leaves_no_transport_key_on_flash(void **state)
{
	unsigned long before, n, writes;

	(void)state;
	ready_to_issue(20);
	assert_true(flash_holds_tk());
	before = ram_hal_writes(&fx_hal);
	assert_int_equal(fx_sw(C, "80440000"), 0x9000);
	writes = ram_hal_writes(&fx_hal) - before;
	assert_true(writes >= 2); /* the commit, then the scrub */
	assert_false(flash_holds_tk());
	fx_reboot();
	assert_false(flash_holds_tk());
	assert_int_equal(fx_lifecycle(), 0x02);

	for (n = 1; n <= writes; n++) {
		for (int tear = RAM_HAL_CUT_BEFORE; tear <= RAM_HAL_CUT_AFTER; tear++) {
			uint8_t lc;

			ready_to_issue(20 + n);
			ram_hal_cut_at(&fx_hal, n, tear);
			(void)fx_sw(C, "80440000");
			assert_true(ram_hal_cut_happened(&fx_hal));
			fx_reboot();
			lc = fx_lifecycle();
			/* Old state or new, never a mix: personalising still
			 * (the ISSUE record was cut) or issued with no key left. */
			if (lc == 0x02)
				assert_false(flash_holds_tk());
			else
				assert_int_equal(lc, 0x01);
		}
	}
}

static void get_data_items(void **state)
{
	uint8_t pub[SC_PUBKEY_LEN], r[160];
	size_t n;

	(void)state;
	fx_issued(5, pub);
	assert_int_equal(pub[0], 0x04);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(cc_get_data(&fx_core, C, SC_TAG_CARD_ID, r, sizeof r, &n), 0x9000);
	assert_int_equal(n, 8);
	assert_memory_equal(r, TEST_CARD_ID, 8);
	assert_int_equal(cc_get_data(&fx_core, C, SC_TAG_ACCOUNT, r, sizeof r, &n), 0x9000);
	assert_int_equal(n, strlen(TEST_ACCOUNT));
	assert_memory_equal(r, TEST_ACCOUNT, n);
	assert_int_equal(cc_get_data(&fx_core, C, SC_TAG_ENROLMENT, r, sizeof r, &n), 0x9000);
	assert_int_equal(n, 8 + 65 + 1 + strlen(TEST_ACCOUNT));
	assert_memory_equal(r, TEST_CARD_ID, 8);
	assert_memory_equal(r + 8, pub, 65);
	assert_int_equal(r[73], strlen(TEST_ACCOUNT));
	assert_memory_equal(r + 74, TEST_ACCOUNT, strlen(TEST_ACCOUNT));
	assert_int_equal(fx_tries(), 3);
	assert_int_equal(fx_atc(), 0);
	assert_int_equal(fx_lifecycle(), 2);
}

static void two_cards_have_different_keys(void **state)
{
	uint8_t a[SC_PUBKEY_LEN], b[SC_PUBKEY_LEN];

	(void)state;
	fx_issued(6, a);
	fx_issued(7, b);
	assert_memory_not_equal(a, b, SC_PUBKEY_LEN);
}

static void block_card_is_final(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN], wrong[SC_KCARD_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;

	(void)state;
	fx_issued(8, NULL);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	memcpy(wrong, TEST_KCARD, sizeof wrong);
	wrong[0] ^= 0x80;
	assert_int_equal(cc_authenticated(&fx_core, C, 0x16, 0x00, wrong, sizeof wrong,
					  SC_LABEL_BLOCK, TEST_CARD_ID),
			 0x6982);
	/* An unblock MAC does not block (labels differ). */
	assert_int_equal(cc_authenticated(&fx_core, C, 0x16, 0x00, TEST_KCARD, sizeof TEST_KCARD,
					  SC_LABEL_UNBLOCK, TEST_CARD_ID), 0x6982);
	assert_int_equal(fx_lifecycle(), 2);
	/* A password on display when the issuer blocks the card goes away. */
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	card_field(&fx_core, C, 0);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_PASSWORD);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x16, 0x00, TEST_KCARD, sizeof TEST_KCARD,
					  SC_LABEL_BLOCK, TEST_CARD_ID), 0x9000);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_IDLE);
	assert_null(strstr(ram_hal_screen(&fx_hal)->qr, "SIGCARD1"));
	assert_int_equal(fx_lifecycle(), 3);
	fx_reboot();
	assert_int_equal(fx_lifecycle(), 3);
	fx_tx(&tx, SC_SCHEME_ENC);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	assert_int_equal(cc_sign(&fx_core, C, enc, n, &s), 0x6983);
	assert_int_equal(fx_atc(), 1);
	/* No way back: neither unblock nor perso. */
	assert_int_equal(cc_authenticated(&fx_core, C, 0x2C, 0x00, TEST_KCARD, sizeof TEST_KCARD,
					  SC_LABEL_UNBLOCK, TEST_CARD_ID), 0x6985);
	assert_int_equal(fx_sw(C, "8047000000"), 0x6985);
	assert_int_equal(fx_atc(), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(perso_needs_transport_key),
		cmocka_unit_test(put_data_checks),
		cmocka_unit_test(issue_needs_everything),
		cmocka_unit_test(kcard_arrives_wrapped),
		cmocka_unit_test(perso_refused_after_issue),
		cmocka_unit_test(issue_leaves_no_transport_key_on_flash),
		cmocka_unit_test(get_data_items),
		cmocka_unit_test(two_cards_have_different_keys),
		cmocka_unit_test(block_card_is_final),
	};
	return RUN_TESTS("card perso", tests, argc, argv);
}
