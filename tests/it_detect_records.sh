#!/usr/bin/env bash
# it_detect_records.sh - detection of the archive's reads through the real denpod and curl with
# the records devices' certificates (docs/detection.md §2 "The archive's reads are reads", §4
# deep.records-max-hour), with the shipped detect.conf defaults (no detect.conf).  Cables are
# sent, then the switch is started again 40 days on (DENPO_TEST_CLOCK_OFFSET), so every cable is
# deep archive (deep.days = 30).  Checked: an ordinary device's first re-fetch of an old cable
# is DEEP-ARCHIVE and suspends it (deep.max-hour = 0, unchanged); a records device's review
# reads of old cables (`read` acts) pass up to deep.records-max-hour = 30 in the hour, with no
# alert at all, and the 31st is DEEP-ARCHIVE (its reason names deep.records-max-hour) and
# suspends it; a `search` act counts the cables it names (its "cables", counted by the switch) in
# the bulk rules: 47 searches naming 1,500 in the hour pass (bulk.cap-hour), one more naming 1 is
# BULK-CAP, and the device is suspended.
# Not here: a records device's review in MRN order at a person's pace is no ENUM-RANGE (its
# steps are 2 s or more apart, and this test does not sleep): tests/test_detect.c
# test_records_enum shows it.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_detect_records "$DENPOD" "$TS"
need_tools it_detect_records curl jq
t_workdir
export DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
DAY=86400
URL="https://127.0.0.1:$PORT"
# act DEV ACT CABLE [DETAIL]: POST /v1/records; prints the HTTP status
act() {
	jq -cn --arg a "$2" --arg c "$3" --arg d "${4:-}" \
		'{act: $a} + (if $c == "" then {} else {cable: $c} end) + (if $d == "" then {} else {detail: $d} end)' \
		>"$T/body.json"
	cu "$1" -o "$T/ans.json" -w '%{http_code}' -X POST --data-binary @"$T/body.json" "$URL/v1/records"
}
get() { cu "$1" -o /dev/null -w '%{http_code}' "$URL/v1/cables/$2"; }
# alert RULE DEVICE: the ECS line of that rule's alert for the device
alert() { jq -c --arg r "$1" --arg d "$2" 'select(.event.kind == "alert" and .rule.name == $r and .device.id == $d)' \
	"$T/sw/alerts.jsonl" 2>/dev/null | head -1; }
# the alert file and the log are written after the answer: wait for them (up to 5 s)
eventually() { local i; for i in $(seq 50); do "$@" && return 0; sleep 0.1; done; return 1; }
has_alert() { [ -n "$(alert "$1" "$2")" ]; }
nent_is() { [ "$(nent "$1")" = "$2" ]; }
# is ALERT ACTION PATTERN: the alert took ACTION and its reason matches PATTERN (grep)
is() { [ "$(jq -r .denpo.action <<<"$1")" = "$2" ] && jq -r .event.reason <<<"$1" | grep -q -- "$3"; }
tool_dev() { awk '/^Sign-Key:/ {print $2}' "$T/$1/request" | base64 -d | od -An -tx1 | tr -d ' \n'; }

{
	switch_init &&
		D post add HQ --hq && D post add TOKYO &&
		D officer add clerk.t --post TOKYO --clearance SECRET &&
		D officer add kato.r --post HQ --clearance SECRET --roles RECORDS &&
		D officer add mori.a --post HQ --clearance SECRET --roles RECORDS &&
		D officer add ito.k --post HQ --clearance SECRET &&
		D officer add sato.k --post HQ --clearance SECRET
} >"$T/init.out" 2>&1 || no "switch setup: $(cat "$T/init.out")"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
# s: the sender; a, b: records devices; o: an ordinary HQ device; p: HQ's spare device (the
# safeguard never suspends a post's last working device)
for dv in s:clerk.t:TOKYO a:kato.r:HQ b:mori.a:HQ o:ito.k:HQ p:sato.k:HQ; do
	IFS=: read -r d o p <<<"$dv"
	{ "$TS" enrol "$T/$d" "$o" "$p" && D approve "$T/$d/request" --out "$T/$d/answer"; } >/dev/null 2>&1 ||
		no "enrol $d for $o"
done
printf 'records_post = HQ\n' >>"$T/sw/denpod.conf"
check "no detect.conf: the shipped defaults" not test -e "$T/sw/detect.conf"
start_switch || no "denpod did not start"
"$TS" send "$T/s" "$URL" "$PIN" HQ CONFIDENTIAL ROUTINE --size 300 --count 32 >"$T/sent" 2>&1 ||
	no "send 32 cables to HQ: $(tail -n 3 "$T/sent")"
mapfile -t IDS < <(sed -n 's/^201 //p' "$T/sent" | jq -r .cable_id)
check "32 cables to HQ" [ "${#IDS[@]}" = 32 ]
check "the ordinary device takes its delivery of the first (200)" [ "$(get o "${IDS[0]}")" = 200 ]
stop_switch || no "denpod stops"

# ---- forty days on: every cable is deep archive ----
DENPO_TEST_CLOCK_OFFSET=$((40 * DAY)) start_switch || no "denpod restart forty days on"
AID=$(tool_dev a) BID=$(tool_dev b) OID=$(tool_dev o)
check "an ordinary device's first deep re-fetch: 403 (deep.max-hour = 0, as before)" [ "$(get o "${IDS[0]}")" = 403 ]
eventually has_alert DEEP-ARCHIVE "$OID"
A=$(alert DEEP-ARCHIVE "$OID")
check "... DEEP-ARCHIVE, suspend, deep.max-hour=0" \
	is "$A" suspend "1 re-fetches in the last hour of cables accepted more than deep.days=30 days ago .*; deep.max-hour=0; "

# a review: 30 read acts in no order (alternately from the front and the back)
: >"$T/review.st"
for i in $(seq 0 14); do
	for j in $i $((29 - i)); do act a read "${IDS[$j]}" "30-year review" >>"$T/review.st"; echo >>"$T/review.st"; done
done
check "a records device reads 30 old cables in the hour: 30 x 200" [ "$(grep -c '^200$' "$T/review.st")" = 30 ]
check "... and no alert names it" [ -z "$(jq -c --arg d "$AID" 'select(.device.id == $d)' "$T/sw/alerts.jsonl" 2>/dev/null)" ]
check "the 31st: 403" [ "$(act a read "${IDS[30]}" "30-year review")" = 403 ]
eventually has_alert DEEP-ARCHIVE "$AID"
A=$(alert DEEP-ARCHIVE "$AID")
check "... DEEP-ARCHIVE, suspend, naming deep.records-max-hour=30" \
	is "$A" suspend "31 re-fetches in the last hour .*; deep.records-max-hour=30 (a records device"
check "... in the log" eventually nent_is 'Rule: DEEP-ARCHIVE' 2

# ---- the record copies a search names count in the bulk rules ----
# srch DEV QUERY CABLE...: a search naming its candidates; prints the HTTP status
srch() {
	local d=$1 q=$2
	shift 2
	jq -cn --arg q "$q" '{act: "search", detail: $q, cables: $ARGS.positional}' --args "$@" >"$T/body.json"
	cu "$d" -o "$T/ans.json" -w '%{http_code}' -X POST --data-binary @"$T/body.json" "$URL/v1/records"
}
: >"$T/search.st"
for i in $(seq 46); do srch b "query sha256:0123456789abcdef" "${IDS[@]}" >>"$T/search.st"; echo >>"$T/search.st"; done
srch b "query sha256:0123456789abcdef" "${IDS[@]:0:28}" >>"$T/search.st"
echo >>"$T/search.st"
check "47 searches naming 46 x 32 + 28 = 1,500 copies: 47 x 200 (bulk.cap-hour = 1500)" \
	[ "$(grep -c '^200$' "$T/search.st")" = 47 ]
check "... no alert" [ -z "$(alert BULK-CAP "$BID")" ]
check "... the count is the switch's: the last search's entry says over 28" \
	eventually nent_is 'query sha256:0123456789abcdef over 28' 1
check "a search naming 1 more: 403" [ "$(srch b "query sha256:fedcba9876543210" "${IDS[31]}")" = 403 ]
eventually has_alert BULK-CAP "$BID"
A=$(alert BULK-CAP "$BID")
check "... BULK-CAP, suspend: 1501 cables in the hour" \
	is "$A" suspend "1501 cables fetched in the last hour; hard cap bulk.cap-hour=1500"
check "three automatic suspensions logged" eventually nent_is 'Event: device-suspended' 3
stop_switch || no "denpod stops cleanly"
t_done it_detect_records
