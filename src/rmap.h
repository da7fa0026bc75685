/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The anonymous reverse map (docs/semantics.md §1-§3) as the rest of the model sees it: the
 * anon_vma and anon_vma_chain objects, the operations the VMA layer and the fault path call,
 * the folio side, and the rmap walk. Kernel counterpart: include/linux/rmap.h.
 *
 * Four designs sit behind one seam, struct rmap_ops, chosen per machine (vm->rmap):
 *
 *   linux       Linux 6.18: anon_vma_chain, the interval tree, anon_vma reuse at fork
 *   noreuse     linux without reuse at fork (3.7 - 3.18): hierarchies grow in fork chains
 *   nointerval  linux with a plain list instead of the interval tree (2.6.34 - 3.6): a walk
 *               visits every VMA chained to the anon_vma, whatever its range
 *   legacy      Linux 2.6.33: one anon_vma per fork family holding a list of every VMA of
 *               the family (vma->anon_vma_node); no chains
 *
 * The first three are one set of chain algorithms (rmap/avc.c) parametrised by a reuse
 * policy and an index (rmap/index.c: how an anon_vma finds its AVCs); legacy is its own
 * (rmap/legacy.c). What does not depend on the design — anon_vma lifetime and locks, the
 * folio side, finding a mergeable neighbour, locking a folio's anon_vma and walking — is
 * rmap/rmap.c; the validators and pictures of each design are rmap/validate.c and rmap/dot.c.
 *
 * The VMA layer knows no design: it calls the inline wrappers below, and asks
 * vma_is_fork_child() where Linux's merge rules do (legacy answers false, which turns 6.18's
 * rules into 2.6.33's `!a || !b || a == b`; see rmap/legacy.c).
 */
#ifndef ANONVM_RMAP_H
#define ANONVM_RMAP_H

#include <stdio.h>

#include "mm_types.h"
#include "pgtable.h"

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
 * Memory: freed through call_rcu (rmap.c), so an RCU reader that found it through
 * folio->mapping may still read it and take root->rwsem; it re-checks folio_mapped().
 *
 * legacy uses root = parent = self, refcount, rwsem and head (a list of VMAs); its counters
 * stay 0.
 */
struct anon_vma {
	struct anon_vma *root;   /* oldest anon_vma of the fork family; self for a root; fixed */
	struct rw_semaphore rwsem; /* only the root's is used */
	/*
	 * atomic: [something is linked here] + (a root: live anon_vmas beneath it) + temporary
	 * pins; at 0 it is freed, then the root loses the reference this one held on it.
	 */
	atomic_int refcount;
	/* anon_vmas with a non-empty index whose parent this is, +1 for a root (I4); root rwsem W */
	unsigned long num_children;
	unsigned long num_active_vmas; /* VMAs whose vma->anon_vma this is (I3); root rwsem W */
	struct anon_vma *parent; /* the parent VMA's anon_vma at fork; self for a root; fixed */
	/* What links here, by design; root rwsem. */
	union {
		struct anon_vma_rb_root rb_root; /* linux, noreuse: AVCs in the interval tree */
		/* nointerval: AVCs (same_anon_vma), oldest first; legacy: VMAs (anon_vma_node) */
		struct list_head head;
	};
	unsigned long id;        /* creation number, for reports and dot */
	struct anonvm *vm;       /* the machine: stats, the design and the registry below */
	struct list_head vm_node; /* in vm->anon_vmas from allocation to free; vm->anon_vmas_lock */
	struct rcu_head rcu;
};

/* An edge between one VMA and one anon_vma of its ancestry (§1.2). Chain designs only. */
struct anon_vma_chain {
	struct vm_area_struct *vma;   /* fixed */
	struct anon_vma *anon_vma;    /* fixed */
	/* on vma->anon_vma_chain; the VMA's mmap_lock W, or mmap_lock R + page_table_lock */
	struct list_head same_vma;
	/* in anon_vma's index; root rwsem */
	union {
		struct {
			struct anon_vma_rb_node rb;    /* the interval tree */
			unsigned long rb_subtree_last; /* interval_tree.c's augmentation */
		};
		struct list_head same_anon_vma; /* the list (nointerval) */
	};
};

enum vma_operation {
	VMA_OP_SPLIT,
	VMA_OP_MERGE_UNFAULTED,
	VMA_OP_REMAP,
	VMA_OP_FORK,
};

/*
 * What an rmap walk calls for each VMA that may map the folio, and what it cost. The walk
 * fills the counters of this walk alone: several walks may run at once.
 */
struct rmap_walk_control {
	void *arg;
	/* false stops the walk */
	bool (*rmap_one)(struct folio *folio, struct vm_area_struct *vma, unsigned long address,
			 void *arg);
	/* true stops the walk */
	bool (*done)(struct folio *folio);
	bool try_lock;   /* do not sleep on the anon_vma lock (reclaim) */
	bool account;    /* add the cost to the machine's counters (not the validator's walks) */
	/*
	 * the caller pinned the folio's anon_vma (folio_get_anon_vma) and holds the folio lock:
	 * lock it directly, even though the folio is not mapped (migration's second walk)
	 */
	bool anon_vma_pinned;
	bool contended;  /* out: try_lock failed */
	/*
	 * out: VMAs the walk looked at (what the design's index offered), and PTEs probed: the
	 * VMAs among them whose range holds the folio's page, each passed to rmap_one, which
	 * reads the one PTE that may map it there.
	 */
	unsigned long vmas_visited;
	unsigned long ptes_probed;
};

/*
 * How an anon_vma of a chain design finds the AVCs of the VMAs that may map its folios
 * (rmap/index.c). keyed: entries are ordered by their VMA's page range, so they must be
 * taken out around a change of vm_start / vm_end / vm_pgoff and put back after.
 * iter_first / iter_next: the AVCs whose range may overlap [first, last] (a list gives
 * every AVC), NULL at the end. Root rwsem: W to change, R to iterate.
 */
struct anon_vma_index_ops {
	const char *name;
	bool keyed;
	void (*init)(struct anon_vma *anon_vma);
	void (*insert)(struct anon_vma_chain *avc, struct anon_vma *anon_vma);
	void (*remove)(struct anon_vma_chain *avc, struct anon_vma *anon_vma);
	bool (*empty)(const struct anon_vma *anon_vma);
	struct anon_vma_chain *(*iter_first)(struct anon_vma *anon_vma, unsigned long first,
					     unsigned long last);
	struct anon_vma_chain *(*iter_next)(struct anon_vma_chain *avc, unsigned long first,
					    unsigned long last);
	/* debug: is avc in the index (O(log n) or O(n)); is the index well formed */
	bool (*contains)(const struct anon_vma *anon_vma, const struct anon_vma_chain *avc);
	bool (*validate)(const struct anon_vma *anon_vma, FILE *out);
};

extern const struct anon_vma_index_ops anon_vma_index_tree, anon_vma_index_list;

/* One reverse-map design (DESIGN layer 6; rmap/). */
struct rmap_ops {
	const char *name;
	enum anonvm_rmap_design design;
	/* chain designs: the index of each anon_vma, and whether fork may reuse an anon_vma */
	const struct anon_vma_index_ops *index;
	bool reuse;
	/*
	 * How walks lock the family (rmap.c, anon_vma_lock_read): false, the root rwsem for
	 * read, and reclaim's referenced check only tries it (6.18); true, exclusively and
	 * always waiting, as 2.6.33's anon_vma spinlock was taken (legacy).
	 */
	bool walk_lock_exclusive;

	/* §2.1 - §2.4; the preconditions are those of the inline wrappers below */
	int (*prepare)(struct vm_area_struct *vma);
	int (*clone)(struct vm_area_struct *dst, struct vm_area_struct *src,
		     enum vma_operation op);
	int (*fork)(struct vm_area_struct *vma, struct vm_area_struct *pvma);
	void (*unlink)(struct vm_area_struct *vma);
	/* around a change of vm_start / vm_end / vm_pgoff (under the anon_vma write lock) */
	void (*pre_update)(struct vm_area_struct *vma);
	void (*post_update)(struct vm_area_struct *vma);
	/* every VMA linked to anon_vma (locked for read by the caller) that may map folio,
	 * each through rmap_walk_vma until it says stop */
	void (*walk)(struct folio *folio, struct anon_vma *anon_vma, struct rmap_walk_control *rwc);
	/* a VMA whose pages may point to anon_vmas older than its own (vma_had_uncowed_parents) */
	bool (*is_fork_child)(const struct vm_area_struct *vma);
	/* does a walk from anon_vma's folios reach vma (I1)? mmap_lock of vma's mm */
	bool (*vma_reaches)(const struct vm_area_struct *vma, const struct anon_vma *anon_vma);
	/* a new anon_vma's empty index; is anything still linked to it (it dies when not)? */
	void (*anon_vma_init)(struct anon_vma *anon_vma);
	bool (*anon_vma_in_use)(const struct anon_vma *anon_vma);

	/*
	 * Debug (rmap/validate.c, rmap/dot.c): the design's invariants for one VMA (its mm's
	 * mmap_lock held; takes the anon_vma lock) and for the whole machine (quiescent);
	 * true when they hold, else false with one line per violation on out (if not NULL).
	 * dot: the design's objects as a Graphviz graph body.
	 */
	bool (*validate_vma)(struct vm_area_struct *vma, FILE *out);
	bool (*validate)(struct anonvm *vm, FILE *out);
	void (*dot)(struct anonvm *vm, FILE *out);
};

extern const struct rmap_ops rmap_linux_ops, rmap_noreuse_ops, rmap_nointerval_ops,
	rmap_legacy_ops;
/* The ops of a design, or NULL for an unknown value. */
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

/*
 * §2.2: dst, a new VMA (split, remap, fork) or an unfaulted one about to cover src's pages
 * (merge), joins every anon_vma a walk from src's folios reaches. Preconditions there.
 * 0 or -ENOMEM (then dst->anon_vma is NULL and nothing changed).
 */
static inline int __must_check anon_vma_clone(struct vm_area_struct *dst,
					      struct vm_area_struct *src, enum vma_operation op)
{
	return vma_rmap(src)->clone(dst, src, op);
}

/* §2.3: the child's copy vma of pvma gets its anon_vma (or none if pvma has none). */
static inline int __must_check anon_vma_fork(struct vm_area_struct *vma,
					     struct vm_area_struct *pvma)
{
	int ret = vma_rmap(pvma)->fork(vma, pvma);

	if (!ret && anonvm_debug_expensive(pvma->vm_mm->vm))
		VM_BUG_ON(!vma_rmap(pvma)->validate_vma(vma, stderr));
	return ret;
}

/* §2.4: vma leaves the reverse map (munmap, exit, removal by a merge). */
static inline void unlink_anon_vmas(struct vm_area_struct *vma)
{
	vma_rmap(vma)->unlink(vma);
}

static inline bool vma_is_fork_child(const struct vm_area_struct *vma)
{
	return vma_rmap(vma)->is_fork_child(vma);
}

/*
 * Does every walk visit a family's VMAs in vm_pgoff order (the interval tree), so that one of
 * higher pgoff is always visited after one of lower? A list visits them in the order they
 * joined it, whatever their pgoff.
 */
static inline bool rmap_walk_pgoff_ordered(const struct vm_area_struct *vma)
{
	const struct anon_vma_index_ops *index = vma_rmap(vma)->index;

	return index && index->keyed;
}

/*
 * The family's lock (the root rwsem). _read is what walks take: shared, or exclusive in a
 * design whose walks lock exclusively (rmap_ops.walk_lock_exclusive).
 */
void anon_vma_lock_write(struct anon_vma *anon_vma);
void anon_vma_unlock_write(struct anon_vma *anon_vma);
void anon_vma_lock_read(struct anon_vma *anon_vma);
void anon_vma_unlock_read(struct anon_vma *anon_vma);

/* Reindex vma around a change of its range or pgoff; anon_vma write lock held. */
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
				struct vm_area_struct *src_vma, unsigned long address) __must_check;
void folio_add_file_rmap_pte(struct folio *folio, struct vm_area_struct *vma);
void folio_remove_rmap_pte(struct folio *folio, struct vm_area_struct *vma);
void folio_move_anon_rmap(struct folio *folio, struct vm_area_struct *vma);

/*
 * Walk every VMA that may map folio (folio locked); §3. 0 when walked (or nothing to walk:
 * the folio is not mapped); -EAGAIN when rwc->try_lock and the anon_vma lock was contended
 * (rwc->contended is set); -EOPNOTSUPP for a folio that is not anonymous (shmem folios are
 * not walked here). The walk's cost is left in rwc, and added to the machine's counters (the
 * `stats` command) when rwc->account asks.
 */
int rmap_walk(struct folio *folio, struct rmap_walk_control *rwc);

/* What one folio_referenced walk cost. */
struct rmap_walk_cost {
	unsigned long vmas_visited; /* as in struct rmap_walk_control */
	unsigned long ptes_probed;
};

/*
 * folio_referenced (folio locked): walk the folio's mappings, test and clear each PTE's young
 * bit, and stop once every mapping (mapcount) was found or at a VM_LOCKED VMA. *vm_flags gets
 * the flags of every VMA where the folio was young, or VM_LOCKED when a locked VMA stopped
 * the walk; *cost (if not NULL) what the walk cost. Returns the number of young PTEs, or -1
 * when the anon_vma lock was contended (reclaim's try_lock).
 */
int folio_referenced(struct folio *folio, unsigned long *vm_flags, struct rmap_walk_cost *cost);

/*
 * page_vma_mapped_walk (rmap/page_vma_mapped.c; mm/page_vma_mapped.c): the PTE that maps
 * folio in vma at address, returned with its page-table lock held; every user of a walk
 * starts from it. The caller fills folio, vma, address and flags (PVMW_MIGRATION: look for
 * the folio's migration entries instead of present PTEs), then loops:
 *
 *	while (page_vma_mapped_walk(&pvmw)) { ... pvmw.pte, locked by pvmw.ptl ... }
 *
 * One folio is one page: the loop body runs at most once. Leaving it early (break or
 * return) needs page_vma_mapped_walk_done. No lock held on entry but the walk's anon_vma.
 */
#define PVMW_MIGRATION 0x1

struct page_vma_mapped_walk {
	struct folio *folio;
	struct vm_area_struct *vma;
	unsigned long address;
	unsigned int flags;
	pte_t *pte;      /* out: the PTE, while the walk holds ptl */
	spinlock_t *ptl;
};

bool page_vma_mapped_walk(struct page_vma_mapped_walk *pvmw);

static inline void page_vma_mapped_walk_done(struct page_vma_mapped_walk *pvmw)
{
	if (pvmw->pte)
		pte_unmap_unlock(pvmw->pte, pvmw->ptl);
	pvmw->pte = NULL;
}

/*
 * try_to_unmap (reclaim; folio locked, in the swap cache): every PTE mapping folio becomes
 * a swap PTE naming its slot (with the exclusive marker if the folio was AnonExclusive);
 * the mappings and their references go. It stops at a VM_LOCKED VMA, or at a mapping that
 * may be pinned. Afterwards folio_mapped() says whether it succeeded.
 */
void try_to_unmap(struct folio *folio);

/*
 * try_to_migrate (migration; folio locked, isolated): every PTE mapping folio becomes a
 * migration entry naming it (keeping write, young, dirty and AnonExclusive); the mappings
 * and their references go. remove_migration_ptes(src, dst) turns the migration entries of
 * src back into PTEs, of dst (src itself when the migration failed), found through dst's
 * reverse map.
 */
void try_to_migrate(struct folio *folio);
void remove_migration_ptes(struct folio *src, struct folio *dst);

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
/* The folio's anon_vma with a reference taken, if it is mapped (else NULL). RCU inside. */
struct anon_vma *folio_get_anon_vma(struct folio *folio);

/*
 * The anon_vma of a compatible neighbour of vma (next first, then prev) that is not a fork
 * child, or NULL (§2.1). mmap_lock held.
 */
struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma);

/* The design's whole-machine validation (quiescent machine); see struct rmap_ops. */
static inline bool rmap_validate(struct anonvm *vm, FILE *out)
{
	return vm->rmap->validate(vm, out);
}

/* Does a walk from anon_vma's folios reach vma (I1)? */
static inline bool vma_reaches_anon_vma(const struct vm_area_struct *vma,
					const struct anon_vma *anon_vma)
{
	return vma_rmap(vma)->vma_reaches(vma, anon_vma);
}

/*
 * Graphviz picture of the reverse map of vm in its design: processes (by name when they
 * have one) with their VMAs, anon_vmas with their counters, parent edges, and the design's
 * links (AVCs, or legacy's VMA list). Machine quiescent. 0 or -EIO.
 */
int rmap_dot(struct anonvm *vm, FILE *out) __must_check;

#endif
