// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_concurrency.c: the public API from several threads at once, as the header allows.
 * Two threads fault pages in (writes and reads, per-VMA locks first), one changes the layout
 * of the same address space (mmap, mprotect, munmap, madvise DONTNEED), one forks and exits
 * children, and one runs reclaim's referenced walk (folio_referenced: folio lock, the
 * anon_vma found under RCU, its root read-locked) on whatever page it finds, while the
 * anon_vmas come and go, for a fixed number of rounds. Afterwards the validator must pass and, once the
 * machine is gone, nothing may be left. Run under TSan by `make check` (check-tsan).
 *
 * test_mremap_dontneed: mremap moves PTEs into tables it allocated first, empty until the
 * move fills them, while a MADV_DONTNEED under the VMA lock of another VMA in the same 2 MiB
 * may free empty tables (the race test_stress's guest windows can meet; found by reading the
 * code, and a bug before move_page_tables held page_table_lock). It does not depend on the
 * design: it runs on one. A race: it fails in most runs without the fix, not all.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "designs.h"

#include "anonvm/anonvm.h"

#define BASE 0x100000000000UL
#define PAGES 64UL
#define ROUNDS 40000

struct shared {
	struct anonvm *vm;
	struct anonvm_mm *mm;
};

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned long page_addr(uint64_t *s)
{
	return BASE + (next(s) % PAGES) * ANONVM_PAGE_SIZE;
}

/* Writes and reads: SIGSEGV (-EFAULT) is expected where the layout thread unmapped. */
static void *toucher(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = (uintptr_t)&seed | 1;
	unsigned char buf[64];

	anonvm_thread_register();
	for (int i = 0; i < ROUNDS; i++) {
		unsigned long a = page_addr(&seed);
		int ret = next(&seed) & 1 ? anonvm_write(sh->mm, a, buf, sizeof(buf), NULL)
					  : anonvm_read(sh->mm, a, buf, sizeof(buf), NULL);

		assert_true(ret == 0 || ret == -EFAULT);
	}
	anonvm_thread_unregister();
	return NULL;
}

static void *layout(void *arg)
{
	static const int prots[] = { ANONVM_PROT_READ | ANONVM_PROT_WRITE, ANONVM_PROT_READ, 0 };
	struct shared *sh = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned long addr;

	anonvm_thread_register();
	for (int i = 0; i < ROUNDS; i++) {
		unsigned long a = page_addr(&seed), len = (1 + next(&seed) % 8) * ANONVM_PAGE_SIZE;
		int ret;

		if (a + len > BASE + PAGES * ANONVM_PAGE_SIZE)
			len = BASE + PAGES * ANONVM_PAGE_SIZE - a;
		switch (next(&seed) % 4) {
		case 0:
			ret = anonvm_mmap(sh->mm, a, len, ANONVM_PROT_READ | ANONVM_PROT_WRITE,
					  ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE,
					  &addr);
			break;
		case 1:
			ret = anonvm_mprotect(sh->mm, a, len, prots[next(&seed) % 3]);
			break;
		case 2:
			ret = anonvm_munmap(sh->mm, a, len);
			break;
		default:
			ret = anonvm_madvise(sh->mm, a, len, ANONVM_MADV_DONTNEED);
			break;
		}
		assert_true(ret == 0 || ret == -ENOMEM); /* ENOMEM: a hole (mprotect, madvise) */
	}
	anonvm_thread_unregister();
	return NULL;
}

static void *forker(void *arg)
{
	struct shared *sh = arg;

	anonvm_thread_register();
	for (int i = 0; i < ROUNDS / 20; i++) {
		struct anonvm_mm *child;
		unsigned char b = 0;

		assert_int_equal(anonvm_fork(sh->mm, &child), 0);
		anonvm_write(child, BASE, &b, 1, NULL);
		anonvm_exit(child);
	}
	anonvm_thread_unregister();
	return NULL;
}

/* The rmap walk from pages that may be unmapped, COWed or freed while it looks. */
static void *walker(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = 0x2545f4914f6cdd1dULL;

	anonvm_thread_register();
	for (int i = 0; i < ROUNDS; i++) {
		struct anonvm_referenced r;
		int ret = anonvm_page_referenced(sh->mm, page_addr(&seed), &r);

		assert_true(ret == 0 || ret == -ENOENT);
		assert_true(ret || r.referenced >= -1);
	}
	anonvm_thread_unregister();
	return NULL;
}

static void test_threads(void **state)
{
	struct shared sh;
	struct anonvm_config cfg;
	pthread_t t[5];
	unsigned long addr;

	(void)state;
	test_config(&cfg);
	cfg.ram_bytes = 64UL << 20;
	assert_int_equal(anonvm_create(&cfg, &sh.vm), 0);
	assert_int_equal(anonvm_mm_new(sh.vm, &sh.mm), 0);
	assert_int_equal(anonvm_mmap(sh.mm, BASE, PAGES * ANONVM_PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE,
				     &addr),
			 0);
	assert_int_equal(pthread_create(&t[0], NULL, toucher, &sh), 0);
	assert_int_equal(pthread_create(&t[1], NULL, toucher, &sh), 0);
	assert_int_equal(pthread_create(&t[2], NULL, layout, &sh), 0);
	assert_int_equal(pthread_create(&t[3], NULL, forker, &sh), 0);
	assert_int_equal(pthread_create(&t[4], NULL, walker, &sh), 0);
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(anonvm_check(sh.vm, stderr), 0);
	destroy_and_check_nothing_left(sh.vm);
}

#define PMD_SIZE (2UL << 20)
#define MOVES 5000

static atomic_bool moves_done;

/* MADV_DONTNEED of a page that shares its PTE table with the moves' destination. */
static void *dontneed_loop(void *arg)
{
	struct shared *sh = arg;

	anonvm_thread_register();
	while (!atomic_load(&moves_done))
		assert_int_equal(anonvm_madvise(sh->mm, BASE + PMD_SIZE + 300 * ANONVM_PAGE_SIZE,
						ANONVM_PAGE_SIZE, ANONVM_MADV_DONTNEED),
				 0);
	anonvm_thread_unregister();
	return NULL;
}

/* One written page moves between two PTE tables and back, MOVES times. */
static void test_mremap_dontneed(void **state)
{
	const unsigned long src = BASE + PMD_SIZE - ANONVM_PAGE_SIZE,
			    dst = BASE + PMD_SIZE + 100 * ANONVM_PAGE_SIZE;
	const int flags = ANONVM_MREMAP_MAYMOVE | ANONVM_MREMAP_FIXED;
	struct anonvm_config cfg;
	struct shared sh;
	unsigned long addr;
	unsigned char b = 0x5a;
	pthread_t t;

	(void)state;
	test_config(&cfg);
	assert_int_equal(anonvm_create(&cfg, &sh.vm), 0);
	assert_int_equal(anonvm_mm_new(sh.vm, &sh.mm), 0);
	assert_int_equal(anonvm_mmap(sh.mm, src, ANONVM_PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &addr),
			 0);
	assert_int_equal(anonvm_write(sh.mm, src, &b, 1, NULL), 0);
	assert_int_equal(anonvm_mmap(sh.mm, BASE + PMD_SIZE + 300 * ANONVM_PAGE_SIZE,
				     ANONVM_PAGE_SIZE, ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &addr),
			 0);
	atomic_store(&moves_done, false);
	assert_int_equal(pthread_create(&t, NULL, dontneed_loop, &sh), 0);
	for (int i = 0; i < MOVES; i++) {
		assert_int_equal(anonvm_mremap(sh.mm, src, ANONVM_PAGE_SIZE, ANONVM_PAGE_SIZE,
					       flags, dst, &addr),
				 0);
		assert_int_equal(anonvm_mremap(sh.mm, dst, ANONVM_PAGE_SIZE, ANONVM_PAGE_SIZE,
					       flags, src, &addr),
				 0);
	}
	atomic_store(&moves_done, true);
	pthread_join(t, NULL);
	b = 0;
	assert_int_equal(anonvm_read(sh.mm, src, &b, 1, NULL), 0);
	assert_int_equal(b, 0x5a);
	assert_int_equal(anonvm_check(sh.vm, stderr), 0);
	destroy_and_check_nothing_left(sh.vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};
	const struct CMUnitTest one_design[] = {
		cmocka_unit_test(test_mremap_dontneed),
	};

	return RUN_PER_DESIGN("concurrency", tests, ALL_DESIGNS, NULL, NULL) +
	       RUN_PER_DESIGN("concurrency", one_design, DESIGN_BIT(ANONVM_RMAP_LINUX), NULL,
			      NULL);
}
