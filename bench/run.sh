#!/usr/bin/env bash
# bench/run.sh - the switch benchmark beside the physical limits, in one run.
#
#   bench/run.sh            (env: BUILD=build, RUNS=3, CONNS=32, QUEUE=100000,
#                                 FLASH_SECONDS=10, LOAD_SECONDS=10, DENPOD=$BUILD/denpod,
#                                 FLASH_LOAD=0.8 (the flood beside the FLASH: share of r1),
#                                 BENCH_SWITCH=$BUILD/bench/bench_switch (the load generator),
#                                 DENPOD_CONF="key=value\n..." appended to denpod.conf)
#   STORE=postgresql bench/run.sh
#                           (the same switch on SQLite, then on PostgreSQL with one
#                            instance and with two; there the defaults are QUEUE=10000,
#                            FILL_SECONDS=30, FLASH_SECONDS=5, LOAD_SECONDS=5: three
#                            switches in one run)
#
# Builds, runs bench_baseline (Ed25519 verify on one core and on two,
# SQLite WAL batched insert),
# makes a fresh switch in a temp dir on a free 127.0.0.1 port, enrols the
# bench devices, starts denpod, runs each scenario RUNS times and prints the
# medians and their ratios to the baseline.  Loopback only; a few minutes.
# With STORE=postgresql it also starts a temporary PostgreSQL 15 with fsync on
# (scripts/pg-tmp --durable), measures plain durable inserts of rows the
# cable's size into it (bench_baseline --pg, CONNS connections at once), and
# runs the same scenarios on a fresh database with one denpod, then on
# another with two denpod instances sharing it (the connections split across
# both; each FLASH submitted to the first and waited for on the second).
# bench/README.md explains every number.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/switch_setup.sh

BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
CONNS=${CONNS:-32}
STORE=${STORE:-}
case $STORE in
'' | sqlite) CONFIGS=(sqlite) ;;
postgresql)
	CONFIGS=(sqlite pg1 pg2)
	QUEUE=${QUEUE:-10000} FLASH_SECONDS=${FLASH_SECONDS:-5} LOAD_SECONDS=${LOAD_SECONDS:-5}
	FILL_SECONDS=${FILL_SECONDS:-30}
	;;
*) echo "run.sh: STORE is sqlite (the default) or postgresql, not '$STORE'" >&2; exit 2 ;;
esac
QUEUE=${QUEUE:-100000}
FLASH_SECONDS=${FLASH_SECONDS:-10}
LOAD_SECONDS=${LOAD_SECONDS:-10}
FILL_SECONDS=${FILL_SECONDS:-60} # at most this long deepening the queue before each FLASH run
FLASH_LOAD=${FLASH_LOAD:-0.8}    # the ROUTINE flood during the FLASH runs: this share of the r1 median
B=${BENCH_SWITCH:-$BUILD/bench/bench_switch} # another load generator may drive the run (bench/gen_cost.sh)
DENPOD=${DENPOD:-$BUILD/denpod} # another daemon binary may be compared against the same run

mkdir -p "$BUILD/bench" # the Makefile's link rule does not create it
make -s BUILD="$BUILD" "$BUILD/denpod" "$BUILD/bench/bench_baseline" "$BUILD/bench/bench_switch" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/denpo-bench.XXXXXX")
PID="" PID2="" PGDIR=""
stop_switch() {
	local p
	for p in $PID $PID2; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	PID="" PID2=""
}
cleanup() {
	stop_switch
	[ -n "$PGDIR" ] && scripts/pg-tmp stop "$PGDIR"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
pct() { sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (!NR) { print 0; exit } i = int(p / 100 * (NR - 1) + 0.5) + 1; print v[i] }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

LOAD0=$(loadavg)
echo "== baseline (same machine, same run; load average $LOAD0) =="
"$BUILD/bench/bench_baseline" "$T" | tee "$T/base.txt"
ED=$(val ed25519_verify_4k "$T/base.txt")
ED2=$(val ed25519_verify_4k_2core "$T/base.txt")
SQ=$(val sqlite_wal_full_4k_batch100 "$T/base.txt")

# ---- PostgreSQL: a cluster of the run's own, durable, with PostgreSQL's default cache ----
PGADMIN=
if [ "$STORE" = postgresql ]; then
	env=$(scripts/pg-tmp start --durable --watch $$) || { echo "run.sh: no PostgreSQL" >&2; exit 1; }
	eval "$env"
	PGADMIN=$DENPO_TEST_PG PGDIR=$DENPO_TEST_PG_DIR
	# pg-tmp's 16 MB suits many test clusters; a benchmark gets the server's own default
	psql -qAtX "$PGADMIN" -c "ALTER SYSTEM SET shared_buffers = '128MB'" >/dev/null
	runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$PGDIR/data" -w -t 30 restart >/dev/null
fi
# pg_db NAME: a new empty database NAME on the run's cluster; prints its URI
pg_db() {
	PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 "$PGADMIN" \
		-c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
	sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$1#" <<<"$PGADMIN"
}

# ---- a fresh switch on free loopback ports ----
# wait_listening PID LOG: until denpod logs "listening" (5 s); 1 if it did not
wait_listening() {
	for _ in $(seq 50); do
		grep -q listening "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# start_switch CONFIG: sqlite, pg1 (one denpod on PostgreSQL) or pg2 (two on one database)
start_switch() {
	local cfg=$1 tries=0 store=() urls
	while :; do
		PORT=$(free_port) PORT2=$(free_port)
		[ "$PORT" != "$PORT2" ] || continue
		urls=https://127.0.0.1:$PORT
		[ "$cfg" = pg2 ] && urls+=,https://127.0.0.1:$PORT2
		[ "$cfg" != sqlite ] && store=(--store "$(pg_db "denpo_bench_$cfg")")
		rm -rf "$T/sw" "$T/sw2"
		bench_switch_init "$T/sw" "$T/b" "$PORT" "$urls" "${store[@]}"
		[ -n "${DENPOD_CONF:-}" ] && printf '%b\n' "$DENPOD_CONF" >>"$T/sw/denpod.conf"
		if [ "$cfg" = pg2 ]; then # the second instance: the same keys and store, its own port
			cp -a "$T/sw" "$T/sw2"
			sed -i "s|^listen=.*|listen=127.0.0.1:$PORT2|" "$T/sw2/denpod.conf"
		fi
		"$DENPOD" run --data "$T/sw" 2>"$T/denpod.log" &
		PID=$!
		if wait_listening "$PID" "$T/denpod.log"; then
			[ "$cfg" = pg2 ] || return 0
			"$DENPOD" run --data "$T/sw2" 2>"$T/denpod2.log" &
			PID2=$!
			wait_listening "$PID2" "$T/denpod2.log" && return 0
		fi
		stop_switch
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "run.sh: denpod did not start:" >&2
			cat "$T/denpod.log" "$T/denpod2.log" >&2 2>/dev/null
			exit 1
		fi
	done
}

bs() { # COMMAND LABEL ARGS...: one bench_switch run, output in $T/one.txt
	local cmd=$1 label=$2
	shift 2
	timeout 300 "$B" "$cmd" "$T/b" "$@" --conns "$CONNS" --label "$label" 2>"$T/err.txt" >"$T/one.txt" ||
		{ cat "$T/one.txt" "$T/err.txt" >&2; echo "run.sh: $label failed" >&2; exit 1; }
}

declare -A NAME=([sqlite]="SQLite" [pg1]="PostgreSQL, 1 instance" [pg2]="PostgreSQL, 2 instances")
# per configuration: medians (M1, M20, ...), the FLASH figures, the queue depths
declare -A M1 L1M P1M M20 L20M P20M FP50M FP99M FPOOL FRM CAPS QD0 QDN
BYTES=
PGB=
# Several switches in one run: a later one builds only the cables it can send in LOAD_SECONDS
# at 1.5 times the best rate seen so far (building them is untimed but not free: ~2 ms of
# CPU a cable to 20 recipients); one switch builds as many as ever.
declare -A TOP=()
ncables() { # SCENARIO DEFAULT
	if [ ${#CONFIGS[@]} = 1 ] || [ -z "${TOP[$1]:-}" ]; then
		echo "$2"
		return
	fi
	awk -v r="${TOP[$1]}" -v s="$LOAD_SECONDS" -v d="$2" -v c="$CONNS" \
		'BEGIN { n = int(r * s * 1.5) + 4 * c; print (n < d) ? n : d }'
}
seen() { TOP[$1]=$(awk -v a="${TOP[$1]:-0}" -v b="$2" 'BEGIN { print (b > a) ? b : a }'); } # SCENARIO RATE

# pg_baseline: plain durable inserts of rows the 1-recipient cable's size, same cluster, same concurrency
pg_baseline() {
	echo "== PostgreSQL baseline: plain inserts of $BYTES-byte rows (same cluster, same run) =="
	"$BUILD/bench/bench_baseline" --pg "$(pg_db denpo_bench_base)" --bytes "$BYTES" --conns "$CONNS" |
		tee -a "$T/base.txt"
	PGB=$(val pg_insert_concurrent "$T/base.txt")
}

# run_config CONFIG: a fresh switch, every scenario RUNS times, medians into the arrays
run_config() {
	local cfg=$1 QUEUED=0 i
	[ "$cfg" != sqlite ] && [ -z "$PGB" ] && pg_baseline
	start_switch "$cfg"
	echo "== ${NAME[$cfg]}: switch on 127.0.0.1:$PORT$([ "$cfg" = pg2 ] && echo " and :$PORT2")" \
		"($(ls "$T"/b/ans | wc -l) devices enrolled; load average $(loadavg)) =="
	# every ROUTINE cable below is queued for bench.r0 (never fetched): the queue depth
	local R1=() P1=() L1=() R20=() P20=() L20=()
	for i in $(seq "$RUNS"); do
		bs load "r1_$i" --recipients 1 --cables "$(ncables r1 20000)" --seconds "$LOAD_SECONDS"
		seen r1 "$(val "r1_${i}_rate" "$T/one.txt")"
		R1+=("$(val "r1_${i}_rate" "$T/one.txt")") L1+=("$(val "r1_${i}_p50" "$T/one.txt")")
		P1+=("$(val "r1_${i}_p99" "$T/one.txt")")
		BYTES=${BYTES:-$(val "r1_${i}_bytes" "$T/one.txt")}
		QUEUED=$((QUEUED + $(val "r1_${i}_accepted" "$T/one.txt")))
		echo "  run $i, 1 recipient:   ${R1[-1]} cables/s, answer p50 ${L1[-1]} ms, p99 ${P1[-1]} ms"
	done
	for i in $(seq "$RUNS"); do
		bs load "r20_$i" --recipients 20 --cables "$(ncables r20 6000)" --seconds "$LOAD_SECONDS"
		seen r20 "$(val "r20_${i}_rate" "$T/one.txt")"
		R20+=("$(val "r20_${i}_rate" "$T/one.txt")") L20+=("$(val "r20_${i}_p50" "$T/one.txt")")
		P20+=("$(val "r20_${i}_p99" "$T/one.txt")")
		QUEUED=$((QUEUED + $(val "r20_${i}_accepted" "$T/one.txt")))
		echo "  run $i, 20 recipients: ${R20[-1]} cables/s, answer p50 ${L20[-1]} ms, p99 ${P20[-1]} ms"
	done
	local CAP RATE FILL
	CAP=$(median "${R1[@]}")
	RATE=$(awk -v c="$CAP" -v f="$FLASH_LOAD" 'BEGIN { printf "%d", c * f }')

	local FP50=() FP99=() FR=() QD=()
	: >"$T/flash.raw"
	for i in $(seq "$RUNS"); do
		FILL=$((QUEUE > QUEUED ? QUEUE - QUEUED : 0))
		bs flash "f_$i" --rate "$RATE" --seconds "$FLASH_SECONDS" --fill "$FILL" --fill-seconds "$FILL_SECONDS" \
			--raw "$T/flash.raw"
		QUEUED=$((QUEUED + $(val "f_${i}_filled" "$T/one.txt")))
		QD+=("$QUEUED")
		QUEUED=$((QUEUED + $(val "f_${i}_flood_accepted" "$T/one.txt")))
		FP50+=("$(val "f_${i}_p50" "$T/one.txt")") FP99+=("$(val "f_${i}_p99" "$T/one.txt")")
		FR+=("$(val "f_${i}_flood_rate" "$T/one.txt")")
		echo "  run $i, FLASH: p50 ${FP50[-1]} ms, p99 ${FP99[-1]} ms over $(val "f_${i}_flash_sent" "$T/one.txt") FLASH;" \
			"ROUTINE flood ${FR[-1]}/s (target $RATE/s), ${QD[-1]} cables queued at start"
	done
	stop_switch

	M1[$cfg]=$CAP L1M[$cfg]=$(median "${L1[@]}") P1M[$cfg]=$(median "${P1[@]}")
	M20[$cfg]=$(median "${R20[@]}") L20M[$cfg]=$(median "${L20[@]}") P20M[$cfg]=$(median "${P20[@]}")
	FP50M[$cfg]=$(median "${FP50[@]}") FP99M[$cfg]=$(median "${FP99[@]}") FRM[$cfg]=$(median "${FR[@]}")
	FPOOL[$cfg]="$(wc -l <"$T/flash.raw") samples: p50 $(pct "$T/flash.raw" 50) ms p99 $(pct "$T/flash.raw" 99) ms"
	CAPS[$cfg]=$CAP QD0[$cfg]=${QD[0]} QDN[$cfg]=$QUEUED
}

for cfg in "${CONFIGS[@]}"; do
	run_config "$cfg"
done

# vs CONFIG RATE: the rate's ratios to the baselines of the configuration's store
vs() {
	if [ "$1" = sqlite ]; then
		printf '%s x Ed25519, %s x Ed25519 2-core, %s x SQLite' "$(ratio "$2" "$ED")" \
			"$(ratio "$2" "$ED2")" "$(ratio "$2" "$SQ")"
	else
		printf '%s x Ed25519, %s x Ed25519 2-core, %s x PG insert' "$(ratio "$2" "$ED")" \
			"$(ratio "$2" "$ED2")" "$(ratio "$2" "$PGB")"
	fi
}
# report CONFIG: its lines of the results
report() {
	local cfg=$1
	[ ${#CONFIGS[@]} -gt 1 ] && echo "-- ${NAME[$cfg]}"
	printf '%-44s %8s /s  p50 %s ms  p99 %s ms  = %s\n' "accepted cables, 1 recipient device" \
		"${M1[$cfg]}" "${L1M[$cfg]}" "${P1M[$cfg]}" "$(vs "$cfg" "${M1[$cfg]}")"
	printf '%-44s %8s /s  p50 %s ms  p99 %s ms  = %s\n' "accepted cables, 20 recipient devices" \
		"${M20[$cfg]}" "${L20M[$cfg]}" "${P20M[$cfg]}" "$(vs "$cfg" "${M20[$cfg]}")"
	printf '%-44s %8s ms p99 %s ms (median of runs); pooled %s\n' \
		"FLASH submit -> waiting inbox, p50" "${FP50M[$cfg]}" "${FP99M[$cfg]}" "${FPOOL[$cfg]}"
	printf '%-44s %8s /s (%s %% of %s), %s..%s cables queued\n' "  under ROUTINE flood" \
		"${FRM[$cfg]}" "$(awk -v f="$FLASH_LOAD" 'BEGIN { print f * 100 }')" "${CAPS[$cfg]}" "${QD0[$cfg]}" "${QDN[$cfg]}"
	if [ "${QD0[$cfg]}" -lt "$QUEUE" ]; then
		echo "  note: the queue reached ${QD0[$cfg]} cables before the first FLASH run, not $QUEUE (fill capped at $FILL_SECONDS s)"
	fi
}

echo
echo "== results: medians of $RUNS runs, $CONNS keep-alive mTLS connections, 4 KiB body =="
printf '%-44s %8s /s\n' "Ed25519 verify 4 KiB (1 core)" "$ED"
printf '%-44s %8s /s\n' "Ed25519 verify 4 KiB (2 cores, 2 threads)" "$ED2"
printf '%-44s %8s rows/s\n' "SQLite WAL FULL 4 KiB, batches of 100" "$SQ"
if [ -n "$PGB" ]; then
	printf '%-44s %8s rows/s (%s connections, 1 row a transaction)\n' \
		"PG insert $BYTES B, synchronous_commit on" "$PGB" "$CONNS"
fi
for cfg in "${CONFIGS[@]}"; do
	report "$cfg"
done
if [ -n "$PGB" ]; then
	echo
	for cfg in pg1 pg2; do
		printf '%s: %s cables/s = %s x the plain insert baseline (%s rows/s); FLASH p50 %s ms, p99 %s ms\n' \
			"${NAME[$cfg]}" "${M1[$cfg]}" "$(ratio "${M1[$cfg]}" "$PGB")" "$PGB" "${FP50M[$cfg]}" "${FP99M[$cfg]}"
	done
	printf 'SQLite: %s cables/s; FLASH p50 %s ms, p99 %s ms\n' "${M1[sqlite]}" "${FP50M[sqlite]}" "${FP99M[sqlite]}"
	echo "load average: $LOAD0 at the start, $(loadavg) at the end (2 cores)"
fi
echo "goals (PRODUCT.md 6): >= 15000 cables/s with answer p99 <= 10 ms; FLASH p99 <= 5 ms"
echo "goals (issue 17): 1 recipient >= 0.4 x Ed25519 2-core with answer p99 <= 10 ms; 20 recipients >= 0.15 x Ed25519 2-core"
