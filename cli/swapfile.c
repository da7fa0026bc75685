// SPDX-License-Identifier: GPL-2.0-only
/*
 * swapfile.c: the temporary swap file of a kernel run (swapfile.h).
 *
 * The file is SWAPFILE_SIZE bytes in /var/tmp, allocated with fallocate (or written with
 * zeros where that is not supported: a swap file must have no holes), with a version-1 swap
 * header written here (what mkswap writes, without label or UUID), then swapon(2)'d.
 *
 * State: swap_state says how far set-up went: SWAP_FILE, swap_path exists; SWAP_ON, it is
 * active swap. Undoing runs in reverse (swapoff, then unlink) from swapfile_teardown(), from
 * atexit, or from the handler of a terminating signal, which uses async-signal-safe calls
 * only and then passes the signal on to the action it replaced. swap_state changes only with
 * those signals blocked, so a handler never sees a step half done. Signals the program
 * ignores stay ignored.
 *
 * Concurrency: process-wide state, used from one thread. Child processes that must not
 * undo the swap file (kernel.c's workers) reset their signal actions and leave with _exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

#include "swapfile.h"

#define SWAPFILE_SIZE (256UL << 20)
#define SWAPFILE_CHUNK (1UL << 20) /* zero-fill unit; a multiple of the page size */
#define SWAPFILE_TEMPLATE "/var/tmp/anonvm-swap-XXXXXX"
/* The version-1 swap header: info at byte 1024, the magic in the last 10 bytes of page 0. */
#define SWAP_INFO_OFFSET 1024
#define SWAP_MAGIC "SWAPSPACE2"
#define SWAP_MAGIC_LEN 10

enum swap_stage { SWAP_NONE, SWAP_FILE, SWAP_ON };

static const int swap_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGPIPE, SIGTERM };
#define NR_SWAP_SIGNALS (sizeof(swap_signals) / sizeof(swap_signals[0]))

static char swap_path[sizeof(SWAPFILE_TEMPLATE)];
static volatile sig_atomic_t swap_state = SWAP_NONE;
static struct sigaction swap_old_actions[NR_SWAP_SIGNALS];
static bool swap_handlers_on;
static bool swap_atexit_on;

static void swap_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NR_SWAP_SIGNALS; i++)
		sigaddset(&set, swap_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Swap off, then remove. Async-signal-safe. 0, or -errno when swapoff failed. */
static int swap_undo(void)
{
	if (swap_state == SWAP_ON) {
		if (swapoff(swap_path))
			return -errno;
		swap_state = SWAP_FILE;
	}
	if (swap_state == SWAP_FILE) {
		unlink(swap_path);
		swap_state = SWAP_NONE;
	}
	return 0;
}

static void swap_signal(int sig)
{
	swap_undo();
	for (size_t i = 0; i < NR_SWAP_SIGNALS; i++)
		if (swap_signals[i] == sig)
			sigaction(sig, &swap_old_actions[i], NULL);
	/* Blocked until this handler returns, then taken by the restored action. */
	raise(sig);
}

static void swap_handlers_install(void)
{
	struct sigaction sa = { .sa_handler = swap_signal };

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < NR_SWAP_SIGNALS; i++) {
		const struct sigaction *old = &swap_old_actions[i];

		sigaction(swap_signals[i], NULL, &swap_old_actions[i]);
		if ((old->sa_flags & SA_SIGINFO) || old->sa_handler != SIG_IGN)
			sigaction(swap_signals[i], &sa, NULL);
	}
	swap_handlers_on = true;
}

static void swap_handlers_restore(void)
{
	for (size_t i = 0; i < NR_SWAP_SIGNALS; i++)
		sigaction(swap_signals[i], &swap_old_actions[i], NULL);
	swap_handlers_on = false;
}

/* 1 when some swap area is active, 0 when none, -errno. */
static int swap_active(void)
{
	char line[256];
	int lines = 0;
	FILE *f;

	f = fopen("/proc/swaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strchr(line, '\n'))
			lines++;
	fclose(f);
	return lines > 1; /* the first line is the header */
}

static int swap_write(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Allocate every block of the file and write the swap header. */
static int swap_fill(int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t info[3] = { 1, SWAPFILE_SIZE / page - 1, 0 }; /* version, last_page, nr_badpages */
	unsigned char *buf;
	int ret = 0;

	buf = calloc(1, SWAPFILE_CHUNK);
	if (!buf)
		return -ENOMEM;
	if (fallocate(fd, 0, 0, SWAPFILE_SIZE))
		for (off_t off = 0; off < (off_t)SWAPFILE_SIZE && !ret; off += SWAPFILE_CHUNK)
			ret = swap_write(fd, buf, SWAPFILE_CHUNK, off);
	memcpy(buf + SWAP_INFO_OFFSET, info, sizeof(info));
	memcpy(buf + page - SWAP_MAGIC_LEN, SWAP_MAGIC, SWAP_MAGIC_LEN);
	if (!ret)
		ret = swap_write(fd, buf, page, 0);
	if (!ret && fsync(fd))
		ret = -errno;
	free(buf);
	return ret;
}

int swapfile_setup(FILE *err)
{
	sigset_t old;
	int fd, ret;

	if (swap_state != SWAP_NONE)
		return 0;
	ret = swap_active();
	if (ret < 0) {
		fprintf(err, "anonvm: /proc/swaps: %s\n", strerror(-ret));
		return ret;
	}
	if (ret)
		return 0;
	if (!swap_atexit_on && atexit(swapfile_teardown)) {
		fprintf(err, "anonvm: atexit failed\n");
		return -ENOMEM;
	}
	swap_atexit_on = true;
	swap_handlers_install();

	memcpy(swap_path, SWAPFILE_TEMPLATE, sizeof(swap_path));
	swap_block(&old);
	fd = mkostemp(swap_path, O_CLOEXEC);
	ret = fd < 0 ? -errno : 0;
	if (fd >= 0)
		swap_state = SWAP_FILE;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		fprintf(err, "anonvm: cannot create a swap file in /var/tmp: %s\n", strerror(-ret));
		goto out_undo;
	}
	ret = swap_fill(fd);
	close(fd);
	if (ret) {
		fprintf(err, "anonvm: swap file %s: %s\n", swap_path, strerror(-ret));
		goto out_undo;
	}

	swap_block(&old);
	ret = swapon(swap_path, 0) ? -errno : 0;
	if (!ret)
		swap_state = SWAP_ON;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		fprintf(err, "anonvm: swapon %s: %s (pageout needs active swap)\n", swap_path,
			strerror(-ret));
		goto out_undo;
	}
	return 0;

out_undo:
	swapfile_teardown();
	return ret;
}

void swapfile_teardown(void)
{
	sigset_t old;
	int ret;

	swap_block(&old);
	ret = swap_undo();
	if (ret)
		fprintf(stderr, "anonvm: swapoff %s: %s; the swap file is left in place\n",
			swap_path, strerror(-ret));
	else if (swap_handlers_on)
		swap_handlers_restore();
	sigprocmask(SIG_SETMASK, &old, NULL);
}
