/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compiler.h: the attributes the model's code uses, by the kernel's names
 * (include/linux/compiler_attributes.h). Nothing here has run-time behaviour.
 */
#ifndef ANONVM_COMPILER_H
#define ANONVM_COMPILER_H

/* The caller must look at the result (0 / -errno, or an object that may be NULL). */
#define __must_check __attribute__((warn_unused_result))
/* printf-style checking of the format at argument f, its arguments from a. */
#define __printf(f, a) __attribute__((format(printf, f, a)))
/* Used only by some builds (e.g. by an assertion that release builds compile out). */
#define __maybe_unused __attribute__((unused))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
