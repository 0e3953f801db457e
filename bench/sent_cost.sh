#!/usr/bin/env bash
# bench/sent_cost.sh - what telling lost cables from old ones costs `denpo sent`.
#
# An officer with N cables on the switch (default 3000, sent by tool_flood as
# the officer's device).  A: the device holds records of the newest 50 only:
# all on the switch's first page, `denpo sent` asks nothing more (as before
# lost cables were looked for).  B: it holds a record of every one of the N:
# the records beyond the first page are accounted for by paging the switch's
# list (GET /v1/sent?before=&limit=1000) down to the oldest.  A and B run
# alternately RUNS times (default 5); prints the medians, B's cost against A,
# and how many /v1/sent requests each made (the switch's request log).
#
#   BUILD=build bench/sent_cost.sh [N] [RUNS]
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
N=${1:-3000}
RUNS=${2:-5}
FLOOD="$BUILD/tests/tool_flood"
need_programs sent_cost "$DENPOD" "$DENPO" "$FLOOD"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="bench sent cost passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME
{
	switch_init && D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET
} >/dev/null || { echo "switch setup failed" >&2; exit 1; }
MPORT=$(free_port)
printf 'metrics_listen=127.0.0.1:%s\n' "$MPORT" >>"$T/sw/denpod.conf"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON
start_switch || exit 1
dp sato.k sent >/dev/null 2>&1 # first contact: the log witnessed, keys published
mkdir -p "$T/flood"
"$FLOOD" "$T/sato.k" WASHINGTON "$N" "$T/flood" 4 300 >"$T/flood.log" 2>"$T/flood.err" ||
	{ tail -n 5 "$T/flood.err" >&2; exit 1; }
# records as `denpo send` writes them, one per flooded cable (ok I ID YY POST NNNNNN STATUS TRIES)
now=$(date +%s)
awk '$1 == "ok" {print $3, $4" "$5" "$6}' "$T/flood.log" >"$T/ids"
mkrec() { # DIR < "ID MRN" lines
	while read -r id mrn; do
		printf '{"cable_id":"%s","state":"accepted","mrn":"%s","created":%s,"classification":"CONFIDENTIAL","precedence":"ROUTINE","to":["WASHINGTON"],"info":[],"recipients":1,"accepted":%s}' \
			"$id" "$mrn" "$now" "$now" >"$1/$id.json"
	done
}
mkdir -p "$T/recs-all" "$T/recs-new"
mkrec "$T/recs-all" <"$T/ids"
# the newest 50 (highest MRNs)
sort -k4 "$T/ids" | tail -n 50 | mkrec "$T/recs-new"
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
nsent() { # requests to /v1/sent answered so far (the switch's metrics)
	curl -s "http://127.0.0.1:$MPORT/metrics" |
		awk '/^denpod_http_requests_total\{.*endpoint="\/v1\/sent"/ {n += $NF} END {print n + 0}'
}
one() { # RECORDS-DIR -> seconds on stdout, requests to /v1/sent in $T/req
	rm -rf "$T/sato.k/sent" && cp -r "$1" "$T/sato.k/sent"
	local before s e
	before=$(nsent)
	s=$(date +%s.%N)
	dp sato.k sent >"$T/out" 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
	e=$(date +%s.%N)
	grep -q LOST "$T/out" && { echo "a cable listed as lost" >&2; exit 1; }
	echo $(($(nsent) - before)) >"$T/req"
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}
A=() B=()
for i in $(seq "$RUNS"); do
	A+=("$(one "$T/recs-new")"); ra=$(cat "$T/req")
	B+=("$(one "$T/recs-all")"); rb=$(cat "$T/req")
	echo "  run $i: A ${A[-1]} s ($ra requests to /v1/sent), B ${B[-1]} s ($rb)"
done
a=$(median "${A[@]}") b=$(median "${B[@]}")
echo "== denpo sent, officer with $N cables on the switch, medians of $RUNS alternating runs =="
awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { printf "A (50 records, all on the first page): %.3f s\nB (%d records, paged to the oldest):   %.3f s (%.2fx A)\n", a, n, b, b / a }'
stop_switch
