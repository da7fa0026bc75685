// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap/rmap.c: the part of the anonymous reverse map that is the same in every design
 * (kernel counterpart: the design-independent half of mm/rmap.c):
 *   - the anon_vma object: allocation, references, RCU-delayed free, the machine's registry;
 *   - "lock anon_vma X" = X->root->rwsem;
 *   - find_mergeable_anon_vma (§2.1), which asks the design whether a neighbour is a fork
 *     child;
 *   - the folio side (§1.4): folio->mapping / index / mapcount of anonymous folios;
 *   - the walk (§3): folio_lock_anon_vma_read, rmap_walk (the design enumerates the VMAs),
 *     and its users, each built on page_vma_mapped_walk: folio_referenced (aging),
 *     try_to_unmap (reclaim), try_to_migrate and remove_migration_ptes (migration);
 *   - the table of designs.
 *
 * Invariants (every design):
 *	an anon_vma is freed when its refcount reaches 0, and then drops the reference it held
 *	on its root (if it is not a root itself): a root outlives its family;
 *	folio->mapping of a mapped anonymous folio names a live anon_vma whose family (root)
 *	is that of every VMA mapping the folio, and folio->index == linear_page_index there;
 *	a walk visits only VMAs linked to the folio's anon_vma, and passes rmap_one exactly
 *	those whose range holds the page.
 *
 * Memory: anon_vmas are freed through call_rcu, so a lockless reader (RCU read side) that
 * found one through folio->mapping may still touch it, as SLAB_TYPESAFE_BY_RCU allows in the
 * kernel; such readers re-check folio_mapped() after locking.
 *
 * Locks: mmap_lock > folio lock > VMA write lock > root rwsem > page_table_lock > PTE lock >
 * vm->anon_vmas_lock (the registry; a leaf lock). Walks hold the root rwsem for read, or for
 * write in a design whose ops say walk_lock_exclusive (legacy).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>

#include "alloc.h"
#include "atomic.h"
#include "internal.h"
#include "memory.h"
#include "reclaim/swap.h"

/* ---- the anon_vma object ---------------------------------------------------------------- */

struct anon_vma *anon_vma_alloc(struct anonvm *vm)
{
	struct anon_vma *anon_vma = av_alloc(AV_OBJ_ANON_VMA, sizeof(*anon_vma));

	if (!anon_vma)
		return NULL;
	init_rwsem(&anon_vma->rwsem);
	/* only a root's is taken; its waits count as the machine's root-lock waits */
	anon_vma->rwsem.wait_stat = &vm->stats.lock_wait[LOCK_WAIT_ANON_VMA];
	atomic_init(&anon_vma->refcount, 1);
	anon_vma->root = anon_vma;
	anon_vma->parent = anon_vma;
	anon_vma->vm = vm;
	vm->rmap->anon_vma_init(anon_vma);
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
	VM_BUG_ON(vm->rmap->anon_vma_in_use(anon_vma));
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

void __put_anon_vma(struct anon_vma *anon_vma)
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

/* ---- locks ---------------------------------------------------------------------------- */

void anon_vma_lock_write(struct anon_vma *anon_vma)
{
	down_write(&anon_vma->root->rwsem);
}

void anon_vma_unlock_write(struct anon_vma *anon_vma)
{
	up_write(&anon_vma->root->rwsem);
}

/*
 * The walks' lock: the root rwsem for read, so that walks share it (6.18), or, in a design
 * whose walks lock exclusively (legacy: 2.6.33's anon_vma->lock was a spinlock, and
 * page_lock_anon_vma took it as every other user did), for write: then walks exclude each
 * other as well as fork, exit and every change of the family. The design is the machine's,
 * fixed: a holder unlocks in the mode it locked in.
 */
static inline bool anon_vma_walk_exclusive(const struct anon_vma *root)
{
	return root->vm->rmap->walk_lock_exclusive;
}

void anon_vma_lock_read(struct anon_vma *anon_vma)
{
	struct anon_vma *root = anon_vma->root;

	if (anon_vma_walk_exclusive(root))
		down_write(&root->rwsem);
	else
		down_read(&root->rwsem);
}

static bool anon_vma_trylock_read(struct anon_vma *root)
{
	if (anon_vma_walk_exclusive(root))
		return down_write_trylock(&root->rwsem);
	return down_read_trylock(&root->rwsem);
}

void anon_vma_unlock_read(struct anon_vma *anon_vma)
{
	struct anon_vma *root = anon_vma->root;

	if (anon_vma_walk_exclusive(root))
		up_write(&root->rwsem);
	else
		up_read(&root->rwsem);
}

/* ---- find_mergeable_anon_vma (§2.1) ----------------------------------------------------- */

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
 * old (a or b) may lend its anon_vma if compatible and not a fork child. In the chain
 * designs a fork child's folios may point to older anon_vmas of its chain, which a VMA
 * linked only to the child's anon_vma would miss once the two merged (a 2.6.34 UAF fix);
 * legacy has no such VMA. old->anon_vma may be set concurrently by a fault in old (prepare
 * under mmap_lock read): read once; a stale answer only costs a missed reuse.
 */
static struct anon_vma *reusable_anon_vma(struct vm_area_struct *old, struct vm_area_struct *a,
					  struct vm_area_struct *b)
{
	struct anon_vma *anon_vma;

	if (!anon_vma_compatible(a, b))
		return NULL;
	anon_vma = vma_anon_vma_acquire(old);
	if (anon_vma && !vma_is_fork_child(old))
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

/*
 * Under rcu_read_lock: a reference on the folio's anon_vma, read from its mapping, if the
 * anon_vma is still live and the folio still mapped (else the memory may be another
 * anon_vma's by now: type-stable). Leaves the RCU read side either way.
 */
static struct anon_vma *anon_vma_get_rcu(struct folio *folio, struct anon_vma *anon_vma)
{
	if (!atomic_inc_not_zero(&anon_vma->refcount)) {
		rcu_read_unlock();
		return NULL;
	}
	rcu_read_unlock();
	if (!folio_mapped(folio)) {
		put_anon_vma(anon_vma);
		return NULL;
	}
	return anon_vma;
}

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
	if (anon_vma_trylock_read(root)) {
		/* still mapped: still its anon_vma, and the lock keeps it (anon_vma_free) */
		if (!folio_mapped(folio)) {
			anon_vma_unlock_read(root); /* a root is its own root */
			anon_vma = NULL;
		}
		goto out;
	}
	/* reclaim does not wait (6.18); 2.6.33's page_lock_anon_vma always spun */
	if (rwc && rwc->try_lock && !anon_vma_walk_exclusive(root)) {
		anon_vma = NULL;
		rwc->contended = true;
		goto out;
	}

	/* sleep on the lock: pin the anon_vma first (it pins its root) */
	anon_vma = anon_vma_get_rcu(folio, anon_vma);
	if (!anon_vma)
		return NULL;
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

bool rmap_walk_vma(struct folio *folio, struct vm_area_struct *vma, struct rmap_walk_control *rwc)
{
	unsigned long pgoff = folio->index, address;

	rwc->vmas_visited++;
	/* vma_address(): where the page would be in vma, if its range holds it */
	if (pgoff < vma->vm_pgoff || pgoff - vma->vm_pgoff >= vma_pages(vma))
		return true;
	address = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
	rwc->ptes_probed++;
	if (!rwc->rmap_one(folio, vma, address, rwc->arg))
		return false;
	return !(rwc->done && rwc->done(folio));
}

int rmap_walk(struct folio *folio, struct rmap_walk_control *rwc)
{
	uintptr_t mapping = __atomic_load_n(&folio->mapping, __ATOMIC_ACQUIRE);
	struct anon_vma *anon_vma;
	struct anonvm *vm;

	rwc->contended = false;
	rwc->vmas_visited = rwc->ptes_probed = 0;
	if (mapping && !(mapping & FOLIO_MAPPING_ANON))
		return -EOPNOTSUPP;
	if (rwc->anon_vma_pinned) {
		/* the caller holds a reference (folio_get_anon_vma) and the folio lock */
		anon_vma = folio_anon_vma(folio);
		anon_vma_lock_read(anon_vma);
	} else {
		anon_vma = folio_lock_anon_vma_read(folio, rwc);
	}
	if (!anon_vma)
		return rwc->contended ? -EAGAIN : 0;
	/* the folio is mapped and its anon_vma locked: the machine and its design are known */
	vm = anon_vma->vm;
	vm->rmap->walk(folio, anon_vma, rwc);
	anon_vma_unlock_read(anon_vma);
	if (rwc->account) {
		count_vm_event(vm, rmap_walks);
		count_vm_events(vm, rmap_vmas_visited, rwc->vmas_visited);
		count_vm_events(vm, rmap_ptes_probed, rwc->ptes_probed);
	}
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
	struct page_vma_mapped_walk pvmw = { .folio = folio, .vma = vma, .address = address };
	struct referenced_arg *ra = arg;
	unsigned long vm_flags = vma_flags_racy(vma); /* no mmap_lock here */

	while (page_vma_mapped_walk(&pvmw)) {
		count_vm_event(vma->vm_mm->vm, rmap_mappings_found);
		if (vm_flags & VM_LOCKED) {
			page_vma_mapped_walk_done(&pvmw);
			ra->vm_flags |= VM_LOCKED;
			return false; /* an mlocked folio is not reclaimed: stop */
		}
		if (ptep_test_and_clear_young(vma->vm_mm, address, pvmw.pte)) {
			ra->referenced++;
			ra->vm_flags |= vm_flags;
		}
		ra->mapcount--;
	}
	return ra->mapcount > 0; /* every mapping found: stop */
}

int folio_referenced(struct folio *folio, unsigned long *vm_flags, struct rmap_walk_cost *cost)
{
	struct referenced_arg ra = { .mapcount = atomic_load(&folio->mapcount) };
	struct rmap_walk_control rwc = {
		.arg = &ra,
		.rmap_one = folio_referenced_one,
		.try_lock = true,
		.account = true,
	};

	*vm_flags = 0;
	if (ra.mapcount)
		rmap_walk(folio, &rwc);
	if (cost) {
		cost->vmas_visited = rwc.vmas_visited;
		cost->ptes_probed = rwc.ptes_probed;
	}
	*vm_flags = ra.vm_flags;
	return rwc.contended ? -1 : (int)ra.referenced;
}

static bool folio_not_mapped(struct folio *folio)
{
	return !folio_mapped(folio);
}

/*
 * A mapping of an AnonExclusive folio that may be pinned (GUP) cannot be shared with a
 * swap or migration entry: folio_try_share_anon_rmap_pte fails, the walk gives up.
 */
static bool folio_exclusive_maybe_pinned(const struct folio *folio)
{
	return folio_test_flag(folio, PG_anon_exclusive) && folio_maybe_dma_pinned(folio);
}

/*
 * try_to_unmap_one / try_to_migrate_one: the folio's PTE in vma is replaced by an entry
 * that names the folio's new home, and the mapping and its reference go. Reclaim
 * (migrate false): a swap PTE naming the folio's slot, with the exclusive marker if the
 * folio was AnonExclusive; the slot gains a reference, the rss moves from anon to swap. A
 * VM_LOCKED VMA stops it. Migration (migrate true): a migration entry keeping write, young,
 * dirty and exclusivity; it holds no reference, and the rss keeps counting it, as the
 * kernel's does. Either way a mapping of an AnonExclusive folio that may be pinned stops it.
 */
static bool try_to_unmap_one(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address, void *arg)
{
	struct page_vma_mapped_walk pvmw = { .folio = folio, .vma = vma, .address = address };
	struct mm_struct *mm = vma->vm_mm;
	bool migrate = *(bool *)arg;

	while (page_vma_mapped_walk(&pvmw)) {
		bool exclusive = folio_test_flag(folio, PG_anon_exclusive);
		pte_t pteval, entry;

		if ((!migrate && (vma_flags_racy(vma) & VM_LOCKED)) ||
		    folio_exclusive_maybe_pinned(folio)) {
			page_vma_mapped_walk_done(&pvmw);
			return false;
		}
		pteval = ptep_get_and_clear(mm, address, pvmw.pte);
		if (pte_dirty(pteval))
			folio_set_flag(folio, PG_dirty);
		if (migrate) {
			entry = make_migration_pte(folio_pfn(mm->vm->ram, folio), pteval, exclusive);
		} else {
			swap_duplicate(mm->vm, folio_swap_entry(folio));
			add_mm_counter(mm, mm_counter(folio), -1);
			add_mm_counter(mm, MM_SWAPENTS, 1);
			entry = swp_entry_to_pte(folio_swap_entry(folio), exclusive);
		}
		/* the entry remembers what PageAnonExclusive said (folio_try_share_anon_rmap_pte) */
		if (exclusive)
			folio_clear_flag(folio, PG_anon_exclusive);
		set_pte_at(mm, address, pvmw.pte, entry);
		folio_remove_rmap_pte(folio, vma);
		folio_put(mm->vm->ram, folio);
	}
	return true;
}

/* Every mapping of the locked folio, through the reverse map, until none is left. */
static void __try_to_unmap(struct folio *folio, bool migrate)
{
	struct rmap_walk_control rwc = {
		.arg = &migrate,
		.rmap_one = try_to_unmap_one,
		.done = folio_not_mapped,
		.account = true,
	};

	VM_BUG_ON(!folio_test_flag(folio, PG_locked));
	rmap_walk(folio, &rwc);
}

void try_to_unmap(struct folio *folio)
{
	VM_BUG_ON(!folio_test_flag(folio, PG_swapcache));
	__try_to_unmap(folio, false);
}

void try_to_migrate(struct folio *folio)
{
	__try_to_unmap(folio, true);
}

/* remove_migration_pte: src's migration entry in vma becomes a PTE of dst (arg: src). */
static bool remove_migration_pte(struct folio *dst, struct vm_area_struct *vma,
				 unsigned long address, void *arg)
{
	struct folio *src = arg;
	struct page_vma_mapped_walk pvmw = {
		.folio = src, .vma = vma, .address = address, .flags = PVMW_MIGRATION,
	};
	struct mm_struct *mm = vma->vm_mm;

	while (page_vma_mapped_walk(&pvmw)) {
		pte_t old = *pvmw.pte;
		swp_entry_t entry = pte_to_swp_entry(old);
		pte_t pte = pfn_pte(folio_pfn(mm->vm->ram, dst), is_writable_migration_entry(entry));

		if (!pte_migration_young(old))
			pte = pte_mkold(pte);
		if (pte_migration_dirty(old))
			pte = pte_mkdirty(pte);
		folio_get(dst);
		folio_add_anon_rmap_pte(dst, vma, address);
		if (is_exclusive_migration_entry(entry))
			folio_set_flag(dst, PG_anon_exclusive);
		set_pte_at(mm, address, pvmw.pte, pte);
	}
	return true;
}

void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	struct rmap_walk_control rwc = {
		.arg = src,
		.rmap_one = remove_migration_pte,
		.anon_vma_pinned = true,
	};

	rmap_walk(dst, &rwc);
}

struct anon_vma *folio_get_anon_vma(struct folio *folio)
{
	uintptr_t mapping;

	rcu_read_lock();
	mapping = __atomic_load_n(&folio->mapping, __ATOMIC_ACQUIRE);
	if ((mapping & FOLIO_MAPPING_FLAGS) != FOLIO_MAPPING_ANON || !folio_mapped(folio)) {
		rcu_read_unlock();
		return NULL;
	}
	return anon_vma_get_rcu(folio, (struct anon_vma *)(mapping - FOLIO_MAPPING_ANON));
}

/* ---- the designs ------------------------------------------------------------------------ */

const struct rmap_ops *rmap_design(enum anonvm_rmap_design design)
{
	switch (design) {
	case ANONVM_RMAP_LINUX:
		return &rmap_linux_ops;
	case ANONVM_RMAP_NOREUSE:
		return &rmap_noreuse_ops;
	case ANONVM_RMAP_NOINTERVAL:
		return &rmap_nointerval_ops;
	case ANONVM_RMAP_LEGACY:
		return &rmap_legacy_ops;
	case ANONVM_RMAP_NR:
		break;
	}
	return NULL;
}

bool rmap_report(FILE *out, const char *fmt, ...)
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
