#!/usr/bin/env bash
# bench/metrics_cost.sh - what the switch's metrics cost its cable throughput.
#
#   BASE=/path/to/denpod bench/metrics_cost.sh   (env: PAIRS=3, LOAD_SECONDS=5, CONNS=32)
#
# Runs bench/run.sh PAIRS times with BASE (a denpod built without the
# request counters, e.g. from the commit before them) and PAIRS times with
# this tree's denpod, alternately (bench/pairs.sh).  Both serve
# metrics_listen= and are scraped once a second throughout (the scrape's
# own database reads included).  Prints the medians of the 1- and
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
trap 'if [ -n "$SCRAPER" ]; then kill $SCRAPER 2>/dev/null || :; fi; rm -rf "$T"' EXIT
. bench/pairs.sh
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# scraped DENPOD OUT: one bench/run.sh with that denpod, its metrics scraped every second
scraped() {
	local mport rc=0
	mport=$(free_port)
	# (set -e holds in the subshell: a scrape refused before the switch is up must not end it)
	(while :; do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$mport/metrics" || :; sleep 1; done) &
	SCRAPER=$!
	DENPOD="$1" DENPOD_CONF="metrics_listen=127.0.0.1:$mport" bench/run.sh >"$2" 2>&1 || rc=$?
	kill $SCRAPER 2>/dev/null || :
	wait $SCRAPER 2>/dev/null || true
	SCRAPER=
	return $rc
}
run_a() { scraped "$BASE" "$1"; }
run_b() { scraped "$BUILD/denpod" "$1"; }
pairs_compare base "with the metrics"
