/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reads the BPF ring buffer from the event loop. The kernel side wakes the
 * reader at most once per wake-up interval per CPU, and not at all while the
 * reader says it will poll. After each wake-up the reader polls one
 * interval later; then every interval while polls find bursts and every
 * three while they find a few records: a record that woke no one is read
 * within about three intervals, a steady trickle of records is read in
 * batches, and an idle node costs no wake-ups at all. Polls are loop
 * deadlines (epoll's timeout), not timers.
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

struct pt_ring_reader_stats {
	uint64_t wakeups;     /* the kernel woke the reader */
	uint64_t polls;	      /* polls after a wake-up that found records */
	uint64_t empty_polls; /* polls that found none: polling stopped */
};

/*
 * @polling_until (may be NULL) is shared with the BPF programs: the reader
 * writes there until when it will poll, and the programs skip wake-ups then.
 */
int pt_ring_reader_new(struct pt_loop *loop, int map_fd, uint64_t wakeup_interval_ns,
		       volatile uint64_t *polling_until, pt_record_fn fn, pt_batch_fn batch,
		       void *ctx, struct pt_ring_reader **out);
/* Read everything available now; returns the number of records or -errno. */
int pt_ring_reader_drain(struct pt_ring_reader *r);
const struct pt_ring_reader_stats *pt_ring_reader_stats(const struct pt_ring_reader *r);
void pt_ring_reader_free(struct pt_ring_reader *r);

#endif
