// SPDX-License-Identifier: GPL-2.0
/*
 * Pod, PodList and Status decoding. Only the fields the agent uses are read;
 * every string lands in a fixed buffer sized by the Kubernetes validation
 * limit, so an object the API server would never produce is refused rather
 * than truncated into a wrong name.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "errmsg.h"
#include "k8s/pod_json.h"

/* Deep enough for a Pod with managedFields; a bound all the same. */
#define BODY_MAX_DEPTH 64

/* Error context: where in the object we are, for messages. */
struct ctx {
	char *err;
	size_t errlen;
};

/*
 * Looks up @key of @obj expecting @type. Returns 1 and sets *@out when
 * present, 0 when missing or null, -EBADMSG when of another type.
 */
static int member(struct ctx *c, struct json_object *obj, const char *key, enum json_type type,
		  const char *path, struct json_object **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, type)) {
		pt_seterr(c->err, c->errlen, "%s%s%s: expected %s, got %s", path, *path ? "." : "",
			  key, json_type_to_name(type), json_type_to_name(json_object_get_type(v)));
		return -EBADMSG;
	}
	*out = v;
	return 1;
}

/*
 * Copies string member @key into @dst, refusing values that do not fit; with
 * @dst NULL the member is checked as if it were kept in @size bytes, and dropped.
 */
static int member_str(struct ctx *c, struct json_object *obj, const char *key, const char *path,
		      char *dst, size_t size, bool required)
{
	struct json_object *v;
	size_t len;
	int ret;

	if (dst)
		dst[0] = '\0';
	ret = member(c, obj, key, json_type_string, path, &v);
	if (ret < 0)
		return ret;
	if (!ret) {
		if (!required)
			return 0;
		pt_seterr(c->err, c->errlen, "%s.%s: missing", path, key);
		return -EBADMSG;
	}
	len = (size_t)json_object_get_string_len(v);
	if (len >= size) {
		pt_seterr(c->err, c->errlen, "%s.%s: %zu bytes, longer than the %zu allowed", path,
			  key, len, size - 1);
		return -EBADMSG;
	}
	if (memchr(json_object_get_string(v), '\0', len)) {
		pt_seterr(c->err, c->errlen, "%s.%s: contains a NUL character", path, key);
		return -EBADMSG;
	}
	if (required && !len) {
		pt_seterr(c->err, c->errlen, "%s.%s: empty", path, key);
		return -EBADMSG;
	}
	if (dst)
		memcpy(dst, json_object_get_string(v), len + 1);
	return 0;
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

int pt_container_id_parse(const char *s, struct pt_container_ref *out)
{
	static const struct {
		const char *scheme;
		enum pt_runtime runtime;
	} schemes[] = {
		{ "containerd://", PT_RUNTIME_CONTAINERD },
		{ "cri-o://", PT_RUNTIME_CRIO },
		{ "docker://", PT_RUNTIME_DOCKER },
	};
	const char *id, *sep;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	sep = strstr(s, "://");
	if (!sep)
		return -EINVAL;
	id = sep + 3;
	if (strlen(id) != PT_CONTAINER_ID_LEN)
		return -EINVAL;
	for (size_t i = 0; i < PT_CONTAINER_ID_LEN; i++) {
		if (!is_hex(id[i]))
			return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (!strncmp(s, schemes[i].scheme, strlen(schemes[i].scheme)) &&
		    s + strlen(schemes[i].scheme) == id)
			out->runtime = schemes[i].runtime;
	}
	for (size_t i = 0; i < PT_CONTAINER_ID_LEN; i++)
		out->id[i] = lower(id[i]);
	out->id[PT_CONTAINER_ID_LEN] = '\0';
	return 0;
}

static int parse_uid(struct ctx *c, struct json_object *md, char *dst)
{
	int ret = member_str(c, md, "uid", "metadata", dst, PT_POD_UID_LEN + 1, true);
	size_t len;

	if (ret)
		return ret;
	len = strlen(dst);
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? dst[i] != '-' : !is_hex(dst[i]))
			len = 0;
		dst[i] = lower(dst[i]);
	}
	if (len != PT_POD_UID_LEN) {
		pt_seterr(c->err, c->errlen, "metadata.uid: \"%s\" is not a UUID", dst);
		dst[0] = '\0';
		return -EBADMSG;
	}
	return 0;
}

static enum pt_pod_phase parse_phase(const char *s)
{
	static const char *const names[] = {
		[PT_POD_PHASE_PENDING] = "Pending",	[PT_POD_PHASE_RUNNING] = "Running",
		[PT_POD_PHASE_SUCCEEDED] = "Succeeded", [PT_POD_PHASE_FAILED] = "Failed",
		[PT_POD_PHASE_UNKNOWN] = "Unknown",
	};

	if (!*s)
		return PT_POD_PHASE_NONE;
	for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i]))
			return (enum pt_pod_phase)i;
	}
	return PT_POD_PHASE_UNKNOWN;
}

static struct pt_pod_container *find_or_add(struct pt_pod *pod, size_t *cap,
					    enum pt_container_kind kind, const char *name)
{
	struct pt_pod_container *ct;

	for (size_t i = 0; i < pod->n_containers; i++) {
		ct = &pod->containers[i];
		if (ct->kind == kind && !strcmp(ct->name, name))
			return ct;
	}
	if (pod->n_containers >= PT_POD_MAX_CONTAINERS)
		return NULL;
	if (pod->n_containers == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct pt_pod_container *n = realloc(pod->containers, ncap * sizeof(*n));

		if (!n)
			return NULL;
		pod->containers = n;
		*cap = ncap;
	}
	ct = &pod->containers[pod->n_containers++];
	memset(ct, 0, sizeof(*ct));
	ct->kind = kind;
	strcpy(ct->name, name); /* bounded by the caller */
	return ct;
}

static const char *const spec_lists[] = {
	[PT_CONTAINER_REGULAR] = "containers",
	[PT_CONTAINER_INIT] = "initContainers",
	[PT_CONTAINER_EPHEMERAL] = "ephemeralContainers",
};

static const char *const status_lists[] = {
	[PT_CONTAINER_REGULAR] = "containerStatuses",
	[PT_CONTAINER_INIT] = "initContainerStatuses",
	[PT_CONTAINER_EPHEMERAL] = "ephemeralContainerStatuses",
};

/* Reads the "name" of entry @i of @list into @name. */
static int entry_name(struct ctx *c, struct json_object *arr, size_t i, const char *list,
		      struct json_object **entry, char *name)
{
	char path[96];

	*entry = json_object_array_get_idx(arr, i);
	snprintf(path, sizeof(path), "%s[%zu]", list, i);
	if (!*entry || !json_object_is_type(*entry, json_type_object)) {
		pt_seterr(c->err, c->errlen, "%s: expected object", path);
		return -EBADMSG;
	}
	return member_str(c, *entry, "name", path, name, PT_K8S_LABEL_MAX + 1, true);
}

static int too_many(struct ctx *c, struct pt_pod *pod)
{
	if (pod->n_containers >= PT_POD_MAX_CONTAINERS) {
		pt_seterr(c->err, c->errlen, "more than %d containers", PT_POD_MAX_CONTAINERS);
		return -EBADMSG;
	}
	return -ENOMEM;
}

static int parse_spec(struct ctx *c, struct json_object *spec, struct pt_pod *pod, size_t *cap)
{
	for (int kind = 0; kind < 3; kind++) {
		char list[64], name[PT_K8S_LABEL_MAX + 1];
		struct json_object *arr, *entry;
		struct pt_pod_container *ct;
		int ret;

		ret = member(c, spec, spec_lists[kind], json_type_array, "spec", &arr);
		if (ret <= 0) {
			if (ret)
				return ret;
			continue;
		}
		snprintf(list, sizeof(list), "spec.%s", spec_lists[kind]);
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			ret = entry_name(c, arr, i, list, &entry, name);
			if (ret)
				return ret;
			ct = find_or_add(pod, cap, (enum pt_container_kind)kind, name);
			if (!ct)
				return too_many(c, pod);
			ct->in_spec = true;
		}
	}
	return 0;
}

/* containerID strings: "" while waiting; an odd form is not worth failing a pod. */
static int parse_id(struct ctx *c, struct json_object *obj, const char *path,
		    struct pt_container_ref *out)
{
	struct json_object *v;
	int ret = member(c, obj, "containerID", json_type_string, path, &v);

	memset(out, 0, sizeof(*out));
	if (ret <= 0)
		return ret;
	pt_container_id_parse(json_object_get_string(v), out);
	return 0;
}

static int parse_one_status(struct ctx *c, struct json_object *st, const char *path,
			    struct pt_pod_container *ct)
{
	struct json_object *v, *last, *term;
	char sub[160];
	int ret;

	ct->in_status = true;
	ret = parse_id(c, st, path, &ct->id);
	if (ret)
		return ret;
	ret = member(c, st, "restartCount", json_type_int, path, &v);
	if (ret < 0)
		return ret;
	if (ret) {
		int64_t n = json_object_get_int64(v);

		ct->restart_count = n < 0 ? 0 : n > INT32_MAX ? INT32_MAX : (int32_t)n;
	}
	ret = member(c, st, "lastState", json_type_object, path, &last);
	if (ret <= 0)
		return ret;
	snprintf(sub, sizeof(sub), "%s.lastState", path);
	ret = member(c, last, "terminated", json_type_object, sub, &term);
	if (ret <= 0)
		return ret;
	snprintf(sub, sizeof(sub), "%s.lastState.terminated", path);
	return parse_id(c, term, sub, &ct->last_id);
}

static int parse_status(struct ctx *c, struct json_object *status, struct pt_pod *pod, size_t *cap)
{
	struct json_object *v;
	char phase[32];
	int ret;

	ret = member_str(c, status, "phase", "status", phase, sizeof(phase), false);
	if (ret)
		return ret;
	pod->phase = parse_phase(phase);

	for (int kind = 0; kind < 3; kind++) {
		char list[64], path[96], name[PT_K8S_LABEL_MAX + 1];
		struct json_object *entry;
		struct pt_pod_container *ct;

		ret = member(c, status, status_lists[kind], json_type_array, "status", &v);
		if (ret <= 0) {
			if (ret)
				return ret;
			continue;
		}
		snprintf(list, sizeof(list), "status.%s", status_lists[kind]);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			ret = entry_name(c, v, i, list, &entry, name);
			if (ret)
				return ret;
			ct = find_or_add(pod, cap, (enum pt_container_kind)kind, name);
			if (!ct)
				return too_many(c, pod);
			snprintf(path, sizeof(path), "%s[%zu]", list, i);
			ret = parse_one_status(c, entry, path, ct);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * A static pod's cgroups carry the kubelet's hash of its manifest, not the
 * uid of its mirror pod in the API server; the mirror pod records that hash
 * in an annotation. Anything but 32 hex digits is ignored, not an error.
 */
static int parse_mirror(struct ctx *c, struct json_object *md, struct pt_pod *pod)
{
	struct json_object *ann, *v;
	const char *s;
	size_t i;

	if (!json_object_object_get_ex(md, "annotations", &ann) ||
	    !json_object_is_type(ann, json_type_object) ||
	    !json_object_object_get_ex(ann, "kubernetes.io/config.mirror", &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	if (strlen(s) != 32)
		return 0;
	for (i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return 0;
		pod->mirror_uid[i] = (char)tolower((unsigned char)s[i]);
	}
	pod->mirror_uid[32] = '\0';
	return 0;
}

static int parse_metadata(struct ctx *c, struct json_object *md, struct pt_pod *pod)
{
	struct json_object *v;
	int ret;

	ret = member_str(c, md, "name", "metadata", pod->name, sizeof(pod->name), true);
	if (!ret)
		ret = member_str(c, md, "namespace", "metadata", pod->namespace,
				 sizeof(pod->namespace), true);
	if (!ret)
		ret = parse_uid(c, md, pod->uid);
	if (!ret)
		ret = member_str(c, md, "resourceVersion", "metadata", NULL, PT_K8S_RV_MAX + 1,
				 false);
	if (ret)
		return ret;
	ret = member(c, md, "deletionTimestamp", json_type_string, "metadata", &v);
	if (ret < 0)
		return ret;
	pod->deleting = ret > 0;
	return parse_mirror(c, md, pod);
}

int pt_pod_from_json(struct json_object *obj, struct pt_pod *out, char *err, size_t errlen)
{
	struct ctx c = { .err = err, .errlen = errlen };
	struct json_object *md, *spec, *status, *kind;
	size_t cap = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	pt_seterr(err, errlen, "%s", "");
	if (!obj || !json_object_is_type(obj, json_type_object)) {
		pt_seterr(err, errlen, "pod: not a JSON object");
		return -EBADMSG;
	}
	ret = member(&c, obj, "kind", json_type_string, "", &kind);
	if (ret < 0)
		return ret;
	if (ret && strcmp(json_object_get_string(kind), "Pod")) {
		pt_seterr(err, errlen, "kind is \"%.64s\", not Pod", json_object_get_string(kind));
		return -EBADMSG;
	}
	ret = member(&c, obj, "metadata", json_type_object, "", &md);
	if (!ret) {
		pt_seterr(err, errlen, "metadata: missing");
		ret = -EBADMSG;
	}
	if (ret < 0)
		goto fail;
	ret = parse_metadata(&c, md, out);
	if (ret)
		goto fail;
	ret = member(&c, obj, "spec", json_type_object, "", &spec);
	if (ret > 0) {
		ret = member_str(&c, spec, "nodeName", "spec", NULL, PT_K8S_NAME_MAX + 1, false);
		if (!ret)
			ret = parse_spec(&c, spec, out, &cap);
	}
	if (ret < 0)
		goto fail;
	ret = member(&c, obj, "status", json_type_object, "", &status);
	if (ret > 0)
		ret = parse_status(&c, status, out, &cap);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	if (ret == -ENOMEM)
		pt_seterr(err, errlen, "out of memory");
	/* Name the pod if we got that far. */
	if (out->name[0] && err && errlen) {
		char what[512];

		snprintf(what, sizeof(what), "%s", err);
		pt_seterr(err, errlen, "pod %s/%s: %s", out->namespace, out->name, what);
	}
	pt_pod_free(out);
	return ret;
}

void pt_pod_free(struct pt_pod *pod)
{
	if (!pod)
		return;
	free(pod->containers);
	pod->containers = NULL;
	pod->n_containers = 0;
}

const struct pt_pod_container *pt_pod_find_container_id(const struct pt_pod *pod, const char *id)
{
	if (!id || !*id)
		return NULL;
	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct pt_pod_container *ct = &pod->containers[i];

		if (!strcmp(ct->id.id, id) || !strcmp(ct->last_id.id, id))
			return ct;
	}
	return NULL;
}

const struct pt_pod_container *pt_pod_find_container(const struct pt_pod *pod,
						     enum pt_container_kind kind, const char *name)
{
	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct pt_pod_container *ct = &pod->containers[i];

		if (ct->kind == kind && !strcmp(ct->name, name))
			return ct;
	}
	return NULL;
}

int pt_pod_container_field_path(const struct pt_pod_container *c, char *buf, size_t len)
{
	int n;

	if ((unsigned int)c->kind >= sizeof(spec_lists) / sizeof(spec_lists[0]))
		return -EINVAL;
	n = snprintf(buf, len, "spec.%s{%s}", spec_lists[c->kind], c->name);
	if (n < 0 || (size_t)n >= len)
		return -ENOBUFS;
	return 0;
}

/* ---- whole bodies ------------------------------------------------------- */

/* Parses exactly one JSON value, with nothing but whitespace after it. */
static int parse_body(const char *body, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;

	*out = NULL;
	if (!body || !len || len > INT_MAX)
		return -EBADMSG;
	tok = json_tokener_new_ex(BODY_MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj)
		return -EBADMSG;
	for (; end < len; end++) {
		char ch = body[end];

		if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
			json_object_put(obj);
			return -EBADMSG;
		}
	}
	*out = obj;
	return 0;
}

int pt_pod_list_from_json(struct json_object *list, struct pt_pod_list *out, char *err,
			  size_t errlen)
{
	struct ctx c = { .err = err, .errlen = errlen };
	struct json_object *kind, *md, *items;
	char item_err[512];
	size_t n;
	int ret;

	memset(out, 0, sizeof(*out));
	pt_seterr(err, errlen, "%s", "");
	if (!list || !json_object_is_type(list, json_type_object)) {
		pt_seterr(err, errlen, "pod list: not a JSON object");
		return -EBADMSG;
	}
	ret = member(&c, list, "kind", json_type_string, "", &kind);
	if (ret < 0)
		return ret;
	if (ret && strcmp(json_object_get_string(kind), "PodList")) {
		pt_seterr(err, errlen, "kind is \"%.64s\", not PodList",
			  json_object_get_string(kind));
		return -EBADMSG;
	}
	ret = member(&c, list, "metadata", json_type_object, "", &md);
	if (ret > 0)
		ret = member_str(&c, md, "resourceVersion", "metadata", out->resource_version,
				 sizeof(out->resource_version), false);
	if (ret < 0)
		return ret;
	ret = member(&c, list, "items", json_type_array, "", &items);
	if (ret <= 0)
		return ret;
	n = json_object_array_length(items);
	if (!n)
		return 0;
	out->items = calloc(n, sizeof(*out->items));
	if (!out->items) {
		pt_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		ret = pt_pod_from_json(json_object_array_get_idx(items, i),
				       &out->items[out->n_items], item_err, sizeof(item_err));
		if (ret == -ENOMEM) {
			pt_pod_list_free(out);
			pt_seterr(err, errlen, "out of memory");
			return ret;
		}
		if (!ret) {
			out->n_items++;
			continue;
		}
		if (!out->n_skipped++)
			pt_seterr(err, errlen, "items[%zu]: %s", i, item_err);
	}
	return 0;
}

int pt_pod_list_parse(const char *body, size_t len, struct pt_pod_list *out, char *err,
		      size_t errlen)
{
	struct json_object *obj;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_body(body, len, &obj);
	if (ret) {
		pt_seterr(err, errlen, "pod list: body is not JSON");
		return ret;
	}
	ret = pt_pod_list_from_json(obj, out, err, errlen);
	json_object_put(obj);
	return ret;
}

void pt_pod_list_free(struct pt_pod_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n_items; i++)
		pt_pod_free(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->n_items = 0;
}

/* ---- Status ------------------------------------------------------------- */

/* Copies as much of @src as fits, never cutting a UTF-8 sequence in two. */
static void copy_truncated(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	/* Embedded NULs simply end the string early. */
}

static bool get_loose(struct json_object *obj, const char *key, enum json_type type,
		      struct json_object **out)
{
	return json_object_object_get_ex(obj, key, out) && *out && json_object_is_type(*out, type);
}

static int32_t clamp32(int64_t v)
{
	return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

int pt_status_from_json(struct json_object *obj, struct pt_api_status *out)
{
	struct json_object *v, *details;
	bool looks_like_status = false;

	memset(out, 0, sizeof(*out));
	if (!obj || !json_object_is_type(obj, json_type_object))
		return -EBADMSG;
	if (get_loose(obj, "kind", json_type_string, &v)) {
		if (strcmp(json_object_get_string(v), "Status"))
			return -EBADMSG;
		looks_like_status = true;
	}
	if (get_loose(obj, "status", json_type_string, &v))
		copy_truncated(out->status, sizeof(out->status), json_object_get_string(v),
			       (size_t)json_object_get_string_len(v));
	if (get_loose(obj, "reason", json_type_string, &v)) {
		copy_truncated(out->reason, sizeof(out->reason), json_object_get_string(v),
			       (size_t)json_object_get_string_len(v));
		looks_like_status = true;
	}
	if (get_loose(obj, "message", json_type_string, &v)) {
		copy_truncated(out->message, sizeof(out->message), json_object_get_string(v),
			       (size_t)json_object_get_string_len(v));
		looks_like_status = true;
	}
	if (get_loose(obj, "code", json_type_int, &v)) {
		out->code = clamp32(json_object_get_int64(v));
		looks_like_status = true;
	}
	if (get_loose(obj, "details", json_type_object, &details) &&
	    get_loose(details, "retryAfterSeconds", json_type_int, &v))
		out->retry_after_seconds = clamp32(json_object_get_int64(v));
	if (!looks_like_status) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

int pt_status_parse(const char *body, size_t len, struct pt_api_status *out)
{
	struct json_object *obj;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = parse_body(body, len, &obj);
	if (ret)
		return ret;
	ret = pt_status_from_json(obj, out);
	json_object_put(obj);
	return ret;
}
