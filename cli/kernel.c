// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel.c: the kernel executor (`anonvm run --kernel`): a script run on real processes
 * and real system calls, its state read back from /proc into the canonical dump.
 *
 * Processes. The coordinator (the process calling kernel_run) runs no script command
 * itself. Each script process is one worker process: `spawn P` forks the coordinator (its
 * memory lies outside the arena, checked at start, so the child's arena is empty);
 * `P fork C` is fork() in P's worker, and the child becomes C's worker. Workers disable THP,
 * ignore SIGCHLD (their children are reaped by the kernel), are pinned to the CPU the run
 * started on (MADV_PAGEOUT drains only the local CPU's LRU batches; pinned, every folio a
 * worker faulted is in them), allocate nothing (no malloc, no stdio: they may be forks of a
 * multi-threaded coordinator; par blocks below are the one exception) and leave with _exit. The coordinator is a child subreaper
 * for the run, so a worker orphaned by `P exit` is still reaped by it.
 *
 * Protocol. One SOCK_SEQPACKET socket per worker, its end at fd WORKER_FD in the worker.
 * Strictly one message in flight: the coordinator sends a struct kreq, the worker answers
 * with a struct kresp. Exceptions: a spawned worker first sends a hello (a kresp, err = the
 * errno of its set-up); OP_EXIT gets no answer, the worker _exits and the coordinator waits
 * on its pidfd until the process is gone (its mm torn down: exit_mm() runs before the task
 * is a zombie); the answer to OP_FORK carries two descriptors (SCM_RIGHTS): the
 * coordinator's end of the child's socket and a pidfd of the child; a par block has a
 * protocol of its own (below). A worker dies when its
 * socket reads EOF (the coordinator is gone); spawned workers also by PR_SET_PDEATHSIG.
 * The coordinator waits on the socket and the pidfd together, so a dead worker is seen, and
 * gives up after KWORKER_TIMEOUT_MS.
 *
 * Dumps read, per live worker, /proc/PID/maps (arena VMAs), /proc/PID/pagemap (the regions
 * with present or swapped pages found by the PAGEMAP_SCAN ioctl, then one pread per region
 * in chunks of KPM_CHUNK entries), /proc/kpageflags and /proc/kpagecount per
 * present page, and /proc/PID/mem for the bytes of present non-zero pages only (so nothing
 * is faulted in). Between commands every worker is blocked in recv(): the system is still.
 *
 * Out of memory (`memcg N`): the workers run in a memory cgroup made for the run, a child of
 * the coordinator's (cgroup v2 memory.max = N pages, memory.swap.max = 0; or cgroup v1
 * memory.limit_in_bytes and memory.memsw.limit_in_bytes), joined by each spawned worker in
 * its set-up (its forks inherit it). After each command the cgroup's oom_kill count says
 * how many workers the OOM killer killed; each one found dead is printed as
 * `!! LINE P CMD: OOM-KILL V` and its later commands give ESRCH. The cgroup also charges
 * the workers' own kernel memory (stacks, page tables, ...), so it fills a little before the
 * model's: scenarios keep clear of the exact point.
 *
 * par blocks. Each line of a block runs on a thread of its process's worker, made with
 * pthread_create for the block and joined at its end (a pool made at spawn would not survive
 * fork: a forked worker has its parent's calling thread only). That is the one place a
 * worker allocates: glibc's pthread_create maps the thread's stack (outside the arena) and
 * mallocs its TLS vector, which glibc keeps safe in the child of a multi-threaded fork (its
 * fork resets the malloc, loader and stack-cache locks there). Everything else of the block
 * is static: the worker reads the block's commands from the script (workers are forks of the
 * coordinator: kernel_script is theirs too), its threads and their results live in static
 * arrays, and the SIGSEGV/SIGBUS state of an access is per thread (__thread). The protocol
 * of a block, several messages in flight (one per worker) instead of one:
 *   1. to each worker with lines in the block: a kreq OP_PAR (the block, the worker's
 *      process); the worker makes one thread per line of its own, waits until all wait at a
 *      start gate (par.h) and answers with a kresp (err: pthread_create's, the block called
 *      off);
 *   2. every CPU's LRU batches drained (kernel_drain_lru), then to each worker a kreq
 *      KREQ_GO: the gates open, so every thread of every process starts at about the same
 *      time;
 *   3. from each worker, one kresp per line of its own, in line order, once all its threads
 *      ended: op = the command that stopped the line (its first error or signal, the
 *      line's `!!`), -1 for none. The coordinator takes them line by line and prints the
 *      `!!` lines so, then drains the LRU batches again.
 * A block's threads are not pinned with their worker: line i runs pinned to the i-th CPU
 * (round robin) of those the coordinator may use, so that they really run at once. The
 * drains before and after the block keep what pinning gives the commands around it (every
 * folio faulted before is on the LRU for MADV_PAGEOUT); a line that faults pages and pages
 * them out stays on its CPU, whose batches its MADV_PAGEOUT drains. Without move_pages(2) (a
 * kernel without NUMA) there is no drain, and a block's threads stay on the run's CPU.
 *
 * Concurrency: kernel_run is single-threaded (a par block's threads are the workers'); nothing
 * here is shared between runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canon.h"
#include "exec.h"
#include "par.h"
#include "script.h"
#include "swapfile.h"

#define WORKER_FD 3
#define KWORKER_TIMEOUT_MS (120 * 1000)
#define KPM_CHUNK 65536UL /* pagemap entries per pread */
#define KPM_REGIONS 1024  /* regions per PAGEMAP_SCAN */
#define KREQ_GO OP_NR	  /* kreq.cmd: a par block's threads may start */
#define PAR_STACK (256 << 10) /* the stack of a par block's thread */

/* PAGEMAP_SCAN (include/uapi/linux/fs.h, Linux 6.7; Debian 12's headers predate it) */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

/* /proc/PID/pagemap and /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define KPF_ZERO_PAGE (1ULL << 24)

struct kreq {
	uint32_t cmd;	   /* enum op_kind */
	uint32_t flags;	   /* OPF_* */
	uint64_t addr;	   /* bytes */
	uint64_t len;	   /* bytes */
	uint64_t new_addr; /* mremap */
	uint64_t new_len;  /* mremap, bytes */
	int32_t prot;
	int32_t advice;
	uint32_t value; /* write */
	int32_t par;	/* OP_PAR: the block's index in the script's ops */
	int32_t proc;	/* OP_PAR: the worker's process */
};

struct kresp {
	int32_t err;   /* 0 or a positive errno */
	int32_t sig;   /* read/write: SIGSEGV or SIGBUS stopped the access, else 0 */
	uint64_t addr; /* sig: the first faulting page */
	int32_t pid;   /* fork: the child */
	int32_t op;    /* a par line's answer: the op that stopped it, -1 for none */
};

struct kworker {
	pid_t pid;
	int pidfd; /* -1: no live worker */
	int sock;  /* the coordinator's end */
};

struct kctx {
	const struct script *s;
	const struct run_opts *opts;
	struct kworker *w;	   /* indexed like s->names */
	struct canon_proc *procs; /* a dump's snapshots, as many */
	int kpagecount, kpageflags;
	int cpu;
	int old_subreaper;  /* -1 until set */
	bool *killed;	    /* per name: killed by the OOM killer (or forked by one that was) */
	bool *in_par;	    /* per name: has lines in the par block being run */
	char cg_dir[512];   /* the run's memory cgroup, "" without memcg */
	char cg_events[600]; /* where its oom_kill count is */
	unsigned long oom_kills; /* as last read */
	uint64_t *pm;	    /* KPM_CHUNK pagemap entries */
	struct page_region *regions; /* KPM_REGIONS of a PAGEMAP_SCAN */
	unsigned char *buf; /* one page */
};

/* ---- worker side ---- */

static char worker_cgroup_procs[600]; /* cgroup.procs of the run's memcg, "" for none */
static const struct script *kernel_script; /* the run's: the workers' copy is theirs */
static int par_cpus[CPU_SETSIZE]; /* the CPUs a par block's lines run on, in turn */
static int nr_par_cpus;
static __thread sigjmp_buf worker_jmp;
static __thread volatile sig_atomic_t worker_in_access;
static __thread volatile unsigned long worker_fault;
static char worker_sigstack[64 << 10];

static void worker_fault_handler(int sig, siginfo_t *si, void *uc)
{
	if (!worker_in_access) {
		/* Not a scripted access: a bug; die of it on return. */
		signal(sig, SIG_DFL);
		return;
	}
	worker_in_access = 0;
	worker_fault = (unsigned long)si->si_addr & ~(SCRIPT_PAGE - 1);
	siglongjmp(worker_jmp, sig);
}

static int chan_send(int sock, const void *msg, size_t len, const int *fds, size_t nr_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (nr_fds) {
		memset(&c, 0, sizeof(c));
		mh.msg_control = c.buf;
		mh.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
	}
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static void worker_answer(const struct kresp *rs, const int *fds, size_t nr_fds)
{
	if (chan_send(WORKER_FD, rs, sizeof(*rs), fds, nr_fds))
		_exit(1);
}

/* The user accesses of read/write; apart from sigsetjmp so no local is live across it. */
static void __attribute__((noinline)) worker_touch(const struct kreq *rq)
{
	worker_in_access = 1;
	for (unsigned long i = 0; i < rq->len / SCRIPT_PAGE; i++) {
		unsigned char *p = (unsigned char *)(uintptr_t)(rq->addr + i * SCRIPT_PAGE);

		if (rq->cmd == OP_WRITE)
			memset(p, script_write_byte(rq->value, i), SCRIPT_PAGE);
		else
			(void)*(volatile unsigned char *)p;
	}
	worker_in_access = 0;
}

static void worker_access(const struct kreq *rq, struct kresp *rs)
{
	int sig = sigsetjmp(worker_jmp, 1);

	if (sig) {
		rs->sig = sig;
		rs->addr = worker_fault;
		return;
	}
	worker_touch(rq);
}

/* 0 or a positive errno. */
static int worker_syscall(const struct kreq *rq)
{
	void *addr = (void *)(uintptr_t)rq->addr;
	void *p;
	int flags;

	switch (rq->cmd) {
	case OP_MMAP:
		flags = MAP_ANONYMOUS | MAP_FIXED;
		flags |= rq->flags & OPF_SHARED ? MAP_SHARED : MAP_PRIVATE;
		flags |= rq->flags & OPF_POPULATE ? MAP_POPULATE : 0;
		flags |= rq->flags & OPF_NORESERVE ? MAP_NORESERVE : 0;
		p = mmap(addr, rq->len, rq->prot, flags, -1, 0);
		return p == MAP_FAILED ? errno : 0;
	case OP_MUNMAP:
		return munmap(addr, rq->len) ? errno : 0;
	case OP_MPROTECT:
		return mprotect(addr, rq->len, rq->prot) ? errno : 0;
	case OP_MREMAP:
		if (rq->flags & OPF_NEWADDR) {
			flags = MREMAP_MAYMOVE | MREMAP_FIXED;
			flags |= rq->flags & OPF_DONTUNMAP ? MREMAP_DONTUNMAP : 0;
			p = mremap(addr, rq->len, rq->new_len, flags,
				   (void *)(uintptr_t)rq->new_addr);
		} else {
			p = mremap(addr, rq->len, rq->new_len, 0);
		}
		return p == MAP_FAILED ? errno : 0;
	case OP_MADVISE:
		return madvise(addr, rq->len, rq->advice) ? errno : 0;
	default:
		return EINVAL;
	}
}

/*
 * fork: the child takes the new socket as WORKER_FD (dropping the parent's) and goes back
 * to the loop; the parent answers with the coordinator's end and a pidfd of the child.
 */
static void worker_fork(void)
{
	struct kresp rs = { 0 };
	int sv[2], fds[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		rs.err = errno;
		worker_answer(&rs, NULL, 0);
		return;
	}
	pid = fork();
	if (!pid) {
		if (dup2(sv[1], WORKER_FD) < 0)
			_exit(1);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	fds[0] = sv[0];
	fds[1] = pid < 0 ? -1 : pidfd_open(pid, 0);
	rs.err = fds[1] < 0 ? errno : 0;
	close(sv[1]);
	if (rs.err) {
		if (pid > 0)
			kill(pid, SIGKILL);
		close(sv[0]);
		worker_answer(&rs, NULL, 0);
		return;
	}
	rs.pid = pid;
	worker_answer(&rs, fds, 2);
	close(fds[0]);
	close(fds[1]);
}

/* The next request; the worker ends when the coordinator is gone. */
static void worker_recv(struct kreq *rq)
{
	ssize_t n;

	do
		n = recv(WORKER_FD, rq, sizeof(*rq), 0);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(*rq))
		_exit(n ? 1 : 0);
}

/* A command of a process: mmap ... read/write; the model-only ones do nothing. */
static void worker_command(const struct kreq *rq, struct kresp *rs)
{
	switch (rq->cmd) {
	case OP_READ:
	case OP_WRITE:
		worker_access(rq, rs);
		break;
	case OP_REFERENCED:
	case OP_MIGRATE:
		break;
	default:
		rs->err = worker_syscall(rq);
		break;
	}
}

/* The request of one command op. */
static void kreq_of(const struct op *op, struct kreq *rq)
{
	*rq = (struct kreq){
		.cmd = op->kind,
		.flags = op->flags,
		.addr = op->addr,
		.len = op->pages * SCRIPT_PAGE,
		.new_addr = op->new_addr,
		.new_len = op->new_pages * SCRIPT_PAGE,
		.prot = op->prot,
		.advice = op->advice,
		.value = op->value,
	};
}

/* The threads of a par block in this worker (static: workers allocate nothing). */
static struct wpar_thread {
	pthread_t tid;
	int first, nr_ops; /* its commands: kernel_script->ops[first...] */
	int cpu;	   /* it runs on, or -1 */
	struct kresp rs;   /* what stopped it (rs.op), or rs.op = -1 */
} wpar[PAR_MAX_THREADS];
static struct par_gate wpar_gate;
static unsigned long wpar_repeat;

static void *worker_par_thread(void *arg)
{
	struct wpar_thread *th = arg;
	const struct op *ops = &kernel_script->ops[th->first];
	cpu_set_t one;

	if (th->cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(th->cpu, &one);
		sched_setaffinity(0, sizeof(one), &one); /* this thread; else stay on the worker's */
	}
	if (!par_gate_pass(&wpar_gate))
		return NULL;
	for (unsigned long r = 0; r < wpar_repeat; r++) {
		for (int i = 0; i < th->nr_ops; i++) {
			struct kreq rq;

			kreq_of(&ops[i], &rq);
			worker_command(&rq, &th->rs);
			if (th->rs.err || th->rs.sig) {
				th->rs.op = th->first + i;
				return NULL;
			}
		}
	}
	return NULL;
}

/* A par block (rq: OP_PAR): the protocol of the header comment, the worker's side. */
static void worker_par(const struct kreq *rq)
{
	const struct script *s = kernel_script;
	struct kresp ready = { 0 };
	pthread_attr_t attr;
	struct kreq go;
	int nr = 0, line = 0;

	wpar_repeat = s->ops[rq->par].repeat;
	par_gate_init(&wpar_gate);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PAR_STACK);
	for (int i = rq->par + 1, n; (n = par_thread_len(s, rq->par, i)); i += n, line++) {
		struct wpar_thread *th = &wpar[nr];

		if (s->ops[i].proc != rq->proc)
			continue;
		*th = (struct wpar_thread){ .first = i, .nr_ops = n, .rs.op = -1,
					    .cpu = nr_par_cpus ? par_cpus[line % nr_par_cpus] : -1 };
		ready.err = pthread_create(&th->tid, &attr, worker_par_thread, th);
		if (ready.err)
			break;
		nr++;
	}
	pthread_attr_destroy(&attr);
	par_gate_wait_for(&wpar_gate, nr);
	worker_answer(&ready, NULL, 0);
	if (!ready.err) {
		worker_recv(&go);
		if (go.cmd != KREQ_GO)
			_exit(1);
	}
	par_gate_open(&wpar_gate, !ready.err);
	for (int i = 0; i < nr; i++)
		pthread_join(wpar[i].tid, NULL);
	par_gate_destroy(&wpar_gate);
	for (int i = 0; i < nr && !ready.err; i++)
		worker_answer(&wpar[i].rs, NULL, 0);
}

static void __attribute__((noreturn)) worker_loop(void)
{
	struct kreq rq;

	for (;;) {
		struct kresp rs = { 0 };

		worker_recv(&rq);
		switch (rq.cmd) {
		case OP_EXIT:
			_exit(0);
		case OP_FORK:
			worker_fork();
			continue;
		case OP_PAR:
			worker_par(&rq);
			continue;
		default:
			worker_command(&rq, &rs);
			break;
		}
		worker_answer(&rs, NULL, 0);
	}
}

/* Set-up of a spawned worker; 0 or a positive errno. */
static int worker_setup(pid_t coordinator, int cpu)
{
	struct sigaction sa = { .sa_sigaction = worker_fault_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	stack_t ss = { .ss_sp = worker_sigstack, .ss_size = sizeof(worker_sigstack) };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	cpu_set_t cpus;
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != coordinator)
		return ESRCH;
	if (worker_cgroup_procs[0]) {
		/* join the run's memory cgroup: "0" means the writer (no formatting needed) */
		int fd = open(worker_cgroup_procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			return e;
		}
		close(fd);
	}
	/* The coordinator's handlers (swapfile.c's among them) are not the worker's. */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL))
		return errno;
	signal(SIGCHLD, SIG_IGN);
	if (sigaltstack(&ss, NULL) || sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		return errno;
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		return errno;
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		return errno;
	return 0;
}

static void __attribute__((noreturn)) worker_main(int sock, pid_t coordinator, int cpu)
{
	struct kresp hello = { 0 };

	if (dup2(sock, WORKER_FD) < 0)
		_exit(1);
	close_range(WORKER_FD + 1, ~0U, 0);
	hello.err = worker_setup(coordinator, cpu);
	worker_answer(&hello, NULL, 0);
	if (hello.err)
		_exit(1);
	worker_loop();
}

/* ---- coordinator side ---- */

static const char *kname(const struct kctx *k, int proc)
{
	return k->s->names[proc];
}

/* A worker that cannot go on: the message, and -err for kernel_run's exit status 2. */
static int kernel_lost(struct kctx *k, const struct op *op, int proc, int err)
{
	fprintf(k->opts->err, "%s:%d: error: kernel: process %s (pid %d): %s\n", k->s->path,
		op->line, kname(k, proc), k->w[proc].pid,
		err == ETIMEDOUT ? "no answer from its worker" : "its worker died");
	return -err;
}

/* Waits until fd is readable; 0, or -ETIMEDOUT. */
static int kernel_wait_fd(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : n < 0 ? -errno : -ETIMEDOUT;
}

/*
 * The answer of a worker. Descriptors that come with it go to fds (room for 2, *nr_fds of
 * them), or are closed when fds is NULL. 0, -EPIPE (the worker is gone), or -ETIMEDOUT.
 */
static int kernel_recv(struct kworker *w, struct kresp *rs, int *fds, size_t *nr_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = rs, .iov_len = sizeof(*rs) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = c.buf,
			     .msg_controllen = sizeof(c.buf) };
	struct pollfd pfd[2] = { { .fd = w->sock, .events = POLLIN },
				 { .fd = w->pidfd, .events = POLLIN } };
	struct cmsghdr *cm;
	int got[2];
	size_t nr = 0;
	ssize_t n;

	do
		n = poll(pfd, 2, KWORKER_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0 || !pfd[0].revents)
		return -EPIPE;
	n = recvmsg(w->sock, &mh, MSG_CMSG_CLOEXEC);
	for (cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			nr = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			nr = nr < 2 ? nr : 2;
			memcpy(got, CMSG_DATA(cm), nr * sizeof(int));
		}
	}
	if (n != sizeof(*rs) || (mh.msg_flags & MSG_CTRUNC) || !fds) {
		for (size_t i = 0; i < nr; i++)
			close(got[i]);
		return n == sizeof(*rs) && !(mh.msg_flags & MSG_CTRUNC) ? 0 : -EPIPE;
	}
	memcpy(fds, got, nr * sizeof(int));
	*nr_fds = nr;
	return 0;
}

static void kernel_forget(struct kworker *w);

/* The oom_kill count of the run's memory cgroup. */
static unsigned long kernel_oom_kills(struct kctx *k)
{
	unsigned long n = 0, v;
	char key[64];
	FILE *f = fopen(k->cg_events, "re");

	if (!f)
		return 0;
	while (fscanf(f, "%63s %lu", key, &v) == 2)
		if (!strcmp(key, "oom_kill"))
			n = v;
	fclose(f);
	return n;
}

/*
 * After op: the workers the OOM killer killed meanwhile (as many as the cgroup counted,
 * each waited for), printed and forgotten. True when proc is one of them.
 */
static bool kernel_oom_reap(struct kctx *k, const struct op *op, int proc)
{
	unsigned long kills = k->cg_dir[0] ? kernel_oom_kills(k) : 0, found = 0;
	bool hit = false;

	if (kills <= k->oom_kills)
		return false;
	for (int pass = 0; pass < KWORKER_TIMEOUT_MS / 10 && found < kills - k->oom_kills; pass++) {
		for (int i = 0; i < k->s->nr_names; i++) {
			if (k->w[i].pidfd < 0 || kernel_wait_fd(k->w[i].pidfd, 0))
				continue;
			canon_print_oom(k->opts->out, op->line, kname(k, op->proc),
					op_name(op->kind), kname(k, i));
			kernel_forget(&k->w[i]);
			k->killed[i] = true;
			hit |= i == proc;
			found++;
		}
		if (found < kills - k->oom_kills)
			kernel_wait_fd(-1, 10); /* a victim may take a moment to die */
	}
	k->oom_kills = kills;
	return hit;
}

/*
 * Sends rq to proc's worker, takes the answer (fds as kernel_recv), reports a lost worker.
 * 1: the OOM killer killed the worker meanwhile (printed).
 */
static int kernel_xfer(struct kctx *k, const struct op *op, int proc, const struct kreq *rq,
		       struct kresp *rs, int *fds, size_t *nr_fds)
{
	struct kworker *w = &k->w[proc];
	int ret;

	ret = chan_send(w->sock, rq, sizeof(*rq), NULL, 0);
	if (!ret)
		ret = kernel_recv(w, rs, fds, nr_fds);
	if (kernel_oom_reap(k, op, proc))
		return 1;
	return ret ? kernel_lost(k, op, proc, ret == -ETIMEDOUT ? ETIMEDOUT : EPIPE) : 0;
}

static void kernel_forget(struct kworker *w)
{
	siginfo_t si;

	/* Reap it if it is our child (spawned, or orphaned to us as subreaper). */
	waitid(P_PIDFD, w->pidfd, &si, WEXITED | WNOHANG);
	close(w->pidfd);
	close(w->sock);
	w->pidfd = w->sock = -1;
}

static int kernel_spawn(struct kctx *k, const struct op *op)
{
	struct kworker *w = &k->w[op->child];
	pid_t self = getpid();
	struct kresp hello;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		goto out_errno;
	w->pid = fork();
	if (!w->pid)
		worker_main(sv[1], self, k->cpu);
	close(sv[1]);
	if (w->pid < 0) {
		close(sv[0]);
		goto out_errno;
	}
	w->sock = sv[0];
	w->pidfd = pidfd_open(w->pid, 0);
	if (w->pidfd < 0) {
		ret = -errno;
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		close(w->sock);
		w->sock = -1;
		goto out_msg;
	}
	ret = kernel_recv(w, &hello, NULL, NULL);
	if (ret)
		return kernel_lost(k, op, op->child, -ret);
	if (hello.err) {
		ret = -hello.err;
		goto out_msg;
	}
	return 0;

out_errno:
	ret = -errno;
out_msg:
	fprintf(k->opts->err, "%s:%d: error: kernel: cannot start a worker for %s: %s\n",
		k->s->path, op->line, kname(k, op->child), strerror(-ret));
	return ret;
}

static int kernel_fork(struct kctx *k, const struct op *op)
{
	struct kreq rq = { .cmd = OP_FORK };
	struct kworker *c = &k->w[op->child];
	struct kresp rs;
	size_t nr_fds = 0;
	int fds[2], ret;

	ret = kernel_xfer(k, op, op->proc, &rq, &rs, fds, &nr_fds);
	if (ret == 1) {
		k->killed[op->child] = true;
		return 0;
	}
	if (ret)
		return ret;
	if (rs.err || nr_fds != 2) {
		for (size_t i = 0; i < nr_fds; i++)
			close(fds[i]);
		fprintf(k->opts->err, "%s:%d: error: kernel: %s fork: %s\n", k->s->path, op->line,
			kname(k, op->proc), strerror(rs.err ? rs.err : EPROTO));
		return -(rs.err ? rs.err : EPROTO);
	}
	c->pid = rs.pid;
	c->sock = fds[0];
	c->pidfd = fds[1];
	return 0;
}

static int kernel_exit(struct kctx *k, const struct op *op)
{
	struct kreq rq = { .cmd = OP_EXIT };
	struct kworker *w = &k->w[op->proc];
	int ret;

	chan_send(w->sock, &rq, sizeof(rq), NULL, 0);
	/* Readable once the task is a zombie or gone: exit_mm() has run. */
	ret = kernel_wait_fd(w->pidfd, KWORKER_TIMEOUT_MS);
	if (ret)
		return kernel_lost(k, op, op->proc, ETIMEDOUT);
	kernel_forget(w);
	return 0;
}

/* The `!!` line of a command's answer, when the kernel said no or sent a signal. */
static void kernel_report(struct kctx *k, const struct op *op, const struct kresp *rs)
{
	const char *name = kname(k, op->proc);

	if (rs->err)
		canon_print_error(k->opts->out, op->line, name, op_name(op->kind), rs->err);
	if (rs->sig)
		canon_print_signal(k->opts->out, op->line, name, op_name(op->kind),
				   rs->sig == SIGBUS ? "SIGBUS" : "SIGSEGV", rs->addr);
}

/* mmap ... read/write: one request, and a `!!` line when the kernel said no. */
static int kernel_call(struct kctx *k, const struct op *op)
{
	struct kreq rq;
	struct kresp rs;
	int ret;

	kreq_of(op, &rq);
	ret = kernel_xfer(k, op, op->proc, &rq, &rs, NULL, NULL);
	if (ret == 1)
		return 0;
	if (ret)
		return ret;
	kernel_report(k, op, &rs);
	return 0;
}

/*
 * Every CPU's LRU batches drained into the LRU lists (lru_add_drain_all): move_pages(2) of
 * a page of ours to the node it is on drains them all first (do_pages_move) and moves
 * nothing. False when the kernel has no move_pages (no NUMA).
 */
static bool kernel_drain_lru(void)
{
	volatile char probe = 1; /* written: its page is present */
	void *pages[1] = { (void *)&probe };
	int node = -1;

	if (syscall(SYS_move_pages, 0, 1UL, pages, NULL, &node, 0) || node < 0)
		return false;
	return !syscall(SYS_move_pages, 0, 1UL, pages, &node, &node, 0);
}

/* Sends rq to every worker with lines in the par block (in_par); 0 or kernel_lost's. */
static int kernel_par_send(struct kctx *k, const struct op *par, struct kreq *rq)
{
	for (int p = 0; p < k->s->nr_names; p++) {
		if (!k->in_par[p])
			continue;
		rq->proc = p;
		if (chan_send(k->w[p].sock, rq, sizeof(*rq), NULL, 0))
			return kernel_lost(k, par, p, EPIPE);
	}
	return 0;
}

/* A par block: the protocol of the header comment, the coordinator's side. */
static int kernel_par(struct kctx *k, const struct op *par)
{
	const struct script *s = k->s;
	int first = (int)(par - s->ops), ret;
	struct kreq rq = { .cmd = OP_PAR, .par = first };
	struct kresp rs;

	memset(k->in_par, 0, s->nr_names * sizeof(*k->in_par));
	for (int i = first + 1, n; (n = par_thread_len(s, first, i)); i += n)
		k->in_par[s->ops[i].proc] = true;
	for (int p = 0; p < s->nr_names; p++) {
		if (k->in_par[p] && (k->killed[p] || k->w[p].pidfd < 0)) {
			fprintf(k->opts->err, "%s:%d: error: kernel: par: process %s is gone\n",
				s->path, par->line, kname(k, p));
			return -ESRCH;
		}
	}
	ret = kernel_par_send(k, par, &rq);
	for (int p = 0; !ret && p < s->nr_names; p++) {
		if (!k->in_par[p])
			continue;
		ret = kernel_recv(&k->w[p], &rs, NULL, NULL);
		if (ret)
			return kernel_lost(k, par, p, ret == -ETIMEDOUT ? ETIMEDOUT : EPIPE);
		if (rs.err) {
			fprintf(k->opts->err, "%s:%d: error: kernel: par: cannot start a thread of %s: "
					      "%s\n", s->path, par->line, kname(k, p), strerror(rs.err));
			return -rs.err;
		}
	}
	if (ret)
		return ret;
	kernel_drain_lru();
	rq.cmd = KREQ_GO;
	ret = kernel_par_send(k, par, &rq);
	/* each worker answers for its lines in line order: take them so */
	for (int i = first + 1, n; !ret && (n = par_thread_len(s, first, i)); i += n) {
		int p = s->ops[i].proc;

		ret = kernel_recv(&k->w[p], &rs, NULL, NULL);
		if (ret)
			return kernel_lost(k, par, p, ret == -ETIMEDOUT ? ETIMEDOUT : EPIPE);
		if (rs.op > first && rs.op <= first + par->nr_body)
			kernel_report(k, &s->ops[rs.op], &rs);
	}
	kernel_drain_lru();
	return ret;
}

/* The VMAs of /proc/PID/maps (path) that overlap the arena. */
static int kernel_read_maps(const char *path, struct canon_proc *p)
{
	unsigned long start, end;
	char perms[5], *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3 || strlen(perms) != 4)
			ret = -EPROTO;
		else if (start < ARENA_END && end > ARENA_START)
			ret = canon_add_vma(p, start, end, perms);
	}
	free(line);
	fclose(f);
	return ret;
}

/* One 8-byte entry of /proc/kpagecount or /proc/kpageflags. */
static int kernel_kpage(int fd, uint64_t pfn, uint64_t *val)
{
	ssize_t n = pread(fd, val, sizeof(*val), pfn * sizeof(*val));

	if (n < 0)
		return -errno;
	return n == sizeof(*val) ? 0 : -EIO;
}

/* The snapshot of one present pagemap entry at addr of v. */
static int kernel_page(struct kctx *k, int mem, const struct canon_vma *v, unsigned long addr,
		       uint64_t pme, struct canon_page *pg)
{
	uint64_t flags, count;
	ssize_t n;
	int ret;

	*pg = (struct canon_page){ .addr = addr, .kind = CP_SWAP };
	if (!(pme & PM_PRESENT))
		return 0;
	pg->frame = pme & PM_PFN_MASK;
	ret = kernel_kpage(k->kpageflags, pg->frame, &flags);
	if (ret)
		return ret;
	if (flags & KPF_ZERO_PAGE) {
		pg->kind = CP_ZERO;
		return 0;
	}
	pg->kind = v->perms[3] == 's' ? CP_SHMEM : CP_ANON;
	ret = kernel_kpage(k->kpagecount, pg->frame, &count);
	if (ret)
		return ret;
	pg->mapcount = count;
	n = pread(mem, k->buf, SCRIPT_PAGE, addr);
	if (n != SCRIPT_PAGE)
		return n < 0 ? -errno : -EIO;
	pg->sum = fnv1a32(k->buf, SCRIPT_PAGE);
	return 0;
}

/* Pages [addr, end) of v from /proc/PID/pagemap, chunk by chunk; present ones recorded. */
static int kernel_snapshot_range(struct kctx *k, int pagemap, int mem, const struct canon_vma *v,
				 unsigned long addr, unsigned long end, struct canon_proc *p)
{
	struct canon_page pg;
	unsigned long nr;
	ssize_t n;
	int ret;

	for (; addr < end; addr += nr * SCRIPT_PAGE) {
		nr = (end - addr) / SCRIPT_PAGE;
		nr = nr < KPM_CHUNK ? nr : KPM_CHUNK;
		n = pread(pagemap, k->pm, nr * sizeof(*k->pm), addr / SCRIPT_PAGE * sizeof(*k->pm));
		if (n != (ssize_t)(nr * sizeof(*k->pm)))
			return n < 0 ? -errno : -EIO;
		for (unsigned long i = 0; i < nr; i++) {
			if (!(k->pm[i] & (PM_PRESENT | PM_SWAP)))
				continue;
			ret = kernel_page(k, mem, v, addr + i * SCRIPT_PAGE, k->pm[i], &pg);
			if (!ret)
				ret = canon_add_page(p, &pg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * The present pages of v. PAGEMAP_SCAN (Linux 6.7+) finds the regions that hold present or
 * swapped pages, skipping empty page tables, so a dump costs what is mapped and not the
 * VMA's size; pagemap is then read for those regions only. Without the ioctl, all of v.
 */
static int kernel_snapshot_vma(struct kctx *k, int pagemap, int mem, const struct canon_vma *v,
			       struct canon_proc *p)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = v->start,
		.end = v->end,
		.vec = (uintptr_t)k->regions,
		.vec_len = KPM_REGIONS,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	int nr, ret;

	while (arg.start < arg.end) {
		nr = ioctl(pagemap, PAGEMAP_SCAN, &arg);
		if (nr < 0 && arg.start == v->start && (errno == ENOTTY || errno == EINVAL))
			return kernel_snapshot_range(k, pagemap, mem, v, v->start, v->end, p);
		if (nr < 0)
			return -errno;
		for (int i = 0; i < nr; i++) {
			ret = kernel_snapshot_range(k, pagemap, mem, v, k->regions[i].start,
						    k->regions[i].end, p);
			if (ret)
				return ret;
		}
		if (arg.walk_end <= arg.start)
			return -EIO;
		arg.start = arg.walk_end;
	}
	return 0;
}

static int kernel_snapshot(struct kctx *k, pid_t pid, struct canon_proc *p)
{
	char path[64];
	int pagemap, mem, ret;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	ret = kernel_read_maps(path, p);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pagemap = open(path, O_RDONLY | O_CLOEXEC);
	if (pagemap < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem < 0) {
		ret = -errno;
		goto out_pagemap;
	}
	for (size_t i = 0; i < p->nr_vmas && !ret; i++)
		ret = kernel_snapshot_vma(k, pagemap, mem, &p->vmas[i], p);
	close(mem);
out_pagemap:
	close(pagemap);
	return ret;
}

static int kernel_dump(struct kctx *k, const struct op *op)
{
	struct canon_proc *procs = k->procs;
	size_t nr = 0;
	int ret = 0;

	for (int i = 0; i < k->s->nr_names && !ret; i++) {
		struct kworker *w = &k->w[i];

		if (w->pidfd < 0)
			continue;
		/* A worker that died by itself has an empty maps file: check first. */
		if (!kernel_wait_fd(w->pidfd, 0)) {
			ret = kernel_lost(k, op, i, EPIPE);
			break;
		}
		procs[nr].name = kname(k, i);
		ret = kernel_snapshot(k, w->pid, &procs[nr++]);
		if (ret)
			fprintf(k->opts->err, "%s:%d: error: kernel: reading /proc of %s: %s\n",
				k->s->path, op->line, kname(k, i), strerror(-ret));
	}
	if (!ret)
		canon_print_dump(k->opts->out, op->line, procs, nr);
	for (size_t i = 0; i < nr; i++)
		canon_proc_free(&procs[i]);
	return ret;
}

static int kernel_op(struct kctx *k, const struct op *op)
{
	if (op->proc >= 0 && op->kind != OP_SPAWN && k->killed[op->proc]) {
		/* killed by the OOM killer: no such process */
		if (op->kind == OP_FORK)
			k->killed[op->child] = true;
		canon_print_error(k->opts->out, op->line, kname(k, op->proc), op_name(op->kind),
				  ESRCH);
		return 0;
	}
	switch (op->kind) {
	case OP_SPAWN:
		return kernel_spawn(k, op);
	case OP_MMAP:
	case OP_MUNMAP:
	case OP_MPROTECT:
	case OP_MREMAP:
	case OP_MADVISE:
	case OP_WRITE:
	case OP_READ:
		return kernel_call(k, op);
	case OP_FORK:
		return kernel_fork(k, op);
	case OP_EXIT:
		return kernel_exit(k, op);
	case OP_DUMP:
		return kernel_dump(k, op);
	case OP_PAR:
		return kernel_par(k, op);
	default: /* check, stats, dot: model only */
		return 0;
	}
}

static bool kernel_needs_swap(const struct script *s)
{
	for (int i = 0; i < s->nr_ops; i++)
		if (s->ops[i].kind == OP_MADVISE && s->ops[i].advice == MADV_PAGEOUT)
			return true;
	return false;
}

/* True when pagemap shows PFNs (CAP_SYS_ADMIN): probed with the page of a local. */
static bool kernel_pfns_visible(void)
{
	volatile uint64_t probe = 0; /* written: its page is present */
	uint64_t pme;
	off_t off;
	bool ok;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	off = (uintptr_t)&probe / SCRIPT_PAGE * sizeof(pme);
	ok = pread(fd, &pme, sizeof(pme), off) == sizeof(pme) && (pme & PM_PRESENT) &&
	     (pme & PM_PFN_MASK);
	close(fd);
	return ok;
}

/* Writes text to dir/file; 0 or -errno. */
static int cg_write(const char *dir, const char *file, const char *text)
{
	char path[400];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

/* This process's cgroup path in the hierarchy named by prefix ("0::" or "N:memory:"). */
static bool cg_self_path(const char *v1_controller, char *out, size_t size)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;

		if (!b)
			continue;
		*b = '\0';
		if (v1_controller ? !strcmp(a + 1, v1_controller) : !strcmp(line, "0")) {
			b[strcspn(b + 1, "\n") + 1] = '\0';
			snprintf(out, size, "%s", b + 1);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * The run's memory cgroup of pages pages, without swap: cgroup v2 where its memory
 * controller is, else v1's memory hierarchy; a child of this process's own cgroup.
 */
static int kernel_memcg_setup(struct kctx *k, unsigned long pages)
{
	char self[256], limit[32];
	bool v2 = !access("/sys/fs/cgroup/cgroup.controllers", R_OK) &&
		  !access("/sys/fs/cgroup/memory.stat", R_OK); /* memory on the v2 root? */
	int ret;

	snprintf(limit, sizeof(limit), "%lu", pages * SCRIPT_PAGE);
	if (v2 && cg_self_path(NULL, self, sizeof(self))) {
		char parent[300];

		snprintf(parent, sizeof(parent), "/sys/fs/cgroup%s", self);
		(void)cg_write(parent, "cgroup.subtree_control", "+memory");
		snprintf(k->cg_dir, sizeof(k->cg_dir), "%s/anonvm-%d", parent, getpid());
		snprintf(k->cg_events, sizeof(k->cg_events), "%s/memory.events", k->cg_dir);
		ret = mkdir(k->cg_dir, 0755) ? -errno : 0;
		if (!ret)
			ret = cg_write(k->cg_dir, "memory.max", limit);
		if (!ret)
			(void)cg_write(k->cg_dir, "memory.swap.max", "0");
	} else if (cg_self_path("memory", self, sizeof(self))) {
		snprintf(k->cg_dir, sizeof(k->cg_dir), "/sys/fs/cgroup/memory%s/anonvm-%d",
			 strcmp(self, "/") ? self : "", getpid());
		snprintf(k->cg_events, sizeof(k->cg_events), "%s/memory.oom_control", k->cg_dir);
		ret = mkdir(k->cg_dir, 0755) ? -errno : 0;
		if (!ret)
			ret = cg_write(k->cg_dir, "memory.limit_in_bytes", limit);
		if (!ret)
			(void)cg_write(k->cg_dir, "memory.memsw.limit_in_bytes", limit);
	} else {
		ret = -ENOENT;
	}
	if (ret) {
		fprintf(k->opts->err, "anonvm: --kernel: cannot make a memory cgroup%s%s: %s\n",
			k->cg_dir[0] ? " " : "", k->cg_dir, strerror(-ret));
		if (ret != -ENOENT && ret != -EEXIST)
			rmdir(k->cg_dir);
		k->cg_dir[0] = '\0';
		return ret;
	}
	snprintf(worker_cgroup_procs, sizeof(worker_cgroup_procs), "%s/cgroup.procs", k->cg_dir);
	return 0;
}

/* The model's overcommit policy is the heuristic (mode 0): say so when the machine differs. */
static void kernel_check_overcommit(FILE *err)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "re");
	int mode = 0;

	if (f && fscanf(f, "%d", &mode) == 1 && mode != 0)
		fprintf(err, "anonvm: --kernel: vm.overcommit_memory is %d, the model's is 0: "
			     "ENOMEM from mmap, mprotect, mremap and fork may differ\n", mode);
	if (f)
		fclose(f);
}

/*
 * The CPUs a par block's lines run on (the workers inherit them): all this process may use
 * when the LRU batches can be drained around a block, else none (the lines stay on the run's
 * CPU).
 */
static void kernel_par_cpus(const struct script *s)
{
	bool has_par = false;
	cpu_set_t cpus;

	nr_par_cpus = 0;
	for (int i = 0; i < s->nr_ops; i++)
		has_par |= s->ops[i].kind == OP_PAR;
	if (!has_par || !kernel_drain_lru() || sched_getaffinity(0, sizeof(cpus), &cpus))
		return;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cpus))
			par_cpus[nr_par_cpus++] = c;
}

/* Root on Linux with the /proc files of a dump, and nothing of ours in the arena. */
static int kernel_setup(struct kctx *k)
{
	FILE *err = k->opts->err;
	struct canon_proc self = { 0 };
	struct utsname u;
	int subreaper, ret;

	if (uname(&u) || strcmp(u.sysname, "Linux")) {
		fprintf(err, "anonvm: --kernel runs only on Linux\n");
		return -ENOSYS;
	}
	if (geteuid()) {
		fprintf(err, "anonvm: --kernel needs root (PFNs in /proc/PID/pagemap, "
			     "/proc/kpagecount, /proc/kpageflags)\n");
		return -EPERM;
	}
	if (!kernel_pfns_visible()) {
		fprintf(err, "anonvm: --kernel: /proc/self/pagemap shows no PFNs "
			     "(CAP_SYS_ADMIN needed)\n");
		return -EPERM;
	}
	k->kpagecount = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	k->kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (k->kpagecount < 0 || k->kpageflags < 0) {
		fprintf(err,
			"anonvm: --kernel cannot read /proc/kpagecount and /proc/kpageflags: %s\n",
			strerror(errno));
		return -errno;
	}
	ret = kernel_read_maps("/proc/self/maps", &self);
	if (!ret && self.nr_vmas)
		ret = -EEXIST;
	canon_proc_free(&self);
	if (ret) {
		fprintf(err, "anonvm: --kernel: the arena [0x%lx, 0x%lx) of this process is %s\n",
			ARENA_START, ARENA_END, ret == -EEXIST ? "not empty" : "unreadable");
		return ret;
	}
	/* +1: no zero-sized allocation for a script without processes */
	k->w = calloc(k->s->nr_names + 1, sizeof(*k->w));
	k->procs = calloc(k->s->nr_names + 1, sizeof(*k->procs));
	k->pm = malloc(KPM_CHUNK * sizeof(*k->pm));
	k->buf = malloc(SCRIPT_PAGE);
	k->regions = malloc(KPM_REGIONS * sizeof(*k->regions));
	k->killed = calloc(k->s->nr_names + 1, sizeof(*k->killed));
	k->in_par = calloc(k->s->nr_names + 1, sizeof(*k->in_par));
	if (!k->w || !k->procs || !k->pm || !k->buf || !k->regions || !k->killed || !k->in_par) {
		fprintf(err, "anonvm: out of memory\n");
		return -ENOMEM;
	}
	for (int i = 0; i < k->s->nr_names; i++)
		k->w[i] = (struct kworker){ .pid = -1, .pidfd = -1, .sock = -1 };
	k->cpu = sched_getcpu();
	if (k->cpu < 0 || prctl(PR_GET_CHILD_SUBREAPER, &subreaper) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		fprintf(err, "anonvm: --kernel: %s\n", strerror(errno));
		return -errno;
	}
	k->old_subreaper = subreaper;
	kernel_par_cpus(k->s);
	if (kernel_needs_swap(k->s) && swapfile_setup(err))
		return -EIO;
	if (script_memcg_pages(k->s) && kernel_memcg_setup(k, script_memcg_pages(k->s)))
		return -EIO;
	kernel_check_overcommit(err);
	return 0;
}

/* Kill and reap every worker, swap off, close, free. */
static void kernel_teardown(struct kctx *k)
{
	for (int i = 0; k->w && i < k->s->nr_names; i++)
		if (k->w[i].pidfd >= 0)
			pidfd_send_signal(k->w[i].pidfd, SIGKILL, NULL, 0);
	for (int i = 0; k->w && i < k->s->nr_names; i++) {
		if (k->w[i].pidfd < 0)
			continue;
		kernel_wait_fd(k->w[i].pidfd, KWORKER_TIMEOUT_MS);
		kernel_forget(&k->w[i]);
	}
	if (k->old_subreaper >= 0)
		prctl(PR_SET_CHILD_SUBREAPER, k->old_subreaper);
	worker_cgroup_procs[0] = '\0';
	for (int i = 0; k->cg_dir[0] && rmdir(k->cg_dir) && errno == EBUSY && i < 100; i++)
		usleep(10000); /* the last worker is still leaving it */
	swapfile_teardown();
	if (k->kpagecount >= 0)
		close(k->kpagecount);
	if (k->kpageflags >= 0)
		close(k->kpageflags);
	free(k->w);
	free(k->procs);
	free(k->pm);
	free(k->buf);
	free(k->regions);
	free(k->killed);
	free(k->in_par);
}

int kernel_run(const struct script *s, const struct run_opts *opts)
{
	struct kctx k = {
		.s = s, .opts = opts, .kpagecount = -1, .kpageflags = -1, .old_subreaper = -1
	};
	int ret;

	ret = kernel_setup(&k);
	kernel_script = s;
	for (int i = 0; !ret && i < s->nr_ops; i++) {
		ret = kernel_op(&k, &s->ops[i]);
		if (s->ops[i].kind == OP_PAR)
			i += s->ops[i].nr_body;
	}
	kernel_teardown(&k);
	fflush(opts->out);
	return ret ? 2 : 0;
}
