"""The archive `make image` writes (build/podtrail-image.tar): named so that a
node's containerd finds it under the name the DaemonSet asks for, one layer with
podtrail and what it needs at run time and nothing else, and `ctr run` of
/usr/sbin/podtrail --version in it works (docs/image.md has the commands)."""
import gzip
import io
import json
import os
import tarfile

import pytest

import cri
from conftest import ARCHIVE, version


@pytest.fixture(scope="module")
def archive():
    assert os.path.exists(ARCHIVE), f"{ARCHIVE} is missing: run make image (make test-image does)"
    with tarfile.open(ARCHIVE) as t:
        blobs = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    index = json.loads(blobs["index.json"])
    [desc] = index["manifests"]
    manifest = json.loads(blobs["blobs/sha256/" + desc["digest"].split(":")[1]])
    config = json.loads(blobs["blobs/sha256/" + manifest["config"]["digest"].split(":")[1]])
    layers = []
    for layer in manifest["layers"]:
        data = blobs["blobs/sha256/" + layer["digest"].split(":")[1]]
        if layer["mediaType"].endswith("+gzip"):
            data = gzip.decompress(data)
        layers.append(tarfile.open(fileobj=io.BytesIO(data)))
    return {"index": index, "desc": desc, "manifest": manifest, "config": config, "layers": layers}


def test_archive_names_the_image_as_the_daemonset_asks_for_it(archive):
    v = version()
    assert json.loads(json.dumps(archive["index"]))["schemaVersion"] == 2
    ann = archive["desc"]["annotations"]
    assert ann["io.containerd.image.name"] == f"docker.io/library/podtrail:{v}", ann   # ctr images import
    assert ann["org.opencontainers.image.ref.name"] == f"podtrail:{v}", ann          # podman load, skopeo
    cfg = archive["config"]
    assert cfg["os"] == "linux" and cfg["config"]["Entrypoint"] == ["/usr/sbin/podtrail"]
    assert cfg["config"]["User"] == "0:0"
    assert cfg["config"]["Labels"]["org.opencontainers.image.title"] == "podtrail"


def test_one_layer_with_podtrail_and_its_libraries_only(archive):
    [layer] = archive["layers"]
    names = {m.name.lstrip("./"): m for m in layer.getmembers()}
    assert names["usr/sbin/podtrail"].mode & 0o111 and names["usr/sbin/podtrail"].uid == 0
    for shell in ("bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "usr/bin/dpkg", "usr/bin/apt-get"):
        assert shell not in names, shell
    status = {n.rsplit("/", 1)[1] for n in names if n.startswith("var/lib/dpkg/status.d/") and names[n].isfile()}
    assert {"libc6", "libbpf1", "libcurl4", "base-files"} <= status, status
    for n, m in names.items():
        if n.startswith("usr/share/doc/") and m.isfile():
            assert n.endswith("/copyright") and n.split("/")[3] in status, n
    assert "etc/os-release" in names and "usr/lib/os-release" in names


def test_ctr_run_podtrail_version(containerd, images):
    """`ctr images import` (done by the images fixture) and `ctr run` of
    /usr/sbin/podtrail --version, as docs/image.md tells users to check it."""
    v = version()
    r = containerd.ctr("-n", cri.K8S_NAMESPACE, "run", "--rm", "--cgroup", "", f"docker.io/library/podtrail:{v}",
                       "podtrail-version-check", "/usr/sbin/podtrail", "--version")
    assert r.stdout.strip() == f"podtrail {v}", r
    assert os.path.getsize(ARCHIVE) < 64 << 20, "the image grew past 64 MiB (docs/image.md: about 10 MB)"
