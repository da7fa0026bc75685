// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_script.c: the .avs parser (cli/script.c) and the canonical printer (cli/canon.c):
 * every kind of malformed line gives `PATH:LINE: error: ...` and status 2; well-formed
 * scripts give the ops docs/language.md defines; the dump is printed in the canonical form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "canon.h"
#include "script.h"

/* Parses text; returns the status and leaves the error message in msg. */
static int parse(const char *text, struct script *s, char *msg, size_t size)
{
	FILE *err = fmemopen(msg, size, "w");
	int ret;

	assert_non_null(err);
	ret = script_parse_text("t.avs", text, s, err);
	fclose(err);
	return ret;
}

static void expect_error(const char *text, const char *want)
{
	char msg[512] = "";
	struct script s;

	assert_int_equal(parse(text, &s, msg, sizeof(msg)), 2);
	if (!strstr(msg, want))
		fail_msg("for %s: got '%s', want '%s'", text, msg, want);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("frob\n", "t.avs:1: error: unknown command or process 'frob'");
	expect_error("spawn P\nP frob\n", "t.avs:2: error: unknown command 'frob'");
	expect_error("spawn P\nP mmap 0x10000000000g 1 rw-\n", "t.avs:2: error: bad number");
	expect_error("spawn P\nP mmap 12x 1 rw-\n", "bad number '12x'");
	expect_error("spawn P\nP mmap 0x100000000001 1 rw-\n", "not page aligned");
	expect_error("spawn P\nP mmap 0x1000 1 rw-\n", "outside the arena");
	expect_error("spawn P\nP mmap 0x200000000000 1 rw-\n", "outside the arena");
	expect_error("spawn P\nP mmap 0x1ffffffff000 2 rw-\n", "reaches outside the arena");
	expect_error("spawn P\nQ mmap 0x100000000000 1 rw-\n", "unknown command or process 'Q'");
	expect_error("spawn P\nspawn P\n", "t.avs:2: error: process name 'P' reused");
	expect_error("spawn P\nP fork P\n", "process name 'P' reused");
	expect_error("spawn P\nP exit\nspawn P\n", "reused");
	expect_error("spawn P\nP exit\nP read 0x100000000000 1\n", "process 'P' has exited");
	expect_error("spawn P\nP mmap 0x100000000000 1 rwz\n", "bad PROT 'rwz'");
	expect_error("spawn P\nP mmap 0x100000000000 1 wr-\n", "bad PROT 'wr-'");
	expect_error("spawn P\nP mmap 0x100000000000 1 rw\n", "bad PROT");
	expect_error("spawn P\nP mmap 0x100000000000 1\n", "missing argument");
	expect_error("spawn P\nP mmap 0x100000000000 1 rw- bogus\n", "unknown mmap option 'bogus'");
	expect_error("spawn P\nP mmap 0x100000000000 1 rw- shared shared\n", "given twice");
	expect_error("spawn P\nP munmap 0x100000000000 1 2\n", "unexpected '2'");
	expect_error("spawn P\nP madvise 0x100000000000 1 frob\n", "unknown advice 'frob'");
	expect_error("spawn P\nP mremap 0x100000000000 1 2 0x100000001000 keep\n",
		     "unknown mremap option 'keep'");
	expect_error("spawn 1P\n", "bad process name '1P'");
	expect_error("spawn P\nP write 0x100000000000 1 0x100000000\n", "too large");
	expect_error("spawn P\nP\n", "missing command after process 'P'");
	expect_error("dot\n", "missing argument");
	expect_error("dump now\n", "unexpected 'now'");
	expect_error("spawn P\nmemcg 16\n", "memcg must come first");
	expect_error("memcg 0\n", "memcg 0: want 1 to");
	expect_error("memcg\n", "missing argument");
	/* numbers: one prefix, digits only, no overflow */
	expect_error("spawn P\nP mmap 0x0x100000000000 1 rw-\n", "bad number '0x0x100000000000'");
	expect_error("spawn P\nP mmap 0x 1 rw-\n", "bad number '0x'");
	expect_error("spawn P\nP mmap +0x100000000000 1 rw-\n", "bad number");
	expect_error("spawn P\nP mmap 0x100000000000 -1 rw-\n", "bad number '-1'");
	expect_error("spawn P\nP mmap 0x100000000000 99999999999999999999 rw-\n", "too large");
	/* quoted words: control bytes escaped, long words cut */
	expect_error("spawn P\nP fr\x1b[31mob\n", "unknown command 'fr\\x1b[31mob'");
	expect_error("spawn P\nP mmap 0x100000000000 1 r\xffw\n", "bad PROT 'r\\xffw'");
	expect_error("spawn P\nP madvise 0x100000000000 1 "
		     "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\n",
		     "unknown advice 'abcdefghijabcdefghijabcdefghijabcdefghij...'\n");
}

/* par blocks: what a block may hold, and how it is closed. */
static void test_par_errors(void **state)
{
	char text[8192];
	size_t len;

	(void)state;
	expect_error("spawn P\npar\nP fork C\nend\n",
		     "t.avs:3: error: 'fork' cannot be in a par block");
	expect_error("spawn P\npar\nP exit\nend\n", "'exit' cannot be in a par block");
	expect_error("spawn P\npar\nspawn Q\nend\n", "'spawn' cannot be in a par block");
	expect_error("spawn P\npar\ndump\nend\n", "'dump' cannot be in a par block");
	expect_error("spawn P\npar\ncheck\nend\n", "'check' cannot be in a par block");
	expect_error("spawn P\npar\ndot g.dot\nend\n", "'dot' cannot be in a par block");
	expect_error("spawn P\npar\npar\nend\nend\n", "t.avs:3: error: par blocks do not nest");
	expect_error("spawn P\npar\nend\n", "t.avs:3: error: empty par block");
	expect_error("spawn P\npar\n# only a comment\n\nend\n", "t.avs:5: error: empty par block");
	expect_error("spawn P\nend\n", "t.avs:2: error: 'end' without 'par'");
	expect_error("spawn P\npar 2\nP read 0x100000000000 1\n\n",
		     "t.avs:2: error: par without 'end'");
	expect_error("spawn P\npar 0\n", "par 0: want 1 to 1000000");
	expect_error("spawn P\npar 1000001\n", "par 1000001: want 1 to");
	expect_error("spawn P\npar x\n", "bad number 'x' for par count");
	expect_error("spawn P\npar 1 2\n", "unexpected '2': usage: par [N]");
	expect_error("spawn P\npar\nP read 0x100000000000 1\nend now\n",
		     "unexpected 'now': usage: end");
	expect_error("memcg 64\nspawn P\npar\n", "t.avs:3: error: par cannot be used with memcg");
	/* ';' joins the commands of one thread, of one process, in a block only */
	expect_error("spawn P\nP read 0x100000000000 1 ; P read 0x100000000000 1\n",
		     "t.avs:2: error: ';' joins the commands of one thread, in a par block only");
	expect_error("spawn P\nspawn Q\npar\nP read 0x100000000000 1 ; Q read 0x100000000000 1\n",
		     "t.avs:4: error: one par line is one thread of one process: 'Q' after 'P'");
	expect_error("spawn P\npar\nP read 0x100000000000 1 ;\nend\n",
		     "empty command before or after ';'");
	expect_error("spawn P\npar\n; P read 0x100000000000 1\nend\n",
		     "empty command before or after ';'");
	expect_error("spawn P\npar\nP read 0x100000000000 1 ; P frob\nend\n",
		     "t.avs:3: error: unknown command 'frob'");
	expect_error("spawn P\nP exit\npar\nP read 0x100000000000 1\nend\n",
		     "process 'P' has exited");
	/* at most PAR_MAX_THREADS lines */
	len = (size_t)sprintf(text, "spawn P\npar\n");
	for (int i = 0; i <= PAR_MAX_THREADS; i++)
		len += (size_t)sprintf(text + len, "P read 0x100000000000 1\n");
	sprintf(text + len, "end\n");
	expect_error(text, "t.avs:67: error: more than 64 lines in a par block");
}

/* A par block's ops: OP_PAR, then the commands of each line with its thread number. */
static void test_par_ops(void **state)
{
	char msg[512] = "";
	struct script s;
	const char *text = "spawn P\nP fork C\npar 7   # seven times\n"
			   "P write 0x100000000000 2 3 ; P madvise 0x100000000000 2 dontneed\n"
			   "\n# a comment\n"
			   "C read 0x100000000000 1 # ; not a separator\n"
			   "P migrate 0x100000000000 1;P referenced 0x100000000000 1;"
			   "P read 0x100000000000 1\n"
			   "end\ndump\n";

	(void)state;
	assert_int_equal(parse(text, &s, msg, sizeof(msg)), 0);
	assert_int_equal(s.nr_ops, 10);
	assert_int_equal(s.ops[2].kind, OP_PAR);
	assert_int_equal(s.ops[2].line, 3);
	assert_int_equal(s.ops[2].repeat, 7);
	assert_int_equal(s.ops[2].nr_body, 6);
	assert_int_equal(s.ops[3].kind, OP_WRITE);
	assert_int_equal(s.ops[3].thread, 0);
	assert_int_equal(s.ops[4].kind, OP_MADVISE);
	assert_int_equal(s.ops[4].thread, 0);
	assert_int_equal(s.ops[4].line, 4);
	assert_int_equal(s.ops[5].kind, OP_READ);
	assert_int_equal(s.ops[5].proc, 1);
	assert_int_equal(s.ops[5].thread, 1);
	assert_int_equal(s.ops[5].line, 7);
	assert_int_equal(s.ops[6].kind, OP_MIGRATE);
	assert_int_equal(s.ops[8].thread, 2);
	assert_int_equal(s.ops[9].kind, OP_DUMP);
	assert_int_equal(par_thread_len(&s, 2, 3), 2);
	assert_int_equal(par_thread_len(&s, 2, 5), 1);
	assert_int_equal(par_thread_len(&s, 2, 6), 3);
	assert_int_equal(par_thread_len(&s, 2, 9), 0);
	assert_true(script_needs_pages(&s));
	script_free(&s);
}

/* Bytes that are not text, lines and files too long. */
static void test_limits(void **state)
{
	char msg[512] = "", *line;
	struct script s;
	FILE *err;

	err = fmemopen(msg, sizeof(msg), "w");
	assert_int_equal(script_parse_buf("t.avs", "spawn P\ndu\0mp\n", 13, &s, err), 2);
	fclose(err);
	assert_non_null(strstr(msg, "t.avs:2: error: NUL byte in column 3"));

	line = malloc(SCRIPT_MAX_LINE + 16);
	assert_non_null(line);
	memset(line, 'A', SCRIPT_MAX_LINE + 15);
	line[SCRIPT_MAX_LINE + 15] = '\0';
	memcpy(line, "spawn ", 6);
	expect_error(line, "t.avs:1: error: line longer than");
	free(line);

	err = fmemopen(msg, sizeof(msg), "w");
	assert_int_equal(script_parse_buf("t.avs", "", SCRIPT_MAX_BYTES + 1UL, &s, err), 2);
	fclose(err);
	assert_non_null(strstr(msg, "t.avs: error: larger than"));

	err = fmemopen(msg, sizeof(msg), "w");
	assert_int_equal(script_parse_file("/", &s, err), 2);
	fclose(err);
	assert_non_null(strstr(msg, "/: error: cannot read: Is a directory"));
}

/* Many names: each found again (the hash table), and a reuse still caught. */
static void test_many_names(void **state)
{
	size_t n = 20000, len = 0;
	char *text = malloc(n * 40), msg[512] = "";
	struct script s;

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += sprintf(text + len, "spawn P%zu\n", i);
	for (size_t i = 0; i < n; i += 97)
		len += sprintf(text + len, "P%zu exit\n", i);
	assert_int_equal(parse(text, &s, msg, sizeof(msg)), 0);
	assert_int_equal(s.nr_names, (int)n);
	assert_int_equal(s.ops[n].proc, 0);
	assert_int_equal(s.ops[n + 1].proc, 97);
	script_free(&s);
	sprintf(text + len, "spawn P%zu\n", n / 2);
	assert_int_equal(parse(text, &s, msg, sizeof(msg)), 2);
	assert_non_null(strstr(msg, "reused"));
	free(text);
}

static void test_ops(void **state)
{
	char msg[512] = "";
	struct script s;
	const char *text = "# comment\n\nspawn P0   # trailing\n"
			   "P0 mmap 0x100000000000 16 rw- noreserve populate\n"
			   "P0 mmap 0x100000010000 1 r-x shared\n"
			   "P0 write 0x100000000000 4 7\n"
			   "P0 fork C\n"
			   "C mremap 0x100000000000 2 4 0x100000100000 dontunmap\n"
			   "C madvise 0x100000000000 2 wipeonfork\n"
			   "P0 exit\ndump\ncheck\n";

	(void)state;
	assert_int_equal(parse(text, &s, msg, sizeof(msg)), 0);
	assert_int_equal(s.nr_ops, 10);
	assert_int_equal(s.nr_names, 2);
	assert_int_equal(s.ops[0].kind, OP_SPAWN);
	assert_int_equal(s.ops[0].line, 3);
	assert_int_equal(s.ops[1].kind, OP_MMAP);
	assert_int_equal(s.ops[1].addr, 0x100000000000UL);
	assert_int_equal(s.ops[1].pages, 16);
	assert_int_equal(s.ops[1].prot, 3);
	assert_int_equal(s.ops[1].flags, OPF_NORESERVE | OPF_POPULATE);
	assert_int_equal(s.ops[2].prot, 5);
	assert_int_equal(s.ops[2].flags, OPF_SHARED);
	assert_int_equal(s.ops[3].value, 7);
	assert_int_equal(s.ops[4].kind, OP_FORK);
	assert_int_equal(s.ops[4].child, 1);
	assert_int_equal(s.ops[5].flags, OPF_NEWADDR | OPF_DONTUNMAP);
	assert_int_equal(s.ops[5].new_addr, 0x100000100000UL);
	assert_int_equal(s.ops[5].new_pages, 4);
	assert_int_equal(s.ops[6].advice, 18);
	assert_int_equal(s.ops[7].kind, OP_EXIT);
	assert_int_equal(s.ops[8].proc, -1);
	assert_true(script_needs_pages(&s));
	script_free(&s);
}

/* script_print writes what parses back to the same ops. */
static void test_print_roundtrip(void **state)
{
	const char *text = "spawn A\nA mmap 0x100000000000 3 --- shared noreserve\n"
			   "A mremap 0x100000000000 3 1\nA madvise 0x100000000000 1 dontneed\n"
			   "A write 0x100000000000 1 255\nA fork B\n"
			   "par 3\nA write 0x100000000000 1 9 ; A mprotect 0x100000000000 1 r--\n"
			   "B read 0x100000000000 1\nA read 0x100000000000 1\nend\n"
			   "par\nB migrate 0x100000000000 1\nend\n"
			   "B read 0x100000000000 1\nB exit\ndump\n";
	char msg[512], *out = NULL;
	size_t len;
	struct script s, t;
	FILE *f;

	(void)state;
	assert_int_equal(parse(text, &s, msg, sizeof(msg)), 0);
	f = open_memstream(&out, &len);
	script_print(&s, f);
	fclose(f);
	assert_int_equal(parse(out, &t, msg, sizeof(msg)), 0);
	assert_int_equal(s.nr_ops, t.nr_ops);
	for (int i = 0; i < s.nr_ops; i++) {
		assert_int_equal(s.ops[i].kind, t.ops[i].kind);
		assert_int_equal(s.ops[i].addr, t.ops[i].addr);
		assert_int_equal(s.ops[i].pages, t.ops[i].pages);
		assert_int_equal(s.ops[i].flags, t.ops[i].flags);
		assert_int_equal(s.ops[i].prot, t.ops[i].prot);
		assert_int_equal(s.ops[i].value, t.ops[i].value);
		assert_int_equal(s.ops[i].proc, t.ops[i].proc);
		assert_int_equal(s.ops[i].nr_body, t.ops[i].nr_body);
		assert_int_equal(s.ops[i].thread, t.ops[i].thread);
		assert_int_equal(s.ops[i].repeat, t.ops[i].repeat);
	}
	free(out);
	script_free(&s);
	script_free(&t);
}

static void test_canon_dump(void **state)
{
	struct canon_proc p[2] = { { .name = "b" }, { .name = "a" } };
	struct canon_page pg = { .addr = 0x100000001000UL, .kind = CP_ANON, .frame = 7,
				 .mapcount = 2, .sum = 0xdeadbeef };
	char *out = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(canon_add_vma(&p[0], 0x100000000000UL, 0x100000002000UL, "rw-p"), 0);
	assert_int_equal(canon_add_page(&p[0], &pg), 0);
	pg.addr = 0x100000000000UL;
	pg.kind = CP_ZERO;
	assert_int_equal(canon_add_page(&p[0], &pg), 0);
	pg.addr = 0x100000005000UL;
	pg.kind = CP_ANON;
	assert_int_equal(canon_add_page(&p[1], &pg), 0);
	f = open_memstream(&out, &len);
	canon_print_dump(f, 9, p, 2);
	canon_print_error(f, 3, "a", "mprotect", 12);
	canon_print_signal(f, 4, "b", "write", "SIGSEGV", 0x100000003000UL);
	fclose(f);
	assert_string_equal(out, "== dump 9\n"
				 "a page 100000005000 anon map=2 share=a@100000005000 sum=deadbeef\n"
				 "b vma 100000000000-100000002000 rw-p\n"
				 "b page 100000000000 zero\n"
				 "b page 100000001000 anon map=2 share=a@100000005000 sum=deadbeef\n"
				 "!! 3 a mprotect: ENOMEM\n"
				 "!! 4 b write: SIGSEGV 100000003000\n");
	free(out);
	canon_proc_free(&p[0]);
	canon_proc_free(&p[1]);
}

static void test_fnv(void **state)
{
	(void)state;
	assert_int_equal(fnv1a32("", 0), 0x811c9dc5u);
	assert_int_equal(fnv1a32("a", 1), 0xe40c292cu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_par_errors),
		cmocka_unit_test(test_par_ops),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_canon_dump),
		cmocka_unit_test(test_fnv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
