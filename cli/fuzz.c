// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz.c: `anonvm fuzz`: random scripts, each run on the model (in a child process, so that
 * a crash is a finding, not the end of the fuzzer) and, with --kernel, on the live kernel;
 * with --design D, on the model in design D and in linux, which must agree: every line for
 * the chain ablations (noreuse, nointerval: Linux's merge rules), the page lines for legacy
 * (2.6.33's merge rules differ). A mismatch, a validator failure or a model crash stops the
 * run; the script is shrunk by deleting lines while it still fails, and saved as a minimal
 * .avs file.
 *
 * The generator works in a small window of the arena so that operations collide: that is
 * where splits, merges and COW happen. It grows with the model: --layout restricts it to the
 * commands that change only the layout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "swapfile.h"

#define WINDOW_PAGES 48UL /* the busy window at the start of the arena */
#define FAR_OFFSET 0x10000000UL /* a second window, mremap targets */
#define MAX_LIVE 5

#define MAX_REGIONS 16

struct gen {
	uint64_t rng;
	bool layout_only;
	int nr_names;
	bool live[64];
	int nr_live;
	FILE *out;
	/* ranges mmapped so far (what became of them is not tracked): aim there */
	unsigned long region_addr[MAX_REGIONS], region_pages[MAX_REGIONS];
	int nr_regions;
};

static uint64_t next_rand(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1DULL;
}

static unsigned long rnd(struct gen *g, unsigned long n)
{
	return n ? next_rand(g) % n : 0;
}

/* Mostly inside a range mapped before, so that operations meet VMAs and pages. */
static unsigned long gen_addr(struct gen *g)
{
	unsigned long base = rnd(g, 8) ? ARENA_START : ARENA_START + FAR_OFFSET;

	if (g->nr_regions && rnd(g, 10) < 8) {
		int r = (int)rnd(g, g->nr_regions);

		/* now and then just past a range: new neighbours are where merges happen */
		if (rnd(g, 5) == 0)
			return g->region_addr[r] + g->region_pages[r] * SCRIPT_PAGE;
		return g->region_addr[r] + rnd(g, g->region_pages[r]) * SCRIPT_PAGE;
	}
	return base + rnd(g, WINDOW_PAGES) * SCRIPT_PAGE;
}

static void note_region(struct gen *g, unsigned long addr, unsigned long pages)
{
	int r = g->nr_regions < MAX_REGIONS ? g->nr_regions++ : (int)rnd(g, MAX_REGIONS);

	g->region_addr[r] = addr;
	g->region_pages[r] = pages;
}

static unsigned long gen_len(struct gen *g)
{
	return rnd(g, 10) ? 1 + rnd(g, 8) : 1 + rnd(g, 24);
}

static const char *gen_prot(struct gen *g)
{
	static const char *const prots[] = { "rw-", "rw-", "rw-", "r--", "---", "rwx", "r-x", "-w-" };

	return prots[rnd(g, sizeof(prots) / sizeof(prots[0]))];
}

static int pick_live(struct gen *g)
{
	unsigned long k = rnd(g, g->nr_live);

	for (int i = 0; i < g->nr_names; i++)
		if (g->live[i] && k-- == 0)
			return i;
	return 0;
}

static void gen_line(struct gen *g)
{
	static const char *const advices[] = { "dontfork", "dofork", "wipeonfork", "keeponfork",
					       "dontneed", "willneed", "cold", "pageout",
					       "pageout" };
	int p = pick_live(g);
	unsigned long r = rnd(g, 100), addr = gen_addr(g);

	if (g->layout_only && r >= 60 && r < 83)
		r = rnd(g, 60);
	if (r < 20) {
		unsigned long len = gen_len(g);

		fprintf(g->out, "P%d mmap 0x%lx %lu %s%s%s%s\n", p, addr, len, gen_prot(g),
			rnd(g, 10) == 0 ? " shared" : "", rnd(g, 2) ? " noreserve" : "",
			!g->layout_only && rnd(g, 10) == 0 ? " populate" : "");
		note_region(g, addr, len);
	} else if (r < 28) {
		fprintf(g->out, "P%d munmap 0x%lx %lu\n", p, addr, gen_len(g));
	} else if (r < 43) {
		fprintf(g->out, "P%d mprotect 0x%lx %lu %s\n", p, addr, gen_len(g), gen_prot(g));
	} else if (r < 52) {
		if (rnd(g, 5) < 2)
			fprintf(g->out, "P%d mremap 0x%lx %lu %lu\n", p, addr, gen_len(g), gen_len(g));
		else
			fprintf(g->out, "P%d mremap 0x%lx %lu %lu 0x%lx%s\n", p, addr, gen_len(g),
				gen_len(g), gen_addr(g), rnd(g, 5) == 0 ? " dontunmap" : "");
	} else if (r < 60) {
		fprintf(g->out, "P%d madvise 0x%lx %lu %s\n", p, addr, gen_len(g),
			advices[rnd(g, g->layout_only ? 4 : sizeof(advices) / sizeof(advices[0]))]);
	} else if (r < 75) {
		fprintf(g->out, "P%d write 0x%lx %lu %lu\n", p, addr, gen_len(g), rnd(g, 256));
	} else if (r < 83) {
		fprintf(g->out, "P%d read 0x%lx %lu\n", p, addr, gen_len(g));
	} else if (r < 91) {
		if (g->nr_live < MAX_LIVE && g->nr_names < 64) {
			fprintf(g->out, "P%d fork P%d\n", p, g->nr_names);
			g->live[g->nr_names++] = true;
			g->nr_live++;
		}
	} else if (r < 95) {
		if (g->nr_live > 1) {
			fprintf(g->out, "P%d exit\n", p);
			g->live[p] = false;
			g->nr_live--;
		}
	} else if (r < 96) {
		fprintf(g->out, "P%d referenced 0x%lx %lu\n", p, addr, gen_len(g));
	} else if (r < 98) {
		fprintf(g->out, "P%d migrate 0x%lx %lu\n", p, addr, gen_len(g));
	} else {
		fputs("dump\n", g->out);
	}
}

/* One random script of about nr_ops commands, as text (caller frees). */
static char *gen_script(uint64_t seed, int nr_ops, bool layout_only)
{
	struct gen g = { .rng = seed * 0x9E3779B97F4A7C15ULL + 1, .layout_only = layout_only };
	char *text = NULL;
	size_t len;

	g.out = open_memstream(&text, &len);
	if (!g.out)
		return NULL;
	fputs("spawn P0\n", g.out);
	g.live[0] = true;
	g.nr_names = g.nr_live = 1;
	/* a prelude: a few mappings, written unless only the layout is fuzzed */
	for (int i = 0, n = 1 + (int)rnd(&g, 3); i < n; i++) {
		unsigned long addr = ARENA_START + rnd(&g, WINDOW_PAGES) * SCRIPT_PAGE;
		unsigned long len = 2 + rnd(&g, 12);

		fprintf(g.out, "P0 mmap 0x%lx %lu rw-%s\n", addr, len, rnd(&g, 2) ? " noreserve" : "");
		note_region(&g, addr, len);
		if (!layout_only && rnd(&g, 3))
			fprintf(g.out, "P0 write 0x%lx %lu %lu\n", addr, 1 + rnd(&g, len), rnd(&g, 256));
	}
	for (int i = 0; i < nr_ops; i++)
		gen_line(&g);
	fputs("dump\n", g.out);
	fclose(g.out);
	return text;
}

enum verdict { V_OK, V_FAIL, V_ERROR };

/* What a script is run on and compared with. */
struct target {
	bool kernel;                    /* the model (linux) against the live kernel */
	enum anonvm_rmap_design design; /* not linux: the model in design against linux */
};

/* Legacy's merge rules are 2.6.33's: its layouts may part from linux's (rmap/legacy.c). */
static bool design_merges_like_linux(enum anonvm_rmap_design design)
{
	return design != ANONVM_RMAP_LEGACY;
}

/* The script with a dump after every command, so that two designs compare step by step. */
static char *with_dumps(const char *text)
{
	char *out = NULL;
	size_t len;
	FILE *m = open_memstream(&out, &len);

	if (!m)
		return NULL;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		fprintf(m, "%.*s\n", (int)n, p);
		if (n && *p != '#' && strncmp(p, "dump", 4))
			fputs("dump\n", m);
		p += n + (nl != NULL);
	}
	fclose(m);
	return out;
}

/*
 * Runs one script text; V_FAIL when a model run fails or the two outputs differ. Against
 * the kernel: byte for byte. Against linux: step by step (a dump after every command), all
 * of it for the designs with Linux's merge rules, and for legacy up to the first step where
 * the layouts part (*diverged is then set).
 */
static enum verdict try_text(const char *text, const struct target *t, bool report,
			     bool *diverged)
{
	bool other = t->design != ANONVM_RMAP_LINUX, equal;
	char *model = NULL, *real = NULL, *stepped = NULL;
	enum verdict v = V_OK;
	struct script s;
	int sm, sk = 0;
	FILE *quiet = report ? stderr : fopen("/dev/null", "w");

	*diverged = false;
	if (other) {
		stepped = with_dumps(text);
		if (!stepped) {
			v = V_ERROR;
			goto out;
		}
		text = stepped;
	}
	if (script_parse_text("fuzz.avs", text, &s, quiet ? quiet : stderr)) {
		v = V_ERROR;
		goto out;
	}
	sm = run_model_isolated(&s, t->design, 0, NULL, &model, quiet ? quiet : stderr);
	if (t->kernel && sm == 0)
		sk = run_capture(&s, true, false, ANONVM_RMAP_LINUX, &real, quiet ? quiet : stderr);
	else if (other && sm == 0)
		sk = run_model_isolated(&s, ANONVM_RMAP_LINUX, 0, NULL, &real,
					quiet ? quiet : stderr);
	script_free(&s);
	if (t->kernel && sk == 2) {
		v = V_ERROR;
	} else if (sm != 0 || sk != 0) {
		v = V_FAIL;
		if (report)
			printf("%s failed (status %d%s)\n", sm ? anonvm_design_name(t->design) : "linux",
			       sm ? sm : sk, (sm ? sm : sk) == 3 ? ": crashed" : "");
	} else if (t->kernel || other) {
		if (design_merges_like_linux(t->design))
			equal = outputs_equal(model, real, COMPARE_ALL);
		else
			equal = outputs_equal_until_layouts_part(model, real, diverged);
		if (!equal) {
			v = V_FAIL;
			if (report)
				print_udiff(stdout, anonvm_design_name(t->design), model,
					    t->kernel ? "kernel" : "linux", real, COMPARE_ALL);
		}
	}
out:
	if (quiet && quiet != stderr)
		fclose(quiet);
	free(model);
	free(real);
	free(stepped);
	return v;
}

/* Delete lines while the script still fails; returns the shrunk text. */
static char *shrink(char *text, const struct target *t)
{
	bool progress = true, diverged;

	while (progress) {
		int nr_lines = 0;
		char **lines;
		char *p;

		progress = false;
		for (p = text; *p; p++)
			nr_lines += *p == '\n';
		lines = calloc(nr_lines + 1, sizeof(*lines));
		if (!lines)
			return text;
		nr_lines = 0;
		for (p = strtok(text, "\n"); p; p = strtok(NULL, "\n"))
			lines[nr_lines++] = strdup(p);
		free(text);
		for (int skip = nr_lines - 1; skip >= 1; skip--) {
			char *cand = NULL;
			size_t len;
			FILE *m = open_memstream(&cand, &len);

			for (int i = 0; i < nr_lines; i++)
				if (i != skip && lines[i])
					fprintf(m, "%s\n", lines[i]);
			fclose(m);
			if (try_text(cand, t, false, &diverged) == V_FAIL) {
				free(lines[skip]);
				lines[skip] = NULL;
				progress = true;
			}
			free(cand);
		}
		{
			size_t len;
			FILE *m = open_memstream(&text, &len);

			for (int i = 0; i < nr_lines; i++) {
				if (lines[i])
					fprintf(m, "%s\n", lines[i]);
				free(lines[i]);
			}
			fclose(m);
		}
		free(lines);
	}
	return text;
}

static void fuzz_usage(FILE *out)
{
	fputs("usage: anonvm fuzz [--kernel | --design D] [--seed S] [--count N] [--ops K]\n"
	      "                   [--layout] [--out DIR] [--quiet]\n"
	      "\n"
	      "Generates N random scripts of about K commands (default 1 000 x 30) from seed S.\n"
	      "Each runs on the model with the validator after every command; with --kernel it\n"
	      "is also run on the live kernel and the canonical outputs must be identical.\n"
	      "With --design D (noreuse, nointerval, legacy) it runs on the model in D and in\n"
	      "linux, with a dump after every command: the outputs must be identical; for\n"
	      "legacy, whose merge rules are 2.6.33's, up to the first command after which the\n"
	      "VMA layouts differ (counted and reported as 'layouts parted').\n"
	      "The first failing script is shrunk by deleting lines while it still fails and\n"
	      "saved as DIR/fuzz-S-I.avs (DIR defaults to .; with '-' it is only printed).\n"
	      "  --layout   only commands that change the layout (no write/read/populate)\n"
	      "exit: 0 no failure, 1 a failure was found and saved, 2 usage error\n",
	      out);
}

int cmd_fuzz(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", no_argument, NULL, 'k' },   { "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' }, { "ops", required_argument, NULL, 'o' },
		{ "layout", no_argument, NULL, 'l' },   { "out", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },    { "help", no_argument, NULL, 'h' },
		{ "design", required_argument, NULL, 'D' }, { NULL, 0, NULL, 0 }
	};
	unsigned long seed = 1, count = 1000, ops = 30;
	bool layout = false, quiet = false, diverged;
	struct target t = { .design = ANONVM_RMAP_LINUX };
	unsigned long parted = 0;
	const char *dir = ".";
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			t.kernel = true;
			break;
		case 'D':
			if (parse_design("anonvm fuzz", optarg, &t.design))
				return 2;
			break;
		case 'l':
			layout = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 's':
		case 'c':
		case 'o': {
			unsigned long v = strtoul(optarg, &end, 0);

			if (!*optarg || *end || (c != 's' && (v == 0 || v > 1000000))) {
				fprintf(stderr, "anonvm fuzz: bad number '%s'\n", optarg);
				return 2;
			}
			*(c == 's' ? &seed : c == 'c' ? &count : &ops) = v;
			break;
		}
		case 'h':
			fuzz_usage(stdout);
			return 0;
		default:
			fuzz_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fuzz_usage(stderr);
		return 2;
	}
	if (t.kernel && t.design != ANONVM_RMAP_LINUX) {
		fprintf(stderr, "anonvm fuzz: --kernel compares linux with the kernel; --design D "
				"compares D with linux: one or the other\n");
		return 2;
	}
	/* one swap file for the whole run: the scripts page out (each run would make its own) */
	if (t.kernel && !layout && swapfile_setup(stderr))
		return 2;
	for (unsigned long i = 0; i < count; i++) {
		char *text = gen_script(seed * 1000003UL + i, (int)ops, layout);
		enum verdict v;
		char path[4096];
		FILE *f;

		if (!text)
			return 2;
		v = try_text(text, &t, false, &diverged);
		parted += diverged;
		if (v == V_ERROR) {
			fprintf(stderr, "anonvm fuzz: script %lu could not be run\n", i);
			free(text);
			return 2;
		}
		if (v == V_OK) {
			free(text);
			if (!quiet && (i + 1) % 50 == 0)
				fprintf(stderr, "fuzz: %lu/%lu scripts, no failure\n", i + 1, count);
			continue;
		}
		fprintf(stderr, "fuzz: script %lu fails; shrinking...\n", i);
		text = shrink(text, &t);
		snprintf(path, sizeof(path), "%s/fuzz-%lu-%lu.avs", dir, seed, i);
		f = strcmp(dir, "-") ? fopen(path, "w") : NULL;
		if (f) {
			fprintf(f, "# anonvm fuzz --seed %lu --design %s%s: script %lu, shrunk\n%s", seed,
				anonvm_design_name(t.design), t.kernel ? " --kernel" : "", i, text);
			fclose(f);
			printf("failure in script %lu, saved as %s:\n%s", i, path, text);
		} else {
			if (strcmp(dir, "-"))
				fprintf(stderr, "anonvm fuzz: cannot write %s: %s\n", path,
					strerror(errno));
			printf("failure in script %lu:\n%s", i, text);
		}
		try_text(text, &t, true, &diverged);
		free(text);
		return 1;
	}
	printf("%lu scripts, %lu commands each, seed %lu, design %s%s: no failure\n", count, ops,
	       seed, anonvm_design_name(t.design),
	       t.kernel ? ", compared with the kernel" :
	       t.design == ANONVM_RMAP_LINUX ? "" : ", compared with linux after every command");
	if (!design_merges_like_linux(t.design))
		printf("layouts parted (2.6.33's merge rules) in %lu scripts; each compared up to "
		       "that command\n", parted);
	return 0;
}
