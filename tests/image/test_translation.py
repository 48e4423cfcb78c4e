"""The kubelet emulation itself (kubelet.py), without running anything: what it
makes of the rendered DaemonSet, and that a field it does not know fails the test
instead of being dropped (so a new field in deploy/ is noticed here)."""
import copy

import pytest

import deploy_helpers
import kubelet

SA = ("podtrail", "podtrail")


@pytest.fixture
def daemonset(manifests):
    return copy.deepcopy(deploy_helpers.find(manifests, "DaemonSet", "podtrail"))


def translate(ds, tmp_path):
    node = kubelet.Node("n1", {"kubernetes.io/os": "linux"}, "192.0.2.10")
    ca = tmp_path / "ca.crt"
    ca.write_text("not a real CA\n")
    return kubelet.translate(ds, node, "192.0.2.1", 6443, str(tmp_path), "tok", str(ca), token_users={SA})


def test_the_daemonset_as_the_kubelet_sends_it(daemonset, tmp_path):
    p = translate(daemonset, tmp_path)
    c = p.container_config
    sc = c["linux"]["security_context"]
    assert sc["capabilities"] == {"add_capabilities": ["BPF", "PERFMON"], "drop_capabilities": ["ALL"]}
    assert sc["readonly_rootfs"] and sc["no_new_privs"] and not sc["privileged"]
    assert sc["run_as_user"] == {"value": 0} and sc["run_as_group"] == {"value": 0}
    assert sc["seccomp"] == {"profile_type": "RuntimeDefault"}
    assert sc["namespace_options"] == {"network": "POD", "pid": "CONTAINER", "ipc": "POD"}
    res = c["linux"]["resources"]
    assert res["memory_limit_in_bytes"] == 128 << 20 and res["cpu_shares"] == 20 and res["cpu_quota"] == 0
    assert res["oom_score_adj"] == -997   # system-node-critical
    assert p.cgroup_parent == f"/kubepods/burstable/pod{p.uid}"
    mounts = {m["container_path"]: m for m in c["mounts"]}
    for path in ("/sys/kernel/btf", "/sys/kernel/tracing", "/host/run/containerd/io.containerd.runtime.v2.task",
                 "/host/run/containers/storage/overlay-containers",
                 "/host/var/lib/containers/storage/overlay-containers", kubelet.SA_MOUNT):
        assert mounts[path]["readonly"], path
    assert not mounts["/etc/hosts"]["readonly"] and not mounts["/dev/termination-log"]["readonly"]
    env = {e["key"]: e["value"] for e in c["envs"]}
    assert env["PODTRAIL_NODE_NAME"] == "n1"
    assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == ("192.0.2.1", "6443")
    assert env["PODTRAIL_DOCKER_ROOT"] == ""
    assert p.grace_period == 15 and set(p.probes) == {"startupProbe", "livenessProbe", "readinessProbe"}
    assert all(pr.port == 9090 for pr in p.probes.values())
    sb = p.sandbox_config
    assert sb["hostname"] == p.name and sb["port_mappings"][0]["container_port"] == 9090
    assert sb["linux"]["security_context"]["seccomp"] == {"profile_type": "RuntimeDefault"}
    token = tmp_path / "kubelet" / "pods" / p.uid
    assert (p.sa_volume.startswith(str(token)) and
            open(p.sa_volume + "/token").read() == "tok" and open(p.sa_volume + "/namespace").read() == "podtrail")


@pytest.mark.parametrize("where, field, value", [
    ("pod", "hostAliases", [{"ip": "192.0.2.9", "hostnames": ["x"]}]),
    ("pod", "runtimeClassName", "gvisor"),
    ("container", "lifecycle", {"preStop": {"exec": {"command": ["true"]}}}),
    ("container", "envFrom", [{"configMapRef": {"name": "x"}}]),
    ("securityContext", "seLinuxOptions", {"type": "spc_t"}),
    ("probe", "grpc", {"port": 9090}),
    ("volume", "emptyDir", {}),
    ("template", "labels2", {}),
])
def test_an_untranslated_field_fails_loudly(daemonset, tmp_path, where, field, value):
    spec = daemonset["spec"]["template"]["spec"]
    target = {"pod": spec, "container": spec["containers"][0],
              "securityContext": spec["containers"][0]["securityContext"],
              "probe": spec["containers"][0]["livenessProbe"], "volume": spec["volumes"][0],
              "template": daemonset["spec"]["template"]}[where]
    target[field] = value
    with pytest.raises(AssertionError) as e:
        translate(daemonset, tmp_path)
    assert field in str(e.value), str(e.value)
