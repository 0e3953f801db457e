#!/usr/bin/env bash
# bench/metrics_cost.sh - what the switch's metrics cost its cable throughput.
#
#   BASE=/path/to/denpod bench/metrics_cost.sh   (env: PAIRS=3, LOAD_SECONDS=5, CONNS=32)
#
# Runs bench/run.sh PAIRS times with BASE (a denpod built without the
# request counters, e.g. from the commit before them) and PAIRS times with
# this tree's denpod, alternately, so machine noise hits both alike.  Both
# serve metrics_listen= and are scraped once a second throughout (the
# scrape's own database reads included).  Prints the medians of the 1- and
# 20-recipient load scenarios, FLASH p99, and the cost in percent.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to the denpod to compare against (e.g. a build of the previous commit)}"
PAIRS=${PAIRS:-3}
export LOAD_SECONDS=${LOAD_SECONDS:-5} CONNS=${CONNS:-32} RUNS=1 FLASH_SECONDS=${FLASH_SECONDS:-2} QUEUE=0
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" "$BUILD/denpod" >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-metricscost.XXXXXX")
SCRAPER=
trap '[ -n "$SCRAPER" ] && kill $SCRAPER 2>/dev/null; rm -rf "$T"' EXIT

val() { sed -nE "s/^$1 +([0-9.]+) \/s.*/\1/p" "$2" | head -n 1; }
p99() { sed -nE 's/^FLASH submit -> waiting inbox, p50 +[0-9.]+ ms p99 ([0-9.]+) ms.*/\1/p' "$1" | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# one bench/run.sh with DENPOD=$1, scraped every second; output in $2
run() {
	local mport
	mport=$(free_port)
	(while :; do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$mport/metrics"; sleep 1; done) &
	SCRAPER=$!
	DENPOD="$1" DENPOD_CONF="metrics_listen=127.0.0.1:$mport" bench/run.sh >"$2" 2>&1 ||
		{ cat "$2" >&2; exit 1; }
	kill $SCRAPER 2>/dev/null
	wait $SCRAPER 2>/dev/null || true
	SCRAPER=
}

A1=() A20=() AF=() B1=() B20=() BF=()
for i in $(seq "$PAIRS"); do
	run "$BASE" "$T/base.txt"
	run "$BUILD/denpod" "$T/new.txt"
	A1+=("$(val 'accepted cables, 1 recipient device' "$T/base.txt")")
	A20+=("$(val 'accepted cables, 20 recipient devices' "$T/base.txt")")
	AF+=("$(p99 "$T/base.txt")")
	B1+=("$(val 'accepted cables, 1 recipient device' "$T/new.txt")")
	B20+=("$(val 'accepted cables, 20 recipient devices' "$T/new.txt")")
	BF+=("$(p99 "$T/new.txt")")
	echo "  pair $i: 1 recipient ${A1[-1]} -> ${B1[-1]} /s; 20 recipients ${A20[-1]} -> ${B20[-1]} /s;" \
		"FLASH p99 ${AF[-1]} -> ${BF[-1]} ms"
done
a1=$(median "${A1[@]}") a20=$(median "${A20[@]}") af=$(median "${AF[@]}")
b1=$(median "${B1[@]}") b20=$(median "${B20[@]}") bf=$(median "${BF[@]}")
echo
echo "== medians of $PAIRS alternating runs (${LOAD_SECONDS} s each), both scraped every second =="
awk -v a="$a1" -v b="$b1" 'BEGIN { printf "1 recipient:   %8.0f /s base, %8.0f /s with the metrics: cost %.1f %%\n", a, b, (a - b) / a * 100 }'
awk -v a="$a20" -v b="$b20" 'BEGIN { printf "20 recipients: %8.0f /s base, %8.0f /s with the metrics: cost %.1f %%\n", a, b, (a - b) / a * 100 }'
echo "FLASH p99:     $af ms base, $bf ms with the metrics"
