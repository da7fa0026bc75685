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
 * pages up with the PTE lock held).
 */
#include <errno.h>

#include "alloc.h"
#include "memory.h"

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

static void shmem_put_cached(void *entry, void *arg)
{
	folio_put(arg, entry);
}

void shmem_file_put(struct shmem_file *file)
{
	if (atomic_fetch_sub(&file->refcount, 1) != 1)
		return;
	/* the last reference: nobody else can look at pages any more */
	xa_destroy(&file->pages, shmem_put_cached, file->ram);
	vm_unacct_memory(file->vm, file->charged);
	spin_lock_destroy(&file->lock);
	av_free(AV_OBJ_SHMEM, file);
}

struct folio *shmem_find_folio(struct shmem_file *file, unsigned long pgoff)
{
	struct folio *folio = NULL;

	spin_lock(&file->lock);
	folio = xa_load(&file->pages, pgoff);
	spin_unlock(&file->lock);
	return folio;
}

int shmem_get_folio(struct shmem_file *file, unsigned long pgoff, struct folio **foliop)
{
	struct folio *folio, *new;
	int ret = 0;

	if (pgoff >= file->nr_pages)
		return -EIO; /* VM_FAULT_SIGBUS: past the object's end */
	folio = shmem_find_folio(file, pgoff);
	if (folio)
		goto out;
	new = folio_alloc_uptodate(file->ram, NULL);
	if (!new)
		return -ENOMEM;
	new->mapping = (uintptr_t)file;
	new->index = pgoff;
	/* the index may need nodes: allocated under the lock (a spinlock of this object
	 * only, never held with the PTE lock while allocating) */
	spin_lock(&file->lock);
	folio = xa_load(&file->pages, pgoff);
	if (!folio) {
		ret = xa_insert(&file->pages, pgoff, new);
		folio = new;
	}
	spin_unlock(&file->lock);
	if (folio != new || ret)
		folio_put(file->ram, new); /* another fault won the race, or no memory */
	if (ret)
		return ret;
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
		folio_put(file->ram, folio); /* the cache's reference */
		if (index++ == end - 1)
			break;
	}
}
