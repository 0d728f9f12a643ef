/* The QR code of a screen as a plain module matrix (quiet zone included),
 * from libqrencode, for both the PNG and the terminal window. */
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "host.h"

int qr_modules_make(struct qr_modules *q, const char *payload)
{
	QRcode *code;
	uint32_t n, x, y;
	memset(q, 0, sizeof *q);
	/* Level M: the payload is short, so the code stays small and the
	 * camera still gets 15% error correction. 8-bit mode keeps the exact
	 * bytes whatever they are. */
	code = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (code == NULL)
		return -1;
	n = (uint32_t)code->width;
	q->size = n + 2u * QR_QUIET_ZONE;
	q->dark = calloc((size_t)q->size * q->size, 1);
	if (q->dark == NULL) {
		QRcode_free(code);
		return -1;
	}
	for (y = 0; y < n; y++)
		for (x = 0; x < n; x++)
			q->dark[(size_t)(y + QR_QUIET_ZONE) * q->size + x + QR_QUIET_ZONE] =
				(uint8_t)(code->data[(size_t)y * n + x] & 1u);
	QRcode_free(code);
	return 0;
}

void qr_modules_free(struct qr_modules *q)
{
	free(q->dark);
	q->dark = NULL;
	q->size = 0;
}
