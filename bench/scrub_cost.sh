#!/usr/bin/env bash
# bench/scrub_cost.sh - what the scrub costs the switch's cable throughput.
#
#   bench/scrub_cost.sh          (env: PAIRS=3, LOAD_SECONDS=5, CONNS=32, RATE=default)
#
# Runs bench/run.sh PAIRS times with the scrub off (scrub_period=0) and
# PAIRS times with a scrub running through the whole load (scrub_period=1:
# a pass begins every second, so it never rests, at scrub_rate=RATE or the
# default 8 MiB/s), alternately, so machine noise hits both alike, and
# prints the medians of the 1- and 20-recipient load scenarios, FLASH p99,
# and the scrub's cost in percent.  A few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-3}
export LOAD_SECONDS=${LOAD_SECONDS:-5} CONNS=${CONNS:-32} RUNS=1 FLASH_SECONDS=${FLASH_SECONDS:-2} QUEUE=0
ON="scrub_period=1"
[ -n "${RATE:-}" ] && ON="$ON\\nscrub_rate=$RATE"
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-scrubcost.XXXXXX")
trap 'rm -rf "$T"' EXIT

val() { sed -nE "s/^$1 +([0-9.]+) \/s.*/\1/p" "$2" | head -n 1; }
p99() { sed -nE 's/^FLASH submit -> waiting inbox, p50 +[0-9.]+ ms p99 ([0-9.]+) ms.*/\1/p' "$1" | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

A1=() A20=() AF=() B1=() B20=() BF=()
for i in $(seq "$PAIRS"); do
	DENPOD_CONF="scrub_period=0" bench/run.sh >"$T/off.txt" 2>&1 || { cat "$T/off.txt" >&2; exit 1; }
	DENPOD_CONF="$ON" bench/run.sh >"$T/on.txt" 2>&1 || { cat "$T/on.txt" >&2; exit 1; }
	A1+=("$(val 'accepted cables, 1 recipient device' "$T/off.txt")")
	A20+=("$(val 'accepted cables, 20 recipient devices' "$T/off.txt")")
	AF+=("$(p99 "$T/off.txt")")
	B1+=("$(val 'accepted cables, 1 recipient device' "$T/on.txt")")
	B20+=("$(val 'accepted cables, 20 recipient devices' "$T/on.txt")")
	BF+=("$(p99 "$T/on.txt")")
	echo "  pair $i: 1 recipient ${A1[-1]} -> ${B1[-1]} /s; 20 recipients ${A20[-1]} -> ${B20[-1]} /s;" \
		"FLASH p99 ${AF[-1]} -> ${BF[-1]} ms"
done
a1=$(median "${A1[@]}") a20=$(median "${A20[@]}") af=$(median "${AF[@]}")
b1=$(median "${B1[@]}") b20=$(median "${B20[@]}") bf=$(median "${BF[@]}")
echo
echo "== medians of $PAIRS alternating runs (${LOAD_SECONDS} s each) =="
awk -v a="$a1" -v b="$b1" 'BEGIN { printf "1 recipient:   %8.0f /s scrub off, %8.0f /s scrubbing: cost %.1f %%\n", a, b, (a - b) / a * 100 }'
awk -v a="$a20" -v b="$b20" 'BEGIN { printf "20 recipients: %8.0f /s scrub off, %8.0f /s scrubbing: cost %.1f %%\n", a, b, (a - b) / a * 100 }'
echo "FLASH p99:     $af ms scrub off, $bf ms scrubbing"
