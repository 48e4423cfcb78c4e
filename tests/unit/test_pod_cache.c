// SPDX-License-Identifier: GPL-2.0
/*
 * The pod cache: lookups by uid and by every container id (a restarted
 * container's previous instance too), tombstones that late events still find,
 * and expiry that forgets them from every index.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s/pod_cache.h"

#define SECOND	  1000000000ULL
#define TOMBSTONE (120 * SECOND)
#define NPODS	  3000

static void make_id(char *out, unsigned pod, unsigned n)
{
	snprintf(out, PT_CONTAINER_ID_LEN + 1, "%08x%08x%048x", pod, n, 0);
}

static void make_uid(char *out, unsigned pod)
{
	snprintf(out, PT_POD_UID_LEN + 1, "%08x-0000-4000-8000-%012x", pod, pod);
}

/* A pod with two containers, the second restarted once (its last instance known). */
static void make_pod(struct pt_pod *p, unsigned n)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->namespace, sizeof(p->namespace), "churn");
	snprintf(p->name, sizeof(p->name), "pod-%u", n);
	make_uid(p->uid, n);
	p->containers = calloc(2, sizeof(*p->containers));
	assert_non_null(p->containers);
	p->n_containers = 2;
	snprintf(p->containers[0].name, sizeof(p->containers[0].name), "app");
	make_id(p->containers[0].id.id, n, 0);
	snprintf(p->containers[1].name, sizeof(p->containers[1].name), "sidecar");
	make_id(p->containers[1].id.id, n, 1);
	make_id(p->containers[1].last_id.id, n, 2);
}

static void add_pods(struct pt_pod_cache *c, unsigned from, unsigned to, uint64_t now)
{
	for (unsigned i = from; i < to; i++) {
		struct pt_pod p;

		make_pod(&p, i);
		assert_int_equal(pt_pod_cache_upsert(c, &p, now), 0);
		pt_pod_free(&p); /* the cache took its contents */
	}
}

static bool findable(struct pt_pod_cache *c, unsigned n)
{
	const struct pt_pod_container *pc = NULL;
	char uid[PT_POD_UID_LEN + 1], id[PT_CONTAINER_ID_LEN + 1];

	make_uid(uid, n);
	make_id(id, n, 2);
	return pt_pod_cache_by_uid(c, uid) && pt_pod_cache_by_container(c, id, &pc) && pc &&
	       !strcmp(pc->name, "sidecar");
}

static void test_lookup_by_every_container_id(void **state)
{
	const struct pt_pod_container *pc;
	struct pt_pod_cache *c;
	char id[PT_CONTAINER_ID_LEN + 1];

	assert_int_equal(pt_pod_cache_new(TOMBSTONE, &c), 0);
	add_pods(c, 0, 10, SECOND);
	make_id(id, 7, 0);
	assert_string_equal(pt_pod_cache_by_container(c, id, &pc)->name, "pod-7");
	assert_string_equal(pc->name, "app");
	make_id(id, 7, 2); /* the restarted sidecar's previous instance */
	assert_string_equal(pt_pod_cache_by_container(c, id, &pc)->name, "pod-7");
	assert_string_equal(pc->name, "sidecar");
	make_id(id, 70, 0);
	assert_null(pt_pod_cache_by_container(c, id, &pc));
	assert_int_equal(pt_pod_cache_size(c), 10);
	pt_pod_cache_free(c);
}

/* 30,000 pods churned, 500 alive at a time: after the tombstone time only the live remain. */
static void test_churned_pods_expire_from_every_index(void **state)
{
	struct pt_pod_cache *c;
	uint64_t now = SECOND;

	assert_int_equal(pt_pod_cache_new(TOMBSTONE, &c), 0);
	for (unsigned start = 0; start < NPODS; start += 500) {
		char uid[PT_POD_UID_LEN + 1];

		add_pods(c, start, start + 500, now);
		for (unsigned i = start; i < start + 500; i++) {
			make_uid(uid, i);
			pt_pod_cache_delete(c, uid, now);
		}
		now += SECOND;
		assert_int_equal(pt_pod_cache_expire(c, now), 0); /* too young to forget */
	}
	assert_int_equal(pt_pod_cache_size(c), 0);
	assert_int_equal(pt_pod_cache_tombstones(c), NPODS);
	/* Late events still find a deleted pod and its containers... */
	assert_true(findable(c, 42));
	assert_int_equal(pt_pod_cache_next_expiry(c), SECOND + TOMBSTONE);
	/* ... until its tombstone time is up. */
	assert_int_equal(pt_pod_cache_expire(c, SECOND + TOMBSTONE), 500);
	assert_false(findable(c, 42));
	assert_true(findable(c, 600));
	assert_int_equal(pt_pod_cache_expire(c, now + TOMBSTONE), NPODS - 500);
	assert_int_equal(pt_pod_cache_tombstones(c), 0);
	assert_int_equal(pt_pod_cache_next_expiry(c), 0);
	for (unsigned i = 0; i < NPODS; i += 97)
		assert_false(findable(c, i));
	/* What is live stays. */
	add_pods(c, 100000, 100010, now);
	assert_int_equal(pt_pod_cache_size(c), 10);
	assert_true(findable(c, 100003));
	pt_pod_cache_free(c);
}

/*
 * Pods deleted a millisecond apart: each expiry forgets what is due, and the
 * next comes min(tombstone / 8, 1 s) later, not at the next tombstone's time.
 */
static void expiries_are_spaced(uint64_t tombstone, uint64_t gap)
{
	const uint64_t ms = SECOND / 1000;
	struct pt_pod_cache *c;
	char uid[PT_POD_UID_LEN + 1];

	assert_int_equal(pt_pod_cache_new(tombstone, &c), 0);
	add_pods(c, 0, 2000, SECOND);
	for (unsigned i = 0; i < 2000; i++) {
		make_uid(uid, i);
		pt_pod_cache_delete(c, uid, SECOND + i * ms);
	}
	assert_int_equal(pt_pod_cache_next_expiry(c), SECOND + tombstone);
	assert_int_equal(pt_pod_cache_expire(c, SECOND + tombstone), 1);
	/* The next pod is due a millisecond later; the expiry waits for the gap. */
	assert_int_equal(pt_pod_cache_next_expiry(c), SECOND + tombstone + gap);
	assert_int_equal(pt_pod_cache_expire(c, SECOND + tombstone + gap), gap / ms);
	assert_true(findable(c, (unsigned)(gap / ms) + 1));
	assert_int_equal(pt_pod_cache_next_expiry(c), SECOND + tombstone + 2 * gap);
	pt_pod_cache_free(c);
}

static void test_expiries_under_churn_are_spaced(void **state)
{
	expiries_are_spaced(TOMBSTONE, SECOND);	     /* 120 s: a second apart */
	expiries_are_spaced(2 * SECOND, SECOND / 4); /* 2 s: an eighth of it */
}

/* A list that no longer has a pod makes it a tombstone, not a hole. */
static void test_relist_tombstones_what_is_gone(void **state)
{
	struct pt_pod_list list = { 0 };
	struct pt_pod_cache *c;

	assert_int_equal(pt_pod_cache_new(TOMBSTONE, &c), 0);
	add_pods(c, 0, 3, SECOND);
	list.items = calloc(1, sizeof(*list.items));
	list.n_items = 1;
	make_pod(&list.items[0], 1);
	assert_int_equal(pt_pod_cache_replace(c, &list, 2 * SECOND), 0);
	pt_pod_list_free(&list);
	assert_int_equal(pt_pod_cache_size(c), 1);
	assert_int_equal(pt_pod_cache_tombstones(c), 2);
	assert_true(findable(c, 0));
	assert_int_equal(pt_pod_cache_expire(c, 2 * SECOND + TOMBSTONE), 2);
	assert_false(findable(c, 0));
	assert_true(findable(c, 1));
	pt_pod_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_by_every_container_id),
		cmocka_unit_test(test_churned_pods_expire_from_every_index),
		cmocka_unit_test(test_relist_tombstones_what_is_gone),
		cmocka_unit_test(test_expiries_under_churn_are_spaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
