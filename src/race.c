// SPDX-License-Identifier: GPL-2.0-only
/*
 * race.c: the hook of the race windows of race.h, debug builds only. One process-wide
 * pointer, read with acquire at each point and swapped by a test.
 */
#include <stdatomic.h>

#include "race.h"

#if ANONVM_DEBUG >= 1
static _Atomic(race_hook_t) race_hook;

void race_window(enum race_point point, void *object)
{
	race_hook_t hook = atomic_load_explicit(&race_hook, memory_order_acquire);

	if (unlikely(hook))
		hook(point, object);
}

race_hook_t race_set_hook(race_hook_t hook)
{
	return atomic_exchange(&race_hook, hook);
}
#endif
