/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ktime.h: the monotonic clock in ns, by the kernel's name (include/linux/timekeeping.h).
 * For the few places that measure time: lock waits (locks.c) and reclaim's walks
 * (reclaim/vmscan.c). No state, no locks.
 */
#ifndef ANONVM_KTIME_H
#define ANONVM_KTIME_H

#include <time.h>

static inline unsigned long ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000UL + (unsigned long)ts.tv_nsec;
}

#endif
