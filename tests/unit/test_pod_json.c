// SPDX-License-Identifier: GPL-2.0
/* Pod, PodList and Status decoding, on realistic API server output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "k8s/pod_json.h"

#define ID_APP	    "3b5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f80"
#define ID_APP_PREV "aa5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f81"
#define ID_SIDECAR  "bb5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f82"
#define ID_INIT	    "cc5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f83"
#define ID_DEBUG    "dd5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f84"
#define UID	    "6f1d2c3b-4a59-4e8d-9c7b-0a1b2c3d4e5f"

/* Trimmed from `kubectl get pod -o json`, with the shape kept. */
static const char running_pod[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
    "\"creationTimestamp\":\"2024-06-01T10:00:00Z\",\"generateName\":\"web-7d9f8b6c5d-\","
    "\"labels\":{\"app\":\"web\",\"pod-template-hash\":\"7d9f8b6c5d\"},"
    "\"managedFields\":[{\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{"
    "\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"app\\\"}\":{\".\":{},"
    "\"f:resources\":{\"f:limits\":{\"f:memory\":{}}}}}}},\"manager\":\"kube-controller-manager\","
    "\"operation\":\"Update\",\"time\":\"2024-06-01T10:00:00Z\"}],"
    "\"name\":\"web-7d9f8b6c5d-x2x9q\",\"namespace\":\"shop\","
    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"blockOwnerDeletion\":true,"
    "\"controller\":true,\"kind\":\"ReplicaSet\",\"name\":\"web-7d9f8b6c5d\","
    "\"uid\":\"11111111-2222-3333-4444-555555555555\"}],"
    "\"resourceVersion\":\"48213\",\"uid\":\"" UID "\"},"
    "\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"app\","
    "\"resources\":{\"limits\":{\"memory\":\"20Mi\"}}},"
    "{\"image\":\"envoy:1.30\",\"name\":\"sidecar\"}],"
    "\"initContainers\":[{\"image\":\"busybox\",\"name\":\"init-db\","
    "\"command\":[\"sh\",\"-c\",\"true\"]}],"
    "\"ephemeralContainers\":[{\"image\":\"busybox\",\"name\":\"debugger-abcde\","
    "\"targetContainerName\":\"app\"}],"
    "\"nodeName\":\"node-1.example.internal\",\"restartPolicy\":\"Always\"},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.1.7\","
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
    "\"initContainerStatuses\":[{\"containerID\":\"cri-o://" ID_INIT "\","
    "\"image\":\"busybox\",\"name\":\"init-db\",\"ready\":true,\"restartCount\":0,"
    "\"state\":{\"terminated\":{\"containerID\":\"cri-o://" ID_INIT "\",\"exitCode\":0,"
    "\"reason\":\"Completed\"}}}],"
    "\"containerStatuses\":[{\"containerID\":\"containerd://" ID_APP "\","
    "\"image\":\"nginx:1.25\",\"lastState\":{\"terminated\":{\"containerID\":"
    "\"containerd://" ID_APP_PREV "\",\"exitCode\":137,\"reason\":\"OOMKilled\","
    "\"finishedAt\":\"2024-06-01T10:05:00Z\"}},\"name\":\"app\",\"ready\":true,"
    "\"restartCount\":2,\"started\":true,\"state\":{\"running\":{\"startedAt\":"
    "\"2024-06-01T10:05:01Z\"}}},"
    "{\"containerID\":\"docker://" ID_SIDECAR "\",\"lastState\":{},\"name\":\"sidecar\","
    "\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}],"
    "\"ephemeralContainerStatuses\":[{\"containerID\":\"containerd://" ID_DEBUG "\","
    "\"name\":\"debugger-abcde\",\"lastState\":{},\"restartCount\":0,"
    "\"state\":{\"running\":{}}}]}}";

static struct json_object *parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

/* Parses @json as a pod, expecting @want; returns the error text. */
static int pod_from(const char *json, struct pt_pod *pod, char *err, size_t errlen)
{
	struct json_object *o = parse(json);
	int ret = pt_pod_from_json(o, pod, err, errlen);

	json_object_put(o);
	return ret;
}

static void test_running_pod(void **state)
{
	struct pt_pod pod;
	char err[256];
	const struct pt_pod_container *c;

	(void)state;
	assert_int_equal(pod_from(running_pod, &pod, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(pod.namespace, "shop");
	assert_string_equal(pod.name, "web-7d9f8b6c5d-x2x9q");
	assert_string_equal(pod.uid, UID);
	assert_false(pod.deleting);
	assert_int_equal(pod.phase, PT_POD_PHASE_RUNNING);
	assert_int_equal(pod.n_containers, 4);

	/* Spec order: regular, init, ephemeral. */
	c = &pod.containers[0];
	assert_string_equal(c->name, "app");
	assert_int_equal(c->kind, PT_CONTAINER_REGULAR);
	assert_true(c->in_spec && c->in_status);
	assert_int_equal(c->restart_count, 2);
	assert_int_equal(c->id.runtime, PT_RUNTIME_CONTAINERD);
	assert_string_equal(c->id.id, ID_APP);
	assert_int_equal(c->last_id.runtime, PT_RUNTIME_CONTAINERD);
	assert_string_equal(c->last_id.id, ID_APP_PREV);

	c = &pod.containers[1];
	assert_string_equal(c->name, "sidecar");
	assert_int_equal(c->id.runtime, PT_RUNTIME_DOCKER);
	assert_string_equal(c->id.id, ID_SIDECAR);
	assert_string_equal(c->last_id.id, "");

	c = &pod.containers[2];
	assert_string_equal(c->name, "init-db");
	assert_int_equal(c->kind, PT_CONTAINER_INIT);
	assert_int_equal(c->id.runtime, PT_RUNTIME_CRIO);
	assert_string_equal(c->id.id, ID_INIT);

	c = &pod.containers[3];
	assert_string_equal(c->name, "debugger-abcde");
	assert_int_equal(c->kind, PT_CONTAINER_EPHEMERAL);
	assert_string_equal(c->id.id, ID_DEBUG);
	pt_pod_free(&pod);
}

/* An exit of the instance before a restart still maps to its container. */
static void test_lookup_by_current_and_previous_id(void **state)
{
	struct pt_pod pod;
	char path[128];

	(void)state;
	assert_int_equal(pod_from(running_pod, &pod, NULL, 0), 0);
	assert_string_equal(pt_pod_find_container_id(&pod, ID_APP)->name, "app");
	assert_string_equal(pt_pod_find_container_id(&pod, ID_APP_PREV)->name, "app");
	assert_string_equal(pt_pod_find_container_id(&pod, ID_INIT)->name, "init-db");
	assert_null(pt_pod_find_container_id(&pod, ""));
	assert_null(pt_pod_find_container_id(&pod, NULL));
	assert_null(pt_pod_find_container_id(
	    &pod, "0000000000000000000000000000000000000000000000000000000000000000"));

	assert_int_equal(pt_pod_container_field_path(&pod.containers[0], path, sizeof(path)), 0);
	assert_string_equal(path, "spec.containers{app}");
	assert_int_equal(pt_pod_container_field_path(&pod.containers[2], path, sizeof(path)), 0);
	assert_string_equal(path, "spec.initContainers{init-db}");
	assert_int_equal(pt_pod_container_field_path(&pod.containers[3], path, sizeof(path)), 0);
	assert_string_equal(path, "spec.ephemeralContainers{debugger-abcde}");
	assert_int_equal(pt_pod_container_field_path(&pod.containers[3], path, 10), -ENOBUFS);
	assert_non_null(pt_pod_find_container(&pod, PT_CONTAINER_INIT, "init-db"));
	assert_null(pt_pod_find_container(&pod, PT_CONTAINER_REGULAR, "init-db"));
	pt_pod_free(&pod);
}

/* Just scheduled: spec only, so fieldPath can already be built. */
static void test_pending_pod_spec_only(void **state)
{
	struct pt_pod pod;

	(void)state;
	assert_int_equal(pod_from("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
				  "\"default\",\"uid\":\"" UID "\"},"
				  "\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
				  "\"nodeName\":\"n1\"},"
				  "\"status\":{\"phase\":\"Pending\",\"containerStatuses\":["
				  "{\"name\":\"a\",\"containerID\":\"\",\"restartCount\":0},"
				  "{\"name\":\"b\",\"containerID\":null,\"lastState\":null}]}}",
				  &pod, NULL, 0),
			 0);
	assert_int_equal(pod.phase, PT_POD_PHASE_PENDING);
	assert_int_equal(pod.n_containers, 2);
	assert_string_equal(pod.containers[1].name, "b");
	assert_true(pod.containers[1].in_spec);
	assert_string_equal(pod.containers[0].id.id, "");
	assert_int_equal(pod.containers[0].id.runtime, PT_RUNTIME_UNKNOWN);
	pt_pod_free(&pod);

	/* Unscheduled, no status at all, no resourceVersion. */
	assert_int_equal(pod_from("{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\","
				  "\"uid\":\"" UID
				  "\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
				  &pod, NULL, 0),
			 0);
	assert_int_equal(pod.phase, PT_POD_PHASE_NONE);
	assert_int_equal(pod.n_containers, 1);
	assert_false(pod.containers[0].in_status);
	pt_pod_free(&pod);
}

/* A status entry for a container missing from spec is kept, not dropped. */
static void test_status_without_spec_and_deleting(void **state)
{
	struct pt_pod pod;

	(void)state;
	assert_int_equal(pod_from("{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\","
				  "\"uid\":\"6F1D2C3B-4A59-4E8D-9C7B-0A1B2C3D4E5F\","
				  "\"deletionTimestamp\":\"2024-06-01T11:00:00Z\","
				  "\"deletionGracePeriodSeconds\":30},"
				  "\"status\":{\"phase\":\"Evicted?\",\"containerStatuses\":["
				  "{\"name\":\"x\",\"containerID\":\"containerd://" ID_APP "\"}]}}",
				  &pod, NULL, 0),
			 0);
	assert_true(pod.deleting);
	assert_string_equal(pod.uid, UID); /* lower-cased, as cgroup paths have it */
	assert_int_equal(pod.phase, PT_POD_PHASE_UNKNOWN);
	assert_int_equal(pod.n_containers, 1);
	assert_false(pod.containers[0].in_spec);
	assert_true(pod.containers[0].in_status);
	assert_string_equal(pod.containers[0].id.id, ID_APP);
	pt_pod_free(&pod);
}

static void expect_bad_pod(const char *json, const char *want)
{
	struct pt_pod pod;
	char err[256];

	assert_int_equal(pod_from(json, &pod, err, sizeof(err)), -EBADMSG);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	assert_null(pod.containers);
	assert_int_equal(pod.n_containers, 0);
}

#define MD "\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"" UID "\"}"

static void test_missing_required_fields(void **state)
{
	char json[1024];

	(void)state;
	expect_bad_pod("{\"kind\":\"Pod\"}", "metadata: missing");
	expect_bad_pod("{\"metadata\":null}", "metadata: missing");
	expect_bad_pod("{\"metadata\":{\"namespace\":\"ns\",\"uid\":\"" UID "\"}}",
		       "metadata.name: missing");
	expect_bad_pod("{\"metadata\":{\"name\":\"\",\"namespace\":\"ns\",\"uid\":\"" UID "\"}}",
		       "metadata.name: empty");
	expect_bad_pod("{\"metadata\":{\"name\":\"p\",\"uid\":\"" UID "\"}}",
		       "metadata.namespace: missing");
	expect_bad_pod("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"}}",
		       "pod ns/p: metadata.uid: missing");
	expect_bad_pod("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"not-a-uid\"}}",
		       "is not a UUID");
	expect_bad_pod("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\","
		       "\"uid\":\"6f1d2c3b-4a59-4e8d-9c7b-0a1b2c3d4e5g\"}}",
		       "is not a UUID");
	expect_bad_pod("{\"kind\":\"Node\"," MD "}", "not Pod");
	expect_bad_pod("[]", "not a JSON object");

	/* Longer than Kubernetes allows: refused, not truncated into another name. */
	snprintf(json, sizeof(json),
		 "{\"metadata\":{\"name\":\"%0254d\",\"namespace\":\"ns\",\"uid\":\"" UID "\"}}",
		 0);
	expect_bad_pod(json, "254 bytes, longer than the 253 allowed");
	snprintf(json, sizeof(json), "{" MD ",\"spec\":{\"containers\":[{\"name\":\"%064d\"}]}}",
		 0);
	expect_bad_pod(json, "spec.containers[0].name: 64 bytes");
	expect_bad_pod("{\"metadata\":{\"name\":\"a\\u0000b\",\"namespace\":\"ns\",\"uid\":\"" UID
		       "\"}}",
		       "NUL");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_bad_pod("{\"metadata\":{\"name\":7,\"namespace\":\"ns\",\"uid\":\"" UID "\"}}",
		       "metadata.name: expected string, got int");
	expect_bad_pod("{\"metadata\":[]}", "metadata: expected object, got array");
	expect_bad_pod("{" MD ",\"spec\":\"x\"}", "spec: expected object, got string");
	expect_bad_pod("{" MD ",\"spec\":{\"containers\":{\"name\":\"a\"}}}",
		       "spec.containers: expected array, got object");
	expect_bad_pod("{" MD ",\"spec\":{\"containers\":[\"a\"]}}",
		       "spec.containers[0]: expected object");
	expect_bad_pod("{" MD ",\"spec\":{\"nodeName\":false}}",
		       "spec.nodeName: expected string, got boolean");
	expect_bad_pod(
	    "{" MD ",\"status\":{\"containerStatuses\":[{\"name\":\"a\","
	    "\"containerID\":42}]}}",
	    "pod ns/p: status.containerStatuses[0].containerID: expected string, got int");
	expect_bad_pod("{" MD ",\"status\":{\"initContainerStatuses\":[{\"name\":\"a\","
		       "\"restartCount\":\"2\"}]}}",
		       "status.initContainerStatuses[0].restartCount: expected int");
	expect_bad_pod("{" MD ",\"status\":{\"ephemeralContainerStatuses\":[{\"name\":\"a\","
		       "\"lastState\":{\"terminated\":{\"containerID\":[]}}}]}}",
		       "status.ephemeralContainerStatuses[0].lastState.terminated.containerID");
	expect_bad_pod("{" MD ",\"status\":{\"containerStatuses\":[{\"containerID\":\"\"}]}}",
		       "status.containerStatuses[0].name: missing");
	expect_bad_pod("{" MD ",\"status\":{\"phase\":1}}", "status.phase: expected string");
	expect_bad_pod("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"" UID
		       "\",\"deletionTimestamp\":0}}",
		       "metadata.deletionTimestamp: expected string");
}

static void test_container_id_parse(void **state)
{
	struct pt_container_ref r;

	(void)state;
	assert_int_equal(pt_container_id_parse("containerd://" ID_APP, &r), 0);
	assert_int_equal(r.runtime, PT_RUNTIME_CONTAINERD);
	assert_string_equal(r.id, ID_APP);
	assert_int_equal(pt_container_id_parse("cri-o://" ID_APP, &r), 0);
	assert_int_equal(r.runtime, PT_RUNTIME_CRIO);
	assert_int_equal(pt_container_id_parse("docker://" ID_APP, &r), 0);
	assert_int_equal(r.runtime, PT_RUNTIME_DOCKER);
	/* Upper case is normalised to the form cgroup names use. */
	assert_int_equal(pt_container_id_parse("containerd://3B5E4A1C9D7F2E8A0B6C4D2E1F3A5B7C9D0E2F"
					       "4A6B8C0D1E3F5A7B9C2D4E6F80",
					       &r),
			 0);
	assert_string_equal(r.id, ID_APP);
	/* An unknown runtime still gives a usable id. */
	assert_int_equal(pt_container_id_parse("kata://" ID_APP, &r), 0);
	assert_int_equal(r.runtime, PT_RUNTIME_UNKNOWN);
	assert_string_equal(r.id, ID_APP);

	assert_int_equal(pt_container_id_parse("", &r), -EINVAL);
	assert_int_equal(pt_container_id_parse(NULL, &r), -EINVAL);
	assert_int_equal(pt_container_id_parse(ID_APP, &r), -EINVAL);
	assert_int_equal(pt_container_id_parse("containerd://" ID_APP "0", &r), -EINVAL);
	assert_int_equal(pt_container_id_parse("containerd://abc", &r), -EINVAL);
	assert_int_equal(
	    pt_container_id_parse("containerd://"
				  "zz5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a"
				  "7b9c2d4e6f80",
				  &r),
	    -EINVAL);
	assert_string_equal(r.id, "");
	assert_int_equal(r.runtime, PT_RUNTIME_UNKNOWN);
}

/* A malformed containerID leaves the id empty rather than failing the pod. */
static void test_odd_container_id_is_tolerated(void **state)
{
	struct pt_pod pod;

	(void)state;
	assert_int_equal(pod_from("{" MD ",\"status\":{\"containerStatuses\":[{\"name\":\"a\","
				  "\"containerID\":\"containerd://short\"}]}}",
				  &pod, NULL, 0),
			 0);
	assert_string_equal(pod.containers[0].id.id, "");
	pt_pod_free(&pod);
}

static void test_pod_list(void **state)
{
	struct pt_pod_list list;
	char body[8192], err[256];

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":"
		 "\"50000\"},\"items\":[%s,{\"metadata\":{\"name\":\"broken\"}},"
		 "{" MD "}]}\n",
		 running_pod);
	assert_int_equal(pt_pod_list_parse(body, strlen(body), &list, err, sizeof(err)), 0);
	assert_string_equal(list.resource_version, "50000");
	assert_int_equal(list.n_items, 2);
	assert_int_equal(list.n_skipped, 1);
	assert_non_null(strstr(err, "items[1]: pod /broken: metadata.namespace: missing"));
	assert_string_equal(list.items[0].name, "web-7d9f8b6c5d-x2x9q");
	assert_int_equal(list.items[0].n_containers, 4);
	assert_string_equal(list.items[1].name, "p");
	pt_pod_list_free(&list);

	/* Empty list, items null. */
	snprintf(body, sizeof(body),
		 "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":null}");
	assert_int_equal(pt_pod_list_parse(body, strlen(body), &list, err, sizeof(err)), 0);
	assert_int_equal(list.n_items, 0);
	assert_string_equal(list.resource_version, "7");
	pt_pod_list_free(&list);

	/* A Status where a list was expected, and plain garbage. */
	assert_int_equal(
	    pt_pod_list_parse("{\"kind\":\"Status\",\"code\":403}", 28, &list, err, sizeof(err)),
	    -EBADMSG);
	assert_non_null(strstr(err, "not PodList"));
	assert_int_equal(pt_pod_list_parse("<html>", 6, &list, err, sizeof(err)), -EBADMSG);
	assert_int_equal(pt_pod_list_parse("{\"items\":[]} x", 14, &list, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(pt_pod_list_parse("{\"items\":{}}", 12, &list, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "items: expected array"));
}

static void test_status_410(void **state)
{
	static const char body[] =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"too old resource version: 100 (2000)\",\"reason\":\"Expired\","
	    "\"code\":410}\n";
	struct pt_api_status st;

	(void)state;
	assert_int_equal(pt_status_parse(body, sizeof(body) - 1, &st), 0);
	assert_int_equal(st.code, 410);
	assert_string_equal(st.status, "Failure");
	assert_string_equal(st.reason, "Expired");
	assert_string_equal(st.message, "too old resource version: 100 (2000)");
	assert_int_equal(st.retry_after_seconds, 0);
}

static void test_status_retry_after_and_missing_fields(void **state)
{
	static const char throttled[] =
	    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"TooManyRequests\","
	    "\"details\":{\"retryAfterSeconds\":3},\"code\":429}";
	static const char bare[] = "{\"message\":\"forbidden\"}";
	static const char typed_wrong[] =
	    "{\"kind\":\"Status\",\"code\":\"410\",\"reason\":5,\"message\":null,"
	    "\"details\":[]}";
	struct pt_api_status st;

	(void)state;
	assert_int_equal(pt_status_parse(throttled, sizeof(throttled) - 1, &st), 0);
	assert_int_equal(st.code, 429);
	assert_int_equal(st.retry_after_seconds, 3);
	assert_string_equal(st.message, "");

	assert_int_equal(pt_status_parse(bare, sizeof(bare) - 1, &st), 0);
	assert_int_equal(st.code, 0);
	assert_string_equal(st.message, "forbidden");

	assert_int_equal(pt_status_parse(typed_wrong, sizeof(typed_wrong) - 1, &st), 0);
	assert_int_equal(st.code, 0);
	assert_string_equal(st.reason, "");
}

static void test_status_garbage(void **state)
{
	static const char *const bad[] = {
		"<html><body><h1>502 Bad Gateway</h1></body></html>",
		"",
		"null",
		"[]",
		"\"Status\"",
		"42",
		"{\"kind\":\"Status\"",
		"{\"kind\":\"Status\"} trailing",
		"{\"kind\":\"Pod\",\"code\":200}",
		"{\"foo\":\"bar\"}",
		"{'kind':'Status'}",
	};
	struct pt_api_status st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0x55, sizeof(st));
		if (pt_status_parse(bad[i], strlen(bad[i]), &st) != -EBADMSG)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(st.code, 0);
		assert_string_equal(st.message, "");
	}
	assert_int_equal(pt_status_parse(NULL, 0, &st), -EBADMSG);
	assert_int_equal(pt_status_from_json(NULL, &st), -EBADMSG);
}

static void test_status_long_message_truncated_on_utf8_boundary(void **state)
{
	struct pt_api_status st;
	char body[2048];
	size_t n;

	(void)state;
	/* "xx" then 2-byte characters: the cut lands inside one unless handled. */
	n = (size_t)snprintf(body, sizeof(body),
			     "{\"kind\":\"Status\",\"code\":403,\"message\":\"xx");
	for (int i = 0; i < 400; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\xc3\xa9");
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}");
	assert_int_equal(pt_status_parse(body, n, &st), 0);
	assert_int_equal(strlen(st.message), sizeof(st.message) - 2);
	assert_int_equal((unsigned char)st.message[strlen(st.message) - 1], 0xa9);
	assert_int_equal(st.code, 403);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running_pod),
		cmocka_unit_test(test_lookup_by_current_and_previous_id),
		cmocka_unit_test(test_pending_pod_spec_only),
		cmocka_unit_test(test_status_without_spec_and_deleting),
		cmocka_unit_test(test_missing_required_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_container_id_parse),
		cmocka_unit_test(test_odd_container_id_is_tolerated),
		cmocka_unit_test(test_pod_list),
		cmocka_unit_test(test_status_410),
		cmocka_unit_test(test_status_retry_after_and_missing_fields),
		cmocka_unit_test(test_status_garbage),
		cmocka_unit_test(test_status_long_message_truncated_on_utf8_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
