// SPDX-License-Identifier: GPL-2.0
/*
 * The node's components: how each is recognised (and what is not one), and
 * what their ends become: NodeComponentExited on the Node, RuntimeMonitorLost
 * on the pod a dead shim served, SystemOOM on the Node and on the pod.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "classify.h"
#include "components.h"
#include "oom_groups.h"
#include "pipeline.h"

static struct pt_cgroup_info host_unit(const char *unit)
{
	struct pt_cgroup_info cg = { .scope = PT_SCOPE_HOST };

	strcpy(cg.unit, unit);
	return cg;
}

static void test_recognised_on_the_host_only(void **state)
{
	struct pt_cgroup_info cg = host_unit("kubelet.service");
	struct pt_components c;

	pt_components_default(&c);
	assert_string_equal(pt_component_match(&c, "kubelet", 0, false, &cg)->name, "kubelet");
	/* Distributions run it in units of their own. */
	cg = host_unit("k3s.service");
	assert_string_equal(pt_component_match(&c, "containerd", 0, false, &cg)->name,
			    "containerd");
	assert_int_equal(pt_component_match(&c, "containerd-shim", 0, false, &cg)->kind,
			 PT_COMPONENT_SHIM);
	assert_int_equal(pt_component_match(&c, "runc", 0, false, &cg)->kind, PT_COMPONENT_HELPER);
	/* Not a component: another name, a container's process, a login session, a pid namespace. */
	assert_null(pt_component_match(&c, "kubeletx", 0, false, &cg));
	cg.scope = PT_SCOPE_CONTAINER;
	assert_null(pt_component_match(&c, "kubelet", 0, false, &cg));
	cg.scope = PT_SCOPE_POD;
	assert_null(pt_component_match(&c, "kubelet", 0, false, &cg));
	cg = host_unit("session-3.scope");
	assert_null(pt_component_match(&c, "kubelet", 0, false, &cg));
	cg = host_unit("user@1000.service");
	assert_null(pt_component_match(&c, "kubelet", 0, false, &cg));
	cg = host_unit("docker-0123.scope");
	assert_null(pt_component_match(&c, "kubelet", 1, false, &cg));
	assert_null(pt_component_match(NULL, "kubelet", 0, false, &cg));
}

/* A daemon's forked child that has not exec'd carries its name but is not the daemon. */
static void test_a_daemon_must_have_execd(void **state)
{
	struct pt_cgroup_info cg = host_unit("kubelet.service");
	struct pt_components c;

	pt_components_default(&c);
	assert_null(pt_component_match(&c, "kubelet", 0, true, &cg));
	assert_null(pt_component_match(&c, "containerd", 0, true, &cg));
	/* Shims and helpers may fork to detach (conmon): the forked one is still the shim. */
	assert_int_equal(pt_component_match(&c, "conmon", 0, true, &cg)->kind, PT_COMPONENT_SHIM);
	assert_int_equal(pt_component_match(&c, "containerd-shim", 0, true, &cg)->kind,
			 PT_COMPONENT_SHIM);
	assert_int_equal(pt_component_match(&c, "runc", 0, true, &cg)->kind, PT_COMPONENT_HELPER);
}

static void test_more_daemons_by_flag(void **state)
{
	struct pt_cgroup_info cg = host_unit("");
	char names[PT_MAX_DAEMON_NAMES][PT_COMM_LEN];
	struct pt_components c;
	char err[128];

	pt_components_default(&c);
	assert_int_equal(pt_components_add(&c, "node-agent,vector", err, sizeof(err)), 0);
	assert_string_equal(pt_component_match(&c, "vector", 0, false, &cg)->name, "vector");
	assert_int_equal(pt_components_add(&c, "a,,b", err, sizeof(err)), -EINVAL);
	assert_int_equal(pt_components_add(&c, "a-name-longer-than-a-comm", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "1 to 15 characters"));
	/* The kernel's lists: daemons (clean exits sent too) and shims. */
	assert_int_equal(pt_components_daemon_comms(&c, names), 12);
	assert_string_equal(names[0], "kubelet");
	assert_int_equal(pt_components_shim_comms(&c, names), 2);
	assert_string_equal(names[0], "containerd-shim");
}

static const struct pt_component *component(const char *comm)
{
	static struct pt_components c;
	struct pt_cgroup_info cg = host_unit("x.service");

	pt_components_default(&c);
	return pt_component_match(&c, comm, 0, false, &cg);
}

static void host_event(struct pt_event *ev, struct pt_placement *where, const char *comm,
		       const char *unit)
{
	memset(ev, 0, sizeof(*ev));
	memset(where, 0, sizeof(*where));
	ev->kind = PT_RECORD_EXIT;
	ev->pid = 1234;
	ev->ppid = 1;
	strcpy(ev->comm, comm);
	strcpy(ev->parent_comm, "systemd");
	ev->exited = true;
	ev->lifetime_ns = 3600ULL * 1000000000ULL;
	where->cgroup = host_unit(unit);
	where->component = component(comm);
}

static void signalled(struct pt_event *ev, int sig, uint32_t sender, const char *comm)
{
	ev->exited = false;
	ev->signal = sig;
	ev->killer.present = true;
	ev->killer.sig = sig;
	ev->killer.tgid = sender;
	strcpy(ev->killer.comm, comm);
}

static void test_systemd_stop_is_normal(void **state)
{
	struct pt_placement where;
	struct pt_report r;
	struct pt_event ev;

	host_event(&ev, &where, "kubelet", "kubelet.service");
	ev.killer.present = true;
	ev.killer.sig = SIGTERM;
	ev.killer.tgid = 1;
	strcpy(ev.killer.comm, "systemd");
	assert_true(pt_classify(&ev, &where, &r));
	assert_int_equal(r.reason, PT_REASON_NODE_COMPONENT_EXITED);
	assert_false(r.warning);
	assert_string_equal(r.message,
			    "node component kubelet: process 1234 (kubelet) in kubelet.service was "
			    "stopped by systemd after 1h0m: SIGTERM (signal 15) sent by process 1 "
			    "(systemd) on the host; it exited with code 0");
	/* SIGKILL after the stop timeout is no clean stop. */
	host_event(&ev, &where, "kubelet", "kubelet.service");
	signalled(&ev, SIGKILL, 1, "systemd");
	assert_true(pt_classify(&ev, &where, &r));
	assert_true(r.warning);
}

static void test_what_is_news_for_each_kind(void **state)
{
	struct pt_placement where;
	struct pt_report r;
	struct pt_event ev;

	/* A shim ends cleanly with its pod, and when the runtime stops it. */
	host_event(&ev, &where, "containerd-shim", "containerd.service");
	assert_false(pt_classify(&ev, &where, &r));
	signalled(&ev, SIGKILL, 700, "containerd");
	assert_false(pt_classify(&ev, &where, &r));
	ev.exited = true;
	ev.signal = 0;
	ev.exit_code = 1;
	assert_true(pt_classify(&ev, &where, &r));
	/* runc fails all day: only a crash is news. */
	host_event(&ev, &where, "runc", "containerd.service");
	ev.exit_code = 1;
	assert_false(pt_classify(&ev, &where, &r));
	signalled(&ev, SIGSEGV, 1234, "runc");
	assert_true(pt_classify(&ev, &where, &r));
	assert_string_equal(r.message, "node component runc: process 1234 (runc) in "
				       "containerd.service died of SIGSEGV (signal 11) sent by "
				       "itself after 1h0m; parent 1 (systemd)");
	/* A daemon OOM-killed. */
	host_event(&ev, &where, "containerd", "containerd.service");
	signalled(&ev, SIGKILL, 900, "stress");
	ev.oom.present = true;
	assert_true(pt_classify(&ev, &where, &r));
	assert_true(r.warning);
	assert_non_null(strstr(r.message, "was OOM-killed"));
}

static void test_dead_shim_on_its_pod(void **state)
{
	struct pt_placement where;
	struct pt_report r;
	struct pt_event ev;

	host_event(&ev, &where, "containerd-shim", "containerd.service");
	signalled(&ev, SIGKILL, 4312, "kill");
	where.component = NULL;
	where.monitor_lost = true;
	where.cgroup.scope = PT_SCOPE_POD;
	assert_true(pt_classify(&ev, &where, &r));
	assert_int_equal(r.reason, PT_REASON_RUNTIME_MONITOR_LOST);
	assert_string_equal(
	    r.message, "runtime shim process 1234 (containerd-shim) that monitored this pod's "
		       "containers was killed by SIGKILL (signal 9) sent by process 4312 (kill) "
		       "on the host after 1h0m: the container runtime lost its monitor of the "
		       "pod's containers");
}

struct sunk {
	int n;
	bool on_pod[4];
	char message[4][PT_MESSAGE_MAX + 1];
};

static int sink(void *ctx, const struct pt_emitted *e)
{
	struct sunk *s = ctx;

	assert_true(s->n < 4);
	s->on_pod[s->n] = e->pod != NULL;
	strcpy(s->message[s->n++], e->report->message);
	return 0;
}

/* The node ran out of memory and killed a pod's process: the Node hears it, and the pod. */
static void test_system_oom_on_the_node_and_the_pod(void **state)
{
	struct pt_pod_ref pod = { .namespace_ = "shop", .name = "web-0", .container_name = "app" };
	struct pt_pipeline p;
	struct pt_placement where = { 0 };
	struct pt_event ev = { .kind = PT_RECORD_EXIT, .pid = 2665, .signal = SIGKILL };
	struct sunk got = { 0 };

	strcpy(ev.comm, "python3");
	ev.oom.present = true;
	where.cgroup.scope = PT_SCOPE_CONTAINER;
	strcpy(where.cgroup.container_id,
	       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	pt_oom_summary_alone(&where, &ev);
	pt_pipeline_init(&p, "node-1", (struct pt_sink){ sink, &got });
	pt_pipeline_emit(&p, &ev, &where, &pod);
	assert_int_equal(got.n, 2);
	assert_false(got.on_pod[0]);
	assert_string_equal(
	    got.message[0],
	    "process 2665 (python3) in container app of pod shop/web-0 was killed by "
	    "the system OOM killer: the node ran out of memory; container id "
	    "0123456789ab");
	assert_true(got.on_pod[1]);
	assert_non_null(strstr(got.message[1], "in container app was killed by the system OOM"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recognised_on_the_host_only),
		cmocka_unit_test(test_a_daemon_must_have_execd),
		cmocka_unit_test(test_more_daemons_by_flag),
		cmocka_unit_test(test_systemd_stop_is_normal),
		cmocka_unit_test(test_what_is_news_for_each_kind),
		cmocka_unit_test(test_dead_shim_on_its_pod),
		cmocka_unit_test(test_system_oom_on_the_node_and_the_pod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
