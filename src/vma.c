// SPDX-License-Identifier: GPL-2.0-only
/*
 * vma.c: VMA objects, lookups, per-VMA locks, and the split / merge / expand machinery that
 * every VMA-changing call (mmap, munmap, mprotect, madvise, mremap) goes through. Kernel
 * counterpart: mm/vma.c, whose function names this file keeps.
 *
 * Invariants (checked by mm_valid() at the end of every mutator, docs/semantics.md §2.9):
 *   for every VMA V of mm:  the tree maps exactly [V.vm_start, V.vm_end - 1] to V;
 *                           V.vm_start < V.vm_end, both page aligned; V.vm_mm == mm;
 *   VMAs are ascending and disjoint: V(i).vm_end <= V(i+1).vm_start;
 *   mm->map_count == number of VMAs in the tree;
 *   and what the rmap design says of each VMA (its validate_vma: for the chain designs,
 *   V.anon_vma == NULL <=> V's anon_vma_chain is empty, V.anon_vma is on V's chain, ...).
 * A merge keeps the pages' rmap reachable: a VMA that takes over a range from a faulted VMA
 * first gets its anon_vma and chain (dup_anon_vma); a removed VMA is unlinked from its
 * anon_vmas only after the survivor covers its range (§2.5). A split gives both halves the
 * same chain (§2.6).
 *
 * Locks: every function that changes a VMA or the tree runs under mmap_lock held for write
 * and write-locks each VMA it changes (vma_start_write) before changing it; a change of a
 * VMA's range or pgoff happens under its anon_vma root rwsem, with its chain taken out of
 * the interval trees and put back (vma_prepare / vma_complete). Lookups need mmap_lock (R or
 * W); lock_vma_under_rcu needs no lock (it reads the tree under RCU, then takes the VMA's
 * read lock). VMA write locks last until mmap_write_unlock. VMA memory is type-stable (an
 * object cache) or freed after an RCU grace period (vm_area_free); a VMA that was in the
 * tree is freed only once write-locked (no reader left) and detached (no new reader).
 *
 * Allocation first, then commit: each operation allocates everything it needs (VMA, tree
 * nodes, anon_vma chains) before its point of no return, and on ENOMEM leaves the mm as it
 * was (a split that already happened stays, as in Linux).
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>

#include "alloc.h"
#include "memory.h"
#include "rmap.h"
#include "vma.h"

/* Lookups. */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	unsigned long index = addr;

	return mt_find(&mm->mm_mt, &index, ULONG_MAX);
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	return mtree_load(&mm->mm_mt, addr);
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	unsigned long below = vma ? vma->vm_start : addr;
	MA_STATE(mas, &mm->mm_mt, below - 1, below - 1);

	*pprev = NULL;
	if (below) {
		rcu_read_lock();
		*pprev = mas_find_rev(&mas, 0);
		rcu_read_unlock();
	}
	return vma;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

/*
 * Per-VMA locks (§5), in the kernel's shape (include/linux/mmap_lock.h, mm/mmap_lock.c): a
 * reference count, not a lock object. A VMA is write-locked for the current mmap write cycle
 * when its vm_lock_seq equals mm->mm_lock_seq; the cycle (and with it every VMA write lock)
 * ends when mmap_write_unlock advances mm_lock_seq. A reader holds one reference of
 * vm_refcnt; it takes it only while the VMA is attached (vm_refcnt > 0) and no writer waits
 * (vm_refcnt < VMA_LOCK_OFFSET), then re-checks the sequence numbers. A writer adds
 * VMA_LOCK_OFFSET, waits until only the attached reference is left, sets vm_lock_seq and
 * takes the offset back. Waiting is a sched_yield loop (there is no wait queue, as for the
 * folio lock).
 */
#define VMA_LOCK_OFFSET 0x40000000

/*
 * The lock checker's view, as the kernel's vmlock_dep_map: a reader holds the lock from
 * vma_start_read (a trylock: it never waits) to vma_end_read; a writer (and detaching) is
 * seen taking and releasing it around its wait for the readers, the only place it can
 * block, so that a writer waiting while holding a lock some reader wants is reported.
 */
static struct lock_class_key vma_lock_key;

/* Wait until vm_refcnt is `want` (readers leaving). */
static void vma_wait_refcnt(struct vm_area_struct *vma, int want)
{
	while (atomic_load_explicit(&vma->vm_refcnt, memory_order_acquire) != want)
		sched_yield();
}

void vma_start_write(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	int seq = atomic_load(&mm->mm_lock_seq), old;

	mmap_assert_write_locked(mm);
	if (atomic_load_explicit(&vma->vm_lock_seq, memory_order_relaxed) == seq)
		return;
	old = atomic_load_explicit(&vma->vm_refcnt, memory_order_relaxed);
	/* attached: keep new readers out and wait for those in flight (detached: none) */
	while (old && !atomic_compare_exchange_weak(&vma->vm_refcnt, &old, old + VMA_LOCK_OFFSET))
		;
	if (old) {
		lock_acquire(&vma->vmlock_dep_map, 0, false);
		vma_wait_refcnt(vma, VMA_LOCK_OFFSET + 1);
		lock_release(&vma->vmlock_dep_map);
	}
	atomic_store(&vma->vm_lock_seq, seq);
	if (old)
		atomic_fetch_sub_explicit(&vma->vm_refcnt, VMA_LOCK_OFFSET, memory_order_release);
}

void vma_mark_detached(struct vm_area_struct *vma)
{
	/* the attached reference; readers still in flight see a write-locked VMA and leave */
	if (atomic_fetch_sub_explicit(&vma->vm_refcnt, 1, memory_order_release) != 1) {
		lock_acquire(&vma->vmlock_dep_map, 0, false);
		vma_wait_refcnt(vma, 0);
		lock_release(&vma->vmlock_dep_map);
	}
}

static void vma_refcount_put(struct vm_area_struct *vma)
{
	atomic_fetch_sub_explicit(&vma->vm_refcnt, 1, memory_order_release);
}

/* Read-lock vma unless it is write-locked in this cycle, detached, or not mm's. */
static bool vma_start_read(struct mm_struct *mm, struct vm_area_struct *vma)
{
	int old;

	if (atomic_load(&vma->vm_lock_seq) == atomic_load(&mm->mm_lock_seq))
		return false;
	old = atomic_load_explicit(&vma->vm_refcnt, memory_order_relaxed);
	do {
		if (!old || old >= VMA_LOCK_OFFSET)
			return false; /* detached, or a writer is waiting */
	} while (!atomic_compare_exchange_weak_explicit(&vma->vm_refcnt, &old, old + 1,
							memory_order_acquire, memory_order_relaxed));
	/* a writer may have locked it between the check and the reference */
	if (atomic_load(&vma->vm_lock_seq) == atomic_load(&mm->mm_lock_seq) || vma->vm_mm != mm) {
		vma_refcount_put(vma);
		return false;
	}
	lock_acquire(&vma->vmlock_dep_map, 0, true);
	return true;
}

struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long address)
{
	MA_STATE(mas, &mm->mm_mt, address, address);
	struct vm_area_struct *vma;

	/* per-VMA locks off (CONFIG_PER_VMA_LOCK=n): the stub, every caller takes mmap_lock */
	if (!mm->vm->cfg.per_vma_lock)
		return NULL;
	rcu_read_lock();
	vma = mas_walk(&mas);
	if (!vma || !vma_start_read(mm, vma)) {
		rcu_read_unlock();
		return NULL;
	}
	rcu_read_unlock();
	/* locked: it cannot change any more, but it may have changed before we locked it */
	if (address < vma->vm_start || address >= vma->vm_end) {
		vma_end_read(vma);
		return NULL;
	}
	return vma;
}

void vma_end_read(struct vm_area_struct *vma)
{
	lock_release(&vma->vmlock_dep_map);
	vma_refcount_put(vma);
}

/* VMA objects. */

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = av_alloc(AV_OBJ_VMA, sizeof(*vma));

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	atomic_init(&vma->vm_lock_seq, -1);
	atomic_init(&vma->vm_refcnt, 0); /* detached */
	lockdep_init_map(&vma->vmlock_dep_map, "vm_lock", &vma_lock_key);
	return vma;
}

struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *new = vm_area_alloc(orig->vm_mm);

	if (!new)
		return NULL;
	vma_set_range(new, orig->vm_start, orig->vm_end, orig->vm_pgoff);
	vm_flags_reset(new, orig->vm_flags);
	new->vm_file = orig->vm_file;
	new->anon_vma = orig->anon_vma;
	return new;
}

static void vm_area_free_rcu(struct rcu_head *head)
{
	struct vm_area_struct *vma = container_of(head, struct vm_area_struct, rcu);

	rcu_callback_begin();
	av_free(AV_OBJ_VMA, vma);
}

/*
 * Freed at once where the VMA cache is type-stable (av_typesafe: its memory only ever holds
 * VMAs, as the kernel's vm_area_cachep with SLAB_TYPESAFE_BY_RCU since 6.15); otherwise
 * (sanitizer builds, calloc/free) after a grace period. Either way a lockless reader that
 * still holds the pointer finds vm_refcnt 0 (detached; a reused VMA is detached until
 * attached again) or re-checks vm_mm and the range after taking its reference.
 */
void vm_area_free(struct vm_area_struct *vma)
{
	/* out of the tree for good: a lockless reader that still finds it will not lock it */
	VM_BUG_ON(!vma_is_detached(vma));
	VM_BUG_ON(!list_empty(&vma->anon_vma_chain));
	if (av_typesafe(AV_OBJ_VMA))
		av_free(AV_OBJ_VMA, vma);
	else
		call_rcu(&vma->rcu, vm_area_free_rcu);
}

void remove_vma(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		shmem_file_put(vma->vm_file);
	vm_area_free(vma);
}

int vma_iter_prealloc(struct ma_state *mas, unsigned long start, unsigned long end,
		      struct vm_area_struct *entry)
{
	mas_set_range(mas, start, end - 1);
	return mas_preallocate(mas, entry);
}

int vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	MA_STATE(mas, &mm->mm_mt, 0, 0);

	if (vma_iter_prealloc(&mas, vma->vm_start, vma->vm_end, vma))
		return -ENOMEM;
	vma_start_write(vma);
	mas_store_prealloc(&mas, vma);
	vma_mark_attached(vma);
	mm_map_count_add(mm, 1);
	validate_mm(mm);
	return 0;
}

/*
 * The locking and rmap bookkeeping around a change of VMA ranges (split, merge, shrink):
 * vma_prepare takes the anon_vma lock and pulls the changing VMAs' chains out of the
 * interval trees; the caller changes ranges and the tree; vma_complete stores a split-off
 * VMA, puts the chains back, unlocks, and frees the VMAs a merge removed.
 */
struct vma_prepare {
	struct vm_area_struct *vma;	 /* its range changes */
	struct vm_area_struct *adj_next; /* a neighbour whose range changes too */
	struct vm_area_struct *insert;	 /* split: the new VMA, stored by vma_complete */
	struct vm_area_struct *remove;	 /* merge: VMAs absorbed by vma */
	struct vm_area_struct *remove2;
	struct anon_vma *anon_vma; /* locked from vma_prepare to vma_complete */
};

static void init_multi_vma_prep(struct vma_prepare *vp, struct vm_area_struct *vma,
				struct vma_merge_struct *vmg)
{
	struct vm_area_struct **remove = &vp->remove;

	*vp = (struct vma_prepare){.vma = vma, .anon_vma = vma->anon_vma};
	if (vmg && vmg->__remove_middle) {
		*remove = vmg->middle;
		remove = &vp->remove2;
	}
	if (vmg && vmg->__remove_next)
		*remove = vmg->next;
	if (vmg && vmg->__adjust_middle_start)
		vp->adj_next = vmg->middle;
	else if (vmg && vmg->__adjust_next_start)
		vp->adj_next = vmg->next;
	if (!vp->anon_vma && vp->adj_next)
		vp->anon_vma = vp->adj_next->anon_vma;
	/* both share one chain family when both have one (dup_anon_vma saw to it) */
	VM_BUG_ON(vp->anon_vma && vp->adj_next && vp->adj_next->anon_vma &&
		  vp->adj_next->anon_vma != vp->anon_vma);
}

static void vma_prepare(struct vma_prepare *vp)
{
	if (!vp->anon_vma)
		return;
	anon_vma_lock_write(vp->anon_vma);
	anon_vma_interval_tree_pre_update_vma(vp->vma);
	if (vp->adj_next)
		anon_vma_interval_tree_pre_update_vma(vp->adj_next);
}

static void vma_complete(struct vma_prepare *vp, struct mm_struct *mm, struct ma_state *mas)
{
	struct vm_area_struct *remove[2] = {vp->remove, vp->remove2};

	if (vp->insert) {
		mas_store_prealloc(mas, vp->insert);
		vma_mark_attached(vp->insert);
		mm_map_count_add(mm, 1);
	}
	if (vp->anon_vma) {
		anon_vma_interval_tree_post_update_vma(vp->vma);
		if (vp->adj_next)
			anon_vma_interval_tree_post_update_vma(vp->adj_next);
		anon_vma_unlock_write(vp->anon_vma);
	}
	for (int i = 0; i < 2 && remove[i]; i++) {
		vma_mark_detached(remove[i]);
		/* its pages are vp->vma's now, reachable through vp->vma's chain */
		unlink_anon_vmas(remove[i]);
		mm_map_count_add(mm, -1);
		remove_vma(remove[i]);
	}
}

/* Split. */

int __split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	struct mm_struct *mm = vma->vm_mm;
	MA_STATE(mas, &mm->mm_mt, 0, 0);
	struct vm_area_struct *new;
	struct vma_prepare vp;
	int err;

	VM_BUG_ON(vma->vm_start >= addr || addr >= vma->vm_end || !PAGE_ALIGNED(addr));
	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	if (new_below) {
		new->vm_end = addr;
	} else {
		new->vm_start = addr;
		new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	}
	err = -ENOMEM;
	if (vma_iter_prealloc(&mas, new->vm_start, new->vm_end, new))
		goto out_free_vma;
	err = anon_vma_clone(new, vma, VMA_OP_SPLIT);
	if (err)
		goto out_free_vmi;
	if (new->vm_file)
		shmem_file_get(new->vm_file);

	/* point of no return */
	vma_start_write(vma);
	vma_start_write(new);
	init_multi_vma_prep(&vp, vma, NULL);
	vp.insert = new;
	vma_prepare(&vp);
	if (new_below) {
		vma->vm_start = addr;
		vma->vm_pgoff += (addr - new->vm_start) >> PAGE_SHIFT;
	} else {
		vma->vm_end = addr;
	}
	vma_complete(&vp, mm, &mas);
	count_vm_event(mm->vm, vma_split);
	validate_mm(mm);
	return 0;

out_free_vmi:
	mas_destroy(&mas);
out_free_vma:
	vm_area_free(new);
	return err;
}

int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	if ((unsigned long)vma->vm_mm->map_count >= vma->vm_mm->vm->max_map_count)
		return -ENOMEM;
	return __split_vma(vma, addr, new_below);
}

/* Merge: can the range described by vmg join its neighbours? */

/* Same flags (soft-dirty aside) and same file; policy, uffd and anon names are not modelled. */
static bool is_mergeable_vma(struct vma_merge_struct *vmg, bool merge_next)
{
	struct vm_area_struct *vma = merge_next ? vmg->next : vmg->prev;

	return !((vma->vm_flags ^ vmg->vm_flags) & ~VM_SOFTDIRTY) && vma->vm_file == vmg->file;
}

static bool fork_child(struct vm_area_struct *vma)
{
	return vma && vma_is_fork_child(vma);
}

/*
 * The anon_vma rule of 6.16+ (879bca0a2c4f, with 61f67c230a5e): tgt is the neighbour
 * merged with, vmg->anon_vma what the range brings (the modified VMA's, or the mremap
 * source's), vmg->middle the modified VMA (NULL for a new range).
 */
static bool is_mergeable_anon_vma(struct vma_merge_struct *vmg, bool merge_next)
{
	struct vm_area_struct *tgt = merge_next ? vmg->next : vmg->prev;
	struct anon_vma *tgt_anon = tgt->anon_vma;
	struct anon_vma *src_anon = vmg->anon_vma;

	/* a modified VMA brings its own anon_vma (copy_vma's source is copied_from instead) */
	VM_BUG_ON(vmg->middle && src_anon != vmg->middle->anon_vma);
	/* 1: tgt takes src's anon_vma and chain (dup_anon_vma): not a fork child's chain */
	if (!tgt_anon && src_anon)
		return !fork_child(vmg->middle) && !fork_child(vmg->copied_from);
	/* 2: tgt's anon_vma covers the unfaulted range: not if tgt's chain is a fork child's */
	if (tgt_anon && !src_anon)
		return !fork_child(tgt);
	/* 3: both faulted (or both not): only the same anon_vma */
	return src_anon == tgt_anon;
}

/* When both neighbours merge, they end up one VMA: either NULL or the same anon_vma. */
static bool are_anon_vmas_compatible(struct vm_area_struct *vma1, struct vm_area_struct *vma2)
{
	return !vma1->anon_vma || !vma2->anon_vma || vma1->anon_vma == vma2->anon_vma;
}

/* The range can sit in front of vmg->next (pgoff continuous). */
static bool can_vma_merge_before(struct vma_merge_struct *vmg)
{
	unsigned long pglen = (vmg->end - vmg->start) >> PAGE_SHIFT;

	return is_mergeable_vma(vmg, true) && is_mergeable_anon_vma(vmg, true) &&
	       vmg->next->vm_pgoff == vmg->pgoff + pglen;
}

/* The range can follow vmg->prev (pgoff continuous). */
static bool can_vma_merge_after(struct vma_merge_struct *vmg)
{
	return is_mergeable_vma(vmg, false) && is_mergeable_anon_vma(vmg, false) &&
	       vmg->prev->vm_pgoff + vma_pages(vmg->prev) == vmg->pgoff;
}

static bool can_vma_merge_left(struct vma_merge_struct *vmg)
{
	return vmg->prev && vmg->prev->vm_end == vmg->start && can_vma_merge_after(vmg);
}

static bool can_vma_merge_right(struct vma_merge_struct *vmg, bool can_merge_left)
{
	if (!vmg->next || vmg->end != vmg->next->vm_start || !can_vma_merge_before(vmg))
		return false;
	return !can_merge_left || are_anon_vmas_compatible(vmg->prev, vmg->next);
}

/*
 * dst, unfaulted, is about to cover pages of src: give it src's anon_vma and chain first
 * (§2.5), and remember it in *dup so that a failure later can unlink it again.
 */
static int __must_check
dup_anon_vma(struct vm_area_struct *dst, struct vm_area_struct *src, struct vm_area_struct **dup)
{
	int ret;

	if (!src->anon_vma || dst->anon_vma)
		return 0;
	vma_assert_write_locked(dst);
	dst->anon_vma = src->anon_vma;
	ret = anon_vma_clone(dst, src, VMA_OP_MERGE_UNFAULTED);
	if (ret)
		return ret; /* the clone reset dst->anon_vma */
	*dup = dst;
	return 0;
}

/* The neighbour whose start moves with the merge gets its new range and pgoff. */
static void vmg_adjust_set_range(struct vma_merge_struct *vmg)
{
	struct vm_area_struct *adjust;
	unsigned long pgoff;

	if (vmg->__adjust_middle_start) {
		adjust = vmg->middle;
		pgoff = adjust->vm_pgoff + ((vmg->end - adjust->vm_start) >> PAGE_SHIFT);
	} else if (vmg->__adjust_next_start) {
		adjust = vmg->next;
		pgoff = adjust->vm_pgoff - ((adjust->vm_start - vmg->end) >> PAGE_SHIFT);
	} else {
		return;
	}
	vma_set_range(adjust, vmg->end, adjust->vm_end, pgoff);
}

/*
 * Carry out a merge decided by the caller: vmg->target becomes [vmg->start, vmg->end) with
 * vmg->pgoff (or, with __adjust_next_start, middle shrinks to it and next grows), the VMAs
 * marked for removal go. Only the tree preallocation can fail, before anything changed.
 */
static int __must_check commit_merge(struct vma_merge_struct *vmg)
{
	MA_STATE(mas, &vmg->mm->mm_mt, 0, 0);
	struct vm_area_struct *vma;
	struct vma_prepare vp;
	int err;

	if (vmg->__adjust_next_start) {
		vma = vmg->middle;
		err = vma_iter_prealloc(&mas, vmg->end, vmg->next->vm_end, vmg->target);
	} else {
		vma = vmg->target;
		err = vma_iter_prealloc(&mas, vmg->start, vmg->end, vmg->target);
	}
	if (err)
		return -ENOMEM;

	/* point of no return */
	init_multi_vma_prep(&vp, vma, vmg);
	vma_prepare(&vp);
	vma_set_range(vma, vmg->start, vmg->end, vmg->pgoff);
	vmg_adjust_set_range(vmg);
	mas_store_prealloc(&mas, vmg->target);
	vma_complete(&vp, vmg->mm, &mas);
	count_vm_event(vmg->mm->vm, vma_merge);
	return 0;
}

/*
 * mprotect / madvise changed [vmg->start, vmg->end) of vmg->middle: merge that range with
 * prev and/or next when it touches an edge of middle and they match. The merged VMA, or
 * NULL (vmg->state: NOMERGE, or ERROR_NOMEM with nothing changed).
 */
static struct vm_area_struct *vma_merge_existing_range(struct vma_merge_struct *vmg)
{
	struct vm_area_struct *middle = vmg->middle, *prev = vmg->prev, *next = NULL;
	struct vm_area_struct *anon_dup = NULL;
	bool left_side = vmg->start == middle->vm_start;
	bool right_side = vmg->end == middle->vm_end;
	bool merge_left = false, merge_right = false, merge_both;
	int err;

	mmap_assert_write_locked(vmg->mm);
	VM_BUG_ON(vmg->copied_from);
	VM_BUG_ON(vmg->start < middle->vm_start || vmg->end > middle->vm_end);
	vmg->state = VMA_MERGE_NOMERGE;

	/* strictly inside middle: nothing to merge with */
	if ((vmg->vm_flags & VM_SPECIAL) || (!left_side && !right_side))
		return NULL;
	if (left_side)
		merge_left = can_vma_merge_left(vmg);
	if (right_side) {
		next = vmg->next = find_vma(vmg->mm, middle->vm_end);
		merge_right = can_vma_merge_right(vmg, merge_left);
	}
	if (!merge_left && !merge_right)
		return NULL;
	merge_both = merge_left && merge_right;
	/* spanning the whole of middle, a merge removes it; both sides removes next too */
	vmg->__remove_middle = left_side && right_side;
	vmg->__remove_next = merge_both;

	vma_start_write(middle);
	if (merge_right) {
		vma_start_write(next);
		vmg->target = next;
	}
	if (merge_left) {
		vma_start_write(prev);
		vmg->target = prev;
	}

	if (merge_both) {
		/*
		 * |<-------------------->|
		 * |-------********-------|
		 *   prev   middle   next
		 *  extend  delete  delete
		 */
		vmg->start = prev->vm_start;
		vmg->end = next->vm_end;
		vmg->pgoff = prev->vm_pgoff;
		/* prev and next are compatible; whichever of next, middle has one lends it */
		err = dup_anon_vma(prev, next->anon_vma ? next : middle, &anon_dup);
	} else if (merge_left) {
		/*
		 * |<------------>|      OR
		 * |<----------------->|
		 * |-------*************
		 *   prev     middle
		 *  extend shrink/delete
		 */
		vmg->start = prev->vm_start;
		vmg->pgoff = prev->vm_pgoff;
		if (!vmg->__remove_middle)
			vmg->__adjust_middle_start = true;
		err = dup_anon_vma(prev, middle, &anon_dup);
	} else {
		/*
		 *     |<------------->| OR
		 * |<----------------->|
		 * *************-------|
		 *    middle     next
		 * shrink/delete extend
		 */
		unsigned long pglen = (vmg->end - vmg->start) >> PAGE_SHIFT;

		if (vmg->__remove_middle) {
			vmg->end = next->vm_end;
			vmg->pgoff = next->vm_pgoff - pglen;
		} else {
			/* middle keeps [middle->vm_start, start), next takes the rest */
			vmg->__adjust_next_start = true;
			vmg->end = vmg->start;
			vmg->start = middle->vm_start;
			vmg->pgoff = middle->vm_pgoff;
		}
		err = dup_anon_vma(next, middle, &anon_dup);
	}

	if (err || commit_merge(vmg))
		goto out_abort;
	vmg->state = VMA_MERGE_SUCCESS;
	return vmg->target;

out_abort:
	/* nothing changed but the chain dup_anon_vma gave: take it back */
	if (anon_dup)
		unlink_anon_vmas(anon_dup);
	vmg->state = VMA_MERGE_ERROR_NOMEM;
	return NULL;
}

struct vm_area_struct *vma_merge_new_range(struct vma_merge_struct *vmg)
{
	struct vm_area_struct *prev = vmg->prev, *next = vmg->next;
	bool can_merge_left, can_merge_right;

	mmap_assert_write_locked(vmg->mm);
	VM_BUG_ON(vmg->middle || vmg->target);
	vmg->state = VMA_MERGE_NOMERGE;

	if ((vmg->vm_flags & VM_SPECIAL) || (!prev && !next))
		return NULL;
	can_merge_left = can_vma_merge_left(vmg);
	can_merge_right = can_vma_merge_right(vmg, can_merge_left);
	if (can_merge_right) {
		vmg->end = next->vm_end;
		vmg->target = next;
	}
	if (can_merge_left) {
		vmg->start = prev->vm_start;
		vmg->target = prev;
		vmg->pgoff = prev->vm_pgoff;
	}
	/* grow the target over the range (and over next when both sides merge) */
	if (vmg->target && !vma_expand(vmg)) {
		vmg->state = VMA_MERGE_SUCCESS;
		return vmg->target;
	}
	return NULL;
}

/* mremap's merge of the copied range: vmg->middle is the VMA being copied from. */
static struct vm_area_struct *vma_merge_copied_range(struct vma_merge_struct *vmg)
{
	VM_BUG_ON(!vmg->middle);
	vmg->copied_from = vmg->middle;
	vmg->middle = NULL;
	return vma_merge_new_range(vmg);
}

int vma_expand(struct vma_merge_struct *vmg)
{
	struct vm_area_struct *target = vmg->target, *next = vmg->next;
	struct vm_area_struct *anon_dup = NULL;
	bool remove_next;
	int ret = 0;

	mmap_assert_write_locked(vmg->mm);
	remove_next = next && target != next && vmg->end == next->vm_end;
	/* only growing, and never over part of next */
	VM_BUG_ON(target->vm_start < vmg->start || target->vm_end > vmg->end);
	VM_BUG_ON(next && !remove_next && next != target && vmg->end > next->vm_start);
	vma_start_write(target);
	if (remove_next)
		vma_start_write(next);

	/* what target takes over from a removed next or a copied source must stay reachable */
	if (remove_next)
		ret = dup_anon_vma(target, next, &anon_dup);
	if (!ret && vmg->copied_from)
		ret = dup_anon_vma(target, vmg->copied_from, &anon_dup);
	if (ret)
		return ret; /* callers take this as "no merge", as in Linux */

	vmg->__remove_next = remove_next;
	if (commit_merge(vmg))
		goto out_nomem;
	return 0;

out_nomem:
	if (anon_dup)
		unlink_anon_vmas(anon_dup);
	vmg->state = VMA_MERGE_ERROR_NOMEM;
	return -ENOMEM;
}

/* Merge vmg's range of vmg->middle with a neighbour, else split it off. */
static struct vm_area_struct *vma_modify(struct vma_merge_struct *vmg)
{
	struct vm_area_struct *vma = vmg->middle, *merged;
	unsigned long start = vmg->start, end = vmg->end;
	int err;

	merged = vma_merge_existing_range(vmg);
	if (merged)
		return merged;
	if (vmg_nomem(vmg))
		return ERR_PTR(-ENOMEM);
	if (vma->vm_start < start) {
		err = split_vma(vma, start, 1);
		if (err)
			return ERR_PTR(err);
	}
	if (vma->vm_end > end) {
		err = split_vma(vma, end, 0);
		if (err)
			return ERR_PTR(err);
	}
	return vma;
}

struct vm_area_struct *vma_modify_flags(struct vm_area_struct *prev, struct vm_area_struct *vma,
					unsigned long start, unsigned long end,
					unsigned long vm_flags)
{
	VMG_VMA_STATE(vmg, prev, vma, start, end);

	vmg.vm_flags = vm_flags;
	return vma_modify(&vmg);
}

struct vm_area_struct *vma_merge_extend(struct vm_area_struct *vma, unsigned long delta)
{
	VMG_VMA_STATE(vmg, vma, vma, vma->vm_end, vma->vm_end + delta);

	/* a new range after vma: vma is prev, and only lends its properties */
	vmg.next = find_vma(vma->vm_mm, vma->vm_end);
	vmg.middle = NULL;
	return vma_merge_new_range(&vmg);
}

struct vm_area_struct *copy_vma(struct vm_area_struct **vmap, unsigned long addr, unsigned long len,
				unsigned long pgoff, bool *need_rmap_locks)
{
	struct vm_area_struct *vma = *vmap, *new_vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long vma_start = vma->vm_start;
	bool faulted_in_anon_vma = true;
	VMG_VMA_STATE(vmg, NULL, vma, addr, addr + len);

	/* an unfaulted anonymous VMA takes the pgoff of its new place: it may merge there */
	if (vma_is_anonymous(vma) && !vma->anon_vma) {
		pgoff = addr >> PAGE_SHIFT;
		faulted_in_anon_vma = false;
	}
	new_vma = find_vma_prev(mm, addr, &vmg.prev);
	VM_BUG_ON(new_vma && new_vma->vm_start < addr + len); /* the caller unmapped the target */
	vmg.pgoff = pgoff;
	vmg.next = new_vma;
	new_vma = vma_merge_copied_range(&vmg);
	if (new_vma) {
		/* merged into the source itself: only possible with the unfaulted pgoff reset */
		if (vma_start >= new_vma->vm_start && vma_start < new_vma->vm_end) {
			VM_BUG_ON(faulted_in_anon_vma);
			*vmap = vma = new_vma;
		}
		/*
		 * The PTEs may move without the anon_vma lock only if every walk visits new_vma
		 * after vma: a walk that passed vma before they left then finds them in new_vma.
		 * The interval tree visits by vm_pgoff. A list visits a merge target wherever it
		 * joined, maybe before vma, and a walk would miss the moving PTEs (a migration
		 * entry left behind): the list kernels moved the target to the list's tail
		 * (anon_vma_moveto_tail) and then always took the lock, as the list designs do.
		 */
		*need_rmap_locks = !rmap_walk_pgoff_ordered(vma) || new_vma->vm_pgoff <= vma->vm_pgoff;
		return new_vma;
	}

	new_vma = vm_area_dup(vma);
	if (!new_vma)
		return NULL;
	vma_set_range(new_vma, addr, addr + len, pgoff);
	if (anon_vma_clone(new_vma, vma, VMA_OP_REMAP))
		goto out_free_vma;
	if (new_vma->vm_file)
		shmem_file_get(new_vma->vm_file);
	if (vma_link(mm, new_vma))
		goto out_vma_link;
	*need_rmap_locks = false;
	return new_vma;

out_vma_link:
	if (new_vma->vm_file)
		shmem_file_put(new_vma->vm_file);
	unlink_anon_vmas(new_vma);
out_free_vma:
	vm_area_free(new_vma);
	return NULL;
}

/* Debug. */

#define mm_bad(out, ok, ...)                                                                       \
	do {                                                                                       \
		if (out)                                                                           \
			fprintf(out, __VA_ARGS__);                                                 \
		ok = false;                                                                        \
	} while (0)

bool mm_valid(struct mm_struct *mm, FILE *out)
{
	MA_STATE(mas, &mm->mm_mt, 0, 0);
	unsigned long index = 0, prev_end = 0;
	struct vm_area_struct *vma;
	bool ok = true;
	int count = 0;

	if (!mt_validate(&mm->mm_mt, out))
		mm_bad(out, ok, "mm %lu: maple tree invalid\n", mm->id);
	rcu_read_lock();
	for (;;) {
		mas_set(&mas, index);
		vma = mas_walk(&mas);
		if (vma) {
			count++;
			if (mas.index != vma->vm_start || mas.last != vma->vm_end - 1)
				mm_bad(out, ok, "mm %lu: vma %lx-%lx stored at %lx-%lx\n", mm->id,
				       vma->vm_start, vma->vm_end, mas.index, mas.last + 1);
			if (vma->vm_start >= vma->vm_end || !PAGE_ALIGNED(vma->vm_start) ||
			    !PAGE_ALIGNED(vma->vm_end) || vma->vm_start < prev_end)
				mm_bad(out, ok,
				       "mm %lu: vma %lx-%lx bad range (previous end %lx)\n", mm->id,
				       vma->vm_start, vma->vm_end, prev_end);
			if (vma->vm_mm != mm)
				mm_bad(out, ok, "mm %lu: vma %lx-%lx belongs to another mm\n",
				       mm->id, vma->vm_start, vma->vm_end);
			/* the design's view of the VMA: its chain or its list */
			if (!vma_rmap(vma)->validate_vma(vma, out))
				ok = false;
			prev_end = vma->vm_end;
		}
		if (mas.last == ULONG_MAX)
			break;
		index = mas.last + 1;
	}
	rcu_read_unlock();
	if (count != mm->map_count)
		mm_bad(out, ok, "mm %lu: map_count %d, %d VMAs in the tree\n", mm->id,
		       mm->map_count, count);
	return ok;
}
