/* The file: camera: the emulated card writes its screen as a PNG (atomically,
 * on every change); each "frame" is a fresh read of that file, as grey. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <png.h>

#include "common/hex.h"
#include "common/scheme.h"
#include "terminal/terminal.h"

/* Larger than any screen the card draws; a bound on what a file may cost. */
#define PNG_MAX_SIDE 8192u

int term_png_read_grey(const char *path, uint8_t **grey, unsigned *width, unsigned *height,
		       char *err, size_t cap)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	*grey = NULL;
	if (!png_image_begin_read_from_file(&img, path))
		return term_errf(err, cap, TERM_EXIT_FAILURE, "%s: %s", path, img.message);
	if (img.width == 0 || img.height == 0 || img.width > PNG_MAX_SIDE ||
	    img.height > PNG_MAX_SIDE) {
		png_image_free(&img);
		return term_errf(err, cap, TERM_EXIT_FAILURE, "%s: a %ux%u image is out of bounds",
				 path, img.width, img.height);
	}
	/* Transparent parts become white, the paper a QR code is printed on. */
	img.format = PNG_FORMAT_GRAY;
	png_color white = {255, 255, 255};
	size_t size = PNG_IMAGE_SIZE(img);
	uint8_t *buf = malloc(size);
	if (buf == NULL) {
		png_image_free(&img);
		return term_errf(err, cap, TERM_EXIT_FAILURE, "out of memory");
	}
	if (!png_image_finish_read(&img, &white, buf, 0, NULL)) {
		int rc = term_errf(err, cap, TERM_EXIT_FAILURE, "%s: %s", path, img.message);
		free(buf);
		png_image_free(&img);
		return rc;
	}
	*grey = buf;
	*width = img.width;
	*height = img.height;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int term_camera_file_wait(struct term_camera *cam, const uint8_t card_id[SC_CARD_ID_LEN],
			  uint32_t atc, int timeout_ms, char jp[SC_JP_DIGITS + 1])
{
	int64_t deadline = term_now_ms() + timeout_ms;
	struct stat last;
	int have_last = 0;
	char why[TERM_ERR_MAX] = "";
	for (;;) {
		struct stat st;
		/* The card replaces the file by rename: a new inode or mtime is a
		 * new frame; the same one need not be decoded again. */
		if (stat(cam->path, &st) != 0) {
			(void)term_errf(why, sizeof why, TERM_EXIT_FAILURE, "%s: %s", cam->path,
					 strerror(errno));
		} else if (!have_last || st.st_ino != last.st_ino || st.st_size != last.st_size ||
			   st.st_mtim.tv_sec != last.st_mtim.tv_sec ||
			   st.st_mtim.tv_nsec != last.st_mtim.tv_nsec) {
			uint8_t *grey;
			unsigned w, h;
			if (term_png_read_grey(cam->path, &grey, &w, &h, why, sizeof why) == 0) {
				last = st;
				have_last = 1;
				why[0] = '\0';
				int found = term_camera_scan_grey(cam, grey, w, h, card_id, atc, jp);
				sc_wipe(grey, (size_t)w * h);
				free(grey);
				if (found != 0)
					return found > 0 ? 0 : found;
			}
		}
		int64_t left = deadline - term_now_ms();
		if (left <= 0)
			break;
		sleep_ms(left < cam->poll_ms ? (int)left : cam->poll_ms);
	}
	char id_hex[2 * SC_CARD_ID_LEN + 1];
	sc_hex_encode(id_hex, card_id, SC_CARD_ID_LEN);
	return term_errf(cam->err, sizeof cam->err, TERM_EXIT_CANCELLED,
			 "no password QR code for card %s, ATC %u appeared on file:%s within %d s"
			 " (cancelled, wrong PIN, or not confirmed on the card)%s%s",
			 id_hex, atc, cam->path, (timeout_ms + 999) / 1000, why[0] ? "; last read: " : "",
			 why);
}
