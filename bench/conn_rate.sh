#!/usr/bin/env bash
# bench/conn_rate.sh - new mutual-TLS connections per second, one request each.
#
#   bench/conn_rate.sh   (env: BUILD=build, RUNS=3, CONNS=16, SECS=5, DEVICES=8,
#                              PATH_=/v1/health, CLIENT=openssl (or curl), DENPOD=$BUILD/denpod,
#                              BASE_DENPOD= another denpod to compare, run alternately)
#
# One switch (SQLite, a free 127.0.0.1 port, the bench devices of bench_switch:
# bench/switch_setup.sh), restarted for each run.  bench_connrate keeps CONNS
# requests in flight for SECS s, each a GET PATH_ (an authenticated request
# that reads no cable) on a NEW TCP + TLS 1.3 connection with a client
# certificate (one of DEVICES enrolled devices) and no TLS session resumed:
# a full mutual-TLS handshake per request.  The client is OpenSSL over epoll
# (CLIENT=curl: libcurl as denpo uses it, which costs the client three times
# the CPU, ~1.3 ms a connection, and on 2 cores starves the switch).  Per denpod: connections/s, p50 /
# p99 from connect to answer, denpod's CPU per connection (all its processes,
# from /proc) and the client's, medians of RUNS.  Beside it, in the same run:
# the bare OpenSSL 3 handshake with the same key types in one process
# (bench_connrate baseline: both sides on one core, and the server side's
# CPU alone, the floor of denpod's CPU per connection; CPU time, so other
# processes on the machine do not move it).  conn/s/core is 1e6 / denpod's
# CPU per connection: the rate its one loop thread sustains on a core of its
# own, the figure to read on a busy machine where the measured conn/s is
# what was left to the switch and the client.
# Goal (issue 17): >= 1,500 connections/s.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
CONNS=${CONNS:-16}
SECS=${SECS:-5}
DEVICES=${DEVICES:-8}
PATH_=${PATH_:-/v1/health}
CLIENT=${CLIENT:-openssl}
DENPOD=${DENPOD:-$BUILD/denpod}
BASE_DENPOD=${BASE_DENPOD:-}
B=$BUILD/bench/bench_switch
C=$BUILD/bench/bench_connrate
mkdir -p "$BUILD/bench"
make -s BUILD="$BUILD" "$BUILD/denpod" "$B" "$C" >/dev/null
# shellcheck source=bench/switch_setup.sh
. bench/switch_setup.sh

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-connrate.XXXXXX")
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

run() { # DENPOD: in the background ($PID), until it listens
	local n
	n=$(grep -c listening "$T/denpod.log" 2>/dev/null || true)
	"$1" run --data "$T/sw" >>"$T/denpod.log" 2>&1 &
	PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c listening "$T/denpod.log")" -gt "${n:-0}" ] && return 0
		sleep 0.1
	done
	echo "conn_rate.sh: denpod did not start" >&2
	tail "$T/denpod.log" >&2
	exit 1
}
stop() {
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=
}

# one DENPOD: prints "conns/s p50 p99 denpod_us client_us errors"
one() {
	run "$1"
	sleep 0.5
	local c0 c1 tick
	c0=$(denpod_cpu "$PID")
	timeout $((SECS + 60)) "$C" load "$T/b" --seconds "$SECS" --conns "$CONNS" --devices "$DEVICES" \
		--path "$PATH_" --client "$CLIENT" --label c >"$T/one.txt" 2>"$T/err.txt" || { cat "$T/err.txt" >&2; exit 1; }
	c1=$(denpod_cpu "$PID")
	tick=$(getconf CLK_TCK)
	stop
	echo "$(val c_conns_per_s "$T/one.txt") $(val c_p50 "$T/one.txt") $(val c_p99 "$T/one.txt")" \
		"$(awk -v a="$c0" -v b="$c1" -v t="$tick" -v n="$(val c_done "$T/one.txt")" \
			'BEGIN { printf "%.0f", n ? (b - a) / t / n * 1e6 : 0 }')" \
		"$(val c_client_cpu_us "$T/one.txt") $(val c_errors "$T/one.txt")"
}

declare -A R P50 P99 CPU CCPU ERR
HS=() SUS=()
echo "== $CONNS requests in flight for $SECS s, each GET $PATH_ on a new mutual-TLS connection ($CLIENT client); $RUNS runs =="
for i in $(seq "$RUNS"); do
	"$C" baseline --seconds 2 --label b >"$T/base.txt"
	HS+=("$(val b_hs_per_s "$T/base.txt")") SUS+=("$(val b_server_us "$T/base.txt")")
	echo "  run $i: OpenSSL in-process: ${HS[-1]} handshakes per CPU second (both sides), server side ${SUS[-1]} us"
	for d in "$DENPOD" $BASE_DENPOD; do
		one "$d" >"$T/res"
		read -r r p50 p99 c cc e <"$T/res"
		R[$d]+="$r " P50[$d]+="$p50 " P99[$d]+="$p99 " CPU[$d]+="$c " CCPU[$d]+="$cc " ERR[$d]+="$e "
		echo "  run $i: $d: $r conn/s, p50 $p50 ms, p99 $p99 ms, denpod $c us/conn, client $cc us/conn, $e errors"
	done
done
echo
echo "== medians of $RUNS runs (load average: $(cut -d' ' -f1-3 /proc/loadavg)) =="
printf '%-32s %7s %7s %7s %11s %11s %11s %6s\n' denpod conn/s p50_ms p99_ms denpod_us/c conn/s/core \
	client_us/c errors
for d in "$DENPOD" $BASE_DENPOD; do
	# shellcheck disable=SC2086
	c=$(median ${CPU[$d]})
	# shellcheck disable=SC2086
	printf '%-32s %7s %7s %7s %11s %11s %11s %6s\n' "$d" "$(median ${R[$d]})" "$(median ${P50[$d]})" \
		"$(median ${P99[$d]})" "$c" "$(awk -v c="$c" 'BEGIN { printf "%.0f", (c > 0) ? 1e6 / c : 0 }')" \
		"$(median ${CCPU[$d]})" "$(median ${ERR[$d]})"
done
printf 'OpenSSL baseline (in-process, Ed25519 both sides, TLS 1.3): %s handshakes per CPU second, server side %s us (%s/s per core)\n' \
	"$(median "${HS[@]}")" "$(median "${SUS[@]}")" "$(awk -v c="$(median "${SUS[@]}")" 'BEGIN { printf "%.0f", (c > 0) ? 1e6 / c : 0 }')"
echo "conn/s/core: what denpod's one loop thread sustains at its CPU per connection (1e6 / denpod_us/c)"
echo "goal (issue 17): >= 1500 conn/s; denpod_us/c near the server side's us"
