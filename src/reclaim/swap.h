/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reclaim, swap and migration (docs/semantics.md §3, §4; kernel counterparts
 * include/linux/swap.h, mm/swap.h): the LRU lists, the swap device and its swap cache,
 * the shrinker of folio lists, and page migration. Every user of the reverse-map walk that
 * is not the referenced check lives here or in rmap/rmap.c (try_to_unmap, try_to_migrate).
 *
 * Owners: reclaim/lru.c (struct lruvec), reclaim/swapfile.c (struct swap_info_struct: the
 * slots and their I/O), reclaim/swap_state.c (the swap cache), reclaim/vmscan.c
 * (shrink_folio_list, reclaim_pages, try_to_free_pages), reclaim/migrate.c.
 *
 * Lock order (docs/semantics.md §3): folio lock > anon_vma root rwsem > page-table lock >
 * swap_info->lock, lruvec->lru_lock (leaves; never both at once).
 */
#ifndef ANONVM_SWAP_H
#define ANONVM_SWAP_H

#include "memory.h"
#include "rmap.h"

/* ---- LRU (reclaim/lru.c; mm/swap.c) --------------------------------------------------------- */

void lruvec_init(struct lruvec *lruvec);
/*
 * A new folio goes on the inactive list (folio_add_lru_vma): an anonymous one, or a swap-cache
 * folio being read in (mapped later).
 */
void folio_add_lru(struct ram *ram, struct folio *folio);
/*
 * folio_isolate_lru: take folio off its list, holding a reference for the isolator. False
 * when it is on no list (already isolated, being freed).
 */
bool folio_isolate_lru(struct ram *ram, struct folio *folio) __must_check;
/* Back on the list PG_active names (folio_putback_lru), dropping the isolation reference. */
void folio_putback_lru(struct ram *ram, struct folio *folio);
/* MADV_COLD: to the inactive list, unreferenced (folio_deactivate). */
void folio_deactivate(struct ram *ram, struct folio *folio);
/* The final puts of nr folios: each off the list it is on (refcounts at 0), one lock for all. */
void lru_del_freed(struct ram *ram, struct folio **folios, unsigned int nr);

/* ---- the swap device (reclaim/swapfile.c; mm/swapfile.c, mm/page_io.c) ----------------- */

/*
 * swap_map[slot]: PTE references (swap entries in page tables) | SWAP_HAS_CACHE. The count
 * is as wide as a folio's mapcount, which every PTE naming the slot once counted in: no
 * number of forks can carry it over (the kernel's map is a byte, continued on extra pages by
 * add_swap_count_continuation; a 16-bit count here wrapped after 32,767 sharers).
 */
#define SWAP_HAS_CACHE 0x80000000U
#define SWAP_MAP_MAX 0x7fffffffU

/*
 * The machine's one swap device (type 0): a file of 4 KiB slots, slot 0 reserved as the
 * header (as mkswap makes it). The file is created on the first write, unlinked (O_TMPFILE
 * in anonvm_config.swap_dir), and read and written with pread/pwrite; in metadata-only mode
 * there is no file and no I/O.
 *
 * Invariants (lock): swap_map[s] == 0 <=> slot s free; (swap_map[s] & SWAP_HAS_CACHE) <=>
 * cache[s] != NULL <=> cache[s] has PG_swapcache and folio->private == swp_entry(0, s);
 * inuse_pages == |{s : swap_map[s] != 0}|; the swap cache holds one reference of each of
 * its folios; (swap_map[s] & SWAP_MAP_MAX) == swap PTEs naming slot s (the validator).
 */
struct swap_info_struct {
	spinlock_t lock;
	unsigned long max;        /* slots, the header included */
	unsigned int *swap_map;   /* per slot; lock */
	struct folio **cache;     /* the swap cache (mm/swap_state.c's address space); lock */
	unsigned long inuse_pages; /* lock */
	unsigned long nr_cache;   /* folios in the swap cache; lock */
	unsigned long cluster_next; /* where the search for a free slot starts; lock */
	unsigned long highest_bit; /* no slot above it was ever used (the validator's bound); lock */
	int fd;                   /* the file, -1 until the first write; lock */
	const char *dir;          /* where the file is made */
	bool io;                  /* frames have contents (not metadata-only) */
};

/* The machine's swap device (0 or -ENOMEM); swap_bytes 0 makes a device with no slots. */
int swap_init(struct anonvm *vm) __must_check;
void swap_destroy(struct anonvm *vm);

static inline swp_entry_t folio_swap_entry(const struct folio *folio)
{
	return (swp_entry_t){ folio->private };
}

/*
 * folio_alloc_swap (add_to_swap): a free slot for folio, which enters the swap cache with it
 * (PG_swapcache, the cache's reference, PG_dirty: it must be written). Folio locked, on no
 * list (isolated). -ENOMEM: the device is full.
 */
int folio_alloc_swap(struct anonvm *vm, struct folio *folio) __must_check;
/* One more swap PTE names entry (fork: swap_duplicate). */
void swap_duplicate(struct anonvm *vm, swp_entry_t entry);
/* One swap PTE less (swap_free): the slot is freed when nothing else holds it. */
void swap_free(struct anonvm *vm, swp_entry_t entry);
/* Swap PTEs naming entry (__swap_count). */
unsigned int __swap_count(struct anonvm *vm, swp_entry_t entry);
/* Does a swap PTE still name the folio's slot (folio_swapped)? Folio in the swap cache. */
bool folio_swapped(struct anonvm *vm, struct folio *folio);
/*
 * folio_free_swap: if no swap PTE names its slot any more, folio leaves the swap cache and
 * the slot is freed. Folio locked. True when it did.
 */
bool folio_free_swap(struct anonvm *vm, struct folio *folio);
/*
 * free_swap_and_cache: a swap PTE was zapped: one reference less, and a swap-cache folio
 * that nothing maps any more leaves the cache (if its lock can be had).
 */
void free_swap_and_cache(struct anonvm *vm, swp_entry_t entry);
/*
 * Every swap-cache folio that nothing maps and no swap PTE names leaves the cache, its lock
 * waited for (__try_to_reclaim_swap on each slot): the orphans free_swap_and_cache could not
 * lock. For a machine's teardown, once every process has exited.
 */
void try_to_reclaim_swap_cache(struct anonvm *vm);
/* vm_swap_full: more than half the slots are used. */
bool vm_swap_full(struct anonvm *vm);

/* The folio's 4 KiB to its slot / from entry's slot. 0 or -EIO. */
int swap_write_folio(struct anonvm *vm, struct folio *folio) __must_check;
int swap_read_folio(struct anonvm *vm, struct folio *folio, swp_entry_t entry) __must_check;

/* The slot's folio left the swap cache: the slot is freed if no swap PTE names it. si->lock. */
void swap_map_clear_cache(struct swap_info_struct *si, unsigned long s);

/* ---- the swap cache (reclaim/swap_state.c; mm/swap_state.c) ------------------------------- */

/* The folio of entry's slot with a reference taken, or NULL. */
struct folio *swap_cache_get_folio(struct anonvm *vm, swp_entry_t entry);
/*
 * swapin: the folio holding entry's contents, referenced and locked: from the swap cache, or
 * a new folio read from the slot and added to the cache (and to the LRU). NULL with *err
 * set: -ENOMEM (no frame), -EIO, or -EAGAIN when the entry was freed meanwhile (the caller
 * re-reads its PTE). No lock held by the caller but its mmap_lock or VMA lock.
 */
struct folio *swapin_folio(struct anonvm *vm, swp_entry_t entry, int *err);
/*
 * The folio leaves the swap cache (its slot may then be freed), and the cache's reference is
 * dropped; __delete_from_swap_cache leaves the reference to the caller, whose count is frozen
 * (__remove_mapping). Folio locked.
 */
void delete_from_swap_cache(struct anonvm *vm, struct folio *folio);
void __delete_from_swap_cache(struct anonvm *vm, struct folio *folio);
/*
 * Migration: new takes old's place in the swap cache, with a reference of its own; old's
 * count is frozen, and the caller unfreezes it without the cache's. Both locked.
 */
void swap_cache_replace_folio(struct anonvm *vm, struct folio *old, struct folio *new);

/* ---- reclaim (reclaim/vmscan.c; mm/vmscan.c) -------------------------------------------- */

/*
 * reclaim_pages (MADV_PAGEOUT): shrink the isolated folios of folio_list ignoring their
 * referenced bits; the ones not reclaimed go back to the LRU. The number reclaimed.
 */
unsigned long reclaim_pages(struct anonvm *vm, struct list_head *folio_list);
/*
 * try_to_free_pages: direct reclaim when the frame allocator ran dry: age the active list,
 * shrink the inactive one, until nr frames are freed or nothing more can be. The number
 * freed. Called with no page-table, anon_vma, folio or LRU lock held.
 */
unsigned long try_to_free_pages(struct anonvm *vm, unsigned long nr);

/* ---- migration (reclaim/migrate.c; mm/migrate.c) ---------------------------------------- */

/*
 * Move folio (anonymous, isolated from the LRU by the caller, whose isolation reference it
 * takes over) to a new frame: every PTE the rmap walk finds becomes a migration entry, the
 * contents and state move, the entries become PTEs of the new folio, the old frame is freed.
 * 0; -EBUSY (not mapped any more, pinned, or a mapping could not be replaced: nothing
 * changed, the folio is back on the LRU); -ENOMEM.
 */
int migrate_folio(struct anonvm *vm, struct folio *folio) __must_check;
/* A fault met a migration entry: wait until the migration is over (migration_entry_wait). */
void migration_entry_wait(void);

#endif
