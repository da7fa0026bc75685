// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_lock_wait.c: lock contention accounting (locks.h, locks.c), how each design's walks
 * take the anon_vma lock (rmap_ops.walk_lock_exclusive), and the per-VMA lock switch
 * (anonvm_config.per_vma_lock). On every design:
 *
 *   - single-threaded work (faults, fork, exit, walks, reclaim) never waits: every wait
 *     counter of the machine and of the thread stays 0;
 *   - a thread that blocks on the root lock another holds for write is one contended
 *     acquisition with a wait, in the machine's counters and in its own thread's, not in the
 *     holder's;
 *   - two walkers share the root lock in the chain designs and exclude each other in legacy
 *     (2.6.33's anon_vma spinlock);
 *   - reclaim's referenced check gives up on a held lock in the chain designs (a trylock that
 *     fails is not a wait) and waits for it in legacy;
 *   - a fault goes past a held mmap_lock with per-VMA locks, and waits for it without.
 *
 * "Blocks" is observed, never timed: the holder waits until the machine's contended counter
 * says the other thread is waiting (it is counted before the thread blocks), then lets go.
 * "Does not block" is a bounded wait for the other thread to finish while the lock is held.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "designs.h"

#include "mm_types.h"
#include "rmap.h"
#include "vma.h"

#define BASE 0x100000000000UL
#define PAGES 8UL
#define PG ANONVM_PAGE_SIZE

struct fixture {
	struct anonvm *vm;
	struct anonvm_mm *mm;
	struct anon_vma *anon_vma; /* of the VMA at BASE */
};

/* A machine with one process whose VMA at BASE has PAGES written pages. */
static void fixture_make(struct fixture *f, bool per_vma_lock)
{
	struct anonvm_config cfg;
	struct mm_struct *mm;
	unsigned long addr;

	test_config(&cfg);
	cfg.ram_bytes = 16UL << 20;
	cfg.per_vma_lock = per_vma_lock;
	assert_int_equal(anonvm_create(&cfg, &f->vm), 0);
	assert_int_equal(anonvm_mm_new(f->vm, &f->mm), 0);
	assert_int_equal(anonvm_mmap(f->mm, BASE, PAGES * PG, ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &addr),
			 0);
	for (unsigned long i = 0; i < PAGES; i++)
		assert_int_equal(anonvm_write(f->mm, BASE + i * PG, "x", 1, NULL), 0);
	mm = mm_of(f->mm);
	mmap_read_lock(mm);
	f->anon_vma = vma_lookup(mm, BASE)->anon_vma;
	mmap_read_unlock(mm);
	assert_non_null(f->anon_vma);
}

static void fixture_free(struct fixture *f)
{
	anonvm_destroy(f->vm);
	anonvm_quiesce();
}

static unsigned long counter(struct fixture *f, const char *name)
{
	unsigned long v = ~0UL;

	assert_int_equal(anonvm_stat(f->vm, name, &v), 0);
	return v;
}

/* Spin (yielding) until *flag, for at most 30 s: false if it never came. */
static bool wait_flag(atomic_bool *flag)
{
	time_t end = time(NULL) + 30;

	while (!atomic_load(flag)) {
		if (time(NULL) > end)
			return false;
		sched_yield();
	}
	return true;
}

/* Until the machine's counter of name reaches n, for at most 30 s. */
static bool wait_stat(struct fixture *f, const char *name, unsigned long n)
{
	time_t end = time(NULL) + 30;

	while (counter(f, name) < n) {
		if (time(NULL) > end)
			return false;
		sched_yield();
	}
	return true;
}

/* What the other thread does, and what it saw. */
enum action { LOCK_READ, REFERENCED, WRITE };

struct other {
	pthread_t thread;
	struct fixture *f;
	enum action action;
	atomic_bool done;
	int referenced;
	int ret;
	struct anonvm_lock_waits waits; /* the thread's own, when done */
};

static void *other_main(void *arg)
{
	struct other *o = arg;
	struct anonvm_referenced ref;

	anonvm_thread_register();
	switch (o->action) {
	case LOCK_READ:
		anon_vma_lock_read(o->f->anon_vma);
		anon_vma_unlock_read(o->f->anon_vma);
		break;
	case REFERENCED:
		o->ret = anonvm_page_referenced(o->f->mm, BASE, &ref);
		o->referenced = ref.referenced;
		break;
	case WRITE:
		o->ret = anonvm_write(o->f->mm, BASE + PG, "y", 1, NULL);
		break;
	}
	anonvm_thread_lock_waits(&o->waits);
	anonvm_thread_unregister();
	atomic_store(&o->done, true);
	return NULL;
}

static void other_start(struct other *o, struct fixture *f, enum action action)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->action = action;
	assert_int_equal(pthread_create(&o->thread, NULL, other_main, o), 0);
}

/*
 * While this thread holds a lock: the other thread must block on it (counted in the
 * machine's counter of name), or must get through without (then the counter stays 0).
 */
static void expect_blocked(struct fixture *f, struct other *o, const char *name, bool blocks)
{
	if (blocks) {
		assert_true(wait_stat(f, name, 1));
		assert_false(atomic_load(&o->done));
	} else {
		assert_true(wait_flag(&o->done));
		assert_int_equal(counter(f, name), 0);
	}
}

static void test_uncontended(void **state)
{
	struct anonvm_lock_waits w;
	struct anonvm_mm *child;
	struct anonvm_referenced ref;
	struct fixture f;
	unsigned long n;

	(void)state;
	fixture_make(&f, true);
	assert_int_equal(anonvm_fork(f.mm, &child), 0);
	assert_int_equal(anonvm_write(child, BASE, "c", 1, NULL), 0);
	assert_int_equal(anonvm_page_referenced(f.mm, BASE + PG, &ref), 0);
	assert_int_equal(anonvm_reclaim(f.vm, PAGES, &n), 0);
	anonvm_exit(child);
	assert_int_equal(anonvm_munmap(f.mm, BASE, PAGES * PG), 0);
	assert_int_equal(counter(&f, "anon_vma_lock_contended"), 0);
	assert_int_equal(counter(&f, "anon_vma_lock_wait_ns"), 0);
	assert_int_equal(counter(&f, "mmap_lock_contended"), 0);
	assert_int_equal(counter(&f, "mmap_lock_wait_ns"), 0);
	anonvm_thread_lock_waits(&w);
	assert_int_equal(w.anon_vma_contended | w.anon_vma_wait_ns, 0);
	assert_int_equal(w.mmap_lock_contended | w.mmap_lock_wait_ns, 0);
	fixture_free(&f);
}

/* A walker's lock blocks behind a writer's: counted once, for that thread. */
static void test_contended(void **state)
{
	struct anonvm_lock_waits mine;
	struct fixture f;
	struct other o;

	(void)state;
	fixture_make(&f, true);
	anon_vma_lock_write(f.anon_vma);
	other_start(&o, &f, LOCK_READ);
	assert_true(wait_stat(&f, "anon_vma_lock_contended", 1));
	assert_false(atomic_load(&o.done));
	anon_vma_unlock_write(f.anon_vma);
	assert_int_equal(pthread_join(o.thread, NULL), 0);
	assert_int_equal(counter(&f, "anon_vma_lock_contended"), 1);
	assert_true(counter(&f, "anon_vma_lock_wait_ns") > 0);
	assert_int_equal(o.waits.anon_vma_contended, 1);
	assert_int_equal(o.waits.anon_vma_wait_ns, counter(&f, "anon_vma_lock_wait_ns"));
	anonvm_thread_lock_waits(&mine); /* the holder waited for nothing */
	assert_int_equal(mine.anon_vma_contended | mine.anon_vma_wait_ns, 0);
	assert_int_equal(counter(&f, "mmap_lock_contended"), 0);
	fixture_free(&f);
}

/* Two walkers: they share the root rwsem (chain designs), or exclude each other (legacy). */
static void test_walkers(void **state)
{
	struct fixture f;
	struct other o;

	(void)state;
	fixture_make(&f, true);
	anon_vma_lock_read(f.anon_vma);
	other_start(&o, &f, LOCK_READ);
	expect_blocked(&f, &o, "anon_vma_lock_contended",
		       test_design_is(DESIGN_BIT(ANONVM_RMAP_LEGACY)));
	anon_vma_unlock_read(f.anon_vma);
	assert_int_equal(pthread_join(o.thread, NULL), 0);
	fixture_free(&f);
}

/* Reclaim's referenced check on a held lock: gives up (6.18), or waits (2.6.33). */
static void test_referenced_trylock(void **state)
{
	bool legacy = test_design_is(DESIGN_BIT(ANONVM_RMAP_LEGACY));
	struct fixture f;
	struct other o;

	(void)state;
	fixture_make(&f, true);
	anon_vma_lock_write(f.anon_vma);
	other_start(&o, &f, REFERENCED);
	expect_blocked(&f, &o, "anon_vma_lock_contended", legacy);
	if (!legacy) /* gave up on the lock: the folio is kept */
		assert_int_equal(o.referenced, -1);
	anon_vma_unlock_write(f.anon_vma);
	assert_int_equal(pthread_join(o.thread, NULL), 0);
	assert_int_equal(o.ret, 0);
	if (legacy)
		assert_true(o.referenced >= 0);
	fixture_free(&f);
}

/* A fault while another thread holds the mmap_lock for write, per-VMA locks on and off. */
static void fault_past_mmap_lock(bool per_vma_lock)
{
	struct mm_struct *mm;
	struct fixture f;
	struct other o;

	fixture_make(&f, per_vma_lock);
	mm = mm_of(f.mm);
	mmap_write_lock(mm);
	other_start(&o, &f, WRITE);
	/* with per-VMA locks: its VMA is not write-locked, nothing to wait for */
	expect_blocked(&f, &o, "mmap_lock_contended", !per_vma_lock);
	mmap_write_unlock(mm);
	assert_int_equal(pthread_join(o.thread, NULL), 0);
	assert_int_equal(o.ret, 0);
	assert_int_equal(o.waits.mmap_lock_contended, per_vma_lock ? 0 : 1);
	fixture_free(&f);
}

static void test_per_vma_lock_on(void **state)
{
	(void)state;
	fault_past_mmap_lock(true);
}

static void test_per_vma_lock_off(void **state)
{
	(void)state;
	fault_past_mmap_lock(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uncontended),
		cmocka_unit_test(test_contended),
		cmocka_unit_test(test_walkers),
		cmocka_unit_test(test_referenced_trylock),
		cmocka_unit_test(test_per_vma_lock_on),
		cmocka_unit_test(test_per_vma_lock_off),
	};

	return RUN_PER_DESIGN("lock_wait", tests, ALL_DESIGNS, NULL, NULL);
}
