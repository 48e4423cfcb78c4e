"""The real podtrail run against a fake API server (--kubeconfig), as a plain module
so that other test directories (tests/cri) can run it too, not only this conftest."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PODTRAIL_BUILD", "build"))
PODTRAIL = os.path.join(BUILD, "podtrail")
NODE = "e2e-node"


def readyz(agent):
    """The HTTP status of the agent's /readyz."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(agent.metrics_url("/readyz"), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def require_root():
    assert os.geteuid() == 0, "end-to-end tests need root (BPF, cgroups, runc)"
    assert os.path.exists(PODTRAIL), f"{PODTRAIL} is missing: run make first"
    for tool in ("runc", "busybox", "gcc", "kubectl"):
        assert shutil.which(tool), f"{tool} is missing: run make deps"


class Agent:
    def __init__(self, api, args=(), wrapper=(), binary=None, attach_timeout=30, kubeconfig=None,
                 verbose=1, wait_watch=True):
        """kubeconfig: another one than the server's own; wait_watch=False:
        return once attached (for a server it cannot or may not reach)."""
        require_root()
        log = api.requests()
        since = log[-1]["seq"] if log else 0  # this agent's requests, not an earlier one's
        self.proc = subprocess.Popen(
            [*wrapper, binary or PODTRAIL, "--kubeconfig", kubeconfig or api.kubeconfig,
             "--node-name", NODE, "-v", str(verbose), "--metrics-address", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.attached = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            assert self.attached.wait(attach_timeout), "podtrail did not attach: " + self.stderr()
            if not wait_watch:
                return
            # Ready once it listed and started watching the node's pods.
            assert api.wait_until(lambda: any("watch" in e.get("query", "") for e in
                                              api.requests(method="GET", path="^/api/v1/pods",
                                                           since=since)),
                                  attach_timeout), \
                "podtrail never watched pods: " + self.stderr()
        except AssertionError:
            self.proc.kill()  # no agent left behind to write into later tests
            self.proc.wait()
            raise

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            if "attached" in line:
                self.attached.set()
        self.attached.set()

    def stderr(self):
        return "".join(self.lines)

    def metrics_url(self, path="/metrics"):
        m = re.search(r"serving /metrics, /healthz and /readyz on port (\d+)", self.stderr())
        assert m, "podtrail did not say where it serves metrics: " + self.stderr()
        return f"http://127.0.0.1:{m.group(1)}{path}"

    def scrape(self):
        """The /metrics page as {'name{labels}': value}."""
        import urllib.request
        with urllib.request.urlopen(self.metrics_url(), timeout=5) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, val = line.rsplit(" ", 1)
                out[key] = float(val)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(120)
        time.sleep(0.1)
        return rc

    def totals(self):
        out = {}
        for m in re.finditer(r"podtrail: (?:totals|kubernetes): (.*)", self.stderr()):
            out.update(kv.split("=") for kv in m.group(1).split())
        return {k: int(v) for k, v in out.items()}
