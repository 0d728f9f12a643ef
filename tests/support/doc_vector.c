/* docs/PROTOCOL.md's vectors by name (doc_vector.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/hex.h"
#include "doc_vector.h"

int doc_vector(const char *name, uint8_t *out, size_t cap)
{
	const char *top = getenv("SC_TOP");
	char path[4096], line[512];
	size_t len = 0, nl = strlen(name);
	int fence = 0, in = 0, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/PROTOCOL.md", top && *top ? top : ".");
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "```", 3) == 0) {
			fence = !fence;
			in = 0;
		} else if (fence && strncmp(line, "vector ", 7) == 0) {
			if (found)
				break;
			in = strncmp(line + 7, name, nl) == 0 &&
			     (line[7 + nl] == '\0' || line[7 + nl] == ' ');
			found = in;
		} else if (in && *line) {
			int n = sc_hex_decode(out + len, cap - len, line);

			if (n < 0) {
				found = 0;
				break;
			}
			len += (size_t)n;
		}
		if (found && !in)
			break;
	}
	fclose(f);
	return found ? (int)len : -1;
}
