#!/usr/bin/env bash
# it_witness.sh - devices as witnesses of the switch's transparency log
# (docs/transparency.md §4), through the real programs.  Devices keep the
# last checkpoint they verified (HOME/log/checkpoint) and it advances with
# the log.  Then a deliberately forked switch: its data directory (database
# and keys) is copied as fork B while stopped; fork A goes on (cable X, and
# devices d1, d2 see it); then fork B runs on the same address with the
# same keys (cable Y from d3, which never saw fork A).  d1 and d2 meeting
# fork B must stop with exit 3 and keep evidence: two checkpoints, both
# signed by the log key, that no consistency proof joins -- checked offline
# with `denpo audit verify`; their own checkpoints stay as they were; d3
# works normally on fork B, and is caught in turn when shown fork A's
# (smaller) log.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_witness "$DENPOD" "$DENPO"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="witness test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
# ck HOME: "size root" of the device's stored checkpoint
ck() { sed -n '2p;3p' "$T/$1/log/checkpoint" 2>/dev/null | paste -sd' ' -; }
cksize() { sed -n 2p "$T/$1/log/checkpoint" 2>/dev/null; }
# logsize DATA: size of the newest checkpoint a switch's data directory holds
logsize() { DENPOD_DATA="$1" "$DENPOD" log checkpoint | sed -n 2p; }
# start_data DIR: denpod on DIR (same address)
start_data() { start_switch "$1"; }
evidence() { ls "$T/$1"/log/fork-evidence-*.txt 2>/dev/null; }
quiet() { "$@" >/dev/null; }

{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add BEIJING &&
		D officer add d1 --post HQ --clearance SECRET &&
		D officer add d2 --post WASHINGTON --clearance SECRET &&
		D officer add d3 --post BEIJING --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices d1:HQ d2:WASHINGTON d3:BEIJING
start_switch || no "denpod did not start"
LOGKEY=$(sed -n 's/^Log-Key: //p' "$T/d1/answer.txt")
ORIGIN=${LOGKEY%%+*}

# ---- every device keeps the checkpoint it verified, and it advances ----
dp d1 inbox >/dev/null || no "d1 inbox"
check "d1 keeps a checkpoint" [ -s "$T/d1/log/checkpoint" ]
check "  0600" [ "$(stat -c %a "$T/d1/log/checkpoint")" = 600 ]
check "  of the log its answer names ($ORIGIN)" [ "$(head -n1 "$T/d1/log/checkpoint")" = "$ORIGIN" ]
check "  signed by the log key" grep -q "^— $ORIGIN " "$T/d1/log/checkpoint"
S1=$(cksize d1)
cp "$T/d1/log/checkpoint" "$T/ck.S1" # two honest checkpoints of one log, for audit verify below
body "1. (U) Advance."
send d2 --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN --subject advance >/dev/null || no "send: $(cat "$T/send.err")"
sleep 0.5
dp d1 inbox >/dev/null || no "d1 inbox again"
S2=$(cksize d1)
cp "$T/d1/log/checkpoint" "$T/ck.S2"
check "d1's checkpoint advances with the log ($S1 -> $S2)" [ "${S2:-0}" -gt "${S1:-0}" ]
dp d3 inbox >/dev/null || no "d3 inbox"
check "no evidence while the log is honest" [ -z "$(evidence d1)$(evidence d3)" ]

# ---- the fork: copy the stopped switch (database and keys) as fork B ----
stop_switch || no "denpod stop"
cp -a "$T/sw" "$T/swB"
cp -a "$T/d3" "$T/d3.pre" # d3's state before the fork (it never meets fork A)
start_switch || no "fork A did not start"
body "1. (U) Cable X, on fork A only."
X=$(send d2 --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN --subject X) || no "send X: $(cat "$T/send.err")"
sleep 0.5
dp d1 read "$X" >/dev/null || no "d1 reads X on fork A"
dp d2 inbox >/dev/null || no "d2 on fork A"
sleep 0.5
dp d1 inbox >/dev/null || no "d1 syncs on fork A"
dp d2 inbox >/dev/null || no "d2 syncs on fork A"
SA=$(cksize d1)
check "d1 and d2 verified fork A's tree ($SA)" [ "$(cksize d2)" = "$SA" ]
cp "$T/d1/log/checkpoint" "$T/d1.ck"
stop_switch || no "fork A stop"

# ---- fork B on the same address, same keys: d3 sends cable Y there ----
start_data "$T/swB" || no "fork B did not start"
body "1. (U) Cable Y, on fork B only."
n=0
while :; do
	n=$((n + 1))
	send d3 --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN --subject "Y$n" >/dev/null || { no "send Y$n: $(cat "$T/send.err")"; break; }
	sleep 0.4
	[ "$(logsize "$T/swB")" -gt "$((SA + 1))" ] && break
	[ $n -ge 20 ] && { no "fork B does not grow past fork A"; break; }
done
SB=$(logsize "$T/swB")
check "fork B's tree ($SB) is larger than the one d1 verified on fork A ($SA)" [ "$SB" -gt "$SA" ]
check "d3, who never saw fork A, works normally on fork B" quiet dp d3 inbox
check "  and witnesses fork B's tree" [ "$(cksize d3)" = "$SB" ]
check "  without evidence" [ -z "$(evidence d3)" ]

# ---- d1 meets fork B ----
dp d1 inbox >"$T/out" 2>"$T/err"
check "d1 on fork B: stops with exit 3" [ $? = 3 ]
check "  saying the switch showed another history" grep -q "different log history" "$T/err"
EV=$(evidence d1)
check "  and naming the evidence file" grep -qF "$EV" "$T/err"
check "the evidence file exists, 0600" [ -n "$EV" ] && check "  (mode)" [ "$(stat -c %a "$EV")" = 600 ]
check "d1's checkpoint is unchanged" cmp -s "$T/d1.ck" "$T/d1/log/checkpoint"
dp d1 inbox >/dev/null 2>&1
check "and stays refused on fork B (exit 3)" [ $? = 3 ]
check "  (each refusal keeps its evidence)" [ "$(evidence d1 | wc -l)" -ge 2 ]
# the evidence: both checkpoints verify under the log key and no proof joins them
"$DENPO" --home "$T/nobody" audit verify "$EV" --log-key "$LOGKEY" >"$T/v.txt" 2>&1
check "audit verify: the evidence holds (exit 0)" [ $? = 0 ]
check "  conclusively (fork B's own proof contradicts fork A's root)" grep -q "conclusive" "$T/v.txt"
# decode both notes and check them one by one: each opens under the log key alone
for k in Verified Received; do
	sed -n "s/^$k-Checkpoint: //p" "$EV" | base64 -d >"$T/$k.note"
done
check "the evidence holds d1's verified checkpoint, byte for byte" cmp -s "$T/d1.ck" "$T/Verified.note"
# independently: Go's x/mod note.Open verifies each under the log's vkey (tests/go/tlogcheck)
GODIR="$ROOT/tests/go/tlogcheck"
if [ -f "$GODIR/main.go" ] && command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/mod ] &&
	(cd "$GODIR" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" go build -o "$T/tlogcheck" . 2>/dev/null); then
	for k in Verified Received; do
		mkdir -p "$T/go$k" && echo "$LOGKEY" >"$T/go$k/vkey" && cp "$T/$k.note" "$T/go$k/checkpoint"
		"$T/tlogcheck" "$T/go$k" >"$T/go$k.out" 2>&1
		check "Go (x/mod note.Open): the $k checkpoint of the evidence verifies under the log key" \
			eval 'grep -q "^tlogcheck: " "$T/go$k.out" && ! grep -q "FAIL note.Open(checkpoint)" "$T/go$k.out"'
	done
else
	skip "Go checker tests/go/tlogcheck (or go, x/mod) not present"
fi
check "the received checkpoint is fork B's tree" [ "$(sed -n 2p "$T/Received.note")" = "$SB" ]
check "the two roots differ" [ "$(sed -n 3p "$T/Verified.note")" != "$(sed -n 3p "$T/Received.note")" ]
# a forged variant does not pass: the received note's signature changed
python3 - "$EV" "$T/forged.txt" <<'EOF'
import base64, sys
out = []
for line in open(sys.argv[1]):
    if line.startswith("Received-Checkpoint: "):
        note = bytearray(base64.b64decode(line.split(": ", 1)[1]))
        # inside the log's signature (the first line after the text; cosignatures follow it)
        i = note.index(b" ", note.index(b"\n\n\xe2\x80\x94 ") + 6) + 5
        note[i] = ord("A") if note[i] != ord("A") else ord("B")
        line = "Received-Checkpoint: " + base64.b64encode(bytes(note)).decode() + "\n"
    out.append(line)
open(sys.argv[2], "w").write("".join(out))
EOF
"$DENPO" --home "$T/nobody" audit verify "$T/forged.txt" --log-key "$LOGKEY" >/dev/null 2>&1
check "evidence with a broken signature does not verify (exit 3)" [ $? = 3 ]
# and evidence of two consistent checkpoints is no evidence
sed "s/^Received-Checkpoint: .*/Received-Checkpoint: $(base64 -w0 "$T/d1.ck")/" "$EV" >"$T/same.txt"
"$DENPO" --home "$T/nobody" audit verify "$T/same.txt" --log-key "$LOGKEY" >/dev/null 2>&1
check "the same checkpoint twice is no fork (exit 3)" [ $? = 3 ]
# two honest, consistent checkpoints of one log (sizes S1 < S2), no proof: proves nothing
{
	echo "DENPO-FORK-EVIDENCE/1"
	echo "Verified-Checkpoint: $(base64 -w0 "$T/ck.S1")"
	echo "Received-Checkpoint: $(base64 -w0 "$T/ck.S2")"
} >"$T/honest.txt"
"$DENPO" --home "$T/nobody" audit verify "$T/honest.txt" --log-key "$LOGKEY" >"$T/v.txt" 2>&1
check "two honest checkpoints ($S1, $S2) packed as evidence: not OK (exit 4)" [ $? = 4 ] &&
	check "  (INCONCLUSIVE)" grep -q "^INCONCLUSIVE " "$T/v.txt"
# conclusive evidence, but the only key is the one the file names: never OK
"$DENPO" --home "$T/nobody" audit verify "$EV" >"$T/v.txt" 2>&1
check "evidence under the file's own log key only: INCONCLUSIVE (exit 4)" [ $? = 4 ] &&
	check "  (says to give --log-key)" grep -q -- "--log-key" "$T/v.txt"
dp d2 audit verify "$EV" >"$T/v.txt" 2>&1
check "under the log key of a device's own enrolment answer: OK (exit 0)" [ $? = 0 ]

# d2 too
dp d2 inbox >/dev/null 2>"$T/err"
check "d2 on fork B: exit 3 too" [ $? = 3 ] && check "  (evidence)" [ -n "$(evidence d2)" ]
check "the fork stops the command: nothing else was done (no inbox listing)" [ ! -s "$T/out" ]

# ---- fork A again: d3 (now on fork B's history) is shown a smaller, other tree ----
stop_switch || no "fork B stop"
start_switch || no "fork A restart"
check "fork A is smaller than what d3 verified" [ "$(logsize "$T/sw")" -lt "$(cksize d3)" ]
cp "$T/d3/log/checkpoint" "$T/d3.ck"
dp d3 inbox >/dev/null 2>"$T/err"
check "d3 on fork A: exit 3 (a smaller tree it cannot prove a prefix)" [ $? = 3 ]
EV3=$(evidence d3)
check "  with evidence" [ -n "$EV3" ] && check "  and its checkpoint unchanged" cmp -s "$T/d3.ck" "$T/d3/log/checkpoint"
"$DENPO" --home "$T/nobody" audit verify "$EV3" --log-key "$LOGKEY" >"$T/v.txt" 2>&1
# no proof joins them (fork A cannot prove its smaller tree a prefix): genuine, but proves no fork
# by itself -- an audit mirror settles it
check "audit verify: both checkpoints verify, no fork proven by the file alone (exit 4)" [ $? = 4 ] &&
	check "  (INCONCLUSIVE)" grep -q "^INCONCLUSIVE " "$T/v.txt"
# d1 is home again: fork A is what it verified
check "d1 works again on fork A" quiet dp d1 inbox
# the pre-fork copy of d3 never saw fork B: fork A is fine for it
rm -rf "$T/d3" && mv "$T/d3.pre" "$T/d3"
check "d3's pre-fork state works on fork A" quiet dp d3 inbox

# ---- a damaged stored checkpoint: a warning, the command goes on ----
printf 'garbage\n' >"$T/d2/log/checkpoint"
dp d2 inbox >/dev/null 2>"$T/err"
check "damaged checkpoint: the command still works (exit 0)" [ $? = 0 ]
check "  with a warning naming the file" grep -q "log/checkpoint is damaged" "$T/err"

# ---- cosignatures: when the switch collects them, d1's is on the published checkpoint ----
if [ -x "$TS" ] && grep -q '"/v1/log/cosign"\|log/cosign' "$ROOT"/denpod/*.c 2>/dev/null; then
	"$TS" enrol "$T/x" d1 HQ >/dev/null && D approve "$T/x/request" --out "$T/x/answer" >/dev/null
	PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
	D1=$(dp d1 --json whoami | jq -r .device)
	got=
	for _ in 1 2 3 4 5; do
		sleep 0.5
		dp d1 inbox >/dev/null 2>&1
		"$TS" get "$T/x" "https://127.0.0.1:$PORT" "$PIN" /v1/log/checkpoint 2>/dev/null | sed '1s/^[0-9]* //' >"$T/cp.txt"
		# the switch's newest checkpoint is the one d1 just verified and cosigned
		[ "$(sed -n 2p "$T/cp.txt")" = "$(cksize d1)" ] && { got=1; break; }
	done
	check "the switch's checkpoint is the one d1 verified" [ -n "$got" ]
	check "the published checkpoint carries d1's cosignature" grep -q "^— denpo-device/$D1 " "$T/cp.txt"
	URLS="https://127.0.0.1:$PORT"
	SIZE=$(sed -n 2p "$T/cp.txt")
	LINE=$(grep "^— denpo-device/$D1 " "$T/cp.txt")
	# device x (another device of d1's officer) posts d1's line: not its own name
	jq -n --argjson s "$SIZE" --arg l "$LINE"$'\n' '{size: $s, cosignature: $l}' >"$T/cosig.json"
	check "a cosignature by d1 sent by another device: 403" \
		[ "$("$TS" post "$T/x" "$URLS" "$PIN" /v1/log/cosign "$T/cosig.json" 2>/dev/null | head -c 3)" = 403 ]
	# x's name on d1's signature: a line that does not verify
	XID=$("$TS" get "$T/x" "$URLS" "$PIN" /v1/directory/resolve?to=HQ 2>/dev/null | sed '1s/^[0-9]* //' |
		jq -r '.devices[].device' | grep -v "^$D1$" | head -n1)
	jq -n --argjson s "$SIZE" --arg l "${LINE/$D1/$XID}"$'\n' '{size: $s, cosignature: $l}' >"$T/cosig2.json"
	check "a tampered cosignature line: 400" \
		[ "$("$TS" post "$T/x" "$URLS" "$PIN" /v1/log/cosign "$T/cosig2.json" 2>/dev/null | head -c 3)" = 400 ]
	jq -n --argjson s $((SIZE + 1000)) --arg l "${LINE/$D1/$XID}"$'\n' '{size: $s, cosignature: $l}' >"$T/cosig3.json"
	check "a cosignature of a size never signed: 409" \
		[ "$("$TS" post "$T/x" "$URLS" "$PIN" /v1/log/cosign "$T/cosig3.json" 2>/dev/null | head -c 3)" = 409 ]
	"$TS" get "$T/x" "$URLS" "$PIN" "/v1/log/witnessed?min=1" 2>/dev/null | sed '1s/^[0-9]* //' >"$T/wit.txt"
	check "the witnessed checkpoint carries d1's cosignature" grep -q "^— denpo-device/$D1 " "$T/wit.txt"
	check "witnessed?min=33: 400" \
		[ "$("$TS" get "$T/x" "$URLS" "$PIN" "/v1/log/witnessed?min=33" 2>/dev/null | head -c 3)" = 400 ]
	check "witnessed?min=32: 404 (not that many devices)" \
		[ "$("$TS" get "$T/x" "$URLS" "$PIN" "/v1/log/witnessed?min=32" 2>/dev/null | head -c 3)" = 404 ]
	# and Go verifies it: x/mod's note for the log's signature, crypto/ed25519 for d1's line
	XMOD=/usr/share/gocode/src/golang.org/x/mod/sumdb
	if command -v go >/dev/null && [ -d "$XMOD/note" ]; then
		if (cd "$ROOT/tests/go/tlogcheck" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" \
			GOFLAGS= go build -o "$T/tlogcheck" .) >"$T/gobuild.log" 2>&1; then
			CVK=$(python3 -c 'import sys,hashlib,base64
name="denpo-device/"+sys.argv[1]; k=b"\x04"+bytes.fromhex(sys.argv[1])
print("%s+%s+%s" % (name, hashlib.sha256(name.encode()+b"\n"+k).hexdigest()[:8], base64.b64encode(k).decode()))' "$D1")
			check "Go verifies the witnessed checkpoint and d1's cosignature" \
				sh -c "\"\$0\" -cosig \"\$1\" \"\$2\" \"\$3\" >\"\$4\"" "$T/tlogcheck" "$LOGKEY" "$CVK" "$T/wit.txt" "$T/go.out"
		else
			no "go build tests/go/tlogcheck: $(cat "$T/gobuild.log")"
		fi
	else
		skip "go or golang.org/x/mod missing: the witnessed checkpoint is not checked with Go"
	fi
else
	skip "the switch does not collect cosignatures yet (POST /v1/log/cosign)"
fi

t_done it_witness
