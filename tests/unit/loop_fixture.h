/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For unit tests of stages driven by the event loop: run a real pt_loop
 * until a condition holds (checked every few milliseconds) or a time limit
 * passes. Included by the tests that need it; needs cmocka.h first.
 */
#ifndef PODTRAIL_TEST_LOOP_FIXTURE_H
#define PODTRAIL_TEST_LOOP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include "event_loop.h"

#define TEST_TICK_NS   5000000ULL
#define TEST_SECOND_NS 1000000000ULL

struct test_loop {
	struct pt_loop *loop;
	int tick; /* checks the condition */
	uint64_t deadline_ns;
	bool (*until)(void *ctx);
	void *ctx;
};

static inline void test_loop_tick(void *ctx, int fd, uint32_t events)
{
	struct test_loop *t = ctx;

	pt_timer_ack(fd);
	if ((t->until && t->until(t->ctx)) || pt_now_ns() >= t->deadline_ns)
		pt_loop_stop(t->loop);
	else
		pt_timer_arm(fd, TEST_TICK_NS);
}

static inline void test_loop_init(struct test_loop *t)
{
	assert_int_equal(pt_loop_new(&t->loop), 0);
	t->tick = pt_loop_add_timer(t->loop, test_loop_tick, t);
	assert_true(t->tick >= 0);
}

static inline void test_loop_free(struct test_loop *t)
{
	pt_loop_close(t->loop, t->tick);
	pt_loop_free(t->loop);
}

/* Run until @until(@ctx) holds (true), or for @max_ns at most (false); NULL: run @max_ns. */
static inline bool test_loop_run_until(struct test_loop *t, bool (*until)(void *ctx), void *ctx,
				       uint64_t max_ns)
{
	t->until = until;
	t->ctx = ctx;
	t->deadline_ns = pt_now_ns() + max_ns;
	if (until && until(ctx))
		return true;
	assert_int_equal(pt_timer_arm(t->tick, TEST_TICK_NS), 0);
	pt_loop_resume(t->loop);
	assert_int_equal(pt_loop_run(t->loop), 0);
	pt_timer_arm(t->tick, 0);
	return until && until(ctx);
}

#endif
