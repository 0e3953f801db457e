#!/usr/bin/env bash
# it_records_acts.sh - the archive's acts through the real denpod and curl with the records
# devices' certificates (docs/api.md "The archive's acts", include/denpo/records.h): a
# declassification proposed by records officer kato.r cannot be approved by kato.r (403) and is
# approved by mori.a; a legal hold stops the approval and the destruction (409) until it is
# released; export is refused before the declassification and allowed after it; a destroyed
# record copy is read no more; a device whose officer lacks the role RECORDS is refused (403
# denied); an act on a cable the device did not receive is 404; malformed bodies are 400 with
# what to do.  Every act the switch allowed is one `records` entry of the log (and no refused
# one is), and `denpo audit` counts the archive's export as an access to the cable
# (lib/client_records.c is test_client_records's).  Then
# detection: the archive's ingest (each cable fetched once) raises no alert; a burst of read
# acts in archive order does (ENUM-RANGE), and the records device is suspended.  `denpod
# check` replays the records entries and finds a record state altered in the table alone.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit" TR="$BUILD/tests/tool_records"
need_programs it_records_acts "$DENPOD" "$DENPO" "$TS" "$TR"
need_tools it_records_acts curl jq
t_workdir
export DENPOD_DATA="$T/sw" DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="records acts test passphrase"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
URL="https://127.0.0.1:$PORT"
# act DEV ACT CABLE [DETAIL]: POST /v1/records; prints the HTTP status, the answer in $T/ans.json
act() {
	local j
	j=$(jq -cn --arg a "$2" --arg c "$3" --arg d "${4:-}" \
		'{act: $a} + (if $c == "" then {} else {cable: $c} end) + (if $d == "" then {} else {detail: $d} end)')
	raw "$1" "$j"
}
# srch DEV QUERY [CABLE...]: a search naming its candidates
srch() { local d=$1 q=$2; shift 2; raw "$d" "$(jq -cn --arg q "$q" '{act: "search", detail: $q, cables: $ARGS.positional}' --args "$@")"; }
raw() { printf '%s' "$2" >"$T/body.json"; cu "$1" -o "$T/ans.json" -w '%{http_code}' -X POST --data-binary @"$T/body.json" "$URL/v1/records"; }
said() { jq -r "$1" "$T/ans.json"; }

{
	switch_init &&
		D post add HQ --hq && D post add TOKYO &&
		D officer add clerk.t --post TOKYO --clearance "TOP SECRET" &&
		D officer add kato.r --post HQ --clearance SECRET --roles RECORDS &&
		D officer add mori.a --post HQ --clearance SECRET --roles RECORDS &&
		D officer add ito.k --post HQ --clearance SECRET &&
		D officer add aud.k --post TOKYO --clearance CONFIDENTIAL --roles AUDIT
} >"$T/init.out" 2>&1 || no "switch setup: $(cat "$T/init.out")"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
TLSKEY=$(awk '/^tls key:/ {print $3}' "$T/init.out")
cl() { local d=$1; shift; "$TR" "$T/$d" "$URL" "$TLSKEY" "$@"; } # the device's client (lib/client_records.c)
for dv in s:clerk.t:TOKYO a:kato.r:HQ b:mori.a:HQ o:ito.k:HQ; do
	IFS=: read -r d o p <<<"$dv"
	{ "$TS" enrol "$T/$d" "$o" "$p" && D approve "$T/$d/request" --out "$T/$d/answer"; } >/dev/null 2>&1 ||
		no "enrol $d for $o"
done
# detection: an archive-order run of 5 reads is a sweep; a refusal is no weak signal here
# (the 400s below are the test's own, and must not add up to a RISK page)
printf 'enum.run = 5\nsignal.denied = 0\n' >"$T/sw/detect.conf"
printf 'records_post = HQ\n' >>"$T/sw/denpod.conf"
start_switch || no "denpod did not start"
enrol_devices aud.k:TOKYO
# a tool device's id: its Sign-Key (base64) in hex
tool_dev() { awk '/^Sign-Key:/ {print $2}' "$T/$1/request" | base64 -d | od -An -tx1 | tr -d ' \n'; }
AID=$(tool_dev a)
"$TS" send "$T/s" "$URL" "$PIN" HQ CONFIDENTIAL ROUTINE --size 500 --count 8 >"$T/sent" 2>&1 ||
	no "send 8 cables to HQ: $(tail -n 3 "$T/sent")"
sed -n 's/^201 //p' "$T/sent" | jq -r .cable_id >"$T/ids"
# a cable the records devices do not receive: above their clearance (the archive receives every
# cable it is cleared for)
"$TS" send "$T/s" "$URL" "$PIN" TOKYO "TOP SECRET" ROUTINE --size 500 >"$T/sent2" 2>&1 || no "send to TOKYO"
OTHER=$(sed -n 's/^201 //p' "$T/sent2" | jq -r .cable_id)
check "8 cables to HQ, 1 to TOKYO" all '[ "$(wc -l <"$T/ids")" = 8 ]' '[ ${#OTHER} = 32 ]'
C=$(head -1 "$T/ids")
MRN=$(sed -n 's/^201 //p' "$T/sent" | head -1 | jq -r .mrn)

# ---- the archive's ingest: every cable fetched once, a delivery: no alert ----
for id in $(cat "$T/ids"); do echo "url = \"$URL/v1/cables/$id\""; echo "output = \"/dev/null\""; done >"$T/c.cfg"
cu a -K "$T/c.cfg" -w '%{http_code}\n' | sort | uniq -c >"$T/f.st"
check "the records device ingests the 8 cables (200)" grep -q '^ *8 200$' "$T/f.st"
check "... which raises no alert" [ "$(nent 'Event: alert')" = 0 ]

# ---- who may ask ----
check "a device whose officer lacks the role RECORDS: 403 denied" \
	all '[ "$(act o read "$C")" = 403 ]' '[ "$(said .error)" = denied ]' "grep -q 'role RECORDS' '$T/ans.json'"
check "... GET /v1/records/state too" \
	[ "$(cu o -o /dev/null -w '%{http_code}' "$URL/v1/records/state?cable=$C")" = 403 ]
check "a cable the records device did not receive: 404" [ "$(act a read "$OTHER")" = 404 ]
check "... and its state: 404" [ "$(cu a -o /dev/null -w '%{http_code}' "$URL/v1/records/state?cable=$OTHER")" = 404 ]

# ---- malformed: 400, saying what to do ----
check "an unknown act: 400 naming the acts" all '[ "$(act a peek "$C")" = 400 ]' "grep -q 'declassify-propose' '$T/ans.json'"
check "a cable act without its cable: 400" all '[ "$(act a read "")" = 400 ]' "grep -q 'give .*cable' '$T/ans.json'"
check "a search without its detail: 400" all '[ "$(act a search "")" = 400 ]' "grep -q 'search needs' '$T/ans.json'"
check "a search naming a cable: 400" [ "$(act a search "$C" "x")" = 400 ]
check "a detail with a control character: 400" all '[ "$(raw a "{\"act\":\"hold\",\"cable\":\"$C\",\"detail\":\"a\\u0007b\"}")" = 400 ]' \
	"grep -q 'printable ASCII' '$T/ans.json'"
check "a detail over 512 characters: 400" [ "$(act a hold "$C" "$(head -c 513 /dev/zero | tr '\0' x)")" = 400 ]
check "a body over 32 KiB: 400 too_big" \
	all "[ \"\$(raw a '{\"act\":\"read\",\"cable\":\"$C\",\"pad\":\"$(head -c 33000 /dev/zero | tr '\0' x)\"}')\" = 400 ]" \
	'[ "$(said .error)" = too_big ]'
check "an unknown field: 400" [ "$(raw a "{\"act\":\"read\",\"cable\":\"$C\",\"by\":\"x\"}")" = 400 ]
check "a hold without its reason: 400 (the rule)" [ "$(act a hold "$C")" = 400 ]
check "none of those is in the log" [ "$(nent 'Event: records')" = 0 ]

# ---- the schedule's decisions on cable C ----
check "export before the declassification: 409" [ "$(act a export "$C")" = 409 ]
check "propose by kato.r: 200, the entry's index, the state" \
	all '[ "$(act a declassify-propose "$C" "30-year review")" = 200 ]' '[ "$(said .reference)" = "$MRN" ]' \
	'[ "$(said .state.proposed_by)" = kato.r ]' '[ "$(said .index)" -ge 0 ]' '[ "$(said .index)" = "$(said .log_index)" ]'
I1=$(said .index)
check "approve by kato.r, the proposer: 403 denied" all '[ "$(act a declassify-approve "$C")" = 403 ]' '[ "$(said .error)" = denied ]'
check "hold by mori.a: 200" all '[ "$(act b hold "$C" "litigation 2026-7")" = 200 ]' '[ "$(said .state.hold_reason)" = "litigation 2026-7" ]'
check "... a second hold: 409" [ "$(act a hold "$C" "again")" = 409 ]
check "... the hold stops the approval (409)" [ "$(act b declassify-approve "$C")" = 409 ]
check "... and the destruction (409)" [ "$(act b destroy "$C" "end of retention")" = 409 ]
check "release by kato.r: 200" all '[ "$(act a release "$C")" = 200 ]' '[ "$(said .state.held_by)" = "" ]'
check "approve by mori.a: 200, declassified" \
	all '[ "$(act b declassify-approve "$C")" = 200 ]' '[ "$(said .state.approved_by)" = mori.a ]' \
	'[ "$(said .state.declassified_at)" -gt 0 ]' '[ "$(said .index)" -gt "$I1" ]'
check "export after it: 200" [ "$(act a export "$C" "bag 2026-01")" = 200 ]
# ---- a search names its candidates: one search entry and a read entry of each ----
mapfile -t CS < <(sed -n 3,5p "$T/ids")
mapfile -t MS < <(sed -n 's/^201 //p' "$T/sent" | sed -n 3,5p | jq -r .mrn)
Q=0011223344556677889900aabbccddeeff
N0=$(nent 'Event: records')
check "a search naming a cable the device did not receive: 404 naming it" \
	all '[ "$(srch b "query sha256:$Q" "${CS[0]}" "$OTHER")" = 404 ]' "grep -q '$OTHER' '$T/ans.json'"
check "... and nothing logged" [ "$(nent 'Event: records')" = "$N0" ]
check "a search naming a cable twice: 400" \
	all '[ "$(srch b "query sha256:$Q" "${CS[0]}" "${CS[1]}" "${CS[0]}")" = 400 ]' "grep -q 'twice' '$T/ans.json'"
check "a search naming 501 cables (over DP_RECORDS_SEARCH_MAX): 400, narrow it" \
	all '[ "$(srch b "query sha256:$Q" $(for i in $(seq 1000 1500); do printf "%032x " "$i"; done))" = 400 ]' \
	"grep -q 'narrow it by --post' '$T/ans.json'"
check "a search whose detail states its own count: 400 (the switch writes it)" \
	[ "$(srch b "query sha256:$Q over 1" "${CS[0]}")" = 400 ]
check "a search without its list of candidates: 400" [ "$(act b search "" "query sha256:$Q")" = 400 ]
check "... none of them logged" [ "$(nent 'Event: records')" = "$N0" ]
check "a search naming 3 cables: 200, no reference, its index and the 3 reads' indices" \
	all '[ "$(srch b "query sha256:$Q" "${CS[@]}")" = 200 ]' '[ "$(said .reference)" = null ]' \
	'[ "$(said "[.reads[] - .index] == [1,2,3]")" = true ]'
check "a search naming none (the metadata matched nothing): 200, no read" \
	all '[ "$(srch b "query sha256:ffeeddccbbaa9988")" = 200 ]' '[ "$(said ".reads == []")" = true ]'
check "GET /v1/records/state: the reference and the state" \
	all "cu b '$URL/v1/records/state?cable=$C' >'$T/ans.json'" '[ "$(said .reference)" = "$MRN" ]' \
	'[ "$(said .state.approved_by)" = mori.a ]' '[ "$(said .state.proposed_by)" = kato.r ]' '[ "$(said .index)" = null ]'
# with log_size: the cable's records entries (propose, hold, release, approve, export), each with
# its inclusion proof under the answer's checkpoint, or its index alone when not under it yet
cu b "$URL/v1/records/state?cable=$C&log_size=0" >"$T/ans.json" || no "GET /v1/records/state?log_size=0"
CPN=$(said .log.checkpoint | sed -n 2p)
check "GET /v1/records/state?log_size=0: a checkpoint and the cable's five records entries in log order" \
	[ "$(said "(.entries | length) == 5 and [.entries[].index] == ([.entries[].index] | sort) and .entries[0].index == $I1 and $CPN > 0")" = true ]
check "... each under the checkpoint (size $CPN) with its bytes and proof, the others its index alone" \
	[ "$(said "[.entries[] | if .index < $CPN then (.entry != null and (.proof | length) > 0) else (keys == [\"index\"]) end] | all")" = true ]
first_is_propose() {
	[ "$(said .entries[0].index)" -ge "$CPN" ] || said .entries[0].entry | base64 -d | grep -qa '^Act: declassify-propose'
}
check "... the first is the proposal's entry (or not under the checkpoint yet)" first_is_propose
check "... log_size beyond the latest checkpoint: 400" \
	[ "$(cu b -o /dev/null -w '%{http_code}' "$URL/v1/records/state?cable=$C&log_size=999999")" = 400 ]
check "destroy by kato.r: 200, a proposal (nothing destroyed)" \
	all '[ "$(act a destroy "$C" "end of retention: copy wiped")" = 200 ]' '[ "$(said .state.destroy_proposed_by)" = kato.r ]' \
	'[ "$(said .state.destroy_detail)" = "end of retention: copy wiped" ]' '[ "$(said .state.destroyed_at)" = 0 ]'
check "... kato.r again: 403 denied, a second records officer must destroy it" \
	all '[ "$(act a destroy "$C" "again")" = 403 ]' '[ "$(said .error)" = denied ]' "grep -q 'a second records officer' '$T/ans.json'"
check "destroy by mori.a: 200, destroyed" \
	all '[ "$(act b destroy "$C" "end of retention: copy wiped")" = 200 ]' '[ "$(said .state.destroyed_by)" = mori.a ]' \
	'[ "$(said .state.destroy_proposed_by)" = kato.r ]'
check "... then a read of it: 409" [ "$(act a read "$C")" = 409 ]
N0=$(nent 'Event: records')
check "... and a search naming it after a live one: 409 naming its MRN, and neither read logged" \
	all '[ "$(srch b "query sha256:$Q" "${CS[0]}" "$C")" = 409 ]' "grep -q 'candidate $MRN' '$T/ans.json'" \
	'[ "$(nent "Event: records")" = "$N0" ]'

# ---- GET /v1/records/changes: what changed since a cursor ----
chg() { cu "$1" -o "$T/chg.json" -w '%{http_code}' "$URL/v1/records/changes?after=$2"; }
check "changes after 0: cable C once, at its latest change (mori.a's destroy), destroyed" \
	all '[ "$(chg a 0)" = 200 ]' '[ "$(jq -r "[.changes[].cable] == [\"$C\"]" "$T/chg.json")" = true ]' \
	'[ "$(jq -r ".changes[0].state.destroyed_by + \" \" + .changes[0].reference" "$T/chg.json")" = "mori.a $MRN" ]' \
	'[ "$(jq -r ".next == .changes[0].index and .more == false" "$T/chg.json")" = true ]'
NEXT=$(jq .next "$T/chg.json")
check "... after that cursor: nothing, the cursor kept" \
	all '[ "$(chg b "$NEXT")" = 200 ]' '[ "$(jq -c "[.changes, .next]" "$T/chg.json")" = "[[],$NEXT]" ]'
check "... a read, an export or a search changes no state: not a change" \
	all '[ "$(act a read "$(sed -n 8p "$T/ids")" "x")" = 200 ]' '[ "$(chg b "$NEXT")" = 200 ]' \
	'[ "$(jq ".changes | length" "$T/chg.json")" = 0 ]'
check "... a bad cursor: 400 saying what it is" all '[ "$(chg a -1)" = 400 ]' "grep -q 'next' '$T/chg.json'"
check "... not a records device: 403" [ "$(cu o -o /dev/null -w '%{http_code}' "$URL/v1/records/changes?after=0")" = 403 ]

# ---- each act allowed is one records entry ----
# propose, hold, release, approve, export, search and its 3 reads, search of none,
# destroy (proposed), destroy (done), read
check "thirteen records entries, one per act allowed and one per cable a search names" [ "$(nent 'Event: records')" = 13 ]
D log show --json >"$T/log.json" 2>/dev/null || no "denpod log show"
jq -c '.entries[] | select(.event == "records") | [.act, .officer, (.mrn // "")]' "$T/log.json" >"$T/acts"
check "... in order, each with its act, officer and reference" diff - "$T/acts" <<EOF
["declassify-propose","kato.r","$MRN"]
["hold","mori.a","$MRN"]
["release","kato.r","$MRN"]
["declassify-approve","mori.a","$MRN"]
["export","kato.r","$MRN"]
["search","mori.a",""]
["read","mori.a","${MS[0]}"]
["read","mori.a","${MS[1]}"]
["read","mori.a","${MS[2]}"]
["search","mori.a",""]
["destroy","kato.r","$MRN"]
["destroy","mori.a","$MRN"]
["read","kato.r","$(sed -n 's/^201 //p' "$T/sent" | sed -n 8p | jq -r .mrn)"]
EOF
check "... the searches' entries: the switch's Detail (digest and count), no cable" \
	[ "$(jq -r '.entries[] | select(.event == "records" and .act == "search") | [.detail, (.cable_id // "none")] | join(" ")' "$T/log.json" | paste -sd/ -)" = \
	"query sha256:$Q over 3 none/query sha256:ffeeddccbbaa9988 over 0 none" ]
check "... the search's reads: Detail \"search\" and the digest's 16 first, each its cable" \
	[ "$(jq -r '.entries[] | select(.event == "records" and .act == "read" and (.detail // "" | startswith("search "))) | [.detail, .cable_id] | join(" ")' "$T/log.json" | paste -sd/ -)" = \
	"search ${Q:0:16} ${CS[0]}/search ${Q:0:16} ${CS[1]}/search ${Q:0:16} ${CS[2]}" ]
check "... the index an answer gave is its entry's" \
	[ "$(jq -r ".entries[] | select(.index == $I1) | .act" "$T/log.json")" = declassify-propose ]

# ---- the same through the device's client: its answers parsed, its refusals mapped ----
C2=$(sed -n 2p "$T/ids")
MRN2=$(sed -n 's/^201 //p' "$T/sent" | sed -n 2p | jq -r .mrn)
out=$(cl a act declassify-propose "$C2" "review")
check "client: propose, the entry's index and the reference" \
	grep -qE "^act=declassify-propose index=[0-9]+ reference=$MRN2 proposed_by=kato.r " <<<"$out"
out=$(cl a act declassify-approve "$C2")
check "client: the proposer's approval is DP_EDENIED, with the switch's reason" \
	grep -q "^error denied: .*declassify-approve" <<<"$out"
out=$(cl b act hold "$C2" "audit 7")
check "client: a hold" grep -q "^act=hold .* held_by=mori.a " <<<"$out"
out=$(cl b act declassify-approve "$C2")
check "client: an approval while held is DP_ESTATE" grep -q "^error state: " <<<"$out"
out=$(cl a act search - "query sha256:fedcba9876543210")
check "client: a search act without its candidates is refused (400)" grep -q "^error parse: .*cables" <<<"$out"
out=$(cl a search "query sha256:fedcba9876543210" "$(sed -n 6p "$T/ids")")
check "client: a search naming one candidate, no reference" grep -q "^act=search index=[0-9]* reference=- " <<<"$out"
out=$(cl a state "$C2")
check "client: the state of C2" grep -q "^act=- index=-1 reference=$MRN2 proposed_by=kato.r approved_by=- held_by=mori.a " <<<"$out"
out=$(cl a state-log "$C2" | tr '\n' ' ')
check "client: the state of C2 with its entries (propose, hold: two), parsed" \
	grep -q "^act=- index=-1 reference=$MRN2 proposed_by=kato.r approved_by=- held_by=mori.a .* entries=2 " <<<"$out"
out=$(cl o state "$C2")
check "client: a device that is no records device is DP_EDENIED" grep -q "^error denied: .*role RECORDS" <<<"$out"
out=$(cl a act read "$OTHER")
check "client: a cable it did not receive is DP_ENOTFOUND" grep -q "^error not_found: " <<<"$out"
check "changes after the cursor: C2 alone (its proposal and hold), C not again" \
	all '[ "$(chg b "$NEXT")" = 200 ]' '[ "$(jq -r "[.changes[].cable] == [\"$C2\"] and .changes[0].state.held_by == \"mori.a\"" "$T/chg.json")" = true ]'

# ---- denpo audit: the archive's export of C is an access of C by the records device ----
dp aud.k --json audit sync >/dev/null 2>"$T/err" || no "audit sync: $(cat "$T/err")"
dp aud.k --json audit device "$AID" >"$T/d.json" 2>"$T/err" || no "audit device: $(cat "$T/err")"
check "audit device: the records device's accesses to C are its delivery and its export" \
	[ "$(jq -r '.entries[] | select(.mrn == "'"$MRN"'") | .event' "$T/d.json" | sort | paste -sd' ' -)" = \
	"cable-delivered records" ]
dp aud.k --json audit cable "$MRN" >"$T/c.json" 2>"$T/err" || no "audit cable: $(cat "$T/err")"
check "audit cable: the records device fetched C twice (its delivery, its export)" \
	[ "$(jq -r '.recipients[] | select(.device == "'"$AID"'") | .fetches' "$T/c.json")" = 2 ]
BID=$(tool_dev b)
dp aud.k --json audit cable "${MS[0]}" >"$T/c3.json" 2>"$T/err" || no "audit cable: $(cat "$T/err")"
check "audit cable of a cable a search named: the searching device's read is an access (1 fetch)" \
	[ "$(jq -r '.recipients[] | select(.device == "'"$BID"'") | .fetches' "$T/c3.json")" = 1 ]
dp aud.k --json audit device "$BID" >"$T/d3.json" 2>"$T/err" || no "audit device: $(cat "$T/err")"
check "audit device: the searching device's accesses are the 3 cables its search named" \
	[ "$(jq -r '[.entries[] | select(.event == "records") | .mrn] | sort | join(",")' "$T/d3.json")" = \
	"$(printf '%s\n' "${MS[@]}" | sort | paste -sd, -)" ]

# ---- a burst of reads in archive order: a sweep, and the records device is suspended ----
for id in $(tail -n +2 "$T/ids"); do
	act a read "$id" "review" >>"$T/sweep.st"
	echo >>"$T/sweep.st"
done
check "the sweep is stopped (403 after the run)" grep -q '^403$' "$T/sweep.st"
check "... an ENUM-RANGE alert naming the records device" [ "$(nent 'Rule: ENUM-RANGE')" -ge 1 ]
check "... the device suspended automatically" [ "$(nent 'Event: device-suspended')" = 1 ]
check "... and refused from then on" [ "$(srch a "query sha256:fedcba9876543210")" = 403 ]
check "the other records device still acts" [ "$(act b read "$(sed -n 2p "$T/ids")")" = 200 ]

# ---- denpod check: the record states are what the log's records entries make ----
D check >"$T/check.out" 2>&1
rc=$?
[ "$rc" = 0 ] || cat "$T/check.out" >&2
check "denpod check: the record state checked against the log, ok (exit $rc)" \
	all '[ "$rc" = 0 ]' "grep -q '^check: records: 2 record states checked .*: ok$' '$T/check.out'"
db_sql "UPDATE records_state SET destroyed_by='', destroyed_at=0" >/dev/null || no "undo the destruction in the table"
D check >"$T/check.out" 2>&1
rc=$?
check "a destruction undone in the table alone: denpod check finds it (exit $rc)" \
	all '[ "$rc" = 1 ]' "grep -q 'DAMAGE .*records_state is not what its records entries make' '$T/check.out'"
db_sql "DELETE FROM records_log WHERE act = 5" >/dev/null || no "hide the approval from records_log"
D check >"$T/check.out" 2>&1
rc=$?
check "an approval hidden from records_log: denpod check finds it (exit $rc)" \
	all '[ "$rc" = 1 ]' "grep -q 'DAMAGE .*(declassify-approve) is missing from records_log' '$T/check.out'"
stop_switch || no "denpod stops cleanly"
# a database from before records_log: the switch adds the table when it opens it
db_sql "DROP TABLE records_log" >/dev/null || no "drop records_log"
start_switch || no "denpod restarts"
check "a database without records_log gets it, empty, when the switch opens it" \
	[ "$(db_sql "SELECT count(*) FROM records_log")" = 0 ]
stop_switch || no "denpod stops cleanly"
# a records_state from before two-person destruction: the switch adds its columns, rows kept
if [ -z "$(db_store "$T/sw")" ]; then
	db_sql "ALTER TABLE records_state DROP COLUMN destroy_proposed_by; ALTER TABLE records_state DROP COLUMN destroy_proposed_at;
		ALTER TABLE records_state DROP COLUMN destroy_detail" >/dev/null || no "drop the proposal's columns"
	start_switch || no "denpod restarts on the older records_state"
	check "an older records_state gets the proposal's columns, its rows kept" \
		[ "$(db_sql "SELECT count(*) || ' ' || sum(destroy_proposed_by = '') || ' ' || sum(destroy_proposed_at) FROM records_state")" = "2 2 0" ]
	stop_switch || no "denpod stops cleanly"
fi
t_done it_records_acts
