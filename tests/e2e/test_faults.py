"""Issue #5: the agent under a hostile or failing API server, restarts, and
attack surface. The real podtrail (PODTRAIL_BUILD, the sanitized build in
make test) against the strict fake API server with fault injection, real
runc containers, one fresh agent per test.

Every agent of this module is checked when its test ends: the bearer tokens
it could know never appear in its stderr or on its /metrics page, and (when
it logs events, -v 1 and up) every Event it handed to the sink is accounted
for in its totals: written, given up, still pending, merged, spam-filtered or
counted as queue overflow — nothing disappears silently.

Other jobs on the machine may crash processes at any time: their Events
(on the Node, in namespace default) reach our agents too. Assertions are
about our pods (namespace "faults", by uid or name), or are identities that
hold whatever else happens."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import NODE, PODTRAIL, ROOT, Agent, Pod, readyz
from fakeapi import FakeAPIServer, make_ca

NS = "faults"
EVENTS_PATH = f"^/api/v1/namespaces/{NS}/events"
PODS_PATH = "^/api/v1/pods$"
SECRETS = set()  # every bearer token an agent of this module may have seen
UNPRIV = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
          "--bounding-set=-all"]


# --------------------------------------------------------------------------
# Fixtures and helpers

@pytest.fixture(scope="module")
def fapi(tmp_path_factory):
    """A server of this module's own: its faults never reach other modules."""
    srv = FakeAPIServer(str(tmp_path_factory.mktemp("faultapi")), bookmark_interval=2).start()
    srv.add_node(NODE)
    srv.add_namespace(NS)
    SECRETS.add(srv.token)
    yield srv
    srv.stop()


def metrics_text(agent):
    with urllib.request.urlopen(agent.metrics_url(), timeout=5) as r:
        return r.read().decode()


def metric(agent, key):
    return agent.scrape().get(key, 0.0)


def event_lines(agent):
    """(object, type, reason, message) of every "Event occurred" log line."""
    return [m.groups() for m in re.finditer(
        r'Event occurred: object=(\S+) type=(\S+) reason=(\S+) message="(.*)"\n', agent.stderr())]


def sink_bound(lines):
    """The lines whose Event went to the sink: pods' Events, Warnings, and node components'
    stops (Normal on the Node)."""
    return [x for x in lines
            if x[0].startswith("Pod/") or x[1] == "Warning" or x[2] == "NodeComponentExited"]


def check_accounting(agent):
    """Every Event handed to the sink ends up somewhere that is counted."""
    t = agent.totals()
    n = len(sink_bound(event_lines(agent)))
    accounted = (t["events_created"] + t["events_patched"] + t["write_failures"] + t["pending"] +
                 t["queue_overflow"] + t["merged"] + t["spam_filtered"])
    assert accounted == n, (f"{n} Events went to the sink, the totals account for {accounted}: {t}\n"
                            + agent.stderr()[-3000:])


def check_no_secrets(agent, pages):
    for tok in SECRETS:
        assert tok not in agent.stderr(), "a bearer token is in the agent's stderr"
        for p in pages:
            assert tok not in p, "a bearer token is on the /metrics page"


@pytest.fixture
def agents(fapi, tmp_path):
    """start(**Agent kwargs) -> a podtrail of this test. At the end: stopped
    (exit 0 if it was running), no token in its stderr or /metrics, and its
    Events accounted for."""
    started = []

    def start(**kw):
        log = fapi.requests()
        since = log[-1]["seq"] if log else 0
        # Other jobs' crash storms must not overflow the ring buffer and take
        # our exits with them: its sizing is not what this module tests.
        kw["args"] = ["--ringbuf-size", "64M", *kw.get("args", ())]
        a = Agent(fapi, **kw)
        a.since, a.pages, a.verbose = since, [], kw.get("verbose", 1)
        started.append(a)
        return a
    yield start
    fapi.clear_faults()
    if fapi.refusing:  # a test that failed during an outage
        fapi.accept_connections()
    codes = []
    for a in started:  # all of them stopped first, whatever the checks say
        if a.proc.poll() is None:
            try:
                a.pages.append(metrics_text(a))
            finally:
                codes.append((a, a.stop()))
    for i, a in enumerate(started):  # kept with the test's other files, for a post-mortem
        (tmp_path / f"agent-{i}.stderr").write_text(a.stderr())
    for a, rc in codes:
        assert rc == 0, a.stderr()[-5000:]
    for a in started:
        check_no_secrets(a, a.pages)
        if a.verbose >= 1 and "podtrail: totals:" in a.stderr():
            check_accounting(a)


def stop(agent, timeout=60):
    """SIGTERM; returns (exit status, seconds it took)."""
    agent.pages.append(metrics_text(agent))
    t0 = time.monotonic()
    agent.proc.send_signal(signal.SIGTERM)
    rc = agent.proc.wait(timeout)
    took = time.monotonic() - t0
    time.sleep(0.2)  # the stderr reader catches up
    return rc, took


def make_pod(fapi, tmp_path, helpers, name, containers=("app",)):
    p = Pod(fapi, str(tmp_path), str(helpers), name, namespace=NS)
    for c in containers:
        p.new_container(c)
    p.register()
    return p


def is_watch(e):
    return e["watch"] or "watch=1" in e["query"]


def pod_requests(fapi, since=0):
    return fapi.requests(method="GET", path=PODS_PATH, since=since)


def watches(fapi, since=0):
    return [e for e in pod_requests(fapi, since) if is_watch(e)]


def lists(fapi, since=0):
    return [e for e in pod_requests(fapi, since) if not is_watch(e)]


def last_seq(fapi):
    log = fapi.requests()
    return log[-1]["seq"] if log else 0


def wait_caught_up(fapi, since, rv, timeout=10):
    """The agent's watch has sent it everything up to resourceVersion rv."""
    ok = fapi.wait_until(lambda: any(int(e.get("sentResourceVersion") or 0) >= rv
                                     for e in watches(fapi, since)), timeout)
    assert ok, f"the agent's watch never reached resourceVersion {rv}: {watches(fapi, since)}"


def rv_param(e):
    return e["params"].get("resourceVersion")


def my_writes(fapi, pods, since=0):
    """Event writes about these pods: POSTs by involvedObject uid, PATCHes by name."""
    uids = {p.uid for p in pods}
    names = tuple(p.name + "." for p in pods)
    return [w for w in fapi.requests(path=EVENTS_PATH, since=since)
            if (w["method"] == "POST" and isinstance(w["body"], dict) and
                w["body"].get("involvedObject", {}).get("uid") in uids) or
            (w["method"] == "PATCH" and w["path"].split("/")[-1].startswith(names))]


def run_exit(pod, name, code):
    """Container `name` of pod once more, its main process exiting with
    `code`: one bundle (so one container id, the one the pod lists), the
    code read from a file in it."""
    cid = pod.containers[name]
    b = os.path.join(pod.dir, cid)
    if not os.path.exists(b):
        pod._bundle(cid, ["sh", "-c", "read c < /code; exit $c"])
    with open(os.path.join(b, "rootfs", "code"), "w") as f:
        f.write(f"{code}\n")
    return pod.run(name, None)


def exit_codes(pod):
    """Exit codes of the ContainerExited Events stored for pod, one per Event."""
    return sorted(int(re.search(r"exited with code (\d+)", e["message"]).group(1))
                  for e in pod.events("ContainerExited"))


def wait_lines(agent, pred, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [x for x in event_lines(agent) if pred(x)]
        if len(got) >= n:
            return got
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} matching Event lines after {timeout}s:\n" + agent.stderr()[-4000:])


def wait_log(agent, regex, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(regex, agent.stderr())
        if m:
            return m
        time.sleep(0.05)
    raise AssertionError(f"no log line /{regex}/ after {timeout}s:\n" + agent.stderr()[-4000:])


def force_relist(fapi, name):
    """Makes the agent's next watch get 410 Expired, hence a LIST: a change
    it has not seen, a compaction past it, and its watch cut."""
    fapi.add_pod(name, namespace=NS, node_name="elsewhere")
    fapi.compact()
    fapi.drop_watches()


# --------------------------------------------------------------------------
# 1. Hostile API answers

def filler_pods(template, n, size):
    """n pods of this node cloned from template, each about `size` bytes."""
    out = []
    for i in range(n):
        p = json.loads(json.dumps(template))
        p["metadata"].update(name=f"filler-{i}", uid=f"00000000-0000-4000-8000-{i:012d}",
                             annotations={"pad": "x" * size})
        for c in p["status"]["containerStatuses"]:
            c["containerID"] = "containerd://" + f"{i:064x}"
        out.append(p)
    return out


def padded_list(template, n, size, got):
    def pad(status, headers, data):
        doc = json.loads(data)
        doc["items"] += filler_pods(template, n, size)
        body = json.dumps(doc, separators=(",", ":")).encode()
        got.append(len(body))
        return status, headers, body
    return pad


def test_a_50_mb_pod_list_is_read_whole(fapi, agents, helpers, tmp_path):
    pod = make_pod(fapi, tmp_path, helpers, "big-list")
    template = fapi.get("pods", NS, "big-list")
    sizes = []
    fapi.rewrite_next(padded_list(template, 10000, 4800, sizes), path=PODS_PATH)
    a = agents()
    assert sizes and sizes[0] >= 50 * 10**6, sizes
    first = lists(fapi, a.since)[0]
    assert (first["status"], first["fault"]) == (200, "rewrite")
    on_node = sum(1 for p in fapi.api.store.table("pods").values() if p["spec"].get("nodeName") == NODE)
    assert fapi.wait_until(lambda: metric(a, "podtrail_pods_cached") == on_node + 10000, 10), \
        (metric(a, "podtrail_pods_cached"), on_node)
    assert len(lists(fapi, a.since)) == 1, "it read the big list once and went on to watch"
    assert metric(a, 'podtrail_api_requests_total{verb="LIST",code="200"}') == 1
    assert readyz(a) == 200
    assert run_exit(pod, "app", 3) == 3
    ev = pod.wait_event("ContainerExited")
    assert ev["involvedObject"]["fieldPath"] == "spec.containers{app}"


def test_a_pod_list_over_the_body_limit_is_refused_then_retried(fapi, agents, helpers, tmp_path):
    """70 MB: more than the client's 64 MiB bound. Refused with a clear line
    and counted as a failed request, then the next (normal) list works."""
    pod = make_pod(fapi, tmp_path, helpers, "huge-list")
    template = fapi.get("pods", NS, "huge-list")
    sizes = []
    fapi.rewrite_next(padded_list(template, 14000, 4800, sizes), path=PODS_PATH)
    a = agents()
    assert sizes[0] > 64 * 2**20
    wait_log(a, r"podtrail: listing pods: https://127\.0\.0\.1:\d+/api/v1/pods\?fieldSelector=spec\.nodeName"
                r"%3De2e-node: response body larger than 67108864 bytes")
    ls = lists(fapi, a.since)
    assert len(ls) == 2 and ls[0]["fault"] == "rewrite" and ls[1]["fault"] is None
    assert fapi.wait_until(lambda: readyz(a) == 200, 10)
    m = a.scrape()
    assert m["podtrail_pods_cached"] < 10000, "nothing of the refused list was kept"
    assert m.get('podtrail_api_requests_total{verb="LIST",code="0"}', 0) == 1, \
        ("the refused list must be counted as a failed request (code 0: transport error), not as a "
         "successful one: " + json.dumps({k: v for k, v in m.items() if "api_requests" in k}))
    assert run_exit(pod, "app", 3) == 3
    pod.wait_event("ContainerExited")


def test_a_watch_that_sends_garbage(fapi, agents, helpers, tmp_path):
    a = agents()
    before = a.scrape()
    # 1. A good event, then garbage, on a stream that otherwise goes on.
    fapi.corrupt_watch_next(b'{"type":"ADDED","object":{"kind":"Pod"<html><body>502 Bad Gateway</body></html>\n',
                            after_events=1)
    seq = last_seq(fapi)
    fapi.drop_watches()
    pod = make_pod(fapi, tmp_path, helpers, "after-garbage")  # the first event of the next watch
    pod_rv = fapi.get("pods", NS, "after-garbage")["metadata"]["resourceVersion"]
    wait_log(a, r"podtrail: watching pods: bad stream: watch stream: byte \d+: ")
    wait_log(a, r"podtrail: watching pods: https://127\.0\.0\.1:\d+/api/v1/pods\?\S*watch=1\S*: "
                r"transfer stopped by the caller's data callback")
    assert fapi.wait_until(lambda: len(watches(fapi, seq)) >= 2, 15), watches(fapi, seq)
    bad, resumed = watches(fapi, seq)[:2]
    assert bad["fault"] == "corrupt" and bad["sentResourceVersion"] == pod_rv
    assert rv_param(resumed) == pod_rv, "it resumes after the last good event, not before, not a re-list"
    assert not lists(fapi, seq)
    # 2. Garbage as the very first bytes of a watch.
    fapi.corrupt_watch_next(b"\x00\xff\xfe garbage \x7f\n", after_events=0)
    seq2 = last_seq(fapi)
    fapi.drop_watches()
    assert fapi.wait_until(lambda: len(watches(fapi, seq2)) >= 2, 15), watches(fapi, seq2)
    bad2, resumed2 = watches(fapi, seq2)[:2]
    assert bad2["fault"] == "corrupt" and rv_param(resumed2) == rv_param(bad2)
    # Recovery: the pod it learnt of just before the garbage is known by name.
    assert run_exit(pod, "app", 4) == 4
    ev = pod.wait_event("ContainerExited")
    assert ev["involvedObject"]["name"] == "after-garbage"
    m = a.scrape()
    assert m["podtrail_watch_restarts_total"] - before["podtrail_watch_restarts_total"] >= 4
    assert readyz(a) == 200
    assert a.proc.poll() is None


def test_a_status_without_message(fapi, agents, helpers, tmp_path):
    pod = make_pod(fapi, tmp_path, helpers, "no-message")
    a = agents()
    # An Event write: 503 twice, a Status with neither message nor reason; retried.
    fapi.status_next(2, status=503, path=EVENTS_PATH, method="POST")
    assert run_exit(pod, "app", 5) == 5
    ev = pod.wait_event("ContainerExited", timeout=20)
    assert "exited with code 5" in ev["message"]
    lines = re.findall(r"podtrail: event faults/no-message\.[0-9a-f]+ \(ContainerExited\): POST "
                       r"https://127\.0\.0\.1:\d+/api/v1/namespaces/faults/events: HTTP 503: "
                       r"\(no Status message\); will retry\n", a.stderr())
    assert len(lines) == 2, a.stderr()[-3000:]
    assert metric(a, 'podtrail_api_requests_total{verb="POST",code="503"}') == 2
    # The watch: a bare Status 500, then a proxy's HTML 502; then it works again.
    seq = last_seq(fapi)
    fapi.status_next(1, status=500, path=PODS_PATH, watch=True)
    fapi.respond_next(b"<html><body><h1>502 Bad Gateway</h1></body></html>\n", status=502,
                      content_type="text/html", path=PODS_PATH, watch=True)
    fapi.drop_watches()
    wait_log(a, r"podtrail: watching pods: https://\S+watch=1\S*: HTTP 500: \(no Status message\)\n")
    wait_log(a, r"podtrail: watching pods: https://\S+watch=1\S*: HTTP 502: \(no Status message\)\n")
    assert fapi.wait_until(lambda: [e for e in watches(fapi, seq) if e["status"] == 200], 15)
    # A LIST: a bare Status 500 as well.
    fapi.status_next(1, status=500, path=PODS_PATH, watch=False)
    force_relist(fapi, "no-message-other")
    wait_log(a, r"podtrail: listing pods: https://\S+: HTTP 500: \(no Status message\)\n")
    assert fapi.wait_until(lambda: [e for e in lists(fapi, seq) if e["status"] == 200], 15)
    m = a.scrape()
    assert m['podtrail_api_requests_total{verb="WATCH",code="500"}'] == 1
    assert m['podtrail_api_requests_total{verb="WATCH",code="502"}'] == 1
    assert m['podtrail_api_requests_total{verb="LIST",code="500"}'] == 1
    assert fapi.wait_until(lambda: readyz(a) == 200, 10)


def test_a_list_that_stalls_mid_response(fapi, agents, helpers, tmp_path):
    """A LIST that sends its headers and 200 bytes, then nothing: dropped
    after 15 s of silence and tried again. Meanwhile Events flow, and an
    Event write that stalls the same way is given up after its 10 s timeout
    and retried."""
    pod = make_pod(fapi, tmp_path, helpers, "stalled-list")
    other = make_pod(fapi, tmp_path, helpers, "stalled-write")
    a = agents()
    seq = last_seq(fapi)
    fapi.stall_next(25, after_bytes=200, path=PODS_PATH, watch=False)
    force_relist(fapi, "stalled-list-other")
    assert fapi.wait_until(lambda: [e for e in lists(fapi, seq) if e["fault"] == "stall"], 10)
    t0 = time.monotonic()
    # The stalled list does not hold up the Events.
    assert run_exit(pod, "app", 6) == 6
    pod.wait_event("ContainerExited", timeout=5)
    assert time.monotonic() - t0 < 5
    fapi.stall_next(20, after_bytes=10, path=EVENTS_PATH, method="POST")
    assert run_exit(other, "app", 16) == 16
    other.wait_event("ContainerExited", timeout=20)
    wait_log(a, r"podtrail: event faults/stalled-write\.[0-9a-f]+ \(ContainerExited\): POST https://127\.0\.0\.1:"
                r"\d+/api/v1/namespaces/faults/events: [^\n]*timed out[^\n]*; will retry\n")
    wait_log(a, r"podtrail: listing pods: https://127\.0\.0\.1:\d+/api/v1/pods\?\S+: "
                r"no data received for 15 s\n", timeout=25)
    assert fapi.wait_until(lambda: [e for e in lists(fapi, seq) if e["fault"] is None and e["status"] == 200], 10)
    assert fapi.wait_until(lambda: [e for e in watches(fapi, seq) if e["status"] == 200 and
                                    e["seq"] > lists(fapi, seq)[-1]["seq"]], 10)
    assert fapi.wait_until(lambda: readyz(a) == 200, 10)
    m = a.scrape()
    assert m["podtrail_event_write_retries_total"] >= 1
    problems = []
    if m.get('podtrail_api_requests_total{verb="LIST",code="0"}', 0) != 1:
        problems.append("the stalled LIST must be counted as a failed request (code 0: transport error), "
                        "not as a successful one: " +
                        json.dumps({k: v for k, v in m.items() if "api_requests" in k}))
    if m["podtrail_event_write_failures_total"] != 0:
        problems.append("the server created the Event whose response stalled; the retry's 409 AlreadyExists "
                        "means it is written (client-go treats it so), not a write failure: " +
                        "".join(x for x in a.lines if "stalled-write" in x and "Event occurred" not in x))
    assert not problems, "\n".join(problems)


def test_a_tls_with_the_wrong_ca(fapi, agents, tmp_path):
    """The CA is read at start: with the wrong one the agent cannot recover
    by itself; it must say why, stay unready and alive, and keep retrying
    with back-off (not in a busy loop) until it is restarted with the right one."""
    kc = fapi.client_kubeconfig(str(tmp_path / "kubeconfig"), token=fapi.token,
                                ca_file=make_ca(str(tmp_path / "other-ca")))
    seq = last_seq(fapi)
    a = agents(kubeconfig=kc, wait_watch=False)
    wait_log(a, r"podtrail: listing pods: https://127\.0\.0\.1:\d+/api/v1/pods\?\S+: "
                r"[^\n]*(certificate|SSL|issuer)[^\n]*\n", timeout=10)
    assert readyz(a) == 503
    t0 = time.monotonic()
    n1 = metric(a, 'podtrail_api_requests_total{verb="LIST",code="0"}')
    time.sleep(6)
    n2 = metric(a, 'podtrail_api_requests_total{verb="LIST",code="0"}')
    assert n1 >= 1 and n2 > n1, (n1, n2)
    assert n2 <= 12, f"{n2} tries in {time.monotonic() - t0:.0f}s: no back-off"
    assert readyz(a) == 503 and a.proc.poll() is None
    assert fapi.requests(since=seq) == [], "no request got past the TLS handshake"


def test_a_expired_token(fapi, agents, helpers, tmp_path):
    """tokenFile: the server stops taking the token (it expired), the file
    gets the new one a little later, as the kubelet rotates it."""
    tok = tmp_path / "token"
    tok.write_text(fapi.token + "\n")
    kc = fapi.client_kubeconfig(str(tmp_path / "kubeconfig"), token_file=str(tok))
    pod = make_pod(fapi, tmp_path, helpers, "expired-token")
    a = agents(kubeconfig=kc)
    old = fapi.token
    new = fapi.rotate_token()  # also rewrites the module's kubeconfig for later tests
    SECRETS.add(new)
    seq = last_seq(fapi)
    fapi.drop_watches()
    wait_log(a, r"podtrail: watching pods: https://127\.0\.0\.1:\d+/api/v1/pods\?\S+: HTTP 401: Unauthorized\n")
    assert run_exit(pod, "app", 7) == 7
    wait_log(a, r"podtrail: event faults/expired-token\.[0-9a-f]+ \(ContainerExited\): POST "
                r"https://127\.0\.0\.1:\d+/api/v1/namespaces/faults/events: HTTP 401: Unauthorized")
    assert metric(a, 'podtrail_api_requests_total{verb="WATCH",code="401"}') >= 1
    assert metric(a, 'podtrail_api_requests_total{verb="POST",code="401"}') >= 1
    assert old not in a.stderr()
    time.sleep(1)
    assert fapi.wait_until(lambda: readyz(a) == 503, 10), "ready while every request gets 401"
    rotated = time.time()
    tok.write_text(new + "\n")
    assert fapi.wait_until(lambda: [e for e in watches(fapi, seq) if e["status"] == 200 and
                                    e["time"] >= rotated], 30), "no watch with the new token"
    assert fapi.wait_until(lambda: readyz(a) == 200, 10)
    # The Event of the exit during the 401s fitted the queue: it must arrive.
    got = fapi.wait_until(lambda: pod.events("ContainerExited"), 20)
    assert got, ("the Event recorded while the token was expired was dropped, not delivered after the "
                 "token was renewed:\n" + "".join(l for l in a.lines if "expired-token" in l))


# --------------------------------------------------------------------------
# 2. API server outages

def test_b_outage_of_60s_during_a_stream_of_events(fapi, agents, helpers, tmp_path):
    pods = [make_pod(fapi, tmp_path, helpers, f"outage-{i}") for i in range(10)]
    a = agents()
    wait_caught_up(fapi, a.since, fapi.resource_version)
    before = a.scrape()
    seq = last_seq(fapi)
    fapi.refuse_connections(60)
    t_out = time.monotonic()
    time.sleep(0.5)
    last_rv = watches(fapi, a.since)[-1]["sentResourceVersion"]  # final: the stream is cut
    for code in (11, 12, 13):
        for p in pods:
            assert run_exit(p, "app", code) == code
    assert time.monotonic() - t_out < 45, "the exits must happen during the outage"
    assert fapi.wait_until(lambda: readyz(a) == 503, 10)
    assert all(not p.events() for p in pods)
    while fapi.refusing:
        time.sleep(0.1)
    back = time.monotonic()
    assert back - t_out >= 59
    delivered = fapi.wait_until(lambda: all(exit_codes(p) == [11, 12, 13] for p in pods), 35)
    took = time.monotonic() - back
    assert delivered, {p.name: exit_codes(p) for p in pods}
    assert took < 35
    writes = my_writes(fapi, pods, seq)
    assert [w["status"] for w in writes] == [201] * 30, "one POST per Event, nothing twice"
    # The watch resumes from the last resourceVersion it was sent.
    assert fapi.wait_until(lambda: watches(fapi, seq), 50), "the watch never came back"
    first = pod_requests(fapi, seq)[0]
    assert is_watch(first) and rv_param(first) == last_rv, (first, last_rv)
    assert fapi.wait_until(lambda: readyz(a) == 200, 10)
    m = a.scrape()
    assert m["podtrail_events_queue_overflow_total"] == before["podtrail_events_queue_overflow_total"] == 0
    assert m["podtrail_event_write_failures_total"] == 0
    assert m["podtrail_event_write_retries_total"] >= 30
    assert not lists(fapi, seq), "no re-list: nothing was compacted"


def test_b_outage_with_a_small_queue_counts_the_overflow(fapi, agents, helpers, tmp_path):
    """12 Events of ours during an outage, room for 5: 5 are delivered
    afterwards, 7 are counted as overflow (more if other jobs' crashes took
    room in the queue; the accounting identity checked at the end holds
    either way)."""
    pods = [make_pod(fapi, tmp_path, helpers, f"overflow-{i}") for i in range(3)]
    a = agents(args=["--queue-size", "5"])
    wait_caught_up(fapi, a.since, fapi.resource_version)
    fapi.refuse_connections(10)
    for code in (21, 22, 23, 24):
        for p in pods:
            assert run_exit(p, "app", code) == code
    wait_lines(a, lambda x: x[0].startswith("Pod/faults/overflow-"), 12)
    m = a.scrape()
    assert fapi.refusing, "the test must finish its exits during the outage"
    assert m["podtrail_events_queued"] == 5
    assert m["podtrail_events_queue_overflow_total"] >= 7
    wait_log(a, r"podtrail: event queue full \(5\): dropped \w+ for \S+ \(1 dropped so far\)\n")
    while fapi.refusing:
        time.sleep(0.1)
    assert fapi.wait_until(lambda: metric(a, "podtrail_events_queued") == 0, 40), \
        "the queued Events were not written after the outage"
    time.sleep(0.5)
    overflow = metric(a, "podtrail_events_queue_overflow_total")
    delivered = sum(len(exit_codes(p)) for p in pods)
    foreign = [x for x in sink_bound(event_lines(a)) if not x[0].startswith("Pod/faults/overflow-")]
    assert delivered <= 5 and delivered + overflow >= 12, (delivered, overflow)
    if not foreign:  # only our Events: exactly
        assert (delivered, overflow) == (5, 7)
    assert metric(a, "podtrail_event_write_failures_total") == 0
    rc, _ = stop(a)
    assert rc == 0
    assert a.totals()["queue_overflow"] == overflow


def test_b_compaction_during_an_outage_makes_it_relist(fapi, agents, helpers, tmp_path):
    a = agents()
    wait_caught_up(fapi, a.since, fapi.resource_version)
    seq = last_seq(fapi)
    fapi.refuse_connections(4)
    time.sleep(0.5)
    last_rv = watches(fapi, a.since)[-1]["sentResourceVersion"]  # final: the stream is cut
    pod = make_pod(fapi, tmp_path, helpers, "born-in-outage")   # a change the agent did not see
    compacted = fapi.compact()
    while fapi.refusing:
        time.sleep(0.1)
    assert fapi.wait_until(lambda: lists(fapi, seq), 40), pod_requests(fapi, seq)
    reqs = pod_requests(fapi, seq)
    assert is_watch(reqs[0]) and rv_param(reqs[0]) == last_rv and reqs[0]["status"] == 200, reqs[0]
    assert int(last_rv) < compacted
    i = next(i for i, e in enumerate(reqs) if not is_watch(e))
    assert all(is_watch(e) and rv_param(e) == last_rv for e in reqs[:i]), "only 410s before the list"
    assert fapi.wait_until(lambda: [e for e in watches(fapi, reqs[i]["seq"])
                                    if int(rv_param(e)) >= compacted and e["status"] == 200], 10)
    assert metric(a, "podtrail_pod_relists_total") == 1
    assert run_exit(pod, "app", 8) == 8
    ev = pod.wait_event("ContainerExited")
    assert ev["involvedObject"]["fieldPath"] == "spec.containers{app}", "known from the re-list"


def test_b_a_working_watch_resets_the_back_off(fapi, agents):
    """Watches that get cut one after the other (a load balancer's idle
    timeout, API servers restarting in turn), each working in between: every
    reconnect is prompt, as the first one is. The back-off is for failures in
    a row, not for a lifetime's worth of them."""
    a = agents()
    took = []
    for i in range(6):
        fapi.add_pod(f"blip-{i}", namespace=NS, node_name=NODE)
        wait_caught_up(fapi, a.since, fapi.resource_version)  # the watch works: it streamed the pod
        t0 = time.monotonic()
        cut = last_seq(fapi)
        fapi.drop_watches()
        assert fapi.wait_until(lambda: [e for e in watches(fapi, cut) if e["status"] == 200], 60)
        took.append(round(time.monotonic() - t0, 1))
    assert max(took) < 3, f"seconds to watch again after each cut of a working watch: {took}"


# --------------------------------------------------------------------------
# 3. Restarts

def run_all(pods, code):
    threads = [threading.Thread(target=run_exit, args=(p, "app", code)) for p in pods]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_c_sigterm_flushes_queued_events(fapi, agents, helpers, tmp_path):
    with open(os.path.join(ROOT, "deploy", "agent", "daemonset.yaml")) as f:
        grace_s = int(re.search(r"terminationGracePeriodSeconds: (\d+)", f.read()).group(1))
    help_text = subprocess.run([PODTRAIL, "--help"], capture_output=True, text=True).stdout
    default_ms = int(re.search(r"--shutdown-grace MS .*\(default: (\d+)\)", help_text).group(1))
    assert default_ms <= grace_s * 1000 / 2, (default_ms, grace_s)
    pods = [make_pod(fapi, tmp_path, helpers, f"flush-{i}") for i in range(10)]
    a = agents()
    # 1 s per write; over HTTP/1.1 (the fake's) the agent has 3 connections
    # for writes (4 at most, one is the watch's): 10 writes take about 4 s.
    fapi.set_latency(1, path=EVENTS_PATH, method="POST")
    try:
        run_all(pods, 9)
        wait_lines(a, lambda x: x[0].startswith("Pod/faults/flush-"), 10)
        stored = sum(len(p.events()) for p in pods)
        rc, took = stop(a)
    finally:
        fapi.set_latency(0, path=EVENTS_PATH, method="POST")
    assert stored < 10, "the test must stop the agent while writes are still queued"
    assert rc == 0
    assert took < default_ms / 1000 + 2, took
    assert all(exit_codes(p) == [9] for p in pods), (
        {p.name: exit_codes(p) for p in pods}, f"took {took:.2f}s",
        [(w["method"], w["status"], w["path"], round(w["time"] - fapi.requests()[0]["time"], 2))
         for w in my_writes(fapi, pods)], a.stderr()[-4000:])
    assert "Events not written" not in a.stderr()
    assert a.totals()["pending"] == 0


def test_c_short_grace_then_restart_does_not_re_emit(fapi, agents, helpers, tmp_path):
    pods = [make_pod(fapi, tmp_path, helpers, f"grace-{i}") for i in range(10)]
    a = agents(args=["--shutdown-grace", "500"])
    fapi.set_latency(3, path=EVENTS_PATH, method="POST")
    try:
        run_all(pods, 10)
        wait_lines(a, lambda x: x[0].startswith("Pod/faults/grace-"), 10)
        rc, took = stop(a)
        assert rc == 0
        assert took < 2.0, f"took {took:.1f}s to exit with --shutdown-grace 500"
        m = wait_log(a, r"podtrail: shutting down with (\d+) Events not written\n")
        t = a.totals()
        assert int(m.group(1)) == t["pending"] >= 1
        time.sleep(3.5)  # the server finishes what it had started
    finally:
        fapi.set_latency(0, path=EVENTS_PATH, method="POST")
    stored = {p.name: exit_codes(p) for p in pods}
    restarted = time.time()
    seq = last_seq(fapi)
    b = agents()
    time.sleep(5)
    assert my_writes(fapi, pods, seq) == [], "the new agent wrote Events about the old exits"
    assert [x for x in event_lines(b) if x[0].startswith("Pod/faults/grace-")] == []
    assert {p.name: exit_codes(p) for p in pods} == stored
    assert all(w["time"] < restarted for w in my_writes(fapi, pods))


# --------------------------------------------------------------------------
# 4. Security

def test_d_insecure_skip_tls_verify_needs_the_flag(fapi, agents, tmp_path):
    kc = fapi.client_kubeconfig(str(tmp_path / "kubeconfig"), token=fapi.token, insecure=True)
    p = subprocess.run([PODTRAIL, "--kubeconfig", kc, "--node-name", NODE, "--metrics-address", "off"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert re.search(r"podtrail: .*insecure-skip-tls-verify is set; refusing to talk to https://127\.0\.0\.1:\d+ "
                     r"without verifying its certificate", p.stderr), p.stderr
    for tok in SECRETS:
        assert tok not in p.stderr
    a = agents(kubeconfig=kc, args=["--insecure-skip-tls-verify-of-the-api-server"])
    assert fapi.wait_until(lambda: readyz(a) == 200, 10)
    # The flag only honours the kubeconfig's setting: by itself it verifies.
    wrong = fapi.client_kubeconfig(str(tmp_path / "wrong-ca"), token=fapi.token,
                                   ca_file=make_ca(str(tmp_path / "other-ca")))
    b = agents(kubeconfig=wrong, args=["--insecure-skip-tls-verify-of-the-api-server"], wait_watch=False)
    wait_log(b, r"podtrail: listing pods: https://\S+: [^\n]*(certificate|SSL|issuer)[^\n]*\n", timeout=10)
    assert readyz(b) == 503


def bpf_ids(pid):
    """The BPF maps and programs the process holds, from /proc/PID/fdinfo."""
    maps, progs = set(), set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = f.read()
        except OSError:
            continue
        m = re.search(r"^(map|prog)_id:\s+(\d+)", info, re.M)
        if link.startswith("anon_inode:bpf") and m:
            (maps if m.group(1) == "map" else progs).add(int(m.group(2)))
    return maps, progs


def test_d_bpf_objects_are_not_pinned_nor_readable_unprivileged(fapi, agents):
    a = agents(verbose=2)  # libbpf's debug log too: still no token (checked at the end)
    pid = a.proc.pid
    maps, progs = bpf_ids(pid)
    assert maps and progs, "the agent holds no BPF objects?"
    shown = json.loads(subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True, text=True,
                                      check=True).stdout)
    names = {m["id"]: m.get("name") for m in shown}
    assert "events" in {names.get(i) for i in maps}, "the ring buffer map is called events"
    events_id = next(i for i in maps if names.get(i) == "events")
    # Nothing pinned: no bpffs holds any of its maps or programs.
    with open("/proc/mounts") as f:
        bpffs = [line.split()[1] for line in f if line.split()[2] == "bpf"]
    for mnt in bpffs:
        for root, _, files in os.walk(mnt):
            for fn in files:
                path = os.path.join(root, fn)
                assert "podtrail" not in path, path
                for kind in ("map", "prog"):
                    r = subprocess.run(["bpftool", "-j", kind, "show", "pinned", path],
                                       capture_output=True, text=True)
                    if r.returncode == 0:
                        obj = json.loads(r.stdout)
                        assert obj.get("id") not in (maps if kind == "map" else progs), path
    # Root can see it; nobody without capabilities can.
    assert subprocess.run(["bpftool", "map", "show", "id", str(events_id)], capture_output=True).returncode == 0
    for cmd in (["bpftool", "map", "show"], ["bpftool", "map", "dump", "name", "events"],
                ["bpftool", "map", "show", "id", str(events_id)], ["bpftool", "prog", "show"]):
        r = subprocess.run(UNPRIV + cmd, capture_output=True, text=True)
        assert r.returncode != 0, (cmd, r.stdout)
        assert "Operation not permitted" in r.stderr or "permission" in r.stderr.lower(), (cmd, r.stderr)
    r = subprocess.run(UNPRIV + ["ls", f"/proc/{pid}/fd"], capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr, (r.stdout, r.stderr)
    r = subprocess.run(UNPRIV + ["cat", f"/proc/{pid}/fdinfo/0", f"/proc/{pid}/environ"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and r.stdout == "", r.stdout
    assert subprocess.run(UNPRIV + ["id", "-u"], capture_output=True, text=True).stdout.strip() == "65534"


# --------------------------------------------------------------------------
# 5. One noisy pod

def test_e_noisy_pod_does_not_starve_the_others(fapi, agents, helpers, tmp_path):
    noisy = make_pod(fapi, tmp_path, helpers, "noisy", containers=[f"loop{i}" for i in range(4)])
    quiet = make_pod(fapi, tmp_path, helpers, "quiet")
    a = agents()
    seq = last_seq(fapi)
    done = [0]
    lock = threading.Lock()

    def loop(name):
        for _ in range(50):
            assert noisy.run(name, ["sh", "-c", "exit 1"]) == 1
            with lock:
                done[0] += 1
    threads = [threading.Thread(target=loop, args=(f"loop{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    while done[0] < 100:
        time.sleep(0.01)
    assert run_exit(quiet, "app", 42) == 42
    quiet_exit = time.time()
    ev = quiet.wait_event("ContainerExited", timeout=10)
    written = time.time()
    still_noisy = done[0] < 200
    for t in threads:
        t.join()
    assert "exited with code 42" in ev["message"] and not ev["message"].startswith("(combined")
    assert written - quiet_exit < 5, f"the quiet pod's Event took {written - quiet_exit:.1f}s"
    assert still_noisy, "the quiet pod's Event must land while the noisy one is still crashing"
    # All 200 were seen, unless the ring buffer overflowed (counted: other jobs' storms).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen = len([x for x in event_lines(a) if x[0].startswith("Pod/faults/noisy/")])
        lost = metric(a, "podtrail_ringbuf_lost_total")
        if seen + lost >= 200:
            break
        time.sleep(0.1)
    assert seen + lost >= 200 and seen >= 150, (seen, lost)
    time.sleep(2)  # the last writes land
    noisy_writes = my_writes(fapi, [noisy], seq)
    assert 10 <= len(noisy_writes) <= 25, (f"{len(noisy_writes)} writes for the noisy pod: " + json.dumps(
        [(w["method"], w["status"], w["path"].split("/")[-1], (w["body"] or {}).get("count"),
          (w["body"] or {}).get("message", "")[:60]) for w in noisy_writes], indent=0))
    assert len(my_writes(fapi, [quiet], seq)) == 1
    assert metric(a, "podtrail_events_spam_filtered_total") >= seen - 25
