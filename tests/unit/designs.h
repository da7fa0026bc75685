/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * designs.h: unit tests parametrised by the reverse-map design. A test program runs its
 * group once per design (run_per_design), with test_design set; its fixtures make machines
 * through test_config(), and a test that holds for some designs only asks test_design_is().
 * Include it after cmocka.h.
 */
#ifndef ANONVM_TEST_DESIGNS_H
#define ANONVM_TEST_DESIGNS_H

#include <stdio.h>

#include "anonvm/anonvm.h"

#define ALL_DESIGNS ((1u << ANONVM_RMAP_NR) - 1)
#define CHAIN_DESIGNS                                                                         \
	((1u << ANONVM_RMAP_LINUX) | (1u << ANONVM_RMAP_NOREUSE) | (1u << ANONVM_RMAP_NOINTERVAL))
#define DESIGN_BIT(d) (1u << (d))

/* The design of the group that runs now. */
static enum anonvm_rmap_design test_design;

static inline bool test_design_is(unsigned int mask)
{
	return mask & DESIGN_BIT(test_design);
}

/* A default machine configuration in the design under test. */
static inline void test_config(struct anonvm_config *cfg)
{
	anonvm_config_default(cfg);
	cfg->design = test_design;
}

/* The machine goes; once RCU callbacks have run, no object of any kind may be left. */
static inline void destroy_and_check_nothing_left(struct anonvm *vm)
{
	struct anonvm_live live;

	anonvm_destroy(vm);
	anonvm_quiesce();
	anonvm_live_objects(&live);
	assert_int_equal(live.mm | live.vma | live.maple_node | live.anon_vma | live.avc |
				 live.folio | live.pgtable | live.shmem | live.other,
			 0);
}

/* Runs tests[n] as group "prog/DESIGN" for each design in mask; the number of failures. */
static inline int run_per_design(const char *prog, const struct CMUnitTest *tests, size_t n,
				 unsigned int mask, CMFixtureFunction setup,
				 CMFixtureFunction teardown)
{
	char name[64];
	int failed = 0;

	for (int d = 0; d < ANONVM_RMAP_NR; d++) {
		if (!(mask & DESIGN_BIT(d)))
			continue;
		test_design = d;
		snprintf(name, sizeof(name), "%s/%s", prog, anonvm_design_name(d));
		failed += _cmocka_run_group_tests(name, tests, n, setup, teardown);
	}
	return failed;
}

#define RUN_PER_DESIGN(prog, tests, mask, setup, teardown)                                    \
	run_per_design(prog, tests, sizeof(tests) / sizeof((tests)[0]), mask, setup, teardown)

#endif
