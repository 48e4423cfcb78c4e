// SPDX-License-Identifier: GPL-2.0
/*
 * The Event sink against a local HTTPS server that answers as scripted
 * (tests/unit/http_test_server.py, /script/<key>), in a real event loop:
 * what it writes, how it counts, how it retries (5xx, 429 with
 * Retry-After, 401 with a rotated token), what it gives up on, and the
 * flush at shutdown that skips the back-off.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "api_fixture.h"
#include "k8s/event_sink.h"
#include "loop_fixture.h"

#define UID	"1b4c3a2e-0000-4000-8000-000000000001"
#define CREATED "[{\"status\": 201, \"body\": {\"kind\": \"Event\"}}]"

struct fx {
	struct api_stage st;
	struct pt_api_stats api;
	struct pt_event_sink_config cfg;
	struct pt_event_sink *sink;
};

/* Answers scripted under the test's name; retries quick unless the test says otherwise. */
static struct fx *start(const char *key, const char *steps)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	api_stage_open(&f->st, key, steps);
	pt_event_sink_default_config(&f->cfg);
	f->cfg.backoff_base_ns = 20000000ULL;
	f->cfg.backoff_max_ns = 100000000ULL;
	return f;
}

static void open_sink(struct fx *f)
{
	assert_int_equal(pt_event_sink_new(f->st.t.loop, f->st.http, &f->cfg, &f->api, &f->sink),
			 0);
}

static void stop(struct fx *f)
{
	pt_event_sink_free(f->sink);
	api_stage_close(&f->st);
	free(f);
}

/* Container app of shop/web-0 exited: hand the report to the sink. */
static int emit(struct fx *f, enum pt_reason reason, const char *message)
{
	struct pt_event ev = { .kind = PT_RECORD_EXIT, .pid = 4242 };
	struct pt_placement where = { 0 };
	struct pt_report report = { .reason = reason, .warning = true };
	struct pt_pod_ref pod = {
		.namespace_ = "shop",
		.name = "web-0",
		.uid = UID,
		.container_name = "app",
		.field_path = "spec.containers{app}",
	};
	struct pt_emitted e = {
		.ev = &ev,
		.where = &where,
		.report = &report,
		.wall_ns = 1700000000123456789LL,
		.node = "node-1",
		.pod = &pod,
	};

	where.cgroup.scope = PT_SCOPE_CONTAINER;
	snprintf(report.message, sizeof(report.message), "%s", message);
	return pt_event_sink_emit(f->sink, &e);
}

static bool written(void *ctx)
{
	struct fx *f = ctx;

	return pt_event_sink_pending(f->sink) == 0;
}

static bool retried_once(void *ctx)
{
	struct fx *f = ctx;

	return pt_event_sink_stats(f->sink)->retries == 1;
}

/* Run until nothing is pending; then read what the server received. */
static void run(struct fx *f)
{
	assert_true(test_loop_run_until(&f->st.t, written, f, 15 * TEST_SECOND_NS));
	f->st.reqs = api_requests(&api_srv, f->st.key);
}

/* A string at @path ("a.b.c") in request @i's JSON body ("" when absent). */
static const char *body_str(struct fx *f, size_t i, const char *path)
{
	static char out[1024];
	struct json_object *o = json_tokener_parse(api_field(f->st.reqs, i, "body")), *v = o;
	char buf[128], *save = NULL;

	assert_non_null(o);
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(v, k, &v))
			v = NULL;
	snprintf(out, sizeof(out), "%s", v ? json_object_get_string(v) : "");
	json_object_put(o);
	return out;
}

static void test_event_is_posted_with_exact_fields(void **state)
{
	struct fx *f = start("posted", CREATED);
	const struct pt_event_sink_stats *s;

	open_sink(f);
	s = pt_event_sink_stats(f->sink);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "main process 4242 exited"), 0);
	assert_int_equal(pt_event_sink_pending(f->sink), 1);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 1);
	assert_string_equal(api_field(f->st.reqs, 0, "method"), "POST");
	assert_string_equal(api_field(f->st.reqs, 0, "path"), "/api/v1/namespaces/shop/events");
	assert_string_equal(api_field(f->st.reqs, 0, "content_type"), "application/json");
	assert_string_equal(api_field(f->st.reqs, 0, "auth"), "match:0");
	assert_string_equal(body_str(f, 0, "metadata.namespace"), "shop");
	assert_memory_equal(body_str(f, 0, "metadata.name"), "web-0.", 6);
	assert_string_equal(body_str(f, 0, "involvedObject.kind"), "Pod");
	assert_string_equal(body_str(f, 0, "involvedObject.namespace"), "shop");
	assert_string_equal(body_str(f, 0, "involvedObject.name"), "web-0");
	assert_string_equal(body_str(f, 0, "involvedObject.uid"), UID);
	assert_string_equal(body_str(f, 0, "involvedObject.fieldPath"), "spec.containers{app}");
	assert_string_equal(body_str(f, 0, "reason"), "ContainerExited");
	assert_string_equal(body_str(f, 0, "message"), "main process 4242 exited");
	assert_string_equal(body_str(f, 0, "type"), "Warning");
	assert_string_equal(body_str(f, 0, "count"), "1");
	assert_string_equal(body_str(f, 0, "source.component"), "podtrail");
	assert_string_equal(body_str(f, 0, "source.host"), "node-1");
	assert_string_equal(body_str(f, 0, "firstTimestamp"), "2023-11-14T22:13:20Z");
	assert_int_equal(s->received, 1);
	assert_int_equal(s->created, 1);
	assert_int_equal(s->retries, 0);
	assert_int_equal(s->failed, 0);
	stop(f);
}

static void test_the_same_event_again_patches_its_count(void **state)
{
	struct fx *f = start("patched", CREATED);
	char name[256];

	open_sink(f);
	assert_int_equal(emit(f, PT_REASON_PROCESS_CRASHED, "process 7 died of SIGSEGV"), 0);
	run(f);
	snprintf(name, sizeof(name), "%s", body_str(f, 0, "metadata.name"));
	json_object_put(f->st.reqs);
	assert_int_equal(emit(f, PT_REASON_PROCESS_CRASHED, "process 7 died of SIGSEGV"), 0);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 2);
	assert_string_equal(api_field(f->st.reqs, 1, "method"), "PATCH");
	assert_memory_equal(api_field(f->st.reqs, 1, "path"), "/api/v1/namespaces/shop/events/",
			    31);
	assert_string_equal(api_field(f->st.reqs, 1, "path") + 31, name);
	assert_string_equal(api_field(f->st.reqs, 1, "content_type"),
			    "application/strategic-merge-patch+json");
	assert_string_equal(body_str(f, 1, "count"), "2");
	assert_int_equal(pt_event_sink_stats(f->sink)->created, 1);
	assert_int_equal(pt_event_sink_stats(f->sink)->patched, 1);
	stop(f);
}

static void test_full_queue_refuses_and_counts(void **state)
{
	struct fx *f = start("overflow", CREATED);
	const struct pt_event_sink_stats *s;

	f->cfg.queue_max = 2;
	open_sink(f);
	s = pt_event_sink_stats(f->sink);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "one"), 0);
	assert_int_equal(emit(f, PT_REASON_PROCESS_CRASHED, "two"), 0);
	assert_int_equal(emit(f, PT_REASON_OOM_KILLED, "three"), -ENOSPC);
	assert_int_equal(s->queue_overflow, 1);
	assert_int_equal(pt_event_sink_pending(f->sink), 2);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 2);
	assert_int_equal(s->created, 2);
	assert_int_equal(s->received, 3);
	stop(f);
}

static void test_server_error_is_retried(void **state)
{
	struct fx *f = start("retry-5xx", "[{\"status\": 500}, {\"status\": 201}]");
	const struct pt_event_sink_stats *s;
	char first[256];

	open_sink(f);
	s = pt_event_sink_stats(f->sink);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "exited"), 0);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 2);
	snprintf(first, sizeof(first), "%s", body_str(f, 0, "metadata.name"));
	assert_string_equal(api_field(f->st.reqs, 1, "method"), "POST");
	assert_string_equal(body_str(f, 1, "metadata.name"), first); /* the same object */
	assert_true(api_gap_s(f->st.reqs, 1) >= 0.009); /* 20 ms back-off, jittered by half */
	assert_int_equal(s->retries, 1);
	assert_int_equal(s->created, 1);
	assert_int_equal(s->failed, 0);
	stop(f);
}

static void test_too_many_requests_waits_for_retry_after(void **state)
{
	struct fx *f =
	    start("retry-429", "[{\"status\": 429, \"headers\": [[\"Retry-After\", \"1\"]]},"
			       " {\"status\": 201}]");

	open_sink(f);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "exited"), 0);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 2);
	assert_true(api_gap_s(f->st.reqs, 1) >= 0.99);
	assert_int_equal(pt_event_sink_stats(f->sink)->retries, 1);
	assert_int_equal(pt_event_sink_stats(f->sink)->created, 1);
	stop(f);
}

static void test_unauthorized_is_retried_with_the_rotated_token(void **state)
{
	/* The 401 comes as the kubelet rotates the token file. */
	struct fx *f =
	    start("retry-401", "[{\"status\": 401, \"token\": \"tok-two\"}, {\"status\": 201}]");

	open_sink(f);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "exited"), 0);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 2);
	assert_string_equal(api_field(f->st.reqs, 0, "auth"), "match:0");
	assert_string_equal(api_field(f->st.reqs, 1, "auth"), "match:1");
	assert_int_equal(pt_event_sink_stats(f->sink)->retries, 1);
	assert_int_equal(pt_event_sink_stats(f->sink)->created, 1);
	stop(f);
}

static void test_forbidden_is_not_retried(void **state)
{
	struct fx *f = start("forbidden", "[{\"status\": 403, \"body\": {\"kind\": \"Status\", "
					  "\"code\": 403, \"message\": \"events is forbidden\"}}]");
	const struct pt_event_sink_stats *s;

	open_sink(f);
	s = pt_event_sink_stats(f->sink);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "exited"), 0);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 1);
	assert_int_equal(s->failed, 1);
	assert_int_equal(s->retries, 0);
	assert_int_equal(s->created, 0);
	stop(f);
}

static void test_gives_up_after_the_last_try(void **state)
{
	struct fx *f = start("give-up", "[{\"status\": 503}]");
	const struct pt_event_sink_stats *s;

	f->cfg.max_tries = 3;
	open_sink(f);
	s = pt_event_sink_stats(f->sink);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "exited"), 0);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 3);
	assert_int_equal(s->retries, 2);
	assert_int_equal(s->failed, 1);
	assert_int_equal(s->created, 0);
	stop(f);
}

static void test_shutdown_flush_skips_the_back_off(void **state)
{
	struct fx *f = start("flush", "[{\"status\": 500}, {\"status\": 201}]");

	f->cfg.backoff_base_ns = 30 * TEST_SECOND_NS; /* longer than the test may take */
	f->cfg.backoff_max_ns = 30 * TEST_SECOND_NS;
	open_sink(f);
	assert_int_equal(emit(f, PT_REASON_CONTAINER_EXITED, "exited"), 0);
	assert_true(test_loop_run_until(&f->st.t, retried_once, f, 10 * TEST_SECOND_NS));
	assert_int_equal(pt_event_sink_pending(f->sink), 1);
	pt_event_sink_flush_now(f->sink);
	run(f);
	assert_int_equal(json_object_array_length(f->st.reqs), 2);
	assert_true(api_gap_s(f->st.reqs, 1) < 10);
	assert_int_equal(pt_event_sink_stats(f->sink)->created, 1);
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_is_posted_with_exact_fields),
		cmocka_unit_test(test_the_same_event_again_patches_its_count),
		cmocka_unit_test(test_full_queue_refuses_and_counts),
		cmocka_unit_test(test_server_error_is_retried),
		cmocka_unit_test(test_too_many_requests_waits_for_retry_after),
		cmocka_unit_test(test_unauthorized_is_retried_with_the_rotated_token),
		cmocka_unit_test(test_forbidden_is_not_retried),
		cmocka_unit_test(test_gives_up_after_the_last_try),
		cmocka_unit_test(test_shutdown_flush_skips_the_back_off),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmocka_run_group_tests(tests, api_group_setup, api_group_teardown);
	curl_global_cleanup();
	return ret;
}
