/* A refused command changes nothing (docs/PROTOCOL.md §5.1-5.2): every
 * command of the applet, sent in each malformed form (wrong CLA, wrong
 * P1-P2, wrong Lc or data, missing Le, a chain left incomplete, the wrong
 * lifecycle state, the wrong interface), to a card on which the well-formed
 * command would act. After each one the flash image is byte for byte what
 * it was, the RAM HAL counted no flash write, and the screen (the
 * confirmation's face) was not redrawn; at the end the ATC is unchanged and
 * the pending signature still confirms with its own ATC. */
#include <stdio.h>
#include <string.h>

#include "card_test.h"
#include "common/applet.h"
#include "common/hex.h"

#define C CARD_IFACE_CONTACT
#define CL CARD_IFACE_CONTACTLESS
#define SELECT "00A4040009F05349474341524401"
#define ZERO16 "00000000000000000000000000000000"
#define ZERO31 "000000000000000000000000000000" ZERO16
#define ZERO32 ZERO16 ZERO16

/* What a refused command must leave as it was. */
struct witness {
	struct ram_flash flash;
	unsigned long writes;
	unsigned long screens;
	uint8_t screen_id;
};

static void take(struct witness *w)
{
	memcpy(&w->flash, ram_hal_flash(&fx_hal), sizeof w->flash);
	w->writes = ram_hal_writes(&fx_hal);
	w->screens = ram_hal_screen_count(&fx_hal);
	w->screen_id = ram_hal_screen(&fx_hal)->id;
}

static void unchanged(const struct witness *w, const char *form)
{
	if (ram_hal_writes(&fx_hal) != w->writes)
		fail_msg("%s: %lu flash writes", form, ram_hal_writes(&fx_hal) - w->writes);
	if (memcmp(&w->flash, ram_hal_flash(&fx_hal), sizeof w->flash) != 0)
		fail_msg("%s: the flash image changed", form);
	if (ram_hal_screen_count(&fx_hal) != w->screens ||
	    ram_hal_screen(&fx_hal)->id != w->screen_id)
		fail_msg("%s: the screen changed (confirmation state)", form);
}

/* One malformed form: sent on iface, it must get want (and change nothing).
 * A chain link (want 9000 with the chaining bit) is then left incomplete:
 * the next command, another INS, drops it with 6883. */
struct form {
	enum card_iface iface;
	const char *hex;   /* "TX" stands for the sample transaction's encoding */
	int want;
	const char *why;
};

static char tx_hex[2 + 2 * SC_TX_MAX_LEN + 1];

/* TX: Lc (one byte) and the encoding, in hex. */
static void set_tx(const uint8_t *enc, size_t n)
{
	assert_true(n <= 255);
	snprintf(tx_hex, 3, "%02zX", n);
	sc_hex_encode(tx_hex + 2, enc, n);
}

/* form->hex with TX expanded, the length byte written as "LL" computed. */
static void expand(const char *in, char *out, size_t cap)
{
	const char *at = strstr(in, "TX");

	if (at == NULL) {
		snprintf(out, cap, "%s", in);
		return;
	}
	snprintf(out, cap, "%.*s%s%s", (int)(at - in), in, tx_hex, at + 2);
}

static void try_forms(const struct form *forms, size_t n, void (*before)(void))
{
	struct witness w;
	char hex[2 * SC_TX_MAX_LEN + 128], name[128];

	for (size_t i = 0; i < n; i++) {
		const struct form *f = &forms[i];
		int sw;

		if (before != NULL)
			before();
		expand(f->hex, hex, sizeof hex);
		snprintf(name, sizeof name, "%s (%.24s...)", f->why, f->hex);
		take(&w);
		sw = fx_sw(f->iface, hex);
		if (sw != f->want)
			fail_msg("%s: SW %04X, want %04X", name, (unsigned)sw, (unsigned)f->want);
		if (sw == 0x9000) /* a chain link: leave it incomplete */
			assert_int_equal(fx_sw(f->iface, "00CADF2300"), 0x6883);
		else
			assert_true(sw != 0x9000 && (sw & 0xFF00) != 0x6100);
		unchanged(&w, name);
	}
}

/* Personalised but not issued: PUT DATA, GENERATE KEY PAIR and ISSUE would
 * all write, once the transport key is proven in this session. */
static void authenticate(void)
{
	assert_int_equal(cc_authenticated(&fx_core, C, SC_INS_EXTERNAL_AUTHENTICATE,
					  SC_P2_TRANSPORT_KEY, TEST_TK, CARD_TRANSPORT_KEY_LEN,
					  SC_LABEL_TRANSPORT, NULL),
			 0x9000);
}

static void personalising_card(void **state)
{
	static const struct form forms[] = {
		{C, "80", 0x6700, "one byte"},
		{C, "80DA", 0x6700, "two bytes"},
		/* GET CHALLENGE */
		{C, "00840000", 0x6700, "GET CHALLENGE without Le"},
		{C, "0084000008", 0x6700, "GET CHALLENGE Le < 16"},
		{C, "0084010010", 0x6A86, "GET CHALLENGE P1"},
		{C, "8084000010", 0x6E00, "GET CHALLENGE proprietary class"},
		{C, "0084000001AA10", 0x6700, "GET CHALLENGE with data"},
		{C, "0184000010", 0x6881, "GET CHALLENGE channel 1"},
		/* GET DATA */
		{C, "00CADF23", 0x6700, "GET DATA without Le"},
		{C, "00CADF2301AA", 0x6700, "GET DATA with data, no Le"},
		{C, "00CADF9900", 0x6A86, "GET DATA unknown tag"},
		{C, "80CADF2300", 0x6E00, "GET DATA proprietary class"},
		{C, "0CCADF2300", 0x6882, "GET DATA secure messaging"},
		/* EXTERNAL AUTHENTICATE */
		{C, "80820001", 0x6700, "EXTERNAL AUTHENTICATE without data"},
		{C, "8082000220" ZERO32, 0x6A86, "EXTERNAL AUTHENTICATE P2"},
		{C, "0082000120" ZERO32, 0x6E00, "EXTERNAL AUTHENTICATE class 00"},
		{C, "808200011F" ZERO32, 0x6700, "EXTERNAL AUTHENTICATE Lc/data mismatch"},
		/* PUT DATA */
		{C, "80DADF2008" "01020304050607", 0x6700, "PUT DATA Lc/data mismatch"},
		{C, "80DADF2007" "01020304050607", 0x6700, "PUT DATA card id of 7"},
		{C, "80DADF20", 0x6700, "PUT DATA without data"},
		{C, "80DADF9901" "00", 0x6A86, "PUT DATA unknown tag"},
		{C, "00DADF2008" "0102030405060708", 0x6E00, "PUT DATA class 00"},
		{C, "80DADF2804" "3132333A", 0x6A80, "PUT DATA PIN not digits"},
		{C, "80DADF2503" "616263", 0x6A80, "PUT DATA account lowercase"},
		{C, "90DADF2008" "0102030405060708", 0x9000, "PUT DATA chain left incomplete"},
		{CL, "80DADF2008" "0102030405060708", 0x6D00, "PUT DATA contactless, nothing selected"},
		/* GENERATE KEY PAIR */
		{C, "80470000", 0x6700, "GENERATE KEY PAIR without Le"},
		{C, "8047000100", 0x6A86, "GENERATE KEY PAIR P2"},
		{C, "0047000000", 0x6E00, "GENERATE KEY PAIR class 00"},
		{C, "804700000100", 0x6700, "GENERATE KEY PAIR with data, no Le"},
		{C, "80470000010000", 0x6700, "GENERATE KEY PAIR with data"},
		{C, "9047000001AA", 0x9000, "GENERATE KEY PAIR chain left incomplete"},
		/* ISSUE */
		{C, "8044000001AA", 0x6700, "ISSUE with data"},
		{C, "80440100", 0x6A86, "ISSUE P1"},
		{C, "00440000", 0x6E00, "ISSUE class 00"},
		{C, "9044000001AA", 0x9000, "ISSUE chain left incomplete"},
		/* The issued card's commands, in the wrong lifecycle state */
		{C, "802A0000TX00", 0x6985, "SIGN before ISSUE"},
		{C, "802C000020" ZERO32, 0x6985, "RESET RETRY COUNTER before ISSUE"},
		{C, "8016000020" ZERO32, 0x6985, "BLOCK CARD before ISSUE"},
		{C, "804A000008", 0x6985, "GET JOINT PASSWORD contact, before ISSUE"},
		/* SELECT */
		{C, "00A4050009F05349474341524401", 0x6A86, "SELECT P1"},
		{C, "00A40400", 0x6700, "SELECT without AID"},
		{C, "10A4040009F05349474341524401", 0x6884, "SELECT chained"},
	};
	struct sc_tx tx;
	uint8_t enc[SC_TX_MAX_LEN];

	(void)state;
	fx_tx(&tx, SC_SCHEME_ENC);
	set_tx(enc, fx_tx_encode(&tx, enc, sizeof enc));
	fx_personalised(40, 0, NULL);
	try_forms(forms, sizeof forms / sizeof forms[0], authenticate);
	/* The well-formed command still acts: the refusals were for the form. */
	authenticate();
	assert_int_equal(fx_sw(C, "8047000000"), 0x9000);
	assert_int_equal(fx_lifecycle(), SC_LIFECYCLE_PERSONALISING);
	assert_int_equal(fx_atc(), 0);
}

/* EXTERNAL AUTHENTICATE with a MAC of the wrong length is refused for its
 * form and leaves the session's transport authentication standing. */
static void external_auth_wrong_length_keeps_the_session(void **state)
{
	(void)state;
	fx_manufacture(43);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	authenticate();
	assert_int_equal(fx_sw(C, "0084000010"), 0x9000);
	assert_int_equal(fx_sw(C, "808200011F" ZERO31), 0x6700);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x9000);
}

/* An issued card with a signature pending (on the reader, ATC 1). */
static void issued_card_with_pending_signature(void **state)
{
	static const struct form forms[] = {
		/* SIGN TRANSACTION */
		{C, "802A0100TX00", 0x6A86, "SIGN P1"},
		{C, "002A0000TX00", 0x6E00, "SIGN class 00"},
		{C, "812A0000TX00", 0x6881, "SIGN channel 1"},
		{C, "842A0000TX00", 0x6882, "SIGN secure messaging"},
		{C, "802A000000", 0x6700, "SIGN without data"},
		{C, "802A0000", 0x6700, "SIGN case 1"},
		{C, "802A0000FF" "00", 0x6700, "SIGN Lc beyond the data"},
		{C, "802A0000TXAA00", 0x6700, "SIGN one byte more than Lc"},
		{C, "902A0000TX", 0x9000, "SIGN chain left incomplete"},
		{CL, "802A0000TX00", 0x6D00, "SIGN contactless, nothing selected"},
		/* The personalisation commands, after ISSUE */
		{C, "80DADF2008" "0102030405060708", 0x6985, "PUT DATA after ISSUE"},
		{C, "8047000000", 0x6985, "GENERATE KEY PAIR after ISSUE"},
		{C, "80440000", 0x6985, "ISSUE after ISSUE"},
		{C, "8082000120" ZERO32, 0x6985, "EXTERNAL AUTHENTICATE after ISSUE"},
		/* GET JOINT PASSWORD */
		{C, "804A000008", 0x6985, "GET JOINT PASSWORD on contact"},
		{C, "804A0000", 0x6700, "GET JOINT PASSWORD without Le"},
		{C, "804A010008", 0x6A86, "GET JOINT PASSWORD P1"},
		{C, "004A000008", 0x6E00, "GET JOINT PASSWORD class 00"},
		{C, "804A00000131" "08", 0x6700, "GET JOINT PASSWORD with data"},
		/* The issuer's commands */
		{C, "802C0000", 0x6700, "RESET RETRY COUNTER without data"},
		{C, "802C010020" ZERO32, 0x6A86, "RESET RETRY COUNTER P1"},
		{C, "002C000020" ZERO32, 0x6E00, "RESET RETRY COUNTER class 00"},
		{C, "802C00001F" ZERO31, 0x6700, "RESET RETRY COUNTER MAC of 31"},
		{C, "802C000020" ZERO32, 0x6985, "RESET RETRY COUNTER without a challenge"},
		{C, "80160000", 0x6700, "BLOCK CARD without data"},
		{C, "0016000020" ZERO32, 0x6E00, "BLOCK CARD class 00"},
		{C, "8016000020" ZERO32, 0x6985, "BLOCK CARD without a challenge"},
		{C, "9016000010" ZERO16, 0x9000, "BLOCK CARD chain left incomplete"},
		/* Others */
		{C, "00CADF22", 0x6700, "GET DATA ATC without Le"},
		{C, "8020000004" "31323334", 0x6D00, "VERIFY (there is none)"},
		{C, "00C0000000", 0x6985, "GET RESPONSE with nothing pending"},
	};
	struct sc_tx tx;
	struct sc_sign_resp s;
	struct sc_qr qr;
	const struct card_screen *scr;
	uint8_t enc[SC_TX_MAX_LEN];

	(void)state;
	fx_issued(41, NULL);
	fx_tx(&tx, SC_SCHEME_ENC);
	set_tx(enc, fx_tx_encode(&tx, enc, sizeof enc));
	fx_sign(SC_SCHEME_ENC, &tx, &s);
	assert_int_equal(s.atc, 1);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_ON_READER);
	try_forms(forms, sizeof forms / sizeof forms[0], NULL);

	/* The ATC is the one spent by the real SIGN, and that signature is
	 * still the one pending: off the reader it confirms, ATC 1 in the QR. */
	assert_int_equal(fx_atc(), 1);
	card_field(&fx_core, C, 0);
	assert_int_equal(ram_hal_screen(&fx_hal)->id, CARD_SCREEN_REVIEW);
	cc_keys(&fx_core, TEST_PIN "K");
	scr = ram_hal_screen(&fx_hal);
	assert_int_equal(scr->id, CARD_SCREEN_PASSWORD);
	assert_int_equal(sc_qr_decode(&qr, scr->qr, strlen(scr->qr)), 0);
	assert_int_equal(qr.atc, 1);
	assert_memory_equal(qr.card_id, TEST_CARD_ID, SC_CARD_ID_LEN);
	assert_string_equal(qr.jp, scr->lines[0]);
}

/* SIGN sent as case 3 (no Le, as a T=0 reader sends a case-4 command)
 * runs, spends one ATC, and its whole answer waits for GET RESPONSE: the
 * terminal can always collect the signature it caused. */
static void sign_without_le_spends_one_atc_and_answers(void **state)
{
	uint8_t r[SC_SIGN_RESP_MAX], enc[SC_TX_MAX_LEN];
	char hex[2 * SC_TX_MAX_LEN + 128], gr[16];
	struct sc_tx tx;
	struct sc_sign_resp s;
	size_t n;
	int sw;

	(void)state;
	fx_issued(42, NULL);
	fx_tx(&tx, SC_SCHEME_ENC_DIGEST);
	set_tx(enc, fx_tx_encode(&tx, enc, sizeof enc));
	expand("802A0000TX", hex, sizeof hex);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	sw = fx_hex(C, hex, r, sizeof r, &n);
	assert_int_equal(sw & 0xFF00, 0x6100);
	assert_int_equal(n, 0);
	snprintf(gr, sizeof gr, "00C00000%02X", sw & 0xFF);
	assert_int_equal(fx_hex(C, gr, r, sizeof r, &n), 0x9000);
	assert_int_equal(sc_sign_resp_decode(&s, r, n), 0);
	assert_int_equal(s.atc, 1);
	assert_int_equal(s.x_len, 32);
	assert_int_equal(fx_atc(), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(personalising_card),
		cmocka_unit_test(external_auth_wrong_length_keeps_the_session),
		cmocka_unit_test(issued_card_with_pending_signature),
		cmocka_unit_test(sign_without_le_spends_one_atc_and_answers),
	};
	return RUN_TESTS("card refusals", tests, argc, argv);
}
