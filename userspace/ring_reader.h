/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reads the BPF ring buffer from the event loop. The kernel side wakes the
 * reader at most once per wake-up interval per CPU; this side keeps polling
 * for a little longer than that interval after each wake-up, so records
 * submitted without a wake-up are still read within about two intervals,
 * and an idle node costs no timer wake-ups at all.
 */
#ifndef PODTRAIL_RING_READER_H
#define PODTRAIL_RING_READER_H

#include <stddef.h>
#include <stdint.h>
#include "event_loop.h"

typedef void (*pt_record_fn)(void *ctx, const void *data, size_t size);
/* Called after each batch of records, e.g. to flush buffered output once. */
typedef void (*pt_batch_fn)(void *ctx);

struct pt_ring_reader;

/*
 * @polling_until (may be NULL) is shared with the BPF programs: the reader
 * writes there until when it will poll, and the programs skip wake-ups then.
 */
int pt_ring_reader_new(struct pt_loop *loop, int map_fd, uint64_t wakeup_interval_ns,
		       volatile uint64_t *polling_until, pt_record_fn fn, pt_batch_fn batch,
		       void *ctx, struct pt_ring_reader **out);
/* Read everything available now; returns the number of records or -errno. */
int pt_ring_reader_drain(struct pt_ring_reader *r);
void pt_ring_reader_free(struct pt_ring_reader *r);

#endif
