// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded LRU map: a chained hash table for lookups plus a doubly linked
 * recency list for eviction. Each entry is one allocation holding the links,
 * the value (aligned for any type) and a copy of the key.
 */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/lru.h"

/* Buckets are allocated up front for the bound; past this, chains just grow. */
#define LRU_MAX_BUCKETS (1u << 20)

struct lru_node {
	struct lru_node *hnext; /* hash chain */
	struct lru_node *prev;	/* recency list, toward most recent */
	struct lru_node *next;	/* recency list, toward least recent */
	uint64_t hash;
	size_t key_len;
};

struct pt_lru {
	struct lru_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t len;
	size_t max_entries;
	size_t value_size;
	size_t value_off;     /* from the start of a node */
	struct lru_node head; /* sentinel: head.next is most recent, head.prev least */
};

static uint64_t lru_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void *node_value(const struct pt_lru *lru, struct lru_node *n)
{
	return (unsigned char *)n + lru->value_off;
}

static unsigned char *node_key(const struct pt_lru *lru, struct lru_node *n)
{
	return (unsigned char *)n + lru->value_off + lru->value_size;
}

static void list_unlink(struct lru_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

static void list_push_front(struct pt_lru *lru, struct lru_node *n)
{
	n->prev = &lru->head;
	n->next = lru->head.next;
	lru->head.next->prev = n;
	lru->head.next = n;
}

int pt_lru_new(size_t max_entries, size_t value_size, struct pt_lru **out)
{
	struct pt_lru *lru;
	size_t nb = 16;

	if (!out || max_entries == 0 || value_size == 0)
		return -EINVAL;
	while (nb < max_entries && nb < LRU_MAX_BUCKETS)
		nb <<= 1;

	lru = calloc(1, sizeof(*lru));
	if (!lru)
		return -ENOMEM;
	lru->buckets = calloc(nb, sizeof(*lru->buckets));
	if (!lru->buckets) {
		free(lru);
		return -ENOMEM;
	}
	lru->nbuckets = nb;
	lru->max_entries = max_entries;
	lru->value_size = value_size;
	lru->value_off =
	    (sizeof(struct lru_node) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	lru->head.next = lru->head.prev = &lru->head;
	*out = lru;
	return 0;
}

void pt_lru_free(struct pt_lru *lru)
{
	struct lru_node *n, *next;

	if (!lru)
		return;
	for (n = lru->head.next; n != &lru->head; n = next) {
		next = n->next;
		free(n);
	}
	free(lru->buckets);
	free(lru);
}

static struct lru_node *lru_find(struct pt_lru *lru, const void *key, size_t key_len, uint64_t hash)
{
	struct lru_node *n = lru->buckets[hash & (lru->nbuckets - 1)];

	for (; n; n = n->hnext)
		if (n->hash == hash && n->key_len == key_len &&
		    memcmp(node_key(lru, n), key, key_len) == 0)
			return n;
	return NULL;
}

static void lru_evict_oldest(struct pt_lru *lru)
{
	struct lru_node *victim = lru->head.prev;
	struct lru_node **pp = &lru->buckets[victim->hash & (lru->nbuckets - 1)];

	while (*pp != victim)
		pp = &(*pp)->hnext;
	*pp = victim->hnext;
	list_unlink(victim);
	free(victim);
	lru->len--;
}

void *pt_lru_get(struct pt_lru *lru, const void *key, size_t key_len)
{
	struct lru_node *n;

	if (!lru || (!key && key_len))
		return NULL;
	n = lru_find(lru, key, key_len, lru_hash(key, key_len));
	if (!n)
		return NULL;
	list_unlink(n);
	list_push_front(lru, n);
	return node_value(lru, n);
}

int pt_lru_upsert(struct pt_lru *lru, const void *key, size_t key_len, void **value, bool *found)
{
	uint64_t hash;
	struct lru_node *n;
	size_t b;

	if (!lru || (!key && key_len) || !value || !found)
		return -EINVAL;
	hash = lru_hash(key, key_len);
	n = lru_find(lru, key, key_len, hash);
	if (n) {
		list_unlink(n);
		list_push_front(lru, n);
		*value = node_value(lru, n);
		*found = true;
		return 0;
	}

	/* Allocate before evicting so that a failure leaves the map as it was. */
	n = calloc(1, lru->value_off + lru->value_size + key_len);
	if (!n)
		return -ENOMEM;
	if (lru->len >= lru->max_entries)
		lru_evict_oldest(lru);
	n->hash = hash;
	n->key_len = key_len;
	if (key_len)
		memcpy(node_key(lru, n), key, key_len);
	b = hash & (lru->nbuckets - 1);
	n->hnext = lru->buckets[b];
	lru->buckets[b] = n;
	list_push_front(lru, n);
	lru->len++;
	*value = node_value(lru, n);
	*found = false;
	return 0;
}

size_t pt_lru_len(const struct pt_lru *lru)
{
	return lru ? lru->len : 0;
}
