#!/usr/bin/env bash
# it_bind.sh - what an officer is shown of a cable is what its sender signed
# or what the switch's log recorded (issue 11 item 4, denpo/bind.h).
#
# A switch, a sender (sato.k, HQ) and a reader (tanaka.h, TOKYO), cables of
# every precedence.  Then, as root on the switch, one `UPDATE ...` on its
# store (db_sql: denpod.db, or its PostgreSQL) at a time renumbers a cable (its MRN), moves its acceptance
# time, demotes a FLASH to ROUTINE, lowers a classification: each time
# `denpo inbox`, `read`, `reply` and `status` (and their --json) exit 3 with
# a message naming the field, show nothing of that cable as if valid and
# write nothing (no acknowledgement, no cache, no reply sent); with the row
# restored they work again.  Also: an MRN the switch maps to another cable,
# a cable with no log entry, one pointing at another cable's entry, and one
# whose entry never comes under a checkpoint (reported after 10 s, not shown
# unchecked).  On main every tampered value is shown with exit 0.
. "$(dirname "$0")/lib.sh"
need_programs it_bind "$DENPOD" "$DENPO"
command -v sqlite3 >/dev/null || { skip "sqlite3 (the CLI) is not installed"; t_done it_bind; exit 0; }
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="bind test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
YY=$(date -u +%y)
mrn() { printf '%s %s %06d' "$YY" "$1" "$2"; }
sql() { db_sql "$@"; }
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
ncables() { sql "SELECT count(*) FROM cables"; }
# run NAME OFFICER ARGS...: denpo's exit code in $rc, stdout in $T/NAME.out, stderr in $T/NAME.err
run() { local n=$1 h=$2; shift 2; dp "$h" "$@" >"$T/$n.out" 2>"$T/$n.err"; rc=$?; }
# expect3 NAME FIELD-MESSAGE: the last run exited 3 and said why, naming the field
expect3() {
	check "$1: exit 3 (got $rc: $(head -c 300 "$T/$1.err"))" [ "$rc" = 3 ]
	check "$1: names the field ($2)" grep -qF -- "$2" "$T/$1.err"
}

{
	switch_init &&
		D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" &&
		D officer add tanaka.h --post TOKYO --clearance SECRET
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:TOKYO
start_switch || no "denpod did not start"
run empty tanaka.h inbox # publishes its key epochs, too
check "empty inbox: exit 0 (got $rc: $(cat "$T/empty.err"))" [ "$rc" = 0 ]
check "empty inbox: said so" grep -qx "no cables waiting" "$T/empty.out"

body "1. (C) Bind test."
for p in ROUTINE FLASH IMMEDIATE PRIORITY FLASH ROUTINE; do
	send sato.k --class SECRET --prec "$p" --to TOKYO --tags ADMN --subject "bind $p" >/dev/null ||
		no "send $p: $(cat "$T/send.err")"
done
C1=$(id_of "$(mrn HQ 1)") C2=$(id_of "$(mrn HQ 2)") C3=$(id_of "$(mrn HQ 3)")
C4=$(id_of "$(mrn HQ 4)") C5=$(id_of "$(mrn HQ 5)") C6=$(id_of "$(mrn HQ 6)")
sleep 0.5

# ---- untouched: everything checks ----
run inbox tanaka.h --json inbox
check "inbox: exit 0 (got $rc: $(cat "$T/inbox.err"))" [ "$rc" = 0 ]
check "inbox: precedence order from the envelopes" \
	[ "$(jq -r '[.cables[].precedence] | join(" ")' "$T/inbox.out")" = "FLASH FLASH IMMEDIATE PRIORITY ROUTINE ROUTINE" ]
check "inbox: the MRNs of the log, FLASH in log order" \
	[ "$(jq -r '[.cables[].mrn] | .[0:2] | join(",")' "$T/inbox.out")" = "$(mrn HQ 2),$(mrn HQ 5)" ]
check "inbox: each cable with its log index" \
	[ "$(jq '[.cables[] | .log_index | numbers] | length' "$T/inbox.out")" = 6 ]
run status sato.k status "$(mrn HQ 1)"
check "status: exit 0 (got $rc: $(cat "$T/status.err"))" [ "$rc" = 0 ]
check "status: MRN, precedence, classification" grep -q "^$(mrn HQ 1)  ROUTINE  SECRET  accepted" "$T/status.out"
run sent sato.k --json sent
check "sent: exit 0 (got $rc: $(cat "$T/sent.err"))" [ "$rc" = 0 ]
check "sent: 6 cables" [ "$(jq '.cables | length' "$T/sent.out")" = 6 ]
run archive tanaka.h --json archive
check "archive: exit 0 (got $rc: $(cat "$T/archive.err"))" [ "$rc" = 0 ]
check "archive: newest first" [ "$(jq -r '.cables[0].mrn' "$T/archive.out")" = "$(mrn HQ 6)" ]

# ---- one tampered field at a time ----
# tamper NAME CABLE FIELD-MESSAGE SQL-TAMPER SQL-RESTORE: the four commands refuse it, then work again
tamper() {
	local n=$1 c=$2 msg=$3 bad=$4 good=$5 before acks
	before=$(ncables)
	sql "$bad" || no "$n: the UPDATE failed"
	run "$n-inbox" tanaka.h inbox
	expect3 "$n-inbox" "$msg"
	check "$n-inbox: the cable is reported, not listed" \
		grep -q "denpo: cable $c failed verification" "$T/$n-inbox.err"
	check "$n-inbox: not listed" not grep -q "$c" "$T/$n-inbox.out"
	check "$n-inbox: the other cables still are" [ "$(grep -c "  [0-9a-f]\{32\}" "$T/$n-inbox.out")" -ge 5 ]
	run "$n-json" tanaka.h --json inbox
	expect3 "$n-json" "$msg"
	check "$n-json: the cable under failed, naming the field" \
		[ "$(jq -r --arg c "$c" '.failed[] | select(.cable_id==$c) | .message' "$T/$n-json.out" | grep -cF -- "$msg")" = 1 ]
	check "$n-json: not under cables" [ "$(jq --arg c "$c" '[.cables[] | select(.cable_id==$c)] | length' "$T/$n-json.out")" = 0 ]
	run "$n-read" tanaka.h read "$c" --ack
	expect3 "$n-read" "$msg"
	check "$n-read: nothing shown" [ ! -s "$T/$n-read.out" ]
	check "$n-read: nothing cached" [ -z "$(ls "$T/tanaka.h/cache/" | grep "^$c")" ]
	acks=$(sql "SELECT count(*) FROM deliveries d JOIN cables c ON c.seq=d.seq WHERE c.cable_id=X'$c' AND d.acked IS NOT NULL")
	check "$n-read: not acknowledged" [ "$acks" = 0 ]
	run "$n-rjson" tanaka.h --json read "$c"
	expect3 "$n-rjson" "$msg"
	check "$n-rjson: a JSON error, no cable" [ "$(jq -r '.error' "$T/$n-rjson.out")" = signature ]
	run "$n-reply" tanaka.h reply "$c" --body "$T/body"
	expect3 "$n-reply" "$msg"
	check "$n-reply: nothing sent" [ "$(ncables)" = "$before" ]
	run "$n-status" sato.k status "$c"
	expect3 "$n-status" "$msg"
	check "$n-status: nothing shown" [ ! -s "$T/$n-status.out" ]
	run "$n-sjson" sato.k --json status "$c"
	expect3 "$n-sjson" "$msg"
	run "$n-sent" sato.k --json sent
	expect3 "$n-sent" "$msg"
	check "$n-sent: not listed" [ "$(jq --arg c "$c" '[.cables[] | select(.cable_id==$c)] | length' "$T/$n-sent.out")" = 0 ]
	sql "$good" || no "$n: the restoring UPDATE failed"
	run "$n-inbox2" tanaka.h --json inbox
	check "$n restored: inbox exit 0 (got $rc: $(cat "$T/$n-inbox2.err"))" [ "$rc" = 0 ]
	check "$n restored: the cable listed" [ "$(jq --arg c "$c" '[.cables[] | select(.cable_id==$c)] | length' "$T/$n-inbox2.out")" = 1 ]
	run "$n-read2" tanaka.h read "$c"
	check "$n restored: read exit 0 (got $rc: $(cat "$T/$n-read2.err"))" [ "$rc" = 0 ]
	run "$n-status2" sato.k status "$c"
	check "$n restored: status exit 0 (got $rc: $(cat "$T/$n-status2.err"))" [ "$rc" = 0 ]
}
seq_of() { sql "SELECT seq FROM cables WHERE cable_id=X'$1'"; }

# renumber: 26 HQ 000004 shown as 26 HQ 000009
tamper mrn "$C4" "MRN: the switch says $(mrn HQ 9), its log entry says $(mrn HQ 4)" \
	"UPDATE cables SET mrn='$(mrn HQ 9)' WHERE cable_id=X'$C4'" \
	"UPDATE cables SET mrn='$(mrn HQ 4)' WHERE cable_id=X'$C4'"
check "mrn restored: read shows the logged MRN" grep -qx "SECRET $(mrn HQ 4)" "$T/mrn-read2.out"

# the acceptance time an hour earlier (it decides the handling-time objective)
A3=$(sql "SELECT accepted FROM cables WHERE cable_id=X'$C3'")
tamper time "$C3" "acceptance time: the switch says $((A3 - 3600)) (" \
	"UPDATE cables SET accepted=accepted-3600 WHERE cable_id=X'$C3'" \
	"UPDATE cables SET accepted=$A3 WHERE cable_id=X'$C3'"

# a FLASH demoted to ROUTINE: in the queue (deliveries.prec) and in the cable row
S5=$(seq_of "$C5")
tamper prec "$C5" "precedence: the switch says ROUTINE, " \
	"UPDATE deliveries SET prec=3 WHERE seq=$S5; UPDATE cables SET prec_action=3, prec_info=3 WHERE seq=$S5" \
	"UPDATE deliveries SET prec=0 WHERE seq=$S5; UPDATE cables SET prec_action=0, prec_info=0 WHERE seq=$S5"
check "prec: the inbox names the signed precedence" grep -qF "the sender signed FLASH" "$T/prec-inbox.err"

# SECRET shown as RESTRICTED
tamper class "$C6" "classification: the switch says RESTRICTED, " \
	"UPDATE cables SET classification=1 WHERE cable_id=X'$C6'" \
	"UPDATE cables SET classification=3 WHERE cable_id=X'$C6'"

# ---- an MRN the switch maps to another cable: the officer gets the one asked for or nothing ----
M1=$(mrn HQ 1) M2=$(mrn HQ 2)
sql "UPDATE cables SET mrn='swap' WHERE cable_id=X'$C1'; UPDATE cables SET mrn='$M1' WHERE cable_id=X'$C2';
     UPDATE cables SET mrn='$M2' WHERE cable_id=X'$C1'"
run swap-ack tanaka.h ack "$M1"
expect3 swap-ack "MRN: "
check "swap: nothing acknowledged" \
	[ "$(sql "SELECT count(*) FROM deliveries WHERE acked IS NOT NULL")" = 0 ]
run swap-read tanaka.h read "$M1"
expect3 swap-read "MRN: "
check "swap: nothing shown" [ ! -s "$T/swap-read.out" ]
sql "UPDATE cables SET mrn='swap' WHERE cable_id=X'$C1'; UPDATE cables SET mrn='$M2' WHERE cable_id=X'$C2';
     UPDATE cables SET mrn='$M1' WHERE cable_id=X'$C1'"
run swap-read2 tanaka.h read "$M1"
check "swap restored: read by MRN exit 0 (got $rc: $(cat "$T/swap-read2.err"))" [ "$rc" = 0 ]
check "swap restored: the cable asked for" grep -qx "SUBJECT: bind ROUTINE" "$T/swap-read2.out"

# ---- the log entry itself: none, another cable's, never under a checkpoint ----
L2=$(sql "SELECT log_idx FROM cables WHERE cable_id=X'$C2'")
L1=$(sql "SELECT log_idx FROM cables WHERE cable_id=X'$C1'")
sql "UPDATE cables SET log_idx=NULL WHERE cable_id=X'$C2'"
run nolog tanaka.h inbox
expect3 nolog "no cable-accepted entry in its log for it"
sql "UPDATE cables SET log_idx=$L1 WHERE cable_id=X'$C2'"
run otherlog tanaka.h inbox
expect3 otherlog "cable id: the switch says log entry $L1 records cable $C2, it records $C1"
sql "UPDATE cables SET log_idx=99999999 WHERE cable_id=X'$C2'"
s0=$(date +%s)
run unlogged tanaka.h inbox
s1=$(date +%s)
expect3 unlogged "still not under a checkpoint of the switch's log 30 s after"
check "unlogged: asked again for 30 s, not longer than 45 s ($((s1 - s0)) s)" [ $((s1 - s0)) -ge 30 -a $((s1 - s0)) -le 45 ]
check "unlogged: the others listed" [ "$(grep -c "  [0-9a-f]\{32\}" "$T/unlogged.out")" = 5 ]
sql "UPDATE cables SET log_idx=$L2 WHERE cable_id=X'$C2'"
run relogged tanaka.h inbox
check "log index restored: inbox exit 0 (got $rc)" [ "$rc" = 0 ]

# ---- a cable accepted a moment ago is listed once its entry is signed, never unchecked ----
send sato.k --class SECRET --prec FLASH --to TOKYO --tags ADMN --subject "just now" >/dev/null || no "send just now"
run fresh tanaka.h --json inbox
check "fresh: exit 0 (got $rc: $(cat "$T/fresh.err"))" [ "$rc" = 0 ]
check "fresh: the new FLASH listed, checked" \
	[ "$(jq -r --arg m "$(mrn HQ 7)" '.cables[] | select(.mrn==$m) | .precedence' "$T/fresh.out")" = FLASH ]

# ---- --watch: each new cable shown once checked; a tampered one stops the watch (exit 3) ----
dp tanaka.h --json inbox --watch >"$T/watch.out" 2>"$T/watch.err" &
W=$!
sleep 1
send sato.k --class SECRET --prec FLASH --to TOKYO --tags ADMN --subject "watched" >/dev/null || no "send watched"
for _ in $(seq 100); do grep -q "$(mrn HQ 8)" "$T/watch.out" && break; sleep 0.1; done
check "watch: the new FLASH shown, checked" \
	[ "$(jq -r --arg m "$(mrn HQ 8)" 'select(.mrn==$m) | "\(.precedence) \(.log_index | type)"' "$T/watch.out")" = "FLASH number" ]
C8=$(id_of "$(mrn HQ 8)")
sql "UPDATE cables SET mrn='$(mrn HQ 98)' WHERE cable_id=X'$C8'"
send sato.k --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject "wakes the watch" >/dev/null ||
	no "send wake"
for _ in $(seq 150); do kill -0 "$W" 2>/dev/null || break; sleep 0.1; done
kill "$W" 2>/dev/null && no "watch: still running after a tampered cable"
wait "$W"
rc=$?
check "watch: stopped with exit 3 (got $rc)" [ "$rc" = 3 ]
check "watch: named the field" grep -qF "MRN: the switch says $(mrn HQ 98), its log entry says $(mrn HQ 8)" "$T/watch.err"
sql "UPDATE cables SET mrn='$(mrn HQ 8)' WHERE cable_id=X'$C8'"

# ---- the reply to a cable names the logged MRN in REF ----
run reply tanaka.h reply "$C4" --body "$T/body"
check "reply: exit 0 (got $rc: $(cat "$T/reply.err"))" [ "$rc" = 0 ]
R=$(cat "$T/reply.out")
run rread sato.k --json read "$R"
check "reply: REF is the logged MRN of the original" [ "$(jq -r '.refs | join(",")' "$T/rread.out")" = "$(mrn HQ 4)" ]

t_done it_bind
