// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap/index.c: how an anon_vma of a chain design finds the AVCs of the VMAs that may map
 * its folios (struct anon_vma_index_ops). Two indexes, the one difference between the
 * `linux` and `nointerval` designs:
 *
 *   tree  the interval tree of Linux 3.7+ (interval_tree.c), keyed by each VMA's page range
 *         [vm_pgoff, vm_pgoff + pages - 1]: a walk for page p visits only the AVCs whose
 *         range holds p, in O(log n + k);
 *   list  the plain list of 2.6.34 - 3.6 (anon_vma->head, avc->same_anon_vma), oldest AVC
 *         first: a walk visits every AVC, whatever its range, in O(n). Nothing is keyed, so
 *         a change of a VMA's range leaves the list alone.
 *
 * Invariant (both): avc is in avc->anon_vma's index <=> avc is on avc->vma's chain (I2).
 * Locks: the anon_vma root rwsem, W to change, R to iterate; nothing is taken here.
 */
#include "alloc.h"
#include "interval_tree.h"
#include "internal.h"

/* ---- tree -------------------------------------------------------------------------------- */

static void index_tree_init(struct anon_vma *anon_vma)
{
	anon_vma->rb_root = RB_ROOT_INIT;
}

static void index_tree_insert(struct anon_vma_chain *avc, struct anon_vma *anon_vma)
{
	anon_vma_interval_tree_insert(avc, &anon_vma->rb_root);
}

static void index_tree_remove(struct anon_vma_chain *avc, struct anon_vma *anon_vma)
{
	anon_vma_interval_tree_remove(avc, &anon_vma->rb_root);
}

static bool index_tree_empty(const struct anon_vma *anon_vma)
{
	return anon_vma_interval_tree_empty(&anon_vma->rb_root);
}

static struct anon_vma_chain *index_tree_first(struct anon_vma *anon_vma, unsigned long first,
					       unsigned long last)
{
	return anon_vma_interval_tree_iter_first(&anon_vma->rb_root, first, last);
}

static bool index_tree_contains(const struct anon_vma *anon_vma,
				const struct anon_vma_chain *avc)
{
	return anon_vma_interval_tree_contains(&anon_vma->rb_root, avc);
}

static bool index_tree_validate(const struct anon_vma *anon_vma, FILE *out)
{
	return anon_vma_interval_tree_validate(&anon_vma->rb_root, out, NULL);
}

const struct anon_vma_index_ops anon_vma_index_tree = {
	.name = "interval tree",
	.keyed = true,
	.init = index_tree_init,
	.insert = index_tree_insert,
	.remove = index_tree_remove,
	.empty = index_tree_empty,
	.iter_first = index_tree_first,
	.iter_next = anon_vma_interval_tree_iter_next,
	.contains = index_tree_contains,
	.validate = index_tree_validate,
};

/* ---- list -------------------------------------------------------------------------------- */

static void index_list_init(struct anon_vma *anon_vma)
{
	INIT_LIST_HEAD(&anon_vma->head);
}

static void index_list_insert(struct anon_vma_chain *avc, struct anon_vma *anon_vma)
{
	list_add_tail(&avc->same_anon_vma, &anon_vma->head);
}

static void index_list_remove(struct anon_vma_chain *avc, struct anon_vma *anon_vma)
{
	list_del(&avc->same_anon_vma);
}

static bool index_list_empty(const struct anon_vma *anon_vma)
{
	return list_empty(&anon_vma->head);
}

static struct anon_vma_chain *index_list_first(struct anon_vma *anon_vma, unsigned long first,
					       unsigned long last)
{
	if (list_empty(&anon_vma->head))
		return NULL;
	return list_first_entry(&anon_vma->head, struct anon_vma_chain, same_anon_vma);
}

static struct anon_vma_chain *index_list_next(struct anon_vma_chain *avc, unsigned long first,
					      unsigned long last)
{
	if (avc->same_anon_vma.next == &avc->anon_vma->head)
		return NULL;
	return list_entry(avc->same_anon_vma.next, struct anon_vma_chain, same_anon_vma);
}

static bool index_list_contains(const struct anon_vma *anon_vma,
				const struct anon_vma_chain *avc)
{
	const struct anon_vma_chain *pos;

	list_for_each_entry(pos, &anon_vma->head, same_anon_vma)
		if (pos == avc)
			return true;
	return false;
}

/* The links agree both ways, the list ends, and every entry is of this anon_vma. */
static bool index_list_validate(const struct anon_vma *anon_vma, FILE *out)
{
	long left = av_live(AV_OBJ_AVC); /* more entries than AVCs: a cycle */
	const struct list_head *pos;
	bool ok = true;

	for (pos = anon_vma->head.next; pos != &anon_vma->head; pos = pos->next) {
		const struct anon_vma_chain *avc =
			list_entry(pos, struct anon_vma_chain, same_anon_vma);

		if (pos->next->prev != pos || left-- <= 0)
			return rmap_report(out, "anon_vma %lu: list links broken", anon_vma->id);
		if (avc->anon_vma != anon_vma)
			ok = rmap_report(out, "anon_vma %lu: avc of anon_vma %lu on its list",
					 anon_vma->id, avc->anon_vma->id);
	}
	return ok;
}

const struct anon_vma_index_ops anon_vma_index_list = {
	.name = "list",
	.keyed = false,
	.init = index_list_init,
	.insert = index_list_insert,
	.remove = index_list_remove,
	.empty = index_list_empty,
	.iter_first = index_list_first,
	.iter_next = index_list_next,
	.contains = index_list_contains,
	.validate = index_list_validate,
};
