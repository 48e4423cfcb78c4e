/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pods of this node, as the API server last described them, indexed by
 * pod uid and by every container id (current and previous instance) so that
 * a kernel record's cgroup maps to namespace, pod name and container name in
 * constant time. Deleted pods stay findable for a grace period: their
 * containers' exits often arrive after the DELETED watch event.
 */
#ifndef PODTRAIL_K8S_POD_CACHE_H
#define PODTRAIL_K8S_POD_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "k8s/pod_json.h"

struct pt_pod_cache;

int pt_pod_cache_new(uint64_t tombstone_ns, struct pt_pod_cache **out);
void pt_pod_cache_free(struct pt_pod_cache *c);

/* Insert or replace the pod with @pod's uid; takes ownership of @pod's contents. */
int pt_pod_cache_upsert(struct pt_pod_cache *c, struct pt_pod *pod, uint64_t now_ns);
/* Mark the pod deleted: it is forgotten @tombstone_ns after @now_ns. */
void pt_pod_cache_delete(struct pt_pod_cache *c, const char *uid, uint64_t now_ns);
/* After a (re-)list: pods missing from the list become tombstones. Takes ownership of the items. */
int pt_pod_cache_replace(struct pt_pod_cache *c, struct pt_pod_list *list, uint64_t now_ns);
/* Forget tombstones older than the grace period; returns how many were forgotten. */
size_t pt_pod_cache_expire(struct pt_pod_cache *c, uint64_t now_ns);
/*
 * When the oldest tombstone is due to be forgotten, but no sooner than
 * min(tombstone time / 8, 1 s) after the last expiry; 0 when there is none.
 */
uint64_t pt_pod_cache_next_expiry(const struct pt_pod_cache *c);

const struct pt_pod *pt_pod_cache_by_uid(const struct pt_pod_cache *c, const char *uid);
/* The pod that has container @id; *container is set to it. */
const struct pt_pod *pt_pod_cache_by_container(const struct pt_pod_cache *c, const char *id,
					       const struct pt_pod_container **container);
/* Live pods (tombstones excluded). */
size_t pt_pod_cache_size(const struct pt_pod_cache *c);
/* Deleted pods still kept for late events. */
size_t pt_pod_cache_tombstones(const struct pt_pod_cache *c);

#endif
