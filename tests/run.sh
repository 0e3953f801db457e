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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	[ -n "$only" ] && [[ "$n" != *"$only"* ]] && continue
	echo "== $n"
	"$t" >"$tmp/$n.out" 2>&1
	rc=$?
	cat "$tmp/$n.out"
	tally "$n" "$tmp/$n.out" "$rc"
done
# The same age testkit as published on npm (cctv-age), dumped by scripts/test-all.
if [ -n "${DENPO_AGE_NPM_VECTORS:-}" ] && [ -x "$BUILD/tests/test_age" ] &&
	{ [ -z "$only" ] || [[ test_age_npm == *"$only"* ]]; }; then
	echo "== test_age (npm cctv-age)"
	DENPO_AGE_VECTORS=$DENPO_AGE_NPM_VECTORS "$BUILD/tests/test_age" >"$tmp/npm.out" 2>&1
	rc=$?
	cat "$tmp/npm.out"
	tally test_age_npm "$tmp/npm.out" "$rc"
fi
for t in tests/it_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	[ -n "$only" ] && [[ "$n" != *"$only"* ]] && continue
	echo "== $n"
	bash "$t" >"$tmp/$n.out" 2>&1
	rc=$?
	cat "$tmp/$n.out"
	tally "$n" "$tmp/$n.out" "$rc"
done
if [ ${#broken[@]} -gt 0 ]; then
	echo "failing: ${broken[*]}"
fi
echo "total: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
