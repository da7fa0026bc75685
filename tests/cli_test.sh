#!/bin/sh
# The anonvm command's contract: --help and --version, exit 2 and FILE:LINE: error for
# malformed scripts and bad usage, model-only commands accepted, '-' for standard input and
# output, the '# FILE' header of several scripts, TAP from the runners. Prints TAP.
anonvm=$1
case $anonvm in /*) ;; *) anonvm=$PWD/$anonvm ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
. "$(dirname "$0")/check.sh"
check help 0 "usage: anonvm" -- "$anonvm" --help
for c in run diff fuzz inject dot version; do
	check "$c --help" 0 "usage: anonvm $c" -- "$anonvm" "$c" --help
done
check "--version" 0 "^anonvm [0-9][0-9.]*$" -- "$anonvm" --version
check "version" 0 "^anonvm [0-9][0-9.]*$" -- "$anonvm" version
check "no command" 2 "usage" -- "$anonvm"
check "unknown command" 2 "unknown command" -- "$anonvm" frobnicate
check "run without file" 2 "usage" -- "$anonvm" run
check "missing file" 2 "error:" -- "$anonvm" run "$tmp/none.avs"
check "fuzz bad count" 2 "bad number" -- "$anonvm" fuzz --count x
printf 'spawn P\nP mmap 0x100000000000 1 rw-\nP mprotect 0x100000000000 1 rwq\n' >"$tmp/bad.avs"
check "parse error" 2 "bad.avs:3: error: bad PROT 'rwq'" -- "$anonvm" run "$tmp/bad.avs"
printf 'spawn P\nP mmap 0x100000000000 2 rw- noreserve\nstats\ncheck\ndot %s/g.dot\ndump\n' \
	"$tmp" >"$tmp/ok.avs"
check "model-only commands" 0 "P vma 100000000000-100000002000 rw-p" -- "$anonvm" run "$tmp/ok.avs"
check "dot written" 0 "digraph" -- cat "$tmp/g.dot"
printf 'spawn P\nP mmap 0x100000000000 1 rw- noreserve\ndump\n' >"$tmp/exp.avs"
printf '== dump 3\nP vma 100000000000-100000002000 rw-p\n' >"$tmp/exp.expected"
check "expect mismatch" 1 "^+P vma 100000000000-100000001000 rw-p" -- \
	"$anonvm" run --expect "$tmp/exp.expected" "$tmp/exp.avs"

# '-': dot to standard output, in its place in the output; --expect from standard input.
printf 'spawn P\nP mmap 0x100000000000 1 rw- noreserve\ndot -\ndump\n' >"$tmp/dot.avs"
(cd "$tmp" && "$anonvm" run dot.avs >dot.out 2>&1)
check "dot - before the dump" 0 "^}$" -- sh -c "sed -n '/^}/,\$p' '$tmp/dot.out' | grep -q '^== dump 4' && cat '$tmp/dot.out'"
check "dot - leaves no file" 1 "" -- test -e "$tmp/-"
printf '== dump 3\nP vma 100000000000-100000001000 rw-p\n' >"$tmp/exp.expected"
check "expect from stdin" 0 "" -- sh -c "'$anonvm' run --expect - '$tmp/exp.avs' <'$tmp/exp.expected'"
check "expect from stdin differs" 1 "^+P vma 100000000000-100000001000 rw-p" -- \
	sh -c "echo '== dump 3' | '$anonvm' run --expect - '$tmp/exp.avs'"

# Several scripts: a model-only '# FILE' line before each, which comparisons ignore.
check "# FILE headers" 0 "^# $tmp/exp.avs$" -- "$anonvm" run "$tmp/ok.avs" "$tmp/exp.avs"
check "one header per script" 0 "^2$" -- sh -c "'$anonvm' run '$tmp/ok.avs' '$tmp/exp.avs' | grep -c '^# $tmp/'"
"$anonvm" run "$tmp/ok.avs" "$tmp/exp.avs" | sed -n '/^# .*exp.avs$/,$p' >"$tmp/two.expected"
check "comparison ignores # FILE" 0 "" -- "$anonvm" run --expect "$tmp/two.expected" "$tmp/exp.avs"

# TAP from the runners: a plan, then one test point per script.
check "run --tap plan" 0 "^1\.\.2$" -- "$anonvm" run --tap "$tmp/ok.avs" "$tmp/exp.avs"
check "run --tap ok" 0 "^ok 2 - $tmp/exp.avs$" -- "$anonvm" run --tap "$tmp/ok.avs" "$tmp/exp.avs"
check "run --tap not ok" 2 "^not ok 2 - $tmp/bad.avs" -- "$anonvm" run --tap "$tmp/ok.avs" "$tmp/bad.avs"
check "run --tap diagnostics" 2 "^# .*bad.avs:3: error" -- "$anonvm" run --tap "$tmp/bad.avs"
check "run --tap --expect" 1 "^# +P vma 100000000000-100000001000 rw-p" -- \
	sh -c "echo '== dump 3' | '$anonvm' run --tap --expect - '$tmp/exp.avs'"
check "inject --tap" 0 "^ok 1 - $tmp/exp.avs ([0-9]* runs)$" -- "$anonvm" inject --tap "$tmp/exp.avs"
check "inject --tap plan" 0 "^1\.\.1$" -- "$anonvm" inject --tap "$tmp/exp.avs"
check "fuzz --out -" 0 "no failure" -- "$anonvm" fuzz --count 3 --out - --quiet

# the rmap designs: selection, errors, the walk command, pictures
printf 'spawn P\nP mmap 0x100000000000 2 rw- noreserve\nP write 0x100000000000 2\nP fork C\nC write 0x100000000000 1\nP referenced 0x100000000000 2\nC referenced 0x100000000000 1\nP referenced 0x100000008000 1\n' >"$tmp/walk.avs"
for d in linux noreuse nointerval legacy; do
	check "run --design $d" 0 "# P referenced 100000001000 young=1 vmas=2 ptes=2" -- \
		"$anonvm" run --design "$d" "$tmp/walk.avs"
done
check "referenced: no page" 0 "# P referenced 100000008000 none" -- "$anonvm" run "$tmp/walk.avs"
check "referenced: a copy, chain" 0 "# C referenced 100000000000 young=1 vmas=1 ptes=1" -- \
	"$anonvm" run --design linux "$tmp/walk.avs"
check "referenced: a copy, legacy" 0 "# C referenced 100000000000 young=1 vmas=2 ptes=2" -- \
	"$anonvm" run --design legacy "$tmp/walk.avs"
check "unknown design" 2 "unknown design 'nope' (linux, noreuse, nointerval, legacy)" -- \
	"$anonvm" run --design nope "$tmp/walk.avs"
check "inject unknown design" 2 "unknown design" -- "$anonvm" inject --design x "$tmp/walk.avs"
check "fuzz --kernel --design" 2 "one or the other" -- "$anonvm" fuzz --kernel --design legacy
check "dot to stdout" 0 'label="C"' -- "$anonvm" dot --design legacy "$tmp/walk.avs"
check "dot legacy list" 0 'label="list"' -- "$anonvm" dot --design legacy "$tmp/walk.avs"
check "dot linux avc" 0 'label="avc"' -- "$anonvm" dot "$tmp/walk.avs"
check "dot file" 0 "drawn" -- sh -c '"$1" dot -o "$2" "$3" && echo drawn' _ "$anonvm" "$tmp/w.dot" "$tmp/walk.avs"
check "dot file written" 0 "anonvm: the linux reverse map" -- cat "$tmp/w.dot"
check "dot bad output" 2 "cannot write" -- "$anonvm" dot -o "$tmp/no/such/dir.dot" "$tmp/walk.avs"
if command -v dot >/dev/null 2>&1; then
	check "dot png" 0 "drawn" -- sh -c '"$1" dot --design nointerval -o "$2" "$3" && echo drawn' \
		_ "$anonvm" "$tmp/w.png" "$tmp/walk.avs"
	check "dot png written" 0 "PNG" -- head -c 8 "$tmp/w.png"
fi
# par blocks: parse errors, the `!!` lines in line order, model-only lines kept per line
printf 'spawn P\npar\nP fork C\nend\n' >"$tmp/par-fork.avs"
check "par: fork refused" 2 "par-fork.avs:3: error: 'fork' cannot be in a par block" -- \
	"$anonvm" run "$tmp/par-fork.avs"
printf 'spawn P\npar 3\nP read 0x100000000000 1\n' >"$tmp/par-open.avs"
check "par: no end" 2 "par-open.avs:2: error: par without 'end'" -- "$anonvm" run "$tmp/par-open.avs"
check "par: in run --help" 0 "par \[N\]" -- "$anonvm" run --help
printf 'spawn P\nP mmap 0x100000000000 4 rw-\npar 20\nP write 0x100000000000 2 1 ; P write 0x100000008000 1\nP mprotect 0x100000010000 1 r--\nP write 0x100000002000 2 3 ; P referenced 0x100000002000 1\nend\ndump\n' >"$tmp/par.avs"
printf '!! 4 P write: SIGSEGV 100000008000\n!! 5 P mprotect: ENOMEM\n' >"$tmp/par.want"
check "par: !! lines in line order" 0 "drawn" -- sh -c \
	'"$1" run "$2" | grep "^!!" | cmp - "$3" && echo drawn' _ "$anonvm" "$tmp/par.avs" "$tmp/par.want"
check "par: a line's model-only lines" 0 "# P referenced 100000002000 young=1" -- \
	"$anonvm" run "$tmp/par.avs"
check "par: the dump after it" 0 "P page 100000003000 anon map=1 share=P@100000003000 sum=cfd41dc5" -- \
	"$anonvm" run "$tmp/par.avs"
plan
exit $fail
