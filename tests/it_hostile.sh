#!/usr/bin/env bash
# it_hostile.sh - a switch under its root's control answers the real denpo
# client (tests/hostile_switch.py, holding the switch's own TLS key).  A real
# switch serves two posts and three officers (one an auditor); a cable is
# sent, listed, read, acknowledged; each command's exchange is recorded
# through the hostile switch acting as a proxy, from a snapshot of the
# device's HOME.  Then each answer a command reads is replayed changed
# (truncated, not JSON, wrong types, bad base64, proofs of the wrong length,
# numbers out of range, huge or repeated arrays, missing members, altered
# hashes and signatures, a cable cut short or flipped, a checkpoint with a
# bad signature, ...) to the command run again from that snapshot.  Every
# run: no sanitizer report, exit status < 128.  A refused answer (the matrix
# below says which): exit 1..127 with a message naming what was wrong, the
# cable's text never printed, nothing encrypted or submitted, nothing in HOME
# changed but evidence and refusal records, the stored checkpoint a verified
# one.  A checkpoint refused at upkeep: a warning saying so, the stored one
# kept.  A change that leaves the answer valid (an unknown member): the
# command works, so each check can fail both ways.  Each build runs the
# valid rows and half of the refused ones, the ASan build the odd rows and
# the normal build the even ones, so a CI run (both builds) plays every row
# once (HOSTILE_HALF= runs all in one build; HOSTILE_ROWS=REGEX only the rows
# "LABEL MUTATION" it matches).
. "$(dirname "$0")/lib.sh"
HS="python3 $ROOT/tests/hostile_switch.py"
TAGE="$BUILD/tests/tool_age"
need_programs it_hostile "$DENPOD" "$DENPO" "$TAGE"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="hostile test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1
HPORT=$(free_port) HPID=
H="$T/hostile"
mkdir -p "$H/keys"
trap '[ -z "$HPID" ] || kill "$HPID" 2>/dev/null; t_cleanup' EXIT

# ---- the real switch: the devices' url is the hostile switch's port ----
{
	D init --data "$T/sw" --url "https://127.0.0.1:$HPORT" --listen "127.0.0.1:$PORT" &&
		D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance SECRET &&
		D officer add aud.k --post HQ --clearance CONFIDENTIAL --roles AUDIT
} >"$T/init.out" 2>&1 || no "switch setup: $(cat "$T/init.out")"
enrol_devices sato.k:HQ ono.r:TOKYO aud.k:HQ
start_switch || no "denpod did not start"
# each device's TLS key, for the proxy's upstream connections (the adversary has the switch, not the devices:
# only the recording needs them)
for o in sato.k ono.r aud.k; do
	TOOL_AGE_PASSPHRASE=$DENPO_PASSPHRASE "$TAGE" decrypt -p <"$T/$o/keystore.age" | tail -c +40 | head -c 32 >"$H/keys/$o.seed"
	$HS pem "$H/keys/$o.seed" >"$H/keys/$o.key" &&
		openssl req -x509 -new -key "$H/keys/$o.key" -subj "/CN=$o" -days 2 -out "$H/keys/$o.crt" 2>/dev/null ||
		no "the TLS key of $o"
done
echo "record setup sato.k" >"$H/control"
$HS "$HPORT" "$H" "$T/sw/tls.key" "$PORT" >"$T/hostile.out" 2>"$T/hostile.err" &
HPID=$!
for _ in $(seq 50); do grep -q ready "$T/hostile.out" && break; sleep 0.1; done
check "the hostile switch started" grep -q ready "$T/hostile.out"

# ---- recording: each command's exchange, from a snapshot of its device's HOME ----
MARK="HOSTILE-BODY-MARKER-4471"
printf '1. (S) %s the text of the cable.\n' "$MARK" >"$T/body"
declare -A DEV ARGS
# rec LABEL DEVICE ARGS...: HOME kept as $T/snap/LABEL, then the command through the proxy
rec() {
	local l=$1 d=$2
	shift 2
	DEV[$l]=$d ARGS[$l]="$*"
	mkdir -p "$T/snap" && cp -a "$T/$d" "$T/snap/$l"
	echo "record $l $d" >"$H/control"
	dp "$d" "$@" >"$T/rec-$l.out" 2>"$T/rec-$l.err" || no "recording $l: $(cat "$T/rec-$l.err")"
}
for o in sato.k ono.r aud.k; do rec first-$o $o inbox; done
sleep 0.5 # the signer covers the first contacts' keys
rec send sato.k send --body "$T/body" --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject "hostile"
ID=$(D cable list | awk 'NR == 1 {print $4}')
rec inbox ono.r inbox
rec inboxj ono.r --json inbox
rec read ono.r read "$ID"
rec ack ono.r ack "$ID"
rec status sato.k status "$ID"
rec sent sato.k sent
rec directory sato.k directory
rec audit aud.k audit sync
check "the reader saw the cable's text through the recording proxy" grep -q "$MARK" "$T/rec-read.out"

# ---- replay ----
# manifest DIR: every file under DIR with its hash
manifest() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
# play LABEL MUTATION TARGET: HOME as before the recording, the command against the changed answers;
# $rc, $T/out, $T/err, $T/changed (files of HOME that differ), $T/reqs (this run's requests)
play() {
	local l=$1 d=${DEV[$1]}
	rm -rf "${T:?}/$d" && cp -a "$T/snap/$l" "$T/$d"
	echo "replay $l $2 $3" >"$H/control"
	local n0
	n0=$(wc -l <"$H/requests.log")
	# shellcheck disable=SC2086
	dp "$d" ${ARGS[$l]} >"$T/out" 2>"$T/err"
	rc=$?
	tail -n +"$((n0 + 1))" "$H/requests.log" >"$T/reqs"
	[ -f "$T/snap/$l.sums" ] || manifest "$T/snap/$l" >"$T/snap/$l.sums"
	diff "$T/snap/$l.sums" <(manifest "$T/$d") | sed -n 's/^[<>] [0-9a-f]*  \.\///p' | sort -u >"$T/changed"
}
# The state each command leaves after an unchanged replay: its stored checkpoint is the only verified
# one a changed replay may also leave (besides the one it started with).
mkdir -p "$T/good"
for l in send inbox inboxj read ack status sent directory audit; do
	play "$l" none x
	cp "$T/${DEV[$l]}/log/checkpoint" "$T/good/$l.ckpt" 2>/dev/null || no "replay $l: no checkpoint"
done
# Files a refusal may leave in HOME: evidence and refusal records (docs/transparency.md), the
# audit mirror's lock, an originating device checked (denpo/origin.h), the officer index record the
# upkeep verified (transparency.md §6); the checkpoint is compared.
ALLOWED='^(devices/record|log/refusals|log/unproven-[0-9]+\.txt|log/fork-evidence-[0-9]+\.txt|audit/lock|origins/[0-9a-f]+|log/checkpoint)$'
ALLOWEDretry='|^sent/[0-9a-f]{32}\.(cable|json)$' # the outgoing cable kept for `denpo retry`
# the same tree under the switch's same signature (the device's own cosignature line below is remade)
same_ckpt() { [ "$(head -n 5 "$T/${DEV[$1]}/log/checkpoint")" = "$(head -n 5 "$2")" ]; }
# chk DESCRIPTION COMMAND...: check, with what the run printed and changed when it fails
chk() {
	local d=$1
	shift
	if "$@"; then ok; else
		no "$d [exit $rc: $(grep -v passphrase "$T/err" | head -n 3 | tr '\n' ' ')] [changed: $(tr '\n' ' ' <"$T/changed")]"
	fi
}
# judge LABEL MUTATION TARGET EXPECT [REGEX]: the checks of one run (play done)
#   ok    a valid answer: the command works
#   warn  the log's upkeep refuses (a warning naming why) and the command goes on without it
#   no    refused: exit 1..127 naming why; nothing shown, sent or kept but evidence
#   retry the submission's answer is refused: the cable stays in sent/ to be sent again
judge() {
	local l=$1 what="$1 $3 $2"
	if grep -qE "Sanitizer|runtime error" "$T/err"; then
		no "$what: sanitizer report: $(grep -m1 -E "Sanitizer|runtime error" "$T/err")"
		return
	fi
	[ "$rc" -lt 128 ] || { no "$what: crashed (exit $rc)"; return; }
	[ "$2" = none ] || chk "$what: the mutation matched a request" grep -q mutated "$T/reqs"
	case $4 in
	ok)
		case $l in
		send) chk "$what: encrypted" grep -q "^encrypting to 1 device: ono.r@TOKYO" "$T/err"
			chk "$what: submitted" grep -q "POST /v1/cables " "$T/reqs" ;;
		*) chk "$what: works" [ "$rc" = 0 ] ;;
		esac
		case $l in
		read) chk "$what: the cable is shown" grep -q "$MARK" "$T/out" ;;
		inbox | inboxj) chk "$what: the cable is listed" grep -q "26 HQ 000001" "$T/out" ;;
		esac
		chk "$what: the verified checkpoint kept" same_ckpt "$l" "$T/good/$l.ckpt" ;;
	warn)
		chk "$what: says why" grep -qE "$5" "$T/err"
		chk "$what: the stored checkpoint is not replaced" same_ckpt "$l" "$T/snap/$l/log/checkpoint"
		chk "$what: the cable's text not shown" not grep -q "$MARK" "$T/out" "$T/err" ;;
	no | retry)
		chk "$what: refused" [ "$rc" -ge 1 ]
		chk "$what: says why" grep -qE "$5" "$T/err"
		chk "$what: the cable's text not shown" not grep -q "$MARK" "$T/out" "$T/err"
		local allow=$ALLOWED
		[ "$4" = retry ] && allow+=$ALLOWEDretry
		chk "$what: HOME unchanged but for evidence" not grep -qvE "$allow" "$T/changed"
		chk "$what: the checkpoint kept is a verified one" eval \
			'same_ckpt "$l" "$T/snap/$l/log/checkpoint" || same_ckpt "$l" "$T/good/$l.ckpt"'
		if [ "$l" = send ] && [ "$4" = no ]; then
			chk "$what: nothing submitted" not grep -q "POST /v1/cables " "$T/reqs"
			chk "$what: encrypted to nobody" not grep -q "^encrypting to" "$T/err"
		fi ;;
	esac
}
# The matrix: LABEL TARGET MUTATION EXPECT [REGEX] (TARGET: a regular expression on the answer's path).
# Each decoder of the client meets truncation, a wrong type, a missing member, bad base64, a proof of
# the wrong length, a number out of range, a huge array and a changed hash or signature somewhere below.
CK='^/v1/log/checkpoint$' CABLE='^/v1/cables/[0-9a-f]+$'
matrix() {
	cat <<'M'
status	CK	note:sig	warn	checkpoint it sent .* does not verify under this device's log key
status	CK	note:size	warn	checkpoint it sent .* does not verify
status	CK	note:nosig	warn	checkpoint it sent .* does not verify
status	CK	cut	warn	checkpoint it sent .* does not verify
status	CK	empty	warn	empty log checkpoint
status	CK	status500	warn	HTTP 500
status	/consistency	short:proof	no	log proof answer is malformed
status	/consistency	grow:proof	no	different log history
status	/consistency	flip:proof	no	different log history
status	/consistency	huge:proof	no	log proof answer is malformed|larger than allowed
status	/consistency	b64:proof	no	log proof answer is malformed
status	/consistency	type:proof	no	log proof answer is malformed
status	/consistency	big:size	no	log proof answer is not a JSON object \(too big integer
status	/consistency	truncate	no	log proof answer is not a JSON object
status	/consistency	extra	ok
status	/cosign	notjson	ok
status	/status	notjson	no	status answer is not a JSON object
status	/status	deep	no	status answer is not a JSON object \(maximum parsing depth
status	/status	type:recipients	no	status answer is malformed \(its "recipients" field is missing or wrong\)
status	/status	huge:recipients	no	status answer is malformed \(its "recipients" field is missing or wrong\)
status	/status	drop:device	no	status answer is malformed
status	/status	bigstr:officer	no	status answer is malformed|larger than allowed
status	/status	neg:delivered	no	status answer is malformed
status	/status	flip:entry	no	log entry 30 is malformed
status	/status	short:proof	no	status answer is malformed \(its "proof" field is missing or wrong\)
status	/status	jnote:checkpoint:sig	no	does not verify under this device's log key
status	/status	extra	ok
inbox	^/v1/inbox	truncate	no	inbox \(proofs\) answer is malformed|not valid JSON
inbox	^/v1/inbox	empty	no	inbox \(proofs\) answer is malformed|not valid JSON
inbox	^/v1/inbox	type:cables	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	huge:cables	no	inbox \(proofs\) answer is malformed \(its "cables" field is missing or wrong\)
inbox	^/v1/inbox	grow:cables	no	lists cable [0-9a-f]+ more than once in the inbox
inbox	^/v1/inbox	flip:envelope	no	envelope is not signed by its From-Device
inbox	^/v1/inbox	short:envelope	no	envelope is malformed
inbox	^/v1/inbox	b64:envelope	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	big:seq	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	neg:size	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	bigstr:mrn	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	drop:originators	no	sent no directory entry for its originating device
inbox	^/v1/inbox	flip:sign_key	no	gives another signing key
inbox	^/v1/inbox	flip:entry	no	log entry 30 is malformed
inbox	^/v1/inbox	b64:entry	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	short:proof	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	grow:proof	no	inclusion proof does not verify
inbox	^/v1/inbox	neg:log_index	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	drop:log_entry	no	did not send its cable-accepted entry
inbox	^/v1/inbox	jnote:checkpoint:sig	no	does not verify under this device's log key
inbox	^/v1/inbox	grow:consistency	no	inbox \(proofs\) answer is malformed
inbox	^/v1/inbox	extra	ok
inbox	^/v1/inbox	once503	ok
inboxj	^/v1/inbox	type:role	no	inbox \(proofs\) answer is malformed
inboxj	^/v1/inbox	flip:envelope	no	envelope is not signed by its From-Device
inboxj	^/v1/inbox	extra	ok
send	/resolve	truncate	no	resolve answer is not a JSON object \(premature end of input
send	/resolve	type:devices	no	resolve answer is malformed \(its "devices" field is missing or wrong\)
send	/resolve	huge:devices	no	recipient list names device [0-9a-f]+\.\.\. of ono.r at TOKYO more than once
send	/resolve	flip:device	no	enrolment entry is for another device
send	/resolve	type:epoch	no	resolve answer is malformed \(its "epoch" field is missing or wrong\)
send	/resolve	big:not_before	no	resolve answer is not a JSON object \(too big integer
send	/resolve	neg:not_after	no	resolve answer is malformed \(its "not_after" field is missing or wrong\)
send	/resolve	bigstr:age_recipient	no	resolve answer is malformed \(its "age_recipient" field is missing or wrong\)
send	/resolve	flip:epoch_key	no	key entry is for another device, epoch or key record
send	/resolve	drop:epoch_key	no	resolve answer is malformed \(its "epoch_key" field is missing or wrong\)
send	/resolve	flip:entry	no	enrolment entry is malformed
send	/resolve	short:proof	no	resolve answer is malformed \(its "proof" field is missing or wrong\)
send	/resolve	grow:proof	no	not in the verified checkpoint
send	/resolve	b64:proof	no	resolve answer is malformed \(its "proof" field is missing or wrong\)
send	/resolve	drop:key_entry	no	the switch sent no key entry\)$
send	/resolve	jnote:checkpoint:root	no	does not verify under this device's log key
send	/resolve	drop:log	no	sent no transparency log checkpoint with the recipients' keys: what it says cannot be checked against its log$
send	/resolve	grow:consistency	no	resolve answer is malformed \(its "consistency" field is missing or wrong\)
send	/resolve	type:role	no	resolve answer is malformed \(its "role" field is missing or wrong\)
send	/resolve	extra	ok
send	^/v1/cables$	notjson	retry	was not accepted: .*submission answer is not a JSON object
read	CABLE	once503	ok
read	/devices/	once503	ok
read	CABLE	cut	no	failed verification: the submission is malformed
read	CABLE	append	no	failed verification: the submission is malformed
read	CABLE	flipbyte:0	no	failed verification: the submission is malformed
read	CABLE	flipbyte:20	no	envelope signature or the payload hash does not verify
read	CABLE	flipbyte:300	no	envelope signature or the payload hash does not verify
read	CABLE	flipbyte:-1	no	envelope signature or the payload hash does not verify
read	CABLE	hdr:X-Denpo-MRN=26+HQ+000009	no	X-Denpo-MRN header says 26 HQ 000009, its log entry says 26 HQ 000001
read	/devices/	flip:sign_key	no	gives another signing key
read	/devices/	drop:sign_key	no	device answer is malformed
read	/devices/	flip:device	no	answered about another device than asked
read	/devices/	extra	ok
read	/accepted	flip:entry	no	log entry 30 is malformed
read	/accepted	short:proof	no	acceptance answer is malformed \(its "proof" field is missing or wrong\)
read	/accepted	drop:log_entry	no	did not send its cable-accepted entry
read	/accepted	jnote:checkpoint:sig	no	does not verify under this device's log key
read	/accepted	type:mrn	no	acceptance answer is malformed
read	/accepted	extra	ok
read	/health	type:markings	ok
ack	/ack	notjson	no	acknowledgement answer is not a JSON object
ack	/ack	type:acked	no	acknowledgement answer is malformed
ack	/ack	neg:acked	no	acknowledgement answer is malformed
ack	/ack	extra	ok
sent	/sent	type:cables	no	sent-list answer is malformed \(its "cables" field is missing or wrong\)
sent	/sent	huge:cables	no	sent-list answer is malformed \(its "cables" field is missing or wrong\)
sent	/sent	grow:cables	no	lists cable [0-9a-f]+ more than once in the sent list
sent	/sent	flip:entry	no	log entry 30 is malformed
sent	/sent	short:proof	no	sent-list answer is malformed \(its "proof" field is missing or wrong\)
sent	/sent	big:recipients	no	sent-list answer is not a JSON object \(too big integer
sent	/sent	jnote:checkpoint:sig	no	does not verify under this device's log key
sent	/sent	extra	ok
directory	/directory	type:posts	no	directory answer is malformed
directory	/directory	huge:officers	no	directory answer is malformed|larger than allowed
directory	/directory	drop:handle	no	directory answer is malformed
directory	/directory	bigstr:name	no	directory answer is malformed
directory	/directory	type:markings	no	directory answer is malformed
directory	/directory	extra	ok
audit	/witnessed	note:sig	ok
audit	/tile/	cut	no	entry bundle 0 is malformed
audit	/tile/	append	no	entry bundle 0 is malformed
audit	/tile/	flipbyte:40	no	do not hash to the root of the checkpoint
M
}
half=0 # the refused rows this build plays: n % 2 == half
case $BUILD in *asan*) half=1 ;; esac
HALF=${HOSTILE_HALF-$half}
n=0
while IFS=$'\t' read -r l tg m e re; do
	n=$((n + 1))
	# half the refused rows in each build (each decoder still meets several mutations in each)
	[ -n "$HALF" ] && [ $((n % 2)) != "$HALF" ] && [ "$e" != ok ] && continue
	[[ "$l $m" =~ ${HOSTILE_ROWS:-.} ]] || continue # HOSTILE_ROWS=REGEX: only those rows (debugging)
	case $tg in CK) tg=$CK ;; CABLE) tg=$CABLE ;; esac
	play "$l" "$m" "$tg"
	judge "$l" "$m" "$tg" "$e" "$re"
done < <(matrix)
[ -z "${HOSTILE_KEEP:-}" ] || cp "$T/out" "$T/err" "$HOSTILE_KEEP/"
t_done it_hostile
