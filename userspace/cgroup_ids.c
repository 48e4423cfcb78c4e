// SPDX-License-Identifier: GPL-2.0
/*
 * A chained hash table keyed by (hierarchy, id), doubling as it fills, and
 * a FIFO of removed entries: the grace time is the same for all, so the
 * oldest removal is always at its head and expiry never searches.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup_ids.h"

struct entry {
	struct entry *next;	 /* hash chain */
	struct entry *fifo_next; /* removal queue */
	uint64_t id;
	uint64_t removed_ns;
	uint32_t hierarchy;
	bool removed;
	bool queued;
	char path[]; /* in the same block: one allocation a cgroup, not two */
};

struct pt_cgroup_ids {
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	struct entry *fifo_head, *fifo_tail;
	uint64_t grace_ns;
	struct pt_cgroup_ids_stats stats;
};

#define MIN_BUCKETS 256

static size_t bucket_of(uint32_t hierarchy, uint64_t id, size_t nbuckets)
{
	uint64_t h = (id ^ ((uint64_t)hierarchy << 56)) * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 32) & (nbuckets - 1);
}

int pt_cgroup_ids_new(uint64_t grace_ns, struct pt_cgroup_ids **out)
{
	struct pt_cgroup_ids *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->buckets = calloc(MIN_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->nbuckets = MIN_BUCKETS;
	t->grace_ns = grace_ns;
	*out = t;
	return 0;
}

static void free_entry(struct entry *e)
{
	free(e);
}

static struct entry *new_entry(uint32_t hierarchy, uint64_t id, const char *path)
{
	size_t len = strlen(path);
	struct entry *e = malloc(sizeof(*e) + len + 1);

	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->hierarchy = hierarchy;
	memcpy(e->path, path, len + 1);
	return e;
}

/* @e, in the removal queue, is now @by. */
static void requeue(struct pt_cgroup_ids *t, struct entry *e, struct entry *by)
{
	struct entry **link = &t->fifo_head;

	while (*link && *link != e)
		link = &(*link)->fifo_next;
	if (!*link)
		return;
	*link = by;
	if (t->fifo_tail == e)
		t->fifo_tail = by;
}

void pt_cgroup_ids_free(struct pt_cgroup_ids *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct entry *e = t->buckets[b], *next;

		for (; e; e = next) {
			next = e->next;
			free_entry(e);
		}
	}
	free(t->buckets);
	free(t);
}

static struct entry **find_slot(const struct pt_cgroup_ids *t, uint32_t hierarchy, uint64_t id)
{
	struct entry **slot = &t->buckets[bucket_of(hierarchy, id, t->nbuckets)];

	while (*slot && ((*slot)->id != id || (*slot)->hierarchy != hierarchy))
		slot = &(*slot)->next;
	return slot;
}

/* Twice the buckets; a failed allocation leaves longer chains, not an error. */
static void grow(struct pt_cgroup_ids *t)
{
	size_t n = t->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			size_t k = bucket_of(e->hierarchy, e->id, n);

			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

int pt_cgroup_ids_add(struct pt_cgroup_ids *t, uint32_t hierarchy, uint64_t id, const char *path)
{
	struct entry **slot = find_slot(t, hierarchy, id);
	struct entry *e = *slot, *n;

	if (e && !strcmp(e->path, path)) {
		if (e->removed)
			t->stats.removed--;
		e->removed = false;
		return 0;
	}
	n = new_entry(hierarchy, id, path);
	if (!n)
		return -ENOMEM;
	if (e) {
		/* Renamed (v1 allows it): the new name from now on, in a new block. */
		n->next = e->next;
		n->fifo_next = e->fifo_next;
		n->queued = e->queued;
		n->removed_ns = e->removed_ns;
		if (e->queued)
			requeue(t, e, n);
		if (e->removed)
			t->stats.removed--;
		*slot = n;
		free_entry(e);
		return 0;
	}
	e = n;
	*slot = e;
	t->stats.entries++;
	t->stats.added++;
	if (t->stats.entries > t->nbuckets)
		grow(t);
	return 0;
}

void pt_cgroup_ids_remove(struct pt_cgroup_ids *t, uint32_t hierarchy, uint64_t id, uint64_t now_ns)
{
	struct entry *e = *find_slot(t, hierarchy, id);

	if (!e || e->removed)
		return;
	e->removed = true;
	e->removed_ns = now_ns;
	t->stats.removed++;
	if (e->queued)
		return; /* removed, re-added and removed again: still in the queue */
	e->queued = true;
	e->fifo_next = NULL;
	if (t->fifo_tail)
		t->fifo_tail->fifo_next = e;
	else
		t->fifo_head = e;
	t->fifo_tail = e;
}

void pt_cgroup_ids_expire(struct pt_cgroup_ids *t, uint64_t now_ns)
{
	struct entry *e;

	while ((e = t->fifo_head) &&
	       (!e->removed || (now_ns > e->removed_ns && now_ns - e->removed_ns >= t->grace_ns))) {
		t->fifo_head = e->fifo_next;
		if (!t->fifo_head)
			t->fifo_tail = NULL;
		e->queued = false;
		if (!e->removed)
			continue; /* re-added since: it stays */
		*find_slot(t, e->hierarchy, e->id) = e->next;
		free_entry(e);
		t->stats.entries--;
		t->stats.removed--;
		t->stats.expired++;
	}
}

const char *pt_cgroup_ids_find(struct pt_cgroup_ids *t, uint32_t hierarchy, uint64_t id)
{
	struct entry *e = *find_slot(t, hierarchy, id);

	if (!e) {
		t->stats.misses++;
		return NULL;
	}
	return e->path;
}

void pt_cgroup_ids_stats(const struct pt_cgroup_ids *t, struct pt_cgroup_ids_stats *out)
{
	*out = t->stats;
}
