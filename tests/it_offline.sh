#!/usr/bin/env bash
# it_offline.sh - a post cut off from the switch (issue 14 item 2).
#
# tanaka.h (TOKYO) reads a cable while the switch runs; then the switch is
# stopped.  `denpo read` of the held cable works and says it was verified
# offline with what the device kept; `denpo inbox` lists the held cable,
# offline; a kept-origin file edited by hand is refused (exit 3, nothing
# shown); a cable never fetched is said not to be on the device.  `denpo
# send` queues (exit 0, "queued: ..."), the draft on disk holds none of the
# cable's text, a draft altered on disk is refused, `denpo outbox` lists
# what waits.  The switch comes back: `denpo inbox --watch`, begun
# offline, notices and sends the outbox, FLASH first; sato.k (HQ) reads the
# queued cables with their MRNs;
# a queued cable the switch refuses (an unknown post) stays in the outbox
# marked failed with the reason and is not sent again by itself; a cable
# sealed just before the switch went away waits with its sealed bytes and
# goes as it is.  Drafts as `denpo ui` keeps them (`denpo draft`): sealed,
# none of their text on disk, one altered on disk refused (exit 3), one
# sent arrives with its attachment.
# After review: the kept origin check's age is said, and past 30 days
# (DENPO_TEST_CLOCK_OFFSET) it is not relied on; a kept MRN binding edited
# by hand is refused (exit 3), one without its MAC is not checked offline
# and is kept again with its MAC online; an outbox entry sealed before the
# switch went away cannot be saved over, `draft send` leaves it waiting
# offline and sends its sealed bytes online (one cable); `outbox delete`
# is refused while another process holds drafts/lock, and says when the
# entry had been sealed.
# On main: the offline read fails ("cannot check the originating device"),
# send fails, and there is no outbox.
. "$(dirname "$0")/lib.sh"
need_programs it_offline "$DENPOD" "$DENPO"
command -v jq >/dev/null || { skip "jq is not installed"; t_done it_offline; exit 0; }
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="offline test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
YY=$(date -u +%y)
mrn() { printf '%s %s %06d' "$YY" "$1" "$2"; }
# run NAME OFFICER ARGS...: exit code in $rc, stdout in $T/NAME.out, stderr in $T/NAME.err
run() { local n=$1 h=$2; shift 2; dp "$h" "$@" >"$T/$n.out" 2>"$T/$n.err"; rc=$?; }
said() { grep -qF -- "$2" "$T/$1.err" || grep -qF -- "$2" "$T/$1.out"; }

{
	switch_init && D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post TOKYO --clearance SECRET
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:TOKYO
start_switch || no "denpod did not start"
run first tanaka.h inbox # publishes its keys
run first sato.k inbox
printf '1. (S) A cable the post holds.\n' >"$T/body"
dp sato.k send --class SECRET --prec FLASH --to TOKYO --tags ADMN --subject "held cable" --body "$T/body" \
	>/dev/null 2>&1 || no "send 1"
dp sato.k send --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject "never fetched" --body "$T/body" \
	>/dev/null 2>&1 || no "send 2"
run online tanaka.h read "$(mrn HQ 1)"
check "online read: exit 0 (got $rc: $(head -c 300 "$T/online.err"))" [ "$rc" = 0 ]
check "online read: not said offline" not said online "offline"

# ---- the switch is gone ----
stop_switch || no "denpod did not stop cleanly"
run rd tanaka.h read "$(mrn HQ 1)"
check "offline read: exit 0 (got $rc: $(head -c 400 "$T/rd.err"))" [ "$rc" = 0 ]
check "offline read: the cable is shown" grep -q "A cable the post holds" "$T/rd.out"
check "offline read: says how it was verified" \
	grep -q "offline: verified with what this device kept: the originator checked on 20[0-9-]* [0-9:]*Z (.* ago; a kept check is used offline for 30 days), the MRN against its log entry [0-9]* under the checkpoint of size [0-9]*" "$T/rd.err"
check "offline read: the log was not witnessed, said" said rd "the transparency log was not witnessed this time"
run rdj tanaka.h --json read "$(mrn HQ 1)"
check "offline read --json: verified.offline" [ "$(jq -r '.verified.offline' "$T/rdj.out")" = true ]
check "offline read --json: origin_checked" [ "$(jq -r '.verified.origin_checked > 0' "$T/rdj.out")" = true ]
check "offline read --json: the MRN" [ "$(jq -r '.mrn' "$T/rdj.out")" = "$(mrn HQ 1)" ]

# the kept originator check ages: its age is said, and after 30 days it is not relied on
DENPO_TEST_CLOCK_OFFSET=$((3 * 86400)) run age3 tanaka.h read "$(mrn HQ 1)"
check "offline read 3 days on: exit 0 (got $rc)" [ "$rc" = 0 ]
check "offline read 3 days on: says the check is 3 days old" said age3 "(3 days ago; a kept check is used offline for 30 days)"
DENPO_TEST_CLOCK_OFFSET=$((31 * 86400)) run age31 tanaka.h read "$(mrn HQ 1)"
check "offline read 31 days on: exit 1 (got $rc)" [ "$rc" = 1 ]
check "offline read 31 days on: the check is too old, said" said age31 "is too old to rely on"
check "offline read 31 days on: nothing shown" [ ! -s "$T/age31.out" ]

# the kept binding (MRN, time) is this device's, under its key: edited by hand it is refused
CID1=$(jq -r .cable_id "$T/rdj.out")
MF="$T/tanaka.h/cache/$CID1.mrn"
cp "$MF" "$T/mrn.kept"
sed -i "1s/.*/$(mrn HQ 9)/" "$MF"
run mtam tanaka.h read "$(mrn HQ 9)"
check "tampered kept MRN: exit 3 (got $rc)" [ "$rc" = 3 ]
check "tampered kept MRN: said why" said mtam "its kept binding to its log entry (its MRN and time) does not verify under this device's key"
check "tampered kept MRN: nothing shown" [ ! -s "$T/mtam.out" ]
run mtamib tanaka.h inbox
check "tampered kept MRN: the offline inbox exits 3 (got $rc)" [ "$rc" = 3 ]
check "tampered kept MRN: and lists neither MRN" not grep -qE "$(mrn HQ 9)|$(mrn HQ 1)" "$T/mtamib.out"
# one kept by a denpo from before the MAC: not checked here, offline
grep -v '^mac ' "$T/mrn.kept" >"$MF"
run mold tanaka.h read "$(mrn HQ 1)"
check "kept MRN without its MAC: exit 1 (got $rc)" [ "$rc" = 1 ]
check "kept MRN without its MAC: said" said mold "kept by an older denpo without this device's MAC: it is not checked here"
check "kept MRN without its MAC: nothing shown" [ ! -s "$T/mold.out" ]
cp "$T/mrn.kept" "$MF"

run nf tanaka.h read "$(mrn HQ 2)"
check "never fetched: exit 1 (got $rc)" [ "$rc" = 1 ]
check "never fetched: said it is not on this device" said nf "is not on this device, and the switch cannot be reached"

run ib tanaka.h inbox
check "offline inbox: exit 0 (got $rc: $(head -c 300 "$T/ib.err"))" [ "$rc" = 0 ]
check "offline inbox: says offline" grep -q "^offline: the switch cannot be reached" "$T/ib.out"
check "offline inbox: lists the held cable" grep -q "FLASH .*$(mrn HQ 1)" "$T/ib.out"
check "offline inbox: not the cable never fetched" not grep -q "$(mrn HQ 2)" "$T/ib.out"
run ibj tanaka.h --json inbox
check "offline inbox --json: offline, one cable" \
	[ "$(jq -c '[.offline, (.cables | length), .cables[0].mrn]' "$T/ibj.out")" = "[true,1,\"$(mrn HQ 1)\"]" ]

# the kept origin check is this device's, under its key: edited by hand it is refused
OF=$(ls "$T"/tanaka.h/origins/*)
cp "$OF" "$T/origin.kept"
sed -i 's/^checked .*/checked 4000000000/' "$OF"
run tam tanaka.h read "$(mrn HQ 1)"
check "tampered kept origin: exit 3 (got $rc)" [ "$rc" = 3 ]
check "tampered kept origin: said why" said tam "does not verify under this device's key"
check "tampered kept origin: nothing shown" [ ! -s "$T/tam.out" ]
run tamib tanaka.h inbox
check "tampered kept origin: the offline inbox exits 3 (got $rc)" [ "$rc" = 3 ]
check "tampered kept origin: and does not list it" not grep -q "$(mrn HQ 1)" "$T/tamib.out"
rm "$OF"
run none tanaka.h read "$(mrn HQ 1)"
check "no kept origin: exit 1 (got $rc)" [ "$rc" = 1 ]
check "no kept origin: said" said none "never checked the originating device"
cp "$T/origin.kept" "$OF"

# ---- sending offline: the outbox ----
printf '1. (S) OUTBOX-BODY-7f3a waits for the switch.\n' >"$T/qbody"
run q1 tanaka.h send --class SECRET --prec IMMEDIATE --to HQ --tags ADMN --subject "SUBJ-routine-9c1e" --body "$T/qbody"
check "send offline: exit 0 (got $rc: $(head -c 300 "$T/q1.err"))" [ "$rc" = 0 ]
check "send offline: says queued" grep -q "^queued: will be sent when the switch is reachable" "$T/q1.out"
run q2 tanaka.h --json send --class SECRET --prec FLASH --to HQ --tags ADMN --subject "SUBJ-flash-4d2b" --body "$T/qbody"
check "send offline --json: queued" [ "$(jq -r '.queued' "$T/q2.out")" = true ]
run rp tanaka.h reply "$(mrn HQ 1)" --body "$T/qbody"
check "reply offline to a held cable: queued (exit $rc: $(grep -v PASSPHRASE "$T/rp.err" | head -c 300))" \
	grep -q "^queued: will be sent when the switch is reachable" "$T/rp.out"
run q3 tanaka.h send --queue --class SECRET --prec ROUTINE --to MOSCOW --tags ADMN --subject "to nowhere" --body "$T/qbody"
check "send --queue: exit 0 (got $rc)" [ "$rc" = 0 ]
run q4 tanaka.h send --no-queue --class SECRET --prec ROUTINE --to HQ --tags ADMN --subject "not queued" --body "$T/qbody"
check "send --no-queue offline: exit 1 (got $rc)" [ "$rc" = 1 ]
check "drafts: files 0600" [ -z "$(find "$T/tanaka.h/drafts" -name '*.draft' ! -perm 600)" ]
check "drafts: four in the outbox" [ "$(ls "$T"/tanaka.h/drafts/*.draft | wc -l)" = 4 ]
check "drafts: no plaintext on disk (subject)" not grep -rqa "SUBJ-routine-9c1e" "$T/tanaka.h"
check "drafts: no plaintext on disk (body)" not grep -rqa "OUTBOX-BODY-7f3a" "$T/tanaka.h"
run ob tanaka.h outbox
check "outbox: exit 0 (got $rc)" [ "$rc" = 0 ]
check "outbox: FLASH first" [ "$(awk 'NR == 2 {print $2}' "$T/ob.out")" = FLASH ]
check "outbox: lists the four, waiting" [ "$(grep -c ' waiting ' "$T/ob.out")" = 4 ]
run obj tanaka.h --json outbox
check "outbox --json: subjects in send order" \
	[ "$(jq -r '[.outbox[].subject] | join("|")' "$T/obj.out")" = "SUBJ-flash-4d2b|RE: held cable|SUBJ-routine-9c1e|to nowhere" ]

# a draft altered on disk, or renamed to another entry's id, does not open
run q5 tanaka.h --json send --queue --class SECRET --prec ROUTINE --to HQ --tags ADMN --subject "altered" --body "$T/qbody"
Q5=$(jq -r .draft_id "$T/q5.out")
DF="$T/tanaka.h/drafts/$Q5.draft"
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[40] ^= 1; open(p, "wb").write(b)' "$DF"
run alt tanaka.h outbox
check "altered draft: listed as unreadable" grep -q "^$Q5  UNREADABLE: does not open under this device's key" "$T/alt.out"
run del tanaka.h outbox delete "$Q5"
check "outbox delete: exit 0 (got $rc)" [ "$rc" = 0 ]
check "outbox delete: the file is gone" [ ! -e "$DF" ]

# ---- the switch is back: a watching post sends what waits by itself ----
"$DENPO" --home "$T/tanaka.h" inbox --watch >"$T/back.out" 2>"$T/back.err" &
WP=$!
for _ in $(seq 100); do grep -q "watching for the switch" "$T/back.err" && break; sleep 0.1; done
check "watch offline: lists what is held" grep -q "FLASH .*$(mrn HQ 1)" "$T/back.out"
check "watch offline: says it waits for the switch" said back "offline: watching for the switch"
start_switch || no "denpod did not restart"
for _ in $(seq 200); do grep -q "from the outbox" "$T/back.err" && break; sleep 0.1; done
sleep 0.5
kill "$WP" 2>/dev/null
wait "$WP" 2>/dev/null
check "back: the watch says the switch answers" said back "the switch answers again"
check "back: sent the three from the outbox" said back "sent 3 queued cables from the outbox"
check "back: the refused one said" said back "REFUSED (kept in the outbox, marked failed) queued cable \"to nowhere\""
check "back: then watches the switch's inbox" [ "$(grep -c "ROUTINE .*$(mrn HQ 2)" "$T/back.out")" = 1 ]
sleep 0.3
run hq sato.k --json inbox
check "HQ: the queued cables arrived, FLASH first (in the order queued), with their MRNs" \
	[ "$(jq -r '[.cables[] | select(.from == "TOKYO") | .precedence + " " + .mrn] | join(",")' "$T/hq.out")" = "FLASH $(mrn TOKYO 1),FLASH $(mrn TOKYO 2),IMMEDIATE $(mrn TOKYO 3)" ]
run hqre sato.k read "$(mrn TOKYO 2)"
check "HQ reads the queued reply: REF the cable answered" grep -q "$(mrn HQ 1)" "$T/hqre.out"
check "HQ reads the queued reply: its subject" grep -q "SUBJECT: RE: held cable" "$T/hqre.out"
run hqr sato.k read "$(mrn TOKYO 3)"
check "HQ reads the queued cable (exit $rc)" grep -q "OUTBOX-BODY-7f3a" "$T/hqr.out"
check "HQ reads the queued cable: its subject" grep -q "SUBJ-routine-9c1e" "$T/hqr.out"
run ob2 tanaka.h --json outbox
check "outbox: only the refused one left, marked failed with the reason" \
	[ "$(jq -r '[.outbox[] | .subject + ":" + (.failed | test("MOSCOW"; "i") | tostring)] | join(",")' "$T/ob2.out")" = "to nowhere:true" ]
run again tanaka.h inbox
check "a failed entry is not sent again by itself" not said again "queued cable"
run obs tanaka.h outbox send
check "outbox send with only a failed entry: nothing sent, exit 0 (got $rc)" [ "$rc" = 0 ]
run obr tanaka.h outbox retry "$(jq -r '.outbox[0].id' "$T/ob2.out")"
check "outbox retry: refused again, exit 1 (got $rc)" [ "$rc" = 1 ]
check "outbox retry: FAILED line" grep -q '^FAILED .*"to nowhere"' "$T/obr.out"
run ob3 tanaka.h --json outbox
check "the refused entry is kept" [ "$(jq '.outbox | length' "$T/ob3.out")" = 1 ]

# ---- the switch lost after the cable was sealed: its sealed bytes wait, and go as they are ----
rm -f "$T/fifo" && mkfifo "$T/fifo"
"$DENPO" --home "$T/tanaka.h" send --class SECRET --prec PRIORITY --to HQ --tags ADMN --subject "sealed then lost" \
	--body - <"$T/fifo" >"$T/sl.out" 2>"$T/sl.err" &
SP=$!
exec 3>"$T/fifo"
for _ in $(seq 300); do grep -q '^encrypting to' "$T/sl.err" && break; sleep 0.1; done
check "sealed then lost: resolved while the switch ran" grep -q '^encrypting to' "$T/sl.err"
stop_switch || no "denpod did not stop (exit $?)"
echo "1. (S) Sealed, then the switch went away." >&3
exec 3>&-
wait "$SP"
rc=$?
check "sealed then lost: exit 0 (got $rc: $(grep -v PASSPHRASE "$T/sl.err" | head -c 300))" [ "$rc" = 0 ]
check "sealed then lost: queued" grep -q "^queued: will be sent when the switch is reachable" "$T/sl.out"
CID=$(sed -n 's/^denpo: cable \([0-9a-f]\{32\}\) was not accepted.*/\1/p' "$T/sl.err")
check "sealed then lost: its sealed bytes are kept ($CID)" [ -n "$CID" ] && [ -f "$T/tanaka.h/sent/$CID.cable" ]
# the id starts with the time it was made, in ms (docs/formats.md, "The cable id"): within the last 10 minutes
IDMS=$((16#${CID:0:12})) NOWMS=$(date +%s%3N)
check "the cable id begins with the time it was made ($IDMS ms, now $NOWMS)" \
	[ "$IDMS" -le "$NOWMS" -a $((NOWMS - IDMS)) -lt 600000 ]
# sealed: it is sent as it is, never saved over, never sealed anew
run slo tanaka.h --json outbox
SLE=$(jq -r '.outbox[] | select(.subject == "sealed then lost") | .id' "$T/slo.out")
printf '{"classification": "SECRET", "precedence": "PRIORITY", "to": ["HQ"], "tags": ["ADMN"], "subject": "changed"}' \
	>"$T/chg.json"
run slsave tanaka.h draft save "$T/chg.json" --id "$SLE"
check "sealed entry: saving over it is refused, exit 1 (got $rc)" [ "$rc" = 1 ]
check "sealed entry: said why" said slsave "it is in the outbox, already sealed as cable $CID: it is sent as it is; delete it from the outbox first to change it"
run sldsend tanaka.h draft send "$SLE"
check "sealed entry: draft send offline leaves it waiting (exit $rc)" \
	grep -q "^queued: will be sent when the switch is reachable (outbox entry $SLE)" "$T/sldsend.out"
run slo2 tanaka.h --json outbox
check "sealed entry: still queued under its cable id" \
	[ "$(jq -r ".outbox[] | select(.id == \"$SLE\") | .subject" "$T/slo2.out")" = "sealed then lost" ]
# another process sending the outbox holds drafts/lock: nothing is deleted meanwhile
flock "$T/tanaka.h/drafts/lock" "$DENPO" --home "$T/tanaka.h" outbox delete "$SLE" >"$T/sllock.out" 2>"$T/sllock.err"
rc=$?
check "outbox delete while the outbox is being sent: exit 1 (got $rc)" [ "$rc" = 1 ]
check "outbox delete while the outbox is being sent: said" said sllock "another denpo process is sending the outbox now"
check "outbox delete while the outbox is being sent: the entry is kept" [ -e "$T/tanaka.h/drafts/$SLE.draft" ]
cp "$T/tanaka.h/drafts/$SLE.draft" "$T/sealed.draft"
start_switch || no "denpod did not restart"
run obs2 tanaka.h draft send "$SLE"
check "draft send of the sealed entry: exit 0 (got $rc: $(grep -v PASSPHRASE "$T/obs2.err" | head -c 300))" [ "$rc" = 0 ]
check "draft send of the sealed entry: its MRN" [ "$(cat "$T/obs2.out")" = "$(mrn TOKYO 4)" ]
check "the switch holds it under the id it was sealed with" eval "D cable list | grep -q ' $CID'"
check "and no second cable: four from TOKYO" [ "$(D cable list | grep -c "^$YY TOKYO ")" = 4 ]
# a copy of the entry put back (a restored backup): deleting it says it may have gone
cp "$T/sealed.draft" "$T/tanaka.h/drafts/$SLE.draft"
run sldel tanaka.h outbox delete "$SLE"
check "outbox delete of a sealed entry: exit 0 (got $rc)" [ "$rc" = 0 ]
check "outbox delete of a sealed entry: says it may have reached the switch" \
	grep -q "it had been sealed as cable $CID, and an earlier attempt may have reached the switch: see \`denpo sent\`" "$T/sldel.out"
# a kept binding from before the MAC is bound again online, and kept with its MAC
grep -v '^mac ' "$MF" >"$T/mrn.old" && cp "$T/mrn.old" "$MF"
run ron tanaka.h read "$(mrn HQ 1)"
check "kept MRN without its MAC, online: read (exit $rc)" grep -q "A cable the post holds" "$T/ron.out"
check "kept MRN without its MAC, online: kept again with its MAC" grep -q '^mac [0-9a-f]\{64\}$' "$MF"

# ---- drafts as `denpo ui` keeps them: sealed, no plaintext on disk, altered ones refused ----
cat >"$T/draft.json" <<EOF
{"classification": "SECRET", "precedence": "PRIORITY", "to": ["HQ"], "tags": ["PREL"],
 "subject": "下書き DRAFT-SUBJ-5e81", "body": "1. (S) 本文 DRAFT-BODY-c4a2\\n",
 "attachments": [{"name": "note.txt", "data": "$(printf 'ATT-BYTES-91f0' | base64)"}]}
EOF
run dsv tanaka.h draft save "$T/draft.json"
DID=$(cat "$T/dsv.out")
check "draft save: an id (exit $rc: $(grep -v PASSPHRASE "$T/dsv.err" | head -c 200))" [ ${#DID} = 32 ]
check "draft: file 0600" [ "$(stat -c %a "$T/tanaka.h/drafts/$DID.draft")" = 600 ]
check "draft: no plaintext on disk" \
	not grep -rqaE "DRAFT-SUBJ-5e81|DRAFT-BODY-c4a2|ATT-BYTES-91f0|QVRULUJZVEVTLTkxZjA" "$T/tanaka.h"
run dsh tanaka.h draft show "$DID"
check "draft show: the subject back" [ "$(jq -r .subject "$T/dsh.out")" = "下書き DRAFT-SUBJ-5e81" ]
cp "$T/tanaka.h/drafts/$DID.draft" "$T/draft.kept"
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-3] ^= 0x40; open(p, "wb").write(b)' \
	"$T/tanaka.h/drafts/$DID.draft"
run dalt tanaka.h draft show "$DID"
check "altered draft: refused as a verification failure (exit $rc)" [ "$rc" = 3 ]
check "altered draft: said why" said dalt "altered on disk"
check "altered draft: nothing shown" [ ! -s "$T/dalt.out" ]
cp "$T/draft.kept" "$T/tanaka.h/drafts/$DID.draft"
run dsn tanaka.h draft send "$DID"
check "draft send: the MRN (exit $rc: $(grep -v PASSPHRASE "$T/dsn.err" | head -c 200))" \
	[ "$(cat "$T/dsn.out")" = "$(mrn TOKYO 5)" ]
check "draft send: the draft is removed" [ ! -e "$T/tanaka.h/drafts/$DID.draft" ]
mkdir -p "$T/atts"
run dhq sato.k read "$(mrn TOKYO 5)" --save-attachments "$T/atts"
check "HQ reads the draft sent: its subject" grep -q "下書き DRAFT-SUBJ-5e81" "$T/dhq.out"
check "HQ reads the draft sent: its attachment" [ "$(cat "$T/atts/note.txt")" = "ATT-BYTES-91f0" ]
t_done it_offline
