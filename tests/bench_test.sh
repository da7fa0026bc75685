#!/bin/sh
# `anonvm bench` at tiny sizes: usage errors, the output formats, the counts each workload
# must show on each design (never times), the kernel side and a plot. Not a benchmark.
# Prints TAP (check.sh).
anonvm=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
. "$(dirname "$0")/check.sh"
# field VALUE of column NAME in the CSV row of design D: csv_field FILE D NAME
csv_field() {
	awk -F, -v d="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == d { print $c[col]; exit }' "$1"
}
expect_field() { # expect_field NAME FILE DESIGN COLUMN VALUE
	got=$(csv_field "$2" "$3" "$4")
	if [ "$got" != "$5" ]; then
		result "$1: $3 $4 = '$got' (want '$5')" 1 "$2"
	else
		result "$1" 0
	fi
}
b="$anonvm bench --quiet"

check "bench --help" 0 "usage: anonvm bench" -- $b --help
check "no workload" 2 "which workload" -- $b
check "unknown workload" 2 "unknown workload 'nope'" -- $b nope
check "unknown design" 2 "unknown design 'x'" -- $b forkstorm --design linux,x
check "bad size" 2 "not a multiple of 4096" -- $b faults --size 100
check "bad list" 2 "expected positive numbers" -- $b spawn --vmas 10,,x
check "bad plot name" 2 "must end in .png or .svg" -- $b spawn --plot out.pdf
check "bad sample" 2 "unknown design" -- $b forkstorm --sample nope=3

# forkstorm: the chain designs find every page at its first VMA; legacy scans the family
# oldest first (the parent's page at VMA 1, child i's at VMA i + 2): over 20 x 20 every
# walk averages (20 * 1 + 20 * (2 + ... + 21)) / 420 = 11.
$b forkstorm --children 20 --pages 20 --design all --csv >"$tmp/fs.csv" 2>&1
head -1 "$tmp/fs.csv" | grep -q '^design,workload,vmas_visited_per_walk,ptes_probed_per_walk,anon_vmas,avcs,vmas,ns_per_walk,model_ms,kernel_ms,model_over_kernel'
result "csv header" $? "$tmp/fs.csv"
expect_field "forkstorm linux walks" "$tmp/fs.csv" linux walks 420
expect_field "forkstorm linux VMAs per walk" "$tmp/fs.csv" linux vmas_visited_per_walk 1.000
expect_field "forkstorm linux anon_vmas" "$tmp/fs.csv" linux anon_vmas 21
expect_field "forkstorm nointerval VMAs per walk" "$tmp/fs.csv" nointerval vmas_visited_per_walk 1.000
expect_field "forkstorm legacy VMAs per walk" "$tmp/fs.csv" legacy vmas_visited_per_walk 11.000
expect_field "forkstorm legacy max VMAs" "$tmp/fs.csv" legacy max_vmas_visited 21
expect_field "forkstorm legacy anon_vmas" "$tmp/fs.csv" legacy anon_vmas 1
# sampled: every 5th walk of the same sequence keeps the mean
$b forkstorm --children 20 --pages 20 --design legacy --sample legacy=84 --csv >"$tmp/fss.csv" 2>&1
expect_field "forkstorm legacy sampled walks" "$tmp/fss.csv" legacy walks 84
expect_field "forkstorm legacy sampled mean" "$tmp/fss.csv" legacy vmas_visited_per_walk 11.000

# forkchain: with reuse, the chain's root and two more anon_vmas however long the chain;
# without it, one per generation
$b forkchain --generations 40 --pages 4 --design linux,noreuse --csv >"$tmp/fc.csv" 2>&1
expect_field "forkchain linux anon_vmas" "$tmp/fc.csv" linux anon_vmas 3
expect_field "forkchain linux VMAs" "$tmp/fc.csv" linux vmas 1
expect_field "forkchain noreuse anon_vmas" "$tmp/fc.csv" noreuse anon_vmas 41

# splitvma: with lists a walk visits the pieces in order up to the one that maps the page
# (the mean of 1..64, the last one all 64); the interval tree visits that one only
$b splitvma --pieces 64 --design linux,nointerval --csv >"$tmp/sv.csv" 2>&1
expect_field "splitvma linux VMAs per walk" "$tmp/sv.csv" linux vmas_visited_per_walk 1.000
expect_field "splitvma nointerval VMAs per walk" "$tmp/sv.csv" nointerval vmas_visited_per_walk 32.500
expect_field "splitvma nointerval max VMAs" "$tmp/sv.csv" nointerval max_vmas_visited 64
expect_field "splitvma VMAs" "$tmp/sv.csv" linux vmas 64

# reclaim: RAM a quarter of what 9 processes x 64 pages touch: pages go to swap on every
# design, and legacy's walks visit more VMAs per reclaimed page than linux's; no kernel side
$b reclaim --children 8 --pages 64 --design linux,legacy --csv >"$tmp/rc.csv" 2>&1
for d in linux legacy; do
	n=$(csv_field "$tmp/rc.csv" $d reclaimed)
	[ "${n:-0}" -gt 0 ] 2>/dev/null
	result "reclaim $d: '$n' reclaimed" $? "$tmp/rc.csv"
done
lin=$(csv_field "$tmp/rc.csv" linux vmas_visited_per_reclaimed)
leg=$(csv_field "$tmp/rc.csv" legacy vmas_visited_per_reclaimed)
awk -v a="$leg" -v b="$lin" 'BEGIN { exit !(a > b) }'
result "reclaim VMAs per reclaimed page: legacy $leg > linux $lin" $?
check "reclaim has no kernel side" 0 "reclaim" -- $b reclaim --children 2 --pages 16 --kernel --reps 1

# every workload on the kernel too, JSON, a plot
check "kernel side" 0 '"model_over_kernel": [0-9]' -- $b forkstorm forkchain splitvma spawn \
	forkcopy faults cowfault --kernel --reps 1 --children 4 --pages 8 --generations 4 \
	--pieces 8 --vmas 30 --forks 2 --size 64K --iterations 2 --json
check "table" 0 "legacy/linux: VMAs visited per walk" -- $b forkstorm --children 4 --pages 4 \
	--design linux,legacy
check "plot" 0 "" -- $b spawn --vmas 10,20 --forks 2 --design linux,legacy --plot "$tmp/p.png"
head -c 8 "$tmp/p.png" 2>/dev/null | grep -q PNG
result "plot: a PNG written" $?
plan
exit $fail
