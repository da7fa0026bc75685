// SPDX-License-Identifier: GPL-2.0-only
/*
 * lockdep.c: the lock-order checker of lockdep.h.
 *
 * State: the classes (registered on first use, at most MAX_CLASSES, each a key and a
 * subclass), the order graph as a bitmap of edges after[a] (bit b: class b was taken while
 * class a was held) with a witness string per edge (the first time it was seen), and each
 * thread's held stack. Checking an acquisition costs the held stack's depth, plus a search
 * of the graph (O(classes^2 / 64)) only the first time an edge appears.
 *
 * Invariants: the graph has no cycle through edges added here (an acquisition that would
 * close one is reported instead of added); every held-stack entry names a class that exists.
 * Locks: graph_lock (a pthread mutex, deliberately not one of the model's own locks, which
 * would check themselves) guards the classes and the graph; held stacks are thread-local.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"

#define MAX_CLASSES 128
#define MAX_HELD 48
#define WORDS ((MAX_CLASSES + 63) / 64)

struct lock_class {
	const char *name;
	unsigned int subclass;
};

struct held_lock {
	struct lockdep_map *map;
	int class;
};

/* (unused where LOCKDEP_ENABLED is 0: the release build) */
static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lock_class classes[MAX_CLASSES] __maybe_unused;
static int nr_classes __maybe_unused;
static uint64_t after[MAX_CLASSES][WORDS] __maybe_unused;
static char *witness[MAX_CLASSES][MAX_CLASSES] __maybe_unused;
static atomic_ulong nr_reports;
static FILE *report_out;

static __thread struct held_lock held[MAX_HELD] __maybe_unused;
static __thread unsigned int depth;

unsigned long lockdep_reports(void)
{
	return atomic_load(&nr_reports);
}

void lockdep_set_output(FILE *out)
{
	pthread_mutex_lock(&graph_lock);
	report_out = out;
	pthread_mutex_unlock(&graph_lock);
}

unsigned int lockdep_depth(void)
{
	return depth;
}

#if LOCKDEP_ENABLED

static FILE *out(void)
{
	return report_out ? report_out : stderr;
}

/* The class of map's lock at subclass, registered on first use; -1 when the table is full. */
static int class_of(struct lockdep_map *map, unsigned int subclass)
{
	int *id = &map->key->id[subclass < MAX_LOCKDEP_SUBCLASSES ? subclass : 0];
	int c = __atomic_load_n(id, __ATOMIC_ACQUIRE);

	if (c)
		return c - 1;
	pthread_mutex_lock(&graph_lock);
	if (!*id && nr_classes < MAX_CLASSES) {
		classes[nr_classes] = (struct lock_class){ map->name, subclass };
		__atomic_store_n(id, ++nr_classes, __ATOMIC_RELEASE);
	}
	c = *id;
	pthread_mutex_unlock(&graph_lock);
	return c - 1;
}

static bool has_edge(int a, int b)
{
	return after[a][b / 64] >> (b % 64) & 1;
}

/* The calling thread's held stack, "A, B, C", then " -> taking N". Caller frees. */
static char *describe(int taking)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (unsigned int i = 0; i < depth; i++)
		fprintf(f, "%s%s/%u", i ? ", " : "", classes[held[i].class].name,
			classes[held[i].class].subclass);
	fprintf(f, " -> taking %s/%u", classes[taking].name, classes[taking].subclass);
	fclose(f);
	return text;
}

/* Breadth-first from `from`: is `to` reachable? prev[] records the path. graph_lock held. */
static bool reachable(int from, int to, int *prev)
{
	int queue[MAX_CLASSES], head = 0, tail = 0;

	for (int i = 0; i < nr_classes; i++)
		prev[i] = -2;
	prev[from] = -1;
	queue[tail++] = from;
	while (head < tail) {
		int a = queue[head++];

		if (a == to)
			return true;
		for (int b = 0; b < nr_classes; b++) {
			if (prev[b] == -2 && has_edge(a, b)) {
				prev[b] = a;
				queue[tail++] = b;
			}
		}
	}
	return false;
}

/* Taking class c while holding class h closes the cycle c -> ... -> h. graph_lock held. */
static void report_inversion(int h, int c, const int *prev)
{
	char *now = describe(c);
	int path[MAX_CLASSES], n = 0;

	atomic_fetch_add(&nr_reports, 1);
	for (int x = h; x != -1; x = prev[x])
		path[n++] = x;
	fprintf(out(),
		"anonvm lockdep: possible circular locking dependency\n"
		"  this thread holds %s/%u and takes %s/%u (held: %s)\n"
		"  but the opposite order was seen before:\n",
		classes[h].name, classes[h].subclass, classes[c].name, classes[c].subclass,
		now ? now : "?");
	/* path[n - 1] == c ... path[0] == h */
	for (int i = n - 1; i > 0; i--)
		fprintf(out(), "    %s/%u -> %s/%u, when a thread held: %s\n",
			classes[path[i]].name, classes[path[i]].subclass, classes[path[i - 1]].name,
			classes[path[i - 1]].subclass,
			witness[path[i]][path[i - 1]] ? witness[path[i]][path[i - 1]] : "?");
	free(now);
}

void lock_acquire(struct lockdep_map *map, unsigned int subclass, bool trylock)
{
	int c = class_of(map, subclass), prev[MAX_CLASSES];

	if (c < 0)
		return; /* out of classes: unchecked */
	if (!trylock) {
		pthread_mutex_lock(&graph_lock);
		for (unsigned int i = 0; i < depth; i++) {
			int h = held[i].class;

			if (h == c) {
				atomic_fetch_add(&nr_reports, 1);
				fprintf(out(), "anonvm lockdep: recursive locking of %s/%u\n",
					classes[c].name, classes[c].subclass);
				continue;
			}
			if (has_edge(h, c))
				continue;
			if (reachable(c, h, prev)) {
				report_inversion(h, c, prev);
				continue;
			}
			after[h][c / 64] |= 1ULL << (c % 64);
			witness[h][c] = describe(c);
		}
		pthread_mutex_unlock(&graph_lock);
	}
	if (depth < MAX_HELD)
		held[depth] = (struct held_lock){ map, c };
	depth++;
}

void lock_release(struct lockdep_map *map)
{
	unsigned int top = depth < MAX_HELD ? depth : MAX_HELD;

	for (unsigned int i = top; i-- > 0;) {
		if (held[i].map != map)
			continue;
		memmove(&held[i], &held[i + 1], (top - i - 1) * sizeof(held[0]));
		depth--;
		return;
	}
	if (depth > MAX_HELD) {
		depth--; /* it was beyond what the stack records */
		return;
	}
	atomic_fetch_add(&nr_reports, 1);
	fprintf(out(), "anonvm lockdep: releasing %s, which this thread does not hold\n",
		map->name);
}

bool lock_is_held(const struct lockdep_map *map)
{
	unsigned int top = depth < MAX_HELD ? depth : MAX_HELD;

	for (unsigned int i = 0; i < top; i++)
		if (held[i].map == map)
			return true;
	return depth > MAX_HELD; /* beyond the record: cannot tell */
}

#endif
