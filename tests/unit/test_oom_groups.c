// SPDX-License-Identifier: GPL-2.0
/* One OOM report per kill and container, however many processes the kill took. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oom_groups.h"

#define CID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct reports {
	int n;
	struct pt_event ev[8];
	struct pt_placement where[8];
};

static void collect(void *ctx, const struct pt_event *ev, const struct pt_placement *where)
{
	struct reports *r = ctx;

	assert_true(r->n < 8);
	r->ev[r->n] = *ev;
	r->where[r->n] = *where;
	r->n++;
}

struct fixture {
	struct pt_loop *loop;
	struct pt_oom_groups *g;
	struct reports got;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(pt_loop_new(&f->loop), 0);
	assert_int_equal(pt_oom_groups_new(f->loop, collect, NULL, &f->got, &f->g), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pt_oom_groups_free(f->g);
	pt_loop_free(f->loop);
	free(f);
	return 0;
}

static void mark(struct fixture *f, uint64_t kill_id, uint32_t pid)
{
	struct pt_event m = { .kind = PT_RECORD_OOM, .pid = pid };

	m.oom.present = true;
	m.oom.kill_id = kill_id;
	pt_oom_groups_mark(f->g, &m);
}

static void victim(struct fixture *f, uint64_t kill_id, uint64_t group, uint32_t pid,
		   const char *cid, uint64_t cgroup_id, enum pt_process_role role)
{
	struct pt_placement where = { 0 };
	struct pt_event ev = { .kind = PT_RECORD_EXIT, .pid = pid, .signal = SIGKILL };

	snprintf(ev.comm, sizeof(ev.comm), "p%u", pid);
	ev.cgroup.id = cgroup_id;
	ev.oom.present = true;
	ev.oom.confined = true;
	ev.oom.kill_id = kill_id;
	ev.oom.group_memcg_id = group;
	ev.oom.trigger_pid = 300;
	where.cgroup.scope = PT_SCOPE_CONTAINER;
	strcpy(where.cgroup.container_id, cid);
	where.who.role = role;
	pt_oom_groups_victim(f->g, &ev, &where);
}

/* Run the loop until @n reports arrived or @ms passed. */
static void wait_reports(struct fixture *f, int n, int ms)
{
	uint64_t end = pt_now_ns() + (uint64_t)ms * 1000000ULL;

	while (f->got.n < n && pt_now_ns() < end)
		assert_int_equal(pt_loop_run_once(f->loop, 10), 0);
}

static void test_single_victim_reported_at_once(void **state)
{
	struct fixture *f = *state;

	mark(f, 1000, 201);
	victim(f, 1000, 0, 201, CID_A, 7, PT_ROLE_MAIN);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.where[0].oom.killed, 1);
	assert_false(f->got.where[0].oom.group);
	assert_int_equal(f->got.ev[0].pid, 201);
}

static void test_group_kill_is_one_report(void **state)
{
	struct fixture *f = *state;

	mark(f, 2000, 301);
	mark(f, 2000, 302);
	mark(f, 2000, 300);
	victim(f, 2000, 77, 302, CID_A, 7, PT_ROLE_OTHER);
	victim(f, 2000, 77, 301, CID_A, 7, PT_ROLE_MAIN);
	assert_int_equal(f->got.n, 0); /* one victim still to come */
	victim(f, 2000, 77, 300, CID_A, 7, PT_ROLE_EXEC);
	assert_int_equal(f->got.n, 0); /* settling: more marks may follow */
	wait_reports(f, 1, 1000);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.where[0].oom.killed, 3);
	assert_int_equal(f->got.where[0].oom.listed, 3);
	assert_true(f->got.where[0].oom.group);
	/* The main process speaks for the container, and is named first. */
	assert_int_equal(f->got.ev[0].pid, 301);
	assert_int_equal(f->got.where[0].oom.victims[0].pid, 301);
	assert_int_equal(f->got.where[0].oom.victims[1].pid, 302);
	assert_int_equal(f->got.where[0].who.role, PT_ROLE_MAIN);
	assert_int_equal(pt_oom_groups_pending(f->g), 0);
}

static void test_group_kill_across_containers_is_one_report_each(void **state)
{
	struct fixture *f = *state;

	mark(f, 3000, 401);
	mark(f, 3000, 402);
	mark(f, 3000, 403);
	victim(f, 3000, 55, 401, CID_A, 7, PT_ROLE_MAIN);
	victim(f, 3000, 55, 402, CID_B, 8, PT_ROLE_MAIN);
	victim(f, 3000, 55, 403, CID_B, 8, PT_ROLE_OTHER);
	wait_reports(f, 2, 1000);
	assert_int_equal(f->got.n, 2);
	assert_int_equal(f->got.where[0].oom.killed + f->got.where[1].oom.killed, 3);
}

/* A victim that never exits does not hold the others' report for ever. */
static void test_missing_victim_times_out(void **state)
{
	struct fixture *f = *state;

	mark(f, 4000, 501);
	mark(f, 4000, 502);
	victim(f, 4000, 66, 501, CID_A, 7, PT_ROLE_MAIN);
	wait_reports(f, 1, 500);
	assert_int_equal(f->got.n, 0);
	wait_reports(f, 1, 3000);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.where[0].oom.killed, 1);
}

static void test_flush_reports_what_is_pending(void **state)
{
	struct fixture *f = *state;

	mark(f, 5000, 601);
	mark(f, 5000, 602);
	victim(f, 5000, 66, 601, CID_A, 7, PT_ROLE_OTHER);
	pt_oom_groups_flush(f->g);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(pt_oom_groups_pending(f->g), 0);
}

/* Only the first PT_OOM_LIST_MAX are named; the count is exact. */
static void test_long_group_is_counted(void **state)
{
	struct fixture *f = *state;

	for (uint32_t pid = 700; pid < 720; pid++)
		mark(f, 6000, pid);
	for (uint32_t pid = 700; pid < 720; pid++)
		victim(f, 6000, 66, pid, CID_A, 7, PT_ROLE_OTHER);
	wait_reports(f, 1, 1000);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.where[0].oom.killed, 20);
	assert_int_equal(f->got.where[0].oom.listed, PT_OOM_LIST_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_victim_reported_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_group_kill_is_one_report, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_group_kill_across_containers_is_one_report_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_victim_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_reports_what_is_pending, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_long_group_is_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
