#!/usr/bin/env python3
"""A TLS syslog collector for the tests (RFC 5425): octet-counted frames.

usage: syslog_collector.py PORT CERT KEY OUT
Each message goes to OUT as one line (a newline in it as \\n); a frame that
is not "LEN SP MSG" writes a line "BADFRAME ..." instead.  Every accepted
connection appends "CONNECT" to OUT.conn.  Runs until killed.
"""
import socket
import ssl
import sys
import threading

port, cert, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert, key)
lock = threading.Lock()


def write(path, line):
    with lock, open(path, "ab", buffering=0) as f:
        f.write(line + b"\n")


def serve(conn):
    buf = b""
    try:
        while True:
            d = conn.recv(65536)
            if not d:
                break
            buf += d
            while buf:
                sp = buf.find(b" ")
                if sp < 0:
                    break
                n = buf[:sp]
                if not n.isdigit() or n.startswith(b"0") or sp > 6:
                    write(out, b"BADFRAME " + buf[:80])
                    return
                if len(buf) < sp + 1 + int(n):
                    break
                msg = buf[sp + 1:sp + 1 + int(n)]
                buf = buf[sp + 1 + int(n):]
                write(out, msg.replace(b"\n", b"\\n"))
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
while True:
    c, _ = s.accept()
    try:
        t = ctx.wrap_socket(c, server_side=True)
    except (OSError, ssl.SSLError):
        c.close()
        continue
    write(out + ".conn", b"CONNECT " + t.version().encode())
    threading.Thread(target=serve, args=(t,), daemon=True).start()
