/* sigcard-card: placeholder front end until its issue lands; it answers
 * --help and --version truthfully and refuses to pretend to do more. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: sigcard-card [--help] [--version]\n"
		   "\n"
		   "sigcard-card is not implemented yet in this build: only --help and\n"
		   "--version work. See README.md.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'V': printf("sigcard-card %s\n", SC_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	fprintf(stderr, "sigcard-card: not implemented yet (see --help)\n");
	return 2;
}
