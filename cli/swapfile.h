/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A temporary swap file for kernel runs whose scripts page out (MADV_PAGEOUT): without
 * active swap the kernel keeps anonymous pages resident and there is nothing to compare.
 */
#ifndef ANONVM_SWAPFILE_H
#define ANONVM_SWAPFILE_H

#include <stdio.h>

/*
 * When no swap is active, create a swap file in /var/tmp and swapon(2) it; it is swapped
 * off and removed by swapfile_teardown(), at exit, or on a terminating signal.
 * 0 (also when swap was already active), or -errno after a message on err.
 */
int swapfile_setup(FILE *err) __attribute__((warn_unused_result));
/* Swap off and remove the file made by swapfile_setup(), if any. Idempotent. */
void swapfile_teardown(void);

#endif
