/* The applet's formats (common/applet.h): the SIGN TRANSACTION response,
 * the password QR payload and the void QR payload. */
#include <string.h>

#include "applet.h"
#include "errors.h"
#include "hex.h"

const uint8_t sc_applet_aid[SC_AID_LEN] = {0xF0, 0x53, 0x49, 0x47, 0x43, 0x41, 0x52, 0x44, 0x01};

#define DER_SEQUENCE 0x30u

static int x_len_ok(size_t n)
{
	return n == 16u || n == 32u;
}

static int sig_len_ok(size_t n)
{
	return n >= SC_SIGN_SIG_MIN && n <= SC_ECDSA_DER_MAX;
}

void sc_sign_resp_put(struct sc_writer *w, const struct sc_sign_resp *r)
{
	if (w->err == 0 && (!x_len_ok(r->x_len) || !sig_len_ok(r->sig_len)))
		w->err = SC_ERR_LENGTH;
	sc_put_u8(w, SC_SIGN_TAG_ATC);
	sc_put_u8(w, 4);
	sc_put_u32(w, r->atc);
	sc_put_tlv(w, SC_SIGN_TAG_X, r->x, r->x_len);
	sc_put_tlv(w, SC_SIGN_TAG_SIG, r->sig, r->sig_len);
}

/* The next item, which must carry tag; its value, or NULL with *err set. */
static const uint8_t *get_item(struct sc_reader *rd, uint8_t tag, size_t *len, int *err)
{
	uint8_t got = 0;
	const uint8_t *v = sc_get_tlv(rd, &got, len);

	if (v == NULL)
		*err = rd->err;
	else if (got != tag)
		*err = SC_ERR_BAD_TAG;
	return *err == 0 ? v : NULL;
}

int sc_sign_resp_decode(struct sc_sign_resp *r, const uint8_t *in, size_t len)
{
	struct sc_reader rd;
	const uint8_t *v;
	size_t n = 0;
	int err = 0;

	memset(r, 0, sizeof *r);
	sc_reader_init(&rd, in, len);
	if ((v = get_item(&rd, SC_SIGN_TAG_ATC, &n, &err)) == NULL)
		goto bad;
	if (n != 4u) {
		err = SC_ERR_LENGTH;
		goto bad;
	}
	r->atc = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	if ((v = get_item(&rd, SC_SIGN_TAG_X, &n, &err)) == NULL)
		goto bad;
	if (!x_len_ok(n)) {
		err = SC_ERR_LENGTH;
		goto bad;
	}
	memcpy(r->x, v, n);
	r->x_len = n;
	if ((v = get_item(&rd, SC_SIGN_TAG_SIG, &n, &err)) == NULL)
		goto bad;
	if (!sig_len_ok(n)) {
		err = SC_ERR_LENGTH;
		goto bad;
	}
	if (v[0] != DER_SEQUENCE) {
		err = SC_ERR_BAD_VALUE;
		goto bad;
	}
	memcpy(r->sig, v, n);
	r->sig_len = n;
	err = sc_reader_finish(&rd);
	if (err == 0)
		return 0;
bad:
	memset(r, 0, sizeof *r);
	return err;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* Writes "<prefix><card id hex>:<ATC>:<last>" and a NUL into out; returns
 * the length. Both QR payloads are this, with their own prefix and last
 * field. */
static int put_payload(char *out, const char *prefix, const uint8_t card_id[SC_CARD_ID_LEN],
		       uint32_t v, const char *last, size_t last_len)
{
	char tmp[10];
	size_t at = strlen(prefix), n = 0;

	memcpy(out, prefix, at);
	sc_hex_encode(out + at, card_id, SC_CARD_ID_LEN);
	at += 2u * SC_CARD_ID_LEN;
	out[at++] = ':';
	do {
		tmp[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v != 0);
	while (n > 0)
		out[at++] = tmp[--n];
	out[at++] = ':';
	memcpy(out + at, last, last_len);
	at += last_len;
	out[at] = '\0';
	return (int)at;
}

/* Reads "<prefix><card id hex>:<ATC>:" from payload[0..len); returns the
 * offset of what follows, or 0 if the payload does not start so. */
static size_t get_id_atc(const char *payload, size_t len, const char *prefix,
			 uint8_t card_id[SC_CARD_ID_LEN], uint32_t *atc_out)
{
	const size_t pre = strlen(prefix);
	char id_hex[2u * SC_CARD_ID_LEN + 1u];
	uint64_t atc = 0;
	size_t at = pre, digits = 0;

	if (len < pre || memcmp(payload, prefix, pre) != 0)
		return 0;
	if (len - at < 2u * SC_CARD_ID_LEN + 1u || payload[at + 2u * SC_CARD_ID_LEN] != ':')
		return 0;
	memcpy(id_hex, payload + at, 2u * SC_CARD_ID_LEN);
	id_hex[2u * SC_CARD_ID_LEN] = '\0';
	if (sc_hex_decode(card_id, SC_CARD_ID_LEN, id_hex) != (int)SC_CARD_ID_LEN)
		return 0;
	at += 2u * SC_CARD_ID_LEN + 1u;
	while (at < len && is_digit(payload[at])) {
		if (digits == 10u || (digits == 1u && atc == 0))
			return 0; /* too long, or a leading zero */
		atc = atc * 10u + (uint64_t)(payload[at] - '0');
		digits++;
		at++;
	}
	if (digits == 0 || atc > UINT32_MAX || at >= len || payload[at] != ':')
		return 0;
	*atc_out = (uint32_t)atc;
	return at + 1u;
}

int sc_qr_encode(char out[SC_QR_MAX + 1], const struct sc_qr *q)
{
	if (!all_digits(q->jp, SC_JP_DIGITS))
		return SC_ERR_BAD_VALUE;
	return put_payload(out, SC_QR_PREFIX, q->card_id, q->atc, q->jp, SC_JP_DIGITS);
}

int sc_qr_decode(struct sc_qr *q, const char *payload, size_t len)
{
	size_t at;

	memset(q, 0, sizeof *q);
	at = get_id_atc(payload, len, SC_QR_PREFIX, q->card_id, &q->atc);
	if (at == 0 || len - at != SC_JP_DIGITS || !all_digits(payload + at, SC_JP_DIGITS))
		goto bad;
	memcpy(q->jp, payload + at, SC_JP_DIGITS);
	q->jp[SC_JP_DIGITS] = '\0';
	return 0;
bad:
	memset(q, 0, sizeof *q);
	return SC_ERR_BAD_VALUE;
}

static const char *const void_words[] = {
	[SC_VOID_CANCELLED] = "cancelled",
	[SC_VOID_TIMEOUT] = "timeout",
	[SC_VOID_PIN_BLOCKED] = "pin-blocked",
};

const char *sc_void_reason_word(enum sc_void_reason reason)
{
	if ((unsigned)reason == 0 || (unsigned)reason >= sizeof void_words / sizeof void_words[0])
		return NULL;
	return void_words[reason];
}

int sc_void_qr_encode(char out[SC_VOID_QR_MAX + 1], const struct sc_void_qr *q)
{
	const char *word = sc_void_reason_word(q->reason);

	if (word == NULL)
		return SC_ERR_BAD_VALUE;
	return put_payload(out, SC_VOID_QR_PREFIX, q->card_id, q->atc, word, strlen(word));
}

int sc_void_qr_decode(struct sc_void_qr *q, const char *payload, size_t len)
{
	size_t at;

	memset(q, 0, sizeof *q);
	at = get_id_atc(payload, len, SC_VOID_QR_PREFIX, q->card_id, &q->atc);
	if (at == 0)
		goto bad;
	for (unsigned r = SC_VOID_CANCELLED; r <= SC_VOID_PIN_BLOCKED; r++) {
		const char *word = void_words[r];
		if (len - at == strlen(word) && memcmp(payload + at, word, len - at) == 0) {
			q->reason = (enum sc_void_reason)r;
			return 0;
		}
	}
bad:
	memset(q, 0, sizeof *q);
	return SC_ERR_BAD_VALUE;
}
