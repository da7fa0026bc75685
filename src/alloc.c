// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc.c: the one allocation seam (see alloc.h), with an object cache per fixed-size kind in
 * the manner of the kernel's slab caches (vm_area_cachep, anon_vma_cachep, ...).
 *
 * fail_countdown: 0 = no injection; n > 0 = the allocation that brings it to 0 fails, and
 * fail_fired records that it did. Every av_alloc is one step of it, cached or not.
 *
 * Caches. The kinds MM, VMA, MAPLE_NODE, ANON_VMA, AVC and PGTABLE have one object size each
 * (set by their first allocation). Their objects come from slabs of MAG_SIZE objects that are
 * never returned to the host, and go back to the cache when freed (Bonwick's magazines):
 *
 *	thread's loaded magazine (an array of MAG_SIZE free objects; no lock)
 *	    <->  the kind's depot: full and empty magazines (lists; lock)
 *
 * av_alloc pops from the loaded magazine; when it is empty it is traded for a full one of
 * the depot, or filled from a new slab. av_free pushes onto it; when it is full it is traded
 * for an empty one (objects freed by the RCU callback thread reach the workload's thread
 * this way, a magazine at a time, without touching them). A thread's magazines go to the
 * depot when it exits. Objects are zeroed on allocation.
 * Other kinds (variable sizes) and sanitizer builds (so that ASan still sees every
 * use-after-free and TSan every handover) use posix_memalign (cache-line aligned) and free.
 *
 * Invariants: live[k] == allocations of kind k - frees of kind k (cached or not);
 * every cached object is in exactly one of: in use, a magazine, a depot.
 * Locks: depot->lock guards the depot's list; magazines are per thread; counters atomic,
 * live[] one set per CPU slot (percpu.h), summed by av_live.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "anonvm/anonvm.h"
#include "debug.h"
#include "percpu.h"
#include "rcu.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AV_CACHES 0
#else
#define AV_CACHES 1
#endif

#define MAG_SIZE 64

/* live[k] of the invariant, as one counter per CPU slot (percpu.h); av_live sums them */
static struct live_slot {
	atomic_long n[AV_OBJ_NR];
} ____cacheline_aligned live[NR_CPU_SLOTS];

static inline atomic_long *live_counter(enum av_obj kind)
{
	return &live[this_cpu_slot()].n[kind];
}

/* the size of one object of each fixed-size kind (0: variable, not counted in bytes) */
static atomic_ulong obj_size[AV_OBJ_NR];

#if defined(__SANITIZE_THREAD__)
char rcu_tsan_grace_period; /* rcu.h: the synchronisation object of a grace period */
#endif
#if defined(ANONVM_RCU_DEFERRED)
/* rcu.h: callbacks queued in order (linked through head->next.next) until rcu_barrier. */
static pthread_mutex_t rcu_deferred_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_head *rcu_deferred_first, **rcu_deferred_tail = &rcu_deferred_first;

void anonvm_call_rcu_deferred(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->next.next = NULL;
	pthread_mutex_lock(&rcu_deferred_lock);
	*rcu_deferred_tail = head;
	rcu_deferred_tail = (struct rcu_head **)&head->next.next;
	pthread_mutex_unlock(&rcu_deferred_lock);
}

void anonvm_rcu_barrier_deferred(void)
{
	for (;;) {
		struct rcu_head *head;

		pthread_mutex_lock(&rcu_deferred_lock);
		head = rcu_deferred_first;
		rcu_deferred_first = NULL;
		rcu_deferred_tail = &rcu_deferred_first;
		pthread_mutex_unlock(&rcu_deferred_lock);
		if (!head)
			return;
		synchronize_rcu();
		while (head) {
			struct rcu_head *next = (struct rcu_head *)head->next.next;

			head->func(head); /* may queue more: the next round */
			head = next;
		}
	}
}
#endif

static atomic_long fail_countdown;
static atomic_bool fail_fired; /* the armed failure has happened */

static bool av_cached(enum av_obj kind)
{
	return AV_CACHES && kind != AV_OBJ_OTHER && kind != AV_OBJ_SHMEM && kind != AV_OBJ_FOLIO;
}

bool av_typesafe(enum av_obj kind)
{
	return av_cached(kind);
}

/*
 * A magazine: up to MAG_SIZE free objects of one kind, as an array, so that moving objects
 * between a thread and the depot never touches the objects (they are cold when the RCU
 * thread freed them).
 */
struct av_magazine {
	struct av_magazine *next; /* in a depot list */
	int nr;
	void *objs[MAG_SIZE];
};

struct av_depot {
	pthread_mutex_t lock;
	struct av_magazine *full;  /* lock */
	struct av_magazine *empty; /* lock */
};

static struct av_depot depots[AV_OBJ_NR] = {
#define DEPOT_INIT(k) [k] = { .lock = PTHREAD_MUTEX_INITIALIZER }
	DEPOT_INIT(AV_OBJ_MM), DEPOT_INIT(AV_OBJ_VMA), DEPOT_INIT(AV_OBJ_MAPLE_NODE),
	DEPOT_INIT(AV_OBJ_ANON_VMA), DEPOT_INIT(AV_OBJ_AVC), DEPOT_INIT(AV_OBJ_FOLIO),
	DEPOT_INIT(AV_OBJ_PGTABLE), DEPOT_INIT(AV_OBJ_SHMEM), DEPOT_INIT(AV_OBJ_OTHER),
#undef DEPOT_INIT
};

/* This thread's loaded magazine of each kind (initial-exec: no __tls_get_addr call). */
static __thread struct av_magazine *mags[AV_OBJ_NR] __attribute__((tls_model("initial-exec")));
static __thread bool mags_registered __attribute__((tls_model("initial-exec")));
static pthread_key_t mags_key;
static pthread_once_t mags_once = PTHREAD_ONCE_INIT;

static void mag_push(struct av_magazine **list, struct av_magazine *m)
{
	m->next = *list;
	*list = m;
}

static struct av_magazine *mag_pop(struct av_magazine **list)
{
	struct av_magazine *m = *list;

	if (m)
		*list = m->next;
	return m;
}

/* A thread that exits gives its magazines to the depots. */
static void mags_release(void *arg)
{
	(void)arg;
	for (int k = 0; k < AV_OBJ_NR; k++) {
		struct av_magazine *m = mags[k];

		if (!m)
			continue;
		pthread_mutex_lock(&depots[k].lock);
		mag_push(m->nr ? &depots[k].full : &depots[k].empty, m);
		pthread_mutex_unlock(&depots[k].lock);
		mags[k] = NULL;
	}
}

static void mags_key_init(void)
{
	pthread_key_create(&mags_key, mags_release);
}

static void mags_register(void)
{
	pthread_once(&mags_once, mags_key_init);
	pthread_setspecific(mags_key, (void *)1);
	mags_registered = true;
}

/*
 * The thread's magazine with at least one object: the loaded one, a full one from the depot
 * (the empty one goes back), or the loaded one refilled from a new slab. NULL: no memory.
 */
static struct av_magazine *mag_for_alloc(enum av_obj kind, size_t slot)
{
	struct av_depot *d = &depots[kind];
	struct av_magazine *m = mags[kind], *full;
	char *slab;

	if (m && m->nr)
		return m;
	if (!mags_registered)
		mags_register();
	pthread_mutex_lock(&d->lock);
	full = mag_pop(&d->full);
	if (full && m)
		mag_push(&d->empty, m);
	else if (!m)
		m = mag_pop(&d->empty);
	pthread_mutex_unlock(&d->lock);
	if (full)
		return mags[kind] = full;
	if (!m) {
		m = malloc(sizeof(*m));
		if (!m)
			return NULL;
		m->nr = 0;
	}
	mags[kind] = m;
	slab = malloc(MAG_SIZE * slot);
	if (!slab)
		return NULL;
	for (int i = MAG_SIZE - 1; i >= 0; i--)
		m->objs[m->nr++] = slab + (size_t)i * slot;
	return m;
}

/*
 * The thread's magazine with room for one more object: the loaded one, or an empty one
 * (the full one goes to the depot). NULL only when no magazine could be allocated.
 */
static struct av_magazine *mag_for_free(enum av_obj kind)
{
	struct av_depot *d = &depots[kind];
	struct av_magazine *m = mags[kind], *empty;

	if (m && m->nr < MAG_SIZE)
		return m;
	if (!mags_registered)
		mags_register();
	pthread_mutex_lock(&d->lock);
	if (m)
		mag_push(&d->full, m);
	empty = mag_pop(&d->empty);
	pthread_mutex_unlock(&d->lock);
	if (!empty) {
		empty = malloc(sizeof(*empty));
		if (empty)
			empty->nr = 0;
	}
	return mags[kind] = empty;
}

/* The kind's object size, fixed by its first allocation; slots are 16-byte aligned. */
static size_t cache_size(enum av_obj kind, size_t size)
{
	unsigned long cur = atomic_load_explicit(&obj_size[kind], memory_order_relaxed);

	if (unlikely(cur != size) &&
	    !atomic_compare_exchange_strong_explicit(&obj_size[kind], &cur, size,
						     memory_order_relaxed, memory_order_relaxed) &&
	    cur != size) {
		/* one size per cached kind: a second one would overrun the first's slots */
		fprintf(stderr, "anonvm: av_alloc: kind %d allocated with sizes %lu and %zu\n",
			(int)kind, cur, size);
		abort();
	}
	return (size + 15) & ~(size_t)15;
}

static void *cache_alloc(enum av_obj kind, size_t size)
{
	struct av_magazine *m = mag_for_alloc(kind, cache_size(kind, size));
	void *p;

	if (!m)
		return NULL;
	p = m->objs[--m->nr];
	memset(p, 0, size);
	return p;
}

/* Without a magazine (the host is out of memory) the object is lost, not corrupted. */
static void cache_free(enum av_obj kind, void *p)
{
	struct av_magazine *m = mag_for_free(kind);

	if (m)
		m->objs[m->nr++] = p;
}

bool av_should_fail(void)
{
	long v = atomic_load(&fail_countdown);

	while (v > 0) {
		if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1)) {
			if (v == 1)
				atomic_store(&fail_fired, true);
			return v == 1;
		}
	}
	return false;
}

void *av_alloc(enum av_obj kind, size_t size)
{
	void *p;

	if (av_should_fail())
		return NULL;
	if (av_cached(kind)) {
		p = cache_alloc(kind, size);
	} else {
		/* cache-line aligned: a machine keeps per-CPU counters in lines of their own */
		if (posix_memalign(&p, SMP_CACHE_BYTES, size))
			p = NULL;
		else
			memset(p, 0, size);
		if (kind != AV_OBJ_OTHER && kind != AV_OBJ_SHMEM)
			atomic_store_explicit(&obj_size[kind], size, memory_order_relaxed);
	}
	if (p)
		atomic_fetch_add_explicit(live_counter(kind), 1, memory_order_relaxed);
	return p;
}

void av_free(enum av_obj kind, void *p)
{
	if (!p)
		return;
	atomic_fetch_sub_explicit(live_counter(kind), 1, memory_order_relaxed);
	if (av_cached(kind))
		cache_free(kind, p);
	else
		free(p);
}

void av_count(enum av_obj kind, size_t size, long delta)
{
	/* read first: a store on every call would pull the line from every other CPU */
	if (atomic_load_explicit(&obj_size[kind], memory_order_relaxed) != size)
		atomic_store_explicit(&obj_size[kind], size, memory_order_relaxed);
	atomic_fetch_add_explicit(live_counter(kind), delta, memory_order_relaxed);
}

long av_live(enum av_obj kind)
{
	long n = 0;

	for (unsigned int i = 0; i < nr_cpu_ids(); i++)
		n += atomic_load(&live[i].n[kind]);
	return n;
}

void av_fail_nth(long n)
{
	atomic_store(&fail_fired, false);
	atomic_store(&fail_countdown, n > 0 ? n : 0);
}

bool av_fail_fired(void)
{
	return atomic_load(&fail_fired);
}

void anonvm_fail_nth(long n)
{
	av_fail_nth(n);
}

bool anonvm_fail_fired(void)
{
	return av_fail_fired();
}

void anonvm_live_objects(struct anonvm_live *l)
{
	l->mm = av_live(AV_OBJ_MM);
	l->vma = av_live(AV_OBJ_VMA);
	l->maple_node = av_live(AV_OBJ_MAPLE_NODE);
	l->anon_vma = av_live(AV_OBJ_ANON_VMA);
	l->avc = av_live(AV_OBJ_AVC);
	l->folio = av_live(AV_OBJ_FOLIO);
	l->pgtable = av_live(AV_OBJ_PGTABLE);
	l->shmem = av_live(AV_OBJ_SHMEM);
	l->other = av_live(AV_OBJ_OTHER);
	l->bytes = 0;
	for (int k = 0; k < AV_OBJ_NR; k++)
		l->bytes += av_live(k) * (long)atomic_load_explicit(&obj_size[k],
								     memory_order_relaxed);
}
