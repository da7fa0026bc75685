// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c: the anonvm command: dispatches to the subcommands (run, diff, fuzz, inject, dot,
 * bench, version) and answers --help and --version itself.
 * Exit status everywhere: 0 fine, 1 a check or comparison failed, 2 usage or input error.
 */
#include <stdio.h>
#include <string.h>

#include "anonvm/version.h"
#include "cli.h"

static int cmd_version(int argc, char **argv);

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
	{ "version", cmd_version, "print the version (as --version does)" },
};

static void usage(FILE *out)
{
	fputs("usage: anonvm COMMAND [OPTIONS] ...\n"
	      "       anonvm --help | --version\n\n"
	      "Linux's anonymous-memory management (VMAs, faults, COW, fork, anon_vma rmap)\n"
	      "as a userspace model, compared against the live kernel.\n\ncommands:\n",
	      out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'anonvm COMMAND --help' describes a command. Script language and dump: anonvm(1),\n"
	      "docs/language.md.\n",
	      out);
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("usage: anonvm version\n\nPrints 'anonvm VERSION', the version of the command and "
		     "of the library in it.");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: anonvm version\n");
		return 2;
	}
	printf("anonvm %s\n", ANONVM_VERSION);
	return 0;
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
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(1, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "anonvm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
