#!/usr/bin/env python3
"""tests/memscan.py - does a process's memory hold any piece of a key? (tests/it_privsep.sh)

    memscan.py PID KEYFILE [WINDOW]

Reads every readable mapping of process PID through /proc/PID/mem (as root)
and looks for any WINDOW consecutive bytes (default 12) of the 32-byte seed
in KEYFILE.  Prints "found N" (the number of places a window was seen, with
the first few mappings) or "absent", and "scanned B" (bytes read).  Exit 0
either way; 2 if the memory could not be read at all.

Only pages in memory or swapped out are read (/proc/PID/pagemap): reading a
page never touched would make the kernel allocate it, and the SAN=1 build
reserves terabytes of shadow that way (an earlier version of this script got
the process killed by the OOM killer).  Mappings larger than 1 TiB are not
even looked up page by page, and are counted as "skipped": only a sanitizer's
shadow is that large, and it holds poison bytes, not the program's data.
"""
import struct
import sys

PAGE = 4096
HUGE = 1 << 40
RUN = 1024  # pages read from /proc/PID/mem at a time


def present_runs(pagemap, lo, hi):
    """(start, end) address ranges of pages in [lo, hi) that hold data."""
    start = None
    for base in range(lo, hi, RUN * PAGE):
        n = min(RUN, (hi - base) // PAGE)
        pagemap.seek(base // PAGE * 8)
        raw = pagemap.read(n * 8)
        for i, (e,) in enumerate(struct.iter_unpack("<Q", raw)):
            held = e & (3 << 62)  # bit 63 present, bit 62 swapped
            at = base + i * PAGE
            if held and start is None:
                start = at
            elif not held and start is not None:
                yield start, at
                start = None
    if start is not None:
        yield start, hi


def main():
    pid, keyfile = sys.argv[1], sys.argv[2]
    win = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    key = open(keyfile, "rb").read()
    if len(key) != 32:
        print("key file is not a 32-byte seed", file=sys.stderr)
        sys.exit(2)
    windows = {key[i:i + win] for i in range(0, 32 - win + 1)}
    found, where, scanned, skipped = 0, [], 0, 0
    with open("/proc/%s/maps" % pid) as f:
        maps = f.read().splitlines()
    with open("/proc/%s/mem" % pid, "rb", 0) as mem, \
            open("/proc/%s/pagemap" % pid, "rb", 0) as pagemap:
        for line in maps:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if "r" not in parts[1] or (len(parts) > 5 and parts[5] in ("[vvar]", "[vsyscall]")):
                continue
            if hi - lo > HUGE:
                skipped += 1
                continue
            hit = None
            for a, b in present_runs(pagemap, lo, hi):
                # a run at a time: a key cannot straddle a page that is not there
                try:
                    mem.seek(a)
                    data = mem.read(b - a)
                except OSError:
                    continue  # guard pages, unreadable regions
                scanned += len(data)
                for w in windows:  # any window of the seed, anywhere in the run
                    i = data.find(w)
                    if i >= 0:
                        hit = a - lo + i
                        break
                if hit is not None:
                    break
            if hit is not None:
                found += 1
                if len(where) < 4:
                    where.append("%s+%x" % (parts[5] if len(parts) > 5 else "anon", hit))
    if scanned == 0:
        sys.exit(2)
    print("found %d %s" % (found, " ".join(where)) if found else "absent")
    print("scanned %d" % scanned + (" skipped %d shadow mappings" % skipped if skipped else ""))


if __name__ == "__main__":
    main()
