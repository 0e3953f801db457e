#!/usr/bin/env bash
# it_instances_detect.sh - detection sees the whole ministry (issue 13,
# docs/several-switches.md §3, docs/detection.md §10): two `denpod run` on one
# PostgreSQL (B's data directory a copy of A's), devices sending each request
# to the instance the test picks.  [uses DENPO_TEST_PG]
#  (1) a device alternating between A and B probes cables not addressed to it,
#      two on each: only the sum passes not-addressed.max (3); the request that
#      crosses it is refused at once (403), exactly one alert and one
#      suspension are logged for the incident (both engines fired: one wrote),
#      and the suspension made by A refuses the device's very next request on
#      B, sent the moment A answered;
#  (2) the same with the last working device of a post: the suspension is
#      withheld, a throttle (1 fetch a minute) made by A holds on B: of the
#      fetches B gets right after A's answer, the first passes (the minute's
#      one) and the second is refused; one alert, one step;
#  (3) an instance started after a throttle was made holds it too; the
#      operator's undo on the shared store lifts it on B at the next fetch.
# Each time printed runs from the answer (or command) that made the step to
# B's answer, and so includes one or two requests of the tool device (each
# alone is printed too): the step itself was in force on B before that.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_instances_detect "$DENPOD" "$DENPO" "$TS"
need_tools it_instances_detect jq psql
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="instances detect passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
PB=$(free_port)
PIDB=
cleanup() {
	[ -n "$PIDB" ] && kill "$PIDB" 2>/dev/null
	t_cleanup
}
trap cleanup EXIT
UA=https://127.0.0.1:$PORT UB=https://127.0.0.1:$PB
pg_database "denpo_it_instances_detect_$$" || { no "a PostgreSQL database"; t_done it_instances_detect; exit 1; }

{
	D init --data "$T/sw" --url "$UA,$UB" --listen "127.0.0.1:$PORT" --store "$PG_URI" &&
		D post add HQ --hq && D post add TOKYO && D post add OSAKA && D post add NAGOYA &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance SECRET &&
		D officer add ito.m --post TOKYO --clearance SECRET &&
		D officer add kato.t --post OSAKA --clearance SECRET &&
		D officer add mori.n --post NAGOYA --clearance SECRET
} >"$T/init.out" 2>&1 || { no "switch setup: $(tail -n 3 "$T/init.out")"; t_done it_instances_detect; exit 1; }
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
# tool devices (tests/tool_submit): h sends; x and y at TOKYO (x is not its post's last
# device), k the only one at OSAKA, m the only one at NAGOYA (their suspensions are withheld)
for dv in h:sato.k:HQ x:ono.r:TOKYO y:ito.m:TOKYO k:kato.t:OSAKA m:mori.n:NAGOYA; do
	IFS=: read -r d o p <<<"$dv"
	"$TS" enrol "$T/$d" "$o" "$p" >/dev/null 2>&1 &&
		D approve "$T/$d/request" --out "$T/$d/answer" >/dev/null 2>&1 || no "enrol $o"
done
cat >"$T/sw/detect.conf" <<'EOF'
# it_instances_detect: a throttle lets one fetch a minute through
not-addressed.max = 3
throttle.per-min = 1
rule.MACHINE-SPEED.mode = report
rule.ENUM-RANGE.mode = report
EOF
cp -a "$T/sw" "$T/swb"
sed -i "s|^listen=.*|listen=127.0.0.1:$PB|" "$T/swb/denpod.conf"
start_switch "$T/sw" || { no "instance A did not start"; t_done it_instances_detect; exit 1; }
start_b() {
	"$DENPOD" run --data "$T/swb" >>"$T/runb.log" 2>&1 &
	PIDB=$!
	local n=$1
	for _ in $(seq 100); do [ "$(grep -c listening "$T/runb.log")" -ge "$n" ] && return 0; sleep 0.1; done
	return 1
}
start_b 1 || { no "instance B did not start: $(tail -n 3 "$T/runb.log")"; t_done it_instances_detect; exit 1; }

# a tool device's id: its Sign-Key (base64) in hex
tool_dev() { awk '/^Sign-Key:/ {print $2}' "$T/$1/request" | base64 -d | od -An -tx1 | tr -d ' \n'; }
XDEV=$(tool_dev x) KDEV=$(tool_dev k) MDEV=$(tool_dev m)
# code DEV URL PATH: the HTTP status of the device's GET on that instance
code() { "$TS" get "$T/$1" "$2" "$PIN" "$3" 2>/dev/null | head -c 3; }
# probe DEV URL N: a request for a cable that does not exist (not addressed to the device)
probe() { code "$1" "$2" "/v1/cables/$(printf '%032x' "$3")"; }
sent_id() { "$TS" send "$T/h" "$UA" "$PIN" "$1" SECRET ROUTINE 2>/dev/null | sed 's/^201 //' | jq -r .cable_id; }
# alerts RULE DEV: that rule's alerts for the device in both instances' alert files
alerts() {
	cat "$T/sw/alerts.jsonl" "$T/swb/alerts.jsonl" 2>/dev/null |
		jq -c --arg r "$1" --arg d "$2" 'select(.event.kind == "alert" and .rule.name == $r and .device.id == $d)'
}
# steps KIND DEV: containment steps of the device (open or not) in the shared store
steps() { db_sql "SELECT count(*) FROM containments WHERE kind = $1 AND device = decode('$2', 'hex')"; }
log_alerts() { D log show 2>/dev/null | grep -c "^Event: alert"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
# until_code T0 DEV URL PATH CODE: up to 10 requests, 0.05 s apart, until one is answered CODE;
# prints the ms since T0, fails if none was (the answers it got are in $T/tries)
until_code() {
	local t0=$1 dev=$2 url=$3 path=$4 want=$5 c
	: >"$T/tries"
	for _ in $(seq 10); do
		c=$(code "$dev" "$url" "$path")
		echo "$(ms_since "$t0") ms: $c" >>"$T/tries"
		[ "$c" = "$want" ] && { ms_since "$t0"; return 0; }
		sleep 0.05
	done
	ms_since "$t0"
	return 1
}
T0=$(date +%s%N)
code y "$UA" /v1/inbox >/dev/null
ONE=$(ms_since "$T0")
check "every device is served by both instances" eval \
	'[ "$(code x "$UA" /v1/inbox)$(code x "$UB" /v1/inbox)$(code m "$UB" /v1/inbox)" = 200200200 ]'

# ---- (1) a device alternating between A and B: caught on the sum, one alert, held on B ----
LOG0=$(log_alerts)
c1=$(probe x "$UB" 1) c2=$(probe x "$UA" 2) c3=$(probe x "$UB" 3)
c4=$(probe x "$UA" 4)
T0=$(date +%s%N)
echo "x's probes B, A, B, A answered: $c1 $c2 $c3 $c4"
check "three probes pass (404: no such cable), two of them on each instance ($c1 $c2 $c3)" [ "$c1$c2$c3" = 404404404 ]
check "the fourth, on A, crosses not-addressed.max with the two B saw: refused at once ($c4)" [ "$c4" = 403 ]
MS=$(until_code "$T0" x "$UB" /v1/inbox 403)
rc=$?
echo "x suspended through A: refused by B ${MS} ms after A's answer (one request of the tool: ${ONE} ms)"
echo "  answers: $(tr '\n' ' ' <"$T/tries")"
check "the suspension made by A refuses x on B at its first request after A's answer (${MS} ms)" \
	eval '[ $rc = 0 ] && [ "$(wc -l <"$T/tries")" = 1 ]'
sleep 1.5 # both engines fired: the later alert has had its time to be written, if it were
check "one NOT-ADDRESSED alert for x in both instances' alert files ($(alerts NOT-ADDRESSED "$XDEV" | wc -l))" \
	[ "$(alerts NOT-ADDRESSED "$XDEV" | wc -l)" = 1 ]
check "... it suspended x" [ "$(alerts NOT-ADDRESSED "$XDEV" | jq -r .denpo.action)" = suspend ]
check "one suspension step for x in the store ($(steps 1 "$XDEV"))" [ "$(steps 1 "$XDEV")" = 1 ]
check "one alert entry in the log ($((${LOG0:-0} + 1)) expected: $(log_alerts))" [ "$(log_alerts)" = $((${LOG0:-0} + 1)) ]
check "the other engine's alert was dropped, said on its log" \
	grep -q "was logged by another instance first" "$T/run.log" "$T/runb.log"

# ---- (2) a throttle made by A (the post's last device) holds on B at once ----
CM=$(sent_id NAGOYA)
check "a cable for mori.n ($CM)" [ -n "$CM" ] && [ "$CM" != null ]
c1=$(probe m "$UB" 11) c2=$(probe m "$UA" 12) c3=$(probe m "$UB" 13)
c4=$(probe m "$UA" 14)
T0=$(date +%s%N)
echo "m's probes B, A, B, A answered: $c1 $c2 $c3 $c4"
check "m's fourth probe is the fourth: still 404 (a throttle holds back fetches only)" [ "$c1$c2$c3$c4" = 404404404404 ]
# one fetch a minute passes the throttle: the second is the one refused
MS=$(until_code "$T0" m "$UB" "/v1/cables/$CM" 429)
rc=$?
echo "m throttled through A: a fetch refused by B (429) ${MS} ms after A's answer"
echo "  answers: $(tr '\n' ' ' <"$T/tries")"
check "the throttle made by A holds m on B: its second fetch after A's answer is refused (${MS} ms)" \
	eval '[ $rc = 0 ] && [ "$(wc -l <"$T/tries")" -le 2 ]'
sleep 1.5
check "one NOT-ADDRESSED alert for m ($(alerts NOT-ADDRESSED "$MDEV" | wc -l))" [ "$(alerts NOT-ADDRESSED "$MDEV" | wc -l)" = 1 ]
check "... its suspension withheld (last device of NAGOYA): throttled" \
	[ "$(alerts NOT-ADDRESSED "$MDEV" | jq -r '.denpo.action + " " + .denpo.withheld')" = "throttle last-device" ]
check "one throttle step for m ($(steps 2 "$MDEV"))" [ "$(steps 2 "$MDEV")" = 1 ]
check "other requests of m still pass on B" [ "$(code m "$UB" /v1/inbox)" = 200 ]

# ---- (3) an instance started after the step holds it; an undo lifts it everywhere ----
kill -TERM "$PIDB" && wait "$PIDB" 2>/dev/null
PIDB=
CK=$(sent_id OSAKA)
for i in 21 22 23 24; do probe k "$UA" "$i" >/dev/null; done
for _ in $(seq 50); do [ "$(steps 2 "$KDEV")" = 1 ] && break; sleep 0.1; done
check "k's throttle step stored while B was down" [ "$(steps 2 "$KDEV")" = 1 ]
start_b 2 || no "instance B did not start again: $(tail -n 3 "$T/runb.log")"
codes=""
for _ in 1 2 3; do codes+="$(code k "$UB" "/v1/cables/$CK") "; done
echo "k's fetches on B, started after the throttle: $codes"
check "B, started after A throttled k, refuses k's fetches beyond one a minute ($codes)" grep -q 429 <<<"$codes"
STEP=$(db_sql "SELECT id FROM containments WHERE kind = 2 AND device = decode('$KDEV', 'hex') AND state = 0")
T1=$(date +%s%N)
D contain undo "$STEP" --operator soc.ito >/dev/null 2>&1 || no "undo step $STEP"
T0=$(date +%s%N)
echo "denpod contain undo took $(((T0 - T1) / 1000000)) ms"
MS=$(until_code "$T0" k "$UB" "/v1/cables/$CK" 200)
rc=$?
echo "k's throttle undone on the shared store: B serves its fetch ${MS} ms after the command returned"
echo "  answers: $(tr '\n' ' ' <"$T/tries")"
check "undone: B serves k's next fetch (${MS} ms)" eval '[ $rc = 0 ] && [ "$(wc -l <"$T/tries")" = 1 ]'

D log verify --data "$T/sw" >"$T/verify.out" 2>&1
rc=$?
check "denpod log verify passes ($(tail -n 1 "$T/verify.out"))" [ $rc = 0 ]
# both stopped cleanly: under the sanitizers, their leak check runs at exit
kill -TERM "$PIDB" && wait "$PIDB"
rc=$?
PIDB=
check "B stops cleanly (exit $rc)" [ $rc = 0 ]
stop_switch
rc=$?
check "A stops cleanly (exit $rc)" [ $rc = 0 ]
check "no sanitizer report in either instance's log" not grep -q "Sanitizer" "$T/run.log" "$T/runb.log"
t_done it_instances_detect
