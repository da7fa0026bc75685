// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap/avc.c: the anon_vma_chain designs (docs/semantics.md §1-§2): Linux 6.18's
 * anon_vma / anon_vma_chain in the locking shape of the 2026 cleanup (AVCs allocated before
 * the root lock is taken, one root lock per clone/unlink, the op enum and
 * maybe_reuse_anon_vma), and the two ablations built from the same code:
 *
 *   linux       interval-tree index, reuse at fork (7a3ef208e662, 3.19)
 *   noreuse     interval-tree index, no reuse: every fork of a faulted VMA makes an
 *               anon_vma, as 3.7 - 3.18 did, and a fork chain's hierarchy grows without bound
 *   nointerval  list index (rmap/index.c), reuse: a walk visits every VMA chained to the
 *               folio's anon_vma, whatever its range, as 2.6.34 - 3.6 did
 *
 * Owns vma->anon_vma and vma->anon_vma_chain (written only here and by vm_area_dup's
 * copy) and the AVC objects.
 *
 * Invariants (§2.9; rmap/validate.c checks them):
 *	I2 avc on avc->vma->anon_vma_chain  <=>  avc in avc->anon_vma's index
 *	I3 av->num_active_vmas = #{VMA v : v->anon_vma == av}
 *	I4 av->num_children    = #{anon_vma x with a non-empty index : x->parent == av}
 *	   (a root is its own parent: +1 while its index is not empty)
 *	I5 for every v: {x->root : x in chain(v)} = {v->anon_vma->root}, v->anon_vma in chain(v)
 *	I7 root->refcount >= [index not empty] + #{live x != root : x->root == root}
 *	chain(v) is closed under ->parent: a VMA sits in the index of every ancestor of its
 *	anon_vma (central property, §1.2), so a walk searches only the folio's anon_vma.
 *	Lifetime: av->refcount = [index not empty] + (root: live descendants) + pins; an
 *	anon_vma dies when its index empties (unlink_anon_vmas), not when num_active_vmas
 *	reaches 0.
 *
 * Memory: AVCs are freed at once: only holders of the root rwsem (or the VMA's mmap_lock,
 * for the chain) see them.
 *
 * Locks: mmap_lock (the VMA's chain) > root rwsem W (indexes and counters) >
 * page_table_lock (anon_vma_prepare's last step, against a racing fault in the same VMA).
 */
#include <errno.h>

#include "alloc.h"
#include "internal.h"

static inline const struct anon_vma_index_ops *vma_index(const struct vm_area_struct *vma)
{
	return vma_rmap(vma)->index;
}

/* ---- the anon_vma_chain object ---------------------------------------------------------- */

static struct anon_vma_chain *anon_vma_chain_alloc(struct anonvm *vm)
{
	struct anon_vma_chain *avc = av_alloc(AV_OBJ_AVC, sizeof(*avc));

	if (avc)
		count_vm_event(vm, avc_alloc);
	return avc;
}

static void anon_vma_chain_free(struct anonvm *vm, struct anon_vma_chain *avc)
{
	count_vm_event(vm, avc_free);
	av_free(AV_OBJ_AVC, avc);
}

/* Put avc at the front of vma's chain, pointing at anon_vma; not yet in its index. */
static void anon_vma_chain_assign(struct vm_area_struct *vma, struct anon_vma_chain *avc,
				  struct anon_vma *anon_vma)
{
	avc->vma = vma;
	avc->anon_vma = anon_vma;
	list_add(&avc->same_vma, &vma->anon_vma_chain);
}

static void anon_vma_init_avc(struct anon_vma *anon_vma)
{
	anon_vma->vm->rmap->index->init(anon_vma);
}

static bool anon_vma_in_use_avc(const struct anon_vma *anon_vma)
{
	return !anon_vma->vm->rmap->index->empty(anon_vma);
}

/* ---- anon_vma_prepare (§2.1) ----------------------------------------------------------- */

/* The slow path of anon_vma_prepare: vma->anon_vma was NULL. mmap_lock R or W. */
static int __anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anonvm *vm = mm->vm;
	struct anon_vma *anon_vma, *allocated = NULL;
	struct anon_vma_chain *avc;

	mmap_assert_locked(mm);
	avc = anon_vma_chain_alloc(vm);
	if (!avc)
		return -ENOMEM;
	anon_vma = find_mergeable_anon_vma(vma);
	if (!anon_vma) {
		anon_vma = anon_vma_alloc(vm);
		if (!anon_vma)
			goto out_free_avc;
		anon_vma->num_children++; /* a new root's self link */
		allocated = anon_vma;
	}

	anon_vma_lock_write(anon_vma);
	/* page_table_lock: another thread may be faulting in the same VMA */
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		__atomic_store_n(&vma->anon_vma, anon_vma, __ATOMIC_RELEASE);
		anon_vma_chain_assign(vma, avc, anon_vma);
		vma_index(vma)->insert(avc, anon_vma);
		anon_vma->num_active_vmas++;
		allocated = NULL;
		avc = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	anon_vma_unlock_write(anon_vma);

	/* another thread won: drop what we made */
	if (allocated)
		put_anon_vma(allocated);
	if (avc)
		anon_vma_chain_free(vm, avc);
	return 0;

out_free_avc:
	anon_vma_chain_free(vm, avc);
	return -ENOMEM;
}

/* ---- anon_vma_clone (§2.2) ------------------------------------------------------------- */

static void check_anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src,
				 enum vma_operation op)
{
	mmap_assert_write_locked(src->vm_mm);
	VM_BUG_ON(op != VMA_OP_FORK && dst->vm_mm != src->vm_mm);
	VM_BUG_ON(!list_empty(&dst->anon_vma_chain));
	if (!src->anon_vma) {
		VM_BUG_ON(!list_empty(&src->anon_vma_chain));
		VM_BUG_ON(dst->anon_vma);
		return;
	}
	if (op == VMA_OP_FORK)
		VM_BUG_ON(dst->anon_vma);
	else
		VM_BUG_ON(dst->anon_vma != src->anon_vma);
	/* only a non-fork-child lends its anon_vma to an unfaulted neighbour */
	VM_BUG_ON(op == VMA_OP_MERGE_UNFAULTED && !list_is_singular(&src->anon_vma_chain));
}

/*
 * Fork: the child VMA may take over an anon_vma of its ancestry instead of getting its own,
 * if no VMA uses it as primary any more and it has at most one child: it then stands for a
 * process that exited between two forks, and the hierarchy stays within about twice the
 * number of VMAs (7a3ef208e662). Counting the two apart is the CVE-2022-42703 fix. A root
 * never qualifies while its index is not empty: its self link and any child make two.
 * The noreuse design never reuses. Root rwsem W.
 */
static void maybe_reuse_anon_vma(struct vm_area_struct *dst, struct anon_vma *anon_vma)
{
	if (!vma_rmap(dst)->reuse || dst->anon_vma)
		return;
	if (anon_vma->num_active_vmas > 0 || anon_vma->num_children > 1)
		return;
	dst->anon_vma = anon_vma;
	anon_vma->num_active_vmas++;
	count_vm_event(anon_vma->vm, anon_vma_reuse);
}

/* Undo the allocation step of anon_vma_clone: the AVCs are in no index yet. */
static void cleanup_partial_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		list_del(&avc->same_vma);
		anon_vma_chain_free(vma_machine(vma), avc);
	}
	vma->anon_vma = NULL;
}

static int anon_vma_clone_avc(struct vm_area_struct *dst, struct vm_area_struct *src,
			      enum vma_operation op)
{
	const struct anon_vma_index_ops *index = vma_index(src);
	struct anon_vma *active = src->anon_vma;
	struct anon_vma_chain *avc, *pavc;

	check_anon_vma_clone(dst, src, op);
	if (!active)
		return 0;

	/*
	 * Allocate without the anon_vma lock: nothing a walker sees changes yet. dst is
	 * under src's mmap_lock W (split, merge, remap) or not yet visible (fork).
	 * src's list is walked back to front and each new AVC goes to the front, so dst's
	 * list is in src's order: newest anon_vma first, the root last.
	 */
	list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma) {
		avc = anon_vma_chain_alloc(vma_machine(src));
		if (!avc)
			goto out_enomem;
		anon_vma_chain_assign(dst, avc, pavc->anon_vma);
	}

	/*
	 * Point of no return. One lock: every anon_vma of the chain has the same root.
	 * Oldest first, so a fork reuses the oldest eligible anon_vma, as Linux does.
	 */
	anon_vma_lock_write(active);
	list_for_each_entry_reverse(avc, &dst->anon_vma_chain, same_vma) {
		index->insert(avc, avc->anon_vma);
		if (op == VMA_OP_FORK)
			maybe_reuse_anon_vma(dst, avc->anon_vma);
	}
	if (op != VMA_OP_FORK)
		dst->anon_vma->num_active_vmas++;
	anon_vma_unlock_write(active);
	return 0;

out_enomem:
	cleanup_partial_anon_vmas(dst);
	return -ENOMEM;
}

/* ---- anon_vma_fork (§2.3) -------------------------------------------------------------- */

static int anon_vma_fork_avc(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anonvm *vm = vma_machine(pvma);
	struct anon_vma *anon_vma;
	struct anon_vma_chain *avc;
	int ret;

	/* unfaulted in the parent: the child VMA starts unfaulted too */
	if (!pvma->anon_vma)
		return 0;

	/* the inherited pointer goes: reuse or a new anon_vma replaces it */
	vma->anon_vma = NULL;
	anon_vma = anon_vma_alloc(vm);
	if (!anon_vma)
		return -ENOMEM;
	avc = anon_vma_chain_alloc(vm);
	if (!avc) {
		ret = -ENOMEM;
		goto out_put;
	}

	/* join every anon_vma of the parent VMA, so walks from its folios find the child */
	ret = anon_vma_clone_avc(vma, pvma, VMA_OP_FORK);
	if (ret || vma->anon_vma)
		goto out_free_avc; /* failed, or reused an ancestor: ours is not needed */

	/*
	 * Not yet linked to any VMA: its fields may be set without the root lock. But it is in
	 * the machine's registry since anon_vma_alloc, and anon_vma_family_empty (another
	 * family's root dying) reads every registered anon_vma's root under anon_vmas_lock:
	 * the family is set under that lock.
	 */
	anon_vma->num_active_vmas = 1;
	spin_lock(&vm->anon_vmas_lock);
	anon_vma->root = pvma->anon_vma->root;
	anon_vma->parent = pvma->anon_vma;
	spin_unlock(&vm->anon_vmas_lock);
	/* the lock lives in the root: pin it for as long as this anon_vma lives */
	get_anon_vma(anon_vma->root);
	vma->anon_vma = anon_vma;
	anon_vma_chain_assign(vma, avc, anon_vma);
	anon_vma_lock_write(anon_vma);
	vma_index(vma)->insert(avc, anon_vma);
	anon_vma->parent->num_children++;
	anon_vma_unlock_write(anon_vma);
	return 0;

out_free_avc:
	anon_vma_chain_free(vm, avc);
out_put:
	put_anon_vma(anon_vma);
	return ret;
}

/* ---- unlink_anon_vmas (§2.4) ----------------------------------------------------------- */

static void unlink_anon_vmas_avc(struct vm_area_struct *vma)
{
	const struct anon_vma_index_ops *index = vma_index(vma);
	struct anon_vma *active = vma->anon_vma;
	struct anonvm *vm = vma_machine(vma);
	struct anon_vma_chain *avc, *next;

	mmap_assert_locked(vma->vm_mm);
	if (!active) {
		VM_BUG_ON(!list_empty(&vma->anon_vma_chain));
		return;
	}

	anon_vma_lock_write(active);
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		index->remove(avc, anon_vma);
		if (index->empty(anon_vma)) {
			/*
			 * It dies: no VMA can map its folios any more. Keep the AVC to put the
			 * anon_vma after the unlock (freeing may take the root lock).
			 */
			anon_vma->parent->num_children--;
			continue;
		}
		list_del(&avc->same_vma);
		anon_vma_chain_free(vm, avc);
	}
	active->num_active_vmas--;
	vma->anon_vma = NULL;
	anon_vma_unlock_write(active);

	/* Only the AVCs of emptied indexes are left. A root goes last: descendants pin it. */
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		VM_BUG_ON(anon_vma->num_children != 0);
		VM_BUG_ON(anon_vma->num_active_vmas != 0);
		put_anon_vma(anon_vma);
		list_del(&avc->same_vma);
		anon_vma_chain_free(vm, avc);
	}
}

/* ---- range changes, fork children, walks ---------------------------------------------- */

/*
 * vma's range or pgoff is about to change: take its AVCs out of a keyed index, and put them
 * back under the new key after. A list index has no key: nothing to do. Root rwsem W.
 */
static void anon_vma_pre_update_avc(struct vm_area_struct *vma)
{
	const struct anon_vma_index_ops *index = vma_index(vma);
	struct anon_vma_chain *avc;

	if (!index->keyed)
		return;
	if (vma->anon_vma)
		lockdep_assert_held_write(&vma->anon_vma->root->rwsem);
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		index->remove(avc, avc->anon_vma);
}

static void anon_vma_post_update_avc(struct vm_area_struct *vma)
{
	const struct anon_vma_index_ops *index = vma_index(vma);
	struct anon_vma_chain *avc;

	if (!index->keyed)
		return;
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		index->insert(avc, avc->anon_vma);
}

static bool is_fork_child_avc(const struct vm_area_struct *vma)
{
	return vma->anon_vma && !list_is_singular(&vma->anon_vma_chain);
}

/* I1: an AVC links vma to anon_vma. mmap_lock held. */
static bool vma_reaches_avc(const struct vm_area_struct *vma, const struct anon_vma *anon_vma)
{
	const struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		if (avc->anon_vma == anon_vma)
			return true;
	return false;
}

/* Only the folio's anon_vma: every VMA that may map it is in its index (§1.2). */
static void rmap_walk_avc(struct folio *folio, struct anon_vma *anon_vma,
			  struct rmap_walk_control *rwc)
{
	const struct anon_vma_index_ops *index = anon_vma->vm->rmap->index;
	unsigned long pgoff = folio->index; /* one page per folio: [first, last] = [index, index] */
	struct anon_vma_chain *avc;

	anon_vma_index_foreach(avc, index, anon_vma, pgoff, pgoff)
		if (!rmap_walk_vma(folio, avc->vma, rwc))
			break;
}

/* ---- the designs ------------------------------------------------------------------------ */

#define RMAP_AVC_OPS                                                                          \
	.prepare = __anon_vma_prepare, .clone = anon_vma_clone_avc, .fork = anon_vma_fork_avc,  \
	.unlink = unlink_anon_vmas_avc, .pre_update = anon_vma_pre_update_avc,                 \
	.post_update = anon_vma_post_update_avc, .walk = rmap_walk_avc,                         \
	.is_fork_child = is_fork_child_avc, .vma_reaches = vma_reaches_avc,                    \
	.anon_vma_init = anon_vma_init_avc, .anon_vma_in_use = anon_vma_in_use_avc,            \
	.validate_vma = anon_vma_validate_vma_avc, .validate = anon_vma_validate_avc,          \
	.dot = rmap_dot_avc

const struct rmap_ops rmap_linux_ops = {
	.name = "linux",
	.design = ANONVM_RMAP_LINUX,
	.index = &anon_vma_index_tree,
	.reuse = true,
	RMAP_AVC_OPS,
};

const struct rmap_ops rmap_noreuse_ops = {
	.name = "noreuse",
	.design = ANONVM_RMAP_NOREUSE,
	.index = &anon_vma_index_tree,
	.reuse = false,
	RMAP_AVC_OPS,
};

const struct rmap_ops rmap_nointerval_ops = {
	.name = "nointerval",
	.design = ANONVM_RMAP_NOINTERVAL,
	.index = &anon_vma_index_list,
	.reuse = true,
	RMAP_AVC_OPS,
};
