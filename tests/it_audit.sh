#!/usr/bin/env bash
# it_audit.sh - `denpo audit` through the real programs, against ground
# truth this script keeps: a switch with three posts, officers with one or
# two devices, an AUDIT-role officer; cables sent, fetched (some twice, one
# 259 times), acknowledged; then the auditor mirrors the log and the
# answers of `audit device` (by device, officer, post, time window),
# `audit cable` and `audit breach` must be exactly the sets the script
# made happen.  A non-audit device cannot mirror; the breach report
# verifies offline and stops verifying when one byte of a proof or of an
# entry changes; a mirror changed on disk is caught; the Go checker (if
# built) re-verifies a proof independently.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_audit "$DENPOD" "$DENPO" "$TS"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="audit test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
URL=https://127.0.0.1:$PORT
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
# a second device HOME for OFFICER at POST
second_device() {
	"$DENPO" --home "$T/$1" init --officer "$2" --post "$3" >/dev/null &&
		D approve "$T/$1/enrol-request.txt" --out "$T/$1.answer" >/dev/null &&
		"$DENPO" --home "$T/$1" enrol --answer "$T/$1.answer" >/dev/null
}
# refetch HOME ID: forget the local copy, so the next read fetches from the switch again
forget() { rm -f "$T/$1/cache/$2".*; }
A() { dp aud.k "$@"; }      # the auditor's device
AJ() { dp aud.k --json "$@"; }
sorted() { tr ' ' '\n' | sed '/^$/d' | sort | paste -sd' ' -; }

# ---- the switch, three posts, officers; ito.m has two devices ----
{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add BEIJING &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" &&
		D officer add aud.k --post HQ --clearance CONFIDENTIAL --roles AUDIT &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add suzuki.a --post WASHINGTON --clearance CONFIDENTIAL &&
		D officer add ito.m --post BEIJING --clearance SECRET &&
		D officer add mori.y --post BEIJING --clearance SECRET &&
		D officer add test.x --post BEIJING --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices sato.k:HQ aud.k:HQ tanaka.h:WASHINGTON suzuki.a:WASHINGTON ito.m:BEIJING mori.y:BEIJING
second_device ito2 ito.m BEIJING || no "second device of ito.m"
"$TS" enrol "$T/x" test.x BEIJING && D approve "$T/x/request" --out "$T/x/answer" >/dev/null || no "enrol test.x"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
# test.x fetches one cable 259 times at machine speed to fill a log bundle: detection
# (tests/it_detect.sh) would rightly throttle that; here it only reports
printf 'rule.MACHINE-SPEED.mode = report\nrule.ENUM-RANGE.mode = report\nrule.BULK-CAP.mode = report\n' >"$T/sw/detect.conf"
start_switch || no "denpod did not start"
SATO=$(dev_of sato.k) AUD=$(dev_of aud.k) TAN=$(dev_of tanaka.h) SUZ=$(dev_of suzuki.a)
ITO=$(dev_of ito.m) ITO2=$(dev_of ito2) MORI=$(dev_of mori.y)
XDEV=$(D device list | awk '/test\.x/ {print $1}')
check "test.x's device id known ($XDEV)" [ ${#XDEV} = 64 ]

# ---- the ground truth: what happens ----
body "1. (C) Audit test."
C1=$(send sato.k --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ADMN --subject one) || no "send C1: $(cat "$T/send.err")"
C2=$(send sato.k --class SECRET --prec IMMEDIATE/ROUTINE --to BEIJING --info WASHINGTON --tags PREL --subject two) ||
	no "send C2: $(cat "$T/send.err")"
C3=$(send tanaka.h --class CONFIDENTIAL --prec PRIORITY --to HQ --tags ADMN --subject three) || no "send C3: $(cat "$T/send.err")"
C1ID=$(id_of "$C1") C2ID=$(id_of "$C2") C3ID=$(id_of "$C3")
# phase 1
dp tanaka.h read "$C1" >/dev/null && dp tanaka.h ack "$C1" >/dev/null || no "tanaka.h C1"
dp suzuki.a read "$C1" >/dev/null || no "suzuki.a C1"
dp ito.m read "$C2" >/dev/null && dp ito.m ack "$C2" >/dev/null || no "ito.m C2"
dp tanaka.h read "$C2" >/dev/null || no "tanaka.h C2"
sleep 2
MID=$(date +%s)
sleep 1
# phase 2: second fetches after the local copy is gone, more reads and acks
forget suzuki.a "$C1ID"
dp suzuki.a read "$C1" >/dev/null || no "suzuki.a C1 again"
forget tanaka.h "$C2ID"
dp tanaka.h read "$C2" >/dev/null && dp tanaka.h ack "$C2" >/dev/null || no "tanaka.h C2 again"
dp ito2 read "$C2" >/dev/null || no "ito2 C2"
dp sato.k read "$C3" >/dev/null && dp sato.k ack "$C3" >/dev/null || no "sato.k C3"
# the test device fetches C2 259 times: the log passes 256 entries (a full bundle)
n=0
for _ in $(seq 259); do
	curl -sfk --cert "$T/x/tls.crt" --key "$T/x/tls.pem" "$URL/v1/cables/$C2ID" -o /dev/null && n=$((n + 1))
done
check "test.x fetched C2 259 times ($n)" [ "$n" = 259 ]
sleep 1 # a signed checkpoint covers the last entries (signer: <= 200 ms)

# ---- who may mirror ----
dp tanaka.h audit sync >"$T/out" 2>"$T/err"
check "a non-audit device cannot mirror (exit 1)" [ $? = 1 ]
check "it is told why: the AUDIT role" grep -q "AUDIT role" "$T/err"
check "and nothing was mirrored" [ ! -e "$T/tanaka.h/audit/checkpoint" ]
AJ audit device "$TAN" >"$T/out" 2>"$T/err"
check "a query before any sync: exit 1, says to sync" [ $? = 1 ] && check "  (message)" grep -q "audit sync" "$T/err"
AJ audit sync >"$T/sync.json" 2>"$T/err" || no "audit sync: $(cat "$T/err")"
SIZE=$(jq -r .size "$T/sync.json")
check "the mirror holds more than one bundle ($SIZE entries)" [ "${SIZE:-0}" -gt 256 ]
check "the mirror's checkpoint is the log's (root)" \
	[ "$(sed -n 3p "$T/aud.k/audit/checkpoint")" = "$(jq -r .root "$T/sync.json")" ]
check "one full bundle kept, the right edge as a partial" [ -f "$T/aud.k/audit/entries/0" ] &&
	check "  (partial)" [ -f "$T/aud.k/audit/entries/1.p" ]
check "mirror files are 0600" [ "$(stat -c %a "$T/aud.k/audit/entries/0")" = 600 ]
check "denpod log verify agrees with the log" D log verify >/dev/null
# the devices cosign what they verify: the mirror follows a witnessed checkpoint and counts the
# cosignatures that verify -- here every denpo-device/ line of it, which the switch checked
COS=$(jq -r .cosignatures "$T/sync.json")
check "the mirror's checkpoint is witnessed ($COS cosignatures)" [ "$(jq -r .witnessed "$T/sync.json")" = true ] &&
	check "  (at least one)" [ "${COS:-0}" -ge 1 ]
check "  the count is that of the device cosignature lines" \
	[ "$(grep -c "^— denpo-device/" "$T/aud.k/audit/checkpoint")" = "$COS" ]
# forged lines on the mirror's checkpoint (the log's signature still holds): they count for nothing
cp "$T/aud.k/audit/checkpoint" "$T/ck.bak"
python3 - "$XDEV" >>"$T/aud.k/audit/checkpoint" <<'PY'
import base64, hashlib, os, sys
for hexid in (sys.argv[1], os.urandom(32).hex()):  # test.x never cosigns; a made-up device
    name = "denpo-device/" + hexid
    kid = hashlib.sha256(name.encode() + b"\n" + b"\x04" + bytes.fromhex(hexid)).digest()[:4]
    print("\u2014 %s %s" % (name, base64.b64encode(kid + os.urandom(72)).decode()))
PY
AJ audit device "$TAN" >"$T/d.json" 2>"$T/err" || no "audit device with forged cosignature lines: $(cat "$T/err")"
check "forged denpo-device/ lines are not counted ($COS)" [ "$(jq -r .log.cosignatures "$T/d.json")" = "$COS" ]
cp "$T/ck.bak" "$T/aud.k/audit/checkpoint"
# a cosignature that verifies, by a key no device-enrolled entry of the log names: it
# counts for nothing either (a key the log never enrolled is no device)
if python3 -c 'import cryptography' 2>/dev/null; then
	(python3 - "$T/aud.k/audit/checkpoint" <<'PY'
import base64, hashlib, struct, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
path = sys.argv[1]
note = open(path, "rb").read()
text = note[: note.index(b"\n\n") + 1]
sk = Ed25519PrivateKey.generate()
pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
name = "denpo-device/" + pk.hex()
kid = hashlib.sha256(name.encode() + b"\n" + b"\x04" + pk).digest()[:4]
t = int(time.time())
sig = sk.sign(b"cosignature/v1\ntime %d\n" % t + text)
line = "\u2014 %s %s\n" % (name, base64.b64encode(kid + struct.pack(">Q", t) + sig).decode())
open(path, "ab").write(line.encode())
sys.stdout.write(line)
PY
	) >"$T/unenrolled.line"
	AJ audit device "$TAN" >"$T/d.json" 2>"$T/err" || no "audit device with an unenrolled cosigner: $(cat "$T/err")"
	check "a valid cosignature by a key the log never enrolled: not counted ($COS)" \
		[ "$(jq -r .log.cosignatures "$T/d.json")" = "$COS" ]
	A audit breach "$SUZ" --out "$T/rep0" >/dev/null 2>"$T/err" || no "audit breach with an unenrolled cosigner: $(cat "$T/err")"
	check "  nor in the breach report ($COS)" [ "$(jq -r .log.cosignatures "$T/rep0/report.json")" = "$COS" ] &&
		check "  (report.txt)" grep -q "^Cosigned:  by $COS devices" "$T/rep0/report.txt"
	# only the unenrolled key's cosignature: 0, unwitnessed
	{ grep -v "^— denpo-device/" "$T/ck.bak"; cat "$T/unenrolled.line"; } >"$T/ck.one"
	cp "$T/ck.one" "$T/aud.k/audit/checkpoint"
	A audit breach "$SUZ" --out "$T/rep1" >/dev/null 2>"$T/err" || no "audit breach, unenrolled cosigner only: $(cat "$T/err")"
	check "only an unenrolled key cosigned: the report counts 0, unwitnessed" \
		[ "$(jq -r '"\(.log.cosignatures) \(.log.witnessed)"' "$T/rep1/report.json")" = "0 false" ] &&
		check "  (report.txt)" grep -q "^Cosigned:  by 0 devices" "$T/rep1/report.txt"
	cp "$T/ck.bak" "$T/aud.k/audit/checkpoint"
else
	echo "skip: python3 cryptography missing: no unenrolled-cosigner check"
fi

# ---- audit device: by device ----
# rows "MRN:FETCHES:ACKED" of a device query
rows() { jq -r '.cables[] | "\(.mrn):\(.fetches):\(.acked != null)"' "$1" | sort | paste -sd' ' -; }
AJ audit device "$TAN" >"$T/d.json" || no "audit device tanaka.h"
check "tanaka.h: C1 once (acked), C2 twice (acked)" \
	[ "$(rows "$T/d.json")" = "$(printf '%s\n' "$C1:1:true" "$C2:2:true" | sort | paste -sd' ' -)" ]
check "tanaka.h: the device is named from its enrolment entry" \
	[ "$(jq -r '.devices[] | "\(.officer) \(.post)"' "$T/d.json")" = "tanaka.h WASHINGTON" ]
check "tanaka.h: every entry is a fetch or an ack of that device" \
	[ "$(jq -r '[.entries[] | select(.device != "'"$TAN"'")] | length' "$T/d.json")" = 0 ]
check "tanaka.h: entries: delivered C1, delivered C2, fetched C2, acked C1, acked C2" \
	[ "$(jq -r '.entries[] | "\(.event):\(.mrn)"' "$T/d.json" | sort | paste -sd' ' -)" = \
	"$(printf '%s\n' "cable-acked:$C1" "cable-acked:$C2" "cable-delivered:$C1" "cable-delivered:$C2" "cable-fetched:$C2" | sort | paste -sd' ' -)" ]
AJ audit device "$SUZ" >"$T/d.json" || no "audit device suzuki.a"
check "suzuki.a: C1 twice, not acked" [ "$(rows "$T/d.json")" = "$C1:2:false" ]
AJ audit device "$MORI" >"$T/d.json" || no "audit device mori.y"
check "mori.y fetched nothing" [ "$(jq '.cables | length' "$T/d.json")" = 0 ]
AJ audit device "$XDEV" >"$T/d.json" || no "audit device test.x"
check "test.x: C2 259 times" [ "$(rows "$T/d.json")" = "$C2:259:false" ]
AJ audit device "${ITO2:0:12}" >"$T/d.json" || no "audit device by prefix"
check "a unique prefix names the device" [ "$(jq -r '.devices[0].device' "$T/d.json")" = "$ITO2" ]
check "ito.m's second device: C2 once, not acked" [ "$(rows "$T/d.json")" = "$C2:1:false" ]
A audit device "0000" >/dev/null 2>&1
check "a too short prefix: error" [ $? != 0 ]

# ---- by officer, by post (devices from the log's enrolment entries) ----
AJ audit device --officer ito.m >"$T/d.json" || no "audit device --officer"
check "ito.m: both devices" [ "$(jq -r '.devices[].device' "$T/d.json" | sorted)" = "$(echo "$ITO $ITO2" | sorted)" ]
check "ito.m: C2 by each device, one acked" \
	[ "$(jq -r '.cables[] | "\(.device):\(.mrn):\(.fetches):\(.acked != null)"' "$T/d.json" | sorted)" = \
	"$(echo "$ITO:$C2:1:true $ITO2:$C2:1:false" | sorted)" ]
AJ audit device --post WASHINGTON >"$T/d.json" || no "audit device --post"
check "WASHINGTON: its two devices" [ "$(jq -r '.devices[].device' "$T/d.json" | sorted)" = "$(echo "$TAN $SUZ" | sorted)" ]
check "WASHINGTON: (device, cable, fetches)" \
	[ "$(jq -r '.cables[] | "\(.device):\(.mrn):\(.fetches)"' "$T/d.json" | sorted)" = \
	"$(echo "$TAN:$C1:1 $TAN:$C2:2 $SUZ:$C1:2" | sorted)" ]
AJ audit device --post BEIJING >"$T/d.json" || no "audit device --post BEIJING"
check "BEIJING: four devices (ito.m x2, mori.y, test.x)" [ "$(jq '.devices | length' "$T/d.json")" = 4 ]
check "BEIJING: 1 + 1 + 259 fetches" [ "$(jq '[.cables[].fetches] | add' "$T/d.json")" = 261 ]

# ---- time windows ----
AJ audit device "$SUZ" --from "$MID" >"$T/d.json" || no "audit device --from"
check "--from: only suzuki.a's second fetch" [ "$(jq -r '[.entries[].event] | join(",")' "$T/d.json")" = cable-fetched ]
TO=$(date -u -d "@$MID" +%Y-%m-%dT%H:%M:%SZ)
AJ audit device "$SUZ" --to "$TO" >"$T/d.json" || no "audit device --to ISO"
check "--to (ISO time): only the first fetch" [ "$(jq -r '[.entries[].event] | join(",")' "$T/d.json")" = cable-delivered ]
AJ audit device --officer tanaka.h --from "$MID" >"$T/d.json" || no "audit device --officer --from"
check "--officer --from: tanaka.h's C2 refetch and two acks... only phase 2" \
	[ "$(jq -r '.entries[] | "\(.event):\(.mrn)"' "$T/d.json" | sorted)" = "$(echo "cable-fetched:$C2 cable-acked:$C2" | sorted)" ]
AJ audit device "$SUZ" --from "$(date -u -d "@$((MID + 86400))" +%Y-%m-%d)" >"$T/d.json" || no "--from a date"
check "--from tomorrow (a date): nothing" [ "$(jq '.entries | length' "$T/d.json")" = 0 ]
for bad in yesterday 2026-13-01 2026-02-30 "2026-01-01 10:00" 12abc -5; do
	A audit device "$SUZ" --from "$bad" >/dev/null 2>&1
	check "--from '$bad' refused (exit 2)" [ $? = 2 ]
done

# ---- audit cable ----
AJ audit cable "$C2" >"$T/c.json" || no "audit cable C2"
check "C2: recipients from cable-accepted = BEIJING x4 + tanaka.h (INFO, SECRET); not suzuki.a" \
	[ "$(jq -r '.recipients[].device' "$T/c.json" | sorted)" = "$(echo "$ITO $ITO2 $MORI $XDEV $TAN" | sorted)" ]
check "C2: originator sato.k's device" [ "$(jq -r .accepted.originator "$T/c.json")" = "$SATO" ]
check "C2: per recipient fetches and acks" \
	[ "$(jq -r '.recipients[] | "\(.device):\(.fetches):\(.acked != null)"' "$T/c.json" | sorted)" = \
	"$(echo "$ITO:1:true $ITO2:1:false $MORI:0:false $XDEV:259:false $TAN:2:true" | sorted)" ]
check "C2: entries are 4 deliveries, 259 + 0 refetches... (4 delivered, 259 fetched, 2 acked)" \
	[ "$(jq -r '[.entries[].event] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$T/c.json")" = \
	"cable-acked=2 cable-delivered=4 cable-fetched=259" ]
AJ audit cable "$C3ID" >"$T/c.json" || no "audit cable C3 by id"
check "C3 (by id): HQ's two devices received it, sato.k fetched and acked" \
	[ "$(jq -r '.recipients[] | "\(.device):\(.fetches):\(.acked != null)"' "$T/c.json" | sorted)" = \
	"$(echo "$SATO:1:true $AUD:0:false" | sorted)" ]
check "C3: the reference number" [ "$(jq -r .mrn "$T/c.json")" = "$C3" ]
A audit cable "$(echo "$C1" | tr 'A-Z' 'a-z')" >"$T/c.txt" || no "audit cable (text, lower case MRN)"
check "text answer names the cable" grep -q "^cable $C1 (id $C1ID)" "$T/c.txt"
A audit cable "26 NOWHERE 000001" >/dev/null 2>&1
check "unknown cable: exit 1" [ $? = 1 ]

# ---- audit breach ----
A audit breach "$SUZ" --out "$T/rep" >"$T/out" 2>"$T/err" || no "audit breach: $(cat "$T/err")"
R="$T/rep"
check "report files 0600" [ "$(stat -c %a "$R/report.txt") $(stat -c %a "$R/log-key.vkey")" = "600 600" ]
check "report names the device, officer and post" \
	[ "$(jq -r '"\(.device) \(.officer) \(.post)"' "$R/report.json")" = "$SUZ suzuki.a WASHINGTON" ]
check "report.txt: officer and post" grep -q "^Officer: *suzuki.a" "$R/report.txt" && check "  (post)" grep -q "^Post: *WASHINGTON" "$R/report.txt"
ev() { jq -r '.entries[] | "\(.event):\(.mrn // "-")"' "$R/report.json" | grep -v "^key-published" | sorted; }
check "breach: enrolment, C1 addressed, delivered, fetched; nothing of C2/C3" \
	[ "$(ev)" = "$(echo "device-enrolled:- cable-accepted:$C1 cable-delivered:$C1 cable-fetched:$C1" | sorted)" ]
check "breach: its key publications are listed" [ "$(jq '[.entries[] | select(.event=="key-published")] | length' "$R/report.json")" -ge 1 ]
check "breach: entries in log order" [ "$(jq '[.entries[].index] | . == sort' "$R/report.json")" = true ]
NENT=$(jq '.entries | length' "$R/report.json")
check "one proof per entry ($NENT)" [ "$(ls "$R"/*.tlog-proof | wc -l)" = "$NENT" ]
check "report.txt lists each entry" [ "$(grep -cE '^[0-9]+ +20[0-9-]+ ' "$R/report.txt")" = "$NENT" ]
check "report.txt says how many devices cosigned its checkpoint" grep -q "^Cosigned:  by $COS devices" "$R/report.txt"
check "report.json too" [ "$(jq -r '"\(.log.cosignatures) \(.log.witnessed)"' "$R/report.json")" = "$COS true" ]
check "every proof is a c2sp tlog-proof with the entry" \
	[ "$(head -qn1 "$R"/*.tlog-proof | sort -u)" = "c2sp.org/tlog-proof@v1" ]
A audit breach "$SUZ" --out "$T/rep" >/dev/null 2>&1
check "breach into a non-empty directory: refused" [ $? != 0 ]

# ---- audit verify ----
A audit verify "$R" >"$T/v.txt" 2>&1
check "verify: the report verifies (exit 0)" [ $? = 0 ]
check "verify: OK per proof" [ "$(grep -c '^OK   [0-9]*\.tlog-proof' "$T/v.txt")" = "$NENT" ]
"$DENPO" --home "$T/nohome" audit verify "$R" --log-key "$R/log-key.vkey" >/dev/null 2>&1
check "verify without any device state, key given" [ $? = 0 ]
"$DENPO" --home "$T/nohome" audit verify "$R" >"$T/v.txt" 2>&1
check "verify under the report's own key only: never OK (exit 4)" [ $? = 4 ] &&
	check "  (INCONCLUSIVE)" grep -q "^INCONCLUSIVE" "$T/v.txt"
ONE=$(jq -r '.entries[] | select(.event=="cable-fetched") | .proof' "$R/report.json")
cp "$R/$ONE" "$T/one.bak"
# one byte of a proof hash (the line after "index N")
awk 'f==1 {c=substr($0,10,1); r=(c=="A")?"B":"A"; $0=substr($0,1,9) r substr($0,11); f=2} /^index / && !f {f=1} {print}' \
	"$T/one.bak" >"$R/$ONE"
check "the tampered proof differs in one byte" [ "$(cmp -l "$T/one.bak" "$R/$ONE" | wc -l)" = 1 ]
A audit verify "$R" >"$T/v.txt" 2>&1
check "verify: a changed proof hash fails (exit 3)" [ $? = 3 ] && check "  (FAIL names the file)" grep -q "^FAIL $ONE" "$T/v.txt"
# one byte of the entry (the extra line)
awk '/^extra / && !f {c=substr($0,20,1); r=(c=="A")?"B":"A"; $0=substr($0,1,19) r substr($0,21); f=1} {print}' \
	"$T/one.bak" >"$R/$ONE"
check "the tampered entry differs in one byte" [ "$(cmp -l "$T/one.bak" "$R/$ONE" | wc -l)" = 1 ]
A audit verify "$R" >"$T/v.txt" 2>&1
check "verify: a changed entry fails (exit 3)" [ $? = 3 ] && check "  (FAIL names the file)" grep -q "^FAIL $ONE" "$T/v.txt"
cp "$T/one.bak" "$R/$ONE"
A audit verify "$R/$ONE" >/dev/null 2>&1
check "verify one proof file: ok" [ $? = 0 ]
rm "$R/$ONE"
A audit verify "$R" >"$T/v.txt" 2>&1
check "verify: a proof missing from a listed entry fails" [ $? = 3 ] && check "  (report.json)" grep -q "^FAIL report.json" "$T/v.txt"
cp "$T/one.bak" "$R/$ONE"
# the log key of another switch: a valid vkey, just not this log's
OTHERKEY=$("$DENPOD" init --data "$T/sw2" --url "https://127.0.0.1:1" --listen "127.0.0.1:1" | awk '/^log key:/ {print $3}')
A audit verify "$R" --log-key "$OTHERKEY" >"$T/v.txt" 2>&1
check "verify: under another log's key, nothing verifies (exit 3)" [ $? = 3 ] &&
	check "  (no OK proof)" not grep -q "^OK   [0-9]" "$T/v.txt"
A audit verify "$T/nonexistent" >/dev/null 2>&1
check "verify: no such directory: exit 1" [ $? = 1 ]

# ---- the Go checker (x/mod note + tlog), if present, re-verifies a proof independently ----
# Its input is a directory (see tests/go/tlogcheck/main.go): the vkey, the checkpoint, every entry
# of the log (Go hashes them itself), and proof-*.tlog-proof files (proof-bad.* must NOT verify).
GODIR="$ROOT/tests/go/tlogcheck"
if [ -f "$GODIR/main.go" ] && command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/mod ]; then
	if (cd "$GODIR" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" go build -o "$T/tlogcheck" . 2>"$T/go.err"); then
		G="$T/go"
		mkdir -p "$G"
		cp "$R/log-key.vkey" "$G/vkey"
		cp "$R/checkpoint" "$G/checkpoint"
		cp "$R/$ONE" "$G/proof-good.tlog-proof"
		awk 'f==1 {c=substr($0,10,1); r=(c=="A")?"B":"A"; $0=substr($0,1,9) r substr($0,11); f=2} /^index / && !f {f=1} {print}' \
			"$R/$ONE" >"$G/proof-bad.tlog-proof"
		# every entry of the mirror up to the report's checkpoint, hex, with its leaf hash (Python's)
		python3 - "$T/aud.k/audit/entries" "$(sed -n 2p "$R/checkpoint")" "$G/entries.txt" <<'PY'
import hashlib, os, struct, sys
d, size, out = sys.argv[1], int(sys.argv[2]), []
for b in range((size + 255) // 256):
    w = min(256, size - 256 * b)
    data = open(os.path.join(d, str(b) if w == 256 else "%d.p" % b), "rb").read()
    i = 0
    while i < len(data):
        n = struct.unpack(">H", data[i:i + 2])[0]
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
out = out[:size]
leaf = [hashlib.sha256(b"\0" + e).digest() for e in out]
open(sys.argv[3], "w").write("".join("%s %s\n" % (e.hex(), h.hex()) for e, h in zip(out, leaf)))
def mth(lo, hi):
    if hi - lo == 1:
        return leaf[lo]
    k = 1
    while 2 * k < hi - lo:
        k *= 2
    return hashlib.sha256(b"\1" + mth(lo, lo + k) + mth(lo + k, hi)).digest()
import base64
open(os.path.join(os.path.dirname(sys.argv[3]), "roots.txt"), "w").write(
    "".join("%d %s\n" % (n, base64.b64encode(mth(0, n)).decode()) for n in range(1, size + 1)))
PY
		"$T/tlogcheck" "$G" >"$T/go.out" 2>&1
		check "Go checker ran" grep -q "^tlogcheck: [0-9]* passed" "$T/go.out"
		check "Go: x/mod opens the checkpoint with the log's vkey" not grep -q "FAIL note.Open(checkpoint)" "$T/go.out"
		check "Go: x/mod RecordHash equals every leaf hash" not grep -q "FAIL RecordHash" "$T/go.out"
		check "Go: x/mod TreeHash of the log's entries is the signed checkpoint's root" \
			not grep -qE "FAIL (roots|checkpoint root)" "$T/go.out"
		check "Go: the denpo tlog-proof of entry ${ONE%%.*} verifies (x/mod CheckRecord)" \
			not grep -q "FAIL proof-good.tlog-proof" "$T/go.out"
		check "Go: the tampered proof does not" not grep -q "FAIL proof-bad.tlog-proof" "$T/go.out"
	else
		skip "tests/go/tlogcheck does not build: $(head -n 3 "$T/go.err")"
	fi
else
	skip "Go checker tests/go/tlogcheck (or go, x/mod) not present"
fi

# ---- the mirror: kept, grown, and checked every time ----
# tanaka.h's officer sent C3: the switch hands the originator the bytes (a fetch, logged), which
# this device cannot open (it encrypted to HQ only): exit 3, but the access is in the log
dp tanaka.h read "$C3" >/dev/null 2>&1
check "the originator's device fetches C3 and cannot open it (exit 3)" [ $? = 3 ]
body "1. (U) Later."
C4=$(send suzuki.a --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN --subject four) || no "send C4"
sleep 1
AJ audit sync >"$T/sync2.json" 2>"$T/err" || no "second sync: $(cat "$T/err")"
check "second sync: grows from the first" [ "$(jq -r .old_size "$T/sync2.json")" = "$SIZE" ] &&
	check "  (larger)" [ "$(jq -r .size "$T/sync2.json")" -gt "$SIZE" ]
check "second sync: the full bundle is not fetched again" [ "$(jq -r .fetched "$T/sync2.json")" = 1 ]
# a proof made under another (the newer) checkpoint swapped into the first report: caught
A audit breach "$SUZ" --out "$T/rep2" >/dev/null 2>"$T/err" || no "second breach report: $(cat "$T/err")"
FIRST=$(jq -r '.entries[0].proof' "$R/report.json")
check "both reports prove entry ${FIRST%%.*}" [ -f "$T/rep2/$FIRST" ]
cp "$R/$FIRST" "$T/first.bak"
cp "$T/rep2/$FIRST" "$R/$FIRST"
A audit verify "$R/$FIRST" >/dev/null 2>&1
check "the swapped proof verifies on its own" [ $? = 0 ]
A audit verify "$R" >"$T/v.txt" 2>&1
check "verify: a proof under another checkpoint fails (exit 3)" [ $? = 3 ] &&
	check "  (says so)" grep -q "^FAIL $FIRST: proof under another checkpoint" "$T/v.txt"
cp "$T/first.bak" "$R/$FIRST"
A audit verify "$R" >/dev/null 2>&1
check "verify: restored, the report verifies again" [ $? = 0 ]
# more cosigners than there are devices: the latest checkpoint, with a warning
AJ audit sync --min-cosigners 32 >"$T/sync3.json" 2>"$T/err"
check "sync --min-cosigners 32: still exit 0" [ $? = 0 ] &&
	check "  warns that the checkpoint is unwitnessed" grep -q "UNWITNESSED" "$T/err" &&
	check "  (json: witnessed false)" [ "$(jq -r .witnessed "$T/sync3.json")" = false ]
for k in 0 33 x; do
	A audit sync --min-cosigners $k >/dev/null 2>&1
	check "--min-cosigners $k: usage error (exit 2)" [ $? = 2 ]
done
AJ audit cable "$C4" >"$T/c.json" || no "audit cable C4"
check "C4 is in the mirror now (HQ's two devices)" [ "$(jq '.recipients | length' "$T/c.json")" = 2 ]
# one byte of a kept bundle changed on disk
B0="$T/aud.k/audit/entries/0"
cp "$B0" "$T/b0.bak"
printf 'X' | dd of="$B0" bs=1 seek=100 conv=notrunc 2>/dev/null
A audit device "$TAN" >/dev/null 2>"$T/err"
check "a mirror changed on disk is refused (exit 3)" [ $? = 3 ] && check "  (says so)" grep -q "changed on disk" "$T/err"
A audit sync >/dev/null 2>"$T/err"
check "sync over a damaged kept bundle: refused" [ $? != 0 ]
A audit sync --full >/dev/null 2>"$T/err" || no "sync --full: $(cat "$T/err")"
check "sync --full repairs it" cmp -s "$B0" "$T/b0.bak"
AJ audit device "$TAN" >"$T/d.json" 2>/dev/null
check "queries work again: tanaka.h also fetched C3, as its originator" \
	[ "$(rows "$T/d.json")" = "$(printf '%s\n' "$C1:1:true" "$C2:2:true" "$C3:1:false" | sort | paste -sd' ' -)" ]
AJ audit cable "$C3" >"$T/c.json" || no "audit cable C3 again"
check "C3: the originator's fetch is an entry, not a recipient" \
	[ "$(jq -r '[.entries[] | select(.device=="'"$TAN"'") | .event] | join(",")' "$T/c.json"):$(jq '.recipients | length' "$T/c.json")" = "cable-fetched:2" ]

# ---- usage ----
for a in "" "nosuch" "device" "device $TAN --officer ito.m" "cable" "breach $TAN" "sync extra" "cable $C1 --from 1"; do
	# shellcheck disable=SC2086
	A audit $a >/dev/null 2>&1
	check "usage error: 'audit $a' (exit 2)" [ $? = 2 ]
done
for s in sync device cable breach verify; do
	A audit $s --help | grep -q "^usage: denpo audit $s" || no "audit $s --help"
done
check "the key never reaches a report" not grep -rqi "PRIVATE" "$R"

t_done it_audit
