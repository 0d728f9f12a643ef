/* Named error codes shared by every layer. Library code returns 0 or one of
 * these (negative); programs turn them into messages with sc_strerror(). */
#ifndef SC_ERRORS_H
#define SC_ERRORS_H

enum sc_err {
	SC_OK = 0,
	SC_ERR_TRUNCATED = -1,     /* input ended before a field did */
	SC_ERR_OVERFLOW = -2,      /* output buffer too small */
	SC_ERR_TRAILING = -3,      /* bytes left after a complete item */
	SC_ERR_LENGTH = -4,        /* a length field is out of its allowed range */
	SC_ERR_NONCANONICAL = -5,  /* a valid value in a form that is not the one allowed */
	SC_ERR_BAD_VALUE = -6,     /* a field holds a value outside its domain */
	SC_ERR_BAD_TAG = -7,       /* unknown, repeated or out-of-order tag */
	SC_ERR_BAD_UTF8 = -8,      /* text is not valid, shortest-form, printable UTF-8 */
	SC_ERR_BAD_APDU = -9,      /* an APDU whose Lc/Le/data do not agree */
	SC_ERR_FRAME_SIZE = -10,   /* a frame longer than the carrier allows */
	SC_ERR_BAD_VERSION = -11,  /* a format version this build does not know */
	SC_ERR_CRYPTO = -12,       /* a crypto primitive failed */
	SC_ERR_ARG = -13,          /* a caller passed an invalid argument */
	SC_ERR_AUTH = -14,         /* a password or MAC did not match */
};

/* A short, constant English description of err; never NULL. */
const char *sc_strerror(int err);

#endif
