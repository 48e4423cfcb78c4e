// SPDX-License-Identifier: GPL-2.0
/*
 * The event correlator against client-go's own conformance table
 * (tools/record/events_cache_test.go: TestEventCorrelator, TestEventSpamFilter)
 * plus the token refill, the LRU bound, the clocks and the name format.
 *
 * client-go's test clock (SimpleIntervalClock) advances on every Now() call,
 * three per event; this fake clock moves only when a test moves it, so each
 * scenario states the real gap between its events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/event_correlator.h"
#include "k8s/lru.h"

#define NSEC	 1000000000LL
#define T0	 (1700000000LL * NSEC) /* any wall-clock start */
#define AGG_MAX	 10		       /* client-go's defaultAggregateMaxEvents */
#define AGG_S	 600		       /* defaultAggregateIntervalInSeconds */
#define BURST	 25		       /* defaultSpamBurst */
#define COMBINED PT_AGGREGATE_MSG_PREFIX

struct fake_clock {
	int64_t now;
};

static uint64_t fake_now(void *ctx)
{
	return (uint64_t)((struct fake_clock *)ctx)->now;
}

static void set_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

#define SET(ev, field, val) set_str((ev)->field, sizeof((ev)->field), (val))

/* client-go's makeObjectReference + makeEvent, timestamps left to the caller. */
static struct pt_k8s_event make_event(const char *reason, const char *message, const char *kind,
				      const char *name, const char *ns)
{
	struct pt_k8s_event ev;

	memset(&ev, 0, sizeof(ev));
	SET(&ev, involved.kind, kind);
	SET(&ev, involved.name, name);
	SET(&ev, involved.namespace_, ns);
	SET(&ev, involved.uid, "C934D34AFB20242");
	SET(&ev, involved.api_version, "version");
	SET(&ev, involved.field_path, "spec.containers{mycontainer}");
	SET(&ev, source_component, "kubelet");
	SET(&ev, source_host, "kublet.node1");
	SET(&ev, type, "Normal");
	SET(&ev, reason, reason);
	SET(&ev, message, message);
	ev.count = 1;
	return ev;
}

static struct pt_k8s_event pod_event(const char *reason, const char *message)
{
	return make_event(reason, message, "Pod", "my-pod", "my-ns");
}

static void stamp(struct pt_k8s_event *ev, int64_t t)
{
	ev->first_ns = ev->last_ns = t;
}

static void expect_name(const struct pt_k8s_event *ev, const char *ref, int64_t t)
{
	char want[PT_EVENT_NAME_MAX + 1];

	snprintf(want, sizeof(want), "%s.%" PRIx64, ref, (uint64_t)t);
	assert_string_equal(ev->name, want);
}

/* Correlate, then play the API server: a written event comes back as written. */
static struct pt_correlate_result correlate_and_write(struct pt_correlator *c,
						      const struct pt_k8s_event *ev)
{
	struct pt_correlate_result res;

	assert_int_equal(pt_correlator_correlate(c, ev, &res), 0);
	if (res.action != PT_CORRELATE_SKIP)
		assert_int_equal(pt_correlator_update_state(c, &res.event), 0);
	return res;
}

/* ---- TestEventCorrelator ---- */

enum tmpl {
	T_FIRST,
	T_DUPLICATE,
	T_UNIQUE,
	T_SIMILAR,		   /* fieldPath spec.containers{container1} */
	T_SIMILAR_OTHER_CONTAINER, /* the same in spec.containers{container2} */
};

enum prev_kind {
	PREV_SAME,    /* makeEvents: n copies of the template */
	PREV_UNIQUE,  /* makeUniqueEvents: n other pods, reasons, messages */
	PREV_SIMILAR, /* makeSimilarEvents: n messages "<msg>-<i>-<msg>" */
};

struct correlator_scenario {
	const char *name;
	enum prev_kind prev_kind;
	enum tmpl prev;
	int n_prev;
	enum tmpl new_event;
	int64_t interval_s; /* between consecutive events */
	/* expected */
	enum pt_correlate_action action;
	int32_t count;
	bool combined; /* message is "(combined from similar events): " + message */
	int origin;    /* event that named the object: index in prev, -1 the new one */
};

static struct pt_k8s_event template_event(enum tmpl t)
{
	struct pt_k8s_event ev;

	switch (t) {
	case T_FIRST:
		return pod_event("first", "i am first");
	case T_DUPLICATE:
		return pod_event("duplicate", "me again");
	case T_UNIQUE:
		return pod_event("unique", "snowflake");
	case T_SIMILAR:
		ev = pod_event("similar", "similar message");
		SET(&ev, involved.field_path, "spec.containers{container1}");
		return ev;
	case T_SIMILAR_OTHER_CONTAINER:
		ev = pod_event("similar", "similar message");
		SET(&ev, involved.field_path, "spec.containers{container2}");
		return ev;
	}
	fail();
	return ev;
}

static struct pt_k8s_event prev_event(const struct correlator_scenario *sc, int i)
{
	struct pt_k8s_event ev = template_event(sc->prev);
	char buf[64];

	switch (sc->prev_kind) {
	case PREV_SAME:
		break;
	case PREV_UNIQUE:
		snprintf(buf, sizeof(buf), "reason-%d", i);
		SET(&ev, reason, buf);
		snprintf(buf, sizeof(buf), "message-%d", i);
		SET(&ev, message, buf);
		snprintf(buf, sizeof(buf), "pod-%d", i);
		SET(&ev, involved.name, buf);
		snprintf(buf, sizeof(buf), "ns-%d", i);
		SET(&ev, involved.namespace_, buf);
		break;
	case PREV_SIMILAR:
		snprintf(ev.message, sizeof(ev.message), "%s-%d-%s", "similar message", i,
			 "similar message");
		break;
	}
	return ev;
}

static const struct correlator_scenario correlator_scenarios[] = {
	{
	    .name = "create-a-single-event",
	    .n_prev = 0,
	    .new_event = T_FIRST,
	    .interval_s = 5,
	    .action = PT_CORRELATE_CREATE,
	    .count = 1,
	    .origin = -1,
	},
	{
	    .name = "the-same-event-should-just-count",
	    .prev_kind = PREV_SAME,
	    .prev = T_DUPLICATE,
	    .n_prev = 1,
	    .new_event = T_DUPLICATE,
	    .interval_s = 5,
	    .action = PT_CORRELATE_PATCH,
	    .count = 2,
	    .origin = 0,
	},
	{
	    .name = "the-same-event-should-just-count-even-if-more-than-aggregate",
	    .prev_kind = PREV_SAME,
	    .prev = T_DUPLICATE,
	    .n_prev = AGG_MAX,
	    .new_event = T_DUPLICATE,
	    .interval_s = 30,
	    .action = PT_CORRELATE_PATCH,
	    .count = AGG_MAX + 1,
	    .origin = 0,
	},
	{
	    .name = "the-same-event-is-spam-if-happens-too-frequently",
	    .prev_kind = PREV_SAME,
	    .prev = T_DUPLICATE,
	    .n_prev = BURST + 1,
	    .new_event = T_DUPLICATE,
	    .interval_s = 1,
	    .action = PT_CORRELATE_SKIP,
	},
	{
	    /* Not in client-go's table: the burst's last token still writes. */
	    .name = "the-burst-th-event-is-not-spam",
	    .prev_kind = PREV_SAME,
	    .prev = T_DUPLICATE,
	    .n_prev = BURST - 1,
	    .new_event = T_DUPLICATE,
	    .interval_s = 1,
	    .action = PT_CORRELATE_PATCH,
	    .count = BURST,
	    .origin = 0,
	},
	{
	    .name = "create-many-unique-events",
	    .prev_kind = PREV_UNIQUE,
	    .prev = T_FIRST,
	    .n_prev = 30,
	    .new_event = T_UNIQUE,
	    .interval_s = 5,
	    .action = PT_CORRELATE_CREATE,
	    .count = 1,
	    .origin = -1,
	},
	{
	    .name = "similar-events-should-aggregate-event",
	    .prev_kind = PREV_SIMILAR,
	    .prev = T_SIMILAR,
	    .n_prev = AGG_MAX - 1,
	    .new_event = T_SIMILAR,
	    .interval_s = 5,
	    .action = PT_CORRELATE_CREATE,
	    .count = 1,
	    .combined = true,
	    .origin = -1,
	},
	{
	    /* Not in client-go's table: one below the threshold. */
	    .name = "fewer-similar-events-than-the-threshold-do-not-aggregate",
	    .prev_kind = PREV_SIMILAR,
	    .prev = T_SIMILAR,
	    .n_prev = AGG_MAX - 2,
	    .new_event = T_SIMILAR,
	    .interval_s = 5,
	    .action = PT_CORRELATE_CREATE,
	    .count = 1,
	    .origin = -1,
	},
	{
	    .name = "similar-events-many-times-should-count-the-aggregate",
	    .prev_kind = PREV_SIMILAR,
	    .prev = T_SIMILAR,
	    .n_prev = AGG_MAX,
	    .new_event = T_SIMILAR,
	    .interval_s = 5,
	    .action = PT_CORRELATE_PATCH,
	    .count = 2,
	    .combined = true,
	    .origin = AGG_MAX - 1, /* the aggregate was created by the 10th */
	},
	{
	    .name = "events-from-different-containers-do-not-aggregate",
	    .prev_kind = PREV_SAME,
	    .prev = T_SIMILAR_OTHER_CONTAINER,
	    .n_prev = 1,
	    .new_event = T_SIMILAR,
	    .interval_s = 5,
	    .action = PT_CORRELATE_CREATE,
	    .count = 1,
	    .origin = -1,
	},
	{
	    /* client-go's clock makes its gaps 3 x 600 s; one second over is enough. */
	    .name = "similar-events-whose-interval-is-greater-than-aggregate-interval-do-not-"
		    "aggregate",
	    .prev_kind = PREV_SIMILAR,
	    .prev = T_SIMILAR,
	    .n_prev = AGG_MAX - 1,
	    .new_event = T_SIMILAR,
	    .interval_s = AGG_S + 1,
	    .action = PT_CORRELATE_CREATE,
	    .count = 1,
	    .origin = -1,
	},
	{
	    /* Not in client-go's table: the window is "longer than", not "at least". */
	    .name = "similar-events-exactly-the-aggregate-interval-apart-still-aggregate",
	    .prev_kind = PREV_SIMILAR,
	    .prev = T_SIMILAR,
	    .n_prev = AGG_MAX - 1,
	    .new_event = T_SIMILAR,
	    .interval_s = AGG_S,
	    .action = PT_CORRELATE_CREATE,
	    .count = 1,
	    .combined = true,
	    .origin = -1,
	},
};

static void run_correlator_scenario(void **state)
{
	const struct correlator_scenario *sc = *state;
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event ev, want;
	int64_t prev_t[64];
	int64_t origin_t;
	char msg[sizeof(COMBINED) + PT_EVENT_MESSAGE_MAX];

	assert_true(sc->n_prev <= (int)(sizeof(prev_t) / sizeof(prev_t[0])));
	assert_int_equal(pt_correlator_new(NULL, fake_now, &clk, &c), 0);
	for (int i = 0; i < sc->n_prev; i++) {
		clk.now += sc->interval_s * NSEC;
		ev = prev_event(sc, i);
		stamp(&ev, clk.now);
		prev_t[i] = clk.now;
		correlate_and_write(c, &ev);
	}

	clk.now += sc->interval_s * NSEC;
	want = template_event(sc->new_event);
	ev = want;
	stamp(&ev, clk.now);
	res = correlate_and_write(c, &ev);

	assert_int_equal(res.action, sc->action);
	if (sc->action != PT_CORRELATE_SKIP) {
		assert_int_equal(res.event.count, sc->count);
		snprintf(msg, sizeof(msg), "%s%s", sc->combined ? COMBINED : "", want.message);
		assert_string_equal(res.event.message, msg);
		assert_string_equal(res.event.reason, want.reason);
		assert_string_equal(res.event.type, want.type);
		assert_string_equal(res.event.namespace_, "my-ns");
		assert_memory_equal(&res.event.involved, &want.involved, sizeof(want.involved));
		assert_string_equal(res.event.source_component, "kubelet");
		assert_string_equal(res.event.source_host, "kublet.node1");

		/* Named after, and first seen at, the event that created the object. */
		origin_t = sc->origin < 0 ? clk.now : prev_t[sc->origin];
		expect_name(&res.event, "my-pod", origin_t);
		assert_int_equal(res.event.first_ns, origin_t);
		assert_int_equal(res.event.last_ns, clk.now);
		/* client-go's validateEvent: equal timestamps iff count is 1. */
		assert_true((res.event.first_ns == res.event.last_ns) == (res.event.count == 1));
	}
	pt_correlator_free(c);
}

/* ---- TestEventSpamFilter: burst 1, events 1 s apart ---- */

enum spam_new {
	S_DIFFERENT_REASON, /* "duplicate", "me again" */
	S_SAME_REASON,	    /* "original", "me again" */
	S_DIFFERENT_TYPE,   /* "original", "me again", Warning */
};

struct spam_scenario {
	const char *name;
	bool with_reason;
	enum spam_new new_event;
	enum pt_correlate_action action;
};

static const struct spam_scenario spam_scenarios[] = {
	{
	    .name = "event should be reported as spam if object reference is the same for "
		    "default spam filter",
	    .new_event = S_DIFFERENT_REASON,
	    .action = PT_CORRELATE_SKIP,
	},
	{
	    .name = "event should not be reported as spam if object reference is the same, "
		    "but reason is different for custom spam filter",
	    .with_reason = true,
	    .new_event = S_DIFFERENT_REASON,
	    .action = PT_CORRELATE_CREATE,
	},
	{
	    .name = "event should be reported as spam if object reference and reason is the "
		    "same, but message is different for custom spam filter",
	    .with_reason = true,
	    .new_event = S_SAME_REASON,
	    .action = PT_CORRELATE_SKIP,
	},
	{
	    /* client-go >= 1.31 (getSpamKey gained event.Type). */
	    .name = "event should not be reported as spam if only the type differs for default "
		    "spam filter",
	    .new_event = S_DIFFERENT_TYPE,
	    .action = PT_CORRELATE_CREATE,
	},
};

static void run_spam_scenario(void **state)
{
	const struct spam_scenario *sc = *state;
	struct pt_correlator_config cfg;
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event original = pod_event("original", "i am first");
	struct pt_k8s_event ev;

	pt_correlator_default_config(&cfg);
	cfg.spam_burst = 1;
	cfg.spam_key_with_reason = sc->with_reason;
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), 0);

	stamp(&original, clk.now);
	res = correlate_and_write(c, &original);
	assert_int_equal(res.action, PT_CORRELATE_CREATE);

	clk.now += NSEC;
	switch (sc->new_event) {
	case S_DIFFERENT_REASON:
		ev = pod_event("duplicate", "me again");
		break;
	case S_SAME_REASON:
		ev = pod_event("original", "me again");
		break;
	case S_DIFFERENT_TYPE:
		ev = pod_event("original", "me again");
		SET(&ev, type, "Warning");
		break;
	}
	stamp(&ev, clk.now);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, sc->action);
	if (sc->action != PT_CORRELATE_SKIP) {
		assert_int_equal(res.event.count, 1);
		assert_string_equal(res.event.reason, ev.reason);
		assert_string_equal(res.event.message, "me again");
		expect_name(&res.event, "my-pod", clk.now);
	}
	pt_correlator_free(c);
}

/* ---- beyond client-go's tables ---- */

/* 25 at once empty the bucket; one token takes 300 s; the patch counts the dropped ones. */
static void test_spam_token_refill(void **state)
{
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event ev = pod_event("BackOff", "Back-off restarting failed container");

	assert_int_equal(pt_correlator_new(NULL, fake_now, &clk, &c), 0);
	for (int i = 1; i <= BURST; i++) {
		stamp(&ev, clk.now);
		res = correlate_and_write(c, &ev);
		assert_int_equal(res.action, i == 1 ? PT_CORRELATE_CREATE : PT_CORRELATE_PATCH);
		assert_int_equal(res.event.count, i);
	}

	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_SKIP);
	assert_int_equal(res.event.count, BURST + 1); /* still counted */

	clk.now = T0 + 299 * NSEC; /* 299/300 of a token */
	stamp(&ev, clk.now);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_SKIP);

	clk.now = T0 + 300 * NSEC;
	stamp(&ev, clk.now);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_PATCH);
	assert_int_equal(res.event.count, BURST + 3);
	assert_int_equal(res.event.first_ns, T0);
	assert_int_equal(res.event.last_ns, T0 + 300 * NSEC);
	expect_name(&res.event, "my-pod", T0);

	res = correlate_and_write(c, &ev); /* that token is spent */
	assert_int_equal(res.action, PT_CORRELATE_SKIP);
	pt_correlator_free(c);
}

/* A full bucket holds no more than the burst, however long the object was quiet. */
static void test_spam_bucket_caps_at_burst(void **state)
{
	struct pt_correlator_config cfg;
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event ev = pod_event("BackOff", "x");

	pt_correlator_default_config(&cfg);
	cfg.spam_burst = 2;
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), 0);
	stamp(&ev, clk.now);
	assert_int_not_equal(correlate_and_write(c, &ev).action, PT_CORRELATE_SKIP);
	clk.now += 86400 * NSEC;
	stamp(&ev, clk.now);
	for (int i = 0; i < 2; i++)
		assert_int_not_equal(correlate_and_write(c, &ev).action, PT_CORRELATE_SKIP);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_SKIP);
	pt_correlator_free(c);
}

/* After aggregating, the oldest message leaves the set (client-go: an arbitrary one). */
static void test_aggregate_set_stays_below_threshold(void **state)
{
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res, agg;
	struct pt_k8s_event ev;
	int64_t t1 = 0;

	assert_int_equal(pt_correlator_new(NULL, fake_now, &clk, &c), 0);
	for (int i = 0; i < AGG_MAX; i++) {
		clk.now += NSEC;
		ev = pod_event("similar", "");
		snprintf(ev.message, sizeof(ev.message), "m%d", i);
		stamp(&ev, clk.now);
		res = correlate_and_write(c, &ev);
		if (i == 1)
			t1 = clk.now;
	}
	agg = res;
	assert_string_equal(agg.event.message, COMBINED "m9");

	/* m1 is still in the set: it counts as itself, on its own object. */
	clk.now += NSEC;
	ev = pod_event("similar", "m1");
	stamp(&ev, clk.now);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_PATCH);
	assert_int_equal(res.event.count, 2);
	assert_string_equal(res.event.message, "m1");
	expect_name(&res.event, "my-pod", t1);

	/* m0 was dropped: it fills the set again and counts the aggregate. */
	clk.now += NSEC;
	ev = pod_event("similar", "m0");
	stamp(&ev, clk.now);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_PATCH);
	assert_int_equal(res.event.count, 2);
	assert_string_equal(res.event.message, COMBINED "m0");
	assert_string_equal(res.event.name, agg.event.name);
	pt_correlator_free(c);
}

/* Each cache forgets its least recently used key beyond max_lru_entries. */
static void test_correlator_lru_bound(void **state)
{
	struct pt_correlator_config cfg;
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event a = make_event("Crash", "boom", "Pod", "pod-a", "ns");
	struct pt_k8s_event b = make_event("Crash", "boom", "Pod", "pod-b", "ns");
	struct pt_k8s_event x = make_event("Crash", "boom", "Pod", "pod-c", "ns");

	pt_correlator_default_config(&cfg);
	cfg.max_lru_entries = 2;
	cfg.spam_burst = 1;
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), 0);

	stamp(&a, clk.now);
	stamp(&b, clk.now);
	stamp(&x, clk.now);
	assert_int_equal(correlate_and_write(c, &a).action, PT_CORRELATE_CREATE);
	assert_int_equal(correlate_and_write(c, &b).action, PT_CORRELATE_CREATE);
	/* Within the bound a is remembered: counted, and its one token is spent. */
	res = correlate_and_write(c, &a);
	assert_int_equal(res.action, PT_CORRELATE_SKIP);
	assert_int_equal(res.event.count, 2);

	/* pod-c pushes out pod-b (least recent), then pod-b pushes out pod-a. */
	assert_int_equal(correlate_and_write(c, &x).action, PT_CORRELATE_CREATE);
	clk.now += NSEC;
	stamp(&b, clk.now);
	res = correlate_and_write(c, &b);
	assert_int_equal(res.action, PT_CORRELATE_CREATE);
	assert_int_equal(res.event.count, 1);
	expect_name(&res.event, "pod-b", clk.now);

	stamp(&a, clk.now);
	res = correlate_and_write(c, &a);
	assert_int_equal(res.action, PT_CORRELATE_CREATE); /* fresh bucket, fresh object */
	assert_int_equal(res.event.count, 1);
	pt_correlator_free(c);
}

static void test_lru_eviction_order(void **state)
{
	struct pt_lru *lru;
	void *va, *vb, *vc, *v;
	bool found;

	assert_int_equal(pt_lru_new(2, sizeof(uint64_t), &lru), 0);
	assert_int_equal(pt_lru_upsert(lru, "a", 1, &va, &found), 0);
	assert_false(found);
	assert_int_equal(*(uint64_t *)va, 0); /* zeroed */
	*(uint64_t *)va = 1;
	assert_int_equal(pt_lru_upsert(lru, "b", 1, &vb, &found), 0);
	*(uint64_t *)vb = 2;
	assert_ptr_equal(pt_lru_get(lru, "a", 1), va); /* a is now the most recent */
	assert_int_equal(pt_lru_upsert(lru, "c", 1, &vc, &found), 0);
	assert_false(found);
	assert_int_equal(pt_lru_len(lru), 2);
	assert_null(pt_lru_get(lru, "b", 1));
	assert_int_equal(pt_lru_upsert(lru, "a", 1, &v, &found), 0);
	assert_true(found);
	assert_ptr_equal(v, va);
	assert_int_equal(*(uint64_t *)v, 1);
	/* Keys are bytes: a prefix is another key. */
	assert_null(pt_lru_get(lru, "ab", 2));
	assert_null(pt_lru_get(lru, "", 0));
	pt_lru_free(lru);

	assert_int_equal(pt_lru_new(0, 8, &lru), -EINVAL);
	assert_int_equal(pt_lru_new(1, 0, &lru), -EINVAL);
}

static void test_lru_len_bounded(void **state)
{
	struct pt_lru *lru;
	char key[32];
	bool found;
	void *v;

	assert_int_equal(pt_lru_new(64, 16, &lru), 0);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(key, sizeof(key), "key-%d", i);

		assert_int_equal(pt_lru_upsert(lru, key, (size_t)n, &v, &found), 0);
		assert_false(found);
		memcpy(v, &i, sizeof(i));
		assert_true(pt_lru_len(lru) <= 64);
	}
	assert_int_equal(pt_lru_len(lru), 64);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(key, sizeof(key), "key-%d", i);

		v = pt_lru_get(lru, key, (size_t)n);
		if (i < 1000 - 64) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_memory_equal(v, &i, sizeof(i));
		}
	}
	pt_lru_free(lru);
}

static void expect_uuid4(const char *s)
{
	assert_int_equal(strlen(s), 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(s[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", s[i]));
	}
	assert_int_equal(s[14], '4');
	assert_non_null(strchr("89ab", s[19]));
}

/* fmt.Sprintf("%v.%x", ref.Name, t.UnixNano()), or a UUID when that is no valid name. */
static void test_event_name_format(void **state)
{
	char name[PT_EVENT_NAME_MAX + 1];
	char longref[251];

	assert_int_equal(pt_k8s_event_name(name, sizeof(name), "my-pod", 1700000000123456789LL), 0);
	assert_string_equal(name, "my-pod.17979cfe3d85cd15");
	assert_int_equal(pt_k8s_event_name(name, sizeof(name), "node1", 255), 0);
	assert_string_equal(name, "node1.ff"); /* no padding */

	memset(longref, 'a', sizeof(longref) - 1);
	longref[sizeof(longref) - 1] = '\0';
	assert_int_equal(pt_k8s_event_name(name, sizeof(name), longref, T0), 0);
	expect_uuid4(name); /* 250 + 1 + 16 > 253 */
	assert_int_equal(pt_k8s_event_name(name, sizeof(name), "MyPod", T0), 0);
	expect_uuid4(name);
	assert_int_equal(pt_k8s_event_name(name, sizeof(name), "", T0), 0);
	expect_uuid4(name);

	assert_int_equal(pt_k8s_event_name(name, 8, "my-pod", T0), -ENOBUFS);
	assert_int_equal(pt_k8s_event_name(NULL, 8, "my-pod", T0), -EINVAL);
}

/* Empty fields are filled as client-go's recorder makeEvent fills them. */
static void test_recorder_defaults(void **state)
{
	struct fake_clock clk = { .now = T0 + 42 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event ev = make_event("SystemOOM", "oom", "Node", "node1", "");

	ev.count = 0;
	assert_int_equal(pt_correlator_new(NULL, fake_now, &clk, &c), 0);
	assert_int_equal(pt_correlator_correlate(c, &ev, &res), 0);
	assert_int_equal(res.action, PT_CORRELATE_CREATE);
	assert_string_equal(res.event.namespace_, "default");
	assert_int_equal(res.event.first_ns, T0 + 42);
	assert_int_equal(res.event.last_ns, T0 + 42);
	assert_int_equal(res.event.count, 1);
	expect_name(&res.event, "node1", T0 + 42);

	/* Given values are kept (another message: not a patch of the first). */
	SET(&ev, message, "oom again");
	SET(&ev, name, "given.name");
	SET(&ev, namespace_, "kube-system");
	assert_int_equal(pt_correlator_correlate(c, &ev, &res), 0);
	assert_string_equal(res.event.name, "given.name");
	assert_string_equal(res.event.namespace_, "kube-system");
	pt_correlator_free(c);
}

/*
 * Dedup keeps the event's own lastTimestamp; the aggregation window and the
 * aggregate event's name and timestamps follow the correlator's clock.
 */
static void test_clock_sources(void **state)
{
	struct pt_correlator_config cfg;
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event ev = pod_event("OOMKilled", "same");
	int64_t seen1 = T0 - 5 * NSEC, seen2 = T0 - 3 * NSEC;

	pt_correlator_default_config(&cfg);
	cfg.aggregate_max_events = 2;
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), 0);

	stamp(&ev, seen1);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_CREATE);
	expect_name(&res.event, "my-pod", seen1);
	assert_int_equal(res.event.first_ns, seen1);

	clk.now += NSEC;
	stamp(&ev, seen2);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_PATCH);
	assert_int_equal(res.event.first_ns, seen1);
	assert_int_equal(res.event.last_ns, seen2);

	/* Stamped long ago, arriving now: inside the window by the clock. */
	clk.now += NSEC;
	SET(&ev, message, "different");
	stamp(&ev, T0 - 3600 * NSEC);
	res = correlate_and_write(c, &ev);
	assert_int_equal(res.action, PT_CORRELATE_CREATE);
	assert_string_equal(res.event.message, COMBINED "different");
	expect_name(&res.event, "my-pod", clk.now);
	assert_int_equal(res.event.first_ns, clk.now);
	assert_int_equal(res.event.last_ns, clk.now);
	pt_correlator_free(c);
}

/* The combined message keeps to 1024 bytes and never ends inside a UTF-8 character. */
static void test_aggregate_message_truncation(void **state)
{
	struct pt_correlator_config cfg;
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event ev = pod_event("Crash", "");
	size_t len;

	ev.message[0] = 'a';
	for (int i = 0; i < 511; i++)
		memcpy(&ev.message[1 + 2 * i], "\xc3\xa9", 2); /* é */
	ev.message[1023] = '\0';

	pt_correlator_default_config(&cfg);
	cfg.aggregate_max_events = 1; /* aggregate at once */
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), 0);
	stamp(&ev, clk.now);
	res = correlate_and_write(c, &ev);
	len = strlen(res.event.message);
	assert_int_equal(len, 1023); /* 1024 would split the last é */
	assert_memory_equal(res.event.message, COMBINED, strlen(COMBINED));
	assert_memory_equal(res.event.message + strlen(COMBINED), ev.message,
			    len - strlen(COMBINED));
	pt_correlator_free(c);
}

static void test_config_and_errors(void **state)
{
	struct pt_correlator_config cfg;
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	struct pt_k8s_event ev = pod_event("x", "y");

	pt_correlator_default_config(&cfg);
	assert_int_equal(cfg.max_lru_entries, 4096);
	assert_int_equal(cfg.aggregate_max_events, 10);
	assert_int_equal(cfg.aggregate_interval_s, 600);
	assert_true(cfg.spam_qps == 1.0 / 300.0);
	assert_int_equal(cfg.spam_burst, 25);
	assert_false(cfg.spam_key_with_reason);

	assert_int_equal(pt_correlator_new(NULL, NULL, &clk, &c), -EINVAL);
	cfg.aggregate_max_events = PT_AGGREGATE_MAX_EVENTS_LIMIT + 1;
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), -EINVAL);
	pt_correlator_default_config(&cfg);
	cfg.spam_qps = -1;
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), -EINVAL);

	/* An all-zero config means the defaults, as client-go's populateDefaults. */
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(pt_correlator_new(&cfg, fake_now, &clk, &c), 0);
	assert_int_equal(pt_correlator_correlate(NULL, &ev, &res), -EINVAL);
	assert_int_equal(pt_correlator_correlate(c, NULL, &res), -EINVAL);
	assert_int_equal(pt_correlator_update_state(c, NULL), -EINVAL);
	SET(&ev, type, "Info"); /* client-go's ValidateEventType */
	assert_int_equal(pt_correlator_correlate(c, &ev, &res), -EINVAL);
	pt_correlator_free(c);
	pt_correlator_free(NULL);
}

/* A written Event's name comes back on its patch, whatever form it has. */
static void test_patch_keeps_the_written_name(void **state)
{
	struct fake_clock clk = { .now = T0 };
	struct pt_correlator *c;
	struct pt_correlate_result res;
	char longref[251];
	struct pt_k8s_event stamped = pod_event("Crash", "boom");
	struct pt_k8s_event uuid_named, other = pod_event("Crash", "other");
	char first[PT_EVENT_NAME_MAX + 1];

	memset(longref, 'a', sizeof(longref) - 1);
	longref[sizeof(longref) - 1] = '\0';
	uuid_named = make_event("Crash", "boom", "Pod", longref, "ns");
	assert_int_equal(pt_correlator_new(NULL, fake_now, &clk, &c), 0);
	stamp(&stamped, clk.now);
	stamp(&uuid_named, clk.now);
	stamp(&other, clk.now);

	res = correlate_and_write(c, &stamped);
	expect_name(&res.event, "my-pod", clk.now);
	memcpy(first, res.event.name, sizeof(first));
	clk.now += NSEC;
	stamp(&stamped, clk.now);
	res = correlate_and_write(c, &stamped);
	assert_int_equal(res.action, PT_CORRELATE_PATCH);
	assert_string_equal(res.event.name, first);

	res = correlate_and_write(c, &uuid_named); /* 250 + 1 + 16 > 253: a UUID */
	expect_uuid4(res.event.name);
	memcpy(first, res.event.name, sizeof(first));
	res = correlate_and_write(c, &uuid_named);
	assert_int_equal(res.action, PT_CORRELATE_PATCH);
	assert_string_equal(res.event.name, first);

	/* A name in neither form (the server's, say) is not remembered: created anew. */
	assert_int_equal(pt_correlator_correlate(c, &other, &res), 0);
	SET(&res.event, name, "a-name-no-recorder-makes-and-longer-than-forty");
	assert_int_equal(pt_correlator_update_state(c, &res.event), 0);
	res = correlate_and_write(c, &other);
	assert_int_equal(res.action, PT_CORRELATE_CREATE);
	expect_name(&res.event, "my-pod", T0);
	pt_correlator_free(c);
}

#define N_ARRAY(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_spam_token_refill),
		cmocka_unit_test(test_spam_bucket_caps_at_burst),
		cmocka_unit_test(test_aggregate_set_stays_below_threshold),
		cmocka_unit_test(test_correlator_lru_bound),
		cmocka_unit_test(test_lru_eviction_order),
		cmocka_unit_test(test_lru_len_bounded),
		cmocka_unit_test(test_event_name_format),
		cmocka_unit_test(test_patch_keeps_the_written_name),
		cmocka_unit_test(test_recorder_defaults),
		cmocka_unit_test(test_clock_sources),
		cmocka_unit_test(test_aggregate_message_truncation),
		cmocka_unit_test(test_config_and_errors),
	};
	struct CMUnitTest
	    tests[N_ARRAY(correlator_scenarios) + N_ARRAY(spam_scenarios) + N_ARRAY(fixed)];
	size_t n = 0;

	/* One named test per table row, so a failure names its scenario. */
	for (size_t i = 0; i < N_ARRAY(correlator_scenarios); i++)
		tests[n++] = (struct CMUnitTest){
			.name = correlator_scenarios[i].name,
			.test_func = run_correlator_scenario,
			.initial_state = (void *)&correlator_scenarios[i],
		};
	for (size_t i = 0; i < N_ARRAY(spam_scenarios); i++)
		tests[n++] = (struct CMUnitTest){
			.name = spam_scenarios[i].name,
			.test_func = run_spam_scenario,
			.initial_state = (void *)&spam_scenarios[i],
		};
	for (size_t i = 0; i < N_ARRAY(fixed); i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("event_correlator", tests, n, NULL, NULL);
}
