// SPDX-License-Identifier: GPL-2.0-only
/*
 * shmem.c: shared anonymous mappings (MAP_SHARED | MAP_ANONYMOUS). As in Linux
 * (shmem_zero_setup), each such mmap creates one object, struct shmem_file, that every VMA
 * made from it (split, mremap, fork) references through vm_file. Its page cache holds the
 * pages by file offset (pgoff = linear_page_index(vma, addr); a shared anonymous mmap has
 * vm_pgoff 0).
 *
 * Invariants:
 *   refcount == VMAs whose vm_file is this file (+ temporary references);
 *   pages[i] != NULL  =>  pages[i]->mapping == (uintptr_t)file, pages[i]->index == i, and the
 *                         cache holds one reference of pages[i];
 *   pages[i]->mapcount == PTEs mapping it (memory.c); size never changes (the kernel's i_size
 *   of a shared anonymous mapping stays the size of the mmap: a fault beyond it is SIGBUS).
 * Pages leave the cache only when the file is freed (no truncation, hole punching or swap
 * yet).
 *
 * Locks: file->lock guards pages[]; it nests inside the page-table lock (fault-around looks
 * pages up with the PTE lock held).
 */
#include <errno.h>

#include "alloc.h"
#include "memory.h"

int shmem_zero_setup(struct vm_area_struct *vma)
{
	struct shmem_file *file;

	file = av_alloc(AV_OBJ_SHMEM, sizeof(*file));
	if (!file)
		return -ENOMEM;
	file->nr_pages = vma_pages(vma);
	file->pages = av_alloc(AV_OBJ_OTHER, file->nr_pages * sizeof(*file->pages));
	if (!file->pages) {
		av_free(AV_OBJ_SHMEM, file);
		return -ENOMEM;
	}
	file->ram = vma->vm_mm->vm->ram;
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

void shmem_file_put(struct shmem_file *file)
{
	unsigned long i;

	if (atomic_fetch_sub(&file->refcount, 1) != 1)
		return;
	for (i = 0; i < file->nr_pages; i++) {
		if (file->pages[i])
			folio_put(file->ram, file->pages[i]);
	}
	spin_lock_destroy(&file->lock);
	av_free(AV_OBJ_OTHER, file->pages);
	av_free(AV_OBJ_SHMEM, file);
}

struct folio *shmem_find_folio(struct shmem_file *file, unsigned long pgoff)
{
	struct folio *folio = NULL;

	spin_lock(&file->lock);
	if (pgoff < file->nr_pages)
		folio = file->pages[pgoff];
	spin_unlock(&file->lock);
	return folio;
}

int shmem_get_folio(struct shmem_file *file, unsigned long pgoff, struct folio **foliop)
{
	struct folio *folio, *new;

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
	spin_lock(&file->lock);
	folio = file->pages[pgoff];
	if (!folio)
		folio = file->pages[pgoff] = new;
	spin_unlock(&file->lock);
	if (folio != new)
		folio_put(file->ram, new); /* another fault won the race */
out:
	*foliop = folio;
	return 0;
}
