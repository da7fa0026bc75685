/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RCU as the library uses it: liburcu (memb flavour), with the kernel's names, plus what a
 * ThreadSanitizer build must be told.
 *
 * TSan sees neither liburcu's memory barriers nor its grace periods, so without help every
 * object freed by an RCU callback looks racy. Under TSan one synchronisation object stands
 * for "a grace period": every reader releases it as it leaves its read-side section
 * (rcu_read_unlock), every writer as it queues a callback (call_rcu), and every callback
 * acquires it first (rcu_callback_begin). So whatever was done to an object before it was
 * queued, and every read of it by a reader that has left, happens before the callback.
 * In other builds these are liburcu's primitives unchanged.
 *
 * Rules: a thread that calls rcu_read_lock or call_rcu is registered with liburcu
 * (anonvm_thread_register); every callback passed to call_rcu starts with
 * rcu_callback_begin().
 */
#ifndef ANONVM_RCU_H
#define ANONVM_RCU_H

#include <urcu.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>

extern char rcu_tsan_grace_period;

static inline void anonvm_rcu_read_unlock(void)
{
	__tsan_release(&rcu_tsan_grace_period);
	urcu_memb_read_unlock();
}

static inline void anonvm_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	__tsan_release(&rcu_tsan_grace_period);
	urcu_memb_call_rcu(head, func);
}

#undef rcu_read_unlock
#define rcu_read_unlock() anonvm_rcu_read_unlock()
#undef call_rcu
#define call_rcu(head, func) anonvm_call_rcu(head, func)
#define rcu_callback_begin() __tsan_acquire(&rcu_tsan_grace_period)
#elif defined(ANONVM_RCU_DEFERRED)
/*
 * The fuzzing build (-DANONVM_RCU_DEFERRED; single-threaded callers only). liburcu's
 * call_rcu thread sleeps 10 ms between batches, so every rcu_barrier (one per machine
 * destroyed) would cost tens of milliseconds and a fuzzer would run a few dozen inputs a
 * second. Here call_rcu queues the callback on a list and rcu_barrier runs the list after one
 * synchronize_rcu: a callback still runs only after a grace period that began after it was
 * queued, and never under the caller's locks.
 */
void anonvm_call_rcu_deferred(struct rcu_head *head, void (*func)(struct rcu_head *head));
void anonvm_rcu_barrier_deferred(void);
#undef call_rcu
#define call_rcu(head, func) anonvm_call_rcu_deferred(head, func)
#undef rcu_barrier
#define rcu_barrier() anonvm_rcu_barrier_deferred()
#define rcu_callback_begin() ((void)0)
#else
#define rcu_callback_begin() ((void)0)
#endif

#endif
