#!/usr/bin/env bash
# bench/floor.sh - the switch's CPU per cable beside the floor under it: the same load against
# bench_floor (bench/bench_floor.c: the switch's TLS, HTTP and event loop and nothing behind
# them; with --crypto also the signature and the two SHA-256 every submission needs), and the
# share of issue 17's goal that the floor leaves to the store, the policy and the log.
#
#   bench/floor.sh
#   env: BUILD=build, PAIRS=3, RECIPIENTS=1, CABLES=60000, LOAD_SECONDS=8, CONNS=32, GOAL
#
# Each round: a fresh switch (bench/switch_setup.sh), and on its data directory, one after the
# other (the first rotating from round to round), denpod, bench_floor and bench_floor --crypto
# under the same `bench_switch load`.
# For each: the server's CPU per accepted cable (all its processes, from /proc) and the load
# generator's own (its l_gen_cpu_us).  bench_baseline gives the 2-core Ed25519 rate R once,
# first.  The goal (issue 17: accepted cables/s >= GOAL x R, GOAL 0.4 at 1 recipient, 0.15 at
# more) leaves 2 cores / (GOAL x R) of CPU per cable for the switch and the generator
# together; the last lines say how much of that the floors take.  Medians of the rounds; the machine's speed moves between runs, so each server's
# figure is also given over the crypto floor's of the same round.
# bench/README.md ("Issue 17, sixth session: the floor") explains the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
B=$BUILD/bench/bench_switch
. bench/switch_setup.sh

PAIRS=${PAIRS:-3} RECIPIENTS=${RECIPIENTS:-1} CABLES=${CABLES:-60000}
GOAL=${GOAL:-$([ "$RECIPIENTS" = 1 ] && echo 0.4 || echo 0.15)}
HZ=$(getconf CLK_TCK)
LOAD_SECONDS=${LOAD_SECONDS:-8} CONNS=${CONNS:-32}
make -s BUILD="$BUILD" "$BUILD/denpod" "$B" "$BUILD/bench/bench_floor" "$BUILD/bench/bench_baseline" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-floor.XXXXXX")
PID=""
stop() {
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
	PID=""
}
cleanup() { stop; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# serve NAME CMD...: start a server, wait until it listens ("listening" on its stderr)
serve() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.log" &
	PID=$!
	for _ in $(seq 100); do grep -q listening "$T/$name.log" && return 0; sleep 0.1; done
	cat "$T/$name.log" >&2
	echo "floor.sh: $name did not start" >&2
	exit 1
}

# measure NAME: one load against the server started as NAME; "NAME_us X" and "NAME_gen_us Y"
measure() {
	local name=$1 c0 c1 n
	c0=$(denpod_cpu "$PID")
	timeout 600 "$B" load "$T/b" --recipients "$RECIPIENTS" --cables "$CABLES" \
		--seconds "$LOAD_SECONDS" --conns "$CONNS" --label l >"$T/load.txt" 2>"$T/load.err" ||
		{ cat "$T/load.txt" "$T/load.err" >&2; echo "floor.sh: the load on $name failed" >&2; exit 1; }
	c1=$(denpod_cpu "$PID")
	n=$(val l_accepted "$T/load.txt")
	[ "${n:-0}" -gt 0 ] || { cat "$T/load.txt" >&2; echo "floor.sh: $name accepted no cable" >&2; exit 1; }
	echo "${name}_us $(awk -v c=$((c1 - c0)) -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.1f", c * 1e6 / hz / n }')"
	echo "${name}_gen_us $(val l_gen_cpu_us "$T/load.txt")"
	echo "${name}_rate $(val l_rate "$T/load.txt")"
}

echo "== $RECIPIENTS recipient(s), $CABLES cables built, $LOAD_SECONDS s, $CONNS connections; load average $(cut -d' ' -f1-3 /proc/loadavg) =="
"$BUILD/bench/bench_baseline" "$T" >"$T/base.txt"
R=$(val ed25519_verify_4k_2core "$T/base.txt")
echo "Ed25519 verify, 2 cores: $R /s"

KEYS=(denpod_us floor_us crypto_us denpod_gen_us floor_gen_us crypto_gen_us denpod_rate floor_rate crypto_rate)
declare -A ALL
for i in $(seq "$PAIRS"); do
	rm -rf "$T/sw"
	port=$(free_port)
	bench_switch_init "$T/sw" "$T/b" "$port" "https://127.0.0.1:$port"
	# the three in turn, the first of them rotating from round to round (the machine's
	# speed drifts within minutes)
	: >"$T/round.txt"
	for j in 0 1 2; do
		case $(((i + j) % 3)) in
		1) serve denpod "$BUILD/denpod" run --data "$T/sw"; measure denpod >>"$T/round.txt" ;;
		2) serve floor "$BUILD/bench/bench_floor" --data "$T/sw"; measure floor >>"$T/round.txt" ;;
		0) serve crypto "$BUILD/bench/bench_floor" --data "$T/sw" --crypto; measure crypto >>"$T/round.txt" ;;
		esac
		stop
	done
	[ "$(val floor_refused "$T/crypto.out")" = 0 ] ||
		{ echo "floor.sh: bench_floor --crypto refused a submission" >&2; exit 1; }
	line="round $i:"
	for k in "${KEYS[@]}"; do
		v=$(val "$k" "$T/round.txt")
		ALL[$k]+="$v "
		line+=" $k $v"
	done
	ALL[denpod_over_crypto]+="$(awk -v a="$(val denpod_us "$T/round.txt")" -v b="$(val crypto_us "$T/round.txt")" 'BEGIN { printf "%.2f", a / b }') "
	echo "$line"
done
echo
declare -A M
line="median:"
for k in "${KEYS[@]}" denpod_over_crypto; do
	# shellcheck disable=SC2086 # the values, one word each
	M[$k]=$(median ${ALL[$k]})
	line+=" $k ${M[$k]}"
done
echo "$line"
awk -v q="$GOAL" -v r="$R" -v d="${M[denpod_us]}" -v f="${M[floor_us]}" -v c="${M[crypto_us]}" \
	-v g="${M[denpod_gen_us]}" -v gc="${M[crypto_gen_us]}" 'BEGIN {
	budget = 2e6 / (q * r)
	printf "budget at %s x %d /s: %.1f us of CPU a cable, switch and generator together\n", q, r, budget
	printf "  the generator: %.1f us (against the switch), %.1f us (against the crypto floor)\n", g, gc
	printf "  the floor: TLS, HTTP and the loop %.1f us; with the signature and hashes %.1f us\n", f, c
	printf "  left for the store, the policy and the log: %.1f us; the switch spends %.1f us over the crypto floor\n", budget - gc - c, d - c
	printf "  the switch now: %.1f us + the generator %.1f us = %.1f us (%.2f x the budget)\n", d, g, d + g, (d + g) / budget
}'
