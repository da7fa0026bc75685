// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_vma.c: the VMA layer (vma.c, mmap.c, mprotect.c, madvise.c, mremap.c, fork.c).
 *
 * Linux's tools/testing/vma tests (merge.c / vma.c: simple_merge, simple_modify, merge_new,
 * merge_existing, anon_vma_non_mergeable, dup_anon_vma, vmi_prealloc_fail, copy_vma,
 * expand / shrink) re-expressed on a real machine: VMAs are made with the public calls,
 * "faulted" means written (or anon_vma_prepare called directly), and unlike the kernel's
 * harness the anon_vmas are real, so every test also runs the whole-machine validator
 * (anon_vma chains, counters, page tables) and checks for leaks at the end.
 *
 * The ENOMEM sweep makes the Nth allocation of an operation fail for every N and checks that
 * the machine stays valid and that nothing leaks.
 *
 * Layouts in comments: one character per page, upper case = faulted, '.' = hole.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "designs.h"

#include "alloc.h"
#include "rmap.h"
#include "vma.h"

#define BASE 0x100000000000UL
#define PG(n) (BASE + ((unsigned long)(n) << PAGE_SHIFT))
#define LEN(n) ((unsigned long)(n) << PAGE_SHIFT)
#define PGOFF(n) ((BASE >> PAGE_SHIFT) + (n))

#define R ANONVM_PROT_READ
#define RW (ANONVM_PROT_READ | ANONVM_PROT_WRITE)
#define RWX (RW | ANONVM_PROT_EXEC)
#define NONE 0

/* ---- machines ------------------------------------------------------------------------ */

static struct anonvm *machine(void)
{
	struct anonvm_config cfg;
	struct anonvm *vm;

	test_config(&cfg);
	cfg.ram_bytes = 8UL << 20;
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	return vm;
}

static struct anonvm_mm *process(struct anonvm *vm)
{
	struct anonvm_mm *mm;

	assert_int_equal(anonvm_mm_new(vm, &mm), 0);
	return mm;
}

/* Everything valid, then everything gone: no object of any kind left. */
static void machine_done(struct anonvm *vm)
{
	struct anonvm_live l;

	assert_int_equal(anonvm_check(vm, stderr), 0);
	anonvm_destroy(vm);
	anonvm_quiesce();
	anonvm_live_objects(&l);
	assert_int_equal(l.mm, 0);
	assert_int_equal(l.vma, 0);
	assert_int_equal(l.maple_node, 0);
	assert_int_equal(l.anon_vma, 0);
	assert_int_equal(l.avc, 0);
	assert_int_equal(l.folio, 0);
	assert_int_equal(l.pgtable, 0);
	assert_int_equal(l.shmem, 0);
}

static int map_flags(struct anonvm_mm *mm, unsigned long pg, unsigned long n, int prot, int flags)
{
	unsigned long addr;

	return anonvm_mmap(mm, PG(pg), LEN(n), prot, ANONVM_MAP_FIXED | flags, &addr);
}

static void map(struct anonvm_mm *mm, unsigned long pg, unsigned long n, int prot)
{
	assert_int_equal(map_flags(mm, pg, n, prot, ANONVM_MAP_PRIVATE), 0);
}

static void touch(struct anonvm_mm *mm, unsigned long pg, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		char c = (char)(i + 1);

		assert_int_equal(anonvm_write(mm, PG(pg + i), &c, 1, NULL), 0);
	}
}

static int mremap_to(struct anonvm_mm *mm, unsigned long pg, unsigned long n, unsigned long nn,
		     unsigned long to, int extra)
{
	unsigned long addr;

	return anonvm_mremap(mm, PG(pg), LEN(n), LEN(nn),
			     ANONVM_MREMAP_MAYMOVE | ANONVM_MREMAP_FIXED | extra, PG(to), &addr);
}

static struct vm_area_struct *vma_at(struct anonvm_mm *mm, unsigned long pg)
{
	return vma_lookup(mm_of(mm), PG(pg));
}

/* The expected VMAs of the arena, in pages from BASE; anon: has an anon_vma. */
struct want {
	unsigned long start, end;
	int prot;
	bool anon;
};

static void expect_vmas(struct anonvm_mm *mm, const struct want *want, size_t nr)
{
	struct anonvm_vma_info info;
	unsigned long addr = BASE;
	size_t i;

	/* the arena's first pages (top-down placements far above are not listed) */
	for (i = 0; anonvm_vma_next(mm, addr, &info) == 0 && info.start < PG(4096);
	     i++, addr = info.end) {
		if (i >= nr)
			fail_msg("unexpected VMA %lx-%lx", info.start, info.end);
		assert_int_equal(info.start, PG(want[i].start));
		assert_int_equal(info.end, PG(want[i].end));
		assert_int_equal(info.prot, want[i].prot);
		assert_int_equal(info.has_anon_vma, want[i].anon);
	}
	assert_int_equal(i, nr);
	assert_true(mm_valid(mm_of(mm), stderr));
}

#define EXPECT(mm, ...)                                                                            \
	do {                                                                                       \
		const struct want w_[] = {__VA_ARGS__};                                            \
		expect_vmas(mm, w_, sizeof(w_) / sizeof(w_[0]));                                   \
	} while (0)
#define EXPECT_NONE(mm) expect_vmas(mm, NULL, 0)

/* ---- tools/testing/vma, re-expressed ----------------------------------------------------- */

/* aa.b -> mmap the hole -> one VMA: aaab */
static void test_simple_merge(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);

	map(mm, 0, 2, RW);
	map(mm, 3, 1, RW);
	map(mm, 2, 1, RW);
	EXPECT(mm, {0, 4, RW, false});
	assert_int_equal(vma_at(mm, 0)->vm_pgoff, PGOFF(0));
	assert_int_equal(mm_of(mm)->map_count, 1);
	machine_done(vm);
}

/* aaa -> mprotect the middle -> a b a with linear pgoffs -> back -> aaa */
static void test_simple_modify(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);

	map(mm, 0, 3, RW);
	assert_int_equal(anonvm_mprotect(mm, PG(1), LEN(1), R), 0);
	EXPECT(mm, {0, 1, RW, false}, {1, 2, R, false}, {2, 3, RW, false});
	assert_int_equal(vma_at(mm, 0)->vm_pgoff, PGOFF(0));
	assert_int_equal(vma_at(mm, 1)->vm_pgoff, PGOFF(1));
	assert_int_equal(vma_at(mm, 2)->vm_pgoff, PGOFF(2));
	assert_int_equal(anonvm_mprotect(mm, PG(1), LEN(1), RW), 0);
	EXPECT(mm, {0, 3, RW, false});
	machine_done(vm);
}

/* vma_expand directly. */
static void test_simple_expand(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *h = process(vm);
	struct mm_struct *mm = mm_of(h);
	struct vm_area_struct *vma;

	map(h, 0, 1, RW);
	touch(h, 0, 1);
	vma = vma_at(h, 0);
	mmap_write_lock(mm);
	{
		VMG_STATE(vmg, mm, PG(0), PG(3), vma->vm_flags, PGOFF(0));

		vmg.target = vma;
		assert_int_equal(vma_expand(&vmg), 0);
	}
	mmap_write_unlock(mm);
	EXPECT(h, {0, 3, RW, true});
	machine_done(vm);
}

/*
 * merge_new: a new range between, after and before VMAs that share one anon_vma.
 *	AA.B.....CC -> AAAB.....CC -> AAABb....CC -> AAABb...cCC
 */
static void test_merge_new(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	struct anon_vma *av;

	map(mm, 0, 11, RW);
	touch(mm, 0, 11);
	av = vma_at(mm, 0)->anon_vma;
	assert_int_equal(anonvm_munmap(mm, PG(2), LEN(1)), 0);
	assert_int_equal(anonvm_munmap(mm, PG(4), LEN(5)), 0);
	EXPECT(mm, {0, 2, RW, true}, {3, 4, RW, true}, {9, 11, RW, true});

	map(mm, 2, 1, RW); /* both sides: one anon_vma, so prev and next are compatible */
	EXPECT(mm, {0, 4, RW, true}, {9, 11, RW, true});
	map(mm, 4, 1, RW); /* left */
	EXPECT(mm, {0, 5, RW, true}, {9, 11, RW, true});
	map(mm, 8, 1, RW); /* right */
	EXPECT(mm, {0, 5, RW, true}, {8, 11, RW, true});
	assert_int_equal(vma_at(mm, 8)->vm_pgoff, PGOFF(8));
	map(mm, 6, 1, R); /* flags differ: alone */
	EXPECT(mm, {0, 5, RW, true}, {6, 7, R, false}, {8, 11, RW, true});
	map(mm, 5, 1, RW); /* left only: R in between */
	map(mm, 7, 1, RW); /* right only */
	EXPECT(mm, {0, 6, RW, true}, {6, 7, R, false}, {7, 11, RW, true});
	assert_ptr_equal(vma_at(mm, 0)->anon_vma, av);
	assert_ptr_equal(vma_at(mm, 7)->anon_vma, av);
	assert_int_equal(anonvm_mprotect(mm, PG(6), LEN(1), RW), 0); /* everything */
	EXPECT(mm, {0, 11, RW, true});
	assert_int_equal(mm_of(mm)->map_count, 1);
	machine_done(vm);
}

/* merge_existing: partial and full, left, right, both (mprotect of part of a VMA). */
static void test_merge_existing(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	struct anon_vma *av;

	/* right, partial: aAAAB -> a BBBB, pgoffs moved with the boundary */
	map(mm, 2, 7, RW);
	touch(mm, 2, 7);
	av = vma_at(mm, 2)->anon_vma;
	assert_int_equal(anonvm_mprotect(mm, PG(6), LEN(3), R), 0);
	assert_int_equal(anonvm_mprotect(mm, PG(3), LEN(3), R), 0);
	EXPECT(mm, {2, 3, RW, true}, {3, 9, R, true});
	assert_int_equal(vma_at(mm, 3)->vm_pgoff, PGOFF(3));
	assert_ptr_equal(vma_at(mm, 3)->anon_vma, av);
	/* right, full */
	assert_int_equal(anonvm_mprotect(mm, PG(2), LEN(1), R), 0);
	EXPECT(mm, {2, 9, R, true});
	assert_int_equal(vma_at(mm, 2)->vm_pgoff, PGOFF(2));

	/* left, partial: AAABBB -> AAAA BB */
	map(mm, 20, 6, RW);
	touch(mm, 20, 6);
	assert_int_equal(anonvm_mprotect(mm, PG(23), LEN(3), R), 0);
	assert_int_equal(anonvm_mprotect(mm, PG(23), LEN(1), RW), 0);
	EXPECT(mm, {2, 9, R, true}, {20, 24, RW, true}, {24, 26, R, true});
	assert_int_equal(vma_at(mm, 24)->vm_pgoff, PGOFF(24));
	/* left, full */
	assert_int_equal(anonvm_mprotect(mm, PG(24), LEN(2), RW), 0);
	EXPECT(mm, {2, 9, R, true}, {20, 26, RW, true});

	/* both */
	map(mm, 30, 9, RW);
	touch(mm, 30, 9);
	assert_int_equal(anonvm_mprotect(mm, PG(33), LEN(3), R), 0);
	EXPECT(mm, {2, 9, R, true}, {20, 26, RW, true}, {30, 33, RW, true}, {33, 36, R, true},
	       {36, 39, RW, true});
	assert_int_equal(anonvm_mprotect(mm, PG(33), LEN(3), RW), 0);
	EXPECT(mm, {2, 9, R, true}, {20, 26, RW, true}, {30, 39, RW, true});

	/* strictly inside: no merge, two splits */
	assert_int_equal(anonvm_mprotect(mm, PG(34), LEN(1), R), 0);
	EXPECT(mm, {2, 9, R, true}, {20, 26, RW, true}, {30, 34, RW, true}, {34, 35, R, true},
	       {35, 39, RW, true});
	machine_done(vm);
}

/*
 * anon_vma_non_mergeable: AA.BB with different anon_vmas and an unfaulted page between:
 * making it match merges it with prev only ([A+G][B], T5b).
 */
static void test_anon_vma_non_mergeable(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	struct anon_vma *a, *b;

	map(mm, 0, 2, RW);
	touch(mm, 0, 2);
	map(mm, 2, 1, NONE);
	map(mm, 3, 2, RW);
	touch(mm, 3, 2);
	a = vma_at(mm, 0)->anon_vma;
	b = vma_at(mm, 3)->anon_vma;
	assert_ptr_not_equal(a, b);
	assert_int_equal(anonvm_mprotect(mm, PG(2), LEN(1), RW), 0);
	EXPECT(mm, {0, 3, RW, true}, {3, 5, RW, true});
	assert_ptr_equal(vma_at(mm, 2)->anon_vma, a);
	assert_ptr_equal(vma_at(mm, 3)->anon_vma, b);

	/*
	 * A faulted middle of a third family: no merge at all. (The middle is VM_DONTCOPY
	 * while its neighbours fault, so that they do not reuse its anon_vma.)
	 */
	map(mm, 10, 2, RW);
	map(mm, 12, 1, RW);
	assert_int_equal(anonvm_madvise(mm, PG(12), LEN(1), ANONVM_MADV_DONTFORK), 0);
	map(mm, 13, 2, RW);
	touch(mm, 12, 1);
	touch(mm, 10, 2);
	touch(mm, 13, 2);
	assert_ptr_not_equal(vma_at(mm, 10)->anon_vma, vma_at(mm, 12)->anon_vma);
	assert_ptr_not_equal(vma_at(mm, 13)->anon_vma, vma_at(mm, 12)->anon_vma);
	assert_int_equal(anonvm_madvise(mm, PG(12), LEN(1), ANONVM_MADV_DOFORK), 0);
	EXPECT(mm, {0, 3, RW, true}, {3, 5, RW, true}, {10, 12, RW, true}, {12, 13, RW, true},
	       {13, 15, RW, true});
	machine_done(vm);
}

/* dup_anon_vma: an unfaulted VMA that takes over faulted pages gets their anon_vma first. */
static void test_dup_anon_vma(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm), *child;
	struct anon_vma *av;

	/* merge left, full: aaBB -> AAAA */
	map(mm, 0, 2, RW);
	map(mm, 2, 2, RWX);
	touch(mm, 2, 2);
	av = vma_at(mm, 2)->anon_vma;
	assert_int_equal(anonvm_mprotect(mm, PG(2), LEN(2), RW), 0);
	EXPECT(mm, {0, 4, RW, true});
	assert_ptr_equal(vma_at(mm, 0)->anon_vma, av);

	/* three-way: aaBBcc -> AAAAAA */
	map(mm, 10, 2, RW);
	map(mm, 12, 2, RWX);
	touch(mm, 12, 2);
	map(mm, 14, 2, RW);
	av = vma_at(mm, 12)->anon_vma;
	assert_int_equal(anonvm_mprotect(mm, PG(12), LEN(2), RW), 0);
	EXPECT(mm, {0, 4, RW, true}, {10, 16, RW, true});
	assert_ptr_equal(vma_at(mm, 10)->anon_vma, av);

	/* merge right, partial: AAbb -> A BBB */
	map(mm, 20, 2, RWX);
	touch(mm, 20, 2);
	map(mm, 22, 2, RW);
	av = vma_at(mm, 20)->anon_vma;
	assert_int_equal(anonvm_mprotect(mm, PG(21), LEN(1), RW), 0);
	EXPECT(mm, {0, 4, RW, true}, {10, 16, RW, true}, {20, 21, RWX, true}, {21, 24, RW, true});
	assert_ptr_equal(vma_at(mm, 22)->anon_vma, av);

	/* vma_expand removing a faulted next: aa.BB -> mmap the hole -> AAABB */
	map(mm, 30, 2, RW);
	map(mm, 33, 2, RW);
	touch(mm, 33, 2);
	av = vma_at(mm, 33)->anon_vma;
	map(mm, 32, 1, RW);
	assert_ptr_equal(vma_at(mm, 30), vma_at(mm, 34));
	assert_ptr_equal(vma_at(mm, 30)->anon_vma, av);
	assert_int_equal(anonvm_check(vm, stderr), 0);

	/*
	 * a fork child's faulted VMA never lends its chain to an unfaulted neighbour (T5c);
	 * legacy knows no fork child: it merges
	 */
	map(mm, 40, 2, RW);
	map(mm, 42, 2, RWX);
	touch(mm, 42, 2);
	assert_int_equal(anonvm_fork(mm, &child), 0);
	assert_int_equal(vma_is_fork_child(vma_at(child, 42)), test_design_is(CHAIN_DESIGNS));
	assert_int_equal(anonvm_mprotect(child, PG(42), LEN(2), RW), 0);
	if (test_design_is(CHAIN_DESIGNS)) {
		assert_ptr_not_equal(vma_at(child, 40), vma_at(child, 42));
		assert_null(vma_at(child, 40)->anon_vma);
	} else {
		assert_ptr_equal(vma_at(child, 40), vma_at(child, 42));
	}
	assert_int_equal(anonvm_mprotect(mm, PG(42), LEN(2), RW), 0);
	assert_ptr_equal(vma_at(mm, 40), vma_at(mm, 42));
	machine_done(vm);
}

/*
 * vmi_prealloc_fail: the merge of test_dup_anon_vma with each allocation failing in turn.
 * The first failures hit dup_anon_vma's chain; the last one the tree preallocation after the
 * dup, which must unlink the dup again: either way ENOMEM and nothing changed.
 */
static void test_vmi_prealloc_fail(void **state)
{
	int failures = 0, last_failure = 0;

	for (int n = 1; n < 40; n++) {
		struct anonvm *vm = machine();
		struct anonvm_mm *mm = process(vm);
		struct anon_vma *av;
		long avcs;
		int ret;

		map(mm, 0, 2, RW);
		map(mm, 2, 2, RWX);
		touch(mm, 2, 2);
		av = vma_at(mm, 2)->anon_vma;
		avcs = av_live(AV_OBJ_AVC);
		anonvm_fail_nth(n);
		ret = anonvm_mprotect(mm, PG(2), LEN(2), RW);
		anonvm_fail_nth(0);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			failures++;
			last_failure = n;
			EXPECT(mm, {0, 2, RW, false}, {2, 4, RWX, true});
			assert_true(list_empty(&vma_at(mm, 0)->anon_vma_chain));
			assert_ptr_equal(vma_at(mm, 2)->anon_vma, av);
			anonvm_quiesce();
			assert_int_equal(av_live(AV_OBJ_AVC), avcs);
		} else {
			EXPECT(mm, {0, 4, RW, true});
		}
		machine_done(vm);
	}
	assert_true(failures >= 2);
	assert_true(last_failure >= 2);
}

/* copy_vma: mremap's destination VMA, merged where it lands when it can be. */
static void test_copy_vma(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm), *child;
	struct anon_vma *av;

	/* T6: an unfaulted VMA moved next to a faulted one takes a linear pgoff and merges */
	map(mm, 0, 2, RW);
	touch(mm, 0, 2);
	av = vma_at(mm, 0)->anon_vma;
	map(mm, 10, 2, RW);
	assert_int_equal(mremap_to(mm, 10, 2, 2, 2, 0), 0);
	EXPECT(mm, {0, 4, RW, true});
	assert_ptr_equal(vma_at(mm, 3)->anon_vma, av);

	/* a faulted VMA keeps its pgoff: it merges only where it came from (T7) */
	assert_int_equal(mremap_to(mm, 2, 2, 2, 20, 0), 0);
	assert_int_equal(vma_at(mm, 20)->vm_pgoff, PGOFF(2));
	map(mm, 22, 2, RW);
	EXPECT(mm, {0, 2, RW, true}, {20, 22, RW, true}, {22, 24, RW, false});
	assert_int_equal(mremap_to(mm, 20, 2, 2, 2, 0), 0);
	EXPECT(mm, {0, 4, RW, true}, {22, 24, RW, false});

	/* the source itself is the neighbour: an unfaulted VMA merges into itself */
	map(mm, 30, 8, NONE);
	assert_int_equal(mremap_to(mm, 33, 5, 5, 38, 0), 0);
	EXPECT(mm, {0, 4, RW, true}, {22, 24, RW, false}, {30, 33, NONE, false},
	       {38, 43, NONE, false});
	assert_int_equal(vma_at(mm, 38)->vm_pgoff, PGOFF(38));

	/* T8: DONTUNMAP back next to an unfaulted VMA: merged, the source stays, empty */
	map(mm, 50, 2, RW);
	touch(mm, 50, 2);
	av = vma_at(mm, 50)->anon_vma;
	assert_int_equal(mremap_to(mm, 50, 2, 2, 60, 0), 0);
	map(mm, 52, 2, RW);
	assert_int_equal(mremap_to(mm, 60, 2, 2, 50, ANONVM_MREMAP_DONTUNMAP), 0);
	EXPECT(mm, {0, 4, RW, true}, {22, 24, RW, false}, {30, 33, NONE, false},
	       {38, 43, NONE, false}, {50, 54, RW, true}, {60, 62, RW, false});
	assert_ptr_equal(vma_at(mm, 53)->anon_vma, av);
	/* the DONTUNMAP source keeps VM_ACCOUNT (Linux 6.18: it stays charged) */
	assert_true(vma_at(mm, 60)->vm_flags & VM_ACCOUNT);
	assert_int_equal(anonvm_check(vm, stderr), 0);

	/* a move out of the middle: VM_ACCOUNT is back on both remaining pieces */
	map(mm, 90, 6, RW);
	touch(mm, 90, 6);
	assert_int_equal(mremap_to(mm, 92, 2, 2, 100, 0), 0);
	EXPECT(mm, {0, 4, RW, true}, {22, 24, RW, false}, {30, 33, NONE, false},
	       {38, 43, NONE, false}, {50, 54, RW, true}, {60, 62, RW, false}, {90, 92, RW, true},
	       {94, 96, RW, true}, {100, 102, RW, true});
	assert_true(vma_at(mm, 90)->vm_flags & VM_ACCOUNT);
	assert_true(vma_at(mm, 94)->vm_flags & VM_ACCOUNT);
	assert_true(vma_at(mm, 100)->vm_flags & VM_ACCOUNT);

	/* ... but not in a fork child (the source is a fork child's VMA); legacy merges */
	map(mm, 70, 2, RW);
	touch(mm, 70, 2);
	assert_int_equal(mremap_to(mm, 70, 2, 2, 80, 0), 0);
	assert_int_equal(anonvm_fork(mm, &child), 0);
	map(child, 72, 2, RW);
	assert_int_equal(mremap_to(child, 80, 2, 2, 70, ANONVM_MREMAP_DONTUNMAP), 0);
	if (test_design_is(CHAIN_DESIGNS)) {
		assert_ptr_not_equal(vma_at(child, 70), vma_at(child, 72));
		assert_null(vma_at(child, 72)->anon_vma);
	} else {
		assert_ptr_equal(vma_at(child, 70), vma_at(child, 72));
	}
	machine_done(vm);
}

/*
 * copy_vma's need_rmap_locks when mremap's destination merges into a VMA N of higher pgoff
 * than the source S: the interval tree visits N after S, so the PTEs may move unlocked; a
 * list may visit N first (N joined before S), so the move must hold the anon_vma lock. N is
 * made by a DONTUNMAP move out of the middle of a VMA, S by moving that whole VMA afterwards;
 * one page of S then lands right after N.
 */
static void test_copy_vma_rmap_locks(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	struct vm_area_struct *src, *dst;
	bool need_rmap_locks;

	map(mm, 0, 30, RW);
	touch(mm, 0, 30);
	assert_int_equal(mremap_to(mm, 10, 10, 10, 100, ANONVM_MREMAP_DONTUNMAP), 0);
	assert_int_equal(mremap_to(mm, 0, 30, 30, 200, 0), 0);
	assert_int_equal(vma_at(mm, 100)->vm_pgoff, PGOFF(10));
	assert_int_equal(vma_at(mm, 220)->vm_pgoff, PGOFF(0));

	mmap_write_lock(mm_of(mm));
	src = vma_at(mm, 220);
	dst = copy_vma(&src, PG(110), LEN(1), src->vm_pgoff + 20, &need_rmap_locks);
	mmap_write_unlock(mm_of(mm));
	assert_ptr_equal(dst, vma_at(mm, 100)); /* merged into N */
	assert_int_equal(dst->vm_end, PG(111));
	assert_int_equal(need_rmap_locks, !test_design_is(DESIGN_BIT(ANONVM_RMAP_LINUX) |
							  DESIGN_BIT(ANONVM_RMAP_NOREUSE)));
	assert_int_equal(anonvm_check(vm, stderr), 0);
	machine_done(vm);
}

/* mremap without a new address: grow in place (merging with next), shrink, move. */
static void test_mremap_in_place(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	unsigned long addr;

	map(mm, 0, 2, RW);
	touch(mm, 0, 2);
	map(mm, 4, 2, RW);
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(2), LEN(4), 0, 0, &addr), 0);
	assert_int_equal(addr, PG(0));
	EXPECT(mm, {0, 6, RW, true});
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(6), LEN(7), 0, 0, &addr), 0);
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(7), LEN(3), 0, 0, &addr), 0);
	EXPECT(mm, {0, 3, RW, true});
	map(mm, 3, 1, R);
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(3), LEN(4), 0, 0, &addr), -ENOMEM);
	assert_int_equal(anonvm_mremap(mm, PG(1), LEN(1), LEN(2), 0, 0, &addr), -ENOMEM);
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(3), LEN(4), ANONVM_MREMAP_MAYMOVE, 0, &addr),
			 0);
	assert_true(addr < DEFAULT_MMAP_BASE && addr + LEN(4) <= DEFAULT_MMAP_BASE);
	EXPECT(mm, {3, 4, R, false});
	assert_int_equal(vma_lookup(mm_of(mm), addr)->vm_pgoff, PGOFF(0));
	machine_done(vm);
}

/* mremap's errors (each checked against Linux 6.18). */
static void test_mremap_errors(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	unsigned long a;

	map(mm, 0, 4, RW);
	map(mm, 4, 4, R);
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(1), LEN(1), 8, 0, &a), -EINVAL);
	assert_int_equal(anonvm_mremap(mm, PG(0) + 1, LEN(1), LEN(1), 0, 0, &a), -EINVAL);
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(1), 0, 0, 0, &a), -EINVAL);
	assert_int_equal(anonvm_mremap(mm, PG(0), LEN(1), LEN(1), ANONVM_MREMAP_FIXED, PG(100), &a),
			 -EINVAL);
	assert_int_equal(mremap_to(mm, 0, 1, 2, 100, ANONVM_MREMAP_DONTUNMAP), -EINVAL);
	assert_int_equal(mremap_to(mm, 0, 2, 2, 1, 0), -EINVAL);
	assert_int_equal(anonvm_mremap(mm, PG(50), LEN(1), LEN(2), 0, 0, &a), -EFAULT);
	assert_int_equal(mremap_to(mm, 50, 1, 1, 100, 0), -EFAULT);
	assert_int_equal(mremap_to(mm, 0, 6, 7, 100, 0), -EFAULT);
	assert_int_equal(anonvm_mremap(mm, PG(0), 0, LEN(1), ANONVM_MREMAP_MAYMOVE, 0, &a),
			 -EINVAL);
	/* moving [6, 12) with a hole after the VMAs: fine; starting in a hole: EFAULT */
	assert_int_equal(mremap_to(mm, 9, 2, 2, 100, 0), -EFAULT);
	assert_int_equal(mremap_to(mm, 6, 6, 6, 100, 0), 0);
	EXPECT(mm, {0, 4, RW, false}, {4, 6, R, false}, {100, 102, R, false});
	machine_done(vm);
}

/* fork: DONTCOPY, WIPEONFORK, their undoing, and what the child sees. */
static void test_fork_flags(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm), *child;
	unsigned long fault;
	char c;

	map(mm, 0, 6, RW);
	touch(mm, 0, 6);
	assert_int_equal(anonvm_madvise(mm, PG(1), LEN(1), ANONVM_MADV_DONTFORK), 0);
	assert_int_equal(anonvm_madvise(mm, PG(3), LEN(2), ANONVM_MADV_WIPEONFORK), 0);
	EXPECT(mm, {0, 1, RW, true}, {1, 2, RW, true}, {2, 3, RW, true}, {3, 5, RW, true},
	       {5, 6, RW, true});
	assert_int_equal(anonvm_fork(mm, &child), 0);
	EXPECT(child, {0, 1, RW, true}, {2, 3, RW, true}, {3, 5, RW, false}, {5, 6, RW, true});
	assert_true(vma_at(child, 3)->vm_flags & VM_WIPEONFORK);
	assert_int_equal(anonvm_read(child, PG(3), &c, 1, NULL), 0);
	assert_int_equal(c, 0);
	assert_int_equal(anonvm_read(child, PG(1), &c, 1, &fault), -EFAULT);
	assert_int_equal(fault, PG(1));
	anonvm_exit(child);

	assert_int_equal(anonvm_madvise(mm, PG(1), LEN(1), ANONVM_MADV_DOFORK), 0);
	assert_int_equal(anonvm_madvise(mm, PG(3), LEN(2), ANONVM_MADV_KEEPONFORK), 0);
	EXPECT(mm, {0, 6, RW, true});

	/* WIPEONFORK: private anonymous only; the walk stops at the shared VMA */
	map(mm, 10, 2, RW);
	assert_int_equal(map_flags(mm, 12, 2, RW, ANONVM_MAP_SHARED), 0);
	map(mm, 14, 2, RW);
	assert_int_equal(anonvm_madvise(mm, PG(11), LEN(4), ANONVM_MADV_WIPEONFORK), -EINVAL);
	assert_true(vma_at(mm, 11)->vm_flags & VM_WIPEONFORK);
	assert_false(vma_at(mm, 10)->vm_flags & VM_WIPEONFORK);
	assert_false(vma_at(mm, 14)->vm_flags & VM_WIPEONFORK);
	/* a hole: ENOMEM, the mapped parts changed */
	assert_int_equal(anonvm_madvise(mm, PG(5), LEN(6), ANONVM_MADV_DONTFORK), -ENOMEM);
	assert_true(vma_at(mm, 5)->vm_flags & VM_DONTCOPY);
	assert_true(vma_at(mm, 10)->vm_flags & VM_DONTCOPY);
	assert_false(vma_at(mm, 4)->vm_flags & VM_DONTCOPY);
	assert_int_equal(anonvm_madvise(mm, PG(40), LEN(1), ANONVM_MADV_DONTFORK), -ENOMEM);
	assert_int_equal(anonvm_madvise(mm, PG(40), LEN(1), 99), -EINVAL);
	assert_int_equal(anonvm_madvise(mm, PG(40) + 1, LEN(1), ANONVM_MADV_DONTNEED), -EINVAL);
	assert_int_equal(anonvm_madvise(mm, PG(40), 0, ANONVM_MADV_DONTFORK), 0);
	machine_done(vm);
}

/* mprotect: partial update up to a hole, VM_ACCOUNT rules (T3), errors. */
static void test_mprotect(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);

	map(mm, 0, 2, RW);
	map(mm, 3, 2, RW);
	assert_int_equal(anonvm_mprotect(mm, PG(0), LEN(5), R), -ENOMEM);
	EXPECT(mm, {0, 2, R, false}, {3, 5, RW, false});
	assert_int_equal(anonvm_mprotect(mm, PG(10), LEN(1), R), -ENOMEM);
	assert_int_equal(anonvm_mprotect(mm, PG(0) + 1, LEN(1), R), -EINVAL);
	assert_int_equal(anonvm_mprotect(mm, PG(0), LEN(1), 0x40), -EINVAL);
	assert_int_equal(anonvm_mprotect(mm, PG(0), 0, R), 0);
	assert_int_equal(anonvm_mprotect(mm, PG(0), -LEN(1), R), -ENOMEM);

	/* T3: the unfaulted half loses VM_ACCOUNT, the faulted one keeps it: no merge */
	map(mm, 20, 10, RW);
	assert_true(vma_at(mm, 20)->vm_flags & VM_ACCOUNT);
	assert_int_equal(anonvm_mprotect(mm, PG(20), LEN(5), R), 0);
	touch(mm, 25, 5);
	assert_int_equal(anonvm_mprotect(mm, PG(25), LEN(5), R), 0);
	EXPECT(mm, {0, 2, R, false}, {3, 5, RW, false}, {20, 25, R, false}, {25, 30, R, true});
	assert_false(vma_at(mm, 20)->vm_flags & VM_ACCOUNT);
	assert_true(vma_at(mm, 25)->vm_flags & VM_ACCOUNT);
	/* writable again: VM_ACCOUNT comes back, and the halves merge */
	assert_int_equal(anonvm_mprotect(mm, PG(20), LEN(10), RW), 0);
	EXPECT(mm, {0, 2, R, false}, {3, 5, RW, false}, {20, 30, RW, true});
	assert_true(vma_at(mm, 20)->vm_flags & VM_ACCOUNT);
	/* T2: with MAP_NORESERVE nothing is accounted and everything merges */
	assert_int_equal(map_flags(mm, 40, 10, RW, ANONVM_MAP_PRIVATE | ANONVM_MAP_NORESERVE), 0);
	assert_int_equal(vma_at(mm, 40)->vm_flags & (VM_ACCOUNT | VM_NORESERVE), VM_NORESERVE);
	assert_int_equal(anonvm_mprotect(mm, PG(40), LEN(5), R), 0);
	touch(mm, 45, 5);
	assert_int_equal(anonvm_mprotect(mm, PG(45), LEN(5), R), 0);
	EXPECT(mm, {0, 2, R, false}, {3, 5, RW, false}, {20, 30, RW, true}, {40, 50, R, true});
	assert_int_equal(anonvm_mprotect(mm, PG(40), LEN(10), RW), 0);
	assert_false(vma_at(mm, 40)->vm_flags & VM_ACCOUNT);
	machine_done(vm);
}

/* mmap: flags, MAP_FIXED over what is there, NOREPLACE, placement, errors. */
static void test_mmap(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	unsigned long a, b;

	map(mm, 0, 10, RW);
	touch(mm, 0, 10);
	map(mm, 3, 2, RW); /* MAP_FIXED over the middle of a faulted VMA: one VMA again */
	EXPECT(mm, {0, 10, RW, true});
	assert_int_equal(map_flags(mm, 2, 1, RW, ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED_NOREPLACE),
			 -EEXIST);
	assert_int_equal(map_flags(mm, 20, 2, RW, ANONVM_MAP_SHARED), 0);
	assert_int_equal(map_flags(mm, 22, 2, RW, ANONVM_MAP_SHARED), 0);
	EXPECT(mm, {0, 10, RW, true}, {20, 22, RW, false}, {22, 24, RW, false});
	assert_true(vma_at(mm, 20)->vm_file && vma_at(mm, 20)->vm_file != vma_at(mm, 22)->vm_file);
	assert_int_equal(vma_at(mm, 20)->vm_pgoff, 0);
	assert_int_equal(vma_at(mm, 20)->vm_flags & (VM_ACCOUNT | VM_SHARED | VM_MAYSHARE),
			 VM_SHARED | VM_MAYSHARE);
	assert_true(vma_at(mm, 0)->vm_flags & VM_SOFTDIRTY);
	/* placement: top-down below mmap_base; a free hint is taken */
	assert_int_equal(anonvm_mmap(mm, 0, LEN(3), RW, ANONVM_MAP_PRIVATE, &a), 0);
	assert_int_equal(a, DEFAULT_MMAP_BASE - LEN(3));
	assert_int_equal(anonvm_mmap(mm, 0, LEN(2), RW, ANONVM_MAP_PRIVATE, &b), 0);
	assert_int_equal(b, a - LEN(2));
	assert_ptr_equal(vma_lookup(mm_of(mm), a), vma_lookup(mm_of(mm), b)); /* merged */
	assert_int_equal(anonvm_mmap(mm, PG(30), LEN(1), RW, ANONVM_MAP_PRIVATE, &a), 0);
	assert_int_equal(a, PG(30));
	assert_int_equal(anonvm_mmap(mm, PG(0), LEN(1), RW, ANONVM_MAP_PRIVATE, &a), 0);
	assert_int_not_equal(a, PG(0));
	/* errors */
	assert_int_equal(map_flags(mm, 40, 0, RW, ANONVM_MAP_PRIVATE), -EINVAL);
	assert_int_equal(
	    anonvm_mmap(mm, PG(40) + 1, LEN(1), RW, ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &a),
	    -EINVAL);
	assert_int_equal(map_flags(mm, 40, 1, RW, 0), -EINVAL);
	assert_int_equal(map_flags(mm, 40, 1, RW, ANONVM_MAP_SHARED | ANONVM_MAP_PRIVATE), -EINVAL);
	assert_int_equal(
	    anonvm_mmap(mm, PG(40), -LEN(1), RW, ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &a),
	    -ENOMEM);
	assert_int_equal(anonvm_mmap(mm, TASK_SIZE - LEN(1), LEN(2), RW,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &a),
			 -ENOMEM);
	assert_int_equal(anonvm_munmap(mm, PG(0) + 1, LEN(1)), -EINVAL);
	assert_int_equal(anonvm_munmap(mm, PG(0), 0), -EINVAL);
	assert_int_equal(anonvm_munmap(mm, PG(50), LEN(1)), 0);
	machine_done(vm);
}

/* max_map_count: splits that would exceed it fail, as they do in Linux. */
static void test_map_count(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *mm = process(vm);
	unsigned long addr;

	map(mm, 0, 4, RW);
	map(mm, 10, 1, RW);
	vm->max_map_count = 2;
	assert_int_equal(anonvm_munmap(mm, PG(1), LEN(1)), -ENOMEM); /* would make 3 */
	assert_int_equal(anonvm_munmap(mm, PG(0), LEN(1)), 0);	     /* at an edge: fine */
	assert_int_equal(anonvm_madvise(mm, PG(2), LEN(1), ANONVM_MADV_DONTFORK), -EAGAIN);
	vm->max_map_count = 3;
	/* mprotect of the middle: the first split happens, the second fails */
	assert_int_equal(anonvm_mprotect(mm, PG(2), LEN(1), R), -ENOMEM);
	EXPECT(mm, {1, 2, RW, false}, {2, 4, RW, false}, {10, 11, RW, false});
	assert_int_equal(map_flags(mm, 20, 1, R, ANONVM_MAP_PRIVATE), 0);	 /* 3: not over */
	assert_int_equal(map_flags(mm, 30, 1, RW, ANONVM_MAP_PRIVATE), -ENOMEM); /* 4 > 3 */

	/* mremap stays clear of the limit by the splits a move may need (4 VMAs now) */
	vm->max_map_count = 9; /* to a fixed address: 4 + 2 >= 9 - 3 */
	assert_int_equal(mremap_to(mm, 10, 1, 1, 40, 0), -ENOMEM);
	vm->max_map_count = 10;
	assert_int_equal(mremap_to(mm, 10, 1, 1, 40, 0), 0);
	vm->max_map_count = 7; /* any move (move_vma): 4 >= 7 - 3 */
	assert_int_equal(anonvm_mremap(mm, PG(1), LEN(1), LEN(2), ANONVM_MREMAP_MAYMOVE, 0, &addr),
			 -ENOMEM);
	EXPECT(mm, {1, 2, RW, false}, {2, 4, RW, false}, {20, 21, R, false}, {40, 41, RW, false});
	vm->max_map_count = 8;
	assert_int_equal(anonvm_mremap(mm, PG(1), LEN(1), LEN(2), ANONVM_MREMAP_MAYMOVE, 0, &addr),
			 0);
	EXPECT(mm, {2, 4, RW, false}, {20, 21, R, false}, {40, 41, RW, false});
	vm->max_map_count = DEFAULT_MAX_MAP_COUNT;
	machine_done(vm);
}

/* Per-VMA locks: readers fail while the VMA is write-locked in this cycle, or detached. */
static void test_vma_locks(void **state)
{
	struct anonvm *vm = machine();
	struct anonvm_mm *h = process(vm);
	struct mm_struct *mm = mm_of(h);
	struct vm_area_struct *vma;

	map(h, 0, 2, RW);
	vma = lock_vma_under_rcu(mm, PG(1));
	assert_ptr_equal(vma, vma_at(h, 0));
	vma_end_read(vma);
	assert_null(lock_vma_under_rcu(mm, PG(5)));
	/* taken out of the tree (a lockless reader may still see it): not lockable */
	vma_mark_detached(vma);
	assert_null(lock_vma_under_rcu(mm, PG(1)));
	vma_mark_attached(vma);

	mmap_write_lock(mm);
	vma = lock_vma_under_rcu(mm, PG(0)); /* not write-locked yet */
	assert_non_null(vma);
	vma_end_read(vma);
	vma_start_write(vma);
	assert_true(vma_is_write_locked(vma));
	assert_null(lock_vma_under_rcu(mm, PG(0)));
	mmap_write_unlock(mm);
	assert_false(vma_is_write_locked(vma));
	vma = lock_vma_under_rcu(mm, PG(0));
	assert_non_null(vma);
	vma_end_read(vma);
	machine_done(vm);
}

/* ---- ENOMEM at every allocation of each operation ------------------------------------- */

struct scenario {
	const char *name;
	void (*setup)(struct anonvm *vm, struct anonvm_mm **mms);
	int (*op)(struct anonvm *vm, struct anonvm_mm **mms);
};

/* P: AAaa.BB.cc with a fork child Q (two processes, shared anon_vma families). */
static void setup_common(struct anonvm *vm, struct anonvm_mm **mms)
{
	mms[0] = process(vm);
	map(mms[0], 0, 4, RW);
	touch(mms[0], 0, 2);
	map(mms[0], 5, 2, RW);
	touch(mms[0], 5, 2);
	map(mms[0], 8, 2, RW);
	assert_int_equal(anonvm_madvise(mms[0], PG(8), LEN(1), ANONVM_MADV_WIPEONFORK), 0);
	assert_int_equal(map_flags(mms[0], 20, 2, RW, ANONVM_MAP_SHARED), 0);
	touch(mms[0], 20, 1);
	assert_int_equal(anonvm_fork(mms[0], &mms[1]), 0);
	touch(mms[1], 5, 1);
}

static int op_mmap_fixed(struct anonvm *vm, struct anonvm_mm **mms)
{
	return map_flags(mms[0], 1, 6, RW, ANONVM_MAP_PRIVATE);
}

static int op_mmap_shared_populate(struct anonvm *vm, struct anonvm_mm **mms)
{
	return map_flags(mms[0], 3, 4, RW, ANONVM_MAP_SHARED | ANONVM_MAP_POPULATE);
}

static int op_munmap(struct anonvm *vm, struct anonvm_mm **mms)
{
	return anonvm_munmap(mms[1], PG(1), LEN(5));
}

static int op_mprotect(struct anonvm *vm, struct anonvm_mm **mms)
{
	int ret = anonvm_mprotect(mms[0], PG(1), LEN(2), R);

	return ret ? ret : anonvm_mprotect(mms[0], PG(0), LEN(4), RW);
}

static int op_madvise(struct anonvm *vm, struct anonvm_mm **mms)
{
	return anonvm_madvise(mms[1], PG(1), LEN(2), ANONVM_MADV_DONTFORK);
}

static int op_mremap_move(struct anonvm *vm, struct anonvm_mm **mms)
{
	return mremap_to(mms[0], 1, 2, 3, 30, 0);
}

static int op_mremap_multi(struct anonvm *vm, struct anonvm_mm **mms)
{
	return mremap_to(mms[1], 1, 8, 8, 30, 0);
}

static int op_mremap_dontunmap(struct anonvm *vm, struct anonvm_mm **mms)
{
	return mremap_to(mms[0], 5, 2, 2, 3, ANONVM_MREMAP_DONTUNMAP);
}

static int op_mremap_grow(struct anonvm *vm, struct anonvm_mm **mms)
{
	unsigned long addr;

	return anonvm_mremap(mms[0], PG(5), LEN(2), LEN(3), ANONVM_MREMAP_MAYMOVE, 0, &addr);
}

static int op_fork(struct anonvm *vm, struct anonvm_mm **mms)
{
	return anonvm_fork(mms[1], &mms[2]);
}

static const struct scenario scenarios[] = {
    {"mmap MAP_FIXED", setup_common, op_mmap_fixed},
    {"mmap shared populate", setup_common, op_mmap_shared_populate},
    {"munmap", setup_common, op_munmap},
    {"mprotect", setup_common, op_mprotect},
    {"madvise", setup_common, op_madvise},
    {"mremap move", setup_common, op_mremap_move},
    {"mremap multi", setup_common, op_mremap_multi},
    {"mremap dontunmap", setup_common, op_mremap_dontunmap},
    {"mremap grow", setup_common, op_mremap_grow},
    {"fork", setup_common, op_fork},
};

#define SWEEP_MAX 80 /* more allocations than any scenario's operation makes */

static void test_enomem_sweep(void **state)
{
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		int failed = 0;

		for (int n = 1; n <= SWEEP_MAX; n++) {
			struct anonvm *vm = machine();
			struct anonvm_mm *mms[3] = {NULL};
			int ret;

			scenarios[s].setup(vm, mms);
			anonvm_fail_nth(n);
			ret = scenarios[s].op(vm, mms);
			anonvm_fail_nth(0);
			if (ret) {
				if (ret != -ENOMEM && ret != -EAGAIN)
					fail_msg("%s, allocation %d: %d", scenarios[s].name, n,
						 ret);
				failed++;
			}
			for (int i = 0; i < 3; i++)
				if (mms[i] && !mm_valid(mm_of(mms[i]), stderr))
					fail_msg("%s, allocation %d: mm %d", scenarios[s].name, n,
						 i);
			if (anonvm_check(vm, stderr))
				fail_msg("%s, allocation %d: check", scenarios[s].name, n);
			machine_done(vm);
		}
		if (!failed)
			fail_msg("%s: no allocation failure reached the caller", scenarios[s].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_merge),
	    cmocka_unit_test(test_simple_modify),
	    cmocka_unit_test(test_simple_expand),
	    cmocka_unit_test(test_merge_new),
	    cmocka_unit_test(test_merge_existing),
	    cmocka_unit_test(test_anon_vma_non_mergeable),
	    cmocka_unit_test(test_dup_anon_vma),
	    cmocka_unit_test(test_vmi_prealloc_fail),
	    cmocka_unit_test(test_copy_vma),
	    cmocka_unit_test(test_copy_vma_rmap_locks),
	    cmocka_unit_test(test_mremap_in_place),
	    cmocka_unit_test(test_mremap_errors),
	    cmocka_unit_test(test_fork_flags),
	    cmocka_unit_test(test_mprotect),
	    cmocka_unit_test(test_mmap),
	    cmocka_unit_test(test_map_count),
	    cmocka_unit_test(test_vma_locks),
	    cmocka_unit_test(test_enomem_sweep),
	};

	return RUN_PER_DESIGN("vma", tests, ALL_DESIGNS, NULL, NULL);
}
