#!/usr/bin/env bash
# it_siem.sh - what a SIEM receives, through the real programs
# (docs/operations.md "Alerts to a SIEM", docs/detection.md §7):
# alerts over syslog TLS (RFC 5425, octet-counted frames) to a collector
# whose certificate is pinned (a python3 ssl server with a certificate
# made here by openssl), raised by real traffic (a decoy fetched); the
# collector stopped and started again: the alert raised meanwhile arrives;
# a collector with another certificate: refused, nothing sent, said in
# the log; the ECS JSON of the alert with every field documented; the
# request log, one logfmt line per request; the start's warnings (syslog
# to a local socket, the placeholder enterprise number).
. "$(dirname "$0")/lib.sh"
need_programs it_siem "$DENPOD" "$DENPO"
command -v openssl >/dev/null && command -v jq >/dev/null || { skip "it_siem: openssl or jq missing"; t_done it_siem; exit; }
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="siem test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
SPORT=$(free_port)
COLLECTOR="$(dirname "$0")/syslog_collector.py"
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
wait_for() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }
alert_of() { jq -c --arg d "$1" 'select(.event.kind == "alert" and .device.id == $d)' "$T/sw/alerts.jsonl" 2>/dev/null | head -n 1; }
frames() { grep -c . "$T/syslog" 2>/dev/null || echo 0; }
got_frame() { grep -q "$1" "$T/syslog" 2>/dev/null; }

# ---- the collector's certificate (and another one) ----
for c in collector other; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$c.key" \
		-out "$T/$c.crt" -subj "/CN=$c" -days 1 2>/dev/null || no "make the $c certificate"
done
collector_start() {
	python3 "$COLLECTOR" "$SPORT" "$T/$1.crt" "$T/$1.key" "$T/syslog" &
	COLL=$!
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$SPORT") 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
collector_stop() { kill "$COLL" 2>/dev/null; wait "$COLL" 2>/dev/null; COLL=; }
trap 'collector_stop; t_cleanup' EXIT
# the probe above is a connection too; count only what the switch sends
: >"$T/syslog"

# ---- the switch ----
{
	switch_init &&
		D post add HQ --hq --tz Asia/Tokyo && D post add WASHINGTON --tz America/New_York &&
		D officer add decoy.s --post HQ --clearance "TOP SECRET" --roles DECOY &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add suzuki.a --post WASHINGTON --clearance SECRET &&
		D officer add ito.m --post WASHINGTON --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices decoy.s:HQ tanaka.h:WASHINGTON suzuki.a:WASHINGTON ito.m:WASHINGTON
# plant N: a decoy for WASHINGTON; its cable id in $DWID
plant() {
	body "$1. (S) Draft position on the fisheries talks; do not circulate."
	DW=$(send decoy.s --decoy --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL \
		--subject "fisheries position $1") || no "plant a decoy: $(cat "$T/send.err")"
	DWID=$(id_of "$DW")
}

# start-up notes: a local socket does not parse RFC 5424; 32473 is a placeholder
cp "$T/sw/denpod.conf" "$T/denpod.conf.orig"
printf 'syslog=unix:%s/nosuch.sock\n' "$T" >>"$T/sw/denpod.conf"
start_switch || no "denpod with syslog=unix: did not start"
stop_switch
check "syslog=unix: warns that local syslog daemons do not parse RFC 5424" \
	grep -q "warning: syslog=unix:.*does not parse RFC 5424.*journald" "$T/run.log"
check "the placeholder enterprise number is noted at start" \
	grep -q "note: the syslog SD-ID is denpo@32473: 32473 is the enterprise number RFC 5612 reserves" "$T/run.log"

cp "$T/denpod.conf.orig" "$T/sw/denpod.conf"
printf 'syslog=tls:127.0.0.1:%s\nsyslog_pin=%s\nsyslog_enterprise=54321\n' "$SPORT" "$T/collector.crt" \
	>>"$T/sw/denpod.conf"
check "tls: without syslog_pin= is refused at start" bash -c "
	grep -v '^syslog_pin=' '$T/sw/denpod.conf' >'$T/nopin.conf' && mkdir -p '$T/nopin' &&
	cp '$T/sw/'*.key '$T/sw/tls.crt' '$T/nopin/' && cp '$T/nopin.conf' '$T/nopin/denpod.conf' &&
	cp '$T/sw/denpod.db' '$T/nopin/' && chmod 600 '$T/nopin/'* &&
	! timeout 10 '$DENPOD' run --data '$T/nopin' 2>'$T/nopin.err' && grep -q 'needs syslog_pin=' '$T/nopin.err'"
collector_start collector || no "the collector did not start"
: >"$T/syslog"
: >"$T/run.log"
start_switch || no "denpod did not start"
check "connected over TLS to the pinned collector" wait_for grep -q "syslog tls:127.0.0.1:$SPORT: connected (TLSv1\.[23], pinned certificate)" "$T/run.log"
check "no placeholder note with syslog_enterprise= set" not grep -q "note: the syslog SD-ID" "$T/run.log"

# ---- an alert raised by real traffic: a decoy fetched ----
plant 1
TAN=$(dev_of tanaka.h) SUZ=$(dev_of suzuki.a) ITO=$(dev_of ito.m)
check "fetching the decoy is refused" not dp tanaka.h read "$DWID" 2>/dev/null
check "the collector received the alert over TLS" wait_for got_frame "ALERT \[denpo@54321 rule=\"DECOY\".*device=\"$TAN\""
check "every frame was octet-counted correctly (no BADFRAME)" not grep -q BADFRAME "$T/syslog"
check "the frame is RFC 5424" grep -Eq "^<[0-9]{1,3}>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [^ ]+ denpod [0-9]+ ALERT \[denpo@54321 " "$T/syslog"

# ---- the ECS JSON: every field, parsed ----
A=$(alert_of "$TAN")
check "the ECS line parses" eval 'jq -e . <<<"$A" >/dev/null'
for f in '."@timestamp"' .message .ecs.version .event.kind .event.category .event.type .event.action \
	.event.severity .event.risk_score .event.reason .event.outcome .event.id .event.dataset \
	.rule.id .rule.name .rule.ruleset .rule.reference .device.id .user.name .labels.post .source.ip \
	.observer.vendor .observer.product .observer.version .observer.hostname \
	.related.user .related.hosts .related.ip .denpo.mode .denpo.page .denpo.action .denpo.log_index; do
	check "ECS alert has $f" eval 'jq -e "$f != null" <<<"$A" >/dev/null'
done
check "event.id is the alert's log index" [ "$(jq -r .event.id <<<"$A")" = "$(jq -r .denpo.log_index <<<"$A")" ]
check "... whose log entry is the alert" bash -c "'$DENPOD' log show --data '$T/sw' | grep -A8 '^# entry $(jq -r .event.id <<<"$A")\$' | grep -q 'Event: alert'"
check "event.outcome: success (the device was suspended)" [ "$(jq -r .event.outcome <<<"$A")" = success ]
check "event.dataset: denpod.alert" [ "$(jq -r .event.dataset <<<"$A")" = denpod.alert ]
check "rule.id: DECOY" [ "$(jq -r .rule.id <<<"$A")" = DECOY ]
REF=$(jq -r .rule.reference <<<"$A")
check "rule.reference points into docs/detection.md ($REF)" [ "$REF" = "docs/detection.md#rule-decoy" ]
check "... whose anchor exists there" grep -q "id=\"${REF#*#}\"" "$(dirname "$0")/../docs/detection.md"
check "related.user: the officer" [ "$(jq -r '.related.user[0]' <<<"$A")" = tanaka.h ]
check "related.hosts: the device" [ "$(jq -r '.related.hosts[0]' <<<"$A")" = "$TAN" ]
check "related.ip: the source address" [ "$(jq -r '.related.ip[0]' <<<"$A")" = 127.0.0.1 ]
VERSION=$(sed -n 's/^#define DPC_VERSION "\([^"]*\)".*/\1/p' "$(dirname "$0")/../denpod/config.h")
check "observer.version: denpod's ($VERSION)" [ "$(jq -r .observer.version <<<"$A")" = "$VERSION" ]
S=$(jq -c 'select(.event.kind == "event")' "$T/sw/alerts.jsonl" | head -n 1)
check "the containment step: dataset, outcome, event.id, related.hosts" \
	eval 'jq -e '"'"'.event.dataset == "denpod.containment" and .event.outcome == "success" and .event.id != null and .related.hosts[0] != null'"'"' <<<"$S" >/dev/null'

# ---- the collector goes away: the alert waits and arrives ----
plant 2
collector_stop
n0=$(frames)
check "a second decoy fetch (collector down) is refused" not dp suzuki.a read "$DWID" 2>/dev/null
check "... its alert is in the alerts file" wait_for test -n "$(alert_of "$SUZ")"
check "the switch says the connection is lost and the alert queued" wait_for grep -q "syslog tls:127.0.0.1:$SPORT: .*[1-9][0-9]* messages\{0,1\} queued, next attempt" "$T/run.log"
sleep 1
check "nothing reached anyone meanwhile" [ "$(frames)" = "$n0" ]
collector_start collector || no "the collector did not start again"
check "collector back: the queued alert arrives" wait_for got_frame "rule=\"DECOY\".*device=\"$SUZ\""
check "... octet-counted (no BADFRAME)" not grep -q BADFRAME "$T/syslog"

# ---- the request log: one logfmt line per request ----
cat >"$T/reqlog.py" <<'PY'
import re, sys
need = ["time", "src", "dev", "method", "endpoint", "status", "latency_ms"]
pat = {"time": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "src": r"[0-9a-f.:]+|-",
       "dev": r"[0-9a-f]{12}|-", "method": r"GET|POST|OTHER", "endpoint": r"/v1/[a-z/{}.]+|other",
       "status": r"\d{3}", "latency_ms": r"\d+\.\d{3}", "repeated": r"\d+", "window_s": r"\d+"}
n = 0
for line in open(sys.argv[1], errors="replace"):
    if not line.startswith("denpod: request "):
        continue
    kv = dict(p.split("=", 1) for p in line[len("denpod: request "):].split())
    for k in need:
        if k not in kv:
            sys.exit("missing %s: %s" % (k, line))
    for k, v in kv.items():
        if k not in pat or not re.fullmatch(pat[k], v):
            sys.exit("bad %s=%s: %s" % (k, v, line))
    n += 1
    if kv["endpoint"] == "/v1/cables/{id}" and kv["dev"] != "-" and kv["status"] == "403":
        print("decoy-fetch", end=" ")
print(n)
PY
OUT=$(python3 "$T/reqlog.py" "$T/run.log")
check "request log lines parse as logfmt with every field ($OUT lines)" [ "${OUT##* }" -gt 5 ]
check "... the decoy fetch is one of them (endpoint /v1/cables/{id}, status 403)" grep -q decoy-fetch <<<"$OUT"
check "... and no cable id reaches it" not grep -q "denpod: request .*$DWID" "$T/run.log"
stop_switch || no "stop"

# ---- a collector with another certificate: refused, nothing sent ----
collector_stop
collector_start other || no "the other collector did not start"
n0=$(frames)
: >"$T/syslog.conn"
# the pin as a fingerprint this time (openssl prints it with colons, upper case)
FP=$(openssl x509 -noout -fingerprint -sha256 -in "$T/collector.crt" | cut -d= -f2)
sed -i "s|^syslog_pin=.*|syslog_pin=sha256:$FP|" "$T/sw/denpod.conf"
start_switch || no "denpod did not start (wrong collector)"
check "the other certificate is refused, with a clear line" wait_for grep -q \
	"syslog tls:127.0.0.1:$SPORT: REFUSED: the collector's certificate is sha256:[0-9a-f]\{64\}, not the pinned sha256:[0-9a-f]\{64\} (syslog_pin= in denpod.conf); nothing sent" "$T/run.log"
plant 3
# (the hourly cap of automatic suspensions may let this one through: the alert is what counts)
dp ito.m read "$DWID" >/dev/null 2>&1
check "... its alert is in the alerts file" wait_for test -n "$(alert_of "$ITO")"
sleep 1.5
check "the wrong collector received nothing (it did see the handshakes)" \
	[ "$(frames)" = "$n0" -a -s "$T/syslog.conn" ]
stop_switch || no "stop"
check "at stop, the switch says what it could not deliver" grep -q "message.* not delivered at stop" "$T/run.log"
t_done it_siem
