// SPDX-License-Identifier: GPL-2.0-only
/*
 * model.c: the model executor: runs a parsed script on libanonvm through its public API
 * only, and prints the canonical output through canon.c.
 *
 * One struct anonvm per run; procs[i] is the address space of script name i while it lives
 * (NULL before spawn/fork and after exit). With validate_each, the validator runs after
 * every command (after a whole par block), and at the end every object must have been freed
 * (no leak).
 *
 * Threads. Commands run on a struct model_thread: the main one, or one per line of a par
 * block (real pthreads, each registered with anonvm_thread_register, released together by a
 * start gate). A block's threads only read the model's state (procs, killed): what changes
 * it (spawn, fork, exit, the OOM killer) cannot run in a block. Each thread writes its
 * model-only lines to its own memory stream and stops at its first `!!`; once all have
 * ended, their lines and `!!` lines are printed in line order.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "anonvm/anonvm.h"
#include "canon.h"
#include "cli.h"
#include "par.h"

/* One thread running commands: the script's main thread, or a line of a par block. */
struct model_thread {
	FILE *out;	     /* its model-only lines */
	int sig;	     /* the last command was an access stopped by SIGSEGV or SIGBUS... */
	unsigned long fault; /* ...at this page */
	unsigned char page[ANONVM_PAGE_SIZE];
};

struct model {
	const struct script *s;
	const struct run_opts *o;
	struct anonvm *vm;
	struct anonvm_mm **procs;
	bool *killed; /* by the OOM killer (or never made: forked by a killed process) */
	struct model_thread main;
};

static int model_dump(struct model *m, int line)
{
	struct canon_proc *cp = calloc(m->s->nr_names, sizeof(*cp));
	size_t nr = 0;
	int ret = 0;

	if (!cp)
		return -ENOMEM;
	for (int i = 0; i < m->s->nr_names && !ret; i++) {
		struct anonvm_mm *mm = m->procs[i];
		struct anonvm_vma_info vi;
		unsigned long addr = 0x100000000000UL;

		if (!mm)
			continue;
		cp[nr].name = m->s->names[i];
		while (!ret && addr < 0x200000000000UL && !anonvm_vma_next(mm, addr, &vi)) {
			unsigned long start = vi.start < 0x100000000000UL ? 0x100000000000UL : vi.start;
			unsigned long end = vi.end > 0x200000000000UL ? 0x200000000000UL : vi.end;
			char perms[5] = { vi.prot & ANONVM_PROT_READ ? 'r' : '-',
					  vi.prot & ANONVM_PROT_WRITE ? 'w' : '-',
					  vi.prot & ANONVM_PROT_EXEC ? 'x' : '-', vi.shared ? 's' : 'p',
					  0 };

			if (start >= end)
				break;
			ret = canon_add_vma(&cp[nr], vi.start, vi.end, perms);
			for (unsigned long a = start; a < end && !ret; a += ANONVM_PAGE_SIZE) {
				struct anonvm_page_info pi;
				struct canon_page pg;

				/* present pages only: the cost follows them, not the VMA's size */
				if (anonvm_page_next(mm, a, end, &a, &pi))
					break;
				pg = (struct canon_page){ .addr = a };
				switch (pi.kind) {
				case ANONVM_PAGE_ZERO:
					pg.kind = CP_ZERO;
					break;
				case ANONVM_PAGE_SWAP:
					pg.kind = CP_SWAP;
					break;
				default:
					pg.kind = pi.kind == ANONVM_PAGE_SHMEM ? CP_SHMEM : CP_ANON;
					pg.frame = pi.frame;
					pg.mapcount = pi.mapcount;
					pg.sum = pi.data ? fnv1a32(pi.data, ANONVM_PAGE_SIZE) : 0;
				}
				ret = canon_add_page(&cp[nr], &pg);
			}
			addr = vi.end;
		}
		nr++;
	}
	if (!ret)
		canon_print_dump(m->o->out, line, cp, nr);
	for (size_t i = 0; i < nr; i++)
		canon_proc_free(&cp[i]);
	free(cp);
	return ret;
}

/*
 * Out of memory during op: the OOM killer kills the process with the highest badness (the
 * one created last among equals), printed as `!! LINE P CMD: OOM-KILL V`. Returns its index.
 */
static int model_oom_kill(struct model *m, const struct op *op)
{
	long best = -1;
	int victim = -1;

	for (int i = 0; i < m->s->nr_names; i++) {
		long points;

		if (!m->procs[i])
			continue;
		points = anonvm_oom_badness(m->procs[i]);
		if (points >= best) {
			best = points;
			victim = i;
		}
	}
	canon_print_oom(m->o->out, op->line, m->s->names[op->proc], op_name(op->kind),
			m->s->names[victim]);
	anonvm_exit(m->procs[victim]);
	m->procs[victim] = NULL;
	m->killed[victim] = true;
	return victim;
}

/*
 * A user access of every page of the range, page by page, as docs/language.md defines it; a signal
 * that stops it is left in t. Out of memory, the OOM killer runs on the main thread; in a
 * par block it would pull an address space from under the other threads: the run stops.
 */
static int model_access(struct model *m, struct model_thread *t, const struct op *op)
{
	struct anonvm_mm *mm = m->procs[op->proc];

	for (unsigned long i = 0; i < op->pages; i++) {
		unsigned long addr = op->addr + i * ANONVM_PAGE_SIZE, fault = addr;
		int ret;

		if (op->kind == OP_WRITE) {
			memset(t->page, script_write_byte(op->value, i), sizeof(t->page));
			ret = anonvm_write(mm, addr, t->page, sizeof(t->page), &fault);
		} else {
			ret = anonvm_read(mm, addr, t->page, 1, &fault);
		}
		if (ret == -EFAULT || ret == -EIO) {
			t->sig = ret == -EFAULT ? SIGSEGV : SIGBUS;
			t->fault = fault & ~(ANONVM_PAGE_SIZE - 1);
			return 0;
		}
		if (ret == -ENOMEM && t != &m->main) {
			fprintf(m->o->err, "%s:%d: error: out of memory in a par block (the model "
					   "has no OOM killer for threads)\n", m->s->path, op->line);
			return 2;
		}
		if (ret == -ENOMEM) {
			/* the kernel reclaims, then kills; the access goes on if its process lives */
			if (model_oom_kill(m, op) == op->proc)
				return 0;
			i--;
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The anon_vma graph now, to path (open_graph_output: "-", .dot text, .png/.svg). Standard
 * output gets it after what the run printed so far. 2 when it could not be written (said on
 * err), else 0 or a negative errno.
 */
static int model_dot(struct model *m, const char *path)
{
	FILE *f;
	int ret;

	fflush(m->o->out);
	f = open_graph_output(path, m->o->err);
	if (!f)
		return 2;
	ret = anonvm_dot(m->vm, f);
	if (close_graph_output(f, path, m->o->err) && !ret)
		ret = 2;
	return ret;
}

/*
 * The referenced walk (folio_referenced) of each page of the range, as model-only lines:
 * what it found and what it cost in the machine's design.
 */
static int model_referenced(struct model *m, struct model_thread *t, const struct op *op)
{
	struct anonvm_mm *mm = m->procs[op->proc];

	for (unsigned long i = 0; i < op->pages; i++) {
		unsigned long addr = op->addr + i * ANONVM_PAGE_SIZE;
		struct anonvm_referenced r;
		int ret = anonvm_page_referenced(mm, addr, &r);

		if (ret == -ENOENT) {
			fprintf(t->out, "# %s referenced %012lx none\n", m->s->names[op->proc],
				addr);
			continue;
		}
		if (ret)
			return ret;
		fprintf(t->out, "# %s referenced %012lx young=%d vmas=%lu ptes=%lu\n",
			m->s->names[op->proc], addr, r.referenced, r.vmas_visited, r.ptes_probed);
	}
	return 0;
}

/*
 * Migration of each page of the range (migrate_pages): the dump does not change (frames are
 * not printed); a model-only line says how many pages moved.
 */
static int model_migrate(struct model *m, struct model_thread *t, const struct op *op)
{
	unsigned long moved;
	int ret = anonvm_migrate(m->procs[op->proc], op->addr, op->pages * ANONVM_PAGE_SIZE,
				 &moved);

	if (!ret)
		fprintf(t->out, "# %s migrate %012lx %lu: %lu moved\n", m->s->names[op->proc],
			op->addr, op->pages, moved);
	return ret;
}

static int model_par(struct model *m, const struct op *par);

/*
 * Runs one op on thread t: 0, a negative errno for the `!!` line, or 1 / 2 to stop with that
 * status. A signal that stopped an access is left in t.
 */
static int model_step(struct model *m, struct model_thread *t, const struct op *op)
{
	struct anonvm_mm *mm = op->proc >= 0 ? m->procs[op->proc] : NULL;
	unsigned long len = op->pages * ANONVM_PAGE_SIZE, addr;
	int flags = 0, ret;

	t->sig = 0;
	if (op->proc >= 0 && op->kind != OP_SPAWN && m->killed[op->proc]) {
		if (op->kind == OP_FORK)
			m->killed[op->child] = true; /* no such process, ever */
		return -ESRCH;
	}
	if (op->proc >= 0 && op->kind != OP_SPAWN && !mm) {
		fprintf(m->o->err, "%s:%d: error: process %s was never created (its fork failed)\n",
			m->s->path, op->line, m->s->names[op->proc]);
		return 2;
	}
	switch (op->kind) {
	case OP_SPAWN:
		ret = anonvm_mm_new(m->vm, &m->procs[op->child]);
		if (!ret)
			anonvm_mm_set_name(m->procs[op->child], m->s->names[op->child]);
		return ret;
	case OP_MMAP:
		flags = ANONVM_MAP_FIXED |
			(op->flags & OPF_SHARED ? ANONVM_MAP_SHARED : ANONVM_MAP_PRIVATE) |
			(op->flags & OPF_POPULATE ? ANONVM_MAP_POPULATE : 0) |
			(op->flags & OPF_NORESERVE ? ANONVM_MAP_NORESERVE : 0);
		return anonvm_mmap(mm, op->addr, len, op->prot, flags, &addr);
	case OP_MUNMAP:
		return anonvm_munmap(mm, op->addr, len);
	case OP_MPROTECT:
		return anonvm_mprotect(mm, op->addr, len, op->prot);
	case OP_MREMAP:
		if (op->flags & OPF_NEWADDR)
			flags = ANONVM_MREMAP_MAYMOVE | ANONVM_MREMAP_FIXED;
		if (op->flags & OPF_DONTUNMAP)
			flags |= ANONVM_MREMAP_DONTUNMAP;
		return anonvm_mremap(mm, op->addr, len, op->new_pages * ANONVM_PAGE_SIZE, flags,
				     op->new_addr, &addr);
	case OP_MADVISE:
		return anonvm_madvise(mm, op->addr, len, op->advice);
	case OP_WRITE:
	case OP_READ:
		return model_access(m, t, op);
	case OP_FORK:
		ret = anonvm_fork(mm, &m->procs[op->child]);
		if (!ret)
			anonvm_mm_set_name(m->procs[op->child], m->s->names[op->child]);
		return ret;
	case OP_EXIT:
		anonvm_exit(mm);
		m->procs[op->proc] = NULL;
		return 0;
	case OP_DUMP:
		return model_dump(m, op->line);
	case OP_CHECK:
		return anonvm_check(m->vm, m->o->err) ? 1 : 0;
	case OP_STATS:
		anonvm_stats_print(m->vm, m->o->out);
		return 0;
	case OP_DOT:
		/* `dot -` only where the output is the user's, not captured for a comparison */
		if (!strcmp(op->path, "-") && !m->o->dot_stdout)
			return 0;
		return model_dot(m, op->path);
	case OP_REFERENCED:
		return model_referenced(m, t, op);
	case OP_MIGRATE:
		return model_migrate(m, t, op);
	case OP_MEMCG:
		return 0; /* applied to the machine before the first command */
	case OP_PAR:
		return model_par(m, op);
	case OP_NR:
		break;
	}
	return -EINVAL;
}

/* What model_step's ret means for op on t: the `!!` line it prints, or the status to stop. */
static int model_result(struct model *m, const struct op *op, int ret,
			const struct model_thread *t)
{
	const struct script *s = m->s;
	FILE *err = m->o->err;

	if (ret == 1 || ret == 2)
		return ret;
	if (ret == -ENOSYS) {
		fprintf(err, "%s:%d: error: %s%s%s is not modelled yet\n", s->path, op->line,
			op_name(op->kind), op->kind == OP_MADVISE ? " " : "",
			op->kind == OP_MADVISE ? advice_word(op->advice) : "");
		return 2;
	}
	if (ret && (op->kind == OP_DUMP || op->kind == OP_DOT || op->kind == OP_SPAWN)) {
		fprintf(err, "%s:%d: error: %s failed: %s\n", s->path, op->line, op_name(op->kind),
			strerror(-ret));
		return 2;
	}
	if (ret)
		canon_print_error(m->o->out, op->line, s->names[op->proc], op_name(op->kind), -ret);
	else if (t->sig)
		canon_print_signal(m->o->out, op->line, s->names[op->proc], op_name(op->kind),
				   t->sig == SIGBUS ? "SIGBUS" : "SIGSEGV", t->fault);
	return 0;
}

/* One line of a par block: its thread, its commands, what stopped it. */
struct par_line {
	struct model *m;
	struct par_gate *gate;
	const struct op *ops;
	int nr_ops;
	unsigned long repeat;
	pthread_t tid;
	struct model_thread t; /* t.out: a memory stream into text */
	char *text;
	size_t len;
	const struct op *stopped; /* the command that gave a `!!` line or a status */
	int ret;		  /* its model_step result */
};

static void *model_par_thread(void *arg)
{
	struct par_line *l = arg;

	anonvm_thread_register();
	if (par_gate_pass(l->gate)) {
		for (unsigned long r = 0; r < l->repeat && !l->stopped; r++) {
			for (int i = 0; i < l->nr_ops && !l->stopped; i++) {
				l->ret = model_step(l->m, &l->t, &l->ops[i]);
				if (l->ret || l->t.sig)
					l->stopped = &l->ops[i];
			}
		}
	}
	anonvm_thread_unregister();
	return NULL;
}

/*
 * A par block: one thread per line, all started together, each running its commands
 * par->repeat times; then, in line order, each line's model-only lines and its `!!` line.
 * The status to stop with, or 0.
 */
static int model_par(struct model *m, const struct op *par)
{
	int first = (int)(par - m->s->ops), nr = 0, status = 0;
	struct par_line *lines = calloc(PAR_MAX_THREADS, sizeof(*lines));
	bool made = true;
	struct par_gate gate;

	if (!lines) {
		fprintf(m->o->err, "%s:%d: error: par: out of memory\n", m->s->path, par->line);
		return 2;
	}
	par_gate_init(&gate);
	for (int i = first + 1, n; made && (n = par_thread_len(m->s, first, i)); i += n) {
		struct par_line *l = &lines[nr];

		*l = (struct par_line){ .m = m, .gate = &gate, .ops = &m->s->ops[i], .nr_ops = n,
					.repeat = par->repeat };
		l->t.out = open_memstream(&l->text, &l->len);
		made = l->t.out && !pthread_create(&l->tid, NULL, model_par_thread, l);
		if (made) {
			nr++;
		} else if (l->t.out) {
			fclose(l->t.out);
			free(l->text);
		}
	}
	par_gate_wait_for(&gate, nr);
	par_gate_open(&gate, made);
	for (int i = 0; i < nr; i++) {
		struct par_line *l = &lines[i];

		pthread_join(l->tid, NULL);
		fclose(l->t.out);
		if (made && !status) {
			fputs(l->text, m->o->out);
			if (l->stopped)
				status = model_result(m, l->stopped, l->ret, &l->t);
		}
		free(l->text);
	}
	par_gate_destroy(&gate);
	free(lines);
	if (!made) {
		fprintf(m->o->err, "%s:%d: error: par: cannot start its threads\n", m->s->path,
			par->line);
		status = 2;
	}
	return status;
}

/* Every object freed once every process has exited and the machine is gone. */
static int check_no_leak(const struct run_opts *o, const char *path)
{
	struct anonvm_live l;

	anonvm_quiesce();
	anonvm_live_objects(&l);
	if (!(l.mm | l.vma | l.maple_node | l.anon_vma | l.avc | l.folio | l.pgtable | l.shmem |
	      l.other))
		return 0;
	fprintf(o->err,
		"%s: leak after teardown: mm %ld vma %ld maple_node %ld anon_vma %ld avc %ld "
		"folio %ld pgtable %ld shmem %ld other %ld\n",
		path, l.mm, l.vma, l.maple_node, l.anon_vma, l.avc, l.folio, l.pgtable, l.shmem,
		l.other);
	return 1;
}

int model_run(const struct script *s, const struct run_opts *o)
{
	struct anonvm_config cfg;
	struct model m = { .s = s, .o = o, .main.out = o->out };
	int status = 0, ret;

	anonvm_config_machine(&cfg); /* RAM, mmap_min_addr, privilege: the kernel executor's */
	cfg.design = o->design;
	/* --no-validate turns the library's expensive self-checks off too */
	if (!o->validate_each && cfg.debug_level > 1)
		cfg.debug_level = 1;
	cfg.memcg_max_bytes = script_memcg_pages(s) * ANONVM_PAGE_SIZE;
	if (cfg.memcg_max_bytes)
		cfg.swap_bytes = 0; /* the kernel executor's memory cgroup may not swap */
	ret = anonvm_create(&cfg, &m.vm);
	if (ret) {
		fprintf(o->err, "%s: error: cannot create the model: %s\n", s->path, strerror(-ret));
		return 2;
	}
	m.procs = calloc(s->nr_names ? s->nr_names : 1, sizeof(*m.procs));
	m.killed = calloc(s->nr_names ? s->nr_names : 1, sizeof(*m.killed));
	if (!m.procs || !m.killed) {
		free(m.procs);
		free(m.killed);
		anonvm_destroy(m.vm);
		return 2;
	}
	anonvm_fail_nth(o->fail_nth);
	for (int i = 0; i < s->nr_ops && !status; i++) {
		const struct op *op = &s->ops[i];

		ret = model_step(&m, &m.main, op);
		status = model_result(&m, op, ret, &m.main);
		if (op->kind == OP_PAR)
			i += op->nr_body;
		/*
		 * With an injected failure armed, the commands before it fires run exactly as in
		 * the sweep's clean run, which validated them: check from the failure on.
		 */
		if (!status && o->validate_each && (!o->fail_nth || anonvm_fail_fired()) &&
		    anonvm_check(m.vm, o->err)) {
			fprintf(o->err, "%s:%d: error: validator failed after '%s'\n", s->path, op->line,
				op_name(op->kind));
			status = 1;
		}
	}
	if (!status && o->dot_at_end && model_dot(&m, o->dot_at_end))
		status = 2;
	if (o->injected)
		*o->injected = anonvm_fail_fired();
	anonvm_fail_nth(0);
	anonvm_destroy(m.vm);
	free(m.procs);
	free(m.killed);
	if (status != 1 && o->validate_each && check_no_leak(o, s->path))
		status = 1;
	return status;
}
