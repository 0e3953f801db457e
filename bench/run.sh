#!/usr/bin/env bash
# bench/run.sh - the switch benchmark beside the physical limits, in one run.
#
#   bench/run.sh            (env: BUILD=build, RUNS=3, CONNS=32, QUEUE=100000,
#                                 FLASH_SECONDS=10, LOAD_SECONDS=10, DENPOD=$BUILD/denpod,
#                                 DENPOD_CONF="key=value\n..." appended to denpod.conf)
#
# Builds, runs bench_baseline (Ed25519 verify, SQLite WAL batched insert),
# makes a fresh switch in a temp dir on a free 127.0.0.1 port, enrols the
# bench devices, starts denpod, runs each scenario RUNS times and prints the
# medians and their ratios to the baseline.  Loopback only; a few minutes.
# bench/README.md explains every number.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
CONNS=${CONNS:-32}
QUEUE=${QUEUE:-100000}
FLASH_SECONDS=${FLASH_SECONDS:-10}
LOAD_SECONDS=${LOAD_SECONDS:-10}
B=$BUILD/bench/bench_switch
DENPOD=${DENPOD:-$BUILD/denpod} # another daemon binary may be compared against the same run

mkdir -p "$BUILD/bench" # the Makefile's link rule does not create it
make -s BUILD="$BUILD" "$BUILD/denpod" "$BUILD/bench/bench_baseline" "$B" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-bench.XXXXXX")
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

val() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
pct() { sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (!NR) { print 0; exit } i = int(p / 100 * (NR - 1) + 0.5) + 1; print v[i] }'; }

echo "== baseline (same machine, same run) =="
"$BUILD/bench/bench_baseline" "$T" | tee "$T/base.txt"
ED=$(val ed25519_verify_4k "$T/base.txt")
SQ=$(val sqlite_wal_full_4k_batch100 "$T/base.txt")

# ---- a fresh switch on a free loopback port ----
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_switch() {
	local tries=0
	while :; do
		PORT=$((20000 + RANDOM % 40000))
		port_free "$PORT" || continue
		rm -rf "$T/sw"
		"$BUILD/denpod" init --data "$T/sw" --listen "127.0.0.1:$PORT" --url "https://127.0.0.1:$PORT" >/dev/null
		[ -n "${DENPOD_CONF:-}" ] && printf '%b\n' "$DENPOD_CONF" >>"$T/sw/denpod.conf"
		"$BUILD/denpod" post add HQ --hq --data "$T/sw" >/dev/null
		"$BUILD/denpod" post add TOKYO --data "$T/sw" >/dev/null
		rm -rf "$T/b"
		"$B" setup "$T/b" >/dev/null
		for f in "$T"/b/req/*.req; do
			"$BUILD/denpod" approve "$f" --out "$T/b/ans/$(basename "$f" .req).ans" \
				--clearance SECRET --data "$T/sw" >/dev/null
		done
		"$DENPOD" run --data "$T/sw" 2>"$T/denpod.log" &
		PID=$!
		for _ in $(seq 50); do
			grep -q listening "$T/denpod.log" 2>/dev/null && return 0
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		PID=
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "run.sh: denpod did not start:" >&2
			cat "$T/denpod.log" >&2
			exit 1
		fi
	done
}
start_switch
echo "== switch on 127.0.0.1:$PORT ($(ls "$T"/b/ans | wc -l) devices enrolled) =="

# every ROUTINE cable below is queued for bench.r0 (never fetched): the queue depth
QUEUED=0
bs() { # COMMAND LABEL ARGS...: one bench_switch run, output in $T/one.txt
	local cmd=$1 label=$2
	shift 2
	timeout 300 "$B" "$cmd" "$T/b" "$@" --conns "$CONNS" --label "$label" 2>"$T/err.txt" >"$T/one.txt" ||
		{ cat "$T/one.txt" "$T/err.txt" >&2; echo "run.sh: $label failed" >&2; exit 1; }
}

R1=() P1=() L1=() R20=() P20=() L20=()
for i in $(seq "$RUNS"); do
	bs load "r1_$i" --recipients 1 --cables 20000 --seconds "$LOAD_SECONDS"
	R1+=("$(val "r1_${i}_rate" "$T/one.txt")") L1+=("$(val "r1_${i}_p50" "$T/one.txt")")
	P1+=("$(val "r1_${i}_p99" "$T/one.txt")")
	QUEUED=$((QUEUED + $(val "r1_${i}_accepted" "$T/one.txt")))
	echo "  run $i, 1 recipient:   ${R1[-1]} cables/s, answer p50 ${L1[-1]} ms, p99 ${P1[-1]} ms"
done
for i in $(seq "$RUNS"); do
	bs load "r20_$i" --recipients 20 --cables 6000 --seconds "$LOAD_SECONDS"
	R20+=("$(val "r20_${i}_rate" "$T/one.txt")") L20+=("$(val "r20_${i}_p50" "$T/one.txt")")
	P20+=("$(val "r20_${i}_p99" "$T/one.txt")")
	QUEUED=$((QUEUED + $(val "r20_${i}_accepted" "$T/one.txt")))
	echo "  run $i, 20 recipients: ${R20[-1]} cables/s, answer p50 ${L20[-1]} ms, p99 ${P20[-1]} ms"
done
CAP=$(median "${R1[@]}")
RATE=$(awk -v c="$CAP" 'BEGIN { printf "%d", c * 0.8 }')

FP50=() FP99=() FR=() QD=()
: >"$T/flash.raw"
for i in $(seq "$RUNS"); do
	FILL=$((QUEUE > QUEUED ? QUEUE - QUEUED : 0))
	bs flash "f_$i" --rate "$RATE" --seconds "$FLASH_SECONDS" --fill "$FILL" --fill-seconds 60 \
		--raw "$T/flash.raw"
	QUEUED=$((QUEUED + $(val "f_${i}_filled" "$T/one.txt")))
	QD+=("$QUEUED")
	QUEUED=$((QUEUED + $(val "f_${i}_flood_accepted" "$T/one.txt")))
	FP50+=("$(val "f_${i}_p50" "$T/one.txt")") FP99+=("$(val "f_${i}_p99" "$T/one.txt")")
	FR+=("$(val "f_${i}_flood_rate" "$T/one.txt")")
	echo "  run $i, FLASH: p50 ${FP50[-1]} ms, p99 ${FP99[-1]} ms over $(val "f_${i}_flash_sent" "$T/one.txt") FLASH;" \
		"ROUTINE flood ${FR[-1]}/s (target $RATE/s), ${QD[-1]} cables queued at start"
done

kill "$PID"
wait "$PID" 2>/dev/null || true
PID=

M1=$(median "${R1[@]}") M20=$(median "${R20[@]}")
echo
echo "== results: medians of $RUNS runs, $CONNS keep-alive mTLS connections, 4 KiB body =="
printf '%-44s %8s /s\n' "Ed25519 verify 4 KiB (1 core)" "$ED"
printf '%-44s %8s rows/s\n' "SQLite WAL FULL 4 KiB, batches of 100" "$SQ"
printf '%-44s %8s /s  p50 %s ms  p99 %s ms  = %s x Ed25519, %s x SQLite\n' \
	"accepted cables, 1 recipient device" "$M1" "$(median "${L1[@]}")" "$(median "${P1[@]}")" \
	"$(ratio "$M1" "$ED")" "$(ratio "$M1" "$SQ")"
printf '%-44s %8s /s  p50 %s ms  p99 %s ms  = %s x Ed25519, %s x SQLite\n' \
	"accepted cables, 20 recipient devices" "$M20" "$(median "${L20[@]}")" "$(median "${P20[@]}")" \
	"$(ratio "$M20" "$ED")" "$(ratio "$M20" "$SQ")"
printf '%-44s %8s ms p99 %s ms (median of runs); pooled %s samples: p50 %s ms p99 %s ms\n' \
	"FLASH submit -> waiting inbox, p50" "$(median "${FP50[@]}")" "$(median "${FP99[@]}")" \
	"$(wc -l <"$T/flash.raw")" "$(pct "$T/flash.raw" 50)" "$(pct "$T/flash.raw" 99)"
printf '%-44s %8s /s (80 %% of %s), %s..%s cables queued\n' "  under ROUTINE flood" \
	"$(median "${FR[@]}")" "$CAP" "${QD[0]}" "$QUEUED"
if [ "${QD[0]}" -lt "$QUEUE" ]; then
	echo "  note: the queue reached ${QD[0]} cables before the first FLASH run, not $QUEUE (fill capped at 60 s)"
fi
echo "goals (PRODUCT.md 6): >= 15000 cables/s with answer p99 <= 10 ms; FLASH p99 <= 5 ms"
