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
 * The modelled RAM is cfg.ram_bytes (anonvm_config_machine, which the CLI uses, sets it to
 * the RAM of the machine it runs on, as the kernel executor sees it, together with
 * vm.mmap_min_addr and the caller's CAP_SYS_RAWIO); swap is cfg.swap_bytes.
 *
 * Also here: anonvm_oom_badness, the number the OOM killer (mm/oom_kill.c) ranks processes by.
 *
 * Invariant: committed_as == sum over live VMAs with VM_ACCOUNT of their pages + sum over
 * live shmem objects of their charged pages (checked by test_memory).
 * Locks: none; the counter is atomic.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "memory.h"

unsigned long totalram_pages(const struct anonvm *vm)
{
	return vm->ram->nr_frames;
}

unsigned long total_swap_pages(const struct anonvm *vm)
{
	return vm->cfg.swap_bytes >> PAGE_SHIFT; /* the swap device, made on first use */
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

/* CAP_SYS_RAWIO in this process's effective set. */
static bool caller_has_cap_sys_rawio(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_SYS_RAWIO / 32].effective & (1U << (CAP_SYS_RAWIO % 32));
}

void anonvm_config_machine(struct anonvm_config *cfg)
{
	unsigned long min_addr;
	struct sysinfo si;
	FILE *f;

	anonvm_config_default(cfg);
	if (!sysinfo(&si) && si.totalram)
		cfg->ram_bytes = (size_t)si.totalram * si.mem_unit & PAGE_MASK;
	f = fopen("/proc/sys/vm/mmap_min_addr", "re");
	if (f) {
		if (fscanf(f, "%lu", &min_addr) == 1)
			cfg->mmap_min_addr = min_addr ? PAGE_ALIGN(min_addr) : PAGE_SIZE;
		fclose(f);
	}
	cfg->cap_sys_rawio = caller_has_cap_sys_rawio();
}

long anonvm_oom_badness(struct anonvm_mm *handle)
{
	struct mm_struct *mm = mm_of(handle);

	/* oom_badness: rss + swap entries + page tables, in pages (oom_score_adj 0) */
	return get_mm_counter(mm, MM_ANONPAGES) + get_mm_counter(mm, MM_SHMEMPAGES) +
	       get_mm_counter(mm, MM_SWAPENTS) + atomic_load(&mm->pgtables_bytes) / PAGE_SIZE;
}
