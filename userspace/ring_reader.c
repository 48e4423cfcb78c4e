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
	int timer_fd;
	uint64_t interval_ns;	 /* the kernel's wake-up interval */
	uint64_t last_active_ns; /* last wake-up, or last poll that found records */
	bool timer_armed;
	volatile uint64_t *polling_until;
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
	int n = ring_buffer__consume(r->rb);

	if (n > 0 && r->batch)
		r->batch(r->ctx);
	return n;
}

/*
 * Poll again one interval from now, until two intervals passed with nothing,
 * and tell the programs so: a record submitted before then is read by a poll.
 */
static void schedule_poll(struct pt_ring_reader *r, uint64_t now)
{
	if (now - r->last_active_ns <= 2 * r->interval_ns) {
		if (!r->timer_armed && pt_timer_arm(r->timer_fd, r->interval_ns) == 0)
			r->timer_armed = true;
	}
	if (r->polling_until)
		*r->polling_until = r->timer_armed ? r->last_active_ns + 2 * r->interval_ns : 0;
}

static void on_wakeup(void *ctx, int fd, uint32_t events)
{
	struct pt_ring_reader *r = ctx;

	r->last_active_ns = pt_now_ns();
	pt_ring_reader_drain(r);
	schedule_poll(r, r->last_active_ns);
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct pt_ring_reader *r = ctx;
	uint64_t now;

	pt_timer_ack(fd);
	r->timer_armed = false;
	now = pt_now_ns();
	if (pt_ring_reader_drain(r) > 0)
		r->last_active_ns = now;
	schedule_poll(r, now);
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
	r->timer_fd = -1;
	r->rb = ring_buffer__new(map_fd, on_record, r, NULL);
	if (!r->rb) {
		e = -errno;
		goto fail;
	}
	r->rb_epfd = ring_buffer__epoll_fd(r->rb);
	r->timer_fd = pt_timer_new();
	if (r->timer_fd < 0) {
		e = r->timer_fd;
		goto fail;
	}
	e = pt_loop_add(loop, r->rb_epfd, EPOLLIN, on_wakeup, r);
	if (!e)
		e = pt_loop_add(loop, r->timer_fd, EPOLLIN, on_timer, r);
	if (e)
		goto fail;
	*out = r;
	return 0;
fail:
	pt_ring_reader_free(r);
	return e;
}

void pt_ring_reader_free(struct pt_ring_reader *r)
{
	if (!r)
		return;
	if (r->rb) {
		pt_loop_remove(r->loop, r->rb_epfd);
		ring_buffer__free(r->rb);
	}
	if (r->timer_fd >= 0) {
		pt_loop_remove(r->loop, r->timer_fd);
		close(r->timer_fd);
	}
	free(r);
}
