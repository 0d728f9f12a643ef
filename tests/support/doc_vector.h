/* One hex vector of docs/PROTOCOL.md, by name, for tests of any layer: the
 * document and the code cannot drift apart. The file is
 * $SC_TOP/docs/PROTOCOL.md (scripts/run-tests.sh sets SC_TOP), else
 * docs/PROTOCOL.md from the current directory. Syntax, inside ``` fences:
 *     vector NAME [key=value ...]
 *     hex digits, on as many lines as needed */
#ifndef SC_TESTS_DOC_VECTOR_H
#define SC_TESTS_DOC_VECTOR_H

#include <stddef.h>
#include <stdint.h>

/* The bytes of the first vector called name, at most cap: their length,
 * or -1 if there is none, it is longer than cap, or its hex is bad. */
int doc_vector(const char *name, uint8_t *out, size_t cap);

#endif
