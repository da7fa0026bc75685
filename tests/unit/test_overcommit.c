// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_overcommit.c: the overcommit heuristic and the commit charge (util.c) through the
 * public API on a small machine (64 MiB): a request larger than RAM is refused with ENOMEM
 * by mmap, a shared object, mprotect, mremap and fork, smaller ones are not, and the charge
 * is what the VM_ACCOUNT VMAs and charged objects hold, 0 again once every process exited.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "anonvm/anonvm.h"
#include "mm_types.h"

#define A 0x100000000000UL
#define MB (1UL << 20)

static unsigned long committed(struct anonvm *vm)
{
	return atomic_load(&vm->stats.committed_as);
}

static struct anonvm *machine(void)
{
	struct anonvm_config cfg;
	struct anonvm *vm;

	anonvm_config_default(&cfg);
	cfg.ram_bytes = 64 * MB;
	cfg.swap_bytes = 0; /* RAM + swap is what the heuristic compares with */
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	return vm;
}

static void test_mmap_shared_mprotect(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm;
	unsigned long a;

	assert_int_equal(anonvm_mm_new(vm, &mm), 0);
	assert_int_equal(anonvm_mmap(mm, A, 65 * MB, 3, 0x12, &a), -ENOMEM);
	assert_int_equal(anonvm_mmap(mm, A, 65 * MB, 3, 0x11, &a), -ENOMEM);
	assert_int_equal(committed(vm), 0);
	assert_int_equal(anonvm_mmap(mm, A, 65 * MB, 3, 0x12 | ANONVM_MAP_NORESERVE, &a), 0);
	assert_int_equal(anonvm_mmap(mm, A + 128 * MB, 65 * MB, 3, 0x11 | ANONVM_MAP_NORESERVE, &a),
			 0);
	assert_int_equal(committed(vm), 0);
	/* 40 + 40 MiB: each fits; a MAP_FIXED over charged pages is charged the difference */
	assert_int_equal(anonvm_mmap(mm, A + 256 * MB, 40 * MB, 3, 0x12, &a), 0);
	assert_int_equal(anonvm_mmap(mm, A + 256 * MB, 40 * MB, 3, 0x12, &a), 0);
	assert_int_equal(committed(vm), 40 * MB / 4096);
	assert_int_equal(anonvm_mmap(mm, A + 512 * MB, 40 * MB, 3, 0x11, &a), 0);
	assert_int_equal(committed(vm), 80 * MB / 4096);
	/* read-only: free until made writable, refused when that is too much at once */
	assert_int_equal(anonvm_mmap(mm, A + 1024 * MB, 100 * MB, 1, 0x12, &a), 0);
	assert_int_equal(anonvm_mprotect(mm, A + 1024 * MB, 100 * MB, 3), -ENOMEM);
	assert_int_equal(anonvm_mprotect(mm, A + 1024 * MB, 10 * MB, 3), 0);
	assert_int_equal(committed(vm), 90 * MB / 4096);
	/* unfaulted and read-only again: the charge goes */
	assert_int_equal(anonvm_mprotect(mm, A + 1024 * MB, 10 * MB, 1), 0);
	assert_int_equal(committed(vm), 80 * MB / 4096);
	assert_int_equal(anonvm_munmap(mm, A + 256 * MB, 20 * MB), 0);
	assert_int_equal(committed(vm), 60 * MB / 4096);
	anonvm_exit(mm);
	assert_int_equal(committed(vm), 0);
	anonvm_destroy(vm);
}

static void test_mremap_fork(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm, *child;
	unsigned long a;

	assert_int_equal(anonvm_mm_new(vm, &mm), 0);
	assert_int_equal(anonvm_mmap(mm, A, 40 * MB, 3, 0x12, &a), 0);
	assert_int_equal(anonvm_mremap(mm, A, 40 * MB, 70 * MB, 0, 0, &a), 0); /* +30 fits */
	assert_int_equal(committed(vm), 70 * MB / 4096);
	assert_int_equal(anonvm_mremap(mm, A, 70 * MB, 140 * MB, 0, 0, &a), -ENOMEM);
	assert_int_equal(anonvm_mremap(mm, A, 70 * MB, 70 * MB, 3, A + 512 * MB, &a), 0);
	assert_int_equal(committed(vm), 70 * MB / 4096);
	/* fork charges each accounted VMA again: 70 MiB in one VMA is refused */
	assert_int_equal(anonvm_fork(mm, &child), -ENOMEM);
	assert_int_equal(committed(vm), 70 * MB / 4096);
	assert_int_equal(anonvm_munmap(mm, A + 512 * MB, 35 * MB), 0);
	assert_int_equal(anonvm_fork(mm, &child), 0);
	assert_int_equal(committed(vm), 70 * MB / 4096);
	anonvm_exit(mm);
	anonvm_exit(child);
	assert_int_equal(committed(vm), 0);
	anonvm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmap_shared_mprotect),
		cmocka_unit_test(test_mremap_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
