// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded LRU map: a chained hash table for lookups plus a doubly linked
 * recency list for eviction. Each entry is one allocation holding the links,
 * the value (aligned for any type) and the key's 128-bit SipHash under a key
 * of this map's own, drawn at random: not the key itself. The event caches'
 * keys carry whole messages, several hundred bytes where the hash is 16, and
 * the hash stands for them exactly as long as no two keys collide, which at
 * 128 bits nobody can arrange without the secret and chance does not.
 */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "k8s/lru.h"
#include "k8s/random_bytes.h"
#include "k8s/siphash.h"

/* Buckets are allocated up front for the bound; past this, chains just grow. */
#define LRU_MAX_BUCKETS (1u << 20)

struct lru_node {
	struct lru_node *hnext; /* hash chain */
	struct lru_node *prev;	/* recency list, toward most recent */
	struct lru_node *next;	/* recency list, toward least recent */
	uint64_t hash[2];
};

struct pt_lru {
	struct lru_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t len;
	size_t max_entries;
	size_t value_size;
	size_t value_off;     /* from the start of a node */
	struct lru_node head; /* sentinel: head.next is most recent, head.prev least */
	uint8_t secret[PT_SIPHASH_KEY_LEN];
};

static void *node_value(const struct pt_lru *lru, struct lru_node *n)
{
	return (unsigned char *)n + lru->value_off;
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
	int err;

	if (!out || max_entries == 0 || value_size == 0)
		return -EINVAL;
	while (nb < max_entries && nb < LRU_MAX_BUCKETS)
		nb <<= 1;

	lru = calloc(1, sizeof(*lru));
	if (!lru)
		return -ENOMEM;
	err = pt_random_bytes(lru->secret, sizeof(lru->secret));
	if (err) {
		free(lru);
		return err;
	}
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

static struct lru_node *lru_find(struct pt_lru *lru, const uint64_t hash[2])
{
	struct lru_node *n = lru->buckets[hash[0] & (lru->nbuckets - 1)];

	for (; n; n = n->hnext)
		if (n->hash[0] == hash[0] && n->hash[1] == hash[1])
			return n;
	return NULL;
}

static void lru_evict_oldest(struct pt_lru *lru)
{
	struct lru_node *victim = lru->head.prev;
	struct lru_node **pp = &lru->buckets[victim->hash[0] & (lru->nbuckets - 1)];

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
	uint64_t hash[2];

	if (!lru || (!key && key_len))
		return NULL;
	pt_siphash128(lru->secret, key, key_len, hash);
	n = lru_find(lru, hash);
	if (!n)
		return NULL;
	list_unlink(n);
	list_push_front(lru, n);
	return node_value(lru, n);
}

int pt_lru_upsert(struct pt_lru *lru, const void *key, size_t key_len, void **value, bool *found)
{
	uint64_t hash[2];
	struct lru_node *n;
	size_t b;

	if (!lru || (!key && key_len) || !value || !found)
		return -EINVAL;
	pt_siphash128(lru->secret, key, key_len, hash);
	n = lru_find(lru, hash);
	if (n) {
		list_unlink(n);
		list_push_front(lru, n);
		*value = node_value(lru, n);
		*found = true;
		return 0;
	}

	/* Allocate before evicting so that a failure leaves the map as it was. */
	n = calloc(1, lru->value_off + lru->value_size);
	if (!n)
		return -ENOMEM;
	if (lru->len >= lru->max_entries)
		lru_evict_oldest(lru);
	n->hash[0] = hash[0];
	n->hash[1] = hash[1];
	b = hash[0] & (lru->nbuckets - 1);
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
