// SPDX-License-Identifier: GPL-2.0
/*
 * The metric table: every counter the daemon keeps is exported exactly once,
 * names follow Prometheus' conventions, and the totals lines carry the keys
 * that tests, the bench and operators read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metric_table.h"
#include "metrics.h"

#define NSLOTS (offsetof(struct pt_metrics_snapshot, cluster.api) / sizeof(uint64_t))

static size_t slots_of(const struct pt_metric *m)
{
	return m->label_of ? (size_t)m->n : 1;
}

static void test_every_counter_is_exported_once(void **state)
{
	unsigned exported[NSLOTS] = { 0 };

	for (size_t i = 0; i < pt_metric_count; i++) {
		const struct pt_metric *m = &pt_metric_table[i];

		if (m->render)
			continue;
		assert_int_equal(m->offset % sizeof(uint64_t), 0);
		for (size_t k = 0; k < slots_of(m); k++) {
			size_t slot = m->offset / sizeof(uint64_t) + k;

			assert_true(slot < NSLOTS);
			if (m->name)
				exported[slot]++;
		}
	}
	for (size_t slot = 0; slot < NSLOTS; slot++) {
		if (exported[slot] != 1)
			fail_msg("snapshot slot %zu (byte %zu) is exported %u times", slot,
				 slot * sizeof(uint64_t), exported[slot]);
	}
	/* A totals-only row shows a value some metric exports. */
	for (size_t i = 0; i < pt_metric_count; i++)
		if (!pt_metric_table[i].name)
			assert_non_null(pt_metric_table[i].total);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static void test_names_follow_the_conventions(void **state)
{
	for (size_t i = 0; i < pt_metric_count; i++) {
		const struct pt_metric *m = &pt_metric_table[i];

		if (!m->name)
			continue;
		if (m->type == PT_METRIC_COUNTER)
			assert_true(ends_with(m->name, "_total"));
		else
			assert_false(ends_with(m->name, "_total"));
		/* A family's first row says what it is. */
		if (!m->render && (i == 0 || !pt_metric_table[i - 1].name ||
				   strcmp(pt_metric_table[i - 1].name, m->name)))
			assert_non_null(m->help);
	}
}

static char *render(const struct pt_metrics_snapshot *s, bool totals)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (totals)
		pt_metrics_render_totals(s, true, f);
	else
		pt_metrics_render(s, f);
	fclose(f);
	return buf;
}

/* Each slot holds a value of its own: every one must reach the page. */
static void test_every_value_reaches_the_page(void **state)
{
	struct pt_metrics_snapshot s;
	uint64_t *v = (uint64_t *)&s;
	char *page, *help, needle[32];

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < NSLOTS; i++)
		v[i] = 1000000 + i;
	page = render(&s, false);
	for (size_t i = 0; i < NSLOTS; i++) {
		snprintf(needle, sizeof(needle), " %zu\n", 1000000 + i);
		if (!strstr(page, needle))
			fail_msg("slot %zu is not on the page", i);
	}
	assert_non_null(strstr(page, "# TYPE podtrail_api_request_duration_seconds histogram\n"));
	assert_non_null(strstr(page, "podtrail_events_written_total{verb=\"PATCH\"} "));
	/* One HELP per family, even when its series are several rows. */
	help = strstr(page, "# HELP podtrail_events_written_total");
	assert_non_null(help);
	assert_null(strstr(help + 1, "# HELP podtrail_events_written_total"));
	free(page);
}

static void test_totals_keep_their_keys(void **state)
{
	static const char *const keys[] = {
		/* podtrail: totals: */
		"exits_seen", "filtered_in_kernel", "thread_exits", "records_sent", "records_read",
		"events_emitted", "ignored", "fatal_signals", "oom_kills", "cgroup_records_sent",
		"lost", "decode_errors", "wakeups", "polls", "empty_polls", "cgroups",
		"cgroup_misses",
		/* podtrail: kubernetes: */
		"pods", "tombstones", "expired", "bad_pods", "lists", "watches", "relists_gone",
		"api_failures", "attributed_api", "attributed_runtime", "held", "late", "pod_only",
		"unattributed", "node_events", "events_created", "events_patched", "spam_filtered",
		"aggregated", "merged", "queue_overflow", "retries", "write_failures", "pending"
	};
	struct pt_metrics_snapshot s;
	char *text, needle[40];
	size_t n = 0;

	memset(&s, 0, sizeof(s));
	s.kernel[PT_CNT_EXIT_SENT] = 5;
	s.kernel[PT_CNT_OOM_SENT] = 2;
	s.kernel[PT_CNT_CGROUP_SENT] = 3;
	s.pipeline.by_reason[0] = 3;
	s.pipeline.by_reason[1] = 4;
	text = render(&s, true);
	assert_non_null(strstr(text, "podtrail: totals: "));
	assert_non_null(strstr(text, "\npodtrail: kubernetes: "));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(needle, sizeof(needle), " %s=", keys[i]);
		if (!strstr(text, needle))
			fail_msg("%s missing from the totals: %s", keys[i], text);
	}
	for (const char *p = text; (p = strchr(p, '=')); p++)
		n++;
	assert_int_equal(n, sizeof(keys) / sizeof(keys[0]));
	assert_non_null(strstr(text, " records_sent=10 oom_kills=2 cgroup_records_sent=3 "));
	assert_non_null(strstr(text, " events_emitted=7"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_counter_is_exported_once),
		cmocka_unit_test(test_names_follow_the_conventions),
		cmocka_unit_test(test_every_value_reaches_the_page),
		cmocka_unit_test(test_totals_keep_their_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
