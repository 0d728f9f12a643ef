/* libFuzzer target for the transaction decoder (common/tx.h). An accepted
 * input is canonical: it validates, re-encodes to exactly the same bytes,
 * and its text fields pass their own checks. Also drives the amount
 * formatter on what was decoded. */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "common/currency.h"
#include "common/errors.h"
#include "common/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sc_tx zero;
	uint8_t out[SC_TX_MAX_LEN], h[SC_HASH_LEN];
	struct sc_tx tx;
	char text[48];
	int rc, n;

	rc = sc_tx_decode(&tx, data, size);
	if (rc != SC_OK) {
		assert(rc < 0 && rc >= SC_ERR_AUTH);
		assert(memcmp(&tx, &zero, sizeof(tx)) == 0);  /* nothing half-decoded */
		return 0;
	}
	assert(size <= SC_TX_MAX_LEN);
	assert(sc_tx_validate(&tx) == SC_OK);
	n = sc_tx_encode(&tx, out, sizeof(out));
	assert(n == (int)size);
	assert(memcmp(out, data, size) == 0);
	assert(sc_tx_hash(data, size, h) == SC_OK);
	assert(sc_account_id_valid(tx.payer) == SC_OK);
	assert(sc_account_id_valid(tx.payee) == SC_OK);
	assert(sc_terminal_id_valid(tx.terminal_id) == SC_OK);
	assert(sc_display_text_valid((const uint8_t *)tx.payee_name,
				     strlen(tx.payee_name)) == SC_OK);
	assert(sc_scheme_name(tx.scheme) != NULL);
	n = sc_amount_format(text, sizeof(text), tx.amount, tx.currency);
	if (n > 0) {
		uint64_t back;

		text[n - 4] = '\0';
		assert(sc_amount_parse(text, tx.currency, &back) == SC_OK);
		assert(back == tx.amount);
	} else {
		assert(n == SC_ERR_BAD_VALUE && !sc_currency_by_numeric(tx.currency));
	}
	return 0;
}
