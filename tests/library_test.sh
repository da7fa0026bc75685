#!/bin/sh
# The library as users get it (prints TAP): the shared library exports the API of
# include/anonvm/anonvm.h and nothing else; the static archive is a normal archive with only
# anonvm_* global; `meson install --destdir` puts the command, libraries, headers, anonvm.pc
# and the man page in place; the examples build against the installed copy through
# pkg-config, shared and static, and a program with symbols of the library's internal names
# links with the archive; anonvm builds as a Meson subproject (examples/subproject).
# usage: library_test.sh SOURCE_ROOT BUILD_ROOT
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { # ok NAME STATUS: a test point; the output of the failed step is in $tmp/out
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/out"
		fail=1
	fi
}
step() { # step NAME command...: runs the command, its output in $tmp/out
	name=$1
	shift
	"$@" >"$tmp/out" 2>&1
	ok "$name" $?
}
only_api() { # the defined global symbols of nm's output ($1) that are not anonvm_*
	awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ && $3 !~ /^anonvm_/ { print $3 }' "$1"
}

# Exported symbols: anonvm_* only, and every function the header declares.
nm -D --defined-only "$build/src/libanonvm.so" >"$tmp/dynsym"
only_api "$tmp/dynsym" >"$tmp/out"
[ -s "$tmp/dynsym" ] && [ ! -s "$tmp/out" ]
ok "libanonvm.so exports only anonvm_*" $?
cc -E -P -I"$src/include" -I"$build/include" "$src/include/anonvm/anonvm.h" |
	grep -o 'anonvm_[a-z0-9_]*(' | tr -d '(' | sort -u >"$tmp/declared"
awk '{ print $3 }' "$tmp/dynsym" | sort -u >"$tmp/exported"
comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/out"
[ -s "$tmp/declared" ] && [ ! -s "$tmp/out" ]
ok "libanonvm.so exports every function of anonvm.h (missing ANONVM_EXPORT above)" $?

# The static archive.
head -c 8 "$build/src/libanonvm.a" | grep -q '^!<arch>$' 2>"$tmp/out"
ok "libanonvm.a is a normal archive, not a thin one" $?
nm -g --defined-only "$build/src/libanonvm.a" >"$tmp/archive" 2>&1
only_api "$tmp/archive" >"$tmp/out"
grep -q ' T anonvm_create$' "$tmp/archive" && [ ! -s "$tmp/out" ]
ok "libanonvm.a keeps only anonvm_* global" $?

# Install, as a packager would.
step "meson install --destdir" meson install -C "$build" --no-rebuild --destdir "$tmp/root"
pc=$(find "$tmp/root" -name anonvm.pc)
libdir=$(dirname "$(dirname "$pc")")
for f in bin/anonvm include/anonvm/anonvm.h include/anonvm/version.h share/man/man1/anonvm.1; do
	find "$tmp/root" -path "*/$f" | grep -q . >"$tmp/out" 2>&1
	ok "installed: $f" $?
done
version=$("$build/cli/anonvm" --version | cut -d' ' -f2)
for f in libanonvm.a libanonvm.so libanonvm.so.0 "libanonvm.so.$version"; do
	[ -e "$libdir/$f" ] >"$tmp/out" 2>&1
	ok "installed: $f" $?
done
man=$(find "$tmp/root" -name anonvm.1)
if command -v groff >/dev/null; then
	[ -n "$man" ] && groff -man -ww -z -Tutf8 "$man" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]
	ok "the man page renders without a warning" $?
else
	echo "ok $((n = n + 1)) - the man page renders # SKIP no groff"
fi

# Programs built against the installed copy through pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
step "pkg-config --modversion anonvm" pkg-config --modversion anonvm
grep -qx "$version" "$tmp/out"
ok "anonvm.pc's version is anonvm --version's" $?
pkg-config --static --libs anonvm >"$tmp/out" 2>&1
grep -q -- '-lurcu' "$tmp/out" && grep -q -- '-pthread' "$tmp/out"
ok "pkg-config --static adds liburcu and threads" $?
for prog in fork_walk cow_snapshot; do
	# shellcheck disable=SC2046 # word splitting of pkg-config's flags is meant
	step "$prog.c builds with cc \$(pkg-config --cflags --libs anonvm)" \
		cc -o "$tmp/$prog" "$src/examples/$prog.c" $(pkg-config --cflags --libs anonvm)
	step "$prog runs on the installed libanonvm.so" env LD_LIBRARY_PATH="$libdir" "$tmp/$prog"
done
# shellcheck disable=SC2046
step "fork_walk.c links the installed libanonvm.a" cc -o "$tmp/fork_walk_static" \
	"$src/examples/fork_walk.c" $(pkg-config --cflags anonvm) \
	$(pkg-config --static --libs anonvm | sed 's/-lanonvm/-l:libanonvm.a/')
step "the static fork_walk runs and prints a walk" sh -c \
	"! ldd '$tmp/fork_walk_static' | grep -q anonvm && '$tmp/fork_walk_static' | grep 'VMAs visited'"

# A program that has functions of the names the library uses inside (find_vma, mas_walk ...)
# links with the archive, and both work.
nm -g --defined-only "$build/src/libanonvm-internal.a" 2>/dev/null |
	awk '$2 == "T" && $3 !~ /^anonvm_/ { print $3 }' | sort -u >"$tmp/internal"
{
	while read -r f; do echo "int $f(void) { return 7; }"; done <"$tmp/internal"
	echo "#include <anonvm/anonvm.h>"
	echo "int main(void) { struct anonvm *vm; struct anonvm_config c;"
	echo "anonvm_config_default(&c); if (anonvm_create(&c, &vm)) return 1;"
	echo "anonvm_destroy(vm); return $(head -1 "$tmp/internal")() == 7 ? 0 : 1; }"
} >"$tmp/embed.c"
# shellcheck disable=SC2046
step "a program defining $(wc -l <"$tmp/internal") of the library's internal names links the archive" \
	cc -o "$tmp/embed" "$tmp/embed.c" $(pkg-config --cflags anonvm) \
	$(pkg-config --static --libs anonvm | sed 's/-lanonvm/-l:libanonvm.a/')
step "and runs" "$tmp/embed"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# anonvm as a Meson subproject: dependency('anonvm') through meson.override_dependency.
mkdir "$tmp/examples"
cp -r "$src/examples/subproject" "$src/examples/fork_walk.c" "$tmp/examples/"
ln -s "$(cd "$src" && pwd)" "$tmp/examples/subproject/subprojects/anonvm"
step "examples/subproject configures with anonvm as a subproject" meson setup \
	--force-fallback-for=anonvm "$tmp/sub" "$tmp/examples/subproject"
step "and builds" ninja -C "$tmp/sub"
step "and its fork_walk runs" "$tmp/sub/fork_walk"
echo "1..$n"
exit $fail
