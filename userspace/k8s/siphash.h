/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SipHash-2-4 with its 128-bit output (Aumasson and Bernstein, 2012): a
 * keyed hash whose collisions nobody can aim at without the key, and whose
 * chance collisions are negligible at 128 bits. The event caches keep it in
 * place of their keys.
 */
#ifndef PODTRAIL_K8S_SIPHASH_H
#define PODTRAIL_K8S_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define PT_SIPHASH_KEY_LEN 16

/* The 16 output bytes as two little-endian words: out[0] is bytes 0-7. */
void pt_siphash128(const uint8_t key[PT_SIPHASH_KEY_LEN], const void *in, size_t len,
		   uint64_t out[2]);

#endif /* PODTRAIL_K8S_SIPHASH_H */
