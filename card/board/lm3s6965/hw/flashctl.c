/* The flash medium on the real LM3S6965: the card's image (store pages,
 * manufacture page, entropy log: BOARD_IMAGE_SIZE bytes) lies in the
 * chip's own flash at FLASH_IMAGE_BASE, above the code (lm3s6965.ld ends
 * the code there), read in place and changed through the flash controller
 * (data sheet, "Flash Memory": FMA/FMD/FMC with the write key, 32-bit
 * words, 1 KiB erase pages, USECRL the clock in MHz less one). One of the
 * board's 2 KiB pages is two of the chip's. A word is programmed with 0xFF
 * in the bytes outside the range, so a program only clears bits.
 * Not emulated by QEMU (its flash controller is an unimplemented device):
 * this driver has run on no hardware yet (docs/board-lm3s6965.md). */
#include <string.h>

#include "board.h"

#define FLASH_IMAGE_BASE 0x0003A000u   /* 232 KiB: the image's 22 KiB, then 2 KiB unused */
#define CHIP_PAGE 1024u

#define FLASH_FMA LM3S_REG(0x400FD000u)
#define FLASH_FMD LM3S_REG(0x400FD004u)
#define FLASH_FMC LM3S_REG(0x400FD008u)
#define FLASH_FCRIS LM3S_REG(0x400FD00Cu)
#define FLASH_FCMISC LM3S_REG(0x400FD014u)
#define SYSCTL_USECRL LM3S_REG(0x400FE140u)
#define FMC_WRKEY 0xA4420000u
#define FMC_WRITE 0x1u
#define FMC_ERASE 0x2u
#define FCRIS_ARIS 0x1u                 /* access fault: a protected page */

_Static_assert(FLASH_IMAGE_BASE % BOARD_PAGE_SIZE == 0, "the image starts on a page");
_Static_assert(FLASH_IMAGE_BASE + BOARD_IMAGE_SIZE <= 0x40000u, "the image fits the chip");

int flash_medium_open(const char *path, const char **why)
{
	(void)path;
	(void)why;
	SYSCTL_USECRL = BOARD_SYSCLK_HZ / 1000000u - 1u;
	return 0;
}

int flash_medium_read(uint32_t pos, void *buf, uint32_t len)
{
	memcpy(buf, (const void *)(uintptr_t)(FLASH_IMAGE_BASE + pos), len);
	return 0;
}

/* Runs one controller operation (bit op of FMC) at addr; 0 or -1. */
static int flash_op(uint32_t addr, uint32_t op)
{
	FLASH_FCMISC = FCRIS_ARIS;
	FLASH_FMA = addr;
	FLASH_FMC = FMC_WRKEY | op;
	while ((FLASH_FMC & op) != 0)
		;
	return (FLASH_FCRIS & FCRIS_ARIS) != 0 ? -1 : 0;
}

int flash_medium_program(uint32_t pos, const void *buf, uint32_t len)
{
	const uint8_t *in = buf;
	uint32_t addr = FLASH_IMAGE_BASE + pos;
	uint32_t end = addr + len;

	for (uint32_t w = addr & ~3u; w < end; w += 4u) {
		uint8_t word[4] = {0xFF, 0xFF, 0xFF, 0xFF};
		uint32_t v;

		for (uint32_t b = 0; b < 4u; b++)
			if (w + b >= addr && w + b < end)
				word[b] = in[w + b - addr];
		memcpy(&v, word, sizeof v);
		if (v == 0xFFFFFFFFu)
			continue;
		FLASH_FMD = v;
		if (flash_op(w, FMC_WRITE) != 0)
			return -1;
	}
	return 0;
}

int flash_medium_erase(uint32_t page, uint32_t len)
{
	uint32_t addr = FLASH_IMAGE_BASE + page * BOARD_PAGE_SIZE;

	/* A torn erase (an injected cut) erases nothing: the controller
	 * works in whole pages. */
	if (len < BOARD_PAGE_SIZE)
		return 0;
	for (uint32_t off = 0; off < BOARD_PAGE_SIZE; off += CHIP_PAGE)
		if (flash_op(addr + off, FMC_ERASE) != 0)
			return -1;
	return 0;
}
