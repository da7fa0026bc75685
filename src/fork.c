// SPDX-License-Identifier: GPL-2.0-only
/*
 * fork.c: fork and exit of address spaces. Kernel counterparts: kernel/fork.c (dup_mm),
 * mm/mmap.c (dup_mmap, exit_mmap).
 *
 * dup_mmap (docs/semantics.md §2.8): the child's tree starts as a structural copy of the
 * parent's (mt_dup), whose entries still point at the parent's VMAs; then, VMA by VMA in
 * address order, a VM_DONTCOPY VMA's range is erased, any other is replaced by a copy:
 * VM_WIPEONFORK gives it no anon_vma and no pages, otherwise anon_vma_fork links it into
 * the parent's anon_vma family and copy_page_range shares the pages copy-on-write.
 * VM_LOCKED is not inherited. If an allocation fails the child is torn down up to the VMA
 * that failed: the entries from there on are still the parent's (the kernel marks the spot
 * with XA_ZERO_ENTRY; here exit_mmap is told where to stop).
 *
 * Invariants after a fork: child VMAs == parent VMAs without VM_DONTCOPY, same ranges,
 * flags (less VM_LOCKED), pgoff, file; child map_count == their number.
 * Locks: parent's mmap_lock W, then the child's (not reachable by anyone else yet); each
 * parent VMA is write-locked as it is copied. exit takes the mm's mmap_lock W.
 */
#include <errno.h>
#include <limits.h>

#include "memory.h"
#include "rmap.h"
#include "vma.h"

/*
 * Tear down every VMA of mm that starts below stop: pages zapped, then every anon_vma chain
 * unlinked, then the VMAs freed (free_pgtables' order: no anon_vma dies while pages of an
 * exiting VMA may still point to it). The tree's nodes go last.
 */
static void __exit_mmap(struct mm_struct *mm, unsigned long stop)
{
	MA_STATE(mas, &mm->mm_mt, 0, 0);
	struct vm_area_struct *vma;
	unsigned long nr_accounted = 0;
	int count = 0;

	mmap_write_lock(mm);
	mm->dying = true;
	if (!stop) /* the copy failed at a VMA at address 0 (CAP_SYS_RAWIO): none is ours */
		goto out;
	/* three passes of one cursor each: the tree does not change until mt_destroy */
	mas_for_each(&mas, vma, stop - 1) {
		vma_start_write(vma);
		zap_vma_range(vma, vma->vm_start, vma->vm_end);
	}
	mas_set(&mas, 0);
	mas_for_each(&mas, vma, stop - 1)
		unlink_anon_vmas(vma);
	mas_set(&mas, 0);
	mas_for_each(&mas, vma, stop - 1) {
		if (vma->vm_flags & VM_ACCOUNT)
			nr_accounted += vma_pages(vma);
		vma_mark_detached(vma);
		remove_vma(vma);
		count++;
	}
	vm_unacct_memory(mm->vm, nr_accounted);
	VM_BUG_ON(count != mm->map_count);
out:
	mt_destroy(&mm->mm_mt);
	mm_map_count_add(mm, -mm->map_count);
	mmap_write_unlock(mm);
}

void exit_mmap(struct mm_struct *mm)
{
	__exit_mmap(mm, ULONG_MAX);
}

/*
 * Copy oldmm's VMAs into mm (empty, fresh). 0, or -ENOMEM with *stop the start of the
 * first VMA of mm's tree that is still oldmm's (ULONG_MAX when none is).
 */
static int __must_check
dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm, unsigned long *stop)
{
	MA_STATE(mas, &mm->mm_mt, 0, 0);
	struct vm_area_struct *mpnt, *tmp;
	unsigned long charge = 0;
	int retval;

	*stop = ULONG_MAX;
	mmap_write_lock(oldmm);
	mmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING); /* the child: not reachable yet */
	mm->total_vm = oldmm->total_vm;
	retval = mt_dup(&oldmm->mm_mt, &mm->mm_mt);
	if (retval)
		goto out_unlock;

	/*
	 * One pass of one cursor over the child's tree: each entry found is still the parent's
	 * VMA, and the cursor stands on its slot for the store that replaces it.
	 */
	mas_for_each(&mas, mpnt, ULONG_MAX) {
		vma_start_write(mpnt);
		if (mpnt->vm_flags & VM_DONTCOPY) {
			retval = mas_store_gfp(&mas, NULL);
			if (retval)
				goto out_fail;
			mm->total_vm -= vma_pages(mpnt);
			continue;
		}
		retval = -ENOMEM;
		charge = 0;
		if (mpnt->vm_flags & VM_ACCOUNT) {
			/* the child's copy is charged again (and may be refused) */
			charge = vma_pages(mpnt);
			if (__vm_enough_memory(mm->vm, charge))
				goto out_fail;
		}
		tmp = vm_area_dup(mpnt);
		if (!tmp)
			goto out_fail_nomem;
		tmp->vm_mm = mm;
		if (tmp->vm_flags & VM_WIPEONFORK) {
			/* a clean slate: faults will give it an anon_vma of its own */
			tmp->anon_vma = NULL;
		} else if (anon_vma_fork(tmp, mpnt)) {
			goto out_free_vma;
		}
		vm_flags_clear(tmp, VM_LOCKED);
		/* the same range as the entry it replaces: one pointer written */
		if (mas_store_gfp(&mas, tmp))
			goto out_unlink_anon;
		vma_mark_attached(tmp);
		mm_map_count_add(mm, 1);
		if (tmp->vm_file)
			shmem_file_get(tmp->vm_file);
		retval = 0;
		if (!(tmp->vm_flags & VM_WIPEONFORK))
			retval = copy_page_range(tmp, mpnt);
		if (retval) {
			/* tmp is the child's, with part of its pages: torn down with the rest */
			mpnt = mas_find(&mas, ULONG_MAX);
			goto out_fail;
		}
	}
	validate_mm(oldmm);
	validate_mm(mm);
	goto out_unlock;

out_unlink_anon:
	unlink_anon_vmas(tmp);
out_free_vma:
	vm_area_free(tmp);
out_fail_nomem:
	vm_unacct_memory(mm->vm, charge);
out_fail:
	if (mpnt)
		*stop = mpnt->vm_start;
out_unlock:
	mmap_write_unlock(mm);
	mmap_write_unlock(oldmm);
	return retval;
}

int anonvm_fork(struct anonvm_mm *parent, struct anonvm_mm **child)
{
	struct mm_struct *oldmm = mm_of(parent), *mm;
	unsigned long stop;
	int err;

	mm = mm_alloc(oldmm->vm);
	if (!mm)
		return -ENOMEM;
	err = dup_mmap(mm, oldmm, &stop);
	if (err) {
		__exit_mmap(mm, stop);
		mm_free(mm);
		return err;
	}
	mm_register(mm);
	count_vm_event(mm->vm, fork);
	*child = mm_handle(mm);
	return 0;
}

void anonvm_exit(struct anonvm_mm *handle)
{
	struct mm_struct *mm = mm_of(handle);

	mm_unregister(mm);
	exit_mmap(mm);
	mm_free(mm);
}
