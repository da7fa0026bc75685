// SPDX-License-Identifier: GPL-2.0-only
/*
 * validate.c: the validator of a whole machine (KERNEL-SEMANTICS.md §2.9), run by `check`
 * and, in debug test runs, after every step. It checks, with the machine quiescent:
 *
 *   layout:  every mm's VMA tree and VMAs (mm_valid, vma.c);
 *   rmap:    the design's own invariants (rmap_validate: rmap/validate.c);
 *   pages:   for every present PTE of every mm, inside a VMA:
 *            I1  anonymous folio F in VMA V: a walk from F's anon_vma reaches V (the
 *                design's vma_reaches: in V's chain, or V's anon_vma in legacy) and
 *                F.index == linear_page_index(V, addr);
 *            a shmem folio belongs to V's file at the same index; the zero page only in
 *            private VMAs, never writable; a writable anonymous PTE => PageAnonExclusive;
 *   frames:  for every live frame: mapcount == PTEs mapping it; refcount == mapcount
 *            (+1 in the shmem page cache or the swap cache); AnonExclusive => mapcount <= 1;
 *            no live frame that nothing maps or caches (a leak);
 *   walks:   for every mapped anonymous folio, the design's rmap_walk finds exactly the
 *            PTEs that map it (their number is its mapcount), each once, and every VMA it
 *            passes on is of the folio's fork family (rmap completeness). The walks are
 *            the validator's: they are not counted in the machine's statistics.
 * A violation prints what and where, and the objects involved.
 *
 * Locks: each mm's mmap_lock is read-held while its page tables are walked; rmap walks take
 * the folio lock and the anon_vma read lock, after the page-table walk (the PTE lock is held
 * inside it).
 */
#include <stdarg.h>
#include <stdlib.h>

#include "memory.h"
#include "rmap.h"
#include "validate.h"
#include "vma.h"

struct vctx {
	struct anonvm *vm;
	FILE *out;
	bool ok;
	unsigned int *ptes; /* per pfn: PTEs found mapping it */
	unsigned long nr_pfns;
	struct mm_struct *mm;
	struct vm_area_struct *vma; /* the VMA of the PTE being looked at */
};

static void report_vma(FILE *out, const struct vm_area_struct *vma)
{
	const struct anon_vma *av = vma->anon_vma;

	fprintf(out, "    vma %p mm %lu [%#lx, %#lx) flags %#lx pgoff %#lx file %p anon_vma %lu root %lu\n",
		(void *)vma, vma->vm_mm->id, vma->vm_start, vma->vm_end, vma->vm_flags,
		vma->vm_pgoff, (void *)vma->vm_file, av ? av->id : 0, av ? av->root->id : 0);
}

static void report_folio(FILE *out, const struct ram *ram, const struct folio *folio)
{
	const struct anon_vma *av = folio_anon_vma(folio);

	fprintf(out, "    folio pfn %lu mapping %#lx (%s %lu) index %#lx mapcount %d refcount %d flags %#lx\n",
		folio_pfn(ram, folio), (unsigned long)folio->mapping,
		av ? "anon_vma" : "file", av ? av->id : 0, folio->index,
		atomic_load(&folio->mapcount), atomic_load(&folio->refcount),
		atomic_load(&folio->flags));
}

static void violation(struct vctx *c, const char *fmt, ...) __printf(2, 3);

static void violation(struct vctx *c, const char *fmt, ...)
{
	va_list ap;

	fputs("validate: ", c->out);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
	c->ok = false;
}

/* One present PTE of c->mm (page_table_lock held: no anon_vma locks here). */
static int check_pte(unsigned long addr, pte_t pte, struct folio *folio, void *arg)
{
	struct vctx *c = arg;
	struct ram *ram = c->vm->ram;
	struct vm_area_struct *vma = c->vma;
	unsigned long pfn = folio_pfn(ram, folio);

	if (!vma || addr >= vma->vm_end)
		vma = c->vma = find_vma(c->mm, addr);
	if (!vma || addr < vma->vm_start) {
		violation(c, "mm %lu: PTE at %#lx outside every VMA", c->mm->id, addr);
		report_folio(c->out, ram, folio);
		return 0;
	}
	if (is_zero_folio(folio)) {
		if (!vma_is_anonymous(vma) || pte_write(pte)) {
			violation(c, "mm %lu: zero page at %#lx %s", c->mm->id, addr,
				  pte_write(pte) ? "writable" : "in a shared VMA");
			report_vma(c->out, vma);
		}
		return 0;
	}
	if (pfn >= c->nr_pfns || atomic_load(&folio->refcount) <= 0) {
		violation(c, "mm %lu: PTE at %#lx maps a free frame %lu", c->mm->id, addr, pfn);
		report_folio(c->out, ram, folio);
		return 0;
	}
	c->ptes[pfn]++;
	if (folio_test_anon(folio)) {
		if (!vma_is_anonymous(vma))
			violation(c, "mm %lu: anonymous folio at %#lx in a shared VMA", c->mm->id, addr);
		else if (!vma_reaches_anon_vma(vma, folio_anon_vma(folio)))
			violation(c, "I1: mm %lu: folio at %#lx: its anon_vma %lu does not reach the VMA",
				  c->mm->id, addr, folio_anon_vma(folio)->id);
		else if (folio->index != linear_page_index(vma, addr))
			violation(c, "I1: mm %lu: folio at %#lx: index %#lx, linear_page_index %#lx",
				  c->mm->id, addr, folio->index, linear_page_index(vma, addr));
		else if (pte_write(pte) && !folio_test_flag(folio, PG_anon_exclusive))
			violation(c, "mm %lu: writable PTE at %#lx of a folio not AnonExclusive",
				  c->mm->id, addr);
		else
			return 0;
	} else if (vma_is_anonymous(vma) || folio->mapping != (uintptr_t)vma->vm_file) {
		violation(c, "mm %lu: shmem folio at %#lx not of the VMA's file", c->mm->id, addr);
	} else if (folio->index != linear_page_index(vma, addr)) {
		violation(c, "mm %lu: shmem folio at %#lx: index %#lx, linear_page_index %#lx",
			  c->mm->id, addr, folio->index, linear_page_index(vma, addr));
	} else {
		return 0;
	}
	report_vma(c->out, vma);
	report_folio(c->out, ram, folio);
	return 0;
}

static void check_page_tables(struct vctx *c)
{
	struct mm_struct *mm;

	list_for_each_entry(mm, &c->vm->mms, mmlist) {
		mmap_read_lock(mm);
		c->mm = mm;
		c->vma = NULL;
		walk_page_range(mm, 0, TASK_SIZE, check_pte, c);
		mmap_read_unlock(mm);
	}
}

struct walk_count {
	struct anon_vma *root; /* the folio's family */
	bool stranger;         /* a VMA of another family was passed on */
	unsigned int found;
	struct vm_area_struct *seen_vma[8];
	unsigned long seen_addr[8];
	bool duplicate;
};

static bool count_mapping(struct folio *folio, struct vm_area_struct *vma, unsigned long address,
			  void *arg)
{
	struct walk_count *w = arg;

	if (!vma->anon_vma || vma->anon_vma->root != w->root)
		w->stranger = true;
	if (!page_vma_mapped(folio, vma, address))
		return true;
	for (unsigned int i = 0; i < w->found && i < 8; i++)
		if (w->seen_vma[i] == vma && w->seen_addr[i] == address)
			w->duplicate = true;
	if (w->found < 8) {
		w->seen_vma[w->found] = vma;
		w->seen_addr[w->found] = address;
	}
	w->found++;
	return true;
}

/* rmap completeness: the walk from folio finds exactly the PTEs that map it. */
static void check_walk(struct vctx *c, struct folio *folio)
{
	struct walk_count w = { .root = folio_anon_vma(folio)->root };
	struct rmap_walk_control rwc = { .arg = &w, .rmap_one = count_mapping };
	int mapcount = atomic_load(&folio->mapcount);

	if (!folio_trylock(folio)) {
		violation(c, "folio %lu is locked while the machine is quiescent",
			  folio_pfn(c->vm->ram, folio));
		return;
	}
	rmap_walk(folio, &rwc);
	folio_unlock(folio);
	if (w.found != (unsigned int)mapcount || w.duplicate || w.stranger) {
		violation(c, "rmap: the %s walk from folio %lu found %u mappings%s%s, mapcount %d",
			  c->vm->rmap->name, folio_pfn(c->vm->ram, folio), w.found,
			  w.duplicate ? " (a duplicate)" : "",
			  w.stranger ? " (a VMA of another family)" : "", mapcount);
		report_folio(c->out, c->vm->ram, folio);
	}
}

static void check_frames(struct vctx *c)
{
	struct ram *ram = c->vm->ram;

	for (unsigned long pfn = 1; pfn < c->nr_pfns; pfn++) {
		struct folio *folio = pfn_folio(ram, pfn);
		int ref = atomic_load(&folio->refcount), map = atomic_load(&folio->mapcount);
		int cached = !folio_test_anon(folio) || folio_test_flag(folio, PG_swapcache);

		if (ref <= 0) {
			if (map || c->ptes[pfn])
				violation(c, "free frame %lu: mapcount %d, %u PTEs", pfn, map,
					  c->ptes[pfn]);
			continue;
		}
		if ((unsigned int)map != c->ptes[pfn])
			violation(c, "frame %lu: mapcount %d but %u PTEs map it", pfn, map,
				  c->ptes[pfn]);
		else if (ref != map + cached)
			violation(c, "frame %lu: refcount %d, want mapcount %d + %d (cache)", pfn, ref,
				  map, cached);
		else if (!map && !cached)
			violation(c, "frame %lu: leaked (nothing maps or caches it)", pfn);
		else if (folio_test_flag(folio, PG_anon_exclusive) && map > 1)
			violation(c, "frame %lu: AnonExclusive with mapcount %d", pfn, map);
		else {
			if (folio_test_anon(folio) && map)
				check_walk(c, folio);
			continue;
		}
		report_folio(c->out, ram, folio);
	}
}

static void validate_all(struct vctx *c)
{
	struct anonvm *vm = c->vm;
	FILE *out = c->out;
	struct mm_struct *mm;

	list_for_each_entry(mm, &vm->mms, mmlist)
		if (!mm_valid(mm, out))
			c->ok = false;
	if (!rmap_validate(vm, out))
		c->ok = false;
	c->nr_pfns = vm->ram->next_fresh;
	c->ptes = calloc(c->nr_pfns ? c->nr_pfns : 1, sizeof(*c->ptes));
	if (!c->ptes) {
		fputs("validate: out of memory\n", out);
		c->ok = false;
		return;
	}
	check_page_tables(c);
	check_frames(c);
	free(c->ptes);
}

bool validate_machine(struct anonvm *vm, FILE *out)
{
	struct vctx c = { .vm = vm, .out = out, .ok = true };

	validate_all(&c);
	return c.ok;
}
