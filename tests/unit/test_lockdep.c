// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_lockdep.c: the lock-order checker must catch what it claims to: an inversion planted
 * across two threads (A then B in one, B then A in the other) and one through a chain of
 * three classes are reported, naming both orders; recursion is reported; consistent orders,
 * trylocks and subclass nesting are not. Debug builds only (the checker is compiled out of
 * release builds, where the test is skipped).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lockdep.h"

static struct lock_class_key key_a, key_b, key_c, key_d;
static struct lockdep_map map_a = { &key_a, "A" }, map_b = { &key_b, "B" },
			  map_c = { &key_c, "C" }, map_d = { &key_d, "D" };

static char *report;
static size_t report_len;
static FILE *report_file;

static int setup(void **state)
{
	report_file = open_memstream(&report, &report_len);
	lockdep_set_output(report_file);
	return 0;
}

static int teardown(void **state)
{
	lockdep_set_output(NULL);
	fclose(report_file);
	free(report);
	return 0;
}

static void take(struct lockdep_map *first, struct lockdep_map *second)
{
	lock_acquire(first, 0, false);
	lock_acquire(second, 0, false);
	lock_release(second);
	lock_release(first);
}

static void *take_b_then_a(void *arg)
{
	take(&map_b, &map_a);
	return NULL;
}

static void test_inversion_across_threads(void **state)
{
	unsigned long before = lockdep_reports();
	pthread_t t;

	take(&map_a, &map_b); /* A -> B */
	assert_int_equal(lockdep_reports(), before);
	assert_int_equal(pthread_create(&t, NULL, take_b_then_a, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(lockdep_reports(), before + 1);
	fflush(report_file);
	assert_non_null(strstr(report, "possible circular locking dependency"));
	assert_non_null(strstr(report, "holds B/0 and takes A/0"));
	assert_non_null(strstr(report, "A/0 -> B/0, when a thread held: A/0 -> taking B/0"));
	assert_int_equal(lockdep_depth(), 0);
}

static void test_chain_of_three(void **state)
{
	unsigned long before = lockdep_reports();

	take(&map_c, &map_d); /* C -> D */
	lock_acquire(&map_d, 0, false);
	lock_acquire(&map_a, 0, false); /* D -> A, so C -> D -> A */
	lock_release(&map_a);
	lock_release(&map_d);
	assert_int_equal(lockdep_reports(), before);
	take(&map_a, &map_c); /* A -> C closes A -> C -> D -> A */
	assert_int_equal(lockdep_reports(), before + 1);
	fflush(report_file);
	assert_non_null(strstr(report, "holds A/0 and takes C/0"));
	assert_non_null(strstr(report, "C/0 -> D/0"));
	assert_non_null(strstr(report, "D/0 -> A/0"));
}

static void test_what_is_not_reported(void **state)
{
	static struct lock_class_key key_e, key_f;
	struct lockdep_map e = { &key_e, "E" }, f = { &key_f, "F" }, e2 = { &key_e, "E2" };
	unsigned long before = lockdep_reports();

	take(&e, &f);
	take(&e, &f); /* the same order again */
	/* a trylock of the other order cannot deadlock */
	lock_acquire(&f, 0, false);
	lock_acquire(&e, 0, true);
	lock_release(&e);
	lock_release(&f);
	/* two locks of one class, the second annotated as nested */
	lock_acquire(&e, 0, false);
	lock_acquire(&e2, SINGLE_DEPTH_NESTING, false);
	lock_release(&e2);
	lock_release(&e);
	assert_int_equal(lockdep_reports(), before);
	/* without the annotation: recursive locking */
	lock_acquire(&e, 0, false);
	lock_acquire(&e2, 0, false);
	lock_release(&e2);
	lock_release(&e);
	assert_int_equal(lockdep_reports(), before + 1);
	assert_int_equal(lockdep_depth(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inversion_across_threads),
		cmocka_unit_test(test_chain_of_three),
		cmocka_unit_test(test_what_is_not_reported),
	};

	if (!LOCKDEP_ENABLED) {
		printf("lockdep is compiled out of this build (debug level 0)\n");
		return 77; /* skipped */
	}
	return cmocka_run_group_tests_name("lockdep", tests, setup, teardown);
}
