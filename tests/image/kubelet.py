"""The kubelet's side of podtrail's DaemonSet, for tests/image: the pod template of
the rendered manifests (`kubectl kustomize` + `kubectl create --dry-run=client`)
turned into the CRI requests a kubelet (1.32, cgroupfs driver) sends containerd,
field by field, and its probes run as the kubelet's prober runs them.

Every field of the pod template is read through Fields: one that this module
does not translate fails the test (Untranslated), so that a field added to the
manifests cannot be silently ignored here. Defaults the API server would fill in
(dnsPolicy, restartPolicy, terminationMessagePath, probe thresholds, ...) are
applied where the kubelet reads them.

What a node has that this machine lacks is said where it is replaced: the
"kubernetes" Service's ClusterIP:port is the fake API server's address on the
pod network's bridge; the Node is the fake API server's Node object.

A plain module (no pytest). Uses tests/cri/cri.py for containerd and cgroups."""
import hashlib
import http.client
import ipaddress
import json
import os
import random
import re
import secrets
import subprocess
import threading
import time
import uuid

import cri

MiB = 1 << 20
SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
# scheduling.SystemCriticalPriority and the two built-in classes.
CRITICAL_PRIORITY = 2000000000
PRIORITY_CLASSES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
GUARANTEED_OOM_SCORE_ADJ = -997   # kubelet/qos: also what a node-critical pod gets
BESTEFFORT_OOM_SCORE_ADJ = 1000
QUOTA_PERIOD = 100000             # cpu.cfs_period_us the kubelet sets
KUBE_VERSION = "1.32"
# The kubelet's default masked paths (1.32 added powercap) and read-only paths.
MASKED_PATHS = cri.MASKED_PATHS + ["/sys/devices/virtual/powercap"]
READONLY_PATHS = cri.READONLY_PATHS
# containerd's CRI turns capability names into CAP_<name>; these are the names
# the kubelet passes on (it passes them as written).
CAP_BITS = {"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4, "KILL": 5,
            "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "LINUX_IMMUTABLE": 9, "NET_BIND_SERVICE": 10,
            "NET_BROADCAST": 11, "NET_ADMIN": 12, "NET_RAW": 13, "IPC_LOCK": 14, "IPC_OWNER": 15,
            "SYS_MODULE": 16, "SYS_RAWIO": 17, "SYS_CHROOT": 18, "SYS_PTRACE": 19, "SYS_PACCT": 20,
            "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_NICE": 23, "SYS_RESOURCE": 24, "SYS_TIME": 25,
            "SYS_TTY_CONFIG": 26, "MKNOD": 27, "LEASE": 28, "AUDIT_WRITE": 29, "AUDIT_CONTROL": 30,
            "SETFCAP": 31, "MAC_OVERRIDE": 32, "MAC_ADMIN": 33, "SYSLOG": 34, "WAKE_ALARM": 35,
            "BLOCK_SUSPEND": 36, "AUDIT_READ": 37, "PERFMON": 38, "BPF": 39, "CHECKPOINT_RESTORE": 40}


class Untranslated(AssertionError):
    """A field of the manifests that the kubelet emulation does not translate."""


class Fields:
    """A manifest object as the translator reads it: take() removes a field and
    returns it, sub() a nested object as Fields; done() fails on anything left."""

    def __init__(self, obj, path):
        if obj is not None and not isinstance(obj, dict):
            raise Untranslated(f"{path}: an object was expected, got {obj!r}")
        self.obj, self.path = dict(obj or {}), path

    def take(self, key, default=None):
        return self.obj.pop(key, default)

    def sub(self, key):
        return Fields(self.take(key), f"{self.path}.{key}")

    def items(self, key):
        """The list field @key as Fields, one per element."""
        return [Fields(v, f"{self.path}.{key}[{i}]") for i, v in enumerate(self.take(key) or [])]

    def done(self):
        if self.obj:
            raise Untranslated(f"{self.path}: {sorted(self.obj)} not translated into CRI requests "
                               "(teach tests/image/kubelet.py what the kubelet does with them)")

    def __bool__(self):
        return bool(self.obj)


def quantity(q, unit="bytes"):
    """A resource.Quantity: cpu in millicores (unit="milli"), otherwise an integer."""
    if q is None:
        return 0
    m = re.fullmatch(r"([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", str(q))
    if not m:
        raise Untranslated(f"quantity {q!r} not understood")
    mult = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
            "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}[m.group(2)]
    v = float(m.group(1)) * mult
    return round(v * 1000) if unit == "milli" else int(v)


def milli_cpu_to_shares(milli):
    """kubelet's MilliCPUToShares: 1024 shares per core, at least 2."""
    return max(2, milli * 1024 // 1000) if milli else 2


def generation_name(prefix):
    """The name an API server's generateName gives (5 lowercase consonants and digits)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return prefix + "".join(random.choice(alphabet) for _ in range(5))


def hugepage_sizes():
    """Page sizes of the node's huge pages as the kubelet names them (2MB, 1GB)."""
    out = []
    for d in sorted(os.listdir("/sys/kernel/mm/hugepages")) if os.path.isdir("/sys/kernel/mm/hugepages") else []:
        kb = int(re.fullmatch(r"hugepages-(\d+)kB", d).group(1))
        out.append(f"{kb // 1024}MB" if kb < 1 << 20 else f"{kb >> 20}GB")
    return out


# --------------------------------------------------------------------------
# The pod network: a bridge and containerd's CNI configuration
# --------------------------------------------------------------------------

class PodNetwork:
    """A Linux bridge with the gateway address on this host, and a CNI config
    (Debian's containernetworking-plugins: bridge + host-local) for containerd:
    pods get an address in the subnet and reach the host's gateway address,
    where the fake API server listens. No IP forwarding, no masquerading: the
    traffic never leaves this machine."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.bridge = f"ptimg{os.getpid() % 100000}"
        used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=True).stdout
        for third in range(120, 250):
            net = ipaddress.ip_network(f"10.244.{third}.0/24")
            if not any(ipaddress.ip_address(a.split("/")[0]) in net
                       for a in re.findall(r"inet (\S+)", used)):
                break
        else:
            raise AssertionError("no free /24 in 10.244.120-249.0 for the pod network")
        self.subnet = net
        self.gateway = str(net.network_address + 1)
        self.created = False

    def up(self):
        assert os.path.exists("/usr/lib/cni/bridge"), \
            "/usr/lib/cni/bridge is missing: apt-get install containernetworking-plugins (make test-image does)"
        for cmd in (["ip", "link", "add", self.bridge, "type", "bridge"],
                    ["ip", "addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge],
                    ["ip", "link", "set", self.bridge, "up"]):
            subprocess.run(cmd, check=True, capture_output=True)
            self.created = True
        return self

    def write_cni_config(self, conf_dir):
        os.makedirs(conf_dir, exist_ok=True)
        conf = {"cniVersion": "1.0.0", "name": "podtrail-image-test",
                "plugins": [{"type": "bridge", "bridge": self.bridge, "isGateway": False, "ipMasq": False,
                             "ipam": {"type": "host-local", "ranges": [[{"subnet": str(self.subnet),
                                                                          "gateway": self.gateway}]],
                                      "dataDir": os.path.join(self.workdir, "cni-ipam")}}]}
        with open(os.path.join(conf_dir, "10-podtrail-image.conflist"), "w") as f:
            json.dump(conf, f)

    def down(self):
        if self.created:
            subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
            self.created = False


# --------------------------------------------------------------------------
# What the kubelet reads besides the pod: the node and the master service
# --------------------------------------------------------------------------

class Node:
    def __init__(self, name, labels, ip):
        self.name, self.labels, self.ip = name, labels, ip
        self.taints = []


def service_env(host, port):
    """The variables the kubelet sets for the "kubernetes" Service in every pod,
    enableServiceLinks or not (envvars.FromServices of that one Service, port
    name "https"). Its ClusterIP:port here: the fake API server's address."""
    url = f"tcp://{host}:{port}"
    p = f"KUBERNETES_PORT_{port}_TCP"
    return {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": str(port),
            "KUBERNETES_SERVICE_PORT_HTTPS": str(port), "KUBERNETES_PORT": url, p: url,
            p + "_PROTO": "tcp", p + "_PORT": str(port), p + "_ADDR": host}


# --------------------------------------------------------------------------
# The translation
# --------------------------------------------------------------------------

class Probe:
    """One probe of a container, its fields as the kubelet defaults them."""

    def __init__(self, kind, f, ports):
        self.kind = kind
        get = f.sub("httpGet")
        if not get:
            raise Untranslated(f"{f.path}: only httpGet probes are translated")
        self.path = get.take("path", "/")
        port = get.take("port")
        self.port = ports[port] if isinstance(port, str) else int(port)
        self.scheme = get.take("scheme", "HTTP")
        if self.scheme != "HTTP":
            raise Untranslated(f"{get.path}.scheme {self.scheme}")
        self.host = get.take("host")
        self.headers = {h["name"]: h["value"] for h in get.take("httpHeaders") or []}
        get.done()
        self.initial_delay = f.take("initialDelaySeconds", 0)
        self.period = f.take("periodSeconds", 10)
        self.timeout = f.take("timeoutSeconds", 1)
        self.success_threshold = f.take("successThreshold", 1)
        self.failure_threshold = f.take("failureThreshold", 3)
        f.done()


class PodPlan:
    """The translated pod: API object, host-side preparation, CRI requests."""

    def __init__(self):
        self.mounts = []           # CRI Mount dicts, in the kubelet's order
        self.host_paths = []       # (hostPath, type) of every volume
        self.host_dirs = []        # hostPath directories made for DirectoryOrCreate
        self.probes = {}           # kind -> Probe
        self.env = {}
        self.notes = []            # what was adapted, for the test's report


def translate(daemonset, node, api_host, api_port, workdir, sa_token, ca_file, token_users):
    """The pod the DaemonSet controller makes for @node, and what the kubelet
    sends for it. @token_users: {(namespace, serviceaccount)} that have a token
    (the fake API server's); @sa_token is that token."""
    plan = PodPlan()
    ds = Fields(daemonset, "DaemonSet")
    assert (ds.take("apiVersion"), ds.take("kind")) == ("apps/v1", "DaemonSet")
    ds.take("status")
    ds_meta = ds.sub("metadata")
    ds_meta.take("creationTimestamp")
    ds_name, namespace = ds_meta.take("name"), ds_meta.take("namespace")
    ds_uid = ds_meta.take("uid") or str(uuid.uuid4())
    ds_meta.take("labels"), ds_meta.take("annotations")   # the DaemonSet's own, not the pod's
    ds_spec = ds.sub("spec")
    selector = ds_spec.take("selector") or {}
    ds_spec.take("updateStrategy")       # the controller's rollout; the kubelet never sees it
    template = ds_spec.sub("template")

    # -- the pod object the DaemonSet controller creates
    tmeta = template.sub("metadata")
    tmeta.take("creationTimestamp")
    labels = dict(tmeta.take("labels") or {})
    annotations = dict(tmeta.take("annotations") or {})
    tmeta.done()
    for k, v in (selector.get("matchLabels") or {}).items():
        assert labels.get(k) == v, f"the DaemonSet's selector {k}={v} does not select its own pods"
    assert not selector.get("matchExpressions"), "matchExpressions: not translated"
    labels.update({"controller-revision-hash": secrets.token_hex(5)[:10], "pod-template-generation": "1"})
    plan.name, plan.namespace, plan.uid = generation_name(ds_name + "-"), namespace, str(uuid.uuid4())
    plan.labels, plan.annotations = labels, annotations
    plan.owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds_name, "uid": ds_uid,
                  "controller": True, "blockOwnerDeletion": True}

    spec = template.sub("spec")
    # -- scheduling (controller, scheduler): the node must fit
    node_selector = spec.take("nodeSelector") or {}
    for k, v in node_selector.items():
        assert node.labels.get(k) == v, f"nodeSelector {k}={v}: node {node.name} has {node.labels.get(k)!r}"
    tolerations = spec.take("tolerations") or []
    for taint in node.taints:
        assert any(t.get("operator") == "Exists" and not t.get("key") for t in tolerations), taint
    for t in tolerations:
        assert set(t) <= {"key", "operator", "value", "effect", "tolerationSeconds"}, t
    pc = spec.take("priorityClassName")
    priority = spec.take("priority", PRIORITY_CLASSES.get(pc, 0))
    if pc and pc not in PRIORITY_CLASSES:
        raise Untranslated(f"priorityClassName {pc}: only the built-in classes are known here")
    node_critical = priority >= CRITICAL_PRIORITY and pc == "system-node-critical"
    plan.priority = priority

    # -- namespaces, DNS, restart, grace period
    host_network = spec.take("hostNetwork", False)
    host_pid = spec.take("hostPID", False)
    host_ipc = spec.take("hostIPC", False)
    share_pid = spec.take("shareProcessNamespace", False)
    ns_options = {"network": "NODE" if host_network else "POD",
                  "pid": "NODE" if host_pid else "POD" if share_pid else "CONTAINER",
                  "ipc": "NODE" if host_ipc else "POD"}
    dns_policy = spec.take("dnsPolicy", "ClusterFirst")
    if dns_policy not in ("ClusterFirst", "Default"):
        raise Untranslated(f"dnsPolicy {dns_policy}")
    # No cluster DNS on this node: the kubelet falls back to the node's resolv.conf.
    plan.restart_policy = spec.take("restartPolicy", "Always")
    assert plan.restart_policy == "Always", "a DaemonSet's pods restart Always"
    plan.grace_period = spec.take("terminationGracePeriodSeconds", 30)
    enable_service_links = spec.take("enableServiceLinks", True)
    if enable_service_links:
        plan.notes.append("enableServiceLinks: no Services but kubernetes exist here")

    # -- service account and its token (the admission plugin adds the volume)
    sa = spec.take("serviceAccountName") or spec.take("serviceAccount") or "default"
    spec.take("serviceAccount")
    plan.service_account = sa
    automount = spec.take("automountServiceAccountToken", True)

    # -- pod security context (pod-level fields the kubelet reads)
    psc = spec.sub("securityContext")
    pod_seccomp = psc.sub("seccompProfile")
    pod_seccomp_type = pod_seccomp.take("type")
    pod_seccomp_local = pod_seccomp.take("localhostProfile")
    pod_seccomp.done()
    pod_run_as_user = psc.take("runAsUser")
    pod_run_as_group = psc.take("runAsGroup")
    pod_run_as_non_root = psc.take("runAsNonRoot")
    supplemental = psc.take("supplementalGroups") or []
    psc.done()

    # -- volumes
    volumes = {}
    for v in spec.items("volumes"):
        name = v.take("name")
        hp = v.sub("hostPath")
        if not hp:
            raise Untranslated(f"{v.path}: only hostPath volumes are translated")
        path, htype = hp.take("path"), hp.take("type", "")
        hp.done()
        v.done()
        if htype not in ("", "Directory", "DirectoryOrCreate"):
            raise Untranslated(f"{v.path}: hostPath type {htype}")
        plan.host_paths.append((path, htype))
        volumes[name] = path

    # -- the container(s)
    containers = spec.items("containers")
    assert len(containers) == 1, "one container is translated (podtrail's DaemonSet has one)"
    assert not spec.take("initContainers"), "initContainers: not translated"
    c = containers[0]
    plan.container_name = c.take("name")
    plan.image = c.take("image")
    plan.pull_policy = c.take("imagePullPolicy", "IfNotPresent")
    command, args = c.take("command") or [], c.take("args") or []
    working_dir = c.take("workingDir", "")
    assert not c.take("stdin") and not c.take("tty"), "stdin/tty: not translated"
    term_path = c.take("terminationMessagePath", "/dev/termination-log")
    term_policy = c.take("terminationMessagePolicy", "File")

    ports, port_mappings = {}, []
    for p in c.items("ports"):
        cport = p.take("containerPort")
        proto = p.take("protocol", "TCP")
        if p.obj.get("name"):
            ports[p.take("name")] = cport
        host_port, host_ip = p.take("hostPort", 0), p.take("hostIP", "")
        p.done()
        port_mappings.append({"protocol": proto, "container_port": cport, "host_port": host_port,
                              "host_ip": host_ip})
    plan.ports = ports

    # env: the container's own, in order, then the kubernetes Service's (never
    # overriding one the container sets).
    envs = []
    for e in c.items("env"):
        name = e.take("name")
        if "value" in e.obj:
            value = e.take("value")
        else:
            vf = e.sub("valueFrom")
            ref = vf.sub("fieldRef")
            field = ref.take("fieldPath")
            ref.take("apiVersion")
            ref.done()
            vf.done()
            value = {"spec.nodeName": node.name, "metadata.name": plan.name, "metadata.namespace": namespace,
                     "metadata.uid": plan.uid, "spec.serviceAccountName": sa, "status.hostIP": node.ip}.get(field)
            if value is None:
                raise Untranslated(f"{e.path}: fieldRef {field}")
        e.done()
        envs.append((name, "" if value is None else str(value)))
    for k, v in service_env(api_host, api_port).items():
        if k not in dict(envs):
            envs.append((k, v))
    plan.env = dict(envs)

    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        f = c.sub(kind)
        if f:
            plan.probes[kind] = Probe(kind, f, ports)
    if c.take("lifecycle"):
        raise Untranslated(f"{c.path}.lifecycle")

    # resources -> QoS class, cgroup parent, linux resources
    res = c.sub("resources")
    req, lim = dict(res.take("requests") or {}), dict(res.take("limits") or {})
    res.done()
    for k in set(req) | set(lim):
        if k not in ("cpu", "memory"):
            raise Untranslated(f"{res.path}: resource {k}")
    req_cpu, lim_cpu = quantity(req.get("cpu"), "milli"), quantity(lim.get("cpu"), "milli")
    req_mem, lim_mem = quantity(req.get("memory") or lim.get("memory")), quantity(lim.get("memory"))
    if lim_cpu and lim_mem and req_cpu in (0, lim_cpu) and req_mem == lim_mem:
        qos = "guaranteed"
    elif not (req or lim):
        qos = "besteffort"
    else:
        qos = "burstable"
    plan.qos = qos
    plan.cgroup_parent = f"{cri.QOS[qos][1]}/pod{plan.uid}"
    if node_critical:
        oom_score_adj = GUARANTEED_OOM_SCORE_ADJ
    elif qos == "guaranteed":
        oom_score_adj = GUARANTEED_OOM_SCORE_ADJ
    elif qos == "besteffort":
        oom_score_adj = BESTEFFORT_OOM_SCORE_ADJ
    else:
        capacity = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        oom_score_adj = min(BESTEFFORT_OOM_SCORE_ADJ - 1,
                            max(1000 + GUARANTEED_OOM_SCORE_ADJ, 1000 - (1000 * req_mem) // capacity))
    plan.memory_limit = lim_mem
    plan.cpu_shares = milli_cpu_to_shares(req_cpu or lim_cpu)
    linux_resources = {"cpu_period": QUOTA_PERIOD, "cpu_quota": lim_cpu * QUOTA_PERIOD // 1000 if lim_cpu else 0,
                       "cpu_shares": plan.cpu_shares, "oom_score_adj": oom_score_adj,
                       "hugepage_limits": [{"page_size": s, "limit": 0} for s in hugepage_sizes()]}
    if lim_mem:
        linux_resources["memory_limit_in_bytes"] = lim_mem
    plan.oom_score_adj = oom_score_adj

    # security context: the container's, falling back to the pod's
    sc = c.sub("securityContext")
    privileged = sc.take("privileged", False)
    assert not privileged, "privileged: not translated (and not wanted)"
    run_as_user = sc.take("runAsUser", pod_run_as_user)
    run_as_group = sc.take("runAsGroup", pod_run_as_group)
    run_as_non_root = sc.take("runAsNonRoot", pod_run_as_non_root)
    if run_as_non_root:
        assert run_as_user not in (None, 0), "runAsNonRoot with UID 0: the kubelet refuses to start it"
    allow_escalation = sc.take("allowPrivilegeEscalation")
    readonly_rootfs = sc.take("readOnlyRootFilesystem", False)
    caps = sc.sub("capabilities")
    cap_add, cap_drop = caps.take("add") or [], caps.take("drop") or []
    caps.done()
    csec = sc.sub("seccompProfile")
    seccomp_type = csec.take("type", pod_seccomp_type)
    seccomp_local = csec.take("localhostProfile", pod_seccomp_local)
    csec.done()
    proc_mount = sc.take("procMount", "Default")
    if proc_mount != "Default":
        raise Untranslated(f"procMount {proc_mount}")
    sc.done()
    # no_new_privs only when allowPrivilegeEscalation is false (securitycontext.AddNoNewPrivileges).
    no_new_privs = allow_escalation is False

    def seccomp(kind, local):
        if kind in (None, "Unconfined"):
            return {"profile_type": "Unconfined"}, "unconfined"
        if kind == "RuntimeDefault":
            return {"profile_type": "RuntimeDefault"}, "runtime/default"
        if kind == "Localhost":
            path = os.path.join("/var/lib/kubelet/seccomp", local)
            return {"profile_type": "Localhost", "localhost_ref": path}, "localhost/" + path
        raise Untranslated(f"seccompProfile {kind}")

    c_seccomp, c_seccomp_path = seccomp(seccomp_type, seccomp_local)
    p_seccomp, p_seccomp_path = seccomp(pod_seccomp_type, pod_seccomp_local)

    # mounts: volumeMounts (hostPath), then what the kubelet adds itself
    for m in c.items("volumeMounts"):
        name, path = m.take("name"), m.take("mountPath")
        readonly = m.take("readOnly", False)
        rro = m.take("recursiveReadOnly", "Disabled")
        propagation = m.take("mountPropagation", "None")
        assert not m.take("subPath") and not m.take("subPathExpr"), f"{m.path}: subPath not translated"
        m.done()
        assert name in volumes, f"volumeMount {name}: no such volume"
        if rro == "Enabled":
            raise Untranslated(f"{m.path}: recursiveReadOnly Enabled needs a runtime that reports it")
        # IfPossible: recursive only where the runtime says it supports it (the
        # Status RPC's runtime handler features, CRI 1.30+). containerd 1.6
        # (CRI v1 of Kubernetes 1.25) has no such field: a plain read-only bind.
        assert rro in ("IfPossible", "Disabled"), rro
        if rro == "IfPossible":
            plan.notes.append(f"{path}: recursiveReadOnly IfPossible -> read-only, not recursive (containerd 1.6)")
        plan.mounts.append({"container_path": path, "host_path": volumes[name], "readonly": readonly,
                            "selinux_relabel": False,
                            "propagation": {"None": "PROPAGATION_PRIVATE",
                                            "HostToContainer": "PROPAGATION_HOST_TO_CONTAINER",
                                            "Bidirectional": "PROPAGATION_BIDIRECTIONAL"}[propagation]})
    c.done()
    spec.done()
    template.done()
    ds_spec.done()
    ds_meta.done()
    ds.done()

    pod_dir = os.path.join(workdir, "kubelet", "pods", plan.uid)
    plan.pod_dir = pod_dir
    # the projected service-account volume (kube-api-access-<5>): token, ca.crt
    # (ConfigMap kube-root-ca.crt), namespace (downward API), written by the
    # kubelet's AtomicWriter: ..data -> ..<timestamp>, each name -> ..data/<name>
    if automount:
        assert (namespace, sa) in token_users, f"no token for serviceaccount {namespace}/{sa}"
        vol = os.path.join(pod_dir, "volumes", "kubernetes.io~projected", generation_name("kube-api-access-"))
        ts = os.path.join(vol, time.strftime("..%Y_%m_%d_%H_%M_%S.") + str(random.randint(100000000, 999999999)))
        os.makedirs(ts)
        with open(ca_file) as f:
            ca = f.read()
        for name, content in (("ca.crt", ca), ("namespace", namespace), ("token", sa_token)):
            with open(os.path.join(ts, name), "w") as f:
                f.write(content)
            os.chmod(os.path.join(ts, name), 0o644)
        os.symlink(os.path.basename(ts), os.path.join(vol, "..data"))
        for name in ("ca.crt", "namespace", "token"):
            os.symlink(os.path.join("..data", name), os.path.join(vol, name))
        plan.sa_volume = vol
        plan.mounts.append({"container_path": SA_MOUNT, "host_path": vol, "readonly": True,
                            "selinux_relabel": False, "propagation": "PROPAGATION_PRIVATE"})
    # /etc/hosts (pods outside the host network): written once the pod has its IP
    plan.etc_hosts = os.path.join(pod_dir, "etc-hosts")
    if not host_network:
        plan.mounts.append({"container_path": "/etc/hosts", "host_path": plan.etc_hosts, "readonly": False,
                            "selinux_relabel": True, "propagation": "PROPAGATION_PRIVATE"})
    # the termination message file
    cdir = os.path.join(pod_dir, "containers", plan.container_name)
    os.makedirs(cdir)
    plan.termination_log = os.path.join(cdir, secrets.token_hex(4))
    open(plan.termination_log, "w").close()
    os.chmod(plan.termination_log, 0o666)
    plan.mounts.append({"container_path": term_path, "host_path": plan.termination_log, "readonly": False,
                        "selinux_relabel": True, "propagation": "PROPAGATION_PRIVATE"})

    # -- the CRI requests
    plan.log_directory = os.path.join(workdir, "log", "pods", f"{namespace}_{plan.name}_{plan.uid}")
    resolv = dns_config()
    plan.sandbox_config = {
        "metadata": {"name": plan.name, "uid": plan.uid, "namespace": namespace, "attempt": 0},
        "hostname": "" if host_network else plan.name,
        "log_directory": plan.log_directory,
        "dns_config": resolv,
        "port_mappings": port_mappings,
        "labels": {**labels, "io.kubernetes.pod.name": plan.name, "io.kubernetes.pod.namespace": namespace,
                   "io.kubernetes.pod.uid": plan.uid},
        "annotations": {**annotations, "kubernetes.io/config.source": "api",
                        "kubernetes.io/config.seen": cri.k8s_time()},
        "linux": {"cgroup_parent": plan.cgroup_parent,
                  "security_context": {"namespace_options": ns_options, "privileged": False,
                                       "seccomp": p_seccomp, "seccomp_profile_path": p_seccomp_path,
                                       **({"run_as_user": {"value": pod_run_as_user}}
                                          if pod_run_as_user is not None else {}),
                                       **({"run_as_group": {"value": pod_run_as_group}}
                                          if pod_run_as_group is not None else {}),
                                       "supplemental_groups": supplemental},
                  "overhead": {},
                  "resources": {"cpu_period": QUOTA_PERIOD,
                                "cpu_quota": linux_resources["cpu_quota"],
                                "cpu_shares": plan.cpu_shares,
                                **({"memory_limit_in_bytes": lim_mem} if lim_mem else {})}},
    }
    container_hash = hashlib.sha256(json.dumps(daemonset["spec"]["template"]["spec"]["containers"][0],
                                               sort_keys=True).encode()).hexdigest()[:8]
    plan.container_config = {
        "metadata": {"name": plan.container_name, "attempt": 0},
        "image": {"image": plan.image},   # replaced by the image id once resolved
        "command": command, "args": args, "working_dir": working_dir,
        "envs": [{"key": k, "value": v} for k, v in envs],
        "mounts": plan.mounts,
        "log_path": f"{plan.container_name}/0.log",
        "labels": {"io.kubernetes.container.name": plan.container_name, "io.kubernetes.pod.name": plan.name,
                   "io.kubernetes.pod.namespace": namespace, "io.kubernetes.pod.uid": plan.uid},
        "annotations": {"io.kubernetes.container.hash": container_hash,
                        "io.kubernetes.container.restartCount": "0",
                        "io.kubernetes.container.terminationMessagePath": term_path,
                        "io.kubernetes.container.terminationMessagePolicy": term_policy,
                        "io.kubernetes.pod.terminationGracePeriod": str(plan.grace_period),
                        "io.kubernetes.container.ports": json.dumps(
                            [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports.items()])},
        "linux": {"resources": linux_resources,
                  "security_context": {
                      "capabilities": {"add_capabilities": list(cap_add), "drop_capabilities": list(cap_drop)},
                      "privileged": False,
                      "namespace_options": ns_options,
                      **({"run_as_user": {"value": run_as_user}} if run_as_user is not None else {}),
                      **({"run_as_group": {"value": run_as_group}} if run_as_group is not None else {}),
                      "readonly_rootfs": readonly_rootfs,
                      "supplemental_groups": supplemental,
                      "no_new_privs": no_new_privs,
                      "masked_paths": MASKED_PATHS, "readonly_paths": READONLY_PATHS,
                      "seccomp": c_seccomp, "seccomp_profile_path": c_seccomp_path}},
    }
    plan.expected = {"cap_add": cap_add, "cap_drop": cap_drop, "readonly_rootfs": readonly_rootfs,
                     "no_new_privs": no_new_privs, "run_as_user": run_as_user, "run_as_group": run_as_group,
                     "seccomp": seccomp_type}
    return plan


def prepare_volumes(plan):
    """The kubelet's hostPath type checks before the sandbox: Directory must
    exist, DirectoryOrCreate is made (0755) if missing -- recorded in
    plan.host_dirs, deepest first, for the test to remove."""
    for path, htype in plan.host_paths:
        if htype == "DirectoryOrCreate" and not os.path.exists(path):
            made, p = [], path
            while not os.path.exists(p):
                made.append(p)
                p = os.path.dirname(p)
            os.makedirs(path, mode=0o755)
            plan.host_dirs += made
        elif htype:
            assert os.path.isdir(path), f"hostPath type check failed: {path} is not a directory"


def dns_config():
    """The node's resolv.conf, which the kubelet uses for a ClusterFirst pod when
    it has no cluster DNS configured."""
    servers, searches, options = [], [], []
    try:
        with open("/etc/resolv.conf") as f:
            for line in f:
                w = line.split()
                if w and w[0] == "nameserver":
                    servers += w[1:2]
                elif w and w[0] == "search":
                    searches = w[1:]
                elif w and w[0] == "options":
                    options += w[1:]
    except FileNotFoundError:
        pass
    return {"servers": servers, "searches": searches, "options": options}


def bits(caps):
    """Capability names (as in the manifest, or ALL) -> a bit mask."""
    mask = 0
    for c in caps:
        if c.upper() == "ALL":
            return (1 << (max(CAP_BITS.values()) + 1)) - 1
        mask |= 1 << CAP_BITS[c.upper().removeprefix("CAP_")]
    return mask


def make_pod_cgroup(cgroup_parent, cpu_shares, memory_limit):
    """The pod-level cgroup the kubelet's pod container manager makes before the
    sandbox: cpu.shares the sum of the requests, memory the sum of the limits
    (every container has one). Returns the directories made."""
    made = []
    for h in cri.cgroup_hierarchies():
        d = h + cgroup_parent
        ctrl = os.path.basename(h)
        if ctrl not in ("memory", "cpu,cpuacct", "cpu") and h != cri.CGROUP_ROOT:
            continue
        os.makedirs(d, exist_ok=True)
        made.append(d)
        files = ({"memory.limit_in_bytes": memory_limit} if ctrl == "memory" else
                 {"cpu.shares": cpu_shares} if ctrl.startswith("cpu") else
                 {"memory.max": memory_limit, "cpu.weight": 1 + ((cpu_shares - 2) * 9999) // 262142})
        for name, value in files.items():
            if value and os.path.exists(os.path.join(d, name)):
                with open(os.path.join(d, name), "w") as f:
                    f.write(str(value))
    return made


def etc_hosts(pod_ip, hostname):
    """The kubelet's managed /etc/hosts of a pod outside the host network."""
    return ("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
            "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
            f"{pod_ip}\t{hostname}\n")


# --------------------------------------------------------------------------
# The prober
# --------------------------------------------------------------------------

def http_probe(ip, probe, timeout=None):
    """One HTTP GET as the kubelet's prober sends it; (ok, status or error)."""
    conn = http.client.HTTPConnection(probe.host or ip, probe.port, timeout=timeout or probe.timeout)
    try:
        conn.request("GET", probe.path, headers={"User-Agent": f"kube-probe/{KUBE_VERSION}", "Accept": "*/*",
                                                 **probe.headers})
        r = conn.getresponse()
        r.read()
        return 200 <= r.status < 400, r.status
    except OSError as e:
        return False, repr(e)
    finally:
        conn.close()


class Prober:
    """The kubelet's probe workers for one container: the startup probe until it
    succeeds, then liveness and readiness, each on its own period. Records every
    result with its time; a startup or liveness probe that fails failureThreshold
    times in a row is a restart the kubelet would make (recorded, never done)."""

    def __init__(self, ip, probes, on_ready=None):
        self.ip, self.probes, self.on_ready = ip, probes, on_ready
        self.results = []           # (monotonic time, kind, ok, status)
        self.restarts = []          # (kind, reason)
        self.ready = False
        self.started = threading.Event()
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.threads = []

    def start(self):
        t = threading.Thread(target=self._run, daemon=True, name="prober")
        t.start()
        self.threads.append(t)
        return self

    def _worker(self, kind):
        probe = self.probes[kind]
        if self.stop_event.wait(probe.initial_delay):
            return
        fails = succ = 0
        while not self.stop_event.is_set():
            ok, status = http_probe(self.ip, probe)
            with self.lock:
                self.results.append((time.monotonic(), kind, ok, status))
            if ok:
                succ, fails = succ + 1, 0
            else:
                succ, fails = 0, fails + 1
            if kind == "startupProbe":
                if ok:
                    self.started.set()
                    return
                if fails >= probe.failure_threshold:
                    self.restarts.append((kind, f"{fails} failures: {status}"))
                    return
            elif kind == "livenessProbe" and fails >= probe.failure_threshold:
                self.restarts.append((kind, f"{fails} failures: {status}"))
                fails = 0
            elif kind == "readinessProbe":
                ready = succ >= probe.success_threshold if ok else not fails >= probe.failure_threshold and self.ready
                if ready != self.ready:
                    self.ready = ready
                    if self.on_ready:
                        self.on_ready(ready)
            self.stop_event.wait(probe.period)

    def _run(self):
        if "startupProbe" in self.probes:
            self._worker("startupProbe")
            if not self.started.is_set():
                return
        else:
            self.started.set()
        for kind in ("livenessProbe", "readinessProbe"):
            if kind in self.probes:
                t = threading.Thread(target=self._worker, args=(kind,), daemon=True, name=kind)
                t.start()
                self.threads.append(t)

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(10)

    def of(self, kind):
        with self.lock:
            return [r for r in self.results if r[1] == kind]

