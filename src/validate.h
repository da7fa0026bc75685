/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The validator (docs/semantics.md §2.9): every invariant of every address space, VMA,
 * anon_vma, folio and page table of a machine.
 */
#ifndef ANONVM_VALIDATE_H
#define ANONVM_VALIDATE_H

#include <stdbool.h>
#include <stdio.h>

#include "mm_types.h"

/* True when every invariant holds; otherwise false with a report (what, where, objects). */
bool validate_machine(struct anonvm *vm, FILE *out);

#endif
