/* Secrets read from files (keys, a PIN, a web page's token): each must be
 * a regular file only its owner can read or write, like any key file. One
 * policy for the card's key files and the programs' --http-token-file. */
#ifndef HOSTLIB_PRIVFILE_H
#define HOSTLIB_PRIVFILE_H

#include <stddef.h>

/* Reads the whole file into out (NUL-terminated, at most cap - 1 bytes).
 * 0, or -1 with *why (not a regular file, readable or writable by group or
 * others, owned by another user, too long, a system error); out is wiped on a failed read. The
 * caller wipes out after use. */
int priv_file_read(const char *path, char *out, size_t cap, const char **why);

/* Cuts leading and trailing white space in place; returns the start. */
char *priv_trim(char *s);

#endif
