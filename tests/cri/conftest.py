"""Fixtures of the CRI suite: a private containerd driven through the CRI as the
kubelet drives it (cri.py), the strict fake API server, and the real podtrail
pointed at both. Needs root; anything missing fails loudly, nothing is skipped."""
import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakeapi"))
import cri  # noqa: E402
from agent import NODE, Agent  # noqa: E402
from fakeapi import FakeAPIServer  # noqa: E402


def require_root():
    assert os.geteuid() == 0, "the CRI tests need root (containerd, runc, cgroups)"
    for tool in ("containerd", "containerd-shim-runc-v2", "ctr", "runc", "busybox", "gcc", "protoc"):
        assert shutil.which(tool), f"{tool} is missing: run make deps"


@pytest.fixture(scope="session")
def containerd(tmp_path_factory):
    """The session's private containerd; at the end nothing of it may be left
    (shims, mounts, our pods' cgroups)."""
    require_root()
    with cri.running_containerd(tmp_path_factory.mktemp("containerd")) as c:
        yield c


@pytest.fixture(scope="session")
def images(containerd):
    """{image name: image id} of the pause and workload images, in containerd."""
    return cri.import_images(containerd, cri.build_images())


@pytest.fixture(scope="session")
def api(tmp_path_factory):
    srv = FakeAPIServer(str(tmp_path_factory.mktemp("api")), bookmark_interval=5).start()
    srv.add_node(NODE)
    yield srv
    srv.stop()


@pytest.fixture
def kubelet(containerd, images, api):
    """A kubelet for one test; its pods are deleted at the end (grace period 0) and
    must leave no shim and no pod cgroup behind."""
    k = cri.Kubelet(containerd, api, NODE)
    yield k
    errors = k.cleanup()
    assert not errors, errors
    assert cri.wait_for(lambda: not containerd.shims(), 5), f"shims left: {containerd.shims()}"
    left = [d for p in k.pods for d in cri.cgroup_dirs(p.cgroup_parent)]
    assert not left, f"pod cgroups left: {left}"


@pytest.fixture
def agent_factory(api, containerd):
    """start(*args, containerd_state=True, **Agent kwargs) -> a running podtrail
    reading the private containerd's state dir. At the end each is stopped and must
    exit 0 having lost no record."""
    agents = []

    def start(*args, containerd_state=True, **kw):
        extra = ["--containerd-state", containerd.state] if containerd_state else []
        a = Agent(api, args=[*extra, *args], **kw)
        agents.append(a)
        return a
    yield start
    rcs = [a.stop() for a in agents]   # all stopped before any assertion
    for a, rc in zip(agents, rcs):
        assert rc == 0, a.stderr()
        t = a.totals()
        assert t.get("lost") == 0 and t.get("decode_errors", 0) == 0, (t, a.stderr()[-4000:])
