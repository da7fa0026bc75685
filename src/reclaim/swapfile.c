// SPDX-License-Identifier: GPL-2.0-only
/*
 * reclaim/swapfile.c: the machine's swap device (kernel: mm/swapfile.c, mm/page_io.c):
 * slot allocation, the per-slot counts of swap PTEs, and the I/O to a real file.
 *
 * Slots: swap_map[s] counts the swap PTEs that name slot s, plus SWAP_HAS_CACHE while a
 * folio for s is in the swap cache (reclaim/swap_state.c). A slot is free when its map is 0.
 * Slot 0 is the header and never handed out, so no swap entry is all zero.
 *
 * The file: made on the first write with O_TMPFILE in the configured directory (so it
 * vanishes with the process), sized by ftruncate (sparse); a folio's 4 KiB go to offset
 * slot * 4096 with pwrite and come back with pread. Metadata-only machines have no file.
 *
 * Invariants: see struct swap_info_struct (swap.h); the validator checks them against every
 * swap PTE of every mm.
 *
 * Locks: si->lock guards the map, the cache and the counters; a leaf lock (taken under the
 * page-table lock by zap and fork, never with the LRU lock). The I/O runs with the folio
 * locked and no other lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>

#include "alloc.h"
#include "swap.h"

static inline struct swap_info_struct *swap_info(struct anonvm *vm)
{
	return vm->swap;
}

int swap_init(struct anonvm *vm)
{
	unsigned long slots = vm->cfg.swap_bytes >> PAGE_SHIFT;
	struct swap_info_struct *si;

	si = av_alloc(AV_OBJ_OTHER, sizeof(*si));
	if (!si)
		return -ENOMEM;
	si->max = slots ? slots + 1 : 0; /* + the header */
	if (si->max) {
		si->swap_map = av_alloc(AV_OBJ_OTHER, si->max * sizeof(*si->swap_map));
		si->cache = av_alloc(AV_OBJ_OTHER, si->max * sizeof(*si->cache));
		if (!si->swap_map || !si->cache) {
			av_free(AV_OBJ_OTHER, si->swap_map);
			av_free(AV_OBJ_OTHER, si->cache);
			av_free(AV_OBJ_OTHER, si);
			return -ENOMEM;
		}
	}
	spin_lock_init(&si->lock);
	si->cluster_next = 1;
	si->fd = -1;
	si->dir = vm->cfg.swap_dir ? vm->cfg.swap_dir : getenv("TMPDIR");
	if (!si->dir)
		si->dir = "/tmp";
	si->io = !vm->cfg.metadata_only;
	vm->swap = si;
	return 0;
}

void swap_destroy(struct anonvm *vm)
{
	struct swap_info_struct *si = swap_info(vm);

	if (!si)
		return;
	VM_BUG_ON(si->inuse_pages);
	if (si->fd >= 0)
		close(si->fd);
	spin_lock_destroy(&si->lock);
	av_free(AV_OBJ_OTHER, si->swap_map);
	av_free(AV_OBJ_OTHER, si->cache);
	av_free(AV_OBJ_OTHER, si);
	vm->swap = NULL;
}

/* A free slot marked SWAP_HAS_CACHE, or 0 when the device is full. si->lock held. */
static unsigned long scan_swap_map(struct swap_info_struct *si)
{
	unsigned long s = si->cluster_next;

	if (si->max <= 1)
		return 0;
	for (unsigned long n = 1; n < si->max; n++, s++) {
		if (s >= si->max)
			s = 1;
		if (!si->swap_map[s]) {
			si->swap_map[s] = SWAP_HAS_CACHE;
			si->inuse_pages++;
			si->cluster_next = s + 1;
			if (s > si->highest_bit)
				si->highest_bit = s;
			return s;
		}
	}
	return 0;
}

/* The map of slot s dropped to 0: free it. si->lock held. */
static void swap_slot_free(struct swap_info_struct *si, unsigned long s)
{
	si->inuse_pages--;
	if (s < si->cluster_next)
		si->cluster_next = s; /* reuse low slots first */
}

void swap_map_clear_cache(struct swap_info_struct *si, unsigned long s)
{
	si->swap_map[s] &= ~SWAP_HAS_CACHE;
	if (!si->swap_map[s])
		swap_slot_free(si, s);
}

int folio_alloc_swap(struct anonvm *vm, struct folio *folio)
{
	struct swap_info_struct *si = swap_info(vm);
	unsigned long s;

	VM_BUG_ON(!folio_test_flag(folio, PG_locked) || folio_test_flag(folio, PG_swapcache));
	spin_lock(&si->lock);
	s = scan_swap_map(si);
	if (s) {
		/* the swap cache (swap_state.c's add_to_swap_cache, inline: one lock) */
		folio_get(folio);
		folio->private = swp_entry(0, s).val;
		folio_set_flag(folio, PG_swapcache);
		si->cache[s] = folio;
		si->nr_cache++;
	}
	spin_unlock(&si->lock);
	if (!s)
		return -ENOMEM;
	folio_set_flag(folio, PG_dirty); /* its contents are not on the device yet */
	return 0;
}

void swap_duplicate(struct anonvm *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info(vm);
	unsigned long s = swp_offset(entry);

	spin_lock(&si->lock);
	/* the slot is in use: named by swap PTEs, or (try_to_unmap's first) by the cache */
	VM_BUG_ON(s >= si->max || !si->swap_map[s] ||
		  (si->swap_map[s] & SWAP_MAP_MAX) == SWAP_MAP_MAX);
	si->swap_map[s]++;
	spin_unlock(&si->lock);
}

/* One reference of slot s dropped; the slot's map afterwards. si->lock held. */
static unsigned int __swap_entry_free(struct swap_info_struct *si, unsigned long s)
{
	VM_BUG_ON(s >= si->max || !(si->swap_map[s] & SWAP_MAP_MAX));
	if (!--si->swap_map[s])
		swap_slot_free(si, s);
	return si->swap_map[s];
}

void swap_free(struct anonvm *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info(vm);

	spin_lock(&si->lock);
	__swap_entry_free(si, swp_offset(entry));
	spin_unlock(&si->lock);
}

unsigned int __swap_count(struct anonvm *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info(vm);
	unsigned int count;

	spin_lock(&si->lock);
	count = si->swap_map[swp_offset(entry)] & SWAP_MAP_MAX;
	spin_unlock(&si->lock);
	return count;
}

bool folio_swapped(struct anonvm *vm, struct folio *folio)
{
	return __swap_count(vm, folio_swap_entry(folio)) > 0;
}

bool folio_free_swap(struct anonvm *vm, struct folio *folio)
{
	VM_BUG_ON(!folio_test_flag(folio, PG_locked));
	if (!folio_test_flag(folio, PG_swapcache) || folio_swapped(vm, folio))
		return false;
	delete_from_swap_cache(vm, folio);
	return true;
}

void free_swap_and_cache(struct anonvm *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info(vm);
	struct folio *folio = NULL;
	unsigned long s = swp_offset(entry);

	spin_lock(&si->lock);
	/* the last PTE reference, and the slot still has a folio: try to free it too */
	if (__swap_entry_free(si, s) == SWAP_HAS_CACHE && folio_try_get(si->cache[s]))
		folio = si->cache[s];
	spin_unlock(&si->lock);
	if (!folio)
		return;
	/*
	 * __try_to_reclaim_swap: an unmapped swap-cache folio nobody needs. When another
	 * thread holds its lock (reclaim, a migration, a swap-in whose PTE changed), it stays
	 * in the cache, an orphan on the LRU, for reclaim to free later, as in Linux.
	 */
	if (folio_trylock(folio)) {
		if (!folio_mapped(folio))
			folio_free_swap(vm, folio);
		folio_unlock(folio);
	}
	folio_put(vm->ram, folio);
}

void try_to_reclaim_swap_cache(struct anonvm *vm)
{
	struct swap_info_struct *si = swap_info(vm);
	unsigned long highest;

	spin_lock(&si->lock);
	highest = si->highest_bit; /* no slot above was ever used */
	spin_unlock(&si->lock);
	for (unsigned long s = 1; s <= highest; s++) {
		struct folio *folio = NULL;

		spin_lock(&si->lock);
		if (si->cache[s] && !(si->swap_map[s] & SWAP_MAP_MAX) &&
		    folio_try_get(si->cache[s]))
			folio = si->cache[s];
		spin_unlock(&si->lock);
		if (!folio)
			continue;
		folio_lock(folio);
		if (!folio_mapped(folio))
			folio_free_swap(vm, folio);
		folio_unlock(folio);
		folio_put(vm->ram, folio);
	}
}

bool vm_swap_full(struct anonvm *vm)
{
	struct swap_info_struct *si = swap_info(vm);
	bool full;

	spin_lock(&si->lock);
	full = si->max > 1 && si->inuse_pages * 2 > si->max - 1;
	spin_unlock(&si->lock);
	return full;
}

/* ---- I/O (mm/page_io.c) ------------------------------------------------------------------ */

/* The file, made on first use (two system calls, once, under si->lock). si->lock held. */
static int swap_file_open(struct swap_info_struct *si)
{
	int fd;

	if (si->fd >= 0)
		return 0;
	fd = open(si->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -EIO;
	if (ftruncate(fd, (off_t)si->max * PAGE_SIZE)) {
		close(fd);
		return -EIO;
	}
	si->fd = fd;
	return 0;
}

int swap_write_folio(struct anonvm *vm, struct folio *folio)
{
	struct swap_info_struct *si = swap_info(vm);
	off_t off = (off_t)swp_offset(folio_swap_entry(folio)) * PAGE_SIZE;
	int ret = 0;

	VM_BUG_ON(!folio_test_flag(folio, PG_locked) || !folio_test_flag(folio, PG_swapcache));
	if (si->io) {
		spin_lock(&si->lock);
		ret = swap_file_open(si);
		spin_unlock(&si->lock);
		if (!ret && pwrite(si->fd, folio_address(vm->ram, folio), PAGE_SIZE, off) !=
				    (ssize_t)PAGE_SIZE)
			ret = -EIO;
	}
	if (!ret) {
		folio_clear_flag(folio, PG_dirty);
		count_vm_event(vm, pswpout);
	}
	return ret;
}

int swap_read_folio(struct anonvm *vm, struct folio *folio, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info(vm);
	off_t off = (off_t)swp_offset(entry) * PAGE_SIZE;

	VM_BUG_ON(!folio_test_flag(folio, PG_locked));
	/* a slot is only read after it was written: the file exists */
	if (si->io && pread(si->fd, folio_address(vm->ram, folio), PAGE_SIZE, off) !=
			      (ssize_t)PAGE_SIZE)
		return -EIO;
	folio_set_flag(folio, PG_uptodate);
	count_vm_event(vm, pswpin);
	return 0;
}
