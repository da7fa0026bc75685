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
 * Allocation order: the most recently freed frame first (free_list is a stack), then never
 * used frames in ascending order. When none is left, direct reclaim (reclaim/vmscan.c) swaps
 * some out first. Every allocation is a fault-injection point (av_should_fail: an injected
 * failure is a failure after reclaim) and is counted as AV_OBJ_FOLIO.
 *
 * Invariants: see phys.h. Locks: ram->lock guards free_list and next_fresh; it nests inside
 * the page-table lock (folio_put runs under it), as the LRU lock does; refcounts are atomic.
 * folio_alloc is never called with a page-table lock held: reclaim takes them.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "memory.h"
#include "phys.h"
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
	lruvec_init(&ram->lruvec);
	ram->vm = vm;
	/* frame 0: the zero page; its contents are zero from mmap */
	zero = &ram->frames[ZERO_PFN];
	folio_set_flag(zero, PG_zero);
	folio_set_flag(zero, PG_uptodate);
	ram->next_fresh = ZERO_PFN + 1;
	vm->ram = ram;
	return 0;

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
	spin_lock_destroy(&ram->lock);
	spin_lock_destroy(&ram->lruvec.lru_lock);
	av_free(AV_OBJ_OTHER, ram);
	vm->ram = NULL;
}

/* A free frame, or NULL when every frame is in use. */
static struct folio *__folio_alloc(struct ram *ram)
{
	struct folio *folio = NULL;

	spin_lock(&ram->lock);
	if (ram->limit && ram->nr_in_use >= ram->limit) {
		/* the memory cgroup is full (memory.max, no swap): as good as no RAM */
	} else if (!list_empty(&ram->free_list)) {
		folio = list_first_entry(&ram->free_list, struct folio, lru);
		list_del_init(&folio->lru);
	} else if (ram->next_fresh < ram->nr_frames) {
		folio = &ram->frames[ram->next_fresh++];
		INIT_LIST_HEAD(&folio->lru);
	}
	if (folio)
		ram->nr_in_use++;
	spin_unlock(&ram->lock);
	return folio;
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

void folio_put(struct ram *ram, struct folio *folio)
{
	int old;

	VM_BUG_ON(is_zero_folio(folio));
	old = atomic_fetch_sub(&folio->refcount, 1);
	VM_BUG_ON(old <= 0);
	if (old != 1)
		return;
	/* the last reference: nothing maps the frame and nothing can find it any more */
	VM_BUG_ON(atomic_load(&folio->mapcount) != 0);
	VM_BUG_ON(folio_test_flag(folio, PG_swapcache) || folio_test_flag(folio, PG_locked));
	if (folio_test_flag(folio, PG_lru))
		lru_del_freed(ram, folio);
	folio->mapping = 0;
	folio->index = 0;
	folio->private = 0;
	atomic_store(&folio->flags, 0);
	spin_lock(&ram->lock);
	list_add(&folio->lru, &ram->free_list);
	ram->nr_in_use--;
	spin_unlock(&ram->lock);
	av_count(AV_OBJ_FOLIO, sizeof(*folio), -1);
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
	n = ram->nr_in_use;
	spin_unlock(&ram->lock);
	return n;
}
