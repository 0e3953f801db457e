#!/usr/bin/env bash
# it_instances.sh - several denpod instances on one PostgreSQL (issue 13,
# docs/several-switches.md §3), through the real programs: two `denpod run`
# on the same store (the second's data directory a copy of the first's: the
# same keys, its own listen port).  [uses DENPO_TEST_PG]
#  (1) a long-poll held on B is answered at once when a cable for its device
#      is accepted through A, for several devices and both directions (B's
#      waiters woken by A's commit, A's by B's): well under the wait time;
#  (2) a decoy planted through A wakes nobody on B;
#  (3) B's listening connection killed (pg_terminate_backend): it is opened
#      again, the waiter held on B is answered once, and wake-ups go on;
#  (4) a device suspended through `denpod device suspend` on the shared store
#      is refused by B on its next request, and reinstated, served again;
#  (0) `denpod init --store` on the same database is refused (a new switch
#      needs an empty one);
#  (7) a device that verified A's newest checkpoint and asks B first, while
#      B has not taken it up yet: B answers 503 or serves it, never 400, and
#      the device's `denpo inbox` passes (it asks A) with no fork alarm;
#  (5) the signing lease: while A holds it B signs nothing, even for cables
#      accepted through B; A killed -9, B takes over and signs every entry
#      within seconds; `denpod log verify` passes; no size has two roots;
#  (6) a clean stop gives the lease up: A takes over at once.
. "$(dirname "$0")/lib.sh"
need_programs it_instances "$DENPOD" "$DENPO"
need_tools it_instances jq psql
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="instances test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
PB=$(free_port)
PIDB=
cleanup() {
	[ -n "$PIDB" ] && kill "$PIDB" 2>/dev/null
	t_cleanup
}
trap cleanup EXIT
u() { echo "https://127.0.0.1:$1"; }
body() { printf '%s\n' "$@" >"$T/body"; }
DBNAME="denpo_it_instances_$$"
pg_database "$DBNAME" || { no "a PostgreSQL database"; t_done it_instances; exit 1; }
# psql_admin SQL: on the cluster's own database (not the switch's, which may refuse connections)
psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql -qAtX "$DENPO_TEST_PG" -c "$1"; }

{
	D init --data "$T/sw" --url "$(u "$PORT"),$(u "$PB")" --listen "127.0.0.1:$PORT" --store "$PG_URI" &&
		D post add HQ --hq && D post add TOKYO && D post add OSAKA &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance SECRET &&
		D officer add kato.t --post OSAKA --clearance SECRET &&
		D officer add decoy.s --post HQ --clearance SECRET --roles DECOY &&
		D officer add probe.x --post OSAKA --clearance SECRET
} >"$T/init.out" 2>&1 || { no "switch setup: $(tail -n 3 "$T/init.out")"; t_done it_instances; exit 1; }
printf 'rule.MACHINE-SPEED.mode = report\nrule.ENUM-RANGE.mode = report\n' >"$T/sw/detect.conf"
enrol_devices sato.k:HQ ono.r:TOKYO kato.t:OSAKA decoy.s:HQ
# a throwaway device for raw requests (tests/tool_submit: no keystore to unlock, so it asks at once)
TS=$BUILD/tests/tool_submit
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
{ "$TS" enrol "$T/px" probe.x OSAKA && D approve "$T/px/request" --out "$T/px/answer"; } >/dev/null 2>&1 ||
	no "enrol the throwaway device probe.x"
# a second instance is a copy of the data directory, never a new init on the same database:
# that would put new keys over the first switch's log
D init --data "$T/swx" --url "$(u "$PB")" --listen "127.0.0.1:$PB" --store "$PG_URI" >"$T/out" 2>&1
rc=$?
check "init --store on a database that holds a switch: refused (exit $rc)" [ "$rc" = 1 ]
check "... saying it needs an empty database" grep -q "already holds tables.*needs an empty database" "$T/out"
check "... no data directory made" [ ! -e "$T/swx" ]
D device list >"$T/devices" 2>&1
check "... the switch's directory untouched ($(tr "\n" " " <"$T/devices" | head -c 200))" grep -q kato.t "$T/devices"
# instance B: the same keys and store, its own port
cp -a "$T/sw" "$T/swb"
sed -i "s|^listen=.*|listen=127.0.0.1:$PB|" "$T/swb/denpod.conf"
start_switch "$T/sw" || { no "instance A did not start"; t_done it_instances; exit 1; }
PIDA=$PID
# B's output in a file of its own (what it signs is told apart from A's)
"$DENPOD" run --data "$T/swb" >"$T/runb.log" 2>&1 &
PIDB=$!
for _ in $(seq 100); do grep -q listening "$T/runb.log" && break; sleep 0.1; done
grep -q listening "$T/runb.log" || { no "instance B did not start: $(tail -n 3 "$T/runb.log")"; t_done it_instances; exit 1; }
# at: the device's next command goes to this instance (HOME/switch: the address that answered last)
at() { u "$2" >"$T/$1/switch"; }
# size SQL: a number from the switch's database
size() { PGOPTIONS="-c client_min_messages=warning" psql -qAtX "$PG_URI" -c "$1"; }

# wait_woken READER INSTANCE_PORT SENDER SENDER_PORT TO: a long-poll of READER (60 s) on one
# instance, a cable to TO sent through the other; prints the seconds the poll took
wait_woken() {
	local reader=$1 rport=$2 sender=$3 sport=$4 to=$5 mrn
	at "$sender" "$sport"
	poll "$reader" "$rport" 60
	body "1. (C) Across instances, $reader."
	mrn=$(dp "$sender" send --class SECRET --prec FLASH --to "$to" --tags ADMN \
		--subject "to $reader" --body "$T/body" 2>"$T/send.err") || no "send by $sender: $(tail -n 2 "$T/send.err")"
	wait "$WPID"
	WOKE=$(since "$T0")
	check "$reader's poll on :$rport holds the cable sent through :$sport ($mrn)" \
		[ "$(jq -r '.cables[].mrn' "$T/poll.$reader" 2>/dev/null | grep -cxF "$mrn")" = 1 ]
	echo "$reader on :$rport, cable through :$sport: answered after ${WOKE} s"
	check "... answered well under its wait (60 s): ${WOKE} s" awk -v w="$WOKE" 'BEGIN {exit !(w < 8)}'
	grep -q '"cable_id"' "$T/poll.$reader" && dp "$reader" ack "$(jq -r '.cables[0].cable_id' "$T/poll.$reader")" >/dev/null 2>&1
}

# poll READER PORT SECONDS: READER's long-poll on the instance at PORT in the background ($WPID),
# its answer in $T/poll.READER; $T0 the time it began
poll() {
	at "$1" "$2"
	T0=$(date +%s.%N)
	dp "$1" --json inbox --wait "$3" >"$T/poll.$1" 2>"$T/poll.$1.err" &
	WPID=$!
	sleep 1 # the poll is held
}
# since T0: seconds since T0, to a tenth
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

# ---- (1) wake-ups across instances, several devices, both directions ----
wait_woken ono.r "$PB" sato.k "$PORT" TOKYO
wait_woken kato.t "$PB" sato.k "$PORT" OSAKA
wait_woken sato.k "$PORT" ono.r "$PB" HQ
wait_woken kato.t "$PORT" ono.r "$PB" OSAKA

# ---- (2) a decoy wakes nobody on the other instance ----
at decoy.s "$PORT"
poll ono.r "$PB" 3
body "1. (C) A decoy."
dp decoy.s send --decoy --class SECRET --prec IMMEDIATE --to TOKYO --tags PREL --subject bait \
	--body "$T/body" >/dev/null 2>"$T/send.err" || no "plant a decoy: $(tail -n 2 "$T/send.err")"
wait "$WPID"
WOKE=$(since "$T0")
check "a decoy through A does not wake ono.r's poll on B (it ran its 3 s: ${WOKE} s)" \
	awk -v w="$WOKE" 'BEGIN {exit !(w >= 2.9)}'
check "... and is not in the inbox" [ "$(jq '.cables | length' "$T/poll.ono.r" 2>/dev/null)" = 0 ]

# ---- (3) the listening connections lost: opened again, and what was missed is answered ----
at sato.k "$PORT"
poll ono.r "$PB" 60
# no new connection to the switch's database while the listeners are cut (the others stay up)
psql_admin "ALTER DATABASE $DBNAME ALLOW_CONNECTIONS false" || no "refuse connections"
n=$(psql_admin "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$DBNAME' AND query LIKE 'LISTEN %'")
check "both instances' listening connections cut (got $n)" [ "$n" = 2 ]
body "1. (C) Sent while nobody listened."
M=$(dp sato.k send --class SECRET --prec FLASH --to TOKYO --tags ADMN --subject unheard \
	--body "$T/body" 2>"$T/send.err") || no "send while cut: $(tail -n 2 "$T/send.err")"
sleep 1.5
check "the poll on B is still held while B cannot listen" kill -0 "$WPID"
psql_admin "ALTER DATABASE $DBNAME ALLOW_CONNECTIONS true" || no "allow connections"
wait "$WPID"
WOKE=$(since "$T0")
echo "ono.r on :$PB, cable sent while B's listener was cut: answered after ${WOKE} s"
check "once B listens again the poll is answered with the cable it missed ($M, ${WOKE} s)" \
	[ "$(jq -r '.cables[].mrn' "$T/poll.ono.r" 2>/dev/null | grep -cxF "$M")" = 1 ]
check "... well under its wait" awk -v w="$WOKE" 'BEGIN {exit !(w < 12)}'
check "B said it listens again" grep -q "listening to the other instances again" "$T/runb.log"
dp ono.r ack "$(jq -r '.cables[0].cable_id' "$T/poll.ono.r")" >/dev/null 2>&1
wait_woken ono.r "$PB" sato.k "$PORT" TOKYO

# ---- (4) a suspension on the shared store holds on B at once ----
KDEV=$(D device list 2>/dev/null | awk '/kato.t/ {print $1; exit}')
at kato.t "$PB"
check "kato.t served by B" eval "dp kato.t inbox >/dev/null 2>&1"
D device suspend "$KDEV" >/dev/null 2>&1 || no "suspend kato.t's device ($KDEV)"
sleep 1
dp kato.t inbox >/dev/null 2>"$T/susp.err"
rc=$?
check "suspended through the shared store: B refuses kato.t's next request (exit $rc)" [ $rc = 1 ]
check "... as suspended" grep -q "suspended" "$T/susp.err"
D device reinstate "$KDEV" >/dev/null 2>&1 || no "reinstate"
sleep 1
check "reinstated: B serves kato.t again" eval "dp kato.t inbox >/dev/null 2>&1"

# ---- (7) a device ahead of B: B has not followed A's newest checkpoint yet ----
# A signs and publishes a checkpoint within ~50 ms of a commit; B, not holding the lease, takes
# it up on its next round (<= 200 ms).  A device that verified it through A and asks B first is
# ahead of B: B answers 503 (and follows at once; the device asks A, or B again), never 400
# "beyond the latest checkpoint", which the device would take as a failure.  Here B is caught
# behind in only 0 to 4 tries of 10 (it takes checkpoints up sooner than its tick suggests), so
# this checks the property under real timing: the throwaway device sends a cable through A
# and asks B for a proof up to A's newest size the moment A serves it, 10 times (on the old
# binary 2 or 3 of 10 were refused 400); then sato.k's `denpo inbox` goes to B right after it
# verified A's newest, 5 times (on the old binary 3 of 5 failed, and the device filed fork
# evidence against a switch that had forked nothing).  it_follow_durable holds the instances
# behind for certain (the standby away) and checks the 503 and its message.
# ahead WANT: on connections made first, A's checkpoint every 5 ms until it covers WANT entries
# (<= 4 s), then at once B's proof up to that size: "STATUS BODY" (python3: no process starts
# between the two, so B's window is not spent starting one)
ahead() {
	python3 - "$T/px/tls.crt" "$T/px/tls.pem" "$PORT" "$PB" "$1" <<'PY'
import http.client, ssl, sys, time
crt, key, pa, pb, want = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE  # the test's own switch on 127.0.0.1
ctx.load_cert_chain(crt, key)
a = http.client.HTTPSConnection("127.0.0.1", pa, context=ctx, timeout=10)
b = http.client.HTTPSConnection("127.0.0.1", pb, context=ctx, timeout=10)
b.connect()
size, end = 0, time.time() + 4
while time.time() < end:
    a.request("GET", "/v1/log/checkpoint")
    r = a.getresponse()
    lines = r.read().decode(errors="replace").split("\n")
    size = int(lines[1]) if r.status == 200 and len(lines) > 1 and lines[1].isdigit() else 0
    if size >= want:
        break
    time.sleep(0.005)
else:
    sys.exit("A served no checkpoint of %d entries in 4 s (last: %d)" % (want, size))
b.request("GET", "/v1/log/proof/consistency?from=1&size=%d" % size)
r = b.getresponse()
print(r.status, r.read().decode(errors="replace"))
PY
}
n503=0 n200=0 other= tries=0
while [ "$tries" -lt 10 ]; do
	tries=$((tries + 1))
	"$TS" send "$T/px" "$(u "$PORT")" "$PIN" TOKYO SECRET ROUTINE >/dev/null 2>&1 || no "send $tries through A"
	want=$(size "SELECT count(*) FROM log_entries")
	ahead "$want" >"$T/ans.b" 2>"$T/ahead.py.err" || echo "ahead $tries: $(tail -n 1 "$T/ahead.py.err")"
	st=$(awk 'NR == 1 {print $1}' "$T/ans.b")
	case $st in
	503) n503=$((n503 + 1)) ;;
	200) n200=$((n200 + 1)) ;;
	*) other="$other ${st:-none}" ;;
	esac
done
echo "a proof up to A's newest size asked of B at once: $n503 x 503, $n200 x 200${other:+, others:$other}"
check "a proof up to A's newest size asked of B at once: 503 while B is behind, else 200, never 400 ($n503 x 503, $n200 x 200${other:+, others:$other})" \
	[ -z "$other" ]
bad=0
for i in $(seq 5); do
	at sato.k "$PORT"
	body "1. (C) Ahead of B, $i."
	dp sato.k send --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject "ahead $i" \
		--body "$T/body" >/dev/null 2>"$T/send.err" || no "send $i through A: $(tail -n 2 "$T/send.err")"
	want=$(size "SELECT count(*) FROM log_entries")
	for _ in $(seq 50); do # the device verifies A's newest
		dp sato.k inbox >/dev/null 2>&1
		[ "$(sed -n 2p "$T/sato.k/log/checkpoint" 2>/dev/null)" -ge "$want" ] && break
		sleep 0.1
	done
	at sato.k "$PB"
	dp sato.k inbox >/dev/null 2>"$T/ahead.err" || {
		bad=$((bad + 1))
		echo "ahead $i: $(grep -v passphrase "$T/ahead.err" | tail -n 1)"
	}
done
check "a device ahead of B is served (it asks A, or B once caught up): 5 of 5 inbox commands pass ($bad failed)" \
	[ "$bad" = 0 ]
check "... and B never answered it 400" not grep -q "endpoint=/v1/inbox status=400" "$T/runb.log"

# ---- (5) the signing lease: only A signs while it lives; B takes over within seconds of its death ----
at sato.k "$PB"
body "1. (C) Signed by the lease holder."
M=$(dp sato.k send --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject lease \
	--body "$T/body" 2>"$T/send.err") || no "send through B: $(tail -n 2 "$T/send.err")"
sleep 1
check "B, not holding the lease, signed nothing, even for a cable accepted through it" \
	not grep -q "denpod: log: checkpoint" "$T/runb.log"
check "... B said another instance holds it" grep -q "another instance holds the signing lease" "$T/runb.log"
check "... A signed it" grep -q "denpod: log: checkpoint" "$T/run.log"
kill -9 "$PIDA" $(pgrep -P "$PIDA") 2>/dev/null
wait "$PIDA" 2>/dev/null
PID=
T0=$(date +%s.%N)
M=$(dp sato.k send --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject "after A" \
	--body "$T/body" 2>"$T/send.err") || no "send through B after A died: $(tail -n 2 "$T/send.err")"
ENTRIES=$(size "SELECT count(*) FROM log_entries")
for _ in $(seq 150); do
	[ "$(size "SELECT COALESCE(max(size), 0) FROM log_checkpoints")" -ge "$ENTRIES" ] && break
	sleep 0.1
done
TOOK=$(since "$T0")
echo "A killed: B signed the log's $ENTRIES entries ${TOOK} s later"
check "B took over the lease and signed every entry within 15 s of A's death (${TOOK} s)" \
	[ "$(size "SELECT COALESCE(max(size), 0) FROM log_checkpoints")" -ge "$ENTRIES" ]
check "... B said it took over" grep -q "took over the signing lease" "$T/runb.log"
check "... and signed" grep -q "denpod: log: checkpoint" "$T/runb.log"
check "no size has two roots" [ "$(size "SELECT count(*) FROM (SELECT size FROM log_checkpoints GROUP BY size HAVING count(*) > 1) AS x")" = 0 ]
D log verify --data "$T/swb" >"$T/verify.out" 2>&1
rc=$?
check "denpod log verify passes (exit $rc: $(tail -n 1 "$T/verify.out"))" [ $rc = 0 ]

# ---- (6) a clean stop gives the lease up: A (back) takes over at once, not after the 5 s expiry ----
start_switch || no "A did not start again"
PIDA=$PID
sleep 1.5
n0=$(grep -c "took over the signing lease" "$T/run.log")
kill -TERM "$PIDB"
wait "$PIDB"
rc=$?
PIDB=
T0=$(date +%s.%N)
for _ in $(seq 80); do
	[ "$(grep -c "took over the signing lease" "$T/run.log")" -gt "$n0" ] && break
	sleep 0.05
done
TOOK=$(since "$T0")
echo "B stopped cleanly (exit $rc): A took the lease over ${TOOK} s later"
fast=no
[ "$(grep -c "took over the signing lease" "$T/run.log")" -gt "$n0" ] && awk -v t="$TOOK" 'BEGIN {exit !(t < 2.5)}' && fast=yes
check "B stopped by SIGTERM gave the lease up: A took over within 2.5 s, before the 5 s expiry (${TOOK} s)" [ $fast = yes ]
at sato.k "$PORT"
body "1. (C) Signed by A again."
dp sato.k send --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject "A again" \
	--body "$T/body" >/dev/null 2>"$T/send.err" || no "send after B stopped: $(tail -n 2 "$T/send.err")"
ENTRIES=$(size "SELECT count(*) FROM log_entries")
for _ in $(seq 50); do
	[ "$(size "SELECT COALESCE(max(size), 0) FROM log_checkpoints")" -ge "$ENTRIES" ] && break
	sleep 0.1
done
check "... and A signs every entry" [ "$(size "SELECT COALESCE(max(size), 0) FROM log_checkpoints")" -ge "$ENTRIES" ]

t_done it_instances
