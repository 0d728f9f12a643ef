/* The signature applet as the terminal uses it: SELECT, GET DATA, SIGN
 * TRANSACTION, GET JOINT PASSWORD (docs/PROTOCOL.md §5). Each status word
 * other than 9000 becomes a card error whose message names it. */
#include <string.h>

#include "common/apdu.h"
#include "common/applet.h"
#include "common/sw.h"
#include "terminal/terminal.h"

static int sw_fail(struct term_carrier *c, const char *what, uint16_t sw, const char *meaning)
{
	return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR, "%s: %s refused: %04X %s%s%s",
			 c->spec, what, sw, sc_sw_name(sw), meaning ? ": " : "",
			 meaning ? meaning : "");
}

static int build(struct term_carrier *c, uint8_t *cmd, size_t cap, uint8_t cla, uint8_t ins,
		 uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc, size_t le)
{
	int n = sc_apdu_build(cmd, cap, cla, ins, p1, p2, data, lc, le);
	if (n < 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_FAILURE,
				 "cannot build a command of %zu bytes", lc);
	return n;
}

int term_card_start(struct term_carrier *c)
{
	uint8_t atr[TERM_ATR_MAX], cmd[32], resp[256];
	size_t atr_len, n;
	uint16_t sw;
	int rc = term_carrier_power_on(c, atr, sizeof atr, &atr_len);
	if (rc != 0)
		return rc;
	int len = build(c, cmd, sizeof cmd, SC_CLA_ISO, SC_INS_SELECT, SC_P1_SELECT_BY_NAME,
			SC_P2_SELECT_FCI, sc_applet_aid, SC_AID_LEN, 256);
	if (len < 0)
		return len;
	rc = term_carrier_apdu(c, cmd, (size_t)len, resp, sizeof resp, &n, &sw);
	if (rc != 0)
		return rc;
	if (sw == SW_FILE_NOT_FOUND)
		return sw_fail(c, "SELECT", sw, "this card has no sigcard applet");
	if (sw != SW_NO_ERROR)
		return sw_fail(c, "SELECT", sw, NULL);
	return 0;
}

int term_card_get_data(struct term_carrier *c, uint16_t tag, uint8_t *out, size_t cap,
		       size_t *len)
{
	uint8_t cmd[8];
	uint16_t sw;
	int n = build(c, cmd, sizeof cmd, SC_CLA_ISO, SC_INS_GET_DATA, (uint8_t)(tag >> 8),
		      (uint8_t)tag, NULL, 0, 256);
	if (n < 0)
		return n;
	int rc = term_carrier_apdu(c, cmd, (size_t)n, out, cap, len, &sw);
	if (rc != 0)
		return rc;
	if (sw == SW_REFERENCED_DATA_NOT_FOUND)
		return sw_fail(c, "GET DATA", sw, "the card is not personalised");
	if (sw != SW_NO_ERROR)
		return sw_fail(c, "GET DATA", sw, NULL);
	return 0;
}

int term_card_identity(struct term_carrier *c, uint8_t card_id[SC_CARD_ID_LEN],
		       char account[SC_ACCOUNT_MAX + 1])
{
	uint8_t buf[TERM_GET_DATA_MAX];
	size_t n;
	int rc = term_card_get_data(c, SC_TAG_CARD_ID, buf, sizeof buf, &n);
	if (rc != 0)
		return rc;
	if (n != SC_CARD_ID_LEN)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: a card id of %zu bytes (expected %u)", c->spec, n,
				 SC_CARD_ID_LEN);
	memcpy(card_id, buf, SC_CARD_ID_LEN);
	rc = term_card_get_data(c, SC_TAG_ACCOUNT, buf, sizeof buf, &n);
	if (rc != 0)
		return rc;
	if (n == 0 || n > SC_ACCOUNT_MAX)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: an account id of %zu bytes", c->spec, n);
	memcpy(account, buf, n);
	account[n] = '\0';
	if (sc_account_id_valid(account) != 0)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: the card's account id is not a valid account id", c->spec);
	return 0;
}

static const char *sign_refusal(uint16_t sw)
{
	switch (sw) {
	case SW_FILE_INVALID: return "the card or its PIN is blocked";
	case SW_CONDITIONS_NOT_SATISFIED: return "the card is not issued yet";
	case SW_WRONG_DATA: return "the card will not sign this transaction (payer or currency)";
	case SW_FUNC_NOT_SUPPORTED: return "the card cannot show the payee name (a character outside its screen's)";
	case SW_FILE_FULL: return "the card's counter is spent: replace the card";
	case SW_MEMORY_FAILURE: return "the card's memory failed";
	default: return NULL;
	}
}

int term_card_sign(struct term_carrier *c, const uint8_t *tx, size_t tx_len, uint8_t scheme,
		   struct sc_sign_resp *out)
{
	uint8_t cmd[8 + SC_TX_MAX_LEN], resp[256];
	size_t n;
	uint16_t sw;
	memset(out, 0, sizeof *out);
	int len = build(c, cmd, sizeof cmd, SC_CLA_PROPRIETARY, SC_INS_SIGN_TRANSACTION, 0x00, 0x00,
			tx, tx_len, 256);
	if (len < 0)
		return len;
	int rc = term_carrier_apdu(c, cmd, (size_t)len, resp, sizeof resp, &n, &sw);
	if (rc != 0)
		return rc;
	if (sw != SW_NO_ERROR)
		return sw_fail(c, "SIGN TRANSACTION", sw, sign_refusal(sw));

	/* C1 04 ATC, C2 len X, C3 len signature: in that order, nothing else,
	 * and X as long as the transaction's scheme makes it. */
	int x_len = sc_scheme_x_len(scheme);
	if (sc_sign_resp_decode(out, resp, n) != 0 || x_len < 0 || out->x_len != (size_t)x_len) {
		memset(out, 0, sizeof *out);
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: SIGN TRANSACTION answered %zu bytes that are not ATC, X and a"
				 " signature", c->spec, n);
	}
	return 0;
}

int term_card_get_jp(struct term_carrier *c, char jp[SC_JP_DIGITS + 1])
{
	uint8_t cmd[8], resp[64];
	size_t n;
	uint16_t sw;
	int len = build(c, cmd, sizeof cmd, SC_CLA_PROPRIETARY, SC_INS_GET_JOINT_PASSWORD, 0x00, 0x00,
			NULL, 0, SC_JP_DIGITS);
	if (len < 0)
		return len;
	int rc = term_carrier_apdu(c, cmd, (size_t)len, resp, sizeof resp, &n, &sw);
	if (rc != 0)
		return rc;
	/* 6985: not confirmed yet, ask again; 6984: never, stop asking. */
	if (sw == SW_CONDITIONS_NOT_SATISFIED)
		return 0;
	if (sw == SW_DATA_INVALID)
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CANCELLED,
				 "%s: the card will not release the password (%04X %s): the"
				 " holder cancelled, the PIN was wrong too often, the card's"
				 " confirmation timed out, or the password was already read;"
				 " start a new payment", c->spec, sw, sc_sw_name(sw));
	if (sw != SW_NO_ERROR)
		return sw_fail(c, "GET JOINT PASSWORD", sw, NULL);
	int ok = n == SC_JP_DIGITS;
	for (size_t i = 0; ok && i < n; i++)
		ok = resp[i] >= '0' && resp[i] <= '9';
	if (!ok) {
		sc_wipe(resp, sizeof resp);
		return term_errf(c->err, sizeof c->err, TERM_EXIT_CARD_ERROR,
				 "%s: GET JOINT PASSWORD answered %zu bytes, not %u digits",
				 c->spec, n, SC_JP_DIGITS);
	}
	memcpy(jp, resp, SC_JP_DIGITS);
	jp[SC_JP_DIGITS] = '\0';
	sc_wipe(resp, sizeof resp);
	return 1;
}
