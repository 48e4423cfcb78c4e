/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turns a cgroup path into what it says about Kubernetes: the pod uid, the
 * container id and runtime, the QoS class and the cgroup driver; or, for a
 * host process, its systemd unit. Pure string work: no I/O, no allocation.
 */
#ifndef PODTRAIL_CGROUP_PATH_H
#define PODTRAIL_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define PT_POD_UID_LEN	    36 /* 8-4-4-4-12 */
#define PT_CONTAINER_ID_LEN 64 /* hex digits */
#define PT_UNIT_NAME_MAX    256

enum pt_cgroup_scope {
	PT_SCOPE_HOST = 0,	 /* not under a kubepods hierarchy */
	PT_SCOPE_POD,		 /* the pod's own cgroup, not a container's */
	PT_SCOPE_CONTAINER,	 /* a container of a pod */
	PT_SCOPE_RUNTIME_HELPER, /* e.g. crio-conmon-<id>.scope: not the container */
	/* The record named a cgroup whose path is not known: neither a pod nor the host. */
	PT_SCOPE_UNKNOWN,
};

enum pt_cgroup_driver {
	PT_DRIVER_NONE = 0,
	PT_DRIVER_CGROUPFS,
	PT_DRIVER_SYSTEMD,
};

enum pt_qos {
	PT_QOS_NONE = 0,
	PT_QOS_GUARANTEED, /* pods directly under kubepods */
	PT_QOS_BURSTABLE,
	PT_QOS_BESTEFFORT,
};

enum pt_runtime {
	PT_RUNTIME_UNKNOWN = 0, /* cgroupfs driver: a bare 64-hex id says no runtime */
	PT_RUNTIME_CONTAINERD,
	PT_RUNTIME_CRIO,
	PT_RUNTIME_DOCKER,
};

struct pt_cgroup_info {
	enum pt_cgroup_scope scope;
	enum pt_cgroup_driver driver;
	enum pt_qos qos;
	enum pt_runtime runtime;
	char pod_uid[PT_POD_UID_LEN + 1];	    /* lower case; uuid, or 32 hex if static */
	char container_id[PT_CONTAINER_ID_LEN + 1]; /* lower-case hex */
	char unit[PT_UNIT_NAME_MAX];		    /* host: innermost systemd unit, or "" */
};

/*
 * Parse @path (absolute or not, e.g. "/kubepods/burstable/pod<uid>/<id>").
 * Always fills @out (a host process when nothing matches). Returns 0, or
 * -EINVAL when the path looks like a kubepods path but is malformed (then
 * @out is a host attribution: never a guess at a pod).
 */
int pt_cgroup_parse(const char *path, struct pt_cgroup_info *out);

const char *pt_qos_name(enum pt_qos qos);
const char *pt_runtime_name(enum pt_runtime runtime);
const char *pt_driver_name(enum pt_cgroup_driver driver);
const char *pt_scope_name(enum pt_cgroup_scope scope);

#endif
