// SPDX-License-Identifier: GPL-2.0-only
/*
 * script.c: the .avs parser (docs/language.md), one for both executors.
 *
 * Each line is split into words; the first word is a command or a process name. Everything
 * that can be checked statically is checked here, so an executor only ever sees well-formed
 * ops: numbers, page alignment, the arena, PROT, advice, process existence and liveness, and
 * that every name is created once. Errors are `PATH:LINE: error: WHAT`, and parsing stops at
 * the first one (exit status 2). A word quoted in a message is cut to QUOTE_MAX characters
 * and its control and non-ASCII bytes are written as \xNN, so that any input gives a short,
 * printable message.
 *
 * Limits: a script is at most SCRIPT_MAX_BYTES, a line at most SCRIPT_MAX_LINE bytes; a NUL
 * byte is an error (with its line). Names are found through a hash table (struct name_table),
 * so parsing is linear in the length of the script whatever the number of processes.
 *
 * A par block (`par [N]` ... `end`) holds thread lines: commands of one process, joined by
 * ';' when there are several, and only those a thread may run (mmap, munmap, mprotect,
 * mremap, madvise, write, read, referenced, migrate: nothing that creates or ends a
 * process, nor anything global). Blocks do not nest, hold 1 to PAR_MAX_THREADS lines, and
 * cannot be used with memcg (which process the OOM killer picks would depend on timing).
 *
 * Invariants of a parsed script: 0 <= op->proc < nr_names for process commands; every range
 * [addr, addr + pages * 4096) lies in [ARENA_START, ARENA_END]; names[] are distinct; an
 * OP_PAR op is followed by nr_body >= 1 ops of the kinds above, thread numbers 0, 1, ...
 * in order.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script.h"

/* Every advice Linux 6.18 accepts, but MADV_HWPOISON and MADV_SOFT_OFFLINE (docs/language.md). */
const struct advice_name script_advices[] = {
	{ "normal", 0 },	   { "random", 1 },	     { "sequential", 2 },
	{ "willneed", 3 },	   { "dontneed", 4 },	     { "free", 8 },
	{ "remove", 9 },	   { "dontfork", 10 },	     { "dofork", 11 },
	{ "mergeable", 12 },	   { "unmergeable", 13 },    { "hugepage", 14 },
	{ "nohugepage", 15 },	   { "dontdump", 16 },	     { "dodump", 17 },
	{ "wipeonfork", 18 },	   { "keeponfork", 19 },     { "cold", 20 },
	{ "pageout", 21 },	   { "populate_read", 22 },  { "populate_write", 23 },
	{ "dontneed_locked", 24 }, { "collapse", 25 },	     { "guard_install", 102 },
	{ "guard_remove", 103 },   { NULL, 0 },
};

bool script_advice_populates(int advice)
{
	return advice == 22 || advice == 23; /* MADV_POPULATE_READ, MADV_POPULATE_WRITE */
}

static const char *const op_names[OP_NR] = {
	[OP_SPAWN] = "spawn",   [OP_MMAP] = "mmap",       [OP_MUNMAP] = "munmap",
	[OP_MPROTECT] = "mprotect", [OP_MREMAP] = "mremap", [OP_MADVISE] = "madvise",
	[OP_WRITE] = "write",   [OP_READ] = "read",       [OP_FORK] = "fork",
	[OP_EXIT] = "exit",     [OP_DUMP] = "dump",       [OP_CHECK] = "check",
	[OP_STATS] = "stats",   [OP_DOT] = "dot",        [OP_REFERENCED] = "referenced",
	[OP_MIGRATE] = "migrate",
	[OP_MEMCG] = "memcg",	[OP_PAR] = "par",
};

const char *op_name(enum op_kind kind)
{
	return op_names[kind];
}

#define MAX_WORDS 8
#define QUOTE_MAX 40 /* characters of a word quoted in a message */

/* Open-addressing hash table: name -> index into script->names; slot -1 is empty. */
struct name_table {
	int *slot;
	size_t mask; /* capacity - 1; capacity a power of two, at least twice the names */
};

struct parser {
	const char *path;
	int line;
	FILE *err;
	struct script *s;
	bool *alive; /* per name */
	int cap_ops, cap_names;
	struct name_table names;
	char *words[MAX_WORDS];
	int nr_words;
	int par;	 /* the open par block's OP_PAR op, -1 outside one */
	int par_line;	 /* its line */
	int par_threads; /* its lines so far */
	char quoted[4][4 * QUOTE_MAX + 8]; /* q()'s results, used in turn */
	int next_quoted;
};

/* Bytes of w as printable ASCII, \xNN for the others, at most QUOTE_MAX of them then "...". */
static void quote(char *out, const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			*out++ = (char)c;
		else
			out += sprintf(out, "\\x%02x", c);
	}
	if (i < n)
		out += sprintf(out, "...");
	*out = '\0';
}

/* w, readable in a message (valid until the fourth next call). */
static const char *q(struct parser *p, const char *w)
{
	char *out = p->quoted[p->next_quoted++ % 4];

	quote(out, w, strlen(w));
	return out;
}

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->err, "%s:%d: error: ", p->path, p->line);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
	return 2;
}

static size_t name_hash(const char *w)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *w; w++)
		h = (h ^ (unsigned char)*w) * 0x100000001b3ULL;
	return (size_t)h;
}

/* The slot of w: where it is, or the empty slot where it would go. */
static int *name_slot(struct parser *p, const char *w)
{
	size_t i = name_hash(w) & p->names.mask;

	while (p->names.slot[i] >= 0 && strcmp(p->s->names[p->names.slot[i]], w))
		i = (i + 1) & p->names.mask;
	return &p->names.slot[i];
}

static int find_name(struct parser *p, const char *w)
{
	return p->names.slot ? *name_slot(p, w) : -1;
}

/* Room for one more name in the table (rehashing when half full): 0 or -ENOMEM. */
static int name_table_grow(struct parser *p)
{
	size_t cap = p->names.slot ? p->names.mask + 1 : 0;
	struct name_table old = p->names;

	if (2 * ((size_t)p->s->nr_names + 1) <= cap)
		return 0;
	cap = cap ? 2 * cap : 64;
	p->names.slot = malloc(cap * sizeof(*p->names.slot));
	if (!p->names.slot) {
		p->names = old;
		return -ENOMEM;
	}
	memset(p->names.slot, 0xff, cap * sizeof(*p->names.slot));
	p->names.mask = cap - 1;
	for (int i = 0; i < p->s->nr_names; i++)
		*name_slot(p, p->s->names[i]) = i;
	free(old.slot);
	return 0;
}

static bool valid_name(const char *w)
{
	if (!(isalpha((unsigned char)*w) || *w == '_'))
		return false;
	for (w++; *w; w++)
		if (!(isalnum((unsigned char)*w) || *w == '_'))
			return false;
	return true;
}

/*
 * Decimal, or hex after 0x / 0X: nothing but digits of the base after the prefix (so no
 * sign, space or second 0x), no overflow.
 */
static int parse_number(struct parser *p, const char *w, const char *what, unsigned long *out)
{
	const char *d = w;
	unsigned int base = 10;
	unsigned long v = 0;

	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
		base = 16;
		d += 2;
	}
	if (!*d)
		return perr(p, "bad number '%s' for %s", q(p, w), what);
	for (; *d; d++) {
		unsigned int digit;

		if (isdigit((unsigned char)*d))
			digit = *d - '0';
		else if (base == 16 && isxdigit((unsigned char)*d))
			digit = tolower((unsigned char)*d) - 'a' + 10;
		else
			return perr(p, "bad number '%s' for %s", q(p, w), what);
		if (v > (~0UL - digit) / base)
			return perr(p, "number '%s' for %s is too large", q(p, w), what);
		v = v * base + digit;
	}
	*out = v;
	return 0;
}

static int parse_addr(struct parser *p, const char *w, const char *what, unsigned long *out)
{
	int ret = parse_number(p, w, what, out);

	if (ret)
		return ret;
	if (*out & (SCRIPT_PAGE - 1))
		return perr(p, "%s %s is not page aligned", what, q(p, w));
	if (*out < ARENA_START || *out >= ARENA_END)
		return perr(p, "%s %s is outside the arena [0x%lx, 0x%lx)", what, q(p, w), ARENA_START,
			    ARENA_END);
	return 0;
}

/* A length in pages whose range from addr must end inside the arena. */
static int parse_pages(struct parser *p, const char *w, const char *what, unsigned long addr,
		       unsigned long *out)
{
	int ret = parse_number(p, w, what, out);

	if (ret)
		return ret;
	if (*out > (ARENA_END - addr) / SCRIPT_PAGE)
		return perr(p, "%s %s pages from 0x%lx reaches outside the arena", what, q(p, w),
			    addr);
	return 0;
}

static int parse_prot(struct parser *p, const char *w, int *prot)
{
	static const char letters[3] = { 'r', 'w', 'x' };

	if (strlen(w) != 3)
		return perr(p, "bad PROT '%s' (want three of r/-, w/-, x/-)", q(p, w));
	*prot = 0;
	for (int i = 0; i < 3; i++) {
		if (w[i] == letters[i])
			*prot |= 1 << i;
		else if (w[i] != '-')
			return perr(p, "bad PROT '%s' (want three of r/-, w/-, x/-)", q(p, w));
	}
	return 0;
}

static int want_words(struct parser *p, int min, int max, const char *usage)
{
	if (p->nr_words < min)
		return perr(p, "missing argument: usage: %s", usage);
	if (p->nr_words > max)
		return perr(p, "unexpected '%s': usage: %s", q(p, p->words[max]), usage);
	return 0;
}

static int new_name(struct parser *p, const char *w, int *idx)
{
	struct script *s = p->s;

	if (!valid_name(w))
		return perr(p, "bad process name '%s'", q(p, w));
	if (find_name(p, w) >= 0)
		return perr(p, "process name '%s' reused", q(p, w));
	if (s->nr_names == p->cap_names) {
		int cap = p->cap_names ? 2 * p->cap_names : 8;
		char **names = realloc(s->names, cap * sizeof(*names));
		bool *alive = realloc(p->alive, cap * sizeof(*alive));

		if (names)
			s->names = names;
		if (alive)
			p->alive = alive;
		if (!names || !alive)
			return perr(p, "out of memory");
		p->cap_names = cap;
	}
	if (name_table_grow(p))
		return perr(p, "out of memory");
	s->names[s->nr_names] = strdup(w);
	if (!s->names[s->nr_names])
		return perr(p, "out of memory");
	p->alive[s->nr_names] = true;
	*name_slot(p, w) = s->nr_names;
	*idx = s->nr_names++;
	return 0;
}

static int parse_mmap_options(struct parser *p, struct op *op, int first)
{
	static const struct {
		const char *word;
		unsigned int flag;
	} opts[] = { { "shared", OPF_SHARED }, { "populate", OPF_POPULATE },
		     { "noreserve", OPF_NORESERVE } };

	for (int i = first; i < p->nr_words; i++) {
		size_t k;

		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcmp(p->words[i], opts[k].word))
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			return perr(p, "unknown mmap option '%s' (shared, populate, noreserve)",
				    q(p, p->words[i]));
		if (op->flags & opts[k].flag)
			return perr(p, "mmap option '%s' given twice", q(p, p->words[i]));
		op->flags |= opts[k].flag;
	}
	return 0;
}

static int parse_advice(struct parser *p, const char *w, int *advice)
{
	for (const struct advice_name *a = script_advices; a->name; a++) {
		if (!strcmp(a->name, w)) {
			*advice = a->advice;
			return 0;
		}
	}
	return perr(p, "unknown advice '%s'", q(p, w));
}

/* A process command: words[0] is the process, words[1] the command. */
static int parse_proc_command(struct parser *p, struct op *op)
{
	const char *cmd = p->words[1];
	char **w = p->words;
	int ret;

	op->proc = find_name(p, w[0]);
	if (op->proc < 0)
		return perr(p, "unknown command or process '%s'", q(p, w[0]));
	if (!p->alive[op->proc])
		return perr(p, "process '%s' has exited", q(p, w[0]));
	if (p->nr_words < 2)
		return perr(p, "missing command after process '%s'", q(p, w[0]));

	if (!strcmp(cmd, "mmap")) {
		op->kind = OP_MMAP;
		if (p->nr_words < 5)
			return want_words(p, 5, 8, "P mmap ADDR N PROT [shared] [populate] [noreserve]");
		if ((ret = parse_addr(p, w[2], "address", &op->addr)) ||
		    (ret = parse_pages(p, w[3], "length", op->addr, &op->pages)) ||
		    (ret = parse_prot(p, w[4], &op->prot)))
			return ret;
		return parse_mmap_options(p, op, 5);
	}
	if (!strcmp(cmd, "munmap") || !strcmp(cmd, "read") || !strcmp(cmd, "write")) {
		bool is_write = cmd[0] == 'w';

		op->kind = cmd[0] == 'm' ? OP_MUNMAP : is_write ? OP_WRITE : OP_READ;
		if ((ret = want_words(p, 4, is_write ? 5 : 4,
				      is_write ? "P write ADDR N [V]" : "P munmap|read ADDR N")) ||
		    (ret = parse_addr(p, w[2], "address", &op->addr)) ||
		    (ret = parse_pages(p, w[3], "length", op->addr, &op->pages)))
			return ret;
		op->value = 1;
		if (is_write && p->nr_words == 5) {
			unsigned long v = 0; /* -O3 cannot see that parse_number sets it */

			if ((ret = parse_number(p, w[4], "value", &v)))
				return ret;
			if (v > 0xffffffffUL)
				return perr(p, "value %s is too large", q(p, w[4]));
			op->value = (unsigned int)v;
		}
		return 0;
	}
	if (!strcmp(cmd, "referenced") || !strcmp(cmd, "migrate")) {
		op->kind = cmd[0] == 'r' ? OP_REFERENCED : OP_MIGRATE;
		if ((ret = want_words(p, 4, 4, cmd[0] == 'r' ? "P referenced ADDR N" :
								 "P migrate ADDR N")) ||
		    (ret = parse_addr(p, w[2], "address", &op->addr)) ||
		    (ret = parse_pages(p, w[3], "length", op->addr, &op->pages)))
			return ret;
		return 0;
	}
	if (!strcmp(cmd, "mprotect")) {
		op->kind = OP_MPROTECT;
		if ((ret = want_words(p, 5, 5, "P mprotect ADDR N PROT")) ||
		    (ret = parse_addr(p, w[2], "address", &op->addr)) ||
		    (ret = parse_pages(p, w[3], "length", op->addr, &op->pages)))
			return ret;
		return parse_prot(p, w[4], &op->prot);
	}
	if (!strcmp(cmd, "mremap")) {
		op->kind = OP_MREMAP;
		if ((ret = want_words(p, 5, 7, "P mremap ADDR N NEWN [NEWADDR [dontunmap]]")) ||
		    (ret = parse_addr(p, w[2], "address", &op->addr)) ||
		    (ret = parse_pages(p, w[3], "length", op->addr, &op->pages)))
			return ret;
		if (p->nr_words == 5)
			return parse_pages(p, w[4], "new length", op->addr, &op->new_pages);
		op->flags |= OPF_NEWADDR;
		if ((ret = parse_addr(p, w[5], "new address", &op->new_addr)) ||
		    (ret = parse_pages(p, w[4], "new length", op->new_addr, &op->new_pages)))
			return ret;
		if (p->nr_words == 7) {
			if (strcmp(w[6], "dontunmap"))
				return perr(p, "unknown mremap option '%s' (dontunmap)", q(p, w[6]));
			op->flags |= OPF_DONTUNMAP;
		}
		return 0;
	}
	if (!strcmp(cmd, "madvise")) {
		op->kind = OP_MADVISE;
		if ((ret = want_words(p, 5, 5, "P madvise ADDR N ADVICE")) ||
		    (ret = parse_addr(p, w[2], "address", &op->addr)) ||
		    (ret = parse_pages(p, w[3], "length", op->addr, &op->pages)))
			return ret;
		return parse_advice(p, w[4], &op->advice);
	}
	if (!strcmp(cmd, "fork")) {
		op->kind = OP_FORK;
		if ((ret = want_words(p, 3, 3, "P fork C")))
			return ret;
		return new_name(p, w[2], &op->child);
	}
	if (!strcmp(cmd, "exit")) {
		op->kind = OP_EXIT;
		if ((ret = want_words(p, 2, 2, "P exit")))
			return ret;
		p->alive[op->proc] = false;
		return 0;
	}
	return perr(p, "unknown command '%s'", q(p, cmd));
}

static int parse_command(struct parser *p, struct op *op)
{
	const char *w0 = p->words[0];
	int ret;

	op->proc = -1;
	if (!strcmp(w0, "spawn")) {
		op->kind = OP_SPAWN;
		if ((ret = want_words(p, 2, 2, "spawn P")) || (ret = new_name(p, p->words[1], &op->child)))
			return ret;
		op->proc = op->child;
		return 0;
	}
	if (!strcmp(w0, "dump") || !strcmp(w0, "check") || !strcmp(w0, "stats")) {
		op->kind = w0[0] == 'd' ? OP_DUMP : w0[0] == 'c' ? OP_CHECK : OP_STATS;
		return want_words(p, 1, 1, w0);
	}
	if (!strcmp(w0, "memcg")) {
		unsigned long pages;

		op->kind = OP_MEMCG;
		if ((ret = want_words(p, 2, 2, "memcg N")) ||
		    (ret = parse_number(p, p->words[1], "memcg pages", &pages)))
			return ret;
		if (!pages || pages > (ARENA_END - ARENA_START) / SCRIPT_PAGE)
			return perr(p, "memcg %s: want 1 to %lu pages", q(p, p->words[1]),
				    (ARENA_END - ARENA_START) / SCRIPT_PAGE);
		if (p->s->nr_names || p->s->nr_ops)
			return perr(p, "memcg must come first, before any other command");
		op->pages = pages;
		return 0;
	}
	if (!strcmp(w0, "dot")) {
		op->kind = OP_DOT;
		if ((ret = want_words(p, 2, 2, "dot FILE")))
			return ret;
		op->path = strdup(p->words[1]);
		return op->path ? 0 : perr(p, "out of memory");
	}
	return parse_proc_command(p, op);
}

/* Split line (its comment already cut) in place into words. */
static int split_words(struct parser *p, char *line)
{
	p->nr_words = 0;
	for (char *tok = strtok(line, " \t\r\v\f"); tok; tok = strtok(NULL, " \t\r\v\f")) {
		if (p->nr_words == MAX_WORDS)
			return perr(p, "too many words on one line (at most %d)", MAX_WORDS);
		p->words[p->nr_words++] = tok;
	}
	return 0;
}

/* Appends op to the script (taking its path). */
static int add_op(struct parser *p, struct op *op)
{
	struct script *s = p->s;

	if (s->nr_ops == p->cap_ops) {
		int cap = p->cap_ops ? 2 * p->cap_ops : 64;
		struct op *ops = realloc(s->ops, cap * sizeof(*ops));

		if (!ops) {
			free(op->path);
			return perr(p, "out of memory");
		}
		s->ops = ops;
		p->cap_ops = cap;
	}
	s->ops[s->nr_ops++] = *op;
	return 0;
}

/* `par [N]`: opens a block. */
static int parse_par(struct parser *p)
{
	struct op op = { .kind = OP_PAR, .line = p->line, .proc = -1, .repeat = 1 };
	int ret;

	if ((ret = want_words(p, 1, 2, "par [N]")))
		return ret;
	if (p->nr_words == 2) {
		if ((ret = parse_number(p, p->words[1], "par count", &op.repeat)))
			return ret;
		if (!op.repeat || op.repeat > PAR_MAX_REPEAT)
			return perr(p, "par %s: want 1 to %lu", q(p, p->words[1]), PAR_MAX_REPEAT);
	}
	if (script_memcg_pages(p->s))
		return perr(p, "par cannot be used with memcg (which process the OOM killer picks "
			       "would depend on timing)");
	p->par = p->s->nr_ops;
	p->par_line = p->line;
	p->par_threads = 0;
	return add_op(p, &op);
}

/* `end`: closes the open block. */
static int parse_end(struct parser *p)
{
	int ret = want_words(p, 1, 1, "end");

	if (ret)
		return ret;
	if (!p->par_threads)
		return perr(p, "empty par block");
	p->s->ops[p->par].nr_body = p->s->nr_ops - p->par - 1;
	p->par = -1;
	return 0;
}

/* The command word of a command that cannot run in a par block, or NULL. */
static const char *par_refused_word(struct parser *p)
{
	static const char *const global[] = { "spawn", "dump", "check", "stats",
					      "dot",   "memcg", "end" };

	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		if (!strcmp(p->words[0], global[i]))
			return global[i];
	if (p->nr_words > 1 && (!strcmp(p->words[1], "fork") || !strcmp(p->words[1], "exit")))
		return p->words[1];
	return NULL;
}

/*
 * A line inside a par block: `end`, or one thread: commands of one process joined by ';'.
 * The comment is already cut.
 */
static int parse_par_line(struct parser *p, char *line)
{
	int nr = 0, proc = -1, ret;

	for (char *seg = line, *next; seg; seg = next, nr++) {
		struct op op = { .line = p->line, .thread = p->par_threads };
		const char *refused;

		next = strchr(seg, ';');
		if (next)
			*next++ = '\0';
		if ((ret = split_words(p, seg)))
			return ret;
		if (!p->nr_words && !nr && !next)
			return 0; /* blank */
		if (!p->nr_words)
			return perr(p, "empty command before or after ';'");
		if (!nr && !next && !strcmp(p->words[0], "end"))
			return parse_end(p);
		if (!strcmp(p->words[0], "par"))
			return perr(p, "par blocks do not nest");
		refused = par_refused_word(p);
		if (refused)
			return perr(p, "'%s' cannot be in a par block (its lines are threads running "
				       "mmap, munmap, mprotect, mremap, madvise, write, read, referenced "
				       "or migrate commands of one process)", q(p, refused));
		if (!nr && p->par_threads == PAR_MAX_THREADS)
			return perr(p, "more than %d lines in a par block", PAR_MAX_THREADS);
		if ((ret = parse_proc_command(p, &op)))
			return ret;
		if (nr && op.proc != proc)
			return perr(p, "one par line is one thread of one process: '%s' after '%s'",
				    q(p, p->s->names[op.proc]), q(p, p->s->names[proc]));
		proc = op.proc;
		if ((ret = add_op(p, &op)))
			return ret;
	}
	p->par_threads++;
	return 0;
}

/* One line (NUL-terminated in place, len bytes before the terminator): parsed into s. */
static int parse_line(struct parser *p, char *line, size_t len)
{
	struct op op = { 0 };
	const char *nul = memchr(line, '\0', len);
	char *hash = strchr(line, '#');
	int ret;

	if (nul)
		return perr(p, "NUL byte in column %zu (not a text file)", (size_t)(nul - line) + 1);
	if (len > SCRIPT_MAX_LINE)
		return perr(p, "line longer than %d bytes", SCRIPT_MAX_LINE);
	if (hash)
		*hash = '\0';
	if (p->par >= 0)
		return parse_par_line(p, line);
	if (strchr(line, ';'))
		return perr(p, "';' joins the commands of one thread, in a par block only");
	if ((ret = split_words(p, line)) || !p->nr_words)
		return ret;
	if (!strcmp(p->words[0], "par"))
		return parse_par(p);
	if (!strcmp(p->words[0], "end"))
		return perr(p, "'end' without 'par'");
	op.line = p->line;
	if ((ret = parse_command(p, &op))) {
		free(op.path);
		return ret;
	}
	return add_op(p, &op);
}

int script_parse_buf(const char *path, const char *buf, size_t len, struct script *s, FILE *err)
{
	struct parser p = { .path = path, .err = err, .s = s, .par = -1 };
	char *copy, *line, *end;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (len > SCRIPT_MAX_BYTES) {
		fprintf(err, "%s: error: larger than %d bytes (the limit of a script)\n", path,
			SCRIPT_MAX_BYTES);
		return 2;
	}
	s->path = strdup(path);
	copy = malloc(len + 1);
	if (!copy || !s->path) {
		free(copy);
		free(s->path);
		s->path = NULL;
		fprintf(err, "%s: error: out of memory\n", path);
		return 2;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (line = copy; line < copy + len && !ret; line = end + 1) {
		end = memchr(line, '\n', copy + len - line);
		if (!end)
			end = copy + len;
		*end = '\0';
		p.line++;
		ret = parse_line(&p, line, end - line);
	}
	if (!ret && p.par >= 0) {
		p.line = p.par_line;
		ret = perr(&p, "par without 'end'");
	}
	free(copy);
	free(p.alive);
	free(p.names.slot);
	if (ret)
		script_free(s);
	return ret;
}

int script_parse_text(const char *path, const char *text, struct script *s, FILE *err)
{
	return script_parse_buf(path, text, strlen(text), s, err);
}

/*
 * All of fd, at most SCRIPT_MAX_BYTES + 1 bytes (one more says it is too large): 0 with *bufp
 * (caller frees) and *lenp, or a positive errno.
 */
static int read_limited(int fd, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			char *b;

			if (cap == SCRIPT_MAX_BYTES + 1UL)
				break;
			cap = cap ? 2 * cap : 65536;
			if (cap > SCRIPT_MAX_BYTES + 1UL)
				cap = SCRIPT_MAX_BYTES + 1UL;
			b = realloc(buf, cap);
			if (!b) {
				free(buf);
				return ENOMEM;
			}
			buf = b;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break;
		len += n;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int script_parse_file(const char *path, struct script *s, FILE *err)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int e, ret;

	memset(s, 0, sizeof(*s));
	if (fd < 0) {
		fprintf(err, "%s: error: cannot open: %s\n", name, strerror(errno));
		return 2;
	}
	if (!fstat(fd, &st) && S_ISDIR(st.st_mode))
		e = EISDIR;
	else
		e = read_limited(fd, &buf, &len);
	if (!is_stdin)
		close(fd);
	if (e) {
		fprintf(err, "%s: error: cannot read: %s\n", name, strerror(e));
		return 2;
	}
	ret = script_parse_buf(name, buf, len, s, err);
	free(buf);
	return ret;
}

void script_free(struct script *s)
{
	for (int i = 0; i < s->nr_names; i++)
		free(s->names[i]);
	for (int i = 0; i < s->nr_ops; i++)
		free(s->ops[i].path);
	free(s->names);
	free(s->ops);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

bool script_needs_pages(const struct script *s)
{
	for (int i = 0; i < s->nr_ops; i++) {
		const struct op *op = &s->ops[i];

		if (op->kind == OP_WRITE || op->kind == OP_READ ||
		    (op->kind == OP_MMAP && (op->flags & OPF_POPULATE)))
			return true;
	}
	return false;
}

const char *advice_word(int advice)
{
	for (const struct advice_name *a = script_advices; a->name; a++)
		if (a->advice == advice)
			return a->name;
	return "?";
}

static void print_prot(FILE *out, int prot)
{
	fprintf(out, " %c%c%c", prot & 1 ? 'r' : '-', prot & 2 ? 'w' : '-', prot & 4 ? 'x' : '-');
}

/* One command, without its newline. */
static void print_op(const struct script *s, const struct op *op, FILE *out)
{
	switch (op->kind) {
	case OP_SPAWN:
		fprintf(out, "spawn %s", s->names[op->child]);
		return;
	case OP_DUMP:
	case OP_CHECK:
	case OP_STATS:
		fputs(op_name(op->kind), out);
		return;
	case OP_DOT:
		fprintf(out, "dot %s", op->path);
		return;
	case OP_MEMCG:
		fprintf(out, "memcg %lu", op->pages);
		return;
	case OP_PAR:
		fprintf(out, "par %lu", op->repeat);
		return;
	default:
		break;
	}
	fprintf(out, "%s %s", s->names[op->proc], op_name(op->kind));
	switch (op->kind) {
	case OP_MMAP:
		fprintf(out, " 0x%lx %lu", op->addr, op->pages);
		print_prot(out, op->prot);
		if (op->flags & OPF_SHARED)
			fputs(" shared", out);
		if (op->flags & OPF_POPULATE)
			fputs(" populate", out);
		if (op->flags & OPF_NORESERVE)
			fputs(" noreserve", out);
		break;
	case OP_MUNMAP:
	case OP_READ:
	case OP_REFERENCED:
	case OP_MIGRATE:
		fprintf(out, " 0x%lx %lu", op->addr, op->pages);
		break;
	case OP_WRITE:
		fprintf(out, " 0x%lx %lu %u", op->addr, op->pages, op->value);
		break;
	case OP_MPROTECT:
		fprintf(out, " 0x%lx %lu", op->addr, op->pages);
		print_prot(out, op->prot);
		break;
	case OP_MREMAP:
		fprintf(out, " 0x%lx %lu %lu", op->addr, op->pages, op->new_pages);
		if (op->flags & OPF_NEWADDR)
			fprintf(out, " 0x%lx", op->new_addr);
		if (op->flags & OPF_DONTUNMAP)
			fputs(" dontunmap", out);
		break;
	case OP_MADVISE:
		fprintf(out, " 0x%lx %lu %s", op->addr, op->pages, advice_word(op->advice));
		break;
	case OP_FORK:
		fprintf(out, " %s", s->names[op->child]);
		break;
	default:
		break;
	}
}

int par_thread_len(const struct script *s, int par, int first)
{
	int end = par + 1 + s->ops[par].nr_body, n = 0;

	while (first + n < end && s->ops[first + n].thread == s->ops[first].thread)
		n++;
	return n;
}

void script_print(const struct script *s, FILE *out)
{
	for (int i = 0; i < s->nr_ops; i++) {
		print_op(s, &s->ops[i], out);
		fputc('\n', out);
		if (s->ops[i].kind != OP_PAR)
			continue;
		/* the block: one line per thread, its commands joined by " ; " */
		for (int t = i + 1, n; (n = par_thread_len(s, i, t)); t += n) {
			for (int j = t; j < t + n; j++) {
				fputs(j > t ? " ; " : "", out);
				print_op(s, &s->ops[j], out);
			}
			fputc('\n', out);
		}
		fputs("end\n", out);
		i += s->ops[i].nr_body;
	}
}

unsigned long script_memcg_pages(const struct script *s)
{
	return s->nr_ops && s->ops[0].kind == OP_MEMCG ? s->ops[0].pages : 0;
}
