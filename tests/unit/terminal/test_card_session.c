/* The signature applet's commands as the terminal sends them, against a
 * frame peer playing the applet: SELECT, GET DATA, SIGN TRANSACTION's TLV
 * answer, GET JOINT PASSWORD, and the refusals each turn into. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "frame_peer.h"
#include "terminal/terminal.h"

static const uint8_t AID[] = {0xF0, 0x53, 0x49, 0x47, 0x43, 0x41, 0x52, 0x44, 0x01};
static const uint8_t CARD_ID[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* How the applet behaves, set per test through frame_peer.user. */
struct applet {
	int unknown_aid;     /* SELECT answers 6A82 */
	uint16_t sign_sw;    /* SIGN answers this SW (0: a good answer) */
	int x_len;           /* length of X in SIGN's answer */
	int bad_tlv;         /* SIGN answers tags out of order */
	int jp_ready;        /* GET JP: 9000 + digits, else 6985 */
	uint16_t jp_sw;      /* GET JP answers this SW instead (0: as jp_ready says) */
	const char *account;
};

static void put_sw(uint8_t *out, size_t *n, uint16_t sw)
{
	out[(*n)++] = (uint8_t)(sw >> 8);
	out[(*n)++] = (uint8_t)sw;
}

static enum peer_action applet(struct frame_peer *p, const uint8_t *b, size_t len, uint8_t *out,
			       size_t *n)
{
	struct applet *a = p->user;
	*n = 0;
	if (len == 1) {
		if (b[0] != 0x04)
			return PEER_SILENT;
		memcpy(out, "\x3B\x80\x80\x01\x01", 5);
		*n = 5;
		return PEER_REPLY;
	}
	if (b[1] == 0xA4) {
		if (!a->unknown_aid && len >= 5 + sizeof AID && memcmp(b + 5, AID, sizeof AID) == 0)
			put_sw(out, n, 0x9000);
		else
			put_sw(out, n, 0x6A82);
	} else if (b[1] == 0xCA && b[2] == 0xDF && b[3] == 0x20) {
		memcpy(out, CARD_ID, 8);
		*n = 8;
		put_sw(out, n, 0x9000);
	} else if (b[1] == 0xCA && b[2] == 0xDF && b[3] == 0x25) {
		if (a->account == NULL) {
			put_sw(out, n, 0x6A88);
		} else {
			memcpy(out, a->account, strlen(a->account));
			*n = strlen(a->account);
			put_sw(out, n, 0x9000);
		}
	} else if (b[1] == 0x2A && b[0] == 0x80) {
		if (a->sign_sw) {
			put_sw(out, n, a->sign_sw);
			return PEER_REPLY;
		}
		/* C1 04 ATC; C2 len X; C3 len DER signature */
		static const uint8_t atc[] = {0xC1, 4, 0, 0, 0x01, 0x02};
		uint8_t x[2 + 32], sig[2 + 70];
		x[0] = 0xC2;
		x[1] = (uint8_t)a->x_len;
		memset(x + 2, 0xAB, (size_t)a->x_len);
		sig[0] = 0xC3;
		sig[1] = 70;
		sig[2] = 0x30;
		sig[3] = 68;
		memset(sig + 4, 0x11, 68);
		if (a->bad_tlv) {
			memcpy(out, x, 2 + (size_t)a->x_len);
			*n = 2 + (size_t)a->x_len;
			memcpy(out + *n, atc, sizeof atc);
			*n += sizeof atc;
		} else {
			memcpy(out, atc, sizeof atc);
			*n = sizeof atc;
			memcpy(out + *n, x, 2 + (size_t)a->x_len);
			*n += 2 + (size_t)a->x_len;
		}
		memcpy(out + *n, sig, sizeof sig);
		*n += sizeof sig;
		put_sw(out, n, 0x9000);
	} else if (b[1] == 0x4A && b[0] == 0x80) {
		if (a->jp_sw) {
			put_sw(out, n, a->jp_sw);
		} else if (a->jp_ready) {
			memcpy(out, "24681357", 8);
			*n = 8;
			put_sw(out, n, 0x9000);
		} else {
			put_sw(out, n, 0x6985);
		}
	} else {
		put_sw(out, n, 0x6D00);
	}
	return PEER_REPLY;
}

static void start(struct frame_peer *p, struct applet *a, struct term_carrier *c)
{
	char spec[200];
	assert_int_equal(frame_peer_start(p, applet, a), 0);
	snprintf(spec, sizeof spec, "unix:%s", p->path);
	assert_int_equal(term_carrier_open(c, spec, 2000), 0);
}

static void stop(struct frame_peer *p, struct term_carrier *c)
{
	term_carrier_close(c);
	frame_peer_stop(p);
}

static void select_and_identity(void **state)
{
	(void)state;
	struct applet a = {.x_len = 16, .account = "ALICE-1"};
	struct frame_peer p;
	struct term_carrier c;
	uint8_t id[8], seen[32];
	char account[SC_ACCOUNT_MAX + 1];
	start(&p, &a, &c);
	assert_int_equal(term_card_start(&c), 0);
	assert_int_equal(term_card_identity(&c, id, account), 0);
	assert_memory_equal(id, CARD_ID, 8);
	assert_string_equal(account, "ALICE-1");
	/* SELECT by the full AID: 00 A4 04 00 09 AID 00 */
	assert_int_equal(frame_peer_logged(&p, 2, seen, sizeof seen), 15);
	assert_memory_equal(seen, "\x00\xA4\x04\x00\x09", 5);
	assert_memory_equal(seen + 5, AID, 9);
	stop(&p, &c);
}

static void not_a_sigcard(void **state)
{
	(void)state;
	struct applet a = {.unknown_aid = 1};
	struct frame_peer p;
	struct term_carrier c;
	start(&p, &a, &c);
	assert_int_equal(term_card_start(&c), -TERM_EXIT_CARD_ERROR);
	assert_non_null(strstr(c.err, "6A82"));
	assert_non_null(strstr(c.err, "no sigcard applet"));
	stop(&p, &c);
}

static void unpersonalised_card(void **state)
{
	(void)state;
	struct applet a = {.x_len = 16, .account = NULL};
	struct frame_peer p;
	struct term_carrier c;
	uint8_t id[8];
	char account[SC_ACCOUNT_MAX + 1];
	start(&p, &a, &c);
	assert_int_equal(term_card_start(&c), 0);
	assert_int_equal(term_card_identity(&c, id, account), -TERM_EXIT_CARD_ERROR);
	assert_non_null(strstr(c.err, "not personalised"));
	stop(&p, &c);
}

static void sign_answer_is_parsed(void **state)
{
	(void)state;
	static const int x_lens[] = {16, 32};
	static const uint8_t schemes[] = {SC_SCHEME_ENC_RAND, SC_SCHEME_ENC_DIGEST};
	for (int i = 0; i < 2; i++) {
		struct applet a = {.x_len = x_lens[i], .account = "A"};
		struct frame_peer p;
		struct term_carrier c;
		struct sc_sign_resp s;
		uint8_t tx[100], seen[128];
		memset(tx, 0x5A, sizeof tx);
		start(&p, &a, &c);
		assert_int_equal(term_card_start(&c), 0);
		assert_int_equal(term_card_sign(&c, tx, sizeof tx, schemes[i], &s), 0);
		assert_int_equal(s.atc, 0x0102);
		assert_int_equal(s.x_len, (size_t)x_lens[i]);
		assert_int_equal(s.x[0], 0xAB);
		assert_int_equal(s.sig_len, 70);
		assert_int_equal(s.sig[0], 0x30);
		/* 80 2A 00 00 Lc=100 tx Le=00 */
		assert_int_equal(frame_peer_logged(&p, 3, seen, sizeof seen), 106);
		assert_memory_equal(seen, "\x80\x2A\x00\x00\x64", 5);
		assert_memory_equal(seen + 5, tx, sizeof tx);
		stop(&p, &c);
	}
}

static void sign_answer_of_the_wrong_shape(void **state)
{
	(void)state;
	struct applet wrong_x = {.x_len = 32, .account = "A"};   /* 32 for enc: wrong */
	struct applet disorder = {.x_len = 16, .bad_tlv = 1, .account = "A"};
	struct applet *cases[] = {&wrong_x, &disorder};
	for (int i = 0; i < 2; i++) {
		struct frame_peer p;
		struct term_carrier c;
		struct sc_sign_resp s;
		uint8_t tx[40] = {0};
		start(&p, cases[i], &c);
		assert_int_equal(term_card_start(&c), 0);
		assert_int_equal(term_card_sign(&c, tx, sizeof tx, SC_SCHEME_ENC, &s),
				 -TERM_EXIT_CARD_ERROR);
		assert_non_null(strstr(c.err, "not ATC, X and a signature"));
		assert_int_equal(s.sig_len, 0);
		stop(&p, &c);
	}
}

static void sign_refusals_are_explained(void **state)
{
	(void)state;
	static const struct {
		uint16_t sw;
		const char *why;
	} cases[] = {
		{0x6983, "blocked"},
		{0x6A80, "will not sign"},
		{0x6A81, "cannot show the payee name"},
		{0x6985, "not issued"},
		{0x6A84, "counter is spent"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct applet a = {.sign_sw = cases[i].sw, .account = "A"};
		struct frame_peer p;
		struct term_carrier c;
		struct sc_sign_resp s;
		uint8_t tx[40] = {0};
		start(&p, &a, &c);
		assert_int_equal(term_card_start(&c), 0);
		assert_int_equal(term_card_sign(&c, tx, sizeof tx, SC_SCHEME_ENC, &s),
				 -TERM_EXIT_CARD_ERROR);
		if (strstr(c.err, cases[i].why) == NULL)
			fail_msg("SW %04X: \"%s\"", cases[i].sw, c.err);
		stop(&p, &c);
	}
}

static void joint_password_read(void **state)
{
	(void)state;
	struct applet a = {.account = "A"};
	struct frame_peer p;
	struct term_carrier c;
	char jp[SC_JP_DIGITS + 1] = "";
	uint8_t seen[16];
	start(&p, &a, &c);
	assert_int_equal(term_card_start(&c), 0);
	/* not confirmed yet: nothing to release, and not an error */
	assert_int_equal(term_card_get_jp(&c, jp), 0);
	assert_string_equal(jp, "");
	assert_int_equal(frame_peer_logged(&p, 3, seen, sizeof seen), 5);
	assert_memory_equal(seen, "\x80\x4A\x00\x00\x08", 5);
	a.jp_ready = 1;
	assert_int_equal(term_card_get_jp(&c, jp), 1);
	assert_string_equal(jp, "24681357");
	stop(&p, &c);
}

/* 6984: the card says this password will never come, and the terminal says
 * so, as a cancel a person can act on rather than a card fault. */
static void joint_password_void_is_a_cancel(void **state)
{
	(void)state;
	struct applet a = {.account = "A", .jp_sw = 0x6984};
	struct frame_peer p;
	struct term_carrier c;
	char jp[SC_JP_DIGITS + 1] = "";
	start(&p, &a, &c);
	assert_int_equal(term_card_start(&c), 0);
	assert_int_equal(term_card_get_jp(&c, jp), -TERM_EXIT_CANCELLED);
	assert_string_equal(jp, "");
	assert_non_null(strstr(c.err, "6984"));
	assert_non_null(strstr(c.err, "will not release the password"));
	assert_non_null(strstr(c.err, "cancelled"));
	assert_non_null(strstr(c.err, "start a new payment"));
	/* Any other refusal is a card error, named by its SW. */
	a.jp_sw = 0x6A86;
	assert_int_equal(term_card_get_jp(&c, jp), -TERM_EXIT_CARD_ERROR);
	assert_non_null(strstr(c.err, "6A86"));
	stop(&p, &c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(select_and_identity),
		cmocka_unit_test(not_a_sigcard),
		cmocka_unit_test(unpersonalised_card),
		cmocka_unit_test(sign_answer_is_parsed),
		cmocka_unit_test(sign_answer_of_the_wrong_shape),
		cmocka_unit_test(sign_refusals_are_explained),
		cmocka_unit_test(joint_password_read),
		cmocka_unit_test(joint_password_void_is_a_cancel),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("terminal card session", tests, NULL, NULL);
}
