"""podtrail next to a real container runtime: containerd's own pods, driven through
the CRI as the kubelet drives them (cri.py), reported to the strict fake API
server. Each scenario is something the kubelet and the runtime really do: exec
probes, kubectl exec, graceful stops, pod deletion, restarts, OOM kills, and the
shared and host pid namespaces. The events must be exactly true."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

import cri
from agent import Agent

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def agent(api, containerd, images):
    """One podtrail for the module, watching the private containerd's state."""
    a = Agent(api, args=["--containerd-state", containerd.state, "--hold-time", "3000"])
    yield a
    rc = a.stop()
    assert rc == 0, a.stderr()
    t = a.totals()
    assert t["lost"] == 0 and t["decode_errors"] == 0, t


def events(api, pod, reason=None):
    return [e for e in api.events(pod.namespace)
            if e["involvedObject"].get("uid") == pod.uid and (reason is None or e["reason"] == reason)]


def wait_event(api, agent, pod, reason, pred=lambda e: True, timeout=15):
    got = api.wait_until(lambda: [e for e in events(api, pod, reason) if pred(e)], timeout)
    assert got, (f"no {reason} event for {pod}; events: " + json.dumps(events(api, pod), indent=1) +
                 "\nagent stderr (tail):\n" + agent.stderr()[-3000:])
    return got[0]


def settle(api, agent, pod, sentinel_reason, pred):
    """Wait for a later event of the same pod: once it is written, every record read
    before it has been through the agent; a little longer for their writes."""
    wait_event(api, agent, pod, sentinel_reason, pred)
    time.sleep(0.5)


def assert_on_container(ev, pod, container):
    obj = ev["involvedObject"]
    assert obj["kind"] == "Pod" and obj["name"] == pod.name and obj["namespace"] == pod.namespace
    assert obj["uid"] == pod.uid
    assert obj["fieldPath"] == f"spec.containers{{{container.name}}}"
    assert ev["source"]["component"] == "podtrail"
    assert ev["message"].endswith(f"; container id {container.id[:12]}"), ev["message"]


def kill(pid, sig):
    """Send @sig to @pid from a host process; returns that process's pid (the sender)."""
    k = subprocess.Popen(["kill", f"-{sig}", str(pid)])
    assert k.wait() == 0
    return k.pid


def test_main_process_exit_3(api, agent, kubelet):
    pod = kubelet.run_pod("exit3")
    c = pod.start_container("app", ["sh", "-c", "sleep 0.3; exit 3"])
    assert pod.wait_exited(c)[0] == 3
    ev = wait_event(api, agent, pod, "ContainerExited")
    assert ev["type"] == "Warning"
    assert_on_container(ev, pod, c)
    assert re.match(rf"main process {c.pid} \(sh\) in container app exited with code 3 after ",
                    ev["message"]), ev["message"]


def test_failing_exec_probes_give_no_event(api, agent, kubelet):
    """An exec probe that fails (exit 1) three times: the kubelet says Unhealthy itself;
    the container runs on, and podtrail says nothing."""
    pod = kubelet.run_pod("probes")
    c = pod.start_container("app", ["sleep", "1000"])
    for _ in range(3):
        assert pod.exec_sync(c, ["sh", "-c", "exit 1"])[0] == 1
    # The sentinel: the same container's main process exits afterwards.
    sender = kill(c.pid, "KILL")
    settle(api, agent, pod, "ContainerExited", lambda e: f"process {sender} (kill)" in e["message"])
    evs = events(api, pod)
    assert [e["reason"] for e in evs] == ["ContainerExited"], json.dumps(evs, indent=1)
    assert evs[0]["message"].startswith(f"main process {c.pid} (sleep)")


def test_exec_killed_by_sigsegv_is_an_exec_crash(api, agent, kubelet):
    pod = kubelet.run_pod("exec-segv")
    c = pod.start_container("app", ["sleep", "1000"])
    # No child outlives the shell (ExecSync waits for its output pipes to close).
    ex = pod.exec_async(c, ["sh", "-c", "while true; do usleep 10000; done"])
    sender = kill(ex.pid, "SEGV")
    assert ex.result()[0] == 128 + signal.SIGSEGV
    ev = wait_event(api, agent, pod, "ProcessCrashed")
    assert ev["type"] == "Warning"
    assert_on_container(ev, pod, c)
    assert ev["message"].startswith(
        f"exec'd process {ex.pid} (sh) in container app was killed by SIGSEGV (signal 11) sent "
        f"by process {sender} (kill) on the host"), ev["message"]
    assert "; exec'd as: sh -c while true; do usleep 10000; done;" in ev["message"]
    assert not events(api, pod, "ContainerExited")
    assert os.path.exists(f"/proc/{c.pid}"), "the container's main process must live on"


def test_exec_that_crashes_itself(api, agent, kubelet):
    """kubectl exec of a program that segfaults: ProcessCrashed on the container, and the
    exec'd process is never taken for the container's main process."""
    pod = kubelet.run_pod("exec-self-segv")
    c = pod.start_container("app", ["sleep", "1000"])
    assert pod.exec_sync(c, ["segv"])[0] == 128 + signal.SIGSEGV
    ev = wait_event(api, agent, pod, "ProcessCrashed")
    assert re.match(r"exec'd process \d+ \(segv\) in container app died of SIGSEGV \(signal 11\)",
                    ev["message"]), ev["message"]
    assert not events(api, pod, "ContainerExited")


def test_child_of_the_main_process_crashes(api, agent, kubelet):
    pod = kubelet.run_pod("child-segv")
    c = pod.start_container("app", ["sh", "-c", "segv; sleep 1000"])
    ev = wait_event(api, agent, pod, "ProcessCrashed")
    assert_on_container(ev, pod, c)
    assert re.match(r"process \d+ \(segv\) in container app died of SIGSEGV \(signal 11\) after "
                    rf"\S+; parent {c.pid} \(sh\)", ev["message"]), ev["message"]
    assert os.path.exists(f"/proc/{c.pid}")


def test_oom_of_an_exec_is_no_container_exit(api, agent, kubelet):
    """An exec'd process OOM-killed (containerd then calls the whole container OOMKilled):
    OOMKilled names the exec'd process; no ContainerExited, the container lives on."""
    pod = kubelet.run_pod("exec-oom")
    c = pod.start_container("app", ["sleep", "1000"], memory_limit=20 * MiB)
    assert pod.exec_sync(c, ["memhog", "40"])[0] == 128 + signal.SIGKILL
    ev = wait_event(api, agent, pod, "OOMKilled")
    assert ev["type"] == "Warning"
    assert_on_container(ev, pod, c)
    # The usage the kill saw may be short of the limit: the memcg gives back its per-CPU
    # charge caches before it kills.
    assert re.match(r"exec'd process \d+ \(memhog\) in container app was OOM-killed: memory "
                    r"limit 20 MiB, usage (20|19\.\d) MiB", ev["message"]), ev["message"]
    # The sentinel: the main process is stopped later; only that is a container exit.
    pod.stop_container(c, 0)
    settle(api, agent, pod, "ContainerExited", lambda e: True)
    exits = events(api, pod, "ContainerExited")
    assert len(exits) == 1 and exits[0]["message"].startswith(f"main process {c.pid} (sleep)")
    assert os.path.exists(f"/proc/{c.pid}") is False


def test_oom_of_the_main_process(api, agent, kubelet):
    pod = kubelet.run_pod("main-oom")
    c = pod.start_container("app", ["sh", "-c", "sleep 0.3; exec memhog 40"],
                            memory_limit=20 * MiB)
    assert pod.wait_exited(c) == (137, "OOMKilled")
    oom = wait_event(api, agent, pod, "OOMKilled")
    assert_on_container(oom, pod, c)
    assert oom["message"].startswith(f"main process {c.pid} (memhog) in container app was "
                                     "OOM-killed: memory limit 20 MiB"), oom["message"]
    ex = wait_event(api, agent, pod, "ContainerExited")
    assert ex["type"] == "Warning"
    assert ex["message"].startswith(f"main process {c.pid} (memhog) in container app was "
                                    "OOM-killed (memory limit 20 MiB)"), ex["message"]
    assert len(events(api, pod, "OOMKilled")) == 1


def test_graceful_stop_is_normal_and_names_term_then_kill(api, agent, kubelet):
    """StopContainer with a 2 s grace period on a pid-1 sleep, which ignores SIGTERM:
    SIGTERM, then SIGKILL 2 s later, both from the runtime. Normal, not a failure."""
    pod = kubelet.run_pod("graceful")
    c = pod.start_container("app", ["sleep", "1000"])
    assert pod.stop_container(c, 2)[0] == 137
    ev = wait_event(api, agent, pod, "ContainerExited")
    assert ev["type"] == "Normal", ev["message"]
    assert_on_container(ev, pod, c)
    m = re.match(rf"main process {c.pid} \(sleep\) in container app was stopped by the runtime "
                 r"after \S+: SIGTERM \(signal 15\) sent by process \d+ \((\S+)\), then SIGKILL "
                 r"\(signal 9\) sent by process \d+ \((\S+)\) on the host (\S+)s later;",
                 ev["message"])
    assert m, ev["message"]
    assert m.group(1) == m.group(2) == "runc"
    assert 1.8 <= float(m.group(3)) <= 3.0


def test_stop_obeyed_by_a_shell_is_normal(api, agent, kubelet):
    pod = kubelet.run_pod("trap-term")
    c = pod.start_container("app", ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])
    assert pod.stop_container(c, 10)[0] == 0
    ev = wait_event(api, agent, pod, "ContainerExited")
    assert ev["type"] == "Normal"
    assert re.match(rf"main process {c.pid} \(sh\) in container app was stopped by the runtime "
                    r"after \S+: SIGTERM \(signal 15\) sent by process \d+ \(runc\) on the host; "
                    r"it exited with code 0", ev["message"]), ev["message"]


def test_pause_killed_from_the_host_is_sandbox_changed(api, agent, kubelet):
    pod = kubelet.run_pod("pause-killed")
    sender = kill(pod.pause_pid, "KILL")
    ev = wait_event(api, agent, pod, "SandboxChanged")
    assert ev["type"] == "Warning"
    assert ev["involvedObject"].get("fieldPath", "") == ""
    assert ev["message"].startswith(
        f"pod sandbox process {pod.pause_pid} (pause) in container {pod.sandbox_id[:12]} was "
        f"killed by SIGKILL (signal 9) sent by process {sender} (kill) on the host"), ev["message"]


def test_pod_deletion_gives_no_warning(api, agent, kubelet):
    """Every rollout and every finished Job deletes pods: the kubelet stops the
    containers, then StopPodSandbox kills pause through runc. No Warning at all."""
    pods = [kubelet.run_pod(f"deleted-{mode.lower()}", pid_mode=mode)
            for mode in ("CONTAINER", "POD", "NODE")]
    # sleep dies of SIGTERM, or ignores it as pid 1 and gets SIGKILL: an exit the kernel sends.
    mains = [p.start_container("app", ["sleep", "1000"]) for p in pods]
    for p in pods:
        p.delete(grace_period=1)
    for p, c in zip(pods, mains):
        stop = wait_event(api, agent, p, "ContainerExited")
        assert stop["type"] == "Normal" and stop["message"].startswith(f"main process {c.pid}")
    time.sleep(1.0)  # pause's exit comes after the containers': give it time to be (not) reported
    for p in pods:
        warnings = [e for e in events(api, p) if e["type"] == "Warning"]
        assert not warnings, json.dumps(warnings, indent=1)
        assert not events(api, p, "SandboxChanged")


def test_restarted_container_names_the_new_instance(api, agent, kubelet):
    pod = kubelet.run_pod("restarts")
    first = pod.start_container("app", ["sh", "-c", "sleep 0.3; exit 1"])
    pod.wait_exited(first)
    wait_event(api, agent, pod, "ContainerExited", lambda e: first.id[:12] in e["message"])
    second = pod.restart_container("app", ["sh", "-c", "sleep 0.3; exit 2"])
    assert second.id != first.id and second.attempt == 1
    pod.wait_exited(second)
    ev = wait_event(api, agent, pod, "ContainerExited", lambda e: "exited with code 2" in e["message"])
    assert_on_container(ev, pod, second)
    assert ev["message"].startswith(f"main process {second.pid} (sh) in container app exited "
                                    "with code 2")
    st = pod.api_pod()["status"]["containerStatuses"][0]
    assert st["restartCount"] == 1 and st["lastState"]["terminated"]["containerID"].endswith(first.id)


@pytest.mark.parametrize("pid_mode", ["POD", "NODE"])
def test_shared_and_host_pid_namespaces_tell_main_from_exec(api, agent, kubelet, pid_mode):
    """shareProcessNamespace (pid 1 is pause) and hostPID: the main process and an
    exec'd one have the same parent (the shim), the same cgroup, and neither is pid 1.
    Only the runtime's record tells them apart."""
    pod = kubelet.run_pod(f"pidns-{pid_mode.lower()}", pid_mode=pid_mode)
    c = pod.start_container("app", ["sh", "-c", "sleep 1.5; exit 3"])
    assert pod.exec_sync(c, ["sh", "-c", "exit 1"])[0] == 1
    assert pod.exec_sync(c, ["segv"])[0] == 128 + signal.SIGSEGV
    crash = wait_event(api, agent, pod, "ProcessCrashed")
    assert re.match(r"exec'd process \d+ \(segv\) in container app died of SIGSEGV",
                    crash["message"]), crash["message"]
    assert pod.wait_exited(c)[0] == 3
    ev = wait_event(api, agent, pod, "ContainerExited")
    assert_on_container(ev, pod, c)
    assert ev["message"].startswith(f"main process {c.pid} (sh) in container app exited with "
                                    "code 3"), ev["message"]
    time.sleep(0.5)
    exits = events(api, pod, "ContainerExited")
    assert len(exits) == 1, json.dumps(exits, indent=1)


def test_runtime_metadata_names_a_container_the_api_does_not_know(api, agent, kubelet):
    """A container that lived 300 ms, whose status the kubelet never got to post: the
    pod watch has not delivered its id, so podtrail names it from containerd's bundle
    (read while the container lived: the bundle is gone 30 ms after the exit)."""
    before = agent.scrape()["podtrail_events_attributed_by_runtime_total"]
    pod = kubelet.run_pod("unpublished", containers=())
    c = pod.start_container("early", ["sh", "-c", "sleep 0.3; exit 4"], publish=False)
    assert cri.wait_for(lambda: not os.path.exists(f"/proc/{c.pid}"), 10)
    assert cri.wait_for(lambda: not os.path.exists(c.bundle), 5), "containerd kept the bundle"
    ev = wait_event(api, agent, pod, "ContainerExited", timeout=20)
    assert ev["involvedObject"]["name"] == pod.name
    assert ev["involvedObject"]["fieldPath"] == "spec.containers{early}"
    assert ev["message"].startswith(f"main process {c.pid} (sh) in container early exited with "
                                    "code 4"), ev["message"]
    # Only containerd's spec knew the name "early": the API object never had it.
    assert "early" not in json.dumps(pod.api_pod())
    assert agent.scrape()["podtrail_events_attributed_by_runtime_total"] >= before + 1


def test_shim_killed_under_a_live_pod(api, agent, kubelet, containerd):
    """The shim monitors the pod's processes for the runtime: when it dies the pod hears
    of it (RuntimeMonitorLost), and the Node of the component's death."""
    pod = kubelet.run_pod("lost-shim")
    pod.start_container("app", ["sleep", "1000"])
    shims = [p for p in containerd.shims() if pod.sandbox_id in cri.proc_cmdline(p)]
    assert len(shims) == 1, shims
    sender = kill(shims[0], "KILL")
    ev = wait_event(api, agent, pod, "RuntimeMonitorLost")
    assert ev["type"] == "Warning" and ev["involvedObject"].get("fieldPath", "") == ""
    assert ev["message"] == (f"runtime shim process {shims[0]} (containerd-shim) that monitored "
                             f"this pod's containers was killed by SIGKILL (signal 9) sent by "
                             f"process {sender} (kill) on the host after "
                             + ev["message"].split(" after ")[1])
    assert ev["message"].endswith(": the container runtime lost its monitor of the pod's containers")
    node = api.wait_until(lambda: [e for e in api.events("default")
                                   if e["reason"] == "NodeComponentExited" and
                                   f"process {shims[0]} " in e["message"]], 10)
    assert node and node[0]["involvedObject"]["kind"] == "Node", api.events("default")
    assert node[0]["type"] == "Warning"
