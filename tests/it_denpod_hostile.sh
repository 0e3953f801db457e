#!/usr/bin/env bash
# Hostile tests against a live denpod on 127.0.0.1: malformed, forged,
# oversize and unauthorised requests get their exact error and store nothing;
# suspension takes effect at once; long-poll wakes; restart keeps state.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
if [ ! -x "$DENPOD" ] || [ ! -x "$TS" ]; then
	skip "denpod or tests/tool_submit not built"
	t_done it_denpod_hostile
	exit 0
fi
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
PORT=$(free_port)
URL=https://127.0.0.1:$PORT
export DENPOD_DATA=$T/sw
D() { "$DENPOD" "$@"; }
not() { ! "$@"; }
start() { "$DENPOD" run --data "$T/sw" 2>>"$T/run.log" & PID=$!; for _ in $(seq 50); do
	"$TS" get "$T/a" "$URL" "$PIN" /v1/health >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
# status_of "CMD..." -> first word of the tool's output (the HTTP status)
st() { "$TS" "$@" 2>/dev/null | head -c 4 | tr -d ' '; }
err() { "$TS" "$@" 2>/dev/null | sed 's/^[0-9]* //' | jq -r .error 2>/dev/null; }
ncables() { D cable list | wc -l; }

D init --data "$T/sw" --url "$URL" --listen "127.0.0.1:$PORT" >"$T/init.out"
check "init exit 0" [ $? = 0 ]
check "data dir 0700" [ "$(stat -c %a "$T/sw")" = 700 ]
check "sign.key 0600" [ "$(stat -c %a "$T/sw/sign.key")" = 600 ]
D init --data "$T/sw" >/dev/null 2>&1; check "second init refused (exit 1)" [ $? = 1 ]
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
D post add HQ --hq >/dev/null && D post add TOKYO >/dev/null && D post add PARIS >/dev/null
D collective add "ALL POSTS" TOKYO PARIS >/dev/null
D officer add tanaka.h --post HQ --clearance TS --roles COMMS >/dev/null
D officer add sato.k --post TOKYO --clearance SECRET >/dev/null
D officer add low.p --post PARIS --clearance CONFIDENTIAL >/dev/null
D officer add x --post NOWHERE --clearance S >/dev/null 2>&1; check "officer at unknown post: exit 1" [ $? = 1 ]
D officer add y --post TOKYO >/dev/null 2>&1; check "officer without clearance: exit 2" [ $? = 2 ]
for dv in a:tanaka.h:HQ b:sato.k:TOKYO c:low.p:PARIS u:sato.k:TOKYO; do
	IFS=: read -r d o p <<<"$dv"; "$TS" enrol "$T/$d" "$o" "$p"
done
for d in a b c; do D approve "$T/$d/request" --out "$T/$d/answer" >/dev/null || no "approve $d"; done
D approve "$T/a/request" --out "$T/a/answer2" >/dev/null 2>&1; check "approve twice: exit 1" [ $? = 1 ]
sed 's/^Officer: sato.k/Officer: tanaka.h/' "$T/u/request" >"$T/forged"
D approve "$T/forged" --out "$T/forged.ans" >/dev/null 2>&1
check "forged request refused" [ $? = 1 ] && check "no answer for a forged request" [ ! -e "$T/forged.ans" ]
start || no "denpod did not start"

check "health 200" [ "$(st get "$T/a" "$URL" "$PIN" /v1/health)" = 200 ]
# an unenrolled key is refused in the TLS handshake, before it can send a body
check "unknown device: refused in the handshake" [ "$(st get "$T/u" "$URL" "$PIN" /v1/inbox)" = 0 ]
check "unknown device: the switch says why" grep -q 'TLS handshake refused: key [0-9a-f]*\.\.\. belongs to no enrolled device' "$T/run.log"
check "unknown device cannot upload a body" not curl -sk --cert "$T/u/tls.crt" --key "$T/u/tls.pem" \
	--data-binary @"$T/u/request" "$URL/v1/cables" -o /dev/null
# ... and it is told why: the alert is not reset away by the request that follows
# the certificate at once (TLS 1.3), as it was when the switch closed at once
head -c 200000 /dev/zero >"$T/big"
told=0
for _ in $(seq 10); do
	curl -sSk --cert "$T/u/tls.crt" --key "$T/u/tls.pem" --data-binary @"$T/big" \
		"$URL/v1/cables" -o /dev/null 2>"$T/curl.err"
	grep -q "alert unknown ca" "$T/curl.err" && told=$((told + 1))
done
check "unknown device: told 'unknown ca' 10 times of 10 ($told; $(head -c 200 "$T/curl.err"))" [ "$told" = 10 ]
check "wrong pin: transport failure" [ "$(st get "$T/a" "$URL" "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" /v1/health)" = 0 ]
check "TLS 1.2 refused" not curl -sk --tlsv1.2 --tls-max 1.2 "$URL/v1/health" -o /dev/null
check "no client cert refused" not curl -sk "$URL/v1/health" -o /dev/null

check "valid cable 201" [ "$(st send "$T/a" "$URL" "$PIN" TOKYO SECRET IMMEDIATE)" = 201 ]
N=$(ncables)
check "one cable stored" [ "$N" = 1 ]
# cables are encrypted to post-quantum keys only: the directory hands out key type 3 with
# an age1pq1 recipient, and an envelope announcing a classic X25519 key (type 1) is refused
RES=$("$TS" get "$T/a" "$URL" "$PIN" "/v1/directory/resolve?to=TOKYO&classification=SECRET" | sed 's/^200 //')
check "resolve: every key_type is 3" [ "$(jq '[.devices[].key_type] | unique' <<<"$RES" | tr -d ' \n')" = "[3]" ]
check "resolve: every recipient is age1pq1 (1959 chars)" \
	[ "$(jq -r '.devices[].age_recipient | select(startswith("age1pq1") and length == 1959)' <<<"$RES" | wc -l)" = \
	  "$(jq '.devices | length' <<<"$RES")" ]
check "classic key type 1: 400 unsupported" \
	[ "$(err send "$T/a" "$URL" "$PIN" TOKYO SECRET IMMEDIATE --key-type 1)" = unsupported ]
check "classic key type 1: the message says post-quantum" \
	grep -q "post-quantum" <<<"$("$TS" send "$T/a" "$URL" "$PIN" TOKYO SECRET IMMEDIATE --key-type 1 2>/dev/null)"
check "classic key type: nothing stored" [ "$(ncables)" = 1 ]
# a length prefix of 16 then 16 bytes that are not an envelope
printf '\000\000\000\020DPXX0000000000000' >"$T/junk"
check "junk body: 400 parse" [ "$(err post "$T/a" "$URL" "$PIN" /v1/cables "$T/junk")" = parse ]
: >"$T/empty"
check "empty body: 400" [ "$(st post "$T/a" "$URL" "$PIN" /v1/cables "$T/empty")" = 400 ]
"$TS" envelope "$T/a" "$URL" "$PIN" TOKYO SECRET ROUTINE "$T/good" >/dev/null
head -c 100 "$T/good" >"$T/trunc"
check "truncated: 400 parse" [ "$(err post "$T/a" "$URL" "$PIN" /v1/cables "$T/trunc")" = parse ]
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-1]^=1; open(sys.argv[2],"wb").write(b)' "$T/good" "$T/tamper"
check "payload tampered: 403 signature" [ "$(err post "$T/a" "$URL" "$PIN" /v1/cables "$T/tamper")" = signature ]
check "someone else's envelope: 403 denied" [ "$(err post "$T/b" "$URL" "$PIN" /v1/cables "$T/good")" = denied ]
# a submission that claims FLASH is checked at once on the loop (denpod/pool.h): checked all the same
"$TS" envelope "$T/a" "$URL" "$PIN" TOKYO SECRET FLASH "$T/fgood" >/dev/null
python3 - "$T/fgood" "$T" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
elen = int.from_bytes(b[:4], "big")
t = bytearray(b); t[-1] ^= 1; open(sys.argv[2] + "/ftamper", "wb").write(t)      # the payload
s = bytearray(b); s[4 + elen - 1] ^= 1; open(sys.argv[2] + "/fsig", "wb").write(s)  # the envelope's signature
open(sys.argv[2] + "/ftrunc", "wb").write(b[:-10])                                   # the payload cut short
PY
check "FLASH, payload tampered: 403 signature" [ "$(err post "$T/a" "$URL" "$PIN" /v1/cables "$T/ftamper")" = signature ]
check "FLASH, envelope signature broken: 403 signature" [ "$(err post "$T/a" "$URL" "$PIN" /v1/cables "$T/fsig")" = signature ]
check "FLASH, payload cut short: 400 parse" [ "$(err post "$T/a" "$URL" "$PIN" /v1/cables "$T/ftrunc")" = parse ]
check "FLASH, someone else's envelope: 403 denied" [ "$(err post "$T/b" "$URL" "$PIN" /v1/cables "$T/fgood")" = denied ]
check "clearance: 403 clearance" [ "$(err send "$T/a" "$URL" "$PIN" PARIS CONFIDENTIAL FLASH --as SECRET)" = clearance ]
check "nothing stored on rejections" [ "$(ncables)" = "$N" ]
head -c $((64 * 1024 * 1024 + 200000)) /dev/zero >"$T/huge"
check "oversize body: 413" [ "$(st post "$T/a" "$URL" "$PIN" /v1/cables "$T/huge")" = 413 ]
rm -f "$T/huge"
check "good submission 201" [ "$(st post "$T/a" "$URL" "$PIN" /v1/cables "$T/good")" = 201 ]
MRN=$(D cable list | head -1 | awk '{print $1, $2, $3}')
R=$("$TS" post "$T/a" "$URL" "$PIN" /v1/cables "$T/good")
check "retry: 200" [ "${R%% *}" = 200 ]
check "retry: same MRN, duplicate" [ "$(sed 's/^200 //' <<<"$R" | jq -r '"\(.mrn) \(.duplicate)"')" = "$MRN true" ]
# the same cable sent 8 times at once: copies land in the batch being
# committed and in the next one; one MRN, one 201, the rest duplicates.  A
# FLASH's copies are checked on the loop, not by the workers (denpod/pool.h).
twins() { # PRECEDENCE
	local p=$1 TW=() i N0
	"$TS" envelope "$T/a" "$URL" "$PIN" TOKYO SECRET "$p" "$T/twin$p" >/dev/null
	N0=$(ncables)
	for i in 1 2 3 4 5 6 7 8; do "$TS" post "$T/a" "$URL" "$PIN" /v1/cables "$T/twin$p" >"$T/twin$p.$i" & TW+=($!); done
	wait "${TW[@]}"
	cat "$T/twin$p".? >"$T/twins"
	check "$p, concurrent retries: one 201, the rest 200" \
		[ "$(grep -c '^201 ' "$T/twins") $(grep -c '^200 ' "$T/twins")" = "1 7" ]
	check "$p, concurrent retries: one MRN" [ "$(sed 's/^[0-9]* //' "$T/twins" | jq -r .mrn | sort -u | wc -l)" = 1 ]
	check "$p, concurrent retries: stored once" [ "$(ncables)" = $((N0 + 1)) ]
}
twins ROUTINE
twins FLASH
# the same new cable sent 20 times by clients that hang up as soon as the request is out, while
# a worker checks its signature (denpod/pool.h) or the writer commits it: the switch serves on,
# a vanished client is never answered into a freed connection (the ASan build), and the retry
# that waits for its answer gets the one MRN, stored once
"$TS" envelope "$T/a" "$URL" "$PIN" TOKYO SECRET ROUTINE "$T/gone" >/dev/null
N0=$(ncables)
python3 - "$T/a/tls.crt" "$T/a/tls.pem" "$PORT" "$T/gone" <<'PY'
import socket, ssl, sys
crt, key, port, body = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4], "rb").read()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(crt, key)
req = b"POST /v1/cables HTTP/1.1\r\nHost: switch\r\nContent-Length: %d\r\n\r\n" % len(body) + body
for _ in range(20):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    s.sendall(req)
    s.close()
PY
R=$("$TS" post "$T/a" "$URL" "$PIN" /v1/cables "$T/gone")
check "clients gone mid-submission: the retry is answered 2xx (${R:0:3})" [ "${R:0:1}" = 2 ]
check "clients gone mid-submission: stored once" [ "$(ncables)" = $((N0 + 1)) ]
check "clients gone mid-submission: the switch serves on" [ "$(st get "$T/a" "$URL" "$PIN" /v1/health)" = 200 ]
check "unknown endpoint 404" [ "$(err get "$T/a" "$URL" "$PIN" /v1/nothing)" = not_found ]
check "bad cable id 400" [ "$(st get "$T/a" "$URL" "$PIN" /v1/cables/xyz)" = 400 ]
check "overdue needs COMMS" [ "$(err get "$T/b" "$URL" "$PIN" /v1/overdue)" = denied ]
check "overdue for COMMS 200" [ "$(st get "$T/a" "$URL" "$PIN" /v1/overdue)" = 200 ]

# suspension takes effect on the next request; revocation is final
B=$(D device list | awk '$2=="sato.k" {print substr($1,1,10)}')
"$TS" envelope "$T/a" "$URL" "$PIN" TOKYO SECRET ROUTINE "$T/tosus" >/dev/null # made while sato.k is active
D device suspend "$B" >/dev/null
check "suspended: 403 device" [ "$(err get "$T/b" "$URL" "$PIN" /v1/inbox)" = device ]
check "a new cable to a suspended device: 403 device" [ "$(err post "$T/a" "$URL" "$PIN" /v1/cables "$T/tosus")" = device ]
# a retry of a cable stored before is answered as the duplicate it is, not judged again
# (denpod/api_cable.c, refused): the judgement now would refuse it, as the check above shows
R=$("$TS" post "$T/a" "$URL" "$PIN" /v1/cables "$T/good")
check "a stored cable retried to a suspended device: 200, same MRN, duplicate" \
	[ "${R%% *} $(sed 's/^200 //' <<<"$R" | jq -r '"\(.mrn) \(.duplicate)"')" = "200 $MRN true" ]
D device reinstate "$B" >/dev/null
check "reinstated: 200" [ "$(st get "$T/b" "$URL" "$PIN" /v1/inbox)" = 200 ]
C=$(D device list | awk '$2=="low.p" {print $1}')
D device revoke "$C" --operator ops.a >/dev/null && D device revoke "$C" --operator ops.b >/dev/null # two operators
check "revoked: 403" [ "$(st get "$T/c" "$URL" "$PIN" /v1/inbox)" = 403 ]
D device reinstate "$C" >/dev/null 2>&1; check "reinstate revoked: exit 1" [ $? = 1 ]
D device suspend zz >/dev/null 2>&1; check "bad device id: exit 1" [ $? = 1 ]

# fetch / ack / long-poll
ID=$("$TS" get "$T/b" "$URL" "$PIN" /v1/inbox | sed 's/^200 //' | jq -r '.cables[0].cable_id')
check "revoked device cannot fetch: 403" [ "$(st get "$T/c" "$URL" "$PIN" /v1/cables/$ID)" = 403 ]
check "originator may fetch: 200" [ "$(st get "$T/a" "$URL" "$PIN" /v1/cables/$ID)" = 200 ]
D officer add other.o --post TOKYO --clearance S >/dev/null
"$TS" enrol "$T/o" other.o TOKYO && D approve "$T/o/request" --out "$T/o/answer" >/dev/null
check "non-recipient fetch: 404 not_found" [ "$(err get "$T/o" "$URL" "$PIN" /v1/cables/$ID)" = not_found ]
check "non-recipient ack: 404" [ "$(st post "$T/o" "$URL" "$PIN" /v1/cables/$ID/ack "$T/empty")" = 404 ]
check "status for others: 404" [ "$(st get "$T/o" "$URL" "$PIN" /v1/cables/$ID/status)" = 404 ]
check "fetch 200" [ "$(st get "$T/b" "$URL" "$PIN" /v1/cables/$ID)" = 200 ]
for id in $("$TS" get "$T/b" "$URL" "$PIN" /v1/inbox | sed 's/^200 //' | jq -r '.cables[].cable_id'); do
	"$TS" post "$T/b" "$URL" "$PIN" /v1/cables/$id/ack "$T/empty" >/dev/null || no "ack $id"
done
check "queue empty after acks" [ "$("$TS" get "$T/b" "$URL" "$PIN" /v1/inbox | sed 's/^200 //' | jq '.cables|length')" = 0 ]
S=$("$TS" get "$T/a" "$URL" "$PIN" /v1/cables/$ID/status | sed 's/^200 //')
check "status shows the ack" [ "$(jq -r '.recipients[0].acked != null' <<<"$S")" = true ]
t0=$(date +%s%N)
"$TS" get "$T/b" "$URL" "$PIN" "/v1/inbox?wait=20" >"$T/lp" &
LP=$!
sleep 0.5
"$TS" send "$T/a" "$URL" "$PIN" TOKYO SECRET FLASH >/dev/null
wait $LP
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "long-poll woke with the cable (${ms} ms)" [ "$ms" -lt 5000 ]
check "long-poll answer holds one cable" [ "$(sed 's/^200 //' "$T/lp" | jq '.cables|length')" = 1 ]

# clean shutdown and restart keep everything
N=$(ncables)
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" = 0 ] || tail -5 "$T/run.log"
check "SIGTERM: exit 0" [ "$rc" = 0 ]
start || no "restart"
check "restart keeps cables" [ "$(ncables)" = "$N" ]
check "restart keeps the queue" [ "$("$TS" get "$T/b" "$URL" "$PIN" /v1/inbox | sed 's/^200 //' | jq '.cables|length')" = 1 ]

# resolve names are checked like the cable format's: escapes and bytes that
# are not UTF-8 get 400 parse with a JSON body, never an empty success
check "resolve, bad name: 400 parse" [ "$(err get "$T/a" "$URL" "$PIN" "/v1/directory/resolve?to=%1b%5b31m")" = parse ]
check "resolve, not UTF-8: 400 parse" [ "$(err get "$T/a" "$URL" "$PIN" "/v1/directory/resolve?to=TOKYO&captions=%ff")" = parse ]
check "resolve, bad attn: 400 parse" [ "$(err get "$T/a" "$URL" "$PIN" "/v1/directory/resolve?to=TOKYO&attn=-x")" = parse ]
check "resolve, good: 200" [ "$(st get "$T/a" "$URL" "$PIN" "/v1/directory/resolve?to=TOKYO&attn=sato.k")" = 200 ]

# one device holds at most 8 long-polls: a 9th answers the oldest at once
LPS=()
for i in 1 2 3 4 5 6 7 8 9; do
	"$TS" get "$T/b" "$URL" "$PIN" "/v1/inbox?wait=30&after=999999999" >"$T/lp.$i" 2>/dev/null &
	LPS+=($!)
	sleep 0.3
done
sleep 1
check "waiter cap: the oldest long-poll was answered" not kill -0 "${LPS[0]}" 2>/dev/null
check "waiter cap: its answer is the queue" [ "$(sed 's/^200 //' "$T/lp.1" | jq '.cables|length')" = 1 ]
check "waiter cap: the others still wait" kill -0 "${LPS[1]}" "${LPS[8]}" 2>/dev/null
"$TS" send "$T/a" "$URL" "$PIN" TOKYO SECRET FLASH >/dev/null
wait "${LPS[@]}"
check "waiter cap: a new cable answers the 8 held" [ "$(cat "$T"/lp.? | grep -c '^200 ')" = 9 ]

# a path with an escape sequence and a fake log line is logged as printable ASCII only
check "escape in the path: 404" [ "$(curl -sk --cert "$T/a/tls.crt" --key "$T/a/tls.pem" \
	--request-target $'/v1/\e[2J\rdenpod:FAKE' -o /dev/null -w '%{http_code}' "$URL/")" = 404 ]
check "the log holds no control character" not grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$T/run.log"
check "the request log names no made-up path: endpoint=other" grep -qE '^denpod: request time=[^ ]+ src=127\.0\.0\.1 dev=[0-9a-f]{12} method=GET endpoint=other status=404 latency_ms=' "$T/run.log"
check "  nor any of its text" not grep -qF 'FAKE' "$T/run.log"
# a certificate that is not Ed25519 never gets past the handshake
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/x.key" \
	-out "$T/x.crt" -subj /CN=x -days 1 2>/dev/null
check "P-256 client certificate refused in the handshake" not curl -sk --cert "$T/x.crt" \
	--key "$T/x.key" "$URL/v1/health" -o /dev/null
check "log has no payload or keys" not grep -qiE 'BEGIN|PRIVATE|sha256//' "$T/run.log"
t_done it_denpod_hostile
