// SPDX-License-Identifier: GPL-2.0-only
/*
 * pgtable.c: the 4-level page tables of an mm (format, invariants and locks in pgtable.h).
 *
 * Owns: every struct pt_table (allocated on demand by __pte_alloc, outside any lock, freed
 * when empty by free_empty_pgtables through call_rcu, counted as AV_OBJ_PGTABLE and in
 * mm->pgtables_bytes), the pgd (pgd_alloc / pgd_free).
 *
 * Invariants:
 *   t->nr_used == |{ i : t->next[i] != NULL }| for pgd, pud and pmd tables;
 *   t->nr_used == |{ i : !pte_none(t->pte[i]) }| for PTE tables;
 *   after free_empty_pgtables(mm, s, e) no table below the pgd covering part of [s, e) has
 *   nr_used == 0 (unless a racing fault made one, which it then fills).
 *
 * Locks: split page-table locks. An entry of an upper table is read with an acquire load
 * (pmdp_get_lockless) inside an RCU read-side section, written with a release store under
 * page_table_lock; a PTE table is used only under its own ptl, taken after the lockless
 * descent and confirmed by reloading the entry that led to it (a table is only detached
 * under its own ptl, so a confirmed table stays attached until the lock is dropped). Tables
 * are freed after a grace period: a walker that read a pointer to one may still look at it.
 * Kernel counterparts: __pte_offset_map_lock's pmd_same recheck, pte_free_defer.
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

static struct pt_table *entry_load(struct pt_table **slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static void entry_store(struct pt_table **slot, struct pt_table *t)
{
	__atomic_store_n(slot, t, __ATOMIC_RELEASE);
}

/*
 * A new table, zeroed. Every table gets a ptl, whatever its level: only PTE tables use it,
 * but a table allocated for one level may end up installed at another (__pte_alloc).
 */
static struct pt_table *pt_table_alloc(void)
{
	struct pt_table *t = av_alloc(AV_OBJ_PGTABLE, sizeof(*t));

	if (t)
		spin_lock_init(&t->ptl); /* one lock class: every PTE table's ptl */
	return t;
}

static void pt_table_free_now(struct pt_table *t)
{
	spin_lock_destroy(&t->ptl);
	av_free(AV_OBJ_PGTABLE, t);
}

static void pt_table_free_rcu(struct rcu_head *head)
{
	rcu_callback_begin();
	pt_table_free_now(caa_container_of(head, struct pt_table, rcu));
}

/* A detached table: freed once every lockless walker that may have seen it has left. */
static void pt_table_free(struct pt_table *t)
{
	call_rcu(&t->rcu, pt_table_free_rcu);
}

/*
 * The slot of the pmd table that points to addr's PTE table, or NULL where an upper table
 * is missing. Inside rcu_read_lock, or with page_table_lock held.
 */
static struct pt_table **pmd_slot(struct mm_struct *mm, unsigned long addr)
{
	struct pt_table *t = &mm->pgd->table;

	for (int level = 0; level < PT_LEVEL_PTE - 1; level++) {
		t = entry_load(&t->next[level_index(level, addr)]);
		if (!t)
			return NULL;
	}
	return &t->next[level_index(PT_LEVEL_PTE - 1, addr)];
}

/* addr's PTE table, locked and confirmed, or NULL. Inside rcu_read_lock. */
static struct pt_table *pte_table_lock(struct pt_table **slot, unsigned int subclass)
{
	struct pt_table *t;

	while (slot && (t = entry_load(slot))) {
		spin_lock_nested(&t->ptl, subclass);
		if (entry_load(slot) == t) /* pmd_same: still attached, and now it stays so */
			return t;
		spin_unlock(&t->ptl); /* detached meanwhile: look again */
	}
	return NULL;
}

int __pte_alloc(struct mm_struct *mm, unsigned long addr)
{
	struct pt_table *t, *new = NULL;
	int level;

	spin_lock(&mm->page_table_lock);
	for (t = &mm->pgd->table, level = 0; level < PT_LEVEL_PTE; level++) {
		unsigned int i = level_index(level, addr);

		if (!t->next[i]) {
			if (!new) {
				/* allocate unlocked, then walk again: the tables may have changed */
				spin_unlock(&mm->page_table_lock);
				new = pt_table_alloc();
				if (!new) {
					/* leave no empty table behind on the path */
					free_empty_pgtables(mm, addr, addr + PAGE_SIZE);
					return -ENOMEM;
				}
				spin_lock(&mm->page_table_lock);
				t = &mm->pgd->table;
				level = -1;
				continue;
			}
			entry_store(&t->next[i], new); /* initialised before it is seen */
			__atomic_store_n(&t->nr_used, t->nr_used + 1, __ATOMIC_RELAXED);
			atomic_fetch_add(&mm->pgtables_bytes, PAGE_SIZE);
			new = NULL;
		}
		t = t->next[i];
	}
	spin_unlock(&mm->page_table_lock);
	if (new) /* another thread installed it first; nobody saw it */
		pt_table_free_now(new);
	return 0;
}
pte_t *pte_offset_map_lock_nested(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp,
				  unsigned int subclass)
{
	struct pt_table *t;

	rcu_read_lock();
	t = pte_table_lock(pmd_slot(mm, addr), subclass);
	rcu_read_unlock();
	if (!t)
		return NULL;
	*ptlp = &t->ptl;
	return &t->pte[level_index(PT_LEVEL_PTE, addr)];
}

pte_t *pte_offset_map_nolock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp)
{
	struct pt_table **slot, *t;

	rcu_read_lock();
	slot = pmd_slot(mm, addr);
	t = slot ? entry_load(slot) : NULL;
	rcu_read_unlock();
	if (!t)
		return NULL;
	*ptlp = &t->ptl;
	return &t->pte[level_index(PT_LEVEL_PTE, addr)];
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

	/* held and attached: the path down to t cannot be freed, no RCU needed to walk it */
	VM_BUG_ON(!lock_is_held(&t->ptl.dep_map));
	VM_BUG_ON(entry_load(pmd_slot(mm, addr)) != t);
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
 * The scan of a table stops once it has met all of its nr_used entries: an entry inside the
 * range is only changed or cleared during a walk, never made (move_pte makes them outside
 * it), so a walk costs what is mapped, not the length of the range. (An upper table's count
 * is read without its lock: a table a racing fault installs inside the range may be missed,
 * as the caller's locks allow.)
 */
int walk_pte_range(pte_t *ptep, unsigned long start, unsigned long end, pte_fn_t fn, void *arg)
{
	struct pt_table *t = ptep_table(ptep, start);
	unsigned int left = t->nr_used;
	unsigned long addr;
	int ret = 0;

	VM_BUG_ON(!lock_is_held(&t->ptl.dep_map));
	VM_BUG_ON(start >= end || level_addr_end(PT_LEVEL_PTE - 1, start, end) != end);
	for (addr = start; addr < end && !ret && left; addr += PAGE_SIZE) {
		pte_t *p = &t->pte[level_index(PT_LEVEL_PTE, addr)];

		if (!pte_none(*p)) {
			left--;
			ret = fn(p, addr, arg);
		}
	}
	return ret;
}

/* The entries of upper table t in [start, end). Inside rcu_read_lock. */
static int walk_level(struct pt_table *t, int level, unsigned long start, unsigned long end,
		      pte_fn_t fn, void *arg)
{
	unsigned int left = __atomic_load_n(&t->nr_used, __ATOMIC_RELAXED);
	unsigned long addr, next;
	int ret = 0;

	for (addr = start; addr < end && !ret && left; addr = next) {
		struct pt_table **slot = &t->next[level_index(level, addr)], *child;

		next = level_addr_end(level, addr, end);
		if (level + 1 < PT_LEVEL_PTE) {
			child = entry_load(slot);
			if (child) {
				left--;
				ret = walk_level(child, level + 1, addr, next, fn, arg);
			}
			continue;
		}
		child = pte_table_lock(slot, 0);
		if (child) {
			left--;
			ret = walk_pte_range(&child->pte[level_index(PT_LEVEL_PTE, addr)], addr, next,
					     fn, arg);
			spin_unlock(&child->ptl);
		}
	}
	return ret;
}

int walk_ptes(struct mm_struct *mm, unsigned long start, unsigned long end, pte_fn_t fn,
	      void *arg)
{
	int ret;

	VM_BUG_ON(start > end || end > TASK_SIZE);
	rcu_read_lock();
	ret = walk_level(&mm->pgd->table, 0, start, end, fn, arg);
	rcu_read_unlock();
	return ret;
}

/* Detach t's child at slot i if it is empty (page_table_lock held). */
static void free_if_empty(struct mm_struct *mm, struct pt_table *t, unsigned int i, int level)
{
	struct pt_table *child = t->next[i];
	bool empty;

	if (level + 1 == PT_LEVEL_PTE)
		spin_lock(&child->ptl); /* a fault may be filling it: it holds this lock */
	empty = child->nr_used == 0;
	if (empty)
		entry_store(&t->next[i], NULL);
	if (level + 1 == PT_LEVEL_PTE)
		spin_unlock(&child->ptl);
	if (!empty)
		return;
	__atomic_store_n(&t->nr_used, t->nr_used - 1, __ATOMIC_RELAXED);
	atomic_fetch_sub(&mm->pgtables_bytes, PAGE_SIZE);
	pt_table_free(child);
}

static void free_level(struct mm_struct *mm, struct pt_table *t, int level, unsigned long start,
		       unsigned long end)
{
	unsigned int left = t->nr_used; /* children not met yet: none beyond the last */
	unsigned long addr, next;

	for (addr = start; addr < end && left; addr = next) {
		unsigned int i = level_index(level, addr);

		next = level_addr_end(level, addr, end);
		if (!t->next[i])
			continue;
		left--;
		if (level + 1 < PT_LEVEL_PTE)
			free_level(mm, t->next[i], level + 1, addr, next);
		free_if_empty(mm, t, i, level);
	}
}

void free_empty_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	spin_lock(&mm->page_table_lock);
	free_level(mm, &mm->pgd->table, 0, start, end);
	spin_unlock(&mm->page_table_lock);
}
