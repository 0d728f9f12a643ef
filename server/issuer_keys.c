/* Which of the two homes of the issuer's keys a configuration names: files
 * in the data folder, or a PKCS#11 token (--pkcs11 MODULE --token LABEL
 * --pin-file FILE). Everything else goes through struct srv_keys_ops. */
#include <stdio.h>
#include "server.h"

struct srv_keys *srv_keys_open(const struct srv_config *cfg, const struct srv_ring *ring,
			       int want, char *err, size_t errlen)
{
	if (cfg->pkcs11_module[0])
		return srv_keys_pkcs11_open(cfg, ring, want, err, errlen);
	return srv_keys_file_open(cfg, ring, want, err, errlen);
}

void srv_keys_close(struct srv_keys *k)
{
	if (k)
		k->ops->close(k);
}

int srv_keys_create(const struct srv_config *cfg, char *err, size_t errlen)
{
	if (cfg->pkcs11_module[0])
		return srv_keys_pkcs11_create(cfg, err, errlen);
	if (srv_master_key_create(cfg->master_key_path, err, errlen) != 0)
		return -1;
	return srv_receipt_key_create(cfg->receipt_key_path, err, errlen);
}

void srv_keys_describe(const struct srv_config *cfg, char *out, size_t cap)
{
	if (cfg->pkcs11_module[0])
		snprintf(out, cap, "master key   token '%s' (%s)\nreceipt key  token '%s', public %s",
			 cfg->token_label, cfg->pkcs11_module, cfg->token_label,
			 cfg->receipt_pub_path);
	else
		snprintf(out, cap, "master key   %s\nreceipt key  %s", cfg->master_key_path,
			 cfg->receipt_key_path);
}
