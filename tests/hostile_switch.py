#!/usr/bin/env python3
"""tests/hostile_switch.py - a switch taken over by its root, for tests/it_hostile.sh.

    hostile_switch.py PORT DIR TLS_SEED UPSTREAM_PORT
    hostile_switch.py pem SEEDFILE      (the PKCS#8 PEM of an Ed25519 seed, on stdout)

Listens with TLS 1.3 on 127.0.0.1:PORT under the switch's own TLS key (the
32-byte seed file denpod keeps as tls.key: the adversary has root on the
switch, so the device's pin holds).  What it does with each request is read
from DIR/control, one line, re-read on every request so that one server
serves a whole test:

  record CMD DEVICE
      A proxy to the real denpod on 127.0.0.1:UPSTREAM_PORT, as DEVICE (its
      TLS key and certificate: DIR/keys/DEVICE.key, .crt); every answer is
      kept, in order, in DIR/rec/CMD.json.
  replay CMD MUTATION TARGET
      Nothing goes upstream: each request is answered with CMD's recorded
      answer to the same method and path (the n-th request to a path gets the
      n-th recorded answer, the last one again after that), and an answer
      whose path matches the regular expression TARGET is first changed by
      MUTATION (below; "none" changes nothing).  A path recorded only with
      another query gets that answer; an unrecorded path gets a 404 API error.

The device is not authenticated (no certificate is asked for): the control
file says which device runs.  Every request is logged to DIR/requests.log as
"CMD METHOD PATH STATUS recorded|mutated|unrecorded|upstream".

Mutations (KIND or KIND:FIELD; FIELD is every member of that name, at any
depth of a JSON answer):
  truncate        the body cut in half            empty     an empty body
  notjson         an HTML page instead            deep      100,000 nested arrays
  status500       HTTP 500 with a non-API body    extra     an unknown member in every object (still valid)
  once503         HTTP 503 "retry" to a path's first request only; the recorded answer after
  drop:F          F removed                       null:F    F set to null
  type:F          F of another JSON type          b64:F     F (a string, or strings) not base64
  short:F         F's decoded bytes one shorter   flip:F    one bit of F's decoded bytes flipped
  grow:F          array F with one more element   huge:F    array F with 200,000 elements (at most ~4 MB)
  big:F           number F = 2^64                 neg:F     number F = -1
  bigstr:F        string F of 2 MB
Binary answers (a cable, a checkpoint note, a tile):
  cut             the last third cut off          flipbyte:N  the byte at N (negative: from the end) flipped
  append          64 junk bytes appended          hdr:NAME=V  header NAME set to V ('+' for a space)
Checkpoint notes (text/plain signed notes):
  note:size       the tree size line changed      note:root   the root hash changed
  note:sig        the signature's last byte changed            note:nosig  the signature line removed
  jnote:F:WHAT    the same (WHAT: size, root, sig, nosig) to the note in JSON string F
"""
import base64
import binascii
import http.client
import http.server
import json
import os
import re
import socket
import ssl
import sys
import tempfile
import threading

DIR = None
UPSTREAM = None
LOCK = threading.Lock()
COUNTS = {}  # (METHOD, PATH) -> answers served so far in this run; "run": (CMD, MUTATION, TARGET)


def control():
    with open(os.path.join(DIR, "control")) as f:
        return f.read().split()


def log(line):
    with LOCK, open(os.path.join(DIR, "requests.log"), "a") as f:
        f.write(line + "\n")


def rec_path(cmd):
    return os.path.join(DIR, "rec", cmd + ".json")


def load_rec(cmd):
    try:
        with open(rec_path(cmd)) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


# ---- mutations of decoded JSON ----

def walk(v, field, fn):
    """fn(value) -> new value, applied to every member named field at any depth."""
    if isinstance(v, dict):
        return {k: (fn(x) if k == field else walk(x, field, fn)) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x, field, fn) for x in v]
    return v


def other_type(x):
    if isinstance(x, bool):
        return "true"
    if isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, str):
        return 7
    if isinstance(x, list):
        return {"0": x[0] if x else 1}
    if isinstance(x, dict):
        return [x]
    return {}  # null


def bytes_of(s):
    """A string's bytes and how to encode them back: base64 (std or url), or hex."""
    if re.fullmatch(r"[0-9a-f]+", s) and len(s) % 2 == 0:
        return binascii.unhexlify(s), lambda b: binascii.hexlify(b).decode()
    url = "-" in s or "_" in s
    pad = s.endswith("=")
    d = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)) if url else base64.b64decode(s + "=" * (-len(s) % 4))

    def enc(b):
        t = (base64.urlsafe_b64encode(b) if url else base64.b64encode(b)).decode()
        return t if pad else t.rstrip("=")
    return d, enc


def on_strings(fn):
    """fn applied to a string, or to each string of an array of them."""
    def g(x):
        if isinstance(x, str):
            return fn(x)
        if isinstance(x, list):
            return [fn(e) if isinstance(e, str) else e for e in x]
        return x
    return g


def short(s):
    b, enc = bytes_of(s)
    return enc(b[:-1])


def flip(s):
    b, enc = bytes_of(s)
    if not b:
        return enc(b"\x01")
    return enc(b[:-1] + bytes([b[-1] ^ 1]))


def grow(x):
    if isinstance(x, list):
        return x + [x[-1] if x else "AAAA"]
    return x


def huge(x):
    """200,000 elements, or as many as make about 4 MB (under the client's caps on an answer: its counts are tested)."""
    if isinstance(x, list):
        x = x or ["AAAA"]
        n = min(200000, (4 << 20) // max(len(json.dumps(x)), 1) + 1)
        return x * n
    return x


MAPS = ("originators", "markings", "classes")  # objects keyed by data (device ids, levels): no member is unknown there


def add_extra(v):
    if isinstance(v, dict):
        d = {k: (x if k in MAPS else add_extra(x)) for k, x in v.items()}
        d["zz_unknown_member"] = {"a": [1, "two", None], "b": 3.5}
        return d
    if isinstance(v, list):
        return [add_extra(x) for x in v]
    return v


FIELD_MUTATIONS = {
    "null": lambda x: None,
    "type": other_type,
    "b64": on_strings(lambda s: "!!not*base64~" + s[:8]),
    "short": on_strings(short),
    "flip": on_strings(flip),
    "grow": grow,
    "huge": huge,
    "big": lambda x: 18446744073709551616 if isinstance(x, (int, float)) and not isinstance(x, bool) else x,
    "neg": lambda x: -1 if isinstance(x, (int, float)) and not isinstance(x, bool) else x,
    "bigstr": lambda x: "A" * (2 << 20) if isinstance(x, str) else x,
}


def drop(v, field):
    if isinstance(v, dict):
        return {k: drop(x, field) for k, x in v.items() if k != field}
    if isinstance(v, list):
        return [drop(x, field) for x in v]
    return v


def mutate_note(body, what):
    lines = body.decode().split("\n")
    if what == "size":
        lines[1] = str(int(lines[1]) + 1)
    elif what == "root":
        lines[2] = flip(lines[2])
    elif what == "sig":
        i = next(i for i, l in enumerate(lines) if l.startswith("\u2014 "))
        name, sig = lines[i].rsplit(" ", 1)
        lines[i] = name + " " + flip(sig)
    elif what == "nosig":
        lines = [l for l in lines if not l.startswith("\u2014 ")]
    return "\n".join(lines).encode()


def mutate(ans, spec):
    """A recorded answer (dict) changed by spec; returns (status, headers, body)."""
    status, body = ans["status"], base64.b64decode(ans["body"])
    headers = dict(ans["headers"])
    kind, _, arg = spec.partition(":")
    if kind == "none":
        pass
    elif kind == "truncate":
        body = body[: len(body) // 2]
    elif kind == "empty":
        body = b""
    elif kind == "notjson":
        body = b"<html><body>502 Bad Gateway</body></html>\n"
    elif kind == "deep":
        body = b"[" * 100000 + b"]" * 100000
    elif kind == "status500":
        status, body = 500, b"internal error\n"
    elif kind == "once503":  # the first answer to a path only (replay): a switch saying "retry"
        status, body = 503, b'{"error":"store","message":"hostile_switch: not now; retry"}'
        headers = {"Content-Type": "application/json"}
    elif kind == "cut":
        body = body[: len(body) * 2 // 3]
    elif kind == "flipbyte":
        b = bytearray(body)
        i = int(arg)
        b[i] ^= 0x01
        body = bytes(b)
    elif kind == "append":
        body = body + bytes(range(64))
    elif kind == "hdr":
        name, _, val = arg.partition("=")
        headers[name] = val.replace("+", " ")
    elif kind == "note":
        body = mutate_note(body, arg)
    elif kind == "jnote":  # jnote:F:WHAT: the signed note in JSON string F changed as note:WHAT
        field, _, what = arg.partition(":")
        body = json.dumps(walk(json.loads(body), field,
                               lambda x: mutate_note(x.encode(), what).decode())).encode()
    elif kind == "extra":
        body = json.dumps(add_extra(json.loads(body))).encode()
    elif kind == "drop":
        body = json.dumps(drop(json.loads(body), arg)).encode()
    elif kind in FIELD_MUTATIONS:
        body = json.dumps(walk(json.loads(body), arg, FIELD_MUTATIONS[kind])).encode()
    else:
        raise ValueError("unknown mutation " + spec)
    return status, headers, body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        req = self.rfile.read(n) if n else b""
        ctl = control()
        if ctl[0] == "record":
            self.record(method, req, ctl[1], ctl[2])
        else:
            self.replay(method, ctl[1], ctl[2], ctl[3])

    def record(self, method, req, cmd, device):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the real switch, on loopback
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        k = os.path.join(DIR, "keys", device)
        ctx.load_cert_chain(k + ".crt", k + ".key")
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", UPSTREAM)))
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %d\r\n" % (
            method, self.path, len(req))
        for h in ("Content-Type", "X-Denpo-Decoy"):
            if self.headers.get(h):
                head += "%s: %s\r\n" % (h, self.headers[h])
        s.sendall(head.encode() + b"\r\n" + req)
        resp = http.client.HTTPResponse(s)
        resp.begin()
        body = resp.read()
        s.close()
        headers = {k: v for k, v in resp.getheaders()
                   if k.lower() in ("content-type", "x-denpo-mrn")}
        ans = {"method": method, "path": self.path, "status": resp.status, "headers": headers,
               "body": base64.b64encode(body).decode()}
        with LOCK:
            recs = load_rec(cmd)
            recs.append(ans)
            os.makedirs(os.path.join(DIR, "rec"), exist_ok=True)
            with open(rec_path(cmd), "w") as out:
                json.dump(recs, out)
        log("%s %s %s %d upstream" % (cmd, method, self.path, resp.status))
        self.answer(resp.status, headers, body)

    def replay(self, method, cmd, spec, target):
        recs = load_rec(cmd)
        same = [a for a in recs if a["method"] == method and a["path"] == self.path]
        if not same:
            # asked with another query (a device that kept its older checkpoint asks with
            # its log_size): the answer recorded for the path, as a switch may give it
            bare = self.path.split("?")[0]
            same = [a for a in recs if a["method"] == method and a["path"].split("?")[0] == bare][-1:]
        if not same:
            log("%s %s %s 404 unrecorded" % (cmd, method, self.path))
            self.answer(404, {"Content-Type": "application/json"},
                        b'{"error":"notfound","message":"hostile_switch: not recorded"}')
            return
        with LOCK:
            run = (cmd, spec, target)
            if COUNTS.get("run") != run:  # a new run: counted from its first request again
                COUNTS.clear()
                COUNTS["run"] = run
            key = (method, self.path)
            i = COUNTS.get(key, 0)
            COUNTS[key] = i + 1
        ans = same[min(i, len(same) - 1)]
        how = "recorded"
        if re.search(target, self.path) and spec != "none" and (spec != "once503" or i == 0):
            status, headers, body = mutate(ans, spec)
            how = "mutated"
        else:
            status, headers, body = mutate(ans, "none")
        log("%s %s %s %d %s" % (cmd, method, self.path, status, how))
        self.answer(status, headers, body)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


def pem_key(seed):
    """The PKCS#8 PEM of an Ed25519 key from its 32-byte seed (RFC 8410)."""
    der = binascii.unhexlify("302e020100300506032b657004220420") + seed
    b = base64.encodebytes(der).decode()
    return "-----BEGIN PRIVATE KEY-----\n" + b + "-----END PRIVATE KEY-----\n"


def main():
    global DIR, UPSTREAM
    if sys.argv[1] == "pem":  # hostile_switch.py pem SEEDFILE: the key PEM of a device's TLS seed
        with open(sys.argv[2], "rb") as f:
            sys.stdout.write(pem_key(f.read()))
        return
    port, DIR, seedfile, UPSTREAM = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    with open(seedfile, "rb") as f:
        seed = f.read()
    crt = os.path.join(os.path.dirname(seedfile), "tls.crt")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with tempfile.NamedTemporaryFile("w", dir=DIR, suffix=".pem") as k:
        os.chmod(k.name, 0o600)
        k.write(pem_key(seed))
        k.flush()
        ctx.load_cert_chain(crt, k.name)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
