#!/usr/bin/env bash
# Runs each libFuzzer target for FUZZ_SECONDS, replaying its corpus
# (fuzz/corpus/<target>/, committed seeds and crash regressions) first.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-20}
pass=0 fail=0
for bin in "$@"; do
	n=$(basename "$bin")
	seeds="fuzz/corpus/$n"
	work=$(mktemp -d)
	mkdir -p "$seeds"
	echo "== $n (${secs}s)"
	if "$bin" -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -print_final_stats=0 \
		"$work" "$seeds" >"$work.log" 2>&1; then
		pass=$((pass + 1))
		grep -E '^#[0-9]+[[:space:]]+DONE' "$work.log" | tail -n 1
	else
		fail=$((fail + 1))
		tail -n 40 "$work.log"
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
