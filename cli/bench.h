/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `anonvm bench`: the workloads of docs/semantics.md §8, run on the model (one or
 * more rmap designs, through the public API only: bench_model.c) and on the live kernel (real
 * processes and system calls: bench_kernel.c), timed in one run (bench.c) and reported as a
 * table, CSV, JSON or a gnuplot plot (bench_out.c).
 *
 * Every run of a workload happens in a forked process of its own (bench_isolated), so that
 * each has a fresh heap, its own peak RSS, and a crash is a result, not the end of the bench.
 * Both sides run pinned to the same CPU: the model's RCU thread and the kernel's processes
 * get one core each, as the workload's own thread does.
 *
 * What is timed is the same sequence of system calls and user accesses on both sides (each
 * workload says which); the model's rmap walks have no kernel counterpart and are timed
 * apart (walk_ns).
 */
#ifndef ANONVM_BENCH_H
#define ANONVM_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#include "anonvm/anonvm.h"

enum bench_workload {
	BW_FORKSTORM,
	BW_FORKCHAIN,
	BW_SPLITVMA,
	BW_SPAWN,
	BW_FORKCOPY,
	BW_FAULTS,
	BW_COWFAULT,
	BW_RECLAIM,
	BW_NR
};

/* The parameters of one run. Which ones a workload reads: bench.c's workload table. */
struct bench_params {
	enum bench_workload workload;
	unsigned long children;    /* forkstorm */
	unsigned long pages;       /* forkstorm, forkchain: pages per process */
	unsigned long generations; /* forkchain */
	bool stay;                 /* forkchain: parents stay alive */
	unsigned long pieces;      /* splitvma */
	unsigned long vmas;        /* spawn */
	unsigned long forks;       /* spawn, forkcopy: forks timed */
	unsigned long bytes;       /* forkcopy, faults, cowfault: the mapping */
	unsigned long iterations;  /* faults: map-touch-unmap rounds */
	unsigned long sample;      /* walks: at most this many, evenly spread (0: all) */
	bool metadata_only;        /* model frames without contents */
	bool prefault;             /* model RAM populated when the machine is made */
	enum anonvm_rmap_design design;
	int cpu;                   /* pinned there; -1: not pinned */
	bool progress;             /* the run reports its progress (bench_progress) */
};

/* What one run measured. Times in ns; counts at the peak of the workload. */
struct bench_result {
	int err;               /* 0, or a negative errno: the run failed */
	double time_ns;        /* the timed phase (same on both sides) */
	double walk_ns;        /* model: all rmap walks */
	double setup_ns;       /* model: making the machine (its RAM populated) */
	unsigned long walks, vmas_visited, ptes_probed, max_visited;
	unsigned long forks;   /* forks timed */
	double fork_ns;        /* summed over them */
	double fork_ns_first;  /* forkchain: mean of the first tenth of the generations */
	double fork_ns_last;   /* and of the last tenth */
	long anon_vmas, avcs, vmas; /* model: live objects at the peak */
	long meta_bytes;       /* model: bytes of VMAs, tree nodes, anon_vmas, AVCs, tables,
				* mms, folio descriptors at the peak */
	unsigned long mapped;  /* PTEs mapping a page at the peak */
	unsigned long reclaimed; /* reclaim: pages reclaimed to swap (walks: reclaim's) */
	long peak_rss_kb;      /* of the process that ran it */
};

/* The model side of one run (in the calling process). */
void bench_model_run(const struct bench_params *p, struct bench_result *r);
/* Whether a workload has a kernel side (reclaim has not: the kernel is not short of RAM). */
static inline bool bench_has_kernel(enum bench_workload w)
{
	return w != BW_RECLAIM;
}

/* The kernel side of one run (in the calling process, which forks what it needs). */
void bench_kernel_run(const struct bench_params *p, struct bench_result *r);

/*
 * Runs fn(p, r) in a forked child pinned to p->cpu and returns its result; a crash or a
 * child that could not run gives r->err < 0. 0, or -errno when no child could be made.
 */
int bench_isolated(void (*fn)(const struct bench_params *, struct bench_result *),
		   const struct bench_params *p, struct bench_result *r);

/* Monotonic time in ns. */
double bench_now_ns(void);
/* Inside a run: the fraction of it done (0..1); draws the progress bar if there is one. */
void bench_progress(double frac);

/* One row of the report: a workload at one size, on one design (or the kernel only). */
struct bench_row {
	struct bench_params p;
	char size[32];         /* the sizes, as a label: "1000x1000" */
	double size_x;         /* the swept size, the x of a plot */
	struct bench_result m; /* the model's medians (of --reps runs) */
	bool has_model;
	double kernel_ns;      /* median kernel time; < 0 when not run */
	double kernel_fork_ns; /* median kernel ns per fork; < 0 when none */
};

const char *bench_workload_name(enum bench_workload w);

enum bench_format { BF_TABLE, BF_CSV, BF_JSON };
void bench_print(FILE *out, enum bench_format f, const struct bench_row *rows, int n);
/* A gnuplot plot of the rows to path (.png or .svg): 0, or -1 with a message on err. */
int bench_plot(const char *path, const struct bench_row *rows, int n, FILE *err);

#endif
