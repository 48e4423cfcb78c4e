"""Helpers of the deploy/ tests: render the kustomization with the real
kubectl, a fake API server that answers discovery (all kubectl's client-side
dry run needs from a server), and validators for the Kubernetes 1.32 and
PodMonitor schemas in schemas/.
"""

import json
import os
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEPLOY = os.path.join(REPO, "deploy")
SCHEMAS = os.path.join(HERE, "schemas")

# The agent's metrics (the metrics/health endpoint, prefix podtrail_): the
# dashboard and the PodMonitor may use these and no others. Histograms also
# expose <name>_bucket, _sum and _count.
METRICS = {
    "podtrail_kernel_records_total": "counter",
    "podtrail_events_emitted_total": "counter",
    "podtrail_exits_filtered_in_kernel_total": "counter",
    "podtrail_ringbuf_lost_total": "counter",
    "podtrail_events_spam_filtered_total": "counter",
    "podtrail_events_aggregated_total": "counter",
    "podtrail_events_queue_overflow_total": "counter",
    "podtrail_api_requests_total": "counter",
    "podtrail_api_request_duration_seconds": "histogram",
    "podtrail_watch_restarts_total": "counter",
    "podtrail_pods_cached": "gauge",
    "podtrail_events_awaiting_attribution": "gauge",
    "podtrail_events_written_total": "counter",
}


def kubectl():
    path = shutil.which("kubectl")
    if not path:
        raise AssertionError("kubectl is not installed: the deploy tests need kubectl v1.32 or later")
    return path


def run(cmd, **kw):
    """Run a command; fail with its output when it fails."""
    kw.setdefault("timeout", 120)
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p.stdout


def kustomize(path):
    """`kubectl kustomize PATH`: the YAML stream kubectl apply -k would send."""
    return run([kubectl(), "kustomize", path])


def find(objects, kind, name=None):
    """The one object of that kind (and name)."""
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def podtrail_binary():
    build = os.environ.get("PODTRAIL_BUILD", "build")
    path = build if os.path.isabs(build) else os.path.join(REPO, build)
    path = os.path.join(path, "podtrail")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is missing: build podtrail first (make)")
    return path


# ---- a fake API server for kubectl's client-side dry run -------------------

# What the discovery documents list: group/version -> [(resource, kind, namespaced)].
RESOURCES = {
    "v1": [("namespaces", "Namespace", False), ("serviceaccounts", "ServiceAccount", True),
           ("configmaps", "ConfigMap", True), ("pods", "Pod", True), ("events", "Event", True),
           ("nodes", "Node", False)],
    "apps/v1": [("daemonsets", "DaemonSet", True), ("deployments", "Deployment", True)],
    "rbac.authorization.k8s.io/v1": [("clusterroles", "ClusterRole", False),
                                     ("clusterrolebindings", "ClusterRoleBinding", False),
                                     ("roles", "Role", True), ("rolebindings", "RoleBinding", True)],
    "events.k8s.io/v1": [("events", "Event", True)],
    "monitoring.coreos.com/v1": [("podmonitors", "PodMonitor", True),
                                 ("servicemonitors", "ServiceMonitor", True)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


class DiscoveryServer:
    """Plain HTTP on 127.0.0.1, answering the legacy discovery documents
    (/api, /apis, /api/v1, /apis/<group>/<version>) and /version, 404 for
    anything else. Records every request, so that a test can check that a
    dry run sent nothing but GETs."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self):
                outer.requests.append((self.command, self.path))
                status, body = outer.answer(self.command, self.path.split("?")[0])
                self.reply(status, body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, method, path):
        if method != "GET":
            return 405, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 405,
                         "reason": "MethodNotAllowed", "message": "discovery only"}
        if path == "/version":
            return 200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "platform": "linux/amd64"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            groups = {}
            for gv in RESOURCES:
                if "/" in gv:
                    g, v = gv.split("/")
                    groups.setdefault(g, []).append({"groupVersion": gv, "version": v})
            return 200, {"kind": "APIGroupList", "apiVersion": "v1",
                         "groups": [{"name": g, "versions": vs, "preferredVersion": vs[0]} for g, vs in groups.items()]}
        gv = path[len("/api/"):] if path.startswith("/api/") else path[len("/apis/"):] if path.startswith("/apis/") else None
        if gv in RESOURCES:
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                         "resources": [{"name": r, "singularName": k.lower(), "namespaced": ns, "kind": k, "verbs": VERBS}
                                       for r, k, ns in RESOURCES[gv]]}
        return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                     "reason": "NotFound", "message": f"the server could not find the requested resource ({path})"}

    def kubeconfig(self, directory):
        path = os.path.join(directory, "kubeconfig")
        with open(path, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "fake",
                       "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{self.port}"}}],
                       "users": [{"name": "fake", "user": {"token": "fake"}}],
                       "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}]}, f)
        return path

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def dry_run(yaml_text, directory):
    """`kubectl create --dry-run=client -o json -f -` of a YAML stream against
    the discovery server: kubectl maps every kind to a resource, decodes each
    object and prints what it would create. Returns (objects, requests seen).

    --validate=false: kubectl's client-side schema validation downloads
    /openapi/v2 as protobuf, which this server does not serve; the objects
    are validated against the real 1.32 schema by validate_k8s() instead."""
    with DiscoveryServer() as srv:
        out = run([kubectl(), "--kubeconfig", srv.kubeconfig(directory), "--cache-dir", os.path.join(directory, "cache"),
                   "--request-timeout", "20s", "create", "--dry-run=client", "--validate=false", "-o", "json", "-f", "-"],
                  input=yaml_text)
        requests = list(srv.requests)
    # One JSON document per object, one after the other (or a List).
    items, dec, pos = [], json.JSONDecoder(), 0
    while out[pos:].strip():
        doc, end = dec.raw_decode(out[pos:].lstrip())
        pos = len(out) - len(out[pos:].lstrip()) + end
        items += doc["items"] if doc.get("kind") == "List" else [doc]
    return items, requests


# ---- schema validation -----------------------------------------------------

ROOT_TYPES = {
    ("apps/v1", "DaemonSet"): "io.k8s.api.apps.v1.DaemonSet",
    ("v1", "Namespace"): "io.k8s.api.core.v1.Namespace",
    ("v1", "ServiceAccount"): "io.k8s.api.core.v1.ServiceAccount",
    ("v1", "ConfigMap"): "io.k8s.api.core.v1.ConfigMap",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "io.k8s.api.rbac.v1.ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "io.k8s.api.rbac.v1.ClusterRoleBinding",
}


def load_schema(name):
    with open(os.path.join(SCHEMAS, name)) as f:
        return json.load(f)


def _scalar_ok(kind, v):
    if kind == "string":
        return isinstance(v, str)
    if kind == "numeric":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == "boolean":
        return isinstance(v, bool)
    return not isinstance(v, (dict, list))  # untyped


def validate_named(v, type_name, types, path):
    """Check a value against a named type of the structured-merge-diff
    schema (client-go's, what the API server's field validation uses): every
    field must exist, every value must have its field's type."""
    errors = []

    def check(v, t, path):
        if "namedType" in t:
            t = types[t["namedType"]]
        if v is None:
            return
        if isinstance(v, dict):
            m = t.get("map")
            if m is None:
                errors.append(f"{path}: an object where the schema wants {sorted(k for k in t if k != 'name')}")
                return
            fields = {f["name"]: f["type"] for f in m.get("fields", [])}
            for k, sub in v.items():
                if k in fields:
                    check(sub, fields[k], f"{path}.{k}")
                elif "elementType" in m:
                    check(sub, m["elementType"], f"{path}[{k}]")
                else:
                    errors.append(f'{path}: unknown field "{k}"')
        elif isinstance(v, list):
            lt = t.get("list")
            if lt is None:
                errors.append(f"{path}: a list where the schema wants {sorted(k for k in t if k != 'name')}")
                return
            for i, sub in enumerate(v):
                check(sub, lt["elementType"], f"{path}[{i}]")
        else:
            if "scalar" not in t or not _scalar_ok(t["scalar"], v):
                errors.append(f"{path}: {v!r} is not a {t.get('scalar') or 'scalar field'}")

    check(v, {"namedType": type_name}, path)
    return errors


def validate_k8s(obj, types):
    """Check a built-in object against the schema of its kind; returns the errors."""
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key not in ROOT_TYPES:
        return [f"{key}: no schema (an unexpected kind in deploy/)"]
    return validate_named(obj, ROOT_TYPES[key], types, f"{obj['kind']}/{obj.get('metadata', {}).get('name')}")


def validate_custom(obj, crd, types):
    """Check a custom resource: its metadata as the API server does (ObjectMeta;
    a CRD's schema leaves metadata out), everything else against the CRD's
    schema."""
    path = f"{obj['kind']}/{obj.get('metadata', {}).get('name')}"
    errors = validate_named(obj.get("metadata"), "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", types,
                            path + ".metadata")
    rest = {k: v for k, v in obj.items() if k != "metadata"}
    return errors + validate_openapi(rest, crd["schema"], path)


def validate_openapi(v, s, path="", errors=None):
    """A structural OpenAPI v3 schema (a CRD's), as the API server applies it
    with strict field validation: unknown fields, types, enums, required."""
    if errors is None:
        errors = []
    if v is None:
        return errors
    if s.get("x-kubernetes-int-or-string"):
        if not isinstance(v, (int, str)) or isinstance(v, bool):
            errors.append(f"{path}: {v!r} is neither an integer nor a string")
        return errors
    t = s.get("type")
    if t == "object" or (t is None and "properties" in s):
        if not isinstance(v, dict):
            errors.append(f"{path}: {v!r} is not an object")
            return errors
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                errors.append(f"{path}: required field {k} is missing")
        for k, sub in v.items():
            if k in props:
                validate_openapi(sub, props[k], f"{path}.{k}", errors)
            elif isinstance(s.get("additionalProperties"), dict):
                validate_openapi(sub, s["additionalProperties"], f"{path}[{k}]", errors)
            elif not (s.get("additionalProperties") is True or s.get("x-kubernetes-preserve-unknown-fields")):
                errors.append(f'{path}: unknown field "{k}"')
    elif t == "array":
        if not isinstance(v, list):
            errors.append(f"{path}: {v!r} is not an array")
            return errors
        for i, sub in enumerate(v):
            validate_openapi(sub, s.get("items", {}), f"{path}[{i}]", errors)
    elif t == "string":
        if not isinstance(v, str):
            errors.append(f"{path}: {v!r} is not a string")
        elif "pattern" in s and not re.search(s["pattern"], v):
            errors.append(f"{path}: {v!r} does not match {s['pattern']}")
    elif t == "integer":
        if not isinstance(v, int) or isinstance(v, bool):
            errors.append(f"{path}: {v!r} is not an integer")
    elif t == "number":
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            errors.append(f"{path}: {v!r} is not a number")
    elif t == "boolean":
        if not isinstance(v, bool):
            errors.append(f"{path}: {v!r} is not a boolean")
    if "enum" in s and v not in s["enum"]:
        errors.append(f"{path}: {v!r} is not one of {s['enum']}")
    return errors


# ---- PromQL ------------------------------------------------------------------

PROMQL_WORDS = {
    # functions and aggregations the dashboard may use
    "sum", "count", "avg", "min", "max", "rate", "irate", "increase", "histogram_quantile",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "label_values", "topk", "bottomk", "clamp_min", "abs", "delta", "deriv", "offset",
}


def promql_metrics(expr):
    """Metric names in a PromQL expression (or a Grafana label_values()
    query): what is left once strings, label matchers, ranges, grouping
    clauses, functions and numbers are taken out."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)", r" \1 ", e)
    names = []
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if word in PROMQL_WORDS or rest.startswith("("):
            continue
        names.append(word)
    return names


def metric_base(name):
    """podtrail_x_bucket -> podtrail_x for a histogram; otherwise the name."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and METRICS.get(name[: -len(suffix)]) == "histogram":
            return name[: -len(suffix)]
    return name
