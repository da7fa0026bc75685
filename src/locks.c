// SPDX-License-Identifier: GPL-2.0-only
/*
 * locks.c: the contended half of locks.h's rw_semaphore (kernel: the slow paths of
 * kernel/locking/rwsem.c, with lock_stat's contention count and wait time).
 *
 * An acquisition comes here only after its trylock failed: it reads the clock, blocks,
 * reads the clock again, and adds one contended acquisition and the ns waited to the lock's
 * wait_stat (if it has one) and to the calling thread's counter of that class.
 *
 * Invariants: wait_stat->contended counts every acquisition that entered a slow path with a
 * wait_stat, from before it blocks (a test can see a waiter arrive); wait_stat->wait_ns is
 * their waiting time, added once each has the lock. The thread's counters follow the same
 * rule for its own acquisitions.
 *
 * Locks: none of its own. Counters are relaxed atomics (the machine's) and thread-local
 * plain integers (the thread's).
 */
#include "ktime.h"
#include "locks.h"

/* The calling thread's waits, per class, over every machine. */
static __thread struct {
	unsigned long contended, wait_ns;
} thread_waits[NR_LOCK_WAIT];

/*
 * The blocking acquire (lock: pthread_rwlock_rdlock or _wrlock), timed. A waiter is counted
 * as it arrives, so that it is visible while it blocks; its wait once it has the lock.
 */
static void rwsem_wait(struct rw_semaphore *s, int (*lock)(pthread_rwlock_t *))
{
	struct lock_wait_stat *st = s->wait_stat;
	unsigned long t0, waited;

	if (!st) {
		lock(&s->lock);
		return;
	}
	atomic_fetch_add_explicit(&st->contended, 1, memory_order_relaxed);
	thread_waits[st->cls].contended++;
	t0 = ktime_get_ns();
	lock(&s->lock);
	waited = ktime_get_ns() - t0;
	atomic_fetch_add_explicit(&st->wait_ns, waited, memory_order_relaxed);
	thread_waits[st->cls].wait_ns += waited;
}

void rwsem_down_read_slowpath(struct rw_semaphore *s)
{
	rwsem_wait(s, pthread_rwlock_rdlock);
}

void rwsem_down_write_slowpath(struct rw_semaphore *s)
{
	rwsem_wait(s, pthread_rwlock_wrlock);
}

void lock_wait_thread(enum lock_wait_class cls, unsigned long *contended,
		      unsigned long *wait_ns)
{
	*contended = thread_waits[cls].contended;
	*wait_ns = thread_waits[cls].wait_ns;
}
