/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a kernel event happened and what the process was there: the data
 * that the stages from the ring reader to the classifier hand on.
 */
#ifndef PODTRAIL_PLACEMENT_H
#define PODTRAIL_PLACEMENT_H

#include <stdbool.h>
#include <stdint.h>
#include "cgroup_path.h"
#include "components.h"
#include "event.h"
#include "identity.h"

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

#endif
