/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables: four levels of 512 entries (pgd > pud > pmd > pte), as on x86-64 with 4-level
 * paging. One struct pt_table serves every level; the three upper levels hold pointers to the
 * next level, the last one holds PTEs.
 *
 * PTE format (64 bits):
 *
 *   present:     | pfn (bits 12-63) | ... | D 6 | A 5 | ... | W 1 | P 0 |
 *   swap entry:  | offset (12-63)   | type (3-7) | X 2 | S 1 | P 0 |
 *   none:        all zero
 *
 *   Bits (numbered): P present, W writable, A young (accessed), D dirty; S marks a swap
 *   entry (so that a swap entry is never pte_none), X = pte_swp_exclusive (the page was
 *   AnonExclusive when it was swapped out).
 *
 * Invariants (ptl = the mm's page_table_lock):
 *   table->nr_used == number of entries of table that are not none (PTE level) / not NULL
 *   (upper levels);
 *   a table other than the pgd is freed as soon as free_empty_pgtables() sees nr_used == 0;
 *   the pgd lives from pgd_alloc to pgd_free.
 * Every function here is called with ptl held, except pgd_alloc/pgd_free (mm not shared yet /
 * any more).
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
#define _PTE_SWP_OFFSET_SHIFT 12
#define MAX_SWAPFILES (1 << _PTE_SWP_TYPE_BITS)

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
	VM_BUG_ON(type >= MAX_SWAPFILES);
	return (swp_entry_t){ ((uint64_t)type << _PTE_SWP_TYPE_SHIFT) |
			      ((uint64_t)offset << _PTE_SWP_OFFSET_SHIFT) };
}

static inline unsigned int swp_type(swp_entry_t e)
{
	return (e.val >> _PTE_SWP_TYPE_SHIFT) & (MAX_SWAPFILES - 1);
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
	return (swp_entry_t){ pte.val & ~(uint64_t)(_PTE_SWAP | _PTE_SWP_EXCLUSIVE) };
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
		struct pt_table *next[PTRS_PER_TABLE]; /* pgd, pud, pmd: the next level; ptl */
		pte_t pte[PTRS_PER_TABLE];             /* the last level; ptl */
	};
	unsigned int nr_used; /* entries in use; ptl */
};

/* The top of an mm's page tables (mm->pgd). */
struct pgd_table {
	struct pt_table table;
};

/* The PTE slot of addr, or NULL when a table on the way is missing. */
pte_t *pte_offset(struct mm_struct *mm, unsigned long addr);
/* The PTE slot of addr, allocating missing tables; NULL on -ENOMEM (then nothing is left). */
pte_t *pte_alloc(struct mm_struct *mm, unsigned long addr) __must_check;

/* Store a PTE (keeps the table's nr_used). */
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte);
/* Clear a PTE and return what it held. */
pte_t ptep_get_and_clear(struct mm_struct *mm, unsigned long addr, pte_t *ptep);

/*
 * Calls fn(ptep, addr, arg) for every PTE of [start, end) that is not none, in ascending
 * order, skipping missing tables. fn may change or clear the PTE (tables are not freed during
 * the walk). A non-zero return of fn stops the walk and is returned.
 */
typedef int (*pte_fn_t)(pte_t *ptep, unsigned long addr, void *arg);
int walk_ptes(struct mm_struct *mm, unsigned long start, unsigned long end, pte_fn_t fn,
	      void *arg);

/* Free every empty table (other than the pgd) that covers part of [start, end). */
void free_empty_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end);

#endif
