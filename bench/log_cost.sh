#!/usr/bin/env bash
# bench/log_cost.sh - what the transparency log costs the switch's cable throughput.
#
#   bench/log_cost.sh            (env: BASE=<commit before the log>, PAIRS=3,
#                                      LOAD_SECONDS=5, CONNS=32)
#
# Builds BASE (default: 5c79ebb, the last commit before the log) in a git
# worktree, then runs bench/run.sh of BASE and of this tree alternately
# PAIRS times each (so machine noise hits both alike), and prints the
# medians of the 1- and 20-recipient load scenarios and their ratios.  The
# only difference between the two daemons that matters here is the log: one
# entry per accepted cable (per 500 recipients) written in the same
# transaction, and the signer thread.  A few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-5c79ebb}
PAIRS=${PAIRS:-3}
export LOAD_SECONDS=${LOAD_SECONDS:-5} CONNS=${CONNS:-32} RUNS=1 FLASH_SECONDS=2 QUEUE=0

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-logcost.XXXXXX")
cleanup() {
	git worktree remove --force "$T/base" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
git worktree add --detach "$T/base" "$BASE" >/dev/null 2>&1
echo "== building $BASE (without the log) and this tree =="
make -s -C "$T/base" BUILD=build-bench -j2 >/dev/null
make -s BUILD=build-bench -j2 >/dev/null

val() { sed -nE "s/^$1 +([0-9.]+) \/s.*/\1/p" "$2" | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

B1=() B20=() L1=() L20=()
for i in $(seq "$PAIRS"); do
	(cd "$T/base" && BUILD=build-bench bench/run.sh) >"$T/base.txt" 2>&1 ||
		{ cat "$T/base.txt" >&2; exit 1; }
	BUILD=build-bench bench/run.sh >"$T/log.txt" 2>&1 || { cat "$T/log.txt" >&2; exit 1; }
	B1+=("$(val 'accepted cables, 1 recipient device' "$T/base.txt")")
	B20+=("$(val 'accepted cables, 20 recipient devices' "$T/base.txt")")
	L1+=("$(val 'accepted cables, 1 recipient device' "$T/log.txt")")
	L20+=("$(val 'accepted cables, 20 recipient devices' "$T/log.txt")")
	echo "  pair $i: 1 recipient ${B1[-1]} -> ${L1[-1]} /s; 20 recipients ${B20[-1]} -> ${L20[-1]} /s"
done
mb1=$(median "${B1[@]}") mb20=$(median "${B20[@]}") ml1=$(median "${L1[@]}") ml20=$(median "${L20[@]}")
echo
echo "== medians of $PAIRS alternating runs (${LOAD_SECONDS} s each) =="
awk -v b="$mb1" -v l="$ml1" 'BEGIN { printf "1 recipient:   %8.0f /s without the log, %8.0f /s with it: cost %.1f %%\n", b, l, (b - l) / b * 100 }'
awk -v b="$mb20" -v l="$ml20" 'BEGIN { printf "20 recipients: %8.0f /s without the log, %8.0f /s with it: cost %.1f %%\n", b, l, (b - l) / b * 100 }'
echo "goal (issue 4): the log costs <= 10 % of cable throughput"
