/* term_apdu: sends C-APDUs through one of the terminal's card carriers
 * (terminal/carrier*.c: unix:, pcsc:, nfc:), with everything the terminal
 * does on the way: power on, command chaining where the carrier needs it,
 * GET RESPONSE after 61xx. Each answer is printed as data then SW in
 * uppercase hex, one line each.
 *
 *   term_apdu [-a] [-t MS] CARRIER HEX|@N...
 *   -a: print the ATR first, as "atr HEX".
 *   @N: a SIGN TRANSACTION (80 2A 00 00) carrying N pattern bytes, extended
 *       length when N > 255.
 * Exit: 0 all answered, else the terminal's failure class (README). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/apdu.h"
#include "common/applet.h"
#include "common/hex.h"
#include "terminal/terminal.h"

int main(int argc, char **argv)
{
	int timeout_ms = 5000, argi = 1, show_atr = 0;
	if (argc > argi && strcmp(argv[argi], "-a") == 0) {
		show_atr = 1;
		argi++;
	}
	if (argc > argi + 1 && strcmp(argv[argi], "-t") == 0) {
		timeout_ms = atoi(argv[argi + 1]);
		argi += 2;
	}
	if (argc - argi < 1) {
		fprintf(stderr, "usage: term_apdu [-a] [-t MS] CARRIER HEX|@N...\n");
		return 2;
	}
	struct term_carrier *c = calloc(1, sizeof *c);
	static uint8_t cmd[SC_APDU_MAX_CMD], data[TERM_RAPDU_MAX];
	uint8_t atr[TERM_ATR_MAX];
	size_t atr_len;
	int rc = c ? term_carrier_open(c, argv[argi++], timeout_ms) : -TERM_EXIT_FAILURE;
	if (rc == 0)
		rc = term_carrier_power_on(c, atr, sizeof atr, &atr_len);
	if (rc == 0 && show_atr) {
		printf("atr ");
		for (size_t i = 0; i < atr_len; i++)
			printf("%02X", atr[i]);
		printf("\n");
	}
	for (; rc == 0 && argi < argc; argi++) {
		int n;
		if (argv[argi][0] == '@') {
			static uint8_t body[65535];
			long len = strtol(argv[argi] + 1, NULL, 10);
			if (len < 1 || len > (long)sizeof body) {
				fprintf(stderr, "term_apdu: bad @N: %s\n", argv[argi]);
				return 2;
			}
			for (long i = 0; i < len; i++)
				body[i] = (uint8_t)(7 * i + 1);
			n = sc_apdu_build(cmd, sizeof cmd, SC_CLA_PROPRIETARY, SC_INS_SIGN_TRANSACTION,
					  0, 0, body, (size_t)len, 256);
		} else {
			n = sc_hex_decode(cmd, sizeof cmd, argv[argi]);
		}
		if (n < 4) {
			fprintf(stderr, "term_apdu: not a C-APDU: %s\n", argv[argi]);
			return 2;
		}
		size_t dlen = 0;
		uint16_t sw = 0;
		rc = term_carrier_apdu(c, cmd, (size_t)n, data, sizeof data, &dlen, &sw);
		if (rc != 0)
			break;
		for (size_t i = 0; i < dlen; i++)
			printf("%02X", data[i]);
		printf("%04X\n", sw);
	}
	if (rc != 0)
		fprintf(stderr, "term_apdu: %s\n", c ? c->err : "out of memory");
	if (c) {
		term_carrier_power_off(c);
		term_carrier_close(c);
	}
	free(c);
	return rc == 0 ? 0 : -rc;
}
