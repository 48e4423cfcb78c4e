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
#include "components.h"
#include "event.h"
#include "identity.h"

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

#define PT_OOM_LIST_MAX 8

struct pt_oom_victim {
	uint32_t pid;
	enum pt_process_role role;
	char comm[PT_COMM_LEN + 1];
};

/* One OOM kill as it struck one container (oom_groups.h gathers it). */
struct pt_oom_summary {
	uint32_t killed; /* processes of the container it took; 0: not an OOM report */
	uint32_t listed; /* of them, named in victims[] */
	bool group;	 /* memory.oom.group took them together */
	struct pt_oom_victim victims[PT_OOM_LIST_MAX];
};

/* What the caller knows about where the process ran and what it was there. */
struct pt_placement {
	struct pt_cgroup_info cgroup;	      /* parsed from the event's cgroup path */
	const char *container_name;	      /* from the pod cache, or NULL */
	struct pt_cgroup_info killer_cgroup;  /* parsed from the sender's leaf cgroup */
	struct pt_identity who;		      /* main process, exec'd, sandbox, ... */
	struct pt_oom_summary oom;	      /* set: report this OOM kill, nothing else */
	const struct pt_component *component; /* a node component on the host, or NULL */
	/* Set: report that this pod's runtime shim (the event's process) died, nothing else. */
	bool monitor_lost;
	/* The report regards the Node, not the pod: name the pod ("ns/name") in the message. */
	const char *pod_on_node;
};

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
