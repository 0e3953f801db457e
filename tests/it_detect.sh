#!/usr/bin/env bash
# it_detect.sh - detection and containment through the real programs
# (docs/detection.md): a switch with three posts, a DECOY officer of the
# security office planting decoys with `denpo send --decoy`, devices that
# touch them, sweep at machine speed, probe cables not addressed to them.
# Checked for each: the verdict the device gets (403, 429 + Retry-After),
# the alert in the ECS JSON-lines file and in RFC 5424 syslog (a real UDP
# listener), the transparency-log entries (alert, containment,
# device-suspended / -reinstated), `denpod contain list`, undo, confirm,
# the time box lapsing, both safeguards (last working device of a post,
# the hourly cap), a FLASH delivery passing a throttle (and refused by a
# suspension), report-only mode, SIGHUP re-reading detect.conf (a bad
# one kept out), two operators for revoke and officer disable, the
# Prometheus metrics (no officer's name in them), and the --json of
# contain list, decoy list, log show and log checkpoint against their
# text forms (a damaged entry included).
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_detect "$DENPOD" "$DENPO" "$TS"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="detect test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
URL=https://127.0.0.1:$PORT
MPORT=$(free_port)
SPORT=$(free_port)
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
second_device() {
	"$DENPO" --home "$T/$1" init --officer "$2" --post "$3" >/dev/null &&
		D approve "$T/$1/enrol-request.txt" --out "$T/$1.answer" >/dev/null &&
		"$DENPO" --home "$T/$1" enrol --answer "$T/$1.answer" >/dev/null
}
forget() { rm -f "$T/$1/cache/$2".*; }
# get DIR PATH: HTTP status of a GET by a tool_submit device
status_of() { "$TS" get "$T/$1" "$URL" "$PIN" "$2" 2>/dev/null | head -c 3; }
# alerts RULE [DEVICE]: ECS lines of that rule (and device) in the alert file
alerts() {
	jq -c --arg r "$1" --arg d "${2:-}" \
		'select(.event.kind == "alert" and .rule.name == $r and ($d == "" or .device.id == $d))' \
		"$T/sw/alerts.jsonl" 2>/dev/null
}
steps() { jq -c 'select(.event.kind == "event")' "$T/sw/alerts.jsonl" 2>/dev/null; }
# wait_for CMD...: up to 5 s until CMD succeeds
wait_for() {
	for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done
	return 1
}
has_alert() { [ -n "$(alerts "$@")" ]; }
# answers DIR PATH CODE: a GET by a tool_submit device gets CODE (for wait_for)
answers() { [ "$(status_of "$1" "$2")" = "$3" ]; }
open_step() { D contain list | awk -v d="${2:0:16}" -v k="$1" '$3 == k && $4 == d {print $1; exit}'; }
log_has() { D log show | grep -q "$1"; }
hup() { kill -HUP "$PID"; sleep 0.5; }

# ---- a syslog collector: every datagram one line ----
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        d, _ = s.recvfrom(65536)
        f.write(d.replace(b"\n", b"\\n") + b"\n")
' "$SPORT" "$T/syslog" &
SYSLOGD=$!
trap 'kill $SYSLOGD 2>/dev/null; t_cleanup' EXIT

# ---- the switch ----
{
	switch_init &&
		D post add HQ --hq --tz Asia/Tokyo && D post add WASHINGTON --tz America/New_York &&
		D post add LONDON --tz Europe/London &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" &&
		D officer add decoy.s --post HQ --clearance "TOP SECRET" --roles DECOY &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add suzuki.a --post WASHINGTON --clearance SECRET &&
		D officer add test.x --post WASHINGTON --clearance SECRET &&
		D officer add lone.w --post LONDON --clearance SECRET
} >"$T/init.out" || no "switch setup"
printf 'syslog=udp:127.0.0.1:%s\nmetrics_listen=127.0.0.1:%s\n' "$SPORT" "$MPORT" >>"$T/sw/denpod.conf"
enrol_devices sato.k:HQ decoy.s:HQ tanaka.h:WASHINGTON suzuki.a:WASHINGTON lone.w:LONDON
second_device tan2 tanaka.h WASHINGTON || no "second device of tanaka.h"
"$TS" enrol "$T/x" test.x WASHINGTON && D approve "$T/x/request" --out "$T/x/answer" >/dev/null || no "enrol test.x"
"$TS" enrol "$T/y" test.x WASHINGTON && D approve "$T/y/request" --out "$T/y/answer" >/dev/null || no "enrol test.x's second"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
# detection: small runs so a test can reach them; everything else at the defaults
cat >"$T/sw/detect.conf" <<'EOF'
# it_detect
speed.run = 6
enum.run = 50
not-addressed.max = 3
EOF
check "detect check: ok" D detect check
start_switch || no "denpod did not start"
SATO=$(dev_of sato.k) TAN=$(dev_of tanaka.h) TAN2=$(dev_of tan2) SUZ=$(dev_of suzuki.a)
LONE=$(dev_of lone.w)
# a tool device's id: its Sign-Key (base64) in hex
tool_dev() { awk '/^Sign-Key:/ {print $2}' "$T/$1/request" | base64 -d | od -An -tx1 | tr -d ' \n'; }
XDEV=$(tool_dev x) YDEV=$(tool_dev y)
check "tool device ids ($XDEV)" [ ${#XDEV} = 64 -a ${#YDEV} = 64 ]

# ---- decoys: planted by the security office only, archive only ----
body "1. (S) Draft position on the fisheries talks; do not circulate."
DW=$(send decoy.s --decoy --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL \
	--subject "fisheries position") || no "plant a decoy: $(cat "$T/send.err")"
DWID=$(id_of "$DW")
check "decoy list names it" grep -q "$DWID" <<<"$(D decoy list)"
body "2. (S) Not a decoy."
check "a non-DECOY officer cannot plant a decoy" not send sato.k --decoy --class SECRET --prec ROUTINE \
	--to WASHINGTON --tags PREL --subject x
check "... and is told why" grep -q "DECOY" "$T/send.err"
check "a DECOY officer's device sends nothing but decoys" not send decoy.s --class SECRET --prec ROUTINE \
	--to WASHINGTON --tags PREL --subject x
check "... and is told to use --decoy" grep -q -- "--decoy" "$T/send.err"
check "the decoy is in no inbox" not grep -q "$DWID" <<<"$(dp tanaka.h inbox)"
check "the decoy is in the archive" grep -q "$DWID" <<<"$(dp tanaka.h archive)"
DECOYDEV=$(dev_of decoy.s)
RES=$("$TS" get "$T/x" "$URL" "$PIN" "/v1/directory/resolve?to=HQ&classification=SECRET" 2>/dev/null)
check "HQ resolves (sato.k)" grep -q "$SATO" <<<"$RES"
check "nobody resolves the decoy officer" not grep -q "$DECOYDEV" <<<"$RES"

# ---- a decoy touched: alert, suspension, log, syslog; undo ----
t0=$(date +%s%N)
check "fetching the decoy is refused" not dp tanaka.h read "$DWID"
check "DECOY alert in the alert file" wait_for has_alert DECOY "$TAN"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "decoy fetch to alert line: ${ms} ms"
A=$(alerts DECOY "$TAN" | head -1)
check "alert pages" [ "$(jq -r .denpo.page <<<"$A")" = true ]
check "alert explains itself" [ -n "$(jq -r '.event.reason // empty' <<<"$A")" ]
check "alert carries its log index" [ "$(jq -r '.denpo.log_index | type' <<<"$A")" = number ]
check "alert names the officer and post" [ "$(jq -r '.user.name' <<<"$A")" = tanaka.h ]
check "syslog got the alert" wait_for grep -q 'DECOY' "$T/syslog"
check "syslog line is RFC 5424" grep -Eq '^<[0-9]{1,3}>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [^ ]+ denpod [0-9]+ ALERT \[' "$T/syslog"
check "the device is suspended" grep -q "suspended" <<<"$(D device list | grep "$TAN")"
check "its next request is refused" not dp tanaka.h inbox
check "the officer's other device still works" dp tan2 inbox
STEP=$(open_step suspend "$TAN")
check "contain list shows the suspension ($STEP)" [ -n "$STEP" ]
check "log: alert entry" log_has "Event: alert"
check "log: containment entry" log_has "Action: SUSPEND-DEVICE"
check "log: device-suspended by auto" grep -A3 "Event: device-suspended" <<<"$(D log show)" | grep -q "Operator: auto"
check "undo" D contain undo "$STEP" --operator soc.ito
check "the device works again" wait_for dp tanaka.h inbox
check "log: UNDO" log_has "Action: UNDO"
check "undo twice is refused" not D contain undo "$STEP" --operator soc.ito

# ---- the last working device of a post is never suspended ----
body "3. (S) London decoy."
DL=$(send decoy.s --decoy --class SECRET --prec ROUTINE --to LONDON --tags PREL --subject "london") ||
	no "plant the London decoy"
dp lone.w read "$(id_of "$DL")" >/dev/null 2>&1
check "DECOY alert for the last London device" wait_for has_alert DECOY "$LONE"
L=$(alerts DECOY "$LONE" | head -1)
check "suspension withheld (last device)" [ "$(jq -r .denpo.withheld <<<"$L")" = last-device ]
check "... and it still pages" [ "$(jq -r .denpo.page <<<"$L")" = true ]
check "the London device is not suspended" grep -q active <<<"$(D device list | grep "$LONE")"
check "... it is throttled instead" [ -n "$(open_step throttle "$LONE")" ]

# ---- machine-speed re-fetching: throttled, 429 + Retry-After; undo ----
"$TS" enrol "$T/h" sato.k HQ >/dev/null 2>&1 && D approve "$T/h/request" --out "$T/h/answer" >/dev/null ||
	no "a sending tool device"
"$TS" send "$T/h" "$URL" "$PIN" WASHINGTON SECRET ROUTINE --count 12 >"$T/sent" 2>"$T/sent.err" ||
	{ cat "$T/sent.err" >&2; no "12 cables to WASHINGTON"; }
mapfile -t IDS < <("$TS" get "$T/x" "$URL" "$PIN" "/v1/inbox?limit=100" | sed 's/^200 //' | jq -r '.cables[].cable_id')
check "test.x has the 12 cables (${#IDS[@]})" [ "${#IDS[@]}" -ge 12 ]
# the archive: acknowledged and unacknowledged rows, merged newest first, paged by seq
"$TS" post "$T/x" "$URL" "$PIN" "/v1/cables/${IDS[5]}/ack" /dev/null >/dev/null 2>&1 || no "ack one cable"
arch() { "$TS" get "$T/x" "$URL" "$PIN" "/v1/archive?$1" | sed 's/^200 //'; }
ALL=$(arch limit=1000) A1=$(arch limit=5)
MIN=$(jq '[.cables[].seq] | min' <<<"$A1")
A2=$(arch "before=$MIN&limit=1000")
check "archive: every cable of the device (12 + the decoy)" [ "$(jq '.cables | length' <<<"$ALL")" = 13 ]
check "archive: newest first" jq -e '[.cables[].seq] | . == (sort | reverse)' <<<"$ALL"
check "archive: acknowledged (the decoy, one ack) and not, interleaved" \
	jq -e '[.cables[] | select(.acked)] | length == 2' <<<"$ALL"
check "archive: a page of 5, then the rest before it" \
	[ "$(jq -c '[.cables[].seq]' <<<"$A1")$(jq -c '[.cables[].seq]' <<<"$A2")" = \
	  "$(jq -c '[.cables[:5][].seq]' <<<"$ALL")$(jq -c '[.cables[5:][].seq]' <<<"$ALL")" ]
for id in "${IDS[@]}"; do status_of x "/v1/cables/$id" >/dev/null; done # deliveries: not a sweep
check "first fetches at machine speed do not alert" not has_alert MACHINE-SPEED "$XDEV"
codes=""
for id in "${IDS[@]}"; do codes+="$(status_of x "/v1/cables/$id") "; done
check "re-fetching at machine speed alerts" wait_for has_alert MACHINE-SPEED "$XDEV"
check "... and is throttled: 429 ($codes)" grep -q 429 <<<"$codes"
H=$(curl -sk -D - -o /dev/null --cert "$T/x/tls.crt" --key "$T/x/tls.pem" "$URL/v1/cables/${IDS[0]}")
check "429 carries Retry-After" grep -qi '^retry-after: 60' <<<"$H"
check "other requests still work while throttled" [ "$(status_of x /v1/inbox)" = 200 ]
# a throttle never holds back a FLASH delivery; a ROUTINE one, or a re-fetch, waits
sent_id() { "$TS" send "$T/h" "$URL" "$PIN" WASHINGTON SECRET "$1" 2>/dev/null | sed 's/^201 //' | jq -r .cable_id; }
FID=$(sent_id FLASH) RID=$(sent_id ROUTINE)
for _ in $(seq 10); do [ "$(status_of x "/v1/cables/${IDS[2]}")" = 429 ] && break; done # no token left
check "while throttled, a FLASH delivery is not held back (200)" [ "$(status_of x "/v1/cables/$FID")" = 200 ]
check "... a ROUTINE delivery waits (429)" [ "$(status_of x "/v1/cables/$RID")" = 429 ]
check "... so does a re-fetch of the FLASH cable (429)" [ "$(status_of x "/v1/cables/$FID")" = 429 ]
TSTEP=$(open_step throttle "$XDEV")
check "contain list shows the throttle ($TSTEP)" [ -n "$TSTEP" ]
check "log: THROTTLE-DEVICE" log_has "Action: THROTTLE-DEVICE"
check "undo the throttle" D contain undo "$TSTEP" --operator soc.ito
check "fetching works again after undo" wait_for answers x "/v1/cables/${IDS[1]}" 200

# ---- probing cables not addressed to the device ----
FID=$(sent_id FLASH) # to test.x among others, before it is suspended
for i in 1 2 3 4 5; do status_of x "/v1/cables/$(printf '%032x' "$i")" >/dev/null; done
check "NOT-ADDRESSED alert" wait_for has_alert NOT-ADDRESSED "$XDEV"
check "probing: the device is suspended" wait_for answers x /v1/inbox 403
check "a suspension refuses a FLASH delivery too (403)" [ "$(status_of x "/v1/cables/$FID")" = 403 ]
NSTEP=$(open_step suspend "$XDEV")
check "undo the probe's suspension ($NSTEP)" D contain undo "$NSTEP" --operator soc.ito
check "test.x works after undo" wait_for answers x /v1/inbox 200
check "... and gets the FLASH cable" answers x "/v1/cables/$FID" 200

# ---- report-only: an alert, no page, no action ----
printf 'speed.run = 6\nrule.DECOY.mode = report\ndeep.records-max-hour = 12\n' >"$T/sw/detect.conf"
hup
dp suzuki.a read "$DWID" >/dev/null 2>&1
check "report-only DECOY alert" wait_for has_alert DECOY "$SUZ"
R=$(alerts DECOY "$SUZ" | head -1)
check "report-only: mode report" [ "$(jq -r .denpo.mode <<<"$R")" = report ]
check "report-only: no page" [ "$(jq -r .denpo.page <<<"$R")" = false ]
check "report-only: the device is not suspended" dp suzuki.a inbox
check "log: the configuration at start" grep -q "Detail: at start: denpod [0-9.]*, detect.conf sha256 " <<<"$(D log show)"
check "log: the report-only configuration after SIGHUP" \
	grep -q "Detail: re-read on SIGHUP: denpod [0-9.]*, detect.conf sha256 [0-9a-f]*; off: none; report: DECOY; changed: speed.run=6, deep.records-max-hour=12; networks: 0" <<<"$(D log show)"

# ---- a bad detect.conf is kept out ----
printf 'bulk.cap-hour = 0\n' >"$T/bad.conf"
check "detect check refuses a bad file" not D detect check "$T/bad.conf"
check "... naming the line" grep -q "bad.conf:1: bulk.cap-hour" <<<"$(D detect check "$T/bad.conf" 2>&1)"
cp "$T/sw/detect.conf" "$T/good.conf"
cp "$T/bad.conf" "$T/sw/detect.conf"
hup
check "SIGHUP with a bad file keeps the running configuration" grep -q "keeping the running" "$T/run.log"
cp "$T/good.conf" "$T/sw/detect.conf"

# ---- the time box lapses unless confirmed ----
printf 'speed.run = 6\nsuspend.seconds = 6\n' >"$T/sw/detect.conf"
hup
dp tan2 read "$DWID" >/dev/null 2>&1
check "tan2 suspended by DECOY" wait_for has_alert DECOY "$TAN2"
check "tan2 refused while suspended" not dp tan2 inbox
sleep 7.5
check "the unconfirmed suspension lapsed: tan2 works" wait_for dp tan2 inbox
check "contain list --all shows it lapsed" grep -q lapsed <<<"$(D contain list --all)"
check "log: LAPSE" log_has "Action: LAPSE"
# confirmed: it stays
status_of x "/v1/cables/$DWID" >/dev/null
check "test.x suspended by DECOY" wait_for has_alert DECOY "$XDEV"
XSTEP=$(open_step suspend "$XDEV")
check "confirm" D contain confirm "$XSTEP" --operator soc.ito
check "confirm of a throttle is refused" not D contain confirm "$(D contain list --all | awk '$3 == "throttle" {print $1; exit}')" --operator soc.ito
sleep 7.5
check "a confirmed suspension does not lapse" [ "$(status_of x /v1/inbox)" = 403 ]
check "log: CONFIRM" log_has "Action: CONFIRM"
# an operator's suspension takes over an automatic one: its time box no longer reinstates
status_of y "/v1/cables/$DWID" >/dev/null
check "test.x's second device suspended by DECOY" wait_for answers y /v1/inbox 403
D device suspend "$YDEV" --reason "reported stolen" --operator soc.abe >/dev/null || no "operator suspends y"
sleep 7.5
check "the operator's suspension outlives the automatic time box" answers y /v1/inbox 403
check "... its automatic step was taken over" \
	grep -q "taken over by the operator" <<<"$(D log show)"
YSTEP=$(D contain list --all | awk -v d="${YDEV:0:16}" '$2 == "taken-over" && $4 == d {print $1; exit}')
check "contain list shows it taken over ($YSTEP)" [ -n "$YSTEP" ]
check "undo cannot lift the operator's suspension" not D contain undo "$YSTEP" --operator soc.ito
check "... the device stays suspended" answers y /v1/inbox 403
check "the take-over reached the alert file" [ -n "$(steps | jq -r 'select(.event.action == "take-over")')" ]
LSTEP=$(open_step throttle "$LONE")
check "lone.w is throttled ($LSTEP)" [ -n "$LSTEP" ]
check "a reinstatement ends every open step of the device" D device reinstate "$LONE" --operator soc.ito
check "... its throttle too" [ -z "$(open_step throttle "$LONE")" ]

# ---- the hourly cap on automatic suspensions ----
printf 'speed.run = 6\nsuspend.max-hour = 0\n' >"$T/sw/detect.conf"
hup
dp sato.k read "$DWID" >/dev/null 2>&1 # not addressed to sato.k: a decoy probe all the same
check "DECOY alert for a probe of another post's decoy" wait_for has_alert DECOY "$SATO"
check "suspension withheld (hourly cap)" [ "$(alerts DECOY "$SATO" | head -1 | jq -r .denpo.withheld)" = cap ]
check "sato.k keeps working" dp sato.k inbox

# ---- one command undoes every open step ----
SSTEP=$(open_step throttle "$SATO")
check "undo of a good and an unknown step fails" not D contain undo "$SSTEP" 99999 --operator soc.ito
check "... and changes nothing" [ "$(open_step throttle "$SATO")" = "$SSTEP" ]
check "undo --all" D contain undo --all --operator soc.ito
check "sato.k's throttle is gone" [ -z "$(open_step throttle "$SATO")" ]
check "a confirmed suspension is not undone by --all" answers x /v1/inbox 403
check "... an operator reinstates it" D device reinstate "$XDEV" --operator soc.ito
check "test.x works again" wait_for answers x /v1/inbox 200
D device reinstate "$YDEV" --operator soc.ito >/dev/null || no "reinstate y"
check "no open steps left" grep -q "no open" <<<"$(D contain list)"

# ---- two operators for revoke and officer disable ----
check "revoke: first operator records a request" D device revoke "$TAN2" --operator soc.ito --reason "lost laptop"
check "... the device is still active" grep -q active <<<"$(D device list | grep "$TAN2")"
check "revoke: the same operator cannot approve" not D device revoke "$TAN2" --operator soc.ito
check "revoke: a second operator carries it out" D device revoke "$TAN2" --operator soc.abe
check "... the device is revoked" grep -q revoked <<<"$(D device list | grep "$TAN2")"
check "log: request and approval" log_has "Action: DEVICE-REVOKE-APPROVED"
check "disable: first operator" D officer disable suzuki.a --operator soc.ito
check "disable: the same operator in capitals is the same operator" not D officer disable suzuki.a --operator SOC.ITO
check "... suzuki.a still works" dp suzuki.a inbox
check "disable: second operator" D officer disable suzuki.a --operator soc.abe
check "... suzuki.a is refused" not dp suzuki.a inbox
check "enable: one operator" D officer enable suzuki.a --operator soc.ito
check "... suzuki.a works again" dp suzuki.a inbox

# ---- --json of contain list, decoy list, log show and log checkpoint ----
# Each parses (jq), and says what the text form says: the table rebuilt from the JSON is the
# table; every decoded field of a log entry is a line of the entry's text.
# jqe FILTER... : the filter gives true (jq 1.6 -e passes an empty input)
jqe() { [ "$(jq "$@")" = true ]; }
D contain list --all >"$T/steps.txt"
D contain list --all --json >"$T/steps.json"
check "contain list --all --json parses" jqe '.steps | length > 0' "$T/steps.json"
check "... the same rows as the table (id, state, kind, device, officer, post, rule, since, until, by)" \
	python3 -c '
import json, sys, time
def t(v):
    return "-" if v is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(v))
rows = [" ".join([str(c["id"]), c["state"], c["kind"], c["device"][:16], c["officer"] or "?",
                  c["post"] or "?", c["rule"], t(c["since"]), "until", t(c["until"])] +
                 (["by", c["operator"]] if c["operator"] else []))
        for c in json.load(open(sys.argv[1]))["steps"]]
table = [" ".join(l.split()) for l in open(sys.argv[2]).read().splitlines()[1:]]
assert rows == table, (rows, table)
steps = json.load(open(sys.argv[1]))["steps"]
assert {"lapsed", "undone", "taken-over"} <= {c["state"] for c in steps}
assert all(len(c["device"]) == 64 and isinstance(c["since"], int) for c in steps)
' "$T/steps.json" "$T/steps.txt"
check "contain list --json (open steps only): none, as the table says" \
	[ "$(D contain list --json)" = '{"steps":[]}' ]
D decoy list >"$T/decoys.txt"
D decoy list --json >"$T/decoys.json"
check "decoy list --json: the same decoys as the table, $DWID among them" python3 -c '
import json, sys, time
ds = json.load(open(sys.argv[1]))["decoys"]
rows = [" ".join([d["cable_id"], d["mrn"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(d["accepted"])),
                  d["classification"], d["officer"]]) for d in ds]
assert rows == [" ".join(l.split()) for l in open(sys.argv[2]).read().splitlines()], rows
assert sys.argv[3] in [d["cable_id"] for d in ds] and len(ds) == 2
' "$T/decoys.json" "$T/decoys.txt" "$DWID"
D log show >"$T/log.txt"
N=$(grep -c '^# entry ' "$T/log.txt")
D log show --json --count "$N" >"$T/log.json"
check "log show --json parses ($N entries)" jqe ".entries | length == $N" "$T/log.json"
# the fields an auditor filters on, each the value of a line of the entry
check "... each entry: its index, valid, its text as the text form shows it, and the decoded fields" \
	python3 -c '
import json, re, sys
text = open(sys.argv[2]).read()
blocks = {int(m.group(1)): m.group(2) for m in re.finditer(r"^# entry (\d+)\n(.*?\n)\n", text, re.M | re.S)}
lines = {"event": ["Event"], "time": ["Time"], "cable_id": ["Cable-Id"], "mrn": ["Reference"],
         "device": ["Originator", "Device"], "officer": ["Officer"], "post": ["Post"],
         "operator": ["Operator"], "act": ["Act", "Action"], "rule": ["Rule"],
         "detail": ["Detail", "Reason"], "source": ["Source"], "epoch": ["Key-Epoch"]}
es = json.load(open(sys.argv[1]))["entries"]
assert [e["index"] for e in es] == list(range(len(es))) == sorted(blocks)
seen = set()
for e in es:
    assert e["valid"] is True and e["entry"] == blocks[e["index"]], e
    have = {}
    for l in e["entry"].splitlines()[1:]:
        k, _, v = l.partition(": ")
        have.setdefault(k, v)
    for key, names in lines.items():
        want = [have[n] for n in names if n in have][:1]
        got = [str(e[key])] if key in e else []
        assert got == want, (key, got, want, e)
    seen.add(e["event"])
need = {"cable-accepted", "cable-delivered", "alert", "containment", "admin", "device-suspended",
        "device-enrolled", "key-published"}
assert need <= seen, need - seen
' "$T/log.json" "$T/log.txt"
check "... a DECOY alert names its rule and device" \
	jqe --arg d "$TAN" '[.entries[] | select(.event == "alert" and .rule == "DECOY" and .device == $d)] | length > 0' "$T/log.json"
check "... the decoy's cable-accepted entry: cable_id, mrn, officer, post" \
	jqe --arg c "$DWID" '[.entries[] | select(.event == "cable-accepted" and .cable_id == $c and .officer == "decoy.s" and .post == "HQ" and (.mrn | length > 0))] | length == 1' "$T/log.json"
D log show --json --from 2 --count 3 >"$T/log3.json"
check "log show --json --from 2 --count 3: entries 2, 3 and 4, as in the whole log" python3 -c '
import json, sys
part, whole = (json.load(open(f))["entries"] for f in sys.argv[1:3])
assert [e["index"] for e in part] == [2, 3, 4] and part == whole[2:5], part
' "$T/log3.json" "$T/log.json"
check "log show --json --from past the end: no entries" \
	[ "$(D log show --json --from 99999999)" = '{"entries":[]}' ]
# a device cosigns the checkpoint it verifies; the switch is otherwise idle now
dp sato.k inbox >/dev/null || no "sato.k inbox (cosigns the checkpoint)"
cp_matches() {
	D log checkpoint >"$T/cp.txt" && D log checkpoint --json >"$T/cp.json" && python3 -c '
import json, sys
j, note = json.load(open(sys.argv[1])), open(sys.argv[2]).read()
origin, size, root = note.split("\n")[:3]
assert j["note"] == note and j["origin"] == origin and j["size"] == int(size) and j["root"] == root, j
assert "denpo-device/" + sys.argv[3] in j["cosigners"], j["cosigners"]
assert all(c.startswith("denpo-device/") for c in j["cosigners"])
' "$T/cp.json" "$T/cp.txt" "$SATO"
}
check "log checkpoint --json: origin, size, root and note of the text form; sato.k among the cosigners" \
	wait_for cp_matches
check "... parses for jq" jqe '.size > 0 and (.cosigners | length) >= 1' "$T/cp.json"

# ---- every alert line is ECS, every step too ----
check "every alert-file line is a JSON object with ECS event.kind" \
	[ "$(jq -r '.event.kind' "$T/sw/alerts.jsonl" | sort -u | paste -sd, -)" = "alert,event" ]
check "steps are reported (suspend, throttle, undo, lapse)" \
	[ "$(steps | jq -r .event.action | sort -u | grep -c -E '^(suspend|throttle|undo|lapse)$')" = 4 ]

# ---- metrics: coarse labels only ----
M=$(curl -s "http://127.0.0.1:$MPORT/metrics")
check "metrics: alerts by rule" grep -q 'denpod_detect_alerts_total{.*rule="DECOY"' <<<"$M"
check "metrics: containment steps" grep -q 'denpod_containment_actions_total' <<<"$M"
check "metrics: no officer, device or address" not grep -qE 'tanaka|suzuki|sato|lone\.w|127\.0\.0\.1|'"${TAN:0:12}" <<<"$M"
check "metrics: other paths 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" = 404 ]

# ---- a bad detect.conf stops the switch from starting ----
stop_switch || no "clean stop"
# an entry that is not one (damage) is shown, not skipped: valid false, its bytes as the text form
db_keep entry || no "keep the store"
db_sql "UPDATE log_entries SET data=X'$(printf 'DENPO-LOG/1\nEvent: nonsense \377\001"\n' | od -An -tx1 | tr -d ' \n')' WHERE idx=1" ||
	no "damage entry 1"
D log show --json --count 3 >"$T/bad.json"
check "log show --json of a damaged entry: valid false, event and time null, its text with '?'" python3 -c '
import json, sys
es = json.load(open(sys.argv[1]))["entries"]
assert [(e["index"], e["valid"]) for e in es] == [(0, True), (1, False), (2, True)], es
assert es[1]["entry"] == "DENPO-LOG/1\nEvent: nonsense ??\"\n" and es[1]["event"] is None and es[1]["time"] is None
assert set(es[1]) == {"index", "valid", "entry", "event", "time"}, es[1]' "$T/bad.json"
check "... the text form too: NOT A VALID ENTRY" grep -q "^# entry 1 (NOT A VALID ENTRY)" <<<"$(D log show --count 3)"
db_restore entry || no "restore the store"
cp "$T/bad.conf" "$T/sw/detect.conf"
check "denpod run refuses a bad detect.conf" not timeout 10 "$DENPOD" run --data "$T/sw"
t_done it_detect
