/* Secrets read from files: the transport key, the issuer's perso file, the
 * PIN. Each must be a regular file that only its owner can read, like any
 * key file; the bytes read are wiped by the callers after use. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/scheme.h"
#include "host.h"

/* Documented in README.md ("sigcard-card") as the test key: never for a
 * card that holds real money. */
const uint8_t keys_test_transport[CARD_TRANSPORT_KEY_LEN] = {
	0x53, 0x49, 0x47, 0x43, 0x41, 0x52, 0x44, 0x2D,   /* "SIGCARD-" */
	0x54, 0x45, 0x53, 0x54, 0x2D, 0x54, 0x4B, 0x31,   /* "TEST-TK1" */
};

int keys_read_private_file(const char *path, char *out, size_t cap, const char **why)
{
	struct stat st;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		*why = "readable or writable by group or others (chmod 600 it)";
		close(fd);
		return -1;
	}
	while (len < cap - 1) {
		ssize_t n = read(fd, out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = strerror(errno);
			close(fd);
			sc_wipe(out, cap);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == cap - 1) {
		char extra;
		if (read(fd, &extra, 1) > 0) {
			*why = "too long";
			close(fd);
			sc_wipe(out, cap);
			return -1;
		}
	}
	close(fd);
	out[len] = '\0';
	return 0;
}

/* Cuts leading and trailing white space in place; returns the start. */
static char *keys_trim(char *s)
{
	size_t n;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
			 s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int keys_transport_from_file(const char *path, uint8_t key[CARD_TRANSPORT_KEY_LEN],
			     const char **why)
{
	char text[128];
	char *hex;
	int n;
	if (keys_read_private_file(path, text, sizeof text, why) != 0)
		return -1;
	hex = keys_trim(text);
	n = sc_hex_decode(key, CARD_TRANSPORT_KEY_LEN, hex);
	sc_wipe(text, sizeof text);
	if (n != (int)CARD_TRANSPORT_KEY_LEN) {
		sc_wipe(key, CARD_TRANSPORT_KEY_LEN);
		*why = "not 32 hex digits";
		return -1;
	}
	return 0;
}

int keys_token_from_file(const char *path, char out[WEB_TOKEN_MAX + 1], const char **why)
{
	char text[WEB_TOKEN_MAX + 64];
	char *tok;
	size_t n;
	if (keys_read_private_file(path, text, sizeof text, why) != 0)
		return -1;
	tok = keys_trim(text);
	n = strlen(tok);
	if (n < 16 || n > WEB_TOKEN_MAX ||
	    strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-") != n) {
		sc_wipe(text, sizeof text);
		*why = "not a token (16 to 128 of A-Z a-z 0-9 . _ ~ -)";
		return -1;
	}
	memcpy(out, tok, n + 1);
	sc_wipe(text, sizeof text);
	return 0;
}
