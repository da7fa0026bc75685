#!/bin/sh
# Runs its arguments as a command where the live kernel can be read (root, Linux,
# /proc/kpagecount); elsewhere the test is skipped: exit status 77, or, for a command that
# prints TAP (--tap among the arguments), a plan of no tests with a SKIP directive.
if [ "$(id -u)" != 0 ] || [ ! -r /proc/kpagecount ]; then
	case " $* " in
	*" --tap "*)
		echo "1..0 # SKIP needs root and /proc/kpagecount"
		exit 0
		;;
	esac
	echo "skipped: needs root and /proc/kpagecount"
	exit 77
fi
exec "$@"
