"""Fixtures of tests/image: podtrail's image (build/podtrail-image.tar, `make image`)
run as its DaemonSet runs it, under a private containerd driven through the CRI
(tests/cri/cri.py) from the rendered manifests (kubelet.py), with a pod network
(CNI bridge) and the strict fake API server listening on that network's gateway.
Needs root; anything missing fails loudly, nothing is skipped."""
import json
import os
import secrets
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "cri"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakeapi"))
sys.path.insert(0, os.path.join(ROOT, "tests", "deploy"))
import cri  # noqa: E402
import deploy_helpers  # noqa: E402
import kubelet  # noqa: E402
from fakeapi import FakeAPIServer  # noqa: E402

NODE = "image-node"
ARCHIVE = os.environ.get("PODTRAIL_IMAGE_ARCHIVE", os.path.join(ROOT, "build", "podtrail-image.tar"))
# This machine's processes lack CAP_SYS_RESOURCE in their bounding set (so do
# the containers runc starts): the DaemonSet is rendered with the component for
# kernels >= 5.11, which does not ask for it.
COMPONENTS = ["no-sys-resource"]


def version():
    with open(os.path.join(ROOT, "userspace", "version.h")) as f:
        for line in f:
            if line.startswith("#define PODTRAIL_VERSION "):
                return line.split('"')[1]
    raise AssertionError("no PODTRAIL_VERSION in userspace/version.h")


def require():
    assert os.geteuid() == 0, "tests/image needs root (containerd, runc, cgroups, a bridge)"
    for tool in ("containerd", "containerd-shim-runc-v2", "ctr", "runc", "ip", "protoc", "busybox", "gcc"):
        assert shutil.which(tool), f"{tool} is missing: run make test-image (it installs what it needs)"
    assert os.path.exists(ARCHIVE), f"{ARCHIVE} is missing: run make image (make test-image does)"


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    require()
    return str(tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="session")
def network(workdir):
    net = kubelet.PodNetwork(workdir).up()
    yield net
    net.down()


@pytest.fixture(scope="session")
def containerd(workdir, network):
    """A private containerd whose CRI plugin gives non-hostNetwork pods an address
    on the bridge; at the end nothing of it may be left."""
    with cri.running_containerd(
            os.path.join(workdir, "containerd"),
            prepare=lambda c: network.write_cni_config(os.path.join(c.dir, "cni"))) as c:
        yield c


@pytest.fixture(scope="session")
def images(containerd):
    """{name: image id}: podtrail's archive imported as users import it
    (`ctr -n k8s.io images import`), and the test pause and workload images."""
    ids = cri.import_images(containerd, cri.build_images())
    containerd.ctr("-n", cri.K8S_NAMESPACE, "images", "import", ARCHIVE)
    ref = f"podtrail:{version()}"
    ids[ref] = containerd.call("ImageStatus", {"image": {"image": ref}}).image.id
    assert ids[ref], f"{ARCHIVE} imported, but the CRI knows no image {ref}: " + \
        containerd.ctr("-n", cri.K8S_NAMESPACE, "images", "ls").stdout
    return ids


@pytest.fixture(scope="session")
def manifests(containerd, tmp_path_factory):
    """The objects `kubectl apply -k` of an overlay would create: deploy/ with
    the no-sys-resource component, and containerd's task directory at this
    private containerd's state (a node whose containerd keeps its state
    elsewhere patches that volume the same way: deploy/README.md, "Runtime
    state directories"). Rendered by kubectl kustomize, decoded by kubectl's
    client-side dry run (tests/deploy/deploy_helpers.py)."""
    d = tmp_path_factory.mktemp("overlay")
    deploy = os.path.relpath(deploy_helpers.DEPLOY, str(d))
    tasks = os.path.join(containerd.state, cri.TASKS)
    os.makedirs(tasks, exist_ok=True)
    patch = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "podtrail", "namespace": "podtrail"},
             "spec": {"template": {"spec": {"volumes": [{"name": "containerd-tasks",
                                                         "hostPath": {"path": tasks}}]}}}}
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": [deploy],
                     "components": [f"{deploy}/components/{c}" for c in COMPONENTS],
                     "patches": [{"target": {"kind": "DaemonSet", "name": "podtrail"},
                                  "patch": json.dumps(patch)}]}
    with open(d / "kustomization.yaml", "w") as f:
        json.dump(kustomization, f, indent=1)
    objects, requests = deploy_helpers.dry_run(deploy_helpers.kustomize(str(d)), str(d))
    assert all(m == "GET" for m, _ in requests)
    return objects


@pytest.fixture(scope="session")
def service_account(manifests):
    """(namespace, name, RBAC rules) of the DaemonSet's ServiceAccount: the rules
    of every ClusterRole a ClusterRoleBinding of the manifests grants it."""
    ds = deploy_helpers.find(manifests, "DaemonSet", "podtrail")
    ns = ds["metadata"]["namespace"]
    sa = ds["spec"]["template"]["spec"].get("serviceAccountName", "default")
    deploy_helpers.find([o for o in manifests if o["metadata"].get("namespace") == ns],
                        "ServiceAccount", sa)
    rules = []
    for b in (o for o in manifests if o["kind"] == "ClusterRoleBinding"):
        if {"kind": "ServiceAccount", "name": sa, "namespace": ns} in b.get("subjects", []):
            rules += deploy_helpers.find(manifests, "ClusterRole", b["roleRef"]["name"])["rules"]
    assert rules, f"no ClusterRoleBinding grants serviceaccount {ns}/{sa} anything"
    return ns, sa, rules


@pytest.fixture(scope="session")
def sa_token(service_account):
    return "sa-" + secrets.token_hex(20)


@pytest.fixture(scope="session")
def api(workdir, network, service_account, sa_token):
    """The fake API server on the pod network's gateway (its certificate names
    that address), knowing the ServiceAccount's token with exactly the rules the
    manifests' RBAC grants it (anything else is 403)."""
    ns, sa, rules = service_account
    srv = FakeAPIServer(os.path.join(workdir, "api"), host=network.gateway, bookmark_interval=5,
                        tokens={sa_token: {"user": f"system:serviceaccount:{ns}:{sa}", "rules": rules}}).start()
    srv.add_node(NODE, labels={"kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux",
                               "kubernetes.io/arch": "amd64"})
    srv.add_namespace(ns)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def node(api, network):
    n = api.get("nodes", "", NODE)
    return kubelet.Node(NODE, n["metadata"]["labels"], network.gateway)
