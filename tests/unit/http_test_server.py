#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""HTTPS server for the unit tests that speak HTTP (python3 stdlib only).

    http_test_server.py certs DIR     make test certificates in DIR with the openssl CLI
    http_test_server.py serve DIR TOKEN...
                                      serve on 127.0.0.1 with DIR/server.{crt,key};
                                      prints "PORT <n>" once listening

Certificates: ca (trusted), other-ca (the "wrong CA"), server (signed by ca,
names apiserver.podtrail.test and 127.0.0.1), client (signed by ca), and
base64 copies ca.crt.b64, client.crt.b64, client.key.b64.

Paths:
    /echo...          200, JSON about the request: method, path, body, headers,
                      auth ("match:<i>" for TOKEN i, "mismatch", "none"), and
                      client_cert (CN of a verified client certificate or null)
    /fast/<n>         200 {"n": n}
    /slow             sleeps 2 s, then 200
    /status/<code>    that status; 429 and 503 carry Retry-After: 3 / an HTTP-date
    /big/<n>          n bytes; /big-chunked/<n> the same without Content-Length
    /stream/<key>     chunked: one line, waits (10 s at most) for /release/<key>,
                      one more line, end
    /stall            chunked: one line, then nothing for 5 s
    /script/<key>/... the next step of DIR/script-<key>.json (a JSON list; the
                      last step repeats), after appending the request to
                      DIR/log-<key>.jsonl: {"method", "path" (after the key),
                      "body", "auth", "content_type", "t" (CLOCK_MONOTONIC s)}.
                      A step: {"status": 200, "body": {...}, "headers": [[k, v]],
                      "token": "t"} replies once, after writing "t" to DIR/token;
                      {"lines": [...], "hold": s} streams each object as a line
                      (a watch), keeps the stream open s seconds, ends it.
"""
import base64
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RELEASES = {}
RELEASES_LOCK = threading.Lock()
TOKENS = []
SCRIPT_DIR = []
SCRIPT_POS = {}
SCRIPT_LOCK = threading.Lock()


def release_event(key):
    with RELEASES_LOCK:
        return RELEASES.setdefault(key, threading.Event())


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".crt",
                "-days", "2", "-subj", "/CN=podtrail test " + ca, cwd=d)
    exts = {
        "server": "subjectAltName=DNS:apiserver.podtrail.test,IP:127.0.0.1\n"
                  "extendedKeyUsage=serverAuth\n",
        "client": "extendedKeyUsage=clientAuth\n",
    }
    for name, ext in exts.items():
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=digitalSignature\n"
                    "authorityKeyIdentifier=keyid\n" + ext)
        openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=podtrail-" + name, cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext",
                "-out", name + ".crt", cwd=d)
    # One-line base64 copies for kubeconfig *-data fields.
    for name in ("ca.crt", "client.crt", "client.key"):
        with open(os.path.join(d, name), "rb") as f, open(os.path.join(d, name + ".b64"), "w") as o:
            o.write(base64.b64encode(f.read()).decode())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if os.environ.get("HTTP_TEST_SERVER_VERBOSE"):
            sys.stderr.write("http_test_server: " + fmt % args + "\n")

    def reply(self, code, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def auth(self):
        h = self.headers.get("Authorization")
        if h is None:
            return "none"
        for i, t in enumerate(TOKENS):
            if h == "Bearer " + t:
                return "match:%d" % i
        return "mismatch"

    def client_cn(self):
        cert = self.connection.getpeercert()
        if not cert:
            return None
        for rdn in cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v
        return None

    def next_step(self, key, rest, body):
        d = SCRIPT_DIR[0]
        with SCRIPT_LOCK:
            with open(os.path.join(d, "script-%s.json" % key)) as f:
                steps = json.load(f)
            i = SCRIPT_POS.get(key, 0)
            SCRIPT_POS[key] = i + 1
            with open(os.path.join(d, "log-%s.jsonl" % key), "a") as f:
                f.write(json.dumps({
                    "method": self.command, "path": rest, "body": body.decode(),
                    "auth": self.auth(), "content_type": self.headers.get("Content-Type"),
                    "t": time.monotonic()}) + "\n")
        return steps[min(i, len(steps) - 1)]

    def scripted(self, body):
        _, _, key, rest = self.path.split("/", 3)
        step = self.next_step(key, "/" + rest, body)
        if "token" in step:
            tmp = os.path.join(SCRIPT_DIR[0], "token.tmp")
            with open(tmp, "w") as f:
                f.write(step["token"])
            os.rename(tmp, os.path.join(SCRIPT_DIR[0], "token"))
        if "lines" not in step:
            self.reply(step.get("status", 200), step.get("body", {}),
                       headers=step.get("headers", []))
            return
        self.start_chunked()
        for line in step["lines"]:
            self.chunk(json.dumps(line).encode() + b"\n")
        time.sleep(step.get("hold", 0))
        self.chunk(b"")

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        p = self.path
        if p.startswith("/script/"):
            self.scripted(body)
        elif p.startswith("/echo"):
            self.reply(200, {
                "method": self.command, "path": p, "body": body.decode(),
                "content_type": self.headers.get("Content-Type"),
                "accept": self.headers.get("Accept"),
                "user_agent": self.headers.get("User-Agent"),
                "host": self.headers.get("Host"),
                "auth": self.auth(), "client_cert": self.client_cn(),
            })
        elif p.startswith("/fast/"):
            self.reply(200, {"n": int(p[6:])})
        elif p == "/slow":
            time.sleep(2)
            self.reply(200, {"slow": True})
        elif p.startswith("/status/"):
            code = int(p[8:])
            hdrs = []
            if code == 429:
                hdrs.append(("Retry-After", "3"))
            elif code == 503:
                hdrs.append(("Retry-After", formatdate(time.time() + 30, usegmt=True)))
            self.reply(code, {"kind": "Status", "code": code}, headers=hdrs)
        elif p.startswith("/big/"):
            self.reply(200, b"x" * int(p[5:]), "text/plain")
        elif p.startswith("/big-chunked/"):
            self.start_chunked()
            left = int(p[13:])
            while left > 0:
                self.chunk(b"x" * min(left, 4096))
                left -= 4096
            self.chunk(b"")
        elif p.startswith("/release/"):
            release_event(p[9:]).set()
            self.reply(200, {"released": True})
        elif p.startswith("/stream/"):
            ev = release_event(p[8:])
            self.start_chunked()
            self.chunk(b'{"type":"ADDED","n":1}\n')
            released = ev.wait(10)
            self.chunk(b'{"type":"ADDED","n":2}\n' if released else b"TIMEOUT\n")
            self.chunk(b"")
        elif p == "/stall":
            self.start_chunked()
            self.chunk(b'{"type":"ADDED","n":1}\n')
            time.sleep(5)
            self.close_connection = True
        else:
            self.reply(404, {"kind": "Status", "code": 404})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx):
        self.ctx = ctx
        super().__init__(("127.0.0.1", 0), Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the connection's thread, so a client that
        # fails it (wrong CA) does not stall the others.
        try:
            request = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request, client_address):
        pass  # clients hang up on purpose (cancel, timeouts)


def serve(d, tokens):
    TOKENS.extend(tokens)
    SCRIPT_DIR.append(d)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
    ctx.load_verify_locations(os.path.join(d, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    srv = Server(ctx)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "certs":
        make_certs(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
