#!/usr/bin/env bash
# it_tlog.sh - the switch's transparency log through the real programs: a
# switch with posts, officers and devices; cables sent, fetched twice and
# acknowledged; admin acts.  Then, over HTTPS with device certificates
# (curl): the checkpoint verifies under the Log-Key of the enrolment
# answer, the hash tiles give its root, an AUDIT device reads the entry
# bundles (which hash to the tiles) and a plain device gets 403; each
# expected event is in the log (decoded with `denpod log show`) with the
# right device, reference and source; proofs from the API verify; bad log
# paths get clean errors.  Finally kill -9 during a flood: afterwards every
# cable the sender saw accepted has its cable-accepted entry, `denpod log
# verify` passes, and every checkpoint signed before the kill is consistent
# with the one after.
#
# The checks of signatures, tiles and proofs are independent of libdenpo:
# Go's golang.org/x/mod/sumdb/note and sumdb/tlog (note.Open, TreeHash,
# RecordHash: Debian golang-golang-x-mod-dev) and a Python implementation
# (RFC 6962/9162 proofs, C2SP signed-note, `cryptography` for Ed25519),
# each skipped with a message if missing; `denpod log verify` runs anyway.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
FLOOD="$BUILD/tests/tool_flood"
need_programs it_tlog "$DENPOD" "$DENPO" "$TS" "$FLOOD"
t_workdir
FPID=
cleanup() {
	[ -n "$FPID" ] && kill "$FPID" 2>/dev/null
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	PID=
	t_cleanup
}
trap cleanup EXIT
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="tlog test passphrase" DENPOD_DATA="$T/sw"
export DENPOD_OPERATOR="it operator"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
URL=https://127.0.0.1:$PORT
PY=0
python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null && PY=1

# ---- the independent checker ----
cat >"$T/tlcheck.py" <<'EOF'
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

def H(b): return hashlib.sha256(b).digest()
def leaf(e): return H(b"\x00" + e)
def node(l, r): return H(b"\x01" + l + r)

def mth(hs):
    if not hs: return H(b"")
    if len(hs) == 1: return hs[0]
    k = 1
    while k * 2 < len(hs): k *= 2
    return node(mth(hs[:k]), mth(hs[k:]))

def open_note(path, vkey):
    """c2sp.org/signed-note with one Ed25519 key: the checkpoint's origin, size, root."""
    name, kid, b = vkey.split("+", 2)
    kb = base64.b64decode(b)
    assert kb[0] == 1 and len(kb) == 33, "not an Ed25519 vkey"
    pub = kb[1:]
    assert H(name.encode() + b"\n\x01" + pub)[:4].hex() == kid, "key id"
    note = open(path, "rb").read().decode()
    body, _, sigs = note.rpartition("\n\n")
    text = body + "\n"
    ok = False
    for line in sigs.splitlines():
        assert line.startswith("\u2014 "), "signature line"
        n, s = line[2:].rsplit(" ", 1)
        sb = base64.b64decode(s)
        if n == name and sb[:4].hex() == kid:
            Ed25519PublicKey.from_public_bytes(pub).verify(sb[4:], text.encode())
            ok = True
    assert ok, "no signature by the log key"
    origin, size, root = text.split("\n")[:3]
    assert origin == name
    return int(size), base64.b64decode(root)

def tile(path, want):
    d = open(path, "rb").read()
    assert len(d) == 32 * want, "%s: %d bytes, want %d hashes" % (path, len(d), want)
    return [d[i:i + 32] for i in range(0, len(d), 32)]

def bundle(path):
    d, out = open(path, "rb").read(), []
    while d:
        n = int.from_bytes(d[:2], "big")
        out.append(d[2:2 + n])
        assert len(out[-1]) == n, "truncated bundle"
        d = d[2 + n:]
    return out

def verify_inclusion(index, size, h, proof, root):
    if index >= size: return False
    fn, sn, r = index, size - 1, h
    for p in proof:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1; sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1; sn >>= 1
    return sn == 0 and r == root

def verify_consistency(m, n, r1, r2, proof):
    if m == n: return not proof and r1 == r2
    if m == 0 or not proof: return False
    if m & (m - 1) == 0: proof = [r1] + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1; sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            fr = node(c, fr); sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1; sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return sn == 0 and fr == r1 and sr == r2

cmd = sys.argv[1]
if cmd == "note":                      # note FILE VKEY -> "size root"
    size, root = open_note(sys.argv[2], sys.argv[3])
    print(size, base64.b64encode(root).decode())
elif cmd == "root":                    # root DIR SIZE: level-0 tiles DIR/0.N -> MTH; level-1 tile checked
    d, size = sys.argv[2], int(sys.argv[3])
    hs = []
    for n in range((size + 255) // 256):
        hs += tile("%s/0.%d" % (d, n), min(256, size - 256 * n))
    if size >= 256:
        l1 = tile("%s/1.0" % d, size // 256)
        assert all(l1[i] == mth(hs[256 * i:256 * (i + 1)]) for i in range(size // 256)), "level-1 tile"
    print(base64.b64encode(mth(hs)).decode())
elif cmd == "bundle":                  # bundle BUNDLE TILE W: entries hash to the tile's hashes
    es, hs = bundle(sys.argv[2]), tile(sys.argv[3], int(sys.argv[4]))
    assert len(es) == len(hs) and all(leaf(e) == h for e, h in zip(es, hs)), "bundle vs tile"
    print(len(es))
elif cmd == "entry":                   # entry BUNDLE K -> the entry's bytes
    sys.stdout.buffer.write(bundle(sys.argv[2])[int(sys.argv[3])])
elif cmd == "incl":                    # incl ENTRYFILE INDEX PROOFJSON ROOT
    j = json.load(open(sys.argv[4]))
    ok = verify_inclusion(int(sys.argv[3]), j["size"], leaf(open(sys.argv[2], "rb").read()),
                          [base64.b64decode(p) for p in j["proof"]], base64.b64decode(sys.argv[5]))
    sys.exit(0 if ok else 1)
elif cmd == "cons":                    # cons PROOFJSON ROOT1 ROOT2
    j = json.load(open(sys.argv[2]))
    ok = verify_consistency(j["from"], j["size"], base64.b64decode(sys.argv[3]),
                            base64.b64decode(sys.argv[4]), [base64.b64decode(p) for p in j["proof"]])
    sys.exit(0 if ok else 1)
EOF
tl() { python3 "$T/tlcheck.py" "$@"; }

# Go's reference code: logcheck VKEY CHECKPOINT LEAVES [BUNDLE...] (bundle k = entries tile k)
mkdir -p "$T/gosrc"
cat >"$T/gosrc/main.go" <<'EOF'
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func die(f string, a ...interface{}) { fmt.Printf("FAIL "+f+"\n", a...); os.Exit(1) }

func main() {
	vk, _ := os.ReadFile(os.Args[1])
	v, err := note.NewVerifier(strings.TrimSpace(string(vk)))
	if err != nil {
		die("vkey: %v", err)
	}
	msg, _ := os.ReadFile(os.Args[2])
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		die("note.Open: %v", err)
	}
	l := strings.SplitN(n.Text, "\n", 4)
	if len(l) < 4 || l[0] != v.Name() {
		die("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(l[1], 10, 64)
	root, err2 := base64.StdEncoding.DecodeString(l[2])
	if err != nil || err2 != nil || len(root) != 32 {
		die("checkpoint text %q", n.Text)
	}
	leaves, _ := os.ReadFile(os.Args[3])
	if int64(len(leaves)) != 32*size {
		die("%d bytes of leaf hashes for size %d", len(leaves), size)
	}
	var stored []tlog.Hash
	rd := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i := int64(0); i < size; i++ {
		var h tlog.Hash
		copy(h[:], leaves[32*i:])
		hs, err := tlog.StoredHashesForRecordHash(i, h, rd)
		if err != nil {
			die("stored hashes: %v", err)
		}
		stored = append(stored, hs...)
	}
	th, err := tlog.TreeHash(size, rd)
	if err != nil || string(th[:]) != string(root) {
		die("tlog.TreeHash of the leaves is not the checkpoint's root")
	}
	for k, f := range os.Args[4:] {
		b, _ := os.ReadFile(f)
		for j := 0; len(b) > 0; j++ {
			m := int(binary.BigEndian.Uint16(b))
			i := 256*k + j
			var h tlog.Hash
			if 2+m > len(b) || 32*(i+1) > len(leaves) {
				die("bundle %d entry %d: too long", k, j)
			}
			copy(h[:], leaves[32*i:])
			if tlog.RecordHash(b[2:2+m]) != h {
				die("bundle %d entry %d is not leaf %d", k, j, i)
			}
			b = b[2+m:]
		}
	}
	fmt.Println("ok", size)
}
EOF
GO=0
if command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
	if (cd "$T/gosrc" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" GOFLAGS= \
		go build -o "$T/logcheck" .) >"$T/gobuild.log" 2>&1; then
		GO=1
	else
		cat "$T/gobuild.log" >&2
		no "go build of the Go checker"
	fi
fi
# golog SIZE TILEDIR CHECKPOINT [BUNDLE...]: Go checks the note, the root of the level-0 tiles, the bundles
golog() {
	local size=$1 d=$2 cp=$3 n
	shift 3
	: >"$d/leaves"
	for ((n = 0; n * 256 < size; n++)); do cat "$d/0.$n" >>"$d/leaves"; done
	"$T/logcheck" "$T/vkey" "$cp" "$d/leaves" "$@"
}
tl_quiet() { tl "$@" 2>/dev/null; }
# cu DEVICE-DIR ARGS...: curl with the device's TLS certificate
# status DEVICE PATH -> HTTP status
status() { cu "$1" -o /dev/null -w '%{http_code}' "$URL$2"; }
errname() { cu "$1" "$URL$2" | jq -r .error; }
# entries: the log decoded, one line per entry, fields joined by '|'
entries() { D log show | awk 'BEGIN {RS=""; FS="\n"} {l=""; for (i = 1; i <= NF; i++) l = l "|" $i; print l "|"}'; }
nentries() { D log show | grep -c '^# entry '; }
cp_size() { cu w "$URL/v1/log/checkpoint" | sed -n 2p; }
# wait_signed: until the served checkpoint covers every stored entry (<= 5 s)
wait_signed() {
	local n
	n=$(nentries)
	for _ in $(seq 50); do
		[ "$(cp_size)" = "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
dev_of() { D device list | awk -v o="$1" '$2 == o {print $1}'; }
ptile() { # tile path of level $1, number $2, width $3 (256: full); N < 1000 here
	if [ "$3" = 256 ]; then printf 'tile/%s/%03d' "$1" "$2"; else printf 'tile/%s/%03d.p/%d' "$1" "$2" "$3"; fi
}
# fetch_tiles SIZE DIR: the level-0 (and level-1) hash tiles of a tree of SIZE into DIR/L.N
fetch_tiles() {
	local size=$1 d=$2 n w
	mkdir -p "$d"
	for ((n = 0; n * 256 < size; n++)); do
		w=$((size - n * 256)); [ $w -gt 256 ] && w=256
		cu w -o "$d/0.$n" "$URL/v1/log/$(ptile 0 $n $w)" || return 1
	done
	[ "$size" -ge 256 ] && { cu w -o "$d/1.0" "$URL/v1/log/$(ptile 1 0 $((size / 256)))" || return 1; }
	return 0
}

# ---- the switch, its directory and devices ----
{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add wada.w --post WASHINGTON --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance CONFIDENTIAL &&
		D officer add abe.a --post HQ --clearance SECRET --roles AUDIT
} >"$T/init.out" || no "switch setup"
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
INITKEY=$(awk '/^log key:/ {print $3}' "$T/init.out")
enrol_devices sato.k:HQ tanaka.h:WASHINGTON ono.r:TOKYO
"$TS" enrol "$T/w" wada.w WASHINGTON && D approve "$T/w/request" --out "$T/w/answer" --operator "alice admin" >/dev/null ||
	no "enrol wada.w"
"$TS" enrol "$T/aud" abe.a HQ && D approve "$T/aud/request" --out "$T/aud/answer" >/dev/null || no "enrol abe.a"
VKEY=$(sed -n 's/^Log-Key: //p' "$T/sato.k.answer")
echo "$VKEY" >"$T/vkey"
check "the enrolment answer carries the log key denpod init printed" [ -n "$VKEY" -a "$VKEY" = "$INITKEY" ]
check "... named by the default origin" [ "${VKEY%%+*}" = "127.0.0.1:$PORT/denpo-log" ]
check "log.key is 0600" [ "$(stat -c %a "$T/sw/log.key")" = 600 ]
check "no checkpoint before the first start" not D log checkpoint 2>/dev/null
start_switch || no "denpod did not start"
SATO=$(dev_of sato.k) TAN=$(dev_of tanaka.h) W=$(dev_of wada.w)

# ---- the checkpoint, as any device reads it ----
cu w -D "$T/cp.hdr" -o "$T/cp0.note" "$URL/v1/log/checkpoint"
check "checkpoint: text/plain; charset=utf-8" grep -qi '^Content-Type: text/plain; charset=utf-8' "$T/cp.hdr"
check "checkpoint: Cache-Control: no-store" grep -qi '^Cache-Control: no-store' "$T/cp.hdr"
check "the first checkpoint covers the admin acts and enrolments made before the start" \
	[ "$(sed -n 2p "$T/cp0.note")" = "$(nentries)" ]
check "denpod log checkpoint prints the same note" cmp -s "$T/cp0.note" <(D log checkpoint)

# ---- traffic: a cable fetched twice and acknowledged, another read on a denpo device ----
printf '1. (S) ZEBRA-LOGTEST-BODY must never reach the log.\n' >"$T/body"
S1=$(dp sato.k send --body "$T/body" --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL \
	--subject "QUOKKA-LOGTEST-SUBJECT" 2>"$T/send.err") || no "send S1: $(cat "$T/send.err")"
ID1=$(D cable list | awk -v m="$S1" '$1" "$2" "$3 == m {print $4}')
cu w -D "$T/f1.hdr" -o "$T/f1.bin" "$URL/v1/cables/$ID1" || no "fetch 1"
cu w -D "$T/f2.hdr" -o "$T/f2.bin" "$URL/v1/cables/$ID1" || no "fetch 2"
check "both fetches return the cable" cmp -s "$T/f1.bin" "$T/f2.bin"
FETCH1=$(sed -n 's/^X-Denpo-Log-Index: \([0-9]*\).*/\1/p' "$T/f1.hdr")
FETCH2=$(sed -n 's/^X-Denpo-Log-Index: \([0-9]*\).*/\1/p' "$T/f2.hdr")
check "each fetch names its own log entry ($FETCH1, $FETCH2)" [ -n "$FETCH1" -a -n "$FETCH2" -a "$FETCH1" != "$FETCH2" ]
A1=$(cu w -X POST "$URL/v1/cables/$ID1/ack" | jq -r .log_index)
A2=$(cu w -X POST "$URL/v1/cables/$ID1/ack" | jq -r .log_index)
check "the ack answers with its log index; a repeated ack with the same ($A1, $A2)" [ "$A1" -ge 0 -a "$A1" = "$A2" ]
dp tanaka.h read "$S1" >"$T/out" 2>&1 || no "tanaka reads S1: $(cat "$T/out")"
dp tanaka.h ack "$S1" >/dev/null || no "tanaka acks S1"
# a cable sent by the throwaway device, whose answer shows its log index
"$TS" envelope "$T/aud" "$URL" "$PIN" WASHINGTON SECRET ROUTINE "$T/c2.sub" >/dev/null 2>&1 || no "make envelope"
C2=$("$TS" post "$T/aud" "$URL" "$PIN" /v1/cables "$T/c2.sub" 2>/dev/null)
C2IDX=$(sed 's/^201 //' <<<"$C2" | jq -r .log_index)
C2MRN=$(sed 's/^201 //' <<<"$C2" | jq -r .mrn)
check "POST /v1/cables answers 201 with log_index ($C2IDX)" [ "${C2%% *}" = 201 -a "$C2IDX" -ge 0 ]
RETRY=$("$TS" post "$T/aud" "$URL" "$PIN" /v1/cables "$T/c2.sub" 2>/dev/null)
check "a retry of it answers 200 with the same log_index" \
	[ "${RETRY%% *}" = 200 -a "$(sed 's/^200 //' <<<"$RETRY" | jq -r .log_index)" = "$C2IDX" ]
D device suspend "$W" --operator "bob ops" --reason "lost at the airport" >/dev/null || no "suspend"
check "a suspended device is refused (403)" [ "$(status w /v1/log/checkpoint)" = 403 ]
D device reinstate "$W" --operator "bob ops" >/dev/null || no "reinstate"
check "every entry gets signed (checkpoint = entries)" wait_signed

# ---- the events, as `denpod log show` decodes them ----
entries >"$T/log.txt"
check "log show refuses a start index with a leading zero" not D log show --from 01 2>/dev/null
check "log show takes a plain start index" D log show --from 1 --count 1 >/dev/null
has() { grep -F -- "$1" "$T/log.txt" | grep -F -- "$2" | grep -F -- "$3" | grep -qF -- "$4"; }
count_of() { grep -F -- "$1" "$T/log.txt" | grep -F -- "$2" | grep -cF -- "$3"; }
check "cable-accepted: reference, originator, officer, post, classification, source" \
	has "|Event: cable-accepted|Time: " "|Cable-Id: $ID1|Reference: $S1|Envelope-Hash: " \
	"|Originator: $SATO|Officer: sato.k|Post: HQ|Classification: SECRET|Precedence: IMMEDIATE/" \
	"|Source: 127.0.0.1|Part: 1/1|Recipient: "
check "... with both WASHINGTON devices as recipients" \
	[ "$(grep -F "|Cable-Id: $ID1|" "$T/log.txt" | grep -F "Event: cable-accepted" | grep -o 'Recipient: [0-9a-f]*' | sort | tr '\n' ' ')" = \
	  "$(printf 'Recipient: %s\n' "$TAN" "$W" | sort | tr '\n' ' ')" ]
check "cable-delivered: wada.w's first fetch, from 127.0.0.1" \
	[ "$(count_of "|Event: cable-delivered|" "|Cable-Id: $ID1|Reference: $S1|Device: $W|Source: 127.0.0.1|" "")" = 1 ]
check "cable-fetched: its second fetch (once)" \
	[ "$(count_of "|Event: cable-fetched|" "|Cable-Id: $ID1|Reference: $S1|Device: $W|Source: 127.0.0.1|" "")" = 1 ]
check "... at the index its answer named" grep -qF "|# entry $FETCH2|DENPO-LOG/1|Event: cable-fetched|" "$T/log.txt"
check "the first fetch at its index" grep -qF "|# entry $FETCH1|DENPO-LOG/1|Event: cable-delivered|" "$T/log.txt"
check "cable-acked: once, though acknowledged twice" \
	[ "$(count_of "|Event: cable-acked|" "|Cable-Id: $ID1|Reference: $S1|Device: $W|Source: 127.0.0.1|" "")" = 1 ]
check "tanaka.h's read and ack (denpo CLI)" \
	has "|Event: cable-delivered|" "|Device: $TAN|" "|Cable-Id: $ID1|" "|Source: 127.0.0.1|"
check "... acked" has "|Event: cable-acked|" "|Device: $TAN|" "|Cable-Id: $ID1|" "|Source: 127.0.0.1|"
check "key-published: tanaka.h's keys published on first contact, from 127.0.0.1" \
	has "|Event: key-published|" "|Device: $TAN|Key-Epoch: 1|" "|Record: " "|Source: 127.0.0.1|"
check "key-published: the enrolment key (epoch 0), by approve, without a source" \
	[ "$(grep -F "|Event: key-published|" "$T/log.txt" | grep -F "|Device: $TAN|Key-Epoch: 0|" | grep -c "Source:")" = 0 ]
check "device-enrolled: wada.w by alice admin" \
	has "|Event: device-enrolled|" "|Device: $W|" "|Officer: wada.w|Post: WASHINGTON|" "|Operator: alice admin|"
check "device-enrolled: the default operator from \$DENPOD_OPERATOR" \
	has "|Event: device-enrolled|" "|Device: $TAN|" "|Officer: tanaka.h|" "|Operator: it operator|"
check "device-suspended: by bob ops, with the reason" \
	has "|Event: device-suspended|" "|Device: $W|" "|Operator: bob ops|" "|Reason: lost at the airport|"
check "device-reinstated" has "|Event: device-reinstated|" "|Device: $W|" "|Operator: bob ops|" "|"
check "admin acts: posts and officers added" has "|Event: admin|" "|Operator: it operator|" "|Act: OFFICER-ADD|" "|Detail: abe.a post=HQ clearance=SECRET captions=- roles=AUDIT|"
check "... POST-ADD" has "|Event: admin|" "|Act: POST-ADD|" "|Detail: TOKYO tz=UTC|" "|"
check "the second cable's entry is at the index its answer gave" \
	grep -qF "|# entry $C2IDX|DENPO-LOG/1|Event: cable-accepted|" "$T/log.txt"
check "... with its reference" has "|# entry $C2IDX|" "|Reference: $C2MRN|" "|" "|"
check "no subject or body reaches the log" not grep -q "LOGTEST" "$T/log.txt"
check "no subject or body in the database's log tables" \
	[ "$(sqlite3 -readonly "$T/sw/denpod.db" "SELECT count(*) FROM log_entries WHERE CAST(data AS TEXT) LIKE '%LOGTEST%'")" = 0 ]

# ---- tiles, bundles and proofs over HTTPS ----
cu w -o "$T/cp1.note" "$URL/v1/log/checkpoint"
SIZE=$(sed -n 2p "$T/cp1.note")
ROOT=$(sed -n 3p "$T/cp1.note")
W0=$((SIZE % 256)) # the right-edge width (size < 256 here)
if [ "$PY" = 1 ]; then
	check "the checkpoint verifies under the answer's Log-Key" [ "$(tl note "$T/cp1.note" "$VKEY")" = "$SIZE $ROOT" ]
	awk 'NR == 2 {$0 = $0 + 1} 1' "$T/cp1.note" >"$T/forged.note"
	check "the same note with another size does not" not tl_quiet note "$T/forged.note" "$VKEY"
	fetch_tiles "$SIZE" "$T/tiles1" || no "fetch tiles"
	check "the hash tiles give the checkpoint's root" [ "$(tl root "$T/tiles1" "$SIZE")" = "$ROOT" ]
else
	skip "Python cryptography missing: signatures, tiles and proofs checked by denpod log verify only"
fi
if [ "$GO" = 1 ]; then
	fetch_tiles "$SIZE" "$T/tiles1" || no "fetch tiles"
	cu aud -o "$T/gob0" "$URL/v1/log/$(ptile entries 0 "$W0")"
	check "Go x/mod: note.Open verifies the checkpoint, TreeHash of the tiles is its root, RecordHash of each bundle entry its leaf" \
		golog "$SIZE" "$T/tiles1" "$T/cp1.note" "$T/gob0" >/dev/null
	awk 'NR == 2 {$0 = $0 + 1} 1' "$T/cp1.note" >"$T/forged.note"
	check "Go x/mod refuses the note with another size" not golog "$SIZE" "$T/tiles1" "$T/forged.note" >/dev/null
else
	skip "go or golang.org/x/mod missing: no check by Go's reference code"
fi
cu w -D "$T/t.hdr" -o /dev/null "$URL/v1/log/$(ptile 0 0 "$W0")"
check "a tile is application/octet-stream" grep -qi '^Content-Type: application/octet-stream' "$T/t.hdr"
check "... cached for good" grep -qi '^Cache-Control: max-age=31536000, immutable' "$T/t.hdr"
check "a tile wider than the latest checkpoint: 404" [ "$(status w "/v1/log/$(ptile 0 0 $((W0 + 1)))")" = 404 ]
check "a tile beyond it: 404" [ "$(status w /v1/log/tile/0/001)" = 404 ]
check "a level-1 tile before 256 entries: 404" [ "$(status w /v1/log/tile/1/000.p/1)" = 404 ]
check "entry bundles: 403 for a device without the AUDIT role" [ "$(status w "/v1/log/$(ptile entries 0 "$W0")")" = 403 ]
check "... saying denied" [ "$(errname w "/v1/log/$(ptile entries 0 "$W0")")" = denied ]
cu aud -o "$T/b0" -w '%{http_code}' "$URL/v1/log/$(ptile entries 0 "$W0")" >"$T/b0.st"
check "entry bundles: 200 for the AUDIT device" [ "$(cat "$T/b0.st")" = 200 ]
check "a narrower bundle (an earlier checkpoint's) too" [ "$(status aud "/v1/log/$(ptile entries 0 3)")" = 200 ]
if [ "$PY" = 1 ]; then
	check "the bundle's entries hash to the tile" [ "$(tl bundle "$T/b0" "$T/tiles1/0.0" "$W0")" = "$W0" ]
	tl entry "$T/b0" "$C2IDX" >"$T/e2"
	check "the bundle holds the entries denpod log show prints" grep -qF "Reference: $C2MRN" "$T/e2"
	cu w -o "$T/incl.json" "$URL/v1/log/proof/inclusion?index=$C2IDX&size=$SIZE"
	check "an inclusion proof from the API verifies" tl incl "$T/e2" "$C2IDX" "$T/incl.json" "$ROOT"
	check "... and not for another entry" not tl incl <(tl entry "$T/b0" 0) "$C2IDX" "$T/incl.json" "$ROOT"
	read -r S0 R0 <<<"$(tl note "$T/cp0.note" "$VKEY")"
	cu w -o "$T/cons.json" "$URL/v1/log/proof/consistency?from=$S0&size=$SIZE"
	check "the first checkpoint is consistent with this one (API proof)" tl cons "$T/cons.json" "$R0" "$ROOT"
	check "... and a wrong old root is caught" not tl cons "$T/cons.json" "$ROOT" "$ROOT"
fi
# every bad path or query: a JSON error, never a crash
for pq in "tile/0/abc:404" "tile/0/0:404" "tile/0/000.p/0:404" "tile/0/000.p/256:404" "tile/9/000:404" \
	"tile/entries/x000/000:404" "tile/0/000/:404" "nope:404" "proof/inclusion:400" \
	"proof/inclusion?index=1:400" "proof/inclusion?index=x&size=2:400" "proof/inclusion?index=01&size=2:400" \
	"proof/inclusion?index=5&size=5:400" "proof/inclusion?index=0&size=99999999:400" \
	"proof/inclusion?index=-1&size=2:400" "proof/consistency?from=0&size=2:400" \
	"proof/consistency?from=3&size=2:400" "proof/consistency?from=1&size=18446744073709551615:400" \
	"proof/inclusion?index=0&size=99999999999999999999:400"; do
	p=${pq%:*} want=${pq##*:}
	got=$(cu w -o "$T/err.json" -w '%{http_code}' "$URL/v1/log/$p")
	check "GET /v1/log/$p: $want (got $got)" [ "$got" = "$want" ]
	check "... with a JSON error" jq -e '.error and .message' "$T/err.json" >/dev/null
done
check "POST to the log: 404" [ "$(cu w -X POST -o /dev/null -w '%{http_code}' "$URL/v1/log/checkpoint")" = 404 ]
check "the switch is still up after the bad requests" [ "$(status w /v1/log/checkpoint)" = 200 ]

# ---- kill -9 during a flood ----
N=600
mkdir -p "$T/subs" "$T/cps"
"$FLOOD" "$T/sato.k" TOKYO "$N" "$T/subs" 8 90 >>"$T/flood.log" 2>"$T/flood.err" &
FPID=$!
nok() { grep -c '^ok ' "$T/flood.log" 2>/dev/null || true; }
k=0
snap() { cu w -o "$T/cps/$k.note" "$URL/v1/log/checkpoint" 2>/dev/null && k=$((k + 1)); }
for _ in $(seq 600); do
	snap
	[ "$(nok)" -ge 200 ] && break
	kill -0 "$FPID" 2>/dev/null || break
	sleep 0.05
done
snap
at=$(nok)
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
echo "killed denpod with SIGKILL after $at answered cables, $k checkpoints seen" >&2
check "the kill hit the flood mid-way ($at of $N)" [ "$at" -lt "$N" ]
sleep 0.3
start_switch || no "denpod did not restart after kill -9"
for _ in $(seq 900); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.1; done
wait "$FPID"
rc=$?
FPID=
check "sender: every cable accepted (exit $rc)" [ "$rc" = 0 ]
check "every entry gets signed after the restart" wait_signed
entries >"$T/log2.txt"
awk '$1 == "ok" {print $3}' "$T/flood.log" | sort >"$T/accepted.ids"
grep -F "|Event: cable-accepted|" "$T/log2.txt" | sed -n 's/.*|Cable-Id: \([0-9a-f]*\)|.*/\1/p' | sort >"$T/logged.all"
check "sender saw $N accepted" [ "$(wc -l <"$T/accepted.ids")" = "$N" ]
check "every cable the sender saw accepted has its cable-accepted entry, once" \
	[ -z "$(comm -23 "$T/accepted.ids" <(sort -u "$T/logged.all"))" -a -z "$(sort "$T/logged.all" | uniq -d)" ]
check "every cable stored has its entry and every entry its cable" \
	cmp -s <(sqlite3 -readonly "$T/sw/denpod.db" "SELECT lower(hex(cable_id)) FROM cables" | sort) "$T/logged.all"
D log verify >"$T/verify.out" 2>&1
check "denpod log verify passes after the kill ($(tail -1 "$T/verify.out"))" grep -q '^log verify: ok' "$T/verify.out"
cu w -o "$T/cp2.note" "$URL/v1/log/checkpoint"
if [ "$PY" = 1 ]; then
	read -r S2 R2 <<<"$(tl note "$T/cp2.note" "$VKEY")"
	bad=0 same=0
	for f in "$T"/cps/*.note; do
		read -r s r <<<"$(tl note "$f" "$VKEY")" || { bad=$((bad + 1)); continue; }
		if [ "$s" = "$S2" ]; then
			[ "$r" = "$R2" ] || bad=$((bad + 1))
			same=$((same + 1))
			continue
		fi
		[ "$s" = 0 ] && continue
		cu w -o "$T/c.json" "$URL/v1/log/proof/consistency?from=$s&size=$S2"
		tl cons "$T/c.json" "$r" "$R2" || { bad=$((bad + 1)); echo "checkpoint $s ($f) is not consistent" >&2; }
	done
	check "all $k checkpoints seen before the kill verify and are consistent with the one after ($S2)" [ "$bad" = 0 -a "$k" -gt 1 ]
	fetch_tiles "$S2" "$T/tiles2" || no "fetch tiles after the kill"
	check "after the kill the tiles ($S2 entries, over $(((S2 + 255) / 256)) level-0 tiles) give the root" \
		[ "$(tl root "$T/tiles2" "$S2")" = "$R2" ]
	[ "$GO" = 1 ] && check "Go x/mod: the checkpoint after the kill and its tiles" golog "$S2" "$T/tiles2" "$T/cp2.note" >/dev/null
	check "... and every full bundle hashes to its tile" bash -c "
		for ((n = 0; (n + 1) * 256 <= $S2; n++)); do
			curl -sk --cert '$T/aud/tls.crt' --key '$T/aud/tls.pem' -o '$T/bn' \"$URL/v1/log/tile/entries/\$(printf %03d \$n)\" &&
			python3 '$T/tlcheck.py' bundle '$T/bn' '$T/tiles2/0.'\$n 256 >/dev/null || exit 1
		done"
fi
stop_switch
check "denpod stops cleanly (exit $?)" [ $? = 0 ]
check "after a clean stop the latest checkpoint covers every entry" [ "$(D log checkpoint | sed -n 2p)" = "$(nentries)" ]
check "denpod log verify passes at rest" D log verify >/dev/null
# lag from commit to checkpoint, as the signer reports it
grep -o '([+0-9]* entries, [0-9]* ms after commit)' "$T/run.log" | awk '{print $3}' | sort -n >"$T/lag"
echo "checkpoints signed: $(wc -l <"$T/lag"); lag after commit (ms): median $(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$T/lag"), p99 $(awk '{a[NR]=$1} END {print a[int(NR*0.99+0.99)]}' "$T/lag"), max $(tail -1 "$T/lag")" >&2
check "every checkpoint came within 1 s of its commit" [ "$(tail -1 "$T/lag")" -lt 1000 ]

# ---- keys retired: seen closed by GET /v1/keys (two days on), and by a revocation ----
DENPO_TEST_CLOCK_OFFSET=$((2 * 86400)) start_switch || no "denpod restart two days on"
cu w -o /dev/null "$URL/v1/keys"
cu w -o /dev/null "$URL/v1/keys"
stop_switch
entries >"$T/log3.txt"
check "key-retired: wada.w's epoch 0, closed, logged once though asked twice" \
	[ "$(grep -F "|Event: key-retired|" "$T/log3.txt" | grep -cF "|Device: $W|Key-Epoch: 0|Reason: closed|")" = 1 ]
AUD=$(dev_of abe.a)
D device revoke "$AUD" --operator "ann ops" >/dev/null && D device revoke "$AUD" --operator "bob ops" >/dev/null || no "revoke"
entries >"$T/log3.txt"
check "a revocation retires the device's keys (key-retired, device revoked)" \
	[ "$(grep -F "|Event: key-retired|" "$T/log3.txt" | grep -cF "|Device: $AUD|Key-Epoch: 0|Reason: device revoked|")" = 1 ]
check "... after its device-revoked entry" \
	[ "$(grep -nF "|Device: $AUD|" "$T/log3.txt" | grep -F "Event: device-revoked" | cut -d: -f1)" -lt \
	  "$(grep -nF "|Device: $AUD|" "$T/log3.txt" | grep -F "Event: key-retired" | cut -d: -f1)" ]

# ---- a tampered log: verify says so, the switch refuses to start ----
sqlite3 "$T/sw/denpod.db" "UPDATE log_tiles SET data=zeroblob(32)||substr(data,33) WHERE level=0 AND n=(SELECT max(n) FROM log_tiles WHERE level=0)"
check "a tampered tile: denpod log verify exits 1" not D log verify >/dev/null
"$DENPOD" run --data "$T/sw" >"$T/refuse.log" 2>&1 &
RPID=$!
for _ in $(seq 50); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$RPID" 2>/dev/null; then kill "$RPID"; fi
wait "$RPID"
rc=$?
check "... and denpod run refuses to start (exit $rc)" [ "$rc" = 1 ]
check "... saying why" grep -q "do not give the root of the latest checkpoint" "$T/refuse.log"
t_done it_tlog
