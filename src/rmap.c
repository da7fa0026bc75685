// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap.c: the `linux` reverse-map design (KERNEL-SEMANTICS.md §1-§3): Linux 6.18's
 * anon_vma / anon_vma_chain with the interval tree and fork-time reuse, in the locking
 * shape of the 2026 cleanup (AVCs allocated before the root lock is taken, one root lock
 * per clone/unlink, the op enum and maybe_reuse_anon_vma). Also the folio side of the
 * reverse map, the rmap walk, the registry of live anon_vmas, validation and dot output.
 *
 * Owns: struct anon_vma, struct anon_vma_chain (rmap.h); vma->anon_vma and
 * vma->anon_vma_chain are written only here; folio->mapping/index/mapcount of anonymous
 * folios are written here on behalf of the fault path.
 *
 * Invariants (§2.9; anon_vma_validate_* check them):
 *	I2 avc on avc->vma->anon_vma_chain  <=>  avc in avc->anon_vma->rb_root
 *	I3 av->num_active_vmas = #{VMA v : v->anon_vma == av}
 *	I4 av->num_children    = #{anon_vma x with a non-empty tree : x->parent == av}
 *	   (a root is its own parent: +1 while its tree is not empty)
 *	I5 for every v: {x->root : x in chain(v)} = {v->anon_vma->root}, v->anon_vma in chain(v)
 *	I7 root->refcount >= [tree not empty] + #{live x != root : x->root == root}
 *	chain(v) is closed under ->parent: a VMA sits in the tree of every ancestor of its
 *	anon_vma (central property, §1.2), so a walk searches only the folio's anon_vma.
 *	Lifetime: av->refcount = [tree not empty] + (root: live descendants) + pins; an
 *	anon_vma dies when its tree empties (unlink_anon_vmas), not when num_active_vmas
 *	reaches 0; at refcount 0 it is freed, then the root loses a reference: the root of a
 *	family is freed last.
 *
 * Memory: anon_vmas are freed through call_rcu, so a lockless reader (RCU read side) that
 * found one through folio->mapping may still touch it, as SLAB_TYPESAFE_BY_RCU allows in the
 * kernel; such readers re-check folio_mapped() after locking. AVCs are freed at once: only
 * holders of the root rwsem (or the VMA's mmap_lock, for the list) see them.
 *
 * Locks: "lock anon_vma X" = X->root->rwsem (write: trees and counters; read: walks).
 * Order: mmap_lock > folio lock > VMA write lock > root rwsem > page_table_lock >
 * vm->anon_vmas_lock (the registry; a leaf lock).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "interval_tree.h"
#include "memory.h"
#include "rmap.h"

static inline struct anonvm *vma_machine(const struct vm_area_struct *vma)
{
	return vma->vm_mm->vm;
}

/* ---- anon_vma and anon_vma_chain objects -------------------------------------------- */

/* A new anon_vma: refcount 1 (a tree will link it), root = parent = itself, counters 0. */
static struct anon_vma *anon_vma_alloc(struct anonvm *vm)
{
	struct anon_vma *anon_vma = av_alloc(AV_OBJ_ANON_VMA, sizeof(*anon_vma));

	if (!anon_vma)
		return NULL;
	init_rwsem(&anon_vma->rwsem);
	atomic_init(&anon_vma->refcount, 1);
	anon_vma->root = anon_vma;
	anon_vma->parent = anon_vma;
	anon_vma->rb_root = RB_ROOT_INIT;
	anon_vma->vm = vm;
	/* ids count from 1 in allocation order */
	anon_vma->id = count_vm_event(vm, anon_vma_alloc) + 1;
	spin_lock(&vm->anon_vmas_lock);
	list_add_tail(&anon_vma->vm_node, &vm->anon_vmas);
	spin_unlock(&vm->anon_vmas_lock);
	return anon_vma;
}

static void anon_vma_free_rcu(struct rcu_head *head)
{
	struct anon_vma *anon_vma = caa_container_of(head, struct anon_vma, rcu);

	rcu_callback_begin();
	destroy_rwsem(&anon_vma->rwsem);
	av_free(AV_OBJ_ANON_VMA, anon_vma);
}

/* A root dies last: no other anon_vma of its family may be alive. */
static bool anon_vma_family_empty(struct anon_vma *root)
{
	struct anon_vma *av;
	bool empty = true;

	spin_lock(&root->vm->anon_vmas_lock);
	list_for_each_entry(av, &root->vm->anon_vmas, vm_node)
		if (av != root && av->root == root)
			empty = false;
	spin_unlock(&root->vm->anon_vmas_lock);
	return empty;
}

static void anon_vma_free(struct anon_vma *anon_vma)
{
	struct anonvm *vm = anon_vma->vm;

	VM_BUG_ON(atomic_load(&anon_vma->refcount) != 0);
	VM_BUG_ON(!anon_vma_interval_tree_empty(&anon_vma->rb_root));
	VM_BUG_ON_EXPENSIVE(anon_vma->root == anon_vma && !anon_vma_family_empty(anon_vma));
	/*
	 * Pairs with folio_lock_anon_vma_read, which read-locks the root through a possibly
	 * stale folio->mapping, then re-checks folio_mapped(). The folio was unmapped before
	 * our last reference went, and we test the lock after that: either we see the walker's
	 * lock and wait for it to leave, or it locked after our test and its re-check finds the
	 * folio unmapped, so it unlocks before its RCU read side (which delays the free) ends.
	 */
	if (rwsem_is_locked(&anon_vma->root->rwsem)) {
		anon_vma_lock_write(anon_vma);
		anon_vma_unlock_write(anon_vma);
	}
	spin_lock(&vm->anon_vmas_lock);
	list_del(&anon_vma->vm_node);
	spin_unlock(&vm->anon_vmas_lock);
	count_vm_event(vm, anon_vma_free);
	call_rcu(&anon_vma->rcu, anon_vma_free_rcu);
}

/* refcount reached 0: free it, then drop the reference it held on its root. */
static void __put_anon_vma(struct anon_vma *anon_vma)
{
	struct anon_vma *root = anon_vma->root;

	anon_vma_free(anon_vma);
	if (root != anon_vma && atomic_fetch_sub(&root->refcount, 1) == 1)
		anon_vma_free(root);
}

void put_anon_vma(struct anon_vma *anon_vma)
{
	if (atomic_fetch_sub(&anon_vma->refcount, 1) == 1)
		__put_anon_vma(anon_vma);
}

static bool atomic_inc_not_zero(atomic_int *v)
{
	int old = atomic_load(v);

	while (old) {
		if (atomic_compare_exchange_weak(v, &old, old + 1))
			return true;
	}
	return false;
}

static struct anon_vma_chain *anon_vma_chain_alloc(struct anonvm *vm)
{
	struct anon_vma_chain *avc = av_alloc(AV_OBJ_AVC, sizeof(*avc));

	if (avc)
		count_vm_event(vm, avc_alloc);
	return avc;
}

static void anon_vma_chain_free(struct anonvm *vm, struct anon_vma_chain *avc)
{
	count_vm_event(vm, avc_free);
	av_free(AV_OBJ_AVC, avc);
}

/* Put avc at the front of vma's chain, pointing at anon_vma; not yet in its tree. */
static void anon_vma_chain_assign(struct vm_area_struct *vma, struct anon_vma_chain *avc,
				  struct anon_vma *anon_vma)
{
	avc->vma = vma;
	avc->anon_vma = anon_vma;
	list_add(&avc->same_vma, &vma->anon_vma_chain);
}

/* ---- locks ---------------------------------------------------------------------------- */

void anon_vma_lock_write(struct anon_vma *anon_vma)
{
	down_write(&anon_vma->root->rwsem);
}

void anon_vma_unlock_write(struct anon_vma *anon_vma)
{
	up_write(&anon_vma->root->rwsem);
}

void anon_vma_lock_read(struct anon_vma *anon_vma)
{
	down_read(&anon_vma->root->rwsem);
}

void anon_vma_unlock_read(struct anon_vma *anon_vma)
{
	up_read(&anon_vma->root->rwsem);
}

/* ---- anon_vma_prepare (§2.1) ----------------------------------------------------------- */

/*
 * a lies just below b. Their anon_vma may be shared if b continues a: adjacent, same file
 * (and policy: anonvm has none), flags equal but for access bits and soft-dirty, and
 * b's pgoff where a's would put it.
 */
static bool anon_vma_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && a->vm_file == b->vm_file &&
	       !((a->vm_flags ^ b->vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) &&
	       b->vm_pgoff == a->vm_pgoff + ((b->vm_start - a->vm_start) >> PAGE_SHIFT);
}

/*
 * old (a or b) may lend its anon_vma if compatible and not a fork child. A singular chain
 * means old's anon_vma is a root and one AVC is the whole ancestry a VMA using it needs; a
 * fork child's folios may point to older anon_vmas of its chain, which a VMA linked only to
 * the child's anon_vma would miss once the two merged (a 2.6.34 UAF fix). old->anon_vma may
 * be set concurrently by a fault in old (prepare under mmap_lock read): read once; a stale
 * answer only costs a missed reuse.
 */
static struct anon_vma *reusable_anon_vma(struct vm_area_struct *old, struct vm_area_struct *a,
					  struct vm_area_struct *b)
{
	struct anon_vma *anon_vma;

	if (!anon_vma_compatible(a, b))
		return NULL;
	anon_vma = __atomic_load_n(&old->anon_vma, __ATOMIC_ACQUIRE);
	if (anon_vma && list_is_singular(&old->anon_vma_chain))
		return anon_vma;
	return NULL;
}

struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma)
{
	struct maple_tree *mt = &vma->vm_mm->mm_mt;
	struct vm_area_struct *next, *prev;
	struct anon_vma *anon_vma;

	/* the next VMA first: only an adjacent one can be compatible */
	next = mtree_load(mt, vma->vm_end);
	if (next) {
		anon_vma = reusable_anon_vma(next, vma, next);
		if (anon_vma)
			return anon_vma;
	}
	if (!vma->vm_start)
		return NULL;
	prev = mtree_load(mt, vma->vm_start - 1);
	if (prev)
		return reusable_anon_vma(prev, prev, vma);
	return NULL;
}

/* The slow path of anon_vma_prepare: vma->anon_vma was NULL. mmap_lock R or W. */
static int __anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anonvm *vm = mm->vm;
	struct anon_vma *anon_vma, *allocated = NULL;
	struct anon_vma_chain *avc;

	mmap_assert_locked(mm);
	avc = anon_vma_chain_alloc(vm);
	if (!avc)
		return -ENOMEM;
	anon_vma = find_mergeable_anon_vma(vma);
	if (!anon_vma) {
		anon_vma = anon_vma_alloc(vm);
		if (!anon_vma)
			goto out_free_avc;
		anon_vma->num_children++; /* a new root's self link */
		allocated = anon_vma;
	}

	anon_vma_lock_write(anon_vma);
	/* page_table_lock: another thread may be faulting in the same VMA */
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		__atomic_store_n(&vma->anon_vma, anon_vma, __ATOMIC_RELEASE);
		anon_vma_chain_assign(vma, avc, anon_vma);
		anon_vma_interval_tree_insert(avc, &anon_vma->rb_root);
		anon_vma->num_active_vmas++;
		allocated = NULL;
		avc = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	anon_vma_unlock_write(anon_vma);

	/* another thread won: drop what we made */
	if (allocated)
		put_anon_vma(allocated);
	if (avc)
		anon_vma_chain_free(vm, avc);
	return 0;

out_free_avc:
	anon_vma_chain_free(vm, avc);
	return -ENOMEM;
}

/* ---- anon_vma_clone (§2.2) ------------------------------------------------------------- */

static void check_anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src,
				 enum vma_operation op)
{
	mmap_assert_write_locked(src->vm_mm);
	VM_BUG_ON(op != VMA_OP_FORK && dst->vm_mm != src->vm_mm);
	VM_BUG_ON(!list_empty(&dst->anon_vma_chain));
	if (!src->anon_vma) {
		VM_BUG_ON(!list_empty(&src->anon_vma_chain));
		VM_BUG_ON(dst->anon_vma);
		return;
	}
	if (op == VMA_OP_FORK)
		VM_BUG_ON(dst->anon_vma);
	else
		VM_BUG_ON(dst->anon_vma != src->anon_vma);
	/* only a non-fork-child lends its anon_vma to an unfaulted neighbour */
	VM_BUG_ON(op == VMA_OP_MERGE_UNFAULTED && !list_is_singular(&src->anon_vma_chain));
}

/*
 * Fork: the child VMA may take over an anon_vma of its ancestry instead of getting its own,
 * if no VMA uses it as primary any more and it has at most one child: it then stands for a
 * process that exited between two forks, and the hierarchy stays within about twice the
 * number of VMAs (7a3ef208e662). Counting the two apart is the CVE-2022-42703 fix. A root
 * never qualifies while its tree is not empty: its self link and any child make two.
 * Root rwsem W.
 */
static void maybe_reuse_anon_vma(struct vm_area_struct *dst, struct anon_vma *anon_vma)
{
	if (dst->anon_vma)
		return;
	if (anon_vma->num_active_vmas > 0 || anon_vma->num_children > 1)
		return;
	dst->anon_vma = anon_vma;
	anon_vma->num_active_vmas++;
	count_vm_event(anon_vma->vm, anon_vma_reuse);
}

/* Undo the allocation step of anon_vma_clone: the AVCs are in no tree yet. */
static void cleanup_partial_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		list_del(&avc->same_vma);
		anon_vma_chain_free(vma_machine(vma), avc);
	}
	vma->anon_vma = NULL;
}

static int anon_vma_clone_linux(struct vm_area_struct *dst, struct vm_area_struct *src,
				enum vma_operation op)
{
	struct anon_vma *active = src->anon_vma;
	struct anon_vma_chain *avc, *pavc;

	check_anon_vma_clone(dst, src, op);
	if (!active)
		return 0;

	/*
	 * Allocate without the anon_vma lock: nothing a walker sees changes yet. dst is
	 * under src's mmap_lock W (split, merge, remap) or not yet visible (fork).
	 * src's list is walked back to front and each new AVC goes to the front, so dst's
	 * list is in src's order: newest anon_vma first, the root last.
	 */
	list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma) {
		avc = anon_vma_chain_alloc(vma_machine(src));
		if (!avc)
			goto out_enomem;
		anon_vma_chain_assign(dst, avc, pavc->anon_vma);
	}

	/*
	 * Point of no return. One lock: every anon_vma of the chain has the same root.
	 * Oldest first, so a fork reuses the oldest eligible anon_vma, as Linux does.
	 */
	anon_vma_lock_write(active);
	list_for_each_entry_reverse(avc, &dst->anon_vma_chain, same_vma) {
		anon_vma_interval_tree_insert(avc, &avc->anon_vma->rb_root);
		if (op == VMA_OP_FORK)
			maybe_reuse_anon_vma(dst, avc->anon_vma);
	}
	if (op != VMA_OP_FORK)
		dst->anon_vma->num_active_vmas++;
	anon_vma_unlock_write(active);
	return 0;

out_enomem:
	cleanup_partial_anon_vmas(dst);
	return -ENOMEM;
}

/* ---- anon_vma_fork (§2.3) -------------------------------------------------------------- */

static int anon_vma_fork_linux(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anonvm *vm = vma_machine(pvma);
	struct anon_vma *anon_vma;
	struct anon_vma_chain *avc;
	int ret;

	/* unfaulted in the parent: the child VMA starts unfaulted too */
	if (!pvma->anon_vma)
		return 0;

	/* the inherited pointer goes: reuse or a new anon_vma replaces it */
	vma->anon_vma = NULL;
	anon_vma = anon_vma_alloc(vm);
	if (!anon_vma)
		return -ENOMEM;
	avc = anon_vma_chain_alloc(vm);
	if (!avc) {
		ret = -ENOMEM;
		goto out_put;
	}

	/* join every anon_vma of the parent VMA, so walks from its folios find the child */
	ret = anon_vma_clone_linux(vma, pvma, VMA_OP_FORK);
	if (ret || vma->anon_vma)
		goto out_free_avc; /* failed, or reused an ancestor: ours is not needed */

	/* Not yet linked anywhere: its fields may be set without the lock. */
	anon_vma->num_active_vmas = 1;
	anon_vma->root = pvma->anon_vma->root;
	anon_vma->parent = pvma->anon_vma;
	/* the lock lives in the root: pin it for as long as this anon_vma lives */
	get_anon_vma(anon_vma->root);
	vma->anon_vma = anon_vma;
	anon_vma_chain_assign(vma, avc, anon_vma);
	anon_vma_lock_write(anon_vma);
	anon_vma_interval_tree_insert(avc, &anon_vma->rb_root);
	anon_vma->parent->num_children++;
	anon_vma_unlock_write(anon_vma);
	if (anonvm_debug_expensive(vm)) {
		anon_vma_lock_read(anon_vma);
		VM_BUG_ON(!anon_vma_validate_vma(vma, stderr));
		anon_vma_unlock_read(anon_vma);
	}
	return 0;

out_free_avc:
	anon_vma_chain_free(vm, avc);
out_put:
	put_anon_vma(anon_vma);
	return ret;
}

/* ---- unlink_anon_vmas (§2.4) ----------------------------------------------------------- */

static void unlink_anon_vmas_linux(struct vm_area_struct *vma)
{
	struct anon_vma *active = vma->anon_vma;
	struct anonvm *vm = vma_machine(vma);
	struct anon_vma_chain *avc, *next;

	mmap_assert_locked(vma->vm_mm);
	if (!active) {
		VM_BUG_ON(!list_empty(&vma->anon_vma_chain));
		return;
	}

	anon_vma_lock_write(active);
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		anon_vma_interval_tree_remove(avc, &anon_vma->rb_root);
		if (anon_vma_interval_tree_empty(&anon_vma->rb_root)) {
			/*
			 * It dies: no VMA can map its folios any more. Keep the AVC to put the
			 * anon_vma after the unlock (freeing may take the root lock).
			 */
			anon_vma->parent->num_children--;
			continue;
		}
		list_del(&avc->same_vma);
		anon_vma_chain_free(vm, avc);
	}
	active->num_active_vmas--;
	vma->anon_vma = NULL;
	anon_vma_unlock_write(active);

	/* Only the AVCs of emptied trees are left. A root goes last: descendants pin it. */
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		VM_BUG_ON(anon_vma->num_children != 0);
		VM_BUG_ON(anon_vma->num_active_vmas != 0);
		put_anon_vma(anon_vma);
		list_del(&avc->same_vma);
		anon_vma_chain_free(vm, avc);
	}
}

/* ---- range changes, fork children ------------------------------------------------------ */

/* Apply op (insert or remove) to each AVC of vma and its anon_vma's tree. Root rwsem W. */
static void anon_vma_chain_trees(struct vm_area_struct *vma,
				 void (*op)(struct anon_vma_chain *, struct anon_vma_rb_root *))
{
	struct anon_vma_chain *avc;

	if (vma->anon_vma)
		lockdep_assert_held_write(&vma->anon_vma->root->rwsem);
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		op(avc, &avc->anon_vma->rb_root);
}

/* vma's range or pgoff is about to change: take its AVCs out of their trees. */
static void anon_vma_pre_update_linux(struct vm_area_struct *vma)
{
	anon_vma_chain_trees(vma, anon_vma_interval_tree_remove);
}

/* ... and put them back under the new key. */
static void anon_vma_post_update_linux(struct vm_area_struct *vma)
{
	anon_vma_chain_trees(vma, anon_vma_interval_tree_insert);
}

static bool is_fork_child_linux(const struct vm_area_struct *vma)
{
	return vma->anon_vma && !list_is_singular(&vma->anon_vma_chain);
}

/* ---- the folio side (§1.4) ------------------------------------------------------------- */

static void folio_set_mapping(struct folio *folio, struct anon_vma *anon_vma)
{
	/* one store: lockless readers see the old or the new anon_vma, never a mix */
	__atomic_store_n(&folio->mapping, (uintptr_t)anon_vma | FOLIO_MAPPING_ANON,
			 __ATOMIC_RELEASE);
}

void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, bool exclusive)
{
	struct anon_vma *anon_vma = vma->anon_vma;

	VM_BUG_ON(!anon_vma);
	VM_BUG_ON(address < vma->vm_start || address >= vma->vm_end || !PAGE_ALIGNED(address));
	VM_BUG_ON(folio_mapped(folio));
	/* a folio that may be shared points to the oldest anon_vma that can reach it all */
	folio_set_mapping(folio, exclusive ? anon_vma : anon_vma->root);
	folio->index = linear_page_index(vma, address);
	atomic_store(&folio->mapcount, 1);
	if (exclusive)
		folio_set_flag(folio, PG_anon_exclusive);
}

void folio_add_anon_rmap_pte(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address)
{
	VM_BUG_ON(!folio_test_anon(folio) || !vma->anon_vma);
	/* the folio belongs to vma's family at this offset (I1) */
	VM_BUG_ON(folio_anon_vma(folio)->root != vma->anon_vma->root);
	VM_BUG_ON(folio->index != linear_page_index(vma, address));
	atomic_fetch_add(&folio->mapcount, 1);
}

int folio_try_dup_anon_rmap_pte(struct folio *folio, struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma, unsigned long address)
{
	if (folio_test_flag(folio, PG_anon_exclusive)) {
		if (folio_needs_cow_for_dma(src_vma, folio))
			return -EBUSY;
		folio_clear_flag(folio, PG_anon_exclusive);
	}
	folio_add_anon_rmap_pte(folio, dst_vma, address);
	return 0;
}

void folio_add_file_rmap_pte(struct folio *folio, struct vm_area_struct *vma)
{
	VM_BUG_ON(folio_test_anon(folio) || !vma->vm_file);
	atomic_fetch_add(&folio->mapcount, 1);
}

void folio_remove_rmap_pte(struct folio *folio, struct vm_area_struct *vma)
{
	int old = atomic_fetch_sub(&folio->mapcount, 1);

	VM_BUG_ON(old <= 0);
}

void folio_move_anon_rmap(struct folio *folio, struct vm_area_struct *vma)
{
	VM_BUG_ON(!folio_test_flag(folio, PG_locked));
	VM_BUG_ON(!vma->anon_vma || !folio_test_anon(folio));
	folio_set_mapping(folio, vma->anon_vma);
}

/* ---- the rmap walk (§3) ---------------------------------------------------------------- */

struct anon_vma *folio_lock_anon_vma_read(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct anon_vma *anon_vma = NULL, *root;
	uintptr_t mapping;

	rcu_read_lock();
	mapping = __atomic_load_n(&folio->mapping, __ATOMIC_ACQUIRE);
	if ((mapping & FOLIO_MAPPING_FLAGS) != FOLIO_MAPPING_ANON)
		goto out;
	/* not mapped: the anon_vma may be gone (its memory lives until the grace period) */
	if (!folio_mapped(folio))
		goto out;

	anon_vma = (struct anon_vma *)(mapping - FOLIO_MAPPING_ANON);
	root = __atomic_load_n(&anon_vma->root, __ATOMIC_RELAXED);
	if (down_read_trylock(&root->rwsem)) {
		/* still mapped: still its anon_vma, and the lock keeps it (anon_vma_free) */
		if (!folio_mapped(folio)) {
			up_read(&root->rwsem);
			anon_vma = NULL;
		}
		goto out;
	}
	if (rwc && rwc->try_lock) {
		anon_vma = NULL;
		rwc->contended = true;
		goto out;
	}

	/* sleep on the lock: pin the anon_vma first (it pins its root) */
	if (!atomic_inc_not_zero(&anon_vma->refcount)) {
		anon_vma = NULL;
		goto out;
	}
	if (!folio_mapped(folio)) {
		rcu_read_unlock();
		put_anon_vma(anon_vma);
		return NULL;
	}
	rcu_read_unlock();
	anon_vma_lock_read(anon_vma);
	if (atomic_fetch_sub(&anon_vma->refcount, 1) == 1) {
		/* ours was the last reference: put_anon_vma would take the lock we hold */
		anon_vma_unlock_read(anon_vma);
		__put_anon_vma(anon_vma);
		anon_vma = NULL;
	}
	return anon_vma;

out:
	rcu_read_unlock();
	return anon_vma;
}

static int rmap_walk_anon(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct anon_vma *anon_vma;
	struct anon_vma_chain *avc;
	unsigned long pgoff;

	rwc->contended = false;
	anon_vma = folio_lock_anon_vma_read(folio, rwc);
	if (!anon_vma)
		return rwc->contended ? -EAGAIN : 0;
	count_vm_event(anon_vma->vm, rmap_walks);

	/* one page per folio: [first, last] = [index, index] */
	pgoff = folio->index;
	anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, pgoff, pgoff) {
		struct vm_area_struct *vma = avc->vma;
		unsigned long address = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);

		VM_BUG_ON(address < vma->vm_start || address >= vma->vm_end);
		count_vm_event(anon_vma->vm, rmap_vmas_visited);
		if (!rwc->rmap_one(folio, vma, address, rwc->arg))
			break;
		if (rwc->done && rwc->done(folio))
			break;
	}
	anon_vma_unlock_read(anon_vma);
	return 0;
}

struct referenced_arg {
	int mapcount;           /* mappings not yet found */
	unsigned int referenced;
	unsigned long vm_flags; /* of the VMAs with a young PTE; VM_LOCKED: a locked VMA stopped it */
};

/* folio_referenced_one: one VMA that may map the folio at address. */
static bool folio_referenced_one(struct folio *folio, struct vm_area_struct *vma,
				 unsigned long address, void *arg)
{
	struct referenced_arg *ra = arg;
	struct anonvm *vm = vma->vm_mm->vm;
	unsigned long vm_flags = vma_flags_racy(vma); /* no mmap_lock here */
	int young;

	count_vm_event(vm, rmap_ptes_probed);
	young = folio_pte_clear_young(folio, vma, address, !(vm_flags & VM_LOCKED));
	if (young < 0)
		return true;
	count_vm_event(vm, rmap_mappings_found);
	if (vm_flags & VM_LOCKED) {
		ra->vm_flags |= VM_LOCKED;
		return false; /* an mlocked folio is not reclaimed: stop */
	}
	if (young) {
		ra->referenced++;
		ra->vm_flags |= vm_flags & ~VM_LOCKED;
	}
	return --ra->mapcount > 0; /* every mapping found: stop */
}

int folio_referenced(struct folio *folio, unsigned long *vm_flags)
{
	struct referenced_arg ra = { .mapcount = atomic_load(&folio->mapcount) };
	struct rmap_walk_control rwc = {
		.arg = &ra,
		.rmap_one = folio_referenced_one,
		.try_lock = true,
	};

	*vm_flags = 0;
	if (!ra.mapcount)
		return 0;
	rmap_walk(folio, &rwc);
	*vm_flags = ra.vm_flags;
	return rwc.contended ? -1 : (int)ra.referenced;
}

int rmap_walk(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct anonvm *vm = NULL;
	uintptr_t mapping;

	/* find the machine (and so the design) through the anon_vma, as a lockless reader */
	rcu_read_lock();
	mapping = __atomic_load_n(&folio->mapping, __ATOMIC_ACQUIRE);
	if ((mapping & FOLIO_MAPPING_FLAGS) == FOLIO_MAPPING_ANON && folio_mapped(folio))
		vm = ((struct anon_vma *)(mapping - FOLIO_MAPPING_ANON))->vm;
	rcu_read_unlock();
	if (!vm)
		return mapping && !(mapping & FOLIO_MAPPING_ANON) ? -EOPNOTSUPP : 0;
	return vm->rmap->walk(folio, rwc);
}

/* ---- the design ------------------------------------------------------------------------ */

const struct rmap_ops rmap_linux_ops = {
	.name = "linux",
	.prepare = __anon_vma_prepare,
	.clone = anon_vma_clone_linux,
	.fork = anon_vma_fork_linux,
	.unlink = unlink_anon_vmas_linux,
	.pre_update = anon_vma_pre_update_linux,
	.post_update = anon_vma_post_update_linux,
	.walk = rmap_walk_anon,
	.is_fork_child = is_fork_child_linux,
};

const struct rmap_ops *rmap_design(enum anonvm_rmap_design design)
{
	switch (design) {
	case ANONVM_RMAP_LINUX:
		return &rmap_linux_ops;
	default:
		return NULL; /* noreuse, nointerval, legacy: a later issue */
	}
}

/* ---- validation ------------------------------------------------------------------------ */

static bool __printf(2, 3) report(FILE *out, const char *fmt, ...)
{
	va_list ap;

	if (out) {
		fputs("anon_vma: ", out);
		va_start(ap, fmt);
		vfprintf(out, fmt, ap);
		va_end(ap);
		fputc('\n', out);
	}
	return false;
}

#define VMA_FMT "mm %lu vma %lx-%lx"
#define VMA_ARGS(v) (v)->vm_mm->id, (v)->vm_start, (v)->vm_end

bool anon_vma_chain_has(const struct vm_area_struct *vma, const struct anon_vma *anon_vma)
{
	const struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		if (avc->anon_vma == anon_vma)
			return true;
	return false;
}

bool anon_vma_validate_vma(struct vm_area_struct *vma, FILE *out)
{
	struct anon_vma *active = vma->anon_vma;
	struct anon_vma_chain *avc, *other;
	bool ok = true;

	if (!active) {
		if (!list_empty(&vma->anon_vma_chain))
			ok = report(out, VMA_FMT ": no anon_vma but a chain", VMA_ARGS(vma));
		return ok;
	}
	if (!anon_vma_chain_has(vma, active))
		ok = report(out, VMA_FMT ": anon_vma %lu not in its chain (I5)", VMA_ARGS(vma),
			    active->id);
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		if (avc->vma != vma)
			ok = report(out, VMA_FMT ": avc of another VMA on the chain",
				    VMA_ARGS(vma));
		if (anon_vma->root != active->root)
			ok = report(out, VMA_FMT ": anon_vma %lu has root %lu, expected %lu (I5)",
				    VMA_ARGS(vma), anon_vma->id, anon_vma->root->id,
				    active->root->id);
		if (!anon_vma_interval_tree_contains(&anon_vma->rb_root, avc))
			ok = report(out, VMA_FMT ": avc not in the tree of anon_vma %lu (I2)",
				    VMA_ARGS(vma), anon_vma->id);
		if (anon_vma != anon_vma->root && !anon_vma_chain_has(vma, anon_vma->parent))
			ok = report(out, VMA_FMT ": anon_vma %lu in the chain, its parent not",
				    VMA_ARGS(vma), anon_vma->id);
		/* each pair once: avc against the entries after it */
		list_for_each_entry_reverse(other, &vma->anon_vma_chain, same_vma) {
			if (other == avc)
				break;
			if (other->anon_vma == anon_vma)
				ok = report(out, VMA_FMT ": anon_vma %lu twice in the chain",
					    VMA_ARGS(vma), anon_vma->id);
		}
	}
	return ok;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* Index of p in the sorted array v[n], or -1. */
static long find_ptr(void *const *v, size_t n, const void *p)
{
	void *const *hit = bsearch(&p, v, n, sizeof(*v), cmp_ptr);

	return hit ? hit - v : -1;
}

/* What the live VMAs and anon_vmas say each anon_vma's counters should be. */
struct av_expect {
	unsigned long active;   /* VMAs using it as primary */
	unsigned long children; /* anon_vmas with a non-empty tree whose parent it is */
	unsigned long family;   /* a root: live anon_vmas beneath it */
};

/*
 * The checks that need no expectations: the tree, and each AVC in it (I2 from the tree
 * side). Fills the expectations of root and parent.
 */
static bool validate_anon_vma_tree(struct anon_vma *anon_vma, struct anon_vma **avs, size_t nr,
				   struct av_expect *expect, struct vm_area_struct **vmas,
				   size_t nr_vmas, FILE *out)
{
	struct anon_vma_chain *avc;
	long root, parent;
	bool ok = true;

	if (!anon_vma_interval_tree_validate(&anon_vma->rb_root, out, NULL))
		ok = report(out, "anon_vma %lu: interval tree broken", anon_vma->id);
	anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, 0, ~0UL) {
		if (avc->anon_vma != anon_vma)
			ok = report(out, "anon_vma %lu: avc of anon_vma %lu in its tree",
				    anon_vma->id, avc->anon_vma->id);
		if (find_ptr((void *const *)vmas, nr_vmas, avc->vma) < 0) {
			ok = report(out, "anon_vma %lu: avc of a VMA that is not live (%p)",
				    anon_vma->id, (void *)avc->vma);
			continue;
		}
		if (!anon_vma_chain_has(avc->vma, anon_vma))
			ok = report(out, "anon_vma %lu: " VMA_FMT " in its tree, not in its chain"
				    " (I2)", anon_vma->id, VMA_ARGS(avc->vma));
	}

	root = find_ptr((void *const *)avs, nr, anon_vma->root);
	if (root < 0)
		return report(out, "anon_vma %lu: root not live", anon_vma->id);
	if (avs[root]->root != avs[root])
		ok = report(out, "anon_vma %lu: root %lu is not a root", anon_vma->id,
			    avs[root]->id);
	if (anon_vma->root != anon_vma)
		expect[root].family++;
	if (anon_vma_interval_tree_empty(&anon_vma->rb_root))
		return ok; /* dead, kept by references: its parent may be gone */
	parent = find_ptr((void *const *)avs, nr, anon_vma->parent);
	if (parent < 0)
		return report(out, "anon_vma %lu: parent not live", anon_vma->id);
	if (avs[parent]->root != anon_vma->root)
		ok = report(out, "anon_vma %lu: parent %lu in another family", anon_vma->id,
			    avs[parent]->id);
	expect[parent].children++;
	return ok;
}

/* Every live anon_vma of vm against the live VMAs vmas_in[nr_vmas] (anon_vma_validate). */
static bool anon_vma_validate_counters(struct anonvm *vm, struct vm_area_struct *const *vmas_in,
				       size_t nr_vmas, FILE *out)
{
	struct anon_vma **avs = NULL, *anon_vma;
	struct vm_area_struct **vmas = NULL;
	struct av_expect *expect = NULL;
	size_t nr = 0, i;
	bool ok = true;

	/* scratch memory of the validator, not a model object: not through av_alloc */
	spin_lock(&vm->anon_vmas_lock);
	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node)
		nr++;
	avs = malloc((nr + 1) * sizeof(*avs));
	expect = calloc(nr + 1, sizeof(*expect));
	vmas = malloc((nr_vmas + 1) * sizeof(*vmas));
	if (!avs || !expect || !vmas) {
		spin_unlock(&vm->anon_vmas_lock);
		ok = report(out, "validator out of memory");
		goto out;
	}
	i = 0;
	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node)
		avs[i++] = anon_vma;
	spin_unlock(&vm->anon_vmas_lock);
	qsort(avs, nr, sizeof(*avs), cmp_ptr);
	for (i = 0; i < nr_vmas; i++)
		vmas[i] = vmas_in[i];
	qsort(vmas, nr_vmas, sizeof(*vmas), cmp_ptr);

	for (i = 0; i < nr_vmas; i++) {
		long k;

		if (!vmas[i]->anon_vma)
			continue;
		k = find_ptr((void *const *)avs, nr, vmas[i]->anon_vma);
		if (k < 0)
			ok = report(out, VMA_FMT ": anon_vma not live", VMA_ARGS(vmas[i]));
		else
			expect[k].active++;
	}
	for (i = 0; i < nr; i++)
		if (!validate_anon_vma_tree(avs[i], avs, nr, expect, vmas, nr_vmas, out))
			ok = false;

	for (i = 0; i < nr; i++) {
		bool linked = !anon_vma_interval_tree_empty(&avs[i]->rb_root);
		unsigned long min_ref = linked + expect[i].family;

		anon_vma = avs[i];
		if (anon_vma->num_active_vmas != expect[i].active)
			ok = report(out, "anon_vma %lu: num_active_vmas %lu, expected %lu (I3)",
				    anon_vma->id, anon_vma->num_active_vmas, expect[i].active);
		if (anon_vma->num_children != expect[i].children)
			ok = report(out, "anon_vma %lu: num_children %lu, expected %lu (I4)",
				    anon_vma->id, anon_vma->num_children, expect[i].children);
		if (atomic_load(&anon_vma->refcount) <= 0 ||
		    (unsigned long)atomic_load(&anon_vma->refcount) < min_ref)
			ok = report(out, "anon_vma %lu: refcount %d, expected at least %lu (I7)",
				    anon_vma->id, atomic_load(&anon_vma->refcount), min_ref);
		if (!min_ref && anon_vma == anon_vma->root)
			ok = report(out, "anon_vma %lu: a dead root without a family is live",
				    anon_vma->id);
	}
out:
	free(vmas);
	free(expect);
	free(avs);
	return ok;
}

bool anon_vma_validate(struct anonvm *vm, FILE *out)
{
	struct vm_area_struct **vmas = NULL, **bigger, *vma;
	size_t nr = 0, cap = 0;
	struct mm_struct *mm;
	unsigned long index;
	bool ok = true;

	spin_lock(&vm->mms_lock);
	list_for_each_entry(mm, &vm->mms, mmlist) {
		mt_for_each(&mm->mm_mt, vma, index, ~0UL) {
			if (nr == cap) {
				cap = cap ? 2 * cap : 64;
				bigger = realloc(vmas, cap * sizeof(*vmas));
				if (!bigger) {
					spin_unlock(&vm->mms_lock);
					free(vmas);
					return report(out, "validator out of memory");
				}
				vmas = bigger;
			}
			vmas[nr++] = vma;
			if (!anon_vma_validate_vma(vma, out))
				ok = false;
		}
	}
	spin_unlock(&vm->mms_lock);
	if (!anon_vma_validate_counters(vm, vmas, nr, out))
		ok = false;
	free(vmas);
	return ok;
}

/* ---- dot -------------------------------------------------------------------------------- */

int rmap_dot(struct anonvm *vm, FILE *out)
{
	struct anon_vma *anon_vma;
	struct anon_vma_chain *avc;

	/* roots on top, VMAs at the bottom: parent edges are drawn from the parent side */
	fputs("digraph anon_vma {\n"
	      "\tnode [fontname=\"monospace\", fontsize=10];\n",
	      out);
	spin_lock(&vm->anon_vmas_lock);
	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node) {
		bool root = anon_vma->root == anon_vma;

		fprintf(out,
			"\tav%lu [shape=box%s, label=\"anon_vma %lu%s\\nrefcount %d\\n"
			"children %lu active %lu\"];\n",
			anon_vma->id, root ? ", style=bold" : "", anon_vma->id,
			root ? " (root)" : "", atomic_load(&anon_vma->refcount),
			anon_vma->num_children, anon_vma->num_active_vmas);
		if (!root)
			fprintf(out,
				"\tav%lu -> av%lu [dir=back, style=dashed, label=\"parent\"];\n",
				anon_vma->parent->id, anon_vma->id);
		anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, 0, ~0UL) {
			struct vm_area_struct *vma = avc->vma;
			bool primary = vma->anon_vma == anon_vma;

			/* each VMA once, where its primary anon_vma lists it */
			if (primary)
				fprintf(out,
					"\t\"vma_%lu_%lx\" [shape=ellipse, label=\"mm %lu\\n"
					"%012lx-%012lx\\npgoff %lx\"];\n",
					vma->vm_mm->id, vma->vm_start, vma->vm_mm->id,
					vma->vm_start, vma->vm_end, vma->vm_pgoff);
			fprintf(out, "\tav%lu -> \"vma_%lu_%lx\" [label=\"avc\"%s];\n",
				anon_vma->id, vma->vm_mm->id, vma->vm_start,
				primary ? ", style=bold" : "");
		}
	}
	spin_unlock(&vm->anon_vmas_lock);
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
