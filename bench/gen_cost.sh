#!/usr/bin/env bash
# bench/gen_cost.sh - what bench_switch's load generator costs beside the
# switch it measures (issue 17: the generator shares the 2 cores with denpod).
#
#   OLD=/path/to/another/bench_switch bench/gen_cost.sh
#   env: BUILD=build, PAIRS=3, SECS=5, CONNS=32, DENPOD=$BUILD/denpod,
#        NEW=$BUILD/bench/bench_switch, RATE=1000 (the flood beside the FLASH),
#        SCENARIOS="1 20 flash" (part 1's: load to 1 and to 20 recipients, flash),
#        RUNSH=1 (then bench/run.sh too, OLD and NEW alternately)
#
# 1. One switch (SQLite, a free 127.0.0.1 port, bench/switch_setup.sh), kept
#    running; `bench_switch load` with 1 and with 20 recipients and
#    `bench_switch flash` (a RATE cables/s ROUTINE flood for SECS s, the
#    FLASH waiter beside), OLD and NEW, PAIRS times alternately (OLD first
#    in odd pairs, NEW first in even ones: neither always runs on the
#    fuller store or right after the heavier run).  Per run:
#    accepted cables/s, answer p99 (the flood's for flash, and FLASH p99),
#    the generator's CPU per accepted cable while it sends (its own
#    getrusage: the L_gen_cpu_us / L_flood_gen_cpu_us lines; cables are
#    built before, untimed; in flash the FLASH sender's and waiter's CPU is
#    in it) and denpod's (all its processes, from /proc, around the whole
#    bench_switch run: denpod is idle while the cables are built).  OLD
#    must print those lines too (bench/README.md, "Issue 17: a lighter load
#    generator", says how the old one was built).
# 2. With RUNSH=1: bench/run.sh (RUNS=1, QUEUE=0, LOAD_SECONDS=SECS,
#    FLASH_SECONDS=2) driven by OLD and by NEW (BENCH_SWITCH), PAIRS times
#    alternately (bench/pairs.sh): the switch's rates and FLASH p99 as the
#    issue's goals read them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PAIRS=${PAIRS:-3}
SECS=${SECS:-5}
CONNS=${CONNS:-32}
DENPOD=${DENPOD:-$BUILD/denpod}
NEW=${NEW:-$BUILD/bench/bench_switch}
OLD=${OLD:?OLD=another bench_switch binary to compare}
RATE=${RATE:-1000}
# shellcheck disable=SC2034 # bench_switch_init (switch_setup.sh) runs $B
B=$NEW
mkdir -p "$BUILD/bench"
make -s BUILD="$BUILD" "$BUILD/denpod" "$BUILD/bench/bench_switch" >/dev/null
# shellcheck source=bench/switch_setup.sh
. bench/switch_setup.sh

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-gencost.XXXXXX")
PID=
cleanup() {
	[ -z "$PID" ] || kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
bench_switch_init "$T/sw" "$T/b" "$PORT" "https://127.0.0.1:$PORT"
"$DENPOD" run --data "$T/sw" >"$T/denpod.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
	grep -q listening "$T/denpod.log" && break
	sleep 0.1
done
grep -q listening "$T/denpod.log" || { echo "gen_cost.sh: denpod did not start" >&2; exit 1; }
TICK=$(getconf CLK_TCK)

# one BIN load|flash RECIPIENTS CABLES: prints "rate p99 gen_us denpod_us flash_p99"
one() {
	local c0 c1 args pre=l_
	if [ "$2" = load ]; then
		args=(--recipients "$3" --cables "$4" --seconds "$SECS")
	else
		args=(--rate "$RATE" --seconds "$SECS")
		pre=l_flood_
	fi
	c0=$(denpod_cpu "$PID")
	timeout 300 "$1" "$2" "$T/b" "${args[@]}" --conns "$CONNS" --label l >"$T/one.txt" 2>"$T/err.txt" ||
		{ cat "$T/one.txt" "$T/err.txt" >&2; exit 1; }
	c1=$(denpod_cpu "$PID")
	echo "$(val "${pre}rate" "$T/one.txt") $(val "${pre}p99" "$T/one.txt") $(val "${pre}gen_cpu_us" "$T/one.txt")" \
		"$(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v n="$(val "${pre}accepted" "$T/one.txt")" \
			'BEGIN { printf "%.0f", n ? (b - a) / t / n * 1e6 : 0 }')" \
		"$(val l_p99 "$T/one.txt")"
}

declare -A R P G D F
echo "== bench_switch, $CONNS keep-alive connections, $SECS s; OLD=$OLD NEW=$NEW; load average $(cut -d' ' -f1-3 /proc/loadavg) =="
SCENARIOS=${SCENARIOS:-1 20 flash}
for i in $(seq "$PAIRS"); do
	order="OLD NEW"
	[ $((i % 2)) = 0 ] && order="NEW OLD"
	for sc in $SCENARIOS; do
		for w in $order; do
			bin=$OLD
			[ "$w" = NEW ] && bin=$NEW
			case $sc in
			1) read -r r p g d f < <(one "$bin" load 1 20000) ;;
			20) read -r r p g d f < <(one "$bin" load 20 6000) ;;
			flash) read -r r p g d f < <(one "$bin" flash) ;;
			esac
			k=$w.$sc
			R[$k]+="$r " P[$k]+="$p " G[$k]+="$g " D[$k]+="$d " F[$k]+="$f "
			echo "  pair $i, $sc, $w: $r cables/s, p99 $p ms, generator $g us/cable, denpod $d us/cable$([ "$sc" = flash ] && echo ", FLASH p99 $f ms")"
		done
	done
done
echo
echo "== medians of $PAIRS (load average $(cut -d' ' -f1-3 /proc/loadavg)) =="
printf '%-4s %-22s %9s %8s %13s %16s %13s\n' gen scenario cables/s p99_ms gen_us/cable denpod_us/cable flash_p99_ms
for sc in $SCENARIOS; do
	for w in OLD NEW; do
		k=$w.$sc
		case $sc in
		1) name="load, 1 recipient" ;;
		20) name="load, 20 recipients" ;;
		flash) name="flash, flood $RATE/s" ;;
		esac
		# shellcheck disable=SC2086
		printf '%-4s %-22s %9s %8s %13s %16s %13s\n' "$w" "$name" "$(median ${R[$k]})" "$(median ${P[$k]})" \
			"$(median ${G[$k]})" "$(median ${D[$k]})" "$([ "$sc" = flash ] && median ${F[$k]} || echo -)"
	done
done
kill "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
PID=

[ "${RUNSH:-0}" = 1 ] || exit 0
echo
echo "== bench/run.sh driven by OLD and by NEW, alternately =="
export LOAD_SECONDS=$SECS CONNS RUNS=1 FLASH_SECONDS=2 QUEUE=0
# shellcheck source=bench/pairs.sh
. bench/pairs.sh
run_a() { BENCH_SWITCH="$OLD" bench/run.sh >"$1" 2>&1; }
run_b() { BENCH_SWITCH="$NEW" bench/run.sh >"$1" 2>&1; }
pairs_compare "OLD" "NEW"
