/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runtime-metadata fallback: which pod a container belongs to, read from the
 * container runtime's own state on this node, for a container the pod list
 * does not know yet (one that lived 50 ms).
 *
 * Where each runtime keeps it (paths relative to the configured roots):
 *
 * containerd, CRI plugin (1.x and 2.x), root = containerd's "state" dir:
 *   io.containerd.runtime.v2.task/<namespace>/<id>/config.json
 *     the OCI bundle of every task, pause containers included (2.x as 1.x)
 *   io.containerd.sandbox.controller.v1.shim/<namespace>/<id>/config.json
 *     2.x, sandboxes run by the "shim" sandboxer instead of "podsandbox"
 *   io.containerd.runtime.v1.linux/<namespace>/<id>/config.json
 *     1.x with the legacy runtime v1 shim
 *   annotations io.kubernetes.cri.container-type (container|sandbox),
 *   .container-name, .sandbox-name, .sandbox-namespace, .sandbox-uid (since
 *   1.6.11 and 1.7.0; may be missing), .sandbox-id.
 *
 * CRI-O, runroot and graphroot of containers/storage:
 *   <driver>-containers/<id>/userdata/config.json (driver: overlay, vfs, ...)
 *   The kubelet's labels are copied into the annotations:
 *   io.kubernetes.pod.name, .pod.namespace, .pod.uid, io.kubernetes.container.name,
 *   plus io.kubernetes.cri-o.ContainerType (container|sandbox) and
 *   io.kubernetes.cri-o.SandboxID.
 *
 * Docker (dockershim, cri-dockerd), root = docker's data-root:
 *   containers/<id>/config.v2.json, Config.Labels: the same io.kubernetes.pod.*
 *   and io.kubernetes.container.name labels, io.kubernetes.docker.type
 *   (container|podsandbox) and io.kubernetes.sandbox.id.
 */
#ifndef PODTRAIL_K8S_RUNTIME_META_H
#define PODTRAIL_K8S_RUNTIME_META_H

#include <stdbool.h>
#include <stddef.h>

#include "cgroup_path.h" /* enum pt_runtime, PT_CONTAINER_ID_LEN */

/* Bigger files are refused (-EFBIG): a real config.json is 10-50 KiB. */
#define PT_RUNTIME_META_FILE_MAX (4u << 20)

#define PT_RUNTIME_CONTAINERD_STATE "/run/containerd"
#define PT_RUNTIME_CRIO_STATE	    "/run/containers/storage"
#define PT_RUNTIME_CRIO_STORAGE	    "/var/lib/containers/storage"
#define PT_RUNTIME_DOCKER_ROOT	    "/var/lib/docker"
#define PT_RUNTIME_K8S_NAMESPACE    "k8s.io" /* the CRI plugin's containerd namespace */

struct pt_runtime_meta {
	char pod_namespace[254], pod_name[254];
	char pod_uid[64];	  /* "" when the runtime did not record it (containerd < 1.6.11) */
	char container_name[254]; /* "" for a sandbox */
	bool sandbox;		  /* the pod's sandbox (pause) container */
	enum pt_runtime runtime;  /* which runtime's state it came from */
	char sandbox_id[PT_CONTAINER_ID_LEN + 1]; /* the pod sandbox's container id, or "" */
	char source[512];			  /* the file it came from, for logs */
};

/*
 * Roots of each runtime's state, as this process sees them (the DaemonSet
 * mounts the host's under /host/...). NULL means the default path above, ""
 * means do not look at that runtime.
 */
struct pt_runtime_dirs {
	const char *containerd_state; /* containerd's "state" (not "root") */
	const char *crio_state;	      /* containers/storage runroot */
	const char *crio_storage;     /* containers/storage graphroot */
	const char *docker_root;      /* docker's data-root */
	/* containerd namespaces to search, NULL-terminated; NULL = { "k8s.io" } */
	const char *const *containerd_namespaces;
};

void pt_runtime_dirs_default(struct pt_runtime_dirs *d);

/*
 * Look up container @container_id (64 lower-case hex digits) in every
 * configured runtime's state and fill @out. Returns:
 *   0        found; @out filled, every string NUL-terminated
 *   -ENOENT  no runtime knows the container
 *   -EBADMSG a file exists but is not what its runtime writes: not a regular
 *            file, not JSON, no Kubernetes annotations, a field of the wrong
 *            type, too long (refused, never truncated) or holding a NUL
 *   -EFBIG   a file exists but is bigger than PT_RUNTIME_META_FILE_MAX
 *   -EINVAL  @container_id is not 64 lower-case hex digits, or a configured
 *            containerd namespace is not a plain name
 *   -ELOOP   the file is a symlink (runtimes never write one; not followed)
 *   other -errno from open/read (-EACCES, -EIO, -ENOMEM, -ENAMETOOLONG)
 * A later location that succeeds wins over an earlier one that failed; when
 * all fail, the first failure other than "not there" is returned. @err gets a
 * message naming the file (or the id) on every failure.
 */
int pt_runtime_meta_lookup(const struct pt_runtime_dirs *dirs, const char *container_id,
			   struct pt_runtime_meta *out, char *err, size_t errlen);

#endif /* PODTRAIL_K8S_RUNTIME_META_H */
