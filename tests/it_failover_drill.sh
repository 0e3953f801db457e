#!/usr/bin/env bash
# it_failover_drill.sh - scripts/failover-drill in CI (issue 13, docs/several-switches.md §4):
# a primary PostgreSQL with a synchronous standby, two denpod instances, eight
# senders and four readers; kill -9 of the primary and of one instance at
# random moments, the standby promoted; nothing lost, nothing doubled, no MRN
# gap, `denpod log verify` passes, no fork, every queued cable delivered.
# Each "ok:" line of the drill counts as passed, each "VIOLATION:" as failed;
# the drill's own summary and recovery times are printed as they come.  The
# drill starts its own two PostgreSQL clusters (it kills one), so this test
# does not use the shared one of tests/run.sh.  Its seed is printed: a failure
# is replayed with `scripts/failover-drill --seed S --keep DIR`.
. "$(dirname "$0")/lib.sh"
need_programs it_failover_drill "$DENPOD" "$DENPO" "$BUILD/tests/tool_flood" "$BUILD/tests/tool_drain"
need_tools it_failover_drill psql jq python3 "${PG_BIN:-/usr/lib/postgresql/15/bin}/pg_basebackup"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# 150 cables from each sending device: about 40 s on a 2-core machine
"$ROOT/scripts/failover-drill" --build "$BUILD" --cables "${DRILL_CABLES:-150}" >"$out" 2>&1
rc=$?
cat "$out"
T_PASS=$(grep -c '^ok: ' "$out")
T_FAIL=$(grep -c '^VIOLATION: ' "$out")
check "the drill ends with PASS (exit $rc)" [ "$rc" = 0 ]
check "the drill checked every property (16 or more)" [ "$T_PASS" -ge 16 ]
check "the drill printed a recovery time for each of its two kills" \
	[ "$(grep -c '^kill -9 of the .*: sends succeed again after' "$out")" = 2 ]
t_done it_failover_drill
