/* Secrets read from files: the transport key, the issuer's perso file, the
 * PIN. Each must be a regular file that only its owner can read, like any
 * key file; the bytes read are wiped by the callers after use. */
#include <string.h>

#include "common/hex.h"
#include "common/scheme.h"
#include "hostlib/privfile.h"
#include "host.h"

/* Documented in README.md ("sigcard-card") as the test key: never for a
 * card that holds real money. */
const uint8_t keys_test_transport[CARD_TRANSPORT_KEY_LEN] = {
	0x53, 0x49, 0x47, 0x43, 0x41, 0x52, 0x44, 0x2D,   /* "SIGCARD-" */
	0x54, 0x45, 0x53, 0x54, 0x2D, 0x54, 0x4B, 0x31,   /* "TEST-TK1" */
};

int keys_transport_from_file(const char *path, uint8_t key[CARD_TRANSPORT_KEY_LEN],
			     const char **why)
{
	char text[128];
	char *hex;
	int n;
	if (priv_file_read(path, text, sizeof text, why) != 0)
		return -1;
	hex = priv_trim(text);
	n = sc_hex_decode(key, CARD_TRANSPORT_KEY_LEN, hex);
	sc_wipe(text, sizeof text);
	if (n != (int)CARD_TRANSPORT_KEY_LEN) {
		sc_wipe(key, CARD_TRANSPORT_KEY_LEN);
		*why = "not 32 hex digits";
		return -1;
	}
	return 0;
}

