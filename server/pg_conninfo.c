/* Which database --db names, and how to name a PostgreSQL one in a log
 * line or a message: its conninfo may carry a password, which is never
 * printed (only the keys that say where the ledger is are). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <libpq-fe.h>
#include "server.h"

int srv_db_is_pg(const char *db)
{
	const char *p = db;

	if (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11))
		return 1;
	/* key=value conninfo: a keyword, then '=' (a file name would need
	 * that very shape to be taken for one; ./name=x is a file). */
	while (*p == '_' || isalpha((unsigned char)*p))
		p++;
	while (*p == ' ')
		p++;
	return p != db && *p == '=';
}

void srv_db_describe(char *out, size_t cap, const char *db)
{
	static const char *const shown[] = {"host", "hostaddr", "port", "dbname", "user"};
	PQconninfoOption *opts;
	size_t used = 0;
	char *msg = NULL;

	if (!srv_db_is_pg(db)) {
		snprintf(out, cap, "%s", db);
		return;
	}
	if (cap == 0)
		return;
	out[0] = '\0';
	opts = PQconninfoParse(db, &msg);
	PQfreemem(msg); /* its text may quote the string, password and all */
	if (!opts) {
		snprintf(out, cap, "PostgreSQL (a connection string libpq cannot parse)");
		return;
	}
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			int n;

			if (strcmp(o->keyword, shown[i]) || !o->val || !o->val[0] || used >= cap)
				continue;
			n = snprintf(out + used, cap - used, "%s%s=%s", used ? " " : "", o->keyword,
				     o->val);
			used = n < 0 ? cap : used + (size_t)n;
		}
	if (!out[0])
		snprintf(out, cap, "PostgreSQL (libpq's defaults)");
	PQconninfoFree(opts);
}
