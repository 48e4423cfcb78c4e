// SPDX-License-Identifier: GPL-2.0
/* Each kind of exit becomes the right reason, type and one-line message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include "classify.h"
#include "oom_groups.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void container_event(struct pt_event *ev, struct pt_placement *where)
{
	memset(ev, 0, sizeof(*ev));
	memset(where, 0, sizeof(*where));
	ev->kind = PT_RECORD_EXIT;
	ev->pid = 2665;
	ev->ppid = 2600;
	strcpy(ev->comm, "python3");
	strcpy(ev->parent_comm, "sh");
	ev->exited = true;
	ev->lifetime_ns = 2500000000ULL;
	where->cgroup.scope = PT_SCOPE_CONTAINER;
	strcpy(where->cgroup.container_id, CID);
	strcpy(where->cgroup.pod_uid, "1b4c3a2e-0000-4000-8000-000000000001");
	where->container_name = "app";
	where->who.role = PT_ROLE_OTHER;
	where->who.source = PT_SOURCE_RUNTIME;
}

static void as_main(struct pt_placement *where)
{
	where->who.role = PT_ROLE_MAIN;
}

static void kill_by(struct pt_event *ev, int sig, uint32_t sender, const char *comm, int code)
{
	ev->exited = false;
	ev->signal = sig;
	ev->killer.present = true;
	ev->killer.sig = sig;
	ev->killer.tgid = sender;
	ev->killer.pid = sender;
	ev->killer.code = code;
	ev->killer.from_kernel = code > 0;
	strcpy(ev->killer.comm, comm);
}

static void test_main_process_exit_code(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	as_main(&where);
	ev.exit_code = 3;
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_CONTAINER_EXITED);
	assert_true(r[0].warning);
	assert_string_equal(
	    r[0].message,
	    "main process 2665 (python3) in container app exited with code 3 after 2.5s; "
	    "container id 0123456789ab");
}

static void test_main_process_exit_zero_is_normal(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	as_main(&where);
	assert_true(pt_classify(&ev, &where, r));
	assert_false(r[0].warning);
}

static void test_stop_by_runtime_is_normal(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	as_main(&where);
	kill_by(&ev, SIGTERM, 900, "containerd-shim", 0);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_CONTAINER_EXITED);
	assert_false(r[0].warning);
	assert_string_equal(
	    r[0].message,
	    "main process 2665 (python3) in container app was stopped by the runtime "
	    "after 2.5s: SIGTERM (signal 15) sent by process 900 (containerd-shim) on "
	    "the host; container id 0123456789ab");
}

/* StopContainer with a grace period: SIGTERM ignored by a pid-1 sleep, SIGKILL 2 s later. */
static void test_graceful_stop_names_term_then_kill(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	as_main(&where);
	strcpy(ev.comm, "sleep");
	kill_by(&ev, SIGKILL, 902, "runc", 0);
	ev.killer.ktime_ns = 7000000000ULL;
	ev.killer.prev_sig = SIGTERM;
	ev.killer.prev_tgid = 901;
	ev.killer.prev_ktime_ns = 5000000000ULL;
	strcpy(ev.killer.prev_comm, "runc");
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_CONTAINER_EXITED);
	assert_false(r[0].warning);
	assert_string_equal(
	    r[0].message,
	    "main process 2665 (sleep) in container app was stopped by the runtime "
	    "after 2.5s: SIGTERM (signal 15) sent by process 901 (runc), then SIGKILL "
	    "(signal 9) sent by process 902 (runc) on the host 2.0s later; container "
	    "id 0123456789ab");
}

/* A shell that traps TERM and exits 0 obeyed the runtime's stop. */
static void test_stop_obeyed_with_exit_code(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	as_main(&where);
	ev.killer.present = true;
	ev.killer.sig = SIGTERM;
	ev.killer.tgid = 903;
	strcpy(ev.killer.comm, "runc");
	assert_true(pt_classify(&ev, &where, r));
	assert_false(r[0].warning);
	assert_string_equal(
	    r[0].message, "main process 2665 (python3) in container app was stopped by the runtime "
			  "after 2.5s: SIGTERM (signal 15) sent by process 903 (runc) on the host; "
			  "it exited with code 0; container id 0123456789ab");
}

/* A process called runc inside a container is not the runtime. */
static void test_runc_in_a_container_is_not_the_runtime(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	as_main(&where);
	kill_by(&ev, SIGKILL, 904, "runc", 0);
	strcpy(ev.killer.cgroup_leaf,
	       "cri-containerd-fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	       ".scope");
	assert_true(pt_classify(&ev, &where, r));
	assert_true(r[0].warning);
	assert_false(pt_stop_requested_by_runtime(&ev, &where));
}

/* Exec probes fail all day: an exec'd process that exits non-zero is not the container. */
static void test_exec_nonzero_exit_is_not_reported(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	where.who.role = PT_ROLE_EXEC;
	strcpy(where.who.exec_command, "sh -c exit 1");
	ev.exit_code = 1;
	assert_false(pt_classify(&ev, &where, r));
	/* Nor a process whose role cannot be known. */
	where.who.role = PT_ROLE_UNKNOWN;
	assert_false(pt_classify(&ev, &where, r));
}

static void test_exec_crash_says_exec_and_command(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	strcpy(ev.comm, "sh");
	strcpy(ev.parent_comm, "containerd-shim");
	where.who.role = PT_ROLE_EXEC;
	strcpy(where.who.exec_command, "sh -c kill -SEGV $$");
	kill_by(&ev, SIGSEGV, 2665, "sh", 0);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_PROCESS_CRASHED);
	assert_string_equal(
	    r[0].message, "exec'd process 2665 (sh) in container app died of SIGSEGV (signal 11) "
			  "sent by itself after 2.5s; exec'd as: sh -c kill -SEGV $$; parent 2600 "
			  "(containerd-shim); container id 0123456789ab");
}

/* What is left of a container its runtime stops is killed by the runtime: not a crash. */
static void test_runtime_kill_of_non_main_is_not_a_crash(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	kill_by(&ev, SIGKILL, 905, "containerd-shim", 0);
	assert_false(pt_classify(&ev, &where, r));
	where.who.role = PT_ROLE_EXEC;
	assert_false(pt_classify(&ev, &where, r));
}

static void test_child_nonzero_exit_is_not_reported(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	ev.exit_code = 1;
	assert_false(pt_classify(&ev, &where, r));
}

static void test_child_segv_is_process_crashed(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	kill_by(&ev, SIGSEGV, 2665, "python3", 1);
	ev.core_dumped = true;
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_PROCESS_CRASHED);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app died of SIGSEGV (signal 11) after "
	    "2.5s, core dumped; parent 2600 (sh); container id 0123456789ab");
}

static void test_kill_from_other_container_names_sender(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	kill_by(&ev, SIGKILL, 4242, "kill", 0);
	where.killer_cgroup.scope = PT_SCOPE_CONTAINER;
	strcpy(where.killer_cgroup.container_id,
	       "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_PROCESS_CRASHED);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app was killed by SIGKILL (signal 9) "
	    "sent by process 4242 (kill) in container fedcba987654 after 2.5s; parent "
	    "2600 (sh); container id 0123456789ab");
}

static void test_self_sent_term_is_not_a_crash(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	kill_by(&ev, SIGTERM, 2665, "python3", 0);
	assert_false(pt_classify(&ev, &where, r));
	/* SIGPIPE and friends in a child are not crashes either */
	container_event(&ev, &where);
	kill_by(&ev, SIGPIPE, 1, "kernel", 1);
	assert_false(pt_classify(&ev, &where, r));
}

static void oom_event(struct pt_event *ev, struct pt_placement *where, bool confined)
{
	container_event(ev, where);
	kill_by(ev, SIGKILL, 3000, "python3", 0x80);
	ev->oom.present = true;
	ev->oom.confined = confined;
	ev->oom.has_rss = true;
	ev->oom.memcg_limit_bytes = confined ? 20 << 20 : 0;
	ev->oom.memcg_usage_bytes = confined ? 20 << 20 : 0;
	ev->oom.anon_rss_kb = 20070; /* 19.6 MiB */
	ev->oom.file_rss_kb = 6349;  /* 6.2 MiB */
	ev->oom.shmem_rss_kb = 0;
}

static void test_oom_victim_exit_is_not_the_oom_report(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	/* A non-main victim's own exit says nothing more than the OOM report. */
	oom_event(&ev, &where, true);
	assert_false(pt_classify(&ev, &where, r));
}

static void test_oom_in_child(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, true);
	pt_oom_summary_alone(&where, &ev);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_OOM_KILLED);
	assert_true(r[0].warning);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app was OOM-killed: memory limit 20 "
	    "MiB, usage 20 MiB, anon-rss 19.6 MiB, file-rss 6.2 MiB, shmem-rss 0 MiB; "
	    "container id 0123456789ab");
}

static void test_oom_names_the_allocating_process(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, true);
	as_main(&where);
	ev.oom.has_rss = false;
	ev.oom.trigger_pid = 2670;
	strcpy(ev.oom.trigger_comm, "worker");
	pt_oom_summary_alone(&where, &ev);
	assert_true(pt_classify(&ev, &where, r));
	assert_string_equal(r[0].message,
			    "main process 2665 (python3) in container app was OOM-killed: memory "
			    "limit 20 MiB, usage 20 MiB; the OOM killer ran for an allocation by "
			    "process 2670 (worker); container id 0123456789ab");
}

static void test_oom_of_main_process_is_also_container_exited(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, true);
	as_main(&where);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_CONTAINER_EXITED);
	assert_true(r[0].warning);
	assert_string_equal(r[0].message, "main process 2665 (python3) in container app was "
					  "OOM-killed (memory limit 20 MiB) after 2.5s; container "
					  "id 0123456789ab");
}

/* An exec'd process OOM-killed: the OOM report, and no ContainerExited. */
static void test_oom_of_exec_is_no_container_exit(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, true);
	where.who.role = PT_ROLE_EXEC;
	assert_false(pt_classify(&ev, &where, r));
}

static void test_group_oom_is_one_report_with_the_count(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, true);
	ev.oom.trigger_pid = 2667;
	strcpy(ev.oom.trigger_comm, "worker");
	where.oom.killed = 3;
	where.oom.listed = 3;
	where.oom.group = true;
	where.oom.victims[0] = (struct pt_oom_victim){ 2665, PT_ROLE_MAIN, "python3" };
	where.oom.victims[1] = (struct pt_oom_victim){ 2666, PT_ROLE_OTHER, "sh" };
	where.oom.victims[2] = (struct pt_oom_victim){ 2667, PT_ROLE_EXEC, "worker" };
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_OOM_KILLED);
	assert_string_equal(r[0].message,
			    "3 processes in container app were OOM-killed together "
			    "(memory.oom.group): main process 2665 (python3), 2666 (sh), exec'd "
			    "process 2667 (worker); memory limit 20 MiB, usage 20 MiB; the OOM "
			    "killer ran for an allocation by process 2667 (worker); container id "
			    "0123456789ab");
}

static void test_system_oom(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, false);
	ev.oom.oom_score_adj = 1000;
	pt_oom_summary_alone(&where, &ev);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_SYSTEM_OOM);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app was killed by the system OOM "
	    "killer: the node ran out of memory, anon-rss 19.6 MiB, file-rss 6.2 MiB, "
	    "shmem-rss 0 MiB, oom_score_adj 1000; container id 0123456789ab");
}

static void test_sandbox_killed(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	where.container_name = NULL;
	where.who.role = PT_ROLE_SANDBOX;
	strcpy(ev.comm, "pause");
	ev.lifetime_ns = 125ULL * 1000000000ULL;
	kill_by(&ev, SIGKILL, 777, "kill", 0);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_SANDBOX_CHANGED);
	assert_string_equal(
	    r[0].message,
	    "pod sandbox process 2665 (pause) in container 0123456789ab was killed by "
	    "SIGKILL (signal 9) sent by process 777 (kill) on the host after 2m5s; the "
	    "pod's network namespace is gone and the kubelet will re-create the "
	    "sandbox");
}

/* Every pod deletion ends with StopPodSandbox: runc kills pause. Not a sandbox change. */
static void test_sandbox_stopped_by_runtime_is_not_reported(void **state)
{
	static const char *const stoppers[] = { "runc", "crun", "containerd-shim", "containerd",
						"conmon" };
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	for (size_t i = 0; i < sizeof(stoppers) / sizeof(stoppers[0]); i++) {
		container_event(&ev, &where);
		where.who.role = PT_ROLE_SANDBOX;
		strcpy(ev.comm, "pause");
		kill_by(&ev, SIGKILL, 778, stoppers[i], 0);
		assert_false(pt_classify(&ev, &where, r));
		/* pause's TERM handler: it exits 0 on the runtime's SIGTERM. */
		container_event(&ev, &where);
		where.who.role = PT_ROLE_SANDBOX;
		kill_by(&ev, SIGTERM, 778, stoppers[i], 0);
		ev.signal = 0;
		ev.exited = true;
		assert_false(pt_classify(&ev, &where, r));
	}
}

/* A sandbox that crashes, is OOM-killed or killed by someone else is a change. */
static void test_sandbox_killed_otherwise_is_reported(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	where.who.role = PT_ROLE_SANDBOX;
	kill_by(&ev, SIGSEGV, 2665, "pause", 0);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_SANDBOX_CHANGED);
	/* The kernel's SIGKILL (a pid namespace torn down) is not the runtime's. */
	container_event(&ev, &where);
	where.who.role = PT_ROLE_SANDBOX;
	kill_by(&ev, SIGKILL, 1, "containerd-shim", 0x80);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_SANDBOX_CHANGED);
}

static void test_host_process_crash(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	where.cgroup.scope = PT_SCOPE_HOST;
	where.container_name = NULL;
	where.who.role = PT_ROLE_NONE;
	kill_by(&ev, SIGKILL, 777, "kill", 0);
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(r[0].reason, PT_REASON_PROCESS_CRASHED);
}

static void test_message_is_bounded(void **state)
{
	struct pt_report r[1];
	struct pt_placement where;
	struct pt_event ev;
	char longname[2000];

	container_event(&ev, &where);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	where.container_name = longname;
	as_main(&where);
	ev.exit_code = 1;
	assert_true(pt_classify(&ev, &where, r));
	assert_int_equal(strlen(r[0].message), PT_MESSAGE_MAX);
}

static void test_reason_names_round_trip(void **state)
{
	for (int i = 0; i < PT_REASON__COUNT; i++)
		assert_int_equal(pt_reason_from_name(pt_reason_name(i)), i);
	assert_int_equal(pt_reason_from_name("Nope"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_process_exit_code),
		cmocka_unit_test(test_main_process_exit_zero_is_normal),
		cmocka_unit_test(test_stop_by_runtime_is_normal),
		cmocka_unit_test(test_graceful_stop_names_term_then_kill),
		cmocka_unit_test(test_stop_obeyed_with_exit_code),
		cmocka_unit_test(test_runc_in_a_container_is_not_the_runtime),
		cmocka_unit_test(test_exec_nonzero_exit_is_not_reported),
		cmocka_unit_test(test_exec_crash_says_exec_and_command),
		cmocka_unit_test(test_runtime_kill_of_non_main_is_not_a_crash),
		cmocka_unit_test(test_child_nonzero_exit_is_not_reported),
		cmocka_unit_test(test_child_segv_is_process_crashed),
		cmocka_unit_test(test_kill_from_other_container_names_sender),
		cmocka_unit_test(test_self_sent_term_is_not_a_crash),
		cmocka_unit_test(test_oom_victim_exit_is_not_the_oom_report),
		cmocka_unit_test(test_oom_in_child),
		cmocka_unit_test(test_oom_names_the_allocating_process),
		cmocka_unit_test(test_oom_of_main_process_is_also_container_exited),
		cmocka_unit_test(test_oom_of_exec_is_no_container_exit),
		cmocka_unit_test(test_group_oom_is_one_report_with_the_count),
		cmocka_unit_test(test_system_oom),
		cmocka_unit_test(test_sandbox_killed),
		cmocka_unit_test(test_sandbox_stopped_by_runtime_is_not_reported),
		cmocka_unit_test(test_sandbox_killed_otherwise_is_reported),
		cmocka_unit_test(test_host_process_crash),
		cmocka_unit_test(test_message_is_bounded),
		cmocka_unit_test(test_reason_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
