#!/usr/bin/env python3
"""tests/memscan.py - does a process's memory hold any piece of a key? (tests/it_privsep.sh)

    memscan.py PID KEYFILE [WINDOW]

Reads every readable mapping of process PID through /proc/PID/mem (as root)
and looks for any WINDOW consecutive bytes (default 12) of the 32-byte seed
in KEYFILE.  Prints "found N" (the number of places a window was seen, with
the first few mappings) or "absent", and "scanned B" (bytes read).  Exit 0
either way; 2 if the memory could not be read at all.
"""
import sys


def main():
    pid, keyfile = sys.argv[1], sys.argv[2]
    win = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    key = open(keyfile, "rb").read()
    if len(key) != 32:
        print("key file is not a 32-byte seed", file=sys.stderr)
        sys.exit(2)
    windows = {key[i:i + win] for i in range(0, 32 - win + 1)}
    found, where, scanned = 0, [], 0
    with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if "r" not in parts[1] or (len(parts) > 5 and parts[5] in ("[vvar]", "[vsyscall]")):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue  # guard pages, unreadable regions
            scanned += len(data)
            # any window of the seed, anywhere in this mapping
            for w in windows:
                at = data.find(w)
                if at >= 0:
                    found += 1
                    if len(where) < 4:
                        where.append("%s+%x" % (parts[5] if len(parts) > 5 else "anon", at))
                    break
    if scanned == 0:
        sys.exit(2)
    print("found %d %s" % (found, " ".join(where)) if found else "absent")
    print("scanned %d" % scanned)


if __name__ == "__main__":
    main()
