/* SPDX-License-Identifier: GPL-2.0 */
/* The Prometheus text page: every counter the kernel side and the daemon keep. */
#ifndef PODTRAIL_METRICS_H
#define PODTRAIL_METRICS_H

#include <stdio.h>

struct pt_loader;
struct pt_pipeline;
struct pt_cluster;

struct pt_metrics_sources {
	const struct pt_loader *loader;
	const struct pt_pipeline *pipeline;
	const struct pt_cluster *cluster; /* NULL in standalone mode: its metrics read 0 */
};

/* Write the page; every metric is always present so dashboards never see gaps. */
int pt_metrics_write(const struct pt_metrics_sources *src, FILE *f);

#endif
