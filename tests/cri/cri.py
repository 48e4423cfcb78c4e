"""Drive a private containerd through the CRI exactly as the kubelet does, with no
kubelet, no registry and no network, and keep a fake API server's Pod objects in
step, so that podtrail can be tested against the real runtime's processes, cgroups
and state files rather than a hand-made imitation of them.

A plain module (no pytest): Containerd (a private daemon), build_images /
import_images (OCI tarballs built with the standard library), Kubelet / Pod /
Container / Exec (the kubelet's CRI calls and API status updates). Pods are
hostNetwork (no CNI here) with the kubelet's cgroupfs layout
/kubepods[/<qos>]/pod<uid>/<container id>."""
import contextlib
import datetime
import glob
import hashlib
import importlib.util
import inspect
import io
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid

import grpc
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PROTO = os.path.join(HERE, "proto", "api.proto")
IMAGE_CACHE = os.path.join(ROOT, "build", "cri-images")
CGROUP_ROOT = "/sys/fs/cgroup"

PAUSE_IMAGE = "registry.k8s.io/pause:3.6"        # containerd 1.6's default sandbox_image
WORKLOAD_IMAGE = "localhost/podtrail-test/busybox:1"
K8S_NAMESPACE = "k8s.io"                         # the containerd namespace the CRI uses
TASKS = "io.containerd.runtime.v2.task"          # <state>/TASKS/k8s.io/<id>: a bundle
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The kubelet's default masked and read-only paths (it always sends them).
MASKED_PATHS = ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                "/sys/firmware"]
READONLY_PATHS = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                  "/proc/sysrq-trigger"]

# qos -> (status.qosClass, parent of the pod cgroup, a container's oom_score_adj)
QOS = {"guaranteed": ("Guaranteed", "/kubepods", -997),
       "burstable": ("Burstable", "/kubepods/burstable", 999),
       "besteffort": ("BestEffort", "/kubepods/besteffort", 1000)}


def _compile_proto():
    """api_pb2 from proto/api.proto: protoc's plain --python_out into a temporary
    directory (nothing generated is committed; the gRPC stubs are built by hand)."""
    with tempfile.TemporaryDirectory(prefix="podtrail-cri-proto-") as out:
        r = subprocess.run(["protoc", "-I" + os.path.dirname(PROTO), "--python_out=" + out,
                            os.path.basename(PROTO)], capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"protoc failed ({r.returncode}): {r.stderr}")
        spec = importlib.util.spec_from_file_location("api_pb2", os.path.join(out, "api_pb2.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod


pb = _compile_proto()
IMAGE_METHODS = {m.name for m in pb.DESCRIPTOR.services_by_name["ImageService"].methods}


class CRIError(Exception):
    """A failed CRI call (or a wait on containerd), with containerd's log tail: the
    CRI's message alone rarely says which runc or shim step failed."""

    def __init__(self, what, code=None, details="", log=""):
        self.code, self.details = code, details
        head = f"{what}: {code.name if code else ''} {details}".rstrip()
        super().__init__(f"{head}\n--- containerd log (tail) ---\n{log}")


class ExecTimeout(CRIError):
    """ExecSync ran past its timeout (gRPC DEADLINE_EXCEEDED)."""


def k8s_time(ns=None):
    """metav1.Time (RFC 3339, seconds) of a CRI timestamp in ns, or of now."""
    t = datetime.datetime.fromtimestamp(ns / 1e9 if ns else time.time(), datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(predicate, timeout, interval=0.01):
    """Poll predicate() until true; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


def read_file(path):
    """A /proc or state file's text, or None when it (or its process) is gone."""
    try:
        with open(path) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None


def proc_cmdline(pid):
    raw = read_file(f"/proc/{pid}/cmdline")
    return raw.split("\0")[:-1] if raw else []


def wait_exec(pid, timeout=10):
    """Whether pid has left runc's init for its own program: the CRI's start (and an
    exec's pid file) comes back while it may still be runc:[2:INIT] for a few ms. A
    process that is already gone counts as done: the caller's status check says why."""
    return wait_for(lambda: not (read_file(f"/proc/{pid}/comm") or "").startswith("runc:"),
                    timeout)


# --------------------------------------------------------------------------
# cgroups: the kubelet removes a pod's cgroup itself, containerd does not
# --------------------------------------------------------------------------

def cgroup_hierarchies():
    """Every mounted hierarchy: each v1 controller, name=systemd and the unified
    tree in hybrid mode (runc joins all of them), or the root on pure v2."""
    if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        return [CGROUP_ROOT]
    seen, out = set(), []
    for e in sorted(os.listdir(CGROUP_ROOT)):
        p = os.path.realpath(os.path.join(CGROUP_ROOT, e))
        if p not in seen and os.path.ismount(p):
            seen.add(p)
            out.append(p)
    return out


def cgroup_dirs(cgroup):
    """The directories of one cgroup path (e.g. /kubepods/burstable/pod<uid>) that exist."""
    return [d for d in (h + cgroup for h in cgroup_hierarchies()) if os.path.isdir(d)]


def remove_cgroup(cgroup, timeout=5):
    """rmdir a cgroup and its children depth-first in every hierarchy, retrying while
    they are busy (a process that is still exiting); returns what is left."""
    def attempt():
        for top in cgroup_dirs(cgroup):
            for d, _, _ in sorted(os.walk(top), key=lambda w: -w[0].count("/")):
                try:
                    os.rmdir(d)
                except FileNotFoundError:
                    pass
                except OSError:
                    break
        return not cgroup_dirs(cgroup)
    wait_for(attempt, timeout, 0.05)
    return cgroup_dirs(cgroup)


# --------------------------------------------------------------------------
# containerd
# --------------------------------------------------------------------------

CONFIG = """version = 2
root = "{root}"
state = "{state}"
[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    # Mandatory here: CAP_SYS_RESOURCE is not in the bounding set, so the
    # sandbox's oom_score_adj of -998 would make every RunPodSandbox fail.
    restrict_oom_score_adj = true
    sandbox_image = "{pause}"
    # The streaming server (exec/attach/port-forward URLs, unused here) would
    # otherwise take port 10010 and collide with another instance.
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    # The kubelet's cgroupfs driver (the default; systemd is impossible without
    # systemd as PID 1). Naming the runtime means its type must be given too.
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # runc's own state, else /run/containerd/runc/k8s.io shared with any other
        # containerd (the shims' sockets stay in /run/containerd/s: hard-coded).
        Root = "{runc}"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "{cni}"
  [plugins."io.containerd.internal.v1.opt"]
    path = "{opt}"
"""


@contextlib.contextmanager
def running_containerd(workdir, prepare=None):
    """A started private containerd under @workdir (prepare(c) runs before the start,
    e.g. to write a CNI config); at the end nothing of it may be left."""
    c = Containerd(workdir)
    assert len(c.socket) < 100, f"socket path too long for AF_UNIX: {c.socket}"
    if prepare:
        prepare(c)
    try:
        yield c.start()
    finally:
        left = c.stop()
    assert not left, f"containerd left behind: {left} (forced: {c.cleaned})"


class Containerd:
    """A private containerd (own config, root, state and sockets under @workdir),
    next to any other one on the machine; stop() leaves nothing of it behind."""

    def __init__(self, workdir):
        self.dir = os.path.abspath(str(workdir))
        self.root = os.path.join(self.dir, "root")
        self.state = os.path.join(self.dir, "state")   # podtrail's --containerd-state
        self.socket = os.path.join(self.dir, "containerd.sock")
        self.config = os.path.join(self.dir, "config.toml")
        self.log = os.path.join(self.dir, "containerd.log")
        self.proc = None
        self.channel = None
        self._stubs = {}
        self.pod_cgroups = set()   # cgroup_parent of every RunPodSandbox: ours to rmdir
        self.cleaned = []          # what stop() had to clean up by force

    def start(self, timeout=20):
        for d in ("root", "state", "cni", "opt"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        with open(self.config, "w") as f:
            f.write(CONFIG.format(root=self.root, state=self.state, socket=self.socket,
                                  pause=PAUSE_IMAGE, cni=os.path.join(self.dir, "cni"),
                                  runc=os.path.join(self.dir, "runc"),
                                  opt=os.path.join(self.dir, "opt")))
        env = dict(os.environ, PATH=PATH_ENV[5:])   # runc and the shim are looked up in PATH
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(["containerd", "--config", self.config], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, env=env, start_new_session=True)
        if not wait_for(lambda: self.proc.poll() is not None or
                        self.ctr("version", check=False).returncode == 0, timeout, 0.02) \
                or self.proc.poll() is not None:
            raise self.error("containerd did not start")
        self.channel = grpc.insecure_channel("unix://" + self.socket)
        # The CRI plugin initialises in the background after the socket answers.
        if not wait_for(lambda: self._answers("Version"), timeout, 0.02):
            self.call("Version")   # raises with the CRI's reason
        return self

    def _answers(self, method):
        try:
            self.call(method)
            return True
        except CRIError:
            return False

    def ctr(self, *args, check=True):
        r = subprocess.run(["ctr", "-a", self.socket, *args], capture_output=True, text=True)
        if check and r.returncode:
            raise self.error(f"ctr {' '.join(args)} (rc {r.returncode})", details=r.stderr.strip())
        return r

    def log_tail(self, lines=40):
        with open(self.log, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 200 * lines))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])

    def error(self, what, code=None, details=""):
        return CRIError(what, code, details, self.log_tail())

    def call(self, method, request=None, timeout=60):
        """One CRI call: @request is the <method>Request as a dict (proto field names,
        enum names); returns the <method>Response message."""
        stub = self._stubs.get(method)
        if not stub:
            svc = "ImageService" if method in IMAGE_METHODS else "RuntimeService"
            stub = self._stubs[method] = self.channel.unary_unary(
                f"/runtime.v1.{svc}/{method}",
                request_serializer=getattr(pb, method + "Request").SerializeToString,
                response_deserializer=getattr(pb, method + "Response").FromString)
        req = json_format.ParseDict(request or {}, getattr(pb, method + "Request")())
        if method == "RunPodSandbox":   # recorded first: a failed one leaves it behind too
            self.pod_cgroups.add(req.config.linux.cgroup_parent)
        try:
            return stub(req, timeout=timeout)
        except grpc.RpcError as e:
            cls = ExecTimeout if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and \
                method == "ExecSync" else CRIError
            raise cls(method, e.code(), e.details(), self.log_tail()) from None

    def bundle(self, cid):
        """The runtime v2 bundle of a sandbox or container: config.json, init.pid,
        <exec-id>.pid while an exec runs; there only while its task exists."""
        return os.path.join(self.state, TASKS, K8S_NAMESPACE, cid)

    def init_pid(self, cid):
        raw = read_file(os.path.join(self.bundle(cid), "init.pid"))
        return int(raw) if raw else None

    def check_init_pid(self, cid, pid):
        """The CRI's pid of a task must be its bundle's init.pid (what podtrail may
        read), unless the process is already gone: the bundle goes ~30 ms after the
        exit, while the CRI still says RUNNING."""
        bundle_pid = self.init_pid(cid)
        if bundle_pid != pid and (bundle_pid is not None or os.path.exists(f"/proc/{pid}")):
            raise self.error(f"task {cid}: pid {pid} from the CRI, {bundle_pid} in init.pid")

    def shims(self):
        """pids of this instance's containerd-shim-runc-v2 processes (by -address)."""
        out = []
        for p in os.listdir("/proc"):
            if p.isdigit():
                argv = proc_cmdline(p)
                if argv and argv[0].endswith("containerd-shim-runc-v2") and \
                        any(a == "-address" and v == self.socket for a, v in zip(argv, argv[1:])):
                    out.append(int(p))
        return out

    def mounts(self):
        """Mount points under our directory (overlay rootfs, sandbox shm), deepest first."""
        out = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
                if mp.startswith(self.dir + "/"):
                    out.append(mp)
        return sorted(out, key=len, reverse=True)

    def leftovers(self):
        """What of this instance is still on the machine: shims, mounts, pod cgroups."""
        return ([f"shim pid {p}" for p in self.shims()] + [f"mount {m}" for m in self.mounts()] +
                [f"cgroup {d}" for c in sorted(self.pod_cgroups) for d in cgroup_dirs(c)])

    def stop(self, shim_timeout=5):
        """Stop and remove every pod sandbox still there through the CRI, stop the
        daemon, then clean what that leaves: shims (they outlive containerd by
        design), mounts, our pods' cgroups. Returns leftovers() (empty when clean);
        what had to be forced is in self.cleaned."""
        if self.proc and self.proc.poll() is None:
            try:
                for sb in self.call("ListPodSandbox").items:
                    self.cleaned.append(f"pod sandbox {sb.metadata.namespace}/{sb.metadata.name}")
                    self.call("StopPodSandbox", {"pod_sandbox_id": sb.id})
                    self.call("RemovePodSandbox", {"pod_sandbox_id": sb.id})
            except CRIError as e:
                self.cleaned.append(f"sandbox cleanup failed: {e}")
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.cleaned.append("containerd needed SIGKILL")
                self.proc.kill()
                self.proc.wait()
        if self.channel:
            self.channel.close()
            self.channel = None
        if not wait_for(lambda: not self.shims(), shim_timeout, 0.05):
            # A killed shim leaves its socket in /run/containerd/s (containerd 1.6
            # puts it there whatever the state dir); the bundles say which.
            sockets = [read_file(a) for a in glob.glob(os.path.join(self.state, TASKS, "*", "*", "address"))]
            for pid in self.shims():
                self.cleaned.append(f"killed shim {pid}")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            wait_for(lambda: not self.shims(), 5, 0.05)
            for s in sockets:
                if s and s.startswith("unix://") and os.path.exists(s[7:]):
                    self.cleaned.append(f"removed shim socket {s[7:]}")
                    os.unlink(s[7:])
        for mp in self.mounts():
            self.cleaned.append(f"unmounted {mp}")
            subprocess.run(["umount", "-l", mp], capture_output=True)
        for cg in sorted(self.pod_cgroups):
            if cgroup_dirs(cg):
                self.cleaned.append(f"removed cgroup {cg}")
                remove_cgroup(cg)
        return self.leftovers()


# --------------------------------------------------------------------------
# images: OCI layout tarballs built with the standard library, imported by ctr
# --------------------------------------------------------------------------

HELPERS = ("pause", "memhog", "segv")   # tests/cri/<name>.c, built static


def _tar_bytes(entries):
    """A deterministic tar (fixed owner, mode, mtime 0): same inputs, same digest.
    entries: (name, kind, payload, mode), kind "dir" | "file" | "link"."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, payload, mode in entries:
            ti = tarfile.TarInfo(name)
            ti.mode, ti.mtime = mode, 0
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
                tar.addfile(ti)
            elif kind == "link":
                ti.type, ti.linkname = tarfile.SYMTYPE, payload
                tar.addfile(ti)
            else:
                ti.size = len(payload)
                tar.addfile(ti, io.BytesIO(payload))
    return buf.getvalue()


def _oci_archive(path, name, layer_entries, config):
    """An OCI image layout tarball of one uncompressed layer; the image's full name
    comes from index.json's io.containerd.image.name annotation."""
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    blobs = {}

    def blob(media_type, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def js(obj):
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

    layer = blob("application/vnd.oci.image.layer.v1.tar", _tar_bytes(layer_entries))
    cfg = blob("application/vnd.oci.image.config.v1+json", js(
        {"architecture": arch, "os": "linux", "config": config,
         "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}))
    manifest = blob("application/vnd.oci.image.manifest.v1+json", js(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": cfg, "layers": [layer]}))
    manifest["platform"] = {"architecture": arch, "os": "linux"}
    manifest["annotations"] = {"io.containerd.image.name": name,
                               "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [manifest]}
    entries = [("oci-layout", "file", js({"imageLayoutVersion": "1.0.0"}), 0o644),
               ("index.json", "file", js(index), 0o644),
               ("blobs", "dir", None, 0o755), ("blobs/sha256", "dir", None, 0o755)]
    entries += [("blobs/sha256/" + d[7:], "file", data, 0o644) for d, data in sorted(blobs.items())]
    with open(path, "wb") as f:
        f.write(_tar_bytes(entries))


def _rootfs(dirs, files):
    """Layer entries: directories, then (path, bytes, mode) files or (path, target) links."""
    out = [(d, "dir", None, 0o1777 if d == "tmp" else 0o755) for d in dirs]
    for f in files:
        out.append((f[0], "link", f[1], 0o777) if len(f) == 2 else (f[0], "file", f[1], f[2]))
    return out


def build_images(cache_dir=IMAGE_CACHE):
    """{image name: OCI tarball} for the pause and the workload image, built once
    into cache_dir/<hash of the inputs>/ (C helpers, busybox, gcc, the code and
    names here); older builds there are removed."""
    busybox = shutil.which("busybox")
    assert busybox, "busybox is missing: apt-get install busybox-static"
    assert shutil.which("gcc"), "gcc is missing: apt-get install gcc libc6-dev"
    sources = [os.path.join(HERE, h + ".c") for h in HELPERS]
    h = hashlib.sha256()
    for p in (*sources, busybox):
        with open(p, "rb") as f:
            h.update(f.read())
    h.update(subprocess.run(["gcc", "--version"], capture_output=True).stdout)
    for fn in (_tar_bytes, _oci_archive, _rootfs, build_images):
        h.update(inspect.getsource(fn).encode())
    h.update(repr((PAUSE_IMAGE, WORKLOAD_IMAGE, PATH_ENV, HELPERS)).encode())
    out = os.path.join(cache_dir, h.hexdigest()[:16])
    tars = {PAUSE_IMAGE: os.path.join(out, "pause.tar"), WORKLOAD_IMAGE: os.path.join(out, "busybox.tar")}
    if os.path.isdir(out):
        return tars
    os.makedirs(cache_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=cache_dir, prefix=".build-")
    try:
        bins = {}
        for name, src in zip(HELPERS, sources):
            exe = os.path.join(tmp, name)
            r = subprocess.run(["gcc", "-static", "-O2", "-s", "-o", exe, src], capture_output=True, text=True)
            assert r.returncode == 0, f"gcc {src}: {r.stderr}"
            with open(exe, "rb") as f:
                bins[name] = f.read()
        _oci_archive(os.path.join(tmp, "pause.tar"), PAUSE_IMAGE,
                     _rootfs(["dev", "etc", "proc", "sys"], [("pause", bins["pause"], 0o755)]),
                     {"Entrypoint": ["/pause"], "Env": [PATH_ENV]})
        applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
        with open(busybox, "rb") as f:
            files = [("bin/busybox", f.read(), 0o755)]
        files += [("bin/" + a, "busybox") for a in sorted(set(applets) - {"busybox", *HELPERS})]
        files += [("bin/" + n, bins[n], 0o755) for n in ("memhog", "segv")]
        files += [("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", 0o644),
                  ("etc/group", b"root:x:0:\nnogroup:x:65534:\n", 0o644)]
        _oci_archive(os.path.join(tmp, "busybox.tar"), WORKLOAD_IMAGE,
                     _rootfs(["bin", "dev", "etc", "proc", "root", "sys", "tmp"], files),
                     {"Cmd": ["sh"], "Env": [PATH_ENV]})
        os.rename(tmp, out)   # atomic: a concurrent session sees all or nothing
    except OSError:
        if not os.path.isdir(out):
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in os.listdir(cache_dir):
        if old != os.path.basename(out) and not old.startswith("."):
            shutil.rmtree(os.path.join(cache_dir, old), ignore_errors=True)
    return tars


def import_images(containerd, tars):
    """ctr import into the CRI's namespace; returns {name: image id} as the CRI sees it."""
    ids = {}
    for name, tar in tars.items():
        containerd.ctr("-n", K8S_NAMESPACE, "images", "import", tar)
        ids[name] = containerd.call("ImageStatus", {"image": {"image": name}}).image.id
        if not ids[name]:
            raise containerd.error(f"image {name} imported from {tar} but unknown to the CRI")
    return ids


# --------------------------------------------------------------------------
# the kubelet
# --------------------------------------------------------------------------

def api_container_status(name, image, state, last_state=None, restart_count=0, image_id="", cid=None):
    """An entry of status.containerStatuses as the kubelet writes it."""
    running = "running" in state
    out = {"name": name, "state": state, "lastState": last_state or {}, "ready": running,
           "restartCount": restart_count, "image": image, "imageID": image_id, "started": running}
    if cid:
        out["containerID"] = "containerd://" + cid
    return out


class Container:
    """One instance (attempt) of a pod's container."""

    def __init__(self, pod, name, cid, attempt, pid, spec, image_id, started_at):
        self.pod, self.name, self.id, self.attempt, self.pid = pod, name, cid, attempt, pid
        self.spec = spec          # what restart_container reuses
        self.image_id = image_id  # ContainerStatus.image_ref: the API's imageID
        self.previous = None      # the dead instance the kubelet's GC keeps
        self.state = {"running": {"startedAt": k8s_time(started_at)}}   # the API's view
        self.last_state = {}
        self.restart_count = attempt

    @property
    def cgroup(self):
        return f"{self.pod.cgroup_parent}/{self.id}"

    @property
    def bundle(self):
        return self.pod.containerd.bundle(self.id)

    def api_status(self):
        return api_container_status(self.name, self.pod.kubelet.image, self.state, self.last_state,
                                    self.restart_count, self.image_id, self.id)

    def __repr__(self):
        return f"<Container {self.pod.namespace}/{self.pod.name}/{self.name}#{self.attempt} {self.id[:12]} pid {self.pid}>"


class Exec:
    """An ExecSync running in a thread, so that a test can find the exec'd process's
    host pid (runc's <exec-id>.pid in the bundle) and signal it from the host."""

    PIDFILE = re.compile(r"^[0-9a-f]+\.pid$")

    def __init__(self, pod, container, cmd, timeout):
        self._result = self._error = None
        before = self._pidfiles(container.bundle)
        self.thread = threading.Thread(target=self._run, args=(pod, container, cmd, timeout), daemon=True)
        self.thread.start()
        new = wait_for(lambda: (self._pidfiles(container.bundle) - before) or not self.thread.is_alive(), 10)
        pid = read_file(os.path.join(container.bundle, sorted(new)[0])) if isinstance(new, set) else None
        if not pid:
            self.thread.join(1)
            raise pod.containerd.error(f"exec {cmd} in {container}: its pid was never seen "
                                       f"(result {self._result}, error {self._error})")
        self.pid = int(pid)
        wait_exec(self.pid)

    @staticmethod
    def _pidfiles(bundle):
        try:
            return {f for f in os.listdir(bundle) if Exec.PIDFILE.match(f) and f != "init.pid"}
        except FileNotFoundError:
            return set()

    def _run(self, pod, container, cmd, timeout):
        try:
            self._result = pod.exec_sync(container, cmd, timeout)
        except Exception as e:   # handed to result()
            self._error = e

    def result(self, timeout=60):
        """(exit_code, stdout, stderr) once the exec ends; its error if it failed."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"exec {self.pid} still running after {timeout} s"
        if self._error:
            raise self._error
        return self._result


class Kubelet:
    """The kubelet's side of pods on one node: CRI calls to @containerd, and the Pod
    objects in the fake API server @api kept in step with them."""

    def __init__(self, containerd, api, node_name, image=WORKLOAD_IMAGE):
        self.containerd, self.api, self.node_name, self.image = containerd, api, node_name, image
        self.log_root = os.path.join(containerd.dir, "pods")   # /var/log/pods
        self.pods = []   # every pod run, deleted ones included

    def run_pod(self, name, namespace="default", pid_mode="CONTAINER", qos="burstable",
                containers=("app",), labels=None, annotations=None):
        """Register the pod in the API server (phase Running, containers waiting in
        ContainerCreating) and run its sandbox; containers are started by the test
        (Pod.start_container), which may also add ones not listed here."""
        assert pid_mode in ("CONTAINER", "POD", "NODE"), pid_mode
        assert qos in QOS, qos
        pod = Pod(self, name, namespace, pid_mode, qos, labels or {}, annotations or {})
        self.pods.append(pod)
        pod.register(containers)
        pod.run_sandbox()
        return pod

    def cleanup(self, grace_period=0):
        """Delete every pod not deleted yet (a test's teardown); returns the errors."""
        errors = []
        for pod in self.pods:
            if not pod.deleted:
                try:
                    pod.delete(grace_period)
                except Exception as e:   # keep deleting the others
                    errors.append(f"{pod.namespace}/{pod.name}: {e}")
        return errors


class Pod:
    """A pod as the kubelet runs it: a sandbox, its containers, its API object."""

    def __init__(self, kubelet, name, namespace, pid_mode, qos, labels, annotations):
        self.kubelet, self.containerd, self.api = kubelet, kubelet.containerd, kubelet.api
        self.name, self.namespace, self.pid_mode, self.qos = name, namespace, pid_mode, qos
        self.labels, self.annotations = labels, annotations
        self.uid = str(uuid.uuid4())
        self.cgroup_parent = f"{QOS[qos][1]}/pod{self.uid}"
        self.log_directory = os.path.join(kubelet.log_root, f"{namespace}_{name}_{self.uid}")
        self.sandbox_id = None
        self.pause_pid = None
        self._sandbox_config = None
        self.containers = {}   # name -> the current Container
        self.deleted = False

    # -- the API object ---------------------------------------------------

    def register(self, containers):
        """add_pod as the scheduler and kubelet would leave it before any container runs."""
        waiting = [api_container_status(n, self.kubelet.image, {"waiting": {"reason": "ContainerCreating"}})
                   for n in containers]
        now = k8s_time()
        status = {"phase": "Running", "qosClass": QOS[self.qos][0], "startTime": now,
                  "hostIP": "127.0.0.1", "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}],
                  "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
                                 for t in ("Initialized", "PodScheduled")],
                  "containerStatuses": waiting}
        self.api.add_pod(self.name, namespace=self.namespace, uid=self.uid, node_name=self.kubelet.node_name,
                         containers=list(containers) or ["placeholder"],
                         labels=self.labels or None, annotations=self.annotations or None, status=status)

        def spec(pod):   # what add_pod cannot say
            pod["spec"]["containers"] = [self._spec_container(n) for n in containers]
            pod["spec"]["hostNetwork"] = True
            pod["spec"]["hostPID"] = self.pid_mode == "NODE"
            pod["spec"]["shareProcessNamespace"] = self.pid_mode == "POD"
        self._update_api(spec)

    def api_pod(self):
        return self.api.get("pods", self.namespace, self.name)

    def _spec_container(self, name, memory_limit=None):
        c = {"name": name, "image": self.kubelet.image, "resources": {},
             "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
             "imagePullPolicy": "IfNotPresent"}
        if memory_limit:
            c["resources"] = {"limits": {"memory": str(memory_limit)}}
        return c

    def _publish(self, container):
        """Write @container's status into the API object, as the kubelet's status
        manager; its spec entry (with the memory limit) is added or updated too, so a
        test may start containers the pod was not registered with."""
        def mutate(pod):
            cs = [c for c in pod["status"].get("containerStatuses") or [] if c["name"] != container.name]
            pod["status"]["containerStatuses"] = sorted(cs + [container.api_status()], key=lambda c: c["name"])
            new = self._spec_container(container.name, container.spec["memory_limit"])
            specs = pod["spec"]["containers"]
            i = next((i for i, c in enumerate(specs) if c["name"] == container.name), len(specs))
            specs[i:i + 1] = [new]
        self._update_api(mutate)

    def _update_api(self, mutate):
        """update_pod, unless the test removed the API object itself."""
        try:
            self.api.update_pod(self.namespace, self.name, mutate)
        except KeyError:
            pass

    # -- the sandbox ------------------------------------------------------

    def _namespace_options(self):
        return {"network": "NODE", "pid": self.pid_mode, "ipc": "POD"}

    def sandbox_config(self):
        """The PodSandboxConfig the kubelet sends (CreateContainer repeats it)."""
        return {"metadata": {"name": self.name, "uid": self.uid, "namespace": self.namespace, "attempt": 0},
                "hostname": "",   # must be empty with hostNetwork
                "log_directory": self.log_directory,
                "labels": {**self.labels, "io.kubernetes.pod.name": self.name,
                           "io.kubernetes.pod.namespace": self.namespace, "io.kubernetes.pod.uid": self.uid},
                "annotations": {**self.annotations, "kubernetes.io/config.source": "api",
                                "kubernetes.io/config.seen": k8s_time()},
                "linux": {"cgroup_parent": self.cgroup_parent,
                          "security_context": {"namespace_options": self._namespace_options()}}}

    def run_sandbox(self):
        os.makedirs(self.log_directory, exist_ok=True)
        self._sandbox_config = self.sandbox_config()
        self.sandbox_id = self.containerd.call("RunPodSandbox", {"config": self._sandbox_config}).pod_sandbox_id
        st = self.containerd.call("PodSandboxStatus", {"pod_sandbox_id": self.sandbox_id, "verbose": True})
        self.pause_pid = json.loads(st.info["info"])["pid"]
        self.containerd.check_init_pid(self.sandbox_id, self.pause_pid)

    # -- containers -------------------------------------------------------

    def _container(self, container):
        return container if isinstance(container, Container) else self.containers[container]

    def _launch(self, name, attempt, spec):
        """CreateContainer + StartContainer with the kubelet's config; the new
        instance once its main process has exec'd."""
        os.makedirs(os.path.join(self.log_directory, name), exist_ok=True)
        res = {"cpu_period": 100000, "cpu_shares": 2, "oom_score_adj": QOS[self.qos][2]}
        if spec["memory_limit"]:
            res["memory_limit_in_bytes"] = spec["memory_limit"]
        config = {
            "metadata": {"name": name, "attempt": attempt},
            "image": {"image": spec["image_ref"]},   # the kubelet sends the image id
            "command": list(spec["command"]), "args": list(spec["args"]),
            "envs": [{"key": k, "value": str(v)} for k, v in (spec["env"] or {}).items()],
            "log_path": f"{name}/{attempt}.log",
            "labels": {"io.kubernetes.container.name": name, "io.kubernetes.pod.name": self.name,
                       "io.kubernetes.pod.namespace": self.namespace, "io.kubernetes.pod.uid": self.uid},
            "annotations": {"io.kubernetes.container.hash": hashlib.sha256(
                                json.dumps([name, spec["command"], spec["args"]]).encode()).hexdigest()[:8],
                            "io.kubernetes.container.restartCount": str(attempt),
                            "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
                            "io.kubernetes.container.terminationMessagePolicy": "File",
                            "io.kubernetes.pod.terminationGracePeriod": "30"},
            "linux": {"resources": res,
                      "security_context": {"namespace_options": self._namespace_options(),
                                           "masked_paths": MASKED_PATHS, "readonly_paths": READONLY_PATHS}}}
        cid = self.containerd.call("CreateContainer", {"pod_sandbox_id": self.sandbox_id, "config": config,
                                                       "sandbox_config": self._sandbox_config}).container_id
        self.containerd.call("StartContainer", {"container_id": cid})
        st = self.containerd.call("ContainerStatus", {"container_id": cid, "verbose": True})
        pid = json.loads(st.info["info"])["pid"]
        self.containerd.check_init_pid(cid, pid)
        wait_exec(pid)
        return Container(self, name, cid, attempt, pid, spec, st.status.image_ref, st.status.started_at)

    def start_container(self, name, command, args=(), memory_limit=None, env=None, publish=True):
        """Start container @name (attempt 0) and report it running in the API object
        (publish=False: not yet, as when the kubelet's status update lags)."""
        assert name not in self.containers, f"{name} exists: use restart_container"
        image_ref = self.containerd.call("ImageStatus", {"image": {"image": self.kubelet.image}}).image.id
        spec = {"command": command, "args": args, "memory_limit": memory_limit, "env": env, "image_ref": image_ref}
        c = self.containers[name] = self._launch(name, 0, spec)
        if publish:
            self._publish(c)
        return c

    def restart_container(self, name, command=None, args=None):
        """What the kubelet does when a container exited: attempt+1 under a new id, the
        old instance as lastState.terminated, restartCount+1; it removes the instance
        before the old one (its GC keeps one dead instance per container)."""
        old = self.containers[name]
        self.wait_exited(old)
        spec = dict(old.spec)
        if command is not None:
            spec["command"], spec["args"] = command, args or ()
        elif args is not None:
            spec["args"] = args
        new = self._launch(name, old.attempt + 1, spec)
        new.last_state = {"terminated": old.state["terminated"]}
        self.containers[name] = new
        self._publish(new)
        if old.previous:
            self.remove_container(old.previous)
            old.previous = None
        new.previous = old
        return new

    def container_status(self, container):
        """ContainerStatus (verbose) of @container: (status message, info dict)."""
        st = self.containerd.call("ContainerStatus", {"container_id": self._container(container).id,
                                                      "verbose": True})
        return st.status, json.loads(st.info["info"]) if "info" in st.info else {}

    def _running(self, container):
        try:
            return self.container_status(container)[0].state in (pb.CONTAINER_RUNNING, pb.CONTAINER_CREATED)
        except CRIError:   # removed already
            return False

    def wait_exited(self, container, timeout=10):
        """Poll ContainerStatus until EXITED (it lags the real exit by 30-100 ms), then
        report it terminated in the API object; returns (exit_code, reason)."""
        c = self._container(container)

        def exited():
            st = self.container_status(c)[0]
            return st if st.state == pb.CONTAINER_EXITED else None
        st = wait_for(exited, timeout, 0.02)
        if not st:
            raise self.containerd.error(f"{c} did not exit within {timeout} s")
        if "terminated" not in c.state:
            c.state = {"terminated": {"exitCode": st.exit_code, "reason": st.reason,
                                      "startedAt": k8s_time(st.started_at), "finishedAt": k8s_time(st.finished_at),
                                      "containerID": "containerd://" + c.id}}
            if st.message:
                c.state["terminated"]["message"] = st.message
            self._publish(c)
        return st.exit_code, st.reason

    def stop_container(self, container, timeout=30):
        """StopContainer with a grace period (SIGTERM, SIGKILL after @timeout s);
        returns (exit_code, reason)."""
        c = self._container(container)
        self.containerd.call("StopContainer", {"container_id": c.id, "timeout": timeout}, timeout=timeout + 30)
        return self.wait_exited(c)

    def remove_container(self, container):
        c = self._container(container)
        self.containerd.call("RemoveContainer", {"container_id": c.id})

    def exec_sync(self, container, cmd, timeout=10):
        """ExecSync -> (exit_code, stdout, stderr); raises ExecTimeout past @timeout."""
        r = self.containerd.call("ExecSync", {"container_id": self._container(container).id, "cmd": list(cmd),
                                              "timeout": timeout}, timeout=timeout + 30 if timeout else None)
        return r.exit_code, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def exec_async(self, container, cmd, timeout=60):
        """Start an ExecSync in a thread; returns an Exec with the host .pid of the
        exec'd process once it runs its program, and .result()."""
        return Exec(self, self._container(container), cmd, timeout)

    # -- deletion ---------------------------------------------------------

    def delete(self, grace_period=30):
        """What the kubelet does on pod deletion: deletionTimestamp on the API object,
        StopContainer of every running container with the grace period (in parallel),
        their terminated states, StopPodSandbox + RemovePodSandbox, rmdir the pod's
        cgroups (containerd leaves them), then the API object goes."""
        assert not self.deleted, f"pod {self.name} already deleted"
        deadline = k8s_time(int((time.time() + grace_period) * 1e9))

        def mark(pod):
            pod["metadata"]["deletionTimestamp"] = deadline
            pod["metadata"]["deletionGracePeriodSeconds"] = grace_period
        self._update_api(mark)
        errors = []
        if self.sandbox_id:
            running = [c for c in self.containers.values() if self._running(c)]

            def stop(c):
                try:
                    self.stop_container(c, grace_period)
                except Exception as e:   # reported once all are stopped
                    errors.append(e)
            threads = [threading.Thread(target=stop, args=(c,)) for c in running]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self._stop_sandbox()
            self.containerd.call("RemovePodSandbox", {"pod_sandbox_id": self.sandbox_id})
        left = remove_cgroup(self.cgroup_parent)
        self.api.delete_pod(self.namespace, self.name)
        self.deleted = True
        if errors or left:
            raise self.containerd.error(f"deleting pod {self.name}: {errors} cgroups left: {left}")

    def _stop_sandbox(self, timeout=5):
        """StopPodSandbox, retried as the kubelet's next sync retries it: right after pause
        died, the call can reach its shim while that shuts down ("ttrpc: closed")."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.containerd.call("StopPodSandbox", {"pod_sandbox_id": self.sandbox_id})
            except CRIError as e:
                if "ttrpc: closed" not in (e.details or "") or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def __repr__(self):
        return f"<Pod {self.namespace}/{self.name} {self.uid} sandbox {str(self.sandbox_id)[:12]}>"
