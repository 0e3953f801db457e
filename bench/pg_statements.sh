#!/usr/bin/env bash
# bench/pg_statements.sh - the statements denpod sends PostgreSQL per cable
# (docs/several-switches.md §6: each is a round trip).
#
#   bench/pg_statements.sh      (env: BUILD=build, N=1000 cables, RC=1 recipients)
#
# A PostgreSQL of its own (scripts/pg-tmp) with pg_stat_statements loaded, one
# switch on it, N cables to RC recipients over 32 connections (bench_switch
# load); then the calls per cable of every statement, their total time, and
# the transactions committed.  Counts, not timings: the cluster runs with fsync
# off (pg-tmp's default).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/switch_setup.sh
BUILD=${BUILD:-build}
N=${N:-1000}
RC=${RC:-1}
B=$BUILD/bench/bench_switch
make -s BUILD="$BUILD" "$BUILD/denpod" "$B" >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-pgstat.XXXXXX")
PID="" PGDIR=""
cleanup() {
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	[ -n "$PGDIR" ] && scripts/pg-tmp stop "$PGDIR"
	rm -rf "$T"
}
trap cleanup EXIT
eval "$(scripts/pg-tmp start --watch $$)"
PGDIR=$DENPO_TEST_PG_DIR
q() { PGOPTIONS="-c client_min_messages=warning" psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
q "$DENPO_TEST_PG" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
if [ "$(id -u)" = 0 ]; then
	runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$PGDIR/data" -w restart >/dev/null
else
	/usr/lib/postgresql/15/bin/pg_ctl -D "$PGDIR/data" -w restart >/dev/null
fi
q "$DENPO_TEST_PG" -c "CREATE DATABASE pgstat" >/dev/null
URI=$(sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/pgstat#" <<<"$DENPO_TEST_PG")
q "$URI" -c "CREATE EXTENSION pg_stat_statements" >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
bench_switch_init "$T/sw" "$T/b" "$PORT" "https://127.0.0.1:$PORT" --store "$URI"
"$BUILD/denpod" run --data "$T/sw" 2>"$T/denpod.log" &
PID=$!
for _ in $(seq 50); do grep -q listening "$T/denpod.log" && break; sleep 0.1; done
grep -q listening "$T/denpod.log" || { cat "$T/denpod.log" >&2; exit 1; }
sleep 1 # the start's own statements are not counted
DB="(SELECT oid FROM pg_database WHERE datname = 'pgstat')"
q "$URI" -c "SELECT pg_stat_statements_reset()" >/dev/null
X0=$(q "$URI" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'pgstat'")
"$B" load "$T/b" --recipients "$RC" --cables "$N" --conns 32 --label load | grep -E '_(accepted|rate|p50) '
sleep 1
X1=$(q "$URI" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'pgstat'")
echo "transactions committed: $((X1 - X0)) for $N cables"
echo "per cable | calls | ms | statement"
q "$URI" -c "SELECT round(calls::numeric / $N, 2), calls, round(total_exec_time::numeric, 1),
	left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements WHERE dbid = $DB
	AND query NOT LIKE '%pg_stat%' ORDER BY calls DESC"
q "$URI" -c "SELECT 'statements per cable: ' || round(sum(calls)::numeric / $N, 1) FROM pg_stat_statements
	WHERE dbid = $DB AND query NOT LIKE '%pg_stat%'"
