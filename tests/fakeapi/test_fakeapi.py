"""Tests of the fake Kubernetes API server, with a raw HTTPS client and with
the real kubectl. Run: /usr/bin/python3 -m pytest -q tests/fakeapi"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakeapi  # noqa: E402

KUBECTL = "/usr/bin/kubectl"
POD_UID = "4f9d7f2e-1c1b-4bde-9a6e-0d2f3c4b5a69"
CID = "containerd://" + "ab12" * 16


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    fakeapi.make_pki(str(d))
    return d


def _server(pki, tmp_path, **kw):
    d = tmp_path / "api"
    d.mkdir(exist_ok=True)
    for f in ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"):
        shutil.copy(pki / f, d / f)
    return fakeapi.FakeAPIServer(str(d), **kw).start()


@pytest.fixture
def srv(pki, tmp_path):
    s = _server(pki, tmp_path, bookmark_interval=0.3)
    yield s
    s.stop()


class Client:
    def __init__(self, srv, token=None, cert=False):
        self.srv = srv
        self.token = srv.token if token is None else token
        self.ctx = ssl.create_default_context(cafile=srv.ca_file)
        if cert:
            self.ctx.load_cert_chain(os.path.join(srv.dir, "client.crt"), os.path.join(srv.dir, "client.key"))
        self.conn = None

    def connect(self):
        return http.client.HTTPSConnection("127.0.0.1", self.srv.port, context=self.ctx, timeout=10)

    def request(self, method, path, body=None, ctype="application/json", headers=None, fresh=False):
        """Returns (status, headers, parsed JSON or text); keeps one connection alive."""
        if self.conn is None or fresh:
            self.conn = self.connect()
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None:
            body = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h["Content-Type"] = ctype
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        try:
            data = json.loads(data)
        except ValueError:
            data = data.decode()
        return r.status, r.headers, data

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def watch(self, path, timeout=5):
        conn = self.connect()
        conn.request("GET", path, headers={"Authorization": "Bearer " + self.token})
        r = conn.getresponse()
        assert r.status == 200, r.read()
        assert r.headers["Transfer-Encoding"] == "chunked"
        conn.sock.settimeout(timeout)
        return Watch(conn, r)


class Watch:
    """Reads a watch response's chunked body itself, so that a stream that
    breaks off without the last chunk is told apart from a clean end."""

    def __init__(self, conn, resp):
        self.conn, self.fp, self.buf = conn, resp.fp, b""

    def _chunk(self):
        line = self.fp.readline()
        if not line:
            raise ConnectionError("watch stream ended without the last chunk")
        n = int(line.split(b";")[0], 16)
        if n == 0:
            self.fp.readline()
            return None
        data = self.fp.read(n)
        if len(data) < n or self.fp.read(2) != b"\r\n":
            raise ConnectionError("watch stream broke off inside a chunk")
        return data

    def next(self):
        """The next event; None at the clean end of the stream."""
        while b"\n" not in self.buf:
            chunk = self._chunk()
            if chunk is None:
                assert not self.buf, "a partial event before the end"
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def take(self, n):
        return [self.next() for _ in range(n)]

    def close(self):
        self.conn.close()


def pod_body(name, node="node-1", labels=None, ns="default"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "busybox:1.36"}]}}


def core_event(name, ns="default", **over):
    ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
          "involvedObject": {"kind": "Pod", "namespace": ns, "name": "web-0", "uid": POD_UID,
                             "apiVersion": "v1", "fieldPath": "spec.containers{app}"},
          "reason": "OOMKilled", "message": "process 2665 (python3) in container app was OOM-killed",
          "source": {"component": "podtrail", "host": "node-1"},
          "firstTimestamp": "2025-03-01T10:00:00Z", "lastTimestamp": "2025-03-01T10:00:00Z",
          "count": 1, "type": "Warning", "reportingComponent": "podtrail", "reportingInstance": "node-1"}
    ev.update(over)
    return ev


def v1_event(name, ns="default", **over):
    ev = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
          "eventTime": "2025-03-01T10:00:00.123456Z", "reportingController": "podtrail",
          "reportingInstance": "node-1", "action": "Killing", "reason": "OOMKilled",
          "regarding": {"kind": "Pod", "namespace": ns, "name": "web-0", "uid": POD_UID, "apiVersion": "v1"},
          "note": "container app was OOM-killed", "type": "Warning"}
    ev.update(over)
    return ev


CORE = "/api/v1/namespaces/default/events"
V1 = "/apis/events.k8s.io/v1/namespaces/default/events"


def causes(body):
    return [(c["field"], c["message"]) for c in body["details"]["causes"]]


# --------------------------------------------------------------------------
# Authentication, discovery, HTTP

def test_auth_401_like_the_real_server(srv):
    want = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    for token in ("", "wrong"):
        st, _, body = Client(srv, token=token).get("/api/v1/pods")
        assert (st, body) == (401, want)
    st, _, body = Client(srv, token="").request("GET", "/api/v1/pods", headers={"Authorization": "Basic eDp5"})
    assert st == 401
    assert Client(srv, token="", cert=True).get("/api/v1/pods")[0] == 200
    assert Client(srv).get("/api/v1/pods")[0] == 200


def test_rbac_limited_token_gets_403(pki, tmp_path):
    s = _server(pki, tmp_path, tokens={"agent": {"user": "system:serviceaccount:kube-system:podtrail", "rules": [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]}]}})
    try:
        c = Client(s, token="agent")
        assert c.get("/api/v1/pods")[0] == 200
        assert c.post(CORE, core_event("a.1"))[0] == 201
        st, _, body = c.get("/api/v1/namespaces/default/events")
        assert st == 403 and body["reason"] == "Forbidden"
        assert body["message"] == ('events is forbidden: User "system:serviceaccount:kube-system:podtrail" '
                                   'cannot list resource "events" in API group "" in the namespace "default"')
        st, _, body = c.request("PUT", "/api/v1/namespaces/default/pods/x/status", {})
        assert st == 403 and 'cannot update resource "pods/status"' in body["message"]
    finally:
        s.stop()


def test_discovery_legacy_and_aggregated(srv):
    c = Client(srv)
    st, _, v = c.get("/version")
    assert st == 200 and v["major"] == "1" and v["gitVersion"].startswith("v1.32")
    st, _, body = c.get("/api")
    assert body["kind"] == "APIVersions" and body["versions"] == ["v1"]
    st, _, body = c.get("/api/v1")
    names = {r["name"] for r in body["resources"]}
    assert {"pods", "pods/status", "events", "nodes", "namespaces"} <= names
    pods = next(r for r in body["resources"] if r["name"] == "pods")
    assert pods["namespaced"] and pods["kind"] == "Pod" and "watch" in pods["verbs"] and pods["shortNames"] == ["po"]
    st, _, body = c.get("/apis")
    assert body["kind"] == "APIGroupList" and body["groups"][0]["name"] == "events.k8s.io"
    assert c.get("/apis/events.k8s.io")[2]["preferredVersion"]["groupVersion"] == "events.k8s.io/v1"
    st, _, body = c.get("/apis/events.k8s.io/v1")
    assert body["groupVersion"] == "events.k8s.io/v1" and body["resources"][0]["name"] == "events"
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
    st, h, body = c.get("/apis", headers={"Accept": accept})
    assert h["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert body["kind"] == "APIGroupDiscoveryList" and body["apiVersion"] == "apidiscovery.k8s.io/v2"
    ev = body["items"][0]["versions"][0]["resources"][0]
    assert body["items"][0]["metadata"]["name"] == "events.k8s.io" and ev["resource"] == "events"
    assert ev["responseKind"] == {"group": "events.k8s.io", "version": "v1", "kind": "Event"}
    st, _, body = c.get("/api", headers={"Accept": accept})
    res = {r["resource"]: r for r in body["items"][0]["versions"][0]["resources"]}
    assert res["pods"]["subresources"][0]["subresource"] == "status" and res["nodes"]["scope"] == "Cluster"
    st, _, body = c.get("/api/v2")
    assert st == 404 and body["reason"] == "NotFound"
    assert c.get("/apis/apps/v1")[0] == 404
    assert c.get("/api/v1/namespaces/default/widgets")[0] == 404


def test_keep_alive_and_protocol(srv):
    c = Client(srv)
    c.get("/version")
    sock = c.conn.sock
    for _ in range(3):
        assert c.get("/api/v1/namespaces")[0] == 200
    assert c.conn.sock is sock, "HTTP/1.1 keep-alive: one connection for all requests"
    st, _, body = c.get("/api/v1/pods", headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert st == 406 and body["reason"] == "NotAcceptable"
    st, _, body = c.post(CORE, "x: 1", ctype="application/yaml")
    assert st == 415 and body["reason"] == "UnsupportedMediaType"


# --------------------------------------------------------------------------
# Pods

def test_pod_crud_and_field_selectors(srv):
    c = Client(srv)
    st, _, pod = c.post("/api/v1/namespaces/default/pods", pod_body("a", labels={"app": "web"}))
    assert st == 201
    m = pod["metadata"]
    assert len(m["uid"]) == 36 and int(m["resourceVersion"]) > 0 and m["creationTimestamp"].endswith("Z")
    assert pod["status"]["phase"] == "Pending" and pod["spec"]["restartPolicy"] == "Always"
    st, _, body = c.post("/api/v1/namespaces/default/pods", pod_body("a"))
    assert st == 409 and body["reason"] == "AlreadyExists" and body["message"] == 'pods "a" already exists'
    assert body["details"] == {"name": "a", "kind": "pods"}
    c.post("/api/v1/namespaces/default/pods", pod_body("b", node="node-2"))
    srv.add_pod("c", namespace="other", node_name="node-1", uid=POD_UID, containers=[("app", CID)])
    st, _, lst = c.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1")
    assert lst["kind"] == "PodList" and int(lst["metadata"]["resourceVersion"]) == srv.resource_version
    assert sorted(p["metadata"]["name"] for p in lst["items"]) == ["a", "c"]
    assert "kind" not in lst["items"][0], "list items carry no kind/apiVersion, like the real server"
    c_pod = next(p for p in lst["items"] if p["metadata"]["name"] == "c")
    assert c_pod["metadata"]["uid"] == POD_UID and c_pod["status"]["containerStatuses"][0]["containerID"] == CID
    names = lambda q: sorted(p["metadata"]["name"] for p in c.get("/api/v1/pods?" + q)[2]["items"])  # noqa: E731
    assert names("fieldSelector=metadata.name%3Db") == ["b"]
    assert names("fieldSelector=metadata.namespace%3Dother") == ["c"]
    assert names("fieldSelector=spec.nodeName!%3Dnode-1") == ["b"]
    assert names("fieldSelector=spec.nodeName%3Dnode-1,metadata.namespace%3Ddefault") == ["a"]
    assert names("labelSelector=app%3Dweb") == ["a"]
    assert names("labelSelector=app") == ["a"] and names("labelSelector=!app") == ["b", "c"]
    st, _, body = c.get("/api/v1/pods?fieldSelector=spec.bogus%3Dx")
    assert (st, body["reason"], body["message"]) == (400, "BadRequest", "field label not supported: spec.bogus")
    st, _, p = c.get("/api/v1/namespaces/default/pods/a")
    assert st == 200 and p["kind"] == "Pod" and p["apiVersion"] == "v1"
    st, _, body = c.get("/api/v1/namespaces/default/pods/zzz")
    assert st == 404 and body["message"] == 'pods "zzz" not found'
    # status: PUT and merge PATCH change only the status, each with a new resourceVersion
    p["status"] = {"phase": "Running", "podIP": "10.1.2.3"}
    p["spec"]["nodeName"] = "ignored-on-status"
    st, _, p2 = c.request("PUT", "/api/v1/namespaces/default/pods/a/status", p)
    assert st == 200 and p2["status"]["podIP"] == "10.1.2.3" and p2["spec"]["nodeName"] == "node-1"
    assert int(p2["metadata"]["resourceVersion"]) > int(p["metadata"]["resourceVersion"])
    st, _, p3 = c.request("PATCH", "/api/v1/namespaces/default/pods/a/status",
                          {"status": {"phase": "Failed"}}, ctype="application/merge-patch+json")
    assert st == 200 and p3["status"] == {"phase": "Failed", "podIP": "10.1.2.3"}
    # a stale resourceVersion conflicts
    st, _, body = c.request("PUT", "/api/v1/namespaces/default/pods/a/status", p)
    assert st == 409 and body["reason"] == "Conflict" and "the object has been modified" in body["message"]
    st, _, body = c.request("DELETE", "/api/v1/namespaces/default/pods/a")
    assert st == 200 and body["metadata"]["name"] == "a"
    assert c.get("/api/v1/namespaces/default/pods/a")[0] == 404
    st, _, body = c.post("/api/v1/namespaces/nowhere/pods", pod_body("x", ns="nowhere"))
    assert st == 404 and body["message"] == 'namespaces "nowhere" not found'
    st, _, body = c.post("/api/v1/namespaces/default/pods", pod_body("Bad_Name"))
    assert st == 422 and body["details"]["causes"][0]["field"] == "metadata.name"


def test_list_pagination_and_too_large_rv(srv):
    c = Client(srv)
    for i in range(5):
        srv.add_pod(f"p{i}", node_name="node-1")
    st, _, page = c.get("/api/v1/namespaces/default/pods?limit=2")
    assert [p["metadata"]["name"] for p in page["items"]] == ["p0", "p1"]
    assert page["metadata"]["remainingItemCount"] == 3
    rv = page["metadata"]["resourceVersion"]
    srv.add_pod("p9")   # not in the consistent snapshot the token continues
    st, _, page2 = c.get("/api/v1/namespaces/default/pods?limit=10&continue=" + page["metadata"]["continue"])
    assert [p["metadata"]["name"] for p in page2["items"]] == ["p2", "p3", "p4"]
    assert page2["metadata"]["resourceVersion"] == rv and "continue" not in page2["metadata"]
    t0 = time.monotonic()
    st, _, body = c.get(f"/api/v1/pods?resourceVersion={srv.resource_version + 5}")
    assert st == 504 and body["reason"] == "Timeout" and body["message"].startswith("Too large resource version")
    assert time.monotonic() - t0 >= 2.5
    st, _, body = c.get("/api/v1/pods?resourceVersionMatch=Exact")
    assert st == 422 and body["message"] == ('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: '
                                             'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided')


# --------------------------------------------------------------------------
# Watch

def test_watch_streams_events_after_rv_with_selector_transitions(srv):
    c = Client(srv)
    srv.add_pod("before", node_name="node-1")
    rv = c.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1")[2]["metadata"]["resourceVersion"]
    w = c.watch(f"/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dnode-1&resourceVersion={rv}")
    srv.add_pod("elsewhere", node_name="node-2")          # not selected: nothing
    srv.add_pod("mine", node_name="node-1", uid=POD_UID)  # ADDED
    srv.update_pod("default", "mine", lambda p: p["status"].update(phase="Failed"))  # MODIFIED
    srv.update_pod("default", "elsewhere", lambda p: p["spec"].update(nodeName="node-1"))  # enters: ADDED
    srv.update_pod("default", "before", lambda p: p["spec"].update(nodeName="node-3"))  # leaves: DELETED
    srv.delete_pod("default", "mine")                       # DELETED
    evs = w.take(5)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == [
        ("ADDED", "mine"), ("MODIFIED", "mine"), ("ADDED", "elsewhere"), ("DELETED", "before"),
        ("DELETED", "mine")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
    assert rvs == sorted(rvs) and rvs[0] > int(rv) and len(set(rvs)) == 5
    assert evs[0]["object"]["kind"] == "Pod" and evs[1]["object"]["status"]["phase"] == "Failed"
    assert evs[3]["object"]["spec"]["nodeName"] == "node-1", "DELETED carries the last selected state"
    w.close()
    # a watch from the same rv replays the same history
    w = c.watch(f"/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-1&resourceVersion={rv}")
    assert [e["type"] for e in w.take(5)] == ["ADDED", "MODIFIED", "ADDED", "DELETED", "DELETED"]
    w.close()
    assert srv.wait_until(lambda: srv.active_watches == 0, 3), "a closed client ends its watch"


def test_watch_without_rv_sends_initial_state_and_watchlist(srv):
    c = Client(srv)
    srv.add_pod("x", node_name="node-1")
    w = c.watch("/api/v1/namespaces/default/pods?watch=1")
    e = w.next()
    assert (e["type"], e["object"]["metadata"]["name"]) == ("ADDED", "x")
    w.close()
    w = c.watch("/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                "&allowWatchBookmarks=true")
    a, b = w.take(2)
    assert a["type"] == "ADDED" and b["type"] == "BOOKMARK"
    assert b["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    w.close()
    st, _, body = c.get("/api/v1/pods?watch=1&sendInitialEvents=true")
    assert st == 422 and body["details"]["causes"][0]["field"] == "resourceVersionMatch"


def test_watch_bookmarks_and_timeout(srv):
    c = Client(srv)
    rv = srv.resource_version
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=3")
    srv.add_pod("a")
    ev = w.next()
    assert ev["type"] == "ADDED"
    bm = w.next()
    assert bm["type"] == "BOOKMARK"
    assert bm["object"]["kind"] == "Pod" and set(bm["object"]["metadata"]) == {"resourceVersion", "creationTimestamp"}
    assert int(bm["object"]["metadata"]["resourceVersion"]) >= int(ev["object"]["metadata"]["resourceVersion"])
    t0 = time.monotonic()
    while (e := w.next()) is not None:  # more bookmarks, then a clean end at timeoutSeconds
        assert e["type"] == "BOOKMARK"
    assert 0.5 < time.monotonic() - t0 < 4
    # without allowWatchBookmarks: no bookmarks, clean end after timeoutSeconds=1
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={srv.resource_version}&timeoutSeconds=1")
    t0 = time.monotonic()
    assert w.next() is None and 0.9 < time.monotonic() - t0 < 2


def test_watch_after_compaction_gets_410_expired(srv):
    c = Client(srv)
    srv.add_pod("a")
    old = srv.resource_version
    srv.add_pod("b")
    st, _, body = c.post("/_fake/compact", {})
    assert st == 200 and int(body["resourceVersion"]) == srv.resource_version
    new = srv.resource_version
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={old}")
    e = w.next()
    assert e == {"type": "ERROR", "object": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"too old resource version: {old} ({new})", "reason": "Expired", "code": 410}}
    assert w.next() is None
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={new}")  # from the compaction point: fine
    srv.add_pod("c")
    assert w.next()["object"]["metadata"]["name"] == "c"
    w.close()
    st, _, body = c.get(f"/api/v1/pods?resourceVersion={old}&resourceVersionMatch=Exact")
    assert st == 410 and body["reason"] == "Expired"
    assert c.get(f"/api/v1/pods?resourceVersion={old}")[0] == 200, "NotOlderThan an old rv is fine"


def test_dropped_watch_stream(srv):
    c = Client(srv)
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={srv.resource_version}")
    srv.add_pod("a")
    assert w.next()["type"] == "ADDED"
    assert srv.active_watches == 1
    assert c.post("/_fake/drop-watches", {})[0] == 200
    with pytest.raises(ConnectionError):
        w.next()
    assert srv.wait_until(lambda: srv.active_watches == 0, 2)


# --------------------------------------------------------------------------
# Events

def test_event_create_conflict_get_list(srv):
    c = Client(srv)
    st, _, ev = c.post(CORE, core_event("web-0.182c5a7f00000001"))
    assert st == 201 and ev["involvedObject"]["uid"] == POD_UID and ev["count"] == 1
    assert ev["eventTime"] is None and ev["reportingComponent"] == "podtrail"
    st, _, body = c.post(CORE, core_event("web-0.182c5a7f00000001"))
    assert (st, body) == (409, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": 'events "web-0.182c5a7f00000001" already exists',
                                "reason": "AlreadyExists",
                                "details": {"name": "web-0.182c5a7f00000001", "kind": "events"}, "code": 409})
    st, _, body = c.post(V1, v1_event("web-0.182c5a7f00000001"))
    assert st == 409 and body["message"] == 'events.events.k8s.io "web-0.182c5a7f00000001" already exists'
    assert body["details"]["group"] == "events.k8s.io"
    assert c.get(CORE + "/web-0.182c5a7f00000001")[2]["reason"] == "OOMKilled"
    st, _, body = c.get(CORE + "/nope")
    assert st == 404 and body["message"] == 'events "nope" not found'
    st, _, body = c.get(V1 + "/nope")
    assert body["message"] == 'events.events.k8s.io "nope" not found'
    srv.add_namespace("shop")
    c.post("/api/v1/namespaces/shop/events", core_event("n.2", ns="shop", involvedObject={
        "kind": "Pod", "namespace": "shop", "name": "db-0", "uid": "u2"}, type="Normal", reason="Started",
        source={"component": "kubelet"}, reportingComponent="", reportingInstance=""))
    st, _, lst = c.get("/api/v1/events")
    assert lst["kind"] == "EventList" and len(lst["items"]) == 2
    assert len(c.get("/apis/events.k8s.io/v1/events")[2]["items"]) == 2
    sel = lambda q, p="/api/v1/events": [e["metadata"]["name"] for e in c.get(p + "?fieldSelector=" + q)[2]["items"]]  # noqa: E731
    assert sel(f"involvedObject.uid%3D{POD_UID}") == ["web-0.182c5a7f00000001"]
    assert sel("involvedObject.name%3Ddb-0") == ["n.2"]
    assert sel("involvedObject.namespace%3Dshop,involvedObject.kind%3DPod") == ["n.2"]
    assert sel("involvedObject.fieldPath%3Dspec.containers%7Bapp%7D") == ["web-0.182c5a7f00000001"]
    assert sel("reason%3DStarted") == ["n.2"] and sel("type%3DWarning") == ["web-0.182c5a7f00000001"]
    assert sel("source%3Dkubelet") == ["n.2"] and sel("reportingComponent%3Dpodtrail") == ["web-0.182c5a7f00000001"]
    assert sel("metadata.name%3Dn.2") == ["n.2"] and sel("metadata.namespace%3Ddefault") == ["web-0.182c5a7f00000001"]
    ev1 = "/apis/events.k8s.io/v1/events"
    assert sel(f"regarding.uid%3D{POD_UID}", ev1) == ["web-0.182c5a7f00000001"]
    assert sel("reportingController%3Dpodtrail", ev1) == ["web-0.182c5a7f00000001"]
    assert sel("regarding.name%3Ddb-0,type%3DNormal", ev1) == ["n.2"]
    st, _, body = c.get(ev1 + "?fieldSelector=involvedObject.uid%3Dx")
    assert st == 400 and body["message"] == "field label not supported: involvedObject.uid"
    st, _, body = c.get("/api/v1/events?fieldSelector=note%3Dx")
    assert st == 400


def test_event_patch_content_types_put_delete(srv):
    c = Client(srv)
    name = "web-0.182c5a7f00000002"
    _, _, ev = c.post(CORE, core_event(name))
    path = f"{CORE}/{name}"
    st, _, p = c.request("PATCH", path, {"count": 2, "lastTimestamp": "2025-03-01T10:00:05Z"},
                         ctype="application/strategic-merge-patch+json")
    assert st == 200 and p["count"] == 2 and p["lastTimestamp"] == "2025-03-01T10:00:05Z"
    assert int(p["metadata"]["resourceVersion"]) > int(ev["metadata"]["resourceVersion"])
    st, _, p = c.request("PATCH", path, {"count": 3, "message": "again"}, ctype="application/merge-patch+json")
    assert st == 200 and (p["count"], p["message"]) == (3, "again")
    st, _, p = c.request("PATCH", path, [{"op": "test", "path": "/count", "value": 3},
                                         {"op": "replace", "path": "/count", "value": 4}],
                         ctype="application/json-patch+json")
    assert st == 200 and p["count"] == 4
    st, _, body = c.request("PATCH", path, [{"op": "test", "path": "/count", "value": 99}],
                            ctype="application/json-patch+json")
    assert st == 422
    for ctype in ("application/apply-patch+yaml", "application/json", "text/plain"):
        st, _, body = c.request("PATCH", path, {"count": 5}, ctype=ctype)
        assert st == 415 and body["reason"] == "UnsupportedMediaType"
    rv = p["metadata"]["resourceVersion"]
    st, _, same = c.request("PATCH", path, {"count": 4}, ctype="application/merge-patch+json")
    assert same["metadata"]["resourceVersion"] == rv, "a no-op patch does not write"
    st, _, body = c.request("PATCH", f"{CORE}/missing", {"count": 2}, ctype="application/merge-patch+json")
    assert st == 404
    st, _, body = c.request("PATCH", path, {"metadata": {"resourceVersion": "1"}, "count": 9},
                            ctype="application/merge-patch+json")
    assert st == 409 and body["reason"] == "Conflict"
    # PUT: unconditional update, create-on-update for events, name must match the URL
    p.update(count=6)
    del p["metadata"]["resourceVersion"]
    st, _, p = c.request("PUT", path, p)
    assert st == 200 and p["count"] == 6
    st, _, created = c.request("PUT", f"{CORE}/fresh.1", core_event("fresh.1"))
    assert st == 201
    st, _, body = c.request("PUT", f"{CORE}/other", core_event("fresh.1"))
    assert st == 400 and body["message"] == "the name of the object (fresh.1) does not match the name on the URL (other)"
    st, _, body = c.request("DELETE", path)
    assert st == 200 and body["status"] == "Success" and body["details"]["name"] == name
    assert c.get(path)[0] == 404


def test_core_event_validation(srv):
    c = Client(srv)
    st, _, body = c.post(CORE, core_event("a.1", ns="kube-system"))
    assert (st, body["reason"]) == (400, "BadRequest")
    assert body["message"] == "the namespace of the provided object does not match the namespace sent on the request"
    st, _, body = c.post(CORE, core_event("a.2", involvedObject={"kind": "Pod", "namespace": "shop", "name": "x"}))
    assert st == 422 and body["reason"] == "Invalid"
    assert body["message"] == 'Event "a.2" is invalid: involvedObject.namespace: Invalid value: "shop": does not match event.namespace'
    assert body["details"] == {"name": "a.2", "kind": "Event", "causes": [
        {"reason": "FieldValueInvalid", "message": 'Invalid value: "shop": does not match event.namespace',
         "field": "involvedObject.namespace"}]}
    node = {"kind": "Node", "name": "node-1", "uid": "node-uid"}
    assert c.post(CORE, core_event("n.1", involvedObject=node))[0] == 201, "Node events belong in default"
    srv.add_namespace("shop")
    st, _, body = c.post("/api/v1/namespaces/shop/events", core_event("n.2", ns="shop", involvedObject=node))
    assert st == 422
    # without eventTime, core/v1 applies only the legacy rules: long reasons and messages pass
    assert c.post(CORE, core_event("long.1", reason="R" * 300, message="m" * 5000, type="Odd"))[0] == 201
    # with eventTime, the reporting fields and lengths are checked
    st, _, body = c.post(CORE, core_event("t.1", eventTime="2025-03-01T10:00:00.000001Z",
                                          reportingComponent="", reportingInstance="", reason="R" * 129,
                                          message="m" * 1025))
    assert st == 422
    assert causes(body)[:3] == [("reportingController", "Required value"),
                                ("reportingController", "Invalid value: \"\": name part must be non-empty"),
                                ("reportingController", "Invalid value: \"\": name part must consist of alphanumeric "
                                 "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                                 "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")]
    assert causes(body)[3:] == [("reportingInstance", "Required value"), ("action", "Required value"),
                                ("reason", 'Invalid value: "": can have at most 128 characters'),
                                ("message", 'Invalid value: "": can have at most 1024 characters')]
    assert body["message"].startswith('Event "t.1" is invalid: [reportingController: Required value, ')
    # eventTime is a MicroTime: exactly six fractional digits
    st, _, body = c.post(CORE, core_event("t.2", eventTime="2025-03-01T10:00:00Z"))
    assert st == 400 and body["message"] == (
        'Event in version "v1" cannot be handled as a Event: parsing time "2025-03-01T10:00:00Z" as '
        '"2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"')
    st, _, body = c.post(CORE, core_event("t.3", count="1"))
    assert st == 400 and "cannot unmarshal string into Go struct field Event.count of type int32" in body["message"]
    # name: required, and a valid path segment
    ev = core_event("x")
    del ev["metadata"]["name"]
    st, _, body = c.post(CORE, ev)
    assert st == 422 and causes(body) == [("metadata.name", "Required value: name or generateName is required")]
    ev["metadata"]["generateName"] = "web-0."
    st, _, gen = c.post(CORE, ev)
    assert st == 201 and gen["metadata"]["name"].startswith("web-0.") and len(gen["metadata"]["name"]) == 11
    assert c.post(CORE, core_event("Upper_Case.1"))[0] == 201, "core/v1 names need only be path segments"
    st, _, body = c.post(CORE, core_event("a%b"))
    assert st == 422 and causes(body) == [("metadata.name", "Invalid value: \"a%b\": may not contain '%'")]
    st, _, body = c.post(CORE, dict(core_event("rv.1"), metadata={"name": "rv.1", "resourceVersion": "5"}))
    assert st == 400 and body["message"] == "resourceVersion should not be set on objects to be created"


def test_unknown_and_duplicate_fields(srv):
    c = Client(srv)
    st, h, ev = c.post(CORE, dict(core_event("u.1"), note="not a core/v1 field"))
    assert st == 201 and h["Warning"] == '299 - "unknown field \\"note\\""' and "note" not in ev
    st, _, body = c.post(CORE + "?fieldValidation=Strict", dict(core_event("u.2"), note="x",
                                                                  involvedObject={"Name": "x"}))
    assert st == 400 and body["message"] == ('strict decoding error: unknown field "involvedObject.Name", '
                                             'unknown field "note"')
    raw = json.dumps(core_event("u.3"))[:-1] + ', "reason": "Twice"}'
    st, _, body = c.post(CORE + "?fieldValidation=Strict", raw)
    assert st == 400 and body["message"] == 'strict decoding error: duplicate field "reason"'
    st, _, body = c.post(CORE + "?fieldValidation=Ignore", dict(core_event("u.4"), note="x"))
    assert st == 201
    st, _, body = c.post(CORE, "{not json")
    assert st == 400 and body["reason"] == "BadRequest"


def test_events_v1_validation(srv):
    c = Client(srv)
    assert c.post(V1, v1_event("ok.1"))[0] == 201
    st, _, body = c.post(V1, v1_event("bad.1", type="Bogus"))
    assert st == 422 and body["details"]["group"] == "events.k8s.io"
    assert body["message"] == 'Event.events.k8s.io "bad.1" is invalid: type: Invalid value: "": has invalid value: Bogus'
    ev = v1_event("bad.2")
    del ev["eventTime"], ev["reportingController"]
    st, _, body = c.post(V1, ev)
    assert ("reportingController", "Required value") not in causes(body), "without eventTime the legacy rules apply"
    assert ("eventTime", "Required value") in causes(body)
    st, _, body = c.post(V1, v1_event("bad.3", reportingController=""))
    assert st == 422 and ("reportingController", "Required value") in causes(body)
    st, _, body = c.post(V1, v1_event("bad.4", note="n" * 1025, reason="r" * 129, action="a" * 129))
    assert causes(body) == [("action", 'Invalid value: "": can have at most 128 characters'),
                            ("reason", 'Invalid value: "": can have at most 128 characters'),
                            ("message", 'Invalid value: "": can have at most 1024 characters')]
    st, _, body = c.post(V1, v1_event("bad.5", deprecatedCount=2, deprecatedSource={"component": "x"},
                                      deprecatedFirstTimestamp="2025-03-01T10:00:00Z"))
    assert causes(body) == [("firstTimestamp", 'Invalid value: "": needs to be unset'),
                            ("count", 'Invalid value: "": needs to be unset'),
                            ("source", 'Invalid value: "": needs to be unset')]
    st, _, body = c.post(V1, v1_event("Bad_Name"))
    assert st == 422 and causes(body)[0][0] == "metadata.name" and "RFC 1123 subdomain" in causes(body)[0][1]
    st, _, body = c.post(V1, v1_event("bad.6", series={"count": 1, "lastObservedTime": "2025-03-01T10:00:01.000000Z"}))
    assert causes(body) == [("series.count", 'Invalid value: "": should be at least 2')]
    st, _, body = c.post(V1, v1_event("bad.7", regarding={"kind": "Node", "name": "node-1"}, ns="default"))
    assert st == 201, "cluster-scoped regarding: default (or kube-system) namespace"
    # updates: a series may change, the note may not
    st, _, p = c.request("PATCH", V1 + "/ok.1", {"series": {"count": 2, "lastObservedTime": "2025-03-01T10:01:00.000000Z"}},
                         ctype="application/merge-patch+json")
    assert st == 200 and p["series"]["count"] == 2
    st, _, body = c.request("PATCH", V1 + "/ok.1", {"note": "changed"}, ctype="application/merge-patch+json")
    assert st == 422 and causes(body) == [("message", 'Invalid value: "changed": field is immutable')]
    # ... but core/v1 may change it (legacy validation only)
    st, _, p = c.request("PATCH", CORE + "/ok.1", {"message": "changed"}, ctype="application/merge-patch+json")
    assert st == 200 and p["message"] == "changed"


def test_event_conversion_between_apis(srv):
    c = Client(srv)
    _, _, core = c.post(CORE, core_event("conv.1"))
    st, _, ev = c.get(V1 + "/conv.1")
    assert st == 200 and ev["apiVersion"] == "events.k8s.io/v1"
    assert ev["regarding"] == core["involvedObject"] and ev["note"] == core["message"]
    assert ev["reportingController"] == "podtrail" and ev["reportingInstance"] == "node-1"
    assert ev["deprecatedSource"] == {"component": "podtrail", "host": "node-1"}
    assert (ev["deprecatedFirstTimestamp"], ev["deprecatedLastTimestamp"], ev["deprecatedCount"]) == \
        ("2025-03-01T10:00:00Z", "2025-03-01T10:00:00Z", 1)
    assert ev["eventTime"] is None and ev["metadata"] == core["metadata"]
    assert not {"involvedObject", "message", "source", "count", "reportingComponent"} & set(ev)
    st, _, body = c.post(V1, v1_event("conv.2", series={"count": 3, "lastObservedTime": "2025-03-01T10:05:00.5Z"}))
    assert st == 400 and 'cannot parse ".5Z" as ".000000"' in body["message"]
    st, _, v1 = c.post(V1, v1_event("conv.3", series={"count": 3, "lastObservedTime": "2025-03-01T10:05:00.500000Z"},
                                    related={"kind": "Node", "name": "node-1"}))
    assert st == 201
    st, _, ce = c.get(CORE + "/conv.3")
    assert ce["involvedObject"] == v1["regarding"] and ce["message"] == v1["note"]
    assert ce["reportingComponent"] == "podtrail" and ce["action"] == "Killing"
    assert ce["eventTime"] == "2025-03-01T10:00:00.123456Z" and ce["series"] == v1["series"]
    assert ce["source"] == {} and ce["firstTimestamp"] is None and "count" not in ce
    assert ce["related"] == {"kind": "Node", "name": "node-1"}
    # one storage: one resourceVersion sequence, and watches see writes through either API
    w = c.watch(f"/apis/events.k8s.io/v1/namespaces/default/events?watch=1&resourceVersion={srv.resource_version}")
    c.post(CORE, core_event("conv.4"))
    e = w.next()
    assert e["object"]["apiVersion"] == "events.k8s.io/v1" and e["object"]["note"].startswith("process 2665")
    w.close()


# --------------------------------------------------------------------------
# Request log and fault injection

def test_request_log(srv):
    c = Client(srv)
    c.get("/api/v1/pods")
    c.post(CORE + "?fieldManager=x", core_event("log.1"))
    c.request("PATCH", CORE + "/log.1", {"count": 2}, ctype="application/strategic-merge-patch+json")
    c.get("/_fake/state")  # control requests are not logged
    log = srv.requests()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/api/v1/pods", 200), ("POST", CORE, 201), ("PATCH", CORE + "/log.1", 200)]
    assert log[1]["query"] == "fieldManager=x" and log[1]["params"] == {"fieldManager": "x"}
    assert log[2]["contentType"] == "application/strategic-merge-patch+json" and log[2]["body"] == {"count": 2}
    assert log[1]["time"] <= log[2]["time"] and log[1]["user"] == "fakeapi-admin"
    assert [e["method"] for e in srv.writes()] == ["POST", "PATCH"]
    assert len(srv.requests(method="GET")) == 1 and len(srv.requests(path="/log\\.1$")) == 1
    st, _, body = c.get("/_fake/requests?method=POST")
    assert [e["path"] for e in body["items"]] == [CORE]
    c.post("/_fake/reset-log", {})
    assert srv.requests() == []


def test_fault_5xx_429_latency(srv):
    c = Client(srv)
    srv.fail_next(2, status=503, path="/events", method="POST")
    assert c.get("/api/v1/pods")[0] == 200, "a GET does not match the POST rule"
    st, _, body = c.post(CORE, core_event("f.1"))
    assert (st, body["reason"], body["code"]) == (503, "ServiceUnavailable", 503)
    assert c.post(CORE, core_event("f.1"))[0] == 503
    assert c.post(CORE, core_event("f.1"))[0] == 201
    c.post("/_fake/fail", {"count": 1, "status": 500})
    st, _, body = c.get("/api/v1/pods")
    assert st == 500 and body["reason"] == "InternalError"
    srv.throttle_next(1, retry_after=2)
    st, h, body = c.get("/api/v1/pods")
    assert st == 429 and h["Retry-After"] == "2"
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "Too many requests, please try again later.", "reason": "TooManyRequests",
                    "details": {"retryAfterSeconds": 2}, "code": 429}
    assert c.get("/api/v1/pods")[0] == 200
    assert [e["status"] for e in srv.requests()] == [200, 503, 503, 201, 500, 429, 200]
    c.post("/_fake/latency", {"seconds": 0.4, "path": "^/api/v1/pods$"})
    t0 = time.monotonic()
    c.get("/api/v1/pods")
    assert time.monotonic() - t0 >= 0.4
    c.post("/_fake/clear-faults", {})
    t0 = time.monotonic()
    c.get("/api/v1/pods")
    assert time.monotonic() - t0 < 0.3


def test_refuse_connections_then_recover(srv):
    c = Client(srv)
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={srv.resource_version}")
    assert c.post("/_fake/refuse", {"seconds": 1}, fresh=True)[0] == 200
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    with pytest.raises(ConnectionError):
        w.next()  # open streams went with the listener
    time.sleep(1.2)
    assert Client(srv).get("/api/v1/pods")[0] == 200
    srv.refuse_connections(0.5, drop_existing=False)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    assert c.get("/api/v1/pods")[0] == 200, "an established keep-alive connection survives"
    assert srv.wait_until(lambda: not srv.refusing, 3)
    srv.refuse_connections(60)
    assert srv.refusing
    srv.accept_connections()  # ends it early
    assert not srv.refusing and Client(srv).get("/api/v1/pods")[0] == 200


def test_status_without_message_and_watch_matching(srv):
    c = Client(srv)
    srv.status_next(1, status=503, path="^/api/v1/pods$", watch=True)   # only a watch gets it
    srv.status_next(1, status=500, reason="InternalError", path="^/api/v1/pods$", watch=False)
    st, _, body = c.get("/api/v1/pods")
    assert (st, body) == (500, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "reason": "InternalError", "code": 500}), "no message key at all"
    conn = Client(srv).connect()
    conn.request("GET", "/api/v1/pods?watch=1", headers={"Authorization": "Bearer " + srv.token})
    r = conn.getresponse()
    assert r.status == 503 and json.loads(r.read()) == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                                        "status": "Failure", "code": 503}
    assert c.post("/_fake/status", {"status": 502, "method": "POST"})[0] == 200
    st, _, body = c.post(CORE, core_event("s.1"))
    assert st == 502 and "message" not in body and "reason" not in body
    assert c.post(CORE, core_event("s.1"))[0] == 201
    srv.fail_next(1, status=500, watch=False)
    conn = Client(srv).connect()
    conn.request("GET", "/api/v1/pods?watch=true", headers={"Authorization": "Bearer " + srv.token})
    r = conn.getresponse()
    assert r.status == 200, "fail_next(watch=False) leaves a watch alone"
    conn.close()
    assert c.get("/api/v1/pods")[0] == 500


def test_raw_responses_and_rewrites(srv):
    c = Client(srv)
    srv.respond_next(b"upstream connect error or disconnect/reset before headers", status=502,
                     content_type="text/plain", path="^/api/v1/pods$", headers={"X-Injected": "1"})
    st, h, body = c.get("/api/v1/pods")
    assert (st, body, h["Content-Type"], h["X-Injected"]) == (
        502, "upstream connect error or disconnect/reset before headers", "text/plain", "1")
    assert srv.requests()[-1]["status"] == 502 and srv.requests()[-1]["fault"] == "respond"
    assert c.post("/_fake/respond", {"bodyBase64": "AAEC/w==", "status": 200,
                                     "contentType": "application/json"})[0] == 200
    conn = Client(srv).connect()
    conn.request("GET", "/api/v1/nodes", headers={"Authorization": "Bearer " + srv.token})
    r = conn.getresponse()
    assert (r.status, r.read()) == (200, b"\x00\x01\x02\xff")
    srv.respond_next(lambda fake: {"kind": "PodList", "apiVersion": "v1",
                                   "metadata": {"resourceVersion": str(fake.resource_version)}, "items": []})
    st, _, body = c.get("/api/v1/pods")
    assert body["metadata"]["resourceVersion"] == str(srv.resource_version), "the callable runs at request time"

    srv.add_pod("real", node_name="n1")

    def pad(status, headers, data):   # a big list: the real one plus filler pods
        doc = json.loads(data)
        doc["items"] += [{"metadata": {"name": f"filler-{i}", "namespace": "default", "uid": f"u-{i}",
                                       "annotations": {"pad": "x" * 1000}}, "spec": {"nodeName": "n1"}}
                         for i in range(1000)]
        return status, headers, json.dumps(doc).encode()
    srv.rewrite_next(pad, path="^/api/v1/pods$")
    st, h, body = c.get("/api/v1/pods")
    assert st == 200 and len(body["items"]) == 1001 and body["items"][0]["metadata"]["name"] == "real"
    assert int(h["Content-Length"]) > 1000 * 1000
    assert len(c.get("/api/v1/pods")[2]["items"]) == 1, "once only"


def test_stall_mid_response_then_close_or_finish(srv):
    srv.add_pod("a")
    full = Client(srv).get("/api/v1/pods")[2]
    srv.stall_next(0.8, after_bytes=50, path="^/api/v1/pods$")
    conn = Client(srv).connect()
    conn.request("GET", "/api/v1/pods", headers={"Authorization": "Bearer " + srv.token})
    t0 = time.monotonic()
    r = conn.getresponse()
    assert r.status == 200 and int(r.headers["Content-Length"]) > 50, "the headers promise the whole body"
    assert len(r.read(50)) == 50
    with pytest.raises(http.client.IncompleteRead):
        r.read()
    assert 0.7 < time.monotonic() - t0 < 5, "nothing came for the stall, then the connection closed"
    assert srv.requests()[-1]["fault"] == "stall"
    Client(srv).post("/_fake/stall", {"seconds": 0.5, "afterBytes": 10, "then": "finish", "path": "^/api/v1/pods$"})
    t0 = time.monotonic()
    st, _, body = Client(srv).get("/api/v1/pods")
    assert st == 200 and body == full and time.monotonic() - t0 >= 0.5


def test_watch_garbage_stall_and_sent_resource_version(srv):
    c = Client(srv)
    rv = srv.resource_version
    srv.corrupt_watch_next(b'{"type":"ADDED","object":{"metadata"\n<html>oops</html>\n', after_events=2)
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={rv}")
    srv.add_pod("a")
    srv.add_pod("b")
    assert [e["object"]["metadata"]["name"] for e in w.take(2)] == ["a", "b"]
    with pytest.raises(ValueError):
        w.next()   # the garbage
    entry = [e for e in srv.requests() if e["watch"]][-1]
    assert entry["fault"] == "corrupt" and entry["sentEvents"] == 2
    assert entry["sentResourceVersion"] == srv.get("pods", "default", "b")["metadata"]["resourceVersion"]
    w.close()
    # then "close": the stream ends cleanly after the garbage
    srv.corrupt_watch_next("garbage\n", after_events=0, then="close")
    w = c.watch(f"/api/v1/pods?watch=1&resourceVersion={srv.resource_version}")
    assert w._chunk() == b"garbage\n" and w._chunk() is None
    # a watch that stalls after one event: no bookmarks, no events, then the connection goes
    srv.stall_next(1.0, after_events=1, watch=True)
    w = c.watch(f"/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion={srv.resource_version}",
                timeout=5)
    srv.add_pod("c")
    assert w.next()["object"]["metadata"]["name"] == "c"
    t0 = time.monotonic()
    srv.add_pod("d")
    with pytest.raises(ConnectionError):
        w.next()
    assert time.monotonic() - t0 > 0.8


def test_rotate_token_and_client_kubeconfigs(srv, tmp_path):
    old = srv.token
    assert Client(srv).get("/api/v1/pods")[0] == 200
    st, _, body = Client(srv).post("/_fake/rotate-token", {})
    new = body["token"]
    assert st == 200 and new != old and srv.token == new
    assert Client(srv, token=old).get("/api/v1/pods")[0] == 401, "the old token expired"
    assert Client(srv, token=new).get("/api/v1/pods")[0] == 200
    assert (tmp_path / "api" / "token").read_text() == new and f"token: {new}" in open(srv.kubeconfig).read()
    srv.add_pod("x", node_name="n")
    cache = str(tmp_path / "kc")

    def kc(path):
        return subprocess.run([KUBECTL, "--kubeconfig", path, "--cache-dir", cache, "get", "pods", "-o", "name"],
                              capture_output=True, text=True, timeout=30)
    tok = tmp_path / "tok"
    tok.write_text(new + "\n")
    p = kc(srv.client_kubeconfig(str(tmp_path / "k1"), token_file=str(tok)))
    assert p.stdout.strip() == "pod/x", p.stderr
    tok.write_text("wrong")
    p = kc(str(tmp_path / "k1"))
    assert p.returncode != 0 and "Unauthorized" in p.stderr, p.stderr
    other = fakeapi.make_ca(str(tmp_path / "other"))
    p = kc(srv.client_kubeconfig(str(tmp_path / "k2"), token=new, ca_file=other))
    assert p.returncode != 0 and "certificate signed by unknown authority" in p.stderr, p.stderr
    p = kc(srv.client_kubeconfig(str(tmp_path / "k3"), token=new, ca_data=open(other).read()))
    assert p.returncode != 0 and "certificate signed by unknown authority" in p.stderr, p.stderr
    p = kc(srv.client_kubeconfig(str(tmp_path / "k4"), token=new, insecure=True))
    assert p.stdout.strip() == "pod/x", p.stderr
    p = kc(srv.client_kubeconfig(str(tmp_path / "k5"), client_cert=True))
    assert p.stdout.strip() == "pod/x", p.stderr


# --------------------------------------------------------------------------
# The CLI and the real kubectl

def kubectl(srv, *args, context=None, check=True):
    cmd = [KUBECTL, "--kubeconfig", srv.kubeconfig, "--cache-dir", os.path.join(srv.dir, "kcache"), *args]
    if context:
        cmd += ["--context", context]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_cli_prints_ready_and_serves(pki, tmp_path):
    d = tmp_path / "cli"
    d.mkdir()
    for f in ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"):
        shutil.copy(pki / f, d / f)
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "fakeapi.py"), "--dir", str(d), "--port", "0",
                          "--token", "tok-123", "--node", "node-7"], stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline().strip()
        assert line.startswith("READY port="), line
        port = int(line.split("=")[1])
        assert (d / "port").read_text() == str(port) and (d / "token").read_text() == "tok-123"
        kc = (d / "kubeconfig").read_text()
        assert f"server: https://127.0.0.1:{port}" in kc and "token: tok-123" in kc
        assert "certificate-authority-data: " in kc
        assert (d / "serviceaccount" / "token").read_text() == "tok-123"
        out = subprocess.run([KUBECTL, "--kubeconfig", str(d / "kubeconfig"), "--cache-dir", str(d / "kc"),
                              "get", "nodes", "-o", "name"], capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == "node/node-7", out.stderr
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0


def test_kubectl_reads_pods_and_events(srv):
    srv.add_pod("web-0", namespace="shop", node_name="node-1", uid=POD_UID, containers=[("app", CID)])
    srv.add_pod("db-0", namespace="default", node_name="node-2")
    out = kubectl(srv, "get", "pods", "-A").stdout.splitlines()
    assert out[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert sorted(line.split()[:4] for line in out[1:]) == [["default", "db-0", "1/1", "Running"],
                                                          ["shop", "web-0", "1/1", "Running"]]
    c = Client(srv)
    ev = core_event("web-0.182c5a7f0000000a", ns="shop",
                    involvedObject={"kind": "Pod", "namespace": "shop", "name": "web-0", "uid": POD_UID,
                                    "apiVersion": "v1", "fieldPath": "spec.containers{app}"})
    assert c.post("/api/v1/namespaces/shop/events", ev)[0] == 201
    v1 = v1_event("web-0.182c5a7f0000000b", ns="shop", reason="ContainerExited", note="container app exited with code 137",
                  regarding={"kind": "Pod", "namespace": "shop", "name": "web-0", "uid": POD_UID, "apiVersion": "v1"})
    assert c.post("/apis/events.k8s.io/v1/namespaces/shop/events", v1)[0] == 201
    out = kubectl(srv, "get", "events", "-n", "shop", "--field-selector", f"involvedObject.uid={POD_UID}").stdout
    assert "OOMKilled" in out and "ContainerExited" in out and "pod/web-0" in out
    assert "No resources found" in kubectl(srv, "get", "events", "-A", "--field-selector",
                                           "involvedObject.uid=nope").stderr
    desc = kubectl(srv, "describe", "pod", "web-0", "-n", "shop").stdout
    events = desc[desc.index("Events:"):]
    assert "OOMKilled" in events and "process 2665 (python3) in container app was OOM-killed" in events
    assert "ContainerExited" in events and "podtrail" in events
    assert f"containerd://{'ab12' * 16}" in desc and "node-1" in desc
    # kubectl's own writes go through the same validation
    bad = tmp = os.path.join(srv.dir, "bad.json")
    with open(tmp, "w") as f:
        json.dump(v1_event("bad.1", ns="shop", type="Sideways"), f)
    p = kubectl(srv, "create", "-f", bad, check=False)
    assert p.returncode != 0
    assert p.stderr == 'The Event "bad.1" is invalid: type: Invalid value: "": has invalid value: Sideways\n'

    p = kubectl(srv, "get", "pods", "-n", "shop", context="fakeapi-cert")
    assert "web-0" in p.stdout


def test_kubectl_with_legacy_discovery(pki, tmp_path):
    s = _server(pki, tmp_path, aggregated_discovery=False)
    try:
        s.add_pod("x", node_name="n")
        assert "x" in kubectl(s, "get", "pods").stdout
        assert "pods" in kubectl(s, "api-resources").stdout
        paths = {e["path"] for e in s.requests()}
        assert {"/api/v1", "/apis/events.k8s.io/v1"} <= paths, "kubectl fell back to per-group discovery"
    finally:
        s.stop()


def test_other_listen_address_is_in_the_server_certificate(tmp_path):
    """san_ips (and a host other than 127.0.0.1) go into the server certificate's
    names; a later start asking for other names re-issues it under the same CA."""
    d = tmp_path / "api"
    d.mkdir()
    fakeapi.make_pki(str(d))
    ca = (d / "ca.crt").read_text()
    fakeapi.make_pki(str(d), san_ips=["192.0.2.77"])
    text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(d / "server.crt")],
                          capture_output=True, text=True, check=True).stdout
    assert "IP Address:192.0.2.77" in text and "IP Address:127.0.0.1" in text and "DNS:localhost" in text, text
    assert (d / "ca.crt").read_text() == ca
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(d / "ca.crt"), str(d / "server.crt")],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    before = (d / "server.crt").read_text()
    fakeapi.make_pki(str(d), san_ips=["192.0.2.77"])   # same names: kept
    assert (d / "server.crt").read_text() == before
    srv = fakeapi.FakeAPIServer(str(d), san_ips=["192.0.2.78"])
    assert srv.san_ips == ["192.0.2.78"]
