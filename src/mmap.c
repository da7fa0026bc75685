// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap.c: address spaces (mm_struct), mmap and munmap. Kernel counterparts: kernel/fork.c
 * (mm_alloc), mm/mmap.c (do_mmap, get_unmapped_area, __mm_populate), mm/vma.c
 * (__mmap_region, the vma_munmap_struct gather / complete / abort steps, do_vmi_munmap).
 *
 * munmap and MAP_FIXED share one path: the VMAs of the range are split at its ends and
 * gathered, still in the tree but detached, into a side tree (vms->mt_detach); then either
 * the range is cleared (munmap) or the new VMA is stored over it (mmap), and only then are
 * the gathered VMAs' pages zapped, their anon_vmas unlinked and the VMAs freed. Until the
 * tree is changed every step can be undone (reattach_vmas); a MAP_FIXED that fails after
 * the old pages were zapped leaves a hole, as in Linux.
 *
 * Invariants: mm->map_count == VMAs in mm->mm_mt (between operations);
 *   mm->total_vm == sum of vma_pages over the VMAs (except, as in Linux, after an mremap
 *   whose unmap of the source failed for lack of memory: then it counts the source twice);
 *   a private writable mapping without MAP_NORESERVE has VM_ACCOUNT (accountable_mapping)
 *   and its pages are charged to the commit (util.c: -ENOMEM when the overcommit heuristic
 *   refuses them); munmap gives the charge back;
 *   a new VMA has VM_SOFTDIRTY; pgoff of a private anonymous mmap == addr >> PAGE_SHIFT,
 *   of a shared one 0 (offset in its own shmem object).
 * Locks: mmap_lock W for mmap/munmap (MAP_POPULATE faults afterwards under mmap_lock R);
 *   vm->mms_lock for vm->mms.
 */
#include <errno.h>
#include <limits.h>
#include <sys/mman.h>

#include "alloc.h"
#include "memory.h"
#include "rmap.h"
#include "vma.h"

_Static_assert(MAP_SHARED == ANONVM_MAP_SHARED && MAP_PRIVATE == ANONVM_MAP_PRIVATE &&
		   MAP_FIXED == ANONVM_MAP_FIXED && MAP_NORESERVE == ANONVM_MAP_NORESERVE &&
		   MAP_POPULATE == ANONVM_MAP_POPULATE &&
		   MAP_FIXED_NOREPLACE == ANONVM_MAP_FIXED_NOREPLACE &&
		   PROT_READ == ANONVM_PROT_READ && PROT_WRITE == ANONVM_PROT_WRITE &&
		   PROT_EXEC == ANONVM_PROT_EXEC,
	       "the public API uses Linux's values");

/* x86-64: where the bottom-up search starts when the top-down one fails. */
#define TASK_UNMAPPED_BASE PAGE_ALIGN(TASK_SIZE / 3)

/* Address spaces. */

struct mm_struct *mm_alloc(struct anonvm *vm)
{
	struct mm_struct *mm = av_alloc(AV_OBJ_MM, sizeof(*mm));

	if (!mm)
		return NULL;
	if (mm_counters_init(mm)) {
		av_free(AV_OBJ_MM, mm);
		return NULL;
	}
	mm->vm = vm;
	mt_init(&mm->mm_mt);
	init_rwsem(&mm->mmap_lock);
	mm->mmap_lock.wait_stat = &vm->stats.lock_wait[LOCK_WAIT_MMAP];
	spin_lock_init(&mm->page_table_lock);
	mm->mmap_base = DEFAULT_MMAP_BASE;
	mm->task_size = TASK_SIZE;
	INIT_LIST_HEAD(&mm->mmlist);
	if (pgd_alloc(mm)) {
		mm_free(mm);
		return NULL;
	}
	return mm;
}

/* An mm with no VMA left (exit_mmap done, or never populated). */
void mm_free(struct mm_struct *mm)
{
	VM_BUG_ON(!mtree_empty(&mm->mm_mt) || mm->map_count);
	if (mm->pgd)
		pgd_free(mm);
	spin_lock_destroy(&mm->page_table_lock);
	destroy_rwsem(&mm->mmap_lock);
	mm_counters_free(mm);
	av_free(AV_OBJ_MM, mm);
}

int mm_counters_init(struct mm_struct *mm)
{
	mm->rss_stat = av_alloc(AV_OBJ_OTHER, nr_cpu_ids() * sizeof(*mm->rss_stat));
	return mm->rss_stat ? 0 : -ENOMEM;
}

void mm_counters_free(struct mm_struct *mm)
{
	av_free(AV_OBJ_OTHER, mm->rss_stat);
	mm->rss_stat = NULL;
}

void mm_register(struct mm_struct *mm)
{
	struct anonvm *vm = mm->vm;

	spin_lock(&vm->mms_lock);
	mm->id = vm->next_mm_id++;
	snprintf(mm->name, sizeof(mm->name), "mm %lu", mm->id);
	list_add_tail(&mm->mmlist, &vm->mms);
	spin_unlock(&vm->mms_lock);
}

void mm_unregister(struct mm_struct *mm)
{
	spin_lock(&mm->vm->mms_lock);
	list_del_init(&mm->mmlist);
	spin_unlock(&mm->vm->mms_lock);
}

void anonvm_mm_set_name(struct anonvm_mm *handle, const char *name)
{
	struct mm_struct *mm = mm_of(handle);

	snprintf(mm->name, sizeof(mm->name), "%s", name);
}

int anonvm_mm_new(struct anonvm *vm, struct anonvm_mm **out)
{
	struct mm_struct *mm = mm_alloc(vm);

	if (!mm)
		return -ENOMEM;
	mm_register(mm);
	*out = mm_handle(mm);
	return 0;
}

/* munmap machinery (also MAP_FIXED's removal of what was there). */

struct vma_munmap_struct {
	struct mm_struct *mm;
	struct vm_area_struct *vma;  /* the first VMA of the range */
	struct vm_area_struct *prev; /* the VMAs around the range, after the splits */
	struct vm_area_struct *next;
	unsigned long start, end;    /* [start, end) */
	int vma_count;		     /* VMAs gathered */
	unsigned long nr_pages;	     /* their pages */
	unsigned long nr_accounted;  /* pages of theirs with VM_ACCOUNT */
	bool clear_ptes;	     /* their pages are still mapped */
	struct maple_tree mt_detach; /* the gathered VMAs, at indices 0 .. vma_count - 1 */
};

#define VMA_MUNMAP_INIT(mm_, vma_, start_, end_)                                                   \
	{                                                                                          \
		.mm = (mm_), .vma = (vma_), .start = (start_), .end = (end_), .clear_ptes = true   \
	}
#define VMA_MUNMAP_STATE(name, mm_, vma_, start_, end_)                                            \
	struct vma_munmap_struct name = VMA_MUNMAP_INIT(mm_, vma_, start_, end_)

/* Undo the gathering: the VMAs are attached again, the side tree goes. */
static void reattach_vmas(struct vma_munmap_struct *vms)
{
	struct vm_area_struct *vma;
	unsigned long index;

	mt_for_each(&vms->mt_detach, vma, index, ULONG_MAX)
		vma_mark_attached(vma);
	mt_destroy(&vms->mt_detach);
}

/*
 * Split the VMAs at the range's ends and gather the ones inside, detached but still in the
 * tree. -ENOMEM when a split fails, or when the first split would push map_count over the
 * limit while the range is inside one VMA; everything but the splits is undone.
 */
static int __must_check vms_gather_munmap_vmas(struct vma_munmap_struct *vms)
{
	struct mm_struct *mm = vms->mm;
	struct vm_area_struct *next;
	int error;

	mt_init(&vms->mt_detach);
	if (vms->start > vms->vma->vm_start) {
		/* map_count may go one over the limit for a moment, but not stay there */
		if (vms->end < vms->vma->vm_end &&
		    (unsigned long)mm->map_count >= mm->vm->max_map_count)
			return -ENOMEM;
		error = __split_vma(vms->vma, vms->start, 1);
		if (error)
			return error;
	}
	find_vma_prev(mm, vms->start, &vms->prev);

	for (next = vms->vma; next && next->vm_start < vms->end;
	     next = find_vma(mm, next->vm_end)) {
		MA_STATE(mas_detach, &vms->mt_detach, vms->vma_count, vms->vma_count);

		if (next->vm_end > vms->end) {
			error = __split_vma(next, vms->end, 0);
			if (error)
				goto out_reattach;
		}
		vma_start_write(next);
		error = mas_store_gfp(&mas_detach, next);
		if (error)
			goto out_reattach;
		vms->vma_count++;
		vma_mark_detached(next);
		vms->nr_pages += vma_pages(next);
		if (next->vm_flags & VM_ACCOUNT)
			vms->nr_accounted += vma_pages(next);
	}
	vms->next = find_vma(mm, vms->end);
	return 0;

out_reattach:
	reattach_vmas(vms);
	return error;
}

/* Zap the gathered VMAs' pages and unlink their anon_vmas (free_pgtables' job). */
static void vms_clear_ptes(struct vma_munmap_struct *vms)
{
	struct vm_area_struct *vma;
	unsigned long index;

	if (!vms->clear_ptes || !vms->nr_pages)
		return;
	mt_for_each(&vms->mt_detach, vma, index, ULONG_MAX)
		zap_vma_range(vma, vma->vm_start, vma->vm_end);
	mt_for_each(&vms->mt_detach, vma, index, ULONG_MAX)
		unlink_anon_vmas(vma);
	vms->clear_ptes = false;
}

/* The gathered VMAs are out of mm's tree: finish them off. */
static void vms_complete_munmap_vmas(struct vma_munmap_struct *vms)
{
	struct mm_struct *mm = vms->mm;
	struct vm_area_struct *vma;
	unsigned long index;

	mm_map_count_add(mm, -vms->vma_count);
	if (!vms->nr_pages)
		return;
	vms_clear_ptes(vms);
	mm->total_vm -= vms->nr_pages;
	vm_unacct_memory(mm->vm, vms->nr_accounted);
	mt_for_each(&vms->mt_detach, vma, index, ULONG_MAX)
		remove_vma(vma);
	mt_destroy(&vms->mt_detach);
	validate_mm(mm);
}

/*
 * A MAP_FIXED failed after gathering: put the old VMAs back if their pages are still
 * there, else (zapped already) leave a hole where they were.
 */
static void vms_abort_munmap_vmas(struct vma_munmap_struct *vms)
{
	MA_STATE(mas, &vms->mm->mm_mt, vms->start, vms->end - 1);

	if (!vms->nr_pages)
		return;
	if (vms->clear_ptes) {
		reattach_vmas(vms);
		return;
	}
	/* __GFP_NOFAIL: retried until it succeeds */
	while (mas_store_gfp(&mas, NULL))
		mas_set_range(&mas, vms->start, vms->end - 1);
	vms_complete_munmap_vmas(vms);
}

static int __must_check
do_vmi_align_munmap(struct vm_area_struct *vma, struct mm_struct *mm, unsigned long start,
		    unsigned long end)
{
	VMA_MUNMAP_STATE(vms, mm, vma, start, end);
	MA_STATE(mas, &mm->mm_mt, start, end - 1);
	int error;

	error = vms_gather_munmap_vmas(&vms);
	if (error)
		goto out_gather_failed;
	error = mas_store_gfp(&mas, NULL);
	if (error)
		goto out_reattach;

	/* point of no return */
	vms_complete_munmap_vmas(&vms);
	return 0;

out_reattach:
	reattach_vmas(&vms);
out_gather_failed:
	validate_mm(mm);
	return error;
}

int do_vmi_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	struct vm_area_struct *vma;
	unsigned long end;

	if (!PAGE_ALIGNED(start) || start > TASK_SIZE || len > TASK_SIZE - start)
		return -EINVAL;
	end = start + PAGE_ALIGN(len);
	if (end == start)
		return -EINVAL;
	vma = find_vma_intersection(mm, start, end);
	if (!vma)
		return 0;
	return do_vmi_align_munmap(vma, mm, start, end);
}

int anonvm_munmap(struct anonvm_mm *handle, unsigned long addr, unsigned long len)
{
	struct mm_struct *mm = mm_of(handle);
	int ret;

	mmap_write_lock(mm);
	ret = do_vmi_munmap(mm, addr, len);
	mmap_write_unlock(mm);
	return ret;
}

/* Placement. */

/* vm.mmap_min_addr of the machine. */
static unsigned long mmap_min_addr(const struct mm_struct *mm)
{
	return mm->vm->cfg.mmap_min_addr ? mm->vm->cfg.mmap_min_addr : MMAP_MIN_ADDR;
}

/* The highest free gap of len bytes in [low, high): its top len bytes, or -ENOMEM. */
static unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long len,
					   unsigned long low, unsigned long high)
{
	MA_STATE(mas, &mm->mm_mt, 0, 0);

	if (low < mmap_min_addr(mm))
		low = mmap_min_addr(mm);
	if (high <= low || mas_empty_area_rev(&mas, low, high - 1, len))
		return -ENOMEM;
	return mas.last + 1 - len;
}

/* The lowest free gap of len bytes in [low, high): its bottom, or -ENOMEM. */
static unsigned long unmapped_area(struct mm_struct *mm, unsigned long len, unsigned long low,
				   unsigned long high)
{
	MA_STATE(mas, &mm->mm_mt, 0, 0);

	if (high <= low || mas_empty_area(&mas, low, high - 1, len))
		return -ENOMEM;
	return mas.index;
}

/*
 * x86-64's arch_get_unmapped_area_topdown and the checks of __get_unmapped_area. Below
 * vm.mmap_min_addr an address is refused with EPERM unless the caller has CAP_SYS_RAWIO
 * (security_mmap_addr: cap_mmap_addr), as cfg says.
 */
unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				unsigned long flags)
{
	struct vm_area_struct *vma;

	if (len > TASK_SIZE)
		return -ENOMEM;
	if (flags & MAP_FIXED)
		goto check;
	if (addr) {
		/* a hint: taken when the range is free */
		addr &= PAGE_MASK;
		vma = find_vma(mm, addr);
		if (TASK_SIZE - len >= addr && (!vma || addr + len <= vma->vm_start))
			goto check;
	}
	addr = unmapped_area_topdown(mm, len, PAGE_SIZE, mm->mmap_base);
	if (IS_ERR_VALUE(addr))
		addr = unmapped_area(mm, len, TASK_UNMAPPED_BASE, TASK_SIZE);
	if (IS_ERR_VALUE(addr))
		return addr;
check:
	if (addr > TASK_SIZE - len)
		return -ENOMEM;
	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	if (addr < mmap_min_addr(mm) && !mm->vm->cfg.cap_sys_rawio)
		return -EPERM;
	return addr;
}

/* mmap. */

struct mmap_state {
	struct mm_struct *mm;
	unsigned long addr, end; /* [addr, end) */
	unsigned long pgoff;
	unsigned long pglen;
	unsigned long vm_flags;
	unsigned long charged;	/* pages charged to the commit for this mapping */
	unsigned long replaced; /* charged pages of the VMAs it replaces, taken over */
	struct vm_area_struct *prev, *next;
	struct vma_munmap_struct vms; /* what MAP_FIXED replaces */
};

#define MMAP_STATE(name, mm_, addr_, len_, pgoff_, vm_flags_)                                      \
	struct mmap_state name = {                                                                 \
	    .mm = (mm_),                                                                           \
	    .addr = (addr_),                                                                       \
	    .end = (addr_) + (len_),                                                               \
	    .pgoff = (pgoff_),                                                                     \
	    .pglen = (len_) >> PAGE_SHIFT,                                                         \
	    .vm_flags = (vm_flags_),                                                               \
	    .vms = VMA_MUNMAP_INIT(mm_, NULL, addr_, (addr_) + (len_)),                            \
	}

/* Private writable memory is charged to the commit limit unless MAP_NORESERVE. */
static bool accountable_mapping(unsigned long vm_flags)
{
	return (vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE;
}

/*
 * Gather what the new mapping replaces, find its neighbours, decide VM_ACCOUNT, and zap the
 * old pages. Only the gathering can fail.
 */
static int __must_check __mmap_setup(struct mmap_state *map)
{
	struct vma_munmap_struct *vms = &map->vms;
	int error;

	vms->vma = find_vma_intersection(map->mm, map->addr, map->end);
	if (vms->vma) {
		error = vms_gather_munmap_vmas(vms);
		if (error) {
			vms->nr_pages = 0; /* already reattached */
			return error;
		}
		map->prev = vms->prev;
		map->next = vms->next;
	} else {
		map->next = find_vma_prev(map->mm, map->addr, &map->prev);
	}
	if (accountable_mapping(map->vm_flags)) {
		/* private writable memory: charged, less what the mapping replaces */
		map->charged = map->pglen - vms->nr_accounted;
		if (map->charged) {
			error = __vm_enough_memory(map->mm->vm, map->charged);
			if (error) {
				map->charged = 0;
				return error;
			}
		}
		map->replaced = vms->nr_accounted;
		vms->nr_accounted = 0; /* the new mapping takes over their charge */
		map->vm_flags |= VM_ACCOUNT;
	}
	vms_clear_ptes(vms);
	return 0;
}

static int __must_check
__mmap_new_vma(struct mmap_state *map, struct vm_area_struct **vmap)
{
	MA_STATE(mas, &map->mm->mm_mt, 0, 0);
	struct vm_area_struct *vma;
	int error = -ENOMEM;

	vma = vm_area_alloc(map->mm);
	if (!vma)
		return -ENOMEM;
	vma_set_range(vma, map->addr, map->end, map->pgoff);
	vm_flags_reset(vma, map->vm_flags);
	if (vma_iter_prealloc(&mas, map->addr, map->end, vma))
		goto out_free_vma;
	if (map->vm_flags & VM_SHARED) {
		error = shmem_zero_setup(vma);
		if (error)
			goto out_free_iter;
	}

	/* point of no return */
	vma_start_write(vma);
	mas_store_prealloc(&mas, vma);
	vma_mark_attached(vma);
	mm_map_count_add(map->mm, 1);
	*vmap = vma;
	return 0;

out_free_iter:
	mas_destroy(&mas);
out_free_vma:
	vm_area_free(vma);
	return error;
}

static void __mmap_complete(struct mmap_state *map, struct vm_area_struct *vma)
{
	vms_complete_munmap_vmas(&map->vms);
	map->mm->total_vm += map->pglen;
	/* a new (or grown) VMA is soft-dirty: trackers must see the range as new */
	vma_start_write(vma);
	vm_flags_set(vma, VM_SOFTDIRTY);
}

static unsigned long __mmap_region(struct mm_struct *mm, unsigned long addr, unsigned long len,
				   unsigned long vm_flags, unsigned long pgoff)
{
	MMAP_STATE(map, mm, addr, len, pgoff, vm_flags);
	struct vm_area_struct *vma = NULL;
	int error;

	error = __mmap_setup(&map);
	if (error)
		goto out_abort_munmap;
	if (map.prev || map.next) {
		VMG_STATE(vmg, mm, map.addr, map.end, map.vm_flags, map.pgoff);

		vmg.prev = map.prev;
		vmg.next = map.next;
		vma = vma_merge_new_range(&vmg);
	}
	/* no merge (or no memory for one): a VMA of its own */
	if (!vma) {
		error = __mmap_new_vma(&map, &vma);
		if (error)
			goto out_abort_munmap;
	}
	__mmap_complete(&map, vma);
	return addr;

out_abort_munmap:
	if (map.charged)
		vm_unacct_memory(mm->vm, map.charged);
	map.vms.nr_accounted = map.replaced; /* given back with them if they are gone */
	vms_abort_munmap_vmas(&map.vms);
	return error;
}

static unsigned long mmap_region(struct mm_struct *mm, unsigned long addr, unsigned long len,
				 unsigned long vm_flags, unsigned long pgoff)
{
	unsigned long ret;

	mmap_assert_write_locked(mm);
	ret = __mmap_region(mm, addr, len, vm_flags, pgoff);
	validate_mm(mm);
	return ret;
}

/* The address mapped, or -errno; *populate: bytes to fault in afterwards. mmap_lock W. */
static unsigned long do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len,
			     unsigned long prot, unsigned long flags, unsigned long *populate)
{
	unsigned long vm_flags, pgoff;

	*populate = 0;
	mmap_assert_write_locked(mm);
	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED)) {
		addr &= PAGE_MASK; /* round_hint_to_min */
		if (addr && addr < mmap_min_addr(mm))
			addr = PAGE_ALIGN(mmap_min_addr(mm));
	}
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;
	if ((unsigned long)mm->map_count > mm->vm->max_map_count)
		return -ENOMEM;
	addr = get_unmapped_area(mm, addr, len, flags);
	if (IS_ERR_VALUE(addr))
		return addr;
	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;

	vm_flags = calc_vm_prot_bits(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		pgoff = 0; /* the offset in its own shmem object */
		vm_flags |= VM_SHARED | VM_MAYSHARE;
		break;
	case MAP_PRIVATE:
		pgoff = addr >> PAGE_SHIFT; /* for the anon_vma: linear in the address */
		break;
	default:
		return -EINVAL;
	}
	/* honoured because overcommit is not OVERCOMMIT_NEVER (mode 0 is modelled) */
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;

	addr = mmap_region(mm, addr, len, vm_flags, pgoff);
	if (!IS_ERR_VALUE(addr) && (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE)
		*populate = len;
	return addr;
}

/* __mm_populate(start, len, ignore_errors = 1): fault in what each VMA of the range allows. */
void mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end = start + len, nstart, nend;
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	for (nstart = start; nstart < end; nstart = nend) {
		vma = find_vma_intersection(mm, nstart, end);
		if (!vma)
			break;
		nend = vma->vm_end < end ? vma->vm_end : end;
		if (nstart < vma->vm_start)
			nstart = vma->vm_start;
		/* errors are ignored: the mapping stands, unpopulated pages fault later */
		(void)populate_vma_page_range(vma, nstart, nend);
	}
	mmap_read_unlock(mm);
}

int anonvm_mmap(struct anonvm_mm *handle, unsigned long addr, unsigned long len, int prot,
		int flags, unsigned long *addrp)
{
	struct mm_struct *mm = mm_of(handle);
	unsigned long ret, populate;

	mmap_write_lock(mm);
	ret = do_mmap(mm, addr, len, (unsigned int)prot, (unsigned int)flags, &populate);
	mmap_write_unlock(mm);
	if (IS_ERR_VALUE(ret))
		return (int)ret;
	if (populate)
		mm_populate(mm, ret, populate);
	*addrp = ret;
	return 0;
}

/* Inspection. */

int anonvm_vma_next(struct anonvm_mm *handle, unsigned long addr, struct anonvm_vma_info *info)
{
	struct mm_struct *mm = mm_of(handle);
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma) {
		info->start = vma->vm_start;
		info->end = vma->vm_end;
		info->pgoff = vma->vm_pgoff;
		info->flags = vma->vm_flags;
		info->prot = (vma->vm_flags & VM_READ ? ANONVM_PROT_READ : 0) |
			     (vma->vm_flags & VM_WRITE ? ANONVM_PROT_WRITE : 0) |
			     (vma->vm_flags & VM_EXEC ? ANONVM_PROT_EXEC : 0);
		info->shared = vma->vm_flags & VM_MAYSHARE;
		info->has_anon_vma = vma->anon_vma != NULL;
	}
	mmap_read_unlock(mm);
	return vma ? 0 : -ENOENT;
}
