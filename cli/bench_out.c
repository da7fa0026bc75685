// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_out.c: what `anonvm bench` prints: an aligned table, CSV (the column names
 * first, in its order, then the rest), JSON, and a gnuplot plot.
 *
 * Derived figures, per row: per walk = totals / walks; us per fork = fork time / forks;
 * metadata bytes per mapped page = live object bytes at the peak / PTEs mapping a page then;
 * model_over_kernel = model time / kernel time (medians of the same run).
 *
 * The concurrent forms (--threads) get a table of their own: faults per second = the
 * workers' faults / their wall time; root-lock wait per fault = every thread's waits for
 * the anon_vma root lock / the workers' faults; the workers' share (wk %) = their own waits
 * for that lock (or the mmap_lock) / their run times summed; walk time per reclaimed page =
 * reclaim's walk time / pages reclaimed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct figures {
	double per_walk_vmas, per_walk_ptes, ns_walk, us_fork, kus_fork, bytes_page, model_ms,
		kernel_ms, ratio, rss_mib;
	double reclaimed_per_s, vmas_per_reclaimed; /* reclaim */
	/* the concurrent forms */
	double faults_per_s, kfaults_per_s, av_wait_ms, av_wait_per_fault, worker_wait_pct,
		walk_us_reclaimed, mmap_wait_ms, mmap_wait_per_fault, worker_mmap_wait_pct;
};

#define NONE (-1.0)

/* The faults a kernel run of the same parameters takes (faults: every page, every time). */
static double kernel_faults(const struct bench_params *p)
{
	return (double)(p->threads ? p->threads : 1) * (double)p->iterations *
	       (double)(p->bytes / ANONVM_PAGE_SIZE);
}

static void concurrent_figures(const struct bench_row *row, struct figures *f)
{
	const struct bench_result *m = &row->m;
	bool h = row->has_model && row->p.threads, faults = h && m->faults;

	f->faults_per_s = faults && m->time_ns > 0 ? (double)m->faults / (m->time_ns / 1e9) : NONE;
	f->kfaults_per_s = row->p.threads && row->p.workload == BW_FAULTS && row->kernel_ns > 0 ?
				   kernel_faults(&row->p) / (row->kernel_ns / 1e9) : NONE;
	f->av_wait_ms = h ? m->anon_vma_wait_ns / 1e6 : NONE;
	f->av_wait_per_fault = faults ? m->anon_vma_wait_ns / (double)m->faults : NONE;
	f->worker_wait_pct = h && m->worker_ns > 0 ?
				     100 * m->worker_anon_vma_wait_ns / m->worker_ns : NONE;
	f->walk_us_reclaimed = h && m->reclaimed ? m->reclaim_walk_ns / (double)m->reclaimed / 1e3 :
						   NONE;
	f->mmap_wait_ms = h ? m->mmap_wait_ns / 1e6 : NONE;
	f->mmap_wait_per_fault = faults ? m->mmap_wait_ns / (double)m->faults : NONE;
	f->worker_mmap_wait_pct = h && m->worker_ns > 0 ?
					  100 * m->worker_mmap_wait_ns / m->worker_ns : NONE;
}

static void figures(const struct bench_row *row, struct figures *f)
{
	const struct bench_result *m = &row->m;
	bool walks = row->has_model && m->walks;

	f->per_walk_vmas = walks ? (double)m->vmas_visited / (double)m->walks : NONE;
	f->per_walk_ptes = walks ? (double)m->ptes_probed / (double)m->walks : NONE;
	f->ns_walk = walks && m->walk_ns > 0 ? m->walk_ns / (double)m->walks : NONE;
	f->reclaimed_per_s = row->has_model && m->reclaimed && m->time_ns > 0 ?
				     (double)m->reclaimed / (m->time_ns / 1e9) : NONE;
	f->vmas_per_reclaimed = row->has_model && m->reclaimed ?
					(double)m->vmas_visited / (double)m->reclaimed : NONE;
	f->us_fork = row->has_model && m->forks ? m->fork_ns / (double)m->forks / 1e3 : NONE;
	f->kus_fork = row->kernel_fork_ns >= 0 ? row->kernel_fork_ns / 1e3 : NONE;
	f->bytes_page = row->has_model && m->mapped ? (double)m->meta_bytes / (double)m->mapped :
						      NONE;
	f->model_ms = row->has_model ? m->time_ns / 1e6 : NONE;
	f->kernel_ms = row->kernel_ns >= 0 ? row->kernel_ns / 1e6 : NONE;
	f->ratio = f->model_ms >= 0 && f->kernel_ms > 0 ? f->model_ms / f->kernel_ms : NONE;
	f->rss_mib = row->has_model ? (double)m->peak_rss_kb / 1024.0 : NONE;
	concurrent_figures(row, f);
}

/* A figure or "-" in a field of width w with d decimals. */
static void put(FILE *out, const char *sep, int w, int d, double v)
{
	if (v < 0)
		fprintf(out, "%s%*s", sep, w, "-");
	else
		fprintf(out, "%s%*.*f", sep, w, d, v);
}

static void put_count(FILE *out, const char *sep, int w, bool has, long v)
{
	if (!has)
		fprintf(out, "%s%*s", sep, w, "-");
	else
		fprintf(out, "%s%*ld", sep, w, v);
}

/* The same run but for the design: workload, size, and the concurrent form's settings. */
static bool same_run(const struct bench_row *a, const struct bench_row *b)
{
	return a->p.workload == b->p.workload && !strcmp(a->size, b->size) &&
	       a->p.threads == b->p.threads && a->p.reclaimer == b->p.reclaimer &&
	       a->p.mapper == b->p.mapper && a->p.vma_locks == b->p.vma_locks;
}

/* "2 threads + reclaimer, per-VMA locks off": the concurrent settings of a row. */
static void put_config(FILE *out, const struct bench_params *p)
{
	fprintf(out, "%u thread%s%s%s", p->threads, p->threads == 1 ? "" : "s",
		p->reclaimer ? " + reclaimer" : p->mapper ? " + mapper" : "",
		p->vma_locks ? "" : ", per-VMA locks off");
}

/* A ratio a / b, or "-" when either is missing. */
static void put_ratio(FILE *out, double a, double b)
{
	if (a < 0 || b <= 0)
		fputs("-", out);
	else
		fprintf(out, "%.2fx", a / b);
}

/* A concurrent row against its linux row: the contention figures, each other / linux. */
static void print_concurrent_ratio(FILE *out, const struct bench_row *r,
				   const struct bench_row *base)
{
	struct figures f, fb;

	figures(r, &f);
	figures(base, &fb);
	fprintf(out, "%s %s, ", bench_workload_name(r->p.workload), r->size);
	put_config(out, &r->p);
	fprintf(out, ": %s/linux: faults per second ", anonvm_design_name(r->p.design));
	put_ratio(out, f.faults_per_s, fb.faults_per_s);
	fputs(", root-lock wait per fault ", out);
	put_ratio(out, f.av_wait_per_fault, fb.av_wait_per_fault);
	fprintf(out, " (%.0f / %.0f ns; the workers waited %.1f%% / %.1f%% of their time)",
		f.av_wait_per_fault, fb.av_wait_per_fault, f.worker_wait_pct, fb.worker_wait_pct);
	if (f.walk_us_reclaimed >= 0) {
		fputs(", walk time per reclaimed page ", out);
		put_ratio(out, f.walk_us_reclaimed, fb.walk_us_reclaimed);
		fprintf(out, " (%.1f / %.1f us)", f.walk_us_reclaimed, fb.walk_us_reclaimed);
	}
	fputc('\n', out);
}

/* Under the table: each other design's figures over linux's, in the same run. */
static void print_design_ratios(FILE *out, const struct bench_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i], *base = NULL;
		struct figures f, fb;

		if (r->p.design == ANONVM_RMAP_LINUX)
			continue;
		for (int j = 0; j < n && !base; j++) {
			if (rows[j].p.design == ANONVM_RMAP_LINUX && same_run(&rows[j], r))
				base = &rows[j];
		}
		if (!base)
			continue;
		if (r->p.threads) {
			if (r->has_model && base->has_model)
				print_concurrent_ratio(out, r, base);
			continue;
		}
		figures(r, &f);
		figures(base, &fb);
		if (r->p.workload == BW_RECLAIM && f.vmas_per_reclaimed >= 0 &&
		    fb.vmas_per_reclaimed > 0) {
			fprintf(out, "%s %s: %s/linux: VMAs visited per reclaimed page %.1fx "
				     "(%.2f / %.2f), pages reclaimed per second %.2fx\n",
				bench_workload_name(r->p.workload), r->size,
				anonvm_design_name(r->p.design),
				f.vmas_per_reclaimed / fb.vmas_per_reclaimed, f.vmas_per_reclaimed,
				fb.vmas_per_reclaimed, f.reclaimed_per_s / fb.reclaimed_per_s);
			continue;
		}
		if (f.per_walk_vmas < 0 || fb.per_walk_vmas <= 0 || fb.ns_walk <= 0)
			continue;
		fprintf(out, "%s %s: %s/linux: VMAs visited per walk %.1fx (%.2f / %.2f), "
			     "ns per walk %.1fx (%.0f / %.0f)\n",
			bench_workload_name(r->p.workload), r->size, anonvm_design_name(r->p.design),
			f.per_walk_vmas / fb.per_walk_vmas, f.per_walk_vmas, fb.per_walk_vmas,
			f.ns_walk / fb.ns_walk, f.ns_walk, fb.ns_walk);
	}
}

/*
 * Under the concurrent table, each on the same design and size: per-VMA locks off over on,
 * N threads over 1, with the mapper over without (the workers' faults per second).
 */
static void print_scaling(FILE *out, const struct bench_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		struct figures f, fb;

		if (!r->p.threads || !r->has_model)
			continue;
		figures(r, &f);
		for (int j = 0; j < n; j++) {
			const struct bench_row *b = &rows[j];
			bool threads = b->p.threads == r->p.threads;
			bool locks = b->p.vma_locks == r->p.vma_locks;
			bool mapper = b->p.mapper == r->p.mapper;
			bool off = !r->p.vma_locks && b->p.vma_locks && threads && mapper;
			bool more = b->p.threads == 1 && r->p.threads > 1 && locks && mapper;
			bool mapped = r->p.mapper && !b->p.mapper && threads && locks;

			if (b->p.workload != r->p.workload || b->p.design != r->p.design ||
			    b->p.reclaimer != r->p.reclaimer || strcmp(b->size, r->size) ||
			    !b->has_model || !(off || more || mapped))
				continue;
			figures(b, &fb);
			fprintf(out, "%s %s %s, ", bench_workload_name(r->p.workload), r->size,
				anonvm_design_name(r->p.design));
			put_config(out, &r->p);
			fprintf(out, off ? " / per-VMA locks on: faults per second " :
				     more ? " / 1 thread: faults per second " :
					    " / without the mapper: faults per second ");
			put_ratio(out, f.faults_per_s, fb.faults_per_s);
			fprintf(out, " (%.0f / %.0f), mmap_lock wait %.1f / %.1f ms\n",
				f.faults_per_s, fb.faults_per_s, f.mmap_wait_ms, fb.mmap_wait_ms);
		}
	}
}

static void print_classic_table(FILE *out, const struct bench_row *rows, int n)
{
	fprintf(out, "%-9s %-11s %-10s %9s %8s %8s %9s %9s %9s %9s %9s %8s %8s %7s %10s %10s %6s\n",
		"workload", "size", "design", "walks", "vmas/wk", "ptes/wk", "ns/walk", "us/fork",
		"k.us/fork", "anon_vmas", "avcs", "vmas", "B/page", "rss MiB", "model ms",
		"kernel ms", "m/k");
	for (int i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		struct figures f;

		if (r->p.threads)
			continue;
		figures(r, &f);
		fprintf(out, "%-9s %-11s %-10s", bench_workload_name(r->p.workload), r->size,
			anonvm_design_name(r->p.design));
		put_count(out, " ", 9, r->has_model && r->m.walks, (long)r->m.walks);
		put(out, " ", 8, 2, f.per_walk_vmas);
		put(out, " ", 8, 2, f.per_walk_ptes);
		put(out, " ", 9, 0, f.ns_walk);
		put(out, " ", 9, 1, f.us_fork);
		put(out, " ", 9, 1, f.kus_fork);
		put_count(out, " ", 9, r->has_model, r->m.anon_vmas);
		put_count(out, " ", 9, r->has_model, r->m.avcs);
		put_count(out, " ", 8, r->has_model, r->m.vmas);
		put(out, " ", 8, 1, f.bytes_page);
		put(out, " ", 7, 0, f.rss_mib);
		put(out, " ", 10, 1, f.model_ms);
		put(out, " ", 10, 1, f.kernel_ms);
		put(out, " ", 6, 2, f.ratio);
		fputc('\n', out);
	}
	for (int i = 0; i < n; i++) {
		struct figures f;

		figures(&rows[i], &f);
		if (f.reclaimed_per_s >= 0 && !rows[i].p.threads)
			fprintf(out, "reclaim %s %s: %lu pages reclaimed, %.0f per second, %.2f VMAs "
				     "visited per reclaimed page\n", rows[i].size,
				anonvm_design_name(rows[i].p.design), rows[i].m.reclaimed,
				f.reclaimed_per_s, f.vmas_per_reclaimed);
	}
}

/*
 * The concurrent forms: the workers' faults, the waits for the anon_vma root lock (all
 * threads; the workers' share of their own time), reclaim, the mmap_lock's waits.
 */
static void print_concurrent_table(FILE *out, const struct bench_row *rows, int n)
{
	fprintf(out, "%-9s %-9s %-10s %3s %4s %4s %8s %9s %9s | %9s %8s %8s %6s | %9s %8s %7s "
		     "%7s | %9s %8s %6s | %8s\n",
		"workload", "size", "design", "thr", "+thr", "vmal", "faults", "faults/s",
		"k.faults/s", "avwait ms", "ns/fault", "waits", "wk %", "reclaimed", "recl/s",
		"us/recl", "vma/rcl", "mmwait ms", "mm waits", "wk %", "ms");
	for (int i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		const struct bench_result *m = &r->m;
		struct figures f;
		bool h = r->has_model;

		if (!r->p.threads)
			continue;
		figures(r, &f);
		fprintf(out, "%-9s %-9s %-10s %3u %4s %4s", bench_workload_name(r->p.workload),
			r->size, anonvm_design_name(r->p.design), r->p.threads,
			r->p.reclaimer ? "recl" : r->p.mapper ? "map" : "-",
			r->p.vma_locks ? "on" : "off");
		put_count(out, " ", 8, h, (long)m->faults);
		put(out, " ", 9, 0, f.faults_per_s);
		put(out, " ", 9, 0, f.kfaults_per_s);
		put(out, " | ", 9, 1, f.av_wait_ms);
		put(out, " ", 8, 0, f.av_wait_per_fault);
		put_count(out, " ", 8, h, (long)m->anon_vma_contended);
		put(out, " ", 6, 1, f.worker_wait_pct);
		put_count(out, " | ", 9, h && m->reclaimed, (long)m->reclaimed);
		put(out, " ", 8, 0, f.reclaimed_per_s);
		put(out, " ", 7, 1, f.walk_us_reclaimed);
		put(out, " ", 7, 1, f.vmas_per_reclaimed);
		put(out, " | ", 9, 1, f.mmap_wait_ms);
		put_count(out, " ", 8, h, (long)m->mmap_contended);
		put(out, " ", 6, 1, f.worker_mmap_wait_pct);
		put(out, " | ", 8, 1, f.model_ms);
		fputc('\n', out);
	}
	print_scaling(out, rows, n);
}

static void print_table(FILE *out, const struct bench_row *rows, int n)
{
	bool classic = false, concurrent = false;

	for (int i = 0; i < n; i++) {
		classic |= !rows[i].p.threads;
		concurrent |= rows[i].p.threads > 0;
	}
	if (classic)
		print_classic_table(out, rows, n);
	if (classic && concurrent)
		fputc('\n', out);
	if (concurrent)
		print_concurrent_table(out, rows, n);
	print_design_ratios(out, rows, n);
}

static void print_csv(FILE *out, const struct bench_row *rows, int n)
{
	fputs("design,workload,vmas_visited_per_walk,ptes_probed_per_walk,anon_vmas,avcs,vmas,"
	      "ns_per_walk,model_ms,kernel_ms,model_over_kernel,size,walks,max_vmas_visited,"
	      "us_per_fork,kernel_us_per_fork,fork_us_first_tenth,fork_us_last_tenth,"
	      "metadata_bytes_per_page,mapped_pages,peak_rss_kib,reclaimed,reclaimed_per_s,"
	      "vmas_visited_per_reclaimed,threads,reclaimer,mapper,vma_locks,faults,faults_per_s,"
	      "kernel_faults_per_s,anon_vma_lock_wait_ms,anon_vma_lock_wait_ns_per_fault,"
	      "anon_vma_lock_contended,worker_anon_vma_wait_pct,walk_us_per_reclaimed,"
	      "reclaimer_reclaimed,mmap_lock_wait_ms,mmap_lock_wait_ns_per_fault,"
	      "mmap_lock_contended,worker_mmap_wait_pct,mapper_rounds,enomem_retries\n",
	      out);
	for (int i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		const struct bench_result *m = &r->m;
		struct figures f;

		figures(r, &f);
		fprintf(out, "%s,%s", anonvm_design_name(r->p.design),
			bench_workload_name(r->p.workload));
		put(out, ",", 0, 3, f.per_walk_vmas);
		put(out, ",", 0, 3, f.per_walk_ptes);
		put_count(out, ",", 0, r->has_model, m->anon_vmas);
		put_count(out, ",", 0, r->has_model, m->avcs);
		put_count(out, ",", 0, r->has_model, m->vmas);
		put(out, ",", 0, 1, f.ns_walk);
		put(out, ",", 0, 3, f.model_ms);
		put(out, ",", 0, 3, f.kernel_ms);
		put(out, ",", 0, 3, f.ratio);
		fprintf(out, ",%s", r->size);
		put_count(out, ",", 0, r->has_model, (long)m->walks);
		put_count(out, ",", 0, r->has_model, (long)m->max_visited);
		put(out, ",", 0, 2, f.us_fork);
		put(out, ",", 0, 2, f.kus_fork);
		put(out, ",", 0, 2, r->has_model && m->fork_ns_first > 0 ? m->fork_ns_first / 1e3 : NONE);
		put(out, ",", 0, 2, r->has_model && m->fork_ns_last > 0 ? m->fork_ns_last / 1e3 : NONE);
		put(out, ",", 0, 1, f.bytes_page);
		put_count(out, ",", 0, r->has_model, (long)m->mapped);
		put_count(out, ",", 0, r->has_model, m->peak_rss_kb);
		put_count(out, ",", 0, r->has_model, (long)m->reclaimed);
		put(out, ",", 0, 1, f.reclaimed_per_s);
		put(out, ",", 0, 3, f.vmas_per_reclaimed);
		fprintf(out, ",%u,%d,%d,%d", r->p.threads, r->p.reclaimer, r->p.mapper,
			r->p.vma_locks);
		put_count(out, ",", 0, r->has_model && r->p.threads, (long)m->faults);
		put(out, ",", 0, 1, f.faults_per_s);
		put(out, ",", 0, 1, f.kfaults_per_s);
		put(out, ",", 0, 3, f.av_wait_ms);
		put(out, ",", 0, 1, f.av_wait_per_fault);
		put_count(out, ",", 0, r->has_model && r->p.threads, (long)m->anon_vma_contended);
		put(out, ",", 0, 2, f.worker_wait_pct);
		put(out, ",", 0, 3, f.walk_us_reclaimed);
		put_count(out, ",", 0, r->has_model && r->p.threads, (long)m->reclaimer_reclaimed);
		put(out, ",", 0, 3, f.mmap_wait_ms);
		put(out, ",", 0, 1, f.mmap_wait_per_fault);
		put_count(out, ",", 0, r->has_model && r->p.threads, (long)m->mmap_contended);
		put(out, ",", 0, 2, f.worker_mmap_wait_pct);
		put_count(out, ",", 0, r->has_model && r->p.threads, (long)m->mapper_rounds);
		put_count(out, ",", 0, r->has_model && r->p.threads, (long)m->enomem_retries);
		fputc('\n', out);
	}
}

/* JSON: null for a figure that does not apply. */
static void jnum(FILE *out, const char *key, double v, bool last)
{
	if (v < 0)
		fprintf(out, "\"%s\": null%s", key, last ? "" : ", ");
	else
		fprintf(out, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
}

static void print_json(FILE *out, const struct bench_row *rows, int n)
{
	fputs("[\n", out);
	for (int i = 0; i < n; i++) {
		const struct bench_row *r = &rows[i];
		const struct bench_result *m = &r->m;
		struct figures f;
		bool h = r->has_model;

		figures(r, &f);
		fprintf(out, "  {\"design\": \"%s\", \"workload\": \"%s\", \"size\": \"%s\", ",
			anonvm_design_name(r->p.design), bench_workload_name(r->p.workload),
			r->size);
		jnum(out, "walks", h ? (double)m->walks : NONE, false);
		jnum(out, "vmas_visited_per_walk", f.per_walk_vmas, false);
		jnum(out, "max_vmas_visited", h && m->walks ? (double)m->max_visited : NONE, false);
		jnum(out, "ptes_probed_per_walk", f.per_walk_ptes, false);
		jnum(out, "ns_per_walk", f.ns_walk, false);
		jnum(out, "us_per_fork", f.us_fork, false);
		jnum(out, "kernel_us_per_fork", f.kus_fork, false);
		jnum(out, "fork_us_first_tenth", h && m->fork_ns_first > 0 ? m->fork_ns_first / 1e3 : NONE, false);
		jnum(out, "fork_us_last_tenth", h && m->fork_ns_last > 0 ? m->fork_ns_last / 1e3 : NONE, false);
		jnum(out, "anon_vmas", h ? (double)m->anon_vmas : NONE, false);
		jnum(out, "avcs", h ? (double)m->avcs : NONE, false);
		jnum(out, "vmas", h ? (double)m->vmas : NONE, false);
		jnum(out, "metadata_bytes_per_page", f.bytes_page, false);
		jnum(out, "mapped_pages", h ? (double)m->mapped : NONE, false);
		jnum(out, "peak_rss_kib", h ? (double)m->peak_rss_kb : NONE, false);
		jnum(out, "setup_ms", h ? m->setup_ns / 1e6 : NONE, false);
		jnum(out, "reclaimed", h ? (double)m->reclaimed : NONE, false);
		jnum(out, "reclaimed_per_s", f.reclaimed_per_s, false);
		jnum(out, "vmas_visited_per_reclaimed", f.vmas_per_reclaimed, false);
		if (r->p.threads) {
			fprintf(out, "\"threads\": %u, \"reclaimer\": %s, \"mapper\": %s, "
				     "\"vma_locks\": %s, ", r->p.threads,
				r->p.reclaimer ? "true" : "false", r->p.mapper ? "true" : "false",
				r->p.vma_locks ? "true" : "false");
			jnum(out, "faults", h ? (double)m->faults : NONE, false);
			jnum(out, "faults_per_s", f.faults_per_s, false);
			jnum(out, "kernel_faults_per_s", f.kfaults_per_s, false);
			jnum(out, "anon_vma_lock_wait_ms", f.av_wait_ms, false);
			jnum(out, "anon_vma_lock_wait_ns_per_fault", f.av_wait_per_fault, false);
			jnum(out, "anon_vma_lock_contended",
			     h ? (double)m->anon_vma_contended : NONE, false);
			jnum(out, "worker_anon_vma_wait_pct", f.worker_wait_pct, false);
			jnum(out, "walk_us_per_reclaimed", f.walk_us_reclaimed, false);
			jnum(out, "reclaimer_reclaimed", h ? (double)m->reclaimer_reclaimed : NONE,
			     false);
			jnum(out, "mmap_lock_wait_ms", f.mmap_wait_ms, false);
			jnum(out, "mmap_lock_wait_ns_per_fault", f.mmap_wait_per_fault, false);
			jnum(out, "mmap_lock_contended", h ? (double)m->mmap_contended : NONE,
			     false);
			jnum(out, "worker_mmap_wait_pct", f.worker_mmap_wait_pct, false);
			jnum(out, "mapper_rounds", h ? (double)m->mapper_rounds : NONE, false);
			jnum(out, "enomem_retries", h ? (double)m->enomem_retries : NONE, false);
		}
		jnum(out, "model_ms", f.model_ms, false);
		jnum(out, "kernel_ms", f.kernel_ms, false);
		jnum(out, "model_over_kernel", f.ratio, true);
		fprintf(out, "}%s\n", i + 1 < n ? "," : "");
	}
	fputs("]\n", out);
}

void bench_print(FILE *out, enum bench_format fmt, const struct bench_row *rows, int n)
{
	if (fmt == BF_CSV)
		print_csv(out, rows, n);
	else if (fmt == BF_JSON)
		print_json(out, rows, n);
	else
		print_table(out, rows, n);
}

/* What a plot of a workload shows on its y axis. */
enum plot_y { PY_NS_WALK, PY_US_FORK, PY_MS };

static double plot_value(const struct bench_row *r, enum plot_y y, bool kernel)
{
	struct figures f;

	figures(r, &f);
	switch (y) {
	case PY_NS_WALK:
		return f.ns_walk;
	case PY_US_FORK:
		return kernel ? f.kus_fork : f.us_fork;
	default:
		return kernel ? f.kernel_ms : f.model_ms;
	}
}

/*
 * The rows of the first workload, one line per design (and one for the kernel when it ran)
 * against the swept size: ns per walk for forkstorm and splitvma (walk cost vs size per
 * design), us per fork for spawn and forkchain (fork time vs VMAs / generations), ms
 * otherwise (model vs kernel).
 */
int bench_plot(const char *path, const struct bench_row *rows, int n, FILE *err)
{
	enum bench_workload w = n ? rows[0].p.workload : BW_FORKSTORM;
	enum plot_y y = w == BW_FORKSTORM || w == BW_SPLITVMA ? PY_NS_WALK :
			w == BW_SPAWN || w == BW_FORKCHAIN ? PY_US_FORK : PY_MS;
	static const char *const ylabel[] = { "ns per rmap walk", "us per fork", "ms" };
	static const char *const xlabel[BW_NR] = {
		[BW_FORKSTORM] = "children", [BW_FORKCHAIN] = "generations",
		[BW_SPLITVMA] = "pieces (VMAs)", [BW_SPAWN] = "VMAs",
		[BW_FORKCOPY] = "bytes", [BW_FAULTS] = "bytes", [BW_COWFAULT] = "bytes",
	};
	bool svg = strlen(path) > 4 && !strcmp(path + strlen(path) - 4, ".svg");
	bool series[ANONVM_RMAP_NR + 1] = { false }, multi = false;
	FILE *gp;
	int st, nseries = 0;

	if (!n) {
		fprintf(err, "anonvm bench: --plot: no results to plot\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (rows[i].p.workload != w) {
			multi = true;
			continue;
		}
		series[rows[i].p.design] |= plot_value(&rows[i], y, false) >= 0;
		series[ANONVM_RMAP_NR] |= y != PY_NS_WALK && plot_value(&rows[i], y, true) >= 0;
	}
	if (multi)
		fprintf(err, "anonvm bench: --plot: plotting %s only (one workload per plot)\n",
			bench_workload_name(w));
	gp = popen("gnuplot", "w");
	if (!gp) {
		fprintf(err, "anonvm bench: --plot: cannot run gnuplot: %s\n", strerror(errno));
		return -1;
	}
	fprintf(gp, "set terminal %s size 900,560 font 'sans,11'\n", svg ? "svg" : "pngcairo");
	fprintf(gp, "set output '%s'\n", path);
	fprintf(gp, "set title 'anonvm bench %s: %s'\n", bench_workload_name(w),
		y == PY_NS_WALK ? "rmap walk cost per design" :
		y == PY_US_FORK ? "fork time" : "model vs kernel");
	fprintf(gp, "set xlabel '%s'\nset ylabel '%s'\nset logscale x\nset logscale y\n"
		    "set grid\nset key top left\nset offsets graph 0.05, graph 0.05, 0, 0\n",
		xlabel[w], ylabel[y]);
	fputs("plot ", gp);
	for (int s = 0; s <= ANONVM_RMAP_NR; s++) {
		if (!series[s])
			continue;
		fprintf(gp, "%s'-' using 1:2 with linespoints lw 2 pt 7 title '%s'",
			nseries++ ? ", " : "",
			s == ANONVM_RMAP_NR ? "kernel" : anonvm_design_name(s));
	}
	fputc('\n', gp);
	for (int s = 0; s <= ANONVM_RMAP_NR; s++) {
		bool kernel = s == ANONVM_RMAP_NR, any = false;

		if (!series[s])
			continue;
		for (int i = 0; i < n; i++) {
			const struct bench_row *r = &rows[i];
			double v;

			/* the kernel's line: from the first design's rows */
			if (r->p.workload != w ||
			    (!kernel && (int)r->p.design != s) || (kernel && i && rows[i - 1].p.workload == w &&
								    rows[i - 1].size_x == r->size_x))
				continue;
			v = plot_value(r, y, kernel);
			if (v > 0) {
				fprintf(gp, "%g %g\n", r->size_x, v);
				any = true;
			}
		}
		if (!any)
			fputs("1 NaN\n", gp);
		fputs("e\n", gp);
	}
	st = pclose(gp);
	if (st) {
		fprintf(err, "anonvm bench: --plot: gnuplot failed (exit %d)\n", st);
		return -1;
	}
	return 0;
}
