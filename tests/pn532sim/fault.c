/* Faults injected into the card-side chip, for tests of the host that
 * drives it (the firmware's PN532 front end): a NACK instead of the ACK
 * for a command (the command is dropped; the host must send it again), an
 * answer with a corrupt data checksum (the host must NACK it; the chip
 * then sends the good one), an answer held back (the host must give up on
 * it and abort with an ACK), or the card taken out of the field once an
 * answer went out (its host then works on a command whose reader is gone);
 * a command lost on the line (no ACK: the host must send it again), or
 * answered with the syntax error frame (the host must start afresh).
 * Each fault hits the Nth command (NACK) or the
 * Nth answer (the others) with one command code, counted from the moment
 * the fault file was read (at start and on SIGHUP), once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/pn532sim/pn532sim.h"

#define FAULTS_MAX 8

struct fault {
	enum pn_fault kind;
	uint8_t cmd;
	unsigned long nth, seen;
};

static struct fault faults[FAULTS_MAX];
static size_t nfaults;
long long sim_late_ms = 3000;

static const char *const kind_names[] = {"nack", "bad-dcs", "late", "remove", "drop", "syntax"};
#define KINDS (sizeof kind_names / sizeof kind_names[0])

const char *fault_name(enum pn_fault kind)
{
	return kind_names[kind];
}

int fault_load(const char *file, char *err, size_t errcap)
{
	FILE *f = fopen(file, "r");
	char line[128];
	unsigned lineno = 0;
	struct fault next[FAULTS_MAX];
	size_t n = 0;

	if (f == NULL) {
		snprintf(err, errcap, "%s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char kind[16];
		unsigned cmd;
		unsigned long nth;
		int k;

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		if (sscanf(line, "%15s %x %lu", kind, &cmd, &nth) != 3 || cmd > 0xFF || nth == 0 ||
		    n == FAULTS_MAX) {
			snprintf(err, errcap, "%s:%u: not KIND CODE N (nack|bad-dcs|late|remove|drop|syntax, hex, from 1)",
				 file, lineno);
			fclose(f);
			return -1;
		}
		for (k = 0; k < (int)KINDS && strcmp(kind, kind_names[k]) != 0; k++)
			;
		if (k == (int)KINDS) {
			snprintf(err, errcap, "%s:%u: unknown fault %s", file, lineno, kind);
			fclose(f);
			return -1;
		}
		next[n++] = (struct fault){(enum pn_fault)k, (uint8_t)cmd, nth, 0};
	}
	fclose(f);
	memcpy(faults, next, sizeof next);
	nfaults = n;
	return (int)n;
}

int fault_take(enum pn_fault kind, uint8_t cmd)
{
	for (size_t i = 0; i < nfaults; i++) {
		struct fault *ft = &faults[i];
		if (ft->kind != kind || ft->cmd != cmd || ft->seen >= ft->nth)
			continue;
		if (++ft->seen == ft->nth)
			return 1;
	}
	return 0;
}
