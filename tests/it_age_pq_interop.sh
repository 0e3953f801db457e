#!/usr/bin/env bash
# it_age_pq_interop.sh - libdenpo's post-quantum age (mlkem768x25519) against
# typage, npm age-encryption 0.3.1 (pinned in tests/agejs/package.json, run
# by tests/agejs/age.mjs), both directions: binary and armored, 1 and 3
# recipients, empty, 100 KiB and 200 KiB payloads, keys made by either side;
# denpo refuses to mix classic and post-quantum recipients.
# Installs the package into tests/agejs if absent; skips without node/npm.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TOOL="$BUILD/tests/tool_age"
DIR="$ROOT/tests/agejs"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	skip "node/npm not installed"
	t_done it_age_pq_interop
	exit 0
fi
if [ ! -d "$DIR/node_modules/age-encryption" ]; then
	if ! (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
		[ ! -d "$DIR/node_modules/age-encryption" ]; then
		skip "age-encryption not installable (npm install in tests/agejs failed)"
		t_done it_age_pq_interop
		exit 0
	fi
fi
if [ ! -x "$TOOL" ]; then
	no "missing $TOOL (make BUILD=... $TOOL)"
	t_done it_age_pq_interop
	exit 1
fi
JS() { node "$DIR/age.mjs" "$@"; }
# opens WANT INPUT CMD...: CMD <INPUT succeeds and writes exactly WANT
# (so an empty payload cannot pass by a failure writing nothing).
opens() {
	local want=$1 in=$2
	shift 2
	"$@" <"$in" >"$T/opened" && cmp -s "$T/opened" "$want"
}
ver=$(node -p 'require(process.argv[1]).version' "$DIR/node_modules/age-encryption/package.json")
echo "typage (age-encryption) $ver, node $(node --version)"
check "age-encryption is the pinned 0.3.1" test "$ver" = 0.3.1

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Keys: three hybrid keys from each side; identity files with a comment line.
for i in 1 2 3; do
	"$TOOL" keygen -pq >"$T/dk$i.out" || no "tool_age keygen -pq"
	{ echo "# made by tool_age"; head -n 1 "$T/dk$i.out"; } >"$T/dk$i.key"
	sed -n 2p "$T/dk$i.out" >"$T/dk$i.pub"
	JS keygen >"$T/jk$i.out" || no "age.mjs keygen"
	{ echo "# made by typage"; head -n 1 "$T/jk$i.out"; } >"$T/jk$i.key"
	sed -n 2p "$T/jk$i.out" >"$T/jk$i.pub"
done
check "tool_age PQ identity is AGE-SECRET-KEY-PQ-1 (77 chars)" \
	grep -qE '^AGE-SECRET-KEY-PQ-1[0-9A-Z]{58}$' <(head -n 1 "$T/dk1.out")
check "typage PQ recipient is age1pq1 (1959 chars)" \
	grep -qE '^age1pq1[0-9a-z]{1952}$' "$T/jk1.pub"
# The same key derivation on both sides: typage derives denpo's recipient from
# denpo's identity; denpo (decrypting with typage's identity) is checked below.
for i in 1 2 3; do
	check "typage derives the recipient of a tool_age identity ($i)" \
		cmp -s <(head -n 1 "$T/dk$i.out" | JS recipient) "$T/dk$i.pub"
done

head -c 0 /dev/urandom >"$T/p0"
head -c 102400 /dev/urandom >"$T/p100k"
head -c 204800 /dev/urandom >"$T/p200k"

for p in p0 p100k p200k; do
	for arm in "" "-a"; do
		tag="$p${arm:+ armored}"
		# denpo -> typage, one recipient (a typage key)
		if "$TOOL" encrypt $arm -r "$(cat "$T/jk1.pub")" <"$T/$p" >"$T/d1.age"; then
			check "denpo->typage 1 recipient $tag" \
				opens "$T/$p" "$T/d1.age" JS decrypt -i "$T/jk1.key"
		else
			no "tool_age encrypt 1 PQ recipient $tag"
		fi
		# denpo -> typage, three recipients (mixed origin); each side opens it
		if "$TOOL" encrypt $arm -r "$(cat "$T/jk1.pub")" -r "$(cat "$T/dk2.pub")" \
			-r "$(cat "$T/jk3.pub")" <"$T/$p" >"$T/d3.age"; then
			check "denpo->typage 3 recipients $tag (jk3)" \
				opens "$T/$p" "$T/d3.age" JS decrypt -i "$T/jk3.key"
			check "denpo->typage 3 recipients $tag (dk2, denpo key in typage)" \
				opens "$T/$p" "$T/d3.age" JS decrypt -i "$T/dk2.key"
			check "denpo->denpo 3 recipients $tag (jk1, typage key in denpo)" \
				opens "$T/$p" "$T/d3.age" "$TOOL" decrypt -i "$T/jk1.key"
		else
			no "tool_age encrypt 3 PQ recipients $tag"
		fi
		if [ -n "$arm" ]; then
			check "armored output starts with BEGIN ($p)" \
				grep -q -- '^-----BEGIN AGE ENCRYPTED FILE-----$' "$T/d1.age"
		else
			check "binary output has one mlkem768x25519 stanza ($p)" \
				test "$(grep -ac '^-> mlkem768x25519 ' "$T/d1.age")" = 1
		fi

		# typage -> denpo, one recipient (a denpo key) and three
		if JS encrypt $arm -r "$(cat "$T/dk1.pub")" <"$T/$p" >"$T/j1.age"; then
			check "typage->denpo 1 recipient $tag" \
				opens "$T/$p" "$T/j1.age" "$TOOL" decrypt -i "$T/dk1.key"
		else
			no "age.mjs encrypt 1 recipient $tag"
		fi
		if JS encrypt $arm -r "$(cat "$T/dk1.pub")" -r "$(cat "$T/jk2.pub")" \
			-r "$(cat "$T/dk3.pub")" <"$T/$p" >"$T/j3.age"; then
			check "typage->denpo 3 recipients $tag (dk3)" \
				opens "$T/$p" "$T/j3.age" "$TOOL" decrypt -i "$T/dk3.key"
			check "typage->denpo 3 recipients $tag (jk2, typage key file)" \
				opens "$T/$p" "$T/j3.age" "$TOOL" decrypt -i "$T/jk2.key"
		else
			no "age.mjs encrypt 3 recipients $tag"
		fi
	done
done

# Several identities in one file, only the last matching
cat "$T/dk1.key" "$T/jk1.key" "$T/jk3.key" >"$T/many.key"
JS encrypt -r "$(cat "$T/jk3.pub")" <"$T/p100k" >"$T/m.age"
check "typage->denpo, identity file with three keys" \
	opens "$T/p100k" "$T/m.age" "$TOOL" decrypt -i "$T/many.key"

# Negative: wrong identity is "no match" on both sides
out=$("$TOOL" decrypt -i "$T/dk2.key" <"$T/m.age" 2>&1 >/dev/null)
check "denpo: wrong PQ identity -> no_match" grep -q "no_match" <<<"$out"
"$TOOL" encrypt -r "$(cat "$T/dk1.pub")" <"$T/p100k" >"$T/mine.age"
check "typage: wrong identity fails on a denpo file" \
	bash -c '! node "$0" decrypt -i "$1" <"$2" >/dev/null 2>&1' "$DIR/age.mjs" "$T/jk1.key" "$T/mine.age"
# An X25519 identity does not open a PQ file (and vice versa)
JS keygen-x25519 >"$T/x.out"
head -n 1 "$T/x.out" >"$T/x.key"
out=$("$TOOL" decrypt -i "$T/x.key" <"$T/m.age" 2>&1 >/dev/null)
check "denpo: X25519 identity on a PQ file -> no_match" grep -q "no_match" <<<"$out"
# denpo refuses to mix classic and post-quantum recipients, in either order
out=$("$TOOL" encrypt -r "$(cat "$T/jk1.pub")" -r "$(sed -n 2p "$T/x.out")" <"$T/p100k" 2>&1 >"$T/mix.age")
check "denpo: PQ + X25519 recipients refused (mixed)" grep -q "mixed" <<<"$out"
check "denpo: nothing written on mixed" test ! -s "$T/mix.age"
out=$("$TOOL" encrypt -r "$(sed -n 2p "$T/x.out")" -r "$(cat "$T/dk1.pub")" <"$T/p100k" 2>&1 >"$T/mix.age")
check "denpo: X25519 + PQ recipients refused (mixed)" grep -q "mixed" <<<"$out"
# Forged payload in a typage-made file: refused, nothing released
JS encrypt -r "$(cat "$T/dk1.pub")" <"$T/p100k" >"$T/flip.age"
size=$(stat -c %s "$T/flip.age")
off=$((size - 100))
byte=$(od -An -tu1 -j "$off" -N1 "$T/flip.age" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 1)))" | dd of="$T/flip.age" bs=1 seek="$off" conv=notrunc status=none
"$TOOL" decrypt -i "$T/dk1.key" <"$T/flip.age" >"$T/flip.out" 2>"$T/flip.err"
check "denpo: forged payload refused" test $? = 1
check "denpo: forged payload releases nothing" test ! -s "$T/flip.out"

t_done it_age_pq_interop
