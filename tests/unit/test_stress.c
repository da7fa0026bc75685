// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_stress.c: the whole public API from many threads at once for a fixed time, on each
 * design, with every byte checked against the reference model (reference.h).
 *
 * Threads:
 *   worker w (--threads of them) owns a fork tree of up to MAX_PROCS processes: its root and
 *	the children it forked from any of them. It alone changes their layout and bytes, in
 *	the window [OWN_START, + WIN_PAGES pages) of each: random mmap (private and shared,
 *	FIXED and FIXED_NOREPLACE, POPULATE), munmap, mprotect, mremap (shrink, grow in
 *	place, move, DONTUNMAP), madvise (DONTNEED, COLD, PAGEOUT, WIPEONFORK, KEEPONFORK,
 *	DONTFORK, DOFORK), whole-page writes and reads, fork, exit;
 *   worker w is also a second thread of the root of worker w + 1: it owns the window
 *	[GUEST_START, + WIN_PAGES pages) of that mm and does the same there but fork and exit,
 *	while the owner of the mm maps, unmaps and faults in its own window next to it. The
 *	two windows meet inside one PTE table (the own window also crosses a table boundary),
 *	and their VMAs may merge across the boundary;
 *   the reclaimer, as kswapd, calls anonvm_reclaim whenever more than 3/4 of RAM is in use
 *	(RAM is smaller than what the processes keep present, so faults reclaim directly
 *	too, and MADV_PAGEOUT reclaims on its own);
 *   the migrator calls anonvm_migrate and anonvm_page_referenced on random windows of
 *	random processes.
 * The reclaimer and the migrator change no byte, and each window has one owner, so the model
 * stays exact: every access is predicted (result, faulting address, bytes), and so is the
 * result of every layout call.
 *
 * Checkpoints: every --check-ms, the controller (the main thread) closes the gate; once every
 * thread waits at it, the machine is quiescent: the validator (anonvm_check, which also fails
 * on any lock-order report) must pass and every page of every window of every process must
 * read as the model says. At the end, the same, then every process exits and nothing may be
 * left (frames, swap, objects).
 *
 * Invariants of the test: a window's reference and its processes' slots change only in the
 * thread that owns it, or in the controller while the gate is closed; a root never exits
 * before the end (another worker's window lives in it).
 * Locks: worker->procs_lock (rwlock) guards the slots procs[] and nr_procs against the
 * migrator, which picks a process under it for reading and keeps it until its call returns
 * (the kernel's mmget); the owner takes it for writing to add or remove a slot, and calls
 * anonvm_exit only after the slot is gone. gate_lock guards the gate.
 *
 * At the end it prints the calls made per kind (and how many returned the error the model
 * predicted: a fault for an access, a hole for mprotect and madvise, ENOMEM for migrate,
 * ENOENT for the referenced walk) and the pages reclaimed, swapped and migrated.
 *
 * Usage: test_stress [--seconds S] [--threads N] [--design NAME[,NAME...]] [--check-ms MS]
 *		      [--seed N]
 * S seconds per design (default 2.5: the four designs in about 10 s, as make check runs it
 * under ThreadSanitizer), N workers (default 4).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "designs.h"
#include "reference.h"

#define PAGE ANONVM_PAGE_SIZE
#define PMD_SIZE (2UL << 20)
#define BASE 0x100000000000UL
#define WIN_PAGES 64UL
#define OWN_START (BASE + PMD_SIZE - 40 * PAGE) /* crosses a PTE table boundary */
#define GUEST_START (OWN_START + WIN_PAGES * PAGE)
#define MAX_PROCS 6
#define MAX_WORKERS 16
#define MAX_LEN 8 /* pages one call touches, at most */
#define ENOMEM_RETRIES 100000
#define GATE_TIMEOUT 300 /* seconds: longer and the test reports a deadlock */

/* Linux's VM_* bits, as anonvm_vma_info.flags gives them */
#define LINUX_VM_DONTCOPY 0x00020000UL
#define LINUX_VM_WIPEONFORK 0x02000000UL

enum op {
	OP_WRITE,
	OP_READ,
	OP_MMAP,
	OP_MUNMAP,
	OP_MPROTECT,
	OP_MREMAP,
	OP_DONTNEED,
	OP_COLD,
	OP_PAGEOUT,
	OP_FORK_ADVICE,
	OP_FORK,
	OP_EXIT,
	OP_RECLAIM,
	OP_MIGRATE,
	OP_REFERENCED,
	OP_NR,
	OP_IDLE = OP_NR, /* for the watchdog: between calls */
	OP_GATE,
};

static const char *const op_name[] = {
    [OP_WRITE] = "write",
    [OP_READ] = "read",
    [OP_MMAP] = "mmap",
    [OP_MUNMAP] = "munmap",
    [OP_MPROTECT] = "mprotect",
    [OP_MREMAP] = "mremap",
    [OP_DONTNEED] = "dontneed",
    [OP_COLD] = "cold",
    [OP_PAGEOUT] = "pageout",
    [OP_FORK_ADVICE] = "fork-advice",
    [OP_FORK] = "fork",
    [OP_EXIT] = "exit",
    [OP_RECLAIM] = "reclaim",
    [OP_MIGRATE] = "migrate",
    [OP_REFERENCED] = "referenced",
    [OP_IDLE] = "idle",
    [OP_GATE] = "at the gate",
};

/* What a thread did: calls per kind, how many returned the error the model predicted. */
struct counts {
	unsigned long done[OP_NR], err[OP_NR];
	unsigned long nomem;		/* ENOMEM: accesses repeated, forks refused */
	unsigned long reclaimed, moved; /* pages reclaimed, migrated */
};

struct proc {
	struct anonvm_mm *mm;
	struct ref_range own; /* its window */
};

struct thread {
	pthread_t tid;
	uint64_t rng;
	char where[64]; /* what it works on now, for failure reports */
	struct counts c;
	_Atomic int doing; /* enum op in progress, for the watchdog */
};

struct worker {
	struct thread t;
	pthread_rwlock_t procs_lock;
	struct proc procs[MAX_PROCS]; /* [0]: the root, alive until the end */
	int nr_procs;
	struct anonvm_mm *guest_mm; /* the root of the next worker, NULL when alone */
	struct ref_range guest;	    /* this worker's window there */
};

static struct {
	double seconds;
	int nr_workers, check_ms;
	uint64_t seed;
	unsigned int designs;
} opt = {2.5, 4, 500, 1, ALL_DESIGNS};

/* One run: the machine, its threads and the gate. */
static struct {
	struct anonvm *vm;
	struct worker workers[MAX_WORKERS];
	struct thread reclaimer, migrator;
	struct ref_range empty; /* a window where nothing is mapped */
	int nr_threads;		/* at the gate: workers, reclaimer, migrator */

	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond; /* the threads wait for the gate to open */
	pthread_cond_t ctl_cond;  /* the controller waits for them all */
	int arrived;
	unsigned long generation;
	atomic_bool pause, stop, failed;
	char failure[1024];
} S;

static uint64_t rnd64(struct thread *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

static unsigned long rnd(struct thread *t, unsigned long n)
{
	return rnd64(t) % n;
}

/*
 * The first failure ends the run: it is recorded (after where thread t was working, t NULL
 * for the controller), and the controller stops everyone.
 */
static void __attribute__((format(printf, 2, 3))) fail_run(struct thread *t, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	va_list ap;
	int len;

	pthread_mutex_lock(&lock);
	if (!atomic_load(&S.failed)) {
		len = snprintf(S.failure, sizeof(S.failure), "%s: ", t ? t->where : "checkpoint");
		va_start(ap, fmt);
		vsnprintf(S.failure + len, sizeof(S.failure) - len, fmt, ap);
		va_end(ap);
		atomic_store(&S.failed, true);
	}
	pthread_mutex_unlock(&lock);
}

/* A thread's side of the gate: wait while it is closed. */
static void gate_wait(struct thread *t)
{
	unsigned long gen;

	atomic_store(&t->doing, OP_GATE);
	pthread_mutex_lock(&S.gate_lock);
	gen = S.generation;
	if (++S.arrived == S.nr_threads)
		pthread_cond_signal(&S.ctl_cond);
	while (gen == S.generation)
		pthread_cond_wait(&S.gate_cond, &S.gate_lock);
	pthread_mutex_unlock(&S.gate_lock);
	atomic_store(&t->doing, OP_IDLE);
}

/* Whether a thread goes on: it waits at the gate first if it is closing. */
static bool keep_going(struct thread *t)
{
	if (atomic_load(&S.pause))
		gate_wait(t);
	return !atomic_load(&S.stop);
}

static void dump_threads(void)
{
	for (int i = 0; i < opt.nr_workers; i++)
		fprintf(stderr, "  worker %d: %s\n", i,
			op_name[atomic_load(&S.workers[i].t.doing)]);
	fprintf(stderr, "  reclaimer: %s\n  migrator: %s\n",
		op_name[atomic_load(&S.reclaimer.doing)], op_name[atomic_load(&S.migrator.doing)]);
}

/* The controller closes the gate: every thread is waiting at it on return. */
static void gate_close(void)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += GATE_TIMEOUT;
	atomic_store(&S.pause, true);
	pthread_mutex_lock(&S.gate_lock);
	while (S.arrived < S.nr_threads) {
		if (pthread_cond_timedwait(&S.ctl_cond, &S.gate_lock, &deadline) == ETIMEDOUT) {
			fprintf(stderr,
				"stress: %d of %d threads at the gate after %d s: a deadlock?\n",
				S.arrived, S.nr_threads, GATE_TIMEOUT);
			dump_threads();
			abort();
		}
	}
	pthread_mutex_unlock(&S.gate_lock);
}

static void gate_open(void)
{
	pthread_mutex_lock(&S.gate_lock);
	S.arrived = 0;
	S.generation++;
	atomic_store(&S.pause, false);
	pthread_cond_broadcast(&S.gate_cond);
	pthread_mutex_unlock(&S.gate_lock);
}

/* A random run of 1 to MAX_LEN pages inside window r: its address, its pages. */
static unsigned long pick(struct thread *t, const struct ref_range *r, unsigned long *nr)
{
	unsigned long first = rnd(t, r->nr_pages);

	*nr = 1 + rnd(t, MAX_LEN);
	if (first + *nr > r->nr_pages)
		*nr = r->nr_pages - first;
	return r->start + first * PAGE;
}

/* Whether an access of nr pages at addr faults on the way, as the model says. */
static bool faults(const struct ref_range *r, unsigned long addr, unsigned long nr, bool write)
{
	for (unsigned long i = 0; i < nr; i++)
		if (ref_access(r, addr + i * PAGE, write))
			return true;
	return false;
}

/* An access: one page half of the time, else a run that may cross VMAs and holes. */
static unsigned long pick_access(struct thread *t, const struct ref_range *r, unsigned long *nr)
{
	unsigned long addr = pick(t, r, nr);

	if (rnd(t, 2))
		*nr = 1;
	return addr;
}

static void op_write(struct thread *t, struct anonvm_mm *mm, struct ref_range *r)
{
	unsigned long nr, addr = pick_access(t, r, &nr);
	uint64_t tokens[MAX_LEN];
	char msg[512];
	int ret, tries = 0;

	for (unsigned long i = 0; i < nr; i++)
		tokens[i] = rnd64(t) | 1;
	t->c.err[OP_WRITE] += faults(r, addr, nr, true);
	/* ENOMEM: the write stopped part way; doing it again writes the same bytes */
	while ((ret = ref_write(mm, r, addr, nr, tokens, msg, sizeof(msg))) == -ENOMEM &&
	       ++tries < ENOMEM_RETRIES) {
		t->c.nomem++;
		sched_yield();
	}
	if (ret)
		fail_run(t, "%s", ret == -ENOMEM ? "a write ran out of memory for good" : msg);
}

static void op_read(struct thread *t, struct anonvm_mm *mm, const struct ref_range *r)
{
	unsigned long nr, addr = pick_access(t, r, &nr);
	char msg[512];
	int ret, tries = 0;

	t->c.err[OP_READ] += faults(r, addr, nr, false);
	while ((ret = ref_read_check(mm, r, addr, nr, msg, sizeof(msg))) == -ENOMEM &&
	       ++tries < ENOMEM_RETRIES) {
		t->c.nomem++;
		sched_yield();
	}
	if (ret)
		fail_run(t, "%s", ret == -ENOMEM ? "a read ran out of memory for good" : msg);
}

/* Compare a layout call's result with the model's. */
static void expect(struct thread *t, enum op op, int ret, int want, unsigned long addr,
		   unsigned long nr)
{
	if (ret != want)
		fail_run(t, "%s of %lu pages at %#lx returned %d, the model says %d", op_name[op],
			 nr, addr, ret, want);
	t->c.err[op] += want != 0;
}

/* Mostly read-write (so that most accesses get through), sometimes anything else. */
static int random_prot(struct thread *t)
{
	static const int prots[] = {ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				    ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				    ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				    ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				    ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				    ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				    ANONVM_PROT_READ,
				    ANONVM_PROT_WRITE,
				    ANONVM_PROT_READ | ANONVM_PROT_EXEC,
				    0};

	return prots[rnd(t, sizeof(prots) / sizeof(prots[0]))];
}

static void op_mmap(struct thread *t, struct anonvm_mm *mm, struct ref_range *r)
{
	unsigned long nr, addr = pick(t, r, &nr), got = 0;
	int prot = random_prot(t), flags, want, ret;

	flags = rnd(t, 5) ? ANONVM_MAP_PRIVATE : ANONVM_MAP_SHARED;
	flags |= rnd(t, 4) ? ANONVM_MAP_FIXED : ANONVM_MAP_FIXED_NOREPLACE;
	flags |= rnd(t, 2) ? ANONVM_MAP_NORESERVE : 0;
	flags |= rnd(t, 8) ? 0 : ANONVM_MAP_POPULATE;
	want = ref_mmap(r, addr, nr * PAGE, prot, flags);
	ret = anonvm_mmap(mm, addr, nr * PAGE, prot, flags, &got);
	expect(t, OP_MMAP, ret, want, addr, nr);
	if (!ret && got != addr)
		fail_run(t, "mmap at %#lx (fixed) mapped at %#lx", addr, got);
}

static void op_munmap(struct thread *t, struct anonvm_mm *mm, struct ref_range *r)
{
	unsigned long nr, addr = pick(t, r, &nr);

	ref_munmap(r, addr, nr * PAGE);
	expect(t, OP_MUNMAP, anonvm_munmap(mm, addr, nr * PAGE), 0, addr, nr);
}

static void op_mprotect(struct thread *t, struct anonvm_mm *mm, struct ref_range *r)
{
	unsigned long nr, addr = pick(t, r, &nr);
	int prot = random_prot(t);
	int want = ref_mprotect(r, addr, nr * PAGE, prot);

	expect(t, OP_MPROTECT, anonvm_mprotect(mm, addr, nr * PAGE, prot), want, addr, nr);
}

static void op_madvise(struct thread *t, enum op op, struct anonvm_mm *mm, struct ref_range *r)
{
	static const int fork_advice[] = {ANONVM_MADV_WIPEONFORK, ANONVM_MADV_KEEPONFORK,
					  ANONVM_MADV_DONTFORK, ANONVM_MADV_DOFORK};
	unsigned long nr, addr = pick(t, r, &nr);
	int advice = op == OP_DONTNEED	? ANONVM_MADV_DONTNEED
		     : op == OP_COLD	? ANONVM_MADV_COLD
		     : op == OP_PAGEOUT ? ANONVM_MADV_PAGEOUT
					: fork_advice[rnd(t, 4)];
	int want = ref_madvise(r, addr, nr * PAGE, advice);

	expect(t, op, anonvm_madvise(mm, addr, nr * PAGE, advice), want, addr, nr);
}

/*
 * The VMA of mm around the mapped page addr of window r, clipped to r, in [*s, *e); its real
 * end in *vma_end. Every page of it must carry the VMA's attributes in the model.
 */
static bool vma_around(struct thread *t, struct anonvm_mm *mm, const struct ref_range *r,
		       unsigned long addr, unsigned long *s, unsigned long *e,
		       unsigned long *vma_end)
{
	struct anonvm_vma_info vi;

	if (anonvm_vma_next(mm, addr, &vi) || vi.start > addr) {
		fail_run(t, "no VMA at %#lx, where the model has a page mapped", addr);
		return false;
	}
	*s = vi.start > r->start ? vi.start : r->start;
	*e = vi.end < ref_end(r) ? vi.end : ref_end(r);
	*vma_end = vi.end;
	for (unsigned long a = *s; a < *e; a += PAGE) {
		const struct ref_page *pg = ref_page(r, a);
		bool dontfork = vi.flags & LINUX_VM_DONTCOPY, wipe = vi.flags & LINUX_VM_WIPEONFORK;

		if (!pg->mapped || pg->prot != vi.prot || !pg->shm != !vi.shared ||
		    !(pg->flags & REF_DONTFORK) != !dontfork ||
		    !(pg->flags & REF_WIPEONFORK) != !wipe) {
			fail_run(t,
				 "the VMA [%#lx, %#lx) prot %d%s%s%s covers %#lx, which the model "
				 "has %s, prot %d, flags %#x, %s",
				 vi.start, vi.end, vi.prot, vi.shared ? " shared" : "",
				 dontfork ? " dontfork" : "", wipe ? " wipeonfork" : "", a,
				 pg->mapped ? "mapped" : "unmapped", pg->prot, pg->flags,
				 pg->shm ? "shared" : "private");
			return false;
		}
	}
	return true;
}

/* A destination for nr pages in r that does not overlap [a, a + ol pages): 0 if none. */
static unsigned long pick_target(struct thread *t, const struct ref_range *r, unsigned long nr,
				 unsigned long a, unsigned long ol)
{
	for (int tries = 0; tries < 8 && nr <= r->nr_pages; tries++) {
		unsigned long n = r->start + rnd(t, r->nr_pages - nr + 1) * PAGE;

		if (n + nr * PAGE <= a || n >= a + ol * PAGE)
			return n;
	}
	return 0;
}

/*
 * mremap of part of one VMA: shrink or grow in place, move (maybe resized), or move with
 * MREMAP_DONTUNMAP. The source is found through anonvm_vma_next: VMA boundaries are the one
 * thing the model does not know. Within the window they can change only in this thread.
 */
static bool op_mremap(struct thread *t, struct anonvm_mm *mm, struct ref_range *r)
{
	unsigned long addr = r->start + rnd(t, r->nr_pages) * PAGE, s, e, vma_end, a, ol, nl;
	unsigned long new_addr = 0, got = 0, free;
	int flags = 0, ret;

	for (unsigned long i = 0; !ref_page(r, addr)->mapped; i++) {
		if (i == r->nr_pages)
			return false; /* nothing mapped */
		addr = addr + PAGE < ref_end(r) ? addr + PAGE : r->start;
	}
	if (!vma_around(t, mm, r, addr, &s, &e, &vma_end))
		return false;
	a = s + rnd(t, (e - s) / PAGE) * PAGE;
	ol = 1 + rnd(t, (e - a) / PAGE); /* pages */
	switch (rnd(t, 4)) {
	case 0: /* shrink in place */
		if (ol < 2)
			goto move;
		nl = 1 + rnd(t, ol - 1);
		break;
	case 1: /* grow in place: the range ends the VMA, free pages follow in the window */
		if (a + ol * PAGE != vma_end)
			goto move;
		for (free = 0; vma_end + free * PAGE < ref_end(r) &&
			       !ref_page(r, vma_end + free * PAGE)->mapped && free < MAX_LEN;
		     free++)
			;
		if (!free)
			goto move;
		nl = ol + 1 + rnd(t, free);
		break;
	case 2: /* DONTUNMAP: private mappings, the length kept */
		if (ref_page(r, a)->shm)
			goto move;
		nl = ol;
		new_addr = pick_target(t, r, nl, a, ol);
		if (!new_addr)
			return false;
		flags = ANONVM_MREMAP_MAYMOVE | ANONVM_MREMAP_FIXED | ANONVM_MREMAP_DONTUNMAP;
		break;
	default:
	move:
		nl = 1 + rnd(t, ol + 4);
		new_addr = pick_target(t, r, nl, a, ol);
		if (!new_addr)
			return false;
		flags = ANONVM_MREMAP_MAYMOVE | ANONVM_MREMAP_FIXED;
		break;
	}
	ret = anonvm_mremap(mm, a, ol * PAGE, nl * PAGE, flags, new_addr, &got);
	if (!ret && got != (flags ? new_addr : a))
		fail_run(t, "mremap of %#lx to %#lx landed at %#lx", a, flags ? new_addr : a, got);
	expect(t, OP_MREMAP, ret, 0, a, ol);
	if (!ret)
		ref_mremap(r, a, ol * PAGE, nl * PAGE, flags, new_addr);
	return true;
}

static void proc_add(struct worker *w, struct anonvm_mm *mm)
{
	pthread_rwlock_wrlock(&w->procs_lock);
	w->procs[w->nr_procs++].mm = mm;
	pthread_rwlock_unlock(&w->procs_lock);
}

static void op_exit(struct worker *w);

/* A child of process i; the root's child loses the guest window, which it is not ours. */
static void op_fork(struct worker *w, int i)
{
	struct anonvm_mm *child;
	struct proc *p;
	int ret;

	if (w->nr_procs == MAX_PROCS) {
		op_exit(w);
		return;
	}
	atomic_store(&w->t.doing, OP_FORK);
	ret = anonvm_fork(w->procs[i].mm, &child);
	w->t.c.done[OP_FORK]++;
	if (ret == -ENOMEM) {
		w->t.c.nomem++;
		return;
	}
	expect(&w->t, OP_FORK, ret, 0, OWN_START, 0);
	if (ret)
		return;
	expect(&w->t, OP_FORK, anonvm_munmap(child, GUEST_START, WIN_PAGES * PAGE), 0, GUEST_START,
	       WIN_PAGES);
	p = &w->procs[w->nr_procs];
	ref_fork(&p->own, &w->procs[i].own); /* the new slot is not visible before proc_add */
	proc_add(w, child);
}

/* A process other than the root exits. */
static void op_exit(struct worker *w)
{
	struct proc victim;
	int i;

	if (w->nr_procs == 1) {
		op_fork(w, 0);
		return;
	}
	atomic_store(&w->t.doing, OP_EXIT);
	i = 1 + (int)rnd(&w->t, w->nr_procs - 1);
	pthread_rwlock_wrlock(&w->procs_lock);
	victim = w->procs[i];
	w->procs[i] = w->procs[--w->nr_procs];
	pthread_rwlock_unlock(&w->procs_lock);
	anonvm_exit(victim.mm);
	ref_destroy(&victim.own);
	w->t.c.done[OP_EXIT]++;
}

static void worker_step(struct worker *w)
{
	struct thread *t = &w->t;
	bool guest = w->guest_mm && !rnd(t, 4);
	int i = guest ? 0 : (int)rnd(t, w->nr_procs);
	struct anonvm_mm *mm = guest ? w->guest_mm : w->procs[i].mm;
	struct ref_range *r = guest ? &w->guest : &w->procs[i].own;
	unsigned long x = rnd(t, 100);
	enum op op = x < 28   ? OP_WRITE
		     : x < 49 ? OP_READ
		     : x < 61 ? OP_MMAP
		     : x < 65 ? OP_MUNMAP
		     : x < 71 ? OP_MPROTECT
		     : x < 78 ? OP_MREMAP
		     : x < 82 ? OP_DONTNEED
		     : x < 86 ? OP_COLD
		     : x < 91 ? OP_PAGEOUT
		     : x < 94 ? OP_FORK_ADVICE
		     : x < 97 ? OP_FORK
			      : OP_EXIT;

	if (guest && (op == OP_FORK || op == OP_EXIT))
		op = OP_READ; /* the guest thread reads, where its owner would fork */
	if (guest)
		snprintf(t->where, sizeof(t->where), "worker %d, %s in the root of worker %d",
			 (int)(w - S.workers), op_name[op],
			 (int)(w - S.workers + 1) % opt.nr_workers);
	else
		snprintf(t->where, sizeof(t->where), "worker %d, %s in its process %d",
			 (int)(w - S.workers), op_name[op], i);
	if (op == OP_FORK) {
		op_fork(w, i);
		return;
	}
	if (op == OP_EXIT) {
		op_exit(w);
		return;
	}
	atomic_store(&t->doing, op);
	switch (op) {
	case OP_WRITE:
		op_write(t, mm, r);
		break;
	case OP_READ:
		op_read(t, mm, r);
		break;
	case OP_MMAP:
		op_mmap(t, mm, r);
		break;
	case OP_MUNMAP:
		op_munmap(t, mm, r);
		break;
	case OP_MPROTECT:
		op_mprotect(t, mm, r);
		break;
	case OP_MREMAP:
		if (!op_mremap(t, mm, r))
			return; /* nothing to move: no call */
		break;
	default:
		op_madvise(t, op, mm, r);
		break;
	}
	t->c.done[op]++;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	anonvm_thread_register();
	while (keep_going(&w->t)) {
		if (atomic_load(&S.failed)) {
			sched_yield(); /* the model is broken: wait for the controller */
			continue;
		}
		worker_step(w);
		atomic_store(&w->t.doing, OP_IDLE);
	}
	anonvm_thread_unregister();
	return NULL;
}

/*
 * The reclaimer, as kswapd: whenever more than 3/4 of RAM is in use, reclaim a batch; else
 * sleep a little. The faults that find RAM full reclaim directly meanwhile.
 */
static void *reclaimer_fn(void *arg)
{
	struct thread *t = arg;
	struct timespec pause = {0, 100000};

	anonvm_thread_register();
	while (keep_going(t)) {
		struct anonvm_meminfo mi;
		unsigned long freed = 0;

		anonvm_meminfo(S.vm, &mi);
		if (mi.frames_in_use * 4 < mi.ram_frames * 3) {
			nanosleep(&pause, NULL);
			continue;
		}
		atomic_store(&t->doing, OP_RECLAIM);
		if (anonvm_reclaim(S.vm, 32, &freed))
			fail_run(t, "anonvm_reclaim failed");
		atomic_store(&t->doing, OP_IDLE);
		t->c.done[OP_RECLAIM]++;
		t->c.reclaimed += freed;
	}
	anonvm_thread_unregister();
	return NULL;
}

/* Migrate part of a window, or run the referenced walk on a page of it. */
static void migrate_window(struct thread *t, struct anonvm_mm *mm, unsigned long start, int worker)
{
	struct ref_range win = {.start = start, .nr_pages = WIN_PAGES};
	unsigned long nr, addr = pick(t, &win, &nr), moved = 0;
	struct anonvm_referenced ref;
	int ret;

	snprintf(t->where, sizeof(t->where), "migrator, in a process of worker %d", worker);
	if (rnd(t, 4)) {
		atomic_store(&t->doing, OP_MIGRATE);
		ret = anonvm_migrate(mm, addr, nr * PAGE, &moved);
		if (ret && ret != -ENOMEM)
			fail_run(t, "anonvm_migrate of %lu pages at %#lx returned %d", nr, addr,
				 ret);
		t->c.done[OP_MIGRATE]++;
		t->c.err[OP_MIGRATE] += ret != 0;
		t->c.moved += moved;
	} else {
		atomic_store(&t->doing, OP_REFERENCED);
		ret = anonvm_page_referenced(mm, addr, &ref);
		if (ret && ret != -ENOENT)
			fail_run(t, "anonvm_page_referenced at %#lx returned %d", addr, ret);
		t->c.done[OP_REFERENCED]++;
		t->c.err[OP_REFERENCED] += ret != 0;
	}
	atomic_store(&t->doing, OP_IDLE);
}

static void *migrator_fn(void *arg)
{
	struct thread *t = arg;
	struct timespec pause = {0, 20000};

	anonvm_thread_register();
	while (keep_going(t)) {
		struct worker *w = &S.workers[rnd(t, opt.nr_workers)];

		nanosleep(&pause, NULL); /* leave the workers CPU time on a small machine */

		if (w->guest_mm && !rnd(t, 4)) {
			/* a root: alive until the end */
			migrate_window(t, w->guest_mm, GUEST_START,
				       (int)(w - S.workers + 1) % opt.nr_workers);
			continue;
		}
		pthread_rwlock_rdlock(&w->procs_lock);
		migrate_window(t, w->procs[rnd(t, w->nr_procs)].mm, OWN_START,
			       (int)(w - S.workers));
		pthread_rwlock_unlock(&w->procs_lock);
	}
	anonvm_thread_unregister();
	return NULL;
}

/* Every page of window r of mm against the model (quiescent); worker, proc say whose. */
static void verify_window(struct anonvm_mm *mm, const struct ref_range *r, int worker, int proc,
			  const char *what)
{
	char msg[512];

	for (unsigned long a = r->start; a < ref_end(r) && !atomic_load(&S.failed); a += PAGE) {
		int ret, tries = 0;

		while ((ret = ref_read_check(mm, r, a, 1, msg, sizeof(msg))) == -ENOMEM &&
		       ++tries < 100)
			anonvm_reclaim(S.vm, 32, NULL);
		if (ret)
			fail_run(NULL, "worker %d, process %d, %s: %s", worker, proc, what,
				 ret == -ENOMEM ? "out of memory while quiescent" : msg);
	}
}

static void verify_all(void)
{
	int n = opt.nr_workers;

	if (anonvm_check(S.vm, stderr))
		fail_run(NULL, "the validator failed (report above)");
	for (int i = 0; i < n; i++) {
		struct worker *w = &S.workers[i];

		for (int j = 0; j < w->nr_procs; j++) {
			verify_window(w->procs[j].mm, &w->procs[j].own, i, j, "own window");
			/* a root's guest window is the previous worker's; a child has none */
			if (j || n == 1)
				verify_window(w->procs[j].mm, &S.empty, i, j,
					      "guest window (empty)");
		}
		if (w->guest_mm)
			verify_window(w->guest_mm, &w->guest, (i + 1) % n, 0,
				      "guest window (the previous worker's)");
	}
}

static void counts_add(struct counts *sum, const struct counts *c)
{
	for (int i = 0; i < OP_NR; i++) {
		sum->done[i] += c->done[i];
		sum->err[i] += c->err[i];
	}
	sum->nomem += c->nomem;
	sum->reclaimed += c->reclaimed;
	sum->moved += c->moved;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The machine and the processes: each root's window mapped, each guest window too. */
static void setup(void)
{
	unsigned long window_pages = (unsigned long)opt.nr_workers * (MAX_PROCS + 1) * WIN_PAGES;
	struct anonvm_config cfg;
	unsigned long got;
	int n = opt.nr_workers;

	memset(&S, 0, sizeof(S));
	test_config(&cfg);
	cfg.ram_bytes = window_pages / 8 * PAGE; /* less than the processes keep present */
	cfg.swap_bytes = 4 * window_pages * PAGE;
	assert_int_equal(anonvm_create(&cfg, &S.vm), 0);
	ref_init(&S.empty, GUEST_START, WIN_PAGES);
	pthread_mutex_init(&S.gate_lock, NULL);
	pthread_cond_init(&S.gate_cond, NULL);
	pthread_cond_init(&S.ctl_cond, NULL);
	S.nr_threads = n + 2;
	for (int i = 0; i < n; i++) {
		struct worker *w = &S.workers[i];
		struct proc *root = &w->procs[0];

		w->t.rng = (opt.seed * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)test_design << 32) ^
			   (i + 1) * 0xbf58476d1ce4e5b9ULL;
		w->t.rng |= 1;
		pthread_rwlock_init(&w->procs_lock, NULL);
		assert_int_equal(anonvm_mm_new(S.vm, &root->mm), 0);
		w->nr_procs = 1;
		ref_init(&root->own, OWN_START, WIN_PAGES);
		assert_int_equal(ref_mmap(&root->own, OWN_START, WIN_PAGES * PAGE,
					  ANONVM_PROT_READ | ANONVM_PROT_WRITE,
					  ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED),
				 0);
		assert_int_equal(anonvm_mmap(root->mm, OWN_START, WIN_PAGES * PAGE,
					     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
					     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &got),
				 0);
	}
	for (int i = 0; n > 1 && i < n; i++) {
		struct worker *w = &S.workers[i];

		w->guest_mm = S.workers[(i + 1) % n].procs[0].mm;
		ref_init(&w->guest, GUEST_START, WIN_PAGES);
		assert_int_equal(ref_mmap(&w->guest, GUEST_START, WIN_PAGES * PAGE,
					  ANONVM_PROT_READ | ANONVM_PROT_WRITE,
					  ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED),
				 0);
		assert_int_equal(anonvm_mmap(w->guest_mm, GUEST_START, WIN_PAGES * PAGE,
					     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
					     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &got),
				 0);
	}
	snprintf(S.reclaimer.where, sizeof(S.reclaimer.where), "reclaimer");
	S.reclaimer.rng = opt.seed ^ 0x2545f4914f6cdd1dULL;
	S.migrator.rng = (opt.seed << 1) ^ 0x94d049bb133111ebULL;
}

/* Every process exits; nothing may be left. */
static void teardown(void)
{
	struct anonvm_meminfo mi;

	for (int i = 0; i < opt.nr_workers; i++) {
		struct worker *w = &S.workers[i];

		while (w->nr_procs) {
			struct proc *p = &w->procs[--w->nr_procs];

			anonvm_exit(p->mm);
			ref_destroy(&p->own);
		}
		if (w->guest_mm)
			ref_destroy(&w->guest);
		pthread_rwlock_destroy(&w->procs_lock);
	}
	ref_destroy(&S.empty);
	/*
	 * Swap-cache folios whose unmapping found them locked by another thread stay in the
	 * cache, unmapped and unnamed, until reclaim frees them (as in Linux): reclaim them.
	 */
	anonvm_meminfo(S.vm, &mi);
	for (int i = 0; mi.swap_cache && i < 100; i++) {
		anonvm_reclaim(S.vm, mi.swap_cache, NULL);
		anonvm_meminfo(S.vm, &mi);
	}
	assert_int_equal(mi.swap_in_use, 0);
	assert_int_equal(mi.swap_cache, 0);
	assert_int_equal(mi.frames_in_use, 0);
	assert_int_equal(anonvm_check(S.vm, stderr), 0);
	destroy_and_check_nothing_left(S.vm);
	pthread_mutex_destroy(&S.gate_lock);
	pthread_cond_destroy(&S.gate_cond);
	pthread_cond_destroy(&S.ctl_cond);
}

static void report(const struct counts *sum, int checkpoints, double secs)
{
	struct anonvm_meminfo mi;
	unsigned long total = 0;
	char line[1024];
	int len = 0;

	for (int i = 0; i < OP_NR; i++)
		total += sum->done[i];
	anonvm_meminfo(S.vm, &mi);
	print_message("stress %s: %.1f s, %d workers, seed %" PRIu64 ", %d checkpoints, %lu "
		      "operations done\n",
		      anonvm_design_name(test_design), secs, opt.nr_workers, opt.seed, checkpoints,
		      total);
	for (int i = 0; i < OP_NR; i++) {
		len +=
		    snprintf(line + len, sizeof(line) - len, " %s %lu", op_name[i], sum->done[i]);
		if (sum->err[i])
			len += snprintf(line + len, sizeof(line) - len, " (%lu err)", sum->err[i]);
	}
	print_message("stress %s: ops:%s\n", anonvm_design_name(test_design), line);
	print_message("stress %s: %lu pages reclaimed by the reclaimer, %lu migrated by the "
		      "migrator; %lu ENOMEM retries; machine: %lu swap-outs, %lu swap-ins, %lu "
		      "migrations\n",
		      anonvm_design_name(test_design), sum->reclaimed, sum->moved, sum->nomem,
		      mi.swap_outs, mi.swap_ins, mi.migrated);
}

static void test_stress(void **state)
{
	struct counts sum = {0};
	double start, next, end;
	int checkpoints = 0;

	(void)state;
	setup();
	for (int i = 0; i < opt.nr_workers; i++)
		assert_int_equal(
		    pthread_create(&S.workers[i].t.tid, NULL, worker_fn, &S.workers[i]), 0);
	assert_int_equal(pthread_create(&S.reclaimer.tid, NULL, reclaimer_fn, &S.reclaimer), 0);
	assert_int_equal(pthread_create(&S.migrator.tid, NULL, migrator_fn, &S.migrator), 0);

	start = now();
	end = start + opt.seconds;
	next = start + opt.check_ms / 1e3;
	while (!atomic_load(&S.failed) && now() < end) {
		struct timespec tick = {0, 10000000};

		nanosleep(&tick, NULL);
		if (now() < next || now() >= end)
			continue;
		gate_close();
		verify_all();
		checkpoints++;
		gate_open();
		next = now() + opt.check_ms / 1e3;
	}
	atomic_store(&S.stop, true);
	for (int i = 0; i < opt.nr_workers; i++)
		pthread_join(S.workers[i].t.tid, NULL);
	pthread_join(S.reclaimer.tid, NULL);
	pthread_join(S.migrator.tid, NULL);
	if (!atomic_load(&S.failed)) {
		verify_all();
		checkpoints++;
	}
	if (atomic_load(&S.failed))
		fail_msg("stress %s: %s", anonvm_design_name(test_design), S.failure);

	for (int i = 0; i < opt.nr_workers; i++)
		counts_add(&sum, &S.workers[i].t.c);
	counts_add(&sum, &S.reclaimer.c);
	counts_add(&sum, &S.migrator.c);
	report(&sum, checkpoints, now() - start);
	/* each kind of call happened, and pages went to swap, came back and moved */
	for (int i = 0; i < OP_NR; i++)
		if (!sum.done[i])
			fail_msg("no %s was done", op_name[i]);
	assert_true(sum.reclaimed > 0 && sum.moved > 0);
	teardown();
}

static void usage(void)
{
	fprintf(stderr, "usage: test_stress [--seconds S] [--threads N] [--design NAME[,NAME...]] "
			"[--check-ms MS] [--seed N]\n");
	exit(2);
}

static unsigned int parse_designs(char *list)
{
	unsigned int mask = 0;

	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		enum anonvm_rmap_design d;

		if (!strcmp(name, "all"))
			mask |= ALL_DESIGNS;
		else if (!anonvm_design_parse(name, &d))
			mask |= DESIGN_BIT(d);
		else
			usage();
	}
	return mask;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stress),
	};

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (i + 1 == argc)
			usage();
		if (!strcmp(arg, "--seconds"))
			opt.seconds = strtod(argv[++i], NULL);
		else if (!strcmp(arg, "--threads"))
			opt.nr_workers = atoi(argv[++i]);
		else if (!strcmp(arg, "--design"))
			opt.designs = parse_designs(argv[++i]);
		else if (!strcmp(arg, "--check-ms"))
			opt.check_ms = atoi(argv[++i]);
		else if (!strcmp(arg, "--seed"))
			opt.seed = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	if (opt.seconds <= 0 || opt.nr_workers < 1 || opt.nr_workers > MAX_WORKERS ||
	    opt.check_ms < 1 || !opt.designs)
		usage();
	return RUN_PER_DESIGN("stress", tests, opt.designs, NULL, NULL);
}
