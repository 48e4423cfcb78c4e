// SPDX-License-Identifier: GPL-2.0
/* Loop deadlines: they bound the wait, fire once when due, never early, and can be re-armed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "event_loop.h"

struct hits {
	struct pt_loop *loop;
	int id;
	int n;
	uint64_t at_ns;
	uint64_t rearm_ns; /* 0: fire once */
};

static void on_due(void *ctx)
{
	struct hits *h = ctx;

	h->n++;
	h->at_ns = pt_now_ns();
	if (h->rearm_ns && h->n < 3)
		pt_loop_set_deadline(h->loop, h->id, h->at_ns + h->rearm_ns);
}

static void test_deadline_bounds_an_endless_wait(void **state)
{
	struct hits h = { 0 };
	uint64_t due;

	assert_int_equal(pt_loop_new(&h.loop), 0);
	h.id = pt_loop_add_deadline(h.loop, on_due, &h);
	assert_true(h.id >= 0);
	due = pt_now_ns() + 3000000;
	pt_loop_set_deadline(h.loop, h.id, due);
	/* Nothing else to wait for: -1 would sleep forever without the deadline. */
	assert_int_equal(pt_loop_run_once(h.loop, -1), 0);
	assert_int_equal(h.n, 1);
	assert_true(h.at_ns >= due);
	/* Fired once: the next wait is the caller's own. */
	assert_int_equal(pt_loop_run_once(h.loop, 5), 0);
	assert_int_equal(h.n, 1);
	pt_loop_free(h.loop);
}

static void test_cancelled_deadline_does_not_fire(void **state)
{
	struct hits h = { 0 };

	assert_int_equal(pt_loop_new(&h.loop), 0);
	h.id = pt_loop_add_deadline(h.loop, on_due, &h);
	pt_loop_set_deadline(h.loop, h.id, pt_now_ns() + 1000000);
	pt_loop_set_deadline(h.loop, h.id, 0);
	assert_int_equal(pt_loop_run_once(h.loop, 5), 0);
	assert_int_equal(h.n, 0);
	pt_loop_free(h.loop);
}

static void test_handler_rearms_its_deadline(void **state)
{
	struct hits h = { .rearm_ns = 1000000 };

	assert_int_equal(pt_loop_new(&h.loop), 0);
	h.id = pt_loop_add_deadline(h.loop, on_due, &h);
	pt_loop_set_deadline(h.loop, h.id, pt_now_ns() + 1000000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pt_loop_run_once(h.loop, -1), 0);
	assert_int_equal(h.n, 3);
	pt_loop_free(h.loop);
}

static void test_deadlines_are_few(void **state)
{
	struct hits h = { 0 };

	assert_int_equal(pt_loop_new(&h.loop), 0);
	for (int i = 0; i < PT_LOOP_MAX_DEADLINES; i++)
		assert_int_equal(pt_loop_add_deadline(h.loop, on_due, &h), i);
	assert_int_equal(pt_loop_add_deadline(h.loop, on_due, &h), -ENOSPC);
	pt_loop_free(h.loop);
}

static void on_readable(void *ctx, int fd, uint32_t events)
{
	char c;

	(*(int *)ctx)++;
	assert_int_equal(read(fd, &c, 1), 1);
}

/* What the last wait saw of an fd: not ready, and since when at the latest. */
static void test_last_wait_tells_idle_fds(void **state)
{
	struct pt_loop *loop;
	int quiet[2], busy[2], reads = 0;
	uint64_t before, at = 0;

	assert_int_equal(pt_loop_new(&loop), 0);
	assert_int_equal(pipe(quiet), 0);
	assert_int_equal(pipe(busy), 0);
	assert_int_equal(pt_loop_add(loop, quiet[0], EPOLLIN, on_readable, &reads), 0);
	assert_int_equal(pt_loop_add(loop, busy[0], EPOLLIN, on_readable, &reads), 0);
	/* No wait yet: nothing is known. */
	assert_false(pt_loop_fd_was_idle(loop, quiet[0], &at));

	/* A wait that timed out: idle until at least its timeout. */
	before = pt_now_ns();
	assert_int_equal(pt_loop_run_once(loop, 20), 0);
	assert_true(pt_loop_fd_was_idle(loop, quiet[0], &at));
	assert_true(at >= before + 20000000ULL);
	assert_true(at <= pt_now_ns());

	/* A wait that returned a ready fd: that one was not idle, the other was after the call. */
	assert_int_equal(write(busy[1], "x", 1), 1);
	before = pt_now_ns();
	assert_int_equal(pt_loop_run_once(loop, 1000), 0);
	assert_int_equal(reads, 1);
	assert_false(pt_loop_fd_was_idle(loop, busy[0], &at));
	assert_true(pt_loop_fd_was_idle(loop, quiet[0], &at));
	assert_true(at >= before && at <= pt_now_ns());

	pt_loop_free(loop);
	for (int i = 0; i < 2; i++) {
		close(quiet[i]);
		close(busy[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_bounds_an_endless_wait),
		cmocka_unit_test(test_cancelled_deadline_does_not_fire),
		cmocka_unit_test(test_handler_rearms_its_deadline),
		cmocka_unit_test(test_deadlines_are_few),
		cmocka_unit_test(test_last_wait_tells_idle_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
