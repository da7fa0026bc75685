/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A sparse array indexed by unsigned long (the page cache's index), with a subset of the
 * kernel's xarray API (include/linux/xarray.h): a radix tree of 64-way nodes, so memory and
 * time follow the entries present, not the range of indices.
 *
 *   head (height h): node of 64 slots; an entry at index i lives at the leaf reached by the
 *   digits of i in base 64, most significant first, h digits in all.
 *   height 0: empty (head == NULL); the tree grows a level at the top when an index does not
 *   fit, and never shrinks except to empty.
 *
 * Invariants: node->count == non-NULL slots of node; no node is empty (xa_erase frees a
 * node when its count drops to 0, the head included, and an empty array has height 0);
 * every index i with an entry has i < 64^height.
 * Locks: none of its own; the user serialises writers and readers (shmem: file->lock).
 * Memory: nodes come from the allocation seam (AV_OBJ_OTHER), so fault injection reaches them.
 */
#ifndef ANONVM_XARRAY_H
#define ANONVM_XARRAY_H

#include <stdbool.h>

#include "debug.h"

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE (1UL << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK (XA_CHUNK_SIZE - 1)
#define XA_MAX_HEIGHT ((64 + XA_CHUNK_SHIFT - 1) / XA_CHUNK_SHIFT)

struct xa_node {
	void *slots[XA_CHUNK_SIZE]; /* next level, or entries at the last level */
	unsigned int count;	    /* non-NULL slots */
};

struct xarray {
	struct xa_node *head;
	unsigned int height; /* levels of nodes; 0: empty */
};

static inline void xa_init(struct xarray *xa)
{
	xa->head = 0;
	xa->height = 0;
}

static inline bool xa_empty(const struct xarray *xa)
{
	return !xa->head;
}

/* The entry at index, or NULL. */
void *xa_load(const struct xarray *xa, unsigned long index);
/*
 * Store entry (not NULL) at index. Every node the store needs is allocated first: 0, -EBUSY
 * when index holds an entry already, or -ENOMEM; on an error the array is unchanged.
 */
int xa_insert(struct xarray *xa, unsigned long index, void *entry) __must_check;
/* Replace the entry at index (which must hold one) by entry (not NULL); the old one. */
void *xa_replace(struct xarray *xa, unsigned long index, void *entry);

/*
 * Value entries (xa_mk_value): an unsigned long stored in place of a pointer, tagged by its
 * low bit (pointers stored here are at least 2-aligned). shmem keeps swap entries so.
 */
static inline void *xa_mk_value(unsigned long v)
{
	return (void *)((v << 1) | 1);
}

static inline bool xa_is_value(const void *entry)
{
	return (unsigned long)entry & 1;
}

static inline unsigned long xa_to_value(const void *entry)
{
	return (unsigned long)entry >> 1;
}

/* Remove and return the entry at index (NULL if none); frees the nodes left empty. */
void *xa_erase(struct xarray *xa, unsigned long index);
/*
 * The first entry at an index in [*indexp, max], *indexp set to its index; NULL when none.
 * Costs O(height) per node visited: empty subtrees are skipped.
 */
void *xa_find(const struct xarray *xa, unsigned long *indexp, unsigned long max);
/* Free every node; fn(entry, arg) is called for each entry first (fn may be NULL). */
void xa_destroy(struct xarray *xa, void (*fn)(void *entry, void *arg), void *arg);

#define xa_for_each(xa, index, entry)                                                              \
	for ((index) = 0, (entry) = xa_find((xa), &(index), ~0UL); (entry);                        \
	     (entry) = (index) == ~0UL ? NULL : ((index)++, xa_find((xa), &(index), ~0UL)))

#endif
