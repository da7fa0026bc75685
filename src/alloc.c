// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc.c: the one allocation seam (see alloc.h).
 *
 * fail_countdown: 0 = no injection; n > 0 = the allocation that brings it to 0 fails, and
 * fail_fired records that it did.
 * Locks: none, everything is atomic.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc.h"
#include "anonvm/anonvm.h"

static atomic_long live[AV_OBJ_NR];
/* the size of one object of each fixed-size kind (0: variable, not counted in bytes) */
static atomic_ulong obj_size[AV_OBJ_NR];

#if defined(__SANITIZE_THREAD__)
char rcu_tsan_grace_period; /* rcu.h: the synchronisation object of a grace period */
#endif
static atomic_long fail_countdown;
static atomic_bool fail_fired; /* the armed failure has happened */

bool av_should_fail(void)
{
	long v = atomic_load(&fail_countdown);

	while (v > 0) {
		if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1)) {
			if (v == 1)
				atomic_store(&fail_fired, true);
			return v == 1;
		}
	}
	return false;
}

void *av_alloc(enum av_obj kind, size_t size)
{
	void *p;

	if (av_should_fail())
		return NULL;
	p = calloc(1, size);
	if (p)
		atomic_fetch_add(&live[kind], 1);
	if (kind != AV_OBJ_OTHER && kind != AV_OBJ_SHMEM)
		atomic_store_explicit(&obj_size[kind], size, memory_order_relaxed);
	return p;
}

void av_free(enum av_obj kind, void *p)
{
	if (!p)
		return;
	atomic_fetch_sub(&live[kind], 1);
	free(p);
}

void av_count(enum av_obj kind, size_t size, long delta)
{
	atomic_store_explicit(&obj_size[kind], size, memory_order_relaxed);
	atomic_fetch_add(&live[kind], delta);
}

long av_live(enum av_obj kind)
{
	return atomic_load(&live[kind]);
}

void av_fail_nth(long n)
{
	atomic_store(&fail_fired, false);
	atomic_store(&fail_countdown, n > 0 ? n : 0);
}

bool av_fail_fired(void)
{
	return atomic_load(&fail_fired);
}

void anonvm_fail_nth(long n)
{
	av_fail_nth(n);
}

bool anonvm_fail_fired(void)
{
	return av_fail_fired();
}

void anonvm_live_objects(struct anonvm_live *l)
{
	l->mm = av_live(AV_OBJ_MM);
	l->vma = av_live(AV_OBJ_VMA);
	l->maple_node = av_live(AV_OBJ_MAPLE_NODE);
	l->anon_vma = av_live(AV_OBJ_ANON_VMA);
	l->avc = av_live(AV_OBJ_AVC);
	l->folio = av_live(AV_OBJ_FOLIO);
	l->pgtable = av_live(AV_OBJ_PGTABLE);
	l->shmem = av_live(AV_OBJ_SHMEM);
	l->other = av_live(AV_OBJ_OTHER);
	l->bytes = 0;
	for (int k = 0; k < AV_OBJ_NR; k++)
		l->bytes += av_live(k) * (long)atomic_load_explicit(&obj_size[k],
								     memory_order_relaxed);
}
