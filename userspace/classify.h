/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turns a decoded kernel event, and what its cgroup says about pods, into
 * the reports of podtrail's taxonomy (OOMKilled, ContainerExited,
 * ProcessCrashed, SandboxChanged, SystemOOM), each with a one-line message.
 */
#ifndef PODTRAIL_CLASSIFY_H
#define PODTRAIL_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include "cgroup_path.h"
#include "event.h"

#define PT_MESSAGE_MAX 1024
#define PT_MAX_REPORTS 2 /* an OOM-killed main process: OOMKilled + ContainerExited */

enum pt_reason {
	PT_REASON_OOM_KILLED = 0,
	PT_REASON_SYSTEM_OOM,
	PT_REASON_CONTAINER_EXITED,
	PT_REASON_PROCESS_CRASHED,
	PT_REASON_SANDBOX_CHANGED,
	PT_REASON__COUNT,
};

struct pt_report {
	enum pt_reason reason;
	bool warning; /* Warning, or Normal */
	char message[PT_MESSAGE_MAX + 1];
};

/* What the caller knows about where the process ran. */
struct pt_placement {
	struct pt_cgroup_info cgroup;	     /* parsed from the event's cgroup path */
	const char *container_name;	     /* from the pod cache, or NULL */
	struct pt_cgroup_info killer_cgroup; /* parsed from the sender's leaf cgroup */
};

/*
 * Classify @ev. Writes up to PT_MAX_REPORTS reports to @out and returns how
 * many (0: nothing a user needs to see, e.g. a child's non-zero exit).
 */
size_t pt_classify(const struct pt_event *ev, const struct pt_placement *where,
		   struct pt_report out[PT_MAX_REPORTS]);

const char *pt_reason_name(enum pt_reason reason);
/* -1 when @name is not a reason. */
int pt_reason_from_name(const char *name);

/* A container's main process: its pid-namespace init, or the first process the runtime put in it. */
bool pt_event_is_main_process(const struct pt_event *ev, const struct pt_cgroup_info *cg);

#endif
