#!/usr/bin/python3
"""podtrail benchmarks (`make bench`): figures, side by side, not pass/fail tests.

Run as root after `make`; tools/bench.sh is the entry point (--help for the knobs,
--quick for a 1-minute check of the bench itself). Every figure is measured on this
machine, in this run, with copies of build/podtrail and the load generators made at
the start (build/bench/bin), and printed in one table at the end (columns podtrail /
bpftrace / none / target / verdict); build/bench/results.json has the table and every
raw run. How each figure is measured:

Side by side (issue 2). Each configuration -- no tracer, podtrail (--output json to a
file: writing the lines is part of the cost), and a bpftrace one-liner on the same
tracepoint that prints every exit -- runs the same two storms, REPS times each,
interleaved in a rotating order (the machine has 2 CPUs and is shared), and the median
is reported:
  boring:   forkexit -n BORING -j 2          (exit code 0; vforked copies of forkexit)
  exec:     forkexit -n EXECS -j 2 --exec /bin/true
            (exit code 0, processes that exec'd: most of a node's; each program finds
            its memory colder than in the boring storm, and the names differ)
  crash:    crashstorm -n CRASHES -j 2 --cgroup <v2>/kubepods/besteffort/pod<uid>/<64 hex>
            (a real SIGSEGV, in a pod-like cgroup)
  * kernel cost per program run: BPF_ENABLE_STATS (kernel.bpf_stats_enabled, as a
    reference held by an fd, so nothing is left on) for the whole bench;
    run_time_ns / run_cnt deltas over the storm, read from the tracer's own program fds
    in /proc/<pid>/fdinfo (podtrail's named by the tracepoint their link is on). The
    boring storm gives the cost of a boring exit (sched_process_exit) and, with
    --senders signal_generate, of a non-fatal signal (every exit sends SIGCHLD; with the
    default, senders from the kill family's syscall tracepoints, no program runs for it: the
    bench shows program runs per exit instead); the crash storm the cost of an interesting
    exit and the whole in-kernel cost of a crash: all program time / crashes.
  * daemon CPU: on-CPU time of all the tracer's threads (/proc/<pid>/task/*/schedstat,
    ns) from before the storm to after its last line was written, per exit (boring) or
    per line (crash); utime+stime ticks from /proc/<pid>/stat are in the JSON too.
  * throughput: the generator's own processes/s, ratio against no tracer; and, steadier
    on a shared machine, the CPU time of the generator and its children per exit
    (getrusage: the exiting task pays for the BPF programs and the wake-ups).
  * RSS: VmRSS of the tracer at the end of the crash storm, and without the ring-buffer
    mapping (the kernel maps its data pages twice: 8 MiB shows as 16 MiB of RssFile).
  * Before each run the bench waits (60 s in all at most) for other tracers' links on
    sched_process_exit / signal_generate to go away, and it reports the runs in which
    another program ran on the exit path anyway (bpftool prog show run_cnt).
  * together: podtrail and exitsnoop -x attached at once, timed on the same boring and
    exec storms, both attach orders in each of REPS rounds; podtrail / exitsnoop -x per
    round is the geometric mean of the two orders' ratios, and the median is printed.
Latency to stdout: podtrail --output json with stdout on a pipe; each chunk read is
  stamped with CLOCK_REALTIME on arrival; latency = that - the line's "time" (the kernel
  event: bpf_ktime_get_ns turned into CLOCK_REALTIME). p50/p99 over crashstorm --rate 200
  -n LAT_N, then over a full-rate crashstorm (which saturates the 2 CPUs: the time the
  daemon was runnable but had no CPU is shown). The 200/s storm runs REPS times (p50/p99
  over all of their lines), and after each one, while the daemon is idle, the machine's
  floor for it: tools/wakefloor, a loop that sleeps as often and as long as the daemon did
  (its voluntary context switches) and writes as many bytes a wake-up to a pipe read the
  same way, with no work in between. The daemon's CPU per crash at 200/s, the floor's and
  the difference (its own work) are medians over those runs.
"Not ours" (in the log and the header): busy CPU time (/proc/stat) not charged to the
  storm, the tracer or the bench: other processes, and kernel threads (which may be doing
  some of the storm's deferred work).
Cluster (issue 3): the fake API server (tests/fakeapi, in-process) holds 1,000 pods on
  this node, each with its cgroups (pod, sandbox, container; cgroupfs layout) in the v2
  tree and, on a hybrid host, the v1 memory hierarchy, made before and removed after:
  the agent names every cgroup of the node. podtrail --kubeconfig runs against it,
  restarted for each part:
  * RSS: VmRSS once the pod list is synced (its watch is open), with its breakdown.
  * latency: after a warm-up in a pod of its own (16 crashes: the agent's connections
    are open, as on a node where it has run for a while; those cold figures are in the
    JSON), 100 pods x 10 crashes: a shell starts one crashstorm --rate 1 -n 10 per pod,
    10 ms apart, so 100 crashes/s in all; 10 per pod stays within the spam filter, and
    the 10th, the aggregate, still names the pid. The kernel time of each crash comes
    from an independent bpftrace on the same tracepoint (nsecs -> CLOCK_REALTIME); the
    acceptance time is the fake server's receive time of the first POST/PATCH whose
    message names that pid. p50/p99 over the 1,000; a crash with no Event counts as
    infinitely late.
  * API writes: 10,000 crashes across 100 other pods (crashstorm -n 100 per pod, two at a
    time); POST+PATCH of their Events once writes settle and the agent has stopped,
    against the spam filter's budget (25 per object, +1 per 300 s).
Load (issue 5): crashstorm -j 2 --rate 50000 --duration 10 in one registered pod, in
  cluster mode: the rate reached, lost (exact, from the totals line), RSS sampled every
  0.5 s, API writes against the budget. The 200,000 boring exits are the podtrail runs of
  the boring storm: filtered_in_kernel, lines from forkexit's children (must be 0), and
  exits_seen = filtered_in_kernel + exit records sent + lost.
"""
import argparse
import calendar
import concurrent.futures
import ctypes
import json
import os
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PODTRAIL_BUILD", "build"))
OUT = os.path.join(BUILD, "bench")
BIN = os.path.join(OUT, "bin")
TRUE = shutil.which("true") or "/bin/true"  # the exec storm's program
NODE = "bench-node"

BPFTRACE_PRINT_ALL = ('tracepoint:sched:sched_process_exit '
                      '{ printf("%d %s %d\\n", args->pid, args->comm, curtask->exit_code); }')
BPFTRACE_CLOCK = ('tracepoint:sched:sched_process_exit /comm == "crashstorm"/ '
                  '{ printf("%d %llu\\n", args->pid, nsecs); }')

started = []  # every Popen we made, killed at the end if still running


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The machine: cgroups, BPF statistics, /proc

def v2_root():
    mounts = {}
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            mounts[mnt] = fstype
    for p in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if mounts.get(p) == "cgroup2":
            return p
    sys.exit("bench: no cgroup v2 hierarchy mounted (/sys/fs/cgroup/unified or /sys/fs/cgroup)")


def hierarchies(v2):
    """The hierarchies the agent keeps cgroup names of: the v2 tree and, on a hybrid host,
    the v1 memory controller's."""
    memory = "/sys/fs/cgroup/memory"
    return [v2] + ([memory] if v2 != "/sys/fs/cgroup" and os.path.ismount(memory) else [])


def make_pod_cgroups(pods, v2):
    """What a node running these pods has (cgroupfs driver): each pod's cgroup with its
    sandbox's and its container's, in every hierarchy the agent names. Returns them leaves
    first, for remove_dirs."""
    made = []
    for p in pods:
        for root in hierarchies(v2):
            pod_dir = os.path.join(root, "kubepods", "besteffort", "pod" + p.uid)
            for cid in (p.sandbox_cid, p.cid):
                os.makedirs(os.path.join(pod_dir, cid), exist_ok=True)
                made.append(os.path.join(pod_dir, cid))
            made.append(pod_dir)
    return made


class Pod:
    """A pod on the bench node: uid, one container, its kubelet-style (cgroupfs) v2 cgroup."""

    def __init__(self, namespace, name, v2):
        self.namespace, self.name = namespace, name
        self.uid = str(uuid.uuid4())
        self.cid = secrets.token_hex(32)
        self.sandbox_cid = secrets.token_hex(32)
        self.dir = os.path.join(v2, "kubepods", "besteffort", "pod" + self.uid, self.cid)


class BpfStats:
    """Keep BPF run-time statistics on for the run: BPF_ENABLE_STATS (on while its fd is
    open, so nothing to restore if we die), else the sysctl, restored on close."""

    def __init__(self):
        self.fd, self.old = -1, None
        nr = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine)
        if nr:
            libc = ctypes.CDLL(None, use_errno=True)
            attr = (ctypes.c_uint8 * 8)()  # union bpf_attr { .enable_stats.type = BPF_STATS_RUN_TIME (0) }
            fd = libc.syscall(ctypes.c_long(nr), ctypes.c_long(32), ctypes.byref(attr), ctypes.c_uint(8))
            if fd >= 0:
                self.fd, self.how = fd, "BPF_ENABLE_STATS"
                return
        with open("/proc/sys/kernel/bpf_stats_enabled") as f:
            self.old = f.read().strip()
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        self.how = "sysctl kernel.bpf_stats_enabled=1"

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.old is not None:
            with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
                f.write(self.old)
            self.old = None


def read(path):
    with open(path) as f:
        return f.read()


def cpu_ns(pid):
    """On-CPU nanoseconds of every live thread of pid (schedstat's first field)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(read(f"/proc/{pid}/task/{t}/schedstat").split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def runq_wait_ns(pid):
    """Nanoseconds every live thread of pid spent runnable but waiting for a CPU (schedstat)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(read(f"/proc/{pid}/task/{t}/schedstat").split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def voluntary_switches(pid):
    """Voluntary context switches of every live thread of pid: its sleeps, so its wake-ups."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in read(f"/proc/{pid}/task/{t}/status").splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def cpu_ticks(pid):
    fields = read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def mem_kib(pid):
    """VmRSS, VmHWM, RssAnon, and "ring": the resident part of the BPF map mappings (the
    ring buffer's data pages, which the kernel maps twice, back to back, so that a record
    that wraps is contiguous: an 8 MiB ring buffer shows as 16 MiB of RssFile)."""
    out = {}
    for line in read(f"/proc/{pid}/status").splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[k] = int(v.split()[0])
    ring, in_map = 0, False
    try:
        for line in read(f"/proc/{pid}/smaps").splitlines():
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                in_map = line.rstrip().endswith("anon_inode:bpf-map")
            elif in_map and line.startswith("Rss:"):
                ring += int(line.split()[1])
    except OSError:
        pass
    out["ring"] = ring
    out["own"] = out.get("VmRSS", 0) - ring
    return out


def smaps_breakdown(pid):
    """RSS and PSS (KiB) of each kind of mapping, from /proc/<pid>/smaps: the ring buffer
    (anon_inode:bpf-map: its data pages mapped twice, plus the small mmapable maps), the heap
    ([heap] and anonymous mappings: malloc's arenas and large blocks), stacks, the binary,
    each shared library, and the rest (vdso, vvar). "own" is the agent's own memory as issue
    11 defines it: RSS without the ring-buffer mapping, and PSS without it."""
    exe = os.path.realpath(f"/proc/{pid}/exe")
    kinds, libs, cur = {}, {}, None
    for line in read(f"/proc/{pid}/smaps").splitlines():
        m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
        if m:
            name = m.group(1).strip()
            if name == "anon_inode:bpf-map":
                kind = "ring"
            elif name in ("[heap]", ""):
                kind = "heap"
            elif name.startswith("[stack"):
                kind = "stack"
            elif name == exe or name.startswith(exe + " "):
                kind = "binary"
            elif name.startswith("/") and ".so" in os.path.basename(name):
                kind = "libraries"
                cur_lib = libs.setdefault(os.path.basename(name), {"rss": 0, "pss": 0})
            else:
                kind = "other"
            cur = kinds.setdefault(kind, {"rss": 0, "pss": 0})
            continue
        k, _, v = line.partition(":")
        if cur is not None and k in ("Rss", "Pss"):
            cur[k.lower()] += int(v.split()[0])
            if kind == "libraries":
                cur_lib[k.lower()] += int(v.split()[0])
    for k in ("ring", "heap", "stack", "binary", "libraries", "other"):
        kinds.setdefault(k, {"rss": 0, "pss": 0})
    total = {x: sum(v[x] for v in kinds.values()) for x in ("rss", "pss")}
    own = {x: total[x] - kinds["ring"][x] for x in ("rss", "pss")}
    top = sorted(libs.items(), key=lambda kv: -kv[1]["rss"])
    return {"total": total, "own": own, **kinds, "libs": dict(top), "nr_libs": len(libs)}


def smaps_line(b):
    """One line: where the agent's own memory is (RSS / PSS, MiB)."""
    def mib(d):
        return f"{d['rss'] / 1024:.1f}/{d['pss'] / 1024:.1f}"
    top = ", ".join(f"{n.split('.so')[0]} {mib(d)}" for n, d in list(b["libs"].items())[:3])
    return (f"own {mib(b['own'])}: heap {mib(b['heap'])}, {b['nr_libs']} libraries {mib(b['libraries'])} "
            f"(largest {top}), binary {mib(b['binary'])}, stack {mib(b['stack'])}, other {mib(b['other'])}; "
            f"ring-buffer mapping {mib(b['ring'])}")


def bpf_programs(pid):
    """{prog_id: {"ns", "cnt", "tp"}} for the BPF programs whose fds pid holds."""
    progs, tps = {}, {}
    d = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(d):
        try:
            info = dict(line.split(":", 1) for line in read(os.path.join(d, fd)).splitlines() if ":" in line)
        except OSError:
            continue
        info = {k.strip(): v.strip() for k, v in info.items()}
        if "link_id" in info and "prog_id" in info:
            tps[int(info["prog_id"])] = info.get("tp_name")
        elif "prog_id" in info and "run_cnt" in info:
            progs[int(info["prog_id"])] = {"ns": int(info["run_time_ns"]), "cnt": int(info["run_cnt"])}
    for pid_, p in progs.items():
        p["tp"] = tps.get(pid_)
    return progs


def snapshot(pid):
    return {"t": time.monotonic(), "cpu_ns": cpu_ns(pid), "ticks": cpu_ticks(pid), **mem_kib(pid),
            "progs": bpf_programs(pid)}


def prog_delta(s0, s1, tp=None):
    """run_time_ns and run_cnt deltas, of the programs on tracepoint tp (all if None)."""
    ns = cnt = 0
    for pid_, p in s1["progs"].items():
        if tp and p["tp"] != tp:
            continue
        q = s0["progs"].get(pid_, {"ns": 0, "cnt": 0})
        ns += p["ns"] - q["ns"]
        cnt += p["cnt"] - q["cnt"]
    return ns, cnt


def all_programs():
    """Every BPF program on the machine: {id: (name, run_cnt)}, from bpftool (empty without it)."""
    try:
        r = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True, timeout=30)
        return {p["id"]: (p.get("name", "?"), p.get("run_cnt", 0)) for p in json.loads(r.stdout or "[]")}
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}


def foreign_tracers(before, after, ours, exits):
    """Programs not ours that ran at least once per two exits of the storm: another tracer on
    the exit path (another podtrail, say), whose cost every configuration pays."""
    out = []
    for pid_, (name, cnt) in after.items():
        if pid_ in ours or pid_ not in before:
            continue
        n = cnt - before[pid_][1]
        if exits and n >= exits / 2:
            out.append({"id": pid_, "name": name, "runs": n})
    return out


def foreign_exit_links():
    """bpf links on sched_process_exit or signal_generate (other tracers' programs): ids."""
    try:
        r = subprocess.run(["bpftool", "link", "show", "-j"], capture_output=True, text=True, timeout=30)
        return [l["prog_id"] for l in json.loads(r.stdout or "[]")
                if l.get("tp_name") in ("sched_process_exit", "signal_generate")]
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return []


class QuietWaiter:
    """Before a side-by-side run, wait (within a budget for the whole bench) until no other
    tracer is attached to the exit path: other podtrails under test on a shared machine."""

    def __init__(self, budget):
        self.left = budget
        self.waited = 0.0

    def wait(self):
        t0 = time.monotonic()
        while self.left > 0 and foreign_exit_links():
            time.sleep(1.0)
            self.left -= 1.0
        self.waited += time.monotonic() - t0


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    started.append(p)
    return p


def cleanup():
    for p in started:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass


TICK_NS = 10**9 // os.sysconf("SC_CLK_TCK")


def machine_busy_ns():
    """CPU time the whole machine spent busy (all CPUs), from /proc/stat."""
    f = read("/proc/stat").split("\n", 1)[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in f[:8])
    return (user + nice + system + irq + softirq + steal) * TICK_NS


def self_cpu_ns():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


class OtherLoad:
    """Share of the machine's CPUs that processes other than ours used over a window:
    busy time (/proc/stat) minus the generator's, the tracer's and this process's."""

    def __init__(self):
        self.t, self.busy, self.me = time.monotonic(), machine_busy_ns(), self_cpu_ns()

    def share(self, ours_ns):
        wall = (time.monotonic() - self.t) * 1e9 * os.cpu_count()
        other = machine_busy_ns() - self.busy - (self_cpu_ns() - self.me) - ours_ns
        return max(0.0, other / wall) if wall > 0 else 0.0


def children_cpu_ns():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


def generator(cmd, timeout=300):
    """Run forkexit or crashstorm with --json; its result, with "cpu_ns": the CPU time of the
    generator and of every process it made (their exits, BPF programs included)."""
    c0 = children_cpu_ns()
    r = subprocess.run([*cmd, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    cpu = children_cpu_ns() - c0
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError(f"{cmd[0]} failed ({r.returncode}): {r.stderr.strip()}")
    res = json.loads(lines[-1])
    res["cpu_ns"] = cpu
    if r.returncode != 0:
        log(f"warning: {os.path.basename(cmd[0])} exited {r.returncode}: {r.stderr.strip()[:300]}")
    return res


# --------------------------------------------------------------------------
# Tracers

class LineCounter:
    """Counts, incrementally, the lines of a growing file that contain needle."""

    def __init__(self, path, needle):
        self.path, self.needle = path, needle.encode()
        self.f, self.rest, self.n, self.total = None, b"", 0, 0

    def poll(self):
        if self.f is None:
            try:
                self.f = open(self.path, "rb")
            except OSError:
                return self.n
        data = self.f.read()
        if data:
            lines = (self.rest + data).split(b"\n")
            self.rest = lines.pop()
            self.total += len(lines)
            self.n += sum(1 for l in lines if self.needle in l)
        return self.n

    def wait(self, expected, idle=1.0, timeout=60.0):
        """Until expected lines, or none new for idle seconds."""
        end = time.monotonic() + timeout
        last, last_t = self.poll(), time.monotonic()
        while last < expected and time.monotonic() < end:
            time.sleep(0.02)
            n = self.poll()
            if n != last:
                last, last_t = n, time.monotonic()
            elif time.monotonic() - last_t > idle:
                break
        return last


def parse_totals(text):
    out = {}
    for m in re.finditer(r"podtrail: (?:totals|kubernetes): (.*)", text):
        for kv in m.group(1).split():
            k, _, v = kv.partition("=")
            if v.isdigit():
                out[k] = int(v)
    return out


class Tracer:
    name = "?"

    def __init__(self, cmd, label, stdout=None):
        self.label = label
        self.out_path = os.path.join(OUT, label + ".out")
        self.err_path = os.path.join(OUT, label + ".err")
        self.err = open(self.err_path, "wb")
        if stdout is None:
            stdout = open(self.out_path, "wb")
        self.proc = spawn(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=self.err)
        self.pid = self.proc.pid

    def stderr(self):
        return read(self.err_path)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited {self.proc.returncode}: {self.stderr()[-2000:]}")

    def stop(self, sig=signal.SIGINT, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()
        return self.proc.returncode


class Podtrail(Tracer):
    name = "podtrail"

    def __init__(self, args, label, stdout=None):
        super().__init__([os.path.join(BIN, "podtrail"), *args], label, stdout)

    def wait_attached(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.check_alive()
            tps = {p["tp"] for p in bpf_programs(self.pid).values()}
            # Senders come from the kill family's syscall tracepoints, or from signal_generate.
            if "sched_process_exit" in tps and ({"sys_enter_kill", "signal_generate"} & tps):
                return
            time.sleep(0.05)
        raise RuntimeError("podtrail did not attach: " + self.stderr()[-2000:])

    def totals(self):
        return parse_totals(self.stderr())


# libbpf-tools (Debian's package): the leanest peers, each one program per event.
LIBBPF_TOOLS = {
    "exitsnoop": ["exitsnoop"],        # every exit
    "exitsnoop-x": ["exitsnoop", "-x"],  # failed exits only: filters in the kernel as podtrail does
    "sigsnoop": ["sigsnoop"],          # every signal generated (SIGCHLD of every exit included)
    "oomkill": ["oomkill"],            # OOM kills only
}


class Tool(Tracer):
    """A libbpf-tools program, printing one line per event on stdout."""

    def __init__(self, cfg, label):
        self.name = cfg
        super().__init__(LIBBPF_TOOLS[cfg], label)

    def wait_attached(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.check_alive()
            if bpf_programs(self.pid):
                time.sleep(0.5)  # every program attached, and its header printed
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not attach: " + self.stderr()[-2000:])

    def lost(self):
        m = re.findall(r"[Ll]ost (\d+) events", read(self.out_path) + self.stderr())
        return sum(int(x) for x in m)


class Bpftrace(Tracer):
    name = "bpftrace"

    def __init__(self, program, label):
        super().__init__(["bpftrace", "-e", program], label)

    def wait_attached(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.check_alive()
            if bpf_programs(self.pid) and "Attaching" in read(self.out_path):
                time.sleep(0.3)  # it prints this line, then attaches
                return
            time.sleep(0.05)
        raise RuntimeError("bpftrace did not attach: " + self.stderr()[-2000:])

    def lost(self):
        m = re.findall(r"Lost (\d+) events", read(self.out_path) + self.stderr())
        return sum(int(x) for x in m)


# --------------------------------------------------------------------------
# Part 1: side by side

def one_storm(cfg, workload, rep, a, v2):
    label = f"{workload}-{cfg}-{rep}"
    if workload in ("boring", "exec"):
        cmd, pod = storm_cmd(workload, a), None
    else:
        pod = Pod("bench", label, v2)
        cmd = [os.path.join(BIN, "crashstorm"), "-n", str(a.crashes), "-j", "2", "--cgroup", pod.dir]
    comm = os.path.basename(TRUE if workload == "exec" else cmd[0])
    tracer = counter = None
    if cfg == "podtrail":
        tracer = Podtrail(["--output", "json", *a.podtrail_arg], label)
        tracer.wait_attached()
        # boring: lines of forkexit's children must not exist; crash: our pod's lines
        counter = LineCounter(tracer.out_path, f'"comm":"{comm}"' if pod is None else pod.uid)
    elif cfg == "bpftrace":
        tracer = Bpftrace(BPFTRACE_PRINT_ALL, label)
        tracer.wait_attached()
        counter = LineCounter(tracer.out_path, f" {comm} ")
    elif cfg in LIBBPF_TOOLS:
        tracer = Tool(cfg, label)
        tracer.wait_attached()
        counter = LineCounter(tracer.out_path, comm)
    if tracer:
        time.sleep(0.2)
        counter.poll()
        n0 = counter.n
        s0 = snapshot(tracer.pid)
    progs0 = all_programs()
    load = OtherLoad()
    t_cpu0 = cpu_ns(tracer.pid) if tracer else 0
    gen = generator(cmd)
    t_cpu1 = cpu_ns(tracer.pid) if tracer else 0
    other = load.share(gen["cpu_ns"] + t_cpu1 - t_cpu0)
    progs1 = all_programs()
    run = {"config": cfg, "workload": workload, "rep": rep, "generator": gen, "rate": gen["rate"],
           "exits": gen["processes"], "cpu_per_exit_ns": gen["cpu_ns"] / max(gen["processes"], 1)}
    ours = set(bpf_programs(tracer.pid)) if tracer and tracer.proc.poll() is None else set()
    run["foreign_tracers"] = foreign_tracers(progs0, progs1, ours, gen["processes"])
    run["other_load"] = other  # CPUs' share used by processes not in this run
    if tracer:
        if (cfg == "podtrail" and pod is None) or cfg in ("exitsnoop-x", "oomkill"):
            time.sleep(0.05 if cfg == "podtrail" else 1.0)  # no line (or not one per exit) expected
            counter.poll()
        else:
            counter.wait(n0 + gen["processes"], idle=1.5)
        s1 = snapshot(tracer.pid)
        lines = counter.n - n0
        tracer.stop()
        run.update(lines=lines, cpu_ns=s1["cpu_ns"] - s0["cpu_ns"], ticks=s1["ticks"] - s0["ticks"],
                   rss_kib=s1.get("VmRSS"), hwm_kib=s1.get("VmHWM"), own_kib=s1.get("own"),
                   ring_kib=s1.get("ring"), seconds=s1["t"] - s0["t"])
        progs = {}
        for tp in sorted({p["tp"] for p in s1["progs"].values()}, key=str):
            ns, cnt = prog_delta(s0, s1, tp)
            progs[tp or "bpftrace"] = {"run_time_ns": ns, "run_cnt": cnt}
        run["progs"] = progs
        if cfg == "podtrail":
            run["totals"] = tracer.totals()
        else:
            run["lost"] = tracer.lost()
        os.unlink(tracer.out_path)  # hundreds of MB over a run otherwise
    return run


def storm_cmd(workload, a):
    if workload == "boring":
        return [os.path.join(BIN, "forkexit"), "-n", str(a.boring), "-j", "2"]
    return [os.path.join(BIN, "forkexit"), "-n", str(a.execs), "-j", "2", "--exec", TRUE]


def together_once(first, second, workload, rep, a):
    """podtrail and a peer attached at once, in that order, timed on the same storm's exits:
    all of each one's programs' time per exit."""
    tracers = []
    try:
        for cfg in (first, second):
            label = f"together-{workload}-{cfg}-{rep}"
            t = Podtrail(["--output", "json", *a.podtrail_arg], label) if cfg == "podtrail" else Tool(cfg, label)
            t.wait_attached()
            tracers.append(t)
        time.sleep(0.2)
        s0 = [snapshot(t.pid) for t in tracers]
        gen = generator(storm_cmd(workload, a))
        s1 = [snapshot(t.pid) for t in tracers]
    finally:
        for t in tracers:
            t.stop()
            os.unlink(t.out_path)
    exits = max(gen["processes"], 1)
    return {"workload": workload, "rep": rep, "first": first, "second": second, "exits": gen["processes"],
            "kernel_ns_per_exit": {cfg: prog_delta(s0[i], s1[i])[0] / exits
                                   for i, cfg in enumerate((first, second))}}


def together(a, results):
    """The side-by-side medians compare runs minutes apart, and on this shared VM a storm's
    per-exit cost moves by a factor of two between runs. Attached together, both tracers
    pay the same exits, caches and neighbours; each round runs both attach orders, since
    which program runs first may matter."""
    peer = "exitsnoop-x"
    if not shutil.which(LIBBPF_TOOLS[peer][0]) or peer in results.get("unavailable", {}):
        return
    runs = results.setdefault("together", [])
    for rep in range(a.reps):
        for workload in [w for w in a.workloads.split(",") if w in ("boring", "exec")]:
            for order in (("podtrail", peer), (peer, "podtrail")):
                try:
                    run = together_once(*order, workload, rep, a)
                except RuntimeError as e:  # a tracer that did not attach: that round has no ratio
                    log(f"{workload:6} together, {order[0]} first: {str(e).strip().splitlines()[-1]}")
                    cleanup()
                    continue
                runs.append(run)
                k = run["kernel_ns_per_exit"]
                log(f"{workload:6} together, {order[0]} first: podtrail {k['podtrail']:.0f} ns, "
                    f"{peer} {k[peer]:.0f} ns an exit")


def together_ratios(results):
    """{storm: median over rounds of podtrail / exitsnoop -x, each round the geometric mean of
    its two attach orders}."""
    out = {}
    by = {}
    for r in results.get("together", []):
        k = r["kernel_ns_per_exit"]
        if k.get("exitsnoop-x"):
            by.setdefault((r["workload"], r["rep"]), []).append(k["podtrail"] / k["exitsnoop-x"])
    for (wl, _), rs in sorted(by.items()):
        if len(rs) == 2:
            out.setdefault(wl, []).append((rs[0] * rs[1]) ** 0.5)
    return {wl: {"median": statistics.median(v), "rounds": v} for wl, v in out.items()}


def side_by_side(a, v2, results):
    configs = [c for c in a.configs.split(",")
               if (c != "bpftrace" or shutil.which("bpftrace")) and
               (c not in LIBBPF_TOOLS or shutil.which(LIBBPF_TOOLS[c][0]))]
    quiet = QuietWaiter(a.quiet_budget)
    runs = results.setdefault("runs", [])
    for rep in range(a.reps):
        order = configs[rep % len(configs):] + configs[:rep % len(configs)]
        for workload in a.workloads.split(","):
            for cfg in order:
                if cfg in results.get("unavailable", {}):
                    continue
                quiet.wait()
                t = time.monotonic()
                try:
                    run = one_storm(cfg, workload, rep, a, v2)
                except RuntimeError as e:
                    if cfg not in LIBBPF_TOOLS:
                        raise
                    # e.g. oomkill needs kprobes, which some kernels do not have
                    reason = str(e).strip().splitlines()[-1]
                    results.setdefault("unavailable", {})[cfg] = reason
                    log(f"{cfg} cannot run here: {reason}")
                    cleanup()
                    continue
                runs.append(run)
                extra = ""
                if cfg != "none":
                    extra = f", {run['cpu_ns'] / max(run['exits'], 1):.0f} ns CPU/exit, {run['lines']} lines"
                if run["foreign_tracers"]:
                    extra += f", another tracer on the exit path ({run['foreign_tracers'][0]['name']})"
                extra += f", not ours: {run['other_load']:.0%} of the CPUs"
                log(f"{workload:6} {cfg:8} rep {rep}: {run['rate']:.0f}/s{extra} "
                    f"({time.monotonic() - t:.1f} s)")
    results["quiet_wait_seconds"] = quiet.waited


# --------------------------------------------------------------------------
# Part 2: latency to stdout

def rfc3339_ns(s):
    """'2026-11-27T10:16:31.775123456Z' -> ns since the epoch."""
    s = s.rstrip("Z")
    sec, _, frac = s.partition(".")
    return calendar.timegm(time.strptime(sec, "%Y-%m-%dT%H:%M:%S")) * 10**9 + int((frac or "0").ljust(9, "0")[:9])


class PipeReader(threading.Thread):
    """Reads a pipe in big chunks, stamping each chunk's lines with CLOCK_REALTIME on arrival."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd, self.lines, self.rest = fd, [], b""

    def run(self):
        while True:
            data = os.read(self.fd, 1 << 20)
            t = time.clock_gettime_ns(time.CLOCK_REALTIME)
            if not data:
                return
            parts = (self.rest + data).split(b"\n")
            self.rest = parts.pop()
            self.lines.extend((t, l) for l in parts)

    def count(self, needle):
        return sum(1 for _, l in list(self.lines) if needle in l)


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def stdout_run(pt, reader, v2, name, extra, n):
    """One crashstorm through the agent whose stdout reader reads: the latency of its lines,
    and the agent's CPU, wake-ups (voluntary switches) and time waiting for a CPU meanwhile."""
    pod = Pod("bench", "lat-" + name, v2)
    c0, w0, s0, load = cpu_ns(pt.pid), runq_wait_ns(pt.pid), voluntary_switches(pt.pid), OtherLoad()
    gen = generator([os.path.join(BIN, "crashstorm"), "-n", str(n), "--cgroup", pod.dir, *extra])
    needle = pod.uid.encode()
    end = time.monotonic() + 30
    while reader.count(needle) < gen["processes"] and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.05)
    cpu, wait = cpu_ns(pt.pid) - c0, runq_wait_ns(pt.pid) - w0
    wakeups = voluntary_switches(pt.pid) - s0
    other = load.share(gen["cpu_ns"] + cpu)
    lat, nbytes = [], 0
    for t, l in list(reader.lines):
        if needle in l:
            lat.append((t - rfc3339_ns(json.loads(l)["time"])) / 1e6)
            nbytes += len(l) + 1
    run = {"rate": gen["rate"], "crashes": gen["processes"], "lines": len(lat),
           "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
           "max_ms": max(lat) if lat else None, "daemon_cpu_ns": cpu, "daemon_runq_wait_ns": wait,
           "daemon_wakeups": wakeups, "line_bytes": nbytes, "seconds": gen["seconds"], "other_load": other}
    log(f"stdout latency {name}: {gen['rate']:.0f} crashes/s, {len(lat)} lines, "
        f"p50 {run['p50_ms']:.2f} ms, p99 {run['p99_ms']:.2f} ms; the daemon waited "
        f"{wait / 1e6:.0f} ms for a CPU; not ours: {other:.0%} of the CPUs")
    return run, lat


def latency_stdout(a, v2, results):
    out = {}
    pt = Podtrail(["--output", "json", *a.podtrail_arg], "latency-stdout", stdout=subprocess.PIPE)
    reader = PipeReader(pt.proc.stdout.fileno())
    reader.start()
    pt.wait_attached()
    time.sleep(0.2)
    # 200/s, REPS times, each followed by the floor of its wake-ups (the agent idle meanwhile):
    # the agent's CPU at 200/s moves by half between runs on a shared VM, so the median.
    rounds, lats = [], []
    for rep in range(a.reps):
        run, lat = stdout_run(pt, reader, v2, f"rate200-{rep}", ["--rate", "200", "-j", "1"], a.lat_n)
        run["floor"] = wake_floor(run)
        rounds.append(run)
        lats.extend(lat)
    out["rate200_rounds"] = rounds
    out["rate200"] = {"rate": statistics.mean(r["rate"] for r in rounds),
                      "crashes": sum(r["crashes"] for r in rounds), "lines": len(lats),
                      "p50_ms": percentile(lats, 50), "p99_ms": percentile(lats, 99),
                      "max_ms": max(lats) if lats else None,
                      "daemon_runq_wait_ns": sum(r["daemon_runq_wait_ns"] for r in rounds)}
    # At full rate the two CPUs are saturated: the time the daemon was runnable but had no
    # CPU (schedstat) tells how much of the latency is the scheduler's.
    out["fullrate"], _ = stdout_run(pt, reader, v2, "fullrate", ["-j", "2"], a.crashes)
    pt.stop()
    out["totals"] = pt.totals()
    results["latency_stdout"] = out


def wake_floor(run):
    """What the daemon's wake-ups alone cost on this machine: wakefloor sleeps as often and as
    long as the daemon did in run (the 200/s one) and writes as many bytes a wake-up to a pipe
    read the same way, with no work in between."""
    n = run["daemon_wakeups"]
    if n < 1 or not run["lines"]:
        return None
    period_ms = max(1, min(60000, round(run["seconds"] * 1000 / n)))
    nbytes = max(1, round(run["line_bytes"] / n))
    proc = subprocess.Popen([os.path.join(BIN, "wakefloor"), "-n", str(n), "--period-ms", str(period_ms),
                             "--bytes", str(nbytes), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started.append(proc)
    reader = PipeReader(proc.stdout.fileno())
    reader.start()
    err = proc.stderr.read().decode()
    proc.wait()
    reader.join(5)
    lines = [l for l in err.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"wakefloor exited {proc.returncode}: {err.strip()[-500:]}")
    floor = json.loads(lines[-1])
    floor["cpu_ns_per_crash"] = floor["cpu_ns"] / run["lines"]
    log(f"wake-up floor: {n} wake-ups {period_ms} ms apart, {nbytes} bytes each to a pipe: "
        f"{floor['cpu_ns_per_wakeup'] / 1000:.1f} us a wake-up, {floor['cpu_ns_per_crash'] / 1000:.1f} us a crash")
    return floor


# --------------------------------------------------------------------------
# Part 3: cluster mode against the fake API server

class RssSampler:
    """VmRSS of a process every 0.5 s, in a thread, until stop() returns the samples (KiB)."""

    def __init__(self, pid):
        self.pid, self.samples, self.done = pid, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            try:
                self.samples.append(mem_kib(self.pid)["VmRSS"])
            except OSError:
                return
            self.done.wait(0.5)

    def last(self):
        return self.samples[-1] if self.samples else 0

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.samples


def write_count(srv, namespace, since=0):
    return len([e for e in srv.requests(path=f"^/api/v1/namespaces/{namespace}/events", since=since)
                if e["method"] in ("POST", "PATCH", "PUT")])


def wait_writes_settle(srv, namespace, quiet=3.0, timeout=120):
    end = time.monotonic() + timeout
    last, last_t = write_count(srv, namespace), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.2)
        n = write_count(srv, namespace)
        if n != last:
            last, last_t = n, time.monotonic()
        elif time.monotonic() - last_t > quiet:
            break
    return last


def start_cluster_agent(srv, label, extra=()):
    since = srv.requests()[-1]["seq"] if srv.requests() else 0
    pt = Podtrail(["--kubeconfig", srv.kubeconfig, "--node-name", NODE, *extra], label, stdout=subprocess.DEVNULL)
    pt.wait_attached()
    end = time.monotonic() + 60
    while time.monotonic() < end:
        pt.check_alive()
        if any(e.get("watch") or "watch=" in e.get("query", "")
               for e in srv.requests(method="GET", path="^/api/v1/pods", since=since)):
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("podtrail never watched pods: " + pt.stderr()[-2000:])
    time.sleep(1.0)  # let the list be decoded and the cache settle
    return pt


def budget(pods, seconds, burst=25, refill_s=300):
    return pods * (burst + int(seconds // refill_s))


def cluster(a, v2, results):
    sys.path.insert(0, os.path.join(ROOT, "tests", "fakeapi"))
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    from fakeapi import FakeAPIServer  # noqa: E402
    from cgroup_cleanup import remove_dirs  # noqa: E402

    out = results.setdefault("cluster", {})
    srv = FakeAPIServer(os.path.join(OUT, "fakeapi"), bookmark_interval=5).start()
    cgroups = []
    try:
        srv.add_node(NODE)
        lat = [Pod("bench-lat", f"lat-{i}", v2) for i in range(a.lat_pods)]
        storm = [Pod("bench-storm", f"storm-{i}", v2) for i in range(a.storm_pods)]
        flood = [Pod("bench-flood", "flood-0", v2)]
        warm = [Pod("bench-warm", "warm-0", v2)]
        idle = [Pod("bench-idle", f"idle-{i}", v2)
                for i in range(max(0, a.cached_pods - len(lat) - len(storm) - len(flood) - len(warm)))]
        for p in lat + storm + flood + warm + idle:
            srv.add_pod(p.name, namespace=p.namespace, uid=p.uid, node_name=NODE,
                        containers=[("app", "containerd://" + p.cid)])
        npods = len(lat) + len(storm) + len(flood) + len(warm) + len(idle)
        log(f"fake API server on port {srv.port} with {npods} pods on {NODE}")
        # The agent names every cgroup of the node: measured with the pods' own, not with
        # whatever the machine happens to hold.
        cgroups = make_pod_cgroups(lat + storm + flood + warm + idle, v2)
        out["pod_cgroups"] = len(cgroups)
        log(f"{len(cgroups)} cgroups made for them (pod, sandbox, container) in {' and '.join(hierarchies(v2))}")

        # -- RSS with the pods cached, then latency to the API server
        pt = start_cluster_agent(srv, "cluster-latency", a.podtrail_arg)
        m = mem_kib(pt.pid)
        out["rss_synced_kib"], out["pods_cached"], out["mem_synced"] = m["VmRSS"], npods, m
        out["smaps_synced"] = smaps_breakdown(pt.pid)
        log(f"RSS with {npods} pods cached: {m['VmRSS'] / 1024:.1f} MiB (ring-buffer mapping "
            f"{m['ring'] / 1024:.1f} MiB, anonymous {m.get('RssAnon', 0) / 1024:.1f} MiB)")
        log(f"memory with {npods} pods cached, RSS/PSS MiB: {smaps_line(out['smaps_synced'])}")
        if shutil.which("bpftrace"):
            clock = Bpftrace(BPFTRACE_CLOCK, "cluster-clock")
            clock.wait_attached()
            offset = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            # Warm-up in a pod of its own: the agent's connections to the API server are open
            # by the time the measured crashes start, as on a node where it has been running.
            generator([os.path.join(BIN, "crashstorm"), "-n", "16", "-j", "2", "--cgroup", warm[0].dir])
            wait_writes_settle(srv, "bench-warm", quiet=1.0, timeout=20)
            since = srv.requests()[-1]["seq"] if srv.requests() else 0
            # One crashstorm per pod, started 1 s / pods apart by a shell (cheap forks; this
            # process also runs the fake API server), each crashing once a second.
            launcher = ('for d in "$@"; do "$CRASHSTORM" -n "$N" --rate 1 --cgroup "$d" --json & '
                        'sleep "$GAP"; done; wait')
            env = dict(os.environ, CRASHSTORM=os.path.join(BIN, "crashstorm"), N=str(a.lat_per_pod),
                       GAP=f"{1.0 / len(lat):.4f}")
            r = subprocess.run(["sh", "-c", launcher, "sh", *[p.dir for p in lat]], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            crashes = sum(json.loads(l)["processes"] for l in r.stdout.splitlines() if l.startswith("{"))
            if r.returncode or crashes != len(lat) * a.lat_per_pod:
                log(f"warning: latency launcher: {crashes} crashes, exit {r.returncode}: {r.stderr[-500:]}")
            wait_writes_settle(srv, "bench-lat", quiet=2.0)
            clock.stop()
            ktime = {}
            for line in read(clock.out_path).splitlines():
                f = line.split()
                if len(f) == 2 and f[0].isdigit():
                    ktime[int(f[0])] = int(f[1]) + offset
            accepted = {}
            cold = []  # the warm-up: the first Events after the start, on new connections
            for e in srv.requests(path="^/api/v1/namespaces/bench-warm/events"):
                if e["method"] == "POST" and isinstance(e["body"], dict):
                    for pid in re.findall(r"process (\d+) \(", e["body"].get("message", "")):
                        if int(pid) in ktime:
                            cold.append((int(e["time"] * 1e9) - ktime[int(pid)]) / 1e6)
            out["api_latency_cold_ms"] = cold
            for e in srv.requests(path="^/api/v1/namespaces/bench-lat/events", since=since):
                if e["method"] not in ("POST", "PATCH") or e["status"] >= 300 or not isinstance(e["body"], dict):
                    continue
                for pid in re.findall(r"process (\d+) \(", e["body"].get("message", "")):
                    pid = int(pid)
                    t = int(e["time"] * 1e9)
                    if pid in ktime and t >= ktime[pid] and pid not in accepted:
                        accepted[pid] = t
            first = min(ktime[p] for p in accepted) if accepted else 0
            samples = sorted(((ktime[p] - first) / 1e9, (accepted[p] - ktime[p]) / 1e6) for p in accepted)
            out["api_latency_samples"] = [[round(t, 4), round(l, 3)] for t, l in samples]
            lats = sorted(l for _, l in samples)
            missing = crashes - len(lats)
            # A crash whose Event never came counts as infinitely late.
            full = lats + [float("inf")] * max(0, missing)
            out["api_latency"] = {"crashes": crashes, "matched": len(lats), "missing": missing,
                                  "p50_ms": percentile(full, 50), "p99_ms": percentile(full, 99),
                                  "max_ms": max(full) if full else None,
                                  "writes": write_count(srv, "bench-lat", since)}
            log(f"API latency: {crashes} crashes, {len(lats)} matched, p50 {out['api_latency']['p50_ms']:.1f} ms, "
                f"p99 {out['api_latency']['p99_ms']:.1f} ms")
        out["rss_after_latency_kib"] = mem_kib(pt.pid)["VmRSS"]
        # The same after 1,000 crashes and their Events: the steady state, not only the start.
        out["smaps_after_latency"] = smaps_breakdown(pt.pid)
        log(f"memory after the latency part, RSS/PSS MiB: {smaps_line(out['smaps_after_latency'])}")
        pt.stop(signal.SIGTERM)
        out["latency_totals"] = pt.totals()

        # -- API writes for 10,000 crashes across 100 pods
        pt = start_cluster_agent(srv, "cluster-storm", a.podtrail_arg)
        since = srv.requests()[-1]["seq"] if srv.requests() else 0
        t0 = time.monotonic()

        def storm_one(p):
            return generator([os.path.join(BIN, "crashstorm"), "-n", str(a.storm_per_pod), "--cgroup", p.dir])

        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            gens = list(ex.map(storm_one, storm))
        storm_s = time.monotonic() - t0
        crashes = sum(g["processes"] for g in gens)
        wait_writes_settle(srv, "bench-storm", quiet=3.0)
        rss = mem_kib(pt.pid)
        pt.stop(signal.SIGTERM)
        elapsed = time.monotonic() - t0
        reqs = [e for e in srv.requests(path="^/api/v1/namespaces/bench-storm/events", since=since)
                if e["method"] in ("POST", "PATCH", "PUT")]
        per_pod = {}
        for e in reqs:
            body = e["body"] if isinstance(e["body"], dict) else {}
            name = (body.get("involvedObject") or {}).get("name") or e["path"].rsplit("/", 1)[-1].split(".")[0]
            per_pod[name] = per_pod.get(name, 0) + 1
        out["storm"] = {"crashes": crashes, "pods": len(storm), "storm_seconds": storm_s,
                        "rate": crashes / storm_s if storm_s else 0, "writes": len(reqs),
                        "posts": sum(1 for e in reqs if e["method"] == "POST"),
                        "patches": sum(1 for e in reqs if e["method"] == "PATCH"),
                        "max_writes_per_pod": max(per_pod.values()) if per_pod else 0,
                        "budget": budget(len(storm), elapsed), "rss_kib": rss["VmRSS"], "hwm_kib": rss["VmHWM"],
                        "totals": pt.totals()}
        log(f"storm: {crashes} crashes in {len(storm)} pods ({crashes / storm_s:.0f}/s): {len(reqs)} writes, "
            f"budget {out['storm']['budget']}")

        # -- 50,000 crashes/s for 10 s in one pod
        pt = start_cluster_agent(srv, "cluster-flood", a.podtrail_arg)
        since = srv.requests()[-1]["seq"] if srv.requests() else 0
        rss_before = mem_kib(pt.pid)["VmRSS"]
        sampler = RssSampler(pt.pid)
        t0 = time.monotonic()
        load, d0 = OtherLoad(), cpu_ns(pt.pid)
        gen = generator([os.path.join(BIN, "crashstorm"), "-j", "2", "--rate", str(a.flood_rate),
                         "--duration", str(a.flood_seconds), "--cgroup", flood[0].dir])
        other = load.share(gen["cpu_ns"] + cpu_ns(pt.pid) - d0)
        wait_writes_settle(srv, "bench-flood", quiet=2.0, timeout=60)
        samples = sampler.stop()
        rss_after = mem_kib(pt.pid)
        cpu = cpu_ns(pt.pid)
        pt.stop(signal.SIGTERM)
        elapsed = time.monotonic() - t0
        tot = pt.totals()
        out["flood"] = {"target_rate": a.flood_rate, "seconds": gen["seconds"], "crashes": gen["processes"],
                        "rate": gen["rate"], "rss_before_kib": rss_before, "rss_after_kib": rss_after["VmRSS"],
                        "rss_max_kib": max(samples + [rss_after["VmRSS"]]), "hwm_kib": rss_after["VmHWM"],
                        "daemon_cpu_ns": cpu, "writes": write_count(srv, "bench-flood", since),
                        "budget": budget(1, elapsed), "other_load": other, "generator_cpu_ns": gen["cpu_ns"],
                        "totals": tot}
        log(f"flood: {gen['processes']} crashes at {gen['rate']:.0f}/s (not ours: {other:.0%} of the CPUs), "
            f"lost={tot.get('lost')}, "
            f"writes {out['flood']['writes']}, RSS {rss_before / 1024:.1f} -> {rss_after['VmRSS'] / 1024:.1f} MiB")
    finally:
        srv.stop()
        for d in remove_dirs(cgroups, timeout=10):
            log(f"warning: left cgroup {d} in place: still busy after 10 s")


# --------------------------------------------------------------------------
# Part 4: pod churn (a long-lived agent's memory)

def watch_caught_up(srv, rv, timeout=300):
    """Seconds until the server's last pod watch has sent resourceVersion rv (or later)."""
    t0 = time.monotonic()
    while True:
        watches = [e for e in srv.requests(method="GET", path=r"/pods$") if e.get("watch")]
        sent = watches[-1].get("sentResourceVersion") if watches else None
        if sent is not None and int(sent) >= int(rv):
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"churn: the pod watch sent resourceVersion {sent}, not {rv}, "
                               f"in {timeout} s")
        time.sleep(0.2)


def churn(a, results):
    """Pods with two containers created and deleted through the fake API server, CHURN_ALIVE
    alive at a time, as a node running Jobs and rollouts sees them. RSS of the agent at the
    start (synced with the first pods), at its peak, once the server's watch has sent the
    churn's last event, and the tombstone time (--pod-tombstone) plus 10 s after that: deleted
    pods must be forgotten."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "fakeapi"))
    from fakeapi import FakeAPIServer  # noqa: E402

    out = results.setdefault("churn", {})
    srv = FakeAPIServer(os.path.join(OUT, "fakeapi-churn"), bookmark_interval=5).start()
    try:
        srv.add_node(NODE)
        alive = []

        def add(i):
            uid = str(uuid.uuid4())
            srv.add_pod(f"churn-{i}", namespace="bench-churn", uid=uid, node_name=NODE,
                        containers=[("app", "containerd://" + uuid.uuid4().hex * 2),
                                    ("sidecar", "containerd://" + uuid.uuid4().hex * 2)])
            alive.append(f"churn-{i}")

        for i in range(a.churn_alive):
            add(i)
        pt = start_cluster_agent(srv, "churn", [*a.podtrail_arg, "--pod-tombstone", str(a.churn_tombstone)])
        start = mem_kib(pt.pid)
        sampler = RssSampler(pt.pid)
        t0 = time.monotonic()
        cpu_start = cpu_ns(pt.pid)
        for i in range(a.churn_alive, a.churn_alive + a.churn_pods):
            srv.delete_pod("bench-churn", alive.pop(0))
            add(i)
            if i % 10000 == 0:
                log(f"churn: {i - a.churn_alive} pods churned, RSS {sampler.last() / 1024:.1f} MiB")
        churn_s = time.monotonic() - t0
        # The fake server's watch thread may still be sending the churn's events: the agent
        # cannot forget a pod before it hears of its deletion.
        lag_s = watch_caught_up(srv, srv.resource_version)
        after = mem_kib(pt.pid)
        cpu_after = cpu_ns(pt.pid)
        # Everything deleted during the churn is forgotten one tombstone time after it went.
        time.sleep(a.churn_tombstone + 10)
        samples = sampler.stop()
        settled = mem_kib(pt.pid)
        cpu_settle = cpu_ns(pt.pid) - cpu_after
        pt.stop(signal.SIGTERM)
        out.update({"pods": a.churn_pods, "alive": a.churn_alive, "seconds": churn_s, "watch_lag_s": lag_s,
                    "cpu_churn_s": (cpu_after - cpu_start) / 1e9, "cpu_settle_s": cpu_settle / 1e9,
                    "tombstone_s": a.churn_tombstone, "rss_start_kib": start["VmRSS"],
                    "rss_peak_kib": max(samples + [after["VmRSS"]]), "rss_after_churn_kib": after["VmRSS"],
                    "rss_settled_kib": settled["VmRSS"], "anon_start_kib": start.get("RssAnon", 0),
                    "anon_settled_kib": settled.get("RssAnon", 0), "totals": pt.totals()})
        log(f"churn: {a.churn_pods} pods in {churn_s:.0f} s (their last watch event sent {lag_s:.1f} s "
            f"later); RSS start {start['VmRSS'] / 1024:.1f}, peak "
            f"{out['rss_peak_kib'] / 1024:.1f}, after {after['VmRSS'] / 1024:.1f}, "
            f"{a.churn_tombstone + 10} s later {settled['VmRSS'] / 1024:.1f} MiB; the agent's CPU "
            f"{out['cpu_churn_s']:.1f} s during the churn, {out['cpu_settle_s']:.1f} s while its "
            f"tombstones expired")
    finally:
        srv.stop()


# --------------------------------------------------------------------------
# The table

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(results, a):
    runs = results.get("runs", [])

    def pick(cfg, wl):
        return [r for r in runs if r["config"] == cfg and r["workload"] == wl]

    def prog_cost(rs, tp):
        return med([r["progs"][tp]["run_time_ns"] / r["progs"][tp]["run_cnt"]
                    for r in rs if tp in r.get("progs", {}) and r["progs"][tp]["run_cnt"]])

    def crash_cost(rs):
        """Every program's time over the storm per crash: for podtrail exit + signal (SIGSEGV, SIGCHLD)."""
        return med([sum(p["run_time_ns"] for p in r["progs"].values()) / r["exits"] for r in rs])

    rows = []

    def row(name, pt=None, bt=None, none=None, target="", verdict="", key=None):
        rows.append({"measurement": name, "podtrail": pt, "bpftrace": bt, "none": none, "target": target,
                     "verdict": verdict, "key": key})

    def v(ok):
        """A verdict; None when the storm it needs was not run (--workloads), so no verdict."""
        return "" if ok is None else ("MEETS" if ok else "MISSES")

    def below(x, limit):
        return None if x is None else x < limit

    def f(x, fmt="{:.0f}", unit=""):
        return "n/a" if x is None else fmt.format(x) + unit

    if runs:
        pb, bb, nb = pick("podtrail", "boring"), pick("bpftrace", "boring"), pick("none", "boring")
        pc, bc, nc = pick("podtrail", "crash"), pick("bpftrace", "crash"), pick("none", "crash")
        c = prog_cost(pb, "sched_process_exit")
        row("boring exit: kernel ns per run (exit program)", f(c, unit=" ns"), f(prog_cost(bb, "bpftrace"), unit=" ns"),
            "", "< 150 ns", v(below(c, 150)), "boring_exit_kernel_ns")
        c = prog_cost(pb, "signal_generate")
        if c is None and pb:
            # --senders syscalls (the default): no program runs for the SIGCHLD of an exit.
            runs_per_exit = med([sum(p["run_cnt"] for p in r["progs"].values()) / r["exits"] for r in pb])
            row("non-fatal signal (SIGCHLD): programs run (senders from the kill family)",
                f(runs_per_exit, "{:.2f}", " runs per exit, all programs"), "-", "", "1 per exit",
                v(below(runs_per_exit, 1.01)), "programs_per_boring_exit")
        else:
            row("non-fatal signal (SIGCHLD): kernel ns per run", f(c, unit=" ns"), "-", "", "< 150 ns",
                v(below(c, 150)), "sigchld_kernel_ns")
        # Boring storm: the daemon must do nothing for it. What CPU it used went to records
        # of other processes' exits (this machine is shared): shown with their number.
        leaked = max([r["lines"] for r in pb] or [0])
        sent = [r["totals"].get("records_sent", 0) for r in pb]
        d = med([r["cpu_ns"] / r["exits"] for r in pb])
        mid = sorted(pb, key=lambda r: r["cpu_ns"])[len(pb) // 2] if pb else None
        row("boring exit: daemon CPU per exit [all of it on other processes' records]",
            "n/a" if mid is None else f"{d:.1f} ns ({mid['cpu_ns'] / 1e6:.1f} ms, "
            f"{mid['totals'].get('records_sent', 0)} records)",
            f(med([r["cpu_ns"] / r["exits"] for r in bb]), unit=" ns"), "", "nothing: 0 records from the storm",
            v(None if not pb else leaked == 0 and max(sent) * 1000 < a.boring), "boring_daemon_ns")
        c = prog_cost(pc, "sched_process_exit")
        row("crash: kernel ns per run (exit program)", f(c, unit=" ns"), f(prog_cost(bc, "bpftrace"), unit=" ns"),
            "", "< 1000 ns", v(below(c, 1000)), "crash_exit_kernel_ns")
        c = crash_cost(pc)
        row("crash: kernel ns per crash (all programs)", f(c, unit=" ns"),
            f(crash_cost(bc), unit=" ns"), "", "< 1000 ns", v(below(c, 1000)), "crash_kernel_ns")
        d = med([r["cpu_ns"] / max(r["lines"], 1) / 1000 for r in pc])
        row("crash: daemon CPU per crash (standalone, json to file)", f(d, "{:.1f}", " us"),
            f(med([r["cpu_ns"] / max(r["lines"], 1) / 1000 for r in bc]), "{:.1f}", " us"), "", "< 20 us",
            v(below(d, 20)), "crash_daemon_us")
        for wl, p, b, n in (("boring", pb, bb, nb), ("crash", pc, bc, nc)):
            rn = med([r["rate"] for r in n])
            rp, rb = med([r["rate"] for r in p]), med([r["rate"] for r in b])

            def ratio(x):
                return "n/a" if x is None or not rn else f"{x:.0f}/s ({x / rn:.0%})"
            row(f"{wl} storm throughput (ratio to none)", ratio(rp), ratio(rb), f(rn, unit="/s"), "", "",
                f"{wl}_throughput")
            cn = med([r["cpu_per_exit_ns"] for r in n])
            cp, cb = med([r["cpu_per_exit_ns"] for r in p]), med([r["cpu_per_exit_ns"] for r in b])

            def cost(x):
                return "n/a" if x is None or not cn else f"{x / 1000:.1f} us ({x / cn:.0%})"
            row(f"{wl} storm: its own CPU per exit, kernel included (ratio to none)", cost(cp), cost(cb),
                f(cn / 1000 if cn else None, "{:.1f}", " us"), "", "", f"{wl}_storm_cpu")
        row("tracer RSS at the end of the crash storm (without the ring-buffer mapping)",
            "n/a" if not pc else f"{med([r['rss_kib'] / 1024 for r in pc]):.1f} MiB "
            f"({med([r['own_kib'] / 1024 for r in pc]):.1f} MiB)",
            f(med([r["rss_kib"] / 1024 for r in bc]), "{:.1f}", " MiB"), "", "", "", "standalone_rss_mib")
        blost = max([r.get("lost", 0) for r in bb + bc] or [0])
        if bb or bc:
            row("bpftrace: events it lost (perf buffer), worst run", "-", str(blost), "", "", "", "bpftrace_lost")
        # 200,000 boring exits (issue 5)
        ok = True
        filt = []
        for r in pb:
            t = r["totals"]
            filt.append(t.get("filtered_in_kernel", 0))
            ident = t.get("exits_seen", -1) == (t.get("filtered_in_kernel", 0) + t.get("records_sent", 0)
                                               - t.get("oom_kills", 0) - t.get("cgroup_records_sent", 0)
                                               + t.get("lost", 0))
            ok = ok and ident and r["lines"] == 0 and t.get("filtered_in_kernel", 0) >= r["exits"] and \
                t.get("records_read") == t.get("records_sent") and t.get("lost", 1) == 0
        sent = [r["totals"].get("records_sent") for r in pb]
        row(f"{a.boring} boring exits: filtered in kernel / records sent (others' exits)",
            f"{min(filt) if filt else 'n/a'} / {max(sent) if sent else 'n/a'}", "", "",
            f">= {a.boring} / 0 from forkexit, counters add up", v(ok if pb else None), "boring_counters")

    ls = results.get("latency_stdout")
    rounds = [r for r in (ls or {}).get("rate200_rounds", []) if r["lines"]]
    if rounds:
        ds = [r["daemon_cpu_ns"] / r["lines"] / 1000 for r in rounds]
        d = statistics.median(ds)
        row(f"crash: daemon CPU per crash at {ls['rate200']['rate']:.0f}/s (standalone, json to a pipe)",
            f"{d:.1f} us (runs: {', '.join(f'{x:.1f}' for x in ds)})", "", "", "< 20 us", v(d < 20),
            "crash_daemon_us_rate200")
        floors = [(r, dr) for r, dr in zip(rounds, ds) if r.get("floor")]
        if floors:
            fs = [r["floor"]["cpu_ns_per_crash"] / 1000 for r, _ in floors]
            own = [dr - f for (_, dr), f in zip(floors, fs)]
            wake = statistics.median(r["daemon_wakeups"] / r["lines"] for r, _ in floors)
            per_wake = statistics.median(r["floor"]["cpu_ns_per_wakeup"] / 1000 for r, _ in floors)
            row(f"  of which the machine's floor: {wake:.2f} wake-ups a crash at {per_wake:.1f} us "
                f"(wakefloor: no work)", f"{statistics.median(fs):.1f} us (runs: {', '.join(f'{x:.1f}' for x in fs)}); "
                f"own work {statistics.median(own):.1f}", "", "", "", "", "crash_daemon_floor_us_rate200")
    if ls:
        for name, label in (("rate200", "200 crashes/s"), ("fullrate", "full rate")):
            x = ls[name]
            row(f"kernel -> stdout latency p50 / p99, {label} ({x['rate']:.0f}/s, n={x['lines']})",
                f"{f(x['p50_ms'], '{:.1f}')} / {f(x['p99_ms'], '{:.1f}')} ms (runnable, no CPU: "
                f"{x.get('daemon_runq_wait_ns', 0) / 1e6:.0f} ms)", "", "", "p99 < 20 ms",
                v(x["p99_ms"] is not None and x["p99_ms"] < 20 and x["lines"] >= x["crashes"]), "stdout_latency_" + name)
    cl = results.get("cluster", {})
    if "api_latency" in cl:
        x = cl["api_latency"]
        row(f"kernel -> Event accepted p50 / p99 ({x['crashes']} crashes, {a.lat_pods} pods)",
            f"{f(x['p50_ms'], '{:.1f}')} / {f(x['p99_ms'], '{:.1f}')} ms", "", "", "p99 < 50 ms",
            v(x["p99_ms"] is not None and x["p99_ms"] < 50), "api_latency")
    if "storm" in cl:
        x = cl["storm"]
        row(f"API writes for {x['crashes']} crashes in {x['pods']} pods ({x['rate']:.0f}/s)",
            f"{x['writes']} ({x['posts']} POST, {x['patches']} PATCH; {x['writes'] / x['budget']:.0%} of budget)",
            "", "", f"<= {x['budget']} (25/pod)", v(x["writes"] <= x["budget"] and x["max_writes_per_pod"] <= 25 +
                                                   (x["budget"] // x["pods"] - 25)), "storm_writes")
    if "rss_synced_kib" in cl:
        m = cl["mem_synced"]
        r = m["VmRSS"] / 1024
        # The target is the agent's own memory: VmRSS counts the ring buffer's pages twice.
        row(f"daemon RSS (VmRSS) with {cl['pods_cached']} pods cached", f"{r:.1f} MiB", "", "",
            "(target: without the ring, below)", "", "rss_1000_pods")
        row(f"  of which: ring-buffer mapping / anonymous / other (libraries)",
            f"{m['ring'] / 1024:.1f} / {m.get('RssAnon', 0) / 1024:.1f} / "
            f"{(m['VmRSS'] - m['ring'] - m.get('RssAnon', 0)) / 1024:.1f} MiB", "", "", "", "", "rss_breakdown")
        row(f"  RSS without the ring-buffer mapping", f"{m['own'] / 1024:.1f} MiB", "", "", "< 16 MiB",
            v(m["own"] / 1024 < 16), "rss_1000_pods_own")
        b = cl.get("smaps_synced")
        if b:
            row("  PSS (pages shared with other processes counted in part), without the ring",
                f"{b['own']['pss'] / 1024:.1f} MiB (with it {b['total']['pss'] / 1024:.1f})", "", "", "< 16 MiB",
                v(b["own"]["pss"] / 1024 < 16), "pss_1000_pods_own")
            row("  where it is, RSS/PSS MiB (smaps)", smaps_line(b), "", "", "", "", "mem_smaps")
        b = cl.get("smaps_after_latency")
        if b:
            row("  after the latency part's 1,000 crashes and their Events, RSS/PSS MiB", smaps_line(b), "", "",
                "< 16 MiB", v(b["own"]["rss"] / 1024 < 16 and b["own"]["pss"] / 1024 < 16), "mem_smaps_steady")
    ch = results.get("churn")
    if ch and "rss_settled_kib" in ch:
        grew = (ch["rss_settled_kib"] - ch["rss_start_kib"]) / 1024
        row(f"pod churn: {ch['pods']} pods (2 containers, {ch['alive']} alive): RSS start / peak / "
            f"watch caught up / {ch['tombstone_s'] + 10} s later",
            f"{ch['rss_start_kib'] / 1024:.1f} / {ch['rss_peak_kib'] / 1024:.1f} / "
            f"{ch['rss_after_churn_kib'] / 1024:.1f} / {ch['rss_settled_kib'] / 1024:.1f} MiB", "", "",
            "settled - start < 4 MiB", v(grew < 4), "churn_rss")
    if "flood" in cl:
        x = cl["flood"]
        t = x["totals"]
        row(f"crash flood {x['target_rate']}/s for {a.flood_seconds} s: rate reached",
            f"{x['rate']:.0f}/s ({x['crashes']} crashes; not ours: {x.get('other_load', 0):.0%} of the CPUs)",
            "", "", f"{x['target_rate']}/s",
            "" if x["rate"] >= 0.95 * x["target_rate"] else "not reached (machine)", "flood_rate")
        ok = t.get("lost", 1) == 0 and t.get("records_read") == t.get("records_sent")
        row("crash flood: ring buffer lost / records sent / read",
            f"{t.get('lost')} / {t.get('records_sent')} / {t.get('records_read')}", "", "", "lost = 0", v(ok),
            "flood_lost")
        row("crash flood: daemon RSS before / max / after",
            f"{x['rss_before_kib'] / 1024:.1f} / {x['rss_max_kib'] / 1024:.1f} / {x['rss_after_kib'] / 1024:.1f} MiB",
            "", "", "bounded: max - before < 1 MiB", v(x["rss_max_kib"] - x["rss_before_kib"] < 1024), "flood_rss")
        row("crash flood: API writes", f"{x['writes']} (spam-filtered {t.get('spam_filtered', 'n/a')})", "", "",
            f"<= {x['budget']}", v(x["writes"] <= x["budget"]), "flood_writes")
    return rows


def peers_table(results):
    """Kernel time of all of a tracer's programs per exit, and the storm's own CPU per exit, per
    configuration (medians), with podtrail's ratio to `exitsnoop -x`."""
    runs = results.get("runs", [])
    cfgs = [c for c in ("none", "podtrail", "exitsnoop-x", "exitsnoop", "sigsnoop", "oomkill", "bpftrace")
            if any(r["config"] == c for r in runs)]
    out = []
    for wl in ("boring", "exec", "crash"):
        kern, cpu = {}, {}
        for c in cfgs:
            rs = [r for r in runs if r["config"] == c and r["workload"] == wl]
            if not rs:
                continue
            cpu[c] = med([r["cpu_per_exit_ns"] for r in rs])
            if c != "none":
                kern[c] = med([sum(p["run_time_ns"] for p in r.get("progs", {}).values()) / max(r["exits"], 1)
                               for r in rs])
        ratio = (kern["podtrail"] / kern["exitsnoop-x"]
                 if kern.get("podtrail") is not None and kern.get("exitsnoop-x") else None)
        out.append({"storm": wl, "kernel_ns_per_exit": kern, "storm_cpu_ns_per_exit": cpu,
                    "podtrail_over_exitsnoop_x": ratio})
    return cfgs, out


def print_peers(cfgs, table, unavailable=None, f=sys.stdout):
    if not any(t["storm_cpu_ns_per_exit"] for t in table):
        return  # the side-by-side part did not run
    head = ["storm / per exit"] + cfgs + ["podtrail / exitsnoop -x"]
    cells = []
    for t in table:
        cells.append([f"{t['storm']}: kernel ns, all programs"] +
                     [("-" if c == "none" else "n/a" if t["kernel_ns_per_exit"].get(c) is None
                       else f"{t['kernel_ns_per_exit'][c]:.0f}") for c in cfgs] +
                     ["n/a" if t["podtrail_over_exitsnoop_x"] is None else f"{t['podtrail_over_exitsnoop_x']:.2f}x"])
        none = t["storm_cpu_ns_per_exit"].get("none")
        cells.append([f"{t['storm']}: storm CPU ns (ratio to none)"] +
                     ["n/a" if t["storm_cpu_ns_per_exit"].get(c) is None else
                      f"{t['storm_cpu_ns_per_exit'][c]:.0f}" +
                      ("" if c == "none" or not none else f" ({t['storm_cpu_ns_per_exit'][c] / none:.2f}x)")
                      for c in cfgs] + [""])
    w = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(head)]
    print("\nSide by side with libbpf-tools (medians; kernel time from BPF run-time statistics):", file=f)
    for cfg, why in (unavailable or {}).items():
        print(f"  {cfg}: could not run on this machine ({why})", file=f)
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)), file=f)
    print("  ".join("-" * x for x in w), file=f)
    for r in cells:
        print("  ".join(r[i].ljust(w[i]) for i in range(len(head))).rstrip(), file=f)


def print_together(results, f=sys.stdout):
    ratios = results.get("together_ratios") or {}
    if not ratios:
        return
    print("\nAttached together, on the same exits (all programs' kernel ns per exit; each round both "
          "attach orders):", file=f)
    for wl, x in ratios.items():
        runs = [r for r in results["together"] if r["workload"] == wl]
        pt = med([r["kernel_ns_per_exit"]["podtrail"] for r in runs])
        xs = med([r["kernel_ns_per_exit"]["exitsnoop-x"] for r in runs])
        print(f"  {wl}: podtrail {pt:.0f} ns, exitsnoop -x {xs:.0f} ns; podtrail / exitsnoop -x "
              f"{x['median']:.2f}x (rounds {', '.join(f'{r:.2f}' for r in x['rounds'])})", file=f)


def print_table(rows, f=sys.stdout):
    cols = ["measurement", "podtrail", "bpftrace", "none", "target", "verdict"]
    cells = [[str(r[c] if r[c] is not None else "") for c in cols] for r in rows]
    w = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    sep = "  "
    print(sep.join(c.ljust(w[i]) for i, c in enumerate(cols)), file=f)
    print(sep.join("-" * w[i] for i in range(len(cols))), file=f)
    for x in cells:
        print(sep.join(x[i].ljust(w[i]) for i in range(len(cols))).rstrip(), file=f)


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="runs of each side-by-side configuration (median)")
    ap.add_argument("--boring", type=int, default=200000, help="boring exits per boring storm")
    ap.add_argument("--execs", type=int, default=3000, help="exits of exec'd processes per exec storm")
    ap.add_argument("--crashes", type=int, default=20000, help="crashes per crash storm")
    ap.add_argument("--lat-n", type=int, default=1000, help="crashes at 200/s for the stdout latency")
    ap.add_argument("--lat-pods", type=int, default=100, help="pods for the latency to the API server")
    ap.add_argument("--lat-per-pod", type=int, default=10, help="crashes per pod, one a second")
    ap.add_argument("--storm-pods", type=int, default=100, help="pods for the API-writes storm")
    ap.add_argument("--storm-per-pod", type=int, default=100, help="crashes per pod in that storm")
    ap.add_argument("--cached-pods", type=int, default=1000, help="pods on the node in the fake API server")
    ap.add_argument("--flood-rate", type=int, default=50000, help="crashes/s asked of the flood")
    ap.add_argument("--flood-seconds", type=float, default=10, help="flood duration")
    ap.add_argument("--churn-pods", type=int, default=100000, help="pods created and deleted in the churn")
    ap.add_argument("--churn-alive", type=int, default=500, help="pods alive at a time in the churn")
    ap.add_argument("--churn-tombstone", type=int, default=30,
                    help="the agent's --pod-tombstone (s) in the churn: how long it waits before settling")
    ap.add_argument("--only", default="side,stdout,cluster,churn",
                    help="comma-separated parts: side, stdout, cluster, churn")
    ap.add_argument("--configs", default="none,podtrail,exitsnoop-x,exitsnoop,sigsnoop,oomkill,bpftrace",
                    help="side by side: which configurations (none, podtrail, bpftrace, and libbpf-tools' "
                         "exitsnoop, exitsnoop-x, sigsnoop, oomkill)")
    ap.add_argument("--workloads", default="boring,exec,crash",
                    help="side by side: which storms (boring, exec, crash)")
    ap.add_argument("--podtrail-arg", action="append", default=[], metavar="ARG",
                    help="extra podtrail flag for every run (repeat), e.g. --podtrail-arg=--ringbuf-size=1M")
    ap.add_argument("--quiet-budget", type=float, default=60,
                    help="seconds the bench may spend, in all, waiting for other tracers on the exit path "
                         "to go away before side-by-side runs (a shared machine)")
    ap.add_argument("--quick", action="store_true", help="small counts, one rep: checks the bench itself")
    a = ap.parse_args()
    if a.quick:
        a.reps, a.boring, a.execs, a.crashes, a.lat_n = 1, 20000, 500, 5000, 200
        a.lat_pods, a.lat_per_pod, a.storm_pods, a.storm_per_pod = 20, 5, 20, 50
        a.cached_pods, a.flood_seconds = 200, 2
        a.churn_pods, a.churn_alive, a.churn_tombstone = 5000, 100, 5
    parts = set(a.only.split(","))
    if os.geteuid() != 0:
        sys.exit("bench: run as root (BPF, cgroups)")
    for exe in ("podtrail", "tools/forkexit", "tools/crashstorm", "tools/wakefloor"):
        if not os.access(os.path.join(BUILD, exe), os.X_OK):
            sys.exit(f"bench: {BUILD}/{exe} is missing: run make first")
    os.makedirs(BIN, exist_ok=True)
    # A copy: the binaries under test stay the same for the whole run, whatever rebuilds build/.
    for exe in ("podtrail", "tools/forkexit", "tools/crashstorm", "tools/wakefloor"):
        shutil.copy2(os.path.join(BUILD, exe), os.path.join(BIN, os.path.basename(exe)))
    v2 = v2_root()
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"kernel": os.uname().release, "cpus": os.cpu_count(),
                           "loadavg_at_start": read("/proc/loadavg").split()[:3]},
               "args": vars(a)}
    try:
        results["podtrail_version"] = subprocess.run([os.path.join(BIN, "podtrail"), "--version"],
                                                     capture_output=True, text=True).stdout.strip()
        results["bpftrace_version"] = subprocess.run(["bpftrace", "--version"], capture_output=True,
                                                     text=True).stdout.strip()
    except OSError:
        pass
    stats = BpfStats()
    results["bpf_stats"] = stats.how
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    t0 = time.monotonic()
    try:
        if "side" in parts:
            side_by_side(a, v2, results)
            if "podtrail" in a.configs.split(",") and "exitsnoop-x" in a.configs.split(","):
                together(a, results)
        if "stdout" in parts:
            latency_stdout(a, v2, results)
        if "cluster" in parts:
            cluster(a, v2, results)
        if "churn" in parts:
            churn(a, results)
    finally:
        stats.close()
        cleanup()
        results["seconds"] = time.monotonic() - t0
        results["machine"]["loadavg_at_end"] = read("/proc/loadavg").split()[:3]
        rows = summarize(results, a)
        results["table"] = rows
        peer_cfgs, peers = peers_table(results)
        results["peers"] = peers
        results["together_ratios"] = together_ratios(results)
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    print()
    print(f"podtrail benchmarks, {results['machine']['kernel']}, {results['machine']['cpus']} CPUs, "
          f"load {' '.join(results['machine']['loadavg_at_start'])}, {results['seconds']:.0f} s "
          f"(BPF stats: {stats.how}); medians of {a.reps} runs where side by side")
    loads = [r["other_load"] for r in results.get("runs", []) if "other_load" in r]
    if loads:
        print(f"CPU time not ours (other processes, kernel threads) during the side-by-side storms: "
              f"{min(loads):.0%} to {max(loads):.0%} of the CPUs, median {med(loads):.0%}")
    foreign = [r for r in results.get("runs", []) if r.get("foreign_tracers")]
    if foreign:
        names = sorted({t["name"] for r in foreign for t in r["foreign_tracers"]})
        print(f"note: in {len(foreign)} of {len(results['runs'])} side-by-side runs another tracer was on the "
              f"exit path (programs {', '.join(names)}): every configuration, 'none' included, paid for it")
    print_table(rows)
    print_peers(peer_cfgs, peers, results.get("unavailable"))
    print_together(results)
    print(f"\nraw figures: {os.path.relpath(os.path.join(OUT, 'results.json'), ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
