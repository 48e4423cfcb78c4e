/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which process of its container an exit is about: the container's main
 * process (the one the runtime started as the container), one the runtime
 * exec'd into it (an exec probe, kubectl exec), another one, or the pod's
 * sandbox; and how that is known. A rule that cannot be sure says
 * PT_ROLE_UNKNOWN, and nothing downstream may then claim a main process.
 *
 * The rules, in order (README "Main process"):
 *  1. The runtime's record (runtime_state.h): the process whose host pid the
 *     runtime wrote as the container's init is the main process, or the
 *     sandbox process when the container is a pod sandbox; any other process
 *     is not the main one, and an exec when its pid came from an exec's pid
 *     file, or when its parent is still runc (an exec that dies within
 *     milliseconds, before runc wrote its pid file). This holds in every
 *     pid-namespace mode.
 *  2. Without it, a container of a pod the runtime calls a sandbox, or a
 *     process named like a sandbox (--sandbox-names) in a container the
 *     runtime does not know, is the sandbox.
 *  3. Without it, the init of a pid namespace whose parent lives outside the
 *     container's cgroup is the main process: nothing exec'd into a running
 *     container can be the init of its namespace, and a namespace made inside
 *     the container has its parent inside too.
 *  4. Otherwise (the host's or the pod's shared pid namespace, no record):
 *     unknown.
 */
#ifndef PODTRAIL_IDENTITY_H
#define PODTRAIL_IDENTITY_H

#include "cgroup_path.h"
#include "event.h"
#include "runtime_state.h"

enum pt_process_role {
	PT_ROLE_NONE = 0, /* not a container's process: the host, a pod's own cgroup */
	PT_ROLE_UNKNOWN,  /* a container's process that may or may not be its main one */
	PT_ROLE_MAIN,	  /* the process the runtime started as the container */
	PT_ROLE_EXEC,	  /* a process the runtime exec'd into the running container */
	PT_ROLE_OTHER,	  /* not the main process: a descendant, or an exec no longer listed */
	PT_ROLE_SANDBOX,  /* the pod's sandbox process (pause) */
};

enum pt_role_source {
	PT_SOURCE_NONE = 0,
	PT_SOURCE_RUNTIME, /* the runtime's own record: init.pid, an exec's pid file */
	PT_SOURCE_PIDNS,   /* init of the container's own pid namespace (rule 3) */
	PT_SOURCE_NAME,	   /* a process named like a sandbox (rule 2) */
	PT_SOURCE_PARENT,  /* exec only: its parent is runc's exec (rule 1) */
};

struct pt_identity {
	enum pt_process_role role;
	enum pt_role_source source;
	char exec_command[PT_EXEC_COMMAND_MAX]; /* PT_ROLE_EXEC: its command line, or "" */
};

/* @rt: what the runtime said (NULL or !known: nothing). */
void pt_identify(const struct pt_event *ev, const struct pt_cgroup_info *cg,
		 const struct pt_runtime_answer *rt, struct pt_identity *out);

const char *pt_role_name(enum pt_process_role role);
const char *pt_role_source_name(enum pt_role_source source);

#endif
