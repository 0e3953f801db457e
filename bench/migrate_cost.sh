#!/usr/bin/env bash
# bench/migrate_cost.sh - what `denpod migrate` costs, beside its parts done
# by hand in the same run: `denpod check` of the data directory (which
# migrate runs first) and a plain PostgreSQL load of the same log entries
# (sqlite3 -csv piped into psql's COPY: the transfer without any check).
#
#   bench/migrate_cost.sh     (env: ENTRIES=100000 CABLES=1000 RUNS=3 BUILD=build)
#
# Makes a data directory with bench_damage (CABLES 4 KiB cables and ENTRIES
# signed log entries) and a throwaway PostgreSQL (scripts/pg-tmp), then RUNS
# times, each into a new database: denpod check, the COPY, denpod migrate
# (denpod.conf put back after each).  Prints the medians in seconds and
# migrate / (check + copy).  About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ENTRIES=${ENTRIES:-100000} CABLES=${CABLES:-1000} RUNS=${RUNS:-3}
if [ -z "${DENPO_TEST_PG:-}" ]; then
	exec scripts/pg-tmp run "$0" "$@"
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-migratecost.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$BUILD/bench/bench_damage" "$T" --entries "$ENTRIES" --cables "$CABLES" --runs 1 >/dev/null
cp "$T/sw/denpod.conf" "$T/conf"
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
pg() { PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 "$DENPO_TEST_PG" "$@" >/dev/null; }
uri() { sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$1#" <<<"$DENPO_TEST_PG"; }
plain_copy() {
	psql -qX -v ON_ERROR_STOP=1 "$1" -c "CREATE TABLE log_entries(idx BIGINT PRIMARY KEY, data BYTEA NOT NULL)" &&
		sqlite3 -csv "$T/sw/denpod.db" "SELECT idx, '\\x' || hex(data) FROM log_entries" |
		psql -qX -v ON_ERROR_STOP=1 "$1" -c "\\copy log_entries FROM STDIN CSV"
}
: >"$T/check"; : >"$T/copy"; : >"$T/migrate"
for i in $(seq "$RUNS"); do
	pg -c "CREATE DATABASE plain$i" -c "CREATE DATABASE mig$i"
	secs "$BUILD/denpod" check --data "$T/sw" >>"$T/check"
	secs plain_copy "$(uri "plain$i")" >>"$T/copy"
	secs "$BUILD/denpod" migrate --data "$T/sw" --to "$(uri "mig$i")" >>"$T/migrate"
	cp "$T/conf" "$T/sw/denpod.conf"
	pg -c "DROP DATABASE plain$i" -c "DROP DATABASE mig$i"
done
db=$(stat -c %s "$T/sw/denpod.db")
k=$(median <"$T/check") c=$(median <"$T/copy") m=$(median <"$T/migrate")
echo "database $((db / 1048576)) MiB, $ENTRIES log entries, $CABLES cables; medians of $RUNS:"
echo "denpod_check $k s"
echo "plain_copy (log_entries, sqlite3 | psql COPY) $c s"
echo "denpod_migrate $m s"
echo "ratio migrate/(check+copy) $(echo "scale=2; $m / ($k + $c)" | bc)"
