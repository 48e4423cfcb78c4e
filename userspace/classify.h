/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turns a decoded kernel event, and what its cgroup says about pods, into
 * the reports of podtrail's taxonomy (OOMKilled, ContainerExited,
 * ProcessCrashed, SandboxChanged, SystemOOM), each with a one-line message.
 */
#ifndef PODTRAIL_CLASSIFY_H
#define PODTRAIL_CLASSIFY_H

#include <stdbool.h>
#include "event.h"
#include "placement.h"
#include "report.h"

/*
 * Classify @ev: true when it is worth a report, written to @out (false for,
 * e.g., a child's non-zero exit, or a sandbox its runtime stopped). An OOM
 * kill is reported once per kill and container, from the summary that
 * oom_groups.h builds; the victims' own exits say only what else they were
 * (a main process's exit is also a ContainerExited).
 */
bool pt_classify(const struct pt_event *ev, const struct pt_placement *where,
		 struct pt_report *out);

const char *pt_reason_name(enum pt_reason reason);
/* -1 when @name is not a reason. */
int pt_reason_from_name(const char *name);

/* The sender of the fatal (or stop) signal is the container runtime on the host. */
bool pt_stop_requested_by_runtime(const struct pt_event *ev, const struct pt_placement *where);

#endif
