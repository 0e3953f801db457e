# bench/pairs.sh - sourced by the *_cost.sh benches: bench/run.sh under two
# settings A and B, alternately PAIRS times (machine noise hits both alike),
# and the medians of the 1- and 20-recipient load scenarios and FLASH p99.
#
#   run_a OUT / run_b OUT   defined by the caller: one bench/run.sh into OUT
#   pairs_compare "A label" "B label"
#
# Needs PAIRS and T (a temporary directory); prints one line per pair, then
# the medians and B's cost against A in percent.

val() { sed -nE "s/^$1 +([0-9.]+) \/s.*/\1/p" "$2" | head -n 1; }
p99() { sed -nE 's/^FLASH submit -> waiting inbox, p50 +[0-9.]+ ms p99 ([0-9.]+) ms.*/\1/p' "$1" | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

pairs_compare() {
	local la=$1 lb=$2 i a1 a20 af b1 b20 bf
	local A1=() A20=() AF=() B1=() B20=() BF=()
	for i in $(seq "$PAIRS"); do
		run_a "$T/a.txt" || { cat "$T/a.txt" >&2; exit 1; }
		run_b "$T/b.txt" || { cat "$T/b.txt" >&2; exit 1; }
		A1+=("$(val 'accepted cables, 1 recipient device' "$T/a.txt")")
		A20+=("$(val 'accepted cables, 20 recipient devices' "$T/a.txt")")
		AF+=("$(p99 "$T/a.txt")")
		B1+=("$(val 'accepted cables, 1 recipient device' "$T/b.txt")")
		B20+=("$(val 'accepted cables, 20 recipient devices' "$T/b.txt")")
		BF+=("$(p99 "$T/b.txt")")
		echo "  pair $i: 1 recipient ${A1[-1]} -> ${B1[-1]} /s; 20 recipients ${A20[-1]} -> ${B20[-1]} /s;" \
			"FLASH p99 ${AF[-1]} -> ${BF[-1]} ms"
	done
	a1=$(median "${A1[@]}") a20=$(median "${A20[@]}") af=$(median "${AF[@]}")
	b1=$(median "${B1[@]}") b20=$(median "${B20[@]}") bf=$(median "${BF[@]}")
	echo
	echo "== medians of $PAIRS alternating runs (${LOAD_SECONDS} s each) =="
	awk -v a="$a1" -v b="$b1" -v la="$la" -v lb="$lb" 'BEGIN { printf "1 recipient:   %8.0f /s %s, %8.0f /s %s: cost %.1f %%\n", a, la, b, lb, (a - b) / a * 100 }'
	awk -v a="$a20" -v b="$b20" -v la="$la" -v lb="$lb" 'BEGIN { printf "20 recipients: %8.0f /s %s, %8.0f /s %s: cost %.1f %%\n", a, la, b, lb, (a - b) / a * 100 }'
	echo "FLASH p99:     $af ms $la, $bf ms $lb"
}
