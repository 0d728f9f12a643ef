/* nfc_echo_target: an ISO 14443-4A target through libnfc (nfc_target_init,
 * nfc_target_receive_bytes, nfc_target_send_bytes) that answers each
 * message with its bytes reversed, for testing the NFC path without a card.
 *
 *   nfc_echo_target [-n COUNT] CONNSTRING
 *
 * Emulates UID 08 AB CD EF, ATQA 00 04, SAK 20, historical bytes "ECHO".
 * Each received message is printed as "rx HEX"; the answer is the message
 * reversed, or, for messages longer than 263 bytes' worth of answer, the
 * 2-byte big-endian length of what came. After a release by the reader it
 * waits to be selected again. Exits 0 after COUNT answers (default: never),
 * 1 on a device error, 2 on usage. */
#include <nfc/nfc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_MAX_ANSWER 263   /* TgSetData: command code + 263 bytes per frame */

static nfc_device *dev;
static nfc_context *ctx;

static void stop(int sig)
{
	(void)sig;
	if (dev)
		nfc_abort_command(dev);
}

int main(int argc, char **argv)
{
	long count = -1;
	int argi = 1;
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		count = strtol(argv[2], NULL, 10);
		argi = 3;
	}
	if (argc - argi != 1) {
		fprintf(stderr, "usage: nfc_echo_target [-n COUNT] CONNSTRING\n");
		return 2;
	}
	nfc_init(&ctx);
	if (!ctx) {
		fprintf(stderr, "nfc_echo_target: libnfc init failed\n");
		return 1;
	}
	dev = nfc_open(ctx, argv[argi]);
	if (!dev) {
		fprintf(stderr, "nfc_echo_target: cannot open %s\n", argv[argi]);
		nfc_exit(ctx);
		return 1;
	}
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	setvbuf(stdout, NULL, _IOLBF, 0);

	nfc_target nt;
	memset(&nt, 0, sizeof nt);
	nt.nm.nmt = NMT_ISO14443A;
	nt.nm.nbr = NBR_UNDEFINED;
	nt.nti.nai.abtAtqa[0] = 0x00;
	nt.nti.nai.abtAtqa[1] = 0x04;
	nt.nti.nai.btSak = 0x20;
	nt.nti.nai.szUidLen = 4;
	const uint8_t uid[4] = {0x08, 0xAB, 0xCD, 0xEF};
	memcpy(nt.nti.nai.abtUid, uid, 4);
	/* T0 (TA, TB, TC present, FSCI 8), TA, TB, TC, then "ECHO". */
	const uint8_t ats[] = {0x78, 0x80, 0x70, 0x02, 'E', 'C', 'H', 'O'};
	memcpy(nt.nti.nai.abtAts, ats, sizeof ats);
	nt.nti.nai.szAtsLen = sizeof ats;

	int rc = 1;
	long answered = 0;
	while (count < 0 || answered < count) {
		uint8_t rx[4096];
		nfc_target want = nt;
		int r = nfc_target_init(dev, &want, rx, sizeof rx, 0);
		if (r < 0) {
			fprintf(stderr, "nfc_echo_target: nfc_target_init: %s\n", nfc_strerror(dev));
			goto out;
		}
		printf("selected\n");
		while (count < 0 || answered < count) {
			r = nfc_target_receive_bytes(dev, rx, sizeof rx, 0);
			if (r < 0) {
				printf("released: %s\n", nfc_strerror(dev));
				break;
			}
			size_t n = (size_t)r;
			printf("rx ");
			for (size_t i = 0; i < n; i++)
				printf("%02X", rx[i]);
			printf("\n");
			uint8_t tx[ECHO_MAX_ANSWER];
			size_t m;
			if (n <= sizeof tx) {
				for (size_t i = 0; i < n; i++)
					tx[i] = rx[n - 1 - i];
				m = n;
			} else {
				tx[0] = (uint8_t)(n >> 8);
				tx[1] = (uint8_t)n;
				m = 2;
			}
			if (nfc_target_send_bytes(dev, tx, m, 0) < 0) {
				printf("released: %s\n", nfc_strerror(dev));
				break;
			}
			answered++;
		}
	}
	rc = 0;
out:
	nfc_close(dev);
	nfc_exit(ctx);
	return rc;
}
