// SPDX-License-Identifier: GPL-2.0-only
/*
 * madvise.c: madvise. Kernel counterpart: mm/madvise.c (madvise_walk_vmas,
 * madvise_vma_behavior, madvise_update_vma, madvise_dontneed_free).
 *
 * Every advice Linux 6.18 accepts is known here (madvise_behavior_valid); unknown values
 * give EINVAL. What each does:
 *   flag changes, splitting and merging like any flag change (vma_modify_flags, as mprotect
 *	does): NORMAL / RANDOM / SEQUENTIAL (VM_SEQ_READ, VM_RAND_READ), DONTFORK / DOFORK
 *	(VM_DONTCOPY), WIPEONFORK / KEEPONFORK (VM_WIPEONFORK, private anonymous only),
 *	DONTDUMP / DODUMP (VM_DONTDUMP), HUGEPAGE / NOHUGEPAGE, MERGEABLE / UNMERGEABLE
 *	(VM_MERGEABLE; shared mappings are left alone, as ksm_madvise does);
 *   DONTNEED, DONTNEED_LOCKED: zap the pages (the VMA, and its anon_vma, stay);
 *   WILLNEED: nothing to do for anonymous memory that is not swapped;
 *   FREE: EINVAL on shared memory; otherwise the pages become lazily freeable, which only
 *	reclaim could show: nothing is done;
 *   COLD / PAGEOUT: madvise_cold_or_pageout;
 *   POPULATE_READ / POPULATE_WRITE: fault the range in (read / write faults), EINVAL where
 *	the VMA does not allow the access, ENOMEM at a hole;
 *   COLLAPSE: EINVAL (no transparent huge pages: the kernel executor disables them);
 *   REMOVE, GUARD_INSTALL, GUARD_REMOVE: not modelled yet (ENOSYS, which the CLI reports
 *	as such): hole punching in every mapping of a shared object and guard PTE markers;
 *   HWPOISON, SOFT_OFFLINE: EPERM, as for a caller without CAP_SYS_ADMIN (the model has
 *	no hardware pages to poison).
 *
 * The walk applies the advice VMA by VMA; a hole in the range does not stop it, but the call
 * then returns ENOMEM. An error of one VMA (EINVAL for WIPEONFORK on a shared mapping)
 * stops the walk there, the VMAs before it changed. A flag change that runs out of memory
 * returns EAGAIN, as in Linux.
 *
 * Locks: flag changes under mmap_lock W (each changed VMA write-locked); DONTNEED under the
 * VMA's read lock when the range lies in one VMA, else mmap_lock R; WILLNEED, COLD, PAGEOUT
 * under mmap_lock R.
 */
#include <errno.h>
#include <sys/mman.h>

#include "memory.h"
#include "vma.h"

_Static_assert(MADV_WILLNEED == ANONVM_MADV_WILLNEED && MADV_DONTNEED == ANONVM_MADV_DONTNEED &&
		   MADV_DONTFORK == ANONVM_MADV_DONTFORK && MADV_DOFORK == ANONVM_MADV_DOFORK &&
		   MADV_WIPEONFORK == ANONVM_MADV_WIPEONFORK &&
		   MADV_KEEPONFORK == ANONVM_MADV_KEEPONFORK && MADV_COLD == ANONVM_MADV_COLD &&
		   MADV_PAGEOUT == ANONVM_MADV_PAGEOUT,
	       "the public API uses Linux's values");

enum madvise_lock_mode {
	MADVISE_MMAP_READ_LOCK,
	MADVISE_MMAP_WRITE_LOCK,
	MADVISE_VMA_READ_LOCK,
};

/* One madvise call: the state its walk threads through each VMA. */
struct madvise_behavior {
	struct mm_struct *mm;
	int behavior;
	enum madvise_lock_mode lock_mode;
	unsigned long start, end;    /* the part of the current VMA advised */
	struct vm_area_struct *vma;  /* the current VMA */
	struct vm_area_struct *prev; /* the VMA before start (vma itself inside it) */
};

#define MADVISE_BEHAVIOR_STATE(name, mm_, behavior_)                                               \
	struct madvise_behavior name = {.mm = (mm_), .behavior = (behavior_)}

static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case ANONVM_MADV_NORMAL:
	case ANONVM_MADV_RANDOM:
	case ANONVM_MADV_SEQUENTIAL:
	case ANONVM_MADV_WILLNEED:
	case ANONVM_MADV_DONTNEED:
	case ANONVM_MADV_FREE:
	case ANONVM_MADV_REMOVE:
	case ANONVM_MADV_DONTFORK:
	case ANONVM_MADV_DOFORK:
	case ANONVM_MADV_MERGEABLE:
	case ANONVM_MADV_UNMERGEABLE:
	case ANONVM_MADV_HUGEPAGE:
	case ANONVM_MADV_NOHUGEPAGE:
	case ANONVM_MADV_DONTDUMP:
	case ANONVM_MADV_DODUMP:
	case ANONVM_MADV_WIPEONFORK:
	case ANONVM_MADV_KEEPONFORK:
	case ANONVM_MADV_COLD:
	case ANONVM_MADV_PAGEOUT:
	case ANONVM_MADV_POPULATE_READ:
	case ANONVM_MADV_POPULATE_WRITE:
	case ANONVM_MADV_DONTNEED_LOCKED:
	case ANONVM_MADV_COLLAPSE:
	case ANONVM_MADV_HWPOISON:
	case ANONVM_MADV_SOFT_OFFLINE:
	case ANONVM_MADV_GUARD_INSTALL:
	case ANONVM_MADV_GUARD_REMOVE:
		return true;
	default:
		return false;
	}
}

static enum madvise_lock_mode get_lock_mode(int behavior)
{
	switch (behavior) {
	case ANONVM_MADV_WILLNEED:
	case ANONVM_MADV_COLD:
	case ANONVM_MADV_PAGEOUT:
	case ANONVM_MADV_FREE:
	case ANONVM_MADV_COLLAPSE:
	case ANONVM_MADV_REMOVE:
	case ANONVM_MADV_GUARD_INSTALL:
	case ANONVM_MADV_GUARD_REMOVE:
		return MADVISE_MMAP_READ_LOCK;
	case ANONVM_MADV_DONTNEED:
	case ANONVM_MADV_DONTNEED_LOCKED:
		return MADVISE_VMA_READ_LOCK;
	default:
		return MADVISE_MMAP_WRITE_LOCK;
	}
}

/* The new flags on [start, end) of the current VMA: split or merge, then set them. */
static int __must_check
madvise_update_vma(unsigned long new_flags, struct madvise_behavior *madv)
{
	struct vm_area_struct *vma = madv->vma;

	if (new_flags == vma->vm_flags)
		return 0;
	vma = vma_modify_flags(madv->prev, vma, madv->start, madv->end, new_flags);
	if (IS_ERR(vma))
		return (int)PTR_ERR(vma);
	madv->vma = vma;
	vma_start_write(vma);
	vm_flags_reset(vma, new_flags);
	return 0;
}

/* Apply the advice to [madv->start, madv->end) of madv->vma. */
static int __must_check madvise_vma_behavior(struct madvise_behavior *madv)
{
	struct vm_area_struct *vma = madv->vma;
	unsigned long new_flags = vma->vm_flags;
	int error;

	switch (madv->behavior) {
	case MADV_WILLNEED:
		return 0;
	case MADV_COLD:
	case MADV_PAGEOUT:
		return madvise_cold_or_pageout(vma, madv->start, madv->end,
					       madv->behavior == MADV_PAGEOUT);
	case MADV_DONTNEED:
	case ANONVM_MADV_DONTNEED_LOCKED:
		zap_vma_range(vma, madv->start, madv->end);
		return 0;
	case ANONVM_MADV_FREE:
		/* lazy free: only reclaim would drop the pages, and nothing shows until then */
		return vma_is_anonymous(vma) ? 0 : -EINVAL;
	case ANONVM_MADV_COLLAPSE:
		return -EINVAL; /* no transparent huge pages */
	case ANONVM_MADV_REMOVE:
	case ANONVM_MADV_GUARD_INSTALL:
	case ANONVM_MADV_GUARD_REMOVE:
		return -ENOSYS; /* not modelled yet */
	case ANONVM_MADV_NORMAL:
		new_flags &= ~(VM_SEQ_READ | VM_RAND_READ);
		break;
	case ANONVM_MADV_SEQUENTIAL:
		new_flags = (new_flags & ~VM_RAND_READ) | VM_SEQ_READ;
		break;
	case ANONVM_MADV_RANDOM:
		new_flags = (new_flags & ~VM_SEQ_READ) | VM_RAND_READ;
		break;
	case ANONVM_MADV_DONTDUMP:
		new_flags |= VM_DONTDUMP;
		break;
	case ANONVM_MADV_DODUMP:
		if (new_flags & VM_SPECIAL)
			return -EINVAL;
		new_flags &= ~VM_DONTDUMP;
		break;
	case ANONVM_MADV_HUGEPAGE:
		new_flags = (new_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		break;
	case ANONVM_MADV_NOHUGEPAGE:
		new_flags = (new_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	case ANONVM_MADV_MERGEABLE:
		/* ksm_madvise: shared and special mappings are left as they are */
		if (!(new_flags & (VM_MERGEABLE | VM_SHARED | VM_MAYSHARE | VM_SPECIAL | VM_HUGETLB)))
			new_flags |= VM_MERGEABLE;
		break;
	case ANONVM_MADV_UNMERGEABLE:
		new_flags &= ~VM_MERGEABLE; /* no page was ever merged: nothing to unmerge */
		break;
	case MADV_DONTFORK:
		new_flags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		if (new_flags & VM_IO)
			return -EINVAL;
		new_flags &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK:
		/* private anonymous memory only */
		if (vma->vm_file || (new_flags & VM_SHARED))
			return -EINVAL;
		new_flags |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		new_flags &= ~VM_WIPEONFORK;
		break;
	}
	error = madvise_update_vma(new_flags, madv);
	/* kernel resources temporarily unavailable */
	return error == -ENOMEM ? -EAGAIN : error;
}

/* The range lies in one VMA that can be read-locked: advise it without mmap_lock. */
static bool try_vma_read_lock(struct madvise_behavior *madv)
{
	struct vm_area_struct *vma = lock_vma_under_rcu(madv->mm, madv->start);

	if (vma && madv->end <= vma->vm_end) {
		madv->vma = vma;
		return true;
	}
	if (vma)
		vma_end_read(vma);
	mmap_read_lock(madv->mm);
	madv->lock_mode = MADVISE_MMAP_READ_LOCK;
	return false;
}

static int __must_check madvise_walk_vmas(struct madvise_behavior *madv)
{
	unsigned long last_end = madv->end;
	struct vm_area_struct *vma, *prev;
	int unmapped_error = 0, error;

	if (madv->lock_mode == MADVISE_VMA_READ_LOCK && try_vma_read_lock(madv)) {
		error = madvise_vma_behavior(madv);
		vma_end_read(madv->vma);
		return error;
	}

	vma = find_vma_prev(madv->mm, madv->start, &prev);
	if (vma && madv->start > vma->vm_start)
		prev = vma;
	for (;;) {
		if (!vma)
			return -ENOMEM;
		if (madv->start < vma->vm_start) {
			/* a hole: carry on, but report it */
			unmapped_error = -ENOMEM;
			madv->start = vma->vm_start;
			if (madv->start >= last_end)
				break;
		}
		madv->end = vma->vm_end < last_end ? vma->vm_end : last_end;
		madv->prev = prev;
		madv->vma = vma;
		error = madvise_vma_behavior(madv);
		if (error)
			return error;
		prev = vma = madv->vma;
		if (madv->end < vma->vm_end)
			madv->end = vma->vm_end; /* merged with the next VMA */
		if (madv->end >= last_end)
			break;
		vma = find_vma(madv->mm, madv->end);
		madv->start = madv->end;
	}
	return unmapped_error;
}

/*
 * MADV_POPULATE_READ / _WRITE (madvise_populate): fault every page of [start, end) in, as
 * gup with FOLL_MADV_POPULATE does, VMA by VMA. ENOMEM at a hole (what came before stays
 * populated), EINVAL in a VMA that does not allow the access, EFAULT past the end of a shared
 * object (SIGBUS). mmap_lock R.
 */
static int __must_check madvise_populate(struct mm_struct *mm, unsigned long start,
					 unsigned long end, bool write)
{
	struct vm_area_struct *vma;
	unsigned long next;
	int ret;

	for (; start < end; start = next) {
		vma = find_vma(mm, start);
		if (!vma || start < vma->vm_start)
			return -ENOMEM;
		if (!(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
			return -EINVAL;
		next = vma->vm_end < end ? vma->vm_end : end;
		ret = faultin_page_range(vma, start, next, write);
		if (ret)
			return ret == -EIO ? -EFAULT : ret;
	}
	return 0;
}

static int do_madvise(struct mm_struct *mm, unsigned long start, unsigned long len_in, int behavior)
{
	MADVISE_BEHAVIOR_STATE(madv, mm, behavior);
	unsigned long len;
	int error;

	if (!madvise_behavior_valid(behavior) || !PAGE_ALIGNED(start))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if ((len_in && !len) || start + len < start)
		return -EINVAL;
	if (start + len == start)
		return 0;

	if (behavior == ANONVM_MADV_HWPOISON || behavior == ANONVM_MADV_SOFT_OFFLINE)
		return -EPERM; /* madvise_inject_error: CAP_SYS_ADMIN only */
	if (behavior == ANONVM_MADV_POPULATE_READ || behavior == ANONVM_MADV_POPULATE_WRITE) {
		mmap_read_lock(mm);
		error = madvise_populate(mm, start, start + len,
					 behavior == ANONVM_MADV_POPULATE_WRITE);
		mmap_read_unlock(mm);
		return error;
	}
	madv.start = start;
	madv.end = start + len;
	madv.lock_mode = get_lock_mode(behavior);
	if (madv.lock_mode == MADVISE_MMAP_WRITE_LOCK)
		mmap_write_lock(mm);
	else if (madv.lock_mode == MADVISE_MMAP_READ_LOCK)
		mmap_read_lock(mm);

	error = madvise_walk_vmas(&madv);

	if (madv.lock_mode == MADVISE_MMAP_WRITE_LOCK) {
		validate_mm(mm);
		mmap_write_unlock(mm);
	} else if (madv.lock_mode == MADVISE_MMAP_READ_LOCK) {
		mmap_read_unlock(mm);
	}
	return error;
}

int anonvm_madvise(struct anonvm_mm *handle, unsigned long addr, unsigned long len, int advice)
{
	return do_madvise(mm_of(handle), addr, len, advice);
}
