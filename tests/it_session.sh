#!/usr/bin/env bash
# it_session.sh - the long-lived client processes keep one session: the
# keystore unlocked once and one connection to the switch (denpo/session.c,
# issue 17 item 4), counted by the switch itself (its metrics: connections
# accepted, requests answered), on one switch:
#   1. `denpo ui`: N cables read through its API go over the connection it
#      opened at start (no new one), where N `denpo read` processes open N;
#   2. `denpo outbox send`: N queued cables sent over one connection;
#   3. the switch restarted under the UI: its next reads go on by themselves,
#      all over one new connection;
#   4. `denpo inbox --watch`: its long polls over one connection; the switch
#      restarted under it: the watch goes on and lists the next cable;
#   5. SIGINT, SIGTERM (a long poll under way) and SIGHUP end them cleanly
#      (exit 0) through the path that wipes the keys.
. "$(dirname "$0")/lib.sh"
need_programs it_session "$DENPOD" "$DENPO"
need_tools it_session curl jq
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="session test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME
BG=()
trap 'for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done; t_cleanup' EXIT
MPORT=$(free_port)
{
	switch_init && D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add kato.r --post TOKYO --clearance SECRET
} >/dev/null || no "switch setup"
echo "metrics_listen = 127.0.0.1:$MPORT" >>"$T/sw/denpod.conf"
enrol_devices sato.k:HQ kato.r:TOKYO
start_switch || no "denpod did not start"

# met NAME: the switch's counter NAME summed over the lines that start with it (its labels; 0 when absent)
met() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v n="$1" 'index($0, n) == 1 { s += $NF } END { print s + 0 }'; }
conns() { met 'denpod_connections_accepted_total '; }
reqs() { met 'denpod_http_requests_total{'; }
# errs FILE: what a denpo process said on stderr, but the warning about $DENPO_PASSPHRASE
errs() { grep -v 'DENPO_PASSPHRASE\|passphrase-file' "$1" | head -c 400; }
# until SECONDS COMMAND...: true once COMMAND is (tried every 0.2 s)
until_ok() {
	local n=$(($1 * 5))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
	return 1
}
printf '1. (S) Session test.\n' >"$T/body"
send() { dp sato.k send --class SECRET --prec "$1" --to TOKYO --tags PREL --subject "$2" --body "$T/body" "${@:3}"; }
# exited PID: RC = the exit status of background job PID once it ended (waited up to 10 s), else "running"
exited() {
	RC=running
	until_ok 10 not kill -0 "$1" 2>/dev/null || return
	wait "$1"
	RC=$?
}

# ---- 1. the UI: N reads over the one connection ----
# (the programs themselves in the background, not the dp function: signals go to them)
"$DENPO" --home "$T/kato.r" ui --no-open >"$T/ui.out" 2>"$T/ui.err" &
UIPID=$!
BG+=("$UIPID")
until_ok 10 grep -qs '^denpo ui: open ' "$T/ui.out" || no "denpo ui did not start: $(errs "$T/ui.err")"
URL=$(sed -n 's/^denpo ui: open //p' "$T/ui.out")
BASE=${URL%%/login*}
curl -s -c "$T/cj" -o "$T/signin.html" "$URL"
KEY=$(sed -n 's/.*<meta name="denpo-key" content="\([0-9a-f]\{64\}\)">.*/\1/p' "$T/signin.html")
api() { curl -s -b "$T/cj" -H "X-Denpo-Key: $KEY" "$BASE$1"; }
c0=$(conns)
for i in 1 2 3 4; do send ROUTINE "one $i" >/dev/null 2>>"$T/send.err" || no "send $i: $(errs "$T/send.err")"; done
c1=$(conns)
check "each \`denpo send\` process opened its own connection (4 sends: $((c1 - c0)))" [ $((c1 - c0)) = 4 ]
api /api/inbox >"$T/inbox.json"
mapfile -t IDS < <(jq -r '.cables[].cable_id' "$T/inbox.json")
check "the UI lists the 4 cables" [ "${#IDS[@]}" = 4 ]
r0=$(reqs)
ok_reads=0
for id in "${IDS[@]}"; do
	api "/api/cables/$id" >"$T/c.json"
	[ "$(jq -r '.cable_id' "$T/c.json")" = "$id" ] && ok_reads=$((ok_reads + 1))
done
c2=$(conns)
r2=$(reqs)
check "the UI read the 4 cables (opened and verified)" [ "$ok_reads" = 4 ]
check "the UI's 4 reads opened no connection (the one from its start carried them: $((c2 - c1)) new)" [ "$c2" = "$c1" ]
check "the UI's 4 reads asked the switch at least 4 times ($((r2 - r0)) requests)" [ $((r2 - r0)) -ge 4 ]
c0=$(conns)
for id in "${IDS[@]}"; do dp kato.r read "$id" >/dev/null 2>>"$T/read.err" || no "denpo read $id: $(errs "$T/read.err")"; done
c1=$(conns)
check "4 \`denpo read\` processes opened 4 connections ($((c1 - c0)))" [ $((c1 - c0)) = 4 ]

# ---- 2. the outbox: N queued cables over one connection ----
for i in 1 2 3; do send ROUTINE "queued $i" --queue >/dev/null 2>>"$T/send.err" || no "send --queue $i"; done
c0=$(conns)
p0=$(met 'denpod_http_requests_total{method="POST",endpoint="/v1/cables"')
dp sato.k outbox send >"$T/ob.out" 2>"$T/ob.err"
rc=$?
c1=$(conns)
p1=$(met 'denpod_http_requests_total{method="POST",endpoint="/v1/cables"')
check "outbox send: the 3 queued cables sent (exit $rc: $(errs "$T/ob.err"))" \
	all "[ $rc = 0 ]" "[ \"\$(grep -c '^SENT' '$T/ob.out')\" = 3 ]"
check "outbox send: 3 submissions ($((p1 - p0)))" [ $((p1 - p0)) -ge 3 ]
check "outbox send: over one connection ($((c1 - c0)))" [ $((c1 - c0)) = 1 ]

# ---- 3. the switch restarted under the UI ----
stop_switch || no "the switch did not stop cleanly"
start_switch || no "denpod did not start again"
c0=$(conns)
api /api/inbox >"$T/inbox2.json"
mapfile -t IDS < <(jq -r '.cables[] | select(.fetched == false) | .cable_id' "$T/inbox2.json")
check "after the restart the UI lists the 3 new cables" [ "${#IDS[@]}" = 3 ]
ok_reads=0
for id in "${IDS[@]}"; do
	api "/api/cables/$id" >"$T/c.json"
	[ "$(jq -r '.cable_id' "$T/c.json")" = "$id" ] && ok_reads=$((ok_reads + 1))
done
c1=$(conns)
check "after the restart the UI read them, not restarted itself" [ "$ok_reads" = 3 ]
check "after the restart the UI's list and reads went over one new connection ($((c1 - c0)))" [ $((c1 - c0)) = 1 ]
check "after the restart the UI says it is online" [ "$(api /api/me | jq -r .online)" = true ]

# ---- 4. inbox --watch: one connection; the switch restarted under it ----
c0=$(conns)
"$DENPO" --home "$T/kato.r" --json inbox --watch >"$T/w.out" 2>"$T/w.err" &
WPID=$!
BG+=("$WPID")
listed() { [ "$(grep -c cable_id "$T/w.out")" -ge "$1" ]; }
until_ok 20 listed 7 ||
	no "the watch lists the 7 cables held ($(grep -c cable_id "$T/w.out") listed; $(errs "$T/w.err"))"
send FLASH "watched" >/dev/null 2>>"$T/send.err" || no "send watched"
until_ok 20 grep -q FLASH "$T/w.out" || no "the watch lists the FLASH sent while it waits"
c1=$(conns)
check "the watch opened one connection for all its long polls (+1 for the send: $((c1 - c0)))" [ $((c1 - c0)) = 2 ]
stop_switch || no "the switch did not stop cleanly (2)"
start_switch || no "denpod did not start again (2)"
MRN=$(send IMMEDIATE "after the restart" 2>>"$T/send.err") || no "send after the restart"
until_ok 30 grep -qF "\"$MRN\"" "$T/w.out" ||
	no "the watch goes on after the switch's restart and lists $MRN ($(errs "$T/w.err"))"
check "the watch said it waited for the switch, and that it is back" \
	all "grep -q 'offline: watching for the switch' '$T/w.err'" "grep -q 'the switch answers again' '$T/w.err'"

# ---- 5. signals end them cleanly ----
kill -TERM "$WPID"
exited "$WPID"
check "SIGTERM ends the watch in its long poll, exit 0 ($RC)" [ "$RC" = 0 ]
"$DENPO" --home "$T/kato.r" inbox --watch >"$T/w2.out" 2>"$T/w2.err" &
WPID=$!
BG+=("$WPID")
until_ok 10 grep -q "PREC" "$T/w2.out"
sleep 0.5 # into its long poll
kill -INT "$WPID"
exited "$WPID"
check "SIGINT ends the watch, exit 0 ($RC)" [ "$RC" = 0 ]
kill -HUP "$UIPID"
exited "$UIPID"
check "SIGHUP ends the UI, exit 0 ($RC)" [ "$RC" = 0 ]
check "the UI stopped through its end (\"stopped\"), not killed" grep -q '^denpo ui: stopped' "$T/ui.out"
check "nothing the watch printed says it failed" not grep -q "cannot\|FAIL" "$T/w2.err"

t_done it_session
