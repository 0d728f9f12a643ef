/* Tampered submissions: every bit flipped, every transaction field changed,
 * malleated and non-canonical signatures. None may execute or move any
 * counter; the untouched message still goes through afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include "server_fixture.h"

/* Nothing moved for card a1 and ALICE. */
static void assert_untouched(struct fx *f)
{
	struct srv_card c = fx_card(f, &f->a1);

	assert_int_equal(fx_balance(f, "ALICE"), 100000);
	assert_int_equal(c.last_atc, -1);
	assert_int_equal(c.jp_failures, 0);
	assert_int_equal(c.status, CARD_ACTIVE);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM message_failures"), 0);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM transfers WHERE card_id IS NOT NULL"), 0);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM challenges WHERE used = 1"), 0);
}

/* Offsets inside a SUBMIT body (docs/PROTOCOL.md §6). */
struct layout {
	size_t card, atc, txlen, tx, xlen, x, siglen, sig, jp;
};

static struct layout layout_of(const uint8_t *b, size_t len)
{
	struct layout l;

	l.card = 1;
	l.atc = 9;
	l.txlen = 13;
	l.tx = 15;
	l.xlen = l.tx + ((size_t)b[13] << 8 | b[14]);
	l.x = l.xlen + 1;
	l.siglen = l.x + b[l.xlen];
	l.sig = l.siglen + 1;
	l.jp = len - SC_JP_DIGITS;
	return l;
}

static void every_bit_flipped(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX];
	size_t len;
	struct fx_reply r;
	struct layout l;
	int fd = fx_connect(f);
	long ok = 0;

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC_DIGEST, NULL, body,
				  &len), 0);
	l = layout_of(body, len);
	/* The password is flipped in the password tests: a flip there is a
	 * wrong password on an authentic message, which is meant to count. */
	for (size_t i = 0; i < l.jp; i++) {
		for (int bit = 0; bit < 8; bit++) {
			int code;

			body[i] ^= (uint8_t)(1u << bit);
			code = fx_send(fd, body, len, &r);
			body[i] ^= (uint8_t)(1u << bit);
			if (code < 0) { /* a length flip the server dropped us for */
				close(fd);
				fd = fx_connect(f);
				continue;
			}
			if (code == SC_RES_OK)
				ok++;
			if (i >= l.card && i < l.atc) /* another card, enrolled or not */
				assert_true(code == SC_RES_UNKNOWN_CARD || code == SC_RES_AUTH_FAILED);
			else if ((i >= l.atc && i < l.txlen) || (i >= l.x && i < l.siglen) ||
				 (i >= l.sig && i < l.jp))
				assert_int_equal(code, SC_RES_AUTH_FAILED);
			else
				assert_int_not_equal(code, SC_RES_OK);
		}
	}
	assert_int_equal(ok, 0);
	assert_untouched(f);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	assert_int_equal(fx_balance(f, "ALICE"), 99900);
	close(fd);
}

static void each_transaction_field_changed(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX], forged[SC_SUBMIT_MSG_MAX];
	uint8_t txbuf[SC_TX_MAX_LEN];
	struct sc_submit s, t;
	struct sc_tx tx, m;
	size_t len;
	struct fx_reply r;
	int fd = fx_connect(f);

	assert_int_equal(fx_tx(fd, &tx, "T-1", "ALICE", "BOB", 100, 978, SC_SCHEME_ENC), 0);
	assert_int_equal(fx_build_tx(f, &f->a1, &tx, 1, "24681357", body, &len), 0);
	assert_int_equal(sc_submit_decode(&s, body, len), 0);
	for (int field = 0; field < 9; field++) {
		int n, want = SC_RES_AUTH_FAILED;

		m = tx;
		switch (field) {
		case 0: m.amount = 99; break;
		case 1: m.currency = 840; break;
		case 2: snprintf(m.payer, sizeof(m.payer), "DAVE"); break;
		case 3: snprintf(m.payee, sizeof(m.payee), "DAVE"); break;
		case 4: snprintf(m.payee_name, sizeof(m.payee_name), "Shop of DAVE"); break;
		case 5: m.time++; break;
		case 6: m.scheme = SC_SCHEME_ENC_RAND; break; /* same X length as enc */
		case 7: /* another challenge of the same terminal */
			assert_int_equal(fx_tx(fd, &m, "T-1", "ALICE", "BOB", 100, 978, SC_SCHEME_ENC), 0);
			m.time = tx.time;
			break;
		case 8: /* another terminal's id: its challenge does not match */
			snprintf(m.terminal_id, sizeof(m.terminal_id), "T-9");
			want = SC_RES_CHALLENGE_INVALID;
			break;
		}
		n = sc_tx_encode(&m, txbuf, sizeof(txbuf));
		assert_true(n > 0);
		t = s;
		t.tx = txbuf;
		t.tx_len = (size_t)n;
		n = sc_submit_encode(forged, sizeof(forged), &t);
		assert_true(n > 0);
		assert_int_equal(fx_send(fd, forged, (size_t)n, &r), want);
	}
	assert_untouched(f);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	close(fd);
}

static void zero_r(BIGNUM *r, BIGNUM *s, const BIGNUM *n)
{
	(void)s;
	(void)n;
	BN_zero(r);
}

static void s_is_n(BIGNUM *r, BIGNUM *s, const BIGNUM *n)
{
	(void)r;
	BN_copy(s, n);
}

static void s_plus_n(BIGNUM *r, BIGNUM *s, const BIGNUM *n)
{
	(void)r;
	BN_add(s, s, n);
}

/* (r, n - s) is a valid signature over the same signed data: the same
 * payment, which gets the original RESULT byte for byte, whichever copy
 * came first (issue 12: a relay's copy must not turn the honest
 * terminal's resend into IDEMPOTENCY_CONFLICT). */
static void malleated_signature_is_the_same_payment(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX], copy[SC_SUBMIT_MSG_MAX];
	size_t len, clen;
	struct fx_reply first, r;
	int fd = fx_connect(f);

	/* the honest terminal's message first, then the relay's copy */
	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	assert_int_equal(fx_send(fd, body, len, &first), SC_RES_OK);
	memcpy(copy, body, len);
	clen = fx_resign(copy, len, fx_negate_s);
	assert_true(clen != len || memcmp(copy, body, len) != 0);
	assert_int_equal(fx_send(fd, copy, clen, &r), SC_RES_OK);
	assert_int_equal(r.len, first.len);
	assert_memory_equal(r.buf, first.buf, first.len);
	/* the relay's copy first, then the honest terminal's resend */
	assert_int_equal(fx_build(f, fd, &f->a1, 2, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	memcpy(copy, body, len);
	clen = fx_resign(copy, len, fx_negate_s);
	assert_int_equal(fx_send(fd, copy, clen, &first), SC_RES_OK);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	assert_int_equal(r.len, first.len);
	assert_memory_equal(r.buf, first.buf, first.len);
	/* and after a restart */
	fd = fx_restart(f, fd);
	assert_true(fd >= 0);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	assert_memory_equal(r.buf, first.buf, first.len);
	assert_int_equal(fx_send(fd, copy, clen, &r), SC_RES_OK);
	assert_memory_equal(r.buf, first.buf, first.len);
	assert_int_equal(fx_balance(f, "ALICE"), 99800);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM transfers WHERE card_id IS NOT NULL"), 2);
	assert_true(fx_ledger_ok(f));
	close(fd);
}

/* A copy of body with the signature bytes sig (n bytes) is refused as not
 * authentic. */
static void assert_refused_with_sig(int fd, const uint8_t *body, size_t len, const uint8_t *sig,
				    size_t n)
{
	uint8_t bad[SC_SUBMIT_MSG_MAX];
	struct fx_reply r;

	memcpy(bad, body, len);
	assert_int_equal(fx_send(fd, bad, fx_with_sig(bad, len, sig, n), &r), SC_RES_AUTH_FAILED);
}

static void non_canonical_signatures_are_refused(void **state)
{
	struct fx *f = *state;
	uint8_t body[SC_SUBMIT_MSG_MAX], bad[SC_SUBMIT_MSG_MAX], der[SC_ECDSA_DER_MAX + 2];
	struct sc_submit s;
	size_t len, n;
	struct fx_reply r;
	int fd = fx_connect(f);
	void (*const fns[])(BIGNUM *, BIGNUM *, const BIGNUM *) = {zero_r, s_is_n, s_plus_n};

	assert_int_equal(fx_build(f, fd, &f->a1, 1, "BOB", 100, SC_SCHEME_ENC, NULL, body, &len), 0);
	assert_int_equal(sc_submit_decode(&s, body, len), 0);
	/* r = 0, s = n, s + n (same value mod n) */
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		memcpy(bad, body, len);
		n = fx_resign(bad, len, fns[i]);
		assert_int_equal(fx_send(fd, bad, n, &r), SC_RES_AUTH_FAILED);
	}
	/* trailing data inside the signature field */
	if (s.sig_len < SC_ECDSA_DER_MAX) {
		memcpy(der, s.sig, s.sig_len);
		der[s.sig_len] = 0x00;
		assert_refused_with_sig(fd, body, len, der, s.sig_len + 1);
	}
	/* non-minimal: r with a superfluous leading zero byte */
	if (s.sig_len + 1 <= SC_ECDSA_DER_MAX && !(s.sig[4] & 0x80)) {
		size_t rl = s.sig[3];

		der[0] = 0x30;
		der[1] = (uint8_t)(s.sig[1] + 1);
		der[2] = 0x02;
		der[3] = (uint8_t)(rl + 1);
		der[4] = 0x00;
		memcpy(der + 5, s.sig + 4, s.sig_len - 4);
		assert_refused_with_sig(fd, body, len, der, s.sig_len + 1);
	}
	/* a long-form SEQUENCE length for a short value */
	if (s.sig_len + 1 <= SC_ECDSA_DER_MAX) {
		memcpy(bad, body, len);
		assert_int_equal(fx_send(fd, bad, fx_der_long_form(bad, len), &r),
				 SC_RES_AUTH_FAILED);
	}
	assert_untouched(f);
	assert_int_equal(fx_send(fd, body, len, &r), SC_RES_OK);
	close(fd);
}

static void strict_der_rules(void **state)
{
	/* r = 1, s = 1: minimal and in range */
	const uint8_t ok[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
	const uint8_t neg[] = {0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01};
	const uint8_t zero_len[] = {0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01, 0x00};
	const uint8_t pad[] = {0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01};
	const uint8_t seq_short[] = {0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
	const uint8_t trailing[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00};
	const uint8_t wrong_tag[] = {0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};

	(void)state;
	assert_int_equal(srv_ecdsa_der_strict(ok, sizeof(ok)), 0);
	assert_int_equal(srv_ecdsa_der_strict(neg, sizeof(neg)), -1);
	assert_int_equal(srv_ecdsa_der_strict(zero_len, sizeof(zero_len)), -1);
	assert_int_equal(srv_ecdsa_der_strict(pad, sizeof(pad)), -1);
	assert_int_equal(srv_ecdsa_der_strict(seq_short, sizeof(seq_short)), -1);
	assert_int_equal(srv_ecdsa_der_strict(trailing, sizeof(trailing)), -1);
	assert_int_equal(srv_ecdsa_der_strict(wrong_tag, sizeof(wrong_tag)), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		fx_unit_test(every_bit_flipped),
		fx_unit_test(each_transaction_field_changed),
		fx_unit_test(malleated_signature_is_the_same_payment),
		fx_unit_test(non_canonical_signatures_are_refused),
		cmocka_unit_test(strict_der_rules),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("server tampering", tests, NULL, NULL);
}
