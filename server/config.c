/* Defaults of the daemon's options and the files under its data folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "server.h"
#include "server/tls.h"

void srv_config_defaults(struct srv_config *c)
{
	const char *dir = getenv("SIGCARD_SERVER_DATA");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "%s",
		 dir && *dir ? dir : "/var/lib/sigcard-server");
	snprintf(c->tcp_addr, sizeof(c->tcp_addr), "%s", SRV_DEFAULT_TCP);
	snprintf(c->http_addr, sizeof(c->http_addr), "%s", SRV_DEFAULT_HTTP);
	c->workers = cpus > 0 && cpus < 64 ? (int)cpus : 2;
	c->max_conns = 1024;
	c->max_frame = 1024;
	c->challenge_ttl = 300;
	c->card_jp_limit = 10;
	c->max_amount = 100000000000ull; /* 10^11 minor units: a billion euros */
	/* Above a terminal's default wait for its holder (120 s), so that a
	 * terminal holding its connection from challenge to submission is
	 * not dropped meanwhile; a full server drops idle peers anyway. */
	c->idle_timeout = 150;
	c->request_timeout = 10;
	c->http_max_conns = 256;
	c->batch_max = 256;
	c->wal_max_mib = 16;
	c->cache_mib = 64;
	c->check_time = 60;
	snprintf(c->server_name, sizeof(c->server_name), "%s", SRV_TLS_DEFAULT_NAME);
}

static void fill(char *path, size_t cap, const char *dir, const char *name)
{
	if (!path[0] && snprintf(path, cap, "%s/%s", dir, name) >= (int)cap)
		path[0] = '\0'; /* too long: left empty, and opening "" fails loudly */
}

void srv_config_paths(struct srv_config *c)
{
	fill(c->db_path, sizeof(c->db_path), c->data_dir, "ledger.db");
	fill(c->master_key_path, sizeof(c->master_key_path), c->data_dir, "master.key");
	fill(c->receipt_key_path, sizeof(c->receipt_key_path), c->data_dir, "receipt.key");
	fill(c->receipt_ring_dir, sizeof(c->receipt_ring_dir), c->data_dir, "receipt-keys");
	fill(c->receipt_pub_path, sizeof(c->receipt_pub_path), c->data_dir, "receipt.pub");
	fill(c->unix_path, sizeof(c->unix_path), c->data_dir, "submit.sock");
}

int srv_split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long p;

	if (!colon || colon == addr || (size_t)(colon - addr) >= hostlen)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	*port = (int)p;
	return 0;
}
