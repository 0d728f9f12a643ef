/* The flash medium as a file on the host, through semihosting (the QEMU
 * images): the image file holds the pages in order. Each program or erase
 * is one host write per chunk, so killing QEMU leaves it done or not done;
 * a program ANDs the new bytes into the old ones, as NOR flash does. */
#include <string.h>

#include "board.h"

static int flash_fd = -1;

int flash_medium_open(const char *path, const char **why)
{
	flash_fd = semihost_open_rw(path);
	if (flash_fd < 0) {
		*why = "cannot open the flash image";
		return -1;
	}
	if (semihost_flen(flash_fd) != (long)BOARD_IMAGE_SIZE) {
		*why = "the flash image has the wrong size";
		flash_fd = -1;
		return -1;
	}
	return 0;
}

int flash_medium_read(uint32_t pos, void *buf, uint32_t len)
{
	return semihost_pread(flash_fd, pos, buf, len);
}

int flash_medium_program(uint32_t pos, const void *buf, uint32_t len)
{
	uint8_t cur[64];
	const uint8_t *in = buf;

	for (uint32_t done = 0; done < len;) {
		uint32_t chunk = len - done < sizeof cur ? len - done : (uint32_t)sizeof cur;

		if (semihost_pread(flash_fd, pos + done, cur, chunk) != 0)
			return -1;
		for (uint32_t i = 0; i < chunk; i++)
			cur[i] &= in[done + i];
		if (semihost_pwrite(flash_fd, pos + done, cur, chunk) != 0)
			return -1;
		done += chunk;
	}
	return 0;
}

int flash_medium_erase(uint32_t page, uint32_t len)
{
	uint8_t ff[256];

	memset(ff, 0xFF, sizeof ff);
	for (uint32_t done = 0; done < len; done += (uint32_t)sizeof ff) {
		uint32_t chunk = len - done < sizeof ff ? len - done : (uint32_t)sizeof ff;

		if (semihost_pwrite(flash_fd, page * BOARD_PAGE_SIZE + done, ff, chunk) != 0)
			return -1;
	}
	return 0;
}
