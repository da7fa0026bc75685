// SPDX-License-Identifier: GPL-2.0-only
/*
 * report.c: the results of a runner over several scripts, for people or as TAP (report.h).
 *
 * Details are collected in a temporary file rather than in memory because some of them are
 * written by other processes through its descriptor (diff(1) for a unified diff, a forked
 * model run for a validator report).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

int report_begin(struct report *r, FILE *out, bool tap, int planned)
{
	*r = (struct report){ .out = out, .tap = tap };
	r->detail = tmpfile();
	if (!r->detail)
		return -errno;
	if (tap)
		fprintf(out, "1..%d\n", planned);
	return 0;
}

FILE *report_detail(struct report *r)
{
	return r->detail;
}

/* The details so far, each line a TAP comment in TAP; then none. */
static void report_flush_details(struct report *r)
{
	char line[1024];
	bool start = true;

	fflush(r->detail);
	rewind(r->detail);
	while (fgets(line, sizeof(line), r->detail)) {
		size_t len = strlen(line);

		if (r->tap && start)
			fputs(line[0] == '\n' ? "#" : "# ", r->out);
		fputs(line, r->out);
		start = len && line[len - 1] == '\n';
	}
	if (!start)
		fputc('\n', r->out);
	rewind(r->detail);
	if (ftruncate(fileno(r->detail), 0))
		fprintf(r->out, "%s(cannot reset the details file: %s)\n", r->tap ? "# " : "",
			strerror(errno));
	fflush(r->out);
}

void report_result(struct report *r, bool ok, const char *fmt, ...)
{
	va_list ap;

	ok ? r->passed++ : r->failed++;
	if (r->tap)
		fprintf(r->out, "%s %d - ", ok ? "ok" : "not ok", ++r->number);
	else
		fputs(ok ? "ok   " : "FAIL ", r->out);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	report_flush_details(r);
}

void report_note(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->tap)
		fputs("# ", r->out);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
}

void report_end(struct report *r)
{
	report_note(r, "%d passed, %d failed", r->passed, r->failed);
	fflush(r->out);
	fclose(r->detail);
	r->detail = NULL;
}
