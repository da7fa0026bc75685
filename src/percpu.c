// SPDX-License-Identifier: GPL-2.0-only
/*
 * percpu.c: the library's CPU count (percpu.h's nr_cpu_ids), read from the host once, before
 * main() runs and before any per-CPU structure exists (the kernel fixes nr_cpu_ids at boot).
 *
 * Invariant: 1 <= __nr_cpu_ids <= NR_CPU_SLOTS, the same value for every reader from start to
 * exit, so a structure allocated with nr_cpu_ids() slots is never indexed past its end even if
 * the host's CPU count changes (hotplug) while the program runs. Locks: none (written once,
 * before any thread of the library exists).
 */
#include "percpu.h"

unsigned int __nr_cpu_ids = 1;

__attribute__((constructor(101))) static void nr_cpu_ids_init(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);

	__nr_cpu_ids = cpus < 1 ? 1 : cpus > NR_CPU_SLOTS ? NR_CPU_SLOTS : (unsigned int)cpus;
}
