#!/usr/bin/env bash
# it_devindex_switch.sh - the officer index, switch side (docs/transparency.md §6), through
# the real denpod and curl with device certificates: every checkpoint carries the
# officer-index line; an officer's record lists their devices and its proof verifies
# against that line (tests/tool_devindex.c, dp_devindex_verify), and so does the proof
# that an unknown officer has none; enrol, suspend, revoke change the record and the
# root; a device approves another of its officer (a device-approved entry the record
# shows) and reports one not approved (an alert entry that reaches alerts.jsonl), at most
# 8 reports per device an hour and none of a revoked device; resolve
# carries the officers' proofs; a database without the records is replayed from the
# log; `denpod log verify` catches an altered officer_index row, naming the officer, and
# the signer replays the index rather than sign over it.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit" TI="$BUILD/tests/tool_devindex"
need_programs it_devindex_switch "$DENPOD" "$TS" "$TI"
need_tools it_devindex_switch curl jq
t_workdir
export DENPOD_DATA="$T/sw"
URL="https://127.0.0.1:$PORT"
# cu DEVICE-DIR ARGS...: curl with the device's TLS certificate
devid() { "$TI" id "$T/$1/sign.seed"; } # a tool_submit device's id
# nent TEXT: the log entries holding TEXT (a line such as "Event: device-approved")
cpsize() { db_sql "SELECT max(size) FROM log_checkpoints"; }
entries() { db_sql "SELECT count(*) FROM log_entries"; }
# signed: wait (<= 5 s) until the latest checkpoint covers every entry
signed() { for _ in $(seq 50); do [ "$(cpsize)" = "$(entries)" ] && return 0; sleep 0.1; done; return 1; }
officer() { cu a "$URL/v1/log/officer?handle=$1" >"$T/off.json" && "$TI" verify "$T/off.json" "$1" >"$T/off.txt"; }
line_root() { jq -r .log.checkpoint "$T/off.json" | sed -n 's/^officer-index //p'; }
# listed_active: every device of $T/res.json (a resolve answer) is active in $T/res.txt (its verified record)
listed_active() {
	local d
	for d in $(jq -r '.devices[].device' "$T/res.json"); do
		grep -q "^Device: $d [0-9]* [0-9]* active " "$T/res.txt" || return 1
	done
}
post() { printf '%s' "$3" >"$T/body.json"; cu "$1" -o "$T/post.json" -w '%{http_code}' -X POST --data-binary @"$T/body.json" "$URL$2"; }

{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET
} >"$T/init.out" 2>&1 || no "switch setup: $(cat "$T/init.out")"
for dv in a:tanaka.h:WASHINGTON b:tanaka.h:WASHINGTON s:sato.k:HQ; do
	IFS=: read -r d o p <<<"$dv"
	{ "$TS" enrol "$T/$d" "$o" "$p" && D approve "$T/$d/request" --out "$T/$d/answer"; } >/dev/null 2>&1 ||
		no "enrol $d for $o"
done
start_switch || no "denpod did not start"
A=$(devid a) B=$(devid b) S=$(devid s)
signed || no "the log was not signed"

# ---- the checkpoint carries the line; the record lists the officer's devices ----
cu a "$URL/v1/log/checkpoint" >"$T/cp"
check "the checkpoint carries an officer-index line" grep -qE '^officer-index [A-Za-z0-9+/]{43}=$' "$T/cp"
officer tanaka.h
check "GET /v1/log/officer: tanaka.h's proof verifies against the checkpoint's line" [ "$(head -1 "$T/off.txt")" = member ]
check "... the record names the officer" grep -qx "Officer: tanaka.h" "$T/off.txt"
check "... and lists both devices, active, not approved" \
	all "grep -q '^Device: $A [0-9]* [0-9]* active [0-9]* 0@[0-9]* - TESTDEV$' '$T/off.txt'" \
	"grep -q '^Device: $B [0-9]* [0-9]* active [0-9]* 0@[0-9]* - TESTDEV$' '$T/off.txt'"
check "... and not sato.k's device" not grep -q "$S" "$T/off.txt"
check "... with each device's key-published entry" [ "$(grep -c '^Device: .* active [0-9]* 0@[0-9]* ' "$T/off.txt")" = 2 ]
check "... the answer's log object is resolve's (checkpoint, consistency)" \
	[ "$(jq -r '.log | keys | join(",")' "$T/off.json")" = "checkpoint,consistency" ]
R0=$(line_root)
cu a "$URL/v1/log/officer?handle=nobody.x" >"$T/off.json"
check "an officer with no device: no record, and the proof of absence verifies" \
	all "[ \"\$(jq -r '.officer | has(\"record\")' '$T/off.json')\" = false ]" \
	"[ \"\$('$TI' verify '$T/off.json' nobody.x)\" = absent ]"
# a proof for another officer's record does not pass for tanaka.h's
cu a "$URL/v1/log/officer?handle=sato.k" >"$T/s.json"
jq '.officer.handle="tanaka.h"' "$T/s.json" >"$T/swap.json"
check "sato.k's record and proof given for tanaka.h: the proof check fails" not "$TI" verify "$T/swap.json" tanaka.h 2>/dev/null
jq '.officer.record |= (@base64d | sub("active"; "revoked") | @base64)' "$T/s.json" >"$T/edit.json"
check "an edited record under the same proof: the proof check fails" not "$TI" verify "$T/edit.json" sato.k 2>/dev/null
st=$(cu a -o "$T/bad.json" -w '%{http_code}' "$URL/v1/log/officer?handle=Bad%20Name")
check "a malformed handle: 400 with a message" all '[ "$st" = 400 ]' "jq -e >/dev/null '.error | length > 0' '$T/bad.json'"

# ---- suspend, reinstate, enrol, revoke: the record and the root follow ----
D device suspend "$B" >/dev/null 2>&1 || no "suspend b"
signed || no "not signed after suspend"
officer tanaka.h
check "suspend: the record says suspended" grep -q "^Device: $B [0-9]* [0-9]* suspended " "$T/off.txt"
R1=$(line_root)
check "... and the root changed" [ "$R1" != "$R0" ]
D device reinstate "$B" >/dev/null 2>&1 || no "reinstate b"
{ "$TS" enrol "$T/c" tanaka.h WASHINGTON && D approve "$T/c/request" --out "$T/c/answer"; } >/dev/null 2>&1 || no "enrol c"
C=$(devid c)
signed || no "not signed after enrol"
officer tanaka.h
check "enrol: a third device is listed" [ "$(grep -c '^Device: ' "$T/off.txt")" = 3 ]
check "... b is active again" grep -q "^Device: $B [0-9]* [0-9]* active " "$T/off.txt"
R2=$(line_root)
check "... the root changed again" [ "$R2" != "$R1" ]

# ---- approve ----
SIG=$("$TI" approve "$T/a/sign.seed" tanaka.h "$B")
st=$(post a /v1/devices/approve "{\"device\":\"$B\",\"signature\":\"$SIG\"}")
check "approve: a's approval of b is logged (201)" all '[ "$st" = 201 ]' "jq -e >/dev/null '.log_index >= 0' '$T/post.json'"
signed || no "not signed after approve"
check "... as a device-approved entry" [ "$(nent 'Event: device-approved')" = 1 ]
officer tanaka.h
check "... the record carries the approval by a" grep -q "^Device: $B .* $A@[0-9]*:[A-Za-z0-9+/]*=* TESTDEV$" "$T/off.txt"
st=$(post a /v1/devices/approve "{\"device\":\"$B\",\"signature\":\"$SIG\"}")
check "approving again: 200, already approved, nothing logged" \
	all '[ "$st" = 200 ]' "jq -e >/dev/null '.already_approved' '$T/post.json'" \
	"[ \"\$(nent 'Event: device-approved')\" = 1 ]"
n0=$(entries)
SIGC=$("$TI" approve "$T/b/sign.seed" tanaka.h "$C")
st=$(post a /v1/devices/approve "{\"device\":\"$C\",\"signature\":\"$SIGC\"}")
check "a signature by another device than the caller: 400, saying so" \
	all '[ "$st" = 400 ]' "grep -q 'not this device.s approval' '$T/post.json'"
st=$(post s /v1/devices/approve "{\"device\":\"$C\",\"signature\":\"$SIGC\"}")
check "a device of another officer: 404" [ "$st" = 404 ]
st=$(post a /v1/devices/approve "{\"device\":\"$A\",\"signature\":\"$SIG\"}")
check "a device approving itself: 400" [ "$st" = 400 ]
st=$(post a /v1/devices/approve '{"device":"zz","signature":"AAAA"}')
check "a malformed body: 400" [ "$st" = 400 ]
check "... none of those logged anything" [ "$(entries)" = "$n0" ]

# ---- report ----
st=$(post a /v1/devices/report "{\"device\":\"$C\",\"reason\":\"unapproved\"}")
check "report: a reports c as not approved (201)" [ "$st" = 201 ]
check "... an alert entry (Rule UNAPPROVED-DEVICE) in the log" \
	[ "$(nent 'Rule: UNAPPROVED-DEVICE')" = 1 ]
check "... and in alerts.jsonl, naming the officer and the device" \
	[ -n "$(jq -c "select(.rule.name==\"UNAPPROVED-DEVICE\" and .rule.reference==\"docs/operations.md#the-officer-index\" and .user.target.name==\"tanaka.h\" and .device.id==\"$C\")" "$T/sw/alerts.jsonl" 2>/dev/null)" ]
st=$(post a /v1/devices/report "{\"device\":\"$C\",\"reason\":\"unapproved\"}")
check "the same report within the hour: 200, nothing logged again" \
	all '[ "$st" = 200 ]' "[ \"\$(nent 'Rule: UNAPPROVED-DEVICE')\" = 1 ]"
st=$(post a /v1/devices/report "{\"device\":\"$C\",\"reason\":\"bored\"}")
check "another reason: 400" [ "$st" = 400 ]
# the budget: a device logs at most 8 reports an hour (it reported c: 7 more devices, then one over)
for i in 1 2 3 4 5 6 7; do
	{ "$TS" enrol "$T/e$i" tanaka.h WASHINGTON && D approve "$T/e$i/request" --out "$T/e$i/answer"; } >/dev/null 2>&1 ||
		no "enrol e$i"
done
codes=""
for dv in "$B" $(for i in 1 2 3 4 5 6; do devid "e$i"; done); do
	codes="$codes $(post a /v1/devices/report "{\"device\":\"$dv\",\"reason\":\"unapproved\"}")"
done
check "a device's reports of 7 more devices: all logged (8 in the hour)" \
	all '[ "$codes" = " 201 201 201 201 201 201 201" ]' "[ \"\$(nent 'Rule: UNAPPROVED-DEVICE')\" = 8 ]"
st=$(post a /v1/devices/report "{\"device\":\"$(devid e7)\",\"reason\":\"unapproved\"}")
check "... a 9th within the hour: 429, saying so, nothing logged" \
	all '[ "$st" = 429 ]' "grep -q 'most reports a device makes in an hour' '$T/post.json'" \
	"[ \"\$(nent 'Rule: UNAPPROVED-DEVICE')\" = 8 ]"
st=$(post b /v1/devices/report "{\"device\":\"$(devid e7)\",\"reason\":\"unapproved\"}")
check "... another device's report is not held back by it (201)" \
	all '[ "$st" = 201 ]' "[ \"\$(nent 'Rule: UNAPPROVED-DEVICE')\" = 9 ]"

# ---- revoke ----
# two operators: the first asks, the second carries it out
{ D device revoke "$C" --operator ops1 && D device revoke "$C" --operator ops2; } >"$T/revoke.out" 2>&1 ||
	no "revoke c: $(cat "$T/revoke.out")"
signed || no "not signed after revoke"
officer tanaka.h
check "revoke: the record says revoked" grep -q "^Device: $C [0-9]* [0-9]* revoked " "$T/off.txt"
st=$(post a /v1/devices/approve "{\"device\":\"$C\",\"signature\":\"$("$TI" approve "$T/a/sign.seed" tanaka.h "$C")\"}")
check "approving a revoked device: 409" [ "$st" = 409 ]
n0=$(nent 'Rule: UNAPPROVED-DEVICE')
st=$(post b /v1/devices/report "{\"device\":\"$C\",\"reason\":\"unapproved\"}")
check "reporting a revoked device: 200, revoked, nothing logged" \
	all '[ "$st" = 200 ]' "jq -e >/dev/null '.revoked' '$T/post.json'" \
	"[ \"\$(nent 'Rule: UNAPPROVED-DEVICE')\" = $n0 ]"

# ---- a reinstatement the signer has not signed yet: resolve never lists the device ----
# active in the directory but suspended in the record it proves (the sender would stop as
# before a lying switch, exit 3): it answers 503 (retry) until the checkpoint covers it.
# Asked at once after the command, before the signer's tick finds the entry.
D device suspend "$B" >/dev/null 2>&1 || no "suspend b again"
signed || no "not signed after the second suspend"
D device reinstate "$B" >/dev/null 2>&1 || no "reinstate b again"
st=$(cu s -o "$T/res.json" -w '%{http_code}' "$URL/v1/directory/resolve?to=WASHINGTON&log_size=0")
if [ "$st" = 503 ]; then
	check "resolve at once after a reinstatement: 503 (retry) while the index catches up" \
		grep -q "not yet under a signed checkpoint.*retry" "$T/res.json"
else
	"$TI" verify "$T/res.json" tanaka.h >"$T/res.txt" 2>/dev/null
	check "resolve at once after a reinstatement: every device listed is active in the record it proves ($st)" \
		all '[ "$st" = 200 ]' "[ \"\$(head -1 '$T/res.txt')\" = member ]" listed_active
fi
signed || no "not signed after the second reinstate"
cu s "$URL/v1/directory/resolve?to=WASHINGTON&log_size=0" >"$T/res.json"
"$TI" verify "$T/res.json" tanaka.h >"$T/res.txt" 2>/dev/null
check "... once signed: b is listed, and active in the record" \
	all "jq -e >/dev/null --arg b '$B' '[.devices[].device] | index(\$b) != null' '$T/res.json'" \
	"grep -q '^Device: $B [0-9]* [0-9]* active ' '$T/res.txt'"

# ---- resolve carries the officers' records and proofs ----
cu s "$URL/v1/directory/resolve?to=WASHINGTON&log_size=0" >"$T/res.json"
check "resolve: one officers entry per officer of the devices listed" \
	[ "$(jq -r '[.officers[].handle] | join(",")' "$T/res.json")" = tanaka.h ]
check "... its proof verifies against the answer's checkpoint" [ "$("$TI" verify "$T/res.json" tanaka.h | head -1)" = member ]

# ---- a database without the records (as before the index): replayed from the log ----
signed
V0=$(D log verify 2>&1)
check "log verify: ok with the index" grep -q "log verify: ok" <<<"$V0"
stop_switch || no "stop"
db_keep || no "keep the store"
db_sql "DELETE FROM officer_index; DELETE FROM meta WHERE k='officer_index'" >/dev/null || no "drop the records"
start_switch || no "restart without the records"
check "the switch replayed the index from the log" grep -q "officer index was made from the log's" "$T/run.log"
post a /v1/devices/report "{\"device\":\"$B\",\"reason\":\"unapproved\"}" >/dev/null # one more entry: a round stores them
signed || no "not signed after the replay"
check "... stored with the next checkpoint" [ "$(db_sql "SELECT count(*) FROM officer_index")" = 2 ]
officer tanaka.h
check "... the same record as before" all "grep -q '^Device: $B .* $A@[0-9]*:' '$T/off.txt'" \
	"grep -q '^Device: $C [0-9]* [0-9]* revoked ' '$T/off.txt'"

# ---- log verify catches an altered record, naming the officer ----
stop_switch || no "stop"
V1=$(D log verify 2>&1)
check "log verify: ok before the tampering" grep -q "log verify: ok" <<<"$V1"
db_sql "UPDATE officer_index SET record = CAST(replace(CAST(record AS TEXT), ' revoked ', ' active ') AS BLOB) WHERE officer='tanaka.h'" \
	"UPDATE officer_index SET record = convert_to(replace(convert_from(record, 'UTF8'), ' revoked ', ' active '), 'UTF8') WHERE officer='tanaka.h'" >/dev/null ||
	no "tamper the record"
V2=$(D log verify 2>&1)
rc=$?
check "log verify: an altered officer_index row fails (exit $rc)" [ "$rc" != 0 ]
check "... naming the officer" grep -q "stored record of officer tanaka.h is not what the log's entries make of it" <<<"$V2"
start_switch || no "restart after the tampering"
check "the start does not sign over the altered row: it replays the index" grep -q "table officer_index was altered" "$T/run.log"
post s /v1/devices/report "{\"device\":\"$S\",\"reason\":\"unapproved\"}" >/dev/null # a device of another officer: 404, nothing logged
post b /v1/devices/report "{\"device\":\"$A\",\"reason\":\"unapproved\"}" >/dev/null # one more entry: the next checkpoint
signed || no "not signed after the restart"
officer tanaka.h
check "... the next checkpoint's record of tanaka.h is the log's (c revoked)" grep -q "^Device: $C [0-9]* [0-9]* revoked " "$T/off.txt"
check "... and log verify is ok again" grep -q "log verify: ok" <<<"$(D log verify 2>&1)"
t_done it_devindex_switch
