#!/usr/bin/env python3
"""tests/slowclient.py - an enrolled device that is slow on purpose (tests/it_conn.sh).

    slowclient.py HOST PORT CERT KEY MODE [SECONDS]

Completes the TLS 1.3 handshake with the device's certificate (so it is past
every handshake limit), then:
  slowhead   sends a request head one byte a second, never finishing it
  keepalive  sends GET /v1/health, reads the answer, then keeps the
             connection open and silent
  upload     POSTs a 40,000-byte body at 8,000 bytes a second (5 s) and
             reads the answer
  slowbody   sends a whole head announcing 40,000 bytes of body, then
             10 bytes of it a second
Prints one line: "closed-after S" (the switch closed the connection S seconds
after the handshake; for upload, after the last byte was sent), "answered
STATUS S" (upload: the switch answered, S seconds after the request began),
or "open" if the switch had not closed it after SECONDS (default 10).
"""
import socket
import ssl
import sys
import time


def main():
    host, port, cert, key, mode = sys.argv[1:6]
    limit = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the switch's key is pinned elsewhere; not under test here
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection((host, int(port)), timeout=5)
    s = ctx.wrap_socket(raw)
    s.settimeout(0.2)
    t0 = time.monotonic()

    def closed():
        try:
            return s.recv(4096) == b""
        except socket.timeout:
            return False
        except (ssl.SSLError, OSError):
            return True

    if mode == "keepalive":
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: switch\r\n\r\n")
        s.settimeout(5)
        head = s.recv(4096)
        if not head.startswith(b"HTTP/1.1 "):
            print("no-answer")
            return
        s.settimeout(0.2)
        t0 = time.monotonic()
    if mode == "upload":
        body = b"x" * 40000
        s.sendall(b"POST /v1/cables HTTP/1.1\r\nHost: switch\r\nContent-Length: 40000\r\n\r\n")
        for i in range(0, len(body), 800):
            try:
                s.sendall(body[i:i + 800])
            except OSError:
                print("closed-after %.1f" % (time.monotonic() - t0))
                return
            time.sleep(0.1)
        s.settimeout(10)
        try:
            answer = s.recv(4096)
        except (socket.timeout, OSError):
            answer = b""
        if answer.startswith(b"HTTP/1.1 "):
            print("answered %s %.1f" % (answer.split()[1].decode(), time.monotonic() - t0))
        else:
            print("closed-after %.1f" % (time.monotonic() - t0))
        return
    head = b"GET /v1/health HTTP/1.1\r\nHost: switch\r\nX-Slow: "
    i = 0
    while time.monotonic() - t0 < limit:
        if mode == "slowbody" and i == 0:
            s.sendall(b"POST /v1/cables HTTP/1.1\r\nHost: switch\r\nContent-Length: 40000\r\n\r\n")
        if mode in ("slowhead", "slowbody"):
            try:
                if mode == "slowhead":
                    s.send(head[i:i + 1] if i < len(head) else b"a")
                else:
                    s.send(b"y" * 10)
            except OSError:
                print("closed-after %.1f" % (time.monotonic() - t0))
                return
            i += 1
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if closed():
                print("closed-after %.1f" % (time.monotonic() - t0))
                return
    print("open")


if __name__ == "__main__":
    main()
