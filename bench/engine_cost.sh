#!/usr/bin/env bash
# bench/engine_cost.sh - what the commit engine's operations table and the
# route table with handlers (issue 13 item 1) cost cable throughput.
#
#   BASE=/work/main/build/denpod bench/engine_cost.sh   (env: PAIRS=3, LOAD_SECONDS=5, CONNS=32)
#
# Runs bench/run.sh PAIRS times with BASE (a denpod from before the tables:
# the switch-and-case dispatch) and PAIRS times with this tree's denpod,
# alternately (bench/pairs.sh), and prints the medians of the 1- and
# 20-recipient load scenarios, FLASH p99, and the cost in percent.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to the denpod to compare against (e.g. a build of main before the tables)}"
PAIRS=${PAIRS:-3}
export LOAD_SECONDS=${LOAD_SECONDS:-5} CONNS=${CONNS:-32} RUNS=1 FLASH_SECONDS=${FLASH_SECONDS:-2} QUEUE=0
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" "$BUILD/denpod" >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-enginecost.XXXXXX")
trap 'rm -rf "$T"' EXIT
. bench/pairs.sh
run_a() { DENPOD="$BASE" bench/run.sh >"$1" 2>&1; }
run_b() { DENPOD="$BUILD/denpod" bench/run.sh >"$1" 2>&1; }
pairs_compare base "with the tables"
