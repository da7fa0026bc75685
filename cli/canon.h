/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The canonical output of both executors (docs/language.md "Canonical dump"): each executor
 * fills a snapshot, and one printer writes it, so the two cannot differ in form.
 */
#ifndef ANONVM_CANON_H
#define ANONVM_CANON_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

enum canon_page_kind { CP_ZERO, CP_SWAP, CP_ANON, CP_SHMEM };

struct canon_vma {
	unsigned long start, end;
	char perms[5]; /* "rw-p" */
};

struct canon_page {
	unsigned long addr;
	enum canon_page_kind kind;
	unsigned long frame; /* identity of the physical frame (PFN, or the model's frame) */
	unsigned int mapcount;
	uint32_t sum;        /* FNV-1a of the 4096 bytes */
};

struct canon_proc {
	const char *name;
	struct canon_vma *vmas;
	size_t nr_vmas, cap_vmas;
	struct canon_page *pages;
	size_t nr_pages, cap_pages;
};

/* Growable arrays; return 0 or -ENOMEM. */
int canon_add_vma(struct canon_proc *p, unsigned long start, unsigned long end, const char *perms);
int canon_add_page(struct canon_proc *p, const struct canon_page *pg);
void canon_proc_free(struct canon_proc *p);

/*
 * Prints "== dump LINE" and every process in byte order of name: VMAs, then pages, with
 * share=Q@ADDR computed over all processes given. procs is reordered.
 */
void canon_print_dump(FILE *out, int line, struct canon_proc *procs, size_t nr);

/* "!! LINE P CMD: ERRNO"; err is a positive errno. */
void canon_print_error(FILE *out, int line, const char *proc, const char *cmd, int err);
/* `!! LINE P CMD: OOM-KILL V`: out of memory during P's command, the OOM killer killed V. */
void canon_print_oom(FILE *out, int line, const char *proc, const char *cmd, const char *victim);
/*
 * "!! LINE P CMD: SIGNAL ADDR": SIGSEGV as docs/language.md says; SIGBUS (an access past the end of
 * a shared mapping's object, after mremap grew the mapping) in the same form (an extension,
 * docs/language.md).
 */
void canon_print_signal(FILE *out, int line, const char *proc, const char *cmd, const char *sig,
			unsigned long addr);

uint32_t fnv1a32(const void *data, size_t len);
const char *errno_name(int err);

/* The bytes a `write ADDR N V` puts in page i: (V + i) & 0xff. */
static inline unsigned char script_write_byte(unsigned int v, unsigned long i)
{
	return (unsigned char)((v + i) & 0xff);
}

#endif
