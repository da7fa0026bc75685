// SPDX-License-Identifier: GPL-2.0-only
/*
 * reclaim/lru.c: the LRU lists of swap-backed folios (anonymous, shmem, swap cache; kernel:
 * mm/swap.c, the list half of
 * mm/vmscan.c, include/linux/mm_inline.h), one pair per machine's memory.
 *
 *   new anonymous and shmem   -> inactive list, head (folio_add_lru); so are swap-cache
 *                                folios being read in, before their first mapping
 *   reclaim: aging            active tail -> inactive head (shrink_active_list)
 *            scanning         inactive tail, isolated for shrink_folio_list
 *   a folio reclaim keeps      -> back on the list PG_active names (folio_putback_lru)
 *   MADV_COLD                 -> inactive list, unreferenced (folio_deactivate)
 *   the final folio_put        off its list (lru_del_freed)
 *
 * Invariants (lru_lock): PG_lru <=> the folio is on one of the lists; PG_active (while on a
 * list) <=> that list is the active one; nr[l] == entries of lists[l]. The lists hold no
 * reference: a folio leaves them before its frame is freed, and isolation takes one.
 *
 * Locks: lruvec->lru_lock, a leaf: taken under page-table locks (the final put of a zap),
 * never with ram->lock or swap_info->lock held.
 */
#include "swap.h"

void lruvec_init(struct lruvec *lruvec)
{
	spin_lock_init(&lruvec->lru_lock);
	for (int l = 0; l < NR_LRU_LISTS; l++) {
		INIT_LIST_HEAD(&lruvec->lists[l]);
		lruvec->nr[l] = 0;
	}
}

static enum lru_list folio_lru_list(const struct folio *folio)
{
	return folio_test_flag(folio, PG_active) ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON;
}

/* lru_lock held */
static void lruvec_add_folio(struct lruvec *lruvec, struct folio *folio)
{
	enum lru_list l = folio_lru_list(folio);

	folio_set_flag(folio, PG_lru);
	list_add(&folio->lru, &lruvec->lists[l]);
	lruvec->nr[l]++;
}

/* lru_lock held */
static void lruvec_del_folio(struct lruvec *lruvec, struct folio *folio)
{
	list_del_init(&folio->lru);
	lruvec->nr[folio_lru_list(folio)]--;
	folio_clear_flag(folio, PG_lru);
}

void folio_add_lru(struct ram *ram, struct folio *folio)
{
	struct lruvec *lruvec = &ram->lruvec;

	VM_BUG_ON(folio_test_flag(folio, PG_lru) ||
		  (!folio->mapping && !folio_test_flag(folio, PG_swapcache)));
	spin_lock(&lruvec->lru_lock);
	folio_clear_flag(folio, PG_active);
	lruvec_add_folio(lruvec, folio);
	spin_unlock(&lruvec->lru_lock);
}

bool folio_isolate_lru(struct ram *ram, struct folio *folio)
{
	struct lruvec *lruvec = &ram->lruvec;
	bool isolated = false;

	spin_lock(&lruvec->lru_lock);
	/*
	 * On a list and not being freed: the final put of a folio takes it off its list under
	 * this lock, after its refcount reached 0, so a reference can be had only before that.
	 */
	if (folio_test_flag(folio, PG_lru) && folio_try_get(folio)) {
		lruvec_del_folio(lruvec, folio);
		isolated = true;
	}
	spin_unlock(&lruvec->lru_lock);
	return isolated;
}

void folio_putback_lru(struct ram *ram, struct folio *folio)
{
	struct lruvec *lruvec = &ram->lruvec;

	spin_lock(&lruvec->lru_lock);
	lruvec_add_folio(lruvec, folio);
	spin_unlock(&lruvec->lru_lock);
	folio_put(ram, folio);
}

void folio_deactivate(struct ram *ram, struct folio *folio)
{
	struct lruvec *lruvec = &ram->lruvec;

	spin_lock(&lruvec->lru_lock);
	if (folio_test_flag(folio, PG_lru)) {
		lruvec_del_folio(lruvec, folio);
		folio_clear_flag(folio, PG_active);
		folio_clear_flag(folio, PG_referenced);
		lruvec_add_folio(lruvec, folio);
	}
	spin_unlock(&lruvec->lru_lock);
}

void lru_del_freed(struct ram *ram, struct folio **folios, unsigned int nr)
{
	struct lruvec *lruvec = &ram->lruvec;

	spin_lock(&lruvec->lru_lock);
	for (unsigned int i = 0; i < nr; i++) {
		/*
		 * folio_put saw PG_lru before taking the lock. Nobody clears PG_lru without
		 * holding a reference (isolate_lru_folios and folio_isolate_lru take theirs first
		 * and pass over a folio whose count is 0), so it is still on its list: checked
		 * all the same, and a folio of the batch that was never on a list is skipped.
		 */
		if (folio_test_flag(folios[i], PG_lru))
			lruvec_del_folio(lruvec, folios[i]);
	}
	spin_unlock(&lruvec->lru_lock);
}
