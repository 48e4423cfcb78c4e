#!/usr/bin/python3
"""A fake Kubernetes API server for podtrail's tests, as strict as
kube-apiserver where podtrail and kubectl touch it.

In-process:

    srv = FakeAPIServer("/tmp/dir").start()      # HTTPS on 127.0.0.1, port chosen
    srv.add_pod("web-0", namespace="shop", node_name="node-1",
                containers=[("app", "containerd://" + "ab" * 32)])
    ... run the agent with --kubeconfig srv.kubeconfig ...
    srv.events()            # core/v1 Events it created
    srv.requests()          # every request: method, path, query, status, ...
    srv.stop()

As a process (prints "READY port=<port>" once listening; SIGTERM stops it):

    python3 tests/fakeapi/fakeapi.py --dir DIR [--port 0] [--token T]

DIR receives ca.crt/ca.key, server.crt/key, client.crt/key (a
system:masters client certificate), token, port, kubeconfig (contexts
"fakeapi": bearer token, "fakeapi-cert": client certificate) and
serviceaccount/{token,ca.crt,namespace} laid out like a pod's.

Control endpoints, under /_fake/ on the same port: no authentication (the
real server has no such paths and the listener is loopback only), never
logged, never subject to injected faults. JSON bodies, all optional:

    GET  /_fake/requests[?method=&path=&since=]  the request log ({"items": [...]})
    POST /_fake/reset-log
    POST /_fake/fail       {"count":1,"status":500,"path":REGEX,"method":M,"message":S}
    POST /_fake/throttle   {"count":1,"retryAfter":1,"path":REGEX,"method":M}   (429)
    POST /_fake/latency    {"seconds":0.5,"path":REGEX,"method":M}   (0 clears)
    POST /_fake/status     {"count":1,"status":500,"reason":R,"message":S,...}  a Status
                           as given: an empty message or reason is left out
    POST /_fake/respond    {"count":1,"status":200,"headers":{},"body":TEXT or
                           "bodyBase64":B64,"contentType":CT,...}  raw response bytes
    POST /_fake/stall      {"count":1,"seconds":20,"afterBytes":0,"afterEvents":0,
                           "then":"close"|"finish",...}  headers and part of the
                           body, then nothing for a while
    POST /_fake/corrupt-watch {"count":1,"data":TEXT,"afterEvents":1,
                           "then":"continue"|"close"|"abort",...}  bytes on a watch
    (all of these, and /_fake/fail and /_fake/throttle, also take "watch": true
    (watch requests only) or false (never a watch))
    POST /_fake/rotate-token {"token":T}  the old main token gets 401 from now on
    POST /_fake/clear-faults
    POST /_fake/drop-watches                      close every watch stream mid-stream
    POST /_fake/refuse     {"seconds":2,"dropExisting":true}   close the listener
    POST /_fake/compact                           watches/lists older than now get 410
    POST /_fake/pods       add_pod() arguments: {"name","namespace","uid","nodeName",
                           "containers":[{"name","containerID","image"}],"phase","labels"}
    DELETE /_fake/pods/NAMESPACE/NAME
    POST /_fake/nodes      {"name","uid","labels"}     POST /_fake/namespaces {"name"}
    GET  /_fake/state      {"resourceVersion","compactedResourceVersion","watches"}
"""

import argparse
import base64
import copy
import json
import os
import re
import secrets
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeapi_meta import APIError, go_quote, now_time, status_details  # noqa: E402
from fakeapi_registry import API, RESOURCES, GROUP_VERSIONS  # noqa: E402

KUBE_VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53", "gitTreeState": "clean",
                "buildDate": "2024-12-11T17:59:15Z", "goVersion": "go1.23.3", "compiler": "gc",
                "platform": "linux/amd64"}
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"
NOT_FOUND = APIError(404, "NotFound", "the server could not find the requested resource",
                     status_details(causes=[{"reason": "UnexpectedServerResponse",
                                             "message": "404 page not found"}]))


# --------------------------------------------------------------------------
# Certificates and kubeconfig

def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def server_sans(san_ips=()):
    """The server certificate's subjectAltName: 127.0.0.1, localhost and san_ips."""
    return ",".join(["IP:127.0.0.1", "DNS:localhost"] + [f"IP:{ip}" for ip in san_ips if ip != "127.0.0.1"])


def make_pki(d, san_ips=()):
    """CA, server certificate (127.0.0.1, localhost, and the addresses san_ips),
    client certificate. Existing ones are kept; with san_ips, a server
    certificate made for other addresses (DIR/server.san) is made again under
    the same CA."""
    san = server_sans(san_ips)
    if all(os.path.exists(os.path.join(d, f)) for f in
           ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")):
        if not san_ips:
            return
        try:
            with open(os.path.join(d, "server.san")) as f:
                if f.read().strip() == san:
                    return
        except FileNotFoundError:
            pass
        _issue(d, "server", "/CN=127.0.0.1", f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n")
        with open(os.path.join(d, "server.san"), "w") as f:
            f.write(san)
        return
    key = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
    _openssl(*key, "ca.key", cwd=d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=fakeapi-ca", "-days", "3650",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.crt", cwd=d)
    for name, subj, ext in (
            ("server", "/CN=127.0.0.1", f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n"),
            ("client", "/O=system:masters/CN=fakeapi-admin", "extendedKeyUsage=clientAuth\n")):
        _issue(d, name, subj, ext)
    with open(os.path.join(d, "server.san"), "w") as f:
        f.write(san)


def _issue(d, name, subj, ext):
    """A key and a certificate <name>.key/.crt signed by the CA in @d."""
    key = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
    _openssl(*key, f"{name}.key", cwd=d)
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", subj, "-out", f"{name}.csr", cwd=d)
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" + ext)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "3650",
             "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=d)
    for tmp in (f"{name}.csr", f"{name}.ext"):
        os.unlink(os.path.join(d, tmp))


def _b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_kubeconfig(d, url, token):
    ca, crt, key = (_b64file(os.path.join(d, f)) for f in ("ca.crt", "client.crt", "client.key"))
    text = f"""apiVersion: v1
kind: Config
clusters:
- name: fakeapi
  cluster:
    server: {url}
    certificate-authority-data: {ca}
users:
- name: fakeapi-token
  user:
    token: {token}
- name: fakeapi-cert
  user:
    client-certificate-data: {crt}
    client-key-data: {key}
contexts:
- name: fakeapi
  context:
    cluster: fakeapi
    user: fakeapi-token
    namespace: default
- name: fakeapi-cert
  context:
    cluster: fakeapi
    user: fakeapi-cert
    namespace: default
current-context: fakeapi
"""
    path = os.path.join(d, "kubeconfig")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    sa = os.path.join(d, "serviceaccount")
    os.makedirs(sa, exist_ok=True)
    for name, content in (("token", token), ("namespace", "kube-system"),
                          ("ca.crt", open(os.path.join(d, "ca.crt")).read())):
        with open(os.path.join(sa, name), "w") as f:
            f.write(content)
    return path


def make_ca(d, cn="other-ca"):
    """A CA of its own in d (ca.crt, ca.key), e.g. the wrong CA for a client."""
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, "ca.crt")):
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key", cwd=d)
        _openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", f"/CN={cn}", "-days", "3650",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.crt", cwd=d)
    return os.path.join(d, "ca.crt")


def write_client_kubeconfig(path, url, pki_dir, token=None, token_file=None, ca_file=None, ca_data=None,
                            insecure=False, client_cert=False):
    """One cluster, one user, one context ("fakeapi"). CA: ca_file (a path in
    the kubeconfig), ca_data (PEM, inlined), the server's own CA (default) or
    none with insecure; user: token, tokenFile and/or the client certificate."""
    cluster = [f"    server: {url}"]
    if insecure:
        cluster.append("    insecure-skip-tls-verify: true")
    elif ca_file:
        cluster.append(f"    certificate-authority: {ca_file}")
    else:
        pem = ca_data if ca_data is not None else open(os.path.join(pki_dir, "ca.crt")).read()
        cluster.append("    certificate-authority-data: " + base64.b64encode(
            pem.encode() if isinstance(pem, str) else pem).decode())
    user = []
    if token is not None:
        user.append(f"    token: {token}")
    if token_file:
        user.append(f"    tokenFile: {token_file}")
    if client_cert:
        user.append(f"    client-certificate-data: {_b64file(os.path.join(pki_dir, 'client.crt'))}")
        user.append(f"    client-key-data: {_b64file(os.path.join(pki_dir, 'client.key'))}")
    text = ("apiVersion: v1\nkind: Config\nclusters:\n- name: fakeapi\n  cluster:\n" + "\n".join(cluster) +
            "\nusers:\n- name: fakeapi\n  user:\n" + ("\n".join(user) if user else "    {}") +
            "\ncontexts:\n- name: fakeapi\n  context:\n    cluster: fakeapi\n    user: fakeapi\n"
            "    namespace: default\ncurrent-context: fakeapi\n")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    return path


# --------------------------------------------------------------------------
# Fault injection and the request log

FAULT_REASONS = {500: ("InternalError", "Internal error occurred: injected fault"),
                 502: ("InternalError", "Internal error occurred: injected fault (bad gateway)"),
                 503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
                 504: ("Timeout", "the server was unable to return a response in the time allotted, "
                                  "but may still be processing the request")}


class ResponseFault:
    """What to do to one matching response instead of (or on top of) the
    real one. kind: "respond" (raw status, headers and body bytes; body may be
    a callable(fake) -> bytes, called when the request comes), "rewrite"
    (fn(status, headers, body) -> (status, headers, body) on the real
    response; not for watches), "stall" (the status line, headers and the
    first after_bytes of the body, or after_events watch events, then
    nothing for `seconds`; then "close" the connection or "finish" the
    response), "corrupt" (a watch: after after_events events, `data` as a
    chunk of the stream; then "continue" streaming, "close" it cleanly or
    "abort" the connection)."""

    def __init__(self, kind, status=200, headers=None, body=b"", content_type="application/json",
                 fn=None, seconds=0.0, after_bytes=0, after_events=0, data=b"", then=None):
        self.kind, self.status, self.headers, self.body = kind, status, dict(headers or {}), body
        self.content_type, self.fn, self.seconds = content_type, fn, seconds
        self.after_bytes, self.after_events, self.data, self.then = after_bytes, after_events, data, then


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []     # [remaining, APIError or ResponseFault, path regex, method, watch]
        self.latency = []   # (seconds, path regex, method)

    @staticmethod
    def _match(path_re, method, req_method, req_path, watch=None, req_watch=False):
        return (not method or method.upper() == req_method) and (not path_re or re.search(path_re, req_path)) \
            and (watch is None or bool(watch) == bool(req_watch))

    def add(self, count, error, path=None, method=None, watch=None):
        with self.lock:
            self.rules.append([count, error, path, method, watch])

    def take(self, method, path, watch=False):
        """The first rule left that matches, in the order they were added."""
        with self.lock:
            for rule in self.rules:
                if rule[0] > 0 and self._match(rule[2], rule[3], method, path, rule[4], watch):
                    rule[0] -= 1
                    return rule[1]
        return None

    def delay(self, method, path):
        with self.lock:
            return sum(s for s, p, m in self.latency if self._match(p, m, method, path))

    def clear(self):
        with self.lock:
            self.rules, self.latency = [], []


# --------------------------------------------------------------------------
# HTTP

def parse_accept(header):
    out = []
    for part in (header or "").split(","):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        params = {}
        for b in bits[1:]:
            k, _, v = b.partition("=")
            params[k.strip()] = v.strip()
        out.append((bits[0].lower(), params))
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeapi"

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("fakeapi: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # ---- plumbing
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def log_entry(self, status, watch=False):
        """Logs the request; returns the entry (watches update it as they stream)."""
        fake = self.server.fake
        if self.is_control:
            return None
        body = None
        if self.body:
            try:
                body = json.loads(self.body)
            except ValueError:
                body = self.body.decode("utf-8", "replace")
        return fake.record({"method": self.command, "path": self.url.path, "query": self.url.query,
                     "params": self.params, "contentType": self.headers.get("Content-Type", ""),
                     "accept": self.headers.get("Accept", ""), "status": status, "user": self.user,
                     "userAgent": self.headers.get("User-Agent", ""), "watch": watch, "body": body,
                     "time": self.t0, "fault": self.fault.kind if self.fault else None})

    def send(self, code, payload, ctype="application/json", headers=()):
        if isinstance(payload, (dict, list)):
            data = (json.dumps(payload, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        else:
            data = payload if isinstance(payload, bytes) else payload.encode()
        headers = [("Content-Type", ctype), *headers]
        f = self.fault
        if f and f.kind == "rewrite":
            code, hdrs, data = f.fn(code, dict(headers), data)
            headers = list(hdrs.items())
        self.log_entry(code)
        self.send_response(code)
        names = {k.lower() for k, _ in headers}
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(data)))
        if "cache-control" not in names:
            self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        if f and f.kind == "stall":
            self.wfile.write(data[:f.after_bytes])
            self.wfile.flush()
            if not self.stall(f) or f.then != "finish":
                return
            data = data[f.after_bytes:]
        self.wfile.write(data)

    def stall(self, f):
        """Send nothing for f.seconds (less if the server stops); False: the
        connection was closed ("close"), True: go on ("finish")."""
        self.server.fake.stopping.wait(f.seconds)
        if f.then == "finish" and not self.server.fake.stopping.is_set():
            return True
        self.abort()
        return False

    def send_raw(self, f):
        """An injected response: status, headers and body bytes as given."""
        body = f.body(self.server.fake) if callable(f.body) else f.body
        if isinstance(body, (dict, list)):
            body = (json.dumps(body, separators=(",", ":")) + "\n").encode()
        elif isinstance(body, str):
            body = body.encode()
        hdrs = dict(f.headers)
        if f.content_type and not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = f.content_type
        self.send(f.status, body, hdrs.pop("Content-Type", "application/json"), list(hdrs.items()))

    def send_error_status(self, err):
        self.send(err.code, err.status(), headers=list(err.headers.items()))

    def dispatch(self):
        self.t0 = time.time()
        self.url = urlsplit(self.path)
        self.params = {k: v[0] for k, v in parse_qs(self.url.query, keep_blank_values=True).items()}
        self.user, self.body, self.fault = None, b"", None
        self.is_control = self.url.path.startswith("/_fake/")
        self.is_watch = self.params.get("watch", "") in ("1", "t", "T", "true", "TRUE", "True") or \
            "/watch/" in self.url.path
        fake = self.server.fake
        try:
            self.body = self.read_body()
            if self.is_control:
                return self.control()
            delay = fake.faults.delay(self.command, self.url.path)
            if delay:
                time.sleep(delay)
            self.user = fake.authenticate(self)
            if self.user is None:
                raise APIError(401, "Unauthorized", "Unauthorized")
            err = fake.faults.take(self.command, self.url.path, self.is_watch)
            if isinstance(err, APIError):
                raise err
            self.fault = err
            if err and err.kind == "respond":
                return self.send_raw(err)
            self.route()
        except APIError as e:
            self.send_error_status(e)
        except (BrokenPipeError, ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # a bug in the fake: say so loudly
            traceback.print_exc()
            self.send_error_status(APIError(500, "InternalError", f"Internal error occurred: fakeapi: {e!r}"))

    # ---- routing
    def route(self):
        path, fake = self.url.path, self.server.fake
        if path in ("/healthz", "/livez", "/readyz"):
            return self.send(200, "ok", "text/plain; charset=utf-8")
        if path == "/version":
            return self.send(200, KUBE_VERSION)
        if path in ("/api", "/apis"):
            return self.discovery_root(path)
        if path.startswith("/openapi/v3"):
            return self.openapi_v3(path[len("/openapi/v3"):].strip("/"))
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] not in ("api", "apis"):
            return self.send(404, "404 page not found\n", "text/plain; charset=utf-8")
        if parts[0] == "api":
            group, rest = "", parts[1:]
        else:
            group, rest = (parts[1] if len(parts) > 1 else ""), parts[2:]
            if group in GROUP_VERSIONS.values() and not rest:
                return self.send(200, fake.api_group(group))
        if not rest:
            raise NOT_FOUND
        version, rest = rest[0], rest[1:]
        gv = f"{group}/{version}" if group else version
        if gv not in GROUP_VERSIONS:
            raise NOT_FOUND
        if not rest:
            return self.send(200, fake.resource_list(group, version))
        if self.command not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the "
                           "requested resource")
        force_watch = rest[0] == "watch"
        if force_watch:
            rest = rest[1:]
        ns = ""  # namespaces/NAME/{status,finalize} are the namespace's own subresources
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            ns, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise NOT_FOUND
        res = fake.api.resource(group, version, rest[0])
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if res is None or (sub and sub not in res.subresources) or (ns and not res.namespaced):
            raise NOT_FOUND
        if res.namespaced and not ns and (name or self.command != "GET"):
            raise NOT_FOUND if name else APIError(405, "MethodNotAllowed",
                                                  "the server does not allow this method on the requested resource")
        return self.resource_request(res, ns, name, sub, force_watch)

    def verb(self, name, force_watch):
        watch = force_watch or self.params.get("watch", "") in ("1", "t", "T", "true", "TRUE", "True")
        m = self.command
        if m == "GET":
            return "watch" if watch else ("get" if name else "list")
        if not name:
            return {"POST": "create", "DELETE": "deletecollection"}.get(m)
        return {"PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(m)

    def negotiate(self, tableable):
        """Returns ("json", None) or ("table", version); raises 406."""
        accepts = parse_accept(self.headers.get("Accept"))
        if not accepts:
            return "json", None
        for mt, p in accepts:
            if tableable and mt == "application/json" and p.get("as") == "Table" and \
                    p.get("g") == "meta.k8s.io" and p.get("v") in ("v1", "v1beta1"):
                return "table", p["v"]
            if mt in ("application/json", "application/*", "*/*") and "as" not in p:
                return "json", None
        raise APIError(406, "NotAcceptable", "only the following media types are accepted: application/json")

    def resource_request(self, res, ns, name, sub, force_watch):
        fake, q = self.server.fake, self.params
        verb = self.verb(name, force_watch)
        if verb is None or (verb not in res.verbs and not sub):
            raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if sub and verb not in res.subresources[sub]:
            raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        fake.authorize(self.user, verb, res, sub, ns, name)
        api = fake.api
        if verb in ("create", "update") or (verb == "patch"):
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if verb != "patch" and ctype not in ("application/json", ""):
                raise APIError(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                               "format - accepted media types include: application/json")
        warn = []
        if verb == "watch":
            self.negotiate(False)
            return self.serve_watch(api.watch(res, ns, q, name or None))
        if verb == "get":
            mode, tv = self.negotiate(True)
            obj = api.get(res, ns, name, q)
            if mode == "table":
                return self.send(200, api.table(res, [obj], {}, q.get("includeObject", ""), tv),
                                 f"application/json;as=Table;v={tv};g=meta.k8s.io")
            return self.send(200, res.encode(obj))
        if verb == "list":
            mode, tv = self.negotiate(True)
            items, meta = api.list(res, ns, q)
            if mode == "table":
                return self.send(200, api.table(res, items, meta, q.get("includeObject", ""), tv),
                                 f"application/json;as=Table;v={tv};g=meta.k8s.io")
            return self.send(200, api.list_object(res, items, meta))
        self.negotiate(False)
        if verb == "create":
            obj, warn = api.create(res, ns, self.body, q)
            code, out = 201, res.encode(obj)
        elif verb == "update":
            obj, created, warn = api.update(res, ns, name, self.body, q, sub)
            code, out = (201 if created else 200), res.encode(obj)
        elif verb == "patch":
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            obj, warn = api.patch(res, ns, name, ctype, self.body, q, sub)
            code, out = 200, res.encode(obj)
        elif verb == "delete":
            code, out = 200, api.delete(res, ns, name, self.body, q)
        else:
            code, out = 200, api.delete_collection(res, ns, self.body, q)
        self.send(code, out, headers=[("Warning", "299 - " + go_quote(w)) for w in warn])

    def discovery_root(self, path):
        fake = self.server.fake
        for mt, p in parse_accept(self.headers.get("Accept")):
            if fake.aggregated_discovery and mt == "application/json" and p.get("as") == "APIGroupDiscoveryList" \
                    and p.get("g") == "apidiscovery.k8s.io" and p.get("v") in ("v2", "v2beta1"):
                return self.send(200, fake.aggregated(path == "/api", p["v"]), AGGREGATED.format(v=p["v"]))
            if mt in ("application/json", "*/*", "application/*") and "as" not in p:
                break
        if path == "/api":
            return self.send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{fake.port}"}]})
        return self.send(200, {"kind": "APIGroupList", "apiVersion": "v1",
                               "groups": [fake.api_group(g, kind=False) for g in sorted(set(GROUP_VERSIONS.values())) if g]})

    def openapi_v3(self, gv_path):
        """Just enough OpenAPI v3 for kubectl to see that PATCH takes
        fieldValidation (so it validates on the server, not from schemas)."""
        gvs = {("api/" + gv if not g else "apis/" + gv): (g, gv.split("/")[-1]) for gv, g in GROUP_VERSIONS.items()}
        if not gv_path:
            return self.send(200, {"paths": {p: {"serverRelativeURL": f"/openapi/v3/{p}?hash=FAKE{i}"}
                                             for i, p in enumerate(gvs)}})
        if gv_path not in gvs:
            return self.send(404, "404 page not found\n", "text/plain; charset=utf-8")
        group, version = gvs[gv_path]
        paths = {}
        for r in RESOURCES:
            if (r.group, r.version) != (group, version):
                continue
            ns = "namespaces/{namespace}/" if r.namespaced else ""
            paths[f"/{gv_path}/{ns}{r.plural}/{{name}}"] = {"patch": {
                "operationId": f"patch{r.kind}", "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": r.kind},
                "parameters": [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                               for n in ("dryRun", "fieldManager", "fieldValidation", "force")],
                "responses": {"200": {"description": "OK"}}}}
        return self.send(200, {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
                               "paths": paths})

    # ---- watch
    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def client_gone(self):
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            if not r:
                return False
            self.connection.setblocking(False)
            try:
                self.connection.recv(1024)  # EOF, or bytes a watching client never sends
                return True
            except ssl.SSLWantReadError:
                return False
            finally:
                self.connection.setblocking(True)
        except (OSError, ValueError):
            return True

    def serve_watch(self, stream):
        fake = self.server.fake
        entry = self.log_entry(200, watch=True)
        if entry is not None:
            entry["sentResourceVersion"], entry["sentEvents"] = None, 0
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.end_headers()
        start = time.monotonic()
        timeout = stream.timeout if stream.timeout else fake.watch_timeout
        deadline = start + timeout
        interval = fake.bookmark_interval
        f = self.fault if self.fault and self.fault.kind in ("stall", "corrupt") else None
        sent = [0]

        def next_bookmark(now):
            t = now + interval
            return min(t, deadline - 2) if deadline - 2 > now else t

        def emit(ev):
            """Writes one event; False: the injected fault ended the stream."""
            nonlocal f
            self.write_chunk(json.dumps(ev, separators=(",", ":")).encode() + b"\n")
            fake._note_sent(entry, ev)
            sent[0] += 1
            return fault_point()

        def fault_point():
            nonlocal f
            if not f or sent[0] < f.after_events:
                return True
            g, f = f, None
            if g.kind == "stall":
                self.wfile.flush()
                return self.stall(g)
            self.write_chunk(g.data)
            self.wfile.flush()
            if g.then == "close":
                self.wfile.write(b"0\r\n\r\n")
                return False
            if g.then == "abort":
                self.abort()
                return False
            return True
        nb = next_bookmark(start)
        try:
            if not fault_point():
                return
            for ev in stream.initial:
                if not emit(ev):
                    return
            if stream.done:
                self.wfile.write(b"0\r\n\r\n")
                return
            while True:
                now = time.monotonic()
                wait = max(0.0, min(deadline, nb if stream.allow_bookmarks else deadline, now + 0.2) - now)
                events = stream.next(wait)
                if stream.dropped:
                    self.abort()
                    return
                for ev in events:
                    if not emit(ev):
                        return
                now = time.monotonic()
                if stream.allow_bookmarks and now >= nb:
                    if not emit(stream.bookmark()):
                        return
                    nb = next_bookmark(now)
                if now >= deadline:
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if not events and self.client_gone():
                    self.close_connection = True
                    return
        except (BrokenPipeError, ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            stream.close()

    def abort(self):
        """Close the connection mid-stream: no last chunk, no TLS close_notify."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- control
    def control(self):
        fake, path, m = self.server.fake, self.url.path, self.command
        try:
            args = json.loads(self.body) if self.body.strip() else {}
        except ValueError as e:
            return self.send(400, {"error": f"bad JSON: {e}"})
        ok = {"ok": True}
        if path == "/_fake/requests" and m == "GET":
            q = self.params
            return self.send(200, {"items": fake.requests(q.get("method"), q.get("path"),
                                                          int(q.get("since") or 0))})
        if m == "DELETE" and path.startswith("/_fake/pods/"):
            ns, _, name = path[len("/_fake/pods/"):].partition("/")
            fake.delete_pod(ns, name)
            return self.send(200, ok)
        if path == "/_fake/state" and m == "GET":
            return self.send(200, fake.state())
        if m != "POST":
            return self.send(404, {"error": "no such control endpoint"})
        if path == "/_fake/reset-log":
            fake.reset_log()
        elif path == "/_fake/fail":
            fake.fail_next(args.get("count", 1), args.get("status", 500), args.get("path"),
                           args.get("method"), args.get("message"), args.get("watch"))
        elif path == "/_fake/throttle":
            fake.throttle_next(args.get("count", 1), args.get("retryAfter", 1), args.get("path"),
                               args.get("method"), args.get("watch"))
        elif path == "/_fake/status":
            fake.status_next(args.get("count", 1), args.get("status", 500), args.get("reason", ""),
                             args.get("message", ""), args.get("path"), args.get("method"), args.get("watch"))
        elif path == "/_fake/respond":
            body = base64.b64decode(args["bodyBase64"]) if "bodyBase64" in args else args.get("body", "")
            fake.respond_next(body, args.get("status", 200), args.get("headers"), args.get("count", 1),
                              args.get("path"), args.get("method"), args.get("watch"),
                              args.get("contentType", "application/json"))
        elif path == "/_fake/stall":
            fake.stall_next(args.get("seconds", 10), args.get("afterBytes", 0), args.get("afterEvents", 0),
                            args.get("then", "close"), args.get("count", 1), args.get("path"),
                            args.get("method"), args.get("watch"))
        elif path == "/_fake/corrupt-watch":
            fake.corrupt_watch_next(args.get("data", "<html>502 Bad Gateway</html>\n"),
                                    args.get("afterEvents", 1), args.get("then", "continue"),
                                    args.get("count", 1), args.get("path"))
        elif path == "/_fake/rotate-token":
            return self.send(200, {"token": fake.rotate_token(args.get("token"))})
        elif path == "/_fake/latency":
            fake.set_latency(args.get("seconds", 0), args.get("path"), args.get("method"))
        elif path == "/_fake/clear-faults":
            fake.clear_faults()
        elif path == "/_fake/drop-watches":
            fake.drop_watches()
        elif path == "/_fake/refuse":
            fake.refuse_connections(args.get("seconds", 1), args.get("dropExisting", True),
                                    keep=self.connection)
        elif path == "/_fake/compact":
            return self.send(200, {"resourceVersion": str(fake.compact())})
        elif path == "/_fake/pods":
            return self.send(201, fake.add_pod(
                args["name"], args.get("namespace", "default"), uid=args.get("uid"),
                node_name=args.get("nodeName"), containers=args.get("containers"),
                phase=args.get("phase", "Running"), labels=args.get("labels")))
        elif path == "/_fake/nodes":
            return self.send(201, fake.add_node(args["name"], uid=args.get("uid"), labels=args.get("labels")))
        elif path == "/_fake/namespaces":
            return self.send(201, fake.add_namespace(args["name"]))
        else:
            return self.send(404, {"error": "no such control endpoint"})
        return self.send(200, ok)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, fake):
        self.fake = fake
        ThreadingHTTPServer.__init__(self, addr, Handler)

    def finish_request(self, request, client_address):
        """TLS handshake in the connection's own thread, then HTTP."""
        request.settimeout(10)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle + delayed-ACK stalls
        try:
            conn = self.fake.ssl_ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            request.close()
            return
        conn.settimeout(None)
        self.fake._track(conn, True)
        try:
            Handler(conn, client_address, self)
        finally:
            self.fake._track(conn, False)
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if not isinstance(exc, (OSError, ssl.SSLError)):
            traceback.print_exc()


# --------------------------------------------------------------------------
# The server

class FakeAPIServer:
    def __init__(self, directory, port=0, host="127.0.0.1", token=None, bookmark_interval=60.0,
                 watch_timeout=1800.0, aggregated_discovery=True, tokens=None, verbose=False,
                 san_ips=()):
        """tokens: optional {token: {"user": name, "rules": [{"verbs": [...],
        "resources": [...], "apiGroups": [...]}]}} for extra, RBAC-limited
        users; the main token (and the client certificate) may do anything.
        host: the address to listen on; one other than 127.0.0.1 (e.g. a
        bridge's address that pods reach) is added to the server
        certificate's names, as are the addresses san_ips."""
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.host, self.port = host, port
        self.san_ips = [ip for ip in [host, *san_ips] if ip not in ("127.0.0.1", "localhost", "")]
        self.bookmark_interval, self.watch_timeout = bookmark_interval, watch_timeout
        self.aggregated_discovery, self.verbose = aggregated_discovery, verbose
        tok_file = os.path.join(self.dir, "token")
        if token is None and os.path.exists(tok_file):
            token = open(tok_file).read().strip()
        self.token = token or secrets.token_hex(24)
        with open(tok_file, "w") as f:
            f.write(self.token)
        self.tokens = {self.token: {"user": "fakeapi-admin", "rules": None}}
        self.tokens.update(tokens or {})
        self.api = API()
        self.faults = Faults()
        self.stopping = threading.Event()   # ends injected stalls early
        self.log, self.log_lock, self.seq = [], threading.Lock(), 0
        self.conns, self.conns_lock = set(), threading.Lock()
        self.httpd = self.serve_thread = self.reopen_timer = None
        self.listen_lock = threading.Lock()
        self.ca_file = os.path.join(self.dir, "ca.crt")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.add_namespace(ns)

    # ---- lifecycle
    def start(self):
        make_pki(self.dir, self.san_ips)
        self.ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ssl_ctx.load_cert_chain(os.path.join(self.dir, "server.crt"), os.path.join(self.dir, "server.key"))
        self.ssl_ctx.load_verify_locations(self.ca_file)
        self.ssl_ctx.verify_mode = ssl.CERT_OPTIONAL
        self.ssl_ctx.set_alpn_protocols(["http/1.1"])
        self.httpd = _HTTPServer((self.host, self.port), self)
        self.port = self.httpd.server_address[1]
        self._serve()
        write_kubeconfig(self.dir, self.url, self.token)
        with open(os.path.join(self.dir, "port"), "w") as f:
            f.write(str(self.port))
        return self

    def _serve(self):
        self.serve_thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                             name="fakeapi-accept", daemon=True)
        self.serve_thread.start()

    def stop(self):
        self.stopping.set()
        with self.listen_lock:
            if self.reopen_timer:
                self.reopen_timer.cancel()
        if self.httpd:
            if self.serve_thread and self.serve_thread.is_alive():
                self.httpd.shutdown()
            self.httpd.server_close()
            self.api.drop_watches()
            self._drop_connections()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"https://{self.host}:{self.port}"

    def _track(self, conn, add):
        with self.conns_lock:
            (self.conns.add if add else self.conns.discard)(conn)

    def _drop_connections(self, keep=None):
        with self.conns_lock:
            conns = [c for c in self.conns if c is not keep]
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def refuse_connections(self, seconds, drop_existing=True, keep=None):
        """Close the listening socket (clients get ECONNREFUSED) and listen
        again on the same port after `seconds`; drop_existing also cuts the
        open connections (watches included), as a restarting server would."""
        with self.listen_lock:
            if self.reopen_timer:
                self.reopen_timer.cancel()
            self.httpd.shutdown()
            self.httpd.socket.close()
            if drop_existing:
                self.api.drop_watches()
                self._drop_connections(keep)
            self.reopen_timer = threading.Timer(seconds, self._reopen)
            self.reopen_timer.daemon = True
            self.reopen_timer.start()

    def accept_connections(self):
        """End a refuse_connections() outage now."""
        with self.listen_lock:
            if self.reopen_timer:
                self.reopen_timer.cancel()
        self._reopen()

    def _reopen(self):
        with self.listen_lock:
            if self.httpd is not None and self.refusing:
                self._listen_again()

    def _listen_again(self):
        for _ in range(100):
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.host, self.port))
                sock.listen(128)
                break
            except OSError:
                sock.close()
                time.sleep(0.05)
        else:
            raise RuntimeError(f"fakeapi: cannot listen on port {self.port} again")
        self.httpd.socket = sock
        self._serve()

    @property
    def refusing(self):
        return not (self.serve_thread and self.serve_thread.is_alive())

    # ---- authentication and authorisation
    def authenticate(self, handler):
        auth = handler.headers.get("Authorization", "")
        parts = auth.split(" ")
        if auth:
            if len(parts) >= 2 and parts[0].lower() == "bearer" and parts[1] in self.tokens:
                return self.tokens[parts[1]]["user"]
            return None
        cert = handler.connection.getpeercert()
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        return None

    def authorize(self, user, verb, res, sub, ns, name):
        rules = next((t["rules"] for t in self.tokens.values() if t["user"] == user), None)
        if rules is None:
            return
        resource = res.plural + ("/" + sub if sub else "")
        for r in rules:
            if any(v in ("*", verb) for v in r.get("verbs", ())) and \
                    any(x in ("*", resource) for x in r.get("resources", ())) and \
                    any(g in ("*", res.group) for g in r.get("apiGroups", [""])):
                return
        qr = f"{res.plural}.{res.group}" if res.group else res.plural
        scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
        subject = f"{qr} {go_quote(name)}" if name else qr
        raise APIError(403, "Forbidden", f'{subject} is forbidden: User "{user}" cannot {verb} resource '
                       f'"{resource}" in API group "{res.group}" {scope}',
                       status_details(name, res.group, res.plural))

    # ---- discovery
    def api_group(self, group, kind=True):
        versions = [{"groupVersion": gv, "version": gv.split("/")[1]} for gv, g in GROUP_VERSIONS.items() if g == group]
        doc = {"name": group, "versions": versions, "preferredVersion": versions[0]}
        return {"kind": "APIGroup", "apiVersion": "v1", **doc} if kind else doc

    def resource_list(self, group, version):
        out = []
        for r in RESOURCES:
            if (r.group, r.version) != (group, version):
                continue
            d = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                 "kind": r.kind, "verbs": r.verbs}
            if r.short_names:
                d["shortNames"] = r.short_names
            if r.categories:
                d["categories"] = r.categories
            out.append(d)
            for sub, verbs in r.subresources.items():
                out.append({"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                            "kind": r.kind, "verbs": verbs})
        doc = {"kind": "APIResourceList", "groupVersion": f"{group}/{version}" if group else version,
               "resources": out}
        if group:
            doc["apiVersion"] = "v1"
        return doc

    def aggregated(self, core, v):
        items = []
        for gv, group in GROUP_VERSIONS.items():
            if (group == "") != core:
                continue
            version = gv.split("/")[-1]
            resources = []
            for r in RESOURCES:
                if (r.group, r.version) != (group, version):
                    continue
                kind = {"group": group, "version": version, "kind": r.kind}
                d = {"resource": r.plural, "responseKind": kind,
                     "scope": "Namespaced" if r.namespaced else "Cluster",
                     "singularResource": r.singular, "verbs": r.verbs}
                if r.short_names:
                    d["shortNames"] = r.short_names
                if r.categories:
                    d["categories"] = r.categories
                if r.subresources:
                    d["subresources"] = [{"subresource": s, "responseKind": kind, "verbs": vs}
                                         for s, vs in r.subresources.items()]
                resources.append(d)
            meta = {"creationTimestamp": None}
            if group:
                meta = {"name": group, "creationTimestamp": None}
            items.append({"metadata": meta, "versions": [{"version": version, "resources": resources,
                                                          "freshness": "Current"}]})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{v}",
                "metadata": {}, "items": items}

    # ---- request log
    def record(self, entry):
        with self.log_lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
        return entry

    def _note_sent(self, entry, ev):
        """A watch stream sent ev: remember the last resourceVersion it carried."""
        rv = ((ev.get("object") or {}).get("metadata") or {}).get("resourceVersion")
        if entry is not None:
            with self.log_lock:
                if rv:
                    entry["sentResourceVersion"] = rv
                entry["sentEvents"] = entry.get("sentEvents", 0) + 1

    def requests(self, method=None, path=None, since=0):
        """Logged requests, optionally by method and path regex, with seq > since."""
        with self.log_lock:
            return [dict(e) for e in self.log if e["seq"] > since and (not method or e["method"] == method)
                    and (not path or re.search(path, e["path"]))]

    def writes(self, path=None):
        return [e for e in self.requests(path=path) if e["method"] in ("POST", "PUT", "PATCH", "DELETE")]

    def reset_log(self):
        with self.log_lock:
            self.log = []

    # ---- faults
    def fail_next(self, count=1, status=500, path=None, method=None, message=None, watch=None):
        reason, msg = FAULT_REASONS.get(status, ("InternalError", f"injected fault {status}"))
        self.faults.add(count, APIError(status, reason, message or msg), path, method, watch)

    def throttle_next(self, count=1, retry_after=1, path=None, method=None, watch=None):
        self.faults.add(count, APIError(429, "TooManyRequests", "Too many requests, please try again later.",
                                        status_details(retry=retry_after),
                                        {"Retry-After": str(retry_after)}), path, method, watch)

    def status_next(self, count=1, status=500, reason="", message="", path=None, method=None, watch=None):
        """The next matching requests get a Status with exactly this code,
        reason and message; empty ones are left out (Go's omitempty), e.g. a
        Status with no message at all."""
        self.faults.add(count, APIError(status, reason, message), path, method, watch)

    def respond_next(self, body=b"", status=200, headers=None, count=1, path=None, method=None, watch=None,
                     content_type="application/json"):
        """The next matching requests get this raw response instead of the
        real one: body as bytes, text, a dict/list (JSON) or callable(fake)
        returning one of those when the request comes."""
        self.faults.add(count, ResponseFault("respond", status, headers, body, content_type), path, method, watch)

    def rewrite_next(self, fn, count=1, path=None, method=None, watch=False):
        """The real response of the next matching requests (not watches) goes
        through fn(status, headers dict, body bytes) -> (status, headers, body)."""
        self.faults.add(count, ResponseFault("rewrite", fn=fn), path, method, watch)

    def stall_next(self, seconds, after_bytes=0, after_events=0, then="close", count=1, path=None,
                   method=None, watch=None):
        """The next matching requests get the status line, the headers (with
        the full Content-Length) and after_bytes of the body (a watch:
        after_events events), then nothing for `seconds`; then the
        connection is closed ("close") or the response completed ("finish")."""
        assert then in ("close", "finish"), then
        self.faults.add(count, ResponseFault("stall", seconds=seconds, after_bytes=after_bytes,
                                             after_events=after_events, then=then), path, method, watch)

    def corrupt_watch_next(self, data=b"<html>502 Bad Gateway</html>\n", after_events=1, then="continue",
                           count=1, path=None):
        """The next matching watches send `data` as a chunk of the stream
        after after_events good events (bookmarks count), then go on
        ("continue"), end cleanly ("close") or cut the connection ("abort")."""
        assert then in ("continue", "close", "abort"), then
        self.faults.add(count, ResponseFault("corrupt", data=data if isinstance(data, bytes) else data.encode(),
                                             after_events=after_events, then=then), path, None, True)

    def rotate_token(self, new=None, write_files=True):
        """A new main token; the old one gets 401 from now on, as an expired
        one would. write_files: also DIR/token, kubeconfig, serviceaccount/token."""
        new = new or secrets.token_hex(24)
        old = self.token
        self.tokens[new] = self.tokens.pop(old)
        self.token = new
        if write_files:
            with open(os.path.join(self.dir, "token"), "w") as f:
                f.write(new)
            if self.httpd is not None:
                write_kubeconfig(self.dir, self.url, new)
        return new

    def client_kubeconfig(self, path, token=None, token_file=None, ca_file=None, ca_data=None,
                          insecure=False, client_cert=False, server=None):
        """Writes a kubeconfig for a client of this server with other
        settings: a token, a tokenFile, another CA (file or PEM data),
        insecure-skip-tls-verify, the client certificate. Returns path."""
        return write_client_kubeconfig(path, server or self.url, self.dir, token=token, token_file=token_file,
                                       ca_file=ca_file, ca_data=ca_data, insecure=insecure,
                                       client_cert=client_cert)

    def set_latency(self, seconds, path=None, method=None):
        with self.faults.lock:
            self.faults.latency = [x for x in self.faults.latency if (x[1], x[2]) != (path, method)]
            if seconds:
                self.faults.latency.append((seconds, path, method))

    def clear_faults(self):
        self.faults.clear()

    def drop_watches(self):
        self.api.drop_watches()

    def compact(self):
        return self.api.store.compact()

    @property
    def resource_version(self):
        return self.api.store.rv

    @property
    def active_watches(self):
        return len(self.api.store.watchers)

    def state(self):
        s = self.api.store
        return {"resourceVersion": str(s.rv), "compactedResourceVersion": str(s.compacted_rv),
                "watches": len(s.watchers)}

    # ---- objects, bypassing admission (test set-up)
    def _put(self, storage, obj):
        res = self.api.by_storage[storage]
        m = obj["metadata"]
        m.setdefault("uid", str(uuid.uuid4()))
        m.setdefault("creationTimestamp", now_time())
        key = (m.get("namespace", "") if res.namespaced else "", m["name"])
        etype = "MODIFIED" if key in self.api.store.table(storage) else "ADDED"
        return res.encode(self.api.store.commit(storage, key, obj, etype))

    def add_namespace(self, name):
        with self.api.store.lock:
            old = self.api.store.table("namespaces").get(("", name))
            if old:
                return self.api.by_storage["namespaces"].encode(old)
            return self._put("namespaces", {"metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                                            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})

    def add_node(self, name, uid=None, labels=None):
        meta = {"name": name, "labels": labels or {"kubernetes.io/hostname": name}}
        if uid:
            meta["uid"] = uid
        return self._put("nodes", {"metadata": meta, "spec": {}, "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "lastHeartbeatTime": now_time(), "lastTransitionTime": now_time()}],
            "nodeInfo": {"kubeletVersion": "v1.32.0", "containerRuntimeVersion": "containerd://1.7.24"}}})

    def add_pod(self, name, namespace="default", uid=None, node_name=None, containers=None, phase="Running",
                labels=None, annotations=None, init_containers=None, pod_ip=None, status=None):
        """Register a pod as the kubelet would have it. containers: names,
        (name, containerID) pairs or dicts {"name","containerID","image",
        "state"}; a missing containerID becomes containerd://<64 hex>."""
        def norm(cs):
            out = []
            for c in cs or []:
                if isinstance(c, str):
                    c = {"name": c}
                elif isinstance(c, (tuple, list)):
                    c = {"name": c[0], "containerID": c[1]}
                c = dict(c)
                c.setdefault("containerID", "containerd://" + secrets.token_hex(32))
                c.setdefault("image", "registry.k8s.io/pause:3.10")
                out.append(c)
            return out
        cs, ics = norm(containers or ["app"]), norm(init_containers)
        self.add_namespace(namespace)
        if node_name and ("", node_name) not in self.api.store.table("nodes"):
            self.add_node(node_name)
        now = now_time()
        running = phase == "Running"

        def cstatus(c, init=False):
            state = c.get("state") or ({"running": {"startedAt": now}} if running and not init else
                                       {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now,
                                                       "finishedAt": now, "containerID": c["containerID"]}}
                                       if init else {"waiting": {"reason": "ContainerCreating"}})
            return {"name": c["name"], "state": state, "lastState": {}, "ready": "running" in state,
                    "restartCount": 0, "image": c["image"], "imageID": c["image"] + "@sha256:" + "0" * 64,
                    "containerID": c["containerID"], "started": "running" in state}
        meta = {"name": name, "namespace": namespace, "uid": uid or str(uuid.uuid4()), "creationTimestamp": now}
        if labels:
            meta["labels"] = labels
        if annotations:
            meta["annotations"] = annotations
        spec = {"containers": [{"name": c["name"], "image": c["image"], "resources": {},
                                "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
                               for c in cs],
                "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default", "securityContext": {}, "schedulerName": "default-scheduler",
                "enableServiceLinks": True, "priority": 0, "preemptionPolicy": "PreemptLowerPriority"}
        if ics:
            spec["initContainers"] = [{"name": c["name"], "image": c["image"]} for c in ics]
        if node_name:
            spec["nodeName"] = node_name
        st = status or {"phase": phase, "qosClass": "BestEffort", "startTime": now,
                        "conditions": [{"type": t, "status": "True" if running else "False",
                                        "lastProbeTime": None, "lastTransitionTime": now}
                                       for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                        "containerStatuses": [cstatus(c) for c in cs]}
        if ics and not status:
            st["initContainerStatuses"] = [cstatus(c, True) for c in ics]
        if pod_ip and not status:
            st.update({"podIP": pod_ip, "podIPs": [{"ip": pod_ip}]})
        return self._put("pods", {"metadata": meta, "spec": spec, "status": st})

    def update_pod(self, namespace, name, mutate):
        """mutate(pod) changes a copy of the stored pod; committed as MODIFIED."""
        with self.api.store.lock:
            pod = copy.deepcopy(self.api.store.table("pods")[(namespace, name)])
            mutate(pod)
            return self._put("pods", pod)

    def delete_pod(self, namespace, name):
        with self.api.store.lock:
            if (namespace, name) in self.api.store.table("pods"):
                self.api.store.commit("pods", (namespace, name), None, "DELETED")

    def get(self, resource, namespace, name, group=""):
        res = self.api.resource(group, "v1", resource)
        obj = self.api.store.table(res.storage).get((namespace if res.namespaced else "", name))
        return res.encode(obj) if obj else None

    def events(self, namespace=None, api="v1"):
        """Stored events in core/v1 form (api="events.k8s.io/v1": that form)."""
        res = self.api.resource("events.k8s.io" if api.startswith("events") else "", "v1", "events")
        with self.api.store.lock:
            objs = [o for k, o in sorted(self.api.store.table("events").items()) if namespace in (None, k[0])]
        return [res.encode(o) for o in objs]

    def wait_until(self, predicate, timeout=10.0, interval=0.05):
        """Poll predicate() until true; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v or time.monotonic() > deadline:
                return v
            time.sleep(interval)


# --------------------------------------------------------------------------
# CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description="fake Kubernetes API server for tests")
    ap.add_argument("--dir", required=True, help="directory for certificates, token and kubeconfig")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (in the server certificate too)")
    ap.add_argument("--san-ip", action="append", default=[],
                    help="another IP address for the server certificate (repeatable)")
    ap.add_argument("--token", help="bearer token (default: DIR/token, or a random one)")
    ap.add_argument("--bookmark-interval", type=float, default=60.0, help="seconds between watch BOOKMARKs")
    ap.add_argument("--watch-timeout", type=float, default=1800.0,
                    help="watch length when the client sends no timeoutSeconds")
    ap.add_argument("--no-aggregated-discovery", action="store_true",
                    help="answer /api and /apis only in the legacy (unaggregated) form")
    ap.add_argument("--node", action="append", default=[], help="register a Node (repeatable)")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    a = ap.parse_args(argv)
    srv = FakeAPIServer(a.dir, port=a.port, host=a.host, token=a.token, bookmark_interval=a.bookmark_interval,
                        watch_timeout=a.watch_timeout, aggregated_discovery=not a.no_aggregated_discovery,
                        verbose=a.verbose, san_ips=a.san_ip)
    for n in a.node:
        srv.add_node(n)
    srv.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"READY port={srv.port}", flush=True)
    done.wait()
    srv.stop()


if __name__ == "__main__":
    main()
