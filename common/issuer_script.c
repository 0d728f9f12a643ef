/* The issuer-script messages (common/issuer_script.h). */
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "issuer_script.h"
#include "submit.h"

static int finish_write(const struct sc_writer *w)
{
	return w->err ? w->err : (int)w->len;
}

static void put_ref(struct sc_writer *w, uint8_t type, const struct sc_script_ref *r)
{
	sc_put_u8(w, type);
	sc_put_bytes(w, r->card_id, SC_CARD_ID_LEN);
	sc_put_bytes(w, r->challenge, SC_CARD_CHALLENGE_LEN);
}

/* The type byte and the reference; the reader's error stays sticky. */
static int get_ref(struct sc_reader *rd, uint8_t type, struct sc_script_ref *r)
{
	uint8_t t = sc_get_u8(rd);

	sc_get_bytes(rd, r->card_id, SC_CARD_ID_LEN);
	sc_get_bytes(rd, r->challenge, SC_CARD_CHALLENGE_LEN);
	if (rd->err)
		return rd->err;
	return t == type ? 0 : SC_ERR_BAD_TAG;
}

int sc_get_issuer_script_encode(uint8_t *out, size_t cap, const struct sc_script_ref *r)
{
	struct sc_writer w;

	if (!out || !r)
		return SC_ERR_ARG;
	sc_writer_init(&w, out, cap);
	put_ref(&w, SC_MSG_GET_ISSUER_SCRIPT, r);
	return finish_write(&w);
}

int sc_get_issuer_script_decode(struct sc_script_ref *r, const uint8_t *body, size_t len)
{
	struct sc_reader rd;
	int rc;

	if (!r || !body)
		return SC_ERR_ARG;
	sc_reader_init(&rd, body, len);
	rc = get_ref(&rd, SC_MSG_GET_ISSUER_SCRIPT, r);
	if (rc == 0)
		rc = sc_reader_finish(&rd);
	if (rc != 0)
		memset(r, 0, sizeof *r);
	return rc;
}

static int apdu_len_ok(size_t n)
{
	return n >= SC_SCRIPT_APDU_MIN && n <= SC_SCRIPT_APDU_MAX;
}

int sc_issuer_script_encode(uint8_t *out, size_t cap, const struct sc_issuer_script *s)
{
	struct sc_writer w;

	if (!out || !s)
		return SC_ERR_ARG;
	if (!apdu_len_ok(s->apdu_len))
		return SC_ERR_LENGTH;
	sc_writer_init(&w, out, cap);
	put_ref(&w, SC_MSG_ISSUER_SCRIPT, &s->ref);
	sc_put_u8(&w, (uint8_t)s->apdu_len);
	sc_put_bytes(&w, s->apdu, s->apdu_len);
	return finish_write(&w);
}

int sc_issuer_script_decode(struct sc_issuer_script *s, const uint8_t *body, size_t len)
{
	struct sc_reader rd;
	size_t n;
	int rc;

	if (!s || !body)
		return SC_ERR_ARG;
	memset(s, 0, sizeof *s);
	sc_reader_init(&rd, body, len);
	rc = get_ref(&rd, SC_MSG_ISSUER_SCRIPT, &s->ref);
	if (rc != 0)
		goto bad;
	n = sc_get_u8(&rd);
	if (rd.err == 0 && !apdu_len_ok(n)) {
		rc = SC_ERR_LENGTH;
		goto bad;
	}
	sc_get_bytes(&rd, s->apdu, n);
	rc = sc_reader_finish(&rd);
	if (rc != 0)
		goto bad;
	s->apdu_len = n;
	return 0;
bad:
	memset(s, 0, sizeof *s);
	return rc;
}

int sc_script_report_encode(uint8_t *out, size_t cap, const struct sc_script_ref *r, uint16_t sw)
{
	struct sc_writer w;

	if (!out || !r)
		return SC_ERR_ARG;
	sc_writer_init(&w, out, cap);
	put_ref(&w, SC_MSG_SCRIPT_REPORT, r);
	sc_put_u16(&w, sw);
	return finish_write(&w);
}

int sc_script_report_decode(struct sc_script_ref *r, uint16_t *sw, const uint8_t *body,
			    size_t len)
{
	struct sc_reader rd;
	int rc;

	if (!r || !sw || !body)
		return SC_ERR_ARG;
	sc_reader_init(&rd, body, len);
	rc = get_ref(&rd, SC_MSG_SCRIPT_REPORT, r);
	*sw = sc_get_u16(&rd);
	if (rc == 0)
		rc = sc_reader_finish(&rd);
	if (rc != 0) {
		memset(r, 0, sizeof *r);
		*sw = 0;
	}
	return rc;
}

int sc_script_recorded_encode(uint8_t *out, size_t cap)
{
	if (!out)
		return SC_ERR_ARG;
	if (cap < 1)
		return SC_ERR_OVERFLOW;
	out[0] = SC_MSG_SCRIPT_RECORDED;
	return 1;
}

int sc_script_recorded_decode(const uint8_t *body, size_t len)
{
	if (!body || len == 0)
		return body ? SC_ERR_TRUNCATED : SC_ERR_ARG;
	if (body[0] != SC_MSG_SCRIPT_RECORDED)
		return SC_ERR_BAD_TAG;
	return len == 1 ? 0 : SC_ERR_TRAILING;
}

void sc_unblock_apdu(uint8_t out[SC_UNBLOCK_APDU_LEN], const uint8_t mac[SC_ISSUER_MAC_LEN])
{
	out[0] = SC_CLA_PROPRIETARY;
	out[1] = SC_INS_RESET_RETRY_COUNTER;
	out[2] = 0;
	out[3] = 0;
	out[4] = SC_ISSUER_MAC_LEN;
	memcpy(out + 5, mac, SC_ISSUER_MAC_LEN);
}

size_t sc_unblock_mac_input(uint8_t out[SC_UNBLOCK_MSG_LEN], const struct sc_script_ref *r)
{
	const size_t n = sizeof SC_LABEL_UNBLOCK - 1u;

	memcpy(out, SC_LABEL_UNBLOCK, n);
	memcpy(out + n, r->card_id, SC_CARD_ID_LEN);
	memcpy(out + n + SC_CARD_ID_LEN, r->challenge, SC_CARD_CHALLENGE_LEN);
	return SC_UNBLOCK_MSG_LEN;
}
