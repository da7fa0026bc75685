// SPDX-License-Identifier: GPL-2.0-only
/*
 * canon.c: the one printer of the canonical dump (docs/language.md) for both executors.
 *
 * share=Q@ADDR names a frame by its first mapping in (process name, address) order over all
 * processes of the dump: processes are sorted by name (byte order), pages by address, and a
 * hash table from frame to first (process, address) is filled in that order.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"

#define CANON_ADDR "%012lx"

uint32_t fnv1a32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

static int grow(void **arr, size_t *cap, size_t nr, size_t size)
{
	void *n;
	size_t c;

	if (nr < *cap)
		return 0;
	c = *cap ? 2 * *cap : 16;
	n = realloc(*arr, c * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = c;
	return 0;
}

int canon_add_vma(struct canon_proc *p, unsigned long start, unsigned long end, const char *perms)
{
	struct canon_vma *v;

	if (grow((void **)&p->vmas, &p->cap_vmas, p->nr_vmas, sizeof(*p->vmas)))
		return -ENOMEM;
	v = &p->vmas[p->nr_vmas++];
	v->start = start;
	v->end = end;
	memcpy(v->perms, perms, 4);
	v->perms[4] = '\0';
	return 0;
}

int canon_add_page(struct canon_proc *p, const struct canon_page *pg)
{
	if (grow((void **)&p->pages, &p->cap_pages, p->nr_pages, sizeof(*p->pages)))
		return -ENOMEM;
	p->pages[p->nr_pages++] = *pg;
	return 0;
}

void canon_proc_free(struct canon_proc *p)
{
	free(p->vmas);
	free(p->pages);
	memset(p, 0, sizeof(*p));
}

static int cmp_proc(const void *a, const void *b)
{
	return strcmp(((const struct canon_proc *)a)->name, ((const struct canon_proc *)b)->name);
}

static int cmp_page(const void *a, const void *b)
{
	unsigned long x = ((const struct canon_page *)a)->addr, y = ((const struct canon_page *)b)->addr;

	return x < y ? -1 : x > y;
}

/* Open-addressing table: frame -> first mapping. */
struct first_map {
	unsigned long frame;
	const char *name;
	unsigned long addr;
	bool used;
};

static size_t slot_of(struct first_map *t, size_t mask, unsigned long frame)
{
	size_t i = (frame * 0x9e3779b97f4a7c15UL) & mask;

	while (t[i].used && t[i].frame != frame)
		i = (i + 1) & mask;
	return i;
}

static bool has_frame(const struct canon_page *pg)
{
	return pg->kind == CP_ANON || pg->kind == CP_SHMEM;
}

void canon_print_dump(FILE *out, int line, struct canon_proc *procs, size_t nr)
{
	static const char *const kinds[] = { [CP_ZERO] = "zero", [CP_SWAP] = "swap",
					     [CP_ANON] = "anon", [CP_SHMEM] = "shmem" };
	struct first_map *table;
	size_t frames = 0, size = 16, mask;

	qsort(procs, nr, sizeof(*procs), cmp_proc);
	for (size_t i = 0; i < nr; i++) {
		if (procs[i].nr_pages)
			qsort(procs[i].pages, procs[i].nr_pages, sizeof(*procs[i].pages), cmp_page);
		frames += procs[i].nr_pages;
	}
	while (size < 2 * frames)
		size *= 2;
	mask = size - 1;
	table = calloc(size, sizeof(*table));
	if (!table) {
		fprintf(out, "== dump %d\n# out of memory\n", line);
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		for (size_t j = 0; j < procs[i].nr_pages; j++) {
			const struct canon_page *pg = &procs[i].pages[j];
			size_t s;

			if (!has_frame(pg))
				continue;
			s = slot_of(table, mask, pg->frame);
			if (!table[s].used)
				table[s] = (struct first_map){ pg->frame, procs[i].name, pg->addr, true };
		}
	}

	fprintf(out, "== dump %d\n", line);
	for (size_t i = 0; i < nr; i++) {
		const struct canon_proc *p = &procs[i];

		for (size_t j = 0; j < p->nr_vmas; j++)
			fprintf(out, "%s vma " CANON_ADDR "-" CANON_ADDR " %s\n", p->name,
				p->vmas[j].start, p->vmas[j].end, p->vmas[j].perms);
		for (size_t j = 0; j < p->nr_pages; j++) {
			const struct canon_page *pg = &p->pages[j];
			const struct first_map *f;

			fprintf(out, "%s page " CANON_ADDR " %s", p->name, pg->addr, kinds[pg->kind]);
			if (has_frame(pg)) {
				f = &table[slot_of(table, mask, pg->frame)];
				fprintf(out, " map=%u share=%s@" CANON_ADDR " sum=%08x", pg->mapcount,
					f->name, f->addr, pg->sum);
			}
			fputc('\n', out);
		}
	}
	free(table);
}

void canon_print_error(FILE *out, int line, const char *proc, const char *cmd, int err)
{
	fprintf(out, "!! %d %s %s: %s\n", line, proc, cmd, errno_name(err));
}

void canon_print_oom(FILE *out, int line, const char *proc, const char *cmd, const char *victim)
{
	fprintf(out, "!! %d %s %s: OOM-KILL %s\n", line, proc, cmd, victim);
}

void canon_print_signal(FILE *out, int line, const char *proc, const char *cmd, const char *sig,
			unsigned long addr)
{
	fprintf(out, "!! %d %s %s: %s " CANON_ADDR "\n", line, proc, cmd, sig, addr);
}
