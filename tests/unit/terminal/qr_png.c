/* See qr_png.h. */
#include <qrencode.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_png.h"

#define SCALE 4  /* pixels per module */
#define QUIET 4  /* modules of white around each code */

int qr_png_write(const char *path, const char *const *payloads, int n)
{
	QRcode *codes[4];
	unsigned width = 64, height = 64;
	if (n > 4)
		return -1;
	for (int i = 0; i < n; i++) {
		codes[i] = QRcode_encodeString(payloads[i], 0, QR_ECLEVEL_M, QR_MODE_8, 1);
		if (codes[i] == NULL)
			return -1;
	}
	if (n > 0) {
		width = 0;
		height = 0;
		for (int i = 0; i < n; i++) {
			unsigned side = (unsigned)(codes[i]->width + 2 * QUIET) * SCALE;
			width += side;
			if (side > height)
				height = side;
		}
	}
	unsigned char *px = malloc((size_t)width * height);
	if (px == NULL)
		return -1;
	memset(px, 255, (size_t)width * height);
	unsigned x0 = 0;
	for (int i = 0; i < n; i++) {
		int w = codes[i]->width;
		for (int y = 0; y < w; y++)
			for (int x = 0; x < w; x++) {
				if (!(codes[i]->data[y * w + x] & 1))
					continue;
				for (int dy = 0; dy < SCALE; dy++)
					for (int dx = 0; dx < SCALE; dx++) {
						unsigned py = (unsigned)((y + QUIET) * SCALE + dy);
						unsigned pxx = x0 + (unsigned)((x + QUIET) * SCALE + dx);
						px[(size_t)py * width + pxx] = 0;
					}
			}
		x0 += (unsigned)(w + 2 * QUIET) * SCALE;
		QRcode_free(codes[i]);
	}
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = width;
	img.height = height;
	img.format = PNG_FORMAT_GRAY;
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int ok = png_image_write_to_file(&img, tmp, 0, px, 0, NULL);
	free(px);
	if (!ok)
		return -1;
	return rename(tmp, path) == 0 ? 0 : -1;
}
