/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every counter the kernel side and the daemon keep, read at one moment and
 * written from the metric table: the Prometheus page and the totals printed
 * at shutdown.
 */
#ifndef PODTRAIL_METRICS_H
#define PODTRAIL_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cluster.h"
#include "loader.h"
#include "pipeline.h"
#include "runtime_state.h"

struct pt_metrics_sources {
	const struct pt_loader *loader;
	const struct pt_pipeline *pipeline;
	const struct pt_ring_reader *reader; /* NULL: its metrics read 0 */
	const struct pt_cluster *cluster;    /* NULL in standalone mode: its metrics read 0 */
};

/* The values, by where they are kept; the metric table points into it. */
struct pt_metrics_snapshot {
	uint64_t kernel[PT_CNT__MAX];
	struct pt_pipeline_stats pipeline;
	uint64_t sink_errors;
	struct pt_runtime_state_stats runtime;
	struct pt_ring_reader_stats reader;
	struct pt_cgroup_ids_stats cgroup_ids;
	struct pt_cluster_metrics cluster; /* last: it ends with a pointer, not a counter */
};

int pt_metrics_snapshot(const struct pt_metrics_sources *src, struct pt_metrics_snapshot *s);
/* The page; every metric is always present so dashboards never see gaps. */
void pt_metrics_render(const struct pt_metrics_snapshot *s, FILE *f);
/* "podtrail: totals: k=v ...", and "podtrail: kubernetes: ..." when @cluster. */
void pt_metrics_render_totals(const struct pt_metrics_snapshot *s, bool cluster, FILE *f);

/* Both from the live sources: 0 or -errno (the kernel's counters unreadable). */
int pt_metrics_write(const struct pt_metrics_sources *src, FILE *f);
void pt_metrics_print_totals(const struct pt_metrics_sources *src, FILE *f);

#endif
