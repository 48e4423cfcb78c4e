/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From a report to the Kubernetes Event the kubelet's recorder would write:
 * the event itself (involvedObject, source, reporting fields), and the
 * request bodies for core/v1 and events.k8s.io/v1 (create and patch).
 */
#ifndef PODTRAIL_K8S_EVENT_BUILD_H
#define PODTRAIL_K8S_EVENT_BUILD_H

#include <stddef.h>
#include "k8s/event_correlator.h"
#include "report.h"

#define PT_COMPONENT "podtrail"

enum pt_events_api {
	PT_EVENTS_CORE_V1 = 0, /* /api/v1 Event */
	PT_EVENTS_V1,	       /* /apis/events.k8s.io/v1 Event */
};

/*
 * Fill @out for @e: regarding the pod (fieldPath of the container) when
 * e->pod is set, otherwise the node (namespace "default", uid = node name,
 * as the kubelet does).
 */
void pt_k8s_event_build(const struct pt_emitted *e, struct pt_k8s_event *out);

/* Request bodies, malloc'ed JSON; NULL when out of memory. */
char *pt_k8s_event_create_body(const struct pt_k8s_event *ev, enum pt_events_api api);
/* A strategic-merge patch of what changes when an event repeats: count, last time, message. */
char *pt_k8s_event_patch_body(const struct pt_k8s_event *ev, enum pt_events_api api);

/* "/api/v1/namespaces/<ns>/events[/<name>]" or the events.k8s.io/v1 equivalent. */
int pt_k8s_event_path(enum pt_events_api api, const char *namespace_, const char *name, char *buf,
		      size_t len);

/* RFC 3339 in UTC: seconds ("...T10:00:00Z") or microseconds ("...T10:00:00.123456Z"). */
void pt_k8s_time(int64_t wall_ns, char *buf, size_t len);
void pt_k8s_micro_time(int64_t wall_ns, char *buf, size_t len);

#endif
