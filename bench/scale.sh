#!/usr/bin/env bash
# bench/scale.sh - the switch with few and with many cables already stored:
# issue 17's goal that no figure falls by more than 10 % from 10,000 to
# 1,000,000 cables stored.
#
#   bench/scale.sh      (env: BUILD=build, RUNS=3, CONNS=32, SIZES="10000 1000000",
#                        LOAD_SECONDS=5, FLASH_SECONDS=5, QUEUE=20000, FILL_SECONDS=20,
#                        FLASH_LOAD=0.8, DENPOD=$BUILD/denpod, BYTES=6500)
#
# One fresh switch per size (SQLite, in a temp dir, each with its own bench
# devices), filled while stopped by bench_fill: SIZE cables of BYTES random
# bytes written through the store (denpod/store.h) in transactions of 1000,
# as the writer writes them, already delivered and acknowledged (an archive,
# not a queue), without log entries.  Then both switches run at once and
# each scenario of bench/run.sh goes to one size then the other, RUNS times
# (alternately: the machine's noise falls on both alike):
#   1 recipient, 20 recipients (closed loop, LOAD_SECONDS each), and the
#   FLASH to a waiting inbox under a ROUTINE flood at FLASH_LOAD x the
#   smallest size's 1-recipient median (the same absolute rate for every
#   size) after QUEUE cables were queued (at most FILL_SECONDS filling).
# Prints the medians per size, and each figure at the largest size as a
# share of the smallest's, marked "ok" within 10 %.  Needs about BYTES x the
# largest size of disk (6.5 GB for 1,000,000) and a few minutes to fill it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. bench/switch_setup.sh

RUNS=${RUNS:-3}
CONNS=${CONNS:-32}
read -r -a SIZES <<<"${SIZES:-10000 1000000}"
LOAD_SECONDS=${LOAD_SECONDS:-5}
FLASH_SECONDS=${FLASH_SECONDS:-5}
QUEUE=${QUEUE:-20000}
FILL_SECONDS=${FILL_SECONDS:-20}
FLASH_LOAD=${FLASH_LOAD:-0.8}
BYTES=${BYTES:-6500}
B=$BUILD/bench/bench_switch
DENPOD=${DENPOD:-$BUILD/denpod}

mkdir -p "$BUILD/bench"
make -s BUILD="$BUILD" "$BUILD/denpod" "$B" "$BUILD/bench/bench_fill" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-scale.XXXXXX")
declare -A PID=()
cleanup() {
	local p
	for p in "${PID[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== bench/scale.sh: sizes ${SIZES[*]}, $RUNS runs, $CONNS connections (load average $(loadavg)) =="
declare -A QUEUED=()
for n in "${SIZES[@]}"; do
	port=$(free_port)
	bench_switch_init "$T/sw$n" "$T/b$n" "$port" "https://127.0.0.1:$port"
	echo "  $n: $("$BUILD/bench/bench_fill" "$T/sw$n" "$n" --bytes "$BYTES")" \
		"($(du -sh "$T/sw$n" | cut -f1) in the data directory)"
	"$DENPOD" run --data "$T/sw$n" 2>"$T/denpod$n.log" &
	PID[$n]=$!
	for _ in $(seq 100); do
		grep -q listening "$T/denpod$n.log" 2>/dev/null && break
		kill -0 "${PID[$n]}" 2>/dev/null || { cat "$T/denpod$n.log" >&2; exit 1; }
		sleep 0.1
	done
	QUEUED[$n]=0
done

bs() { # SIZE COMMAND LABEL ARGS...: one bench_switch run, output in $T/one.txt
	local n=$1 cmd=$2 label=$3
	shift 3
	timeout 300 "$B" "$cmd" "$T/b$n" "$@" --conns "$CONNS" --label "$label" 2>"$T/err.txt" >"$T/one.txt" ||
		{ cat "$T/one.txt" "$T/err.txt" >&2; echo "scale.sh: $label ($n stored) failed" >&2; exit 1; }
}

declare -A R1 P1 R20 P20 FP99
for i in $(seq "$RUNS"); do
	for n in "${SIZES[@]}"; do
		bs "$n" load "r1_$i" --recipients 1 --cables 20000 --seconds "$LOAD_SECONDS"
		R1[$n]+="$(val "r1_${i}_rate" "$T/one.txt") " P1[$n]+="$(val "r1_${i}_p99" "$T/one.txt") "
		QUEUED[$n]=$((QUEUED[$n] + $(val "r1_${i}_accepted" "$T/one.txt")))
		echo "  run $i, $n stored, 1 recipient:   $(val "r1_${i}_rate" "$T/one.txt") cables/s, p99 $(val "r1_${i}_p99" "$T/one.txt") ms"
	done
done
for i in $(seq "$RUNS"); do
	for n in "${SIZES[@]}"; do
		bs "$n" load "r20_$i" --recipients 20 --cables 6000 --seconds "$LOAD_SECONDS"
		R20[$n]+="$(val "r20_${i}_rate" "$T/one.txt") " P20[$n]+="$(val "r20_${i}_p99" "$T/one.txt") "
		QUEUED[$n]=$((QUEUED[$n] + $(val "r20_${i}_accepted" "$T/one.txt")))
		echo "  run $i, $n stored, 20 recipients: $(val "r20_${i}_rate" "$T/one.txt") cables/s, p99 $(val "r20_${i}_p99" "$T/one.txt") ms"
	done
done
# shellcheck disable=SC2086
RATE=$(awk -v c="$(median ${R1[${SIZES[0]}]})" -v f="$FLASH_LOAD" 'BEGIN { printf "%d", c * f }')
for i in $(seq "$RUNS"); do
	for n in "${SIZES[@]}"; do
		fill=$((QUEUE > QUEUED[$n] ? QUEUE - QUEUED[$n] : 0))
		bs "$n" flash "f_$i" --rate "$RATE" --seconds "$FLASH_SECONDS" --fill "$fill" --fill-seconds "$FILL_SECONDS"
		QUEUED[$n]=$((QUEUED[$n] + $(val "f_${i}_filled" "$T/one.txt") + $(val "f_${i}_flood_accepted" "$T/one.txt")))
		FP99[$n]+="$(val "f_${i}_p99" "$T/one.txt") "
		echo "  run $i, $n stored, FLASH: p99 $(val "f_${i}_p99" "$T/one.txt") ms under $(val "f_${i}_flood_rate" "$T/one.txt")/s ROUTINE (target $RATE/s)"
	done
done

echo
echo "== results: medians of $RUNS runs (load average $(loadavg); 2 cores) =="
printf '%-12s %14s %12s %14s %12s %14s\n' "stored" "1 rcpt /s" "p99 ms" "20 rcpts /s" "p99 ms" "FLASH p99 ms"
declare -A M
for n in "${SIZES[@]}"; do
	# shellcheck disable=SC2086
	M[$n.r1]=$(median ${R1[$n]}) M[$n.p1]=$(median ${P1[$n]}) M[$n.r20]=$(median ${R20[$n]})
	# shellcheck disable=SC2086
	M[$n.p20]=$(median ${P20[$n]}) M[$n.f]=$(median ${FP99[$n]})
	printf '%-12s %14s %12s %14s %12s %14s\n' "$n" "${M[$n.r1]}" "${M[$n.p1]}" "${M[$n.r20]}" "${M[$n.p20]}" "${M[$n.f]}"
done
lo=${SIZES[0]} hi=${SIZES[-1]}
# share KEY HIGHER_IS_BETTER LABEL: the figure at the largest size against the smallest
share() {
	awk -v a="${M[$lo.$1]}" -v b="${M[$hi.$1]}" -v up="$2" -v l="$3" 'BEGIN {
		if (a <= 0) { printf "%-36s n/a\n", l; exit }
		d = up ? (a - b) / a : (b - a) / a   # > 0: worse at the larger size
		printf "%-36s %s -> %s: %+.1f %% %s\n", l, a, b, (up ? (b - a) : (b - a)) / a * 100,
			(d <= 0.10) ? "ok" : "FALLS MORE THAN 10 %" }'
}
echo "-- $hi stored against $lo (goal: none worse by more than 10 %)"
share r1 1 "accepted cables/s, 1 recipient"
share p1 0 "  answer p99"
share r20 1 "accepted cables/s, 20 recipients"
share p20 0 "  answer p99"
share f 0 "FLASH p99 under flood"
