// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_xarray.c: the sparse array (xarray.c) against a plain reference: random inserts,
 * erases and finds at indices spread over the whole 64-bit range and clustered near 0, every
 * node freed on erase and destroy, and every allocation of a store made to fail in turn.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "alloc.h"
#include "xarray.h"

#define NR 4096

static unsigned long rnd_state = 88172645463325252UL;

static unsigned long rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* An index: near 0, near a power of 64, or anywhere. */
static unsigned long rnd_index(void)
{
	switch (rnd() % 3) {
	case 0:
		return rnd() % 300;
	case 1:
		return (1UL << (6 * (1 + rnd() % 10))) - 2 + rnd() % 4;
	default:
		return rnd();
	}
}

static unsigned long keys[NR];
static void *vals[NR];

static void *entry_of(int i)
{
	return (void *)(uintptr_t)(2 * i + 2);
}

/* The reference's first key >= from (and <= max), or -1. */
static int ref_find(unsigned long from, unsigned long max)
{
	int best = -1;

	for (int i = 0; i < NR; i++)
		if (vals[i] && keys[i] >= from && keys[i] <= max &&
		    (best < 0 || keys[i] < keys[best]))
			best = i;
	return best;
}

static void count_entry(void *entry, void *arg)
{
	(*(int *)arg)++;
}

static void test_random(void **state)
{
	long live0 = av_live(AV_OBJ_OTHER);
	struct xarray xa;
	int present = 0, destroyed = 0;

	xa_init(&xa);
	for (int i = 0; i < NR; i++) {
		keys[i] = rnd_index();
		vals[i] = NULL;
		for (int j = 0; j < i; j++)
			if (keys[j] == keys[i])
				keys[i] = rnd(); /* distinct keys (a collision is unlikely) */
	}
	for (int round = 0; round < 4 * NR; round++) {
		int i = rnd() % NR;

		if (!vals[i]) {
			assert_int_equal(xa_insert(&xa, keys[i], entry_of(i)), 0);
			assert_int_equal(xa_insert(&xa, keys[i], entry_of(i)), -EBUSY);
			vals[i] = entry_of(i);
			present++;
		} else if (rnd() % 2) {
			assert_ptr_equal(xa_erase(&xa, keys[i]), vals[i]);
			assert_null(xa_erase(&xa, keys[i]));
			vals[i] = NULL;
			present--;
		}
		if (round % 64 == 0) {
			unsigned long from = rnd_index(),
				      max = rnd() % 2 ? ~0UL : from + rnd() % 1000;
			unsigned long idx = from;
			int want = ref_find(from, max);
			void *got = xa_find(&xa, &idx, max);

			assert_ptr_equal(got, want < 0 ? NULL : vals[want]);
			if (want >= 0)
				assert_int_equal(idx, keys[want]);
		}
		assert_ptr_equal(xa_load(&xa, keys[i]), vals[i]);
	}
	for (int i = 0; i < NR; i++)
		assert_ptr_equal(xa_load(&xa, keys[i]), vals[i]);
	/* xa_for_each visits each entry once, ascending */
	{
		unsigned long idx, last = 0;
		void *entry;
		int seen = 0;

		xa_for_each(&xa, idx, entry)
		{
			assert_true(seen == 0 || idx > last);
			last = idx;
			seen++;
		}
		assert_int_equal(seen, present);
	}
	xa_destroy(&xa, count_entry, &destroyed);
	assert_int_equal(destroyed, present);
	assert_true(xa_empty(&xa));
	assert_int_equal(av_live(AV_OBJ_OTHER), live0);
}

/* Erasing everything leaves no node behind. */
static void test_erase_frees(void **state)
{
	long live0 = av_live(AV_OBJ_OTHER);
	struct xarray xa;

	xa_init(&xa);
	for (unsigned long i = 0; i < 3000; i += 7)
		assert_int_equal(xa_insert(&xa, i << 20, entry_of(1)), 0);
	assert_int_equal(xa_insert(&xa, ~0UL, entry_of(2)), 0);
	for (unsigned long i = 0; i < 3000; i += 7)
		assert_ptr_equal(xa_erase(&xa, i << 20), entry_of(1));
	assert_ptr_equal(xa_erase(&xa, ~0UL), entry_of(2));
	assert_true(xa_empty(&xa));
	assert_int_equal(av_live(AV_OBJ_OTHER), live0);
}

/* Every allocation of a store fails in turn: -ENOMEM, nothing changed, nothing leaked. */
static void test_insert_nomem(void **state)
{
	long live0 = av_live(AV_OBJ_OTHER);
	struct xarray xa;

	xa_init(&xa);
	assert_int_equal(xa_insert(&xa, 5, entry_of(1)), 0);
	for (long n = 1;; n++) {
		long live1 = av_live(AV_OBJ_OTHER);
		int ret;

		av_fail_nth(n);
		ret = xa_insert(&xa, 1UL << 50, entry_of(2));
		av_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(av_live(AV_OBJ_OTHER), live1);
		assert_null(xa_load(&xa, 1UL << 50));
		assert_ptr_equal(xa_load(&xa, 5), entry_of(1));
	}
	assert_ptr_equal(xa_load(&xa, 1UL << 50), entry_of(2));
	assert_ptr_equal(xa_load(&xa, 5), entry_of(1));
	xa_destroy(&xa, NULL, NULL);
	assert_int_equal(av_live(AV_OBJ_OTHER), live0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_erase_frees),
	    cmocka_unit_test(test_insert_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
