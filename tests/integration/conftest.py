"""Shared fixtures for the integration tests: they need root, real BPF and
real cgroups, and fail loudly (never skip) when they cannot have them."""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PODTRAIL_BUILD", "build"))
PODTRAIL = os.path.join(BUILD, "podtrail")
V2_ROOT = "/sys/fs/cgroup/unified" if os.path.ismount("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
V1_MEMORY = "/sys/fs/cgroup/memory"


def require_root():
    assert os.geteuid() == 0, "integration tests need root (BPF, cgroups, namespaces)"
    assert os.path.exists(PODTRAIL), f"{PODTRAIL} is missing: run make first"


class Daemon:
    """A running podtrail whose stdout lines are parsed as JSON events."""

    def __init__(self, args, prefix=()):
        """prefix: a command that runs the agent (its argv last), e.g. in other namespaces."""
        require_root()
        self.proc = subprocess.Popen([*prefix, PODTRAIL, "--output", "json", "-v", "1",
                                      "--metrics-address", "127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.stderr_lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        assert self.ready.wait(30), "podtrail did not attach within 30 s: " + self.stderr()
        self.totals = None

    def _read_stdout(self):
        for line in self.proc.stdout:
            ev = json.loads(line)
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)
            if "attached" in line:
                self.ready.set()
        self.ready.set()

    def stderr(self):
        return "".join(self.stderr_lines)

    def metrics_url(self, path="/metrics"):
        m = re.search(r"serving /metrics, /healthz and /readyz on port (\d+)", self.stderr())
        assert m, "podtrail did not say where it serves metrics: " + self.stderr()
        return f"http://127.0.0.1:{m.group(1)}{path}"

    def wait_for(self, pred, timeout=10.0, what="event"):
        """The first event that satisfies pred, waiting up to timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events:
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no {what} within {timeout}s; events: "
                                         + json.dumps(self.events[-10:], indent=1)
                                         + "\nstderr: " + self.stderr())
                self.cond.wait(left)

    def matching(self, pred):
        with self.lock:
            return [ev for ev in self.events if pred(ev)]

    def stop(self):
        """SIGINT, wait, and parse the totals line into a dict."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(30)
        time.sleep(0.1)
        m = re.search(r"totals: (.*)", self.stderr())
        assert m, "no totals line on stderr: " + self.stderr()
        self.totals = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
        return rc


class Cgroup:
    """A kubelet-style cgroup directory in one hierarchy, removed afterwards."""

    def __init__(self, root, rel):
        self.path = os.path.join(root, rel.strip("/"))
        os.makedirs(self.path, exist_ok=True)
        self.rel = "/" + rel.strip("/")

    def write(self, name, value):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(str(value))

    def remove(self):
        # Leaf first, then the parents this test created (empty ones only).
        path = self.path
        for _ in range(8):
            if not path.startswith("/sys/fs/cgroup/") or path.count("/") <= 4:
                break
            try:
                os.rmdir(path)
            except OSError:
                break
            path = os.path.dirname(path)


def pod_uid():
    return str(uuid.uuid4())


def container_id():
    return uuid.uuid4().hex + uuid.uuid4().hex


def cgroupfs_path(uid, cid, qos="burstable"):
    qos_dir = "" if qos == "guaranteed" else qos + "/"
    return f"kubepods/{qos_dir}pod{uid}/{cid}"


def systemd_path(uid, cid, qos="burstable", runtime="cri-containerd"):
    u = uid.replace("-", "_")
    if qos == "guaranteed":
        return f"kubepods.slice/kubepods-pod{u}.slice/{runtime}-{cid}.scope"
    return (f"kubepods.slice/kubepods-{qos}.slice/kubepods-{qos}-pod{u}.slice/"
            f"{runtime}-{cid}.scope")


def run_in_cgroup(cgroup, argv, **kw):
    """Start argv as the first process of a cgroup, in the host's pid namespace: its parent
    (this test) lives elsewhere. Without a runtime's record nobody can tell whether such a
    process is a container's main one."""
    script = 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"'
    return subprocess.Popen(["sh", "-c", script, "sh", cgroup.path, *argv], **kw)


def run_as_container_init(cgroup, argv, **kw):
    """Start argv as pid 1 of a new pid namespace, which moves itself into the cgroup while
    its parent (unshare, the returned process) stays outside: a runtime starting a
    container's main process, as far as the kernel can tell. Its host pid is the only
    child of the returned process."""
    script = 'echo 0 > "$1/cgroup.procs" && shift && exec "$@"'
    return subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "sh", "-c", script,
                             "sh", cgroup.path, *argv], **kw)


@pytest.fixture
def scratch(tmp_path):
    """A directory for programs renamed to a known comm (pause, ...)."""
    return tmp_path


def named_copy(directory, binary, name):
    dst = os.path.join(directory, name)
    shutil.copy(shutil.which(binary), dst)
    return dst
