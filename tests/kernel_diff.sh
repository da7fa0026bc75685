#!/bin/sh
# Runs `anonvm diff` over the given scripts; skipped (77) where the live kernel cannot be
# read (not root, not Linux, no /proc/kpagecount).
anonvm=$1
shift
if [ "$(id -u)" != 0 ] || [ ! -r /proc/kpagecount ]; then
	echo "kernel-diff: skipped (needs root and /proc/kpagecount)"
	exit 77
fi
exec "$anonvm" diff "$@"
