/* The authorisation pre-check messages (common/precheck.h). */
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "precheck.h"
#include "submit.h"

int sc_precheck_verdict(int code)
{
	switch (code) {
	case SC_RES_OK:
	case SC_RES_UNKNOWN_CARD:
	case SC_RES_CARD_BLOCKED:
	case SC_RES_CHALLENGE_INVALID:
	case SC_RES_UNKNOWN_ACCOUNT:
	case SC_RES_CURRENCY_MISMATCH:
	case SC_RES_SAME_ACCOUNT:
	case SC_RES_BAD_AMOUNT:
		return 1;
	default:
		return 0;
	}
}

static int finish_write(const struct sc_writer *w)
{
	return w->err ? w->err : (int)w->len;
}

static int tx_len_ok(size_t n)
{
	return n >= 1 && n <= SC_TX_MAX_LEN;
}

int sc_precheck_encode(uint8_t *out, size_t cap, const struct sc_precheck *p)
{
	struct sc_writer w;

	if (!out || !p || !p->tx)
		return SC_ERR_ARG;
	if (!tx_len_ok(p->tx_len))
		return SC_ERR_LENGTH;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_PRECHECK);
	sc_put_bytes(&w, p->card_id, SC_CARD_ID_LEN);
	sc_put_u16(&w, (uint16_t)p->tx_len);
	sc_put_bytes(&w, p->tx, p->tx_len);
	return finish_write(&w);
}

int sc_precheck_decode(struct sc_precheck *p, const uint8_t *body, size_t len)
{
	struct sc_reader rd;
	uint8_t type;
	size_t n;
	int rc;

	if (!p || !body)
		return SC_ERR_ARG;
	memset(p, 0, sizeof *p);
	sc_reader_init(&rd, body, len);
	type = sc_get_u8(&rd);
	if (rd.err == 0 && type != SC_MSG_PRECHECK)
		return SC_ERR_BAD_TAG;
	sc_get_bytes(&rd, p->card_id, SC_CARD_ID_LEN);
	n = sc_get_u16(&rd);
	if (rd.err == 0 && !tx_len_ok(n)) {
		rc = SC_ERR_LENGTH;
		goto bad;
	}
	p->tx = sc_get_span(&rd, n);
	rc = sc_reader_finish(&rd);
	if (rc != 0)
		goto bad;
	p->tx_len = n;
	return 0;
bad:
	memset(p, 0, sizeof *p);
	return rc;
}

int sc_prechecked_encode(uint8_t *out, size_t cap, uint8_t code, const char *text)
{
	struct sc_writer w;
	size_t tn = text ? strlen(text) : 0;

	if (!out)
		return SC_ERR_ARG;
	if (!sc_precheck_verdict(code) || tn > SC_PRECHECK_TEXT_MAX ||
	    !sc_text_printable(text, tn))
		return SC_ERR_BAD_VALUE;
	sc_writer_init(&w, out, cap);
	sc_put_u8(&w, SC_MSG_PRECHECKED);
	sc_put_u8(&w, code);
	sc_put_u8(&w, (uint8_t)tn);
	sc_put_bytes(&w, (const uint8_t *)text, tn);
	return finish_write(&w);
}

int sc_prechecked_decode(struct sc_prechecked *m, const uint8_t *body, size_t len)
{
	struct sc_reader rd;
	uint8_t type;
	int rc;

	if (!m || !body)
		return SC_ERR_ARG;
	memset(m, 0, sizeof *m);
	sc_reader_init(&rd, body, len);
	type = sc_get_u8(&rd);
	if (rd.err == 0 && type != SC_MSG_PRECHECKED)
		return SC_ERR_BAD_TAG;
	m->code = sc_get_u8(&rd);
	if (rd.err == 0 && !sc_precheck_verdict(m->code)) {
		rc = SC_ERR_BAD_VALUE;
		goto bad;
	}
	m->text_len = sc_get_u8(&rd);
	m->text = (const char *)sc_get_span(&rd, m->text_len);
	rc = sc_reader_finish(&rd);
	if (rc == 0 && !sc_text_printable(m->text, m->text_len))
		rc = SC_ERR_BAD_VALUE;
	if (rc != 0)
		goto bad;
	return 0;
bad:
	memset(m, 0, sizeof *m);
	return rc;
}
