"""deploy/: the kustomization renders with the real kubectl, every object
survives `kubectl create --dry-run=client` and the Kubernetes 1.32 schema,
the RBAC grants exactly what podtrail needs, and the DaemonSet has the
privileges, mounts, probes and resources deploy/README.md documents."""

import json
import os
import re
import subprocess

import pytest

import deploy_helpers as h
from deploy_helpers import find
from deploy_fixtures import container, daemonset, dry_run, kubectl_version, objects, pod_spec, rendered  # noqa: F401

NAMESPACE = "podtrail"

EXPECTED_OBJECTS = {
    ("Namespace", "podtrail"),
    ("ServiceAccount", "podtrail"),
    ("ClusterRole", "podtrail"),
    ("ClusterRoleBinding", "podtrail"),
    ("DaemonSet", "podtrail"),
    ("ConfigMap", "podtrail-grafana-dashboard"),
    ("PodMonitor", "podtrail"),
}

# Host paths, all read-only: what each is for is in deploy/README.md.
HOST_MOUNTS = {
    "/sys/kernel/btf": "/sys/kernel/btf",
    "/sys/kernel/tracing": "/sys/kernel/tracing",
    "/run/containerd/io.containerd.runtime.v2.task": "/host/run/containerd/io.containerd.runtime.v2.task",
    "/run/containers/storage/overlay-containers": "/host/run/containers/storage/overlay-containers",
    "/var/lib/containers/storage/overlay-containers": "/host/var/lib/containers/storage/overlay-containers",
}
RUNTIME_HOST_MOUNTS = {p for p in HOST_MOUNTS if not p.startswith("/sys/")}


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


# ---- rendering and parsing ----------------------------------------------------


def test_kustomization_renders_every_object(objects):
    got = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert got == EXPECTED_OBJECTS


def test_kubectl_create_dry_run_client_sends_nothing(rendered, dry_run):
    objects, requests = dry_run
    assert len(objects) == rendered.count("\nkind: ") + rendered.startswith("kind: ")
    assert requests, "kubectl did not ask the fake API server for discovery"
    assert {m for m, _ in requests} == {"GET"}, f"a client-side dry run wrote to the server: {requests}"


def test_namespaced_objects_are_in_the_podtrail_namespace(objects):
    for o in objects:
        if o["kind"] in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert "namespace" not in o["metadata"], o["kind"]
        else:
            assert o["metadata"]["namespace"] == NAMESPACE, o["kind"]


def test_builtin_objects_match_the_kubernetes_1_32_schema(objects):
    types = h.load_schema("k8s-1.32.json")["types"]
    errors = []
    for o in objects:
        if o["kind"] != "PodMonitor":
            errors += h.validate_k8s(o, types)
    assert errors == []


def test_schema_validation_catches_a_misspelt_field(daemonset):
    """The validator is not a no-op: one wrong letter in a field name fails."""
    types = h.load_schema("k8s-1.32.json")["types"]
    bad = json.loads(json.dumps(daemonset))
    sc = bad["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    sc["readOnlyRootFileSystem"] = sc.pop("readOnlyRootFilesystem")
    bad["spec"]["template"]["spec"]["hostPID"] = "false"
    assert sorted(h.validate_k8s(bad, types)) == [
        'DaemonSet/podtrail.spec.template.spec.containers[0].securityContext: unknown field "readOnlyRootFileSystem"',
        "DaemonSet/podtrail.spec.template.spec.hostPID: 'false' is not a boolean",
    ]


def test_podmonitor_matches_the_prometheus_operator_crd(objects):
    crd = h.load_schema("podmonitor-v0.93.0.json")
    pm = find(objects, "PodMonitor")
    assert pm["apiVersion"] == f"{crd['group']}/{crd['version']}"
    types = h.load_schema("k8s-1.32.json")["types"]
    assert h.validate_custom(pm, crd, types) == []
    bad = json.loads(json.dumps(pm))
    bad["spec"]["podMetricsEndpoints"][0]["intervall"] = "30s"
    bad["metadata"]["label"] = {}
    assert h.validate_custom(bad, crd, types) == [
        'PodMonitor/podtrail.metadata: unknown field "label"',
        'PodMonitor/podtrail.spec.podMetricsEndpoints[0]: unknown field "intervall"']


# ---- RBAC ------------------------------------------------------------------------


def test_rbac_grants_exactly_pods_read_and_events_write(objects):
    roles = [o for o in objects if o["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")]
    assert sorted(o["kind"] for o in roles) == ["ClusterRole", "ClusterRoleBinding"]
    role = find(objects, "ClusterRole", "podtrail")
    assert "aggregationRule" not in role
    grants = set()
    for rule in role["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, f"unexpected rule fields: {rule}"
        for g in rule["apiGroups"]:
            for r in rule["resources"]:
                for v in rule["verbs"]:
                    grants.add((g, r, v))
    assert grants == {
        ("", "pods", "get"), ("", "pods", "list"), ("", "pods", "watch"),
        ("", "events", "create"), ("", "events", "patch"),
        ("events.k8s.io", "events", "create"), ("events.k8s.io", "events", "patch"),
    }


def test_rbac_is_bound_to_the_daemonsets_service_account(objects, pod_spec):
    sa = find(objects, "ServiceAccount", "podtrail")
    binding = find(objects, "ClusterRoleBinding", "podtrail")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "podtrail"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                    "namespace": sa["metadata"]["namespace"]}]
    assert pod_spec["serviceAccountName"] == sa["metadata"]["name"]
    assert pod_spec.get("automountServiceAccountToken", True) is True


def test_namespace_admits_the_daemonset(objects):
    ns = find(objects, "Namespace", NAMESPACE)
    # "baseline" refuses hostPath volumes and the BPF/PERFMON/SYS_RESOURCE capabilities.
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


# ---- the DaemonSet's privileges -----------------------------------------------------


def test_container_is_not_privileged_and_holds_only_its_capabilities(pod_spec, container):
    sc = container["securityContext"]
    assert sc.get("privileged", False) is False
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["BPF", "PERFMON", "SYS_RESOURCE"]}
    # Root on purpose (deploy/README.md): UID 0 without any DAC capability.
    assert sc["runAsUser"] == 0 and sc["runAsNonRoot"] is False
    assert "procMount" not in sc and "windowsOptions" not in sc
    seccomp = (sc.get("seccompProfile") or pod_spec["securityContext"]["seccompProfile"])["type"]
    assert seccomp == "RuntimeDefault"


def test_pod_shares_no_host_namespace(pod_spec):
    # hostPID: not needed (deploy/README.md, "hostPID"); nor the others.
    for key in ("hostPID", "hostIPC", "hostNetwork"):
        assert pod_spec.get(key, False) is False, key
    assert pod_spec.get("shareProcessNamespace", False) is False
    assert "initContainers" not in pod_spec and "ephemeralContainers" not in pod_spec


def test_runs_on_every_node(daemonset, pod_spec):
    assert pod_spec["tolerations"] == [{"operator": "Exists"}]
    assert pod_spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert "affinity" not in pod_spec
    assert pod_spec["priorityClassName"] == "system-node-critical"
    assert daemonset["spec"]["updateStrategy"]["type"] == "RollingUpdate"


def test_node_name_comes_from_the_downward_api(container):
    env = env_of(container)
    assert env["PODTRAIL_NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}


def test_host_mounts_are_read_only_and_minimal(pod_spec, container):
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    host = {v["hostPath"]["path"]: name for name, v in volumes.items() if "hostPath" in v}
    assert set(host) == set(HOST_MOUNTS)
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert set(mounts) == set(volumes), "every volume is mounted, and only those"
    for path, target in HOST_MOUNTS.items():
        m = mounts[host[path]]
        assert m["mountPath"] == target
        assert m["readOnly"] is True, path
        assert m.get("recursiveReadOnly") == "IfPossible", path
        assert m.get("mountPropagation", "None") == "None", path
        assert "subPath" not in m and "subPathExpr" not in m
    for name, v in volumes.items():
        if v["hostPath"]["path"] in ("/sys/kernel/btf", "/sys/kernel/tracing"):
            assert v["hostPath"]["type"] == "Directory"


def test_no_host_path_exposes_a_socket_or_the_whole_tree(pod_spec):
    """/run/containerd holds containerd.sock, /run and /var/run every runtime's
    socket, /sys/fs/cgroup writable cgroup controllers on a hybrid host: a
    read-only bind mount stops none of that (a socket can be connected to
    through one), so none of them and none of their parents is mounted."""
    paths = [v["hostPath"]["path"] for v in pod_spec["volumes"] if "hostPath" in v]
    forbidden = ["/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/crio/crio.sock",
                 "/run/docker.sock", "/var/run/docker.sock", "/sys/fs/cgroup", "/proc", "/dev",
                 "/var/lib/kubelet", "/etc", "/var/lib/containerd"]
    for p in paths:
        for f in forbidden:
            assert not (f + "/").startswith(p.rstrip("/") + "/"), f"hostPath {p} exposes {f}"
            assert not p.startswith(f + "/") and p != f, f"hostPath {p} is under {f}"


def test_runtime_state_env_points_into_the_mounts(container):
    env = env_of(container)
    targets = [HOST_MOUNTS[p] for p in RUNTIME_HOST_MOUNTS]
    for var in ("PODTRAIL_CONTAINERD_STATE", "PODTRAIL_CRIO_STATE", "PODTRAIL_CRIO_STORAGE"):
        root = env[var]["value"]
        assert any(t.startswith(root.rstrip("/") + "/") for t in targets), f"{var}={root} has no mount under it"
    assert env["PODTRAIL_DOCKER_ROOT"]["value"] == "", "Docker's root is not mounted: podtrail must not look for it"


def test_probes_and_metrics_port(container):
    env = env_of(container)
    ports = {p["name"]: p for p in container["ports"]}
    assert ports["metrics"]["containerPort"] == 9090 and ports["metrics"]["protocol"] == "TCP"
    host, _, port = env["PODTRAIL_METRICS_ADDRESS"]["value"].rpartition(":")
    assert host in ("0.0.0.0", "[::]") and int(port) == ports["metrics"]["containerPort"], \
        "the kubelet probes and Prometheus scrapes the pod IP: listen on it"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["livenessProbe"]["failureThreshold"] >= 3


QUANTITY = re.compile(r"^(\d+)(m|Ki|Mi|Gi)?$")


def quantity(q):
    n, unit = QUANTITY.match(str(q)).groups()
    return int(n) * {"m": 1, None: 1000, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}[unit]


def test_resources_are_set(container):
    r = container["resources"]
    assert set(r["requests"]) == {"cpu", "memory"}
    # No CPU limit: throttling the reader is how ring-buffer records get lost.
    assert set(r["limits"]) == {"memory"}
    assert quantity(r["limits"]["memory"]) >= quantity(r["requests"]["memory"])


def test_image_is_tagged_with_the_podtrail_version(container):
    name, _, tag = container["image"].rpartition(":")
    assert name and tag and tag != "latest", container["image"]
    version = h.run([h.podtrail_binary(), "--version"]).split()[-1]
    assert tag == version, f"image tag {tag} but podtrail --version says {version}"


def test_environment_variables_are_podtrails(container):
    """Every PODTRAIL_* variable the DaemonSet sets is one `podtrail --help`
    documents, and podtrail accepts its value."""
    binary = h.podtrail_binary()
    documented = set(re.findall(r"\(environment: (PODTRAIL_[A-Z0-9_]+)\)", h.run([binary, "--help"])))
    env = env_of(container)
    unknown = sorted(n for n in env if n.startswith("PODTRAIL_") and n not in documented)
    assert unknown == [], f"podtrail --help does not know {unknown}"
    values = {n: e["value"] for n, e in env.items() if "value" in e}
    values["PODTRAIL_NODE_NAME"] = "node-1"
    p = subprocess.run([binary, "--version"], env=values, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr


# ---- components ----------------------------------------------------------------------


def render_with(tmp_path, *components):
    kz = tmp_path / "kustomization.yaml"
    rel = lambda p: os.path.relpath(p, tmp_path)  # noqa: E731
    kz.write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                  f"resources:\n  - {rel(h.DEPLOY)}\ncomponents:\n"
                  + "".join(f"  - {rel(os.path.join(h.DEPLOY, 'components', c))}\n" for c in components))
    objs, _ = h.dry_run(h.kustomize(str(tmp_path)), str(tmp_path))
    ds = find(objs, "DaemonSet", "podtrail")
    return objs, ds["spec"]["template"]["spec"]


def test_component_no_sys_resource(tmp_path):
    _, spec = render_with(tmp_path, "no-sys-resource")
    assert spec["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["BPF", "PERFMON"]}


def test_component_no_runtime_metadata(tmp_path):
    objs, spec = render_with(tmp_path, "no-runtime-metadata")
    c = spec["containers"][0]
    host = {v["hostPath"]["path"] for v in spec["volumes"]}
    assert host == set(HOST_MOUNTS) - RUNTIME_HOST_MOUNTS
    assert {m["name"] for m in c["volumeMounts"]} == {v["name"] for v in spec["volumes"]}
    env = env_of(c)
    assert env["PODTRAIL_NO_RUNTIME_METADATA"]["value"] == "1"
    assert not {"PODTRAIL_CONTAINERD_STATE", "PODTRAIL_CRIO_STATE", "PODTRAIL_CRIO_STORAGE"} & set(env)
    types = h.load_schema("k8s-1.32.json")["types"]
    assert h.validate_k8s(find(objs, "DaemonSet"), types) == []


def test_component_seccomp_unconfined(tmp_path):
    _, spec = render_with(tmp_path, "seccomp-unconfined")
    assert spec["securityContext"]["seccompProfile"] == {"type": "Unconfined"}
    assert spec["containers"][0]["securityContext"]["capabilities"]["add"] == ["BPF", "PERFMON", "SYS_RESOURCE"]


def test_agent_alone_renders_without_the_monitoring_objects(tmp_path):
    objs, _ = h.dry_run(h.kustomize(os.path.join(h.DEPLOY, "agent")), str(tmp_path))
    assert {o["kind"] for o in objs} == {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet"}


@pytest.mark.parametrize("namespace", ["observability"])
def test_another_namespace_moves_everything(tmp_path, namespace):
    kz = tmp_path / "kustomization.yaml"
    kz.write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                  f"namespace: {namespace}\nresources:\n  - {os.path.relpath(h.DEPLOY, tmp_path)}\n")
    objs, _ = h.dry_run(h.kustomize(str(tmp_path)), str(tmp_path))
    assert find(objs, "Namespace")["metadata"]["name"] == namespace
    assert find(objs, "ClusterRoleBinding")["subjects"][0]["namespace"] == namespace
    assert find(objs, "DaemonSet")["metadata"]["namespace"] == namespace
