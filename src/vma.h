/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMA layer's internal API (owner: vma.c, mmap.c and friends): lookups, per-VMA locks,
 * VMA allocation, and the operations behind the memory system calls.
 *
 * Kernel counterparts: mm/vma.h (the merge state, split, expand, copy_vma), mm/internal.h
 * (do_vmi_munmap, mprotect_fixup), include/linux/mmap_lock.h (per-VMA locks).
 */
#ifndef ANONVM_VMA_H
#define ANONVM_VMA_H

#include <stdio.h>

#include "mm_types.h"

/* Error pointers, as in include/linux/err.h: the top 4095 values are -errno. */
#define MAX_ERRNO 4095

static inline bool IS_ERR_VALUE(unsigned long x)
{
	return x >= (unsigned long)-MAX_ERRNO;
}

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE((unsigned long)ptr);
}

/* PROT_READ / PROT_WRITE / PROT_EXEC (Linux's values, = ANONVM_PROT_*) as VM_* flags. */
static inline unsigned long calc_vm_prot_bits(unsigned long prot)
{
	return (prot & ANONVM_PROT_READ ? VM_READ : 0) | (prot & ANONVM_PROT_WRITE ? VM_WRITE : 0) |
	       (prot & ANONVM_PROT_EXEC ? VM_EXEC : 0);
}

/* The first VMA with vm_end > addr, or NULL. mmap_lock held. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* The VMA containing addr, or NULL. mmap_lock held. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
/* find_vma(), and in *pprev the last VMA that ends at or below addr (or NULL). */
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev);
/* The first VMA that intersects [start, end), or NULL. mmap_lock held. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end);

/*
 * Per-VMA lock fast path (§5): the VMA containing address, read-locked, or NULL (then take
 * mmap_lock and use vma_lookup). Release with vma_end_read. Always NULL on a machine
 * configured without per-VMA locks (anonvm_config.per_vma_lock).
 */
struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long address)
    __must_check;
void vma_end_read(struct vm_area_struct *vma);
/* Write-lock vma for this mmap write cycle (released by mmap_write_unlock). */
void vma_start_write(struct vm_area_struct *vma);

static inline bool vma_is_write_locked(struct vm_area_struct *vma)
{
	return atomic_load(&vma->vm_lock_seq) == atomic_load(&vma->vm_mm->mm_lock_seq);
}

#define vma_assert_write_locked(vma) VM_BUG_ON(!vma_is_write_locked(vma))

/*
 * VMA objects. vm_area_alloc: zeroed, detached, empty chain. vm_area_dup: a copy of orig's
 * range, flags, pgoff, file pointer (no reference taken) and anon_vma pointer, with an empty
 * chain. vm_area_free: the memory stays a VMA (type-stable cache) or is freed after an RCU
 * grace period, since lockless readers may still hold it; the chain must be empty. remove_vma: drop the file reference, then vm_area_free.
 */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm) __must_check;
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig) __must_check;
void vm_area_free(struct vm_area_struct *vma);
void remove_vma(struct vm_area_struct *vma);

/*
 * In the tree (attached) or out of it (detached): lock_vma_under_rcu locks only an attached
 * VMA. Detaching waits for the readers that still hold it (the caller has it write-locked,
 * so none can come: those in flight leave at once).
 */
void vma_mark_detached(struct vm_area_struct *vma);

static inline void vma_mark_attached(struct vm_area_struct *vma)
{
	VM_BUG_ON(atomic_load(&vma->vm_refcnt));
	atomic_store_explicit(&vma->vm_refcnt, 1, memory_order_release);
}

static inline bool vma_is_detached(struct vm_area_struct *vma)
{
	return !atomic_load(&vma->vm_refcnt);
}

static inline void vma_set_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
				 unsigned long pgoff)
{
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;
}

/*
 * Reserve the tree nodes a store of entry over [start, end) needs (0 or -ENOMEM); mas is
 * left on that range for mas_store_prealloc, or mas_destroy to give the nodes back.
 */
int vma_iter_prealloc(struct ma_state *mas, unsigned long start, unsigned long end,
		      struct vm_area_struct *entry) __must_check;

/* Store vma in mm's tree (vma_link in the kernel): 0 or -ENOMEM. mmap_lock W. */
int vma_link(struct mm_struct *mm, struct vm_area_struct *vma) __must_check;

/* The outcome of a merge attempt (vmg->state). */
enum vma_merge_state {
	VMA_MERGE_START,
	VMA_MERGE_ERROR_NOMEM,
	VMA_MERGE_NOMERGE,
	VMA_MERGE_SUCCESS,
};

/*
 * One merge, start to end: the state every step of vma.c's merge machinery reads and
 * updates. Callers make it with VMG_STATE (a new range: mmap, mremap targets) or
 * VMG_VMA_STATE (a range of an existing VMA: mprotect, madvise, mremap sources).
 *
 * The neighbourhood, any of which may be NULL:
 *
 *	|------|--------|------|
 *	| prev | middle | next |
 *	|------|--------|------|
 *
 * middle is the existing VMA being modified (vma_merge_existing_range), or NULL for a
 * proposed new range between prev and next (vma_merge_new_range). [start, end) and pgoff
 * first describe the proposed range; a successful merge widens them to the merged VMA.
 * target is the VMA that survives as the merged one.
 */
struct vma_merge_struct {
	struct mm_struct *mm;
	struct vm_area_struct *prev;
	struct vm_area_struct *middle;
	struct vm_area_struct *next;
	struct vm_area_struct *target;
	/* mremap: the VMA whose pages the new range receives (6.19 fix 61f67c230a5e) */
	struct vm_area_struct *copied_from;
	unsigned long start, end; /* [start, end) */
	unsigned long pgoff;
	/* what the range will have; a neighbour must match to merge */
	unsigned long vm_flags;
	struct shmem_file *file;
	struct anon_vma *anon_vma;
	enum vma_merge_state state;
	/* internal: what commit_merge changes */
	bool __adjust_middle_start; /* middle->vm_start moves up (prev grows) */
	bool __adjust_next_start;   /* next->vm_start moves down (middle shrinks) */
	bool __remove_middle;
	bool __remove_next;
};

#define VMG_STATE(name, mm_, start_, end_, vm_flags_, pgoff_)                                      \
	struct vma_merge_struct name = {                                                           \
	    .mm = (mm_),                                                                           \
	    .start = (start_),                                                                     \
	    .end = (end_),                                                                         \
	    .pgoff = (pgoff_),                                                                     \
	    .vm_flags = (vm_flags_),                                                               \
	    .state = VMA_MERGE_START,                                                              \
	}

#define VMG_VMA_STATE(name, prev_, vma_, start_, end_)                                             \
	struct vma_merge_struct name = {                                                           \
	    .mm = (vma_)->vm_mm,                                                                   \
	    .prev = (prev_),                                                                       \
	    .middle = (vma_),                                                                      \
	    .start = (start_),                                                                     \
	    .end = (end_),                                                                         \
	    .pgoff = linear_page_index((vma_), (start_)),                                          \
	    .vm_flags = (vma_)->vm_flags,                                                          \
	    .file = (vma_)->vm_file,                                                               \
	    .anon_vma = (vma_)->anon_vma,                                                          \
	    .state = VMA_MERGE_START,                                                              \
	}

static inline bool vmg_nomem(const struct vma_merge_struct *vmg)
{
	return vmg->state == VMA_MERGE_ERROR_NOMEM;
}

/*
 * Merge the new range [vmg->start, vmg->end) with vmg->prev and/or vmg->next: the VMA that
 * now covers it, or NULL (vmg->state says whether for lack of memory). mmap_lock W.
 */
struct vm_area_struct *vma_merge_new_range(struct vma_merge_struct *vmg)
    __must_check;
/* Grow vmg->target to [vmg->start, vmg->end), absorbing vmg->next if it ends there. */
int vma_expand(struct vma_merge_struct *vmg) __must_check;
/*
 * Give [start, end) of vma the flags *vm_flags: merged with a neighbour, or split off.
 * The VMA that now is exactly [start, end) or contains it after a merge, or an ERR_PTR
 * (-ENOMEM). prev: the VMA before vma, or vma itself when start > vma->vm_start. The caller
 * then sets the returned VMA's flags. mmap_lock W.
 */
struct vm_area_struct *vma_modify_flags(struct vm_area_struct *prev, struct vm_area_struct *vma,
					unsigned long start, unsigned long end,
					unsigned long vm_flags) __must_check;
/* mremap in place: vma grown by delta bytes (merged with next if it can). NULL on ENOMEM. */
struct vm_area_struct *vma_merge_extend(struct vm_area_struct *vma, unsigned long delta)
    __must_check;
/*
 * mremap: a VMA for [addr, addr + len) with *vmap's properties and pgoff, merged with its
 * new neighbours when it can be; NULL on ENOMEM. *vmap is replaced when the source itself
 * was the VMA merged into. *need_rmap_locks: the PTE move must hold the anon_vma lock.
 */
struct vm_area_struct *copy_vma(struct vm_area_struct **vmap, unsigned long addr, unsigned long len,
				unsigned long pgoff, bool *need_rmap_locks)
    __must_check;
/*
 * Split vma at addr; new_below: the new VMA is the lower part (vma keeps the upper one).
 * split_vma fails with -ENOMEM at max_map_count; __split_vma does not check it.
 */
int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below)
    __must_check;
int __split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below)
    __must_check;

/* mmap.c */
/* Address spaces: an empty mm (page tables allocated, not listed in vm->mms). */
struct mm_struct *mm_alloc(struct anonvm *vm) __must_check;
void mm_free(struct mm_struct *mm);
/* List mm in vm->mms / take it off. */
void mm_register(struct mm_struct *mm);
void mm_unregister(struct mm_struct *mm);
/*
 * munmap of [start, start + len): 0, -EINVAL (bad range), -ENOMEM (a split failed or
 * would exceed max_map_count; splits already made stay, as in Linux). mmap_lock W.
 */
int do_vmi_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
    __must_check;
/* An address for a mapping of len bytes (flags: ANONVM_MAP_*), or -errno (IS_ERR_VALUE). */
unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				unsigned long flags) __must_check;
/* Fault in [start, start + len) after a mapping call; takes mmap_lock for read. */
void mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len);

/* fork.c: tear down every VMA of mm (exit_mmap). */
void exit_mmap(struct mm_struct *mm);

/* Debug: mm's tree and VMAs are consistent (see vma.c); else false and a report on out. */
bool mm_valid(struct mm_struct *mm, FILE *out);

/* After every mutator, at debug level 2 (debug.h): the whole mm, or a BUG. */
#define validate_mm(mm)                                                                       \
	do {                                                                                  \
		if (anonvm_debug_expensive((mm)->vm))                                         \
			VM_BUG_ON(!mm_valid(mm, stderr));                                      \
	} while (0)

#endif
