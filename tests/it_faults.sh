#!/usr/bin/env bash
# it_faults.sh - faults get errors that name them, through the real programs.
#  (a) the switch's clock an hour behind (DENPO_TEST_CLOCK_OFFSET=-3600 on
#      denpod): `denpo send` names the clock, on the resolve path and on the
#      acceptance path (resolved on a right clock, submitted to the switch
#      restarted an hour behind); a device an hour ahead is warned by the
#      Date header of every answer;
#  (b) a cosignature dated before an earlier one of the same device (a
#      clone of device b, its keys copied before b cosigned with its clock
#      two hours ahead) is named by the device that is shown it; and b, its
#      clock back, does not cosign before its own last cosignature;
#  (c) a full disk: the switch's data directory on a small tmpfs, filled:
#      sends are answered "the switch's disk is full", the switch's log
#      holds that line a bounded number of times after thousands of
#      requests, and nothing accepted is lost once space is freed; the same
#      for a device whose home is on a full tmpfs;
#  (d) `denpo key status` against a switch that shows a log inconsistent
#      with the device's witnessed checkpoint fails as `denpo inbox` does.
. "$(dirname "$0")/lib.sh"
TF="$BUILD/tests/tool_flood"
need_programs it_faults "$DENPOD" "$DENPO" "$TF"
t_workdir
MNT=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	wait 2>/dev/null
	for m in $MNT; do umount "$m" 2>/dev/null; done
	t_cleanup
}
trap cleanup EXIT
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="faults test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
body() { printf '%s\n' "$@" >"$T/body"; }
# send OFFICER ARGS...: a ROUTINE UNCLASSIFIED cable, MRN on stdout, stderr in $T/send.err
send() { local h=$1; shift; dp "$h" send --body "$T/body" --class UNCLASSIFIED --prec ROUTINE --tags ADMN "$@" 2>"$T/send.err"; }
cksize() { sed -n 2p "$T/$1/log/checkpoint" 2>/dev/null; }
logsize() { DENPOD_DATA="$1" "$DENPOD" log checkpoint | sed -n 2p; }
devid() { dp "$1" --json whoami | jq -r .device; }
lines() { wc -l <"$1" | tr -d ' '; }
quiet() { "$@" >/dev/null 2>&1; }
# wait_log PATTERN N: until run.log holds more than N lines matching PATTERN (<= 10 s)
wait_log() {
	for _ in $(seq 100); do
		[ "$(grep -c -- "$1" "$T/run.log")" -gt "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# the switch's data directory on its own small tmpfs, so that (c) can fill it
mkdir -p "$T/sw"
if mount -t tmpfs -o size=16m,mode=0700 tmpfs "$T/sw" 2>"$T/mount.err"; then
	MNT="$T/sw"
else
	skip "(c) a full disk: cannot mount a tmpfs here ($(head -c 200 "$T/mount.err"))"
fi
{
	switch_init && D post add HQ --hq && D post add PARIS && D post add TOKYO &&
		D officer add a --post HQ --clearance SECRET &&
		D officer add b --post PARIS --clearance SECRET &&
		D officer add c --post TOKYO --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices a:HQ b:PARIS c:TOKYO
body "1. (U) Faults."

# ---- (a) the switch's clock an hour behind: the resolve path ----
DENPO_TEST_CLOCK_OFFSET=-3600 start_switch || no "denpod (an hour behind) did not start"
send a --to PARIS --subject behind >"$T/out"
rc=$?
check "(a) send to a switch an hour behind: refused (exit 1)" [ $rc = 1 ]
check "  and nothing was sent" [ ! -s "$T/out" ]
check "  it names the switch's clock, 60 minutes behind" grep -q "switch's clock is 60 minutes behind this device's" "$T/send.err"
check "  and what to do (NTP)" grep -q "NTP" "$T/send.err"
check "  not \"nobody addressed is cleared\"" not grep -q "nobody addressed is cleared" "$T/send.err"
check "  not \"it never published one\"" not grep -q "never published one" "$T/send.err"
grep -q "clock" "$T/send.err" || sed 's/^/    /' "$T/send.err"
stop_switch || no "stop"

# ---- (a) the acceptance path: resolved on a right clock, submitted an hour behind ----
start_switch || no "denpod did not start"
A=$(devid a)
mkfifo "$T/fifo"
"$DENPO" --home "$T/a" send --body "$T/fifo" --class UNCLASSIFIED --prec ROUTINE --tags ADMN \
	--to PARIS --subject accept >"$T/out" 2>"$T/send.err" &
SP=$!
# the sender resolved and verified the keys, and waits for the body: the switch restarts an hour behind
blocked=
for _ in $(seq 100); do
	[ "$(cat "/proc/$SP/wchan" 2>/dev/null)" = wait_for_partner ] && { blocked=1; break; }
	sleep 0.1
done
check "(a) the sender resolved on the right clock and waits for its body" [ -n "$blocked" ]
stop_switch || no "stop"
DENPO_TEST_CLOCK_OFFSET=-3600 start_switch || no "denpod (an hour behind) did not restart"
cat "$T/body" >"$T/fifo"
wait "$SP"
rc=$?
check "(a) submitted to the switch an hour behind: not accepted (exit 1)" [ $rc = 1 ]
check "  the switch's refusal names its clock" grep -q "after the switch's clock: the switch's clock is behind" "$T/send.err"
check "  and how far (60 minutes)" grep -q "60 minutes after the switch's clock" "$T/send.err"
grep -q "clock" "$T/send.err" || sed 's/^/    /' "$T/send.err"
stop_switch || no "stop"

# ---- (a) a device an hour ahead: the Date header of every answer names it ----
start_switch || no "denpod did not start"
DENPO_TEST_CLOCK_OFFSET=3600 dp c inbox >/dev/null 2>"$T/err"
check "(a) a device an hour ahead: warned that the switch's clock is 60 minutes behind it" \
	grep -q "WARNING: the switch's clock is 60 minutes behind this device's" "$T/err"
dp c inbox >/dev/null 2>"$T/err"
check "  and no such warning when the clocks agree" not grep -q "switch's clock" "$T/err"

# ---- (b) cosignatures dated back ----
B=$(devid b)
dp b inbox >/dev/null 2>&1 || no "b's first command" # it publishes its week of keys
cp -a "$T/b" "$T/b.clone"                          # a copy of device b's keys and state, taken now
DENPO_TEST_CLOCK_OFFSET=7200 dp b inbox >/dev/null 2>&1 # b's clock two hours ahead: one more key
# b, still two hours ahead, cosigns a tree that a then verifies with b's cosignature on it
got=
for _ in $(seq 5); do
	send c --to HQ --subject grow >/dev/null || no "send: $(cat "$T/send.err")"
	sleep 0.5
	DENPO_TEST_CLOCK_OFFSET=7200 dp b inbox >/dev/null 2>&1
	sleep 0.3
	dp a inbox >/dev/null 2>&1
	grep -q "^— denpo-device/$B " "$T/a/log/checkpoint" && { got=1; break; }
done
check "(b) a holds a checkpoint cosigned by b two hours ahead" [ -n "$got" ]
M=$(cksize a)
send c --to HQ --subject grow2 >/dev/null || no "send: $(cat "$T/send.err")"
sleep 0.5
# the clone, with the right clock, cosigns the larger tree: dated two hours before b's
dp b.clone inbox >/dev/null 2>"$T/err" || no "b.clone inbox: $(cat "$T/err")"
sleep 0.3
dp a inbox >/dev/null 2>"$T/err"
rc=$?
check "(b) a, shown the larger tree ($(cksize a) > $M) with b's cosignature dated back: still works (exit 0)" [ $rc = 0 ]
check "  and a's checkpoint advanced" [ "$(cksize a)" -gt "${M:-0}" ]
check "  warns, naming device b" grep -q "WARNING: device ${B:0:16}\.\.\. cosigned the log's tree of size" "$T/err"
check "  earlier than its cosignature of the smaller tree" grep -q "earlier than its cosignature of the smaller tree of size $M" "$T/err"
EV=$(ls "$T"/a/log/cosig-time-*.txt 2>/dev/null | head -n1)
check "  and keeps the evidence (0600)" [ -n "$EV" ] && check "    (mode)" [ "$(stat -c %a "$EV")" = 600 ]
check "  naming the cosigner" grep -q "^Cosigner: denpo-device/$B$" "$EV"
grep -q WARNING "$T/err" || sed 's/^/    /' "$T/err"
# b itself, its clock back to right, is behind its own last cosignature: it does not cosign
check "(b) b keeps its own cosignature on its checkpoint" grep -q "^— denpo-device/$B " "$T/b/log/checkpoint"
send c --to HQ --subject grow3 >/dev/null || no "send: $(cat "$T/send.err")"
sleep 0.5
dp b inbox >/dev/null 2>"$T/err"
check "(b) b, its clock gone back, still works (exit 0)" [ $? = 0 ]
check "  warns that its clock is behind its own last cosignature" grep -q "this device's clock reads .* before its own last cosignature" "$T/err"
check "  and made no cosignature of the new tree ($(cksize b))" not grep -q "^— denpo-device/$B " "$T/b/log/checkpoint"
sleep 0.3
"$DENPO" --home "$T/c" inbox >/dev/null 2>&1
check "  (the switch has none either)" not grep -q "^— denpo-device/$B " "$T/c/log/checkpoint"
# a device whose own key cosigned a tree it never held: a copy of its keys is in use
rm -rf "$T/b.clone2" && cp -a "$T/b.clone" "$T/b.clone2"
send c --to HQ --subject grow4 >/dev/null || no "send: $(cat "$T/send.err")"
sleep 0.5
dp b.clone inbox >/dev/null 2>&1 # the first copy cosigns the new tree
sleep 0.5
dp b.clone2 inbox >/dev/null 2>"$T/err"
check "(b) a device shown its own cosignature on a tree it never held names a copy of its keys" \
	grep -q "a copy of this device's keys is in use elsewhere" "$T/err"
stop_switch || no "stop"

# ---- (d) `denpo key status` witnesses the log as `denpo inbox` does ----
cp -a "$T/sw" "$T/swB" # fork B: the stopped switch, copied
if db_is_pg; then # and its store: a database copied from the switch's
	db_keep forkb || no "copy the store for fork B"
	sed -i "s#^store *=.*#store=$(db_kept_uri forkb)#" "$T/swB/denpod.conf"
fi
start_switch || no "fork A did not start"
send c --to HQ --subject "fork A" >/dev/null || no "send on fork A: $(cat "$T/send.err")"
sleep 0.5
dp a inbox >/dev/null 2>&1 || no "a on fork A"
SA=$(cksize a)
cp -a "$T/a" "$T/a.twin" # the same device state: one copy meets key status, the other inbox
stop_switch || no "stop fork A"
start_switch "$T/swB" || no "fork B did not start"
# fork B grows past what a verified on fork A (admin acts are log entries)
for i in $(seq 30); do
	DENPOD_DATA="$T/swB" "$DENPOD" post add "FORKB$i" >/dev/null 2>&1
	sleep 0.3
	[ "$(logsize "$T/swB")" -gt "$((SA + 1))" ] && break
done
check "(d) fork B ($(logsize "$T/swB")) is larger than a's checkpoint from fork A ($SA)" [ "$(logsize "$T/swB")" -gt "$SA" ]
dp a key status >"$T/out" 2>"$T/err"
rc=$?
check "(d) key status on fork B: exit 3" [ $rc = 3 ]
check "  saying the switch showed another log history" grep -q "different log history" "$T/err"
check "  with evidence" [ -n "$(ls "$T"/a/log/fork-evidence-*.txt 2>/dev/null)" ]
check "  and lists no keys" not grep -q "^EPOCH" "$T/out"
dp a.twin inbox >/dev/null 2>"$T/err2"
check "  as inbox does (exit 3, same message)" [ $? = 3 ] && check "    (message)" grep -q "different log history" "$T/err2"
stop_switch || no "stop fork B"
start_switch || no "fork A restart"
check "(d) key status on fork A again: exit 0" quiet dp a key status
stop_switch || no "stop"

# ---- (c) a full disk at the switch ----
SWFULL=$MNT
if [ -n "$MNT" ] && [ "${DENPO_TEST_STORE:-}" = postgresql ]; then
	skip "skipped on PostgreSQL: (c) a full disk at the switch fills its data directory, where SQLite's file is; PostgreSQL's files are the database server's (its full disk, SQLSTATE 53100, is DP_ENOSPC in db_pg.c)"
	SWFULL=
fi
if [ -n "$SWFULL" ]; then
	start_switch || no "denpod did not start"
	M1=$(send a --to PARIS --subject "before the disk fills") || no "send: $(cat "$T/send.err")"
	ID1=$(D cable list | awk -v m="$M1" '$1" "$2" "$3 == m {print $4}')
	sleep 0.3
	dd if=/dev/zero of="$T/sw/fill" bs=4k >/dev/null 2>&1
	check "(c) the switch's disk is full" [ "$(df --output=avail "$T/sw" | tail -n1 | tr -d ' ')" -lt 64 ]
	N0=$(lines "$T/run.log")
	send a --to PARIS --subject "disk full" >"$T/out"
	check "(c) send to a switch with a full disk: not accepted (exit 1)" [ $? = 1 ]
	check "  the switch says its disk is full" grep -q "the switch's disk is full" "$T/send.err"
	check "  not \"retry\" alone, nor an input/output error" not grep -q "could not store the request; retry\|input/output error" "$T/send.err"
	check "  and says the cable is saved for \`denpo retry\`" grep -q "the cable is saved; once the switch's operator has freed space" "$T/send.err"
	grep -q "disk is full" "$T/send.err" || sed 's/^/    /' "$T/send.err"
	SAVED=$(sed -n 's/^denpo: cable \([0-9a-f]\{32\}\) was not accepted.*/\1/p' "$T/send.err")
	# thousands of requests while the disk is full: the log says so a bounded number of times
	NF=3000
	mkdir -p "$T/flood"
	"$TF" "$T/a" PARIS "$NF" "$T/flood" 4 5 >"$T/flood.out" 2>"$T/flood.err" &
	FP=$!
	# meanwhile a cable stored before the disk filled, retried: still the duplicate it is, though
	# the batch it shares with the flood's new cables cannot be written (api_cable.c, submit_answer)
	sleep 0.5
	: >"$T/retry.err"
	for i in 1 2 3 4 5 6 7 8; do
		dp a --json retry "$ID1" 2>>"$T/retry.err" | jq -r '"\(.mrn) \(.duplicate)"'
	done >"$T/retried"
	wait "$FP"
	check "(c) a cable stored before the disk filled, retried 8 times amid the flood: the same MRN, a duplicate each time" \
		[ "$(grep -cx "$M1 true" "$T/retried")" = 8 ]
	grep -qvx "$M1 true" "$T/retried" && sed 's/^/    /' "$T/retried" "$T/retry.err" | head -n 12
	FAILED=$(grep -c "^fail .* disk_full " "$T/flood.out")
	check "(c) $NF submissions on a full disk: refused as disk_full ($FAILED)" [ "$FAILED" -ge $((NF * 9 / 10)) ]
	N1=$(lines "$T/run.log")
	FULL=$(tail -n +$((N0 + 1)) "$T/run.log" | grep -c "is full")
	check "(c) the switch's log names the full disk ($FULL lines)" [ "$FULL" -ge 1 ]
	check "  a bounded number of times (<= 3) after $NF requests" [ "$FULL" -le 3 ]
	echo "(c) the switch logged $((N1 - N0)) lines during $NF refused submissions, $FULL naming the full disk"
	check "  and all its lines meanwhile are few ($((N1 - N0)) <= 40)" [ $((N1 - N0)) -le 40 ]
	check "  the line says what to do" grep -q "until its operator frees space there" "$T/run.log"
	# space freed: the saved cable goes, and nothing accepted before is lost
	rm -f "$T/sw/fill"
	M2=$(dp a retry "$SAVED" 2>"$T/err") || no "retry after space was freed: $(cat "$T/err")"
	check "(c) space freed: the saved cable is accepted on retry ($M2)" [ -n "$M2" ]
	mkdir -p "$T/flood2"
	"$TF" "$T/a" PARIS 20 "$T/flood2" 2 10 >"$T/flood2.out" 2>&1
	check "  and new ones are ($(grep -c '^ok ' "$T/flood2.out")/20)" [ "$(grep -c '^ok ' "$T/flood2.out")" = 20 ]
	D cable list >"$T/cables"
	check "  the cable accepted before the disk filled is there ($M1)" grep -q "^$M1 " "$T/cables"
	lost=0
	for m in $(awk '$1 == "ok" {print $4"_"$5"_"$6}' "$T/flood.out") ; do
		grep -q "^${m//_/ } " "$T/cables" || lost=$((lost + 1))
	done
	check "  so is every submission the full disk still accepted ($(grep -c '^ok ' "$T/flood.out")), none lost ($lost)" [ $lost = 0 ]
	check "  the transparency log verifies" quiet D log verify
	stop_switch || no "stop"
	check "(c) at exit the switch says how often it refused ($(grep -o 'method=POST endpoint=/v1/cables status=507 .* repeated=[0-9]*' "$T/run.log" | grep -o 'repeated=[0-9]*'))" \
		grep -q "method=POST endpoint=/v1/cables status=507 latency_ms=[0-9.]* repeated=[0-9]* window_s=" "$T/run.log"
fi

# ---- (c) a full disk at a device ----
mkdir -p "$T/bm"
if [ -n "$MNT" ] && mount -t tmpfs -o size=1m,mode=0700 tmpfs "$T/bm" 2>/dev/null; then
	MNT="$MNT $T/bm"
	cp -a "$T/b/." "$T/bm/"
	start_switch || no "denpod did not start"
	M3=$(send a --to PARIS --subject "for a full device") || no "send: $(cat "$T/send.err")"
	ID3=$(D cable list | awk -v m="$M3" '$1" "$2" "$3 == m {print $4}')
	dd if=/dev/zero of="$T/bm/fill" bs=4k >/dev/null 2>&1
	FULLMSG="the disk of this device is full ($T/bm): free space and retry; nothing was lost"
	dp bm read --ack "$M3" >/dev/null 2>"$T/err"
	check "(c) read --ack on a device with a full disk: not acknowledged (exit 1)" [ $? = 1 ]
	check "  saying this device's disk is full, where, and that nothing was lost" grep -qF "$FULLMSG" "$T/err"
	check "  never \"input/output error\"" not grep -q "input/output error" "$T/err"
	grep -qF "$FULLMSG" "$T/err" || sed 's/^/    /' "$T/err"
	check "  the cable still waits at the switch" eval 'dp bm --json inbox 2>/dev/null | jq -e --arg i "$ID3" "[.cables[].cable_id] | index(\$i)" >/dev/null'
	n=$(D cable list | wc -l)
	dp bm send --body "$T/body" --class UNCLASSIFIED --prec ROUTINE --tags ADMN --to HQ --subject full >/dev/null 2>"$T/err"
	check "(c) send from a device with a full disk: exit 1" [ $? = 1 ]
	check "  saying so" grep -qF "$FULLMSG" "$T/err"
	check "  and nothing was sent" [ "$(D cable list | wc -l)" = "$n" ]
	dp bm key rotate >/dev/null 2>"$T/err"
	check "(c) key rotate on a device with a full disk: exit 1, saying so" grep -qF "$FULLMSG" "$T/err"
	rm -f "$T/bm/fill"
	dp bm read --ack "$M3" >"$T/out" 2>"$T/err"
	check "(c) space freed: the cable is read and acknowledged (exit 0)" [ $? = 0 ]
	check "  it is the cable sent" grep -q "for a full device" "$T/out"
	check "  and no longer waits" eval '! dp bm --json inbox 2>/dev/null | jq -e --arg i "$ID3" "[.cables[].cable_id] | index(\$i)" >/dev/null'
	check "  the keys rotate" quiet dp bm key rotate
	check "  and it sends" quiet dp bm send --body "$T/body" --class UNCLASSIFIED --prec ROUTINE --tags ADMN --to HQ --subject freed
	stop_switch || no "stop"
fi

t_done it_faults
