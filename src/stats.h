/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Event counters of one machine. Add a counter by adding one line to VM_STAT_ITEMS; the
 * `stats` command prints every item. Relaxed atomics: counters order nothing.
 * committed_as is a level, not an event count: the commit charge in pages (util.c).
 */
#ifndef ANONVM_STATS_H
#define ANONVM_STATS_H

#include <stdatomic.h>

#define VM_STAT_ITEMS(X)                                                                  \
	X(rmap_walks) X(rmap_vmas_visited) X(rmap_ptes_probed) X(rmap_mappings_found)      \
	X(anon_vma_alloc) X(anon_vma_free) X(anon_vma_reuse) X(avc_alloc) X(avc_free)      \
	X(fault) X(fault_zero) X(fault_anon) X(fault_shmem) X(wp_reuse) X(wp_copy)         \
	X(fork) X(fork_ptes_copied) X(fork_eager_copy) X(vma_merge) X(vma_split)           \
	X(zap_ptes) X(fault_swap) X(pswpin) X(pswpout) X(pgscan) X(pgsteal) X(pgactivate)   \
	X(pgdeactivate) X(pgmigrate_success) X(pgmigrate_fail) X(committed_as)

struct vm_stats {
#define VM_STAT_FIELD(name) atomic_ulong name;
	VM_STAT_ITEMS(VM_STAT_FIELD)
#undef VM_STAT_FIELD
};

#define count_vm_events(vm, item, n)                                                      \
	atomic_fetch_add_explicit(&(vm)->stats.item, (n), memory_order_relaxed)
#define count_vm_event(vm, item) count_vm_events(vm, item, 1)

#endif
