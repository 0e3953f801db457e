#!/usr/bin/env bash
# Runs each libFuzzer target for FUZZ_SECONDS, replaying its corpus
# (fuzz/corpus/<target>/, committed seeds and crash regressions) first.
# A failing target's report comes last, after every passing one, with the
# input that failed (base64, when it is small) so that a CI log's tail shows
# what to run again: save it as fuzz/corpus/<target>/crash-<what> and run
# build-fuzz/<target> on that file.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-20}
# Targets run $JOBS at a time (default: one per core), each one's lines printed
# whole once all are done.
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
one() { # BIN: run it; its report in $out/NAME, its exit code in $out/NAME.rc
	local bin=$1 n seeds work rc
	n=$(basename "$bin")
	seeds="fuzz/corpus/$n"
	work=$(mktemp -d)
	mkdir -p "$seeds"
	mkdir -p "$work/art" "$work/corpus"
	"$bin" -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -print_final_stats=0 \
		-artifact_prefix="$work/art/" "$work/corpus" "$seeds" >"$work.log" 2>&1
	rc=$?
	{
		echo "== $n (${secs}s)"
		if [ "$rc" = 0 ]; then
			grep -E '^#[0-9]+[[:space:]]+DONE' "$work.log" | tail -n 1
		else
			tail -n 40 "$work.log"
			local a
			for a in "$work"/art/*; do
				[ -f "$a" ] || continue
				if [ "$(stat -c %s "$a")" -le 1024 ]; then
					echo "$n: the input, base64: $(base64 -w0 "$a")"
				else
					echo "$n: the input: $(stat -c %s "$a") bytes, sha256 $(sha256sum "$a" | cut -c1-64)"
				fi
			done
		fi
	} >"$out/$n"
	echo "$rc" >"$out/$n.rc"
	rm -rf "$work" "$work.log"
}
for bin in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
	one "$bin" &
done
wait
pass=0 fail=0 failing=()
for bin in "$@"; do
	n=$(basename "$bin")
	if [ "$(cat "$out/$n.rc" 2>/dev/null)" = 0 ]; then
		cat "$out/$n"
		pass=$((pass + 1))
	else
		failing+=("$n")
	fi
done
for n in "${failing[@]}"; do
	cat "$out/$n"
	fail=$((fail + 1))
done
[ "$fail" = 0 ] || echo "fuzz failing: ${failing[*]}"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
