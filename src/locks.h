/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-shaped locks over pthreads: rw_semaphore (mmap_lock, the anon_vma root rwsem),
 * spinlock_t (page_table_lock, PTE locks, LRU), and assertion helpers.
 *
 * A rw_semaphore records its writer so that code can assert "held for write"
 * (lockdep_assert_held_write); read holders are counted, not named. Every lock has a
 * lockdep class (lockdep.h), the static key of the place that initialised it: in debug
 * builds every acquisition is checked against the order seen so far. *_nested names the
 * second lock of a class a thread holds on purpose (fork's two mms).
 *
 * Contention (the kernel's lock_stat, CONFIG_LOCK_STAT, cut down to two numbers): every
 * rw_semaphore acquisition tries first; only when that fails is the clock read, before and
 * after the blocking acquire (rwsem_down_*_slowpath, locks.c), so an uncontended acquisition
 * costs one trylock and nothing more. A lock given a struct lock_wait_stat (s->wait_stat: the
 * anon_vmas' and the mms' locks point into their machine's vm->stats) adds each contended
 * acquisition and the ns it waited there, and to the calling thread's own counters of that
 * class (anonvm_thread_lock_waits). A lock without one (NULL) is not counted. A trylock that
 * fails is not a contended acquisition: it did not wait.
 *
 * Lock order (docs/semantics.md §3): mmap_lock > folio lock > VMA write lock >
 * anon_vma root rwsem > page_table_lock / PTE lock > swap_lock, lru_lock.
 */
#ifndef ANONVM_LOCKS_H
#define ANONVM_LOCKS_H

#include "debug.h"
#include "lockdep.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* The locks whose waits are counted, per machine and per thread. */
enum lock_wait_class {
	LOCK_WAIT_ANON_VMA, /* the anon_vma root rwsem */
	LOCK_WAIT_MMAP,     /* mmap_lock */
	NR_LOCK_WAIT
};

/* Where a lock's waits are added up (relaxed atomics: they order nothing). */
struct lock_wait_stat {
	atomic_ulong contended; /* acquisitions that found the lock held and waited */
	atomic_ulong wait_ns;   /* the ns they waited, summed */
	enum lock_wait_class cls; /* the calling thread's counter that gets them too */
};

struct rw_semaphore {
	pthread_rwlock_t lock;
	_Atomic(pthread_t) owner; /* the writer, valid while writer is true */
	atomic_bool writer;
	atomic_int readers;
	struct lock_wait_stat *wait_stat; /* NULL: waits not counted; set before first use */
	struct lockdep_map dep_map;
};

/* The blocking acquire after a failed trylock, timed (locks.c). */
void rwsem_down_read_slowpath(struct rw_semaphore *s);
void rwsem_down_write_slowpath(struct rw_semaphore *s);
/* The calling thread's waits of class cls so far (every machine). */
void lock_wait_thread(enum lock_wait_class cls, unsigned long *contended,
		      unsigned long *wait_ns);

/*
 * Initialising a lock gives it its lockdep class: one static key per place that
 * initialises, as the kernel's init_rwsem / spin_lock_init macros do.
 */
#define init_rwsem(s)                                                                        \
	do {                                                                                 \
		static struct lock_class_key __key;                                          \
		__init_rwsem((s), #s, &__key);                                               \
	} while (0)

static inline void __init_rwsem(struct rw_semaphore *s, const char *name,
				struct lock_class_key *key)
{
	pthread_rwlock_init(&s->lock, NULL);
	atomic_store(&s->writer, false);
	atomic_store(&s->readers, 0);
	s->wait_stat = NULL;
	lockdep_init_map(&s->dep_map, name, key);
}

static inline void destroy_rwsem(struct rw_semaphore *s)
{
	pthread_rwlock_destroy(&s->lock);
}

static inline void down_read_nested(struct rw_semaphore *s, unsigned int subclass)
{
	lock_acquire(&s->dep_map, subclass, false);
	if (pthread_rwlock_tryrdlock(&s->lock))
		rwsem_down_read_slowpath(s);
	atomic_fetch_add(&s->readers, 1);
}

static inline void down_read(struct rw_semaphore *s)
{
	down_read_nested(s, 0);
}

static inline bool down_read_trylock(struct rw_semaphore *s)
{
	if (pthread_rwlock_tryrdlock(&s->lock))
		return false;
	lock_acquire(&s->dep_map, 0, true);
	atomic_fetch_add(&s->readers, 1);
	return true;
}

static inline void up_read(struct rw_semaphore *s)
{
	atomic_fetch_sub(&s->readers, 1);
	lock_release(&s->dep_map);
	pthread_rwlock_unlock(&s->lock);
}

static inline void down_write_nested(struct rw_semaphore *s, unsigned int subclass)
{
	lock_acquire(&s->dep_map, subclass, false);
	if (pthread_rwlock_trywrlock(&s->lock))
		rwsem_down_write_slowpath(s);
	atomic_store(&s->owner, pthread_self());
	atomic_store(&s->writer, true);
}

static inline void down_write(struct rw_semaphore *s)
{
	down_write_nested(s, 0);
}

static inline bool down_write_trylock(struct rw_semaphore *s)
{
	if (pthread_rwlock_trywrlock(&s->lock))
		return false;
	lock_acquire(&s->dep_map, 0, true);
	atomic_store(&s->owner, pthread_self());
	atomic_store(&s->writer, true);
	return true;
}

static inline void up_write(struct rw_semaphore *s)
{
	atomic_store(&s->writer, false);
	lock_release(&s->dep_map);
	pthread_rwlock_unlock(&s->lock);
}

static inline bool rwsem_is_write_locked_by_me(struct rw_semaphore *s)
{
	return atomic_load(&s->writer) && pthread_equal(atomic_load(&s->owner), pthread_self());
}

static inline bool rwsem_is_locked(struct rw_semaphore *s)
{
	return atomic_load(&s->writer) || atomic_load(&s->readers) > 0;
}

#define lockdep_assert_held_write(s) VM_BUG_ON(!rwsem_is_write_locked_by_me(s))
#define lockdep_assert_held(s) VM_BUG_ON(!rwsem_is_locked(s))

typedef struct {
	pthread_mutex_t lock;
	struct lockdep_map dep_map;
} spinlock_t;

#define spin_lock_init(l)                                                                    \
	do {                                                                                 \
		static struct lock_class_key __key;                                          \
		__spin_lock_init((l), #l, &__key);                                           \
	} while (0)

static inline void __spin_lock_init(spinlock_t *l, const char *name, struct lock_class_key *key)
{
	pthread_mutexattr_t attr;

	/* spins a while before it sleeps, as a contended spinlock would only spin */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&l->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	lockdep_init_map(&l->dep_map, name, key);
}

static inline void spin_lock_destroy(spinlock_t *l)
{
	pthread_mutex_destroy(&l->lock);
}

static inline void spin_lock_nested(spinlock_t *l, unsigned int subclass)
{
	lock_acquire(&l->dep_map, subclass, false);
	pthread_mutex_lock(&l->lock);
}

static inline void spin_lock(spinlock_t *l)
{
	spin_lock_nested(l, 0);
}

static inline bool spin_trylock(spinlock_t *l)
{
	if (pthread_mutex_trylock(&l->lock))
		return false;
	lock_acquire(&l->dep_map, 0, true);
	return true;
}

static inline void spin_unlock(spinlock_t *l)
{
	lock_release(&l->dep_map);
	pthread_mutex_unlock(&l->lock);
}

/* mmap_lock, by the kernel's names. */
#define mmap_read_lock(mm) down_read(&(mm)->mmap_lock)
#define mmap_read_trylock(mm) down_read_trylock(&(mm)->mmap_lock)
#define mmap_read_unlock(mm) up_read(&(mm)->mmap_lock)
/*
 * mmap_write_lock/unlock also advance mm->mm_lock_seq (odd while write-held): a VMA whose
 * vm_lock_seq equals it is write-locked in this cycle, so unlocking the mmap_lock ends every
 * VMA write lock of the cycle at once (docs/semantics.md §5).
 */
#define mmap_write_lock_nested(mm, subclass)                                                 \
	do {                                                                                 \
		down_write_nested(&(mm)->mmap_lock, subclass);                               \
		atomic_fetch_add(&(mm)->mm_lock_seq, 1);                                     \
	} while (0)
#define mmap_write_lock(mm) mmap_write_lock_nested(mm, 0)
#define mmap_write_unlock(mm)                                                                \
	do {                                                                                 \
		atomic_fetch_add(&(mm)->mm_lock_seq, 1);                                     \
		up_write(&(mm)->mmap_lock);                                                  \
	} while (0)
#define mmap_assert_write_locked(mm) lockdep_assert_held_write(&(mm)->mmap_lock)
#define mmap_assert_locked(mm) lockdep_assert_held(&(mm)->mmap_lock)

#endif
