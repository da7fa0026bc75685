#!/bin/sh
# The anonvm command's contract: --help and --version, exit 2 and FILE:LINE: error for
# malformed scripts and bad usage, model-only commands accepted, '-' for standard input and
# output, the '# FILE' header of several scripts, TAP from the runners. Prints TAP.
anonvm=$1
case $anonvm in /*) ;; *) anonvm=$PWD/$anonvm ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
check() { # check NAME EXPECTED_STATUS PATTERN -- command... (PATTERN "": any output)
	name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	got=$?
	n=$((n + 1))
	if [ "$got" != "$want" ] || { [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/out"; }; then
		echo "not ok $n - $name: status $got (want $want), output:"
		sed 's/^/# /' "$tmp/out"
		fail=1
	else
		echo "ok $n - $name"
	fi
}
check help 0 "usage: anonvm" -- "$anonvm" --help
for c in run diff fuzz inject version; do
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
echo "1..$n"
exit $fail
