#!/usr/bin/env bash
# it_bag.sh - the export bag of a declassified cable (docs/formats.md, "The
# export bag").  tests/tool_bag makes bags with the product's own
# dp_export_bag from a cable signed by its device, real log entries, their
# inclusion proofs and a signed checkpoint (no switch: it_records.sh does the
# end-to-end).  Two validators judge them: the independent BagIt validator
# (bagit.py from the .venv scripts/setup makes; skipped with a message where
# PyPI cannot be reached), with coreutils' sha256sum/sha512sum on the
# manifests as a second opinion that always runs, and `denpo audit verify`.
# A good bag passes both; each tampering fails both, or the one that can see
# it (a forger who rewrites the manifests fools BagIt, never denpo).
. "$(dirname "$0")/lib.sh"
TOOL="$BUILD/tests/tool_bag"
need_programs it_bag "$DENPO" "$TOOL"
t_workdir
export HOME="$T/home" # a device that pinned no log key
mkdir -p "$HOME"
unset DENPO_HOME

"$TOOL" "$T" >"$T/tool.out" 2>&1
rc=$?
if [ "$rc" = 77 ]; then
	skip "tool_bag: $(cat "$T/tool.out")"
	t_done it_bag
	exit 0
fi
check "tool_bag makes the bags, and the exporter refuses an existing directory, one officer, another submission, another key: $(tail -n 3 "$T/tool.out")" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { t_done it_bag; exit 1; }

BAGIT="$ROOT/.venv/bin/bagit.py"
if [ ! -x "$BAGIT" ]; then
	skip "bagit.py: no $ROOT/.venv (scripts/setup could not install bagit from PyPI); sha256sum/sha512sum judge the manifests alone"
	BAGIT=
fi

# bagit_says DIR: 0 if the BagIt validators accept DIR (bagit.py --validate,
# and always the manifests and tag manifests under coreutils, and no payload
# file missing from a manifest).
bagit_says() {
	local d=$1
	if [ -n "$BAGIT" ] && ! "$BAGIT" --validate "$d" >"$T/bagit.out" 2>&1; then
		return 1
	fi
	(
		cd "$d" || exit 1
		sha256sum --quiet --strict -c manifest-sha256.txt && sha512sum --quiet --strict -c manifest-sha512.txt &&
			sha256sum --quiet --strict -c tagmanifest-sha256.txt &&
			sha512sum --quiet --strict -c tagmanifest-sha512.txt || exit 1
		for m in manifest-sha256.txt manifest-sha512.txt; do
			diff <(find data -type f | LC_ALL=C sort) <(sed 's/^[0-9a-f]*  //' "$m" | LC_ALL=C sort) \
				>/dev/null || exit 1
		done
	) >/dev/null 2>&1
}
bagit_refuses() { ! bagit_says "$1"; }
# verify DIR: denpo audit verify under the test log key; its output in $T/v.out, exit code echoed.
verify() {
	"$DENPO" audit verify "$1" --log-key "$T/log.vkey" >"$T/v.out" 2>&1
	echo $?
}
# fails_at PATTERN: the last verify exited 3 and printed a line matching PATTERN.
fails_at() { [ "$rc" = 3 ] && grep -q -- "$1" "$T/v.out"; }
# rebag DIR: the manifests, Payload-Oxum and tag manifests made again, as a forger would.
rebag() {
	(
		cd "$1" || exit 1
		find data -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum >manifest-sha256.txt
		find data -type f -print0 | LC_ALL=C sort -z | xargs -0 sha512sum >manifest-sha512.txt
		octets=$(find data -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
		sed -i "s/^Payload-Oxum: .*/Payload-Oxum: $octets.$(find data -type f | wc -l)/" bag-info.txt
		sha256sum bagit.txt bag-info.txt manifest-sha256.txt manifest-sha512.txt >tagmanifest-sha256.txt
		sha512sum bagit.txt bag-info.txt manifest-sha256.txt manifest-sha512.txt >tagmanifest-sha512.txt
	)
}
copy() { rm -rf "$T/$1" && cp -a "$T/bag" "$T/$1" && echo "$T/$1"; }
# flip FILE OFFSET: one byte changed (xor 1) in place.
flip() {
	python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[o] ^= 1; open(p, "wb").write(b)' "$1" "$2"
}

# ---- the good bag ----
B="$T/bag"
check "the bag: 0644 files, 0755 directories, no temporary directory left" \
	[ -z "$(find "$B" \( -type f ! -perm 0644 \) -o \( -type d ! -perm 0755 \))" -a -z "$(ls -d "$T"/bag.tmp-* 2>/dev/null)" ]
check "the bag: its layout" [ -f "$B/bagit.txt" -a -f "$B/bag-info.txt" -a -f "$B/data/cable.txt" -a \
	-f "$B/data/cable.signed" -a -f "$B/data/metadata.json" -a -f "$B/data/attachments/quota-table.csv" -a \
	-f "$B/data/proofs/checkpoint" -a -f "$B/data/proofs/log-key" -a -f "$B/data/submission" ]
check "bagit.txt is BagIt 1.0 in UTF-8" \
	cmp -s "$B/bagit.txt" <(printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n')
check "bag-info.txt names the MRN, the organisation and the software" \
	grep -qx 'External-Identifier: 26 TOKYO 000123' "$B/bag-info.txt"
check "  (Source-Organization)" grep -qx 'Source-Organization: Ministry of Foreign Affairs of Japan' "$B/bag-info.txt"
check "  (Bag-Software-Agent)" grep -q '^Bag-Software-Agent: denpo ' "$B/bag-info.txt"
check "the good bag: the BagIt validators accept it" bagit_says "$B"
rc=$(verify "$B")
check "the good bag: denpo audit verify accepts it (exit 0): $(tail -n 3 "$T/v.out")" [ "$rc" = 0 ]
check "  (says VERIFIED, each check OK)" grep -q '^VERIFIED' "$T/v.out"
check "  (eleven checks)" [ "$(grep -c '^OK ' "$T/v.out")" = 11 ]
check "cable.txt carries the banners with the marking" grep -qx '極秘 (SECRET)//NOFORN' "$B/data/cable.txt"
check "metadata.json names both approvers" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["declassification"]["approvers"] != ["tanaka.r", "suzuki.m"] or d["mrn"] != "26 TOKYO 000123")' "$B/data/metadata.json"

# ---- never the bag's own key ----
"$DENPO" audit verify "$B" >"$T/v.out" 2>&1
rc=$?
check "no log key given or pinned: refused (exit 1), not verified under the bag's own key" [ "$rc" = 1 ]
check "  (says to pass the ministry's key)" grep -q 'bag.s own data/proofs/log-key proves nothing' "$T/v.out"

# ---- tampering that both validators see ----
d=$(copy t-byte)
flip "$d/data/cable.txt" 40
check "a payload byte changed: BagIt fails" bagit_refuses "$d"
rc=$(verify "$d")
check "a payload byte changed: denpo fails (exit 3) at the bag" fails_at '^FAIL bag: .*cable.txt does not match'

d=$(copy t-added)
echo "planted" >"$d/data/proofs/notes.txt"
check "a file added: BagIt fails" bagit_refuses "$d"
rc=$(verify "$d")
check "a file added: denpo fails at the bag" fails_at '^FAIL bag: .*notes.txt is not listed'

d=$(copy t-line)
sed -i '/data\/cable.signed$/d' "$d/manifest-sha256.txt"
check "a manifest line removed: BagIt fails" bagit_refuses "$d"
rc=$(verify "$d")
check "a manifest line removed: denpo fails at the bag" fails_at '^FAIL bag: '

d=$(copy t-link)
ln -s /etc/passwd "$d/data/attachments/passwd"
rc=$(verify "$d")
check "a symlink in the payload: denpo refuses it" fails_at 'not a regular file'

# ---- tampering with the manifests rewritten: only denpo can see it ----
d=$(copy t-sig)
flip "$d/data/cable.signed" $(($(stat -c %s "$d/data/cable.signed") - 5))
rebag "$d"
check "the signature flipped (manifests rewritten): BagIt passes" bagit_says "$d"
rc=$(verify "$d")
check "the signature flipped: denpo fails at the signature" fails_at '^FAIL signature: '

d=$(copy t-proof)
p=$(ls "$d"/data/proofs/*.tlog-proof | head -n 1)
line=$(grep -n '^[A-Za-z0-9+/]\{43\}=$' "$p" | head -n 1 | cut -d: -f1)
python3 -c 'import sys
p, n = sys.argv[1], int(sys.argv[2]) - 1
l = open(p).read().split("\n"); h = l[n]; l[n] = ("B" if h[0] != "B" else "C") + h[1:]
open(p, "w").write("\n".join(l))' "$p" "$line"
rebag "$d"
check "a proof hash changed (manifests rewritten): BagIt passes" bagit_says "$d"
rc=$(verify "$d")
check "a proof hash changed: denpo fails at the proofs" fails_at '^FAIL proofs: .*inclusion proof fails'

d="$T/bag-other"
check "a checkpoint from another key: BagIt passes" bagit_says "$d"
rc=$(verify "$d")
check "a checkpoint from another key: denpo fails at the checkpoint" fails_at '^FAIL checkpoint: .*not signed by the log key'

d=$(copy t-same)
read -r appr same <"$T/approve-index"
rm "$d/data/proofs/$appr.tlog-proof"
cp "$T/same.tlog-proof" "$d/data/proofs/$same.tlog-proof"
rebag "$d"
check "one approver twice (manifests rewritten): BagIt passes" bagit_says "$d"
rc=$(verify "$d")
check "one approver twice: denpo fails at the declassification" fails_at '^FAIL declassification: proposed and approved by one officer (tanaka.r)'

# forged NAME WHAT PATTERN SHELL: a copy of the good bag altered by SHELL (run in it), its
# manifests rewritten; BagIt accepts it, denpo fails with a line matching PATTERN.
forged() {
	local d
	d=$(copy "$1")
	(cd "$d" && eval "$4") || no "$2: the alteration did not apply"
	rebag "$d"
	check "$2 (manifests rewritten): BagIt passes" bagit_says "$d"
	rc=$(verify "$d")
	check "$2: denpo fails" fails_at "$3"
}
forged t-other "an entry of no concern to the cable added (proved)" \
	'^FAIL accepted: log entry 0 is not a cable-accepted or records entry of this cable' \
	'cp "$T/admin.tlog-proof" data/proofs/0.tlog-proof'
forged t-text "cable.txt reworded" '^FAIL cable.txt: ' \
	"sed -i 's/without agreement/with agreement/' data/cable.txt"
forged t-meta "metadata.json altered" '^FAIL metadata.json: ' \
	"sed -i 's/\"suzuki.m\"/\"suzuki.n\"/' data/metadata.json"
forged t-sub "the submission altered" '^FAIL submission: ' 'echo x >>data/submission'
forged t-info "bag-info.txt names another MRN" '^FAIL bag-info: ' \
	"sed -i 's/^External-Identifier: .*/External-Identifier: 26 TOKYO 000999/' bag-info.txt"

t_done it_bag
