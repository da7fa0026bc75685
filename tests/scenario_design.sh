#!/bin/sh
# One scenario on one reverse-map design (tests/scenarios/meson.build), as TAP:
#   scenario_design.sh ANONVM DESIGN SCRIPT.avs EXPECTED DIFFERENCES
# The model's output must equal the kernel's EXPECTED, validator on after every command: one
# test point (anonvm run --tap). A scenario that DIFFERENCES lists for DESIGN is compared on
# its page lines only, and must then really differ in its VMA lines (or the list is stale):
# two test points.
set -u
anonvm=$1 design=$2 script=$3 expected=$4 differences=$5
name=$(basename "$script" .avs)
if ! grep -q "^$design $name:" "$differences"; then
	exec "$anonvm" run --tap --design "$design" --validate --expect "$expected" "$script"
fi
status=0
echo "1..2"
if out=$("$anonvm" run --design "$design" --validate --pages-only --expect "$expected" \
	"$script" 2>&1); then
	echo "ok 1 - $name: page lines as the kernel's ($design)"
else
	echo "not ok 1 - $name: page lines as the kernel's ($design)"
	printf '%s\n' "$out" | sed 's/^/# /'
	status=1
fi
if "$anonvm" run --design "$design" --no-validate --expect "$expected" "$script" \
	>/dev/null 2>&1; then
	echo "not ok 2 - $name is listed for $design in $differences but its VMA lines are the kernel's"
	status=1
else
	echo "ok 2 - $name: VMA lines differ, as $differences says"
fi
exit $status
