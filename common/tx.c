/* The canonical transaction (common/tx.h; layout in docs/PROTOCOL.md §3):
 * ten TLV items, 1-byte tag and 1-byte length, tags 01..0A each exactly
 * once in increasing order, fixed-width fields at exactly their width. */
#include <string.h>
#include <mbedtls/sha256.h>
#include "buf.h"
#include "errors.h"
#include "tx.h"

enum tx_tag {
	TAG_VERSION = 0x01,
	TAG_SCHEME = 0x02,
	TAG_AMOUNT = 0x03,
	TAG_CURRENCY = 0x04,
	TAG_PAYER = 0x05,
	TAG_PAYEE = 0x06,
	TAG_PAYEE_NAME = 0x07,
	TAG_TERMINAL_ID = 0x08,
	TAG_CHALLENGE = 0x09,
	TAG_TIME = 0x0a,
};

#define AMOUNT_MAX 0x7fffffffffffffffull
#define TIME_MAX 0x7fffffffffffffffull
#define CURRENCY_MAX 999u

static int scheme_ok(uint8_t s)
{
	return s >= SC_SCHEME_ENC && s <= SC_SCHEME_ENC_DIGEST;
}

/* Length of a NUL-terminated field held in an array of size cap, or cap if
 * the array holds no NUL. */
static size_t field_len(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);

	return nul ? (size_t)(nul - s) : cap;
}

int sc_tx_validate(const struct sc_tx *tx)
{
	size_t n;
	int rc;

	if (!tx)
		return SC_ERR_ARG;
	if (tx->version != SC_TX_VERSION)
		return SC_ERR_BAD_VERSION;
	if (!scheme_ok(tx->scheme))
		return SC_ERR_BAD_VALUE;
	if (tx->amount == 0 || tx->amount > AMOUNT_MAX)
		return SC_ERR_BAD_VALUE;
	if (tx->currency == 0 || tx->currency > CURRENCY_MAX)
		return SC_ERR_BAD_VALUE;
	if (field_len(tx->payer, sizeof(tx->payer)) == sizeof(tx->payer) ||
	    field_len(tx->payee, sizeof(tx->payee)) == sizeof(tx->payee) ||
	    field_len(tx->terminal_id, sizeof(tx->terminal_id)) == sizeof(tx->terminal_id))
		return SC_ERR_LENGTH;
	if ((rc = sc_account_id_valid(tx->payer)) != SC_OK ||
	    (rc = sc_account_id_valid(tx->payee)) != SC_OK)
		return rc;
	n = field_len(tx->payee_name, sizeof(tx->payee_name));
	if (n == sizeof(tx->payee_name))
		return SC_ERR_LENGTH;
	if ((rc = sc_display_text_valid((const uint8_t *)tx->payee_name, n)) != SC_OK)
		return rc;
	if ((rc = sc_terminal_id_valid(tx->terminal_id)) != SC_OK)
		return rc;
	if (tx->time > TIME_MAX)
		return SC_ERR_BAD_VALUE;
	return SC_OK;
}

static void put_u64_tlv(struct sc_writer *w, uint8_t tag, uint64_t v)
{
	uint8_t b[8];

	for (size_t i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	sc_put_tlv(w, tag, b, sizeof(b));
}

static void put_text_tlv(struct sc_writer *w, uint8_t tag, const char *s, size_t cap)
{
	sc_put_tlv(w, tag, (const uint8_t *)s, field_len(s, cap));
}

int sc_tx_encode(const struct sc_tx *tx, uint8_t *out, size_t cap)
{
	struct sc_writer w;
	uint8_t cur[2];
	int rc;

	if ((rc = sc_tx_validate(tx)) != SC_OK)
		return rc;
	if (!out)
		return SC_ERR_ARG;
	sc_writer_init(&w, out, cap);
	sc_put_tlv(&w, TAG_VERSION, &tx->version, 1);
	sc_put_tlv(&w, TAG_SCHEME, &tx->scheme, 1);
	put_u64_tlv(&w, TAG_AMOUNT, tx->amount);
	cur[0] = (uint8_t)(tx->currency >> 8);
	cur[1] = (uint8_t)tx->currency;
	sc_put_tlv(&w, TAG_CURRENCY, cur, 2);
	put_text_tlv(&w, TAG_PAYER, tx->payer, sizeof(tx->payer));
	put_text_tlv(&w, TAG_PAYEE, tx->payee, sizeof(tx->payee));
	put_text_tlv(&w, TAG_PAYEE_NAME, tx->payee_name, sizeof(tx->payee_name));
	put_text_tlv(&w, TAG_TERMINAL_ID, tx->terminal_id, sizeof(tx->terminal_id));
	sc_put_tlv(&w, TAG_CHALLENGE, tx->challenge, SC_CHALLENGE_LEN);
	put_u64_tlv(&w, TAG_TIME, tx->time);
	if (w.err)
		return w.err;
	return (int)w.len;
}

/* The next item, which must carry tag want; its value and length. */
static int get_item(struct sc_reader *r, uint8_t want, const uint8_t **v, size_t *len)
{
	uint8_t tag;

	if (sc_reader_left(r) == 0)
		return SC_ERR_TRUNCATED;  /* a field is missing at the end */
	*v = sc_get_tlv(r, &tag, len);
	if (!*v)
		return r->err;
	return tag == want ? SC_OK : SC_ERR_BAD_TAG;
}

static int get_fixed(struct sc_reader *r, uint8_t want, size_t width, const uint8_t **v)
{
	size_t len;
	int rc = get_item(r, want, v, &len);

	if (rc == SC_OK && len != width)
		rc = SC_ERR_LENGTH;
	return rc;
}

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* A text item of 1..max bytes, copied NUL-terminated into dst[max + 1]. */
static int get_text(struct sc_reader *r, uint8_t want, size_t max, char *dst)
{
	const uint8_t *v;
	size_t len;
	int rc = get_item(r, want, &v, &len);

	if (rc != SC_OK)
		return rc;
	if (len == 0 || len > max)
		return SC_ERR_LENGTH;
	memcpy(dst, v, len);
	dst[len] = '\0';
	/* An embedded NUL would make the struct say less than the bytes. */
	return memchr(v, 0, len) ? SC_ERR_BAD_VALUE : SC_OK;
}

static int decode_fields(struct sc_tx *tx, struct sc_reader *r)
{
	const uint8_t *v;
	int rc;

	if ((rc = get_fixed(r, TAG_VERSION, 1, &v)) != SC_OK)
		return rc;
	if ((tx->version = v[0]) != SC_TX_VERSION)
		return SC_ERR_BAD_VERSION;
	if ((rc = get_fixed(r, TAG_SCHEME, 1, &v)) != SC_OK)
		return rc;
	if (!scheme_ok(tx->scheme = v[0]))
		return SC_ERR_BAD_VALUE;
	if ((rc = get_fixed(r, TAG_AMOUNT, 8, &v)) != SC_OK)
		return rc;
	tx->amount = be64(v);
	if (tx->amount == 0 || tx->amount > AMOUNT_MAX)
		return SC_ERR_BAD_VALUE;
	if ((rc = get_fixed(r, TAG_CURRENCY, 2, &v)) != SC_OK)
		return rc;
	tx->currency = (uint16_t)((unsigned)v[0] << 8 | v[1]);
	if (tx->currency == 0 || tx->currency > CURRENCY_MAX)
		return SC_ERR_BAD_VALUE;
	if ((rc = get_text(r, TAG_PAYER, SC_ACCOUNT_MAX, tx->payer)) != SC_OK ||
	    (rc = sc_account_id_valid(tx->payer)) != SC_OK)
		return rc;
	if ((rc = get_text(r, TAG_PAYEE, SC_ACCOUNT_MAX, tx->payee)) != SC_OK ||
	    (rc = sc_account_id_valid(tx->payee)) != SC_OK)
		return rc;
	if ((rc = get_text(r, TAG_PAYEE_NAME, SC_PAYEE_NAME_MAX, tx->payee_name)) != SC_OK)
		return rc == SC_ERR_BAD_VALUE ? SC_ERR_BAD_UTF8 : rc;
	if ((rc = sc_display_text_valid((const uint8_t *)tx->payee_name,
					strlen(tx->payee_name))) != SC_OK)
		return rc;
	if ((rc = get_text(r, TAG_TERMINAL_ID, SC_TERMINAL_ID_MAX, tx->terminal_id)) != SC_OK ||
	    (rc = sc_terminal_id_valid(tx->terminal_id)) != SC_OK)
		return rc;
	if ((rc = get_fixed(r, TAG_CHALLENGE, SC_CHALLENGE_LEN, &v)) != SC_OK)
		return rc;
	memcpy(tx->challenge, v, SC_CHALLENGE_LEN);
	if ((rc = get_fixed(r, TAG_TIME, 8, &v)) != SC_OK)
		return rc;
	tx->time = be64(v);
	if (tx->time > TIME_MAX)
		return SC_ERR_BAD_VALUE;
	return sc_reader_finish(r);
}

int sc_tx_decode(struct sc_tx *tx, const uint8_t *buf, size_t len)
{
	struct sc_reader r;
	int rc;

	if (!tx || (!buf && len))
		return SC_ERR_ARG;
	memset(tx, 0, sizeof(*tx));
	sc_reader_init(&r, buf, len);
	rc = decode_fields(tx, &r);
	if (rc != SC_OK)
		memset(tx, 0, sizeof(*tx));  /* no half-decoded transaction */
	return rc;
}

int sc_tx_hash(const uint8_t *buf, size_t len, uint8_t out[SC_HASH_LEN])
{
	if (!out || (!buf && len))
		return SC_ERR_ARG;
	if (mbedtls_sha256_ret(buf, len, out, 0) != 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}
