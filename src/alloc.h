/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The allocation seam: every object of the model is allocated here, so that a test can make
 * the Nth allocation fail (fault injection) and so that live objects can be counted per kind.
 *
 * Invariant: av_live(k) == allocations of kind k - frees of kind k.
 * Locks: none; counters are atomic, the failure countdown is atomic.
 */
#ifndef ANONVM_ALLOC_H
#define ANONVM_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

enum av_obj {
	AV_OBJ_MM,
	AV_OBJ_VMA,
	AV_OBJ_MAPLE_NODE,
	AV_OBJ_ANON_VMA,
	AV_OBJ_AVC,
	AV_OBJ_FOLIO, /* counted by the frame allocator, not allocated here */
	AV_OBJ_PGTABLE,
	AV_OBJ_SHMEM,
	AV_OBJ_OTHER,
	AV_OBJ_NR
};

/* Zeroed memory, or NULL when out of memory or when fault injection says so. */
void *av_alloc(enum av_obj kind, size_t size) __must_check __attribute__((malloc));
void av_free(enum av_obj kind, void *p);

/* One allocation decision for allocators that do not use av_alloc (the frame allocator). */
bool av_should_fail(void);
/* Accounting for objects of `size` bytes allocated outside av_alloc. */
void av_count(enum av_obj kind, size_t size, long delta);

/*
 * Whether freed objects of this kind are only ever reused as objects of the same kind (an
 * object cache; not in sanitizer builds): SLAB_TYPESAFE_BY_RCU, without the grace period.
 */
bool av_typesafe(enum av_obj kind);

long av_live(enum av_obj kind);
void av_fail_nth(long n);
bool av_fail_fired(void);

#endif
