#!/usr/bin/env bash
# bench/store_write_cost.sh - the writer's side of the cable bodies out of
# SQLite's WAL: bench_fill (N cables through the store in transactions of
# 1000, as the batch writer writes them) built against a tree from before
# the segments and against this one, alternately.
#
#   BASE_TREE=/work/main bench/store_write_cost.sh   (env: N=30000, ROUNDS=3)
#
# BASE_TREE must hold a build (BASE_TREE/build/denpod.a, denpo.a,
# libdenpo.a, denpod) of the same store API.  Each round: a fresh data
# directory per side (its own `denpod init`), N cables of 6,500 bytes (one
# recipient) then N/6 of 41,000 (twenty), wall rate and the process's CPU
# (user + system seconds).  The bodies go through the WAL and the checkpoint
# on the base side, into segments here.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE_TREE:?set BASE_TREE to a built tree from before the segments (e.g. /work/main)}"
N=${N:-30000}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" "$BUILD/denpod" "$BUILD/bench/bench_fill" >/dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-writecost.XXXXXX")
trap 'rm -rf "$T"' EXIT
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -I"$BASE_TREE/include" -I"$BASE_TREE" -o "$T/fill-base" bench/bench_fill.c \
	"$BASE_TREE/build/denpod.a" "$BASE_TREE/build/denpo.a" "$BASE_TREE/build/libdenpo.a" \
	-lsodium -lssl -lcrypto -lsqlite3 -levent_openssl -levent_pthreads -levent -ljansson -lcurl -lz \
	-lseccomp -lpwquality -lpq -lpthread -lm
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$ROUNDS"); do
	for side in base segments; do
		if [ $side = base ]; then bin=$BASE_TREE/build/denpod fill=$T/fill-base; else bin=$BUILD/denpod fill=$BUILD/bench/bench_fill; fi
		rm -rf "$T/sw"
		"$bin" init --data "$T/sw" --listen 127.0.0.1:1 --url https://127.0.0.1:1 >/dev/null 2>&1
		for b in 6500 41000; do
			n=$N
			[ $b = 41000 ] && n=$((N / 6))
			out=$( { /usr/bin/time -f 'cpu %U %S' "$fill" "$T/sw" "$n" --bytes "$b"; } 2>&1 | tr '\n' ' ')
			echo "round $i $side $b bytes: $out"
		done
	done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
