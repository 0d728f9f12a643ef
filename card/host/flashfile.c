/* The card's flash as a file: a RAM copy for reads, every program or erase
 * written through and fdatasync'd before it returns, so the file is what a
 * chip would hold after a power loss. Programming only clears bits (NOR
 * flash); a power cut can be injected at any write. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card/hal.h"
#include "hostlib/atomicfile.h"
#include "host.h"

static int ff_fd = -1;
static uint8_t ff_image[FLASHFILE_SIZE];
static struct af_file ff_new = {.fd = -1}; /* fd >= 0 while a new image is being made */
static unsigned long ff_writes;  /* programs and erases applied */
static unsigned long ff_cut_in;  /* 0: no cut armed; else writes left until it */
static int ff_lost;              /* power is off: every call fails */

static int ff_load(const char **why)
{
	ssize_t got = pread(ff_fd, ff_image, sizeof ff_image, 0);
	if (got != (ssize_t)sizeof ff_image) {
		*why = got < 0 ? strerror(errno) : "short read";
		return -1;
	}
	return 0;
}

int flashfile_open(const char *path, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*why = "in use by another sigcard-card";
		close(fd);
		return -1;
	}
	if (st.st_size != FLASHFILE_SIZE) {
		*why = "not a sigcard flash image (wrong size)";
		close(fd);
		return -1;
	}
	ff_fd = fd;
	if (ff_load(why) != 0) {
		flashfile_close();
		return -1;
	}
	ff_writes = 0;
	ff_cut_in = 0;
	ff_lost = 0;
	return 0;
}

int flashfile_create(const char *path, const char **why)
{
	int rc = af_open(&ff_new, path, 0600, AF_NOREPLACE), fd;

	if (rc != 0) {
		*why = af_strerror(rc);
		return -1;
	}
	/* A descriptor of our own on the new image: af_commit closes
	 * ff_new.fd, and the card goes on running on this one. */
	fd = dup(ff_new.fd);
	memset(ff_image, 0xFF, sizeof ff_image);
	if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 ||
	    pwrite(fd, ff_image, sizeof ff_image, 0) != (ssize_t)sizeof ff_image) {
		*why = "cannot write the new image";
		if (fd >= 0)
			close(fd);
		af_abort(&ff_new);
		return -1;
	}
	ff_fd = fd;
	ff_writes = 0;
	ff_cut_in = 0;
	ff_lost = 0;
	return 0;
}

int flashfile_commit_new(const char **why)
{
	int rc;

	if (ff_new.fd < 0 || ff_fd < 0) {
		*why = "no new image";
		return -1;
	}
	/* AF_NOREPLACE: an image made meanwhile by someone else is never
	 * overwritten. */
	rc = af_commit(&ff_new);
	if (rc != 0) {
		*why = af_strerror(rc);
		return -1;
	}
	return 0;
}

/* The temporary holds the transport key once the factory record is in it:
 * overwritten before it goes. */
void flashfile_abort_new(void)
{
	if (ff_new.fd >= 0 && ff_fd >= 0) {
		memset(ff_image, 0, sizeof ff_image);
		if (pwrite(ff_fd, ff_image, sizeof ff_image, 0) == (ssize_t)sizeof ff_image)
			(void)fdatasync(ff_fd);
	}
	af_abort(&ff_new);
	flashfile_close();
}

void flashfile_close(void)
{
	if (ff_fd >= 0) {
		fsync(ff_fd);
		close(ff_fd);
	}
	ff_fd = -1;
}

void flashfile_cut_at(unsigned long n)
{
	if (n == 0) {
		ff_lost = 1;
		ff_cut_in = 0;
	} else {
		ff_cut_in = n;
	}
}

void flashfile_cut_cancel(void) { ff_cut_in = 0; }
int flashfile_power_lost(void) { return ff_lost; }
unsigned long flashfile_writes(void) { return ff_writes; }
unsigned long flashfile_cut_pending(void) { return ff_cut_in; }

/* Power back: the RAM copy is reloaded from the file, as a chip would read
 * its cells, so nothing that did not reach the file survives. */
void flashfile_power_restore(void)
{
	const char *why;
	ff_lost = 0;
	ff_cut_in = 0;
	if (ff_fd >= 0 && ff_load(&why) != 0)
		log_warnx("flash: reload after power loss: %s", why);
}

void hal_flash_geometry(struct card_hal *hal, struct hal_flash_geometry *g)
{
	(void)hal;
	g->page_size = FLASHFILE_PAGE_SIZE;
	g->page_count = FLASHFILE_PAGES;
}

static int ff_range_ok(uint32_t page, uint32_t offset, uint32_t len)
{
	return ff_fd >= 0 && page < FLASHFILE_PAGES && offset <= FLASHFILE_PAGE_SIZE &&
	       len <= FLASHFILE_PAGE_SIZE - offset;
}

int hal_flash_read(struct card_hal *hal, uint32_t page, uint32_t offset, uint8_t *buf, uint32_t len)
{
	(void)hal;
	if (ff_lost || !ff_range_ok(page, offset, len))
		return -1;
	memcpy(buf, ff_image + (size_t)page * FLASHFILE_PAGE_SIZE + offset, len);
	return 0;
}

/* Counts one write against an armed cut. Returns 1 if this write is the one
 * the power dies in. */
static int ff_write_meets_cut(void)
{
	if (ff_cut_in == 0)
		return 0;
	if (--ff_cut_in == 0) {
		ff_lost = 1;
		return 1;
	}
	return 0;
}

/* Writes image bytes [pos, pos+len) through to the file. */
static int ff_persist(size_t pos, size_t len)
{
	if (pwrite(ff_fd, ff_image + pos, len, (off_t)pos) != (ssize_t)len) {
		log_warn("flash: write at %zu", pos);
		return -1;
	}
	if (fdatasync(ff_fd) != 0) {
		log_warn("flash: fdatasync");
		return -1;
	}
	return 0;
}

int hal_flash_program(struct card_hal *hal, uint32_t page, uint32_t offset, const uint8_t *buf,
		      uint32_t len)
{
	(void)hal;
	size_t pos, n, i;
	int torn;
	if (ff_lost || !ff_range_ok(page, offset, len))
		return -1;
	torn = ff_write_meets_cut();
	n = torn ? len / 2u : len;
	pos = (size_t)page * FLASHFILE_PAGE_SIZE + offset;
	for (i = 0; i < n; i++) {
		if ((buf[i] & ~ff_image[pos + i] & 0xFFu) != 0) {
			log_warnx("flash: program of page %u offset %zu sets erased-only bits",
				  (unsigned)page, (size_t)offset + i);
			break;
		}
	}
	for (i = 0; i < n; i++)
		ff_image[pos + i] &= buf[i];
	if (n > 0 && ff_persist(pos, n) != 0)
		return -1;
	ff_writes++;
	if (torn)
		log_info("flash: power cut during program of page %u (%zu of %u bytes written)",
			 (unsigned)page, n, (unsigned)len);
	return torn ? -1 : 0;
}

int hal_flash_erase(struct card_hal *hal, uint32_t page)
{
	(void)hal;
	size_t pos, n;
	int torn;
	if (ff_lost || !ff_range_ok(page, 0, 0))
		return -1;
	torn = ff_write_meets_cut();
	n = torn ? FLASHFILE_PAGE_SIZE / 2u : FLASHFILE_PAGE_SIZE;
	pos = (size_t)page * FLASHFILE_PAGE_SIZE;
	memset(ff_image + pos, 0xFF, n);
	if (ff_persist(pos, n) != 0)
		return -1;
	ff_writes++;
	if (torn)
		log_info("flash: power cut during erase of page %u (half erased)", (unsigned)page);
	return torn ? -1 : 0;
}
