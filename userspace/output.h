/* SPDX-License-Identifier: GPL-2.0 */
/* Standalone output: one event per line on stdout, as aligned text or JSON. */
#ifndef PODTRAIL_OUTPUT_H
#define PODTRAIL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "classify.h"
#include "event.h"

enum pt_output_format {
	PT_OUTPUT_TEXT = 0,
	PT_OUTPUT_JSON,
};

/* The pod (and container) an event was attributed to, from the API server or the runtime. */
struct pt_pod_ref {
	char namespace_[64];
	char name[254];
	char uid[64];
	char container_name[64];
	char field_path[128]; /* "spec.containers{app}", or "" for the pod itself */
	bool from_runtime;    /* the runtime's metadata, not the API server's */
};

/* One report about one event, with everything known about where it happened. */
struct pt_emitted {
	const struct pt_event *ev;
	const struct pt_placement *where;
	const struct pt_report *report;
	int64_t wall_ns; /* CLOCK_REALTIME of the kernel event */
	const char *node;
	const struct pt_pod_ref *pod; /* NULL: not attributed to a known pod */
};

void pt_output_header(FILE *f, enum pt_output_format fmt);
/* Copy @in with control bytes as '?': a process name may hold any byte, a line must stay one. */
void pt_printable(const char *in, char *out, size_t len);
/* Write one line (the caller flushes, once per batch); returns 0 or -errno. */
int pt_output_write(FILE *f, enum pt_output_format fmt, const struct pt_emitted *e);

#endif
