#!/usr/bin/env bash
# bench/store_cost.sh - what taking the cable bodies out of SQLite's WAL
# (denpod/segment.h) and hashing each body once (issue 17) change, against a
# denpod from before them.
#
#   BASE=/work/main/build/denpod bench/store_cost.sh   (env: PAIRS=3, LOAD_SECONDS=5,
#                                 CONNS=32, QUEUE=20000, FILL_SECONDS=20, FLASH_SECONDS=5)
#
# Runs bench/run.sh (RUNS=1) PAIRS times with BASE and PAIRS times with this
# tree's denpod, alternately (bench/pairs.sh), and prints the medians of the
# 1- and 20-recipient load scenarios and FLASH p99, and the change in percent
# (a negative cost is a gain).  Both switches are made by this tree's
# `denpod init` (the base denpod runs a database with the segment columns,
# which it leaves NULL: its bodies go into the rows, as before).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to the denpod to compare against (e.g. /work/main/build/denpod)}"
PAIRS=${PAIRS:-3}
export LOAD_SECONDS=${LOAD_SECONDS:-5} CONNS=${CONNS:-32} RUNS=1 FLASH_SECONDS=${FLASH_SECONDS:-5}
export QUEUE=${QUEUE:-20000} FILL_SECONDS=${FILL_SECONDS:-20}
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" "$BUILD/denpod" >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-storecost.XXXXXX")
trap 'rm -rf "$T"' EXIT
. bench/pairs.sh
run_a() { DENPOD="$BASE" bench/run.sh >"$1" 2>&1; }
run_b() { DENPOD="$BUILD/denpod" bench/run.sh >"$1" 2>&1; }
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
pairs_compare "before (bodies in the rows)" "segments, hashed once"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
