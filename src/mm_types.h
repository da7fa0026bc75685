/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The core types of the model, shared by every layer: the address space (mm_struct), the
 * VMA (vm_area_struct), the folio, and the machine they belong to (struct anonvm).
 *
 * Each field names the lock that guards changes to it. "mmap_lock W" = mmap_lock held for
 * write; "vma W" = the VMA write-locked (vma_start_write) as well; "root rwsem" = the
 * anon_vma root's rwsem; "ptl" = the page-table lock.
 *
 * Ownership: vma.c / mmap.c own mm_struct and vm_area_struct; rmap/ owns anon_vma and the
 * anon_vma_chain (rmap.h); memory.c / phys.c own folios and page tables (memory.h).
 */
#ifndef ANONVM_MM_TYPES_H
#define ANONVM_MM_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "anonvm/anonvm.h"
#include "debug.h"
#include "percpu.h"
#include "list.h"
#include "locks.h"
#include "maple.h"
#include "rcu.h"
#include "stats.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGNED(x) (((x) & (PAGE_SIZE - 1)) == 0)

/* The user address space of x86-64 with 4-level page tables. */
#define TASK_SIZE 0x7ffffffff000UL
#define DEFAULT_MMAP_BASE 0x7f0000000000UL /* top of the top-down mmap area */
#define MMAP_MIN_ADDR 0x10000UL            /* vm.mmap_min_addr's default (cfg 0) */
#define DEFAULT_MAX_MAP_COUNT 65530        /* vm.max_map_count */

/* vm_flags: Linux's bit values. */
#define VM_NONE 0x00000000UL
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYREAD 0x00000010UL
#define VM_MAYWRITE 0x00000020UL
#define VM_MAYEXEC 0x00000040UL
#define VM_MAYSHARE 0x00000080UL
#define VM_GROWSDOWN 0x00000100UL
#define VM_PFNMAP 0x00000400UL
#define VM_LOCKED 0x00002000UL
#define VM_SEQ_READ 0x00008000UL
#define VM_RAND_READ 0x00010000UL
#define VM_IO 0x00004000UL
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_ACCOUNT 0x00100000UL
#define VM_NORESERVE 0x00200000UL
#define VM_HUGETLB 0x00400000UL
#define VM_WIPEONFORK 0x02000000UL
#define VM_DONTDUMP 0x04000000UL
#define VM_SOFTDIRTY 0x08000000UL
#define VM_MIXEDMAP 0x10000000UL
#define VM_HUGEPAGE 0x20000000UL
#define VM_NOHUGEPAGE 0x40000000UL
#define VM_MERGEABLE 0x80000000UL

#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)
#define VM_SPECIAL (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)

struct anon_vma;
struct pgd_table;   /* memory.h: the top level of a page table */
struct shmem_file;  /* memory.h: the object behind a shared anonymous mapping */
struct ram;         /* memory.h: physical memory */
struct rmap_ops;    /* rmap.h: one reverse-map design */
struct swap_info_struct; /* reclaim/swap.h: the swap device */

/*
 * A VMA. Freed after an RCU grace period (vm_area_free), so a lockless reader that found it
 * in the maple tree may still look at it; it re-checks vm_mm, vm_refcnt and the range.
 */
struct vm_area_struct {
	unsigned long vm_start; /* mmap_lock W + vma W */
	unsigned long vm_end;   /* mmap_lock W + vma W; exclusive */
	struct mm_struct *vm_mm;
	unsigned long vm_flags; /* mmap_lock W + vma W, through vm_flags_reset/set/clear */
	unsigned long vm_pgoff; /* mmap_lock W + vma W; in pages */
	struct shmem_file *vm_file; /* shared anonymous mappings: a reference; else NULL */
	/*
	 * The primary anon_vma: new exclusive anonymous folios of this VMA point to it.
	 * Set by anon_vma_prepare under mmap_lock (R or W) + root rwsem W + page_table_lock;
	 * changed otherwise under mmap_lock W + vma W.
	 */
	struct anon_vma *anon_vma;
	/* Empty (initialised) while vma->anon_vma is NULL; which one is in use is the design's. */
	union {
		/* chain designs: anon_vma_chain.same_vma nodes; mmap_lock W, or mmap_lock R +
		 * page_table_lock */
		struct list_head anon_vma_chain;
		/* legacy: the node on anon_vma->head; mmap_lock + the anon_vma's rwsem W */
		struct list_head anon_vma_node;
	};

	/*
	 * Per-VMA lock (docs/semantics.md §5), the kernel's shape (vm_refcnt, 6.15): 0
	 * detached (not in the tree, or not yet); 1 attached; + 1 per reader holding it; +
	 * VMA_LOCK_OFFSET while a writer waits for the readers to leave (vma.c).
	 */
	atomic_int vm_refcnt;
	atomic_int vm_lock_seq; /* == mm->mm_lock_seq: write-locked in this cycle */
	struct lockdep_map vmlock_dep_map; /* the per-VMA lock as the lock checker sees it */
	struct rcu_head rcu;
};

/*
 * An mm's RSS counters (the kernel's rss_stat, percpu_counter since 6.2): one set per CPU
 * slot (percpu.h), so that the threads of a process faulting on different CPUs do not
 * write one line per fault. get_mm_counter sums the slots: exact once the mm is quiet.
 */
enum mm_counter {
	MM_ANONPAGES,  /* PTEs mapping anonymous folios (and migration entries) */
	MM_SHMEMPAGES, /* PTEs mapping shmem pages */
	MM_SWAPENTS,   /* swap PTEs */
	NR_MM_COUNTERS
};

struct mm_rss_stat {
	atomic_long count[NR_MM_COUNTERS];
} ____cacheline_aligned;

struct mm_struct {
	struct maple_tree mm_mt; /* VMAs by [vm_start, vm_end - 1]; mmap_lock W to change */
	struct rw_semaphore mmap_lock;
	atomic_int mm_lock_seq;     /* odd while mmap_lock is held for write; mmap_lock W */
	spinlock_t page_table_lock; /* the upper page tables; anon_vma_prepare's last step */
	struct pgd_table *pgd;      /* page tables (locks: pgtable.h) */
	int map_count;              /* VMAs; mmap_lock W, through mm_map_count_add */
	unsigned long total_vm;     /* pages mapped; mmap_lock W */
	unsigned long mmap_base;    /* top of the top-down unmapped-area search */
	unsigned long task_size;
	atomic_long has_pinned;     /* folios were pinned (fork copies exclusive ones eagerly) */
	struct mm_rss_stat *rss_stat; /* one per CPU slot: add_mm_counter, get_mm_counter */
	atomic_long pgtables_bytes; /* page tables below the pgd (mm_pgtables_bytes) */
	struct anonvm *vm;          /* the machine */
	struct list_head mmlist;    /* in vm->mms; vm->mms_lock */
	unsigned long id;           /* creation number, for reports */
	char name[32];              /* for pictures and reports (anonvm_mm_set_name); fixed */
	bool dying;                 /* exit_mmap has started */
};

/*
 * map_count changes under mmap_lock W; mremap's parameter check reads it without the lock, as
 * the kernel's check_mremap_params does (a stale count only moves the -ENOMEM decision, which
 * is made again under the lock): the stores are atomic so that this read is not a data race.
 */
static inline void mm_map_count_add(struct mm_struct *mm, int delta)
{
	__atomic_store_n(&mm->map_count, mm->map_count + delta, __ATOMIC_RELAXED);
}

static inline int mm_map_count_lockless(const struct mm_struct *mm)
{
	return __atomic_load_n(&mm->map_count, __ATOMIC_RELAXED);
}

/* The machine: physical memory, the rmap design, its processes. */
struct anonvm {
	struct anonvm_config cfg;
	const struct rmap_ops *rmap;
	struct ram *ram;
	struct swap_info_struct *swap;
	spinlock_t mms_lock;
	struct list_head mms;
	unsigned long next_mm_id;
	unsigned long max_map_count;
	struct vm_stats stats;
	spinlock_t anon_vmas_lock;
	struct list_head anon_vmas; /* every live anon_vma (rmap/rmap.c); anon_vmas_lock */
};

/*
 * A folio: here always one 4 KiB page (no large folios; PR_SET_THP_DISABLE on the kernel
 * side). Lives in the frame table of struct ram (memory.h), indexed by frame number.
 */
struct folio {
	atomic_ulong flags;  /* PG_* bits */
	uintptr_t mapping;   /* anon_vma | FOLIO_MAPPING_ANON; a shmem_file; 0 when free */
	unsigned long index; /* anonymous: linear_page_index() of its first mapping */
	atomic_int mapcount; /* PTEs that map it (0-based, unlike the kernel's _mapcount) */
	atomic_int refcount; /* references: one per mapping, + swap cache, + temporary pins */
	struct list_head lru; /* LRU list; lru_lock */
	unsigned long private; /* swap entry while PG_swapcache */
};

/* folio->flags */
enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_swapcache,
	PG_anon_exclusive,
	PG_zero, /* the shared zero page */
};

/* folio->mapping's low bits, Linux's values (include/linux/page-flags.h) */
#define FOLIO_MAPPING_ANON 0x1UL
#define FOLIO_MAPPING_ANON_KSM 0x2UL
#define FOLIO_MAPPING_KSM (FOLIO_MAPPING_ANON | FOLIO_MAPPING_ANON_KSM)
#define FOLIO_MAPPING_FLAGS (FOLIO_MAPPING_ANON | FOLIO_MAPPING_ANON_KSM)

static inline bool folio_test_anon(const struct folio *folio)
{
	return (folio->mapping & FOLIO_MAPPING_ANON) != 0;
}

static inline struct anon_vma *folio_anon_vma(const struct folio *folio)
{
	if (!folio_test_anon(folio))
		return NULL;
	return (struct anon_vma *)(folio->mapping & ~FOLIO_MAPPING_FLAGS);
}

static inline bool folio_test_flag(const struct folio *folio, enum pageflags f)
{
	return (atomic_load(&folio->flags) >> f) & 1;
}

static inline void folio_set_flag(struct folio *folio, enum pageflags f)
{
	atomic_fetch_or(&folio->flags, 1UL << f);
}

static inline void folio_clear_flag(struct folio *folio, enum pageflags f)
{
	atomic_fetch_and(&folio->flags, ~(1UL << f));
}

static inline bool folio_mapped(const struct folio *folio)
{
	return atomic_load(&folio->mapcount) > 0;
}

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* The page offset of addr in the VMA's "file": what folio->index must equal. */
static inline unsigned long linear_page_index(const struct vm_area_struct *vma,
					      unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/*
 * vm_flags changes under mmap_lock W with the VMA write-locked, but reverse-map walks read it
 * holding only the anon_vma lock (folio_referenced: VM_LOCKED). As in the kernel, writers go
 * through these helpers; here they are relaxed atomic stores, and such readers use
 * vma_flags_racy().
 */
static inline void vm_flags_reset(struct vm_area_struct *vma, unsigned long flags)
{
	__atomic_store_n(&vma->vm_flags, flags, __ATOMIC_RELAXED);
}

static inline void vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
	vm_flags_reset(vma, vma->vm_flags | flags);
}

static inline void vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
	vm_flags_reset(vma, vma->vm_flags & ~flags);
}

static inline unsigned long vma_flags_racy(const struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->vm_flags, __ATOMIC_RELAXED);
}

/*
 * vma->anon_vma read without the lock that orders it: a fault publishes it with a release
 * store under page_table_lock while another fault in the same VMA may be looking.
 */
static inline struct anon_vma *vma_anon_vma_acquire(const struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE);
}

/* The public handle of an address space is its mm_struct. */
static inline struct mm_struct *mm_of(struct anonvm_mm *handle)
{
	return (struct mm_struct *)handle;
}

static inline struct anonvm_mm *mm_handle(struct mm_struct *mm)
{
	return (struct anonvm_mm *)mm;
}

/*
 * The expensive self-checks of debug level 2 (debug.h): compiled in at ANONVM_DEBUG >= 2, run
 * when the machine asks for them (anonvm_config.debug_level, e.g. `anonvm run --validate`).
 */
static inline bool anonvm_debug_expensive(const struct anonvm *vm)
{
	return ANONVM_DEBUG >= 2 && vm->cfg.debug_level >= 2;
}

static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return vma->vm_file == NULL;
}

#endif
