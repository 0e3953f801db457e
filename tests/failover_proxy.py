#!/usr/bin/env python3
"""tests/failover_proxy.py - stand-ins for a switch address, for tests/it_failover.sh.

  failover_proxy.py count PORT LOG
      Listens on 127.0.0.1:PORT; every connection is logged (one line in LOG) and
      closed at once: an address where something listens but no switch answers.
  failover_proxy.py swallow PORT TARGET THRESHOLD LOG
      A TCP relay to 127.0.0.1:TARGET (TLS passes through: the switch's own key is
      seen).  Once a client has sent THRESHOLD bytes on one connection, nothing
      more goes back to it: the switch gets the whole request and answers, the
      answer is dropped, and the client's connection is closed once it has been
      quiet for a second -- an answer lost on the way (logged "swallowed").
Prints "ready" on stdout once listening.
"""
import select
import socket
import sys
import threading
import time


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def log(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def count(port, path):
    s = listener(port)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        log(path, "connection")
        c.close()


def relay(c, target, threshold, path):
    u = socket.create_connection(("127.0.0.1", target))
    sent, swallowing, quiet_since = 0, False, None
    try:
        while True:
            r, _, _ = select.select([c, u], [], [], 0.2)
            if c in r:
                d = c.recv(65536)
                if not d:
                    break
                u.sendall(d)
                sent += len(d)
                quiet_since = time.time()
                if sent >= threshold and not swallowing:
                    swallowing = True
                    log(path, "swallowing after %d bytes" % sent)
            if u in r:
                d = u.recv(65536)
                if not d:
                    break
                if not swallowing:
                    c.sendall(d)
            if swallowing and quiet_since and time.time() - quiet_since > 1.0:
                log(path, "swallowed")
                break
    finally:
        c.close()
        u.close()


def swallow(port, target, threshold, path):
    s = listener(port)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=relay, args=(c, target, threshold, path), daemon=True).start()


if __name__ == "__main__":
    if sys.argv[1] == "count":
        count(int(sys.argv[2]), sys.argv[3])
    else:
        swallow(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
