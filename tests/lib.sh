# tests/lib.sh - helpers for integration tests (sourced).
# ok/no count results; t_done prints "name: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DENPOD="$BUILD/denpod"
DENPO="$BUILD/denpo"
T_PASS=0 T_FAIL=0 T_SKIP=0
ok() { T_PASS=$((T_PASS + 1)); }
no() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }
check() { # description, command...
	local d=$1; shift
	if "$@"; then ok; else no "$d"; fi
}
skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP: $*"; }
t_done() {
	if [ "$T_SKIP" -gt 0 ]; then
		echo "$1: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	else
		echo "$1: $T_PASS passed, $T_FAIL failed"
	fi
	[ "$T_FAIL" = 0 ]
}
vectors_dir() {
	local d=${DENPO_VECTORS:-$ROOT/../shared/vectors}
	[ -d "$d" ] && echo "$d"
}
# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ---- a switch and its devices under $T (it_e2e, it_cli_errors, it_kill9) ----
# need_programs NAME PROGRAM...: fail test NAME and exit if a program is not built.
need_programs() {
	local name=$1 b
	shift
	for b; do
		if [ ! -x "$b" ]; then
			no "missing $b (make BUILD=... $b)"
			t_done "$name"
			exit 1
		fi
	done
}
# t_workdir: a fresh $T and a free loopback $PORT; at exit t_cleanup stops
# the switch ($PID) and removes $T (a test with more background jobs sets
# its own EXIT trap that ends them, then calls t_cleanup).
t_workdir() {
	T=$(mktemp -d)
	PID=
	PORT=$(free_port)
	trap t_cleanup EXIT
}
t_cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	wait 2>/dev/null
	# a failure explains itself in CI, where $T is gone after: the switch's last words
	if [ "$T_FAIL" -gt 0 ] && [ -s "$T/run.log" ]; then
		echo "---- the switch's log, last 40 lines ($T/run.log) ----" >&2
		tail -n 40 "$T/run.log" >&2
	fi
	rm -rf "$T"
}
D() { "$DENPOD" "$@"; }
# dp OFFICER ARGS...: the officer's device ($T/OFFICER)
dp() { local h=$1; shift; "$DENPO" --home "$T/$h" "$@"; }
# switch_init: a new switch in $T/sw, listening on 127.0.0.1:$PORT
# DENPO_TEST_STORE=postgresql: the switch switch_init makes keeps its state in a
# PostgreSQL database of its own (pg_database below) instead of denpod.db: the
# same test, through the same programs, on the other store (tests/run.sh starts
# the PostgreSQL; `DENPO_TEST_STORE=postgresql tests/run.sh it_` runs them all so).
switch_init() {
	local store=()
	if [ "${DENPO_TEST_STORE:-}" = postgresql ]; then
		pg_database "denpo_it_$(basename "$0" .sh)_$$" || no "a PostgreSQL database for the switch"
		store=(--store "$PG_URI")
	fi
	D init --data "$T/sw" --url "https://127.0.0.1:$PORT" --listen "127.0.0.1:$PORT" "${store[@]}"
}
# start_switch [DIR]: run denpod on DIR (default $T/sw) in the background ($PID),
# its output appended to $T/run.log; wait (<= 10 s) until it logs one more "listening".
start_switch() {
	local n
	n=$(grep -c listening "$T/run.log" 2>/dev/null)
	"$DENPOD" run --data "${1:-$T/sw}" >>"$T/run.log" 2>&1 &
	PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c listening "$T/run.log")" -gt "${n:-0}" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$T/run.log" >&2
	return 1
}
# stop_switch: SIGTERM and wait; returns denpod's exit status.
stop_switch() {
	local rc
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=
	return $rc
}
# device_request OFFICER POST: a new device for OFFICER at POST, its
# enrolment request approved by the switch into $T/OFFICER.answer.
device_request() {
	dp "$1" init --officer "$1" --post "$2" >/dev/null &&
		D approve "$T/$1/enrol-request.txt" --out "$T/$1.answer" >/dev/null
}
# device_enrol OFFICER: the device imports its answer.
device_enrol() { dp "$1" enrol --answer "$T/$1.answer" >/dev/null; }
# enrol_devices OFFICER:POST...: both steps for each; a failure is counted per officer.
enrol_devices() {
	local o
	for o; do
		{ device_request "${o%%:*}" "${o#*:}" && device_enrol "${o%%:*}"; } || no "enrol ${o%%:*}"
	done
}
# need_tools NAME CMD...: test NAME is skipped (exit 0) unless every CMD is installed
# (scripts/setup installs them all).
need_tools() {
	local name=$1 p
	shift
	for p; do
		command -v "$p" >/dev/null || { skip "$p not installed"; t_done "$name"; exit 0; }
	done
}
# not CMD...: succeeds when CMD fails (for check).
not() { ! "$@"; }
# all 'A' 'B'...: every condition (a shell command line each) holds (for check).
all() { local c; for c; do eval "$c" || return 1; done; }
# cu DEVICE CURL-ARGS...: curl with the mutual-TLS identity of the throwaway device $T/DEVICE.
cu() { local d=$1; shift; curl -sk --cert "$T/$d/tls.crt" --key "$T/$d/tls.pem" "$@"; }
# nent TEXT: how many log entries of the switch's store hold TEXT (SQLite or PostgreSQL).
nent() { db_sql "SELECT count(*) FROM log_entries WHERE instr(data, CAST('$1' AS BLOB)) > 0" \
	"SELECT count(*) FROM log_entries WHERE position(convert_to('$1', 'UTF8') in data) > 0"; }

# switch_ab: (it_damage, it_backup) a switch in $T/sw (DENPOD_DATA) with posts HQ and TOKYO,
# officers sato.k (HQ, SECRET) and ono.r (TOKYO, CONFIDENTIAL), throwaway devices $T/a and
# $T/b of theirs ($TS enrol, approved), $PIN the switch's TLS pin; and a detect.conf with the
# machine-speed rules in report mode: these tests send and fetch at machine speed, which
# detection would rightly throttle (tests/it_detect.sh).  Failures are counted.
switch_ab() {
	local dv d o p
	export DENPOD_DATA="$T/sw"
	{
		switch_init &&
			D post add HQ --hq && D post add TOKYO &&
			D officer add sato.k --post HQ --clearance SECRET &&
			D officer add ono.r --post TOKYO --clearance CONFIDENTIAL
	} >"$T/init.out" 2>&1 || no "switch setup"
	PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
	for dv in a:sato.k:HQ b:ono.r:TOKYO; do
		IFS=: read -r d o p <<<"$dv"
		"$TS" enrol "$T/$d" "$o" "$p" && D approve "$T/$d/request" --out "$T/$d/answer" >/dev/null ||
			no "enrol $o"
	done
	printf 'rule.MACHINE-SPEED.mode = report\nrule.ENUM-RANGE.mode = report\nrule.BULK-CAP.mode = report\n' \
		>"$T/sw/detect.conf"
}

# ---- PostgreSQL (issue 13) ----
# pg_database NAME: $PG_URI becomes the URI of a new, empty database NAME on
# the test's PostgreSQL: $DENPO_TEST_PG if set (tests/run.sh starts one for
# the tests marked [uses DENPO_TEST_PG]), else a cluster of this test's own,
# started by scripts/pg-tmp and stopped when the test's shell exits.  Call it
# directly, not in $(...): it sets variables.  Fails if no PostgreSQL starts.
pg_database() {
	if [ -z "${DENPO_TEST_PG:-}" ]; then
		local env
		env=$("$ROOT/scripts/pg-tmp" start --watch $$) || return 1
		eval "$env"
		export DENPO_TEST_PG DENPO_TEST_PG_DIR
	fi
	PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 "$DENPO_TEST_PG" -c "DROP DATABASE IF EXISTS $1" \
		-c "CREATE DATABASE $1" >/dev/null || return 1
	PG_URI=$(sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$1#" <<<"$DENPO_TEST_PG")
}

# ---- tampering with the switch's store (the same checks on both databases) ----
# db_is_pg [DIR]: the switch in DIR (default $DENPOD_DATA, else $T/sw) keeps its state
# in PostgreSQL (denpod.conf has store=).
db_store() { sed -n 's/^store *= *//p' "${1:-${DENPOD_DATA:-$T/sw}}/denpod.conf" 2>/dev/null; }
db_is_pg() { [ -n "$(db_store "$@")" ]; }
# pg_only_skip NAME WHY: on a switch in PostgreSQL, test NAME is about SQLite's own files:
# say so and end it (exit 0); on SQLite, nothing.
pg_only_skip() {
	[ "${DENPO_TEST_STORE:-}" = postgresql ] || return 0
	skip "skipped on PostgreSQL: $2"
	t_done "$1"
	exit 0
}
# db_cable_hex WHERE: in hex, the stored submission of the cable that WHERE (SQL on
# cables) selects, as db_sql finds it: from its row, or from the segment the row points
# into (a SQLite switch's DIR/cables, denpod/segment.h; a kept copy's rows point into
# the same append-only files).
db_cable_hex() {
	local seg off size dir=${DB_SQL_DIR:-${DENPOD_DATA:-$T/sw}}
	read -r seg off size <<<"$(db_sql "SELECT coalesce(seg,0), coalesce(off,0), size FROM cables WHERE $1" | tr '|' ' ')"
	if [ "${seg:-0}" = 0 ]; then
		db_sql "SELECT hex(data) FROM cables WHERE $1"
		return
	fi
	tail -c +$((off + 1)) "$dir/cables/$(printf 'SEG%06d' "$seg")" | head -c "$size" | od -An -tx1 -v | tr -d ' \n'
	echo
}
# db_sql SQL [PG-SQL]: run SQL as root on the store of the switch in $DENPOD_DATA (else
# $T/sw): sqlite3 on denpod.db (5 s busy timeout), or psql on its store= URI.  Rows print
# as sqlite3 prints them (columns joined by |, no header).  One text serves both where the
# databases read it alike: for PostgreSQL, X'..' blob literals become bytea, and the
# SQLite functions the tests use (hex, strftime('%s','now'), group_concat, char) exist
# in a schema of the tests' own (denpo_test, on the session's search path only: the
# switch never sees them).  Where they differ, PG-SQL is PostgreSQL's text.
# DB_SQL_DIR=DIR picks another switch; DB_SQL_KEPT=TAG the copy db_keep TAG kept.
db_sql() {
	local dir=${DB_SQL_DIR:-${DENPOD_DATA:-$T/sw}} uri s
	uri=$(db_store "$dir")
	if [ -z "$uri" ]; then
		sqlite3 -batch -noheader -cmd ".timeout 5000" \
			"$([ -n "${DB_SQL_KEPT:-}" ] && echo "$T/db.$DB_SQL_KEPT" || echo "$dir/denpod.db")" "$1"
		return
	fi
	[ -z "${DB_SQL_KEPT:-}" ] || uri=$(db_kept_uri "$DB_SQL_KEPT")
	s=${2:-$(sed -E "s/[xX]'([0-9A-Fa-f]*)'/'\\\\x\1'::bytea/g" <<<"$1")}
	[ -n "${DB_SQL_COMPAT:-}" ] || db_sql_compat "$uri" || return 1
	PGOPTIONS="-c client_min_messages=warning -c search_path=public,denpo_test" \
		psql -qXAt -v ON_ERROR_STOP=1 "$uri" -f - <<<"$s"
}
# db_sql_compat URI: the SQLite functions db_sql's texts use, in schema denpo_test.
db_sql_compat() {
	PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 "$1" -f - >/dev/null <<'SQL' &&
CREATE SCHEMA IF NOT EXISTS denpo_test;
CREATE OR REPLACE FUNCTION denpo_test.hex(bytea) RETURNS text
	LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode($1, 'hex')) $$;
CREATE OR REPLACE FUNCTION denpo_test.strftime(text, text) RETURNS bigint
	LANGUAGE sql AS $$ SELECT CASE WHEN $1 = '%s' AND $2 = 'now'
		THEN extract(epoch FROM now())::bigint END $$;
CREATE OR REPLACE FUNCTION denpo_test."char"(integer) RETURNS text
	LANGUAGE sql IMMUTABLE AS $$ SELECT chr($1) $$;
CREATE OR REPLACE FUNCTION denpo_test.gc_step(text, anyelement, text) RETURNS text
	LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $2 IS NULL THEN $1
		WHEN $1 IS NULL THEN $2::text ELSE $1 || $3 || $2::text END $$;
CREATE OR REPLACE AGGREGATE denpo_test.group_concat(anyelement, text) (sfunc = denpo_test.gc_step, stype = text);
SQL
		DB_SQL_COMPAT=1
}
# db_keep [TAG] / db_restore [TAG]: (the switch stopped) a copy of its store kept as TAG
# (default keep), and put back: the denpod.db file ($T/db.TAG), or on PostgreSQL a
# database made from it as a template (NAME_TAG).  DB_SQL_KEPT=TAG db_sql ... reads the copy.
# db_kept_uri TAG: the URI of the copy db_keep TAG made (PostgreSQL; TAG in lower case).
db_kept_uri() { sed -E "s#^([a-z]+://[^/?]*/[^?]*)#\\1_$1#" <<<"$(db_store "${DB_SQL_DIR:-}")"; }
db_pgname() { sed -E 's#^[a-z]+://[^/?]*/([^?]*).*#\1#' <<<"$(db_store)"; }
db_pgadmin() { PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 "$DENPO_TEST_PG" "$@" >/dev/null; }
db_keep() {
	local d=${DENPOD_DATA:-$T/sw} n
	if ! db_is_pg; then cp "$d/denpod.db" "$T/db.${1:-keep}"; return; fi
	n=$(db_pgname)
	db_pgadmin -c "DROP DATABASE IF EXISTS ${n}_${1:-keep}" -c "CREATE DATABASE ${n}_${1:-keep} TEMPLATE $n"
}
db_restore() {
	local d=${DENPOD_DATA:-$T/sw} n
	if ! db_is_pg; then
		cp "$T/db.${1:-keep}" "$d/denpod.db" && rm -f "$d/denpod.db-wal" "$d/denpod.db-shm"
		return
	fi
	n=$(db_pgname)
	db_pgadmin -c "DROP DATABASE $n" -c "CREATE DATABASE $n TEMPLATE ${n}_${1:-keep}"
}
