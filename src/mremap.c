// SPDX-License-Identifier: GPL-2.0-only
/*
 * mremap.c: mremap. Kernel counterpart: mm/mremap.c of 6.18 (struct vma_remap_struct,
 * check_mremap_params, check_prep_vma, mremap_at / mremap_to / remap_move, move_vma); the
 * VMA side of a move is copy_vma (vma.c), the PTE side move_page_tables (memory.c).
 *
 * The cases (docs/semantics.md §2.7):
 *   no new address (flags 0 or MAYMOVE): shrink in place (munmap the tail), grow in place
 *	when [addr, old_len) ends the VMA and the space after it is free (vma_merge_extend:
 *	the VMA grows and may merge with the next), else move to a free area (MAYMOVE) or
 *	ENOMEM;
 *   MREMAP_FIXED (+ MAYMOVE): unmap [new_addr, new_len) first, shrink the source if asked,
 *	then move; with old_len == new_len the range may span several VMAs, each moved in
 *	turn with the gaps between them kept (remap_move, 6.17+);
 *   MREMAP_DONTUNMAP: the source stays mapped and empty; when it was the whole VMA its
 *	anon_vma chain is unlinked (an unfaulted VMA again).
 * A move: copy_vma makes (or merges) the destination VMA, with pgoff = new_addr >> 12 for
 * an unfaulted anonymous source (so it can merge where it lands) and the source's pgoff
 * otherwise (its pages keep their index); move_page_tables moves the PTEs; the source range
 * is unmapped. VM_ACCOUNT is cleared on the source around that unmap so the move is not
 * uncharged, and put back on what remains of it. A VM_ACCOUNT source that grows is charged
 * the growth first (the whole new length for MREMAP_DONTUNMAP): ENOMEM when the overcommit
 * heuristic refuses it (vrm_calc_charge).
 *
 * Locks: mmap_lock W throughout; the moved VMA is write-locked first.
 */
#include <errno.h>
#include <sys/mman.h>

#include "memory.h"
#include "rmap.h"
#include "vma.h"

_Static_assert(MREMAP_MAYMOVE == ANONVM_MREMAP_MAYMOVE && MREMAP_FIXED == ANONVM_MREMAP_FIXED &&
		   MREMAP_DONTUNMAP == ANONVM_MREMAP_DONTUNMAP,
	       "the public API uses Linux's values");

enum mremap_type {
	MREMAP_INVALID,
	MREMAP_NO_RESIZE,
	MREMAP_SHRINK,
	MREMAP_EXPAND,
};

/* One mremap call: the state every step reads and updates. */
struct vma_remap_struct {
	struct mm_struct *mm;
	unsigned long addr; /* source */
	unsigned long old_len;
	unsigned long new_len;
	unsigned long flags;
	unsigned long new_addr;	    /* destination (the source address when not moving) */
	struct vm_area_struct *vma; /* the source VMA */
	unsigned long delta;	    /* |old_len - new_len| */
	enum mremap_type remap_type;
	unsigned long charged; /* pages charged to the commit by this call */
};

#define VMA_REMAP_STATE(name, mm_, addr_, old_len_, new_len_, flags_, new_addr_)                   \
	struct vma_remap_struct name = {                                                           \
	    .mm = (mm_),                                                                           \
	    .addr = (addr_),                                                                       \
	    .old_len = (old_len_),                                                                 \
	    .new_len = (new_len_),                                                                 \
	    .flags = (flags_),                                                                     \
	    .new_addr = (new_addr_),                                                               \
	    .remap_type = MREMAP_INVALID,                                                          \
	}

/* Moves and DONTUNMAP always get an address of their own. */
static bool vrm_implies_new_addr(struct vma_remap_struct *vrm)
{
	return vrm->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
}

static bool vrm_overlaps(struct vma_remap_struct *vrm)
{
	return vrm->addr + vrm->old_len > vrm->new_addr && vrm->new_addr + vrm->new_len > vrm->addr;
}

static bool vrm_move_only(struct vma_remap_struct *vrm)
{
	return (vrm->flags & MREMAP_FIXED) && vrm->old_len == vrm->new_len;
}

/* The checks that need no VMA (before mmap_lock). */
static int __must_check check_mremap_params(struct vma_remap_struct *vrm)
{
	unsigned long flags = vrm->flags;

	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (!PAGE_ALIGNED(vrm->addr))
		return -EINVAL;
	/* old_len 0 is allowed (duplicating a shared mapping); new_len 0 is not */
	if (!vrm->new_len || vrm->new_len > TASK_SIZE)
		return -EINVAL;
	if (!vrm_implies_new_addr(vrm))
		return 0;
	if (vrm->new_addr > TASK_SIZE - vrm->new_len || !PAGE_ALIGNED(vrm->new_addr))
		return -EINVAL;
	if (!(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && vrm->old_len != vrm->new_len)
		return -EINVAL;
	if (vrm_overlaps(vrm))
		return -EINVAL;
	/* both the target and the source may be split in three on the way */
	if ((unsigned long)mm_map_count_lockless(vrm->mm) + 2 >= vrm->mm->vm->max_map_count - 3)
		return -ENOMEM;
	return 0;
}

/* The checks against the source VMA; sets delta and remap_type. */
static int __must_check check_prep_vma(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long old_len, pgoff;

	if (!vma)
		return -EFAULT;
	vrm->delta =
	    vrm->old_len > vrm->new_len ? vrm->old_len - vrm->new_len : vrm->new_len - vrm->old_len;
	if (!vrm->delta)
		vrm->remap_type = MREMAP_NO_RESIZE;
	else if (vrm->old_len > vrm->new_len)
		vrm->remap_type = MREMAP_SHRINK;
	else
		vrm->remap_type = MREMAP_EXPAND;
	if (!vrm_implies_new_addr(vrm))
		vrm->new_addr = vrm->addr;
	/* the rest concerns growing or moving */
	if (vrm->remap_type != MREMAP_EXPAND && !vrm_implies_new_addr(vrm))
		return 0;

	/* duplicating a private mapping would make an unrelated one: refused */
	if (!vrm->old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if ((vrm->flags & MREMAP_DONTUNMAP) && (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return -EINVAL;
	/* what is moved must lie in the VMA; a shrunk-away tail may cross VMAs */
	old_len = vrm->remap_type == MREMAP_SHRINK ? vrm->new_len : vrm->old_len;
	if (old_len > vma->vm_end - vrm->addr)
		return -EFAULT;
	if (vrm->new_len == old_len)
		return 0;
	pgoff = linear_page_index(vma, vrm->addr);
	if (pgoff + (vrm->new_len >> PAGE_SHIFT) < pgoff)
		return -EINVAL;
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return -EFAULT;
	return 0;
}

/*
 * vrm_calc_charge: a VM_ACCOUNT source that grows is charged the growth, and one left in
 * place by MREMAP_DONTUNMAP the whole new length. False: the overcommit heuristic refused.
 */
static bool vrm_calc_charge(struct vma_remap_struct *vrm)
{
	unsigned long charged;

	if (!(vrm->vma->vm_flags & VM_ACCOUNT))
		return true;
	if (vrm->flags & MREMAP_DONTUNMAP)
		charged = vrm->new_len >> PAGE_SHIFT;
	else if (vrm->remap_type == MREMAP_EXPAND)
		charged = vrm->delta >> PAGE_SHIFT;
	else
		return true;
	if (__vm_enough_memory(vrm->mm->vm, charged))
		return false;
	vrm->charged = charged;
	return true;
}

/* Give the charge back: the operation failed. */
static void vrm_uncharge(struct vma_remap_struct *vrm)
{
	vm_unacct_memory(vrm->mm->vm, vrm->charged);
	vrm->charged = 0;
}

/* Choose the destination: MAP_FIXED-like, a hint (DONTUNMAP alone), or anywhere. */
static int __must_check vrm_set_new_addr(struct vma_remap_struct *vrm)
{
	unsigned long map_flags = 0, res;

	if (vrm->flags & MREMAP_FIXED)
		map_flags |= MAP_FIXED;
	if (vrm->vma->vm_flags & VM_MAYSHARE)
		map_flags |= MAP_SHARED;
	res = get_unmapped_area(vrm->mm, vrm_implies_new_addr(vrm) ? vrm->new_addr : 0,
				vrm->new_len, map_flags);
	if (IS_ERR_VALUE(res))
		return (int)res;
	vrm->new_addr = res;
	return 0;
}

/*
 * Unmap the source range after its pages moved. A VM_ACCOUNT source would be uncharged by
 * the unmap although its charge moved with it: the flag is cleared over the unmap and set
 * again on what remains on either side. If the unmap fails (no memory to split), the
 * source keeps its pages' range but not VM_ACCOUNT, as in Linux.
 */
static void unmap_source_vma(struct vma_remap_struct *vrm)
{
	struct mm_struct *mm = vrm->mm;
	unsigned long addr = vrm->addr, end = vrm->addr + vrm->old_len;
	struct vm_area_struct *vma = vrm->vma, *prev, *next;
	bool accountable_move = (vma->vm_flags & VM_ACCOUNT) && !(vrm->flags & MREMAP_DONTUNMAP);
	unsigned long vm_start = vma->vm_start, vm_end = vma->vm_end;

	if (accountable_move) {
		vma_start_write(vma);
		vm_flags_clear(vma, VM_ACCOUNT);
	}
	vrm->vma = NULL;
	if (do_vmi_munmap(mm, addr, vrm->old_len) || !accountable_move)
		return;
	if (vm_start < addr) {
		find_vma_prev(mm, addr, &prev);
		vma_start_write(prev);
		vm_flags_set(prev, VM_ACCOUNT);
	}
	if (vm_end > end) {
		next = find_vma(mm, end);
		vma_start_write(next);
		vm_flags_set(next, VM_ACCOUNT);
	}
}

/* MREMAP_DONTUNMAP: the source stays, without its pages; a whole one loses its chain. */
static void dontunmap_complete(struct vma_remap_struct *vrm, struct vm_area_struct *new_vma)
{
	struct vm_area_struct *vma = vrm->vma;

	if (new_vma != vma && vrm->addr == vma->vm_start && vrm->addr + vrm->old_len == vma->vm_end)
		unlink_anon_vmas(vma);
}

/*
 * Make the destination VMA and move the PTEs into it. If the PTEs cannot move (no memory
 * for page tables: nothing moved), the destination is what gets unmapped instead.
 */
static int __must_check
copy_vma_and_data(struct vma_remap_struct *vrm, struct vm_area_struct **new_vma_ptr)
{
	struct vm_area_struct *vma = vrm->vma, *new_vma;
	unsigned long new_pgoff = linear_page_index(vma, vrm->addr);
	bool need_rmap_locks;
	int err;

	new_vma = copy_vma(&vma, vrm->new_addr, vrm->new_len, new_pgoff, &need_rmap_locks);
	*new_vma_ptr = new_vma;
	if (!new_vma)
		return -ENOMEM;
	vrm->vma = vma; /* the source may have been merged into the destination */
	err =
	    move_page_tables(vma, vrm->addr, new_vma, vrm->new_addr, vrm->old_len, need_rmap_locks);
	if (err) {
		vrm->vma = new_vma;
		vrm->old_len = vrm->new_len;
		vrm->addr = vrm->new_addr;
	}
	return err;
}

static unsigned long move_vma(struct vma_remap_struct *vrm)
{
	struct mm_struct *mm = vrm->mm;
	struct vm_area_struct *new_vma;
	int err;

	/* the source unmap may split it in three: stay clear of the limit */
	if ((unsigned long)mm->map_count >= mm->vm->max_map_count - 3)
		return -ENOMEM;
	if (!vrm_calc_charge(vrm))
		return -ENOMEM;
	vma_start_write(vrm->vma);
	err = copy_vma_and_data(vrm, &new_vma);
	if (err && !new_vma) {
		vrm_uncharge(vrm);
		return err;
	}

	mm->total_vm += vrm->new_len >> PAGE_SHIFT;
	if (err)
		vrm_uncharge(vrm); /* the destination goes again, uncharged by unmap_source_vma */
	if (!err && (vrm->flags & MREMAP_DONTUNMAP))
		dontunmap_complete(vrm, new_vma);
	else
		unmap_source_vma(vrm);
	return err ? (unsigned long)err : vrm->new_addr;
}

/*
 * Unmap [start, start + len) on the way (a shrunk tail, or what is at a fixed destination),
 * then find the source VMA again: the unmap may have split it.
 */
static int __must_check
vrm_munmap(struct vma_remap_struct *vrm, unsigned long start, unsigned long len)
{
	int err = do_vmi_munmap(vrm->mm, start, len);

	vrm->vma = NULL; /* invalidated */
	if (err)
		return err;
	vrm->vma = vma_lookup(vrm->mm, vrm->addr);
	return vrm->vma ? 0 : -EFAULT;
}

static int __must_check shrink_vma(struct vma_remap_struct *vrm)
{
	return vrm_munmap(vrm, vrm->addr + vrm->new_len, vrm->delta);
}

static unsigned long mremap_to(struct vma_remap_struct *vrm)
{
	unsigned long err;

	if (vrm->flags & MREMAP_FIXED) {
		/* whatever is at the destination goes first */
		err = vrm_munmap(vrm, vrm->new_addr, vrm->new_len);
		if (err)
			return err;
	}
	if (vrm->remap_type == MREMAP_SHRINK) {
		err = shrink_vma(vrm);
		if (err)
			return err;
		vrm->old_len = vrm->new_len;
	}
	err = vrm_set_new_addr(vrm);
	if (err)
		return err;
	return move_vma(vrm);
}

/* [addr, addr + old_len) ends the VMA and the space after it is free. */
static bool vrm_can_expand_in_place(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long end = vma->vm_end + vrm->delta;

	if (vma->vm_end - vrm->addr != vrm->old_len)
		return false;
	if (end < vma->vm_end || find_vma_intersection(vrm->mm, vma->vm_end, end))
		return false;
	return !IS_ERR_VALUE(
	    get_unmapped_area(vrm->mm, vma->vm_start, end - vma->vm_start, MAP_FIXED));
}

static unsigned long expand_vma(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma;
	int err;

	if (vrm_can_expand_in_place(vrm)) {
		if (!vrm_calc_charge(vrm))
			return -ENOMEM;
		vma = vma_merge_extend(vrm->vma, vrm->delta);
		if (!vma) {
			vrm_uncharge(vrm);
			return -ENOMEM;
		}
		vrm->vma = vma;
		vrm->mm->total_vm += vrm->delta >> PAGE_SHIFT;
		return vrm->addr;
	}
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	err = vrm_set_new_addr(vrm);
	if (err)
		return err;
	return move_vma(vrm);
}

/* No new address given: resize in place, or move when growing needs it. */
static unsigned long mremap_at(struct vma_remap_struct *vrm)
{
	unsigned long err;

	switch (vrm->remap_type) {
	case MREMAP_NO_RESIZE:
		return vrm->addr;
	case MREMAP_SHRINK:
		err = shrink_vma(vrm);
		return err ? err : vrm->addr;
	case MREMAP_EXPAND:
		return expand_vma(vrm);
	case MREMAP_INVALID:
		break;
	}
	VM_BUG_ON(true); /* every case returns above */
	return -EINVAL;
}

/*
 * MREMAP_FIXED with old_len == new_len: every VMA of [addr, addr + old_len) moves, split
 * at the range's ends, the gaps between them kept:
 *
 *           X        Y                       X        Y
 *         <--->     <->                    <--->     <->
 * |-------|   |-----| |-----|      |-------|   |-----| |-----|
 * |   A   |   |  B  | |  C  | ---> |   A'  |   |  B' | |  C' |
 * |-------|   |-----| |-----|      |-------|   |-----| |-----|
 *                               new_addr
 *
 * The range must start in a VMA (EFAULT otherwise); an error stops the walk with the VMAs
 * before it moved.
 */
static unsigned long remap_move(struct vma_remap_struct *vrm)
{
	unsigned long start = vrm->addr, end = vrm->addr + vrm->old_len;
	unsigned long target_addr = vrm->new_addr, last_end = 0, res = -EFAULT, res_vma;
	struct vm_area_struct *vma;
	bool seen_vma = false;

	/* the walk resumes where the last source VMA ended, whatever the moves changed */
	for (vma = find_vma_intersection(vrm->mm, start, end); vma;
	     vma = last_end < end ? find_vma_intersection(vrm->mm, last_end, end) : NULL) {
		unsigned long addr = vma->vm_start > start ? vma->vm_start : start;
		unsigned long offset = seen_vma ? vma->vm_start - last_end : 0;

		if (!seen_vma && start < vma->vm_start)
			return -EFAULT;
		last_end = vma->vm_end;
		vrm->vma = vma;
		vrm->addr = addr;
		vrm->new_addr = target_addr + offset;
		vrm->old_len = vrm->new_len = (end < vma->vm_end ? end : vma->vm_end) - addr;

		res_vma = check_prep_vma(vrm);
		if (!res_vma)
			res_vma = mremap_to(vrm);
		if (IS_ERR_VALUE(res_vma))
			return res_vma;
		if (!seen_vma)
			res = res_vma;
		seen_vma = true;
		target_addr = res_vma + vrm->new_len;
	}
	return res;
}

static unsigned long do_mremap(struct vma_remap_struct *vrm)
{
	struct mm_struct *mm = vrm->mm;
	unsigned long res;

	vrm->old_len = PAGE_ALIGN(vrm->old_len);
	vrm->new_len = PAGE_ALIGN(vrm->new_len);
	res = check_mremap_params(vrm);
	if (res)
		return res;

	mmap_write_lock(mm);
	if (vrm_move_only(vrm)) {
		res = remap_move(vrm);
	} else {
		vrm->vma = vma_lookup(mm, vrm->addr);
		res = check_prep_vma(vrm);
		if (!res)
			res = vrm_implies_new_addr(vrm) ? mremap_to(vrm) : mremap_at(vrm);
	}
	validate_mm(mm);
	mmap_write_unlock(mm);
	return res;
}

int anonvm_mremap(struct anonvm_mm *handle, unsigned long old_addr, unsigned long old_len,
		  unsigned long new_len, int flags, unsigned long new_addr, unsigned long *addrp)
{
	struct mm_struct *mm = mm_of(handle);
	VMA_REMAP_STATE(vrm, mm, old_addr, old_len, new_len, (unsigned int)flags, new_addr);
	unsigned long res = do_mremap(&vrm);

	if (IS_ERR_VALUE(res))
		return (int)res;
	*addrp = res;
	return 0;
}
