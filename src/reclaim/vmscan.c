// SPDX-License-Identifier: GPL-2.0-only
/*
 * reclaim/vmscan.c: reclaim of anonymous memory to swap (kernel: mm/vmscan.c).
 *
 *   shrink_folio_list   the heart: for each isolated folio, locked: keep it if its PTEs
 *                       were referenced (unless told to ignore that), give it a swap slot
 *                       (it enters the swap cache), unmap it through the rmap
 *                       (try_to_unmap: each PTE becomes a swap PTE), write it to its slot,
 *                       and free it once nothing but the swap cache holds it
 *                       (__remove_mapping). What is kept goes back to the LRU: to
 *                       the active list if referenced or refused (activate_locked,
 *                       which gives up a swap-cache folio's slot once swap is over half
 *                       full), to the list it came from if the rmap lock was contended.
 *   reclaim_pages       MADV_PAGEOUT's folios, references ignored.
 *   try_to_free_pages   direct reclaim when the frame allocator is dry: age the active list
 *                       (shrink_active_list), scan the inactive list's tail
 *                       (shrink_inactive_list), until enough frames are free.
 *
 * A folio in reclaim is isolated (off the LRU, one reference) and locked; the rmap walks of
 * folio_referenced and try_to_unmap run on it; nothing else is held. Every step can refuse
 * (locked elsewhere, referenced, no slot, pinned, a write error, an extra reference): the
 * folio then stays as it was, or stays in the swap cache with swap PTEs pointing at it, which
 * a fault maps again. No data is lost on any path: a folio leaves the swap cache only once
 * its contents are in the slot (clean) or no swap PTE names the slot any more.
 *
 * The rmap walks (folio_referenced, try_to_unmap) are timed into reclaim_walk_ns, waits for
 * the anon_vma lock included: what reclaim pays the reverse map per page.
 *
 * Locks: folio lock (trylock) > anon_vma root rwsem (read; trylock in folio_referenced) >
 * page-table lock > swap lock, LRU lock. Called with no page-table lock held.
 */
#include "ktime.h"
#include "race.h"
#include "swap.h"

#define SWAP_CLUSTER_MAX 32

enum folio_references {
	FOLIOREF_RECLAIM,
	FOLIOREF_KEEP,
	FOLIOREF_ACTIVATE,
};

/* Reclaim's rmap walks, timed (reclaim_walk_ns): the cost a reclaimed page pays the rmap. */
static int reclaim_folio_referenced(struct anonvm *vm, struct folio *folio,
				    unsigned long *vm_flags)
{
	unsigned long t0 = ktime_get_ns();
	int referenced = folio_referenced(folio, vm_flags, NULL);

	count_vm_events(vm, reclaim_walk_ns, ktime_get_ns() - t0);
	return referenced;
}

static void reclaim_try_to_unmap(struct anonvm *vm, struct folio *folio)
{
	unsigned long t0 = ktime_get_ns();

	try_to_unmap(folio);
	count_vm_events(vm, reclaim_walk_ns, ktime_get_ns() - t0);
}

/*
 * folio_check_references: a VM_LOCKED mapping activates a folio; a contended anon_vma lock
 * gives no answer, so it stays where it was (rotated: the kernel's "rmap lock contention");
 * young PTEs (cleared by the walk) keep it; a second look, or more than one young PTE,
 * activates it.
 */
static enum folio_references folio_check_references(struct anonvm *vm, struct folio *folio)
{
	unsigned long vm_flags;
	int referenced_ptes = reclaim_folio_referenced(vm, folio, &vm_flags);
	bool referenced_folio = folio_test_flag(folio, PG_referenced);

	folio_clear_flag(folio, PG_referenced);
	if (vm_flags & VM_LOCKED)
		return FOLIOREF_ACTIVATE;
	if (referenced_ptes < 0)
		return FOLIOREF_KEEP;
	if (referenced_ptes) {
		folio_set_flag(folio, PG_referenced);
		if (referenced_folio || referenced_ptes > 1)
			return FOLIOREF_ACTIVATE;
		return FOLIOREF_KEEP;
	}
	return FOLIOREF_RECLAIM;
}

/*
 * __remove_mapping for the swap cache: if only the isolation and the cache hold the clean,
 * unmapped folio, it leaves the cache (its contents are in the slot). The count is frozen at
 * 0 from the check to the removal, so a swap-cache lookup in between fails instead of taking
 * a reference that would keep the frame after reclaim has counted it freed; the isolation's
 * reference is all that is left. Folio locked.
 */
static bool __remove_mapping(struct anonvm *vm, struct folio *folio)
{
	if (folio_mapped(folio) || !folio_ref_freeze(folio, 2))
		return false;
	if (folio_test_flag(folio, PG_dirty)) {
		folio_ref_unfreeze(folio, 2);
		return false;
	}
	race_window(RACE_REMOVE_MAPPING, folio);
	__delete_from_swap_cache(vm, folio);
	folio_ref_unfreeze(folio, 1);
	return true;
}

/*
 * activate_locked: a folio reclaim will not take (referenced, no slot, not unmapped, a write
 * error) goes back active, counted in pgactivate. Once swap is over half full it gives up
 * its slot if no swap PTE needs it (it is not a candidate for swapping now). Folio locked.
 */
static bool activate_locked(struct anonvm *vm, struct folio *folio)
{
	if (folio_test_flag(folio, PG_swapcache) && vm_swap_full(vm))
		folio_free_swap(vm, folio);
	folio_set_flag(folio, PG_active);
	count_vm_event(vm, pgactivate);
	return false;
}

/* One isolated folio; true when it was freed. */
static bool shrink_folio(struct anonvm *vm, struct folio *folio, bool ignore_references)
{
	if (!folio_test_anon(folio) && !folio_test_flag(folio, PG_swapcache)) {
		/*
		 * shmem: without a file rmap, anonvm reclaims only what no page table maps (the
		 * pages MADV_PAGEOUT unmapped, or not mapped at all); shmem_writeout moves it to
		 * the swap cache, and it goes on as an anonymous folio would. No mapping: the
		 * file was freed since the folio was isolated (truncated under the folio lock,
		 * shmem_put_cached): our reference is the last, the putback frees it.
		 */
		if (!folio->mapping || folio_mapped(folio) || shmem_writeout(folio))
			return false;
	}
	if (!ignore_references && folio_mapped(folio)) {
		switch (folio_check_references(vm, folio)) {
		case FOLIOREF_ACTIVATE:
			return activate_locked(vm, folio);
		case FOLIOREF_KEEP:
			return false;
		case FOLIOREF_RECLAIM:
			break;
		}
	}
	/* anonymous and not yet in the swap cache: a slot first (add_to_swap) */
	if (folio_test_anon(folio) && !folio_test_flag(folio, PG_swapcache) &&
	    folio_alloc_swap(vm, folio))
		return activate_locked(vm, folio); /* swap is full */
	if (!folio_test_flag(folio, PG_swapcache))
		return false; /* a swap-cache folio read in and already let go of: nothing to do */
	if (folio_mapped(folio)) {
		reclaim_try_to_unmap(vm, folio);
		if (folio_mapped(folio))
			return activate_locked(vm, folio);
	}
	/* pageout: the contents to the slot; an error keeps the folio (dirty, in the cache) */
	if (folio_test_flag(folio, PG_dirty) && swap_write_folio(vm, folio))
		return activate_locked(vm, folio);
	return __remove_mapping(vm, folio);
}

/*
 * shrink_folio_list: every folio of folio_list (isolated: off the LRU, one reference each)
 * is tried; the ones freed leave the list and their frames return to the allocator, the rest
 * go back to the LRU. The number freed.
 */
static unsigned long shrink_folio_list(struct anonvm *vm, struct list_head *folio_list,
				       bool ignore_references)
{
	struct folio *folio, *next;
	unsigned long reclaimed = 0;

	list_for_each_entry_safe(folio, next, folio_list, lru) {
		bool freed = false;

		list_del_init(&folio->lru);
		count_vm_event(vm, pgscan);
		if (folio_trylock(folio)) {
			freed = shrink_folio(vm, folio, ignore_references);
			folio_unlock(folio);
		}
		if (freed) {
			folio_clear_flag(folio, PG_active);
			folio_put(vm->ram, folio); /* the isolation's reference: the last one */
			reclaimed++;
			count_vm_event(vm, pgsteal);
		} else {
			folio_putback_lru(vm->ram, folio);
		}
	}
	return reclaimed;
}

/* MADV_PAGEOUT's folios start inactive: one that is kept goes back to the inactive list. */
unsigned long reclaim_pages(struct anonvm *vm, struct list_head *folio_list)
{
	struct folio *folio;

	list_for_each_entry(folio, folio_list, lru)
		folio_clear_flag(folio, PG_active);
	return shrink_folio_list(vm, folio_list, true);
}

/*
 * Isolate up to nr folios from the tail of list l onto dst; the number isolated. The
 * reference comes first, and only then is a folio taken off its list and PG_lru cleared, as
 * in Linux: a final folio_put that finds PG_lru clear frees the frame without lru_lock, the
 * frame may be allocated again at once, and a folio_try_get made after the clear would take
 * a reference on that next folio and isolate it, while its owner puts it on the LRU.
 */
static unsigned long isolate_lru_folios(struct lruvec *lruvec, enum lru_list l,
					unsigned long nr, struct list_head *dst)
{
	unsigned long taken = 0, scan;

	spin_lock(&lruvec->lru_lock);
	for (scan = lruvec->nr[l]; scan && taken < nr; scan--) {
		struct folio *folio = list_last_entry(&lruvec->lists[l], struct folio, lru);

		if (!folio_try_get(folio)) {
			/*
			 * Being freed: its final put saw PG_lru and waits for lru_lock to take
			 * it off (lru_del_freed). Out of the way, to the head.
			 */
			list_move(&folio->lru, &lruvec->lists[l]);
			continue;
		}
		list_del_init(&folio->lru);
		lruvec->nr[l]--;
		folio_clear_flag(folio, PG_lru);
		race_window(RACE_LRU_ISOLATE, folio);
		list_add(&folio->lru, dst);
		taken++;
	}
	spin_unlock(&lruvec->lru_lock);
	return taken;
}

/*
 * shrink_active_list: the oldest active folios go inactive, their young PTEs cleared on
 * the way (anonymous folios are deactivated even when referenced, as Linux does).
 */
static void shrink_active_list(struct anonvm *vm, unsigned long nr)
{
	struct lruvec *lruvec = &vm->ram->lruvec;
	struct folio *folio, *next;
	unsigned long vm_flags;
	LIST_HEAD(hold);

	isolate_lru_folios(lruvec, LRU_ACTIVE_ANON, nr, &hold);
	list_for_each_entry_safe(folio, next, &hold, lru) {
		list_del_init(&folio->lru);
		if (folio_mapped(folio) && folio_trylock(folio)) {
			(void)reclaim_folio_referenced(vm, folio, &vm_flags);
			folio_unlock(folio);
		}
		folio_clear_flag(folio, PG_active);
		count_vm_event(vm, pgdeactivate);
		folio_putback_lru(vm->ram, folio);
	}
}

/* shrink_inactive_list: reclaim from the oldest inactive folios. The number freed. */
static unsigned long shrink_inactive_list(struct anonvm *vm, unsigned long nr)
{
	LIST_HEAD(folio_list);

	if (!isolate_lru_folios(&vm->ram->lruvec, LRU_INACTIVE_ANON, nr, &folio_list))
		return 0;
	return shrink_folio_list(vm, &folio_list, false);
}

/* More active than inactive folios: age the active list first (inactive_is_low). */
static bool inactive_is_low(struct lruvec *lruvec)
{
	bool low;

	spin_lock(&lruvec->lru_lock);
	low = lruvec->nr[LRU_INACTIVE_ANON] < lruvec->nr[LRU_ACTIVE_ANON];
	spin_unlock(&lruvec->lru_lock);
	return low;
}

/* Priorities: each round scans a larger share of the lists (DEF_PRIORITY 12 down to 0). */
#define DEF_PRIORITY 12

int anonvm_reclaim(struct anonvm *vm, unsigned long nr, unsigned long *reclaimed)
{
	unsigned long freed = try_to_free_pages(vm, nr);

	if (reclaimed)
		*reclaimed = freed;
	return 0;
}

/* can_reclaim_anon_pages: anonymous memory goes only to a free swap slot. */
static bool can_reclaim_anon_pages(struct anonvm *vm)
{
	struct swap_info_struct *si = vm->swap;
	bool can;

	spin_lock(&si->lock);
	can = si->max > 1 && si->inuse_pages < si->max - 1;
	spin_unlock(&si->lock);
	return can;
}

unsigned long try_to_free_pages(struct anonvm *vm, unsigned long nr)
{
	struct lruvec *lruvec = &vm->ram->lruvec;
	unsigned long reclaimed = 0;

	/* without a free slot the anonymous lists are not even scanned (get_scan_count) */
	if (!can_reclaim_anon_pages(vm))
		return 0;

	for (int priority = DEF_PRIORITY; priority >= 0 && reclaimed < nr; priority--) {
		unsigned long size, scan;

		spin_lock(&lruvec->lru_lock);
		size = lruvec->nr[LRU_INACTIVE_ANON] + lruvec->nr[LRU_ACTIVE_ANON];
		spin_unlock(&lruvec->lru_lock);
		if (!size)
			break;
		scan = (size >> priority) > SWAP_CLUSTER_MAX ? size >> priority : SWAP_CLUSTER_MAX;
		while (scan && reclaimed < nr) {
			unsigned long batch = scan < SWAP_CLUSTER_MAX ? scan : SWAP_CLUSTER_MAX;

			if (inactive_is_low(lruvec))
				shrink_active_list(vm, batch);
			reclaimed += shrink_inactive_list(vm, batch);
			scan -= batch;
		}
	}
	return reclaimed;
}
