// SPDX-License-Identifier: GPL-2.0-only
/*
 * shmem.c: shared anonymous mappings (MAP_SHARED | MAP_ANONYMOUS). As in Linux
 * (shmem_zero_setup), each such mmap creates one object, struct shmem_file, that every VMA
 * made from it (split, mremap, fork) references through vm_file. Its page cache holds the
 * pages by file offset (pgoff = linear_page_index(vma, addr); a shared anonymous mmap has
 * vm_pgoff 0).
 *
 * The page cache is sparse (struct xarray, as the kernel's i_pages): an object costs memory
 * and time for the pages it holds, not for its size, so a 4 TiB `shared noreserve` mapping
 * is as cheap as a small one until it is touched.
 *
 * Invariants:
 *   refcount == VMAs whose vm_file is this file (+ temporary references);
 *   charged == nr_pages unless made with MAP_NORESERVE (then 0), held in the commit charge
 *   (util.c) until the file is freed;
 *   pages[i] != NULL  =>  i < nr_pages, pages[i]->mapping == (uintptr_t)file,
 *                         pages[i]->index == i, and the cache holds one reference of pages[i];
 *   pages[i]->mapcount == PTEs mapping it (memory.c); size never changes (the kernel's i_size
 *   of a shared anonymous mapping stays the size of the mmap: a fault beyond it is SIGBUS).
 * Pages leave the cache when the file is freed, or by hole punching (MADV_REMOVE:
 * shmem_punch_hole, after the caller unmapped them from every VMA); no swap yet.
 *
 * Locks: file->lock guards pages[]; it nests inside the page-table lock (fault-around looks
 * pages up with the PTE lock held) and inside the folio lock. A folio leaves the cache for
 * good (truncation, shmem_put_cached) under its folio lock, with only mmap_lock held.
 */
#include <errno.h>

#include "alloc.h"
#include "memory.h"
#include "reclaim/swap.h"

int shmem_zero_setup(struct vm_area_struct *vma)
{
	struct anonvm *vm = vma->vm_mm->vm;
	unsigned long charged = vma->vm_flags & VM_NORESERVE ? 0 : vma_pages(vma);
	struct shmem_file *file;

	/* shmem_acct_size: the whole object is charged unless MAP_NORESERVE */
	if (charged && __vm_enough_memory(vm, charged))
		return -ENOMEM;
	file = av_alloc(AV_OBJ_SHMEM, sizeof(*file));
	if (!file) {
		vm_unacct_memory(vm, charged);
		return -ENOMEM;
	}
	file->nr_pages = vma_pages(vma);
	file->charged = charged;
	xa_init(&file->pages);
	file->ram = vm->ram;
	file->vm = vm;
	atomic_store(&file->refcount, 1);
	spin_lock_init(&file->lock);
	vma->vm_file = file;
	return 0;
}

struct shmem_file *shmem_file_get(struct shmem_file *file)
{
	atomic_fetch_add(&file->refcount, 1);
	return file;
}

/*
 * One entry of the page cache let go (it has left pages[]): a folio's reference, or a
 * swapped page's slot. A folio is truncated under its lock, as truncate_inode_folio does:
 * reclaim may hold it isolated (a reference of its own) and locked, and it reads
 * folio->mapping under that lock to reach the file (shmem_writeout); once mapping is
 * cleared, reclaim leaves the folio alone, so the file may be freed after this returns.
 */
static void shmem_put_cached(void *entry, void *arg)
{
	struct shmem_file *file = arg;
	struct folio *folio = entry;

	if (xa_is_value(entry)) {
		free_swap_and_cache(file->vm, (swp_entry_t){ xa_to_value(entry) });
		return;
	}
	folio_lock(folio);
	folio->mapping = 0;
	folio_unlock(folio);
	folio_put(file->ram, folio);
}

void shmem_file_put(struct shmem_file *file)
{
	if (atomic_fetch_sub(&file->refcount, 1) != 1)
		return;
	/*
	 * The last reference: no VMA maps the file any more, but reclaim may still reach it
	 * through a folio it isolated before (folio->mapping) and look pages[] up under
	 * file->lock: every entry is erased under that lock, and every folio truncated under
	 * its own lock (shmem_evict_inode's truncation), before the file goes.
	 */
	shmem_punch_hole(file, 0, file->nr_pages);
	vm_unacct_memory(file->vm, file->charged);
	spin_lock_destroy(&file->lock);
	av_free(AV_OBJ_SHMEM, file);
}

struct folio *shmem_find_folio(struct shmem_file *file, unsigned long pgoff)
{
	struct folio *folio = NULL;

	spin_lock(&file->lock);
	folio = xa_load(&file->pages, pgoff);
	/* swapped out (a value): not in memory; being freed: as good as gone */
	if (xa_is_value(folio) || (folio && !folio_try_get(folio)))
		folio = NULL;
	spin_unlock(&file->lock);
	return folio;
}

/* Is folio (locked) still the page cache's page at pgoff? */
static bool shmem_folio_is(struct shmem_file *file, struct folio *folio, unsigned long pgoff)
{
	return folio->mapping == (uintptr_t)file && folio->index == pgoff;
}

bool shmem_lock_folio(struct shmem_file *file, struct folio *folio, unsigned long pgoff,
		      bool trylock)
{
	if (trylock ? !folio_trylock(folio) : (folio_lock(folio), false))
		return false;
	if (shmem_folio_is(file, folio, pgoff))
		return true;
	folio_unlock(folio);
	return false;
}

/*
 * shmem_swapin_folio: the page at pgoff was swapped out (value holds its swap entry): read
 * it back (swapin_folio), and put it in the page cache in place of the entry; the slot is
 * then freed. 0 and *foliop, locked and referenced; -EAGAIN when the entry changed meanwhile
 * (look again); -ENOMEM, -EIO.
 */
static int shmem_swapin_folio(struct shmem_file *file, unsigned long pgoff, void *value,
			      struct folio **foliop)
{
	swp_entry_t entry = { xa_to_value(value) };
	struct anonvm *vm = file->vm;
	struct folio *folio;
	bool same;
	int err = 0;

	folio = swapin_folio(vm, entry, &err);
	if (!folio)
		return err;
	spin_lock(&file->lock);
	same = xa_load(&file->pages, pgoff) == value;
	if (same) {
		folio_get(folio); /* the page cache's reference */
		xa_replace(&file->pages, pgoff, folio);
		folio->mapping = (uintptr_t)file;
		folio->index = pgoff;
	}
	spin_unlock(&file->lock);
	if (!same) {
		folio_unlock(folio);
		folio_put(file->ram, folio);
		return -EAGAIN;
	}
	swap_free(vm, entry); /* the page cache's hold on the slot */
	delete_from_swap_cache(vm, folio);
	folio_set_flag(folio, PG_dirty);
	*foliop = folio; /* locked, with our reference */
	return 0;
}

int shmem_writeout(struct folio *folio)
{
	struct shmem_file *file = (struct shmem_file *)folio->mapping;
	struct anonvm *vm = file->vm;
	unsigned long pgoff = folio->index;
	swp_entry_t entry;
	bool same;
	int ret;

	VM_BUG_ON(!folio_test_flag(folio, PG_locked) || folio_mapped(folio));
	ret = folio_alloc_swap(vm, folio); /* into the swap cache, dirty */
	if (ret)
		return ret;
	entry = folio_swap_entry(folio);
	spin_lock(&file->lock);
	same = xa_load(&file->pages, pgoff) == folio;
	if (same) {
		swap_duplicate(vm, entry); /* the page cache's hold on the slot */
		xa_replace(&file->pages, pgoff, xa_mk_value(entry.val));
		folio->mapping = 0; /* a swap-cache folio now */
	}
	spin_unlock(&file->lock);
	if (!same) {
		delete_from_swap_cache(vm, folio);
		return -EAGAIN;
	}
	/*
	 * The page cache's reference: the swap cache has one. Not file->ram: once the entry
	 * is a swap value, truncation no longer waits for our folio lock, and the file may be
	 * freed as soon as its lock is dropped.
	 */
	folio_put(vm->ram, folio);
	return 0;
}

int shmem_get_folio(struct shmem_file *file, unsigned long pgoff, struct folio **foliop)
{
	struct folio *folio, *new;
	int ret = 0;

	if (pgoff >= file->nr_pages)
		return -EIO; /* VM_FAULT_SIGBUS: past the object's end */
again:
	spin_lock(&file->lock);
	folio = xa_load(&file->pages, pgoff);
	if (folio && !xa_is_value(folio) && !folio_try_get(folio))
		folio = NULL; /* being freed: it leaves the cache at once */
	spin_unlock(&file->lock);
	if (xa_is_value(folio)) {
		ret = shmem_swapin_folio(file, pgoff, folio, &folio);
		if (ret == -EAGAIN)
			goto again;
		if (ret)
			return ret;
		goto out;
	}
	if (folio) {
		if (shmem_lock_folio(file, folio, pgoff, false))
			goto out;
		folio_put(file->ram, folio); /* swapped out while we waited */
		goto again;
	}
	new = folio_alloc_uptodate(file->ram, NULL);
	if (!new)
		return -ENOMEM;
	new->mapping = (uintptr_t)file;
	new->index = pgoff;
	folio_trylock(new); /* not visible yet: it succeeds */
	/* the index may need nodes: allocated under the lock (a spinlock of this object
	 * only, never held with the PTE lock while allocating) */
	spin_lock(&file->lock);
	folio = xa_load(&file->pages, pgoff);
	if (!folio) {
		ret = xa_insert(&file->pages, pgoff, new);
		folio = new;
	}
	spin_unlock(&file->lock);
	if (folio != new || ret) {
		folio_unlock(new);
		folio_put(file->ram, new); /* another fault won the race, or no memory */
	}
	if (ret)
		return ret;
	if (folio != new)
		goto again; /* look at the winner's page */
	folio_get(new); /* the caller's: the allocation's is the cache's */
	folio_add_lru(file->ram, new);
out:
	*foliop = folio;
	return 0;
}

void shmem_punch_hole(struct shmem_file *file, unsigned long start, unsigned long end)
{
	unsigned long index = start;
	struct folio *folio;

	if (start >= end)
		return;
	for (;;) {
		spin_lock(&file->lock);
		folio = xa_find(&file->pages, &index, end - 1);
		if (folio)
			xa_erase(&file->pages, index);
		spin_unlock(&file->lock);
		if (!folio)
			break;
		shmem_put_cached(folio, file); /* the cache's reference, or the slot */
		if (index++ == end - 1)
			break;
	}
}
