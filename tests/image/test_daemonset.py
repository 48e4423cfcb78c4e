"""podtrail's image, run as its DaemonSet runs it: the pod template of the rendered
manifests translated into the CRI requests the kubelet sends (kubelet.py), under a
private containerd, with the pod network, the projected service-account token and
the in-cluster configuration pointing at the fake API server. Then, on that running
container: the programs attach; /readyz turns 200 once the pod list is synced; a
crash in a workload pod of the same containerd becomes an Event written with the
service account's token (and its RBAC); no effective capability is left after
attaching; nothing is written to the root file system; the memory stays under the
limit; SIGTERM flushes queued Events and exits 0 within the grace period.

The tests share one podtrail pod and run in file order (the last one stops it)."""
import json
import os
import re
import threading
import time

import pytest

import cri
import deploy_helpers
import kubelet
from conftest import NODE, ROOT

LIST_DELAY = 4.0       # seconds the fake API server holds podtrail's first pod list
API_LATENCY = 2.0      # seconds it takes to answer each Event write before the stop
REPORT = os.path.join(ROOT, "build", "test-image-report.json")   # figures for docs/image.md


def log_lines(path):
    """The container's output: CRI log lines "<time> <stream> <tag> <text>"."""
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip("\n").split(" ", 3)[3] for line in f if line.count(" ") >= 3]
    except FileNotFoundError:
        return []


def proc_status(pid):
    out = {}
    for line in (cri.read_file(f"/proc/{pid}/status") or "").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def mountinfo(pid):
    """[(mount point, per-mount options, fs type, super options)] as @pid sees them."""
    out = []
    for line in (cri.read_file(f"/proc/{pid}/mountinfo") or "").splitlines():
        left, _, right = line.partition(" - ")
        f = left.split()
        r = right.split()
        unescape = lambda s: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)  # noqa: E731
        out.append((unescape(f[4]), f[5].split(","), r[0], r[2].split(",") if len(r) > 2 else []))
    return out


def tree(top):
    """{relative path: (kind, size, mtime)} of everything under @top."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            path = os.path.join(d, n)
            st = os.lstat(path)
            kind = "dir" if os.path.isdir(path) and not os.path.islink(path) else "file"
            out[os.path.relpath(path, top)] = (kind, st.st_size if kind == "file" else 0, st.st_mtime_ns)
    return out


class DaemonPod:
    """The podtrail pod on the node: its plan, CRI ids, host pid, IP, prober."""

    def __init__(self, containerd, api, node, manifests, images, workdir, sa_token, service_account):
        self.containerd, self.api = containerd, api
        ds = deploy_helpers.find(manifests, "DaemonSet", "podtrail")
        self.daemonset = ds
        ns, sa, _ = service_account
        self.plan = p = kubelet.translate(ds, node, api.host, api.port, workdir, sa_token, api.ca_file,
                                          token_users={(ns, sa)})
        self.sandbox_id = self.container_id = None
        self.prober = None
        self.observed = []        # (monotonic, path, status) seen by the test's own poller
        self._observe = threading.Event()
        self.report = {}

        # The API object the DaemonSet controller creates, then the kubelet.
        self.api.add_pod(p.name, namespace=p.namespace, uid=p.uid, node_name=node.name,
                         containers=[{"name": p.container_name, "image": p.image,
                                      "state": {"waiting": {"reason": "ContainerCreating"}}}],
                         labels=p.labels, annotations=p.annotations)

        def owner(pod):
            pod["metadata"]["ownerReferences"] = [p.owner]
            pod["spec"]["serviceAccountName"] = p.service_account
            pod["spec"]["priorityClassName"] = "system-node-critical"
            pod["spec"]["priority"] = p.priority
            pod["status"]["qosClass"] = p.qos.capitalize()
        self.api.update_pod(p.namespace, p.name, owner)
        kubelet.prepare_volumes(p)
        self.pod_cgroups = kubelet.make_pod_cgroup(p.cgroup_parent, p.cpu_shares, p.memory_limit)
        os.makedirs(p.log_directory, exist_ok=True)
        os.makedirs(os.path.join(p.log_directory, p.container_name), exist_ok=True)

    def start(self, list_delay):
        p, c = self.plan, self.containerd
        # The first pod list is held: readiness must wait for it.
        self.api.set_latency(list_delay, path=r"^/api/v1/pods$", method="GET")
        self.sandbox_id = c.call("RunPodSandbox", {"config": p.sandbox_config}).pod_sandbox_id
        st = c.call("PodSandboxStatus", {"pod_sandbox_id": self.sandbox_id}).status
        self.ip = st.network.ip
        assert self.ip, "the pod sandbox got no address on the pod network"
        with open(p.etc_hosts, "w") as f:
            f.write(kubelet.etc_hosts(self.ip, p.name))
        self.etc_hosts = kubelet.etc_hosts(self.ip, p.name)
        # imagePullPolicy IfNotPresent: the imported image, never a pull.
        assert p.pull_policy == "IfNotPresent", p.pull_policy
        image = c.call("ImageStatus", {"image": {"image": p.image}}).image
        assert image.id, f"image {p.image} is not on the node and cannot be pulled here"
        self.image_id = image.id
        config = dict(p.container_config, image={"image": image.id})
        self.container_id = c.call("CreateContainer", {"pod_sandbox_id": self.sandbox_id, "config": config,
                                                       "sandbox_config": p.sandbox_config}).container_id
        self.t_start = time.monotonic()
        c.call("StartContainer", {"container_id": self.container_id})
        info = json.loads(c.call("ContainerStatus", {"container_id": self.container_id,
                                                     "verbose": True}).info["info"])
        self.pid = info["pid"]
        self.runtime_spec = info.get("runtimeSpec", {})
        self.log = os.path.join(p.log_directory, p.container_name, "0.log")

        def running(pod):
            pod["status"].update({"phase": "Running", "podIP": self.ip, "podIPs": [{"ip": self.ip}],
                                  "hostIP": p.env.get("KUBERNETES_SERVICE_HOST")})
            pod["status"]["containerStatuses"] = [cri.api_container_status(
                p.container_name, p.image, {"running": {"startedAt": cri.k8s_time()}},
                image_id=self.image_id, cid=self.container_id)]
        self.api.update_pod(p.namespace, p.name, running)
        threading.Thread(target=self._poll, daemon=True).start()
        self.prober = kubelet.Prober(self.ip, p.probes, on_ready=self._set_ready).start()
        self.upperdir = self._upperdir()
        cri.wait_exec(self.pid)
        self.mount_points = [mp for mp, _, _, _ in mountinfo(self.pid)]
        self.upper_at_start = tree(self.upperdir) if self.upperdir else None

    def _set_ready(self, ready):
        """The kubelet's status manager: the Ready conditions follow readiness."""
        def mutate(pod):
            for cs in pod["status"].get("containerStatuses", []):
                cs["ready"] = ready
            conds = [x for x in pod["status"].get("conditions", []) if x["type"] not in ("Ready", "ContainersReady")]
            pod["status"]["conditions"] = conds + [
                {"type": t, "status": str(ready), "lastProbeTime": None, "lastTransitionTime": cri.k8s_time()}
                for t in ("Ready", "ContainersReady")]
        self.api.update_pod(self.plan.namespace, self.plan.name, mutate)

    def _poll(self):
        """/healthz and /readyz every 100 ms for the first 60 s: when readiness
        changes, to the tenth of a second (the kubelet probes every 5 s)."""
        probes = {path: kubelet.Probe.__new__(kubelet.Probe) for path in ("/healthz", "/readyz")}
        for path, pr in probes.items():
            pr.path, pr.port, pr.host, pr.headers, pr.timeout = path, self.plan.ports["metrics"], None, {}, 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self._observe.is_set():
            for path, pr in probes.items():
                ok, status = kubelet.http_probe(self.ip, pr)
                self.observed.append((time.monotonic(), path, status))
            time.sleep(0.1)

    def _upperdir(self):
        """The writable layer of the container's root file system (overlay upperdir)."""
        rootfs = os.path.join(self.containerd.bundle(self.container_id), "rootfs")
        for mp, _, fstype, sopts in mountinfo("self"):
            if mp == rootfs and fstype == "overlay":
                return next((o.split("=", 1)[1] for o in sopts if o.startswith("upperdir=")), None)
        return None

    def lines(self):
        return log_lines(self.log)

    def status(self):
        st = self.containerd.call("ContainerStatus", {"container_id": self.container_id}).status
        return st

    def cgroup_file(self, name):
        """A file of the container's cgroup in the hierarchy that has it (v1 or v2)."""
        cg = f"{self.plan.cgroup_parent}/{self.container_id}"
        for d in cri.cgroup_dirs(cg):
            path = os.path.join(d, name)
            if os.path.exists(path):
                return cri.read_file(path).strip()
        return None

    def stop(self, timeout):
        self.containerd.call("StopContainer", {"container_id": self.container_id, "timeout": timeout},
                             timeout=timeout + 30)

    def teardown(self):
        self._observe.set()
        if self.prober:
            self.prober.stop()
        c = self.containerd
        if self.sandbox_id:
            try:
                if self.container_id and self.status().state == cri.pb.CONTAINER_RUNNING:
                    self.stop(self.plan.grace_period)
            finally:
                c.call("StopPodSandbox", {"pod_sandbox_id": self.sandbox_id})
                c.call("RemovePodSandbox", {"pod_sandbox_id": self.sandbox_id})
        left = cri.remove_cgroup(self.plan.cgroup_parent)
        for d in sorted(set(self.plan.host_dirs), key=lambda d: -d.count("/")):   # made by DirectoryOrCreate
            try:
                os.rmdir(d)
            except OSError:
                pass
        self.api.delete_pod(self.plan.namespace, self.plan.name)
        assert not left, f"pod cgroups left: {left}"


@pytest.fixture(scope="module")
def daemon(containerd, api, node, manifests, images, workdir, sa_token, service_account):
    d = DaemonPod(containerd, api, node, manifests, images, workdir, sa_token, service_account)
    try:
        d.start(LIST_DELAY)
        yield d
    finally:
        d.teardown()
        d.report["log"] = d.lines()
        d.report["events"] = [f'{e["involvedObject"].get("kind")}/{e["involvedObject"].get("name")} '
                              f'{e["reason"]}: {e["message"]}' for e in api.events()]
        os.makedirs(os.path.dirname(REPORT), exist_ok=True)
        with open(REPORT, "w") as f:
            json.dump(d.report, f, indent=1, sort_keys=True)


@pytest.fixture(scope="module")
def workload(containerd, images, api):
    """A kubelet for workload pods of the same containerd and node."""
    k = cri.Kubelet(containerd, api, NODE)
    yield k
    errors = k.cleanup()
    assert not errors, errors


def wait_for_line(daemon, pattern, timeout=30):
    got = cri.wait_for(lambda: [x for x in daemon.lines() if re.search(pattern, x)], timeout, 0.05)
    assert got, f"podtrail never logged /{pattern}/; its output:\n" + "\n".join(daemon.lines()[-40:])
    return got


def test_pod_is_the_rendered_daemonset(daemon, node, api, service_account):
    """What the kubelet made of the manifests, as the running process has it."""
    p, pid = daemon.plan, daemon.pid
    ds_c = daemon.daemonset["spec"]["template"]["spec"]["containers"][0]
    assert p.image == ds_c["image"] and p.image.startswith("podtrail:"), p.image
    caps = ds_c["securityContext"]["capabilities"]
    assert caps == {"drop": ["ALL"], "add": ["BPF", "PERFMON"]}, caps   # the no-sys-resource component
    st = proc_status(pid)
    # Bounding set: drop ALL, then the added ones; no_new_privs; seccomp filter.
    assert int(st["CapBnd"], 16) == kubelet.bits(caps["add"]), st["CapBnd"]
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
    assert st["Uid"].split()[0] == "0" and st["Gid"].split()[0] == "0"
    # The environment: downward-API node name, in-cluster service address.
    env = dict(kv.split("=", 1) for kv in (cri.read_file(f"/proc/{pid}/environ") or "").split("\0") if "=" in kv)
    assert env["PODTRAIL_NODE_NAME"] == NODE
    assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == (api.host, str(api.port))
    for e in ds_c["env"]:
        if "value" in e:
            assert env[e["name"]] == e["value"], e
    # Mounts as the process sees them: root read-only, every hostPath and the
    # token read-only, in the same place as the manifest says.
    mounts = {mp: (opts, fstype) for mp, opts, fstype, _ in mountinfo(pid)}
    assert "ro" in mounts["/"][0], mounts["/"]
    for m in ds_c["volumeMounts"]:
        assert m["mountPath"] in mounts, m
        assert "ro" in mounts[m["mountPath"]][0], (m, mounts[m["mountPath"]])
    assert "ro" in mounts[kubelet.SA_MOUNT][0]
    with open(f"/proc/{pid}/root{kubelet.SA_MOUNT}/namespace") as f:
        assert f.read() == service_account[0]
    # Resources: the memory limit and the CPU request as cgroup settings.
    limit = kubelet.quantity(ds_c["resources"]["limits"]["memory"])
    got = daemon.cgroup_file("memory.limit_in_bytes") or daemon.cgroup_file("memory.max")
    assert int(got) == limit, (got, limit)
    shares = daemon.cgroup_file("cpu.shares")
    if shares is not None:
        assert int(shares) == kubelet.milli_cpu_to_shares(
            kubelet.quantity(ds_c["resources"]["requests"]["cpu"], "milli")), shares
    # system-node-critical: the kubelet asks for -997; restrict_oom_score_adj
    # (mandatory here) makes containerd clamp it to its own, 0.
    assert p.oom_score_adj == kubelet.GUARANTEED_OOM_SCORE_ADJ
    assert int(cri.read_file(f"/proc/{pid}/oom_score_adj")) == max(p.oom_score_adj, 0)
    # The image: podtrail as PID 1 of its pid namespace, no shell in it.
    assert proc_status(pid)["NSpid"].split()[-1] == "1"
    assert not os.path.exists(f"/proc/{pid}/root/bin/sh") and not os.path.exists(f"/proc/{pid}/root/usr/bin/sh")
    daemon.report["translation_notes"] = p.notes


def test_programs_attach(daemon):
    line = wait_for_line(daemon, r"podtrail: attached")[0]
    daemon.report["attached_line"] = line
    assert cri.wait_for(lambda: daemon.prober.started.is_set(), 60, 0.1), \
        f"startup probe never succeeded: {daemon.prober.of('startupProbe')}\n" + "\n".join(daemon.lines())
    t = daemon.prober.of("startupProbe")[-1][0] - daemon.t_start
    daemon.report["startup_probe_ok_after_s"] = round(t, 2)
    assert not daemon.prober.restarts, daemon.prober.restarts


def test_readyz_turns_200_once_the_pod_list_is_synced(daemon, api):
    p = daemon.plan
    assert cri.wait_for(lambda: daemon.prober.ready, 60, 0.1), \
        f"never ready: {daemon.prober.of('readinessProbe')}\n" + "\n".join(daemon.lines()[-30:])
    api.set_latency(0, path=r"^/api/v1/pods$", method="GET")
    lists = [e for e in api.requests(method="GET", path=r"^/api/v1/pods$")
             if "watch" not in e["query"] and e["user"] == f"system:serviceaccount:{p.namespace}:{p.service_account}"]
    assert lists and lists[0]["status"] == 200, lists
    assert "fieldSelector=spec.nodeName" in lists[0]["query"] and NODE in lists[0]["query"], lists[0]["query"]
    synced = lists[0]["time"] + LIST_DELAY       # wall clock when the list was answered
    synced_mono = synced - time.time() + time.monotonic()
    seen = list(daemon.observed)
    first_ok = next((t for t, path, s in seen if path == "/readyz" and s == 200), None)
    assert first_ok is not None, seen[-10:]
    healthy = [t for t, path, s in seen if path == "/healthz" and s == 200 and t < first_ok]
    not_ready = [t for t, path, s in seen if path == "/readyz" and s == 503 and t < first_ok]
    assert healthy and not_ready, "podtrail was never seen alive but not ready while its pod list was held"
    assert first_ok >= synced_mono - 0.2, (first_ok - synced_mono)
    assert api.get("pods", p.namespace, p.name)["status"]["conditions"], "Ready condition never published"
    daemon.report.update({"ready_after_start_s": round(first_ok - daemon.t_start, 2),
                          "ready_after_list_answered_s": round(first_ok - synced_mono, 2)})


def events_of(api, pod, reason):
    return [e for e in api.events(pod.namespace)
            if e["involvedObject"].get("uid") == pod.uid and e["reason"] == reason]


def test_crash_in_a_workload_pod_becomes_an_event(daemon, api, workload):
    p = daemon.plan
    user = f"system:serviceaccount:{p.namespace}:{p.service_account}"
    since = api.requests()[-1]["seq"]
    pod = workload.run_pod("crashy", namespace="shop")
    c = pod.start_container("app", ["sh", "-c", "segv; sleep 1000"])
    got = api.wait_until(lambda: events_of(api, pod, "ProcessCrashed"), 20)
    assert got, "no ProcessCrashed event; podtrail's output:\n" + "\n".join(daemon.lines()[-30:])
    ev = got[0]
    assert re.match(r"process \d+ \(segv\) in container app died of SIGSEGV \(signal 11\)", ev["message"]), ev
    assert ev["source"]["component"] == "podtrail" and ev["involvedObject"]["name"] == "crashy"
    assert ev["message"].endswith(f"; container id {c.id[:12]}"), ev["message"]
    # Written through the in-cluster configuration: the projected token, and
    # nothing but what the ClusterRole allows (403 otherwise).
    writes = [e for e in api.requests(method="POST", path=r"/events$", since=since)]
    assert writes and all(e["user"] == user for e in writes), [(e["user"], e["path"]) for e in writes]
    assert any(e["status"] == 201 and e["path"] == "/api/v1/namespaces/shop/events" for e in writes), writes
    mine = [e for e in api.requests(since=0) if e["user"] == user]
    assert all(e["status"] < 400 for e in mine), [(e["method"], e["path"], e["status"]) for e in mine
                                                   if e["status"] >= 400]
    daemon.report["crash_event"] = ev["message"]


def test_no_effective_capability_after_attach(daemon):
    wait_for_line(daemon, r"podtrail: attached")
    st = proc_status(daemon.pid)
    daemon.report["caps_after_attach"] = {k: st[k] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
    assert int(st["CapEff"], 16) == 0, st["CapEff"]
    assert int(st["CapPrm"], 16) == 0 and int(st["CapAmb"], 16) == 0, st


def test_memory_stays_under_the_limit(daemon):
    limit = daemon.plan.memory_limit
    peak = daemon.cgroup_file("memory.max_usage_in_bytes") or daemon.cgroup_file("memory.peak")
    usage = daemon.cgroup_file("memory.usage_in_bytes") or daemon.cgroup_file("memory.current")
    rss = proc_status(daemon.pid)["VmRSS"]
    daemon.report.update({"memory_peak_bytes": int(peak), "memory_usage_bytes": int(usage),
                          "memory_limit_bytes": limit, "vmrss": rss})
    assert int(peak) < limit, (peak, limit)
    failcnt = daemon.cgroup_file("memory.failcnt")
    assert failcnt in (None, "0"), f"the memory limit was hit {failcnt} times"


def test_sigterm_flushes_and_exits_within_the_grace_period(daemon, api, workload):
    """Events queued when the kubelet stops the pod are written before podtrail
    exits 0, well inside terminationGracePeriodSeconds."""
    p = daemon.plan
    pod = workload.run_pod("crashy-late", namespace="shop")
    c = pod.start_container("app", ["sleep", "1000"])
    before = len([x for x in daemon.lines() if "ProcessCrashed" in x])
    since = api.requests()[-1]["seq"]
    api.set_latency(API_LATENCY, path=r"/events(/[^/]+)?$")   # a slow API server: writes pile up
    for _ in range(3):
        assert pod.exec_sync(c, ["segv"])[0] == 139
    assert cri.wait_for(lambda: len([x for x in daemon.lines() if "ProcessCrashed" in x]) >= before + 3, 10, 0.02), \
        "\n".join(daemon.lines()[-20:])
    t0, wall0 = time.monotonic(), time.time()
    daemon.stop(p.grace_period)      # SIGTERM; SIGKILL after the grace period
    st = daemon.status()
    took = (st.finished_at / 1e9) - wall0 if st.finished_at else time.monotonic() - t0
    api.set_latency(0, path=r"/events(/[^/]+)?$")
    daemon.report.update({"stop_exit_code": st.exit_code, "stop_reason": st.reason, "stop_seconds": round(took, 2)})
    assert st.state == cri.pb.CONTAINER_EXITED and st.exit_code == 0, (st, "\n".join(daemon.lines()[-20:]))
    assert took < p.grace_period, took
    got = events_of(api, pod, "ProcessCrashed")
    n = sum(e.get("count", 1) for e in got)
    assert n == 3, f"{n} of 3 crashes written before exiting: " + json.dumps(got, indent=1)
    # Writes still unanswered at SIGTERM (each is answered API_LATENCY after it
    # was sent) were all answered before podtrail exited.
    writes = [e for e in api.requests(since=since) if re.search(r"/events(/[^/]+)?$", e["path"])
              and e["method"] in ("POST", "PATCH", "PUT")]
    pending = [e for e in writes if e["time"] + API_LATENCY > wall0]
    assert pending, "no Event write was pending at SIGTERM: the test proved nothing: " + \
        repr([(e["method"], e["path"], round(e["time"] - wall0, 3)) for e in writes])
    last_answer = max(e["time"] for e in pending) + API_LATENCY
    assert st.finished_at / 1e9 >= last_answer - 0.05, (st.finished_at / 1e9 - last_answer)
    daemon.report["writes_pending_at_sigterm"] = len(pending)
    tail = "\n".join(daemon.lines()[-10:])
    assert re.search(r"totals: .*\blost=0\b", tail), tail
    assert not daemon.prober.restarts, daemon.prober.restarts


def test_root_filesystem_was_not_written(daemon):
    """Read-only root: a write through the container's own root fails. Its
    writable layer (the overlay snapshot's upperdir, kept until the container is
    removed) holds only the mount points runc made before it turned the root
    read-only -- empty directories and files on the path of a mount -- and is
    the same after podtrail ran and exited as when it started."""
    path = f"/proc/{daemon.pid}/root/podtrail-write-test"
    if os.path.exists(f"/proc/{daemon.pid}"):
        with pytest.raises(OSError) as e:
            open(path, "w").close()
        assert e.value.errno == 30, e.value   # EROFS
    assert daemon.upperdir, "no overlay upperdir found for the container's root file system"
    now = tree(daemon.upperdir)
    assert now == daemon.upper_at_start, {k: (daemon.upper_at_start.get(k), now.get(k))
                                          for k in set(now) | set(daemon.upper_at_start)
                                          if now.get(k) != daemon.upper_at_start.get(k)}
    for rel, (kind, size, _) in now.items():
        p = "/" + rel
        assert any(mp == p or mp.startswith(p + "/") for mp in daemon.mount_points), \
            f"{p} in the root file system's writable layer is no mount point"
        assert size == 0, f"{p}: {size} bytes written"
    daemon.report["rootfs_upper_entries"] = sorted(now)
