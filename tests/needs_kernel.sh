#!/bin/sh
# Runs its arguments as a command where the live kernel can be read (root, Linux,
# /proc/kpagecount); elsewhere the test is skipped (77).
if [ "$(id -u)" != 0 ] || [ ! -r /proc/kpagecount ]; then
	echo "skipped: needs root and /proc/kpagecount"
	exit 77
fi
exec "$@"
