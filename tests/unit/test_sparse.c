// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sparse.c: calls over huge, almost empty ranges cost what is mapped, not the length
 * (issue F): a 4 TiB shared noreserve mapping and a whole-arena one, touched at their ends;
 * page_next, migrate (the fuzz_api timeout it was: a per-page loop over 2^34 pages), fork,
 * munmap. No timing is asserted: a per-page cost would make the test time out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "anonvm/anonvm.h"

#define A 0x100000000000UL
#define TIB (1UL << 40)

static void touch_ends(struct anonvm_mm *mm, unsigned long start, unsigned long len)
{
	char page[ANONVM_PAGE_SIZE];

	memset(page, 5, sizeof(page));
	assert_int_equal(anonvm_write(mm, start, page, sizeof(page), NULL), 0);
	assert_int_equal(anonvm_write(mm, start + len - sizeof(page), page, sizeof(page), NULL), 0);
}

static void test_huge_ranges(void **state)
{
	struct anonvm_mm *mm, *child;
	struct anonvm_page_info pi;
	struct anonvm_config cfg;
	unsigned long addr, n;
	struct anonvm *vm;
	struct anonvm_live l;

	anonvm_config_default(&cfg);
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	assert_int_equal(anonvm_mm_new(vm, &mm), 0);
	/* 4 TiB shared noreserve, then private noreserve over the rest of the arena */
	assert_int_equal(anonvm_mmap(mm, A, 4 * TIB, 3, 0x11 | ANONVM_MAP_NORESERVE, &addr), 0);
	assert_int_equal(anonvm_mmap(mm, A + 4 * TIB, 12 * TIB, 3, 0x12 | ANONVM_MAP_NORESERVE,
				     &addr), 0);
	touch_ends(mm, A, 4 * TIB);
	touch_ends(mm, A + 4 * TIB, 12 * TIB);
	n = 0;
	for (addr = A; !anonvm_page_next(mm, addr, A + 16 * TIB, &addr, &pi); addr += 4096)
		n++;
	assert_int_equal(n, 4);
	assert_int_equal(anonvm_migrate(mm, A, 16 * TIB, &n), 0);
	assert_int_equal(n, 2); /* the private pages; shmem ones are not migrated */
	assert_int_equal(anonvm_fork(mm, &child), 0);
	assert_int_equal(anonvm_munmap(mm, A, 16 * TIB), 0);
	assert_int_equal(anonvm_page_next(mm, A, A + 16 * TIB, &addr, &pi), -ENOENT);
	assert_int_equal(anonvm_check(vm, stderr), 0);
	anonvm_destroy(vm);
	anonvm_quiesce();
	anonvm_live_objects(&l);
	assert_int_equal(l.folio + l.pgtable + l.shmem + l.vma + l.mm, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
