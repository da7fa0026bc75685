/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * anonvm: Linux's anonymous-memory management (address spaces, VMAs, page faults with
 * copy-on-write, fork, and the anon_vma / anon_vma_chain reverse map) as a userspace library.
 *
 * The public API. Handles are opaque; every call that can fail returns 0 or a negative errno,
 * with the errno Linux 6.18 would give for the same system call.
 *
 * Threads: calls on one struct anonvm_mm may come from several threads at once (they take the
 * modelled mmap_lock); a thread that calls into the library must have called
 * anonvm_thread_register() first (liburcu's reader registration) unless it is the thread that
 * created the struct anonvm.
 */
#ifndef ANONVM_ANONVM_H
#define ANONVM_ANONVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The functions of this header are the library's interface: the shared library exports them
 * and nothing else (it is built with hidden visibility), and the installed static archive
 * keeps only them global.
 */
#if defined(__GNUC__) || defined(__clang__)
#define ANONVM_EXPORT __attribute__((visibility("default")))
#else
#define ANONVM_EXPORT
#endif

#define ANONVM_PAGE_SIZE 4096UL
#define ANONVM_PAGE_SHIFT 12

struct anonvm;    /* one modelled machine: RAM, the rmap design, its processes */
struct anonvm_mm; /* one process's address space */

/*
 * Reverse-map designs. The memory a process sees (pages, their contents and sharing) is the
 * same in every design; the bookkeeping, and what an rmap walk costs, differ.
 */
enum anonvm_rmap_design {
	ANONVM_RMAP_LINUX = 0, /* anon_vma_chain + interval tree + reuse at fork (Linux 6.18) */
	ANONVM_RMAP_NOREUSE,   /* linux without reuse at fork (3.7 - 3.18) */
	ANONVM_RMAP_NOINTERVAL, /* linux with a list instead of the interval tree (2.6.34 - 3.6) */
	ANONVM_RMAP_LEGACY,    /* 2.6.33: one anon_vma and one VMA list per fork family */
	ANONVM_RMAP_NR
};

/* The name of a design ("linux", "noreuse", "nointerval", "legacy"), NULL if unknown. */
ANONVM_EXPORT const char *anonvm_design_name(enum anonvm_rmap_design design);
/* The design of that name: 0 and *design set, or -EINVAL. */
ANONVM_EXPORT int anonvm_design_parse(const char *name, enum anonvm_rmap_design *design);

struct anonvm_config {
	size_t ram_bytes;        /* modelled RAM; default 1 GiB */
	bool metadata_only;      /* frames have descriptors but no contents */
	/*
	 * Populate the RAM (contents and frame descriptors) at creation, so that the host's
	 * cost of a first touch (its page fault and zeroing) is paid once, up front, and not
	 * at a frame's first use, as a real machine's RAM exists before its first process.
	 * For benchmarks: the machine then holds ram_bytes of host memory from the start.
	 */
	bool prefault;
	enum anonvm_rmap_design design;
	/*
	 * The swap device: its size (default 256 MiB, as `anonvm run --kernel` gives the kernel;
	 * 0: no swap, anonymous memory cannot be reclaimed) and where its file is made (default
	 * $TMPDIR, else /tmp; an unlinked O_TMPFILE, created on the first swap-out).
	 */
	size_t swap_bytes;
	const char *swap_dir;
	/*
	 * Self-checks at run time, up to what the library was built with (anonvm_debug_level):
	 * 0 or 1 the cheap assertions only; 2 also the expensive validators after every step.
	 * Default: anonvm_debug_level().
	 */
	int debug_level;
	/*
	 * The caller's machine and privilege, as the kernel would see them (the CLI fills them
	 * from the machine it runs on: anonvm_config_machine):
	 *   mmap_min_addr: vm.mmap_min_addr; 0 selects Linux's default, 65536;
	 *   cap_sys_rawio: the caller has CAP_SYS_RAWIO (root): it may map below
	 *   mmap_min_addr, down to address 0; without it that is EPERM.
	 */
	unsigned long mmap_min_addr;
	bool cap_sys_rawio;
	/*
	 * memcg_max_bytes: every process of the machine runs in one memory cgroup whose
	 * memory.max this is (no swap): pages in use never exceed it, and a fault that would is
	 * refused with -ENOMEM as when RAM runs out. 0: no limit but RAM. The overcommit
	 * heuristic still compares with ram_bytes, as the kernel's ignores cgroups.
	 */
	size_t memcg_max_bytes;
	/*
	 * Per-VMA locks (default on): a fault first read-locks the one VMA it hits
	 * (lock_vma_under_rcu) and takes the mmap_lock only when that fails. Off: every fault
	 * (and MADV_DONTNEED) takes the mmap_lock for read, as a kernel built with
	 * CONFIG_PER_VMA_LOCK=n does.
	 */
	bool per_vma_lock;
};

/*
 * cfg as anonvm_config_default gives it, then sized and privileged like the machine and the
 * process this runs on: ram_bytes = its RAM as the kernel counts it (MemTotal, which the
 * overcommit heuristic compares with), mmap_min_addr from /proc/sys/vm/mmap_min_addr,
 * cap_sys_rawio from this process's effective capabilities. What cannot be read keeps its
 * default. So the model answers as the kernel executor's real processes would.
 */
ANONVM_EXPORT void anonvm_config_machine(struct anonvm_config *cfg);

/*
 * The debug level the library was built with: 0 (release: no self-checks), 1 (cheap
 * assertions), 2 (also the expensive validators, when anonvm_config.debug_level asks).
 */
ANONVM_EXPORT int anonvm_debug_level(void);

ANONVM_EXPORT void anonvm_config_default(struct anonvm_config *cfg);
ANONVM_EXPORT int anonvm_create(const struct anonvm_config *cfg, struct anonvm **out);
/* Exits every process still alive, then frees the machine. */
ANONVM_EXPORT void anonvm_destroy(struct anonvm *vm);
ANONVM_EXPORT int anonvm_thread_register(void);
ANONVM_EXPORT void anonvm_thread_unregister(void);

/* Processes. */
ANONVM_EXPORT int anonvm_mm_new(struct anonvm *vm, struct anonvm_mm **out);
ANONVM_EXPORT int anonvm_fork(struct anonvm_mm *parent, struct anonvm_mm **child);
ANONVM_EXPORT void anonvm_exit(struct anonvm_mm *mm);
/* A name for pictures and reports (anonvm_dot); at most 31 bytes are kept. Default "mm N". */
ANONVM_EXPORT void anonvm_mm_set_name(struct anonvm_mm *mm, const char *name);

/* Memory system calls. Lengths are in bytes, as in the system calls. */
#define ANONVM_PROT_READ 0x1
#define ANONVM_PROT_WRITE 0x2
#define ANONVM_PROT_EXEC 0x4

#define ANONVM_MAP_SHARED 0x01
#define ANONVM_MAP_PRIVATE 0x02
#define ANONVM_MAP_FIXED 0x10
#define ANONVM_MAP_NORESERVE 0x4000
#define ANONVM_MAP_POPULATE 0x8000
#define ANONVM_MAP_FIXED_NOREPLACE 0x100000

#define ANONVM_MREMAP_MAYMOVE 1
#define ANONVM_MREMAP_FIXED 2
#define ANONVM_MREMAP_DONTUNMAP 4

/* Advice values are Linux's: every one Linux 6.18 accepts (src/madvise.c says what each does). */
#define ANONVM_MADV_NORMAL 0
#define ANONVM_MADV_RANDOM 1
#define ANONVM_MADV_SEQUENTIAL 2
#define ANONVM_MADV_WILLNEED 3
#define ANONVM_MADV_DONTNEED 4
#define ANONVM_MADV_FREE 8
#define ANONVM_MADV_REMOVE 9
#define ANONVM_MADV_DONTFORK 10
#define ANONVM_MADV_DOFORK 11
#define ANONVM_MADV_MERGEABLE 12
#define ANONVM_MADV_UNMERGEABLE 13
#define ANONVM_MADV_HUGEPAGE 14
#define ANONVM_MADV_NOHUGEPAGE 15
#define ANONVM_MADV_DONTDUMP 16
#define ANONVM_MADV_DODUMP 17
#define ANONVM_MADV_WIPEONFORK 18
#define ANONVM_MADV_KEEPONFORK 19
#define ANONVM_MADV_COLD 20     /* age: PTEs old, folios inactive */
#define ANONVM_MADV_PAGEOUT 21  /* reclaim to swap now */
#define ANONVM_MADV_POPULATE_READ 22
#define ANONVM_MADV_POPULATE_WRITE 23
#define ANONVM_MADV_DONTNEED_LOCKED 24
#define ANONVM_MADV_COLLAPSE 25
#define ANONVM_MADV_HWPOISON 100
#define ANONVM_MADV_SOFT_OFFLINE 101
#define ANONVM_MADV_GUARD_INSTALL 102
#define ANONVM_MADV_GUARD_REMOVE 103

ANONVM_EXPORT int anonvm_mmap(struct anonvm_mm *mm, unsigned long addr, unsigned long len, int prot,
			      int flags, unsigned long *addrp);
ANONVM_EXPORT int anonvm_munmap(struct anonvm_mm *mm, unsigned long addr, unsigned long len);
ANONVM_EXPORT int anonvm_mprotect(struct anonvm_mm *mm, unsigned long addr, unsigned long len,
				  int prot);
ANONVM_EXPORT int anonvm_mremap(struct anonvm_mm *mm, unsigned long old_addr, unsigned long old_len,
				unsigned long new_len, int flags, unsigned long new_addr,
				unsigned long *addrp);
ANONVM_EXPORT int anonvm_madvise(struct anonvm_mm *mm, unsigned long addr, unsigned long len,
				 int advice);

/*
 * User accesses through the modelled MMU: faults are taken as the hardware would raise them.
 * -EFAULT means the access raised SIGSEGV, -EIO SIGBUS (past the end of a shared mapping's
 * object); *fault_addr (if not NULL) is then the faulting address, and every byte before it
 * was accessed. -ENOMEM: the fault ran out of memory.
 */
ANONVM_EXPORT int anonvm_write(struct anonvm_mm *mm, unsigned long addr, const void *buf,
			       size_t len, unsigned long *fault_addr);
ANONVM_EXPORT int anonvm_read(struct anonvm_mm *mm, unsigned long addr, void *buf, size_t len,
			      unsigned long *fault_addr);

/*
 * Migration (migrate_pages): each anonymous page mapped in [addr, addr + len) of mm moves to a
 * new frame; every process that maps it is updated through the reverse map. *nr_moved (if not
 * NULL) gets how many moved (a page that is pinned, busy or not anonymous is left). 0, -EINVAL
 * (bad range), -ENOMEM.
 */
ANONVM_EXPORT int anonvm_migrate(struct anonvm_mm *mm, unsigned long addr, unsigned long len,
				 unsigned long *nr_moved);

/*
 * Reclaim (try_to_free_pages): swap out up to nr pages, oldest first, as the kernel does when
 * memory runs short (an access that finds RAM full does it by itself). *reclaimed (if not
 * NULL) gets how many frames were freed. 0.
 */
ANONVM_EXPORT int anonvm_reclaim(struct anonvm *vm, unsigned long nr, unsigned long *reclaimed);

/* Memory and swap of a machine, for tools and tests. */
struct anonvm_meminfo {
	unsigned long ram_frames;     /* frames of RAM, the zero page's included */
	unsigned long frames_in_use;  /* live folios */
	unsigned long lru_inactive, lru_active; /* anonymous folios on the LRU lists */
	unsigned long swap_slots;     /* usable swap slots */
	unsigned long swap_in_use;    /* slots in use */
	unsigned long swap_cache;     /* folios in the swap cache */
	unsigned long swap_outs, swap_ins; /* pages written to / read from swap so far */
	unsigned long migrated;       /* pages migrated so far */
};
ANONVM_EXPORT void anonvm_meminfo(struct anonvm *vm, struct anonvm_meminfo *info);

/* Inspection (a stable view for dumps and tools). */
struct anonvm_vma_info {
	unsigned long start, end; /* [start, end) */
	unsigned long pgoff;
	unsigned long flags; /* Linux VM_* bits */
	int prot;            /* ANONVM_PROT_* */
	bool shared;         /* VM_MAYSHARE: printed as 's' */
	bool has_anon_vma;
};

/* The first VMA that ends above addr: 0, or -ENOENT when there is none. */
ANONVM_EXPORT int anonvm_vma_next(struct anonvm_mm *mm, unsigned long addr,
				  struct anonvm_vma_info *info);

enum anonvm_page_kind {
	ANONVM_PAGE_NONE = 0, /* nothing present */
	ANONVM_PAGE_ZERO,     /* the shared zero page */
	ANONVM_PAGE_ANON,     /* an anonymous folio */
	ANONVM_PAGE_SHMEM,    /* a page of a shared anonymous mapping */
	ANONVM_PAGE_SWAP,     /* a swap entry */
};

struct anonvm_page_info {
	enum anonvm_page_kind kind;
	unsigned long frame;    /* frame number: equal for the same physical page */
	unsigned int mapcount;  /* PTEs mapping the frame (/proc/kpagecount) */
	bool anon_exclusive;    /* PageAnonExclusive / pte_swp_exclusive */
	bool writable, young, dirty;
	const void *data;       /* the frame's 4096 bytes, NULL in metadata-only mode */
};

ANONVM_EXPORT int anonvm_page_query(struct anonvm_mm *mm, unsigned long addr,
				    struct anonvm_page_info *info);
/*
 * The first page at or above addr and below end that is not ANONVM_PAGE_NONE: 0 with *addrp
 * its address and *info as anonvm_page_query gives it, or -ENOENT when there is none. Its
 * cost follows the page tables present, not the length of the range (a dump of an empty
 * 4 TiB mapping is immediate).
 */
ANONVM_EXPORT int anonvm_page_next(struct anonvm_mm *mm, unsigned long addr, unsigned long end,
				   unsigned long *addrp, struct anonvm_page_info *info);

/*
 * The reverse-map walk of reclaim's referenced check (folio_referenced) on the anonymous page
 * mapped at addr: every PTE mapping it is found through the rmap, its young bit tested and
 * cleared. -ENOENT when no anonymous page is mapped there.
 */
struct anonvm_referenced {
	int referenced;             /* young PTEs found (-1: anon_vma lock contended) */
	unsigned long vm_flags;     /* VM_* of the VMAs where it was young; VM_LOCKED (0x2000)
				     * when a locked VMA stopped the walk */
	unsigned long vmas_visited; /* VMAs the walk looked at */
	unsigned long ptes_probed;  /* PTEs it read */
};
ANONVM_EXPORT int anonvm_page_referenced(struct anonvm_mm *mm, unsigned long addr,
					 struct anonvm_referenced *r);

/*
 * Out of memory. A user access that needs a page when none is left (RAM, or the memory
 * cgroup's limit) fails with -ENOMEM; the kernel would then run the OOM killer, which kills
 * the process with the highest badness: oom_badness() = resident pages + swap entries + page
 * tables (in pages), oom_score_adj 0; among equals the one created last. anonvm_oom_badness
 * gives that number; the caller kills the victim (anonvm_exit) and retries, as
 * `anonvm run` does.
 */
ANONVM_EXPORT long anonvm_oom_badness(struct anonvm_mm *mm);

/* Debugging. */
/*
 * Runs every invariant check; 0 when all hold, else -EUCLEAN with a report written to out.
 * The machine must be quiescent (no call in flight). `anonvm run --validate` runs it after
 * every command of a script.
 */
ANONVM_EXPORT int anonvm_check(struct anonvm *vm, FILE *out);
ANONVM_EXPORT void anonvm_stats_print(struct anonvm *vm, FILE *out);
/* The counter of that name (as `stats` prints it: "pswpout", "rmap_vmas_visited"...). 0, -ENOENT. */
ANONVM_EXPORT int anonvm_stat(struct anonvm *vm, const char *name, unsigned long *value);
ANONVM_EXPORT int anonvm_dot(struct anonvm *vm, FILE *out);

/*
 * Lock contention, for benchmarks: acquisitions of a lock that found it held and waited,
 * and the ns they waited. Per machine through anonvm_stat ("anon_vma_lock_contended",
 * "anon_vma_lock_wait_ns": every anon_vma root lock of the machine; "mmap_lock_contended",
 * "mmap_lock_wait_ns": every mmap_lock); per calling thread, over every machine, here.
 */
struct anonvm_lock_waits {
	unsigned long anon_vma_contended, anon_vma_wait_ns;
	unsigned long mmap_lock_contended, mmap_lock_wait_ns;
};
ANONVM_EXPORT void anonvm_thread_lock_waits(struct anonvm_lock_waits *waits);

/*
 * Allocation seam: the nth allocation from now fails (n >= 1), once; 0 disables.
 * anonvm_fail_fired: whether that failure has happened since the last anonvm_fail_nth.
 */
ANONVM_EXPORT void anonvm_fail_nth(long n);
ANONVM_EXPORT bool anonvm_fail_fired(void);

/* Live objects of every kind, summed over all machines of this program. */
struct anonvm_live {
	long mm, vma, maple_node, anon_vma, avc, folio, pgtable, shmem, other;
	/* bytes of the fixed-size ones: mm, vma, maple_node, anon_vma, avc, pgtable, and the
	 * folio descriptors */
	long bytes;
};
ANONVM_EXPORT void anonvm_live_objects(struct anonvm_live *live);
/* Waits until every object freed after an RCU grace period is freed. */
ANONVM_EXPORT void anonvm_quiesce(void);

#ifdef __cplusplus
}
#endif
#endif
