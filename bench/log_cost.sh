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

. bench/pairs.sh
run_a() { (cd "$T/base" && BUILD=build-bench bench/run.sh) >"$1" 2>&1; }
run_b() { BUILD=build-bench bench/run.sh >"$1" 2>&1; }
pairs_compare "without the log" "with it"
echo "goal (issue 4): the log costs <= 10 % of cable throughput"
