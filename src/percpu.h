/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * percpu.h: data kept per CPU of the host, as the kernel keeps its page allocator's pcp
 * lists and its object counters, so that threads on different CPUs do not write the same
 * cache line on every fault.
 *
 * A thread may move to another CPU at any time, even between raw_smp_processor_id() and
 * the use of the slot it chose (user space cannot disable preemption): the CPU only says
 * which slot is likely to be free of other writers. So every slot stays safe for any thread
 * to use: atomics, or a lock of the slot's own (the kernel's pcp->lock). Readers sum the
 * slots; a sum read while writers run is a moment's estimate, exact once they are quiet.
 */
#ifndef ANONVM_PERCPU_H
#define ANONVM_PERCPU_H

#include <sched.h>
#include <unistd.h>

#include "compiler.h"

#define SMP_CACHE_BYTES 64
#define ____cacheline_aligned __attribute__((aligned(SMP_CACHE_BYTES)))

/*
 * The most slots anything keeps: the machine's event counters and av_alloc's live counts
 * are fixed arrays of this many, of which the first nr_cpu_ids() are used; RSS counters and
 * free lists are allocated with nr_cpu_ids(). On a host with more CPUs, CPUs share slots
 * (cpu % NR_CPU_SLOTS): still correct, only more contended.
 */
#define NR_CPU_SLOTS 64

/*
 * The CPUs the host may have, at least 1 and at most NR_CPU_SLOTS: one value for the whole
 * library (the kernel's nr_cpu_ids), set by percpu.c before main() and never changed, so
 * every structure is sized, indexed and summed by the same count.
 */
extern unsigned int __nr_cpu_ids;

static inline unsigned int nr_cpu_ids(void)
{
	return __nr_cpu_ids;
}

/*
 * The slot of the CPU the calling thread runs on now, below nr_cpu_ids(): every per-CPU
 * structure, whatever its size, uses the same slots, and readers sum the first nr_cpu_ids().
 */
static inline unsigned int this_cpu_slot(void)
{
	int cpu = sched_getcpu(); /* glibc reads it from rseq: no system call */

	return cpu < 0 ? 0 : (unsigned int)cpu % nr_cpu_ids();
}

#endif
