// SPDX-License-Identifier: GPL-2.0-only
/*
 * debug.c: what a failed check of debug.h does: report it on stderr, and abort for a bug.
 * No state, no locks.
 */
#include <stdio.h>
#include <stdlib.h>

#include "debug.h"

void __vm_bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "anonvm: BUG at %s:%d: %s\n", file, line, cond);
	abort();
}

void __vm_warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "anonvm: WARNING at %s:%d: %s\n", file, line, cond);
}
