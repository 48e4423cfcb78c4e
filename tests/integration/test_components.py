"""The node's own components (kubelet, containerd, shims, ...) are recognised by name on
the host, in systemd-style units (this machine has no systemd: the cgroups are made by
hand), and their ends are reported as NodeComponentExited; an ordinary host process
that exits 1 still gives nothing, and a process named kubelet in a pod is not the
node's kubelet."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (V2_ROOT, Cgroup, Daemon, cgroupfs_path, container_id, named_copy, pod_uid,
                      run_as_container_init, run_in_cgroup)


@pytest.fixture(scope="module")
def daemon():
    d = Daemon([])
    yield d
    assert d.stop() == 0, d.stderr()
    assert d.totals["lost"] == 0 and d.totals["decode_errors"] == 0, d.totals


@pytest.fixture
def unit(request):
    """A systemd-style service cgroup on the host: /system.slice/<name>.service."""
    cgs = []

    def make(name):
        cg = Cgroup(V2_ROOT, f"system.slice/{name}")
        cgs.append(cg)
        return cg
    yield make
    for cg in cgs:
        cg.remove()


def test_kubelet_exiting_1_is_a_node_event(daemon, unit, scratch):
    kubelet = named_copy(scratch, "dash", "kubelet")
    p = run_in_cgroup(unit("kubelet.service"), [kubelet, "-c", "exit 1"])
    assert p.wait() == 1
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == p.pid, what="the kubelet's exit")
    assert ev["reason"] == "NodeComponentExited" and ev["type"] == "Warning"
    assert ev["pod"] is None and ev["cgroup"]["unit"] == "kubelet.service"
    assert ev["message"].startswith(f"node component kubelet: process {p.pid} (kubelet) in "
                                    "kubelet.service exited with code 1 after ")


def test_a_clean_kubelet_exit_is_normal(daemon, unit, scratch):
    kubelet = named_copy(scratch, "dash", "kubelet")
    p = run_in_cgroup(unit("kubelet.service"), [kubelet, "-c", "exit 0"])
    assert p.wait() == 0
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == p.pid, what="the kubelet's exit")
    assert ev["reason"] == "NodeComponentExited" and ev["type"] == "Normal"
    assert "exited with code 0" in ev["message"]


def test_a_clean_kubelet_exit_is_seen_on_every_cpu(daemon, unit, scratch):
    """The kernel's name filter is a copy per CPU, written at start: a clean exit, which only
    the name makes worth sending, must be caught on each CPU, not only the first."""
    kubelet = named_copy(scratch, "dash", "kubelet")
    cpus = sorted(os.sched_getaffinity(0))
    for cpu in cpus:
        p = run_in_cgroup(unit("kubelet.service"), [kubelet, "-c", "exit 0"],
                          preexec_fn=lambda cpu=cpu: os.sched_setaffinity(0, {cpu}))
        assert p.wait() == 0
        ev = daemon.wait_for(lambda e: e["process"]["pid"] == p.pid,
                             what=f"the kubelet's clean exit on CPU {cpu}")
        assert ev["reason"] == "NodeComponentExited" and ev["type"] == "Normal"


def test_containerd_killed_names_the_sender(daemon, unit, scratch):
    containerd = named_copy(scratch, "sleep", "containerd")
    p = run_in_cgroup(unit("containerd.service"), [containerd, "30"])
    time.sleep(0.2)
    killer = subprocess.Popen(["kill", "-KILL", str(p.pid)])
    assert killer.wait() == 0
    p.wait()
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == p.pid, what="containerd's death")
    assert ev["reason"] == "NodeComponentExited" and ev["type"] == "Warning"
    assert ev["killer"]["pid"] == killer.pid
    assert (f"node component containerd: process {p.pid} (containerd) in containerd.service was "
            f"killed by SIGKILL (signal 9) sent by process {killer.pid} (kill)") in ev["message"]


def test_a_shim_dying_of_sigsegv(daemon, unit, scratch):
    # The kernel keeps 15 characters of containerd-shim-runc-v2.
    shim = named_copy(scratch, "/usr/bin/python3", "containerd-shim-runc-v2")
    p = run_in_cgroup(unit("containerd.service"), [shim, "-c", "import ctypes; ctypes.string_at(0)"],
                      stderr=subprocess.DEVNULL)
    assert p.wait() == -signal.SIGSEGV
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == p.pid, what="the shim's crash")
    assert ev["reason"] == "NodeComponentExited" and ev["type"] == "Warning"
    assert ev["message"].startswith(f"node component containerd shim: process {p.pid} "
                                    "(containerd-shim) in containerd.service died of SIGSEGV")


def test_an_ordinary_host_process_exiting_1_gives_nothing(daemon, unit, scratch):
    other = named_copy(scratch, "dash", "kubeletx")
    quiet = run_in_cgroup(unit("other.service"), [other, "-c", "exit 1"])
    assert quiet.wait() == 1
    # A later event: everything read before it has been through the agent.
    kubelet = named_copy(scratch, "dash", "kubelet")
    p = run_in_cgroup(unit("kubelet.service"), [kubelet, "-c", "exit 2"])
    p.wait()
    daemon.wait_for(lambda e: e["process"]["pid"] == p.pid, what="the sentinel")
    assert daemon.matching(lambda e: e["process"]["pid"] == quiet.pid) == []


def test_a_kubelet_in_a_pod_is_not_the_node_kubelet(daemon, scratch):
    cg = Cgroup(V2_ROOT, cgroupfs_path(pod_uid(), container_id()))
    try:
        kubelet = named_copy(scratch, "dash", "kubelet")
        p = run_as_container_init(cg, [kubelet, "-c", "exit 1"])
        p.wait()
        ev = daemon.wait_for(lambda e: e["process"]["ppid"] == p.pid, what="the pod's kubelet")
        assert ev["reason"] == "ContainerExited", ev
        assert ev["pod"] is not None
    finally:
        cg.remove()


def test_a_kubelet_run_by_hand_in_a_login_session_is_not_the_node_kubelet(daemon, unit, scratch):
    kubelet = named_copy(scratch, "dash", "kubelet")
    session = Cgroup(V2_ROOT, "user.slice/user-1000.slice/session-3.scope")
    try:
        quiet = run_in_cgroup(session, [kubelet, "-c", "exit 1"])
        quiet.wait()
    finally:
        session.remove()
    sentinel = run_in_cgroup(unit("kubelet.service"), [kubelet, "-c", "exit 3"])
    sentinel.wait()
    daemon.wait_for(lambda e: e["process"]["pid"] == sentinel.pid, what="the sentinel")
    assert daemon.matching(lambda e: e["process"]["pid"] == quiet.pid) == []


def test_a_daemons_forked_child_is_not_the_daemon(daemon, unit, scratch):
    """A child the kubelet forked carries its name until it execs: when Go's exec fails in
    it, it exits 253 as "kubelet". Neither that nor a clean exit of such a child is the
    kubelet's end; the kubelet's own exit (exec'd) still is, and is the sentinel."""
    kubelet = named_copy(scratch, "/usr/bin/python3", "kubelet")
    script = ("import os\n"
              "for code in (253, 0):\n"
              "    pid = os.fork()\n"
              "    if pid == 0:\n"
              "        os._exit(code)\n"
              "    os.waitpid(pid, 0)\n"
              "    print(pid, flush=True)\n")
    p = run_in_cgroup(unit("kubelet.service"), [kubelet, "-c", script], stdout=subprocess.PIPE,
                      text=True)
    out, _ = p.communicate(timeout=30)
    assert p.returncode == 0
    children = [int(x) for x in out.split()]
    assert len(children) == 2, out
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == p.pid, what="the kubelet's own exit")
    assert ev["reason"] == "NodeComponentExited" and ev["type"] == "Normal", ev
    assert daemon.matching(lambda e: e["process"]["pid"] in children) == []


def test_a_clean_exit_from_a_daemons_other_thread_is_its_end(daemon, unit, scratch):
    """Every thread but the one that exec'd starts out "not exec'd": whichever thread ends
    the process, the kubelet that exec'd is still the kubelet."""
    kubelet = named_copy(scratch, "/usr/bin/python3", "kubelet")
    script = ("import os, threading, time\n"
              "threading.Thread(target=lambda: os._exit(0)).start()\n"
              "time.sleep(30)\n")
    pids = []
    for _ in range(5):
        p = run_in_cgroup(unit("kubelet.service"), [kubelet, "-c", script])
        assert p.wait(timeout=30) == 0
        pids.append(p.pid)
    for pid in pids:
        ev = daemon.wait_for(lambda e: e["process"]["pid"] == pid, what="the kubelet's exit")
        assert ev["reason"] == "NodeComponentExited" and ev["type"] == "Normal", ev
