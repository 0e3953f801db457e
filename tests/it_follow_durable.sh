#!/usr/bin/env bash
# it_follow_durable.sh - no instance serves a checkpoint that a PostgreSQL
# failover can lose (docs/several-switches.md §4, "What the drill found":
# seed 25312).  Two `denpod run` on one primary with a synchronous standby:
# A holds the signing lease, B follows.  The signer commits its checkpoints
# with synchronous_commit off (tlog.c), so a checkpoint it signs while the
# standby is away is visible on the primary at once, though the standby
# lacks it and a promotion would lose it.  Through the real programs:
#  (1) both instances serve the database's latest checkpoint (size N);
#  (2) an admin entry is committed (on the standby too) while A's and B's
#      network processes, where the signer threads run, are stopped
#      (SIGSTOP); then the standby is stopped and both let go: the lease's
#      holder signs N+1, visible on the primary;
#  (3) for 3 s neither A nor B serves N+1 (GET /v1/log/checkpoint of a
#      device: the checkpoint every answer's proofs are against, dpl_latest);
#      before the fix, both served it at once; a device that asks with
#      log_size N+1 meanwhile is told 503 (not served here yet: ask another
#      instance, or again), one beyond every stored checkpoint 400;
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
PIDB= NETA= NETB= SDIR= PDIR= STANDBY_DOWN=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
standby_ctl() { as_pg "$PG_BIN/pg_ctl" -D "$SDIR/data" -l "$SDIR/log" -w -t 30 "$@" >/dev/null 2>&1; }
cleanup() {
	# An abort between (2) and (4) leaves a network process stopped, or a daemon
	# in a commit that waits for the absent standby: neither would end on SIGTERM,
	# and the `wait` below would hang.  So: let them run, bring the standby back,
	# and SIGKILL whatever has not stopped 10 s after SIGTERM.
	[ -n "$NETA" ] && kill -CONT "$NETA" 2>/dev/null
	[ -n "$NETB" ] && kill -CONT "$NETB" 2>/dev/null
	[ -n "$STANDBY_DOWN" ] && standby_ctl start
	local p left
	for p in $PIDB $PID; do kill "$p" 2>/dev/null; done
	for _ in $(seq 100); do
		left=
		for p in $PIDB $PID; do kill -0 "$p" 2>/dev/null && left=1; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -n "$left" ] && for p in $PIDB $PID $NETA $NETB; do kill -KILL "$p" 2>/dev/null; done
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
# A's and B's network processes: they run the signer threads (the parents hold the keys)
NETA=$(pgrep -P "$PID" | head -n 1)
[ -n "$NETA" ] || fail_setup "A's network process"
NETB=$(pgrep -P "$PIDB" | head -n 1)
[ -n "$NETB" ] || fail_setup "B's network process"

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
# Both signers are stopped, not A's alone: if the add and the standby's stop take longer than
# A's lease (slow, loaded machine), B would take it over and sign N+1 while the standby still
# has everything, and then rightly serve it in (3).  Either may sign once both run again.
kill -STOP "$NETA" "$NETB"
D post add OSAKA >"$T/add.out" 2>&1
rc=$?
check "an admin entry committed while the signers are stopped (exit $rc)" [ "$rc" = 0 ]
check "... on the standby too (it waited for it): $(entries) entries" [ "$(entries)" = $((N + 1)) ]
STANDBY_DOWN=1
standby_ctl -m fast stop
check "the standby stopped" not standby_ctl status
kill -CONT "$NETA" "$NETB"
for _ in $(seq 100); do [ "$(dbsize)" = $((N + 1)) ] && break; sleep 0.1; done
check "the lease's holder signed checkpoint $((N + 1)): visible on the primary though the standby lacks it ($(dbsize))" \
	[ "$(dbsize)" = $((N + 1)) ]

# ---- (3) neither serves it while a promotion would lose it ----
# still_serve N TENTHS: A and B keep serving N for TENTHS tenths of a second; $bad says what
# one served instead
still_serve() {
	bad=
	for _ in $(seq "$2"); do
		a=$(served "$PORT") b=$(served "$PB")
		[ "$a" = "$1" ] && [ "$b" = "$1" ] || { bad="A $a, B $b"; break; }
		sleep 0.1
	done
}
still_serve "$N" 30
check "for 3 s A and B still serve $N, not the checkpoint the standby lacks${bad:+ (served: $bad)}" [ -z "$bad" ]
# a size signed but served by no instance yet (here: not yet on the standby; likewise a
# follower a round behind the holder, which it_instances (7) meets under real timing): 503, the
# device asks another instance or again, not 400 "beyond the latest checkpoint", which a
# device takes as a failure (docs/api.md, "An instance behind the device")
st=$(cu a -o "$T/behind" -w '%{http_code}' "https://127.0.0.1:$PB/v1/log/proof/consistency?from=1&size=$((N + 1))")
check "a proof up to $((N + 1)) asked of B meanwhile: 503 ($st), not 400" [ "$st" = 503 ]
check "... saying B does not serve it yet, and what to do" \
	grep -q "does not serve a checkpoint of size $((N + 1)) yet (size; it serves size $N, .*): retry, or ask another instance" "$T/behind"
st=$(cu a -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/v1/inbox?log_size=$((N + 1))")
check "... the inbox with log_size=$((N + 1)) of A: 503 ($st)" [ "$st" = 503 ]
st=$(cu a -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/v1/inbox?log_size=$((N + 1000))")
check "... and with log_size=$((N + 1000)), beyond every checkpoint stored: 400 ($st)" [ "$st" = 400 ]
# a wait for the standby cancelled (pg_cancel_backend): the commit returns with a WARNING only,
# so nothing is known durable, and still neither serves it (they wait again)
CANCELLED=$(q "SELECT count(*) FROM (SELECT pg_cancel_backend(pid) FROM pg_stat_activity
	WHERE query LIKE '%durable barrier%' AND pid <> pg_backend_pid()) x")
check "the instances' waits for the standby cancelled ($CANCELLED)" [ "${CANCELLED:-0}" -ge 1 ]
still_serve "$N" 20
check "... and for 2 s after, A and B still serve $N${bad:+ (served: $bad)}" [ -z "$bad" ]
check "... the cut wait said" grep -q "the wait for the synchronous standby was cut short" "$T/run.log" "$T/runb.log"

# ---- (4) the standby back: both move on ----
standby_ctl start
check "the standby started again" standby_ctl status
STANDBY_DOWN=
both_serve $((N + 1))
check "once the standby has it, A and B serve $((N + 1)) (A: $(served "$PORT"), B: $(served "$PB"))" \
	both_serve $((N + 1))
# ---- (5) the database went back (as a failover that lost a checkpoint leaves it): the follower follows ----
# While the standby was away the holder's thread waited in the barrier and renewed nothing: its
# lease may have run out and B taken over (harmless, docs/several-switches.md §3).  The follower
# now is the instance whose last word on the lease is that another holds it, once both
# instances' last words agree (one says another holds it, the other that it took it over or,
# having held it from its start, nothing), the same for two looks 0.5 s apart: a holder whose
# lease ran out while it waited learns that B took over only at its next renewal.
# lease_word LOG: follows or holds, by the instance's last line on the lease
lease_word() {
	grep -hE "another instance holds the signing lease|took over the signing lease" "$1" |
		tail -n 1 | grep -q "another instance holds" && echo follows || echo holds
}
FN= prev=
for _ in $(seq 20); do
	now="$(lease_word "$T/run.log") $(lease_word "$T/runb.log")"
	[ "$now" = "$prev" ] && case $now in "follows holds") FN=A ;; "holds follows") FN=B ;; esac
	[ -n "$FN" ] && break
	prev=$now
	sleep 0.5
done
check "A and B agree which of them holds the signing lease (A, B: $now)" [ -n "$FN" ]
if [ "$FN" = A ]; then
	FP=$PORT FLOG=$T/run.log
else
	FP=$PB FLOG=$T/runb.log
fi
echo "the instance that follows now: ${FN:-B}"
# a long-poll held on the follower at log_size N+1, answered (at its end) after the go-back
cu a -o "$T/held.out" -w '%{http_code}' "https://127.0.0.1:$FP/v1/inbox?log_size=$((N + 1))&wait=8" \
	>"$T/held.code" 2>/dev/null &
HELD=$!
sleep 0.5
q "DELETE FROM log_checkpoints WHERE size = $((N + 1))" >/dev/null
for _ in $(seq 50); do [ "$(served "$FP")" = "$N" ] && break; sleep 0.1; done
check "the database's latest is $N again: $FN (following) serves it, not the one the log no longer has ($(served "$FP"))" \
	[ "$(served "$FP")" = "$N" ]
check "... and says why" grep -q "latest checkpoint (size $N) is older than the one served (size $((N + 1))): a failover lost the checkpoint of 1 entry " "$FLOG"
wait "$HELD"
check "a long-poll held at log_size $((N + 1)) across it is answered 400 ($(cat "$T/held.code"))" \
	[ "$(cat "$T/held.code")" = 400 ]
check "... saying why, not 'cannot read the queue' ($(head -c 200 "$T/held.out"))" \
	grep -q "beyond the latest checkpoint" "$T/held.out"
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
