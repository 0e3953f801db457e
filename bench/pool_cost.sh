#!/usr/bin/env bash
# bench/pool_cost.sh - what the verifying pool (denpod/pool.h, issue 17)
# gains: the switch with its submissions' signatures checked on the loop
# thread (A) against checked by the worker threads (B).
#
#   bench/pool_cost.sh                (A: this tree's denpod with verify_threads=0)
#   BASE=/work/main/build/denpod bench/pool_cost.sh   (A: another build, e.g. before the pool)
#   env: PAIRS=3, LOAD_SECONDS=5, CONNS=32, THREADS=2 (B's verify_threads)
#
# Runs bench/run.sh PAIRS times each way, alternately (bench/pairs.sh), and
# prints the medians of the 1- and 20-recipient rates, FLASH p99, and of the
# 1-recipient answer p99 and each side's ratio to the 2-core Ed25519 rate
# measured in the same run (the issue's goals: >= 0.4x, p99 <= 10 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-3} THREADS=${THREADS:-2}
export LOAD_SECONDS=${LOAD_SECONDS:-5} CONNS=${CONNS:-32} RUNS=1 FLASH_SECONDS=${FLASH_SECONDS:-2} QUEUE=0
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" "$BUILD/denpod" "$BUILD/bench/bench_baseline" >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-poolcost.XXXXXX")
trap 'rm -rf "$T"' EXIT
. bench/pairs.sh
# the 1-recipient answer p99 and the ratio to the 2-core rate of one run's output
p99_r1() { sed -nE 's/^accepted cables, 1 recipient device +[0-9.]+ \/s +p50 [0-9.]+ ms +p99 ([0-9.]+) ms.*/\1/p' "$1"; }
x2core() { sed -nE 's/^accepted cables, 1 recipient device .* ([0-9.]+) x Ed25519 2-core.*/\1/p' "$1"; }
keep() { echo "$(p99_r1 "$2") $(x2core "$2")" >>"$T/$1.extra"; }
if [ -n "${BASE:-}" ]; then
	run_a() { DENPOD="$BASE" bench/run.sh >"$1" 2>&1 && keep a "$1"; }
	la="base"
else
	run_a() { DENPOD="$BUILD/denpod" DENPOD_CONF="verify_threads=0" bench/run.sh >"$1" 2>&1 && keep a "$1"; }
	la="verify_threads=0"
fi
run_b() { DENPOD="$BUILD/denpod" DENPOD_CONF="verify_threads=$THREADS" bench/run.sh >"$1" 2>&1 && keep b "$1"; }
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
pairs_compare "$la" "verify_threads=$THREADS"
for s in a b; do
	l=$la
	[ "$s" = b ] && l="verify_threads=$THREADS"
	mapfile -t p99s < <(cut -d' ' -f1 "$T/$s.extra")
	mapfile -t xs < <(cut -d' ' -f2 "$T/$s.extra")
	echo "1 recipient, $l: answer p99 $(median "${p99s[@]}") ms, $(median "${xs[@]}") x Ed25519 2-core (medians)"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
