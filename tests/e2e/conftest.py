"""End-to-end fixtures: the strict fake API server, the real podtrail with
--kubeconfig, and real runc containers laid out like the kubelet's (a pause
sandbox, app containers sharing its network namespace, kubelet cgroup paths
for both drivers, memory limits)."""
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from agent import NODE, PODTRAIL, ROOT, Agent, readyz, require_root  # noqa: F401 (tests import them from here)

sys.path.insert(0, os.path.join(ROOT, "tests", "fakeapi"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from fakeapi import FakeAPIServer  # noqa: E402
from cgroup_cleanup import remove_from_every_hierarchy  # noqa: E402

MiB = 1024 * 1024


def pytest_collection_modifyitems(config, items):
    """PODTRAIL_E2E_REVERSE=1 runs the tests in reverse order: none may depend on another."""
    if os.environ.get("PODTRAIL_E2E_REVERSE") == "1":
        items.reverse()


@pytest.fixture(scope="session")
def helpers(tmp_path_factory):
    """Static pause and segv binaries for the busybox rootfs."""
    require_root()
    out = tmp_path_factory.mktemp("bin")
    for name in ("pause", "segv"):
        subprocess.run(["gcc", "-static", "-O2", "-o", str(out / name),
                        os.path.join(os.path.dirname(__file__), name + ".c")], check=True)
    return out


@pytest.fixture(scope="session")
def api(tmp_path_factory):
    srv = FakeAPIServer(str(tmp_path_factory.mktemp("api")), bookmark_interval=5).start()
    srv.add_node(NODE)
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def pods_removed():
    """Every pod a test made is gone afterwards, its cgroups too, as the kubelet does."""
    yield
    while Pod.made:
        Pod.made[0].cleanup()


@pytest.fixture(scope="module")
def agent(api):
    a = Agent(api)
    yield a
    assert a.stop() == 0, a.stderr()
    t = a.totals()
    assert t["lost"] == 0 and t["decode_errors"] == 0, t


def pod_cgroup_path(driver, uid, qos="burstable"):
    if driver == "cgroupfs":
        return f"/kubepods/{qos}/pod{uid}"
    u = uid.replace("-", "_")
    return f"/kubepods.slice/kubepods-{qos}.slice/kubepods-{qos}-pod{u}.slice"


def cgroups_path(driver, uid, cid, qos="burstable"):
    leaf = cid if driver == "cgroupfs" else f"cri-containerd-{cid}.scope"
    return pod_cgroup_path(driver, uid, qos) + "/" + leaf


def wait_for_exec(pid, comm, timeout=10):
    """runc run -d returns before its init has exec'd the container's program: wait
    until the process is no longer runc's init (it may exec further, e.g. sh -c)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/comm") as f:
                if not f.read().startswith("runc"):
                    return
        except FileNotFoundError:
            return  # already gone: the test will see why
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} never exec'd {comm}")


class Pod:
    """A pod made of real runc containers: a pause sandbox and app containers in its netns."""

    made = []  # pods not cleaned up yet: the autouse fixture below removes them after each test

    def __init__(self, api, workdir, helpers, name, driver="cgroupfs", namespace="default"):
        self.api, self.helpers, self.driver = api, helpers, driver
        self.name, self.namespace = name, namespace
        self.uid = str(uuid.uuid4())
        self.dir = os.path.join(workdir, name)
        self.state = os.path.join(self.dir, "runc-state")
        os.makedirs(self.state)
        self.containers = {}  # name -> container id
        self.sandbox_id = None
        self.sandbox_pid = None
        self.running = []
        self.agent = None
        Pod.made.append(self)

    def _bundle(self, cid, args, memory=None, join_netns=True):
        b = os.path.join(self.dir, cid)
        rootfs = os.path.join(b, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        for d in ("proc", "sys", "dev", "tmp", "etc"):
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy(shutil.which("busybox"), os.path.join(rootfs, "bin", "busybox"))
        for applet in ("sh", "sleep", "dd", "kill", "true"):
            os.symlink("busybox", os.path.join(rootfs, "bin", applet))
        for h in ("pause", "segv"):
            shutil.copy(os.path.join(self.helpers, h), os.path.join(rootfs, h))
        subprocess.run(["runc", "spec"], cwd=b, check=True)
        with open(os.path.join(b, "config.json")) as f:
            spec = json.load(f)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = args
        spec["root"]["readonly"] = False
        spec["linux"]["cgroupsPath"] = cgroups_path(self.driver, self.uid, cid)
        if memory:
            spec["linux"].setdefault("resources", {})["memory"] = {"limit": memory}
        if join_netns and self.sandbox_pid:
            for ns in spec["linux"]["namespaces"]:
                if ns["type"] == "network":
                    ns["path"] = f"/proc/{self.sandbox_pid}/ns/net"
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(spec, f)
        return b

    def _runc(self, *args, **kw):
        # Output goes to a file: a detached container keeps its stdio open forever.
        with open(os.path.join(self.dir, "runc.log"), "a+") as log:
            start = log.tell()
            r = subprocess.run(["runc", "--root", self.state, *args], stdin=subprocess.DEVNULL,
                               stdout=log, stderr=log, **kw)
            log.seek(start)
            r.stderr = log.read()
        return r

    def start_sandbox(self):
        cid = uuid.uuid4().hex * 2
        b = self._bundle(cid, ["/pause"], join_netns=False)
        r = self._runc("run", "-d", "--bundle", b, "--pid-file", os.path.join(b, "pid"), cid)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(b, "pid")) as f:
            self.sandbox_pid = int(f.read())
        self.sandbox_id = cid
        wait_for_exec(self.sandbox_pid, "pause")
        self.running.append(cid)
        return cid

    def new_container(self, name):
        cid = uuid.uuid4().hex * 2
        self.containers[name] = cid
        return cid

    def run(self, name, args, memory=None, timeout=60, cid=None):
        """Run container @name in the foreground; returns its exit status."""
        cid = cid or self.containers.get(name) or self.new_container(name)
        b = os.path.join(self.dir, cid)
        if not os.path.exists(b):
            self._bundle(cid, args, memory)
        r = self._runc("run", "--bundle", b, cid, timeout=timeout)
        self._runc("delete", "-f", cid)
        return r.returncode

    def start(self, name, args, memory=None):
        """Run container @name detached; returns its init pid."""
        cid = self.containers.get(name) or self.new_container(name)
        b = self._bundle(cid, args, memory)
        r = self._runc("run", "-d", "--bundle", b, "--pid-file", os.path.join(b, "pid"), cid)
        assert r.returncode == 0, r.stderr
        self.running.append(cid)
        with open(os.path.join(b, "pid")) as f:
            pid = int(f.read())
        wait_for_exec(pid, os.path.basename(args[0]))
        return pid

    def register(self):
        """Tell the API server about the pod, as the kubelet would."""
        containers = [{"name": n, "containerID": "containerd://" + c}
                      for n, c in self.containers.items()]
        self.api.add_pod(self.name, namespace=self.namespace, uid=self.uid, node_name=NODE,
                         containers=containers)

    def events(self, reason=None):
        return [e for e in self.api.events(self.namespace)
                if e["involvedObject"].get("uid") == self.uid and
                (reason is None or e["reason"] == reason)]

    def wait_event(self, reason, pred=lambda e: True, timeout=15):
        got = self.api.wait_until(lambda: [e for e in self.events(reason) if pred(e)], timeout)
        assert got, (f"no {reason} event for pod {self.name} (uid {self.uid}); events: " +
                     json.dumps(self.events(), indent=1) + "\nagent stderr (tail):\n" +
                     (self.agent.stderr()[-4000:] if self.agent else ""))
        return got[0]

    def cleanup(self):
        if self in Pod.made:
            Pod.made.remove(self)
        for cid in self.running:
            self._runc("delete", "-f", cid)
        self.running = []
        left = remove_from_every_hierarchy(pod_cgroup_path(self.driver, self.uid))
        assert not left, f"pod cgroups still busy after its containers were deleted: {left}"
