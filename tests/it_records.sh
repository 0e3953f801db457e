#!/usr/bin/env bash
# it_records.sh - the ministry's record copy through the real programs
# (issue 16; include/denpo/records.h, docs/operations.md "The archive"):
# one switch with records_post = HQ and records_required = all; HQ holds two
# records officers (rec.a, rec.b, one device each), an addressee (sato.k)
# and an auditor (aud.k); WASHINGTON an officer (tanaka.h).
#   (a) a cable tanaka.h sends is in rec.a's and rec.b's archives after sync;
#   (b) a cable without the archive recipients is refused (tool_submit);
#   (c) a cable to be declassified tomorrow: not due today, due two days on
#       (DENPO_TEST_CLOCK_OFFSET); declassified by rec.a, approved by rec.a
#       refused, by rec.b accepted; exported as a bag that bagit.py and
#       `denpo audit verify` accept; hold, release, destroy refused;
#   (d) every archive read (show, search, export) is a `records` entry that
#       `denpo audit` shows;
#   (k) the records device keeps the epoch keys an ordinary device erases:
#       three days on, tanaka.h has erased epoch 0 and rec.a still opens its
#       first record copy (the cache copy was dropped at ingest); emb.r, who
#       holds RECORDS at WASHINGTON (not the records post), keeps none;
#   (e) a records device that sweeps the archive (a loop of `records show`)
#       is caught: an alert and the device suspended, like any other;
#   (f) a record copy of a one-year retention is destroyed only after it,
#       the act logged with the SHA-256 of what was destroyed, by two records
#       officers: rec.a's destroy proposes, rec.a again is refused, rec.b's
#       destroys and wipes rec.b's copy, rec.a's copy is wiped at its next
#       sync; a wipe a reader of the archive kept from finishing is finished
#       by the next destroy; a hold placed after the proposal blocks the
#       destruction, and a destroy of a cable the other officer destroyed
#       wipes the copy here;
#   and with the switch out of reach the archive reads nothing.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_records "$DENPOD" "$DENPO" "$TS"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="records test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
DAY=86400
URL=https://127.0.0.1:$PORT
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
at() { local d=$1; shift; DENPO_TEST_CLOCK_OFFSET=$((d * DAY)) "$@"; }
# in_archive HOME MRN: the archive of HOME lists MRN (metadata only, no switch)
in_archive() { dp "$1" --json records list | jq -e --arg m "$2" '.records[] | select(.mrn == $m)' >/dev/null; }
due() { at "${3:-0}" dp "$1" --json records list --due | jq -e --arg m "$2" '.records[] | select(.mrn == $m)' >/dev/null; }
held() {
	rm -f "$T/held.txt"
	"$DENPO" --home "$1" key export-identity --out "$T/held.txt" >/dev/null 2>&1 &&
		sed -n 's/^# denpo device identity of .*, key epoch \([0-9]*\)$/\1/p' "$T/held.txt" | paste -sd' ' -
	rm -f "$T/held.txt"
}
holds() { echo " $(held "$1") " | grep -q " $2 "; }

# ---- the switch: HQ is the records post, every classification needs the record copy ----
{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add rec.a --post HQ --clearance "TOP SECRET" --roles RECORDS &&
		D officer add rec.b --post HQ --clearance "TOP SECRET" --roles RECORDS &&
		D officer add aud.k --post HQ --clearance CONFIDENTIAL --roles AUDIT &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add emb.r --post WASHINGTON --clearance SECRET --roles RECORDS
} >"$T/init.out" || no "switch setup"
printf 'records_post = HQ\nrecords_required = all\nrecords_retention_SHORT = 1\n' >>"$T/sw/denpod.conf"
# detection as everywhere, with the archive-order run (ENUM-RANGE) shortened to 5 reads for (e);
# the refusals this test asks for on purpose are no weak signal here; and, as a ministry whose
# archive reads old cables sets it (docs/detection.md), a few deep re-reads an hour allowed
printf 'enum.run = 5\nsignal.denied = 0\ndeep.max-hour = 5\n' >"$T/sw/detect.conf"
enrol_devices sato.k:HQ rec.a:HQ rec.b:HQ aud.k:HQ tanaka.h:WASHINGTON emb.r:WASHINGTON
"$TS" enrol "$T/x" tanaka.h WASHINGTON && D approve "$T/x/request" --out "$T/x/answer" >/dev/null || no "enrol the tool device"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
start_switch || no "denpod did not start"
RECA=$(dev_of rec.a) RECB=$(dev_of rec.b)
# every device once, so each publishes its epoch keys before anyone sends
for h in sato.k rec.a rec.b aud.k tanaka.h emb.r; do dp "$h" key status >/dev/null 2>&1 || no "key status $h"; done
# the drafter keeps the directory, and with it the records schedule (its retention classes)
dp tanaka.h directory >/dev/null 2>&1 || no "tanaka.h directory"

# ---- usage ----
dp rec.a records --help >"$T/out" 2>&1
check "records --help lists the records subcommands" grep -q "declassify" "$T/out"
for s in sync list search show declassify approve hold release destroy export; do
	dp rec.a records "$s" --help >"$T/out" 2>&1 && grep -q "usage: denpo records $s" "$T/out" || no "records $s --help"
done
dp rec.a records frob >/dev/null 2>&1
check "an unknown subcommand is a usage error (exit 2)" [ $? = 2 ]
dp rec.a records >/dev/null 2>&1
check "... and none (exit 2)" [ $? = 2 ]
dp rec.a archive sync >/dev/null 2>&1
check "\`denpo archive\` is the officer's listing alone: no subcommands (exit 2)" [ $? = 2 ]
dp tanaka.h records sync >"$T/out" 2>"$T/err"
check "an ordinary device has no records archive (exit 1)" [ $? = 1 ]
check "... and is told why" grep -q "not a records device" "$T/err"
dp tanaka.h archive >/dev/null 2>&1 || no "the older \`denpo archive\` listing still works"

# ---- (a) the record copy ----
body "1. (S) Records test: the first cable." "2. The word zebra is in the text."
C1=$(send tanaka.h --class SECRET --prec ROUTINE --to HQ --tags PREL --subject "first record") ||
	no "send C1: $(cat "$T/send.err")"
dp rec.a records sync >"$T/sync.out" 2>"$T/err" || no "rec.a sync: $(cat "$T/err")"
check "(a) sync says it stored one" grep -q "1 stored" "$T/sync.out"
check "(a) C1 is in rec.a's archive" in_archive rec.a "$C1"
dp rec.b records sync >/dev/null 2>"$T/err" || no "rec.b sync: $(cat "$T/err")"
check "(a) ... and in rec.b's" in_archive rec.b "$C1"
dp rec.a records sync >"$T/sync.out" 2>&1
check "(a) sync again stores nothing new" grep -q "0 stored" "$T/sync.out"
check "(a) archive.db is 0600 in a 0700 directory" \
	[ "$(stat -c %a "$T/rec.a/archive")" = 700 ] && [ "$(stat -c %a "$T/rec.a/archive/archive.db")" = 600 ]
check "(a) the archive holds no plaintext of the subject or text" \
	not grep -qa -e "first record" -e zebra "$T/rec.a/archive/archive.db"
check "(a) nor does the read cache (the archive's copy is the one kept)" not ls "$T/rec.a/cache/"*.cable

# ---- (b) a cable without the archive recipients is refused ----
"$TS" send "$T/x" "$URL" "$PIN" HQ SECRET ROUTINE --drop-role record >"$T/b.out" 2>&1
check "(b) a cable lacking the records devices is refused (a 4xx answer)" grep -q '^4[0-9][0-9] ' "$T/b.out"
check "(b) ... and none accepted" not grep -q '^20[01] ' "$T/b.out"
check "(b) ... saying why" grep -qi "record" "$T/b.out"

# ---- (c) declassification, export ----
TOMORROW=$(date -u -d @$(($(date +%s) + DAY)) +%F)
body "1. (C) Records test: to be opened tomorrow."
C2=$(send tanaka.h --class CONFIDENTIAL --prec ROUTINE --to HQ --tags ADMN --subject "opens tomorrow" \
	--declassify-on "$TOMORROW") || no "send C2: $(cat "$T/send.err")"
dp rec.a records sync >/dev/null 2>&1 && dp rec.b records sync >/dev/null 2>&1 || no "sync C2"
check "(c) C2 is not due today" not due rec.a "$C2"
check "(c) C2 is due two days on" due rec.a "$C2" 2
dp rec.a records export "$C2" --out "$T/early.bag" >/dev/null 2>"$T/err"
check "(c) a classified cable is not exported" [ $? != 0 ] && [ ! -e "$T/early.bag" ]
dp rec.a records declassify "$C2" >/dev/null 2>"$T/err" || no "(c) rec.a proposes: $(cat "$T/err")"
dp rec.a records approve "$C2" >/dev/null 2>"$T/err"
check "(c) rec.a cannot approve its own proposal" [ $? = 1 ]
check "(c) ... the switch says why" [ -s "$T/err" ]
dp rec.b records approve "$C2" >/dev/null 2>"$T/err" || no "(c) rec.b approves: $(cat "$T/err")"
state() { dp "$1" --json records list | jq -r --arg m "$2" '.records[] | select(.mrn == $m) | .state'; }
check "(c) rec.b's archive keeps the state the switch answered" [ "$(state rec.b "$C2")" = declassified ]
check "(c) rec.a's says proposed ..." [ "$(state rec.a "$C2")" = proposed ]
dp rec.a records sync >"$T/out" 2>&1
check "(c) ... until its sync asks again" [ "$(state rec.a "$C2")" = declassified ] && grep -q "1 states updated" "$T/out"
dp rec.a records export "$C2" --out "$T/c2.bag" >"$T/out" 2>"$T/err" || no "(c) export: $(cat "$T/err")"
check "(c) the bag exists" [ -f "$T/c2.bag/bagit.txt" ]
# the validator from pypi `bagit`, in the venv scripts/setup makes (or on PATH)
BAGIT=${DENPO_BAGIT:-$(command -v bagit.py || ls "$(dirname "$0")"/../.venv/bin/bagit.py /opt/*/bin/bagit.py 2>/dev/null | head -1)}
if [ -x "$BAGIT" ]; then
	check "(c) bagit.py --validate accepts the bag" "$BAGIT" --validate "$T/c2.bag"
else
	skip "(c) bagit.py not installed (scripts/setup)"
fi
dp rec.a audit verify "$T/c2.bag" >"$T/out" 2>&1
check "(c) denpo audit verify accepts the bag" [ $? = 0 ]
check "(c) the bag proves the proposal and the approval (their records entries), by two officers" \
	[ "$(jq -c '[([.log_entries[] | select(.event == "records") | .act] | index("declassify-propose", "declassify-approve") != null),
		(.declassification.approvers | unique | length)]' "$T/c2.bag/data/metadata.json")" = '[true,true,2]' ]
# root on the switch answers another entry as the approval's (the cable's cable-accepted entry,
# its proof valid): the device finds it is no records entry and exports nothing (exit 3)
ID2=$(dp rec.a --json records list | jq -r --arg m "$C2" '.records[] | select(.mrn == $m) | .cable_id')
APPR="FROM records_log WHERE cable_id = x'$ID2' AND act = 5" # DP_REC_APPROVE
AIDX=$(db_sql "SELECT idx $APPR")
db_sql "UPDATE records_log SET idx = (SELECT log_idx FROM cables WHERE cable_id = x'$ID2') WHERE cable_id = x'$ID2' AND act = 5" ||
	no "alter records_log"
dp rec.a records export "$C2" --out "$T/forged.bag" >/dev/null 2>"$T/err"
rc=$?
forged_refused() { [ "$rc" = 3 ] && grep -q "records entry of .*: it is not one" "$T/err" && [ ! -e "$T/forged.bag" ]; }
check "(c) a forged records entry: nothing exported, a verification failure (exit $rc)" forged_refused
db_sql "UPDATE records_log SET idx = $AIDX WHERE cable_id = x'$ID2' AND act = 5" || no "restore records_log"
dp rec.a records hold "$C1" >/dev/null 2>&1
check "(c) a hold needs a reason (exit 2)" [ $? = 2 ]
dp rec.a records hold "$C1" --reason "litigation 2026-17" >/dev/null 2>"$T/err" || no "(c) hold: $(cat "$T/err")"
check "(c) a held cable is due" due rec.a "$C1"
dp rec.b records declassify "$C1" >/dev/null 2>&1
check "(c) a held cable is not proposed for declassification" [ $? = 1 ]
dp rec.a records release "$C1" >/dev/null 2>"$T/err" || no "(c) release: $(cat "$T/err")"
dp rec.a records destroy "$C1" >/dev/null 2>"$T/err"
check "(c) a permanent record is not destroyed" [ $? = 1 ] && grep -q "for ever" "$T/err"

# ---- (d) every read, search and export is a records entry the auditor sees ----
dp rec.a records show "$C1" >"$T/show.out" 2>"$T/err" || no "(d) show: $(cat "$T/err")"
check "(d) show renders the cable, banner and all" grep -q "zebra" "$T/show.out" && grep -q "SECRET" "$T/show.out"
dp rec.a --json records search --post WASHINGTON --text zebra >"$T/search.json" 2>"$T/err" || no "(d) search: $(cat "$T/err")"
check "(d) search finds C1 by its text" jq -e --arg m "$C1" '.matches | map(.mrn) == [$m]' "$T/search.json"
dp rec.a --json records search --tag NOSUCHTAG >"$T/search2.json" 2>/dev/null
check "(d) a search with no candidate finds nothing" jq -e '.matches == []' "$T/search2.json"
# the auditor's mirror, once the checkpoint covers the last act (signed a moment after it)
LAST=$(jq .log_index "$T/search2.json")
for _ in $(seq 50); do
	dp aud.k --json audit sync >"$T/as.json" 2>"$T/err" || no "(d) audit sync: $(cat "$T/err")"
	[ "$(jq ".size > ${LAST:-0}" "$T/as.json")" = true ] && break
	sleep 0.1
done
# the breach report lists every entry naming the device, each as `records ACT of MRN by OFFICER`
dp aud.k audit breach "$RECA" --out "$T/br" >/dev/null 2>"$T/err" || no "(d) audit breach: $(cat "$T/err")"
rec() { grep -c "records $1 .*by rec.a" "$T/br/report.txt"; }
check "(d) rec.a's show is a records read entry in denpo audit" [ "$(grep -c "records read of $C1 by rec.a$" "$T/br/report.txt")" = 1 ]
QID=$(jq -r .query "$T/search.json") NC=$(jq -r .candidates "$T/search.json")
check "(d) both searches are records search entries, with their query hash and the switch's count" \
	all '[ "$(grep -c "records search by rec.a: query sha256:[0-9a-f]\{16\} over [0-9]" "$T/br/report.txt")" = 2 ]' \
	'[ "$(grep -c "records search by rec.a: query sha256:$QID over $NC$" "$T/br/report.txt")" = 1 ]' \
	'[ "$(grep -c "records search by rec.a: query sha256:[0-9a-f]\{16\} over 0$" "$T/br/report.txt")" = 1 ]'
check "(d) the search's $NC candidates are each a records read entry naming the search" \
	all '[ "$NC" -ge 2 ]' '[ "$(grep -c "records read of .* by rec.a: search $QID$" "$T/br/report.txt")" = "$NC" ]' \
	'[ "$(grep -c "records read of $C1 by rec.a: search $QID$" "$T/br/report.txt")" = 1 ]'
dp aud.k --json audit cable "$C1" >"$T/ac.json" 2>"$T/err" || no "(d) audit cable: $(cat "$T/err")"
check "(d) audit cable of the cable the search matched: rec.a's device fetched it 3 times (delivery, show, search)" \
	[ "$(jq -r --arg d "$RECA" '.recipients[] | select(.device == $d) | .fetches' "$T/ac.json")" = 3 ]
check "(d) each export is a records export entry (the one refused on the device too: logged first)" \
	[ "$(rec "export of $C2")" = 2 ]
check "(d) so are the schedule's acts (propose, hold, release)" \
	[ "$(rec "declassify-propose of $C2")" = 1 ] && [ "$(rec "hold of $C1")" = 1 ] && [ "$(rec "release of $C1")" = 1 ]
check "(d) a refused act is no entry (rec.a's own approval)" [ "$(rec "declassify-approve")" = 0 ]

# ---- (k) the records device keeps its epoch keys ----
stop_switch
DENPO_TEST_CLOCK_OFFSET=$((3 * DAY)) start_switch || no "denpod restart three days on"
at 3 dp tanaka.h --json key status >"$T/ks.json" 2>"$T/err" || no "(k) tanaka key status: $(cat "$T/err")"
check "(k) an ordinary device erased epoch 0" not holds "$T/tanaka.h" 0
at 3 dp rec.a --json key status >"$T/ks.json" 2>"$T/err" || no "(k) rec.a key status: $(cat "$T/err")"
check "(k) the records device's keystore let epoch 0 go too (it is full-size as any)" not holds "$T/rec.a" 0
check "(k) ... but kept it in its archive" [ -s "$T/rec.a/archive/keys" ] && [ "$(stat -c %a "$T/rec.a/archive/keys")" = 600 ]
check "(k) ... as its key status says" [ "$(jq '.archive_keys >= 1' "$T/ks.json")" = true ]
check "(k) the ordinary device keeps none" not [ -e "$T/tanaka.h/archive/keys" ]
# emb.r holds RECORDS at WASHINGTON, its enrolment answer says so, but the switch's
# directory does not make an embassy officer the archive: forward secrecy as anyone's
at 3 dp emb.r --json key status >"$T/ks.json" 2>"$T/err" || no "(k) emb.r key status: $(cat "$T/err")"
check "(k) a RECORDS officer at an embassy (not the records post) erased epoch 0" not holds "$T/emb.r" 0
check "(k) ... and kept none in an archive" not [ -e "$T/emb.r/archive/keys" ]
check "(k) ... its key status shows no archive" [ "$(jq 'has("archive_keys")' "$T/ks.json")" = false ]
at 3 dp rec.a records show "$C1" >"$T/show.out" 2>"$T/err"
check "(k) the first record copy still opens three days on ($(head -c 200 "$T/err"))" grep -q "zebra" "$T/show.out"

# ---- (e) a records device sweeping the archive is caught like any other ----
# rec.b reads the archive in order, one cable after another: ENUM-RANGE (docs/detection.md)
for n in 3 4 5 6 7 8; do
	body "1. (C) Records test: cable $n."
	at 3 dp tanaka.h send --body "$T/body" --class CONFIDENTIAL --prec ROUTINE --to HQ --tags ADMN \
		--subject "cable $n" >>"$T/sweep.mrn" 2>"$T/send.err" || no "send cable $n: $(cat "$T/send.err")"
done
at 3 dp rec.b records sync >/dev/null 2>"$T/err" || no "(e) rec.b sync: $(cat "$T/err")"
i=0
for m in "$C1" "$C2" $(sed 's/ /_/g' "$T/sweep.mrn"); do
	i=$((i + 1))
	at 3 dp rec.b records show "${m//_/ }" >/dev/null 2>"$T/sweep.err" || break
done
check "(e) the sweep was stopped before its end (at read $i of 8)" [ "$i" -lt 8 ] || [ -s "$T/sweep.err" ]
check "(e) an ENUM-RANGE alert names rec.b's device" \
	[ -n "$(jq -c --arg d "$RECB" 'select(.event.kind == "alert" and .rule.name == "ENUM-RANGE" and .device.id == $d)' "$T/sw/alerts.jsonl" 2>/dev/null)" ]
check "(e) rec.b's device is suspended" grep -q suspended <<<"$(D device list | grep "${RECB:0:16}")"
at 3 dp rec.b records show "$C1" >/dev/null 2>&1
check "(e) and reads nothing more" [ $? != 0 ]
at 3 dp rec.a records show "$C2" >/dev/null 2>"$T/err"
check "(e) the other records device still reads ($(grep -v passphrase "$T/err" | head -c 200))" [ $? = 0 ]

# ---- (f) destruction at the end of the retention, by two records officers ----
D device reinstate "$RECB" >/dev/null 2>&1 || no "(f) reinstate rec.b's device"
body "1. (U) Records test: kept one year."
C9=$(at 3 dp tanaka.h send --body "$T/body" --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN \
	--subject "kept one year" --retention SHORT 2>"$T/send.err") || no "send C9: $(cat "$T/send.err")"
body "1. (U) Records test: kept one year, then held."
C10=$(at 3 dp tanaka.h send --body "$T/body" --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN \
	--subject "held at the end" --retention SHORT 2>"$T/send.err") || no "send C10: $(cat "$T/send.err")"
at 3 dp rec.a records sync >/dev/null 2>"$T/err" || no "(f) sync C9: $(cat "$T/err")"
at 3 dp rec.b records sync >/dev/null 2>"$T/err" || no "(f) rec.b sync C9: $(cat "$T/err")"
check "(f) C9's retention ends a year after it was created" \
	[ "$(dp rec.a --json records list | jq --arg m "$C9" '.records[] | select(.mrn == $m) | .retention_end - .created > 360 * 86400')" = true ]
at 3 dp rec.a records destroy "$C9" >/dev/null 2>"$T/err"
check "(f) destroy before the retention's end: refused here (exit 1)" [ $? = 1 ] && grep -q "ends on" "$T/err"
# the schedule lengthened since ingest (SHORT: two years): the retention's end is the schedule's now
stop_switch
sed -i 's/^records_retention_SHORT = 1$/records_retention_SHORT = 2/' "$T/sw/denpod.conf"
DENPO_TEST_CLOCK_OFFSET=$((370 * DAY)) start_switch || no "denpod restart a year on"
at 370 dp rec.a directory >/dev/null 2>"$T/err" || no "(f) rec.a directory: $(cat "$T/err")"
check "(f) SHORT made two years: C9 is not due a year on (the schedule now, not at ingest)" not due rec.a "$C9" 370
at 370 dp rec.a records destroy "$C9" >/dev/null 2>"$T/err"
check "(f) ... and its destroy is refused (exit 1)" [ $? = 1 ] && grep -q "ends on" "$T/err"
stop_switch
sed -i 's/^records_retention_SHORT = 2$/records_retention_SHORT = 1/' "$T/sw/denpod.conf"
DENPO_TEST_CLOCK_OFFSET=$((370 * DAY)) start_switch || no "denpod restart, SHORT one year again"
for h in rec.a rec.b; do at 370 dp "$h" directory >/dev/null 2>"$T/err" || no "(f) $h directory: $(cat "$T/err")"; done
check "(f) SHORT one year again: C9 is due" due rec.a "$C9" 370
field() { dp "$1" --json records list | jq -r --arg m "$2" ".records[] | select(.mrn == \$m) | .$3"; }
at 370 dp rec.a --json records destroy "$C9" >"$T/p.json" 2>"$T/err" || no "(f) destroy proposed: $(cat "$T/err")"
check "(f) rec.a's destroy proposes: nothing destroyed" [ "$(jq -r .proposed_by "$T/p.json")" = rec.a ] &&
	[ "$(field rec.a "$C9" state)" = "destroy proposed" ] && [ "$(field rec.a "$C9" copy)" = true ]
check "(f) ... naming the SHA-256 of what is to be destroyed" [ "$(jq -r '.sha256 | length' "$T/p.json")" = 64 ]
at 370 dp rec.a records destroy "$C9" >/dev/null 2>"$T/err"
check "(f) rec.a again is refused (exit 1): a second officer must destroy it" \
	[ $? = 1 ] && grep -q "a second records officer must destroy it too" "$T/err"
# another process reading rec.b's archive holds an old snapshot: the wipe cannot checkpoint the WAL
mkfifo "$T/reader"
sqlite3 -batch "$T/rec.b/archive/archive.db" <"$T/reader" >"$T/reader.out" 2>&1 &
READER=$!
exec 9>"$T/reader"
echo "BEGIN; SELECT 'reading', count(*) FROM records;" >&9
for _ in $(seq 100); do grep -q reading "$T/reader.out" && break; sleep 0.05; done
at 370 dp rec.b --json records destroy "$C9" >"$T/d.json" 2>"$T/err"
check "(f) rec.b's destroy completes at the switch; the wipe here cannot finish (exit 1, says what to do)" \
	[ $? = 1 ] && grep -q "not wiped yet" "$T/err" && [ "$(field rec.b "$C9" state)" = destroyed ] &&
	[ "$(field rec.b "$C9" copy)" = true ]
exec 9>&-
wait "$READER"
at 370 dp rec.b records destroy "$C9" >"$T/out" 2>"$T/err"
check "(f) rec.b's destroy again finishes the wipe" [ $? = 0 ] && grep -q "is wiped" "$T/out" &&
	[ "$(field rec.b "$C9" state)" = destroyed ] && [ "$(field rec.b "$C9" copy)" = false ]
check "(f) rec.a's copy is there until its sync" [ "$(field rec.a "$C9" copy)" = true ]
at 370 dp rec.a records sync >"$T/out" 2>"$T/err" || no "(f) rec.a sync: $(cat "$T/err")"
check "(f) rec.a's sync learns the destruction and wipes its copy" grep -q "1 destroyed copies wiped" "$T/out" &&
	[ "$(field rec.a "$C9" state)" = destroyed ] && [ "$(field rec.a "$C9" copy)" = false ]
check "(f) ... no byte of it left in rec.a's archive" \
	[ "$(sqlite3 "$T/rec.a/archive/archive.db" "SELECT count(*) FROM records WHERE copy IS NOT NULL AND mrn = '$C9'")" = 0 ]
# a hold placed after the proposal blocks the destruction; its release does not clear the proposal
at 370 dp rec.a records destroy "$C10" >/dev/null 2>"$T/err" || no "(f) destroy C10 proposed: $(cat "$T/err")"
at 370 dp rec.b records hold "$C10" --reason "litigation 2027-3" >/dev/null 2>"$T/err" || no "(f) hold C10: $(cat "$T/err")"
at 370 dp rec.b records destroy "$C10" >/dev/null 2>"$T/err"
check "(f) a held copy cannot complete its destruction (exit 1)" [ $? = 1 ] && grep -q "legal hold" "$T/err" &&
	[ "$(field rec.b "$C10" copy)" = true ]
at 370 dp rec.b records release "$C10" >/dev/null 2>"$T/err" || no "(f) release C10: $(cat "$T/err")"
at 370 dp rec.b records destroy "$C10" >/dev/null 2>"$T/err"
check "(f) released, the proposal stands: rec.b's destroy completes it" [ $? = 0 ] && [ "$(field rec.b "$C10" state)" = destroyed ]
# rec.a, not yet synced, destroys what rec.b destroyed: the switch says so, and the copy here is wiped
at 370 dp rec.a records destroy "$C10" >"$T/out" 2>"$T/err"
check "(f) a destroy of a cable destroyed already wipes the copy here" [ $? = 0 ] &&
	grep -q "destroyed already" "$T/out" && [ "$(field rec.a "$C10" copy)" = false ]
at 370 dp rec.a records show "$C1" >"$T/show.out" 2>"$T/err"
check "(f) a year on, the archive still reads its first record copy ($(grep -v passphrase "$T/err" | head -c 200))" \
	grep -q zebra "$T/show.out"
at 370 dp rec.a records show "$C9" >"$T/dshow.out" 2>&1
check "(f) a destroyed copy is not shown" [ $? = 1 ] && not grep -q "kept one year" "$T/dshow.out"
check "(f) ... the switch says it is destroyed" grep -q "destroyed" "$T/dshow.out"
at 370 dp aud.k audit sync >/dev/null 2>&1 && at 370 dp aud.k audit breach "$RECB" --out "$T/br2" >/dev/null 2>&1 ||
	no "(f) audit breach a year on"
check "(f) the destruction is logged with what was destroyed" \
	grep -q "records destroy of $C9 by rec.b: $C9 retention SHORT ended .*sha256:$(jq -r '.sha256[:16]' "$T/p.json")" "$T/br2/report.txt"

# ---- the switch out of reach: the archive reads nothing, and still lists ----
stop_switch
DENPO_FAILOVER_WAIT=0 at 370 dp rec.a records show "$C1" >"$T/out" 2>"$T/err"
check "offline: show fails (exit 1)" [ $? = 1 ]
check "offline: ... nothing shown" not grep -q zebra "$T/out"
check "offline: ... and it says why" grep -q "reads nothing" "$T/err"
at 370 dp rec.a records list >"$T/out" 2>"$T/err"
check "offline: list works from the archive's metadata ($(grep -v passphrase "$T/err" | head -c 200))" grep -q "$C2" "$T/out"

t_done it_records
