/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pod, PodList and metav1 Status JSON (json-c objects) turned into the
 * compact structs the pod cache keeps: identity, node, phase, and for every
 * container its name, kind and the container ids that map cgroups back to
 * it (the current one and, after a restart, the previous one).
 *
 * Field types are checked as Go's decoder would: a missing or null field
 * takes its zero value, a field of the wrong type makes the object invalid
 * (-EBADMSG, with the JSON path in the message).
 */
#ifndef PODTRAIL_K8S_POD_JSON_H
#define PODTRAIL_K8S_POD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup_path.h" /* enum pt_runtime, PT_CONTAINER_ID_LEN, PT_POD_UID_LEN */

struct json_object;

#define PT_K8S_NAME_MAX	      253 /* DNS subdomain: pod and node names */
#define PT_K8S_LABEL_MAX      63  /* DNS label: namespaces, container names */
#define PT_K8S_RV_MAX	      64  /* resourceVersion: opaque, an etcd revision in practice */
#define PT_POD_MAX_CONTAINERS 4096

enum pt_container_kind {
	PT_CONTAINER_REGULAR = 0, /* spec.containers */
	PT_CONTAINER_INIT,	  /* spec.initContainers */
	PT_CONTAINER_EPHEMERAL,	  /* spec.ephemeralContainers */
};

/* A CRI container id, as in status.containerStatuses[].containerID. */
struct pt_container_ref {
	enum pt_runtime runtime;	  /* from the scheme; UNKNOWN if unrecognised */
	char id[PT_CONTAINER_ID_LEN + 1]; /* 64 lower-case hex digits, or "" */
};

struct pt_pod_container {
	char name[PT_K8S_LABEL_MAX + 1];
	enum pt_container_kind kind;
	bool in_spec;	/* listed in the pod spec */
	bool in_status; /* has a status entry */
	int32_t restart_count;
	struct pt_container_ref id;	 /* the current (or last) instance */
	struct pt_container_ref last_id; /* lastState.terminated: the instance before it */
};

enum pt_pod_phase {
	PT_POD_PHASE_NONE = 0, /* not reported yet */
	PT_POD_PHASE_PENDING,
	PT_POD_PHASE_RUNNING,
	PT_POD_PHASE_SUCCEEDED,
	PT_POD_PHASE_FAILED,
	PT_POD_PHASE_UNKNOWN, /* "Unknown", or a phase this code does not know */
};

struct pt_pod {
	char namespace[PT_K8S_LABEL_MAX + 1];
	char name[PT_K8S_NAME_MAX + 1];
	char uid[PT_POD_UID_LEN + 1]; /* lower case, as in cgroup paths */
	/* A static pod's manifest hash (kubernetes.io/config.mirror): its cgroups' "uid" */
	char mirror_uid[33];
	/*
	 * spec.nodeName and metadata.resourceVersion are checked, not kept: every
	 * pod listed is on this node, and the watch resumes from the events'
	 * versions. A thousand cached pods would carry 320 KiB of them.
	 */
	bool deleting; /* metadata.deletionTimestamp is set */
	enum pt_pod_phase phase;
	/* spec containers in spec order (regular, init, ephemeral), then any
	 * that only appear in status */
	struct pt_pod_container *containers;
	size_t n_containers;
};

struct pt_pod_list {
	struct pt_pod *items;
	size_t n_items;
	size_t n_skipped;			  /* items that were not valid pods (see err) */
	char resource_version[PT_K8S_RV_MAX + 1]; /* "" if absent */
};

/* A metav1 Status: what the API server says when a request fails. */
struct pt_api_status {
	int32_t code;		     /* HTTP status code, 0 if absent */
	char status[16];	     /* "Success" / "Failure" */
	char reason[64];	     /* "Expired", "NotFound", ... */
	char message[512];	     /* truncated at a UTF-8 boundary */
	int32_t retry_after_seconds; /* details.retryAfterSeconds, 0 if absent */
};

/*
 * Fill @out from a Pod object. metadata.name, .namespace and .uid are
 * required. Returns 0, -EBADMSG (message in @err) or -ENOMEM. On success
 * free @out with pt_pod_free().
 */
int pt_pod_from_json(struct json_object *pod, struct pt_pod *out, char *err, size_t errlen);
void pt_pod_free(struct pt_pod *pod);

/* The container whose current or previous instance has id @id (64 hex), or NULL. */
const struct pt_pod_container *pt_pod_find_container_id(const struct pt_pod *pod, const char *id);

/* The container @name of @kind, or NULL. */
const struct pt_pod_container *pt_pod_find_container(const struct pt_pod *pod,
						     enum pt_container_kind kind, const char *name);

/* "spec.containers{app}", for an Event's involvedObject.fieldPath. */
int pt_pod_container_field_path(const struct pt_pod_container *c, char *buf, size_t len);

/*
 * Parse "containerd://<64 hex>" (also cri-o://, docker://). Returns 0, or
 * -EINVAL with @out zeroed when @s is empty or not of that form.
 */
int pt_container_id_parse(const char *s, struct pt_container_ref *out);

/*
 * Fill @out from a PodList. An item that is not a valid pod is skipped and
 * counted in n_skipped, the first reason left in @err: one bad object must
 * not blind the agent to a whole node. -EBADMSG if @list is not a PodList.
 */
int pt_pod_list_from_json(struct json_object *list, struct pt_pod_list *out, char *err,
			  size_t errlen);
/* Same, from a response body. */
int pt_pod_list_parse(const char *body, size_t len, struct pt_pod_list *out, char *err,
		      size_t errlen);
void pt_pod_list_free(struct pt_pod_list *list);

/*
 * Fill @out from a Status. Tolerant: missing or mistyped fields stay zero.
 * -EBADMSG if the body is not JSON, not an object, or clearly not a Status
 * (another kind, or none of kind, code, reason, message).
 */
int pt_status_from_json(struct json_object *obj, struct pt_api_status *out);
int pt_status_parse(const char *body, size_t len, struct pt_api_status *out);

#endif /* PODTRAIL_K8S_POD_JSON_H */
