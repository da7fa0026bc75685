// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_forkstorm.c: the forkstorm of docs/semantics.md §8 through the public API, at full size:
 * a parent writes one 1000-page private VMA, forks 1000 children, every child writes all
 * 1000 pages, then the referenced walk (folio_referenced) runs on every anonymous page of
 * every process. Before the children write, a walk from a parent page finds all 1001
 * mappings (one VMA of each process, in the root anon_vma's tree); afterwards every page is
 * mapped once and each walk stops at the first VMA, its own (a child's COWed page is found
 * through the child's own anon_vma, the parent's through the root, where the parent's AVC
 * comes first). Asserted: those exact counts, the validator, and that once every process
 * has exited every object is freed (live counts back to zero). The figures are printed.
 * Metadata-only frames: 10^6 pages of contents would not fit the default RAM.
 *
 * It runs on every design: linux at full size, the others at 200 x 200 (legacy's walks cost
 * O(children) each). Before the children write, every design finds all mappings by visiting
 * every VMA. Afterwards the chain designs visit one VMA per walk; legacy scans the family's
 * single list, oldest first: the parent's pages are found at the first VMA, child i's at
 * VMA i + 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "designs.h"

#define BASE 0x100000000000UL

static unsigned long PAGES;
static int CHILDREN;

static void write_all(struct anonvm_mm *mm)
{
	static unsigned char page[ANONVM_PAGE_SIZE];

	for (unsigned long i = 0; i < PAGES; i++)
		assert_int_equal(anonvm_write(mm, BASE + i * ANONVM_PAGE_SIZE, page, 1, NULL), 0);
}

/* Walks every page of mm; each must find `young` young PTEs after visiting `visits` VMAs. */
static void walk_all(struct anonvm_mm *mm, int young, unsigned long visits, unsigned long *walks,
		     unsigned long *vmas)
{
	for (unsigned long i = 0; i < PAGES; i++) {
		struct anonvm_referenced r;

		assert_int_equal(anonvm_page_referenced(mm, BASE + i * ANONVM_PAGE_SIZE, &r), 0);
		assert_int_equal(r.referenced, young);
		assert_int_equal(r.vmas_visited, visits);
		assert_int_equal(r.ptes_probed, visits);
		(*walks)++;
		*vmas += r.vmas_visited;
	}
}

static void print_live(const char *when, const struct anonvm_live *l)
{
	printf("forkstorm: live %s: mm %ld vma %ld maple_node %ld anon_vma %ld avc %ld folio %ld "
	       "pgtable %ld shmem %ld other %ld\n",
	       when, l->mm, l->vma, l->maple_node, l->anon_vma, l->avc, l->folio, l->pgtable,
	       l->shmem, l->other);
}

static void test_forkstorm(void **state)
{
	bool legacy = test_design == ANONVM_RMAP_LEGACY;
	struct anonvm_config cfg;
	struct anonvm *vm;
	struct anonvm_mm *parent, **child;
	struct anonvm_live live;
	unsigned long walks = 0, vmas = 0, addr;

	PAGES = test_design == ANONVM_RMAP_LINUX ? 1000 : 200;
	CHILDREN = (int)PAGES;
	child = calloc(CHILDREN, sizeof(*child));

	(void)state;
	test_config(&cfg);
	cfg.metadata_only = true;
	cfg.ram_bytes = 8UL << 30;
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	assert_int_equal(anonvm_mm_new(vm, &parent), 0);
	assert_int_equal(anonvm_mmap(parent, BASE, PAGES * ANONVM_PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE,
				     &addr),
			 0);
	write_all(parent);
	for (int i = 0; i < CHILDREN; i++)
		assert_int_equal(anonvm_fork(parent, &child[i]), 0);
	/* shared by all: the walk finds the parent's young PTE and 1000 old ones (fork) */
	walk_all(parent, 1, 1 + CHILDREN, &walks, &vmas);
	printf("forkstorm %s %lux%d: before COW: %lu walks, %lu VMAs visited, %.1f per walk\n",
	       anonvm_design_name(test_design), PAGES, CHILDREN, walks, vmas,
	       (double)vmas / (double)walks);
	for (int i = 0; i < CHILDREN; i++)
		write_all(child[i]);
	assert_int_equal(anonvm_check(vm, stderr), 0);
	anonvm_live_objects(&live);
	print_live("at the peak", &live);
	assert_int_equal(live.anon_vma, legacy ? 1 : 1 + CHILDREN);
	assert_int_equal(live.folio, PAGES * (1 + CHILDREN));

	walks = vmas = 0;
	/* the parent's PTEs were made old by the first walk; the children's are young */
	walk_all(parent, 0, 1, &walks, &vmas);
	for (int i = 0; i < CHILDREN; i++)
		walk_all(child[i], 1, legacy ? i + 2 : 1, &walks, &vmas);
	printf("forkstorm %s %lux%d: after COW: %lu walks, %lu VMAs visited, %.3f per walk\n",
	       anonvm_design_name(test_design), PAGES, CHILDREN, walks, vmas,
	       (double)vmas / (double)walks);

	for (int i = 0; i < CHILDREN; i++)
		anonvm_exit(child[i]);
	anonvm_exit(parent);
	anonvm_destroy(vm);
	anonvm_quiesce();
	anonvm_live_objects(&live);
	print_live("after every exit", &live);
	assert_int_equal(live.mm | live.vma | live.maple_node | live.anon_vma | live.avc |
				 live.folio | live.pgtable | live.shmem | live.other,
			 0);
	free(child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forkstorm),
	};

	return RUN_PER_DESIGN("forkstorm", tests, ALL_DESIGNS, NULL, NULL);
}
