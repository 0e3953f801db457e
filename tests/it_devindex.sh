#!/usr/bin/env bash
# it_devindex.sh - the officer index through the real programs
# (include/denpo/devindex.h, docs/transparency.md §6): every device of an
# officer checks its officer's set of devices at each upkeep.  Officer
# tanaka.h has two devices (a1, a2), each trusted by the other (a2 approved
# on a1).  An operator enrols a rogue device for tanaka.h with a proper log
# entry (denpo init in another HOME + denpod approve): within one upkeep
# (one `denpo inbox` on each) both devices warn and name it, `denpo device
# list` marks it, the report reaches alerts.jsonl; a genuinely new device
# approved with `denpo device approve` stops being warned of on both.  A
# switch root that hides the rogue device under a signed root (it holds the
# log key: tests/tool_devindex forge) is caught by tanaka.h's devices (the
# record they kept listed it), by a sender (it refuses the rogue device the
# index does not hold) and by an auditor (the entries give another root).
. "$(dirname "$0")/lib.sh"
need_programs it_devindex "$DENPOD" "$DENPO"
need_tools it_devindex jq curl
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="devindex test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
# newdev HOME OFFICER POST NAME: a device of OFFICER in $T/HOME, approved by the operator, enrolled
newdev() {
	dp "$1" init --officer "$2" --post "$3" --device-name "$4" >/dev/null &&
		D approve "$T/$1/enrol-request.txt" --out "$T/$1.answer" >/dev/null &&
		dp "$1" enrol --answer "$T/$1.answer" >/dev/null
}
devid() { dp "$1" --json whoami | jq -r .device; }
# up HOME: one upkeep (denpo inbox), its stderr in $T/HOME.err; exit status as denpo's
up() { dp "$1" inbox >/dev/null 2>"$T/$1.err"; }
warns() { grep -qi "did not approve.*\"$2\" (id ${3:0:16}" "$T/$1.err"; }
printf '1. (S) Officer index test.\n' >"$T/body"
send() { dp sato.k send --body "$T/body" --class SECRET --prec ROUTINE --to WASHINGTON --tags ADMN \
	--subject "devindex" 2>"$T/send.err"; }

{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" --roles AUDIT &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices sato.k:HQ
newdev a1 tanaka.h WASHINGTON laptop || no "enrol a1"
start_switch || no "denpod did not start"
A1=$(devid a1)

# ---- first check: a1 trusts what the index lists (itself), and says so once ----
up a1 || no "a1 first upkeep: $(cat "$T/a1.err")"
check "a1's first check lists this officer's devices" grep -q "This officer's devices" "$T/a1.err"
check "... HOME/devices/trusted is 0600 and holds a1" [ "$(stat -c %a "$T/a1/devices/trusted")" = 600 ]
check "... holding a1" grep -qx "$A1" "$T/a1/devices/trusted"
up a1
check "the list is shown once" not grep -q "This officer's devices" "$T/a1.err"

# ---- a second device: a1 warns of it until it approves it; a2 trusts both at its first check ----
newdev a2 tanaka.h WASHINGTON phone || no "enrol a2"
A2=$(devid a2)
sleep 0.5 # the signer covers the enrolment
up a2 || no "a2 first upkeep: $(cat "$T/a2.err")"
check "a2 trusts a1 and itself at its first check" [ "$(sort "$T/a2/devices/trusted" | tr '\n' ' ')" = "$(printf '%s\n' "$A1" "$A2" | sort | tr '\n' ' ')" ]
up a1
check "a1 warns of the new device a2, named" warns a1 phone "$A2"
dp a1 device approve "${A2:0:12}" >"$T/approve.out" 2>&1 || no "a1 approves a2: $(cat "$T/approve.out")"
dp a1 device approve "xyz!" >/dev/null 2>&1
check "device approve of something not an id: usage (exit 2)" [ $? = 2 ]
dp a1 device approve "${A1:0:12}" >/dev/null 2>"$T/self.err"
check "device approve of this device itself is refused (exit 1)" [ $? = 1 ] && grep -q "does not approve itself" "$T/self.err"
dp a1 device approve 0000000000000000 >/dev/null 2>&1
check "device approve of no device of the officer: exit 1" [ $? = 1 ]
check "device approve says what it approved" grep -qi "approved device \"phone\"" "$T/approve.out"
sleep 0.5
up a1
check "a1 no longer warns of a2" not grep -q "did not approve" "$T/a1.err"
up a2
check "a2 warns of nothing" not grep -q "did not approve" "$T/a2.err"
dp a1 --json device list >"$T/list1.json" || no "device list"
check "device list: a2 approved by a1, a1 is this device" \
	[ "$(jq -r --arg a "$A2" --arg b "$A1" '[.devices[] | select(.id==$a) | .approved_by==$b and (.unapproved|not)] | .[0]' "$T/list1.json")" = true ]
check "... this_device marks a1" [ "$(jq -r '[.devices[] | select(.this_device) | .id] | .[0]' "$T/list1.json")" = "$A1" ]

# ---- the rogue device: an operator enrols it for tanaka.h, properly logged ----
# (t1, a genuine device enrolled just before it, makes its first check only after it)
newdev t1 tanaka.h WASHINGTON pad || no "enrol t1"
dp rogue init --officer tanaka.h --post WASHINGTON --device-name "rogue-box" >/dev/null &&
	D approve "$T/rogue/enrol-request.txt" --out "$T/rogue.answer" >/dev/null || no "the operator enrols a rogue device"
dp rogue enrol --answer "$T/rogue.answer" >/dev/null && dp rogue inbox >/dev/null 2>&1 || no "the rogue device connects"
R=$(devid rogue)
sleep 0.5
up a1; ra1=$?
up a2; ra2=$?
check "a1 warns and names the rogue device (exit $ra1)" warns a1 rogue-box "$R"
check "a2 warns and names the rogue device (exit $ra2)" warns a2 rogue-box "$R"
up t1; rt1=$?
check "t1's first check trusts the devices enrolled before it, not the rogue one after it (exit $rt1)" \
	all "warns t1 rogue-box '$R'" "! grep -qi 'did not approve.*\"laptop\"' '$T/t1.err'"
check "... with the enrolment's log entry and what to do" grep -q "log entry [0-9]*.*tell the security office.*denpo device approve ${R:0:16}" "$T/a1.err"
dp a2 device list >"$T/list2.txt" 2>/dev/null || no "device list on a2"
check "device list marks the rogue device UNAPPROVED" grep -qi "rogue-box.*$R.*UNAPPROVED" "$T/list2.txt"
check "... and a2 as this device" grep -qi "phone.*$A2.*THIS DEVICE" "$T/list2.txt"
up a1
check "the warning is on every command" warns a1 rogue-box "$R"
check "the switch's alerts.jsonl holds UNAPPROVED-DEVICE naming the rogue device" \
	grep -q "UNAPPROVED-DEVICE.*${R:0:16}\|${R:0:16}.*UNAPPROVED-DEVICE" "$T/sw/alerts.jsonl"
check "... reported once by each device (kept in HOME/devices/reported)" grep -qx "$R" "$T/a1/devices/reported"

# ---- a genuinely new device, approved on a2: the warning of it stops on both ----
newdev a3 tanaka.h WASHINGTON tablet || no "enrol a3"
A3=$(devid a3)
sleep 0.5
up a1
check "a1 warns of the new tablet" warns a1 tablet "$A3"
dp a2 device approve "$A3" >"$T/approve3.out" 2>&1 || no "a2 approves a3: $(cat "$T/approve3.out")"
sleep 0.5
up a1
check "a1 stops warning of the tablet (approved on a2, which a1 trusts)" not warns a1 tablet "$A3"
check "... still warns of the rogue device" warns a1 rogue-box "$R"
up a2
check "a2 stops warning of the tablet" not warns a2 tablet "$A3"

# ---- the UI's /api/me carries the warnings ----
"$DENPO" --home "$T/a1" ui --no-open >"$T/ui.out" 2>"$T/ui.err" &
UIPID=$!
url=
for _ in $(seq 100); do
	url=$(sed -n 's/^denpo ui: open //p' "$T/ui.out")
	[ -n "$url" ] && break
	sleep 0.1
done
if [ -n "$url" ]; then
	KEY=$(curl -s -c "$T/cj" "$url" | sed -n 's/.*<meta name="denpo-key" content="\([0-9a-f]\{64\}\)">.*/\1/p')
	curl -s -b "$T/cj" -H "X-Denpo-Key: $KEY" "${url%%/login*}/api/me" >"$T/me.json"
	check "/api/me warns of the rogue device" jq -e >/dev/null --arg r "${R:0:16}" '.warnings | any(contains($r))' "$T/me.json"
else
	no "the UI did not start: $(cat "$T/ui.err")"
fi
kill "$UIPID" 2>/dev/null
wait "$UIPID" 2>/dev/null

# ---- a sender checks recipients against the index: the rogue device is listed, and in it ----
dp sato.k inbox >/dev/null 2>&1
M1=$(send) || no "send to tanaka.h with every device in the index: $(cat "$T/send.err")"
check "a send to tanaka.h's four devices works" [ -n "$M1" ]

# ---- an auditor's mirror: the index its checkpoint signs is the one its entries give ----
dp sato.k audit sync >"$T/audit.out" 2>&1
check "audit sync recomputes the officer index and agrees (exit $?)" grep -q "mirror verified" "$T/audit.out"

# ---- a switch root that hides the rogue device under a signed root ----
# It holds the log key: it signs its latest checkpoint again with an officer-index line over a
# record of tanaka.h without the rogue device, and keeps that record in its table
# (tests/tool_devindex forge); started again, the switch goes on from there.
stop_switch
mkdir -p "$T/recs"
for o in $(db_sql "SELECT officer FROM officer_index"); do
	db_sql "SELECT hex(record) FROM officer_index WHERE officer='$o'" | xxd -r -p >"$T/recs/$o"
done
grep -v "^Device: $R " "$T/recs/tanaka.h" >"$T/hidden" && mv "$T/hidden" "$T/recs/tanaka.h"
check "the forged record no longer lists the rogue device" not grep -q "$R" "$T/recs/tanaka.h"
N=$(db_sql "SELECT max(size) FROM log_checkpoints")
db_sql "SELECT hex(note) FROM log_checkpoints WHERE size=$N" | xxd -r -p >"$T/note"
"$BUILD/tests/tool_devindex" forge "$T/sw/log.key" "$T/note" "$T/recs"/* >"$T/note.forged" ||
	no "forge the checkpoint"
db_sql "UPDATE log_checkpoints SET note=x'$(xxd -p "$T/note.forged" | tr -d '\n')' WHERE size=$N;
	UPDATE officer_index SET record=x'$(xxd -p "$T/recs/tanaka.h" | tr -d '\n')' WHERE officer='tanaka.h'" \
	>/dev/null || no "put the forgery in place"
start_switch || no "restart"
check "the switch serves the forged index line" \
	grep -qF "$(sed -n 4p "$T/note.forged")" <<<"$(db_sql "SELECT note FROM log_checkpoints WHERE size=$N")"
# the devices of tanaka.h: the record they kept listed the rogue device; a signed record that
# drops it is the switch hiding it
up a1; rc=$?
check "a1 catches the index hiding a device it listed before: exit 3 (got $rc)" [ "$rc" = 3 ]
check "... naming it" grep -qi "no longer lists device \"rogue-box\" (${R:0:16}" "$T/a1.err"
check "... the evidence kept" [ -n "$(ls "$T/a1/log/" | grep index-evidence)" ]
# the sender: the switch lists the rogue device (with its enrolment entry) but the index hides it
send >/dev/null; rc=$?
check "the sender refuses the rogue device the index does not hold: exit 3 (got $rc)" [ "$rc" = 3 ]
check "... naming it and the officer" grep -q "the switch listed a device of tanaka.h that tanaka.h's officer index does not hold (device ${R:0:16}" "$T/send.err"
check "... nothing stored" [ "$(db_sql "SELECT count(*) FROM cables")" = 1 ]
# the auditor: a checkpoint the devices cosigned, whose index the entries do not give
dp s2 init --officer sato.k --post HQ --device-name spare >/dev/null &&
	D approve "$T/s2/enrol-request.txt" --out "$T/s2.answer" >/dev/null || no "a new log entry"
sleep 0.5
dp sato.k inbox >/dev/null 2>&1 # cosigns the next checkpoint, signed over the forged record
dp sato.k audit sync >"$T/audit.out" 2>&1; rc=$?
check "audit sync catches the index its entries do not give: exit 3 (got $rc)" [ "$rc" = 3 ]
check "... saying so" grep -q "commits to an officer index that its own entries do not give" "$T/audit.out"
t_done it_devindex
