/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The anonymous reverse map (KERNEL-SEMANTICS.md §1-§3): anon_vma, anon_vma_chain, and the
 * operations the VMA layer and the fault path call. The operations go through the machine's
 * rmap design (struct rmap_ops) so that other designs can plug in; these inline wrappers are
 * what callers use.
 *
 * Owner: rmap.c (the `linux` design), interval_tree.c (the AVC interval tree).
 */
#ifndef ANONVM_RMAP_H
#define ANONVM_RMAP_H

#include <stdio.h>

#include "mm_types.h"

struct anon_vma_rb_root {
	struct anon_vma_rb_node *rb_node; /* the interval tree of anon_vma_chain.rb */
};

/* A node of the interval tree (interval_tree.h); every field under the anon_vma root rwsem. */
struct anon_vma_rb_node {
	struct anon_vma_rb_node *rb_parent;
	union {
		struct {
			struct anon_vma_rb_node *rb_left, *rb_right;
		};
		struct anon_vma_rb_node *rb_child[2]; /* [RB_LEFT], [RB_RIGHT] */
	};
	bool rb_red;
};

/*
 * struct anon_vma (§1.1). "root rwsem" = root->rwsem, the lock of the whole family.
 * Memory: freed through call_rcu (anon_vma_free), so an RCU reader that found it through
 * folio->mapping may still read it and take root->rwsem; it re-checks folio_mapped().
 */
struct anon_vma {
	struct anon_vma *root;   /* oldest anon_vma of the fork family; self for a root; fixed */
	struct rw_semaphore rwsem; /* only the root's is used */
	/*
	 * atomic: [tree not empty] + (a root: live anon_vmas beneath it) + temporary pins;
	 * at 0 it is freed, then the root loses the reference this one held on it.
	 */
	atomic_int refcount;
	/* anon_vmas with a non-empty tree whose parent this is, +1 for a root (I4); root rwsem W */
	unsigned long num_children;
	unsigned long num_active_vmas; /* VMAs whose vma->anon_vma this is (I3); root rwsem W */
	struct anon_vma *parent; /* the parent VMA's anon_vma at fork; self for a root; fixed */
	/* AVCs of the VMAs that may map folios pointing here; root rwsem */
	struct anon_vma_rb_root rb_root;
	unsigned long id;        /* creation number, for reports and dot */
	struct anonvm *vm;       /* the machine: stats and the registry below */
	struct list_head vm_node; /* in vm->anon_vmas from allocation to free; vm->anon_vmas_lock */
	struct rcu_head rcu;
};

/* An edge between one VMA and one anon_vma of its ancestry (§1.2). */
struct anon_vma_chain {
	struct vm_area_struct *vma;   /* fixed */
	struct anon_vma *anon_vma;    /* fixed */
	/* on vma->anon_vma_chain; the VMA's mmap_lock W, or mmap_lock R + page_table_lock */
	struct list_head same_vma;
	struct anon_vma_rb_node rb;   /* in anon_vma->rb_root; root rwsem */
	unsigned long rb_subtree_last; /* interval_tree.c's augmentation; root rwsem */
};

enum vma_operation {
	VMA_OP_SPLIT,
	VMA_OP_MERGE_UNFAULTED,
	VMA_OP_REMAP,
	VMA_OP_FORK,
};

/* What an rmap walk calls for each VMA that may map the folio. */
struct rmap_walk_control {
	void *arg;
	/* false stops the walk */
	bool (*rmap_one)(struct folio *folio, struct vm_area_struct *vma, unsigned long address,
			 void *arg);
	/* true stops the walk */
	bool (*done)(struct folio *folio);
	bool try_lock;   /* do not sleep on the anon_vma lock (reclaim) */
	bool contended;  /* out: try_lock failed */
};

/* One reverse-map design (DESIGN.md layer 6). */
struct rmap_ops {
	const char *name;
	int (*prepare)(struct vm_area_struct *vma);
	int (*clone)(struct vm_area_struct *dst, struct vm_area_struct *src,
		     enum vma_operation op);
	int (*fork)(struct vm_area_struct *vma, struct vm_area_struct *pvma);
	void (*unlink)(struct vm_area_struct *vma);
	/* around a change of vm_start / vm_end / vm_pgoff (under the anon_vma write lock) */
	void (*pre_update)(struct vm_area_struct *vma);
	void (*post_update)(struct vm_area_struct *vma);
	int (*walk)(struct folio *folio, struct rmap_walk_control *rwc);
	/* a VMA whose chain has more than its own anon_vma (vma_had_uncowed_parents) */
	bool (*is_fork_child)(const struct vm_area_struct *vma);
};

extern const struct rmap_ops rmap_linux_ops;
const struct rmap_ops *rmap_design(enum anonvm_rmap_design design);

static inline const struct rmap_ops *vma_rmap(const struct vm_area_struct *vma)
{
	return vma->vm_mm->vm->rmap;
}

/* Give vma an anon_vma (§2.1). 0 or -ENOMEM. */
static inline int __must_check anon_vma_prepare(struct vm_area_struct *vma)
{
	if (vma_anon_vma_acquire(vma))
		return 0;
	return vma_rmap(vma)->prepare(vma);
}

/* §2.2. Preconditions there. 0 or -ENOMEM (then dst->anon_vma is NULL and nothing changed). */
static inline int __must_check
anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src, enum vma_operation op)
{
	return vma_rmap(src)->clone(dst, src, op);
}

/* §2.3 */
static inline int __must_check
anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	return vma_rmap(pvma)->fork(vma, pvma);
}

/* §2.4 */
static inline void unlink_anon_vmas(struct vm_area_struct *vma)
{
	vma_rmap(vma)->unlink(vma);
}

static inline bool vma_is_fork_child(const struct vm_area_struct *vma)
{
	return vma_rmap(vma)->is_fork_child(vma);
}

void anon_vma_lock_write(struct anon_vma *anon_vma);
void anon_vma_unlock_write(struct anon_vma *anon_vma);
void anon_vma_lock_read(struct anon_vma *anon_vma);
void anon_vma_unlock_read(struct anon_vma *anon_vma);

/* Reindex vma's AVCs around a change of its range or pgoff; anon_vma write lock held. */
static inline void anon_vma_interval_tree_pre_update_vma(struct vm_area_struct *vma)
{
	vma_rmap(vma)->pre_update(vma);
}

static inline void anon_vma_interval_tree_post_update_vma(struct vm_area_struct *vma)
{
	vma_rmap(vma)->post_update(vma);
}

/* A KSM folio: mapping = stable node | ANON | KSM (0x3). anonvm makes none yet. */
static inline bool folio_test_ksm(const struct folio *folio)
{
	return (folio->mapping & FOLIO_MAPPING_FLAGS) == FOLIO_MAPPING_KSM;
}

/*
 * The folio side of the reverse map (rmap.c, §1.4). PTE lock held by the caller; the
 * caller manages refcounts.
 * folio_add_new_anon_rmap: a new folio gets mapping = vma->anon_vma (exclusive) or its
 *	root (maybe shared), index = linear_page_index, mapcount 1, PG_anon_exclusive if
 *	exclusive.
 * folio_add_anon_rmap_pte: one more PTE maps it (its anon_vma is in vma's family).
 * folio_try_dup_anon_rmap_pte: fork: dst_vma's new PTE at address maps it too: it stops
 *	being AnonExclusive. -EBUSY (nothing changed) when it is AnonExclusive and may be
 *	pinned (folio_needs_cow_for_dma): the child must get a copy instead. The caller holds
 *	a reference for the new mapping.
 * folio_add_file_rmap_pte: one more PTE of vma maps a shmem folio (no reverse map: the
 *	mapcount only).
 * folio_remove_rmap_pte: one PTE less (anonymous or shmem); folio->mapping stays.
 * folio_move_anon_rmap: reuse in do_wp_page: mapping = vma->anon_vma (one store); the
 *	folio is locked (PG_locked).
 */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, bool exclusive);
void folio_add_anon_rmap_pte(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address);
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma, unsigned long address)
	__must_check;
void folio_add_file_rmap_pte(struct folio *folio, struct vm_area_struct *vma);
void folio_remove_rmap_pte(struct folio *folio, struct vm_area_struct *vma);
void folio_move_anon_rmap(struct folio *folio, struct vm_area_struct *vma);

/*
 * Walk every VMA that may map folio (folio locked); §3. 0 when walked (or nothing to walk:
 * the folio is not mapped); -EAGAIN when rwc->try_lock and the anon_vma lock was contended
 * (rwc->contended is set); -EOPNOTSUPP for a folio that is not anonymous (shmem folios are
 * not walked here).
 */
int rmap_walk(struct folio *folio, struct rmap_walk_control *rwc);

/*
 * folio_referenced (folio locked): walk the folio's mappings, test and clear each PTE's young
 * bit, and stop once every mapping (mapcount) was found or at a VM_LOCKED VMA. *vm_flags gets
 * the flags of every VMA where the folio was young, or VM_LOCKED when a locked VMA stopped
 * the walk. Returns the number of young PTEs, or -1 when the anon_vma lock was contended
 * (reclaim's try_lock). Counts rmap_ptes_probed and rmap_mappings_found.
 */
int folio_referenced(struct folio *folio, unsigned long *vm_flags);

/*
 * anon_vma references (§1.1): the holder of a reference may lock the anon_vma. The last
 * put frees it, then drops the root's reference (a root is freed after its family).
 */
static inline void get_anon_vma(struct anon_vma *anon_vma)
{
	atomic_fetch_add(&anon_vma->refcount, 1);
}

void put_anon_vma(struct anon_vma *anon_vma);

/*
 * §3: the folio's anon_vma with its root read-locked, or NULL (not anonymous, not mapped
 * any more, or rwc->try_lock and contended: then rwc->contended is set). Unlock with
 * anon_vma_unlock_read. Lockless: RCU + a re-check of folio_mapped (type-stable memory).
 */
struct anon_vma *folio_lock_anon_vma_read(struct folio *folio, struct rmap_walk_control *rwc);

/*
 * The anon_vma of a compatible neighbour of vma (next first, then prev) whose chain is
 * singular (not a fork child), or NULL (§2.1). mmap_lock held.
 */
struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma);

/*
 * Validation of the `linux` design (KERNEL-SEMANTICS.md §2.9). Each returns true when
 * everything holds, else false with one line per violation on out (if not NULL).
 * Callers: the machine quiescent (no operation in flight), e.g. between script steps.
 *
 * anon_vma_validate_vma: the chain of one VMA: anon_vma NULL iff chain empty; I2 (each
 * AVC of the list is in its anon_vma's tree); I5 (one root; vma->anon_vma in the chain);
 * no anon_vma twice; the chain is closed under ->parent (chain = ancestry).
 *
 * anon_vma_validate: anon_vma_validate_vma for every VMA of every mm of vm (vm->mms, the
 * maple trees), then every live anon_vma against those VMAs: tree valid, I2 (each AVC of a
 * tree is on its VMA's list and its VMA is live), I3 num_active_vmas, I4 num_children (+1
 * for a root: its self link), I7 refcount >= (tree not empty) + fork-created anon_vmas
 * beneath it (for a root); root and parent live; no dead root left without a family.
 */
bool anon_vma_validate_vma(struct vm_area_struct *vma, FILE *out);
bool anon_vma_validate(struct anonvm *vm, FILE *out);
/* Is anon_vma in vma's chain (an AVC links them)? mmap_lock held. */
bool anon_vma_chain_has(const struct vm_area_struct *vma, const struct anon_vma *anon_vma);

/*
 * Graphviz picture of the anon_vma hierarchy of vm: anon_vmas with their counters, parent
 * edges, AVC edges to VMAs (labelled with mm id and range; bold to the VMA's primary
 * anon_vma). Machine quiescent. 0 or -EIO.
 */
int rmap_dot(struct anonvm *vm, FILE *out) __must_check;

#endif
