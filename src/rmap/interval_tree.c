// SPDX-License-Identifier: GPL-2.0-only
/*
 * interval_tree.c: the anon_vma interval tree, an augmented red-black tree of anon_vma_chain
 * nodes keyed by their VMA's page range (see interval_tree.h for the key and the invariants).
 *
 * Augmentation: every node carries
 *	rb_subtree_last = max(avc_last(node), rb_subtree_last of its children),
 * the largest interval end below it, so a stabbing query skips every subtree whose
 * rb_subtree_last is below the query's first page.
 *
 * How the augmented value survives each change:
 *  - insert: the descent raises rb_subtree_last of every node it passes to the new last;
 *  - rotation: the node that moves up now roots exactly the subtree the other one rooted,
 *    so it takes over its value; the node that moves down is recomputed from its children;
 *  - erase: after the node is unlinked (and its in-order successor moved into its place),
 *    every node from the lowest changed position up to the root is recomputed, before
 *    the recolouring rotations, which then only need the rotation rule.
 *
 * Locks: none here; the owner's anon_vma root rwsem guards the tree (interval_tree.h).
 */
#include <stdarg.h>

#include "interval_tree.h"

static inline struct anon_vma_chain *rb_avc(const struct anon_vma_rb_node *node)
{
	return container_of(node, struct anon_vma_chain, rb);
}

static inline bool rb_is_red(const struct anon_vma_rb_node *node)
{
	return node && node->rb_red;
}

static unsigned long avc_compute_subtree_last(const struct anon_vma_chain *avc)
{
	unsigned long max = avc_last(avc);

	if (avc->rb.rb_left && rb_avc(avc->rb.rb_left)->rb_subtree_last > max)
		max = rb_avc(avc->rb.rb_left)->rb_subtree_last;
	if (avc->rb.rb_right && rb_avc(avc->rb.rb_right)->rb_subtree_last > max)
		max = rb_avc(avc->rb.rb_right)->rb_subtree_last;
	return max;
}

/* Recompute rb_subtree_last from node up to the root. */
static void rb_propagate(struct anon_vma_rb_node *node)
{
	for (; node; node = node->rb_parent)
		rb_avc(node)->rb_subtree_last = avc_compute_subtree_last(rb_avc(node));
}

/* Hang new where old hangs under parent (NULL parent: new becomes the root). */
static void rb_change_child(struct anon_vma_rb_root *root, struct anon_vma_rb_node *parent,
			    struct anon_vma_rb_node *old, struct anon_vma_rb_node *new)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

enum { RB_LEFT, RB_RIGHT }; /* a side: rb_child[RB_LEFT] is rb_left */

/*
 * Rotate x down to side dir: its child y on the other side takes its place. For dir ==
 * RB_LEFT (the mirror image for RB_RIGHT):
 *
 *      x                y
 *     / \              / \
 *    a   y     ->     x   c
 *       / \          / \
 *      b   c        a   b
 */
static void rb_rotate(struct anon_vma_rb_root *root, struct anon_vma_rb_node *x, int dir)
{
	struct anon_vma_rb_node *y = x->rb_child[!dir];

	x->rb_child[!dir] = y->rb_child[dir];
	if (y->rb_child[dir])
		y->rb_child[dir]->rb_parent = x;
	y->rb_parent = x->rb_parent;
	rb_change_child(root, x->rb_parent, x, y);
	y->rb_child[dir] = x;
	x->rb_parent = y;

	rb_avc(y)->rb_subtree_last = rb_avc(x)->rb_subtree_last;
	rb_avc(x)->rb_subtree_last = avc_compute_subtree_last(rb_avc(x));
}

/*
 * node was just linked in as a red leaf. The only property that can be broken is
 * "no red node has a red child", at node and its parent; each step either fixes it with
 * at most two rotations or pushes the problem two levels up (red uncle: recolour).
 * dir is the side of parent under gparent; the uncle is on the other side.
 */
static void rb_insert_fixup(struct anon_vma_rb_root *root, struct anon_vma_rb_node *node)
{
	struct anon_vma_rb_node *parent, *gparent, *uncle;
	int dir;

	while ((parent = node->rb_parent) && parent->rb_red) {
		gparent = parent->rb_parent; /* exists: a red node is never the root */
		dir = parent == gparent->rb_right;
		uncle = gparent->rb_child[!dir];
		if (rb_is_red(uncle)) {
			parent->rb_red = false;
			uncle->rb_red = false;
			gparent->rb_red = true;
			node = gparent;
			continue;
		}
		if (node == parent->rb_child[!dir]) {
			/* the inner grandchild: make it the outer one */
			rb_rotate(root, parent, dir);
			node = parent;
			parent = node->rb_parent;
		}
		parent->rb_red = false;
		gparent->rb_red = true;
		rb_rotate(root, gparent, !dir);
	}
	root->rb_node->rb_red = false;
}

void anon_vma_interval_tree_insert(struct anon_vma_chain *node, struct anon_vma_rb_root *root)
{
	unsigned long start = avc_start(node), last = avc_last(node);
	struct anon_vma_rb_node **link = &root->rb_node, *parent = NULL;

	VM_BUG_ON(start > last);
	while (*link) {
		struct anon_vma_chain *p;

		parent = *link;
		p = rb_avc(parent);
		if (p->rb_subtree_last < last)
			p->rb_subtree_last = last;
		/* equal starts go right: they stay in insertion order */
		link = start < avc_start(p) ? &parent->rb_left : &parent->rb_right;
	}
	node->rb_subtree_last = last;
	node->rb.rb_parent = parent;
	node->rb.rb_left = NULL;
	node->rb.rb_right = NULL;
	node->rb.rb_red = true;
	*link = &node->rb;
	rb_insert_fixup(root, &node->rb);
}

/*
 * A black node was taken out above child (child may be NULL; parent is its parent), so
 * every path through child has one black node too few. Either child is red (paint it
 * black), or borrow from the sibling's side with recolouring and at most three rotations,
 * or recolour the sibling red and move the deficit up to parent. dir is child's side under
 * parent; the sibling is on the other side.
 */
static void rb_erase_fixup(struct anon_vma_rb_root *root, struct anon_vma_rb_node *child,
			   struct anon_vma_rb_node *parent)
{
	struct anon_vma_rb_node *sibling;
	int dir;

	while (child != root->rb_node && !rb_is_red(child)) {
		/*
		 * A NULL child is parent's left child if parent has no left child: it cannot
		 * be the right one then, the left side would be black-shorter.
		 */
		dir = child != parent->rb_left;
		sibling = parent->rb_child[!dir]; /* not NULL: that side is black-taller */
		if (sibling->rb_red) {
			sibling->rb_red = false;
			parent->rb_red = true;
			rb_rotate(root, parent, dir);
			sibling = parent->rb_child[!dir];
		}
		if (!rb_is_red(sibling->rb_left) && !rb_is_red(sibling->rb_right)) {
			sibling->rb_red = true;
			child = parent;
			parent = child->rb_parent;
			continue;
		}
		if (!rb_is_red(sibling->rb_child[!dir])) {
			/* only the near nephew is red: make it the far one */
			sibling->rb_child[dir]->rb_red = false;
			sibling->rb_red = true;
			rb_rotate(root, sibling, !dir);
			sibling = parent->rb_child[!dir];
		}
		sibling->rb_red = parent->rb_red;
		parent->rb_red = false;
		sibling->rb_child[!dir]->rb_red = false;
		rb_rotate(root, parent, dir);
		child = root->rb_node;
	}
	if (child)
		child->rb_red = false;
}

/* Put new in old's place under old's parent (new may be NULL). */
static void rb_transplant(struct anon_vma_rb_root *root, struct anon_vma_rb_node *old,
			  struct anon_vma_rb_node *new)
{
	rb_change_child(root, old->rb_parent, old, new);
	if (new)
		new->rb_parent = old->rb_parent;
}

void anon_vma_interval_tree_remove(struct anon_vma_chain *node, struct anon_vma_rb_root *root)
{
	struct anon_vma_rb_node *z = &node->rb, *y, *child, *parent;
	bool removed_black;

	VM_BUG_ON(!anon_vma_interval_tree_contains(root, node));
	if (!z->rb_left || !z->rb_right) {
		/* at most one child: it takes z's place */
		child = z->rb_left ? z->rb_left : z->rb_right;
		parent = z->rb_parent;
		removed_black = !z->rb_red;
		rb_transplant(root, z, child);
	} else {
		/* two children: z's in-order successor y (no left child) takes z's place */
		for (y = z->rb_right; y->rb_left; y = y->rb_left)
			;
		removed_black = !y->rb_red;
		child = y->rb_right;
		if (y->rb_parent == z) {
			parent = y;
		} else {
			parent = y->rb_parent;
			rb_transplant(root, y, child);
			y->rb_right = z->rb_right;
			y->rb_right->rb_parent = y;
		}
		rb_transplant(root, z, y);
		y->rb_left = z->rb_left;
		y->rb_left->rb_parent = y;
		y->rb_red = z->rb_red;
	}
	/* parent is the lowest node whose subtree changed; y (if moved) lies above it */
	rb_propagate(parent);
	if (removed_black)
		rb_erase_fixup(root, child, parent);

	z->rb_parent = NULL;
	z->rb_left = NULL;
	z->rb_right = NULL;
}

/* The leftmost node of node's subtree that overlaps [first, last], or NULL. */
static struct anon_vma_chain *subtree_search(struct anon_vma_chain *node, unsigned long first,
					     unsigned long last)
{
	for (;;) {
		struct anon_vma_rb_node *left = node->rb.rb_left;

		/*
		 * Something on the left ends at or after first: the answer is there or
		 * nowhere, since everything from node on starts no earlier than it.
		 */
		if (left && rb_avc(left)->rb_subtree_last >= first) {
			node = rb_avc(left);
			continue;
		}
		if (avc_start(node) > last)
			return NULL;
		if (avc_last(node) >= first)
			return node;
		if (!node->rb.rb_right)
			return NULL;
		node = rb_avc(node->rb.rb_right);
		if (node->rb_subtree_last < first)
			return NULL;
	}
}

struct anon_vma_chain *anon_vma_interval_tree_iter_first(struct anon_vma_rb_root *root,
							 unsigned long first, unsigned long last)
{
	struct anon_vma_chain *top;

	if (!root->rb_node)
		return NULL;
	top = rb_avc(root->rb_node);
	if (top->rb_subtree_last < first)
		return NULL;
	return subtree_search(top, first, last);
}

struct anon_vma_chain *anon_vma_interval_tree_iter_next(struct anon_vma_chain *node,
							unsigned long first, unsigned long last)
{
	struct anon_vma_rb_node *right = node->rb.rb_right, *from;

	for (;;) {
		/* node's right subtree comes next in order */
		if (right && rb_avc(right)->rb_subtree_last >= first)
			return subtree_search(rb_avc(right), first, last);

		/* then the first ancestor that we reach from its left side */
		do {
			from = &node->rb;
			if (!from->rb_parent)
				return NULL;
			node = rb_avc(from->rb_parent);
		} while (node->rb.rb_right == from);

		if (avc_start(node) > last)
			return NULL;
		if (avc_last(node) >= first)
			return node;
		right = node->rb.rb_right;
	}
}

bool anon_vma_interval_tree_contains(const struct anon_vma_rb_root *root,
				     const struct anon_vma_chain *node)
{
	const struct anon_vma_rb_node *n = &node->rb;

	if (!root->rb_node)
		return false;
	while (n->rb_parent)
		n = n->rb_parent;
	return n == root->rb_node;
}

struct tree_check {
	FILE *out;
	const struct anon_vma_rb_root *root;
	bool ok;
	unsigned long nr;
	bool have_prev;
	unsigned long prev_start;
};

static void __printf(3, 4)
tree_fail(struct tree_check *c, const struct anon_vma_chain *avc, const char *fmt, ...)
{
	va_list ap;

	c->ok = false;
	if (!c->out)
		return;
	fprintf(c->out, "interval tree %p: avc %p: ", (const void *)c->root, (const void *)avc);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
}

/* In-order walk of node's subtree; returns its black height (a NULL leaf counts 1). */
static unsigned int tree_check_node(struct tree_check *c, const struct anon_vma_rb_node *node,
				    const struct anon_vma_rb_node *parent)
{
	const struct anon_vma_chain *avc;
	unsigned int left_bh, right_bh;

	if (!node)
		return 1;
	avc = rb_avc(node);
	if (node->rb_parent != parent)
		tree_fail(c, avc, "parent link %p, expected %p", (const void *)node->rb_parent,
			  (const void *)parent);
	if (node->rb_red && rb_is_red(parent))
		tree_fail(c, avc, "red node with a red parent");

	left_bh = tree_check_node(c, node->rb_left, node);
	if (c->have_prev && avc_start(avc) < c->prev_start)
		tree_fail(c, avc, "start %lu after start %lu in order", avc_start(avc),
			  c->prev_start);
	c->have_prev = true;
	c->prev_start = avc_start(avc);
	c->nr++;
	right_bh = tree_check_node(c, node->rb_right, node);

	if (left_bh != right_bh)
		tree_fail(c, avc, "black heights differ: left %u, right %u", left_bh, right_bh);
	if (avc->rb_subtree_last != avc_compute_subtree_last(avc))
		tree_fail(c, avc, "rb_subtree_last %lu, expected %lu", avc->rb_subtree_last,
			  avc_compute_subtree_last(avc));
	return left_bh + !node->rb_red;
}

bool anon_vma_interval_tree_validate(const struct anon_vma_rb_root *root, FILE *out,
				     unsigned long *nr_nodes)
{
	struct tree_check c = { .out = out, .root = root, .ok = true };

	if (rb_is_red(root->rb_node))
		tree_fail(&c, rb_avc(root->rb_node), "red root");
	tree_check_node(&c, root->rb_node, NULL);
	if (nr_nodes)
		*nr_nodes = c.nr;
	return c.ok;
}
