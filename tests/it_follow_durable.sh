#!/usr/bin/env bash
# it_follow_durable.sh - no instance serves a checkpoint that a PostgreSQL
# failover can lose (docs/several-switches.md §4, "What the drill found":
# seed 25312).  Two `denpod run` on one primary with a synchronous standby:
# A holds the signing lease, B follows.  The signer commits its checkpoints
# with synchronous_commit off (tlog.c), so a checkpoint it signs while the
# standby is away is visible on the primary at once, though the standby
# lacks it and a promotion would lose it.  Through the real programs:
#  (1) both instances serve the database's latest checkpoint (size N);
#  (2) an admin entry is committed (on the standby too) while A's network
#      process, where the signer thread runs, is stopped (SIGSTOP); then the
#      standby is stopped and A let go: A signs N+1, visible on the primary;
#  (3) for 3 s neither A nor B serves N+1 (GET /v1/log/checkpoint of a
#      device: the checkpoint every answer's proofs are against, dpl_latest);
#      before the fix, both served it at once;
#  (4) the standby started again: both serve N+1 within seconds;
#  (5) checkpoint N+1 deleted from the database (as a failover that lost it
#      would leave it): the instance that follows serves N again and says so
#      (before the fix it kept serving N+1, which devices were then refused
#      against); the log signs on, both serve N+2; `denpod log verify`
#      passes.
# Its clusters are its own (scripts/pg-tmp start, standby), gone after.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
need_programs it_follow_durable "$DENPOD" "$TS"
need_tools it_follow_durable psql curl "$PG_BIN/pg_basebackup"
unset DENPO_TEST_PG DENPO_TEST_PG_DIR
t_workdir
export DENPOD_DATA="$T/sw"
PB=$(free_port)
PIDB= NETA= SDIR= PDIR=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
standby_ctl() { as_pg "$PG_BIN/pg_ctl" -D "$SDIR/data" -l "$SDIR/log" -w -t 30 "$@" >/dev/null 2>&1; }
cleanup() {
	[ -n "$NETA" ] && kill -CONT "$NETA" 2>/dev/null
	[ -n "$PIDB" ] && kill "$PIDB" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	wait 2>/dev/null
	# the standby first: the primary's fast stop then waits for no one
	[ -n "$SDIR" ] && "$ROOT/scripts/pg-tmp" stop "$SDIR" 2>/dev/null
	[ -n "$PDIR" ] && "$ROOT/scripts/pg-tmp" stop "$PDIR" 2>/dev/null
	PID=
	t_cleanup
}
trap cleanup EXIT
fail_setup() { no "$1"; t_done it_follow_durable; exit 1; }

env=$("$ROOT/scripts/pg-tmp" start --watch $$) || fail_setup "a primary PostgreSQL (scripts/pg-tmp start)"
eval "$env"
PDIR=$DENPO_TEST_PG_DIR
env=$("$ROOT/scripts/pg-tmp" standby "$PDIR" --watch $$) || fail_setup "a synchronous standby (scripts/pg-tmp standby)"
eval "$env"
SDIR=$DENPO_TEST_PG_STANDBY_DIR
PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 "$DENPO_TEST_PG" \
	-c "CREATE DATABASE follow" >/dev/null || fail_setup "CREATE DATABASE"
PG_URI=$(sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/follow#" <<<"$DENPO_TEST_PG")
# q SQL: on the primary, the switch's database
q() { psql -qAtX "$PG_URI" -c "$1"; }

{
	D init --data "$T/sw" --url "https://127.0.0.1:$PORT,https://127.0.0.1:$PB" \
		--listen "127.0.0.1:$PORT" --store "$PG_URI" &&
		D post add HQ --hq && D officer add sato.k --post HQ --clearance SECRET &&
		"$TS" enrol "$T/a" sato.k HQ && D approve "$T/a/request" --out "$T/a/answer"
} >"$T/init.out" 2>&1 || fail_setup "switch setup: $(tail -n 3 "$T/init.out")"
cp -a "$T/sw" "$T/swb"
sed -i "s|^listen=.*|listen=127.0.0.1:$PB|" "$T/swb/denpod.conf"
start_switch "$T/sw" || fail_setup "instance A did not start"
"$DENPOD" run --data "$T/swb" >"$T/runb.log" 2>&1 &
PIDB=$!
for _ in $(seq 100); do grep -q listening "$T/runb.log" && break; sleep 0.1; done
grep -q listening "$T/runb.log" || fail_setup "instance B did not start: $(tail -n 3 "$T/runb.log")"
check "B follows: A holds the signing lease" grep -q "another instance holds the signing lease" "$T/runb.log"
# A's network process: it runs the signer thread (the parent holds the key)
NETA=$(pgrep -P "$PID" | head -n 1)
[ -n "$NETA" ] || fail_setup "A's network process"

dbsize() { q "SELECT coalesce(max(size), 0) FROM log_checkpoints"; }
entries() { q "SELECT count(*) FROM log_entries"; }
# served PORT: the size of the checkpoint the instance at PORT gives a device
served() { cu a "https://127.0.0.1:$1/v1/log/checkpoint" 2>/dev/null | sed -n 2p; }
# both_serve N: A and B give N within 10 s
both_serve() {
	for _ in $(seq 100); do
		[ "$(served "$PORT")" = "$1" ] && [ "$(served "$PB")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- (1) both serve the latest ----
for _ in $(seq 50); do [ "$(dbsize)" = "$(entries)" ] && break; sleep 0.1; done
N=$(dbsize)
check "the log is signed (size $N, $(entries) entries)" [ "$N" -gt 0 -a "$N" = "$(entries)" ]
both_serve "$N"
check "A and B serve checkpoint $N (A: $(served "$PORT"), B: $(served "$PB"))" both_serve "$N"

# ---- (2) an entry on both servers; its checkpoint signed while the standby is away ----
kill -STOP "$NETA"
D post add OSAKA >"$T/add.out" 2>&1
rc=$?
check "an admin entry committed while A's signer is stopped (exit $rc)" [ "$rc" = 0 ]
check "... on the standby too (it waited for it): $(entries) entries" [ "$(entries)" = $((N + 1)) ]
standby_ctl -m fast stop
check "the standby stopped" not standby_ctl status
kill -CONT "$NETA"
for _ in $(seq 100); do [ "$(dbsize)" = $((N + 1)) ] && break; sleep 0.1; done
check "A signed checkpoint $((N + 1)): visible on the primary though the standby lacks it ($(dbsize))" \
	[ "$(dbsize)" = $((N + 1)) ]

# ---- (3) neither serves it while a promotion would lose it ----
bad=
for _ in $(seq 30); do
	a=$(served "$PORT") b=$(served "$PB")
	[ "$a" = "$N" ] && [ "$b" = "$N" ] || { bad="A $a, B $b"; break; }
	sleep 0.1
done
check "for 3 s A and B still serve $N, not the checkpoint the standby lacks${bad:+ (served: $bad)}" [ -z "$bad" ]

# ---- (4) the standby back: both move on ----
standby_ctl start
check "the standby started again" standby_ctl status
both_serve $((N + 1))
check "once the standby has it, A and B serve $((N + 1)) (A: $(served "$PORT"), B: $(served "$PB"))" \
	both_serve $((N + 1))
# ---- (5) the database went back (as a failover that lost a checkpoint leaves it): the follower follows ----
# While the standby was away the holder's thread waited in the barrier and renewed nothing: its
# lease may have run out and B taken over (harmless, docs/several-switches.md §3).  The follower
# now is the instance whose last word on the lease is that another holds it.
sleep 1.5
if grep -h "signing lease" "$T/run.log" | tail -n 1 | grep -q "another instance holds"; then
	FP=$PORT FN=A FLOG=$T/run.log
else
	FP=$PB FN=B FLOG=$T/runb.log
fi
echo "the instance that follows now: $FN"
q "DELETE FROM log_checkpoints WHERE size = $((N + 1))" >/dev/null
for _ in $(seq 50); do [ "$(served "$FP")" = "$N" ] && break; sleep 0.1; done
check "the database's latest is $N again: $FN (following) serves it, not the one the log no longer has ($(served "$FP"))" \
	[ "$(served "$FP")" = "$N" ]
check "... and says why" grep -q "latest checkpoint (size $N) is older than the one served (size $((N + 1))): a failover lost the checkpoint of 1 entry " "$FLOG"
D post add KYOTO >"$T/add.out" 2>&1 || no "an admin entry after: $(tail -n 2 "$T/add.out")"
both_serve $((N + 2))
check "the log signed on: A and B serve $((N + 2)) (A: $(served "$PORT"), B: $(served "$PB"))" both_serve $((N + 2))
timeout 30 "$DENPOD" log verify >"$T/verify.out" 2>&1
check "denpod log verify passes (exit $?)" [ $? = 0 ]
kill "$PIDB" && wait "$PIDB"
check "B stops cleanly (exit $?)" [ $? = 0 ]
PIDB=
stop_switch
check "A stops cleanly (exit $?)" [ $? = 0 ]
t_done it_follow_durable
