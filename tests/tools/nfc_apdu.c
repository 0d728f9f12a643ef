/* nfc_apdu: a libnfc initiator for tests and by hand: selects an ISO
 * 14443-A target (nfc_initiator_select_passive_target), prints what it
 * found, then sends each argument (nfc_initiator_transceive_bytes) and
 * prints each answer as one line of uppercase hex.
 *
 *   nfc_apdu [-w MS] [-t MS] CONNSTRING [STEP...]
 *   STEP: HEX      bytes to send (a C-APDU for a card)
 *         @N       N bytes of a fixed pattern (byte i = (7 i + 1) mod 256)
 *   -w MS  how long to wait for a target to enter the field (default 10000)
 *   -t MS  timeout of each exchange (default 5000)
 * Prints "uid HEX", "atqa HEX", "sak HEX", "ats HEX" first.
 * Exit: 0 all steps answered, 1 no target or an exchange failed (the
 * libnfc error is named on stderr), 2 usage. */
#include <nfc/nfc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	if (label)
		printf("%s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
	printf("\n");
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One step into out; its length, or -1. */
static long step_bytes(const char *s, uint8_t *out, size_t cap)
{
	if (s[0] == '@') {
		char *end;
		long n = strtol(s + 1, &end, 10);
		if (*end || n < 0 || (size_t)n > cap)
			return -1;
		for (long i = 0; i < n; i++)
			out[i] = (uint8_t)(7 * i + 1);
		return n;
	}
	int n = sc_hex_decode(out, cap, s);
	return n < 0 ? -1 : n;
}

int main(int argc, char **argv)
{
	int wait_ms = 10000, timeout_ms = 5000;
	int argi = 1;
	while (argi + 1 < argc && argv[argi][0] == '-' &&
	       (strcmp(argv[argi], "-w") == 0 || strcmp(argv[argi], "-t") == 0)) {
		int v = atoi(argv[argi + 1]);
		if (argv[argi][1] == 'w')
			wait_ms = v;
		else
			timeout_ms = v;
		argi += 2;
	}
	if (argi >= argc) {
		fprintf(stderr, "usage: nfc_apdu [-w MS] [-t MS] CONNSTRING [HEX|@N]...\n");
		return 2;
	}
	const char *connstring = argv[argi++];

	nfc_context *ctx;
	nfc_init(&ctx);
	if (!ctx) {
		fprintf(stderr, "nfc_apdu: libnfc init failed\n");
		return 1;
	}
	int rc = 1;
	nfc_device *dev = nfc_open(ctx, connstring);
	if (!dev) {
		fprintf(stderr, "nfc_apdu: cannot open %s\n", connstring);
		nfc_exit(ctx);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (nfc_initiator_init(dev) < 0 ||
	    nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false) < 0) {
		fprintf(stderr, "nfc_apdu: nfc_initiator_init: %s\n", nfc_strerror(dev));
		goto out;
	}
	const nfc_modulation nm = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
	nfc_target nt;
	long long deadline = now_ms() + wait_ms;
	int found;
	for (;;) {
		found = nfc_initiator_select_passive_target(dev, nm, NULL, 0, &nt);
		if (found != 0 || now_ms() >= deadline)
			break;
		struct timespec pause = {0, 50 * 1000000L};
		nanosleep(&pause, NULL);
	}
	if (found <= 0) {
		fprintf(stderr, "nfc_apdu: no ISO 14443-A target in the field%s%s\n",
			found < 0 ? ": " : "", found < 0 ? nfc_strerror(dev) : "");
		goto out;
	}
	print_hex("uid", nt.nti.nai.abtUid, nt.nti.nai.szUidLen);
	print_hex("atqa", nt.nti.nai.abtAtqa, 2);
	print_hex("sak", &nt.nti.nai.btSak, 1);
	print_hex("ats", nt.nti.nai.abtAts, nt.nti.nai.szAtsLen);

	for (; argi < argc; argi++) {
		uint8_t tx[4096], rx[4096];
		long n = step_bytes(argv[argi], tx, sizeof tx);
		if (n < 0) {
			fprintf(stderr, "nfc_apdu: not hex or @N: %s\n", argv[argi]);
			rc = 2;
			goto out;
		}
		if (n > 262) {
			/* libnfc copies the bytes into one 264-byte frame unchecked. */
			fprintf(stderr, "nfc_apdu: %ld bytes do not fit one PN532 frame (262)\n", n);
			rc = 2;
			goto out;
		}
		int r = nfc_initiator_transceive_bytes(dev, tx, (size_t)n, rx, sizeof rx, timeout_ms);
		if (r < 0) {
			fprintf(stderr, "nfc_apdu: exchange failed: %s\n", nfc_strerror(dev));
			goto out;
		}
		print_hex(NULL, rx, (size_t)r);
	}
	rc = 0;
out:
	nfc_close(dev);
	nfc_exit(ctx);
	return rc;
}
