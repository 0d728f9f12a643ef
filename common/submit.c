/* The server submission protocol codec (common/submit.h; layout in
 * docs/PROTOCOL.md §6). */
#include <string.h>
#include "buf.h"
#include "errors.h"
#include "submit.h"

static const uint8_t receipt_magic[4] = {'S', 'C', 'R', 'C'};

static const struct {
	const char *name;
	const char *message;
} results[SC_RES_COUNT] = {
	[SC_RES_OK] = {"OK", "the transfer was executed"},
	[SC_RES_MALFORMED] = {"MALFORMED",
		"the request is not a well-formed message of this protocol; fix the sender"},
	[SC_RES_UNKNOWN_CARD] = {"UNKNOWN_CARD",
		"the card is not enrolled with this issuer; enrol it first"},
	[SC_RES_CARD_BLOCKED] = {"CARD_BLOCKED",
		"the card is blocked; the holder must contact the issuer"},
	[SC_RES_AUTH_FAILED] = {"AUTH_FAILED",
		"the signature or the joint password is wrong; read the password from the card again"},
	[SC_RES_CHALLENGE_INVALID] = {"CHALLENGE_INVALID",
		"the challenge is unknown, expired, used, or from another terminal; start a new transaction"},
	[SC_RES_STALE_COUNTER] = {"STALE_COUNTER",
		"the card's counter is not above the last accepted one; start a new transaction on the card"},
	[SC_RES_IDEMPOTENCY_CONFLICT] = {"IDEMPOTENCY_CONFLICT",
		"this card counter was already used for a different submission"},
	[SC_RES_INSUFFICIENT_FUNDS] = {"INSUFFICIENT_FUNDS",
		"the payer's balance does not cover the amount"},
	[SC_RES_UNKNOWN_ACCOUNT] = {"UNKNOWN_ACCOUNT",
		"the payer or payee account does not exist or is not the card's account"},
	[SC_RES_CURRENCY_MISMATCH] = {"CURRENCY_MISMATCH",
		"the transaction's currency is not the currency of both accounts"},
	[SC_RES_SAME_ACCOUNT] = {"SAME_ACCOUNT", "payer and payee are the same account"},
	[SC_RES_BAD_AMOUNT] = {"BAD_AMOUNT",
		"the amount is zero, above the server's per-transfer limit, or would overflow the payee's balance"},
	[SC_RES_RETRY_LATER] = {"RETRY_LATER",
		"the server is busy or shutting down; submit the same message again later"},
	[SC_RES_NO_ISSUER_SCRIPT] = {"NO_ISSUER_SCRIPT",
		"no unblock approved by the issuer waits for this card; ask the issuer to approve one"},
};

const char *sc_result_name(int code)
{
	if (code < 0 || (unsigned)code >= SC_RES_COUNT)
		return "UNKNOWN_RESULT";
	return results[code].name;
}

const char *sc_result_message(int code)
{
	if (code < 0 || (unsigned)code >= SC_RES_COUNT)
		return "an unknown result code";
	return results[code].message;
}

int sc_result_is_final_decline(int code)
{
	switch (code) {
	case SC_RES_CARD_BLOCKED:
	case SC_RES_INSUFFICIENT_FUNDS:
	case SC_RES_UNKNOWN_ACCOUNT:
	case SC_RES_CURRENCY_MISMATCH:
	case SC_RES_SAME_ACCOUNT:
	case SC_RES_BAD_AMOUNT:
		return 1;
	default:
		return 0;
	}
}

int sc_result_is_sealed(int code)
{
	return code == SC_RES_OK || sc_result_is_final_decline(code);
}

int sc_msg_type(const uint8_t *body, size_t len)
{
	if (!body || len == 0)
		return SC_ERR_TRUNCATED;
	return body[0];
}

/* Reads the type byte and checks it; the reader's error stays sticky. */
static int expect_type(struct sc_reader *r, uint8_t type)
{
	uint8_t t = sc_get_u8(r);

	if (r->err)
		return r->err;
	return t == type ? 0 : SC_ERR_BAD_TAG;
}

static int writer_result(const struct sc_writer *w)
{
	return w->err ? w->err : (int)w->len;
}

int sc_get_challenge_encode(uint8_t *out, size_t cap, const char *terminal_id)
{
	struct sc_writer w;
	size_t n;

	if (!out || !terminal_id)
		return SC_ERR_ARG;
	if (sc_terminal_id_valid(terminal_id) != SC_OK)
		return SC_ERR_BAD_VALUE;
	n = strlen(terminal_id);
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_GET_CHALLENGE);
	sc_put_u8(&w, (uint8_t)n);
	sc_put_bytes(&w, (const uint8_t *)terminal_id, n);
	return writer_result(&w);
}

int sc_get_challenge_decode(const uint8_t *body, size_t len,
			    char terminal_id[SC_TERMINAL_ID_MAX + 1])
{
	struct sc_reader r;
	size_t n;
	int rc;

	if (!body || !terminal_id)
		return SC_ERR_ARG;
	sc_reader_init(&r, body, len);
	if ((rc = expect_type(&r, SC_MSG_GET_CHALLENGE)) != 0)
		return rc;
	n = sc_get_u8(&r);
	if (r.err)
		return r.err;
	if (n == 0 || n > SC_TERMINAL_ID_MAX)
		return SC_ERR_LENGTH;
	sc_get_bytes(&r, (uint8_t *)terminal_id, n);
	if ((rc = sc_reader_finish(&r)) != 0)
		return rc;
	terminal_id[n] = '\0';
	if (memchr(terminal_id, '\0', n) || sc_terminal_id_valid(terminal_id) != SC_OK)
		return SC_ERR_BAD_VALUE;
	return 0;
}

int sc_challenge_encode(uint8_t *out, size_t cap, const uint8_t challenge[SC_CHALLENGE_LEN],
			uint32_t valid_for_s)
{
	struct sc_writer w;

	if (!out || !challenge)
		return SC_ERR_ARG;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_CHALLENGE);
	sc_put_bytes(&w, challenge, SC_CHALLENGE_LEN);
	sc_put_u32(&w, valid_for_s);
	return writer_result(&w);
}

int sc_challenge_decode(const uint8_t *body, size_t len, uint8_t challenge[SC_CHALLENGE_LEN],
			uint32_t *valid_for_s)
{
	struct sc_reader r;
	int rc;

	if (!body || !challenge || !valid_for_s)
		return SC_ERR_ARG;
	sc_reader_init(&r, body, len);
	if ((rc = expect_type(&r, SC_MSG_CHALLENGE)) != 0)
		return rc;
	sc_get_bytes(&r, challenge, SC_CHALLENGE_LEN);
	*valid_for_s = sc_get_u32(&r);
	return sc_reader_finish(&r);
}

int sc_get_receipt_key_encode(uint8_t *out, size_t cap)
{
	struct sc_writer w;

	if (!out)
		return SC_ERR_ARG;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_GET_RECEIPT_KEY);
	return writer_result(&w);
}

int sc_get_receipt_key_decode(const uint8_t *body, size_t len)
{
	struct sc_reader r;
	int rc;

	if (!body)
		return SC_ERR_ARG;
	sc_reader_init(&r, body, len);
	if ((rc = expect_type(&r, SC_MSG_GET_RECEIPT_KEY)) != 0)
		return rc;
	return sc_reader_finish(&r);
}

int sc_receipt_key_encode(uint8_t *out, size_t cap, const uint8_t pub[SC_PUBKEY_LEN])
{
	struct sc_writer w;

	if (!out || !pub)
		return SC_ERR_ARG;
	if (pub[0] != 0x04)
		return SC_ERR_BAD_VALUE;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_RECEIPT_KEY);
	sc_put_bytes(&w, pub, SC_PUBKEY_LEN);
	return writer_result(&w);
}

int sc_receipt_key_decode(const uint8_t *body, size_t len, uint8_t pub[SC_PUBKEY_LEN])
{
	struct sc_reader r;
	int rc;

	if (!body || !pub)
		return SC_ERR_ARG;
	sc_reader_init(&r, body, len);
	if ((rc = expect_type(&r, SC_MSG_RECEIPT_KEY)) != 0)
		return rc;
	sc_get_bytes(&r, pub, SC_PUBKEY_LEN);
	if ((rc = sc_reader_finish(&r)) != 0)
		return rc;
	return pub[0] == 0x04 ? 0 : SC_ERR_BAD_VALUE;
}

static int jp_digits_ok(const char jp[SC_JP_DIGITS])
{
	for (size_t i = 0; i < SC_JP_DIGITS; i++)
		if (jp[i] < '0' || jp[i] > '9')
			return 0;
	return 1;
}

static int submit_shape_ok(const struct sc_submit *s)
{
	return s->tx_len >= 1 && s->tx_len <= SC_TX_MAX_LEN &&
	       (s->x_len == 16 || s->x_len == 32) &&
	       s->sig_len >= SC_SIG_MIN_LEN && s->sig_len <= SC_ECDSA_DER_MAX &&
	       jp_digits_ok(s->jp);
}

int sc_submit_encode(uint8_t *out, size_t cap, const struct sc_submit *s)
{
	struct sc_writer w;

	if (!out || !s || !s->tx)
		return SC_ERR_ARG;
	if (!submit_shape_ok(s))
		return SC_ERR_LENGTH;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_SUBMIT);
	sc_put_bytes(&w, s->card_id, SC_CARD_ID_LEN);
	sc_put_u32(&w, s->atc);
	sc_put_u16(&w, (uint16_t)s->tx_len);
	sc_put_bytes(&w, s->tx, s->tx_len);
	sc_put_u8(&w, (uint8_t)s->x_len);
	sc_put_bytes(&w, s->x, s->x_len);
	sc_put_u8(&w, (uint8_t)s->sig_len);
	sc_put_bytes(&w, s->sig, s->sig_len);
	sc_put_bytes(&w, (const uint8_t *)s->jp, SC_JP_DIGITS);
	return writer_result(&w);
}

int sc_submit_decode(struct sc_submit *s, const uint8_t *body, size_t len)
{
	struct sc_reader r;
	int rc;

	if (!s || !body)
		return SC_ERR_ARG;
	memset(s, 0, sizeof(*s));
	sc_reader_init(&r, body, len);
	if ((rc = expect_type(&r, SC_MSG_SUBMIT)) != 0)
		return rc;
	sc_get_bytes(&r, s->card_id, SC_CARD_ID_LEN);
	s->atc = sc_get_u32(&r);
	s->tx_len = sc_get_u16(&r);
	if (!r.err && (s->tx_len == 0 || s->tx_len > SC_TX_MAX_LEN))
		return SC_ERR_LENGTH;
	s->tx = sc_get_span(&r, s->tx_len);
	s->x_len = sc_get_u8(&r);
	if (!r.err && s->x_len != 16 && s->x_len != 32)
		return SC_ERR_LENGTH;
	sc_get_bytes(&r, s->x, s->x_len);
	s->sig_len = sc_get_u8(&r);
	if (!r.err && (s->sig_len < SC_SIG_MIN_LEN || s->sig_len > SC_ECDSA_DER_MAX))
		return SC_ERR_LENGTH;
	sc_get_bytes(&r, s->sig, s->sig_len);
	sc_get_bytes(&r, (uint8_t *)s->jp, SC_JP_DIGITS);
	if ((rc = sc_reader_finish(&r)) != 0)
		return rc;
	return jp_digits_ok(s->jp) ? 0 : SC_ERR_BAD_VALUE;
}

int sc_result_encode(uint8_t *out, size_t cap, uint8_t code, const uint8_t *receipt,
		     size_t receipt_len, const uint8_t *seal, size_t seal_len, const char *text)
{
	struct sc_writer w;
	size_t tn = text ? strlen(text) : 0;

	if (!out || code >= SC_RES_COUNT)
		return SC_ERR_ARG;
	if (sc_result_is_sealed(code)) {
		if (!receipt || receipt_len < SC_RECEIPT_MIN || receipt_len > SC_RECEIPT_MAX ||
		    !seal || seal_len < SC_SEAL_MIN || seal_len > SC_SEAL_MAX)
			return SC_ERR_ARG;
	} else if (receipt || seal) {
		return SC_ERR_ARG;
	}
	if (tn > SC_RESULT_TEXT_MAX)
		tn = SC_RESULT_TEXT_MAX;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_RESULT);
	sc_put_u8(&w, code);
	if (sc_result_is_sealed(code)) {
		sc_put_u16(&w, (uint16_t)receipt_len);
		sc_put_bytes(&w, receipt, receipt_len);
		sc_put_u16(&w, (uint16_t)seal_len);
		sc_put_bytes(&w, seal, seal_len);
	}
	sc_put_u8(&w, (uint8_t)tn);
	sc_put_bytes(&w, (const uint8_t *)text, tn);
	return writer_result(&w);
}

int sc_result_decode(struct sc_result_msg *m, const uint8_t *body, size_t len)
{
	struct sc_reader r;
	int rc;

	if (!m || !body)
		return SC_ERR_ARG;
	memset(m, 0, sizeof(*m));
	sc_reader_init(&r, body, len);
	if ((rc = expect_type(&r, SC_MSG_RESULT)) != 0)
		return rc;
	m->code = sc_get_u8(&r);
	if (!r.err && m->code >= SC_RES_COUNT)
		return SC_ERR_BAD_VALUE;
	if (!r.err && sc_result_is_sealed(m->code)) {
		m->receipt_len = sc_get_u16(&r);
		if (!r.err && (m->receipt_len < SC_RECEIPT_MIN || m->receipt_len > SC_RECEIPT_MAX))
			return SC_ERR_LENGTH;
		m->receipt = sc_get_span(&r, m->receipt_len);
		m->seal_len = sc_get_u16(&r);
		if (!r.err && (m->seal_len < SC_SEAL_MIN || m->seal_len > SC_SEAL_MAX))
			return SC_ERR_LENGTH;
		m->seal = sc_get_span(&r, m->seal_len);
	}
	m->text_len = sc_get_u8(&r);
	m->text = (const char *)sc_get_span(&r, m->text_len);
	return sc_reader_finish(&r);
}

int sc_text_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

int sc_receipt_encode(uint8_t *out, size_t cap, const struct sc_receipt *rc)
{
	struct sc_writer w;
	size_t rn;
	int v4;

	if (!out || !rc)
		return SC_ERR_ARG;
	for (rn = 0; rn < sizeof(rc->reason) && rc->reason[rn]; rn++)
		;
	if (rn > SC_RECEIPT_REASON_MAX || !sc_text_printable(rc->reason, rn) ||
	    !sc_result_is_sealed(rc->result) || (rc->result == SC_RES_OK) != (rn == 0))
		return SC_ERR_BAD_VALUE;
	v4 = rc->version != SC_RECEIPT_V3;
	sc_writer_init(&w, out, cap);
	sc_put_bytes(&w, receipt_magic, sizeof(receipt_magic));
	sc_put_u8(&w, v4 ? SC_RECEIPT_VERSION : SC_RECEIPT_V3);
	sc_put_u8(&w, rc->result);
	sc_put_u64(&w, rc->transfer_id);
	sc_put_u64(&w, rc->counter);
	sc_put_bytes(&w, rc->card_id, SC_CARD_ID_LEN);
	sc_put_u32(&w, rc->atc);
	sc_put_bytes(&w, rc->tx_hash, SC_HASH_LEN);
	sc_put_u16(&w, rc->currency);
	if (v4)
		sc_put_bytes(&w, rc->key_id, SC_KEY_ID_LEN);
	sc_put_u8(&w, (uint8_t)rn);
	sc_put_bytes(&w, (const uint8_t *)rc->reason, rn);
	return writer_result(&w);
}

int sc_receipt_decode(struct sc_receipt *rc, const uint8_t *buf, size_t len)
{
	struct sc_reader r;
	uint8_t magic[4];
	size_t rn = 0;
	int err;

	if (!rc || !buf)
		return SC_ERR_ARG;
	memset(rc, 0, sizeof(*rc));
	sc_reader_init(&r, buf, len);
	sc_get_bytes(&r, magic, sizeof(magic));
	rc->version = sc_get_u8(&r);
	if (r.err)
		return r.err;
	if (memcmp(magic, receipt_magic, sizeof(magic)) != 0)
		return SC_ERR_BAD_TAG;
	if (rc->version != SC_RECEIPT_VERSION && rc->version != SC_RECEIPT_V3 &&
	    rc->version != SC_RECEIPT_V2)
		return SC_ERR_BAD_VERSION;
	rc->result = sc_get_u8(&r);
	rc->transfer_id = sc_get_u64(&r);
	rc->counter = sc_get_u64(&r);
	sc_get_bytes(&r, rc->card_id, SC_CARD_ID_LEN);
	rc->atc = sc_get_u32(&r);
	sc_get_bytes(&r, rc->tx_hash, SC_HASH_LEN);
	if (rc->version == SC_RECEIPT_V2)
		rc->balance_after = sc_get_u64(&r);
	rc->currency = sc_get_u16(&r);
	if (rc->version == SC_RECEIPT_VERSION)
		sc_get_bytes(&r, rc->key_id, SC_KEY_ID_LEN);
	if (rc->version != SC_RECEIPT_V2) {
		rn = sc_get_u8(&r);
		if (!r.err && rn > SC_RECEIPT_REASON_MAX)
			return SC_ERR_LENGTH;
		sc_get_bytes(&r, (uint8_t *)rc->reason, rn);
	}
	if ((err = sc_reader_finish(&r)) != 0)
		return err;
	if (!sc_text_printable(rc->reason, rn))
		return SC_ERR_BAD_VALUE;
	if (rc->version == SC_RECEIPT_V2)
		return rc->result == SC_RES_OK ? 0 : SC_ERR_BAD_VALUE;
	return sc_result_is_sealed(rc->result) && (rc->result == SC_RES_OK) == (rn == 0)
		       ? 0 : SC_ERR_BAD_VALUE;
}
