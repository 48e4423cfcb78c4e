/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metric table: each row is a metric of the /metrics page (or a series
 * of one), with where its value is in struct pt_metrics_snapshot and, when
 * it is on the shutdown totals line, its name there.
 */
#ifndef PODTRAIL_METRIC_TABLE_H
#define PODTRAIL_METRIC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "metrics.h"

enum pt_metric_type {
	PT_METRIC_COUNTER,
	PT_METRIC_GAUGE,
	PT_METRIC_HISTOGRAM,
};

struct pt_metric {
	/*
	 * After "podtrail_". Rows of one family follow each other and share
	 * its HELP and TYPE. NULL: not a metric, only a totals entry for a
	 * value another row exports.
	 */
	const char *name;
	enum pt_metric_type type;
	const char *help;
	size_t offset;	    /* of the uint64_t value in the snapshot */
	const char *labels; /* fixed labels of this series, e.g. verb="POST" */
	/* Or n values from offset on, value i labelled label=label_of(i). */
	const char *label;
	const char *(*label_of)(int i);
	int n;
	/* Or a family of its own shape (per-request labels, a histogram). */
	void (*render)(FILE *f, const struct pt_metrics_snapshot *s);
	const char *total; /* its key on the totals line (of n values: their sum) */
	bool kubernetes;   /* the Kubernetes side's: on the "kubernetes:" totals line */
};

/* A family's "# HELP" and "# TYPE" lines. */
void pt_metrics_header(FILE *f, const char *name, enum pt_metric_type type, const char *help);

extern const struct pt_metric pt_metric_table[];
extern const size_t pt_metric_count;

#endif
