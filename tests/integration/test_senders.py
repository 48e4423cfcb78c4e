"""Who sent the signal a process died of, as podtrail learns it: from the kill family of
system calls (the default; nothing runs for the SIGCHLD of every exit) and, where a kernel
lacks their tracepoints, from signal_generate. Every scenario runs both ways."""
import subprocess
import time

import pytest

from conftest import (V2_ROOT, Cgroup, Daemon, cgroupfs_path, container_id, named_copy,
                      pod_uid, run_as_container_init, run_in_cgroup)


@pytest.fixture(scope="module", params=["syscalls", "signal_generate"])
def daemon(request):
    d = Daemon(["--senders", request.param])
    assert f"senders from {'kill-family system calls' if request.param == 'syscalls' else 'signal_generate'}" \
        in d.stderr(), d.stderr()
    yield d
    assert d.stop() == 0, d.stderr()
    assert d.totals["lost"] == 0 and d.totals["decode_errors"] == 0, d.totals


@pytest.fixture
def container():
    uid, cid = pod_uid(), container_id()
    cg = Cgroup(V2_ROOT, cgroupfs_path(uid, cid))
    cg.uid, cg.cid = uid, cid
    yield cg
    cg.remove()


def children_of(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def wait_children(pid, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children_of(pid)
        if len(kids) >= n:
            return kids
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not start {n} children")


def test_a_process_group_kill_names_the_sender_for_each_member(daemon, container):
    leader = run_in_cgroup(container, ["sh", "-c", "sleep 30 & sleep 30 & wait"],
                           start_new_session=True)
    members = wait_children(leader.pid, 2)
    killer = subprocess.Popen(["kill", "-KILL", "--", f"-{leader.pid}"])
    assert killer.wait() == 0
    for pid in members:
        ev = daemon.wait_for(lambda e, pid=pid: e["process"]["pid"] == pid,
                             what=f"exit of group member {pid}")
        assert ev["exit"]["signal_name"] == "SIGKILL"
        assert ev["killer"]["pid"] == killer.pid and ev["killer"]["comm"] == "kill"
        assert f"sent by process {killer.pid} (kill)" in ev["message"]
    leader.wait()


def test_a_kill_inside_a_pid_namespace_names_the_sender_by_its_host_pid(daemon, container):
    outer = run_as_container_init(container, ["sh", "-c", "sleep 30 & sleep 0.3; kill -KILL $!; wait; sleep 0.5"])
    init = wait_children(outer.pid, 1)[0]
    victim = wait_children(init, 1)[0]
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == victim, what="exit of the killed sleep")
    assert ev["exit"]["signal_name"] == "SIGKILL"
    assert ev["killer"]["pid"] == init and ev["killer"]["comm"] == "sh"
    assert ev["killer"]["from_kernel"] is False
    assert f"sent by process {init} (sh)" in ev["message"]
    outer.wait()


def test_pidfd_send_signal_names_the_sender(daemon, container):
    target = run_in_cgroup(container, ["sleep", "30"])
    sender = subprocess.Popen(["python3", "-c",
                               "import os, signal, sys\n"
                               "fd = os.pidfd_open(int(sys.argv[1]))\n"
                               "signal.pidfd_send_signal(fd, signal.SIGTERM)\n",
                               str(target.pid)])
    assert sender.wait() == 0
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == target.pid, what="exit of the target")
    assert ev["exit"]["signal_name"] == "SIGTERM"
    assert ev["killer"]["pid"] == sender.pid and ev["killer"]["comm"] == "python3"
    assert f"sent by process {sender.pid} (python3)" in ev["message"]
    target.wait()


SEGFAULT_ON_NEWLINE = "import ctypes, sys; sys.stdin.readline(); ctypes.string_at(0)"


def test_a_kill_that_failed_is_not_named_as_the_sender(daemon, container):
    """nobody's kill -SEGV fails (EPERM); the process then really faults. Its event must
    name its own fault, not the kill that sent nothing."""
    target = run_in_cgroup(container, ["python3", "-c", SEGFAULT_ON_NEWLINE],
                           stdin=subprocess.PIPE, text=True)
    time.sleep(0.2)
    failed = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               "kill", "-SEGV", str(target.pid)], stderr=subprocess.DEVNULL)
    assert failed.wait() != 0, "nobody's kill of a root process must fail"
    target.stdin.write("\n")
    target.stdin.flush()
    target.wait()
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == target.pid, what="the fault")
    assert ev["exit"]["signal_name"] == "SIGSEGV"
    assert ev["killer"]["self"] is True and ev["killer"]["from_kernel"] is True, ev["killer"]
    assert f"sent by process {failed.pid}" not in ev["message"]
    assert "died of SIGSEGV (signal 11)" in ev["message"]


def test_the_kernels_sigkill_at_pid_namespace_teardown_names_the_exiting_init(
        daemon, container, scratch):
    """A sandbox process (named pause) that is not its pid namespace's init dies with it;
    the kernel sends that SIGKILL in the init's name."""
    pause = named_copy(scratch, "sleep", "pause")
    outer = run_as_container_init(container, ["sh", "-c", f"{pause} 30 & sleep 0.5"])
    init = wait_children(outer.pid, 1)[0]
    orphan = wait_children(init, 1)[0]
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == orphan, what="exit of the sleep")
    assert ev["exit"]["signal_name"] == "SIGKILL"
    assert ev["killer"]["pid"] == init and ev["killer"]["comm"] == "sh"
    assert ev["killer"]["from_kernel"] is True
    outer.wait()
