/* A private PostgreSQL 15 cluster for one unit test program, as
 * tests/integration/pg_helpers.bash makes one for a script: Debian's
 * initdb and pg_ctl, a Unix socket in a temporary folder alone, run as the
 * `postgres` user when the test runs as root. Never the system's cluster. */
#ifndef SC_TESTS_PG_CLUSTER_H
#define SC_TESTS_PG_CLUSTER_H

#include <stddef.h>

/* Starts the cluster. 0; 1 if PostgreSQL cannot run here (not installed,
 * or root with no postgres user), the reason in why; -1 if it is there
 * but would not start, the reason in why. */
int pgc_start(char *why, size_t cap);
/* Stops it (fast) and removes its folder. Nothing if none runs. */
void pgc_stop(void);
/* A new, empty database in the running cluster: its conninfo (socket,
 * port, dbname, user) in out. 0 or -1. */
int pgc_database_new(char *out, size_t cap);
/* The conninfo of the running cluster's maintenance database. */
const char *pgc_admin_conninfo(void);

#endif
