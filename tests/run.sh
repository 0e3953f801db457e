#!/usr/bin/env bash
# Runs every test: the C unit/vector tests ($BUILD/tests/test_*) and the
# integration scripts (tests/it_*.sh) that drive the real programs.
# Each prints "name: N passed, N failed[, N skipped]"; this sums them.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
pass=0 fail=0 skip=0 broken=()
tally() { # name, output file, exit code
	local line
	line=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
	if [ -z "$line" ]; then
		broken+=("$1 (exit $3, no result line)")
		fail=$((fail + 1))
		return
	fi
	local p f s
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then
		broken+=("$1 (exit $3)")
		fail=$((fail + 1))
	fi
	[ "$f" = 0 ] || broken+=("$1")
}
only=${1:-}
# Tests run $JOBS at a time (default: one per core); each one's output is
# printed whole, in the order below, once all have finished, and a line is
# printed as each finishes.
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
tmp=$(mktemp -d)
pg_dir=
trap 'rm -rf "$tmp"; [ -z "$pg_dir" ] || scripts/pg-tmp stop "$pg_dir"' EXIT
names=() cmds=()
add() { # NAME COMMAND...: queue a test unless $only leaves it out
	[ -n "$only" ] && [[ "$1" != *"$only"* ]] && return
	names+=("$1")
	cmds+=("$(printf '%q ' "${@:2}")")
}
for t in tests/it_*.sh; do
	[ -f "$t" ] && add "$(basename "$t" .sh)" bash "$t"
done
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && add "$(basename "$t")" "$t"
done
# The same age testkit as published on npm (cctv-age), dumped by scripts/test-all.
if [ -n "${DENPO_AGE_NPM_VECTORS:-}" ] && [ -x "$BUILD/tests/test_age" ]; then
	add test_age_npm env DENPO_AGE_VECTORS="$DENPO_AGE_NPM_VECTORS" "$BUILD/tests/test_age"
fi
# A test whose source holds the mark [uses DENPO_TEST_PG] reads a PostgreSQL
# URI from DENPO_TEST_PG: unless the caller gave one, the queued tests share
# one throwaway cluster (scripts/pg-tmp), each in a database of its own.
pg_wanted=
[ "${DENPO_TEST_STORE:-}" = postgresql ] && pg_wanted=1 # every switch on PostgreSQL (tests/lib.sh)
for n in "${names[@]}"; do
	grep -qsF '[uses DENPO_TEST_PG]' "tests/$n.c" "tests/$n.sh" && pg_wanted=1
done
if [ -z "${DENPO_TEST_PG:-}" ] && [ -n "$pg_wanted" ]; then
	if pg_env=$(scripts/pg-tmp start --watch $$); then
		eval "$pg_env"
		pg_dir=$DENPO_TEST_PG_DIR
		export DENPO_TEST_PG DENPO_TEST_PG_DIR
	else
		echo "run.sh: scripts/pg-tmp could not start a PostgreSQL: the tests that use one skip it" >&2
	fi
fi
run_one() { # INDEX
	local n=${names[$1]} t0=$SECONDS
	eval "${cmds[$1]}" >"$tmp/$n.out" 2>&1
	echo $? >"$tmp/$n.rc"
	echo $((SECONDS - t0)) >"$tmp/$n.secs"
	printf '   %s (%ss)\n' "$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed' "$tmp/$n.out" | tail -n 1 ||
		echo "$n: no result line")" "$((SECONDS - t0))"
}
# Longest first (tests/durations: seconds each took in a full run, refreshed now
# and then): the long ones overlap the many short ones instead of ending the run
# alone.  A test not listed there is taken for a long one.
declare -A secs=()
if [ -f tests/durations ]; then
	while read -r n v; do secs[$n]=$v; done < <(grep -vE '^(#|$)' tests/durations)
fi
order=$(for i in "${!names[@]}"; do echo "${secs[${names[$i]}]:-999} $i"; done |
	sort -k1,1nr -k2,2n | cut -d' ' -f2)
for i in $order; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
	run_one "$i" &
done
wait
for n in "${names[@]}"; do
	echo "== $n ($(cat "$tmp/$n.secs")s)"
	cat "$tmp/$n.out"
	tally "$n" "$tmp/$n.out" "$(cat "$tmp/$n.rc")"
done
if [ ${#broken[@]} -gt 0 ]; then
	echo "failing: ${broken[*]}"
fi
echo "total: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
