#!/usr/bin/env python3
"""bench/wal_pages.py - which b-trees the pages in a SQLite WAL belong to, per commit.

    bench/wal_pages.py DIR [COMMITS]

DIR holds denpod.db and denpod.db-wal copied from a running switch (bench/thread_cost.sh
with KEEP=DIR copies them at the end of each run).  Reads the WAL's frames of its current
generation (those whose salts match its header), groups them into commits (a frame with a
database size is a commit's last), and names each page's b-tree and page type from SQLite's
dbstat table of the same database; prints, for the last COMMITS commits (default 200), the
pages per commit of each b-tree, most first.  Works on copies in a temporary directory: the
files in DIR are not touched.  The page census of bench/README.md ("Issue 17, fifth
session") comes from it.
"""
import collections
import os
import shutil
import sqlite3
import struct
import sys
import tempfile


def frames(wal):
    """The page numbers of the current generation's frames, as a list of commits."""
    with open(wal, "rb") as f:
        data = f.read()
    if len(data) < 32:
        return []
    magic, _ver, psz, _seq, salt1, salt2, _c1, _c2 = struct.unpack(">8I", data[:32])
    if magic not in (0x377F0682, 0x377F0683):
        sys.exit(f"wal_pages.py: {wal} is not a SQLite WAL")
    commits, cur, off = [], [], 32
    while off + 24 + psz <= len(data):
        pg, dbsize, s1, s2 = struct.unpack(">4I", data[off:off + 16])
        if (s1, s2) != (salt1, salt2):
            break
        cur.append(pg)
        if dbsize:
            commits.append(cur)
            cur = []
        off += 24 + psz
    return commits


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 2)
    src = sys.argv[1]
    last = int(sys.argv[2]) if len(sys.argv) == 3 else 200
    db, wal = os.path.join(src, "denpod.db"), os.path.join(src, "denpod.db-wal")
    for p in (db, wal):
        if not os.path.exists(p):
            sys.exit(f"wal_pages.py: no {p}; copy a running switch's denpod.db and denpod.db-wal there")
    commits = frames(wal)[-last:]
    if not commits:
        sys.exit("wal_pages.py: the WAL holds no commit (checkpointed and reset just before the copy?)")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(db, os.path.join(tmp, "x.db"))
        shutil.copy(wal, os.path.join(tmp, "x.db-wal"))
        con = sqlite3.connect(os.path.join(tmp, "x.db"))
        try:
            where = {pg: (name, kind) for name, pg, kind in
                     con.execute("SELECT name, pageno, pagetype FROM dbstat")}
        except sqlite3.OperationalError as e:
            sys.exit(f"wal_pages.py: this SQLite has no dbstat table ({e})")
        finally:
            con.close()
    count = collections.Counter()
    for c in commits:
        for pg in c:
            count[where.get(pg, ("(free or header)", "-"))] += 1
    n = len(commits)
    print(f"{n} commits, {sum(count.values()) / n:.1f} pages per commit")
    for (name, kind), v in count.most_common():
        print(f"  {name:40} {kind:10} {v / n:6.2f}")


if __name__ == "__main__":
    main()
