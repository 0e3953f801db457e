#!/usr/bin/env bash
# bench/scrub_cost.sh - what the scrub costs the switch's cable throughput.
#
#   bench/scrub_cost.sh          (env: PAIRS=3, LOAD_SECONDS=5, CONNS=32, RATE=default)
#
# Runs bench/run.sh PAIRS times with the scrub off (scrub_period=0) and
# PAIRS times with a scrub running through the whole load (scrub_period=1:
# a pass begins every second, so it never rests, at scrub_rate=RATE or the
# default 8 MiB/s), alternately (bench/pairs.sh), so machine noise hits both
# alike, and prints the medians of the 1- and 20-recipient load scenarios,
# FLASH p99, and the scrub's cost in percent.  A few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-3}
export LOAD_SECONDS=${LOAD_SECONDS:-5} CONNS=${CONNS:-32} RUNS=1 FLASH_SECONDS=${FLASH_SECONDS:-2} QUEUE=0
ON="scrub_period=1"
[ -n "${RATE:-}" ] && ON="$ON\\nscrub_rate=$RATE"
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-scrubcost.XXXXXX")
trap 'rm -rf "$T"' EXIT
. bench/pairs.sh

run_a() { DENPOD_CONF="scrub_period=0" bench/run.sh >"$1" 2>&1; }
run_b() { DENPOD_CONF="$ON" bench/run.sh >"$1" 2>&1; }
pairs_compare "scrub off" scrubbing
