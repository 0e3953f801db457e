#!/usr/bin/env bash
# it_mrn_serial.sh - MRN serials past six digits and the warning before
# their limit (docs/formats.md section 1, docs/operations.md "MRN serials"),
# through the real switch and denpo, on one switch.  The counters in table
# mrn(post,year,next) are set with db_sql on the stopped switch: HQ just
# below 999999, TOKYO just below the warning (a tenth of the limit),
# WASHINGTON one below the limit.  Checked: HQ's cables cross 999999 ->
# 1000000 -> 1000001 gap-free (`denpo send`, `denpod cable list`); the
# recipient's inbox shows the wide MRNs in acceptance order, `denpo read`
# finds a cable by its wide MRN, a reply refers to it (Ref) and is read;
# `denpo sent` lists them; MRNs with a leading zero, 16 digits or garbage are
# refused with a usage error, nothing sent; the switch's log warns at start
# (WASHINGTON) and once when TOKYO's counter reaches the warning; `denpod
# check` names both; the metrics give the highest serial, the limit and two
# posts near it (promtool checks the text); WASHINGTON's last serial is
# 999999999999999 and the cable after it is refused, nothing stored.
. "$(dirname "$0")/lib.sh"
need_programs it_mrn_serial "$DENPOD" "$DENPO"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="mrn serial test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
MPORT=$(free_port)
YEAR=$(date -u +%Y)
YY=${YEAR:2:2}
body() { printf '%s\n' "$@" >"$T/body"; }
# send OFFICER TO SUBJECT [ARGS...] -> MRN
send() {
	local h=$1 to=$2 subj=$3
	shift 3
	dp "$h" send --body "$T/body" --class CONFIDENTIAL --prec ROUTINE --to "$to" --tags ADMN \
		--subject "$subj" "$@" 2>"$T/send.err"
}
scrape() { curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" >"$T/m.txt"; }
val() { awk -v k="$1" '$1 == k {print $2}' "$T/m.txt"; }

{
	switch_init && D post add HQ --hq && D post add TOKYO && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance SECRET &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET
} >"$T/init.out" 2>&1 || no "switch setup: $(tail -n 3 "$T/init.out")"
printf 'metrics_listen=127.0.0.1:%s\n' "$MPORT" >>"$T/sw/denpod.conf"
enrol_devices sato.k:HQ ono.r:TOKYO tanaka.h:WASHINGTON
# the counters, on the stopped switch: next serial of each post this year
db_sql "INSERT INTO mrn(post,year,next) VALUES('HQ',$YEAR,999998),('TOKYO',$YEAR,99999999999999),
	('WASHINGTON',$YEAR,999999999999999)" || no "set the MRN counters"
start_switch || no "denpod did not start"

# ---- the start: WASHINGTON's serial is past the warning already ----
check "start: the log warns about WASHINGTON" \
	grep -q "denpod: warning: MRN: post WASHINGTON has numbered 999999999999998 cables in $YEAR" "$T/run.log"
check "start: nothing said about HQ or TOKYO" not grep -qE "MRN: post (HQ|TOKYO)" "$T/run.log"

# ---- HQ crosses 999999 -> 1000000 ----
M=()
for i in 1 2 3 4; do
	body "1. (C) Serial crossing $i."
	M+=("$(send sato.k TOKYO "crossing $i")") || no "send $i: $(cat "$T/send.err")"
done
check "MRNs from sato.k: ${M[*]}" [ "${M[*]}" = "$YY HQ 999998 $YY HQ 999999 $YY HQ 1000000 $YY HQ 1000001" ]
D cable list >"$T/list" 2>&1 || no "denpod cable list"
check "denpod cable list has the four" all \
	"grep -q '^$YY HQ 999999 ' '$T/list'" "grep -q '^$YY HQ 1000000 ' '$T/list'" "grep -q '^$YY HQ 1000001 ' '$T/list'"
check "denpod cable list: newest first (1000001 .. 999998)" \
	[ "$(grep -oE "^$YY HQ [0-9]+" "$T/list" | awk '{print $3}' | paste -sd' ')" = "1000001 1000000 999999 999998" ]

# the recipient: inbox, read by the wide MRN, the banner
dp ono.r inbox >"$T/inbox" 2>&1 || no "ono.r inbox: $(cat "$T/inbox")"
check "inbox shows $YY HQ 1000000 and $YY HQ 1000001" all "grep -q '$YY HQ 1000000' '$T/inbox'" \
	"grep -q '$YY HQ 1000001' '$T/inbox'"
check "inbox: 999999 before 1000000 before 1000001 (acceptance order)" \
	[ "$(grep -oE "$YY HQ (999999|1000000|1000001)" "$T/inbox" | awk '{print $3}' | paste -sd' ')" = "999999 1000000 1000001" ]
dp ono.r read "$YY HQ 1000000" >"$T/read" 2>&1 || no "ono.r read '$YY HQ 1000000': $(cat "$T/read")"
check "denpo read '$YY HQ 1000000': its banner and its body" all "grep -q '$YY HQ 1000000' '$T/read'" \
	"grep -q 'Serial crossing 3' '$T/read'"
dp ono.r --json read "$YY HQ 1000001" >"$T/read.json" 2>"$T/read.err"
check "denpo --json read: mrn $YY HQ 1000001" [ "$(jq -r .mrn "$T/read.json" 2>/dev/null)" = "$YY HQ 1000001" ]
# a reply refers to the wide MRN (Ref), and its reader sees it (TOKYO's first: 99999999999999)
body "1. (C) Reply to the millionth."
R=$(send ono.r HQ "reply" --ref "$YY HQ 1000000") || no "send with --ref: $(cat "$T/send.err")"
check "the reply's MRN: $R" [ "$R" = "$YY TOKYO 99999999999999" ]
dp sato.k read "$R" >"$T/read.r" 2>&1 || no "sato.k read $R: $(cat "$T/read.r")"
check "the reply ($R) shows REF: A) $YY HQ 1000000" grep -q "REF: A) $YY HQ 1000000" "$T/read.r"
dp sato.k sent >"$T/sent" 2>&1 || no "sato.k sent: $(cat "$T/sent")"
check "denpo sent lists $YY HQ 1000001" grep -q "$YY HQ 1000001" "$T/sent"

# ---- garbage MRNs: a usage error (2), nothing sent ----
n0=$(grep -c . "$T/list")
for bad in "$YY HQ 01000000" "$YY HQ 0000001" "$YY HQ 1000000000000000" "$YY HQ 10000O0" "$YY HQ 1,000,000" "$YY HQ -1000000"; do
	dp ono.r read "$bad" >"$T/bad.out" 2>&1
	rc=$?
	check "denpo read '$bad': usage error (rc $rc)" all "[ $rc = 2 ]" "grep -q 'neither an MRN' '$T/bad.out'"
	body "1. (C) Bad ref."
	send ono.r HQ "bad ref" --ref "$bad" >/dev/null
	rc=$?
	check "denpo send --ref '$bad' refused (rc $rc): $(head -c 120 "$T/send.err")" [ "$rc" != 0 ]
done
check "nothing sent by the refused ones" [ "$(D cable list | grep -c .)" = "$((n0 + 1))" ]

# ---- TOKYO reaches the warning: said once ----
check "nothing said about TOKYO below the warning" not grep -q "MRN: post TOKYO" "$T/run.log"
for i in 1 2 3; do
	body "1. (C) Tokyo $i."
	T_M[i]=$(send ono.r HQ "tokyo $i") || no "tokyo send $i: $(cat "$T/send.err")"
done
check "TOKYO's MRNs: ${T_M[*]}" [ "${T_M[*]}" = "$YY TOKYO 100000000000000 $YY TOKYO 100000000000001 $YY TOKYO 100000000000002" ]
check "the log warns once about TOKYO reaching 100000000000000" \
	[ "$(grep -c "denpod: warning: MRN: post TOKYO has numbered 100000000000000 cables in $YEAR" "$T/run.log")" = 1 ]
check "... and says what happens at the limit" grep -q "can send nothing more until 1 January" "$T/run.log"

# ---- the metrics ----
scrape
check "denpod_mrn_serial_max = 999999999999998 ($(val denpod_mrn_serial_max))" \
	[ "$(val denpod_mrn_serial_max)" = 999999999999998 ]
check "denpod_mrn_serial_limit = 999999999999999" [ "$(val denpod_mrn_serial_limit)" = 999999999999999 ]
check "denpod_mrn_posts_near_limit = 2" [ "$(val denpod_mrn_posts_near_limit)" = 2 ]
check "no post is a label" not grep -qE '^denpod_mrn.*(HQ|TOKYO|WASHINGTON)' "$T/m.txt"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1
	check "promtool check metrics ($(head -c 200 "$T/promtool.out"))" [ $? = 0 ]
else
	skip "promtool is not installed (Debian package prometheus)"
fi

# ---- WASHINGTON: the last serial, then refused ----
body "1. (C) The last one."
W=$(send tanaka.h HQ "last") || no "send the last: $(cat "$T/send.err")"
check "WASHINGTON's last MRN: $W" [ "$W" = "$YY WASHINGTON 999999999999999" ]
body "1. (C) One too many."
send tanaka.h HQ "one too many" --no-queue >/dev/null
rc=$?
check "the cable after the limit is refused (rc $rc): $(head -c 160 "$T/send.err")" all "[ $rc != 0 ]" \
	"grep -q 'used every MRN serial of this year' '$T/send.err'"
check "... nothing stored past it" not grep -q "WASHINGTON 1000000000000000" <(D cable list)
check "... the counter is unchanged" [ "$(db_sql "SELECT next FROM mrn WHERE post='WASHINGTON' AND year=$YEAR")" = 1000000000000000 ]

# ---- denpod check names both, beside the running switch ----
D check >"$T/check" 2>&1
rc=$?
check "denpod check: no damage (rc $rc)" [ "$rc" = 0 ]
check "denpod check warns about TOKYO and WASHINGTON" all \
	"grep -q 'check: warning: MRN: post TOKYO has numbered 100000000000002 cables in $YEAR' '$T/check'" \
	"grep -q 'check: warning: MRN: post WASHINGTON has numbered 999999999999999 cables' '$T/check'"
check "... not about HQ" not grep -q "MRN: post HQ" "$T/check"
stop_switch || no "denpod stop"
t_done it_mrn_serial
