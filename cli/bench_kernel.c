// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_kernel.c: the workloads of `anonvm bench` on the live kernel: the same system calls
 * and user accesses as bench_model.c, made by real processes (one byte written per page, THP
 * off as on the kernel executor's side: the model has 4 KiB folios only).
 *
 * The process calling bench_kernel_run is a bench_isolated child, pinned to one CPU; the
 * processes it forks inherit the pinning, so both sides run the workload on one core.
 * faults --threads N runs N threads in this process, not pinned (as the model's are).
 * Times are taken with CLOCK_MONOTONIC where the work happens: in the process that forks,
 * or in a child that reports its own time through a pipe.
 *
 * Processes that must wait (forkstorm's children, forkchain's parents with --stay) block
 * in read() on a pipe whose only write end the calling process holds; closing it lets them
 * all exit. The calling process is a child subreaper, so every process of a run is reaped
 * here before the result is returned.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define PG 4096UL

static void touch(volatile unsigned char *p, unsigned long pages)
{
	for (unsigned long i = 0; i < pages; i++)
		p[i * PG] = 1;
}

static unsigned char *map_anon(unsigned long pages)
{
	void *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Reap every child (and orphan handed to us as subreaper) until none is left. */
static void reap_all(void)
{
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
}

/* All of len bytes read (write: written) on a pipe: 0, or -EPIPE at EOF or an error. */
static int io_full(int fd, void *buf, size_t len, bool write_it)
{
	ssize_t n;

	while (len) {
		n = write_it ? write(fd, buf, len) : read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		buf = (char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	return io_full(fd, buf, len, false);
}

static void write_full(int fd, const void *buf, size_t len)
{
	io_full(fd, (void *)buf, len, true);
}

/* In a forked process: wait until the parent of the run closes its end of quit, then exit. */
static void __attribute__((noreturn)) wait_quit(int quit_rd)
{
	char c;

	while (read(quit_rd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* n written pages, every other one read-only: n VMAs (plus the process's own). */
static unsigned char *map_pieces(unsigned long n)
{
	unsigned char *p = map_anon(n);

	if (!p)
		return NULL;
	touch(p, n);
	for (unsigned long i = 1; i < n; i += 2) {
		if (mprotect(p + i * PG, PG, PROT_READ))
			return NULL;
	}
	return p;
}

/* The VMAs of this process (lines of /proc/self/maps). */
static long count_vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int forkstorm(const struct bench_params *p, struct bench_result *r)
{
	int go[2], done[2], quit[2];
	unsigned char *mem;
	double t0;
	char c = 0;
	pid_t pid;

	int err = 0;

	if (pipe(go) || pipe(done) || pipe(quit))
		return -errno;
	t0 = bench_now_ns();
	mem = map_anon(p->pages);
	if (!mem)
		return -ENOMEM;
	touch(mem, p->pages);
	for (unsigned long i = 0; i < p->children && !err; i++) {
		double t = bench_now_ns();

		pid = fork();
		if (pid < 0) {
			err = -errno;
			break;
		}
		if (pid == 0) {
			close(quit[1]);
			close(go[1]);
			if (read_full(go[0], &c, 1))
				_exit(1);
			touch(mem, p->pages);
			write_full(done[1], &c, 1);
			wait_quit(quit[0]);
		}
		r->fork_ns += bench_now_ns() - t;
		r->forks++;
	}
	close(done[1]); /* a child that dies reads as EOF */
	for (unsigned long i = 0; i < r->forks && !err; i++) {
		write_full(go[1], &c, 1);
		err = read_full(done[0], &c, 1);
	}
	r->time_ns = bench_now_ns() - t0;
	/* every child waiting for go or for quit reads EOF and exits */
	close(go[1]);
	close(quit[1]);
	return err;
}

static int forkchain(const struct bench_params *p, struct bench_result *r)
{
	int go[2], done[2], quit[2];
	double t0;
	char c = 0;
	pid_t pid;

	if (pipe(go) || pipe(done) || pipe(quit))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* generation 0 */
		unsigned char *mem;

		close(quit[1]);
		close(go[1]);
		if (read_full(go[0], &c, 1))
			_exit(1);
		mem = map_anon(p->pages);
		if (!mem)
			_exit(1);
		touch(mem, p->pages);
		for (unsigned long g = 0; g < p->generations; g++) {
			pid = fork();
			if (pid < 0)
				_exit(1);
			if (pid > 0) {
				if (p->stay)
					wait_quit(quit[0]);
				_exit(0);
			}
			touch(mem, p->pages);
		}
		write_full(done[1], &c, 1);
		wait_quit(quit[0]);
	}
	close(done[1]); /* a chain that dies early reads as EOF */
	t0 = bench_now_ns();
	write_full(go[1], &c, 1);
	if (read_full(done[0], &c, 1))
		r->err = -EPIPE;
	r->time_ns = bench_now_ns() - t0;
	close(go[1]);
	close(quit[1]);
	return r->err;
}

static int splitvma(const struct bench_params *p, struct bench_result *r)
{
	double t0 = bench_now_ns();
	unsigned char *mem = map_pieces(p->pieces);

	if (!mem)
		return -ENOMEM;
	if (munmap(mem, p->pieces * PG))
		return -errno;
	r->time_ns = bench_now_ns() - t0;
	return 0;
}

/* Fork (the child exits at once) `forks` times; with only_fork, only the fork calls are timed. */
static int fork_loop(unsigned long forks, bool only_fork, struct bench_result *r)
{
	double t0 = bench_now_ns(), t;
	pid_t pid;

	for (unsigned long i = 0; i < forks; i++) {
		t = bench_now_ns();
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		r->fork_ns += bench_now_ns() - t;
		r->forks++;
		if (waitpid(pid, NULL, 0) < 0)
			return -errno;
	}
	r->time_ns = only_fork ? r->fork_ns : bench_now_ns() - t0;
	if (!only_fork)
		r->fork_ns = r->time_ns;
	return 0;
}

static int spawn(const struct bench_params *p, struct bench_result *r)
{
	long base = count_vmas();
	unsigned long n = base > 0 && (unsigned long)base < p->vmas ? p->vmas - (unsigned long)base : 1;

	if (!map_pieces(n))
		return -ENOMEM;
	r->vmas = count_vmas();
	return fork_loop(p->forks, false, r);
}

static int forkcopy(const struct bench_params *p, struct bench_result *r)
{
	unsigned char *mem = map_anon(p->bytes / PG);

	if (!mem)
		return -ENOMEM;
	touch(mem, p->bytes / PG);
	return fork_loop(p->forks, true, r);
}

/* page_fault1: map, write a byte per page, unmap, p->iterations times. 0 or -errno. */
static int page_fault1(const struct bench_params *p)
{
	unsigned long pages = p->bytes / PG;
	unsigned char *mem;

	for (unsigned long i = 0; i < p->iterations; i++) {
		mem = map_anon(pages);
		if (!mem)
			return -ENOMEM;
		touch(mem, pages);
		if (munmap(mem, pages * PG))
			return -errno;
	}
	return 0;
}

/* One thread of faults --threads: page_fault1 from the common start, timed. */
struct fault_thread {
	pthread_t thread;
	const struct bench_params *p;
	atomic_int *go;
	double t0, t1;
	int err;
};

static void *fault_thread_main(void *arg)
{
	struct fault_thread *t = arg;

	while (!atomic_load(t->go))
		sched_yield();
	t->t0 = bench_now_ns();
	t->err = atomic_load(t->go) > 0 ? page_fault1(t->p) : 0;
	t->t1 = bench_now_ns();
	return NULL;
}

/* faults --mapper: a page mapped, written and unmapped until told (once at least). */
struct mapper_thread {
	pthread_t thread;
	atomic_int *go;
	atomic_bool stop;
	unsigned long rounds;
	int err;
};

static void *mapper_thread_main(void *arg)
{
	struct mapper_thread *m = arg;
	unsigned char *mem;

	while (!atomic_load(m->go))
		sched_yield();
	if (atomic_load(m->go) < 0)
		return NULL;
	do { /* one round at least, as the model's mapper */
		mem = map_anon(1);
		if (!mem) {
			m->err = -ENOMEM;
			break;
		}
		touch(mem, 1);
		if (munmap(mem, PG))
			m->err = -errno;
		m->rounds++;
	} while (!atomic_load(&m->stop) && !m->err);
	return NULL;
}

/* faults --threads N: N threads of this process, each its own mapping (the kernel's choice). */
static int faults_threads(const struct bench_params *p, struct bench_result *r)
{
	struct fault_thread *ts = calloc(p->threads, sizeof(*ts));
	struct mapper_thread m = { 0 };
	unsigned int started = 0;
	double first = 0, last = 0;
	atomic_int go = 0;
	int err = ts ? 0 : -ENOMEM;

	for (unsigned int i = 0; i < p->threads && !err; i++) {
		ts[i].p = p;
		ts[i].go = &go;
		err = -pthread_create(&ts[i].thread, NULL, fault_thread_main, &ts[i]);
		started += !err;
	}
	m.go = &go;
	if (!err && p->mapper)
		err = -pthread_create(&m.thread, NULL, mapper_thread_main, &m);
	atomic_store(&go, err ? -1 : 1);
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(ts[i].thread, NULL);
		if (!err)
			err = ts[i].err;
		if (!i || ts[i].t0 < first)
			first = ts[i].t0;
		if (ts[i].t1 > last)
			last = ts[i].t1;
	}
	atomic_store(&m.stop, true);
	if (!err && p->mapper) {
		pthread_join(m.thread, NULL);
		err = m.err;
		r->mapper_rounds = m.rounds;
	}
	free(ts);
	r->time_ns = last - first;
	r->faults = p->threads * p->iterations * (p->bytes / PG);
	return err;
}

static int faults(const struct bench_params *p, struct bench_result *r)
{
	double t0 = bench_now_ns();
	int err;

	if (p->threads)
		return faults_threads(p, r);
	err = page_fault1(p);
	r->time_ns = bench_now_ns() - t0;
	return err;
}

static int cowfault(const struct bench_params *p, struct bench_result *r)
{
	unsigned long pages = p->bytes / PG;
	unsigned char *mem = map_anon(pages);
	int done[2];
	pid_t pid;

	if (!mem || pipe(done))
		return -ENOMEM;
	touch(mem, pages);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		double t0 = bench_now_ns(), dt;

		touch(mem, pages);
		dt = bench_now_ns() - t0;
		write_full(done[1], &dt, sizeof(dt));
		_exit(0);
	}
	close(done[1]);
	if (read_full(done[0], &r->time_ns, sizeof(r->time_ns)))
		return -EPIPE;
	return 0;
}

void bench_kernel_run(const struct bench_params *p, struct bench_result *r)
{
	static int (*const run[BW_NR])(const struct bench_params *, struct bench_result *) = {
		[BW_FORKSTORM] = forkstorm, [BW_FORKCHAIN] = forkchain, [BW_SPLITVMA] = splitvma,
		[BW_SPAWN] = spawn,	    [BW_FORKCOPY] = forkcopy,	[BW_FAULTS] = faults,
		[BW_COWFAULT] = cowfault,
	};

	memset(r, 0, sizeof(*r));
	if (!run[p->workload]) {
		r->err = -EOPNOTSUPP; /* a model-only workload (bench_has_kernel) */
		return;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) || prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		r->err = -errno;
		return;
	}
	r->err = run[p->workload](p, r);
	reap_all();
}
