/* Messages for the shared error codes (common/errors.h). */
#include "errors.h"

const char *sc_strerror(int err)
{
	switch (err) {
	case SC_OK: return "success";
	case SC_ERR_TRUNCATED: return "input ended before a field did";
	case SC_ERR_OVERFLOW: return "output buffer too small";
	case SC_ERR_TRAILING: return "bytes left after a complete item";
	case SC_ERR_LENGTH: return "length out of its allowed range";
	case SC_ERR_NONCANONICAL: return "value not in its canonical form";
	case SC_ERR_BAD_VALUE: return "value outside its domain";
	case SC_ERR_BAD_TAG: return "unknown, repeated or out-of-order tag";
	case SC_ERR_BAD_UTF8: return "text is not valid printable UTF-8";
	case SC_ERR_BAD_APDU: return "malformed APDU";
	case SC_ERR_FRAME_SIZE: return "frame too long for the carrier";
	case SC_ERR_BAD_VERSION: return "unknown format version";
	case SC_ERR_CRYPTO: return "crypto primitive failed";
	case SC_ERR_ARG: return "invalid argument";
	case SC_ERR_AUTH: return "password or MAC did not match";
	default: return "unknown error";
	}
}
