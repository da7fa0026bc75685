// SPDX-License-Identifier: GPL-2.0-only
/*
 * run.c: `anonvm run`: parse scripts and run them on the model or the live kernel; with
 * --expect, compare the output with a committed expected file (the scenario tests).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

int run_capture(const struct script *s, bool kernel, bool validate_each,
		enum anonvm_rmap_design design, char **text, FILE *err)
{
	size_t len;
	FILE *out = open_memstream(text, &len);
	struct run_opts o = { .err = err, .validate_each = validate_each, .design = design };
	int status;

	if (!out) {
		fprintf(err, "anonvm: out of memory\n");
		*text = NULL;
		return 2;
	}
	o.out = out;
	status = kernel ? kernel_run(s, &o) : model_run(s, &o);
	fclose(out);
	return status;
}

#define INJECTED_BIT 0x10 /* in the child's exit status: the injected failure happened */

int run_model_isolated(const struct script *s, enum anonvm_rmap_design design, long fail_nth,
		       bool *injected, char **text, FILE *err)
{
	int fds[2], wst;
	size_t len;
	FILE *in;
	pid_t pid;

	*text = NULL;
	if (pipe(fds))
		return 2;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return 2;
	}
	if (pid == 0) {
		bool fired = false;
		char *out = NULL;
		struct run_opts o = { .err = err, .validate_each = true, .fail_nth = fail_nth,
				      .injected = &fired, .design = design };
		FILE *w;
		int st;

		close(fds[0]);
		o.out = open_memstream(&out, &len);
		st = o.out ? model_run(s, &o) : 2;
		if (o.out)
			fclose(o.out);
		w = fdopen(fds[1], "w");
		if (w && out)
			fputs(out, w);
		if (w)
			fclose(w);
		_exit(st | (fired ? INJECTED_BIT : 0));
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	*text = in ? read_stream(in) : NULL;
	if (in)
		fclose(in);
	else
		close(fds[0]);
	if (waitpid(pid, &wst, 0) < 0)
		return 2;
	if (WIFSIGNALED(wst))
		return 3;
	if (injected)
		*injected = WEXITSTATUS(wst) & INJECTED_BIT;
	return WEXITSTATUS(wst) & ~INJECTED_BIT;
}

char *read_stream(FILE *in)
{
	char *text = NULL;
	size_t len;
	FILE *mem = open_memstream(&text, &len);
	int c;

	if (!mem)
		return NULL;
	while ((c = getc(in)) != EOF)
		putc(c, mem);
	fclose(mem);
	return text;
}

static char *read_file(const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *text;

	if (!f) {
		fprintf(err, "%s: error: %s\n", path, strerror(errno));
		return NULL;
	}
	text = read_stream(f);
	fclose(f);
	return text;
}

int parse_design(const char *prog, const char *arg, enum anonvm_rmap_design *design)
{
	if (!anonvm_design_parse(arg, design))
		return 0;
	fprintf(stderr, "%s: unknown design '%s' (", prog, arg);
	for (int d = 0; d < ANONVM_RMAP_NR; d++)
		fprintf(stderr, "%s%s", d ? ", " : "", anonvm_design_name(d));
	fputs(")\n", stderr);
	return 2;
}

static void run_usage(FILE *out)
{
	fputs("usage: anonvm run [--kernel] [--design D] [--validate|--no-validate]\n"
	      "                  [--expect FILE [--pages-only]] SCRIPT...\n"
	      "\n"
	      "Runs .avs scripts (docs/language.md) and prints the canonical output. A block\n"
	      "  par [N]\n"
	      "  P write ADDR 8 1 ; P madvise ADDR 8 dontneed\n"
	      "  Q read ADDR 8\n"
	      "  end\n"
	      "runs its lines at the same time, each on a thread of its process (commands of one\n"
	      "process joined by ';'), N times over (docs/SCRIPT-EXTENSIONS.md).\n"
	      "  --kernel        run on the live Linux kernel (root; real processes and syscalls)\n"
	      "                  instead of the model\n"
	      "  --design D      the model's reverse-map design: linux (default), noreuse,\n"
	      "                  nointerval or legacy\n"
	      "  --validate      run the model's validator after every command and check for\n"
	      "                  leaks at the end (default in debug builds)\n"
	      "  --no-validate   do not\n"
	      "  --expect FILE   compare the output with FILE (lines starting with '# ' ignored);\n"
	      "                  print a unified diff and exit 1 when they differ (one SCRIPT)\n"
	      "  --pages-only    with --expect: compare dump headers, page and '!!' lines only\n"
	      "                  (a design whose merge rules differ from Linux 6.18's)\n"
	      "exit: 0 ran to the end, 1 a check or --expect failed, 2 usage/parse error\n",
	      out);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", no_argument, NULL, 'k' },     { "validate", no_argument, NULL, 'v' },
		{ "no-validate", no_argument, NULL, 'n' }, { "expect", required_argument, NULL, 'e' },
		{ "design", required_argument, NULL, 'd' }, { "pages-only", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 }
	};
	enum anonvm_rmap_design design = ANONVM_RMAP_LINUX;
	bool kernel = false, validate = anonvm_debug_level() >= 2;
	enum compare how = COMPARE_ALL;
	const char *expect = NULL;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = true;
			break;
		case 'v':
			validate = true;
			break;
		case 'n':
			validate = false;
			break;
		case 'e':
			expect = optarg;
			break;
		case 'd':
			if (parse_design("anonvm run", optarg, &design))
				return 2;
			break;
		case 'p':
			how = COMPARE_PAGES;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (optind == argc || (expect && argc - optind != 1)) {
		run_usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc && status != 2; i++) {
		struct script s;
		char *text = NULL, *want;
		int st;

		if (script_parse_file(argv[i], &s, stderr))
			return 2;
		st = run_capture(&s, kernel, validate, design, &text, stderr);
		script_free(&s);
		if (!expect) {
			fputs(text ? text : "", stdout);
		} else if (st == 0) {
			want = read_file(expect, stderr);
			if (!want) {
				st = 2;
			} else if (!outputs_equal(want, text, how)) {
				print_udiff(stdout, expect, want, kernel ? "kernel" : "model", text, how);
				st = 1;
			}
			free(want);
		}
		free(text);
		if (st > status)
			status = st;
	}
	return status;
}
