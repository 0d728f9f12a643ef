/* Support for the cardhost tests: a fresh card core on a flash file in a
 * temporary folder, as sigcard-card makes one on first start. */
#include <stdio.h>
#include <stdlib.h>

#include "card/card.h"
#include "card/host/host.h"
#include "hostcard.h"

static char hc_dir[256];

int hostcard_new(void)
{
	char path[512];
	const char *why;
	snprintf(hc_dir, sizeof hc_dir, "%s/sc-hostcard-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(hc_dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/card.flash", hc_dir);
	if (flashfile_create(path, &why) != 0 ||
	    card_factory_init(host_card(), keys_test_transport) != 0 ||
	    flashfile_commit_new(&why) != 0)
		return -1;
	return card_boot(host_card());
}

void hostcard_free(void)
{
	char cmd[300];
	flashfile_close();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", hc_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "hostcard: cannot remove %s\n", hc_dir);
}
