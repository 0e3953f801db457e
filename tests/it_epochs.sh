#!/usr/bin/env bash
# it_epochs.sh - key epochs through the real programs (docs/protocol.md,
# "Key epochs"): devices publish a week of signed keys ahead; senders
# check each key's signature; the switch refuses expired and unknown
# epochs; devices erase closed epochs after re-wrapping their cables;
# a post cut off for days still gets its cables (and one cut off beyond
# the lookahead is reported unreachable, never encrypted to an expired
# key); two processes of one device never lose a key; and the forward
# secrecy proof: a complete copy of a device taken after rotation and
# erasure, together with the switch's whole database, opens none of the
# earlier cables (a copy taken before does: the test can fail).
#
# Days pass by restarting denpod and running denpo with
# DENPO_TEST_CLOCK_OFFSET (seconds added to the clock of both).
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
TA="$BUILD/tests/tool_age"
need_programs it_epochs "$DENPOD" "$DENPO" "$TS" "$TA"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="epoch test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
DAY=86400
URL=https://127.0.0.1:$PORT
q() { DB_SQL_KEPT=${QDB:-} db_sql "$1"; }
body() { printf '%s\n' "$@" >"$T/body"; }
# at DAYS CMD...: run CMD with the clock DAYS days ahead
at() { local d=$1; shift; DENPO_TEST_CLOCK_OFFSET=$((d * DAY)) "$@"; }
# restart_at DAYS: the switch, restarted DAYS days ahead
restart_at() { stop_switch; DENPO_TEST_CLOCK_OFFSET=$(($1 * DAY)) start_switch || no "denpod restart at day $1"; }
# send DAYS OFFICER ARGS... -> MRN (stderr in $T/send.err)
send() { local d=$1 h=$2; shift 2; at "$d" dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
# held HOME: the epochs a device's keystore holds, read offline (export-identity comments)
held() {
	rm -f "$T/held.txt"
	"$DENPO" --home "$1" key export-identity --out "$T/held.txt" >/dev/null 2>&1 &&
		sed -n 's/^# denpo device identity of .*, key epoch \([0-9]*\)$/\1/p' "$T/held.txt" | paste -sd' ' -
	rm -f "$T/held.txt"
}
holds() { echo " $(held "$1") " | grep -q " $2 "; }
# epoch of device DEV for cable ID, as the switch queued it
queued_epoch() { q "SELECT d.epoch FROM deliveries d JOIN cables c ON c.seq=d.seq WHERE hex(c.cable_id)=upper('$2') AND hex(d.device)=upper('$1')"; }
# payload HEX-FILE FILE-OUT: the age payload of a submission (in hex in HEX-FILE) (u32 length || envelope || payload)
payload() { python3 -c 'import sys,struct; d=bytes.fromhex(open(sys.argv[1]).read().strip()); n=struct.unpack(">I",d[:4])[0]; open(sys.argv[2],"wb").write(d[4+n:])' "$1" "$2"; }
# opens HOME COPY ID...: how many of the cables ID, as stored in the switch's store (COPY
# empty) or the copy db_keep COPY kept, the
# device state in HOME opens with the keys it holds (exported with its passphrase)
opens() {
	local home=$1 db=$2 n=0 id
	shift 2
	rm -f "$T/ids.txt"
	"$DENPO" --home "$home" key export-identity --out "$T/ids.txt" >/dev/null 2>&1 || { echo -1; return; }
	for id; do
		DB_SQL_KEPT=$db db_cable_hex "lower(hex(cable_id))='$id'" >"$T/sub.hex"
		payload "$T/sub.hex" "$T/pay.bin" || { echo -2; return; }
		"$TA" decrypt -i "$T/ids.txt" <"$T/pay.bin" >/dev/null 2>&1 && n=$((n + 1))
	done
	rm -f "$T/ids.txt"
	echo "$n"
}

{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add BEIJING &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" --roles COMMS &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add ito.m --post BEIJING --clearance SECRET &&
		D officer add mori.y --post BEIJING --clearance SECRET &&
		D officer add test.x --post HQ --clearance SECRET
} >"$T/init.out" || no "switch setup"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
enrol_devices sato.k:HQ tanaka.h:WASHINGTON ito.m:BEIJING mori.y:BEIJING
"$TS" enrol "$T/x" test.x HQ && D approve "$T/x/request" --out "$T/x/answer" >/dev/null || no "enrol test.x"
start_switch || no "denpod did not start"
TAN=$(dev_of tanaka.h) ITO=$(dev_of ito.m) MORI=$(dev_of mori.y)
check "approval stored the enrolment key (epoch 0) with its signed record" \
	[ "$(q "SELECT count(*) FROM epoch_keys WHERE hex(device)=upper('$TAN') AND epoch=0 AND substr(hex(record),1,36)='$(printf 'DENPO-EPOCH-KEY/1\n' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)'")" = 1 ]

# ---- publication: the enrolment key, then a week ahead on first contact ----
check "before first contact the device holds one epoch" [ "$(held "$T/tanaka.h")" = "0" ]
for o in sato.k tanaka.h ito.m mori.y; do dp "$o" inbox >/dev/null || no "first contact $o"; done
n=$(q "SELECT count(*) FROM epoch_keys WHERE hex(device)=upper('$TAN')")
check "first contact published a week ahead (7 records, got $n)" [ "$n" = 7 ]
check "every record the switch holds is one the device holds" \
	[ "$(q "SELECT group_concat(epoch,' ') FROM (SELECT epoch FROM epoch_keys WHERE hex(device)=upper('$TAN') ORDER BY epoch) AS e")" = "$(held "$T/tanaka.h")" ]
check "the keystore stays 0600" [ "$(stat -c %a "$T/tanaka.h/keystore.age")" = 600 ]
check "a second command publishes nothing new" \
	[ "$(dp tanaka.h --json key status | jq '.upkeep.generated + .upkeep.published')" = 0 ]

# ---- day 0: cables to the current epoch (0); tanaka reads C1, leaves C2 unread ----
body "1. (S) Epoch test one."
C1=$(send 0 sato.k --class SECRET --prec ROUTINE --to WASHINGTON,BEIJING --tags ADMN --subject "day 0 first") ||
	no "send C1: $(cat "$T/send.err")"
body "1. (S) Epoch test two."
C2=$(send 0 sato.k --class SECRET --prec ROUTINE --to WASHINGTON,BEIJING --tags ADMN --subject "day 0 second") ||
	no "send C2: $(cat "$T/send.err")"
C1ID=$(id_of "$C1") C2ID=$(id_of "$C2")
check "C1 queued for tanaka at epoch 0" [ "$(queued_epoch "$TAN" "$C1ID")" = 0 ]
dp tanaka.h read "$C1" >"$T/out" 2>&1 || no "tanaka reads C1: $(cat "$T/out")"
check "reading stores the cable's sealed file key (0600)" [ "$(stat -c %a "$T/tanaka.h/cache/$C1ID.key" 2>/dev/null)" = 600 ]
dp tanaka.h ack "$C1" >/dev/null || no "ack C1"
cp -a "$T/tanaka.h" "$T/tanaka.before"

# ---- senders trust only keys the device signed ----
stop_switch
db_keep || no "keep the store"
db_sql "UPDATE epoch_keys SET (age_recipient, record) = (SELECT age_recipient, record FROM epoch_keys
	WHERE hex(device)=upper('$ITO') AND epoch=0) WHERE hex(device)=upper('$TAN') AND epoch=0" ||
	no "tamper with the directory"
start_switch || no "denpod restart"
body "1. (S) Must not be sent."
send 0 sato.k --class SECRET --prec ROUTINE --to WASHINGTON --tags ADMN --subject "substituted key" >/dev/null
check "a key the device did not sign: send refused, exit 3" [ $? = 3 ]
check "... saying so" grep -Eq "did not sign|not in the transparency log" "$T/send.err"
check "... and nothing was stored" [ "$(q "SELECT count(*) FROM cables")" = 2 ]
stop_switch
db_restore || no "restore the store"
start_switch || no "denpod restart"

# an envelope made now for tanaka's epoch 0, submitted later
"$TS" envelope "$T/x" "$URL" "$PIN" WASHINGTON SECRET ROUTINE "$T/late.sub" >/dev/null 2>&1 || no "make envelope"
check "the switch refuses an unknown epoch (409 state)" \
	[ "$("$TS" send "$T/x" "$URL" "$PIN" WASHINGTON SECRET ROUTINE --epoch 4000 2>/dev/null | head -c 3)" = 409 ]

# GET /v1/keys is answered once the commit that holds it returned, read on the switch's read
# connection: a cable accepted just before is among its epoch's pending (docs/api.md)
XDEV=$(q "SELECT lower(hex(id)) FROM devices WHERE officer='test.x'")
"$TS" send "$T/x" "$URL" "$PIN" HQ SECRET ROUTINE >/dev/null 2>&1 || no "test.x sends to HQ"
KX=$(q "SELECT lower(hex(c.cable_id)) FROM cables c JOIN deliveries d ON d.seq=c.seq WHERE
	hex(d.device)=upper('$XDEV') AND d.acked IS NULL ORDER BY c.seq DESC LIMIT 1")
"$TS" get "$T/x" "$URL" "$PIN" /v1/keys 2>/dev/null | sed 's/^[0-9]* //' >"$T/keys.json"
check "GET /v1/keys: the cable just accepted ($KX) is pending at its epoch 0" \
	jq -e --arg id "$KX" '[.epochs[] | select(.epoch == 0 and (.pending | index($id)))] | length == 1' "$T/keys.json"

# ---- day 2: epoch 0 has closed ----
restart_at 2
check "an envelope for an expired epoch is refused (409 state)" \
	[ "$("$TS" post "$T/x" "$URL" "$PIN" /v1/cables "$T/late.sub" 2>/dev/null | head -c 3)" = 409 ]
check "... and the switch says it expired" \
	[ "$("$TS" post "$T/x" "$URL" "$PIN" /v1/cables "$T/late.sub" 2>/dev/null | sed 's/^[0-9]* //' | jq -r .error)" = state ]
body "1. (S) Day two."
C3=$(send 2 sato.k --class SECRET --prec ROUTINE --to WASHINGTON,BEIJING --tags ADMN --subject "day 2") ||
	no "send C3: $(cat "$T/send.err")"
C3ID=$(id_of "$C3")
check "C3 goes to tanaka's epoch 2 (published ahead)" [ "$(queued_epoch "$TAN" "$C3ID")" = 2 ]
check "... and to ito's epoch 2, though ito has not connected since day 0" [ "$(queued_epoch "$ITO" "$C3ID")" = 2 ]
check "tanaka still holds epoch 0 (C2 is queued for it, not fetched)" holds "$T/tanaka.h" 0
at 2 dp tanaka.h --json key status >"$T/ks.json" 2>"$T/ks.err" || no "key status day 2: $(cat "$T/ks.err")"
check "upkeep erased the closed epoch" [ "$(jq .upkeep.erased "$T/ks.json")" = 1 ]
check "epoch 0 is gone from the keystore" not holds "$T/tanaka.h" 0
check "epoch 1 (valid an hour into day 2) is kept" holds "$T/tanaka.h" 1
check "C2 was fetched and re-wrapped before the erasure" [ -s "$T/tanaka.h/cache/$C2ID.key" ]
at 2 dp tanaka.h read "$C2" >"$T/out" 2>&1
check "C2 (epoch 0, erased) still reads on the device" grep -q "Epoch test two" "$T/out"
at 2 dp tanaka.h read "$C1" >"$T/out" 2>&1
check "C1 too" grep -q "Epoch test one" "$T/out"
at 2 dp tanaka.h read "$C3" >"$T/out" 2>&1
check "C3 (epoch 2) reads" grep -q "Day two" "$T/out"
body "1. (S) Acknowledged unread."
C3B=$(send 2 sato.k --class SECRET --prec ROUTINE --to WASHINGTON --tags ADMN --subject "ack unread") ||
	no "send C3B: $(cat "$T/send.err")"
C3BID=$(id_of "$C3B")
at 2 dp tanaka.h ack "$C3B" >/dev/null || no "ack C3B unread"
check "acknowledging an unread cable first stores it with its sealed key" \
	test -s "$T/tanaka.h/cache/$C3BID.key" -a -s "$T/tanaka.h/cache/$C3BID.cable" -a -e "$T/tanaka.h/cache/$C3BID.acked"

# ---- forward secrecy ----
at 2 dp tanaka.h ack "$C2" >/dev/null || no "ack C2"
at 2 dp tanaka.h ack "$C3" >/dev/null || no "ack C3"
stop_switch
cp -a "$T/tanaka.h" "$T/tanaka.after" # the whole device, keystore and passphrase included
db_keep copy || no "copy the store" # the switch's whole database
start_switch || no "denpod restart"
check "control: the day-0 copy of the device opens C1 and C2 in the switch's database" \
	[ "$(opens "$T/tanaka.before" copy "$C1ID" "$C2ID")" = 2 ]
check "after the epoch changed and epoch 0 was erased no key on the device opens C1 or C2 in the switch's database" \
	[ "$(opens "$T/tanaka.after" copy "$C1ID" "$C2ID")" = 0 ]
check "... while its current epoch opens C3 (the test would see a key)" \
	[ "$(opens "$T/tanaka.after" copy "$C3ID")" = 1 ]
check "C1 and C2 stay readable on the device only through their local file keys" \
	test -s "$T/tanaka.after/cache/$C1ID.key" -a -s "$T/tanaka.after/cache/$C2ID.key"
cp "$T/tanaka.after/cache/$C2ID.key" "$T/tanaka.after/cache/$C1ID.key"
at 2 "$DENPO" --home "$T/tanaka.after" read "$C1" >"$T/out" 2>&1
check "a file key sealed for C2 does not open C1 (exit 3)" [ $? = 3 ]
at 2 dp tanaka.h purge "$C1" "$C2" >/dev/null || no "purge"
check "purge removes the local copy and its key" test ! -e "$T/tanaka.h/cache/$C1ID.key" -a ! -e "$T/tanaka.h/cache/$C1ID.cable"
at 2 dp tanaka.h read "$C1ID" >"$T/out" 2>&1
rc=$?
check "after purge the device cannot read C1 (exit 3, got $rc)" [ "$rc" = 3 ]
check "... and says its key was erased" grep -q "erased" "$T/out"
cp -a "$T/tanaka.h" "$T/tanaka.purged"
check "a copy of the purged device with the switch's database opens neither C1 nor C2" \
	test "$(opens "$T/tanaka.purged" "" "$C1ID" "$C2ID")" = 0 -a ! -e "$T/tanaka.purged/cache/$C2ID.key"

# ---- a post cut off for days: ito (BEIJING) last connected on day 0 ----
restart_at 6
body "1. (S) Day six."
C4=$(send 6 sato.k --class SECRET --prec ROUTINE --to BEIJING --tags ADMN --subject "day 6") ||
	no "send C4: $(cat "$T/send.err")"
C4ID=$(id_of "$C4")
check "day 6: ito, cut off since day 0, still receives (epoch 6)" [ "$(queued_epoch "$ITO" "$C4ID")" = 6 ]
for c in "$C1" "$C2" "$C3" "$C4"; do
	at 6 dp ito.m read "$c" >"$T/out" 2>&1 || no "ito reads $c after six days away: $(cat "$T/out")"
done
check "ito's upkeep erased its closed epochs" not holds "$T/ito.m" 0
at 6 dp tanaka.h read "$C3BID" >"$T/out" 2>&1 || no "tanaka reads C3B on day 6: $(cat "$T/out")"
check "a cable acknowledged unread still reads after its epoch (2) was erased" not holds "$T/tanaka.h" 2
at 6 dp ito.m purge "$C4" 2>"$T/out" >/dev/null
check "purge keeps a cable not yet acknowledged" test -s "$T/ito.m/cache/$C4ID.key"
check "... and says why" grep -q "not acknowledged" "$T/out"

# ---- beyond the lookahead: mori (BEIJING) last connected on day 0 ----
restart_at 12
body "1. (S) Day twelve."
C5=$(send 12 sato.k --class SECRET --prec ROUTINE --to BEIJING --tags ADMN --subject "day 12") ||
	no "send C5: $(cat "$T/send.err")"
C5ID=$(id_of "$C5")
check "day 12: mori has no current key: the sender is warned" grep -q "mori.y at BEIJING has no current key" "$T/send.err"
check "... and mori is not a recipient" [ -z "$(queued_epoch "$MORI" "$C5ID")" ]
check "... while ito (connected on day 6) is" [ -n "$(queued_epoch "$ITO" "$C5ID")" ]
for c in "$C1" "$C2" "$C3" "$C4"; do
	at 12 dp mori.y read "$c" >"$T/out" 2>&1 || no "mori reads $c after twelve days away: $(cat "$T/out")"
done
check "mori is reachable again once it has connected" \
	bash -c "DENPO_TEST_CLOCK_OFFSET=$((12 * DAY)) '$DENPO' --home '$T/sato.k' send --body '$T/body' --class SECRET \
		--prec ROUTINE --to BEIJING --tags ADMN --subject again 2>&1 >/dev/null | grep -q 'encrypting to 2 devices'"

# ---- rotate, and two processes of one device at once ----
before=$(q "SELECT max(epoch) FROM epoch_keys WHERE hex(device)=upper('$TAN')")
at 12 dp tanaka.h key rotate >/dev/null &
ROT=$!
at 12 dp tanaka.h key rotate >/dev/null || no "rotate (second process)"
wait "$ROT" || no "rotate (first process)"
NOW=$(($(date +%s) + 12 * DAY))
cur=$(q "SELECT max(epoch) FROM epoch_keys WHERE hex(device)=upper('$TAN') AND not_before <= $NOW")
check "two concurrent rotations each started an epoch now" \
	[ "$(q "SELECT count(*) FROM epoch_keys WHERE hex(device)=upper('$TAN') AND epoch > $before AND not_before BETWEEN $NOW - 120 AND $NOW")" = 2 ]
sw=$(q "SELECT group_concat(epoch,' ') FROM (SELECT epoch FROM epoch_keys WHERE hex(device)=upper('$TAN') AND not_after > $NOW ORDER BY epoch) AS e")
dv=$(held "$T/tanaka.h")
lost=0
for e in $sw; do echo " $dv " | grep -q " $e " || lost=$((lost + 1)); done
check "no key the switch hands out for tanaka was lost by either process (switch: $sw; device: $dv)" [ "$lost" = 0 ]
body "1. (S) After rotation."
C6=$(send 12 sato.k --class SECRET --prec FLASH --to WASHINGTON --tags ADMN --subject "after rotate") ||
	no "send C6: $(cat "$T/send.err")"
check "the newest rotation's epoch ($cur) is current at once" [ "$(queued_epoch "$TAN" "$(id_of "$C6")")" = "$cur" ]
at 12 dp tanaka.h read "$C6" >"$T/out" 2>&1
check "and the device reads with it" grep -q "After rotation" "$T/out"

t_done it_epochs
