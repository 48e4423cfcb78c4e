/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keeps the pod cache in step with the API server: list the pods of this
 * node, then watch from the list's resourceVersion with bookmarks; resume a
 * dropped watch from the last resourceVersion seen, re-list on 410 Gone, and
 * back off (jittered, doubling to 30 s) while the server is unreachable.
 * Deleted pods are forgotten when the cache's tombstone time has passed
 * (a timer armed only while there are some), and their memory given back.
 */
#ifndef PODTRAIL_K8S_POD_WATCHER_H
#define PODTRAIL_K8S_POD_WATCHER_H

#include <stdbool.h>
#include <stdint.h>
#include "event_loop.h"
#include "k8s/api_stats.h"
#include "k8s/http_client.h"
#include "k8s/pod_cache.h"

struct pt_pod_watcher_stats {
	uint64_t lists;
	uint64_t watches;      /* watch requests started */
	uint64_t restarts;     /* watches that ended and were started again */
	uint64_t relists_gone; /* re-lists after 410 Gone */
	uint64_t failures;     /* failed requests (transport or HTTP error) */
	uint64_t watch_events; /* ADDED/MODIFIED/DELETED applied */
	uint64_t bad_objects;  /* pods that did not parse */
	uint64_t expired;      /* deleted pods forgotten after the tombstone time */
};

struct pt_pod_watcher;
typedef void (*pt_pods_changed_fn)(void *ctx);

int pt_pod_watcher_new(struct pt_loop *loop, struct pt_http *http, struct pt_pod_cache *cache,
		       const char *node, struct pt_api_stats *api, pt_pods_changed_fn changed,
		       void *ctx, struct pt_pod_watcher **out);
int pt_pod_watcher_start(struct pt_pod_watcher *w);
/* Listed at least once, and the last request to the server got an answer. */
bool pt_pod_watcher_ready(const struct pt_pod_watcher *w);
const struct pt_pod_watcher_stats *pt_pod_watcher_stats(const struct pt_pod_watcher *w);
void pt_pod_watcher_free(struct pt_pod_watcher *w);

#endif
