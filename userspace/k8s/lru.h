/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small bounded LRU map from byte-string keys to fixed-size values, the
 * same contract as groupcache's lru.Cache that client-go's event caches use:
 * a lookup or an insert makes the entry the most recently used, and an insert
 * beyond the bound evicts the least recently used entry.
 *
 * A key is kept as its 128-bit SipHash under a random secret of the map's,
 * not copied (see lru.c). Values live inline in the entry, are zeroed when
 * the entry is created and stay at the same address until the entry is
 * evicted. Not thread-safe: one owner, one event loop.
 */
#ifndef PODTRAIL_K8S_LRU_H
#define PODTRAIL_K8S_LRU_H

#include <stdbool.h>
#include <stddef.h>

struct pt_lru;

/*
 * max_entries >= 1, value_size >= 1. Returns 0 or -EINVAL, -ENOMEM, or the
 * error of reading the secret (pt_random_bytes()).
 */
int pt_lru_new(size_t max_entries, size_t value_size, struct pt_lru **out);
void pt_lru_free(struct pt_lru *lru);

/* The value stored under key, now the most recently used; NULL if absent. */
void *pt_lru_get(struct pt_lru *lru, const void *key, size_t key_len);

/*
 * Get-or-insert. On a hit, *value is the existing value (*found = true); on a
 * miss, a zeroed value is inserted, evicting the least recently used entry if
 * the map is full (*found = false). Either way the entry becomes the most
 * recently used. Returns 0 or -EINVAL, -ENOMEM (the map is then unchanged).
 */
int pt_lru_upsert(struct pt_lru *lru, const void *key, size_t key_len, void **value, bool *found);

size_t pt_lru_len(const struct pt_lru *lru);

#endif /* PODTRAIL_K8S_LRU_H */
