// SPDX-License-Identifier: GPL-2.0-only
/*
 * errno_table.c: the errno table (docs/errno.md). Each row is one call of the public API with
 * invalid (or borderline) arguments, made in a process with the same few mappings, and the
 * errno Linux 6.18 gives for the same system call. The program runs every row on the model
 * (anonvm_config_machine: the machine's RAM, vm.mmap_min_addr and the caller's privilege)
 * and, as root, on the kernel (a forked child makes the raw system call), and checks that
 * both give the row's errno. `errno_table --markdown` prints the table for the docs.
 *
 * The layout every row starts from, in the arena (A = 0x100000000000, pages of 4 KiB):
 *   [A, A+4)     rw- private, written      [A+8, A+12)  r-- private
 *   [A+16, A+20) rw- shared, written       everything else unmapped
 * TAP output; exit status 1 when a row differs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "anonvm/anonvm.h"

#define P 4096UL
#define A 0x100000000000UL
#define TOP 0x7ffffffff000UL /* TASK_SIZE */
#define TIB (1UL << 40)

enum call { MMAP, MUNMAP, MPROTECT, MREMAP, MADVISE };

struct row {
	const char *what;
	enum call call;
	unsigned long a, b, c, d, e; /* the system call's arguments, in its order */
	int want;		     /* errno, 0 for success */
	bool model_only;	     /* not run on the kernel (it would harm the machine) */
	bool low;		     /* EPERM below vm.mmap_min_addr without CAP_SYS_RAWIO */
};

#define PR (MAP_PRIVATE | MAP_ANONYMOUS)
#define FX (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static const struct row rows[] = {
	/* mmap(addr, len, prot, flags) */
	{ "mmap: length 0", MMAP, A + 64 * P, 0, 3, FX, 0, EINVAL },
	{ "mmap: MAP_FIXED at an unaligned address", MMAP, A + 64 * P + 1, P, 3, FX, 0, EINVAL },
	{ "mmap: neither MAP_SHARED nor MAP_PRIVATE", MMAP, A + 64 * P, P, 3,
	  MAP_ANONYMOUS | MAP_FIXED, 0, EINVAL },
	{ "mmap: length rounds up past 2^64", MMAP, A + 64 * P, ~0UL - 10, 3, FX, 0, ENOMEM },
	{ "mmap: length larger than the address space", MMAP, 0, TOP + P, 3, PR, 0, ENOMEM },
	{ "mmap: MAP_FIXED range past TASK_SIZE", MMAP, TOP - P, 2 * P, 3, FX, 0, ENOMEM },
	{ "mmap: MAP_FIXED_NOREPLACE over a mapping", MMAP, A + 2 * P, 4 * P, 3,
	  PR | MAP_FIXED_NOREPLACE, 0, EEXIST },
	{ "mmap: unknown PROT bits", MMAP, A + 64 * P, P, 0x3 | 0x80, FX, 0, 0 },
	{ "mmap: unknown flag bits, MAP_PRIVATE", MMAP, A + 64 * P, P, 3, FX | 0x800000, 0, 0 },
	{ "mmap: MAP_FIXED at 0x1000", MMAP, 0x1000, P, 3, FX, 0, 0, false, true },
	{ "mmap: MAP_FIXED at 0", MMAP, 0, P, 3, FX, 0, 0, false, true },
	{ "mmap: 4 TiB private writable (overcommit)", MMAP, A + 64 * P, 4 * TIB, 3, FX, 0, ENOMEM },
	{ "mmap: 4 TiB shared (its object charged)", MMAP, A + 64 * P, 4 * TIB, 3,
	  MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, 0, ENOMEM },
	{ "mmap: 4 TiB private writable, MAP_NORESERVE", MMAP, A + 64 * P, 4 * TIB, 3,
	  FX | MAP_NORESERVE, 0, 0 },
	{ "mmap: 4 TiB private read-only", MMAP, A + 64 * P, 4 * TIB, 1, FX, 0, 0 },
	/* munmap(addr, len) */
	{ "munmap: unaligned address", MUNMAP, A + 1, P, 0, 0, 0, EINVAL },
	{ "munmap: length 0", MUNMAP, A, 0, 0, 0, 0, EINVAL },
	{ "munmap: address past TASK_SIZE", MUNMAP, TOP + P, P, 0, 0, 0, EINVAL },
	{ "munmap: range wraps", MUNMAP, A, ~0UL - P, 0, 0, 0, EINVAL },
	{ "munmap: nothing mapped there", MUNMAP, A + 64 * P, P, 0, 0, 0, 0 },
	{ "munmap: unaligned length (rounded up)", MUNMAP, A, 1, 0, 0, 0, 0 },
	/* mprotect(addr, len, prot) */
	{ "mprotect: unaligned address", MPROTECT, A + 1, P, 1, 0, 0, EINVAL },
	{ "mprotect: length 0", MPROTECT, A, 0, 1, 0, 0, 0 },
	{ "mprotect: unknown PROT bit", MPROTECT, A, P, 0x10, 0, 0, EINVAL },
	{ "mprotect: PROT_GROWSDOWN | PROT_GROWSUP", MPROTECT, A, P, 0x03000000, 0, 0, EINVAL },
	{ "mprotect: PROT_GROWSDOWN on a plain VMA", MPROTECT, A, P, 0x01000000 | 1, 0, 0, EINVAL },
	{ "mprotect: a hole in the range", MPROTECT, A, 10 * P, 1, 0, 0, ENOMEM },
	{ "mprotect: nothing mapped", MPROTECT, A + 64 * P, P, 1, 0, 0, ENOMEM },
	{ "mprotect: range wraps", MPROTECT, A, ~0UL - P, 1, 0, 0, ENOMEM },
	{ "mprotect: PROT_EXEC|PROT_WRITE|PROT_READ", MPROTECT, A, P, 7, 0, 0, 0 },
	/* mremap(old, old_len, new_len, flags, new) */
	{ "mremap: unknown flag", MREMAP, A, P, P, 8, 0, EINVAL },
	{ "mremap: unaligned address", MREMAP, A + 1, P, P, 0, 0, EINVAL },
	{ "mremap: new length 0", MREMAP, A, P, 0, 0, 0, EINVAL },
	{ "mremap: MREMAP_FIXED without MREMAP_MAYMOVE", MREMAP, A, P, P, 2, A + 64 * P, EINVAL },
	{ "mremap: MREMAP_DONTUNMAP changing the length", MREMAP, A, P, 2 * P, 5, A + 64 * P,
	  EINVAL },
	{ "mremap: MREMAP_FIXED onto the source", MREMAP, A, 2 * P, 2 * P, 3, A + P, EINVAL },
	{ "mremap: nothing mapped at the source", MREMAP, A + 64 * P, P, 2 * P, 1, 0, EFAULT },
	{ "mremap: grow in place, blocked, no MAYMOVE", MREMAP, A + 8 * P, 4 * P, 10 * P, 0, 0,
	  ENOMEM },
	{ "mremap: old length 0 of a private mapping", MREMAP, A, 0, P, 1, 0, EINVAL },
	{ "mremap: old range past the VMA's end", MREMAP, A + 2 * P, 4 * P, 8 * P, 1, 0, EFAULT },
	{ "mremap: MREMAP_FIXED to an unaligned address", MREMAP, A, P, P, 3, A + 64 * P + 1,
	  EINVAL },
	{ "mremap: grow a private writable one to 4 TiB", MREMAP, A, 4 * P, 4 * TIB, 1, 0, ENOMEM },
	{ "mremap: old length 0 of a shared mapping (a copy)", MREMAP, A + 16 * P, 0, P, 1, 0, 0 },
	/* madvise(addr, len, advice) */
	{ "madvise: unknown advice 7", MADVISE, A, P, 7, 0, 0, EINVAL },
	{ "madvise: unknown advice 200", MADVISE, A, P, 200, 0, 0, EINVAL },
	{ "madvise: unaligned address", MADVISE, A + 1, P, 4, 0, 0, EINVAL },
	{ "madvise: range wraps", MADVISE, A, ~0UL - P, 4, 0, 0, EINVAL },
	{ "madvise: length 0", MADVISE, A, 0, 4, 0, 0, 0 },
	{ "madvise: a hole in the range", MADVISE, A, 10 * P, 4, 0, 0, ENOMEM },
	{ "madvise: MADV_WIPEONFORK on a shared mapping", MADVISE, A + 16 * P, P, 18, 0, 0, EINVAL },
	{ "madvise: MADV_FREE on a shared mapping", MADVISE, A + 16 * P, P, 8, 0, 0, EINVAL },
	{ "madvise: MADV_COLLAPSE (no THP)", MADVISE, A, P, 25, 0, 0, EINVAL },
	{ "madvise: MADV_POPULATE_WRITE on read-only", MADVISE, A + 8 * P, P, 23, 0, 0, EINVAL },
	{ "madvise: MADV_POPULATE_READ over a hole", MADVISE, A, 6 * P, 22, 0, 0, ENOMEM },
	{ "madvise: MADV_NORMAL", MADVISE, A, P, 0, 0, 0, 0 },
	{ "madvise: MADV_HWPOISON (needs CAP_SYS_ADMIN)", MADVISE, A, P, 100, 0, 0, EPERM, true },
};

#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "0";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	case EEXIST:
		return "EEXIST";
	case EFAULT:
		return "EFAULT";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EAGAIN:
		return "EAGAIN";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	default:
		return strerror(e);
	}
}

static const char *const call_names[] = { "mmap", "munmap", "mprotect", "mremap", "madvise" };

/* The row on the model: 0 or a positive errno; -1 when the layout could not be made. */
static int run_model(const struct row *r)
{
	struct anonvm_config cfg;
	struct anonvm_mm *mm;
	struct anonvm *vm;
	unsigned long out;
	char page[P];
	int ret = -1;

	anonvm_config_machine(&cfg);
	if (anonvm_create(&cfg, &vm))
		return -1;
	memset(page, 7, sizeof(page));
	if (anonvm_mm_new(vm, &mm) || anonvm_mmap(mm, A, 4 * P, 3, FX, &out) ||
	    anonvm_mmap(mm, A + 8 * P, 4 * P, 1, FX, &out) ||
	    anonvm_mmap(mm, A + 16 * P, 4 * P, 3, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, &out))
		goto out;
	for (int i = 0; i < 4; i++)
		if (anonvm_write(mm, A + i * P, page, P, NULL) ||
		    anonvm_write(mm, A + (16 + i) * P, page, P, NULL))
			goto out;
	switch (r->call) {
	case MMAP:
		ret = anonvm_mmap(mm, r->a, r->b, (int)r->c, (int)r->d, &out);
		break;
	case MUNMAP:
		ret = anonvm_munmap(mm, r->a, r->b);
		break;
	case MPROTECT:
		ret = anonvm_mprotect(mm, r->a, r->b, (int)r->c);
		break;
	case MREMAP:
		ret = anonvm_mremap(mm, r->a, r->b, r->c, (int)r->d, r->e, &out);
		break;
	case MADVISE:
		ret = anonvm_madvise(mm, r->a, r->b, (int)r->c);
		break;
	}
	ret = -ret;
out:
	anonvm_destroy(vm);
	return ret;
}

/* The row on the kernel, in a child: 0 or a positive errno; -1 when the child failed. */
static int run_kernel(const struct row *r)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		long ret;

		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		if (mmap((void *)A, 4 * P, 3, FX, -1, 0) == MAP_FAILED ||
		    mmap((void *)(A + 8 * P), 4 * P, 1, FX, -1, 0) == MAP_FAILED ||
		    mmap((void *)(A + 16 * P), 4 * P, 3, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) == MAP_FAILED)
			_exit(255);
		memset((void *)A, 7, 4 * P);
		memset((void *)(A + 16 * P), 7, 4 * P);
		switch (r->call) {
		case MMAP:
			ret = syscall(SYS_mmap, r->a, r->b, r->c, r->d, -1L, 0L);
			break;
		case MUNMAP:
			ret = syscall(SYS_munmap, r->a, r->b);
			break;
		case MPROTECT:
			ret = syscall(SYS_mprotect, r->a, r->b, r->c);
			break;
		case MREMAP:
			ret = syscall(SYS_mremap, r->a, r->b, r->c, r->d, r->e);
			break;
		default:
			ret = syscall(SYS_madvise, r->a, r->b, r->c);
			break;
		}
		_exit(ret == -1 ? errno : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 255)
		return -1;
	return WEXITSTATUS(st);
}

static void print_markdown(void)
{
	printf("| # | call | arguments | errno (Linux 6.18 and the model) |\n|---|---|---|---|\n");
	for (size_t i = 0; i < NR_ROWS; i++)
		printf("| %zu | %s | %s | %s%s%s |\n", i + 1, call_names[rows[i].call],
		       strchr(rows[i].what, ':') + 2, errname(rows[i].want),
		       rows[i].low ? "; EPERM below vm.mmap_min_addr without CAP_SYS_RAWIO" : "",
		       rows[i].model_only ? " (model only)" : "");
}

int main(int argc, char **argv)
{
	bool kernel = geteuid() == 0 && !getenv("ANONVM_NO_KERNEL");
	struct anonvm_config cfg;
	int failed = 0;

	anonvm_config_machine(&cfg);

	if (argc > 1 && !strcmp(argv[1], "--markdown")) {
		print_markdown();
		return 0;
	}
	printf("1..%zu\n", NR_ROWS);
	for (size_t i = 0; i < NR_ROWS; i++) {
		const struct row *r = &rows[i];
		unsigned long min = cfg.mmap_min_addr ? cfg.mmap_min_addr : 65536;
		int want = r->low && r->a < min && !cfg.cap_sys_rawio ? EPERM : r->want;
		int m = run_model(r), k = kernel && !r->model_only ? run_kernel(r) : want;
		bool ok = m == want && k == want;

		printf("%s %zu - %s: model %s, kernel %s, want %s%s\n", ok ? "ok" : "not ok", i + 1,
		       r->what, m < 0 ? "?" : errname(m), k < 0 ? "?" : errname(k),
		       errname(want), kernel && !r->model_only ? "" : " # kernel not run");
		failed += !ok;
	}
	return failed ? 1 : 0;
}
