// SPDX-License-Identifier: GPL-2.0-only
/*
 * phys.c: physical memory (struct ram, phys.h): the frame contents, one folio descriptor per
 * frame, the zero page, and the frame allocator.
 *
 * Both the contents and the descriptor table are single MAP_NORESERVE mappings: a frame that
 * was never handed out costs nothing, so a large modelled RAM is cheap until it is used,
 * unless cfg.prefault populates them at creation (benchmarks). In
 * metadata-only mode (cfg.metadata_only) there are no contents: folio_address() is NULL and
 * user accesses only fault.
 *
 * With cfg.memcg_max_bytes the frames in use never exceed it (one memory cgroup holds every
 * process of the machine; no swap): an allocation past it fails as one past RAM does.
 *
 * Allocation order: the most recently freed frame first (free_list and the per-CPU lists
 * are stacks, a batch moved between them keeps its order), then never used frames in
 * ascending order. A thread takes frames from its CPU's list and frees them onto it; the
 * list trades PCP_BATCH frames with free_list when it runs empty or past PCP_HIGH; when
 * free_list is empty too, drain_all_pages returns every CPU's frames to it and the
 * allocation tries again (another CPU may take them first). When no frame is left anywhere,
 * direct reclaim (reclaim/vmscan.c) swaps some out first. Every allocation is a
 * fault-injection point (av_should_fail: an injected failure is a failure after reclaim) and
 * is counted as AV_OBJ_FOLIO.
 *
 * Invariants: see phys.h. Locks: pcp->lock > ram->lock (free_list, nr_free, next_fresh);
 * both nest inside the page-table lock (folio_put runs under it), as the LRU lock does;
 * refcounts are atomic.
 * folio_alloc is never called with a page-table lock held: reclaim takes them.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "alloc.h"
#include "memory.h"
#include "phys.h"
#include "race.h"
#include "reclaim/swap.h"

static struct lock_class_key folio_lock_key;
struct lockdep_map folio_lock_map = { &folio_lock_key, "folio lock" };

/*
 * Host memory for the RAM, populated now if asked (cfg.prefault). A fresh frame's first touch
 * (the host's page fault and clear_page) is most of what a model COW fault costs otherwise:
 * cowfault 512M took 1058 ms without, 154 ms with (populating: 1028 ms, at creation).
 * Transparent huge pages for the arena (MADV_HUGEPAGE) were measured too and are not used:
 * 1548 ms without prefault, and 3.2 s to populate.
 */
static void *map_ram(size_t bytes, bool prefault)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (prefault && madvise(p, bytes, MADV_POPULATE_WRITE)) {
		munmap(p, bytes);
		return NULL;
	}
	return p;
}

/*
 * One list per CPU slot, each on cache lines of its own. Like the frames themselves, the
 * lists are host memory outside av_alloc's counts.
 */
static int pcp_init(struct ram *ram)
{
	void *p;

	if (posix_memalign(&p, SMP_CACHE_BYTES, nr_cpu_ids() * sizeof(*ram->pcp)))
		return -ENOMEM;
	ram->pcp = p;
	for (unsigned int i = 0; i < nr_cpu_ids(); i++) {
		spin_lock_init(&ram->pcp[i].lock);
		INIT_LIST_HEAD(&ram->pcp[i].list);
		atomic_init(&ram->pcp[i].count, 0);
	}
	return 0;
}

int ram_init(struct anonvm *vm)
{
	unsigned long nr_frames = vm->cfg.ram_bytes >> PAGE_SHIFT;
	struct ram *ram;
	struct folio *zero;

	if (nr_frames < 1)
		return -EINVAL;
	ram = av_alloc(AV_OBJ_OTHER, sizeof(*ram));
	if (!ram)
		return -ENOMEM;
	ram->nr_frames = nr_frames;
	ram->limit = vm->cfg.memcg_max_bytes >> PAGE_SHIFT;
	ram->frames = map_ram(nr_frames * sizeof(struct folio), vm->cfg.prefault);
	if (!ram->frames)
		goto out_ram;
	if (!vm->cfg.metadata_only) {
		ram->base = map_ram(nr_frames * PAGE_SIZE, vm->cfg.prefault);
		if (!ram->base)
			goto out_frames;
	}
	spin_lock_init(&ram->lock);
	INIT_LIST_HEAD(&ram->free_list);
	if (!ram->limit && pcp_init(ram))
		goto out_base;
	lruvec_init(&ram->lruvec);
	ram->vm = vm;
	/* frame 0: the zero page; its contents are zero from mmap */
	zero = &ram->frames[ZERO_PFN];
	folio_set_flag(zero, PG_zero);
	folio_set_flag(zero, PG_uptodate);
	ram->next_fresh = ZERO_PFN + 1;
	vm->ram = ram;
	return 0;

out_base:
	if (ram->base)
		munmap(ram->base, nr_frames * PAGE_SIZE);
out_frames:
	munmap(ram->frames, nr_frames * sizeof(struct folio));
out_ram:
	av_free(AV_OBJ_OTHER, ram);
	return -ENOMEM;
}

void ram_destroy(struct anonvm *vm)
{
	struct ram *ram = vm->ram;

	if (!ram)
		return;
	VM_BUG_ON(ram_frames_in_use(ram) != 0);
	if (ram->base)
		munmap(ram->base, ram->nr_frames * PAGE_SIZE);
	munmap(ram->frames, ram->nr_frames * sizeof(struct folio));
	for (unsigned int i = 0; ram->pcp && i < nr_cpu_ids(); i++)
		spin_lock_destroy(&ram->pcp[i].lock);
	free(ram->pcp);
	spin_lock_destroy(&ram->lock);
	spin_lock_destroy(&ram->lruvec.lru_lock);
	av_free(AV_OBJ_OTHER, ram);
	vm->ram = NULL;
}

/* ---- the free lists -------------------------------------------------------------------- */

/* The pcp lists' batch (frames moved to or from free_list at once) and high mark. */
#define PCP_BATCH 31
#define PCP_HIGH (4 * PCP_BATCH)

static struct per_cpu_pages *this_cpu_pcp(struct ram *ram)
{
	return &ram->pcp[this_cpu_slot()];
}

/* ram->lock held: a free frame off free_list, or a fresh one; NULL when neither is left. */
static struct folio *__rmqueue(struct ram *ram)
{
	struct folio *folio;

	if (!list_empty(&ram->free_list)) {
		folio = list_first_entry(&ram->free_list, struct folio, lru);
		list_del_init(&folio->lru);
		ram->nr_free--;
		return folio;
	}
	if (ram->next_fresh < ram->nr_frames) {
		folio = &ram->frames[ram->next_fresh++];
		INIT_LIST_HEAD(&folio->lru);
		return folio;
	}
	return NULL;
}

/*
 * pcp->lock held: up to PCP_BATCH frames from free_list onto pcp, in the order they leave it.
 * The count moves under ram->lock, so a frame is counted free on exactly one list for every
 * reader holding it.
 */
static void rmqueue_bulk(struct ram *ram, struct per_cpu_pages *pcp)
{
	struct folio *folio;
	unsigned int n = 0;

	spin_lock(&ram->lock);
	while (n < PCP_BATCH && (folio = __rmqueue(ram))) {
		list_add_tail(&folio->lru, &pcp->list);
		n++;
	}
	atomic_fetch_add_explicit(&pcp->count, n, memory_order_relaxed);
	spin_unlock(&ram->lock);
}

/* pcp->lock held: its nr oldest frames back to free_list (the kernel's free_pcppages_bulk). */
static void free_pcppages_bulk(struct ram *ram, struct per_cpu_pages *pcp, unsigned int nr)
{
	spin_lock(&ram->lock);
	for (unsigned int i = 0; i < nr && !list_empty(&pcp->list); i++) {
		struct folio *folio = list_last_entry(&pcp->list, struct folio, lru);

		list_del_init(&folio->lru);
		list_add(&folio->lru, &ram->free_list);
		ram->nr_free++;
		atomic_fetch_sub_explicit(&pcp->count, 1, memory_order_relaxed);
	}
	spin_unlock(&ram->lock);
}

/* Every CPU's frames back to free_list (drain_all_pages): before an allocation gives up. */
static void drain_all_pages(struct ram *ram)
{
	for (unsigned int i = 0; i < nr_cpu_ids(); i++) {
		struct per_cpu_pages *pcp = &ram->pcp[i];

		spin_lock(&pcp->lock);
		free_pcppages_bulk(ram, pcp, atomic_load(&pcp->count));
		spin_unlock(&pcp->lock);
	}
}

/* ram->lock held: the frames free on every list, and those never handed out. */
static unsigned long __frames_free(struct ram *ram)
{
	unsigned long free = ram->nr_free + (ram->nr_frames - ram->next_fresh);

	for (unsigned int i = 0; ram->pcp && i < nr_cpu_ids(); i++)
		free += atomic_load_explicit(&ram->pcp[i].count, memory_order_relaxed);
	return free;
}

/* ram->lock held: frames handed out and not freed (frame 0 is the zero page's). */
static unsigned long __frames_in_use(struct ram *ram)
{
	return ram->nr_frames - 1 - __frames_free(ram);
}

/* A frame off this CPU's list, refilled from free_list if empty; NULL if both are. */
static struct folio *pcp_alloc(struct ram *ram)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(ram);
	struct folio *folio = NULL;

	spin_lock(&pcp->lock);
	if (list_empty(&pcp->list))
		rmqueue_bulk(ram, pcp);
	if (!list_empty(&pcp->list)) {
		folio = list_first_entry(&pcp->list, struct folio, lru);
		list_del_init(&folio->lru);
		atomic_fetch_sub_explicit(&pcp->count, 1, memory_order_relaxed);
	}
	spin_unlock(&pcp->lock);
	return folio;
}

/*
 * Passes of drain and retry before an allocation gives up while frames are still free: each
 * pass another CPU may refill its list from what the drain returned (the kernel retries too,
 * after its drain_all_pages, before it declares the zone exhausted).
 */
#define PCP_DRAIN_RETRIES 16

/*
 * A free frame, or NULL when every frame is in use (or, with a memory limit, the limit's
 * worth): never NULL while a frame is free on some list, short of PCP_DRAIN_RETRIES passes
 * lost to other CPUs.
 */
static struct folio *__folio_alloc(struct ram *ram)
{
	struct folio *folio = NULL;
	bool free;

	if (!ram->pcp) {
		spin_lock(&ram->lock);
		/* the memory cgroup is full (memory.max, no swap): as good as no RAM */
		if (!ram->limit || __frames_in_use(ram) < ram->limit)
			folio = __rmqueue(ram);
		spin_unlock(&ram->lock);
		return folio;
	}
	for (int pass = 0;; pass++) {
		folio = pcp_alloc(ram);
		if (folio || pass == PCP_DRAIN_RETRIES)
			return folio;
		/* free_list is empty: what is left waits on other CPUs' lists */
		spin_lock(&ram->lock);
		free = __frames_free(ram);
		spin_unlock(&ram->lock);
		if (!free)
			return NULL;
		drain_all_pages(ram);
		race_window(RACE_PCP_DRAIN, ram);
	}
}

/* Frames whose last reference went: onto this CPU's list (free_list with a limit). */
static void free_frames(struct ram *ram, struct folio **folios, unsigned int nr)
{
	struct per_cpu_pages *pcp;

	if (!ram->pcp) {
		spin_lock(&ram->lock);
		for (unsigned int i = 0; i < nr; i++)
			list_add(&folios[i]->lru, &ram->free_list);
		ram->nr_free += nr;
		spin_unlock(&ram->lock);
		return;
	}
	pcp = this_cpu_pcp(ram);
	spin_lock(&pcp->lock);
	for (unsigned int i = 0; i < nr; i++)
		list_add(&folios[i]->lru, &pcp->list);
	if (atomic_fetch_add_explicit(&pcp->count, nr, memory_order_relaxed) + nr > PCP_HIGH)
		free_pcppages_bulk(ram, pcp, PCP_BATCH);
	spin_unlock(&pcp->lock);
}

/* Rounds of direct reclaim before an allocation gives up (the kernel's retries, roughly). */
#define RECLAIM_RETRIES 4
#define RECLAIM_BATCH 32 /* SWAP_CLUSTER_MAX */

struct folio *folio_alloc(struct ram *ram)
{
	struct folio *folio;

	if (av_should_fail())
		return NULL;
	folio = __folio_alloc(ram);
	/* RAM is full: reclaim to swap, then try again */
	for (int i = 0; !folio && i < RECLAIM_RETRIES; i++) {
		if (!try_to_free_pages(ram->vm, RECLAIM_BATCH))
			break;
		folio = __folio_alloc(ram);
	}
	if (!folio)
		return NULL;
	VM_BUG_ON(atomic_load(&folio->refcount) != 0 || atomic_load(&folio->mapcount) != 0);
	atomic_store(&folio->refcount, 1);
	av_count(AV_OBJ_FOLIO, sizeof(*folio), 1);
	return folio;
}

/* Drop a reference: true if it was the last (nothing maps the frame or can find it now). */
static bool folio_put_testzero(struct folio *folio)
{
	int old;

	VM_BUG_ON(is_zero_folio(folio));
	old = atomic_fetch_sub(&folio->refcount, 1);
	VM_BUG_ON(old <= 0);
	if (old != 1)
		return false;
	VM_BUG_ON(atomic_load(&folio->mapcount) != 0);
	VM_BUG_ON(folio_test_flag(folio, PG_swapcache) || folio_test_flag(folio, PG_locked));
	return true;
}

/* nr folios whose last reference went: off the LRU, reset, onto the free lists. */
static void free_folios(struct ram *ram, struct folio **folios, unsigned int nr)
{
	bool lru = false;

	for (unsigned int i = 0; i < nr; i++)
		lru |= folio_test_flag(folios[i], PG_lru);
	if (lru)
		lru_del_freed(ram, folios, nr);
	for (unsigned int i = 0; i < nr; i++) {
		folios[i]->mapping = 0;
		folios[i]->index = 0;
		folios[i]->private = 0;
		atomic_store(&folios[i]->flags, 0);
	}
	free_frames(ram, folios, nr);
	av_count(AV_OBJ_FOLIO, sizeof(struct folio), -(long)nr);
}

void folio_put(struct ram *ram, struct folio *folio)
{
	if (folio_put_testzero(folio))
		free_folios(ram, &folio, 1);
}

void folios_put(struct ram *ram, struct folio_batch *fb)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < fb->nr; i++)
		if (folio_put_testzero(fb->folios[i]))
			fb->folios[n++] = fb->folios[i];
	if (n)
		free_folios(ram, fb->folios, n);
	folio_batch_init(fb);
}

void folio_copy(struct ram *ram, struct folio *dst, const struct folio *src)
{
	void *p = folio_address(ram, dst);

	if (!p)
		return;
	if (is_zero_folio(src))
		memset(p, 0, PAGE_SIZE);
	else
		memcpy(p, folio_address(ram, src), PAGE_SIZE);
}

struct folio *folio_alloc_uptodate(struct ram *ram, const struct folio *src)
{
	struct folio *folio = folio_alloc(ram);

	if (!folio)
		return NULL;
	folio_copy(ram, folio, src ? src : zero_folio(ram));
	folio_set_flag(folio, PG_uptodate);
	return folio;
}

unsigned long ram_frames_in_use(struct ram *ram)
{
	unsigned long n;

	spin_lock(&ram->lock);
	n = __frames_in_use(ram);
	spin_unlock(&ram->lock);
	return n;
}
