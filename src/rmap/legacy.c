// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap/legacy.c: the `legacy` design, Linux 2.6.33's anonymous reverse map (2.6.7 -
 * 2.6.33; docs/semantics.md §6), before anon_vma_chain:
 *
 *   one anon_vma per fork family, holding a list of every VMA of the family
 *   (anon_vma->head, vma->anon_vma_node); no chains, no hierarchy (root = parent = self);
 *   fork links the child's VMA into its parent VMA's anon_vma (2.6.33 anon_vma_link), so
 *   every COWed page of every descendant points at that one anon_vma, and a walk scans
 *   the whole list, whatever each VMA's range, in O(VMAs of the family);
 *   a split, a remap or an unfaulted VMA that takes over a neighbour's pages joins the
 *   same list (2.6.33 __anon_vma_link, vma_adjust's "importer"); unlink leaves it
 *   (anon_vma_unlink), and the anon_vma dies with its last VMA.
 *
 * Sharing with neighbours. 2.6.33's find_mergeable_anon_vma takes a compatible neighbour's
 * anon_vma whatever it is, and its is_mergeable_anon_vma is `!a || !b || a == b`. Both
 * follow from the 6.18 code this model runs (rmap.c's find_mergeable_anon_vma, vma.c's
 * is_mergeable_anon_vma) once no VMA is a fork child, which is what legacy answers: 6.18's
 * three cases become "tgt unfaulted: allowed; src unfaulted: allowed; else equal". So the
 * merge rules differ from `linux` exactly where `linux` refuses because of a fork child:
 * after a fork, a faulted VMA merges with an unfaulted neighbour (and a neighbour's
 * anon_vma is reused) in the parent and the child alike. The VMA lines of such scenarios
 * differ from the kernel's; tests/scenarios/legacy-vma-differs.txt lists them.
 *
 * The lock, as 2.6.33 took it. 2.6.33's anon_vma had one spinlock_t (anon_vma->lock), and
 * every user took it exclusively: anon_vma_prepare (a neighbour's anon_vma), anon_vma_link
 * (fork: dup_mmap), anon_vma_unlink (exit and munmap: free_pgtables), the VMA layer's
 * splits and merges of a faulted VMA, and the walks: page_referenced_anon and
 * try_to_unmap_anon through page_lock_anon_vma (rcu_read_lock, then spin_lock: no trylock,
 * reclaim's referenced check spun like everyone else), rmap_walk_anon (migration) directly.
 * 6.18 instead lets walks share the root rwsem for read, and reclaim's referenced check
 * gives up when it is contended (rwc->try_lock, 2022). So here the lock is the anon_vma's
 * rwsem (root = self) taken for write by every user, walks included (walk_lock_exclusive:
 * rmap.c's anon_vma_lock_read is then a write lock, and reclaim waits for it). This is the
 * contention behind anon_vma_chain (5beb49305251, 2.6.34): a walk from any COWed page of a
 * big family holds the family's one lock while it scans every VMA of the family, and every
 * fork, exit and other walk of the family waits behind it. A spinlock spins where the rwsem
 * sleeps: the waits are the same, what the waiting CPU does meanwhile is not.
 *
 * Invariants (rmap/validate.c): vma->anon_vma == av <=> vma on av->head; av->refcount =
 * [av->head not empty] + pins; num_children = num_active_vmas = 0.
 * Locks: mmap_lock > anon_vma rwsem W (the list, and every walk) > page_table_lock
 * (prepare's last step).
 */
#include <errno.h>

#include "internal.h"

static void anon_vma_init_legacy(struct anon_vma *anon_vma)
{
	INIT_LIST_HEAD(&anon_vma->head);
}

static bool anon_vma_in_use_legacy(const struct anon_vma *anon_vma)
{
	return !list_empty(&anon_vma->head);
}

/* anon_vma_prepare (§2.1 without the AVC): a neighbour's anon_vma, or a new one. */
static int anon_vma_prepare_legacy(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *anon_vma, *allocated = NULL;

	mmap_assert_locked(mm);
	anon_vma = find_mergeable_anon_vma(vma);
	if (!anon_vma) {
		anon_vma = anon_vma_alloc(mm->vm);
		if (!anon_vma)
			return -ENOMEM;
		allocated = anon_vma;
	}

	anon_vma_lock_write(anon_vma);
	/* page_table_lock: another thread may be faulting in the same VMA */
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		__atomic_store_n(&vma->anon_vma, anon_vma, __ATOMIC_RELEASE);
		list_add_tail(&vma->anon_vma_node, &anon_vma->head);
		allocated = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	anon_vma_unlock_write(anon_vma);

	/* another thread won: its refcount of 1 was for a list that stays empty */
	if (allocated)
		put_anon_vma(allocated);
	return 0;
}

/*
 * Every op is one link: dst joins the list of src's anon_vma (for a fork, dst's pointer,
 * cleared by the caller, is set here). Nothing is allocated: it cannot fail.
 */
static int anon_vma_clone_legacy(struct vm_area_struct *dst, struct vm_area_struct *src,
				 enum vma_operation op)
{
	struct anon_vma *anon_vma = src->anon_vma;

	mmap_assert_write_locked(src->vm_mm);
	VM_BUG_ON(!list_empty(&dst->anon_vma_node));
	if (!anon_vma) {
		VM_BUG_ON(dst->anon_vma);
		return 0;
	}
	VM_BUG_ON(dst->anon_vma != (op == VMA_OP_FORK ? NULL : anon_vma));
	anon_vma_lock_write(anon_vma);
	dst->anon_vma = anon_vma;
	list_add_tail(&dst->anon_vma_node, &anon_vma->head);
	anon_vma_unlock_write(anon_vma);
	return 0;
}

/* 2.6.33 dup_mmap: the child's VMA shares the parent VMA's anon_vma (anon_vma_link). */
static int anon_vma_fork_legacy(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	vma->anon_vma = NULL;
	return anon_vma_clone_legacy(vma, pvma, VMA_OP_FORK);
}

/* anon_vma_unlink: off the list; the last VMA frees the anon_vma. */
static void anon_vma_unlink_legacy(struct vm_area_struct *vma)
{
	struct anon_vma *anon_vma = vma->anon_vma;
	bool empty;

	mmap_assert_locked(vma->vm_mm);
	if (!anon_vma) {
		VM_BUG_ON(!list_empty(&vma->anon_vma_node));
		return;
	}
	anon_vma_lock_write(anon_vma);
	list_del_init(&vma->anon_vma_node);
	empty = list_empty(&anon_vma->head);
	vma->anon_vma = NULL;
	anon_vma_unlock_write(anon_vma);
	if (empty)
		put_anon_vma(anon_vma);
}

/* The list has no key: a change of a VMA's range leaves it as it is. */
static void anon_vma_update_legacy(struct vm_area_struct *vma)
{
}

/* In 2.6.33 no VMA is a fork child: nothing restricts sharing and merging (see above). */
static bool is_fork_child_legacy(const struct vm_area_struct *vma)
{
	return false;
}

static bool vma_reaches_legacy(const struct vm_area_struct *vma, const struct anon_vma *anon_vma)
{
	return vma->anon_vma == anon_vma;
}

/* Every VMA of the family: each is looked at, those whose range holds the page probed. */
static void rmap_walk_legacy(struct folio *folio, struct anon_vma *anon_vma,
			     struct rmap_walk_control *rwc)
{
	struct vm_area_struct *vma;

	list_for_each_entry(vma, &anon_vma->head, anon_vma_node)
		if (!rmap_walk_vma(folio, vma, rwc))
			break;
}

const struct rmap_ops rmap_legacy_ops = {
	.name = "legacy",
	.design = ANONVM_RMAP_LEGACY,
	.walk_lock_exclusive = true,
	.prepare = anon_vma_prepare_legacy,
	.clone = anon_vma_clone_legacy,
	.fork = anon_vma_fork_legacy,
	.unlink = anon_vma_unlink_legacy,
	.pre_update = anon_vma_update_legacy,
	.post_update = anon_vma_update_legacy,
	.walk = rmap_walk_legacy,
	.is_fork_child = is_fork_child_legacy,
	.vma_reaches = vma_reaches_legacy,
	.anon_vma_init = anon_vma_init_legacy,
	.anon_vma_in_use = anon_vma_in_use_legacy,
	.validate_vma = anon_vma_validate_vma_legacy,
	.validate = anon_vma_validate_legacy,
	.dot = rmap_dot_legacy,
};
