#!/usr/bin/env bash
# bench/inbox_cost.sh - what checking the inbox against the envelopes and the
# log costs an officer (issue 11 item 4).
#
#   bench/inbox_cost.sh        (env: BUILD=build, BASE=/work/main/build or any
#                               other build directory, CABLES=1000, RUNS=7)
#
# For each of the two builds (BASE, then this BUILD) a fresh switch on a free
# loopback port, two devices (a sender at HQ, a reader at TOKYO), and CABLES
# cables queued for the reader (tests/tool_flood: real signed envelopes,
# 512-byte payloads, 8 senders).  Then, alternately on one switch and the
# other so machine noise hits both alike, RUNS timings of
#   denpo inbox                  (the switch lists at most 100 of them),
#   denpo --json inbox,
#   denpo archive --limit 1000   (all 1,000 listed, so all 1,000 checked),
# each a whole process: keystore opened, log witnessed, key upkeep, the
# request(s), the checks, the output.  Prints the medians and the ratio
# this/BASE.  A minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BASE=${BASE:-/work/main/build}
CABLES=${CABLES:-1000}
RUNS=${RUNS:-7}
case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
for b in "$BASE" "$BUILD"; do
	for p in denpod denpo tests/tool_flood; do
		[ -x "$b/$p" ] || { echo "missing $b/$p (make BUILD=...)" >&2; exit 1; }
	done
done
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="bench passphrase"
unset DENPO_HOME
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-inbox.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# setup NAME BUILDDIR: a switch in $T/NAME with hq.s (sender) and tk.r (reader), CABLES queued
setup() {
	local n=$1 b=$2 port d
	port=$(free_port)
	d="$T/$n"
	mkdir -p "$d"
	"$b/denpod" init --data "$d/sw" --url "https://127.0.0.1:$port" --listen "127.0.0.1:$port" >/dev/null
	"$b/denpod" post add HQ --hq --data "$d/sw" >/dev/null
	"$b/denpod" post add TOKYO --data "$d/sw" >/dev/null
	"$b/denpod" officer add hq.s --post HQ --clearance SECRET --data "$d/sw" >/dev/null
	"$b/denpod" officer add tk.r --post TOKYO --clearance SECRET --data "$d/sw" >/dev/null
	for o in hq.s:HQ tk.r:TOKYO; do
		"$b/denpo" --home "$d/${o%%:*}" init --officer "${o%%:*}" --post "${o#*:}" >/dev/null
		"$b/denpod" approve "$d/${o%%:*}/enrol-request.txt" --out "$d/${o%%:*}.answer" --data "$d/sw" >/dev/null
		"$b/denpo" --home "$d/${o%%:*}" enrol --answer "$d/${o%%:*}.answer" >/dev/null
	done
	"$b/denpod" run --data "$d/sw" >>"$d/run.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do grep -q listening "$d/run.log" 2>/dev/null && break; sleep 0.1; done
	# the reader publishes its key epochs, then the sender floods it
	"$b/denpo" --home "$d/tk.r" inbox >/dev/null
	mkdir -p "$d/subs"
	"$b/tests/tool_flood" "$d/hq.s" TOKYO "$CABLES" "$d/subs" 8 300 >"$d/flood.txt"
	[ "$(grep -c '^ok' "$d/flood.txt")" = "$CABLES" ] || { echo "$n: flood failed" >&2; exit 1; }
	sleep 1 # the last cables under a signed checkpoint
	"$b/denpo" --home "$d/tk.r" --json archive --limit 1000 | jq -e ".cables | length == $(( CABLES < 1000 ? CABLES : 1000 ))" >/dev/null ||
		{ echo "$n: the reader does not list the cables" >&2; exit 1; }
}

# cpu_ns PID: nanoseconds the process (all its threads) has run on a CPU
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
# run1 NAME BUILDDIR PID ARGS...: "WALL CLIENT SWITCH" milliseconds of one denpo run on the
# reader of NAME: wall clock, the client's CPU (user + system), the switch's CPU meanwhile
run1() {
	local n=$1 b=$2 pid=$3 s0 s1 t
	shift 3
	s0=$(cpu_ns "$pid")
	t=$( { TIMEFORMAT='%3R %3U %3S'; time "$b/denpo" --home "$T/$n/tk.r" "$@" >/dev/null 2>"$T/$n/err"; } 2>&1 ) ||
		{ cat "$T/$n/err" >&2; exit 1; }
	s1=$(cpu_ns "$pid")
	awk -v t="$t" -v d=$((s1 - s0)) 'BEGIN { split(t, a, " "); printf "%.0f %.0f %.0f", a[1] * 1000, (a[2] + a[3]) * 1000, d / 1e6 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== setup: $CABLES cables queued for one reader, on a switch of each build =="
setup base "$BASE"
setup this "$BUILD"

declare -A M
CASES=("inbox" "--json inbox" "archive --limit 1000")
KINDS=(wall client switch)
for i in $(seq "$RUNS"); do
	line="  run $i (wall/client CPU/switch CPU, ms):"
	for c in "${CASES[@]}"; do
		for side in base this; do
			# shellcheck disable=SC2086
			if [ $side = base ]; then r=$(run1 base "$BASE" "${PIDS[0]}" $c); else r=$(run1 this "$BUILD" "${PIDS[1]}" $c); fi
			read -r w u s <<<"$r"
			M["$side $c wall"]+=" $w"
			M["$side $c client"]+=" $u"
			M["$side $c switch"]+=" $s"
			line+=" [$side $c] $w/$u/$s"
		done
	done
	echo "$line"
done
echo
echo "== medians of $RUNS runs (ms per command; BASE=$BASE, this=$BUILD) =="
printf '%-28s %-7s %9s %9s %7s\n' command what base this ratio
for c in "${CASES[@]}"; do
	for k in "${KINDS[@]}"; do
		# shellcheck disable=SC2086
		mb=$(median ${M["base $c $k"]})
		# shellcheck disable=SC2086
		mt=$(median ${M["this $c $k"]})
		awk -v c="denpo $c" -v k="$k" -v b="$mb" -v t="$mt" \
			'BEGIN { printf "%-28s %-7s %9.0f %9.0f %7s\n", c, k, b, t, (b > 0 ? sprintf("%.2f", t / b) : "-") }'
	done
done
