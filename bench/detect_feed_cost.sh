#!/usr/bin/env bash
# bench/detect_feed_cost.sh - what sharing detection's events between
# instances (docs/detection.md §10) costs a switch on PostgreSQL.
#
#   bench/detect_feed_cost.sh   (env: BASE=<commit without the feed>, BASE_BUILD=DIR (a build
#                                     of BASE already made: skips building it), PAIRS=3,
#                                     LOAD_SECONDS=5, CONNS=32)
#
# One denpod on a PostgreSQL of its own (scripts/pg-tmp, fsync on), a fresh
# database each run, loaded by bench_switch (1-recipient ROUTINE cables over
# CONNS keep-alive connections, as bench/run.sh's load scenario): every
# submission is one request detection sees, so every one is one row of the
# feed.  BASE's denpod and this tree's alternately, PAIRS times each (noise
# hits both alike); the medians of accepted cables per second and their
# ratio.  The database and the load generator are the same for both (this
# tree's `denpod init` makes the schema; BASE's denpod ignores the feed's
# tables).  A few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-4cb46d3}
PAIRS=${PAIRS:-3}
LOAD_SECONDS=${LOAD_SECONDS:-5}
CONNS=${CONNS:-32}

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-feedcost.XXXXXX")
PID= PGDIR= WT=
cleanup() {
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
	[ -n "$PGDIR" ] && scripts/pg-tmp stop "$PGDIR" >/dev/null 2>&1 || true
	[ -n "$WT" ] && git worktree remove --force "$WT" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building this tree and $BASE (engines fed their own requests only) =="
mkdir -p build-bench/bench
make -s BUILD=build-bench -j2 build-bench/denpod build-bench/bench/bench_switch >/dev/null
if [ -n "${BASE_BUILD:-}" ]; then
	BASE_DENPOD=$BASE_BUILD/denpod
else
	WT=$T/base
	git worktree add --detach "$WT" "$BASE" >/dev/null 2>&1
	make -s -C "$WT" BUILD=build-bench -j2 build-bench/denpod >/dev/null
	BASE_DENPOD=$WT/build-bench/denpod
fi
D=build-bench/denpod
B=build-bench/bench/bench_switch
eval "$(scripts/pg-tmp start --watch $$ --durable)"
PGDIR=$DENPO_TEST_PG_DIR

# one DAEMON: a fresh switch on a new database, loaded; accepted cables/s into $RATE
N=0
one() {
	local daemon=$1 db port uri
	N=$((N + 1))
	db=denpo_feedcost_$N
	PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 "$DENPO_TEST_PG" \
		-c "CREATE DATABASE $db" >/dev/null
	uri=$(sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$db#" <<<"$DENPO_TEST_PG")
	port=$((20000 + RANDOM % 40000))
	rm -rf "$T/sw" "$T/b"
	"$D" init --data "$T/sw" --listen "127.0.0.1:$port" --url "https://127.0.0.1:$port" \
		--store "$uri" >/dev/null
	"$D" post add HQ --hq --data "$T/sw" >/dev/null
	"$D" post add TOKYO --data "$T/sw" >/dev/null
	"$B" setup "$T/b" >/dev/null
	for f in "$T"/b/req/*.req; do
		"$D" approve "$f" --out "$T/b/ans/$(basename "$f" .req).ans" --clearance SECRET \
			--data "$T/sw" >/dev/null
	done
	# the machine-speed rules would rightly throttle a load generator
	printf 'rule.MACHINE-SPEED.mode = report\nrule.ENUM-RANGE.mode = report\n' >"$T/sw/detect.conf"
	"$daemon" run --data "$T/sw" 2>"$T/denpod.log" &
	PID=$!
	for _ in $(seq 100); do grep -q listening "$T/denpod.log" && break; sleep 0.1; done
	"$B" load "$T/b" --recipients 1 --cables 20000 --seconds "$LOAD_SECONDS" --conns "$CONNS" \
		--label r1 >"$T/one.txt" 2>"$T/err.txt" || { cat "$T/err.txt" "$T/denpod.log" >&2; exit 1; }
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
	RATE=$(awk '$1 == "r1_rate" { print $2; exit }' "$T/one.txt")
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

A=() F=()
for i in $(seq "$PAIRS"); do
	one "$BASE_DENPOD"
	A+=("$RATE")
	one "$D"
	F+=("$RATE")
	echo "  pair $i: ${A[-1]} cables/s without the feed, ${F[-1]} with it"
done
a=$(median "${A[@]}") f=$(median "${F[@]}")
echo
echo "== medians of $PAIRS alternating runs (${LOAD_SECONDS} s each, 1 recipient, $CONNS connections) =="
awk -v a="$a" -v f="$f" 'BEGIN { printf "without the feed %.0f /s, with it %.0f /s: ratio %.3f, cost %.1f %%\n", a, f, f / a, (a - f) / a * 100 }'
