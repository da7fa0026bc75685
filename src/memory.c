// SPDX-License-Identifier: GPL-2.0-only
/*
 * memory.c: page faults, user accesses through the modelled MMU, and the page-level work of
 * the VMA operations (KERNEL-SEMANTICS.md §4): zap_vma_range, copy_page_range,
 * move_page_tables, change_protection, populate_vma_page_range. Kernel counterparts:
 * mm/memory.c, mm/mprotect.c (change_pte_range), mm/mremap.c (move_ptes), mm/gup.c
 * (populate_vma_page_range).
 *
 * Invariants kept here (checked by the validator):
 *   for every folio F other than the zero page:
 *     F->mapcount == PTEs mapping F;
 *     F->refcount == F->mapcount (+ 1 if in a shmem page cache) + temporary references;
 *   a writable PTE of a private VMA maps an anonymous folio with PG_anon_exclusive;
 *   the zero page is mapped read-only, only in private VMAs, and never counted;
 *   mm->rss_anon == PTEs of mm mapping anonymous folios; mm->rss_shmem == PTEs mapping
 *   shmem pages.
 *
 * Locks: the PTE lock is mm->page_table_lock (pgtable.c). Faults run under the VMA read lock
 * (FAULT_FLAG_VMA_LOCK) or mmap_lock; a fault never holds the PTE lock while it allocates a
 * folio or prepares an anon_vma: it reads the PTE, drops the lock, allocates, retakes the lock
 * and installs only if the PTE is unchanged. Order: folio lock > anon_vma root rwsem > PTE
 * lock > shmem_file lock, ram lock; under the PTE lock the folio lock is only try-locked
 * (wp_can_reuse_anon_folio).
 */
#include <errno.h>
#include <string.h>

#include "memory.h"
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

/* add_mm_counter(mm, mm_counter(folio), value): the RSS of folio's kind, anon or shmem. */
static void add_mm_counter(struct mm_struct *mm, const struct folio *folio, long value)
{
	atomic_fetch_add(folio_test_anon(folio) ? &mm->rss_anon : &mm->rss_shmem, value);
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
	pte_t *ptep;
	int ret;

	if (!(flags & FAULT_FLAG_WRITE)) {
		/* read: map the zero page; no anon_vma, no mapcount */
		spin_lock(&mm->page_table_lock);
		ptep = pte_alloc(mm, addr);
		if (ptep && pte_none(*ptep)) {
			set_pte_at(mm, addr, ptep, pfn_pte(ZERO_PFN, false));
			count_vm_event(vm, fault_zero);
		}
		spin_unlock(&mm->page_table_lock);
		return ptep ? 0 : -ENOMEM;
	}

	ret = vmf_anon_prepare(vma, flags);
	if (ret)
		return ret;
	folio = folio_alloc_uptodate(vm->ram, NULL);
	if (!folio)
		return -ENOMEM;

	spin_lock(&mm->page_table_lock);
	ptep = pte_alloc(mm, addr);
	if (!ptep || !pte_none(*ptep)) {
		/* no memory for a table, or another thread faulted the page in */
		spin_unlock(&mm->page_table_lock);
		folio_put(vm->ram, folio);
		return ptep ? 0 : -ENOMEM;
	}
	folio_add_new_anon_rmap(folio, vma, addr, true);
	add_mm_counter(mm, folio, 1);
	set_pte_at(mm, addr, ptep, pte_mkdirty(mk_pte(vma, folio, true)));
	spin_unlock(&mm->page_table_lock);
	count_vm_event(vm, fault_anon);
	return 0;
}

/*
 * wp_can_reuse_anon_folio for a small folio: a KSM folio, or one with another reference
 * (another mapping, the swap cache, a pin), must be copied. The counts are checked once
 * cheaply, then again under the folio lock, which keeps the swap cache and KSM from changing
 * them (swap comes with reclaim: the kernel frees the swap cache here when it is the only
 * other reference). Reuse moves the folio to this VMA's anon_vma. PTE lock held.
 */
static bool wp_can_reuse_anon_folio(struct folio *folio, struct vm_area_struct *vma)
{
	if (folio_test_ksm(folio) || folio_ref_count(folio) != 1)
		return false;
	if (!folio_trylock(folio))
		return false;
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
static void wp_page_reuse(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	struct mm_struct *mm = vma->vm_mm;

	set_pte_at(mm, addr, ptep, pte_mkdirty(pte_mkyoung(pte_mkwrite(*ptep))));
	spin_unlock(&mm->page_table_lock);
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
	pte_t *ptep;
	int ret;

	ret = vmf_anon_prepare(vma, flags);
	if (ret)
		goto out;
	ret = -ENOMEM;
	new = folio_alloc_uptodate(ram, old);
	if (!new)
		goto out;

	spin_lock(&mm->page_table_lock);
	ptep = pte_offset(mm, addr);
	if (!ptep || ptep->val != orig.val) {
		/* someone else resolved the fault (or unmapped the page) meanwhile */
		spin_unlock(&mm->page_table_lock);
		folio_put(ram, new);
		ret = 0;
		goto out;
	}
	folio_add_new_anon_rmap(new, vma, addr, true);
	set_pte_at(mm, addr, ptep, pte_mkdirty(mk_pte(vma, new, true)));
	if (zero) {
		add_mm_counter(mm, new, 1);
	} else {
		folio_remove_rmap_pte(old, vma);
		folio_put(ram, old); /* the old PTE's reference */
	}
	spin_unlock(&mm->page_table_lock);
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
		      unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t orig = *ptep;
	struct folio *folio = pte_folio(vma_ram(vma), orig);

	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) {
		/* wp_page_shared without page_mkwrite: shmem needs no write notification */
		wp_page_reuse(vma, addr, ptep);
		return 0;
	}
	if (folio_test_anon(folio) && (folio_test_flag(folio, PG_anon_exclusive) ||
				       wp_can_reuse_anon_folio(folio, vma))) {
		folio_set_flag(folio, PG_anon_exclusive);
		wp_page_reuse(vma, addr, ptep);
		return 0;
	}
	if (!is_zero_folio(folio))
		folio_get(folio);
	spin_unlock(&mm->page_table_lock);
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
	add_mm_counter(mm, folio, 1);
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

		if (!pte_none(table[i]))
			continue;
		folio = shmem_find_folio(vma->vm_file, linear_page_index(vma, a));
		if (folio)
			shmem_map_page(vma, a, &table[i], folio, false);
	}
	return !pte_none(*ptep);
}

/* A fault on a none PTE of a shared mapping (do_read_fault / do_shared_fault). */
static int do_shmem_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	bool write = flags & FAULT_FLAG_WRITE;
	struct folio *folio;
	pte_t *ptep;
	int ret;

	count_vm_event(mm->vm, fault_shmem);
	if (!write) {
		bool done;

		spin_lock(&mm->page_table_lock);
		ptep = pte_alloc(mm, addr);
		done = ptep && do_fault_around(vma, addr, ptep);
		spin_unlock(&mm->page_table_lock);
		if (!ptep)
			return -ENOMEM;
		if (done)
			return 0;
	}
	ret = shmem_get_folio(vma->vm_file, linear_page_index(vma, addr), &folio);
	if (ret)
		return ret;
	spin_lock(&mm->page_table_lock);
	ptep = pte_alloc(mm, addr);
	if (ptep && pte_none(*ptep))
		shmem_map_page(vma, addr, ptep, folio, write);
	spin_unlock(&mm->page_table_lock);
	return ptep ? 0 : -ENOMEM;
}

int handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr = address & PAGE_MASK;
	pte_t *ptep, pte;

	VM_BUG_ON(addr < vma->vm_start || addr >= vma->vm_end || access_error(vma, flags));
	count_vm_event(mm->vm, fault);
	spin_lock(&mm->page_table_lock);
	ptep = pte_offset(mm, addr);
	if (!ptep || pte_none(*ptep)) {
		spin_unlock(&mm->page_table_lock);
		if (vma_is_anonymous(vma))
			return do_anonymous_page(vma, addr, flags);
		return do_shmem_fault(vma, addr, flags);
	}
	pte = *ptep;
	VM_BUG_ON(!pte_present(pte)); /* swap-in (do_swap_page) comes with reclaim */
	if ((flags & FAULT_FLAG_WRITE) && !pte_write(pte))
		return do_wp_page(vma, addr, ptep, flags);
	/* spurious: another thread resolved it; the access sets young (and dirty) */
	pte = pte_mkyoung(pte);
	if (flags & FAULT_FLAG_WRITE)
		pte = pte_mkdirty(pte);
	set_pte_at(mm, addr, ptep, pte);
	spin_unlock(&mm->page_table_lock);
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
	pte_t *ptep, pte;

	spin_lock(&mm->page_table_lock);
	ptep = pte_offset(mm, addr & PAGE_MASK);
	if (!ptep || !pte_present(*ptep) || (write && !pte_write(*ptep)))
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
	spin_unlock(&mm->page_table_lock);
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

int populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	/* gup: FOLL_WRITE for private writable mappings only; PROT_NONE is skipped (-EFAULT
	 * that __mm_populate ignores) */
	unsigned int flags = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE ?
				     FAULT_FLAG_WRITE : 0;
	unsigned long addr;
	int ret;

	if (!(vma->vm_flags & VM_ACCESS_FLAGS))
		return 0;
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		ret = access_vma_page(vma, addr, NULL, 0, flags);
		if (ret)
			return ret;
	}
	return 0;
}

struct cold_walk {
	struct vm_area_struct *vma;
	bool pageout;
};

/*
 * One PTE of madvise_cold_or_pageout_pte_range: only folios mapped by this PTE alone
 * (mapcount 1; the zero page never) are aged or reclaimed. Cold: the PTE becomes old and the
 * folio inactive and unreferenced. Pageout would reclaim the folio: swap is a later layer,
 * so the walk stops with -ENOSYS there.
 */
static int cold_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct cold_walk *w = arg;
	pte_t pte = *ptep;
	struct folio *folio;

	if (!pte_present(pte))
		return 0;
	folio = pte_folio(vma_ram(w->vma), pte);
	if (is_zero_folio(folio) || atomic_load(&folio->mapcount) != 1)
		return 0;
	if (w->pageout)
		return -ENOSYS;
	set_pte_at(w->vma->vm_mm, addr, ptep, pte_mkold(pte));
	folio_clear_flag(folio, PG_referenced);
	folio_clear_flag(folio, PG_active);
	return 0;
}

int madvise_cold_or_pageout(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			    bool pageout)
{
	struct cold_walk w = { .vma = vma, .pageout = pageout };
	struct mm_struct *mm = vma->vm_mm;
	int ret;

	spin_lock(&mm->page_table_lock);
	ret = walk_ptes(mm, start, end, cold_pte, &w);
	spin_unlock(&mm->page_table_lock);
	return ret;
}

static int zap_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct vm_area_struct *vma = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct ram *ram = vma_ram(vma);
	pte_t pte = ptep_get_and_clear(mm, addr, ptep);
	struct folio *folio;

	count_vm_event(mm->vm, zap_ptes);
	VM_BUG_ON(!pte_present(pte)); /* freeing swap entries comes with swap */
	folio = pte_folio(ram, pte);
	if (is_zero_folio(folio))
		return 0;
	folio_remove_rmap_pte(folio, vma);
	add_mm_counter(mm, folio, -1);
	folio_put(ram, folio);
	return 0;
}

void zap_vma_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	VM_BUG_ON(start < vma->vm_start || end > vma->vm_end || start > end);
	spin_lock(&mm->page_table_lock);
	walk_ptes(mm, start, end, zap_pte, vma);
	free_empty_pgtables(mm, start, end);
	spin_unlock(&mm->page_table_lock);
}

struct copy_pte_state {
	struct vm_area_struct *dst_vma, *src_vma;
	unsigned long copied;
};

#define COPY_PTE_STATE(name, dst, src) struct copy_pte_state name = { .dst_vma = (dst), \
								     .src_vma = (src) }

/* copy_present_page: give the child its own copy of a page now. */
static int copy_present_page(struct vm_area_struct *dst_vma, unsigned long addr, pte_t *dst_ptep,
			     struct folio *src)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	struct folio *new = folio_alloc_uptodate(vma_ram(dst_vma), src);

	if (!new)
		return -ENOMEM;
	folio_add_new_anon_rmap(new, dst_vma, addr, true);
	add_mm_counter(dst_mm, new, 1);
	set_pte_at(dst_mm, addr, dst_ptep, pte_mkdirty(mk_pte(dst_vma, new, true)));
	count_vm_event(dst_mm->vm, fork_eager_copy);
	return 0;
}

/* copy_present_pte: one PTE of the parent into the child (both PTE locks held). */
static int copy_pte(pte_t *src_ptep, unsigned long addr, void *arg)
{
	struct copy_pte_state *s = arg;
	struct mm_struct *src_mm = s->src_vma->vm_mm, *dst_mm = s->dst_vma->vm_mm;
	struct ram *ram = vma_ram(s->src_vma);
	pte_t pte = *src_ptep, *dst_ptep;
	struct folio *folio;

	VM_BUG_ON(!pte_present(pte)); /* swap entries (swap_duplicate) come with swap */
	dst_ptep = pte_alloc(dst_mm, addr);
	if (!dst_ptep)
		return -ENOMEM;
	VM_BUG_ON(!pte_none(*dst_ptep));
	folio = pte_folio(ram, pte);
	s->copied++;
	if (!is_zero_folio(folio)) {
		VM_BUG_ON(!folio_test_anon(folio)); /* shared VMAs are never copied */
		folio_get(folio);
		if (folio_try_dup_anon_rmap_pte(folio, s->dst_vma, s->src_vma, addr)) {
			/* maybe pinned: the child gets its own copy now */
			folio_put(ram, folio);
			return copy_present_page(s->dst_vma, addr, dst_ptep, folio);
		}
		add_mm_counter(dst_mm, folio, 1);
	}
	if (is_cow_mapping(s->src_vma->vm_flags) && pte_write(pte)) {
		pte = pte_wrprotect(pte);
		set_pte_at(src_mm, addr, src_ptep, pte);
	}
	set_pte_at(dst_mm, addr, dst_ptep, pte_mkold(pte));
	return 0;
}

int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct mm_struct *src_mm = src_vma->vm_mm, *dst_mm = dst_vma->vm_mm;
	COPY_PTE_STATE(s, dst_vma, src_vma);
	int ret;

	/* vma_needs_copy: without an anon_vma every page can be faulted in again */
	if (!src_vma->anon_vma)
		return 0;
	VM_BUG_ON((dst_vma->vm_flags & VM_WIPEONFORK) || src_mm == dst_mm);
	VM_BUG_ON(dst_vma->vm_start != src_vma->vm_start || dst_vma->vm_end != src_vma->vm_end);
	spin_lock(&dst_mm->page_table_lock);
	spin_lock(&src_mm->page_table_lock);
	ret = walk_ptes(src_mm, src_vma->vm_start, src_vma->vm_end, copy_pte, &s);
	spin_unlock(&src_mm->page_table_lock);
	spin_unlock(&dst_mm->page_table_lock);
	count_vm_events(src_mm->vm, fork_ptes_copied, s.copied);
	return ret;
}

struct move_pte_state {
	struct mm_struct *mm;
	unsigned long old_addr, new_addr; /* the delta of the move */
};

#define MOVE_PTE_STATE(name, mm_, old, new) struct move_pte_state name = { .mm = (mm_),   \
									  .old_addr = (old), \
									  .new_addr = (new) }

static int move_pte_alloc(pte_t *ptep, unsigned long addr, void *arg)
{
	struct move_pte_state *s = arg;

	return pte_alloc(s->mm, addr - s->old_addr + s->new_addr) ? 0 : -ENOMEM;
}

static int move_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct move_pte_state *s = arg;
	unsigned long new_addr = addr - s->old_addr + s->new_addr;
	pte_t *new_ptep = pte_offset(s->mm, new_addr);

	VM_BUG_ON(!new_ptep || !pte_none(*new_ptep));
	set_pte_at(s->mm, new_addr, new_ptep, ptep_get_and_clear(s->mm, addr, ptep));
	return 0;
}

int move_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
		     struct vm_area_struct *new_vma, unsigned long new_addr, unsigned long len,
		     bool need_rmap_locks)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *anon_vma = need_rmap_locks ? vma->anon_vma : NULL;
	MOVE_PTE_STATE(s, mm, old_addr, new_addr);
	int ret;

	VM_BUG_ON(new_vma->vm_mm != mm);
	VM_BUG_ON(old_addr + len > new_addr && new_addr + len > old_addr);
	if (anon_vma)
		anon_vma_lock_write(anon_vma);
	spin_lock(&mm->page_table_lock);
	/* allocate first: every destination table the move needs */
	ret = walk_ptes(mm, old_addr, old_addr + len, move_pte_alloc, &s);
	if (ret) {
		free_empty_pgtables(mm, new_addr, new_addr + len);
		goto out;
	}
	/* point of no return */
	walk_ptes(mm, old_addr, old_addr + len, move_pte, &s);
	free_empty_pgtables(mm, old_addr, old_addr + len);
out:
	spin_unlock(&mm->page_table_lock);
	if (anon_vma)
		anon_vma_unlock_write(anon_vma);
	return ret;
}

struct change_prot_state {
	struct vm_area_struct *vma;
	unsigned long newflags;
};

#define CHANGE_PROT_STATE(name, vma_, flags) struct change_prot_state name = { .vma = (vma_), \
									      .newflags = (flags) }

/* change_pte_range's decision for one present PTE. */
static int change_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct change_prot_state *s = arg;
	struct vm_area_struct *vma = s->vma;
	unsigned long newflags = s->newflags;
	pte_t pte = *ptep;
	struct folio *folio;

	if (!pte_present(pte))
		return 0;
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
	CHANGE_PROT_STATE(s, vma, newflags);

	spin_lock(&mm->page_table_lock);
	walk_ptes(mm, start, end, change_pte, &s);
	spin_unlock(&mm->page_table_lock);
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
	int ret;

	spin_lock(&mm->page_table_lock);
	ret = walk_ptes(mm, start, end, present_pte, &w);
	spin_unlock(&mm->page_table_lock);
	return ret;
}

int folio_pte_clear_young(struct folio *folio, struct vm_area_struct *vma, unsigned long address,
			  bool clear_young)
{
	struct mm_struct *mm = vma->vm_mm;
	int ret = -ENOENT;
	pte_t *ptep;

	if (address < vma->vm_start || address >= vma->vm_end)
		return -ENOENT;
	spin_lock(&mm->page_table_lock);
	ptep = pte_offset(mm, address & PAGE_MASK);
	if (ptep && pte_present(*ptep) && pte_folio(vma_ram(vma), *ptep) == folio) {
		ret = pte_young(*ptep);
		if (ret && clear_young)
			set_pte_at(mm, address & PAGE_MASK, ptep, pte_mkold(*ptep));
	}
	spin_unlock(&mm->page_table_lock);
	return ret;
}

bool page_vma_mapped(struct folio *folio, struct vm_area_struct *vma, unsigned long address)
{
	return folio_pte_clear_young(folio, vma, address, false) >= 0;
}

/* What folio_walk_start found at one address. */
struct folio_walk {
	struct mm_struct *mm;
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
	spin_lock(&mm->page_table_lock);
	ptep = pte_offset(mm, addr & PAGE_MASK);
	fw->pte = ptep ? *ptep : __pte(0);
	fw->folio = pte_present(fw->pte) ? pte_folio(mm->vm->ram, fw->pte) : NULL;
}

static void folio_walk_end(struct folio_walk *fw)
{
	spin_unlock(&fw->mm->page_table_lock);
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

int anonvm_page_query(struct anonvm_mm *handle, unsigned long addr,
		      struct anonvm_page_info *info)
{
	struct mm_struct *mm = mm_of(handle);
	struct folio_walk fw;
	struct folio *folio;

	memset(info, 0, sizeof(*info));
	if (addr >= TASK_SIZE)
		return -EINVAL;
	folio_walk_start(&fw, mm, addr);
	folio = fw.folio;
	if (is_swap_pte(fw.pte)) {
		info->kind = ANONVM_PAGE_SWAP;
		info->anon_exclusive = pte_swp_exclusive(fw.pte);
	} else if (folio) {
		info->kind = is_zero_folio(folio) ? ANONVM_PAGE_ZERO :
			     folio_test_anon(folio) ? ANONVM_PAGE_ANON : ANONVM_PAGE_SHMEM;
		info->frame = pte_pfn(fw.pte);
		info->mapcount = atomic_load(&folio->mapcount);
		info->anon_exclusive = folio_test_flag(folio, PG_anon_exclusive);
		info->writable = pte_write(fw.pte);
		info->young = pte_young(fw.pte);
		info->dirty = pte_dirty(fw.pte);
		info->data = folio_address(mm->vm->ram, folio);
	}
	folio_walk_end(&fw);
	return 0;
}
