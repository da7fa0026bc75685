// SPDX-License-Identifier: GPL-2.0-only
/*
 * inject.c: `anonvm inject`: the fault-injection sweep. Each script runs on the model once
 * cleanly, then again and again, the Nth allocation made to fail for N = 1, 1 + STEP,
 * 1 + 2 STEP, ... until a run ends before its Nth allocation. Whatever fails must fail
 * cleanly: an errno for the system call (or the script stopping where a process could not be
 * created), the validator passing after every command, nothing leaked at the end, no crash.
 * The results are printed for people or as TAP (report.h).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

/* One script: 0 all runs clean, 1 a failure (reported), 2 the script is unusable. */
static int sweep(struct report *r, const char *path, enum anonvm_rmap_design design, long step,
		 unsigned long *runs, FILE *quiet)
{
	FILE *detail = report_detail(r);
	unsigned long first = *runs;
	struct script s;
	int ret = 0;

	if (script_parse_file(path, &s, r->tap ? detail : stderr)) {
		report_result(r, false, "%s (parse error)", path);
		return 2;
	}
	/*
	 * n = 0: the clean run, validated after every command; each run with an injected
	 * failure is validated from the failure on (model.c): what comes before is this run.
	 */
	for (long n = 0;; n += n ? step : 1) {
		bool injected = false;
		char *out = NULL;
		int st = run_model_isolated(&s, design, n, &injected, &out, quiet);

		free(out);
		(*runs)++;
		if (st == 1 || st == 3 || (!n && st)) {
			/* again, with the report */
			run_model_isolated(&s, design, n, &injected, &out, detail);
			free(out);
			report_result(r, false, "%s: allocation %ld made to fail: %s", path, n,
				      st == 3 ? "the model crashed"
				      : n     ? "the validator or the leak check failed:"
					      : "(none: the clean run) it failed:");
			ret = 1;
			break;
		}
		if (n && !injected) {
			if (st)
				report_result(r, false, "%s: no injection, status %d", path, st);
			else
				report_result(r, true, "%s (%lu runs)", path, *runs - first);
			ret = st ? 1 : 0;
			break;
		}
	}
	script_free(&s);
	return ret;
}

static void inject_usage(FILE *out)
{
	fputs("usage: anonvm inject [--design D] [--step K] [--tap] SCRIPT...\n"
	      "\n"
	      "Fault-injection sweep: runs each script on the model with its Nth allocation\n"
	      "failing, for N = 1, 1+K, 1+2K ... (K defaults to 1) until a run makes fewer than N\n"
	      "allocations. Every failure must be clean: an errno, the validator passing after\n"
	      "every command, no leak, no crash. Ends with 'N passed, N failed' (per script).\n"
	      "  --design D  the model's reverse-map design (linux, noreuse, nointerval, legacy)\n"
	      "  --tap       print the results as TAP (a plan, one test point per script)\n"
	      "A SCRIPT '-' is read from standard input.\n"
	      "exit: 0 every failure was clean, 1 one was not, 2 usage/parse error\n",
	      out);
}

int cmd_inject(int argc, char **argv)
{
	static const struct option longopts[] = { { "step", required_argument, NULL, 's' },
						  { "design", required_argument, NULL, 'd' },
						  { "tap", no_argument, NULL, 't' },
						  { "help", no_argument, NULL, 'h' },
						  { NULL, 0, NULL, 0 } };
	enum anonvm_rmap_design design = ANONVM_RMAP_LINUX;
	unsigned long runs = 0;
	int c, st = 0;
	bool tap = false;
	struct report r;
	long step = 1;
	FILE *quiet;
	char *end;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 's') {
			step = strtol(optarg, &end, 0);
			if (!*optarg || *end || step < 1) {
				fprintf(stderr, "anonvm inject: bad step '%s'\n", optarg);
				return 2;
			}
		} else if (c == 'd') {
			if (parse_design("anonvm inject", optarg, &design))
				return 2;
		} else if (c == 't') {
			tap = true;
		} else if (c == 'h') {
			inject_usage(stdout);
			return 0;
		} else {
			inject_usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		inject_usage(stderr);
		return 2;
	}
	quiet = fopen("/dev/null", "w");
	if (!quiet || report_begin(&r, stdout, tap, argc - optind)) {
		fprintf(stderr, "anonvm inject: cannot open /dev/null or a temporary file\n");
		if (quiet)
			fclose(quiet);
		return 2;
	}
	for (int i = optind; i < argc && st != 2; i++)
		st = sweep(&r, argv[i], design, step, &runs, quiet);
	fclose(quiet);
	report_note(&r, "inject: %lu runs", runs);
	report_end(&r);
	return st == 2 ? 2 : r.failed ? 1 : 0;
}
