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
int cmd_dot(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/*
 * Runs s on the model (in design) or the kernel; *text gets the output (caller frees).
 * Exit status.
 */
int run_capture(const struct script *s, bool kernel, bool validate_each,
		enum anonvm_rmap_design design, char **text, FILE *err);
/*
 * Runs s on the model in design, validator on, in a child process so that a crash is a
 * result: status 3 when it crashed. fail_nth > 0 injects an allocation failure
 * (*injected: it happened).
 */
int run_model_isolated(const struct script *s, enum anonvm_rmap_design design, long fail_nth,
		       bool *injected, char **text, FILE *err);
/* --design NAME: 0 and *design set, or 2 after a message listing the designs. */
int parse_design(const char *prog, const char *arg, enum anonvm_rmap_design *design);
/*
 * A file to write a Graphviz graph to: "-" is stdout; a name ending in .png or .svg is
 * rendered through Graphviz's dot; anything else gets the graph's text. NULL with a
 * message on err when it cannot be opened. close_graph_output: 0, or -1 with a message.
 */
FILE *open_graph_output(const char *path, FILE *err);
int close_graph_output(FILE *f, const char *path, FILE *err);
/* Everything left in a stream, as a string (caller frees); NULL when out of memory. */
char *read_stream(FILE *in);
/*
 * What a comparison of two outputs looks at: everything but the model-only lines ("# ..."),
 * or only the memory a design cannot change: dump headers, page lines and `!!` lines (the
 * VMA lines left out; a design's merge rules may differ from Linux 6.18's).
 */
enum compare { COMPARE_ALL, COMPARE_PAGES };
bool outputs_equal(const char *a, const char *b, enum compare how);
/*
 * Two outputs of one script run with a dump after every command, compared step by step:
 * true when every step is equal, or when the first step that differs differs in its VMA
 * lines (then *diverged is set: the layouts parted, as two designs' merge rules may make
 * them, and what follows may legitimately differ). False when a step differs in its page
 * or `!!` lines while the layouts before it were equal.
 */
bool outputs_equal_until_layouts_part(const char *a, const char *b, bool *diverged);
/* A unified diff of the two outputs (the lines the comparison ignores left out) on out. */
void print_udiff(FILE *out, const char *label_a, const char *a, const char *label_b, const char *b,
		 enum compare how);

#endif
