"""Tests of the CRI driver itself (no podtrail): that it makes containerd produce
what a kubelet-run node has (process tree, pid namespaces, cgroups, API objects),
so that scenarios built on it test podtrail against the real thing."""
import os
import signal
import threading
import time

import pytest

import cri
from agent import NODE

MiB = 1024 * 1024


def nspids(pid):
    """NSpid of /proc/<pid>/status: the pid in each pid namespace, outermost first."""
    for line in cri.read_file(f"/proc/{pid}/status").splitlines():
        if line.startswith("NSpid:"):
            return [int(x) for x in line.split()[1:]]


def ppid(pid):
    return int(cri.read_file(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[1])


def pidns(pid):
    return os.readlink(f"/proc/{pid}/ns/pid")


def cgroups(pid):
    """{hierarchy: path} from /proc/<pid>/cgroup ("" for the unified tree)."""
    out = {}
    for line in cri.read_file(f"/proc/{pid}/cgroup").splitlines():
        _, ctrl, path = line.split(":", 2)
        out[ctrl] = path
    return out


def shim_of(containerd, pod):
    shims = [p for p in containerd.shims() if pod.sandbox_id in cri.proc_cmdline(p)]
    assert len(shims) == 1, (shims, containerd.shims())
    return shims[0]


def api_status(pod, name):
    return next(c for c in pod.api_pod()["status"]["containerStatuses"] if c["name"] == name)


def test_container_is_pid1_of_its_namespace_under_the_shim(kubelet, containerd):
    pod = kubelet.run_pod("plain")
    c = pod.start_container("app", ["sleep", "1000"], memory_limit=20 * MiB)
    assert nspids(c.pid) == [c.pid, 1]
    assert containerd.init_pid(c.id) == c.pid
    assert cri.read_file(f"/proc/{c.pid}/comm") == "sleep\n"
    shim = shim_of(containerd, pod)
    assert ppid(c.pid) == shim and ppid(pod.pause_pid) == shim
    assert nspids(pod.pause_pid)[-1] == 1 and pidns(pod.pause_pid) != pidns(c.pid)
    # Every hierarchy, unified and name=systemd included, has it at the kubelet's path.
    cg = cgroups(c.pid)
    assert set(cg.values()) == {f"/kubepods/burstable/pod{pod.uid}/{c.id}"}, cg
    assert len(cri.cgroup_dirs(c.cgroup)) == len(cri.cgroup_hierarchies())
    assert cri.read_file(f"/sys/fs/cgroup/memory{c.cgroup}/memory.limit_in_bytes") == f"{20 * MiB}\n"
    assert cri.read_file(f"/proc/{c.pid}/oom_score_adj") == "999\n"
    st = api_status(pod, "app")
    assert st["containerID"] == "containerd://" + c.id and "running" in st["state"] and st["ready"]
    assert st["imageID"].startswith("sha256:") and st["restartCount"] == 0
    spec = pod.api_pod()["spec"]
    assert spec["hostNetwork"] and not spec["hostPID"] and not spec["shareProcessNamespace"]
    assert spec["containers"][0]["resources"] == {"limits": {"memory": str(20 * MiB)}}


def test_exec_sync(kubelet):
    pod = kubelet.run_pod("execs")
    pod.start_container("app", ["sleep", "1000"])
    assert pod.exec_sync("app", ["sh", "-c", "exit 1"]) == (1, "", "")
    assert pod.exec_sync("app", ["sh", "-c", "echo out; echo err >&2"]) == (0, "out\n", "err\n")
    t = time.monotonic()
    with pytest.raises(cri.ExecTimeout):
        pod.exec_sync("app", ["sleep", "5"], timeout=1)
    assert time.monotonic() - t < 3


def test_exec_async_pid_can_be_killed_from_the_host(kubelet):
    pod = kubelet.run_pod("async")
    c = pod.start_container("app", ["sleep", "1000"])
    ex = pod.exec_async(c, ["sleep", "1000"])
    assert ex.pid != c.pid and cri.read_file(f"/proc/{ex.pid}/comm") == "sleep\n"
    assert cgroups(ex.pid) == cgroups(c.pid) and pidns(ex.pid) == pidns(c.pid)
    assert nspids(ex.pid)[-1] not in (1, nspids(c.pid)[-1])
    os.kill(ex.pid, signal.SIGKILL)
    assert ex.result(10)[0] == 137
    assert pod.exec_sync(c, ["true"])[0] == 0   # the main process is untouched


@pytest.mark.parametrize("mode", ["POD", "NODE"])
def test_pid_modes(kubelet, mode):
    pod = kubelet.run_pod("pid-" + mode.lower(), pid_mode=mode)
    c = pod.start_container("app", ["sleep", "1000"])
    assert nspids(c.pid)[-1] != 1 and kubelet.containerd.init_pid(c.id) == c.pid
    if mode == "POD":   # shareProcessNamespace: pause is PID 1 of the pod
        assert pidns(c.pid) == pidns(pod.pause_pid)
        assert nspids(pod.pause_pid)[-1] == 1 and len(nspids(c.pid)) == 2
        assert pod.api_pod()["spec"]["shareProcessNamespace"]
    else:               # hostPID: the host's pid namespace
        assert pidns(c.pid) == pidns("self") and nspids(c.pid) == [c.pid]
        assert pod.api_pod()["spec"]["hostPID"]


def test_stop_with_grace_period(kubelet):
    pod = kubelet.run_pod("stops")
    trap = pod.start_container("trap", ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.05; done'])
    stubborn = pod.start_container("stubborn", ["sleep", "1000"])   # PID 1 without handler
    t = time.monotonic()
    assert pod.stop_container(trap, timeout=10) == (0, "Completed")
    assert time.monotonic() - t < 2
    t = time.monotonic()
    assert pod.stop_container(stubborn, timeout=1) == (137, "Error")
    assert 1 <= time.monotonic() - t < 3
    term = api_status(pod, "stubborn")["state"]["terminated"]
    assert term["exitCode"] == 137 and term["containerID"] == "containerd://" + stubborn.id
    assert not api_status(pod, "trap")["ready"]


def test_restart(kubelet, containerd):
    pod = kubelet.run_pod("restarts")
    c0 = pod.start_container("app", ["sh", "-c", "exit 3"])
    assert pod.wait_exited(c0) == (3, "Error")
    c1 = pod.restart_container("app", ["sh", "-c", "exit 4"])
    assert (c1.attempt, c1.name) == (1, "app") and c1.id != c0.id
    st, _ = pod.container_status(c1)
    assert st.metadata.attempt == 1
    api = api_status(pod, "app")
    assert api["restartCount"] == 1 and api["containerID"] == "containerd://" + c1.id
    last = api["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"], last["containerID"]) == (3, "Error", "containerd://" + c0.id)
    assert last["startedAt"] <= last["finishedAt"]
    assert pod.wait_exited(c1) == (4, "Error")
    c2 = pod.restart_container("app", ["sleep", "1000"])
    assert c2.attempt == 2 and api_status(pod, "app")["lastState"]["terminated"]["exitCode"] == 4
    assert api_status(pod, "app")["restartCount"] == 2
    assert pod.container_status(c1)[0].state == cri.pb.CONTAINER_EXITED   # the one dead instance kept
    with pytest.raises(cri.CRIError, match="NOT_FOUND"):
        pod.container_status(c0)                                          # older ones: removed


def test_helpers_oom_and_segv(kubelet):
    pod = kubelet.run_pod("helpers")
    hog = pod.start_container("hog", ["memhog", "40"], memory_limit=20 * MiB)
    segv = pod.start_container("segv", ["segv"])
    assert pod.wait_exited(hog) == (137, "OOMKilled")
    assert pod.wait_exited(segv) == (139, "Error")


def test_delete_removes_cgroups(kubelet, containerd):
    pod = kubelet.run_pod("deleted", qos="guaranteed")
    c = pod.start_container("app", ["sleep", "1000"], memory_limit=16 * MiB)
    assert pod.cgroup_parent == f"/kubepods/pod{pod.uid}"
    assert cri.read_file(f"/proc/{c.pid}/oom_score_adj") == "0\n"   # -997, clamped by restrict_oom_score_adj
    assert len(cri.cgroup_dirs(pod.cgroup_parent)) == len(cri.cgroup_hierarchies())
    seen = []   # the API object during the grace period, as a watcher sees it
    t = threading.Thread(target=lambda: seen.append(
        cri.wait_for(lambda: (pod.api_pod() or {}).get("metadata", {}).get("deletionTimestamp") and
                     pod.api_pod(), 5)))
    t.start()
    pod.delete(grace_period=1)   # sleep ignores SIGTERM: SIGKILL after 1 s
    t.join()
    assert seen[0] and seen[0]["metadata"]["deletionGracePeriodSeconds"] == 1
    assert seen[0]["status"]["qosClass"] == "Guaranteed"
    assert pod.api_pod() is None
    assert not cri.cgroup_dirs(pod.cgroup_parent)
    assert not os.path.exists(f"/proc/{c.pid}") and not os.path.exists(f"/proc/{pod.pause_pid}")
    assert pod.sandbox_id not in [s.id for s in containerd.call("ListPodSandbox").items]


def test_stop_leaves_nothing_behind(tmp_path, api):
    """A containerd stopped with pods still running (a crashed test): stop() must
    remove them, and no shim, mount or pod cgroup may survive it."""
    c = cri.Containerd(tmp_path / "ctrd")
    k = cri.Kubelet(c, api, NODE)
    try:
        cri.import_images(c.start(), cri.build_images())
        pods = [k.run_pod("left-a"), k.run_pod("left-b", pid_mode="POD")]
        for p in pods:
            p.start_container("app", ["sleep", "1000"])
        pods[1].exec_async("app", ["sleep", "1000"])
        assert len(c.shims()) == 2 and c.mounts()
    finally:
        left = c.stop()
        for p in k.pods:
            api.delete_pod(p.namespace, p.name)
    assert not left, left
    assert sum(s.startswith("pod sandbox") for s in c.cleaned) == 2, c.cleaned
    assert not any(cri.cgroup_dirs(p.cgroup_parent) for p in k.pods)
    assert c.proc.poll() is not None
