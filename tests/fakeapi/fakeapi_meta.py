"""apimachinery for the fake Kubernetes API server: Status errors, field
validation messages, name rules, metav1 time parsing, typed (strict) JSON
decoding, field and label selectors, and the three patch formats.

The behaviour follows kube-apiserver (1.32) as read from its sources:
apimachinery's errors/validation/fields packages, apiserver's generic registry
(rest.BeforeCreate/BeforeUpdate, the watch cache), and kubernetes'
pkg/apis/core/validation/events.go and pkg/apis/events/v1/conversion.go.
"""

import copy
import datetime
import json
import random
import re
import time

OMIT = object()  # "no bad value" marker for field errors

# --------------------------------------------------------------------------
# Status errors (k8s.io/apimachinery/pkg/api/errors)


def go_quote(s):
    """strconv.Quote, close enough for messages."""
    return json.dumps(s, ensure_ascii=False)


def qualified(group, resource):
    return f"{resource}.{group}" if group else resource


class APIError(Exception):
    def __init__(self, code, reason, message, details=None, headers=None):
        Exception.__init__(self, message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.headers = details, headers or {}

    def status(self):
        """metav1.Status as the server encodes it: message, reason, details
        and code are omitempty."""
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
        if self.message:
            st["message"] = self.message
        if self.reason:
            st["reason"] = self.reason
        if self.details:
            st["details"] = self.details
        if self.code:
            st["code"] = self.code
        return st


def status_details(name="", group="", kind="", uid="", causes=None, retry=0):
    d = {}
    for k, v in (("name", name), ("group", group), ("kind", kind), ("uid", uid),
                 ("causes", causes), ("retryAfterSeconds", retry)):
        if v:
            d[k] = v
    return d or None


def err_not_found(group, resource, name):
    return APIError(404, "NotFound", f"{qualified(group, resource)} {go_quote(name)} not found",
                    status_details(name, group, resource))


def err_already_exists(group, resource, name):
    return APIError(409, "AlreadyExists",
                    f"{qualified(group, resource)} {go_quote(name)} already exists",
                    status_details(name, group, resource))


def err_conflict(group, resource, name, why):
    return APIError(409, "Conflict", f"Operation cannot be fulfilled on "
                    f"{qualified(group, resource)} {go_quote(name)}: {why}",
                    status_details(name, group, resource))


MODIFIED_MSG = "the object has been modified; please apply your changes to the latest version and try again"


def err_bad_request(msg):
    return APIError(400, "BadRequest", msg)


def err_expired(msg):
    return APIError(410, "Expired", msg)


def err_internal(msg):
    return APIError(500, "InternalError", f"Internal error occurred: {msg}",
                    status_details(causes=[{"message": msg}]))


def err_too_large_rv(rv, current):
    return APIError(504, "Timeout", f"Too large resource version: {rv}, current: {current}",
                    status_details(causes=[{"reason": "ResourceVersionTooLarge",
                                      "message": "Too large resource version"}], retry=1))


def err_method_not_allowed(group, resource, verb):
    return APIError(405, "MethodNotAllowed",
                    f"{verb} is not supported on resources of kind {go_quote(qualified(group, resource))}",
                    status_details(group=group, kind=resource))


class FieldError:
    """field.Error: .Type is the cause reason, body() is ErrorBody()."""
    LABELS = {"Required": "Required value", "Invalid": "Invalid value", "Forbidden": "Forbidden",
              "Duplicate": "Duplicate value", "NotSupported": "Unsupported value",
              "TooLong": "Too long"}

    def __init__(self, kind, field, value=OMIT, detail=""):
        self.kind, self.field, self.value, self.detail = kind, field, value, detail

    def body(self):
        s = self.LABELS[self.kind]
        if self.kind not in ("Required", "Forbidden", "TooLong") and self.value is not OMIT:
            s += ": " + go_value(self.value)
        if self.detail:
            s += ": " + self.detail
        return s

    def __str__(self):
        return f"{self.field}: {self.body()}"


def go_value(v):
    if isinstance(v, GoRepr):
        return v.text
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return go_quote(v)
    return repr(v)


class GoRepr:
    """A bad value printed verbatim (Go's %#v of a struct, a time's String())."""

    def __init__(self, text):
        self.text = text


def err_invalid(group, kind, name, errs):
    causes = [{"reason": "FieldValue" + e.kind, "message": e.body(), "field": e.field} for e in errs]
    msgs = []
    for e in errs:  # ToAggregate de-duplicates by message
        if str(e) not in msgs:
            msgs.append(str(e))
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    gk = f"{kind}.{group}" if group else kind
    return APIError(422, "Invalid", f"{gk} {go_quote(name)} is invalid: {agg}",
                    status_details(name, group, kind, causes=causes))


# --------------------------------------------------------------------------
# Name validation (k8s.io/apimachinery/pkg/util/validation)

LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
SUBDOMAIN_FMT = LABEL_FMT + "(\\." + LABEL_FMT + ")*"
QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QNAME_FMT + ")?"


def regex_error(msg, fmt, *examples):
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    ex = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {ex}regex used for validation is '{fmt}')"


def max_len_error(n):
    return f"must be no more than {n} characters"


def is_dns1123_label(v):
    errs = [max_len_error(63)] if len(v) > 63 else []
    if not re.fullmatch(LABEL_FMT, v):
        errs.append(regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                                "characters or '-', and must start and end with an alphanumeric "
                                "character", LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(v):
    errs = [max_len_error(253)] if len(v) > 253 else []
    if not re.fullmatch(SUBDOMAIN_FMT, v):
        errs.append(regex_error("a lowercase RFC 1123 subdomain must consist of lower case "
                                "alphanumeric characters, '-' or '.', and must start and end with "
                                "an alphanumeric character", SUBDOMAIN_FMT, "example.com"))
    return errs


QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
             "with an alphanumeric character")


def is_qualified_name(v):
    errs, parts = [], v.split("/")
    if len(parts) > 2:
        return ["a qualified name " + regex_error(QNAME_MSG, QNAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in is_dns1123_subdomain(parts[0])]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not re.fullmatch(QNAME_FMT, name):
        errs.append("name part " + regex_error(QNAME_MSG, QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def is_label_value(v):
    errs = [max_len_error(63)] if len(v) > 63 else []
    if not re.fullmatch(LABEL_VALUE_FMT, v):
        errs.append(regex_error("a valid label must be an empty string or consist of alphanumeric "
                                "characters, '-', '_' or '.', and must start and end with an "
                                "alphanumeric character", LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def path_segment_errors(name, prefix=False):
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


def dns_subdomain_name(name, prefix=False):
    if prefix:  # a generateName prefix may end with '-'
        name = name + "a" if name.endswith("-") else name
    return is_dns1123_subdomain(name)


def dns_label_name(name, prefix=False):
    if prefix:
        name = name + "a" if name.endswith("-") else name
    return is_dns1123_label(name)


def validate_object_meta(meta, namespaced, name_fn):
    """apimachinery ValidateObjectMetaAccessor (the parts that matter here)."""
    errs = []
    if meta.get("generateName"):
        errs += [FieldError("Invalid", "metadata.generateName", meta["generateName"], m)
                 for m in name_fn(meta["generateName"], True)]
    if not meta.get("name"):
        errs.append(FieldError("Required", "metadata.name", detail="name or generateName is required"))
    else:
        errs += [FieldError("Invalid", "metadata.name", meta["name"], m) for m in name_fn(meta["name"])]
    ns = meta.get("namespace", "")
    if namespaced:
        if not ns:
            errs.append(FieldError("Required", "metadata.namespace"))
        else:
            errs += [FieldError("Invalid", "metadata.namespace", ns, m) for m in is_dns1123_label(ns)]
    elif ns:
        errs.append(FieldError("Forbidden", "metadata.namespace", detail="not allowed on this type"))
    if meta.get("generation", 0) < 0:
        errs.append(FieldError("Invalid", "metadata.generation", meta["generation"],
                               "must be greater than or equal to 0"))
    for k, v in (meta.get("labels") or {}).items():
        errs += [FieldError("Invalid", "metadata.labels", k, m) for m in is_qualified_name(k)]
        errs += [FieldError("Invalid", "metadata.labels", v, m) for m in is_label_value(v)]
    total = 0
    for k, v in (meta.get("annotations") or {}).items():
        errs += [FieldError("Invalid", "metadata.annotations", k, m) for m in is_qualified_name(k.lower())]
        total += len(k) + len(v)
    if total > 256 * 1024:
        errs.append(FieldError("TooLong", "metadata.annotations", detail="may not be more than 262144 bytes"))
    return errs


def validate_object_meta_update(new, old):
    errs = []
    for f in ("name", "namespace", "uid", "creationTimestamp"):
        if new.get(f) != old.get(f):
            errs.append(FieldError("Invalid", "metadata." + f, new.get(f) or "", "field is immutable"))
    if new.get("generation", 0) < old.get("generation", 0):
        errs.append(FieldError("Invalid", "metadata.generation", new.get("generation", 0),
                               "must not be decremented"))
    return errs


def generate_name(prefix):
    chars = "bcdfghjklmnpqrstvwxz2456789"
    return prefix[:58] + "".join(random.choice(chars) for _ in range(5))


# --------------------------------------------------------------------------
# Time (metav1.Time, metav1.MicroTime)

RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00"
_TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(.*)\Z", re.S)
_TZ_RE = re.compile(r"(Z|[+-]\d{2}:\d{2})\Z")


def parse_time(s, micro):
    """Parse like Go's time.Parse(RFC3339 or RFC3339Micro); return the
    canonical serialisation (UTC, seconds or exactly six fraction digits),
    None for the zero time. Raises ValueError with Go's wording."""
    layout = RFC3339_MICRO if micro else RFC3339
    m = _TIME_RE.match(s)
    if not m:
        raise ValueError(f"parsing time {go_quote(s)} as {go_quote(layout)}: cannot parse "
                         f"{go_quote(s)} as {go_quote(layout)}")
    rest, frac = m.group(7), 0
    if micro:  # the layout's .000000 needs exactly six digits
        fm = re.match(r"[.,](\d{6})", rest)
        if not fm:
            raise ValueError(f"parsing time {go_quote(s)} as {go_quote(layout)}: cannot parse "
                             f"{go_quote(rest)} as \".000000\"")
        frac, rest = int(fm.group(1)), rest[7:]
    else:
        fm = re.match(r"[.,](\d+)", rest)
        if fm:
            rest = rest[fm.end():]
    if not _TZ_RE.match(rest):
        raise ValueError(f"parsing time {go_quote(s)} as {go_quote(layout)}: cannot parse "
                         f"{go_quote(rest)} as \"Z07:00\"")
    y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
    try:
        t = datetime.datetime(y, mo, d, h, mi, sec, frac)
    except ValueError as e:
        raise ValueError(f"parsing time {go_quote(s)}: {e}") from None
    if rest != "Z":
        off = datetime.timedelta(hours=int(rest[1:3]), minutes=int(rest[4:6]))
        t = t - off if rest[0] == "+" else t + off
    if t == datetime.datetime(1, 1, 1):
        return None
    return fmt_time(t, micro)


def fmt_time(t, micro=False):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def now_time(micro=False):
    return fmt_time(datetime.datetime.utcnow(), micro)


def time_epoch(s):
    if not s:
        return None
    t = datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m" if s % 60 == 0 else f"{m}m{s % 60}s"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        return f"{h}h" if m % 60 == 0 else f"{h}h{m % 60}m"
    if h < 48:
        return f"{h}h"
    if h < 192:
        return f"{h // 24}d" if h % 24 == 0 else f"{h // 24}d{h % 24}h"
    if h < 24 * 365 * 2:
        return f"{h // 24}d"
    return f"{h // 24 // 365}y"


def since(ts):
    e = time_epoch(ts)
    return "<unknown>" if e is None else human_duration(time.time() - e)


# --------------------------------------------------------------------------
# Typed decoding: JSON shape checks like Go's case-sensitive strict decoder.
# A schema is "string" | "int32" | "int64" | "bool" | "time" | "microtime" |
# "strmap" | "any" | {field: schema} | ["list", schema].

class DecodeError(Exception):
    pass


_GO_TYPES = {"string": "string", "int32": "int32", "int64": "int64", "bool": "bool",
             "time": "v1.Time", "microtime": "v1.MicroTime", "strmap": "map[string]string"}


def json_kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def decode_typed(v, schema, path, unknown, struct="Event"):
    """Return v checked against schema (times canonicalised); unknown field
    paths are appended to `unknown` and dropped. None means absent."""
    def bad(goty):
        raise DecodeError(f"json: cannot unmarshal {json_kind(v)} into Go struct field "
                          f"{struct}.{path} of type {goty}")
    if v is None:
        return None
    if schema == "any":
        return v
    if isinstance(schema, dict):
        if not isinstance(v, dict):
            bad("struct")
        out = {}
        for k, sub in v.items():
            if k not in schema:
                unknown.append(f"{path}.{k}" if path else k)
                continue
            dv = decode_typed(sub, schema[k], f"{path}.{k}" if path else k, unknown, struct)
            if dv is not None:
                out[k] = dv
        return out
    if isinstance(schema, list):
        if not isinstance(v, list):
            bad("[]" + str(schema[1]))
        return [decode_typed(x, schema[1], path, unknown, struct) for x in v]
    if schema == "string":
        if not isinstance(v, str):
            bad("string")
        return v
    if schema in ("int32", "int64"):
        if isinstance(v, float):  # Go will not put 1.0 into an int
            raise DecodeError(f"json: cannot unmarshal number {v!r} into Go struct field "
                              f"{struct}.{path} of type {schema}")
        if isinstance(v, bool) or not isinstance(v, int):
            bad(schema)
        lim = 2 ** 31 if schema == "int32" else 2 ** 63
        if not -lim <= v < lim:
            raise DecodeError(f"json: cannot unmarshal number {v} into Go struct field "
                              f"{struct}.{path} of type {schema}")
        return int(v)
    if schema == "bool":
        if not isinstance(v, bool):
            bad("bool")
        return v
    if schema in ("time", "microtime"):
        if not isinstance(v, str):
            bad(_GO_TYPES[schema])
        try:
            return parse_time(v, schema == "microtime")
        except ValueError as e:
            raise DecodeError(str(e)) from None
    if schema == "strmap":
        if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
            bad("map[string]string")
        return v
    raise AssertionError(schema)


META_SCHEMA = {"name": "string", "generateName": "string", "namespace": "string", "selfLink": "string",
               "uid": "string", "resourceVersion": "string", "generation": "int64",
               "creationTimestamp": "time", "deletionTimestamp": "time",
               "deletionGracePeriodSeconds": "int64", "labels": "strmap", "annotations": "strmap",
               "ownerReferences": ["list", "any"], "finalizers": ["list", "string"],
               "managedFields": ["list", "any"]}
OBJREF_SCHEMA = {k: "string" for k in ("kind", "namespace", "name", "uid", "apiVersion",
                                       "resourceVersion", "fieldPath")}
SOURCE_SCHEMA = {"component": "string", "host": "string"}
SERIES_SCHEMA = {"count": "int32", "lastObservedTime": "microtime"}
CORE_EVENT_SCHEMA = {"kind": "string", "apiVersion": "string", "metadata": META_SCHEMA,
                     "involvedObject": OBJREF_SCHEMA, "reason": "string", "message": "string",
                     "source": SOURCE_SCHEMA, "firstTimestamp": "time", "lastTimestamp": "time",
                     "count": "int32", "type": "string", "eventTime": "microtime",
                     "series": SERIES_SCHEMA, "action": "string", "related": OBJREF_SCHEMA,
                     "reportingComponent": "string", "reportingInstance": "string"}
V1_EVENT_SCHEMA = {"kind": "string", "apiVersion": "string", "metadata": META_SCHEMA,
                   "eventTime": "microtime", "series": SERIES_SCHEMA,
                   "reportingController": "string", "reportingInstance": "string",
                   "action": "string", "reason": "string", "regarding": OBJREF_SCHEMA,
                   "related": OBJREF_SCHEMA, "note": "string", "type": "string",
                   "deprecatedSource": SOURCE_SCHEMA, "deprecatedFirstTimestamp": "time",
                   "deprecatedLastTimestamp": "time", "deprecatedCount": "int32"}


def dup_keys_hook(found):
    def hook(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                found.append(k)
            d[k] = v
        return d
    return hook


def parse_json_body(body, dups):
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=dup_keys_hook(dups))
    except (UnicodeDecodeError, ValueError) as e:
        raise DecodeError(f"json: {e}") from None


def encode_meta(m):
    """ObjectMeta in Go field order; everything omitempty but creationTimestamp."""
    out = {}
    for k in META_SCHEMA:
        v = m.get(k)
        if k == "creationTimestamp":
            out[k] = v
        elif v not in (None, "", 0, [], {}):
            out[k] = v
    return out


def objref(d):
    d = d or {}
    return {k: d[k] for k in OBJREF_SCHEMA if d.get(k)}


# --------------------------------------------------------------------------
# Selectors (k8s.io/apimachinery/pkg/fields, pkg/labels)

def _split_unescaped(s, sep):
    parts, cur, i = [], "", 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]
            i += 2
            continue
        if c == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    parts.append(cur)
    return parts


def parse_field_selector(s):
    """Return [(key, op, value)] with op in '=', '!='."""
    terms = []
    for part in _split_unescaped(s, ","):
        if not part:
            continue
        m = None
        for i in range(len(part)):
            for op in ("!=", "==", "="):
                if part.startswith(op, i):
                    m = (part[:i], op, part[i + len(op):])
                    break
            if m:
                break
        if not m:
            raise err_bad_request(f"invalid selector: '{s}'; can't understand '{part}'")
        key, op, raw = m
        val, i = "", 0
        while i < len(raw):
            c = raw[i]
            if c == "\\":
                if i + 1 >= len(raw) or raw[i + 1] not in "\\,=":
                    raise err_bad_request(f"invalid field selector: invalid escape sequence: {raw}")
                val += raw[i + 1]
                i += 2
                continue
            if c in ",=":
                raise err_bad_request(f"invalid field selector: unescaped {c} in value: {raw}")
            val += c
            i += 1
        terms.append((key, "!=" if op == "!=" else "=", val))
    return terms


def match_fields(terms, fields):
    for key, op, val in terms:
        have = fields.get(key, "")
        if (have == val) != (op == "="):
            return False
    return True


_LABEL_TERM = re.compile(r"\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|\s+(in|notin)\s*"
                         r"\(([^)]*)\))?\s*\Z")


def parse_label_selector(s):
    terms, depth, cur = [], 0, ""
    for c in s:
        depth += c == "("
        depth -= c == ")"
        if c == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += c
    terms.append(cur)
    out = []
    for t in terms:
        if not t.strip():
            continue
        m = _LABEL_TERM.match(t)
        if not m or (m.group(1) and (m.group(3) or m.group(5))):
            raise err_bad_request(f"unable to parse requirement: {go_quote(t)}")
        neg, key, op, val, setop, vals = m.groups()
        if op:
            out.append((key, "=" if op in ("=", "==") else "!=", {val}))
        elif setop:
            out.append((key, setop, {v.strip() for v in vals.split(",")}))
        else:
            out.append((key, "!exists" if neg else "exists", None))
    return out


def match_labels(terms, labels):
    labels = labels or {}
    for key, op, vals in terms:
        has, v = key in labels, labels.get(key)
        if op in ("=", "in"):
            ok = has and v in vals
        elif op in ("!=", "notin"):
            ok = not has or v not in vals
        else:
            ok = has if op == "exists" else not has
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------
# Patches: RFC 7386 merge patch, strategic merge patch (the list merge keys
# of the fields used here), RFC 6902 JSON patch.

class PatchError(Exception):
    def __init__(self, msg, code=422):
        Exception.__init__(self, msg)
        self.code = code


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


SMP_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
                  "conditions": "type", "ownerReferences": "uid", "env": "name",
                  "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name",
                  "podIPs": "ip", "hostIPs": "ip", "addresses": "type", "ports": "containerPort"}
SMP_MERGE_PRIMITIVES = {"finalizers"}


def strategic_merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive is not None:
        raise PatchError(f"Unknown patch type: {directive} in map: {patch}", 400)
    out = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k == "$retainKeys" or k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            name = k.split("/", 1)[1]
            out[name] = [x for x in out.get(name) or [] if x not in v]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and k in SMP_MERGE_KEYS and isinstance(out.get(k), list):
            out[k] = _smp_list(out[k], v, SMP_MERGE_KEYS[k])
        elif isinstance(v, list) and k in SMP_MERGE_PRIMITIVES and isinstance(out.get(k), list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
        elif isinstance(v, dict):
            r = strategic_merge_patch(out.get(k), v)
            if r is None:
                out.pop(k, None)
            else:
                out[k] = r
        else:
            out[k] = copy.deepcopy(v)
    if retain is not None:
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _smp_list(cur, patch, key):
    out = [copy.deepcopy(x) for x in cur]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}", 400)
        idx = next((i for i, x in enumerate(out) if isinstance(x, dict) and x.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append({k: v for k, v in item.items() if k != "$patch"})
        else:
            out[idx] = strategic_merge_patch(out[idx], item)
    return out


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer: {path}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _container(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise PatchError(f"doc is missing path: \"{path}\": missing value")
    return cur


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400)
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise PatchError("Unexpected kind: unknown")
        kind, path = op.get("op"), op.get("path", "")
        if kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            value = copy.deepcopy(_get(doc, src, op.get("from", "")))
            if kind == "move":
                doc = _remove(doc, src, op.get("from"))
            doc = _add(doc, _pointer(path), value, path)
        elif kind == "add":
            doc = _add(doc, _pointer(path), copy.deepcopy(op.get("value")), path)
        elif kind == "remove":
            doc = _remove(doc, _pointer(path), path)
        elif kind == "replace":
            parts = _pointer(path)
            _get(doc, parts, path)
            doc = _remove(doc, parts, path)
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), path)
        elif kind == "test":
            if _get(doc, _pointer(path), path) != op.get("value"):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return doc


def _get(doc, parts, path):
    if not parts:
        return doc
    c = _container(doc, parts, path)
    p = parts[-1]
    if isinstance(c, dict) and p in c:
        return c[p]
    if isinstance(c, list) and p.isdigit() and int(p) < len(c):
        return c[int(p)]
    raise PatchError(f"unable to get nonexistent key: {p}: missing value")


def _add(doc, parts, value, path):
    if not parts:
        return value
    c = _container(doc, parts, path)
    p = parts[-1]
    if isinstance(c, dict):
        c[p] = value
    elif isinstance(c, list):
        if p == "-":
            c.append(value)
        elif p.isdigit() and int(p) <= len(c):
            c.insert(int(p), value)
        else:
            raise PatchError(f"add operation does not apply: doc is missing path: \"{path}\": missing value")
    else:
        raise PatchError(f"add operation does not apply: doc is missing path: \"{path}\": missing value")
    return doc


def _remove(doc, parts, path):
    c = _container(doc, parts, path)
    p = parts[-1] if parts else ""
    if isinstance(c, dict) and p in c:
        del c[p]
    elif isinstance(c, list) and p.isdigit() and int(p) < len(c):
        c.pop(int(p))
    else:
        raise PatchError(f"remove operation does not apply: doc is missing path: \"{path}\": missing value")
    return doc


PATCH_TYPES = {"application/json-patch+json": json_patch,
               "application/merge-patch+json": merge_patch,
               "application/strategic-merge-patch+json": strategic_merge_patch}
