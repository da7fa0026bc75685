// SPDX-License-Identifier: GPL-2.0-only
/*
 * reclaim/swap_state.c: the swap cache (kernel: mm/swap_state.c): the folios of swap slots,
 * found by swap entry. A folio enters it when reclaim gives it a slot (folio_alloc_swap) or
 * when a fault reads a slot back (swapin_folio), and leaves it when no swap PTE names the
 * slot any more and its lock is held (folio_free_swap, reclaim's __remove_mapping), or when
 * migration replaces it.
 *
 * Invariants (si->lock): cache[s] == folio <=> folio has PG_swapcache and private ==
 * swp_entry(0, s) <=> swap_map[s] has SWAP_HAS_CACHE; the cache holds one reference.
 * A folio is added to or removed from the cache only while it is locked (PG_locked), so a
 * locked swap-cache folio stays one.
 *
 * Locks: folio lock > si->lock (swapfile.c).
 */
#include <errno.h>
#include <sched.h>

#include "swap.h"

struct folio *swap_cache_get_folio(struct anonvm *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = vm->swap;
	unsigned long s = swp_offset(entry);
	struct folio *folio = NULL;

	spin_lock(&si->lock);
	if (s < si->max && si->cache[s] && folio_try_get(si->cache[s]))
		folio = si->cache[s];
	spin_unlock(&si->lock);
	return folio;
}

/*
 * __read_swap_cache_async's swapcache_prepare: claim entry's slot for new (SWAP_HAS_CACHE).
 * 0; -EEXIST when another folio is (or is being put) in the cache; -ENOENT when no swap PTE
 * names the slot any more (the caller's PTE changed).
 */
static int add_to_swap_cache(struct swap_info_struct *si, struct folio *new, swp_entry_t entry)
{
	unsigned long s = swp_offset(entry);
	int ret = 0;

	spin_lock(&si->lock);
	if (!(si->swap_map[s] & SWAP_MAP_MAX)) {
		ret = -ENOENT;
	} else if (si->swap_map[s] & SWAP_HAS_CACHE) {
		ret = -EEXIST;
	} else {
		si->swap_map[s] |= SWAP_HAS_CACHE;
		folio_get(new);
		new->private = entry.val;
		folio_set_flag(new, PG_swapcache);
		si->cache[s] = new;
		si->nr_cache++;
	}
	spin_unlock(&si->lock);
	return ret;
}

struct folio *swapin_folio(struct anonvm *vm, swp_entry_t entry, int *err)
{
	struct folio *folio, *new;
	int ret;

	for (;;) {
		folio = swap_cache_get_folio(vm, entry);
		if (folio) {
			folio_lock(folio);
			/* still the slot's folio (it may have left the cache before we locked it) */
			if (folio_test_flag(folio, PG_swapcache) &&
			    folio->private == entry.val)
				return folio;
			folio_unlock(folio);
			folio_put(vm->ram, folio);
			continue;
		}
		new = folio_alloc(vm->ram); /* may reclaim: no lock held */
		if (!new) {
			*err = -ENOMEM;
			return NULL;
		}
		folio_trylock(new); /* not visible yet: it succeeds */
		ret = add_to_swap_cache(vm->swap, new, entry);
		if (!ret)
			break;
		folio_unlock(new);
		folio_put(vm->ram, new);
		if (ret == -ENOENT) {
			*err = -EAGAIN;
			return NULL;
		}
		sched_yield(); /* another fault is reading the slot in: find its folio */
	}
	ret = swap_read_folio(vm, new, entry);
	if (ret) {
		delete_from_swap_cache(vm, new);
		folio_unlock(new);
		folio_put(vm->ram, new);
		*err = ret;
		return NULL;
	}
	/* on the LRU now, as __read_swap_cache_async does; anonymous from its first mapping on */
	folio_add_lru(vm->ram, new);
	return new;
}

void __delete_from_swap_cache(struct anonvm *vm, struct folio *folio)
{
	struct swap_info_struct *si = vm->swap;
	unsigned long s = swp_offset(folio_swap_entry(folio));

	VM_BUG_ON(!folio_test_flag(folio, PG_locked) || !folio_test_flag(folio, PG_swapcache));
	spin_lock(&si->lock);
	VM_BUG_ON(si->cache[s] != folio);
	si->cache[s] = NULL;
	si->nr_cache--;
	folio_clear_flag(folio, PG_swapcache);
	folio->private = 0;
	swap_map_clear_cache(si, s);
	spin_unlock(&si->lock);
}

void delete_from_swap_cache(struct anonvm *vm, struct folio *folio)
{
	__delete_from_swap_cache(vm, folio);
	folio_put(vm->ram, folio); /* the cache's reference */
}

void swap_cache_replace_folio(struct anonvm *vm, struct folio *old, struct folio *new)
{
	struct swap_info_struct *si = vm->swap;
	unsigned long s = swp_offset(folio_swap_entry(old));

	spin_lock(&si->lock);
	VM_BUG_ON(si->cache[s] != old);
	folio_get(new);
	new->private = old->private;
	folio_set_flag(new, PG_swapcache);
	si->cache[s] = new;
	folio_clear_flag(old, PG_swapcache);
	old->private = 0;
	spin_unlock(&si->lock);
}
