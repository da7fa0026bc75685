# Sourced by the shell tests, which print TAP (a test point per check, the plan last):
#   check NAME EXPECTED_STATUS PATTERN -- command...   runs the command; it passes when it
#       exits with EXPECTED_STATUS and its output matches PATTERN ("" matches any output);
#   result NAME STATUS [FILE]   any other check: passed when STATUS is 0; FILE (the details)
#       is shown, as TAP comments, when it failed;
#   plan                        the plan, once every check has run.
# Needs $tmp (a scratch directory); sets fail=1 on a failure.
tap_n=0
result() {
	tap_n=$((tap_n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $tap_n - $1"
	else
		echo "not ok $tap_n - $1"
		[ -n "${3:-}" ] && sed 's/^/# /' "$3"
		fail=1
	fi
}
check() {
	name=$1 want=$2 pat=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" != "$want" ] || { [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/out"; }; then
		result "$name: status $got (want $want), output:" 1 "$tmp/out"
	else
		result "$name" 0
	fi
}
plan() {
	echo "1..$tap_n"
}
