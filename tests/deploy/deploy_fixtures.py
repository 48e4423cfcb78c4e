"""Session fixtures of the deploy tests, imported by name into each test
module (not a conftest.py: tests/integration imports names from its own
conftest module, which a second conftest.py would shadow when both
directories run in one pytest session)."""

import json
import re

import pytest

import deploy_helpers as h
from deploy_helpers import find


@pytest.fixture(scope="session")
def kubectl_version():
    info = json.loads(h.run([h.kubectl(), "version", "--client", "-o", "json"]))["clientVersion"]
    major, minor = int(info["major"]), int(re.match(r"\d+", info["minor"]).group(0))
    assert (major, minor) >= (1, 32), f"kubectl {info['gitVersion']}: the deploy tests need v1.32 or later"
    return info["gitVersion"]


@pytest.fixture(scope="session")
def rendered(kubectl_version):
    """The YAML stream `kubectl apply -k deploy/` sends."""
    return h.kustomize(h.DEPLOY)


@pytest.fixture(scope="session")
def dry_run(rendered, tmp_path_factory):
    """(objects, requests): what `kubectl create --dry-run=client` made of it."""
    return h.dry_run(rendered, str(tmp_path_factory.mktemp("kubectl")))


@pytest.fixture(scope="session")
def objects(dry_run):
    return dry_run[0]


@pytest.fixture(scope="session")
def daemonset(objects):
    return find(objects, "DaemonSet", "podtrail")


@pytest.fixture(scope="session")
def pod_spec(daemonset):
    return daemonset["spec"]["template"]["spec"]


@pytest.fixture(scope="session")
def container(pod_spec):
    assert [c["name"] for c in pod_spec["containers"]] == ["podtrail"]
    return pod_spec["containers"][0]
