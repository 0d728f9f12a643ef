/* RESET RETRY COUNTER as the issuer-script path delivers it (docs/PROTOCOL.md
 * §6 "Issuer scripts"): the command built by common/issuer_script.c for
 * the card's challenge unblocks a blocked PIN; a replayed script, a MAC for
 * another card id or a wrong MAC is refused and changes nothing on flash
 * (the store's sequence number stays), and spends the challenge. */
#include <string.h>

#include "card_test.h"
#include "card/core/core.h"
#include "common/issuer_script.h"
#include "common/sw.h"
#include "mbedtls/md.h"

#define C CARD_IFACE_CONTACT

/* An issued card whose PIN is blocked, on the contact reader, selected. */
static void blocked_card(uint64_t seed)
{
	fx_issued(seed, NULL);
	card_field(&fx_core, C, 1);
	store_begin(&fx_core)->pin_tries = 0;
	assert_int_equal(core_commit(&fx_core), 0);
	assert_int_equal(fx_tries(), 0);
}

/* GET CHALLENGE on the selected applet: the challenge into r. */
static void challenge(struct sc_script_ref *r, const uint8_t card_id[SC_CARD_ID_LEN])
{
	size_t n = 0;

	assert_int_equal(cc_select(&fx_core, C), 0x9000);
	assert_int_equal(cc_transmit(&fx_core, C, SC_CLA_ISO, SC_INS_GET_CHALLENGE, 0, 0, NULL, 0,
				     SC_CARD_CHALLENGE_LEN, r->challenge, sizeof r->challenge, &n),
			 0x9000);
	assert_int_equal(n, SC_CARD_CHALLENGE_LEN);
	memcpy(r->card_id, card_id, SC_CARD_ID_LEN);
}

/* The script the server would send for r under key. */
static void script(uint8_t apdu[SC_UNBLOCK_APDU_LEN], const struct sc_script_ref *r,
		   const uint8_t key[SC_KCARD_LEN])
{
	uint8_t msg[SC_UNBLOCK_MSG_LEN], mac[SC_ISSUER_MAC_LEN];

	sc_unblock_mac_input(msg, r);
	assert_int_equal(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key,
					 SC_KCARD_LEN, msg, sizeof msg, mac), 0);
	sc_unblock_apdu(apdu, mac);
}

static int send(const uint8_t apdu[SC_UNBLOCK_APDU_LEN])
{
	uint8_t resp[8];
	size_t n = 0;

	return cc_raw(&fx_core, C, apdu, SC_UNBLOCK_APDU_LEN, resp, sizeof resp, &n);
}

static void script_unblocks_and_is_good_once(void **state)
{
	struct sc_script_ref r;
	uint8_t apdu[SC_UNBLOCK_APDU_LEN];
	uint32_t seq;

	(void)state;
	blocked_card(21);
	challenge(&r, TEST_CARD_ID);
	script(apdu, &r, TEST_KCARD);
	assert_int_equal(send(apdu), 0x9000);
	/* replayed in the same session: its challenge is gone */
	seq = store_seq(&fx_core);
	assert_int_equal(send(apdu), SW_CONDITIONS_NOT_SATISFIED);
	assert_int_equal(store_seq(&fx_core), seq);
	assert_int_equal(fx_tries(), 3);

	/* blocked again, the captured script is worth nothing */
	store_begin(&fx_core)->pin_tries = 0;
	assert_int_equal(core_commit(&fx_core), 0);
	seq = store_seq(&fx_core);
	challenge(&r, TEST_CARD_ID);
	assert_int_equal(send(apdu), SW_SECURITY_STATUS_NOT_SATISFIED);
	assert_int_equal(send(apdu), SW_CONDITIONS_NOT_SATISFIED);
	assert_int_equal(store_seq(&fx_core), seq);
	assert_int_equal(fx_tries(), 0);
}

static void script_for_another_card_refused(void **state)
{
	static const uint8_t other[SC_CARD_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct sc_script_ref r;
	uint8_t apdu[SC_UNBLOCK_APDU_LEN];
	uint32_t seq;

	(void)state;
	blocked_card(22);
	seq = store_seq(&fx_core);
	challenge(&r, other);
	script(apdu, &r, TEST_KCARD);
	assert_int_equal(send(apdu), SW_SECURITY_STATUS_NOT_SATISFIED);
	/* the right script for the same challenge comes too late */
	memcpy(r.card_id, TEST_CARD_ID, SC_CARD_ID_LEN);
	script(apdu, &r, TEST_KCARD);
	assert_int_equal(send(apdu), SW_CONDITIONS_NOT_SATISFIED);
	assert_int_equal(store_seq(&fx_core), seq);
	assert_int_equal(fx_tries(), 0);
}

/* A MAC wrong in its first byte or its last: both refused the same way
 * (the comparison is sc_ct_equal over all 32 bytes, common/ct.c). */
static void wrong_mac_refused_at_either_end(void **state)
{
	struct sc_script_ref r;
	uint8_t apdu[SC_UNBLOCK_APDU_LEN];
	uint32_t seq;

	(void)state;
	blocked_card(23);
	seq = store_seq(&fx_core);
	for (size_t at = 5; at < SC_UNBLOCK_APDU_LEN; at += SC_ISSUER_MAC_LEN - 1u) {
		challenge(&r, TEST_CARD_ID);
		script(apdu, &r, TEST_KCARD);
		apdu[at] ^= 0x01;
		assert_int_equal(send(apdu), SW_SECURITY_STATUS_NOT_SATISFIED);
	}
	assert_int_equal(store_seq(&fx_core), seq);
	assert_int_equal(fx_tries(), 0);
	/* and a fresh, right one still works */
	challenge(&r, TEST_CARD_ID);
	script(apdu, &r, TEST_KCARD);
	assert_int_equal(send(apdu), 0x9000);
	assert_int_equal(fx_tries(), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(script_unblocks_and_is_good_once),
		cmocka_unit_test(script_for_another_card_refused),
		cmocka_unit_test(wrong_mac_refused_at_either_end),
	};

	return cmocka_run_group_tests_name("card PIN unblock by issuer script", tests, NULL, NULL);
}
