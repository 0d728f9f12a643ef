/* A raster written as an 8-bit greyscale PNG with libpng, atomically
 * (hostlib/atomicfile.h), so the terminal's camera never reads half a
 * screen and a path that is not a regular file is never replaced. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "hostlib/atomicfile.h"
#include "host.h"

/* Writes r into f; 0 or -1. Kept apart so setjmp guards nothing but libpng. */
static int png_encode(FILE *f, const struct raster *r)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = NULL;
	uint32_t y;
	if (png == NULL)
		return -1;
	info = png_create_info_struct(png);
	if (info == NULL || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, r->w, r->h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < r->h; y++)
		png_write_row(png, r->px + (size_t)y * r->w);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int pngfile_write(const char *path, const struct raster *r)
{
	struct af_file af;
	FILE *f;
	int fd, rc = af_open(&af, path, 0644, 0);

	if (rc != 0)
		return rc;
	/* stdio gets its own descriptor: af_commit fsyncs and closes af.fd. */
	fd = dup(af.fd);
	f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		af_abort(&af);
		return AF_ERR_SYSTEM;
	}
	rc = png_encode(f, r);
	if (fclose(f) != 0)
		rc = -1;
	if (rc != 0) {
		af_abort(&af);
		return AF_ERR_SYSTEM;
	}
	return af_commit(&af);
}
