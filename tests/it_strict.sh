#!/usr/bin/env bash
# it_strict.sh - numbers have one spelling and recipients one rule, through
# the real programs:
#  - every number in a query of the switch's API (read with curl and a
#    device's TLS certificate) and in a command-line option of denpo and
#    denpod is read strictly: overflow, a sign, a space, a leading zero,
#    another base, trailing bytes or an encoded NUL get 400 (the API) or
#    exit 2 (the CLIs) with a message naming the parameter or option;
#  - a cable hand-addressed to a DECOY officer's device (which resolve never
#    offers) is refused with 403 and the reason, and changes nothing: no
#    cable stored, no log entry, no MRN consumed.
# TOOL_SUBMIT names another tests/tool_submit (to run this against an older
# switch whose tool lacks --add-device).
. "$(dirname "$0")/lib.sh"
TS=${TOOL_SUBMIT:-$BUILD/tests/tool_submit}
need_programs it_strict "$DENPOD" "$DENPO" "$TS"
t_workdir
URL=https://127.0.0.1:$PORT
export DENPOD_DATA=$T/sw
unset DENPO_HOME

D init --data "$T/sw" --url "$URL" --listen "127.0.0.1:$PORT" >"$T/init.out" || no "init"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
{
	D post add HQ --hq && D post add TOKYO &&
		D officer add tanaka.h --post HQ --clearance TS &&
		D officer add sato.k --post TOKYO --clearance SECRET &&
		D officer add decoy.d --post TOKYO --clearance TS --roles DECOY
} >/dev/null || no "directory setup"
for dv in a:tanaka.h:HQ b:sato.k:TOKYO d:decoy.d:TOKYO; do
	IFS=: read -r d o p <<<"$dv"
	"$TS" enrol "$T/$d" "$o" "$p" && D approve "$T/$d/request" --out "$T/$d/answer" >/dev/null ||
		no "enrol $d"
done
start_switch || no "denpod did not start"

# ---- the API: every query number and name, strictly ----
# api PATH: GET PATH as device a with curl; prints the HTTP status, leaves the body in $T/body
api() {
	curl -sk --cert "$T/a/tls.crt" --key "$T/a/tls.pem" -o "$T/body" -w '%{http_code}' "$URL$1"
}
# bad PARAM PATH: 400, a JSON error whose message names PARAM
bad() {
	local st msg
	st=$(api "$2")
	msg=$(jq -r .message "$T/body" 2>/dev/null)
	if [ "$st" != 400 ]; then
		no "$2: HTTP $st, want 400 ($(head -c 200 "$T/body"))"
	elif ! grep -qw -- "$1" <<<"$msg"; then
		no "$2: the message does not name $1: $msg"
	else
		ok
	fi
}
check "good numbers: 200" [ "$(api '/v1/inbox?wait=0&limit=1000&after=0')" = 200 ]
check "good log_size: 200" [ "$(api '/v1/directory/resolve?to=TOKYO&log_size=0')" = 200 ]
bad after "/v1/inbox?after=99999999999999999999999" # over 2^64: strtol gave LONG_MAX
bad after "/v1/inbox?after=18446744073709551616"    # 2^64
bad after "/v1/inbox?after=9223372036854775808"     # 2^63: beyond a sequence number
bad wait "/v1/inbox?wait=1%00"                      # an encoded NUL: "1" to a C string
bad wait "/v1/inbox?wait=1%00junk"
bad limit "/v1/inbox?limit=1x"
bad limit "/v1/inbox?limit=+5"   # '+' decodes to a space
bad limit "/v1/inbox?limit=%2B5" # a sign
bad limit "/v1/inbox?limit=-1"
bad limit "/v1/inbox?limit=-0"
bad after "/v1/inbox?after=0x10"
bad after "/v1/inbox?after=00"
bad wait "/v1/inbox?wait=%201"
bad wait "/v1/inbox?wait=1%20"
bad wait "/v1/inbox?wait=61"
bad limit "/v1/inbox?limit="
bad limit "/v1/inbox?limit=0"
bad limit "/v1/inbox?limit=1&limit=1000" # which one? neither
check "a parameter given twice: the message says so" grep -q "given twice" "$T/body"
bad limit "/v1/inbox?limit=1&LIMIT=1000" # libevent finds names in any case
bad before "/v1/archive?before=1%00"
bad limit "/v1/archive?limit=1001"
bad before "/v1/sent?before=01"
bad limit "/v1/sent?limit=1001"
bad limit "/v1/sent?limit=0"
check "good sent page: 200" [ "$(api '/v1/sent?before=9223372036854775807&limit=1000')" = 200 ]
bad log_size "/v1/directory/resolve?to=TOKYO&log_size=99999999999999999999"
bad log_size "/v1/directory/resolve?to=TOKYO&log_size=01"
bad to "/v1/directory/resolve?to=TOKYO%00PARIS" # a NUL must not cut a name short
bad min "/v1/log/witnessed?min=1%00"
bad min "/v1/log/witnessed?min=01"
bad index "/v1/log/proof/inclusion?index=0x1&size=1"
bad size "/v1/log/proof/consistency?from=1&size=%2B2"
check "a NUL: the message says so" grep -q "NUL" <<<"$(api '/v1/inbox?wait=1%00' >/dev/null; jq -r .message "$T/body")"
check "still serving after all that" [ "$(api /v1/health)" = 200 ]

# ---- one recipient rule: a DECOY officer's device is nobody's recipient ----
mrn_no() { sed 's/^[0-9]* //' | jq -r .mrn | awk '{print $NF + 0}'; }
nentries() { D log show | grep -c '^# entry'; }
M1=$("$TS" send "$T/a" "$URL" "$PIN" TOKYO SECRET ROUTINE | mrn_no)
check "a good cable: MRN 1 ($M1)" [ "$M1" = 1 ]
DHEX=$(D device list | awk '$2 == "decoy.d" {print $1}')
check "the decoy officer's device is enrolled" [ "${#DHEX}" = 64 ]
RES=$("$TS" get "$T/a" "$URL" "$PIN" "/v1/directory/resolve?to=TOKYO&classification=SECRET" | sed 's/^200 //')
check "resolve offers sato.k's device" [ "$(jq '.devices | length' <<<"$RES")" = 1 ]
check "resolve never offers the decoy officer's device" not grep -q "$DHEX" <<<"$RES"
"$TS" envelope "$T/a" "$URL" "$PIN" TOKYO SECRET ROUTINE "$T/to-decoy" --add-device "$DHEX" >/dev/null ||
	no "hand-built submission"
N0=$(D cable list | wc -l)
E0=$(nentries)
R=$("$TS" post "$T/a" "$URL" "$PIN" /v1/cables "$T/to-decoy")
check "addressed to a decoy officer's device: 403 ($R)" [ "${R%% *}" = 403 ]
check "... denied" [ "$(sed 's/^[0-9]* //' <<<"$R" | jq -r .error)" = denied ]
check "... the reason names the officer and the role" \
	grep -q 'decoy.d.*DECOY' <<<"$(sed 's/^[0-9]* //' <<<"$R" | jq -r .message)"
check "... no cable stored" [ "$(D cable list | wc -l)" = "$N0" ]
check "... no log entry" [ "$(nentries)" = "$E0" ]
M2=$("$TS" send "$T/a" "$URL" "$PIN" TOKYO SECRET ROUTINE | mrn_no)
check "... no MRN consumed: the next cable is MRN 2 ($M2)" [ "$M2" = 2 ]

# ---- the command lines: a bad number is a usage error (exit 2) naming the option ----
# usage NAME OPTION CMD...: exit 2 and OPTION on stderr
usage() {
	local name=$1 opt=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" != 2 ]; then
		no "$name: exit $rc, want 2; stderr: $(head -c 300 "$T/err")"
	elif ! grep -qF -- "$opt" "$T/err"; then
		no "$name: stderr does not name $opt: $(head -c 300 "$T/err")"
	else
		ok
	fi
}
H=(--home "$T/nobody")
usage "inbox --wait 1x" --wait "$DENPO" "${H[@]}" inbox --wait 1x
usage "inbox --wait ' 1'" --wait "$DENPO" "${H[@]}" inbox --wait " 1"
usage "inbox --wait +1" --wait "$DENPO" "${H[@]}" inbox --wait +1
usage "inbox --wait 61" --wait "$DENPO" "${H[@]}" inbox --wait 61
usage "archive --limit 2^64" --limit "$DENPO" "${H[@]}" archive --limit 18446744073709551616
usage "archive --limit ' 5'" --limit "$DENPO" "${H[@]}" archive --limit " 5"
usage "archive --before 0x10" --before "$DENPO" "${H[@]}" archive --before 0x10
usage "archive --before 007" --before "$DENPO" "${H[@]}" archive --before 007
usage "archive --before 99999999999999999999999" --before "$DENPO" "${H[@]}" archive --before 99999999999999999999999
usage "key --lookahead +3" --lookahead "$DENPO" "${H[@]}" key publish --lookahead +3
usage "key --lookahead 3dd" --lookahead "$DENPO" "${H[@]}" key publish --lookahead 3dd
usage "purge --older-than -0" --older-than "$DENPO" "${H[@]}" purge --older-than -0
usage "purge --older-than '1 '" --older-than "$DENPO" "${H[@]}" purge --older-than "1 "
usage "audit --from 0005" --from "$DENPO" "${H[@]}" audit device --officer sato.k --from 0005
usage "audit --from 2026-1-01" --from "$DENPO" "${H[@]}" audit device --officer sato.k --from 2026-1-011
usage "audit --to 2026-01-01T00:00:+1Z" --to "$DENPO" "${H[@]}" audit device --officer sato.k --to 2026-01-01T00:00:+1Z
usage "audit --min-cosigners 01" --min-cosigners "$DENPO" "${H[@]}" audit sync --min-cosigners 01
usage "log show --from +1" --from "$DENPOD" log show --from +1
usage "log show --count 1x" --count "$DENPOD" log show --count 1x
usage "contain undo +1" "+1" "$DENPOD" contain undo +1 --operator ops.a
usage "contain undo 2^64" "18446744073709551616" "$DENPOD" contain undo 18446744073709551616 --operator ops.a
usage "contain confirm 007" "007" "$DENPOD" contain confirm 007 --operator ops.a
usage "init --listen :+8443" --listen "$DENPOD" init --data "$T/sw2" --listen 127.0.0.1:+8443
check "init --listen :+8443 made nothing" [ ! -e "$T/sw2/denpod.conf" ]
usage "init --listen ': 8443'" --listen "$DENPOD" init --data "$T/sw3" --listen "127.0.0.1: 8443"
usage "init --listen :08443" --listen "$DENPOD" init --data "$T/sw4" --listen 127.0.0.1:08443
# the good spellings still pass the parse (the date form, unix seconds)
"$DENPO" "${H[@]}" audit device --officer sato.k --from 2026-01-01T00:00:01Z >/dev/null 2>&1
check "audit --from YYYY-MM-DDTHH:MM:SSZ: past the parse (exit 1: no device here)" [ $? = 1 ]
"$DENPO" "${H[@]}" inbox --wait 0 >/dev/null 2>&1
check "inbox --wait 0: past the parse (exit 1: no device here)" [ $? = 1 ]
t_done it_strict
