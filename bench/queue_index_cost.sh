#!/usr/bin/env bash
# bench/queue_index_cost.sh - what the queue's indexes cost the delivery rows, SQLite alone:
# the three partial indexes of before issue 17 (queue, pending_epoch, pending_due) against the
# one queue index of denpod/store.c, alternately RUNS times on the same rows.
#
#   bench/queue_index_cost.sh [QUEUE [CABLES [RCPTS [BATCH [RUNS]]]]]
#
# Each run: a fresh database (WAL, synchronous=FULL, the deliveries table and archive_acked
# as the switch makes them) with QUEUE (100000) rows queued for one device, then CABLES (5000)
# cables of RCPTS (20) delivery rows each inserted BATCH (50) cables a transaction (one
# statement a row, as the writer does), then every one of those rows acknowledged BATCH cables
# a transaction; synchronous=OFF and no checkpoint (the fsyncs are the same for both), so
# the WAL's growth is what each phase wrote. Prints each run, the medians of the time and
# the bytes a row, and the one index's ratios to the three.
set -euo pipefail
QUEUE=${1:-100000} CABLES=${2:-5000} RCPTS=${3:-20} BATCH=${4:-50} RUNS=${5:-3}
T=$(mktemp -d /tmp/queue_index_cost.XXXXXX)
trap 'rm -rf "$T"' EXIT
TABLE="CREATE TABLE deliveries(seq INTEGER NOT NULL, device BLOB NOT NULL, role INTEGER NOT NULL,
 prec INTEGER NOT NULL, due INTEGER NOT NULL, delivered INTEGER, acked INTEGER,
 epoch INTEGER NOT NULL, ack_log INTEGER, PRIMARY KEY(seq,device)) WITHOUT ROWID;
CREATE INDEX archive_acked ON deliveries(device,seq) WHERE acked IS NOT NULL;"
declare -A IDX=(
	[three]="CREATE INDEX queue ON deliveries(device,prec,seq) WHERE acked IS NULL;
CREATE INDEX pending_epoch ON deliveries(device,epoch,seq) WHERE acked IS NULL;
CREATE INDEX pending_due ON deliveries(due) WHERE acked IS NULL;"
	[one]="CREATE INDEX queue ON deliveries(device,prec,seq,epoch,due,acked) WHERE acked IS NULL;"
)

# the SQL of one phase: a transaction every BATCH cables, one statement a row
phase_sql() { # insert|ack
	awk -v n="$CABLES" -v r="$RCPTS" -v b="$BATCH" -v q="$QUEUE" -v what="$1" 'BEGIN {
		for (c = 1; c <= n; c++) {
			if ((c - 1) % b == 0) print "BEGIN;"
			s = q + c
			for (i = 1; i <= r; i++) {
				dev = sprintf("%064x", i + 1)
				if (what == "insert")
					printf "INSERT INTO deliveries(seq,device,role,prec,due,epoch) VALUES(%d,X\047%s\047,1,3,%d,7);\n", s, dev, s + 21600
				else
					printf "UPDATE deliveries SET acked=%d,delivered=%d WHERE seq=%d AND device=X\047%s\047 AND acked IS NULL;\n", s, s, s, dev
			}
			if (c % b == 0 || c == n) print "COMMIT;"
		}
	}'
}
phase_sql insert >"$T/insert.sql"
phase_sql ack >"$T/ack.sql"

# runs SQL on DB: "SECONDS FRAMES", the time of every statement but the last, and the WAL
# frames written (the last statement: a checkpoint, which reports them)
run_sql() { # DB SQL
	{ echo ".timer on"; cat "$2"; echo "PRAGMA wal_checkpoint(PASSIVE);"; } |
		sqlite3 -bail "$1" 2>&1 | awk -F'[ |]+' '
			/^Run Time: real/ { if (have) sum += last; last = $4; have = 1; next }
			/^0\|/ { frames = $2 }
			/rror/ { print "queue_index_cost: " $0 > "/dev/stderr"; exit 1 }
			END { printf "%.3f %d\n", sum, frames }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A INS ACK WI WA
for run in $(seq "$RUNS"); do
	for s in three one; do
		db="$T/$s.db"
		rm -f "$db" "$db-wal" "$db-shm"
		sqlite3 "$db" "PRAGMA journal_mode=WAL;" >/dev/null
		sqlite3 "$db" "$TABLE ${IDX[$s]}
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<$QUEUE)
INSERT INTO deliveries(seq,device,role,prec,due,epoch) SELECT i, X'$(printf '%064x' 1)', 1, 3, i+21600, 7 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
		# no fsync (both schemas pay the same ones) and no checkpoint until the phase ends:
		# the frames in the WAL are what the phase wrote
		{ echo "PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0;"; cat "$T/insert.sql"; } >"$T/i.sql"
		{ echo "PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0;"; cat "$T/ack.sql"; } >"$T/a.sql"
		read -r i iw < <(run_sql "$db" "$T/i.sql")
		read -r a aw < <(run_sql "$db" "$T/a.sql")
		iw=$((iw * 4120)) aw=$((aw * 4120)) # a frame: a 4 KiB page and its 24-byte header
		INS[$s]="${INS[$s]:-} $i" ACK[$s]="${ACK[$s]:-} $a" WI[$s]=$iw WA[$s]=$aw
		echo "run $run, $s index(es): insert $i s (WAL $iw bytes), ack $a s (WAL $aw bytes)" \
			"($((CABLES * RCPTS)) rows, $QUEUE queued)"
	done
done
# shellcheck disable=SC2086
{
	i3=$(median ${INS[three]}) i1=$(median ${INS[one]}) a3=$(median ${ACK[three]}) a1=$(median ${ACK[one]})
}
echo "medians of $RUNS (load average $(cut -d' ' -f1-3 /proc/loadavg)); WAL bytes written a row:"
out() { # PHASE SECONDS3 SECONDS1 WAL3 WAL1
	awk -v p="$1" -v a="$2" -v b="$3" -v wa="$4" -v wb="$5" -v r="$((CABLES * RCPTS))" 'BEGIN {
		printf "  %-6s three indexes %6.1f us/row %6.0f B/row; one index %6.1f us/row %6.0f B/row: " \
			"%.2fx the time, %.2fx the bytes\n", p, a / r * 1e6, wa / r, b / r * 1e6, wb / r, b / a, wb / wa }'
}
out insert "$i3" "$i1" "${WI[three]}" "${WI[one]}"
out ack "$a3" "$a1" "${WA[three]}" "${WA[one]}"

