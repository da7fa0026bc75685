#!/bin/sh
# The anonvm command's contract: --help on every subcommand, exit 2 and FILE:LINE: error
# for malformed scripts and bad usage, model-only commands accepted.
anonvm=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED_STATUS PATTERN -- command...
	name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" != "$want" ] || ! grep -q -- "$pat" "$tmp/out"; then
		echo "FAIL $name: status $got (want $want), output:"
		sed 's/^/  /' "$tmp/out"
		fail=1
	else
		echo "ok   $name"
	fi
}
check help 0 "usage: anonvm" -- "$anonvm" --help
for c in run diff fuzz; do
	check "$c --help" 0 "usage: anonvm $c" -- "$anonvm" "$c" --help
done
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
exit $fail
