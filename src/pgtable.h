/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables: four levels of 512 entries (pgd > pud > pmd > pte), as on x86-64 with 4-level
 * paging. One struct pt_table serves every level; the three upper levels hold pointers to the
 * next level, the last one holds PTEs.
 *
 * PTE format (64 bits):
 *
 *   present:     | pfn (bits 12-63) | ... | D 6 | A 5 | ... | W 1 | P 0 |
 *   swap entry:  | offset (12-63)   | MD 9 | MA 8 | type (3-7) | X 2 | S 1 | P 0 |
 *   none:        all zero
 *
 *   Bits (numbered): P present, W writable, A young (accessed), D dirty; S marks a swap
 *   entry (so that a swap entry is never pte_none), X = pte_swp_exclusive (the page was
 *   AnonExclusive when it was swapped out). Types from MAX_SWAPFILES up are migration
 *   entries, whose offset is a pfn and whose MA / MD bits keep the PTE's young and dirty.
 *
 * Locks (split page-table locks, as USE_SPLIT_PTE_PTLOCKS):
 *   each PTE table has its own ptl, which guards its pte[] and nr_used;
 *   the upper levels (pgd, pud, pmd tables: their next[] and nr_used) change under the mm's
 *   page_table_lock, and are read without a lock, under RCU (rcu_read_lock): a table is
 *   installed with a release store once initialised, and freed through call_rcu;
 *   order: page_table_lock > ptl; two PTE tables at once: the second with
 *   SINGLE_DEPTH_NESTING (fork: the child's first, then the parent's; mremap: the old one
 *   first, then the new one).
 * A PTE table is detached (its pmd entry cleared) only with both page_table_lock and its own
 * ptl held, and only when empty: a thread that found it without a lock takes its ptl and
 * then checks that the pmd entry still points to it (pmd_same), or retries.
 *
 * Invariants:
 *   table->nr_used == number of entries of table that are not none (PTE level) / not NULL
 *   (upper levels);
 *   a table other than the pgd is freed as soon as free_empty_pgtables() sees nr_used == 0;
 *   the pgd lives from pgd_alloc to pgd_free.
 */
#ifndef ANONVM_PGTABLE_H
#define ANONVM_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm_types.h"

#define PTRS_PER_TABLE 512
#define PT_LEVELS 4
#define PT_LEVEL_PTE (PT_LEVELS - 1)
#define PMD_SHIFT 21
#define PMD_SIZE (1UL << PMD_SHIFT)

typedef struct {
	uint64_t val;
} pte_t;

#define _PTE_PRESENT (1UL << 0)
#define _PTE_WRITE (1UL << 1)
#define _PTE_YOUNG (1UL << 5)
#define _PTE_DIRTY (1UL << 6)
#define _PTE_PFN_SHIFT 12

#define _PTE_SWAP (1UL << 1)
#define _PTE_SWP_EXCLUSIVE (1UL << 2)
#define _PTE_SWP_TYPE_SHIFT 3
#define _PTE_SWP_TYPE_BITS 5
#define _PTE_SWP_MIG_YOUNG (1UL << 8) /* a migration entry: the PTE was young */
#define _PTE_SWP_MIG_DIRTY (1UL << 9) /* a migration entry: the PTE was dirty */
#define _PTE_SWP_OFFSET_SHIFT 12
#define SWP_TYPE_NR (1 << _PTE_SWP_TYPE_BITS)
/*
 * Swap types: swap devices 0 .. MAX_SWAPFILES - 1, then the migration entries (the kernel's
 * SWP_MIGRATION_*): the offset is the pfn of the folio being migrated; READ_EXCLUSIVE and
 * WRITE carry PageAnonExclusive across the migration, WRITE the PTE's write bit.
 */
#define MAX_SWAPFILES (SWP_TYPE_NR - 3)
#define SWP_MIGRATION_READ MAX_SWAPFILES
#define SWP_MIGRATION_READ_EXCLUSIVE (MAX_SWAPFILES + 1)
#define SWP_MIGRATION_WRITE (MAX_SWAPFILES + 2)

static inline pte_t __pte(uint64_t val)
{
	return (pte_t){ val };
}

static inline bool pte_none(pte_t pte)
{
	return pte.val == 0;
}

static inline bool pte_present(pte_t pte)
{
	return pte.val & _PTE_PRESENT;
}

static inline bool is_swap_pte(pte_t pte)
{
	return !pte_present(pte) && !pte_none(pte);
}

static inline bool pte_write(pte_t pte)
{
	return pte_present(pte) && (pte.val & _PTE_WRITE);
}

static inline bool pte_young(pte_t pte)
{
	return pte_present(pte) && (pte.val & _PTE_YOUNG);
}

static inline bool pte_dirty(pte_t pte)
{
	return pte_present(pte) && (pte.val & _PTE_DIRTY);
}

static inline unsigned long pte_pfn(pte_t pte)
{
	VM_BUG_ON(!pte_present(pte));
	return pte.val >> _PTE_PFN_SHIFT;
}

/* A new PTE is young: x86's vm_page_prot carries _PAGE_ACCESSED. */
static inline pte_t pfn_pte(unsigned long pfn, bool write)
{
	uint64_t val = (pfn << _PTE_PFN_SHIFT) | _PTE_PRESENT | _PTE_YOUNG;

	return __pte(write ? val | _PTE_WRITE : val);
}

static inline pte_t pte_mkwrite(pte_t pte)
{
	return __pte(pte.val | _PTE_WRITE);
}

static inline pte_t pte_wrprotect(pte_t pte)
{
	return __pte(pte.val & ~_PTE_WRITE);
}

static inline pte_t pte_mkyoung(pte_t pte)
{
	return __pte(pte.val | _PTE_YOUNG);
}

static inline pte_t pte_mkold(pte_t pte)
{
	return __pte(pte.val & ~_PTE_YOUNG);
}

static inline pte_t pte_mkdirty(pte_t pte)
{
	return __pte(pte.val | _PTE_DIRTY);
}

/* A swap entry: which swap device (type) and which slot (offset). */
typedef struct {
	uint64_t val; /* type << _PTE_SWP_TYPE_SHIFT | offset << _PTE_SWP_OFFSET_SHIFT */
} swp_entry_t;

static inline swp_entry_t swp_entry(unsigned int type, unsigned long offset)
{
	VM_BUG_ON(type >= SWP_TYPE_NR);
	return (swp_entry_t){ ((uint64_t)type << _PTE_SWP_TYPE_SHIFT) |
			      ((uint64_t)offset << _PTE_SWP_OFFSET_SHIFT) };
}

static inline unsigned int swp_type(swp_entry_t e)
{
	return (e.val >> _PTE_SWP_TYPE_SHIFT) & (SWP_TYPE_NR - 1);
}

static inline unsigned long swp_offset(swp_entry_t e)
{
	return e.val >> _PTE_SWP_OFFSET_SHIFT;
}

static inline pte_t swp_entry_to_pte(swp_entry_t e, bool exclusive)
{
	return __pte(e.val | _PTE_SWAP | (exclusive ? _PTE_SWP_EXCLUSIVE : 0));
}

static inline swp_entry_t pte_to_swp_entry(pte_t pte)
{
	VM_BUG_ON(!is_swap_pte(pte));
	return (swp_entry_t){ pte.val & ~(uint64_t)(_PTE_SWAP | _PTE_SWP_EXCLUSIVE |
						    _PTE_SWP_MIG_YOUNG | _PTE_SWP_MIG_DIRTY) };
}

static inline bool is_migration_entry(swp_entry_t e)
{
	return swp_type(e) >= SWP_MIGRATION_READ;
}

/* A swap PTE that names a slot of a swap device (not a migration entry). */
static inline bool is_swap_device_pte(pte_t pte)
{
	return is_swap_pte(pte) && !is_migration_entry(pte_to_swp_entry(pte));
}

static inline bool is_migration_pte(pte_t pte)
{
	return is_swap_pte(pte) && is_migration_entry(pte_to_swp_entry(pte));
}

/* The migration entry of the folio at pfn that replaces pte (try_to_migrate_one). */
static inline pte_t make_migration_pte(unsigned long pfn, pte_t pte, bool exclusive)
{
	unsigned int type = pte_write(pte) ? SWP_MIGRATION_WRITE :
			    exclusive ? SWP_MIGRATION_READ_EXCLUSIVE : SWP_MIGRATION_READ;

	return __pte(swp_entry(type, pfn).val | _PTE_SWAP |
		     (pte_young(pte) ? _PTE_SWP_MIG_YOUNG : 0) |
		     (pte_dirty(pte) ? _PTE_SWP_MIG_DIRTY : 0));
}

static inline bool is_writable_migration_entry(swp_entry_t e)
{
	return swp_type(e) == SWP_MIGRATION_WRITE;
}

/* A writable or exclusive migration entry: the folio was AnonExclusive. */
static inline bool is_exclusive_migration_entry(swp_entry_t e)
{
	return swp_type(e) == SWP_MIGRATION_WRITE || swp_type(e) == SWP_MIGRATION_READ_EXCLUSIVE;
}

static inline bool pte_migration_young(pte_t pte)
{
	return pte.val & _PTE_SWP_MIG_YOUNG;
}

static inline bool pte_migration_dirty(pte_t pte)
{
	return pte.val & _PTE_SWP_MIG_DIRTY;
}

/*
 * A writable (or exclusive) migration entry made read-only: shared (fork's
 * make_readable_migration_entry: the page is the child's too now), or exclusive (mprotect's
 * make_readable_exclusive_migration_entry for an anonymous folio).
 */
static inline pte_t migration_pte_mkread(pte_t pte, bool exclusive)
{
	swp_entry_t e = pte_to_swp_entry(pte);
	unsigned int type = exclusive ? SWP_MIGRATION_READ_EXCLUSIVE : SWP_MIGRATION_READ;

	return __pte(swp_entry(type, swp_offset(e)).val | _PTE_SWAP |
		     (pte.val & (_PTE_SWP_MIG_YOUNG | _PTE_SWP_MIG_DIRTY)));
}

static inline bool pte_swp_exclusive(pte_t pte)
{
	return is_swap_pte(pte) && (pte.val & _PTE_SWP_EXCLUSIVE);
}

static inline pte_t pte_swp_clear_exclusive(pte_t pte)
{
	return __pte(pte.val & ~_PTE_SWP_EXCLUSIVE);
}

/* One table of any level. */
struct pt_table {
	union {
		struct pt_table *next[PTRS_PER_TABLE]; /* pgd, pud, pmd: the next level */
		pte_t pte[PTRS_PER_TABLE];             /* the last level; ptl */
	};
	unsigned int nr_used; /* entries in use; ptl (PTE level), page_table_lock (upper) */
	spinlock_t ptl;       /* PTE tables only: the split page-table lock */
	struct rcu_head rcu;  /* freeing, after every lockless walker has left */
};

/* The top of an mm's page tables (mm->pgd). */
struct pgd_table {
	struct pt_table table;
};

/*
 * __pte_alloc: make sure every table on the way to addr's PTE exists. A missing table is
 * allocated with no lock held, then installed under page_table_lock if it is still missing
 * (else freed): nothing is ever allocated under a page-table lock. 0 or -ENOMEM (then the
 * empty tables on the path are freed: nothing is left half-built). Called with no
 * page-table lock held.
 */
int __pte_alloc(struct mm_struct *mm, unsigned long addr) __must_check;

/*
 * pte_offset_map_lock: the PTE slot of addr with its table's ptl taken (*ptlp), or NULL with
 * no lock held when a table is missing. pte_alloc_map_lock allocates what is missing first
 * (retrying if another thread freed it meanwhile); NULL: -ENOMEM. Release with
 * pte_unmap_unlock. Called with no page-table lock held, or (the _nested form) holding one
 * other PTE table's ptl.
 */
pte_t *pte_offset_map_lock_nested(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp,
				  unsigned int subclass);
pte_t *pte_alloc_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp);

static inline pte_t *pte_offset_map_lock(struct mm_struct *mm, unsigned long addr,
					 spinlock_t **ptlp)
{
	return pte_offset_map_lock_nested(mm, addr, ptlp, 0);
}

/*
 * pte_offset_map_nolock: the PTE slot of addr and its table's ptl (*ptlp), not taken, or
 * NULL. Only for a caller under whose locks the table cannot be freed (mmap_lock held for
 * write: no zap can run in the mm), who then takes *ptlp itself.
 */
pte_t *pte_offset_map_nolock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp);

static inline void pte_unmap_unlock(pte_t *ptep, spinlock_t *ptl)
{
	spin_unlock(ptl);
}

/* ptep_test_and_clear_young: was the PTE young? It is old now. ptl held. */
static inline bool ptep_test_and_clear_young(struct mm_struct *mm, unsigned long addr,
					     pte_t *ptep)
{
	bool young = pte_young(*ptep);

	if (young)
		ptep->val &= ~_PTE_YOUNG;
	return young;
}

/* Store a PTE (keeps the table's nr_used). ptl held. */
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte);
/* Clear a PTE and return what it held. ptl held. */
pte_t ptep_get_and_clear(struct mm_struct *mm, unsigned long addr, pte_t *ptep);

/*
 * Calls fn(ptep, addr, arg) for every PTE of [start, end) that is not none, in ascending
 * order, skipping missing tables; fn runs with the ptl of ptep's table held (walk_ptes takes
 * each table's in turn). fn may change or clear the PTE (tables are not freed during the
 * walk). A non-zero return of fn stops the walk and is returned. Called with no page-table
 * lock held. The caller's locks decide what a walk sees of a racing fault elsewhere in the
 * range: a table installed meanwhile may or may not be visited.
 */
typedef int (*pte_fn_t)(pte_t *ptep, unsigned long addr, void *arg);
int walk_ptes(struct mm_struct *mm, unsigned long start, unsigned long end, pte_fn_t fn,
	      void *arg);

/*
 * walk_pte_range: the same within one PTE table, whose ptl the caller holds: ptep is the
 * slot of start, and [start, end) lies inside the table.
 */
int walk_pte_range(pte_t *ptep, unsigned long start, unsigned long end, pte_fn_t fn, void *arg);

/*
 * Free every empty table (other than the pgd) that covers part of [start, end). Takes
 * page_table_lock, and each PTE table's ptl before detaching it; no page-table lock held.
 */
void free_empty_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end);

#endif
