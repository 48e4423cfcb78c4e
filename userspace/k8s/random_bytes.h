/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bytes from the kernel's random pool, for secrets and random names: never
 * blocks the event loop, and never falls back to anything predictable.
 */
#ifndef PODTRAIL_K8S_RANDOM_BYTES_H
#define PODTRAIL_K8S_RANDOM_BYTES_H

#include <stddef.h>

/*
 * Fill @buf with @len random bytes: getrandom(2), or /dev/urandom where the
 * call is missing (before 3.17) or the pool is not ready yet. Returns 0, or
 * -errno (-EIO for a short read).
 */
int pt_random_bytes(void *buf, size_t len);

#endif /* PODTRAIL_K8S_RANDOM_BYTES_H */
