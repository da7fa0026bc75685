/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reference.h: a trivially correct model of what a process's memory holds, for the tests that
 * compare every byte a process sees with what it should see (test_integrity, test_stress).
 *
 * A struct ref_range models one window of one process's address space, [start, start +
 * nr_pages pages), page by page: mapped or not, its protection, its VM_WIPEONFORK and
 * VM_DONTCOPY advice, and its contents as a token. A token stands for 4096 bytes (ref_fill);
 * 0 stands for zeroes. A private page holds its token; a page of a shared anonymous mapping
 * names a page of a struct ref_shm (the shmem object), which every process mapping it sees.
 * VMAs are not modelled: a page carries its VMA's attributes. The system calls are modelled
 * as Linux 6.18 defines their effect on pages (mmap, munmap, mprotect, mremap, madvise, fork),
 * and ref_read_check / ref_write access the model and the library side by side.
 *
 * Every address and length given here is page aligned and lies in the range (asserted).
 * What the model cannot predict, the caller keeps out: ref_mremap is told only moves whose
 * source lies in one VMA, since VMA boundaries are not modelled.
 *
 * Invariants: a page that is not mapped has prot 0, no advice, no token and no object; a
 * shared page's pgoff may lie past its object's end (the object is not grown by mremap):
 * an access there is SIGBUS; shm->refs == pages of all ranges naming shm.
 *
 * Locks: none. A range and the objects its pages name belong to one thread at a time (the
 * test's owner of that window; the checker while the owners wait at a barrier).
 */
#ifndef ANONVM_TEST_REFERENCE_H
#define ANONVM_TEST_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anonvm/anonvm.h"

/* The contents of a shared anonymous mapping (its shmem object). */
struct ref_shm {
	unsigned long refs;	/* pages of ranges that name this object */
	unsigned long nr_pages; /* i_size in pages: an access at or past it is SIGBUS */
	uint64_t token[];	/* per page of the object; 0: zeroes */
};

#define REF_WIPEONFORK 0x1 /* VM_WIPEONFORK: the child sees zeroes */
#define REF_DONTFORK 0x2   /* VM_DONTCOPY: the child has nothing mapped there */

struct ref_page {
	struct ref_shm *shm; /* a shared mapping's object, NULL for a private page */
	union {
		uint64_t token;	     /* private: the contents */
		unsigned long pgoff; /* shared: the page of shm */
	};
	bool mapped;
	uint8_t prot;  /* ANONVM_PROT_* */
	uint8_t flags; /* REF_WIPEONFORK, REF_DONTFORK */
};

struct ref_range {
	unsigned long start, nr_pages;
	struct ref_page *page;
};

/* The 4096 bytes a page holding token shows. */
void ref_fill(unsigned char *page, uint64_t token);

/* An empty range (nothing mapped) / its end; ref_destroy drops what it maps. */
void ref_init(struct ref_range *r, unsigned long start, unsigned long nr_pages);
void ref_destroy(struct ref_range *r);
static inline unsigned long ref_end(const struct ref_range *r)
{
	return r->start + r->nr_pages * ANONVM_PAGE_SIZE;
}

/* The page at addr. */
struct ref_page *ref_page(const struct ref_range *r, unsigned long addr);

/* The range a child gets at fork: DONTFORK pages unmapped, WIPEONFORK pages zeroes. */
void ref_fork(struct ref_range *child, const struct ref_range *parent);

/* The system calls: each returns what Linux returns, and applies the effect when it has one. */
int ref_mmap(struct ref_range *r, unsigned long addr, unsigned long len, int prot, int flags);
void ref_munmap(struct ref_range *r, unsigned long addr, unsigned long len);
int ref_mprotect(struct ref_range *r, unsigned long addr, unsigned long len, int prot);
/* DONTNEED, COLD, PAGEOUT, WIPEONFORK, KEEPONFORK, DONTFORK, DOFORK. */
int ref_madvise(struct ref_range *r, unsigned long addr, unsigned long len, int advice);
/*
 * A successful mremap: [old, old + old_len) lies in one VMA; without MREMAP_FIXED it is
 * resized in place (growing: it ends its VMA and the pages after it are free).
 */
void ref_mremap(struct ref_range *r, unsigned long old, unsigned long old_len,
		unsigned long new_len, int flags, unsigned long new_addr);

/* What a one-page access at addr gives: 0, -EFAULT (SIGSEGV) or -EIO (SIGBUS). */
int ref_access(const struct ref_range *r, unsigned long addr, bool write);

/*
 * One anonvm_read of nr pages at addr in mm, compared with the model: the result, the
 * faulting address and every byte read. 0 when they agree; -EUCLEAN when they do not (what
 * differs written to msg); -ENOMEM when the read ran out of memory (nothing compared).
 */
int ref_read_check(struct anonvm_mm *mm, const struct ref_range *r, unsigned long addr,
		   unsigned long nr, char *msg, size_t size);
/*
 * One anonvm_write of nr pages at addr in mm, page i holding tokens[i] (not 0), compared with
 * the model's result and faulting address; the model then records the pages written. 0,
 * -EUCLEAN (msg says why), or -ENOMEM: the write ran out of memory part way and the model is
 * unchanged: the caller must repeat the same write until it is done.
 */
int ref_write(struct anonvm_mm *mm, struct ref_range *r, unsigned long addr, unsigned long nr,
	      const uint64_t *tokens, char *msg, size_t size);

#endif
