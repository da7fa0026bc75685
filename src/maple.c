// SPDX-License-Identifier: GPL-2.0-only
/*
 * maple.c: the VMA tree (API and calling contexts in maple.h).
 *
 * What it owns: the nodes of every struct maple_tree, and the spare nodes a preallocation
 * reserved. It never owns the entries: they are the caller's pointers, stored and returned.
 *
 * Node layout (struct maple_node, one kind for leaves and internal nodes, 400 bytes):
 *
 *	field			leaf			internal
 *	pivot[15]		last index of slot i	last index of child i
 *	slot[16]		entry or NULL (a gap)	child node
 *	gap[16]			unused			largest gap (in indices) below child i
 *	nr			slots in use, 1..16	children, 1..16
 *	leaf			true			false
 *	rcu			call_rcu() head; the spare list links through slot[0]
 *
 * A node covers [min, max], given by its parent (the root covers [0, ULONG_MAX]); the node
 * does not store them. Slot i covers [lo(i), hi(i)] with
 *
 *	lo(0) = min		lo(i) = pivot[i - 1] + 1	(0 < i < nr)
 *	hi(nr - 1) = max	hi(i) = pivot[i]		(i < nr - 1)
 *
 * Invariants (checked by mt_validate):
 *	min <= pivot[0] < pivot[1] < ... < pivot[nr - 2] < max		(ranges tile [min, max])
 *	depth(leaf) == ma_height - 1 for every leaf			(the tree is balanced)
 *	nr >= MAPLE_MIN_SLOTS (8) for non-root nodes; an internal root has nr >= 2
 *	gap[i] == max { hi - lo + 1 : [lo, hi] a NULL range below child i }, 0 when none
 *	no two consecutive ranges (in index order, across nodes) are both NULL
 *	ma_root == NULL  <=>  ma_height == 0  <=>  every index maps to NULL
 * Each stored range lives in exactly one leaf slot: node boundaries fall between ranges.
 *
 * Stores. A NULL store first grows to swallow the NULL ranges on either side, so NULLs stay
 * coalesced. If the (grown) range is exactly one existing slot, the store writes that slot
 * in place: one pointer, no allocation (mt_dup's caller relies on it), and the gaps above
 * are fixed in place. Otherwise the store rebuilds a "run" of nodes level by level: at the
 * leaf level the run is the leaves from the one holding first to the one holding last; its
 * new content is what survives left of first, the new range, what survives right of last.
 * Content under MAPLE_MIN_SLOTS pulls in a neighbour node (the run grows by one node); the
 * content is then cut into ceil(n / 16) nodes of even size (>= 8 each when n > 16). One level
 * up, the run is the parents of the old run, their content the untouched children around it
 * plus the new nodes. This goes on until the run is one node rebuilt as one node (it is
 * published in its parent's slot) or the run is the whole level (the new nodes go under a new
 * root, or a level holding one node becomes the root: the height grows or shrinks). Each
 * level builds at most 3 nodes (content <= 16 + 1 + 16 items at the leaves, 15 + 3 + 15
 * above), so a store needs at most 3 * height + 1 new nodes: what mas_preallocate reserves.
 * Nothing reachable from ma_root is written before the one publishing store; an allocation
 * failure frees the new nodes and leaves the tree as it was.
 *
 * mt_dup copies the source node by node, depth first (one allocation per node, O(n)), and
 * publishes the copy's root once it is complete.
 *
 * RCU contract. One writer at a time (the caller serialises); readers under rcu_read_lock().
 *   - A new node is filled completely, then published with rcu_assign_pointer (into ma_root
 *     or into one slot of a live parent); readers load every slot and ma_root with
 *     rcu_dereference. Readers see the old nodes or the new ones, each a consistent tree.
 *   - Written in place while readers may look: one slot pointer over an unchanged range (an
 *     entry in a leaf, or a child whose replacement covers the same range), and gap[] (the
 *     readers never read it). Nothing else in a published node changes.
 *   - The nodes a store replaced, and every node of mt_destroy, are freed with call_rcu:
 *     after the grace period that follows the publishing store, no reader still holds them.
 *     The writer reads an old node's children before it queues the node.
 *     The writing thread must be registered with liburcu, as call_rcu requires.
 *   - Spare and never-published nodes (failed stores, a failed mt_dup) are freed at once.
 *   - Readers do not use ma_height: a node says itself whether it is a leaf.
 * A reader's ma_state holds a leaf; it must not outlive the read-side critical section
 * (mas_pause first). A writer's ma_state forgets its leaf at each store.
 */
#if defined(__SANITIZE_THREAD__)
#define MT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MT_TSAN 1
#endif
#endif
#ifndef MT_TSAN
#define _LGPL_SOURCE /* liburcu's read-side and pointer primitives inline */
#endif
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "maple.h"
#include "rcu.h"

#define MAPLE_NODE_PIVOTS (MAPLE_NODE_SLOTS - 1)
#define MAPLE_MIN_SLOTS (MAPLE_NODE_SLOTS / 2)
#define MAPLE_MAX_HEIGHT 32 /* needs >= 2 * 8^31 ranges: more than the index space holds */
#define MAPLE_LEVEL_NODES 3 /* most nodes one level of a store builds */
#define MAPLE_BIG_SLOTS (3 * MAPLE_NODE_SLOTS) /* content of one level: <= 33 items */

struct maple_node {
	unsigned long pivot[MAPLE_NODE_PIVOTS];
	void *slot[MAPLE_NODE_SLOTS];
	unsigned long gap[MAPLE_NODE_SLOTS];
	unsigned char nr;
	bool leaf;
	struct rcu_head rcu;
};

/* ma_state.status. MAS_START is 0 so that MA_STATE() and mas_set() start a walk. */
enum {
	MAS_START = 0, /* nothing walked: the next call walks to mas->index */
	MAS_ACTIVE,    /* node/offset hold the slot of [index, last] */
	MAS_PAUSE,     /* [index, last] is the last range seen; node forgotten */
	MAS_OVERFLOW,  /* a forward search ended: nothing in [index, last] */
	MAS_UNDERFLOW, /* a backward search ended: nothing in [index, last] */
};

/*
 * ThreadSanitizer sees neither liburcu's barriers (cmm_wmb, membarrier) nor its grace periods.
 * Under TSan, publish and load with the C11 atomics they stand for, and state what a grace
 * period guarantees (rcu.h): every reader call releases the grace-period object as it
 * returns, so its node reads happen before the callback that frees the node. Other builds
 * use liburcu's primitives unchanged.
 */
#ifdef MT_TSAN
#include <sanitizer/tsan_interface.h>

#define mn_publish(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define mn_deref(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define mt_tsan_release() __tsan_release(&rcu_tsan_grace_period)
#else
#define mn_publish(p, v) rcu_assign_pointer(p, v)
#define mn_deref(p) rcu_dereference(p)
#define mt_tsan_release() ((void)0)
#endif

/* Every reader entry point returns through here. */
static inline void *mas_read_done(void *entry)
{
	mt_tsan_release();
	return entry;
}

/* The number of indices in [first, last]; the whole index space saturates. */
static inline unsigned long mt_span(unsigned long first, unsigned long last)
{
	return last - first == ULONG_MAX ? ULONG_MAX : last - first + 1;
}

static inline unsigned long mn_slot_min(const struct maple_node *n, unsigned int i,
					unsigned long min)
{
	return i ? n->pivot[i - 1] + 1 : min;
}

static inline unsigned long mn_slot_max(const struct maple_node *n, unsigned int i,
					unsigned long max)
{
	return i + 1u < n->nr ? n->pivot[i] : max;
}

/* The slot of n whose range holds index. */
static unsigned int mn_slot_of(const struct maple_node *n, unsigned long index)
{
	unsigned int i;

	for (i = 0; i + 1u < n->nr; i++) {
		if (index <= n->pivot[i])
			break;
	}
	return i;
}

/* The largest NULL range of a leaf covering [min, max]. */
static unsigned long mn_leaf_gap(const struct maple_node *n, unsigned long min, unsigned long max)
{
	unsigned long gap = 0, g;
	unsigned int i;

	for (i = 0; i < n->nr; i++) {
		if (n->slot[i])
			continue;
		g = mt_span(mn_slot_min(n, i, min), mn_slot_max(n, i, max));
		if (g > gap)
			gap = g;
	}
	return gap;
}

static unsigned long mn_node_gap(const struct maple_node *n)
{
	unsigned long gap = 0;
	unsigned int i;

	for (i = 0; i < n->nr; i++) {
		if (n->gap[i] > gap)
			gap = n->gap[i];
	}
	return gap;
}

static void mn_free_rcu(struct rcu_head *head)
{
	rcu_callback_begin();
	av_free(AV_OBJ_MAPLE_NODE, caa_container_of(head, struct maple_node, rcu));
}

/* Queue n for freeing after a grace period. The caller is done reading n. */
static void mn_free_deferred(struct maple_node *n)
{
	call_rcu(&n->rcu, mn_free_rcu);
}

/* Every node below and including n, through call_rcu (children read before n is queued). */
static void mn_free_tree(struct maple_node *n)
{
	unsigned int i;

	if (!n->leaf) {
		for (i = 0; i < n->nr; i++)
			mn_free_tree(n->slot[i]);
	}
	mn_free_deferred(n);
}

/* A tree no reader ever saw: free it at once. */
static void mn_free_now(struct maple_node *n)
{
	unsigned int i;

	if (!n->leaf) {
		for (i = 0; i < n->nr; i++)
			mn_free_now(n->slot[i]);
	}
	av_free(AV_OBJ_MAPLE_NODE, n);
}

static void mt_free_spares(struct maple_tree *mt)
{
	struct maple_node *n;

	while ((n = mt->ma_spare)) {
		mt->ma_spare = n->slot[0];
		av_free(AV_OBJ_MAPLE_NODE, n);
	}
	mt->ma_nr_spare = 0;
}

void mt_init(struct maple_tree *mt)
{
	mt->ma_root = NULL;
	mt->ma_height = 0;
	mt->ma_spare = NULL;
	mt->ma_nr_spare = 0;
}

void mt_destroy(struct maple_tree *mt)
{
	struct maple_node *root = mt->ma_root;

	mn_publish(mt->ma_root, NULL);
	mt->ma_height = 0;
	if (root)
		mn_free_tree(root);
	mt_free_spares(mt);
}

bool mtree_empty(const struct maple_tree *mt)
{
	return !mn_deref(mt->ma_root);
}

/* ---------------------------------------------------------------------------------------
 * Readers: walks that need rcu_read_lock() or the writer's lock.
 */

/*
 * Point mas at the slot holding index, [mas->index, mas->last] becoming its range. The leaf
 * in hand serves when it covers index (the slot after the current one without a search:
 * iteration); otherwise walk from the root. False: empty tree.
 */
static bool mas_locate(struct ma_state *mas, unsigned long index)
{
	struct maple_node *n = mas->node;
	unsigned long min = mas->min, max = mas->max, lo;
	unsigned int i;

	if (n && mas->status == MAS_ACTIVE && index == mas->last + 1 && mas->offset + 1u < n->nr) {
		i = mas->offset + 1u;
		mas->offset = i;
		mas->index = index;
		mas->last = mn_slot_max(n, i, max);
		return true;
	}
	if (!n || mas->status != MAS_ACTIVE || index < min || index > max) {
		n = mn_deref(mas->tree->ma_root);
		min = 0;
		max = ULONG_MAX;
		if (!n) {
			mas->node = NULL;
			return false;
		}
		while (!n->leaf) {
			i = mn_slot_of(n, index);
			lo = mn_slot_min(n, i, min);
			max = mn_slot_max(n, i, max);
			min = lo;
			n = mn_deref(n->slot[i]);
		}
	}
	i = mn_slot_of(n, index);
	mas->node = n;
	mas->min = min;
	mas->max = max;
	mas->offset = i;
	mas->index = mn_slot_min(n, i, min);
	mas->last = mn_slot_max(n, i, max);
	mas->status = MAS_ACTIVE;
	return true;
}

static inline void *mas_slot(const struct ma_state *mas)
{
	return mn_deref(mas->node->slot[mas->offset]);
}

/* A search found nothing: keep [index, last] and say which way it ran out. */
static void *mas_stop(struct ma_state *mas, unsigned char status)
{
	mas->node = NULL;
	mas->status = status;
	return NULL;
}

/* The first entry whose range meets [index, max]. */
static void *mas_find_fwd(struct ma_state *mas, unsigned long index, unsigned long max)
{
	void *entry;

	if (index <= max && mas_locate(mas, index)) {
		for (;;) {
			entry = mas_slot(mas);
			if (entry)
				return entry;
			if (mas->last >= max || !mas_locate(mas, mas->last + 1))
				break;
		}
	}
	mas->index = index;
	mas->last = max < index ? index - 1 : max;
	return mas_stop(mas, MAS_OVERFLOW);
}

/* The last entry whose range meets [min, index]. */
static void *mas_find_bwd(struct ma_state *mas, unsigned long index, unsigned long min)
{
	void *entry;

	if (index >= min && mas_locate(mas, index)) {
		for (;;) {
			entry = mas_slot(mas);
			if (entry)
				return entry;
			if (mas->index <= min || !mas_locate(mas, mas->index - 1))
				break;
		}
	}
	mas->last = index;
	mas->index = min > index ? index + 1 : min;
	return mas_stop(mas, MAS_UNDERFLOW);
}

void mas_pause(struct ma_state *mas)
{
	if (mas->status == MAS_ACTIVE)
		mas->status = MAS_PAUSE;
	mas->node = NULL;
}

void *mas_walk(struct ma_state *mas)
{
	mas->status = MAS_START;
	if (!mas_locate(mas, mas->index)) {
		mas->index = 0;
		mas->last = ULONG_MAX;
		return NULL;
	}
	return mas_read_done(mas_slot(mas));
}

/* The entry after the current range, up to max. */
static void *mas_after(struct ma_state *mas, unsigned long max)
{
	if (mas->status == MAS_UNDERFLOW)
		return mas_find_fwd(mas, mas->index, max);
	if (mas->last == ULONG_MAX)
		return mas_stop(mas, MAS_OVERFLOW);
	return mas_find_fwd(mas, mas->last + 1, max);
}

/* The entry before the current range, down to min. */
static void *mas_before(struct ma_state *mas, unsigned long min)
{
	if (mas->status == MAS_OVERFLOW)
		return mas_find_bwd(mas, mas->last, min);
	if (!mas->index)
		return mas_stop(mas, MAS_UNDERFLOW);
	return mas_find_bwd(mas, mas->index - 1, min);
}

void *mas_find(struct ma_state *mas, unsigned long max)
{
	if (mas->status == MAS_START)
		return mas_read_done(mas_find_fwd(mas, mas->index, max));
	return mas_read_done(mas_after(mas, max));
}

void *mas_next(struct ma_state *mas, unsigned long max)
{
	if (mas->status == MAS_START && !mas_locate(mas, mas->index))
		return mas_stop(mas, MAS_OVERFLOW);
	return mas_read_done(mas_after(mas, max));
}

void *mas_prev(struct ma_state *mas, unsigned long min)
{
	if (mas->status == MAS_START && !mas_locate(mas, mas->index))
		return mas_stop(mas, MAS_UNDERFLOW);
	return mas_read_done(mas_before(mas, min));
}

void *mas_find_rev(struct ma_state *mas, unsigned long min)
{
	if (mas->status == MAS_START)
		return mas_read_done(mas_find_bwd(mas, mas->index, min));
	return mas_read_done(mas_before(mas, min));
}

void *mtree_load(struct maple_tree *mt, unsigned long index)
{
	MA_STATE(mas, mt, index, index);
	void *entry;

	rcu_read_lock();
	entry = mas_walk(&mas);
	rcu_read_unlock();
	return entry;
}

void *mt_find(struct maple_tree *mt, unsigned long *index, unsigned long max)
{
	MA_STATE(mas, mt, *index, *index);
	void *entry;

	rcu_read_lock();
	entry = mas_find(&mas, max);
	if (entry)
		*index = mas.last + 1; /* 0 after the last index: mt_for_each stops */
	rcu_read_unlock();
	return entry;
}

/* ---------------------------------------------------------------------------------------
 * The writer. Everything below runs with the writer's lock held.
 */

/* The path of one walk: node, its range and the slot taken, at every depth. */
struct mt_path {
	struct maple_node *node[MAPLE_MAX_HEIGHT];
	unsigned long min[MAPLE_MAX_HEIGHT];
	unsigned long max[MAPLE_MAX_HEIGHT];
	unsigned char off[MAPLE_MAX_HEIGHT];
};

/* Walk from the root to the node at depth that holds index; p gets the path. */
static struct maple_node *mt_walk_path(const struct maple_tree *mt, unsigned long index,
				       unsigned int depth, struct mt_path *p)
{
	struct maple_node *n = mt->ma_root;
	unsigned long min = 0, max = ULONG_MAX, lo;
	unsigned int d, i;

	for (d = 0;; d++) {
		i = mn_slot_of(n, index);
		p->node[d] = n;
		p->min[d] = min;
		p->max[d] = max;
		p->off[d] = i;
		if (d == depth)
			return n;
		lo = mn_slot_min(n, i, min);
		max = mn_slot_max(n, i, max);
		min = lo;
		n = n->slot[i];
	}
}

/* The gap below p->node[d]'s slot p->off[d] became gap: fix it and the gaps above, in place. */
static void mt_gap_update(struct mt_path *p, int d, unsigned long gap)
{
	struct maple_node *n;

	for (; d >= 0; d--) {
		n = p->node[d];
		if (n->gap[p->off[d]] == gap)
			return;
		n->gap[p->off[d]] = gap;
		gap = mn_node_gap(n);
	}
}

/* One slot of the content of a level being rebuilt ("maple big node" in the kernel). */
struct mab_item {
	unsigned long last; /* last index of the slot */
	void *ptr;	    /* entry (leaf level) or child node */
	unsigned long gap;  /* size of the NULL range (leaf), largest gap below (internal) */
};

/* The state of one store. */
struct mt_wr {
	struct maple_tree *mt;
	bool prealloc;	     /* nodes come from the spares: the store cannot fail */
	unsigned int height; /* levels of the tree; 1 for an empty tree */
	struct mab_item big[MAPLE_BIG_SLOTS];
	unsigned int nr;			  /* items in big */
	struct mab_item level[MAPLE_LEVEL_NODES]; /* the nodes built from big */
	unsigned int nr_level;
	unsigned long run_min[MAPLE_MAX_HEIGHT]; /* the run replaced at each depth */
	unsigned long run_max[MAPLE_MAX_HEIGHT];
	struct maple_node *new_nodes[MAPLE_LEVEL_NODES * MAPLE_MAX_HEIGHT + 1];
	unsigned int nr_new;
};

static struct maple_node *mn_alloc(struct mt_wr *wr)
{
	struct maple_tree *mt = wr->mt;
	struct maple_node *n = mt->ma_spare;

	if (n) {
		mt->ma_spare = n->slot[0];
		mt->ma_nr_spare--;
		memset(n, 0, sizeof(*n));
	} else {
		VM_BUG_ON(wr->prealloc); /* mas_preallocate reserves the worst case */
		n = av_alloc(AV_OBJ_MAPLE_NODE, sizeof(*n));
		if (!n)
			return NULL;
	}
	VM_BUG_ON(wr->nr_new >= sizeof(wr->new_nodes) / sizeof(wr->new_nodes[0]));
	wr->new_nodes[wr->nr_new++] = n;
	return n;
}

static void mab_push(struct mt_wr *wr, unsigned long last, void *ptr, unsigned long gap)
{
	VM_BUG_ON(wr->nr >= MAPLE_BIG_SLOTS);
	wr->big[wr->nr++] = (struct mab_item){.last = last, .ptr = ptr, .gap = gap};
}

static void mab_push_range(struct mt_wr *wr, unsigned long lo, unsigned long hi, void *entry)
{
	mab_push(wr, hi, entry, entry ? 0 : mt_span(lo, hi));
}

/* Slot i of n, cut to [lo, hi] (only a leaf's slot can be cut). */
static void mab_push_slot(struct mt_wr *wr, const struct maple_node *n, unsigned int i,
			  unsigned long lo, unsigned long hi)
{
	if (n->leaf)
		mab_push_range(wr, lo, hi, n->slot[i]);
	else
		mab_push(wr, hi, n->slot[i], n->gap[i]);
}

/* What of n ([min, max]) lies before first. */
static void mab_copy_head(struct mt_wr *wr, const struct maple_node *n, unsigned long min,
			  unsigned long max, unsigned long first)
{
	unsigned long lo, hi;
	unsigned int i;

	for (i = 0; i < n->nr; i++) {
		lo = mn_slot_min(n, i, min);
		hi = mn_slot_max(n, i, max);
		if (lo >= first)
			break;
		VM_BUG_ON(hi >= first && !n->leaf);
		mab_push_slot(wr, n, i, lo, hi < first ? hi : first - 1);
	}
}

/* What of n ([min, max]) lies after last. */
static void mab_copy_tail(struct mt_wr *wr, const struct maple_node *n, unsigned long min,
			  unsigned long max, unsigned long last)
{
	unsigned long lo, hi;
	unsigned int i;

	for (i = 0; i < n->nr; i++) {
		lo = mn_slot_min(n, i, min);
		hi = mn_slot_max(n, i, max);
		if (hi <= last)
			continue;
		VM_BUG_ON(lo <= last && !n->leaf);
		mab_push_slot(wr, n, i, lo > last ? lo : last + 1, hi);
	}
}

static void mab_copy_all(struct mt_wr *wr, const struct maple_node *n, unsigned long min,
			 unsigned long max)
{
	unsigned int i;

	for (i = 0; i < n->nr; i++)
		mab_push_slot(wr, n, i, mn_slot_min(n, i, min), mn_slot_max(n, i, max));
}

/* The run [*a, *b] at depth d is too thin: take in the node next to it. */
static void mab_pull(struct mt_wr *wr, unsigned int d, unsigned long *a, unsigned long *b)
{
	struct mab_item keep[MAPLE_BIG_SLOTS];
	unsigned int nr = wr->nr, i;
	struct maple_node *n;
	struct mt_path p;

	if (*a) {
		n = mt_walk_path(wr->mt, *a - 1, d, &p);
		memcpy(keep, wr->big, nr * sizeof(keep[0]));
		wr->nr = 0;
		mab_copy_all(wr, n, p.min[d], p.max[d]);
		for (i = 0; i < nr; i++)
			mab_push(wr, keep[i].last, keep[i].ptr, keep[i].gap);
		*a = p.min[d];
	} else {
		n = mt_walk_path(wr->mt, *b + 1, d, &p);
		mab_copy_all(wr, n, p.min[d], p.max[d]);
		*b = p.max[d];
	}
}

/* Cut the content into ceil(nr / 16) nodes of even size; wr->level gets them. */
static int mab_build(struct mt_wr *wr, bool leaf)
{
	unsigned int k = (wr->nr + MAPLE_NODE_SLOTS - 1) / MAPLE_NODE_SLOTS, j, i, cnt;
	const struct mab_item *it = wr->big;
	struct maple_node *n;
	unsigned long gap;

	VM_BUG_ON(k < 1 || k > MAPLE_LEVEL_NODES);
	for (j = 0; j < k; j++) {
		cnt = wr->nr / k + (j < wr->nr % k);
		n = mn_alloc(wr);
		if (!n)
			return -ENOMEM;
		n->leaf = leaf;
		n->nr = cnt;
		gap = 0;
		for (i = 0; i < cnt; i++) {
			n->slot[i] = it[i].ptr;
			if (i + 1 < cnt)
				n->pivot[i] = it[i].last;
			if (!leaf)
				n->gap[i] = it[i].gap;
			if (it[i].gap > gap)
				gap = it[i].gap;
		}
		wr->level[j] = (struct mab_item){.last = it[cnt - 1].last, .ptr = n, .gap = gap};
		it += cnt;
	}
	wr->nr_level = k;
	return 0;
}

/*
 * After the publishing store: queue every old node of the runs, starting from n (depth d,
 * covering [min, max]) and going down through the children that lie in the next run.
 */
static void mn_free_runs(struct mt_wr *wr, struct maple_node *n, unsigned int d, unsigned long min,
			 unsigned long max)
{
	unsigned long lo, hi;
	unsigned int i;

	if (!n->leaf) {
		for (i = 0; i < n->nr; i++) {
			lo = mn_slot_min(n, i, min);
			hi = mn_slot_max(n, i, max);
			if (hi >= wr->run_min[d + 1] && lo <= wr->run_max[d + 1])
				mn_free_runs(wr, n->slot[i], d + 1, lo, hi);
		}
	}
	mn_free_deferred(n);
}

/* Store entry over [first, last] by rebuilding runs (see the top of the file). */
static int mt_wr_rebuild(struct mt_wr *wr, unsigned long first, unsigned long last, void *entry)
{
	struct maple_tree *mt = wr->mt;
	struct maple_node *old_root = mt->ma_root, *new_root = NULL, *l, *r;
	unsigned int h = mt->ma_height ? mt->ma_height : 1, d = h - 1, new_height = 0, i;
	struct mt_path lp, rp;
	unsigned long a, b;
	bool single = false, whole;
	int err;

	/* The leaf-level run: its content around the new range. */
	wr->nr = 0;
	if (!old_root) {
		a = 0;
		b = ULONG_MAX;
		if (first)
			mab_push_range(wr, 0, first - 1, NULL);
		mab_push_range(wr, first, last, entry);
		if (last != ULONG_MAX)
			mab_push_range(wr, last + 1, ULONG_MAX, NULL);
	} else {
		l = mt_walk_path(mt, first, d, &lp);
		r = mt_walk_path(mt, last, d, &rp);
		a = lp.min[d];
		b = rp.max[d];
		single = l == r;
		mab_copy_head(wr, l, a, lp.max[d], first);
		mab_push_range(wr, first, last, entry);
		mab_copy_tail(wr, r, rp.min[d], b, last);
	}

	for (;;) {
		if (wr->nr < MAPLE_MIN_SLOTS && (a || b != ULONG_MAX)) {
			mab_pull(wr, d, &a, &b);
			single = false;
		}
		whole = !a && b == ULONG_MAX;
		wr->run_min[d] = a;
		wr->run_max[d] = b;
		if (whole && wr->nr <= MAPLE_NODE_SLOTS) {
			/* The only node of its level: it is the root. */
			new_height = h - d;
			if (d == h - 1 && wr->nr == 1 && !wr->big[0].ptr) {
				new_height = 0; /* all NULL: the empty tree */
				break;
			}
			VM_BUG_ON(d != h - 1 && wr->nr < 2);
			err = mab_build(wr, d == h - 1);
			if (err)
				return err;
			new_root = wr->level[0].ptr;
			break;
		}
		err = mab_build(wr, d == h - 1);
		if (err)
			return err;
		if (single && wr->nr_level == 1)
			break; /* one node for one node: publish in the parent's slot */
		if (!d) {
			/* The root split: a new root above, the tree grows. */
			memcpy(wr->big, wr->level, wr->nr_level * sizeof(wr->level[0]));
			wr->nr = wr->nr_level;
			err = mab_build(wr, false);
			if (err)
				return err;
			new_root = wr->level[0].ptr;
			new_height = h + 1;
			break;
		}
		/* One level up: the parents of the run, the new nodes in place of the old. */
		l = mt_walk_path(mt, a, d - 1, &lp);
		r = mt_walk_path(mt, b, d - 1, &rp);
		wr->nr = 0;
		mab_copy_head(wr, l, lp.min[d - 1], lp.max[d - 1], a);
		for (i = 0; i < wr->nr_level; i++)
			mab_push(wr, wr->level[i].last, wr->level[i].ptr, wr->level[i].gap);
		mab_copy_tail(wr, r, rp.min[d - 1], rp.max[d - 1], b);
		a = lp.min[d - 1];
		b = rp.max[d - 1];
		single = l == r;
		d--;
	}

	/* Point of no return: one store publishes the new nodes. */
	if (!whole) {
		struct maple_node *old = lp.node[d];

		VM_BUG_ON(d <= 0);
		mn_publish(lp.node[d - 1]->slot[lp.off[d - 1]], wr->level[0].ptr);
		mt_gap_update(&lp, (int)d - 1, wr->level[0].gap);
		mn_free_runs(wr, old, d, lp.min[d], lp.max[d]);
		return 0;
	}
	mn_publish(mt->ma_root, new_root);
	mt->ma_height = new_height;
	for (i = 0; i < d; i++) {
		wr->run_min[i] = 0;
		wr->run_max[i] = ULONG_MAX;
	}
	if (old_root)
		mn_free_runs(wr, old_root, 0, 0, ULONG_MAX);
	return 0;
}

/* A NULL store takes in the NULL ranges next to it, so that NULLs stay coalesced. */
static void mt_extend_null(const struct maple_tree *mt, unsigned long *first, unsigned long *last)
{
	unsigned int d = mt->ma_height - 1;
	struct maple_node *n;
	struct mt_path p;

	if (*first) {
		n = mt_walk_path(mt, *first - 1, d, &p);
		if (!n->slot[p.off[d]])
			*first = mn_slot_min(n, p.off[d], p.min[d]);
	}
	if (*last != ULONG_MAX) {
		n = mt_walk_path(mt, *last + 1, d, &p);
		if (!n->slot[p.off[d]])
			*last = mn_slot_max(n, p.off[d], p.max[d]);
	}
}

/* The leaf whose slot p->off[depth] is exactly [first, last] and can take entry, or NULL. */
static struct maple_node *mt_exact_slot(const struct maple_tree *mt, unsigned long first,
					unsigned long last, void *entry, struct mt_path *p)
{
	unsigned int d = mt->ma_height - 1;
	struct maple_node *n = mt_walk_path(mt, first, d, p);

	if (mn_slot_min(n, p->off[d], p->min[d]) != first ||
	    mn_slot_max(n, p->off[d], p->max[d]) != last)
		return NULL;
	if (!entry && !first && last == ULONG_MAX)
		return NULL; /* the tree becomes empty: not a slot write */
	return n;
}

static int mt_store(struct maple_tree *mt, unsigned long first, unsigned long last, void *entry,
		    bool prealloc)
{
	struct maple_node *leaf;
	struct mt_path p;
	struct mt_wr wr;
	unsigned int d, i;
	void *old;
	int err;

	if (first > last)
		return -EINVAL;
	if (!mt->ma_root) {
		if (!entry)
			return 0;
	} else {
		if (!entry)
			mt_extend_null(mt, &first, &last);
		leaf = mt_exact_slot(mt, first, last, entry, &p);
		if (leaf) {
			d = mt->ma_height - 1;
			old = leaf->slot[p.off[d]];
			mn_publish(leaf->slot[p.off[d]], entry);
			if (!old != !entry && d)
				mt_gap_update(&p, (int)d - 1,
					      mn_leaf_gap(leaf, p.min[d], p.max[d]));
			return 0;
		}
	}
	wr.mt = mt;
	wr.prealloc = prealloc;
	wr.nr_new = 0;
	err = mt_wr_rebuild(&wr, first, last, entry);
	if (err) {
		/* Nothing was published: the new nodes were never seen. */
		for (i = 0; i < wr.nr_new; i++)
			av_free(AV_OBJ_MAPLE_NODE, wr.new_nodes[i]);
	}
	return err;
}

int mtree_store_range(struct maple_tree *mt, unsigned long first, unsigned long last, void *entry)
{
	return mt_store(mt, first, last, entry, false);
}

void *mtree_erase(struct maple_tree *mt, unsigned long index)
{
	MA_STATE(mas, mt, index, index);
	void *entry = mas_walk(&mas);

	if (entry && mt_store(mt, mas.index, mas.last, NULL, false))
		return NULL;
	return entry;
}

/* After a store the position is the range stored; the leaf may be gone. */
static void mas_stored(struct ma_state *mas, int err)
{
	mas->node = NULL;
	mas->status = err ? MAS_START : MAS_PAUSE;
}

int mas_store_gfp(struct ma_state *mas, void *entry)
{
	int err;

	/*
	 * The cursor stands on a slot (a walk found it) holding an entry, and another entry
	 * replaces it over the same range: one pointer, no walk (dup_mmap, VMA by VMA).
	 */
	if (mas->status == MAS_ACTIVE && entry && mas_slot(mas)) {
		mn_publish(mas->node->slot[mas->offset], entry);
		return 0;
	}
	err = mt_store(mas->tree, mas->index, mas->last, entry, false);

	mas_stored(mas, err);
	return err;
}

/* The most new nodes a store of entry over [first, last] can take. */
static unsigned int mt_store_worst_case(const struct maple_tree *mt, unsigned long first,
					unsigned long last, void *entry)
{
	struct mt_path p;

	if (!mt->ma_root)
		return entry ? 1 : 0;
	if (!entry)
		mt_extend_null(mt, &first, &last);
	if (mt_exact_slot(mt, first, last, entry, &p))
		return 0;
	return MAPLE_LEVEL_NODES * mt->ma_height + 1;
}

int mas_preallocate(struct ma_state *mas, void *entry)
{
	struct maple_tree *mt = mas->tree;
	struct maple_node *n;
	unsigned int need;

	if (mas->index > mas->last)
		return -EINVAL;
	need = mt_store_worst_case(mt, mas->index, mas->last, entry);
	while (mt->ma_nr_spare < need) {
		n = av_alloc(AV_OBJ_MAPLE_NODE, sizeof(*n));
		if (!n) {
			mt_free_spares(mt);
			return -ENOMEM;
		}
		n->slot[0] = mt->ma_spare;
		mt->ma_spare = n;
		mt->ma_nr_spare++;
	}
	return 0;
}

void mas_store_prealloc(struct ma_state *mas, void *entry)
{
	int err = mt_store(mas->tree, mas->index, mas->last, entry, true);

	VM_BUG_ON(err); /* the reservation covers the worst case */
	mas_stored(mas, 0);
	mas_destroy(mas);
}

void mas_destroy(struct ma_state *mas)
{
	mt_free_spares(mas->tree);
}

/* ---------------------------------------------------------------------------------------
 * Gap search (writer side: it reads gap[], which the writer updates in place).
 */

/*
 * The first (rev: last) NULL range below n ([nmin, nmax]) that keeps at least size indices
 * once clipped to [min, max]. A child wholly inside [min, max] whose gap is large enough
 * always holds one, so only the children holding min or max can be entered in vain: the
 * search is O(height).
 */
static bool mn_gap_find(const struct maple_node *n, unsigned long nmin, unsigned long nmax,
			unsigned long min, unsigned long max, unsigned long size, bool rev,
			unsigned long *gmin, unsigned long *gmax)
{
	unsigned long lo, hi;
	unsigned int k, i;

	for (k = 0; k < n->nr; k++) {
		i = rev ? n->nr - 1u - k : k;
		lo = mn_slot_min(n, i, nmin);
		hi = mn_slot_max(n, i, nmax);
		if (hi < min || lo > max)
			continue;
		if (!n->leaf) {
			if (n->gap[i] >= size &&
			    mn_gap_find(n->slot[i], lo, hi, min, max, size, rev, gmin, gmax))
				return true;
			continue;
		}
		if (n->slot[i])
			continue;
		lo = lo < min ? min : lo;
		hi = hi > max ? max : hi;
		if (hi - lo >= size - 1) {
			*gmin = lo;
			*gmax = hi;
			return true;
		}
	}
	return false;
}

static int mas_empty_area_dir(struct ma_state *mas, unsigned long min, unsigned long max,
			      unsigned long size, bool rev)
{
	const struct maple_node *root = mas->tree->ma_root;
	unsigned long lo = min, hi = max;

	if (!size || min > max)
		return -EINVAL;
	if (max - min < size - 1)
		return -EBUSY;
	if (root && !mn_gap_find(root, 0, ULONG_MAX, min, max, size, rev, &lo, &hi))
		return -EBUSY;
	mas->index = lo;
	mas->last = hi;
	mas->node = NULL;
	mas->status = MAS_START;
	return 0;
}

int mas_empty_area(struct ma_state *mas, unsigned long min, unsigned long max, unsigned long size)
{
	return mas_empty_area_dir(mas, min, max, size, false);
}

int mas_empty_area_rev(struct ma_state *mas, unsigned long min, unsigned long max,
		       unsigned long size)
{
	return mas_empty_area_dir(mas, min, max, size, true);
}

/* ---------------------------------------------------------------------------------------
 * Duplicate, count, check, dump.
 */

/* A copy of the subtree of src, or NULL (nothing left allocated). */
static struct maple_node *mn_dup(const struct maple_node *src)
{
	struct maple_node *n = av_alloc(AV_OBJ_MAPLE_NODE, sizeof(*n));
	unsigned int i;

	if (!n)
		return NULL;
	memcpy(n->pivot, src->pivot, sizeof(n->pivot));
	memcpy(n->slot, src->slot, sizeof(n->slot));
	memcpy(n->gap, src->gap, sizeof(n->gap));
	n->nr = src->nr;
	n->leaf = src->leaf;
	if (n->leaf)
		return n;
	for (i = 0; i < n->nr; i++) {
		n->slot[i] = mn_dup(src->slot[i]);
		if (!n->slot[i]) {
			while (i--)
				mn_free_now(n->slot[i]);
			av_free(AV_OBJ_MAPLE_NODE, n);
			return NULL;
		}
	}
	return n;
}

int mt_dup(struct maple_tree *src, struct maple_tree *dst)
{
	struct maple_node *copy;

	if (dst->ma_root)
		return -EINVAL;
	if (!src->ma_root)
		return 0;
	copy = mn_dup(src->ma_root);
	if (!copy)
		return -ENOMEM;
	dst->ma_height = src->ma_height;
	mn_publish(dst->ma_root, copy);
	return 0;
}

static unsigned long mn_nr_entries(const struct maple_node *n)
{
	unsigned long count = 0;
	unsigned int i;

	for (i = 0; i < n->nr; i++) {
		if (!n->leaf)
			count += mn_nr_entries(n->slot[i]);
		else if (n->slot[i])
			count++;
	}
	return count;
}

unsigned long mt_nr_entries(struct maple_tree *mt)
{
	return mt->ma_root ? mn_nr_entries(mt->ma_root) : 0;
}

struct mt_check {
	FILE *out;
	bool ok;
	bool prev_null; /* the range before, in index order, was NULL */
	unsigned int leaf_depth;
};

static void __printf(2, 3) mt_fail(struct mt_check *c, const char *fmt, ...)
{
	va_list ap;

	c->ok = false;
	if (!c->out)
		return;
	fputs("maple: ", c->out);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
}

/* Check the subtree of n (depth d, covering [min, max]); returns its largest gap. */
static unsigned long mt_check_node(struct mt_check *c, const struct maple_node *n, unsigned int d,
				   unsigned long min, unsigned long max)
{
	unsigned int i, least = d ? MAPLE_MIN_SLOTS : n->leaf ? 1 : 2;
	unsigned long gap = 0, g, lo, hi;
	const void *entry;

	if (n->nr < least || n->nr > MAPLE_NODE_SLOTS) {
		mt_fail(c, "node %p [%#lx, %#lx] depth %u: %u slots, needs %u..%u", (void *)n, min,
			max, d, n->nr, least, MAPLE_NODE_SLOTS);
		if (n->nr > MAPLE_NODE_SLOTS || !n->nr)
			return 0;
	}
	if (n->leaf != (d == c->leaf_depth)) {
		mt_fail(c, "node %p [%#lx, %#lx]: %s at depth %u, leaves are at depth %u",
			(void *)n, min, max, n->leaf ? "leaf" : "internal node", d, c->leaf_depth);
		return 0;
	}
	for (i = 0; i < n->nr; i++) {
		lo = mn_slot_min(n, i, min);
		hi = mn_slot_max(n, i, max);
		if (i + 1u < n->nr && (n->pivot[i] < lo || n->pivot[i] >= max)) {
			mt_fail(c, "node %p [%#lx, %#lx]: pivot[%u] = %#lx not in [%#lx, %#lx)",
				(void *)n, min, max, i, n->pivot[i], lo, max);
			return 0;
		}
		if (n->leaf) {
			entry = n->slot[i];
			if (!entry && c->prev_null)
				mt_fail(c, "node %p: NULL range [%#lx, %#lx] follows a NULL range",
					(void *)n, lo, hi);
			c->prev_null = !entry;
			g = entry ? 0 : mt_span(lo, hi);
		} else {
			if (!n->slot[i]) {
				mt_fail(c, "node %p [%#lx, %#lx]: slot %u has no child", (void *)n,
					min, max, i);
				return 0;
			}
			g = mt_check_node(c, n->slot[i], d + 1, lo, hi);
			if (g != n->gap[i])
				mt_fail(c, "node %p: gap[%u] = %lu, the child's largest gap is %lu",
					(void *)n, i, n->gap[i], g);
		}
		if (g > gap)
			gap = g;
	}
	return gap;
}

bool mt_validate(struct maple_tree *mt, FILE *out)
{
	struct mt_check c = {.out = out, .ok = true};
	const struct maple_node *root = mt->ma_root, *n;
	unsigned int spares = 0;

	for (n = mt->ma_spare; n; n = n->slot[0])
		spares++;
	if (spares != mt->ma_nr_spare)
		mt_fail(&c, "%u spare nodes listed, %u counted", spares, mt->ma_nr_spare);
	if (!root) {
		if (mt->ma_height)
			mt_fail(&c, "empty tree of height %u", mt->ma_height);
		return c.ok;
	}
	if (!mt->ma_height || mt->ma_height > MAPLE_MAX_HEIGHT) {
		mt_fail(&c, "height %u", mt->ma_height);
		return false;
	}
	c.leaf_depth = mt->ma_height - 1;
	if (root->leaf && root->nr == 1 && !root->slot[0])
		mt_fail(&c, "a tree holding only NULL must be empty (ma_root NULL)");
	mt_check_node(&c, root, 0, 0, ULONG_MAX);
	return c.ok;
}

static void mn_dump(const struct maple_node *n, unsigned int d, unsigned long min,
		    unsigned long max, FILE *out)
{
	unsigned int i;

	fprintf(out, "%*s%s %p [%#lx, %#lx] %u slots\n", 2 * d, "", n->leaf ? "leaf" : "node",
		(void *)n, min, max, n->nr);
	for (i = 0; i < n->nr; i++) {
		if (n->leaf) {
			fprintf(out, "%*s[%#lx, %#lx] %p\n", 2 * d + 2, "", mn_slot_min(n, i, min),
				mn_slot_max(n, i, max), n->slot[i]);
			continue;
		}
		fprintf(out, "%*sgap %lu\n", 2 * d + 2, "", n->gap[i]);
		mn_dump(n->slot[i], d + 1, mn_slot_min(n, i, min), mn_slot_max(n, i, max), out);
	}
}

void mt_dump(struct maple_tree *mt, FILE *out)
{
	fprintf(out, "maple tree %p height %u\n", (void *)mt, mt->ma_height);
	if (mt->ma_root)
		mn_dump(mt->ma_root, 0, 0, ULONG_MAX, out);
}
