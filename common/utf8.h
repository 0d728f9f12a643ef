/* One UTF-8 decoder for everything that reads display text: the
 * transaction's checks (tx_text.c), the card's repertoire check and the
 * emulator's screen renderer. */
#ifndef SC_UTF8_H
#define SC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the character that starts s[0..len) (len >= 1) into *cp and
 * returns its length in bytes (1..4), or SC_ERR_BAD_UTF8 if s does not
 * start with shortest-form UTF-8 of a Unicode scalar value: a stray
 * continuation byte, a C0/C1/F5..FF lead, a sequence cut short, an
 * overlong form, a surrogate or anything above U+10FFFF. */
int sc_utf8_next(uint32_t *cp, const uint8_t *s, size_t len);

#endif
