"""Removing what a test's containers leave in the cgroup hierarchies: runc deletes a
container's own cgroup, not its pod's, which the kubelet removes. Used by the integration
and the end-to-end tests, and by the bench for the cgroups it makes."""
import os
import time


def cgroup_mounts():
    """Mount points of every cgroup hierarchy (v1 controllers and the v2 tree)."""
    with open("/proc/self/mountinfo") as f:
        fields = [line.split(" - ", 1) for line in f]
    return [a.split()[4] for a, b in fields if b.split()[0] in ("cgroup", "cgroup2")]


def remove_dirs(paths, timeout=5):
    """rmdir each of paths (children before their parents), retrying while a cgroup just
    emptied is still busy. Returns the paths still there after timeout seconds."""
    left = list(paths)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        busy = []
        for path in left:
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError:
                busy.append(path)
        left = busy
        if left:
            time.sleep(0.05)
    return left


def remove_from_every_hierarchy(rel, timeout=5):
    """rmdir rel from every hierarchy mounted; returns the paths still there."""
    return remove_dirs([m + "/" + rel.strip("/") for m in cgroup_mounts()], timeout)
