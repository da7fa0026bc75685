#!/bin/sh
# static-archive.sh OUT.a IN.a LD OBJCOPY AR: the static library anonvm installs.
#
# Every object of IN.a (a thin archive is fine) is linked into one relocatable object
# (ld -r); its hidden symbols, which is every symbol but the ANONVM_EXPORT API, are then made
# local (objcopy --localize-hidden), so that a program embedding the archive sees only
# anonvm_* and may have a find_vma or mas_walk of its own. OUT.a is a normal archive, usable
# wherever it is copied.
set -e
out=$1 in=$2 ld=$3 objcopy=$4 ar=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ld" -r --whole-archive "$in" -o "$tmp/anonvm.o"
"$objcopy" --localize-hidden "$tmp/anonvm.o"
rm -f "$out"
"$ar" rcD "$out" "$tmp/anonvm.o"
