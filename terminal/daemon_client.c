/* The front end's side of the daemon protocol (terminal.h): sends the
 * payment's options, relays progress to stderr and the receipt to stdout,
 * and exits with the class the daemon reports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "terminal/terminal.h"

char *term_paid_text(const struct term_paid *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return NULL;
	term_paid_print(p, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Handles one line from the daemon; returns -1 to go on, else the exit status. */
static int take_line(const char *line)
{
	json_error_t jerr;
	json_t *m = json_loads(line, 0, &jerr);
	if (m == NULL) {
		fprintf(stderr, "sigcard-terminal: the daemon sent a line that is not JSON\n");
		return TERM_EXIT_FAILURE;
	}
	int rc = -1;
	const char *progress = json_string_value(json_object_get(m, "progress"));
	const char *result = json_string_value(json_object_get(m, "result"));
	if (progress != NULL) {
		fprintf(stderr, "sigcard-terminal: %s\n", progress);
	} else if (result != NULL && strcmp(result, "ok") == 0) {
		const char *receipt = json_string_value(json_object_get(m, "receipt"));
		fputs(receipt ? receipt : "", stdout);
		rc = 0;
	} else if (result != NULL) {
		json_int_t code = json_integer_value(json_object_get(m, "exit"));
		const char *class = json_string_value(json_object_get(m, "class"));
		const char *msg = json_string_value(json_object_get(m, "message"));
		fprintf(stderr, "sigcard-terminal: %s: %s\n", class ? class : "error",
			msg ? msg : "(no message)");
		rc = code > 0 && code < 64 ? (int)code : TERM_EXIT_FAILURE;
	}
	json_decref(m);
	return rc;
}

int term_daemon_pay(const char *spec, int argc, char **argv)
{
	char err[TERM_ERR_MAX];
	if (strncmp(spec, "unix:", 5) != 0 || spec[5] == '\0') {
		fprintf(stderr, "sigcard-terminal: pay: --daemon '%s': expected unix:PATH\n", spec);
		return TERM_EXIT_USAGE;
	}
	json_t *args = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	json_t *req = json_pack("{s:s, s:o}", "op", "pay", "args", args);
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text == NULL) {
		fprintf(stderr, "sigcard-terminal: pay: the options are not valid UTF-8 text\n");
		return TERM_EXIT_USAGE;
	}
	int fd = term_unix_connect(spec + 5, err, sizeof err);
	if (fd < 0) {
		fprintf(stderr, "sigcard-terminal: no terminal daemon at %s (%s)\n", spec, err);
		free(text);
		return TERM_EXIT_FAILURE;
	}
	FILE *f = fdopen(fd, "r+");
	if (f == NULL) {
		close(fd);
		free(text);
		return TERM_EXIT_FAILURE;
	}
	fprintf(f, "%s\n", text);
	fflush(f);
	free(text);
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;
	while (rc < 0 && getline(&line, &cap, f) > 0)
		rc = take_line(line);
	free(line);
	fclose(f);
	if (rc < 0) {
		fprintf(stderr, "sigcard-terminal: the daemon closed the connection before the"
				" result\n");
		rc = TERM_EXIT_FAILURE;
	}
	return rc;
}
