// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_interval_tree.c: the anon_vma interval tree against a brute-force list.
 *
 * Each AVC gets its own VMA whose [vm_pgoff, vm_pgoff + pages - 1] is the key. The
 * randomized test runs more than 10^5 inserts, removes, re-keys and stabbing/range queries;
 * every query's answer must equal the brute-force answer in the same order (interval
 * start, then insertion order for equal starts), and the tree validator (red-black
 * properties, parent links, augmented values, order) must pass throughout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rmap/interval_tree.h"

struct item {
	struct vm_area_struct vma;
	struct anon_vma_chain avc;
	bool in_tree;
	unsigned long seq; /* insertion number: the order of equal starts */
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, seeded per test */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned long rnd_below(unsigned long n)
{
	return rnd() % n;
}

static void item_set_key(struct item *it, unsigned long start, unsigned long pages)
{
	it->vma.vm_pgoff = start;
	it->vma.vm_start = 0x100000000000UL;
	it->vma.vm_end = it->vma.vm_start + (pages << PAGE_SHIFT);
	it->avc.vma = &it->vma;
}

static void item_insert(struct item *it, struct anon_vma_rb_root *root, unsigned long *seq)
{
	anon_vma_interval_tree_insert(&it->avc, root);
	it->in_tree = true;
	it->seq = (*seq)++;
}

static void item_remove(struct item *it, struct anon_vma_rb_root *root)
{
	anon_vma_interval_tree_remove(&it->avc, root);
	it->in_tree = false;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;

	if (avc_start(&x->avc) != avc_start(&y->avc))
		return avc_start(&x->avc) < avc_start(&y->avc) ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The tree's answer for [first, last] must be the brute-force answer, in order. */
static void check_query(struct anon_vma_rb_root *root, struct item *items, size_t nr,
			unsigned long first, unsigned long last, struct item **expect)
{
	struct anon_vma_chain *avc;
	size_t n = 0, i = 0;

	for (size_t k = 0; k < nr; k++) {
		struct item *it = &items[k];

		if (it->in_tree && avc_start(&it->avc) <= last && avc_last(&it->avc) >= first)
			expect[n++] = it;
	}
	qsort(expect, n, sizeof(*expect), cmp_item);
	anon_vma_interval_tree_foreach(avc, root, first, last) {
		assert_true(i < n);
		assert_ptr_equal(avc, &expect[i]->avc);
		i++;
	}
	assert_int_equal(i, n);
}

static unsigned int tree_height(const struct anon_vma_rb_node *node)
{
	unsigned int l, r;

	if (!node)
		return 0;
	l = tree_height(node->rb_left);
	r = tree_height(node->rb_right);
	return 1 + (l > r ? l : r);
}

static void check_valid(struct anon_vma_rb_root *root, unsigned long expect_nodes)
{
	unsigned long nr;

	assert_true(anon_vma_interval_tree_validate(root, stderr, &nr));
	assert_int_equal(nr, expect_nodes);
}

static void test_empty_and_single(void **state)
{
	struct anon_vma_rb_root root = RB_ROOT_INIT;
	struct item it = { 0 };
	unsigned long seq = 0;

	(void)state;
	assert_null(anon_vma_interval_tree_iter_first(&root, 0, ~0UL));
	check_valid(&root, 0);

	item_set_key(&it, 10, 5); /* [10, 14] */
	assert_false(anon_vma_interval_tree_contains(&root, &it.avc));
	item_insert(&it, &root, &seq);
	check_valid(&root, 1);
	assert_true(anon_vma_interval_tree_contains(&root, &it.avc));
	assert_int_equal(it.avc.rb_subtree_last, 14);
	assert_ptr_equal(anon_vma_interval_tree_iter_first(&root, 14, 14), &it.avc);
	assert_ptr_equal(anon_vma_interval_tree_iter_first(&root, 0, 10), &it.avc);
	assert_ptr_equal(anon_vma_interval_tree_iter_first(&root, 0, ~0UL), &it.avc);
	assert_null(anon_vma_interval_tree_iter_first(&root, 15, 100));
	assert_null(anon_vma_interval_tree_iter_first(&root, 0, 9));
	assert_null(anon_vma_interval_tree_iter_next(&it.avc, 0, ~0UL));

	item_remove(&it, &root);
	assert_true(anon_vma_interval_tree_empty(&root));
	assert_false(anon_vma_interval_tree_contains(&root, &it.avc));
	check_valid(&root, 0);
}

/* Equal starts go right: the walk returns them in insertion order. */
static void test_equal_starts_in_insertion_order(void **state)
{
	enum { N = 257 };
	struct item *items = calloc(N, sizeof(*items));
	struct anon_vma_rb_root root = RB_ROOT_INIT;
	struct anon_vma_chain *avc;
	unsigned long seq = 0;
	size_t i = 0;

	(void)state;
	for (size_t k = 0; k < N; k++) {
		item_set_key(&items[k], 7, 1 + k % 5);
		item_insert(&items[k], &root, &seq);
	}
	check_valid(&root, N);
	anon_vma_interval_tree_foreach(avc, &root, 7, 7)
		assert_ptr_equal(avc, &items[i++].avc);
	assert_int_equal(i, N);

	/* remove every third; the rest keep their order */
	for (size_t k = 0; k < N; k += 3)
		item_remove(&items[k], &root);
	check_valid(&root, N - (N + 2) / 3);
	i = 0;
	anon_vma_interval_tree_foreach(avc, &root, 0, ~0UL) {
		if (i % 3 == 0)
			i++;
		assert_ptr_equal(avc, &items[i++].avc);
	}
	free(items);
}

/* Sorted inserts (the worst case of an unbalanced tree) stay O(log n) high. */
static void test_balanced_under_sorted_input(void **state)
{
	enum { N = 100000 };
	struct item *items = calloc(N, sizeof(*items));
	struct anon_vma_rb_root root = RB_ROOT_INIT;
	unsigned long seq = 0;
	struct anon_vma_chain *top;
	unsigned int height, bound = 0;

	(void)state;
	for (size_t k = 0; k < N; k++) {
		item_set_key(&items[k], k, 1);
		item_insert(&items[k], &root, &seq);
	}
	check_valid(&root, N);
	for (unsigned long n = N + 1; n > 1; n >>= 1)
		bound++;
	height = tree_height(root.rb_node);
	assert_true(height <= 2 * bound); /* red-black: height <= 2 log2(n + 1) */
	top = container_of(root.rb_node, struct anon_vma_chain, rb);
	assert_int_equal(top->rb_subtree_last, N - 1);

	/* remove in descending order: the rebalancing mirror image */
	for (size_t k = N; k-- > 0;) {
		item_remove(&items[k], &root);
		if (k % 4096 == 0)
			check_valid(&root, k);
	}
	assert_true(anon_vma_interval_tree_empty(&root));
	free(items);
}

/* The randomized comparison: >= 10^5 operations against a brute-force list. */
static void test_random_against_brute_force(void **state)
{
	enum { POOL = 1500, OPS = 300000, KEYSPACE = 3000 };
	struct item *items = calloc(POOL, sizeof(*items));
	struct item **expect = calloc(POOL, sizeof(*expect));
	struct anon_vma_rb_root root = RB_ROOT_INIT;
	unsigned long seq = 0, in_tree = 0, queries = 0, changes = 0;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (unsigned long op = 0; op < OPS; op++) {
		struct item *it = &items[rnd_below(POOL)];
		unsigned long r = rnd_below(100);

		if (r < 40) {
			/* insert (or re-key an item already in the tree, as pre/post update) */
			/* mostly short, one in eight long */
			unsigned long pages = 1 + rnd_below(rnd_below(8) ? 16 : KEYSPACE);

			if (it->in_tree) {
				item_remove(it, &root);
				in_tree--;
			}
			/* few distinct starts: many equal starts */
			item_set_key(it, rnd_below(KEYSPACE / 4) * 4, pages);
			item_insert(it, &root, &seq);
			in_tree++;
			changes++;
		} else if (r < 70) {
			if (it->in_tree) {
				item_remove(it, &root);
				in_tree--;
				changes++;
			}
		} else {
			unsigned long first = rnd_below(KEYSPACE + 64);
			unsigned long last = rnd_below(4) ? first + rnd_below(32) : ~0UL;

			if (!rnd_below(16))
				first = 0;
			check_query(&root, items, POOL, first, last, expect);
			queries++;
		}
		assert_int_equal(anon_vma_interval_tree_contains(&root, &it->avc), it->in_tree);
		if (op < 20000 || op % 1024 == 0)
			check_valid(&root, in_tree);
	}
	check_valid(&root, in_tree);
	assert_true(queries + changes >= 100000);
	/* drain */
	for (size_t k = 0; k < POOL; k++)
		if (items[k].in_tree)
			item_remove(&items[k], &root);
	check_valid(&root, 0);
	free(expect);
	free(items);
}

/* A corrupted augmented value or colour is reported. */
static void test_validator_catches_corruption(void **state)
{
	enum { N = 64 };
	struct item *items = calloc(N, sizeof(*items));
	struct anon_vma_rb_root root = RB_ROOT_INIT;
	struct anon_vma_chain *top;
	unsigned long seq = 0, saved;
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	for (size_t k = 0; k < N; k++) {
		item_set_key(&items[k], k * 3, 2);
		item_insert(&items[k], &root, &seq);
	}
	check_valid(&root, N);
	top = container_of(root.rb_node, struct anon_vma_chain, rb);
	saved = top->rb_subtree_last;
	top->rb_subtree_last = saved + 1;
	assert_false(anon_vma_interval_tree_validate(&root, devnull, NULL));
	top->rb_subtree_last = saved;
	root.rb_node->rb_red = true;
	assert_false(anon_vma_interval_tree_validate(&root, devnull, NULL));
	root.rb_node->rb_red = false;
	check_valid(&root, N);
	fclose(devnull);
	free(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_single),
		cmocka_unit_test(test_equal_starts_in_insertion_order),
		cmocka_unit_test(test_balanced_under_sorted_input),
		cmocka_unit_test(test_random_against_brute_force),
		cmocka_unit_test(test_validator_catches_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
