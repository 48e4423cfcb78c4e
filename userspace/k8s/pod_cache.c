// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "k8s/pod_cache.h"

/*
 * Pods live in a singly linked list; two open-addressing tables map a uid
 * and a container id to the pod. The tables are rebuilt when they fill up
 * or when a removal leaves too many deleted slots.
 */
struct cached_pod {
	struct pt_pod pod;
	uint64_t deleted_ns; /* 0 while live */
	struct cached_pod *next;
	struct pt_pod_container containers[]; /* the pod's, in the same block */
};

struct slot {
	const char *key; /* points into the pod; NULL: empty */
	struct cached_pod *pod;
	bool tomb;
};

struct table {
	struct slot *slots;
	size_t cap;  /* a power of two */
	size_t used; /* live keys plus tombs */
};

struct pt_pod_cache {
	struct cached_pod *pods;
	struct table by_uid;
	struct table by_container;
	uint64_t tombstone_ns;
	uint64_t last_expiry_ns; /* when pt_pod_cache_expire() last ran */
	size_t live;
	size_t tombstones;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int table_init(struct table *t, size_t cap)
{
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->cap = cap;
	t->used = 0;
	return 0;
}

static struct slot *table_find(const struct table *t, const char *key)
{
	size_t mask = t->cap - 1;

	for (size_t i = hash_str(key) & mask, n = 0; n < t->cap; i = (i + 1) & mask, n++) {
		struct slot *s = &t->slots[i];

		if (!s->key && !s->tomb)
			return NULL;
		if (s->key && strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

/* Insert without growing; the caller guarantees room. */
static void table_put(struct table *t, const char *key, struct cached_pod *pod)
{
	size_t mask = t->cap - 1;
	struct slot *s = table_find(t, key);

	if (s) {
		s->key = key;
		s->pod = pod;
		return;
	}
	for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
		s = &t->slots[i];
		if (!s->key) {
			if (!s->tomb)
				t->used++;
			s->key = key;
			s->pod = pod;
			s->tomb = false;
			return;
		}
	}
}

static void table_del(struct table *t, const char *key, const struct cached_pod *pod)
{
	struct slot *s = table_find(t, key);

	/* Only the pod's own entry: a newer pod may own the key now. */
	if (s && s->pod == pod) {
		s->key = NULL;
		s->pod = NULL;
		s->tomb = true;
	}
}

static void index_pod(struct pt_pod_cache *c, struct cached_pod *cp)
{
	table_put(&c->by_uid, cp->pod.uid, cp);
	if (cp->pod.mirror_uid[0])
		table_put(&c->by_uid, cp->pod.mirror_uid, cp);
	for (size_t i = 0; i < cp->pod.n_containers; i++) {
		struct pt_pod_container *pc = &cp->pod.containers[i];

		if (pc->id.id[0])
			table_put(&c->by_container, pc->id.id, cp);
		if (pc->last_id.id[0])
			table_put(&c->by_container, pc->last_id.id, cp);
	}
}

static void unindex_pod(struct pt_pod_cache *c, struct cached_pod *cp)
{
	table_del(&c->by_uid, cp->pod.uid, cp);
	table_del(&c->by_uid, cp->pod.mirror_uid, cp);
	for (size_t i = 0; i < cp->pod.n_containers; i++) {
		table_del(&c->by_container, cp->pod.containers[i].id.id, cp);
		table_del(&c->by_container, cp->pod.containers[i].last_id.id, cp);
	}
}

/* The container ids a pod is indexed by: most have no previous instance. */
static size_t ids_of(const struct pt_pod *pod)
{
	size_t n = 0;

	for (size_t i = 0; i < pod->n_containers; i++)
		n += (pod->containers[i].id.id[0] != '\0') +
		     (pod->containers[i].last_id.id[0] != '\0');
	return n;
}

static size_t count_keys(const struct pt_pod_cache *c, size_t *containers)
{
	size_t pods = 0;

	*containers = 0;
	for (struct cached_pod *cp = c->pods; cp; cp = cp->next) {
		pods += cp->pod.mirror_uid[0] ? 2 : 1;
		*containers += ids_of(&cp->pod);
	}
	return pods;
}

static size_t capacity_for(size_t keys)
{
	size_t cap = 64;

	while (cap < keys * 2 + 16)
		cap *= 2;
	return cap;
}

/* Rebuild both tables with room for @extra more pods of up to @extra_ids ids. */
static int reindex(struct pt_pod_cache *c, size_t extra, size_t extra_ids)
{
	struct table uid, cid;
	size_t ids, pods = count_keys(c, &ids);

	if (table_init(&uid, capacity_for(pods + extra)))
		return -ENOMEM;
	if (table_init(&cid, capacity_for(ids + extra_ids))) {
		free(uid.slots);
		return -ENOMEM;
	}
	free(c->by_uid.slots);
	free(c->by_container.slots);
	c->by_uid = uid;
	c->by_container = cid;
	for (struct cached_pod *cp = c->pods; cp; cp = cp->next)
		index_pod(c, cp);
	return 0;
}

static bool needs_room(const struct table *t, size_t more)
{
	return (t->used + more) * 2 > t->cap;
}

int pt_pod_cache_new(uint64_t tombstone_ns, struct pt_pod_cache **out)
{
	struct pt_pod_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->tombstone_ns = tombstone_ns;
	if (table_init(&c->by_uid, 64) || table_init(&c->by_container, 64)) {
		pt_pod_cache_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

/* The containers live in the pod's own allocation (see pt_pod_cache_upsert). */
static void free_pod(struct cached_pod *cp)
{
	free(cp);
}

void pt_pod_cache_free(struct pt_pod_cache *c)
{
	struct cached_pod *cp, *next;

	if (!c)
		return;
	for (cp = c->pods; cp; cp = next) {
		next = cp->next;
		free_pod(cp);
	}
	free(c->by_uid.slots);
	free(c->by_container.slots);
	free(c);
}

static struct cached_pod *find_pod(const struct pt_pod_cache *c, const char *uid)
{
	struct slot *s = table_find(&c->by_uid, uid);

	return s ? s->pod : NULL;
}

/* Unlink @victim, which @link points to, from the list and every index, and free it. */
static void unlink_pod(struct pt_pod_cache *c, struct cached_pod **link, struct cached_pod *victim)
{
	*link = victim->next;
	unindex_pod(c, victim);
	if (victim->deleted_ns)
		c->tombstones--;
	else
		c->live--;
	free_pod(victim);
}

static void remove_pod(struct pt_pod_cache *c, struct cached_pod *victim)
{
	for (struct cached_pod **pp = &c->pods; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			unlink_pod(c, pp, victim);
			return;
		}
	}
}

int pt_pod_cache_upsert(struct pt_pod_cache *c, struct pt_pod *pod, uint64_t now_ns)
{
	struct cached_pod *old = find_pod(c, pod->uid);
	/*
	 * One block with the containers, made now: a list's pods are parsed while
	 * its JSON tree is alive, and their own blocks, kept, would pin pages all
	 * over the tree's freed memory (3.4 KiB a pod instead of 1.2).
	 */
	struct cached_pod *cp =
	    calloc(1, sizeof(*cp) + pod->n_containers * sizeof(struct pt_pod_container));
	size_t ids = ids_of(pod);
	size_t uids = pod->mirror_uid[0] ? 2 : 1;

	if (!cp)
		return -ENOMEM;
	if (old)
		remove_pod(c, old);
	if ((needs_room(&c->by_uid, uids) || needs_room(&c->by_container, ids)) &&
	    reindex(c, uids, ids)) {
		free(cp);
		return -ENOMEM;
	}
	cp->pod = *pod;
	cp->pod.containers = cp->containers;
	if (pod->n_containers)
		memcpy(cp->containers, pod->containers,
		       pod->n_containers * sizeof(struct pt_pod_container));
	pt_pod_free(pod);
	memset(pod, 0, sizeof(*pod));
	cp->next = c->pods;
	c->pods = cp;
	c->live++;
	index_pod(c, cp);
	return 0;
}

void pt_pod_cache_delete(struct pt_pod_cache *c, const char *uid, uint64_t now_ns)
{
	struct cached_pod *cp = find_pod(c, uid);

	if (cp && !cp->deleted_ns) {
		cp->deleted_ns = now_ns ? now_ns : 1;
		c->live--;
		c->tombstones++;
	}
}

int pt_pod_cache_replace(struct pt_pod_cache *c, struct pt_pod_list *list, uint64_t now_ns)
{
	/* Everything not in the new list becomes a tombstone ... */
	for (struct cached_pod *cp = c->pods; cp; cp = cp->next) {
		bool listed = false;

		for (size_t i = 0; i < list->n_items && !listed; i++)
			listed = strcmp(list->items[i].uid, cp->pod.uid) == 0;
		if (!listed)
			pt_pod_cache_delete(c, cp->pod.uid, now_ns);
	}
	/* ... and everything in it replaces what was there. */
	for (size_t i = 0; i < list->n_items; i++) {
		int e = pt_pod_cache_upsert(c, &list->items[i], now_ns);

		if (e)
			return e;
	}
	return 0;
}

size_t pt_pod_cache_expire(struct pt_pod_cache *c, uint64_t now_ns)
{
	struct cached_pod **pp = &c->pods;
	size_t n = 0;

	c->last_expiry_ns = now_ns;
	while (*pp && c->tombstones) {
		struct cached_pod *cp = *pp;

		if (cp->deleted_ns && now_ns - cp->deleted_ns >= c->tombstone_ns) {
			unlink_pod(c, pp, cp);
			n++;
		} else {
			pp = &cp->next;
		}
	}
	/* Deleted slots slow lookups down and hold memory: rebuild when they dominate. */
	if (n && (c->by_uid.used > 4 * (c->live + c->tombstones + 8) ||
		  c->by_container.used > 4 * (c->live + c->tombstones + 8) * 2))
		reindex(c, 0, 0);
	return n;
}

/*
 * Under churn a tombstone falls due every few hundred microseconds, and
 * each expiry walks the whole cache: expiries are at least an eighth of the
 * tombstone time apart, and at most a second, so that a deleted pod is
 * forgotten that much late at worst.
 */
#define PT_EXPIRY_GAP_MAX_NS 1000000000ULL

static uint64_t expiry_gap_ns(const struct pt_pod_cache *c)
{
	uint64_t gap = c->tombstone_ns / 8;

	return gap < PT_EXPIRY_GAP_MAX_NS ? gap : PT_EXPIRY_GAP_MAX_NS;
}

uint64_t pt_pod_cache_next_expiry(const struct pt_pod_cache *c)
{
	uint64_t first = 0, due, not_before;

	if (!c->tombstones)
		return 0;
	for (const struct cached_pod *cp = c->pods; cp; cp = cp->next)
		if (cp->deleted_ns && (!first || cp->deleted_ns < first))
			first = cp->deleted_ns;
	if (!first)
		return 0;
	due = first + c->tombstone_ns;
	not_before = c->last_expiry_ns ? c->last_expiry_ns + expiry_gap_ns(c) : 0;
	return due > not_before ? due : not_before;
}

size_t pt_pod_cache_tombstones(const struct pt_pod_cache *c)
{
	return c->tombstones;
}

const struct pt_pod *pt_pod_cache_by_uid(const struct pt_pod_cache *c, const char *uid)
{
	struct cached_pod *cp = find_pod(c, uid);

	return cp ? &cp->pod : NULL;
}

const struct pt_pod *pt_pod_cache_by_container(const struct pt_pod_cache *c, const char *id,
					       const struct pt_pod_container **container)
{
	struct slot *s = id[0] ? table_find(&c->by_container, id) : NULL;

	if (!s)
		return NULL;
	*container = pt_pod_find_container_id(&s->pod->pod, id);
	return *container ? &s->pod->pod : NULL;
}

size_t pt_pod_cache_size(const struct pt_pod_cache *c)
{
	return c->live;
}
