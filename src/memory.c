// SPDX-License-Identifier: GPL-2.0-only
/*
 * memory.c: page faults (anonymous, COW, shared, swap-in), user accesses through the
 * modelled MMU, and the page-level work of the VMA operations (docs/semantics.md §4):
 * zap_vma_range, copy_page_range, move_page_tables, change_protection,
 * populate_vma_page_range, madvise_cold_or_pageout. Kernel counterparts: mm/memory.c,
 * mm/mprotect.c (change_pte_range), mm/mremap.c (move_ptes), mm/gup.c
 * (populate_vma_page_range), mm/madvise.c (madvise_cold_or_pageout_pte_range).
 *
 * Invariants kept here (checked by the validator):
 *   for every folio F other than the zero page:
 *     F->mapcount == PTEs mapping F;
 *     F->refcount == F->mapcount (+ 1 if in a shmem page cache or the swap cache)
 *                    + temporary references;
 *   a writable PTE of a private VMA maps an anonymous folio with PG_anon_exclusive;
 *   the zero page is mapped read-only, only in private VMAs, and never counted;
 *   get_mm_counter(mm, MM_ANONPAGES) == PTEs of mm mapping anonymous folios (and migration
 *   entries, while a migration runs); MM_SHMEMPAGES == PTEs mapping shmem pages;
 *   MM_SWAPENTS == swap PTEs of mm, each holding one reference of its slot.
 *
 * Locks: the PTE lock is the split page-table lock of the PTE's table (pgtable.h). Faults
 * run under the VMA read lock (FAULT_FLAG_VMA_LOCK) or mmap_lock; nothing is allocated under
 * a page-table lock: a fault reads the PTE, drops the lock, allocates (a table with
 * __pte_alloc, a folio with folio_alloc, which may reclaim), retakes the lock and installs
 * only if the PTE is unchanged; fork preallocates and retries. Two PTE locks at once: fork
 * (the child's table, then the parent's, nested) and mremap (old, then new, nested). Order:
 * folio lock > anon_vma root rwsem > page_table_lock > PTE lock > shmem_file lock, swap
 * lock, LRU lock, ram lock; under the PTE lock the folio lock is only try-locked
 * (wp_can_reuse_anon_folio, zap's free_swap_cache).
 */
#include <errno.h>
#include <string.h>

#include "memory.h"
#include "reclaim/swap.h"
#include "rmap.h"
#include "vma.h"

static inline struct ram *vma_ram(const struct vm_area_struct *vma)
{
	return vma->vm_mm->vm->ram;
}

static inline struct folio *pte_folio(const struct ram *ram, pte_t pte)
{
	return pfn_folio(ram, pte_pfn(pte));
}

/* A PTE for folio in vma: writable only if the VMA is writable (maybe_mkwrite). */
static pte_t mk_pte(const struct vm_area_struct *vma, struct folio *folio, bool write)
{
	return pfn_pte(folio_pfn(vma_ram(vma), folio), write && (vma->vm_flags & VM_WRITE));
}

/*
 * The arch fault handler's access_error(): a write needs VM_WRITE, a read any of
 * VM_READ | VM_WRITE | VM_EXEC (x86 cannot express write-only or exec-only pages).
 */
static bool access_error(const struct vm_area_struct *vma, unsigned int flags)
{
	if (flags & FAULT_FLAG_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	return !(vma->vm_flags & VM_ACCESS_FLAGS);
}

/*
 * Give the faulting VMA an anon_vma (vmf_anon_prepare). Under the VMA lock the neighbours
 * may change, so anon_vma_prepare needs mmap_lock: try it, else ask for a retry.
 */
static int vmf_anon_prepare(struct vm_area_struct *vma, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	int ret;

	if (vma_anon_vma_acquire(vma))
		return 0;
	if ((flags & FAULT_FLAG_VMA_LOCK) && !mmap_read_trylock(mm))
		return -EAGAIN;
	ret = anon_vma_prepare(vma);
	if (flags & FAULT_FLAG_VMA_LOCK)
		mmap_read_unlock(mm);
	return ret;
}

/* §4 do_anonymous_page: the first touch of a private page. */
static int do_anonymous_page(struct vm_area_struct *vma, unsigned long addr, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anonvm *vm = mm->vm;
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *ptep;
	int ret;

	if (!(flags & FAULT_FLAG_WRITE)) {
		/* read: map the zero page; no anon_vma, no mapcount */
		ptep = pte_alloc_map_lock(mm, addr, &ptl);
		if (!ptep)
			return -ENOMEM;
		if (pte_none(*ptep)) {
			set_pte_at(mm, addr, ptep, pfn_pte(ZERO_PFN, false));
			count_vm_event(vm, fault_zero);
		}
		pte_unmap_unlock(ptep, ptl);
		return 0;
	}

	ret = vmf_anon_prepare(vma, flags);
	if (ret)
		return ret;
	folio = folio_alloc_uptodate(vm->ram, NULL);
	if (!folio)
		return -ENOMEM;

	ptep = pte_alloc_map_lock(mm, addr, &ptl);
	if (!ptep || !pte_none(*ptep)) {
		/* no memory for a table, or another thread faulted the page in */
		if (ptep)
			pte_unmap_unlock(ptep, ptl);
		folio_put(vm->ram, folio);
		return ptep ? 0 : -ENOMEM;
	}
	folio_add_new_anon_rmap(folio, vma, addr, true);
	folio_add_lru(vm->ram, folio);
	add_mm_counter(mm, mm_counter(folio), 1);
	set_pte_at(mm, addr, ptep, pte_mkdirty(mk_pte(vma, folio, true)));
	pte_unmap_unlock(ptep, ptl);
	count_vm_event(vm, fault_anon);
	return 0;
}

/*
 * wp_can_reuse_anon_folio for a small folio: a KSM folio, or one with another reference
 * (another mapping, a pin), must be copied. The counts are checked once cheaply (the swap
 * cache may hold one more), then under the folio lock, which keeps the swap cache and KSM from
 * changing them, after the swap cache's reference is dropped if no swap PTE needs the slot any
 * more (folio_free_swap). Reuse moves the folio to this VMA's anon_vma. PTE lock held.
 */
static bool wp_can_reuse_anon_folio(struct folio *folio, struct vm_area_struct *vma)
{
	if (folio_test_ksm(folio) || folio_ref_count(folio) > 3)
		return false;
	if (folio_ref_count(folio) > 1 + folio_test_flag(folio, PG_swapcache))
		return false;
	if (!folio_trylock(folio))
		return false;
	if (folio_test_flag(folio, PG_swapcache))
		folio_free_swap(vma->vm_mm->vm, folio);
	if (folio_test_ksm(folio) || folio_ref_count(folio) != 1) {
		folio_unlock(folio);
		return false;
	}
	folio_move_anon_rmap(folio, vma);
	folio_unlock(folio);
	return true;
}

/*
 * wp_page_reuse: write-enable the PTE in place (young and dirty, as the access will make it)
 * and release the PTE lock.
 */
static void wp_page_reuse(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep,
			  spinlock_t *ptl)
{
	struct mm_struct *mm = vma->vm_mm;

	set_pte_at(mm, addr, ptep, pte_mkdirty(pte_mkyoung(pte_mkwrite(*ptep))));
	pte_unmap_unlock(ptep, ptl);
	count_vm_event(mm->vm, wp_reuse);
}

/* The copy half of do_wp_page (wp_page_copy). Called without the PTE lock. */
static int wp_page_copy(struct vm_area_struct *vma, unsigned long addr, pte_t orig,
			unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct ram *ram = vma_ram(vma);
	struct folio *old = pte_folio(ram, orig), *new;
	bool zero = is_zero_folio(old);
	spinlock_t *ptl;
	pte_t *ptep;
	int ret;

	ret = vmf_anon_prepare(vma, flags);
	if (ret)
		goto out;
	ret = -ENOMEM;
	new = folio_alloc_uptodate(ram, old);
	if (!new)
		goto out;

	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || ptep->val != orig.val) {
		/* someone else resolved the fault (or unmapped the page) meanwhile */
		if (ptep)
			pte_unmap_unlock(ptep, ptl);
		folio_put(ram, new);
		ret = 0;
		goto out;
	}
	folio_add_new_anon_rmap(new, vma, addr, true);
	folio_add_lru(ram, new);
	set_pte_at(mm, addr, ptep, pte_mkdirty(mk_pte(vma, new, true)));
	if (zero) {
		add_mm_counter(mm, mm_counter(new), 1);
	} else {
		folio_remove_rmap_pte(old, vma);
		folio_put(ram, old); /* the old PTE's reference */
	}
	pte_unmap_unlock(ptep, ptl);
	count_vm_event(mm->vm, wp_copy);
	ret = 0;
out:
	if (!zero)
		folio_put(ram, old); /* do_wp_page's temporary reference */
	return ret;
}

/*
 * §4 do_wp_page: a write to a present, write-protected PTE of a writable VMA. Entered with the
 * PTE lock held; returns with it released.
 */
static int do_wp_page(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep,
		      spinlock_t *ptl, unsigned int flags)
{
	pte_t orig = *ptep;
	struct folio *folio = pte_folio(vma_ram(vma), orig);

	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) {
		/* wp_page_shared without page_mkwrite: shmem needs no write notification */
		wp_page_reuse(vma, addr, ptep, ptl);
		return 0;
	}
	if (folio_test_anon(folio) && (folio_test_flag(folio, PG_anon_exclusive) ||
				       wp_can_reuse_anon_folio(folio, vma))) {
		folio_set_flag(folio, PG_anon_exclusive);
		wp_page_reuse(vma, addr, ptep, ptl);
		return 0;
	}
	if (!is_zero_folio(folio))
		folio_get(folio);
	pte_unmap_unlock(ptep, ptl);
	return wp_page_copy(vma, addr, orig, flags);
}

/* Map a shmem page at addr (PTE lock held, PTE none). Writable follows the VMA. */
static void shmem_map_page(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep,
			   struct folio *folio, bool write)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t pte = mk_pte(vma, folio, true);

	folio_get(folio);
	folio_add_file_rmap_pte(folio, vma);
	add_mm_counter(mm, mm_counter(folio), 1);
	set_pte_at(mm, addr, ptep, write ? pte_mkdirty(pte) : pte);
}

#define FAULT_AROUND_PAGES 16 /* /sys/kernel/mm/.../fault_around_bytes default: 64 KiB */

/*
 * do_fault_around: a read fault on a shared mapping first maps the pages of the surrounding
 * 16-page aligned block that are already in the page cache, clamped to the VMA and to the
 * PTE table of addr:
 *	from = max(ALIGN_DOWN(pte_off, 16), pte_off - vma_off)
 *	to   = min(from + 16, PTRS_PER_TABLE, pte_off + (vma_pages - vma_off))  (exclusive)
 * with pte_off the index of addr in its PTE table and vma_off its page offset in the VMA.
 * Returns true when the faulting page itself got mapped. PTE lock held.
 */
static bool do_fault_around(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	unsigned long pte_off = (addr >> PAGE_SHIFT) % PTRS_PER_TABLE;
	unsigned long vma_off = (addr - vma->vm_start) >> PAGE_SHIFT;
	/* index i of the table: address table_addr + i * PAGE_SIZE, PTE table[i] */
	unsigned long table_addr = addr - pte_off * PAGE_SIZE;
	pte_t *table = ptep - pte_off;
	unsigned long from, to, i;

	from = pte_off - pte_off % FAULT_AROUND_PAGES;
	if (pte_off - from > vma_off)
		from = pte_off - vma_off;
	to = from + FAULT_AROUND_PAGES;
	if (to > PTRS_PER_TABLE)
		to = PTRS_PER_TABLE;
	if (to > pte_off + vma_pages(vma) - vma_off)
		to = pte_off + vma_pages(vma) - vma_off;
	for (i = from; i < to; i++) {
		unsigned long a = table_addr + i * PAGE_SIZE;
		struct folio *folio;

		unsigned long pgoff = linear_page_index(vma, a);

		if (!pte_none(table[i]))
			continue;
		/* filemap_map_pages: only what is in memory and can be locked at once */
		folio = shmem_find_folio(vma->vm_file, pgoff);
		if (!folio)
			continue;
		if (shmem_lock_folio(vma->vm_file, folio, pgoff, true)) {
			shmem_map_page(vma, a, &table[i], folio, false);
			folio_unlock(folio);
		}
		folio_put(vma_ram(vma), folio);
	}
	return !pte_none(*ptep);
}

/* A fault on a none PTE of a shared mapping (do_read_fault / do_shared_fault). */
static int do_shmem_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	bool write = flags & FAULT_FLAG_WRITE;
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *ptep;
	int ret;

	count_vm_event(mm->vm, fault_shmem);
	if (!write) {
		bool done;

		ptep = pte_alloc_map_lock(mm, addr, &ptl);
		if (!ptep)
			return -ENOMEM;
		done = do_fault_around(vma, addr, ptep);
		pte_unmap_unlock(ptep, ptl);
		if (done)
			return 0;
	}
	ret = shmem_get_folio(vma->vm_file, linear_page_index(vma, addr), &folio);
	if (ret)
		return ret;
	ptep = pte_alloc_map_lock(mm, addr, &ptl);
	if (ptep) {
		if (pte_none(*ptep))
			shmem_map_page(vma, addr, ptep, folio, write);
		pte_unmap_unlock(ptep, ptl);
	}
	folio_unlock(folio);
	folio_put(vma_ram(vma), folio);
	return ptep ? 0 : -ENOMEM;
}

/*
 * should_try_to_free_swap: after a swap-in, let the swap cache go when swap is getting full
 * or the VMA is locked, or when this write fault's mapping will be the folio's only user (our
 * reference and the cache's make 2).
 */
static bool should_try_to_free_swap(struct folio *folio, struct vm_area_struct *vma,
				    unsigned int flags)
{
	if (!folio_test_flag(folio, PG_swapcache))
		return false;
	if (vm_swap_full(vma->vm_mm->vm) || (vma->vm_flags & VM_LOCKED))
		return true;
	return (flags & FAULT_FLAG_WRITE) && !folio_test_ksm(folio) && folio_ref_count(folio) == 2;
}

/*
 * §4 do_swap_page: a fault on the swap PTE orig. The folio comes from the swap cache or is
 * read from its slot (swapin_folio, with no page-table lock held); under the PTE lock, if the
 * PTE is unchanged, the swap PTE's reference goes, the folio is mapped (writable and
 * AnonExclusive when the swap PTE said exclusive, or when nothing else can reach it), and a
 * write that still needs a COW decision goes on to do_wp_page.
 */
static int do_swap_page(struct vm_area_struct *vma, unsigned long addr, pte_t orig,
			unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anonvm *vm = mm->vm;
	swp_entry_t entry = pte_to_swp_entry(orig);
	struct folio *folio;
	bool exclusive;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	int ret = 0;

	VM_BUG_ON(!vma->anon_vma); /* swap PTEs exist only where anonymous pages were */
	folio = swapin_folio(vm, entry, &ret);
	if (!folio)
		return ret == -EAGAIN ? 0 : ret; /* the PTE changed: the access retries */
	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || ptep->val != orig.val) {
		if (ptep)
			pte_unmap_unlock(ptep, ptl);
		folio_unlock(folio);
		folio_put(vm->ram, folio);
		return 0;
	}
	count_vm_event(vm, fault_swap);
	exclusive = pte_swp_exclusive(orig);
	swap_free(vm, entry);
	if (should_try_to_free_swap(folio, vma, flags))
		folio_free_swap(vm, folio);
	add_mm_counter(mm, MM_ANONPAGES, 1);
	add_mm_counter(mm, MM_SWAPENTS, -1);
	pte = mk_pte(vma, folio, false);
	/* certainly not shared: the swap PTE said so, or no other reference exists */
	if (exclusive || folio_ref_count(folio) == 1) {
		if (vma->vm_flags & VM_WRITE) {
			pte = pte_mkwrite(pte);
			if (flags & FAULT_FLAG_WRITE) {
				pte = pte_mkdirty(pte);
				flags &= ~FAULT_FLAG_WRITE;
			}
		}
		exclusive = true;
	}
	if (!folio_test_anon(folio)) {
		/* read from swap: a folio that may be shared points to the family's root */
		folio_add_new_anon_rmap(folio, vma, addr, exclusive);
	} else {
		folio_add_anon_rmap_pte(folio, vma, addr);
		if (exclusive)
			folio_set_flag(folio, PG_anon_exclusive);
	}
	set_pte_at(mm, addr, ptep, pte);
	folio_unlock(folio); /* our reference is the mapping's now */
	if (flags & FAULT_FLAG_WRITE)
		return do_wp_page(vma, addr, ptep, ptl, flags);
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

int handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr = address & PAGE_MASK;
	spinlock_t *ptl;
	pte_t *ptep, pte;

	VM_BUG_ON(addr < vma->vm_start || addr >= vma->vm_end || access_error(vma, flags));
	count_vm_event(mm->vm, fault);
	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || pte_none(*ptep)) {
		if (ptep)
			pte_unmap_unlock(ptep, ptl);
		if (vma_is_anonymous(vma))
			return do_anonymous_page(vma, addr, flags);
		return do_shmem_fault(vma, addr, flags);
	}
	pte = *ptep;
	if (!pte_present(pte)) {
		pte_unmap_unlock(ptep, ptl);
		if (is_migration_pte(pte)) {
			migration_entry_wait(); /* then the access retries */
			return 0;
		}
		return do_swap_page(vma, addr, pte, flags);
	}
	if ((flags & FAULT_FLAG_WRITE) && !pte_write(pte))
		return do_wp_page(vma, addr, ptep, ptl, flags);
	/* spurious: another thread resolved it; the access sets young (and dirty) */
	pte = pte_mkyoung(pte);
	if (flags & FAULT_FLAG_WRITE)
		pte = pte_mkdirty(pte);
	set_pte_at(mm, addr, ptep, pte);
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

/*
 * The MMU: if the PTE of addr allows the access, set young (and dirty) and move the bytes
 * (len within the page; buf NULL: touch only). False: the access faults.
 */
static bool mmu_access(struct mm_struct *mm, unsigned long addr, void *buf, size_t len,
		       bool write)
{
	struct ram *ram = mm->vm->ram;
	bool ok = false;
	spinlock_t *ptl;
	pte_t *ptep, pte;

	ptep = pte_offset_map_lock(mm, addr & PAGE_MASK, &ptl);
	if (!ptep)
		return false;
	if (!pte_present(*ptep) || (write && !pte_write(*ptep)))
		goto out;
	pte = pte_mkyoung(*ptep);
	if (write)
		pte = pte_mkdirty(pte);
	set_pte_at(mm, addr & PAGE_MASK, ptep, pte);
	if (buf) {
		unsigned char *p = folio_address(ram, pte_folio(ram, pte));

		if (!p) {
			if (!write)
				memset(buf, 0, len); /* metadata-only: no contents */
		} else if (write) {
			memcpy(p + (addr & ~PAGE_MASK), buf, len);
		} else {
			memcpy(buf, p + (addr & ~PAGE_MASK), len);
		}
	}
	ok = true;
out:
	pte_unmap_unlock(ptep, ptl);
	return ok;
}

/* Access one page of vma (locked) as the CPU would: fault until the MMU allows it. */
static int access_vma_page(struct vm_area_struct *vma, unsigned long addr, void *buf, size_t len,
			   unsigned int flags)
{
	int ret;

	if (access_error(vma, flags))
		return -EFAULT;
	while (!mmu_access(vma->vm_mm, addr, buf, len, flags & FAULT_FLAG_WRITE)) {
		ret = handle_mm_fault(vma, addr, flags);
		if (ret)
			return ret;
	}
	return 0;
}

/* One page of a user access: per-VMA lock first, mmap_lock when that fails or asks. */
static int access_page(struct mm_struct *mm, unsigned long addr, void *buf, size_t len,
		       unsigned int flags)
{
	struct vm_area_struct *vma;
	int ret;

	vma = lock_vma_under_rcu(mm, addr);
	if (vma) {
		ret = access_vma_page(vma, addr, buf, len, flags | FAULT_FLAG_VMA_LOCK);
		vma_end_read(vma);
		if (ret != -EAGAIN)
			return ret;
	}
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	ret = vma ? access_vma_page(vma, addr, buf, len, flags) : -EFAULT;
	mmap_read_unlock(mm);
	return ret;
}

static int user_access(struct mm_struct *mm, unsigned long addr, void *buf, size_t len,
		       bool write, unsigned long *fault_addr)
{
	unsigned int flags = FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0);
	size_t done = 0;
	int ret;

	while (done < len) {
		size_t chunk = PAGE_SIZE - (addr & ~PAGE_MASK);

		if (chunk > len - done)
			chunk = len - done;
		ret = addr < TASK_SIZE ? access_page(mm, addr, (char *)buf + done, chunk, flags)
				       : -EFAULT;
		if (ret) {
			if ((ret == -EFAULT || ret == -EIO) && fault_addr)
				*fault_addr = addr;
			return ret;
		}
		done += chunk;
		addr += chunk;
	}
	return 0;
}

int anonvm_write(struct anonvm_mm *mm, unsigned long addr, const void *buf, size_t len,
		 unsigned long *fault_addr)
{
	return user_access(mm_of(mm), addr, (void *)buf, len, true, fault_addr);
}

int anonvm_read(struct anonvm_mm *mm, unsigned long addr, void *buf, size_t len,
		unsigned long *fault_addr)
{
	return user_access(mm_of(mm), addr, buf, len, false, fault_addr);
}

int faultin_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		       bool write)
{
	unsigned int flags = write ? FAULT_FLAG_WRITE : 0;
	unsigned long addr;
	int ret;

	for (addr = start; addr < end; addr += PAGE_SIZE) {
		ret = access_vma_page(vma, addr, NULL, 0, flags);
		if (ret)
			return ret;
	}
	return 0;
}

int populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	/* gup: FOLL_WRITE for private writable mappings only; PROT_NONE is skipped (-EFAULT
	 * that __mm_populate ignores) */
	if (!(vma->vm_flags & VM_ACCESS_FLAGS))
		return 0;
	return faultin_page_range(vma, start, end,
				  (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE);
}

struct cold_walk {
	struct vm_area_struct *vma;
	bool pageout;
	struct list_head folio_list; /* pageout: the folios isolated for reclaim */
};

/*
 * One PTE of madvise_cold_or_pageout_pte_range: only anonymous folios this PTE alone maps
 * (folio_maybe_mapped_shared; not the zero page) are aged: unreferenced, and then cold's PTE
 * made old and its folio moved to the inactive list, or pageout's folio isolated for
 * reclaim_pages (its PTE left young: reclaim_pages ignores references). Swap PTEs are left
 * alone. PTE lock held: the LRU lock nests inside it.
 */
static int cold_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct cold_walk *w = arg;
	struct ram *ram = vma_ram(w->vma);
	pte_t pte = *ptep;
	struct folio *folio;

	if (!pte_present(pte))
		return 0;
	folio = pte_folio(ram, pte);
	if (is_zero_folio(folio) || atomic_load(&folio->mapcount) != 1)
		return 0;
	if (!w->pageout && pte_young(pte))
		set_pte_at(w->vma->vm_mm, addr, ptep, pte_mkold(pte));
	folio_clear_flag(folio, PG_referenced);
	if (!w->pageout) {
		folio_deactivate(ram, folio);
		return 0;
	}
	if (!folio_isolate_lru(ram, folio))
		return 0;
	if (!folio_test_anon(folio)) {
		/*
		 * A shmem folio mapped here alone: reclaim's try_to_unmap would clear this PTE
		 * (a file page's PTE does not become a swap PTE; the data stays reachable
		 * through the page cache). anonvm has no file rmap, so it is done now.
		 */
		pte = ptep_get_and_clear(w->vma->vm_mm, addr, ptep);
		if (pte_dirty(pte))
			folio_set_flag(folio, PG_dirty);
		folio_remove_rmap_pte(folio, w->vma);
		add_mm_counter(w->vma->vm_mm, mm_counter(folio), -1);
		folio_put(ram, folio);
	}
	list_add(&folio->lru, &w->folio_list);
	return 0;
}

int madvise_cold_or_pageout(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			    bool pageout)
{
	struct cold_walk w = { .vma = vma, .pageout = pageout };
	struct mm_struct *mm = vma->vm_mm;
	int ret;

	INIT_LIST_HEAD(&w.folio_list);
	ret = walk_ptes(mm, start, end, cold_pte, &w);
	/* no page-table lock held: reclaim takes them */
	if (pageout)
		reclaim_pages(mm->vm, &w.folio_list);
	return ret;
}

/* A zap's VMA and the folios it unmapped, their references dropped a batch at a time. */
struct zap_details {
	struct vm_area_struct *vma;
	struct folio_batch fb;
};

static int zap_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct zap_details *z = arg;
	struct vm_area_struct *vma = z->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct ram *ram = vma_ram(vma);
	pte_t pte = ptep_get_and_clear(mm, addr, ptep);
	struct folio *folio;

	count_vm_event(mm->vm, zap_ptes);
	if (is_migration_pte(pte)) {
		add_mm_counter(mm, MM_ANONPAGES, -1); /* it held no reference; the rss counted it */
		return 0;
	}
	if (!pte_present(pte)) {
		/* zap_nonpresent_ptes: the slot loses a reference (and its unmapped cache) */
		add_mm_counter(mm, MM_SWAPENTS, -1);
		free_swap_and_cache(mm->vm, pte_to_swp_entry(pte));
		return 0;
	}
	folio = pte_folio(ram, pte);
	if (is_zero_folio(folio))
		return 0;
	/*
	 * The counter first, as zap_present_folio_ptes does: it reads folio->mapping, which
	 * reclaim may clear (shmem_writeout) as soon as the folio is unmapped.
	 */
	add_mm_counter(mm, mm_counter(folio), -1);
	folio_remove_rmap_pte(folio, vma);
	/* free_swap_cache: a swap-cache folio nothing maps any more need not keep its slot */
	if (folio_test_flag(folio, PG_swapcache) && !folio_mapped(folio) && folio_trylock(folio)) {
		folio_free_swap(mm->vm, folio);
		folio_unlock(folio);
	}
	if (!folio_batch_add(&z->fb, folio))
		folios_put(ram, &z->fb);
	return 0;
}

void zap_vma_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct zap_details z = { .vma = vma };

	VM_BUG_ON(start < vma->vm_start || end > vma->vm_end || start > end);
	walk_ptes(mm, start, end, zap_pte, &z);
	folios_put(vma_ram(vma), &z.fb); /* tlb_finish_mmu */
	free_empty_pgtables(mm, start, end);
}

/* The end of the PTE table (2 MiB of addresses) that holds addr, clipped to end. */
static unsigned long pmd_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long next = (addr + PMD_SIZE) & ~(PMD_SIZE - 1);

	return next < end ? next : end;
}

static int found_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	*(unsigned long *)arg = addr;
	return 1;
}

unsigned long next_pte_addr(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	unsigned long addr = end;

	walk_ptes(mm, start, end, found_pte, &addr);
	return addr;
}

struct copy_pte_state {
	struct vm_area_struct *dst_vma, *src_vma;
	pte_t *dst_ptep;        /* the child's slot of dst_addr, in its locked table */
	unsigned long dst_addr;
	struct folio *prealloc; /* a frame for an eager copy, allocated with no lock held */
	unsigned long addr;     /* -EAGAIN: the PTE that needs prealloc */
	unsigned long copied;
};

/* copy_present_page: give the child its own copy (new, preallocated) of src now. */
static void copy_present_page(struct vm_area_struct *dst_vma, unsigned long addr,
			      pte_t *dst_ptep, struct folio *src, struct folio *new)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	struct ram *ram = vma_ram(dst_vma);

	folio_copy(ram, new, src);
	folio_set_flag(new, PG_uptodate);
	folio_add_new_anon_rmap(new, dst_vma, addr, true);
	folio_add_lru(ram, new);
	add_mm_counter(dst_mm, mm_counter(new), 1);
	set_pte_at(dst_mm, addr, dst_ptep, pte_mkdirty(mk_pte(dst_vma, new, true)));
	count_vm_event(dst_mm->vm, fork_eager_copy);
}

/*
 * copy_nonpresent_pte: a swap PTE's slot gains the child's reference, and the parent's
 * exclusive marker goes (both may map the page after a swap-in); a migration entry is copied,
 * made read-only (not exclusive) in both for a COW mapping.
 */
static void copy_nonpresent_pte(struct copy_pte_state *s, pte_t *src_ptep, pte_t *dst_ptep,
				unsigned long addr)
{
	struct mm_struct *src_mm = s->src_vma->vm_mm, *dst_mm = s->dst_vma->vm_mm;
	pte_t pte = *src_ptep;

	if (is_migration_pte(pte)) {
		if (is_cow_mapping(s->src_vma->vm_flags) &&
		    is_exclusive_migration_entry(pte_to_swp_entry(pte))) {
			pte = migration_pte_mkread(pte, false);
			set_pte_at(src_mm, addr, src_ptep, pte);
		}
		add_mm_counter(dst_mm, MM_ANONPAGES, 1);
	} else {
		swap_duplicate(src_mm->vm, pte_to_swp_entry(pte));
		if (pte_swp_exclusive(pte)) {
			pte = pte_swp_clear_exclusive(pte);
			set_pte_at(src_mm, addr, src_ptep, pte);
		}
		add_mm_counter(dst_mm, MM_SWAPENTS, 1);
	}
	set_pte_at(dst_mm, addr, dst_ptep, pte);
}

/*
 * copy_present_pte: one PTE of the parent into the child (both PTE locks held; the child's
 * table exists). -EAGAIN when the page must be copied now and no frame is preallocated.
 */
static int copy_pte(pte_t *src_ptep, unsigned long addr, void *arg)
{
	struct copy_pte_state *s = arg;
	struct mm_struct *src_mm = s->src_vma->vm_mm, *dst_mm = s->dst_vma->vm_mm;
	struct ram *ram = vma_ram(s->src_vma);
	pte_t pte = *src_ptep, *dst_ptep = s->dst_ptep + ((addr - s->dst_addr) >> PAGE_SHIFT);
	struct folio *folio;

	VM_BUG_ON(!pte_none(*dst_ptep));
	s->copied++;
	if (!pte_present(pte)) {
		copy_nonpresent_pte(s, src_ptep, dst_ptep, addr);
		return 0;
	}
	folio = pte_folio(ram, pte);
	if (!is_zero_folio(folio)) {
		VM_BUG_ON(!folio_test_anon(folio)); /* shared VMAs are never copied */
		folio_get(folio);
		if (folio_try_dup_anon_rmap_pte(folio, s->dst_vma, s->src_vma, addr)) {
			/* maybe pinned: the child gets its own copy now */
			folio_put(ram, folio);
			if (!s->prealloc) {
				s->copied--;
				s->addr = addr;
				return -EAGAIN;
			}
			copy_present_page(s->dst_vma, addr, dst_ptep, folio, s->prealloc);
			s->prealloc = NULL;
			return 0;
		}
		add_mm_counter(dst_mm, mm_counter(folio), 1);
	}
	if (is_cow_mapping(s->src_vma->vm_flags) && pte_write(pte)) {
		pte = pte_wrprotect(pte);
		set_pte_at(src_mm, addr, src_ptep, pte);
	}
	set_pte_at(dst_mm, addr, dst_ptep, pte_mkold(pte));
	return 0;
}

/*
 * copy_page_range, one PTE table (2 MiB) at a time, as copy_pte_range does: the child's table
 * is allocated with no lock held and locked, then the parent's is locked (nested: the same
 * lock class) and copied; a page that must be copied eagerly stops the copy (-EAGAIN), a
 * frame is allocated with no lock held, and the copy resumes at that page. The parent's
 * tables cannot go away meanwhile: fork holds its mmap_lock for write.
 */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct mm_struct *src_mm = src_vma->vm_mm, *dst_mm = dst_vma->vm_mm;
	struct copy_pte_state s = { .dst_vma = dst_vma, .src_vma = src_vma };
	unsigned long addr = src_vma->vm_start, end = src_vma->vm_end, next;
	struct ram *ram = vma_ram(src_vma);
	int ret = 0;

	/* vma_needs_copy: without an anon_vma every page can be faulted in again */
	if (!src_vma->anon_vma)
		return 0;
	VM_BUG_ON((dst_vma->vm_flags & VM_WIPEONFORK) || src_mm == dst_mm);
	VM_BUG_ON(dst_vma->vm_start != src_vma->vm_start || dst_vma->vm_end != src_vma->vm_end);
	mmap_assert_write_locked(src_mm);
	while (!ret && (addr = next_pte_addr(src_mm, addr, end)) < end) {
		next = pmd_addr_end(addr, end);
		for (;;) {
			spinlock_t *dst_ptl, *src_ptl;
			pte_t *src_ptep;

			s.dst_ptep = pte_alloc_map_lock(dst_mm, addr, &dst_ptl);
			if (!s.dst_ptep) {
				ret = -ENOMEM;
				break;
			}
			s.dst_addr = addr;
			src_ptep = pte_offset_map_nolock(src_mm, addr, &src_ptl);
			VM_BUG_ON(!src_ptep);
			spin_lock_nested(src_ptl, SINGLE_DEPTH_NESTING);
			ret = walk_pte_range(src_ptep, addr, next, copy_pte, &s);
			spin_unlock(src_ptl);
			pte_unmap_unlock(s.dst_ptep, dst_ptl);
			if (ret != -EAGAIN)
				break;
			addr = s.addr;
			s.prealloc = folio_alloc(ram); /* may reclaim: no lock held */
			if (!s.prealloc) {
				ret = -ENOMEM;
				break;
			}
		}
		addr = next;
	}
	if (s.prealloc)
		folio_put(ram, s.prealloc);
	count_vm_events(src_mm->vm, fork_ptes_copied, s.copied);
	return ret;
}

struct move_pte_state {
	struct mm_struct *mm;
	unsigned long old_addr, new_addr; /* the chunk moved: its first address, and where to */
	pte_t *new_ptep;                  /* the slot of new_addr, in its locked table */
};

static int move_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct move_pte_state *s = arg;
	unsigned long delta = addr - s->old_addr;
	pte_t *new_ptep = s->new_ptep + (delta >> PAGE_SHIFT);

	VM_BUG_ON(!pte_none(*new_ptep));
	/* present, swap and migration PTEs alike move as they are */
	set_pte_at(s->mm, s->new_addr + delta, new_ptep, ptep_get_and_clear(s->mm, addr, ptep));
	return 0;
}

/*
 * Every destination PTE table the move needs: one for each 2 MiB of the destination that
 * receives a PTE, found by walking the source's PTEs (so an untouched range costs nothing).
 * alloc: the missing ones are allocated, with no lock held (0, -ENOMEM); else they are only
 * looked for, page_table_lock held (-EAGAIN when one is missing).
 */
static int move_pte_alloc(struct mm_struct *mm, unsigned long old_addr, unsigned long new_addr,
			  unsigned long len, bool alloc)
{
	unsigned long addr = old_addr, end = old_addr + len;
	spinlock_t *ptl;
	int ret;

	while ((addr = next_pte_addr(mm, addr, end)) < end) {
		unsigned long dst = addr - old_addr + new_addr;

		if (alloc)
			ret = __pte_alloc(mm, dst);
		else
			ret = pte_offset_map_nolock(mm, dst, &ptl) ? 0 : -EAGAIN;
		if (ret)
			return ret;
		addr = pmd_addr_end(dst, new_addr + len) - new_addr + old_addr;
	}
	return 0;
}

/*
 * move_ptes: every PTE of [old_addr, old_addr + len) to the same offset from new_addr, a
 * chunk at a time that lies in one old and one new PTE table: the old table's ptl, then the
 * new one's (nested) if it is another table. The tables exist (move_pte_alloc) and stay:
 * the caller holds page_table_lock, under which alone a table is detached.
 */
static void move_ptes(struct mm_struct *mm, unsigned long old_addr, unsigned long new_addr,
		      unsigned long len)
{
	unsigned long addr = old_addr, end = old_addr + len, next;
	struct move_pte_state s = { .mm = mm };

	mmap_assert_write_locked(mm);
	for (; (addr = next_pte_addr(mm, addr, end)) < end; addr = next) {
		unsigned long dst = addr - old_addr + new_addr;
		spinlock_t *old_ptl, *new_ptl;
		pte_t *old_ptep;

		next = pmd_addr_end(addr, end);
		if (pmd_addr_end(dst, new_addr + len) - dst < next - addr)
			next = addr + (pmd_addr_end(dst, new_addr + len) - dst);
		old_ptep = pte_offset_map_nolock(mm, addr, &old_ptl);
		s.new_ptep = pte_offset_map_nolock(mm, dst, &new_ptl);
		VM_BUG_ON(!old_ptep || !s.new_ptep);
		s.old_addr = addr;
		s.new_addr = dst;
		spin_lock(old_ptl);
		if (new_ptl != old_ptl)
			spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING);
		walk_pte_range(old_ptep, addr, next, move_pte, &s);
		if (new_ptl != old_ptl)
			spin_unlock(new_ptl);
		spin_unlock(old_ptl);
	}
}

int move_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
		     struct vm_area_struct *new_vma, unsigned long new_addr, unsigned long len,
		     bool need_rmap_locks)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *anon_vma = need_rmap_locks ? vma->anon_vma : NULL;
	int ret;

	VM_BUG_ON(new_vma->vm_mm != mm);
	VM_BUG_ON(old_addr + len > new_addr && new_addr + len > old_addr);
	/*
	 * Allocate first, with no lock held: every destination table the move needs. Until the
	 * move fills it, such a table is empty, and a MADV_DONTNEED under the VMA lock of
	 * another VMA in the same 2 MiB (zap_vma_range) frees empty tables: mmap_lock held for
	 * writing does not exclude it. Tables are detached only under page_table_lock: once
	 * they are all seen under it, it is held until the move has filled them.
	 */
	for (;;) {
		ret = move_pte_alloc(mm, old_addr, new_addr, len, true);
		if (ret) {
			free_empty_pgtables(mm, new_addr, new_addr + len);
			return ret;
		}
		if (anon_vma)
			anon_vma_lock_write(anon_vma);
		spin_lock(&mm->page_table_lock);
		if (!move_pte_alloc(mm, old_addr, new_addr, len, false))
			break;
		spin_unlock(&mm->page_table_lock); /* one was freed again: allocate again */
		if (anon_vma)
			anon_vma_unlock_write(anon_vma);
	}
	/* point of no return */
	move_ptes(mm, old_addr, new_addr, len);
	spin_unlock(&mm->page_table_lock);
	if (anon_vma)
		anon_vma_unlock_write(anon_vma);
	free_empty_pgtables(mm, old_addr, old_addr + len);
	return 0;
}

struct change_prot_state {
	struct vm_area_struct *vma;
	unsigned long newflags;
};

/* change_pte_range's decision for one PTE. */
static int change_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct change_prot_state *s = arg;
	struct vm_area_struct *vma = s->vma;
	unsigned long newflags = s->newflags;
	pte_t pte = *ptep;
	struct folio *folio;

	if (!pte_present(pte)) {
		/* a writable migration entry turns read-only (an anonymous folio: exclusive) */
		if (is_migration_pte(pte) && is_writable_migration_entry(pte_to_swp_entry(pte)))
			set_pte_at(vma->vm_mm, addr, ptep, migration_pte_mkread(pte, true));
		return 0;
	}
	if (!(newflags & VM_WRITE)) {
		pte = pte_wrprotect(pte);
	} else if (!pte_write(pte)) {
		/* shared: vm_page_prot is writable; private: can_change_pte_writable */
		folio = pte_folio(vma_ram(vma), pte);
		if ((newflags & VM_SHARED) ||
		    (folio_test_anon(folio) && folio_test_flag(folio, PG_anon_exclusive)))
			pte = pte_mkwrite(pte);
	}
	set_pte_at(vma->vm_mm, addr, ptep, pte);
	return 0;
}

void change_protection(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		       unsigned long newflags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct change_prot_state s = { .vma = vma, .newflags = newflags };

	walk_ptes(mm, start, end, change_pte, &s);
}

struct present_walk {
	struct ram *ram;
	present_pte_fn fn;
	void *arg;
};

static int present_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct present_walk *w = arg;

	if (!pte_present(*ptep))
		return 0;
	return w->fn(addr, *ptep, pte_folio(w->ram, *ptep), w->arg);
}

int walk_page_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		    present_pte_fn fn, void *arg)
{
	struct present_walk w = { .ram = mm->vm->ram, .fn = fn, .arg = arg };

	return walk_ptes(mm, start, end, present_pte, &w);
}

/* What folio_walk_start found at one address. */
struct folio_walk {
	struct mm_struct *mm;
	spinlock_t *ptl;     /* the PTE's table's, held; NULL: no table */
	pte_t pte;           /* none when no table covers the address */
	struct folio *folio; /* the frame pte maps (the zero folio too); NULL: not present */
};

/*
 * folio_walk_start: the PTE of addr in mm, read with mmap_lock (read) and the PTE lock taken;
 * what fw points to stays valid until folio_walk_end drops them.
 */

static void folio_walk_start(struct folio_walk *fw, struct mm_struct *mm, unsigned long addr)
{
	pte_t *ptep;

	fw->mm = mm;
	mmap_read_lock(mm);
	ptep = pte_offset_map_lock(mm, addr & PAGE_MASK, &fw->ptl);
	if (!ptep)
		fw->ptl = NULL;
	fw->pte = ptep ? *ptep : __pte(0);
	fw->folio = pte_present(fw->pte) ? pte_folio(mm->vm->ram, fw->pte) : NULL;
}

static void folio_walk_end(struct folio_walk *fw)
{
	if (fw->ptl)
		spin_unlock(fw->ptl);
	mmap_read_unlock(fw->mm);
}

int anonvm_page_referenced(struct anonvm_mm *handle, unsigned long addr,
			   struct anonvm_referenced *r)
{
	struct mm_struct *mm = mm_of(handle);
	struct rmap_walk_cost cost = { 0 };
	struct folio_walk fw;
	struct folio *folio;

	memset(r, 0, sizeof(*r));
	if (addr >= TASK_SIZE)
		return -EINVAL;
	folio_walk_start(&fw, mm, addr);
	folio = fw.folio;
	if (folio && folio_test_anon(folio)) /* not the zero page, not shmem */
		folio_get(folio);
	else
		folio = NULL;
	folio_walk_end(&fw);
	if (!folio)
		return -ENOENT;
	folio_lock(folio);
	r->referenced = folio_referenced(folio, &r->vm_flags, &cost);
	folio_unlock(folio);
	folio_put(mm->vm->ram, folio);
	r->vmas_visited = cost.vmas_visited;
	r->ptes_probed = cost.ptes_probed;
	return 0;
}

/* What a page query reports of the PTE fw found (PTE lock held). */
static void page_info_fill(const struct folio_walk *fw, struct anonvm_page_info *info)
{
	struct folio *folio = fw->folio;

	memset(info, 0, sizeof(*info));
	if (is_swap_pte(fw->pte)) {
		info->kind = ANONVM_PAGE_SWAP;
		info->anon_exclusive = pte_swp_exclusive(fw->pte);
	} else if (folio) {
		info->kind = is_zero_folio(folio) ? ANONVM_PAGE_ZERO :
			     folio_test_anon(folio) ? ANONVM_PAGE_ANON : ANONVM_PAGE_SHMEM;
		info->frame = pte_pfn(fw->pte);
		info->mapcount = atomic_load(&folio->mapcount);
		info->anon_exclusive = folio_test_flag(folio, PG_anon_exclusive);
		info->writable = pte_write(fw->pte);
		info->young = pte_young(fw->pte);
		info->dirty = pte_dirty(fw->pte);
		info->data = folio_address(fw->mm->vm->ram, folio);
	}
}

int anonvm_page_query(struct anonvm_mm *handle, unsigned long addr,
		      struct anonvm_page_info *info)
{
	struct mm_struct *mm = mm_of(handle);
	struct folio_walk fw;

	memset(info, 0, sizeof(*info));
	if (addr >= TASK_SIZE)
		return -EINVAL;
	folio_walk_start(&fw, mm, addr);
	page_info_fill(&fw, info);
	folio_walk_end(&fw);
	return 0;
}

int anonvm_page_next(struct anonvm_mm *handle, unsigned long addr, unsigned long end,
		     unsigned long *addrp, struct anonvm_page_info *info)
{
	struct mm_struct *mm = mm_of(handle);
	struct folio_walk fw;

	memset(info, 0, sizeof(*info));
	if (end > TASK_SIZE)
		end = TASK_SIZE;
	end = PAGE_ALIGN(end);
	for (addr &= PAGE_MASK; addr < end; addr += PAGE_SIZE) {
		/* walk_ptes visits only the tables present: the cost follows what is mapped */
		addr = next_pte_addr(mm, addr, end);
		if (addr >= end)
			break;
		folio_walk_start(&fw, mm, addr);
		if (!pte_none(fw.pte)) {
			page_info_fill(&fw, info);
			folio_walk_end(&fw);
			*addrp = addr;
			return 0;
		}
		folio_walk_end(&fw); /* gone meanwhile: look further */
	}
	return -ENOENT;
}
