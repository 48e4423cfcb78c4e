// SPDX-License-Identifier: GPL-2.0
/* The metric table written out: the /metrics page and the totals lines. */
#include <errno.h>
#include <string.h>
#include "metric_table.h"
#include "metrics.h"

static const char *const type_names[] = {
	[PT_METRIC_COUNTER] = "counter",
	[PT_METRIC_GAUGE] = "gauge",
	[PT_METRIC_HISTOGRAM] = "histogram",
};

void pt_metrics_header(FILE *f, const char *name, enum pt_metric_type type, const char *help)
{
	fprintf(f, "# HELP podtrail_%s %s\n# TYPE podtrail_%s %s\n", name, help, name,
		type_names[type]);
}

static const uint64_t *values(const struct pt_metrics_snapshot *s, const struct pt_metric *m)
{
	return (const uint64_t *)((const char *)s + m->offset);
}

int pt_metrics_snapshot(const struct pt_metrics_sources *src, struct pt_metrics_snapshot *s)
{
	const struct pt_runtime_state *rs = src->pipeline->runtime;
	int e;

	memset(s, 0, sizeof(*s));
	e = pt_loader_read_counters(src->loader, s->kernel);
	if (e)
		memset(s->kernel, 0, sizeof(s->kernel));
	s->pipeline = src->pipeline->stats;
	s->sink_errors = src->pipeline->sink_errors;
	if (rs)
		s->runtime = *pt_runtime_state_stats(rs);
	if (src->reader)
		s->reader = *pt_ring_reader_stats(src->reader);
	if (src->pipeline->cgroup_ids)
		pt_cgroup_ids_stats(src->pipeline->cgroup_ids, &s->cgroup_ids);
	if (src->cluster)
		pt_cluster_metrics(src->cluster, &s->cluster);
	return e;
}

static void render_series(FILE *f, const struct pt_metrics_snapshot *s, const struct pt_metric *m)
{
	const uint64_t *v = values(s, m);

	if (m->label_of) {
		for (int i = 0; i < m->n; i++)
			fprintf(f, "podtrail_%s{%s=\"%s\"} %llu\n", m->name, m->label,
				m->label_of(i), (unsigned long long)v[i]);
	} else if (m->labels) {
		fprintf(f, "podtrail_%s{%s} %llu\n", m->name, m->labels, (unsigned long long)*v);
	} else {
		fprintf(f, "podtrail_%s %llu\n", m->name, (unsigned long long)*v);
	}
}

void pt_metrics_render(const struct pt_metrics_snapshot *s, FILE *f)
{
	const char *family = NULL;

	for (size_t i = 0; i < pt_metric_count; i++) {
		const struct pt_metric *m = &pt_metric_table[i];

		if (!m->name)
			continue; /* a totals entry only */
		if (m->render) {
			m->render(f, s);
			continue;
		}
		if (!family || strcmp(family, m->name))
			pt_metrics_header(f, m->name, m->type, m->help);
		family = m->name;
		render_series(f, s, m);
	}
}

static uint64_t total(const struct pt_metrics_snapshot *s, const struct pt_metric *m)
{
	const uint64_t *v = values(s, m);
	uint64_t sum = 0;

	for (int i = 0; i < (m->label_of ? m->n : 1); i++)
		sum += v[i];
	return sum;
}

static void render_line(const struct pt_metrics_snapshot *s, bool kubernetes, FILE *f)
{
	fprintf(f, "podtrail: %s:", kubernetes ? "kubernetes" : "totals");
	for (size_t i = 0; i < pt_metric_count; i++) {
		const struct pt_metric *m = &pt_metric_table[i];

		if (m->total && m->kubernetes == kubernetes)
			fprintf(f, " %s=%llu", m->total, (unsigned long long)total(s, m));
	}
	fputc('\n', f);
}

void pt_metrics_render_totals(const struct pt_metrics_snapshot *s, bool cluster, FILE *f)
{
	render_line(s, false, f);
	if (cluster)
		render_line(s, true, f);
}

int pt_metrics_write(const struct pt_metrics_sources *src, FILE *f)
{
	struct pt_metrics_snapshot s;
	int e = pt_metrics_snapshot(src, &s);

	if (e)
		return e;
	pt_metrics_render(&s, f);
	return ferror(f) ? -EIO : 0;
}

/* At shutdown: printed even when the kernel's counters cannot be read (they show 0). */
void pt_metrics_print_totals(const struct pt_metrics_sources *src, FILE *f)
{
	struct pt_metrics_snapshot s;

	pt_metrics_snapshot(src, &s);
	pt_metrics_render_totals(&s, src->cluster != NULL, f);
}
