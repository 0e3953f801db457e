#!/usr/bin/env bash
# it_directory.sh - the directory a drafter chooses from, and the ministry's own
# classification markings, through the real programs: `denpo directory` lists the
# posts, collectives and active officers (an enrolled officer appears; a revoked
# device's officer, an officer without a device do not; a decoy officer is listed
# like anyone and the DECOY role never shows); a switch configured with 極秘 / 秘 /
# 取扱注意 has `denpo read` show them on both banners beside the level the sender
# signed, which a switch that swaps the labels cannot hide; a malformed marking
# stops the switch at start with FILE:LINE; Japanese subjects and bodies
# round-trip through send and read.
. "$(dirname "$0")/lib.sh"
need_programs it_directory "$DENPOD" "$DENPO"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="directory test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
CONF="$T/sw/denpod.conf"
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add BEIJING &&
		D collective add "ASIA POSTS" BEIJING &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" --captions NOFORN --roles POL,COMMS --name "佐藤 健" &&
		D officer add tanaka.h --post WASHINGTON --clearance "TOP SECRET" --captions NOFORN --roles POL &&
		D officer add ito.m --post BEIJING --clearance SECRET &&
		D officer add noone.z --post BEIJING --clearance SECRET &&
		D officer add desk.kimura --post HQ --clearance SECRET --roles DECOY
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON ito.m:BEIJING desk.kimura:HQ
cp "$CONF" "$T/conf.plain"

# ---- a malformed marking is refused at start, with the file, the line and why ----
bad_marking() { # DESCRIPTION LINE EXPECTED-IN-MESSAGE
	cp "$T/conf.plain" "$CONF"
	printf '%s\n' "$2" >>"$CONF"
	local line
	line=$(wc -l <"$CONF")
	timeout 20 "$DENPOD" run --data "$T/sw" >"$T/bad.out" 2>&1
	local rc=$?
	check "$1: denpod run refuses to start (exit $rc)" [ "$rc" != 0 ] && [ "$rc" != 124 ]
	check "$1: says where and why ($(head -c 300 "$T/bad.out"))" \
		grep -qF "denpod.conf:$line: ${2%% =*}: not a marking: $3" "$T/bad.out"
}
bad_marking "banner syntax" "marking_secret = 極秘//NOFORN" "character U+002F"
bad_marking "a level's name" "marking_restricted = top secret" "it names a classification level"
bad_marking "a control character" "$(printf 'marking_secret = 極\033[2J秘')" "character U+001B"
bad_marking "a bidi override" "$(printf 'marking_secret = \u202e秘')" "character U+202E"
bad_marking "full-width ASCII" "marking_secret = ＳＥＣＲＥＴ" "character U+FF33"
bad_marking "not UTF-8" "$(printf 'marking_secret = \xe6\xa5')" "not UTF-8"
cp "$T/conf.plain" "$CONF"
printf 'marking_secret = %s\n' "$(head -c 70 /dev/zero | tr '\0' 'A')" >>"$CONF"
timeout 20 "$DENPOD" run --data "$T/sw" >"$T/bad.out" 2>&1
check "a marking over 64 bytes: refused, says so" grep -qF "marking_secret: the value is 70 bytes, at most 64" "$T/bad.out"
cp "$T/conf.plain" "$CONF"
printf 'marking_secret = 極秘\nmarking_confidential = 秘\nmarking_restricted = 取扱注意\n' >>"$CONF"
start_switch || no "denpod did not start with 極秘 / 秘 / 取扱注意"
check "denpod config check shows the markings" eval "D config check --data '$T/sw' 2>&1 | grep -q '極秘'"

# ---- the listing ----
ITODEV=$(dp ito.m --json whoami | jq -r .device)
dp tanaka.h --json directory >"$T/dir.json" 2>"$T/dir.err" || no "directory --json: $(cat "$T/dir.err")"
check "posts, HQ marked" [ "$(jq -c '[.posts[] | [.name, .hq]]' "$T/dir.json")" = \
	'[["BEIJING",false],["HQ",true],["WASHINGTON",false]]' ]
check "collectives with their posts" [ "$(jq -c '.collectives' "$T/dir.json")" = \
	'[{"name":"ASIA POSTS","posts":["BEIJING"]}]' ]
officers() { jq -r '[.officers[].handle] | sort | join(",")' "$1"; }
check "the enrolled, active officers ($(officers "$T/dir.json"))" \
	[ "$(officers "$T/dir.json")" = "desk.kimura,ito.m,sato.k,tanaka.h" ]
check "an officer: handle, post, name, roles" [ "$(jq -c '.officers[] | select(.handle=="sato.k") |
	[.post, .name, .roles]' "$T/dir.json")" = '["HQ","佐藤 健",["POL","COMMS"]]' ]
check "officer add: a name with a control character is refused" \
	eval "! D officer add ctrl.x --post HQ --clearance SECRET --name \"\$(printf 'a\033[2Jb')\" 2>/dev/null"
check "the decoy officer is listed like anyone, without the DECOY role" \
	[ "$(jq -c '.officers[] | select(.handle=="desk.kimura") | [.post, .roles]' "$T/dir.json")" = '["HQ",[]]' ]
check "nothing in the listing says DECOY" eval "! grep -q DECOY '$T/dir.json'"
check "no keys, devices, clearances or statuses in the listing" \
	eval "! grep -Eq 'age1|device|clearance|status|$ITODEV' '$T/dir.json'"
check "the markings in the listing" [ "$(jq -c .markings "$T/dir.json")" = \
	'{"UNCLASSIFIED":"","RESTRICTED":"取扱注意","CONFIDENTIAL":"秘","SECRET":"極秘","TOP SECRET":""}' ]
check "the markings are kept on the device, 0600" [ "$(stat -c %a "$T/tanaka.h/markings")" = 600 ]
dp tanaka.h directory >"$T/dir.txt" 2>&1 || no "directory (text)"
check "text listing: the officers and the markings" \
	eval "grep -q '^  tanaka.h  *WASHINGTON' '$T/dir.txt' && grep -q '^  SECRET  *極秘$' '$T/dir.txt'"
check "directory --help" eval "dp tanaka.h directory --help | grep -q '^usage: denpo directory'"
check "directory: an unexpected argument is a usage error (2)" \
	eval "dp tanaka.h directory extra >/dev/null 2>&1; [ \$? = 2 ]"
D device revoke "${ITODEV:0:12}" --operator ops.a >/dev/null && D device revoke "${ITODEV:0:12}" --operator ops.b >/dev/null ||
	no "revoke ito.m's device"
dp sato.k --json directory >"$T/dir2.json" || no "directory after the revocation"
check "a revoked device's officer is no longer listed ($(officers "$T/dir2.json"))" \
	[ "$(officers "$T/dir2.json")" = "desk.kimura,sato.k,tanaka.h" ]
body "1. (S) ATTN a listed name that is a decoy."
send sato.k --class SECRET --prec ROUTINE --to HQ --attn desk.kimura --tags PREL --subject "attn" >/dev/null
check "ATTN the decoy officer: nothing sent (exit $?)" [ $? != 0 ]
check "... and nothing says decoy ($(grep -v passphrase "$T/send.err" | head -c 300))" \
	eval "! grep -qi decoy '$T/send.err'"
check "the switch logged GET /v1/directory" grep -aq "endpoint=/v1/directory status=200" "$T/run.log"

# ---- banners with the ministry's markings; Japanese round-trips ----
SUBJ="日米協議について（極秘）"
body "1. (S) 大使は共同哨戒を提案する。" "2. (S) 第二段落：東京の立場。"
M1=$(send sato.k --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL --subject "$SUBJ") ||
	no "send a Japanese SECRET cable: $(cat "$T/send.err")"
rm -f "$T/tanaka.h/markings" # read on a device that never listed the directory: it asks the switch
dp tanaka.h read "$M1" >"$T/read.txt" 2>"$T/read.err" || no "read: $(cat "$T/read.err")"
check "read: top banner 極秘 (SECRET) ($(head -n 1 "$T/read.txt"))" [ "$(head -n 1 "$T/read.txt")" = "極秘 (SECRET)" ]
check "read: bottom banner 極秘 (SECRET)" [ "$(tail -n 1 "$T/read.txt")" = "極秘 (SECRET)" ]
check "read: the MRN line carries the marking" grep -qx "極秘 (SECRET) $M1" "$T/read.txt"
check "read: the Japanese subject round-trips" grep -qxF "SUBJECT: $SUBJ" "$T/read.txt"
check "read: the Japanese body round-trips" eval "grep -qxF '1. (S) 大使は共同哨戒を提案する。' '$T/read.txt' &&
	grep -qxF '2. (S) 第二段落：東京の立場。' '$T/read.txt'"
check "read --json: subject and body as sent" [ "$(dp tanaka.h --json read "$M1" | jq -r '.subject, .body')" = \
	"$SUBJ"$'\n'"$(cat "$T/body")" ]
check "read fetched and kept the markings" grep -q '極秘' "$T/tanaka.h/markings"
body "1. (C) 秘密の段落。"
M2=$(send sato.k --class CONFIDENTIAL --caption NOFORN --prec ROUTINE --to WASHINGTON --tags PREL --subject "秘の公電")
check "CONFIDENTIAL with a caption: 秘 (CONFIDENTIAL)//NOFORN" \
	[ "$(dp tanaka.h read "$M2" | head -n 1)" = "秘 (CONFIDENTIAL)//NOFORN" ]
body "1. (R) 取扱注意の段落。"
M3=$(send sato.k --class RESTRICTED --prec ROUTINE --to WASHINGTON --tags PREL --subject "取扱注意の公電")
check "RESTRICTED: 取扱注意 (RESTRICTED)" [ "$(dp tanaka.h read "$M3" | tail -n 1)" = "取扱注意 (RESTRICTED)" ]
body "1. (TS) 最高機密。"
M4=$(send sato.k --class "TOP SECRET" --prec ROUTINE --to WASHINGTON --tags PREL --subject "TS")
check "a level without a marking: the level alone" [ "$(dp tanaka.h read "$M4" | head -n 1)" = "TOP SECRET" ]

# ---- a switch that swaps the labels cannot lower what the sender signed ----
stop_switch || no "stop"
cp "$T/conf.plain" "$CONF"
printf 'marking_secret = 取扱注意\nmarking_top_secret = 秘\n' >>"$CONF"
start_switch || no "restart with swapped markings"
rm -f "$T/tanaka.h/markings"
check "swapped labels: the SECRET cable still reads (SECRET)" \
	[ "$(dp tanaka.h read "$M1" | head -n 1)" = "取扱注意 (SECRET)" ]
check "swapped labels: the TOP SECRET cable still reads (TOP SECRET)" \
	[ "$(dp tanaka.h read "$M4" | tail -n 1)" = "秘 (TOP SECRET)" ]

# ---- offline: the kept directory and markings still show ----
stop_switch || no "stop"
dp tanaka.h --json directory >"$T/off.json" 2>"$T/off.err"
rc=$?
check "directory offline: the copy kept last, exit 0 ($(grep -v passphrase "$T/off.err" | head -c 200))" [ $rc = 0 ]
check "... dated, and said so" eval "jq -e '.kept_at > 0' '$T/off.json' >/dev/null &&
	grep -q 'out of reach: the directory as kept on' '$T/off.err'"
check "... as tanaka.h last listed them (ito.m's device not yet revoked then)" \
	[ "$(officers "$T/off.json")" = "desk.kimura,ito.m,sato.k,tanaka.h" ]
check "... with the markings kept last (the swapped ones)" \
	[ "$(jq -r '.markings.SECRET' "$T/off.json")" = 取扱注意 ]
check "the kept copy is 0600" [ "$(stat -c %a "$T/tanaka.h/directory")" = 600 ]
printf '{"posts":[{"name":"HQ","hq":true},{"name":"HQ","hq":true}],"collectives":[],"officers":[]}' \
	>"$T/tanaka.h/directory"
dp tanaka.h directory >/dev/null 2>"$T/off.err"
check "a damaged kept copy: refused, exit 1" [ $? = 1 ]
check "... and named" grep -q "directory is damaged" "$T/off.err"
dp sato.k directory >/dev/null 2>&1 # (sato.k listed before: it has a copy)
rm -f "$T/sato.k/directory"
dp sato.k directory >/dev/null 2>"$T/off.err"
check "offline, nothing kept: exit 1 ($?)" [ $? = 1 ]
check "... with what to do" grep -q 'run it again once the switch is reached' "$T/off.err"
t_done it_directory
