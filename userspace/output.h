/* SPDX-License-Identifier: GPL-2.0 */
/* Standalone output: one event per line on stdout, as aligned text or JSON. */
#ifndef PODTRAIL_OUTPUT_H
#define PODTRAIL_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include "classify.h"
#include "event.h"

enum pt_output_format {
	PT_OUTPUT_TEXT = 0,
	PT_OUTPUT_JSON,
};

/* One report about one event, with everything known about where it happened. */
struct pt_emitted {
	const struct pt_event *ev;
	const struct pt_placement *where;
	const struct pt_report *report;
	int64_t wall_ns; /* CLOCK_REALTIME of the kernel event */
	const char *node;
	const char *pod_namespace; /* from the pod cache, or NULL */
	const char *pod_name;
};

void pt_output_header(FILE *f, enum pt_output_format fmt);
/* Write one line and flush; returns 0 or -errno. */
int pt_output_write(FILE *f, enum pt_output_format fmt, const struct pt_emitted *e);

#endif
