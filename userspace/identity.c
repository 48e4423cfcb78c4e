// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "identity.h"

static void set(struct pt_identity *out, enum pt_process_role role, enum pt_role_source source)
{
	out->role = role;
	out->source = source;
}

/*
 * runc exec (or crun's) is the parent of what it runs for its first
 * milliseconds, before the shim adopts it: an exec that dies that early may
 * die before runc has written its pid file.
 */
static bool parent_is_exec_helper(const struct pt_event *ev)
{
	static const char *const helpers[] = { "runc", "crun", "youki" };

	if (!(ev->flags & PT_FLAG_PARENT_OTHER_CGROUP))
		return false;
	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		if (!strcmp(ev->parent_comm, helpers[i]))
			return true;
	return false;
}

/* Rule 1: the runtime recorded the container's main pid. */
static void by_runtime(const struct pt_event *ev, const struct pt_runtime_answer *rt,
		       bool named_sandbox, struct pt_identity *out)
{
	if (ev->pid != rt->main_pid && rt->exec)
		set(out, PT_ROLE_EXEC, PT_SOURCE_RUNTIME);
	else if (ev->pid != rt->main_pid && parent_is_exec_helper(ev))
		set(out, PT_ROLE_EXEC, PT_SOURCE_PARENT);
	else if (ev->pid != rt->main_pid)
		set(out, PT_ROLE_OTHER, PT_SOURCE_RUNTIME);
	else if (rt->kind == PT_KIND_SANDBOX)
		set(out, PT_ROLE_SANDBOX, PT_SOURCE_RUNTIME);
	else if (rt->kind == PT_KIND_UNKNOWN && named_sandbox)
		set(out, PT_ROLE_SANDBOX, PT_SOURCE_NAME); /* its spec was unreadable */
	else
		set(out, PT_ROLE_MAIN, PT_SOURCE_RUNTIME);
}

void pt_identify(const struct pt_event *ev, const struct pt_cgroup_info *cg,
		 const struct pt_runtime_answer *rt, struct pt_identity *out)
{
	static const struct pt_runtime_answer nothing;
	bool named_sandbox = ev->flags & PT_FLAG_SANDBOX;
	bool init_from_outside =
	    (ev->flags & PT_FLAG_PIDNS_INIT) && (ev->flags & PT_FLAG_PARENT_OTHER_CGROUP);

	memset(out, 0, sizeof(*out));
	if (!rt || !rt->known)
		rt = &nothing;
	if (cg->scope == PT_SCOPE_POD) {
		/* A pod's own cgroup holds no container; a sandbox process may sit there. */
		if (named_sandbox)
			set(out, PT_ROLE_SANDBOX, PT_SOURCE_NAME);
		return;
	}
	if (cg->scope != PT_SCOPE_CONTAINER)
		return;
	if (rt->exec)
		memcpy(out->exec_command, rt->exec_command, sizeof(out->exec_command));
	if (rt->main_pid)
		by_runtime(ev, rt, named_sandbox, out);
	else if (rt->exec)
		set(out, PT_ROLE_EXEC, PT_SOURCE_RUNTIME);
	else if (rt->kind == PT_KIND_SANDBOX)
		set(out, named_sandbox || init_from_outside ? PT_ROLE_SANDBOX : PT_ROLE_OTHER,
		    PT_SOURCE_RUNTIME);
	else if (named_sandbox && rt->kind == PT_KIND_UNKNOWN)
		set(out, PT_ROLE_SANDBOX, PT_SOURCE_NAME);
	else if (init_from_outside)
		set(out, PT_ROLE_MAIN, PT_SOURCE_PIDNS);
	else
		set(out, PT_ROLE_UNKNOWN, PT_SOURCE_NONE);
}
const char *pt_role_name(enum pt_process_role role)
{
	switch (role) {
	case PT_ROLE_UNKNOWN:
		return "unknown";
	case PT_ROLE_MAIN:
		return "main";
	case PT_ROLE_EXEC:
		return "exec";
	case PT_ROLE_OTHER:
		return "other";
	case PT_ROLE_SANDBOX:
		return "sandbox";
	case PT_ROLE_NONE:
		break;
	}
	return "none";
}

const char *pt_role_source_name(enum pt_role_source source)
{
	switch (source) {
	case PT_SOURCE_RUNTIME:
		return "runtime";
	case PT_SOURCE_PIDNS:
		return "pid-namespace";
	case PT_SOURCE_NAME:
		return "name";
	case PT_SOURCE_PARENT:
		return "parent";
	case PT_SOURCE_NONE:
		break;
	}
	return "none";
}
