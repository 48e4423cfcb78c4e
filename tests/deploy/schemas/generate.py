#!/usr/bin/python3
"""Regenerate the schemas the deploy tests validate the manifests against.

Not run by the tests (they read the JSON files next to this script); run it
by hand to move to another Kubernetes or Prometheus Operator version:

    generate.py k8s INTERNAL_GO > k8s-1.32.json
        INTERNAL_GO: client-go's applyconfigurations/internal/internal.go
        (tag v0.32.13 for the file here). Its schemaYAML is the
        structured-merge-diff schema of every built-in type: field names and
        their types, what server-side apply and field validation use. Only
        the types reachable from the kinds deploy/ uses are kept.

    generate.py crd CRD_YAML > podmonitor-v0.93.0.json
        CRD_YAML: prometheus-operator's
        example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml
        (tag v0.93.0 for the file here); keeps the v1 openAPIV3Schema without
        its descriptions.

Both sources are Apache-2.0 (The Kubernetes Authors; The Prometheus Operator
Authors); the JSON files are derived from them. Needs PyYAML.
"""
import json
import sys

import yaml

ROOTS = [
    "io.k8s.api.apps.v1.DaemonSet",
    "io.k8s.api.core.v1.Namespace",
    "io.k8s.api.core.v1.ServiceAccount",
    "io.k8s.api.core.v1.ConfigMap",
    "io.k8s.api.rbac.v1.ClusterRole",
    "io.k8s.api.rbac.v1.ClusterRoleBinding",
]


def refs(t):
    """Named types a type definition (or a field's type) refers to."""
    if isinstance(t, dict):
        for k, v in t.items():
            if k == "namedType":
                yield v
            else:
                yield from refs(v)
    elif isinstance(t, list):
        for v in t:
            yield from refs(v)


def k8s(path):
    src = open(path).read()
    start = src.index("var schemaYAML = typed.YAMLObject(`") + len("var schemaYAML = typed.YAMLObject(`")
    doc = yaml.safe_load(src[start:src.index("`)", start)])
    types = {t["name"]: t for t in doc["types"]}
    keep, todo = {}, list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        t = dict(types[name])
        t.pop("name")
        keep[name] = t
        todo.extend(refs(t))
    return {"source": "k8s.io/client-go v0.32.13 applyconfigurations/internal/internal.go (schemaYAML)",
            "license": "Apache-2.0, The Kubernetes Authors",
            "types": dict(sorted(keep.items()))}


def strip(s):
    if isinstance(s, dict):
        return {k: strip(v) for k, v in s.items() if k != "description"}
    if isinstance(s, list):
        return [strip(v) for v in s]
    return s


def crd(path):
    doc = yaml.safe_load(open(path))
    v1 = next(v for v in doc["spec"]["versions"] if v["name"] == "v1")
    return {"source": "prometheus-operator v0.93.0 example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml",
            "license": "Apache-2.0, The Prometheus Operator Authors",
            "group": doc["spec"]["group"], "kind": doc["spec"]["names"]["kind"], "version": "v1",
            "schema": strip(v1["schema"]["openAPIV3Schema"])}


if __name__ == "__main__":
    out = {"k8s": k8s, "crd": crd}[sys.argv[1]](sys.argv[2])
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
