// SPDX-License-Identifier: GPL-2.0-only
/*
 * validate.c: the validator of a whole machine (docs/semantics.md §2.9), run by `check`
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
 *            no live frame that nothing maps or caches (a leak); every free frame handed
 *            out before (below next_fresh) on exactly one free list (free_list or a CPU's),
 *            with refcount, mapcount, mapping and flags 0, and each list as long as its count;
 *   swap:    every swap PTE names a used slot of the swap device from an anonymous VMA with
 *            an anon_vma; each slot's count == the swap PTEs and the shmem page-cache
 *            entries naming it (every shmem page is its object's, at its index); an
 *            exclusive swap PTE
 *            is its slot's only one; SWAP_HAS_CACHE <=> a folio in the swap cache, with
 *            PG_swapcache and private naming the slot (it may be unmapped with a slot nothing
 *            names: an orphan left for reclaim); inuse_pages and nr_cache; no migration
 *            entry (quiescent);
 *   rss:     each mm's MM_ANONPAGES, MM_SHMEMPAGES and MM_SWAPENTS == its PTEs of each kind;
 *   LRU:     each list's entries are live folios flagged PG_lru, PG_active as the list
 *            says, as many as nr[]; every live folio is on a list (nothing is isolated while
 *            the machine is quiescent);
 *   walks:   for every mapped anonymous folio, the design's rmap_walk finds exactly the
 *            PTEs that map it (their number is its mapcount), each once, and every VMA it
 *            passes on is of the folio's fork family (rmap completeness). The walks are
 *            the validator's: they are not counted in the machine's statistics.
 *   locks:   no lock-order report from the checker (lockdep.h) so far, in this process.
 * A violation prints what and where, and the objects involved.
 *
 * Locks: each mm's mmap_lock is read-held while its page tables are walked; rmap walks take
 * the folio lock and the anon_vma read lock, after the page-table walk (the PTE lock is held
 * inside it).
 */
#include <stdarg.h>
#include <stdlib.h>

#include "memory.h"
#include "reclaim/swap.h"
#include "rmap.h"
#include "validate.h"
#include "vma.h"

/* Where the validator found a frame listed (bits: a frame must be on exactly one list). */
enum { ON_LRU = 1, ON_FREE = 2 };

struct vctx {
	struct anonvm *vm;
	FILE *out;
	bool ok;
	unsigned int *ptes; /* per pfn: PTEs found mapping it */
	unsigned long nr_pfns;
	unsigned int *swap_refs;     /* per slot: swap PTEs naming it */
	unsigned char *swap_excl;    /* per slot: an exclusive swap PTE names it */
	unsigned long nr_slots;      /* slots 1..nr_slots - 1 were ever used (si->highest_bit) */
	long rss_anon, rss_shmem, swapents; /* of the mm being walked */
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

/* One present PTE of c->mm (its table's ptl held: no anon_vma locks here). */
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

/* One swap (or migration) PTE of c->mm; page-table lock held. */
static int check_swap_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct vctx *c = arg;
	struct vm_area_struct *vma;
	pte_t pte = *ptep;
	unsigned long s;

	if (pte_present(pte)) {
		struct folio *folio = pfn_folio(c->vm->ram, pte_pfn(pte));

		if (!is_zero_folio(folio)) {
			if (folio_test_anon(folio))
				c->rss_anon++;
			else
				c->rss_shmem++;
		}
		return 0;
	}
	if (is_migration_pte(pte)) {
		violation(c, "mm %lu: a migration entry at %#lx while the machine is quiescent",
			  c->mm->id, addr);
		return 0;
	}
	c->swapents++;
	vma = find_vma(c->mm, addr);
	if (!vma || addr < vma->vm_start || !vma_is_anonymous(vma) || !vma->anon_vma)
		violation(c, "mm %lu: swap PTE at %#lx outside an anonymous VMA with an anon_vma",
			  c->mm->id, addr);
	s = swp_offset(pte_to_swp_entry(pte));
	if (swp_type(pte_to_swp_entry(pte)) != 0 || !s || s >= c->nr_slots) {
		violation(c, "mm %lu: swap PTE at %#lx names no slot (%#lx)", c->mm->id, addr,
			  (unsigned long)pte.val);
		return 0;
	}
	c->swap_refs[s]++;
	if (pte_swp_exclusive(pte))
		c->swap_excl[s] = 1;
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
		c->rss_anon = c->rss_shmem = c->swapents = 0;
		walk_ptes(mm, 0, TASK_SIZE, check_swap_pte, c);
		if (c->rss_anon != __get_mm_counter(mm, MM_ANONPAGES) ||
		    c->rss_shmem != __get_mm_counter(mm, MM_SHMEMPAGES) ||
		    c->swapents != __get_mm_counter(mm, MM_SWAPENTS))
			violation(c, "mm %lu: rss anon %ld shmem %ld swap %ld, counted %ld %ld %ld",
				  mm->id, c->rss_anon, c->rss_shmem, c->swapents,
				  __get_mm_counter(mm, MM_ANONPAGES), __get_mm_counter(mm, MM_SHMEMPAGES),
				  __get_mm_counter(mm, MM_SWAPENTS));
		mmap_read_unlock(mm);
	}
}

static int cmp_file(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * Every shared object's page cache: each page a folio of that object at that index, or a
 * swap entry (counted in swap_refs: it holds its slot as a swap PTE does).
 */
static void check_shmem_files(struct vctx *c)
{
	struct shmem_file **files = NULL, **bigger;
	struct vm_area_struct *vma;
	size_t nr = 0, cap = 0;
	struct mm_struct *mm;
	unsigned long index;

	list_for_each_entry(mm, &c->vm->mms, mmlist) {
		mt_for_each(&mm->mm_mt, vma, index, ~0UL) {
			if (!vma->vm_file)
				continue;
			if (nr == cap) {
				cap = cap ? 2 * cap : 16;
				bigger = realloc(files, cap * sizeof(*files));
				if (!bigger) {
					violation(c, "validate: out of memory");
					free(files);
					return;
				}
				files = bigger;
			}
			files[nr++] = vma->vm_file;
		}
	}
	if (nr)
		qsort(files, nr, sizeof(*files), cmp_file);
	for (size_t i = 0; i < nr; i++) {
		struct shmem_file *file = files[i];
		void *entry;

		if (i && file == files[i - 1])
			continue;
		spin_lock(&file->lock);
		xa_for_each(&file->pages, index, entry) {
			if (xa_is_value(entry)) {
				swp_entry_t e = { xa_to_value(entry) };

				if (swp_type(e) || !swp_offset(e) || swp_offset(e) >= c->nr_slots)
					violation(c, "shmem %p: index %#lx names no swap slot",
						  (void *)file, index);
				else
					c->swap_refs[swp_offset(e)]++;
			} else if (((struct folio *)entry)->mapping != (uintptr_t)file ||
				   ((struct folio *)entry)->index != index) {
				violation(c, "shmem %p: the folio at %#lx is another's", (void *)file,
					  index);
				report_folio(c->out, c->vm->ram, entry);
			}
		}
		spin_unlock(&file->lock);
	}
	free(files);
}

/* The swap device's slots and cache against the swap PTEs counted in c. */
static void check_swap(struct vctx *c)
{
	struct swap_info_struct *si = c->vm->swap;
	unsigned long inuse = 0, cached = 0;

	spin_lock(&si->lock);
	for (unsigned long s = 1; s < c->nr_slots; s++) {
		unsigned int count = si->swap_map[s] & SWAP_MAP_MAX;
		struct folio *folio = si->cache[s];

		inuse += si->swap_map[s] != 0;
		cached += folio != NULL;
		if (count != c->swap_refs[s])
			violation(c, "swap slot %lu: count %u, %u swap PTEs name it", s, count,
				  c->swap_refs[s]);
		if (c->swap_excl[s] && c->swap_refs[s] != 1)
			violation(c, "swap slot %lu: an exclusive swap PTE and %u in all", s,
				  c->swap_refs[s]);
		if (!(si->swap_map[s] & SWAP_HAS_CACHE) != !folio) {
			violation(c, "swap slot %lu: SWAP_HAS_CACHE %d, cache %p", s,
				  !!(si->swap_map[s] & SWAP_HAS_CACHE), (void *)folio);
			continue;
		}
		if (!folio)
			continue;
		if (!folio_test_flag(folio, PG_swapcache) || folio->private != swp_entry(0, s).val ||
		    atomic_load(&folio->refcount) <= 0) {
			violation(c, "swap slot %lu: its cached folio %lu does not name it", s,
				  folio_pfn(c->vm->ram, folio));
			report_folio(c->out, c->vm->ram, folio);
		}
		/*
		 * An unmapped folio whose slot nothing names is allowed: free_swap_and_cache
		 * only try-locks it, and leaves it to reclaim when another thread holds it
		 * (check_frames: it is on the LRU, where reclaim finds it).
		 */
	}
	if (inuse != si->inuse_pages || cached != si->nr_cache)
		violation(c, "swap: inuse_pages %lu nr_cache %lu, counted %lu %lu", si->inuse_pages,
			  si->nr_cache, inuse, cached);
	spin_unlock(&si->lock);
}

/* The LRU lists; each entry's pfn marked ON_LRU in onlist[]. */
static void check_lru(struct vctx *c, unsigned char *onlist)
{
	struct lruvec *lruvec = &c->vm->ram->lruvec;
	struct folio *folio;

	spin_lock(&lruvec->lru_lock);
	for (int l = 0; l < NR_LRU_LISTS; l++) {
		unsigned long n = 0, limit = c->nr_pfns;

		list_for_each_entry(folio, &lruvec->lists[l], lru) {
			unsigned long pfn = folio_pfn(c->vm->ram, folio);

			if (n++ > limit) {
				violation(c, "LRU list %d: links broken", l);
				break;
			}
			if (pfn >= c->nr_pfns || (onlist[pfn] & ON_LRU) || atomic_load(&folio->refcount) <= 0 ||
			    !folio_test_flag(folio, PG_lru) ||
			    folio_test_flag(folio, PG_active) != (l == LRU_ACTIVE_ANON)) {
				violation(c, "LRU list %d: a folio that does not belong there", l);
				report_folio(c->out, c->vm->ram, folio);
			}
			if (pfn < c->nr_pfns)
				onlist[pfn] |= ON_LRU;
		}
		if (n != lruvec->nr[l])
			violation(c, "LRU list %d: %lu entries, nr %lu", l, n, lruvec->nr[l]);
	}
	spin_unlock(&lruvec->lru_lock);
}

/* One free list of nr frames; each entry's pfn marked ON_FREE in onlist[]. */
static void check_free_list(struct vctx *c, struct list_head *head, unsigned long nr,
			    const char *name, unsigned char *onlist)
{
	struct folio *folio;
	unsigned long n = 0;

	list_for_each_entry(folio, head, lru) {
		unsigned long pfn = folio_pfn(c->vm->ram, folio);

		if (n++ > c->nr_pfns) {
			violation(c, "%s: links broken", name);
			return;
		}
		if (pfn == ZERO_PFN || pfn >= c->nr_pfns || (onlist[pfn] & ON_FREE))
			violation(c, "%s: frame %lu is out of range or on a free list twice", name,
				  pfn);
		else
			onlist[pfn] |= ON_FREE;
	}
	if (n != nr)
		violation(c, "%s: %lu entries, counted %lu", name, n, nr);
}

/* free_list and every CPU's list, each under its own lock. */
static void check_free_lists(struct vctx *c, unsigned char *onlist)
{
	struct ram *ram = c->vm->ram;
	char name[32];

	for (unsigned int i = 0; ram->pcp && i < nr_cpu_ids(); i++) {
		struct per_cpu_pages *pcp = &ram->pcp[i];

		snprintf(name, sizeof(name), "free list of CPU %u", i);
		spin_lock(&pcp->lock);
		check_free_list(c, &pcp->list, (unsigned long)atomic_load(&pcp->count), name,
				onlist);
		spin_unlock(&pcp->lock);
	}
	spin_lock(&ram->lock);
	check_free_list(c, &ram->free_list, ram->nr_free, "free_list", onlist);
	spin_unlock(&ram->lock);
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
	struct page_vma_mapped_walk pvmw = { .folio = folio, .vma = vma, .address = address };

	if (!vma->anon_vma || vma->anon_vma->root != w->root)
		w->stranger = true;
	if (!page_vma_mapped_walk(&pvmw))
		return true;
	page_vma_mapped_walk_done(&pvmw);
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

static void check_frames(struct vctx *c, const unsigned char *onlist)
{
	struct ram *ram = c->vm->ram;

	for (unsigned long pfn = 1; pfn < c->nr_pfns; pfn++) {
		struct folio *folio = pfn_folio(ram, pfn);
		int ref = atomic_load(&folio->refcount), map = atomic_load(&folio->mapcount);
		bool swapcache = folio_test_flag(folio, PG_swapcache);
		int cached = !folio_test_anon(folio) || swapcache;

		if (ref <= 0) {
			if (ref || map || c->ptes[pfn] || onlist[pfn] != ON_FREE ||
			    folio->mapping || atomic_load(&folio->flags)) {
				violation(c, "free frame %lu: %u PTEs, on the LRU %d, on a free list %d",
					  pfn, c->ptes[pfn], !!(onlist[pfn] & ON_LRU),
					  !!(onlist[pfn] & ON_FREE));
				report_folio(c->out, ram, folio);
			}
			continue;
		}
		if (onlist[pfn] != ON_LRU) {
			violation(c, "frame %lu: %s", pfn,
				  onlist[pfn] & ON_FREE ? "in use, on a free list" : "not on the LRU");
			report_folio(c->out, ram, folio);
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
	unsigned char *onlist; /* per pfn: ON_LRU, ON_FREE */

	c->nr_pfns = vm->ram->next_fresh;
	c->ptes = calloc(c->nr_pfns ? c->nr_pfns : 1, sizeof(*c->ptes));
	onlist = calloc(c->nr_pfns ? c->nr_pfns : 1, 1);
	/* slots never used hold nothing (swap_map 0, no cache): the scan stops at the last used */
	c->nr_slots = vm->swap->highest_bit + 1;
	c->swap_refs = calloc(c->nr_slots, sizeof(*c->swap_refs));
	c->swap_excl = calloc(c->nr_slots, 1);
	if (!c->ptes || !onlist || !c->swap_refs || !c->swap_excl) {
		fputs("validate: out of memory\n", out);
		c->ok = false;
		goto out;
	}
	check_page_tables(c);
	check_shmem_files(c);
	check_swap(c);
	check_lru(c, onlist);
	check_free_lists(c, onlist);
	check_frames(c, onlist);
out:
	free(c->swap_excl);
	free(c->swap_refs);
	free(onlist);
	free(c->ptes);
}

bool validate_machine(struct anonvm *vm, FILE *out)
{
	struct vctx c = { .vm = vm, .out = out, .ok = true };

	validate_all(&c);
	if (lockdep_reports())
		violation(&c, "lockdep: %lu lock-order reports (on stderr when they were made)",
			  lockdep_reports());
	return c.ok;
}
