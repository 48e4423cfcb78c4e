// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <string.h>
#include "classify.h"
#include "message.h"
#include "signals.h"

static const char *const reason_names[PT_REASON__COUNT] = {
	[PT_REASON_OOM_KILLED] = "OOMKilled",
	[PT_REASON_SYSTEM_OOM] = "SystemOOM",
	[PT_REASON_CONTAINER_EXITED] = "ContainerExited",
	[PT_REASON_PROCESS_CRASHED] = "ProcessCrashed",
	[PT_REASON_SANDBOX_CHANGED] = "SandboxChanged",
	[PT_REASON_NODE_COMPONENT_EXITED] = "NodeComponentExited",
	[PT_REASON_RUNTIME_MONITOR_LOST] = "RuntimeMonitorLost",
};

const char *pt_reason_name(enum pt_reason reason)
{
	return reason < PT_REASON__COUNT ? reason_names[reason] : "Unknown";
}

int pt_reason_from_name(const char *name)
{
	for (int r = 0; r < PT_REASON__COUNT; r++)
		if (strcmp(name, reason_names[r]) == 0)
			return r;
	return -1;
}

static void msg_duration(struct pt_msg *m, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns < 1000000000ULL)
		pt_msg_add(m, "%llums", (unsigned long long)(ns / 1000000ULL));
	else if (s < 60)
		pt_msg_add(m, "%.1fs", (double)ns / 1e9);
	else if (s < 3600)
		pt_msg_add(m, "%llum%llus", (unsigned long long)(s / 60),
			   (unsigned long long)(s % 60));
	else if (s < 86400)
		pt_msg_add(m, "%lluh%llum", (unsigned long long)(s / 3600),
			   (unsigned long long)(s % 3600 / 60));
	else
		pt_msg_add(m, "%llud%lluh", (unsigned long long)(s / 86400),
			   (unsigned long long)(s % 86400 / 3600));
}

/* Whole MiB print as "20 MiB", the rest with one decimal: "19.6 MiB". */
static void msg_mib(struct pt_msg *m, uint64_t bytes)
{
	if (bytes % (1024 * 1024) == 0)
		pt_msg_add(m, "%llu MiB", (unsigned long long)(bytes >> 20));
	else
		pt_msg_add(m, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

/* " in container 3f2a...", " in pod <uid>", " in foo.service", " on the host" */
static void msg_cgroup(struct pt_msg *m, const struct pt_cgroup_info *cg)
{
	if (cg->scope == PT_SCOPE_UNKNOWN)
		pt_msg_add(m, " in a cgroup not known to podtrail");
	else if (cg->scope == PT_SCOPE_CONTAINER)
		pt_msg_add(m, " in container %.12s", cg->container_id);
	else if (cg->scope == PT_SCOPE_POD)
		pt_msg_add(m, " in pod %s", cg->pod_uid);
	else if (cg->unit[0])
		pt_msg_add(m, " in %s", cg->unit);
	else
		pt_msg_add(m, " on the host");
}

/* As msg_cgroup, but a container by its name when known: " in container app" */
static void msg_where(struct pt_msg *m, const struct pt_placement *where)
{
	const struct pt_cgroup_info *cg = &where->cgroup;

	if (where->container_name && where->container_name[0])
		pt_msg_add(m, " in container %s", where->container_name);
	else
		msg_cgroup(m, cg);
	if (where->pod_on_node && (cg->scope == PT_SCOPE_CONTAINER || cg->scope == PT_SCOPE_POD))
		pt_msg_add(m, " of pod %s", where->pod_on_node);
}

/* "; container id 3f2a1b4c5d6e": which instance of a named container (it restarts). */
static void msg_instance(struct pt_msg *m, const struct pt_placement *where)
{
	if (where->container_name && where->container_name[0] &&
	    where->cgroup.scope == PT_SCOPE_CONTAINER)
		pt_msg_add(m, "; container id %.12s", where->cgroup.container_id);
}

/* "main process 2665 (python3)", "exec'd process ...", "pod sandbox process ..." */
static void msg_subject(struct pt_msg *m, const struct pt_event *ev,
			const struct pt_placement *where)
{
	static const char *const prefix[] = {
		[PT_ROLE_MAIN] = "main ",
		[PT_ROLE_EXEC] = "exec'd ",
		[PT_ROLE_SANDBOX] = "pod sandbox ",
	};
	enum pt_process_role role = where->who.role;
	const char *p =
	    role < sizeof(prefix) / sizeof(prefix[0]) && prefix[role] ? prefix[role] : "";

	pt_msg_add(m, "%sprocess %u (%s)", p, ev->pid, ev->comm);
	msg_where(m, where);
}

/* Where the sender of a signal lives. */
static void msg_sender_where(struct pt_msg *m, const struct pt_placement *where)
{
	msg_cgroup(m, &where->killer_cgroup);
}

/* " sent by process 456 (kill) in container 3f2a..." */
static void msg_sender(struct pt_msg *m, const struct pt_event *ev,
		       const struct pt_placement *where)
{
	const struct pt_event_killer *k = &ev->killer;

	if (!k->present || k->sig != ev->signal)
		return;
	if (k->tgid == ev->pid) {
		if (!k->from_kernel)
			pt_msg_add(m, " sent by itself");
		return;
	}
	pt_msg_add(m, " sent by process %u (%s)", k->tgid, k->comm);
	msg_sender_where(m, where);
}

/* "exited with code 3" / "died of SIGSEGV (signal 11), core dumped" / "was killed by SIGKILL ..." */
static void msg_outcome(struct pt_msg *m, const struct pt_event *ev,
			const struct pt_placement *where)
{
	const char *signal;
	char name[16];

	if (ev->oom.present && ev->signal == SIGKILL) {
		pt_msg_add(m, "was OOM-killed");
		if (ev->oom.confined) {
			pt_msg_add(m, " (memory limit ");
			msg_mib(m, ev->oom.memcg_limit_bytes);
			pt_msg_add(m, ")");
		}
		return;
	}
	if (!ev->signal) {
		pt_msg_add(m, "exited with code %d", ev->exit_code);
		return;
	}
	signal = pt_signal_name(ev->signal, name);
	if (pt_signal_is_crash(ev->signal) &&
	    (!ev->killer.present || ev->killer.tgid == ev->pid || ev->killer.from_kernel))
		pt_msg_add(m, "died of %s (signal %d)", signal, ev->signal);
	else
		pt_msg_add(m, "was killed by %s (signal %d)", signal, ev->signal);
	msg_sender(m, ev, where);
}

/* " after 2.5s, core dumped" */
static void msg_lifetime(struct pt_msg *m, const struct pt_event *ev)
{
	if (ev->lifetime_ns) {
		pt_msg_add(m, " after ");
		msg_duration(m, ev->lifetime_ns);
	}
	if (ev->core_dumped)
		pt_msg_add(m, ", core dumped");
}

/*
 * ": SIGTERM (signal 15) sent by process 456 (runc) on the host, then SIGKILL
 * (signal 9) sent by process 789 (runc) 2.0s later; it exited with code 0"
 */
static void msg_stop_sequence(struct pt_msg *m, const struct pt_event *ev,
			      const struct pt_placement *where)
{
	const struct pt_event_killer *k = &ev->killer;
	char name[16];

	pt_msg_add(m, ": ");
	if (k->prev_sig) {
		pt_msg_add(m, "%s (signal %d) sent by process %u (%s), then ",
			   pt_signal_name(k->prev_sig, name), k->prev_sig, k->prev_tgid,
			   k->prev_comm);
	}
	pt_msg_add(m, "%s (signal %d) sent by process %u (%s)", pt_signal_name(k->sig, name),
		   k->sig, k->tgid, k->comm);
	msg_sender_where(m, where);
	if (k->prev_sig && k->ktime_ns > k->prev_ktime_ns) {
		pt_msg_add(m, " ");
		msg_duration(m, k->ktime_ns - k->prev_ktime_ns);
		pt_msg_add(m, " later");
	}
	if (!ev->signal)
		pt_msg_add(m, "; it exited with code %d", ev->exit_code);
}

/* ": memory limit 20 MiB, usage 20 MiB, anon-rss 19.6 MiB, ..." (@sep first) */
static void msg_oom_figures(struct pt_msg *m, const struct pt_event_oom *oom, bool rss,
			    const char *sep)
{
	if (oom->confined) {
		pt_msg_add(m, "%smemory limit ", sep);
		msg_mib(m, oom->memcg_limit_bytes);
		pt_msg_add(m, ", usage ");
		msg_mib(m, oom->memcg_usage_bytes);
		sep = ", ";
	}
	if (rss && oom->has_rss) {
		pt_msg_add(m, "%sanon-rss ", sep);
		msg_mib(m, oom->anon_rss_kb * 1024);
		pt_msg_add(m, ", file-rss ");
		msg_mib(m, oom->file_rss_kb * 1024);
		pt_msg_add(m, ", shmem-rss ");
		msg_mib(m, oom->shmem_rss_kb * 1024);
		sep = ", ";
	}
	if (rss && oom->oom_score_adj)
		pt_msg_add(m, "%soom_score_adj %d", sep, oom->oom_score_adj);
}

/* "; the OOM killer ran for an allocation by process 2670 (worker)" */
static void msg_oom_trigger(struct pt_msg *m, const struct pt_event *ev)
{
	const struct pt_event_oom *oom = &ev->oom;

	if (oom->trigger_pid && oom->trigger_pid != ev->pid)
		pt_msg_add(m, "; the OOM killer ran for an allocation by process %u (%s)",
			   oom->trigger_pid, oom->trigger_comm);
}

static bool comm_is(const char *comm, const char *name)
{
	return !strcmp(comm, name);
}

/* A runtime's own process: the shim, runc and its kin, the CRI daemons. */
static bool comm_is_runtime(const char *comm)
{
	static const char *const runtimes[] = { "containerd", "runc",  "crun",	  "conmon",
						"crio",	      "youki", "dockerd", "runsc" };

	if (!strncmp(comm, "containerd-shim", 15))
		return true;
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		if (comm_is(comm, runtimes[i]))
			return true;
	return false;
}

/* A leaf cgroup named like a container's (64 hex, or <runtime>-<64 hex>.scope), not conmon's. */
static bool leaf_is_container(const char *leaf)
{
	size_t n = strlen(leaf), hex = 0;
	const char *id;

	if (!strncmp(leaf, "crio-conmon-", 12))
		return false;
	if (n > 6 && !strcmp(leaf + n - 6, ".scope"))
		n -= 6;
	if (n < PT_CONTAINER_ID_LEN)
		return false;
	id = leaf + n - PT_CONTAINER_ID_LEN;
	while (hex < PT_CONTAINER_ID_LEN && strchr("0123456789abcdef", id[hex]) && id[hex])
		hex++;
	return hex == PT_CONTAINER_ID_LEN && (id == leaf || id[-1] == '-');
}

bool pt_stop_requested_by_runtime(const struct pt_event *ev, const struct pt_placement *where)
{
	const struct pt_event_killer *k = &ev->killer;
	const struct pt_cgroup_info *kc = &where->killer_cgroup;

	if (!k->present || k->from_kernel || ev->oom.present)
		return false;
	/* The last signal ended it, or it obeyed a stop signal and exited by itself. */
	if (ev->signal ? ev->signal != k->sig || (k->sig != SIGKILL && k->sig != SIGTERM &&
						  k->sig != SIGINT && k->sig != SIGQUIT)
		       : k->sig != SIGTERM && k->sig != SIGINT && k->sig != SIGQUIT)
		return false;
	if (!comm_is_runtime(k->comm))
		return false;
	/* A process named runc inside a pod (or who knows where) is not the runtime. */
	return kc->scope != PT_SCOPE_CONTAINER && kc->scope != PT_SCOPE_POD &&
	       kc->scope != PT_SCOPE_UNKNOWN && !leaf_is_container(k->cgroup_leaf);
}

static bool crashed(const struct pt_event *ev)
{
	const struct pt_event_killer *k = &ev->killer;

	if (!ev->signal || ev->oom.present)
		return false;
	if (pt_signal_is_crash(ev->signal))
		return true;
	/* KILL/TERM count when someone else sent them. */
	return (ev->signal == SIGKILL || ev->signal == SIGTERM) && k->present &&
	       k->tgid != ev->pid && !k->from_kernel;
}

/* "main process 2665 (python3), 2666 (sh)" */
static void msg_victims(struct pt_msg *m, const struct pt_oom_summary *s)
{
	for (uint32_t i = 0; i < s->listed && i < PT_OOM_LIST_MAX; i++) {
		const struct pt_oom_victim *v = &s->victims[i];

		pt_msg_add(m, "%s%s%u (%s)", i ? ", " : "",
			   v->role == PT_ROLE_MAIN   ? "main process "
			   : v->role == PT_ROLE_EXEC ? "exec'd process "
						     : "",
			   v->pid, v->comm);
	}
	if (s->killed > s->listed)
		pt_msg_add(m, " and %u more", s->killed - s->listed);
}

static void report_oom(const struct pt_event *ev, const struct pt_placement *where,
		       struct pt_report *r)
{
	struct pt_msg m = { r->message, 0, sizeof(r->message) };
	const struct pt_oom_summary *s = &where->oom;

	r->reason = ev->oom.confined ? PT_REASON_OOM_KILLED : PT_REASON_SYSTEM_OOM;
	r->warning = true;
	if (s->killed > 1) {
		pt_msg_add(&m, "%u processes", s->killed);
		msg_where(&m, where);
		pt_msg_add(&m, " were %s together%s: ",
			   ev->oom.confined ? "OOM-killed" : "killed by the system OOM killer",
			   s->group ? " (memory.oom.group)" : "");
		msg_victims(&m, s);
		if (!ev->oom.confined)
			pt_msg_add(&m, "; the node ran out of memory");
		msg_oom_figures(&m, &ev->oom, false, "; ");
	} else {
		msg_subject(&m, ev, where);
		if (ev->oom.confined)
			pt_msg_add(&m, " was OOM-killed");
		else
			pt_msg_add(
			    &m, " was killed by the system OOM killer: the node ran out of memory");
		msg_oom_figures(&m, &ev->oom, true, ev->oom.confined ? ": " : ", ");
	}
	msg_oom_trigger(&m, ev);
	msg_instance(&m, where);
}

static void report_sandbox(const struct pt_event *ev, const struct pt_placement *where,
			   struct pt_report *r)
{
	struct pt_msg m = { r->message, 0, sizeof(r->message) };

	r->reason = PT_REASON_SANDBOX_CHANGED;
	r->warning = true;
	msg_subject(&m, ev, where);
	pt_msg_add(&m, " ");
	msg_outcome(&m, ev, where);
	msg_lifetime(&m, ev);
	pt_msg_add(&m, "; the pod's network namespace is gone and the kubelet will re-create the "
		       "sandbox");
}

static void report_main_exit(const struct pt_event *ev, const struct pt_placement *where,
			     struct pt_report *r)
{
	struct pt_msg m = { r->message, 0, sizeof(r->message) };
	bool stopped = pt_stop_requested_by_runtime(ev, where);

	r->reason = PT_REASON_CONTAINER_EXITED;
	r->warning = !(stopped || (!ev->signal && ev->exit_code == 0));
	msg_subject(&m, ev, where);
	if (stopped) {
		pt_msg_add(&m, " was stopped by the runtime");
		msg_lifetime(&m, ev);
		msg_stop_sequence(&m, ev, where);
	} else {
		pt_msg_add(&m, " ");
		msg_outcome(&m, ev, where);
		msg_lifetime(&m, ev);
	}
	msg_instance(&m, where);
}

static void report_crash(const struct pt_event *ev, const struct pt_placement *where,
			 struct pt_report *r)
{
	struct pt_msg m = { r->message, 0, sizeof(r->message) };

	r->reason = PT_REASON_PROCESS_CRASHED;
	r->warning = true;
	msg_subject(&m, ev, where);
	pt_msg_add(&m, " ");
	msg_outcome(&m, ev, where);
	msg_lifetime(&m, ev);
	if (where->who.role == PT_ROLE_EXEC && where->who.exec_command[0])
		pt_msg_add(&m, "; exec'd as: %s", where->who.exec_command);
	if (ev->ppid)
		pt_msg_add(&m, "; parent %u (%s)", ev->ppid, ev->parent_comm);
	msg_instance(&m, where);
}

/* systemd (pid 1) stopping a unit: SIGTERM, or the stop signal the unit asks for. */
static bool stopped_by_systemd(const struct pt_event *ev)
{
	const struct pt_event_killer *k = &ev->killer;

	return k->present && !k->from_kernel && k->tgid == 1 && !strcmp(k->comm, "systemd") &&
	       (k->sig == SIGTERM || k->sig == SIGINT || k->sig == SIGQUIT) &&
	       (!ev->signal || ev->signal == k->sig);
}

/* Whether the end of a node component is news, and of which type (*warning). */
static bool component_news(const struct pt_event *ev, const struct pt_placement *where,
			   bool *warning)
{
	bool clean = !ev->signal && ev->exit_code == 0;

	*warning = true;
	switch (where->component->kind) {
	case PT_COMPONENT_DAEMON:
		/* A clean exit, or a stop systemd asked for, is a stop: Normal. */
		*warning = !(clean || stopped_by_systemd(ev));
		return true;
	case PT_COMPONENT_SHIM:
		/* Shims end with their pod; the runtime stops them. */
		return !clean && !pt_stop_requested_by_runtime(ev, where);
	case PT_COMPONENT_HELPER:
		/* runc runs and fails all day; only a crash is news. */
		return (crashed(ev) || ev->oom.present) && !pt_stop_requested_by_runtime(ev, where);
	}
	return false;
}

/* "node component kubelet: process 1234 (kubelet) in kubelet.service exited with code 1 ..." */
static void report_component(const struct pt_event *ev, const struct pt_placement *where,
			     bool warning, struct pt_report *r)
{
	struct pt_msg m = { r->message, 0, sizeof(r->message) };

	r->reason = PT_REASON_NODE_COMPONENT_EXITED;
	r->warning = warning;
	pt_msg_add(&m, "node component %s: ", where->component->name);
	msg_subject(&m, ev, where);
	if (stopped_by_systemd(ev)) {
		pt_msg_add(&m, " was stopped by systemd");
		msg_lifetime(&m, ev);
		msg_stop_sequence(&m, ev, where);
		return;
	}
	pt_msg_add(&m, " ");
	msg_outcome(&m, ev, where);
	msg_lifetime(&m, ev);
	if (ev->signal && ev->ppid)
		pt_msg_add(&m, "; parent %u (%s)", ev->ppid, ev->parent_comm);
}

/* On the pod a runtime shim served: its containers are no longer watched by their runtime. */
static void report_monitor_lost(const struct pt_event *ev, const struct pt_placement *where,
				struct pt_report *r)
{
	struct pt_msg m = { r->message, 0, sizeof(r->message) };

	r->reason = PT_REASON_RUNTIME_MONITOR_LOST;
	r->warning = true;
	pt_msg_add(&m, "runtime shim process %u (%s) that monitored this pod's containers ",
		   ev->pid, ev->comm);
	msg_outcome(&m, ev, where);
	msg_lifetime(&m, ev);
	pt_msg_add(&m, ": the container runtime lost its monitor of the pod's containers");
}

bool pt_classify(const struct pt_event *ev, const struct pt_placement *where, struct pt_report *out)
{
	bool warning;

	if (ev->kind != PT_RECORD_EXIT)
		return false;
	memset(out, 0, sizeof(*out));
	if (where->oom.killed) {
		report_oom(ev, where, out);
		return true;
	}
	if (where->monitor_lost) {
		report_monitor_lost(ev, where, out);
		return true;
	}
	if (where->component) {
		if (!component_news(ev, where, &warning))
			return false;
		report_component(ev, where, warning, out);
		return true;
	}
	switch (where->who.role) {
	case PT_ROLE_SANDBOX:
		/* A pod deletion ends with StopPodSandbox: the runtime kills pause. */
		if (pt_stop_requested_by_runtime(ev, where))
			return false;
		report_sandbox(ev, where, out);
		return true;
	case PT_ROLE_MAIN:
		report_main_exit(ev, where, out);
		return true;
	default:
		/* The runtime kills what is left of a container it stops, and its execs that time out. */
		if (!crashed(ev) || pt_stop_requested_by_runtime(ev, where))
			return false;
		report_crash(ev, where, out);
		return true;
	}
}
