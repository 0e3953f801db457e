#!/usr/bin/env bash
# bench/flash_cost.sh - a FLASH to a waiting inbox under the ROUTINE flood
# (bench/run.sh's FLASH part alone), two daemons alternately on ONE switch,
# and with a trace build where each FLASH's time goes, stage by stage.
#
#   bench/flash_cost.sh                    A=$BUILD/denpod only: FLASH runs
#   A=/tmp/base/denpod B=build/denpod bench/flash_cost.sh
#                                          A, B, A, B, ... (PAIRS of each)
#   TRACE=build-trace/denpod bench/flash_cost.sh
#                                          one daemon built with -DDPD_FLASH_TRACE
#                                          (denpod/ftrace.h): the stages' p50/p99
#   env: BUILD=build, PAIRS=3, CONNS=32, QUEUE=100000, FLASH_SECONDS=10,
#        RATE (the flood, cables/s; default FLASH_LOAD=0.8 of a 5 s r1 run of A),
#        DENPOD_CONF="key=value\n..." appended to denpod.conf (both daemons)
#
# One switch (fresh, SQLite, free 127.0.0.1 port) is filled to QUEUE ROUTINE
# cables for bench.r0 once; then each run restarts denpod on it with the
# daemon of its turn, so both see the same (slowly deepening) queue and the
# same machine noise.  Prints each run's FLASH p50/p99 and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
B_BIN=${B:-}
PAIRS=${PAIRS:-3} CONNS=${CONNS:-32} QUEUE=${QUEUE:-100000} FLASH_SECONDS=${FLASH_SECONDS:-10}
FLASH_LOAD=${FLASH_LOAD:-0.8}
BS=$BUILD/bench/bench_switch
B=$BS # switch_setup.sh's name for it
A=${A:-${TRACE:-$BUILD/denpod}}
make -s BUILD="$BUILD" "$BUILD/denpod" "$BS" >/dev/null
. bench/switch_setup.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-flash.XXXXXX")
PID=""
stop() { [ -z "$PID" ] || { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }; }
trap 'stop; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
DENPOD=$A bench_switch_init "$T/sw" "$T/b" "$PORT" "https://127.0.0.1:$PORT"
[ -n "${DENPOD_CONF:-}" ] && printf '%b\n' "$DENPOD_CONF" >>"$T/sw/denpod.conf"
# start DAEMON LOG: denpod on the switch; the port is in the devices' answers, so one that
# another program took meanwhile (the machine is shared) is waited for, not changed
start() {
	for _ in $(seq 30); do
		"$1" run --data "$T/sw" 2>"$2" &
		PID=$!
		for _ in $(seq 100); do
			grep -q listening "$2" 2>/dev/null && return 0
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.1
		done
		stop
		grep -q 'cannot listen' "$2" || break
		sleep 1
	done
	cat "$2" >&2
	echo "flash_cost.sh: $1 did not start" >&2
	exit 1
}
bs() { # COMMAND LABEL ARGS...
	local cmd=$1 label=$2
	shift 2
	timeout 600 "$BS" "$cmd" "$T/b" "$@" --conns "$CONNS" --label "$label" >"$T/one.txt" 2>"$T/err.txt" ||
		{ cat "$T/one.txt" "$T/err.txt" >&2; echo "flash_cost.sh: $label failed" >&2; exit 1; }
}

start "$A" "$T/a.log"
if [ -z "${RATE:-}" ]; then
	bs load r1 --recipients 1 --cables 20000 --seconds 5
	RATE=$(awk -v c="$(val r1_rate "$T/one.txt")" -v f="$FLASH_LOAD" 'BEGIN { printf "%d", c * f }')
	echo "r1 (A): $(val r1_rate "$T/one.txt") cables/s; the flood at $FLASH_LOAD of it: $RATE/s"
fi
# the queue, once, untimed (the flood only deepens it after)
bs flash fill --rate "$RATE" --seconds 1 --fill "$QUEUE" --fill-seconds 120
echo "queue: $(val fill_filled "$T/one.txt") cables filled for bench.r0; load average $(cut -d' ' -f1-3 /proc/loadavg)"
stop

# run SIDE DAEMON I: one FLASH run on a restarted switch
declare -A P50 P99
run() {
	local side=$1 d=$2 i=$3
	start "$d" "$T/$side$i.log"
	bs flash "${side}_$i" --rate "$RATE" --seconds "$FLASH_SECONDS" --raw "$T/$side.raw"
	stop
	P50[$side]+="$(val "${side}_${i}_p50" "$T/one.txt") " P99[$side]+="$(val "${side}_${i}_p99" "$T/one.txt") "
	echo "  $side run $i ($d): FLASH p50 $(val "${side}_${i}_p50" "$T/one.txt") ms," \
		"p99 $(val "${side}_${i}_p99" "$T/one.txt") ms over $(val "${side}_${i}_flash_sent" "$T/one.txt") FLASH;" \
		"flood $(val "${side}_${i}_flood_rate" "$T/one.txt")/s (target $RATE/s); load $(cut -d' ' -f1 /proc/loadavg)"
}
for i in $(seq "$PAIRS"); do
	run a "$A" "$i"
	[ -n "${B_BIN:-}" ] && run b "$B_BIN" "$i"
done
pct() { sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(p / 100 * (NR - 1) + 0.5) + 1; print v[i] }'; }
echo "== medians of $PAIRS runs of $FLASH_SECONDS s, flood $RATE/s, $CONNS connections =="
for side in a b; do
	[ "$side" = b ] && [ -z "${B_BIN:-}" ] && continue
	d=$A
	[ "$side" = b ] && d=$B_BIN
	# shellcheck disable=SC2086
	echo "$side ($d): FLASH p50 $(median ${P50[$side]}) ms, p99 $(median ${P99[$side]}) ms;" \
		"pooled $(wc -l <"$T/$side.raw") samples p50 $(pct "$T/$side.raw" 50) p99 $(pct "$T/$side.raw" 99) ms"
done
# a trace build's lines: each stage's p50 / p90 / p99 / max (us) over every FLASH of the runs
# stages FILE TITLE: each stage's p50 / p90 / p99 / max over the FLASH of FILE, then the slowest
# tenth's mean of each (what the p99 is made of)
stages() {
	local f=$1 nf k i
	[ -s "$f" ] || return 0
	echo "== $2: $(wc -l <"$f") FLASH (us; pool_q: jobs ahead of it in the pool, pos: its place in" \
		"the loop's done list, batch: its batch's ops, inflight: the batch committing when it was added) =="
	nf=$(head -n 1 "$f" | wc -w)
	for ((i = 2; i < nf; i += 2)); do
		k=$(head -n 1 "$f" | cut -d' ' -f"$i")
		cut -d' ' -f$((i + 1)) "$f" | sort -g | awk -v k="$k" '{ v[NR] = $1 }
			function at(p) { i = int(p * NR) + 1; return v[i > NR ? NR : i] }
			END { printf "  %-12s p50 %6d  p90 %6d  p99 %6d  max %6d\n", k, at(.5), at(.9), at(.99), v[NR] }'
	done
	echo "  -- the slowest 10 % by total, each stage's mean (us):"
	sort -g -k"$nf" "$f" | awk '{ l[NR] = $0 } END {
		from = int(NR * .9) + 1
		for (r = from; r <= NR; r++) { n = split(l[r], f, " "); for (i = 3; i <= n; i += 2) { s[i] += f[i]; k[i] = f[i - 1] } }
		for (i = 3; i <= n; i += 2) printf "%s %.0f%s", k[i], s[i] / (NR - from + 1), (i + 2 <= n) ? ", " : "\n"
	}' | fold -s -w 100 | sed 's/^/     /'
}
if grep -qh '^ftrace ' "$T"/a[0-9]*.log 2>/dev/null; then
	grep -h '^ftrace ' "$T"/a[0-9]*.log | sed 's/ | / /' >"$T/ftrace.txt"
	[ -z "${KEEP:-}" ] || cp "$T/ftrace.txt" "$KEEP"
	grep '^ftrace arm 0 ' "$T/ftrace.txt" >"$T/ft0.txt" || true
	grep '^ftrace arm 1 ' "$T/ftrace.txt" >"$T/ft1.txt" || true
	stages "$T/ft0.txt" "arm 0: FLASH through the pool's queue (every other one; denpod/ftrace.h)"
	stages "$T/ft1.txt" "arm 1: FLASH checked at once on the loop"
fi
