#!/bin/sh
# Installs the Debian packages anonvm needs, when some are missing (root: apt-get).
set -e
PKGS="gcc make meson ninja-build pkg-config liburcu-dev libcmocka-dev diffutils util-linux graphviz gnuplot-nox groff-base"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "anonvm: missing Debian packages:$missing (run as root, or: apt-get install$missing)" >&2
	exit 1
fi
echo "anonvm: installing$missing" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
