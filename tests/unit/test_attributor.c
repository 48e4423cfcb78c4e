// SPDX-License-Identifier: GPL-2.0
/*
 * The attributor against a real pod cache and event loop: what it emits,
 * when, with which pod and container, and what it counts, when the pod is
 * known, late, never known, or the hold is full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "k8s/attributor.h"
#include "loop_fixture.h"

#define UID_WEB "1b4c3a2e-0000-4000-8000-000000000001"
#define UID_NEW "1b4c3a2e-0000-4000-8000-000000000002"
#define CID_APP "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CID_NEW "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define MAX_GOT 8

/* One call of the emit callback, copied. */
struct got {
	uint32_t pid;
	char pod_uid[64]; /* from the placement */
	bool has_pod;
	struct pt_pod_ref pod;
};

struct fx {
	struct test_loop t;
	struct pt_pod_cache *cache;
	struct pt_attributor *a;
	struct got got[MAX_GOT];
	size_t n;
};

static void record(void *ctx, const struct pt_event *ev, const struct pt_placement *where,
		   const struct pt_pod_ref *pod)
{
	struct fx *f = ctx;
	struct got *g = &f->got[f->n++];

	assert_true(f->n <= MAX_GOT);
	g->pid = ev->pid;
	snprintf(g->pod_uid, sizeof(g->pod_uid), "%s", where->cgroup.pod_uid);
	g->has_pod = pod != NULL;
	if (pod)
		g->pod = *pod;
}

static struct fx *start(uint64_t hold_ns, size_t hold_max)
{
	struct pt_attributor_config cfg;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	test_loop_init(&f->t);
	assert_int_equal(pt_pod_cache_new(60 * TEST_SECOND_NS, &f->cache), 0);
	pt_attributor_default_config(&cfg);
	cfg.hold_ns = hold_ns;
	cfg.hold_max = hold_max;
	assert_int_equal(pt_attributor_new(f->t.loop, f->cache, &cfg, record, f, &f->a), 0);
	return f;
}

static void stop(struct fx *f)
{
	pt_attributor_free(f->a);
	pt_pod_cache_free(f->cache);
	test_loop_free(&f->t);
	free(f);
}

/* Pod shop/web-0 as the API server describes it; @cid "": the container has no id yet. */
static void add_pod(struct fx *f, const char *uid, const char *cid)
{
	char json[1024];
	struct json_object *o;
	struct pt_pod pod;
	char err[256];

	snprintf(json, sizeof(json),
		 "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"shop\",\"uid\":\"%s\","
		 "\"resourceVersion\":\"7\"},\"spec\":{\"nodeName\":\"node-1\","
		 "\"containers\":[{\"name\":\"app\"}]},\"status\":{\"phase\":\"Running\","
		 "\"containerStatuses\":[{\"name\":\"app\",\"containerID\":\"%s%s\"}]}}",
		 uid, cid[0] ? "containerd://" : "", cid);
	o = json_tokener_parse(json);
	assert_non_null(o);
	if (pt_pod_from_json(o, &pod, err, sizeof(err)))
		fail_msg("pod: %s", err);
	json_object_put(o);
	assert_int_equal(pt_pod_cache_upsert(f->cache, &pod, pt_now_ns()), 0);
	pt_pod_free(&pod);
}

/* A process of container @cid in pod @uid exited. */
static void submit(struct fx *f, uint32_t pid, const char *uid, const char *cid)
{
	struct pt_placement where;
	struct pt_event ev;

	memset(&ev, 0, sizeof(ev));
	memset(&where, 0, sizeof(where));
	ev.kind = PT_RECORD_EXIT;
	ev.pid = pid;
	snprintf(ev.comm, sizeof(ev.comm), "worker");
	where.cgroup.scope = PT_SCOPE_CONTAINER;
	snprintf(where.cgroup.pod_uid, sizeof(where.cgroup.pod_uid), "%s", uid);
	snprintf(where.cgroup.container_id, sizeof(where.cgroup.container_id), "%s", cid);
	pt_attributor_submit(f->a, &ev, &where);
}

static void assert_named(const struct got *g, uint32_t pid, const char *container)
{
	assert_int_equal(g->pid, pid);
	assert_true(g->has_pod);
	assert_string_equal(g->pod.namespace_, "shop");
	assert_string_equal(g->pod.name, "web-0");
	assert_string_equal(g->pod.container_name, container);
	assert_string_equal(g->pod.field_path, container[0] ? "spec.containers{app}" : "");
	assert_false(g->pod.from_runtime);
}

static bool nothing_waits(void *ctx)
{
	struct fx *f = ctx;

	return pt_attributor_waiting(f->a) == 0;
}

static void test_known_container_is_attributed_at_once(void **state)
{
	struct fx *f = start(TEST_SECOND_NS, 10);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);

	add_pod(f, UID_WEB, CID_APP);
	submit(f, 101, UID_WEB, CID_APP);
	assert_int_equal(f->n, 1);
	assert_named(&f->got[0], 101, "app");
	assert_string_equal(f->got[0].pod.uid, UID_WEB);
	assert_int_equal(s->from_api, 1);
	assert_int_equal(s->held, 0);
	assert_int_equal(pt_attributor_waiting(f->a), 0);
	stop(f);
}

static void test_host_process_goes_to_the_node(void **state)
{
	struct fx *f = start(TEST_SECOND_NS, 10);
	struct pt_placement where = { 0 };
	struct pt_event ev = { .kind = PT_RECORD_EXIT, .pid = 7 };

	where.cgroup.scope = PT_SCOPE_HOST;
	pt_attributor_submit(f->a, &ev, &where);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->got[0].pid, 7);
	assert_false(f->got[0].has_pod);
	assert_int_equal(pt_attributor_stats(f->a)->node, 1);
	stop(f);
}

static void test_unknown_pod_is_held_until_it_appears(void **state)
{
	struct fx *f = start(10 * TEST_SECOND_NS, 10);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);

	submit(f, 101, UID_WEB, CID_APP);
	submit(f, 102, UID_WEB, CID_APP);
	assert_int_equal(f->n, 0);
	assert_int_equal(pt_attributor_waiting(f->a), 2);
	assert_int_equal(s->held, 2);
	add_pod(f, UID_WEB, CID_APP);
	pt_attributor_pods_changed(f->a);
	assert_int_equal(f->n, 2);
	assert_named(&f->got[0], 101, "app"); /* in the order they came */
	assert_named(&f->got[1], 102, "app");
	assert_int_equal(s->late, 2);
	assert_int_equal(s->from_api, 2);
	assert_int_equal(s->unattributed, 0);
	assert_int_equal(pt_attributor_waiting(f->a), 0);
	stop(f);
}

static void test_container_id_arriving_in_a_later_status(void **state)
{
	struct fx *f = start(10 * TEST_SECOND_NS, 10);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);

	add_pod(f, UID_WEB, ""); /* the pod is known, its container's id not yet */
	submit(f, 101, UID_WEB, CID_APP);
	assert_int_equal(f->n, 0);
	pt_attributor_pods_changed(f->a); /* a change that does not name it: still held */
	assert_int_equal(f->n, 0);
	assert_int_equal(pt_attributor_waiting(f->a), 1);
	add_pod(f, UID_WEB, CID_APP);
	pt_attributor_pods_changed(f->a);
	assert_int_equal(f->n, 1);
	assert_named(&f->got[0], 101, "app");
	assert_int_equal(s->late, 1);
	assert_int_equal(s->pod_only, 0);
	stop(f);
}

static void test_hold_time_out_names_the_pod_alone(void **state)
{
	struct fx *f = start(50000000ULL, 10);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);
	uint64_t t0 = pt_now_ns();

	add_pod(f, UID_WEB, "");
	submit(f, 101, UID_WEB, CID_APP);
	assert_true(test_loop_run_until(&f->t, nothing_waits, f, 5 * TEST_SECOND_NS));
	assert_true(pt_now_ns() - t0 >= 50000000ULL);
	assert_int_equal(f->n, 1);
	assert_named(&f->got[0], 101, "");
	assert_int_equal(s->pod_only, 1);
	assert_int_equal(s->late, 0);
	assert_int_equal(s->unattributed, 0);
	stop(f);
}

static void test_hold_time_out_without_a_pod_drops_and_counts(void **state)
{
	struct fx *f = start(50000000ULL, 10);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);

	submit(f, 101, UID_NEW, CID_NEW);
	assert_true(test_loop_run_until(&f->t, nothing_waits, f, 5 * TEST_SECOND_NS));
	assert_int_equal(f->n, 0);
	assert_int_equal(s->unattributed, 1);
	assert_int_equal(s->held, 1);
	/* The pod arriving after the hold ran out brings nothing back. */
	add_pod(f, UID_NEW, CID_NEW);
	pt_attributor_pods_changed(f->a);
	assert_int_equal(f->n, 0);
	assert_int_equal(s->late, 0);
	stop(f);
}

static void test_hold_overflow_releases_the_oldest_to_its_pod(void **state)
{
	struct fx *f = start(10 * TEST_SECOND_NS, 2);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);

	add_pod(f, UID_WEB, "");
	submit(f, 101, UID_WEB, CID_APP);
	submit(f, 102, UID_WEB, CID_APP);
	assert_int_equal(f->n, 0);
	submit(f, 103, UID_WEB, CID_APP);
	/* The oldest went out early, to the pod alone; the newest waits. */
	assert_int_equal(f->n, 1);
	assert_named(&f->got[0], 101, "");
	assert_int_equal(s->hold_overflow, 1);
	assert_int_equal(s->pod_only, 1);
	assert_int_equal(s->held, 3);
	assert_int_equal(pt_attributor_waiting(f->a), 2);
	add_pod(f, UID_WEB, CID_APP);
	pt_attributor_pods_changed(f->a);
	assert_int_equal(f->n, 3);
	assert_named(&f->got[1], 102, "app");
	assert_named(&f->got[2], 103, "app");
	stop(f);
}

static void test_hold_overflow_drops_the_oldest_without_a_pod(void **state)
{
	struct fx *f = start(10 * TEST_SECOND_NS, 1);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);

	submit(f, 101, UID_NEW, CID_NEW);
	submit(f, 102, UID_WEB, CID_APP);
	assert_int_equal(f->n, 0);
	assert_int_equal(s->hold_overflow, 1);
	assert_int_equal(s->unattributed, 1);
	assert_int_equal(pt_attributor_waiting(f->a), 1);
	/* What is left is the newest. */
	add_pod(f, UID_WEB, CID_APP);
	pt_attributor_pods_changed(f->a);
	assert_int_equal(f->n, 1);
	assert_named(&f->got[0], 102, "app");
	stop(f);
}

static void test_full_hold_with_a_due_event_releases_nothing_early(void **state)
{
	struct fx *f = start(1000000ULL, 1);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);
	struct timespec ms5 = { 0, 5000000 };

	submit(f, 101, UID_NEW, CID_NEW);
	nanosleep(&ms5, NULL); /* its hold ran out; the timer has not run yet */
	submit(f, 102, UID_NEW, CID_NEW);
	assert_int_equal(s->unattributed, 1);
	assert_int_equal(s->hold_overflow, 0);
	assert_int_equal(pt_attributor_waiting(f->a), 1);
	stop(f);
}

static void test_release_all_at_shutdown(void **state)
{
	struct fx *f = start(10 * TEST_SECOND_NS, 10);
	const struct pt_attributor_stats *s = pt_attributor_stats(f->a);

	add_pod(f, UID_WEB, "");
	submit(f, 101, UID_WEB, CID_APP);
	submit(f, 102, UID_NEW, CID_NEW);
	pt_attributor_release_all(f->a);
	assert_int_equal(f->n, 1);
	assert_named(&f->got[0], 101, "");
	assert_int_equal(s->pod_only, 1);
	assert_int_equal(s->unattributed, 1);
	assert_int_equal(pt_attributor_waiting(f->a), 0);
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_container_is_attributed_at_once),
		cmocka_unit_test(test_host_process_goes_to_the_node),
		cmocka_unit_test(test_unknown_pod_is_held_until_it_appears),
		cmocka_unit_test(test_container_id_arriving_in_a_later_status),
		cmocka_unit_test(test_hold_time_out_names_the_pod_alone),
		cmocka_unit_test(test_hold_time_out_without_a_pod_drops_and_counts),
		cmocka_unit_test(test_hold_overflow_releases_the_oldest_to_its_pod),
		cmocka_unit_test(test_hold_overflow_drops_the_oldest_without_a_pod),
		cmocka_unit_test(test_full_hold_with_a_due_event_releases_nothing_early),
		cmocka_unit_test(test_release_all_at_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
