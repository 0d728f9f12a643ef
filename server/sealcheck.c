/* The seals of the stored outcomes: every receipt of the ledger (payments'
 * in receipts, final declines' inside their stored RESULT) still verifies
 * with the receipt key it names in the ring (keys.c). Read by `check`
 * only: one ECDSA check per outcome is too slow for the start-up check's
 * time budget on a large ledger. */
#include <stdio.h>
#include "server.h"

static const struct {
	const char *what, *sql;
	int result; /* 1: column 1 is a RESULT message, else columns 1 and 2 are body and seal */
} stored[] = {
	{"receipt", "SELECT counter, body, seal FROM receipts ORDER BY counter", 0},
	{"decline", "SELECT counter, result FROM declines ORDER BY counter", 1},
};

int srv_ledger_check_seals(struct srv_db *d, const struct srv_ring *ring, size_t *checked,
			   char *err, size_t errlen)
{
	char why[256];

	*checked = 0;
	for (size_t t = 0; t < sizeof(stored) / sizeof(stored[0]); t++) {
		sqlite3_stmt *st;
		int rc;

		if (sqlite3_prepare_v2(d->db, stored[t].sql, -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot check: %s", sqlite3_errmsg(d->db));
			return -1;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const uint8_t *a = sqlite3_column_blob(st, 1), *b = NULL;
			size_t alen = (size_t)sqlite3_column_bytes(st, 1), blen = 0;
			struct sc_result_msg m;

			if (stored[t].result) {
				if (!a || sc_result_decode(&m, a, alen) != 0 || !m.receipt) {
					a = NULL;
				} else {
					a = m.receipt, alen = m.receipt_len;
					b = m.seal, blen = m.seal_len;
				}
			} else {
				b = sqlite3_column_blob(st, 2);
				blen = (size_t)sqlite3_column_bytes(st, 2);
			}
			if (!a || !b) {
				snprintf(why, sizeof(why), "no receipt and seal stored");
				rc = -1;
			} else {
				rc = srv_ring_seal_verify(ring, a, alen, b, blen, why, sizeof(why));
			}
			if (rc != 0) {
				snprintf(err, errlen, "the %s with counter %lld does not verify: %s",
					 stored[t].what, (long long)sqlite3_column_int64(st, 0), why);
				sqlite3_finalize(st);
				return -1;
			}
			(*checked)++;
		}
		if (rc != SQLITE_DONE)
			snprintf(err, errlen, "cannot check: %s", sqlite3_errmsg(d->db));
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}
