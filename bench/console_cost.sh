#!/usr/bin/env bash
# bench/console_cost.sh - what `denpod console` costs on a large log: its
# first request reads the last 100,000 entries (DPCS_BACKLOG) for the
# alerts and the fetch-rate chart, each later one only what the log gained.
#
#   bench/console_cost.sh        (env: BUILD=build, ENTRIES=100000, RUNS=5)
#
# bench_tlog fills a switch data directory with 2*ENTRIES cable-fetched
# entries.  Then, RUNS times (a new console each, alternating with the
# baseline so machine noise hits both alike): the console's first GET
# /api/alerts after login (cold: the backlog read), the next one (warm),
# and, as the baseline in the same run, `denpod log show --json` of the
# same 100,000 entries to /dev/null (the CLI decoding them).  Prints the
# medians in seconds and the ratio cold/baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ENTRIES=${ENTRIES:-100000}
RUNS=${RUNS:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-console.XXXXXX")
CPID=
trap '[ -z "$CPID" ] || kill "$CPID" 2>/dev/null; rm -rf "$T"' EXIT
make -s BUILD="$BUILD" -j2 >/dev/null
"$BUILD/bench/bench_tlog" "$T" --runs 1 --entries "$ENTRIES" >/dev/null 2>&1
SW=$T/sw0
N=$("$BUILD/denpod" log checkpoint --json --data "$SW" | jq .size)
FROM=$((N > 100000 ? N - 100000 : 0))
echo "log: $N entries; the console reads back $((N - FROM))"
PW="Bench-console-passphrase-9"
printf '%s\n' "$PW" | "$BUILD/denpod" operator add bench.op --operator bench --data "$SW" >/dev/null
secs() { python3 -c 'import sys,time; print(f"{time.time():.4f}")'; }
for _ in $(seq "$RUNS"); do
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	"$BUILD/denpod" console --listen "$PORT" --data "$SW" >"$T/c.out" 2>/dev/null &
	CPID=$!
	for _ in $(seq 100); do grep -q "$PORT" "$T/c.out" 2>/dev/null && break; sleep 0.05; done
	C="http://127.0.0.1:$PORT"
	curl -s -c "$T/jar" -H "Origin: $C" -d "{\"user\":\"bench.op\",\"password\":\"$PW\"}" "$C/login" >/dev/null
	curl -s -o /dev/null -b "$T/jar" -w '%{time_total}\n' "$C/api/alerts" >>"$T/cold"
	curl -s -o /dev/null -b "$T/jar" -w '%{time_total}\n' "$C/api/alerts" >>"$T/warm"
	kill "$CPID"
	wait "$CPID" 2>/dev/null || true
	CPID=
	/usr/bin/time -f '%e' -o "$T/t" "$BUILD/denpod" log show --json --from "$FROM" --data "$SW" >/dev/null
	cat "$T/t" >>"$T/base"
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cold=$(med "$T/cold") warm=$(med "$T/warm") base=$(med "$T/base")
echo "console first /api/alerts (cold, median of $RUNS): ${cold} s"
echo "console next /api/alerts (warm):                 ${warm} s"
echo "baseline: log show --json of the same entries:   ${base} s"
awk -v c="$cold" -v b="$base" 'BEGIN {printf "ratio cold/baseline: %.2f\n", c / b}'
