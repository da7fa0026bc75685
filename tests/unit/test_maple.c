// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_maple.c: the VMA tree (src/maple.c).
 *
 * Unit tests of each operation; a randomized comparison of 10^6 operations against a
 * reference (a sorted array of ranges, below) with mt_validate every 1000 operations; an
 * ENOMEM sweep over every allocation of a store; RCU readers racing one writer.
 * Every test ends with no maple node alive (after rcu_barrier).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <urcu.h>

#include "alloc.h"
#include "maple.h"

#define MAX ULONG_MAX

/* Entries are odd values, never dereferenced. */
static void *E(unsigned long v)
{
	return (void *)(uintptr_t)((v << 1) | 1);
}

static uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void check_valid(struct maple_tree *mt)
{
	if (!mt_validate(mt, stderr)) {
		mt_dump(mt, stderr);
		fail_msg("mt_validate failed");
	}
}

static void check_no_nodes(void)
{
	rcu_barrier();
	assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), 0);
}

static void store(struct maple_tree *mt, unsigned long first, unsigned long last, void *entry)
{
	assert_int_equal(mtree_store_range(mt, first, last, entry), 0);
}

/* Walk to index and check the entry and the range found. */
static void check_walk(struct maple_tree *mt, unsigned long index, void *entry, unsigned long first,
		       unsigned long last)
{
	MA_STATE(mas, mt, index, index);

	assert_ptr_equal(mas_walk(&mas), entry);
	assert_int_equal(mas.index, first);
	assert_int_equal(mas.last, last);
	assert_ptr_equal(mtree_load(mt, index), entry);
}

/* ---------------------------------------------------------------------------------------
 * The reference: the non-NULL ranges in a sorted array. Every store builds a new array.
 */
struct ref_range {
	unsigned long first, last;
	void *entry;
};

struct ref {
	struct ref_range *r, *tmp;
	size_t nr, cap;
};

static void ref_free(struct ref *ref)
{
	free(ref->r);
	free(ref->tmp);
	memset(ref, 0, sizeof(*ref));
}

static void ref_store(struct ref *ref, unsigned long first, unsigned long last, void *entry)
{
	struct ref_range *t, x, *swap;
	size_t i, n = 0;

	if (ref->cap < ref->nr + 2) {
		ref->cap = 2 * (ref->nr + 2);
		ref->r = realloc(ref->r, ref->cap * sizeof(*ref->r));
		ref->tmp = realloc(ref->tmp, ref->cap * sizeof(*ref->tmp));
		assert_non_null(ref->r);
		assert_non_null(ref->tmp);
	}
	t = ref->tmp;
	for (i = 0; i < ref->nr; i++) {
		x = ref->r[i];
		if (x.last < first)
			t[n++] = x;
		else if (x.first < first)
			t[n++] = (struct ref_range){x.first, first - 1, x.entry};
	}
	if (entry)
		t[n++] = (struct ref_range){first, last, entry};
	for (i = 0; i < ref->nr; i++) {
		x = ref->r[i];
		if (x.first > last)
			t[n++] = x;
		else if (x.last > last)
			t[n++] = (struct ref_range){last + 1, x.last, x.entry};
	}
	swap = ref->r;
	ref->r = t;
	ref->tmp = swap;
	ref->nr = n;
}

/* The first range ending at or after x (ref->nr if none). */
static size_t ref_lower(const struct ref *ref, unsigned long x)
{
	size_t lo = 0, hi = ref->nr, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (ref->r[mid].last < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry at x and its range, or NULL and the gap's range. */
static void *ref_walk(const struct ref *ref, unsigned long x, unsigned long *first,
		      unsigned long *last)
{
	size_t i = ref_lower(ref, x);

	if (i < ref->nr && ref->r[i].first <= x) {
		*first = ref->r[i].first;
		*last = ref->r[i].last;
		return ref->r[i].entry;
	}
	*first = i ? ref->r[i - 1].last + 1 : 0;
	*last = i < ref->nr ? ref->r[i].first - 1 : MAX;
	return NULL;
}

/* The first range meeting [x, max], or NULL. */
static const struct ref_range *ref_find(const struct ref *ref, unsigned long x, unsigned long max)
{
	size_t i = ref_lower(ref, x);

	if (x > max || i == ref->nr || ref->r[i].first > max)
		return NULL;
	return &ref->r[i];
}

/* The last range meeting [min, x], or NULL. */
static const struct ref_range *ref_find_rev(const struct ref *ref, unsigned long x,
					    unsigned long min)
{
	size_t i = ref_lower(ref, x);

	if (x < min)
		return NULL;
	if (i == ref->nr || ref->r[i].first > x) {
		if (!i)
			return NULL;
		i--;
	}
	return ref->r[i].last >= min ? &ref->r[i] : NULL;
}

/* The gap search, by looking at every gap in order. */
static int ref_gap(const struct ref *ref, unsigned long min, unsigned long max, unsigned long size,
		   bool rev, unsigned long *first, unsigned long *last)
{
	size_t k, i, n = ref->nr + 1;
	unsigned long g0, g1;
	int found = -EBUSY;

	if (!size || min > max)
		return -EINVAL;
	for (k = 0; k < n; k++) {
		i = rev ? n - 1 - k : k;
		if (i && ref->r[i - 1].last == MAX)
			continue;
		if (i < ref->nr && !ref->r[i].first)
			continue;
		g0 = i ? ref->r[i - 1].last + 1 : 0;
		g1 = i < ref->nr ? ref->r[i].first - 1 : MAX;
		if (g0 > g1 || g1 < min || g0 > max)
			continue;
		g0 = g0 < min ? min : g0;
		g1 = g1 > max ? max : g1;
		if (g1 - g0 >= size - 1) {
			*first = g0;
			*last = g1;
			found = 0;
			break;
		}
	}
	return found;
}

/* The whole tree against the reference, range by range. */
static void ref_compare(const struct ref *ref, struct maple_tree *mt)
{
	MA_STATE(mas, mt, 0, 0);
	size_t i = 0;
	void *entry;

	while ((entry = mas_find(&mas, MAX))) {
		if (i >= ref->nr)
			fail_msg("tree has [%#lx, %#lx] beyond the %zu reference ranges", mas.index,
				 mas.last, ref->nr);
		if (entry != ref->r[i].entry || mas.index != ref->r[i].first ||
		    mas.last != ref->r[i].last)
			fail_msg("range %zu: tree [%#lx, %#lx] %p, reference [%#lx, %#lx] %p", i,
				 mas.index, mas.last, entry, ref->r[i].first, ref->r[i].last,
				 ref->r[i].entry);
		i++;
	}
	assert_int_equal(i, ref->nr);
	assert_int_equal(mt_nr_entries(mt), ref->nr);
	assert_int_equal(mtree_empty(mt), ref->nr == 0);
}

static void both_store(struct maple_tree *mt, struct ref *ref, unsigned long first,
		       unsigned long last, void *entry)
{
	store(mt, first, last, entry);
	ref_store(ref, first, last, entry);
}

/* ---------------------------------------------------------------------------------------
 * Unit tests.
 */
static void test_empty(void **state)
{
	struct maple_tree mt;
	unsigned long index = 0;
	MA_STATE(mas, &mt, 5, 5);

	(void)state;
	mt_init(&mt);
	assert_true(mtree_empty(&mt));
	assert_null(mtree_load(&mt, 0));
	assert_null(mtree_load(&mt, MAX));
	assert_null(mt_find(&mt, &index, MAX));
	assert_null(mas_walk(&mas));
	assert_int_equal(mas.index, 0);
	assert_int_equal(mas.last, MAX);
	mas_set(&mas, 5);
	assert_null(mas_find(&mas, MAX));
	mas_set(&mas, 5);
	assert_null(mas_prev(&mas, 0));
	mas_set(&mas, 5);
	assert_null(mas_find_rev(&mas, 0));
	assert_int_equal(mas_empty_area(&mas, 0, MAX, 1), 0);
	assert_int_equal(mas.index, 0);
	assert_int_equal(mas.last, MAX);
	assert_int_equal(mas_empty_area_rev(&mas, 10, 20, 11), 0);
	assert_int_equal(mas.index, 10);
	assert_int_equal(mas.last, 20);
	assert_int_equal(mas_empty_area(&mas, 10, 20, 12), -EBUSY);
	assert_int_equal(mas_empty_area(&mas, 0, MAX, MAX), 0);
	assert_int_equal(mas_empty_area(&mas, 21, 20, 1), -EINVAL);
	assert_int_equal(mas_empty_area_rev(&mas, 0, 20, 0), -EINVAL);
	assert_null(mtree_erase(&mt, 5));
	store(&mt, 3, 9, NULL);
	assert_true(mtree_empty(&mt));
	assert_int_equal(mtree_store_range(&mt, 9, 3, E(1)), -EINVAL);
	assert_int_equal(mt_nr_entries(&mt), 0);
	check_valid(&mt);

	/* One range over everything, then NULL over everything: empty again. */
	store(&mt, 0, MAX, E(1));
	assert_int_equal(mt.ma_height, 1);
	check_walk(&mt, 0, E(1), 0, MAX);
	check_walk(&mt, MAX, E(1), 0, MAX);
	assert_int_equal(mas_empty_area(&mas, 0, MAX, 1), -EBUSY);
	check_valid(&mt);
	store(&mt, 0, MAX, NULL);
	assert_true(mtree_empty(&mt));
	assert_int_equal(mt.ma_height, 0);
	check_valid(&mt);

	/* The edges of the index space. */
	store(&mt, MAX, MAX, E(2));
	store(&mt, 0, 0, E(3));
	check_walk(&mt, MAX, E(2), MAX, MAX);
	check_walk(&mt, 0, E(3), 0, 0);
	check_walk(&mt, 1, NULL, 1, MAX - 1);
	assert_ptr_equal(mtree_erase(&mt, MAX), E(2));
	assert_ptr_equal(mtree_erase(&mt, 0), E(3));
	assert_true(mtree_empty(&mt));
	check_valid(&mt);
	mt_destroy(&mt);
	check_no_nodes();
}

static void test_store_load(void **state)
{
	struct maple_tree mt;
	struct ref ref = {0};
	unsigned long i, n = 5000;

	(void)state;
	mt_init(&mt);
	for (i = 0; i < n; i++) {
		both_store(&mt, &ref, 10 * i + 10, 10 * i + 14, E(i));
		if (i % 500 == 0)
			check_valid(&mt);
	}
	check_valid(&mt);
	assert_true(mt.ma_height >= 3);
	ref_compare(&ref, &mt);
	for (i = 0; i < n; i++) {
		check_walk(&mt, 10 * i + 12, E(i), 10 * i + 10, 10 * i + 14);
		check_walk(&mt, 10 * i + 17, NULL, 10 * i + 15, i + 1 < n ? 10 * i + 19 : MAX);
	}
	check_walk(&mt, 3, NULL, 0, 9);

	/* Overwrites straddling ranges, inside one range, across many leaves. */
	for (i = 0; i < n; i += 7)
		both_store(&mt, &ref, 10 * i + 13, 10 * i + 21, E(100000 + i));
	for (i = 1; i < n; i += 11)
		both_store(&mt, &ref, 10 * i + 11, 10 * i + 11, E(200000 + i));
	both_store(&mt, &ref, 1234, 23456, E(300000));
	both_store(&mt, &ref, 30000, 30000 + 5000, NULL);
	check_valid(&mt);
	ref_compare(&ref, &mt);
	check_walk(&mt, 23456, E(300000), 1234, 23456);

	/* Equal neighbours stay apart; NULL neighbours merge. */
	both_store(&mt, &ref, 100000, 100099, E(7));
	both_store(&mt, &ref, 100100, 100199, E(7));
	check_walk(&mt, 100050, E(7), 100000, 100099);
	check_walk(&mt, 100150, E(7), 100100, 100199);
	both_store(&mt, &ref, 100000, 100099, NULL);
	check_walk(&mt, 100050, NULL, 10 * (n - 1) + 15, 100099);
	both_store(&mt, &ref, 100100, 100199, NULL);
	check_walk(&mt, 100150, NULL, 10 * (n - 1) + 15, MAX);
	check_valid(&mt);
	ref_compare(&ref, &mt);

	/* Everything over everything. */
	both_store(&mt, &ref, 0, MAX, E(9));
	assert_int_equal(mt.ma_height, 1);
	check_valid(&mt);
	ref_compare(&ref, &mt);
	mt_destroy(&mt);
	ref_free(&ref);
	check_no_nodes();
}

static void test_erase_rebalance(void **state)
{
	struct maple_tree mt;
	struct ref ref = {0};
	unsigned long i, n = 10000, *order, t, h;
	uint64_t seed = 42;
	int pass;

	(void)state;
	order = malloc(n * sizeof(*order));
	assert_non_null(order);
	for (pass = 0; pass < 4; pass++) {
		mt_init(&mt);
		for (i = 0; i < n; i++)
			both_store(&mt, &ref, 2 * i, 2 * i, E(i));
		check_valid(&mt);
		h = mt.ma_height;
		assert_true(h >= 4);
		for (i = 0; i < n; i++)
			order[i] = i;
		if (pass == 1) {
			for (i = 0; i < n; i++)
				order[i] = n - 1 - i;
		} else if (pass == 2) {
			for (i = n - 1; i > 0; i--) {
				unsigned long j = rnd_next(&seed) % (i + 1);

				t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
		}
		if (pass == 3) {
			/* Spanning erases of growing size. */
			for (i = 0; i < 2 * n; i += 2 * (i / 64 + 1)) {
				both_store(&mt, &ref, i, i + i / 64, NULL);
				check_valid(&mt);
			}
			both_store(&mt, &ref, 0, MAX, NULL);
		} else {
			for (i = 0; i < n; i++) {
				assert_ptr_equal(mtree_erase(&mt, 2 * order[i]), E(order[i]));
				ref_store(&ref, 2 * order[i], 2 * order[i], NULL);
				assert_true(mt.ma_height <= h);
				h = mt.ma_height;
				if (i % 97 == 0) {
					check_valid(&mt);
					ref_compare(&ref, &mt);
				}
			}
		}
		assert_true(mtree_empty(&mt));
		assert_int_equal(mt.ma_height, 0);
		check_valid(&mt);
		mt_destroy(&mt);
		check_no_nodes();
	}
	free(order);
	ref_free(&ref);
}

static void test_iteration(void **state)
{
	struct maple_tree mt;
	unsigned long i, index;
	void *entry;
	MA_STATE(mas, &mt, 0, 0);

	(void)state;
	mt_init(&mt);
	for (i = 1; i <= 100; i++)
		store(&mt, 100 * i, 100 * i + 49, E(i));

	i = 1;
	mt_for_each(&mt, entry, index, MAX)
	{
		assert_ptr_equal(entry, E(i));
		assert_int_equal(index, 100 * i + 50);
		i++;
	}
	assert_int_equal(i, 101);

	/* mas_find: the entry at index first, then the following ones; max bounds the start. */
	mas_set(&mas, 0);
	for (i = 1; (entry = mas_find(&mas, 1000)); i++) {
		assert_ptr_equal(entry, E(i));
		assert_int_equal(mas.index, 100 * i);
		assert_int_equal(mas.last, 100 * i + 49);
	}
	assert_int_equal(i, 11);
	mas_set(&mas, 520);
	assert_ptr_equal(mas_find(&mas, MAX), E(5));
	mas_set(&mas, 520);
	assert_null(mas_find(&mas, 510));
	mas_set(&mas, 480);
	assert_ptr_equal(mas_find(&mas, 510), E(5));

	/* mas_next / mas_prev from a position: the neighbours of the range holding index. */
	mas_set(&mas, 525);
	assert_ptr_equal(mas_next(&mas, MAX), E(6));
	mas_set(&mas, 525);
	assert_ptr_equal(mas_prev(&mas, 0), E(4));
	mas_set(&mas, 575);
	assert_ptr_equal(mas_prev(&mas, 0), E(5));
	mas_set(&mas, 575);
	assert_ptr_equal(mas_next(&mas, MAX), E(6));
	mas_set(&mas, 525);
	assert_ptr_equal(mas_find_rev(&mas, 0), E(5));
	mas_set(&mas, 575);
	assert_ptr_equal(mas_find_rev(&mas, 0), E(5));
	assert_ptr_equal(mas_prev(&mas, 449), E(4));
	assert_null(mas_prev(&mas, 350));
	mas_set(&mas, 575);
	assert_null(mas_find_rev(&mas, 550));
	mas_set(&mas, 575);
	assert_ptr_equal(mas_find_rev(&mas, 549), E(5));

	/* Walking back and forth. */
	mas_set(&mas, 5000);
	assert_ptr_equal(mas_walk(&mas), E(50));
	for (i = 49; i >= 1; i--)
		assert_ptr_equal(mas_prev(&mas, 0), E(i));
	assert_null(mas_prev(&mas, 0));
	assert_ptr_equal(mas_next(&mas, MAX), E(1));
	assert_ptr_equal(mas_next(&mas, MAX), E(2));
	assert_ptr_equal(mas_prev(&mas, 0), E(1));

	/* Pause: resume after the current entry, no entry twice. */
	mas_set(&mas, 0);
	for (i = 1; (entry = mas_find(&mas, MAX)); i++) {
		assert_ptr_equal(entry, E(i));
		mas_pause(&mas);
	}
	assert_int_equal(i, 101);
	mas_set(&mas, 3000);
	assert_ptr_equal(mas_find(&mas, MAX), E(30));
	mas_pause(&mas);
	assert_ptr_equal(mas_prev(&mas, 0), E(29));

	/* After a search runs out, one step back is the last entry before where it looked. */
	mas_set(&mas, 0);
	while (mas_find(&mas, MAX))
		;
	assert_ptr_equal(mas_prev(&mas, 0), E(100));
	mas_set(&mas, 20000);
	assert_null(mas_find(&mas, MAX));
	assert_ptr_equal(mas_prev(&mas, 0), E(100));
	mas_set(&mas, 5060);
	assert_null(mas_find(&mas, 5090));
	assert_ptr_equal(mas_prev(&mas, 0), E(50));
	mas_set(&mas, 5060);
	assert_ptr_equal(mas_find(&mas, 5100), E(51));
	assert_null(mas_next(&mas, 5199));
	assert_ptr_equal(mas_prev(&mas, 0), E(51));
	mas_set(&mas, 50);
	assert_null(mas_find_rev(&mas, 0));
	assert_ptr_equal(mas_next(&mas, MAX), E(1));

	/* After a store the cursor stands on the range stored. */
	mas_set_range(&mas, 5000, 5049);
	assert_int_equal(mas_store_gfp(&mas, E(500)), 0);
	assert_ptr_equal(mas_next(&mas, MAX), E(51));
	mas_set_range(&mas, 5000, 5049);
	assert_int_equal(mas_store_gfp(&mas, E(501)), 0);
	assert_ptr_equal(mas_prev(&mas, 0), E(49));
	mas_set_range(&mas, 5000, 5049);
	assert_int_equal(mas_store_gfp(&mas, NULL), 0);
	assert_ptr_equal(mas_find(&mas, MAX), E(51));

	/* mt_find wraps index to 0 after the last index. */
	store(&mt, MAX - 9, MAX, E(1000));
	index = 20000;
	assert_ptr_equal(mt_find(&mt, &index, MAX), E(1000));
	assert_int_equal(index, 0);
	index = 20000;
	assert_null(mt_find(&mt, &index, MAX - 10));
	assert_int_equal(index, 20000);
	mas_set(&mas, MAX);
	assert_ptr_equal(mas_walk(&mas), E(1000));
	assert_null(mas_next(&mas, MAX));
	assert_ptr_equal(mas_prev(&mas, 0), E(1000));
	check_valid(&mt);
	mt_destroy(&mt);
	check_no_nodes();
}

static void check_gap(struct maple_tree *mt, bool rev, unsigned long min, unsigned long max,
		      unsigned long size, int ret, unsigned long first, unsigned long last)
{
	MA_STATE(mas, mt, 0, 0);
	int got =
	    rev ? mas_empty_area_rev(&mas, min, max, size) : mas_empty_area(&mas, min, max, size);

	assert_int_equal(got, ret);
	if (ret)
		return;
	assert_int_equal(mas.index, first);
	assert_int_equal(mas.last, last);
}

static void test_gap_search(void **state)
{
	struct maple_tree mt;
	unsigned long i;

	(void)state;
	mt_init(&mt);
	/* Entries [100i, 100i + 49], i = 1..100: gaps [0, 99], [150, 199], ... [10050, MAX]. */
	for (i = 1; i <= 100; i++)
		store(&mt, 100 * i, 100 * i + 49, E(i));
	check_gap(&mt, false, 0, MAX, 50, 0, 0, 99);
	check_gap(&mt, false, 0, MAX, 100, 0, 0, 99);
	check_gap(&mt, false, 0, MAX, 101, 0, 10050, MAX);
	check_gap(&mt, false, 120, MAX, 40, 0, 150, 199);
	check_gap(&mt, false, 160, MAX, 40, 0, 160, 199);
	check_gap(&mt, false, 160, MAX, 41, 0, 250, 299);
	check_gap(&mt, false, 100, 170, 21, 0, 150, 170);
	check_gap(&mt, false, 100, 170, 22, -EBUSY, 0, 0);
	check_gap(&mt, false, 100, 149, 1, -EBUSY, 0, 0);
	check_gap(&mt, false, 149, 150, 1, 0, 150, 150);
	check_gap(&mt, false, 0, MAX, MAX, -EBUSY, 0, 0);
	check_gap(&mt, false, 0, MAX, 0, -EINVAL, 0, 0);
	check_gap(&mt, false, 5, 4, 1, -EINVAL, 0, 0);

	check_gap(&mt, true, 0, MAX, 1, 0, 10050, MAX);
	check_gap(&mt, true, 0, 10000, 50, 0, 9950, 9999);
	check_gap(&mt, true, 0, 9975, 26, 0, 9950, 9975);
	check_gap(&mt, true, 0, 9975, 27, 0, 9850, 9899);
	check_gap(&mt, true, 0, 99, 100, 0, 0, 99);
	check_gap(&mt, true, 1, 99, 100, -EBUSY, 0, 0);
	check_gap(&mt, true, 0, 10049, 51, 0, 0, 99);
	check_gap(&mt, true, 2000, 10049, 51, -EBUSY, 0, 0);
	check_gap(&mt, true, 0, 0, 1, 0, 0, 0);
	check_gap(&mt, true, 100, 100, 1, -EBUSY, 0, 0);

	/* Gaps are kept while entries come and go. */
	for (i = 1; i <= 100; i += 2)
		assert_ptr_equal(mtree_erase(&mt, 100 * i), E(i));
	check_valid(&mt);
	check_gap(&mt, false, 0, MAX, 101, 0, 0, 199);
	check_gap(&mt, false, 0, MAX, 201, 0, 10050, MAX);
	check_gap(&mt, true, 0, 10049, 150, 0, 9850, 9999);
	check_gap(&mt, true, 0, 10049, 151, 0, 0, 199);
	check_gap(&mt, true, 1, 10049, 200, -EBUSY, 0, 0);
	store(&mt, 0, 0, E(1000));
	store(&mt, 1, MAX - 1, E(1001));
	check_gap(&mt, false, 0, MAX, 1, 0, MAX, MAX);
	check_gap(&mt, true, 0, MAX - 1, 1, -EBUSY, 0, 0);
	store(&mt, 1, MAX - 1, NULL);
	check_gap(&mt, false, 0, MAX, MAX - 1, 0, 1, MAX);
	check_gap(&mt, true, 0, MAX, MAX, 0, 1, MAX);
	check_valid(&mt);
	mt_destroy(&mt);
	check_no_nodes();
}

/* A tree of n ranges of mixed lengths, in the tree and in ref. */
static void build_mixed(struct maple_tree *mt, struct ref *ref, unsigned long n, uint64_t seed)
{
	unsigned long i, at = 0, len;

	for (i = 0; i < n; i++) {
		at += rnd_next(&seed) % 4;
		len = 1 + rnd_next(&seed) % 20;
		both_store(mt, ref, at, at + len - 1, E(i));
		at += len;
	}
}

static void test_dup(void **state)
{
	struct maple_tree src, dst;
	struct ref ref = {0};
	unsigned long i, live, nodes;
	void *entry;
	MA_STATE(mas, &dst, 0, 0);

	(void)state;
	mt_init(&src);
	mt_init(&dst);
	assert_int_equal(mt_dup(&src, &dst), 0);
	assert_true(mtree_empty(&dst));

	build_mixed(&src, &ref, 3000, 7);
	rcu_barrier();
	nodes = av_live(AV_OBJ_MAPLE_NODE);
	assert_int_equal(mt_dup(&src, &dst), 0);
	assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), 2 * nodes);
	assert_int_equal(dst.ma_height, src.ma_height);
	check_valid(&dst);
	ref_compare(&ref, &dst);
	assert_int_equal(mt_dup(&src, &dst), -EINVAL);

	/* Replace every entry in place: no allocation at all (the next one would fail). */
	live = av_live(AV_OBJ_MAPLE_NODE);
	av_fail_nth(1);
	mas_set(&mas, 0);
	while ((entry = mas_find(&mas, MAX))) {
		uintptr_t v = (uintptr_t)entry;

		assert_int_equal(mas_store_gfp(&mas, (void *)(v + 0x100000000UL)), 0);
	}
	av_fail_nth(0);
	rcu_barrier();
	assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), live);
	check_valid(&dst);
	ref_compare(&ref, &src);
	for (i = 0; i < ref.nr; i++) {
		uintptr_t v = (uintptr_t)ref.r[i].entry + 0x100000000UL;

		check_walk(&dst, ref.r[i].first, (void *)v, ref.r[i].first, ref.r[i].last);
	}

	/* Then the two trees live their own lives. */
	for (i = 0; i < ref.nr; i += 3)
		store(&dst, ref.r[i].first, ref.r[i].last, NULL);
	check_valid(&dst);
	check_valid(&src);
	ref_compare(&ref, &src);
	mt_destroy(&dst);
	mt_destroy(&src);
	ref_free(&ref);
	check_no_nodes();
}

static void test_dup_enomem(void **state)
{
	struct maple_tree src, dst;
	struct ref ref = {0};
	long n, live;
	int ret;

	(void)state;
	mt_init(&src);
	build_mixed(&src, &ref, 600, 11);
	rcu_barrier();
	live = av_live(AV_OBJ_MAPLE_NODE);
	for (n = 1;; n++) {
		mt_init(&dst);
		av_fail_nth(n);
		ret = mt_dup(&src, &dst);
		av_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_true(mtree_empty(&dst));
		assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), live);
	}
	assert_int_equal(n - 1, live); /* one allocation per node */
	ref_compare(&ref, &dst);
	check_valid(&dst);
	mt_destroy(&dst);
	mt_destroy(&src);
	ref_free(&ref);
	check_no_nodes();
}

static void prealloc_store(struct maple_tree *mt, struct ref *ref, unsigned long first,
			   unsigned long last, void *entry)
{
	MA_STATE(mas, mt, first, last);

	assert_int_equal(mas_preallocate(&mas, entry), 0);
	assert_true(mt->ma_nr_spare <= 3 * (mt->ma_height ? mt->ma_height : 1) + 1);
	av_fail_nth(1); /* the store must not allocate */
	mas_store_prealloc(&mas, entry);
	av_fail_nth(0);
	assert_int_equal(mt->ma_nr_spare, 0);
	ref_store(ref, first, last, entry);
}

static void test_prealloc(void **state)
{
	struct maple_tree mt;
	struct ref ref = {0};
	unsigned long i, live;
	long n;
	int ret;
	MA_STATE(mas, &mt, 0, 0);

	(void)state;
	mt_init(&mt);
	prealloc_store(&mt, &ref, 5, 10, E(1));
	build_mixed(&mt, &ref, 2000, 3);
	for (i = 0; i < 200; i++) {
		prealloc_store(&mt, &ref, 37 * i, 37 * i + 5, E(5000 + i));
		prealloc_store(&mt, &ref, 53 * i, 53 * i + 80, NULL);
	}
	prealloc_store(&mt, &ref, 100, 20000, E(6000));
	prealloc_store(&mt, &ref, 0, MAX, NULL);
	assert_true(mtree_empty(&mt));
	build_mixed(&mt, &ref, 2000, 4);
	check_valid(&mt);
	ref_compare(&ref, &mt);

	/* An in-place store reserves nothing. */
	rcu_barrier();
	live = av_live(AV_OBJ_MAPLE_NODE);
	mas_set_range(&mas, ref.r[10].first, ref.r[10].last);
	assert_int_equal(mas_preallocate(&mas, E(7000)), 0);
	assert_int_equal(mt.ma_nr_spare, 0);
	mas_store_prealloc(&mas, E(7000));
	ref_store(&ref, ref.r[10].first, ref.r[10].last, E(7000));

	/* A reservation given back unused. */
	mas_set_range(&mas, 3, 50000);
	assert_int_equal(mas_preallocate(&mas, NULL), 0);
	assert_true(mt.ma_nr_spare > 0);
	mas_destroy(&mas);
	assert_int_equal(mt.ma_nr_spare, 0);
	assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), live);

	/* A reservation that fails keeps nothing. */
	for (n = 1; n < 20; n++) {
		mas_set_range(&mas, 3, 50000);
		av_fail_nth(n);
		ret = mas_preallocate(&mas, E(1));
		av_fail_nth(0);
		if (!ret) {
			mas_destroy(&mas);
			break;
		}
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(mt.ma_nr_spare, 0);
		assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), live);
	}
	assert_true(n > 1);
	assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), live);
	check_valid(&mt);
	ref_compare(&ref, &mt);
	mt_destroy(&mt);
	ref_free(&ref);
	check_no_nodes();
}

/*
 * A store made to fail at its 1st, 2nd, ... allocation: each failure leaves the tree as it
 * was (same root, same height, same ranges, no node more); returns the allocations it took.
 */
static long enomem_sweep(struct maple_tree *mt, struct ref *ref, unsigned long first,
			 unsigned long last, void *entry)
{
	struct maple_node *root = mt->ma_root;
	unsigned int height = mt->ma_height;
	long n, live;
	int ret;

	rcu_barrier();
	live = av_live(AV_OBJ_MAPLE_NODE);
	for (n = 1;; n++) {
		av_fail_nth(n);
		ret = mtree_store_range(mt, first, last, entry);
		av_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_ptr_equal(mt->ma_root, root);
		assert_int_equal(mt->ma_height, height);
		assert_int_equal(av_live(AV_OBJ_MAPLE_NODE), live);
		check_valid(mt);
		ref_compare(ref, mt);
	}
	ref_store(ref, first, last, entry);
	check_valid(mt);
	ref_compare(ref, mt);
	return n - 1;
}

static void test_enomem(void **state)
{
	struct maple_tree mt;
	struct ref ref = {0};
	long most = 0, n;
	unsigned long i;
	uint64_t seed = 99;

	(void)state;
	mt_init(&mt);
	assert_int_equal(enomem_sweep(&mt, &ref, 10, 20, E(1)), 1);
	build_mixed(&mt, &ref, 3000, 5);
	assert_true(mt.ma_height >= 3);
	/* Splits, spanning stores, erases with rebalancing, height changes. */
	for (i = 0; i < 120; i++) {
		unsigned long a = rnd_next(&seed) % 40000, len = 1 + rnd_next(&seed) % 300;
		void *entry = i % 3 ? E(10000 + i) : NULL;

		n = enomem_sweep(&mt, &ref, a, a + len, entry);
		most = n > most ? n : most;
	}
	assert_int_equal(enomem_sweep(&mt, &ref, ref.r[5].first, ref.r[5].last, E(2)), 0);
	n = enomem_sweep(&mt, &ref, 50, 30000, NULL);
	assert_true(n >= 2);
	assert_int_equal(enomem_sweep(&mt, &ref, 0, MAX, E(3)), 1);
	assert_int_equal(enomem_sweep(&mt, &ref, 0, MAX, NULL), 0);
	assert_true(most >= 3);
	mt_destroy(&mt);
	ref_free(&ref);
	check_no_nodes();
}

/* ---------------------------------------------------------------------------------------
 * Randomized comparison with the reference.
 */
struct rt {
	struct maple_tree mt;
	struct ref ref;
	uint64_t rng;
	unsigned long seed, op;
	unsigned long space; /* coordinates are drawn from [0, space) */
	bool high;	     /* ... and mirrored to the top of the index space */
	size_t target;	     /* ranges kept around this many */
	unsigned long next_id;
	size_t most_ranges;
	unsigned int most_height, least_height;
	unsigned long enomem; /* stores failed by injection */
};

#define rt_check(rt, cond, fmt, ...)                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("seed %lu op %lu: " fmt, (rt)->seed, (rt)->op, ##__VA_ARGS__);    \
	} while (0)

static unsigned long rt_rnd(struct rt *rt)
{
	return rnd_next(&rt->rng);
}

static unsigned long rt_coord(struct rt *rt)
{
	unsigned long x = rt_rnd(rt) % rt->space;

	return rt->high ? MAX - x : x;
}

static void rt_range(struct rt *rt, unsigned long *first, unsigned long *last)
{
	unsigned long a = rt_rnd(rt) % rt->space, b, len, r = rt_rnd(rt) % 1000;

	if (r < 300)
		len = 1;
	else if (r < 750)
		len = 1 + rt_rnd(rt) % 16;
	else if (r < 950)
		len = 1 + rt_rnd(rt) % (rt->space / 256 + 1);
	else if (rt->ref.nr > rt->target)
		len = 1 + rt_rnd(rt) % (rt->space / 8 + 1);
	else
		len = 1 + rt_rnd(rt) % 64;
	if (r == 999) {
		a = rt_rnd(rt) % 2 ? 0 : a;
		len = rt->space - a;
	}
	b = a + len - 1;
	if (b < a || b >= rt->space)
		b = rt->space - 1;
	if (r == 998 && rt->space == MAX)
		b = MAX;
	*first = rt->high ? MAX - b : a;
	*last = rt->high ? MAX - a : b;
}

static void *rt_entry(struct rt *rt)
{
	return E(++rt->next_id);
}

static void rt_store(struct rt *rt, void *entry)
{
	unsigned long first, last;
	MA_STATE(mas, &rt->mt, 0, 0);

	rt_range(rt, &first, &last);
	if (rt_rnd(rt) % 2) {
		rt_check(rt, !mtree_store_range(&rt->mt, first, last, entry), "store failed");
	} else {
		mas_set_range(&mas, first, last);
		rt_check(rt, !mas_store_gfp(&mas, entry), "store failed");
	}
	ref_store(&rt->ref, first, last, entry);
}

static void rt_walk(struct rt *rt)
{
	unsigned long x = rt_coord(rt), first, last;
	void *expect = ref_walk(&rt->ref, x, &first, &last), *entry;
	MA_STATE(mas, &rt->mt, x, x);

	rcu_read_lock();
	entry = mas_walk(&mas);
	rcu_read_unlock();
	rt_check(rt, entry == expect && mas.index == first && mas.last == last,
		 "walk %#lx: [%#lx, %#lx] %p, expected [%#lx, %#lx] %p", x, mas.index, mas.last,
		 entry, first, last, expect);
	rt_check(rt, mtree_load(&rt->mt, x) == expect, "load %#lx", x);
}

static void rt_erase(struct rt *rt)
{
	unsigned long x = rt_coord(rt), first, last;
	void *expect = ref_walk(&rt->ref, x, &first, &last);

	rt_check(rt, mtree_erase(&rt->mt, x) == expect, "erase %#lx", x);
	if (expect)
		ref_store(&rt->ref, first, last, NULL);
}

static void rt_expect(struct rt *rt, const char *what, void *entry, const struct ma_state *mas,
		      const struct ref_range *r)
{
	if (!r) {
		rt_check(rt, !entry, "%s: %p [%#lx, %#lx], expected none", what, entry, mas->index,
			 mas->last);
		return;
	}
	rt_check(rt, entry == r->entry && mas->index == r->first && mas->last == r->last,
		 "%s: %p [%#lx, %#lx], expected %p [%#lx, %#lx]", what, entry, mas->index,
		 mas->last, r->entry, r->first, r->last);
}

/* mas_find then mas_next up to a limit; when they run out, mas_prev goes one back. */
static void rt_forward(struct rt *rt)
{
	unsigned long x = rt_coord(rt), max, from, steps = 1 + rt_rnd(rt) % 8, i, idx;
	const struct ref_range *r;
	void *entry;
	MA_STATE(mas, &rt->mt, x, x);

	max = rt_rnd(rt) % 4 ? MAX : rt_coord(rt);
	from = x;
	rcu_read_lock();
	for (i = 0; i < steps; i++) {
		r = ref_find(&rt->ref, from, max);
		entry = i ? mas_next(&mas, max) : mas_find(&mas, max);
		rt_expect(rt, i ? "next" : "find", entry, &mas, r);
		if (!r) {
			/* Back from a search that found nothing in [from, max]. */
			r = ref_find_rev(&rt->ref, max < from ? from - 1 : max, 0);
			rt_expect(rt, "prev after next", mas_prev(&mas, 0), &mas, r);
			break;
		}
		if (r->last == MAX) {
			rt_expect(rt, "next at the end", mas_next(&mas, MAX), &mas, NULL);
			rt_expect(rt, "prev after end", mas_prev(&mas, 0), &mas, r);
			break;
		}
		from = r->last + 1;
	}
	rcu_read_unlock();

	idx = x;
	r = ref_find(&rt->ref, x, max);
	entry = mt_find(&rt->mt, &idx, max);
	rt_check(rt, entry == (r ? r->entry : NULL), "mt_find %#lx %#lx", x, max);
	rt_check(rt, idx == (r ? r->last + 1 : x), "mt_find index %#lx", idx);
}

/* mas_find_rev then mas_prev down to a limit; when they run out, mas_next goes one ahead. */
static void rt_backward(struct rt *rt)
{
	unsigned long x = rt_coord(rt), min, from, steps = 1 + rt_rnd(rt) % 8, i;
	const struct ref_range *r;
	void *entry;
	MA_STATE(mas, &rt->mt, x, x);

	min = rt_rnd(rt) % 4 ? 0 : rt_coord(rt);
	from = x;
	rcu_read_lock();
	for (i = 0; i < steps; i++) {
		r = ref_find_rev(&rt->ref, from, min);
		entry = i ? mas_prev(&mas, min) : mas_find_rev(&mas, min);
		rt_expect(rt, i ? "prev" : "find_rev", entry, &mas, r);
		if (!r) {
			r = ref_find(&rt->ref, min > from ? from + 1 : min, MAX);
			rt_expect(rt, "next after prev", mas_next(&mas, MAX), &mas, r);
			break;
		}
		if (!r->first) {
			rt_expect(rt, "prev at 0", mas_prev(&mas, 0), &mas, NULL);
			rt_expect(rt, "next after 0", mas_next(&mas, MAX), &mas, r);
			break;
		}
		from = r->first - 1;
	}
	rcu_read_unlock();
}

static void rt_gap(struct rt *rt)
{
	unsigned long min = rt_coord(rt), max = rt_coord(rt), size, first = 0, last = 0;
	bool rev = rt_rnd(rt) % 2;
	int ret, expect;
	MA_STATE(mas, &rt->mt, 0, 0);

	if (min > max && rt_rnd(rt) % 8) {
		size = min;
		min = max;
		max = size;
	}
	if (rt_rnd(rt) % 4 == 0)
		min = 0;
	if (rt_rnd(rt) % 4 == 0)
		max = MAX;
	switch (rt_rnd(rt) % 4) {
	case 0:
		size = 1;
		break;
	case 1:
		size = 1 + rt_rnd(rt) % 8;
		break;
	case 2:
		size = 1 + rt_rnd(rt) % (rt->space / 64 + 1);
		break;
	default:
		size = 1 + rt_rnd(rt) % (rt->space / 4 + 1);
		break;
	}
	expect = ref_gap(&rt->ref, min, max, size, rev, &first, &last);
	ret = rev ? mas_empty_area_rev(&mas, min, max, size) : mas_empty_area(&mas, min, max, size);
	rt_check(rt, ret == expect, "gap%s [%#lx, %#lx] size %lu: %d, expected %d",
		 rev ? "_rev" : "", min, max, size, ret, expect);
	if (!ret)
		rt_check(rt, mas.index == first && mas.last == last,
			 "gap%s [%#lx, %#lx] size %lu: [%#lx, %#lx], expected [%#lx, %#lx]",
			 rev ? "_rev" : "", min, max, size, mas.index, mas.last, first, last);
}

static void rt_prealloc(struct rt *rt)
{
	unsigned long first, last;
	void *entry = rt_rnd(rt) % 3 ? rt_entry(rt) : NULL;
	MA_STATE(mas, &rt->mt, 0, 0);

	rt_range(rt, &first, &last);
	mas_set_range(&mas, first, last);
	rt_check(rt, !mas_preallocate(&mas, entry), "preallocate");
	av_fail_nth(1);
	mas_store_prealloc(&mas, entry);
	av_fail_nth(0);
	rt_check(rt, !rt->mt.ma_nr_spare, "spares left");
	ref_store(&rt->ref, first, last, entry);
}

static void rt_enomem(struct rt *rt)
{
	unsigned long first, last;
	void *entry = rt_rnd(rt) % 3 ? rt_entry(rt) : NULL;
	long live = av_live(AV_OBJ_MAPLE_NODE);
	int ret;

	rt_range(rt, &first, &last);
	av_fail_nth(1 + rt_rnd(rt) % 4);
	ret = mtree_store_range(&rt->mt, first, last, entry);
	av_fail_nth(0);
	if (ret) {
		rt_check(rt, ret == -ENOMEM, "store: %d", ret);
		rt->enomem++;
		/* Grace periods may free nodes meanwhile; a node kept shows at check_no_nodes. */
		rt_check(rt, av_live(AV_OBJ_MAPLE_NODE) <= live, "failed store kept nodes");
		ref_compare(&rt->ref, &rt->mt);
		return;
	}
	ref_store(&rt->ref, first, last, entry);
}

/* Duplicate, compare, replace every entry in place without allocating, then drop the copy. */
static void rt_dup(struct rt *rt)
{
	struct maple_tree dst;
	long live;
	size_t i = 0;
	void *entry;
	MA_STATE(mas, &dst, 0, 0);

	mt_init(&dst);
	rt_check(rt, !mt_dup(&rt->mt, &dst), "mt_dup");
	check_valid(&dst);
	ref_compare(&rt->ref, &dst);
	rcu_barrier();
	live = av_live(AV_OBJ_MAPLE_NODE);
	av_fail_nth(1);
	while ((entry = mas_find(&mas, MAX))) {
		rt_check(rt, !mas_store_gfp(&mas, E(i + (1UL << 40))), "in-place store");
		i++;
	}
	av_fail_nth(0);
	rt_check(rt, i == rt->ref.nr, "dup has %zu entries", i);
	rcu_barrier();
	rt_check(rt, av_live(AV_OBJ_MAPLE_NODE) == live, "in-place stores allocated or freed");
	check_valid(&dst);
	mt_destroy(&dst);
}

static void rt_run(unsigned long seed, unsigned long space, bool high, size_t target,
		   unsigned long ops)
{
	struct rt rt = {.seed = seed,
			.rng = seed,
			.space = space,
			.high = high,
			.target = target,
			.least_height = UINT_MAX};
	unsigned long r;

	mt_init(&rt.mt);
	for (rt.op = 0; rt.op < ops; rt.op++) {
		r = rt_rnd(&rt) % 1000;
		if (r < 280)
			rt_store(&rt, rt_entry(&rt));
		else if (r < 350)
			rt_store(&rt, NULL);
		else if (r < 420)
			rt_erase(&rt);
		else if (r < 580)
			rt_walk(&rt);
		else if (r < 700)
			rt_forward(&rt);
		else if (r < 800)
			rt_backward(&rt);
		else if (r < 920)
			rt_gap(&rt);
		else if (r < 960)
			rt_prealloc(&rt);
		else if (r < 975)
			rt_enomem(&rt);
		else
			rt_check(&rt, mt_nr_entries(&rt.mt) == rt.ref.nr, "nr_entries");
		if (rt.ref.nr > rt.most_ranges)
			rt.most_ranges = rt.ref.nr;
		if (rt.mt.ma_height > rt.most_height)
			rt.most_height = rt.mt.ma_height;
		if (rt.mt.ma_height < rt.least_height && rt.op > ops / 2)
			rt.least_height = rt.mt.ma_height;
		if (rt.op % 1000 == 999) {
			check_valid(&rt.mt);
			ref_compare(&rt.ref, &rt.mt);
		}
		if (rt.op % 50000 == 49999)
			rt_dup(&rt);
	}
	check_valid(&rt.mt);
	ref_compare(&rt.ref, &rt.mt);
	print_message("seed %lu: %lu ops, up to %zu ranges, height %u..%u (second half), "
		      "%lu stores failed by injection\n",
		      seed, ops, rt.most_ranges, rt.least_height, rt.most_height, rt.enomem);
	mt_destroy(&rt.mt);
	ref_free(&rt.ref);
	check_no_nodes();
}

static void test_random_reference(void **state)
{
	static const struct {
		unsigned long seed, space;
		bool high;
		size_t target;
	} phase[] = {
	    {1, 64, false, 3000},	{2, 1000, false, 3000},	     {3, 1UL << 16, false, 3000},
	    {4, 1UL << 20, true, 3000}, {5, MAX, false, 3000},	     {6, 1UL << 14, true, 1500},
	    {7, 300, true, 3000},	{8, 1UL << 18, false, 5000},
	};
	unsigned long i, ops = 125000; /* 8 phases: 10^6 operations */

	(void)state;
	for (i = 0; i < sizeof(phase) / sizeof(phase[0]); i++)
		rt_run(phase[i].seed, phase[i].space, phase[i].high, phase[i].target, ops);
}

/* ---------------------------------------------------------------------------------------
 * RCU readers against one writer. An entry encodes the range it was stored over, so a
 * reader can check that whatever it sees is a piece of some store: first <= index <= last
 * <= end, and the index looked up lies in [index, last].
 */
#define CONC_SPACE (1UL << 16)
#define CONC_SECONDS 1

struct conc {
	struct maple_tree mt;
	atomic_bool stop;
	atomic_ulong reads;
	atomic_ulong errors;
	char message[256];
	pthread_mutex_t lock;
};

static void *conc_entry(unsigned long first, unsigned long last)
{
	return (void *)(uintptr_t)((first << 33) | (last << 2) | 1);
}

static bool conc_decode(const void *entry, unsigned long *first, unsigned long *last)
{
	uintptr_t v = (uintptr_t)entry;

	*first = v >> 33;
	*last = (v >> 2) & ((1UL << 31) - 1);
	return (v & 3) == 1 && *first <= *last && *last < CONC_SPACE;
}

static void conc_error(struct conc *c, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&c->errors, 1))
		return;
	pthread_mutex_lock(&c->lock);
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&c->lock);
}

/* entry was found at [index, last] for a lookup of x. */
static void conc_check(struct conc *c, const char *what, const void *entry, unsigned long x,
		       unsigned long index, unsigned long last)
{
	unsigned long first, end;

	if (!entry)
		return;
	if (!conc_decode(entry, &first, &end) || index < first || last > end || index > last)
		conc_error(c, "%s %#lx: %p at [%#lx, %#lx]", what, x, entry, index, last);
}

static void *conc_reader(void *arg)
{
	struct conc *c = arg;
	uint64_t rng = (uint64_t)(uintptr_t)&rng;
	unsigned long x, prev, n = 0, i, first, end;
	void *entry;

	rcu_register_thread();
	while (!atomic_load(&c->stop)) {
		MA_STATE(mas, &c->mt, 0, 0);

		x = rnd_next(&rng) % (CONC_SPACE + 64);
		entry = mtree_load(&c->mt, x);
		if (entry && (!conc_decode(entry, &first, &end) || x < first || x > end))
			conc_error(c, "load %#lx: %p", x, entry);
		if (x >= CONC_SPACE && entry)
			conc_error(c, "load %#lx outside the stores: %p", x, entry);

		rcu_read_lock();
		mas_set(&mas, x);
		entry = mas_walk(&mas);
		if (x < mas.index || x > mas.last)
			conc_error(c, "walk %#lx: range [%#lx, %#lx]", x, mas.index, mas.last);
		conc_check(c, "walk", entry, x, mas.index, mas.last);

		prev = x;
		mas_set(&mas, x);
		for (i = 0; i < 32 && (entry = mas_find(&mas, x + 4096)); i++) {
			conc_check(c, "find", entry, x, mas.index, mas.last);
			if (mas.last < prev)
				conc_error(c, "find from %#lx went back to [%#lx, %#lx]", x,
					   mas.index, mas.last);
			prev = mas.last;
		}
		prev = x;
		mas_set(&mas, x);
		for (i = 0; i < 32 && (entry = i ? mas_prev(&mas, 0) : mas_find_rev(&mas, 0));
		     i++) {
			conc_check(c, "prev", entry, x, mas.index, mas.last);
			if (mas.index > prev)
				conc_error(c, "prev from %#lx went forward to [%#lx, %#lx]", x,
					   mas.index, mas.last);
			prev = mas.index;
		}
		rcu_read_unlock();
		n++;
	}
	atomic_fetch_add(&c->reads, n);
	rcu_unregister_thread();
	return NULL;
}

static void test_rcu_readers(void **state)
{
	struct conc c = {.lock = PTHREAD_MUTEX_INITIALIZER};
	unsigned long first, last, len, stores = 0, i;
	uint64_t rng = 2024;
	pthread_t readers[2];
	struct timespec t0, t;

	(void)state;
	mt_init(&c.mt);
	for (i = 0; i < CONC_SPACE; i += 8)
		store(&c.mt, i, i + 3, conc_entry(i, i + 3));
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, conc_reader, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (i = 0; i < 256; i++, stores++) {
			unsigned long r = rnd_next(&rng) % 100;

			first = rnd_next(&rng) % CONC_SPACE;
			len = r < 60   ? 1 + rnd_next(&rng) % 16
			      : r < 97 ? 1 + rnd_next(&rng) % 512
				       : 1 + rnd_next(&rng) % (CONC_SPACE / 4);
			last = first + len - 1 < CONC_SPACE ? first + len - 1 : CONC_SPACE - 1;
			if (r % 3 == 0) {
				store(&c.mt, first, last, NULL);
			} else if (r % 3 == 1) {
				/* Same range again: an in-place store when it exists. */
				MA_STATE(mas, &c.mt, first, first);
				void *entry = mas_walk(&mas);

				if (entry && mas.last < CONC_SPACE)
					store(&c.mt, mas.index, mas.last,
					      conc_entry(mas.index, mas.last));
				else
					store(&c.mt, first, last, conc_entry(first, last));
			} else {
				store(&c.mt, first, last, conc_entry(first, last));
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < CONC_SECONDS ||
		 (t.tv_sec - t0.tv_sec == CONC_SECONDS && t.tv_nsec < t0.tv_nsec));
	atomic_store(&c.stop, true);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(readers[i], NULL), 0);
	if (atomic_load(&c.errors))
		fail_msg("%lu reader errors, first: %s", atomic_load(&c.errors), c.message);
	print_message("rcu readers: %lu stores, %lu read rounds\n", stores, atomic_load(&c.reads));
	assert_true(atomic_load(&c.reads) > 0);
	check_valid(&c.mt);
	mt_destroy(&c.mt);
	check_no_nodes();
}

/*
 * ThreadSanitizer builds: liburcu is not instrumented, so its own allocations (rcu_barrier's
 * completion, freed by the call_rcu thread) look racy. maple.c annotates its own nodes.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "called_from_lib:liburcu.so\ncalled_from_lib:liburcu-common.so\n";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),	    cmocka_unit_test(test_store_load),
	    cmocka_unit_test(test_erase_rebalance), cmocka_unit_test(test_iteration),
	    cmocka_unit_test(test_gap_search),	    cmocka_unit_test(test_dup),
	    cmocka_unit_test(test_dup_enomem),	    cmocka_unit_test(test_prealloc),
	    cmocka_unit_test(test_enomem),	    cmocka_unit_test(test_random_reference),
	    cmocka_unit_test(test_rcu_readers),
	};
	int ret;

	if (getenv("MAPLE_TEST"))
		cmocka_set_test_filter(getenv("MAPLE_TEST")); /* e.g. MAPLE_TEST=test_rcu* */
	rcu_register_thread();
	ret = cmocka_run_group_tests_name("maple", tests, NULL, NULL);
	rcu_unregister_thread();
	return ret;
}
