"""The registry of the fake Kubernetes API server: a store with one global
resourceVersion, an event history and watchers; the resources served (pods,
events in core/v1 and events.k8s.io/v1 sharing one storage, nodes,
namespaces) with their validation, conversion, field selectors and table
columns; and the REST operations. No HTTP here: fakeapi.py routes requests to API.

Behaviour follows kube-apiserver 1.32 as read from its sources: the generic
registry (rest.BeforeCreate/BeforeUpdate, store.Update, the watch cache),
pkg/apis/core/validation/events.go, pkg/apis/events/v1/conversion.go,
pkg/registry/core/event/strategy.go and the printers.
"""

import base64
import copy
import json
import threading
import time
import uuid

from fakeapi_meta import (
    APIError, CORE_EVENT_SCHEMA, decode_typed, DecodeError, dns_label_name, dns_subdomain_name,
    encode_meta, err_already_exists, err_bad_request, err_conflict, err_expired, err_invalid,
    err_not_found, err_too_large_rv, FieldError, generate_name, go_quote, GoRepr, is_dns1123_label,
    is_dns1123_subdomain, is_qualified_name, json_kind, json_patch, match_fields, match_labels,
    META_SCHEMA, MODIFIED_MSG, now_time, objref, OBJREF_SCHEMA, parse_field_selector,
    parse_json_body, parse_label_selector, PATCH_TYPES, PatchError, path_segment_errors, since,
    status_details, V1_EVENT_SCHEMA, validate_object_meta, validate_object_meta_update)

# --------------------------------------------------------------------------
# Store: one global resourceVersion (like etcd's revision), per-resource
# objects, an event history since the last compaction, and watchers.

class Watcher:
    def __init__(self, store, storage, ns, fsel, lsel, res):
        self.store, self.storage, self.ns, self.fsel, self.lsel, self.res = \
            store, storage, ns, fsel, lsel, res
        self.cond = threading.Condition(store.lock)
        self.pending = []  # raw history entries not yet delivered
        self.dropped = False

    def matches(self, obj):
        if obj is None:
            return False
        if self.ns and obj["metadata"].get("namespace") != self.ns:
            return False
        return match_fields(self.fsel, self.res.fields(obj)) and \
            match_labels(self.lsel, obj["metadata"].get("labels"))

    def convert(self, entry):
        """The watch cache's event conversion: ADDED/MODIFIED/DELETED as the
        object enters, stays in or leaves the selection."""
        rv, _, etype, obj, prev = entry
        cur = etype != "DELETED" and self.matches(obj)
        old = self.matches(prev)
        if cur and not old:
            return ("ADDED", obj)
        if cur and old:
            return ("MODIFIED", obj)
        if old:
            gone = copy.deepcopy(prev if etype != "DELETED" else obj)
            gone["metadata"]["resourceVersion"] = str(rv)
            return ("DELETED", gone)
        return None


class Store:
    def __init__(self, history_limit=100000):
        self.history_limit = history_limit  # older events are compacted away
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rv = 1
        self.objects = {}
        self.history = []       # (rv, storage, type, obj, prev)
        self.compacted_rv = 1
        self.base = {}          # objects as of compacted_rv
        self.watchers = set()

    def table(self, storage):
        return self.objects.setdefault(storage, {})

    def commit(self, storage, key, obj, etype):
        """Store obj (None deletes) under a new resourceVersion; returns the
        stored object (for DELETED: the last state, with the delete's rv)."""
        with self.lock:
            self.rv += 1
            table = self.table(storage)
            prev = table.get(key)
            if obj is None:
                obj = copy.deepcopy(prev)
                obj["metadata"]["resourceVersion"] = str(self.rv)
                del table[key]
            else:
                obj["metadata"]["resourceVersion"] = str(self.rv)
                table[key] = obj
            entry = (self.rv, storage, etype, obj, prev)
            self.history.append(entry)
            if len(self.history) > self.history_limit:
                self._roll_base(len(self.history) // 2)
            for w in self.watchers:
                if w.storage == storage:
                    w.pending.append(entry)
                    w.cond.notify_all()
            self.changed.notify_all()
            return obj

    def compact(self):
        with self.lock:
            self.base = {s: dict(t) for s, t in self.objects.items()}
            self.compacted_rv = self.rv
            self.history = []
            return self.rv

    def _roll_base(self, n):
        """Compact the oldest n history entries into the base snapshot."""
        for erv, st, etype, obj, _ in self.history[:n]:
            table = self.base.setdefault(st, {})
            key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            if etype == "DELETED":
                table.pop(key, None)
            else:
                table[key] = obj
            self.compacted_rv = erv
        del self.history[:n]

    def state_at(self, storage, rv):
        """Objects of `storage` as of resourceVersion rv (rv >= compacted)."""
        state = dict(self.base.get(storage, {}))
        for erv, st, etype, obj, _ in self.history:
            if erv > rv:
                break
            if st == storage:
                if etype == "DELETED":
                    state.pop((obj["metadata"].get("namespace", ""), obj["metadata"]["name"]), None)
                else:
                    state[(obj["metadata"].get("namespace", ""), obj["metadata"]["name"])] = obj
        return state

    def wait_for_rv(self, rv, timeout=3.0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.rv < rv:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True


# --------------------------------------------------------------------------
# Resources

class Resource:
    group, version, plural, singular, kind = "", "v1", "", "", ""
    namespaced = True
    short_names, categories = [], []
    verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    subresources = {}
    field_labels = {"metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace"}
    allow_create_on_update = False
    schema = None  # typed schema for strict decoding; None: metadata only

    @property
    def storage(self):
        return self.plural

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    # conversion between the stored (internal) form and this API version
    def encode(self, obj):
        out = {"kind": self.kind, "apiVersion": self.api_version, "metadata": encode_meta(obj["metadata"])}
        out.update((k, copy.deepcopy(v)) for k, v in obj.items() if k != "metadata")
        return out

    def decode(self, body):
        return body

    def fields(self, obj):
        m = obj["metadata"]
        f = {"metadata.name": m["name"]}
        if self.namespaced:
            f["metadata.namespace"] = m.get("namespace", "")
        return f

    def prepare_create(self, obj):
        pass

    def validate_create(self, obj):
        return []

    def prepare_update(self, new, old, sub):
        pass

    def validate_update(self, new, old, sub):
        return []

    def table_columns(self):
        return [("Name", "string", "name", 0, "Name must be unique within a namespace."),
                ("Created At", "date", "", 0, "CreationTimestamp is a timestamp.")]

    def table_cells(self, obj):
        return [obj["metadata"]["name"], obj["metadata"].get("creationTimestamp")]

    def bookmark(self, rv):
        return {"kind": self.kind, "apiVersion": self.api_version,
                "metadata": {"resourceVersion": str(rv), "creationTimestamp": None}}


class PodResource(Resource):
    plural, singular, kind = "pods", "pod", "Pod"
    short_names, categories = ["po"], ["all"]
    subresources = {"status": ["get", "patch", "update"]}
    field_labels = {k: k for k in (
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
        "status.podIP", "status.podIPs", "status.nominatedNodeName")}
    field_labels["spec.host"] = "spec.nodeName"

    def fields(self, obj):
        f = Resource.fields(self, obj)
        spec, st = obj.get("spec") or {}, obj.get("status") or {}
        f.update({"spec.nodeName": spec.get("nodeName", ""),
                  "spec.restartPolicy": spec.get("restartPolicy", ""),
                  "spec.schedulerName": spec.get("schedulerName", ""),
                  "spec.serviceAccountName": spec.get("serviceAccountName", ""),
                  "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
                  "status.phase": st.get("phase", ""), "status.podIP": st.get("podIP", ""),
                  "status.nominatedNodeName": st.get("nominatedNodeName", "")})
        ips = st.get("podIPs") or []
        f["status.podIPs"] = ips[0].get("ip", "") if ips else ""
        return f

    def prepare_create(self, pod):
        spec = pod.setdefault("spec", {})
        for c in spec.get("containers") or []:
            if isinstance(c, dict):
                c.setdefault("terminationMessagePath", "/dev/termination-log")
                c.setdefault("terminationMessagePolicy", "File")
                c.setdefault("imagePullPolicy", "Always" if str(c.get("image", "")).endswith(":latest")
                             or ":" not in str(c.get("image", "")) else "IfNotPresent")
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("securityContext", {})
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
        pod["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        pod["metadata"]["generation"] = 1

    def validate_create(self, pod):
        errs = validate_object_meta(pod["metadata"], True, dns_subdomain_name)
        return errs + self._validate_spec(pod.get("spec"))

    def _validate_spec(self, spec):
        if not isinstance(spec, dict):
            return [FieldError("Required", "spec")]
        errs, seen = [], set()
        containers = spec.get("containers")
        if not containers:
            return [FieldError("Required", "spec.containers")]
        for i, c in enumerate(containers):
            p = f"spec.containers[{i}]"
            if not isinstance(c, dict):
                errs.append(FieldError("Invalid", p, GoRepr(repr(c)), "must be an object"))
                continue
            name = c.get("name", "")
            if not name:
                errs.append(FieldError("Required", p + ".name"))
            else:
                errs += [FieldError("Invalid", p + ".name", name, m) for m in is_dns1123_label(name)]
                if name in seen:
                    errs.append(FieldError("Duplicate", p + ".name", name))
                seen.add(name)
            if not c.get("image"):
                errs.append(FieldError("Required", p + ".image"))
        return errs

    def prepare_update(self, new, old, sub):
        if sub == "status":   # status updates change only status (and not metadata)
            keep = copy.deepcopy(old)
            keep["status"] = new.get("status") or {}
            keep["metadata"]["resourceVersion"] = new["metadata"].get("resourceVersion", "")
            new.clear()
            new.update(keep)
        else:
            new["status"] = copy.deepcopy(old.get("status") or {})

    def validate_update(self, new, old, sub):
        if sub == "status":
            return []
        def strip(spec):
            s = copy.deepcopy(spec or {})
            for c in s.get("containers") or []:
                c.pop("image", None)
            for c in s.get("initContainers") or []:
                c.pop("image", None)
            s.pop("activeDeadlineSeconds", None)
            s.pop("tolerations", None)
            return s
        if strip(new.get("spec")) != strip(old.get("spec")):
            return [FieldError("Forbidden", "spec", detail="pod updates may not change fields other than "
                               "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                               "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                               "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "
                               "to be set to 1 if it was previously negative)")]
        return []

    def table_columns(self):
        return [("Name", "string", "name", 0, "Name must be unique within a namespace."),
                ("Ready", "string", "", 0, "The aggregate readiness state of this pod for accepting traffic."),
                ("Status", "string", "", 0, "The aggregate status of the containers in this pod."),
                ("Restarts", "string", "", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
                ("Age", "string", "", 0, "CreationTimestamp is a timestamp."),
                ("IP", "string", "", 1, "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
                ("Node", "string", "", 1, "NodeName is a request to schedule this pod onto a specific node."),
                ("Nominated Node", "string", "", 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
                ("Readiness Gates", "string", "", 1, "If specified, all readiness gates will be evaluated for pod readiness.")]

    def table_cells(self, pod):
        spec, st = pod.get("spec") or {}, pod.get("status") or {}
        reason = st.get("reason") or st.get("phase") or ""
        ready = restarts = 0
        for cs in reversed(st.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated"):
                t = state["terminated"]
                reason = t.get("reason") or (f"Signal:{t['signal']}" if t.get("signal")
                                             else f"ExitCode:{t.get('exitCode', 0)}")
            elif cs.get("ready") and "running" in state:
                ready += 1
        if pod["metadata"].get("deletionTimestamp"):
            reason = "Terminating"
        return [pod["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}", reason,
                str(restarts), since(pod["metadata"].get("creationTimestamp")),
                st.get("podIP") or "<none>", spec.get("nodeName") or "<none>",
                st.get("nominatedNodeName") or "<none>", "<none>"]

    def bookmark(self, rv):
        b = Resource.bookmark(self, rv)
        b.update({"spec": {"containers": None}, "status": {}})
        return b


class NodeResource(Resource):
    plural, singular, kind = "nodes", "node", "Node"
    namespaced = False
    short_names = ["no"]
    subresources = {"status": ["get", "patch", "update"]}
    field_labels = {"metadata.name": "metadata.name", "spec.unschedulable": "spec.unschedulable"}

    def fields(self, obj):
        return {"metadata.name": obj["metadata"]["name"],
                "spec.unschedulable": "true" if (obj.get("spec") or {}).get("unschedulable") else "false"}

    def validate_create(self, obj):
        return validate_object_meta(obj["metadata"], False, dns_subdomain_name)

    def table_columns(self):
        return [("Name", "string", "name", 0, "Name must be unique."),
                ("Status", "string", "", 0, "The status of the node"),
                ("Roles", "string", "", 0, "The roles of the node"),
                ("Age", "string", "", 0, "CreationTimestamp is a timestamp."),
                ("Version", "string", "", 0, "Kubelet Version reported by the node.")]

    def table_cells(self, node):
        st = node.get("status") or {}
        ready = next((c.get("status") for c in st.get("conditions") or [] if c.get("type") == "Ready"), None)
        status = {"True": "Ready", "False": "NotReady"}.get(ready, "Unknown")
        roles = sorted(k.split("/", 1)[1] for k in (node["metadata"].get("labels") or {})
                       if k.startswith("node-role.kubernetes.io/"))
        return [node["metadata"]["name"], status, ",".join(roles) or "<none>",
                since(node["metadata"].get("creationTimestamp")),
                (st.get("nodeInfo") or {}).get("kubeletVersion", "")]


class NamespaceResource(Resource):
    plural, singular, kind = "namespaces", "namespace", "Namespace"
    namespaced = False
    short_names = ["ns"]
    verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
    subresources = {"status": ["get", "patch", "update"], "finalize": ["update"]}
    field_labels = {"metadata.name": "metadata.name", "status.phase": "status.phase"}

    def fields(self, obj):
        return {"metadata.name": obj["metadata"]["name"],
                "status.phase": (obj.get("status") or {}).get("phase", "")}

    def prepare_create(self, obj):
        obj["spec"] = {"finalizers": ["kubernetes"]}
        obj["status"] = {"phase": "Active"}
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"].get("name", "")

    def validate_create(self, obj):
        return validate_object_meta(obj["metadata"], False, dns_label_name)

    def table_columns(self):
        return [("Name", "string", "name", 0, "Name must be unique."),
                ("Status", "string", "", 0, "The status of the namespace"),
                ("Age", "string", "", 0, "CreationTimestamp is a timestamp.")]

    def table_cells(self, ns):
        return [ns["metadata"]["name"], (ns.get("status") or {}).get("phase", ""),
                since(ns["metadata"].get("creationTimestamp"))]


# ---- Events: one storage, two APIs. The stored form is core/v1's.

EVENT_FIELD_LABELS_CORE = {k: k for k in (
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
    "reason", "reportingComponent", "source", "type", "metadata.namespace", "metadata.name")}
EVENT_FIELD_LABELS_V1 = {"reason": "reason", "reportingController": "reportingComponent",
                         "source": "source", "type": "type", "metadata.namespace": "metadata.namespace",
                         "metadata.name": "metadata.name"}
EVENT_FIELD_LABELS_V1.update({f"regarding.{k}": f"involvedObject.{k}" for k in OBJREF_SCHEMA})


def normalize_event(d):
    """A decoded core/v1 event with every field present (zero values)."""
    return {"metadata": d.get("metadata", {}), "involvedObject": d.get("involvedObject", {}),
            "reason": d.get("reason", ""), "message": d.get("message", ""),
            "source": d.get("source", {}), "firstTimestamp": d.get("firstTimestamp"),
            "lastTimestamp": d.get("lastTimestamp"), "count": d.get("count", 0),
            "type": d.get("type", ""), "eventTime": d.get("eventTime"), "series": d.get("series"),
            "action": d.get("action", ""), "related": d.get("related"),
            "reportingComponent": d.get("reportingComponent", ""),
            "reportingInstance": d.get("reportingInstance", "")}


def objref_repr(r):
    r = r or {}
    return GoRepr("core.ObjectReference{" + ", ".join(
        f"{go}:{go_quote(r.get(js, ''))}" for go, js in (
            ("Kind", "kind"), ("Namespace", "namespace"), ("Name", "name"), ("UID", "uid"),
            ("APIVersion", "apiVersion"), ("ResourceVersion", "resourceVersion"),
            ("FieldPath", "fieldPath"))) + "}")


def _time_repr(t, micro=False):
    if not t:
        return GoRepr("0001-01-01 00:00:00 +0000 UTC")
    return GoRepr(t.replace("T", " ").rstrip("Z") + " +0000 UTC")


class CoreEventResource(Resource):
    plural, singular, kind = "events", "event", "Event"
    short_names = ["ev"]
    allow_create_on_update = True
    field_labels = EVENT_FIELD_LABELS_CORE
    schema = CORE_EVENT_SCHEMA
    strict = False  # events.k8s.io/v1 applies the strict rules

    def encode(self, e):
        out = {"kind": "Event", "apiVersion": "v1", "metadata": encode_meta(e["metadata"]),
               "involvedObject": objref(e["involvedObject"])}
        for k in ("reason", "message"):
            if e[k]:
                out[k] = e[k]
        out["source"] = {k: e["source"][k] for k in ("component", "host") if e["source"].get(k)}
        out["firstTimestamp"] = e["firstTimestamp"]
        out["lastTimestamp"] = e["lastTimestamp"]
        if e["count"]:
            out["count"] = e["count"]
        if e["type"]:
            out["type"] = e["type"]
        out["eventTime"] = e["eventTime"]
        if e["series"] is not None:
            s = {}
            if e["series"].get("count"):
                s["count"] = e["series"]["count"]
            s["lastObservedTime"] = e["series"].get("lastObservedTime")
            out["series"] = s
        if e["action"]:
            out["action"] = e["action"]
        if e["related"] is not None:
            out["related"] = objref(e["related"])
        out["reportingComponent"] = e["reportingComponent"]
        out["reportingInstance"] = e["reportingInstance"]
        return out

    def decode(self, d):
        return normalize_event(d)

    def fields(self, e):
        f = {"metadata.name": e["metadata"]["name"], "metadata.namespace": e["metadata"].get("namespace", "")}
        for k in OBJREF_SCHEMA:
            f["involvedObject." + k] = e["involvedObject"].get(k, "")
        f.update({"reason": e["reason"], "reportingComponent": e["reportingComponent"],
                  "source": e["source"].get("component") or e["reportingComponent"], "type": e["type"]})
        return f

    # ValidateEventCreate / ValidateEventUpdate (pkg/apis/core/validation/events.go)
    def legacy_errors(self, e):
        errs, ns = [], e["metadata"].get("namespace", "")
        io_ns = e["involvedObject"].get("namespace", "")
        mismatch = FieldError("Invalid", "involvedObject.namespace", io_ns, "does not match event.namespace")
        if not e["eventTime"]:
            if not io_ns:
                if ns not in ("", "default"):
                    errs.append(mismatch)
            elif ns != io_ns:
                errs.append(mismatch)
        else:
            if not io_ns and ns not in ("default", "kube-system"):
                errs.append(mismatch)
            rc = e["reportingComponent"]
            if not rc:
                errs.append(FieldError("Required", "reportingController"))
            errs += [FieldError("Invalid", "reportingController", rc, m) for m in is_qualified_name(rc)]
            if not e["reportingInstance"]:
                errs.append(FieldError("Required", "reportingInstance"))
            if len(e["reportingInstance"]) > 128:
                errs.append(FieldError("Invalid", "reportingInstance", "", "can have at most 128 characters"))
            if not e["action"]:
                errs.append(FieldError("Required", "action"))
            if len(e["action"]) > 128:
                errs.append(FieldError("Invalid", "action", "", "can have at most 128 characters"))
            if not e["reason"]:
                errs.append(FieldError("Required", "reason"))
            if len(e["reason"]) > 128:
                errs.append(FieldError("Invalid", "reason", "", "can have at most 128 characters"))
            if len(e["message"]) > 1024:
                errs.append(FieldError("Invalid", "message", "", "can have at most 1024 characters"))
        errs += [FieldError("Invalid", "namespace", ns, m) for m in is_dns1123_subdomain(ns)]
        return errs

    def series_errors(self, e):
        errs, s = [], e["series"]
        if s is not None:
            if s.get("count", 0) < 2:
                errs.append(FieldError("Invalid", "series.count", "", "should be at least 2"))
            if not s.get("lastObservedTime"):
                errs.append(FieldError("Required", "series.lastObservedTime"))
        return errs

    def validate_create(self, e):
        errs = self.legacy_errors(e)
        if not self.strict:
            return errs
        errs += validate_object_meta(e["metadata"], True, dns_subdomain_name)
        errs += self.series_errors(e)
        if not e["eventTime"]:
            errs.append(FieldError("Required", "eventTime"))
        if e["type"] not in ("Normal", "Warning"):
            errs.append(FieldError("Invalid", "type", "", f"has invalid value: {e['type']}"))
        for f in ("firstTimestamp", "lastTimestamp"):
            if e[f]:
                errs.append(FieldError("Invalid", f, "", "needs to be unset"))
        if e["count"]:
            errs.append(FieldError("Invalid", "count", "", "needs to be unset"))
        if e["source"].get("component") or e["source"].get("host"):
            errs.append(FieldError("Invalid", "source", "", "needs to be unset"))
        return errs

    def validate_update(self, new, old, sub):
        errs = self.legacy_errors(new)
        if not self.strict:
            return errs
        if new["series"] != old["series"]:
            errs += self.series_errors(new)
        reprs = {"involvedObject": objref_repr, "related": lambda r: objref_repr(r) if r else None,
                 "source": lambda s: GoRepr("core.EventSource{Component:%s, Host:%s}" % (
                     go_quote(s.get("component", "")), go_quote(s.get("host", "")))),
                 "firstTimestamp": _time_repr, "lastTimestamp": _time_repr,
                 "eventTime": lambda t: _time_repr(t, True)}
        for f in ("involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp",
                  "count", "reason", "type", "eventTime", "action", "related", "reportingComponent",
                  "reportingInstance"):
            if new[f] != old[f]:
                name = {"reportingComponent": "reportingController"}.get(f, f)
                val = reprs[f](new[f]) if f in reprs else new[f]
                errs.append(FieldError("Invalid", name, val, "field is immutable"))
        return errs

    def table_columns(self):
        return [("Last Seen", "string", "", 0, "Deprecated field assuring backward compatibility with core.v1 Event type"),
                ("Type", "string", "", 0, "Type of this event (Normal, Warning), new types could be added in the future"),
                ("Reason", "string", "", 0, "Reason is why the action was taken. It is human-readable. This field can have at most 128 characters."),
                ("Object", "string", "", 0, "The object that this event is about."),
                ("Subobject", "string", "", 1, "The subcomponent of the object that this event is about."),
                ("Source", "string", "", 1, "Deprecated field assuring backward compatibility with core.v1 Event type"),
                ("Message", "string", "", 0, "Note is a human-readable description of the status of this operation. Maximal length of the note is 1kB, but libraries should be prepared to handle values up to 64kB."),
                ("First Seen", "string", "", 1, "Deprecated field assuring backward compatibility with core.v1 Event type"),
                ("Count", "string", "", 1, "Deprecated field assuring backward compatibility with core.v1 Event type"),
                ("Name", "string", "name", 1, "Name must be unique within a namespace.")]

    def table_cells(self, e):
        first = since(e["firstTimestamp"]) if e["firstTimestamp"] else since(e["eventTime"])
        last = since(e["lastTimestamp"]) if e["lastTimestamp"] else first
        count = e["count"]
        if e["series"] is not None:
            last, count = since(e["series"].get("lastObservedTime")), e["series"].get("count", 0)
        elif count == 0:
            count = 1
        src = e["source"]
        comp = src.get("component") or e["reportingComponent"]
        host = src.get("host") or e["reportingInstance"]
        source = ", ".join(x for x in (comp, host) if x)
        io = e["involvedObject"]
        return [last, e["type"], e["reason"], f"{io.get('kind', '').lower()}/{io.get('name', '')}",
                io.get("fieldPath", ""), source, e["message"].strip(), first, count, e["metadata"]["name"]]

    def bookmark(self, rv):
        b = Resource.bookmark(self, rv)
        b.update({"involvedObject": {}, "source": {}, "firstTimestamp": None, "lastTimestamp": None,
                  "eventTime": None, "reportingComponent": "", "reportingInstance": ""})
        return b


class EventsV1Resource(CoreEventResource):
    group = "events.k8s.io"
    field_labels = EVENT_FIELD_LABELS_V1
    schema = V1_EVENT_SCHEMA
    categories = []
    strict = True

    def encode(self, e):
        out = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": encode_meta(e["metadata"]),
               "eventTime": e["eventTime"]}
        if e["series"] is not None:
            out["series"] = {"count": e["series"].get("count", 0),
                             "lastObservedTime": e["series"].get("lastObservedTime")}
        for src, dst in (("reportingComponent", "reportingController"), ("reportingInstance", "reportingInstance"),
                         ("action", "action"), ("reason", "reason")):
            if e[src]:
                out[dst] = e[src]
        out["regarding"] = objref(e["involvedObject"])
        if e["related"] is not None:
            out["related"] = objref(e["related"])
        if e["message"]:
            out["note"] = e["message"]
        if e["type"]:
            out["type"] = e["type"]
        out["deprecatedSource"] = {k: e["source"][k] for k in ("component", "host") if e["source"].get(k)}
        out["deprecatedFirstTimestamp"] = e["firstTimestamp"]
        out["deprecatedLastTimestamp"] = e["lastTimestamp"]
        if e["count"]:
            out["deprecatedCount"] = e["count"]
        return out

    def decode(self, d):
        return normalize_event({
            "metadata": d.get("metadata", {}), "involvedObject": d.get("regarding", {}),
            "reason": d.get("reason", ""), "message": d.get("note", ""),
            "source": d.get("deprecatedSource", {}), "firstTimestamp": d.get("deprecatedFirstTimestamp"),
            "lastTimestamp": d.get("deprecatedLastTimestamp"), "count": d.get("deprecatedCount", 0),
            "type": d.get("type", ""), "eventTime": d.get("eventTime"), "series": d.get("series"),
            "action": d.get("action", ""), "related": d.get("related"),
            "reportingComponent": d.get("reportingController", ""),
            "reportingInstance": d.get("reportingInstance", "")})

    def bookmark(self, rv):
        return {"kind": "Event", "apiVersion": "events.k8s.io/v1",
                "metadata": {"resourceVersion": str(rv), "creationTimestamp": None}, "eventTime": None,
                "regarding": {}, "deprecatedSource": {}, "deprecatedFirstTimestamp": None,
                "deprecatedLastTimestamp": None}


RESOURCES = [PodResource(), CoreEventResource(), NodeResource(), NamespaceResource(), EventsV1Resource()]
GROUP_VERSIONS = {"v1": "", "events.k8s.io/v1": "events.k8s.io"}


# --------------------------------------------------------------------------
# REST operations (apiserver's handlers + generic registry, in one place)

def _bool_param(q, name):
    v = q.get(name, "")
    if v == "":
        return None
    if v in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if v in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise err_bad_request(f"strconv.ParseBool: parsing {go_quote(v)}: invalid syntax")


def _int_param(q, name):
    v = q.get(name, "")
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise err_bad_request(f"strconv.ParseInt: parsing {go_quote(v)}: invalid syntax") from None


def _parse_rv(v):
    try:
        n = int(v)
        if n < 0:
            raise ValueError
        return n
    except ValueError:
        raise err_bad_request(f"invalid resource version: strconv.ParseUint: parsing {go_quote(v)}: "
                              "invalid syntax") from None


def _obj_key(res, obj):
    m = obj["metadata"]
    return (m.get("namespace", "") if res.namespaced else "", m["name"])


EXPIRED_CONTINUE = ("The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter, or use the continue token "
                    "in this response to retrieve the remainder of the results. Continuing with the "
                    "provided token results in an inconsistent list - objects that were created, "
                    "modified, or deleted between the time the first chunk was returned and now may "
                    "show up in the list.")


class WatchStream:
    """One watch: initial events, then events as they are committed."""

    def __init__(self, api, res, watcher, initial, allow_bookmarks, timeout):
        self.api, self.res, self.w = api, res, watcher
        self.initial, self.allow_bookmarks, self.timeout = initial, allow_bookmarks, timeout
        self.rv = api.store.rv
        self.done = False

    def encode(self, etype, obj):
        if etype in ("ERROR", "BOOKMARK"):
            return {"type": etype, "object": obj}
        return {"type": etype, "object": self.res.encode(obj)}

    def next(self, timeout):
        """Wait up to timeout for events; returns encoded events (maybe [])."""
        with self.w.cond:
            if not self.w.pending and not self.w.dropped:
                self.w.cond.wait(timeout)
            entries, self.w.pending = self.w.pending, []
            self.rv = self.api.store.rv
        out = []
        for e in entries:
            ev = self.w.convert(e)
            if ev:
                out.append(self.encode(*ev))
        return out

    def bookmark(self, annotations=None):
        b = self.res.bookmark(self.rv)
        if annotations:
            b["metadata"]["annotations"] = annotations
        return {"type": "BOOKMARK", "object": b}

    @property
    def dropped(self):
        return self.w.dropped

    def close(self):
        with self.api.store.lock:
            self.api.store.watchers.discard(self.w)


class API:
    def __init__(self, store=None):
        self.store = store or Store()
        self.resources = {(r.group, r.version, r.plural): r for r in RESOURCES}
        self.by_storage = {}
        for r in RESOURCES:
            self.by_storage.setdefault(r.storage, r)

    def resource(self, group, version, plural):
        return self.resources.get((group, version, plural))

    # ---- decoding
    def decode(self, res, raw, field_validation, dups=()):
        where = f"{res.kind} in version {go_quote(res.version)} cannot be handled as a {res.kind}"
        if not isinstance(raw, dict):
            raise err_bad_request(f"{where}: json: cannot unmarshal {json_kind(raw)} into Go value "
                                  f"of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; "
                                  f"Kind string \"json:\\\"kind,omitempty\\\"\" }}")
        av, kind = raw.get("apiVersion"), raw.get("kind")
        if av and av != res.api_version:
            raise err_bad_request(f"the API version in the data ({av}) does not match the expected "
                                  f"API version ({res.api_version})")
        if kind and kind != res.kind:
            raise err_bad_request(f"{where}: the kind in the data ({kind}) does not match {res.kind}")
        unknown = []
        try:
            if res.schema:
                d = decode_typed(raw, res.schema, "", unknown, res.kind)
            else:
                d = copy.deepcopy(raw)
                d["metadata"] = decode_typed(raw.get("metadata", {}), META_SCHEMA, "metadata",
                                             unknown, res.kind) or {}
        except DecodeError as e:
            raise err_bad_request(f"{where}: {e}") from None
        d.setdefault("metadata", {})
        d.pop("kind", None)
        d.pop("apiVersion", None)
        problems = [f'unknown field "{u}"' for u in unknown] + [f'duplicate field "{k}"' for k in dups]
        if problems and field_validation == "Strict":
            raise err_bad_request("strict decoding error: " + ", ".join(problems))
        return res.decode(d), (problems if field_validation == "Warn" else [])

    def decode_body(self, res, body, q):
        fv = q.get("fieldValidation", "") or "Warn"
        if fv not in ("Ignore", "Warn", "Strict"):
            raise err_bad_request(f"fieldValidation parameter unsupported: {go_quote(fv)}")
        dups = []
        try:
            raw = parse_json_body(body, dups)
        except DecodeError as e:
            raise err_bad_request(f"{res.kind} in version {go_quote(res.version)} cannot be handled "
                                  f"as a {res.kind}: {e}") from None
        return self.decode(res, raw, fv, dups)

    def _dry_run(self, q, kind):
        v = q.get("dryRun", "")
        if v and v != "All":
            raise err_invalid("meta.k8s.io", kind, "", [FieldError(
                "NotSupported", "dryRun", GoRepr(f'["{v}"]'), 'supported values: "All"')])
        return v == "All"

    def _check_namespace(self, res, meta, ns):
        if not res.namespaced:
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            meta["namespace"] = ns
        elif meta["namespace"] != ns:
            raise err_bad_request("the namespace of the provided object does not match the namespace "
                                  "sent on the request")

    def _admit_namespace(self, res, ns):
        if res.namespaced and ("", ns) not in self.store.table("namespaces"):
            raise err_not_found("", "namespaces", ns)

    # ---- read
    def get(self, res, ns, name, q):
        with self.store.lock:
            obj = self.store.table(res.storage).get((ns if res.namespaced else "", name))
        if obj is None:
            raise err_not_found(res.group, res.plural, name)
        return obj

    def _selectors(self, res, q):
        fsel = []
        for key, op, val in parse_field_selector(q.get("fieldSelector", "")):
            if key not in res.field_labels:
                raise err_bad_request(f"field label not supported: {key}")
            fsel.append((res.field_labels[key], op, val))
        return fsel, parse_label_selector(q.get("labelSelector", ""))

    def list(self, res, ns, q):
        """Returns (objects, list metadata)."""
        fsel, lsel = self._selectors(res, q)
        rv, rvm, cont = q.get("resourceVersion", ""), q.get("resourceVersionMatch", ""), q.get("continue", "")
        limit = _int_param(q, "limit") or 0
        errs = []
        if rvm:
            if not rv:
                errs.append(FieldError("Forbidden", "resourceVersionMatch",
                                       detail="resourceVersionMatch is forbidden unless resourceVersion is provided"))
            if cont:
                errs.append(FieldError("Forbidden", "resourceVersionMatch",
                                       detail="resourceVersionMatch is forbidden when continue is provided"))
            if rvm not in ("Exact", "NotOlderThan"):
                errs.append(FieldError("NotSupported", "resourceVersionMatch", rvm,
                                       'supported values: "Exact", "NotOlderThan", ""'))
            if rvm == "Exact" and rv == "0":
                errs.append(FieldError("Forbidden", "resourceVersionMatch",
                                       detail='resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
        if q.get("sendInitialEvents"):
            errs.append(FieldError("Forbidden", "sendInitialEvents", detail="sendInitialEvents is forbidden for list"))
        if errs:
            raise err_invalid("meta.k8s.io", "ListOptions", "", errs)
        start = None
        if cont:
            if rv:
                raise err_bad_request("specifying resource version is not allowed when using continue")
            try:
                tok = json.loads(base64.urlsafe_b64decode(cont + "=" * (-len(cont) % 4)))
                at, start = int(tok["rv"]), tuple(tok["start"])
            except (ValueError, KeyError, TypeError):
                raise err_bad_request(f"continue key is not valid: {cont}") from None
        elif rv not in ("", "0"):
            at = _parse_rv(rv)
            if at > self.store.rv and not self.store.wait_for_rv(at):
                raise err_too_large_rv(at, self.store.rv)
        with self.store.lock:
            if cont or rvm == "Exact":
                if at < self.store.compacted_rv:
                    raise err_expired(EXPIRED_CONTINUE if cont else
                                      "The resourceVersion for the provided list is too old.")
                state, list_rv = self.store.state_at(res.storage, at), at
            else:
                state, list_rv = dict(self.store.table(res.storage)), self.store.rv
        items = []
        for key in sorted(state):
            obj = state[key]
            if res.namespaced and ns and key[0] != ns:
                continue
            if start is not None and list(key) <= list(start):
                continue
            if match_fields(fsel, res.fields(obj)) and match_labels(lsel, obj["metadata"].get("labels")):
                items.append(obj)
        meta = {"resourceVersion": str(list_rv)}
        if limit > 0 and len(items) > limit:
            rest = len(items) - limit
            items = items[:limit]
            last = _obj_key(res, items[-1])
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"v": "meta.k8s.io/v1", "rv": list_rv, "start": list(last)}).encode()).decode().rstrip("=")
            if not fsel and not lsel:
                meta["remainingItemCount"] = rest
        return items, meta

    def list_object(self, res, items, meta):
        out = []
        for o in items:
            e = res.encode(o)
            e.pop("kind", None)
            e.pop("apiVersion", None)
            out.append(e)
        return {"kind": res.kind + "List", "apiVersion": res.api_version, "metadata": meta, "items": out}

    # ---- write
    def create(self, res, ns, body, q, obj=None, warnings=None):
        """Returns (stored object, warnings)."""
        dry = self._dry_run(q, "CreateOptions")
        if obj is None:
            obj, warnings = self.decode_body(res, body, q)
        meta = obj["metadata"]
        self._check_namespace(res, meta, ns)
        if meta.get("generateName") and not meta.get("name"):
            meta["name"] = generate_name(meta["generateName"])
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_time()
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(k, None)
        res.prepare_create(obj)
        errs = res.validate_create(obj)
        if errs:
            raise err_invalid(res.group, res.kind, meta.get("name", ""), errs)
        errs = validate_object_meta(meta, res.namespaced, path_segment_errors)
        if errs:
            raise err_invalid(res.group, res.kind, meta.get("name", ""), errs)
        with self.store.lock:
            self._admit_namespace(res, meta.get("namespace", ""))
            if meta.get("resourceVersion"):
                raise err_bad_request("resourceVersion should not be set on objects to be created")
            key = _obj_key(res, obj)
            if key in self.store.table(res.storage):
                raise err_already_exists(res.group, res.plural, meta["name"])
            if dry:
                return obj, warnings
            return self.store.commit(res.storage, key, obj, "ADDED"), warnings

    def update(self, res, ns, name, body, q, sub=None):
        """PUT. Returns (object, created?, warnings)."""
        dry = self._dry_run(q, "UpdateOptions")
        obj, warnings = self.decode_body(res, body, q)
        meta = obj["metadata"]
        self._check_namespace(res, meta, ns)
        if meta.get("name", "") != name:
            raise err_bad_request(f"the name of the object ({meta.get('name', '')}) does not match the "
                                  f"name on the URL ({name})")
        with self.store.lock:
            old = self.store.table(res.storage).get(_obj_key(res, obj))
            if old is None:
                if not res.allow_create_on_update or sub:
                    raise err_not_found(res.group, res.plural, name)
                meta.pop("resourceVersion", None)
                return self.create(res, ns, None, q, obj, warnings)[0], True, warnings
            if meta.get("uid") and meta["uid"] != old["metadata"]["uid"]:
                raise err_conflict(res.group, res.plural, name, f"Precondition failed: UID in precondition: "
                                   f"{meta['uid']}, UID in object meta: {old['metadata']['uid']}")
            return self._update(res, name, obj, old, sub, dry), False, warnings

    def patch(self, res, ns, name, ctype, body, q, sub=None):
        dry = self._dry_run(q, "PatchOptions")
        fv = q.get("fieldValidation", "") or "Warn"
        fn = PATCH_TYPES.get(ctype)
        if fn is None:
            raise APIError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                           "accepted media types include: application/json-patch+json, "
                           "application/merge-patch+json, application/strategic-merge-patch+json")
        try:
            patch = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise err_bad_request(f"error decoding patch: {e}") from None
        if fn is not json_patch and not isinstance(patch, dict):
            raise err_bad_request("error decoding patch: json: cannot unmarshal into Go value of type map[string]interface {}")
        with self.store.lock:
            old = self.store.table(res.storage).get((ns if res.namespaced else "", name))
            if old is None:
                raise err_not_found(res.group, res.plural, name)
            try:
                patched = fn(res.encode(old), patch)
            except PatchError as e:
                if e.code == 400:
                    raise err_bad_request(str(e)) from None
                raise APIError(422, "Invalid", str(e)) from None
            obj, warnings = self.decode(res, patched, fv)
            meta = obj["metadata"]
            self._check_namespace(res, meta, ns)
            if meta.get("name", "") != name:
                raise err_bad_request(f"the name of the object ({meta.get('name', '')}) does not match "
                                      f"the name on the URL ({name})")
            return self._update(res, name, obj, old, sub, dry), warnings

    def _update(self, res, name, obj, old, sub, dry):
        meta, ometa = obj["metadata"], old["metadata"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != ometa["resourceVersion"]:
            raise err_conflict(res.group, res.plural, name, MODIFIED_MSG)
        meta["resourceVersion"] = ometa["resourceVersion"]
        if not meta.get("uid"):
            meta["uid"] = ometa["uid"]
        meta["creationTimestamp"] = ometa["creationTimestamp"]
        if "generation" in ometa:
            meta["generation"] = ometa["generation"]
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            if k in ometa:
                meta[k] = ometa[k]
        res.prepare_update(obj, old, sub)
        errs = validate_object_meta(obj["metadata"], res.namespaced, path_segment_errors)
        errs += validate_object_meta_update(obj["metadata"], ometa)
        errs += res.validate_update(obj, old, sub)
        if errs:
            raise err_invalid(res.group, res.kind, name, errs)
        if obj == old or dry:   # a no-op update does not bump the resourceVersion
            return obj if dry else old
        if res.plural == "pods" and obj.get("spec") != old.get("spec"):
            obj["metadata"]["generation"] = ometa.get("generation", 1) + 1
        return self.store.commit(res.storage, _obj_key(res, obj), obj, "MODIFIED")

    def delete(self, res, ns, name, body, q):
        """Returns the response object."""
        dry = self._dry_run(q, "DeleteOptions")
        opts = {}
        if body and body.strip():
            try:
                opts = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise err_bad_request(f"error decoding DeleteOptions: {e}") from None
        pre = (opts or {}).get("preconditions") or {}
        key = (ns if res.namespaced else "", name)
        with self.store.lock:
            old = self.store.table(res.storage).get(key)
            if old is None:
                raise err_not_found(res.group, res.plural, name)
            for f, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                if pre.get(f) and pre[f] != old["metadata"].get(f):
                    raise err_conflict(res.group, res.plural, name, f"Precondition failed: {label} in "
                                       f"precondition: {pre[f]}, {label} in object meta: {old['metadata'].get(f)}")
            gone = old if dry else self.store.commit(res.storage, key, None, "DELETED")
        if res.plural in ("pods", "namespaces"):
            return res.encode(gone)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": status_details(name, res.group, res.plural, uid=old["metadata"]["uid"])}

    def delete_collection(self, res, ns, body, q):
        items, _ = self.list(res, ns, {k: v for k, v in q.items() if k in ("labelSelector", "fieldSelector")})
        for o in items:
            try:
                self.delete(res, o["metadata"].get("namespace", ""), o["metadata"]["name"], b"", q)
            except APIError:
                pass
        return self.list_object(res, items, {})

    # ---- watch
    def watch(self, res, ns, q, name=None):
        fsel, lsel = self._selectors(res, q)
        if name:
            named = [v for k, op, v in fsel if k == "metadata.name" and op == "="]
            if fsel and named != [name]:
                raise err_bad_request("fieldSelector metadata.name doesn't match requested name")
            fsel = [("metadata.name", "=", name)]
        rv, rvm = q.get("resourceVersion", ""), q.get("resourceVersionMatch", "")
        send_initial = _bool_param(q, "sendInitialEvents")
        bookmarks = bool(_bool_param(q, "allowWatchBookmarks"))
        timeout = _int_param(q, "timeoutSeconds")
        errs = []
        if send_initial is not None and rvm != "NotOlderThan":
            errs.append(FieldError("Forbidden", "resourceVersionMatch",
                                   detail="sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
        if rvm:
            if send_initial is None:
                errs.append(FieldError("Forbidden", "resourceVersionMatch",
                                       detail="resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
            if rvm != "NotOlderThan":
                errs.append(FieldError("NotSupported", "resourceVersionMatch", rvm, 'supported values: "NotOlderThan"'))
        if errs:
            raise err_invalid("meta.k8s.io", "ListOptions", "", errs)
        at = None if rv in ("", "0") else _parse_rv(rv)
        error = None
        if at is not None and at > self.store.rv and not self.store.wait_for_rv(at):
            error = err_too_large_rv(at, self.store.rv)
        w = Watcher(self.store, res.storage, ns if res.namespaced else "", fsel, lsel, res)
        initial = []
        with self.store.lock:
            if error:
                pass
            elif at is None or send_initial:
                for key in sorted(self.store.table(res.storage)):
                    obj = self.store.table(res.storage)[key]
                    if w.matches(obj):
                        initial.append(("ADDED", obj))
            elif at < self.store.compacted_rv:
                error = err_expired(f"too old resource version: {at} ({self.store.compacted_rv})")
            else:
                for entry in self.store.history:
                    if entry[0] > at and entry[1] == res.storage:
                        ev = w.convert(entry)
                        if ev:
                            initial.append(ev)
            if not error:
                self.store.watchers.add(w)
            stream = WatchStream(self, res, w, [], bookmarks, timeout)
        stream.initial = [stream.encode(t, o) for t, o in initial]
        if error:
            stream.initial.append({"type": "ERROR", "object": error.status()})
            stream.done = True
        elif send_initial and bookmarks:
            stream.initial.append(stream.bookmark({"k8s.io/initial-events-end": "true"}))
        return stream

    def drop_watches(self):
        with self.store.lock:
            for w in list(self.store.watchers):
                w.dropped = True
                w.cond.notify_all()

    # ---- tables
    def table(self, res, items, meta, include, version="v1"):
        cols = [{"name": n, "type": t, "format": f, "description": d, "priority": p}
                for n, t, f, p, d in res.table_columns()]
        rows = []
        for o in items:
            row = {"cells": res.table_cells(o)}
            if include == "Object":
                row["object"] = res.encode(o)
            elif include != "None":
                row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}",
                                 "metadata": encode_meta(o["metadata"])}
            rows.append(row)
        return {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": meta,
                "columnDefinitions": cols, "rows": rows}
