#!/usr/bin/env bash
# it_mlkem_noble.sh - differential test of libdenpo's ML-KEM-768 against
# @noble/post-quantum (npm, pinned in tests/mlkem/package.json): random
# seeds must give the same ek, dk, ct and shared secrets, the same
# implicit-rejection key, and the same refusals of unreduced keys.
# Skips with a message when node/npm or the package cannot be had.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TOOL="$BUILD/tests/tool_mlkem"
DIR="$ROOT/tests/mlkem"
N=${MLKEM_DIFF_N:-300}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	skip "node/npm not installed"
	t_done it_mlkem_noble
	exit 0
fi
if [ ! -d "$DIR/node_modules/@noble/post-quantum" ]; then
	if ! (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
		[ ! -d "$DIR/node_modules/@noble/post-quantum" ]; then
		skip "@noble/post-quantum not installable (npm install in tests/mlkem failed)"
		t_done it_mlkem_noble
		exit 0
	fi
fi
if [ ! -x "$TOOL" ]; then
	no "missing $TOOL (make BUILD=... $TOOL)"
	t_done it_mlkem_noble
	exit 1
fi

out=$(node "$ROOT/tests/test_mlkem_diff.mjs" "$TOOL" "$N")
rc=$?
echo "$out" | grep -v '^diff:'
line=$(echo "$out" | grep -E '^diff: [0-9]+ passed, [0-9]+ failed$')
if [ -z "$line" ]; then
	no "test_mlkem_diff.mjs gave no result (exit $rc)"
else
	p=$(sed -E 's/diff: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")
	T_PASS=$((T_PASS + p))
	T_FAIL=$((T_FAIL + f))
	[ "$rc" = 0 ] || [ "$f" != 0 ] || no "test_mlkem_diff.mjs exited $rc"
fi
t_done it_mlkem_noble
