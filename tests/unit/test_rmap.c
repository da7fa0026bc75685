// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rmap.c: the reverse-map designs, one test per algorithm of docs/semantics.md §2 and
 * the walk of §3. The chain tests run once per chain design (linux, noreuse, nointerval),
 * with the expectations of each where they differ (reuse, the walk's order); the legacy
 * tests run on legacy.
 *
 * The VMA layer is not used: machines, mms and VMAs are built by hand (struct anonvm with
 * vm->rmap = the design under test, mm_struct with a real maple tree, vm_area_structs stored in
 * it), and the few VMA-layer steps the algorithms sit in (split, mremap's copy, fork of an
 * mm, exit) are emulated below in the kernel's order. Every mm of a test is write-locked by
 * the test thread for its whole life, as the algorithms assert.
 *
 * After each step the whole machine goes through the design's validator (rmap_validate);
 * frees go through call_rcu, so leak checks wait with rcu_barrier().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "alloc.h"
#include "rmap/interval_tree.h"
#include "rmap.h"

#define BASE 0x100000000000UL
#define PG(n) ((unsigned long)(n) << PAGE_SHIFT)
#define VM_ANON_RW (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

/* The design under test: set by main() before each group. */
static const struct rmap_ops *design;

/* ---- hand-built machines ------------------------------------------------------------ */

static struct anonvm *vm_new(void)
{
	struct anonvm *vm = aligned_alloc(SMP_CACHE_BYTES, sizeof(*vm)); /* per-CPU counters */

	assert_non_null(vm);
	memset(vm, 0, sizeof(*vm));
	vm->rmap = design;
	vm->cfg.design = design->design;
	vm->cfg.debug_level = anonvm_debug_level();
	spin_lock_init(&vm->mms_lock);
	INIT_LIST_HEAD(&vm->mms);
	spin_lock_init(&vm->anon_vmas_lock);
	INIT_LIST_HEAD(&vm->anon_vmas);
	return vm;
}

static struct mm_struct *mm_new(struct anonvm *vm)
{
	struct mm_struct *mm = calloc(1, sizeof(*mm));

	assert_non_null(mm);
	mt_init(&mm->mm_mt);
	init_rwsem(&mm->mmap_lock);
	spin_lock_init(&mm->page_table_lock);
	mm->vm = vm;
	mm->id = ++vm->next_mm_id;
	snprintf(mm->name, sizeof(mm->name), "mm %lu", mm->id);
	list_add_tail(&mm->mmlist, &vm->mms);
	mmap_write_lock(mm);
	return mm;
}

static void vma_store(struct vm_area_struct *vma)
{
	assert_int_equal(mtree_store_range(&vma->vm_mm->mm_mt, vma->vm_start, vma->vm_end - 1, vma),
			 0);
}

static struct vm_area_struct *vma_new_flags(struct mm_struct *mm, unsigned long start,
					    unsigned long pages, unsigned long flags)
{
	struct vm_area_struct *vma = calloc(1, sizeof(*vma));

	assert_non_null(vma);
	vma->vm_mm = mm;
	vma->vm_start = start;
	vma->vm_end = start + PG(pages);
	vma->vm_flags = flags;
	vma->vm_pgoff = start >> PAGE_SHIFT;
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	vma_store(vma);
	return vma;
}

static struct vm_area_struct *vma_new(struct mm_struct *mm, unsigned long start,
				      unsigned long pages)
{
	return vma_new_flags(mm, start, pages, VM_ANON_RW);
}

/* vm_area_dup: every field (anon_vma too), an empty chain, not in a tree. */
static struct vm_area_struct *vma_dup(struct vm_area_struct *orig, struct mm_struct *mm)
{
	struct vm_area_struct *vma = malloc(sizeof(*vma));

	assert_non_null(vma);
	*vma = *orig;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	return vma;
}

/* munmap/exit of a whole VMA. */
static void vma_remove(struct vm_area_struct *vma)
{
	unlink_anon_vmas(vma);
	assert_null(vma->anon_vma);
	assert_true(list_empty(&vma->anon_vma_chain));
	assert_ptr_equal(mtree_erase(&vma->vm_mm->mm_mt, vma->vm_start), vma);
	free(vma);
}

static struct vm_area_struct *vma_lookup_test(struct mm_struct *mm, unsigned long addr)
{
	return mtree_load(&mm->mm_mt, addr);
}

static void fault(struct vm_area_struct *vma)
{
	assert_int_equal(anon_vma_prepare(vma), 0);
	assert_non_null(vma->anon_vma);
}

/* dup_mmap for one VMA. */
static struct vm_area_struct *fork_vma(struct mm_struct *child, struct vm_area_struct *pvma)
{
	struct vm_area_struct *vma = vma_dup(pvma, child);

	assert_int_equal(anon_vma_fork(vma, pvma), 0);
	vma_store(vma);
	return vma;
}

#define for_each_test_vma(mm, vma, index) mt_for_each(&(mm)->mm_mt, vma, index, ~0UL)

static struct mm_struct *fork_mm(struct mm_struct *parent)
{
	struct mm_struct *child = mm_new(parent->vm);
	struct vm_area_struct *vma;
	unsigned long index;

	for_each_test_vma(parent, vma, index)
		fork_vma(child, vma);
	return child;
}

static void exit_mm(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long index = 0;

	while ((vma = mt_find(&mm->mm_mt, &index, ~0UL))) {
		vma_remove(vma);
		index = 0;
	}
	mt_destroy(&mm->mm_mt);
	mmap_write_unlock(mm);
	list_del(&mm->mmlist);
	destroy_rwsem(&mm->mmap_lock);
	spin_lock_destroy(&mm->page_table_lock);
	free(mm);
}

static void vm_free(struct anonvm *vm)
{
	while (!list_empty(&vm->mms))
		exit_mm(list_first_entry(&vm->mms, struct mm_struct, mmlist));
	assert_true(list_empty(&vm->anon_vmas));
	spin_lock_destroy(&vm->mms_lock);
	spin_lock_destroy(&vm->anon_vmas_lock);
	free(vm);
}

/* __split_vma: vma keeps [start, addr), the new VMA gets [addr, end). */
static struct vm_area_struct *split_vma(struct vm_area_struct *vma, unsigned long addr)
{
	struct vm_area_struct *new = vma_dup(vma, vma->vm_mm);

	new->vm_start = addr;
	new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	assert_int_equal(anon_vma_clone(new, vma, VMA_OP_SPLIT), 0);
	if (vma->anon_vma) {
		anon_vma_lock_write(vma->anon_vma);
		anon_vma_interval_tree_pre_update_vma(vma);
	}
	vma->vm_end = addr;
	if (vma->anon_vma) {
		anon_vma_interval_tree_post_update_vma(vma);
		anon_vma_unlock_write(vma->anon_vma);
	}
	vma_store(new);
	return new;
}

/* mremap's copy_vma without a merge, then the unmap of the source. */
static struct vm_area_struct *remap_vma(struct vm_area_struct *vma, unsigned long new_addr)
{
	struct vm_area_struct *new = vma_dup(vma, vma->vm_mm);

	new->vm_end = new_addr + (vma->vm_end - vma->vm_start);
	new->vm_start = new_addr;
	if (!vma->anon_vma)
		new->vm_pgoff = new_addr >> PAGE_SHIFT;
	assert_int_equal(anon_vma_clone(new, vma, VMA_OP_REMAP), 0);
	vma_store(new);
	vma_remove(vma);
	return new;
}

static void check(struct anonvm *vm)
{
	assert_true(rmap_validate(vm, stderr));
}

static size_t nr_anon_vmas(struct anonvm *vm)
{
	struct anon_vma *av;
	size_t n = 0;

	list_for_each_entry(av, &vm->anon_vmas, vm_node)
		n++;
	return n;
}

/* Entries of av's index. */
static unsigned long index_count(struct anon_vma *av)
{
	struct anon_vma_chain *avc;
	unsigned long n = 0;

	for (avc = design->index->iter_first(av, 0, ~0UL); avc;
	     avc = design->index->iter_next(avc, 0, ~0UL))
		n++;
	return n;
}

static size_t chain_len(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;
	size_t n = 0;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		n++;
	return n;
}

static bool in_chain(struct vm_area_struct *vma, struct anon_vma *av)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		if (avc->anon_vma == av)
			return true;
	return false;
}

/* Live objects of the rmap, after every pending RCU free has run. */
struct live {
	long anon_vma, avc;
};

static struct live live_now(void)
{
	rcu_barrier();
	return (struct live){ av_live(AV_OBJ_ANON_VMA), av_live(AV_OBJ_AVC) };
}

static void assert_live(struct live before)
{
	struct live now = live_now();

	assert_int_equal(now.anon_vma, before.anon_vma);
	assert_int_equal(now.avc, before.avc);
}

/* Counters of every live anon_vma, to prove that a failed call changed nothing. */
struct snapshot {
	size_t nr;
	struct {
		struct anon_vma *av;
		int refcount;
		unsigned long children, active, nodes;
	} e[64];
};

static void snap(struct anonvm *vm, struct snapshot *s)
{
	struct anon_vma *av;

	s->nr = 0;
	list_for_each_entry(av, &vm->anon_vmas, vm_node) {
		assert_true(s->nr < 64);
		s->e[s->nr].av = av;
		s->e[s->nr].refcount = atomic_load(&av->refcount);
		s->e[s->nr].children = av->num_children;
		s->e[s->nr].active = av->num_active_vmas;
		assert_true(design->index->validate(av, stderr));
		s->e[s->nr].nodes = index_count(av);
		s->nr++;
	}
}

static void assert_snap_equal(struct anonvm *vm, const struct snapshot *a)
{
	struct snapshot b;

	snap(vm, &b);
	assert_int_equal(a->nr, b.nr);
	for (size_t i = 0; i < a->nr; i++) {
		assert_ptr_equal(a->e[i].av, b.e[i].av);
		assert_int_equal(a->e[i].refcount, b.e[i].refcount);
		assert_int_equal(a->e[i].children, b.e[i].children);
		assert_int_equal(a->e[i].active, b.e[i].active);
		assert_int_equal(a->e[i].nodes, b.e[i].nodes);
	}
}

/* ---- §2.1 anon_vma_prepare ------------------------------------------------------------ */

static void test_prepare_new_root(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *mm = mm_new(vm);
	struct vm_area_struct *a = vma_new(mm, BASE, 4);
	struct anon_vma_chain *avc;
	struct anon_vma *av;

	(void)state;
	assert_null(a->anon_vma);
	fault(a);
	av = a->anon_vma;
	assert_ptr_equal(av->root, av);
	assert_ptr_equal(av->parent, av);
	assert_int_equal(atomic_load(&av->refcount), 1);
	assert_int_equal(av->num_children, 1); /* the self link */
	assert_int_equal(av->num_active_vmas, 1);
	assert_true(list_is_singular(&a->anon_vma_chain));
	avc = list_first_entry(&a->anon_vma_chain, struct anon_vma_chain, same_vma);
	assert_ptr_equal(avc->anon_vma, av);
	assert_ptr_equal(avc->vma, a);
	assert_true(design->index->contains(av, avc));
	assert_false(vma_is_fork_child(a));
	assert_int_equal(vm_events_read(vm, anon_vma_alloc), 1);
	assert_int_equal(vm_events_read(vm, avc_alloc), 1);
	check(vm);

	/* the fast path allocates nothing */
	fault(a);
	assert_ptr_equal(a->anon_vma, av);
	assert_int_equal(vm_events_read(vm, avc_alloc), 1);

	vm_free(vm);
	assert_live(base);
}

static void test_prepare_reuses_compatible_neighbour(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *mm = mm_new(vm);
	struct vm_area_struct *a, *b, *c, *d, *e, *f, *g, *h, *s;

	(void)state;
	/* b continues a; flags differ only in access bits and soft-dirty */
	a = vma_new(mm, BASE, 4);
	b = vma_new_flags(mm, BASE + PG(4), 4, (VM_ANON_RW & ~VM_WRITE) | VM_EXEC | VM_SOFTDIRTY);
	fault(a);
	fault(b);
	assert_ptr_equal(b->anon_vma, a->anon_vma);
	assert_int_equal(a->anon_vma->num_active_vmas, 2);
	assert_int_equal(atomic_load(&a->anon_vma->refcount), 1);
	assert_int_equal(a->anon_vma->num_children, 1);
	assert_int_equal(nr_anon_vmas(vm), 1);
	check(vm);

	/* next is tried first: d sits between b (prev) and c (next) */
	c = vma_new(mm, BASE + PG(12), 4);
	fault(c); /* not adjacent to b: a new root */
	assert_ptr_not_equal(c->anon_vma, a->anon_vma);
	d = vma_new(mm, BASE + PG(8), 4);
	fault(d);
	assert_ptr_equal(d->anon_vma, c->anon_vma);
	assert_int_equal(c->anon_vma->num_active_vmas, 2);

	/* pgoff not continuous: no */
	e = vma_new(mm, BASE + PG(16), 4);
	e->vm_pgoff++;
	fault(e);
	assert_ptr_not_equal(e->anon_vma, c->anon_vma);
	/* VM_MAYWRITE differs (not an access bit): no */
	f = vma_new_flags(mm, BASE + PG(20), 4, VM_ANON_RW & ~VM_MAYWRITE);
	f->vm_pgoff = e->vm_pgoff + 4;
	fault(f);
	assert_ptr_not_equal(f->anon_vma, e->anon_vma);
	/* a one-page gap: no */
	g = vma_new(mm, BASE + PG(25), 4);
	fault(g);
	assert_ptr_not_equal(g->anon_vma, f->anon_vma);
	/* a different file (shared mapping): no */
	s = vma_new(mm, BASE + PG(29), 4);
	s->vm_file = (struct shmem_file *)(uintptr_t)0x1000;
	h = vma_new(mm, BASE + PG(33), 4);
	fault(s);
	assert_ptr_not_equal(s->anon_vma, g->anon_vma);
	fault(h); /* h itself is anonymous; its only neighbour is the shared s */
	assert_ptr_not_equal(h->anon_vma, s->anon_vma);
	s->vm_file = NULL;

	assert_int_equal(nr_anon_vmas(vm), 7);
	check(vm);
	vm_free(vm);
	assert_live(base);
}

static void test_prepare_not_from_fork_child(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *parent = mm_new(vm), *child;
	struct vm_area_struct *a, *ca, *cb, *pb;

	(void)state;
	a = vma_new(parent, BASE, 4);
	fault(a);
	child = fork_mm(parent);
	ca = vma_lookup_test(child, BASE);
	assert_true(vma_is_fork_child(ca));

	/* the child's neighbour of a fork child gets a new root (T4: not merged) */
	cb = vma_new(child, BASE + PG(4), 4);
	fault(cb);
	assert_ptr_not_equal(cb->anon_vma, ca->anon_vma);
	assert_ptr_not_equal(cb->anon_vma->root, a->anon_vma);
	assert_ptr_equal(cb->anon_vma->root, cb->anon_vma);
	assert_false(vma_is_fork_child(cb));

	/* the parent's neighbour still shares the parent's (singular) anon_vma */
	pb = vma_new(parent, BASE + PG(4), 4);
	fault(pb);
	assert_ptr_equal(pb->anon_vma, a->anon_vma);
	check(vm);
	vm_free(vm);
	assert_live(base);
}

static void test_prepare_enomem(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *mm = mm_new(vm);
	struct vm_area_struct *a = vma_new(mm, BASE, 4), *b = vma_new(mm, BASE + PG(4), 4);

	(void)state;
	/* allocations: the AVC, then the anon_vma */
	for (long n = 1; n <= 2; n++) {
		av_fail_nth(n);
		assert_int_equal(anon_vma_prepare(a), -ENOMEM);
		av_fail_nth(0);
		assert_null(a->anon_vma);
		assert_true(list_empty(&a->anon_vma_chain));
		assert_live(base);
	}
	fault(a);
	/* reusing a's anon_vma needs only the AVC */
	av_fail_nth(1);
	assert_int_equal(anon_vma_prepare(b), -ENOMEM);
	av_fail_nth(0);
	assert_null(b->anon_vma);
	fault(b);
	assert_ptr_equal(b->anon_vma, a->anon_vma);
	check(vm);
	vm_free(vm);
	assert_live(base);
}

/* ---- §2.2 anon_vma_clone ------------------------------------------------------------- */

/* Three generations: a in p (a root), ca in c = fork(p), ga in g = fork(c). */
struct family {
	struct mm_struct *p, *c, *g;
	struct vm_area_struct *a, *ca, *ga;
};

static void family_new(struct anonvm *vm, struct family *f, unsigned long pages)
{
	f->p = mm_new(vm);
	f->a = vma_new(f->p, BASE, pages);
	fault(f->a);
	f->c = fork_mm(f->p);
	f->ca = vma_lookup_test(f->c, BASE);
	f->g = fork_mm(f->c);
	f->ga = vma_lookup_test(f->g, BASE);
}

/* dst: an unlinked VMA at a free address of src's mm, src's pgoff (as mremap keeps it). */
static struct vm_area_struct *clone_target(struct vm_area_struct *src, unsigned long addr)
{
	struct vm_area_struct *dst = vma_dup(src, src->vm_mm);

	dst->vm_end = addr + (src->vm_end - src->vm_start);
	dst->vm_start = addr;
	return dst;
}

/* A successful non-fork clone: dst joins exactly src's anon_vmas; one counter changes. */
static void clone_and_check(struct anonvm *vm, struct vm_area_struct *dst,
			    struct vm_area_struct *src, enum vma_operation op)
{
	struct anon_vma_chain *s, *d;
	struct snapshot before, after;

	snap(vm, &before);
	assert_int_equal(anon_vma_clone(dst, src, op), 0);
	assert_ptr_equal(dst->anon_vma, src->anon_vma);
	assert_int_equal(chain_len(dst), chain_len(src));
	/* dst's list is src's, in the same order; every AVC is in its tree */
	d = list_first_entry(&dst->anon_vma_chain, struct anon_vma_chain, same_vma);
	list_for_each_entry(s, &src->anon_vma_chain, same_vma) {
		assert_ptr_equal(d->anon_vma, s->anon_vma);
		assert_ptr_equal(d->vma, dst);
		assert_true(design->index->contains(d->anon_vma, d));
		d = list_entry(d->same_vma.next, struct anon_vma_chain, same_vma);
	}
	snap(vm, &after);
	assert_int_equal(before.nr, after.nr);
	for (size_t i = 0; i < before.nr; i++) {
		struct anon_vma *av = before.e[i].av;

		assert_int_equal(after.e[i].refcount, before.e[i].refcount);
		assert_int_equal(after.e[i].children, before.e[i].children);
		assert_int_equal(after.e[i].active, before.e[i].active + (av == src->anon_vma));
		assert_int_equal(after.e[i].nodes, before.e[i].nodes + in_chain(src, av));
	}
	assert_false(vm_events_read(vm, anon_vma_reuse));
}

static void test_clone_each_op(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct vm_area_struct *dst, *lo, *hi, *u;
	struct family f;

	(void)state;
	family_new(vm, &f, 16);
	assert_int_equal(chain_len(f.ga), 3);

	/* REMAP of a grandchild VMA: all three anon_vmas */
	dst = clone_target(f.ga, BASE + PG(256));
	clone_and_check(vm, dst, f.ga, VMA_OP_REMAP);
	vma_store(dst);
	assert_true(vma_is_fork_child(dst));
	check(vm);

	/* SPLIT, the whole step (clone, then shrink and reindex the original) */
	dst = clone_target(f.ca, BASE + PG(512));
	clone_and_check(vm, dst, f.ca, VMA_OP_SPLIT);
	vma_store(dst);
	check(vm);
	lo = f.ga;
	hi = split_vma(lo, BASE + PG(5));
	assert_int_equal(lo->vm_end, BASE + PG(5));
	assert_int_equal(hi->vm_pgoff, lo->vm_pgoff + 5);
	assert_ptr_equal(hi->anon_vma, lo->anon_vma);
	assert_int_equal(lo->anon_vma->num_active_vmas, 3); /* ga, its remap copy, hi */
	check(vm);

	/* MERGE_UNFAULTED: an unfaulted neighbour takes a singular chain (dup_anon_vma) */
	u = vma_new(f.p, BASE + PG(16), 4);
	u->anon_vma = f.a->anon_vma;
	clone_and_check(vm, u, f.a, VMA_OP_MERGE_UNFAULTED);
	assert_false(vma_is_fork_child(u));
	check(vm);

	/* an unfaulted source: nothing to do */
	dst = vma_new(f.p, BASE + PG(64), 4);
	u = clone_target(dst, BASE + PG(128));
	assert_int_equal(anon_vma_clone(u, dst, VMA_OP_REMAP), 0);
	assert_null(u->anon_vma);
	assert_true(list_empty(&u->anon_vma_chain));
	free(u);

	vm_free(vm);
	assert_live(base);
}

/*
 * ENOMEM at each allocation of a clone (one per AVC of src): nothing changed, dst->anon_vma
 * NULL, dst's chain empty; the next attempt without injection succeeds.
 */
static void clone_enomem_sweep(struct anonvm *vm, struct vm_area_struct *src,
			       enum vma_operation op, unsigned long addr)
{
	size_t nr = chain_len(src);
	struct vm_area_struct *dst;
	struct snapshot before;
	struct live live;

	for (size_t n = 1; n <= nr; n++) {
		dst = clone_target(src, addr);
		snap(vm, &before);
		live = live_now();
		av_fail_nth(n);
		assert_int_equal(anon_vma_clone(dst, src, op), -ENOMEM);
		av_fail_nth(0);
		assert_null(dst->anon_vma);
		assert_true(list_empty(&dst->anon_vma_chain));
		assert_snap_equal(vm, &before);
		assert_live(live);
		check(vm);
		free(dst);
	}
	dst = clone_target(src, addr);
	av_fail_nth(nr + 1);
	assert_int_equal(anon_vma_clone(dst, src, op), 0);
	av_fail_nth(0);
	vma_store(dst);
	check(vm);
}

static void test_clone_enomem_at_every_allocation(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct vm_area_struct *u;
	struct family f;

	(void)state;
	family_new(vm, &f, 8);
	clone_enomem_sweep(vm, f.ga, VMA_OP_REMAP, BASE + PG(100));
	clone_enomem_sweep(vm, f.ca, VMA_OP_SPLIT, BASE + PG(200));

	/* MERGE_UNFAULTED: dst had the anon_vma set by dup_anon_vma; the error clears it */
	u = vma_new(f.p, BASE + PG(8), 4);
	u->anon_vma = f.a->anon_vma;
	av_fail_nth(1);
	assert_int_equal(anon_vma_clone(u, f.a, VMA_OP_MERGE_UNFAULTED), -ENOMEM);
	av_fail_nth(0);
	assert_null(u->anon_vma);
	assert_true(list_empty(&u->anon_vma_chain));
	check(vm);

	vm_free(vm);
	assert_live(base);
}

/* ---- §2.3 anon_vma_fork ---------------------------------------------------------------- */

static void test_fork(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c, *g;
	struct vm_area_struct *a, *ca, *cu, *ga;
	struct anon_vma *r, *cav, *gav;
	struct anon_vma_chain *pavc;

	(void)state;
	a = vma_new(p, BASE, 8);
	vma_new(p, BASE + PG(64), 8); /* never faulted */
	fault(a);
	r = a->anon_vma;
	pavc = list_first_entry(&a->anon_vma_chain, struct anon_vma_chain, same_vma);

	c = fork_mm(p);
	ca = vma_lookup_test(c, BASE);
	cu = vma_lookup_test(c, BASE + PG(64));
	cav = ca->anon_vma;
	/* the child's own anon_vma below the parent's */
	assert_ptr_not_equal(cav, r);
	assert_ptr_equal(cav->root, r);
	assert_ptr_equal(cav->parent, r);
	assert_int_equal(atomic_load(&r->refcount), 2);   /* its tree + cav's root pin */
	assert_int_equal(atomic_load(&cav->refcount), 1);
	assert_int_equal(r->num_children, 2);             /* self + cav */
	assert_int_equal(cav->num_children, 0);
	assert_int_equal(cav->num_active_vmas, 1);
	assert_int_equal(r->num_active_vmas, 1);
	/* chain = ancestry, own first */
	assert_int_equal(chain_len(ca), 2);
	assert_ptr_equal(list_first_entry(&ca->anon_vma_chain, struct anon_vma_chain,
					  same_vma)->anon_vma, cav);
	assert_true(in_chain(ca, r));
	assert_true(vma_is_fork_child(ca));
	/* the parent's chain is unchanged */
	assert_true(list_is_singular(&a->anon_vma_chain));
	assert_ptr_equal(list_first_entry(&a->anon_vma_chain, struct anon_vma_chain, same_vma),
			 pavc);
	assert_false(vma_is_fork_child(a));
	/* unfaulted: nothing */
	assert_null(cu->anon_vma);
	assert_true(list_empty(&cu->anon_vma_chain));
	check(vm);

	g = fork_mm(c);
	ga = vma_lookup_test(g, BASE);
	gav = ga->anon_vma;
	assert_ptr_equal(gav->parent, cav);
	assert_ptr_equal(gav->root, r);
	assert_int_equal(atomic_load(&r->refcount), 3);
	assert_int_equal(cav->num_children, 1);
	assert_int_equal(r->num_children, 2);
	assert_int_equal(chain_len(ga), 3);
	assert_true(in_chain(ga, r) && in_chain(ga, cav) && in_chain(ga, gav));
	assert_int_equal(vm_events_read(vm, anon_vma_alloc), 3);
	assert_int_equal(vm_events_read(vm, anon_vma_reuse), 0);
	check(vm);

	vm_free(vm);
	assert_live(base);
}

/*
 * ENOMEM at each allocation of anon_vma_fork: its own anon_vma, its AVC, then one AVC per
 * AVC of the parent VMA. Nothing changes; the child VMA is left unfaulted.
 */
static void test_fork_enomem_at_every_allocation(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *child;
	struct vm_area_struct *vma;
	struct snapshot before;
	struct family f;
	size_t nr;

	(void)state;
	family_new(vm, &f, 8);
	child = mm_new(vm);
	nr = 2 + chain_len(f.ga);
	for (size_t n = 1; n <= nr; n++) {
		struct live live = live_now();

		vma = vma_dup(f.ga, child);
		snap(vm, &before);
		av_fail_nth(n);
		assert_int_equal(anon_vma_fork(vma, f.ga), -ENOMEM);
		av_fail_nth(0);
		assert_null(vma->anon_vma);
		assert_true(list_empty(&vma->anon_vma_chain));
		assert_snap_equal(vm, &before);
		assert_live(live);
		free(vma);
		check(vm);
	}
	vma = vma_dup(f.ga, child);
	av_fail_nth(nr + 1);
	assert_int_equal(anon_vma_fork(vma, f.ga), 0);
	av_fail_nth(0);
	vma_store(vma);
	assert_int_equal(chain_len(vma), 4);
	check(vm);
	vm_free(vm);
	assert_live(base);
}

/* ---- the reuse rule in fork chains ------------------------------------------------------ */

static size_t nr_vmas(struct anonvm *vm)
{
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long index;
	size_t n = 0;

	list_for_each_entry(mm, &vm->mms, mmlist)
		for_each_test_vma(mm, vma, index)
			n++;
	return n;
}

static void assert_no_root_reused(struct anonvm *vm)
{
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long index;

	list_for_each_entry(mm, &vm->mms, mmlist)
		for_each_test_vma(mm, vma, index)
			if (vma_is_fork_child(vma))
				assert_ptr_not_equal(vma->anon_vma, vma->anon_vma->root);
}

/*
 * forkchain: each generation forks a child and exits; the child forks again. Without
 * reuse every generation adds an anon_vma per VMA (G + 1 after G generations); with it the
 * hierarchy stays at most 2 anon_vmas per VMA plus the root of each family.
 */
static void test_reuse_in_fork_chain(void **state)
{
	enum { GENERATIONS = 60, V = 3 };
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *cur = mm_new(vm), *child;
	size_t most = 0;

	(void)state;
	for (int i = 0; i < V; i++)
		fault(vma_new(cur, BASE + PG(64) * i, 16));
	for (int gen = 1; gen <= GENERATIONS; gen++) {
		child = fork_mm(cur);
		exit_mm(cur);
		cur = child;
		rcu_barrier();
		check(vm);
		assert_int_equal(nr_vmas(vm), V);
		if (design->reuse)
			assert_true(nr_anon_vmas(vm) <= 2 * V + V);
		else
			assert_int_equal(nr_anon_vmas(vm), V * (gen + 1));
		assert_no_root_reused(vm);
		if (nr_anon_vmas(vm) > most)
			most = nr_anon_vmas(vm);
	}
	print_message("forkchain on %s: %d generations, %d VMAs: at most %zu anon_vmas, %lu reuses\n",
		      design->name, GENERATIONS, V, most, (unsigned long)vm_events_read(vm, anon_vma_reuse));
	if (design->reuse) {
		assert_true(most < GENERATIONS);
		assert_true(vm_events_read(vm, anon_vma_reuse) >= V * (GENERATIONS / 2 - 1));
	} else {
		/* every generation's anon_vmas stay in the chain: one more per VMA each time */
		assert_int_equal(most, V * (GENERATIONS + 1));
		assert_int_equal(vm_events_read(vm, anon_vma_reuse), 0);
	}
	vm_free(vm);
	assert_live(base);
}

/* A child forking while its parent lives: nothing to reuse, every anon_vma has its VMA. */
static void test_no_reuse_while_ancestors_live(void **state)
{
	enum { DEPTH = 12 };
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *cur = mm_new(vm);

	(void)state;
	fault(vma_new(cur, BASE, 4));
	for (int gen = 1; gen <= DEPTH; gen++) {
		cur = fork_mm(cur);
		assert_int_equal(chain_len(vma_lookup_test(cur, BASE)), gen + 1);
	}
	assert_int_equal(nr_anon_vmas(vm), DEPTH + 1);
	assert_int_equal(vm_events_read(vm, anon_vma_reuse), 0);
	check(vm);
	vm_free(vm);
	assert_live(base);
}

/*
 * CVE-2022-42703's shape: an anon_vma without VMAs but with two live children must not be
 * reused (the old single `degree` counted VMAs and children together); with one child left
 * it is.
 */
static void test_reuse_needs_at_most_one_child(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c, *g1, *g2, *x, *y;
	struct anon_vma *cav, *g1av;
	struct vm_area_struct *xa, *ya;

	(void)state;
	fault(vma_new(p, BASE, 4));
	c = fork_mm(p);
	cav = vma_lookup_test(c, BASE)->anon_vma;
	g1 = fork_mm(c);
	g2 = fork_mm(c);
	g1av = vma_lookup_test(g1, BASE)->anon_vma;
	exit_mm(c);
	assert_int_equal(cav->num_active_vmas, 0);
	assert_int_equal(cav->num_children, 2);

	x = fork_mm(g1);
	xa = vma_lookup_test(x, BASE);
	assert_ptr_not_equal(xa->anon_vma, cav);
	assert_ptr_equal(xa->anon_vma->parent, g1av);
	assert_int_equal(vm_events_read(vm, anon_vma_reuse), 0);
	check(vm);

	exit_mm(g2); /* its anon_vma's tree empties: cav keeps one child */
	assert_int_equal(cav->num_children, 1);
	y = fork_mm(g1);
	ya = vma_lookup_test(y, BASE);
	if (!design->reuse) {
		assert_ptr_not_equal(ya->anon_vma, cav);
		assert_int_equal(vm_events_read(vm, anon_vma_reuse), 0);
		check(vm);
		vm_free(vm);
		assert_live(base);
		return;
	}
	assert_ptr_equal(ya->anon_vma, cav);
	assert_int_equal(cav->num_active_vmas, 1);
	assert_int_equal(vm_events_read(vm, anon_vma_reuse), 1);
	check(vm);

	vm_free(vm);
	assert_live(base);
}

/*
 * Which ancestor a fork reuses when several qualify. Clone keeps src's order and fork puts
 * the child's own anon_vma in front, so for x = fork(fork(fork(p))) the chain reads
 * x, g, c, r: newest first, the root last. The reuse check walks it back to front, so with
 * c's and g's processes gone the oldest eligible one, c, is taken (g would be if the walk
 * ran the other way; r has its self link and a child, so it never qualifies).
 */
static void test_reuse_choice_order(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c, *g, *x, *y;
	struct anon_vma *r, *cav, *gav, *xav, *expect[4];
	struct vm_area_struct *xa, *ya;
	struct anon_vma_chain *avc;
	int i = 0;

	(void)state;
	fault(vma_new(p, BASE, 4));
	r = vma_lookup_test(p, BASE)->anon_vma;
	c = fork_mm(p);
	cav = vma_lookup_test(c, BASE)->anon_vma;
	g = fork_mm(c);
	gav = vma_lookup_test(g, BASE)->anon_vma;
	x = fork_mm(g);
	xa = vma_lookup_test(x, BASE);
	xav = xa->anon_vma;
	expect[0] = xav;
	expect[1] = gav;
	expect[2] = cav;
	expect[3] = r;
	list_for_each_entry(avc, &xa->anon_vma_chain, same_vma)
		assert_ptr_equal(avc->anon_vma, expect[i++]);

	exit_mm(c);
	exit_mm(g);
	assert_int_equal(cav->num_active_vmas, 0);
	assert_int_equal(cav->num_children, 1);
	assert_int_equal(gav->num_active_vmas, 0);
	assert_int_equal(gav->num_children, 1);
	y = fork_mm(x);
	ya = vma_lookup_test(y, BASE);
	if (design->reuse) {
		assert_ptr_equal(ya->anon_vma, cav);
		assert_int_equal(vm_events_read(vm, anon_vma_reuse), 1);
	} else {
		assert_ptr_equal(ya->anon_vma->parent, xav);
		assert_int_equal(vm_events_read(vm, anon_vma_reuse), 0);
	}
	check(vm);
	vm_free(vm);
	assert_live(base);
}

/* ---- §2.4 unlink_anon_vmas ------------------------------------------------------------- */

/*
 * Every exit order of a three-generation family with the frees really done between steps
 * (rcu_barrier), so ASan sees any use after free; the debug build asserts in anon_vma_free
 * that a root dies only when no anon_vma of its family is alive.
 */
static void test_unlink_every_order(void **state)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	struct live base = live_now();

	(void)state;
	for (int o = 0; o < 6; o++) {
		struct anonvm *vm = vm_new();
		struct mm_struct *mms[3];
		struct anon_vma *root;
		struct family f;

		family_new(vm, &f, 8);
		/* a second VMA in each, split from the first: more AVCs per tree */
		split_vma(f.a, BASE + PG(4));
		split_vma(f.ca, BASE + PG(2));
		split_vma(f.ga, BASE + PG(6));
		root = f.a->anon_vma;
		mms[0] = f.p;
		mms[1] = f.c;
		mms[2] = f.g;
		check(vm);
		for (int k = 0; k < 3; k++) {
			exit_mm(mms[orders[o][k]]);
			rcu_barrier();
			check(vm);
			if (k < 2) {
				/* someone is left: the root lives, in the registry */
				assert_ptr_equal(list_first_entry(&vm->anon_vmas, struct anon_vma,
								  vm_node),
						 root);
			}
		}
		assert_true(list_empty(&vm->anon_vmas));
		assert_int_equal(vm_events_read(vm, anon_vma_free), vm_events_read(vm, anon_vma_alloc));
		assert_int_equal(vm_events_read(vm, avc_free), vm_events_read(vm, avc_alloc));
		vm_free(vm);
	}
	assert_live(base);
}

/* A pinned anon_vma outlives its tree and keeps its root; the last put frees both. */
static void test_unlink_pinned(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct anon_vma *r, *gav;
	struct family f;

	(void)state;
	family_new(vm, &f, 4);
	r = f.a->anon_vma;
	gav = f.ga->anon_vma;
	get_anon_vma(gav);
	exit_mm(f.g);
	exit_mm(f.p);
	exit_mm(f.c);
	rcu_barrier();
	/* left: gav (dead, pinned) and its root (pinned by gav) */
	assert_int_equal(nr_anon_vmas(vm), 2);
	assert_true(design->index->empty(gav));
	assert_int_equal(atomic_load(&r->refcount), 1);
	assert_int_equal(r->num_children, 0);
	check(vm);
	put_anon_vma(gav);
	assert_true(list_empty(&vm->anon_vmas));
	vm_free(vm);
	assert_live(base);
}

/* ---- §3 the walk -------------------------------------------------------------------------- */

struct visit {
	struct vm_area_struct *vma;
	unsigned long address;
};

struct walk_log {
	struct visit v[512];
	size_t n;
	size_t stop_after; /* rmap_one returns false at this visit; 0: never */
	size_t done_after; /* done() is true from this visit on; 0: never */
};

static bool log_one(struct folio *folio, struct vm_area_struct *vma, unsigned long address,
		    void *arg)
{
	struct walk_log *log = arg;

	(void)folio;
	assert_true(log->n < 512);
	log->v[log->n].vma = vma;
	log->v[log->n].address = address;
	log->n++;
	return !(log->stop_after && log->n >= log->stop_after);
}

static struct walk_log *done_log;

static bool log_done(struct folio *folio)
{
	(void)folio;
	return done_log->done_after && done_log->n >= done_log->done_after;
}

static int walk(struct folio *folio, struct walk_log *log, bool try_lock)
{
	struct rmap_walk_control rwc = {
		.arg = log, .rmap_one = log_one, .done = log_done, .try_lock = try_lock,
		.account = true,
	};
	int ret;

	log->n = 0;
	done_log = log;
	ret = rmap_walk(folio, &rwc);
	assert_int_equal(rwc.contended, ret == -EAGAIN);
	return ret;
}

/*
 * The walk passes rmap_one exactly the live VMAs that the folio's anon_vma reaches (in
 * their chain; legacy: their anon_vma) and whose [pgoff, pgoff + pages - 1] holds
 * folio->index, at the right address (in interval-start order for the tree).
 */
static void check_walk(struct anonvm *vm, struct folio *folio)
{
	struct anon_vma *av = folio_anon_vma(folio);
	struct vm_area_struct *vma;
	struct walk_log log = { 0 };
	struct mm_struct *mm;
	unsigned long index;
	size_t expect = 0;

	assert_int_equal(walk(folio, &log, false), 0);
	list_for_each_entry(mm, &vm->mms, mmlist) {
		for_each_test_vma(mm, vma, index) {
			bool covers = vma->vm_pgoff <= folio->index &&
				      folio->index < vma->vm_pgoff + vma_pages(vma);
			size_t seen = 0;

			for (size_t i = 0; i < log.n; i++)
				if (log.v[i].vma == vma)
					seen++;
			if (covers && design->vma_reaches(vma, av)) {
				expect++;
				assert_int_equal(seen, 1);
			} else {
				assert_int_equal(seen, 0);
			}
		}
	}
	assert_int_equal(log.n, expect);
	for (size_t i = 0; i < log.n; i++) {
		vma = log.v[i].vma;
		assert_int_equal(log.v[i].address,
				 vma->vm_start + PG(folio->index - vma->vm_pgoff));
		/* the tree gives interval-start order; the list its own (insertion) order */
		if (i && design->index && design->index->keyed)
			assert_true(log.v[i - 1].vma->vm_pgoff <= vma->vm_pgoff);
	}
}

static struct folio *folio_new(struct vm_area_struct *vma, unsigned long address, bool excl)
{
	struct folio *folio = calloc(1, sizeof(*folio));

	assert_non_null(folio);
	folio_add_new_anon_rmap(folio, vma, address, excl);
	return folio;
}

static void test_walk(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c;
	struct vm_area_struct *a, *ca, *hi, *moved;
	struct folio *f, *g, *h;
	struct walk_log log = { 0 };
	unsigned long walks;

	(void)state;
	a = vma_new(p, BASE, 16);
	fault(a);
	f = folio_new(a, BASE + PG(5), true);
	c = fork_mm(p);
	ca = vma_lookup_test(c, BASE);
	folio_add_anon_rmap_pte(f, ca, BASE + PG(5)); /* the child maps it too */
	assert_int_equal(atomic_load(&f->mapcount), 2);
	check_walk(vm, f);
	assert_int_equal(walk(f, &log, false), 0);
	assert_int_equal(log.n, 2);
	assert_ptr_equal(log.v[0].vma, a); /* equal starts: insertion order */
	assert_ptr_equal(log.v[1].vma, ca);

	/* split: only the half that covers the index */
	hi = split_vma(a, BASE + PG(8));
	g = folio_new(hi, BASE + PG(10), true);
	check_walk(vm, f);
	check_walk(vm, g);
	assert_int_equal(walk(g, &log, false), 0);
	assert_int_equal(log.n, 2); /* hi, and ca (not split) */

	/* mremap keeps the pgoff of a faulted VMA: found at the new address */
	moved = remap_vma(hi, BASE + PG(1024));
	assert_int_equal(moved->vm_pgoff, (BASE >> PAGE_SHIFT) + 8);
	check_walk(vm, g);
	assert_int_equal(walk(g, &log, false), 0);
	assert_true(log.v[0].address == BASE + PG(1024 + 2) ||
		    log.v[1].address == BASE + PG(1024 + 2));

	/* a COW copy in the child lives in the child's anon_vma: only the child is searched */
	h = folio_new(ca, BASE + PG(5), true);
	assert_ptr_equal(folio_anon_vma(h), ca->anon_vma);
	check_walk(vm, h);
	assert_int_equal(walk(h, &log, false), 0);
	assert_int_equal(log.n, 1);
	assert_ptr_equal(log.v[0].vma, ca);

	/* stop when rmap_one says so, or when done() does */
	log.stop_after = 1;
	assert_int_equal(walk(f, &log, false), 0);
	assert_int_equal(log.n, 1);
	log.stop_after = 0;
	log.done_after = 1;
	assert_int_equal(walk(f, &log, false), 0);
	assert_int_equal(log.n, 1);
	log.done_after = 0;

	/* work is counted */
	walks = vm_events_read(vm, rmap_walks);
	assert_int_equal(walk(f, &log, false), 0);
	assert_int_equal(vm_events_read(vm, rmap_walks), walks + 1);
	assert_true(vm_events_read(vm, rmap_vmas_visited) >= 2);

	/* not mapped: nothing to walk; not anonymous: not walked here */
	atomic_store(&h->mapcount, 0);
	assert_int_equal(walk(h, &log, false), 0);
	assert_int_equal(log.n, 0);
	h->mapping = 0x1000;
	atomic_store(&h->mapcount, 1);
	assert_int_equal(walk(h, &log, false), -EOPNOTSUPP);

	free(f);
	free(g);
	free(h);
	vm_free(vm);
	assert_live(base);
}

/* A writer holds the root lock in another thread. */
struct holder {
	struct anon_vma *anon_vma;
	atomic_int locked, go;
};

static void *hold_root_lock(void *arg)
{
	struct holder *h = arg;
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	anon_vma_lock_write(h->anon_vma);
	atomic_store(&h->locked, 1);
	while (!atomic_load(&h->go))
		;
	nanosleep(&ts, NULL);
	anon_vma_unlock_write(h->anon_vma);
	return NULL;
}

/*
 * try_lock reports contention; otherwise the walk pins the anon_vma and sleeps. In legacy
 * every walk waits (its walks lock exclusively and never give up, as 2.6.33's did).
 */
static void test_walk_contended(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c;
	struct holder h = { 0 };
	struct walk_log log = { 0 };
	struct vm_area_struct *a, *ca;
	struct folio *f;
	pthread_t t;

	(void)state;
	a = vma_new(p, BASE, 4);
	fault(a);
	c = fork_mm(p);
	ca = vma_lookup_test(c, BASE);
	f = folio_new(ca, BASE, true); /* in the child's anon_vma: pinning it pins the root */
	h.anon_vma = ca->anon_vma;
	assert_int_equal(pthread_create(&t, NULL, hold_root_lock, &h), 0);
	while (!atomic_load(&h.locked))
		;
	if (!design->walk_lock_exclusive) {
		assert_int_equal(walk(f, &log, true), -EAGAIN);
		assert_int_equal(log.n, 0);
	}
	atomic_store(&h.go, 1);
	/* blocks until the holder lets go; legacy's reclaim walk waits too (2.6.33: no trylock) */
	assert_int_equal(walk(f, &log, design->walk_lock_exclusive), 0);
	if (design == &rmap_legacy_ops) {
		assert_int_equal(log.n, 2); /* the family's list: the parent's VMA covers it too */
		assert_ptr_equal(log.v[1].vma, ca);
	} else {
		assert_int_equal(log.n, 1);
		assert_ptr_equal(log.v[0].vma, ca);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&ca->anon_vma->refcount), 1); /* the pin is gone */
	check(vm);
	free(f);
	vm_free(vm);
	assert_live(base);
}

/* Random families: forks, exits, splits, remaps, faults; every walk checked. */
static uint64_t rng = 0x2545F4914F6CDD1DULL;

static unsigned long rnd(unsigned long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static struct vm_area_struct *random_vma(struct anonvm *vm, bool faulted)
{
	struct vm_area_struct *vmas[512], *vma;
	struct mm_struct *mm;
	unsigned long index;
	size_t n = 0;

	list_for_each_entry(mm, &vm->mms, mmlist)
		for_each_test_vma(mm, vma, index)
			if (n < 512 && (!faulted || vma->anon_vma))
				vmas[n++] = vma;
	return n ? vmas[rnd(n)] : NULL;
}

static struct mm_struct *random_mm(struct anonvm *vm, size_t *nr)
{
	struct mm_struct *mm, *pick = NULL;
	size_t n = 0;

	list_for_each_entry(mm, &vm->mms, mmlist)
		if (!rnd(++n))
			pick = mm;
	*nr = n;
	return pick;
}

static void test_walk_random(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *mm = mm_new(vm);
	unsigned long next_addr = BASE + PG(4096), walks = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		vma_new(mm, BASE + PG(64) * i, 8 + 8 * i);
	for (int step = 0; step < 1500; step++) {
		struct vm_area_struct *vma;
		size_t nr_mm;

		switch (rnd(7)) {
		case 0:
		case 1:
			vma = random_vma(vm, false);
			if (vma)
				fault(vma);
			break;
		case 2:
			mm = random_mm(vm, &nr_mm);
			if (nr_mm < 8)
				fork_mm(mm);
			break;
		case 3:
			mm = random_mm(vm, &nr_mm);
			if (nr_mm > 1)
				exit_mm(mm);
			break;
		case 4:
			vma = random_vma(vm, false);
			if (vma && vma_pages(vma) > 1)
				split_vma(vma, vma->vm_start + PG(1 + rnd(vma_pages(vma) - 1)));
			break;
		case 5:
			vma = random_vma(vm, false);
			if (vma) {
				remap_vma(vma, next_addr);
				next_addr += PG(64);
			}
			break;
		case 6:
			vma = random_vma(vm, true);
			if (vma) {
				unsigned long addr = vma->vm_start + PG(rnd(vma_pages(vma)));
				struct folio *f = folio_new(vma, addr, rnd(4) != 0);

				check_walk(vm, f);
				walks++;
				free(f);
			}
			break;
		}
		if (step % 8 == 0)
			check(vm);
	}
	print_message("random: %lu walks, %lu VMAs visited, %lu anon_vmas made, %lu reused\n",
		      walks, (unsigned long)vm_events_read(vm, rmap_vmas_visited),
		      (unsigned long)vm_events_read(vm, anon_vma_alloc),
		      (unsigned long)vm_events_read(vm, anon_vma_reuse));
	assert_true(walks > 100);
	check(vm);
	vm_free(vm);
	assert_live(base);
}

/* ---- the folio side, range updates, validators, dot ------------------------------------- */

static void test_folio_rmap(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c;
	struct vm_area_struct *a, *ca;
	struct folio *f;

	(void)state;
	a = vma_new(p, BASE, 8);
	a->vm_pgoff = 1000;
	fault(a);
	c = fork_mm(p);
	ca = vma_lookup_test(c, BASE);

	/* exclusive: the VMA's own anon_vma */
	f = folio_new(ca, BASE + PG(3), true);
	assert_int_equal(f->mapping, (uintptr_t)ca->anon_vma | FOLIO_MAPPING_ANON);
	assert_int_equal(f->index, 1003);
	assert_int_equal(atomic_load(&f->mapcount), 1);
	assert_true(folio_test_flag(f, PG_anon_exclusive));
	folio_remove_rmap_pte(f, ca);
	assert_int_equal(atomic_load(&f->mapcount), 0);
	assert_ptr_equal(folio_anon_vma(f), ca->anon_vma); /* mapping stays */
	free(f);

	/* maybe shared (swap-in): the root */
	f = folio_new(ca, BASE + PG(3), false);
	assert_ptr_equal(folio_anon_vma(f), a->anon_vma);
	assert_false(folio_test_flag(f, PG_anon_exclusive));
	folio_add_anon_rmap_pte(f, a, BASE + PG(3));
	assert_int_equal(atomic_load(&f->mapcount), 2);
	folio_remove_rmap_pte(f, a);
	/* do_wp_page reuse in the child: the folio moves to the child's anon_vma */
	folio_set_flag(f, PG_locked);
	folio_move_anon_rmap(f, ca);
	folio_clear_flag(f, PG_locked);
	assert_int_equal(f->mapping, (uintptr_t)ca->anon_vma | FOLIO_MAPPING_ANON);
	assert_int_equal(atomic_load(&f->mapcount), 1);
	check_walk(vm, f);
	free(f);

	vm_free(vm);
	assert_live(base);
}

/* vma_adjust-style changes of start, end and pgoff reindex every AVC of the VMA. */
static void test_pre_post_update(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct vm_area_struct *ga;
	struct family f;
	struct folio *fo;

	(void)state;
	family_new(vm, &f, 16);
	ga = f.ga;
	fo = folio_new(f.a, BASE + PG(12), false);
	check_walk(vm, fo);

	/* shrink the end: page 12 leaves ga */
	assert_ptr_equal(mtree_erase(&ga->vm_mm->mm_mt, ga->vm_start), ga);
	anon_vma_lock_write(ga->anon_vma);
	anon_vma_interval_tree_pre_update_vma(ga);
	ga->vm_end = BASE + PG(8);
	anon_vma_interval_tree_post_update_vma(ga);
	anon_vma_unlock_write(ga->anon_vma);
	vma_store(ga);
	check(vm);
	check_walk(vm, fo);

	/* move the start up with the pgoff: still out of page 12's reach */
	assert_ptr_equal(mtree_erase(&ga->vm_mm->mm_mt, ga->vm_start), ga);
	anon_vma_lock_write(ga->anon_vma);
	anon_vma_interval_tree_pre_update_vma(ga);
	ga->vm_start += PG(4);
	ga->vm_pgoff += 4;
	ga->vm_end = BASE + PG(16);
	anon_vma_interval_tree_post_update_vma(ga);
	anon_vma_unlock_write(ga->anon_vma);
	vma_store(ga);
	check(vm);
	check_walk(vm, fo);

	free(fo);
	vm_free(vm);
	assert_live(base);
}

static void test_validators_catch_errors(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	FILE *devnull = fopen("/dev/null", "w");
	struct anon_vma_chain *avc;
	struct vm_area_struct *other;
	struct anon_vma *r, *own;
	struct family f;

	(void)state;
	family_new(vm, &f, 4);
	r = f.a->anon_vma;
	check(vm);

	r->num_active_vmas++; /* I3 */
	assert_false(rmap_validate(vm, devnull));
	r->num_active_vmas--;
	r->num_children++; /* I4 */
	assert_false(rmap_validate(vm, devnull));
	r->num_children--;
	atomic_fetch_sub(&r->refcount, 1); /* I7: the root must count its two descendants */
	assert_false(rmap_validate(vm, devnull));
	atomic_fetch_add(&r->refcount, 1);

	/* I2: an AVC on the list but not in its tree */
	avc = list_first_entry(&f.ga->anon_vma_chain, struct anon_vma_chain, same_vma);
	anon_vma_lock_write(r);
	design->index->remove(avc, avc->anon_vma);
	anon_vma_unlock_write(r);
	assert_false(design->validate_vma(f.ga, devnull));
	anon_vma_lock_write(r);
	design->index->insert(avc, avc->anon_vma);
	anon_vma_unlock_write(r);

	/* I5: vma->anon_vma from another family, not in the chain */
	other = vma_new(f.p, BASE + PG(64), 4);
	fault(other);
	own = f.ga->anon_vma;
	f.ga->anon_vma = other->anon_vma;
	assert_false(design->validate_vma(f.ga, devnull));
	assert_false(rmap_validate(vm, devnull));
	f.ga->anon_vma = own;
	check(vm);

	/* a chain not closed under ->parent: drop the middle generation's AVC from ga */
	list_for_each_entry(avc, &f.ga->anon_vma_chain, same_vma)
		if (avc->anon_vma == f.ca->anon_vma)
			break;
	list_del(&avc->same_vma);
	assert_false(design->validate_vma(f.ga, devnull));
	assert_false(rmap_validate(vm, devnull)); /* and I2 from the index side */
	list_add_tail(&avc->same_vma, &f.ga->anon_vma_chain);
	check(vm);

	fclose(devnull);
	vm_free(vm);
	assert_live(base);
}

static char *dot_text(struct anonvm *vm)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	assert_int_equal(rmap_dot(vm, out), 0);
	fclose(out);
	return text;
}

static void test_dot(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct family f;
	char *text;

	(void)state;
	family_new(vm, &f, 4);
	anonvm_mm_set_name(mm_handle(f.c), "child");
	text = dot_text(vm);
	assert_non_null(strstr(text, "digraph anon_vma {"));
	assert_non_null(strstr(text, design->name));
	assert_non_null(strstr(text, "anon_vma 1 (root)\\nrefcount 3\\nchildren 2 active 1"));
	assert_non_null(strstr(text, "av1 -> av2 [style=dashed, label=\"parent\"]"));
	assert_non_null(strstr(text, "av2 -> av3 [style=dashed"));
	assert_non_null(strstr(text, "av1 -> \"vma_1_100000000000\" [label=\"avc\", style=bold]"));
	assert_non_null(strstr(text, "av1 -> \"vma_3_100000000000\" [label=\"avc\"]"));
	assert_non_null(strstr(text, "label=\"child\""));
	assert_non_null(strstr(text, "label=\"mm 3\""));
	assert_non_null(strstr(text, "\"vma_3_100000000000\" [shape=ellipse, label=\"100000000000-"
				     "100000004000\\npgoff 100000000 rw-p\"]"));
	free(text);
	vm_free(vm);
	assert_live(base);
}

static void test_design_table(void **state)
{
	static const struct {
		enum anonvm_rmap_design d;
		const struct rmap_ops *ops;
		const char *name;
	} table[] = {
		{ ANONVM_RMAP_LINUX, &rmap_linux_ops, "linux" },
		{ ANONVM_RMAP_NOREUSE, &rmap_noreuse_ops, "noreuse" },
		{ ANONVM_RMAP_NOINTERVAL, &rmap_nointerval_ops, "nointerval" },
		{ ANONVM_RMAP_LEGACY, &rmap_legacy_ops, "legacy" },
	};
	enum anonvm_rmap_design d;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_ptr_equal(rmap_design(table[i].d), table[i].ops);
		assert_int_equal(table[i].ops->design, table[i].d);
		assert_string_equal(table[i].ops->name, table[i].name);
		assert_string_equal(anonvm_design_name(table[i].d), table[i].name);
		assert_int_equal(anonvm_design_parse(table[i].name, &d), 0);
		assert_int_equal(d, table[i].d);
	}
	/* the ablations differ from linux in exactly one mechanism each */
	assert_ptr_equal(rmap_linux_ops.index, &anon_vma_index_tree);
	assert_true(rmap_linux_ops.reuse);
	assert_ptr_equal(rmap_noreuse_ops.index, &anon_vma_index_tree);
	assert_false(rmap_noreuse_ops.reuse);
	assert_ptr_equal(rmap_nointerval_ops.index, &anon_vma_index_list);
	assert_true(rmap_nointerval_ops.reuse);
	assert_null(rmap_design(ANONVM_RMAP_NR));
	assert_null(anonvm_design_name(ANONVM_RMAP_NR));
	assert_int_equal(anonvm_design_parse("linux ", &d), -EINVAL);
}

/* ---- legacy (2.6.33) ------------------------------------------------------------------------ */

static size_t list_len(struct anon_vma *av)
{
	struct vm_area_struct *vma;
	size_t n = 0;

	list_for_each_entry(vma, &av->head, anon_vma_node)
		n++;
	return n;
}

/* One anon_vma for the family; neighbours share it whoever they are, fork children too. */
static void test_legacy_prepare_and_fork(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c, *g;
	struct vm_area_struct *a, *b, *ca, *cb, *ga, *u;
	struct anon_vma *av;

	(void)state;
	a = vma_new(p, BASE, 4);
	fault(a);
	av = a->anon_vma;
	assert_ptr_equal(av->root, av);
	assert_ptr_equal(av->parent, av);
	assert_int_equal(atomic_load(&av->refcount), 1);
	assert_int_equal(av->num_children + av->num_active_vmas, 0);
	assert_int_equal(list_len(av), 1);
	assert_int_equal(vm_events_read(vm, avc_alloc), 0);
	b = vma_new(p, BASE + PG(4), 4);
	fault(b);
	assert_ptr_equal(b->anon_vma, av);
	u = vma_new(p, BASE + PG(64), 4); /* never faulted */
	check(vm);

	c = fork_mm(p);
	ca = vma_lookup_test(c, BASE);
	assert_ptr_equal(ca->anon_vma, av); /* the child joins the parent's anon_vma */
	assert_null(vma_lookup_test(c, BASE + PG(64))->anon_vma);
	g = fork_mm(c);
	ga = vma_lookup_test(g, BASE + PG(4));
	assert_ptr_equal(ga->anon_vma, av);
	assert_int_equal(list_len(av), 6);
	assert_int_equal(nr_anon_vmas(vm), 1);
	assert_int_equal(vm_events_read(vm, anon_vma_alloc), 1);
	assert_false(vma_is_fork_child(ca));

	/* a fork child's neighbour reuses the family's anon_vma (linux: a new root, T4) */
	cb = vma_new(c, BASE + PG(8), 4);
	fault(cb);
	assert_ptr_equal(cb->anon_vma, av);
	assert_int_equal(list_len(av), 7);
	(void)u;
	check(vm);
	vm_free(vm);
	assert_live(base);
}

/* Split, remap, merge of an unfaulted neighbour, fork: each one link; exit: the last frees. */
static void test_legacy_clone_and_unlink(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct mm_struct *p = mm_new(vm), *c;
	struct vm_area_struct *a, *hi, *moved, *u;
	struct anon_vma *av;

	(void)state;
	a = vma_new(p, BASE, 16);
	fault(a);
	av = a->anon_vma;
	hi = split_vma(a, BASE + PG(8));
	assert_ptr_equal(hi->anon_vma, av);
	assert_int_equal(list_len(av), 2);
	moved = remap_vma(hi, BASE + PG(1024));
	assert_ptr_equal(moved->anon_vma, av);
	assert_int_equal(list_len(av), 2); /* moved joined, hi left */
	u = vma_new(p, BASE + PG(16), 4);
	u->anon_vma = av;
	assert_int_equal(anon_vma_clone(u, a, VMA_OP_MERGE_UNFAULTED), 0);
	assert_int_equal(list_len(av), 3);
	check(vm);
	c = fork_mm(p);
	assert_int_equal(list_len(av), 6);
	check(vm);

	exit_mm(p);
	rcu_barrier();
	assert_int_equal(nr_anon_vmas(vm), 1); /* the child's VMAs keep it */
	assert_int_equal(list_len(av), 3);
	check(vm);
	exit_mm(c);
	rcu_barrier();
	assert_true(list_empty(&vm->anon_vmas));
	assert_int_equal(vm_events_read(vm, anon_vma_free), 1);
	vm_free(vm);
	assert_live(base);
}

/*
 * The walk scans the whole family whatever the page: every VMA is visited, only those whose
 * range holds the page are passed on. A COWed page of a grandchild is found the same way.
 */
static void test_legacy_walk(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct rmap_walk_control rwc = { .rmap_one = log_one };
	struct walk_log log = { 0 };
	struct family f;
	struct folio *fo;
	size_t members;

	(void)state;
	family_new(vm, &f, 8);
	vma_new(f.p, BASE + PG(64), 8);
	fault(vma_lookup_test(f.p, BASE + PG(64)));
	split_vma(f.ca, BASE + PG(4));
	members = list_len(f.a->anon_vma);
	assert_int_equal(members, 4); /* a, ca in two, ga; the VMA at +64 has its own */

	/* a page COWed in the grandchild points to the family's anon_vma */
	fo = folio_new(f.ga, BASE + PG(2), true);
	assert_ptr_equal(folio_anon_vma(fo), f.a->anon_vma);
	check_walk(vm, fo);
	rwc.arg = &log;
	done_log = &log;
	assert_int_equal(rmap_walk(fo, &rwc), 0);
	assert_int_equal(rwc.vmas_visited, members);
	assert_int_equal(rwc.ptes_probed, 3); /* a, ca's lower half, ga */
	assert_int_equal(log.n, 3);
	free(fo);
	vm_free(vm);
	assert_live(base);
}

static void test_legacy_validators_catch_errors(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	FILE *devnull = fopen("/dev/null", "w");
	struct vm_area_struct *other;
	struct anon_vma *av, *own;
	struct family f;

	(void)state;
	family_new(vm, &f, 4);
	av = f.a->anon_vma;
	check(vm);

	/* a VMA off its anon_vma's list */
	list_del_init(&f.ca->anon_vma_node);
	assert_false(design->validate_vma(f.ca, devnull));
	assert_false(rmap_validate(vm, devnull));
	list_add_tail(&f.ca->anon_vma_node, &av->head);
	check(vm);

	/* a VMA pointing to another family's anon_vma */
	other = vma_new(f.p, BASE + PG(64), 4);
	fault(other);
	own = f.ga->anon_vma;
	f.ga->anon_vma = other->anon_vma;
	assert_false(design->validate_vma(f.ga, devnull));
	assert_false(rmap_validate(vm, devnull));
	f.ga->anon_vma = own;

	/* counters legacy does not keep, and a refcount of 0 */
	av->num_active_vmas = 1;
	assert_false(rmap_validate(vm, devnull));
	av->num_active_vmas = 0;
	atomic_store(&av->refcount, 0);
	assert_false(rmap_validate(vm, devnull));
	atomic_store(&av->refcount, 1);
	check(vm);

	fclose(devnull);
	vm_free(vm);
	assert_live(base);
}

static void test_legacy_dot(void **state)
{
	struct live base = live_now();
	struct anonvm *vm = vm_new();
	struct family f;
	char *text;

	(void)state;
	family_new(vm, &f, 4);
	text = dot_text(vm);
	assert_non_null(strstr(text, "the legacy reverse map"));
	assert_non_null(strstr(text, "anon_vma 1 (root)\\nrefcount 1\\nchildren 0 active 0"));
	assert_null(strstr(text, "parent"));
	assert_non_null(strstr(text, "av1 -> \"vma_2_100000000000\" [label=\"list\", style=bold]"));
	assert_non_null(strstr(text, "av1 -> \"vma_3_100000000000\" [label=\"list\""));
	free(text);
	vm_free(vm);
	assert_live(base);
}

int main(void)
{
	const struct CMUnitTest chain_tests[] = {
		cmocka_unit_test(test_prepare_new_root),
		cmocka_unit_test(test_prepare_reuses_compatible_neighbour),
		cmocka_unit_test(test_prepare_not_from_fork_child),
		cmocka_unit_test(test_prepare_enomem),
		cmocka_unit_test(test_clone_each_op),
		cmocka_unit_test(test_clone_enomem_at_every_allocation),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_fork_enomem_at_every_allocation),
		cmocka_unit_test(test_reuse_in_fork_chain),
		cmocka_unit_test(test_no_reuse_while_ancestors_live),
		cmocka_unit_test(test_reuse_needs_at_most_one_child),
		cmocka_unit_test(test_reuse_choice_order),
		cmocka_unit_test(test_unlink_every_order),
		cmocka_unit_test(test_unlink_pinned),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_contended),
		cmocka_unit_test(test_walk_random),
		cmocka_unit_test(test_folio_rmap),
		cmocka_unit_test(test_pre_post_update),
		cmocka_unit_test(test_validators_catch_errors),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_design_table),
	};
	const struct CMUnitTest legacy_tests[] = {
		cmocka_unit_test(test_legacy_prepare_and_fork),
		cmocka_unit_test(test_legacy_clone_and_unlink),
		cmocka_unit_test(test_legacy_walk),
		cmocka_unit_test(test_walk_contended),
		cmocka_unit_test(test_walk_random),
		cmocka_unit_test(test_unlink_every_order),
		cmocka_unit_test(test_pre_post_update),
		cmocka_unit_test(test_legacy_validators_catch_errors),
		cmocka_unit_test(test_legacy_dot),
	};
	static const struct rmap_ops *const chain_designs[] = {
		&rmap_linux_ops, &rmap_noreuse_ops, &rmap_nointerval_ops,
	};
	char name[64];
	int failed = 0;

	rcu_register_thread();
	for (size_t i = 0; i < 3; i++) {
		design = chain_designs[i];
		snprintf(name, sizeof(name), "rmap/%s", design->name);
		failed += _cmocka_run_group_tests(name, chain_tests,
						  sizeof(chain_tests) / sizeof(chain_tests[0]),
						  NULL, NULL);
	}
	design = &rmap_legacy_ops;
	failed += cmocka_run_group_tests_name("rmap/legacy", legacy_tests, NULL, NULL);
	rcu_barrier();
	rcu_unregister_thread();
	return failed;
}
