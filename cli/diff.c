// SPDX-License-Identifier: GPL-2.0-only
/*
 * diff.c: `anonvm diff`: run each script on the model and on the kernel and compare the
 * canonical output byte for byte (model-only "# " lines left out); a unified diff of each
 * mismatch. Ends with `N passed, N failed`.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

/* A VMA line of a dump: "NAME vma START-END PERMS". */
static bool is_vma_line(const char *p, size_t len)
{
	const char *sp = memchr(p, ' ', len);

	return sp && (size_t)(sp - p) + 5 <= len && !memcmp(sp, " vma ", 5);
}

/* The output without the lines the comparison ignores. */
static char *strip_model_lines(const char *text, enum compare how)
{
	size_t n = strlen(text);
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (!(len >= 2 && p[0] == '#' && p[1] == ' ') &&
		    !(how == COMPARE_PAGES && is_vma_line(p, len))) {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	*o = '\0';
	return out;
}

bool outputs_equal(const char *a, const char *b, enum compare how)
{
	char *x = strip_model_lines(a ? a : "", how), *y = strip_model_lines(b ? b : "", how);
	bool eq = x && y && !strcmp(x, y);

	free(x);
	free(y);
	return eq;
}

/*
 * The next step of an output: its `!!` lines and the dump that follows them, VMA lines
 * into vma, the rest into rest (model-only lines dropped). *p moves past it; false at the
 * end.
 */
static bool next_step(const char **p, FILE *vma, FILE *rest)
{
	bool dumped = false, any = false;

	while (**p) {
		const char *line = *p, *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);

		if (dumped && (!strncmp(line, "!!", 2) || !strncmp(line, "== dump", 7)))
			break;
		if (!strncmp(line, "== dump", 7))
			dumped = true;
		*p += len;
		if (len >= 2 && line[0] == '#' && line[1] == ' ')
			continue;
		fwrite(line, 1, len, is_vma_line(line, len) ? vma : rest);
		any = true;
	}
	return any;
}

bool outputs_equal_until_layouts_part(const char *a, const char *b, bool *diverged)
{
	const char *pa = a ? a : "", *pb = b ? b : "";

	*diverged = false;
	for (;;) {
		char *va = NULL, *vb = NULL, *ra = NULL, *rb = NULL;
		size_t n;
		FILE *fva = open_memstream(&va, &n), *fvb = open_memstream(&vb, &n);
		FILE *fra = open_memstream(&ra, &n), *frb = open_memstream(&rb, &n);
		bool more_a, more_b, equal = false, done = true;

		if (fva && fvb && fra && frb) {
			more_a = next_step(&pa, fva, fra);
			more_b = next_step(&pb, fvb, frb);
		} else {
			more_a = more_b = false;
		}
		if (fva)
			fclose(fva);
		if (fvb)
			fclose(fvb);
		if (fra)
			fclose(fra);
		if (frb)
			fclose(frb);
		if (va && vb && ra && rb) {
			if (!more_a && !more_b) {
				equal = true;
			} else if (strcmp(va, vb)) {
				*diverged = equal = true;
			} else {
				equal = !strcmp(ra, rb) && more_a == more_b;
				done = !equal;
			}
		}
		free(va);
		free(vb);
		free(ra);
		free(rb);
		if (done)
			return equal;
	}
}

static int write_temp(char *tmpl, const char *text)
{
	int fd = mkstemp(tmpl);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void print_udiff(FILE *out, const char *label_a, const char *a, const char *label_b, const char *b,
		 enum compare how)
{
	char ta[] = "/tmp/anonvm-diff-a.XXXXXX", tb[] = "/tmp/anonvm-diff-b.XXXXXX";
	char *x = strip_model_lines(a ? a : "", how), *y = strip_model_lines(b ? b : "", how);
	pid_t pid;

	fflush(out);
	if (!x || !y || write_temp(ta, x) || write_temp(tb, y)) {
		fprintf(out, "(cannot write temporary files for the diff)\n");
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		if (dup2(fileno(out), 1) < 0)
			_exit(127);
		execlp("diff", "diff", "-u", "--label", label_a, "--label", label_b, ta, tb,
		       (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	unlink(ta);
	unlink(tb);
out:
	free(x);
	free(y);
}

static void diff_usage(FILE *out)
{
	fputs("usage: anonvm diff [--no-validate] [--tap] SCRIPT...\n"
	      "\n"
	      "Runs each script on the model (the linux design: the kernel's own) and on the live\n"
	      "kernel (root) and compares the canonical output byte for byte. Prints a unified\n"
	      "diff for each mismatch and ends with 'N passed, N failed'.\n"
	      "  --no-validate   do not run the model's validator after every command\n"
	      "  --tap           print the results as TAP (a plan, one test point per script)\n"
	      "A SCRIPT '-' is read from standard input.\n"
	      "exit: 0 all equal, 1 a difference, 2 usage/parse error or no kernel to compare with\n",
	      out);
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = { { "no-validate", no_argument, NULL, 'n' },
						  { "tap", no_argument, NULL, 't' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	bool validate = anonvm_debug_level() >= 2, tap = false;
	int c, status = 0;
	struct report r;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'n') {
			validate = false;
		} else if (c == 't') {
			tap = true;
		} else if (c == 'h') {
			diff_usage(stdout);
			return 0;
		} else {
			diff_usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		diff_usage(stderr);
		return 2;
	}
	if (report_begin(&r, stdout, tap, argc - optind)) {
		fprintf(stderr, "anonvm diff: cannot make a temporary file\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		FILE *detail = report_detail(&r);
		struct script s;
		char *model = NULL, *kernel = NULL;
		int sm, sk;
		bool equal;

		if (script_parse_file(argv[i], &s, tap ? detail : stderr)) {
			status = 2;
			report_result(&r, false, "%s (parse error)", argv[i]);
			continue;
		}
		sk = run_capture(&s, true, false, ANONVM_RMAP_LINUX, &kernel, tap ? detail : stderr);
		sm = sk ? 0
			: run_capture(&s, false, validate, ANONVM_RMAP_LINUX, &model,
				      tap ? detail : stderr);
		script_free(&s);
		if (sk == 2) {
			report_result(&r, false, "%s (no kernel to compare with)", argv[i]);
			report_end(&r);
			free(kernel);
			return 2; /* not a difference */
		}
		equal = !sm && outputs_equal(model, kernel, COMPARE_ALL);
		if (!sm && !equal)
			print_udiff(detail, "model", model, "kernel", kernel, COMPARE_ALL);
		report_result(&r, equal, "%s%s", argv[i], sm ? " (model run failed)" : "");
		free(model);
		free(kernel);
	}
	report_end(&r);
	return status ? status : r.failed ? 1 : 0;
}
