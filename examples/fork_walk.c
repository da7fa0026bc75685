// SPDX-License-Identifier: GPL-2.0-only
/*
 * fork_walk.c: the smallest program on the installed library. A page is written, the
 * process forks, the child writes (copy-on-write), and the reverse-map walk of each copy
 * shows which VMAs it has to look at. Build it with
 *     cc fork_walk.c $(pkg-config --cflags --libs anonvm)
 */
#include <stdio.h>
#include <anonvm/anonvm.h>

static void walk(const char *who, struct anonvm_mm *mm, unsigned long addr)
{
	struct anonvm_page_info p;
	struct anonvm_referenced r;

	if (anonvm_page_query(mm, addr, &p) || anonvm_page_referenced(mm, addr, &r))
		return;
	printf("%-6s frame %lu map=%u  walk: VMAs visited %lu, PTEs probed %lu\n", who, p.frame,
	       p.mapcount, r.vmas_visited, r.ptes_probed);
}

int main(void)
{
	unsigned long a = 0x100000000000UL;
	struct anonvm_mm *parent, *child;
	struct anonvm_config cfg;
	struct anonvm *vm;
	char c = 'x';

	anonvm_config_default(&cfg);
	if (anonvm_create(&cfg, &vm) || anonvm_mm_new(vm, &parent) ||
	    anonvm_mmap(parent, a, ANONVM_PAGE_SIZE, ANONVM_PROT_READ | ANONVM_PROT_WRITE,
			ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE, &a) ||
	    anonvm_write(parent, a, &c, 1, NULL) || anonvm_fork(parent, &child))
		return 1;
	walk("shared", parent, a);
	if (anonvm_write(child, a, &c, 1, NULL)) /* copy-on-write: the child gets its own page */
		return 1;
	walk("parent", parent, a);
	walk("child", child, a);
	anonvm_destroy(vm);
	return 0;
}
