#!/usr/bin/env bash
# it_unit.sh - denpod as a systemd service (dist/denpod.service,
# dist/denpod.logrotate, denpod/notify.h; docs/operations.md "The unit"):
# systemd-analyze rates the unit's exposure 2.0 or better and verifies it;
# `denpod run` tells $NOTIFY_SOCKET READY=1 only once its port answers (and
# never if it cannot listen), WATCHDOG=1 while its event loop turns (and not
# while the network process is stopped), STOPPING=1 at SIGTERM, each from the
# main process (NotifyAccess=main); logrotate with the shipped file moves the
# alert file away and SIGHUP makes the confined switch write on at the old
# path, in a new 0600 file, losing nothing; and every system call the switch
# makes (strace) passes the unit's SystemCallFilter.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_unit "$DENPOD" "$DENPO" "$TS"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="unit test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
# the SAN=1 build confines itself only when asked, and its leak check cannot run confined
export DENPOD_SAN_SANDBOX=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
UNIT="$ROOT/dist/denpod.service"
URL=https://127.0.0.1:$PORT
wait_for() { for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done; return 1; }

# ---- the unit file ----
if command -v systemd-analyze >/dev/null; then
	systemd-analyze security --offline=true "$UNIT" >"$T/security" 2>&1
	SCORE=$(sed -n 's/.*Overall exposure level for denpod.service: \([0-9.]*\).*/\1/p' "$T/security")
	check "systemd-analyze security rates the unit ${SCORE:-(no score: $(tail -1 "$T/security"))}, 2.0 or better" \
		awk -v s="${SCORE:-99}" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }'
	# verify needs ExecStart's program to exist: the unit as installed, with this build's;
	# --man=no: the man pages of Documentation= are installed by the package, not here
	sed "s#^ExecStart=/usr/sbin/denpod #ExecStart=$DENPOD #" "$UNIT" >"$T/denpod.service"
	check "systemd-analyze verify finds nothing to say ($(head -c 300 "$T/verify" 2>/dev/null))" \
		eval 'systemd-analyze verify --man=no "$T/denpod.service" >"$T/verify" 2>&1 && ! [ -s "$T/verify" ]'
else
	no "systemd-analyze is not installed (scripts/setup installs systemd)"
fi

# ---- a switch with two devices and a rule that alerts at once (report-only) ----
{
	switch_init && D post add HQ --hq && D officer add test.x --post HQ --clearance SECRET
} >"$T/init.out" || no "switch setup"
for d in x y; do
	"$TS" enrol "$T/$d" test.x HQ && D approve "$T/$d/request" --out "$T/$d/answer" >/dev/null ||
		no "enrol device $d"
done
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
printf 'not-addressed.max = 1\nrule.NOT-ADDRESSED.mode = report\n' >"$T/sw/detect.conf"
tool_dev() { awk '/^Sign-Key:/ {print $2}' "$T/$1/request" | base64 -d | od -An -tx1 | tr -d ' \n'; }
XDEV=$(tool_dev x) YDEV=$(tool_dev y)
# probe DEV: requests for three cables not addressed to it (an alert)
probe() { for i in 1 2 3; do "$TS" get "$T/$1" "$URL" "$PIN" "/v1/cables/$(printf '%032x' "$i")" >/dev/null 2>&1; done; }
# alerts_of FILE DEV: NOT-ADDRESSED alert lines of DEV in FILE
alerts_of() { jq -c --arg d "$2" 'select(.rule.name == "NOT-ADDRESSED" and .device.id == $d)' "$1" 2>/dev/null; }
has_alert() { [ -n "$(alerts_of "$@")" ]; }

# ---- a notification socket, read as systemd would: each line "PID STATE PORT" ----
# PID: the sender's (SO_PASSCRED); PORT: whether the switch's port accepted a
# connection when the datagram arrived ("open" or "closed")
python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
port = int(sys.argv[3])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        d, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = -1
        for lvl, typ, data in anc:
            if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        c = socket.socket()
        c.settimeout(1)
        state = "open" if c.connect_ex(("127.0.0.1", port)) == 0 else "closed"
        c.close()
        for line in d.decode(errors="replace").split("\n"):
            if line:
                f.write("%d %s %s\n" % (pid, line, state))
' "$T/notify" "$T/notified" "$PORT" &
NOTIFYD=$!
trap 'kill $NOTIFYD 2>/dev/null; t_cleanup' EXIT
wait_for test -S "$T/notify" || no "the notification socket"
: >"$T/notified"
n_of() { grep -c " $1 " "$T/notified"; }

# ---- no READY=1 from a switch that cannot listen ----
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$PORT" &
HOLD=$!
wait_for eval 'ss -ltnH "sport = :$PORT" | grep -q .' || no "hold the port"
NOTIFY_SOCKET="$T/notify" "$DENPOD" run --data "$T/sw" >"$T/busy.log" 2>&1
check "a switch whose port is taken fails ($(grep -o 'cannot listen.*' "$T/busy.log"))" \
	grep -q "cannot listen" "$T/busy.log"
sleep 0.3
check "... and never said READY=1" [ "$(n_of READY=1)" = 0 ]
kill "$HOLD"
wait "$HOLD" 2>/dev/null

# ---- READY=1, WATCHDOG=1, from the main process ----
NOTIFY_SOCKET="$T/notify" WATCHDOG_USEC=600000 start_switch || no "denpod did not start"
NET=$(pgrep -P "$PID" denpod | head -n 1)
check "READY=1 arrives" wait_for grep -q " READY=1 " "$T/notified"
check "... once, from the main process ($PID), when the port already answered: $(grep READY "$T/notified")" \
	[ "$(grep " READY=1 " "$T/notified")" = "$PID READY=1 open" ]
check "WATCHDOG=1 every 200 ms (WATCHDOG_USEC=600000)" wait_for eval '[ "$(n_of WATCHDOG=1)" -ge 3 ]'
check "... from the main process" [ -z "$(grep " WATCHDOG=1 " "$T/notified" | grep -v "^$PID ")" ]
kill -STOP "$NET"
sleep 0.5
w1=$(n_of WATCHDOG=1)
sleep 1
w2=$(n_of WATCHDOG=1)
check "no WATCHDOG=1 while the network process is stopped ($w1 then $w2 a second later)" [ "$w1" = "$w2" ]
kill -CONT "$NET"
check "... and again once it runs" wait_for eval '[ "$(n_of WATCHDOG=1)" -gt "$w2" ]'

# ---- logrotate with the shipped file: move away, SIGHUP, write on at the same path ----
probe x
check "an alert in the alert file" wait_for has_alert "$T/sw/alerts.jsonl" "$XDEV"
n_before=$(wc -l <"$T/sw/alerts.jsonl")
# the shipped file, for this switch's alert file and process (systemctl is not here)
sed -e "s#^/var/lib/denpod/alerts.jsonl #$T/sw/alerts.jsonl #" \
	-e "s#systemctl reload denpod.service#kill -HUP $PID#" "$ROOT/dist/denpod.logrotate" >"$T/lr.conf"
chmod 0644 "$T/lr.conf"
if command -v logrotate >/dev/null; then
	logrotate -f -s "$T/lr.state" "$T/lr.conf" >"$T/lr.out" 2>&1
	check "logrotate rotates the alert file ($(tr '\n' ' ' <"$T/lr.out"))" [ $? = 0 ]
else
	no "logrotate is not installed (scripts/setup installs it)"
	mv "$T/sw/alerts.jsonl" "$T/sw/alerts.jsonl-moved" && kill -HUP "$PID"
fi
OLD=$(ls "$T"/sw/alerts.jsonl-* 2>/dev/null | head -n 1)
check "the old file was moved away (${OLD##*/})" test -n "$OLD" -a -f "$OLD"
check "the switch reopened the alert file on SIGHUP" wait_for grep -q "SIGHUP: alert file reopened" "$T/run.log"
check "... a new file at the old path, 0600" [ "$(stat -c %a "$T/sw/alerts.jsonl" 2>/dev/null)" = 600 ]
probe y
check "a new alert goes to the new file" wait_for has_alert "$T/sw/alerts.jsonl" "$YDEV"
check "... and not to the old one" not has_alert "$OLD" "$YDEV"
check "nothing lost: the old file still holds its $n_before lines, the earlier alert among them" \
	eval '[ "$(wc -l <"$OLD")" = "$n_before" ] && has_alert "$OLD" "$XDEV"'
check "every line of both files is one JSON object" eval 'cat "$OLD" "$T/sw/alerts.jsonl" | jq -e . >/dev/null'
check "the confined network process still serves" \
	eval '[ "$("$TS" get "$T/x" "$URL" "$PIN" /v1/inbox 2>/dev/null | head -c 3)" = 200 ]'
check "... and was never killed by its sandbox" not grep -q "killed by" "$T/run.log"

# ---- STOPPING=1 at SIGTERM ----
check "SIGTERM stops the switch cleanly" stop_switch
check "STOPPING=1 came from the main process, after READY=1" \
	eval 'grep -n "" "$T/notified" | awk "/ STOPPING=1 /{s=\$0} / READY=1 /{r=\$0} END{exit !(s && r && s+0 > r+0)}"'
check "... once" [ "$(n_of STOPPING=1)" = 1 ]
# ---- every system call the switch makes passes the unit's SystemCallFilter ----
# (a call the filter refuses fails with EPERM: seccomp's would stop the
# switch, Landlock's would leave it serving with weaker confinement)
if command -v strace >/dev/null && command -v systemd-analyze >/dev/null; then
	nl=$(grep -c listening "$T/run.log") nh=$(grep -c "SIGHUP: alert file reopened" "$T/run.log")
	NOTIFY_SOCKET="$T/notify" strace -f -qq -o "$T/strace" "$DENPOD" run --data "$T/sw" >>"$T/run.log" 2>&1 &
	TRACER=$!
	wait_for eval '[ "$(grep -c listening "$T/run.log")" -gt "$nl" ]' || no "denpod did not start under strace"
	PID=$(pgrep -P "$TRACER" denpod | head -n 1)
	probe x
	kill -HUP "$PID"
	wait_for eval '[ "$(grep -c "SIGHUP: alert file reopened" "$T/run.log")" -gt "$nh" ]' ||
		no "no reopen under strace"
	kill -TERM "$PID"
	wait "$TRACER"
	PID=
	sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' "$T/strace" | sort -u >"$T/used"
	python3 - "$UNIT" "$T/used" >"$T/refused" <<'PY'
import subprocess, sys
def expand(name):
    if not name.startswith("@"):
        return {name}
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True,
                         text=True).stdout.splitlines()[1:]
    s = set()
    for t in (l.strip() for l in out):
        if t and not t.startswith("#"):
            s |= expand(t)
    return s
allowed = None
for line in open(sys.argv[1]):
    if not line.startswith("SystemCallFilter="):
        continue
    v = line.split("=", 1)[1].strip()
    neg = v.startswith("~")
    names = set().union(*(expand(n) for n in v.lstrip("~").split()))
    if allowed is None:
        allowed = set() if neg else names  # (the unit starts with an allow-list)
    elif neg:
        allowed -= names
    else:
        allowed |= names
used = set(open(sys.argv[2]).read().split())
print(" ".join(sorted(used - (allowed or set()))))
PY
	check "the switch made $(wc -l <"$T/used") kinds of system call under strace" [ "$(wc -l <"$T/used")" -gt 30 ]
	# fchown: SQLite gives the -wal and -shm files the database's owner, only when run as root
	check "the unit's SystemCallFilter allows each of them (refused: $(cat "$T/refused"))" \
		[ -z "$(sed 's/\bfchown\b//' "$T/refused" | tr -d ' ')" ]
else
	no "strace or systemd-analyze is not installed (scripts/setup installs both)"
fi
t_done it_unit
