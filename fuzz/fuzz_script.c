// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_script.c: libFuzzer harness of the script path: bytes -> the .avs parser -> the
 * model executor, with the validator after every command and the leak check at the end
 * (model_run with validate_each). A crash, a sanitizer report, a validator failure or a leak
 * aborts; a parse error or an errno is a fine outcome.
 *
 * Bounded so that one input stays fast: scripts that would touch more than MAX_TOUCHED pages
 * (write, read, populate) are skipped, and `dot` (which writes a file named by the input) is
 * never run.
 *
 * Seeds: the scenarios, tests/scenarios/NAME.avs (fuzz/run copies them in). A crash found becomes a scenario
 * or a unit test (fuzz/README.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "script.h"

#define MAX_TOUCHED 2048UL

static FILE *devnull;

static bool script_is_bounded(const struct script *s)
{
	unsigned long touched = 0;

	for (int i = 0; i < s->nr_ops; i++) {
		const struct op *op = &s->ops[i];

		if (op->kind == OP_DOT)
			return false;
		if (op->kind == OP_WRITE || op->kind == OP_READ ||
		    (op->kind == OP_MMAP && (op->flags & OPF_POPULATE)) ||
		    (op->kind == OP_MADVISE && script_advice_populates(op->advice)))
			touched += op->pages;
		if (touched > MAX_TOUCHED)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_opts o = { .validate_each = true, .quiet = true };
	struct script s;
	int status;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	o.out = o.err = devnull;
	if (script_parse_buf("fuzz.avs", (const char *)data, size, &s, devnull))
		return 0;
	if (script_is_bounded(&s)) {
		status = model_run(&s, &o);
		if (status == 1) {
			/* validator or leak: run again with the report on stderr, then die */
			o.err = stderr;
			model_run(&s, &o);
			abort();
		}
	}
	script_free(&s);
	return 0;
}
