/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cluster mode: connects to the API server and runs the Kubernetes stages
 * (pod cache + watcher -> attributor; the Event sink). It offers the
 * attribution step and the sink; main.c puts them in the pipeline.
 */
#ifndef PODTRAIL_CLUSTER_H
#define PODTRAIL_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "event_loop.h"
#include "k8s/attributor.h"
#include "k8s/event_sink.h"
#include "k8s/pod_watcher.h"
#include "options.h"
#include "report.h"

struct pt_cluster;
struct pt_api_stats;
struct pt_runtime_state;

/* What the Kubernetes stages take from the rest of the daemon. */
struct pt_cluster_links {
	const char *node;
	struct pt_runtime_state *runtime; /* the runtime's metadata; NULL: not read */
	pt_emit_fn emit; /* where attributed events go on: classify, then the sink */
	void *emit_ctx;
};

/* What /metrics and the totals show of the Kubernetes side: every counter it keeps. */
struct pt_cluster_metrics {
	struct pt_event_sink_stats sink;
	struct pt_attributor_stats attributor;
	struct pt_pod_watcher_stats watcher;
	uint64_t pods_cached;
	uint64_t pods_tombstoned;
	uint64_t awaiting_attribution;	/* events held until their pod is known */
	uint64_t queued;		/* Events waiting to be written */
	const struct pt_api_stats *api; /* last: the counters above are all uint64_t */
};

/* Does the configuration ask for cluster mode (kubeconfig or in-cluster)? */
bool pt_cluster_configured(const struct pt_options *o, char **envp);
/*
 * Connect and start watching pods. Returns 0, or -errno with a one-line
 * message in @err (the kubeconfig path, what is wrong).
 */
int pt_cluster_start(struct pt_loop *loop, const struct pt_options *o,
		     const struct pt_cluster_links *links, struct pt_cluster **out, char *err,
		     size_t errlen);
/* Attribute a placed event to its pod, then emit it (a pt_attribute_fn; @ctx: the cluster). */
void pt_cluster_attribute(void *ctx, const struct pt_event *ev, const struct pt_placement *where);
/* Events to the API server, and at -v 1 a log line on stderr. */
struct pt_sink pt_cluster_sink(struct pt_cluster *c);
/* Flush: release held events and write what is queued, for at most the grace period. */
void pt_cluster_shutdown(struct pt_cluster *c, struct pt_loop *loop, uint64_t grace_ns);
bool pt_cluster_ready(const struct pt_cluster *c);
void pt_cluster_metrics(const struct pt_cluster *c, struct pt_cluster_metrics *m);
void pt_cluster_free(struct pt_cluster *c);

#endif
