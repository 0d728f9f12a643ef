/* The APDU runtime: every status-word path of the ISO layer (class,
 * channel, INS, length, P1/P2), SELECT by full and partial AID, command
 * chaining and response chaining, transient memory on reset and deselect. */
#include <string.h>

#include "card_test.h"

#define AID "F05349474341524401"
#define SELECT "00A4040009" AID
#define C CARD_IFACE_CONTACT

static void selected_card(uint64_t seed)
{
	fx_issued(seed, NULL);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
}

static void select_full_partial_unknown(void **state)
{
	(void)state;
	fx_issued(1, NULL);
	card_field(&fx_core, C, 1);
	/* Nothing selected yet: no applet to take the command. */
	assert_int_equal(fx_sw(C, "00CADF2300"), 0x6D00);
	assert_int_equal(fx_sw(C, "00A4040005F053494743"), 0x9000);     /* partial: RID */
	assert_int_equal(fx_sw(C, "00CADF2300"), 0x9000);
	assert_int_equal(fx_sw(C, "00A4040009F05349474341524402"), 0x6A82);
	/* The applet stays selected after a failed SELECT. */
	assert_int_equal(fx_sw(C, "00CADF2300"), 0x9000);
	assert_int_equal(fx_sw(C, "00A4040004F0534947"), 0x6A82);       /* shorter than a RID */
	assert_int_equal(fx_sw(C, "00A404000AF0534947434152440100"), 0x6A82); /* longer */
	assert_int_equal(fx_sw(C, SELECT "00"), 0x9000);                 /* case 4 */
	assert_int_equal(fx_sw(C, "00A4040C09" AID), 0x9000);            /* no FCI wanted */
	assert_int_equal(fx_sw(C, "00A4000009" AID), 0x6A86);            /* by file id */
	assert_int_equal(fx_sw(C, "00A4040209" AID), 0x6A86);            /* next occurrence */
	assert_int_equal(fx_sw(C, "00A40400"), 0x6700);                  /* no AID */
	assert_int_equal(fx_sw(C, "00A4040011" "000102030405060708090A0B0C0D0E0F10"), 0x6700);
	assert_int_equal(fx_sw(C, "80A4040009" AID), 0x6E00);
}

static void class_and_channel(void **state)
{
	(void)state;
	selected_card(2);
	assert_int_equal(fx_sw(C, "01CADF2300"), 0x6881);   /* channel 1 */
	assert_int_equal(fx_sw(C, "03CADF2300"), 0x6881);   /* channel 3 */
	assert_int_equal(fx_sw(C, "41CADF2300"), 0x6881);   /* further channels */
	assert_int_equal(fx_sw(C, "0CCADF2300"), 0x6882);   /* secure messaging */
	assert_int_equal(fx_sw(C, "20CADF2300"), 0x6E00);   /* RFU class */
	assert_int_equal(fx_sw(C, "FFCADF2300"), 0x6E00);
	assert_int_equal(fx_sw(C, "E0CADF2300"), 0x6E00);
	assert_int_equal(fx_sw(C, "80CADF2300"), 0x6E00);   /* GET DATA is interindustry */
	assert_int_equal(fx_sw(C, "002A000001AA"), 0x6E00); /* SIGN is proprietary */
	assert_int_equal(fx_sw(C, "01A4040009" AID), 0x6881);
}

static void ins_length_params(void **state)
{
	(void)state;
	selected_card(3);
	assert_int_equal(fx_sw(C, "00B0000000"), 0x6D00); /* READ BINARY: not here */
	assert_int_equal(fx_sw(C, "8020000000"), 0x6D00); /* VERIFY: never by APDU */
	assert_int_equal(fx_sw(C, "80FF000000"), 0x6D00);
	assert_int_equal(fx_sw(C, "00CA"), 0x6700);           /* truncated header */
	assert_int_equal(fx_sw(C, "00CADF230201"), 0x6700);   /* Lc 2, 1 data byte */
	assert_int_equal(fx_sw(C, "00CADF230100"), 0x6700);   /* GET DATA with data */
	assert_int_equal(fx_sw(C, "00CADF230001"), 0x6700);   /* Lc 0 in short form */
	assert_int_equal(fx_sw(C, "00CAEE0000"), 0x6A86);     /* unknown tag */
	assert_int_equal(fx_sw(C, "0084000008"), 0x6700);     /* challenge shorter than 16 */
	assert_int_equal(fx_sw(C, "0084010010"), 0x6A86);
	assert_int_equal(fx_sw(C, "00C0010000"), 0x6A86);
	assert_int_equal(fx_sw(C, "804A000008"), 0x6985);     /* GET JP, nothing pending */
	assert_int_equal(fx_sw(C, "804A010008"), 0x6A86);
	assert_int_equal(fx_sw(C, "804A0000"), 0x6700);
}

static void extended_length(void **state)
{
	uint8_t r[32];
	size_t n;

	(void)state;
	selected_card(4);
	/* Case 2 extended: 00 then a 2-byte Le. */
	assert_int_equal(fx_hex(C, "00CADF22000004", r, sizeof r, &n), 0x9000);
	assert_int_equal(n, 4);
	/* Case 3 extended SELECT. */
	assert_int_equal(fx_sw(C, "00A40400000009" AID), 0x9000);
	/* Case 4 extended SELECT. */
	assert_int_equal(fx_sw(C, "00A40400000009" AID "0000"), 0x9000);
	/* Extended Lc with a short Le: malformed. */
	assert_int_equal(fx_sw(C, "00A40400000009" AID "00"), 0x6700);
}

static void response_chaining(void **state)
{
	uint8_t r[128], whole[128];
	size_t n, got = 0;
	int sw;

	(void)state;
	selected_card(5);
	/* The 65-byte public key asked for 16 bytes at a time. */
	sw = fx_hex(C, "00CADF2110", r, sizeof r, &n);
	assert_int_equal(sw, 0x6131);
	assert_int_equal(n, 16);
	memcpy(whole, r, n);
	got = n;
	while ((sw & 0xFF00) == 0x6100) {
		sw = fx_hex(C, "00C0000010", r, sizeof r, &n);
		memcpy(whole + got, r, n);
		got += n;
	}
	assert_int_equal(sw, 0x9000);
	assert_int_equal(got, 65);
	assert_int_equal(whole[0], 0x04);
	/* GET DATA is case 2: without Le it is refused, and nothing is pending
	 * (§5.2; only a case-4 command runs without Le, test_refused.c). */
	assert_int_equal(fx_hex(C, "00CADF21", r, sizeof r, &n), 0x6700);
	assert_int_equal(n, 0);
	assert_int_equal(fx_sw(C, "00C0000000"), 0x6985);
	/* Another command drops what was not collected. */
	assert_int_equal(fx_sw(C, "00CADF2110"), 0x6131);
	assert_int_equal(fx_sw(C, "00CADF2300"), 0x9000);
	assert_int_equal(fx_sw(C, "00C0000000"), 0x6985);
	assert_int_equal(fx_sw(C, "00CADF2110"), 0x6131);
	assert_int_equal(fx_sw(C, "00C00000"), 0x6700); /* GET RESPONSE without Le */
}

static void command_chaining(void **state)
{
	uint8_t enc[SC_TX_MAX_LEN], cmd[300], r[256];
	struct sc_tx tx;
	size_t n, half, rn;
	int sw;

	(void)state;
	selected_card(6);
	fx_tx(&tx, SC_SCHEME_ENC);
	n = fx_tx_encode(&tx, enc, sizeof enc);
	half = n / 2;
	/* SIGN split in two links: the first has CLA 0x90 and gets 9000. */
	cmd[0] = 0x90; cmd[1] = 0x2A; cmd[2] = 0; cmd[3] = 0; cmd[4] = (uint8_t)half;
	memcpy(cmd + 5, enc, half);
	assert_int_equal(cc_raw(&fx_core, C, cmd, 5 + half, r, sizeof r, &rn), 0x9000);
	cmd[0] = 0x80; cmd[4] = (uint8_t)(n - half);
	memcpy(cmd + 5, enc + half, n - half);
	cmd[5 + n - half] = 0;
	sw = cc_raw(&fx_core, C, cmd, 6 + n - half, r, sizeof r, &rn);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(r[0], 0xC1);
	assert_int_equal(r[5], 1); /* ATC 1 */

	/* A chain broken by another command is dropped. */
	assert_int_equal(fx_sw(C, "902A000002AABB"), 0x9000);
	assert_int_equal(fx_sw(C, "00CADF2300"), 0x6883);
	assert_int_equal(fx_sw(C, "802A000002AABB"), 0x6A80); /* just these 2 bytes */
	/* Chaining SELECT is not supported. */
	assert_int_equal(fx_sw(C, "10A4040009" AID), 0x6884);
	/* The chain buffer is bounded: 3 x 255 > 512 bytes. */
	memset(cmd, 0x11, sizeof cmd);
	cmd[0] = 0x90; cmd[1] = 0x2A; cmd[2] = 0; cmd[3] = 0; cmd[4] = 255;
	assert_int_equal(cc_raw(&fx_core, C, cmd, 260, r, sizeof r, &rn), 0x9000);
	assert_int_equal(cc_raw(&fx_core, C, cmd, 260, r, sizeof r, &rn), 0x9000);
	assert_int_equal(cc_raw(&fx_core, C, cmd, 260, r, sizeof r, &rn), 0x6700);
	assert_int_equal(fx_sw(C, "00CADF2300"), 0x9000); /* chain gone */
	assert_int_equal(fx_atc(), 1);
}

static void transient_cleared_on_reset_and_deselect(void **state)
{
	uint8_t r[32];
	size_t n;

	(void)state;
	fx_manufacture(7);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, TEST_TK, sizeof TEST_TK,
					  SC_LABEL_TRANSPORT, NULL), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x9000);
	/* Re-selecting is a deselect: the authentication is gone. */
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x6982);
	assert_int_equal(cc_authenticated(&fx_core, C, 0x82, 0x01, TEST_TK, sizeof TEST_TK,
					  SC_LABEL_TRANSPORT, NULL), 0x9000);
	/* So is a field reset, which also deselects the applet. */
	card_field(&fx_core, C, 0);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x6D00);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(fx_sw(C, "80DADF2008" "0102030405060708"), 0x6982);
	/* A challenge does not survive a reset either. */
	assert_int_equal(fx_hex(C, "0084000010", r, sizeof r, &n), 0x9000);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(fx_sw(C, "8082000120" "00000000000000000000000000000000"
				  "00000000000000000000000000000000"), 0x6985);
	/* The interfaces are separate: contactless has nothing selected. */
	assert_int_equal(fx_sw(CARD_IFACE_CONTACTLESS, "00CADF2300"), 0x6D00);
}

static void protocol_vectors(void **state)
{
	/* docs/PROTOCOL.md §5 vectors. */
	uint8_t atr[32], r[16];
	size_t n;
	static const uint8_t atr_contact[] = {0x3B, 0x88, 0x80, 0x01, 0x53, 0x49, 0x47,
					      0x43, 0x41, 0x52, 0x44, 0x43, 0x03};
	static const uint8_t atr_cl[] = {0x3B, 0x88, 0x80, 0x01, 0x53, 0x49, 0x47,
					 0x43, 0x41, 0x52, 0x44, 0x4C, 0x0C};

	(void)state;
	fx_manufacture(8);
	n = card_atr(&fx_core, CARD_IFACE_CONTACT, atr, sizeof atr);
	assert_int_equal(n, sizeof atr_contact);
	assert_memory_equal(atr, atr_contact, n);
	n = card_atr(&fx_core, CARD_IFACE_CONTACTLESS, atr, sizeof atr);
	assert_int_equal(n, sizeof atr_cl);
	assert_memory_equal(atr, atr_cl, n);
	/* The ATS's historical bytes (PROTOCOL.md §7): SIGCARDL, none if the
	 * buffer is short. */
	n = card_historical_bytes(&fx_core, CARD_IFACE_CONTACTLESS, r, sizeof r);
	assert_int_equal(n, 8);
	assert_memory_equal(r, "SIGCARDL", 8);
	assert_int_equal(card_historical_bytes(&fx_core, CARD_IFACE_CONTACT, r, 7), 0);
	card_field(&fx_core, C, 1);
	/* 00A4040009F05349474341524401 -> 9000 */
	assert_int_equal(fx_sw(C, "00A4040009F05349474341524401"), 0x9000);
	/* 00CADF2300 -> 01 9000 (personalising) */
	assert_int_equal(fx_hex(C, "00CADF2300", r, sizeof r, &n), 0x9000);
	assert_int_equal(n, 1);
	assert_int_equal(r[0], 0x01);
	/* 00CADF2400 -> 03 9000; 00CADF2200 -> 00000000 9000 */
	assert_int_equal(fx_hex(C, "00CADF2400", r, sizeof r, &n), 0x9000);
	assert_int_equal(r[0], 0x03);
	assert_int_equal(fx_hex(C, "00CADF2200", r, sizeof r, &n), 0x9000);
	assert_int_equal(n, 4);
	/* 00CADF2000 -> 6A88 before personalisation */
	assert_int_equal(fx_sw(C, "00CADF2000"), 0x6A88);
	/* 00A4040009F05349474341524402 -> 6A82 */
	assert_int_equal(fx_sw(C, "00A4040009F05349474341524402"), 0x6A82);
}

static void dead_card_answers_memory_failure(void **state)
{
	uint8_t r[4];

	(void)state;
	ram_hal_attach(&fx_hal, NULL, 9);
	ram_hal_erase_all(&fx_hal);
	assert_int_equal(card_boot(&fx_core), -1); /* blank flash: not a card */
	assert_int_equal(fx_sw(C, SELECT), 0x6581);
	assert_int_equal(card_apdu(&fx_core, C, (const uint8_t *)"\x00\xA4", 2, r, 1), 0);
}

static void entropy_failure_keeps_the_card_down(void **state)
{
	(void)state;
	fx_issued(10, NULL);
	ram_hal_entropy_fail(&fx_hal, 1);
	assert_int_equal(card_boot(&fx_core), -1);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x6581);
	ram_hal_entropy_fail(&fx_hal, 0);
	assert_int_equal(card_boot(&fx_core), 0);
	card_field(&fx_core, C, 1);
	assert_int_equal(fx_sw(C, SELECT), 0x9000);
	assert_int_equal(fx_lifecycle(), 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(select_full_partial_unknown),
		cmocka_unit_test(class_and_channel),
		cmocka_unit_test(ins_length_params),
		cmocka_unit_test(extended_length),
		cmocka_unit_test(response_chaining),
		cmocka_unit_test(command_chaining),
		cmocka_unit_test(transient_cleared_on_reset_and_deselect),
		cmocka_unit_test(protocol_vectors),
		cmocka_unit_test(dead_card_answers_memory_failure),
		cmocka_unit_test(entropy_failure_keeps_the_card_down),
	};
	return RUN_TESTS("card runtime", tests, argc, argv);
}
