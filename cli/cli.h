/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The subcommands of the anonvm command and what they share: running a script on an
 * executor into a string, and comparing two outputs.
 */
#ifndef ANONVM_CLI_H
#define ANONVM_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "anonvm/anonvm.h"
#include "exec.h"
#include "script.h"

int cmd_run(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);
int cmd_inject(int argc, char **argv);

/* Runs s on the model or the kernel; *text gets the output (caller frees). Exit status. */
int run_capture(const struct script *s, bool kernel, bool validate_each, char **text, FILE *err);
/*
 * Runs s on the model, validator on, in a child process so that a crash is a result: status
 * 3 when it crashed. fail_nth > 0 injects an allocation failure (*injected: it happened).
 */
int run_model_isolated(const struct script *s, long fail_nth, bool *injected, char **text,
		       FILE *err);
/* Everything left in a stream, as a string (caller frees); NULL when out of memory. */
char *read_stream(FILE *in);
/* Compares two outputs ignoring model-only lines ("# ..."); true when equal. */
bool outputs_equal(const char *a, const char *b);
/* A unified diff of the two outputs (model-only lines left out) on out. */
void print_udiff(FILE *out, const char *label_a, const char *a, const char *label_b, const char *b);

#endif
