/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lockdep.h: a lock-order checker in the manner of the kernel's lockdep
 * (kernel/locking/lockdep.c), for debug builds (ANONVM_DEBUG >= 1).
 *
 *   class      every lock belongs to a class: the static key of the place that initialised it
 *              (init_rwsem, spin_lock_init, ...), or a shared key for a kind of lock (the
 *              folio lock), refined by a subclass where a thread legitimately nests two
 *              locks of one class (the parent's and the child's mmap_lock in fork, the old
 *              and the new folio of a migration);
 *   held stack each thread's locks, in the order taken;
 *   order graph an edge A -> B the first time a thread takes a lock of class B while
 *              holding one of class A, with the two locks' names and the thread's held stack
 *              at that moment kept as the edge's witness.
 *
 * Taking a lock of class B while holding one of class A, when a path B -> ... -> A is in the
 * graph already, is an inversion: two threads following the two orders can deadlock. It is
 * reported (both chains: the held stack now, and the witnesses of the path) and counted; the
 * lock is taken all the same. A trylock cannot deadlock: it joins the held stack but adds no
 * edge and checks none. Readers and writers of a rwsem are not told apart.
 *
 * Locks: one internal mutex around the graph (leaf: nothing is taken under it); the held
 * stacks are thread-local.
 */
#ifndef ANONVM_LOCKDEP_H
#define ANONVM_LOCKDEP_H

#include <stdbool.h>
#include <stdio.h>

#include "debug.h"

#define LOCKDEP_ENABLED (ANONVM_DEBUG >= 1)
#define MAX_LOCKDEP_SUBCLASSES 4
#define SINGLE_DEPTH_NESTING 1

/* The static key of a lock class; its address is the class. */
struct lock_class_key {
	int id[MAX_LOCKDEP_SUBCLASSES]; /* registry index + 1 per subclass, 0 until first use */
};

/* What a lock carries for the checker. */
struct lockdep_map {
	struct lock_class_key *key;
	const char *name;
};

static inline void lockdep_init_map(struct lockdep_map *map, const char *name,
				    struct lock_class_key *key)
{
	map->key = key;
	map->name = name;
}

#if LOCKDEP_ENABLED
/* The lock of map is being taken (trylock: it was taken by a trylock) / was released. */
void lock_acquire(struct lockdep_map *map, unsigned int subclass, bool trylock);
void lock_release(struct lockdep_map *map);
/* Whether the calling thread holds the lock of map (for assertions). */
bool lock_is_held(const struct lockdep_map *map);
#else
static inline void lock_acquire(struct lockdep_map *map, unsigned int subclass, bool trylock)
{
}

static inline void lock_release(struct lockdep_map *map)
{
}

static inline bool lock_is_held(const struct lockdep_map *map)
{
	return true; /* no held stacks to ask: assertions pass */
}
#endif

/* Inversions reported so far (every build: 0 without the checker). */
unsigned long lockdep_reports(void);
/* Where reports go (stderr by default; NULL: stderr). */
void lockdep_set_output(FILE *out);
/* The locks the calling thread holds now. */
unsigned int lockdep_depth(void);

#endif
