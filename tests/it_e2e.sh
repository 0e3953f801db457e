#!/usr/bin/env bash
# it_e2e.sh - end to end through the real programs: a switch (denpod) on
# 127.0.0.1, HQ and three posts, officers with different clearances,
# captions and roles, one denpo device each.  Asserts precedence order,
# clearance / caption / ATTN narrowing, banners, receipts, gap-free MRNs,
# REF on replies, attachments, that no cable content reaches the switch's
# disk, that Debian's age opens a payload with the exported device
# identity, suspension / reinstatement / revocation, restart, and that a
# cable nobody may read is refused with nothing stored.
. "$(dirname "$0")/lib.sh"
need_programs it_e2e "$DENPOD" "$DENPO"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="e2e test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
YY=$(date -u +%y)
DB="$T/sw/denpod.db"
ncables() { D cable list | wc -l; }
body() { printf '%s\n' "$@" >"$T/body"; }
# send OFFICER ARGS... -> MRN on stdout (stderr kept in $T/send.err)
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
inbox_ids() { dp "$1" --json inbox | jq -r '.cables[].cable_id'; }
has() { inbox_ids "$1" | grep -qx "$2"; }
hasnt() { ! inbox_ids "$1" | grep -qx "$2"; }
# the devices the last send encrypted to, sorted, comma-separated
rcpts() { sed -n 's/^encrypting to [0-9]* devices\{0,1\}: //p' "$T/send.err" | sed 's/, /\n/g' | sort | paste -sd, -; }
mrn() { printf '%s %s %06d' "$YY" "$1" "$2"; }

# ---- the switch and its directory ----
{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add BEIJING && D post add LONDON &&
		D collective add "ALL POSTS" WASHINGTON BEIJING LONDON &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" --captions NOFORN,EXDIS --roles POL,COMMS &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET --roles POL &&
		D officer add suzuki.a --post WASHINGTON --clearance CONFIDENTIAL --roles COMMS &&
		D officer add ito.m --post BEIJING --clearance SECRET --captions NOFORN &&
		D officer add mori.y --post BEIJING --clearance SECRET --roles ECON &&
		D officer add abe.s --post LONDON --clearance RESTRICTED
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON suzuki.a:WASHINGTON ito.m:BEIJING mori.y:BEIJING abe.s:LONDON
check "whoami shows the clearance from the switch" \
	[ "$(dp suzuki.a --json whoami | jq -r '"\(.officer) \(.post) \(.clearance) \(.roles|join(","))"')" = \
	"suzuki.a WASHINGTON CONFIDENTIAL COMMS" ]
start_switch || no "denpod did not start"

# ---- precedence order: FLASH, IMMEDIATE, PRIORITY, ROUTINE, whatever the send order ----
body "1. (C) Precedence test."
P=()
for p in ROUTINE PRIORITY FLASH IMMEDIATE ROUTINE; do
	P+=("$(send sato.k --class CONFIDENTIAL --prec $p --to WASHINGTON --tags ADMN --subject "order $p")") ||
		no "send $p: $(cat "$T/send.err")"
done
check "HQ MRNs count 1..5 in send order" [ "${P[*]}" = "$(mrn HQ 1) $(mrn HQ 2) $(mrn HQ 3) $(mrn HQ 4) $(mrn HQ 5)" ]
order=$(dp suzuki.a --json inbox | jq -r '[.cables[].precedence] | join(" ")')
check "inbox in precedence order (got: $order)" [ "$order" = "FLASH IMMEDIATE PRIORITY ROUTINE ROUTINE" ]
check "equal precedence: earlier acceptance first" \
	[ "$(dp suzuki.a --json inbox | jq -r '[.cables[] | select(.precedence=="ROUTINE") | .mrn] | join(",")')" = \
	"$(mrn HQ 1),$(mrn HQ 5)" ]
check "tanaka.h (SECRET) gets the CONFIDENTIAL cables too" [ "$(inbox_ids tanaka.h | wc -l)" = 5 ]
dp suzuki.a inbox >"$T/inbox.txt"
check "text inbox: FLASH first and flagged !!" [ "$(sed -n 2p "$T/inbox.txt" | awk '{print $1, $2}')" = "!! FLASH" ]
check "text inbox: only FLASH flagged" [ "$(grep -c '^!!' "$T/inbox.txt")" = 1 ]
for m in "${P[@]}"; do dp suzuki.a ack "$m" >/dev/null || no "ack $m"; done
check "acknowledged cables leave the queue" [ "$(inbox_ids suzuki.a | wc -l)" = 0 ]

# ---- a SECRET cable: clearance narrowing, banners, receipts, no plaintext at the switch ----
SUBJ="ZEBRA-QUOKKA-SUBJECT-7731 naval talks position"
TAG="XQZPLUMBUSTAG"
BODYSTR="MARMALADE-AARDVARK-BODY-93121-the-ambassador-will-propose-a-joint-patrol"
body "1. (S) $BODYSTR." "2. (S) Second paragraph."
S1=$(send sato.k --class SECRET --prec IMMEDIATE/ROUTINE --to WASHINGTON --info BEIJING --tags "PREL,$TAG" \
	--subject "$SUBJ")
check "SECRET cable accepted as $(mrn HQ 6)" [ "$S1" = "$(mrn HQ 6)" ]
check "encrypted to exactly the cleared devices" \
	[ "$(rcpts)" = "ito.m@BEIJING (info),mori.y@BEIJING (info),tanaka.h@WASHINGTON" ]
S1ID=$(id_of "$S1")
check "tanaka.h (SECRET) has it" has tanaka.h "$S1ID"
check "suzuki.a (CONFIDENTIAL) never receives it" hasnt suzuki.a "$S1ID"
dp suzuki.a read "$S1ID" >"$T/out" 2>"$T/err"
rc=$?
check "suzuki.a fetching it by id: exit 1" [ "$rc" = 1 ]
check "suzuki.a fetching it by id: 404 not found" \
	grep -q "^denpo: cannot fetch cable $S1ID: no such object" "$T/err"
check "nothing shown to suzuki.a" [ ! -s "$T/out" ]
check "info addressee sees the info precedence and role" \
	[ "$(dp ito.m --json inbox | jq -r --arg i "$S1ID" '.cables[] | select(.cable_id==$i) | "\(.precedence) \(.role)"')" = \
	"ROUTINE info" ]
st=$(dp sato.k --json status "$S1")
check "status before fetch: 3 recipients, none delivered" \
	[ "$(jq '[.recipients | length, (map(select(.delivered != null)) | length)] | join(",")' <<<"$st")" = '"3,0"' ]
dp tanaka.h read "$S1" >"$T/read.txt" 2>"$T/err" || no "tanaka.h read: $(cat "$T/err")"
check "read: top banner SECRET" [ "$(head -n 1 "$T/read.txt")" = SECRET ]
check "read: bottom banner SECRET" [ "$(tail -n 1 "$T/read.txt")" = SECRET ]
check "read: MRN line" grep -qx "SECRET $S1" "$T/read.txt"
check "read: subject" grep -qx "SUBJECT: $SUBJ" "$T/read.txt"
check "read: TAGS" grep -qx "TAGS: PREL, $TAG" "$T/read.txt"
check "read: body" grep -qF "1. (S) $BODYSTR." "$T/read.txt"
check "read: FM and INFO lines" grep -qx "INFO BEIJING" "$T/read.txt"
# declassification 30 years after Created (the built-in records schedule; 29 February becomes 1 March)
created=$(dp tanaka.h --json read "$S1" 2>/dev/null | jq -r .created)
decl="$(($(date -u -d "@$created" +%Y) + 30))-$(date -u -d "@$created" +%m-%d | sed 's/^02-29$/03-01/')"
check "read: DECL from the schedule's default (Created + 30 years: $decl)" grep -qx "DECL: $decl" "$T/read.txt"
check "read: RETENTION from the schedule's default" grep -qx "RETENTION: PERMANENT" "$T/read.txt"
check "read --json: declassify_on and retention" \
	[ "$(dp tanaka.h --json read "$S1" | jq -r '"\(.declassify_on) \(.retention) [\(.declassify_event)]"')" = "$decl PERMANENT []" ]
st=$(dp sato.k --json status "$S1")
row() { jq -r --arg o "$1" '.recipients[] | select(.officer==$o) | "\(.delivered != null) \(.acked != null)"' <<<"$st"; }
check "status after fetch: tanaka.h delivered, not acked" [ "$(row tanaka.h)" = "true false" ]
check "status: ito.m neither" [ "$(row ito.m)" = "false false" ]
dp tanaka.h ack "$S1" >/dev/null || no "tanaka.h ack"
st=$(dp sato.k --json status "$S1")
check "status after ack: tanaka.h acked" [ "$(row tanaka.h)" = "true true" ]
dp sato.k status "$S1" >"$T/status.txt"
check "text status: counts" grep -q "3 recipients, 1 delivered, 1 acknowledged" "$T/status.txt"
dp tanaka.h status "$S1" >/dev/null 2>"$T/err"
check "only the originator sees receipts (exit 1)" [ $? = 1 ]
check "only the originator sees receipts (404, message)" \
	grep -q "^denpo: cannot get the status of $S1: no such object (receipts are for the originating officer)" "$T/err"

# no subject, TAGS or body anywhere in the switch's files: while running (WAL), and after a checkpoint
leak() { # prints the files holding any of the strings
	grep -rlaF -e "$SUBJ" -e "$TAG" -e "$BODYSTR" -e "ZEBRA-QUOKKA" -e "MARMALADE-AARDVARK" "$T/sw" "$T/run.log"
}
if [ "${DENPO_TEST_STORE:-}" = postgresql ]; then
	# the database's own files: the cluster's data directory, after a CHECKPOINT wrote every page
	PGOPTIONS="-c client_min_messages=warning" psql -qX "$DENPO_TEST_PG" -c CHECKPOINT >/dev/null ||
		no "CHECKPOINT"
	check "positive control: the raw grep finds the MRN in PostgreSQL's files" \
		[ -n "$(grep -rlaF "$S1" "$DENPO_TEST_PG_DIR/data")" ]
	L=$(leak; grep -rlaF -e "$SUBJ" -e "$TAG" -e "$BODYSTR" -e "ZEBRA-QUOKKA" -e "MARMALADE-AARDVARK" \
		"$DENPO_TEST_PG_DIR/data")
	check "no subject/TAGS/body in the switch's or PostgreSQL's files${L:+: $L}" [ -z "$L" ]
else
ls "$T/sw" >"$T/swfiles"
check "the WAL is in use (denpod.db-wal exists)" grep -qx "denpod.db-wal" "$T/swfiles"
check "positive control: the raw grep finds the MRN in the switch's files" \
	[ "$(cat "$T/sw"/denpod.db* | grep -caF "$S1")" -gt 0 ]
L=$(leak)
check "no subject/TAGS/body in the switch's files (before checkpoint)${L:+: $L}" [ -z "$L" ]
fi
if [ "${DENPO_TEST_STORE:-}" != postgresql ] && command -v sqlite3 >/dev/null; then
	sqlite3 "$DB" "PRAGMA busy_timeout=5000; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null ||
		no "wal checkpoint"
	L=$(leak)
	check "no subject/TAGS/body in the switch's files (after checkpoint)${L:+: $L}" [ -z "$L" ]
	check "positive control after checkpoint: MRN in denpod.db" [ "$(grep -caF "$S1" "$DB")" -gt 0 ]
elif [ "${DENPO_TEST_STORE:-}" != postgresql ]; then
	skip "sqlite3 CLI missing: no checkpoint"
fi

# ---- typage (another age implementation) opens the payload with the device's exported
# ---- post-quantum identity; Debian's age (no mlkem768x25519) cannot: no classic stanza ----
CACHED="$T/tanaka.h/cache/$S1ID.cable"
check "the read cable is cached encrypted" [ -f "$CACHED" ]
check "the cache holds no plaintext" [ "$(grep -caF "$BODYSTR" "$CACHED")" = 0 ]
payload() { # submission -> age payload (u32 big-endian envelope length || envelope || payload)
	python3 -c 'import sys,struct
b=open(sys.argv[1],"rb").read(); n=struct.unpack(">I",b[:4])[0]; sys.stdout.buffer.write(b[4+n:])' "$1" >"$2"
}
payload "$CACHED" "$T/payload.age"
check "payload is an age file" [ "$(head -c 21 "$T/payload.age")" = "age-encryption.org/v1" ]
dp tanaka.h key export-identity --out "$T/tanaka.key" >/dev/null 2>"$T/err" || no "export-identity: $(cat "$T/err")"
check "identity file mode 0600" [ "$(stat -c %a "$T/tanaka.key")" = 600 ]
check "export warns on stderr" grep -q "WARNING: .* SECRET keys in clear text" "$T/err"
check "identity file holds a post-quantum AGE-SECRET-KEY-PQ-1" \
	grep -qE '^AGE-SECRET-KEY-PQ-1[0-9A-Z]{58}$' "$T/tanaka.key"
check "identity file holds no classic AGE-SECRET-KEY-1" eval "! grep -q '^AGE-SECRET-KEY-1' '$T/tanaka.key'"
check "payload: mlkem768x25519 stanzas" grep -aq '^-> mlkem768x25519 ' "$T/payload.age"
check "payload: no classic X25519 stanza" eval "! grep -aq '^-> X25519 ' '$T/payload.age'"
dp tanaka.h key export-identity --out "$T/tanaka.key" >/dev/null 2>"$T/err"
check "export never overwrites (exit 1)" [ $? = 1 ]
check "export never overwrites (message)" grep -q "cannot export the identities to $T/tanaka.key: object already exists" "$T/err"
dp suzuki.a key export-identity --out "$T/suzuki.key" >/dev/null 2>&1 || no "export-identity suzuki.a"
AGEJS="$ROOT/tests/agejs"
if command -v node >/dev/null && [ -d "$AGEJS/node_modules/age-encryption" ]; then
	node "$AGEJS/age.mjs" decrypt -i "$T/tanaka.key" <"$T/payload.age" >"$T/plain" 2>"$T/err" ||
		no "typage decrypt: $(cat "$T/err")"
	check "typage: plaintext starts with DENPO-CABLE/1" [ "$(head -n 1 "$T/plain")" = "DENPO-CABLE/1" ]
	check "typage: plaintext holds the body" grep -qF "$BODYSTR" "$T/plain"
	check "typage: plaintext holds the subject" grep -qF "$SUBJ" "$T/plain"
	check "typage: the uncleared officer's identity cannot open it" \
		eval "! node '$AGEJS/age.mjs' decrypt -i '$T/suzuki.key' <'$T/payload.age' >/dev/null 2>&1"
else
	skip "typage not installed (scripts/setup installs tests/agejs)"
fi
if command -v age >/dev/null; then
	# Debian's age 1.1 knows no post-quantum identity, and the file has no X25519 stanza
	age -d -i "$T/tanaka.key" "$T/payload.age" >"$T/plain2" 2>"$T/err"
	check "Debian age cannot decrypt a cable (exit non-zero)" [ $? != 0 ]
	check "Debian age cannot decrypt a cable (no output)" [ ! -s "$T/plain2" ]
	# positive control: the same age opens a classic file made by libdenpo
	if [ -x "$BUILD/tests/tool_age" ]; then
		"$BUILD/tests/tool_age" keygen >"$T/classic.out" 2>/dev/null
		head -n 1 "$T/classic.out" >"$T/classic.key"
		printf 'classic\n' | "$BUILD/tests/tool_age" encrypt -r "$(sed -n 2p "$T/classic.out")" >"$T/classic.age"
		check "positive control: Debian age opens a classic X25519 file" \
			[ "$(age -d -i "$T/classic.key" "$T/classic.age" 2>/dev/null)" = classic ]
	fi
else
	skip "age not installed (apt-get install age)"
fi
rm -f "$T/plain" "$T/plain2" "$T/classic.key"

# ---- caption and ATTN narrowing ----
body "1. (S) Caption test."
C1=$(send sato.k --class SECRET --caption NOFORN --prec PRIORITY --to BEIJING --tags PREL --subject "caption")
check "NOFORN: only ito.m" grep -qx "encrypting to 1 device: ito.m@BEIJING" "$T/send.err"
C1ID=$(id_of "$C1")
check "NOFORN: ito.m has it" has ito.m "$C1ID"
check "NOFORN: mori.y (no NOFORN) does not" hasnt mori.y "$C1ID"
check "NOFORN: mori.y cannot fetch it (exit 1)" eval "dp mori.y read $C1ID >/dev/null 2>&1; [ \$? = 1 ]"
check "NOFORN: read shows the caption in the banner" \
	[ "$(dp ito.m read "$C1" | head -n 1)" = "SECRET//NOFORN" ]
body "1. (S) ATTN test."
A1=$(send sato.k --class SECRET --prec PRIORITY --to BEIJING --attn mori.y --tags ECON --subject "attn handle")
check "ATTN handle: only mori.y" grep -qx "encrypting to 1 device: mori.y@BEIJING" "$T/send.err"
A1ID=$(id_of "$A1")
check "ATTN handle: ito.m does not get it" hasnt ito.m "$A1ID"
check "ATTN handle: mori.y does" has mori.y "$A1ID"
body "1. (C) ATTN role test."
A2=$(send sato.k --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --attn COMMS --tags ADMN --subject "attn role")
check "ATTN role COMMS: only suzuki.a" grep -qx "encrypting to 1 device: suzuki.a@WASHINGTON" "$T/send.err"
check "ATTN role: tanaka.h does not get it" hasnt tanaka.h "$(id_of "$A2")"

# ---- declassification and retention: the drafter's, the schedule's, refusals ----
body "1. (S) Records test."
E1=$(send sato.k --class SECRET --prec ROUTINE --to BEIJING --tags PREL --subject "records flags" \
	--declassify-event "Conclusion of the naval talks" --retention permanent) ||
	no "send --declassify-event: $(cat "$T/send.err")"
dp mori.y read "$E1" >"$T/read.txt" 2>"$T/err" || no "mori.y read: $(cat "$T/err")"
check "--declassify-event: DECL: ON EVENT" grep -qx "DECL: ON EVENT: Conclusion of the naval talks" "$T/read.txt"
check "--declassify-event: no date besides" eval "! grep -q '^DECL: [0-9]' '$T/read.txt'"
check "--retention (any letter case): RETENTION: PERMANENT" grep -qx "RETENTION: PERMANENT" "$T/read.txt"
n0=$(ncables)
send sato.k --class SECRET --prec ROUTINE --to BEIJING --tags PREL --subject "x" --retention TEMPORARY-10Y >/dev/null
check "--retention the schedule lacks: usage error (exit 2)" [ $? = 2 ]
check "--retention the schedule lacks: the classes are listed" \
	grep -q "no retention class TEMPORARY-10Y; it defines PERMANENT" "$T/send.err"
send sato.k --class SECRET --prec ROUTINE --to BEIJING --tags PREL --subject "x" --declassify-on 2060-01-01 \
	--declassify-event "x" >/dev/null
check "--declassify-on with --declassify-event: exit 2" [ $? = 2 ]
check "--declassify-on with --declassify-event: why" grep -q "not both" "$T/send.err"
send sato.k --class UNCLASSIFIED --prec ROUTINE --to BEIJING --tags PREL --subject "x" --declassify-event "x" \
	>/dev/null
check "UNCLASSIFIED with a declassification: exit 2" [ $? = 2 ]
check "refused drafts: nothing stored on the switch" [ "$(ncables)" = "$n0" ]
# the schedule comes with the directory: a switch without one hands the built-in schedule
dp sato.k --json directory >"$T/dir.json" 2>"$T/err" || no "directory: $(cat "$T/err")"
check "directory --json: the records schedule" \
	[ "$(jq -c '[.records.retentions, .records.classes.SECRET.declassify_years]' "$T/dir.json")" = \
	'[[{"name":"PERMANENT","years":0}],30]' ]
check "the schedule is kept in HOME/records (0600)" [ "$(stat -c %a "$T/sato.k/records" 2>/dev/null)" = 600 ]
check "HOME/records is the directory's records object" \
	[ "$(jq -c . "$T/sato.k/records")" = "$(jq -c .records "$T/dir.json")" ]
# a schedule as a switch that has one hands it: classes of its own, a TAG's rule (the device's cache)
jq -c '.records | .retentions += [{"name":"TEMPORARY-10Y","years":10}]
	| .classes.CONFIDENTIAL = {"retention":"TEMPORARY-10Y","declassify_years":10,"declassify_event":""}
	| .tags = [{"tag":"KJUS","rule":{"retention":"PERMANENT","declassify_years":0,
		"declassify_event":"End of the proceedings"}}]' "$T/dir.json" >"$T/sato.k/records"
body "1. (C) Records schedule test."
E2=$(send sato.k --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ADMN --subject "schedule class") ||
	no "send (schedule): $(cat "$T/send.err")"
created=$(dp suzuki.a --json read "$E2" 2>/dev/null | jq -r .created)
decl="$(($(date -u -d "@$created" +%Y) + 10))-$(date -u -d "@$created" +%m-%d)"
[ "${decl#*-}" != 02-29 ] || decl="${decl%%-*}-03-01"
dp suzuki.a read "$E2" >"$T/read.txt" 2>"$T/err" || no "suzuki.a read: $(cat "$T/err")"
check "schedule's class rule: RETENTION: TEMPORARY-10Y" grep -qx "RETENTION: TEMPORARY-10Y" "$T/read.txt"
check "schedule's class rule: DECL Created + 10 years ($decl)" grep -qx "DECL: $decl" "$T/read.txt"
E3=$(send sato.k --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ADMN,KJUS --subject "schedule tag") ||
	no "send (schedule tag): $(cat "$T/send.err")"
dp suzuki.a read "$E3" >"$T/read.txt" 2>"$T/err" || no "suzuki.a read: $(cat "$T/err")"
check "a TAG's rule: the longer retention (PERMANENT)" grep -qx "RETENTION: PERMANENT" "$T/read.txt"
check "a TAG's rule: its event over the class's date" grep -qx "DECL: ON EVENT: End of the proceedings" "$T/read.txt"
E4=$(send sato.k --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ADMN --subject "schedule flag" \
	--retention temporary-10y --declassify-on 2031-04-01) || no "send (flags): $(cat "$T/send.err")"
dp suzuki.a read "$E4" >"$T/read.txt" 2>"$T/err" || no "suzuki.a read: $(cat "$T/err")"
check "the drafter's date stands" grep -qx "DECL: 2031-04-01" "$T/read.txt"
check "a class of the cached schedule is accepted" grep -qx "RETENTION: TEMPORARY-10Y" "$T/read.txt"
printf '{"retentions":[]}' >"$T/sato.k/records"
send sato.k --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ADMN --subject "damaged cache" >/dev/null
check "a damaged HOME/records: a warning, and the built-in schedule" grep -q "records is unreadable or malformed" "$T/send.err"
rm -f "$T/sato.k/records"

# ---- collective address ----
body "1. (U) Circular to all posts."
U1=$(send sato.k --class UNCLASSIFIED --prec ROUTINE --to "ALL POSTS" --tags ADMN --subject "circular")
U1ID=$(id_of "$U1")
for h in tanaka.h suzuki.a ito.m mori.y abe.s; do
	check "ALL POSTS reaches $h" has "$h" "$U1ID"
done
check "UNCLASSIFIED banner" [ "$(dp abe.s read "$U1" | tail -n 1)" = UNCLASSIFIED ]

# ---- reply with REF, MRNs per originating post; attachments ----
body "1. (S) Reply from Washington."
head -c 300000 /dev/urandom >"$T/annex.bin"
printf 'line one\nline two\n' >"$T/notes.txt"
R1=$(dp tanaka.h reply "$S1" --body "$T/body" --attach "$T/annex.bin" --attach "$T/notes.txt" 2>"$T/err")
check "the first Washington cable is $(mrn WASHINGTON 1) (got '$R1')" [ "$R1" = "$(mrn WASHINGTON 1)" ]
body "1. (C) Second from Washington."
R2=$(send tanaka.h --class C --prec R --to HQ --tags ADMN --subject "second")
check "then $(mrn WASHINGTON 2)" [ "$R2" = "$(mrn WASHINGTON 2)" ]
B1=$(dp ito.m reply "$C1" --body "$T/body" 2>"$T/err")
check "the first Beijing cable is $(mrn BEIJING 1) (got '$B1')" [ "$B1" = "$(mrn BEIJING 1)" ]
j=$(dp sato.k --json read "$R1")
check "reply: REF is the original's MRN" [ "$(jq -r '.refs | join(",")' <<<"$j")" = "$S1" ]
check "reply: subject RE:" [ "$(jq -r .subject <<<"$j")" = "RE: $SUBJ" ]
check "reply: TO the originating post, same class" [ "$(jq -r '"\(.to|join(",")) \(.classification) \(.from)"' <<<"$j")" = \
	"HQ SECRET WASHINGTON" ]
check "reply: REF line in the text" eval "dp sato.k read '$R1' | grep -qx 'REF: A) $S1'"
check "Beijing's reply keeps the NOFORN caption" [ "$(dp sato.k --json read "$B1" | jq -r '.captions|join(",")')" = NOFORN ]
mkdir "$T/att"
dp sato.k read "$R1" --save-attachments "$T/att" >/dev/null 2>&1 || no "save attachments"
check "attachment 1 byte-identical" cmp -s "$T/annex.bin" "$T/att/annex.bin"
check "attachment 2 byte-identical" cmp -s "$T/notes.txt" "$T/att/notes.txt"
check "attachment sizes in read --json" [ "$(jq -r '[.attachments[] | "\(.name):\(.size)"] | join(",")' <<<"$j")" = \
	"annex.bin:300000,notes.txt:18" ]

# ---- a cable nobody addressed may read is refused; nothing stored ----
n0=$(ncables)
s0=$(ls "$T/sato.k/sent" | wc -l)
body "1. (S) Nobody in London may read this."
send sato.k --class SECRET --prec FLASH --to LONDON --tags PREL --subject "nobody" >/dev/null
rc=$?
check "to a post with nobody cleared: exit 1" [ "$rc" = 1 ]
check "to a post with nobody cleared: message" \
	grep -q "^denpo: no recipient device resolves: nobody addressed is cleared for SECRET" "$T/send.err"
check "to a post with nobody cleared: nothing stored on the switch" [ "$(ncables)" = "$n0" ]
check "to a post with nobody cleared: nothing saved on the device" [ "$(ls "$T/sato.k/sent" | wc -l)" = "$s0" ]
check "abe.s (RESTRICTED) got nothing FLASH" \
	[ "$(dp abe.s --json inbox | jq '[.cables[] | select(.precedence=="FLASH")] | length')" = 0 ]

# ---- suspend / reinstate / revoke ----
TDEV=$(dp tanaka.h --json whoami | jq -r .device)
D device suspend "${TDEV:0:12}" >/dev/null || no "suspend"
dp tanaka.h inbox >/dev/null 2>"$T/err"
rc=$?
check "suspended device: inbox refused (exit 1)" [ "$rc" = 1 ]
check "suspended device: message" \
	grep -q "^denpo: cannot read the inbox: device unknown, suspended or revoked (this device is suspended" "$T/err"
check "suspended device: HTTP 403" eval "grep -a 'dev=${TDEV:0:12} method=GET endpoint=/v1/inbox ' '$T/run.log' | tail -n 1 | grep -q ' status=403 '"
body "1. (S) While tanaka.h is suspended."
n0=$(ncables)
send sato.k --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL --subject "during suspension" >/dev/null
check "suspended device gets no new SECRET cable: refused, nobody else cleared" [ $? = 1 ]
check "... and nothing stored" [ "$(ncables)" = "$n0" ]
body "1. (C) While tanaka.h is suspended."
X1=$(send sato.k --class CONFIDENTIAL --prec IMMEDIATE --to WASHINGTON --tags PREL --subject "during suspension C")
check "during suspension a CONFIDENTIAL cable goes to suzuki.a only" \
	grep -qx "encrypting to 1 device: suzuki.a@WASHINGTON" "$T/send.err"
D device reinstate "${TDEV:0:12}" >/dev/null || no "reinstate"
check "reinstated: inbox works" eval "dp tanaka.h inbox >/dev/null"
check "reinstated: the cable sent during suspension is not there" hasnt tanaka.h "$(id_of "$X1")"
body "1. (S) After reinstatement."
X2=$(send sato.k --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL --subject "after reinstatement")
check "reinstated: new cables reach it" has tanaka.h "$(id_of "$X2")"
D device revoke "${TDEV:0:12}" --operator ops.a >/dev/null || no "revoke request"
check "one operator does not revoke: inbox works" eval "dp tanaka.h inbox >/dev/null 2>&1"
D device revoke "${TDEV:0:12}" --operator ops.b >/dev/null || no "revoke (second operator)"
dp tanaka.h inbox >/dev/null 2>"$T/err"
check "revoked: refused (exit 1)" [ $? = 1 ]
check "revoked: message" grep -q "(this device is revoked; ask the switch operator)" "$T/err"
# (the switch's log says a repeated line once per period, counting the rest in a later line: a
# device that asks for its inbox again while a new cable's entry is being signed says it twice)
check "revoked: HTTP 403" grep -aq "dev=${TDEV:0:12} method=GET endpoint=/v1/inbox status=403 " "$T/run.log"
D device reinstate "${TDEV:0:12}" >/dev/null 2>&1
check "revocation is final (reinstate: exit 1)" [ $? = 1 ]

# ---- restart: everything is still there ----
dp suzuki.a --json inbox >"$T/inbox.before"
dp sato.k --json status "$S1" >"$T/status.before"
dp sato.k --json sent >"$T/sent.before"
n0=$(ncables)
stop_switch
rc=$?
check "SIGTERM: denpod exits 0" [ "$rc" = 0 ]
start_switch || no "denpod did not restart"
check "restart: inbox unchanged" cmp -s "$T/inbox.before" <(dp suzuki.a --json inbox)
check "restart: receipts unchanged" cmp -s "$T/status.before" <(dp sato.k --json status "$S1")
check "restart: sent list unchanged" cmp -s "$T/sent.before" <(dp sato.k --json sent)
check "restart: cables unchanged" [ "$(ncables)" = "$n0" ]
check "restart: revoked stays revoked" eval "! dp tanaka.h inbox >/dev/null 2>&1"
last=$(dp sato.k --json sent | jq -r '[.cables[].mrn] | max')
body "1. (U) After the restart."
M=$(send sato.k --class U --prec R --to BEIJING --tags ADMN --subject "after restart")
check "restart: the MRN counter goes on ($last -> $M)" [ "$M" = "$(mrn HQ $((10#${last##* } + 1)))" ]
check "HQ MRNs gap-free on the switch" \
	[ "$(D cable list | awk '$2=="HQ" {print $3}' | sort | tr '\n' ' ')" = "$(seq -f %06g -s ' ' 1 $((10#${M##* }))) " ]
check "run log holds no cable content" eval "! grep -qaF -e '$BODYSTR' -e '$TAG' '$T/run.log'"
t_done it_e2e
