/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * race.h: race windows, the points of the library where another thread's interleaving once
 * broke an invariant. A test of a debug build may hook them (race_set_hook) to run, from the
 * thread that reached the point, what the other CPU did there: it reproduces in a single run
 * a race that the stress test meets once in hours. The kernel has its fault-injection points
 * and KCSAN's delays for the same purpose; anonvm names its windows instead.
 *
 * A hook runs with the locks the point holds (each point says which) and must take none that
 * nest inside them; it may block, waiting for a thread that needs them, only with a timeout.
 * Release builds compile every point to nothing. Locks: none; the hook is an atomic pointer.
 */
#ifndef ANONVM_RACE_H
#define ANONVM_RACE_H

#include "debug.h"

enum race_point {
	/*
	 * isolate_lru_folios, lru_lock held, PG_lru of folio just cleared: a final folio_put
	 * that sees PG_lru clear frees the frame without lru_lock, and it may be reused.
	 */
	RACE_LRU_ISOLATE,
	/*
	 * __folio_alloc, no lock held, object the struct ram: every CPU's free list was just
	 * drained to free_list because this CPU's list and free_list were empty; another CPU's
	 * allocation may take the drained frames back onto its own list before this one looks.
	 */
	RACE_PCP_DRAIN,
	/*
	 * __remove_mapping, folio locked, its count frozen (object the folio): a fault on one of
	 * its swap PTEs looks the slot up in the swap cache before the folio leaves it.
	 */
	RACE_REMOVE_MAPPING,
	NR_RACE_POINTS,
};

typedef void (*race_hook_t)(enum race_point point, void *object);

#if ANONVM_DEBUG >= 1
void race_window(enum race_point point, void *object);
/* Install hook for every point (NULL: none); the hook installed before. */
race_hook_t race_set_hook(race_hook_t hook);
#else
static inline void race_window(enum race_point point, void *object)
{
	(void)point;
	(void)object;
}
#endif

#endif
