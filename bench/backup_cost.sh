#!/usr/bin/env bash
# bench/backup_cost.sh - what `denpod backup` costs, against its two parts
# done by hand: the old recipe's raw copy (`sqlite3 .backup`) and `denpod
# check` of the data directory (the verification it runs on its copy).
#
#   bench/backup_cost.sh     (env: ENTRIES=300000 CABLES=1000 RUNS=5 BUILD=build)
#
# Makes a data directory with bench_damage (CABLES 4 KiB cables and ENTRIES
# signed log entries), then RUNS times, in turn: sqlite3 .backup, denpod
# check, denpod backup (each into a new directory, on the same disk).
# Prints the medians in seconds and backup / (copy + check).  A few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ENTRIES=${ENTRIES:-300000} CABLES=${CABLES:-1000} RUNS=${RUNS:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-backupcost.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$BUILD/bench/bench_damage" "$T" --entries "$ENTRIES" --cables "$CABLES" --runs 1 >/dev/null
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
: >"$T/copy" ; : >"$T/check" ; : >"$T/backup"
for i in $(seq "$RUNS"); do
	secs sqlite3 "$T/sw/denpod.db" ".backup '$T/raw$i.db'" >>"$T/copy"
	secs "$BUILD/denpod" check --data "$T/sw" >>"$T/check"
	secs "$BUILD/denpod" backup "$T/bk$i" --data "$T/sw" >>"$T/backup"
	rm -rf "$T/raw$i.db" "$T/bk$i"
done
db=$(stat -c %s "$T/sw/denpod.db")
c=$(median <"$T/copy") k=$(median <"$T/check") b=$(median <"$T/backup")
echo "database $((db / 1048576)) MiB, $ENTRIES log entries, $CABLES cables; medians of $RUNS:"
echo "raw_copy (sqlite3 .backup) $c s"
echo "denpod_check $k s"
echo "denpod_backup $b s"
echo "ratio backup/(copy+check) $(echo "scale=2; $b / ($c + $k)" | bc)"
