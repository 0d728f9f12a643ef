/* Test pictures for the camera: QR codes drawn with libqrencode and written
 * with libpng, independently of the card's own drawing code. */
#ifndef TEST_QR_PNG_H
#define TEST_QR_PNG_H

/* Writes a grey PNG at path (atomically, by rename) holding one QR code per
 * payload, side by side on a white background; n may be 0 (a blank screen).
 * 0 or -1. */
int qr_png_write(const char *path, const char *const *payloads, int n);

#endif
