#!/usr/bin/env bash
# it_config.sh - configuration that cannot be silently wrong, through the
# real programs:
#  - a misspelt key in denpod.conf is refused with FILE:LINE and its likely
#    spelling, at `denpod run` and at `denpod config check` (exit 1);
#  - "metrics_listen = 127.0.0.1:PORT" (blanks around =, as detect.conf
#    writes it) starts the metrics endpoint: it is scraped;
#  - malformed lines (no =, no value, a duplicate key, a NUL byte, a value
#    too long, a number out of range) are refused with FILE:LINE; the same
#    rules in detect.conf;
#  - `denpod config check` prints every key, its value and "(default)";
#  - an option a command does not take is refused (exit 2) naming the
#    command and its options; --data=DIR works like --data DIR;
#  - --json of the list commands parses and says what the table says.
. "$(dirname "$0")/lib.sh"
need_programs it_config "$DENPOD" "$DENPO"
t_workdir
unset DENPOD_DATA
SW=$T/sw
C=$SW/denpod.conf
not() { ! "$@"; }

D init --data="$SW" --url "https://127.0.0.1:$PORT" --listen "127.0.0.1:$PORT" >/dev/null ||
	no "init with --data=DIR"
check "--data=DIR made a switch" [ -f "$C" ]
cp "$C" "$T/conf.good"

# ---- a misspelt key: refused at run and at config check, with FILE:LINE ----
printf 'metrics_lisen=127.0.0.1:9\n' >>"$C"
line=$(wc -l <"$C")
timeout 10 "$DENPOD" run --data "$SW" >"$T/out" 2>&1
rc=$?
check "run refuses a misspelt key (exit $rc)" [ "$rc" = 1 ]
check "... naming file, line and the likely key" \
	grep -qF "denpod.conf:$line: unknown key 'metrics_lisen' (did you mean 'metrics_listen'?)" "$T/out"
D config check --data "$SW" >"$T/out" 2>&1
rc=$?
check "config check refuses it too (exit $rc)" [ "$rc" = 1 ]
check "... naming file and line" grep -qF "denpod.conf:$line: unknown key 'metrics_lisen'" "$T/out"

# ---- metrics_listen with blanks around = starts the endpoint ----
MPORT=$(free_port)
cp "$T/conf.good" "$C"
printf '# metrics for Prometheus\n  metrics_listen   =   127.0.0.1:%s  \r\n' "$MPORT" >>"$C"
D config check --data "$SW" >"$T/check.out" 2>&1
check "config check accepts it (exit 0)" [ $? = 0 ]
check "... and shows it in force, not the default" \
	grep -qE "^  metrics_listen +127\.0\.0\.1:$MPORT$" "$T/check.out"
check "... a key not set is shown as the default" \
	grep -qE "^  scrub_period +86400  \(default\)$" "$T/check.out"
check "... detect.conf's keys too" grep -qE "^  bulk\.cap-hour +1500  \(default\)$" "$T/check.out"
start_switch || no "the switch starts"
body=$(curl -s "http://127.0.0.1:$MPORT/metrics")
check "the metrics endpoint answers a scrape" grep -q '^denpod_build_info' <<<"$body"
stop_switch

# ---- store: only a PostgreSQL URI, its value (a password, perhaps) never shown ----
cp "$T/conf.good" "$C"
printf 'store = sqlite:/tmp/x.db\n' >>"$C"
D config check --data "$SW" >"$T/out" 2>&1
rc=$?
check "store that is no PostgreSQL URI: refused (exit $rc)" [ "$rc" = 1 ]
check "... saying what it must be" grep -qF "store: not a PostgreSQL URI (postgresql://USER@HOST/DB" "$T/out"
cp "$T/conf.good" "$C"
printf 'store = postgresql://denpod:s3cret-pw@127.0.0.1:1/denpo\n' >>"$C"
D config check --data "$SW" >"$T/out" 2>&1
check "a PostgreSQL store: accepted by config check" [ $? = 0 ]
check "... shown as set, its value not" grep -qE "^  store +\(set, not shown\)" "$T/out"
check "... the password nowhere in the output" not grep -qF "s3cret-pw" "$T/out"
# (it tries again each second for 30 s first: a database failing over comes back in seconds)
timeout 60 "$DENPOD" run --data "$SW" >"$T/out" 2>&1
rc=$?
check "run with a store nothing answers at: exit 1 after its 30 s of tries (exit $rc)" [ "$rc" = 1 ]
check "... saying it tries again for 30 s" grep -q "cannot be reached now: trying again each second for 30 s" "$T/out"
check "... then what to check" grep -q "Check that PostgreSQL runs and accepts writes there, and the store= URI" "$T/out"
check "... the password nowhere in what it says" not grep -qF "s3cret-pw" "$T/out"
D init --data "$T/sw-bad" --store "sqlite:/tmp/x" >"$T/out" 2>&1
check "init --store that is no PostgreSQL URI: exit 2" [ $? = 2 ]
check "... and no switch made" [ ! -e "$T/sw-bad/denpod.conf" ]
cp "$T/conf.good" "$C"

# ---- malformed lines, each refused with FILE:LINE ----
bad() { # description, line to append, text the message must hold
	cp "$T/conf.good" "$C"
	printf '%s\n' "$2" >>"$C"
	local n rc
	n=$(wc -l <"$C")
	D config check --data "$SW" >"$T/out" 2>&1
	rc=$?
	check "denpod.conf $1: refused (exit $rc)" [ "$rc" = 1 ]
	check "... saying denpod.conf:$n: $3" grep -qF "denpod.conf:$n: $3" "$T/out"
}
bad "no =" "metrics_listen 127.0.0.1:9100" '"metrics_listen 127.0.0.1:9100" is not KEY = VALUE'
bad "no value" "syslog =" "syslog: no value after ="
bad "a key twice" "listen = 127.0.0.1:1" "listen: duplicate key (first set on line 3"
bad "an address without a port" "metrics_listen = 127.0.0.1" 'metrics_listen: "127.0.0.1" is not HOST:PORT'
bad "a number out of range" "idle_timeout = 0" "idle_timeout: 0 is outside the range 1..3600"
bad "a number with a sign" "idle_timeout = +5" 'idle_timeout: "+5" is not a number'
bad "a path too long" "alerts_file = /$(head -c 4200 /dev/zero | tr '\0' a)" "line of 4215 bytes (at most 4096)"
bad "a value longer than its field" "metrics_listen = $(head -c 200 /dev/zero | tr '\0' 1):1" \
	"metrics_listen: the value is 202 bytes, at most 128"
cp "$T/conf.good" "$C"
printf 'syslog_facility = 1\0 0\n' >>"$C"
D config check --data "$SW" >"$T/out" 2>&1
check "a NUL byte in a line is refused (exit 1)" [ $? = 1 ]
check "... naming the line and column" grep -qF "denpod.conf:5: NUL byte at column 20" "$T/out"
cp "$T/conf.good" "$C"

# ---- detect.conf: the same reader ----
printf 'bulk.cap-hour=100\nenum.rn = 20\n' >"$SW/detect.conf"
D config check --data "$SW" >"$T/out" 2>&1
check "detect.conf misspelt key: config check exit 1" [ $? = 1 ]
check "... detect.conf:2: and the likely key" \
	grep -qF 'detect.conf:2: unknown key "enum.rn" (did you mean "enum.run"?)' "$T/out"
timeout 10 "$DENPOD" run --data "$SW" >"$T/out" 2>&1
check "run refuses it too" [ $? = 1 ]
printf 'bulk.cap-hour=100\n' >"$SW/detect.conf"
D config check --data "$SW" >"$T/out" 2>&1
check "bulk.cap-hour=100 (no blanks) is read: shown in force" grep -qE "^  bulk\.cap-hour +100$" "$T/out"
rm -f "$SW/detect.conf"

# ---- options per command ----
D run --data "$SW" --listen 127.0.0.1:1 >"$T/out" 2>&1
rc=$?
check "run --listen is refused (exit $rc)" [ "$rc" = 2 ]
check "... naming the command and what it takes" \
	grep -qF "denpod run: --listen is not an option of this command" "$T/out"
check "... and its options" grep -qF "denpod run takes: --data DIR, --help" "$T/out"
D officer list --data "$SW" --reason x >"$T/out" 2>&1
check "officer list --reason is refused (exit 2)" [ $? = 2 ]
D post add --hq=yes HQ --data "$SW" >"$T/out" 2>&1
check "a flag given a value is refused (exit 2)" [ $? = 2 ]
check "... saying so" grep -qF "denpod post add: --hq takes no value" "$T/out"
D device suspend abc --data "$SW" --reason >"$T/out" 2>&1
check "an option without its value is refused (exit 2)" [ $? = 2 ]
check "... saying so" grep -qF "denpod device suspend: --reason needs a value" "$T/out"
{
	D post add HQ --hq --data="$SW" --tz=UTC && D post add TOKYO --data "$SW" --tz Asia/Tokyo &&
		D officer add tanaka.h --post=HQ --clearance=TS --data="$SW" --name="Tanaka H" &&
		D officer add sato.k --post TOKYO --clearance SECRET --captions=NOFORN --data "$SW"
} >/dev/null 2>"$T/err" || no "setup with --opt=VALUE and --opt VALUE: $(cat "$T/err")"
check "denpo takes --home=DIR as --home DIR" \
	[ "$("$DENPO" --home="$T/x" whoami 2>&1)" = "$("$DENPO" --home "$T/x" whoami 2>&1)" ]

# ---- --json: parses, and says what the table says ----
D officer list --data "$SW" >"$T/table"
D officer list --data "$SW" --json >"$T/json"
check "officer list --json parses" python3 -m json.tool "$T/json" >/dev/null
check "... the same officers, posts, clearances, names as the table" [ "$(python3 -c '
import json, sys
for o in json.load(open(sys.argv[1]))["officers"]:
    print(" ".join([o["handle"], o["post"], o["clearance"], o["status"], "captions=" + ",".join(o["captions"]),
                    "roles=" + ",".join(o["roles"]), o["name"]]).rstrip())
' "$T/json")" = "$(sed 's/  */ /g; s/ $//' "$T/table")" ]
for l in "device list:devices" "cable list:cables" "overdue:overdue"; do
	cmd=${l%%:*}
	# shellcheck disable=SC2086
	D $cmd --data "$SW" --json >"$T/json"
	check "$cmd --json parses to {\"${l#*:}\": [...]}" python3 -c '
import json, sys
assert isinstance(json.load(open(sys.argv[1]))[sys.argv[2]], list)' "$T/json" "${l#*:}"
done
D config check --data "$SW" --json >"$T/json"
check "config check --json parses and says ok" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] and j["denpod_conf"]["ok"] and not j["detect_conf"]["present"]
k = {x["key"]: x for x in j["denpod_conf"]["keys"]}
assert k["listen"]["value"] == "127.0.0.1:" + sys.argv[2] and not k["listen"]["default"]
assert k["metrics_listen"]["value"] == "off" and k["metrics_listen"]["default"]' "$T/json" "$PORT"
D log verify --data "$SW" --json >"$T/out" 2>&1
check "a command without --json refuses it (exit 2), not ignores it" [ $? = 2 ]
t_done it_config
