// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_integrity.c: nothing is ever lost. A fork tree of processes writes and reads random
 * pages of one private VMA each, with the machine's RAM limited to a quarter of the pages
 * they touch, so that most pages go through swap (direct reclaim when RAM is full, and
 * MADV_PAGEOUT), and with random migrations; on every design. Every read is compared with a
 * trivially correct reference (reference.h: each process a flat map of its pages, a token per
 * page, fork a full copy). The validator runs every CHECK_EVERY steps; at the end every
 * process exits and no swap slot, frame or object is left.
 *
 * Scale: the short run (make check) is 40 processes, 20000 steps per design; `test_integrity
 * --full` runs 200 processes and 200000 steps per design.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "designs.h"
#include "reference.h"

#define BASE 0x100000000000UL
#define PAGES 32 /* pages of each process's VMA */
#define CHECK_EVERY 250

static int nr_procs_max = 40, nr_steps = 20000;

struct proc {
	struct anonvm_mm *mm;
	struct ref_range ref; /* what it should see at [BASE, BASE + PAGES pages) */
};

static uint64_t rng;

static uint64_t rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long rnd(unsigned long n)
{
	return rnd64() % n;
}

static void check_page(struct proc *p, int page)
{
	char msg[256];

	if (ref_read_check(p->mm, &p->ref, BASE + page * ANONVM_PAGE_SIZE, 1, msg, sizeof(msg)))
		fail_msg("%s", msg);
}

static void test_integrity(void **state)
{
	struct proc *procs = calloc(nr_procs_max, sizeof(*procs));
	unsigned long touched = (unsigned long)nr_procs_max * PAGES, addr;
	struct anonvm_meminfo mi;
	struct anonvm_config cfg;
	struct anonvm *vm;
	int nr = 1;

	rng = 0x9E3779B97F4A7C15ULL ^ test_design;
	test_config(&cfg);
	cfg.ram_bytes = (touched / 4) * ANONVM_PAGE_SIZE; /* a quarter of what is touched */
	cfg.swap_bytes = 2 * touched * ANONVM_PAGE_SIZE;
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	assert_int_equal(anonvm_mm_new(vm, &procs[0].mm), 0);
	ref_init(&procs[0].ref, BASE, PAGES);
	assert_int_equal(ref_mmap(&procs[0].ref, BASE, PAGES * ANONVM_PAGE_SIZE,
				  ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				  ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED),
			 0);
	assert_int_equal(anonvm_mmap(procs[0].mm, BASE, PAGES * ANONVM_PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE,
				     &addr),
			 0);
	for (int step = 1; step <= nr_steps; step++) {
		struct proc *p = &procs[rnd(nr)];
		int pg = (int)rnd(PAGES), len = 1 + (int)rnd(4);
		unsigned long at = BASE + pg * ANONVM_PAGE_SIZE;
		unsigned long r = rnd(100);

		if (pg + len > PAGES)
			len = PAGES - pg;
		if (r < 40) {
			uint64_t token = rnd64() | 1;
			char msg[256];

			if (ref_write(p->mm, &p->ref, at, 1, &token, msg, sizeof(msg)))
				fail_msg("%s", msg);
		} else if (r < 75) {
			check_page(p, pg);
		} else if (r < 82) {
			if (nr < nr_procs_max) {
				assert_int_equal(anonvm_fork(p->mm, &procs[nr].mm), 0);
				ref_fork(&procs[nr].ref, &p->ref);
				nr++;
			}
		} else if (r < 85) {
			if (nr > 1) {
				anonvm_exit(p->mm);
				ref_destroy(&p->ref);
				*p = procs[--nr];
			}
		} else if (r < 91) {
			assert_int_equal(anonvm_madvise(p->mm, at, len * ANONVM_PAGE_SIZE,
							ANONVM_MADV_PAGEOUT),
					 0);
		} else if (r < 97) {
			assert_int_equal(anonvm_migrate(p->mm, at, len * ANONVM_PAGE_SIZE, NULL), 0);
		} else {
			assert_int_equal(anonvm_madvise(p->mm, at, len * ANONVM_PAGE_SIZE,
							ANONVM_MADV_DONTNEED),
					 ref_madvise(&p->ref, at, len * ANONVM_PAGE_SIZE,
						     ANONVM_MADV_DONTNEED));
		}
		if (step % CHECK_EVERY == 0) {
			assert_int_equal(anonvm_check(vm, stderr), 0);
			for (int i = 0; i < nr; i++)
				for (int j = 0; j < PAGES; j++)
					check_page(&procs[i], j);
		}
	}
	assert_int_equal(anonvm_check(vm, stderr), 0);
	anonvm_meminfo(vm, &mi);
	print_message("integrity %s: %d steps, %d processes at the end, %lu pages at most, %lu "
		      "frames of RAM, %lu swap-outs, %lu swap-ins, %lu migrations\n",
		      anonvm_design_name(test_design), nr_steps, nr, touched, mi.ram_frames,
		      mi.swap_outs, mi.swap_ins, mi.migrated);
	/* most pages went out to swap and came back, several times */
	assert_true(mi.swap_outs > 2 * touched && mi.swap_ins > 2 * touched);
	assert_true(mi.migrated > 0);
	while (nr) {
		anonvm_exit(procs[--nr].mm);
		ref_destroy(&procs[nr].ref);
	}
	anonvm_meminfo(vm, &mi);
	assert_int_equal(mi.swap_in_use, 0);
	assert_int_equal(mi.swap_cache, 0);
	assert_int_equal(mi.frames_in_use, 0);
	destroy_and_check_nothing_left(vm);
	free(procs);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integrity),
	};

	if (argc > 1 && !strcmp(argv[1], "--full")) {
		nr_procs_max = 200;
		nr_steps = 200000;
	}
	return RUN_PER_DESIGN("integrity", tests, ALL_DESIGNS, NULL, NULL);
}
