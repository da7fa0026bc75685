// SPDX-License-Identifier: GPL-2.0-only
/*
 * cow_snapshot.c: anonvm embedded as a copy-on-write snapshot engine, through the public API
 * only (include/anonvm/anonvm.h).
 *
 * A "database" process fills 8 pages, then takes a snapshot by forking. The live copy goes
 * on writing; the snapshot keeps the old bytes, and only the pages written since the
 * snapshot cost a frame of their own. The program prints, page by page, which frames the
 * two share, and checks every byte.
 */
#include <stdio.h>
#include <string.h>

#include "anonvm/anonvm.h"

#define BASE 0x100000000000UL
#define PAGES 8

static int check(int ret, const char *what)
{
	if (ret)
		fprintf(stderr, "cow_snapshot: %s: error %d\n", what, ret);
	return ret;
}

int main(void)
{
	struct anonvm_config cfg;
	struct anonvm *vm;
	struct anonvm_mm *live, *snap;
	unsigned char buf[ANONVM_PAGE_SIZE];
	unsigned long addr;
	int bad = 0;

	anonvm_config_default(&cfg);
	cfg.ram_bytes = 16UL << 20;
	if (check(anonvm_create(&cfg, &vm), "create") || check(anonvm_mm_new(vm, &live), "mm") ||
	    check(anonvm_mmap(live, BASE, PAGES * ANONVM_PAGE_SIZE,
			      ANONVM_PROT_READ | ANONVM_PROT_WRITE,
			      ANONVM_MAP_PRIVATE | ANONVM_MAP_FIXED | ANONVM_MAP_NORESERVE, &addr),
		  "mmap"))
		return 1;
	for (int i = 0; i < PAGES; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		if (check(anonvm_write(live, BASE + i * ANONVM_PAGE_SIZE, buf, sizeof(buf), NULL),
			  "write"))
			return 1;
	}
	if (check(anonvm_fork(live, &snap), "snapshot"))
		return 1;
	/* the live copy rewrites every other page: those are copied on write */
	for (int i = 0; i < PAGES; i += 2) {
		memset(buf, 'A' + i, sizeof(buf));
		if (check(anonvm_write(live, BASE + i * ANONVM_PAGE_SIZE, buf, sizeof(buf), NULL),
			  "write after snapshot"))
			return 1;
	}
	printf("page  live  snapshot  frames\n");
	for (int i = 0; i < PAGES; i++) {
		unsigned long a = BASE + i * ANONVM_PAGE_SIZE;
		struct anonvm_page_info pl, ps;
		unsigned char cl, cs;

		anonvm_page_query(live, a, &pl);
		anonvm_page_query(snap, a, &ps);
		anonvm_read(live, a, &cl, 1, NULL);
		anonvm_read(snap, a, &cs, 1, NULL);
		printf("%4d  %c     %c         %s (map=%u)\n", i, cl, cs,
		       pl.frame == ps.frame ? "shared" : "copied", pl.mapcount);
		bad |= cs != 'a' + i || cl != (i % 2 ? 'a' + i : 'A' + i);
		bad |= (pl.frame == ps.frame) != (i % 2 == 1);
	}
	bad |= check(anonvm_check(vm, stderr), "check");
	anonvm_destroy(vm);
	printf("%s\n", bad ? "MISMATCH" : "snapshot intact");
	return bad;
}
