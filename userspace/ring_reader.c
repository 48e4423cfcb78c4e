// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "ring_reader.h"

struct pt_ring_reader {
	struct pt_loop *loop;
	struct ring_buffer *rb;
	int rb_epfd;
	int poll_id;	      /* the loop deadline of the next poll */
	uint64_t interval_ns; /* the kernel's wake-up interval */
	volatile uint64_t *polling_until;
	struct pt_ring_reader_stats stats;
	pt_record_fn fn;
	pt_batch_fn batch;
	void *ctx;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct pt_ring_reader *r = ctx;

	r->fn(r->ctx, data, size);
	return 0;
}

int pt_ring_reader_drain(struct pt_ring_reader *r)
{
	/* Reads the ring's positions in shared memory: no syscall. */
	int n = ring_buffer__consume(r->rb);

	if (n > 0 && r->batch)
		r->batch(r->ctx);
	return n;
}

/*
 * A wake-up costs this VM 40-90 us of CPU (the switch, and caches gone
 * cold since the last one) where a record costs 4-5 once warm: a trickle
 * is polled every three intervals, so each poll amortises the wake-up over
 * more records; once a poll finds a burst, every interval, which costs
 * little a record and keeps the latency of a storm low. The first poll
 * after a wake-up comes an interval later too: the wake-up came with the
 * first record after a quiet spell, which may be a storm's.
 */
#define PT_RING_BURST 32

static uint64_t poll_period_after(const struct pt_ring_reader *r, int found)
{
	return found >= PT_RING_BURST ? r->interval_ns : 3 * r->interval_ns;
}

/*
 * Poll once more a period from now, and tell the programs so: a record
 * submitted before then wakes no one and is read by that poll. A period
 * is at least the kernel's own wake-up limit per CPU, so records that
 * limit held back are read by the poll too.
 */
static void poll_later(struct pt_ring_reader *r, uint64_t period_ns)
{
	uint64_t due = pt_now_ns() + period_ns;

	if (r->polling_until)
		*r->polling_until = due;
	pt_loop_set_deadline(r->loop, r->poll_id, due);
}

static void on_wakeup(void *ctx, int fd, uint32_t events)
{
	struct pt_ring_reader *r = ctx;

	r->stats.wakeups++;
	pt_ring_reader_drain(r);
	poll_later(r, r->interval_ns);
}

/* Keep polling while polls find records; the first that finds none ends it. */
static void on_poll(void *ctx)
{
	struct pt_ring_reader *r = ctx;
	int n;

	n = pt_ring_reader_drain(r);
	if (n <= 0) {
		if (r->polling_until)
			*r->polling_until = 0;
		/* A record submitted while the programs still read the old value. */
		n = pt_ring_reader_drain(r);
	}
	if (n > 0) {
		r->stats.polls++;
		poll_later(r, poll_period_after(r, n));
	} else {
		r->stats.empty_polls++;
	}
}

int pt_ring_reader_new(struct pt_loop *loop, int map_fd, uint64_t wakeup_interval_ns,
		       volatile uint64_t *polling_until, pt_record_fn fn, pt_batch_fn batch,
		       void *ctx, struct pt_ring_reader **out)
{
	struct pt_ring_reader *r = calloc(1, sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->fn = fn;
	r->batch = batch;
	r->polling_until = polling_until;
	r->ctx = ctx;
	r->interval_ns = wakeup_interval_ns ? wakeup_interval_ns : 1000000;
	r->poll_id = pt_loop_add_deadline(loop, on_poll, r);
	if (r->poll_id < 0) {
		e = r->poll_id;
		goto fail;
	}
	r->rb = ring_buffer__new(map_fd, on_record, r, NULL);
	if (!r->rb) {
		e = -errno;
		goto fail;
	}
	r->rb_epfd = ring_buffer__epoll_fd(r->rb);
	e = pt_loop_add(loop, r->rb_epfd, EPOLLIN, on_wakeup, r);
	if (e)
		goto fail;
	*out = r;
	return 0;
fail:
	pt_ring_reader_free(r);
	return e;
}

const struct pt_ring_reader_stats *pt_ring_reader_stats(const struct pt_ring_reader *r)
{
	return &r->stats;
}

void pt_ring_reader_free(struct pt_ring_reader *r)
{
	if (!r)
		return;
	if (r->poll_id >= 0)
		pt_loop_set_deadline(r->loop, r->poll_id, 0);
	if (r->rb) {
		pt_loop_remove(r->loop, r->rb_epfd);
		ring_buffer__free(r->rb);
	}
	free(r);
}
