// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench.c: `anonvm bench WORKLOAD...`: options, the runs (each in a process of its own,
 * model and kernel interleaved repetition by repetition), medians, the progress bar.
 *
 * Order of the runs of one workload at one size: repetition 1 runs every design then the
 * kernel, repetition 2 the kernel then every design, and so on, so that a slow spell of a
 * shared machine falls on both sides; each figure is the median over the repetitions.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"

#define MAX_LIST 32

static const char *const workload_names[BW_NR] = {
	[BW_FORKSTORM] = "forkstorm", [BW_FORKCHAIN] = "forkchain", [BW_SPLITVMA] = "splitvma",
	[BW_SPAWN] = "spawn",	      [BW_FORKCOPY] = "forkcopy",   [BW_FAULTS] = "faults",
	[BW_COWFAULT] = "cowfault", [BW_RECLAIM] = "reclaim",
};

const char *bench_workload_name(enum bench_workload w)
{
	return workload_names[w];
}

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- progress bar (stderr, when it is a terminal) ---- */

static struct {
	bool on;
	int done, total;    /* runs */
	char label[96];
	double last_draw;   /* ns */
} bar;

static void bar_draw(double frac, bool force)
{
	double now = bench_now_ns(), all;
	int width = 30, fill;

	if (!bar.on || (!force && now - bar.last_draw < 1e8))
		return;
	bar.last_draw = now;
	all = ((double)bar.done + (frac < 0 ? 0 : frac > 1 ? 1 : frac)) / bar.total;
	fill = (int)(all * width);
	fprintf(stderr, "\r[%.*s%*s] %3d%% %-60.60s", fill, "##############################",
		width - fill, "", (int)(all * 100), bar.label);
	fflush(stderr);
}

void bench_progress(double frac)
{
	bar_draw(frac, false);
}

static void bar_clear(void)
{
	if (bar.on)
		fprintf(stderr, "\r%*s\r", 100, "");
}

/* ---- one run in a process of its own ---- */

int bench_isolated(void (*fn)(const struct bench_params *, struct bench_result *),
		   const struct bench_params *p, struct bench_result *r)
{
	int fds[2], wst;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fds))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		struct bench_result res;

		close(fds[0]);
		if (p->cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(p->cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		fn(p, &res);
		n = write(fds[1], &res, sizeof(res));
		_exit(n == sizeof(res) ? 0 : 1);
	}
	close(fds[1]);
	do {
		n = read(fds[0], r, sizeof(*r));
	} while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(*r)) {
		memset(r, 0, sizeof(*r));
		r->err = WIFSIGNALED(wst) ? -EINTR : -ECHILD;
	}
	return 0;
}

/* ---- options ---- */

struct list {
	unsigned long v[MAX_LIST];
	int n;
};

struct bench_opts {
	bool workloads[BW_NR];
	bool designs[ANONVM_RMAP_NR];
	bool kernel, quiet, stay, metadata_only, no_prefault;
	int reps, cpu;
	struct list children, pages, generations, pieces, vmas, size;
	unsigned long forks, iterations;
	unsigned long sample[ANONVM_RMAP_NR]; /* per design; 0: every page */
	enum bench_format format;
	const char *plot;
};

static void bench_usage(FILE *out)
{
	fputs("usage: anonvm bench WORKLOAD... [OPTIONS]\n"
	      "\n"
	      "Runs workloads on the model, on one or more rmap designs, and with --kernel on the\n"
	      "live kernel (real processes and system calls) in the same run, and reports walks,\n"
	      "VMAs visited and PTEs probed per walk, ns per walk, us per fork, anon_vmas, AVCs,\n"
	      "VMAs, metadata bytes per mapped page, peak RSS and times (medians of --reps).\n"
	      "\n"
	      "workloads (docs/semantics.md §8):\n"
	      "  forkstorm  a parent writes --pages pages, forks --children children, each child\n"
	      "             writes every page; then the rmap walk of every page (or --sample N)\n"
	      "  forkchain  --generations G: each process forks a child and exits (--stay: stays),\n"
	      "             the child writes its --pages pages and forks again\n"
	      "  splitvma   --pieces N written pages, every other one mprotected read-only\n"
	      "             (N VMAs); every page walked; then munmap\n"
	      "  spawn      fork + exit of a process of --vmas VMAs (one written page each)\n"
	      "  forkcopy   fork of a process with --size bytes of written pages\n"
	      "  faults     page_fault1: map --size bytes, write a byte per page, unmap\n"
	      "             (--iterations times)\n"
	      "  cowfault   a child writes a byte to each of --size bytes of pages shared COW\n"
	      "  reclaim    forkstorm (--children, --pages) with the model's RAM a quarter of\n"
	      "             what it touches: direct reclaim swaps out through the rmap; pages\n"
	      "             reclaimed per second, VMAs visited per reclaimed page (model only)\n"
	      "\n"
	      "options (a size option takes a comma-separated list: one row per value):\n"
	      "  --design all|LIST   linux, noreuse, nointerval, legacy (default linux)\n"
	      "  --kernel            also run each workload on the live kernel, interleaved with\n"
	      "                      the model, and give the model/kernel time ratio\n"
	      "  --reps N            repetitions (medians); default 1, 3 with --kernel\n"
	      "  --children LIST     forkstorm (default 1000)\n"
	      "  --pages LIST        forkstorm (default 1000), forkchain (default 16)\n"
	      "  --generations LIST  forkchain (default 1000)\n"
	      "  --stay              forkchain: parents do not exit\n"
	      "  --pieces LIST       splitvma (default 10000)\n"
	      "  --vmas LIST         spawn (default 1000)\n"
	      "  --size LIST         bytes, K/M/G suffixes: forkcopy (64M), faults, cowfault (128M)\n"
	      "  --forks N           spawn (default 200000/VMAs, 10..1000), forkcopy (default 5)\n"
	      "  --iterations N      faults (default 4)\n"
	      "  --sample [D=]N      walk about N pages spread evenly instead of every page (on\n"
	      "                      design D only: --sample legacy=20000; may be repeated)\n"
	      "  --metadata-only     model frames without contents (for very large runs)\n"
	      "  --no-prefault       do not populate the model's RAM when its machine is made:\n"
	      "                      the host's first touch of each frame is then timed too\n"
	      "  --csv | --json      the results as CSV or JSON instead of a table\n"
	      "  --plot FILE         also a gnuplot plot (FILE.png or FILE.svg)\n"
	      "  --cpu N             run pinned to CPU N (default: the CPU it starts on)\n"
	      "  --quiet             no progress bar\n"
	      "Times exclude the model's rmap walks (ns per walk gives them) and the making of\n"
	      "its machine (setup_ms in --json), as the kernel's exclude its boot. The model is built\n"
	      "as it was configured (use a release build: meson setup -Dbuildtype=release).\n"
	      "exit: 0 every run ran, 1 a run failed, 2 usage error\n",
	      out);
}

/* A number with an optional K/M/G suffix (powers of 1024). */
static int parse_num(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k':
		*v <<= 10, end++;
		break;
	case 'M': case 'm':
		*v <<= 20, end++;
		break;
	case 'G': case 'g':
		*v <<= 30, end++;
		break;
	}
	return *end ? -EINVAL : 0;
}

static int parse_list(const char *opt, const char *arg, struct list *l)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int err = copy ? 0 : -ENOMEM;

	l->n = 0;
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		if (l->n == MAX_LIST || parse_num(tok, &l->v[l->n]) || !l->v[l->n])
			err = -EINVAL;
		else
			l->n++;
	}
	free(copy);
	if (err || !l->n) {
		fprintf(stderr, "anonvm bench: %s: expected positive numbers separated by commas "
				"(at most %d), not '%s'\n", opt, MAX_LIST, arg);
		return 2;
	}
	return 0;
}

static int parse_designs(const char *arg, bool *designs)
{
	char *copy, *tok, *save = NULL;
	enum anonvm_rmap_design d;
	int st = 0;

	memset(designs, 0, sizeof(bool) * ANONVM_RMAP_NR);
	if (!strcmp(arg, "all")) {
		for (d = 0; d < ANONVM_RMAP_NR; d++)
			designs[d] = true;
		return 0;
	}
	copy = strdup(arg);
	if (!copy)
		return 2;
	for (tok = strtok_r(copy, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save)) {
		st = parse_design("anonvm bench", tok, &d);
		if (!st)
			designs[d] = true;
	}
	free(copy);
	return st;
}

/* --sample N (every design) or --sample DESIGN=N. */
static int parse_sample(const char *arg, unsigned long *sample)
{
	const char *eq = strchr(arg, '=');
	enum anonvm_rmap_design d;
	unsigned long v;
	char name[32];

	if (parse_num(eq ? eq + 1 : arg, &v)) {
		fprintf(stderr, "anonvm bench: --sample: expected N or DESIGN=N, not '%s'\n", arg);
		return 2;
	}
	if (!eq) {
		for (d = 0; d < ANONVM_RMAP_NR; d++)
			sample[d] = v;
		return 0;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	if (parse_design("anonvm bench", name, &d))
		return 2;
	sample[d] = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	enum { O_DESIGN = 256, O_KERNEL, O_REPS, O_CHILDREN, O_PAGES, O_GENERATIONS, O_STAY,
	       O_PIECES, O_VMAS, O_SIZE, O_FORKS, O_ITERATIONS, O_SAMPLE, O_METADATA, O_CSV,
	       O_JSON, O_PLOT, O_CPU, O_QUIET, O_NOPREFAULT };
	static const struct option longopts[] = {
		{ "design", required_argument, NULL, O_DESIGN },
		{ "kernel", no_argument, NULL, O_KERNEL },
		{ "reps", required_argument, NULL, O_REPS },
		{ "children", required_argument, NULL, O_CHILDREN },
		{ "pages", required_argument, NULL, O_PAGES },
		{ "generations", required_argument, NULL, O_GENERATIONS },
		{ "stay", no_argument, NULL, O_STAY },
		{ "pieces", required_argument, NULL, O_PIECES },
		{ "vmas", required_argument, NULL, O_VMAS },
		{ "size", required_argument, NULL, O_SIZE },
		{ "forks", required_argument, NULL, O_FORKS },
		{ "iterations", required_argument, NULL, O_ITERATIONS },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "metadata-only", no_argument, NULL, O_METADATA },
		{ "no-prefault", no_argument, NULL, O_NOPREFAULT },
		{ "csv", no_argument, NULL, O_CSV },
		{ "json", no_argument, NULL, O_JSON },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long v;
	int c, st = 0, w;

	memset(o, 0, sizeof(*o));
	o->designs[ANONVM_RMAP_LINUX] = true;
	o->reps = -1;
	o->cpu = -2;
	o->format = BF_TABLE;
	while (!st && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DESIGN:
			st = parse_designs(optarg, o->designs);
			break;
		case O_KERNEL:
			o->kernel = true;
			break;
		case O_SAMPLE:
			st = parse_sample(optarg, o->sample);
			break;
		case O_REPS:
		case O_FORKS:
		case O_ITERATIONS:
		case O_CPU:
			if (parse_num(optarg, &v) || (c != O_CPU && !v) ||
			    v > 1000000000UL) {
				fprintf(stderr, "anonvm bench: --%s: bad number '%s'\n",
					longopts[c - O_DESIGN].name, optarg);
				return 2;
			}
			if (c == O_REPS)
				o->reps = (int)v;
			else if (c == O_FORKS)
				o->forks = v;
			else if (c == O_ITERATIONS)
				o->iterations = v;
			else
				o->cpu = (int)v;
			break;
		case O_CHILDREN:
			st = parse_list("--children", optarg, &o->children);
			break;
		case O_PAGES:
			st = parse_list("--pages", optarg, &o->pages);
			break;
		case O_GENERATIONS:
			st = parse_list("--generations", optarg, &o->generations);
			break;
		case O_STAY:
			o->stay = true;
			break;
		case O_PIECES:
			st = parse_list("--pieces", optarg, &o->pieces);
			break;
		case O_VMAS:
			st = parse_list("--vmas", optarg, &o->vmas);
			break;
		case O_SIZE:
			st = parse_list("--size", optarg, &o->size);
			for (int i = 0; !st && i < o->size.n; i++) {
				if (o->size.v[i] % ANONVM_PAGE_SIZE) {
					fprintf(stderr, "anonvm bench: --size: %lu is not a "
							"multiple of 4096\n", o->size.v[i]);
					st = 2;
				}
			}
			break;
		case O_METADATA:
			o->metadata_only = true;
			break;
		case O_NOPREFAULT:
			o->no_prefault = true;
			break;
		case O_CSV:
			o->format = BF_CSV;
			break;
		case O_JSON:
			o->format = BF_JSON;
			break;
		case O_PLOT:
			o->plot = optarg;
			break;
		case O_QUIET:
			o->quiet = true;
			break;
		case 'h':
			bench_usage(stdout);
			exit(0);
		default:
			bench_usage(stderr);
			return 2;
		}
	}
	if (st)
		return st;
	if (optind == argc) {
		fputs("anonvm bench: which workload? (anonvm bench --help)\n", stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		for (w = 0; w < BW_NR && strcmp(argv[i], workload_names[w]); w++)
			;
		if (w == BW_NR) {
			fprintf(stderr, "anonvm bench: unknown workload '%s' (", argv[i]);
			for (w = 0; w < BW_NR; w++)
				fprintf(stderr, "%s%s", w ? ", " : "", workload_names[w]);
			fputs(")\n", stderr);
			return 2;
		}
		o->workloads[w] = true;
	}
	if (o->plot) {
		const char *dot = strrchr(o->plot, '.');

		if (!dot || (strcmp(dot, ".png") && strcmp(dot, ".svg"))) {
			fprintf(stderr, "anonvm bench: --plot: '%s' must end in .png or .svg\n",
				o->plot);
			return 2;
		}
	}
	if (o->reps < 0)
		o->reps = o->kernel ? 3 : 1;
	if (o->cpu == -2)
		o->cpu = sched_getcpu();
	return 0;
}

static void list_default(struct list *l, unsigned long v)
{
	if (!l->n) {
		l->v[0] = v;
		l->n = 1;
	}
}

/* ---- the runs ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The medians of n results of one side; counts from the first run (they do not vary). */
static void result_median(struct bench_result *res, int n, struct bench_result *out)
{
	double v[n];

	*out = res[0];
#define MEDIAN_OF(field)                                                                   \
	do {                                                                               \
		for (int i = 0; i < n; i++)                                                \
			v[i] = res[i].field;                                               \
		out->field = median(v, n);                                                 \
	} while (0)
	MEDIAN_OF(time_ns);
	MEDIAN_OF(walk_ns);
	MEDIAN_OF(setup_ns);
	MEDIAN_OF(fork_ns);
	MEDIAN_OF(fork_ns_first);
	MEDIAN_OF(fork_ns_last);
#undef MEDIAN_OF
}

struct plan {
	struct bench_row *rows;
	int nr_rows, cap;
	int failed;
};

static struct bench_row *new_row(struct plan *pl)
{
	if (pl->nr_rows == pl->cap) {
		int cap = pl->cap ? 2 * pl->cap : 16;
		struct bench_row *r = realloc(pl->rows, (size_t)cap * sizeof(*r));

		if (!r)
			return NULL;
		pl->rows = r;
		pl->cap = cap;
	}
	memset(&pl->rows[pl->nr_rows], 0, sizeof(pl->rows[0]));
	return &pl->rows[pl->nr_rows++];
}

static void report_failure(const struct bench_params *p, const char *side, int err)
{
	bar_clear();
	fprintf(stderr, "anonvm bench: %s on %s: %s\n", bench_workload_name(p->workload), side,
		err == -EINTR ? "the run crashed" : strerror(-err));
}

/* One workload at one size: every design and the kernel, interleaved, --reps times. */
static int __run_size(const struct bench_opts *o, const struct bench_params *base,
		      const char *size, double size_x, struct plan *pl)
{
	int nd = 0, reps = o->reps;
	bool with_kernel = o->kernel && bench_has_kernel(base->workload);
	enum anonvm_rmap_design designs[ANONVM_RMAP_NR];
	struct bench_result (*mres)[reps] = calloc(ANONVM_RMAP_NR, sizeof(*mres));
	struct bench_result *kres = calloc((size_t)reps, sizeof(*kres)), kmed;
	bool kernel_failed = false;
	int err = 0;

	if (!mres || !kres) {
		err = -ENOMEM;
		goto out;
	}
	for (int d = 0; d < ANONVM_RMAP_NR; d++) {
		if (o->designs[d])
			designs[nd++] = d;
	}
	for (int rep = 0; rep < reps; rep++) {
		/* odd repetitions run the kernel first */
		for (int k = 0; k < nd + with_kernel; k++) {
			int slot = rep % 2 && with_kernel ? (k + nd) % (nd + 1) : k;
			struct bench_params p = *base;
			struct bench_result *r;
			bool kernel = slot == nd;

			p.design = kernel ? ANONVM_RMAP_LINUX : designs[slot];
			p.sample = o->sample[p.design];
			r = kernel ? &kres[rep] : &mres[slot][rep];
			snprintf(bar.label, sizeof(bar.label), "%s %s %s rep %d/%d",
				 bench_workload_name(p.workload), size,
				 kernel ? "kernel" : anonvm_design_name(p.design), rep + 1, reps);
			bar_draw(0, true);
			if (bench_isolated(kernel ? bench_kernel_run : bench_model_run, &p, r))
				r->err = -ECHILD;
			bar.done++;
			if (r->err) {
				report_failure(&p, kernel ? "the kernel" : anonvm_design_name(p.design),
					       r->err);
				if (kernel)
					kernel_failed = true;
			}
		}
	}
	if (with_kernel && !kernel_failed)
		result_median(kres, reps, &kmed);
	for (int i = 0; i < nd; i++) {
		struct bench_row *row = new_row(pl);
		bool ok = true;

		if (!row) {
			err = -ENOMEM;
			goto out;
		}
		row->p = *base;
		row->p.design = designs[i];
		row->p.sample = o->sample[designs[i]];
		snprintf(row->size, sizeof(row->size), "%s", size);
		row->size_x = size_x;
		for (int rep = 0; rep < reps; rep++)
			ok &= !mres[i][rep].err;
		row->has_model = ok;
		if (ok)
			result_median(mres[i], reps, &row->m);
		else
			pl->failed++;
		row->kernel_ns = with_kernel && !kernel_failed ? kmed.time_ns : -1;
		row->kernel_fork_ns = with_kernel && !kernel_failed && kmed.forks ?
					      kmed.fork_ns / (double)kmed.forks : -1;
		if (with_kernel && kernel_failed)
			pl->failed++;
	}
out:
	free(mres);
	free(kres);
	return err;
}

/*
 * One workload at one size: every design and the kernel, interleaved, --reps times. The
 * label (size) is the caller's allocation, freed here.
 */
static int run_size(const struct bench_opts *o, const struct bench_params *base,
		    char *size, double size_x, struct plan *pl)
{
	int err = __run_size(o, base, size ? size : "?", size_x, pl);

	free(size);
	return err;
}

static char *label(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *label(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* A byte size as a label: 64M, 1G, 12K, or bytes. */
static char *size_label(unsigned long b)
{
	if (b % (1UL << 30) == 0)
		return label("%luG", b >> 30);
	if (b % (1UL << 20) == 0)
		return label("%luM", b >> 20);
	if (b % (1UL << 10) == 0)
		return label("%luK", b >> 10);
	return label("%lu", b);
}

static int count_runs(const struct bench_opts *o)
{
	int nd = 0, sizes = 0;

	for (int d = 0; d < ANONVM_RMAP_NR; d++)
		nd += o->designs[d];
	for (int w = 0; w < BW_NR; w++) {
		if (!o->workloads[w])
			continue;
#define N(l) ((l).n ? (l).n : 1)
		switch (w) {
		case BW_FORKSTORM:
		case BW_RECLAIM:
			sizes += N(o->children) * N(o->pages);
			break;
		case BW_FORKCHAIN:
			sizes += N(o->generations) * N(o->pages);
			break;
		case BW_SPLITVMA:
			sizes += N(o->pieces);
			break;
		case BW_SPAWN:
			sizes += N(o->vmas);
			break;
		default:
			sizes += N(o->size);
		}
#undef N
	}
	return sizes * o->reps * (nd + o->kernel); /* reclaim's kernel runs counted, not run */
}

static int run_all(struct bench_opts *o, struct plan *pl)
{
	struct bench_opts d = *o;
	int err = 0;

	for (int w = 0; w < BW_NR && !err; w++) {
		struct bench_params p = { .workload = w, .stay = o->stay,
					  .metadata_only = o->metadata_only, .cpu = o->cpu,
					  .prefault = !o->no_prefault,
					  .progress = bar.on, .iterations = o->iterations ?: 4 };

		if (!o->workloads[w])
			continue;
		d = *o;
		list_default(&d.pages, w == BW_FORKCHAIN ? 16 : 1000);
		list_default(&d.size, w == BW_FORKCOPY ? 64UL << 20 : 128UL << 20);
		switch (w) {
		case BW_FORKSTORM:
		case BW_FORKCHAIN:
		case BW_RECLAIM:
			list_default(&d.children, w == BW_RECLAIM ? 100 : 1000);
			list_default(&d.generations, 1000);
			for (int i = 0; i < (w != BW_FORKCHAIN ? d.children.n : d.generations.n);
			     i++) {
				for (int j = 0; j < d.pages.n && !err; j++) {
					unsigned long n = w != BW_FORKCHAIN ? d.children.v[i] :
									      d.generations.v[i];

					p.children = p.generations = n;
					p.pages = d.pages.v[j];
					err = run_size(o, &p, label("%lux%lu", n, p.pages),
						       (double)n, pl);
				}
			}
			break;
		case BW_SPLITVMA:
			list_default(&d.pieces, 10000);
			for (int i = 0; i < d.pieces.n && !err; i++) {
				p.pieces = d.pieces.v[i];
				err = run_size(o, &p, label("%lu", p.pieces), (double)p.pieces, pl);
			}
			break;
		case BW_SPAWN:
			list_default(&d.vmas, 1000);
			for (int i = 0; i < d.vmas.n && !err; i++) {
				unsigned long f = 200000 / d.vmas.v[i];

				p.vmas = d.vmas.v[i];
				p.forks = o->forks ?: f < 10 ? 10 : f > 1000 ? 1000 : f;
				err = run_size(o, &p, label("%lu", p.vmas), (double)p.vmas, pl);
			}
			break;
		default:
			for (int i = 0; i < d.size.n && !err; i++) {
				p.bytes = d.size.v[i];
				p.forks = o->forks ?: 5;
				err = run_size(o, &p, size_label(p.bytes), (double)p.bytes, pl);
			}
		}
	}
	return err;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o;
	struct plan pl = { 0 };
	int st, err;

	st = parse_opts(argc, argv, &o);
	if (st)
		return st;
	bar.on = !o.quiet && isatty(STDERR_FILENO);
	bar.total = count_runs(&o);
	err = run_all(&o, &pl);
	bar_clear();
	if (err) {
		fprintf(stderr, "anonvm bench: %s\n", strerror(-err));
		return 2;
	}
	bench_print(stdout, o.format, pl.rows, pl.nr_rows);
	if (o.plot && bench_plot(o.plot, pl.rows, pl.nr_rows, stderr))
		st = 1;
	free(pl.rows);
	return pl.failed || st ? 1 : 0;
}
