#!/usr/bin/env bash
# it_tlog_go.sh - libdenpo's transparency-log artifacts checked by
# independent code: Go's golang.org/x/mod/sumdb/note and sumdb/tlog
# (Debian golang-golang-x-mod-dev) and a cosignature/v1 verifier on Go's
# crypto/ed25519 (tests/go/tlogcheck).  tests/tool_tlog writes random
# trees (signed and cosigned checkpoint, inclusion and consistency proofs,
# tlog-proof files, and forged variants that must be refused); tlogcheck
# must accept every good one and refuse every forgery.  Then the harness
# itself is shown able to fail: tampered directories must be rejected.
# Skips with a message when go or x/mod is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TOOL="$BUILD/tests/tool_tlog"
GOSRC="$ROOT/tests/go/tlogcheck"
XMOD=/usr/share/gocode/src/golang.org/x/mod/sumdb

if ! command -v go >/dev/null; then
	skip "go not installed (scripts/setup installs golang-go)"
	t_done it_tlog_go
	exit 0
fi
if [ ! -d "$XMOD/note" ] || [ ! -d "$XMOD/tlog" ]; then
	skip "golang.org/x/mod missing (apt-get install golang-golang-x-mod-dev)"
	t_done it_tlog_go
	exit 0
fi
if [ ! -x "$TOOL" ]; then
	no "missing $TOOL (make BUILD=... $TOOL)"
	t_done it_tlog_go
	exit 1
fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if ! (cd "$GOSRC" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$W/gocache" \
	GOFLAGS= go build -o "$W/tlogcheck" .) >"$W/build.log" 2>&1; then
	cat "$W/build.log" >&2
	no "go build tests/go/tlogcheck"
	t_done it_tlog_go
	exit 1
fi

# run_check DIR: tlogcheck's own counts are added to ours; returns its status
run_check() {
	local out rc line p f
	out=$("$W/tlogcheck" "$1")
	rc=$?
	echo "$out" | grep '^FAIL' >&2
	line=$(echo "$out" | grep -E '^tlogcheck: [0-9]+ passed, [0-9]+ failed$')
	if [ -z "$line" ]; then
		echo "tlogcheck gave no result (exit $rc)" >&2
		return 2
	fi
	p=$(sed -E 's/tlogcheck: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
	LAST_PASS=$p LAST_FAIL=$f
	return "$rc"
}

# good trees: the edges around powers of two and tile widths, and random sizes
for n in 1 2 3 7 8 9 255 256 257 1000 "" "" ""; do
	d="$W/tree-${n:-random}-$RANDOM"
	mkdir -p "$d"
	if ! size=$("$TOOL" "$d" $n); then
		no "tool_tlog $d $n"
		continue
	fi
	if run_check "$d"; then
		T_PASS=$((T_PASS + LAST_PASS))
	else
		T_PASS=$((T_PASS + ${LAST_PASS:-0}))
		T_FAIL=$((T_FAIL + ${LAST_FAIL:-1}))
		no "tlogcheck on a tree of $size leaves"
	fi
done

# the harness can fail: each tampering below must make tlogcheck fail
d="$W/base"
mkdir -p "$d"
"$TOOL" "$d" 100 >/dev/null || no "tool_tlog base"
tamper() { # description, then a command run inside a copy of $d
	local what=$1 t="$W/tamper-$RANDOM"
	shift
	cp -r "$d" "$t"
	(cd "$t" && "$@")
	if run_check "$t" >/dev/null 2>&1; then
		no "tlogcheck accepted: $what"
	else
		ok
	fi
}
tamper "forged proofs in place of good ones" sh -c 'cp incl.bad.txt incl.txt && cp cons.bad.txt cons.txt'
tamper "a good proof in place of a forged one" cp incl.txt incl.bad.txt
tamper "the checkpoint with a broken log signature" cp checkpoint.badsig checkpoint
tamper "the checkpoint with a broken cosignature" cp checkpoint.badcosig checkpoint
tamper "a tlog-proof with a forged hash" cp proof-bad.tlog-proof proof-0.tlog-proof
tamper "another cosigner key" sh -c 'cp vkey cosigner.vkey'
tamper "an entry changed under its leaf hash" sed -i '1s/^/00/' entries.txt

t_done it_tlog_go
