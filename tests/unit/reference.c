// SPDX-License-Identifier: GPL-2.0-only
/*
 * reference.c: the reference model of reference.h: what each page of a process's window
 * holds, changed by the modelled system calls as Linux 6.18 changes it, and the two accesses
 * that compare the library with it (ref_read_check, ref_write).
 *
 * The model works page by page where Linux works VMA by VMA; the two agree because the
 * attributes a page carries here are its VMA's, and every walk of Linux's that stops part way
 * (mprotect at a hole, madvise at a VMA that refuses the advice) stops at a page boundary
 * that is also a VMA boundary.
 *
 * Invariants and locks: see reference.h (a range is used by one thread at a time).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

#define PAGE ANONVM_PAGE_SIZE

/* Assertions of the caller's side of the contract: a broken test, not a library bug. */
#define REF_BUG_ON(cond)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			fprintf(stderr, "%s:%d: reference misused: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

void ref_fill(unsigned char *page, uint64_t token)
{
	for (size_t i = 0; i < PAGE; i += 8) {
		uint64_t v = token ? token ^ (i * 0x9e3779b97f4a7c15ULL) : 0;

		memcpy(page + i, &v, 8);
	}
}

void ref_init(struct ref_range *r, unsigned long start, unsigned long nr_pages)
{
	r->start = start;
	r->nr_pages = nr_pages;
	r->page = calloc(nr_pages, sizeof(*r->page));
	REF_BUG_ON(!r->page);
}

/* The page becomes unmapped; its object goes with its last page. */
static void page_drop(struct ref_page *pg)
{
	if (pg->mapped && pg->shm && !--pg->shm->refs)
		free(pg->shm);
	memset(pg, 0, sizeof(*pg));
}

/* A copy of src that names the same object: one more page names it. */
static struct ref_page page_dup(const struct ref_page *src)
{
	if (src->shm)
		src->shm->refs++;
	return *src;
}

void ref_destroy(struct ref_range *r)
{
	for (unsigned long i = 0; i < r->nr_pages; i++)
		page_drop(&r->page[i]);
	free(r->page);
	r->page = NULL;
}

struct ref_page *ref_page(const struct ref_range *r, unsigned long addr)
{
	REF_BUG_ON(addr % PAGE || addr < r->start || addr >= ref_end(r));
	return &r->page[(addr - r->start) / PAGE];
}

/* The pages of [addr, addr + len), which must lie in r. */
static struct ref_page *pages_of(const struct ref_range *r, unsigned long addr, unsigned long len,
				 unsigned long *nr)
{
	REF_BUG_ON(len % PAGE || !len || addr + len > ref_end(r));
	*nr = len / PAGE;
	return ref_page(r, addr);
}

void ref_fork(struct ref_range *child, const struct ref_range *parent)
{
	ref_init(child, parent->start, parent->nr_pages);
	for (unsigned long i = 0; i < parent->nr_pages; i++) {
		const struct ref_page *pg = &parent->page[i];

		if (!pg->mapped || (pg->flags & REF_DONTFORK))
			continue;
		child->page[i] = page_dup(pg);
		if (pg->flags & REF_WIPEONFORK)
			child->page[i].token = 0; /* private only: madvise refuses a shared one */
	}
}

int ref_mmap(struct ref_range *r, unsigned long addr, unsigned long len, int prot, int flags)
{
	unsigned long nr;
	struct ref_page *pg = pages_of(r, addr, len, &nr);
	struct ref_shm *shm = NULL;

	REF_BUG_ON(!(flags & (ANONVM_MAP_FIXED | ANONVM_MAP_FIXED_NOREPLACE)));
	if (flags & ANONVM_MAP_FIXED_NOREPLACE) {
		for (unsigned long i = 0; i < nr; i++)
			if (pg[i].mapped)
				return -EEXIST;
	}
	if (flags & ANONVM_MAP_SHARED) {
		shm = calloc(1, sizeof(*shm) + nr * sizeof(shm->token[0]));
		REF_BUG_ON(!shm);
		shm->nr_pages = nr;
		shm->refs = nr;
	}
	for (unsigned long i = 0; i < nr; i++) {
		page_drop(&pg[i]);
		pg[i].mapped = true;
		pg[i].prot = prot;
		pg[i].shm = shm;
		if (shm)
			pg[i].pgoff = i;
	}
	return 0;
}

void ref_munmap(struct ref_range *r, unsigned long addr, unsigned long len)
{
	unsigned long nr;
	struct ref_page *pg = pages_of(r, addr, len, &nr);

	for (unsigned long i = 0; i < nr; i++)
		page_drop(&pg[i]);
}

/* mprotect: ENOMEM at the first hole, what came before it changed. */
int ref_mprotect(struct ref_range *r, unsigned long addr, unsigned long len, int prot)
{
	unsigned long nr;
	struct ref_page *pg = pages_of(r, addr, len, &nr);

	for (unsigned long i = 0; i < nr; i++) {
		if (!pg[i].mapped)
			return -ENOMEM;
		pg[i].prot = prot;
	}
	return 0;
}

/*
 * madvise: every mapped page advised, ENOMEM at the end if there was a hole; an advice a
 * page's VMA refuses (WIPEONFORK on a shared mapping) stops the walk there with EINVAL.
 */
int ref_madvise(struct ref_range *r, unsigned long addr, unsigned long len, int advice)
{
	unsigned long nr;
	struct ref_page *pg = pages_of(r, addr, len, &nr);
	int ret = 0;

	for (unsigned long i = 0; i < nr; i++) {
		if (!pg[i].mapped) {
			ret = -ENOMEM;
			continue;
		}
		switch (advice) {
		case ANONVM_MADV_DONTNEED:
			if (!pg[i].shm)
				pg[i].token = 0; /* zapped: a private page reads zeroes again */
			break;
		case ANONVM_MADV_COLD:
		case ANONVM_MADV_PAGEOUT:
			break; /* only where the page lives changes */
		case ANONVM_MADV_WIPEONFORK:
			if (pg[i].shm)
				return -EINVAL;
			pg[i].flags |= REF_WIPEONFORK;
			break;
		case ANONVM_MADV_KEEPONFORK:
			pg[i].flags &= ~REF_WIPEONFORK;
			break;
		case ANONVM_MADV_DONTFORK:
			pg[i].flags |= REF_DONTFORK;
			break;
		case ANONVM_MADV_DOFORK:
			pg[i].flags &= ~REF_DONTFORK;
			break;
		default:
			REF_BUG_ON(advice);
		}
	}
	return ret;
}

/* The page n pages after last in the same VMA: a grown VMA's new page. */
static struct ref_page page_extend(const struct ref_page *last, unsigned long n)
{
	struct ref_page pg = page_dup(last);

	if (pg.shm)
		pg.pgoff += n; /* may lie past the object's end: SIGBUS there */
	else
		pg.token = 0;
	return pg;
}

void ref_mremap(struct ref_range *r, unsigned long old, unsigned long old_len,
		unsigned long new_len, int flags, unsigned long new_addr)
{
	unsigned long n_old, n_new, n_move, i;
	struct ref_page *src = pages_of(r, old, old_len, &n_old), *dst, *moved, last;

	n_new = new_len / PAGE;
	for (i = 0; i < n_old; i++)
		REF_BUG_ON(!src[i].mapped);
	if (!(flags & ANONVM_MREMAP_FIXED)) {
		/* in place: shrink (munmap the tail) or grow into the free pages after it */
		if (n_new < n_old) {
			ref_munmap(r, old + new_len, old_len - new_len);
			return;
		}
		dst = pages_of(r, old, new_len, &n_new);
		for (i = n_old; i < n_new; i++) {
			REF_BUG_ON(dst[i].mapped);
			dst[i] = page_extend(&src[n_old - 1], i - n_old + 1);
		}
		return;
	}
	/* a move: the target is unmapped, the source's tail too if it shrinks, then it moves */
	n_move = n_old < n_new ? n_old : n_new;
	moved = malloc(n_move * sizeof(*moved));
	REF_BUG_ON(!moved);
	memcpy(moved, src, n_move * sizeof(*moved));
	last = src[n_move - 1];
	ref_munmap(r, new_addr, new_len);
	if (n_old > n_new)
		ref_munmap(r, old + new_len, old_len - new_len);
	for (i = 0; i < n_move; i++) {
		if (!(flags & ANONVM_MREMAP_DONTUNMAP)) {
			memset(&src[i], 0, sizeof(src[i])); /* its object reference moved */
		} else if (src[i].shm) {
			src[i].shm->refs++; /* still mapped: faults find the object's pages again */
		} else {
			src[i].token = 0; /* still mapped, empty */
		}
	}
	dst = pages_of(r, new_addr, new_len, &n_new);
	memcpy(dst, moved, n_move * sizeof(*moved));
	for (i = n_move; i < n_new; i++)
		dst[i] = page_extend(&last, i - n_move + 1);
	free(moved);
}

int ref_access(const struct ref_range *r, unsigned long addr, bool write)
{
	const struct ref_page *pg = ref_page(r, addr);

	if (!pg->mapped || !(write ? pg->prot & ANONVM_PROT_WRITE : pg->prot))
		return -EFAULT;
	if (pg->shm && pg->pgoff >= pg->shm->nr_pages)
		return -EIO;
	return 0;
}

static uint64_t page_token(const struct ref_page *pg)
{
	return pg->shm ? pg->shm->token[pg->pgoff] : pg->token;
}

/*
 * What an access of nr pages at addr should give: its result, with *done the pages accessed
 * before the fault (nr when none).
 */
static int expect_access(const struct ref_range *r, unsigned long addr, unsigned long nr,
			 bool write, unsigned long *done)
{
	int ret = 0;

	for (*done = 0; *done < nr; (*done)++) {
		ret = ref_access(r, addr + *done * PAGE, write);
		if (ret)
			break;
	}
	return ret;
}

/* The library's result and faulting address against the model's. */
static int check_result(const char *what, unsigned long addr, unsigned long nr, int ret,
			unsigned long fault, int want, unsigned long want_fault, char *msg,
			size_t size)
{
	if (ret == want && (!ret || fault == want_fault))
		return 0;
	snprintf(msg, size,
		 "%s of %lu pages at %#lx: returned %d (fault at %#lx), the model says %d (fault "
		 "at %#lx)",
		 what, nr, addr, ret, ret ? fault : 0, want, want ? want_fault : 0);
	return -EUCLEAN;
}

int ref_read_check(struct anonvm_mm *mm, const struct ref_range *r, unsigned long addr,
		   unsigned long nr, char *msg, size_t size)
{
	unsigned char *got = malloc(nr * PAGE), want[PAGE];
	unsigned long done, fault = 0;
	int exp, ret;

	REF_BUG_ON(!got);
	(void)pages_of(r, addr, nr * PAGE, &done);
	exp = expect_access(r, addr, nr, false, &done);
	ret = anonvm_read(mm, addr, got, nr * PAGE, &fault);
	if (ret == -ENOMEM)
		goto out;
	ret = check_result("read", addr, nr, ret, fault, exp, addr + done * PAGE, msg, size);
	for (unsigned long i = 0; !ret && i < done; i++) {
		uint64_t token = page_token(ref_page(r, addr + i * PAGE)), first;

		ref_fill(want, token);
		if (!memcmp(got + i * PAGE, want, PAGE))
			continue;
		memcpy(&first, got + i * PAGE, sizeof(first));
		snprintf(msg, size,
			 "page %#lx holds token %#" PRIx64
			 " (its first word), the model says %#" PRIx64,
			 addr + i * PAGE, first, token);
		ret = -EUCLEAN;
	}
out:
	free(got);
	return ret;
}

int ref_write(struct anonvm_mm *mm, struct ref_range *r, unsigned long addr, unsigned long nr,
	      const uint64_t *tokens, char *msg, size_t size)
{
	unsigned char *buf = malloc(nr * PAGE);
	unsigned long done, fault = 0;
	int exp, ret;

	REF_BUG_ON(!buf);
	(void)pages_of(r, addr, nr * PAGE, &done);
	for (unsigned long i = 0; i < nr; i++) {
		REF_BUG_ON(!tokens[i]);
		ref_fill(buf + i * PAGE, tokens[i]);
	}
	exp = expect_access(r, addr, nr, true, &done);
	ret = anonvm_write(mm, addr, buf, nr * PAGE, &fault);
	free(buf);
	if (ret == -ENOMEM)
		return ret;
	ret = check_result("write", addr, nr, ret, fault, exp, addr + done * PAGE, msg, size);
	if (ret)
		return ret;
	for (unsigned long i = 0; i < done; i++) {
		struct ref_page *pg = ref_page(r, addr + i * PAGE);

		if (pg->shm)
			pg->shm->token[pg->pgoff] = tokens[i];
		else
			pg->token = tokens[i];
	}
	return 0;
}
