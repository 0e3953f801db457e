#!/usr/bin/env bash
# bench/queue_cost.sh - the switch before and after issue 17's queue changes (one queue index,
# FLASH at the head of the batch, the 20-recipient path), SQLite and optionally PostgreSQL.
#
#   BASE=/work/main/build/denpod bench/queue_cost.sh
#       env: PAIRS=2, RUNS=3, LOAD_SECONDS=5, QUEUE=20000, FILL_SECONDS=20, FLASH_SECONDS=5
#   BASE=/work/main/build/denpod bench/queue_cost.sh pg      (env: PAIRS=3, CABLES=3000)
#
# Without an argument: bench/run.sh of BASE and of this tree's denpod alternately PAIRS times
# (bench/pairs.sh), the medians of the 1- and 20-recipient scenarios and of FLASH p99 (under a
# ROUTINE flood at 80 % of each build's own capacity with QUEUE cables queued).  With `pg`: a
# scripts/pg-tmp cluster (--durable), and PAIRS times each, alternately, a fresh database and
# switch and one `bench_switch load --recipients 20` of CABLES cables (LOAD_SECONDS): the
# 20-recipient rate on PostgreSQL, where each recipient cost round trips.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to the denpod to compare against (e.g. /work/main/build/denpod)}"
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" "$BUILD/denpod" "$BUILD/bench/bench_switch" >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-queuecost.XXXXXX")
trap 'rm -rf "$T"' EXIT
if [ "${1:-}" != pg ]; then
	PAIRS=${PAIRS:-2}
	export RUNS=${RUNS:-3} LOAD_SECONDS=${LOAD_SECONDS:-5} QUEUE=${QUEUE:-20000}
	export FILL_SECONDS=${FILL_SECONDS:-20} FLASH_SECONDS=${FLASH_SECONDS:-5}
	. bench/pairs.sh
	run_a() { DENPOD="$BASE" bench/run.sh >"$1" 2>&1; }
	run_b() { DENPOD="$BUILD/denpod" bench/run.sh >"$1" 2>&1; }
	pairs_compare base "this tree"
	exit 0
fi

PAIRS=${PAIRS:-3} CABLES=${CABLES:-3000} LOAD_SECONDS=${LOAD_SECONDS:-5}
B=$BUILD/bench/bench_switch
. bench/switch_setup.sh
eval "$(scripts/pg-tmp start --durable --watch $$)"
trap 'scripts/pg-tmp stop "$DENPO_TEST_PG_DIR" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
one() { # DENPOD LABEL: prints the rate
	local db=denpo_queuecost port url pid
	PGOPTIONS="-c client_min_messages=warning" psql -qX "$DENPO_TEST_PG" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
	url=$(sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$db#" <<<"$DENPO_TEST_PG")
	port=$((20000 + RANDOM % 30000))
	rm -rf "$T/sw"
	bench_switch_init "$T/sw" "$T/b" "$port" "https://127.0.0.1:$port" --store "$url"
	"$1" run --data "$T/sw" 2>"$T/log" &
	pid=$!
	for _ in $(seq 50); do grep -q listening "$T/log" && break; sleep 0.1; done
	"$B" load "$T/b" --recipients 20 --cables "$CABLES" --seconds "$LOAD_SECONDS" --conns 32 \
		--label "$2" 2>"$T/err" | sed -nE "s/^$2_rate ([0-9.]+) .*/\1/p"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}
A=() Bs=()
for i in $(seq "$PAIRS"); do
	A+=("$(one "$BASE" base)") Bs+=("$(one "$BUILD/denpod" tree)")
	echo "  pair $i: 20 recipients on PostgreSQL ${A[-1]} -> ${Bs[-1]} /s (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "medians: base $(median "${A[@]}") /s, this tree $(median "${Bs[@]}") /s"
