#!/usr/bin/env bash
# bench/log_show_cost.sh - what `denpod log show --json` costs beside the
# text form, on a large log, and that it streams (its memory does not grow
# with the log).
#
#   bench/log_show_cost.sh        (env: BUILD=build, ENTRIES=100000, RUNS=5)
#
# bench_tlog fills a switch data directory with ENTRIES realistic
# cable-fetched entries (twice: its append and its append+sign runs, so the
# log holds 2*ENTRIES).  Then, RUNS times each, alternating so machine noise
# hits both alike: `log show` (text), `log show --json` (the whole log) and
# `log show --json --count 1000`, each to /dev/null under /usr/bin/time.
# Prints the medians of wall seconds and peak RSS (KiB) and the ratios
# json/text.  Streaming shows as the JSON's RSS equal to the text form's:
# what grows from 1,000 entries to the whole log is SQLite's page cache
# (cache_size, 64 MiB, in denpod/db_sqlite.c), the same for both, not
# the JSON.  Under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ENTRIES=${ENTRIES:-100000}
RUNS=${RUNS:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-logshow.XXXXXX")
trap 'rm -rf "$T"' EXIT
make -s BUILD="$BUILD" -j2 >/dev/null
"$BUILD/bench/bench_tlog" "$T" --runs 1 --entries "$ENTRIES" >/dev/null 2>&1
SW=$T/sw0
N=$("$BUILD/denpod" log show --data "$SW" | grep -c '^# entry ')
echo "log: $N entries"
# one NAME ARGS...: "seconds KiB" of a run, appended to $T/NAME
one() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$T/t" "$BUILD/denpod" log show --data "$SW" "$@" >/dev/null
	cat "$T/t" >>"$T/$name"
}
for _ in $(seq "$RUNS"); do
	one text
	one json --json
	one json1000 --json --count 1000
done
med() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for k in text json json1000; do
	printf '%-9s %8s s %8s KiB\n' "$k" "$(cut -d' ' -f1 "$T/$k" | med)" "$(cut -d' ' -f2 "$T/$k" | med)"
done
awk -v ts="$(cut -d' ' -f1 "$T/text" | med)" -v js="$(cut -d' ' -f1 "$T/json" | med)" \
	-v tr="$(cut -d' ' -f2 "$T/text" | med)" -v jr="$(cut -d' ' -f2 "$T/json" | med)" \
	-v kr="$(cut -d' ' -f2 "$T/json1000" | med)" \
	'BEGIN {printf "json/text time %.2f, json/text RSS %.2f (whole log / 1,000 entries: %.1f, the page cache)\n", js / ts, jr / tr, jr / kr}'
