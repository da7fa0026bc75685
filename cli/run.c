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
#include "report.h"

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
		fflush(NULL); /* what went to err: _exit does not write it */
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

/* The whole of a file, or of standard input for "-", as a string (caller frees). */
static char *read_file(const char *path, FILE *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *text;

	if (!f) {
		fprintf(err, "%s: error: %s\n", path, strerror(errno));
		return NULL;
	}
	text = read_stream(f);
	if (!text)
		fprintf(err, "%s: error: out of memory\n", path);
	if (f != stdin)
		fclose(f);
	return text;
}

/*
 * Runs s with its output on stdout: the model's as it is printed (so that `dot -` comes in
 * its place), the kernel's once the run is over (its workers are forked processes, which
 * must not inherit unwritten output).
 */
static int run_to_stdout(const struct script *s, bool kernel, bool validate,
			 enum anonvm_rmap_design design)
{
	struct run_opts o = { .out = stdout, .err = stderr, .validate_each = validate,
			      .design = design, .dot_stdout = true };
	char *text = NULL;
	int st;

	if (!kernel) {
		st = model_run(s, &o);
		fflush(stdout);
		return st;
	}
	st = run_capture(s, true, validate, design, &text, stderr);
	fputs(text ? text : "", stdout);
	free(text);
	return st;
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
	      "                  [--expect FILE [--pages-only]] [--tap] SCRIPT...\n"
	      "\n"
	      "Runs .avs scripts (anonvm(1), docs/language.md) and prints the canonical output.\n"
	      "A block\n"
	      "  par [N]\n"
	      "  P write ADDR 8 1 ; P madvise ADDR 8 dontneed\n"
	      "  Q read ADDR 8\n"
	      "  end\n"
	      "runs its lines at the same time, each on a thread of its process (commands of one\n"
	      "process joined by ';'), N times over (docs/language.md).\n"
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
	      "  --tap           print TAP instead of the output: a plan, then one test point per\n"
	      "                  SCRIPT (ok: it ran to the end, and matched FILE with --expect)\n"
	      "With several SCRIPTs, each one's output starts with a model-only line '# SCRIPT'.\n"
	      "A SCRIPT or FILE '-' is standard input.\n"
	      "exit: 0 ran to the end, 1 a check or --expect failed, 2 usage/parse error\n",
	      out);
}

/* What run_checked compares a script's output with. */
struct run_check {
	bool kernel, validate;
	enum anonvm_rmap_design design;
	const char *expect; /* the file's name, for the diff */
	const char *want;   /* its text; NULL: no comparison */
	enum compare how;
};

/* One script, in TAP or --expect mode: run, compare, report (r NULL: no TAP). The status. */
static int run_checked(const char *path, const struct run_check *c, struct report *r)
{
	FILE *detail = r ? report_detail(r) : stderr;
	struct script s;
	char *text = NULL;
	int st;

	if (script_parse_file(path, &s, detail)) {
		if (r)
			report_result(r, false, "%s (parse error)", path);
		return 2;
	}
	st = run_capture(&s, c->kernel, c->validate, c->design, &text, detail);
	script_free(&s);
	if (st == 0 && c->want && !outputs_equal(c->want, text, c->how)) {
		print_udiff(r ? detail : stdout, c->expect, c->want, c->kernel ? "kernel" : "model",
			    text, c->how);
		st = 1;
	}
	if (r && st && !(st == 1 && c->want))
		fprintf(detail, "exit status %d\n", st);
	if (r)
		report_result(r, st == 0, "%s", path);
	free(text);
	return st;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", no_argument, NULL, 'k' },     { "validate", no_argument, NULL, 'v' },
		{ "no-validate", no_argument, NULL, 'n' }, { "expect", required_argument, NULL, 'e' },
		{ "design", required_argument, NULL, 'd' }, { "pages-only", no_argument, NULL, 'p' },
		{ "tap", no_argument, NULL, 't' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_check c = { .validate = anonvm_debug_level() >= 2,
			       .design = ANONVM_RMAP_LINUX, .how = COMPARE_ALL };
	char *want = NULL;
	struct report r;
	int opt, nr, status = 0;
	bool tap = false;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			c.kernel = true;
			break;
		case 'v':
			c.validate = true;
			break;
		case 'n':
			c.validate = false;
			break;
		case 'e':
			c.expect = optarg;
			break;
		case 'd':
			if (parse_design("anonvm run", optarg, &c.design))
				return 2;
			break;
		case 'p':
			c.how = COMPARE_PAGES;
			break;
		case 't':
			tap = true;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	nr = argc - optind;
	if (nr == 0 || (c.expect && nr != 1)) {
		run_usage(stderr);
		return 2;
	}
	if (c.expect && !strcmp(c.expect, "-") && !strcmp(argv[optind], "-")) {
		fprintf(stderr, "anonvm run: the script and --expect cannot both be stdin ('-')\n");
		return 2;
	}
	if (c.expect && !(c.want = want = read_file(c.expect, stderr)))
		return 2;
	if (tap && report_begin(&r, stdout, true, nr)) {
		fprintf(stderr, "anonvm run: cannot make a temporary file\n");
		free(want);
		return 2;
	}
	for (int i = optind; i < argc && (tap || status != 2); i++) {
		struct script s;
		int st;

		if (tap || c.expect) {
			st = run_checked(argv[i], &c, tap ? &r : NULL);
		} else {
			if (nr > 1)
				printf("# %s\n", argv[i]);
			st = script_parse_file(argv[i], &s, stderr);
			if (!st) {
				st = run_to_stdout(&s, c.kernel, c.validate, c.design);
				script_free(&s);
			}
		}
		if (st > status)
			status = st;
	}
	if (tap)
		report_end(&r);
	free(want);
	return status;
}
