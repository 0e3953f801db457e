#!/usr/bin/env bash
# it_age_interop.sh - libdenpo's age against Debian's age/age-keygen (Go),
# both directions: binary and armored, 1 and 3 recipients, empty and
# 100 KiB payloads, and key strings made by either side.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TOOL="$BUILD/tests/tool_age"

if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
	skip "age/age-keygen not installed (apt-get install age)"
	t_done it_age_interop
	exit 0
fi
if [ ! -x "$TOOL" ]; then
	no "missing $TOOL (make BUILD=... $TOOL)"
	t_done it_age_interop
	exit 1
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Keys: three from each side.  denpo identity files look like age-keygen's
# (a comment line, then the key).
for i in 1 2 3; do
	"$TOOL" keygen >"$T/dk$i.out" || no "tool_age keygen"
	{ echo "# made by tool_age"; head -n 1 "$T/dk$i.out"; } >"$T/dk$i.key"
	sed -n 2p "$T/dk$i.out" >"$T/dk$i.pub"
	age-keygen -o "$T/gk$i.key" 2>/dev/null || no "age-keygen"
	age-keygen -y "$T/gk$i.key" >"$T/gk$i.pub" || no "age-keygen -y"
done

# denpo keys are well-formed for age: age-keygen -y derives the same recipient
for i in 1 2 3; do
	head -n 1 "$T/dk$i.out" >"$T/dk$i.bare"
	check "age-keygen -y agrees with tool_age keygen ($i)" \
		cmp -s <(age-keygen -y "$T/dk$i.bare") "$T/dk$i.pub"
done

head -c 0 /dev/urandom >"$T/p0"
head -c 102400 /dev/urandom >"$T/p100k"

for p in p0 p100k; do
	for arm in "" "-a"; do
		tag="$p${arm:+ armored}"
		# denpo -> age, one recipient (an age-keygen key)
		if "$TOOL" encrypt $arm -r "$(cat "$T/gk1.pub")" <"$T/$p" >"$T/d1.age"; then
			check "denpo->age 1 recipient $tag" cmp -s <(age -d -i "$T/gk1.key" "$T/d1.age") "$T/$p"
		else
			no "tool_age encrypt 1 recipient $tag"
		fi
		# denpo -> age, three recipients (mixed origin); each identity opens it
		if "$TOOL" encrypt $arm -r "$(cat "$T/gk1.pub")" -r "$(cat "$T/dk2.pub")" \
			-r "$(cat "$T/gk3.pub")" <"$T/$p" >"$T/d3.age"; then
			check "denpo->age 3 recipients $tag (gk3)" \
				cmp -s <(age -d -i "$T/gk3.key" "$T/d3.age") "$T/$p"
			check "denpo->age 3 recipients $tag (dk2, denpo key in age)" \
				cmp -s <(age -d -i "$T/dk2.key" "$T/d3.age") "$T/$p"
			check "denpo->denpo 3 recipients $tag" \
				cmp -s <("$TOOL" decrypt -i "$T/gk1.key" <"$T/d3.age") "$T/$p"
		else
			no "tool_age encrypt 3 recipients $tag"
		fi
		# armored output really is armor, binary output really is binary
		if [ -n "$arm" ]; then
			check "armored output starts with BEGIN ($p)" \
				grep -q -- '^-----BEGIN AGE ENCRYPTED FILE-----$' "$T/d1.age"
		else
			check "binary output starts with the v1 line ($p)" \
				grep -q '^age-encryption.org/v1$' "$T/d1.age"
		fi

		# age -> denpo, one recipient (a denpo key) and three
		if age -e $arm -r "$(cat "$T/dk1.pub")" -o "$T/g1.age" "$T/$p"; then
			check "age->denpo 1 recipient $tag" \
				cmp -s <("$TOOL" decrypt -i "$T/dk1.key" <"$T/g1.age") "$T/$p"
		else
			no "age -e 1 recipient $tag"
		fi
		if age -e $arm -r "$(cat "$T/dk1.pub")" -r "$(cat "$T/gk2.pub")" -r "$(cat "$T/dk3.pub")" \
			-o "$T/g3.age" "$T/$p"; then
			check "age->denpo 3 recipients $tag (dk3)" \
				cmp -s <("$TOOL" decrypt -i "$T/dk3.key" <"$T/g3.age") "$T/$p"
			check "age->denpo 3 recipients $tag (gk2, age-keygen file)" \
				cmp -s <("$TOOL" decrypt -i "$T/gk2.key" <"$T/g3.age") "$T/$p"
		else
			no "age -e 3 recipients $tag"
		fi
	done
done

# Negative: a file for other recipients is "no match" on both sides
age -e -r "$(cat "$T/gk1.pub")" -o "$T/other.age" "$T/p100k"
out=$("$TOOL" decrypt -i "$T/dk1.key" <"$T/other.age" 2>&1 >/dev/null)
check "denpo: wrong identity -> nomatch (exit 1)" \
	bash -c '! "$0" decrypt -i "$1" <"$2" >/dev/null 2>&1' "$TOOL" "$T/dk1.key" "$T/other.age"
check "denpo: wrong identity error is no_match" grep -q "no_match" <<<"$out"
"$TOOL" encrypt -r "$(cat "$T/dk1.pub")" <"$T/p100k" >"$T/mine.age"
check "age: wrong identity fails on a denpo file" \
	bash -c '! age -d -i "$0" "$1" >/dev/null 2>&1' "$T/gk1.key" "$T/mine.age"
# Negative: a flipped payload byte in an age-made file is refused, nothing written
age -e -r "$(cat "$T/dk1.pub")" -o "$T/flip.age" "$T/p100k"
size=$(stat -c %s "$T/flip.age")
off=$((size - 100))
byte=$(od -An -tu1 -j "$off" -N1 "$T/flip.age" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 1)))" | dd of="$T/flip.age" bs=1 seek="$off" conv=notrunc status=none
"$TOOL" decrypt -i "$T/dk1.key" <"$T/flip.age" >"$T/flip.out" 2>"$T/flip.err"
check "denpo: forged payload refused" test $? = 1
check "denpo: forged payload releases nothing" test ! -s "$T/flip.out"

t_done it_age_interop
