/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Physical memory of a machine: frames of 4 KiB, one struct folio per frame, the shared zero
 * page, and the frame allocator (phys.c).
 *
 *   frame pfn:  descriptor ram->frames[pfn], bytes ram->base + pfn * PAGE_SIZE
 *   pfn 0:      the zero page (PG_zero, never freed, never refcounted, contents zero)
 *
 * Free frames wait on the global free_list (ram->lock) or on one of the per-CPU lists
 * (pcp[], each under its own lock), as in the kernel's page allocator: a thread allocates
 * from and frees to the list of the CPU it runs on and takes ram->lock once per batch.
 * A machine with a memory cgroup limit keeps every free frame on free_list.
 *
 * Invariants (ram->lock, and every pcp->lock):
 *   nr_frames == 1 + in use + nr_free + sum of pcp[].count + (nr_frames - next_fresh)
 *   in use == live folios of this ram; av_live(AV_OBJ_FOLIO) sums them over all machines
 *   (the zero page is not a live folio);
 *   a free frame has refcount == mapcount == 0, mapping == 0, flags == 0;
 *   an allocation fails only when no list holds a free frame: it drains the other CPUs'
 *   lists and tries again while one does (at most PCP_DRAIN_RETRIES passes, each lost to
 *   another CPU that took the drained frames first).
 *
 * A folio's refcount is atomic; the frame returns to the allocator when it drops to 0.
 */
#ifndef ANONVM_PHYS_H
#define ANONVM_PHYS_H

#include <sched.h>

#include "atomic.h"
#include "mm_types.h"
#include "percpu.h"

#define ZERO_PFN 0UL

enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	NR_LRU_LISTS
};

/*
 * The LRU lists of the machine's memory (reclaim/lru.c; the kernel's per-node lruvec, anon
 * lists: the swap-backed folios). A folio - anonymous, shmem, or in the swap cache - is on
 * exactly one list (PG_lru; PG_active says which) from the fault that made it until it is
 * isolated or freed; the lists hold no reference.
 */
struct lruvec {
	spinlock_t lru_lock;                  /* the lists, PG_lru / PG_active, nr[] */
	struct list_head lists[NR_LRU_LISTS]; /* through folio->lru; the head is the newest */
	unsigned long nr[NR_LRU_LISTS];
};

/* One CPU's free frames (the kernel's struct per_cpu_pages). */
struct per_cpu_pages {
	spinlock_t lock;
	struct list_head list; /* the most recently freed first; through folio->lru */
	atomic_uint count;     /* frames on list; written under lock, read by anyone */
} ____cacheline_aligned;

/* Read-mostly fields first; each lock with what it guards in cache lines of its own. */
struct ram {
	struct folio *frames;       /* frames[pfn] */
	unsigned char *base;        /* contents; NULL in metadata-only mode */
	unsigned long nr_frames;
	unsigned long limit;	    /* frames in use stay <= limit (cfg.memcg_max_bytes); 0: none */
	struct per_cpu_pages *pcp;  /* nr_cpu_ids() lists; NULL with a limit */
	struct anonvm *vm;          /* the machine (direct reclaim); fixed */

	spinlock_t lock ____cacheline_aligned; /* free_list, nr_free, next_fresh */
	unsigned long next_fresh;   /* frames from here on were never handed out; lock */
	struct list_head free_list; /* freed frames, linked through folio->lru; lock */
	unsigned long nr_free;      /* frames on free_list; lock */

	struct lruvec lruvec ____cacheline_aligned; /* reclaim/lru.c */
};

/*
 * A new folio: refcount 1, mapcount 0, no mapping; contents undefined. When every frame is
 * in use, direct reclaim (try_to_free_pages) frees some first. NULL: out of memory (or an
 * injected failure). Called with no page-table, anon_vma, LRU or swap lock held.
 */
struct folio *folio_alloc(struct ram *ram) __must_check;
/* The 4096 bytes of src into dst (nothing in metadata-only mode). */
void folio_copy(struct ram *ram, struct folio *dst, const struct folio *src);

static inline void folio_get(struct folio *folio)
{
	VM_BUG_ON(folio_test_flag(folio, PG_zero));
	VM_BUG_ON(atomic_load(&folio->refcount) <= 0);
	atomic_fetch_add(&folio->refcount, 1);
}

/* A reference unless the folio is being freed (refcount 0): lockless lookups (folio_try_get). */
static inline bool folio_try_get(struct folio *folio)
{
	return atomic_inc_not_zero(&folio->refcount);
}

/*
 * folio_ref_freeze: the count from count to 0 if it is exactly count, so that no lookup can
 * take a reference (folio_try_get fails on 0) while the folio leaves the swap cache or is
 * replaced by migration; folio_ref_unfreeze sets the count that remains. Folio locked.
 */
static inline bool folio_ref_freeze(struct folio *folio, int count)
{
	return atomic_compare_exchange_strong(&folio->refcount, &count, 0);
}

static inline void folio_ref_unfreeze(struct folio *folio, int count)
{
	VM_BUG_ON(atomic_load(&folio->refcount) != 0 || count <= 0);
	atomic_store(&folio->refcount, count);
}

/*
 * The folio lock is the PG_locked bit; there is no wait queue: folio_lock yields and retries.
 * All folio locks are one lockdep class (folio_lock_map).
 */
extern struct lockdep_map folio_lock_map;

static inline bool __folio_trylock(struct folio *folio)
{
	return !(atomic_fetch_or(&folio->flags, 1UL << PG_locked) & (1UL << PG_locked));
}

static inline bool folio_trylock(struct folio *folio)
{
	if (!__folio_trylock(folio))
		return false;
	lock_acquire(&folio_lock_map, 0, true);
	return true;
}

static inline void folio_lock(struct folio *folio)
{
	lock_acquire(&folio_lock_map, 0, false);
	while (!__folio_trylock(folio))
		sched_yield();
}

static inline void folio_unlock(struct folio *folio)
{
	lock_release(&folio_lock_map);
	folio_clear_flag(folio, PG_locked);
}

/* Drop a reference; the last one returns the frame to ram. */
void folio_put(struct ram *ram, struct folio *folio);

/*
 * References to drop together (the kernel's struct folio_batch, as mmu_gather gathers the
 * folios a zap unmaps): folios_put drops one reference of each, and the folios whose last
 * reference it was leave the LRU under one lru_lock and reach the free lists under one lock.
 */
#define FOLIO_BATCH_SIZE 31
struct folio_batch {
	unsigned int nr;
	struct folio *folios[FOLIO_BATCH_SIZE];
};

static inline void folio_batch_init(struct folio_batch *fb)
{
	fb->nr = 0;
}

/* Add folio; the room left (0: full, folios_put it now). */
static inline unsigned int folio_batch_add(struct folio_batch *fb, struct folio *folio)
{
	fb->folios[fb->nr++] = folio;
	return FOLIO_BATCH_SIZE - fb->nr;
}

/* folio_put of every folio of fb, and fb empty again. */
void folios_put(struct ram *ram, struct folio_batch *fb);

static inline int folio_ref_count(const struct folio *folio)
{
	return atomic_load(&folio->refcount);
}

static inline unsigned long folio_pfn(const struct ram *ram, const struct folio *folio)
{
	return (unsigned long)(folio - ram->frames);
}

static inline struct folio *pfn_folio(const struct ram *ram, unsigned long pfn)
{
	VM_BUG_ON(pfn >= ram->nr_frames);
	return &ram->frames[pfn];
}

/* The frame's 4096 bytes, or NULL in metadata-only mode. */
static inline void *folio_address(const struct ram *ram, const struct folio *folio)
{
	return ram->base ? ram->base + folio_pfn(ram, folio) * PAGE_SIZE : NULL;
}

static inline struct folio *zero_folio(const struct ram *ram)
{
	return pfn_folio(ram, ZERO_PFN);
}

static inline bool is_zero_folio(const struct folio *folio)
{
	return folio_test_flag(folio, PG_zero);
}

/*
 * A new folio (refcount 1, mapcount 0, no mapping) holding a copy of src, or zeroes when src
 * is NULL or the zero page; PG_uptodate. NULL: out of memory. In metadata-only mode there are
 * no contents to fill.
 */
struct folio *folio_alloc_uptodate(struct ram *ram, const struct folio *src)
	__must_check;

/* Frames handed out and not freed (live folios). */
unsigned long ram_frames_in_use(struct ram *ram);

#endif
