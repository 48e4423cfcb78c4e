/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace half of the data flow for one record:
 * decode -> name the cgroups from their ids -> parse the cgroup -> identify the process (the runtime's record
 * of the container's main and exec'd processes) -> gather the victims of an
 * OOM kill -> attribute (optional: the pod cache, which may hold the event
 * until its pod is known) -> classify -> sink.
 */
#ifndef PODTRAIL_PIPELINE_H
#define PODTRAIL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include "cgroup_ids.h"
#include "classify.h"
#include "oom_groups.h"
#include "recent_exits.h"
#include "report.h"
#include "ring_reader.h"
#include "runtime_state.h"

struct pt_pipeline_stats {
	uint64_t records;	/* records read from the ring buffer */
	uint64_t decode_errors; /* records that failed to decode */
	uint64_t oom_records;	/* oom/mark_victim records */
	uint64_t ignored;	/* exits that made no report (a child's exit 1; a repeat) */
	uint64_t by_reason[PT_REASON__COUNT];  /* reports handed to the sink */
	uint64_t by_role[PT_ROLE_SANDBOX + 1]; /* exits by what the process was to its container */
	uint64_t component_exits;	       /* exits of node components read */
	uint64_t cgroup_records;	       /* cgroup mkdir/rmdir records read */
	uint64_t cgroup_names_records;	       /* cgroups the kernel named (older than the agent) */
	uint64_t cgroup_paths_cut; /* mkdir records whose path the kernel cut: not learnt */
};

/*
 * Attribution: must eventually hand the event to pt_pipeline_emit() (now, or
 * later from the event loop), or drop it and count that itself.
 */
typedef void (*pt_attribute_fn)(void *ctx, const struct pt_event *ev,
				const struct pt_placement *where);

struct pt_pipeline {
	const char *node;
	int64_t realtime_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct pt_sink sink;	    /* stdout or the API server: main.c chooses */
	pt_batch_fn flush;	    /* after a batch of reports (buffered stdout); may be NULL */
	void *flush_ctx;
	pt_attribute_fn attribute; /* NULL: standalone, no pods */
	void *attribute_ctx;
	struct pt_runtime_state *runtime;	/* NULL: the runtime's records are not read */
	struct pt_oom_groups *oom_groups;	/* NULL: each OOM victim reported alone */
	const struct pt_components *components; /* NULL: no node component is recognised */
	struct pt_cgroup_ids *cgroup_ids;	/* NULL: no cgroup is named */
	uint64_t sink_errors;
	struct pt_recent_exits recent_exits; /* a process's end is read once */
	struct pt_pipeline_stats stats;
};

void pt_pipeline_init(struct pt_pipeline *p, const char *node, struct pt_sink sink);
/* A pt_record_fn for the ring reader. */
void pt_pipeline_on_record(void *ctx, const void *data, size_t size);
/* A pt_batch_fn: a batch of reports is done (the ring reader's, a timer's). */
void pt_pipeline_flush(void *ctx);
/* Attribute (or, standalone, classify) a placed event: a pt_oom_report_fn too. */
void pt_pipeline_deliver(void *ctx, const struct pt_event *ev, const struct pt_placement *where);
/* A pt_emit_fn: classify an attributed event and hand its report to the sink. */
void pt_pipeline_emit(void *ctx, const struct pt_event *ev, const struct pt_placement *where,
		      const struct pt_pod_ref *pod);

#endif
