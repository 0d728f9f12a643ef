/* The unit tests' private PostgreSQL cluster (pg_cluster.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pwd.h>
#include <libpq-fe.h>
#include "pg_cluster.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"
#define PG_PORT 5432

static char dir[128];          /* the cluster's folder: data/, sock/, logs */
static char admin_info[256];
static int running, databases;

/* Runs the shell command cmd, its program as the cluster's owner
 * (PostgreSQL refuses to run as root). Its exit status. */
static int as_owner(const char *cmd)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s%s", geteuid() == 0 ? "runuser -u postgres -- " : "", cmd);
	return system(line);
}

static void tail_of(const char *path, char *why, size_t cap)
{
	char line[256] = "";
	FILE *fp = fopen(path, "r");
	size_t n;

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp))
		;
	fclose(fp);
	n = strcspn(line, "\n");
	line[n] = '\0';
	snprintf(why + strlen(why), cap - strlen(why), ": %s", line);
}

int pgc_start(char *why, size_t cap)
{
	char cmd[768];
	const char *tmp = getenv("TMPDIR");
	struct passwd *pw = NULL;

	if (access(PG_BIN "/initdb", X_OK) != 0) {
		snprintf(why, cap, "PostgreSQL 15 not installed (" PG_BIN "/initdb)");
		return 1;
	}
	if (geteuid() == 0 && !(pw = getpwnam("postgres"))) {
		snprintf(why, cap, "running as root and no postgres user to run the cluster as");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/sc-unit-pg.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(why, cap, "cannot make a folder for the cluster");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s/sock", dir);
	/* the cluster's owner walks into mkdtemp's 0700 folder */
	if (chmod(dir, 0711) != 0 || mkdir(cmd, 0700) != 0 ||
	    (pw && (chown(dir, pw->pw_uid, pw->pw_gid) != 0 ||
		    chown(cmd, pw->pw_uid, pw->pw_gid) != 0))) {
		snprintf(why, cap, "cannot prepare %s for the cluster's owner", dir);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), PG_BIN "/initdb -D '%s/data' -U postgres -A trust --no-sync"
		 " >'%s/initdb.log' 2>&1", dir, dir);
	if (as_owner(cmd) != 0) {
		snprintf(why, cap, "initdb of a private cluster failed");
		snprintf(cmd, sizeof(cmd), "%s/initdb.log", dir);
		tail_of(cmd, why, cap);
		return -1;
	}
	/* fsync stays on: the ledger's tests want the database's real commit.
	 * pg_ctl -w waits for the server to say it is ready: no fixed sleep. */
	snprintf(cmd, sizeof(cmd), PG_BIN "/pg_ctl -D '%s/data' -l '%s/server.log' -w -t 120"
		 " -o \"-c listen_addresses='' -c unix_socket_directories='%s/sock' -p %d\""
		 " start >/dev/null 2>&1", dir, dir, dir, PG_PORT);
	running = 1;
	if (as_owner(cmd) != 0) {
		snprintf(why, cap, "pg_ctl start of a private cluster failed");
		snprintf(cmd, sizeof(cmd), "%s/server.log", dir);
		tail_of(cmd, why, cap);
		return -1;
	}
	snprintf(admin_info, sizeof(admin_info), "host=%s/sock port=%d dbname=postgres user=postgres",
		 dir, PG_PORT);
	return 0;
}

void pgc_stop(void)
{
	char cmd[512];

	if (!running)
		return;
	running = 0;
	snprintf(cmd, sizeof(cmd), PG_BIN "/pg_ctl -D '%s/data' -m fast -w stop >/dev/null 2>&1", dir);
	if (as_owner(cmd) != 0)
		fprintf(stderr, "pg_cluster: pg_ctl stop failed (%s)\n", dir);
	if (getenv("SC_KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pg_cluster: cannot remove %s\n", dir);
}

const char *pgc_admin_conninfo(void)
{
	return admin_info;
}

int pgc_database_new(char *out, size_t cap)
{
	char sql[64], name[32];
	PGconn *c = PQconnectdb(admin_info);
	PGresult *r;
	int ok;

	if (!running || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg_cluster: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	snprintf(name, sizeof(name), "ledger_%d", ++databases);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "pg_cluster: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	if (!ok)
		return -1;
	snprintf(out, cap, "host=%s/sock port=%d dbname=%s user=postgres", dir, PG_PORT, name);
	return 0;
}
