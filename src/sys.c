// SPDX-License-Identifier: GPL-2.0-only
/*
 * sys.c: the machine (struct anonvm): creation with its physical memory and rmap design,
 * teardown (every process still alive exits), and the debugging entry points of the public
 * API (check, stats, dot, live objects after a grace period).
 *
 * Invariant: vm->mms lists exactly the address spaces created on vm and not yet exited.
 * Locks: vm->mms_lock guards vm->mms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "memory.h"
#include "reclaim/swap.h"
#include "rmap.h"
#include "validate.h"

void anonvm_config_default(struct anonvm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_bytes = 1UL << 30;
	cfg->swap_bytes = 256UL << 20;
	cfg->design = ANONVM_RMAP_LINUX;
	cfg->debug_level = ANONVM_DEBUG;
	cfg->per_vma_lock = true;
}

const char *anonvm_design_name(enum anonvm_rmap_design design)
{
	const struct rmap_ops *ops = rmap_design(design);

	return ops ? ops->name : NULL;
}

int anonvm_design_parse(const char *name, enum anonvm_rmap_design *design)
{
	for (int d = 0; d < ANONVM_RMAP_NR; d++) {
		if (!strcmp(name, anonvm_design_name(d))) {
			*design = d;
			return 0;
		}
	}
	return -EINVAL;
}

int anonvm_debug_level(void)
{
	return ANONVM_DEBUG;
}

/* Whether this thread is an RCU reader of liburcu (registration is per thread, once). */
static __thread bool rcu_registered;

int anonvm_thread_register(void)
{
	if (!rcu_registered) {
		rcu_register_thread();
		rcu_registered = true;
	}
	return 0;
}

void anonvm_thread_unregister(void)
{
	if (rcu_registered) {
		rcu_unregister_thread();
		rcu_registered = false;
	}
}

int anonvm_create(const struct anonvm_config *cfg, struct anonvm **out)
{
	struct anonvm *vm;
	int ret;

	if (!cfg->ram_bytes || cfg->ram_bytes % ANONVM_PAGE_SIZE || !rmap_design(cfg->design) ||
	    cfg->debug_level < 0 || cfg->debug_level > 2 || cfg->swap_bytes % ANONVM_PAGE_SIZE)
		return -EINVAL;
	vm = av_alloc(AV_OBJ_OTHER, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->cfg = *cfg;
	vm->rmap = rmap_design(cfg->design);
	vm->max_map_count = DEFAULT_MAX_MAP_COUNT;
	spin_lock_init(&vm->mms_lock);
	INIT_LIST_HEAD(&vm->mms);
	spin_lock_init(&vm->anon_vmas_lock);
	INIT_LIST_HEAD(&vm->anon_vmas);
	for (int i = 0; i < NR_LOCK_WAIT; i++)
		vm->stats.lock_wait[i].cls = i;
	ret = ram_init(vm);
	if (!ret) {
		ret = swap_init(vm);
		if (ret)
			ram_destroy(vm);
	}
	if (ret) {
		spin_lock_destroy(&vm->mms_lock);
		spin_lock_destroy(&vm->anon_vmas_lock);
		av_free(AV_OBJ_OTHER, vm);
		return ret;
	}
	anonvm_thread_register();
	*out = vm;
	return 0;
}

void anonvm_destroy(struct anonvm *vm)
{
	while (!list_empty(&vm->mms))
		anonvm_exit(mm_handle(list_first_entry(&vm->mms, struct mm_struct, mmlist)));
	/* what reclaim has not freed yet of the folios a contended unmap left in the cache */
	try_to_reclaim_swap_cache(vm);
	rcu_barrier();
	swap_destroy(vm);
	ram_destroy(vm);
	spin_lock_destroy(&vm->mms_lock);
	spin_lock_destroy(&vm->anon_vmas_lock);
	av_free(AV_OBJ_OTHER, vm);
}

int anonvm_check(struct anonvm *vm, FILE *out)
{
	return validate_machine(vm, out) ? 0 : -EUCLEAN;
}

static const char *const lock_wait_names[NR_LOCK_WAIT] = LOCK_WAIT_NAMES;

void anonvm_stats_print(struct anonvm *vm, FILE *out)
{
#define PRINT_STAT(name) fprintf(out, "# stat %s %lu\n", #name, vm_events_read(vm, name));
	VM_STAT_ITEMS(PRINT_STAT)
#undef PRINT_STAT
	fprintf(out, "# stat committed_as %lu\n", atomic_load(&vm->stats.committed_as));
	for (int i = 0; i < NR_LOCK_WAIT; i++) {
		const struct lock_wait_stat *st = &vm->stats.lock_wait[i];

		fprintf(out, "# stat %s_contended %lu\n# stat %s_wait_ns %lu\n", lock_wait_names[i],
			atomic_load(&st->contended), lock_wait_names[i], atomic_load(&st->wait_ns));
	}
}

/* "<lock>_contended" or "<lock>_wait_ns" of a lock_wait class: 0, or -ENOENT. */
static int lock_wait_stat(struct anonvm *vm, const char *name, unsigned long *value)
{
	for (int i = 0; i < NR_LOCK_WAIT; i++) {
		size_t n = strlen(lock_wait_names[i]);
		const struct lock_wait_stat *st = &vm->stats.lock_wait[i];

		if (strncmp(name, lock_wait_names[i], n))
			continue;
		if (!strcmp(name + n, "_contended")) {
			*value = atomic_load(&st->contended);
			return 0;
		}
		if (!strcmp(name + n, "_wait_ns")) {
			*value = atomic_load(&st->wait_ns);
			return 0;
		}
	}
	return -ENOENT;
}

int anonvm_stat(struct anonvm *vm, const char *name, unsigned long *value)
{
#define GET_STAT(item)                                                                     \
	if (!strcmp(name, #item)) {                                                        \
		*value = vm_events_read(vm, item);                                         \
		return 0;                                                                  \
	}
	VM_STAT_ITEMS(GET_STAT)
#undef GET_STAT
	if (!strcmp(name, "committed_as")) {
		*value = atomic_load(&vm->stats.committed_as);
		return 0;
	}
	return lock_wait_stat(vm, name, value);
}

void anonvm_thread_lock_waits(struct anonvm_lock_waits *w)
{
	lock_wait_thread(LOCK_WAIT_ANON_VMA, &w->anon_vma_contended, &w->anon_vma_wait_ns);
	lock_wait_thread(LOCK_WAIT_MMAP, &w->mmap_lock_contended, &w->mmap_lock_wait_ns);
}

int anonvm_dot(struct anonvm *vm, FILE *out)
{
	return rmap_dot(vm, out);
}

void anonvm_meminfo(struct anonvm *vm, struct anonvm_meminfo *info)
{
	struct lruvec *lruvec = &vm->ram->lruvec;
	struct swap_info_struct *si = vm->swap;

	memset(info, 0, sizeof(*info));
	info->ram_frames = vm->ram->nr_frames;
	info->frames_in_use = ram_frames_in_use(vm->ram);
	spin_lock(&lruvec->lru_lock);
	info->lru_inactive = lruvec->nr[LRU_INACTIVE_ANON];
	info->lru_active = lruvec->nr[LRU_ACTIVE_ANON];
	spin_unlock(&lruvec->lru_lock);
	spin_lock(&si->lock);
	info->swap_slots = si->max ? si->max - 1 : 0;
	info->swap_in_use = si->inuse_pages;
	info->swap_cache = si->nr_cache;
	spin_unlock(&si->lock);
	info->swap_outs = vm_events_read(vm, pswpout);
	info->swap_ins = vm_events_read(vm, pswpin);
	info->migrated = vm_events_read(vm, pgmigrate_success);
}

void anonvm_quiesce(void)
{
	rcu_barrier();
}
