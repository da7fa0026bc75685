// SPDX-License-Identifier: GPL-2.0-only
/*
 * util.c: the overcommit policy and the commit charge. Kernel counterpart: mm/util.c
 * (__vm_enough_memory, vm_memory_committed) with vm.overcommit_memory = 0 (OVERCOMMIT_GUESS,
 * the default; the kernel executor checks that the machine it runs on has it).
 *
 * The commit charge (Committed_AS, vm->stats.committed_as, in pages) is what the machine
 * has promised: every page of a VM_ACCOUNT mapping (private, writable, without
 * MAP_NORESERVE: mmap, mprotect making one writable, mremap growing one, fork copying one)
 * and every page of a shared anonymous object made without MAP_NORESERVE. Heuristic
 * overcommit refuses one request only when it alone is larger than RAM + swap
 * (totalram_pages + total_swap_pages); the charge itself never refuses anything in this
 * mode, but it is kept as Linux keeps it, and returns to 0 when every process has exited.
 *
 * The modelled RAM is cfg.ram_bytes (the CLI sets it to the RAM of the machine it runs on,
 * as the kernel executor sees it); swap is not modelled yet (0).
 *
 * Invariant: committed_as == sum over live VMAs with VM_ACCOUNT of their pages + sum over
 * live shmem objects of their charged pages (checked by test_memory).
 * Locks: none; the counter is atomic.
 */
#include <errno.h>

#include "memory.h"

unsigned long totalram_pages(const struct anonvm *vm)
{
	return vm->ram->nr_frames;
}

unsigned long total_swap_pages(const struct anonvm *vm)
{
	return 0; /* swap comes with reclaim */
}

void vm_acct_memory(struct anonvm *vm, long pages)
{
	atomic_fetch_add(&vm->stats.committed_as, (unsigned long)pages);
}

void vm_unacct_memory(struct anonvm *vm, long pages)
{
	atomic_fetch_sub(&vm->stats.committed_as, (unsigned long)pages);
}

int __vm_enough_memory(struct anonvm *vm, long pages)
{
	vm_acct_memory(vm, pages);
	/* OVERCOMMIT_GUESS: only a request larger than all memory is refused */
	if ((unsigned long)pages > totalram_pages(vm) + total_swap_pages(vm)) {
		vm_unacct_memory(vm, pages);
		return -ENOMEM;
	}
	return 0;
}
