"""The real podtrail, with --kubeconfig, against a strict fake API server,
watching real runc containers: the Events land on the right pod and
container, and kubectl (the real client) shows them."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import NODE, MiB, Pod, readyz

KUBECTL = "/usr/bin/kubectl"


@pytest.fixture
def pod(api, agent, helpers, tmp_path, request):
    # The agent is shared by the module: whatever ran before (an API outage), start
    # each test from an agent whose pod list is synced, so tests pass in any order.
    assert api.wait_until(lambda: readyz(agent) == 200, 60), "the agent is not ready"
    driver = getattr(request, "param", "cgroupfs")
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50].strip("-")
    p = Pod(api, str(tmp_path), str(helpers), name, driver=driver)
    p.agent = agent
    p.start_sandbox()
    yield p
    p.cleanup()


def container_path(name):
    return "spec.containers{%s}" % name


def assert_pod_event(ev, pod, reason, type_="Warning", container=None):
    io = ev["involvedObject"]
    assert ev["reason"] == reason
    assert ev["type"] == type_
    assert io["kind"] == "Pod" and io["apiVersion"] == "v1"
    assert io["namespace"] == pod.namespace and io["name"] == pod.name and io["uid"] == pod.uid
    assert io.get("fieldPath", "") == (container_path(container) if container else "")
    assert ev["source"] == {"component": "podtrail", "host": NODE}
    assert ev["reportingComponent"] == "podtrail" and ev["reportingInstance"] == NODE
    assert ev["count"] >= 1
    assert re.fullmatch(re.escape(pod.name) + r"\.[0-9a-f]+", ev["metadata"]["name"])


@pytest.mark.parametrize("pod", ["cgroupfs", "systemd"], indirect=True)
def test_app_container_exit_3(pod):
    pod.new_container("app")
    pod.register()
    assert pod.run("app", ["sh", "-c", "sleep 0.2; exit 3"]) == 3
    ev = pod.wait_event("ContainerExited")
    assert_pod_event(ev, pod, "ContainerExited", container="app")
    assert re.search(r"main process \d+ \(sh\) in container app exited with code 3", ev["message"])


def test_segv_in_child_while_container_lives(pod):
    pod.new_container("worker")
    pod.register()
    init = pod.start("worker", ["sh", "-c", "/segv; sleep 30"])
    ev = pod.wait_event("ProcessCrashed")
    assert_pod_event(ev, pod, "ProcessCrashed", container="worker")
    assert "died of SIGSEGV (signal 11)" in ev["message"]
    assert os.path.exists(f"/proc/{init}"), "the container's main process must live on"
    assert not pod.events("ContainerExited")


def test_oom_of_child_while_main_survives(pod):
    pod.new_container("hog")
    pod.register()
    init = pod.start("hog", ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 30"],
                     memory=20 * MiB)
    ev = pod.wait_event("OOMKilled")
    assert_pod_event(ev, pod, "OOMKilled", container="hog")
    assert re.search(r"process \d+ \(dd\) in container hog was OOM-killed: memory limit 20 MiB",
                     ev["message"]), ev["message"]
    assert os.path.exists(f"/proc/{init}")
    assert not pod.events("ContainerExited")


def test_oom_of_main_process(pod):
    pod.new_container("hog")
    pod.register()
    status = pod.run("hog", ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                     memory=20 * MiB)
    assert status == 137, status
    oom = pod.wait_event("OOMKilled")
    assert_pod_event(oom, pod, "OOMKilled", container="hog")
    assert "memory limit 20 MiB" in oom["message"]
    ex = pod.wait_event("ContainerExited")
    assert_pod_event(ex, pod, "ContainerExited", container="hog")
    assert "was OOM-killed (memory limit 20 MiB)" in ex["message"]


def test_pause_killed_from_host_is_sandbox_changed(pod):
    pod.register()
    killer = subprocess.Popen(["kill", "-KILL", str(pod.sandbox_pid)])
    assert killer.wait() == 0
    ev = pod.wait_event("SandboxChanged")
    assert_pod_event(ev, pod, "SandboxChanged")
    assert f"pod sandbox process {pod.sandbox_pid} (pause)" in ev["message"]
    assert f"was killed by SIGKILL (signal 9) sent by process {killer.pid} (kill)" in ev["message"]


def test_crash_loop_stays_within_spam_budget(api, pod):
    pod.new_container("loop")
    pod.register()
    before = len(api.writes(path="/events"))
    for _ in range(40):
        assert pod.run("loop", ["sh", "-c", "exit 1"]) == 1
    api.wait_until(lambda: False, 3)  # let the last writes land
    events = pod.events("ContainerExited")
    assert events, "no ContainerExited at all"
    combined = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    counted = max(e["count"] for e in events)
    assert counted >= 40 or combined, json.dumps(events, indent=1)
    # The spam filter's budget: a burst of 25 writes per object, then one per 300 s.
    mine = [w for w in api.writes(path="/events")[before:]
            if (w["method"] == "POST" and w["body"]["involvedObject"].get("uid") == pod.uid) or
            (w["method"] == "PATCH" and w["path"].split("/")[-1].startswith(pod.name + "."))]
    assert 10 <= len(mine) <= 25, f"{len(mine)} writes for one pod's events"


def test_pod_registered_after_its_container_exited(api, pod):
    pod.new_container("early")
    assert pod.run("early", ["sh", "-c", "exit 4"]) == 4
    time.sleep(2)
    pod.register()
    ev = pod.wait_event("ContainerExited", timeout=20)
    assert_pod_event(ev, pod, "ContainerExited", container="early")
    assert "exited with code 4" in ev["message"]


def test_events_survive_an_api_outage(api, pod):
    pod.new_container("app")
    pod.register()
    time.sleep(0.5)
    api.refuse_connections(10)
    assert pod.run("app", ["sh", "-c", "exit 5"]) == 5
    time.sleep(2)
    assert not pod.events("ContainerExited")  # nothing can have reached it yet
    ev = pod.wait_event("ContainerExited", timeout=45)
    assert "exited with code 5" in ev["message"]


def test_kubectl_describe_and_field_selector_show_the_events(api, pod, tmp_path):
    pod.new_container("app")
    pod.register()
    assert pod.run("app", ["sh", "-c", "exit 3"]) == 3
    pod.wait_event("ContainerExited")
    kc = ["--kubeconfig", api.kubeconfig, "--cache-dir", str(tmp_path / "kcache")]
    out = subprocess.run([KUBECTL, *kc, "describe", "pod", pod.name, "-n", pod.namespace],
                         capture_output=True, text=True, check=True).stdout
    events = out[out.index("Events:"):]
    assert re.search(r"Warning\s+ContainerExited\s+\S+\s+podtrail\s+main process \d+ \(sh\) in "
                     r"container app exited with code 3", events), events
    out = subprocess.run([KUBECTL, *kc, "get", "events", "-n", pod.namespace, "--field-selector",
                          f"involvedObject.uid={pod.uid}", "-o", "json"],
                         capture_output=True, text=True, check=True).stdout
    items = json.loads(out)["items"]
    assert items and all(i["involvedObject"]["uid"] == pod.uid for i in items)
    assert any(i["reason"] == "ContainerExited" for i in items)


def test_host_process_crash_makes_no_pod_event(api, agent, helpers):
    p = subprocess.Popen([os.path.join(str(helpers), "segv")])
    assert p.wait() == -11
    mark = f"process {p.pid} (segv) on the host died of SIGSEGV"
    node_events = api.wait_until(lambda: [e for e in api.events("default")
                                          if mark in e["message"]], 10)
    assert node_events, "the host crash was not reported on the node"
    assert all(e["involvedObject"] == {"kind": "Node", "name": NODE, "uid": NODE,
                                       "apiVersion": "v1"} for e in node_events), node_events
    assert [e for e in api.events() if e["involvedObject"]["kind"] == "Pod" and
            mark in e["message"]] == []


def test_no_event_write_was_rejected(api, pod):
    """Every Event write so far was accepted: this test's own, and those before it."""
    pod.new_container("app")
    pod.register()
    assert pod.run("app", ["sh", "-c", "exit 6"]) == 6
    pod.wait_event("ContainerExited")
    assert api.requests(path="/events"), "no Event was written at all"
    bad = [e for e in api.requests(path="/events") if e["status"] >= 400 and e["status"] != 404]
    assert bad == [], bad


def test_readiness_flips_when_the_api_server_goes_away(api, agent):
    assert api.wait_until(lambda: readyz(agent) == 200, 20), "not ready with the API server up"
    api.refuse_connections(8)
    assert api.wait_until(lambda: readyz(agent) == 503, 8), "still ready with the server gone"
    assert api.wait_until(lambda: readyz(agent) == 200, 45), "not ready again after it came back"


def settled(api, agent):
    """The metrics and the server's log at a moment when nothing is queued or held."""
    def quiet():
        m = agent.scrape()
        return m if (m["podtrail_events_queued"] == 0 and
                     m["podtrail_events_awaiting_attribution"] == 0) else None
    m = api.wait_until(quiet, 60)
    assert m, "the agent never settled: " + agent.stderr()[-3000:]
    log = api.requests(path="/events")
    return m, (log[-1]["seq"] if log else 0)


def test_metrics_match_what_happened(api, agent, pod, helpers, tmp_path):
    """What this test makes happen moves the counters by as much, and they add up to
    the writes the server saw meanwhile (whatever ran before, in whatever order)."""
    m0, seq0 = settled(api, agent)
    pod.new_container("hog")
    pod.register()
    assert pod.run("hog", ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                   memory=20 * MiB) == 137
    pod.wait_event("OOMKilled")
    assert subprocess.run(["kill", "-KILL", str(pod.sandbox_pid)]).returncode == 0
    pod.wait_event("SandboxChanged")
    # A crash loop, aggregated then spam-filtered: in a pod of its own, as the
    # spam filter's budget is per pod.
    loop = Pod(api, str(tmp_path), str(helpers), "metrics-crash-loop")
    loop.agent = agent
    try:
        loop.start_sandbox()
        loop.new_container("loop")
        loop.register()
        for _ in range(40):
            assert loop.run("loop", ["sh", "-c", "exit 1"]) == 1
        loop.wait_event("ContainerExited")
    finally:
        loop.cleanup()
    api.refuse_connections(3)  # the watch breaks and starts again
    assert api.wait_until(lambda: readyz(agent) == 503, 8), "still ready with the server gone"
    assert api.wait_until(lambda: readyz(agent) == 200, 45), "not ready again"
    m1, _ = settled(api, agent)
    log = api.requests(path="/events", since=seq0)

    def delta(key):
        return m1.get(key, 0) - m0.get(key, 0)
    posts = [e for e in log if e["method"] == "POST" and e["status"] == 201]
    patches = [e for e in log if e["method"] == "PATCH" and e["status"] == 200]
    assert delta('podtrail_events_written_total{verb="POST"}') == len(posts)
    assert delta('podtrail_events_written_total{verb="PATCH"}') == len(patches)
    assert delta('podtrail_api_requests_total{verb="POST",code="201"}') == len(posts)
    assert delta("podtrail_api_request_duration_seconds_count") >= len(posts) + len(patches)
    assert m1["podtrail_ringbuf_lost_total"] == 0
    assert m1["podtrail_decode_errors_total"] == 0
    assert delta('podtrail_events_emitted_total{reason="SandboxChanged"}') == 1
    assert delta('podtrail_events_emitted_total{reason="OOMKilled"}') >= 1
    assert delta('podtrail_events_emitted_total{reason="ContainerExited"}') >= 41
    assert delta('podtrail_kernel_records_total{kind="oom"}') >= 1
    assert delta("podtrail_events_spam_filtered_total") >= 1
    assert delta("podtrail_events_aggregated_total") >= 1
    assert delta("podtrail_watch_restarts_total") >= 1
    pods = [p for p in api.api.store.table("pods").values() if p["spec"].get("nodeName") == NODE]
    assert m1["podtrail_pods_cached"] == len(pods)


def test_an_end_to_end_scenario_under_valgrind(api, helpers, tmp_path):
    """The plain build, in cluster mode, under memcheck: zero errors, zero leaks."""
    from conftest import Agent, ROOT
    plain = os.path.join(ROOT, "build", "podtrail")
    assert os.path.exists(plain), "build/podtrail is missing: run make first"
    log = tmp_path / "valgrind.log"
    agent = Agent(api, wrapper=["valgrind", "--leak-check=full", "--error-exitcode=99",
                                "--errors-for-leak-kinds=definite,indirect",
                                f"--suppressions={ROOT}/tests/valgrind.supp",
                                f"--log-file={log}"], binary=plain, attach_timeout=120)
    try:
        p = Pod(api, str(tmp_path), str(helpers), "under-valgrind")
        p.agent = agent
        p.start_sandbox()
        p.new_container("app")
        p.register()
        assert p.run("app", ["sh", "-c", "exit 3"]) == 3
        ev = p.wait_event("ContainerExited", timeout=60)
        assert "exited with code 3" in ev["message"]
        p.cleanup()
    finally:
        rc = agent.stop()
    text = log.read_text()
    assert "ERROR SUMMARY: 0 errors" in text, text[-3000:]
    assert rc == 0, text[-3000:]
