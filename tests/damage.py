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
                                      in the file (its segment, DB's cables/SEGnnnnnn,
                                      if it is kept there); prints the file offset
  damage.py body DB CABLE_ID OUT      writes the cable's stored bytes to OUT
  damage.py bodies DB OUT             writes each cable's stored bytes to OUT/<its id
                                      in lower-case hex> (nothing is damaged)
  damage.py entry DB IDX              one digit of log entry IDX's Time changed in
                                      the file (the entry may still decode)
  damage.py index DB NAME             one bit flipped in a key of the first leaf
                                      page of index NAME (quick_check passes;
                                      integrity_check finds rows missing from it)
"""
import os
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
    row = c.execute("SELECT data, seg, off FROM cables WHERE cable_id=?",
                    (bytes.fromhex(cid),)).fetchone()
    c.close()
    if not row:
        sys.exit("damage.py: no cable %s" % cid)
    data, seg, off = row
    if seg is None:
        print(flip_at(db, data[200:264], 10, lambda b: b ^ 0x04))
        return
    # in a segment beside the database (denpod/segment.h): byte 210 of the body
    path = os.path.join(os.path.dirname(db) or ".", "cables", "SEG%06d" % seg)
    with open(path, "r+b") as f:
        f.seek(off + 210)
        b = f.read(1)[0]
        f.seek(off + 210)
        f.write(bytes([b ^ 0x04]))
    print(off + 210)


def body(db, data, seg, off, size):
    """A cable's stored bytes: its data column, or its segment's (denpod/segment.h)."""
    if seg is None:
        return bytes(data)
    path = os.path.join(os.path.dirname(db) or ".", "cables", "SEG%06d" % seg)
    with open(path, "rb") as f:
        f.seek(off)
        return f.read(size)


def bodies(db, out):
    c = ro(db)
    for cid, data, seg, off, size in c.execute("SELECT cable_id, data, seg, off, size FROM cables"):
        with open(os.path.join(out, cid.hex()), "wb") as f:
            f.write(body(db, data, seg, off, size))
    c.close()


def body_of(db, cid, out):
    c = ro(db)
    row = c.execute("SELECT data, seg, off, size FROM cables WHERE cable_id=?",
                    (bytes.fromhex(cid),)).fetchone()
    c.close()
    if not row:
        sys.exit("damage.py: no cable %s" % cid)
    with open(out, "wb") as f:
        f.write(body(db, *row))


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
    elif len(a) == 4 and a[0] == "body":
        body_of(a[1], a[2], a[3])
    elif len(a) == 3 and a[0] == "bodies":
        bodies(a[1], a[2])
    elif len(a) == 3 and a[0] == "entry":
        entry(a[1], int(a[2]))
    elif len(a) == 3 and a[0] == "index":
        index(a[1], a[2])
    else:
        sys.exit(__doc__)
