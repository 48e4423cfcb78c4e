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
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	ev.flags = PT_FLAG_PIDNS_INIT;
	ev.exit_code = 3;
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_CONTAINER_EXITED);
	assert_true(r[0].warning);
	assert_string_equal(
	    r[0].message,
	    "main process 2665 (python3) in container app exited with code 3 after 2.5s");
}

static void test_main_process_exit_zero_is_normal(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	ev.flags = PT_FLAG_PIDNS_INIT;
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_false(r[0].warning);
}

static void test_stop_by_runtime_is_normal(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	ev.flags = PT_FLAG_PIDNS_INIT;
	kill_by(&ev, SIGTERM, 900, "containerd-shim", 0);
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_CONTAINER_EXITED);
	assert_false(r[0].warning);
	assert_string_equal(
	    r[0].message,
	    "main process 2665 (python3) in container app was killed by SIGTERM (signal "
	    "15) sent by process 900 (containerd-shim) on the host after 2.5s");
}

static void test_first_process_of_container_cgroup_is_main(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	ev.flags = PT_FLAG_PARENT_OTHER_CGROUP;
	ev.exit_code = 1;
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_CONTAINER_EXITED);
}

static void test_child_nonzero_exit_is_not_reported(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	ev.exit_code = 1;
	assert_int_equal(pt_classify(&ev, &where, r), 0);
}

static void test_child_segv_is_process_crashed(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	kill_by(&ev, SIGSEGV, 2665, "python3", 1);
	ev.core_dumped = true;
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_PROCESS_CRASHED);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app died of SIGSEGV (signal 11) after "
	    "2.5s, core dumped; parent 2600 (sh)");
}

static void test_kill_from_other_container_names_sender(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	kill_by(&ev, SIGKILL, 4242, "kill", 0);
	where.killer_cgroup.scope = PT_SCOPE_CONTAINER;
	strcpy(where.killer_cgroup.container_id,
	       "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_PROCESS_CRASHED);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app was killed by SIGKILL (signal 9) "
	    "sent by process 4242 (kill) in container fedcba987654 after 2.5s; parent "
	    "2600 (sh)");
}

static void test_self_sent_term_is_not_a_crash(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	kill_by(&ev, SIGTERM, 2665, "python3", 0);
	assert_int_equal(pt_classify(&ev, &where, r), 0);
	/* SIGPIPE and friends in a child are not crashes either */
	container_event(&ev, &where);
	kill_by(&ev, SIGPIPE, 1, "kernel", 1);
	assert_int_equal(pt_classify(&ev, &where, r), 0);
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

static void test_oom_in_child(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, true);
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_OOM_KILLED);
	assert_true(r[0].warning);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app was OOM-killed: memory limit 20 "
	    "MiB, usage 20 MiB, anon-rss 19.6 MiB, file-rss 6.2 MiB, shmem-rss 0 MiB");
}

static void test_oom_of_main_process_gives_two_reports(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, true);
	ev.flags = PT_FLAG_PIDNS_INIT;
	assert_int_equal(pt_classify(&ev, &where, r), 2);
	assert_int_equal(r[0].reason, PT_REASON_OOM_KILLED);
	assert_int_equal(r[1].reason, PT_REASON_CONTAINER_EXITED);
	assert_true(r[1].warning);
	assert_string_equal(r[1].message, "main process 2665 (python3) in container app was "
					  "OOM-killed (memory limit 20 MiB) after 2.5s");
}

static void test_system_oom(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	oom_event(&ev, &where, false);
	ev.oom.oom_score_adj = 1000;
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_SYSTEM_OOM);
	assert_string_equal(
	    r[0].message,
	    "process 2665 (python3) in container app was killed by the system OOM "
	    "killer: the node ran out of memory: anon-rss 19.6 MiB, file-rss 6.2 MiB, "
	    "shmem-rss 0 MiB, oom_score_adj 1000");
}

static void test_sandbox_killed(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	where.container_name = NULL;
	strcpy(ev.comm, "pause");
	ev.flags = PT_FLAG_PIDNS_INIT | PT_FLAG_SANDBOX;
	ev.lifetime_ns = 125ULL * 1000000000ULL;
	kill_by(&ev, SIGKILL, 777, "kill", 0);
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_SANDBOX_CHANGED);
	assert_string_equal(
	    r[0].message,
	    "pod sandbox process 2665 (pause) in container 0123456789ab was killed by "
	    "SIGKILL (signal 9) sent by process 777 (kill) on the host after 2m5s; the "
	    "pod's network namespace is gone and the kubelet will re-create the "
	    "sandbox");
}

static void test_process_named_pause_on_host_is_not_a_sandbox(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;

	container_event(&ev, &where);
	where.cgroup.scope = PT_SCOPE_HOST;
	ev.flags = PT_FLAG_SANDBOX;
	kill_by(&ev, SIGKILL, 777, "kill", 0);
	assert_int_equal(pt_classify(&ev, &where, r), 1);
	assert_int_equal(r[0].reason, PT_REASON_PROCESS_CRASHED);
}

static void test_message_is_bounded(void **state)
{
	struct pt_report r[PT_MAX_REPORTS];
	struct pt_placement where;
	struct pt_event ev;
	char longname[2000];

	container_event(&ev, &where);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	where.container_name = longname;
	ev.flags = PT_FLAG_PIDNS_INIT;
	ev.exit_code = 1;
	assert_int_equal(pt_classify(&ev, &where, r), 1);
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
		cmocka_unit_test(test_first_process_of_container_cgroup_is_main),
		cmocka_unit_test(test_child_nonzero_exit_is_not_reported),
		cmocka_unit_test(test_child_segv_is_process_crashed),
		cmocka_unit_test(test_kill_from_other_container_names_sender),
		cmocka_unit_test(test_self_sent_term_is_not_a_crash),
		cmocka_unit_test(test_oom_in_child),
		cmocka_unit_test(test_oom_of_main_process_gives_two_reports),
		cmocka_unit_test(test_system_oom),
		cmocka_unit_test(test_sandbox_killed),
		cmocka_unit_test(test_process_named_pause_on_host_is_not_a_sandbox),
		cmocka_unit_test(test_message_is_bounded),
		cmocka_unit_test(test_reason_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
