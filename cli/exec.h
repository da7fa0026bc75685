/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two executors of a parsed script. Both print to opts->out only what docs/language.md
 * defines (dumps, `!!` lines) plus model-only lines starting with "# ".
 * Return the exit status: 0 ran to the end, 1 a `check` failed, 2 usage/environment error
 * (message on opts->err).
 */
#ifndef ANONVM_EXEC_H
#define ANONVM_EXEC_H

#include <stdbool.h>
#include <stdio.h>

#include "script.h"

#include "anonvm/anonvm.h"

struct run_opts {
	FILE *out;
	FILE *err;
	enum anonvm_rmap_design design; /* model: the reverse-map design */
	const char *dot_at_end; /* model: write the anon_vma graph here after the last command */
	bool validate_each; /* model: run the validator after every command */
	bool quiet;         /* no progress on err */
	long fail_nth;      /* model: the nth allocation after the machine is made fails */
	bool *injected;     /* model, out: that failure happened */
	bool dot_stdout;    /* model: `dot -` writes to stdout; else (output captured) nowhere */
};

int model_run(const struct script *s, const struct run_opts *opts);
int kernel_run(const struct script *s, const struct run_opts *opts);

#endif
