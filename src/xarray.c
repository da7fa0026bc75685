// SPDX-License-Identifier: GPL-2.0-only
/*
 * xarray.c: the sparse array of xarray.h (kernel counterpart: lib/xarray.c, whose API names
 * it keeps; the representation here is a plain radix tree without tags, marks or RCU).
 *
 * Invariants and locks: see xarray.h. Every store allocates all the nodes it needs before
 * it links any (allocate, then commit), so a failed store leaves the array as it was.
 */
#include <errno.h>

#include "alloc.h"
#include "xarray.h"

/* The digit of index at level (0 = the head) of a tree of this height. */
static unsigned int xa_offset(unsigned long index, unsigned int height, unsigned int level)
{
	unsigned int shift = (height - 1 - level) * XA_CHUNK_SHIFT;

	return shift >= 64 ? 0 : (index >> shift) & XA_CHUNK_MASK;
}

/* The height a tree needs for index. */
static unsigned int xa_height_for(unsigned long index)
{
	unsigned int height = 1;

	while (height < XA_MAX_HEIGHT && (index >> (height * XA_CHUNK_SHIFT)))
		height++;
	return height;
}

void *xa_load(const struct xarray *xa, unsigned long index)
{
	struct xa_node *node = xa->head;

	if (!node || xa_height_for(index) > xa->height)
		return NULL;
	for (unsigned int level = 0; level + 1 < xa->height; level++) {
		node = node->slots[xa_offset(index, xa->height, level)];
		if (!node)
			return NULL;
	}
	return node->slots[xa_offset(index, xa->height, xa->height - 1)];
}

void *xa_replace(struct xarray *xa, unsigned long index, void *entry)
{
	struct xa_node *node = xa->head;
	unsigned int slot;
	void *old;

	VM_BUG_ON(!entry || !node || xa_height_for(index) > xa->height);
	for (unsigned int level = 0; level + 1 < xa->height; level++) {
		node = node->slots[xa_offset(index, xa->height, level)];
		VM_BUG_ON(!node);
	}
	slot = xa_offset(index, xa->height, xa->height - 1);
	old = node->slots[slot];
	VM_BUG_ON(!old);
	node->slots[slot] = entry;
	return old;
}

int xa_insert(struct xarray *xa, unsigned long index, void *entry)
{
	unsigned int height = xa->height, want = xa_height_for(index), nr = 0, used = 0;
	struct xa_node *nodes[2 * XA_MAX_HEIGHT], *node;

	if (xa_load(xa, index))
		return -EBUSY;
	if (want < height)
		want = height;
	/* count what is missing: levels on top, then the nodes down index's path */
	if (!xa->head) {
		nr = want;
	} else {
		unsigned int level;

		nr = want - height;
		for (level = 0; level < want - height; level++)
			if (xa_offset(index, want, level))
				break; /* leaves the old head's subtree here */
		if (level < want - height) {
			nr += want - 1 - level;
		} else {
			node = xa->head;
			for (; level + 1 < want; level++) {
				node = node->slots[xa_offset(index, want, level)];
				if (!node) {
					nr += want - 1 - level;
					break;
				}
			}
		}
	}
	for (; used < nr; used++) {
		nodes[used] = av_alloc(AV_OBJ_OTHER, sizeof(struct xa_node));
		if (!nodes[used]) {
			while (used)
				av_free(AV_OBJ_OTHER, nodes[--used]);
			return -ENOMEM;
		}
	}

	/* point of no return */
	used = 0;
	if (!xa->head) {
		xa->head = nodes[used++];
		xa->height = height = want;
	}
	while (height < want) {
		struct xa_node *top = nodes[used++];

		top->slots[0] = xa->head;
		top->count = 1;
		xa->head = top;
		xa->height = ++height;
	}
	node = xa->head;
	for (unsigned int level = 0; level + 1 < height; level++) {
		void **slot = &node->slots[xa_offset(index, height, level)];

		if (!*slot) {
			*slot = nodes[used++];
			node->count++;
		}
		node = *slot;
	}
	VM_BUG_ON(used != nr || node->slots[xa_offset(index, height, height - 1)]);
	node->slots[xa_offset(index, height, height - 1)] = entry;
	node->count++;
	return 0;
}

/* Erase index below node (at level); true when node became empty (and was freed). */
static bool xa_erase_level(struct xa_node *node, unsigned int height, unsigned int level,
			   unsigned long index, void **old)
{
	unsigned int off = xa_offset(index, height, level);

	if (!node->slots[off])
		return false;
	if (level + 1 < height) {
		if (!xa_erase_level(node->slots[off], height, level + 1, index, old))
			return false;
	} else {
		*old = node->slots[off];
	}
	node->slots[off] = NULL;
	if (--node->count)
		return false;
	av_free(AV_OBJ_OTHER, node);
	return true;
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	void *old = NULL;

	if (!xa->head || xa_height_for(index) > xa->height)
		return NULL;
	if (xa_erase_level(xa->head, xa->height, 0, index, &old))
		xa_init(xa);
	return old;
}

/* The first entry at [*indexp, max] below node, whose first index is base. */
static void *xa_find_level(const struct xa_node *node, unsigned int height, unsigned int level,
			   unsigned long base, unsigned long *indexp, unsigned long max)
{
	unsigned int shift = (height - 1 - level) * XA_CHUNK_SHIFT;
	unsigned long span = shift >= 64 ? 0 : 1UL << shift; /* indices per slot */

	for (unsigned int off = xa_offset(*indexp, height, level); off < XA_CHUNK_SIZE; off++) {
		unsigned long first = base + off * span;
		void *entry;

		if (first > max)
			return NULL;
		if (!node->slots[off])
			continue;
		if (first > *indexp)
			*indexp = first;
		if (level + 1 == height)
			return node->slots[off];
		entry = xa_find_level(node->slots[off], height, level + 1, first, indexp, max);
		if (entry)
			return entry;
		if (first + span - 1 >= max || first + span == 0)
			return NULL;
		*indexp = first + span; /* nothing further in this slot */
	}
	return NULL;
}

void *xa_find(const struct xarray *xa, unsigned long *indexp, unsigned long max)
{
	if (!xa->head || *indexp > max || xa_height_for(*indexp) > xa->height)
		return NULL;
	return xa_find_level(xa->head, xa->height, 0, 0, indexp, max);
}

static void xa_destroy_level(struct xa_node *node, unsigned int height, unsigned int level,
			     void (*fn)(void *entry, void *arg), void *arg)
{
	for (unsigned int off = 0; off < XA_CHUNK_SIZE && node->count; off++) {
		if (!node->slots[off])
			continue;
		if (level + 1 < height)
			xa_destroy_level(node->slots[off], height, level + 1, fn, arg);
		else if (fn)
			fn(node->slots[off], arg);
		node->slots[off] = NULL;
		node->count--;
	}
	av_free(AV_OBJ_OTHER, node);
}

void xa_destroy(struct xarray *xa, void (*fn)(void *entry, void *arg), void *arg)
{
	if (xa->head)
		xa_destroy_level(xa->head, xa->height, 0, fn, arg);
	xa_init(xa);
}
