// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_api.c: libFuzzer harness of the public API: bytes -> a sequence of anonvm_* calls
 * with hostile arguments (unaligned, zero, huge, wrapping addresses and lengths, unknown
 * flags and advice), anonvm_check after every call, and, after anonvm_destroy, no live
 * object of any kind. The first bytes may arm anonvm_fail_nth, so that the Nth allocation
 * of the run fails.
 *
 * Input format (a stream read by take_*; a short input reads zeroes): one header byte
 * (bit 0 metadata-only machine, bit 1 no swap, bit 2 a 256-page memory cgroup), a fail_nth (u16, 0 = none), then ops: an opcode byte, the
 * process it acts on (an index into MAX_MM slots), and its arguments, each address and
 * length as a kind byte and a payload (take_addr, take_len).
 *
 * Built with FUZZ_SEED_MAIN, the same file is fuzz_api_seed: it turns .avs scripts into this
 * format (the scenario corpus becomes the API harness's seeds).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anonvm/anonvm.h"

#define MAX_MM 8
#define MAX_OPS 256
#define MAX_ACCESS_PAGES 16	/* bytes moved by one read or write: a bounded buffer */
#define MAX_POPULATE_PAGES 64 /* MAP_POPULATE / MADV_POPULATE_* only below this */
#define ARENA 0x100000000000UL
#define TASK_TOP 0x7ffffffff000UL

enum fuzz_op {
	FOP_MM_NEW,
	FOP_FORK,
	FOP_EXIT,
	FOP_MMAP,
	FOP_MUNMAP,
	FOP_MPROTECT,
	FOP_MREMAP,
	FOP_MADVISE,
	FOP_WRITE,
	FOP_READ,
	FOP_PAGE_QUERY,
	FOP_PAGE_NEXT,
	FOP_VMA_NEXT,
	FOP_REFERENCED,
	FOP_STATS,
	FOP_MIGRATE,
	FOP_RECLAIM,
	FOP_OOM_BADNESS,
	FOP_NR
};

/* Address kinds: how take_addr reads its payload. */
enum { A_ARENA_PAGE, A_EXACT, A_ZERO, A_ARENA_UNALIGNED, A_TOP, A_WRAP, A_LOW, A_ARENA_FAR, A_NR };
/* Length kinds. */
enum { L_PAGES, L_EXACT, L_ZERO, L_PAGES16, L_UNALIGNED, L_POW2, L_WRAP, L_PAGES32, L_NR };

#ifndef FUZZ_SEED_MAIN

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v |= (uint64_t)(in->left ? *in->p : 0) << (8 * i);
		if (in->left) {
			in->p++;
			in->left--;
		}
	}
	return v;
}

static unsigned long take_addr(struct input *in)
{
	switch (take(in, 1) % A_NR) {
	case A_ARENA_PAGE:
		return ARENA + take(in, 2) * ANONVM_PAGE_SIZE;
	case A_EXACT:
		return take(in, 8);
	case A_ZERO:
		return 0;
	case A_ARENA_UNALIGNED:
		return ARENA + take(in, 2) * ANONVM_PAGE_SIZE + 1 + take(in, 1);
	case A_TOP:
		return TASK_TOP - take(in, 2) * ANONVM_PAGE_SIZE;
	case A_WRAP:
		return ~0UL - take(in, 2);
	case A_LOW:
		return take(in, 1) * ANONVM_PAGE_SIZE;
	default:
		return ARENA + take(in, 4) * ANONVM_PAGE_SIZE;
	}
}

static unsigned long take_len(struct input *in)
{
	switch (take(in, 1) % L_NR) {
	case L_PAGES:
		return take(in, 1) * ANONVM_PAGE_SIZE;
	case L_EXACT:
		return take(in, 8);
	case L_ZERO:
		return 0;
	case L_PAGES16:
		return take(in, 2) * ANONVM_PAGE_SIZE;
	case L_UNALIGNED:
		return take(in, 1) * ANONVM_PAGE_SIZE + 1 + take(in, 1);
	case L_POW2:
		return 1UL << (take(in, 1) % 64);
	case L_WRAP:
		return ~0UL - take(in, 2);
	default:
		return take(in, 4) * ANONVM_PAGE_SIZE;
	}
}

static FILE *devnull;
static unsigned char buf[MAX_ACCESS_PAGES * ANONVM_PAGE_SIZE];

static void check(struct anonvm *vm, int op)
{
	if (anonvm_check(vm, stderr)) {
		fprintf(stderr, "fuzz_api: the validator failed after op %d\n", op);
		abort();
	}
}

static void run(struct input *in)
{
	struct anonvm_mm *mm[MAX_MM] = { 0 };
	struct anonvm_config cfg;
	struct anonvm *vm;
	struct anonvm_live l;
	int header = take(in, 1);
	long fail_nth = take(in, 2);

	anonvm_config_default(&cfg);
	cfg.ram_bytes = 64UL << 20;
	cfg.metadata_only = header & 1;
	cfg.swap_bytes = header & 2 ? 0 : 16UL << 20; /* reclaim to swap, or none */
	cfg.memcg_max_bytes = header & 4 ? 1UL << 20 : 0;
	if (anonvm_create(&cfg, &vm))
		abort();
	anonvm_fail_nth(fail_nth);
	for (int n = 0; n < MAX_OPS && in->left; n++) {
		int op = take(in, 1) % FOP_NR, i = take(in, 1) % MAX_MM, j;
		unsigned long addr, len, new_len, new_addr, out, fault;
		struct anonvm_page_info pi;
		struct anonvm_vma_info vi;
		struct anonvm_referenced r;
		struct anonvm_meminfo mi;
		int prot, flags;

		if (op != FOP_MM_NEW && !mm[i])
			continue;
		switch (op) {
		case FOP_MM_NEW:
			if (!mm[i] && anonvm_mm_new(vm, &mm[i]))
				mm[i] = NULL;
			break;
		case FOP_FORK:
			j = take(in, 1) % MAX_MM;
			if (!mm[j] && anonvm_fork(mm[i], &mm[j]))
				mm[j] = NULL;
			break;
		case FOP_EXIT:
			anonvm_exit(mm[i]);
			mm[i] = NULL;
			break;
		case FOP_MMAP:
			addr = take_addr(in);
			len = take_len(in);
			prot = take(in, 1);
			flags = take(in, 4);
			if (len > MAX_POPULATE_PAGES * ANONVM_PAGE_SIZE)
				flags &= ~ANONVM_MAP_POPULATE;
			(void)anonvm_mmap(mm[i], addr, len, prot, flags, &out);
			break;
		case FOP_MUNMAP:
			addr = take_addr(in);
			(void)anonvm_munmap(mm[i], addr, take_len(in));
			break;
		case FOP_MPROTECT:
			addr = take_addr(in);
			len = take_len(in);
			(void)anonvm_mprotect(mm[i], addr, len, take(in, 4));
			break;
		case FOP_MREMAP:
			addr = take_addr(in);
			len = take_len(in);
			new_len = take_len(in);
			flags = take(in, 1);
			new_addr = take_addr(in);
			(void)anonvm_mremap(mm[i], addr, len, new_len, flags, new_addr, &out);
			break;
		case FOP_MADVISE:
			addr = take_addr(in);
			len = take_len(in);
			flags = take(in, 1); /* advice; 0..255 covers every value and many unknown */
			if ((flags == 22 || flags == 23) && len > MAX_POPULATE_PAGES * ANONVM_PAGE_SIZE)
				break;
			(void)anonvm_madvise(mm[i], addr, len, flags);
			break;
		case FOP_WRITE:
		case FOP_READ:
			addr = take_addr(in);
			len = take_len(in) % sizeof(buf);
			memset(buf, (int)take(in, 1), len);
			if (op == FOP_WRITE)
				(void)anonvm_write(mm[i], addr, buf, len, &fault);
			else
				(void)anonvm_read(mm[i], addr, buf, len, &fault);
			break;
		case FOP_PAGE_QUERY:
			(void)anonvm_page_query(mm[i], take_addr(in), &pi);
			break;
		case FOP_PAGE_NEXT:
			addr = take_addr(in);
			(void)anonvm_page_next(mm[i], addr, addr + take_len(in), &out, &pi);
			break;
		case FOP_VMA_NEXT:
			(void)anonvm_vma_next(mm[i], take_addr(in), &vi);
			break;
		case FOP_REFERENCED:
			(void)anonvm_page_referenced(mm[i], take_addr(in), &r);
			break;
		case FOP_STATS:
			anonvm_stats_print(vm, devnull);
			(void)anonvm_dot(vm, devnull);
			anonvm_meminfo(vm, &mi);
			break;
		case FOP_MIGRATE:
			addr = take_addr(in);
			(void)anonvm_migrate(mm[i], addr, take_len(in), &out);
			break;
		case FOP_RECLAIM:
			(void)anonvm_reclaim(vm, take(in, 2), &out);
			break;
		case FOP_OOM_BADNESS:
			if (anonvm_oom_badness(mm[i]) < 0)
				abort();
			break;
		}
		check(vm, n);
	}
	anonvm_fail_nth(0);
	anonvm_destroy(vm);
	anonvm_quiesce();
	anonvm_live_objects(&l);
	if (l.mm | l.vma | l.maple_node | l.anon_vma | l.avc | l.folio | l.pgtable | l.shmem |
	    l.other) {
		fprintf(stderr,
			"fuzz_api: leak: mm %ld vma %ld maple_node %ld anon_vma %ld avc %ld "
			"folio %ld pgtable %ld shmem %ld other %ld\n",
			l.mm, l.vma, l.maple_node, l.anon_vma, l.avc, l.folio, l.pgtable, l.shmem,
			l.other);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .left = size };

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	run(&in);
	return 0;
}

#else /* FUZZ_SEED_MAIN: .avs -> the input format above */

#include "script.h"

static void put(FILE *f, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		fputc((int)(v >> (8 * i)) & 0xff, f);
}

static void put_addr(FILE *f, unsigned long addr)
{
	unsigned long page = (addr - ARENA) / ANONVM_PAGE_SIZE;

	if (addr >= ARENA && page < 0x10000) {
		put(f, A_ARENA_PAGE, 1);
		put(f, page, 2);
	} else {
		put(f, A_EXACT, 1);
		put(f, addr, 8);
	}
}

static void put_len(FILE *f, unsigned long pages)
{
	if (pages < 0x100) {
		put(f, L_PAGES, 1);
		put(f, pages, 1);
	} else {
		put(f, L_EXACT, 1);
		put(f, pages * ANONVM_PAGE_SIZE, 8);
	}
}

static void put_op(FILE *f, enum fuzz_op op, int proc)
{
	put(f, op, 1);
	put(f, proc % MAX_MM, 1);
}

/* One .avs file as API calls; what has no API equivalent (dump, check) is left out. */
static int convert(const char *path, FILE *f)
{
	struct script s;

	if (script_parse_file(path, &s, stderr))
		return 1;
	put(f, 0, 1); /* machine with contents */
	put(f, 0, 2); /* no injected failure */
	for (int k = 0; k < s.nr_ops; k++) {
		const struct op *op = &s.ops[k];
		int flags;

		switch (op->kind) {
		case OP_SPAWN:
			put_op(f, FOP_MM_NEW, op->child);
			break;
		case OP_FORK:
			put_op(f, FOP_FORK, op->proc);
			put(f, op->child % MAX_MM, 1);
			break;
		case OP_EXIT:
			put_op(f, FOP_EXIT, op->proc);
			break;
		case OP_MMAP:
			put_op(f, FOP_MMAP, op->proc);
			put_addr(f, op->addr);
			put_len(f, op->pages);
			put(f, op->prot, 1);
			flags = ANONVM_MAP_FIXED |
				(op->flags & OPF_SHARED ? ANONVM_MAP_SHARED : ANONVM_MAP_PRIVATE) |
				(op->flags & OPF_POPULATE ? ANONVM_MAP_POPULATE : 0) |
				(op->flags & OPF_NORESERVE ? ANONVM_MAP_NORESERVE : 0);
			put(f, flags, 4);
			break;
		case OP_MUNMAP:
			put_op(f, FOP_MUNMAP, op->proc);
			put_addr(f, op->addr);
			put_len(f, op->pages);
			break;
		case OP_MPROTECT:
			put_op(f, FOP_MPROTECT, op->proc);
			put_addr(f, op->addr);
			put_len(f, op->pages);
			put(f, op->prot, 4);
			break;
		case OP_MREMAP:
			put_op(f, FOP_MREMAP, op->proc);
			put_addr(f, op->addr);
			put_len(f, op->pages);
			put_len(f, op->new_pages);
			flags = op->flags & OPF_NEWADDR ? ANONVM_MREMAP_MAYMOVE | ANONVM_MREMAP_FIXED : 0;
			flags |= op->flags & OPF_DONTUNMAP ? ANONVM_MREMAP_DONTUNMAP : 0;
			put(f, flags, 1);
			put_addr(f, op->new_addr);
			break;
		case OP_MADVISE:
			put_op(f, FOP_MADVISE, op->proc);
			put_addr(f, op->addr);
			put_len(f, op->pages);
			put(f, op->advice, 1);
			break;
		case OP_WRITE:
		case OP_READ:
			put_op(f, op->kind == OP_WRITE ? FOP_WRITE : FOP_READ, op->proc);
			put_addr(f, op->addr);
			put_len(f, op->pages < MAX_ACCESS_PAGES ? op->pages : MAX_ACCESS_PAGES - 1);
			put(f, op->value, 1);
			break;
		case OP_DUMP:
			put_op(f, FOP_PAGE_NEXT, 0);
			put_addr(f, ARENA);
			put(f, L_POW2, 1);
			put(f, 44, 1);
			break;
		default:
			break;
		}
	}
	script_free(&s);
	return 0;
}

/* fuzz_api_seed OUTDIR FILE.avs...: OUTDIR/NAME.bin for each script. */
int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: fuzz_api_seed OUTDIR SCRIPT.avs...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.bin", argv[1], base);
		f = fopen(path, "w");
		if (!f) {
			perror(path);
			return 2;
		}
		status |= convert(argv[i], f);
		if (fclose(f))
			status = 2;
	}
	return status;
}

#endif
