#!/usr/bin/env bash
# bench/conn_siege.sh - an officer's sends while the switch's port is besieged.
#
#   bench/conn_siege.sh   (env: BUILD=build, RUNS=3, RATE=10, SECS=20, SCENARIOS="quiet fd1024 crowd",
#                               DENPOD=$BUILD/denpod, BASE_DENPOD= another denpod to compare,
#                               RAW_DIR= keep each send's start, latency and status there)
#
# One switch (made here, on a free 127.0.0.1 port, with the bench devices of
# bench_switch), restarted for each run of each scenario:
#   quiet    no attack: the baseline of the same run
#   fd1024   denpod at a 1,024-descriptor limit; 1,100 connections from 200
#            addresses (127.0.1.x) that start a TLS handshake and trickle it
#            a byte a second, reconnecting at once when closed
#   crowd    65,536 descriptors (or the hard limit, if lower); 3,000 such slow handshakes (127.0.2.x) and
#            2,000 silent connections (127.0.3.x), all reconnecting
# Meanwhile bench_switch sends RATE cables/s for SECS s from 127.0.0.1, each
# on a new connection (TCP + TLS handshake + commit, as `denpo send` does),
# and gives up on a send after 20 s.  Per scenario and denpod: failed sends,
# answer p50 / p99 (medians of RUNS) and denpod's CPU during the sends (all its
# processes).
# Goal (issue 11): under fd1024 and crowd, no send fails and p99 < 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
RATE=${RATE:-10}
SCENARIOS=${SCENARIOS:-quiet fd1024 crowd}
SECS=${SECS:-20}
DENPOD=${DENPOD:-$BUILD/denpod}
BASE_DENPOD=${BASE_DENPOD:-}
B=$BUILD/bench/bench_switch
SIEGE=$BUILD/tests/tool_siege
mkdir -p "$BUILD/bench"
make -s BUILD="$BUILD" "$BUILD/denpod" "$B" "$SIEGE" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-siege.XXXXXX")
PID= SP=()
cleanup() {
	for p in "${SP[@]}" $PID; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

val() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- the switch and its devices, once ----
while :; do
	PORT=$((20000 + RANDOM % 40000))
	port_free "$PORT" && break
done
"$BUILD/denpod" init --data "$T/sw" --listen "127.0.0.1:$PORT" --url "https://127.0.0.1:$PORT" >/dev/null
"$BUILD/denpod" post add HQ --hq --data "$T/sw" >/dev/null
"$BUILD/denpod" post add TOKYO --data "$T/sw" >/dev/null
"$B" setup "$T/b" >/dev/null
for f in "$T"/b/req/*.req; do
	"$BUILD/denpod" approve "$f" --out "$T/b/ans/$(basename "$f" .req).ans" --clearance SECRET \
		--data "$T/sw" >/dev/null
done

# run DENPOD NOFILE: denpod in the background ($PID) at that descriptor limit
run() {
	local n
	n=$(grep -c listening "$T/denpod.log" 2>/dev/null || true)
	(ulimit -n "$2" && exec "$1" run --data "$T/sw") >>"$T/denpod.log" 2>&1 &
	PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c listening "$T/denpod.log")" -gt "${n:-0}" ] && return 0
		sleep 0.1
	done
	echo "conn_siege.sh: denpod did not start" >&2
	tail "$T/denpod.log" >&2
	exit 1
}
stop() {
	for p in "${SP[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	SP=()
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=
}
siege() { # MODE N FROM ADDRS
	"$SIEGE" 127.0.0.1 "$PORT" "$1" "$2" --from "$3" --addrs "$4" --seconds $((SECS + 40)) \
		>"$T/siege.$1" 2>&1 &
	SP+=($!)
}
# CPU ticks of denpod's processes: the one started and its children (since the
# signer split, the network process is a child; an older denpod is one process)
cpu() {
	local p t=0
	for p in "$PID" $(pgrep -P "$PID"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# one DENPOD SCENARIO RUN: prints "errors p50 p99 cpu%"
one() {
	local d=$1 sc=$2 i=$3 nofile=$NORMAL
	[ "$sc" = fd1024 ] && nofile=1024
	run "$d" "$nofile"
	case $sc in
	fd1024) siege slowtls 1100 127.0.1.1 200 ;;
	crowd) siege slowtls 3000 127.0.2.1 250; siege idle 2000 127.0.3.1 250 ;;
	esac
	sleep 3 # the crowd gathers
	local c0 c1 tick
	c0=$(cpu)
	timeout $((SECS + 120)) "$B" sends "$T/b" --rate "$RATE" --seconds "$SECS" --conns 64 \
		--label s --raw "$T/raw.$sc.$i" >"$T/one.txt" 2>"$T/err.txt" || { cat "$T/err.txt" >&2; exit 1; }
	[ -z "${RAW_DIR:-}" ] || cp "$T/raw.$sc.$i" "$RAW_DIR/$(basename "$d").$sc.$i.txt"
	c1=$(cpu)
	tick=$(getconf CLK_TCK)
	stop
	echo "$(val s_errors "$T/one.txt") $(val s_p50 "$T/one.txt") $(val s_p99 "$T/one.txt")" \
		"$(awk -v a="$c0" -v b="$c1" -v t="$tick" -v s="$SECS" 'BEGIN { printf "%.0f", (b - a) / t / s * 100 }')"
}

# "a normal limit": what a systemd unit would set (LimitNOFILE=65536), or the hard limit here
NORMAL=$(ulimit -Hn)
[ "$NORMAL" = unlimited ] || [ "$NORMAL" -gt 65536 ] && NORMAL=65536
declare -A RES
echo "== $RATE sends/s for $SECS s, each on a new connection; $RUNS runs each =="
for d in "$DENPOD" $BASE_DENPOD; do
	for sc in $SCENARIOS; do
		E=() P50=() P99=() C=()
		for i in $(seq "$RUNS"); do
			one "$d" "$sc" "$i" >"$T/res"
			read -r e p50 p99 c <"$T/res"
			E+=("$e") P50+=("$p50") P99+=("$p99") C+=("$c")
			echo "  $d $sc run $i: $e failed, p50 $p50 ms, p99 $p99 ms, denpod CPU $c %"
		done
		RES[$d $sc]="$(median "${E[@]}") $(median "${P50[@]}") $(median "${P99[@]}") $(median "${C[@]}")"
	done
done
echo
echo "== medians of $RUNS runs =="
printf '%-28s %-8s %8s %10s %10s %8s %10s\n' denpod scenario failed p50_ms p99_ms cpu_% p99/quiet
for d in "$DENPOD" $BASE_DENPOD; do
	read -r _ _ q99 _ <<<"${RES[$d quiet]}"
	for sc in $SCENARIOS; do
		read -r e p50 p99 c <<<"${RES[$d $sc]}"
		printf '%-28s %-8s %8s %10s %10s %8s %10s\n' "$d" "$sc" "$e" "$p50" "$p99" "$c" \
			"$(awk -v a="$p99" -v b="$q99" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')"
	done
done
echo "goal (issue 11): fd1024 and crowd with 0 failed and p99 < 1000 ms"
