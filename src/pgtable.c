// SPDX-License-Identifier: GPL-2.0-only
/*
 * pgtable.c: the 4-level page tables of an mm (format and invariants in pgtable.h).
 *
 * Owns: every struct pt_table (allocated on demand by __pte_alloc, outside the lock, freed
 * when empty by free_empty_pgtables, counted as AV_OBJ_PGTABLE and in mm->pgtables_bytes),
 * the pgd (pgd_alloc / pgd_free).
 *
 * Invariants:
 *   t->nr_used == |{ i : t->next[i] != NULL }| for pgd, pud and pmd tables;
 *   t->nr_used == |{ i : !pte_none(t->pte[i]) }| for PTE tables;
 *   after free_empty_pgtables(mm, s, e) no table below the pgd covering part of [s, e) has
 *   nr_used == 0.
 *
 * Locks: the PTE lock is the mm's page_table_lock, for all tables of the mm (Linux splits it
 * per PTE table with USE_SPLIT_PTE_PTLOCKS; pte_lockptr is where that will happen). Every
 * function but pgd_alloc/pgd_free, __pte_alloc and pte_*_map_lock runs with it held; no
 * allocation happens under it.
 */
#include <errno.h>

#include "alloc.h"
#include "memory.h"
#include "pgtable.h"

/* Address bits translated by one entry of a table of this level (0 = pgd). */
static unsigned int level_shift(int level)
{
	return PAGE_SHIFT + 9 * (PT_LEVELS - 1 - level);
}

static unsigned int level_index(int level, unsigned long addr)
{
	return (addr >> level_shift(level)) & (PTRS_PER_TABLE - 1);
}

/* End of the entry of this level that covers addr, clipped to end. */
static unsigned long level_addr_end(int level, unsigned long addr, unsigned long end)
{
	unsigned long size = 1UL << level_shift(level);
	unsigned long next = (addr & ~(size - 1)) + size;

	return next < end ? next : end;
}

int pgd_alloc(struct mm_struct *mm)
{
	mm->pgd = av_alloc(AV_OBJ_PGTABLE, sizeof(*mm->pgd));
	return mm->pgd ? 0 : -ENOMEM;
}

void pgd_free(struct mm_struct *mm)
{
	if (!mm->pgd)
		return;
	free_empty_pgtables(mm, 0, TASK_SIZE);
	VM_BUG_ON(mm->pgd->table.nr_used != 0);
	av_free(AV_OBJ_PGTABLE, mm->pgd);
	mm->pgd = NULL;
}

/* Walk down to the PTE table of addr, or NULL where a table is missing. ptl held. */
static struct pt_table *pte_table_of(struct mm_struct *mm, unsigned long addr)
{
	struct pt_table *t = &mm->pgd->table;

	for (int level = 0; level < PT_LEVEL_PTE && t; level++)
		t = t->next[level_index(level, addr)];
	return t;
}

pte_t *pte_offset(struct mm_struct *mm, unsigned long addr)
{
	struct pt_table *t = pte_table_of(mm, addr);

	return t ? &t->pte[level_index(PT_LEVEL_PTE, addr)] : NULL;
}

int __pte_alloc(struct mm_struct *mm, unsigned long addr)
{
	spinlock_t *ptl = pte_lockptr(mm, addr);
	struct pt_table *t, *new = NULL;
	int level;

	spin_lock(ptl);
	for (t = &mm->pgd->table, level = 0; level < PT_LEVEL_PTE; level++) {
		unsigned int i = level_index(level, addr);

		if (!t->next[i]) {
			if (!new) {
				/* allocate unlocked, then walk again: the tables may have changed */
				spin_unlock(ptl);
				new = av_alloc(AV_OBJ_PGTABLE, sizeof(*new));
				if (!new) {
					/* leave no empty table behind on the path */
					spin_lock(ptl);
					free_empty_pgtables(mm, addr, addr + PAGE_SIZE);
					spin_unlock(ptl);
					return -ENOMEM;
				}
				spin_lock(ptl);
				t = &mm->pgd->table;
				level = -1;
				continue;
			}
			t->next[i] = new;
			t->nr_used++;
			atomic_fetch_add(&mm->pgtables_bytes, PAGE_SIZE);
			new = NULL;
		}
		t = t->next[i];
	}
	spin_unlock(ptl);
	if (new)
		av_free(AV_OBJ_PGTABLE, new); /* another thread installed it first */
	return 0;
}

pte_t *pte_offset_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp)
{
	spinlock_t *ptl = pte_lockptr(mm, addr);
	pte_t *ptep;

	spin_lock(ptl);
	ptep = pte_offset(mm, addr);
	if (!ptep) {
		spin_unlock(ptl);
		return NULL;
	}
	*ptlp = ptl;
	return ptep;
}

pte_t *pte_alloc_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp)
{
	pte_t *ptep;

	while (!(ptep = pte_offset_map_lock(mm, addr, ptlp))) {
		if (__pte_alloc(mm, addr))
			return NULL;
	}
	return ptep;
}

/* The PTE table that holds ptep: pte[] is at offset 0 of struct pt_table. */
static struct pt_table *ptep_table(pte_t *ptep, unsigned long addr)
{
	return (struct pt_table *)(ptep - level_index(PT_LEVEL_PTE, addr));
}

void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte)
{
	struct pt_table *t = ptep_table(ptep, addr);

	VM_BUG_ON(pte_table_of(mm, addr) != t);
	if (pte_none(*ptep) && !pte_none(pte))
		t->nr_used++;
	else if (!pte_none(*ptep) && pte_none(pte))
		t->nr_used--;
	*ptep = pte;
}

pte_t ptep_get_and_clear(struct mm_struct *mm, unsigned long addr, pte_t *ptep)
{
	pte_t old = *ptep;

	set_pte_at(mm, addr, ptep, __pte(0));
	return old;
}

/*
 * The entries of t in [start, end). Only present tables are descended, and the scan of a
 * table stops once it has met all of its nr_used entries: an entry inside the range is only
 * changed or cleared during a walk, never made (move_pte makes them outside it), so a walk
 * costs what is mapped, not the length of the range.
 */
static int walk_level(struct pt_table *t, int level, unsigned long start, unsigned long end,
		      pte_fn_t fn, void *arg)
{
	unsigned int left = t->nr_used;
	unsigned long addr, next;
	int ret = 0;

	for (addr = start; addr < end && !ret && left; addr = next) {
		unsigned int i = level_index(level, addr);

		next = level_addr_end(level, addr, end);
		if (level == PT_LEVEL_PTE) {
			if (!pte_none(t->pte[i])) {
				left--;
				ret = fn(&t->pte[i], addr, arg);
			}
		} else if (t->next[i]) {
			left--;
			ret = walk_level(t->next[i], level + 1, addr, next, fn, arg);
		}
	}
	return ret;
}

int walk_ptes(struct mm_struct *mm, unsigned long start, unsigned long end, pte_fn_t fn,
	      void *arg)
{
	VM_BUG_ON(start > end || end > TASK_SIZE);
	return walk_level(&mm->pgd->table, 0, start, end, fn, arg);
}

static void free_level(struct mm_struct *mm, struct pt_table *t, int level, unsigned long start,
		       unsigned long end)
{
	unsigned int left = t->nr_used; /* children not met yet: none beyond the last */
	unsigned long addr, next;

	for (addr = start; addr < end && left; addr = next) {
		unsigned int i = level_index(level, addr);
		struct pt_table *child = t->next[i];

		next = level_addr_end(level, addr, end);
		if (!child)
			continue;
		left--;
		if (level + 1 < PT_LEVEL_PTE)
			free_level(mm, child, level + 1, addr, next);
		if (child->nr_used == 0) {
			t->next[i] = NULL;
			t->nr_used--;
			av_free(AV_OBJ_PGTABLE, child);
			atomic_fetch_sub(&mm->pgtables_bytes, PAGE_SIZE);
		}
	}
}

void free_empty_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	free_level(mm, &mm->pgd->table, 0, start, end);
}
