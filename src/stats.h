/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Event counters of one machine. Add a counter by adding one line to VM_STAT_ITEMS; the
 * `stats` command prints every item. Relaxed atomics: counters order nothing. As the
 * kernel's vm_event_states, they are kept per CPU (percpu.h: one cache line or more per CPU
 * slot), so that the threads of a machine do not write one line on every fault; a read sums
 * the slots (vm_events_read).
 * committed_as is a level, not an event count: the commit charge in pages (util.c), one
 * counter that the overcommit check reads; printed last, as a stat like the others.
 * reclaim_walk_ns: ns spent in reclaim's rmap walks (folio_referenced, try_to_unmap), waits
 * for the anon_vma lock included (reclaim/vmscan.c).
 * lock_wait: the contention of the machine's anon_vma root locks and mmap_locks (locks.h),
 * printed and read as "<lock>_contended" and "<lock>_wait_ns" (LOCK_WAIT_NAMES).
 */
#ifndef ANONVM_STATS_H
#define ANONVM_STATS_H

#include <stdatomic.h>

#include "locks.h"
#include "percpu.h"

#define VM_STAT_ITEMS(X)                                                                  \
	X(rmap_walks) X(rmap_vmas_visited) X(rmap_ptes_probed) X(rmap_mappings_found)      \
	X(anon_vma_alloc) X(anon_vma_free) X(anon_vma_reuse) X(avc_alloc) X(avc_free)      \
	X(fault) X(fault_zero) X(fault_anon) X(fault_shmem) X(wp_reuse) X(wp_copy)         \
	X(fork) X(fork_ptes_copied) X(fork_eager_copy) X(vma_merge) X(vma_split)           \
	X(zap_ptes) X(fault_swap) X(pswpin) X(pswpout) X(pgscan) X(pgsteal) X(pgactivate)   \
	X(pgdeactivate) X(pgmigrate_success) X(pgmigrate_fail) X(reclaim_walk_ns)

/* One CPU slot's counters. */
struct vm_event_state {
#define VM_STAT_FIELD(name) atomic_ulong name;
	VM_STAT_ITEMS(VM_STAT_FIELD)
#undef VM_STAT_FIELD
} ____cacheline_aligned;

struct vm_stats {
	struct vm_event_state cpu[NR_CPU_SLOTS];
	atomic_ulong committed_as ____cacheline_aligned;
	struct lock_wait_stat lock_wait[NR_LOCK_WAIT];
};

/* The name of each lock_wait class, as the stats print it. */
#define LOCK_WAIT_NAMES { [LOCK_WAIT_ANON_VMA] = "anon_vma_lock", [LOCK_WAIT_MMAP] = "mmap_lock" }

#define count_vm_events(vm, item, n)                                                      \
	atomic_fetch_add_explicit(&(vm)->stats.cpu[this_cpu_slot()].item, (n), memory_order_relaxed)
#define count_vm_event(vm, item) count_vm_events(vm, item, 1)

/* The sum of every CPU slot's counter item (exact once the machine's threads are quiet). */
#define vm_events_read(vm, item)                                                          \
	({                                                                                \
		unsigned long __sum = 0;                                                  \
		for (unsigned int __i = 0; __i < nr_cpu_ids(); __i++)                     \
			__sum += atomic_load_explicit(&(vm)->stats.cpu[__i].item,         \
						      memory_order_relaxed);              \
		__sum;                                                                    \
	})

#endif
