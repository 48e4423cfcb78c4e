/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup id -> path, per hierarchy: exit records name their cgroup by id
 * alone. Filled by a walk of the hierarchies at start (cgroup_walk.h) and by
 * the kernel's mkdir and rmdir records. A removed cgroup is kept for a grace
 * time, then forgotten, so the table holds the live cgroups and those
 * removed within the grace time, no more.
 *
 * Times are the records' own (CLOCK_MONOTONIC, bpf_ktime_get_ns): removal
 * and expiry follow the kernel's order of events, not the reader's pace.
 */
#ifndef PODTRAIL_CGROUP_IDS_H
#define PODTRAIL_CGROUP_IDS_H

#include <stdint.h>

/*
 * Long enough for every record that may name a removed cgroup: the
 * exits in it come before its rmdir in the ring, but a signal's sender is
 * named when its target exits, which can be a stop's whole grace period
 * (30 s by default in Kubernetes) after the sender's cgroup went away.
 */
#define PT_CGROUP_IDS_GRACE_NS (60ULL * 1000000000ULL)

struct pt_cgroup_ids;

struct pt_cgroup_ids_stats {
	uint64_t entries; /* cgroups known, removed ones in their grace time included */
	uint64_t removed; /* of which removed, waiting to be forgotten */
	uint64_t added;	  /* cgroups learnt (walk and mkdir records) */
	uint64_t expired; /* removed cgroups forgotten */
	uint64_t misses;  /* look-ups of an id not known */
};

int pt_cgroup_ids_new(uint64_t grace_ns, struct pt_cgroup_ids **out);
void pt_cgroup_ids_free(struct pt_cgroup_ids *t);

/* Learn (or relearn, un-removing it) the cgroup @id of @hierarchy. 0 or -ENOMEM. */
int pt_cgroup_ids_add(struct pt_cgroup_ids *t, uint32_t hierarchy, uint64_t id, const char *path);
/* The cgroup was removed at @now_ns: forgotten once the grace time has passed. */
void pt_cgroup_ids_remove(struct pt_cgroup_ids *t, uint32_t hierarchy, uint64_t id,
			  uint64_t now_ns);
/* Forget the cgroups removed more than the grace time before @now_ns. */
void pt_cgroup_ids_expire(struct pt_cgroup_ids *t, uint64_t now_ns);
/* The path ("/" for the root), or NULL when unknown (a miss, counted). */
const char *pt_cgroup_ids_find(struct pt_cgroup_ids *t, uint32_t hierarchy, uint64_t id);
void pt_cgroup_ids_stats(const struct pt_cgroup_ids *t, struct pt_cgroup_ids_stats *out);

#endif
