/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Physical memory, page tables, faults, and the page-level work of the VMA operations
 * (docs/semantics.md §4). What the VMA layer (vma.c, mmap.c, mremap.c, mprotect.c,
 * madvise.c, fork.c) calls is declared here.
 *
 * Owner: phys.c (RAM, frames, folios, zero page), pgtable.c (4-level tables), memory.c
 * (faults, zap, copy_page_range, move_page_tables, change_protection, populate),
 * shmem.c (shared anonymous mappings).
 */
#ifndef ANONVM_MEMORY_H
#define ANONVM_MEMORY_H

#include "mm_types.h"
#include "pgtable.h"
#include "phys.h"
#include "xarray.h"

/* Physical memory of a machine: 0 or -ENOMEM. */
int ram_init(struct anonvm *vm) __must_check;
void ram_destroy(struct anonvm *vm);

/* Page tables of an mm: 0 or -ENOMEM; pgd_free expects every PTE to be gone. */
int pgd_alloc(struct mm_struct *mm) __must_check;
void pgd_free(struct mm_struct *mm);

/* A private mapping whose pages are copied on write. */
static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

#define GUP_PIN_COUNTING_BIAS 1024 /* a pin adds this much to the refcount */

/* folio_maybe_dma_pinned: the refcount carries a pin's bias. */
static inline bool folio_maybe_dma_pinned(const struct folio *folio)
{
	return folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

/* The RSS counter of folio's kind, anon or shmem. */
static inline enum mm_counter mm_counter(const struct folio *folio)
{
	return folio_test_anon(folio) ? MM_ANONPAGES : MM_SHMEMPAGES;
}

static inline void add_mm_counter(struct mm_struct *mm, enum mm_counter member, long value)
{
	atomic_fetch_add_explicit(&mm->rss_stat[this_cpu_slot()].count[member], value,
				  memory_order_relaxed);
}

/* The exact sum of the slots, negative if a bug lost a count (the validator's reading). */
static inline long __get_mm_counter(const struct mm_struct *mm, enum mm_counter member)
{
	long sum = 0;

	for (unsigned int i = 0; i < nr_cpu_ids(); i++)
		sum += atomic_load_explicit(&mm->rss_stat[i].count[member], memory_order_relaxed);
	return sum;
}

/*
 * get_mm_counter: never below 0, as the kernel's percpu_counter_read_positive. While threads
 * fault and unmap on other CPUs, a reader that passes a slot before its +1 lands and another
 * after its -1 does can see a sum below 0.
 */
static inline unsigned long get_mm_counter(const struct mm_struct *mm, enum mm_counter member)
{
	long sum = __get_mm_counter(mm, member);

	return sum < 0 ? 0 : (unsigned long)sum;
}

/* mm->rss_stat, zeroed (mm_alloc; tests that build an mm by hand); -ENOMEM. */
int mm_counters_init(struct mm_struct *mm);
void mm_counters_free(struct mm_struct *mm);

/*
 * folio_needs_cow_for_dma: fork must not share a page of vma that may be pinned (the mm has
 * pinned pages and the refcount carries a pin's bias): the child gets a copy.
 */
static inline bool folio_needs_cow_for_dma(const struct vm_area_struct *vma,
					   const struct folio *folio)
{
	return is_cow_mapping(vma->vm_flags) && atomic_load(&vma->vm_mm->has_pinned) &&
	       folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

/* fault flags */
#define FAULT_FLAG_WRITE 0x1
#define FAULT_FLAG_USER 0x2
#define FAULT_FLAG_VMA_LOCK 0x4 /* the fault holds the VMA read lock, not mmap_lock */

/*
 * Unmap every page of [start, end) within vma (munmap, exit, MADV_DONTNEED): PTEs cleared,
 * rmap and refcounts dropped, page tables left empty freed.
 * Caller: mmap_lock (R for MADV_DONTNEED, W otherwise).
 */
void zap_vma_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);

/*
 * fork: copy src_vma's page tables into dst_vma (§4). Copies nothing when src_vma has no
 * anon_vma (vma_needs_copy: shared and unfaulted VMAs fault their pages in again), so
 * dup_mmap may call it for every VMA except wipe-on-fork ones. dst_vma covers the same range.
 * 0 or -ENOMEM (the PTEs copied so far stay, fully accounted: exit_mmap zaps them).
 * Both mmap_locks W.
 */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
	__must_check;

/*
 * mremap: move the PTEs of [old_addr, old_addr + len) of vma to new_addr in new_vma.
 * Allocates every destination table first: -ENOMEM means nothing moved.
 * need_rmap_locks: hold the anon_vma write lock over the move (§2.7).
 */
int move_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
		     struct vm_area_struct *new_vma, unsigned long new_addr, unsigned long len,
		     bool need_rmap_locks) __must_check;

/*
 * mprotect: apply newflags (the VMA's complete new vm_flags) to the PTEs of [start, end):
 * without VM_WRITE every PTE is write-protected (and a writable migration entry made
 * read-only); with VM_WRITE a shared PTE becomes writable, a private one only if it maps an
 * AnonExclusive folio (can_change_pte_writable). Swap PTEs stay as they are.
 */
void change_protection(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		       unsigned long newflags);

/*
 * MAP_POPULATE (mm_populate): prefault [start, end) under mmap_lock: write faults
 * for private writable VMAs (real exclusive pages, as Linux 6.18 gives), read faults
 * otherwise (the zero page for private read-only VMAs, a real page for shared ones);
 * nothing for PROT_NONE. 0 or -ENOMEM (Linux's mm_populate ignores the error).
 */
int populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/*
 * Fault in every page of [start, end) within vma as user accesses would (write: write faults,
 * breaking COW; else read faults), vma's flags allowing it. mmap_lock R. 0, -ENOMEM, or -EIO
 * past the end of a shared object (SIGBUS).
 */
int faultin_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		       bool write) __must_check;

/*
 * MADV_COLD / MADV_PAGEOUT on [start, end) of vma (mmap_lock read), as
 * madvise_cold_or_pageout_pte_range: only anonymous folios this PTE alone maps are touched
 * (the zero page and shared folios are skipped); each loses its referenced state; cold makes
 * the PTE old and moves the folio to the inactive list; pageout isolates it, then reclaims the
 * isolated folios to swap (reclaim_pages), whatever their young bits. 0.
 */
int madvise_cold_or_pageout(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			    bool pageout) __must_check;

/*
 * Handle a fault at address in vma (vma read-locked with FAULT_FLAG_VMA_LOCK, or mmap_lock
 * held). The access is allowed by vma's flags (the caller checked, as the arch fault handler
 * does). 0; -ENOMEM; -EIO: beyond the end of a shared mapping's object (SIGBUS in Linux);
 * -EAGAIN: only with FAULT_FLAG_VMA_LOCK, retry under mmap_lock (VM_FAULT_RETRY).
 */
int handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
	__must_check;

/*
 * Calls fn for every present PTE of mm in [start, end), ascending, with page_table_lock held:
 * fn must not take anon_vma locks or fault. folio is the frame's folio (the zero folio for the
 * zero page). A non-zero return of fn stops the walk and is returned.
 */
typedef int (*present_pte_fn)(unsigned long addr, pte_t pte, struct folio *folio, void *arg);
/*
 * The first address of [start, end) whose PTE is not none, or end: a range scan that costs
 * what is mapped (only present tables are walked). Takes the ptl; mmap_lock held.
 */
unsigned long next_pte_addr(struct mm_struct *mm, unsigned long start, unsigned long end);

int walk_page_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		    present_pte_fn fn, void *arg);


/*
 * The overcommit policy and the commit charge (util.c): __vm_enough_memory charges pages
 * to the commit charge and answers 0, or -ENOMEM (nothing charged) when the heuristic
 * (vm.overcommit_memory = 0) refuses them; vm_unacct_memory gives a charge back.
 */
unsigned long totalram_pages(const struct anonvm *vm);
unsigned long total_swap_pages(const struct anonvm *vm);
int __vm_enough_memory(struct anonvm *vm, long pages) __must_check;
void vm_acct_memory(struct anonvm *vm, long pages);
void vm_unacct_memory(struct anonvm *vm, long pages);

/* Shared anonymous mappings (shmem.c). */
struct shmem_file {
	atomic_int refcount;   /* vm_file references */
	struct ram *ram;
	struct anonvm *vm;     /* the machine whose commit it is charged to */
	spinlock_t lock;       /* pages */
	unsigned long nr_pages; /* size of the object; fixed */
	unsigned long charged; /* pages charged to the commit (0 with MAP_NORESERVE) */
	struct xarray pages;   /* page cache by pgoff, one reference each (sparse); lock */
};

/* Give a new shared anonymous VMA its object (vma->vm_file, one reference). 0 or -ENOMEM. */
int shmem_zero_setup(struct vm_area_struct *vma) __must_check;
struct shmem_file *shmem_file_get(struct shmem_file *file);
void shmem_file_put(struct shmem_file *file);
/* The cached page at pgoff with a reference taken, or NULL (none, or swapped out). */
struct folio *shmem_find_folio(struct shmem_file *file, unsigned long pgoff);
/*
 * Lock folio (trylock: or give up) and check that it is still file's page at pgoff (reclaim
 * may have swapped it out meanwhile). Mapping a shmem page needs it: reclaim swaps out only
 * unmapped folios, under the same lock.
 */
bool shmem_lock_folio(struct shmem_file *file, struct folio *folio, unsigned long pgoff,
		      bool trylock);
/*
 * Drop the cached pages of [start, end) (page offsets): fallocate(PUNCH_HOLE) after the
 * caller unmapped them from every VMA (MADV_REMOVE). Time follows the pages present.
 */
void shmem_punch_hole(struct shmem_file *file, unsigned long start, unsigned long end);
/*
 * shmem_writeout (reclaim): the unmapped, locked, isolated shmem folio leaves the page cache
 * for the swap cache: its page becomes a swap entry there (holding the slot), to be written
 * and freed by reclaim like an anonymous folio. 0, -ENOMEM (swap full), -EAGAIN.
 */
int shmem_writeout(struct folio *folio) __must_check;
/*
 * The page at pgoff (allocated zeroed when absent, read back when swapped out), locked and
 * referenced: the caller maps it, then unlocks and puts it. 0, -ENOMEM, -EIO (SIGBUS) beyond
 * the size, or a swap read error.
 */
int shmem_get_folio(struct shmem_file *file, unsigned long pgoff, struct folio **foliop)
	__must_check;

#endif
