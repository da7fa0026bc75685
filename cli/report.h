/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Results of a runner that checks several scripts (run --expect, diff, inject), printed
 * either for people or as TAP (Test Anything Protocol, version 13) for test harnesses.
 *
 *   people:  ok   NAME            TAP:  1..N            (the plan, first)
 *            FAIL NAME                  ok 1 - NAME
 *            DETAILS...                 not ok 2 - NAME
 *            N passed, N failed         # DETAILS...
 *                                       # N passed, N failed
 *
 * The details of a result (a unified diff, a validator report) are written to
 * report_detail() while the script runs and printed after its result line; in TAP every
 * such line becomes a comment.
 */
#ifndef ANONVM_REPORT_H
#define ANONVM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct report {
	FILE *out;
	bool tap;
	int passed, failed, number;
	FILE *detail; /* the current result's details: a temporary file (it has a descriptor) */
};

/* planned: how many results will follow (the TAP plan). 0, or -errno. */
int report_begin(struct report *r, FILE *out, bool tap, int planned);
/* Where the details of the result being worked out go. */
FILE *report_detail(struct report *r);
/* One result, "NAME" from fmt, then its details; a new result starts. */
void report_result(struct report *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A line that is neither a result nor a detail of one ("inject: 12 runs"). */
void report_note(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "N passed, N failed"; frees what report_begin took. */
void report_end(struct report *r);

#endif
