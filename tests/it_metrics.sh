#!/usr/bin/env bash
# it_metrics.sh - health checks and Prometheus metrics through the real
# programs (docs/operations.md, "Health checks" and "Metrics"): denpod with
# metrics_listen= and shutdown_delay=, cables sent and read with denpo.
# Checked: /healthz and /readyz (GET and HEAD) answer 200 while serving;
# the scrape passes `promtool check metrics`; cables accepted by
# precedence count what was sent, delivered what was read, the queue what
# is left; request counters for the endpoints used, by route pattern;
# every latency histogram's buckets are monotone and its _count equals
# the request counter; a refused TLS handshake is counted; no label value
# is an officer, a device, a cable or an address; /readyz is 503 naming
# the database while another process holds its write lock, and 200 again
# after; 503 "shutting down" after SIGTERM while /healthz still answers.
. "$(dirname "$0")/lib.sh"
PS4='+ $SECONDS '
need_programs it_metrics "$DENPOD" "$DENPO"
if ! command -v promtool >/dev/null; then
	no "promtool is not installed (Debian package prometheus; scripts/setup installs it)"
	t_done it_metrics
	exit 1
fi
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="metrics test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
MPORT=$(free_port)
M="http://127.0.0.1:$MPORT"
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
# code [-I] PATH: the HTTP status of the metrics listener's answer
code() { curl -s -o "$T/answer" -w '%{http_code}' --max-time 5 "${@:1:$#-1}" "$M${!#}"; }
scrape() { curl -s --max-time 5 "$M/metrics" >"$T/m.txt"; }
# val NAME{LABELS}: the sample's value in the last scrape (empty if absent)
val() { awk -v k="$1" '$1 == k {print $2}' "$T/m.txt"; }

{
	switch_init && D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET
} >"$T/init.out" || no "switch setup"
printf 'metrics_listen=127.0.0.1:%s\nshutdown_delay=3\n' "$MPORT" >>"$T/sw/denpod.conf"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON
start_switch || no "denpod did not start"

# ---- health ----
check "/healthz: 200" [ "$(code /healthz)" = 200 ]
check "... says alive" grep -qx alive "$T/answer"
check "HEAD /healthz: 200" [ "$(code -I /healthz)" = 200 ]
check "/readyz: 200" [ "$(code /readyz)" = 200 ]
check "... says ready" grep -qx ready "$T/answer"
check "HEAD /readyz: 200" [ "$(code -I /readyz)" = 200 ]
check "another path: 404" [ "$(code /v1/health)" = 404 ]
check "POST: 405" [ "$(code -X POST /metrics)" = 405 ]

# ---- traffic: 2 FLASH, 1 IMMEDIATE, 3 ROUTINE; tanaka.h reads both FLASH and the IMMEDIATE ----
declare -A MRN
n=0
for p in FLASH FLASH IMMEDIATE ROUTINE ROUTINE ROUTINE; do
	n=$((n + 1))
	body "$n. (C) Metrics test, $p."
	MRN[$n]=$(send sato.k --class CONFIDENTIAL --prec $p --to WASHINGTON --tags ADMN \
		--subject "metrics $n") || no "send $p: $(cat "$T/send.err")"
done
for i in 1 2 3; do
	dp tanaka.h read "${MRN[$i]}" --ack >/dev/null 2>"$T/read.err" || no "read ${MRN[$i]}: $(cat "$T/read.err")"
done
dp tanaka.h read "${MRN[4]}" >/dev/null 2>&1 || no "read ${MRN[4]} (no ack)"
# a refused TLS handshake: no client certificate
curl -sk --max-time 5 "https://127.0.0.1:$PORT/v1/health" >/dev/null 2>&1
# a path that is no endpoint, by an enrolled device (its raw path must not become a label)
dp tanaka.h read 0123456789abcdef0123456789abcdef >/dev/null 2>&1
scrape

# ---- promtool ----
promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1
check "promtool check metrics passes on the live scrape" [ $? = 0 ]
check "... with nothing to say" [ ! -s "$T/promtool.out" ]
[ -s "$T/promtool.out" ] && sed 's/^/    /' "$T/promtool.out" | head -20

# ---- values ----
check "build info" grep -qE '^denpod_build_info\{version="[^"]+"\} 1$' "$T/m.txt"
check "ready gauge: 1" [ "$(val denpod_ready)" = 1 ]
for pv in FLASH:2 IMMEDIATE:1 PRIORITY:0 ROUTINE:3; do
	p=${pv%%:*} v=${pv#*:}
	got=$(val "denpod_cables_accepted_total{precedence=\"$p\"}")
	check "accepted $p: $v (got $got)" [ "$got" = "$v" ]
done
for pv in FLASH:2 IMMEDIATE:1 PRIORITY:0 ROUTINE:1; do
	p=${pv%%:*} v=${pv#*:}
	got=$(val "denpod_cables_delivered_total{precedence=\"$p\"}")
	check "delivered $p: $v (got $got)" [ "$got" = "$v" ]
done
# acknowledged: 1, 2, 3; read but not acknowledged: 4; not read: 5, 6
for pv in FLASH:0 IMMEDIATE:0 PRIORITY:0 ROUTINE:3; do
	p=${pv%%:*} v=${pv#*:}
	got=$(val "denpod_queue_depth{precedence=\"$p\"}")
	check "queue $p: $v (got $got)" [ "$got" = "$v" ]
done
check "overdue: 0 (got $(val denpod_overdue_deliveries))" [ "$(val denpod_overdue_deliveries)" = 0 ]
got=$(val 'denpod_http_requests_total{method="POST",endpoint="/v1/cables",status="201"}')
check "POST /v1/cables 201: 6 (got $got)" [ "$got" = 6 ]
got=$(val 'denpod_http_requests_total{method="GET",endpoint="/v1/cables/{id}",status="200"}')
check "GET /v1/cables/{id} 200: at least 4 (got $got)" [ "${got:-0}" -ge 4 ]
got=$(val 'denpod_http_requests_total{method="POST",endpoint="/v1/cables/{id}/ack",status="200"}')
check "POST /v1/cables/{id}/ack 200: 3 (got $got)" [ "$got" = 3 ]
check "a cable id that is no cable: its route, not its path" \
	grep -q 'endpoint="/v1/cables/{id}",status="404"' "$T/m.txt"
got=$(val denpod_tls_handshake_failures_total)
check "a refused TLS handshake is counted (got $got)" [ "${got:-0}" -ge 1 ]
got=$(val denpod_log_entries)
check "log entries: at least 6 accepted + 4 delivered + 3 acked (got $got)" [ "${got:-0}" -ge 13 ]
check "checkpoint age: a number of seconds" grep -qE '^denpod_log_checkpoint_age_seconds [0-9]+$' "$T/m.txt"
check "signer round age below 10 s" \
	awk '$1 == "denpod_log_signer_round_age_seconds" {f = 1; exit !($2 < 10)} END {if (!f) exit 1}' "$T/m.txt"
got=$(val denpod_database_bytes)
if [ "${DENPO_TEST_STORE:-}" = postgresql ]; then
	check "database bytes: the database's size (got $got)" [ "${got:-0}" -gt 0 ]
else
	# the store's size counts the cables' segments (cables/SEG*: 4 MiB written ahead), not
	# only denpod.db and its WAL, which hold no cable body
	segs=$(find "$T/sw/cables" -name 'SEG[0-9]*' -printf '%s\n' | awk '{n += $1} END {print n + 0}')
	dbf=$(stat -c %s "$T/sw/denpod.db")
	check "the cables' segments are there ($segs bytes)" [ "$segs" -gt 0 ]
	check "database bytes: at least denpod.db ($dbf) + the segments ($segs) (got $got)" \
		[ "${got:-0}" -ge $((dbf + segs)) ]
fi
check "connections open is a gauge" grep -q '^# TYPE denpod_connections_open gauge$' "$T/m.txt"
check "detection's cumulative counts are counters now" \
	grep -q '^# TYPE denpod_detect_events_total counter$' "$T/m.txt"
check "... the alert output errors too" grep -q '^# TYPE denpod_alert_output_errors_total counter$' "$T/m.txt"
check "no gauge is named like a counter, every counter ends in _total" \
	not awk '/^# TYPE/ && (($4 == "counter") != ($3 ~ /_total$/)) {bad = 1} END {exit !bad}' "$T/m.txt"

# histograms: buckets monotone, +Inf = _count = the requests counted for that method and endpoint
python3 - "$T/m.txt" >"$T/hist.out" <<'PY'
import re, sys, collections
req = collections.Counter(); buckets = collections.defaultdict(list); count = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    m = re.match(r'(\w+)\{(.*)\} (\S+)$', line.strip())
    if not m:
        continue
    name, labels, v = m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(2))), float(m.group(3))
    key = (labels.get("method"), labels.get("endpoint"))
    if name == "denpod_http_requests_total":
        req[key] += v
    elif name == "denpod_http_request_duration_seconds_bucket":
        le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
        buckets[key].append((le, v))
    elif name == "denpod_http_request_duration_seconds_count":
        count[key] = v
bad = 0
for key, bs in buckets.items():
    vals = [v for _, v in sorted(bs)]
    if vals != sorted(vals):
        print("not monotone:", key, vals); bad = 1
    if vals[-1] != count.get(key) or count.get(key) != req[key]:
        print("+Inf / _count / requests differ:", key, vals[-1], count.get(key), req[key]); bad = 1
if set(buckets) != set(k for k in req if req[k]):
    print("endpoints with requests but no histogram, or the other way:", set(buckets) ^ set(req)); bad = 1
print("histograms:", len(buckets), "bad" if bad else "ok")
sys.exit(bad)
PY
check "histograms: monotone, +Inf = _count = requests ($(tail -n1 "$T/hist.out"))" [ $? = 0 ]
grep -v '^histograms' "$T/hist.out" | sed 's/^/    /'

# ---- labels: never an officer, a device, a cable or an address ----
SATO=$(dp sato.k --json whoami | jq -r .device) TAN=$(dp tanaka.h --json whoami | jq -r .device)
grep -v '^#' "$T/m.txt" | grep -o '="[^"]*"' | sort -u >"$T/values"
check "label values found ($(wc -l <"$T/values"))" [ "$(wc -l <"$T/values")" -gt 10 ]
check "no label value is an officer, a device, an MRN or an address" \
	not grep -qiE "sato|tanaka|${SATO:0:12}|${TAN:0:12}|127\.0\.0\.1|WASHINGTON|HQ " "$T/values"
check "no label value is a hex id" not grep -qE '[0-9a-f]{12}' "$T/values"
check "every endpoint label is a route pattern" \
	not grep -E -v '^endpoint="(other|/v1/[a-z/{}]+)"$' <(grep -o 'endpoint="[^"]*"' "$T/m.txt" | sort -u)

# ---- /readyz 503 while another process holds the database's write lock ----
if db_is_pg; then # every writer takes the log_head row's lock first (docs/several-switches.md §2)
	db_sql "" "BEGIN; SELECT n FROM log_head WHERE id=1 FOR UPDATE; SELECT pg_sleep(3); ROLLBACK;" >/dev/null &
else
	( echo "BEGIN IMMEDIATE; INSERT OR REPLACE INTO meta(k,v) VALUES('it_metrics','lock');"; sleep 3; echo "ROLLBACK;" ) |
		sqlite3 "$T/sw/denpod.db" &
fi
LOCK=$!
sleep 0.5
c=$(code /readyz)
check "/readyz while the database is locked: 503 (got $c)" [ "$c" = 503 ]
check "... naming the database ($(cat "$T/answer"))" grep -q "^database: " "$T/answer"
check "/healthz meanwhile: 200" [ "$(code /healthz)" = 200 ]
wait $LOCK
for _ in $(seq 50); do [ "$(code /readyz)" = 200 ] && break; sleep 0.2; done
check "/readyz after the lock is released: 200 ($(cat "$T/answer"))" [ "$(code /readyz)" = 200 ]

# ---- shutdown: /readyz 503 for shutdown_delay, /healthz still 200, then the switch is gone ----
kill -TERM "$PID"
sleep 0.5
c=$(code /readyz)
check "/readyz after SIGTERM: 503 (got $c)" [ "$c" = 503 ]
check "... saying it is shutting down ($(cat "$T/answer"))" grep -q "shutting down" "$T/answer"
check "/healthz meanwhile: 200" [ "$(code /healthz)" = 200 ]
wait "$PID"
check "denpod exits cleanly after the delay" [ $? = 0 ]
PID=
check "then nothing answers" [ "$(code /healthz)" = 000 ]
t_done it_metrics
