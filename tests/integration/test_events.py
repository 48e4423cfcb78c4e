"""The real build/podtrail, attached to the real kernel, sees real processes
exit, crash and get OOM-killed in kubelet-style cgroups."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (PODTRAIL, V1_MEMORY, V2_ROOT, Cgroup, Daemon, cgroupfs_path,
                      container_id, named_copy, pod_uid, run_as_container_init, run_in_cgroup,
                      systemd_path)

MiB = 1024 * 1024


@pytest.fixture(scope="module", params=["tp_btf", "tracepoint"])
def daemon(request):
    d = Daemon(["--attach", request.param])
    yield d
    assert d.stop() == 0, d.stderr()
    # Nothing may be lost, every record must decode and every cgroup id be known, in any scenario.
    assert d.totals["lost"] == 0, d.totals
    assert d.totals["decode_errors"] == 0, d.totals
    assert d.totals["cgroup_misses"] == 0, d.totals


@pytest.fixture(params=["cgroupfs-v2", "systemd-v2", "cgroupfs-v1", "systemd-v1"])
def container(request):
    """A container cgroup laid out like the kubelet's, in the v2 or the v1 memory hierarchy."""
    layout, hier = request.param.split("-")
    uid, cid = pod_uid(), container_id()
    rel = cgroupfs_path(uid, cid) if layout == "cgroupfs" else systemd_path(uid, cid)
    cg = Cgroup(V2_ROOT if hier == "v2" else V1_MEMORY, rel)
    cg.uid, cg.cid, cg.driver, cg.hierarchy = uid, cid, layout, hier
    yield cg
    cg.remove()


def assert_attributed(ev, cg):
    assert ev["pod"]["uid"] == cg.uid
    assert ev["container"]["id"] == cg.cid
    assert ev["cgroup"]["driver"] == cg.driver
    assert ev["cgroup"]["hierarchy"] == cg.hierarchy
    assert ev["cgroup"]["path"] == cg.rel
    assert ev["pod"]["qos"] == "Burstable"
    assert ev["cgroup"]["scope"] == "container"


def test_main_process_exit_code_7(daemon, container):
    p = run_as_container_init(container, ["sh", "-c", "exit 7"])
    assert p.wait() == 7
    ev = daemon.wait_for(lambda e: e["process"]["ppid"] == p.pid and e["process"]["pidns_init"],
                         what="exit of the main process")
    pid = ev["process"]["pid"]
    assert ev["reason"] == "ContainerExited"
    assert ev["type"] == "Warning"
    assert ev["exit"] == {"code": 7, "signal": 0, "signal_name": None, "core_dumped": False}
    assert ev["process"]["main"] is True
    assert ev["process"]["role"] == "main" and ev["process"]["role_source"] == "pid-namespace"
    assert ev["process"]["ns_pid"] == 1
    assert ev["process"]["comm"] == "sh"
    assert ev["killer"] is None and ev["oom"] is None
    assert_attributed(ev, container)
    assert f"main process {pid} (sh) in container {container.cid[:12]} exited with code 7" \
        in ev["message"]


def test_main_process_clean_exit_is_reported(daemon, container):
    """A clean exit on the host is filtered in the kernel; pid 1 of a pid namespace exiting 0
    is a container's end and must get through."""
    p = run_as_container_init(container, ["sh", "-c", "exit 0"])
    assert p.wait() == 0
    ev = daemon.wait_for(lambda e: e["process"]["ppid"] == p.pid and e["process"]["pidns_init"],
                         what="clean exit of the main process")
    assert ev["reason"] == "ContainerExited"
    assert ev["type"] == "Normal"
    assert ev["exit"] == {"code": 0, "signal": 0, "signal_name": None, "core_dumped": False}
    assert ev["process"]["main"] is True and ev["process"]["ns_pid"] == 1
    assert_attributed(ev, container)


def test_clean_exits_in_other_namespaces_are_filtered_in_the_kernel(scratch):
    """Host processes in their own mount and UTS namespaces, and the children of a pid
    namespace's init, exiting 0: counted in the kernel, never sent."""
    boring = named_copy(scratch, "true", "ns-boring-true")
    loop = f'for i in $(seq 300); do "{boring}"; done'
    d = Daemon([])
    try:
        subprocess.run(["unshare", "--mount", "--uts", "sh", "-c", loop], check=True)
        subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "sh", "-c", loop],
                       check=True)
    finally:
        assert d.stop() == 0, d.stderr()
    assert d.matching(lambda e: e["process"]["comm"] == "ns-boring-true") == []
    assert d.totals["filtered_in_kernel"] >= 600, d.totals
    assert d.totals["lost"] == 0, d.totals


def test_first_process_without_pid_namespace_is_not_called_main(daemon, container):
    """A process in the host's pid namespace whose parent is outside the cgroup may be the
    container's main process or one exec'd into it: without the runtime's record podtrail
    cannot know, so a non-zero exit says nothing and a crash says "process", not "main"."""
    quiet = run_in_cgroup(container, ["sh", "-c", "exit 7"])
    assert quiet.wait() == 7
    crash = run_in_cgroup(container, ["python3", "-c", "import ctypes; ctypes.string_at(0)"],
                          stderr=subprocess.DEVNULL)
    assert crash.wait() == -signal.SIGSEGV
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == crash.pid, what="the crash")
    assert ev["reason"] == "ProcessCrashed"
    assert ev["process"]["main"] is False and ev["process"]["role"] == "unknown"
    assert ev["message"].startswith(f"process {crash.pid} (python3) in container ")
    assert daemon.matching(lambda e: e["process"]["pid"] == quiet.pid) == []


def test_child_segfault_parent_lives_on(daemon, container):
    # The child really faults (a NULL read), the shell that started it keeps running.
    script = ("python3 -c 'import ctypes; ctypes.string_at(0)'; echo $? > /dev/null; "
              "sleep 1.5; exit 0")
    p = run_in_cgroup(container, ["sh", "-c", script])
    ev = daemon.wait_for(lambda e: e["process"]["ppid"] == p.pid and e["exit"]["signal"] == 11,
                         what="SIGSEGV of the child")
    assert p.poll() is None, "the parent must still be running"
    assert ev["reason"] == "ProcessCrashed"
    assert ev["type"] == "Warning"
    assert ev["process"]["comm"] == "python3"
    assert ev["process"]["main"] is False
    assert ev["exit"]["signal_name"] == "SIGSEGV"
    assert ev["killer"]["from_kernel"] is True and ev["killer"]["self"] is True
    assert_attributed(ev, container)
    assert "died of SIGSEGV (signal 11)" in ev["message"]
    assert f"parent {p.pid} (sh)" in ev["message"]
    assert p.wait() == 0


def test_sigkill_from_another_process_names_the_sender(daemon, container):
    p = run_in_cgroup(container, ["sh", "-c", "sleep 30 & echo $! ; wait"], stdout=subprocess.PIPE,
                      text=True)
    victim = int(p.stdout.readline())
    killer = subprocess.Popen(["kill", "-KILL", str(victim)])
    assert killer.wait() == 0
    ev = daemon.wait_for(lambda e: e["process"]["pid"] == victim, what="exit of the killed child")
    assert ev["reason"] == "ProcessCrashed"
    assert ev["exit"]["signal"] == 9 and ev["exit"]["signal_name"] == "SIGKILL"
    assert ev["killer"]["pid"] == killer.pid
    assert ev["killer"]["comm"] == "kill"
    assert ev["killer"]["self"] is False and ev["killer"]["from_kernel"] is False
    assert f"was killed by SIGKILL (signal 9) sent by process {killer.pid} (kill)" in ev["message"]
    assert_attributed(ev, container)
    p.wait()


def test_pause_process_killed_from_outside_is_sandbox_changed(daemon, scratch):
    uid, cid = pod_uid(), container_id()
    cg = Cgroup(V2_ROOT, cgroupfs_path(uid, cid, qos="besteffort"))
    try:
        pause = named_copy(scratch, "sleep", "pause")
        p = run_in_cgroup(cg, ["unshare", "--pid", "--fork", "--kill-child", pause, "60"])
        # Wait until the pause process (unshare's child) runs, then kill it from the host.
        deadline = time.monotonic() + 5
        pause_pid = None
        while pause_pid is None and time.monotonic() < deadline:
            out = subprocess.run(["pgrep", "-P", str(p.pid), "-x", "pause"],
                                 capture_output=True, text=True).stdout.split()
            pause_pid = int(out[0]) if out else None
            time.sleep(0.02)
        assert pause_pid, "pause did not start"
        killer = subprocess.Popen(["kill", "-KILL", str(pause_pid)])
        killer.wait()
        p.wait()
        ev = daemon.wait_for(lambda e: e["process"]["pid"] == pause_pid,
                             what="SandboxChanged for pause")
        assert ev["reason"] == "SandboxChanged"
        assert ev["type"] == "Warning"
        assert ev["process"]["sandbox"] is True and ev["process"]["pidns_init"] is True
        assert ev["process"]["ns_pid"] == 1
        assert ev["killer"]["pid"] == killer.pid and ev["killer"]["comm"] == "kill"
        assert ev["pod"]["uid"] == uid and ev["pod"]["qos"] == "BestEffort"
        assert f"sent by process {killer.pid} (kill)" in ev["message"]
        assert "the kubelet will re-create the sandbox" in ev["message"]
    finally:
        cg.remove()


def test_oom_kill_in_20mib_container(daemon):
    uid, cid = pod_uid(), container_id()
    cg = Cgroup(V1_MEMORY, systemd_path(uid, cid))
    try:
        cg.write("memory.limit_in_bytes", 20 * MiB)
        p = run_as_container_init(cg, ["python3", "-c", "b = bytearray(100 << 20)"],
                                  stderr=subprocess.DEVNULL)
        p.wait()  # unshare 2.38 exits 1 when its child was killed: the event says how
        oom = daemon.wait_for(lambda e: e["process"]["ppid"] == p.pid and
                              e["reason"] == "OOMKilled", what="OOMKilled")
        pid = oom["process"]["pid"]
        assert oom["type"] == "Warning"
        assert oom["oom"]["confined"] is True
        assert oom["oom"]["memcg_limit_bytes"] == 20 * MiB
        assert oom["oom"]["anon_rss_bytes"] > 10 * MiB
        assert oom["oom"]["processes_killed"] == 1
        assert oom["oom"]["group_kill"] is False  # cgroup v1 has no memory.oom.group
        assert oom["oom"]["trigger_pid"] == pid
        assert oom["container"]["id"] == cid and oom["pod"]["uid"] == uid
        assert oom["cgroup"]["driver"] == "systemd"
        assert f"main process {pid} (python3)" in oom["message"]
        assert "was OOM-killed: memory limit 20 MiB" in oom["message"]
        assert "anon-rss" in oom["message"]
        ex = daemon.wait_for(lambda e: e["process"]["pid"] == pid and
                             e["reason"] == "ContainerExited", what="the exit after the OOM kill")
        assert ex["exit"]["signal"] == 9
        assert ex["oom"]["processes_killed"] is None
        assert "was OOM-killed (memory limit 20 MiB)" in ex["message"]
    finally:
        cg.remove()


def test_oom_kill_of_a_process_that_is_not_main(daemon):
    """A child OOM-killed while the main process lives on: OOMKilled, never ContainerExited."""
    uid, cid = pod_uid(), container_id()
    cg = Cgroup(V1_MEMORY, cgroupfs_path(uid, cid))
    try:
        cg.write("memory.limit_in_bytes", 20 * MiB)
        p = run_as_container_init(cg, ["sh", "-c",
                                       "python3 -c 'b = bytearray(100 << 20)' 2>/dev/null; "
                                       "sleep 0.5; exit 0"])
        oom = daemon.wait_for(lambda e: e["reason"] == "OOMKilled" and
                              (e["container"] or {}).get("id") == cid, what="OOMKilled")
        assert oom["process"]["comm"] == "python3" and oom["process"]["main"] is False
        assert oom["message"].startswith(f"process {oom['process']['pid']} (python3)")
        assert p.wait() == 0
        main = daemon.wait_for(lambda e: e["process"]["ppid"] == p.pid, what="main's exit")
        assert main["reason"] == "ContainerExited" and main["type"] == "Normal"
        assert daemon.matching(lambda e: e["reason"] == "ContainerExited" and
                               e["process"]["pid"] == oom["process"]["pid"]) == []
    finally:
        cg.remove()


def test_boring_exits_are_counted_not_sent(scratch):
    d = Daemon([])
    try:
        boring = named_copy(scratch, "true", "boring-true")
        for _ in range(1000):
            subprocess.run([boring], check=True)
    finally:
        assert d.stop() == 0, d.stderr()
    assert d.matching(lambda e: e["process"]["comm"] == "boring-true") == []
    # Other processes on the machine exit too: at least ours were counted.
    assert d.totals["filtered_in_kernel"] >= 1000, d.totals
    # Cgroups made or removed meanwhile (anyone's) send records no exit explains.
    assert d.totals["exits_seen"] >= d.totals["filtered_in_kernel"] + d.totals["records_sent"] - \
        d.totals["oom_kills"] - d.totals["cgroup_records_sent"], d.totals
    assert d.totals["records_read"] == d.totals["records_sent"], d.totals
    assert d.totals["lost"] == 0, d.totals


def test_thread_exits_are_not_process_exits(scratch):
    """10 threads come and go, then the process dies of SIGSEGV: one event, not eleven."""
    d = Daemon([])
    try:
        prog = named_copy(scratch, "/usr/bin/python3", "threaded-crash")
        script = ("import threading, ctypes\n"
                  "ts = [threading.Thread(target=lambda: None) for _ in range(10)]\n"
                  "[t.start() for t in ts]; [t.join() for t in ts]\n"
                  "t = threading.Thread(target=lambda: ctypes.string_at(0)); t.start(); t.join()\n")
        p = subprocess.run([prog, "-c", script], stderr=subprocess.DEVNULL)
        assert p.returncode == -signal.SIGSEGV
        ev = d.wait_for(lambda e: e["process"]["comm"] == "threaded-crash")
        assert ev["reason"] == "ProcessCrashed" and ev["exit"]["signal"] == 11
    finally:
        assert d.stop() == 0, d.stderr()
    assert len(d.matching(lambda e: e["process"]["comm"] == "threaded-crash")) == 1
    assert d.totals["thread_exits"] >= 10, d.totals


def boring_storm(n, *args):
    """forkexit -n N -j 2 ARGS under a fresh daemon: the daemon, stopped, with its totals."""
    forkexit = os.path.join(os.path.dirname(PODTRAIL), "tools", "forkexit")
    assert os.path.exists(forkexit), f"{forkexit} is missing: run make first"
    d = Daemon([])
    try:
        r = subprocess.run([forkexit, "-n", str(n), "-j", "2", *args, "--json"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["processes"] == n
    finally:
        assert d.stop() == 0, d.stderr()
    return d


def possible_cpus():
    """The number of possible CPUs, from the kernel's list of ranges ("0-1", "0,2-3")."""
    n = 0
    for part in open("/sys/devices/system/cpu/possible").read().strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def ring_buffer_sizes(pid):
    """max_entries of every ring-buffer map (type 27) @pid holds, from its fds."""
    sizes = []
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            info = dict(line.split(":", 1) for line in open(f"/proc/{pid}/fdinfo/{fd}") if ":" in line)
        except OSError:
            continue
        if info.get("map_type", "").strip() == "27":
            sizes.append(int(info["max_entries"]))
    return sizes


def test_ring_buffer_is_sized_by_the_cpus_unless_given():
    """auto: 64 KiB a possible CPU, a power of two from 256 KiB to 16 MiB; a size given is
    kept. The kernel's map has the size the agent says."""
    auto = 256 * 1024
    while auto < 64 * 1024 * possible_cpus() and auto < 16 << 20:
        auto *= 2
    for args, size in (([], auto), (["--ringbuf-size", "2M"], 2 << 20), (["--ringbuf-size", "auto"], auto)):
        d = Daemon(args)
        try:
            assert f"ring buffer {size // 1024} KiB" in d.stderr(), (args, d.stderr())
            assert ring_buffer_sizes(d.proc.pid) == [size], args
        finally:
            assert d.stop() == 0, d.stderr()


def test_exits_of_execd_processes_are_counted_in_the_kernel(scratch):
    """Processes that exec'd (`true`) are boring too: each counted once in the kernel, on
    whichever CPU it ends, and none sent."""
    true = shutil.which("true")
    assert true, "no `true` on PATH"
    d = boring_storm(2000, "--exec", true)
    t = d.totals
    assert d.matching(lambda e: e["process"]["comm"] == "true") == []
    assert t["filtered_in_kernel"] >= 2000, t
    assert t["records_sent"] < 100 and t["lost"] == 0, t


def test_200000_boring_exits_send_nothing(scratch):
    """Fork-bomb style churn: every exit counted in the kernel, none sent to userspace."""
    d = boring_storm(200000)
    t = d.totals
    assert d.matching(lambda e: e["process"]["comm"] == "forkexit") == []
    assert t["filtered_in_kernel"] >= 200000, t
    # What was sent came from other processes on the machine, never from the churn.
    assert t["records_sent"] < 1000, t
    assert t["records_read"] == t["records_sent"] and t["lost"] == 0, t
