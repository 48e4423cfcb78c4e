"""A real runc container (busybox rootfs, kubelet-style cgroupsPath) whose main
process exits non-zero gives ContainerExited with the id parsed from the path."""
import json
import os
import shutil
import subprocess

import pytest

from cgroup_cleanup import remove_from_every_hierarchy
from conftest import Daemon, container_id, pod_uid, require_root


def make_bundle(path, args, cgroups_path):
    rootfs = os.path.join(path, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"))
    for d in ("proc", "sys", "dev", "tmp", "etc"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    busybox = shutil.which("busybox")
    assert busybox, "busybox-static is missing: run make deps"
    shutil.copy(busybox, os.path.join(rootfs, "bin", "busybox"))
    for applet in ("sh", "sleep", "true", "kill"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    subprocess.run(["runc", "spec"], cwd=path, check=True)
    with open(os.path.join(path, "config.json")) as f:
        spec = json.load(f)
    spec["process"]["terminal"] = False
    spec["process"]["args"] = args
    spec["linux"]["cgroupsPath"] = cgroups_path
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(spec, f)


def test_runc_container_exit_is_container_exited(tmp_path):
    require_root()
    assert shutil.which("runc"), "runc is missing: run make deps"
    uid, cid = pod_uid(), container_id()
    cgroups_path = f"/kubepods/besteffort/pod{uid}/{cid}"
    make_bundle(str(tmp_path), ["sh", "-c", "sleep 0.2; exit 5"], cgroups_path)
    d = Daemon([])
    try:
        r = subprocess.run(["runc", "--root", str(tmp_path / "state"), "run", "--bundle",
                            str(tmp_path), cid], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60)
        assert r.returncode == 5, r.stderr
        ev = d.wait_for(lambda e: (e.get("container") or {}).get("id") == cid,
                        what="ContainerExited for the runc container")
    finally:
        assert d.stop() == 0
        left = remove_from_every_hierarchy(f"/kubepods/besteffort/pod{uid}")
        assert not left, f"the pod's cgroups are still busy: {left}"
    assert ev["reason"] == "ContainerExited"
    assert ev["type"] == "Warning"
    assert ev["exit"]["code"] == 5
    assert ev["process"]["pidns_init"] is True and ev["process"]["ns_pid"] == 1
    assert ev["process"]["main"] is True
    assert ev["pod"]["uid"] == uid and ev["pod"]["qos"] == "BestEffort"
    assert ev["cgroup"]["driver"] == "cgroupfs"
    assert ev["cgroup"]["path"].endswith(cgroups_path)
    assert "exited with code 5" in ev["message"]
    assert d.totals["lost"] == 0
