// SPDX-License-Identifier: GPL-2.0-only
/*
 * mprotect.c: mprotect. Kernel counterpart: mm/mprotect.c (do_mprotect_pkey,
 * mprotect_fixup); the PTE side is change_protection (memory.c).
 *
 * mprotect walks the VMAs of [start, end) in order and changes each in turn (merging it
 * with a neighbour or splitting it off, vma_modify_flags); at a hole it stops with ENOMEM,
 * the VMAs before it already changed. Errors other than holes stop it the same way.
 *
 * VM_ACCOUNT rules (mprotect_fixup):
 *   becoming writable, a private mapping without VM_ACCOUNT | VM_WRITE | VM_SHARED |
 *	VM_NORESERVE gets VM_ACCOUNT (its pages are charged to the commit: ENOMEM when the
 *	overcommit heuristic refuses them);
 *   otherwise (not writable afterwards) an anonymous VMA with VM_ACCOUNT but no anon_vma
 *	(never written) loses VM_ACCOUNT and its charge (since ~6.6); a faulted one keeps it.
 * Locks: mmap_lock W; each VMA changed is write-locked first.
 */
#include <errno.h>
#include <sys/mman.h>

#include "memory.h"
#include "vma.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

/*
 * Give [start, end) of vma the flags newflags. *pprev: the VMA before start (vma itself
 * when start is inside it); on success the VMA now covering start.
 */
static int __must_check
mprotect_fixup(struct vm_area_struct *vma, struct vm_area_struct **pprev, unsigned long start,
	       unsigned long end, unsigned long newflags)
{
	unsigned long oldflags = vma->vm_flags, nrpages = (end - start) >> PAGE_SHIFT, charged = 0;
	struct anonvm *vm = vma->vm_mm->vm;

	if (newflags == oldflags) {
		*pprev = vma;
		return 0;
	}
	if (newflags & VM_WRITE) {
		/* private memory becomes writable: charged from now on */
		if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) {
			charged = nrpages;
			if (__vm_enough_memory(vm, charged))
				return -ENOMEM;
			newflags |= VM_ACCOUNT;
		}
	} else if ((oldflags & VM_ACCOUNT) && vma_is_anonymous(vma) && !vma->anon_vma) {
		/* never written, and now it cannot be: nothing to charge */
		newflags &= ~VM_ACCOUNT;
	}

	vma = vma_modify_flags(*pprev, vma, start, end, newflags);
	if (IS_ERR(vma)) {
		vm_unacct_memory(vm, charged);
		return (int)PTR_ERR(vma);
	}
	*pprev = vma;
	if ((oldflags & VM_ACCOUNT) && !(newflags & VM_ACCOUNT))
		vm_unacct_memory(vm, nrpages);

	vma_start_write(vma);
	vm_flags_reset(vma, newflags);
	change_protection(vma, start, end, newflags);
	return 0;
}

static int do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len,
		       unsigned long prot)
{
	const unsigned long grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	struct vm_area_struct *vma, *prev;
	unsigned long end, nstart, tmp, newflags;
	int error;

	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (!PAGE_ALIGNED(start))
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;

	mmap_write_lock(mm);
	error = -ENOMEM;
	vma = find_vma_intersection(mm, start, end);
	if (!vma)
		goto out;
	/* no VMA grows down or up in the model: both flags are refused as for such a VMA */
	if (grows) {
		error = -EINVAL;
		if (grows & PROT_GROWSUP && vma->vm_start > start)
			error = -ENOMEM;
		goto out;
	}
	if (vma->vm_start > start)
		goto out;

	find_vma_prev(mm, vma->vm_start, &prev);
	if (start > vma->vm_start)
		prev = vma;
	nstart = start;
	tmp = vma->vm_start;
	error = 0;
	for (; vma && vma->vm_start < end; vma = find_vma(mm, tmp)) {
		if (vma->vm_start != tmp) {
			error = -ENOMEM; /* a hole: what came before stays changed */
			break;
		}
		newflags = calc_vm_prot_bits(prot) | (vma->vm_flags & ~VM_ACCESS_FLAGS);
		/* newflags >> 4 puts VM_MAY* where VM_* is */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
			error = -EACCES;
			break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = mprotect_fixup(vma, &prev, nstart, tmp, newflags);
		if (error)
			break;
		tmp = prev->vm_end;
		nstart = tmp;
	}
	if (!error && tmp < end)
		error = -ENOMEM;
out:
	validate_mm(mm);
	mmap_write_unlock(mm);
	return error;
}

int anonvm_mprotect(struct anonvm_mm *handle, unsigned long addr, unsigned long len, int prot)
{
	return do_mprotect(mm_of(handle), addr, len, (unsigned int)prot);
}
