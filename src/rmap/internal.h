/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of src/rmap/ share and nothing else uses: the anon_vma object's lifetime,
 * one step of a walk, the lookup of a VMA's machine, and the validators' reporting.
 */
#ifndef ANONVM_RMAP_INTERNAL_H
#define ANONVM_RMAP_INTERNAL_H

#include <stdio.h>

#include "rmap.h"

static inline struct anonvm *vma_machine(const struct vm_area_struct *vma)
{
	return vma->vm_mm->vm;
}

/*
 * A new anon_vma of vm: refcount 1 (something will link it), root = parent = itself,
 * counters 0, the design's empty index, listed in vm->anon_vmas. NULL: out of memory.
 */
struct anon_vma *anon_vma_alloc(struct anonvm *vm) __must_check;

/* refcount reached 0: free it, then drop the reference it held on its root. */
void __put_anon_vma(struct anon_vma *anon_vma);

/*
 * One candidate VMA of a walk from folio (whose page has offset pgoff in the anon_vma's
 * index space): counted as visited; when its range holds the page, passed to rmap_one.
 * False when the walk must stop.
 */
bool rmap_walk_vma(struct folio *folio, struct vm_area_struct *vma, struct rmap_walk_control *rwc);

/* Each AVC of anon_vma's index that may overlap [first, last]; root rwsem (R or W). */
#define anon_vma_index_foreach(avc, index, anon_vma, first, last)                            \
	for (avc = (index)->iter_first(anon_vma, first, last); avc;                          \
	     avc = (index)->iter_next(avc, first, last))

/* Validators: one line "anon_vma: ..." on out (if not NULL); always false. */
bool rmap_report(FILE *out, const char *fmt, ...) __printf(2, 3);

/* The validators and pictures of each design (rmap/validate.c, rmap/dot.c). */
bool anon_vma_validate_vma_avc(struct vm_area_struct *vma, FILE *out);
bool anon_vma_validate_avc(struct anonvm *vm, FILE *out);
bool anon_vma_validate_vma_legacy(struct vm_area_struct *vma, FILE *out);
bool anon_vma_validate_legacy(struct anonvm *vm, FILE *out);
void rmap_dot_avc(struct anonvm *vm, FILE *out);
void rmap_dot_legacy(struct anonvm *vm, FILE *out);

#define VMA_FMT "mm %lu vma %lx-%lx"
#define VMA_ARGS(v) (v)->vm_mm->id, (v)->vm_start, (v)->vm_end

#endif
