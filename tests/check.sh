# Sourced by the shell tests: check NAME EXPECTED_STATUS PATTERN -- command... runs the
# command and passes when it exits with EXPECTED_STATUS and its output matches PATTERN.
# Needs $tmp (a scratch directory); sets fail=1 on a failure.
check() {
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
