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
	struct api_stage st;
	struct pt_api_stats api;
	struct pt_pod_cache *cache;
	struct pt_pod_watcher *w;
	const struct pt_pod_watcher_stats *s;
	unsigned changed;
	bool (*until)(void *ctx);
	size_t want;	  /* requests the server must have seen */
	uint64_t watches; /* for watched(): watches started */
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
	api_stage_open(&f->st, key, steps);
	assert_int_equal(pt_pod_cache_new(60 * TEST_SECOND_NS, &f->cache), 0);
	assert_int_equal(pt_pod_watcher_new(f->st.t.loop, f->st.http, f->cache, "node-1", &f->api,
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
	api_stage_close(&f->st);
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
	reqs = api_requests(&api_srv, f->st.key);
	n = json_object_array_length(reqs);
	json_object_put(reqs);
	return n >= f->want;
}

/* Run until @until holds and the server saw @want requests; then read them. */
static void run(struct fx *f, bool (*until)(void *ctx), size_t want)
{
	f->until = until;
	f->want = want;
	assert_true(test_loop_run_until(&f->st.t, done, f, 15 * TEST_SECOND_NS));
	f->st.reqs = api_requests(&api_srv, f->st.key);
}

static void assert_request(struct fx *f, size_t i, const char *path)
{
	assert_string_equal(api_field(f->st.reqs, i, "method"), "GET");
	assert_string_equal(api_field(f->st.reqs, i, "path"), path);
	assert_string_equal(api_field(f->st.reqs, i, "auth"), "match:0");
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
	assert_int_equal(json_object_array_length(f->st.reqs), 2);
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

static bool watched(void *ctx)
{
	struct fx *f = ctx;

	return f->s->watches == f->watches;
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
	f->watches = 2;
	run(f, watched, 3);
	assert_int_equal(json_object_array_length(f->st.reqs), 3);
	assert_request(f, 1, WATCH_AT "10");
	assert_request(f, 2, WATCH_AT "15"); /* not a new list */
	assert_non_null(pt_pod_cache_by_uid(f->cache, UID0));
	assert_int_equal(f->s->watch_events, 1); /* the MODIFIED pod */
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

/*
 * The list at version 10 has web-0; the watch from it meets @gone; the
 * re-list at 20 has web-1 only, so web-0 becomes a tombstone.
 */
static void relists_after(const char *key, const char *gone)
{
	char steps[2048];
	struct fx *f;

	snprintf(steps, sizeof(steps),
		 "[" LIST_AT("10") ", %s, " LIST_AT("20") ", " QUIET_WATCH "]", pod(0, 9), gone,
		 pod(1, 19));
	f = start(key, steps);
	run(f, relisted_and_watching, 4);
	assert_request(f, 0, LIST);
	assert_request(f, 1, WATCH_AT "10");
	assert_request(f, 2, LIST);
	assert_request(f, 3, WATCH_AT "20");
	assert_int_equal(json_object_array_length(f->st.reqs), 4);
	assert_int_equal(f->s->relists_gone, 1);
	assert_int_equal(pt_pod_cache_size(f->cache), 1);
	assert_int_equal(pt_pod_cache_tombstones(f->cache), 1);
	assert_non_null(pt_pod_cache_by_uid(f->cache, UID1));
	assert_true(pt_pod_watcher_ready(f->w));
	stop(f);
}

static void test_gone_status_relists(void **state)
{
	relists_after("gone-status",
		      "{\"status\": 410, \"body\": {\"kind\": \"Status\", \"code\": 410, "
		      "\"reason\": \"Gone\"}}");
}

static void test_expired_error_event_relists(void **state)
{
	relists_after("gone-event",
		      "{\"lines\": [{\"type\": \"ERROR\", \"object\": {\"kind\": \"Status\", "
		      "\"code\": 410, \"reason\": \"Expired\", \"message\": \"too old resource "
		      "version\"}}], \"hold\": 60}");
}

static void test_errors_back_off_then_recover(void **state)
{
	char steps[2048];
	struct fx *f;

	snprintf(steps, sizeof(steps),
		 "[{\"status\": 500}, {\"status\": 503}, " LIST_AT("10") ", " QUIET_WATCH "]",
		 pod(0, 9));
	f = start("back-off", steps);
	f->watches = 1;
	run(f, watched, 4);
	assert_int_equal(json_object_array_length(f->st.reqs), 4);
	assert_request(f, 0, LIST);
	assert_request(f, 1, LIST);
	assert_request(f, 2, LIST);
	assert_request(f, 3, WATCH_AT "10");
	/* 0.5 s then 1 s, each jittered by half; the watch follows the list at once. */
	assert_true(api_gap_s(f->st.reqs, 1) >= 0.24);
	assert_true(api_gap_s(f->st.reqs, 2) >= 0.49);
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
