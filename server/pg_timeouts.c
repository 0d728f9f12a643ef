/* How long a PostgreSQL ledger connection waits: a row lock held by a
 * stuck session (a forgotten psql, a hung writer) must not hold the writer
 * for ever. Every connection the server makes gets these limits, and a
 * statement they end is counted for /metrics. */
#include <string.h>
#include "pg_query.h"

/* libpq "options" sent at connect time (so PQreset keeps them): a lock
 * waited for over 5 s, or a statement running over 60 s, fails its
 * transaction; the writer answers its batch RETRY_LATER. A conninfo that
 * names options of its own replaces these (libpq: the conninfo's value
 * wins), as do ALTER ROLE / DATABASE ... SET for the values they set. */
const char *const srv_pg_timeout_options = "-c lock_timeout=5s -c statement_timeout=60s";

void srv_pg_timeout_note(const char *sqlstate)
{
	if (!sqlstate)
		return;
	if (!strcmp(sqlstate, "55P03")) /* lock_not_available: lock_timeout */
		atomic_fetch_add(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_LOCK], 1);
	else if (!strcmp(sqlstate, "57014")) /* query_canceled: statement_timeout */
		atomic_fetch_add(&srv_metrics.ledger_timeouts[SRV_PG_TIMEOUT_STATEMENT], 1);
}
