/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The anon_vma interval tree (mm/interval_tree.c's anon_vma_interval_tree_*): an augmented
 * red-black tree of anon_vma_chain nodes, one tree per anon_vma (anon_vma->rb_root).
 *
 * Key of an AVC: the page range of its VMA in the anon_vma's index space,
 *	[start, last] = [vma->vm_pgoff, vma->vm_pgoff + vma_pages(vma) - 1]
 * read from the VMA at each operation: a VMA's AVCs must be removed before its range or
 * pgoff changes and reinserted after (anon_vma_interval_tree_pre/post_update_vma).
 *
 * Invariants (checked by anon_vma_interval_tree_validate):
 *	in-order starts are non-decreasing; an insert goes right of every equal start, so
 *	nodes with equal starts stay in insertion order;
 *	avc->rb_subtree_last = max(last(avc), left->rb_subtree_last, right->rb_subtree_last);
 *	red-black: the root is black, no red node has a red child, every path from a node
 *	down to a leaf crosses the same number of black nodes (so height <= 2 log2(n + 1)).
 *
 * Locks: the tree of anon_vma X is guarded by X->root->rwsem (write to change, read to
 * iterate); these functions take no lock.
 */
#ifndef ANONVM_INTERVAL_TREE_H
#define ANONVM_INTERVAL_TREE_H

#include <stdbool.h>
#include <stdio.h>

#include "rmap.h"

#define RB_ROOT_INIT ((struct anon_vma_rb_root){ .rb_node = NULL })

static inline bool anon_vma_interval_tree_empty(const struct anon_vma_rb_root *root)
{
	return root->rb_node == NULL;
}

/* The interval of an AVC: [avc_start, avc_last], in pages. */
static inline unsigned long avc_start(const struct anon_vma_chain *avc)
{
	return avc->vma->vm_pgoff;
}

static inline unsigned long avc_last(const struct anon_vma_chain *avc)
{
	return avc->vma->vm_pgoff + vma_pages(avc->vma) - 1;
}

/* O(log n). node must not be in a tree. */
void anon_vma_interval_tree_insert(struct anon_vma_chain *node, struct anon_vma_rb_root *root);
/* O(log n). node must be in root. */
void anon_vma_interval_tree_remove(struct anon_vma_chain *node, struct anon_vma_rb_root *root);

/*
 * The nodes whose interval overlaps [first, last], in interval-start order:
 * iter_first gives the first, iter_next the one after node, NULL at the end.
 * O(log n) each amortised over a whole iteration; O(k log n) for k results in any case.
 */
struct anon_vma_chain *anon_vma_interval_tree_iter_first(struct anon_vma_rb_root *root,
							 unsigned long first, unsigned long last);
struct anon_vma_chain *anon_vma_interval_tree_iter_next(struct anon_vma_chain *node,
							unsigned long first, unsigned long last);

#define anon_vma_interval_tree_foreach(avc, root, first, last)                              \
	for (avc = anon_vma_interval_tree_iter_first(root, first, last); avc;               \
	     avc = anon_vma_interval_tree_iter_next(avc, first, last))

/* Is node in the tree root? O(log n): follows the parent links. */
bool anon_vma_interval_tree_contains(const struct anon_vma_rb_root *root,
				     const struct anon_vma_chain *node);

/*
 * Debug: check every invariant above and the parent links; false and a report on out
 * (if not NULL) when one fails. *nr_nodes (if not NULL) gets the node count. O(n).
 */
bool anon_vma_interval_tree_validate(const struct anon_vma_rb_root *root, FILE *out,
				     unsigned long *nr_nodes);

#endif
