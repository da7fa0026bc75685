#!/bin/sh
# One scenario on one reverse-map design (tests/scenarios/meson.build):
#   scenario_design.sh ANONVM DESIGN SCRIPT.avs EXPECTED DIFFERENCES
# The model's output must equal the kernel's EXPECTED, validator on after every command.
# A scenario that DIFFERENCES lists for DESIGN is compared on its page lines only, and must
# then really differ in its VMA lines (or the list is stale).
set -u
anonvm=$1 design=$2 script=$3 expected=$4 differences=$5
name=$(basename "$script" .avs)
if grep -q "^$design $name:" "$differences"; then
	"$anonvm" run --design "$design" --validate --pages-only --expect "$expected" "$script" ||
		exit 1
	if "$anonvm" run --design "$design" --no-validate --expect "$expected" "$script" \
		>/dev/null 2>&1; then
		echo "$name is listed for $design in $differences but its VMA lines are the kernel's"
		exit 1
	fi
	exit 0
fi
exec "$anonvm" run --design "$design" --validate --expect "$expected" "$script"
