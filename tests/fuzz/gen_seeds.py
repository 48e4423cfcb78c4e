#!/usr/bin/env python3
"""Writes the text seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

The decode target's binary records come from gen_records.c instead. Run from
anywhere: `make fuzz-seeds`, or python3 tests/fuzz/gen_seeds.py. Files are
rewritten in place; inputs the fuzzer added (hash names) are left alone.
"""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

UID = "1b4c3a2e-5f6d-4e7c-8b9a-0c1d2e3f4a5b"
UID2 = "7f3e9a10-2b4c-4d6e-8f01-23456789abcd"
STATIC_UID = "9d3b0a2c5e7f41a8b6c4d2e0f1a3b5c7"  # kubelet's md5 uid of a static pod
CID = "8b0bf8b0926b6e7e4c1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
CID2 = "3f2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"
CID3 = "c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc"


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def sd(uid):
    return uid.replace("-", "_")


# --- cgroup paths: kubelet's layouts, runtimes, QoS classes, and near misses ---

CGROUPS = {
    "cgroupfs-burstable": f"/kubepods/burstable/pod{UID}/{CID}",
    "cgroupfs-besteffort-crio": f"/kubepods/besteffort/pod{UID}/crio-{CID}",
    "cgroupfs-guaranteed": f"/kubepods/pod{UID}/{CID}",
    "cgroupfs-pod": f"/kubepods/pod{UID}",
    "cgroupfs-qos": "/kubepods/burstable",
    "cgroupfs-root": "/kubepods",
    "cgroupfs-static-pod": f"/kubepods/burstable/pod{STATIC_UID}/{CID}",
    "cgroupfs-conmon": f"/kubepods/besteffort/pod{UID}/crio-conmon-{CID}",
    "cgroupfs-nested": f"/kubepods/pod{UID}/{CID}/init/child",
    "systemd-containerd": f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{sd(UID)}.slice/cri-containerd-{CID}.scope",
    "systemd-crio": f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{sd(UID)}.slice/crio-{CID}.scope",
    "systemd-docker-guaranteed": f"/kubepods.slice/kubepods-pod{sd(UID)}.slice/docker-{CID}.scope",
    "systemd-conmon": f"/kubepods.slice/kubepods-pod{sd(UID)}.slice/crio-conmon-{CID}.scope",
    "systemd-pod": f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{sd(UID)}.slice",
    "systemd-static": f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{STATIC_UID}.slice/cri-containerd-{CID}.scope",
    "systemd-innermost": f"kubepods-besteffort-pod{sd(UID)}.slice/cri-containerd-{CID}.scope",
    "unit-spec": f"/system.slice/containerd.service/kubepods-besteffort-pod{sd(UID)}.slice:cri-containerd:{CID}",
    "unit-spec-crio": f"/kubepods-pod{sd(UID)}.slice:crio:{CID}",
    "kind-systemd": f"/system.slice/docker-{CID2}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod{sd(UID)}.slice/cri-containerd-{CID}.scope",
    "kind-cgroupfs-v1": f"/docker/{CID2}/kubepods/burstable/pod{UID}/{CID}",
    "cgroupns": f"/../../kubepods/burstable/pod{UID}/{CID}",
    "host-service": "/system.slice/containerd.service",
    "host-user": "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope",
    "host-init": "/init.scope",
    "host-root": "/",
    "host-docker": f"/system.slice/docker-{CID2}.scope",
    "bad-uid": f"/kubepods/burstable/pod{UID[:-1]}x/{CID}",
    "bad-id": f"/kubepods/burstable/pod{UID}/{CID[:40]}",
    "bad-qos-mismatch": f"/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod{sd(UID)}.slice/cri-containerd-{CID}.scope",
    "bad-scope": f"/kubepods.slice/kubepods-pod{sd(UID)}.slice/{CID}",
    "upper-hex": f"/kubepods/pod{UID.upper()}/{CID.upper()}",
}

# --- kubeconfigs: kubectl, kind, kubeadm, cloud styles, in-cluster ---

FAKE_PEM = ("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZmFrZQ==\n"
            "-----END CERTIFICATE-----\n")
FAKE_KEY = ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGZha2U=\n"
            "-----END EC PRIVATE KEY-----\n")
B64_PEM = base64.b64encode(FAKE_PEM.encode()).decode()
B64_KEY = base64.b64encode(FAKE_KEY.encode()).decode()
JWT = ("eyJhbGciOiJSUzI1NiIsImtpZCI6ImZ1enoifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoi"
       "c3lzdGVtOnNlcnZpY2VhY2NvdW50OnBvZHRyYWlsOnBvZHRyYWlsIn0.c2lnbmF0dXJl")

KUBECONFIGS = {
    "kind": f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {B64_PEM}
    server: https://127.0.0.1:41235
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {{}}
users:
- name: kind-kind
  user:
    client-certificate-data: {B64_PEM}
    client-key-data: {B64_KEY}
""",
    "kubeadm-files": """apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    certificate-authority: pki/ca.crt
    server: https://10.0.0.10:6443/
contexts:
- name: kubernetes-admin@kubernetes
  context:
    cluster: kubernetes
    user: kubernetes-admin
    namespace: kube-system
current-context: kubernetes-admin@kubernetes
users:
- name: kubernetes-admin
  user:
    client-certificate: client.crt
    client-key: client.key
""",
    "token-context-fuzz": f"""apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster:
    server: https://api.prod.example.com
    certificate-authority: ca.crt
    tls-server-name: kubernetes.default.svc
    proxy-url: http://proxy.example.com:3128
- name: lab
  cluster:
    server: 192.168.49.2:8443
    insecure-skip-tls-verify: true
contexts:
- name: prod
  context: {{cluster: prod, user: sa, namespace: podtrail}}
- name: fuzz
  context: {{cluster: lab, user: file}}
users:
- name: sa
  user:
    token: {JWT}
- name: file
  user:
    tokenFile: token
""",
    "json": json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "fuzz",
        "clusters": [{"name": "c", "cluster": {"server": "http://localhost:8080"}}],
        "contexts": [{"name": "fuzz", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
        "users": [{"name": "u", "user": {"token": "abc.def.ghi"}}],
    }, indent=2),
    "eks-exec": """apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com
    certificate-authority-data: """ + B64_PEM + """
  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:123456789012:cluster/prod
    user: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
current-context: arn:aws:eks:eu-west-1:123456789012:cluster/prod
users:
- name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod]
""",
    "gke-auth-provider": """apiVersion: v1
kind: Config
current-context: gke
clusters: [{name: gke, cluster: {server: "https://34.1.2.3"}}]
contexts: [{name: gke, context: {cluster: gke, user: gke}}]
users:
- name: gke
  user:
    auth-provider:
      name: gcp
      config: {cmd-path: gcloud, cmd-args: config config-helper --format=json}
""",
    "basic-auth-and-as": """apiVersion: v1
kind: Config
current-context: fuzz
clusters: [{name: c, cluster: {server: "https://h:6443"}}]
contexts: [{name: fuzz, context: {cluster: c, user: u}}, {name: other, context: {cluster: c, user: v}}]
users:
- {name: u, user: {username: admin, password: secret}}
- {name: v, user: {token: t, as: system:admin, as-groups: [system:masters]}}
""",
    "anchors": """apiVersion: v1
kind: Config
current-context: fuzz
clusters:
- &c {name: c, cluster: {server: "https://10.96.0.1:443", certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt}}
contexts:
- {name: fuzz, context: &ctx {cluster: c, user: u}}
- {name: dup, context: *ctx}
users:
- {name: u, user: {tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token}}
- {name: u, user: {token: duplicate}}
""",
    "in-cluster": f"10.96.0.1\n443\n{JWT}\npodtrail\n",
    "in-cluster-ipv6": "fd00:10:96::1\n6443\nsa-token\n  \n",
    "in-cluster-bad-port": "10.96.0.1\n99999\nsa-token\n",
    "conflicts": f"""current-context: fuzz
clusters:
- name: both
  cluster: {{server: "https://h", certificate-authority: ca.crt, certificate-authority-data: {B64_PEM}}}
- name: insecure
  cluster: {{server: "https://h", insecure-skip-tls-verify: yes, certificate-authority: ca.crt}}
- name: empty
  cluster: {{server: "https:///"}}
contexts:
- {{name: fuzz, context: {{cluster: insecure, user: u}}}}
- {{name: other, context: {{cluster: both, user: u}}}}
users:
- {{name: u, user: {{token: "a\\0b", client-certificate: client.crt}}}}
""",
    "empty-strings": """current-context: ""
clusters: ~
contexts: []
users: {}
""",
}

# --- API bodies: what kube-apiserver sends ---


def pod(name, uid, node="node-1", phase="Running", restarted=False, ns="default"):
    p = {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": name, "namespace": ns, "uid": uid, "resourceVersion": "48213",
            "creationTimestamp": "2026-11-27T10:00:00Z",
            "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6",
                                 "uid": UID2, "controller": True, "blockOwnerDeletion": True}],
            "managedFields": [{"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                               "time": "2026-11-27T10:00:05Z", "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:status": {"f:conditions": {"k:{\"type\":\"Ready\"}": {".": {}}}}},
                               "subresource": "status"}],
        },
        "spec": {
            "nodeName": node,
            "initContainers": [{"name": "init-config", "image": "busybox:1.36"}],
            "containers": [{"name": "app", "image": "python:3.12",
                            "resources": {"limits": {"memory": "20Mi"}}},
                           {"name": "sidecar", "image": "envoyproxy/envoy:v1.30"}],
            "restartPolicy": "Always",
        },
        "status": {
            "phase": phase, "qosClass": "Burstable", "podIP": "10.244.1.7",
            "initContainerStatuses": [{"name": "init-config", "containerID": f"containerd://{CID3}",
                                       "ready": True, "restartCount": 0,
                                       "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
            "containerStatuses": [
                {"name": "app", "containerID": f"containerd://{CID}", "ready": True,
                 "restartCount": 3 if restarted else 0, "image": "python:3.12",
                 "state": {"running": {"startedAt": "2026-11-27T10:00:04Z"}},
                 "lastState": ({"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                               "containerID": f"containerd://{CID2}"}} if restarted else {})},
                {"name": "sidecar", "containerID": f"cri-o://{CID2.upper()}", "ready": False,
                 "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}},
            ],
        },
    }
    return p


def status(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


STATUS_410 = status(410, "Expired", "too old resource version: 123 (45678)")

API_BODIES = {
    "podlist": json.dumps({"kind": "PodList", "apiVersion": "v1",
                           "metadata": {"resourceVersion": "48213"},
                           "items": [pod("web-7d4b9c8f6-x2x9q", UID, restarted=True),
                                     pod("db-0", UID2, phase="Pending")]}),
    "podlist-empty": '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"12345"},"items":[]}\n',
    "podlist-bad-item": json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {},
                                    "items": [{"metadata": {"name": "x"}}, pod("ok", UID), 7]}),
    "pod": json.dumps(pod("web-7d4b9c8f6-x2x9q", UID), indent=1),
    "pod-deleting": json.dumps(dict(pod("db-0", UID2, phase="Succeeded"),
                                    metadata={"name": "db-0", "namespace": "prod", "uid": UID2.upper(),
                                              "deletionTimestamp": "2026-11-27T11:00:00Z"})),
    "status-410": json.dumps(STATUS_410),
    "status-404-event": json.dumps(status(404, "NotFound", 'events "web.187a3b2c1d0e9f8a" not found',
                                          {"name": "web.187a3b2c1d0e9f8a", "kind": "events"})),
    "status-409": json.dumps(status(409, "AlreadyExists", 'events "web.187a3b2c1d0e9f8a" already exists',
                                    {"name": "web.187a3b2c1d0e9f8a", "kind": "events"})),
    "status-429": json.dumps(status(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later",
                                    {"retryAfterSeconds": 1})),
    "status-403": json.dumps(status(403, "Forbidden", 'events is forbidden: User "system:serviceaccount:podtrail:podtrail" cannot create resource "events" in API group "" in the namespace "default"',
                                    {"kind": "events"})),
    "status-422": json.dumps(status(422, "Invalid", 'Event "x" is invalid: [involvedObject.namespace: Invalid value: "": does not match event.namespace, reportingController: Required value]',
                                    {"name": "x", "kind": "Event", "causes": [
                                        {"reason": "FieldValueInvalid", "message": "Invalid value: \"\"", "field": "involvedObject.namespace"}]})),
    "status-long-utf8": json.dumps(status(500, "InternalError", "\u00e9\u65e5\u672c\U0001F680" * 200), ensure_ascii=False),
    "event-created": json.dumps({"kind": "Event", "apiVersion": "v1",
                                 "metadata": {"name": "web.187a3b2c1d0e9f8a", "namespace": "default",
                                              "uid": UID2, "resourceVersion": "48300"},
                                 "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web",
                                                    "uid": UID, "apiVersion": "v1", "fieldPath": "spec.containers{app}"},
                                 "reason": "OOMKilled", "message": "process 2665 (python3) in container app was OOM-killed",
                                 "count": 1, "type": "Warning"}),
    "container-id": f"containerd://{CID}",
    "pod-odd-entries": json.dumps({"kind": "Pod", "metadata": {"name": "odd", "namespace": "x", "uid": UID},
                                   "spec": {"containers": [{"name": "a"}, None]},
                                   "status": {"phase": "Evicted", "containerStatuses": [
                                       {"name": "a", "containerID": "docker://" + CID, "restartCount": -3,
                                        "lastState": {"terminated": {"containerID": "containerd://short"}}},
                                       {"name": "only-in-status", "restartCount": 99999999999}]}}),
}

# --- watch streams: plan bytes (see fuzz_watch_stream.c), then the body ---


def watch(events):
    return "".join(json.dumps({"type": t, "object": o}, separators=(",", ":")) + "\n" for t, o in events)


def plan(body, sizes=(), stop=False, max_shift=0):
    head = bytes([len(sizes) | (8 if stop else 0) | (max_shift << 4)]) + bytes(sizes)
    return head + (body.encode() if isinstance(body, str) else body)


P1 = pod("web-7d4b9c8f6-x2x9q", UID)
P1R = pod("web-7d4b9c8f6-x2x9q", UID, restarted=True)
BOOKMARK = {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"resourceVersion": "48300", "annotations": {"k8s.io/initial-events-end": "true"}}}
STREAM = watch([("ADDED", P1), ("MODIFIED", P1R), ("BOOKMARK", BOOKMARK), ("DELETED", P1R)])

WATCH = {
    "added-modified-deleted": plan(STREAM, (7, 1, 64)),
    "whole": plan(STREAM),
    "bookmark-then-410": plan(watch([("BOOKMARK", BOOKMARK), ("ERROR", STATUS_410)]), (13, 200)),
    "bare-status-410": plan(json.dumps(STATUS_410), (5,)),
    "bare-status-403": plan(json.dumps(status(403, "Forbidden", "pods is forbidden")) + "\n", (1, 2, 3)),
    "oversize": plan(STREAM, (255, 3), max_shift=4),
    "stop-first": plan(STREAM, (100,), stop=True),
    "no-newlines": plan(STREAM.replace("\n", ""), (17, 0, 31)),
    "crlf-and-spaces": plan(STREAM.replace("\n", "\r\n \t"), (2,)),
    "escapes-split": plan('{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"caf\\u00e9 \\ud83d\\ude80 \xc3\xa9\xe6\x97\xa5 \xf0\x9f\x9a\x80","uid":"' + UID + '","namespace":"x"}}}\n', (1,)),
    "truncated": plan(STREAM[: len(STREAM) // 2], (33,)),
    "bad-utf8": plan(STREAM[:300].encode() + b"\xc3\x28" + STREAM[300:].encode(), (1, 7)),
    "bad-envelope": plan('{"type":"ADDED","object":[]}\n{"type":"EXPLODED","object":{}}\n', (9,)),
    "type-not-string": plan('{"type":["ADDED"],"object":{"kind":"Pod"}}\n', (5,)),
    "not-json": plan("<html><body>502 Bad Gateway</body></html>\n", (4,)),
    "deep": plan('{"type":"ADDED","object":{"a":' + "[" * 70 + "]" * 70 + "}}", (16,)),
}


def main():
    for name, path in CGROUPS.items():
        put("cgroup_path", name, path)
    for name, text in KUBECONFIGS.items():
        put("kubeconfig", name, text)
    for name, body in API_BODIES.items():
        put("api_json", name, body)
    for name, body in WATCH.items():
        put("watch_stream", name, body)


if __name__ == "__main__":
    main()
