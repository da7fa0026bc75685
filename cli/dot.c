// SPDX-License-Identifier: GPL-2.0-only
/*
 * dot.c: `anonvm dot`: run a script on the model and draw its reverse map at the end, in
 * any design; and where every graph the command writes goes: stdout for "-", Graphviz's
 * `dot` for a .png or .svg file (through a pipe), the graph's text for anything else.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"

/* The Graphviz output format a file name asks for, or NULL for the graph's own text. */
static const char *graph_format(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && (!strcmp(dot, ".png") || !strcmp(dot, ".svg")))
		return dot + 1;
	return NULL;
}

/* A path as one shell word: inside single quotes, each ' written as '\''. */
static char *shell_quote(const char *s)
{
	char *q = malloc(4 * strlen(s) + 3), *o = q;

	if (!q)
		return NULL;
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

FILE *open_graph_output(const char *path, FILE *err)
{
	const char *format = graph_format(path);
	char *quoted, *cmd;
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	if (!format) {
		f = fopen(path, "w");
		if (!f)
			fprintf(err, "anonvm: cannot write %s: %s\n", path, strerror(errno));
		return f;
	}
	if (system("command -v dot >/dev/null 2>&1")) {
		fprintf(err, "anonvm: drawing %s needs Graphviz's dot (apt-get install graphviz); "
			     "a name ending in .dot gets the graph's text\n", path);
		return NULL;
	}
	quoted = shell_quote(path);
	if (!quoted || asprintf(&cmd, "dot -T%s -o %s", format, quoted) < 0) {
		free(quoted);
		fprintf(err, "anonvm: out of memory\n");
		return NULL;
	}
	fflush(NULL);
	f = popen(cmd, "w");
	if (!f)
		fprintf(err, "anonvm: cannot run '%s': %s\n", cmd, strerror(errno));
	free(quoted);
	free(cmd);
	return f;
}

int close_graph_output(FILE *f, const char *path, FILE *err)
{
	int st;

	if (f == stdout)
		return fflush(stdout) ? -1 : 0;
	if (!graph_format(path)) {
		if (fclose(f)) {
			fprintf(err, "anonvm: cannot write %s: %s\n", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	st = pclose(f);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(err, "anonvm: Graphviz's dot could not draw %s\n", path);
		return -1;
	}
	return 0;
}

static void dot_usage(FILE *out)
{
	fputs("usage: anonvm dot [--design D] [-o FILE] SCRIPT\n"
	      "\n"
	      "Runs SCRIPT on the model and draws its reverse map as it is after the last\n"
	      "command: each process (by its script name) with its VMAs, every anon_vma with\n"
	      "its counters and parent, and the design's links (AVCs, or legacy's VMA list).\n"
	      "  --design D   linux (default), noreuse, nointerval or legacy\n"
	      "  -o FILE      where to write it: '-' (default) stdout; FILE.png or FILE.svg are\n"
	      "               drawn by Graphviz's dot; any other name gets the graph's text\n"
	      "The script's own output is not printed. A script can also draw at any point\n"
	      "with the model-only command 'dot FILE'.\n"
	      "exit: 0 drawn, 1 the validator failed, 2 usage/parse/output error\n",
	      out);
}

int cmd_dot(int argc, char **argv)
{
	static const struct option longopts[] = { { "design", required_argument, NULL, 'd' },
						  { "output", required_argument, NULL, 'o' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	struct run_opts o = { .err = stderr, .design = ANONVM_RMAP_LINUX, .dot_at_end = "-",
			      .validate_each = anonvm_debug_level() >= 2 };
	struct script s;
	int c, status;

	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_design("anonvm dot", optarg, &o.design))
				return 2;
			break;
		case 'o':
			o.dot_at_end = optarg;
			break;
		case 'h':
			dot_usage(stdout);
			return 0;
		default:
			dot_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		dot_usage(stderr);
		return 2;
	}
	if (script_parse_file(argv[optind], &s, stderr))
		return 2;
	o.out = fopen("/dev/null", "w");
	if (!o.out) {
		script_free(&s);
		return 2;
	}
	status = model_run(&s, &o);
	fclose(o.out);
	script_free(&s);
	return status;
}
