/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cluster mode: connects to the API server and wires the Kubernetes stages
 * into the pipeline (pod cache + watcher -> attributor -> Event sink).
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
#include "pipeline.h"

struct pt_cluster;

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
 * Connect and wire @pipeline's attribution and sink. Returns 0, or -errno
 * with a one-line message in @err (the kubeconfig path, what is wrong).
 */
int pt_cluster_start(struct pt_loop *loop, const struct pt_options *o, struct pt_pipeline *pipeline,
		     struct pt_cluster **out, char *err, size_t errlen);
/* Flush: release held events and write what is queued, for at most the grace period. */
void pt_cluster_shutdown(struct pt_cluster *c, struct pt_loop *loop, uint64_t grace_ns);
bool pt_cluster_ready(const struct pt_cluster *c);
void pt_cluster_metrics(const struct pt_cluster *c, struct pt_cluster_metrics *m);
void pt_cluster_free(struct pt_cluster *c);

#endif
