/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the stages after attribution pass on: the pod an event belongs to,
 * the report made of it, and the emitted event that sinks write. Also the
 * two callbacks by which a stage hands its result forward.
 */
#ifndef PODTRAIL_REPORT_H
#define PODTRAIL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "event.h"
#include "placement.h"

#define PT_MESSAGE_MAX 1024

enum pt_reason {
	PT_REASON_OOM_KILLED = 0,
	PT_REASON_SYSTEM_OOM,
	PT_REASON_CONTAINER_EXITED,
	PT_REASON_PROCESS_CRASHED,
	PT_REASON_SANDBOX_CHANGED,
	PT_REASON_NODE_COMPONENT_EXITED,
	PT_REASON_RUNTIME_MONITOR_LOST,
	PT_REASON__COUNT,
};

struct pt_report {
	enum pt_reason reason;
	bool warning; /* Warning, or Normal */
	char message[PT_MESSAGE_MAX + 1];
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

/* An attributed event goes on to be classified (@pod NULL: no pod, e.g. the host). */
typedef void (*pt_emit_fn)(void *ctx, const struct pt_event *ev, const struct pt_placement *where,
			   const struct pt_pod_ref *pod);

/* Where reports go; returns 0 or -errno (counted, never fatal). */
typedef int (*pt_sink_fn)(void *ctx, const struct pt_emitted *e);

struct pt_sink {
	pt_sink_fn fn;
	void *ctx;
};

#endif
