/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The node's own components: the kubelet, the container runtimes and their
 * shims and helpers, kube-proxy and the CNI daemons that run on the host.
 * Their deaths are reported on the Node (and a shim's on the pod it served).
 *
 * A process is a component when its name (comm, 15 characters) is one of
 * the table's and it runs on the host: in the host's pid namespace and never
 * in a pod's cgroup (a container's process named kubelet is not the node's
 * kubelet), and never in a user's login session (session-N.scope,
 * user@UID.service: someone running ./kubelet by hand). Its systemd unit is
 * not required to be a particular one: distributions run containerd in
 * containerd.service, k3s.service or rke2-server.service alike.
 *
 * A daemon must also have exec'd: a process forked from one and not yet
 * exec'd carries its name (Go's fork-exec child exits 253 named kubelet
 * when its exec fails) and is not the daemon. Shims and helpers need not:
 * conmon forks to detach, and the forked one is the shim.
 */
#ifndef PODTRAIL_COMPONENTS_H
#define PODTRAIL_COMPONENTS_H

#include <stdbool.h>
#include <stddef.h>
#include "cgroup_path.h"
#include "podtrail/record.h"

#define PT_MAX_COMPONENTS 32

enum pt_component_kind {
	PT_COMPONENT_DAEMON = 0, /* runs for ever: any end is news */
	PT_COMPONENT_SHIM,	 /* monitors one pod's (or container's) processes */
	PT_COMPONENT_HELPER,	 /* runs briefly for the runtime: only a crash is news */
};

struct pt_component {
	char name[32];		/* what the events call it */
	char comm[PT_COMM_LEN]; /* its process name, as the kernel keeps it (15 characters) */
	enum pt_component_kind kind;
};

struct pt_components {
	struct pt_component list[PT_MAX_COMPONENTS];
	size_t n;
};

/* The built-in table. */
void pt_components_default(struct pt_components *c);
/*
 * Add daemons named by their process names, comma-separated
 * (--node-components). 0, or -EINVAL (with @err) when a name is empty or
 * longer than a comm, or the table is full.
 */
int pt_components_add(struct pt_components *c, const char *list, char *err, size_t errlen);
/*
 * The component a process named @comm is, at pid-namespace level @ns_level
 * in cgroup @cg, @never_execd if it had not exec'd since its fork; or NULL.
 */
const struct pt_component *pt_component_match(const struct pt_components *c, const char *comm,
					      unsigned int ns_level, bool never_execd,
					      const struct pt_cgroup_info *cg);
/* The daemons' process names, for the kernel's clean-exit filter; returns how many. */
size_t pt_components_daemon_comms(const struct pt_components *c,
				  char out[PT_MAX_DAEMON_NAMES][PT_COMM_LEN]);
/* The shims' process names, whose first child the kernel records; returns how many. */
size_t pt_components_shim_comms(const struct pt_components *c,
				char out[PT_MAX_SHIM_NAMES][PT_COMM_LEN]);

#endif
