// SPDX-License-Identifier: GPL-2.0
/*
 * The pod watcher against a local HTTPS server that answers as scripted
 * (tests/unit/http_test_server.py, /script/<key>), in a real event loop:
 * the requests it makes (list, then watch from the list's version), how it
 * resumes an ended watch, re-lists after 410 Gone (status or ERROR event),
 * and backs off while the server fails, then recovers.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "api_fixture.h"
#include "k8s/pod_watcher.h"
#include "loop_fixture.h"

#define UID0	 "1b4c3a2e-0000-4000-8000-000000000000"
#define UID1	 "1b4c3a2e-0000-4000-8000-000000000001"
#define LIST	 "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1"
#define WATCH_AT LIST "&watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion="
/* A PodList at resourceVersion @rv whose items are a %s. */
#define LIST_AT(rv)                                                                                \
	"{\"body\": {\"kind\": \"PodList\", \"metadata\": {\"resourceVersion\": \"" rv "\"}, "     \
	"\"items\": [%s]}}"
/* A watch that stays open, quiet, for longer than any test. */
#define QUIET_WATCH "{\"lines\": [], \"hold\": 60}"

struct fx {
	const char *key;
	struct test_loop t;
	struct pt_kube_config kube;
	struct pt_http *http;
	struct pt_api_stats api;
	struct pt_pod_cache *cache;
	struct pt_pod_watcher *w;
	const struct pt_pod_watcher_stats *s;
	unsigned changed;
	bool (*until)(void *ctx);
	size_t want; /* requests the server must have seen */
	struct json_object *reqs;
};

/* Pod web-<n> (uid UID<n>) of node-1 at resourceVersion @rv, as JSON. */
static const char *pod(int n, int rv)
{
	static char buf[2][512];
	char *b = buf[n & 1];

	snprintf(b, sizeof(buf[0]),
		 "{\"metadata\": {\"name\": \"web-%d\", \"namespace\": \"shop\", \"uid\": "
		 "\"1b4c3a2e-0000-4000-8000-00000000000%d\", \"resourceVersion\": \"%d\"}, "
		 "\"spec\": {\"nodeName\": \"node-1\", \"containers\": [{\"name\": \"app\"}]}}",
		 n, n, rv);
	return b;
}

static void pods_changed(void *ctx)
{
	struct fx *f = ctx;

	f->changed++;
}

static struct fx *start(const char *key, const char *steps)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->key = key;
	api_script(&api_srv, key, steps);
	test_loop_init(&f->t);
	api_client(&api_srv, key, f->t.loop, &f->kube, &f->http);
	assert_int_equal(pt_pod_cache_new(60 * TEST_SECOND_NS, &f->cache), 0);
	assert_int_equal(pt_pod_watcher_new(f->t.loop, f->http, f->cache, "node-1", &f->api,
					    pods_changed, f, &f->w),
			 0);
	f->s = pt_pod_watcher_stats(f->w);
	assert_int_equal(pt_pod_watcher_start(f->w), 0);
	assert_false(pt_pod_watcher_ready(f->w));
	return f;
}

static void stop(struct fx *f)
{
	pt_pod_watcher_free(f->w);
	pt_pod_cache_free(f->cache);
	pt_http_free(f->http);
	pt_kube_config_free(&f->kube);
	test_loop_free(&f->t);
	json_object_put(f->reqs);
	free(f);
}

/* The watcher counts a request when it sends it: wait for the server to log it too. */
static bool done(void *ctx)
{
	struct fx *f = ctx;
	struct json_object *reqs;
	size_t n;

	if (!f->until(f))
		return false;
	reqs = api_requests(&api_srv, f->key);
	n = json_object_array_length(reqs);
	json_object_put(reqs);
	return n >= f->want;
}

/* Run until @until holds and the server saw @want requests; then read them. */
static void run(struct fx *f, bool (*until)(void *ctx), size_t want)
{
	f->until = until;
	f->want = want;
	assert_true(test_loop_run_until(&f->t, done, f, 15 * TEST_SECOND_NS));
	f->reqs = api_requests(&api_srv, f->key);
}

static void assert_request(struct fx *f, size_t i, const char *path)
{
	assert_string_equal(api_field(f->reqs, i, "method"), "GET");
	assert_string_equal(api_field(f->reqs, i, "path"), path);
	assert_string_equal(api_field(f->reqs, i, "auth"), "match:0");
}

static bool second_pod_known(void *ctx)
{
	struct fx *f = ctx;

	return pt_pod_cache_by_uid(f->cache, UID1) != NULL;
}

static void test_lists_then_watches_from_the_list_version(void **state)
{
	char steps[2048];
	struct fx *f;

	snprintf(
	    steps, sizeof(steps),
	    "[" LIST_AT("10") ", "
			      "{\"lines\": [{\"type\": \"ADDED\", \"object\": %s}], \"hold\": 60}]",
	    pod(0, 9), pod(1, 11));
	f = start("list-watch", steps);
	run(f, second_pod_known, 2);
	assert_int_equal(json_object_array_length(f->reqs), 2);
	assert_request(f, 0, LIST);
	assert_request(f, 1, WATCH_AT "10");
	assert_true(pt_pod_watcher_ready(f->w));
	assert_string_equal(pt_pod_cache_by_uid(f->cache, UID0)->name, "web-0");
	assert_string_equal(pt_pod_cache_by_uid(f->cache, UID1)->name, "web-1");
	assert_int_equal(f->changed, 2); /* the list, the ADDED pod */
	assert_int_equal(f->s->lists, 1);
	assert_int_equal(f->s->watches, 1);
	assert_int_equal(f->s->watch_events, 1);
	assert_int_equal(f->s->failures, 0);
	stop(f);
}

static bool watched_twice(void *ctx)
{
	struct fx *f = ctx;

	return f->s->watches == 2;
}

static void test_ended_watch_resumes_from_the_last_version(void **state)
{
	char steps[2048];
	struct fx *f;

	snprintf(
	    steps, sizeof(steps),
	    "[" LIST_AT(
		"10") ", "
		      "{\"lines\": [{\"type\": \"MODIFIED\", \"object\": %s}, {\"type\": "
		      "\"BOOKMARK\", "
		      "\"object\": {\"metadata\": {\"resourceVersion\": \"15\"}}}]}, " QUIET_WATCH
		      "]",
	    pod(0, 9), pod(0, 12));
	f = start("resume", steps);
	run(f, watched_twice, 3);
	assert_int_equal(json_object_array_length(f->reqs), 3);
	assert_request(f, 1, WATCH_AT "10");
	assert_request(f, 2, WATCH_AT "15"); /* not a new list */
	assert_string_equal(pt_pod_cache_by_uid(f->cache, UID0)->resource_version, "12");
	assert_int_equal(f->s->lists, 1);
	assert_int_equal(f->s->restarts, 1);
	assert_int_equal(f->s->relists_gone, 0);
	assert_int_equal(f->s->failures, 0);
	stop(f);
}

static bool relisted_and_watching(void *ctx)
{
	struct fx *f = ctx;

	return f->s->lists == 2 && f->s->watches == 2;
}

/* After a re-list: web-1 only, web-0 a tombstone; the watch from the new version. */
static void assert_relisted(struct fx *f)
{
	assert_int_equal(json_object_array_length(f->reqs), 4);
	assert_request(f, 0, LIST);
	assert_request(f, 1, WATCH_AT "10");
	assert_request(f, 2, LIST);
	assert_request(f, 3, WATCH_AT "20");
	assert_int_equal(f->s->relists_gone, 1);
	assert_int_equal(pt_pod_cache_size(f->cache), 1);
	assert_int_equal(pt_pod_cache_tombstones(f->cache), 1);
	assert_non_null(pt_pod_cache_by_uid(f->cache, UID1));
	assert_true(pt_pod_watcher_ready(f->w));
}

static void test_gone_status_relists(void **state)
{
	char steps[2048];
	struct fx *f;

	snprintf(steps, sizeof(steps),
		 "[" LIST_AT("10") ", "
				   "{\"status\": 410, \"body\": {\"kind\": \"Status\", \"code\": "
				   "410, \"reason\": "
				   "\"Gone\"}}, " LIST_AT("20") ", " QUIET_WATCH "]",
		 pod(0, 9), pod(1, 19));
	f = start("gone-status", steps);
	run(f, relisted_and_watching, 4);
	assert_relisted(f);
	stop(f);
}

static void test_expired_error_event_relists(void **state)
{
	char steps[2048];
	struct fx *f;

	snprintf(
	    steps, sizeof(steps),
	    "[" LIST_AT(
		"10") ", "
		      "{\"lines\": [{\"type\": \"ERROR\", \"object\": {\"kind\": \"Status\", "
		      "\"code\": "
		      "410, \"reason\": \"Expired\", \"message\": \"too old resource version\"}}], "
		      "\"hold\": 60}, " LIST_AT("20") ", " QUIET_WATCH "]",
	    pod(0, 9), pod(1, 19));
	f = start("gone-event", steps);
	run(f, relisted_and_watching, 4);
	assert_relisted(f);
	stop(f);
}

static bool watching(void *ctx)
{
	struct fx *f = ctx;

	return f->s->watches == 1;
}

static void test_errors_back_off_then_recover(void **state)
{
	char steps[2048];
	struct fx *f;

	snprintf(steps, sizeof(steps),
		 "[{\"status\": 500}, {\"status\": 503}, " LIST_AT("10") ", " QUIET_WATCH "]",
		 pod(0, 9));
	f = start("back-off", steps);
	run(f, watching, 4);
	assert_int_equal(json_object_array_length(f->reqs), 4);
	assert_request(f, 0, LIST);
	assert_request(f, 1, LIST);
	assert_request(f, 2, LIST);
	assert_request(f, 3, WATCH_AT "10");
	/* 0.5 s then 1 s, each jittered by half; the watch follows the list at once. */
	assert_true(api_gap_s(f->reqs, 1) >= 0.24);
	assert_true(api_gap_s(f->reqs, 2) >= 0.49);
	assert_int_equal(f->s->failures, 2);
	assert_int_equal(f->s->lists, 3);
	assert_true(pt_pod_watcher_ready(f->w));
	assert_non_null(pt_pod_cache_by_uid(f->cache, UID0));
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists_then_watches_from_the_list_version),
		cmocka_unit_test(test_ended_watch_resumes_from_the_last_version),
		cmocka_unit_test(test_gone_status_relists),
		cmocka_unit_test(test_expired_error_event_relists),
		cmocka_unit_test(test_errors_back_off_then_recover),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmocka_run_group_tests(tests, api_group_setup, api_group_teardown);
	curl_global_cleanup();
	return ret;
}
