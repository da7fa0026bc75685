// SPDX-License-Identifier: GPL-2.0-only
/*
 * reclaim/migrate.c: page migration (kernel: mm/migrate.c migrate_pages for one anonymous
 * folio, and the public anonvm_migrate): move a folio's contents and state to a new frame
 * while every process that maps it keeps seeing the same bytes.
 *
 *   the caller isolates it from the LRU; lock it, pin its anon_vma (folio_get_anon_vma);
 *   try_to_migrate: each PTE that maps it becomes a migration entry (the rmap walk finds
 *   them all in the machine's design);
 *   check that nothing else holds it (the isolation and the swap cache are expected);
 *   copy the contents, mapping, index and flags to the new folio; hand it the swap-cache slot;
 *   remove_migration_ptes: each migration entry becomes a PTE of the new folio (found through
 *   the new folio's reverse map, which is the old one's);
 *   the old frame is freed, the new folio goes on the LRU.
 * On failure the migration entries become PTEs of the old folio again: nothing changed.
 *
 * A fault on a migration entry waits for the migration to end and retries
 * (migration_entry_wait).
 *
 * Locks: folio lock (old, then new: new is not reachable) > anon_vma root rwsem (read, by the
 * walks) > page-table lock > swap lock, LRU lock. The caller holds no lock but, for
 * anonvm_migrate, the mmap_lock (read) of the mm it names.
 */
#include <errno.h>
#include <sched.h>

#include "swap.h"
#include "vma.h"

void migration_entry_wait(void)
{
	sched_yield();
}

/* folio_migrate_flags: the state a folio's new frame inherits. */
static void folio_migrate_flags(struct folio *new, struct folio *old)
{
	static const enum pageflags kept[] = { PG_uptodate, PG_dirty, PG_active, PG_referenced };

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (folio_test_flag(old, kept[i]))
			folio_set_flag(new, kept[i]);
}

int migrate_folio(struct anonvm *vm, struct folio *folio)
{
	struct ram *ram = vm->ram;
	struct anon_vma *anon_vma;
	struct folio *new;
	int ret;

	VM_BUG_ON(folio_test_flag(folio, PG_lru) || !folio_test_anon(folio));
	folio_lock(folio);
	anon_vma = folio_get_anon_vma(folio);
	ret = -EBUSY;
	if (!anon_vma)
		goto out_unlock; /* unmapped meanwhile */
	new = folio_alloc(ram); /* may reclaim: folio is isolated and locked, nothing else held */
	ret = -ENOMEM;
	if (!new)
		goto out_put_anon_vma;
	folio_trylock(new); /* not visible yet: it succeeds */

	try_to_migrate(folio);
	/*
	 * A mapping that could not be replaced, or a reference we do not know (a pin). The count
	 * stays frozen until new has folio's place in the swap cache: a lookup meanwhile fails.
	 */
	ret = -EBUSY;
	if (folio_mapped(folio) ||
	    !folio_ref_freeze(folio, 1 + folio_test_flag(folio, PG_swapcache)))
		goto out_restore;

	/* point of no return: new takes folio's place */
	folio_copy(ram, new, folio);
	new->index = folio->index;
	__atomic_store_n(&new->mapping, folio->mapping, __ATOMIC_RELEASE);
	folio_migrate_flags(new, folio);
	if (folio_test_flag(folio, PG_swapcache))
		swap_cache_replace_folio(vm, folio, new);
	folio_ref_unfreeze(folio, 1); /* the isolation's; the cache's went to new */
	remove_migration_ptes(folio, new);
	folio_unlock(new);
	folio_putback_lru(ram, new); /* our allocation reference goes with it */
	put_anon_vma(anon_vma);
	folio_unlock(folio);
	folio_put(ram, folio); /* the isolation's reference: the last one */
	count_vm_event(vm, pgmigrate_success);
	return 0;

out_restore:
	remove_migration_ptes(folio, folio);
	folio_unlock(new);
	folio_put(ram, new);
out_put_anon_vma:
	put_anon_vma(anon_vma);
out_unlock:
	folio_unlock(folio);
	folio_putback_lru(ram, folio);
	count_vm_event(vm, pgmigrate_fail);
	return ret;
}

int anonvm_migrate(struct anonvm_mm *handle, unsigned long addr, unsigned long len,
		   unsigned long *nr_moved)
{
	struct mm_struct *mm = mm_of(handle);
	unsigned long moved = 0, end = addr + len;
	int ret = 0;

	if (nr_moved)
		*nr_moved = 0;
	if (!PAGE_ALIGNED(addr) || end < addr || end > TASK_SIZE)
		return -EINVAL;
	mmap_read_lock(mm);
	for (; addr < PAGE_ALIGN(end) && !ret; addr += PAGE_SIZE) {
		struct vm_area_struct *vma;
		struct folio *folio;
		spinlock_t *ptl;
		pte_t *ptep;
		int err;

		/* only where a PTE is: the cost follows what is mapped, not len */
		addr = next_pte_addr(mm, addr, PAGE_ALIGN(end));
		if (addr >= PAGE_ALIGN(end))
			break;
		vma = vma_lookup(mm, addr);
		if (!vma)
			continue;
		/* the folio this PTE maps, referenced (the kernel's folio_walk in do_pages_move) */
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		if (!ptep)
			continue;
		folio = pte_present(*ptep) ? pfn_folio(mm->vm->ram, pte_pfn(*ptep)) : NULL;
		if (folio && (is_zero_folio(folio) || !folio_test_anon(folio)))
			folio = NULL;
		if (folio)
			folio_get(folio);
		pte_unmap_unlock(ptep, ptl);
		if (!folio)
			continue;
		/* isolated, the isolation's reference is enough (do_pages_move) */
		err = folio_isolate_lru(mm->vm->ram, folio) ? 0 : -EBUSY;
		folio_put(mm->vm->ram, folio);
		if (!err)
			err = migrate_folio(mm->vm, folio);
		if (!err)
			moved++;
		else if (err == -ENOMEM)
			ret = err;
	}
	mmap_read_unlock(mm);
	if (nr_moved)
		*nr_moved = moved;
	return ret;
}
