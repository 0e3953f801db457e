#!/usr/bin/env bash
# it_conn.sh - the connection guard (denpod/conn.h) against a live switch:
# slow and silent TLS handshakes, slow request heads and bodies and idle
# kept-alive connections are closed at their deadlines while a large body at
# a decent rate is not; one address cannot hold more than its share; and at
# a small descriptor limit a crowd of connections neither spins the switch
# nor keeps an officer's send out.
. "$(dirname "$0")/lib.sh"
TOOLS=${TOOLS:-$BUILD} # the test tools (a switch of another build can be put under test)
SIEGE="$TOOLS/tests/tool_siege"
TS="$TOOLS/tests/tool_submit"
need_programs it_conn "$DENPOD" "$DENPO" "$SIEGE" "$TS"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="conn test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
val() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
SLOW="python3 $ROOT/tests/slowclient.py 127.0.0.1"

{
	switch_init && D post add HQ --hq && D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post HQ --clearance SECRET
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ
"$TS" enrol "$T/raw" tanaka.h HQ && D approve "$T/raw/request" --out "$T/raw/answer" >/dev/null ||
	no "enrol the raw device"
# short deadlines, small per-address caps
cat >>"$T/sw/denpod.conf" <<EOF
handshake_timeout=2
idle_timeout=2
request_timeout=2
min_upload_rate=2000
max_handshakes_per_address=5
max_connections_per_address=40
EOF
start_switch || no "denpod did not start"
printf '1. (U) Connection test.\n' >"$T/body"
sends() { # N: that many sends from sato.k, each on a fresh connection; fails if one does
	local i
	for i in $(seq "$1"); do
		dp sato.k send --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN --subject "c$i" \
			--body "$T/body" >/dev/null 2>>"$T/send.err" || return 1
	done
}

# ---- deadlines: connections that never finish their handshake ----
"$SIEGE" 127.0.0.1 "$PORT" slowtls 10 --seconds 6 --once --from 127.0.2.1 --addrs 10 >"$T/s1"
check "slow handshakes: all 10 closed by the switch ($(val closed "$T/s1"))" [ "$(val closed "$T/s1")" = 10 ]
check "slow handshakes: closed 2-5 s after connecting ($(val life_min_ms "$T/s1")-$(val life_max_ms "$T/s1") ms)" \
	between "$(val life_min_ms "$T/s1")" 1900 5000
check "... every one of them" between "$(val life_max_ms "$T/s1")" 1900 5000
"$SIEGE" 127.0.0.1 "$PORT" idle 10 --seconds 6 --once --from 127.0.3.1 --addrs 10 >"$T/s2"
check "silent connections: all 10 closed ($(val closed "$T/s2"))" [ "$(val closed "$T/s2")" = 10 ]
check "silent connections: closed 2-5 s after connecting ($(val life_min_ms "$T/s2")-$(val life_max_ms "$T/s2") ms)" \
	between "$(val life_min_ms "$T/s2")" 1900 5000
check "... every one of them" between "$(val life_max_ms "$T/s2")" 1900 5000

# ---- deadlines: an enrolled device that is slow ----
raw() { $SLOW "$PORT" "$T/raw/tls.crt" "$T/raw/tls.pem" "$@"; }
r=$(raw slowhead 10)
check "a request head sent a byte a second is closed at its deadline (got: $r)" \
	awk -v r="$r" 'BEGIN { split(r, a, " "); exit !(a[1] == "closed-after" && a[2] >= 1.5 && a[2] <= 5) }'
r=$(raw slowbody 10)
check "a body sent 10 bytes a second is closed at its deadline (got: $r)" \
	awk -v r="$r" 'BEGIN { split(r, a, " "); exit !(a[1] == "closed-after" && a[2] >= 1.5 && a[2] <= 5) }'
r=$(raw keepalive 10)
check "a kept-alive connection with no next request is closed (got: $r)" \
	awk -v r="$r" 'BEGIN { split(r, a, " "); exit !(a[1] == "closed-after" && a[2] >= 1.5 && a[2] <= 5) }'
r=$(raw upload)
check "a 40 kB body at 8 kB/s (5 s, past request_timeout) is read and answered (got: $r)" \
	awk -v r="$r" 'BEGIN { split(r, a, " "); exit !(a[1] == "answered" && a[2] == 400 && a[3] >= 4) }'

# ---- one address's share ----
"$SIEGE" 127.0.0.1 "$PORT" idle 30 --seconds 1.5 --once --from 127.0.0.5 >"$T/s3"
check "one address: at most 5 handshakes stay open ($(val open "$T/s3") of 30)" [ "$(val open "$T/s3")" -le 5 ]
check "one address: the others were closed at once ($(val closed "$T/s3"))" [ "$(val closed "$T/s3")" -ge 25 ]
"$SIEGE" 127.0.0.1 "$PORT" idle 30 --seconds 4 --from 127.0.0.6 >"$T/s4" &
SP=$!
sleep 0.5
check "an officer's sends go through while another address floods" sends 3
wait "$SP"
check "the switch said what it closed, in a summary line" \
	grep -q 'denpod: connections: .* closed to make room' "$T/run.log"

# ---- a small descriptor limit ----
stop_switch || no "denpod stopped uncleanly"
n0=$(grep -c listening "$T/run.log")
(ulimit -n 96 && exec "$DENPOD" run --data "$T/sw") >>"$T/run.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ "$(grep -c listening "$T/run.log")" -gt "$n0" ] && break; sleep 0.1; done
check "at 96 descriptors the switch caps its connections below the limit" \
	grep -q 'at most [1-4][0-9] connections' "$T/run.log"
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; } # utime + stime, clock ticks
"$SIEGE" 127.0.0.1 "$PORT" idle 300 --seconds 12 --once --from 127.0.1.1 --addrs 100 >"$T/s5" &
SP=$!
sleep 1
c0=$(cpu)
sleep 3
c1=$(cpu)
tick=$(getconf CLK_TCK)
check "at the limit the switch does not spin ($((c1 - c0)) ticks of CPU in 3 s; $tick a second)" \
	[ $((c1 - c0)) -lt $((tick * 3 / 5)) ]
check "at the limit, an officer's sends go through ($(tail -n 1 "$T/send.err" 2>/dev/null))" sends 3
wait "$SP"
check "... and it kept taking connections: 300 opened, most closed to make room ($(val closed "$T/s5"))" \
	[ "$(val closed "$T/s5")" -ge 200 ]
check "no accept() error loop in the log ($(grep -c 'Too many open files' "$T/run.log") lines)" \
	[ "$(grep -c 'Too many open files' "$T/run.log")" -le 1 ]
check "the switch still serves after the crowd" sends 1
stop_switch || no "denpod stopped uncleanly"
t_done it_conn
