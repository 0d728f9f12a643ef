/* The seals of the stored outcomes: every receipt of the ledger (payments'
 * in receipts, final declines' inside their stored RESULT) still verifies
 * with the receipt key it names in the ring (keys.c). Read by `check`
 * only: one ECDSA check per outcome is too slow for the start-up check's
 * time budget on a large ledger. */
#include <stdio.h>
#include "pg_query.h"

static const struct {
	const char *what, *sql;
	int result; /* 1: column 1 is a RESULT message, else columns 1 and 2 are body and seal */
} stored[] = {
	{"receipt", "SELECT counter, body, seal FROM receipts ORDER BY counter", 0},
	{"decline", "SELECT counter, result FROM declines ORDER BY counter", 1},
};

/* One stored outcome: a is the receipt's body, b its seal, or a the
 * RESULT that holds both (result). 0, or -1 with err naming it. */
static int check_one(const struct srv_ring *ring, size_t t, long long counter, const uint8_t *a,
		     size_t alen, const uint8_t *b, size_t blen, char *err, size_t errlen)
{
	struct sc_result_msg m;
	char why[256];
	int rc;

	if (stored[t].result) {
		if (!a || sc_result_decode(&m, a, alen) != 0 || !m.receipt) {
			a = NULL;
		} else {
			a = m.receipt, alen = m.receipt_len;
			b = m.seal, blen = m.seal_len;
		}
	}
	if (!a || !b) {
		snprintf(why, sizeof(why), "no receipt and seal stored");
		rc = -1;
	} else {
		rc = srv_ring_seal_verify(ring, a, alen, b, blen, why, sizeof(why));
	}
	if (rc != 0)
		snprintf(err, errlen, "the %s with counter %lld does not verify: %s", stored[t].what,
			 counter, why);
	return rc;
}

/* The same over a PostgreSQL ledger's rows. */
static int check_pg(PGconn *c, const struct srv_ring *ring, size_t t, size_t *checked,
		    char *err, size_t errlen)
{
	uint8_t a[SC_RESULT_MSG_MAX], b[SC_SEAL_MAX];
	PGresult *r = srv_pg_query(c, stored[t].sql, NULL);
	int rc = 0;

	if (!r) {
		snprintf(err, errlen, "cannot check: %s", PQerrorMessage(c));
		return -1;
	}
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		int alen = srv_pg_bytes(r, i, 1, a, sizeof(a));
		int blen = stored[t].result ? 0 : srv_pg_bytes(r, i, 2, b, sizeof(b));

		rc = check_one(ring, t, (long long)srv_pg_int64(r, i, 0), alen < 0 ? NULL : a,
			       alen < 0 ? 0 : (size_t)alen,
			       stored[t].result || blen < 0 ? NULL : b,
			       blen < 0 ? 0 : (size_t)blen, err, errlen);
		if (rc == 0)
			(*checked)++;
	}
	PQclear(r);
	return rc;
}

int srv_ledger_check_seals(struct srv_db *d, const struct srv_ring *ring, size_t *checked,
			   char *err, size_t errlen)
{
	*checked = 0;
	for (size_t t = 0; t < sizeof(stored) / sizeof(stored[0]); t++) {
		sqlite3_stmt *st;
		int rc;

		if (d->pg) {
			if (check_pg(d->pg, ring, t, checked, err, errlen) != 0)
				return -1;
			continue;
		}
		if (sqlite3_prepare_v2(d->db, stored[t].sql, -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot check: %s", sqlite3_errmsg(d->db));
			return -1;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (check_one(ring, t, (long long)sqlite3_column_int64(st, 0),
				      sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
				      stored[t].result ? NULL : sqlite3_column_blob(st, 2),
				      stored[t].result ? 0 : (size_t)sqlite3_column_bytes(st, 2), err,
				      errlen) != 0) {
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
