#!/usr/bin/env bash
# bench/thread_cost.sh - where a cable's CPU goes in the switch, thread by thread, and what the
# writer writes for it; or two daemons (or two load generators) against each other in
# alternated pairs.
#
#   bench/thread_cost.sh                  PAIRS runs of $BUILD/denpod
#   A=/old/denpod B=build/denpod bench/thread_cost.sh
#                                         PAIRS pairs, A then B, and the medians of each
#   GEN_A=/old/bench_switch GEN_B=build/bench/bench_switch bench/thread_cost.sh
#                                         the same daemon, two load generators
#   env: BUILD=build, PAIRS=4, RECIPIENTS=1, CABLES=60000, LOAD_SECONDS=8, CONNS=32,
#        KEEP=DIR (each run's database and WAL copied there at the end, for bench/wal_pages.py)
#
# Each run: a fresh switch on a free 127.0.0.1 port (bench/switch_setup.sh), `bench_switch
# load`, and from /proc/PID/task/*/{stat,io} of the network process, taken just before the
# load and just after, each thread's CPU (us), bytes written and write calls per accepted
# cable, by thread name (the loop is the thread not named dpd-*).  CPU per cable is steadier
# than the rate on a shared machine, and the verify workers' CPU, which does the same work
# in every run, shows how fast the machine was: loop/verify and writer/verify are the loop's
# and the writer's CPU over theirs, the figures to compare between two daemons.
# bench/README.md ("Issue 17, fifth session") explains the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. bench/switch_setup.sh

PAIRS=${PAIRS:-4} RECIPIENTS=${RECIPIENTS:-1} CABLES=${CABLES:-60000}
LOAD_SECONDS=${LOAD_SECONDS:-8} CONNS=${CONNS:-32} KEEP=${KEEP:-}
mkdir -p "$BUILD/bench"
make -s BUILD="$BUILD" "$BUILD/denpod" "$BUILD/bench/bench_switch" >/dev/null
# the daemons and generators of sides A and B ($B is switch_setup.sh's generator from here on)
DA=${A:-$BUILD/denpod} DB=${B:-}
GEN_A=${GEN_A:-$BUILD/bench/bench_switch} GEN_B=${GEN_B:-}
SIDES=(A)
if [ -n "$DB" ] || [ -n "$GEN_B" ]; then SIDES=(A B); fi
DB=${DB:-$DA} GEN_B=${GEN_B:-$GEN_A}

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-threads.XXXXXX")
PID=""
cleanup() {
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# threads NP: "name ticks bytes calls" for each thread of process NP (the loop as "loop")
threads() {
	local t n
	for t in /proc/"$1"/task/*; do
		n=$(cat "$t/comm" 2>/dev/null) || continue
		[[ $n == dpd-* ]] || n=loop
		echo "$n $(awk '{ print $14 + $15 }' "$t/stat") $(awk '$1 == "wchar:" { w = $2 } $1 == "syscw:" { c = $2 } END { print w + 0, c + 0 }' "$t/io")"
	done
}

# one_run DENPOD GENERATOR: a fresh switch, one load; prints "key value" lines into $T/run.txt
one_run() {
	local d=$1 gen=$2 port np
	rm -rf "$T/sw"
	port=$(free_port)
	DENPOD=$d B=$gen bench_switch_init "$T/sw" "$T/b" "$port" "https://127.0.0.1:$port"
	"$d" run --data "$T/sw" 2>"$T/denpod.log" &
	PID=$!
	for _ in $(seq 100); do grep -q listening "$T/denpod.log" && break; sleep 0.1; done
	grep -q listening "$T/denpod.log" || { cat "$T/denpod.log" >&2; echo "thread_cost.sh: denpod did not start" >&2; exit 1; }
	# the network process: denpod's child with the most threads (the signer has one)
	np=$(for p in $(pgrep -P "$PID"); do echo "$(ls /proc/"$p"/task | wc -l) $p"; done | sort -n | tail -n 1 | cut -d' ' -f2)
	# taken before the generator builds its cables (several seconds, the switch idle: its
	# background work then is a few ticks, well under 1 us a cable)
	threads "$np" >"$T/before.txt"
	timeout 600 "$gen" load "$T/b" --recipients "$RECIPIENTS" --cables "$CABLES" \
		--seconds "$LOAD_SECONDS" --conns "$CONNS" --label l >"$T/load.txt" 2>"$T/load.err" ||
		{ cat "$T/load.txt" "$T/load.err" >&2; echo "thread_cost.sh: the load failed" >&2; exit 1; }
	threads "$np" >"$T/after.txt"
	[ -n "$KEEP" ] && cp "$T/sw/denpod.db" "$T/sw/denpod.db-wal" "$KEEP/"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=""
	local n
	n=$(val l_accepted "$T/load.txt")
	{
		echo "rate $(val l_rate "$T/load.txt")"
		echo "p99 $(val l_p99 "$T/load.txt")"
		# per thread name: after minus before, per accepted cable (ticks are 1/100 s)
		awk -v n="$n" 'NR == FNR { c[$1] -= $2; w[$1] -= $3; s[$1] -= $4; next }
			{ c[$1] += $2; w[$1] += $3; s[$1] += $4 }
			END { for (k in c) { printf "%s_us %.1f\n%s_bytes %.0f\n%s_writes %.2f\n", k, c[k] * 10000 / n, k, w[k] / n, k, s[k] / n; t += c[k] }
			      printf "total_us %.1f\n", t * 10000 / n
			      # over the verify workers, whose work per cable is the same in every run:
			      # what is left once the speed of the machine at that moment is divided out
			      if (c["dpd-verify"] > 0)
				      printf "loop/verify %.3f\nwriter/verify %.3f\n", c["loop"] / c["dpd-verify"], c["dpd-writer"] / c["dpd-verify"] }' "$T/before.txt" "$T/after.txt"
	} >"$T/run.txt"
}

KEYS=(rate p99 total_us loop_us dpd-writer_us dpd-verify_us dpd-log_us dpd-writer_bytes dpd-writer_writes loop/verify writer/verify)
declare -A ALL
echo "== $RECIPIENTS recipient(s), $CABLES cables built, $LOAD_SECONDS s, $CONNS connections; load average $(cut -d' ' -f1-3 /proc/loadavg) =="
for i in $(seq "$PAIRS"); do
	for s in "${SIDES[@]}"; do
		d=$DA gen=$GEN_A
		[ "$s" = B ] && d=$DB gen=$GEN_B
		one_run "$d" "$gen"
		line="run $i $s:"
		for k in "${KEYS[@]}"; do
			v=$(val "$k" "$T/run.txt")
			# a figure the run has not (no verify workers: no ratio) is left out
			[ -n "$v" ] && ALL[$s.$k]+="$v "
			line+=" $k ${v:--}"
		done
		echo "$line"
	done
done
echo
for s in "${SIDES[@]}"; do
	line="median $s:"
	for k in "${KEYS[@]}"; do
		# shellcheck disable=SC2086 # the values, one word each
		[ -n "${ALL[$s.$k]:-}" ] && line+=" $k $(median ${ALL[$s.$k]})"
	done
	echo "$line"
done
