// SPDX-License-Identifier: GPL-2.0
/* Every rule of main-process identity (identity.h), one case each. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "identity.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct scenario {
	const char *name;
	enum pt_cgroup_scope scope;
	uint32_t flags;	    /* PT_FLAG_PIDNS_INIT, _PARENT_OTHER_CGROUP, _SANDBOX */
	bool runtime_known; /* the runtime has a record of the container */
	uint32_t main_pid;  /* ... with this main pid (0: none) */
	enum pt_runtime_kind kind;
	bool exec; /* ... and this process's pid in an exec's pid file */
	enum pt_process_role role;
	enum pt_role_source source;
};

#define OWN_NS (PT_FLAG_PIDNS_INIT | PT_FLAG_PARENT_OTHER_CGROUP)
/* Not a kernel flag: the scenario's parent is named runc. */
#define PARENT_RUNC (1u << 31)
#define PID	    4242
#define OTHER_PID   4000

static const struct scenario scenarios[] = {
	/* Rule 1: the runtime's record decides, whatever the pid-namespace mode. */
	{ "runtime: main pid, own pid namespace", PT_SCOPE_CONTAINER, OWN_NS, true, PID,
	  PT_KIND_CONTAINER, false, PT_ROLE_MAIN, PT_SOURCE_RUNTIME },
	{ "runtime: main pid, shared or host pid namespace", PT_SCOPE_CONTAINER,
	  PT_FLAG_PARENT_OTHER_CGROUP, true, PID, PT_KIND_CONTAINER, false, PT_ROLE_MAIN,
	  PT_SOURCE_RUNTIME },
	{ "runtime: exec in a shared or host pid namespace", PT_SCOPE_CONTAINER,
	  PT_FLAG_PARENT_OTHER_CGROUP, true, OTHER_PID, PT_KIND_CONTAINER, true, PT_ROLE_EXEC,
	  PT_SOURCE_RUNTIME },
	{ "runtime: exec whose pid file was missed is still not main", PT_SCOPE_CONTAINER,
	  PT_FLAG_PARENT_OTHER_CGROUP, true, OTHER_PID, PT_KIND_CONTAINER, false, PT_ROLE_OTHER,
	  PT_SOURCE_RUNTIME },
	{ "runtime: an exec that died before runc wrote its pid file", PT_SCOPE_CONTAINER,
	  PT_FLAG_PARENT_OTHER_CGROUP | PARENT_RUNC, true, OTHER_PID, PT_KIND_CONTAINER, false,
	  PT_ROLE_EXEC, PT_SOURCE_PARENT },
	{ "runtime: the main process while runc still is its parent", PT_SCOPE_CONTAINER,
	  OWN_NS | PARENT_RUNC, true, PID, PT_KIND_CONTAINER, false, PT_ROLE_MAIN,
	  PT_SOURCE_RUNTIME },
	{ "runtime: a descendant of the main process", PT_SCOPE_CONTAINER, 0, true, OTHER_PID,
	  PT_KIND_CONTAINER, false, PT_ROLE_OTHER, PT_SOURCE_RUNTIME },
	{ "runtime: a nested pid namespace's init is not main", PT_SCOPE_CONTAINER, OWN_NS, true,
	  OTHER_PID, PT_KIND_CONTAINER, false, PT_ROLE_OTHER, PT_SOURCE_RUNTIME },
	{ "runtime: the sandbox's main process", PT_SCOPE_CONTAINER, OWN_NS, true, PID,
	  PT_KIND_SANDBOX, false, PT_ROLE_SANDBOX, PT_SOURCE_RUNTIME },
	{ "runtime: pause in a host-pid sandbox", PT_SCOPE_CONTAINER, PT_FLAG_SANDBOX, true, PID,
	  PT_KIND_SANDBOX, false, PT_ROLE_SANDBOX, PT_SOURCE_RUNTIME },
	{ "runtime: a container running the pause binary is a container", PT_SCOPE_CONTAINER,
	  OWN_NS | PT_FLAG_SANDBOX, true, PID, PT_KIND_CONTAINER, false, PT_ROLE_MAIN,
	  PT_SOURCE_RUNTIME },
	{ "runtime: spec unreadable, process named pause", PT_SCOPE_CONTAINER,
	  OWN_NS | PT_FLAG_SANDBOX, true, PID, PT_KIND_UNKNOWN, false, PT_ROLE_SANDBOX,
	  PT_SOURCE_NAME },
	{ "runtime: exec known, main pid not (yet) read", PT_SCOPE_CONTAINER, 0, true, 0,
	  PT_KIND_UNKNOWN, true, PT_ROLE_EXEC, PT_SOURCE_RUNTIME },
	{ "runtime: a sandbox without main pid, another process", PT_SCOPE_CONTAINER, 0, true, 0,
	  PT_KIND_SANDBOX, false, PT_ROLE_OTHER, PT_SOURCE_RUNTIME },
	/* Rule 2: a sandbox by name, where the runtime does not say otherwise. */
	{ "no runtime: pause as a pid-namespace init", PT_SCOPE_CONTAINER, OWN_NS | PT_FLAG_SANDBOX,
	  false, 0, PT_KIND_UNKNOWN, false, PT_ROLE_SANDBOX, PT_SOURCE_NAME },
	{ "no runtime: pause in a host-pid sandbox", PT_SCOPE_CONTAINER, PT_FLAG_SANDBOX, false, 0,
	  PT_KIND_UNKNOWN, false, PT_ROLE_SANDBOX, PT_SOURCE_NAME },
	{ "pause in the pod's own cgroup", PT_SCOPE_POD, PT_FLAG_SANDBOX, false, 0, PT_KIND_UNKNOWN,
	  false, PT_ROLE_SANDBOX, PT_SOURCE_NAME },
	/* Rule 3: the init of the container's own pid namespace, started from outside. */
	{ "no runtime: pid-namespace init started from outside", PT_SCOPE_CONTAINER, OWN_NS, false,
	  0, PT_KIND_UNKNOWN, false, PT_ROLE_MAIN, PT_SOURCE_PIDNS },
	{ "runtime knows the container but not its main pid", PT_SCOPE_CONTAINER, OWN_NS, true, 0,
	  PT_KIND_CONTAINER, false, PT_ROLE_MAIN, PT_SOURCE_PIDNS },
	{ "no runtime: a pid namespace made inside the container", PT_SCOPE_CONTAINER,
	  PT_FLAG_PIDNS_INIT, false, 0, PT_KIND_UNKNOWN, false, PT_ROLE_UNKNOWN, PT_SOURCE_NONE },
	/* Rule 4: shared or host pid namespace and no record: it cannot be known. */
	{ "no runtime: parent outside the cgroup, no pid namespace of its own", PT_SCOPE_CONTAINER,
	  PT_FLAG_PARENT_OTHER_CGROUP, false, 0, PT_KIND_UNKNOWN, false, PT_ROLE_UNKNOWN,
	  PT_SOURCE_NONE },
	{ "no runtime: a child", PT_SCOPE_CONTAINER, 0, false, 0, PT_KIND_UNKNOWN, false,
	  PT_ROLE_UNKNOWN, PT_SOURCE_NONE },
	/* Not a container's process at all. */
	{ "host process", PT_SCOPE_HOST, OWN_NS, false, 0, PT_KIND_UNKNOWN, false, PT_ROLE_NONE,
	  PT_SOURCE_NONE },
	{ "pause on the host", PT_SCOPE_HOST, PT_FLAG_SANDBOX, false, 0, PT_KIND_UNKNOWN, false,
	  PT_ROLE_NONE, PT_SOURCE_NONE },
	{ "CRI-O's conmon", PT_SCOPE_RUNTIME_HELPER, OWN_NS, true, PID, PT_KIND_CONTAINER, false,
	  PT_ROLE_NONE, PT_SOURCE_NONE },
	{ "a process in the pod's own cgroup", PT_SCOPE_POD, OWN_NS, false, 0, PT_KIND_UNKNOWN,
	  false, PT_ROLE_NONE, PT_SOURCE_NONE },
};

static void test_rules(void **state)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		struct pt_runtime_answer rt = { 0 };
		struct pt_cgroup_info cg = { 0 };
		struct pt_identity who;
		struct pt_event ev = { 0 };

		ev.pid = PID;
		ev.flags = sc->flags & ~PARENT_RUNC;
		strcpy(ev.parent_comm, sc->flags & PARENT_RUNC ? "runc" : "containerd-shim");
		cg.scope = sc->scope;
		strcpy(cg.container_id, CID);
		rt.known = sc->runtime_known;
		rt.main_pid = sc->main_pid;
		rt.kind = sc->kind;
		rt.exec = sc->exec;
		if (sc->exec)
			strcpy(rt.exec_command, "sh -c exit 1");
		pt_identify(&ev, &cg, &rt, &who);
		print_message("%s: %s/%s\n", sc->name, pt_role_name(who.role),
			      pt_role_source_name(who.source));
		assert_int_equal(who.role, sc->role);
		assert_int_equal(who.source, sc->source);
		if (who.role == PT_ROLE_EXEC && sc->exec)
			assert_string_equal(who.exec_command, "sh -c exit 1");
		else
			assert_string_equal(who.exec_command, "");
	}
}

/* No answer at all (the runtime is not watched) is the same as an unknown container. */
static void test_no_answer(void **state)
{
	struct pt_cgroup_info cg = { .scope = PT_SCOPE_CONTAINER };
	struct pt_event ev = { .pid = PID, .flags = OWN_NS };
	struct pt_identity who;

	pt_identify(&ev, &cg, NULL, &who);
	assert_int_equal(who.role, PT_ROLE_MAIN);
	assert_int_equal(who.source, PT_SOURCE_PIDNS);
	ev.flags = PT_FLAG_PARENT_OTHER_CGROUP;
	pt_identify(&ev, &cg, NULL, &who);
	assert_int_equal(who.role, PT_ROLE_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_no_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
