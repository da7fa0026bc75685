// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap/dot.c: a Graphviz picture of a machine's reverse map, in any design.
 *
 *   processes  one box (cluster) per mm, labelled with its name (anonvm_mm_set_name, e.g.
 *              the script's process names) and holding its VMAs: range, pgoff, permissions;
 *   anon_vmas  one box each: id, root or not, refcount, num_children, num_active_vmas;
 *              a dashed edge from its parent;
 *   links      what the design keeps (the design's dot op): for the chain designs one edge
 *              per AVC from the anon_vma to the VMA, bold to the VMA's primary anon_vma;
 *              for legacy one edge per entry of the anon_vma's list of VMAs.
 *
 * Node names: "avN" for anon_vma N, "vma_M_START" for the VMA of mm M at START.
 * The machine must be quiescent. Locks: vm->mms_lock, vm->anon_vmas_lock while listing.
 */
#include <errno.h>

#include "internal.h"

static void dot_vma_ref(FILE *out, const struct vm_area_struct *vma)
{
	fprintf(out, "\"vma_%lu_%lx\"", vma->vm_mm->id, vma->vm_start);
}

static void dot_edge(FILE *out, const struct anon_vma *anon_vma, const struct vm_area_struct *vma,
		     const char *label, bool bold)
{
	fprintf(out, "\tav%lu -> ", anon_vma->id);
	dot_vma_ref(out, vma);
	fprintf(out, " [label=\"%s\"%s];\n", label, bold ? ", style=bold" : "");
}

static void dot_processes(struct anonvm *vm, FILE *out)
{
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long index;

	spin_lock(&vm->mms_lock);
	list_for_each_entry(mm, &vm->mms, mmlist) {
		fprintf(out, "\tsubgraph cluster_mm%lu {\n\t\tlabel=\"%s\";\n\t\tstyle=rounded;\n",
			mm->id, mm->name);
		mt_for_each(&mm->mm_mt, vma, index, ~0UL) {
			fputs("\t\t", out);
			dot_vma_ref(out, vma);
			fprintf(out,
				" [shape=ellipse%s, label=\"%012lx-%012lx\\npgoff %lx %c%c%c%c\"];\n",
				vma->anon_vma ? "" : ", style=dashed", vma->vm_start, vma->vm_end,
				vma->vm_pgoff, vma->vm_flags & VM_READ ? 'r' : '-',
				vma->vm_flags & VM_WRITE ? 'w' : '-',
				vma->vm_flags & VM_EXEC ? 'x' : '-',
				vma->vm_flags & VM_MAYSHARE ? 's' : 'p');
		}
		fputs("\t}\n", out);
	}
	spin_unlock(&vm->mms_lock);
}

static void dot_anon_vmas(struct anonvm *vm, FILE *out)
{
	struct anon_vma *anon_vma;

	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node) {
		bool root = anon_vma->root == anon_vma;

		fprintf(out,
			"\tav%lu [shape=box%s, label=\"anon_vma %lu%s\\nrefcount %d\\n"
			"children %lu active %lu\"];\n",
			anon_vma->id, root ? ", style=bold" : "", anon_vma->id,
			root ? " (root)" : "", atomic_load(&anon_vma->refcount),
			anon_vma->num_children, anon_vma->num_active_vmas);
		if (anon_vma->parent != anon_vma)
			fprintf(out, "\tav%lu -> av%lu [style=dashed, label=\"parent\"];\n",
				anon_vma->parent->id, anon_vma->id);
	}
}

void rmap_dot_avc(struct anonvm *vm, FILE *out)
{
	const struct anon_vma_index_ops *index = vm->rmap->index;
	struct anon_vma *anon_vma;
	struct anon_vma_chain *avc;

	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node)
		anon_vma_index_foreach(avc, index, anon_vma, 0, ~0UL)
			dot_edge(out, anon_vma, avc->vma, "avc", avc->vma->anon_vma == anon_vma);
}

void rmap_dot_legacy(struct anonvm *vm, FILE *out)
{
	struct anon_vma *anon_vma;
	struct vm_area_struct *vma;

	list_for_each_entry(anon_vma, &vm->anon_vmas, vm_node)
		list_for_each_entry(vma, &anon_vma->head, anon_vma_node)
			dot_edge(out, anon_vma, vma, "list", true);
}

int rmap_dot(struct anonvm *vm, FILE *out)
{
	fprintf(out,
		"digraph anon_vma {\n"
		"\tlabel=\"anonvm: the %s reverse map\";\n\tlabelloc=t;\n"
		"\tnode [fontname=\"monospace\", fontsize=10];\n"
		"\tedge [fontname=\"monospace\", fontsize=9];\n",
		vm->rmap->name);
	dot_processes(vm, out);
	spin_lock(&vm->anon_vmas_lock);
	dot_anon_vmas(vm, out);
	vm->rmap->dot(vm, out);
	spin_unlock(&vm->anon_vmas_lock);
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
