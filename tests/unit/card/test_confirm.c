/* Claim 7 on the card: the review screen after the card leaves the reader,
 * PIN entry on the keypad (counter decremented before the comparison,
 * blocked at 3, the issuer's unblock), the password screen and QR, GET
 * JOINT PASSWORD's rules, and every way the pending signature is voided. */
#include <stdio.h>
#include <string.h>

#include "card_test.h"

#define C CARD_IFACE_CONTACT
#define CL CARD_IFACE_CONTACTLESS
#define SELECT "00A4040009F05349474341524401"

static const struct card_screen *scr(void)
{
	/* What the core shows and what it pushed to the HAL must agree. */
	assert_memory_equal(ram_hal_screen(&fx_hal), ram_hal_screen(&fx_hal),
			    sizeof(struct card_screen));
	return ram_hal_screen(&fx_hal);
}

/* An issued card that has signed one enc transaction and left the reader. */
static void signed_and_off(uint64_t seed, struct sc_sign_resp *s)
{
	struct sc_tx tx;

	fx_issued(seed, NULL);
	fx_sign(SC_SCHEME_ENC, &tx, s);
	assert_int_equal(scr()->id, CARD_SCREEN_ON_READER);
	card_field(&fx_core, C, 0);
}

static int get_jp(enum card_iface iface, char jp[9])
{
	uint8_t r[16];
	size_t n;
	int sw;

	card_field(&fx_core, iface, 1);
	assert_int_equal(fx_sw(iface, SELECT), 0x9000);
	sw = fx_hex(iface, "804A000008", r, sizeof r, &n);
	if (sw == 0x9000) {
		assert_int_equal(n, 8);
		memcpy(jp, r, 8);
		jp[8] = '\0';
	}
	return sw;
}

static void review_shows_the_transaction(void **state)
{
	struct sc_tx tx;
	struct sc_sign_resp s;

	(void)state;
	fx_issued(1, NULL);
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	/* On the reader the keypad does nothing. */
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_ON_READER);
	card_field(&fx_core, C, 0);
	assert_int_equal(scr()->id, CARD_SCREEN_REVIEW);
	assert_string_equal(scr()->title, "Confirm payment");
	assert_string_equal(scr()->lines[0], "12.34 EUR");
	assert_string_equal(scr()->lines[1], "Café Müller");
	assert_string_equal(scr()->lines[2], "To: FR1420041010050500013M02606");
	assert_string_equal(scr()->lines[3], "From: " TEST_ACCOUNT);
	assert_string_equal(scr()->lines[4], "PIN: ");
	assert_string_equal(scr()->qr, "");
	cc_keys(&fx_core, "12");
	assert_string_equal(scr()->lines[4], "PIN: **");
	cc_keys(&fx_core, "B");
	assert_string_equal(scr()->lines[4], "PIN: *");
	cc_keys(&fx_core, "BBB34567890");
	assert_string_equal(scr()->lines[4], "PIN: ********"); /* at most 8 digits */
	/* OK with fewer than 4 digits is not a try. */
	cc_keys(&fx_core, "BBBBBBBB12K");
	assert_int_equal(scr()->id, CARD_SCREEN_REVIEW);
	assert_int_equal(fx_tries(), 3);
}

static void right_pin_shows_password_and_qr(void **state)
{
	struct sc_sign_resp s;
	char want[128];

	(void)state;
	signed_and_off(2, &s);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	assert_int_equal(strlen(scr()->lines[0]), 8);
	assert_string_equal(scr()->lines[1], "12.34 EUR");
	snprintf(want, sizeof want, "SIGCARD1:0123456789abcdef:1:%s", scr()->lines[0]);
	assert_string_equal(scr()->qr, want);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC, TEST_KCARD, scr()->lines[0], s.x, s.x_len), 0);
	/* OK dismisses it, and the password is gone. */
	cc_keys(&fx_core, "K");
	assert_int_equal(scr()->id, CARD_SCREEN_IDLE);
	assert_null(strstr(scr()->qr, "SIGCARD1"));
}

static void wrong_pin_then_right(void **state)
{
	struct sc_sign_resp s;

	(void)state;
	signed_and_off(3, &s);
	cc_keys(&fx_core, "9999K");
	assert_int_equal(scr()->id, CARD_SCREEN_PIN_WRONG);
	assert_string_equal(scr()->lines[5], "2 tries left");
	assert_string_equal(scr()->lines[4], "PIN: ");
	cc_keys(&fx_core, "12345K"); /* a longer PIN sharing the prefix is wrong too */
	assert_int_equal(scr()->id, CARD_SCREEN_PIN_WRONG);
	assert_string_equal(scr()->lines[5], "1 try left");
	cc_keys(&fx_core, TEST_PIN);
	assert_int_equal(scr()->id, CARD_SCREEN_REVIEW);
	cc_keys(&fx_core, "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	assert_int_equal(fx_tries(), 3); /* a right PIN restores the counter */
}

static void three_wrong_block_until_issuer_unblocks(void **state)
{
	struct sc_tx tx;
	struct sc_sign_resp s;
	uint8_t enc[SC_TX_MAX_LEN], wrong[SC_KCARD_LEN];
	char jp[9];
	size_t n;

	(void)state;
	signed_and_off(4, &s);
	cc_keys(&fx_core, "0000K1111K");
	assert_int_equal(scr()->id, CARD_SCREEN_PIN_WRONG);
	cc_keys(&fx_core, "2222K");
	assert_int_equal(scr()->id, CARD_SCREEN_PIN_BLOCKED);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, CL, 0);
	/* Even the right PIN does nothing now, and nothing can be signed. */
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_IDLE);
	fx_reboot();
	assert_int_equal(fx_tries(), 0);
	fx_tx(&tx, SC_SCHEME_ENC);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	assert_int_equal(cc_sign(&fx_core, C, enc, n, &s), 0x6983);
	assert_int_equal(fx_atc(), 1);

	/* The issuer's unblock: a MAC under K_card over a fresh challenge. */
	memcpy(wrong, TEST_KCARD, sizeof wrong);
	wrong[31] ^= 1;
	assert_int_equal(cc_authenticated(&fx_core, C, 0x2C, 0x00, wrong, sizeof wrong,
					  SC_LABEL_UNBLOCK, TEST_CARD_ID),
			 0x6982);
	assert_int_equal(fx_sw(C, "802C000020" "0000000000000000000000000000000000000000000000000000000000000000"), 0x6985);
	assert_int_equal(fx_tries(), 0);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x2C, 0x00, TEST_KCARD, sizeof TEST_KCARD,
					  SC_LABEL_UNBLOCK, TEST_CARD_ID), 0x9000);
	assert_int_equal(fx_tries(), 3);
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	assert_int_equal(s.atc, 2);
	card_field(&fx_core, C, 0);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
}

static void pin_counter_committed_before_compare(void **state)
{
	struct sc_tx tx;
	struct sc_sign_resp s;
	char jp[9];

	(void)state;
	/* Cut the decrement itself: no comparison happens, no password. */
	signed_and_off(5, &s);
	cc_keys(&fx_core, TEST_PIN);
	ram_hal_cut_at(&fx_hal, 1, 0);
	cc_keys(&fx_core, "K");
	assert_true(ram_hal_cut_happened(&fx_hal));
	assert_int_not_equal(scr()->id, CARD_SCREEN_PASSWORD);
	fx_reboot();
	assert_int_equal(fx_tries(), 3);
	assert_int_equal(get_jp(CL, jp), 0x6984);

	/* Cut the write that restores the counter after a match: the
	 * decrement was already on flash, and the password never shows. */
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	card_field(&fx_core, C, 0);
	cc_keys(&fx_core, TEST_PIN);
	ram_hal_cut_at(&fx_hal, 2, 0);
	cc_keys(&fx_core, "K");
	assert_true(ram_hal_cut_happened(&fx_hal));
	assert_int_not_equal(scr()->id, CARD_SCREEN_PASSWORD);
	fx_reboot();
	assert_int_equal(fx_tries(), 2);
	assert_int_equal(get_jp(CL, jp), 0x6984);
}

static void cancel_voids(void **state)
{
	struct sc_sign_resp s;
	char jp[9];

	(void)state;
	signed_and_off(6, &s);
	cc_keys(&fx_core, "12C");
	assert_int_equal(scr()->id, CARD_SCREEN_CANCELLED);
	cc_keys(&fx_core, TEST_PIN "K"); /* too late: nothing pending */
	assert_int_equal(scr()->id, CARD_SCREEN_IDLE);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	assert_int_equal(fx_tries(), 3);
}

static void timeout_voids(void **state)
{
	struct sc_sign_resp s;
	char jp[9];

	(void)state;
	signed_and_off(7, &s);
	ram_hal_advance(&fx_hal, 59999);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_REVIEW);
	cc_keys(&fx_core, "1"); /* a key restarts the clock */
	ram_hal_advance(&fx_hal, 59999);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_REVIEW);
	ram_hal_advance(&fx_hal, 1);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_TIMEOUT);
	cc_keys(&fx_core, "234K");
	assert_int_not_equal(scr()->id, CARD_SCREEN_PASSWORD);
	assert_int_equal(get_jp(CL, jp), 0x6984);
}

static void password_display_times_out(void **state)
{
	struct sc_sign_resp s;
	char jp[9];

	(void)state;
	signed_and_off(8, &s);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	ram_hal_advance(&fx_hal, 60000);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_IDLE);
	assert_int_equal(get_jp(CL, jp), 0x6984);
}

/* The board's setting shortens both windows, and bad values are refused. */
static void confirm_timeout_is_settable(void **state)
{
	struct sc_sign_resp s;
	struct sc_tx tx;
	char jp[9];

	(void)state;
	signed_and_off(9, &s);
	assert_int_equal(card_set_confirm_timeout(&fx_core, CARD_CONFIRM_TIMEOUT_MIN_MS - 1), -1);
	assert_int_equal(card_set_confirm_timeout(&fx_core, CARD_CONFIRM_TIMEOUT_MAX_MS + 1), -1);
	assert_int_equal(card_set_confirm_timeout(&fx_core, 2000), 0);
	ram_hal_advance(&fx_hal, 1999);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_REVIEW);
	ram_hal_advance(&fx_hal, 1);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_TIMEOUT);
	assert_int_equal(get_jp(CL, jp), 0x6984);

	/* A setting of the board: a restart of the card keeps it. */
	fx_issued(10, NULL);
	assert_int_equal(card_set_confirm_timeout(&fx_core, 2000), 0);
	fx_reboot();
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	card_field(&fx_core, C, 0);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	ram_hal_advance(&fx_hal, 2000);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_IDLE);
	assert_int_equal(card_set_confirm_timeout(&fx_core, CARD_CONFIRM_TIMEOUT_DEFAULT_MS), 0);
}

static void get_jp_rules(void **state)
{
	struct sc_sign_resp s;
	char jp[9], shown[9];

	(void)state;
	signed_and_off(9, &s);
	/* Before confirmation: refused on both interfaces. */
	assert_int_equal(get_jp(CL, jp), 0x6985);
	card_field(&fx_core, CL, 0);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	memcpy(shown, scr()->lines[0], sizeof shown);
	/* Contact: refused, even after confirmation. */
	assert_int_equal(get_jp(C, jp), 0x6985);
	card_field(&fx_core, C, 0);
	/* Contactless: once. */
	assert_int_equal(get_jp(CL, jp), 0x9000);
	assert_string_equal(jp, shown);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC, TEST_KCARD, jp, s.x, s.x_len), 0);
	assert_int_equal(scr()->id, CARD_SCREEN_RELEASED);
	assert_int_equal(get_jp(CL, jp), 0x6984); /* read once: void for good */
	card_field(&fx_core, CL, 0);
	assert_int_equal(get_jp(C, jp), 0x6985);  /* contact: never, whatever the state */
}

static void new_sign_voids_pending(void **state)
{
	struct sc_tx tx;
	struct sc_sign_resp s, s2;
	char jp[9];

	(void)state;
	signed_and_off(10, &s);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	fx_sign(SC_SCHEME_ENC, &tx, &s2);
	assert_int_equal(s2.atc, 2);
	assert_int_equal(scr()->id, CARD_SCREEN_ON_READER);
	assert_int_equal(get_jp(CL, jp), 0x6985);
	/* And the new one is confirmed on its own. */
	card_field(&fx_core, C, 0);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC, TEST_KCARD, scr()->lines[0], s2.x, s2.x_len), 0);
}

static void power_cut_voids(void **state)
{
	struct sc_sign_resp s;
	char jp[9];

	(void)state;
	signed_and_off(11, &s);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(scr()->id, CARD_SCREEN_PASSWORD);
	fx_reboot();
	assert_int_equal(scr()->id, CARD_SCREEN_IDLE);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, C, 0);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_not_equal(scr()->id, CARD_SCREEN_PASSWORD);
}

/* 6985 means "ask again": the holder may still confirm this signature. */
static void pending_answers_6985(void **state)
{
	struct sc_tx tx;
	struct sc_sign_resp s;
	char jp[9];

	(void)state;
	/* Nothing ever signed: no password was voided either. */
	fx_issued(20, NULL);
	assert_int_equal(get_jp(CL, jp), 0x6985);
	card_field(&fx_core, CL, 0);
	/* Signed, still on the reader. */
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	assert_int_equal(scr()->id, CARD_SCREEN_ON_READER);
	assert_int_equal(get_jp(CL, jp), 0x6985);
	card_field(&fx_core, CL, 0);
	/* Off the reader, under review, PIN half typed. */
	card_field(&fx_core, C, 0);
	cc_keys(&fx_core, "12");
	assert_int_equal(get_jp(CL, jp), 0x6985);
	card_field(&fx_core, CL, 0);
	/* Two wrong PINs: one try left, still the holder's to confirm. */
	cc_keys(&fx_core, "BB0000K1111K");
	assert_int_equal(scr()->id, CARD_SCREEN_PIN_WRONG);
	assert_int_equal(get_jp(CL, jp), 0x6985);
	card_field(&fx_core, CL, 0);
	/* And that same signature is then released after all. */
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(get_jp(CL, jp), 0x9000);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC, TEST_KCARD, jp, s.x, s.x_len), 0);
}

/* 6984 means "stop asking": each way a signature's password is voided. */
static void every_void_answers_6984(void **state)
{
	struct sc_tx tx;
	struct sc_sign_resp s;
	char jp[9], want[SC_VOID_QR_MAX + 1];

	(void)state;
	/* Cancel at once, before any digit. */
	signed_and_off(21, &s);
	cc_keys(&fx_core, "C");
	assert_int_equal(scr()->id, CARD_SCREEN_CANCELLED);
	/* Each void screen says so in a QR code, for a terminal that scans. */
	snprintf(want, sizeof want, "SIGVOID1:0123456789abcdef:%u:cancelled", s.atc);
	assert_string_equal(scr()->qr, want);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	assert_int_equal(get_jp(CL, jp), 0x6984); /* and stays so */
	card_field(&fx_core, CL, 0);
	/* Confirmation timeout. */
	signed_and_off(22, &s);
	ram_hal_advance(&fx_hal, CARD_CONFIRM_TIMEOUT_DEFAULT_MS);
	card_poll(&fx_core);
	assert_int_equal(scr()->id, CARD_SCREEN_TIMEOUT);
	snprintf(want, sizeof want, "SIGVOID1:0123456789abcdef:%u:timeout", s.atc);
	assert_string_equal(scr()->qr, want);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, CL, 0);
	/* Three wrong PINs. */
	signed_and_off(23, &s);
	cc_keys(&fx_core, "0000K1111K2222K");
	assert_int_equal(scr()->id, CARD_SCREEN_PIN_BLOCKED);
	snprintf(want, sizeof want, "SIGVOID1:0123456789abcdef:%u:pin-blocked", s.atc);
	assert_string_equal(scr()->qr, want);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, CL, 0);
	/* The holder dismissed the password screen without a read. */
	signed_and_off(24, &s);
	cc_keys(&fx_core, TEST_PIN "KC");
	assert_int_equal(scr()->id, CARD_SCREEN_IDLE);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, CL, 0);
	/* Released once already. */
	signed_and_off(25, &s);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(get_jp(CL, jp), 0x9000);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, CL, 0);
	/* The issuer blocked the card while it was under review. */
	signed_and_off(26, &s);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x16, 0x00, TEST_KCARD, sizeof TEST_KCARD,
					  SC_LABEL_BLOCK, TEST_CARD_ID), 0x9000);
	card_field(&fx_core, C, 0);
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, CL, 0);
	/* Power lost under review: the JP lived only in RAM. */
	signed_and_off(27, &s);
	cc_keys(&fx_core, "12");
	fx_reboot();
	assert_int_equal(get_jp(CL, jp), 0x6984);
	card_field(&fx_core, CL, 0);
	/* The void is only the old signature's: a new SIGN is pending again. */
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	assert_int_equal(get_jp(CL, jp), 0x6985);
}

static void contactless_sign_and_read(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN];
	struct sc_tx tx;
	struct sc_sign_resp s;
	char jp[9];
	size_t n;

	(void)state;
	fx_issued(12, NULL);
	fx_tx(&tx, SC_SCHEME_ENC_DIGEST);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	card_field(&fx_core, CL, 1);
	assert_int_equal(fx_sw(CL, SELECT), 0x9000);
	assert_int_equal(cc_sign(&fx_core, CL, enc, n, &s), 0x9000);
	/* The contact field going off is not this card leaving the reader. */
	card_field(&fx_core, C, 0);
	assert_int_equal(scr()->id, CARD_SCREEN_ON_READER);
	card_field(&fx_core, CL, 0);
	assert_int_equal(scr()->id, CARD_SCREEN_REVIEW);
	cc_keys(&fx_core, TEST_PIN "K");
	assert_int_equal(get_jp(CL, jp), 0x9000);
	assert_int_equal(sc_jp_check(SC_SCHEME_ENC_DIGEST, TEST_KCARD, jp, s.x, s.x_len), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(review_shows_the_transaction),
		cmocka_unit_test(right_pin_shows_password_and_qr),
		cmocka_unit_test(wrong_pin_then_right),
		cmocka_unit_test(three_wrong_block_until_issuer_unblocks),
		cmocka_unit_test(pin_counter_committed_before_compare),
		cmocka_unit_test(cancel_voids),
		cmocka_unit_test(timeout_voids),
		cmocka_unit_test(password_display_times_out),
		cmocka_unit_test(confirm_timeout_is_settable),
		cmocka_unit_test(get_jp_rules),
		cmocka_unit_test(new_sign_voids_pending),
		cmocka_unit_test(power_cut_voids),
		cmocka_unit_test(pending_answers_6985),
		cmocka_unit_test(every_void_answers_6984),
		cmocka_unit_test(contactless_sign_and_read),
	};
	return RUN_TESTS("card confirm", tests, argc, argv);
}
