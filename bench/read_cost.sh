#!/usr/bin/env bash
# bench/read_cost.sh - two reads of the queue, before and after issue 17's follow-ups, on the
# same rows, alternately: the queue figures of the metrics and health refresh
# (store_cable.c dps_queue_stats) and the pending lists of GET /v1/keys (store_keys.c
# epoch_pending), the SQL of each copied here as it was and as it is.
#
#   bench/read_cost.sh sqlite [CABLES [QUEUED [RUNS]]]
#   bench/read_cost.sh pg [CABLES [QUEUED [RUNS]]]     (a scripts/pg-tmp cluster of its own)
#
# The rows: CABLES (200000) cables (one in 4,000 a decoy), each with one delivery row to one
# of ten devices, the last QUEUED (20000) of them unacknowledged; for the key lists (SQLite) a
# device with 100,000 queued (10,000 at epoch 6, 90,000 at its current epoch 7, epochs 8 and
# 9 published ahead). The tables and indexes as store.c makes them (the columns the reads do
# not touch left out, 200 bytes of padding a cable instead). Each query RUNS (7) times, old and
# new alternately; prints the medians in ms.
set -euo pipefail
KIND=${1:-sqlite} CABLES=${2:-200000} QUEUED=${3:-20000} RUNS=${4:-7}
T=$(mktemp -d /tmp/read_cost.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$(dirname "$0")/.."

STATS_OLD="SELECT d.prec,count(*),sum(CASE WHEN d.due<?1 THEN 1 ELSE 0 END) FROM deliveries d
 JOIN cables c ON c.seq=d.seq WHERE d.acked IS NULL AND c.decoy=0 GROUP BY d.prec"
STATS_NEW="SELECT prec,sum(n),sum(o) FROM (SELECT prec,1 AS n,CASE WHEN due<?1 THEN 1 ELSE 0 END
 AS o FROM deliveries WHERE acked IS NULL UNION ALL SELECT d.prec,-1,CASE WHEN d.due<?1 THEN -1
 ELSE 0 END FROM cables c CROSS JOIN deliveries d WHERE c.decoy=1 AND d.seq=c.seq AND d.acked IS
 NULL) q GROUP BY prec"
export STATS_OLD STATS_NEW CABLES QUEUED RUNS

if [ "$KIND" = pg ]; then
	eval "$(scripts/pg-tmp start --watch $$)"
	trap 'scripts/pg-tmp stop "$DENPO_TEST_PG_DIR" >/dev/null 2>&1; rm -rf "$T"' EXIT
	psql -qAtX "$DENPO_TEST_PG" -v N="$CABLES" -v Q="$QUEUED" <<'SQL'
CREATE TABLE cables(seq BIGINT PRIMARY KEY, decoy BIGINT NOT NULL DEFAULT 0, pad TEXT);
CREATE TABLE deliveries(seq BIGINT NOT NULL, device BYTEA NOT NULL, prec BIGINT NOT NULL,
 due BIGINT NOT NULL, acked BIGINT, epoch BIGINT NOT NULL, PRIMARY KEY(seq,device));
CREATE INDEX queue ON deliveries(device,prec,seq) INCLUDE (epoch,due) WHERE acked IS NULL;
CREATE INDEX cables_decoy ON cables(seq) WHERE decoy=1;
INSERT INTO cables SELECT i, CASE WHEN i % 4000 = 0 THEN 1 ELSE 0 END, repeat('x', 200)
 FROM generate_series(1, :N) i;
INSERT INTO deliveries SELECT i, decode(lpad((i % 10)::text, 64, '0'), 'hex'), i % 4, 2000 + i,
 CASE WHEN i > :N - :Q THEN NULL ELSE 6 END, 1 FROM generate_series(1, :N) i;
VACUUM ANALYZE cables; VACUUM ANALYZE deliveries;
SQL
	python3 - "$DENPO_TEST_PG" <<'PY'
import os, re, statistics, subprocess, sys
runs = int(os.environ["RUNS"])
q = {k: os.environ[k].replace("?1", "5000") for k in ("STATS_OLD", "STATS_NEW")}
script = "".join("EXPLAIN (ANALYZE, TIMING OFF) %s;\n" % q[k] for _ in range(runs) for k in ("STATS_OLD", "STATS_NEW"))
out = subprocess.run(["psql", "-qAtX", sys.argv[1]], input=script, capture_output=True, text=True, check=True).stdout
ts = [float(x) for x in re.findall(r"Execution Time: ([0-9.]+) ms", out)]
print("PostgreSQL, %s cables, %s queued: queue figures %.1f ms before, %.1f ms after (medians of %d)" % (
    os.environ["CABLES"], os.environ["QUEUED"], statistics.median(ts[0::2]), statistics.median(ts[1::2]), runs))
PY
	exit 0
fi

python3 - "$T/q.db" "$T/k.db" <<'PY'
import os, sqlite3, statistics, sys, time
n, nq, runs = int(os.environ["CABLES"]), int(os.environ["QUEUED"]), int(os.environ["RUNS"])
SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE cables(seq INTEGER PRIMARY KEY, cable_id BLOB NOT NULL, decoy INTEGER NOT NULL DEFAULT 0, pad TEXT);
CREATE TABLE deliveries(seq INTEGER NOT NULL, device BLOB NOT NULL, prec INTEGER NOT NULL,
 due INTEGER NOT NULL, acked INTEGER, epoch INTEGER NOT NULL, PRIMARY KEY(seq,device)) WITHOUT ROWID;
CREATE INDEX queue ON deliveries(device,prec,seq,epoch,due,acked) WHERE acked IS NULL;
CREATE INDEX cables_decoy ON cables(seq) WHERE decoy=1;
CREATE TABLE epoch_keys(device BLOB NOT NULL, epoch INTEGER NOT NULL, not_before INTEGER NOT NULL,
 not_after INTEGER NOT NULL, PRIMARY KEY(device,epoch)) WITHOUT ROWID;
"""
def med(f):
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000

# the queue figures
c = sqlite3.connect(sys.argv[1])
c.executescript(SCHEMA)
c.executemany("INSERT INTO cables VALUES(?,?,?,?)", ((i, os.urandom(16), int(i % 4000 == 0), "x" * 200)
              for i in range(1, n + 1)))
c.executemany("INSERT INTO deliveries VALUES(?,?,?,?,?,1)", ((i, bytes([i % 10]) * 32, i % 4, 2000 + i,
              None if i > n - nq else 6) for i in range(1, n + 1)))
c.commit()
q_old, q_new = os.environ["STATS_OLD"], os.environ["STATS_NEW"]
assert sorted(c.execute(q_old, (5000,)).fetchall()) == sorted(c.execute(q_new, (5000,)).fetchall())
a = [med(lambda: c.execute(q_old, (5000,)).fetchall()), med(lambda: c.execute(q_new, (5000,)).fetchall())]
print("SQLite, %d cables, %d queued: queue figures %.1f ms before, %.1f ms after (medians of %d)" % (n, nq, a[0], a[1], runs))

# GET /v1/keys at 7500 (epoch 7 current, 6 closed with cables pending, 8 and 9 ahead)
c = sqlite3.connect(sys.argv[2])
c.executescript(SCHEMA)
D = b"\x01" * 32
c.executemany("INSERT INTO cables VALUES(?,?,0,?)", ((i, os.urandom(16), "x" * 200) for i in range(1, 100001)))
c.executemany("INSERT INTO deliveries VALUES(?,?,?,0,NULL,?)", ((i, D, i % 4, 6 if i <= 10000 else 7)
              for i in range(1, 100001)))
c.executemany("INSERT INTO epoch_keys VALUES(?,?,?,?)", ((D, e, e * 1000, e * 1000 + 900) for e in range(10)))
c.commit()
LIST = ("SELECT epoch,not_before,not_after FROM epoch_keys WHERE device=?1 AND epoch IN (SELECT epoch FROM "
        "epoch_keys WHERE device=?1 AND not_after>?2 UNION SELECT epoch FROM deliveries WHERE device=?1 AND "
        "acked IS NULL) ORDER BY epoch")
P_OLD = ("SELECT c.cable_id FROM (SELECT seq FROM deliveries WHERE device=?1 AND epoch=?2 AND acked IS NULL "
         "ORDER BY seq LIMIT ?3) d JOIN cables c ON c.seq=d.seq ORDER BY d.seq")
arm = ("SELECT * FROM (SELECT seq FROM deliveries WHERE device=?1 AND prec=%d AND epoch=?2 AND acked IS NULL "
       "ORDER BY seq LIMIT ?3) p%d")
P_NEW = ("SELECT c.cable_id FROM (SELECT seq FROM (" + " UNION ALL ".join(arm % (p, p) for p in range(4)) +
         ") q ORDER BY seq LIMIT ?3) d JOIN cables c ON c.seq=d.seq ORDER BY d.seq")
def keys(new, now=7500, skew=300):
    got = []
    for ep, nb, na in c.execute(LIST, (D, now - skew)).fetchall():
        if new and nb - skew > now:
            got.append([])  # not open for cables yet: not read
            continue
        got.append(c.execute(P_NEW if new else P_OLD, (D, ep, 1001)).fetchall())
    return got
o, w = keys(0), keys(1)
assert o == w, "the same lists"
a = [med(lambda: keys(0)), med(lambda: keys(1))]
print("SQLite, one device with 100,000 queued, %d epochs listed: GET /v1/keys's reads %.1f ms before, "
      "%.1f ms after (medians of %d)" % (len(o), a[0], a[1], runs))
PY
