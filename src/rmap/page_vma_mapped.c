// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap/page_vma_mapped.c: page_vma_mapped_walk (kernel: mm/page_vma_mapped.c), the step
 * every rmap user shares: does the PTE of address in vma map this folio (or, with
 * PVMW_MIGRATION, hold its migration entry)? Found, it is returned with its page-table lock
 * held, so that the caller can change it.
 *
 * anonvm's folios are single pages, so a walk looks at one PTE: the first call locks and
 * checks it; the next one (if the first matched) unlocks and ends the walk.
 *
 * Locks: takes the page-table lock of the PTE (pte_offset_map_lock). The caller holds the
 * anon_vma (read) of the walk that found vma, which keeps vma alive (a VMA leaves its
 * anon_vmas under their write lock before it is freed); its page tables are looked up under
 * RCU, and the PTE table found is confirmed once its lock is held (pgtable.h).
 */
#include "internal.h"
#include "memory.h"

static bool check_pte(const struct page_vma_mapped_walk *pvmw, unsigned long pfn)
{
	pte_t pte = *pvmw->pte;

	if (pvmw->flags & PVMW_MIGRATION)
		return is_migration_pte(pte) && swp_offset(pte_to_swp_entry(pte)) == pfn;
	return pte_present(pte) && pte_pfn(pte) == pfn;
}

bool page_vma_mapped_walk(struct page_vma_mapped_walk *pvmw)
{
	struct vm_area_struct *vma = pvmw->vma;
	unsigned long pfn = folio_pfn(vma_machine(vma)->ram, pvmw->folio);

	if (pvmw->pte) {
		/* the folio's one page was returned: the walk is over */
		page_vma_mapped_walk_done(pvmw);
		return false;
	}
	if (pvmw->address < vma->vm_start || pvmw->address >= vma->vm_end)
		return false;
	pvmw->pte = pte_offset_map_lock(vma->vm_mm, pvmw->address, &pvmw->ptl);
	if (!pvmw->pte)
		return false;
	if (check_pte(pvmw, pfn))
		return true;
	page_vma_mapped_walk_done(pvmw);
	return false;
}
