/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * debug.h: assertion levels, in the manner of include/linux/mmdebug.h (CONFIG_DEBUG_VM) and
 * mimalloc's MI_DEBUG. One compile-time level, ANONVM_DEBUG (meson option debug_level; it
 * follows the build type unless set), drives every check of the library:
 *
 *   0  release: no check runs, but every condition is still compiled (sizeof), so a variable
 *      used only by a check is still used and the release build sees the same code;
 *   1  cheap checks: VM_BUG_ON / VM_WARN_ON and the lock assertions abort or warn;
 *   2  expensive checks as well: VM_BUG_ON_EXPENSIVE and the validators that the mutators
 *      run after each step (validate_mm, the design's chain check at fork), when the
 *      machine's run-time level (anonvm_config.debug_level) also asks for them.
 *
 * The conditions name what must NOT be true, as in the kernel: VM_BUG_ON(x > y).
 */
#ifndef ANONVM_DEBUG_H
#define ANONVM_DEBUG_H

#include <stdbool.h>

#include "compiler.h"

#ifndef ANONVM_DEBUG
#define ANONVM_DEBUG 0
#endif

/* Type-checks e, evaluates nothing. */
#define BUILD_BUG_ON_INVALID(e) ((void)(sizeof((long)(e))))

/* Report a failed check at file:line and abort (a bug), or only report it (a warning). */
void __vm_bug(const char *file, int line, const char *cond) __attribute__((noreturn, cold));
void __vm_warn(const char *file, int line, const char *cond) __attribute__((cold));

#if ANONVM_DEBUG >= 1
#define VM_BUG_ON(cond)                                                                       \
	do {                                                                                  \
		if (unlikely(cond))                                                           \
			__vm_bug(__FILE__, __LINE__, #cond);                                  \
	} while (0)
#define VM_WARN_ON(cond)                                                                      \
	({                                                                                    \
		bool __warn = !!(cond);                                                       \
		if (unlikely(__warn))                                                         \
			__vm_warn(__FILE__, __LINE__, #cond);                                 \
		unlikely(__warn);                                                             \
	})
#define VM_WARN_ON_ONCE(cond)                                                                 \
	({                                                                                    \
		static bool __warned;                                                         \
		bool __warn = !!(cond);                                                       \
		if (unlikely(__warn) && !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED)) \
			__vm_warn(__FILE__, __LINE__, #cond);                                 \
		unlikely(__warn);                                                             \
	})
#else
#define VM_BUG_ON(cond) BUILD_BUG_ON_INVALID(cond)
#define VM_WARN_ON(cond) ({ BUILD_BUG_ON_INVALID(cond); false; })
#define VM_WARN_ON_ONCE(cond) VM_WARN_ON(cond)
#endif

#if ANONVM_DEBUG >= 2
#define VM_BUG_ON_EXPENSIVE(cond) VM_BUG_ON(cond)
#else
#define VM_BUG_ON_EXPENSIVE(cond) BUILD_BUG_ON_INVALID(cond)
#endif

#endif
