#!/usr/bin/env python3
"""tests/damage.py - damage a denpod database file the way a failing disk would
(for tests/it_damage.sh).  The database must be at rest (no WAL).

  damage.py copies CLEAN OUT SEED N   OUT1..OUTN: copies of CLEAN, each with three
                                      bytes flipped, each in a random page of a
                                      random b-tree (table or index alike, from
                                      SQLite's dbstat); seeded by SEED and the
                                      copy's number, so reproducible.  Prints one
                                      line per copy: where the bytes were.
  damage.py cable DB CABLE_ID         one bit of the cable's stored bytes flipped
                                      in the file; prints the file offset
  damage.py entry DB IDX              one digit of log entry IDX's Time changed in
                                      the file (the entry may still decode)
  damage.py index DB NAME             one bit flipped in a key of the first leaf
                                      page of index NAME (quick_check passes;
                                      integrity_check finds rows missing from it)
"""
import random
import shutil
import sqlite3
import sys


def ro(db):
    return sqlite3.connect("file:%s?mode=ro" % db, uri=True)


def copies(clean, out, seed, n):
    c = ro(clean)
    psz = c.execute("PRAGMA page_size").fetchone()[0]
    pages = {}
    for name, pageno in c.execute("SELECT name, pageno FROM dbstat"):
        pages.setdefault(name, []).append(pageno)
    c.close()
    names = sorted(pages)
    for i in range(1, n + 1):
        rng = random.Random(seed * 1000 + i)
        path = "%s%d" % (out, i)
        shutil.copyfile(clean, path)
        where = []
        with open(path, "r+b") as f:
            for _ in range(3):
                name = rng.choice(names)
                page = rng.choice(pages[name])
                off = rng.randrange(psz)
                f.seek((page - 1) * psz + off)
                b = f.read(1)[0]
                f.seek((page - 1) * psz + off)
                f.write(bytes([b ^ rng.randrange(1, 256)]))
                where.append("%s p%d+%d" % (name, page, off))
        print(", ".join(where))


def flip_at(db, needle, k, new):
    """Overwrites byte k of the one place in the file that holds needle."""
    raw = open(db, "rb").read()
    at = raw.find(needle)
    if at < 0 or raw.find(needle, at + 1) >= 0:
        sys.exit("damage.py: the bytes are not in the file exactly once")
    with open(db, "r+b") as f:
        f.seek(at + k)
        f.write(bytes([new(raw[at + k])]))
    return at + k


def cable(db, cid):
    c = ro(db)
    row = c.execute("SELECT data FROM cables WHERE cable_id=?", (bytes.fromhex(cid),)).fetchone()
    c.close()
    if not row:
        sys.exit("damage.py: no cable %s" % cid)
    print(flip_at(db, row[0][200:264], 10, lambda b: b ^ 0x04))


def entry(db, idx):
    c = ro(db)
    row = c.execute("SELECT data FROM log_entries WHERE idx=?", (idx,)).fetchone()
    c.close()
    if not row:
        sys.exit("damage.py: no log entry %d" % idx)
    e = row[0]
    k = e.find(b"Time: ") + 6
    print(flip_at(db, e, k, lambda b: ord("2") if b != ord("2") else ord("3")))


def index(db, name):
    c = ro(db)
    psz = c.execute("PRAGMA page_size").fetchone()[0]
    leaf = c.execute("SELECT min(pageno) FROM dbstat WHERE name=? AND pagetype='leaf'",
                     (name,)).fetchone()[0]
    c.close()
    if not leaf:
        sys.exit("damage.py: index %s has no leaf page" % name)
    at = (leaf - 1) * psz + psz - 30  # in the cell content area, at the page's end
    with open(db, "r+b") as f:
        f.seek(at)
        b = f.read(1)[0]
        f.seek(at)
        f.write(bytes([b ^ 0x01]))
    print(at)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "copies":
        copies(a[1], a[2], int(a[3]), int(a[4]))
    elif len(a) == 3 and a[0] == "cable":
        cable(a[1], a[2])
    elif len(a) == 3 and a[0] == "entry":
        entry(a[1], int(a[2]))
    elif len(a) == 3 and a[0] == "index":
        index(a[1], a[2])
    else:
        sys.exit(__doc__)
