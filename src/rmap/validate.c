// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap/validate.c: the invariants of each reverse-map design, checked against what the
 * machine holds (its mms' VMAs, its live anon_vmas). The page side of the reverse map (I1,
 * rmap completeness) is checked by the machine validator (src/validate.c) through the
 * design's vma_reaches and walk.
 *
 * Chain designs (linux, noreuse, nointerval; docs/semantics.md §2.9):
 *   per VMA:      anon_vma NULL <=> chain empty; I5 (one root, vma->anon_vma in the chain);
 *                 I2 (each AVC of the chain is in its anon_vma's index); no anon_vma twice;
 *                 the chain is closed under ->parent (chain = ancestry);
 *   per anon_vma: the index well formed; I2 from the index side (each AVC in it is of this
 *                 anon_vma, of a live VMA, and on that VMA's chain); I3 num_active_vmas;
 *                 I4 num_children (+1 for a root: its self link); I7 refcount >= [index not
 *                 empty] + fork-created anon_vmas beneath it (a root); root and parent live
 *                 and of the same family; no dead root left without a family.
 * legacy (2.6.33):
 *   per VMA:      anon_vma NULL <=> not on any list; else on its anon_vma's list;
 *   per anon_vma: a root with no hierarchy (root = parent = self, counters 0); every entry
 *                 of its list is a live VMA whose anon_vma it is, each once (entries =
 *                 VMAs pointing here); refcount >= [list not empty]; no dead one left.
 *
 * Each check reports one line per violation on out (if not NULL) and returns false.
 * Callers: a per-VMA check needs the VMA's mmap_lock and takes the anon_vma read lock; a
 * whole-machine check needs the machine quiescent (no call in flight).
 */
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "internal.h"

/* ---- the machine as it is: its VMAs and anon_vmas, sorted by address ----------------------- */

/* What the live VMAs and anon_vmas say each anon_vma's counters should be. */
struct av_expect {
	unsigned long active;   /* VMAs using it as primary */
	unsigned long children; /* anon_vmas with a non-empty index whose parent it is */
	unsigned long family;   /* a root: live anon_vmas beneath it */
};

struct census {
	struct vm_area_struct **vmas;
	size_t nr_vmas;
	struct anon_vma **avs;
	struct av_expect *expect; /* per avs[i] */
	size_t nr_avs;
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* Index of p in the sorted array v[n], or -1. */
static long find_ptr(void *const *v, size_t n, const void *p)
{
	void *const *hit = n ? bsearch(&p, v, n, sizeof(*v), cmp_ptr) : NULL;

	return hit ? hit - v : -1;
}

static long census_vma(const struct census *c, const struct vm_area_struct *vma)
{
	return find_ptr((void *const *)c->vmas, c->nr_vmas, vma);
}

static long census_anon_vma(const struct census *c, const struct anon_vma *anon_vma)
{
	return find_ptr((void *const *)c->avs, c->nr_avs, anon_vma);
}

static void census_free(struct census *c)
{
	free(c->vmas);
	free(c->avs);
	free(c->expect);
}

/*
 * Every VMA of every mm of vm (each checked by the design's per-VMA validator), and every
 * live anon_vma, with expect[].active counted. Scratch memory of the validator, not model
 * objects: not through av_alloc. False when out of memory or a VMA is invalid (*ok).
 */
static bool census_take(struct anonvm *vm, struct census *c, FILE *out, bool *ok)
{
	struct vm_area_struct **bigger, *vma;
	struct anon_vma *anon_vma;
	struct mm_struct *mm;
	unsigned long index;
	size_t cap = 0, i;

	*c = (struct census){ 0 };
	spin_lock(&vm->mms_lock);
	list_for_each_entry(mm, &vm->mms, mmlist) {
		mt_for_each(&mm->mm_mt, vma, index, ~0UL) {
			if (c->nr_vmas == cap) {
				cap = cap ? 2 * cap : 64;
				bigger = realloc(c->vmas, cap * sizeof(*c->vmas));
				if (!bigger) {
					spin_unlock(&vm->mms_lock);
					return rmap_report(out, "validator out of memory");
				}
				c->vmas = bigger;
			}
			c->vmas[c->nr_vmas++] = vma;
		}
	}
	spin_unlock(&vm->mms_lock);
	/* not under mms_lock (a leaf): validate_vma takes the anon_vma lock */
	for (i = 0; i < c->nr_vmas; i++)
		if (!vm->rmap->validate_vma(c->vmas[i], out))
			*ok = false;
	if (c->nr_vmas)
		qsort(c->vmas, c->nr_vmas, sizeof(*c->vmas), cmp_ptr);

	spin_lock(&vm->anon_vmas_lock);
	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node)
		c->nr_avs++;
	c->avs = malloc((c->nr_avs + 1) * sizeof(*c->avs));
	c->expect = calloc(c->nr_avs + 1, sizeof(*c->expect));
	if (!c->avs || !c->expect) {
		spin_unlock(&vm->anon_vmas_lock);
		return rmap_report(out, "validator out of memory");
	}
	i = 0;
	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node)
		c->avs[i++] = anon_vma;
	spin_unlock(&vm->anon_vmas_lock);
	qsort(c->avs, c->nr_avs, sizeof(*c->avs), cmp_ptr);

	for (i = 0; i < c->nr_vmas; i++) {
		long k;

		if (!c->vmas[i]->anon_vma)
			continue;
		k = census_anon_vma(c, c->vmas[i]->anon_vma);
		if (k < 0)
			*ok = rmap_report(out, VMA_FMT ": anon_vma not live", VMA_ARGS(c->vmas[i]));
		else
			c->expect[k].active++;
	}
	return true;
}

/* The counters against the expectations (legacy: all zero), the references, a dead root. */
static bool check_counters(const struct census *c, size_t i, bool linked, FILE *out)
{
	const struct anon_vma *anon_vma = c->avs[i];
	const struct av_expect *e = &c->expect[i];
	unsigned long min_ref = linked + e->family;
	int refcount = atomic_load(&anon_vma->refcount);
	bool ok = true;

	if (anon_vma->num_active_vmas != e->active)
		ok = rmap_report(out, "anon_vma %lu: num_active_vmas %lu, expected %lu (I3)",
				 anon_vma->id, anon_vma->num_active_vmas, e->active);
	if (anon_vma->num_children != e->children)
		ok = rmap_report(out, "anon_vma %lu: num_children %lu, expected %lu (I4)",
				 anon_vma->id, anon_vma->num_children, e->children);
	if (refcount <= 0 || (unsigned long)refcount < min_ref)
		ok = rmap_report(out, "anon_vma %lu: refcount %d, expected at least %lu (I7)",
				 anon_vma->id, refcount, min_ref);
	if (!min_ref && anon_vma == anon_vma->root)
		ok = rmap_report(out, "anon_vma %lu: a dead root without a family is live",
				 anon_vma->id);
	return ok;
}

/* ---- chain designs ------------------------------------------------------------------------ */

static bool chain_has(const struct vm_area_struct *vma, const struct anon_vma *anon_vma)
{
	return vma->vm_mm->vm->rmap->vma_reaches(vma, anon_vma);
}

bool anon_vma_validate_vma_avc(struct vm_area_struct *vma, FILE *out)
{
	const struct anon_vma_index_ops *index = vma_rmap(vma)->index;
	struct anon_vma *active = vma->anon_vma;
	struct anon_vma_chain *avc, *other;
	bool ok = true;

	if (!active) {
		if (!list_empty(&vma->anon_vma_chain))
			ok = rmap_report(out, VMA_FMT ": no anon_vma but a chain", VMA_ARGS(vma));
		return ok;
	}
	if (!chain_has(vma, active))
		ok = rmap_report(out, VMA_FMT ": anon_vma %lu not in its chain (I5)",
				 VMA_ARGS(vma), active->id);
	anon_vma_lock_read(active);
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		if (avc->vma != vma)
			ok = rmap_report(out, VMA_FMT ": avc of another VMA on the chain",
					 VMA_ARGS(vma));
		if (anon_vma->root != active->root)
			ok = rmap_report(out, VMA_FMT ": anon_vma %lu has root %lu, expected %lu (I5)",
					 VMA_ARGS(vma), anon_vma->id, anon_vma->root->id,
					 active->root->id);
		else if (!index->contains(anon_vma, avc))
			ok = rmap_report(out, VMA_FMT ": avc not in the %s of anon_vma %lu (I2)",
					 VMA_ARGS(vma), index->name, anon_vma->id);
		if (anon_vma != anon_vma->root && !chain_has(vma, anon_vma->parent))
			ok = rmap_report(out, VMA_FMT ": anon_vma %lu in the chain, its parent not",
					 VMA_ARGS(vma), anon_vma->id);
		/* each pair once: avc against the entries after it */
		list_for_each_entry_reverse(other, &vma->anon_vma_chain, same_vma) {
			if (other == avc)
				break;
			if (other->anon_vma == anon_vma)
				ok = rmap_report(out, VMA_FMT ": anon_vma %lu twice in the chain",
						 VMA_ARGS(vma), anon_vma->id);
		}
	}
	anon_vma_unlock_read(active);
	return ok;
}

/*
 * The checks of one anon_vma that need no expectations: its index, and each AVC in it (I2
 * from the index side). Fills the expectations of its root and parent.
 */
static bool validate_anon_vma_index(struct census *c, size_t i, FILE *out)
{
	struct anon_vma *anon_vma = c->avs[i];
	const struct anon_vma_index_ops *index = anon_vma->vm->rmap->index;
	struct anon_vma_chain *avc;
	long root, parent;
	bool ok = true;

	if (!index->validate(anon_vma, out))
		return rmap_report(out, "anon_vma %lu: %s broken", anon_vma->id, index->name);
	anon_vma_index_foreach(avc, index, anon_vma, 0, ~0UL) {
		if (avc->anon_vma != anon_vma)
			ok = rmap_report(out, "anon_vma %lu: avc of anon_vma %lu in its %s",
					 anon_vma->id, avc->anon_vma->id, index->name);
		if (census_vma(c, avc->vma) < 0) {
			ok = rmap_report(out, "anon_vma %lu: avc of a VMA that is not live (%p)",
					 anon_vma->id, (void *)avc->vma);
			continue;
		}
		if (!chain_has(avc->vma, anon_vma))
			ok = rmap_report(out, "anon_vma %lu: " VMA_FMT " in its %s, not in its chain"
					 " (I2)", anon_vma->id, VMA_ARGS(avc->vma), index->name);
	}

	root = census_anon_vma(c, anon_vma->root);
	if (root < 0)
		return rmap_report(out, "anon_vma %lu: root not live", anon_vma->id);
	if (c->avs[root]->root != c->avs[root])
		ok = rmap_report(out, "anon_vma %lu: root %lu is not a root", anon_vma->id,
				 c->avs[root]->id);
	if (anon_vma->root != anon_vma)
		c->expect[root].family++;
	if (index->empty(anon_vma))
		return ok; /* dead, kept by references: its parent may be gone */
	parent = census_anon_vma(c, anon_vma->parent);
	if (parent < 0)
		return rmap_report(out, "anon_vma %lu: parent not live", anon_vma->id);
	if (c->avs[parent]->root != anon_vma->root)
		ok = rmap_report(out, "anon_vma %lu: parent %lu in another family", anon_vma->id,
				 c->avs[parent]->id);
	c->expect[parent].children++;
	return ok;
}

bool anon_vma_validate_avc(struct anonvm *vm, FILE *out)
{
	const struct anon_vma_index_ops *index = vm->rmap->index;
	struct census c;
	bool ok = true;
	size_t i;

	if (!census_take(vm, &c, out, &ok)) {
		census_free(&c);
		return false;
	}
	for (i = 0; i < c.nr_avs; i++)
		if (!validate_anon_vma_index(&c, i, out))
			ok = false;
	for (i = 0; i < c.nr_avs; i++)
		if (!check_counters(&c, i, !index->empty(c.avs[i]), out))
			ok = false;
	census_free(&c);
	return ok;
}

/* ---- legacy -------------------------------------------------------------------------------- */

static bool legacy_list_has(const struct anon_vma *anon_vma, const struct vm_area_struct *vma)
{
	const struct vm_area_struct *pos;

	list_for_each_entry(pos, &anon_vma->head, anon_vma_node)
		if (pos == vma)
			return true;
	return false;
}

bool anon_vma_validate_vma_legacy(struct vm_area_struct *vma, FILE *out)
{
	struct anon_vma *anon_vma = vma->anon_vma;
	bool ok = true;

	if (!anon_vma) {
		if (!list_empty(&vma->anon_vma_node))
			ok = rmap_report(out, VMA_FMT ": no anon_vma but on a list", VMA_ARGS(vma));
		return ok;
	}
	if (anon_vma->root != anon_vma || anon_vma->parent != anon_vma)
		return rmap_report(out, VMA_FMT ": anon_vma %lu is not a family's own",
				   VMA_ARGS(vma), anon_vma->id);
	anon_vma_lock_read(anon_vma);
	if (!legacy_list_has(anon_vma, vma))
		ok = rmap_report(out, VMA_FMT ": not on the list of its anon_vma %lu",
				 VMA_ARGS(vma), anon_vma->id);
	anon_vma_unlock_read(anon_vma);
	return ok;
}

bool anon_vma_validate_legacy(struct anonvm *vm, FILE *out)
{
	struct vm_area_struct *vma;
	struct census c;
	bool ok = true;

	if (!census_take(vm, &c, out, &ok)) {
		census_free(&c);
		return false;
	}
	for (size_t i = 0; i < c.nr_avs; i++) {
		struct anon_vma *anon_vma = c.avs[i];
		size_t left = c.nr_vmas; /* more entries than VMAs: a cycle */
		unsigned long entries = 0;

		if (anon_vma->root != anon_vma || anon_vma->parent != anon_vma ||
		    anon_vma->num_active_vmas || anon_vma->num_children)
			ok = rmap_report(out, "anon_vma %lu: not a family's own (root %lu parent %lu"
					 " active %lu children %lu)", anon_vma->id,
					 anon_vma->root->id, anon_vma->parent->id,
					 anon_vma->num_active_vmas, anon_vma->num_children);
		list_for_each_entry(vma, &anon_vma->head, anon_vma_node) {
			if (!left--) {
				ok = rmap_report(out, "anon_vma %lu: list links broken", anon_vma->id);
				break;
			}
			entries++;
			if (census_vma(&c, vma) < 0)
				ok = rmap_report(out, "anon_vma %lu: a VMA that is not live (%p)",
						 anon_vma->id, (void *)vma);
			else if (vma->anon_vma != anon_vma)
				ok = rmap_report(out, "anon_vma %lu: " VMA_FMT " on its list points"
						 " to anon_vma %lu", anon_vma->id, VMA_ARGS(vma),
						 vma->anon_vma ? vma->anon_vma->id : 0);
		}
		/* every VMA pointing here is on the list (per VMA), so equal counts: each once */
		if (entries != c.expect[i].active)
			ok = rmap_report(out, "anon_vma %lu: %lu entries, %lu VMAs point to it",
					 anon_vma->id, entries, c.expect[i].active);
		c.expect[i].active = 0; /* legacy keeps no num_active_vmas */
		if (!check_counters(&c, i, entries > 0, out))
			ok = false;
	}
	census_free(&c);
	return ok;
}
