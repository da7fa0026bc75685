// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c: the anonvm command: dispatches to the subcommands (run, diff, fuzz, inject, dot, bench).
 * Exit status everywhere: 0 fine, 1 a check or comparison failed, 2 usage or input error.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run .avs scripts on the model, or on the live kernel (--kernel)" },
	{ "diff", cmd_diff, "run scripts on both and compare the canonical output byte for byte" },
	{ "fuzz", cmd_fuzz, "generate random scripts and diff each against the kernel" },
	{ "inject", cmd_inject, "fault-injection sweep: fail each allocation in turn" },
	{ "dot", cmd_dot, "draw a script's reverse map (any design) with Graphviz" },
	{ "bench", cmd_bench, "time workloads on each rmap design and on the live kernel" },
};

static void usage(FILE *out)
{
	fputs("usage: anonvm COMMAND [OPTIONS] ...\n\n"
	      "Linux's anonymous-memory management (VMAs, faults, COW, fork, anon_vma rmap)\n"
	      "as a userspace model, compared against the live kernel.\n\ncommands:\n",
	      out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-6s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'anonvm COMMAND --help' describes a command. Script language: docs/language.md.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "anonvm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
