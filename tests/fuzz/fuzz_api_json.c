// SPDX-License-Identifier: GPL-2.0
/*
 * API server response bodies: every input goes to pt_status_parse() (the
 * body of a failed request or Event write), pt_pod_list_parse() (the list
 * before a watch) and, when it is a JSON value, to pt_status_from_json()
 * and pt_pod_from_json() (watch objects), and to pt_container_id_parse().
 *
 * Invariants: results are 0 or the documented errors; a Status's strings
 * are terminated prefixes of the body's, never cut inside a UTF-8 sequence;
 * a parsed pod has a name, a namespace and a lower-case uuid, containers
 * with terminated names and 64-hex or empty ids, and every container can be
 * found again by its kind and name and by its id; a list counts every item
 * as parsed or skipped; failures leave nothing allocated and say why.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <json-c/json.h>

#include "k8s/pod_json.h"
#include "fuzz_util.h"

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void check_ref(const struct pt_container_ref *ref)
{
	size_t len;

	FUZZ_ASSERT_STR(ref->id);
	len = strlen(ref->id);
	FUZZ_ASSERT(len == 0 || len == PT_CONTAINER_ID_LEN, "container id \"%s\"", ref->id);
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT(is_lower_hex(ref->id[i]), "container id \"%s\"", ref->id);
	FUZZ_ASSERT(len || ref->runtime == PT_RUNTIME_UNKNOWN, "runtime without an id");
}

static void check_pod(const struct pt_pod *pod)
{
	FUZZ_ASSERT_STR(pod->name);
	FUZZ_ASSERT_STR(pod->namespace);
	FUZZ_ASSERT_STR(pod->uid);
	FUZZ_ASSERT(pod->name[0] && pod->namespace[0], "pod without name or namespace");
	FUZZ_ASSERT(strlen(pod->uid) == PT_POD_UID_LEN, "uid \"%s\"", pod->uid);
	for (size_t i = 0; i < PT_POD_UID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		FUZZ_ASSERT(dash ? pod->uid[i] == '-' : is_lower_hex(pod->uid[i]), "uid \"%s\"",
			    pod->uid);
	}
	FUZZ_ASSERT((unsigned int)pod->phase <= PT_POD_PHASE_UNKNOWN, "phase %d", pod->phase);
	FUZZ_ASSERT(pod->n_containers <= PT_POD_MAX_CONTAINERS, "%zu containers",
		    pod->n_containers);
	FUZZ_ASSERT(!pod->n_containers == !pod->containers, "containers array");
	for (size_t i = 0; i < pod->n_containers; i++) {
		const struct pt_pod_container *ct = &pod->containers[i];
		const struct pt_pod_container *found;
		char fp[256];

		FUZZ_ASSERT_STR(ct->name);
		FUZZ_ASSERT(ct->name[0], "container without a name");
		FUZZ_ASSERT((unsigned int)ct->kind <= PT_CONTAINER_EPHEMERAL, "kind %d", ct->kind);
		FUZZ_ASSERT(ct->in_spec || ct->in_status, "container from nowhere");
		FUZZ_ASSERT(ct->restart_count >= 0, "restart count %d", ct->restart_count);
		check_ref(&ct->id);
		check_ref(&ct->last_id);
		FUZZ_ASSERT(pt_pod_find_container(pod, ct->kind, ct->name) == ct,
			    "container %s is not found by name (duplicate?)", ct->name);
		if (ct->id.id[0]) {
			found = pt_pod_find_container_id(pod, ct->id.id);
			FUZZ_ASSERT(found && (!strcmp(found->id.id, ct->id.id) ||
					      !strcmp(found->last_id.id, ct->id.id)),
				    "container id %s is not found", ct->id.id);
		}
		FUZZ_ASSERT(pt_pod_container_field_path(ct, fp, sizeof(fp)) == 0 &&
				strstr(fp, ct->name),
			    "field path of %s", ct->name);
	}
	FUZZ_ASSERT(!pt_pod_find_container_id(pod, "") && !pt_pod_find_container_id(pod, NULL),
		    "empty id matches");
}

/* A Status field is the body's string, cut at a UTF-8 boundary to fit. */
static void check_status_field(struct json_object *obj, const char *key, const char *got,
			       size_t size)
{
	struct json_object *v;
	const char *want;
	size_t len = strlen(got), wlen;

	FUZZ_ASSERT(fuzz_terminated(got, size), "status %s not terminated", key);
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string)) {
		FUZZ_ASSERT(!len, "status %s \"%s\" from nowhere", key, got);
		return;
	}
	want = json_object_get_string(v);
	wlen = strnlen(want, (size_t)json_object_get_string_len(v));
	FUZZ_ASSERT(len <= wlen && !memcmp(got, want, len),
		    "status %s \"%s\" is not a prefix of \"%s\"", key, got, want);
	/* Cut to fit, and never inside a UTF-8 sequence: the next byte starts one. */
	if (len && len < wlen)
		FUZZ_ASSERT(((unsigned char)want[len] & 0xc0) != 0x80,
			    "status %s cut inside a UTF-8 sequence", key);
}

static void check_status(struct json_object *obj, int ret, const struct pt_api_status *st)
{
	FUZZ_ASSERT(ret == 0 || ret == -EBADMSG, "status ret %d", ret);
	if (ret) {
		FUZZ_ASSERT(!st->code && !st->status[0] && !st->reason[0] && !st->message[0] &&
				!st->retry_after_seconds,
			    "failed Status parse left fields set");
		return;
	}
	if (!obj)
		return;
	check_status_field(obj, "status", st->status, sizeof(st->status));
	check_status_field(obj, "reason", st->reason, sizeof(st->reason));
	check_status_field(obj, "message", st->message, sizeof(st->message));
}

static void check_list(int ret, const struct pt_pod_list *list, const char *err,
		       struct json_object *obj)
{
	struct json_object *items;

	FUZZ_ASSERT(ret == 0 || ret == -EBADMSG, "list ret %d", ret);
	FUZZ_ASSERT(fuzz_terminated(list->resource_version, sizeof(list->resource_version)),
		    "resourceVersion");
	if (ret) {
		FUZZ_ASSERT(!list->items && !list->n_items, "failed list parse kept items");
		FUZZ_ASSERT(err[0], "failed list parse without a message");
		return;
	}
	for (size_t i = 0; i < list->n_items; i++)
		check_pod(&list->items[i]);
	FUZZ_ASSERT(!list->n_skipped == !err[0], "%zu skipped, message \"%s\"", list->n_skipped,
		    err);
	if (obj && json_object_object_get_ex(obj, "items", &items) &&
	    json_object_is_type(items, json_type_array))
		FUZZ_ASSERT(list->n_items + list->n_skipped == json_object_array_length(items),
			    "%zu + %zu items of %zu", list->n_items, list->n_skipped,
			    json_object_array_length(items));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Bodies are not NUL-terminated: an exact-size copy lets ASan see overreads. */
	char *body = malloc(size ? size : 1);
	struct pt_container_ref ref;
	struct pt_api_status st;
	struct pt_pod_list list;
	struct json_object *obj;
	char err[512], *s;
	int ret, ret_st;

	if (!body)
		abort();
	memcpy(body, data, size);

	/* The same text, loosely parsed, to compare against. */
	s = fuzz_cstr(data, size);
	obj = json_tokener_parse(s);

	ret_st = pt_status_parse(body, size, &st);
	check_status(ret_st ? NULL : obj, ret_st, &st);

	err[0] = 'x';
	ret = pt_pod_list_parse(body, size, &list, err, sizeof(err));
	FUZZ_ASSERT(fuzz_terminated(err, sizeof(err)), "list error not terminated");
	check_list(ret, &list, err, ret ? NULL : obj);
	pt_pod_list_free(&list);
	FUZZ_ASSERT(!list.items && !list.n_items, "pt_pod_list_free");
	pt_pod_list_free(&list);

	if (obj) {
		struct pt_pod pod;

		ret = pt_status_from_json(obj, &st);
		check_status(obj, ret, &st);
		ret = pt_pod_from_json(obj, &pod, err, sizeof(err));
		FUZZ_ASSERT(ret == 0 || ret == -EBADMSG, "pod ret %d", ret);
		FUZZ_ASSERT(fuzz_terminated(err, sizeof(err)), "pod error not terminated");
		if (!ret) {
			check_pod(&pod);
			pt_pod_free(&pod);
		} else {
			FUZZ_ASSERT(err[0], "pod parse failed without a message");
			FUZZ_ASSERT(!pod.containers && !pod.n_containers,
				    "failed pod kept containers");
		}
		json_object_put(obj);
	}

	ret = pt_container_id_parse(s, &ref);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL, "id ret %d", ret);
	if (ret)
		FUZZ_ASSERT(!ref.id[0] && ref.runtime == PT_RUNTIME_UNKNOWN, "failed id parse");
	else
		FUZZ_ASSERT(strlen(ref.id) == PT_CONTAINER_ID_LEN, "id \"%s\"", ref.id);
	check_ref(&ref);

	free(s);
	free(body);
	return 0;
}
