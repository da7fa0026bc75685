/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMA tree: a range B-tree in the maple tree's spirit.
 *
 * The tree maps every index of [0, ULONG_MAX] to an entry; ranges are inclusive
 * [first, last]; an index with no entry maps to NULL (a gap). Nodes have 16 slots and 15
 * pivots; internal nodes track the largest gap below each slot so that an unmapped-area
 * search is O(log n).
 *
 * Two API levels, as in the kernel: the simple mtree_* calls, and the cursor (struct
 * ma_state, mas_*) for walks and for stores whose allocation is done first
 * (mas_preallocate, then mas_store_prealloc cannot fail).
 *
 * Concurrency: one writer at a time (the caller serialises, e.g. with mmap_lock held for
 * write); any number of readers under rcu_read_lock() (liburcu) at the same time. A node a
 * reader may hold is never freed at once: replaced nodes are freed through call_rcu.
 * Readers: mtree_load, mt_find, mas_walk, mas_find, mas_next, mas_prev, mas_find_rev.
 *
 * Calling contexts (added by maple.c's author):
 *  - mtree_load and mt_find take rcu_read_lock() themselves; the mas_* readers need the
 *    caller to hold rcu_read_lock() or the writer's lock, for as long as the ma_state is used
 *    (mas_pause() before dropping it).
 *  - Everything else is the writer's, including mas_empty_area* (it reads gap metadata the
 *    writer updates in place). The writing thread must be registered with liburcu
 *    (rcu_register_thread), as call_rcu requires; tests call rcu_barrier() before counting
 *    AV_OBJ_MAPLE_NODE.
 *  - A writer must not keep a mas_* position across a store made through another ma_state or
 *    mtree_*: re-set it (mas_set) first.
 */
#ifndef ANONVM_MAPLE_H
#define ANONVM_MAPLE_H

#include <stdbool.h>
#include <stdio.h>

#include "debug.h"

struct maple_node;

struct maple_tree {
	struct maple_node *ma_root; /* RCU-published; NULL for an empty tree */
	unsigned int ma_height;
	/* owned by the implementation: spare nodes from mas_preallocate */
	struct maple_node *ma_spare;
	unsigned int ma_nr_spare;
};

#define MAPLE_NODE_SLOTS 16

struct ma_state {
	struct maple_tree *tree;
	unsigned long index; /* first index of the range operated on / found */
	unsigned long last;  /* last index (inclusive) */
	/* implementation state: the path to the current node */
	struct maple_node *node;
	unsigned char offset;
	unsigned char status;
	unsigned long min, max; /* range covered by node */
};

#define MA_STATE(name, mt, first, end)                                                          \
	struct ma_state name = { .tree = (mt), .index = (first), .last = (end), .node = NULL,  \
				 .offset = 0, .status = 0, .min = 0, .max = 0 }

void mt_init(struct maple_tree *mt);
/* Frees every node (through call_rcu); entries are not touched. */
void mt_destroy(struct maple_tree *mt);
bool mtree_empty(const struct maple_tree *mt);

/* The entry at index, or NULL. */
void *mtree_load(struct maple_tree *mt, unsigned long index);
/* Store entry over [first, last] (NULL erases). 0, -EINVAL (first > last), -ENOMEM. */
int mtree_store_range(struct maple_tree *mt, unsigned long first, unsigned long last,
		      void *entry) __must_check;
/*
 * Erase the entry containing index; returns it. An erase may allocate: when it cannot, it
 * returns NULL and the tree is unchanged (use mas_preallocate + mas_store_prealloc(NULL) where
 * that matters).
 */
void *mtree_erase(struct maple_tree *mt, unsigned long index);
/*
 * The first entry whose range intersects [*index, max]; *index is set to one past the
 * end of that entry's range (for iteration), or left alone when none is found.
 */
void *mt_find(struct maple_tree *mt, unsigned long *index, unsigned long max);

/*
 * O(n) structural duplicate: dst (initialised, empty) gets the same ranges with the same
 * entries. The caller then replaces entries in place (mas_store over the same range does not
 * allocate) or erases them. 0 or -ENOMEM (dst is left empty); -EINVAL when dst is not empty.
 */
int mt_dup(struct maple_tree *src, struct maple_tree *dst) __must_check;

/* Cursor API. */
static inline void mas_set_range(struct ma_state *mas, unsigned long first, unsigned long last)
{
	mas->index = first;
	mas->last = last;
	mas->node = NULL;
	mas->status = 0;
}

static inline void mas_set(struct ma_state *mas, unsigned long index)
{
	mas_set_range(mas, index, index);
}

/*
 * Forget the position (after dropping locks); the next call re-walks from mas->index.
 * Iteration resumes where it stood: mas_find/mas_next continue after mas->last, mas_prev
 * before mas->index. After a successful store the cursor is in that same paused state, at
 * the range stored. When a search finds nothing it returns NULL and [index, last] is the
 * range searched; a search the other way from there starts at that range's far end (so
 * mas_prev after a failed mas_find returns the last entry before where mas_find looked).
 */
void mas_pause(struct ma_state *mas);
/* The entry at mas->index; mas->index/last become its range (or the gap's range). */
void *mas_walk(struct ma_state *mas);
/* The first entry at or after mas->index up to max (the current entry on the first call). */
void *mas_find(struct ma_state *mas, unsigned long max);
/* The next entry after the current position, up to max; NULL when none. */
void *mas_next(struct ma_state *mas, unsigned long max);
/* The previous entry before the current position, down to min; NULL when none. */
void *mas_prev(struct ma_state *mas, unsigned long min);
/* The first entry at or before mas->index, down to min. */
void *mas_find_rev(struct ma_state *mas, unsigned long min);

/*
 * Store entry over [mas->index, mas->last]. 0 or -ENOMEM (tree unchanged); -EINVAL when
 * index > last. Replacing the entry of an existing range with another over exactly that range
 * writes one pointer and never allocates; when the cursor stands on that entry (a walk or a
 * search found it, and the range was not set since), it does so without walking, and the
 * cursor stays where it is.
 */
int mas_store_gfp(struct ma_state *mas, void *entry) __must_check;
/* Reserve the nodes a store over [mas->index, mas->last] can need. 0 or -ENOMEM. */
int mas_preallocate(struct ma_state *mas, void *entry) __must_check;
/* Store with the reservation of mas_preallocate: cannot fail. Releases what was not used. */
void mas_store_prealloc(struct ma_state *mas, void *entry);
/* Release what mas_preallocate reserved and was not used. */
void mas_destroy(struct ma_state *mas);

/*
 * Gap search within [min, max] for size consecutive free indices (size >= 1).
 * mas_empty_area: the lowest such gap; mas_empty_area_rev: the highest (top-down).
 * On success 0 and mas->index/last span the whole gap found ([index, last], clipped to
 * [min, max]); -EBUSY when there is none; -EINVAL when size == 0 or min > max.
 * Writer side only (see the top of this file).
 */
int mas_empty_area(struct ma_state *mas, unsigned long min, unsigned long max,
		   unsigned long size);
int mas_empty_area_rev(struct ma_state *mas, unsigned long min, unsigned long max,
		       unsigned long size);

/* Debug: check every structural invariant; false and a report on out if one fails. */
bool mt_validate(struct maple_tree *mt, FILE *out);
unsigned long mt_nr_entries(struct maple_tree *mt);
/* Debug: print every node and range (writer side). */
void mt_dump(struct maple_tree *mt, FILE *out);

/* Every entry from the cursor's position up to max, in order (mas_find). */
#define mas_for_each(mas, entry, max) while (((entry) = mas_find((mas), (max))) != NULL)

#define mt_for_each(mt, entry, index, max)                                                     \
	for (index = 0, entry = mt_find(mt, &(index), max); entry;                             \
	     entry = (index) ? mt_find(mt, &(index), max) : NULL)

#endif
