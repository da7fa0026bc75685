// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_validate.c: the validator must catch what it claims to check. A healthy machine (a
 * written VMA, a fork, a COW copy, a shared mapping) passes; then one field at a time is
 * corrupted — mapcount, refcount, folio index, AnonExclusive, an AVC taken off its chain, the
 * anon_vma counters, a PTE-less mapping, a free frame off its free list or with flags set —
 * and `anonvm_check` must fail naming it, then pass again once the field is restored. Every
 * test runs on every design but the chain ones (an AVC taken out of its chain or its
 * anon_vma's index), which have a legacy twin.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "designs.h"
#include "memory.h"
#include "rmap.h"
#include "vma.h"

#define BASE 0x100000000000UL

struct machine {
	struct anonvm *vm;
	struct anonvm_mm *parent, *child;
};

static struct machine *setup(void)
{
	struct machine *m = calloc(1, sizeof(*m));
	unsigned char page[ANONVM_PAGE_SIZE] = { 7 };
	struct anonvm_config cfg;
	unsigned long addr;

	test_config(&cfg);
	assert_int_equal(anonvm_create(&cfg, &m->vm), 0);
	assert_int_equal(anonvm_mm_new(m->vm, &m->parent), 0);
	assert_int_equal(anonvm_mmap(m->parent, BASE, 4 * ANONVM_PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE,
				     &addr),
			 0);
	assert_int_equal(anonvm_mmap(m->parent, BASE + 0x10000, ANONVM_PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_SHARED | ANONVM_MAP_FIXED, &addr),
			 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(anonvm_write(m->parent, BASE + i * ANONVM_PAGE_SIZE, page, 8, NULL), 0);
	assert_int_equal(anonvm_write(m->parent, BASE + 0x10000, page, 8, NULL), 0);
	assert_int_equal(anonvm_fork(m->parent, &m->child), 0);
	assert_int_equal(anonvm_write(m->child, BASE, page, 8, NULL), 0); /* COW copy */
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	return m;
}

static void teardown(struct machine *m)
{
	anonvm_destroy(m->vm);
	free(m);
}

static struct folio *folio_at(struct machine *m, struct anonvm_mm *mm, unsigned long addr)
{
	struct anonvm_page_info pi;

	assert_int_equal(anonvm_page_query(mm, addr, &pi), 0);
	assert_true(pi.kind == ANONVM_PAGE_ANON || pi.kind == ANONVM_PAGE_SHMEM);
	return pfn_folio(m->vm->ram, pi.frame);
}

static struct vm_area_struct *vma_at(struct anonvm_mm *mm, unsigned long addr)
{
	return vma_lookup(mm_of(mm), addr);
}

/* The check fails with a report containing want. */
static void expect_violation(struct machine *m, const char *want)
{
	char report[8192] = "";
	FILE *f = fmemopen(report, sizeof(report) - 1, "w");

	assert_int_equal(anonvm_check(m->vm, f), -EUCLEAN);
	fclose(f);
	if (!strstr(report, want))
		fail_msg("want '%s' in the report:\n%s", want, report);
}

static void test_healthy(void **state)
{
	(void)state;
	teardown(setup());
}

static void test_counts(void **state)
{
	struct machine *m = setup();
	struct folio *shared = folio_at(m, m->parent, BASE + ANONVM_PAGE_SIZE);

	(void)state;
	atomic_fetch_add(&shared->mapcount, 1);
	expect_violation(m, "mapcount 3 but 2 PTEs map it");
	atomic_fetch_sub(&shared->mapcount, 1);
	atomic_fetch_add(&shared->refcount, 1);
	expect_violation(m, "refcount 3, want mapcount 2");
	atomic_fetch_sub(&shared->refcount, 1);
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	teardown(m);
}

/* A frame off its free list without its count, or listed free with flags left set. */
static void test_free_lists(void **state)
{
	struct machine *m = setup();
	struct folio *freed = folio_at(m, m->child, BASE); /* the child's COW copy */
	struct list_head *prev;

	(void)state;
	assert_int_equal(anonvm_madvise(m->child, BASE, ANONVM_PAGE_SIZE, ANONVM_MADV_DONTNEED), 0);
	assert_int_equal(folio_ref_count(freed), 0);
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	prev = freed->lru.prev;
	list_del_init(&freed->lru);
	expect_violation(m, "entries, counted");
	list_add(&freed->lru, prev);
	folio_set_flag(freed, PG_anon_exclusive);
	expect_violation(m, "free frame");
	folio_clear_flag(freed, PG_anon_exclusive);
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	teardown(m);
}

static void test_folio_fields(void **state)
{
	struct machine *m = setup();
	struct folio *copy = folio_at(m, m->child, BASE), *shm = folio_at(m, m->parent, BASE + 0x10000);

	(void)state;
	copy->index++;
	expect_violation(m, "I1:");
	copy->index--;
	folio_clear_flag(copy, PG_anon_exclusive);
	expect_violation(m, "writable PTE");
	folio_set_flag(copy, PG_anon_exclusive);
	shm->index++;
	expect_violation(m, "shmem folio");
	shm->index--;
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	teardown(m);
}

static void test_chains(void **state)
{
	struct machine *m = setup();
	struct vm_area_struct *vma = vma_at(m->child, BASE);
	struct anon_vma_chain *avc = list_last_entry(&vma->anon_vma_chain, struct anon_vma_chain,
						     same_vma);
	struct list_head *prev = avc->same_vma.prev;

	(void)state;
	/* the child's link to the root: its COWed page is fine, the shared pages are not */
	list_del(&avc->same_vma);
	expect_violation(m, "I1:");
	list_add(&avc->same_vma, prev);
	vma->anon_vma->num_active_vmas++;
	expect_violation(m, "num_active_vmas");
	vma->anon_vma->num_active_vmas--;
	vma->anon_vma->root->num_children++;
	expect_violation(m, "num_children");
	vma->anon_vma->root->num_children--;
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	teardown(m);
}

/* rmap completeness: a mapping the anon_vma's index cannot find. */
static void test_walk(void **state)
{
	struct machine *m = setup();
	struct vm_area_struct *vma = vma_at(m->child, BASE);
	const struct anon_vma_index_ops *index = vma_rmap(vma)->index;
	struct anon_vma_chain *avc = list_last_entry(&vma->anon_vma_chain, struct anon_vma_chain,
						     same_vma);

	(void)state;
	anon_vma_lock_write(avc->anon_vma);
	index->remove(avc, avc->anon_vma);
	anon_vma_unlock_write(avc->anon_vma);
	expect_violation(m, "walk from folio");
	anon_vma_lock_write(avc->anon_vma);
	index->insert(avc, avc->anon_vma);
	anon_vma_unlock_write(avc->anon_vma);
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	teardown(m);
}

/* legacy: a VMA off its family's list: the design's check and the walk both see it. */
static void test_legacy_list(void **state)
{
	struct machine *m = setup();
	struct vm_area_struct *vma = vma_at(m->child, BASE);
	struct anon_vma *anon_vma = vma->anon_vma;

	(void)state;
	anon_vma_lock_write(anon_vma);
	list_del_init(&vma->anon_vma_node);
	anon_vma_unlock_write(anon_vma);
	expect_violation(m, "not on the list of its anon_vma");
	expect_violation(m, "walk from folio");
	anon_vma_lock_write(anon_vma);
	list_add(&vma->anon_vma_node, &anon_vma->head);
	anon_vma_unlock_write(anon_vma);
	vma->anon_vma = NULL; /* and a VMA on a list without an anon_vma */
	expect_violation(m, "no anon_vma but on a list");
	vma->anon_vma = anon_vma;
	assert_int_equal(anonvm_check(m->vm, stderr), 0);
	teardown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_free_lists),
		cmocka_unit_test(test_folio_fields),
	};
	const struct CMUnitTest chain_tests[] = {
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_walk),
	};
	const struct CMUnitTest legacy_tests[] = {
		cmocka_unit_test(test_legacy_list),
	};

	return RUN_PER_DESIGN("validate", tests, ALL_DESIGNS, NULL, NULL) +
	       RUN_PER_DESIGN("validate-chains", chain_tests, CHAIN_DESIGNS, NULL, NULL) +
	       RUN_PER_DESIGN("validate-legacy", legacy_tests, DESIGN_BIT(ANONVM_RMAP_LEGACY),
			      NULL, NULL);
}
