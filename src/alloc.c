// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc.c: the one allocation seam (see alloc.h).
 *
 * fail_countdown: 0 = no injection; n > 0 = the allocation that brings it to 0 fails, and
 * fail_fired records that it did.
 * Locks: none, everything is atomic.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc.h"
#include "anonvm/anonvm.h"
#include "rcu.h"

static atomic_long live[AV_OBJ_NR];

#if defined(__SANITIZE_THREAD__)
char rcu_tsan_grace_period; /* rcu.h: the synchronisation object of a grace period */
#endif
#if defined(ANONVM_RCU_DEFERRED)
/* rcu.h: callbacks queued in order (linked through head->next.next) until rcu_barrier. */
static pthread_mutex_t rcu_deferred_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_head *rcu_deferred_first, **rcu_deferred_tail = &rcu_deferred_first;

void anonvm_call_rcu_deferred(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->next.next = NULL;
	pthread_mutex_lock(&rcu_deferred_lock);
	*rcu_deferred_tail = head;
	rcu_deferred_tail = (struct rcu_head **)&head->next.next;
	pthread_mutex_unlock(&rcu_deferred_lock);
}

void anonvm_rcu_barrier_deferred(void)
{
	for (;;) {
		struct rcu_head *head;

		pthread_mutex_lock(&rcu_deferred_lock);
		head = rcu_deferred_first;
		rcu_deferred_first = NULL;
		rcu_deferred_tail = &rcu_deferred_first;
		pthread_mutex_unlock(&rcu_deferred_lock);
		if (!head)
			return;
		synchronize_rcu();
		while (head) {
			struct rcu_head *next = (struct rcu_head *)head->next.next;

			head->func(head); /* may queue more: the next round */
			head = next;
		}
	}
}
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
	return p;
}

void av_free(enum av_obj kind, void *p)
{
	if (!p)
		return;
	atomic_fetch_sub(&live[kind], 1);
	free(p);
}

void av_count(enum av_obj kind, long delta)
{
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
}
