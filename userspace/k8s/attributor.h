/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decides which pod and container an event belongs to. The pod uid and
 * container id come from the cgroup path (the kernel's word, never a
 * guess); names come from the pod cache, or from the container runtime's
 * own metadata when the API server does not know the container yet. An
 * event whose pod is unknown to both is held (bounded time and count) until
 * the pod appears; when the hold runs out it is attributed to the pod alone
 * if the pod is known, and otherwise dropped and counted — never attributed
 * to another pod.
 */
#ifndef PODTRAIL_K8S_ATTRIBUTOR_H
#define PODTRAIL_K8S_ATTRIBUTOR_H

#include <stddef.h>
#include <stdint.h>
#include "event_loop.h"
#include "k8s/pod_cache.h"
#include "report.h"
#include "runtime_state.h"

struct pt_attributor_config {
	uint64_t hold_ns; /* defaults: --hold-time and --hold-max */
	size_t hold_max;
	struct pt_runtime_state *runtime; /* the runtime's metadata; NULL: not consulted */
};

struct pt_attributor_stats {
	uint64_t from_api;	/* attributed from the pod cache */
	uint64_t from_runtime;	/* attributed from the runtime's metadata */
	uint64_t held;		/* events that had to wait */
	uint64_t late;		/* held events attributed once the pod appeared */
	uint64_t pod_only;	/* attributed to the pod, container unknown */
	uint64_t unattributed;	/* dropped: no pod knew them */
	uint64_t hold_overflow; /* released early because the hold was full */
	uint64_t node;		/* host processes: reported on the node */
};

struct pt_attributor;

void pt_attributor_default_config(struct pt_attributor_config *cfg);
/* Every attributed event goes on to @emit, now or later from the loop's timer. */
int pt_attributor_new(struct pt_loop *loop, struct pt_pod_cache *cache,
		      const struct pt_attributor_config *cfg, pt_emit_fn emit, void *emit_ctx,
		      struct pt_attributor **out);
/* Attribute a placed event (the pipeline's pt_attribute_fn). */
void pt_attributor_submit(void *ctx, const struct pt_event *ev, const struct pt_placement *where);
/* A pt_pods_changed_fn for the pod watcher: retry held events. */
void pt_attributor_pods_changed(void *ctx);
/* Give up waiting: attribute or drop everything held (at shutdown). */
void pt_attributor_release_all(struct pt_attributor *a);
size_t pt_attributor_waiting(const struct pt_attributor *a);
const struct pt_attributor_stats *pt_attributor_stats(const struct pt_attributor *a);
void pt_attributor_free(struct pt_attributor *a);

#endif
