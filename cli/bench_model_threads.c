// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_model_threads.c: the concurrent forms of two workloads of `anonvm bench` on the
 * model, through the public API only, on real threads (anonvm_thread_register each):
 *
 * forkstorm --threads N [--reclaimer]: the 2009 failure behind anon_vma_chain. Untimed: a
 *	parent writes --pages pages and forks --children children: one fork family, every page
 *	shared by every process, one anon_vma (legacy) or one root (the chain designs). Timed:
 *	N worker threads share the children out (child i to worker i mod N); each writes a
 *	byte to every page of each of its children in turn, every write a fault that breaks
 *	COW (or a swap-in, then the break, for a page reclaimed meanwhile), and after every
 *	--fork-every faults forks a child of the process it is in and exits it at once, as a
 *	fork/exit-heavy load (AIM7's) does: that fork and that exit each take the family's lock
 *	for write (anon_vma_fork / unlink_anon_vmas; 2.6.33: anon_vma_link / anon_vma_unlink).
 *	The faults themselves take it only to give a VMA its first anon_vma, which these VMAs
 *	already have. RAM is a quarter of what the run touches, so faults reclaim directly when
 *	it runs out; with --reclaimer a kswapd-like thread also reclaims (anonvm_reclaim, whose
 *	referenced check and try_to_unmap walk the reverse map for every page) whenever free RAM
 *	is below an eighth, until the workers are done. What is reported: the workers' faults per
 *	second; the waits for the anon_vma root lock (machine: all threads; and the workers'
 *	alone); reclaim's walk time per reclaimed page (reclaim_walk_ns, lock waits included);
 *	pages reclaimed per second.
 *
 * faults --threads N [--mapper] [--vma-locks on|off]: will-it-scale's page_fault1 in threads
 *	mode: N threads of one process, each mapping --size bytes at an address of its own,
 *	writing a byte per page, unmapping, --iterations times; with --mapper one more thread of
 *	the process maps a page elsewhere, writes it and unmaps it, over and over, until they are
 *	done. A fault read-locks its VMA, or (per-VMA locks off, or on a miss) takes the
 *	mmap_lock for read, which every mmap and munmap (the mapper's, the other threads') holds
 *	for write. Reported: faults per second (the N threads'), mmap_lock waits.
 *
 * The threads start together (a flag they wait for) and time themselves; the run's time is from the
 * start to the last worker's end. Runs are not pinned to one CPU (bench.c): the threads
 * spread over the CPUs the bench may use, with the model's RCU thread.
 *
 * A fault that finds RAM full reclaims; if another thread's reclaim holds what it could have
 * freed, it fails with -ENOMEM, and the worker yields and writes again (counted:
 * enomem_retries), as the kernel's allocator retries.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

#define BASE 0x100000000000UL
#define PG ANONVM_PAGE_SIZE
#define RW (ANONVM_PROT_READ | ANONVM_PROT_WRITE)
#define ANON_FIXED (ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE)
#define ENOMEM_RETRIES 100000
#define RECLAIM_BATCH 32

struct worker {
	pthread_t thread;
	const struct bench_params *p;
	struct anonvm *vm;
	atomic_int *go;                /* 0: wait; 1: start; -1: the run is off */
	atomic_bool *stop;             /* the helper thread's: set when every worker is done */
	/* forkstorm: its processes; faults: its range */
	struct anonvm_mm **procs;
	unsigned long nr_procs;
	struct anonvm_mm *mm;
	unsigned long addr;
	/* out */
	unsigned long faults, reclaimed, rounds, enomem_retries;
	double t0, t1;
	struct anonvm_lock_waits waits; /* during its run */
	int err;
};

/* One byte written at addr: one fault here. Retries a fault that ran out of RAM. */
static int write_byte(struct worker *w, struct anonvm_mm *mm, unsigned long addr)
{
	static const unsigned char one = 1;
	int err;

	for (int i = 0; i < ENOMEM_RETRIES; i++) {
		err = anonvm_write(mm, addr, &one, 1, NULL);
		if (err != -ENOMEM)
			break;
		w->enomem_retries++;
		sched_yield();
	}
	if (!err)
		w->faults++;
	return err;
}

static void waits_since(struct anonvm_lock_waits *w, const struct anonvm_lock_waits *before)
{
	struct anonvm_lock_waits now;

	anonvm_thread_lock_waits(&now);
	w->anon_vma_contended = now.anon_vma_contended - before->anon_vma_contended;
	w->anon_vma_wait_ns = now.anon_vma_wait_ns - before->anon_vma_wait_ns;
	w->mmap_lock_contended = now.mmap_lock_contended - before->mmap_lock_contended;
	w->mmap_lock_wait_ns = now.mmap_lock_wait_ns - before->mmap_lock_wait_ns;
}

/* A forkstorm worker: every page of each of its children, forking and exiting on the way. */
static void forkstorm_work(struct worker *w)
{
	const struct bench_params *p = w->p;
	struct anonvm_mm *child;

	for (unsigned long i = 0; i < w->nr_procs && !w->err; i++) {
		for (unsigned long pg = 0; pg < p->pages && !w->err; pg++) {
			w->err = write_byte(w, w->procs[i], BASE + pg * PG);
			if (w->err || !p->fork_every || w->faults % p->fork_every)
				continue;
			w->err = anonvm_fork(w->procs[i], &child);
			if (!w->err)
				anonvm_exit(child);
		}
	}
}

/* A page_fault1 thread: map its range, write a byte per page, unmap; --iterations times. */
static void faults_work(struct worker *w)
{
	const struct bench_params *p = w->p;
	unsigned long pages = p->bytes / PG, got;

	for (unsigned long it = 0; it < p->iterations && !w->err; it++) {
		w->err = anonvm_mmap(w->mm, w->addr, pages * PG, RW, ANON_FIXED, &got);
		for (unsigned long pg = 0; pg < pages && !w->err; pg++)
			w->err = write_byte(w, w->mm, w->addr + pg * PG);
		if (!w->err)
			w->err = anonvm_munmap(w->mm, w->addr, pages * PG);
	}
}

/*
 * A thread's start: registered with the library, then the common start. False: the run is
 * off (a thread could not be made), and the thread is unregistered again.
 */
static bool thread_start(struct worker *w)
{
	int go;

	anonvm_thread_register();
	while (!(go = atomic_load(w->go)))
		sched_yield();
	if (go < 0)
		anonvm_thread_unregister();
	return go > 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct anonvm_lock_waits before;

	if (!thread_start(w))
		return NULL;
	anonvm_thread_lock_waits(&before);
	w->t0 = bench_now_ns();
	if (w->p->workload == BW_FORKSTORM)
		forkstorm_work(w);
	else
		faults_work(w);
	w->t1 = bench_now_ns();
	waits_since(&w->waits, &before);
	anonvm_thread_unregister();
	return NULL;
}

/* Free frames below an eighth of RAM (kswapd's low watermark, roughly). */
static bool ram_low(struct anonvm *vm)
{
	struct anonvm_meminfo mi;

	anonvm_meminfo(vm, &mi);
	return mi.ram_frames - mi.frames_in_use < mi.ram_frames / 8;
}

/* The reclaimer (kswapd): reclaim while RAM is low, nap while it is not, until told. */
static void *reclaimer_main(void *arg)
{
	static const struct timespec nap = { .tv_nsec = 20000 };
	struct worker *w = arg;
	unsigned long n;

	if (!thread_start(w))
		return NULL;
	while (!atomic_load(w->stop)) {
		if (!ram_low(w->vm)) {
			nanosleep(&nap, NULL);
			continue;
		}
		n = 0;
		anonvm_reclaim(w->vm, RECLAIM_BATCH, &n);
		w->reclaimed += n;
		if (!n)
			sched_yield();
	}
	anonvm_thread_unregister();
	return NULL;
}

/*
 * The mapper: a page mapped at its own address, written (a fault, not counted), unmapped,
 * until told (once at least); each mmap and munmap holds the mmap_lock for write.
 */
static void *mapper_main(void *arg)
{
	struct worker *w = arg;
	unsigned long got;

	if (!thread_start(w))
		return NULL;
	do { /* one round at least, however soon the workers are done */
		w->err = anonvm_mmap(w->mm, w->addr, PG, RW, ANON_FIXED, &got);
		if (!w->err)
			w->err = write_byte(w, w->mm, w->addr);
		if (!w->err)
			w->err = anonvm_munmap(w->mm, w->addr, PG);
		w->rounds++;
	} while (!atomic_load(w->stop) && !w->err);
	anonvm_thread_unregister();
	return NULL;
}

/* The counter of that name, 0 if unknown. */
static unsigned long counter(struct anonvm *vm, const char *name)
{
	unsigned long v = 0;

	(void)anonvm_stat(vm, name, &v);
	return v;
}

/* The machine's counters a run reports, read before and after the timed phase. */
struct run_counters {
	unsigned long av_contended, av_wait_ns, mmap_contended, mmap_wait_ns, walk_ns, pgsteal;
	unsigned long walks, visited, probed;
};

static void read_counters(struct anonvm *vm, struct run_counters *c)
{
	c->av_contended = counter(vm, "anon_vma_lock_contended");
	c->av_wait_ns = counter(vm, "anon_vma_lock_wait_ns");
	c->mmap_contended = counter(vm, "mmap_lock_contended");
	c->mmap_wait_ns = counter(vm, "mmap_lock_wait_ns");
	c->walk_ns = counter(vm, "reclaim_walk_ns");
	c->pgsteal = counter(vm, "pgsteal");
	c->walks = counter(vm, "rmap_walks");
	c->visited = counter(vm, "rmap_vmas_visited");
	c->probed = counter(vm, "rmap_ptes_probed");
}

/*
 * Runs the workers (and the reclaimer or the mapper, hw, if asked) from a common start;
 * fills r with what they did. 0, or the first error of a thread, or -errno when a thread
 * could not start.
 */
static int run_threads(const struct bench_params *p, struct anonvm *vm, struct worker *ws,
		       struct worker *hw, struct bench_result *r)
{
	unsigned int n = p->threads, started = 0;
	bool reclaimer = p->reclaimer && p->workload == BW_FORKSTORM;
	bool helper = reclaimer || (p->mapper && p->workload == BW_FAULTS);
	struct run_counters c0, c1;
	atomic_bool stop = false;
	atomic_int go = 0;
	double first = 0, last = 0;
	int err = 0;

	read_counters(vm, &c0);
	for (unsigned int i = 0; i < n && !err; i++) {
		ws[i].p = p;
		ws[i].vm = vm;
		ws[i].go = &go;
		err = -pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
		started += !err;
	}
	hw->p = p;
	hw->vm = vm;
	hw->go = &go;
	hw->stop = &stop;
	if (!err && helper)
		err = -pthread_create(&hw->thread, NULL, reclaimer ? reclaimer_main : mapper_main,
				      hw);
	atomic_store(&go, err ? -1 : 1);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	atomic_store(&stop, true);
	if (!err && helper)
		pthread_join(hw->thread, NULL);
	if (err)
		return err;
	err = hw->err;
	read_counters(vm, &c1);

	for (unsigned int i = 0; i < n; i++) {
		struct worker *w = &ws[i];

		if (!err)
			err = w->err;
		if (!i || w->t0 < first)
			first = w->t0;
		if (w->t1 > last)
			last = w->t1;
		r->faults += w->faults;
		r->worker_ns += w->t1 - w->t0;
		r->worker_anon_vma_wait_ns += (double)w->waits.anon_vma_wait_ns;
		r->worker_mmap_wait_ns += (double)w->waits.mmap_lock_wait_ns;
		r->enomem_retries += w->enomem_retries;
	}
	r->time_ns = last - first;
	r->reclaimer_reclaimed = hw->reclaimed;
	r->mapper_rounds = hw->rounds;
	r->reclaimed = c1.pgsteal - c0.pgsteal;
	r->reclaim_walk_ns = (double)(c1.walk_ns - c0.walk_ns);
	/* every walk of the phase is reclaim's (direct or the reclaimer's) */
	r->walks = c1.walks - c0.walks;
	r->vmas_visited = c1.visited - c0.visited;
	r->ptes_probed = c1.probed - c0.probed;
	r->anon_vma_contended = c1.av_contended - c0.av_contended;
	r->anon_vma_wait_ns = (double)(c1.av_wait_ns - c0.av_wait_ns);
	r->mmap_contended = c1.mmap_contended - c0.mmap_contended;
	r->mmap_wait_ns = (double)(c1.mmap_wait_ns - c0.mmap_wait_ns);
	return err;
}

int bench_forkstorm_threads(const struct bench_params *p, struct anonvm *vm,
			    struct bench_result *r)
{
	unsigned long n = p->children + 1, got;
	struct anonvm_mm **procs = calloc(n, sizeof(*procs));
	struct worker *ws = calloc(p->threads, sizeof(*ws)), reclaimer = { 0 };
	int err = procs && ws ? 0 : -ENOMEM;

	/* the family: the parent's written pages, shared with every child */
	if (!err)
		err = anonvm_mm_new(vm, &procs[0]);
	if (!err)
		err = anonvm_mmap(procs[0], BASE, p->pages * PG, RW, ANON_FIXED, &got);
	for (unsigned long pg = 0; pg < p->pages && !err; pg++)
		err = write_byte(&ws[0], procs[0], BASE + pg * PG);
	for (unsigned long i = 1; i < n && !err; i++)
		err = anonvm_fork(procs[0], &procs[i]);
	bench_progress(0.1);
	if (err)
		goto out;
	/* child i (1-based) to worker (i - 1) mod threads: each gets every threads-th child */
	for (unsigned int t = 0; t < p->threads; t++) {
		ws[t].procs = calloc(p->children / p->threads + 1, sizeof(*procs));
		if (!ws[t].procs) {
			err = -ENOMEM;
			goto out;
		}
		ws[t].faults = ws[t].enomem_retries = 0;
	}
	for (unsigned long i = 1; i < n; i++) {
		struct worker *w = &ws[(i - 1) % p->threads];

		w->procs[w->nr_procs++] = procs[i];
	}
	err = run_threads(p, vm, ws, &reclaimer, r);
	r->forks = p->children;
out:
	for (unsigned int t = 0; ws && t < p->threads; t++)
		free(ws[t].procs);
	free(ws);
	free(procs);
	return err;
}

int bench_faults_threads(const struct bench_params *p, struct anonvm *vm, struct bench_result *r)
{
	struct worker *ws = calloc(p->threads, sizeof(*ws)), mapper = { 0 };
	/* each thread's range, a gap between: no two threads' VMAs can merge; the mapper's last */
	unsigned long stride = 2 * p->bytes;
	struct anonvm_mm *mm;
	int err = ws ? 0 : -ENOMEM;

	if (!err)
		err = anonvm_mm_new(vm, &mm);
	for (unsigned int t = 0; t < p->threads && !err; t++) {
		ws[t].mm = mm;
		ws[t].addr = BASE + t * stride;
	}
	mapper.mm = mm;
	mapper.addr = BASE + p->threads * stride;
	if (!err)
		err = run_threads(p, vm, ws, &mapper, r);
	free(ws);
	return err;
}
