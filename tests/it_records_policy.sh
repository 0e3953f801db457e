#!/usr/bin/env bash
# it_records_policy.sh - the archive as recipient, through the real denpod, denpo and a
# throwaway device (tests/tool_submit.c) on one switch: with records_post = HQ and
# records_required = all, `denpo send` from a post officer encrypts to the records
# officer's device with role record (the send's answer, the switch's resolve, the log
# entry's Recipient lines, the records device's inbox); a RECORDS officer at another post
# gets nothing as records (denpod check and the start say so); the directory carries the
# schedule and the records post; a submission lacking the archive's device is refused with
# the message that says what to do, and so is the archive announced as an addressee; a
# cable the archive is not cleared for is refused, naming the operator's part; and
# denpod.conf's records keys are checked at start (records_required without records_post).
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_records_policy "$DENPOD" "$DENPO" "$TS"
need_tools it_records_policy jq
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="records policy passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
URL="https://127.0.0.1:$PORT"
printf '1. (S) Records policy test.\n' >"$T/body"
# ts DEVICE-DIR CMD ARGS...: the throwaway device's request
ts() { local d=$1 c=$2; shift 2; "$TS" "$c" "$T/$d" "$URL" "$PIN" "$@"; }
devid() { dp "$1" --json whoami | jq -r .device; }

# ---- config: refused at start without records_post, then the switch of the test ----
{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add kiroku.a --post HQ --clearance SECRET --roles RECORDS &&
		D officer add yoso.b --post WASHINGTON --clearance "TOP SECRET" --roles RECORDS,POL &&
		D officer add gokuhi.c --post WASHINGTON --clearance "TOP SECRET"
} >"$T/init.out" 2>&1 || no "switch setup: $(cat "$T/init.out")"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
cp "$T/sw/denpod.conf" "$T/conf.orig"
echo "records_required = SECRET" >>"$T/sw/denpod.conf"
D config check >"$T/cc.out" 2>"$T/cc.err"
rc=$?
check "config check: records_required without records_post is refused with the line and what to do" \
	all '[ $rc = 1 ]' "grep -q 'denpod.conf:[0-9]*: records_required: names classifications but records_post is not set: set records_post' '$T/cc.err'"
"$DENPOD" run --data "$T/sw" >"$T/run0.log" 2>&1
rc=$?
check "denpod run refuses to start with it" \
	all '[ $rc != 0 ]' "grep -q 'records_post is not set' '$T/run0.log'"
cp "$T/conf.orig" "$T/sw/denpod.conf"
echo "records_required = CONFIDENTIAL,SEKRET" >>"$T/sw/denpod.conf"
check "config check: a level that is not one is named" \
	all "not D config check >/dev/null 2>'$T/cc.err'" "grep -q '\"SEKRET\" is not a classification' '$T/cc.err'"
cp "$T/conf.orig" "$T/sw/denpod.conf"
printf 'records_post = HQ\nrecords_required = all\nrecords_retention_TEMPORARY-10Y = 10\nrecords_class_restricted = TEMPORARY-10Y 5y\n' \
	>>"$T/sw/denpod.conf"
D config check >"$T/cc.out" 2>&1
rc=$?
check "config check: the records keys are in force" \
	all '[ $rc = 0 ]' "grep -Eq '^  records_post +HQ\$' '$T/cc.out'" "grep -Eq '^  records_required +all\$' '$T/cc.out'"

D check >"$T/check0.out" 2>&1
check "denpod check before the archive's device is enrolled: every required cable would be refused, said" \
	grep -q 'check: warning: records: records_required names UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET, but no records officer at post HQ has an active device' "$T/check0.out"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON kiroku.a:HQ yoso.b:WASHINGTON gokuhi.c:WASHINGTON
{ "$TS" enrol "$T/t" tanaka.h WASHINGTON && D approve "$T/t/request" --out "$T/t/answer"; } >/dev/null 2>&1 ||
	no "enrol the throwaway device of tanaka.h"
D check >"$T/check.out" 2>&1
check "denpod check: a RECORDS officer at another post gets nothing as records, said as a warning" \
	grep -q "check: warning: records: officer yoso.b holds the role RECORDS at post WASHINGTON, not at the records post HQ: they receive nothing as records" "$T/check.out"
check "... and the archive at HQ is not warned about" not grep -q "records_required names" "$T/check.out"
start_switch || no "denpod did not start"
check "the start says the same warning" grep -q "denpod: warning: records: officer yoso.b holds the role RECORDS" "$T/run.log"
ARC=$(devid kiroku.a) YOSO=$(devid yoso.b) TAN=$(devid tanaka.h) SATO=$(devid sato.k)

# ---- the directory: the schedule and the records post ----
ts t get /v1/directory >"$T/dir.out"
sed 's/^[0-9]* //' "$T/dir.out" >"$T/dir.json"
check "GET /v1/directory: records_post HQ and the configured schedule" \
	all "[ \"\$(jq -r .records_post '$T/dir.json')\" = HQ ]" \
	"jq -e '.records | tostring | contains(\"TEMPORARY-10Y\")' '$T/dir.json' >/dev/null"

# ---- resolve: the archive's device with role record, whatever TO says ----
ts t get "/v1/directory/resolve?to=HQ&classification=SECRET" | sed 's/^[0-9]* //' >"$T/res.json"
role_in() { jq -r --arg d "$2" '[.devices[] | select(.device == $d) | .role] | join(",")' "$1"; }
check "resolve TO HQ: kiroku.a's device is offered with role record, sato.k's as action" \
	all "[ \"\$(role_in '$T/res.json' '$ARC')\" = record ]" "[ \"\$(role_in '$T/res.json' '$SATO')\" = action ]"
ts t get "/v1/directory/resolve?to=WASHINGTON&classification=SECRET&attn=POL" | sed 's/^[0-9]* //' >"$T/res2.json"
check "resolve TO WASHINGTON ATTN POL: the archive still (ATTN is for officers), yoso.b as action" \
	all "[ \"\$(role_in '$T/res2.json' '$ARC')\" = record ]" "[ \"\$(role_in '$T/res2.json' '$YOSO')\" = action ]"

# ---- denpo send from a post officer: the record copy is among the recipients ----
dp tanaka.h --json send --body "$T/body" --class SECRET --prec IMMEDIATE --to HQ --tags ADMN \
	--subject "to HQ" >"$T/send.json" 2>"$T/send.err"
check "denpo send from WASHINGTON at SECRET is accepted ($(grep -v passphrase "$T/send.err" | head -c 300))" \
	jq -e '.mrn | length > 0' "$T/send.json" >/dev/null
CID=$(jq -r .cable_id "$T/send.json")
check "... its recipients include kiroku.a's device with role record" \
	[ "$(jq -r --arg d "$ARC" '.devices[] | select(.device == $d) | .role' "$T/send.json")" = record ]
check "... and not yoso.b's (RECORDS at WASHINGTON, which the cable does not address)" \
	[ -z "$(jq -r --arg d "$YOSO" '.devices[] | select(.device == $d) | .role' "$T/send.json")" ]
D log show >"$T/log.txt" 2>&1
check "the cable-accepted entry lists the archive's device as a Recipient" \
	grep -q "^Recipient: $ARC " "$T/log.txt"
dp kiroku.a --json inbox >"$T/inbox.json" 2>"$T/inbox.err"
check "the records device's inbox has the cable, with role record" \
	[ "$(jq -r --arg c "$CID" '.cables[] | select(.cable_id == $c) | .role' "$T/inbox.json")" = record ]
# a cable to WASHINGTON from HQ: yoso.b receives it as an ordinary officer there
dp sato.k --json send --body "$T/body" --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ADMN \
	--subject "to WASHINGTON" >"$T/send2.json" 2>"$T/send2.err"
check "a cable to WASHINGTON: yoso.b's device as action, the archive as record" \
	all "[ \"\$(jq -r --arg d '$YOSO' '.devices[] | select(.device == \$d) | .role' '$T/send2.json')\" = action ]" \
	"[ \"\$(jq -r --arg d '$ARC' '.devices[] | select(.device == \$d) | .role' '$T/send2.json')\" = record ]"

# ---- submissions the archive requirement refuses ----
n0=$(D cable list | wc -l)
ts t send HQ SECRET ROUTINE --seal --drop-role record >"$T/drop.out" 2>&1
check "a sealed SECRET cable lacking the archive's device: 403, naming the device and what to do" \
	all "grep -q '^403 ' '$T/drop.out'" \
	"grep -q 'the ministry requires a record copy of SECRET cables: encrypt to the archive' '$T/drop.out'" \
	"grep -q 'device ${ARC:0:16}\\.\\.\\. of records officer kiroku.a' '$T/drop.out'" \
	"grep -q 'update denpo, whose send resolves them' '$T/drop.out'"
ts t send HQ SECRET ROUTINE --seal --announce record=action >"$T/ann.out" 2>&1
check "the archive announced as an addressee: refused, must have role record" \
	all "grep -q '^403 ' '$T/ann.out'" "grep -q 'kiroku.a) must have role record, not action' '$T/ann.out'"
ts t send HQ SECRET ROUTINE --only "${SATO:0:16}" --announce action=record >"$T/ann2.out" 2>&1
check "an addressee announced as the archive: refused" \
	all "grep -q '^403 ' '$T/ann2.out'" "grep -q 'must have role action, not record' '$T/ann2.out'"
ts t send HQ SECRET ROUTINE --seal --only "${ARC:0:16}" >"$T/only.out" 2>&1
check "a cable for the archive's device alone: refused, a record copy is no delivery" \
	all "grep -q '^400 ' '$T/only.out'" "grep -q 'a record copy for the archive does not count' '$T/only.out'"
dp sato.k send --body "$T/body" --class SECRET --prec ROUTINE --to WASHINGTON --attn nobody.x \
	--tags ADMN --subject "for nobody" >"$T/nobody.out" 2>&1
check "denpo send with no addressee's device but the archive's: refused, nothing sent" \
	all "! grep -q '^26 HQ' '$T/nobody.out'" "grep -q 'the archive.s record copy alone is no delivery' '$T/nobody.out'"
check "nothing refused was stored" [ "$(D cable list | wc -l)" = "$n0" ]
ts t send HQ SECRET ROUTINE --seal >"$T/full.out" 2>&1
check "the same cable with the archive's device: accepted" grep -q '^20[01] ' "$T/full.out"
# TOP SECRET: the archive (SECRET) may not hold it, and records_required = all asks for it
ts t send WASHINGTON "TOP SECRET" ROUTINE --seal --only "${YOSO:0:16},$(devid gokuhi.c | head -c 16)" >"$T/ts.out" 2>&1
check "TOP SECRET with no archive device cleared for it: refused, telling the operator" \
	all "grep -q '^403 ' '$T/ts.out'" \
	"grep -q \"none of the archive's devices at post HQ may receive this one\" '$T/ts.out'" \
	"grep -q \"tell the switch's operator\" '$T/ts.out'"

# ---- the records post pinned on the sending device: record copies only there ----
check "the first send with a record copy pinned the directory's records post (0600)" \
	all "[ \"\$(cat '$T/tanaka.h/records-post')\" = HQ ]" "[ \"\$(stat -c %a '$T/tanaka.h/records-post')\" = 600 ]"
dp gokuhi.c directory >"$T/gdir.out" 2>&1
check "denpo directory shows the records post" grep -q "^RECORDS POST" "$T/gdir.out"
# a device that pinned another post (as if an earlier switch had named it): the switch's record
# copy at HQ is refused, exit 3, nothing sent -- the same check that stops a switch slipping a
# device in as "(record copy)"
printf 'WASHINGTON\n' >"$T/gokuhi.c/records-post"
n0=$(D cable list | wc -l)
dp gokuhi.c send --body "$T/body" --class SECRET --prec ROUTINE --to HQ --tags ADMN \
	--subject "pinned elsewhere" >"$T/pin.out" 2>&1
rc=$?
check "a record copy at a post other than the pinned one: exit 3, naming the device, its post and the pin" \
	all '[ $rc = 3 ]' "grep -q 'added device ${ARC:0:16}\\.\\.\\. of kiroku.a, logged at HQ, as a record copy, but the archive.s records post is WASHINGTON' '$T/pin.out'" \
	"grep -q 'denpo directory --records-post HQ' '$T/pin.out'"
check "... nothing was stored" [ "$(D cable list | wc -l)" = "$n0" ]
dp gokuhi.c directory --records-post WASHINGTON >"$T/conf.out" 2>&1
rc=$?
check "confirming a post the directory does not name: refused, pin unchanged" \
	all '[ $rc = 1 ]' "grep -q 'names HQ as the records post, not WASHINGTON' '$T/conf.out'" \
	"[ \"\$(cat '$T/gokuhi.c/records-post')\" = WASHINGTON ]"
dp gokuhi.c directory --records-post HQ >"$T/conf.out" 2>&1
check "confirming the directory's records post pins it" \
	all "grep -q 'records post HQ pinned' '$T/conf.out'" "[ \"\$(cat '$T/gokuhi.c/records-post')\" = HQ ]"
dp gokuhi.c --json send --body "$T/body" --class SECRET --prec ROUTINE --to HQ --tags ADMN \
	--subject "pinned at HQ" >"$T/pin2.json" 2>"$T/pin2.err"
check "... and the send goes, the archive's device as record ($(grep -v passphrase "$T/pin2.err" | head -c 200))" \
	[ "$(jq -r --arg d "$ARC" '.devices[] | select(.device == $d) | .role' "$T/pin2.json")" = record ]

t_done it_records_policy
