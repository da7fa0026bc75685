/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * atomic.h: the atomic operations the model needs beyond C11's, by the kernel's names.
 * Lock-free; no ordering beyond the sequentially consistent defaults of <stdatomic.h>.
 */
#ifndef ANONVM_ATOMIC_H
#define ANONVM_ATOMIC_H

#include <stdatomic.h>
#include <stdbool.h>

/* Add one unless the value is 0 (a reference count that reached 0 stays there). */
static inline bool atomic_inc_not_zero(atomic_int *v)
{
	int old = atomic_load(v);

	while (old) {
		if (atomic_compare_exchange_weak(v, &old, old + 1))
			return true;
	}
	return false;
}

#endif
