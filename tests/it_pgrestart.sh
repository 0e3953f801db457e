#!/usr/bin/env bash
# it_pgrestart.sh - a switch on PostgreSQL whose database server restarts
# under it (`pg_ctl restart`, as an upgrade or a failover does): denpod
# neither crashes nor hangs; requests meanwhile fail and the clients retry
# them; once the server is back the next requests succeed on a new
# connection (from inside the sandboxed network process, and the signer's
# and the writer's own connections); nothing accepted is lost and the MRNs
# stay gap-free.  The cluster is this test's own (scripts/pg-tmp), never
# the suite's shared one, which other tests use meanwhile.
. "$(dirname "$0")/lib.sh"
need_programs it_pgrestart "$DENPOD" "$DENPO"
need_tools it_pgrestart psql /usr/lib/postgresql/15/bin/pg_ctl
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="pgrestart test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_PG DENPO_TEST_PG_DIR
YY=$(date -u +%y)
body() { printf '%s\n' "$@" >"$T/body"; }
send() { dp sato.k send --no-queue --body "$T/body" --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject "$1" 2>"$T/send.err"; }
pg_restart() { runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$DENPO_TEST_PG_DIR/data" -m fast -w -t 30 restart >/dev/null 2>&1; }

pg_database "denpo_it_pgrestart" || no "a PostgreSQL cluster of the test's own"
{
	D init --data "$T/sw" --url "https://127.0.0.1:$PORT" --listen "127.0.0.1:$PORT" --store "$PG_URI" &&
		D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post TOKYO --clearance SECRET
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:TOKYO
start_switch || no "denpod did not start"
body "1. (S) Before the restart."
M1=$(send before) || no "send before: $(cat "$T/send.err")"
dp tanaka.h inbox >/dev/null || no "inbox before"

# ---- the server restarts while the switch runs, idle ----
pg_restart || no "pg_ctl restart"
check "denpod survives the server's restart (still running)" kill -0 "$PID"
body "1. (S) After the restart."
ok_after=
for i in 1 2 3 4 5; do
	if M2=$(timeout 60 "$DENPO" --home "$T/sato.k" send --no-queue --body "$T/body" --class SECRET --prec ROUTINE \
		--to TOKYO --tags ADMN --subject "after $i" 2>"$T/send.err"); then
		ok_after=$i
		break
	fi
	sleep 1
done
check "a send after the restart succeeds (attempt ${ok_after:-none}: $(head -c 300 "$T/send.err"))" [ -n "$ok_after" ]
# a switch that went away: what it said last (the cause, for whoever reads the failure)
[ -n "$ok_after" ] || { echo "--- the switch's last words:" >&2; grep -v 'log: checkpoint' "$T/run.log" | tail -n 15 >&2; }
check "... with the next MRN" [ "$M2" = "$(printf '%s HQ %06d' "$YY" 2)" ]
timeout 60 "$DENPO" --home "$T/tanaka.h" --json inbox >"$T/inbox.json" 2>"$T/inbox.err"
check "the reader's inbox after the restart holds both cables (exit $?)" \
	[ "$(jq '.cables | length' "$T/inbox.json" 2>/dev/null)" = 2 ]

# ---- the server restarts under a stream of sends ----
body "1. (S) During the restart."
# (--no-queue: this test is of the switch's answers; a device queues by default when the
# switch cannot be reached, it_offline)
# sendn I: send cable "during I"; a send refused before its cable was saved (nothing to
# `denpo retry`) is sent again by its officer once, 2 s later, as the message says
sendn() {
	local m
	for _ in 1 2; do
		m=$(timeout 60 "$DENPO" --home "$T/sato.k" send --no-queue --body "$T/body" --class SECRET --prec ROUTINE \
			--to TOKYO --tags ADMN --subject "during $1" 2>"$T/one.err") && { echo "$m"; return 0; }
		cat "$T/one.err" >>"$T/during.err"
		grep -q "denpo retry" "$T/one.err" && return 1 # saved: retried below
		sleep 2
	done
}
(for i in $(seq 20); do sendn "$i"; done >"$T/during.ok") &
SENDER=$!
sleep 1
pg_restart || no "pg_ctl restart under load"
wait "$SENDER"
check "denpod survives a restart under load (still running)" kill -0 "$PID"
kill -0 "$PID" 2>/dev/null || { echo "--- the switch's last words:" >&2; grep -v 'log: checkpoint' "$T/run.log" | tail -n 15 >&2; }
check "no device was told it is not enrolled meanwhile" not grep -q "not enrolled" "$T/during.err"
grep -m3 "not enrolled" "$T/during.err" >&2
echo "what the sender was told meanwhile:" >&2
grep -v DENPO_PASSPHRASE "$T/during.err" | cut -c1-400 | sort | uniq -c | sort -rn | head -5 >&2
grep -m3 "TLS handshake refused" "$T/run.log" >&2
# what failed meanwhile is sent again by its sender (denpo retry of the saved cables)
for id in $(dp sato.k sent 2>/dev/null | awk '/NOT ACCEPTED/ {print $NF}'); do
	timeout 60 "$DENPO" --home "$T/sato.k" retry "$id" >>"$T/during.ok" 2>>"$T/during.err" || no "retry $id"
done
n=$(D cable list | wc -l)
check "every cable sent is stored once (22 = $n)" [ "$n" = 22 ]
D cable list | awk '{print $3}' | sort -n >"$T/mrns"
check "MRNs gap-free, 1..22" cmp -s "$T/mrns" <(seq -f '%06g' 1 22)
timeout 10 "$DENPOD" log verify >"$T/verify.out" 2>&1
check "denpod log verify passes after the restarts" [ $? = 0 ]
stop_switch
check "denpod stops cleanly (exit $?)" [ $? = 0 ]
t_done it_pgrestart
