/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The .avs script language (docs/language.md): one parser for both executors.
 *
 * A parsed script is a flat array of ops. Processes are named by an index into
 * script->names, given in order of creation (spawn or fork). The parser checks everything
 * that can be known before running: syntax, numbers, alignment, the arena, PROT, that a
 * process exists and is alive where it is used, and that no name is used twice.
 *
 * A par block (docs/language.md) is one OP_PAR op followed by its nr_body ops: the
 * commands of its lines in order, each line one thread (op->thread, 0-based, the ops of one
 * thread consecutive). Executors run the block at the OP_PAR op and go on after its body;
 * anything that only looks at each op (script_needs_pages) sees the body's ops as usual.
 */
#ifndef ANONVM_SCRIPT_H
#define ANONVM_SCRIPT_H

#include <stdbool.h>
#include <stdio.h>

#define ARENA_START 0x100000000000UL
#define ARENA_END 0x200000000000UL
#define SCRIPT_PAGE 4096UL
#define SCRIPT_MAX_BYTES (64 << 20) /* the largest script file */
#define SCRIPT_MAX_LINE 4096	    /* the longest line, in bytes */
#define PAR_MAX_THREADS 64	    /* lines of a par block */
#define PAR_MAX_REPEAT 1000000UL    /* par N */

enum op_kind {
	OP_SPAWN,
	OP_MMAP,
	OP_MUNMAP,
	OP_MPROTECT,
	OP_MREMAP,
	OP_MADVISE,
	OP_WRITE,
	OP_READ,
	OP_FORK,
	OP_EXIT,
	OP_DUMP,
	OP_CHECK, /* model only */
	OP_STATS, /* model only */
	OP_DOT,   /* model only */
	OP_REFERENCED, /* model only: P referenced ADDR N, the rmap walk of each page */
	OP_MIGRATE,    /* model only: P migrate ADDR N, each page to a new frame */
	OP_MEMCG, /* memcg N: before any process; the machine's memory cgroup limit */
	OP_PAR,	  /* par [N] ... end: the block's lines at the same time, one thread each */
	OP_NR
};

/* op->flags */
#define OPF_SHARED 0x01    /* mmap: MAP_SHARED */
#define OPF_POPULATE 0x02  /* mmap: MAP_POPULATE */
#define OPF_NORESERVE 0x04 /* mmap: MAP_NORESERVE */
#define OPF_NEWADDR 0x08   /* mremap: NEWADDR given (MREMAP_MAYMOVE|MREMAP_FIXED) */
#define OPF_DONTUNMAP 0x10 /* mremap: MREMAP_DONTUNMAP */

/* Advice as in docs/language.md; the values are Linux's MADV_* numbers. */
struct advice_name {
	const char *name;
	int advice;
};
extern const struct advice_name script_advices[];
/* The script word of a MADV_* value ("dontneed"), "?" when it has none. */
const char *advice_word(int advice);
/* MADV_POPULATE_READ / _WRITE: advice that faults pages in. */
bool script_advice_populates(int advice);

struct op {
	enum op_kind kind;
	int line;            /* 1-based line in the file */
	int proc;            /* acting process (index into names), -1 for dump/check/stats/dot */
	int child;           /* spawn / fork: the new process */
	unsigned long addr;  /* byte address */
	unsigned long pages; /* N */
	unsigned long new_pages; /* mremap NEWN */
	unsigned long new_addr;  /* mremap NEWADDR */
	int prot;            /* PROT_READ|PROT_WRITE|PROT_EXEC */
	unsigned int flags;  /* OPF_* */
	int advice;          /* madvise */
	unsigned int value;  /* write V */
	char *path;          /* dot FILE */
	int nr_body;         /* par: the ops of its block, right after it */
	int thread;          /* an op of a par block: its line's index in the block */
	unsigned long repeat; /* par N: times each line runs */
};


struct script {
	char *path;
	char **names;
	int nr_names;
	struct op *ops;
	int nr_ops;
};

/*
 * Parse a script. 0, or 2 after printing `PATH:LINE: error: WHAT` (or `PATH: error: WHAT`
 * when the file cannot be read or is too large) to err. script_parse_file reads path, or
 * standard input when path is "-" (named "<stdin>" in messages); script_parse_buf parses
 * len bytes of buf (which may hold NUL bytes: an error) and script_parse_text a string, as if
 * read from path.
 */
int script_parse_file(const char *path, struct script *s, FILE *err);
int script_parse_buf(const char *path, const char *buf, size_t len, struct script *s, FILE *err);
int script_parse_text(const char *path, const char *text, struct script *s, FILE *err);
void script_free(struct script *s);

/* The command word of an op ("mmap", "write" ...). */
const char *op_name(enum op_kind kind);
/* The memcg limit of a script in pages (memcg N), 0 when it has none. */
unsigned long script_memcg_pages(const struct script *s);
/* True when some op needs pages modelled (write, read, populate). */
bool script_needs_pages(const struct script *s);
/*
 * The thread of the par block s->ops[par] whose first op is s->ops[first]: its number of
 * ops, 0 when first is past the block. for (i = par + 1; (n = par_thread_len(s, par, i));
 * i += n) visits the threads in line order.
 */
int par_thread_len(const struct script *s, int par, int first);
/* Writes the script back in .avs form (used by fuzz to save a case). */
void script_print(const struct script *s, FILE *out);

#endif
