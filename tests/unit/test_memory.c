// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_memory.c: physical memory (phys.c), page tables (pgtable.c), faults, COW and the
 * page-level VMA operations (memory.c), shared anonymous mappings (shmem.c).
 *
 * Two kinds of tests:
 * - internal ones on hand-built machines, address spaces and VMAs (no VMA layer needed; the
 *   anon_vma is a bare root made by a test rmap design);
 * - the page facts of docs/semantics.md §7 through the public API, on every rmap design.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "designs.h"

#include "alloc.h"
#include "race.h"
#include "memory.h"
#include "reclaim/swap.h"
#include "rmap.h"
#include "vma.h"

#define ARENA 0x100000000000UL

/* ---- a hand-built machine ---------------------------------------------------------- */

static int test_prepare(struct vm_area_struct *vma)
{
	struct anon_vma *av = av_alloc(AV_OBJ_ANON_VMA, sizeof(*av));

	if (!av)
		return -ENOMEM;
	av->root = av->parent = av;
	init_rwsem(&av->rwsem);
	atomic_store(&av->refcount, 1);
	av->num_children = 1;
	av->num_active_vmas = 1;
	vma->anon_vma = av;
	return 0;
}

static const struct rmap_ops test_rmap_ops = { .name = "test", .prepare = test_prepare };

struct machine {
	struct anonvm vm;
	struct mm_struct mm[2];
	struct vm_area_struct vma[2];
	struct anon_vma *anon_vmas[2];
};

static struct machine *machine_new(size_t ram_bytes, bool metadata_only)
{
	struct machine *m = aligned_alloc(SMP_CACHE_BYTES, sizeof(*m)); /* per-CPU counters */
	int i;

	assert_non_null(m);
	memset(m, 0, sizeof(*m));
	assert_int_equal(anonvm_thread_register(), 0); /* page tables are freed through RCU */
	m->vm.cfg.ram_bytes = ram_bytes;
	m->vm.cfg.metadata_only = metadata_only;
	m->vm.rmap = &test_rmap_ops;
	assert_int_equal(ram_init(&m->vm), 0);
	assert_int_equal(swap_init(&m->vm), 0); /* no slots: nothing is reclaimed */
	for (i = 0; i < 2; i++) {
		init_rwsem(&m->mm[i].mmap_lock);
		spin_lock_init(&m->mm[i].page_table_lock);
		m->mm[i].vm = &m->vm;
		assert_int_equal(mm_counters_init(&m->mm[i]), 0);
		assert_int_equal(pgd_alloc(&m->mm[i]), 0);
	}
	return m;
}

/* vma i of mm i: [start, start + pages) */
static struct vm_area_struct *machine_vma(struct machine *m, int i, unsigned long start,
					  unsigned long pages, unsigned long flags)
{
	struct vm_area_struct *vma = &m->vma[i];

	vma->vm_mm = &m->mm[i];
	vma->vm_start = start;
	vma->vm_end = start + pages * PAGE_SIZE;
	vma->vm_flags = flags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	vma->vm_pgoff = (flags & VM_SHARED) ? 0 : start >> PAGE_SHIFT;
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	return vma;
}

static void machine_free(struct machine *m)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct vm_area_struct *vma = &m->vma[i];

		if (vma->vm_mm) {
			zap_vma_range(vma, vma->vm_start, vma->vm_end);
			if (vma->vm_file)
				shmem_file_put(vma->vm_file);
		}
		pgd_free(&m->mm[i]);
		mm_counters_free(&m->mm[i]);
	}
	/* the test design's anon_vmas (a hand-made fork shares vma 0's) */
	av_free(AV_OBJ_ANON_VMA, m->vma[0].anon_vma);
	if (m->vma[1].anon_vma != m->vma[0].anon_vma)
		av_free(AV_OBJ_ANON_VMA, m->vma[1].anon_vma);
	swap_destroy(&m->vm);
	ram_destroy(&m->vm);
	free(m);
	rcu_barrier(); /* the page tables' grace periods */
	assert_int_equal(av_live(AV_OBJ_FOLIO), 0);
	assert_int_equal(av_live(AV_OBJ_PGTABLE), 0);
	assert_int_equal(av_live(AV_OBJ_SHMEM), 0);
	assert_int_equal(av_live(AV_OBJ_ANON_VMA), 0);
}

static struct anonvm_page_info query(struct machine *m, int i, unsigned long addr)
{
	struct anonvm_page_info info;

	assert_int_equal(anonvm_page_query(mm_handle(&m->mm[i]), addr, &info), 0);
	return info;
}

static void fault(struct vm_area_struct *vma, unsigned long addr, bool write)
{
	assert_int_equal(handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0), 0);
}

/* A hand-made fork of vma 0 into vma 1 (same anon_vma: enough for the page level). */
static void machine_fork(struct machine *m)
{
	struct vm_area_struct *src = &m->vma[0];
	struct vm_area_struct *dst = machine_vma(m, 1, src->vm_start, vma_pages(src),
						 src->vm_flags);

	dst->vm_pgoff = src->vm_pgoff;
	dst->anon_vma = src->anon_vma;
	if (src->vm_file)
		dst->vm_file = shmem_file_get(src->vm_file);
	mmap_write_lock(src->vm_mm);
	assert_int_equal(copy_page_range(dst, src), 0);
	mmap_write_unlock(src->vm_mm);
}

/* Page tables allocated, once every table freed has been through its grace period. */
static long pgtables(void)
{
	rcu_barrier();
	return av_live(AV_OBJ_PGTABLE);
}

/* The PTE of addr, its table's ptl taken (NULL: no table). */
static pte_t *pte_get(struct mm_struct *mm, unsigned long addr, spinlock_t **ptl)
{
	return pte_offset_map_lock(mm, addr, ptl);
}

/* Set (or clear, with 0) the PTE of addr, whose table exists. */
static void pte_put(struct mm_struct *mm, unsigned long addr, pte_t pte)
{
	spinlock_t *ptl;
	pte_t *ptep = pte_get(mm, addr, &ptl);

	assert_non_null(ptep);
	set_pte_at(mm, addr, ptep, pte);
	pte_unmap_unlock(ptep, ptl);
}

static bool has_table(struct mm_struct *mm, unsigned long addr)
{
	spinlock_t *ptl;
	pte_t *ptep = pte_get(mm, addr, &ptl);

	if (ptep)
		pte_unmap_unlock(ptep, ptl);
	return ptep;
}

/* ---- page tables -------------------------------------------------------------------- */

static int count_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	unsigned long *seen = arg;

	assert_true(addr > seen[1] || seen[0] == 0); /* ascending */
	seen[0]++;
	seen[1] = addr;
	return 0;
}

static void test_pgtable_set_clear_free(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct mm_struct *mm = &m->mm[0];
	/* same PTE table; next PMD; next PUD; next PGD entry */
	unsigned long addrs[] = { ARENA, ARENA + PAGE_SIZE, ARENA + PMD_SIZE, ARENA + (1UL << 30),
				  ARENA + (1UL << 39) };
	unsigned long seen[2] = { 0, 0 };
	long base = pgtables(); /* the two pgds */
	spinlock_t *first_ptl = NULL;
	pte_t *ptep;
	size_t i;

	assert_int_equal(base, 2);
	assert_false(has_table(mm, ARENA));
	for (i = 0; i < 5; i++)
		assert_int_equal(__pte_alloc(mm, addrs[i]), 0);
	for (i = 0; i < 5; i++) {
		spinlock_t *ptl;

		ptep = pte_get(mm, addrs[i], &ptl);
		assert_non_null(ptep);
		assert_true(pte_none(*ptep));
		/* split locks: each PTE table its own, the first two addresses share one */
		if (i == 1)
			assert_ptr_equal(ptl, first_ptl);
		if (i == 2)
			assert_ptr_not_equal(ptl, first_ptl);
		if (i == 0)
			first_ptl = ptl;
		set_pte_at(mm, addrs[i], ptep, pfn_pte(ZERO_PFN, false));
		pte_unmap_unlock(ptep, ptl);
	}
	/* pud+pmd+pte for ARENA; +pte for the next PMD; +pmd+pte; +pud+pmd+pte */
	assert_int_equal(pgtables(), base + 3 + 1 + 2 + 3);
	assert_int_equal(walk_ptes(mm, 0, TASK_SIZE, count_pte, seen), 0);
	assert_int_equal(seen[0], 5);
	assert_int_equal(seen[1], addrs[4]);

	/* clearing one PTE of a table that still has another frees nothing */
	pte_put(mm, addrs[0], __pte(0));
	free_empty_pgtables(mm, ARENA, ARENA + PAGE_SIZE);
	assert_int_equal(pgtables(), base + 9);
	pte_put(mm, addrs[1], __pte(0));
	free_empty_pgtables(mm, ARENA, ARENA + PAGE_SIZE);
	assert_int_equal(pgtables(), base + 8);
	assert_false(has_table(mm, ARENA));

	/* a swap entry is not none and round-trips its fields */
	pte_put(mm, addrs[2], swp_entry_to_pte(swp_entry(3, 12345), true));
	{
		spinlock_t *ptl;

		ptep = pte_get(mm, addrs[2], &ptl);
		assert_true(is_swap_pte(*ptep));
		assert_true(pte_swp_exclusive(*ptep));
		assert_int_equal(swp_type(pte_to_swp_entry(*ptep)), 3);
		assert_int_equal(swp_offset(pte_to_swp_entry(*ptep)), 12345);
		assert_false(pte_swp_exclusive(pte_swp_clear_exclusive(*ptep)));
		pte_unmap_unlock(ptep, ptl);
	}

	for (i = 2; i < 5; i++)
		pte_put(mm, addrs[i], __pte(0));
	free_empty_pgtables(mm, 0, TASK_SIZE);
	assert_int_equal(pgtables(), base);
	machine_free(m);
}

static void *fault_thread(void *arg)
{
	struct vm_area_struct *vma = arg;

	anonvm_thread_register();
	fault(vma, vma->vm_start + PMD_SIZE, true);
	anonvm_thread_unregister();
	return NULL;
}

/*
 * Split locks: while this thread holds the lock of one PTE table, another thread faults a
 * page in the next table of the same mm, and finishes (with one lock per mm it would wait
 * for ever: the test would time out).
 */
static void test_pgtable_split_locks(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 2 * PMD_SIZE / PAGE_SIZE,
						 VM_READ | VM_WRITE);
	spinlock_t *ptl;
	pthread_t t;
	pte_t *ptep;

	fault(vma, ARENA, true);
	ptep = pte_get(vma->vm_mm, ARENA, &ptl);
	assert_non_null(ptep);
	assert_int_equal(pthread_create(&t, NULL, fault_thread, vma), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pte_unmap_unlock(ptep, ptl);
	assert_int_equal(query(m, 0, ARENA + PMD_SIZE).kind, ANONVM_PAGE_ANON);
	machine_free(m);
}

static void test_pgtable_alloc_failure(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct mm_struct *mm = &m->mm[0];
	long base = pgtables();
	int n;

	for (n = 1; n <= 3; n++) {
		av_fail_nth(n);
		assert_int_equal(__pte_alloc(mm, ARENA), -ENOMEM);
		assert_int_equal(pgtables(), base); /* nothing left half-built */
	}
	av_fail_nth(0);
	assert_int_equal(__pte_alloc(mm, ARENA), 0);
	assert_true(has_table(mm, ARENA));
	free_empty_pgtables(mm, ARENA, ARENA + PAGE_SIZE);
	assert_int_equal(pgtables(), base);
	machine_free(m);
}

/* ---- frames ------------------------------------------------------------------------- */

static void test_frames_limit_and_injection(void **state)
{
	struct machine *m = machine_new(4 * PAGE_SIZE, false); /* zero page + 3 frames */
	struct ram *ram = m->vm.ram;
	struct folio *f[3], *zero = zero_folio(ram);
	unsigned char *p;
	int i;

	assert_true(is_zero_folio(zero));
	p = folio_address(ram, zero);
	for (i = 0; i < (int)PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	for (i = 0; i < 3; i++) {
		f[i] = folio_alloc(ram);
		assert_non_null(f[i]);
		assert_int_not_equal(folio_pfn(ram, f[i]), ZERO_PFN);
		assert_int_equal(folio_ref_count(f[i]), 1);
	}
	assert_int_equal(av_live(AV_OBJ_FOLIO), 3);
	assert_int_equal(ram_frames_in_use(ram), 3);
	assert_null(folio_alloc(ram)); /* the RAM limit */

	folio_get(f[1]);
	folio_put(ram, f[1]);
	assert_int_equal(av_live(AV_OBJ_FOLIO), 3);
	f[1]->mapping = 0x1234;
	folio_set_flag(f[1], PG_anon_exclusive);
	folio_put(ram, f[1]);
	assert_int_equal(av_live(AV_OBJ_FOLIO), 2);
	assert_int_equal(f[1]->mapping, 0);
	assert_int_equal(atomic_load(&f[1]->flags), 0);

	av_fail_nth(1);
	assert_null(folio_alloc(ram)); /* injected */
	assert_ptr_equal(folio_alloc(ram), f[1]); /* the frame freed last comes back first */
	folio_put(ram, f[0]);
	folio_put(ram, f[1]);
	folio_put(ram, f[2]);
	assert_int_equal(ram_frames_in_use(ram), 0);
	machine_free(m);
}

static void test_frames_metadata_only(void **state)
{
	struct machine *m = machine_new(1UL << 36, true); /* 64 GiB: descriptors only */
	struct folio *folio = folio_alloc(m->vm.ram);
	struct vm_area_struct *vma;

	assert_non_null(folio);
	assert_null(folio_address(m->vm.ram, folio));
	folio_put(m->vm.ram, folio);
	folio = folio_alloc_uptodate(m->vm.ram, NULL); /* nothing to fill */
	assert_non_null(folio);
	assert_true(folio_test_flag(folio, PG_uptodate));
	folio_put(m->vm.ram, folio);
	vma = machine_vma(m, 0, ARENA, 4, VM_READ | VM_WRITE);
	fault(vma, ARENA, true);
	assert_int_equal(query(m, 0, ARENA).kind, ANONVM_PAGE_ANON);
	assert_null(query(m, 0, ARENA).data);
	machine_free(m);
}

/* ---- anonymous faults and COW ------------------------------------------------------- */

static void test_fault_read_zero_then_write(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 4, VM_READ | VM_WRITE);
	struct anonvm_page_info info;

	fault(vma, ARENA, false);
	info = query(m, 0, ARENA);
	assert_int_equal(info.kind, ANONVM_PAGE_ZERO);
	assert_int_equal(info.mapcount, 0);
	assert_false(info.writable);
	assert_null(vma->anon_vma); /* no anon_vma_prepare on a read fault */
	assert_int_equal(vm_events_read(&m->vm, fault_zero), 1);

	fault(vma, ARENA, true); /* COW of the zero page */
	info = query(m, 0, ARENA);
	assert_int_equal(info.kind, ANONVM_PAGE_ANON);
	assert_int_equal(info.mapcount, 1);
	assert_true(info.anon_exclusive && info.writable && info.dirty && info.young);
	assert_non_null(vma->anon_vma);
	assert_int_equal(vm_events_read(&m->vm, wp_copy), 1);
	assert_int_equal(((const unsigned char *)info.data)[100], 0);
	assert_int_equal(pfn_folio(m->vm.ram, info.frame)->index, ARENA >> PAGE_SHIFT);

	fault(vma, ARENA + PAGE_SIZE, true); /* do_anonymous_page write */
	info = query(m, 0, ARENA + PAGE_SIZE);
	assert_int_equal(info.kind, ANONVM_PAGE_ANON);
	assert_true(info.anon_exclusive && info.writable);
	assert_int_equal(vm_events_read(&m->vm, fault_anon), 1);
	assert_int_equal(get_mm_counter(&m->mm[0], MM_ANONPAGES), 2);
	assert_int_equal(av_live(AV_OBJ_FOLIO), 2);

	zap_vma_range(vma, vma->vm_start, vma->vm_end);
	assert_int_equal(av_live(AV_OBJ_FOLIO), 0);
	assert_int_equal(get_mm_counter(&m->mm[0], MM_ANONPAGES), 0);
	assert_int_equal(pgtables(), 2);
	assert_int_equal(vm_events_read(&m->vm, zap_ptes), 2);
	machine_free(m);
}

static void test_fault_oom(void **state)
{
	struct machine *m = machine_new(2 * PAGE_SIZE, false); /* one frame */
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 4, VM_READ | VM_WRITE);

	av_fail_nth(2); /* the folio, after the anon_vma */
	assert_int_equal(handle_mm_fault(vma, ARENA, FAULT_FLAG_WRITE), -ENOMEM);
	assert_int_equal(query(m, 0, ARENA).kind, ANONVM_PAGE_NONE);
	fault(vma, ARENA, true);
	assert_int_equal(handle_mm_fault(vma, ARENA + PAGE_SIZE, FAULT_FLAG_WRITE), -ENOMEM);
	fault(vma, ARENA + PAGE_SIZE, false); /* the zero page needs no frame */
	assert_int_equal(query(m, 0, ARENA + PAGE_SIZE).kind, ANONVM_PAGE_ZERO);
	machine_free(m);
}

/* Under the VMA lock, anon_vma_prepare needs mmap_lock: trylock it, else ask for a retry. */
static void test_fault_vma_lock_retry(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 2, VM_READ | VM_WRITE);
	unsigned int flags = FAULT_FLAG_WRITE | FAULT_FLAG_VMA_LOCK;

	fault(vma, ARENA + PAGE_SIZE, false); /* zero page: wp_page_copy needs an anon_vma too */
	mmap_write_lock(&m->mm[0]);
	assert_int_equal(handle_mm_fault(vma, ARENA, flags), -EAGAIN);
	assert_int_equal(handle_mm_fault(vma, ARENA + PAGE_SIZE, flags), -EAGAIN);
	mmap_write_unlock(&m->mm[0]);
	assert_null(vma->anon_vma);
	assert_int_equal(av_live(AV_OBJ_FOLIO), 0);
	assert_int_equal(handle_mm_fault(vma, ARENA + PAGE_SIZE, flags), 0);
	assert_int_equal(handle_mm_fault(vma, ARENA, flags), 0);
	assert_int_equal(query(m, 0, ARENA).kind, ANONVM_PAGE_ANON);
	assert_int_equal(query(m, 0, ARENA + PAGE_SIZE).kind, ANONVM_PAGE_ANON);
	machine_free(m);
}

static void test_fork_cow(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 4, VM_READ | VM_WRITE);
	struct anonvm_page_info p, c;
	unsigned long frame;

	fault(vma, ARENA, true);
	fault(vma, ARENA + PAGE_SIZE, false); /* zero page */
	p = query(m, 0, ARENA);
	memset((void *)p.data, 0x5a, PAGE_SIZE);
	frame = p.frame;

	machine_fork(m);
	p = query(m, 0, ARENA);
	c = query(m, 1, ARENA);
	assert_int_equal(p.frame, frame);
	assert_int_equal(c.frame, frame);
	assert_int_equal(p.mapcount, 2);
	assert_false(p.anon_exclusive);
	assert_false(p.writable || c.writable);
	assert_true(p.young);
	assert_false(c.young); /* the child's PTE is old */
	assert_int_equal(query(m, 1, ARENA + PAGE_SIZE).kind, ANONVM_PAGE_ZERO);
	assert_int_equal(vm_events_read(&m->vm, fork_ptes_copied), 2);
	assert_int_equal(folio_ref_count(pfn_folio(m->vm.ram, frame)), 2);

	/* the child writes: a copy with the same bytes */
	fault(&m->vma[1], ARENA, true);
	c = query(m, 1, ARENA);
	assert_int_not_equal(c.frame, frame);
	assert_int_equal(c.mapcount, 1);
	assert_true(c.anon_exclusive && c.writable);
	assert_int_equal(((const unsigned char *)c.data)[4095], 0x5a);
	p = query(m, 0, ARENA);
	assert_int_equal(p.mapcount, 1);
	assert_false(p.anon_exclusive || p.writable);

	/* the parent writes afterwards: reused in place */
	fault(vma, ARENA, true);
	p = query(m, 0, ARENA);
	assert_int_equal(p.frame, frame);
	assert_true(p.anon_exclusive && p.writable);
	assert_int_equal(vm_events_read(&m->vm, wp_reuse), 1);
	assert_int_equal(vm_events_read(&m->vm, wp_copy), 1);
	machine_free(m);
}

/*
 * do_wp_page on a page that lost AnonExclusive at fork and is mapped once again: reused only
 * when the PTE's reference is the only one and the folio lock is free (wp_can_reuse_anon_folio).
 */
static void test_wp_reuse_needs_sole_reference(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 3, VM_READ | VM_WRITE);
	struct folio *f[3];
	int i;

	for (i = 0; i < 3; i++) {
		fault(vma, ARENA + i * PAGE_SIZE, true);
		f[i] = pfn_folio(m->vm.ram, query(m, 0, ARENA + i * PAGE_SIZE).frame);
	}
	machine_fork(m);
	zap_vma_range(&m->vma[1], ARENA, ARENA + 3 * PAGE_SIZE); /* the child is gone */
	for (i = 0; i < 3; i++) {
		assert_int_equal(atomic_load(&f[i]->mapcount), 1);
		assert_false(folio_test_flag(f[i], PG_anon_exclusive));
	}

	/* another reference (a pin, the swap cache): copy */
	folio_get(f[0]);
	fault(vma, ARENA, true);
	assert_ptr_not_equal(pfn_folio(m->vm.ram, query(m, 0, ARENA).frame), f[0]);
	assert_int_equal(folio_ref_count(f[0]), 1); /* ours only: unmapped */
	folio_put(m->vm.ram, f[0]);

	/* the folio lock is held elsewhere (by a holder of a reference, as every locker is) */
	folio_get(f[1]);
	assert_true(folio_trylock(f[1]));
	fault(vma, ARENA + PAGE_SIZE, true);
	assert_ptr_not_equal(pfn_folio(m->vm.ram, query(m, 0, ARENA + PAGE_SIZE).frame), f[1]);
	assert_int_equal(vm_events_read(&m->vm, wp_copy), 2);
	folio_unlock(f[1]);
	folio_put(m->vm.ram, f[1]);

	/* the only reference: reused in place, exclusive again, moved to this VMA's anon_vma */
	fault(vma, ARENA + 2 * PAGE_SIZE, true);
	assert_ptr_equal(pfn_folio(m->vm.ram, query(m, 0, ARENA + 2 * PAGE_SIZE).frame), f[2]);
	assert_true(folio_test_flag(f[2], PG_anon_exclusive));
	assert_false(folio_test_flag(f[2], PG_locked));
	assert_ptr_equal(folio_anon_vma(f[2]), vma->anon_vma);
	assert_int_equal(vm_events_read(&m->vm, wp_reuse), 1);
	machine_free(m);
}

static void test_fork_eager_copy_when_pinned(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 1, VM_READ | VM_WRITE);
	struct folio *folio;
	struct anonvm_page_info p, c;
	int i;

	fault(vma, ARENA, true);
	p = query(m, 0, ARENA);
	folio = pfn_folio(m->vm.ram, p.frame);
	atomic_store(&m->mm[0].has_pinned, 1);
	for (i = 0; i < 1024; i++) /* a pin */
		folio_get(folio);
	machine_fork(m);
	p = query(m, 0, ARENA);
	c = query(m, 1, ARENA);
	assert_int_not_equal(c.frame, p.frame);
	assert_true(p.anon_exclusive && p.writable && c.anon_exclusive && c.writable);
	assert_int_equal(p.mapcount, 1);
	assert_int_equal(vm_events_read(&m->vm, fork_eager_copy), 1);
	for (i = 0; i < 1024; i++)
		folio_put(m->vm.ram, folio);
	machine_free(m);
}

static void test_change_protection(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 3, VM_READ | VM_WRITE);

	fault(vma, ARENA, true);
	fault(vma, ARENA + PAGE_SIZE, false);
	change_protection(vma, vma->vm_start, vma->vm_end, VM_READ);
	assert_false(query(m, 0, ARENA).writable);
	/* back to rw: an exclusive anon page is writable at once, the zero page is not */
	change_protection(vma, vma->vm_start, vma->vm_end, VM_READ | VM_WRITE);
	assert_true(query(m, 0, ARENA).writable);
	assert_false(query(m, 0, ARENA + PAGE_SIZE).writable);
	/* a page shared with a child stays write-protected */
	machine_fork(m);
	change_protection(vma, vma->vm_start, vma->vm_end, VM_READ | VM_WRITE);
	assert_false(query(m, 0, ARENA).writable);
	machine_free(m);
}

static void test_move_page_tables(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA + PMD_SIZE - PAGE_SIZE, 2,
						 VM_READ | VM_WRITE);
	unsigned long dst = ARENA + (1UL << 30);
	struct anonvm_page_info before, after;
	long tables;

	fault(vma, vma->vm_start, true);
	fault(vma, vma->vm_start + PAGE_SIZE, false);
	before = query(m, 0, vma->vm_start);
	tables = pgtables();

	mmap_write_lock(vma->vm_mm); /* as mremap */
	av_fail_nth(1);
	assert_int_equal(move_page_tables(vma, vma->vm_start, vma, dst, 2 * PAGE_SIZE, true),
			 -ENOMEM);
	assert_int_equal(pgtables(), tables);
	mmap_write_unlock(vma->vm_mm);
	assert_int_equal(query(m, 0, vma->vm_start).frame, before.frame);

	mmap_write_lock(vma->vm_mm);
	assert_int_equal(move_page_tables(vma, vma->vm_start, vma, dst, 2 * PAGE_SIZE, true), 0);
	mmap_write_unlock(vma->vm_mm);
	assert_int_equal(query(m, 0, vma->vm_start).kind, ANONVM_PAGE_NONE);
	after = query(m, 0, dst);
	assert_int_equal(after.frame, before.frame);
	assert_true(after.anon_exclusive && after.writable);
	assert_int_equal(query(m, 0, dst + PAGE_SIZE).kind, ANONVM_PAGE_ZERO);
	/* the folio keeps its index (the VMA keeps its pgoff) */
	assert_int_equal(pfn_folio(m->vm.ram, after.frame)->index,
			 (ARENA + PMD_SIZE - PAGE_SIZE) >> PAGE_SHIFT);
	vma->vm_end = dst + 2 * PAGE_SIZE; /* move the hand-made VMA along */
	vma->vm_start = dst;
	assert_int_equal(pgtables(), 2 + 3); /* the source tables are gone */
	machine_free(m);
}

static void test_populate(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 2, VM_READ | VM_WRITE);

	assert_int_equal(populate_vma_page_range(vma, vma->vm_start, vma->vm_end), 0);
	assert_int_equal(query(m, 0, ARENA).kind, ANONVM_PAGE_ANON);
	assert_true(query(m, 0, ARENA + PAGE_SIZE).anon_exclusive);
	zap_vma_range(vma, vma->vm_start, vma->vm_end);

	vma->vm_flags = VM_READ;
	assert_int_equal(populate_vma_page_range(vma, vma->vm_start, vma->vm_end), 0);
	assert_int_equal(query(m, 0, ARENA).kind, ANONVM_PAGE_ZERO);
	zap_vma_range(vma, vma->vm_start, vma->vm_end);

	vma->vm_flags = VM_NONE;
	assert_int_equal(populate_vma_page_range(vma, vma->vm_start, vma->vm_end), 0);
	assert_int_equal(query(m, 0, ARENA).kind, ANONVM_PAGE_NONE);
	machine_free(m);
}

/* Threads racing on the same pages: each fault re-checks the PTE under the lock. */
#define RACE_PAGES 256

static void *race_thread(void *arg)
{
	struct vm_area_struct *vma = arg;
	unsigned long i;

	for (i = 0; i < RACE_PAGES; i++) {
		unsigned long addr = vma->vm_start + i * PAGE_SIZE;

		mmap_read_lock(vma->vm_mm);
		assert_int_equal(handle_mm_fault(vma, addr, i % 3 ? FAULT_FLAG_WRITE : 0), 0);
		assert_int_equal(handle_mm_fault(vma, addr, FAULT_FLAG_WRITE), 0);
		mmap_read_unlock(vma->vm_mm);
	}
	return NULL;
}

static void test_fault_race(void **state)
{
	struct machine *m = machine_new(4UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, RACE_PAGES, VM_READ | VM_WRITE);
	pthread_t t[4];
	unsigned long i;

	assert_int_equal(anon_vma_prepare(vma), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, vma), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < RACE_PAGES; i++) {
		struct anonvm_page_info info = query(m, 0, ARENA + i * PAGE_SIZE);

		assert_int_equal(info.kind, ANONVM_PAGE_ANON);
		assert_int_equal(info.mapcount, 1);
		assert_true(info.anon_exclusive && info.writable);
	}
	assert_int_equal(av_live(AV_OBJ_FOLIO), RACE_PAGES);
	assert_int_equal(get_mm_counter(&m->mm[0], MM_ANONPAGES), RACE_PAGES);
	machine_free(m);
}

/* ---- shared anonymous mappings ------------------------------------------------------ */

static void test_shmem(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	struct vm_area_struct *vma = machine_vma(m, 0, ARENA, 32, VM_READ | VM_WRITE | VM_SHARED);
	struct anonvm_page_info a, b;

	assert_int_equal(shmem_zero_setup(vma), 0);
	assert_int_equal(av_live(AV_OBJ_SHMEM), 1);
	fault(vma, ARENA, false); /* a read fault allocates a page: not the zero page */
	a = query(m, 0, ARENA);
	assert_int_equal(a.kind, ANONVM_PAGE_SHMEM);
	assert_int_equal(a.mapcount, 1);
	assert_true(a.writable); /* shared writable: vm_page_prot is writable */
	assert_false(a.dirty);
	memset((void *)a.data, 7, PAGE_SIZE);

	/* fork does not copy a shared VMA's page tables: the child faults them in */
	machine_fork(m);
	assert_int_equal(query(m, 1, ARENA).kind, ANONVM_PAGE_NONE);
	assert_int_equal(vm_events_read(&m->vm, fork_ptes_copied), 0);
	fault(&m->vma[1], ARENA, false);
	b = query(m, 1, ARENA);
	assert_int_equal(b.frame, a.frame);
	assert_int_equal(b.mapcount, 2);
	assert_int_equal(((const unsigned char *)b.data)[0], 7);

	/* fault-around: the child writes pages 1..19; a parent read of page 2 maps the cached
	 * pages of its 16-page block [0, 16), not page 16 and beyond */
	for (unsigned long i = 1; i < 20; i++)
		fault(&m->vma[1], ARENA + i * PAGE_SIZE, true);
	fault(vma, ARENA + 2 * PAGE_SIZE, false);
	assert_int_equal(query(m, 0, ARENA + 15 * PAGE_SIZE).kind, ANONVM_PAGE_SHMEM);
	assert_int_equal(query(m, 0, ARENA + 15 * PAGE_SIZE).mapcount, 2);
	assert_int_equal(query(m, 0, ARENA + 16 * PAGE_SIZE).kind, ANONVM_PAGE_NONE);
	assert_int_equal(get_mm_counter(&m->mm[0], MM_SHMEMPAGES), 16);

	/* mprotect r then rw: shared PTEs become writable again */
	change_protection(vma, vma->vm_start, vma->vm_end, VM_READ | VM_SHARED);
	assert_false(query(m, 0, ARENA).writable);
	change_protection(vma, vma->vm_start, vma->vm_end, VM_READ | VM_WRITE | VM_SHARED);
	assert_true(query(m, 0, ARENA).writable);

	/* beyond the object (a mapping grown by mremap): SIGBUS in Linux */
	vma->vm_end += PAGE_SIZE;
	assert_int_equal(handle_mm_fault(vma, ARENA + 32 * PAGE_SIZE, 0), -EIO);
	vma->vm_end -= PAGE_SIZE;

	/* unmapping leaves the pages in the cache until the last VMA goes */
	zap_vma_range(vma, vma->vm_start, vma->vm_end);
	assert_int_equal(av_live(AV_OBJ_FOLIO), 20);
	machine_free(m);
}

/* The window of Linux 6.18 (checked on the live kernel): aligned to 16 PTEs, clipped to the VMA. */
static void test_shmem_fault_around_window(void **state)
{
	struct machine *m = machine_new(1UL << 20, false);
	unsigned long start = ARENA + 3 * PAGE_SIZE, i;
	struct vm_area_struct *vma = machine_vma(m, 0, start, 40, VM_READ | VM_WRITE | VM_SHARED);

	assert_int_equal(shmem_zero_setup(vma), 0);
	machine_fork(m);
	for (i = 0; i < 40; i++)
		fault(&m->vma[1], start + i * PAGE_SIZE, true);
	fault(vma, start + 20 * PAGE_SIZE, false); /* PTE index 23: block [16, 32) */
	for (i = 0; i < 40; i++)
		assert_int_equal(query(m, 0, start + i * PAGE_SIZE).kind,
				 i >= 13 && i <= 28 ? ANONVM_PAGE_SHMEM : ANONVM_PAGE_NONE);
	fault(vma, start + PAGE_SIZE, false); /* PTE index 4: [3, 19) after the VMA clip */
	for (i = 0; i < 13; i++)
		assert_int_equal(query(m, 0, start + i * PAGE_SIZE).kind, ANONVM_PAGE_SHMEM);
	machine_free(m);
}

/* ---- §7 through the public API ------------------------------------------------------ */

/*
 * One machine for every test of this group (anonvm_create registers the calling thread with
 * RCU once); each test starts and exits its own processes and checks for leaks.
 */
static struct anonvm *api_vm;

struct api {
	struct anonvm_mm *p, *c;
};

static int api_group_setup(void **state)
{
	struct anonvm_config cfg;

	test_config(&cfg);
	cfg.ram_bytes = 64UL << 20;
	return anonvm_create(&cfg, &api_vm) ? -1 : 0;
}

static int api_group_teardown(void **state)
{
	anonvm_destroy(api_vm);
	return 0;
}

#define API_START(a)                                                                       \
	do {                                                                               \
		(a)->c = NULL;                                                             \
		assert_int_equal(anonvm_mm_new(api_vm, &(a)->p), 0);                       \
	} while (0)

static void api_end(struct api *a)
{
	assert_int_equal(anonvm_check(api_vm, stderr), 0);
	if (a->c)
		anonvm_exit(a->c);
	anonvm_exit(a->p);
	anonvm_quiesce();
	assert_int_equal(av_live(AV_OBJ_FOLIO), 0);
	assert_int_equal(av_live(AV_OBJ_PGTABLE), 0);
	assert_int_equal(av_live(AV_OBJ_SHMEM), 0);
	assert_int_equal(av_live(AV_OBJ_ANON_VMA), 0);
	assert_int_equal(av_live(AV_OBJ_VMA), 0);
}

static struct anonvm_page_info api_query(struct anonvm_mm *mm, unsigned long addr)
{
	struct anonvm_page_info info;

	assert_int_equal(anonvm_page_query(mm, addr, &info), 0);
	return info;
}

static void api_mmap(struct api *a, unsigned long pages, int prot, int flags)
{
	unsigned long addr;

	assert_int_equal(anonvm_mmap(a->p, ARENA, pages * PAGE_SIZE, prot,
				     flags | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE, &addr), 0);
	assert_int_equal(addr, ARENA);
}

static void api_write(struct anonvm_mm *mm, unsigned long addr, unsigned char v)
{
	unsigned char buf[PAGE_SIZE];

	memset(buf, v, sizeof(buf));
	assert_int_equal(anonvm_write(mm, addr, buf, sizeof(buf), NULL), 0);
}

static void test_api_cow_facts(void **state)
{
	struct api a;
	struct anonvm_page_info p, c;
	unsigned char buf[PAGE_SIZE];
	unsigned long frame;

	API_START(&a);
	api_mmap(&a, 2, ANONVM_PROT_READ | ANONVM_PROT_WRITE, ANONVM_MAP_PRIVATE);
	api_write(a.p, ARENA, 1);
	p = api_query(a.p, ARENA);
	assert_int_equal(p.kind, ANONVM_PAGE_ANON); /* after a write: map 1, exclusive */
	assert_int_equal(p.mapcount, 1);
	assert_true(p.anon_exclusive);
	frame = p.frame;

	assert_int_equal(anonvm_read(a.p, ARENA + PAGE_SIZE, buf, sizeof(buf), NULL), 0);
	p = api_query(a.p, ARENA + PAGE_SIZE); /* read fault: zero page, count 0 */
	assert_int_equal(p.kind, ANONVM_PAGE_ZERO);
	assert_int_equal(p.mapcount, 0);
	assert_int_equal(buf[17], 0);

	assert_int_equal(anonvm_fork(a.p, &a.c), 0);
	p = api_query(a.p, ARENA);
	c = api_query(a.c, ARENA); /* after fork: same frame, count 2, neither exclusive */
	assert_int_equal(c.frame, frame);
	assert_int_equal(p.mapcount, 2);
	assert_false(p.anon_exclusive || c.anon_exclusive);

	api_write(a.c, ARENA, 2); /* the child writes: new frame, 1, exclusive */
	c = api_query(a.c, ARENA);
	assert_int_not_equal(c.frame, frame);
	assert_int_equal(c.mapcount, 1);
	assert_true(c.anon_exclusive);
	p = api_query(a.p, ARENA); /* parent still read-only: count 1, not exclusive */
	assert_int_equal(p.mapcount, 1);
	assert_false(p.anon_exclusive || p.writable);
	assert_int_equal(anonvm_read(a.p, ARENA, buf, sizeof(buf), NULL), 0);
	assert_int_equal(buf[0], 1);

	api_write(a.p, ARENA, 3); /* the parent writes: reused in place */
	p = api_query(a.p, ARENA);
	assert_int_equal(p.frame, frame);
	assert_true(p.anon_exclusive);
	assert_int_equal(anonvm_read(a.c, ARENA, buf, sizeof(buf), NULL), 0);
	assert_int_equal(buf[0], 2);
	api_end(&a);
}

static void test_api_fork_flags(void **state)
{
	struct api a;
	unsigned char buf[PAGE_SIZE];
	unsigned long fault_addr = 0;

	API_START(&a);
	api_mmap(&a, 2, ANONVM_PROT_READ | ANONVM_PROT_WRITE, ANONVM_MAP_PRIVATE);
	api_write(a.p, ARENA, 9);
	api_write(a.p, ARENA + PAGE_SIZE, 9);
	assert_int_equal(anonvm_madvise(a.p, ARENA, PAGE_SIZE, ANONVM_MADV_WIPEONFORK), 0);
	assert_int_equal(anonvm_madvise(a.p, ARENA + PAGE_SIZE, PAGE_SIZE, ANONVM_MADV_DONTFORK),
			 0);
	assert_int_equal(anonvm_fork(a.p, &a.c), 0);
	/* wipe-on-fork: not present in the child, reads zeros */
	assert_int_equal(api_query(a.c, ARENA).kind, ANONVM_PAGE_NONE);
	assert_int_equal(anonvm_read(a.c, ARENA, buf, sizeof(buf), NULL), 0);
	assert_int_equal(buf[5], 0);
	/* dont-fork: no VMA in the child: SIGSEGV at the first byte */
	assert_int_equal(anonvm_read(a.c, ARENA + PAGE_SIZE, buf, 8, &fault_addr), -EFAULT);
	assert_int_equal(fault_addr, ARENA + PAGE_SIZE);
	/* a write across both pages stops at the second one, after writing the first */
	memset(buf, 4, sizeof(buf));
	assert_int_equal(anonvm_write(a.c, ARENA + 8, buf, PAGE_SIZE, &fault_addr), -EFAULT);
	assert_int_equal(fault_addr, ARENA + PAGE_SIZE);
	assert_int_equal(((const unsigned char *)api_query(a.c, ARENA).data)[PAGE_SIZE - 1], 4);
	api_end(&a);
}

static void test_api_prot_faults(void **state)
{
	struct api a;
	unsigned char buf[8] = { 0 };
	unsigned long fault_addr = 0;

	API_START(&a);
	api_mmap(&a, 1, ANONVM_PROT_READ, ANONVM_MAP_PRIVATE);
	assert_int_equal(anonvm_write(a.p, ARENA, buf, 8, &fault_addr), -EFAULT);
	assert_int_equal(fault_addr, ARENA);
	assert_int_equal(api_query(a.p, ARENA).kind, ANONVM_PAGE_NONE);
	assert_int_equal(anonvm_mprotect(a.p, ARENA, PAGE_SIZE, 0), 0);
	assert_int_equal(anonvm_read(a.p, ARENA, buf, 8, &fault_addr), -EFAULT);
	api_end(&a);
}

static void test_api_shared_after_fork(void **state)
{
	struct api a;
	struct anonvm_page_info p, c;
	unsigned char buf[PAGE_SIZE];

	API_START(&a);
	api_mmap(&a, 1, ANONVM_PROT_READ | ANONVM_PROT_WRITE, ANONVM_MAP_SHARED);
	api_write(a.p, ARENA, 5);
	assert_int_equal(anonvm_fork(a.p, &a.c), 0);
	assert_int_equal(api_query(a.c, ARENA).kind, ANONVM_PAGE_NONE);
	api_write(a.c, ARENA, 6);
	p = api_query(a.p, ARENA);
	c = api_query(a.c, ARENA);
	assert_int_equal(p.kind, ANONVM_PAGE_SHMEM);
	assert_int_equal(c.frame, p.frame);
	assert_int_equal(p.mapcount, 2);
	assert_int_equal(anonvm_read(a.p, ARENA, buf, sizeof(buf), NULL), 0);
	assert_int_equal(buf[100], 6);
	anonvm_exit(a.c);
	a.c = NULL;
	assert_int_equal(api_query(a.p, ARENA).mapcount, 1);
	api_end(&a);
}

static void test_api_populate(void **state)
{
	struct api a;
	unsigned long addr;

	API_START(&a);
	assert_int_equal(anonvm_mmap(a.p, ARENA, 2 * PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_POPULATE,
				     &addr), 0);
	/* Linux 6.18: MAP_POPULATE of a private writable mapping gives real pages */
	assert_int_equal(api_query(a.p, ARENA).kind, ANONVM_PAGE_ANON);
	assert_true(api_query(a.p, ARENA + PAGE_SIZE).anon_exclusive);
	assert_int_equal(anonvm_mmap(a.p, ARENA + 4 * PAGE_SIZE, PAGE_SIZE, ANONVM_PROT_READ,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_POPULATE,
				     &addr), 0);
	assert_int_equal(api_query(a.p, ARENA + 4 * PAGE_SIZE).kind, ANONVM_PAGE_ZERO);
	/* shared, read-only: a real page all the same (shmem read faults allocate) */
	assert_int_equal(anonvm_mmap(a.p, ARENA + 8 * PAGE_SIZE, PAGE_SIZE, ANONVM_PROT_READ,
				     ANONVM_MAP_SHARED | ANONVM_MAP_FIXED | ANONVM_MAP_POPULATE,
				     &addr), 0);
	assert_int_equal(api_query(a.p, ARENA + 8 * PAGE_SIZE).kind, ANONVM_PAGE_SHMEM);
	assert_int_equal(api_query(a.p, ARENA + 8 * PAGE_SIZE).mapcount, 1);
	api_end(&a);
}


/*
 * A swapped-out page shared by more PTEs than a 16-bit swap count held: 33,000 forks each
 * copy the swap PTE. The slot's count must follow them (the kernel continues its byte-wide
 * count on extra pages; here it is as wide as a mapcount), the validator must find it equal
 * to the swap PTEs, a child must read the page back, and the slot must be free once every
 * process exits. With SWAP_MAP_MAX 0x7fff the 32,768th fork wrapped the count into
 * SWAP_HAS_CACHE (a debug build's BUG; a release build's faults on the slot looped forever).
 */
#define MANY_SHARERS 33000

static void test_swap_count_many_sharers(void **state)
{
	struct anonvm_mm *parent, **child = calloc(MANY_SHARERS, sizeof(*child));
	struct anonvm_config cfg;
	struct anonvm *vm;
	unsigned long addr, reclaimed, slot;
	unsigned char byte;

	assert_non_null(child);
	anonvm_config_default(&cfg);
	cfg.ram_bytes = 4UL << 20;
	cfg.swap_bytes = 4UL << 20;
	cfg.metadata_only = false;
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	assert_int_equal(anonvm_mm_new(vm, &parent), 0);
	assert_int_equal(anonvm_mmap(parent, ARENA, PAGE_SIZE, ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &addr), 0);
	api_write(parent, ARENA, 'a');
	assert_int_equal(anonvm_reclaim(vm, 1, &reclaimed), 0);
	assert_int_equal(reclaimed, 1);
	assert_int_equal(api_query(parent, ARENA).kind, ANONVM_PAGE_SWAP);
	for (int i = 0; i < MANY_SHARERS; i++)
		assert_int_equal(anonvm_fork(parent, &child[i]), 0);
	slot = vm->swap->highest_bit;
	assert_int_equal(vm->swap->swap_map[slot], 1 + MANY_SHARERS);
	assert_int_equal(anonvm_check(vm, stderr), 0);
	assert_int_equal(anonvm_read(child[MANY_SHARERS - 1], ARENA, &byte, 1, NULL), 0);
	assert_int_equal(byte, 'a');
	for (int i = 0; i < MANY_SHARERS; i++)
		anonvm_exit(child[i]);
	anonvm_exit(parent);
	assert_int_equal(vm->swap->swap_map[slot], 0);
	free(child);
	destroy_and_check_nothing_left(vm);
}

/* ---- reclaim's decisions (mm/vmscan.c) ------------------------------------------------ */

/* A machine with swap (slots usable pages) and one process with pages private pages. */
static struct anonvm *reclaim_machine(unsigned long slots, unsigned long pages,
				      struct anonvm_mm **mm)
{
	struct anonvm_config cfg;
	struct anonvm *vm;
	unsigned long addr;

	anonvm_config_default(&cfg);
	cfg.ram_bytes = 4UL << 20;
	cfg.swap_bytes = (slots + 1) * PAGE_SIZE; /* slot 0 is the header */
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	assert_int_equal(anonvm_mm_new(vm, mm), 0);
	assert_int_equal(anonvm_mmap(*mm, ARENA, pages * PAGE_SIZE,
				     ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED, &addr), 0);
	return vm;
}

static struct folio *folio_at(struct anonvm *vm, struct anonvm_mm *mm, unsigned long addr)
{
	struct anonvm_page_info info = api_query(mm, addr);

	assert_int_equal(info.kind, ANONVM_PAGE_ANON);
	return pfn_folio(vm->ram, info.frame);
}

static void read_byte(struct anonvm_mm *mm, unsigned long addr, unsigned char want)
{
	unsigned char byte;

	assert_int_equal(anonvm_read(mm, addr, &byte, 1, NULL), 0);
	assert_int_equal(byte, want);
}

/*
 * folio_check_references with the anon_vma lock contended (another thread holds it for
 * write): the walk gives no answer, and the folio stays on the inactive list, unswapped and
 * not counted in pgactivate (Linux: "rmap lock contention: rotate", FOLIOREF_KEEP). It was
 * activated before.
 */
struct held_lock {
	struct anon_vma *anon_vma;
	sem_t held, release;
};

static void *hold_anon_vma_lock(void *arg)
{
	struct held_lock *h = arg;

	anonvm_thread_register();
	anon_vma_lock_write(h->anon_vma);
	sem_post(&h->held);
	sem_wait(&h->release);
	anon_vma_unlock_write(h->anon_vma);
	anonvm_thread_unregister();
	return NULL;
}

static void test_reclaim_contended_rotates(void **state)
{
	struct anonvm_mm *mm;
	struct anonvm *vm = reclaim_machine(8, 1, &mm);
	struct held_lock h;
	unsigned long reclaimed;
	struct folio *folio;
	pthread_t t;

	api_write(mm, ARENA, 'a');
	folio = folio_at(vm, mm, ARENA);
	h.anon_vma = vma_lookup(mm_of(mm), ARENA)->anon_vma;
	assert_int_equal(sem_init(&h.held, 0, 0), 0);
	assert_int_equal(sem_init(&h.release, 0, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, hold_anon_vma_lock, &h), 0);
	sem_wait(&h.held);
	assert_int_equal(anonvm_reclaim(vm, 1, &reclaimed), 0);
	sem_post(&h.release);
	pthread_join(t, NULL);
	assert_int_equal(reclaimed, 0);
	assert_false(folio_test_flag(folio, PG_active));
	assert_int_equal(vm_events_read(vm, pgactivate), 0);
	assert_int_equal(anonvm_check(vm, stderr), 0);
	/* uncontended, it goes */
	assert_int_equal(anonvm_reclaim(vm, 1, &reclaimed), 0);
	assert_int_equal(reclaimed, 1);
	read_byte(mm, ARENA, 'a');
	sem_destroy(&h.held);
	sem_destroy(&h.release);
	anonvm_exit(mm);
	destroy_and_check_nothing_left(vm);
}

/*
 * MADV_PAGEOUT of an active folio that reclaim cannot free (an extra reference): it goes
 * back to the inactive list (reclaim_pages clears PG_active first, as Linux does), not to
 * the active one.
 */
static void test_pageout_kept_goes_inactive(void **state)
{
	struct anonvm_mm *mm;
	struct anonvm *vm = reclaim_machine(8, 1, &mm);
	struct folio *folio;

	api_write(mm, ARENA, 'a');
	folio = folio_at(vm, mm, ARENA);
	/* onto the active list, as a second look of reclaim would put it */
	assert_true(folio_isolate_lru(vm->ram, folio));
	folio_set_flag(folio, PG_active);
	folio_putback_lru(vm->ram, folio);
	folio_get(folio); /* as a pin would: __remove_mapping must refuse */
	assert_int_equal(anonvm_madvise(mm, ARENA, PAGE_SIZE, ANONVM_MADV_PAGEOUT), 0);
	assert_true(folio_test_flag(folio, PG_lru));
	assert_false(folio_test_flag(folio, PG_active));
	folio_put(vm->ram, folio);
	assert_int_equal(anonvm_check(vm, stderr), 0);
	read_byte(mm, ARENA, 'a');
	anonvm_exit(mm);
	destroy_and_check_nothing_left(vm);
}

/*
 * A swap-cache folio that reclaim activates while swap is over half full gives up its slot
 * (activate_locked: not a candidate for swapping, so free the swap space). Page 0 is swapped
 * out and read back (mapped, still in the swap cache), pages 2-5 are swapped out (5 of 8
 * slots: full by vm_swap_full), a fork maps page 0 twice and both processes read it (two
 * young PTEs: activate at first sight), and page 1 is made cold, so that one scan takes page
 * 1 and activates page 0.
 */
static void test_activate_frees_swap_when_full(void **state)
{
	struct anonvm_mm *mm, *child;
	struct anonvm *vm = reclaim_machine(8, 6, &mm);
	unsigned long reclaimed, inuse;
	struct folio *folio;

	for (int i = 0; i < 6; i++)
		api_write(mm, ARENA + i * PAGE_SIZE, 'a' + i);
	assert_int_equal(anonvm_madvise(mm, ARENA, PAGE_SIZE, ANONVM_MADV_PAGEOUT), 0);
	read_byte(mm, ARENA, 'a');
	folio = folio_at(vm, mm, ARENA);
	assert_true(folio_test_flag(folio, PG_swapcache));
	assert_int_equal(anonvm_madvise(mm, ARENA + 2 * PAGE_SIZE, 4 * PAGE_SIZE,
					ANONVM_MADV_PAGEOUT), 0);
	assert_true(vm_swap_full(vm));
	inuse = vm->swap->inuse_pages;
	assert_int_equal(anonvm_fork(mm, &child), 0);
	read_byte(child, ARENA, 'a');
	read_byte(mm, ARENA, 'a');
	assert_int_equal(anonvm_madvise(mm, ARENA + PAGE_SIZE, PAGE_SIZE, ANONVM_MADV_COLD), 0);
	assert_int_equal(anonvm_reclaim(vm, 1, &reclaimed), 0);
	assert_int_equal(reclaimed, 1);
	assert_int_equal(api_query(mm, ARENA + PAGE_SIZE).kind, ANONVM_PAGE_SWAP);
	assert_true(folio_test_flag(folio, PG_active));
	assert_false(folio_test_flag(folio, PG_swapcache));
	assert_int_equal(vm->swap->inuse_pages, inuse); /* page 1's slot taken, page 0's freed */
	assert_int_equal(anonvm_check(vm, stderr), 0);
	for (int i = 0; i < 6; i++) {
		read_byte(mm, ARENA + i * PAGE_SIZE, 'a' + i);
		read_byte(child, ARENA + i * PAGE_SIZE, 'a' + i);
	}
	anonvm_exit(child);
	anonvm_exit(mm);
	destroy_and_check_nothing_left(vm);
}

/* ---- races of reclaim, reproduced through race.h's windows --------------------------- */

/*
 * isolate_lru_folios against a final folio_put and the frame's reuse. The reclaimer (this
 * thread) stops in RACE_LRU_ISOLATE, lru_lock held, PG_lru of the page's folio cleared; the
 * other thread then drops the page (MADV_DONTNEED) and writes it again, which allocates the
 * most recently freed frame and adds the new folio to the LRU. Once the reclaimer goes on,
 * the page must hold what was written and the LRU must be sound. Before isolation took its
 * reference ahead of clearing PG_lru, the final put found PG_lru clear and freed the frame
 * without lru_lock, the new folio got the same frame, the reclaimer's folio_try_get took a
 * reference on it and isolated it while its owner put it on the LRU: one folio on two lists
 * (the BUG in folio_put that test_stress met once in hours of runs). Debug builds only.
 */
#if ANONVM_DEBUG >= 1
struct isolate_race {
	struct anonvm_mm *mm;
	sem_t go;
	atomic_int stage; /* 1: the window was reached; 2: the other thread is done */
};

static struct isolate_race *isolate_race;

static void isolate_race_hook(enum race_point point, void *object)
{
	struct isolate_race *r = isolate_race;

	(void)object;
	if (point != RACE_LRU_ISOLATE || atomic_exchange(&r->stage, 1) != 0)
		return;
	sem_post(&r->go);
	/* its allocation and zap need no LRU lock; its folio_add_lru waits for ours */
	for (int i = 0; i < 200 && atomic_load(&r->stage) != 2; i++)
		usleep(1000);
}

static void *isolate_race_thread(void *arg)
{
	struct isolate_race *r = arg;

	anonvm_thread_register();
	sem_wait(&r->go);
	assert_int_equal(anonvm_madvise(r->mm, ARENA, PAGE_SIZE, ANONVM_MADV_DONTNEED), 0);
	api_write(r->mm, ARENA, 'b');
	atomic_store(&r->stage, 2);
	anonvm_thread_unregister();
	return NULL;
}

static void test_isolate_lru_vs_final_put(void **state)
{
	struct isolate_race r = { 0 };
	struct anonvm_config cfg;
	struct anonvm *vm;
	unsigned long addr, reclaimed;
	unsigned char byte;
	pthread_t t;

	anonvm_config_default(&cfg);
	cfg.ram_bytes = 4UL << 20;
	cfg.swap_bytes = 4UL << 20;
	assert_int_equal(anonvm_create(&cfg, &vm), 0);
	assert_int_equal(anonvm_mm_new(vm, &r.mm), 0);
	assert_int_equal(anonvm_mmap(r.mm, ARENA, PAGE_SIZE, ANONVM_PROT_READ | ANONVM_PROT_WRITE,
				     ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED,
				     &addr), 0);
	api_write(r.mm, ARENA, 'a');
	assert_int_equal(sem_init(&r.go, 0, 0), 0);
	isolate_race = &r;
	race_set_hook(isolate_race_hook);
	assert_int_equal(pthread_create(&t, NULL, isolate_race_thread, &r), 0);
	assert_int_equal(anonvm_reclaim(vm, 1, &reclaimed), 0);
	pthread_join(t, NULL);
	race_set_hook(NULL);
	assert_int_equal(atomic_load(&r.stage), 2);
	assert_int_equal(anonvm_check(vm, stderr), 0);
	assert_int_equal(anonvm_read(r.mm, ARENA, &byte, 1, NULL), 0);
	assert_int_equal(byte, 'b');
	anonvm_exit(r.mm);
	sem_destroy(&r.go);
	destroy_and_check_nothing_left(vm);
}
/*
 * An allocation that finds its CPU's list and free_list empty drains every CPU's list, then
 * another CPU's allocation takes the drained frames back onto its own list before this one
 * looks (RACE_PCP_DRAIN, the hook running that allocation on a second CPU). Frames are still
 * free, so the allocation must drain again and succeed: before it did, it failed with frames
 * free (ENOMEM, or an OOM kill, with RAM to spare). This thread and the other are pinned to
 * two CPUs of different slots; a host with one CPU skips the test. Debug builds only.
 */
struct drain_race {
	struct ram *ram;
	int cpu[2];          /* this thread's CPU, the other's */
	struct folio *taken; /* the other CPU's allocation in the window */
	struct folio **put;  /* frames the other CPU frees, nr_put of them */
	int nr_put;
	int windows;
};

static struct drain_race *drain_race;

static bool pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !pthread_setaffinity_np(pthread_self(), sizeof(set), &set) && sched_getcpu() == cpu;
}

/* On the other CPU: free r->put, or (none to free) allocate one frame into r->taken. */
static void *drain_race_thread(void *arg)
{
	struct drain_race *r = arg;

	assert_true(pin_to_cpu(r->cpu[1]));
	if (r->nr_put)
		for (int i = 0; i < r->nr_put; i++)
			folio_put(r->ram, r->put[i]);
	else
		r->taken = folio_alloc(r->ram);
	return NULL;
}

static void on_other_cpu(struct drain_race *r)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, drain_race_thread, r), 0);
	pthread_join(t, NULL);
}

static void drain_race_hook(enum race_point point, void *object)
{
	struct drain_race *r = drain_race;

	if (point != RACE_PCP_DRAIN || r->windows++ || object != r->ram)
		return;
	on_other_cpu(r);
}

/* Two allowed CPUs whose per-CPU slots differ; false if the host has no such pair. */
static bool two_cpu_slots(int cpu[2])
{
	cpu_set_t set;

	if (nr_cpu_ids() < 2 || sched_getaffinity(0, sizeof(set), &set))
		return false;
	cpu[0] = -1;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (cpu[0] < 0)
			cpu[0] = c;
		else if ((unsigned int)c % nr_cpu_ids() != (unsigned int)cpu[0] % nr_cpu_ids()) {
			cpu[1] = c;
			return true;
		}
	}
	return false;
}

static void test_pcp_drain_vs_refill(void **state)
{
	struct machine *m = machine_new(64 * PAGE_SIZE, false); /* zero page + 63 frames */
	struct drain_race r = { .ram = m->vm.ram };
	struct folio *f[64], *extra;
	cpu_set_t saved;
	int n = 0;

	if (!two_cpu_slots(r.cpu)) {
		machine_free(m);
		skip();
	}
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	assert_true(pin_to_cpu(r.cpu[0]));
	while (n < 64 && (f[n] = folio_alloc(r.ram)))
		n++;
	assert_int_equal(n, 63);
	/* five frames wait on the other CPU's list; free_list and this CPU's are empty */
	r.put = f;
	r.nr_put = 5;
	on_other_cpu(&r);
	r.nr_put = 0;
	assert_int_equal(atomic_load(&r.ram->pcp[r.cpu[1] % nr_cpu_ids()].count), 5);

	drain_race = &r;
	race_set_hook(drain_race_hook);
	extra = folio_alloc(r.ram);
	race_set_hook(NULL);
	assert_true(r.windows >= 1);
	assert_non_null(r.taken);   /* the other CPU took the drained frames back first */
	assert_non_null(extra);     /* and this CPU still found one of them */
	assert_int_equal(ram_frames_in_use(r.ram), 60);

	folio_put(r.ram, r.taken);
	folio_put(r.ram, extra);
	for (int i = 5; i < n; i++)
		folio_put(r.ram, f[i]);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved), 0);
	machine_free(m);
}

/*
 * A fault's swap-cache lookup while reclaim takes the folio out of the cache
 * (RACE_REMOVE_MAPPING: MADV_PAGEOUT has unmapped and written the page, and __remove_mapping
 * found only the isolation's and the cache's references). The lookup must fail: the count is
 * frozen from that check to the removal, so the frame that reclaim counts as freed is free
 * when it returns. When the count was only compared, the lookup took a reference, reclaim
 * counted the page freed, and the frame stayed in use until the faulting thread let it go.
 */
struct remove_race {
	struct anonvm *vm;
	struct folio *looked_up;
	int windows;
};

static struct remove_race *remove_race;

static void remove_mapping_hook(enum race_point point, void *object)
{
	struct remove_race *r = remove_race;

	if (point != RACE_REMOVE_MAPPING || r->windows++)
		return;
	r->looked_up = swap_cache_get_folio(r->vm, folio_swap_entry(object));
}

static void test_remove_mapping_vs_lookup(void **state)
{
	struct anonvm_mm *mm;
	struct remove_race r = { .vm = reclaim_machine(8, 1, &mm) };
	unsigned long in_use;
	struct folio *got;

	api_write(mm, ARENA, 'a');
	in_use = ram_frames_in_use(r.vm->ram);
	remove_race = &r;
	race_set_hook(remove_mapping_hook);
	assert_int_equal(anonvm_madvise(mm, ARENA, PAGE_SIZE, ANONVM_MADV_PAGEOUT), 0);
	race_set_hook(NULL);
	got = r.looked_up;
	if (got)
		folio_put(r.vm->ram, got);
	assert_int_equal(r.windows, 1);
	assert_null(got);
	assert_int_equal(api_query(mm, ARENA).kind, ANONVM_PAGE_SWAP);
	assert_int_equal(ram_frames_in_use(r.vm->ram), in_use - 1);
	assert_int_equal(anonvm_check(r.vm, stderr), 0);
	read_byte(mm, ARENA, 'a');
	anonvm_exit(mm);
	destroy_and_check_nothing_left(r.vm);
}
#else
static void test_isolate_lru_vs_final_put(void **state)
{
	skip(); /* release builds have no race windows */
}

static void test_pcp_drain_vs_refill(void **state)
{
	skip(); /* release builds have no race windows */
}

static void test_remove_mapping_vs_lookup(void **state)
{
	skip(); /* release builds have no race windows */
}
#endif

int main(void)
{
	const struct CMUnitTest internal[] = {
		cmocka_unit_test(test_pgtable_set_clear_free),
		cmocka_unit_test(test_pgtable_alloc_failure),
		cmocka_unit_test(test_pgtable_split_locks),
		cmocka_unit_test(test_frames_limit_and_injection),
		cmocka_unit_test(test_pcp_drain_vs_refill),
		cmocka_unit_test(test_swap_count_many_sharers),
		cmocka_unit_test(test_reclaim_contended_rotates),
		cmocka_unit_test(test_pageout_kept_goes_inactive),
		cmocka_unit_test(test_activate_frees_swap_when_full),
		cmocka_unit_test(test_remove_mapping_vs_lookup),
		cmocka_unit_test(test_frames_metadata_only),
		cmocka_unit_test(test_fault_read_zero_then_write),
		cmocka_unit_test(test_fault_oom),
		cmocka_unit_test(test_fault_vma_lock_retry),
		cmocka_unit_test(test_fork_cow),
		cmocka_unit_test(test_wp_reuse_needs_sole_reference),
		cmocka_unit_test(test_fork_eager_copy_when_pinned),
		cmocka_unit_test(test_change_protection),
		cmocka_unit_test(test_move_page_tables),
		cmocka_unit_test(test_populate),
		cmocka_unit_test(test_fault_race),
		cmocka_unit_test(test_shmem),
		cmocka_unit_test(test_shmem_fault_around_window),
		cmocka_unit_test(test_isolate_lru_vs_final_put),
	};
	const struct CMUnitTest api[] = {
		cmocka_unit_test(test_api_cow_facts),
		cmocka_unit_test(test_api_fork_flags),
		cmocka_unit_test(test_api_prot_faults),
		cmocka_unit_test(test_api_shared_after_fork),
		cmocka_unit_test(test_api_populate),
	};

	/* the page facts hold in every design: memory does not depend on the bookkeeping */
	return cmocka_run_group_tests(internal, NULL, NULL) +
	       RUN_PER_DESIGN("memory-api", api, ALL_DESIGNS, api_group_setup, api_group_teardown);
}
