/* Arm semihosting (Arm IHI 0057, "Semihosting for AArch32 and AArch64"):
 * BKPT 0xAB with the operation in r0 and a parameter block in r1. QEMU
 * serves it with -semihosting-config enable=on,target=native: files are
 * the host's, the console is QEMU's stderr. */
#include <string.h>

#include "board.h"

enum {
	SYS_OPEN = 0x01,
	SYS_WRITE0 = 0x04,
	SYS_WRITE = 0x05,
	SYS_READ = 0x06,
	SYS_SEEK = 0x0A,
	SYS_FLEN = 0x0C,
	SYS_GET_CMDLINE = 0x15,
	SYS_EXIT = 0x18,
};
#define SH_MODE_RW_BINARY 3u            /* fopen's "r+b" */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR 0x20023u

static int semihost_call(uint32_t op, const void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
	return (int)r0;
}

int semihost_open_rw(const char *path)
{
	uint32_t args[3] = {(uint32_t)(uintptr_t)path, SH_MODE_RW_BINARY, (uint32_t)strlen(path)};
	int fd = semihost_call(SYS_OPEN, args);

	return fd < 0 ? -1 : fd;
}

static int semihost_seek(int fd, uint32_t pos)
{
	uint32_t args[2] = {(uint32_t)fd, pos};

	return semihost_call(SYS_SEEK, args) == 0 ? 0 : -1;
}

/* SYS_READ and SYS_WRITE return the number of bytes NOT transferred. */
int semihost_pread(int fd, uint32_t pos, void *buf, uint32_t n)
{
	uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, n};

	if (semihost_seek(fd, pos) != 0)
		return -1;
	return semihost_call(SYS_READ, args) == 0 ? 0 : -1;
}

int semihost_pwrite(int fd, uint32_t pos, const void *buf, uint32_t n)
{
	uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, n};

	if (semihost_seek(fd, pos) != 0)
		return -1;
	return semihost_call(SYS_WRITE, args) == 0 ? 0 : -1;
}

long semihost_flen(int fd)
{
	uint32_t args[1] = {(uint32_t)fd};

	return (long)semihost_call(SYS_FLEN, args);
}

int semihost_cmdline(char *buf, size_t cap)
{
	uint32_t args[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)cap};

	if (cap == 0 || semihost_call(SYS_GET_CMDLINE, args) != 0)
		return -1;
	buf[cap - 1u] = '\0';
	return 0;
}

void semihost_log(const char *s)
{
	(void)semihost_call(SYS_WRITE0, s);
	(void)semihost_call(SYS_WRITE0, "\n");
}

void semihost_exit(int failed)
{
	/* AArch32 SYS_EXIT takes the reason itself in r1; QEMU exits 0 for
	 * ApplicationExit and 1 for any other reason. */
	(void)semihost_call(SYS_EXIT, (const void *)(uintptr_t)(failed ? ADP_STOPPED_RUNTIME_ERROR
									 : ADP_STOPPED_APPLICATION_EXIT));
	for (;;)
		;
}
