#!/usr/bin/env bash
# bench/client_cost.sh - what an officer's action costs as a process of its
# own, and in one session (issue 17 item 4; denpo/session.c).
#
#   bench/client_cost.sh   (env: BUILD=build, BASE=/work/main/build or any other
#                           build directory, N=20 actions, RUNS=5)
#
# A fresh switch (this BUILD) on a free loopback port, two devices (hq.s at HQ,
# tk.r at TOKYO, keystores at the tests' cheap cost: DENPO_SCRYPT_LOGN=10), N
# cables sent to tk.r and read once (so every read below finds its cable on
# the device, as a second reading does).  Then, RUNS times, alternately:
#   read:  N `denpo read ID` processes, against N GET /api/cables/ID through
#          one `denpo ui` (the same checks: cli_open_cable), one curl process
#          asking for all N;
#   send:  N `denpo send` processes, against N POST /api/send through that UI;
#   phases: bench_client_phases on tk.r (one process: where its CPU goes).
# CPU is the denpo processes' own (user + system; the UI's from
# /proc/PID/task/*/schedstat), never curl's or the switch's; wall is the
# whole batch.  Prints the medians, per action, and the ratio
# process/session.  Also `denpo read` and `denpo draft list` as one process
# each of BASE and this build, alternately (the network library initialised
# only by commands that connect).  A minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BASE=${BASE:-/work/main/build}
N=${N:-20}
RUNS=${RUNS:-5}
case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
for p in "$BUILD/denpod" "$BUILD/denpo" "$BUILD/bench/bench_client_phases" "$BASE/denpo"; do
	[ -x "$p" ] || { echo "missing $p (make BUILD=...)" >&2; exit 1; }
done
for p in jq curl; do command -v "$p" >/dev/null || { echo "needs $p" >&2; exit 1; }; done
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="bench passphrase"
unset DENPO_HOME
T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-client.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# cpu_ns PID: nanoseconds the process (all its threads) has run on a CPU
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
# timed CMD...: "WALL_MS CPU_MS" of CMD and its children (bash's time: user + system)
timed() {
	local t
	t=$( { TIMEFORMAT='%3R %3U %3S'; time "$@" >/dev/null 2>>"$T/err"; } 2>&1 ) || { tail -5 "$T/err" >&2; exit 1; }
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.1f %.1f", a[1] * 1000, (a[2] + a[3]) * 1000 }'
}

echo "== setup: a switch, hq.s and tk.r, $N cables =="
port=$(free_port)
"$BUILD/denpod" init --data "$T/sw" --url "https://127.0.0.1:$port" --listen "127.0.0.1:$port" >/dev/null
"$BUILD/denpod" post add HQ --hq --data "$T/sw" >/dev/null
"$BUILD/denpod" post add TOKYO --data "$T/sw" >/dev/null
"$BUILD/denpod" officer add hq.s --post HQ --clearance SECRET --data "$T/sw" >/dev/null
"$BUILD/denpod" officer add tk.r --post TOKYO --clearance SECRET --data "$T/sw" >/dev/null
for o in hq.s:HQ tk.r:TOKYO; do
	"$BUILD/denpo" --home "$T/${o%%:*}" init --officer "${o%%:*}" --post "${o#*:}" >/dev/null 2>>"$T/err"
	"$BUILD/denpod" approve "$T/${o%%:*}/enrol-request.txt" --out "$T/${o%%:*}.answer" --data "$T/sw" >/dev/null
	"$BUILD/denpo" --home "$T/${o%%:*}" enrol --answer "$T/${o%%:*}.answer" >/dev/null 2>>"$T/err"
done
"$BUILD/denpod" run --data "$T/sw" >>"$T/run.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$T/run.log" 2>/dev/null && break; sleep 0.1; done
dpo() { local h=$1; shift; "$BUILD/denpo" --home "$T/$h" "$@"; }
dpo tk.r inbox >/dev/null 2>>"$T/err" # its key epochs published
printf '1. (S) A cable of the client cost bench.\n' >"$T/body"
for i in $(seq "$N"); do
	dpo hq.s send --class SECRET --prec ROUTINE --to TOKYO --tags PREL --subject "bench $i" --body "$T/body" \
		>/dev/null 2>>"$T/err"
done
mapfile -t IDS < <(dpo tk.r --json inbox 2>>"$T/err" | jq -r '.cables[].cable_id')
[ "${#IDS[@]}" = "$N" ] || { echo "tk.r lists ${#IDS[@]} cables, not $N" >&2; exit 1; }
for id in "${IDS[@]}"; do dpo tk.r read "$id" >/dev/null 2>>"$T/err"; done # on the device from now on

# the UI of tk.r, signed in
"$BUILD/denpo" --home "$T/tk.r" ui --no-open >"$T/ui.out" 2>>"$T/err" &
UIPID=$!
PIDS+=("$UIPID")
for _ in $(seq 100); do grep -qs '^denpo ui: open ' "$T/ui.out" && break; sleep 0.1; done
URL=$(sed -n 's/^denpo ui: open //p' "$T/ui.out")
UIBASE=${URL%%/login*}
curl -s -c "$T/cj" -o "$T/signin.html" "$URL"
KEY=$(sed -n 's/.*<meta name="denpo-key" content="\([0-9a-f]\{64\}\)">.*/\1/p' "$T/signin.html")
[ ${#KEY} = 64 ] || { echo "cannot sign in to the UI" >&2; exit 1; }
URLS=()
for id in "${IDS[@]}"; do URLS+=("$UIBASE/api/cables/$id"); done
DRAFT=$(jq -nc --rawfile b "$T/body" '{classification: "SECRET", precedence: "ROUTINE", to: ["TOKYO"],
	tags: ["PREL"], subject: "bench ui", body: $b}')

# session KIND: "WALL_MS CPU_MS" of N actions through the UI (its CPU only)
session() {
	local c0 c1 t0 t1 args=()
	c0=$(cpu_ns "$UIPID")
	t0=$(date +%s%N)
	if [ "$1" = read ]; then
		curl -sf -b "$T/cj" -H "X-Denpo-Key: $KEY" "${URLS[@]}" -o /dev/null >/dev/null ||
			{ echo "a read through the UI failed" >&2; exit 1; }
	else
		for _ in $(seq "$N"); do
			args+=(--next -sf -b "$T/cj" -H "X-Denpo-Key: $KEY" -H "Origin: $UIBASE"
				-H "Content-Type: application/json" --data "$DRAFT" -o /dev/null "$UIBASE/api/send")
		done
		curl "${args[@]}" >/dev/null || { echo "a send through the UI failed" >&2; exit 1; }
	fi
	t1=$(date +%s%N)
	c1=$(cpu_ns "$UIPID")
	awk -v w=$((t1 - t0)) -v c=$((c1 - c0)) 'BEGIN { printf "%.1f %.1f", w / 1e6, c / 1e6 }'
}
ten() { for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" || return 1; done; }
reads() { for id in "${IDS[@]}"; do "$1/denpo" --home "$T/tk.r" read "$id" || return 1; done; }
sends() {
	for _ in $(seq "$N"); do
		"$BUILD/denpo" --home "$T/tk.r" send --class SECRET --prec ROUTINE --to HQ --tags PREL \
			--subject "bench cli" --body "$T/body" || return 1
	done
}
# the UI's sends go from tk.r too (to TOKYO: itself), so both sides seal for one device
declare -A M
PH=()
for i in $(seq "$RUNS"); do
	read -r w c <<<"$(timed reads "$BUILD")"; M[rp_w]+=" $w"; M[rp_c]+=" $c"
	read -r w c <<<"$(session read)"; M[rs_w]+=" $w"; M[rs_c]+=" $c"
	read -r w c <<<"$(timed sends)"; M[sp_w]+=" $w"; M[sp_c]+=" $c"
	read -r w c <<<"$(session send)"; M[ss_w]+=" $w"; M[ss_c]+=" $c"
	PH+=("$("$BUILD/bench/bench_client_phases" "$T/tk.r" 2>>"$T/err")")
	# one process each, BASE and this build alternately (10 in a row: the kernel counts CPU in ticks)
	for b in base this; do
		d=$BUILD
		[ $b = base ] && d=$BASE
		read -r w c <<<"$(timed ten "$d/denpo" --home "$T/tk.r" read "${IDS[0]}")"; M[r1_$b]+=" $c"
		read -r w c <<<"$(timed ten "$d/denpo" --home "$T/tk.r" draft list)"; M[dl_$b]+=" $c"
		read -r w c <<<"$(timed ten "$d/denpo" --version)"; M[v_$b]+=" $c"
	done
	read -r w c <<<"$(timed ten /bin/true)"; M[true]+=" $c"
	echo "  run $i done"
done

echo
echo "== $N actions, medians of $RUNS runs (load: $(cut -d' ' -f1-3 /proc/loadavg)) =="
printf '%-8s %-26s %10s %10s %12s %12s\n' action how "wall ms" "CPU ms" "wall/action" "CPU/action"
row() {
	local w c
	# shellcheck disable=SC2086
	w=$(median ${M[$2_w]})
	# shellcheck disable=SC2086
	c=$(median ${M[$2_c]})
	awk -v a="$1" -v h="$3" -v w="$w" -v c="$c" -v n="$N" \
		'BEGIN { printf "%-8s %-26s %10.0f %10.0f %12.2f %12.2f\n", a, h, w, c, w / n, c / n }'
	echo "$w $c"  >"$T/row.$2"
}
row read rp "$N denpo read processes"
row read rs "one denpo ui session"
row send sp "$N denpo send processes"
row send ss "one denpo ui session"
ratio() {
	local a1 a2 b1 b2
	read -r a1 a2 <"$T/row.$1"
	read -r b1 b2 <"$T/row.$2"
	awk -v x="$3" -v a1="$a1" -v a2="$a2" -v b1="$b1" -v b2="$b2" \
		'BEGIN { printf "%-8s process/session: wall %.1fx, CPU %.1fx\n", x, a1 / b1, a2 / b2 }'
}
ratio rp rs read
ratio sp ss send

echo
echo "== where one process's CPU goes (bench_client_phases on tk.r: medians, ms CPU / wall) =="
for f in start crypto curl answer unlock client first again reconnect; do
	cpu=() wall=()
	for l in "${PH[@]}"; do
		v=$(tr ' ' '\n' <<<"$l" | sed -n "s/^$f=//p")
		cpu+=("${v%/*}") wall+=("${v#*/}")
	done
	printf '  %-10s %7.2f %7.2f\n' "$f" "$(median "${cpu[@]}")" "$(median "${wall[@]}")"
done

echo
echo "== one process, BASE ($BASE) and this build, alternately (medians, ms CPU) =="
for k in "r1:denpo read ID (on the device)" "dl:denpo draft list" "v:denpo --version"; do
	# shellcheck disable=SC2086
	b=$(median ${M[${k%%:*}_base]})
	# shellcheck disable=SC2086
	t=$(median ${M[${k%%:*}_this]})
	awk -v n="${k#*:}" -v b="$b" -v t="$t" 'BEGIN { printf "  %-32s base %6.2f  this %6.2f\n", n, b / 10, t / 10 }'
done
# shellcheck disable=SC2086
awk -v t="$(median ${M[true]})" 'BEGIN { printf "  %-32s %6.2f\n", "/bin/true (no library)", t / 10 }'
