// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_model.c: the workloads of `anonvm bench` on the model, through the public API only.
 *
 * Each workload makes one machine (RAM sized to the workload, the run's design, no
 * self-checks beyond what the library was built with at level 0/1), times the same sequence
 * of system calls and user accesses as bench_kernel.c does on the live kernel, reads the live
 * objects at the peak, and runs its rmap walks (timed apart). A user access is one byte per
 * page: enough to fault the page in, or to copy it on write.
 *
 * Teardown is not timed, and not done: the run is a process of its own (bench_isolated),
 * which leaves with _exit once the result is sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"

#define BASE 0x100000000000UL
#define PG ANONVM_PAGE_SIZE
#define RW (ANONVM_PROT_READ | ANONVM_PROT_WRITE)
#define ANON_FIXED (ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE)

/* Frames a run needs at most (+ room for page tables that are not frames: none here). */
static unsigned long frames_needed(const struct bench_params *p)
{
	switch (p->workload) {
	case BW_FORKSTORM:
		if (p->threads) /* the concurrent form runs short of RAM, as reclaim does */
			return p->pages * (p->children + 1) / 4;
		return p->pages * (p->children + 1);
	case BW_RECLAIM:
		return p->pages * (p->children + 1) / 4; /* a quarter: the rest goes to swap */
	case BW_FORKCHAIN:
		return p->pages * (p->stay ? p->generations + 1 : 2);
	case BW_SPLITVMA:
		return p->pieces;
	case BW_SPAWN:
		return p->vmas;
	case BW_FORKCOPY:
		return p->bytes / PG;
	case BW_FAULTS:
		return (p->threads ? p->threads : 1) * (p->bytes / PG);
	case BW_COWFAULT:
		return 2 * (p->bytes / PG);
	default:
		return 0;
	}
}

static int machine(const struct bench_params *p, struct anonvm **vm)
{
	struct anonvm_config cfg;
	unsigned long frames = frames_needed(p);

	anonvm_config_default(&cfg);
	cfg.design = p->design;
	cfg.metadata_only = p->metadata_only;
	cfg.prefault = p->prefault;
	cfg.debug_level = anonvm_debug_level() < 2 ? anonvm_debug_level() : 1;
	cfg.per_vma_lock = p->vma_locks;
	cfg.ram_bytes = (frames + frames / 16 + 1024) * PG;
	if (p->workload == BW_RECLAIM || (p->workload == BW_FORKSTORM && p->threads)) {
		cfg.ram_bytes = (frames + 64) * PG;
		cfg.swap_bytes = 2 * p->pages * (p->children + 1) * PG;
	}
	return anonvm_create(&cfg, vm);
}

/* One byte written to each of n pages from addr: each page faulted in or copied. */
static int touch(struct anonvm_mm *mm, unsigned long addr, unsigned long n)
{
	static const unsigned char one = 1;
	int err;

	for (unsigned long i = 0; i < n; i++) {
		err = anonvm_write(mm, addr + i * PG, &one, 1, NULL);
		if (err)
			return err;
	}
	return 0;
}

static int map_anon(struct anonvm_mm *mm, unsigned long addr, unsigned long pages)
{
	unsigned long got;

	return anonvm_mmap(mm, addr, pages * PG, RW, ANON_FIXED, &got);
}

/* A new process with one VMA of `pages` written pages at BASE. */
static int new_written(struct anonvm *vm, unsigned long pages, struct anonvm_mm **mm)
{
	int err = anonvm_mm_new(vm, mm);

	if (!err)
		err = map_anon(*mm, BASE, pages);
	if (!err)
		err = touch(*mm, BASE, pages);
	return err;
}

/* n written pages from BASE, every other one made read-only: n VMAs of one page. */
static int map_pieces(struct anonvm_mm *mm, unsigned long n)
{
	int err = map_anon(mm, BASE, n);

	if (!err)
		err = touch(mm, BASE, n);
	for (unsigned long i = 1; !err && i < n; i += 2)
		err = anonvm_mprotect(mm, BASE + i * PG, PG, ANONVM_PROT_READ);
	return err;
}

/* The live objects at the peak, and what they cost per mapped page. */
static void peak(struct bench_result *r, unsigned long mapped)
{
	struct anonvm_live l;
	struct rusage ru;

	anonvm_quiesce(); /* objects waiting for a grace period are not live */
	anonvm_live_objects(&l);
	r->anon_vmas = l.anon_vma;
	r->avcs = l.avc;
	r->vmas = l.vma;
	r->meta_bytes = l.bytes;
	r->mapped = mapped;
	if (!getrusage(RUSAGE_SELF, &ru))
		r->peak_rss_kb = ru.ru_maxrss;
}

/* One referenced walk of the page at addr, added to the result. */
static int walk(struct anonvm_mm *mm, unsigned long addr, struct bench_result *r)
{
	struct anonvm_referenced ref;
	int err = anonvm_page_referenced(mm, addr, &ref);

	if (err)
		return err;
	r->walks++;
	r->vmas_visited += ref.vmas_visited;
	r->ptes_probed += ref.ptes_probed;
	if (ref.vmas_visited > r->max_visited)
		r->max_visited = ref.vmas_visited;
	return 0;
}

/*
 * Walk page (k % pages) of process (k / pages) for k = 0, step, 2 step, ... below
 * nr * pages: every page, or about `sample` of them spread evenly over all processes.
 */
static int walk_spread(struct anonvm_mm **procs, unsigned long nr, unsigned long pages,
		       unsigned long sample, struct bench_result *r)
{
	unsigned long total = nr * pages, step = 1;
	double t0 = bench_now_ns();
	int err = 0;

	if (sample && sample < total)
		step = (total + sample - 1) / sample;
	for (unsigned long k = 0; k < total && !err; k += step) {
		err = walk(procs[k / pages], BASE + (k % pages) * PG, r);
		if ((k / step) % 4096 == 0)
			bench_progress(0.8 + 0.2 * (double)k / (double)total);
	}
	r->walk_ns = bench_now_ns() - t0;
	return err;
}

/*
 * forkstorm: a parent writes `pages` pages of one VMA, forks `children` children, each child
 * writes every page (COW); timed. Then the walks: every page of every process.
 */
/*
 * The timed phase of forkstorm: the parent writes, forks, the children write. The processes
 * go to *procsp (the caller frees them) or are freed here (NULL).
 */
static int forkstorm_phase(const struct bench_params *p, struct anonvm *vm,
			   struct bench_result *r, struct anonvm_mm ***procsp)
{
	unsigned long n = p->children + 1;
	struct anonvm_mm **procs = calloc(n, sizeof(*procs));
	double t0, t;
	int err;

	if (!procs)
		return -ENOMEM;
	t0 = bench_now_ns();
	err = new_written(vm, p->pages, &procs[0]);
	for (unsigned long i = 1; i < n && !err; i++) {
		t = bench_now_ns();
		err = anonvm_fork(procs[0], &procs[i]);
		r->fork_ns += bench_now_ns() - t;
		r->forks++;
		bench_progress(0.1 * (double)i / (double)n);
	}
	for (unsigned long i = 1; i < n && !err; i++) {
		err = touch(procs[i], BASE, p->pages);
		bench_progress(0.1 + 0.7 * (double)i / (double)n);
	}
	r->time_ns = bench_now_ns() - t0;
	if (procsp)
		*procsp = procs;
	else
		free(procs);
	return err;
}

static int forkstorm(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	unsigned long n = p->children + 1;
	struct anonvm_mm **procs = NULL;
	int err = forkstorm_phase(p, vm, r, &procs);

	if (!err) {
		peak(r, n * p->pages);
		err = walk_spread(procs, n, p->pages, p->sample, r);
	}
	free(procs);
	return err;
}

/*
 * forkchain: each generation forks a child and (unless p->stay) exits; the child writes its
 * pages and forks again. Timed: all of it. Fork times per generation give the first and the
 * last tenth's means.
 */
static int forkchain(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	unsigned long g, tenth = p->generations / 10 ? p->generations / 10 : 1;
	struct anonvm_mm *cur, *child;
	double t0, t, dt;
	int err;

	t0 = bench_now_ns();
	err = new_written(vm, p->pages, &cur);
	for (g = 0; g < p->generations && !err; g++) {
		t = bench_now_ns();
		err = anonvm_fork(cur, &child);
		dt = bench_now_ns() - t;
		if (err)
			break;
		r->fork_ns += dt;
		r->forks++;
		if (g < tenth)
			r->fork_ns_first += dt / (double)tenth;
		if (g >= p->generations - tenth)
			r->fork_ns_last += dt / (double)tenth;
		if (!p->stay)
			anonvm_exit(cur);
		cur = child;
		err = touch(cur, BASE, p->pages);
		bench_progress((double)g / (double)p->generations);
	}
	r->time_ns = bench_now_ns() - t0;
	if (!err)
		peak(r, p->pages * (p->stay ? p->generations + 1 : 1));
	return err;
}

/*
 * splitvma: one VMA of `pieces` written pages, every other page mprotected read-only (pieces
 * VMAs), then (untimed) a walk of every page, then munmap of the whole. Timed: all but the
 * walks.
 */
static int splitvma(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	struct anonvm_mm *mm;
	double t0, t1;
	int err;

	t0 = bench_now_ns();
	err = anonvm_mm_new(vm, &mm);
	if (!err)
		err = map_pieces(mm, p->pieces);
	r->time_ns = bench_now_ns() - t0;
	bench_progress(0.3);
	if (err)
		return err;
	peak(r, p->pieces);
	err = walk_spread(&mm, 1, p->pieces, p->sample, r);
	if (err)
		return err;
	t1 = bench_now_ns();
	err = anonvm_munmap(mm, BASE, p->pieces * PG);
	r->time_ns += bench_now_ns() - t1;
	return err;
}

/* spawn: a process of `vmas` one-page written VMAs forks, and the child exits, `forks` times. */
static int spawn(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	struct anonvm_mm *mm, *child;
	double t0;
	int err;

	err = anonvm_mm_new(vm, &mm);
	if (!err)
		err = map_pieces(mm, p->vmas);
	if (err)
		return err;
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < p->forks && !err; i++) {
		err = anonvm_fork(mm, &child);
		if (!err) {
			if (!i)
				peak(r, 2 * p->vmas);
			anonvm_exit(child);
		}
		r->forks++;
		bench_progress((double)i / (double)p->forks);
	}
	r->time_ns = bench_now_ns() - t0;
	r->fork_ns = r->time_ns;
	return err;
}

/* forkcopy: a process with `bytes` of written pages forks `forks` times; only fork is timed. */
static int forkcopy(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	unsigned long pages = p->bytes / PG;
	struct anonvm_mm *mm, *child;
	double t;
	int err;

	err = new_written(vm, pages, &mm);
	for (unsigned long i = 0; i < p->forks && !err; i++) {
		t = bench_now_ns();
		err = anonvm_fork(mm, &child);
		r->fork_ns += bench_now_ns() - t;
		r->forks++;
		if (!err) {
			if (!i)
				peak(r, 2 * pages);
			anonvm_exit(child);
		}
		bench_progress((double)i / (double)p->forks);
	}
	r->time_ns = r->fork_ns;
	return err;
}

/* faults (page_fault1): `iterations` times map `bytes`, write a byte per page, unmap. */
static int faults(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	unsigned long pages = p->bytes / PG;
	struct anonvm_mm *mm;
	double t0;
	int err;

	err = anonvm_mm_new(vm, &mm);
	if (err)
		return err;
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < p->iterations && !err; i++) {
		err = map_anon(mm, BASE, pages);
		if (!err)
			err = touch(mm, BASE, pages);
		if (!err && !i)
			peak(r, pages);
		if (!err)
			err = anonvm_munmap(mm, BASE, pages * PG);
		bench_progress((double)i / (double)p->iterations);
	}
	r->time_ns = bench_now_ns() - t0;
	return err;
}

/* cowfault: a process writes `bytes`, forks; the child writes a byte per page (timed). */
static int cowfault(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	unsigned long pages = p->bytes / PG;
	struct anonvm_mm *mm, *child;
	double t0;
	int err;

	err = new_written(vm, pages, &mm);
	if (!err)
		err = anonvm_fork(mm, &child);
	if (err)
		return err;
	t0 = bench_now_ns();
	err = touch(child, BASE, pages);
	r->time_ns = bench_now_ns() - t0;
	if (!err)
		peak(r, 2 * pages);
	return err;
}

/* The counter of that name, 0 if unknown. */
static unsigned long counter(struct anonvm *vm, const char *name)
{
	unsigned long v = 0;

	(void)anonvm_stat(vm, name, &v);
	return v;
}

/*
 * reclaim: forkstorm's work with RAM a quarter of what it touches: every fault past that
 * point reclaims (folio_referenced, then try_to_unmap through the design's walk) before it
 * gets a frame. Timed: all of it; the walks counted are reclaim's.
 */
static int reclaim(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	unsigned long walks = counter(vm, "rmap_walks"), visited = counter(vm, "rmap_vmas_visited");
	unsigned long probed = counter(vm, "rmap_ptes_probed"), stolen = counter(vm, "pgsteal");
	int err = forkstorm_phase(p, vm, r, NULL);

	r->walks = counter(vm, "rmap_walks") - walks;
	r->vmas_visited = counter(vm, "rmap_vmas_visited") - visited;
	r->ptes_probed = counter(vm, "rmap_ptes_probed") - probed;
	r->reclaimed = counter(vm, "pgsteal") - stolen;
	r->walk_ns = 0; /* inside the timed phase: no separate walk time */
	if (!err)
		peak(r, (p->children + 1) * p->pages);
	return err;
}

void bench_model_run(const struct bench_params *p, struct bench_result *r)
{
	static int (*const run[BW_NR])(const struct bench_params *, struct anonvm *,
				       struct bench_result *) = {
		[BW_FORKSTORM] = forkstorm, [BW_FORKCHAIN] = forkchain, [BW_SPLITVMA] = splitvma,
		[BW_SPAWN] = spawn,	    [BW_FORKCOPY] = forkcopy,	[BW_FAULTS] = faults,
		[BW_COWFAULT] = cowfault,   [BW_RECLAIM] = reclaim,
	};
	struct anonvm *vm;

	double t0 = bench_now_ns();

	memset(r, 0, sizeof(*r));
	r->err = machine(p, &vm);
	r->setup_ns = bench_now_ns() - t0;
	if (!r->err && p->threads) {
		struct rusage ru;

		r->err = p->workload == BW_FORKSTORM ? bench_forkstorm_threads(p, vm, r) :
						       bench_faults_threads(p, vm, r);
		if (!getrusage(RUSAGE_SELF, &ru))
			r->peak_rss_kb = ru.ru_maxrss;
	} else if (!r->err) {
		r->err = run[p->workload](p, vm, r);
	}
	/* no teardown: the process ends here (bench_isolated) */
}
